#include "snapshot/block_index.h"

#include <algorithm>

namespace pmt {

BlockIndex::BlockIndex(const HeapCopy& copy, const HeapBlocks& blocks) : copy_(copy) {
    blocks.for_each([&](const HeapBlock& b) { blocks_.push_back(b); });
    std::sort(blocks_.begin(), blocks_.end(), [](const HeapBlock& a, const HeapBlock& b) { return a.address < b.address; });
}

std::optional<uint32_t> BlockIndex::find(uint64_t address) const {
    auto it = std::upper_bound(blocks_.begin(), blocks_.end(), address,
                               [](uint64_t a, const HeapBlock& b) { return a < b.address; });
    if (it == blocks_.begin()) return std::nullopt;
    --it;
    if (address - it->address >= it->size) return std::nullopt;
    return static_cast<uint32_t>(it - blocks_.begin());
}

std::span<const uint8_t> BlockIndex::bytes(uint32_t i) const {
    const HeapBlock& b = blocks_[i];
    const HeapRegion& region = b.kind == BlockKind::Huge ? copy_.huge[b.chunk] : copy_.chunks[b.chunk];
    const uint64_t at = b.address - region.address;
    if (at > region.bytes.size() || region.bytes.size() - at < b.size) return {};
    return region.bytes.subspan(at, b.size);
}

std::span<const uint8_t> BlockIndex::view(uint64_t address, uint64_t length) const {
    auto i = find(address);
    if (!i) return {};
    const auto all = bytes(*i);
    const uint64_t at = address - blocks_[*i].address;
    if (at > all.size() || all.size() - at < length) return {};
    return all.subspan(at, length);
}

}  // namespace pmt
