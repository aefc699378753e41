// pmt_bench_floor: runs a command with bare uprobes on the recorder's probe list.
//
//   pmt_bench_floor [--pid-filter] [--perf-links] [--entry-only] [--at-function-start] [--stats FILE]
//                   -- COMMAND [ARGS...]
//
// Attaches no-op programs (bench/bpf/bench_nop.bpf.c) to every function, entry
// and return, of the allocation rows of the probe table, through the recorder's
// attach path (attach_probes()), with the same kind of links (multi-uprobe links when the kernel has them, like the
// recorder; --perf-links: one perf-event uprobe per function) and the same
// process filter as `phpmemtrace record`, then
// lets the command run. What the command costs more than untraced is the
// kernel's uprobe floor. --at-function-start puts every probe on its function's
// first byte, where it was before attach/probe_placement.h moved the hot ones onto
// an instruction the kernel emulates: what that placement saves. Writes the hit counts to FILE as JSON; exits with the
// command's status.
#include <bpf/bpf.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <iostream>
#include <string>
#include <vector>

#include "attach/bpf_handles.h"
#include "attach/memtrace_probes.h"
#include "attach/probe_table.h"
#include "attach/uprobe_multi.h"
#include "bench_nop.skel.h"
#include "target/launcher.h"
#include "target/php_binary.h"

namespace {

int fail(const std::string& message) {
    std::cerr << "pmt_bench_floor: " << message << "\n";
    return 125;
}

}  // namespace

