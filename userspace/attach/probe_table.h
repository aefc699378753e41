// Every uprobe phpmemtrace can put on a PHP binary, in one table: which function,
// which kind (the cookie's, enum pmt_probe_kind), which BPF object's programs
// serve it, whether its return is probed too. Each function appears once,
// whoever needs it; the session attaches the rows of the objects it loaded.
//
// Adding a probe: a row here, a kind in bpf/phpmemtrace.h, a case in the
// object's dispatcher program (docs/architecture.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attach/uprobe_attach.h"
#include "target/php_binary.h"
#include "util/result.h"

namespace pmt {

// The BPF object whose entry/return programs handle a probe.
enum class ProbeObject {
    Allocations,  // memtrace.bpf.c: allocator_entry / allocator_return
    Heap,         // heap.bpf.c: heap_entry / heap_return
};

// Which sessions attach a row: record's exact mode (every allocator call) or
// the agent's slow paths (the heap's rare events, docs/agent.md). A bit set.
enum ProbeMode : uint8_t {
    kExactMode = 1,
    kSlowPathMode = 2,
    kEveryMode = kExactMode | kSlowPathMode,
};

struct ProbeSpec {
    std::string function;  // symbol, or a static function the heap discovery finds
    uint32_t kind;         // enum pmt_probe_kind
    uint32_t arg;          // the cookie's argument (fixed size N of _emalloc_N / _efree_N)
    ProbeObject object;
    bool has_return;       // also probed at return
    bool required;         // absent: the session refuses to start (else: listed as not probed)
    uint8_t modes = kExactMode;  // ProbeMode bits: the sessions that attach it
};

const std::vector<ProbeSpec>& probe_table();

// Link-time address of the probe in `php`: in its function (its symbol, or for
// the heap's static functions what the disassembly found), at the instruction
// probe_placement.h chooses; 0 when it has none. The cookie carries it too.
uint64_t probe_address(const PhpBinary& php, const ProbeSpec& probe);

// The rows of `object` for `mode` found in `php`, served by its `entry` and
// `ret` programs. A required function that is absent is an error; an optional
// one is skipped and its name appended to `missing`.
Result<std::vector<ResolvedProbe>> resolve_probes(const PhpBinary& php, ProbeObject object, bpf_program* entry,
                                                  bpf_program* ret, std::vector<std::string>& missing,
                                                  ProbeMode mode = kExactMode);

}  // namespace pmt
