#include "report/output_writer.h"

#include <fstream>
#include <functional>
#include <vector>

#include "report/folded.h"
#include "report/json_report.h"
#include "report/text_summary.h"

namespace pmt {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Formats whose writer takes an open text stream.
struct StreamFormat {
    const char* extension;
    std::function<void(const Profile&, View, std::ostream&)> write;
};

const std::vector<StreamFormat>& stream_formats() {
    static const std::vector<StreamFormat> formats = {
        {".json", [](const Profile& p, View, std::ostream& out) { write_json_report(p, out); }},
        {".folded", [](const Profile& p, View v, std::ostream& out) { write_folded(p, v, out); }},
        {".txt", [](const Profile& p, View, std::ostream& out) { write_text_summary(p, out); }},
    };
    return formats;
}

}  // namespace

std::string supported_output_extensions() {
    std::string list;
    for (const auto& f : stream_formats()) list += std::string(list.empty() ? "" : ", ") + f.extension;
    return list;
}

Status write_output(const Profile& profile, const std::string& path, View view) {
    for (const auto& format : stream_formats()) {
        if (!ends_with(path, format.extension)) continue;
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        if (!out) return Error{"cannot write " + path};
        format.write(profile, view, out);
        out.flush();
        if (!out) return Error{"error while writing " + path};
        return Status::success();
    }
    return Error{"unknown output format for '" + path + "' (known: " + supported_output_extensions() + ")"};
}

}  // namespace pmt
