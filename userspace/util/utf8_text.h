// Text read from a traced process or a file, made safe for every output format.
//
// PHP names may hold any byte 0x80-0xff (a Latin-1 source file declares
// `function café` in Latin-1), but JSON, XML, protobuf strings and SQLite TEXT
// want UTF-8. Every such string passes through printable_text() once, where it
// enters phpmemtrace, so all formats show the same text.
#pragma once

#include <string>
#include <string_view>

namespace pmt {

// `raw` with each byte that is not part of valid UTF-8, and each ASCII control
// character, written as the four characters \xNN (hex, upper case): "caf\xE9".
// Valid UTF-8 without control characters is returned unchanged, so applying it
// twice changes nothing, and the escaped name can still be searched for.
std::string printable_text(std::string_view raw);

// printable_text() of a NUL-terminated field of at most `capacity` bytes.
std::string printable_field(const char* field, size_t capacity);

}  // namespace pmt
