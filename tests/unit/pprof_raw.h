// Reads the output of `go tool pprof -raw` (Debian's golang-go): per-sample values
// and locations, the independent reader for the pprof tests.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>


namespace pmt::testing {

struct PprofRaw {
    bool ok = false;
    std::string output;                     // what pprof printed (for failure messages)
    std::vector<std::string> sample_types;  // "alloc_objects/count", ...
    std::vector<std::vector<int64_t>> samples;
    std::vector<std::vector<int>> sample_locations;  // location ids of each sample, leaf first
    std::vector<std::string> location_lines;  // "1: 0x0 M=1 load /srv/lib.php:12 s=10"

    int64_t total(const std::string& type) const {
        int64_t sum = 0;
        for (size_t i = 0; i < sample_types.size(); ++i)
            if (sample_types[i] == type || sample_types[i] == type + "[dflt]")
                for (const auto& s : samples) sum += s[i];
        return sum;
    }
    // The value of `type` summed over the samples whose stack has a location
    // line containing `function` (e.g. " make_blocks ").
    int64_t total_through(const std::string& type, const std::string& function) const {
        std::vector<int> ids;
        for (const auto& l : location_lines)
            if (l.find(function) != std::string::npos) ids.push_back(std::atoi(l.c_str()));
        int64_t sum = 0;
        for (size_t i = 0; i < sample_types.size(); ++i)
            if (sample_types[i] == type || sample_types[i] == type + "[dflt]")
                for (size_t s = 0; s < samples.size(); ++s)
                    for (int id : sample_locations[s])
                        if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
                            sum += samples[s][i];
                            break;
                        }
        return sum;
    }
};

// Parses the output of `go tool pprof -raw FILE`.
inline PprofRaw parse_pprof_raw(const std::string& output) {
    PprofRaw raw;
    raw.output = output;
    std::istringstream in(raw.output);
    std::string line;
    enum { Before, Header, Samples, Locations, After } state = Before;
    while (std::getline(in, line)) {
        if (line == "Samples:") { state = Header; continue; }
        if (line == "Locations") { state = Locations; continue; }
        if (line == "Mappings") { state = After; continue; }
        if (state == Header) {
            std::istringstream words(line);
            std::string w;
            while (words >> w) raw.sample_types.push_back(w);
            state = Samples;
        } else if (state == Samples) {
            auto colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::istringstream values(line.substr(0, colon));
            std::vector<int64_t> sample;
            int64_t v;
            while (values >> v) sample.push_back(v);
            if (sample.size() != raw.sample_types.size()) continue;
            raw.samples.push_back(sample);
            std::istringstream ids(line.substr(colon + 1));
            std::vector<int> locations;
            int id;
            while (ids >> id) locations.push_back(id);
            raw.sample_locations.push_back(locations);
        } else if (state == Locations) {
            raw.location_lines.push_back(line);
        }
    }
    raw.ok = !raw.sample_types.empty();
    return raw;
}

}  // namespace pmt::testing
