// Everything the session knows about one traced process's heap, in one place:
// its live blocks, the regions its heap mapped, the huge blocks it allocated, and
// PHP's own figures. The Collector owns one per process and is the only one to
// handle fork, exec, exit and heap resets; the modules read (and the heap module
// maps and unmaps regions through the Collector).
#pragma once

#include <tsl/robin_map.h>

#include <cstdint>
#include <map>
#include <optional>

#include "util/hash.h"

namespace pmt {

struct ProcessHeap {
    struct Block {
        uint64_t size;        // as the heap counts it (zend_sizes.h)
        uint32_t stack;       // the Collector's stack id
        uint32_t generation;  // the heap generation it was allocated in
    };
    struct Region {
        uint64_t size;
        bool huge;  // a huge block (else one or more 2 MiB chunks)
    };

    // Blocks allocated since the tracer saw the process (the Collector's).
    tsl::robin_map<uint64_t, Block, AddressHash> live;
    uint64_t live_bytes = 0;
    std::optional<uint64_t> baseline_bytes;  // held when the tracer first saw it (attached mid-run, forked)
    uint64_t baseline_remaining = 0;         // of that, not freed since
    std::optional<int> exit_code;

    // What the heap mapped (heap.bpf.c's chunk records): chunks and huge blocks.
    std::map<uint64_t, Region> regions;
    uint64_t real_bytes = 0;  // chunks + huge blocks: memory_get_usage(true)
    uint64_t huge_bytes = 0;
    uint32_t chunks = 0;

    // Huge blocks by allocation, start -> end (allocation records): the fault
    // classifier tells them from other 2 MiB-aligned memory by these.
    std::map<uint64_t, uint64_t> huge_blocks;

    // heap->size: PHP's own figure at the last heap event (anchor), plus what
    // the tracer saw allocated and freed since among this generation's blocks.
    uint64_t anchor_used = 0;
    int64_t delta = 0;
    uint64_t limit = 0;  // heap->limit (memory_limit), 0: unknown
    // A generation begins at each request's start and after its heap reset:
    // blocks of an earlier one were wiped wholesale, their frees are not frees.
    uint32_t generation = 0;
    uint64_t generation_live_bytes = 0;  // live bytes allocated in this generation

    uint64_t used_bytes() const;
    void set_anchor(uint64_t heap_size) {
        anchor_used = heap_size;
        delta = 0;
    }
    bool in_huge_block(uint64_t addr) const;
};

}  // namespace pmt
