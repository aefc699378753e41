#include "agent/agent_metrics.h"

#include <algorithm>
#include <exception>

namespace pmt {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Request peaks from 256 KiB to 1 GiB, doubling: pm.max_children sizing needs
// the upper tail, memory_limit is usually 128 MiB.
prometheus::Histogram::BucketBoundaries peak_buckets() {
    prometheus::Histogram::BucketBoundaries b;
    for (double v = 256 * 1024; v <= 1024.0 * 1024 * 1024; v *= 2) b.push_back(v);
    return b;
}

}  // namespace

AgentMetrics::AgentMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      heap_used_(BuildGauge().Name("phpmemtrace_heap_used_bytes")
                     .Help("heap->size (memory_get_usage()) at the last request's end").Register(*registry_)),
      heap_real_(BuildGauge().Name("phpmemtrace_heap_real_bytes")
                     .Help("heap->real_size (memory_get_usage(true)) at the last request's end").Register(*registry_)),
      heap_peak_(BuildGauge().Name("phpmemtrace_heap_peak_bytes")
                     .Help("heap->peak (memory_get_peak_usage()) of the last request").Register(*registry_)),
      memory_limit_(BuildGauge().Name("phpmemtrace_memory_limit_bytes")
                        .Help("heap->limit (memory_limit) of the last request").Register(*registry_)),
      request_peak_(BuildHistogram().Name("phpmemtrace_request_peak_bytes")
                        .Help("Peak heap use of each request (memory_get_peak_usage() at its end)")
                        .Register(*registry_)),
      request_peak_by_uri_(BuildHistogram().Name("phpmemtrace_request_peak_by_uri_bytes")
                               .Help("Peak heap use of each request by URI (memory_get_peak_usage() at its end); "
                                     "_sum/_count is the mean")
                               .Register(*registry_)),
      requests_(BuildCounter().Name("phpmemtrace_requests_total").Help("Requests that ended").Register(*registry_)),
      gc_runs_(BuildCounter().Name("phpmemtrace_gc_runs_total").Help("zend_gc_collect_cycles() runs").Register(*registry_)),
      gc_collected_(BuildCounter().Name("phpmemtrace_gc_collected_total")
                        .Help("Items the garbage collector freed").Register(*registry_)),
      allocated_(BuildCounter().Name("phpmemtrace_slow_path_allocated_bytes_total")
                     .Help("Bytes the heap's slow paths handed out: small-bin page runs, large and huge blocks")
                     .Register(*registry_)),
      inuse_(BuildGauge().Name("phpmemtrace_slow_path_inuse_bytes")
                 .Help("Page runs, large and huge blocks held at the last interval's end").Register(*registry_)),
      processes_(BuildGauge().Name("phpmemtrace_traced_processes").Help("Processes traced").Register(*registry_)),
      traps_(BuildGauge().Name("phpmemtrace_agent_traps").Help("Uprobe entry hits in traced processes, by probe")
                 .Register(*registry_)),
      overhead_(BuildGauge().Name("phpmemtrace_agent_overhead_ratio")
                    .Help("Estimated trap time over the traced processes' CPU time, last interval")
                    .Register(*registry_)),
      trap_seconds_(BuildGauge().Name("phpmemtrace_agent_trap_seconds")
                        .Help("Estimated CPU seconds the traced processes spent in the agent's traps")
                        .Register(*registry_)),
      target_cpu_seconds_(BuildGauge().Name("phpmemtrace_agent_target_cpu_seconds")
                              .Help("CPU seconds of the traced processes while traced (/proc/PID/stat)")
                              .Register(*registry_)),
      trap_cost_(BuildGauge().Name("phpmemtrace_agent_trap_cost_seconds")
                     .Help("Cost of one uprobe hit, calibrated at start-up on this host").Register(*registry_)),
      dropped_(BuildGauge().Name("phpmemtrace_dropped_events")
                   .Help("Records lost (ring buffer full) and other drops").Register(*registry_)),
      budget_(BuildGauge().Name("phpmemtrace_agent_overhead_budget_ratio")
                  .Help("--max-overhead: the share of the traced processes' CPU time the traps may cost")
                  .Register(*registry_)),
      budget_estimate_(BuildGauge().Name("phpmemtrace_agent_overhead_window_ratio")
                           .Help("Estimated trap time over the watched processes' CPU time, last control period "
                                 "(what --max-overhead is enforced on)")
                           .Register(*registry_)),
      level_(BuildGauge().Name("phpmemtrace_agent_degradation_level")
                 .Help("Worst level of the pool's processes: 0 full, 1 no small-bin refills, 2 no large blocks, "
                       "3 no huge blocks, 4 not observed (docs/agent.md)")
                 .Register(*registry_)),
      degraded_(BuildGauge().Name("phpmemtrace_agent_degraded_processes")
                    .Help("Processes of the pool below full probes: its figures are partial").Register(*registry_)),
      level_changes_(BuildCounter().Name("phpmemtrace_agent_level_changes_total")
                         .Help("Processes degraded (direction=shed) or given probes back (restore)")
                         .Register(*registry_)),
      pool_traps_(BuildCounter().Name("phpmemtrace_agent_pool_traps_total")
                      .Help("Uprobe entry hits in the pool's processes, by link group (gauges, huge, large, refills)")
                      .Register(*registry_)),
      push_sent_(BuildCounter().Name("phpmemtrace_push_sent_total")
                     .Help("Profiles the --push endpoint accepted").Register(*registry_)),
      push_failures_(BuildCounter().Name("phpmemtrace_push_failures_total")
                         .Help("--push attempts that failed (each is retried with back-off)").Register(*registry_)),
      push_dropped_(BuildCounter().Name("phpmemtrace_push_dropped_total")
                        .Help("Profiles never pushed: the oldest of a full queue, or left at the stop")
                        .Register(*registry_)),
      push_queued_(BuildGauge().Name("phpmemtrace_push_queued_bytes")
                       .Help("Bytes of profiles waiting to be pushed").Register(*registry_)) {}

