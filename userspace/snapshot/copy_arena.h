// Memory the heap copy goes into, faulted in before the target is paused.
//
// A first write to a fresh anonymous page is a page fault (about 1.6 us on the
// build machines, docs/environment.md): 0.4 s per GiB of heap if it happened
// while the target is stopped. MAP_POPULATE takes those faults up front.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace pmt {

class CopyArena {
public:
    explicit CopyArena(size_t reserve_bytes);  // populated now (0: nothing reserved)
    ~CopyArena();
    CopyArena(const CopyArena&) = delete;
    CopyArena& operator=(const CopyArena&) = delete;

    // `bytes` of room; past the reserve a new mapping is made (faulted in then).
    // Empty when the system has no memory left.
    std::span<uint8_t> take(size_t bytes);
    size_t mapped_bytes() const;

private:
    struct Mapping {
        uint8_t* base = nullptr;
        size_t size = 0;
        size_t used = 0;
    };
    bool map(size_t bytes);
    std::vector<Mapping> mappings_;
};

}  // namespace pmt
