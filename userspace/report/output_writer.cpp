#include "report/output_writer.h"

#include <functional>
#include <vector>

#include "report/flamegraph_svg.h"
#include "report/folded.h"
#include "report/heap_chart_svg.h"
#include "report/json_report.h"
#include "report/pprof_writer.h"
#include "report/text_summary.h"
#include "store/session_store.h"
#include "util/output_file.h"

namespace pmt {
namespace {

// Formats whose writer takes an open stream. Private: the format carries request
// URIs with their query strings, or the traced command line (see util/output_file.h).
struct StreamFormat {
    const char* extension;
    OutputAccess access;
    std::function<void(const Profile&, View, std::ostream&)> write;
};

const std::vector<StreamFormat>& stream_formats() {
    static const std::vector<StreamFormat> formats = {
        {".json", OutputAccess::Private, [](const Profile& p, View, std::ostream& out) { write_json_report(p, out); }},
        {".folded", OutputAccess::Shared, [](const Profile& p, View v, std::ostream& out) { write_folded(p, v, out); }},
        {".txt", OutputAccess::Shared, [](const Profile& p, View, std::ostream& out) { write_text_summary(p, out); }},
        // Before ".svg": the first matching extension wins.
        {".heap.svg", OutputAccess::Private, [](const Profile& p, View, std::ostream& out) { write_heap_chart_svg(p, out); }},
        {".svg", OutputAccess::Shared, [](const Profile& p, View v, std::ostream& out) { write_flamegraph_svg(p, v, out); }},
        {".pb.gz", OutputAccess::Shared, [](const Profile& p, View, std::ostream& out) {
             if (!write_pprof(p, out)) out.setstate(std::ios::failbit);
         }},
    };
    return formats;
}

}  // namespace

// A session file is a database, written by path rather than through a stream
// (private: save_session() says why).
constexpr const char* kSessionExtension = ".db";

std::string supported_output_extensions() {
    std::string list = kSessionExtension;
    for (const auto& f : stream_formats()) list += std::string(list.empty() ? "" : ", ") + f.extension;
    return list;
}

bool is_supported_output(const std::string& path) {
    if (path.ends_with(kSessionExtension)) return true;
    for (const auto& f : stream_formats())
        if (path.ends_with(f.extension)) return true;
    return false;
}

Status check_output(const std::string& path) {
    if (!is_supported_output(path))
        return Error{"unknown output format for '" + path + "' (known: " + supported_output_extensions() + ")"};
    return check_output_path(path);
}

Status write_output(const Profile& profile, const std::string& path, View view) {
    if (path.ends_with(kSessionExtension)) return save_session(profile, path);
    for (const auto& format : stream_formats()) {
        if (!path.ends_with(format.extension)) continue;
        return write_output_file(path, format.access,
                                 [&](std::ostream& out) { format.write(profile, view, out); });
    }
    return Error{"unknown output format for '" + path + "' (known: " + supported_output_extensions() + ")"};
}

}  // namespace pmt
