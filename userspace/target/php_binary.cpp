#include "target/php_binary.h"

#include <cctype>

#include "collect/zend_sizes.h"
#include "target/process.h"

namespace pmt {

std::optional<std::string> read_php_version(const ElfFile& elf) {
    static constexpr std::string_view kMarker = "X-Powered-By: PHP/";
    auto pos = elf.find(kMarker);
    if (!pos) return std::nullopt;
    auto bytes = elf.contents();
    std::string version;
    for (size_t i = *pos + kMarker.size(); i < bytes.size() && version.size() < 32; ++i) {
        char c = static_cast<char>(bytes[i]);
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') break;
        version += c;
    }
    if (version.empty()) return std::nullopt;
    return version;
}

Result<PhpBinary> PhpBinary::open(const std::string& path) {
    auto elf = ElfFile::open(path);
    if (!elf) return elf.error();
    return from_elf(std::move(*elf));
}

Result<PhpBinary> PhpBinary::from_elf(ElfFile elf) {
    PhpBinary php;
    php.elf_ = std::move(elf);
    const std::string path = php.elf_.path();

    auto eg = php.elf_.symbol("executor_globals");
    auto emalloc = php.elf_.symbol("_emalloc");
    if (!emalloc) return Error{path + " is not a PHP binary (no _emalloc symbol)"};
    if (!eg) {
        if (php.elf_.symbol("executor_globals_offset"))
            return Error{path + " is a thread-safe (ZTS) PHP build, which is not supported yet"};
        return Error{path + " is not a PHP binary (no executor_globals symbol)"};
    }
    auto version_text = read_php_version(php.elf_);
    if (!version_text) return Error{"cannot find the PHP version in " + path};
    auto version = PhpVersion::parse(*version_text);
    if (!version) return Error{"cannot parse PHP version '" + *version_text + "' in " + path};
    auto offsets = php_offsets_for(*version);
    if (!offsets)
        return Error{"unsupported PHP version " + version->text + " (supported: " + supported_php_versions() + ")"};
    php.version_ = *version;
    php.offsets_ = *offsets;
    php.eg_vaddr_ = eg->vaddr;
    if (auto cg = php.elf_.symbol("compiler_globals")) php.cg_vaddr_ = cg->vaddr;
    php.heap_ = discover_heap_layout(php.elf_);
    php.offsets_.heap_size = php.heap_.heap_size;
    php.offsets_.heap_real_size = php.heap_.heap_real_size;
    php.offsets_.chunk_map = php.heap_.chunk_map;
    php.heap_points_ = discover_zend_heap_probe_points(php.elf_);
    php.offsets_.heap_peak = php.heap_points_.heap_peak;
    php.offsets_.heap_limit = php.heap_points_.heap_limit;
    php.offsets_.heap_huge_list = php.heap_points_.heap_huge_list;
    if (auto sg = php.elf_.symbol("sapi_globals")) php.sg_vaddr_ = sg->vaddr;
    if (auto ce = php.elf_.symbol("zend_ce_generator")) php.ce_generator_vaddr_ = ce->vaddr;
    return php;
}

std::optional<uint64_t> PhpBinary::heap_address_in_process(pid_t pid) const {
    if (!heap_.heap_ptr_vaddr) return std::nullopt;
    auto bias = load_bias_in_process(pid, path());
    uint64_t heap = 0;
    if (!bias || !read_process_memory(pid, *bias + heap_.heap_ptr_vaddr, &heap, sizeof(heap)) || !heap)
        return std::nullopt;
    return heap;
}

pmt_config PhpBinary::bpf_config(uint32_t max_frames, bool follow_forks) const {
    pmt_config cfg{};
    cfg.off = offsets_;
    cfg.eg_vaddr = eg_vaddr_;
    cfg.cg_vaddr = cg_vaddr_;
    cfg.heap_ptr_vaddr = heap_.heap_ptr_vaddr;
    cfg.sg_vaddr = sg_vaddr_;
    cfg.ce_generator_vaddr = ce_generator_vaddr_;
    cfg.max_frames = max_frames;
    cfg.follow_forks = follow_forks ? 1 : 0;
    for (size_t i = 0; i < zend::kBinSizes.size(); ++i) {
        cfg.bin_sizes[i] = zend::kBinSizes[i];
        cfg.bin_pages[i] = zend::kBinPages[i];
    }
    return cfg;
}

}  // namespace pmt
