#!/usr/bin/env python3
"""phpmemtrace benchmark harness: what the tracer costs, measured side by side.

    sudo python3 bench/run_bench.py [--quick] [--build-dir build] [--only overhead,collector,...]
                                    [--reps N] [--baseline-build DIR] [--memprof SO_PATH]

Sections (BENCHMARKS.md explains each table):
  overhead   PHP workloads (bench/workloads, composer, phpunit, phpcs) untraced / under bare
             no-op uprobes on the same functions (the floor: entry probes only, and entry +
             return) / under `phpmemtrace record` (--no-heap and default), interleaved; ratios
             per repetition. Optional extra configurations: --baseline-build DIR (another
             commit's build: its phpmemtrace, both modes) and --memprof SO_PATH (php-memprof)
  ladder     where the tracer's own cost goes: the floor, then one ingredient of the
             recorder at a time (links, programs, records, wake-ups), on one workload
  collector  Google Benchmark feeding pmt::Collector with streams captured from the
             workloads and with synthetic deep/wide streams
  loss       ring buffer: event rates reached with zero loss, and what a stalled
             consumer costs (what is counted)
  memory     collector RSS against events, live blocks and unique stacks
  startup    the fixed cost of a session: `php8.2 -r ''` untraced and under `record`
             (wall, command to script start, script end to command exit, the phases of
             `record --timings`), and `record -p PID` to the first traced allocation
  snapshot   `snapshot -p PID` of a process holding a 1 GiB heap: the pause per GiB and the
             analysis time

Prints tables of ratios; never fails on a figure, but fails loudly (exit 1) when a
run itself fails. Raw results go to <build>/bench-results/<UTC time>/results.json.

The workloads run a private copy of the PHP binary: uprobes are attached per inode,
so other sessions tracing /usr/bin/php8.2 on the machine (tests running at the same
time) neither slow our runs down nor are slowed down by our probes.
"""
import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = os.path.join(HERE, "workloads")


class RunFailed(RuntimeError):
    pass


# ---------------------------------------------------------------------------
# helpers

def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def spread(xs, fmt="{:.2f}"):
    if not xs:
        return "-"
    return (fmt + " [" + fmt + "–" + fmt + "]").format(median(xs), min(xs), max(xs))


def run_checked(cmd, env=None, cwd=None, timeout=1800, what=None):
    """Runs cmd, returns (wall_ns, rusage); raises RunFailed with its stderr if it fails."""
    t0 = time.monotonic_ns()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, status, rusage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        raise
    wall = time.monotonic_ns() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise RunFailed("{} failed (exit {}): {}\n{}".format(what or cmd[0], proc.returncode, " ".join(cmd), err[-3000:]))
    return wall, rusage


