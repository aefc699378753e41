// pmt_fuzz_elf_seed PHP_BINARY OUT: writes a small ELF file made of the parts of a
// real PHP binary the tracer reads, as the fuzz_elf seed.
//
// A whole php8.2 (5.5 MB) is no use as a seed: libFuzzer cuts inputs to 1 MiB,
// which loses the section headers at the end of the file. Kept here: the code
// windows the readers disassemble (each exported function they look up, and the
// huge-block functions the wrappers jump to), every symbol inside those windows
// plus the looked-up ones, and the "X-Powered-By: PHP/" string. The result must
// read back exactly as the original does, or the tool fails: the seed then says
// what a real binary says.
#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "heap/zend_heap_discovery.h"
#include "target/php_binary.h"

namespace {

// What PhpBinary::open(), discover_heap_layout() and discover_zend_heap_probe_points()
// look up, with how many bytes of code each may read.
const std::vector<std::pair<std::string, uint64_t>> kLookedUp = {
    {"executor_globals", 0}, {"compiler_globals", 0}, {"sapi_globals", 0}, {"_emalloc", 64},
    {"zend_mm_get_heap", 64}, {"zend_memory_usage", 64}, {"_zend_mm_block_size", 128},
    {"zend_memory_peak_usage", 64}, {"zend_set_memory_limit", 512}, {"_emalloc_huge", 64},
    {"_efree_huge", 64},
};
constexpr uint64_t kTraceWindow = 4096;  // trace_function()'s default window

struct Image {
    std::vector<uint8_t> bytes;
    template <typename T>
    size_t put(const T& value) {
        return put_bytes(&value, sizeof(value));
    }
    size_t put_bytes(const void* data, size_t size) {
        size_t at = bytes.size();
        bytes.insert(bytes.end(), static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
        return at;
    }
    void align(size_t to) { bytes.resize((bytes.size() + to - 1) / to * to, 0); }
};

// [start, end) code windows, merged where they overlap.
std::map<uint64_t, uint64_t> code_windows(const pmt::ElfFile& elf) {
    std::vector<std::pair<uint64_t, uint64_t>> raw;
    for (const auto& [name, bytes] : kLookedUp)
        if (auto sym = elf.symbol(name); sym && bytes) raw.push_back({sym->vaddr, sym->vaddr + bytes});
    auto points = pmt::discover_zend_heap_probe_points(elf);
    for (uint64_t start : {points.alloc_huge, points.free_huge})
        if (start) raw.push_back({start, start + kTraceWindow});
    std::sort(raw.begin(), raw.end());
    std::map<uint64_t, uint64_t> merged;
    for (const auto& [start, end] : raw) {
        if (!merged.empty() && start <= std::prev(merged.end())->second)
            std::prev(merged.end())->second = std::max(std::prev(merged.end())->second, end);
        else
            merged[start] = end;
    }
    return merged;
}

std::vector<uint8_t> build_seed(const pmt::ElfFile& elf) {
    const auto windows = code_windows(elf);
    auto inside = [&](uint64_t vaddr) {
        for (const auto& [start, end] : windows)
            if (vaddr >= start && vaddr < end) return true;
        return false;
    };
    std::map<std::string, pmt::ElfSymbol> symbols;
    for (const auto& [name, sym] : elf.symbols())
        if (inside(sym.vaddr)) symbols.emplace(name, sym);
    for (const auto& [name, bytes] : kLookedUp)
        if (auto sym = elf.symbol(name)) symbols.emplace(name, *sym);

    Image image;
    image.bytes.resize(sizeof(Elf64_Ehdr) + windows.size() * sizeof(Elf64_Phdr));
    std::vector<Elf64_Phdr> phdrs;
    for (const auto& [start, end] : windows) {
        auto code = elf.bytes_at(start, end - start);
        image.align(16);
        Elf64_Phdr ph{};
        ph.p_type = PT_LOAD;
        ph.p_flags = PF_R | PF_X;
        ph.p_offset = image.put_bytes(code.data(), code.size());
        ph.p_vaddr = ph.p_paddr = start;
        ph.p_filesz = ph.p_memsz = code.size();
        ph.p_align = 16;
        phdrs.push_back(ph);
    }
    static constexpr std::string_view kMarker = "X-Powered-By: PHP/";
    if (auto at = elf.find(kMarker)) {
        auto contents = elf.contents();
        image.put_bytes(contents.data() + *at, std::min<size_t>(kMarker.size() + 16, contents.size() - *at));
    }

    std::string dynstr(1, '\0');
    std::vector<Elf64_Sym> dynsym(1);
    for (const auto& [name, sym] : symbols) {
        Elf64_Sym s{};
        s.st_name = static_cast<uint32_t>(dynstr.size());
        dynstr += name + '\0';
        s.st_info = ELF64_ST_INFO(STB_GLOBAL, sym.is_function ? STT_FUNC : STT_OBJECT);
        s.st_shndx = 1;  // any defined section
        s.st_value = sym.vaddr;
        s.st_size = sym.size;
        dynsym.push_back(s);
    }
    const std::string shstrtab = std::string("\0.dynsym\0.dynstr\0.shstrtab\0", 27);
    image.align(8);
    const size_t dynsym_at = image.put_bytes(dynsym.data(), dynsym.size() * sizeof(Elf64_Sym));
    const size_t dynstr_at = image.put_bytes(dynstr.data(), dynstr.size());
    const size_t shstrtab_at = image.put_bytes(shstrtab.data(), shstrtab.size());
    image.align(8);

    Elf64_Shdr sections[4] = {};
    sections[1] = {1, SHT_DYNSYM, SHF_ALLOC, 0, dynsym_at, dynsym.size() * sizeof(Elf64_Sym), 2, 1, 8,
                   sizeof(Elf64_Sym)};
    sections[2] = {9, SHT_STRTAB, SHF_ALLOC, 0, dynstr_at, dynstr.size(), 0, 0, 1, 0};
    sections[3] = {17, SHT_STRTAB, 0, 0, shstrtab_at, shstrtab.size(), 0, 0, 1, 0};
    const size_t shdrs_at = image.put_bytes(sections, sizeof(sections));

    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_DYN;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_shoff = shdrs_at;
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = static_cast<uint16_t>(phdrs.size());
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = 4;
    eh.e_shstrndx = 3;
    std::memcpy(image.bytes.data(), &eh, sizeof(eh));
    std::memcpy(image.bytes.data() + sizeof(eh), phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr));
    return image.bytes;
}

bool same_reading(const pmt::ElfFile& a, const pmt::ElfFile& b) {
    auto pa = pmt::discover_zend_heap_probe_points(a), pb = pmt::discover_zend_heap_probe_points(b);
    auto la = pmt::discover_heap_layout(a), lb = pmt::discover_heap_layout(b);
    return pa.alloc_huge == pb.alloc_huge && pa.free_huge == pb.free_huge && pa.chunk_alloc == pb.chunk_alloc &&
           pa.chunk_free == pb.chunk_free && pa.huge_call_returns == pb.huge_call_returns &&
           pa.heap_peak == pb.heap_peak && pa.heap_limit == pb.heap_limit &&
           pa.heap_huge_list == pb.heap_huge_list && pa.method == pb.method &&
           la.heap_ptr_vaddr == lb.heap_ptr_vaddr && la.heap_size == lb.heap_size &&
           la.heap_real_size == lb.heap_real_size && la.chunk_map == lb.chunk_map &&
           pmt::read_php_version(a) == pmt::read_php_version(b);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: pmt_fuzz_elf_seed PHP_BINARY OUT\n";
        return 2;
    }
    auto elf = pmt::ElfFile::open(argv[1]);
    if (!elf) {
        std::cerr << elf.error().message << "\n";
        return 1;
    }
    std::vector<uint8_t> seed = build_seed(*elf);
    auto reread = pmt::ElfFile::from_bytes(argv[2], seed);
    if (!reread || !pmt::PhpBinary::from_elf(*reread) || !same_reading(*elf, *reread)) {
        std::cerr << "pmt_fuzz_elf_seed: the seed does not read as " << argv[1] << " does\n";
        return 1;
    }
    std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(seed.data()), std::streamsize(seed.size()));
    if (!out) {
        std::cerr << "cannot write " << argv[2] << "\n";
        return 1;
    }
    std::cout << argv[2] << ": " << seed.size() << " bytes from " << argv[1] << "\n";
    return 0;
}