Status AgentMetrics::serve(const std::string& address) {
    try {
        exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
    } catch (const std::exception& e) {
        return Error{"--metrics " + address + ": cannot listen: " + e.what()};
    }
    exposer_->RegisterCollectable(registry_);
    return Status::success();
}

void AgentMetrics::on_request_end(const std::string& pool, const std::string& uri, const pmt_heap_state& heap,
                                  bool heap_read) {
    const prometheus::Labels labels{{"pool", pool}};
    requests_.Add(labels).Increment();
    if (!heap_read) return;
    heap_used_.Add(labels).Set(double(heap.size));
    heap_real_.Add(labels).Set(double(heap.real_size));
    heap_peak_.Add(labels).Set(double(heap.peak));
    memory_limit_.Add(labels).Set(double(heap.limit));
    request_peak_.Add(labels, peak_buckets()).Observe(double(heap.peak));
    if (uri.empty()) return;
    // The query would make a series per request: the path only, and a bounded number of them.
    std::string path = uri.substr(0, uri.find('?'));
    std::set<std::string>& known = uris_[pool];
    if (!known.count(path)) {
        if (known.size() < kMaxUrisPerPool) known.insert(path);
        else path = kOtherUris;
    }
    request_peak_by_uri_.Add({{"pool", pool}, {"uri", path}}, peak_buckets()).Observe(double(heap.peak));
}

void AgentMetrics::on_gc(const std::string& pool, int64_t collected) {
    gc_runs_.Add({{"pool", pool}}).Increment();
    if (collected > 0) gc_collected_.Add({{"pool", pool}}).Increment(double(collected));
}

void AgentMetrics::add_allocated(const std::string& pool, uint64_t bytes) {
    allocated_.Add({{"pool", pool}}).Increment(double(bytes));
}
void AgentMetrics::set_inuse(const std::string& pool, uint64_t bytes) { inuse_.Add({{"pool", pool}}).Set(double(bytes)); }
void AgentMetrics::set_processes(const std::string& pool, uint64_t n) { processes_.Add({{"pool", pool}}).Set(double(n)); }
void AgentMetrics::set_traps(const std::string& probe, uint64_t total) { traps_.Add({{"probe", probe}}).Set(double(total)); }
void AgentMetrics::set_overhead(double ratio, double trap_s, double cpu_s) {
    overhead_.Add({}).Set(ratio);
    trap_seconds_.Add({}).Set(trap_s);
    target_cpu_seconds_.Add({}).Set(cpu_s);
}
void AgentMetrics::set_dropped(uint64_t total) { dropped_.Add({}).Set(double(total)); }
void AgentMetrics::set_trap_cost(double ns) { trap_cost_.Add({}).Set(ns / 1e9); }

void AgentMetrics::set_budget(double ratio) { budget_.Add({}).Set(ratio); }
void AgentMetrics::set_budget_estimate(double ratio) { budget_estimate_.Add({}).Set(ratio); }
void AgentMetrics::set_degradation(const std::string& pool, int level, uint64_t degraded) {
    level_.Add({{"pool", pool}}).Set(level);
    degraded_.Add({{"pool", pool}}).Set(double(degraded));
}
void AgentMetrics::count_level_change(const std::string& pool, const std::string& direction) {
    level_changes_.Add({{"pool", pool}, {"direction", direction}}).Increment();
}
void AgentMetrics::add_pool_traps(const std::string& pool, const std::string& group, uint64_t traps) {
    pool_traps_.Add({{"pool", pool}, {"group", group}}).Increment(double(traps));
}

void AgentMetrics::set_push(const PushCounts& counts) {
    std::lock_guard lock(push_mutex_);
    // Counters only go up: advance each by what is new since the last call
    // (calls from two threads may arrive out of order).
    auto advance = [](prometheus::Family<prometheus::Counter>& family, uint64_t now, uint64_t& seen) {
        auto& counter = family.Add({});
        if (now > seen) counter.Increment(double(now - seen));
        seen = std::max(seen, now);
    };
    advance(push_sent_, counts.sent, push_seen_.sent);
    advance(push_failures_, counts.failures, push_seen_.failures);
    advance(push_dropped_, counts.dropped, push_seen_.dropped);
    push_queued_.Add({}).Set(double(counts.queued_bytes));
}

}  // namespace pmt
