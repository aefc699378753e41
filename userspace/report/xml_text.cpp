#include "report/xml_text.h"

#include "util/utf8_text.h"

namespace pmt {

std::string xml_escape(const std::string& text) {
    // Names are printable already (collector, session reader); this keeps any other
    // text well-formed the same way: invalid UTF-8 and control bytes as \xNN.
    const std::string printable = printable_text(text);
    std::string out;
    out.reserve(printable.size());
    for (char c : printable) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string fit_label(const std::string& name, double width_px) {
    // ~6.6 px per character at the 11px monospace font the CSS sets.
    const double chars = (width_px - 6) / 6.6;
    if (chars < 3) return "";
    const size_t n = static_cast<size_t>(chars);
    if (name.size() <= n) return name;
    size_t cut = n - 2;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;  // not mid-character
    return name.substr(0, cut) + "..";
}

}  // namespace pmt