def wait_for_child_exe(pid, exe, timeout=30):
    """Waits until process pid has a child running exe (launch mode: released)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/{0}/task/{0}/children".format(pid)) as f:
                for child in f.read().split():
                    try:
                        if os.path.realpath("/proc/{}/exe".format(child)) == os.path.realpath(exe):
                            return int(child)
                    except OSError:
                        pass
        except OSError:
            raise RunFailed("process {} is gone".format(pid))
        time.sleep(0.01)
    raise RunFailed("no child running {} after {} s".format(exe, timeout))


def foreign_uprobe_links():
    """Perf-event uprobe links attached right now (by other sessions when none of ours runs).

    Each one, on any binary, makes every uprobe hit on the machine dearer (BENCHMARKS.md,
    section 1b), so the tables say how many were seen."""
    try:
        p = subprocess.run(["bpftool", "-j", "perf", "list"], capture_output=True, text=True, timeout=30)
        return sum(1 for e in json.loads(p.stdout or "[]") if e.get("fd_type") in ("uprobe", "uretprobe"))
    except (OSError, ValueError, subprocess.SubprocessError):
        return -1


def irq_work_interrupts():
    """IRQ work interrupts (self-IPIs) on all CPUs so far."""
    with open("/proc/interrupts") as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == "IWI:":
                return sum(int(p) for p in parts[1:] if p.isdigit())
    return 0


def table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    out = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths)) + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    return "\n".join(out)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RunFailed("nothing listens on port {}".format(port))


def process_cpu(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/{}/stat".format(pid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prometheus_values(text):
    """name{labels} -> value of a Prometheus text scrape ("name" alone for no labels)."""
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            try:
                values[key] = float(value)
            except ValueError:
                pass
    return values


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "kernel": platform.release(),
        "cpu": cpu,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "php": subprocess.run(["php8.2", "-n", "-r", "echo PHP_VERSION;"], capture_output=True, text=True).stdout,
        "git": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip(),
        "loadavg": open("/proc/loadavg").read().split()[:3],
    }


# ---------------------------------------------------------------------------
# set-up: private PHP binary, generated include files, composer project

class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.build = os.path.abspath(args.build_dir)
        self.tool = os.path.join(self.build, "phpmemtrace")
        self.bench_bin = os.path.join(self.build, "bench")
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.results_dir = os.path.abspath(args.results or os.path.join(self.build, "bench-results", stamp))
        self.work = os.path.join(self.results_dir, "work")
        os.makedirs(self.work, exist_ok=True)
        self.results = {"machine": machine(), "quick": self.quick, "command": " ".join(sys.argv)}
        for exe in [self.tool] + [os.path.join(self.bench_bin, n) for n in
                                  ("pmt_bench_floor", "pmt_bench_capture", "pmt_bench_collector",
                                   "pmt_bench_collector_rss", "pmt_bench_timer.so")]:
            if not os.path.exists(exe):
                raise RunFailed("missing {} (build first: cmake --build {})".format(exe, self.build))
        if os.geteuid() != 0:
            raise RunFailed("the benchmarks load BPF programs: run as root")

        self.php = os.path.join(self.work, "php8.2")
        shutil.copy2(os.path.realpath(shutil.which("php8.2")), self.php)
        self.php_other = os.path.join(self.work, "php8.2-other")  # another inode, for the ladder
        shutil.copy2(self.php, self.php_other)
        self.env = dict(os.environ)
        self.env.pop("USE_ZEND_ALLOC", None)
        self.env.update({"COMPOSER_HOME": os.path.join(self.work, "composer-home"), "COMPOSER_DISABLE_NETWORK": "1",
                         "COMPOSER_NO_INTERACTION": "1", "COMPOSER_ALLOW_SUPERUSER": "1"})
        files = 40 if self.quick else 100
        self.inc = os.path.join(self.work, "include-files")
        run_checked([self.php, "-n", os.path.join(WORKLOADS, "include_heavy.php"), "--generate", self.inc, str(files)],
                    env=self.env, what="generating include files")
        self.project = os.path.join(self.work, "composer-project")
        os.makedirs(self.project, exist_ok=True)
        shutil.copy2(os.path.join(WORKLOADS, "composer-project", "composer.json"), self.project)
        run_checked([self.php, "-n", os.path.join(WORKLOADS, "include_heavy.php"), "--generate",
                     os.path.join(self.project, "src"), "30"], env=self.env, what="generating the composer project")
        composer = shutil.which("composer")
        if not composer:
            raise RunFailed("composer is not installed (apt-get install composer, or make deps)")
        # phpunit and phpcs from Debian's packages, on one small file each (tests/php/real/).
        self.real_dir = os.path.join(self.work, "real-programs")
        os.makedirs(self.real_dir, exist_ok=True)
        for f in ("SmallTest.php", "psr12_clean.php"):
            shutil.copy2(os.path.join(ROOT, "tests", "php", "real", f), self.real_dir)
        for exe in ("/usr/bin/phpunit", "/usr/bin/phpcs"):
            if not os.path.exists(exe):
                raise RunFailed("{} is not installed (make deps)".format(exe))
        q = self.quick
        w = lambda script, *a: [self.php, "-n", os.path.join(WORKLOADS, script), *map(str, a)]
        self.workloads = [
            ("alloc_loop", w("alloc_loop.php", 3000 if q else 15000), None),
            ("object_graph", w("object_graph.php", 1000 if q else 4000), None),
            ("string_build", w("string_build.php", 2000 if q else 8000), None),
            ("include_heavy", w("include_heavy.php", self.inc), None),
            # A real program from Debian's packages, with its extensions (no -n): boots its console
            # (quick), or scans a 30-file project and writes its optimized class-map autoloader.
            ("composer_version", [self.php, composer, "--version"], self.project) if q else
            ("composer_dump_autoload", [self.php, composer, "dump-autoload", "--optimize", "--no-interaction"],
             self.project),
            # With their extensions too (no -n); the result cache would be a file written into the work dir.
            ("phpunit", [self.php, "/usr/bin/phpunit", "--do-not-cache-result", "SmallTest.php"], self.real_dir),
            ("phpcs", [self.php, "/usr/bin/phpcs", "--standard=PSR12", "psr12_clean.php"], self.real_dir),
        ]
        if q:  # a few minutes in all: the two real programs' runs are the longest of the quick table
            self.workloads = [x for x in self.workloads if x[0] != "phpcs"]

        # Optional extra configurations of the overhead table: another build's phpmemtrace (an older
        # commit, to compare against) and php-memprof, an extension built by hand (never in the repo).
        self.baseline_tool = None
        if args.baseline_build:
            self.baseline_tool = os.path.join(os.path.abspath(args.baseline_build), "phpmemtrace")
            if not os.access(self.baseline_tool, os.X_OK):
                raise RunFailed("--baseline-build: no executable {}".format(self.baseline_tool))
            self.baseline_label = subprocess.run(
                ["git", "-C", os.path.dirname(os.path.abspath(args.baseline_build)), "rev-parse", "--short", "HEAD"],
                capture_output=True, text=True).stdout.strip() or "baseline"
        self.memprof = None
        if args.memprof:
            self.memprof = os.path.abspath(args.memprof)
            self.memprof_dump = os.path.join(self.work, "memprof_dump.php")
            with open(self.memprof_dump, "w") as f:
                # memprof profiles from request start when MEMPROF_PROFILE is set; a profile is only
                # made when asked for, so dump one at shutdown, as a user would (pprof, to a file).
                f.write("<?php register_shutdown_function(function () {\n"
                        "    $f = fopen(getenv('PMT_MEMPROF_OUT'), 'w'); memprof_dump_pprof($f); fclose($f); });\n")
            env = dict(self.env, MEMPROF_PROFILE="1")
            p = subprocess.run([self.php, "-n", "-d", "extension=" + self.memprof, "-r",
                                "exit(function_exists('memprof_enabled') && memprof_enabled() ? 0 : 3);"],
                               env=env, capture_output=True, text=True)
            if p.returncode != 0:
                raise RunFailed("--memprof {}: the extension does not load or does not enable: {}".format(
                    self.memprof, (p.stderr + p.stdout).strip()[-500:] or "exit {}".format(p.returncode)))

    def timed_env(self, timing_file):
        env = dict(self.env)
        env["LD_PRELOAD"] = os.path.join(self.bench_bin, "pmt_bench_timer.so")
        env["PMT_BENCH_TIMING"] = timing_file
        return env

    def read_timing(self, path, what):
        try:
            with open(path) as f:
                t = json.loads(f.read())
        except (OSError, ValueError) as e:
            raise RunFailed("{}: no timing written by the PHP process ({})".format(what, e))
        os.unlink(path)
        return t

    # -----------------------------------------------------------------------
    # 1. exact mode against the bare-uprobe floor

    def run_config(self, config, name, cmd, cwd):
        timing = os.path.join(self.work, "timing.json")
        env = self.timed_env(timing)
        stats = os.path.join(self.work, "stats.json")
        what = "{} / {}".format(name, config)
        floor = os.path.join(self.bench_bin, "pmt_bench_floor")
        if config == "untraced":
            wall, ru = run_checked(cmd, env=env, cwd=cwd, what=what)
            extra = {}
        elif config in ("floor", "floor_entry", "floor_first_byte"):
            flags = {"floor": [], "floor_entry": ["--entry-only"], "floor_first_byte": ["--at-function-start"]}[config]
            wall, ru = run_checked([floor, *flags, "--stats", stats, "--", *cmd], env=env, cwd=cwd, what=what)
            extra = json.load(open(stats))
        elif config == "memprof":
            out = os.path.join(self.work, "memprof.pprof")
            if os.path.exists(out):
                os.unlink(out)
            env.update({"MEMPROF_PROFILE": "1", "PMT_MEMPROF_OUT": out})
            php_flags = ["-d", "extension=" + self.memprof, "-d", "auto_prepend_file=" + self.memprof_dump]
            wall, ru = run_checked([cmd[0], *php_flags, *cmd[1:]], env=env, cwd=cwd, what=what)
            if not os.path.getsize(out):
                raise RunFailed("{}: memprof wrote no profile".format(what))
            extra = {}
        else:
            # "traced": exact mode alone (the allocator probes, as the floor); "traced_default":
            # `phpmemtrace record` as a user runs it (also the heap structure tracer). "base_*": the
            # same with --baseline-build's phpmemtrace.
            tool = self.baseline_tool if config.startswith("base_") else self.tool
            flags = [] if config.endswith("traced_default") else ["--no-heap"]
            wall, ru = run_checked([tool, "record", "-q", *flags, "-o", stats, "--", *cmd], env=env, cwd=cwd,
                                   what=what)
            report = json.load(open(stats))
            extra = {"counters": report["counters"], "stacks": len(report["stacks"])}
        t = self.read_timing(timing, what)
        t["tool_wall_ns"] = wall
        t["tool_cpu_us"] = int((ru.ru_utime + ru.ru_stime) * 1e6)
        t.update(extra)
        return t

    def overhead_configs(self):
        configs = ["untraced", "floor_entry", "floor", "floor_first_byte", "traced", "traced_default"]
        if self.baseline_tool:
            configs += ["base_traced", "base_traced_default"]
        if self.memprof:
            configs.append("memprof")
        return configs

    def free_counts(self):
        """Allocator records by kind, from one capture of each workload (pmt_bench_capture --stats)."""
        out = {}
        for name, cmd, cwd in self.workloads:
            stats = os.path.join(self.work, "kinds.json")
            run_checked([os.path.join(self.bench_bin, "pmt_bench_capture"), "--stats", stats, "--", *cmd],
                        env=self.env, cwd=cwd, what="capture " + name)
            out[name] = json.load(open(stats))["by_kind"]
        return out

    def overhead(self):
        reps = self.args.reps or (3 if self.quick else 5)
        configs = self.overhead_configs()
        runs = {name: {c: [] for c in configs} for name, _, _ in self.workloads}
        log("== overhead: {} workloads x {} configurations x {} repetitions, interleaved".format(
            len(self.workloads), len(configs), reps))
        foreign, load = [], []
        for rep in range(reps):
            foreign.append(foreign_uprobe_links())
            load.append(open("/proc/loadavg").read().split()[0])
            for name, cmd, cwd in self.workloads:
                k = rep % len(configs)
                order = configs[k:] + configs[:k]  # rotate so no config always runs first
                for config in order:
                    r = self.run_config(config, name, cmd, cwd)
                    runs[name][config].append(r)
                    log("  rep {} {:<24} {:<19} {:8.1f} ms".format(rep + 1, name, config, r["wall_ns"] / 1e6))
        load.append(open("/proc/loadavg").read().split()[0])
        self.results["overhead"] = {"raw": runs}  # kept if what follows fails
        log("== overhead: one capture of each workload for the allocator records by kind")
        kinds = self.free_counts()

        ratio_rows, share_rows, summary = [], [], {}
        pct = lambda xs: spread([x * 100 for x in xs], "{:.0f}") + " %"
        for name, _, _ in self.workloads:
            R = runs[name]
            wall = {c: [r["wall_ns"] for r in R[c]] for c in configs}
            a, b, e = wall["untraced"], wall["floor"], wall["floor_entry"]
            # ratios per repetition: x / untraced, and a tracer's share (x - floor) / (floor - untraced)
            ratio = {c: [xi / ai for ai, xi in zip(a, wall[c])] for c in configs}
            share = lambda c, f: [(xi - fi) / (fi - ai) for ai, fi, xi in zip(a, f, wall[c]) if fi > ai]
            hits = median([r["entry_hits"] + r["return_hits"] for r in R["floor"]])
            entry_hits = median([r["entry_hits"] for r in R["floor_entry"]])
            cnt = R["traced"][0]["counters"]
            frees = int(kinds[name].get(str(3), 0))  # PMT_REC_FREE: one entry trap each
            # what the frees' traps cost, as a part of the full floor: frees x the price of one entry trap
            # measured by the entry-only floor in the same repetition
            free_part = [frees * ((ei - ai) / entry_hits) / (bi - ai) for ai, bi, ei in zip(a, b, e)
                         if bi > ai and entry_hits]
            lost = {c: sum(r["counters"]["lost_events"] for r in R[c]) for c in configs
                    if c.startswith(("traced", "base_traced"))}
            s = {"wall_ns": wall, "ratio": ratio, "hits": hits, "entry_hits": entry_hits,
                 "allocs": cnt["allocs"] + cnt["reallocs"], "frees": cnt["frees"], "by_kind": kinds[name],
                 "share_full": share("traced", b), "share_entry": share("traced", e),
                 "share_default_full": share("traced_default", b),
                 "entry_over_full": [ei / bi for bi, ei in zip(b, e)],
                 "entry_cost_part": [(ei - ai) / (bi - ai) for ai, bi, ei in zip(a, b, e) if bi > ai],
                 "free_traps_share": frees / hits if hits else float("nan"), "free_floor_part": free_part,
                 "lost_events": lost, "sys_us": {c: [r["sys_us"] for r in R[c]] for c in configs}}
            if self.baseline_tool:
                s["base_share_full"] = share("base_traced", b)
                s["base_share_default_full"] = share("base_traced_default", b)
            summary[name] = s
            events = cnt["allocs"] + cnt["reallocs"] + cnt["frees"]
            ratio_rows.append([name, "{:,}".format(events), "{:,.0f}".format(hits)] +
                              [spread(ratio[c], "{:.1f}") for c in configs if c != "untraced"] +
                              [sum(lost.values())])
            row = [name, pct(s["share_full"]), pct(s["share_entry"]), pct(s["share_default_full"])]
            if self.baseline_tool:
                row += [pct(s["base_share_full"]), pct(s["base_share_default_full"])]
            row += [spread(s["entry_cost_part"], "{:.2f}"),
                    "{:.0f} %".format(s["free_traps_share"] * 100), pct(free_part)]
            share_rows.append(row)
        self.results["overhead"] = {"reps": reps, "configs": configs, "workloads": summary, "raw": runs,
                                    "foreign_uprobe_links": foreign, "loadavg_1min": load}
        label = {"floor_entry": "entry-only floor", "floor": "full floor",
                 "floor_first_byte": "full floor, first bytes", "traced": "exact now",
                 "traced_default": "default now", "memprof": "php-memprof"}
        if self.baseline_tool:
            label.update({"base_traced": "exact " + self.baseline_label,
                          "base_traced_default": "default " + self.baseline_label})
        text = table(["workload", "allocator events", "uprobe hits (full floor)"] +
                     [label[c] + " / untraced" for c in configs if c != "untraced"] + ["lost"], ratio_rows)
        share_headers = ["workload", "tracer share, full floor", "tracer share, entry-only floor",
                         "default record share"]
        if self.baseline_tool:
            share_headers += ["share {}, full floor".format(self.baseline_label),
                              "default {} share".format(self.baseline_label)]
        share_headers += ["entry-only / full floor, (e-a)/(b-a)", "frees / traps",
                          "frees' part of the floor"]
        text += "\n\n" + table(share_headers, share_rows)
        text += ("\n\nmedian [min–max] over {} interleaved repetitions (rotated order), ratios taken per "
                 "repetition; times are the PHP process's own lifetime (LD_PRELOADed timer), without the tracers' "
                 "start-up and teardown.\n"
                 "floors: bare no-op uprobes on the allocator probes (pmt_bench_floor), entry and return probes "
                 "(full) or entry probes only (--entry-only), each where the recorder puts it (on an instruction "
                 "the kernel emulates when the function's prologue allows, attach/probe_placement.h); "
                 "full floor, first bytes: the same with every probe on its function's first byte "
                 "(--at-function-start), as before that placement; exact = phpmemtrace record --no-heap (the same "
                 "probes as the full floor); default = phpmemtrace record (also the heap structure tracer); "
                 "php-memprof: the extension with MEMPROF_PROFILE=1 and a pprof dump at shutdown.\n"
                 "tracer share = (exact - floor) / (floor - untraced), against each floor; default record share "
                 "= (default - full floor) / (full floor - untraced); goal: tracer share < 20 %.\n"
                 "entry-only / full floor = (entry-only floor - untraced) / (full floor - untraced): the entry "
                 "traps' part of the floor; the rest is what return hits cost.\n"
                 "frees / traps: free records (one capture, pmt_bench_capture by_kind) over the full floor's "
                 "uprobe hits; frees' part of the floor: frees x one entry trap's price (entry-only floor) "
                 "over (full floor - untraced), what not probing frees at all could save at most.\n"
                 "load (1 min) at the start of each repetition and at the end: {}; other sessions' perf-event "
                 "uprobe links at the start of each repetition: {}").format(reps, " ".join(load), foreign)
        return text

    # -----------------------------------------------------------------------
    # 1c. a bystander: an untraced process of the same PHP binary while another is traced

    def bystander(self):
        reps = self.args.reps or (3 if self.quick else 5)
        name, cmd, cwd = self.workloads[0]
        log("== bystander: {} alone and while `record -p` traces another process of the same binary, "
            "{} repetitions".format(name, reps))
        alone, during = [], []
        for rep in range(reps):
            alone.append(self.run_config("untraced", name, cmd, cwd)["wall_ns"])
            target = subprocess.Popen([self.php, "-n", os.path.join(ROOT, "tests", "php", "long_running.php"), "600"],
                                      env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            if not target.stdout.readline().startswith(b"READY"):
                target.kill()
                raise RunFailed("bystander: the traced process did not start")
            ready = os.path.join(self.work, "bystander-ready")
            if os.path.exists(ready):
                os.unlink(ready)
            tracer = subprocess.Popen([self.tool, "record", "-q", "-p", str(target.pid), "--ready-file", ready, "-o",
                                       os.path.join(self.work, "bystander.json")], env=self.env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for _ in range(600):
                if os.path.exists(ready) and open(ready).read().startswith("ready"):
                    break
                time.sleep(0.05)
            else:
                tracer.kill()
                target.kill()
                raise RunFailed("bystander: the tracer did not attach")
            during.append(self.run_config("untraced", name, cmd, cwd)["wall_ns"])
            tracer.send_signal(signal.SIGINT)
            _, err = tracer.communicate(timeout=120)
            target.kill()
            target.wait()
            if tracer.returncode != 0:
                raise RunFailed("bystander: the tracer failed: " + err.decode(errors="replace")[-2000:])
            log("  rep {} alone {:.1f} ms, while another process is traced {:.1f} ms".format(
                rep + 1, alone[-1] / 1e6, during[-1] / 1e6))
        self.results["bystander"] = {"workload": name, "alone_ns": alone, "during_ns": during}
        ratio = [d / a for a, d in zip(alone, during)]
        return (table(["workload (not traced)", "alone, ms", "while another process is traced, ms", "ratio"],
                      [[name, spread([a / 1e6 for a in alone], "{:.1f}"), spread([d / 1e6 for d in during], "{:.1f}"),
                        spread(ratio, "{:.2f}")]]) +
                "\n\nthe same PHP binary runs the workload untraced while `phpmemtrace record -p` traces another "
                "process of it; {} interleaved repetitions.".format(reps))

    # -----------------------------------------------------------------------
    # 1b. where the tracer's cost goes: a ladder of configurations

    def ladder(self):
        reps = self.args.reps or (3 if self.quick else 5)
        name, cmd, cwd = self.workloads[0]
        floor = os.path.join(self.bench_bin, "pmt_bench_floor")
        capture = os.path.join(self.bench_bin, "pmt_bench_capture")
        steps = [
            ("untraced", []),
            ("floor: no-op programs, 2 multi-uprobe links", [floor, "--"]),
            ("floor, entry probes only (no return probes)", [floor, "--entry-only", "--"]),
            ("floor + 8 perf-event links on functions never/rarely called", [floor, "--extra-perf-links", "8",
                                                                              "--"]),
            ("floor + 8 perf-event links on another copy of PHP (never run)",
             [floor, "--extra-perf-links", "8", "--extra-binary", self.php_other, "--"]),
            ("recorder's programs attached, process not traced", [capture, "--skip-trace", "--"]),
            ("recorder, traced, consumer drains every 10 ms", [capture, "--batch-ms", "10", "--"]),
            ("recorder, traced, epoll consumer (= record --no-heap)", [capture, "--"]),
            ("phpmemtrace record (default: + heap tracer)", [self.tool, "record", "-q", "-o",
                                                             os.path.join(self.work, "ladder.json"), "--"]),
        ]
        log("== ladder: {} x {} configurations x {} repetitions".format(name, len(steps), reps))
        walls = {label: [] for label, _ in steps}
        irq = {label: [] for label, _ in steps}
        foreign = []
        for rep in range(reps):
            foreign.append(foreign_uprobe_links())
            order = steps[rep % len(steps):] + steps[:rep % len(steps)]
            for label, prefix in order:
                timing = os.path.join(self.work, "timing.json")
                before = irq_work_interrupts()
                run_checked([*prefix, *cmd], env=self.timed_env(timing), cwd=cwd, what="ladder " + label)
                irq[label].append(irq_work_interrupts() - before)
                walls[label].append(self.read_timing(timing, label)["wall_ns"])
        a = walls[steps[0][0]]
        b = walls[steps[1][0]]
        rows = []
        for label, _ in steps:
            x = walls[label]
            rows.append([label, spread([xi / ai for xi, ai in zip(x, a)], "{:.1f}"),
                         spread([(xi - ai) / (bi - ai) for xi, ai, bi in zip(x, a, b)], "{:.2f}"),
                         "{:,.0f}".format(median(irq[label]))])
        self.results["ladder"] = {"workload": name, "walls": walls, "irq_work": irq, "foreign_uprobe_links": foreign}
        return (table(["configuration ({})".format(name), "x untraced", "cost / floor cost", "irq_work IPIs"], rows) +
                "\n\n'cost / floor cost' = (x - untraced) / (floor - untraced), per repetition; median [min–max] of "
                "{} interleaved repetitions. irq_work IPIs: IWI interrupts (/proc/interrupts) during the run; the "
                "ring buffer raises one for each record committed into an empty ring. Other sessions' perf-event "
                "uprobe links at the start of each repetition: {}.".format(reps, foreign))

    # -----------------------------------------------------------------------
    # 2. collector throughput

    def capture(self, name, cmd, cwd, out, ringbuf_mb=64):
        stats = os.path.join(self.work, "capture-{}.json".format(name))
        run_checked([os.path.join(self.bench_bin, "pmt_bench_capture"), "--out", out, "--stats", stats,
                     "--ringbuf-mb", str(ringbuf_mb), "--", *cmd], env=self.env, cwd=cwd, what="capture " + name)
        return json.load(open(stats))

    def collector(self):
        log("== collector: capturing record streams")
        streams, info = [], {}
        for name, cmd, cwd in self.workloads:
            path = os.path.join(self.work, name + ".rec")
            s = self.capture(name, cmd, cwd, path)
            if s["lost_events"]:
                raise RunFailed("capture of {} lost {} records".format(name, s["lost_events"]))
            info[name] = s
            streams.append("--stream={}={}".format(name, path))
        reps = 3 if self.quick else 5
        out = os.path.join(self.work, "collector-bench.json")
        log("== collector: Google Benchmark ({} repetitions)".format(reps))
        cmd = [os.path.join(self.bench_bin, "pmt_bench_collector"), *streams, "--benchmark_repetitions={}".format(reps),
               "--benchmark_out={}".format(out), "--benchmark_out_format=json"]
        if self.quick:
            cmd.append("--benchmark_min_time=0.2")
        run_checked(["taskset", "-c", "1", *cmd], what="collector benchmark")
        data = json.load(open(out))
        per = {}
        for b in data["benchmarks"]:
            if b.get("run_type") != "iteration":
                continue
            per.setdefault(b["run_name"].split("/min_time:")[0], []).append(b["items_per_second"])
        rows = []
        for run_name, ips in per.items():
            label = run_name.replace("BM_Replay/", "replay/").replace("BM_Synthetic/", "synthetic/")
            extra = ""
            key = run_name.replace("BM_Replay/", "")
            if run_name.startswith("BM_Synthetic/"):
                extra = "synthetic, " + ", ".join(run_name.split("/")[1:])
            if key in info:
                s = info[key]
                extra = "{:,} records, mean depth {:.1f} (max {}), {} stacks".format(
                    s["records"], s["depth_sum"] / max(1, s["stack_records"]), s["depth_max"], s["stacks"])
            rows.append([label, extra, spread([x / 1e6 for x in ips], "{:.1f}"),
                         "yes" if median(ips) >= 5e6 else "no"])
        self.results["collector"] = {"captures": info, "items_per_second": per, "context": data.get("context")}
        return (table(["stream", "shape", "M records/s, one core", ">= 5 M/s"], rows) +
                "\n\nmedian [min–max] of {} repetitions, pinned to CPU 1 (taskset); a fresh Collector per "
                "iteration, so interning of functions and stacks is included.".format(reps))

    # -----------------------------------------------------------------------
    # 3. ring buffer loss

    def loss(self):
        log("== loss: parallel workers, small and default ring buffers")
        iters = 3000 if self.quick else 12000
        rows, res = [], {"rates": [], "stall": None}
        script = os.path.join(WORKLOADS, "parallel_alloc.php")
        for mb in (1, 64):
            for workers in (1, 2, 4):
                report = os.path.join(self.work, "loss.json")
                cmd = [self.tool, "record", "-q", "--ringbuf-mb", str(mb), "-o", report, "--",
                       self.php, script, str(workers), str(iters)]
                timing = os.path.join(self.work, "timing.json")
                wall, _ = run_checked(cmd, env=self.timed_env(timing), what="loss run")
                php_wall_s = self.read_timing(timing, "loss run")["wall_ns"] / 1e9
                d = json.load(open(report))
                c = d["counters"]
                events = c["allocs"] + c["frees"] + c["reallocs"]
                rate = events / php_wall_s  # over the PHP processes' lifetime, not the session's
                res["rates"].append({"ringbuf_mb": mb, "workers": workers, "events": events, "rate": rate,
                                     "lost": c["lost_events"], "duration_s": d["duration_s"]})
                rows.append([mb, workers, "{:,}".format(events), "{:,.0f}".format(rate), c["lost_events"],
                             c["unknown_frees"]])
        text = table(["ring MiB", "workers", "events", "events/s (while PHP ran)", "lost", "unknown frees"], rows)
        text += ("\n\nevents = allocator records received (alloc + free + realloc); WORKERS forked PHP processes "
                 "run bench/workloads/alloc_loop.php at once (parallel_alloc.php).")

        # A consumer that stops: SIGSTOP the recorder for a while mid-run.
        log("== loss: stalled consumer (SIGSTOP 2 s) with a 1 MiB ring")
        report = os.path.join(self.work, "stall.json")
        cmd = [self.tool, "record", "-q", "--ringbuf-mb", "1", "-o", report, "--", self.php, "-n",
               os.path.join(WORKLOADS, "alloc_loop.php"), "12000" if self.quick else "30000"]
        proc = subprocess.Popen(cmd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_child_exe(proc.pid, self.php)
        time.sleep(0.5)  # the target is allocating under the probes
        os.kill(proc.pid, signal.SIGSTOP)
        time.sleep(2.0)
        os.kill(proc.pid, signal.SIGCONT)
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise RunFailed("stalled-consumer run failed: {}".format(err.decode(errors="replace")[-2000:]))
        d = json.load(open(report))
        c = d["counters"]
        unknown_stacks = sum(1 for s in d["stacks"] for f in s.get("frames", [])
                             if isinstance(f, dict) and "unknown" in str(f.get("function", "")))
        res["stall"] = {"counters": c, "duration_s": d["duration_s"]}
        text += "\n\nstalled consumer (recorder SIGSTOPped for 2 s, 1 MiB ring): " + ", ".join(
            "{} {}".format(k, c[k]) for k in ("allocs", "frees", "reallocs", "lost_events", "unknown_frees",
                                              "lost_function_names", "unpaired_returns"))
        self.results["loss"] = res
        return text

    # -----------------------------------------------------------------------
    # 4. memory

    def memory(self):
        log("== memory: collector RSS")
        exe = os.path.join(self.bench_bin, "pmt_bench_collector_rss")
        M = 1000000
        if self.quick:
            grid = [(1 * M, 20000, 1000), (4 * M, 20000, 1000), (4 * M, 200000, 1000), (4 * M, 20000, 20000)]
        else:
            grid = [(1 * M, 20000, 1000), (4 * M, 20000, 1000), (16 * M, 20000, 1000),
                    (4 * M, 200000, 1000), (8 * M, 1000000, 1000), (4 * M, 20000, 20000), (4 * M, 20000, 100000)]
        rows, res = [], []
        for events, live, stacks in grid:
            def one(extra):
                p = subprocess.run([exe, "--events", str(events), "--live", str(live), "--stacks", str(stacks),
                                    "--depth", "16", *extra], capture_output=True, text=True)
                if p.returncode != 0:
                    raise RunFailed("collector_rss failed: " + p.stderr)
                return json.loads(p.stdout)
            full, base = one([]), one(["--baseline"])
            collector_kb = (full["hwm_kb"] - full["rss_before_kb"]) - (base["hwm_kb"] - base["rss_before_kb"])
            res.append({"events": events, "live": live, "stacks": stacks, "collector_kb": collector_kb,
                        "full": full, "baseline": base})
            rows.append(["{:,}".format(events), "{:,}".format(full["live_blocks"]), "{:,}".format(full["stacks"]),
                         "{:,.1f}".format(collector_kb / 1024)])
        self.results["memory"] = res
        return (table(["events", "live blocks at end", "unique stacks", "collector peak RSS (MiB)"], rows) +
                "\n\nsynthetic streams (mean depth 16), peak RSS (VmHWM) growth while feeding and building the "
                "Profile, minus the generator's own growth (same stream, no collector).")

    # -----------------------------------------------------------------------
    # 5. start-up

    # The PHP code of the launch runs: it writes when the script started and ended
    # (hrtime(): CLOCK_MONOTONIC, the clock of time.monotonic_ns() and of --timings).
    LAUNCH_SCRIPT = "file_put_contents($argv[1], hrtime(true) . ' '); file_put_contents($argv[1], hrtime(true), FILE_APPEND);"
    TIMING_PHASES = ("binary", "loaded", "attached", "released", "ended", "drained", "finished", "outputs", "detached")

    @staticmethod
    def parse_timings(err):
        phases, verifier = {}, {}
        for line in err.splitlines():
            words = line.split()
            if len(words) >= 3 and words[0] in Bench.TIMING_PHASES:
                phases[words[0]] = float(words[1])
            elif words[:1] == ["verifier:"] and len(words) >= 4:
                verifier["{} {}".format(words[1], words[2])] = float(words[3])
        return phases, verifier

    def launch_fixed_cost(self, reps):
        log("== startup: php8.2 -r '' untraced and under record ({} repetitions)".format(reps))
        stamps = os.path.join(self.work, "launch-stamps")
        out = os.path.join(self.work, "launch.json")
        compare = self.baseline_tool
        modes = ["untraced", "record"] + (["compare"] if compare else [])
        runs = {m: [] for m in modes}
        for rep in range(reps):
            for mode in modes[rep % len(modes):] + modes[:rep % len(modes)]:
                php = [self.php, "-r", self.LAUNCH_SCRIPT, stamps]
                if mode == "untraced":
                    cmd = php
                elif mode == "record":
                    cmd = [self.tool, "record", "-q", "--timings", "-o", out, "--", *php]
                else:
                    cmd = [compare, "record", "-q", "-o", out, "--", *php]
                t0 = time.monotonic_ns()
                p = subprocess.run(cmd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
                t_end = time.monotonic_ns()
                if p.returncode != 0:
                    raise RunFailed("{} failed: {}".format(" ".join(cmd), p.stderr.decode(errors="replace")[-2000:]))
                script_start, script_end = map(int, open(stamps).read().split())
                run = {"wall_ns": t_end - t0, "to_script_ns": script_start - t0, "after_script_ns": t_end - script_end}
                if mode == "record":
                    run["phases_ms"], run["verifier_ms"] = self.parse_timings(p.stderr.decode(errors="replace"))
                runs[mode].append(run)
            log("  rep {}: ".format(rep + 1) + ", ".join("{} {:.0f} ms".format(m, runs[m][-1]["wall_ns"] / 1e6)
                                                       for m in modes))
        self.results["startup_launch"] = runs
        ms = lambda xs: spread([x / 1e6 for x in xs], "{:.0f}")
        u, r = runs["untraced"], runs["record"]
        c = runs.get("compare")
        pick = lambda runs_, key: ms([x[key] for x in runs_]) if runs_ else ""
        fixed = lambda runs_: ms([b["wall_ns"] - a["wall_ns"] for a, b in zip(u, runs_)]) if runs_ else ""
        rows = [["wall", pick(u, "wall_ns"), pick(r, "wall_ns"), pick(c, "wall_ns")],
                ["fixed cost (record − untraced, per repetition)", "", fixed(r), fixed(c)],
                ["command → script start", pick(u, "to_script_ns"), pick(r, "to_script_ns"), pick(c, "to_script_ns")],
                ["script end → command exit", pick(u, "after_script_ns"), pick(r, "after_script_ns"),
                 pick(c, "after_script_ns")]]
        phase_rows = [("binary", None, "  PHP binary read (ELF, offsets, heap layout)"),
                      ("loaded", "binary", "  BPF objects loaded and verified, modules started"),
                      ("attached", "loaded", "  every uprobe attached"),
                      ("ended", "released", "  the target ran (released → seen to end)"),
                      ("finished", "ended", "  drain and profile"),
                      ("outputs", "finished", "  outputs written"),
                      ("detached", "outputs", "  detach (handed to the closer process)")]
        for key, before, label in phase_rows:
            vals = [x["phases_ms"][key] - (x["phases_ms"][before] if before else 0) for x in r
                    if key in x["phases_ms"] and (before is None or before in x["phases_ms"])]
            rows.append([label, "", spread(vals, "{:.1f}") if vals else "-", ""])
        for prog in sorted(r[0]["verifier_ms"]):
            rows.append(["  verifier time, " + prog, "", spread([x["verifier_ms"].get(prog, 0) for x in r], "{:.1f}"),
                         ""])
        headers = ["launch mode, `php8.2 -r ''`", "untraced, ms", "under `record -q -o x.json`, ms",
                   "`record` of {}, ms".format(compare) if compare else ""]
        if not compare:
            headers, rows = headers[:3], [row[:3] for row in rows]
        return (table(headers, rows) +
                "\n\nphases from `record --timings` (ms since record started; the verifier times overlap: the "
                "allocation object is verified on its own thread); {} repetitions, order alternating.".format(reps))

    def startup(self):
        reps = 3 if self.quick else 7
        launch = self.launch_fixed_cost(reps)
        log("== startup: record -p PID to the first traced allocation ({} repetitions)".format(reps))
        probe = os.path.join(WORKLOADS, "startup_probe.php")
        cli, phases = [], []
        for rep in range(reps):
            for mode in ("cli", "capture"):
                out = os.path.join(self.work, "startup-first")
                for f in (out, out + ".ready"):
                    if os.path.exists(f):
                        os.unlink(f)
                target = subprocess.Popen([self.php, "-n", probe, out, "4000", "120"], env=self.env,
                                          stdout=subprocess.DEVNULL)
                deadline = time.monotonic() + 10
                while not os.path.exists(out + ".ready"):
                    if time.monotonic() > deadline or target.poll() is not None:
                        target.kill()
                        raise RunFailed("startup target did not start")
                    time.sleep(0.01)
                time.sleep(0.2)  # let it settle into its loop
                stats = os.path.join(self.work, "startup-stats.json")
                t0 = time.monotonic_ns()
                if mode == "cli":
                    tracer = subprocess.Popen([self.tool, "record", "-q", "-p", str(target.pid), "-o",
                                               os.path.join(self.work, "startup.json")], env=self.env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                else:
                    tracer = subprocess.Popen([os.path.join(self.bench_bin, "pmt_bench_capture"), "--stats", stats,
                                               "-p", str(target.pid)], env=self.env, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.PIPE)
                rc = target.wait(timeout=180)
                _, err = tracer.communicate(timeout=300)
                t_end = time.monotonic_ns()
                if rc != 0 or tracer.returncode != 0:
                    raise RunFailed("startup run failed (target {}, tracer {}): {}".format(
                        rc, tracer.returncode, err.decode(errors="replace")[-2000:]))
                first = int(open(out).read())
                if mode == "cli":
                    cli.append({"to_first_ns": first - t0, "tracer_exit_after_target_ns": t_end - t0})
                    log("  rep {} cli: {:.0f} ms to the first traced allocation".format(rep + 1, (first - t0) / 1e6))
                else:
                    s = json.load(open(stats))
                    phases.append({"binary_ns": s["t_binary_ns"] - s["t_main_ns"],
                                   "load_ns": s["t_loaded_ns"] - s["t_binary_ns"],
                                   "attach_ns": s["t_attached_ns"] - s["t_loaded_ns"],
                                   "first_record_ns": s["t_first_alloc_ns"] - s["t_attached_ns"],
                                   "process_start_ns": s["t_main_ns"] - t0,
                                   "to_first_ns": s["t_first_alloc_ns"] - t0,
                                   "target_saw_ns": first - t0})
        self.results["startup"] = {"cli": cli, "phases": phases}
        ms = lambda xs: spread([x / 1e6 for x in xs], "{:.0f}")
        rows = [["phpmemtrace record -p PID -> first traced allocation (seen by the target)",
                 ms([c["to_first_ns"] for c in cli])]]
        for key, label in (("process_start_ns", "  exec + dynamic loading of the tracer"),
                           ("binary_ns", "  PhpBinary::open (ELF symbols, offsets, disassembly)"),
                           ("load_ns", "  MemtraceProbes::load (BPF verifier)"),
                           ("attach_ns", "  trace_process + attach (all uprobes)"),
                           ("first_record_ns", "  attach done -> first allocator record"),
                           ("to_first_ns", "  total, capture tool (first record's bpf_ktime)")):
            rows.append([label, ms([p[key] for p in phases])])
        return (launch + "\n\n" + table(["phase", "ms, median [min–max]"], rows) +
                "\n\nthe breakdown comes from pmt_bench_capture, which runs the same sequence of library calls "
                "as `phpmemtrace record` and timestamps each phase; {} repetitions each.".format(reps))

    def agent(self):
        """FPM requests per second behind nginx, with and without `phpmemtrace agent`, interleaved."""
        reps = 3 if self.quick else 5
        seconds = 5 if self.quick else 8
        pages = ["churn.php", "blocks.php"]  # small blocks only (slow paths rarely fire); large blocks (each traps)
        log("== agent: php-fpm (4 static workers) behind nginx under wrk, {} s a run, {} repetitions".format(
            seconds, reps))
        stack = os.path.join(self.work, "fpm-stack")
        os.makedirs(stack, exist_ok=True)
        port, metrics_port = free_port(), free_port()
        with open(os.path.join(stack, "fpm.conf"), "w") as f:
            f.write("[global]\npid = {0}/fpm.pid\nerror_log = {0}/fpm.log\ndaemonize = no\n[www]\n"
                    "listen = {0}/fpm.sock\nlisten.mode = 0666\npm = static\npm.max_children = 4\n".format(stack))
        docroot = os.path.join(ROOT, "tests", "php", "agent")
        with open(os.path.join(stack, "nginx.conf"), "w") as f:
            f.write("worker_processes 1;\nuser root;\npid {0}/nginx.pid;\nerror_log {0}/nginx_error.log;\n"
                    "events {{ worker_connections 256; }}\nhttp {{\n  access_log off;\n"
                    "  client_body_temp_path {0}/body;\n  fastcgi_temp_path {0}/fcgi;\n"
                    "  proxy_temp_path {0}/proxy;\n  uwsgi_temp_path {0}/uwsgi;\n  scgi_temp_path {0}/scgi;\n"
                    "  server {{\n    listen 127.0.0.1:{1};\n    root {2};\n    location ~ \\.php$ {{\n"
                    "      fastcgi_pass unix:{0}/fpm.sock;\n"
                    "      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n"
                    "      fastcgi_param REQUEST_URI $request_uri;\n      fastcgi_param REQUEST_METHOD $request_method;\n"
                    "    }}\n  }}\n}}\n".format(stack, port, docroot))
        fpm = subprocess.Popen(["php-fpm8.2", "-n", "-R", "-y", os.path.join(stack, "fpm.conf"), "-F"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        nginx = subprocess.Popen(["nginx", "-c", os.path.join(stack, "nginx.conf"), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs = []
        try:
            wait_for_port(port)
            for rep in range(reps):
                for page in pages:
                    # The agent under its default budget (1%, enforced) and with a budget it never
                    # reaches (every probe stays on): the cost of the probes and what the budget keeps.
                    order = ["untraced", "agent", "agent-unbounded"]
                    order = order if (rep % 2 == 0) else order[::-1]
                    for config in order:
                        runs.append(dict(self.agent_run(config, page, port, metrics_port, fpm.pid, seconds),
                                         rep=rep, page=page, config=config))
                        log("  rep {} {} {}: {:.0f} req/s".format(rep + 1, page, config, runs[-1]["rps"]))
        finally:
            for p in (nginx, fpm):
                p.terminate()
                p.wait()
        self.results["agent"] = runs
        rows = []
        for page in pages:
            by_rep = {}
            for r in runs:
                if r["page"] == page:
                    by_rep.setdefault(r["rep"], {})[r["config"]] = r
            for config, name in (("agent-unbounded", "--max-overhead 100"), ("agent", "default (1%)")):
                ratios = [b[config]["rps"] / b["untraced"]["rps"] for b in by_rep.values()]
                agent = [b[config] for b in by_rep.values()]
                rows.append([page, name, spread([b["untraced"]["rps"] for b in by_rep.values()], "{:.0f}"),
                             spread([a["rps"] for a in agent], "{:.0f}"), spread(ratios, "{:.3f}"),
                             spread([100 * a["agent_cpu_share"] for a in agent], "{:.2f}"),
                             spread([100 * a["estimate"] for a in agent], "{:.3f}"),
                             spread([a["traps_per_s"] for a in agent], "{:.0f}"),
                             spread([a["level"] for a in agent], "{:.0f}")])
        return table(["page", "budget", "req/s untraced", "req/s agent", "agent / untraced",
                      "agent's own CPU, % of a CPU", "agent's estimate, % of the workers' CPU", "traps/s",
                      "workers' worst level at the end"], rows)

    def agent_run(self, config, page, port, metrics_port, master, seconds):
        agent = None
        if config.startswith("agent"):
            out = os.path.join(self.work, "agent-out")
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            ready = os.path.join(self.work, "agent.ready")
            if os.path.exists(ready):
                os.unlink(ready)
            agent = subprocess.Popen([self.tool, "agent", "-p", str(master), "--out", out, "--interval", "1",
                                      "--metrics", "127.0.0.1:{}".format(metrics_port), "--ready-file", ready] +
                                     (["--max-overhead", "100"] if config == "agent-unbounded" else []),
                                     env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 60
            while not os.path.exists(ready):
                if agent.poll() is not None or time.monotonic() > deadline:
                    agent.kill()
                    raise RunFailed("the agent did not start: " + agent.stderr.read().decode(errors="replace"))
                time.sleep(0.05)
        try:
            cpu0, t0 = process_cpu(agent.pid) if agent else 0, time.monotonic()
            wrk = subprocess.run(["wrk", "-t2", "-c4", "-d{}s".format(seconds),
                                  "http://127.0.0.1:{}/{}".format(port, page)], capture_output=True, text=True)
            cpu1, t1 = process_cpu(agent.pid) if agent else 0, time.monotonic()
            m = re.search(r"Requests/sec:\s+([0-9.]+)", wrk.stdout)
            if wrk.returncode != 0 or not m:
                raise RunFailed("wrk failed: " + wrk.stdout + wrk.stderr)
            result = {"rps": float(m.group(1)), "agent_cpu_share": (cpu1 - cpu0) / (t1 - t0)}
            if agent:
                time.sleep(1.2)  # one more interval: the metrics cover the run
                scrape = urllib.request.urlopen("http://127.0.0.1:{}/metrics".format(metrics_port), timeout=5).read()
                values = prometheus_values(scrape.decode())
                trap_s, cpu_s = values.get("phpmemtrace_agent_trap_seconds", 0), values.get(
                    "phpmemtrace_agent_target_cpu_seconds", 0)
                result["estimate"] = trap_s / cpu_s if cpu_s else 0
                traps = sum(v for k, v in values.items() if k.startswith("phpmemtrace_agent_traps"))
                result["traps_per_s"] = traps / (t1 - t0)
                result["level"] = values.get('phpmemtrace_agent_degradation_level{pool="www"}', 0)
            return result
        finally:
            if agent:
                agent.terminate()
                agent.wait(timeout=30)

    def snapshot(self):
        """`phpmemtrace snapshot` of a PHP process holding a 1 GiB heap: the pause per GiB."""
        mib = 256 if self.quick else 1024
        reps = 3 if self.quick else 7
        log("== snapshot: a {} MiB heap, {} snapshots".format(mib, reps))
        target = subprocess.Popen([self.php, "-n", "-d", "memory_limit=-1", os.path.join(WORKLOADS, "snapshot_heap.php"),
                                   str(mib)], env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            line = target.stdout.readline().decode()
            if not line.startswith("ready"):
                raise RunFailed("snapshot target did not start: " + line)
            runs = []
            out = os.path.join(self.work, "snapshot.json")
            for rep in range(reps):
                t0 = time.monotonic_ns()
                p = subprocess.run([self.tool, "snapshot", "-q", "-p", str(target.pid), "--max-pause", "60000",
                                    "-o", out], env=self.env, capture_output=True)
                wall = time.monotonic_ns() - t0
                if p.returncode != 0:
                    raise RunFailed("snapshot failed: " + p.stderr.decode(errors="replace"))
                j = json.load(open(out))
                gib = j["heap"]["copied_bytes"] / 2**30
                runs.append({"pause_ms": j["pause_ms"], "analysis_ms": j["analysis_ms"], "wall_ms": wall / 1e6,
                             "copied_bytes": j["heap"]["copied_bytes"], "exact": j["heap"]["exact"],
                             "blocks": j["heap"]["blocks"], "pause_ms_per_gib": j["pause_ms"] / gib,
                             "reach_ms": j.get("reachability", {}).get("analysis_ms", 0)})
                log("  rep {}: pause {:.1f} ms for {:.2f} GiB, analysis {:.0f} ms, reachability {:.0f} ms, exact {}".format(
                    rep + 1, j["pause_ms"], gib, j["analysis_ms"], runs[-1]["reach_ms"], j["heap"]["exact"]))
        finally:
            target.kill()
            target.wait()
        self.results["snapshot"] = runs
        rows = [["heap copied (chunks + huge blocks), MiB", spread([r["copied_bytes"] / 2**20 for r in runs], "{:.0f}")],
                ["blocks found", spread([r["blocks"] for r in runs], "{:.0f}")],
                ["pause (seize → last thread let go), ms", spread([r["pause_ms"] for r in runs], "{:.1f}")],
                ["pause per GiB, ms", spread([r["pause_ms_per_gib"] for r in runs], "{:.1f}")],
                ["analysis after resuming (page maps, free lists), ms", spread([r["analysis_ms"] for r in runs], "{:.0f}")],
                ["reachability after resuming (walk, dominators, holders), ms",
                 spread([r["reach_ms"] for r in runs], "{:.0f}")],
                ["whole command (incl. reading the binary, faulting in the copy's memory, JSON), ms",
                 spread([r["wall_ms"] for r in runs], "{:.0f}")],
                ["block total == heap->size", str(all(r["exact"] for r in runs))]]
        return table(["`snapshot -p PID` of a {} MiB heap".format(mib), "median [min–max]"], rows) + \
            "\n\n{} snapshots of one process.".format(reps)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller workloads, fewer repetitions (a few minutes)")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--results", help="directory for raw results (default: BUILD/bench-results/TIME)")
    ap.add_argument("--only", help="comma-separated sections: overhead,bystander,ladder,collector,loss,memory,startup,snapshot,agent")
    ap.add_argument("--reps", type=int, help="repetitions of the overhead table")
    ap.add_argument("--baseline-build", metavar="DIR",
                    help="overhead and startup: also run DIR/phpmemtrace (a build of another commit), interleaved")
    ap.add_argument("--memprof", metavar="SO_PATH",
                    help="overhead: also run the workloads under php-memprof, loaded from SO_PATH")
    args = ap.parse_args()
    sections = ["overhead", "bystander", "ladder", "collector", "loss", "memory", "startup", "snapshot", "agent"]
    if args.only:
        sections = [s for s in args.only.split(",") if s]
    try:
        bench = Bench(args)
        m = bench.results["machine"]
        header = "phpmemtrace benchmarks ({}), {} CPUs, {}, kernel {}, PHP {}, {} at {}, load {}".format(
            "quick" if args.quick else "full", m["nproc"], m["cpu"], m["kernel"], m["php"], m["date_utc"], m["git"],
            " ".join(m["loadavg"]))
        outputs = [header]
        for s in sections:
            text = getattr(bench, s)()
            outputs.append("## {}\n\n{}".format(s, text))
            print("\n## {}\n\n{}\n".format(s, text), flush=True)
            with open(os.path.join(bench.results_dir, "results.json"), "w") as f:
                json.dump(bench.results, f, indent=1, default=str)
        with open(os.path.join(bench.results_dir, "tables.md"), "w") as f:
            f.write("\n\n".join(outputs) + "\n")
        log("raw results: " + os.path.join(bench.results_dir, "results.json"))
    except RunFailed as e:
        print("bench: FAILED: {}".format(e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
