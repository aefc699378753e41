// Comparing two profiles: stacks are matched by what they mean (function names
// and files, root to leaf), not by symbol ids or lines, so two runs of different
// processes -- or of two deploys of the same code -- line up.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "model/profile.h"
#include "report/flame_tree.h"
#include "report/flamegraph_svg.h"

namespace pmt {

struct StackDiff {
    std::vector<FlameFrame> frames;  // root first; line = the line seen first
    StackStats before;               // zero when the stack is only in `after`
    StackStats after;                // zero when the stack is only in `before`
};

struct ProfileDiff {
    std::string before_name;  // how to call each side in titles ("A.db")
    std::string after_name;
    Target before_target;
    Target after_target;
    std::vector<StackDiff> stacks;  // in first-seen order
};

ProfileDiff diff_profiles(const Profile& before, const Profile& after, const std::string& before_name = "A",
                          const std::string& after_name = "B");

// after - before in `view`.
int64_t stack_delta(const StackDiff& stack, View view);

// "leaf <- caller <- ... <- root", shortened in the middle when very deep.
std::string describe_stack(const std::vector<FlameFrame>& frames);

// Text tables: totals, the stacks that grew and shrank most, and the same by
// function (self: the leaf frame of each stack).
void write_diff_table(const ProfileDiff& diff, View view, std::ostream& out, size_t top = 15);

// Differential flame graph: a frame's width is the larger of its two values
// (so shrunk stacks stay visible), its colour the change: red grew, blue shrank.
void write_diff_flamegraph_svg(const ProfileDiff& diff, View view, std::ostream& out,
                               const FlameGraphOptions& options = {});

}  // namespace pmt
