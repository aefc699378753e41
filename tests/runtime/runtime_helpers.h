// Shared by the runtime tests: they run the real phpmemtrace binary as root on
// real PHP processes and read what it wrote.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pmt::testing {

// Skips the test, with the reason, when not root.
#define PMT_REQUIRE_ROOT()                                                                      \
    do {                                                                                        \
        if (geteuid() != 0) GTEST_SKIP() << "runtime test needs root (loads BPF programs): run as root"; \
    } while (0)

struct CommandResult {
    int exit_code = -1;
    std::string out;  // stdout
    std::string err;  // stderr
};

// Runs argv (no shell), capturing stdout and stderr.
CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

// An error as phpmemtrace gives one: a non-zero exit and exactly one line on
// stderr containing `fragment` (EXPECTs).
void expect_one_line_error(const CommandResult& r, const std::string& fragment);

// A fresh directory removed at the end of the test.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

std::string php_script(const std::string& name);  // tests/php/<name>
std::string phpmemtrace_binary();
std::string read_file(const std::string& path);
// The first child of `parent` (/proc/PID/task/PID/children), -1 when none.
pid_t child_of(pid_t parent);
nlohmann::json read_json(const std::string& path);

// Runs `phpmemtrace record -o <json> <extra> -- php8.2 -n <php_options> <script>
// <args>` and returns the report; fails the test (EXPECT) on a non-zero exit.
nlohmann::json record_script(const std::string& script, const std::vector<std::string>& script_args = {},
                             const std::vector<std::string>& extra = {},
                             const std::vector<std::string>& php_options = {});

// Lines the PHP script printed as "KEY=VALUE" (its own view of what it did).
std::string script_value(const std::string& output, const std::string& key);

// Report helpers.
std::string frame_name(const nlohmann::json& frame);  // "Class::method" or "function"
// Sum of `field` over stacks whose frames contain `function` (qualified name).
uint64_t sum_for_function(const nlohmann::json& report, const std::string& qualified, const std::string& field);
// Sum of `field` over stacks whose LEAF user frame (innermost PHP code) is `qualified`.
uint64_t sum_for_innermost_user(const nlohmann::json& report, const std::string& qualified, const std::string& field);

}  // namespace pmt::testing
