// The CSS and JavaScript embedded in every flame graph SVG. They are files,
// report/flamegraph.css and report/flamegraph.js, made into these strings at
// build time (cmake/EmbedText.cmake).
#pragma once

namespace pmt {

extern const char* const kFlameGraphCss;
// Runs when the SVG has loaded: hover details, click to zoom, search, and the
// URL parameters ?s=REGEX (search) and ?x=NAME (zoom) used by tests and links.
extern const char* const kFlameGraphJs;

}  // namespace pmt
