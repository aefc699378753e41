/* SPDX-License-Identifier: MIT */
/*
 * Maps and helpers every phpmemtrace BPF object shares: the configuration,
 * the ring buffer, the drop counters and the set of traced processes.
 * Included once per .bpf.c (each object has its own copies of these maps).
 */
#ifndef PHPMEMTRACE_COMMON_BPF_H
#define PHPMEMTRACE_COMMON_BPF_H

#include "vmlinux.h"

/*
 * The traced thread's registers, read through a plain copy of x86-64's struct
 * pt_regs (the layout of the uprobe context is the kernel's ABI for perf and
 * ptrace: fixed). vmlinux.h's own struct pt_regs carries preserve_access_index,
 * which makes every register read a CO-RE relocation, and an object with any
 * relocation makes libbpf read and parse the kernel's BTF (5.5 MB, 7-20 ms) when
 * it is loaded. With this cast the heap object has none; PT_REGS_* use it.
 */
struct pmt_regs {
	__u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};
#define __PT_REGS_CAST(x) ((const struct pmt_regs *)(x))

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "phpmemtrace.h"

char LICENSE[] SEC("license") = "GPL";

/* Written by user space between open and load. */
const volatile struct pmt_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20); /* resized by user space (--ringbuf-mb) */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PMT_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* A process is traced iff it has an entry here (struct in phpmemtrace.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct pmt_proc_state);
} traced SEC(".maps");

static __always_inline void count(enum pmt_counter which)
{
	__u32 key = which;
	__u64 *value = bpf_map_lookup_elem(&counters, &key);
	if (value)
		*value += 1; /* per-CPU: no atomics needed */
}

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline struct pmt_proc_state *traced_state(__u32 tgid)
{
	return bpf_map_lookup_elem(&traced, &tgid);
}

/*
 * Commit flags. Waking the consumer queues an irq_work (a self-IPI) for every
 * commit into a ring it has emptied: about two records in three, each as dear as
 * a uprobe hit on these VMs (BENCHMARKS.md). The consumer polls every 100 ms
 * anyway, so it is only woken once cfg.ring_wakeup_bytes are waiting, before a
 * fast producer could fill the ring between two polls.
 */
static __always_inline __u64 ring_commit_flags(void)
{
	if (!cfg.ring_wakeup_bytes)
		return 0;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg.ring_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* Output a record, counting it when the ring buffer is full. */
static __always_inline int emit(void *record, __u64 size)
{
	int err = bpf_ringbuf_output(&events, record, size, ring_commit_flags());
	if (err)
		count(PMT_CNT_LOST_RECORDS);
	return err;
}

/*
 * Output a record that ends in an array of frames, sending only the `depth`
 * frames in use: `fixed_size` bytes before the array, `max_size` the whole struct.
 */
static __always_inline int emit_with_frames(void *record, __u64 fixed_size, __u64 max_size, __u32 depth)
{
	__u64 size = fixed_size + (__u64)depth * sizeof(struct pmt_frame);
	/* depth can come from a global function (any scalar to the verifier):
	 * keep the compiler from folding the bound into shifts it cannot follow */
	barrier_var(size);
	if (size > max_size)
		size = max_size;
	barrier_var(size);
	return emit(record, size);
}

static __always_inline void fill_header(struct pmt_record_header *hdr, __u16 kind, __u32 tgid)
{
	hdr->kind = kind;
	hdr->flags = 0;
	hdr->tgid = tgid;
	hdr->ts_ns = bpf_ktime_get_ns();
}

/*
 * Load bias of the PHP binary in the current process, from the probed IP and the
 * function's link-time address carried in the cookie. Rounded down to a page so it
 * does not matter whether the IP points at the breakpoint or just past it.
 */
static __always_inline __u64 load_bias(struct pt_regs *ctx, __u64 cookie)
{
	return (PT_REGS_IP(ctx) - PMT_COOKIE_VADDR(cookie)) & ~0xfffull;
}

static __always_inline __u64 read_user_u64(__u64 addr, int *err)
{
	__u64 value = 0;
	if (bpf_probe_read_user(&value, sizeof(value), (void *)addr))
		*err = 1;
	return value;
}

/* heap = AG(mm_heap), 0 when the heap layout is unknown or unreadable. */
static __always_inline __u64 zend_heap(__u64 bias)
{
	int err = 0;
	if (!cfg.heap_ptr_vaddr)
		return 0;
	__u64 heap = read_user_u64(bias + cfg.heap_ptr_vaddr, &err);
	if (err) {
		count(PMT_CNT_BAD_HEAP_READ);
		return 0;
	}
	return heap;
}

/* Fills `out` from AG(mm_heap); returns PMT_HEAP_STATE_OK when it could be read. */
static __always_inline __u16 read_heap_state(__u64 bias, struct pmt_heap_state *out)
{
	__u64 heap = zend_heap(bias);
	if (!heap || !cfg.off.heap_size || !cfg.off.heap_real_size)
		return 0;
	int err = 0;
	out->size = read_user_u64(heap + cfg.off.heap_size, &err);
	out->real_size = read_user_u64(heap + cfg.off.heap_real_size, &err);
	if (cfg.off.heap_peak)
		out->peak = read_user_u64(heap + cfg.off.heap_peak, &err);
	if (cfg.off.heap_limit)
		out->limit = read_user_u64(heap + cfg.off.heap_limit, &err);
	if (err) {
		count(PMT_CNT_BAD_HEAP_READ);
		return 0;
	}
	return PMT_HEAP_STATE_OK;
}

/*
 * In a uretprobe the IP is the return address, not the probed function's: the load
 * bias comes from the process state (set by the entry probes) instead.
 */
static __always_inline __u64 return_bias(__u32 tgid)
{
	struct pmt_proc_state *state = traced_state(tgid);
	return state ? state->bias : 0;
}

#endif /* PHPMEMTRACE_COMMON_BPF_H */
