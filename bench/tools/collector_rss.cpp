// pmt_bench_collector_rss: the collector's resident memory for a stream of
// EVENTS records with about LIVE live blocks and STACKS unique stacks.
//
//   pmt_bench_collector_rss --events N --live N --stacks N [--depth N] [--baseline]
//
// Records are generated one at a time (never stored), so the process holds only
// the generator's small state and the Collector. --baseline runs the generator
// without the Collector; the driver subtracts the two. Prints JSON with VmRSS /
// VmHWM (KiB) before feeding, after feeding and after building the Profile.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "collect/collector.h"
#include "synthetic_stream.h"

namespace {

long status_kb(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    size_t n = std::strlen(field);
    while (std::getline(in, line))
        if (line.compare(0, n, field) == 0) return std::stol(line.substr(n + 1));
    return -1;
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t events = 1000000;
    pmt::bench::SyntheticOptions options;
    bool baseline = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto next = [&]() -> uint64_t { return i + 1 < argc ? std::stoull(argv[++i]) : 0; };
        if (arg == "--events") events = next();
        else if (arg == "--live") options.live_blocks = next();
        else if (arg == "--stacks") options.stacks = static_cast<uint32_t>(next());
        else if (arg == "--depth") options.mean_depth = static_cast<uint32_t>(next());
        else if (arg == "--baseline") baseline = true;
        else {
            std::cerr << "unknown argument " << arg << "\n";
            return 2;
        }
    }
    pmt::bench::SyntheticStream generator(options);
    std::vector<uint64_t> buffer(sizeof(pmt_func_record) / 8 + sizeof(pmt_alloc_record) / 8 + 1);
    pmt::Collector collector(pmt::CollectorOptions{});
    const long rss_before = status_kb("VmRSS:");
    uint64_t checksum = 0;
    for (uint64_t i = 0; i < events; ++i) {
        size_t size = generator.next(buffer.data());
        if (!baseline) collector.on_record(buffer.data(), size);
        checksum += size;
    }
    const long rss_fed = status_kb("VmRSS:");
    size_t stacks = 0;
    if (!baseline) stacks = collector.profile().stacks.size();
    const long hwm = status_kb("VmHWM:");
    std::printf(
        "{\"events\": %llu, \"live_target\": %llu, \"live_blocks\": %llu, \"stacks_option\": %u, "
        "\"stacks\": %zu, \"depth\": %u, \"baseline\": %s, \"rss_before_kb\": %ld, \"rss_fed_kb\": %ld, "
        "\"hwm_kb\": %ld, \"checksum\": %llu}\n",
        (unsigned long long)events, (unsigned long long)options.live_blocks,
        (unsigned long long)generator.live_blocks(), options.stacks, stacks, options.mean_depth,
        baseline ? "true" : "false", rss_before, rss_fed, hwm, (unsigned long long)checksum);
    return 0;
}
