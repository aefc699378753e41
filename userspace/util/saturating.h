// Signed sums of sizes read from records, which are untrusted: they saturate
// rather than overflow (undefined behaviour). Real heaps never come near the bounds.
#pragma once

#include <cstdint>

namespace pmt {

inline int64_t clamp_signed(uint64_t v) { return v > uint64_t(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v); }

inline int64_t add_saturating(int64_t a, int64_t b) {
    int64_t sum;
    if (!__builtin_add_overflow(a, b, &sum)) return sum;
    return b > 0 ? INT64_MAX : INT64_MIN;
}

}  // namespace pmt
