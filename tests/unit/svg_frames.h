// Reads the frames of a phpmemtrace flame graph SVG back with a real XML parser
// (tinyxml2), for the unit and runtime tests.
#pragma once

#include <tinyxml2.h>

#include <map>
#include <string>
#include <vector>

namespace pmt::testing {

struct SvgFrame {
    std::string name;
    std::string kind;
    std::string info;  // the tooltip text (<title>, also shown on hover)
    int depth = 0;
    double x = 0, width = 0;
    std::string fill;
    std::string cls;  // "f", "f match", "f parent" (set by the script)
    bool hidden = false;  // display:none (outside a zoomed frame)
};

struct SvgDoc {
    bool parsed = false;
    std::string error;
    std::string title;
    double width = 0;
    double pad = 0;
    std::vector<SvgFrame> frames;
    std::map<std::string, std::string> root_attributes;  // data-ready, data-zoomed, ...

    std::vector<SvgFrame> named(const std::string& name) const {
        std::vector<SvgFrame> out;
        for (const auto& f : frames)
            if (f.name == name) out.push_back(f);
        return out;
    }
    double usable_width() const { return width - 2 * pad; }
};

inline void collect_frames(const tinyxml2::XMLElement* e, SvgDoc& doc) {
    for (; e; e = e->NextSiblingElement()) {
        const char* cls = e->Attribute("class");
        if (std::string(e->Name()) == "g" && cls && (std::string(cls) == "f" || std::string(cls).rfind("f ", 0) == 0)) {
            SvgFrame f;
            f.name = e->Attribute("data-name") ? e->Attribute("data-name") : "";
            f.kind = e->Attribute("data-kind") ? e->Attribute("data-kind") : "";
            const auto* title = e->FirstChildElement("title");
            f.info = title && title->GetText() ? title->GetText() : "";
            f.depth = e->IntAttribute("data-d");
            f.cls = cls;
            const char* style = e->Attribute("style");
            f.hidden = style && std::string(style).find("none") != std::string::npos;
            if (const auto* r = e->FirstChildElement("rect")) {
                f.x = r->DoubleAttribute("x");
                f.width = r->DoubleAttribute("width");
                f.fill = r->Attribute("fill") ? r->Attribute("fill") : "";
            }
            doc.frames.push_back(f);
        }
        collect_frames(e->FirstChildElement(), doc);
    }
}

inline SvgDoc parse_flamegraph(const std::string& text) {
    SvgDoc doc;
    tinyxml2::XMLDocument xml;
    if (xml.Parse(text.data(), text.size()) != tinyxml2::XML_SUCCESS) {
        doc.error = xml.ErrorStr() ? xml.ErrorStr() : "parse error";
        return doc;
    }
    const auto* root = xml.RootElement();
    if (!root || std::string(root->Name()) != "svg") {
        doc.error = "root element is not <svg>";
        return doc;
    }
    doc.parsed = true;
    doc.width = root->DoubleAttribute("data-fw");
    doc.pad = root->DoubleAttribute("data-pad");
    for (const auto* a = root->FirstAttribute(); a; a = a->Next()) doc.root_attributes[a->Name()] = a->Value();
    for (const auto* t = root->FirstChildElement("text"); t; t = t->NextSiblingElement("text")) {
        if (t->Attribute("id", "title") && t->GetText()) doc.title = t->GetText();
    }
    collect_frames(root->FirstChildElement(), doc);
    return doc;
}

// "rgb(r,g,b)" -> components (all -1 if not in that form).
struct Rgb3 {
    int r = -1, g = -1, b = -1;
};
inline Rgb3 parse_rgb(const std::string& fill) {
    Rgb3 c;
    if (std::sscanf(fill.c_str(), "rgb(%d,%d,%d)", &c.r, &c.g, &c.b) != 3) return Rgb3{};
    return c;
}

}  // namespace pmt::testing
