#include "faults/fault_collector.h"

#include <cstring>

namespace pmt {

namespace {
template <typename T>
bool read_record(const void* data, size_t size, T& out) {
    if (size < sizeof(T)) return false;
    std::memcpy(&out, data, sizeof(T));
    return true;
}
}  // namespace

std::optional<FaultAttribution> FaultCollector::on_record(const pmt_record_header& hdr, const void* data,
                                                          size_t size) {
    switch (hdr.kind) {
    case PMT_REC_FAULT:
        return on_fault(data, size);
    case PMT_REC_ALLOC:
    case PMT_REC_REALLOC: {
        if (size < PMT_ALLOC_RECORD_FIXED_SIZE) return std::nullopt;
        pmt_alloc_record r;
        std::memcpy(&r, data, PMT_ALLOC_RECORD_FIXED_SIZE);
        if (r.old_ptr) classifier_.forget_huge(hdr.tgid, r.old_ptr);
        if (r.size > PMT_ZEND_MAX_LARGE_SIZE) classifier_.note_huge(hdr.tgid, r.ptr, r.size);
        return std::nullopt;
    }
    case PMT_REC_FREE: {
        pmt_free_record r;
        // Huge blocks are chunk aligned: skip the map lookup for everything else.
        if (read_record(data, size, r) && !(r.ptr & (PMT_ZEND_CHUNK_SIZE - 1)))
            classifier_.forget_huge(hdr.tgid, r.ptr);
        return std::nullopt;
    }
    case PMT_REC_PROC_FORK: {
        pmt_proc_record r;
        if (read_record(data, size, r)) {
            classifier_.on_fork(hdr.tgid, r.child_tgid);
            windows_.on_fork(hdr.tgid, r.child_tgid, hdr.ts_ns);
        }
        return std::nullopt;
    }
    case PMT_REC_PROC_EXIT:
        classifier_.on_exit(hdr.tgid);
        windows_.on_exit(hdr.tgid);
        return std::nullopt;
    case PMT_REC_RESTORE_BEGIN:
    case PMT_REC_RESTORE_END: {
        pmt_restore_record r;
        if (!read_record(data, size, r)) {
            ++malformed_;
        } else if (hdr.kind == PMT_REC_RESTORE_BEGIN) {
            windows_.on_restore_begin(r);
        } else {
            windows_.on_restore_end(r);
        }
        return std::nullopt;
    }
    case PMT_REC_REQUEST:
        if (hdr.flags & PMT_REQUEST_BEGIN)
            windows_.on_request_begin(hdr.tgid, hdr.ts_ns);
        else if (!(hdr.flags & PMT_REQUEST_DONE))
            windows_.on_request_end(hdr.tgid);
        return std::nullopt;
    default:
        return std::nullopt;
    }
}

std::optional<FaultAttribution> FaultCollector::on_fault(const void* data, size_t size) {
    if (size < PMT_FAULT_RECORD_FIXED_SIZE) {
        ++malformed_;
        return std::nullopt;
    }
    const auto* r = static_cast<const pmt_fault_record*>(data);
    uint16_t depth = 0;
    std::memcpy(&depth, &r->depth, sizeof(depth));
    if (depth > PMT_MAX_FRAMES || PMT_FAULT_RECORD_FIXED_SIZE + depth * sizeof(pmt_frame) > size) {
        ++malformed_;
        return std::nullopt;
    }
    // The fixed part is copied (the ring buffer only guarantees 8-byte alignment,
    // which is enough, but a copy keeps the classifier independent of the buffer).
    pmt_fault_record fixed;
    std::memcpy(&fixed, data, PMT_FAULT_RECORD_FIXED_SIZE);
    const auto c = classifier_.classify(fixed);
    stats_.add(c.region, c.kind, fixed.flags & PMT_FAULT_MAJOR, fixed.ns);
    windows_.on_fault(fixed.hdr.tgid, fixed.addr, fixed.ns, c.kind);
    if (c.kind == FaultKind::Cow) {
        ++cow_count_;
        cow_ns_ += fixed.ns;
    }
    return FaultAttribution{fixed.hdr.tgid, std::span<const pmt_frame>(r->frames, depth), fixed.ns,
                            c.region, c.kind};
}

FaultReport FaultCollector::report(const std::function<double(uint64_t)>& to_seconds) const {
    FaultReport out = stats_.report();
    windows_.fill(out, to_seconds, cow_count_ ? double(cow_ns_) / double(cow_count_) : 0);
    out.counters = kernel_counters_;
    out.counters.malformed_records = malformed_;
    return out;
}

}  // namespace pmt
