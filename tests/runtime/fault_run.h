// Runs tests/testprogs/snapshot_restore under a FaultTracer and collects the fault
// records of its process (shared by the fault tests and the fault benchmark).
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "faults/fault_collector.h"
#include "faults/fault_tracer.h"

namespace pmt::testing_faults {

struct Fault {
    pmt_fault_record r;  // fixed part
    FaultRegion region;
    FaultKind kind;
};

inline std::string snapshot_restore_path() { return std::string(PMT_BUILD_DIR) + "/tests/snapshot_restore"; }

struct TracedRun {
    nlohmann::json out;      // what the program printed
    std::vector<Fault> faults;  // records of its process
    rusage usage{};          // the kernel's counts for the process
    FaultCounters counters;
    FaultReport report;         // the collector's report (restores, requests)
};

struct Drain {
    uint32_t pid;
    FaultCollector* collector;
    std::vector<Fault>* faults;
};

inline int on_event(void* ctx, void* data, size_t size) {
    auto* d = static_cast<Drain*>(ctx);
    pmt_record_header hdr;
    std::memcpy(&hdr, data, sizeof(hdr));
    if (hdr.tgid != d->pid) return 0;
    RecordView view;
    if (!RecordView::decode(data, size, view)) return 0;
    auto a = d->collector->on_record(view);
    if (!a) return 0;
    Fault f{};
    std::memcpy(&f.r, data, PMT_FAULT_RECORD_FIXED_SIZE);
    f.region = a->region;
    f.kind = a->kind;
    d->faults->push_back(f);
    return 0;
}

// Runs snapshot_restore under the tracer: the forked child waits on a pipe, before
// exec, until its pid is in the traced set, so every fault after the wait is traced. tracer == nullptr:
// the same run, untraced.
inline TracedRun run_traced_program(FaultTracer* tracer, const std::string& prog,
                                    const std::vector<std::string>& args,
                                    const std::vector<std::string>& restore_names = {}) {
    TracedRun run;
    int go[2], out[2];
    EXPECT_EQ(pipe(go), 0);
    EXPECT_EQ(pipe(out), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]);
        close(out[0]);
        dup2(out[1], 1);
        // Wait here, before exec, so the program's whole life (loader included) is traced.
        char c;
        if (read(go[0], &c, 1) != 1) _exit(126);
        close(go[0]);
        std::vector<std::string> argv_s{prog};
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& s : argv_s) argv.push_back(s.data());
        argv.push_back(nullptr);
        execv(prog.c_str(), argv.data());
        _exit(127);
    }
    close(go[0]);
    close(out[1]);
    pmt_proc_state state{};
    uint32_t key = static_cast<uint32_t>(pid);
    if (tracer) {
        EXPECT_EQ(bpf_map_update_elem(tracer->traced_fd(), &key, &state, BPF_ANY), 0);
    }
    EXPECT_EQ(write(go[1], "g", 1), 1);
    close(go[1]);
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = read(out[0], buf, sizeof(buf))) > 0;) text.append(buf, n);
    close(out[0]);
    int status = 0;
    EXPECT_EQ(wait4(pid, &status, 0, &run.usage), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
    run.out = nlohmann::json::parse(text, nullptr, false);
    if (!tracer) return run;
    bpf_map_delete_elem(tracer->traced_fd(), &key);

    FaultCollector collector;
    collector.set_restore_functions(restore_names);
    Drain drain{key, &collector, &run.faults};
    ring_buffer* rb = ring_buffer__new(tracer->events_fd(), on_event, &drain, nullptr);
    EXPECT_NE(rb, nullptr);
    if (rb) {
        ring_buffer__consume(rb);
        ring_buffer__free(rb);
    }
    run.counters = tracer->counters();
    run.report = collector.report();
    return run;
}

inline TracedRun run_traced(FaultTracer* tracer, const std::vector<std::string>& args,
                            const std::vector<std::string>& restore_names = {}) {
    return run_traced_program(tracer, snapshot_restore_path(), args, restore_names);
}

}  // namespace pmt::testing_faults
