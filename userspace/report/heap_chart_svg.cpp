#include "report/heap_chart_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "phpmemtrace.h"
#include "report/heap_summary.h"
#include "report/value_format.h"
#include "report/xml_text.h"

namespace pmt {
namespace {

// Totals across the traced processes at one instant.
struct Point {
    double t = 0;
    uint64_t used = 0, real = 0, huge = 0;
    uint32_t chunks = 0;
};

std::vector<Point> aggregate(const std::vector<HeapSample>& samples) {
    std::vector<const HeapSample*> order;
    for (const auto& s : samples) order.push_back(&s);
    std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->t_s < b->t_s; });
    std::map<int64_t, HeapSample> latest;
    std::vector<Point> out;
    for (const HeapSample* s : order) {
        latest[s->pid] = *s;
        Point p;
        p.t = s->t_s;
        for (const auto& [pid, l] : latest) {
            p.used += l.used_bytes;
            p.real += l.real_bytes;
            p.huge += l.huge_bytes;
            p.chunks += l.chunks;
        }
        out.push_back(p);
    }
    return out;
}

// A number with `decimals` decimals, whatever its range (no integer cast).
std::string fixed(double v, int decimals) {
    char buf[400];  // "%.0f" of up to 1.8e308
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    return buf;
}

// A count or duration as a whole number; coordinates and times with one decimal.
std::string whole(double v) { return fixed(v, 0); }
std::string num(double v) { return fixed(v, 1); }

// As many decimals as an axis step needs (0.025 s steps print 0.025, 0.050, ...).
int step_decimals(double step) {
    int decimals = 0;
    while (decimals < 6 && std::fabs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) > 1e-9)
        ++decimals;
    return decimals;
}

// A "nice" step for about `ticks` axis divisions.
double nice_step(double range, int ticks) {
    if (range <= 0) return 1;
    double raw = range / ticks;
    double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (raw <= m * mag) return m * mag;
    return 10 * mag;
}

// Values outside the axes (a time before the session, from a damaged session
// file) are drawn at the frame's edge.
struct Frame2D {
    double left, top, width, height;
    double t_max, y_max;
    double x(double t) const { return left + fraction(t, t_max) * width; }
    double y(double bytes) const { return top + height - fraction(bytes, y_max) * height; }
    static double fraction(double v, double max) { return max > 0 ? std::clamp(v / max, 0.0, 1.0) : 0; }
};

// Ticks 0, step, 2 step, ... up to `max`, counted rather than summed: with
// `v += step` a step too small to change v, or an overflow to infinity, never ends.
template <typename Draw>
void for_each_tick(double max, double step, Draw draw) {
    if (!(step > 0) || !std::isfinite(max)) return;
    const double count = std::min(std::floor(max / step * (1 + 1e-9)), 1000.0);  // max is often a multiple
    for (int i = 0; i <= count; ++i) draw(i * step);
}

// Step path along the top of `value`, closed down to `base` (stacked areas).
template <typename Value, typename Base>
std::string area_path(const std::vector<Point>& pts, const Frame2D& f, Value value, Base base) {
    if (pts.empty()) return "";
    std::string d = "M" + num(f.x(pts.front().t)) + "," + num(f.y(base(pts.front())));
    double prev = base(pts.front());
    for (const auto& p : pts) {
        d += " L" + num(f.x(p.t)) + "," + num(f.y(prev + 0));
        double top = value(p);
        d += " L" + num(f.x(p.t)) + "," + num(f.y(top));
        prev = top;
    }
    d += " L" + num(f.x(f.t_max)) + "," + num(f.y(prev));
    d += " L" + num(f.x(f.t_max)) + "," + num(f.y(base(pts.back())));
    for (auto it = pts.rbegin(); it != pts.rend(); ++it) d += " L" + num(f.x(it->t)) + "," + num(f.y(base(*it)));
    return d + " Z";
}

