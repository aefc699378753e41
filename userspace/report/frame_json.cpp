#include "report/frame_json.h"

namespace pmt {

using nlohmann::json;

json FrameJsonWriter::frame(const Frame& f) {
    if (f.symbol >= profile_.symbols.size()) {
        ++bad_symbol_frames_;
        return {{"function", "[bad symbol]"}, {"class", nullptr},  {"file", nullptr},
                {"line", f.line},             {"kind", frame_kind_name(FrameKind::Unknown)}, {"symbol", f.symbol}};
    }
    const Symbol& s = profile_.symbols[f.symbol];
    return {{"function", s.function},
            {"class", s.class_name ? json(*s.class_name) : json(nullptr)},
            {"file", s.file.empty() ? json(nullptr) : json(s.file)},
            {"line", f.line},
            {"kind", frame_kind_name(s.kind)}};
}

json FrameJsonWriter::frames(const std::vector<Frame>& frames) {
    json out = json::array();
    for (const Frame& f : frames) out.push_back(frame(f));
    return out;
}

}  // namespace pmt