int main(int argc, char** argv) {
    bool pid_filter = false;
    bool perf_links = false;
    bool memtrace_programs = false;  // diagnostic: also the recorder's programs, process not traced
    bool memtrace_load_only = false; // diagnostic: load the recorder's object but attach nothing of it
    bool no_nop = false;             // diagnostic: do not attach the no-op programs
    bool entry_only = false;         // only the entry probes: prices entry traps and return hits apart
    bool at_function_start = false;  // every probe on its function's first byte (no placement)
    int extra_perf_links = 0;        // diagnostic: perf-event uprobes on rarely called functions
    std::string extra_binary;        // diagnostic: ... of this other PHP binary (another inode)
    std::string variant = "nop";     // diagnostic: lookup, cookie (see bench_nop.bpf.c)
    std::string stats_path;
    std::vector<std::string> command;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--pid-filter") {
            pid_filter = true;
        } else if (arg == "--memtrace-programs") {
            memtrace_programs = true;
        } else if (arg == "--memtrace-load-only") {
            memtrace_programs = memtrace_load_only = true;
        } else if (arg == "--variant" && i + 1 < argc) {
            variant = argv[++i];
        } else if (arg == "--extra-perf-links" && i + 1 < argc) {
            extra_perf_links = std::stoi(argv[++i]);
        } else if (arg == "--extra-binary" && i + 1 < argc) {
            extra_binary = argv[++i];
        } else if (arg == "--no-nop") {
            no_nop = true;
        } else if (arg == "--entry-only") {
            entry_only = true;
        } else if (arg == "--at-function-start") {
            at_function_start = true;
        } else if (arg == "--perf-links") {
            perf_links = true;
        } else if (arg == "--stats" && i + 1 < argc) {
            stats_path = argv[++i];
        } else if (arg == "--") {
            command.assign(argv + i + 1, argv + argc);
            break;
        } else {
            return fail("usage: pmt_bench_floor [--pid-filter] [--stats FILE] -- COMMAND [ARGS...]");
        }
    }
    if (command.empty()) return fail("no command given");
    pmt::quiet_libbpf_logging(false);

    auto image = pmt::resolve_command_binary(command);
    if (!image) return fail(image.error().message);
    auto php = pmt::PhpBinary::open(*image);
    if (!php) return fail(php.error().message);

    const bool multi = !perf_links && pmt::kernel_has_uprobe_multi();
    std::unique_ptr<bench_nop_bpf, pmt::SkeletonDeleter<bench_nop_bpf, bench_nop_bpf__destroy>> skel(
        bench_nop_bpf__open());
    if (!skel) return fail(std::string("cannot open the no-op BPF programs: ") + std::strerror(errno));
    bpf_program* entry_prog = skel->progs.nop_entry;
    bpf_program* return_prog = skel->progs.nop_return;
    if (variant == "lookup") {
        entry_prog = skel->progs.lookup_entry;
        return_prog = skel->progs.lookup_return;
    } else if (variant == "cookie") {
        entry_prog = skel->progs.cookie_entry;
        return_prog = skel->progs.cookie_return;
    } else if (variant != "nop") {
        return fail("unknown variant " + variant);
    }
    if (multi)
        for (bpf_program* prog : {entry_prog, return_prog})
            bpf_program__set_expected_attach_type(prog, static_cast<bpf_attach_type>(pmt::kBpfTraceUprobeMulti));
    if (int err = bench_nop_bpf__load(skel.get()); err != 0)
        return fail(std::string("cannot load the no-op BPF programs: ") + std::strerror(-err));

    auto child = pmt::HeldChild::spawn(command);
    if (!child) return fail(child.error().message);
    const pid_t filter = pid_filter ? child->pid() : -1;

    std::vector<pmt::BpfLink> links;
    pmt::ProbeLinks floor_links;  // the no-op programs on the recorder's probes, attached as the recorder does
    if (!no_nop) {
        std::vector<std::string> missing;
        auto probes = pmt::resolve_probes(*php, pmt::ProbeObject::Allocations, entry_prog, return_prog, missing);
        if (!probes) return fail(probes.error().message);
        if (entry_only)
            for (auto& p : *probes) p.ret = nullptr;
        if (at_function_start)
            for (auto& p : *probes)
                if (auto sym = php->elf().symbol(p.what))
                    if (auto offset = php->elf().file_offset_of(sym->vaddr)) p.file_offset = *offset;
        if (auto s = pmt::attach_probes(php->path(), filter, *probes, multi, floor_links); !s)
            return fail(s.error().message);
    }
    // Functions a script like the workloads calls rarely or never: links on them
    // cost nothing per allocation, unless the cost of a hit grows with the number
    // of links on the binary.
    static const char* const kRare[] = {"zend_gc_collect_cycles", "zend_error_zstr_at", "php_request_startup",
                                        "php_request_shutdown", "zend_memory_peak_usage", "zend_set_memory_limit",
                                        "zend_memory_reset_peak_usage", "php_module_startup"};
    std::optional<pmt::PhpBinary> other;
    if (!extra_binary.empty()) {
        auto opened = pmt::PhpBinary::open(extra_binary);
        if (!opened) return fail(opened.error().message);
        other.emplace(std::move(*opened));
    }
    const pmt::PhpBinary& extra_target = other ? *other : *php;
    for (int k = 0; k < extra_perf_links && k < int(sizeof(kRare) / sizeof(kRare[0])); ++k) {
        auto sym = extra_target.elf().symbol(kRare[k]);
        auto offset = sym ? extra_target.elf().file_offset_of(sym->vaddr) : std::nullopt;
        if (!offset) return fail(std::string("no symbol ") + kRare[k]);
        LIBBPF_OPTS(bpf_uprobe_opts, opts);
        // A program not loaded for multi links, attached as a perf-event link.
        bpf_link* link = bpf_program__attach_uprobe_opts(skel->progs.extra_entry, other ? -1 : filter,
                                                         extra_target.path().c_str(), *offset, &opts);
        if (!link) return fail(std::string("cannot attach a uprobe to ") + kRare[k] + ": " + std::strerror(errno));
        links.emplace_back(link);
    }
    std::unique_ptr<pmt::MemtraceProbes> memtrace;
    pmt::ProbeLinks memtrace_links;  // destroyed (cleared) before memtrace
    if (memtrace_programs) {
        pmt::ProbeOptions options;
        options.use_uprobe_multi = multi;
        auto loaded = pmt::MemtraceProbes::load(*php, options);
        if (!loaded) return fail(loaded.error().message);
        memtrace = std::move(*loaded);
        if (!memtrace_load_only)
            if (auto s = pmt::attach_probes(php->path(), child->pid(), memtrace->uprobes(), multi, memtrace_links); !s)
                return fail(s.error().message);
    }
    if (auto s = child->release(); !s) return fail(s.error().message);
    auto status = child->wait(true);

    int ncpus = libbpf_num_possible_cpus();
    std::vector<uint64_t> values(ncpus > 0 ? ncpus : 1);
    uint64_t hits[2] = {0, 0};
    for (uint32_t key = 0; key < 2; ++key)
        if (bpf_map__lookup_elem(skel->maps.hits, &key, sizeof(key), values.data(), values.size() * sizeof(uint64_t),
                                 0) == 0)
            for (uint64_t v : values) hits[key] += v;
    links.clear();
    floor_links = {};
    memtrace_links = {};
    memtrace.reset();
    if (!stats_path.empty()) {
        std::ofstream out(stats_path);
        out << "{\"entry_hits\": " << hits[0] << ", \"return_hits\": " << hits[1]
            << ", \"multi_links\": " << (multi ? "true" : "false") << ", \"wait_status\": " << (status ? *status : -1) << "}\n";
    }
    if (!status) return fail("lost the child");
    if (WIFEXITED(*status)) return WEXITSTATUS(*status);
    return 128 + (WIFSIGNALED(*status) ? WTERMSIG(*status) : 0);
}
