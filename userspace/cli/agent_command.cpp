// `phpmemtrace agent`: the command-line face of run_agent() (agent/agent.h).
#include <signal.h>
#include <climits>
#include <cstdlib>

#include <algorithm>

#include <iostream>
#include <memory>
#include <regex>

#include "agent/agent.h"
#include "attach/kernel_features.h"
#include "cli/commands.h"
#include "util/output_file.h"

namespace pmt::cli {
namespace {

struct AgentArgs {
    std::vector<int> pids;
    std::string binary;
    std::vector<std::string> pools;
    std::string exclude;
    std::string out;
    double interval_s = 60;
    double rescan_s = 5;
    std::string metrics;
    std::string push;
    std::string push_queue = "64M";
    double push_retry_max_s = 30;
    double duration_s = 0;
    double max_overhead_percent = 1.0;
    size_t max_files = 60;
    std::string max_bytes = "256M";
    uint32_t max_frames = PMT_DEFAULT_FRAMES;
    uint32_t ringbuf_mb = 16;
    bool no_uprobe_multi = false;
    std::string ready_file;
    bool verbose = false;
};

void on_stop_signal(int) { request_agent_stop(); }
void on_hangup(int) { request_agent_reopen(); }

// "127.0.0.1:9187": the endpoint stays on loopback unless told otherwise.
bool valid_listen_address(const std::string& text) {
    static const std::regex form(R"(^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):(\d{1,5})$)");
    std::smatch m;
    if (!std::regex_match(text, m, form)) return false;
    const long port = std::stol(m[3].str());
    return port >= 1 && port <= 65535;
}

int run_agent_command(const AgentArgs& args) {
    AgentOptions options;
    for (int pid : args.pids) options.filter.pids.push_back(pid);
    if (!args.binary.empty()) {
        char resolved[PATH_MAX];
        if (!realpath(args.binary.c_str(), resolved)) {
            std::cerr << "phpmemtrace: --binary " << args.binary << ": no such file\n";
            return 2;
        }
        options.filter.binary = resolved;
    }
    options.filter.pools = args.pools;
    if (!args.exclude.empty()) {
        try {
            options.filter.exclude = std::regex(args.exclude);
        } catch (const std::regex_error&) {
            std::cerr << "phpmemtrace: --exclude: not a regular expression: " << args.exclude << "\n";
            return 2;
        }
    }
    if (!args.metrics.empty() && !valid_listen_address(args.metrics)) {
        std::cerr << "phpmemtrace: --metrics: not ADDRESS:PORT (e.g. 127.0.0.1:9187): " << args.metrics << "\n";
        return 2;
    }
    if (!args.metrics.empty()) options.metrics_address = args.metrics;
    if (!args.push.empty()) {
        if (auto url = parse_push_url(args.push); !url) {
            std::cerr << "phpmemtrace: " << url.error().message << "\n";
            return 2;
        }
        PushOptions push;
        push.url = args.push;
        push.max_queued_bytes = *parse_bytes(args.push_queue);  // byte_size() checked it
        push.max_backoff_s = args.push_retry_max_s;
        options.push = push;
    }
    if (!args.ready_file.empty() && !paths_pass({args.ready_file}, check_output_path)) return 2;
    options.files.dir = args.out;
    options.files.max_files = args.max_files;
    options.files.max_bytes = *parse_bytes(args.max_bytes);  // byte_size() checked it
    options.interval_s = args.interval_s;
    options.max_overhead = args.max_overhead_percent / 100.0;
    options.rescan_s = std::min(args.rescan_s, args.interval_s);
    if (args.duration_s > 0) options.duration_s = args.duration_s;
    options.probes.max_frames = args.max_frames;
    options.probes.ringbuf_mb = args.ringbuf_mb;
    options.probes.use_uprobe_multi = !args.no_uprobe_multi;
    options.ready_file = args.ready_file;
    options.verbose = args.verbose;
    quiet_libbpf_logging(args.verbose);
    if (auto s = check_kernel_features(false); !s) {
        std::cerr << "phpmemtrace: " << s.error().message << "\n";
        return 1;
    }
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    for (int signal : {SIGINT, SIGTERM}) sigaction(signal, &sa, nullptr);
    sa.sa_handler = on_hangup;
    sigaction(SIGHUP, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a scraper hanging up must not end the agent
    if (auto s = run_agent(options); !s) {
        std::cerr << "phpmemtrace: " << s.error().message << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

void register_agent_command(CLI::App& app) {
    auto args = std::make_shared<AgentArgs>();
    CLI::App* cmd = app.add_subcommand(
        "agent", "Trace every PHP process of the host, always on, at a cost that does not grow with the "
                 "allocation rate; one pprof per service and interval (docs/agent.md)");
    cmd->add_option("-p,--pid", args->pids, "Only these processes (and the children they fork); may be repeated")
        ->check(whole_number_between(1, kMaxPid));
    cmd->add_option("--binary", args->binary, "Only processes running this PHP binary (or libphp*.so)");
    cmd->add_option("--pool", args->pools, "Only this service (FPM pool name, or binary_script); may be repeated");
    cmd->add_option("--exclude", args->exclude,
                    "Leave out processes whose command line or service matches this regular expression");
    cmd->add_option("--out", args->out, "Folder for the profiles: <service>-<UTC time>.pb.gz")->required();
    cmd->add_option("--interval", args->interval_s, "Seconds per profile")->capture_default_str()->check(positive_seconds());
    cmd->add_option("--rescan", args->rescan_s, "Seconds between /proc scans for new PHP processes")
        ->capture_default_str()
        ->check(positive_seconds());
    cmd->add_option("--metrics", args->metrics, "Serve Prometheus metrics at http://ADDRESS:PORT/metrics "
                                               "(e.g. 127.0.0.1:9187)");
    cmd->add_option("--push", args->push,
                    "Also send every profile to a Pyroscope-compatible server: POST URL/ingest?format=pprof "
                    "(e.g. http://127.0.0.1:4040)");
    cmd->add_option("--push-queue", args->push_queue,
                    "Bytes of profiles kept while --push's server is unreachable (the oldest go first)")
        ->capture_default_str()
        ->check(byte_size());
    cmd->add_option("--push-retry-max", args->push_retry_max_s, "Longest wait between --push retries, in seconds")
        ->capture_default_str()
        ->check(positive_seconds());
    cmd->add_option("--max-files", args->max_files, "Profiles kept per service (the oldest go)")
        ->capture_default_str()
        ->check(whole_number_between(1, 1000000));
    cmd->add_option("--max-bytes", args->max_bytes, "Bytes of profiles kept in --out, all services (e.g. 256M)")
        ->capture_default_str()
        ->check(byte_size());
    cmd->add_option("--max-overhead", args->max_overhead_percent,
                    "The budget, in percent of the traced processes' CPU time, for the traps: above it probes are "
                    "taken off the busiest processes in a stated order, and put back when well below (docs/agent.md)")
        ->capture_default_str()
        ->check(percentage());
    cmd->add_option("-d,--duration", args->duration_s, "Stop after this many seconds (default: until SIGINT/SIGTERM)")
        ->check(positive_seconds());
    cmd->add_option("--max-frames", args->max_frames, "PHP frames walked per event")
        ->capture_default_str()
        ->check(whole_number_between(1, PMT_MAX_FRAMES));
    cmd->add_option("--ringbuf-mb", args->ringbuf_mb, "Ring buffer size in MiB per PHP binary (power of two)")
        ->capture_default_str()
        ->check(power_of_two_between(1, 1024));
    cmd->add_flag("--no-uprobe-multi", args->no_uprobe_multi, "One perf-event uprobe per function");
    cmd->add_option("--ready-file", args->ready_file, "Write 'ready' here once the processes found are traced");
    cmd->add_flag("-v,--verbose", args->verbose, "Show libbpf's messages and every file written");
    cmd->footer("SIGHUP re-checks --out and rescans; SIGINT/SIGTERM write the last interval and stop.");
    cmd->callback([args] { std::exit(run_agent_command(*args)); });
}

}  // namespace pmt::cli
