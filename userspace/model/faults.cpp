#include "model/faults.h"

namespace pmt {

namespace {
constexpr const char* kRegionNames[kFaultRegionCount] = {
    "zend_heap", "zend_huge", "opcache", "anon", "file", "vm_stack", "code",
};
}  // namespace

const char* fault_region_name(FaultRegion region) {
    return kRegionNames[static_cast<size_t>(region)];
}

std::optional<FaultRegion> parse_fault_region(std::string_view name) {
    for (size_t i = 0; i < kFaultRegionCount; ++i)
        if (name == kRegionNames[i]) return static_cast<FaultRegion>(i);
    return std::nullopt;
}

uint64_t fault_bucket_floor_ns(size_t bucket) {
    return bucket == 0 ? 0 : uint64_t{128} << bucket;  // 0, 256, 512, ... 4 ms
}

}  // namespace pmt
