// What `top` shows, independent of where it is shown: TopModel turns the
// source's figures into one refresh (processes, the top functions or stacks,
// notices), with rates and growth since the previous refresh; layout_top() lays
// a refresh out as lines of a given width, the same for the terminal and --batch.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "top/top_source.h"

namespace pmt {

enum class TopSort : uint8_t { Live, AllocRate, Faults };
const char* top_sort_name(TopSort sort);  // "live bytes", "allocation rate", "page faults"

struct TopState {
    TopSort sort = TopSort::Live;
    bool full_stacks = false;  // else functions (the innermost PHP function of each stack)
    bool group_pools = false;  // FPM workers as one row per pool
    size_t selected = 0;       // 0: every process; i: the i-th process row
    bool paused = false;
};

struct ProcessRow {
    std::string name;  // "1234 php8.2 grow.php", or "pool www (3 processes)"
    std::vector<uint32_t> pids;
    uint64_t used_bytes = 0, real_bytes = 0, peak_bytes = 0, limit_bytes = 0;
    std::optional<double> allocs_per_s, alloc_bytes_per_s, frees_per_s;
    uint64_t gc_runs = 0;
    bool exited = false;  // every process of the row is gone
};

struct TopRow {
    std::string name;  // function, or stack (root first, " > " between frames)
    uint64_t live_bytes = 0;
    std::optional<int64_t> growth;  // live bytes since the previous refresh
    std::optional<double> alloc_bytes_per_s;
    uint64_t faults = 0;
};

struct TopFrame {
    double t_s = 0;  // since top started
    SourceCost cost;
    bool has_faults = false;
    std::vector<ProcessRow> processes;
    std::string selection;  // "every process", or the selected row's name
    std::vector<TopRow> rows;  // sorted by the state's sort
    std::vector<RequestPeak> requests;  // the selection's, highest peak first
    std::vector<std::string> notices;  // newest last: processes that appeared or exited, writes
};

class TopModel {
public:
    // One refresh. `advance`: a periodic refresh, which becomes the base of the
    // next one's rates and growth (a refresh for a key press is not).
    TopFrame refresh(TopSource& source, TopState& state, double now_s, bool advance);
    // After TopSource::reset(): rates start again.
    void forget_baselines();
    void add_notice(std::string text);

private:
    struct ProcessBase {
        uint64_t allocs = 0, alloc_bytes = 0, frees = 0;
    };
    struct RowBase {
        uint64_t live_bytes = 0, alloc_bytes = 0;
    };
    struct Aggregate {
        std::string name;
        StackFigures figures;
    };
    std::vector<ProcessRow> process_rows(const std::vector<ProcessFigures>& figures, const TopState& state,
                                         double dt, std::map<std::string, ProcessBase>& next_base) const;
    std::map<uint64_t, Aggregate> aggregate(const TopSource& source, const std::vector<StackFigures>& stacks,
                                            bool full_stacks) const;
    void note_processes(const std::vector<ProcessFigures>& figures);

    std::optional<double> base_t_s_;
    std::map<std::string, ProcessBase> process_base_;
    // Row bases of the selection, for functions and for stacks (so that f shows
    // growth at once), by "functions:"/"stacks:" + the selection's name.
    std::map<std::string, std::map<uint64_t, RowBase>> row_bases_;
    std::set<uint32_t> seen_, exited_;
    std::vector<std::string> notices_;
    SourceCost last_cost_;
};

enum class LineStyle : uint8_t { Title, Header, Normal, Selected, Exited, Notice, Help };
struct ScreenLine {
    std::string text;
    LineStyle style = LineStyle::Normal;
};

// The lines of one refresh for a screen `width` columns wide and `height` lines
// high (0: as many as there are rows, up to `max_rows`). `interactive` adds the
// key help and the selection marker.
std::vector<ScreenLine> layout_top(const TopFrame& frame, const TopState& state, size_t width, size_t height,
                                   size_t max_rows, bool interactive);

// Display width of UTF-8 text (code points; PHP names are mostly ASCII).
size_t text_width(const std::string& text);
// Cut to `width` code points, "~" marking the cut (keep_end: the end is kept).
std::string fit_text(const std::string& text, size_t width, bool keep_end = false);

}  // namespace pmt
