// SPDX-License-Identifier: MIT
/*
 * Uprobes on the Zend memory manager.
 *
 * Allocations are reported at return (the pointer is needed), frees at entry.
 * One program per shape of call serves every allocator function; the attach cookie
 * says which function fired (and the fixed size of _emalloc_N / _efree_N).
 * Entry and return are paired per thread and stack pointer, so an allocation made
 * while another is in flight (error handling inside the allocator) is not mixed up
 * with it, and an entry whose return never comes (bailout longjmp) just ages out of
 * the LRU map.
 *
 * Wrappers are not counted twice because they are not probed: _ecalloc, _estrdup,
 * _estrndup and _safe_emalloc call _emalloc; _safe_erealloc jumps to _erealloc; a
 * realloc of NULL jumps to _zend_mm_alloc, so realloc entries with a NULL pointer
 * are left to that probe.
 */
#include "common.bpf.h"
#include "php_stack.bpf.h"
#include "requests.bpf.h"

struct inflight_key {
	__u32 tid;
	__u32 reserved;
	__u64 sp; /* stack pointer at entry; at return it is sp + 8 */
};

struct inflight_call {
	__u64 bias;
	__u64 size;
	__u64 old_ptr;
	__u64 old_size; /* realloc: old block's size from the page map (0: unknown) */
	__u32 vaddr_lo; /* cookie vaddr (low 32 bits) of the entry, matched at return */
	__u8 probe;
	__u8 real;
	__u8 reserved[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct inflight_key);
	__type(value, struct inflight_call);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pmt_alloc_record);
} alloc_scratch SEC(".maps");

/* Entry hits of traced processes per probe kind: what the session costs them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PMT_PROBE__MAX);
	__type(key, __u32);
	__type(value, __u64);
} trap_counts SEC(".maps");

static __always_inline void count_trap(__u32 kind, struct pmt_proc_state *state)
{
	__u32 key = kind;
	__u64 *value = bpf_map_lookup_elem(&trap_counts, &key);
	if (value)
		*value += 1;
	/* The process's own count, by the group of links the kind is attached in:
	 * what detaching that group would save (threads of one process may race). */
	if (kind < PMT_PROBE__MAX) {
		__u32 group = cfg.trap_group[kind];
		if (group < PMT_TRAP_GROUPS)
			__sync_fetch_and_add(&state->traps[group], 1);
	}
}

static __always_inline struct inflight_key entry_key(struct pt_regs *ctx)
{
	struct inflight_key key = {
		.tid = (__u32)bpf_get_current_pid_tgid(),
		.sp = PT_REGS_SP(ctx),
	};
	return key;
}

static __always_inline struct inflight_key return_key(struct pt_regs *ctx)
{
	struct inflight_key key = {
		.tid = (__u32)bpf_get_current_pid_tgid(),
		.sp = PT_REGS_SP(ctx) - 8,
	};
	return key;
}

/* Remembers the load bias for programs without a cookie (tracepoints, perf events). */
static __always_inline __u64 note_bias(struct pt_regs *ctx, __u64 cookie, struct pmt_proc_state *state)
{
	__u64 bias = load_bias(ctx, cookie);
	if (state->bias != bias)
		state->bias = bias;
	return bias;
}

/* Once per process attached mid-run, before its first traced call changes the heap. */
static __always_inline void send_baseline_once(struct pmt_proc_state *state, __u64 bias, __u32 tgid)
{
	if (!state->baseline_pending)
		return;
	__u64 heap = zend_heap(bias);
	if (!heap || !cfg.off.heap_size)
		return;
	struct pmt_baseline_record rec = {};
	int err = 0;
	rec.heap_size = read_user_u64(heap + cfg.off.heap_size, &err);
	if (err)
		return;
	fill_header(&rec.hdr, PMT_REC_BASELINE, tgid);
	if (!emit(&rec, sizeof(rec)))
		state->baseline_pending = 0;
}

