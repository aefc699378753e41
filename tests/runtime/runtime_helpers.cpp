#include "runtime_helpers.h"

#include "spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>


namespace pmt::testing {

CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    CommandResult result;
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) return result;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    pid_t pid = spawn_process(argv, env, &actions);
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (pid < 0) {
        close(out_pipe[0]);
        close(err_pipe[0]);
        result.err = "spawn failed: " + argv[0];
        return result;
    }
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
            char buf[65536];
            ssize_t n = read(fds[i].fd, buf, sizeof(buf));
            if (n > 0) {
                sinks[i]->append(buf, n);
            } else {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

void expect_one_line_error(const CommandResult& r, const std::string& fragment) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find(fragment), std::string::npos) << "stderr was: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr was: " << r.err;
}

TempDir::TempDir() {
    char tmpl[] = "/tmp/phpmemtrace-test-XXXXXX";
    path_ = mkdtemp(tmpl);
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string php_script(const std::string& name) { return std::string(PMT_SOURCE_DIR) + "/tests/php/" + name; }
std::string phpmemtrace_binary() { return PMT_BINARY; }

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_file(path)); }

nlohmann::json record_script(const std::string& script, const std::vector<std::string>& script_args,
                             const std::vector<std::string>& extra, const std::vector<std::string>& php_options) {
    TempDir dir;
    std::string json_path = dir.file("report.json");
    std::vector<std::string> argv = {phpmemtrace_binary(), "record", "-q", "-o", json_path};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(), {"--", "php8.2", "-n"});
    argv.insert(argv.end(), php_options.begin(), php_options.end());
    argv.push_back(php_script(script));
    argv.insert(argv.end(), script_args.begin(), script_args.end());
    CommandResult r = run_command(argv);
    EXPECT_EQ(r.exit_code, 0) << "phpmemtrace failed:\n" << r.err << r.out;
    if (r.exit_code != 0) return nlohmann::json();
    nlohmann::json report = read_json(json_path);
    report["__script_output"] = r.out;  // what the script printed (stdout is shared)
    return report;
}

pid_t child_of(pid_t parent) {
    const std::string pid = std::to_string(parent);
    std::istringstream in(read_file("/proc/" + pid + "/task/" + pid + "/children"));
    pid_t child = -1;
    in >> child;
    return child;
}

std::string script_value(const std::string& output, const std::string& key) {
    std::istringstream in(output);
    std::string line;
    const std::string prefix = key + "=";
    while (std::getline(in, line))
        if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
    return "";
}

std::string frame_name(const nlohmann::json& frame) {
    if (frame["class"].is_string()) return frame["class"].get<std::string>() + "::" + frame["function"].get<std::string>();
    return frame["function"].get<std::string>();
}

uint64_t sum_for_function(const nlohmann::json& report, const std::string& qualified, const std::string& field) {
    uint64_t total = 0;
    for (const auto& stack : report["stacks"]) {
        for (const auto& frame : stack["frames"])
            if (frame_name(frame) == qualified) {
                total += stack[field].get<uint64_t>();
                break;
            }
    }
    return total;
}

uint64_t sum_for_innermost_user(const nlohmann::json& report, const std::string& qualified, const std::string& field) {
    uint64_t total = 0;
    for (const auto& stack : report["stacks"]) {
        const auto& frames = stack["frames"];
        for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
            if ((*it)["kind"] != "user") continue;
            if (frame_name(*it) == qualified) total += stack[field].get<uint64_t>();
            break;
        }
    }
    return total;
}

}  // namespace pmt::testing
