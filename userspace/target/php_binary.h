// A PHP binary (php8.2, php-fpm8.2, or an embedding libphp*.so) and everything the
// probes need from it: version, offsets, symbol addresses, heap layout.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "phpmemtrace.h"
#include "target/elf_file.h"
#include "heap/zend_heap_discovery.h"
#include "target/heap_layout.h"
#include "target/php_offsets.h"
#include "util/result.h"

namespace pmt {

class PhpBinary {
public:
    // Fails with a one-line reason: not ELF, not PHP, unsupported version.
    static Result<PhpBinary> open(const std::string& path);
    // The same from an ELF file already read (the fuzz target feeds it bytes).
    static Result<PhpBinary> from_elf(ElfFile elf);

    const std::string& path() const { return elf_.path(); }
    const ElfFile& elf() const { return elf_; }
    const PhpVersion& version() const { return version_; }
    const HeapLayout& heap_layout() const { return heap_; }
    // The heap's static functions and more of its fields, found in its code.
    const ZendHeapProbePoints& heap_probe_points() const { return heap_points_; }
    // Every PHP struct offset the probes and the outside readers use.
    const pmt_php_offsets& offsets() const { return offsets_; }
    // Where a running process using this binary keeps its zend_mm_heap
    // (AG(mm_heap)), read from outside; nullopt if unknown or unreadable.
    std::optional<uint64_t> heap_address_in_process(pid_t pid) const;
    // The configuration the BPF programs are loaded with.
    pmt_config bpf_config(uint32_t max_frames, bool follow_forks) const;

private:
    ElfFile elf_;
    PhpVersion version_;
    pmt_php_offsets offsets_{};
    HeapLayout heap_;
    ZendHeapProbePoints heap_points_;
    uint64_t sg_vaddr_ = 0;
    uint64_t eg_vaddr_ = 0;
    uint64_t cg_vaddr_ = 0;
    uint64_t ce_generator_vaddr_ = 0;  // zend_ce_generator: tells `yield from` placeholders apart
};

// The version string a PHP build carries ("X-Powered-By: PHP/8.2.35"), if any.
std::optional<std::string> read_php_version(const ElfFile& elf);

}  // namespace pmt
