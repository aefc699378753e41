#include "session/record_session.h"

#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <ctime>

#include "util/output_file.h"
#include "util/utf8_text.h"

namespace pmt {
namespace {

std::atomic<bool> g_stop{false};

std::string utc_now_iso8601() {
    std::time_t now = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return buf;
}

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
}

}  // namespace

void request_session_stop() { g_stop = true; }

Result<Profile> run_record_session(const RecordOptions& options, std::vector<std::unique_ptr<SessionModule>> modules) {
    g_stop = false;
    SessionOptions session_options;
    session_options.pid = options.pid;
    session_options.command = options.command;
    session_options.probes = options.probes;
    session_options.max_stacks = options.max_stacks;
    auto opened = Session::open(session_options, std::move(modules));
    if (!opened) return opened.error();
    Session& session = **opened;

    const std::string started_at = utc_now_iso8601();
    if (auto s = session.release_target(); !s) return s.error();
    if (!options.ready_file.empty()) {
        if (auto s = write_output_file(options.ready_file, OutputAccess::Shared,
                                       [](std::ostream& out) { out << "ready\n"; });
            !s)
            return Error{"--ready-file: " + s.error().message};
    }

    // Stream until the target is gone, time is up, or Ctrl-C.
    const auto deadline = options.duration_s ? std::optional(std::chrono::steady_clock::now() +
                                                             std::chrono::duration<double>(*options.duration_s))
                                             : std::nullopt;
    while (!g_stop) {
        if (auto s = session.poll(100); !s) return s.error();
        if (session.target_ended()) break;
        if (deadline && std::chrono::steady_clock::now() >= *deadline) break;
    }

    Profile profile = session.finish();
    profile.started_at = started_at;
    profile.target.pid = session.main_pid();
    profile.target.binary = printable_text(session.php().path());
    profile.target.php_version = session.php().version().text;
    if (session.launched()) {
        profile.target.binary = printable_text(session.image());
        profile.target.command = printable_text(join(options.command));
        // Ended by --duration or a signal, the command runs on untraced (a
        // terminal's Ctrl-C reaches it too) and has no exit code to report.
        if (auto status = session.wait_status()) {
            if (WIFEXITED(*status)) profile.target.exit_code = WEXITSTATUS(*status);
            if (WIFSIGNALED(*status)) profile.target.exit_code = 128 + WTERMSIG(*status);
        }
    }
    if (profile.target.pids.empty()) profile.target.pids.push_back(session.main_pid());
    return profile;
}

}  // namespace pmt