static __always_inline void remember_call(struct pt_regs *ctx, __u64 cookie, __u64 size, __u64 old_ptr,
					  __u64 old_size, __u8 real, struct pmt_proc_state *state)
{
	struct inflight_key key = entry_key(ctx);
	__u64 bias = note_bias(ctx, cookie, state);
	send_baseline_once(state, bias, current_tgid());
	struct inflight_call call = {
		.bias = bias,
		.size = size,
		.old_ptr = old_ptr,
		.old_size = old_size,
		.vaddr_lo = (__u32)PMT_COOKIE_VADDR(cookie),
		.probe = PMT_COOKIE_KIND(cookie),
		.real = real,
	};
	bpf_map_update_elem(&inflight, &key, &call, BPF_ANY);
}

/*
 * Takes the entry matching this return, or returns 0 if there is none (counted
 * when `expected`: a realloc of NULL has no entry on purpose, see realloc_entry).
 */
static __always_inline int take_call(struct pt_regs *ctx, __u64 cookie, struct inflight_call *out,
				     bool expected)
{
	struct inflight_key key = return_key(ctx);
	struct inflight_call *call = bpf_map_lookup_elem(&inflight, &key);
	if (!call || call->vaddr_lo != (__u32)PMT_COOKIE_VADDR(cookie)) {
		/* The probes fire in every process of the binary: count ours only. A
		 * process attached mid-run takes return probes before its entry probes
		 * are attached (uprobe_attach.cpp): until its first entry (which sends
		 * the baseline) such returns are the attach, not a lost entry. */
		struct pmt_proc_state *state = traced_state(current_tgid());
		if (expected && state && !state->baseline_pending)
			count(PMT_CNT_UNPAIRED_RETURNS);
		return 0;
	}
	*out = *call;
	bpf_map_delete_elem(&inflight, &key);
	return 1;
}

/* Size of the block at ptr from its chunk's page map, 0 if unknown (huge or unread). */
static __always_inline __u64 block_size_from_page_map(__u64 ptr)
{
	if (!cfg.off.chunk_map || !ptr)
		return 0;
	__u64 offset = ptr & (PMT_ZEND_CHUNK_SIZE - 1);
	if (!offset)
		return 0; /* huge blocks are chunk aligned and have no page map entry */
	__u64 chunk = ptr - offset;
	__u32 info = 0;
	if (bpf_probe_read_user(&info, sizeof(info),
				(void *)(chunk + cfg.off.chunk_map + (offset / PMT_ZEND_PAGE_SIZE) * 4))) {
		count(PMT_CNT_BAD_HEAP_READ);
		return 0;
	}
	if (info & PMT_ZEND_MM_IS_SRUN) {
		__u32 bin = info & PMT_ZEND_MM_SRUN_BIN_MASK;
		if (bin < PMT_ZEND_BIN_COUNT)
			return cfg.bin_sizes[bin];
		return 0;
	}
	if (info & PMT_ZEND_MM_IS_LRUN)
		return (__u64)((info & PMT_ZEND_MM_LRUN_PAGES_MASK) >> PMT_ZEND_MM_LRUN_PAGES_SHIFT) *
		       PMT_ZEND_PAGE_SIZE;
	return 0;
}

/*
 * One entry program and one return program serve every allocator function, so
 * the whole probe set is two multi-uprobe links: each link on a binary makes
 * every uprobe hit on it dearer (BENCHMARKS.md, 1b). The cookie says which
 * function fired; the registers are read once, up front, because clang merges
 * ctx loads of different branches into one load at a variable offset, which the
 * verifier rejects.
 */
struct call_args {
	__u64 arg1, arg2, arg3, arg4;
};

static __always_inline struct call_args read_args(struct pt_regs *ctx)
{
	struct call_args a = {
		.arg1 = PT_REGS_PARM1(ctx),
		.arg2 = PT_REGS_PARM2(ctx),
		.arg3 = PT_REGS_PARM3(ctx),
		.arg4 = PT_REGS_PARM4(ctx),
	};
	barrier_var(a.arg1);
	barrier_var(a.arg2);
	barrier_var(a.arg3);
	barrier_var(a.arg4);
	return a;
}

