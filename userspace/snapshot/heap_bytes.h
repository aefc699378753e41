// Bounds-checked loads from bytes copied out of a target: a field that lies
// outside the copy reads as nullopt, never past its end.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace pmt {

template <typename T>
std::optional<T> load(std::span<const uint8_t> bytes, uint64_t offset) {
    if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return std::nullopt;
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

inline std::optional<uint64_t> load_u64(std::span<const uint8_t> bytes, uint64_t offset) {
    return load<uint64_t>(bytes, offset);
}

}  // namespace pmt
