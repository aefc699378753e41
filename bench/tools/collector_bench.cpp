// Collector throughput: records per second pmt::Collector decodes, attributes and
// aggregates on one core.
//
//   pmt_bench_collector [--stream=NAME=FILE ...] [Google Benchmark flags]
//
// replay/NAME feeds a stream captured from a real PHP run (pmt_bench_capture)
// into a fresh Collector per iteration: function names, stack interning, live
// block table, everything `phpmemtrace record` does per record. synthetic/...
// streams vary the stack depth and the number of unique stacks beyond what the
// bundled workloads produce (framework code runs 30-60 frames deep).
#include <benchmark/benchmark.h>

#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collect/collector.h"
#include "record_stream.h"
#include "synthetic_stream.h"

namespace {

using pmt::bench::RecordStream;

void feed(benchmark::State& state, const RecordStream& stream) {
    uint64_t allocator_records = 0;
    for (const auto& e : stream.records) {
        uint16_t kind = static_cast<const pmt_record_header*>(stream.data(e))->kind;
        allocator_records += kind == PMT_REC_ALLOC || kind == PMT_REC_FREE || kind == PMT_REC_REALLOC;
    }
    for (auto _ : state) {
        pmt::Collector collector(pmt::CollectorOptions{});
        for (const auto& e : stream.records) collector.on_record(stream.data(e), e.size);
        benchmark::DoNotOptimize(collector.live_bytes());
        if (collector.malformed_records()) state.SkipWithError("malformed records in the stream");
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(stream.records.size()));
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(stream.bytes()));
    state.counters["records"] = double(stream.records.size());
    state.counters["allocator_records"] = double(allocator_records);
}

RecordStream make_synthetic(uint32_t depth, uint32_t stacks, uint64_t live, size_t events) {
    pmt::bench::SyntheticOptions options;
    options.mean_depth = depth;
    options.stacks = stacks;
    options.live_blocks = live;
    pmt::bench::SyntheticStream generator(options);
    RecordStream stream;
    std::vector<uint64_t> buffer(sizeof(pmt_func_record) / 8 + sizeof(pmt_alloc_record) / 8 + 1);
    for (size_t i = 0; i < events; ++i) {
        size_t size = generator.next(buffer.data());
        stream.append(buffer.data(), size);
    }
    return stream;
}

void BM_Synthetic(benchmark::State& state) {
    static std::map<std::vector<int64_t>, std::unique_ptr<RecordStream>> cache;
    std::vector<int64_t> key = {state.range(0), state.range(1), state.range(2)};
    auto& stream = cache[key];
    if (!stream)
        stream = std::make_unique<RecordStream>(
            make_synthetic(uint32_t(state.range(0)), uint32_t(state.range(1)), uint64_t(state.range(2)), 300000));
    feed(state, *stream);
}
// depth, unique stacks, live blocks
BENCHMARK(BM_Synthetic)
    ->ArgNames({"depth", "stacks", "live"})
    ->Args({8, 200, 20000})
    ->Args({16, 2000, 20000})
    ->Args({32, 2000, 20000})
    ->Args({64, 2000, 20000})
    ->Args({16, 50000, 20000})
    ->Args({16, 2000, 500000})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(0.5);

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::unique_ptr<RecordStream>> streams;
    std::vector<char*> rest;
    for (int i = 0; i < argc; ++i) {
        if (std::strncmp(argv[i], "--stream=", 9) == 0) {
            std::string spec = argv[i] + 9;
            auto eq = spec.find('=');
            if (eq == std::string::npos) {
                std::cerr << "--stream=NAME=FILE expected\n";
                return 2;
            }
            auto stream = std::make_unique<RecordStream>();
            if (!pmt::bench::load_record_stream(spec.substr(eq + 1), *stream) || stream->records.empty()) {
                std::cerr << "cannot use stream " << spec << "\n";
                return 1;
            }
            const RecordStream* s = stream.get();
            benchmark::RegisterBenchmark(("BM_Replay/" + spec.substr(0, eq)).c_str(),
                                         [s](benchmark::State& state) { feed(state, *s); })
                ->Unit(benchmark::kMillisecond)
                ->MinTime(0.5);
            streams.push_back(std::move(stream));
        } else {
            rest.push_back(argv[i]);
        }
    }
    int rest_argc = static_cast<int>(rest.size());
    benchmark::Initialize(&rest_argc, rest.data());
    if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
