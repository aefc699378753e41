#include "model/profile.h"

namespace pmt {

const char* frame_kind_name(FrameKind kind) {
    switch (kind) {
        case FrameKind::User: return "user";
        case FrameKind::Internal: return "internal";
        case FrameKind::Pseudo: return "pseudo";
        case FrameKind::Unknown: return "unknown";
    }
    return "unknown";
}

std::string Symbol::qualified_name() const {
    if (class_name && !class_name->empty()) return *class_name + "::" + function;
    return function;
}

const char* view_name(View view) {
    switch (view) {
        case View::Alloc: return "alloc";
        case View::Live: return "live";
        case View::Count: return "count";
        case View::Peak: return "peak";
    }
    return "alloc";
}

std::optional<View> parse_view(const std::string& name) {
    if (name == "alloc") return View::Alloc;
    if (name == "live") return View::Live;
    if (name == "count") return View::Count;
    if (name == "peak") return View::Peak;
    return std::nullopt;
}

uint64_t stack_value(const StackStats& stats, View view) {
    switch (view) {
        case View::Alloc: return stats.alloc_bytes;
        case View::Live: return stats.live_bytes;
        case View::Count: return stats.alloc_count;
        case View::Peak: return stats.peak_live_bytes;
    }
    return 0;
}

const char* view_unit(View view) { return view == View::Count ? "allocations" : "bytes"; }

}  // namespace pmt
