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
    CLI11_PARSE(app, parsed_argc, argv);
    return 0;
}
