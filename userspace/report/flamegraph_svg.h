// Interactive flame graphs as one self-contained SVG file: inline CSS and
// JavaScript, no network. Frames are laid out here (so the file is a correct
// picture even where scripts do not run); the script adds hover details, click to
// zoom, and search (button, Ctrl-F, or ?s=REGEX in the URL).
#pragma once

#include <map>
#include <ostream>
#include <string>

#include "model/profile.h"
#include "report/flame_tree.h"

namespace pmt {

struct FlameGraphOptions {
    double width = 1200;         // pixels
    double frame_height = 17;    // pixels per stack level
    // Siblings narrower than this are merged into one "[N smaller frames]" box,
    // so 10,000-stack profiles draw hundreds of boxes instead of slivers.
    double min_frame_px = 0.5;
};

enum class FlameColouring {
    ByKind,   // user code / internal function / pseudo-frame / unknown
    ByDelta,  // diffs: red grew, blue shrank (node.after vs node.before)
};

struct FlameGraphLabels {
    std::string title;
    std::string subtitle;
    View view = View::Alloc;  // for units in tooltips
    // FlameColouring::ByKind: what each colour stands for in the legend, when the
    // boxes are not stack frames (a snapshot's retention graph); empty: frame kinds.
    std::map<FrameKind, std::string> kind_legend;
};

// The smallest value a node keeps its own box at, for build_flame_tree().
uint64_t flame_min_value(uint64_t total, const FlameGraphOptions& options);

// Lays out and writes `root` (built by build_flame_tree()).
void write_flame_svg(const FlameNode& root, const FlameGraphLabels& labels, FlameColouring colouring,
                     std::ostream& out, const FlameGraphOptions& options = {});

// The flame graph of one profile in one view, titled with the process and view.
void write_flamegraph_svg(const Profile& profile, View view, std::ostream& out,
                          const FlameGraphOptions& options = {});

// "live bytes still allocated at script_end", for titles.
std::string view_description(const Profile& profile, View view);

}  // namespace pmt
