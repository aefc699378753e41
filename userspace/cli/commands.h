// Each subcommand registers itself on the CLI11 app; main() only dispatches.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <optional>
#include <vector>

#include "model/profile.h"

namespace pmt::cli {

// The command after `--` on the command line (launch mode), split off by main().
void set_launch_command(std::vector<std::string> command);
const std::vector<std::string>& launch_command();

// Parses a --view argument; on an unknown name prints the one-line error
// (listing the views) and returns nullopt.
std::optional<View> parse_view_option(const std::string& name);

// `phpmemtrace record`: trace a PHP process (launched or by PID) and write results.
void register_record_command(CLI::App& app);
// `phpmemtrace report SESSION -o OUT`: render a stored session.
void register_report_command(CLI::App& app);
// `phpmemtrace diff A B`: what grew or shrank between two sessions.
void register_diff_command(CLI::App& app);

}  // namespace pmt::cli
