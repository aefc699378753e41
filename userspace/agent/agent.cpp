#include "agent/agent.h"

#include <atomic>
#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <unistd.h>

#include "agent/agent_cost.h"
#include "agent/agent_metrics.h"
#include "agent/agent_module.h"
#include "agent/budget_enforcer.h"
#include "agent/service_profiles.h"
#include "heap/heap_session.h"
#include "report/pprof_writer.h"
#include "session/session_core.h"
#include "target/process.h"
#include "util/output_file.h"

namespace pmt {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reopen{false};

using Clock = std::chrono::steady_clock;

int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string iso8601(int64_t unix_ms) {
    const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
    char buf[32];
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string basename_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// At a stop, queued profiles get this long to reach --push's endpoint.
constexpr double kPushDrainS = 5;

std::string host_name() {
    char buf[256] = {};
    if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
    return buf;
}

std::string joined(const std::set<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "+") + p;
    return out;
}

uint64_t dropped_of(const Counters& c) {
    return c.lost_events + c.lost_function_names + c.untraced_children + c.stack_table_full;
}

class Agent {
public:
    explicit Agent(const AgentOptions& options)
        : options_(options), files_(options.files), budget_(options.max_overhead, metrics_) {}

    Status start() {
        if (auto s = files_.check(); !s) return s;
        if (options_.metrics_address)
            if (auto s = metrics_.serve(*options_.metrics_address); !s) return s;
        if (options_.push) {
            auto url = parse_push_url(options_.push->url);
            if (!url) return url.error();
            pusher_ = std::make_unique<ProfilePusher>(*url, *options_.push,
                                                      [this](const PushCounts& c) { metrics_.set_push(c); });
        }
        rescan();
        enforce_budget();  // its first look: the processes found now count from here
        // --pid: each one must be a PHP process we trace, said before anything runs on.
        for (pid_t pid : options_.filter.pids)
            if (!traced_anywhere(pid)) {
                auto image = php_image_of_process(pid);
                return Error{"--pid " + std::to_string(pid) + ": " +
                             (image ? std::string("could not be traced (see above)") : image.error().message)};
            }
        if (!options_.ready_file.empty())
            if (auto s = write_output_file(options_.ready_file, OutputAccess::Shared,
                                           [](std::ostream& out) { out << "ready\n"; });
                !s)
                return Error{"--ready-file: " + s.error().message};
        return Status::success();
    }

