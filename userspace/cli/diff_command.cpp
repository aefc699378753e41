// `phpmemtrace diff A.db B.db`: what grew and shrank between two sessions (for
// "what did this deploy do to memory"), as tables on the terminal and, with
// -o diff.svg, as a differential flame graph.
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "report/diff.h"
#include "store/session_store.h"
#include "util/output_file.h"

namespace pmt::cli {
namespace {

struct DiffArgs {
    std::string before;
    std::string after;
    std::vector<std::string> outputs;
    std::string view = "alloc";
    size_t top = 15;
};

Status check_diff_output(const std::string& path) {
    if (!path.ends_with(".svg") && !path.ends_with(".txt"))
        return Error{"unknown diff output format for '" + path + "' (known: .svg, .txt)"};
    return check_output_path(path);
}

int run_diff(const DiffArgs& args) {
    const View view = parse_view(args.view).value();  // one of its names: view_choice() checked it
    if (!paths_pass(args.outputs, check_diff_output)) return 2;
    auto before = load_session(args.before);
    if (!before) {
        std::cerr << "phpmemtrace: " << before.error().message << "\n";
        return 1;
    }
    auto after = load_session(args.after);
    if (!after) {
        std::cerr << "phpmemtrace: " << after.error().message << "\n";
        return 1;
    }
    const ProfileDiff diff = diff_profiles(*before, *after, std::filesystem::path(args.before).filename().string(),
                                           std::filesystem::path(args.after).filename().string());
    write_diff_table(diff, view, std::cout, args.top);
    int status = 0;
    for (const auto& path : args.outputs) {
        // Stacks and totals only, no requests or command lines: Shared.
        auto written = write_output_file(path, OutputAccess::Shared, [&](std::ostream& out) {
            if (path.ends_with(".svg")) write_diff_flamegraph_svg(diff, view, out);
            else write_diff_table(diff, view, out, args.top);
        });
        if (!written) {
            std::cerr << "phpmemtrace: " << written.error().message << "\n";
            status = 1;
        }
    }
    return status;
}

}  // namespace

void register_diff_command(CLI::App& app) {
    auto args = std::make_shared<DiffArgs>();
    CLI::App* cmd = app.add_subcommand("diff", "Compare two sessions: which stacks grew or shrank from A to B");
    cmd->add_option("before", args->before, "Session A (.db), the baseline")->required();
    cmd->add_option("after", args->after, "Session B (.db), compared with A")->required();
    cmd->add_option("-o,--output", args->outputs,
                    "Also write .svg (differential flame graph: red grew, blue shrank) or .txt (the tables)");
    cmd->add_option("--view", args->view, "Value compared: alloc, live, count, peak, faults, fault-ns")
        ->capture_default_str()
        ->check(view_choice());
    cmd->add_option("--top", args->top, "Rows per table")
        ->capture_default_str()
        ->check(whole_number_between(0, kMaxTop));
    cmd->callback([args] { std::exit(run_diff(*args)); });
}

}  // namespace pmt::cli