/* ---- allocations ------------------------------------------------------------ */

static __always_inline int on_alloc_entry(struct pt_regs *ctx, __u64 cookie, struct call_args *a,
					  struct pmt_proc_state *state)
{
	__u64 size = a->arg1; /* _emalloc, _emalloc_large, _emalloc_huge */
	__u32 kind = PMT_COOKIE_KIND(cookie);
	if (kind == PMT_PROBE_EMALLOC_FIXED)
		size = PMT_COOKIE_ARG(cookie);
	else if (kind == PMT_PROBE_ZEND_MM_ALLOC || kind == PMT_PROBE_ALLOC_LARGE || kind == PMT_PROBE_ALLOC_HUGE)
		size = a->arg2;
	else if (kind == PMT_PROBE_SMALL_REFILL) {
		/* The bin's whole page run: what the heap grew by. The index is the
		 * very register that was checked: left alone, the compiler reloads
		 * a->arg2 from the stack for it, and Linux 6.1's verifier knows no
		 * bound on that copy. */
		__u64 bin = a->arg2;
		barrier_var(bin);
		if (bin >= PMT_ZEND_BIN_COUNT)
			return 0;
		barrier_var(bin);
		size = (__u64)cfg.bin_pages[bin] * PMT_ZEND_PAGE_SIZE;
	}
	remember_call(ctx, cookie, size, 0, 0, 0, state);
	return 0;
}

static __always_inline int on_realloc_entry(struct pt_regs *ctx, __u64 cookie, struct call_args *a,
					    struct pmt_proc_state *state)
{
	__u64 ptr = a->arg1, size = a->arg2;
	if (PMT_COOKIE_KIND(cookie) == PMT_PROBE_ZEND_MM_REALLOC) {
		ptr = a->arg2;
		size = a->arg3;
	}
	if (!ptr)
		return 0; /* realloc(NULL) jumps to _zend_mm_alloc, which reports it */
	/* The old block's size is known only here: the page map changes with the realloc. */
	remember_call(ctx, cookie, size, ptr, block_size_from_page_map(ptr), 0, state);
	return 0;
}

/* Shared by alloc and realloc returns: walk the PHP stack and send the record. */
static __always_inline int report_allocation(struct pt_regs *ctx, struct inflight_call *call, __u64 ptr,
					     __u16 kind)
{
	if (!ptr)
		return 0; /* failed allocation: nothing changed in the heap */
	__u32 zero = 0;
	struct pmt_alloc_record *rec = bpf_map_lookup_elem(&alloc_scratch, &zero);
	if (!rec)
		return 0;
	__u32 tgid = current_tgid();
	fill_header(&rec->hdr, kind, tgid);
	rec->ptr = ptr;
	rec->size = call->size;
	rec->old_ptr = call->old_ptr;
	rec->old_size = call->old_size;
	rec->probe = call->probe;
	rec->reserved = 0;
	rec->reserved2 = 0;
	walk_and_emit(ctx, call->bias, rec, PMT_ALLOC_RECORD_FIXED_SIZE);
	return 0;
}

/* ---- frees -------------------------------------------------------------------- */

