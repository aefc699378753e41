// `phpmemtrace report SESSION.db`: render a stored session again, in any output
// format, without tracing. Reading the session back gives the same Profile that
// `record` had, so `report -o x.json` writes the JSON `record -o x.json` wrote.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "report/output_writer.h"
#include "report/text_summary.h"
#include "store/session_store.h"

namespace pmt::cli {
namespace {

struct ReportArgs {
    std::string session;
    std::vector<std::string> outputs;
    std::string view = "alloc";
    size_t top = 10;
};

int run_report(const ReportArgs& args) {
    const View view = parse_view(args.view).value();  // one of its names: view_choice() checked it
    if (!paths_pass(args.outputs, check_output)) return 2;
    auto profile = load_session(args.session);
    if (!profile) {
        std::cerr << "phpmemtrace: " << profile.error().message << "\n";
        return 1;
    }
    // Without -o the session is summarised on the terminal, as record does.
    if (args.outputs.empty()) {
        write_text_summary(*profile, std::cout, SummaryOptions{args.top});
        return 0;
    }
    int status = 0;
    for (const auto& path : args.outputs) {
        if (path == args.session) {
            std::cerr << "phpmemtrace: refusing to overwrite the session being read: " << path << "\n";
            status = 1;
        } else if (auto s = write_output(*profile, path, view); !s) {
            std::cerr << "phpmemtrace: " << s.error().message << "\n";
            status = 1;
        }
    }
    return status;
}

}  // namespace

void register_report_command(CLI::App& app) {
    auto args = std::make_shared<ReportArgs>();
    CLI::App* cmd = app.add_subcommand("report", "Render a stored session (written by record -o SESSION.db)");
    cmd->add_option("session", args->session, "Session file (.db)")->required();
    cmd->add_option("-o,--output", args->outputs,
                    "Write this file; the format comes from the extension (" + supported_output_extensions() +
                        "); may be repeated. Without -o: a summary on the terminal");
    cmd->add_option("--view", args->view,
                    "Value shown by one-value formats: alloc, live, count, peak (faults, fault-ns: sessions "
                    "recorded with --faults)")
        ->capture_default_str()
        ->check(view_choice());
    cmd->add_option("--top", args->top, "Stacks listed in the summary")
        ->capture_default_str()
        ->check(whole_number_between(0, kMaxTop));
    cmd->callback([args] { std::exit(run_report(*args)); });
}

}  // namespace pmt::cli
