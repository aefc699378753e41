// Writes a Profile to a file whose format is chosen by the file name's extension.
#pragma once

#include <string>

#include "model/profile.h"
#include "util/result.h"

namespace pmt {

// Written atomically, never through a link (util/output_file.h).
// .json (report "phpmemtrace/1"), .folded (folded stacks), .txt (the terminal
// summary), .svg (flame graph), .pb.gz (pprof), .db (session file); more formats
// register in output_writer.cpp. `view` applies to the formats that show one
// value per stack (folded, flame graphs, ...).
Status write_output(const Profile& profile, const std::string& path, View view);

// Whether write_output() knows the format of `path`.
bool is_supported_output(const std::string& path);

// Everything that can be known about `path` before tracing: a known format and a
// place a file can be written (check_output_path()). One line saying why not.
Status check_output(const std::string& path);

// The extensions write_output() knows, for error messages and --help.
std::string supported_output_extensions();

}  // namespace pmt
