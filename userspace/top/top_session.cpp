#include "top/top_session.h"

#include <atomic>
#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>

#include "report/output_writer.h"
#include "session/session_core.h"
#include "top/top_terminal.h"

namespace pmt {
namespace {

std::atomic<bool> g_stop{false};

double seconds_since(uint64_t start_ns) { return double(monotonic_ns() - start_ns) / 1e9; }

std::string file_stamp() {
    std::time_t now = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::gmtime(&now));
    return buf;
}

View view_for(TopSort sort) {
    switch (sort) {
        case TopSort::Live: return View::Live;
        case TopSort::AllocRate: return View::Alloc;
        case TopSort::Faults: return View::Faults;
    }
    return View::Live;
}

// What has been seen so far, written by the report and store writers.
std::string write_seen(TopSource& source, const TopOptions& options, const TopState& state, const char* extension) {
    const std::string path = options.output_dir + "/phpmemtrace-top-" + file_stamp() + extension;
    Profile profile = source.snapshot();
    if (auto s = write_output(profile, path, view_for(state.sort)); !s) return "write failed: " + s.error().message;
    return "wrote " + path;
}

class TopLoop {
public:
    TopLoop(std::unique_ptr<TopSource> source, const TopOptions& options)
        : source_(std::move(source)), options_(options), exact_(options.exact) {
        state_ = options.initial;
    }

    int run() {
        if (!options_.batch) {
            auto terminal = TopTerminal::open();
            if (!terminal) {
                std::cerr << "phpmemtrace: " << terminal.error().message << "\n";
                return 1;
            }
            terminal_ = std::move(*terminal);
        }
        const uint64_t start = monotonic_ns();
        double next_refresh = 0;
        bool first = true;
        uint64_t refreshes = 0;
        while (!g_stop) {
            const double now = seconds_since(start);
            if (now >= next_refresh) {
                if (options_.discover)
                    for (auto& notice : options_.discover(*source_)) model_.add_notice(std::move(notice));
                // The first refresh at once: the screen is not empty while the
                // rates build up; --batch prints from the first interval on, when
                // there are rates to print.
                if (!state_.paused || first) {
                    TopFrame frame = model_.refresh(*source_, state_, now, true);
                    if (!first || terminal_) {
                        show(std::move(frame));
                        if (options_.iterations && ++refreshes >= *options_.iterations) break;
                    } else {
                        frame_ = std::move(frame);
                    }
                }
                first = false;
                next_refresh = now + options_.interval_s;
            }
            const double wait_s = std::max(0.0, std::min(next_refresh - seconds_since(start), 0.1));
            if (auto s = source_->poll(static_cast<int>(wait_s * 1000)); !s) {
                terminal_.reset();
                std::cerr << "phpmemtrace: " << s.error().message << "\n";
                return 1;
            }
            if (terminal_ && !handle_keys(seconds_since(start))) break;
        }
        return 0;
    }

private:
    void show(TopFrame frame) {
        frame_ = std::move(frame);
        if (terminal_) {
            terminal_->draw(layout_top(frame_, state_, terminal_->width(), terminal_->height(), 0, true));
            return;
        }
        for (const auto& line : layout_top(frame_, state_, options_.batch_width, 0, options_.batch_rows, false))
            std::cout << line.text << "\n";
        std::cout << std::endl;
    }

    // False: quit.
    bool handle_keys(double now) {
        bool changed = terminal_->take_resized();
        while (auto k = terminal_->key()) {
            switch (*k) {
                case 'q': case 'Q': return false;
                case 's':
                    state_.sort = state_.sort == TopSort::Live        ? TopSort::AllocRate
                                  : state_.sort == TopSort::AllocRate && source_->has_faults() ? TopSort::Faults
                                                                                              : TopSort::Live;
                    break;
                case 'f': state_.full_stacks = !state_.full_stacks; break;
                case 'g': state_.group_pools = !state_.group_pools, state_.selected = 0; break;
                case 'p': case '\t':
                    state_.selected = frame_.processes.empty() ? 0 : (state_.selected + 1) % (frame_.processes.size() + 1);
                    break;
                case 'P':
                    state_.selected = state_.selected ? state_.selected - 1 : frame_.processes.size();
                    break;
                case ' ': state_.paused = !state_.paused; break;
                case 'r':
                    source_->reset();
                    model_.forget_baselines();
                    model_.add_notice("reset: totals, rates and peaks start again");
                    break;
                case 'w': model_.add_notice(write_seen(*source_, options_, state_, ".svg")); break;
                case 'd': model_.add_notice(write_seen(*source_, options_, state_, ".db")); break;
                case 'e': switch_mode(); break;
                default: continue;
            }
            changed = true;
        }
        if (changed) show(model_.refresh(*source_, state_, now, false));
        return true;
    }

    // The same processes in the other mode. The new source attaches before the
    // old one detaches, so nothing goes untraced in between; the figures start
    // again (stack ids are the source's own).
    void switch_mode() {
        if (!options_.reopen) return;
        auto other = options_.reopen(!exact_);
        const char* mode = exact_ ? "the heap's slow paths" : "exact mode";
        if (!other) {
            model_.add_notice(std::string("could not switch to ") + mode + ": " + other.error().message);
            return;
        }
        source_ = std::move(*other);
        exact_ = !exact_;
        model_.forget_baselines();
        model_.add_notice(std::string("switched to ") + mode + (exact_ ? ": every allocation traps" : "") +
                          "; figures start again");
    }

    std::unique_ptr<TopSource> source_;
    const TopOptions& options_;
    bool exact_;
    TopState state_;
    TopModel model_;
    TopFrame frame_;
    std::unique_ptr<TopTerminal> terminal_;
};

}  // namespace

void request_top_stop() { g_stop = true; }

int run_top(std::unique_ptr<TopSource> source, const TopOptions& options) {
    g_stop = false;
    return TopLoop(std::move(source), options).run();
}

}  // namespace pmt
