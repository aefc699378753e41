// Says where a page fault landed (FaultRegion) and what kind it was (FaultKind).
//
// The BPF side sends the facts it saw at the end of the fault: the VMA (bounds,
// VM_* flags, mapped file's name), whether the address is in a Zend chunk (its
// header points to the heap), whether it is in the VM stack. Those are exact and
// survive processes that exit before user space looks (a pcntl_fork() child).
// /proc/PID/maps is the fallback when bpf_find_vma() could not run; it is re-read
// when an address falls outside the regions known so far, since the heap grows.
// Huge blocks cannot be told from other 2 MiB-aligned anonymous memory by content:
// the caller says (the process's model knows them from the allocation records).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/faults.h"
#include "phpmemtrace.h"

namespace pmt {

// One line of /proc/PID/maps.
struct MapEntry {
    uint64_t start = 0, end = 0;
    bool exec = false, shared = false;
    std::string path;  // "" anonymous, "[stack]", "/dev/zero (deleted)", "/memfd:x (deleted)"
};

std::vector<MapEntry> parse_proc_maps(const std::string& text);
std::vector<MapEntry> read_proc_maps(uint32_t pid);

// The facts a classification needs, from the record or from a maps line.
struct VmaFacts {
    bool exec = false;
    bool shared = false;
    std::string file;  // "" anonymous
};

FaultRegion classify_region(const VmaFacts& vma, bool in_zend_chunk, bool in_vm_stack,
                            bool in_huge_block);
FaultKind classify_kind(uint32_t error_code, const VmaFacts& vma);

class RegionClassifier {
public:
    struct Result {
        FaultRegion region;
        FaultKind kind;
    };
    Result classify(const pmt_fault_record& r, bool in_huge_block);

    // The cache of /proc/PID/maps follows the processes.
    void on_fork(uint32_t parent, uint32_t child);
    void on_exit(uint32_t tgid);

    // Replaces the /proc reader (tests).
    void set_maps_reader(std::vector<MapEntry> (*reader)(uint32_t)) { reader_ = reader; }
    uint64_t maps_reads() const { return maps_reads_; }

private:
    std::optional<VmaFacts> from_maps(uint32_t tgid, uint64_t addr);

    std::unordered_map<uint32_t, std::vector<MapEntry>> maps_;
    std::vector<MapEntry> (*reader_)(uint32_t) = read_proc_maps;
    uint64_t maps_reads_ = 0;
};

}  // namespace pmt
