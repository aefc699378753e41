#include "report/flamegraph_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report/flamegraph_script.h"
#include "report/value_format.h"
#include "report/xml_text.h"

namespace pmt {
namespace {

constexpr double kPad = 10;
constexpr double kHeaderHeight = 104;  // title, subtitle, legend, details line

struct Rgb {
    int r, g, b;
};

Rgb hsl_to_rgb(double h, double s, double l) {
    auto f = [&](double n) {
        double k = std::fmod(n + h / 30.0, 12.0);
        double a = s * std::min(l, 1 - l);
        return static_cast<int>(std::lround(255 * (l - a * std::max(-1.0, std::min({k - 3, 9 - k, 1.0})))));
    };
    return {f(0), f(8), f(4)};
}

// A stable number in [0, 1) from a name, so a function keeps its shade everywhere.
double name_hash(const std::string& name) {
    uint32_t h = 2166136261u;
    for (unsigned char c : name) h = (h ^ c) * 16777619u;
    return static_cast<double>(h % 1000) / 1000.0;
}

Rgb kind_colour(const FlameNode& node, bool is_root) {
    if (is_root) return {200, 200, 200};
    if (node.merged > 0) return {224, 224, 224};
    double v = name_hash(node.name);
    switch (node.kind) {
        case FrameKind::User: return hsl_to_rgb(8 + 40 * v, 0.80, 0.58 + 0.06 * v);       // warm: PHP code
        case FrameKind::Internal: return hsl_to_rgb(190 + 35 * v, 0.60, 0.60 + 0.06 * v);  // blue: C functions
        case FrameKind::Pseudo: return hsl_to_rgb(270 + 20 * v, 0.30, 0.70);               // lilac: no PHP frame
        case FrameKind::Unknown: return {170, 170, 170};
    }
    return {170, 170, 170};
}

Rgb delta_colour(const FlameNode& node, uint64_t max_abs_delta) {
    int64_t delta = static_cast<int64_t>(node.after) - static_cast<int64_t>(node.before);
    if (delta == 0 || max_abs_delta == 0) return {230, 230, 230};
    double r = std::min(1.0, std::fabs(static_cast<double>(delta)) / static_cast<double>(max_abs_delta));
    int fade = static_cast<int>(std::lround(225 - 175 * std::sqrt(r)));
    return delta > 0 ? Rgb{255, fade, fade} : Rgb{fade, fade, 255};
}

uint64_t max_abs_delta(const FlameNode& node, bool is_root) {
    uint64_t best = 0;
    if (!is_root) {
        best = node.after > node.before ? node.after - node.before : node.before - node.after;
    }
    for (const auto& c : node.children) best = std::max(best, max_abs_delta(c, false));
    return best;
}

std::string fixed3(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    return buf;
}

struct Layout {
    const FlameGraphLabels& labels;
    FlameColouring colouring;
    uint64_t total;
    double scale;  // pixels per unit of value
    double frame_height;
    uint64_t max_delta;
};

std::string node_location(const FlameNode& node) {
    if (node.file.empty()) return node.line ? "line " + std::to_string(node.line) : "";
    return node.line ? node.file + ":" + std::to_string(node.line) : node.file;
}

// The one-line description shown on hover (and in the native tooltip).
std::string node_info(const FlameNode& node, const Layout& layout, bool is_root) {
    std::string info = node.name;
    std::string where = node_location(node);
    if (!where.empty()) info += " (" + where + ")";
    if (!is_root && node.merged == 0) info += std::string(" [") + frame_kind_name(node.kind) + "]";
    if (layout.colouring == FlameColouring::ByDelta) {
        int64_t delta = static_cast<int64_t>(node.after) - static_cast<int64_t>(node.before);
        info += ": " + format_view_value(node.before, layout.labels.view) + " -> " +
                format_view_value(node.after, layout.labels.view) + " (" +
                format_view_delta(delta, layout.labels.view) + ")";
    } else {
        info += ": " + format_view_value(node.value, layout.labels.view);
        if (std::string(view_unit(layout.labels.view)) == "bytes")
            info += " (" + group_thousands(node.value) + " bytes)";
        info += ", " + format_percent(node.value, layout.total);
    }
    return info;
}

void write_node(const FlameNode& node, double x, size_t depth, const Layout& layout, std::ostream& out) {
    const bool is_root = depth == 0;
    const double w = static_cast<double>(node.value) * layout.scale;
    const double y = kHeaderHeight + static_cast<double>(depth) * layout.frame_height;
    Rgb c = layout.colouring == FlameColouring::ByDelta ? delta_colour(node, layout.max_delta)
                                                        : kind_colour(node, is_root);
    const std::string info = node_info(node, layout, is_root);
    out << "<g class=\"f\" data-d=\"" << depth << "\" data-kind=\""
        << (node.merged ? "merged" : frame_kind_name(node.kind)) << "\" data-v=\"" << node.value
        << "\" data-name=\"" << xml_escape(node.name) << "\">"
        << "<title>" << xml_escape(info) << "</title>"
        << "<rect x=\"" << fixed3(x) << "\" y=\"" << y << "\" width=\"" << fixed3(w) << "\" height=\""
        << layout.frame_height - 1 << "\" rx=\"2\" fill=\"rgb(" << c.r << "," << c.g << "," << c.b << ")\"/>"
        << "<text x=\"" << fixed3(x + 3) << "\" y=\"" << y + layout.frame_height - 5 << "\">"
        << xml_escape(fit_label(node.name, w)) << "</text></g>\n";
    double child_x = x;
    for (const auto& child : node.children) {
        write_node(child, child_x, depth + 1, layout, out);
        child_x += static_cast<double>(child.value) * layout.scale;
    }
}

void write_legend(FlameColouring colouring, const std::map<FrameKind, std::string>& kind_legend, double y,
                  std::ostream& out) {
    struct Item {
        Rgb colour;
        std::string label;
    };
    std::vector<Item> items;
    if (colouring == FlameColouring::ByKind && !kind_legend.empty()) {
        const std::pair<FrameKind, Rgb> colours[] = {{FrameKind::User, hsl_to_rgb(20, 0.8, 0.6)},
                                                     {FrameKind::Internal, hsl_to_rgb(205, 0.6, 0.62)},
                                                     {FrameKind::Pseudo, hsl_to_rgb(280, 0.3, 0.7)},
                                                     {FrameKind::Unknown, {170, 170, 170}}};
        for (const auto& [kind, colour] : colours)
            if (auto it = kind_legend.find(kind); it != kind_legend.end()) items.push_back({colour, it->second});
        items.push_back({{224, 224, 224}, "small boxes merged"});
    } else if (colouring == FlameColouring::ByKind) {
        items = {{hsl_to_rgb(20, 0.8, 0.6), "PHP code"},
                 {hsl_to_rgb(205, 0.6, 0.62), "internal (C) function"},
                 {hsl_to_rgb(280, 0.3, 0.7), "pseudo-frame ([startup], [compile], ...)"},
                 {{170, 170, 170}, "unknown"},
                 {{224, 224, 224}, "small frames merged"}};
    } else {
        items = {{{255, 60, 60}, "grew"}, {{60, 60, 255}, "shrank"}, {{230, 230, 230}, "unchanged"}};
    }
    double x = kPad;
    out << "<g id=\"legend\">";
    for (const auto& item : items) {
        out << "<rect x=\"" << x << "\" y=\"" << y - 10 << "\" width=\"12\" height=\"12\" rx=\"2\" fill=\"rgb("
            << item.colour.r << "," << item.colour.g << "," << item.colour.b << ")\"/>"
            << "<text x=\"" << x + 16 << "\" y=\"" << y << "\">" << xml_escape(item.label) << "</text>";
        x += 16 + 7.2 * static_cast<double>(item.label.size()) + 18;
    }
    out << "</g>\n";
}

}  // namespace

uint64_t flame_min_value(uint64_t total, const FlameGraphOptions& options) {
    const double usable = options.width - 2 * kPad;
    if (options.min_frame_px <= 0 || usable <= 0) return 0;
    return static_cast<uint64_t>(std::ceil(static_cast<double>(total) * options.min_frame_px / usable));
}

void write_flame_svg(const FlameNode& root, const FlameGraphLabels& labels, FlameColouring colouring,
                     std::ostream& out, const FlameGraphOptions& options) {
    const double width = options.width;
    const double usable = width - 2 * kPad;
    const double height = kHeaderHeight + static_cast<double>(flame_depth(root) + 1) * options.frame_height + kPad;
    Layout layout{labels, colouring, root.value,
                  root.value ? usable / static_cast<double>(root.value) : 0.0, options.frame_height,
                  colouring == FlameColouring::ByDelta ? max_abs_delta(root, true) : 0};

    out << "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
        << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" << width << "\" height=\"" << height
        << "\" viewBox=\"0 0 " << width << " " << height << "\" data-fw=\"" << width << "\" data-pad=\"" << kPad
        << "\" data-total=\"" << root.value << "\" data-view=\"" << view_name(labels.view) << "\">\n"
        << "<style type=\"text/css\"><![CDATA[\n" << kFlameGraphCss << "]]></style>\n"
        << "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#fbfbf8\"/>\n"
        << "<text id=\"title\" x=\"" << width / 2 << "\" y=\"24\" text-anchor=\"middle\">" << xml_escape(labels.title)
        << "</text>\n"
        << "<text id=\"subtitle\" x=\"" << width / 2 << "\" y=\"44\" text-anchor=\"middle\">"
        << xml_escape(labels.subtitle) << "</text>\n"
        << "<text id=\"unzoom\" class=\"btn hide\" x=\"" << kPad << "\" y=\"24\">Reset zoom</text>\n"
        << "<text id=\"search\" class=\"btn\" x=\"" << width - kPad << "\" y=\"24\" text-anchor=\"end\">Search</text>\n";
    write_legend(colouring, labels.kind_legend, 68, out);
    out << "<text id=\"details\" x=\"" << kPad << "\" y=\"92\">"
        << "Hover a frame for details; click to zoom; Ctrl-F to search.</text>\n"
        << "<text id=\"matched\" x=\"" << width - kPad << "\" y=\"92\" text-anchor=\"end\"></text>\n"
        << "<g id=\"frames\">\n";
    write_node(root, kPad, 0, layout, out);
    out << "</g>\n<script type=\"text/ecmascript\"><![CDATA[\n" << kFlameGraphJs << "]]></script>\n</svg>\n";
}

std::string view_description(const Profile& profile, View view) {
    switch (view) {
        case View::Alloc: return "bytes allocated during the session";
        case View::Live: return "bytes still allocated at " + profile.live_point;
        case View::Count: return "number of allocations";
        case View::Faults: return "page faults taken while the stack ran";
        case View::FaultNs: return "kernel time of the page faults taken while the stack ran";
        case View::Peak: {
            char at[32];
            std::snprintf(at, sizeof at, "%.3f", profile.heap.peak_at_s);
            return "bytes held when the traced heap peaked (" + format_bytes(profile.heap.peak_live_bytes) + " at " +
                   at + " s)";
        }
    }
    return "";
}

void write_flamegraph_svg(const Profile& profile, View view, std::ostream& out, const FlameGraphOptions& options) {
    std::vector<FlameStack> stacks = flame_stacks(profile, view);
    uint64_t total = 0;
    for (const auto& s : stacks) total += s.value;
    FlameNode root = build_flame_tree(stacks, "all", flame_min_value(total, options));

    FlameGraphLabels labels;
    labels.view = view;
    const Target& t = profile.target;
    labels.title = std::string("phpmemtrace: ") + view_name(view) + " (" + view_unit(view) + ") - " +
                   (t.binary.empty() ? std::string("php") : t.binary) + " pid " + std::to_string(t.pid) +
                   (t.php_version.empty() ? "" : ", PHP " + t.php_version);
    if (t.pids.size() > 1) labels.title += " (+" + std::to_string(t.pids.size() - 1) + " more processes)";
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.2f s", profile.duration_s);
    labels.subtitle = "width: " + view_description(profile, view) + "; total " + format_view_value(total, view) +
                      " in " + group_thousands(stacks.size()) + " stacks; session " + profile.started_at + ", " +
                      duration;
    write_flame_svg(root, labels, FlameColouring::ByKind, out, options);
}

}  // namespace pmt
