#include "snapshot/heap_copy.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "session/session_core.h"
#include "snapshot/heap_bytes.h"

namespace pmt {
namespace {

constexpr uint64_t kChunk = PMT_ZEND_CHUNK_SIZE;
// A huge block is read in pieces, so --max-pause is looked at every few ms.
constexpr size_t kReadPiece = 32u << 20;

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

enum class ReadOutcome { Copied, Unreadable, Ended, Late };

ReadOutcome read_region(pid_t pid, uint64_t address, std::span<uint8_t> out, uint64_t deadline_ns) {
    for (size_t done = 0; done < out.size();) {
        const size_t piece = std::min(kReadPiece, out.size() - done);
        iovec local{out.data() + done, piece};
        iovec remote{reinterpret_cast<void*>(address + done), piece};
        const ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n < 0 && errno == ESRCH) return ReadOutcome::Ended;
        if (n != static_cast<ssize_t>(piece)) return ReadOutcome::Unreadable;
        done += piece;
        if (monotonic_ns() > deadline_ns) return ReadOutcome::Late;
    }
    return ReadOutcome::Copied;
}

Error ended(pid_t pid) { return Error{"process " + std::to_string(pid) + " ended during the snapshot; nothing written"}; }
Error late() {
    return Error{"gave up: copying the heap took longer than --max-pause; the target was resumed, nothing written"};
}

class Copier {
public:
    Copier(pid_t pid, const pmt_php_offsets& off, HeapCopy& copy, uint64_t deadline_ns)
        : pid_(pid), off_(off), copy_(copy), deadline_ns_(deadline_ns) {}

    // Copies `size` bytes at `address` into the arena; nullopt with `error_` set
    // when the copy must stop as a whole, an empty region when only this read failed.
    std::optional<HeapRegion> read(uint64_t address, uint64_t size) {
        std::span<uint8_t> room = copy_.arena->take(size);
        if (room.size() != size) {
            error_ = Error{"out of memory for a " + std::to_string(size >> 20) + " MiB copy; the target was resumed"};
            return std::nullopt;
        }
        switch (read_region(pid_, address, room, deadline_ns_)) {
            case ReadOutcome::Copied:
                copy_.bytes_copied += size;
                return HeapRegion{address, room};
            case ReadOutcome::Unreadable:
                return HeapRegion{address, {}};
            case ReadOutcome::Ended:
                error_ = ended(pid_);
                return std::nullopt;
            case ReadOutcome::Late:
                error_ = late();
                return std::nullopt;
        }
        return std::nullopt;
    }

    Status copy_chunks() {
        const uint64_t main_chunk = copy_.heap_address - off_.chunk_heap_slot;
        auto main = read(main_chunk, kChunk);
        if (!main) return *error_;
        if (main->bytes.empty()) return Error{"cannot read the main heap chunk at " + hex(main_chunk)};
        copy_.chunks.push_back(*main);
        copy_.chunk_index[main_chunk] = 0;
        auto real_size = load_u64(copy_.heap_struct(), off_.heap_real_size);
        budget_ = real_size.value_or(0);
        used_ = kChunk;
        auto next = load_u64(main->bytes, off_.chunk_next);
        while (next && *next != main_chunk) {
            const uint64_t chunk = *next;
            if (chunk % kChunk || copy_.chunk_index.count(chunk))
                return problem("the chunk list leads to " + hex(chunk) + ", not a new 2 MiB chunk; stopped there");
            if (used_ + kChunk > budget_)
                return problem("the chunk list is longer than heap->real_size allows; stopped at " + hex(chunk));
            auto region = read(chunk, kChunk);
            if (!region) return *error_;
            if (region->bytes.empty()) return problem("cannot read the chunk at " + hex(chunk) + "; stopped there");
            if (load_u64(region->bytes, off_.chunk_heap) != copy_.heap_address)
                return problem("the chunk at " + hex(chunk) + " belongs to another heap; stopped there");
            used_ += kChunk;
            copy_.chunk_index[chunk] = copy_.chunks.size();
            copy_.chunks.push_back(*region);
            next = load_u64(region->bytes, off_.chunk_next);
        }
        if (!next) return problem("the chunk list ends in an unreadable pointer");
        return Status::success();
    }

    Status copy_huge_blocks() {
        std::unordered_set<uint64_t> seen;
        auto node = load_u64(copy_.heap_struct(), off_.heap_huge_list);
        while (node && *node) {
            const HeapRegion* holder = copy_.chunk_of(*node);
            if (!holder) return problem("a huge list node at " + hex(*node) + " is outside the heap's chunks");
            const uint64_t at = *node - holder->address;
            auto ptr = load_u64(holder->bytes, at + off_.huge_list_ptr);
            auto size = load_u64(holder->bytes, at + off_.huge_list_size);
            auto next = load_u64(holder->bytes, at + off_.huge_list_next);
            if (!ptr || !size || !next || *ptr % kChunk || *size % PMT_ZEND_PAGE_SIZE || *size <= PMT_ZEND_MAX_LARGE_SIZE ||
                seen.count(*ptr))
                return problem("a huge list node at " + hex(*node) + " does not describe a new huge block");
            if (*size > budget_ || used_ + *size > budget_)
                return problem("the huge list holds more than heap->real_size allows; stopped at " + hex(*ptr));
            auto region = read(*ptr, *size);
            if (!region) return *error_;
            if (region->bytes.empty()) return problem("cannot read the huge block at " + hex(*ptr));
            seen.insert(*ptr);
            used_ += *size;
            copy_.huge.push_back(*region);
            node = next;
        }
        return Status::success();
    }

private:
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
