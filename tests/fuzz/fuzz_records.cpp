// libFuzzer target: a ring buffer record stream, decoded the way a record session
// with --faults and the heap tracer decodes it (session/record_session.cpp,
// heap/heap_session.cpp, faults/fault_session.cpp), then rendered.
//
// Input: the capture format of bench/tools/record_stream.h (the magic is
// optional): per record a u32 size, a u32 zero, the bytes padded to 8. A size
// past the end of the input is cut to what is left. Each record is copied into a
// buffer of exactly its size, so a read past a short record is an ASan error,
// as it would be a read of the next record (or of nothing) in the ring buffer.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "collect/collector.h"
#include "faults/fault_collector.h"
#include "faults/fault_session.h"
#include "heap/heap_tracker.h"
#include "render_all.h"

namespace {

constexpr std::string_view kMagic("PMTREC1\n", 8);
constexpr size_t kMaxRecords = 20000;

// Fault records without a VMA are classified from /proc/PID/maps; PIDs in the
// input are not ours to read.
std::vector<pmt::MapEntry> no_maps(uint32_t) { return {}; }

uint32_t read_u32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    size_t pos = 0;
    if (size >= kMagic.size() && std::memcmp(data, kMagic.data(), kMagic.size()) == 0) pos = kMagic.size();

    // Launch mode: the figures freeze when the first process seen ends its script.
    pmt::CollectorOptions options;
    if (pos + 8 + sizeof(pmt_record_header) <= size) {
        pmt_record_header first;
        std::memcpy(&first, data + pos + 8, sizeof(first));
        options.freeze_at_script_end_of = first.tgid;
        options.start_ns = first.ts_ns;
    }
    pmt::Collector collector(options);
    pmt::HeapTrackerOptions heap_options;
    heap_options.request_filter = "^/";
    heap_options.max_samples = 1000;
    heap_options.max_map_events = 1000;
    heap_options.max_requests = 100;  // small, so that the kept lists fill and evict
    heap_options.max_gc_runs = 100;
    pmt::HeapTracker heap(heap_options);
    heap.attach_to(collector);
    pmt::FaultCollector faults;
    faults.classifier().set_maps_reader(no_maps);
    uint64_t fault_ns = 0;
    pmt::route_fault_records(collector, faults, [&](uint32_t, uint64_t ns) { fault_ns += ns; });

    for (size_t n = 0; pos + 8 <= size && n < kMaxRecords; ++n) {
        size_t length = std::min<size_t>(read_u32(data + pos), size - pos - 8);
        pos += 8;
        auto record = std::make_unique<uint8_t[]>(length ? length : 1);
        std::memcpy(record.get(), data + pos, length);
        collector.on_record(record.get(), length);
        pos += (length + 7) & ~size_t(7);
    }

    pmt::Profile profile = collector.profile();
    heap.finish(profile, collector);
    profile.faults = faults.report([&](uint64_t ts) { return collector.seconds_since_start(ts); });
    pmt::fuzz::render_all(profile);
    return 0;
}
