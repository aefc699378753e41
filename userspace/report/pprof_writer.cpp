#include "report/pprof_writer.h"

#include <zlib.h>

#include <cmath>
#include <ctime>
#include <map>
#include <unordered_map>
#include <vector>

#include "pprof_profile.pb.h"

namespace pmt {
namespace {

// pprof refers to every string by its index in one table; index 0 is "".
class StringTable {
public:
    explicit StringTable(pprof::Profile& profile) : profile_(profile) { intern(""); }
    int64_t intern(const std::string& s) {
        auto [it, inserted] = index_.try_emplace(s, static_cast<int64_t>(index_.size()));
        if (inserted) profile_.add_string_table(s);
        return it->second;
    }

private:
    pprof::Profile& profile_;
    std::unordered_map<std::string, int64_t> index_;
};

// "2026-11-21T07:37:22Z" or with fractional seconds -> ns since the epoch (0 if unparsable).
int64_t iso8601_to_nanos(const std::string& s) {
    std::tm tm{};
    double seconds = 0;
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%lf", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &seconds) != 6) {
        return 0;
    }
    // The text comes from a session file: out-of-range fields would overflow the
    // int arithmetic below (undefined behaviour), so they count as unparsable.
    const bool in_range = tm.tm_year >= 1970 && tm.tm_year <= 9999 && tm.tm_mon >= 1 && tm.tm_mon <= 12 &&
                          tm.tm_mday >= 1 && tm.tm_mday <= 31 && tm.tm_hour >= 0 && tm.tm_hour <= 23 &&
                          tm.tm_min >= 0 && tm.tm_min <= 59 && seconds >= 0 && seconds < 61;
    if (!in_range) return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_sec = static_cast<int>(seconds);
    const time_t t = timegm(&tm);
    // int64 nanoseconds end in April 2262: a later date (fuzz_session found year
    // 3026) would overflow the product, so it too counts as unparsable.
    constexpr int64_t kLastSecond = INT64_MAX / 1000000000 - 1;
    if (t < 0 || t > kLastSecond) return 0;
    return static_cast<int64_t>(t) * 1000000000 + std::llround((seconds - tm.tm_sec) * 1e9);
}

void add_sample_type(pprof::Profile& out, StringTable& strings, const char* type, const char* unit) {
    auto* vt = out.add_sample_type();
    vt->set_type(strings.intern(type));
    vt->set_unit(strings.intern(unit));
}

}  // namespace

std::string encode_pprof(const Profile& profile, const std::vector<std::string>& comments) {
    pprof::Profile out;
    StringTable strings(out);

    add_sample_type(out, strings, "alloc_objects", "count");
    add_sample_type(out, strings, "alloc_space", "bytes");
    add_sample_type(out, strings, "inuse_objects", "count");
    add_sample_type(out, strings, "inuse_space", "bytes");
    add_sample_type(out, strings, "peak_objects", "count");
    add_sample_type(out, strings, "peak_space", "bytes");
    if (profile.faults) {  // record --faults
        add_sample_type(out, strings, "faults", "count");
        add_sample_type(out, strings, "fault_time", "nanoseconds");
    }
    out.set_default_sample_type(strings.intern("inuse_space"));
    out.mutable_period_type()->set_type(strings.intern("space"));
    out.mutable_period_type()->set_unit(strings.intern("bytes"));
    out.set_period(1);  // every allocation is traced, none is sampled

    // One mapping that says names, files and lines are already resolved, so pprof
    // does not try to symbolize addresses (PHP frames have none).
    auto* mapping = out.add_mapping();
    mapping->set_id(1);
    mapping->set_filename(strings.intern(profile.target.binary.empty() ? "php" : profile.target.binary));
    mapping->set_has_functions(true);
    mapping->set_has_filenames(true);
    mapping->set_has_line_numbers(true);

    // Functions are profile symbols (id = symbol index + 1, pprof ids start at 1).
    for (size_t i = 0; i < profile.symbols.size(); ++i) {
        const Symbol& s = profile.symbols[i];
        auto* fn = out.add_function();
        fn->set_id(i + 1);
        fn->set_name(strings.intern(s.qualified_name()));
        fn->set_system_name(strings.intern(s.qualified_name()));
        fn->set_filename(strings.intern(s.file));
        fn->set_start_line(s.line_start);
    }

    // Locations are (function, executing line) pairs.
    std::map<std::pair<uint32_t, uint32_t>, uint64_t> location_ids;
    auto location_for = [&](const Frame& f) {
        auto [it, inserted] = location_ids.try_emplace({f.symbol, f.line}, location_ids.size() + 1);
        if (inserted) {
            auto* loc = out.add_location();
            loc->set_id(it->second);
            loc->set_mapping_id(1);
            auto* line = loc->add_line();
            line->set_function_id(f.symbol + 1);
            line->set_line(f.line);
        }
        return it->second;
    };

    for (const Stack& stack : profile.stacks) {
        const StackStats& st = stack.stats;
        std::vector<uint64_t> values = {st.alloc_count, st.alloc_bytes, st.live_count, st.live_bytes,
                                        st.peak_live_count, st.peak_live_bytes};
        if (profile.faults) values.insert(values.end(), {st.fault_count, st.fault_ns});
        bool any = false;
        for (uint64_t v : values) any |= v != 0;
        if (!any) continue;
        auto* sample = out.add_sample();
        for (auto it = stack.frames.rbegin(); it != stack.frames.rend(); ++it) {
            if (it->symbol < profile.symbols.size()) sample->add_location_id(location_for(*it));
        }
        for (uint64_t v : values) sample->add_value(static_cast<int64_t>(v));
    }

    out.set_time_nanos(iso8601_to_nanos(profile.started_at));
    out.set_duration_nanos(static_cast<int64_t>(std::llround(profile.duration_s * 1e9)));
    const Target& t = profile.target;
    out.add_comment(strings.intern("phpmemtrace pid " + std::to_string(t.pid) + " " + t.binary +
                                   (t.php_version.empty() ? "" : " PHP " + t.php_version)));
    out.add_comment(strings.intern("inuse = still allocated at " + profile.live_point +
                                   "; peak = held when the traced heap was largest"));
    for (const auto& comment : comments) out.add_comment(strings.intern(comment));
    return out.SerializeAsString();
}

Result<std::string> gzip_compress(const std::string& data) {
    z_stream zs{};
    // windowBits 15 + 16: write a gzip header and trailer rather than raw zlib.
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return Error{"zlib: deflateInit2 failed"};
    }
    std::string out(deflateBound(&zs, data.size()), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) return Error{"zlib: deflate did not finish"};
    return out;
}

Status write_pprof(const Profile& profile, std::ostream& out, const std::vector<std::string>& comments) {
    auto compressed = gzip_compress(encode_pprof(profile, comments));
    if (!compressed) return compressed.error();
    out.write(compressed->data(), static_cast<std::streamsize>(compressed->size()));
    return out ? Status::success() : Status(Error{"write failed"});
}

}  // namespace pmt
