#include "util/utf8_text.h"

#include <utf8cpp/utf8.h>

#include <cstring>

namespace pmt {
namespace {

void append_escaped(std::string& out, unsigned char byte) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

}  // namespace

std::string printable_text(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    auto it = raw.begin();
    while (it != raw.end()) {
        // utfcpp finds the first byte that does not start a valid sequence
        // (overlong forms, surrogates and code points past U+10FFFF included).
        auto bad = utf8::find_invalid(it, raw.end());
        for (; it != bad; ++it) {
            unsigned char c = static_cast<unsigned char>(*it);
            if (is_control(c))
                append_escaped(out, c);
            else
                out += *it;
        }
        if (bad == raw.end()) break;
        append_escaped(out, static_cast<unsigned char>(*it));
        ++it;
    }
    return out;
}

std::string printable_field(const char* field, size_t capacity) {
    return printable_text(std::string_view(field, strnlen(field, capacity)));
}

}  // namespace pmt
