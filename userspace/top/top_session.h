// The loop of `phpmemtrace top`: drains the source continuously, refreshes the
// view every interval (full screen, or plain text with --batch), and acts on keys.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "top/top_source.h"
#include "util/result.h"
#include "top/top_view.h"

namespace pmt {

struct TopOptions {
    double interval_s = 1.0;
    bool batch = false;                  // plain text at each interval (else the full screen)
    std::optional<uint64_t> iterations;  // stop after this many refreshes
    size_t batch_rows = 20;              // functions or stacks printed per refresh in --batch
    size_t batch_width = 160;
    std::string output_dir = ".";        // where the w and d keys write
    TopState initial;
    // Called before each refresh: processes to start tracing (top --all), each
    // returning a notice ("process 123 appeared", "... not traced: why").
    std::function<std::vector<std::string>(TopSource&)> discover;
    // The `e` key: the processes traced now, in the other mode (exact or the
    // heap's slow paths); none: the key does nothing. `exact` is the first mode.
    std::function<Result<std::unique_ptr<TopSource>>(bool exact)> reopen;
    bool exact = false;
};

// Runs until q, a signal (request_top_stop) or the iterations; returns the exit
// status (0, or 1 when the source or the terminal failed, said on stderr).
int run_top(std::unique_ptr<TopSource> source, const TopOptions& options);

void request_top_stop();

}  // namespace pmt
