// Owns heap.bpf.c: configured like the allocation object, sharing its maps, and
// serving the heap rows of the probe table (chunk functions, the garbage
// collector, zend_error_zstr_at). The session attaches them per process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attach/bpf_load.h"
#include "attach/uprobe_attach.h"
#include "target/php_binary.h"
#include "util/result.h"

struct heap_bpf;

namespace pmt {

class HeapProbes {
public:
    // Loads the object and resolves its probes. Probes whose function is
    // missing are skipped and listed in missing() (e.g. no chunk functions
    // recognised: no chunk records).
    static Result<std::unique_ptr<HeapProbes>> load(const PhpBinary& php, const pmt_config& config,
                                                    const SharedMaps& shared, bool use_uprobe_multi);
    ~HeapProbes();
    HeapProbes(const HeapProbes&) = delete;
    HeapProbes& operator=(const HeapProbes&) = delete;

    const std::vector<ResolvedProbe>& uprobes() const { return uprobes_; }
    const std::vector<std::string>& missing() const { return missing_; }

private:
    HeapProbes() = default;
    struct SkelDeleter {
        void operator()(heap_bpf* skel) const;
    };
    std::unique_ptr<heap_bpf, SkelDeleter> skel_;
    std::vector<ResolvedProbe> uprobes_;
    std::vector<std::string> missing_;
};

}  // namespace pmt
