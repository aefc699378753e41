// phpmemtrace: an eBPF memory tracer for unmodified PHP processes.
#include <cstdio>

#include "cli/commands.h"

int main(int argc, char** argv) {
    CLI::App app{"phpmemtrace: which PHP functions allocate, keep and leak memory (eBPF)"};
    app.require_subcommand(1);
    pmt::cli::register_record_command(app);
    pmt::cli::register_report_command(app);
    pmt::cli::register_diff_command(app);
    CLI11_PARSE(app, argc, argv);
    return 0;
}
