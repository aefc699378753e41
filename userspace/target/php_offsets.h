// Struct offsets of the PHP engine, per version (x86_64, NTS release builds).
#pragma once

#include <optional>
#include <string>

#include "phpmemtrace.h"

namespace pmt {

struct PhpVersion {
    int major = 0, minor = 0, patch = 0;
    std::string text;  // "8.2.35"
    static std::optional<PhpVersion> parse(const std::string& text);
};

// The frame-walk offsets for a version, or nullopt when the version is not in the
// table (the caller reports "unsupported PHP version"). Heap-layout fields are left
// 0: they are read from the binary itself (heap_layout.h).
std::optional<pmt_php_offsets> php_offsets_for(const PhpVersion& version);

// "7.4, 8.0, ..." for error messages.
std::string supported_php_versions();

}  // namespace pmt
