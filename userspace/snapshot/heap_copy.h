// A copy of a paused process's Zend heap: the 2 MiB chunks, reached from the main
// chunk's list, and the huge blocks, reached from the heap's huge list. The
// copy is all the analysis reads; everything in it came from the target and is
// checked before it is followed (heap_bytes.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "phpmemtrace.h"
#include "snapshot/copy_arena.h"
#include "util/result.h"

namespace pmt {

struct HeapRegion {
    uint64_t address = 0;  // in the target
    std::span<const uint8_t> bytes;
};

struct HeapCopy {
    uint64_t heap_address = 0;        // AG(mm_heap), inside the main chunk
    std::vector<HeapRegion> chunks;   // [0]: the main chunk, then its list's order
    std::vector<HeapRegion> huge;     // huge blocks: bytes.size() is the size the heap counts
    std::unordered_map<uint64_t, size_t> chunk_index;  // chunk address -> chunks[i]
    uint64_t bytes_copied = 0;
    // Where a list could not be followed (a pointer out of the heap, a loop, more
    // than real_size allows). Empty for a whole copy.
    std::vector<std::string> problems;
    std::unique_ptr<CopyArena> arena;  // owns the bytes

    // The copied chunk holding `address`, or nullptr.
    const HeapRegion* chunk_of(uint64_t address) const;
    // The zend_mm_heap struct's bytes (in the main chunk's copy).
    std::span<const uint8_t> heap_struct() const;
};

// Copies the heap of `pid`, which must be paused; `heap_address` is AG(mm_heap).
// Gives up when monotonic time passes `deadline_ns`, or the process ends.
Result<HeapCopy> copy_heap(pid_t pid, uint64_t heap_address, const pmt_php_offsets& off,
                           std::unique_ptr<CopyArena> arena, uint64_t deadline_ns);

}  // namespace pmt
