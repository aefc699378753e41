#include "top/top_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report/value_format.h"
#include "target/php_processes.h"

namespace pmt {
namespace {

constexpr size_t kMaxNotices = 4;
constexpr size_t kRequestRows = 5;  // the URIs with the highest peaks

std::optional<double> rate(uint64_t now, uint64_t before, double dt) {
    if (dt <= 0 || now < before) return std::nullopt;
    return double(now - before) / dt;
}

std::string group_key(const ProcessFigures& f, bool group_pools) {
    if (group_pools)
        if (auto pool = fpm_pool_of(f.title)) return "pool " + *pool;
    return std::to_string(f.pid);
}

// The innermost PHP function of a stack (allocations made in internal functions
// count to the PHP code that called them); the leaf if there is none.
const Frame* innermost_user_frame(const std::vector<Frame>& frames, const std::vector<Symbol>& symbols) {
    for (auto it = frames.rbegin(); it != frames.rend(); ++it)
        if (it->symbol < symbols.size() && symbols[it->symbol].kind == FrameKind::User) return &*it;
    return frames.empty() ? nullptr : &frames.back();
}

std::string symbol_name(const std::vector<Symbol>& symbols, uint32_t id) {
    return id < symbols.size() ? symbols[id].qualified_name() : "[unknown]";
}

std::string rate_text(const std::optional<double>& value, bool bytes) {
    if (!value) return "-";
    if (bytes) return format_bytes(static_cast<uint64_t>(std::llround(*value))) + "/s";
    return group_thousands(static_cast<uint64_t>(std::llround(*value)));
}

std::string growth_text(const std::optional<int64_t>& growth) {
    if (!growth) return "-";
    if (*growth == 0) return "0";
    const uint64_t magnitude = *growth < 0 ? uint64_t(-(*growth + 1)) + 1 : uint64_t(*growth);
    return (*growth > 0 ? "+" : "-") + format_bytes(magnitude);
}

std::string percent_text(double share) {
    char buf[32];
    std::snprintf(buf, sizeof buf, share < 0.1 ? "%.2f%%" : "%.1f%%", share * 100);
    return buf;
}

struct Column {
    std::string title;
    size_t width;    // 0: the flexible column (takes what is left)
    int priority;    // dropped first when narrow: the highest
    bool left = false;
};

// Lays out rows of cells under the columns that fit in `width`.
class Table {
public:
    Table(std::vector<Column> columns, size_t width) : columns_(std::move(columns)) {
        constexpr size_t kMinFlexible = 12;
        std::vector<size_t> order(columns_.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return columns_[a].priority < columns_[b].priority; });
        size_t used = kMinFlexible;
        shown_.assign(columns_.size(), false);
        for (size_t i : order) {
            if (columns_[i].width == 0) {
                shown_[i] = true;
                continue;
            }
            if (used + columns_[i].width + 1 > width) continue;
            used += columns_[i].width + 1;
            shown_[i] = true;
        }
        flexible_ = width > used ? width - used + kMinFlexible : kMinFlexible;
        flexible_ = std::min(flexible_, width);
    }
    std::string line(const std::vector<std::string>& cells, size_t width, bool titles = false) const {
        std::string out;
        for (size_t i = 0; i < columns_.size(); ++i) {
            if (!shown_[i]) continue;
            if (!out.empty()) out += ' ';
            const size_t w = columns_[i].width ? columns_[i].width : flexible_;
            const bool keep_end = columns_[i].width == 0 && keep_end_ && !titles;
            std::string cell = fit_text(i < cells.size() ? cells[i] : "", w, keep_end);
            const std::string pad(w - text_width(cell), ' ');
            out += columns_[i].left ? cell + pad : pad + cell;
        }
        out = fit_text(out, width);
        out.erase(out.find_last_not_of(' ') + 1);  // no padding at the end of a line
        return out;
    }
    std::vector<std::string> titles() const {
        std::vector<std::string> t;
        for (const auto& c : columns_) t.push_back(c.title);
        return t;
    }
    void keep_end_of_flexible(bool keep) { keep_end_ = keep; }

private:
    std::vector<Column> columns_;
    std::vector<bool> shown_;
    size_t flexible_ = 0;
    bool keep_end_ = false;
};

}  // namespace

