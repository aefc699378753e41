#include "faults/region_classifier.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/utf8_text.h"

namespace pmt {

std::vector<MapEntry> parse_proc_maps(const std::string& text) {
    std::vector<MapEntry> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        MapEntry e;
        char perms[8] = {};
        int path_at = 0;
        // start-end perms offset dev inode path
        if (std::sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " %7s %*s %*s %*s %n", &e.start, &e.end,
                        perms, &path_at) < 3)
            continue;
        e.exec = perms[2] == 'x';
        e.shared = perms[3] == 's';
        if (path_at > 0 && static_cast<size_t>(path_at) <= line.size()) e.path = line.substr(path_at);
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<MapEntry> read_proc_maps(uint32_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/maps");
    std::stringstream buf;
    buf << f.rdbuf();
    return parse_proc_maps(buf.str());
}

namespace {

// The kernel names the shmem file behind MAP_SHARED|MAP_ANONYMOUS "dev/zero";
// opcache's default memory model is exactly that. SysV segments are "SYSV%08x".
bool is_shared_anonymous(const VmaFacts& vma) {
    return vma.shared && (vma.file.empty() || vma.file == "dev/zero" ||
                          vma.file.rfind("/dev/zero", 0) == 0 || vma.file.rfind("SYSV", 0) == 0 ||
                          vma.file.rfind("/SYSV", 0) == 0);
}

// Pseudo paths in /proc/PID/maps that are anonymous memory.
bool is_anonymous_path(const std::string& path) {
    return path.empty() || path[0] == '[';
}

}  // namespace

FaultRegion classify_region(const VmaFacts& vma, bool in_zend_chunk, bool in_vm_stack,
                            bool in_huge_block) {
    if (in_zend_chunk) return in_vm_stack ? FaultRegion::VmStack : FaultRegion::ZendHeap;
    if (in_huge_block) return FaultRegion::ZendHuge;
    if (vma.exec) return FaultRegion::Code;
    if (is_shared_anonymous(vma)) return FaultRegion::Opcache;
    if (vma.file.empty()) return FaultRegion::Anon;
    return FaultRegion::File;
}

FaultKind classify_kind(uint32_t error_code, const VmaFacts& vma) {
    const bool present = error_code & PMT_FAULT_ERR_PRESENT;
    const bool write = error_code & PMT_FAULT_ERR_WRITE;
    // A write to a private file mapping's unmapped page copies the file page
    // (do_cow_fault): that is how a MAP_PRIVATE snapshot image is paid for.
    const bool private_file = !vma.shared && !vma.file.empty();
    if (write && !vma.shared && (present || private_file)) return FaultKind::Cow;
    if (!present) return FaultKind::FirstTouch;
    return FaultKind::Other;
}

RegionClassifier::Result RegionClassifier::classify(const pmt_fault_record& r, bool in_huge_block) {
    const uint32_t tgid = r.hdr.tgid;
    VmaFacts vma;
    if (r.flags & PMT_FAULT_NO_VMA) {
        if (auto m = from_maps(tgid, r.addr)) vma = *m;
    } else {
        vma.exec = r.vm_flags & PMT_VM_EXEC;
        vma.shared = r.vm_flags & PMT_VM_SHARED;
        vma.file = printable_field(r.file, sizeof(r.file));
    }
    return Result{classify_region(vma, r.flags & PMT_FAULT_ZEND_CHUNK, r.flags & PMT_FAULT_VM_STACK, in_huge_block),
                  classify_kind(r.error_code, vma)};
}

std::optional<VmaFacts> RegionClassifier::from_maps(uint32_t tgid, uint64_t addr) {
    auto find = [&](const std::vector<MapEntry>& maps) -> const MapEntry* {
        for (const auto& e : maps)
            if (addr >= e.start && addr < e.end) return &e;
        return nullptr;
    };
    auto& maps = maps_[tgid];
    const MapEntry* e = find(maps);
    if (!e) {  // the process mapped something new since the last read
        std::vector<MapEntry> fresh = reader_(tgid);
        ++maps_reads_;
        if (!fresh.empty()) maps = std::move(fresh);  // empty: it exited; keep what we had
        e = find(maps);
    }
    if (!e) return std::nullopt;
    VmaFacts f;
    f.exec = e->exec;
    f.shared = e->shared;
    if (!is_anonymous_path(e->path)) f.file = e->path;
    return f;
}

void RegionClassifier::on_fork(uint32_t parent, uint32_t child) {
    // The child has a copy of the address space, and may exit before its maps can be read.
    // (Known only if the parent's faults were classified from its maps already.)
    auto maps = maps_.find(parent);
    if (maps != maps_.end()) maps_[child] = maps->second;
}

void RegionClassifier::on_exit(uint32_t tgid) { maps_.erase(tgid); }

}  // namespace pmt
