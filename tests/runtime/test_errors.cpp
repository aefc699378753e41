// Bad input gets one clear line on stderr and a non-zero exit; nothing is traced.
#include <signal.h>
#include <sys/wait.h>

#include "background_process.h"
#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

pid_t pid_of_a_finished_process() {
    BackgroundProcess p({"true"});
    p.wait_exit(5000);
    return p.pid();
}

TEST(Errors, NotAPhpProcess) {
    PMT_REQUIRE_ROOT();
    BackgroundProcess sleeper({"sleep", "30"});
    auto r = run_command({phpmemtrace_binary(), "record", "-p", std::to_string(sleeper.pid()), "--duration", "1"});
    expect_one_line_error(r, "is not a PHP process");
}

TEST(Errors, PidGone) {
    pid_t gone = pid_of_a_finished_process();
    auto r = run_command({phpmemtrace_binary(), "record", "-p", std::to_string(gone)});
    expect_one_line_error(r, "no process with PID " + std::to_string(gone));
}

TEST(Errors, UnsupportedPhpVersion) {
    auto r = run_command({phpmemtrace_binary(), "record", "--", std::string(PMT_BUILD_DIR) + "/tests/fake_php"});
    expect_one_line_error(r, "unsupported PHP version 5.6.40");
}

TEST(Errors, UseZendAllocZeroInLaunchMode) {
    auto r = run_command({phpmemtrace_binary(), "record", "--", "php8.2", "-r", "echo 1;"}, {"USE_ZEND_ALLOC=0"});
    expect_one_line_error(r, "USE_ZEND_ALLOC=0");
}

TEST(Errors, UseZendAllocZeroInRunningProcess) {
    PMT_REQUIRE_ROOT();
    BackgroundProcess php({"php8.2", "-n", "-r", "echo \"READY\\n\"; sleep(20);"}, {"USE_ZEND_ALLOC=0"});
    ASSERT_FALSE(php.wait_for_line("READY", 10000).empty());
    auto r = run_command({phpmemtrace_binary(), "record", "-p", std::to_string(php.pid())});
    expect_one_line_error(r, "USE_ZEND_ALLOC=0");
}

TEST(Errors, NotEnoughPrivilege) {
    // As an unprivileged user (dropped with setpriv when we are root).
    std::vector<std::string> argv = {phpmemtrace_binary(), "record", "--", "php8.2", "-r", "echo 1;"};
    if (geteuid() == 0) argv.insert(argv.begin(), {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
    auto r = run_command(argv);
    expect_one_line_error(r, "needs root");
}

TEST(Errors, BadCommandLine) {
    auto none = run_command({phpmemtrace_binary(), "record"});
    expect_one_line_error(none, "give either -p PID or -- COMMAND");
    auto both = run_command({phpmemtrace_binary(), "record", "-p", "1", "--", "php8.2"});
    expect_one_line_error(both, "give either -p PID or -- COMMAND");
    auto view = run_command({phpmemtrace_binary(), "record", "--view", "sideways", "--", "php8.2"});
    expect_one_line_error(view, "--view: sideways not in {alloc,live,count,peak,faults,fault-ns}");
    auto format = run_command({phpmemtrace_binary(), "record", "-o", "/tmp/x.docx", "--", "php8.2"});
    expect_one_line_error(format, "unknown output format");
    auto missing = run_command({phpmemtrace_binary(), "record", "--", "no-such-command-xyz"});
    expect_one_line_error(missing, "command not found: no-such-command-xyz");
}

}  // namespace
}  // namespace pmt::testing
