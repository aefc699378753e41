// SPDX-License-Identifier: MIT
/*
 * The Zend heap's structure: chunks, huge blocks, garbage collector runs and fatal
 * errors (memory_limit). Uprobes only (no kprobes, no fentry). Request boundaries
 * are memtrace.bpf.c's (requests.bpf.h): each function is probed by one object.
 *
 * Chunks and huge blocks: every mapping the memory manager makes goes through two
 * static functions of zend_alloc.c, zend_mm_chunk_alloc_int(size, alignment) and
 * zend_mm_chunk_free(heap, addr, size). A stripped binary has no symbol for them;
 * user space finds them by disassembling exported functions (_emalloc_huge jumps to
 * zend_mm_alloc_huge, which calls zend_mm_chunk_alloc_int; _efree_huge jumps to
 * zend_mm_free_huge, which calls zend_mm_chunk_free) and attaches here with the
 * function's link-time address in the cookie, like memtrace.bpf.c. A mapping is a
 * huge block when zend_mm_chunk_alloc_int was called from inside zend_mm_alloc_huge:
 * the return address at entry is one of the call sites user space found there.
 *
 * The maps `events`, `traced`, `counters` and `announced_funcs` are the allocation
 * object's (bpf_map__reuse_fd before load), so records of both objects are ordered
 * in one ring buffer and function names are announced once.
 */
#include "common.bpf.h"
#include "php_stack.bpf.h"

/* Link-time return addresses of the calls to zend_mm_chunk_alloc_int made by
 * zend_mm_alloc_huge (0: unused slot). */
const volatile __u64 huge_call_returns[PMT_HUGE_CALL_SITES] = {};

struct map_key {
	__u32 tid;
	__u32 reserved;
	__u64 sp;
};

struct map_call {
	__u64 bias;
	__u64 size;
	__u32 huge;
	__u32 reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct map_key);
	__type(value, struct map_call);
} map_inflight SEC(".maps");

/* GC runs in flight, per thread (the GC is not reentrant: gc_active guards it). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} gc_inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pmt_heap_map_record);
} map_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pmt_error_record);
} error_scratch SEC(".maps");

static __always_inline void emit_map(struct pt_regs *ctx, __u16 kind, __u16 flags, __u64 bias, __u64 addr,
				     __u64 size)
{
	__u32 zero = 0;
	struct pmt_heap_map_record *rec = bpf_map_lookup_elem(&map_scratch, &zero);
	if (!rec)
		return;
	__u32 tgid = current_tgid();
	fill_header(&rec->hdr, kind, tgid);
	rec->addr = addr;
	rec->size = size;
	__builtin_memset(&rec->heap, 0, sizeof(rec->heap));
	rec->hdr.flags = flags | read_heap_state(bias, &rec->heap);
	rec->reserved = 0;
	walk_and_emit(ctx, bias, rec, PMT_HEAP_MAP_RECORD_FIXED_SIZE);
}

/* ---- chunks and huge blocks ---------------------------------------------------- */

static __always_inline int chunk_alloc_entry(struct pt_regs *ctx, __u64 cookie)
{
	if (!traced_state(current_tgid()))
		return 0;
	__u64 bias = load_bias(ctx, cookie);
	__u64 size = PT_REGS_PARM1(ctx);
	__u64 sp = PT_REGS_SP(ctx);
	int err = 0;
	__u64 ret = read_user_u64(sp, &err) - bias; /* the caller's return address */
	struct map_call call = { .bias = bias, .size = size };
	for (int i = 0; i < PMT_HUGE_CALL_SITES; i++)
		if (huge_call_returns[i] && ret == huge_call_returns[i])
			call.huge = 1;
	struct map_key key = { .tid = (__u32)bpf_get_current_pid_tgid(), .sp = sp };
	bpf_map_update_elem(&map_inflight, &key, &call, BPF_ANY);
	return 0;
}

static __always_inline int chunk_alloc_return(struct pt_regs *ctx)
{
	struct map_key key = { .tid = (__u32)bpf_get_current_pid_tgid(), .sp = PT_REGS_SP(ctx) - 8 };
	struct map_call *found = bpf_map_lookup_elem(&map_inflight, &key);
	if (!found) {
		if (traced_state(current_tgid()))
			count(PMT_CNT_UNPAIRED_RETURNS);
		return 0;
	}
	struct map_call call = *found;
	bpf_map_delete_elem(&map_inflight, &key);
	__u64 addr = PT_REGS_RC(ctx);
	if (!addr)
		return 0; /* mmap failed: nothing was mapped (PHP reports the error) */
	emit_map(ctx, PMT_REC_HEAP_MAP, call.huge ? PMT_HEAP_HUGE : 0, call.bias, addr, call.size);
	return 0;
}

