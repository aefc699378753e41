#include "snapshot/heap_copy.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "snapshot/heap_bytes.h"
#include "snapshot/parallel_reads.h"

namespace pmt {
namespace {

constexpr uint64_t kChunk = PMT_ZEND_CHUNK_SIZE;
// A chunk's first page holds what the list walk needs: its heap, its next
// chunk and, in the main chunk, the heap struct itself.
constexpr uint64_t kHeaderBytes = PMT_ZEND_PAGE_SIZE;

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

Error ended(pid_t pid) { return Error{"process " + std::to_string(pid) + " ended during the snapshot; nothing written"}; }
Error late() {
    return Error{"gave up: copying the heap took longer than --max-pause; the target was resumed, nothing written"};
}

// The lists are walked first, reading only what they need (each chunk's first
// page, the huge list's nodes once the chunks are in); the bulk of the bytes is
// then read on two threads (parallel_reads.h).
class Copier {
public:
    Copier(pid_t pid, const pmt_php_offsets& off, HeapCopy& copy, uint64_t deadline_ns)
        : pid_(pid), off_(off), copy_(copy), deadline_ns_(deadline_ns) {}

    Status copy_chunks() {
        const uint64_t main_chunk = copy_.heap_address - off_.chunk_heap_slot;
        auto main = read_header(main_chunk);
        if (!main) return *error_;
        if (main->bytes.empty()) return Error{"cannot read the main heap chunk at " + hex(main_chunk)};
        add_chunk(*main);
        budget_ = load_u64(copy_.heap_struct(), off_.heap_real_size).value_or(0);
        used_ = kChunk;
        auto next = load_u64(main->bytes, off_.chunk_next);
        Status walked = Status::success();
        while (next && *next != main_chunk) {
            const uint64_t chunk = *next;
            if (chunk % kChunk || copy_.chunk_index.count(chunk)) {
                walked = problem("the chunk list leads to " + hex(chunk) + ", not a new 2 MiB chunk; stopped there");
                break;
            }
            if (used_ + kChunk > budget_) {
                walked = problem("the chunk list is longer than heap->real_size allows; stopped at " + hex(chunk));
                break;
            }
            auto region = read_header(chunk);
            if (!region) return *error_;
            if (region->bytes.empty()) {
                walked = problem("cannot read the chunk at " + hex(chunk) + "; stopped there");
                break;
            }
            if (load_u64(region->bytes, off_.chunk_heap) != copy_.heap_address) {
                walked = problem("the chunk at " + hex(chunk) + " belongs to another heap; stopped there");
                break;
            }
            used_ += kChunk;
            add_chunk(*region);
            next = load_u64(region->bytes, off_.chunk_next);
        }
        if (!next) problem("the chunk list ends in an unreadable pointer");
        std::vector<ReadJob> bodies;
        for (const HeapRegion& c : copy_.chunks)
            bodies.push_back(ReadJob{c.address + kHeaderBytes, writable(c).subspan(kHeaderBytes)});
        if (auto failed = read_all(pid_, bodies, deadline_ns_))
            return failure(*failed, "the chunk at " + hex(bodies[failed->job].address - kHeaderBytes));
        copy_.bytes_copied += copy_.chunks.size() * kChunk;
        return walked;
    }

