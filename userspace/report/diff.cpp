#include "report/diff.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "report/value_format.h"

namespace pmt {
namespace {

void add_stats(StackStats& into, const StackStats& s) {
    into.alloc_count += s.alloc_count;
    into.alloc_bytes += s.alloc_bytes;
    into.free_count += s.free_count;
    into.free_bytes += s.free_bytes;
    into.live_count += s.live_count;
    into.live_bytes += s.live_bytes;
    into.peak_live_count += s.peak_live_count;
    into.peak_live_bytes += s.peak_live_bytes;
}

// Names and files only: lines move between versions of the same code.
std::string stack_key(const std::vector<FlameFrame>& frames) {
    std::string key;
    for (const auto& f : frames) {
        key += f.name;
        key += '\x1f';
        key += f.file;
        key += '\x1e';
    }
    return key;
}

uint64_t total(const ProfileDiff& diff, View view, bool after) {
    uint64_t sum = 0;
    for (const auto& s : diff.stacks) sum += stack_value(after ? s.after : s.before, view);
    return sum;
}

std::string pad_left(const std::string& s, size_t width) {
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

struct Row {
    std::string label;
    uint64_t before = 0;
    uint64_t after = 0;
    int64_t delta() const { return static_cast<int64_t>(after) - static_cast<int64_t>(before); }
};

void write_rows(const char* heading, std::vector<Row> rows, bool grew, View view, size_t top, std::ostream& out) {
    std::erase_if(rows, [&](const Row& r) { return grew ? r.delta() <= 0 : r.delta() >= 0; });
    std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
        return grew ? a.delta() > b.delta() : a.delta() < b.delta();
    });
    out << heading << (rows.empty() ? ": none\n" : ":\n");
    if (rows.empty()) return;
    out << pad_left("before", 14) << pad_left("after", 14) << pad_left("change", 15) << "  what\n";
    for (size_t i = 0; i < rows.size() && i < top; ++i) {
        const Row& r = rows[i];
        out << pad_left(format_view_value(r.before, view), 14) << pad_left(format_view_value(r.after, view), 14)
            << pad_left(format_view_delta(r.delta(), view), 15) << "  " << r.label << "\n";
    }
    if (rows.size() > top) out << "  ... and " << rows.size() - top << " more\n";
}

}  // namespace

ProfileDiff diff_profiles(const Profile& before, const Profile& after, const std::string& before_name,
                          const std::string& after_name) {
    ProfileDiff diff;
    diff.before_name = before_name;
    diff.after_name = after_name;
    diff.before_target = before.target;
    diff.after_target = after.target;
    std::unordered_map<std::string, size_t> index;
    auto merge = [&](const Profile& profile, bool is_after) {
        for (const Stack& stack : profile.stacks) {
            std::vector<FlameFrame> frames = flame_frames(profile, stack);
            auto [it, inserted] = index.try_emplace(stack_key(frames), diff.stacks.size());
            if (inserted) diff.stacks.push_back(StackDiff{std::move(frames), {}, {}});
            add_stats(is_after ? diff.stacks[it->second].after : diff.stacks[it->second].before, stack.stats);
        }
    };
    merge(before, false);
    merge(after, true);
    return diff;
}

int64_t stack_delta(const StackDiff& stack, View view) {
    return static_cast<int64_t>(stack_value(stack.after, view)) - static_cast<int64_t>(stack_value(stack.before, view));
}

std::string describe_stack(const std::vector<FlameFrame>& frames) {
    if (frames.empty()) return "(empty stack)";
    std::string out;
    const size_t n = frames.size();
    for (size_t k = 0; k < n; ++k) {
        const size_t i = n - 1 - k;  // leaf first
        if (k == 4 && n > 6) {
            out += " <- ... " + std::to_string(n - 5) + " frames ...";
            out += " <- " + frames[0].name;
            break;
        }
        if (k > 0) out += " <- ";
        out += frames[i].name;
        if (k == 0 && !frames[i].file.empty()) {
            out += " (" + frames[i].file + (frames[i].line ? ":" + std::to_string(frames[i].line) : "") + ")";
        }
    }
    return out;
}

void write_diff_table(const ProfileDiff& diff, View view, std::ostream& out, size_t top) {
    const uint64_t before = total(diff, view, false);
    const uint64_t after = total(diff, view, true);
    out << "phpmemtrace diff (" << view_name(view) << ", " << view_unit(view) << "): " << diff.before_name
        << " (pid " << diff.before_target.pid << ") -> " << diff.after_name << " (pid " << diff.after_target.pid
        << ")\n";
    out << "total: " << format_view_value(before, view) << " -> " << format_view_value(after, view) << " ("
        << format_view_delta(static_cast<int64_t>(after) - static_cast<int64_t>(before), view) << ")\n\n";

    std::vector<Row> stacks;
    std::map<std::string, Row> functions;  // by leaf function + file
    for (const auto& s : diff.stacks) {
        const uint64_t b = stack_value(s.before, view), a = stack_value(s.after, view);
        stacks.push_back(Row{describe_stack(s.frames), b, a});
        if (s.frames.empty()) continue;
        const FlameFrame& leaf = s.frames.back();
        Row& f = functions[leaf.name + (leaf.file.empty() ? "" : " (" + leaf.file + ")")];
        f.before += b;
        f.after += a;
    }
    std::vector<Row> function_rows;
    for (auto& [label, row] : functions) {
        row.label = label;
        function_rows.push_back(row);
    }
    write_rows("Stacks that grew", stacks, true, view, top, out);
    out << "\n";
    write_rows("Stacks that shrank", stacks, false, view, top, out);
    out << "\n";
    write_rows("Functions that grew (self)", function_rows, true, view, top, out);
    out << "\n";
    write_rows("Functions that shrank (self)", function_rows, false, view, top, out);
}

void write_diff_flamegraph_svg(const ProfileDiff& diff, View view, std::ostream& out,
                               const FlameGraphOptions& options) {
    std::vector<FlameStack> stacks;
    uint64_t width_total = 0;
    for (const auto& s : diff.stacks) {
        FlameStack fs{s.frames, 0, stack_value(s.before, view), stack_value(s.after, view)};
        fs.value = std::max(fs.before, fs.after);
        if (fs.value == 0) continue;
        width_total += fs.value;
        stacks.push_back(std::move(fs));
    }
    FlameNode root = build_flame_tree(stacks, "all", flame_min_value(width_total, options));
    FlameGraphLabels labels;
    labels.view = view;
    labels.title = std::string("phpmemtrace diff: ") + view_name(view) + " (" + view_unit(view) + ") - " +
                   diff.before_name + " (pid " + std::to_string(diff.before_target.pid) + ") -> " + diff.after_name +
                   " (pid " + std::to_string(diff.after_target.pid) + ")";
    labels.subtitle = "total " + format_view_value(root.before, view) + " -> " + format_view_value(root.after, view) +
                      " (" + format_view_delta(static_cast<int64_t>(root.after) - static_cast<int64_t>(root.before), view) +
                      "); width: the larger of the two, colour: red grew, blue shrank";
    write_flame_svg(root, labels, FlameColouring::ByDelta, out, options);
}

}  // namespace pmt
