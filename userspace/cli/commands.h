// Each subcommand registers itself on the CLI11 app; main() only dispatches.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/profile.h"
#include "util/result.h"

namespace pmt::cli {

// The command after `--` on the command line (launch mode), split off by main().
void set_launch_command(std::vector<std::string> command);
const std::vector<std::string>& launch_command();

// Option checks (option_checks.cpp), so a bad value fails while parsing.
// "65536", "512K", "8M", "1G" -> bytes; nullopt for a sign, another unit or overflow.
std::optional<uint64_t> parse_bytes(const std::string& text);
CLI::Validator byte_size();         // parse_bytes() accepts it
CLI::Validator positive_seconds();  // finite, > 0, at most 1e9
CLI::Validator percentage();        // finite, > 0, at most 100
// CLI11's Range over int64_t: "-1" is below it (read into an unsigned option it
// would be 2^64 - 1), "1.5" and "ten" are not in it.
CLI::Range whole_number_between(int64_t low, int64_t high);
// CLI11's IsMember over the powers of two from low to high, as written ("1.0" is not).
CLI::IsMember power_of_two_between(uint64_t low, uint64_t high);
// --view: one of the names of kAllViews (then parse_view() cannot fail).
CLI::IsMember view_choice();
// The largest PID Linux can hand out (PID_MAX_LIMIT), and a --top no terminal needs more of.
constexpr uint64_t kMaxPid = 4194304;
constexpr uint64_t kMaxTop = 1000000;

// Runs `check` on each path before anything is traced; prints the first
// refusal as one line ("phpmemtrace: ...") and returns false.
bool paths_pass(const std::vector<std::string>& paths, Status (*check)(const std::string&));

// `phpmemtrace record`: trace a PHP process (launched or by PID) and write results.
void register_record_command(CLI::App& app);
// `phpmemtrace report SESSION -o OUT`: render a stored session.
void register_report_command(CLI::App& app);
// `phpmemtrace diff A B`: what grew or shrank between two sessions.
void register_diff_command(CLI::App& app);
// `phpmemtrace top -p PID ... | --all`: the live view.
void register_top_command(CLI::App& app);
// `phpmemtrace agent --out DIR`: every PHP process of the host, always on.
void register_agent_command(CLI::App& app);
// `phpmemtrace snapshot -p PID -o snap.json`: every block of the heap, in one short pause.
void register_snapshot_command(CLI::App& app);

}  // namespace pmt::cli
