#include "faults/restore_functions.h"

#include <algorithm>
#include <cctype>

namespace pmt {

bool is_restore_function_name(const std::string& name) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    auto has = [&](const char* word) { return lower.find(word) != std::string::npos; };
    return has("snapshot") && (has("restore") || has("rollback"));
}

std::vector<RestoreFunction> find_restore_functions(const ElfFile& elf) {
    std::vector<RestoreFunction> out;
    for (const auto& [name, sym] : elf.symbols()) {
        if (!sym.is_function || !sym.vaddr || !is_restore_function_name(name)) continue;
        if (auto offset = elf.file_offset_of(sym.vaddr)) out.push_back({name, *offset});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

}  // namespace pmt
