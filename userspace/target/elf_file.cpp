#include "target/elf_file.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>

namespace pmt {
namespace {

struct ElfDeleter {
    void operator()(Elf* elf) const { elf_end(elf); }
};
using ElfHandle = std::unique_ptr<Elf, ElfDeleter>;

void read_symbol_table(Elf* elf, Elf_Scn* section, const GElf_Shdr& header,
                       std::unordered_map<std::string, ElfSymbol>& out) {
    Elf_Data* data = elf_getdata(section, nullptr);
    if (!data || header.sh_entsize == 0) return;
    size_t count = header.sh_size / header.sh_entsize;
    for (size_t i = 0; i < count; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym) || sym.st_value == 0) continue;
        const char* name = elf_strptr(elf, header.sh_link, sym.st_name);
        if (!name || !*name) continue;
        int type = GELF_ST_TYPE(sym.st_info);
        if (type != STT_FUNC && type != STT_OBJECT && type != STT_TLS) continue;
        // Keep the first definition; .dynsym is read before .symtab.
        out.emplace(name, ElfSymbol{sym.st_value, sym.st_size, type == STT_FUNC});
    }
}

}  // namespace

Result<ElfFile> ElfFile::open(const std::string& path) {
    // One read of the whole file (a byte-by-byte stream iterator took ~20 ms of a
    // session's start on a 6 MB binary).
    std::vector<uint8_t> contents;
    {
        std::ifstream in(path, std::ios::binary | std::ios::ate);
        if (!in) return Error{"cannot open " + path + ": " + std::strerror(errno)};
        const std::streamoff size = in.tellg();
        if (size < 0) return Error{"cannot read " + path + ": not a regular file"};
        contents.resize(static_cast<size_t>(size));
        in.seekg(0);
        if (!in.read(reinterpret_cast<char*>(contents.data()), size))
            return Error{"cannot read " + path + ": " + std::strerror(errno)};
    }
    return from_bytes(path, std::move(contents));
}

Result<ElfFile> ElfFile::from_bytes(std::string name, std::vector<uint8_t> contents) {
    ElfFile file;
    file.path_ = std::move(name);
    file.contents_ = std::move(contents);
    const std::string& path = file.path_;
    elf_version(EV_CURRENT);
    ElfHandle elf(elf_memory(reinterpret_cast<char*>(file.contents_.data()), file.contents_.size()));
    if (!elf || elf_kind(elf.get()) != ELF_K_ELF) return Error{path + " is not an ELF file"};

    size_t phnum = 0;
    elf_getphdrnum(elf.get(), &phnum);
    for (size_t i = 0; i < phnum; ++i) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf.get(), static_cast<int>(i), &ph) || ph.p_type != PT_LOAD) continue;
        file.segments_.push_back({ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz, (ph.p_flags & PF_X) != 0});
    }
    for (int pass = 0; pass < 2; ++pass) {  // .dynsym first, then .symtab if present
        Elf_Scn* section = nullptr;
        while ((section = elf_nextscn(elf.get(), section)) != nullptr) {
            GElf_Shdr header;
            if (!gelf_getshdr(section, &header)) continue;
            if (header.sh_type == (pass == 0 ? SHT_DYNSYM : SHT_SYMTAB))
                read_symbol_table(elf.get(), section, header, file.symbols_);
        }
    }
    // The Elf handle points into contents_; it is released here, before the
    // vector can move with the returned object.
    elf.reset();
    return file;
}

std::optional<ElfSymbol> ElfFile::symbol(const std::string& name) const {
    auto it = symbols_.find(name);
    if (it == symbols_.end()) return std::nullopt;
    return it->second;
}

std::optional<uint64_t> ElfFile::file_offset_of(uint64_t vaddr) const {
    for (const auto& seg : segments_)
        if (vaddr >= seg.vaddr && vaddr < seg.vaddr + seg.file_size) return vaddr - seg.vaddr + seg.file_offset;
    return std::nullopt;
}

std::span<const uint8_t> ElfFile::bytes_at(uint64_t vaddr, uint64_t size) const {
    for (const auto& seg : segments_) {
        if (vaddr < seg.vaddr || vaddr >= seg.vaddr + seg.file_size) continue;
        uint64_t available = seg.vaddr + seg.file_size - vaddr;
        uint64_t offset = vaddr - seg.vaddr + seg.file_offset;
        if (offset >= contents_.size()) return {};
        return {contents_.data() + offset, std::min<uint64_t>({size, available, contents_.size() - offset})};
    }
    return {};
}

std::optional<size_t> ElfFile::find(std::string_view needle) const {
    auto it = std::search(contents_.begin(), contents_.end(), needle.begin(), needle.end());
    if (it == contents_.end()) return std::nullopt;
    return static_cast<size_t>(it - contents_.begin());
}

}  // namespace pmt
