// The agent's figures as Prometheus metrics (prometheus-cpp), served on
// --metrics ADDRESS:PORT at /metrics in the text exposition format. Every
// per-service series has the label pool="NAME" (the FPM pool, else binary_script).
// prometheus-cpp's metrics are atomic: the record loop updates them while the
// server's threads read them.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "agent/profile_push.h"
#include "phpmemtrace.h"
#include "util/result.h"

namespace pmt {

class AgentMetrics {
public:
    AgentMetrics();
    // Starts serving on `address` ("127.0.0.1:9187"); one line on failure.
    Status serve(const std::string& address);
    bool serving() const { return exposer_ != nullptr; }

    // php_request_shutdown entered: the script is over, its heap not yet emptied.
    // `heap_read`: the figures are valid (else only the request is counted).
    // `uri`: SG(request_info).request_uri (the script's path for the CLI); its
    // query is cut off, and past kMaxUrisPerPool a pool's others are kOtherUris.
    void on_request_end(const std::string& pool, const std::string& uri, const pmt_heap_state& heap, bool heap_read);
    static constexpr size_t kMaxUrisPerPool = 200;
    static constexpr const char* kOtherUris = "[other URIs]";
    void on_gc(const std::string& pool, int64_t collected);
    // Bytes the heap's slow paths handed out (page runs, large and huge blocks).
    void add_allocated(const std::string& pool, uint64_t bytes);
    void set_inuse(const std::string& pool, uint64_t bytes);
    void set_processes(const std::string& pool, uint64_t count);
    void set_traps(const std::string& probe, uint64_t total);
    void set_overhead(double ratio, double trap_seconds_total, double target_cpu_seconds_total);
    void set_dropped(uint64_t total);
    void set_trap_cost(double ns);
    // --max-overhead (budget_enforcer.h): the budget, the last control period's
    // estimate; per pool the worst level
    // and the processes below full, the level changes, the traps per link group.
    void set_budget(double ratio);
    void set_budget_estimate(double ratio);
    void set_degradation(const std::string& pool, int level, uint64_t degraded_processes);
    void count_level_change(const std::string& pool, const std::string& direction);
    void add_pool_traps(const std::string& pool, const std::string& group, uint64_t traps);
    // --push's counters; from the sender thread and the record loop.
    void set_push(const PushCounts& counts);

private:
    std::shared_ptr<prometheus::Registry> registry_;
    std::unique_ptr<prometheus::Exposer> exposer_;
    prometheus::Family<prometheus::Gauge>& heap_used_;
    prometheus::Family<prometheus::Gauge>& heap_real_;
    prometheus::Family<prometheus::Gauge>& heap_peak_;
    prometheus::Family<prometheus::Gauge>& memory_limit_;
    prometheus::Family<prometheus::Histogram>& request_peak_;
    prometheus::Family<prometheus::Histogram>& request_peak_by_uri_;
    std::map<std::string, std::set<std::string>> uris_;  // per pool, bounded (the record loop only)
    prometheus::Family<prometheus::Counter>& requests_;
    prometheus::Family<prometheus::Counter>& gc_runs_;
    prometheus::Family<prometheus::Counter>& gc_collected_;
    prometheus::Family<prometheus::Counter>& allocated_;
    prometheus::Family<prometheus::Gauge>& inuse_;
    prometheus::Family<prometheus::Gauge>& processes_;
    prometheus::Family<prometheus::Gauge>& traps_;
    prometheus::Family<prometheus::Gauge>& overhead_;
    prometheus::Family<prometheus::Gauge>& trap_seconds_;
    prometheus::Family<prometheus::Gauge>& target_cpu_seconds_;
    prometheus::Family<prometheus::Gauge>& trap_cost_;
    prometheus::Family<prometheus::Gauge>& dropped_;
    prometheus::Family<prometheus::Gauge>& budget_;
    prometheus::Family<prometheus::Gauge>& budget_estimate_;
    prometheus::Family<prometheus::Gauge>& level_;
    prometheus::Family<prometheus::Gauge>& degraded_;
    prometheus::Family<prometheus::Counter>& level_changes_;
    prometheus::Family<prometheus::Counter>& pool_traps_;
    prometheus::Family<prometheus::Counter>& push_sent_;
    prometheus::Family<prometheus::Counter>& push_failures_;
    prometheus::Family<prometheus::Counter>& push_dropped_;
    prometheus::Family<prometheus::Gauge>& push_queued_;
    std::mutex push_mutex_;
    PushCounts push_seen_;  // what the counters were advanced to
};

}  // namespace pmt
