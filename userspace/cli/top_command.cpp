// `phpmemtrace top`: the live view of PHP processes' memory (top/top_session.h),
// on the heap's slow paths by default (the fleet agent's probes), or with every
// allocation traced (--exact, as `record` does).
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <set>

#include "attach/kernel_features.h"
#include "cli/commands.h"
#include "top/session_source.h"
#include "target/php_processes.h"
#include "target/process.h"
#include "top/top_session.h"
#include "util/output_file.h"

namespace pmt::cli {
namespace {

struct TopArgs {
    std::vector<int> pids;
    bool all = false;
    std::string binary;
    double interval_s = 1.0;
    bool batch = false;
    uint64_t iterations = 0;
    size_t rows = 20;
    std::string sort = "live";
    bool stacks = false;
    bool faults = false;
    bool exact = false;
    double max_overhead_percent = 1.0;
    std::string output_dir = ".";
    uint32_t max_frames = PMT_DEFAULT_FRAMES;
    uint32_t ringbuf_mb = 16;
    bool verbose = false;
};

void on_stop_signal(int) { request_top_stop(); }

TopSort sort_of(const std::string& name) {
    if (name == "rate") return TopSort::AllocRate;
    if (name == "faults") return TopSort::Faults;
    return TopSort::Live;
}

// top --all: PHP processes started since, traced from the next refresh on.
// Those of other binaries are said (once each; those running at the start were
// said then), unless --binary chose one.
std::function<std::vector<std::string>(TopSource&)> discover_new_processes(const std::vector<pid_t>& already_said,
                                                                           bool say_other_binaries) {
    auto skipped = std::make_shared<std::set<pid_t>>(already_said.begin(), already_said.end());
    auto scanner = std::make_shared<PhpProcessScanner>();  // reads each binary once
    return [skipped, scanner, say_other_binaries](TopSource& source) {
        std::vector<std::string> notices;
        for (const PhpProcess& found : scanner->scan()) {
            const pid_t pid = found.pid;
            if (source.traces(pid) || skipped->count(pid)) continue;
            skipped->insert(pid);  // tried once; a traced one is known by traces()
            if (auto s = source.add_process(pid); !s) {
                if (!say_other_binaries || !process_exists(pid)) continue;
                notices.push_back("not traced: " + s.error().message);
            } else {
                skipped->erase(pid);
            }
        }
        return notices;
    };
}

// The `e` key's source: the same processes in the other mode. -p: those still
// running (an FPM master brings its workers); --all: the binary's processes now.
std::function<Result<std::unique_ptr<TopSource>>(bool)> reopen_source(SessionSourceOptions options, bool all) {
    return [options, all](bool exact) -> Result<std::unique_ptr<TopSource>> {
        SessionSourceOptions now = options;
        now.exact = exact;
        now.pids.clear();
        if (all) {
            auto scan = scan_php_processes(std::optional<std::string>(options.image));
            if (!scan) return scan.error();
            now.pids = scan->pids;
        } else {
            for (pid_t pid : options.pids)
                if (process_exists(pid)) now.pids.push_back(pid);
        }
        auto opened = SessionSource::open(now);
        if (!opened) return opened.error();
        return std::unique_ptr<TopSource>(std::move(*opened));
    };
}

int run_top_command(const TopArgs& args) {
    if (args.pids.empty() == !args.all) {
        std::cerr << "phpmemtrace: give -p PID ... or --all (see --help)\n";
        return 2;
    }
    if (!args.binary.empty() && !args.all) {
        std::cerr << "phpmemtrace: --binary goes with --all\n";
        return 2;
    }
    if (args.sort == "faults" && !args.faults) {
        std::cerr << "phpmemtrace: --sort faults needs --faults\n";
        return 2;
    }
    if (auto s = check_output_path(args.output_dir + "/phpmemtrace-top.svg"); !s) {
        std::cerr << "phpmemtrace: --output-dir: " << s.error().message << "\n";
        return 2;
    }
    SessionSourceOptions options;
    std::vector<pid_t> other_binaries;
    options.faults = args.faults;
    options.exact = args.exact;
    options.max_overhead = args.max_overhead_percent / 100.0;
    options.probes.max_frames = args.max_frames;
    options.probes.ringbuf_mb = args.ringbuf_mb;
    if (args.all) {
        auto scan = scan_php_processes(args.binary.empty() ? std::nullopt : std::optional(args.binary));
        if (!scan) {
            std::cerr << "phpmemtrace: " << scan.error().message << "\n";
            return 1;
        }
        options.pids = scan->pids;
        other_binaries = scan->other_binaries;
        if (!scan->other_binaries.empty())
            std::cerr << "phpmemtrace: " << scan->other_binaries.size()
                      << " PHP processes run another binary than " << scan->image
                      << " and are not traced (one session traces one binary; use -p)\n";
    } else {
        options.pids.assign(args.pids.begin(), args.pids.end());
    }
    quiet_libbpf_logging(args.verbose);
    if (auto s = check_kernel_features(args.faults); !s) {
        std::cerr << "phpmemtrace: " << s.error().message << "\n";
        return 1;
    }
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaction(signal, &sa, nullptr);

    auto source = SessionSource::open(options);
    if (!source) {
        std::cerr << "phpmemtrace: " << source.error().message << "\n";
        return 1;
    }
    options.image = (*source)->image();
    TopOptions top;
    top.interval_s = args.interval_s;
    top.batch = args.batch || !isatty(STDOUT_FILENO);
    if (args.iterations) top.iterations = args.iterations;
    top.batch_rows = args.rows;
    top.output_dir = args.output_dir;
    top.initial.sort = sort_of(args.sort);
    top.initial.full_stacks = args.stacks;
    top.initial.group_pools = true;  // FPM workers come and go; their pool stays
    if (args.all) top.discover = discover_new_processes(other_binaries, args.binary.empty());
    top.exact = args.exact;
    top.reopen = reopen_source(options, args.all);
    return run_top(std::move(*source), top);
}

}  // namespace

void register_top_command(CLI::App& app) {
    auto args = std::make_shared<TopArgs>();
    CLI::App* cmd = app.add_subcommand("top", "Live view of PHP processes' memory: heap figures per process, "
                                              "and the functions or stacks holding and allocating it");
    auto* pid = cmd->add_option("-p,--pid", args->pids, "Running PHP processes to watch (one PHP binary)")
                    ->check(whole_number_between(1, kMaxPid));
    cmd->add_flag("--all", args->all, "Every PHP process of the host (of the binary most of them run)")
        ->excludes(pid);
    cmd->add_option("--binary", args->binary, "With --all: the processes running this PHP binary (by file)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--interval", args->interval_s, "Seconds between refreshes")
        ->capture_default_str()
        ->check(positive_seconds());
    cmd->add_flag("--batch", args->batch, "Plain text at each refresh, for logs and scripts (also when stdout "
                                          "is not a terminal)");
    cmd->add_option("-n,--iterations", args->iterations, "Stop after this many refreshes")
        ->check(whole_number_between(1, 1000000000));
    cmd->add_option("--rows", args->rows, "Functions or stacks printed per refresh in batch mode")
        ->capture_default_str()
        ->check(whole_number_between(1, kMaxTop));
    cmd->add_option("--sort", args->sort, "Order of the functions or stacks at the start (key s changes it)")
        ->capture_default_str()
        ->check(CLI::IsMember({"live", "rate", "faults"}));
    cmd->add_flag("--stacks", args->stacks, "Full stacks rather than functions at the start (key f)");
    cmd->add_flag("--faults", args->faults, "Also trace page faults, and show them per function or stack");
    cmd->add_flag("--exact", args->exact,
                  "Trace every allocation, as record does (a trap per allocator call: the header says what it "
                  "costs); by default only the heap's slow paths");
    cmd->add_option("--max-overhead", args->max_overhead_percent,
                    "The budget, in percent of the traced processes' CPU time, that the header's cost estimate "
                    "is held against")
        ->capture_default_str()
        ->check(percentage());
    cmd->add_option("--output-dir", args->output_dir,
                    "Where the keys w (flame graph .svg) and d (session .db) write what has been seen")
        ->capture_default_str();
    cmd->add_option("--max-frames", args->max_frames, "PHP frames walked per allocation")
        ->capture_default_str()
        ->check(whole_number_between(1, PMT_MAX_FRAMES));
    cmd->add_option("--ringbuf-mb", args->ringbuf_mb, "Ring buffer size in MiB (power of two, 1 to 1024)")
        ->capture_default_str()
        ->check(power_of_two_between(1, 1024));
    cmd->add_flag("-v,--verbose", args->verbose, "Show libbpf's messages");
    cmd->footer("Modes: slow paths (the default: small-bin page runs, large and huge blocks, as the fleet agent "
                "traces them; the heap's own size and peak) or --exact (every allocation). The header shows the "
                "traps per second and their estimated share of the traced processes' CPU time, at a price per "
                "trap calibrated at start-up.\n"
                "Keys: q quit, s sort, f functions/stacks, p/P pick a process, g group FPM pools, e exact mode "
                "on/off, space pause, "
                "r reset, w write a flame graph, d write a session file.");
    cmd->callback([args] { std::exit(run_top_command(*args)); });
}

}  // namespace pmt::cli
