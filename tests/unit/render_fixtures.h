// Synthetic profiles for the renderer tests (flame graph, pprof, session, diff),
// and small helpers to run independent readers on what they write.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "model/profile.h"

namespace pmt::testing {

// main() -> {load(), render()}; load() -> str_repeat; render() -> View::draw.
// Stacks (alloc bytes): main>load>str_repeat 6000, main>load 1000,
// main>render>View::draw 2000, main 500, [startup] 300.
inline Profile small_profile() {
    Profile p;
    p.target = Target{4242, {4242, 4243}, "/usr/bin/php8.2", "8.2.7", "php8.2 app.php", 0};
    p.duration_s = 1.25;
    p.started_at = "2026-11-21T07:37:22.5Z";
    p.live_point = "script_end";
    p.counters.allocs = 120;
    p.counters.frees = 100;
    p.counters.lost_events = 3;
    p.heap = HeapFigures{3800, 9000, 0.75, std::nullopt};
    p.checkpoints.push_back(Checkpoint{0.5, 4242, false, 2097152, std::nullopt, 5000});
    p.checkpoints.push_back(Checkpoint{1.0, 4242, true, 2097152, 4194304, 3800});
    p.symbols = {
        Symbol{FrameKind::User, "{main}", std::nullopt, "/srv/app.php", 1},        // 0
        Symbol{FrameKind::User, "load", std::nullopt, "/srv/lib.php", 10},         // 1
        Symbol{FrameKind::Internal, "str_repeat", std::nullopt, "", 0},            // 2
        Symbol{FrameKind::User, "render", std::nullopt, "/srv/lib.php", 30},       // 3
        Symbol{FrameKind::User, "draw", std::string("App\\View"), "/srv/View.php", 5},  // 4
        Symbol{FrameKind::Pseudo, "[startup]", std::nullopt, "", 0},               // 5
    };
    auto stack = [](std::vector<Frame> frames, uint64_t alloc, uint64_t live, uint64_t peak) {
        Stack s;
        s.frames = std::move(frames);
        s.stats = StackStats{alloc / 100, alloc, (alloc - live) / 100, alloc - live, live / 100, live, peak / 100, peak};
        return s;
    };
    p.stacks = {
        stack({{0, 3}, {1, 12}, {2, 0}}, 6000, 2000, 6000),
        stack({{0, 3}, {1, 14}}, 1000, 1000, 1000),
        stack({{0, 4}, {3, 31}, {4, 7}}, 2000, 500, 1700),
        stack({{0, 5}}, 500, 0, 0),
        stack({{5, 0}}, 300, 300, 300),
    };
    return p;
}

// A profile with `n` distinct stacks over a few hundred functions, values spread
// over four orders of magnitude (most stacks tiny), for the "large" tests.
inline Profile large_profile(size_t n, unsigned seed = 7) {
    Profile p;
    p.target.pid = 1;
    p.target.binary = "php";
    std::mt19937 rng(seed);
    const size_t functions = 400;
    for (size_t i = 0; i < functions; ++i) {
        p.symbols.push_back(Symbol{i % 5 == 0 ? FrameKind::Internal : FrameKind::User, "fn" + std::to_string(i),
                                   std::nullopt, i % 5 == 0 ? "" : "/srv/f" + std::to_string(i % 17) + ".php",
                                   static_cast<uint32_t>(i)});
    }
    for (size_t i = 0; i < n; ++i) {
        Stack s;
        size_t depth = 3 + rng() % 12;
        s.frames.push_back(Frame{0, 1});
        for (size_t d = 1; d < depth; ++d) s.frames.push_back(Frame{static_cast<uint32_t>(1 + rng() % (functions - 1)), uint32_t(d)});
        uint64_t bytes = uint64_t(16) << (rng() % 14);
        s.stats = StackStats{1, bytes, 0, 0, 1, bytes, 1, bytes};
        p.stacks.push_back(std::move(s));
    }
    return p;
}

// A fresh empty directory for a test's files, removed with the object.
class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/pmt-test-XXXXXX";
        path_ = mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

// Runs a shell command, returns its stdout and sets `exit_code`.
inline std::string run_command(const std::string& command, int& exit_code) {
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) {
        exit_code = -1;
        return output;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
    int status = pclose(pipe);
    exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return output;
}

inline bool have_command(const std::string& name) {
    int rc = 0;
    run_command("command -v " + name + " >/dev/null 2>&1", rc);
    return rc == 0;
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace pmt::testing
