// `phpmemtrace top` against a real php8.2 process whose memory grows in
// grow_cache() (tests/php/top_grower.php): in a real terminal (tmux, read back
// with capture-pane) and in --batch. The function must come first with a growing
// figure, keys must change the view, the process's heap size must match
// memory_get_usage(), and top must say when the process is gone and carry on.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "background_process.h"
#include "fpm_stack.h"
#include "runtime_helpers.h"
#include "target/php_processes.h"

namespace pmt::testing {
namespace {

using namespace std::chrono_literals;

// "7.81 MiB" -> bytes.
std::optional<double> parse_size(const std::string& number, const std::string& unit) {
    double v = std::stod(number);
    const std::vector<std::string> units = {"B", "KiB", "MiB", "GiB", "TiB"};
    for (size_t i = 0; i < units.size(); ++i, v *= 1024)
        if (unit == units[i]) return v;
    return std::nullopt;
}

// The first row under the functions/stacks header of one screen or batch block:
// its live bytes and its name (the last column).
struct TopRowSeen {
    double live_bytes = 0;
    std::string name;
};
std::optional<TopRowSeen> first_row(const std::string& screen) {
    std::istringstream in(screen);
    std::string line;
    bool header = false;
    static const std::regex row(R"(^\s*([0-9.]+) (B|KiB|MiB|GiB)\s+.*\s(\S+)\s*$)");
    while (std::getline(in, line)) {
        if (!header) {
            header = line.find("LIVE") != std::string::npos && line.find("GROWTH") != std::string::npos;
            continue;
        }
        std::smatch m;
        if (!std::regex_match(line, m, row)) return std::nullopt;
        return TopRowSeen{*parse_size(m[1], m[2]), m[3]};
    }
    return std::nullopt;
}

// The USED figure of a process's row (the first size after its name).
std::optional<double> used_bytes_of(const std::string& screen, pid_t pid) {
    std::istringstream in(screen);
    std::string line;
    static const std::regex size(R"(([0-9.]+) (B|KiB|MiB|GiB)\b)");
    while (std::getline(in, line)) {
        if (line.find(" " + std::to_string(pid) + " ") == std::string::npos) continue;
        std::smatch m;
        if (std::regex_search(line, m, size)) return parse_size(m[1], m[2]);
    }
    return std::nullopt;
}

// A tmux server of the test's own (private socket), killed at the end.
class Tmux {
public:
    Tmux() : socket_("pmt-top-test-" + std::to_string(getpid()) + "-" + std::to_string(next_server()++)) {}
    ~Tmux() { run({"kill-server"}); }
    CommandResult run(std::vector<std::string> args) const {
        args.insert(args.begin(), {"tmux", "-L", socket_});
        return run_command(args);
    }
    // `shell_command` in a detached session of the given size; when it ends, the
    // shell prints its exit status and idles (kill-server ends it).
    bool start(const std::string& shell_command, int width, int height) const {
        return run({"new-session", "-d", "-s", "top", "-x", std::to_string(width), "-y", std::to_string(height),
                    shell_command + "; echo TOP-EXIT=$?; sleep 600"})
                   .exit_code == 0;
    }
    std::string screen() const { return run({"capture-pane", "-p", "-t", "top"}).out; }
    // With the escape sequences of colours and attributes.
    std::string screen_with_attributes() const { return run({"capture-pane", "-p", "-e", "-t", "top"}).out; }
    void keys(const std::string& keys) const { run({"send-keys", "-t", "top", "-l", keys}); }
    void resize(int width, int height) const {
        run({"resize-window", "-t", "top", "-x", std::to_string(width), "-y", std::to_string(height)});
    }

private:
    static int& next_server() {
        static int n = 0;
        return n;
    }
    std::string socket_;
};

// Polls until `ok(screen)` or the bound (a bound for a hang, not a timing assertion).
std::string wait_for_screen(const Tmux& tmux, const std::function<bool(const std::string&)>& ok,
                            std::chrono::seconds bound = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    std::string screen;
    while (std::chrono::steady_clock::now() < deadline) {
        screen = tmux.screen();
        if (ok(screen)) return screen;
        std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "screen never became as expected; last screen:\n" << screen;
    return screen;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

pid_t pid_of(const std::string& line) { return std::stoi(line.substr(line.find('=') + 1)); }

TEST(Top, FullScreenShowsTheGrowingFunctionFollowsKeysAndOutlivesTheTarget) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    const std::string go = dir.file("go");
    BackgroundProcess php({"php8.2", "-n", php_script("top_grower.php"), go, "20", "100000"});
    const std::string pid_line = php.wait_for_line("PID=", 10000);
    ASSERT_FALSE(pid_line.empty());
    const pid_t pid = pid_of(pid_line);

    Tmux tmux;
    ASSERT_TRUE(tmux.start(phpmemtrace_binary() + " top -p " + std::to_string(pid) + " --interval 0.5 --output-dir " +
                               dir.path(),
                           150, 40));
    wait_for_screen(tmux, [](const std::string& s) { return contains(s, "TOP FUNCTIONS BY live bytes"); });
    const std::string header = tmux.screen();
    // The default: the heap's slow paths (the fleet agent's probes).
    EXPECT_TRUE(contains(header, "mode: slow paths, ")) << header;
    EXPECT_TRUE(contains(header, "slow paths: small-bin refills, large and huge blocks by stack")) << header;
    EXPECT_TRUE(contains(header, "traps/s")) << header;
    { std::ofstream(go) << "go\n"; }

    // grow_cache first, and bigger at a later refresh.
    auto grow_first = [](const std::string& s) {
        auto row = first_row(s);
        return row && row->name == "grow_cache";
    };
    const std::string before = wait_for_screen(tmux, grow_first);
    const double first_live = first_row(before)->live_bytes;
    const std::string later = wait_for_screen(tmux, [&](const std::string& s) {
        auto row = first_row(s);
        return row && row->name == "grow_cache" && row->live_bytes > first_live * 1.5;
    });
    EXPECT_TRUE(contains(later, "+")) << "a growth figure:\n" << later;

    // f: full stacks, with grow_cache's call of str_repeat.
    tmux.keys("f");
    const std::string stacks = wait_for_screen(tmux, [](const std::string& s) {
        return contains(s, "TOP STACKS") && contains(s, "grow_cache > str_repeat");
    });
    // s: by allocation rate.
    tmux.keys("s");
    wait_for_screen(tmux, [](const std::string& s) { return contains(s, "BY allocation rate"); });
    // p: the process picked (the marker, and the list below is of it).
    tmux.keys("p");
    wait_for_screen(tmux, [&](const std::string& s) {
        return contains(s, "> " + std::to_string(pid) + " php8.2") && contains(s, "in " + std::to_string(pid));
    });
    // space: paused, said in the header.
    tmux.keys(" ");
    wait_for_screen(tmux, [](const std::string& s) { return contains(s, "[PAUSED]"); });
    tmux.keys(" ");
    // e: the same process in exact mode, said in the header and below.
    tmux.keys("e");
    wait_for_screen(tmux, [](const std::string& s) {
        return contains(s, "mode: exact, ") && contains(s, "switched to exact mode");
    });
    // w: a flame graph of what was seen, in --output-dir.
    tmux.keys("w");
    const std::string wrote = wait_for_screen(tmux, [](const std::string& s) { return contains(s, "wrote "); });
    std::smatch m;
    ASSERT_TRUE(std::regex_search(wrote, m, std::regex(R"(wrote (\S+\.svg))")));
    const std::string svg = read_file(m[1]);
    EXPECT_TRUE(contains(svg, "grow_cache")) << m[1];
    // A narrow terminal: still drawn, the function still there.
    tmux.resize(60, 20);
    wait_for_screen(tmux, [](const std::string& s) { return contains(s, "grow_cache") && contains(s, "USED"); });
    tmux.resize(150, 40);

    // The target killed: top says so and keeps refreshing.
    kill(pid, SIGKILL);
    const std::string gone = wait_for_screen(
        tmux, [&](const std::string& s) { return contains(s, "process " + std::to_string(pid)) && contains(s, "exited"); });
    EXPECT_TRUE(contains(gone, "[exited]")) << gone;
    auto elapsed = [](const std::string& s) {
        std::smatch e;
        return std::regex_search(s, e, std::regex(R"(phpmemtrace top\s+(\d+)s)")) ? std::stoi(e[1]) : -1;
    };
    const int at_exit = elapsed(gone);
    wait_for_screen(tmux, [&](const std::string& s) { return elapsed(s) > at_exit + 1; });
    EXPECT_FALSE(contains(tmux.screen(), "TOP-EXIT="));

    // q: top ends, with status 0, and gives the terminal back.
    tmux.keys("q");
    wait_for_screen(tmux, [](const std::string& s) { return contains(s, "TOP-EXIT=0"); });
}

// Both modes: the strings are large blocks (4 KiB), which the slow paths see
// exactly too; the heap size is the trace's in exact mode, and what the heap
// says of itself (heap->size) in slow-path mode.
void check_batch(const std::vector<std::string>& mode_flags, const std::string& mode) {
    TempDir dir;
    const std::string go = dir.file("go");
    BackgroundProcess php({"php8.2", "-n", php_script("top_grower.php"), go, "40", "4000"});
    const std::string pid_line = php.wait_for_line("PID=", 10000);
    ASSERT_FALSE(pid_line.empty());
    const pid_t pid = pid_of(pid_line);

    // stdout is a pipe: batch without being asked.
    std::vector<std::string> command = {phpmemtrace_binary(), "top", "-p", std::to_string(pid), "--interval", "0.5", "-n", "60"};
    command.insert(command.end(), mode_flags.begin(), mode_flags.end());
    BackgroundProcess top(command);
    // A block ends with an empty line (a timeout ends it too: then it is short or empty).
    auto next_block = [&top]() {
        std::string block;
        while (true) {
            const std::string line = top.wait_for_line("", 30000);
            if (line.empty()) return block;
            block += line + "\n";
        }
    };
    const std::string first = next_block();
    ASSERT_TRUE(contains(first, "mode: " + mode + ", ")) << first << "\n" << top.output();
    { std::ofstream(go) << "go\n"; }

    std::vector<double> lives;
    std::string held, held_block;
    for (int i = 0; i < 60 && held_block.empty(); ++i) {
        const std::string block = next_block();
        ASSERT_FALSE(block.empty()) << "top --batch ended early:\n" << top.output();
        if (auto row = first_row(block); row && row->name == "grow_cache") lives.push_back(row->live_bytes);
        held = php.wait_for_line("HELD=", 100);
        if (!held.empty()) {
            // The second block from now was made after the script said what it holds.
            next_block();
            held_block = next_block();
        }
    }
    ASSERT_GE(lives.size(), 3u) << top.output();
    EXPECT_GT(lives.back(), lives.front()) << "grow_cache's live bytes grew";
    ASSERT_FALSE(held_block.empty()) << top.output();
    // Held: 4000 strings of 4000 bytes, each a 4 KiB large block (24-byte
    // zend_string header + 4001), plus the array holding them.
    auto row = first_row(held_block);
    ASSERT_TRUE(row) << held_block;
    EXPECT_EQ(row->name, "grow_cache");
    EXPECT_GE(row->live_bytes, 4000.0 * 4096 * 0.99) << held_block;
    EXPECT_LE(row->live_bytes, 4000.0 * 4096 * 1.03 + 256 * 1024) << held_block;
    // The process's heap size, against what PHP said (3 significant digits shown).
    std::smatch m;
    ASSERT_TRUE(std::regex_search(held, m, std::regex(R"(USAGE=(\d+))")));
    const double usage = std::stod(m[1]);
    auto used = used_bytes_of(held_block, pid);
    ASSERT_TRUE(used) << held_block;
    EXPECT_NEAR(*used, usage, usage * 0.01 + 64 * 1024) << held_block;

    kill(pid, SIGKILL);
    std::string gone;
    for (int i = 0; i < 20 && !contains(gone, "exited"); ++i) gone = next_block();
    EXPECT_TRUE(contains(gone, "process " + std::to_string(pid))) << gone;
    EXPECT_TRUE(contains(gone, "[exited]")) << gone;
    const std::string after = next_block();
    EXPECT_TRUE(contains(after, "mode: " + mode + ", ")) << "top carried on:\n" << after;
}

TEST(Top, BatchPrintsTheSameFiguresAndMatchesMemoryGetUsage) {
    PMT_REQUIRE_ROOT();
    check_batch({}, "slow paths");
}

TEST(Top, BatchExactModeMatchesMemoryGetUsage) {
    PMT_REQUIRE_ROOT();
    check_batch({"--exact"}, "exact");
}

// The GC column counts the collector's runs: what gc_status() says ran.
TEST(Top, GcRunsMatchGcStatus) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    const std::string go = dir.file("go");
    BackgroundProcess php({"php8.2", "-n", php_script("top_gc.php"), go, "25"});
    const std::string pid_line = php.wait_for_line("PID=", 10000);
    ASSERT_FALSE(pid_line.empty());
    const pid_t pid = pid_of(pid_line);
    BackgroundProcess top({phpmemtrace_binary(), "top", "-p", std::to_string(pid), "--interval", "0.3", "-n", "200"});
    ASSERT_FALSE(top.wait_for_line("phpmemtrace top", 60000).empty()) << top.output();
    { std::ofstream(go) << "go\n"; }
    const std::string said = php.wait_for_line("GC_RUNS=", 30000);
    ASSERT_FALSE(said.empty());
    const std::string runs = said.substr(said.find('=') + 1);
    ASSERT_NE(runs, "0");
    // The GC column is the last of the process's row; the rows from now on reach it.
    std::string row;
    for (int i = 0; i < 40; ++i) {
        row = top.wait_for_line("  " + std::to_string(pid) + " php8.2", 30000);
        ASSERT_FALSE(row.empty()) << top.output();
        if (row.substr(row.find_last_of(' ') + 1) == runs) break;
    }
    EXPECT_EQ(row.substr(row.find_last_of(' ') + 1), runs) << row;
}

// Colours when the terminal has them (tmux's does), none with NO_COLOR set.
TEST(Top, ColoursOnlyWithoutNoColor) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    BackgroundProcess php({"php8.2", "-n", php_script("top_grower.php"), dir.file("never"), "1", "1"});
    const std::string pid_line = php.wait_for_line("PID=", 10000);
    ASSERT_FALSE(pid_line.empty());
    // SGR foreground colours: ESC [ 3x m, or combined with others (ESC [ 1;36m).
    const std::regex colour("\x1b\\[([0-9;]*;)?3[0-7](;[0-9;]*)?m");
    for (bool no_color : {false, true}) {
        Tmux tmux;
        const std::string env = no_color ? "NO_COLOR=1 " : "";
        ASSERT_TRUE(tmux.start(env + phpmemtrace_binary() + " top -p " + pid_line.substr(4), 120, 30));
        wait_for_screen(tmux, [](const std::string& s) { return contains(s, "TOP FUNCTIONS"); });
        const std::string screen = tmux.screen_with_attributes();
        EXPECT_EQ(std::regex_search(screen, colour), !no_color) << (no_color ? "NO_COLOR=1" : "colours") << ":\n"
                                                                << screen;
        tmux.keys("q");
        wait_for_screen(tmux, [](const std::string& s) { return contains(s, "TOP-EXIT=0"); });
    }
}

// -p of an FPM master: its workers are one row, their pool's, whose peak is what
// the biggest request reached (memory_get_peak_usage(), printed by the page).
TEST(Top, FpmWorkersAreOnePoolRowWithTheRequestPeak) {
    PMT_REQUIRE_ROOT();
    require_web_stack();
    FpmStack stack;
    start_stack(stack, 2);
    BackgroundProcess top({phpmemtrace_binary(), "top", "-p", std::to_string(stack.fpm.pid()), "--batch",
                           "--interval", "0.5", "-n", "40"});
    ASSERT_FALSE(top.wait_for_line("phpmemtrace top", 60000).empty()) << top.output();
    std::smatch m;
    double peak = 0;
    for (int i = 0; i < 4; ++i) {
        const std::string page = http_get(stack.port, "/large.php");
        ASSERT_TRUE(std::regex_search(page, m, std::regex(R"(PEAK=(\d+))"))) << page;
        peak = std::max(peak, std::stod(m[1]));
    }
    // The pool's PEAK (USED, REAL, PEAK: the third size of its row) in the
    // refreshes from now on (earlier ones may still be in the pipe) reaches
    // what PHP said, and not more.
    const std::regex size(R"(([0-9.]+) (B|KiB|MiB|GiB)\b)");
    auto pool_peak = [&](const std::string& row) {
        std::vector<double> sizes;
        for (auto it = std::sregex_iterator(row.begin(), row.end(), size); it != std::sregex_iterator(); ++it)
            sizes.push_back(*parse_size((*it)[1], (*it)[2]));
        return sizes.size() >= 3 ? sizes[2] : -1.0;
    };
    std::string row;
    const double tolerance = peak * 0.03 + 64 * 1024;
    for (int i = 0; i < 30; ++i) {
        row = top.wait_for_line("  pool www (2 processes)", 30000);
        ASSERT_FALSE(row.empty()) << top.output();
        if (std::abs(pool_peak(row) - peak) <= tolerance) break;
    }
    EXPECT_NEAR(pool_peak(row), peak, tolerance) << row << "\nPHP said its peak was " << peak;
    // Request peaks by URI: /large.php, four requests, the peak PHP said (heap->peak
    // at the script's end, which the page's own figure comes just before).
    const std::regex uri_row(R"(^\s*([0-9.]+) (B|KiB|MiB|GiB)\s+(\d+) /large\.php$)");
    std::smatch u;
    std::string line;
    // Earlier refreshes (fewer requests) may still be in the pipe: the first row of all four.
    auto all_four = [&] { return std::regex_match(line, u, uri_row) && u[3] == "4"; };
    for (int i = 0; i < 400 && !all_four(); ++i) line = top.wait_for_line("", 30000);
    ASSERT_TRUE(all_four()) << top.output();
    EXPECT_NEAR(*parse_size(u[1], u[2]), peak, tolerance) << line;
    EXPECT_NE(top.output().find("php-fpm: master process"), std::string::npos) << top.output();
}

// --all on a private copy of php8.2 (its own inode: the probes reach only the
// test's processes): both running ones, and one started later, are traced.
TEST(Top, AllTracesEveryProcessOfTheBinaryAndPicksUpNewOnes) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    const std::string php = dir.file("php8.2");
    ASSERT_EQ(run_command({"cp", "/usr/bin/php8.2", php}).exit_code, 0);
    BackgroundProcess first({php, "-n", php_script("top_grower.php"), dir.file("go"), "20", "200"});
    BackgroundProcess second({php, "-n", php_script("top_grower.php"), dir.file("go"), "20", "200"});
    const pid_t a = pid_of(first.wait_for_line("PID=", 10000)), b = pid_of(second.wait_for_line("PID=", 10000));
    BackgroundProcess top({phpmemtrace_binary(), "top", "--all", "--binary", php, "--interval", "0.3", "-n", "200"});
    ASSERT_FALSE(top.wait_for_line("phpmemtrace top", 60000).empty()) << top.output();
    EXPECT_FALSE(top.wait_for_line("2 processes", 30000).empty()) << top.output();
    BackgroundProcess third({php, "-n", php_script("top_grower.php"), dir.file("go"), "20", "200"});
    const pid_t c = pid_of(third.wait_for_line("PID=", 10000));
    const std::string appeared = top.wait_for_line("process " + std::to_string(c) + " appeared", 30000);
    EXPECT_FALSE(appeared.empty()) << top.output();
    { std::ofstream(dir.file("go")) << "go\n"; }
    // All three grow: each row's USED passes 700 KiB (200 strings of 4 KiB).
    for (pid_t pid : {a, b, c}) {
        std::optional<double> used;
        for (int i = 0; i < 60 && !(used && *used > 700 * 1024); ++i) {
            const std::string row = top.wait_for_line("  " + std::to_string(pid) + " ", 30000);
            ASSERT_FALSE(row.empty()) << top.output();
            used = used_bytes_of(row, pid);
        }
        EXPECT_TRUE(used && *used > 700 * 1024) << "process " << pid << ":\n" << top.output();
    }
    // The one that joined later has its mapped baseline and memory_limit too.
    const std::string row = top.wait_for_line("  " + std::to_string(c) + " ", 30000);
    EXPECT_EQ(row.find("  0 B "), std::string::npos) << row;
    EXPECT_NE(row.find("128 MiB"), std::string::npos) << row;
}

TEST(Top, AllFindsARunningPhpProcessOfItsBinary) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    BackgroundProcess php({"php8.2", "-n", php_script("top_grower.php"), dir.file("never"), "1", "1"});
    const std::string pid_line = php.wait_for_line("PID=", 10000);
    ASSERT_FALSE(pid_line.empty());
    // Only the scan: `top --all` itself would trace every PHP process of this
    // shared machine, other people's included.
    auto scan = scan_php_processes(std::string("/usr/bin/php8.2"));
    ASSERT_TRUE(scan) << scan.error().message;
    EXPECT_NE(std::find(scan->pids.begin(), scan->pids.end(), pid_of(pid_line)), scan->pids.end());
    EXPECT_EQ(std::find(scan->pids.begin(), scan->pids.end(), getpid()), scan->pids.end());
    EXPECT_EQ(process_title(pid_of(pid_line)).rfind("php8.2 -n ", 0), 0u) << process_title(pid_of(pid_line));
}

}  // namespace
}  // namespace pmt::testing
