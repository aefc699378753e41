// pprof output: a gzipped profile.proto that `go tool pprof` and continuous
// profiling backends read. Sample types, in this order:
//   alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes,
//   peak_objects/count, peak_space/bytes
// (inuse = still allocated at the profile's live point; peak = held when the
// traced heap was at its largest). pprof shows inuse_space unless told otherwise.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "model/profile.h"
#include "util/result.h"

namespace pmt {

// The uncompressed profile.proto message; `comments` are added to the
// profile's own (the agent's interval, overhead estimate and drops).
std::string encode_pprof(const Profile& profile, const std::vector<std::string>& comments = {});

// gzip of encode_pprof(), to `out`.
Status write_pprof(const Profile& profile, std::ostream& out, const std::vector<std::string>& comments = {});

// gzip (RFC 1952) of `data`; used for .pb.gz.
Result<std::string> gzip_compress(const std::string& data);

}  // namespace pmt