    Status copy_huge_blocks() {
        std::unordered_set<uint64_t> seen;
        std::vector<ReadJob> jobs;
        auto node = load_u64(copy_.heap_struct(), off_.heap_huge_list);
        while (node && *node) {
            const HeapRegion* holder = copy_.chunk_of(*node);
            if (!holder) return problem("a huge list node at " + hex(*node) + " is outside the heap's chunks");
            const uint64_t at = *node - holder->address;
            auto ptr = load_u64(holder->bytes, at + off_.huge_list_ptr);
            auto size = load_u64(holder->bytes, at + off_.huge_list_size);
            auto next = load_u64(holder->bytes, at + off_.huge_list_next);
            if (!ptr || !size || !next || *ptr % kChunk || *size % PMT_ZEND_PAGE_SIZE || *size <= PMT_ZEND_MAX_LARGE_SIZE ||
                seen.count(*ptr)) {
                problem("a huge list node at " + hex(*node) + " does not describe a new huge block");
                break;
            }
            if (*size > budget_ || used_ + *size > budget_) {
                problem("the huge list holds more than heap->real_size allows; stopped at " + hex(*ptr));
                break;
            }
            std::span<uint8_t> room = copy_.arena->take(*size);
            if (room.size() != *size) return out_of_memory(*size);
            seen.insert(*ptr);
            used_ += *size;
            copy_.huge.push_back(HeapRegion{*ptr, room});
            // In chunk-sized jobs, so both threads share a single huge block too.
            for (uint64_t done = 0; done < *size; done += kChunk)
                jobs.push_back(ReadJob{*ptr + done, room.subspan(done, std::min<uint64_t>(kChunk, *size - done))});
            node = next;
        }
        if (auto failed = read_all(pid_, jobs, deadline_ns_))
            return failure(*failed, "a huge block at " + hex(jobs[failed->job].address));
        for (const HeapRegion& h : copy_.huge) copy_.bytes_copied += h.bytes.size();
        return Status::success();
    }

private:
    // A chunk's room in the arena, its first page read; nullopt with error_ set
    // when the copy must stop as a whole, empty bytes when only this read failed.
    std::optional<HeapRegion> read_header(uint64_t address) {
        std::span<uint8_t> room = copy_.arena->take(kChunk);
        if (room.size() != kChunk) {
            error_ = out_of_memory(kChunk).error();
            return std::nullopt;
        }
        switch (read_region(pid_, address, room.first(kHeaderBytes), deadline_ns_)) {
            case ReadOutcome::Copied: return HeapRegion{address, room};
            case ReadOutcome::Unreadable: return HeapRegion{address, {}};
            case ReadOutcome::Ended: error_ = ended(pid_); return std::nullopt;
            case ReadOutcome::Late: error_ = late(); return std::nullopt;
        }
        return std::nullopt;
    }

    void add_chunk(const HeapRegion& region) {
        copy_.chunk_index[region.address] = copy_.chunks.size();
        copy_.chunks.push_back(region);
    }

    // The arena's bytes behind a region, to read into (the copy hands out const views).
    static std::span<uint8_t> writable(const HeapRegion& r) {
        return {const_cast<uint8_t*>(r.bytes.data()), r.bytes.size()};
    }

    Status failure(const ReadFailure& f, const std::string& what) {
        if (f.outcome == ReadOutcome::Ended) return ended(pid_);
        if (f.outcome == ReadOutcome::Late) return late();
        // Its list said it was there: the heap changed under us, or is not what it seems.
        return Error{"cannot read " + what + " that the heap's lists lead to; the target was resumed, nothing written"};
    }

    Status out_of_memory(uint64_t size) {
        return Error{"out of memory for a " + std::to_string(size >> 20) + " MiB copy; the target was resumed"};
    }

    // A broken list is reported with the snapshot, not fatal: what was copied
    // before it is still a true part of the heap.
    Status problem(std::string what) {
        copy_.problems.push_back(std::move(what));
        return Status::success();
    }

    pid_t pid_;
    const pmt_php_offsets& off_;
    HeapCopy& copy_;
    uint64_t deadline_ns_;
    uint64_t budget_ = 0;
    uint64_t used_ = 0;  // bytes copied so far: chunks, then huge blocks, never past budget_
    std::optional<Error> error_;
};

}  // namespace

const HeapRegion* HeapCopy::chunk_of(uint64_t address) const {
    auto it = chunk_index.find(address & ~(kChunk - 1));
    return it == chunk_index.end() ? nullptr : &chunks[it->second];
}

std::span<const uint8_t> HeapCopy::heap_struct() const {
    if (chunks.empty()) return {};
    return chunks.front().bytes.subspan(heap_address - chunks.front().address);
}

Result<HeapCopy> copy_heap(pid_t pid, uint64_t heap_address, const pmt_php_offsets& off,
                           std::unique_ptr<CopyArena> arena, uint64_t deadline_ns) {
    if (!off.chunk_heap_slot || (heap_address - off.chunk_heap_slot) % kChunk)
        return Error{"AG(mm_heap) = " + hex(heap_address) + " is not inside a 2 MiB chunk: not a Zend heap"};
    HeapCopy copy;
    copy.heap_address = heap_address;
    copy.arena = std::move(arena);
    Copier copier(pid, off, copy, deadline_ns);
    if (auto s = copier.copy_chunks(); !s) return s.error();
    if (auto s = copier.copy_huge_blocks(); !s) return s.error();
    return copy;
}

}  // namespace pmt
