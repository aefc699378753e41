#include "faults/fault_windows.h"

namespace pmt {

void FaultWindows::on_restore_begin(const pmt_restore_record& r) {
    Process& p = procs_[r.hdr.tgid];
    if (p.depth++ > 0) return;  // a restore function called by another one
    p.after.reset();            // the previous restore's "after" ends here
    RestoreFaults f;
    f.pid = r.hdr.tgid;
    f.function = r.function < names_.size() ? names_[r.function] : "restore#" + std::to_string(r.function);
    restores_.push_back(std::move(f));
    restore_ts_.push_back(r.hdr.ts_ns);
    p.during = Window{restores_.size() - 1, {}};
    p.begin_ts = r.hdr.ts_ns;
}

void FaultWindows::on_restore_end(const pmt_restore_record& r) {
    auto it = procs_.find(r.hdr.tgid);
    if (it == procs_.end() || it->second.depth == 0) return;  // attached mid-call
    Process& p = it->second;
    if (--p.depth > 0 || !p.during) return;
    const size_t index = p.during->index;
    restores_[index].duration_ns = r.hdr.ts_ns - p.begin_ts;
    p.during.reset();
    p.after = Window{index, {}};
}

void FaultWindows::on_request_begin(uint32_t tgid, uint64_t ts_ns) {
    RequestFaults f;
    f.pid = tgid;
    requests_.push_back(f);
    request_ts_.push_back(ts_ns);
    procs_[tgid].request = Window{requests_.size() - 1, {}};
}

void FaultWindows::on_request_end(uint32_t tgid) {
    auto it = procs_.find(tgid);
    if (it != procs_.end()) it->second.request.reset();
}

void FaultWindows::on_fault(uint32_t tgid, uint64_t addr, uint64_t ns, FaultKind kind) {
    auto it = procs_.find(tgid);
    if (it == procs_.end()) return;
    Process& p = it->second;
    const uint64_t page = addr / PMT_ZEND_PAGE_SIZE;
    if (p.during) {
        auto& f = restores_[p.during->index];
        ++f.faults_during;
        f.ns_during += ns;
    } else if (p.after) {
        auto& f = restores_[p.after->index];
        ++f.faults_after;
        f.cow_after += kind == FaultKind::Cow;
        f.ns_after += ns;
        f.pages_after += p.after->pages.insert(page).second;
    }
    if (p.request) {
        auto& f = requests_[p.request->index];
        ++f.faults;
        f.cow += kind == FaultKind::Cow;
        f.first_touch += kind == FaultKind::FirstTouch;
        f.ns += ns;
        f.pages += p.request->pages.insert(page).second;
    }
}

void FaultWindows::on_fork(uint32_t parent, uint32_t child, uint64_t ts_ns) {
    auto it = procs_.find(parent);
    if (it != procs_.end() && it->second.request) on_request_begin(child, ts_ns);
}

void FaultWindows::on_exit(uint32_t tgid) { procs_.erase(tgid); }

void FaultWindows::fill(FaultReport& report, const std::function<double(uint64_t)>& to_seconds,
                        double cow_mean_ns) const {
    report.restores = restores_;
    for (size_t i = 0; i < report.restores.size(); ++i) {
        auto& r = report.restores[i];
        if (to_seconds) r.t_s = to_seconds(restore_ts_[i]);
        r.break_even_pages = cow_mean_ns > 0 ? static_cast<uint64_t>(r.duration_ns / cow_mean_ns + 0.5) : 0;
    }
    report.requests = requests_;
    if (to_seconds)
        for (size_t i = 0; i < report.requests.size(); ++i) report.requests[i].t_s = to_seconds(request_ts_[i]);
}

}  // namespace pmt
