#include "snapshot/copy_arena.h"

#include <sys/mman.h>

#include <algorithm>

namespace pmt {
namespace {
constexpr size_t kPage = 4096;
constexpr size_t kGrowth = 64u << 20;  // a refill during the pause: whole chunks at a time
}  // namespace

CopyArena::CopyArena(size_t reserve_bytes) {
    if (reserve_bytes) map(reserve_bytes);
}

CopyArena::~CopyArena() {
    for (const Mapping& m : mappings_) munmap(m.base, m.size);
}

bool CopyArena::map(size_t bytes) {
    bytes = (bytes + kPage - 1) / kPage * kPage;
    void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (base == MAP_FAILED) return false;
    mappings_.push_back(Mapping{static_cast<uint8_t*>(base), bytes, 0});
    return true;
}

std::span<uint8_t> CopyArena::take(size_t bytes) {
    if (mappings_.empty() || mappings_.back().size - mappings_.back().used < bytes)
        if (!map(std::max(bytes, kGrowth))) return {};
    Mapping& m = mappings_.back();
    std::span<uint8_t> out(m.base + m.used, bytes);
    m.used += (bytes + 63) / 64 * 64;
    m.used = std::min(m.used, m.size);
    return out;
}

size_t CopyArena::mapped_bytes() const {
    size_t total = 0;
    for (const Mapping& m : mappings_) total += m.size;
    return total;
}

}  // namespace pmt
