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
        case View::Faults: return "faults";
        case View::FaultNs: return "fault-ns";
    }
    return "alloc";
}

std::optional<View> parse_view(const std::string& name) {
    for (View view : kAllViews)
        if (name == view_name(view)) return view;
    return std::nullopt;
}

std::string view_names() {
    std::string names;
    for (View view : kAllViews) names += std::string(names.empty() ? "" : ", ") + view_name(view);
    return names;
}

uint64_t stack_value(const StackStats& stats, View view) {
    switch (view) {
        case View::Alloc: return stats.alloc_bytes;
        case View::Live: return stats.live_bytes;
        case View::Count: return stats.alloc_count;
        case View::Peak: return stats.peak_live_bytes;
        case View::Faults: return stats.fault_count;
        case View::FaultNs: return stats.fault_ns;
    }
    return 0;
}

const char* view_unit(View view) {
    switch (view) {
        case View::Count: return "allocations";
        case View::Faults: return "page faults";
        case View::FaultNs: return "nanoseconds";
        default: return "bytes";
    }
}

}  // namespace pmt
