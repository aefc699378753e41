// What the running kernel offers the tracer, found by probing it and reading its
// BTF, never from its version number: distributions backport BPF features, and
// one version number covers differently configured builds.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace pmt {

struct KernelFeature {
    std::string name;      // as the user would search for it, e.g. "bpf_loop"
    std::string since;     // the upstream release that brought it, for the message only
    bool required;         // false: the tracer has a fallback
    bool faults_only;      // needed by --faults alone
    int present;           // 1 yes, 0 no, -1 could not tell (e.g. not root)
};

// Probes every feature the tracer uses. Cheap (a few tiny BPF loads); cached.
const std::vector<KernelFeature>& kernel_features();

// Fails with one line naming every required feature the kernel lacks. Features
// that could not be probed (no privilege) are not reported as missing: loading
// the programs then fails with its own, more precise, error.
Status check_kernel_features(bool with_faults);

// One line for --verbose: "btf=yes ringbuf=yes ... uprobe_multi=no".
std::string kernel_features_summary();

}  // namespace pmt
