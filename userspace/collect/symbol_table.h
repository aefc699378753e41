// Turns (process, zend_function*) into symbols, from the PMT_REC_FUNC records the
// BPF side sends before first use. The ring buffer is ordered, so a pointer always
// resolves to the names that were valid when the record using it was made, even
// when PHP freed a function and reused its memory for another one.
#pragma once

#include <tsl/robin_map.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/profile.h"
#include "phpmemtrace.h"
#include "util/hash.h"

namespace pmt {

// Interns symbols: equal names/file/line give the same id across processes.
// Bounded: past `max_symbols` new names all get the one "[symbol table full]"
// symbol, and full_hits() says how often.
class SymbolTable {
public:
    static constexpr size_t kDefaultMaxSymbols = 1'000'000;
    explicit SymbolTable(size_t max_symbols = kDefaultMaxSymbols);
    uint32_t intern(const Symbol& symbol);
    const std::vector<Symbol>& symbols() const { return symbols_; }
    const Symbol& at(uint32_t id) const { return symbols_.at(id); }
    uint64_t full_hits() const { return full_hits_; }

private:
    uint32_t add(const Symbol& symbol, std::string key);
    size_t max_symbols_;
    uint32_t overflow_ = 0;
    uint64_t full_hits_ = 0;
    std::vector<Symbol> symbols_;
    std::unordered_map<std::string, uint32_t> index_;
};

class FunctionResolver {
public:
    explicit FunctionResolver(SymbolTable& symbols);

    void on_func_record(const pmt_func_record& record);
    // Symbol for a frame's func value (a pseudo-frame kind, or a zend_function*).
    uint32_t resolve(uint32_t tgid, uint64_t func);
    // Bumped whenever an already-used pointer gets new names: caches of resolved
    // stacks keyed by raw pointers must be dropped then.
    uint64_t generation() const { return generation_; }
    uint64_t unknown_lookups() const { return unknown_lookups_; }
    // A forked child starts with its parent's functions at the same addresses.
    void copy_process(uint32_t parent, uint32_t child);

private:
    SymbolTable& symbols_;
    std::unordered_map<uint32_t, tsl::robin_map<uint64_t, uint32_t, AddressHash>> by_process_;
    uint32_t unknown_symbol_;
    uint32_t pseudo_symbols_[PMT_PSEUDO_MAX] = {};
    uint64_t generation_ = 0;
    uint64_t unknown_lookups_ = 0;
};

// Name shown for a pseudo-frame kind ("[startup]", ...).
const char* pseudo_frame_name(uint32_t kind);

}  // namespace pmt
