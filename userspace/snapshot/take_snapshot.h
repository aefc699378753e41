// `phpmemtrace snapshot`: check the target, pause it, copy its heap, resume it,
// and list the blocks from the copy once it runs again.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "snapshot/heap_blocks.h"
#include "snapshot/heap_copy.h"
#include "snapshot/reachability.h"
#include "snapshot/root_copy.h"
#include "util/result.h"

namespace pmt {

struct SnapshotOptions {
    pid_t pid = 0;
    uint64_t max_pause_ns = 0;
};

struct Snapshot {
    pid_t pid = 0;
    std::string php_version;
    std::string binary;
    size_t threads = 0;
    double pause_ms = 0;     // first thread seized -> last thread let go
    double analysis_ms = 0;  // page maps and free lists, after the target resumed
    double roots_ms = 0;     // the part of the pause that copied the roots (root_copy.h)
    bool exited_during_pause = false;
    std::unique_ptr<HeapCopy> copy;  // a stable address: blocks refers to it
    pmt_php_offsets offsets{};
    std::unique_ptr<HeapBlocks> blocks;
    // What holds the memory (null, with the reason in no_reachability, for a PHP
    // version whose engine layout is not verified, or globals not found).
    std::unique_ptr<RootCopy> roots;
    std::unique_ptr<Reachability> reachability;
    std::string no_reachability;
    PhpGraphOffsets graph_offsets{};
};

// Every check that can fail without touching the target comes first (root, the
// PID, a PHP binary with a known heap layout, the Zend allocator in use), each a
// one-line Error.
Result<Snapshot> take_snapshot(const SnapshotOptions& options);

}  // namespace pmt