static __always_inline int on_free_entry(struct pt_regs *ctx, __u64 cookie, struct call_args *a,
					 struct pmt_proc_state *state, __u32 tgid)
{
	send_baseline_once(state, load_bias(ctx, cookie), tgid);
	struct pmt_free_record rec = {};
	__u32 kind = PMT_COOKIE_KIND(cookie);
	rec.ptr = a->arg1; /* _efree */
	if (kind == PMT_PROBE_EFREE_FIXED)
		rec.size = PMT_COOKIE_ARG(cookie);
	else if (kind == PMT_PROBE_EFREE_SIZED)
		rec.size = a->arg2;
	else if (kind == PMT_PROBE_ZEND_MM_FREE || kind == PMT_PROBE_FREE_HUGE)
		rec.ptr = a->arg2;
	else if (kind == PMT_PROBE_FREE_PAGES) {
		/* (heap, chunk, page_num, pages_count): a large block or a small run */
		rec.ptr = a->arg2 + (__u64)(__u32)a->arg3 * PMT_ZEND_PAGE_SIZE;
		rec.size = (__u64)(__u32)a->arg4 * PMT_ZEND_PAGE_SIZE;
	}
	if (!rec.ptr)
		return 0; /* efree(NULL) is not called by PHP, but costs nothing to ignore */
	if (!rec.size)
		rec.map_size = block_size_from_page_map(rec.ptr);
	fill_header(&rec.hdr, PMT_REC_FREE, tgid);
	rec.probe = kind;
	emit(&rec, sizeof(rec));
	return 0;
}

/* ---- checkpoints: memory_get_usage() ---------------------------------------- */

static __always_inline int report_checkpoint(struct inflight_call *call, __u64 returned)
{
	struct pmt_checkpoint_record rec = {};
	fill_header(&rec.hdr, PMT_REC_CHECKPOINT, current_tgid());
	rec.returned = returned;
	rec.real = call->real;
	__u64 heap = zend_heap(call->bias);
	if (heap && cfg.off.heap_size && cfg.off.heap_real_size) {
		int err = 0;
		rec.heap_size = read_user_u64(heap + cfg.off.heap_size, &err);
		rec.heap_real_size = read_user_u64(heap + cfg.off.heap_real_size, &err);
		rec.heap_read_ok = !err;
	}
	emit(&rec, sizeof(rec));
	return 0;
}

/* ---- heap resets ---------------------------------------------------------------- */

/* zend_mm_shutdown(heap, full, silent) */
static __always_inline int on_heap_reset(struct call_args *a, __u32 tgid)
{
	struct pmt_heap_reset_record rec = {};
	fill_header(&rec.hdr, PMT_REC_HEAP_RESET, tgid);
	rec.full = (int)a->arg2 != 0;
	rec.silent = (int)a->arg3 != 0;
	emit(&rec, sizeof(rec));
	return 0;
}

/* ---- the two programs ------------------------------------------------------------ */

SEC("uprobe")
int BPF_KPROBE(allocator_entry)
{
	__u32 tgid = current_tgid();
	struct pmt_proc_state *state = traced_state(tgid);
	if (!state)
		return 0;
	__u64 cookie = bpf_get_attach_cookie(ctx);
	struct call_args a = read_args(ctx);
	count_trap(PMT_COOKIE_KIND(cookie), state);
	switch (PMT_COOKIE_KIND(cookie)) {
	case PMT_PROBE_EMALLOC:
	case PMT_PROBE_EMALLOC_FIXED:
	case PMT_PROBE_EMALLOC_SIZED:
	case PMT_PROBE_ZEND_MM_ALLOC:
	case PMT_PROBE_SMALL_REFILL:
	case PMT_PROBE_ALLOC_LARGE:
	case PMT_PROBE_ALLOC_HUGE:
		return on_alloc_entry(ctx, cookie, &a, state);
	case PMT_PROBE_EFREE:
	case PMT_PROBE_EFREE_FIXED:
	case PMT_PROBE_EFREE_SIZED:
	case PMT_PROBE_ZEND_MM_FREE:
	case PMT_PROBE_FREE_PAGES:
	case PMT_PROBE_FREE_HUGE:
		return on_free_entry(ctx, cookie, &a, state, tgid);
	case PMT_PROBE_EREALLOC:
	case PMT_PROBE_ZEND_MM_REALLOC:
		return on_realloc_entry(ctx, cookie, &a, state);
	case PMT_PROBE_MEMORY_USAGE:
		remember_call(ctx, cookie, 0, 0, 0, (__u8)a.arg1, state);
		return 0;
	case PMT_PROBE_REQUEST_STARTUP:
	case PMT_PROBE_REQUEST_SHUTDOWN:
		return request_entry(ctx, cookie, tgid);
	case PMT_PROBE_MM_SHUTDOWN:
		return on_heap_reset(&a, tgid);
	}
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(allocator_return)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 returned = PT_REGS_RC(ctx);
	barrier_var(returned);
	__u32 kind = PMT_COOKIE_KIND(cookie);
	if (kind == PMT_PROBE_REQUEST_SHUTDOWN)
		return request_done(current_tgid());
	struct inflight_call call;
	/* a realloc of NULL has no entry on purpose (see on_realloc_entry) */
	bool is_realloc = kind == PMT_PROBE_EREALLOC || kind == PMT_PROBE_ZEND_MM_REALLOC;
	if (!take_call(ctx, cookie, &call, !is_realloc))
		return 0;
	if (kind == PMT_PROBE_MEMORY_USAGE)
		return report_checkpoint(&call, returned);
	return report_allocation(ctx, &call, returned, is_realloc ? PMT_REC_REALLOC : PMT_REC_ALLOC);
}

