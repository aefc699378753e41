// libFuzzer target: an ELF file as the tracer reads a PHP binary.
//
// The bytes go through everything PhpBinary::open() does (symbols, segments, the
// version string, offsets, the heap layout from disassembly), then through the
// heap probe discovery and the snapshot-restore lookup, which follow jumps and
// calls to addresses taken from the file.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "heap/zend_heap_discovery.h"
#include "faults/restore_functions.h"
#include "target/php_binary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto elf = pmt::ElfFile::from_bytes("fuzz.elf", std::vector<uint8_t>(data, data + size));
    if (!elf) return 0;
    // These run on any ELF file the tracer opens, PHP or not.
    (void)pmt::discover_heap_layout(*elf);
    (void)pmt::discover_zend_heap_probe_points(*elf);
    (void)pmt::find_restore_functions(*elf);
    (void)pmt::read_php_version(*elf);
    for (const auto& [name, sym] : elf->symbols()) {
        (void)elf->file_offset_of(sym.vaddr);
        (void)elf->bytes_at(sym.vaddr, sym.size);
    }
    auto php = pmt::PhpBinary::from_elf(std::move(*elf));
    if (php) (void)php->bpf_config(PMT_DEFAULT_FRAMES, true);
    return 0;
}
