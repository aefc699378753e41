// Text that goes into SVG/XML: escaped, valid UTF-8, and shortened to fit a box.
#pragma once

#include <string>

namespace pmt {

// Escapes markup characters and writes what XML 1.0 cannot hold (invalid UTF-8,
// control characters) as \xNN, like every other output (util/utf8_text.h), so
// any PHP name yields a well-formed file.
std::string xml_escape(const std::string& text);

// The label that fits in a box `width_px` wide ("" when not even 3 characters fit).
std::string fit_label(const std::string& name, double width_px);

}  // namespace pmt