/* ---- process lifetime --------------------------------------------------------- */

/*
 * Raw tracepoints, not tracepoints: libbpf finds a tracepoint's ID in tracefs, which
 * is not mounted on many hosts and containers; a raw tracepoint is attached by name
 * through bpf() alone. Their arguments are the tracepoint's C arguments, untyped, so
 * task fields are read with BPF_CORE_READ.
 */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	if (!cfg.follow_forks)
		return 0;
	__u32 parent_tgid = current_tgid();
	if (!traced_state(parent_tgid))
		return 0;
	/* The tracepoint fires for new threads too (pthread_create is a clone): a
	 * thread shares its process's heap and is traced through its tgid already. */
	__u32 child_pid = BPF_CORE_READ(child, pid);
	if (BPF_CORE_READ(child, tgid) != child_pid)
		return 0;
	/* Its probes are attached by user space on this record: until then it runs
	 * untraced, so its first traced call sends its heap's size as a baseline. */
	struct pmt_proc_state state = { .has_executed = 1, .baseline_pending = 1 };
	if (bpf_map_update_elem(&traced, &child_pid, &state, BPF_NOEXIST)) {
		count(PMT_CNT_UNTRACED_CHILDREN); /* map full: the child runs untraced */
		return 0;
	}
	struct pmt_proc_record rec = {};
	fill_header(&rec.hdr, PMT_REC_PROC_FORK, parent_tgid);
	rec.child_tgid = child_pid;
	/* Wake the reader now: the child is untraced until it attaches its probes. */
	if (bpf_ringbuf_output(&events, &rec, sizeof(rec), BPF_RB_FORCE_WAKEUP))
		count(PMT_CNT_LOST_RECORDS);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(on_exit)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	if ((__u32)pid_tgid != tgid || !traced_state(tgid))
		return 0; /* only the main thread's exit ends the process */
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct pmt_proc_record rec = {};
	fill_header(&rec.hdr, PMT_REC_PROC_EXIT, tgid);
	rec.exit_code = BPF_CORE_READ(task, exit_code);
	emit(&rec, sizeof(rec));
	bpf_map_delete_elem(&traced, &tgid);
	return 0;
}

/* exec replaced the image: its PHP heap is gone (a child of proc_open or
 * shell_exec leaves its copy of the parent's blocks here). The process stays
 * traced, from start-up, in case the new image is PHP too. */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(on_exec)
{
	__u32 tgid = current_tgid();
	struct pmt_proc_state *state = traced_state(tgid);
	if (!state)
		return 0;
	state->bias = 0;
	state->has_executed = 0;
	state->baseline_pending = 0;
	struct pmt_proc_record rec = {};
	fill_header(&rec.hdr, PMT_REC_PROC_EXIT, tgid);
	rec.hdr.flags = PMT_PROC_EXEC;
	emit(&rec, sizeof(rec));
	return 0;
}
