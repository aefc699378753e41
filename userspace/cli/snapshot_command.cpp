// `phpmemtrace snapshot -p PID -o snap.json`: the target's heap, block by block,
// taken in one short pause (userspace/snapshot/).
#include <iomanip>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "snapshot/snapshot_output.h"
#include "snapshot/take_snapshot.h"

namespace pmt::cli {
namespace {

struct SnapshotArgs {
    int pid = 0;
    std::vector<std::string> outputs;
    double max_pause_ms = 5000;
    bool quiet = false;
};

void write_summary(const Snapshot& s, std::ostream& out) {
    const HeapCensus& c = s.blocks->census();
    out << "process " << s.pid << " (PHP " << s.php_version << "), paused " << std::fixed << std::setprecision(2)
        << s.pause_ms << " ms, copied " << c.mapped_bytes << " bytes (" << c.chunks << " chunks, " << c.huge.blocks
        << " huge blocks)\n"
        << "heap size " << c.size << " bytes (memory_get_usage()), blocks found " << c.blocks() << " = "
        << c.blocks_bytes() << " bytes" << (c.blocks_bytes() == c.size ? " (exact)" : " (NOT equal)") << "\n";
    if (!s.reachability) {
        out << "reachability not computed: " << s.no_reachability << "\n";
        return;
    }
    const Reachability& r = *s.reachability;
    uint64_t garbage_objects = 0, garbage_bytes = 0;
    for (const auto& [name, g] : r.cycle_garbage) {
        garbage_objects += g.objects;
        garbage_bytes += g.retained_bytes;
    }
    out << "reached from " << r.graph->roots().size() - 1 << " roots: " << r.reached.blocks << " blocks, "
        << r.reached.bytes << " bytes; cycle garbage: " << garbage_objects << " objects, " << garbage_bytes
        << " bytes (analysis " << r.analysis_ms << " ms)\n";
    for (size_t i = 0; i < r.holders.size() && i < 5; ++i)
        out << "  " << r.retained[r.holders[i]].bytes << " bytes held by " << r.graph->path(r.holders[i]) << "\n";
}

int run_snapshot(const SnapshotArgs& args) {
    if (!paths_pass(args.outputs, check_snapshot_output)) return 2;
    SnapshotOptions options;
    options.pid = args.pid;
    options.max_pause_ns = static_cast<uint64_t>(args.max_pause_ms * 1e6);
    auto snapshot = take_snapshot(options);
    if (!snapshot) {
        std::cerr << "phpmemtrace: " << snapshot.error().message << "\n";
        return 1;
    }
    const HeapCensus& c = snapshot->blocks->census();
    if (!args.quiet) write_summary(*snapshot, std::cout);
    for (const auto& p : snapshot->copy->problems) std::cerr << "phpmemtrace: warning: " << p << "\n";
    if (c.bad_page_entries || c.bad_free_slots)
        std::cerr << "phpmemtrace: warning: skipped " << c.bad_page_entries << " page map entries and "
                  << c.bad_free_slots << " free-list links that made no sense\n";
    int status = 0;
    for (const auto& path : args.outputs) {
        if (auto s = write_snapshot_output(*snapshot, path); !s) {
            std::cerr << "phpmemtrace: " << s.error().message << "\n";
            status = 1;
        } else if (!args.quiet) {
            std::cout << "wrote " << path << "\n";
        }
    }
    return status;
}

}  // namespace

void register_snapshot_command(CLI::App& app) {
    auto args = std::make_shared<SnapshotArgs>();
    CLI::App* cmd = app.add_subcommand("snapshot", "Pause a PHP process for a moment, copy its heap and list every "
                                                   "allocated block (root)");
    cmd->add_option("-p,--pid", args->pid, "The PHP process")->required()->check(whole_number_between(1, kMaxPid));
    cmd->add_option("-o,--output", args->outputs, "Write the snapshot here: .json, .db, .txt (the top holders) or .svg (a retention flame graph); may be repeated");
    cmd->add_option("--max-pause", args->max_pause_ms,
                    "Give up (and let the target run on) when the pause would last longer, in milliseconds")
        ->capture_default_str()
        ->check(CLI::Range(0.001, 1e9));
    cmd->add_flag("-q,--quiet", args->quiet, "No summary on the terminal");
    cmd->footer("Exit status: 0 when the snapshot was written, 1 when it could not be taken or written, 2 for a "
                "bad command line.");
    cmd->callback([args] { std::exit(run_snapshot(*args)); });
}

}  // namespace pmt::cli
