// top's view of a source (top/top_view.h) and its per-process table
// (top/live_table.h), fed by a fake source: what is attributed where, what
// grows, what is sorted first, what is said when a process exits, and that every
// line fits the terminal however narrow.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "top/live_table.h"
#include "top/top_view.h"

namespace pmt {
namespace {

class FakeSource : public TopSource {
public:
    std::vector<ProcessFigures> procs;
    std::map<uint32_t, std::vector<StackFigures>> by_pid;
    std::vector<std::vector<Frame>> stack_frames;
    std::vector<Symbol> syms;
    bool faults = false;
    int resets = 0;

    uint32_t symbol(const std::string& name, FrameKind kind = FrameKind::User) {
        Symbol s;
        s.kind = kind;
        s.function = name;
        syms.push_back(s);
        return uint32_t(syms.size() - 1);
    }
    uint32_t stack(std::vector<uint32_t> symbols_root_first) {
        std::vector<Frame> frames;
        for (uint32_t s : symbols_root_first) frames.push_back(Frame{s, 0});
        stack_frames.push_back(frames);
        return uint32_t(stack_frames.size() - 1);
    }
    void set(uint32_t pid, uint32_t stack, uint64_t live, uint64_t alloc, uint64_t fault_count = 0) {
        for (auto& s : by_pid[pid])
            if (s.stack == stack) {
                s.live_bytes = live, s.alloc_bytes = alloc, s.fault_count = fault_count;
                return;
            }
        StackFigures f;
        f.stack = stack, f.live_bytes = live, f.alloc_bytes = alloc, f.fault_count = fault_count;
        by_pid[pid].push_back(f);
    }