// One point per pixel column at most (the column's highest values), so a
// million-sample session still draws a few thousand path nodes.
std::vector<Point> thin(const std::vector<Point>& pts, const Frame2D& f) {
    std::vector<Point> out;
    double column = -1;  // f.x() is within the frame, never negative
    for (const auto& p : pts) {
        const double c = std::floor(f.x(p.t));
        if (c != column || out.empty()) {
            out.push_back(p);
            column = c;
            continue;
        }
        Point& q = out.back();
        q.used = std::max(q.used, p.used);
        if (p.real >= q.real) {
            q.real = p.real;
            q.huge = p.huge;
            q.chunks = p.chunks;
        }
    }
    // The envelope keeps each column's highest values; the state at the end is the last sample's.
    if (!pts.empty() && out.size() > 1) out.push_back(pts.back());
    return out;
}

}  // namespace

void write_heap_chart_svg(const Profile& profile, std::ostream& out, const HeapChartOptions& o) {
    const double W = o.width, H = o.height;
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" viewBox=\"0 0 "
        << W << " " << H << "\" font-family=\"Verdana, sans-serif\" font-size=\"12\">\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
    std::string title = "Zend heap over time";
    if (!profile.target.command.empty()) title += ": " + profile.target.command;
    else if (profile.target.pid) title += ": pid " + std::to_string(profile.target.pid);
    out << "<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"16\">" << xml_escape(title)
        << "</text>\n";
    if (!profile.heap_timeline || profile.heap_timeline->samples.empty()) {
        out << "<text x=\"" << W / 2 << "\" y=\"" << H / 2
            << "\" text-anchor=\"middle\">No heap timeline in this session (recorded with --no-heap, or "
               "nothing was traced)</text>\n</svg>\n";
        return;
    }
    const HeapTimeline& t = *profile.heap_timeline;
    const std::vector<Point> all = aggregate(t.samples);

    double t_max = std::max(profile.duration_s, all.back().t);
    uint64_t y_top = 1;
    for (const auto& p : all) y_top = std::max({y_top, p.real, p.used});
    const bool show_limit = t.limit && t.limit->limit_bytes && *t.limit->limit_bytes <= y_top * 2;
    if (show_limit) y_top = std::max(y_top, *t.limit->limit_bytes);
    // Steps of whole (or nicely split) MiB.
    const double y_step = nice_step(double(y_top) * 1.05 / 1048576.0, 6) * 1048576.0;
    const double y_max = std::ceil(double(y_top) * 1.05 / y_step) * y_step;
    Frame2D f{80, 70, W - 80 - 90, H - 70 - 110, t_max > 0 ? t_max : 1, y_max};

    // Header: fragmentation and totals.
    char header[512];
    const double unused = 100.0 * heap_fragmentation(t);
    std::snprintf(header, sizeof(header),
                  "real peak %s at %.3f s, used then %s: %.1f%% of the mapped heap unused (fragmentation)  |  "
                  "chunks peak %u  |  huge peak %s  |  GC runs %zu  |  requests %zu",
                  format_bytes(t.real_peak_bytes).c_str(), t.real_peak_at_s,
                  format_bytes(t.used_at_real_peak_bytes).c_str(), unused, t.chunks_peak,
                  format_bytes(t.huge_peak_bytes).c_str(), t.gc_runs.size(), t.requests.size());
    out << "<text x=\"" << W / 2 << "\" y=\"42\" text-anchor=\"middle\" fill=\"#333\">" << xml_escape(header)
        << "</text>\n";

    // Axes and grid.
    out << "<g stroke=\"#e4e4e4\">\n";
    for_each_tick(y_max, y_step, [&](double v) {
        out << "<line x1=\"" << f.left << "\" x2=\"" << f.left + f.width << "\" y1=\"" << num(f.y(v)) << "\" y2=\""
            << num(f.y(v)) << "\"/>\n";
    });
    out << "</g>\n<g fill=\"#444\" text-anchor=\"end\">\n";
    // Tick labels, all in MiB (one unit on an axis), with the decimals the step needs;
    // as doubles: ticks past 2^64 bytes (a damaged session file) have no uint64_t.
    const int y_decimals = step_decimals(y_step / 1048576.0);
    for_each_tick(y_max, y_step, [&](double v) {
        out << "<text x=\"" << f.left - 6 << "\" y=\"" << num(f.y(v) + 4) << "\">" << fixed(v / 1048576.0, y_decimals)
            << " MiB</text>\n";
    });
    out << "</g>\n<g fill=\"#444\" text-anchor=\"start\">\n";
    // Right axis: the same scale in 2 MiB chunks.
    const double chunk_step = std::max(1.0, nice_step(y_max / PMT_ZEND_CHUNK_SIZE, 6));
    for_each_tick(y_max / PMT_ZEND_CHUNK_SIZE, chunk_step, [&](double c) {
        out << "<text x=\"" << f.left + f.width + 6 << "\" y=\"" << num(f.y(c * PMT_ZEND_CHUNK_SIZE) + 4) << "\">"
            << whole(c) << "</text>\n";
    });
    out << "</g>\n<text x=\"" << f.left + f.width + 40 << "\" y=\"" << f.top - 8
        << "\" text-anchor=\"middle\" fill=\"#444\">chunks</text>\n";
    const double t_step = nice_step(f.t_max, 10);
    out << "<g fill=\"#444\" text-anchor=\"middle\">\n";
    const int t_decimals = step_decimals(t_step);
    for_each_tick(f.t_max * 1.0001, t_step, [&](double s) {
        out << "<text x=\"" << num(f.x(s)) << "\" y=\"" << f.top + f.height + 16 << "\">" << fixed(s, t_decimals)
            << "</text>\n";
    });
    out << "</g>\n<text x=\"" << f.left + f.width / 2 << "\" y=\"" << f.top + f.height + 32
        << "\" text-anchor=\"middle\" fill=\"#444\">seconds since the session started</text>\n";

    // Stacked areas: chunks at the bottom, huge blocks on top = real size; used as a line.
    const std::vector<Point> pts = thin(all, f);
    auto chunk_bytes = [](const Point& p) { return double(p.real - std::min(p.huge, p.real)); };
    auto real_bytes = [](const Point& p) { return double(p.real); };
    auto zero = [](const Point&) { return 0.0; };
    out << "<path d=\"" << area_path(pts, f, chunk_bytes, zero)
        << "\" fill=\"#9ecae1\" stroke=\"#3182bd\" stroke-width=\"1\"><title>2 MiB chunks mapped</title></path>\n";
    out << "<path d=\"" << area_path(pts, f, real_bytes, chunk_bytes)
        << "\" fill=\"#fdae6b\" stroke=\"#e6550d\" stroke-width=\"1\"><title>huge blocks</title></path>\n";
    std::string used = "M";
    for (size_t i = 0; i < pts.size(); ++i) {  // a step line: a value holds until the next sample
        if (i) used += " L" + num(f.x(pts[i].t)) + "," + num(f.y(double(pts[i - 1].used))) + " L";
        used += num(f.x(pts[i].t)) + "," + num(f.y(double(pts[i].used)));
    }
    if (!pts.empty()) used += " L" + num(f.x(f.t_max)) + "," + num(f.y(double(pts.back().used)));
    out << "<path d=\"" << used
        << "\" fill=\"none\" stroke=\"#222\" stroke-width=\"1.6\"><title>used (memory_get_usage())</title></path>\n";

    if (show_limit) {
        const double y = f.y(double(*t.limit->limit_bytes));
        out << "<line x1=\"" << f.left << "\" x2=\"" << f.left + f.width << "\" y1=\"" << num(y) << "\" y2=\""
            << num(y) << "\" stroke=\"#d62728\" stroke-dasharray=\"6,4\" stroke-width=\"1.5\"/>\n"
            << "<text x=\"" << f.left + 6 << "\" y=\"" << num(y - 5) << "\" fill=\"#d62728\">memory_limit "
            << format_bytes(*t.limit->limit_bytes) << "</text>\n";
        if (t.limit->hit || t.limit->near) {
            const double x = f.x(t.limit->at_s);
            out << "<g stroke=\"#d62728\" stroke-width=\"3\"><line x1=\"" << num(x - 7) << "\" y1=\"" << num(y - 7)
                << "\" x2=\"" << num(x + 7) << "\" y2=\"" << num(y + 7) << "\"/><line x1=\"" << num(x - 7)
                << "\" y1=\"" << num(y + 7) << "\" x2=\"" << num(x + 7) << "\" y2=\"" << num(y - 7) << "\"/><title>"
                << xml_escape(t.limit->hit ? t.limit->message : "within the margin of memory_limit")
                << "</title></g>\n";
        }
    }

    // GC runs: a marker line per run over the plot, a triangle above it.
    for (const auto& run : t.gc_runs) {
        const double x = f.x(run.start_s);
        const std::string tip = "GC run at " + num(run.start_s) + " s: " + std::to_string(run.collected) +
                                " collected, " + format_bytes(run.freed_bytes) + " freed, " +
                                whole(run.duration_s * 1e6) + " us";
        const double x_end = std::max(x + 1.0, f.x(run.start_s + run.duration_s));
        out << "<g><rect x=\"" << num(x) << "\" y=\"" << f.top << "\" width=\"" << num(x_end - x) << "\" height=\""
            << f.height << "\" fill=\"#2ca02c\" opacity=\"0.12\"/><line x1=\"" << num(x) << "\" x2=\"" << num(x)
            << "\" y1=\"" << f.top << "\" y2=\"" << f.top + f.height
            << "\" stroke=\"#2ca02c\" stroke-width=\"1\" stroke-dasharray=\"3,3\"/>"
            << "<path d=\"M" << num(x - 5) << "," << f.top - 9 << " L" << num(x + 5) << "," << f.top - 9 << " L"
            << num(x) << "," << f.top - 1 << " Z\" fill=\"#2ca02c\"/><title>" << xml_escape(tip) << "</title></g>\n";
    }

    // Requests: one band per request under the time axis, alternating shades.
    const double band_y = f.top + f.height + 44;
    out << "<text x=\"" << f.left - 6 << "\" y=\"" << band_y + 11 << "\" text-anchor=\"end\" fill=\"#444\">requests</text>\n";
    for (size_t i = 0; i < t.requests.size(); ++i) {
        const auto& r = t.requests[i];
        const double x0 = f.x(r.start_s), x1 = std::max(x0 + 1.0, f.x(r.start_s + r.duration_s));
        const std::string tip = (r.method.empty() ? "" : r.method + " ") + r.uri + ": peak " +
                                format_bytes(r.peak_bytes) + ", " + num(r.duration_s * 1000) + " ms";
        out << "<rect x=\"" << num(x0) << "\" y=\"" << band_y << "\" width=\"" << num(x1 - x0)
            << "\" height=\"14\" fill=\"" << (i % 2 ? "#9467bd" : "#c5b0d5") << "\"><title>" << xml_escape(tip)
            << "</title></rect>\n";
        // Boundaries on the plot too, when there are few enough to read.
        if (t.requests.size() <= 50)
            for (double xb : {x0, x1})
                out << "<line x1=\"" << num(xb) << "\" x2=\"" << num(xb) << "\" y1=\"" << f.top << "\" y2=\""
                    << f.top + f.height << "\" stroke=\"#9467bd\" stroke-width=\"0.8\" opacity=\"0.6\"/>\n";
    }

    // Legend.
    const double ly = H - 22;
    struct Item {
        const char* colour;
        const char* label;
    };
    const Item items[] = {{"#9ecae1", "2 MiB chunks (mapped, incl. cached)"},
                          {"#fdae6b", "huge blocks"},
                          {"#222", "used: memory_get_usage()"},
                          {"#2ca02c", "GC run"},
                          {"#9467bd", "request"},
                          {"#d62728", "memory_limit"}};
    double lx = f.left;
    for (const auto& it : items) {
        out << "<rect x=\"" << lx << "\" y=\"" << ly - 10 << "\" width=\"12\" height=\"12\" fill=\"" << it.colour
            << "\"/><text x=\"" << lx + 16 << "\" y=\"" << ly << "\">" << it.label << "</text>\n";
        lx += 24 + 7.2 * std::string(it.label).size();
    }
    out << "<text x=\"" << W - 8 << "\" y=\"" << H - 6 << "\" text-anchor=\"end\" font-size=\"9\" fill=\"#888\">"
        << xml_escape(t.method) << "</text>\n";
    out << "</svg>\n";
}

}  // namespace pmt