    Status run() {
        const auto started = Clock::now();
        auto next_scan = started + seconds(options_.rescan_s);
        auto next_export = started + seconds(options_.interval_s);
        auto next_budget = started + seconds(BudgetEnforcer::kPeriodS);
        interval_start_ = unix_ms_now();
        while (!g_stop) {
            if (sessions_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            const int wait_ms = sessions_.size() > 1 ? 20 : 100;
            for (auto& [image, session] : sessions_)
                if (auto s = session->poll(wait_ms); !s) return s;
            const auto now = Clock::now();
            if (g_reopen.exchange(false)) {
                if (auto s = files_.check(); !s) std::cerr << "phpmemtrace agent: " << s.error().message << "\n";
                next_scan = now;
            }
            if (now >= next_scan) {
                rescan();
                next_scan = now + seconds(options_.rescan_s);
            }
            if (now >= next_budget) {
                enforce_budget();
                next_budget = now + seconds(BudgetEnforcer::kPeriodS);
            }
            if (now >= next_export) {
                export_interval();
                next_export = now + seconds(options_.interval_s);
            }
            if (options_.duration_s && now - started >= seconds(*options_.duration_s)) break;
        }
        export_interval();  // the last interval is never lost
        if (pusher_) {
            pusher_->stop(kPushDrainS);
            const PushCounts c = pusher_->counts();
            std::cerr << "phpmemtrace agent: --push: " << c.sent << " profiles sent, " << c.failures
                      << " failed attempts, " << c.dropped << " profiles dropped\n";
        }
        return Status::success();
    }

private:
    static Clock::duration seconds(double s) {
        return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
    }

    // The service of a traced process, from its title. An FPM worker is named
    // for good once its title says its pool; until then (a fork not yet renamed)
    // it is asked again.
    std::string service_of(uint32_t tgid, const std::string& image) {
        auto known = services_.find(tgid);
        if (known != services_.end() && known->second.final) return known->second.name;
        const std::string title = process_title(static_cast<pid_t>(tgid));
        if (title.empty()) return known != services_.end() ? known->second.name : basename_of(image);
        const std::string name = service_name(title, image);
        services_[tgid] = {name, title.rfind("php-fpm: master", 0) != 0};
        return name;
    }

    // --max-overhead, one control period (without a calibration there is no estimate).
    void enforce_budget() {
        if (!cost_) return;
        budget_.run_period(sessions_, *cost_, [this](pid_t pid, const std::string& image) {
            return service_of(static_cast<uint32_t>(pid), image);
        });
    }

    bool traced_anywhere(pid_t pid) const {
        for (const auto& [image, session] : sessions_)
            if (session->traces(pid)) return true;
        return false;
    }

    void rescan() {
        for (const PhpProcess& p : scanner_.scan()) {
            if (!options_.filter.accepts(p) || traced_anywhere(p.pid) || refused_images_.count(p.image)) continue;
            auto found = sessions_.find(p.image);
            if (found != sessions_.end()) {
                if (auto s = found->second->add_running_process(p.pid); !s && options_.verbose)
                    std::cerr << "phpmemtrace agent: process " << p.pid << ": " << s.error().message << "\n";
                continue;
            }
            open_session(p);
        }
    }

    void open_session(const PhpProcess& p) {
        SessionOptions so;
        so.pid = p.pid;
        so.probes = options_.probes;
        so.probes.slow_paths_only = true;
        so.probes.trap_group = agent_trap_groups();  // what --max-overhead can take off each process
        so.freeze_at_script_end = false;
        const std::string image = p.image;
        so.service_of = [this, image](uint32_t tgid) { return service_of(tgid, image); };
        std::vector<std::unique_ptr<SessionModule>> modules;
        modules.push_back(make_heap_module(HeapSessionOptions{}));
        modules.push_back(make_agent_module(metrics_, so.service_of));
        auto opened = Session::open(so, std::move(modules));
        if (!opened) {
            // One line per binary, then its processes are left alone.
            std::cerr << "phpmemtrace agent: not tracing " << image << " (process " << p.pid
                      << "): " << opened.error().message << "\n";
            refused_images_.insert(image);
            return;
        }
        if (!cost_) {
            // Priced from the first binary's probes (its functions' first instructions).
            const MemtraceProbes& probes = (*opened)->allocations();
            auto prices = calibrate_trap_prices(probes);
            if (prices) {
                cost_.emplace(prices_by_kind(*prices, probes, (*opened)->php().elf()));
                metrics_.set_trap_cost(cost_->mean_trap_ns());
            } else {  // no estimate rather than a 0% one; tried again with the next binary
                std::cerr << "phpmemtrace agent: " << prices.error().message
                          << " (overhead not estimated, --max-overhead not enforced)\n";
            }
        }
        php_versions_[image] = (*opened)->php().version().text;
        sessions_.emplace(image, std::move(*opened));
    }

    void export_interval() {
        const int64_t end = unix_ms_now();
        std::map<std::string, Profile> by_service;
        std::vector<uint64_t> traps(PMT_PROBE__MAX, 0);
        std::vector<pid_t> traced;
        Counters counters;
        std::string binaries;
        std::map<std::string, std::set<std::string>> service_binaries, service_versions;  // --push's labels
        for (auto& [image, session] : sessions_) {
            Profile snapshot = session->snapshot();
            if (getenv("PMT_AGENT_DEBUG"))
                std::cerr << "debug: allocs " << snapshot.counters.allocs << " frees " << snapshot.counters.frees
                          << " unknown " << snapshot.counters.unknown_frees << " wiped " << snapshot.counters.wiped_blocks
                          << " live " << snapshot.heap.live_bytes << "\n";
            split_by_service(snapshot, by_service);
            const auto counts = session->allocations().trap_counts();
            for (size_t k = 0; k < counts.size() && k < traps.size(); ++k) traps[k] += counts[k];
            for (pid_t pid : session->traced_processes()) {
                traced.push_back(pid);
                // Named even before its first record.
                const std::string service = service_of(static_cast<uint32_t>(pid), image);
                service_binaries[service].insert(basename_of(image));
                service_versions[service].insert(php_versions_[image]);
            }
            counters.lost_events += snapshot.counters.lost_events;
            counters.lost_function_names += snapshot.counters.lost_function_names;
            counters.untraced_children += snapshot.counters.untraced_children;
            counters.stack_table_full += snapshot.counters.stack_table_full;
            binaries += (binaries.empty() ? "" : " ") + image + " (PHP " + php_versions_[image] + ")";
        }
        if (cost_) {
            cost_->update(traps, traced);
            metrics_.set_trap_cost(cost_->mean_trap_ns());
            metrics_.set_overhead(cost_->interval_ratio(), cost_->trap_seconds_total(), cost_->target_cpu_seconds_total());
        }
        for (uint32_t kind = 1; kind < traps.size(); ++kind)
            if (traps[kind]) metrics_.set_traps(probe_kind_name(kind), traps[kind]);
        metrics_.set_dropped(dropped_of(counters));
        std::map<std::string, uint64_t> processes;
        for (pid_t pid : traced) {
            auto s = services_.find(static_cast<uint32_t>(pid));
            if (s != services_.end()) ++processes[s->second.name];
        }
        for (const auto& [service, n] : processes) metrics_.set_processes(service, n);
        // Forget the exited: a PID may come back as another program.
        const std::set<pid_t> alive(traced.begin(), traced.end());
        for (auto it = services_.begin(); it != services_.end();)
            it = alive.count(static_cast<pid_t>(it->first)) ? std::next(it) : services_.erase(it);

        for (auto& [service, profile] : by_service) {
            PhpProcess as_seen;
            as_seen.service = service;
            if (!options_.filter.pools.empty() || options_.filter.exclude) {
                as_seen.title = service;
                ProcessFilter by_name = options_.filter;
                by_name.pids.clear();
                by_name.binary.clear();
                if (!by_name.accepts(as_seen)) continue;  // a forked child of a pool not asked for
            }
            deltas_.to_interval(service, profile);
            uint64_t allocated = 0, inuse = 0;
            for (const Stack& s : profile.stacks) {
                allocated += s.stats.alloc_bytes;
                inuse += s.stats.live_bytes;
            }
            metrics_.add_allocated(service, allocated);
            metrics_.set_inuse(service, inuse);
            profile.started_at = iso8601(interval_start_);
            profile.duration_s = double(end - interval_start_) / 1000.0;
            profile.live_point = "interval_end";
            profile.target.binary = binaries;
            const std::vector<std::string> comments = {
                "phpmemtrace agent: service " + service + ", interval " + iso8601(interval_start_) + " to " +
                    iso8601(end),
                "slow paths only (docs/agent.md): alloc = small-bin page runs, large and huge blocks; "
                "inuse = those held at the interval's end (large and huge exact)",
                overhead_comment(),
                cost_ ? budget_.interval_comment(service) : "overhead budget: not enforced (no calibration)",
                "dropped so far: " + std::to_string(counters.lost_events) + " records, " +
                    std::to_string(counters.lost_function_names) + " function names, " +
                    std::to_string(counters.untraced_children) + " untraced children, " +
                    std::to_string(counters.stack_table_full) + " stacks past the table",
            };
            auto encoded = gzip_compress(encode_pprof(profile, comments));
            if (!encoded) {
                std::cerr << "phpmemtrace agent: " << service << ": " << encoded.error().message << "\n";
                continue;
            }
            auto written = files_.write_encoded(service, *encoded, end);
            if (!written) std::cerr << "phpmemtrace agent: " << written.error().message << "\n";
            else if (options_.verbose) std::cerr << "phpmemtrace agent: wrote " << *written << "\n";
            if (pusher_) {
                PushItem item;
                item.labels = {{"host", host_},
                               {"pool", service},
                               {"binary", joined(service_binaries[service])},
                               {"php_version", joined(service_versions[service])}};
                // Whole seconds, rounded down both: consecutive intervals do not overlap.
                item.from_s = interval_start_ / 1000;
                item.until_s = end / 1000;
                item.pprof_gz = std::move(*encoded);
                pusher_->enqueue(std::move(item));
            }
        }
        interval_start_ = end;
    }

    std::string overhead_comment() const {
        if (!cost_) return "agent overhead: not estimated (no calibration)";
        const std::string per_trap = " (" + std::to_string(cost_->mean_trap_ns()) + " ns per trap on average, calibrated at start-up)";
        if (cost_->interval_cpu_seconds() <= 0)
            return "agent overhead estimate, last interval: the traced processes used no measurable CPU time" + per_trap;
        return "agent overhead estimate, last interval: " + std::to_string(cost_->interval_ratio() * 100) +
               "% of the traced processes' CPU time" + per_trap;
    }

    struct ServiceName {
        std::string name;
        bool final = false;
    };
    const AgentOptions& options_;
    ProfileFiles files_;
    AgentMetrics metrics_;
    BudgetEnforcer budget_;                   // after metrics_: it reports to them
    std::unique_ptr<ProfilePusher> pusher_;  // after metrics_: its thread reports to them
    const std::string host_ = host_name();
    PhpProcessScanner scanner_;
    std::map<std::string, std::unique_ptr<Session>> sessions_;  // by PHP image
    std::map<std::string, std::string> php_versions_;
    std::set<std::string> refused_images_;
    std::map<uint32_t, ServiceName> services_;
    IntervalDeltas deltas_;
    std::optional<CostMeter> cost_;
    int64_t interval_start_ = 0;  // ms since the epoch
};

}  // namespace

void request_agent_stop() { g_stop = true; }
void request_agent_reopen() { g_reopen = true; }

Status run_agent(const AgentOptions& options) {
    g_stop = false;
    Agent agent(options);
    if (auto s = agent.start(); !s) return s;
    return agent.run();
}

}  // namespace pmt
