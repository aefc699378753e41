// The tracer exits as the command it launched did, like time(1) and strace, and
// every way a session can be ended by a signal still writes its outputs: an ssh
// disconnect (SIGHUP) included.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "background_process.h"
#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

bool wait_until_ready(const std::string& ready_file) {
    for (int i = 0; i < 300; ++i, usleep(50000))
        if (read_file(ready_file).starts_with("ready")) return true;
    return false;
}

TEST(ExitStatus, TheLaunchedCommandsExitCode) {
    PMT_REQUIRE_ROOT();
    for (int code : {0, 3, 255}) {
        TempDir dir;
        auto r = run_command({phpmemtrace_binary(), "record", "-q", "-o", dir.file("s.json"), "--", "php8.2", "-n",
                              "-r", "str_repeat('x', 1000); exit(" + std::to_string(code) + ");"});
        EXPECT_EQ(r.exit_code, code) << r.err;
        EXPECT_EQ(read_json(dir.file("s.json"))["target"]["exit_code"].get<int>(), code);  // written first
    }
}

TEST(ExitStatus, ACommandKilledBySignalNGives128PlusN) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    BackgroundProcess tracer({phpmemtrace_binary(), "record", "-q", "-o", dir.file("s.json"), "--ready-file",
                              dir.file("ready"), "--", "php8.2", "-n", "-r", "sleep(30);"});
    ASSERT_TRUE(wait_until_ready(dir.file("ready")));
    const pid_t php = child_of(tracer.pid());
    ASSERT_GT(php, 0);
    ASSERT_EQ(kill(php, SIGKILL), 0);
    EXPECT_EQ(tracer.wait_exit(30000), 128 + SIGKILL);
    EXPECT_EQ(read_json(dir.file("s.json"))["target"]["exit_code"].get<int>(), 128 + SIGKILL);
}

TEST(ExitStatus, SighupEndsAnAttachedSessionAndWritesEverything) {
    PMT_REQUIRE_ROOT();
    BackgroundProcess php({"php8.2", "-n", php_script("long_running.php"), "10"});
    ASSERT_FALSE(php.wait_for_line("READY", 15000).empty());
    TempDir dir;
    BackgroundProcess tracer({phpmemtrace_binary(), "record", "-q", "-p", std::to_string(php.pid()), "-o",
                              dir.file("s.json"), "-o", dir.file("s.db"), "--ready-file", dir.file("ready")});
    ASSERT_TRUE(wait_until_ready(dir.file("ready")));
    usleep(500000);
    ASSERT_EQ(kill(tracer.pid(), SIGHUP), 0);
    EXPECT_EQ(tracer.wait_exit(30000), 0);
    EXPECT_GT(read_json(dir.file("s.json"))["counters"]["allocs"].get<uint64_t>(), 0u);
    EXPECT_GT(std::ifstream(dir.file("s.db"), std::ios::ate).tellg(), 0);
    EXPECT_EQ(php.wait_exit(20000), 0);  // the traced process runs on, unharmed
}

// An ssh disconnect hangs up the terminal: SIGHUP reaches the tracer and the
// command it launched (one process group). Whichever goes first, the outputs
// are written, and a command killed by the hangup gives 128+1.
TEST(ExitStatus, HangupOfTheWholeSessionStillWritesEverything) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    // setsid: the tracer leads its own process group, as a login shell's job would.
    BackgroundProcess tracer({"setsid", phpmemtrace_binary(), "record", "-q", "-o", dir.file("s.json"), "--ready-file",
                              dir.file("ready"), "--", "php8.2", "-n", php_script("long_running.php"), "20"});
    ASSERT_TRUE(wait_until_ready(dir.file("ready")));
    usleep(500000);
    ASSERT_EQ(kill(-tracer.pid(), SIGHUP), 0);
    const int code = tracer.wait_exit(30000);
    EXPECT_TRUE(code == 0 || code == 128 + SIGHUP) << code;
    EXPECT_GT(read_json(dir.file("s.json"))["counters"]["allocs"].get<uint64_t>(), 0u);
}

}  // namespace
}  // namespace pmt::testing
