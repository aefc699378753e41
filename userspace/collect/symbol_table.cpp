#include "collect/symbol_table.h"

#include <cstring>
#include "util/utf8_text.h"

namespace pmt {
namespace {

std::string symbol_key(const Symbol& s) {
    std::string key;
    key.reserve(s.function.size() + s.file.size() + 32);
    key += static_cast<char>(s.kind);
    key += s.function;
    key += '\0';
    key += s.class_name.value_or("");
    key += '\0';
    key += s.file;
    key += '\0';
    key += std::to_string(s.line_start);
    return key;
}

}  // namespace

const char* pseudo_frame_name(uint32_t kind) {
    switch (kind) {
        case PMT_PSEUDO_STARTUP: return "[startup]";
        case PMT_PSEUDO_COMPILE: return "[compile]";
        case PMT_PSEUDO_SHUTDOWN: return "[shutdown]";
        case PMT_PSEUDO_NO_FRAME: return "[no php frame]";
        default: return "[unknown phase]";
    }
}

SymbolTable::SymbolTable(size_t max_symbols) : max_symbols_(max_symbols) {
    const Symbol overflow{FrameKind::Pseudo, "[symbol table full]", std::nullopt, "", 0};
    overflow_ = add(overflow, symbol_key(overflow));
}

uint32_t SymbolTable::add(const Symbol& symbol, std::string key) {
    auto id = static_cast<uint32_t>(symbols_.size());
    symbols_.push_back(symbol);
    index_.emplace(std::move(key), id);
    return id;
}

uint32_t SymbolTable::intern(const Symbol& symbol) {
    auto key = symbol_key(symbol);
    auto it = index_.find(key);
    if (it != index_.end()) return it->second;
    if (symbols_.size() >= max_symbols_) {
        ++full_hits_;
        return overflow_;
    }
    return add(symbol, std::move(key));
}

FunctionResolver::FunctionResolver(SymbolTable& symbols) : symbols_(symbols) {
    unknown_symbol_ = symbols_.intern(Symbol{FrameKind::Unknown, "[unknown function]", std::nullopt, "", 0});
    for (uint32_t kind = 1; kind < PMT_PSEUDO_MAX; ++kind)
        pseudo_symbols_[kind] = symbols_.intern(Symbol{FrameKind::Pseudo, pseudo_frame_name(kind), std::nullopt, "", 0});
}

void FunctionResolver::on_func_record(const pmt_func_record& r) {
    Symbol s;
    s.kind = r.type == PMT_FUNC_INTERNAL ? FrameKind::Internal : FrameKind::User;
    s.function = r.has_name ? printable_field(r.function, sizeof(r.function)) : "{main}";
    std::string class_name = printable_field(r.class_name, sizeof(r.class_name));
    if (!class_name.empty()) s.class_name = std::move(class_name);
    s.file = printable_field(r.file, sizeof(r.file));
    s.line_start = r.line_start;
    uint32_t id = symbols_.intern(s);
    auto& table = by_process_[r.hdr.tgid];
    auto [it, inserted] = table.insert({r.func, id});
    if (!inserted && it->second != id) {
        it.value() = id;
        ++generation_;
    }
}

uint32_t FunctionResolver::resolve(uint32_t tgid, uint64_t func) {
    if (func < PMT_PSEUDO_MAX) return pseudo_symbols_[func];
    auto process = by_process_.find(tgid);
    if (process != by_process_.end()) {
        auto it = process->second.find(func);
        if (it != process->second.end()) return it->second;
    }
    // Names lost (ring buffer full). Remember the miss so a later FUNC record for
    // this pointer invalidates stacks cached with the unknown symbol.
    ++unknown_lookups_;
    by_process_[tgid].insert({func, unknown_symbol_});
    return unknown_symbol_;
}

void FunctionResolver::copy_process(uint32_t parent, uint32_t child) {
    auto it = by_process_.find(parent);
    if (it != by_process_.end()) by_process_[child] = it->second;
}

}  // namespace pmt
