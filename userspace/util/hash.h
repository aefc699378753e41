// One hash for the collector's tables: XXH3 (Debian's libxxhash-dev), inlined.
//
// The tables are robin-hood maps with power-of-two sizes, so every input bit
// must reach the low bits of the hash. A hand-rolled combine that left a
// frame's symbol in the high bits made 10,000 distinct stacks collide into one
// bucket chain, and the map doubled itself to tens of GB trying to spread them.
#pragma once

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace pmt {

// Hash of the bytes of `items`: only for types without padding (every byte is a value).
template <typename T>
uint64_t hash_items(std::span<const T> items, uint64_t seed = 0) {
    static_assert(std::has_unique_object_representations_v<T>, "padding bytes would make equal values hash apart");
    return XXH3_64bits_withSeed(items.data(), items.size_bytes(), seed);
}

}  // namespace pmt

namespace pmt {

// For maps keyed by addresses in the target (blocks, zend_function pointers).
// std::hash<uint64_t> is the identity: page-aligned blocks would all land in
// every 4096th bucket of a power-of-two table.
struct AddressHash {
    size_t operator()(uint64_t address) const { return XXH3_64bits(&address, sizeof(address)); }
};

}  // namespace pmt
