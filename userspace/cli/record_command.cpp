// `phpmemtrace record`: the command-line face of run_record_session().
#include <signal.h>

#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <regex>

#include "attach/kernel_features.h"
#include "cli/commands.h"
#include "faults/fault_session.h"
#include "faults/fault_summary.h"
#include "heap/heap_session.h"
#include "report/heap_summary.h"
#include "report/output_writer.h"
#include "report/text_summary.h"
#include "session/record_session.h"
#include "session/session_timings.h"
#include "util/output_file.h"

namespace pmt::cli {
namespace {

struct RecordArgs {
    int pid = 0;
    std::vector<std::string> command;
    double duration_s = 0;
    std::vector<std::string> outputs;
    std::string view = "alloc";
    uint32_t max_frames = PMT_DEFAULT_FRAMES;
    size_t max_stacks = StackTable::kDefaultMaxStacks;
    uint32_t ringbuf_mb = 16;
    bool no_follow_forks = false;
    bool no_uprobe_multi = false;
    size_t top = 10;
    bool quiet = false;
    bool verbose = false;
    bool timings = false;
    bool faults = false;
    uint32_t fault_frames = PMT_FAULT_DEFAULT_FRAMES;
    bool no_heap = false;
    std::string limit_margin;
    std::string request_filter;
    std::string ready_file;
};

void on_stop_signal(int) { request_session_stop(); }
// SIGPIPE (a closed pipe on stdout) must not kill the tracer before it writes its
// files; a handler, unlike SIG_IGN, is not inherited by the launched command.
void on_broken_pipe(int) {}

std::vector<std::string>& launch_command_storage() {
    static std::vector<std::string> command;
    return command;
}

int run_record(const RecordArgs& args) {
    RecordTimings timings;
    timings.start_ns = monotonic_ns();
    const View view = parse_view(args.view).value();  // one of its names: view_choice() checked it
    if ((args.pid != 0) == !args.command.empty()) {
        std::cerr << "phpmemtrace: give either -p PID or -- COMMAND ... (see --help)\n";
        return 2;
    }
    // Before the target runs: a bad path found at the end would lose the session.
    if (!paths_pass(args.outputs, check_output)) return 2;
    if (!args.ready_file.empty() && !paths_pass({args.ready_file}, check_output_path)) return 2;
    RecordOptions options;
    options.max_stacks = args.max_stacks;
    if (args.pid) options.pid = args.pid;
    options.command = args.command;
    if (args.duration_s > 0) options.duration_s = args.duration_s;
    options.probes.max_frames = args.max_frames;
    options.probes.ringbuf_mb = args.ringbuf_mb;
    options.probes.follow_forks = !args.no_follow_forks;
    options.probes.use_uprobe_multi = !args.no_uprobe_multi;
    options.probes.evicting_function_cache = false;  // one session, one command or PID set
    options.verbose = args.verbose;
    options.ready_file = args.ready_file;
    quiet_libbpf_logging(args.verbose);
    // Before anything is loaded: one clear line on a kernel that is too old.
    if (args.verbose) {
        const std::string features = kernel_features_summary();  // probing logs through libbpf
        std::cerr << "phpmemtrace: " << features << "\n";
    }
    if (auto s = check_kernel_features(args.faults); !s) {
        std::cerr << "phpmemtrace: " << s.error().message << "\n";
        return 1;
    }

    // Ctrl-C, kill, and an ssh disconnect (SIGHUP) all end the session with its outputs.
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaction(signal, &sa, nullptr);
    sa.sa_handler = on_broken_pipe;
    sigaction(SIGPIPE, &sa, nullptr);

    std::vector<std::unique_ptr<SessionModule>> modules;
    if (args.faults) modules.push_back(make_fault_module(FaultSessionOptions{args.fault_frames}));
    if (!args.no_heap) {
        HeapSessionOptions heap;
        if (!args.limit_margin.empty()) heap.tracker.limit_margin_bytes = *parse_bytes(args.limit_margin);
        if (!args.request_filter.empty()) {
            try {
                std::regex check(args.request_filter);
            } catch (const std::regex_error&) {
                std::cerr << "phpmemtrace: --request-filter: not a regular expression: " << args.request_filter
                          << "\n";
                return 2;
            }
            heap.tracker.request_filter = args.request_filter;
        }
        modules.push_back(make_heap_module(heap));
    }
    if (args.timings) collect_verifier_stats(&timings.verifier);
    auto recorded = run_record_session(options, std::move(modules));
    collect_verifier_stats(nullptr);
    if (!recorded) {
        std::cerr << "phpmemtrace: " << recorded.error().message << "\n";
        return 1;
    }
    const Profile* profile = &recorded->profile;
    if (!args.quiet) write_text_summary(*profile, std::cout, SummaryOptions{args.top});
    if (!args.quiet && profile->faults) write_fault_summary(*profile->faults, std::cout);
    if (!args.quiet) write_heap_summary(*profile, std::cout);
    int status = 0;
    for (const auto& path : args.outputs) {
        if (auto s = write_output(*profile, path, view); !s) {
            std::cerr << "phpmemtrace: " << s.error().message << "\n";
            status = 1;
        } else if (!args.quiet) {
            std::cout << "wrote " << path << "\n";
        }
    }
    std::cout.flush();
    timings.outputs_ns = monotonic_ns();
    // Once the outputs are written: the grace periods of the detach are waited
    // for by a closer process, after we have exited.
    recorded->session->detach_after_exit();
    timings.session = recorded->session->phases();
    recorded->session.reset();
    if (args.timings) write_record_timings(timings, std::cerr);
    // Like time(1) and strace: the launched command's exit code (128+N when
    // killed by signal N), unless the tracer itself failed.
    if (status == 0 && profile->target.exit_code) return *profile->target.exit_code;
    return status;
}

}  // namespace

void set_launch_command(std::vector<std::string> command) { launch_command_storage() = std::move(command); }
const std::vector<std::string>& launch_command() { return launch_command_storage(); }

void register_record_command(CLI::App& app) {
    auto args = std::make_shared<RecordArgs>();
    CLI::App* cmd = app.add_subcommand("record", "Trace a PHP process and report which PHP functions allocate, "
                                                 "free and keep memory");
    cmd->add_option("-p,--pid", args->pid, "Attach to this running PHP process")
        ->check(whole_number_between(1, kMaxPid));
    cmd->add_option("-d,--duration", args->duration_s, "Stop after this many seconds (default: until the "
                                                       "process exits or Ctrl-C)")
        ->check(positive_seconds());
    cmd->add_option("-o,--output", args->outputs,
                    "Write results here; the format comes from the extension (.json, .folded, .txt, "
                    "...); may be repeated");
    cmd->add_option("--view", args->view, "Value shown by one-value formats: alloc, live, count, peak")
        ->capture_default_str()
        ->check(view_choice());
    cmd->add_option("--max-frames", args->max_frames, "PHP frames walked per allocation")
        ->capture_default_str()
        ->check(whole_number_between(1, PMT_MAX_FRAMES));
    cmd->add_option("--max-stacks", args->max_stacks,
                    "Distinct stacks kept; later ones are counted under [stack table full]")
        ->capture_default_str()
        ->check(whole_number_between(2, std::numeric_limits<uint32_t>::max()));
    // The kernel takes a power of two; 1 GiB is far beyond any need and within what it allocates.
    cmd->add_option("--ringbuf-mb", args->ringbuf_mb, "Ring buffer size in MiB (power of two, 1 to 1024)")
        ->capture_default_str()
        ->check(power_of_two_between(1, 1024));
    cmd->add_flag("--no-follow-forks", args->no_follow_forks,
                  "Trace only the process itself, not children it forks (probes then fire in it alone)");
    cmd->add_flag("--no-uprobe-multi", args->no_uprobe_multi,
                  "Attach one perf-event uprobe per function even if the kernel has multi-uprobe links "
                  "(slower to attach and detach)");
    cmd->add_option("--top", args->top, "Stacks listed in the summary")
        ->capture_default_str()
        ->check(whole_number_between(0, kMaxTop));
    cmd->add_flag("--faults", args->faults,
                  "Also trace page faults (kind, region, kernel time, PHP stack); see docs/page-faults.md");
    cmd->add_option("--fault-frames", args->fault_frames, "PHP frames walked per page fault")
        ->capture_default_str()
        ->check(whole_number_between(1, PMT_MAX_FRAMES));
    cmd->add_flag("--no-heap", args->no_heap,
                  "Do not trace the heap's structure (chunks, huge blocks, GC, requests, memory_limit); "
                  "see docs/heap.md");
    cmd->add_option("--limit-margin", args->limit_margin,
                    "Record the stacks holding memory when a process comes within this many bytes of its "
                    "memory_limit (e.g. 1M); the fatal 'Allowed memory size' error is always recorded")
        ->check(byte_size());
    cmd->add_option("--request-filter", args->request_filter,
                    "Keep only requests whose URI (with ?query) matches this regular expression");
    cmd->add_option("--ready-file", args->ready_file,
                    "Write 'ready' to this file once the probes are attached (for scripts that then start "
                    "the load)");
    cmd->add_flag("--timings", args->timings,
                  "Print when each phase ended (load and verify, attach, run, drain, outputs, detach) to stderr");
    cmd->add_flag("-q,--quiet", args->quiet, "No summary on the terminal");
    cmd->add_flag("-v,--verbose", args->verbose, "Show libbpf's messages");
    // The command after `--` is split off by main() (see set_launch_command).
    cmd->footer("Launch mode: phpmemtrace record [OPTIONS] -- php8.2 script.php [ARGS...]\n"
                "Exit status: the launched command's (128+N if signal N killed it), after writing the outputs; "
                "1 if the tracer failed, 2 for a bad command line.");
    cmd->callback([args] {
        args->command = launch_command();
        std::exit(run_record(*args));
    });
}

}  // namespace pmt::cli
