// SPDX-License-Identifier: MIT
/*
 * The bare-uprobe floor: programs that do nothing but count their hits, attached
 * by pmt_bench_floor to exactly the functions (entry and return) memtrace.bpf.c
 * probes. What a run costs with these is what the kernel's uprobe machinery
 * costs; anything phpmemtrace adds on top is its own doing. The per-CPU counter
 * (an inlined array lookup and an add) gives the exact number of hits.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline void bump(__u32 which)
{
	__u64 *value = bpf_map_lookup_elem(&hits, &which);
	if (value)
		*value += 1;
}

SEC("uprobe")
int nop_entry(void *ctx)
{
	bump(0);
	return 0;
}

SEC("uretprobe")
int nop_return(void *ctx)
{
	bump(1);
	return 0;
}

/*
 * Diagnostic variants (pmt_bench_floor --variant NAME): each adds one ingredient
 * of the recorder's programs to the no-op, to find which one costs what.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} traced SEC(".maps");

/* "lookup": the recorder's first step, is this process traced? (a hash lookup) */
SEC("uprobe")
int lookup_entry(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (bpf_map_lookup_elem(&traced, &tgid))
		bump(0);
	return 0;
}

SEC("uretprobe")
int lookup_return(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (bpf_map_lookup_elem(&traced, &tgid))
		bump(1);
	return 0;
}

/* "cookie": reads the attach cookie, as every recorder program does */
SEC("uprobe")
int cookie_entry(void *ctx)
{
	if (bpf_get_attach_cookie(ctx) != 1)
		bump(0);
	return 0;
}

SEC("uretprobe")
int cookie_return(void *ctx)
{
	if (bpf_get_attach_cookie(ctx) != 1)
		bump(1);
	return 0;
}

/* "--extra-perf-links": a no-op attached with perf-event links to rarely called functions */
SEC("uprobe")
int extra_entry(void *ctx)
{
	return 0;
}