    Status poll(int) override { return Status::success(); }
    std::vector<ProcessFigures> processes() const override { return procs; }
    std::vector<StackFigures> stacks(const std::vector<uint32_t>& pids) const override {
        std::map<uint32_t, StackFigures> sum;
        for (const auto& [pid, list] : by_pid) {
            if (!pids.empty() && std::find(pids.begin(), pids.end(), pid) == pids.end()) continue;
            for (const auto& s : list) {
                auto& f = sum[s.stack];
                f.stack = s.stack;
                f.live_bytes += s.live_bytes;
                f.alloc_bytes += s.alloc_bytes;
                f.fault_count += s.fault_count;
            }
        }
        std::vector<StackFigures> out;
        for (auto& [id, f] : sum) out.push_back(f);
        return out;
    }
    const std::vector<Frame>& frames(uint32_t stack) const override { return stack_frames.at(stack); }
    const std::vector<Symbol>& symbols() const override { return syms; }
    bool has_faults() const override { return faults; }
    SourceCost cost() override { return cost_now; }
    SourceCost cost_now{.mode = "exact", .explanation = "every allocation traced", .traps_per_s = 1000,
                        .overhead = 0.0105, .budget = 0.01, .priced = true, .cost_basis = "10500 ns a trap"};
    void reset() override { ++resets; }
    Profile snapshot() const override { return Profile{}; }
    bool traces(pid_t pid) const override {
        for (const auto& p : procs)
            if (p.pid == uint32_t(pid)) return true;
        return false;
    }
    Status add_process(pid_t) override { return Error{"a fake source traces no more"}; }
};

ProcessFigures process(uint32_t pid, const std::string& title, uint64_t used, uint64_t allocs = 0) {
    ProcessFigures f;
    f.pid = pid;
    f.title = title;
    f.used_bytes = used;
    f.peak_bytes = used;
    f.alloc_count = allocs;
    f.alloc_bytes = allocs * 100;
    return f;
}

std::string joined(const std::vector<ScreenLine>& lines) {
    std::string out;
    for (const auto& l : lines) out += l.text + "\n";
    return out;
}

TEST(TopView, FunctionsAreTheInnermostPhpCodeWithGrowthAndRate) {
    FakeSource src;
    const uint32_t main = src.symbol("{main}"), grow = src.symbol("grow"), keep = src.symbol("keep_small");
    const uint32_t repeat = src.symbol("str_repeat", FrameKind::Internal);
    const uint32_t via_repeat = src.stack({main, grow, repeat}), direct = src.stack({main, grow});
    const uint32_t small = src.stack({main, keep});
    src.procs = {process(10, "php8.2 grow.php", 1 << 20, 5)};
    src.set(10, via_repeat, 1000, 1000);
    src.set(10, direct, 500, 500);
    src.set(10, small, 800, 800);
    TopModel model;
    TopState state;
    TopFrame first = model.refresh(src, state, 0.0, true);
    ASSERT_EQ(first.rows.size(), 2u);
    EXPECT_EQ(first.rows[0].name, "grow");  // 1000 + 500 through str_repeat and directly
    EXPECT_EQ(first.rows[0].live_bytes, 1500u);
    EXPECT_FALSE(first.rows[0].growth);  // nothing to compare with yet

    src.set(10, via_repeat, 3000, 3000);
    src.procs[0].alloc_count = 25;
    TopFrame second = model.refresh(src, state, 2.0, true);
    EXPECT_EQ(second.rows[0].name, "grow");
    ASSERT_TRUE(second.rows[0].growth);
    EXPECT_EQ(*second.rows[0].growth, 2000);
    ASSERT_TRUE(second.rows[0].alloc_bytes_per_s);
    EXPECT_DOUBLE_EQ(*second.rows[0].alloc_bytes_per_s, 1000.0);  // 2000 bytes in 2 s
    ASSERT_TRUE(second.processes[0].allocs_per_s);
    EXPECT_DOUBLE_EQ(*second.processes[0].allocs_per_s, 10.0);
    EXPECT_EQ(*second.rows[1].growth, 0);

    state.full_stacks = true;
    TopFrame stacks = model.refresh(src, state, 2.5, false);
    ASSERT_EQ(stacks.rows.size(), 3u);
    EXPECT_EQ(stacks.rows[0].name, "{main} > grow > str_repeat");
    ASSERT_TRUE(stacks.rows[0].growth);  // stacks have their base too: growth at once
    EXPECT_EQ(*stacks.rows[0].growth, 0);
}

TEST(TopView, SortsByAllocationRateAndFaults) {
    FakeSource src;
    src.faults = true;
    const uint32_t a = src.symbol("holds"), b = src.symbol("churns"), c = src.symbol("faults");
    const uint32_t sa = src.stack({a}), sb = src.stack({b}), sc = src.stack({c});
    src.procs = {process(1, "php", 0)};
    src.set(1, sa, 5000, 5000);
    src.set(1, sb, 10, 100, 0);
    src.set(1, sc, 20, 20, 0);
    TopModel model;
    TopState state;
    model.refresh(src, state, 0, true);
    src.set(1, sb, 10, 90100);
    src.set(1, sc, 20, 20, 99);
    state.sort = TopSort::AllocRate;
    EXPECT_EQ(model.refresh(src, state, 1, true).rows[0].name, "churns");
    state.sort = TopSort::Faults;
    EXPECT_EQ(model.refresh(src, state, 2, true).rows[0].name, "faults");
    state.sort = TopSort::Live;
    EXPECT_EQ(model.refresh(src, state, 3, true).rows[0].name, "holds");
    src.faults = false;
    state.sort = TopSort::Faults;
    model.refresh(src, state, 4, true);
    EXPECT_EQ(state.sort, TopSort::Live);  // no fault module: nothing to sort by
}

TEST(TopView, PicksAProcessAndGroupsFpmPools) {
    FakeSource src;
    const uint32_t f = src.symbol("handler"), g = src.symbol("other");
    const uint32_t sf = src.stack({f}), sg = src.stack({g});
    src.procs = {process(1, "php-fpm: master process (/etc/php/fpm.conf)", 100),
                 process(2, "php-fpm: pool www", 3000), process(3, "php-fpm: pool www", 5000),
                 process(4, "php-fpm: pool api", 700)};
    src.set(2, sf, 100, 100);
    src.set(3, sf, 200, 200);
    src.set(4, sg, 900, 900);
    TopModel model;
    TopState state;
    state.group_pools = true;
    TopFrame frame = model.refresh(src, state, 0, true);
    ASSERT_EQ(frame.processes.size(), 3u);
    EXPECT_EQ(frame.processes[1].name, "pool www (2 processes)");
    EXPECT_EQ(frame.processes[1].used_bytes, 8000u);
    EXPECT_EQ(frame.processes[1].peak_bytes, 5000u);  // the biggest worker's
    EXPECT_EQ(frame.rows[0].name, "other");
    state.selected = 2;
    frame = model.refresh(src, state, 0.5, false);
    EXPECT_EQ(frame.selection, "pool www (2 processes)");
    ASSERT_EQ(frame.rows.size(), 1u);
    EXPECT_EQ(frame.rows[0].name, "handler");
    EXPECT_EQ(frame.rows[0].live_bytes, 300u);
    state.selected = 9;  // past the list (a pool went away): every process again
    frame = model.refresh(src, state, 0.6, false);
    EXPECT_EQ(state.selected, 0u);
    EXPECT_EQ(frame.selection, "every process");
}

TEST(TopView, SaysWhenAProcessExitsAndKeepsItsRow) {
    FakeSource src;
    src.procs = {process(42, "php8.2 worker.php", 1000)};
    TopModel model;
    TopState state;
    model.refresh(src, state, 0, true);
    src.procs[0].exited = true;
    src.procs[0].exit_code = 137;
    TopFrame frame = model.refresh(src, state, 1, true);
    ASSERT_EQ(frame.notices.size(), 1u);
    EXPECT_EQ(frame.notices[0], "process 42 (php8.2 worker.php) exited with code 137");
    EXPECT_TRUE(frame.processes[0].exited);
    const std::string screen = joined(layout_top(frame, state, 120, 30, 0, true));
    EXPECT_NE(screen.find("[exited]"), std::string::npos);
    EXPECT_NE(screen.find("exited with code 137"), std::string::npos);
    // Said once, not at every refresh.
    EXPECT_EQ(model.refresh(src, state, 2, true).notices.size(), 1u);
}

// The header holds the estimate against the budget, and says when it is over;
// the mode's explanation and the price per trap are on the line below.
TEST(TopView, HeaderSaysTheCostAgainstTheBudget) {
    FakeSource src;
    src.procs = {process(42, "php8.2 worker.php", 1000)};
    TopModel model;
    TopState state;
    auto header = [&](double overhead) {
        src.cost_now.overhead = overhead;
        const auto lines = layout_top(model.refresh(src, state, 0, true), state, 200, 30, 0, true);
        return lines.at(0).text + "\n" + lines.at(1).text;
    };
    const std::string over = header(0.0105);
    EXPECT_NE(over.find("mode: exact, 1,000 traps/s, est. 1.05% of their CPU (budget 1.00%) OVER BUDGET"),
              std::string::npos) << over;
    EXPECT_NE(over.find("exact: every allocation traced; 10500 ns a trap"), std::string::npos) << over;
    const std::string under = header(0.002);
    EXPECT_NE(under.find("est. 0.20% of their CPU (budget 1.00%)"), std::string::npos) << under;
    EXPECT_EQ(under.find("OVER BUDGET"), std::string::npos) << under;
    EXPECT_NE(header(0).find("est. 0.00%"), std::string::npos);
    src.cost_now.overhead.reset();
    src.cost_now.priced = false;
    const auto unpriced = layout_top(model.refresh(src, state, 0, true), state, 200, 30, 0, true);
    EXPECT_NE(unpriced.at(0).text.find("cost unknown"), std::string::npos) << unpriced.at(0).text;
}

TEST(TopView, EveryLineFitsHoweverNarrowTheTerminal) {
    FakeSource src;
    const uint32_t longname = src.symbol("App\\Very\\Long\\Namespace\\Service::aFunctionWithAVeryLongName");
    const uint32_t s = src.stack({longname});
    src.procs = {process(7, "php8.2 /srv/some/rather/long/path/to/a/script.php --with --arguments", 1 << 30)};
    src.set(7, s, 123456789, 123456789);
    TopModel model;
    TopState state;
    TopFrame frame = model.refresh(src, state, 0, true);
    for (size_t width : {200u, 80u, 40u, 20u, 5u, 1u}) {
        for (size_t height : {50u, 10u, 3u}) {
            auto lines = layout_top(frame, state, width, height, 0, true);
            EXPECT_LE(lines.size(), height);
            for (const auto& l : lines) EXPECT_LE(text_width(l.text), width) << "width " << width << ": " << l.text;
        }
    }
    // At 80 columns the figures that matter most stay: used bytes, the name.
    const std::string screen = joined(layout_top(frame, state, 80, 24, 0, true));
    EXPECT_NE(screen.find("USED"), std::string::npos);
    EXPECT_NE(screen.find("1 GiB"), std::string::npos) << screen;
    EXPECT_NE(screen.find("118 MiB"), std::string::npos) << screen;
    EXPECT_NE(screen.find("App\\Very"), std::string::npos);
}

TEST(TopView, BatchLayoutHasNoHelpAndTheRowLimit) {
    FakeSource src;
    src.procs = {process(1, "php", 0)};
    for (int i = 0; i < 30; ++i) src.set(1, src.stack({src.symbol("f" + std::to_string(i))}), 100 + i, 100 + i);
    TopModel model;
    TopState state;
    const auto lines = layout_top(model.refresh(src, state, 0, true), state, 160, 0, 5, false);
    const std::string text = joined(lines);
    EXPECT_EQ(text.find("q quit"), std::string::npos);
    EXPECT_NE(text.find(" f29\n"), std::string::npos);  // the biggest first
    EXPECT_NE(text.find(" f25\n"), std::string::npos);
    EXPECT_EQ(text.find(" f24\n"), std::string::npos);  // five rows only
}

TEST(TopView, FitTextCutsOnCodePoints) {
    EXPECT_EQ(fit_text("abcdef", 4), "abc~");
    EXPECT_EQ(fit_text("abcdef", 4, true), "~def");
    EXPECT_EQ(fit_text("abc", 3), "abc");
    EXPECT_EQ(fit_text("abc", 1, true), "~");
    EXPECT_EQ(fit_text("h\xc3\xa9llo", 3), "h\xc3\xa9~");
    EXPECT_EQ(text_width("h\xc3\xa9llo"), 5u);
}

TEST(LiveTable, RequestPeaksByUriAreBounded) {
    LiveTable t;
    t.on_request_end(1, "/a", 100);
    t.on_request_end(1, "/a", 300);
    t.on_request_end(1, "/a", 200);
    EXPECT_EQ(t.find(1)->uri_peaks.at("/a").peak_bytes, 300u);
    EXPECT_EQ(t.find(1)->uri_peaks.at("/a").requests, 3u);
    for (size_t i = 0; i < LiveTable::kMaxUris + 10; ++i) t.on_request_end(1, "/u" + std::to_string(i), 1);
    EXPECT_EQ(t.find(1)->uri_peaks.size(), LiveTable::kMaxUris + 1);  // the rest under one entry
    EXPECT_EQ(t.find(1)->uri_peaks.at(LiveTable::kOtherUris).requests, 11u);
}

TEST(LiveTable, ResetRestartsTotalsAndKeepsWhatIsLive) {
    LiveTable t;
    t.on_block(5, 1, 100, true, 100);
    t.on_block(5, 1, 50, true, 150);
    t.on_block(5, 1, 100, false, 50);
    t.on_gc_run(5);
    const auto* p = t.find(5);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->alloc_count, 2u);
    EXPECT_EQ(p->free_bytes, 100u);
    EXPECT_EQ(p->peak_used, 150u);
    EXPECT_EQ(p->gc_runs, 1u);
    EXPECT_EQ(p->stacks.at(1).live_bytes, 50u);
    t.reset({{5, 50}});
    p = t.find(5);
    EXPECT_EQ(p->alloc_count, 0u);
    EXPECT_EQ(p->gc_runs, 0u);
    EXPECT_EQ(p->peak_used, 50u);
    EXPECT_EQ(p->stacks.at(1).live_bytes, 50u);
    EXPECT_EQ(p->stacks.at(1).alloc_bytes, 0u);
    t.on_block(5, 1, 50, false, 0);  // allocated before the reset, freed after
    EXPECT_EQ(t.find(5)->stacks.at(1).live_bytes, 0u);
}

}  // namespace
}  // namespace pmt
