// The JSON report, schema "phpmemtrace/1".
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "model/profile.h"

namespace pmt {

inline constexpr const char* kJsonSchema = "phpmemtrace/1";

nlohmann::json profile_to_json(const Profile& profile);
void write_json_report(const Profile& profile, std::ostream& out);

}  // namespace pmt
