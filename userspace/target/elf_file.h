// Read-only view of an ELF file: dynamic/static symbols and bytes at link-time
// addresses. Stripped distribution PHP binaries still export what we need in
// .dynsym (executor_globals, the allocator API, ...).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "util/result.h"

namespace pmt {

struct ElfSymbol {
    uint64_t vaddr = 0;  // link-time address
    uint64_t size = 0;
    bool is_function = false;
};

struct ElfSegment {
    uint64_t vaddr = 0;
    uint64_t file_offset = 0;
    uint64_t file_size = 0;
    uint64_t mem_size = 0;
    bool executable = false;
};

class ElfFile {
public:
    static Result<ElfFile> open(const std::string& path);
    // The same from bytes already in memory; `name` stands for the path in messages.
    static Result<ElfFile> from_bytes(std::string name, std::vector<uint8_t> contents);

    const std::string& path() const { return path_; }
    std::optional<ElfSymbol> symbol(const std::string& name) const;
    const std::unordered_map<std::string, ElfSymbol>& symbols() const { return symbols_; }
    // Bytes of the file mapped at [vaddr, vaddr + size), empty if not file-backed.
    std::span<const uint8_t> bytes_at(uint64_t vaddr, uint64_t size) const;
    // File offset of a link-time address (what uprobes are attached by).
    std::optional<uint64_t> file_offset_of(uint64_t vaddr) const;
    // First occurrence of `needle` anywhere in the file.
    std::optional<size_t> find(std::string_view needle) const;
    std::span<const uint8_t> contents() const { return contents_; }

private:
    std::string path_;
    std::vector<uint8_t> contents_;
    std::vector<ElfSegment> segments_;
    std::unordered_map<std::string, ElfSymbol> symbols_;
};

}  // namespace pmt