/* zend_mm_chunk_free(heap, addr, size): chunks released and huge blocks freed. */
static __always_inline int chunk_free_entry(struct pt_regs *ctx, __u64 cookie)
{
	if (!traced_state(current_tgid()))
		return 0;
	__u64 addr = PT_REGS_PARM2(ctx), size = PT_REGS_PARM3(ctx);
	barrier_var(addr);
	barrier_var(size);
	emit_map(ctx, PMT_REC_HEAP_UNMAP, 0, load_bias(ctx, cookie), addr, size);
	return 0;
}

/* ---- garbage collector ---------------------------------------------------------- */

static __always_inline void emit_gc(__u64 bias, __u16 kind, __s64 collected)
{
	struct pmt_gc_record rec = {};
	fill_header(&rec.hdr, kind, current_tgid());
	rec.collected = collected;
	rec.hdr.flags = bias ? read_heap_state(bias, &rec.heap) : 0;
	emit(&rec, sizeof(rec));
}

static __always_inline int gc_entry(struct pt_regs *ctx, __u64 cookie)
{
	if (!traced_state(current_tgid()))
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 sp = PT_REGS_SP(ctx);
	bpf_map_update_elem(&gc_inflight, &tid, &sp, BPF_ANY);
	emit_gc(load_bias(ctx, cookie), PMT_REC_GC_BEGIN, 0);
	return 0;
}

static __always_inline int gc_return(struct pt_regs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *sp = bpf_map_lookup_elem(&gc_inflight, &tid);
	if (!sp)
		return 0; /* attached mid-run, or not traced */
	bpf_map_delete_elem(&gc_inflight, &tid);
	/* zend_gc_collect_cycles returns int: sign-extend the low 32 bits */
	emit_gc(return_bias(current_tgid()), PMT_REC_GC_END, (__s64)(__s32)PT_REGS_RC(ctx));
	return 0;
}

/* ---- fatal errors: zend_error_zstr_at(type, filename, lineno, message) ----------- */

#define PMT_E_FATAL_MASK (1u | 16u | 64u | 256u) /* E_ERROR, E_CORE_, E_COMPILE_, E_USER_ERROR */

static __always_inline int error_entry(struct pt_regs *ctx, __u64 cookie)
{
	__u32 tgid = current_tgid();
	if (!traced_state(tgid))
		return 0;
	__u64 type = PT_REGS_PARM1(ctx), lineno = PT_REGS_PARM3(ctx), message = PT_REGS_PARM4(ctx);
	barrier_var(type);
	barrier_var(lineno);
	barrier_var(message);
	if (!((__u32)type & PMT_E_FATAL_MASK))
		return 0; /* warnings and notices are not our business */
	__u32 zero = 0;
	struct pmt_error_record *rec = bpf_map_lookup_elem(&error_scratch, &zero);
	if (!rec)
		return 0;
	__u64 bias = load_bias(ctx, cookie);
	fill_header(&rec->hdr, PMT_REC_FATAL_ERROR, tgid);
	rec->type = (__u32)type;
	rec->lineno = (__u32)lineno;
	__builtin_memset(&rec->heap, 0, sizeof(rec->heap));
	rec->hdr.flags = read_heap_state(bias, &rec->heap);
	rec->message[0] = 0;
	if (message)
		bpf_probe_read_user_str(rec->message, sizeof(rec->message), (void *)(message + cfg.off.zstr_val));
	rec->reserved = 0;
	walk_and_emit(ctx, bias, rec, PMT_ERROR_RECORD_FIXED_SIZE);
	return 0;
}

/* ---- dispatchers ------------------------------------------------------------------ */

/*
 * One entry and one return program for every heap probe, told apart by the cookie's
 * kind: each can then be one multi-uprobe link, and a session's end waits for two
 * SRCU grace periods instead of one per probed function.
 */
SEC("uprobe")
int BPF_KPROBE(heap_entry)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	switch (PMT_COOKIE_KIND(cookie)) {
	case PMT_PROBE_CHUNK_ALLOC:
		return chunk_alloc_entry(ctx, cookie);
	case PMT_PROBE_CHUNK_FREE:
		return chunk_free_entry(ctx, cookie);
	case PMT_PROBE_GC:
		return gc_entry(ctx, cookie);
	case PMT_PROBE_ERROR:
		return error_entry(ctx, cookie);
	}
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(heap_return)
{
	switch (PMT_COOKIE_KIND(bpf_get_attach_cookie(ctx))) {
	case PMT_PROBE_CHUNK_ALLOC:
		return chunk_alloc_return(ctx);
	case PMT_PROBE_GC:
		return gc_return(ctx);
	}
	return 0;
}