const char* top_sort_name(TopSort sort) {
    switch (sort) {
        case TopSort::Live: return "live bytes";
        case TopSort::AllocRate: return "allocation rate";
        case TopSort::Faults: return "page faults";
    }
    return "?";
}

size_t text_width(const std::string& text) {
    size_t n = 0;
    for (unsigned char c : text)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

std::string fit_text(const std::string& text, size_t width, bool keep_end) {
    if (text_width(text) <= width) return text;
    if (width == 0) return "";
    if (width == 1) return "~";
    // Byte offsets of code point starts.
    std::vector<size_t> starts;
    for (size_t i = 0; i < text.size(); ++i)
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts.push_back(i);
    if (keep_end) return "~" + text.substr(starts[starts.size() - (width - 1)]);
    return text.substr(0, starts[width - 1]) + "~";
}

void TopModel::forget_baselines() {
    base_t_s_.reset();
    process_base_.clear();
    row_bases_.clear();
}

void TopModel::add_notice(std::string text) {
    notices_.push_back(std::move(text));
    if (notices_.size() > kMaxNotices) notices_.erase(notices_.begin());
}

void TopModel::note_processes(const std::vector<ProcessFigures>& figures) {
    for (const auto& f : figures) {
        const bool first = seen_.insert(f.pid).second;
        if (f.exited && exited_.insert(f.pid).second) {
            std::string text = "process " + std::to_string(f.pid);
            if (!f.title.empty()) text += " (" + f.title + ")";
            text += " exited";
            // A process killed by a signal reports 0 here too: only a code that says something.
            if (f.exit_code.value_or(0)) text += " with code " + std::to_string(*f.exit_code);
            add_notice(text);
        } else if (first && base_t_s_) {
            add_notice("process " + std::to_string(f.pid) + " appeared" + (f.title.empty() ? "" : ": " + f.title));
        }
    }
}

std::vector<ProcessRow> TopModel::process_rows(const std::vector<ProcessFigures>& figures, const TopState& state,
                                               double dt, std::map<std::string, ProcessBase>& next_base) const {
    std::vector<ProcessRow> rows;
    std::map<std::string, size_t> index;
    std::map<std::string, ProcessBase> totals;
    for (const auto& f : figures) {
        const std::string key = group_key(f, state.group_pools);
        auto [it, inserted] = index.try_emplace(key, rows.size());
        if (inserted) {
            rows.emplace_back();
            rows.back().name = key == std::to_string(f.pid) ? key + " " + f.title : key;
            rows.back().exited = true;
        }
        ProcessRow& row = rows[it->second];
        row.pids.push_back(f.pid);
        row.used_bytes += f.used_bytes;
        row.real_bytes += f.real_bytes;
        // A pool's peak is its biggest worker's: what one request can reach.
        row.peak_bytes = key == std::to_string(f.pid) ? f.peak_bytes : std::max(row.peak_bytes, f.peak_bytes);
        row.limit_bytes = std::max(row.limit_bytes, f.limit_bytes);
        row.gc_runs += f.gc_runs;
        row.exited = row.exited && f.exited;
        ProcessBase& t = totals[key];
        t.allocs += f.alloc_count;
        t.alloc_bytes += f.alloc_bytes;
        t.frees += f.free_count;
    }
    for (auto& [key, i] : index) {
        ProcessRow& row = rows[i];
        if (row.pids.size() > 1) row.name += " (" + std::to_string(row.pids.size()) + " processes)";
        const ProcessBase& now = totals[key];
        auto before = process_base_.find(key);
        if (before != process_base_.end()) {
            row.allocs_per_s = rate(now.allocs, before->second.allocs, dt);
            row.alloc_bytes_per_s = rate(now.alloc_bytes, before->second.alloc_bytes, dt);
            row.frees_per_s = rate(now.frees, before->second.frees, dt);
        }
        next_base[key] = now;
    }
    return rows;
}

std::map<uint64_t, TopModel::Aggregate> TopModel::aggregate(const TopSource& source,
                                                            const std::vector<StackFigures>& stacks,
                                                            bool full_stacks) const {
    const std::vector<Symbol>& symbols = source.symbols();
    std::map<uint64_t, Aggregate> out;
    for (const auto& s : stacks) {
        const std::vector<Frame>& frames = source.frames(s.stack);
        uint64_t key;
        std::string name;
        if (full_stacks) {
            key = s.stack;
        } else {
            const Frame* f = innermost_user_frame(frames, symbols);
            key = f ? f->symbol : UINT32_MAX;
        }
        auto [it, inserted] = out.try_emplace(key);
        Aggregate& a = it->second;
        if (inserted) {
            if (full_stacks) {
                for (const auto& f : frames) a.name += (a.name.empty() ? "" : " > ") + symbol_name(symbols, f.symbol);
                if (a.name.empty()) a.name = "[no frames]";
            } else {
                a.name = key == UINT32_MAX ? "[no frames]" : symbol_name(symbols, static_cast<uint32_t>(key));
            }
        }
        a.figures.live_bytes += s.live_bytes;
        a.figures.alloc_bytes += s.alloc_bytes;
        a.figures.fault_count += s.fault_count;
    }
    return out;
}

TopFrame TopModel::refresh(TopSource& source, TopState& state, double now_s, bool advance) {
    TopFrame frame;
    frame.t_s = now_s;
    frame.has_faults = source.has_faults();
    if (!frame.has_faults && state.sort == TopSort::Faults) state.sort = TopSort::Live;
    const std::vector<ProcessFigures> figures = source.processes();
    note_processes(figures);
    const double dt = base_t_s_ ? now_s - *base_t_s_ : 0;
    std::map<std::string, ProcessBase> next_process_base;
    frame.processes = process_rows(figures, state, dt, next_process_base);
    if (state.selected > frame.processes.size()) state.selected = 0;

    std::vector<uint32_t> pids;
    std::string selection;
    if (state.selected) {
        const ProcessRow& row = frame.processes[state.selected - 1];
        pids = row.pids;
        frame.selection = selection = row.name;
    } else {
        frame.selection = "every process";
    }
    const std::vector<StackFigures> stacks = source.stacks(pids);
    frame.requests = source.request_peaks(pids);
    std::sort(frame.requests.begin(), frame.requests.end(), [](const RequestPeak& a, const RequestPeak& b) {
        return a.peak_bytes != b.peak_bytes ? a.peak_bytes > b.peak_bytes : a.uri < b.uri;
    });
    auto base_key = [&](bool full_stacks) { return (full_stacks ? "stacks:" : "functions:") + selection; };
    auto bases_of = [](const std::map<uint64_t, Aggregate>& aggregates) {
        std::map<uint64_t, RowBase> bases;
        for (const auto& [key, a] : aggregates) bases[key] = RowBase{a.figures.live_bytes, a.figures.alloc_bytes};
        return bases;
    };
    const auto aggregates = aggregate(source, stacks, state.full_stacks);
    const auto base = row_bases_.find(base_key(state.full_stacks));
    for (const auto& [key, a] : aggregates) {
        TopRow row;
        row.name = a.name;
        row.live_bytes = a.figures.live_bytes;
        row.faults = a.figures.fault_count;
        if (base != row_bases_.end() && base_t_s_) {
            auto before = base->second.find(key);
            const RowBase b = before == base->second.end() ? RowBase{} : before->second;
            row.growth = int64_t(row.live_bytes) - int64_t(b.live_bytes);
            row.alloc_bytes_per_s = rate(a.figures.alloc_bytes, b.alloc_bytes, dt);
        }
        frame.rows.push_back(std::move(row));
    }
    if (advance) {
        std::map<std::string, std::map<uint64_t, RowBase>> next;
        next[base_key(state.full_stacks)] = bases_of(aggregates);
        next[base_key(!state.full_stacks)] = bases_of(aggregate(source, stacks, !state.full_stacks));
        row_bases_ = std::move(next);
    }
    auto value = [&](const TopRow& r) -> double {
        switch (state.sort) {
            case TopSort::Live: return double(r.live_bytes);
            case TopSort::AllocRate: return r.alloc_bytes_per_s.value_or(0);
            case TopSort::Faults: return double(r.faults);
        }
        return 0;
    };
    std::stable_sort(frame.rows.begin(), frame.rows.end(), [&](const TopRow& a, const TopRow& b) {
        if (value(a) != value(b)) return value(a) > value(b);
        return a.live_bytes > b.live_bytes;
    });
    if (advance) {
        frame.cost = source.cost();
        last_cost_ = frame.cost;
        base_t_s_ = now_s;
        process_base_ = std::move(next_process_base);
    } else {
        frame.cost = last_cost_;
    }
    frame.notices = notices_;
    return frame;
}

std::vector<ScreenLine> layout_top(const TopFrame& frame, const TopState& state, size_t width, size_t height,
                                   size_t max_rows, bool interactive) {
    std::vector<ScreenLine> lines;
    auto add = [&](std::string text, LineStyle style) { lines.push_back({fit_text(text, width), style}); };
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.0fs", frame.t_s);
    // What matters most first: a narrow terminal cuts the end of a line.
    std::string title = "phpmemtrace top  " + std::string(elapsed);
    if (state.paused) title += "  [PAUSED]";
    if (frame.cost.lost_records) title += "  LOST RECORDS: " + group_thousands(frame.cost.lost_records);
    title += "  mode: " + frame.cost.mode + ", " +
             group_thousands(static_cast<uint64_t>(std::llround(frame.cost.traps_per_s))) + " traps/s";
    // The estimate against the budget (--max-overhead): what tracing costs the
    // traced processes, as a share of the CPU time they used.
    std::string basis = frame.cost.cost_basis;
    if (frame.cost.overhead) {
        title += ", est. " + percent_text(*frame.cost.overhead) + " of their CPU (budget " +
                 percent_text(frame.cost.budget) + ")";
        if (*frame.cost.overhead > frame.cost.budget) title += " OVER BUDGET";
    } else if (frame.cost.priced) {
        title += ", the traced processes used no CPU yet";
    } else {
        title += ", cost unknown";
    }
    add(title, LineStyle::Title);
    add("  " + frame.cost.mode + ": " + frame.cost.explanation + "; " + basis, LineStyle::Normal);
    size_t exited = 0;
    for (const auto& p : frame.processes) exited += p.exited;
    size_t traced = 0;
    for (const auto& p : frame.processes) traced += p.pids.size();
    std::string count = std::to_string(traced) + (traced == 1 ? " process" : " processes");
    if (frame.processes.size() != traced) count += " in " + std::to_string(frame.processes.size()) + " rows";
    add(count + (exited ? " (" + std::to_string(exited) + " exited)" : "") + "  sort: " + top_sort_name(state.sort) +
            "  view: " + (state.full_stacks ? "stacks" : "functions"),
        LineStyle::Normal);

    Table processes({{"PROCESS", 0, 0, true},
                     {"USED", 9, 1},
                     {"REAL", 9, 3},
                     {"PEAK", 9, 2},
                     {"LIMIT", 9, 4},
                     {"ALLOC/s", 9, 5},
                     {"ALLOC B/s", 12, 1},
                     {"FREE/s", 9, 6},
                     {"GC", 5, 7}},
                    width > 2 ? width - 2 : width);
    add("  " + processes.line(processes.titles(), width), LineStyle::Header);
    const size_t process_lines_max = height ? std::max<size_t>(1, height / 3) : frame.processes.size();
    // The selected process stays in view when the list is longer than the screen.
    size_t first = 0;
    if (state.selected > process_lines_max) first = state.selected - process_lines_max;
    for (size_t i = first; i < frame.processes.size() && i - first < process_lines_max; ++i) {
        const ProcessRow& p = frame.processes[i];
        const bool selected = interactive && state.selected == i + 1;
        std::vector<std::string> cells = {p.exited ? "[exited] " + p.name : p.name,
                                          format_bytes(p.used_bytes),
                                          format_bytes(p.real_bytes),
                                          format_bytes(p.peak_bytes),
                                          p.limit_bytes ? format_bytes(p.limit_bytes) : "-",
                                          rate_text(p.allocs_per_s, false),
                                          rate_text(p.alloc_bytes_per_s, true),
                                          rate_text(p.frees_per_s, false),
                                          std::to_string(p.gc_runs)};
        add((selected ? "> " : "  ") + processes.line(cells, width),
            selected ? LineStyle::Selected : p.exited ? LineStyle::Exited : LineStyle::Normal);
    }
    // In --batch an empty line ends a refresh: one paragraph each, for scripts.
    if (interactive) add("", LineStyle::Normal);
    if (!frame.requests.empty()) {
        add("REQUEST PEAKS BY URI in " + frame.selection, LineStyle::Title);
        Table requests({{"PEAK", 10, 0}, {"REQUESTS", 10, 1}, {"URI", 0, 0, true}}, width);
        add(requests.line(requests.titles(), width, true), LineStyle::Header);
        const size_t shown = std::min<size_t>(frame.requests.size(), kRequestRows);
        for (size_t i = 0; i < shown; ++i) {
            const RequestPeak& r = frame.requests[i];
            add(requests.line({format_bytes(r.peak_bytes), group_thousands(r.requests), r.uri}, width), LineStyle::Normal);
        }
        if (interactive) add("", LineStyle::Normal);
    }
    add(std::string(state.full_stacks ? "TOP STACKS" : "TOP FUNCTIONS") + " BY " + top_sort_name(state.sort) +
            " in " + frame.selection,
        LineStyle::Title);
    std::vector<Column> columns = {{"LIVE", 10, 0}, {"GROWTH", 11, 1}, {"ALLOC B/s", 12, 2}};
    if (frame.has_faults) columns.push_back({"FAULTS", 9, 3});
    columns.push_back({state.full_stacks ? "STACK (root > leaf)" : "FUNCTION", 0, 0, true});
    Table rows(columns, width);
    rows.keep_end_of_flexible(state.full_stacks);  // the leaf end says most
    add(rows.line(rows.titles(), width, true), LineStyle::Header);
    const size_t footer = (interactive ? 1 : 0) + frame.notices.size();
    size_t room = max_rows;
    if (height) room = height > lines.size() + footer ? height - lines.size() - footer : 0;
    for (size_t i = 0; i < frame.rows.size() && i < room; ++i) {
        const TopRow& r = frame.rows[i];
        std::vector<std::string> cells = {format_bytes(r.live_bytes), growth_text(r.growth),
                                          rate_text(r.alloc_bytes_per_s, true)};
        if (frame.has_faults) cells.push_back(group_thousands(r.faults));
        cells.push_back(r.name);
        add(rows.line(cells, width), LineStyle::Normal);
    }
    if (frame.rows.empty()) add("(nothing allocated yet)", LineStyle::Normal);
    if (height)
        while (lines.size() + footer < height) lines.push_back({"", LineStyle::Normal});
    for (const auto& n : frame.notices) add(n, LineStyle::Notice);
    if (interactive)
        add("q quit  s sort  f functions/stacks  p/P process  g pools  e exact  space pause  r reset  "
            "w flame graph  d session",
            LineStyle::Help);
    if (height && lines.size() > height) lines.resize(height);
    return lines;
}

}  // namespace pmt
