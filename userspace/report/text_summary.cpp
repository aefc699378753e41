#include "report/text_summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "report/value_format.h"

namespace pmt {
namespace {

std::string frame_label(const Profile& p, const Frame& f) {
    const Symbol& s = p.symbols.at(f.symbol);
    std::string label = s.qualified_name();
    if (!s.file.empty()) label += fmt::format(" ({}:{})", s.file, f.line);
    return label;
}

// The innermost user frame tells most: where in the PHP code it happened.
std::string stack_label(const Profile& p, const Stack& s) {
    if (s.frames.empty()) return "[empty stack]";
    std::string leaf = frame_label(p, s.frames.back());
    for (auto it = s.frames.rbegin(); it != s.frames.rend(); ++it) {
        if (p.symbols.at(it->symbol).kind == FrameKind::User) {
            if (it == s.frames.rbegin()) return leaf;
            return p.symbols.at(s.frames.back().symbol).qualified_name() + " <- " + frame_label(p, *it);
        }
    }
    return leaf;
}

void top_table(const Profile& p, std::ostream& out, const char* title, View view, size_t top) {
    std::vector<const Stack*> stacks;
    for (const auto& s : p.stacks)
        if (stack_value(s.stats, view)) stacks.push_back(&s);
    std::sort(stacks.begin(), stacks.end(),
              [&](const Stack* a, const Stack* b) { return stack_value(a->stats, view) > stack_value(b->stats, view); });
    out << fmt::format("\n{}\n", title);
    if (stacks.empty()) {
        out << "  (none)\n";
        return;
    }
    out << fmt::format("  {:>12} {:>9}  {}\n", "bytes", "blocks", "where (leaf <- innermost PHP frame)");
    for (size_t i = 0; i < std::min(top, stacks.size()); ++i) {
        const Stack& s = *stacks[i];
        uint64_t count = view == View::Live ? s.stats.live_count : s.stats.alloc_count;
        out << fmt::format("  {:>12} {:>9}  {}\n", format_bytes(stack_value(s.stats, view)), count, stack_label(p, s));
    }
}

}  // namespace

void write_text_summary(const Profile& p, std::ostream& out, const SummaryOptions& options) {
    const Counters& c = p.counters;
    out << fmt::format("phpmemtrace: PID {} ({}, PHP {}), {:.2f} s", p.target.pid, p.target.binary,
                       p.target.php_version, p.duration_s);
    if (p.target.pids.size() > 1) out << fmt::format(", {} processes", p.target.pids.size());
    out << '\n';
    out << fmt::format("  {} allocations, {} frees, {} reallocs; live {} ({}), peak {} at {:.2f} s\n", c.allocs,
                       c.frees, c.reallocs, format_bytes(p.heap.live_bytes),
                       p.live_point == "script_end" ? "when the script ended" : "at the end of the session",
                       format_bytes(p.heap.peak_live_bytes), p.heap.peak_at_s);
    if (p.heap.baseline_bytes)
        out << fmt::format("  baseline: {} were live before the tracer attached ({} of it freed since)\n",
                           format_bytes(*p.heap.baseline_bytes), format_bytes(c.baseline_free_bytes));
    top_table(p, out, "Top stacks by live bytes:", View::Live, options.top);
    top_table(p, out, "Top stacks by allocated bytes:", View::Alloc, options.top);
    if (!p.checkpoints.empty()) {
        // Checkpoints past the kept ones are counted, with whether they were exact.
        const uint64_t not_kept = c.checkpoints_not_kept;
        const uint64_t equal = std::count_if(p.checkpoints.begin(), p.checkpoints.end(), [](const Checkpoint& k) {
            return k.php_memory_usage == k.traced_live_bytes;
        }) + (not_kept - c.checkpoints_not_kept_inexact);
        out << fmt::format("\nCheckpoints (memory_get_usage): {} of {} equal to the traced live bytes\n", equal,
                           p.checkpoints.size() + not_kept);
    }
    // Every counter of something dropped or unreadable, zero or not: a reader
    // should see that they were looked at.
    out << "\nCounters:";
    const char* separator = " ";
    for (const auto& counter : kCounterFields) {
        if (!counter.loss) continue;
        out << separator << counter.name << ' ' << c.*counter.field;
        separator = ", ";
    }
    out << '\n';
    if (c.lost_events || c.lost_function_names)
        out << "WARNING: events were lost (ring buffer full); figures are incomplete. Try --ringbuf-mb.\n";
    if (c.stack_table_full)
        out << fmt::format("WARNING: the stack table was full (--max-stacks): {} records counted under "
                           "[stack table full]\n", c.stack_table_full);
    if (c.symbol_table_full)
        out << fmt::format("WARNING: the symbol table was full: {} functions named [symbol table full]\n",
                           c.symbol_table_full);
    if (c.live_table_full)
        out << fmt::format("WARNING: the live-block table was full: {} blocks not tracked; live figures and "
                           "checkpoints are incomplete\n", c.live_table_full);
}

}  // namespace pmt
