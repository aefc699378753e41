// phpmemtrace: an eBPF memory tracer for unmodified PHP processes.
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
    // Everything after the first `--` is the command to launch, its own options
    // included; CLI11 only sees what comes before.
    int parsed_argc = argc;
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--") == 0) {
            parsed_argc = i;
            pmt::cli::set_launch_command(std::vector<std::string>(argv + i + 1, argv + argc));
            break;
        }
    CLI::App app{"phpmemtrace: which PHP functions allocate, keep and leak memory (eBPF)"};
    app.require_subcommand(1);
    pmt::cli::register_record_command(app);
    pmt::cli::register_report_command(app);
    pmt::cli::register_diff_command(app);
    pmt::cli::register_top_command(app);
    pmt::cli::register_agent_command(app);
    pmt::cli::register_snapshot_command(app);
    // A refused value is one line, like every other error, and exit code 2 (usage).
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return "phpmemtrace: " + std::string(e.what()) + " (see --help)\n";
    });
    try {
        app.parse(parsed_argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    return 0;
}
