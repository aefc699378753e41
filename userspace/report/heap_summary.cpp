#include "report/heap_summary.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "report/value_format.h"

namespace pmt {
namespace {

std::string stack_text(const Profile& p, const std::vector<Frame>& frames) {
    std::string out;
    for (const auto& f : frames) {
        if (f.symbol >= p.symbols.size()) continue;
        out += (out.empty() ? "" : " > ") + p.symbols[f.symbol].qualified_name();
    }
    return out.empty() ? "(no frames)" : out;
}

}  // namespace

double heap_fragmentation(const HeapTimeline& t) {
    if (!t.real_peak_bytes) return 0;
    return 1.0 - double(std::min(t.used_at_real_peak_bytes, t.real_peak_bytes)) / double(t.real_peak_bytes);
}

void write_heap_summary(const Profile& p, std::ostream& out) {
    if (!p.heap_timeline) return;
    const HeapTimeline& t = *p.heap_timeline;
    char line[512];
    const double unused = 100.0 * heap_fragmentation(t);
    std::snprintf(line, sizeof(line),
                  "\nZend heap: real peak %s at %.3f s (chunks peak %u, huge peak %s); used then %s, %.1f%% of "
                  "the mapped heap unused\n",
                  format_bytes(t.real_peak_bytes).c_str(), t.real_peak_at_s, t.chunks_peak,
                  format_bytes(t.huge_peak_bytes).c_str(), format_bytes(t.used_at_real_peak_bytes).c_str(), unused);
    out << line;
    if (!t.gc_runs.empty()) {
        int64_t collected = 0;
        uint64_t freed = 0;
        double seconds = 0;
        for (const auto& r : t.gc_runs) {
            collected += r.collected;
            freed += r.freed_bytes;
            seconds += r.duration_s;
        }
        std::snprintf(line, sizeof(line), "  GC: %zu runs, %lld collected, %s freed, %.3f s in the collector",
                      t.gc_runs.size(), static_cast<long long>(collected), format_bytes(freed).c_str(), seconds);
        out << line;
        if (p.counters.gc_runs_not_kept)
            out << " (the runs that freed the most; " << p.counters.gc_runs_not_kept << " more not kept)";
        out << "\n";
    }
    if (t.limit && (t.limit->hit || t.limit->near)) {
        const LimitEvent& l = *t.limit;
        out << "  memory_limit " << (l.limit_bytes ? format_bytes(*l.limit_bytes) : std::string("?")) << ": "
            << (l.hit ? "HIT" : "within the margin") << " at " << l.at_s << " s in pid " << l.pid;
        if (!l.stacks.empty())
            out << "; largest holder " << format_bytes(l.stacks[0].bytes) << " " << stack_text(p, l.stacks[0].frames);
        out << "\n";
    }
    if (!t.requests.empty()) {
        const auto top = std::max_element(t.requests.begin(), t.requests.end(),
                                          [](const auto& a, const auto& b) { return a.peak_bytes < b.peak_bytes; });
        out << "  requests: " << t.requests.size() << " (highest peak " << format_bytes(top->peak_bytes) << ": "
            << (top->method.empty() ? "" : top->method + " ") << top->uri << ")";
        if (p.counters.requests_not_kept)
            out << ", the highest peaks of " << t.requests.size() + p.counters.requests_not_kept
                << " (" << p.counters.requests_not_kept << " not kept)";
        if (t.requests_filtered) out << ", " << t.requests_filtered << " left out by --request-filter";
        out << "\n";
    }
    if (t.samples_dropped || t.map_events_dropped || t.unknown_unmaps)
        out << "  note: " << t.samples_dropped << " samples and " << t.map_events_dropped
            << " chunk/huge events thinned out to fit the caps (totals still exact), " << t.unknown_unmaps
            << " unmaps of mappings made before the tracer attached\n";
    out << "  chunks/huge blocks: " << t.method << "\n";
}

}  // namespace pmt
