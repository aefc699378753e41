#include "faults/fault_collector.h"

#include <cstring>

namespace pmt {

std::optional<FaultAttribution> FaultCollector::on_record(const RecordView& record) {
    const uint32_t tgid = record.tgid();
    switch (record.kind()) {
    case PMT_REC_FAULT:
        return on_fault(record);
    case PMT_REC_PROC_FORK:
        classifier_.on_fork(tgid, record.proc().child_tgid);
        windows_.on_fork(tgid, record.proc().child_tgid, record.header().ts_ns);
        return std::nullopt;
    case PMT_REC_PROC_EXIT:
        classifier_.on_exit(tgid);
        windows_.on_exit(tgid);
        return std::nullopt;
    case PMT_REC_RESTORE_BEGIN:
        windows_.on_restore_begin(record.restore());
        return std::nullopt;
    case PMT_REC_RESTORE_END:
        windows_.on_restore_end(record.restore());
        return std::nullopt;
    case PMT_REC_REQUEST:
        if (record.header().flags & PMT_REQUEST_BEGIN)
            windows_.on_request_begin(tgid, record.header().ts_ns);
        else if (!(record.header().flags & PMT_REQUEST_DONE))
            windows_.on_request_end(tgid);
        return std::nullopt;
    default:
        return std::nullopt;
    }
}

std::optional<FaultAttribution> FaultCollector::on_fault(const RecordView& record) {
    if (record.frames_truncated()) {  // the record claims more frames than arrived
        ++malformed_;
        return std::nullopt;
    }
    const pmt_fault_record& fixed = record.fault();
    const bool huge = in_huge_block_ && in_huge_block_(fixed.hdr.tgid, fixed.addr);
    const auto c = classifier_.classify(fixed, huge);
    stats_.add(c.region, c.kind, fixed.flags & PMT_FAULT_MAJOR, fixed.ns);
    windows_.on_fault(fixed.hdr.tgid, fixed.addr, fixed.ns, c.kind);
    if (c.kind == FaultKind::Cow) {
        ++cow_count_;
        cow_ns_ += fixed.ns;
    }
    return FaultAttribution{fixed.hdr.tgid, record.frames(), fixed.ns, c.region, c.kind};
}

FaultReport FaultCollector::report(const std::function<double(uint64_t)>& to_seconds) const {
    FaultReport out = stats_.report();
    windows_.fill(out, to_seconds, cow_count_ ? double(cow_ns_) / double(cow_count_) : 0);
    out.counters = kernel_counters_;
    out.counters.malformed_records = malformed_;
    return out;
}

}  // namespace pmt
