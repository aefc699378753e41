// SPDX-License-Identifier: MIT
/*
 * Page faults of traced processes: what kind, where, how long, and which PHP code.
 *
 * Neither kprobes nor fentry exist on the kernels this must run on, so a fault is
 * timed between two points that do:
 *   start: the exceptions:page_fault_user raw tracepoint (and page_fault_kernel for user
 *          addresses: copy_to_user() into an untouched buffer), which fires as the
 *          exception handler starts and carries the x86 error code;
 *   end:   the PERF_COUNT_SW_PAGE_FAULTS_MIN / _MAJ software events, which the kernel
 *          counts in mm_account_fault() at the very end of handle_mm_fault(), with
 *          the fault's registers and address. A BPF_PROG_TYPE_PERF_EVENT program on
 *          one event per CPU (sample_period 1) sees every successful fault.
 * The start is kept per thread; a fault that fails (SIGSEGV) or is retried is
 * overwritten by the thread's next start or covered by the retry's end.
 * docs/page-faults.md says what this interval includes and leaves out.
 *
 * User space makes this object share `traced`, `events`, `counters` and
 * `announced_funcs` with memtrace.bpf.c (bpf_map__reuse_fd), so fault records are
 * ordered with allocation records and function names are announced once.
 */
#include "common.bpf.h"
#include "php_stack.bpf.h"

/*
 * bpf_find_vma() is exact (and works for processes that exit before user space
 * looks) but is the costliest part of a fault record: about 0.5 us on the build
 * VM. Without it user space classifies from /proc/PID/maps (PMT_FAULT_NO_VMA).
 */
const volatile __u32 lookup_vma = 1;

struct fault_start {
	__u64 ts; /* 0: no fault pending */
	__u64 addr;
	__u64 ip;
	__u32 error_code;
	__u32 in_kernel;
};

/* Keyed by thread id: a thread handles one fault at a time. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct fault_start);
} fault_starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pmt_fault_record);
} fault_scratch SEC(".maps");

/* The PHP walker reads r14/r15 from a pt_regs; this holds the user ones. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_regs);
} fault_regs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PMT_FCNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} fault_counters SEC(".maps");

static __always_inline void fcount(enum pmt_fault_counter which)
{
	__u32 key = which;
	__u64 *value = bpf_map_lookup_elem(&fault_counters, &key);
	if (value)
		*value += 1;
}

/* ---- start: the fault exception entered the kernel ----------------------------- */

/*
 * exceptions:page_fault_{user,kernel}(address, regs, error_code), as raw tracepoints:
 * attached through bpf() by name, so no tracefs is needed to look an ID up.
 */
static __always_inline int fault_begin(__u64 address, struct pt_regs *regs, __u64 error_code,
				       __u32 in_kernel)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	if (!traced_state(pid_tgid >> 32))
		return 0;
	fcount(PMT_FCNT_STARTS);
	struct fault_start *s = bpf_map_lookup_elem(&fault_starts, &tid);
	if (!s) {
		struct fault_start empty = {};
		bpf_map_update_elem(&fault_starts, &tid, &empty, BPF_ANY);
		s = bpf_map_lookup_elem(&fault_starts, &tid);
		if (!s)
			return 0;
	}
	s->addr = address;
	s->ip = BPF_CORE_READ(regs, ip);
	s->error_code = (__u32)error_code;
	s->in_kernel = in_kernel;
	/* Last, so the rest of this program is not counted as the fault's cost. */
	s->ts = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp/page_fault_user")
int BPF_PROG(on_fault_user, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return fault_begin(address, regs, error_code, 0);
}

SEC("raw_tp/page_fault_kernel")
int BPF_PROG(on_fault_kernel, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	if (address >> 63)
		return 0; /* a fault on kernel memory: not the process's pages */
	return fault_begin(address, regs, error_code, 1);
}

/* ---- end: handle_mm_fault() accounted the fault ------------------------------- */

struct vma_info {
	__u64 start;
	__u64 end;
	__u64 flags;
	__u64 pgoff;
	char file[PMT_FAULT_FILE_LEN];
};

static long read_vma(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_info *info = data;
	info->start = vma->vm_start;
	info->end = vma->vm_end;
	info->flags = BPF_CORE_READ(vma, vm_flags);
	info->pgoff = vma->vm_pgoff;
	struct file *file = vma->vm_file;
	if (file) {
		const unsigned char *name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
		bpf_probe_read_kernel_str(info->file, sizeof(info->file), name);
	}
	return 0;
}

/*
 * A Zend chunk starts on a 2 MiB boundary with a pointer to the heap, and the heap
 * lives 64 bytes into the main chunk, whose first word points to it as well. Huge
 * blocks are 2 MiB aligned too but hold user data: telling them apart needs this.
 * (The kernel has no CONFIG_ANON_VMA_NAME here, so "[anon:zend_alloc]" is not shown.)
 */
static __always_inline int in_zend_chunk(__u64 addr)
{
	int err = 0;
	__u64 base = addr & ~((__u64)PMT_ZEND_CHUNK_SIZE - 1);
	__u64 heap = read_user_u64(base, &err); /* zend_mm_chunk.heap is its first field */
	__u64 main_chunk = heap - cfg.off.chunk_heap_slot;
	if (err || !heap || !cfg.off.chunk_heap_slot || (main_chunk & (PMT_ZEND_CHUNK_SIZE - 1)))
		return 0;
	return read_user_u64(main_chunk, &err) == heap && !err;
}

/*
 * The VM stack is a chain of emalloc'd pages (struct _zend_vm_stack {top, end,
 * prev}), the newest in EG(vm_stack); offsets from cfg.off. Checks the newest few
 * pages.
 */
static __always_inline int in_vm_stack(__u64 addr, __u64 bias)
{
	int err = 0;
	if (!cfg.off.eg_vm_stack || !cfg.eg_vaddr)
		return 0;
	__u64 page = read_user_u64(bias + cfg.eg_vaddr + cfg.off.eg_vm_stack, &err);
	for (int i = 0; i < 4 && page && !err; i++) {
		__u64 end = read_user_u64(page + cfg.off.vm_stack_end, &err);
		if (!err && addr >= page && addr < end)
			return 1;
		page = read_user_u64(page + cfg.off.vm_stack_prev, &err);
	}
	return 0;
}

/*
 * The load bias is learnt by the allocator uprobes. A forked child may fault before
 * it allocates anything (writing to its copy of the parent's array does not
 * allocate), and it has the parent's layout, so borrow the parent's.
 */
static __always_inline __u64 php_bias(struct pmt_proc_state *state)
{
	if (state->bias)
		return state->bias;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	__u32 parent = BPF_CORE_READ(task, real_parent, tgid);
	struct pmt_proc_state *parent_state = traced_state(parent);
	if (parent_state && parent_state->bias) {
		state->bias = parent_state->bias;
		return state->bias;
	}
	return 0;
}

static __always_inline int fault_end(struct bpf_perf_event_data *ctx, __u32 major)
{
	__u64 now = bpf_ktime_get_ns(); /* first: what follows is not the fault's cost */
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	struct pmt_proc_state *state = traced_state(tgid);
	if (!state)
		return 0;
	struct fault_start *s = bpf_map_lookup_elem(&fault_starts, &tid);
	if (!s || !s->ts) {
		fcount(PMT_FCNT_UNMATCHED_END);
		return 0;
	}
	if ((ctx->addr ^ s->addr) & ~0xfffull) {
		fcount(PMT_FCNT_ADDR_MISMATCH);
		s->ts = 0;
		return 0;
	}
	fcount(PMT_FCNT_ENDS);

	__u32 zero = 0;
	struct pmt_fault_record *rec = bpf_map_lookup_elem(&fault_scratch, &zero);
	struct pt_regs *regs = bpf_map_lookup_elem(&fault_regs, &zero);
	if (!rec || !regs)
		return 0;
	fill_header(&rec->hdr, PMT_REC_FAULT, tgid);
	rec->hdr.ts_ns = s->ts;
	rec->addr = s->addr;
	rec->ip = s->ip;
	rec->ns = now - s->ts;
	rec->error_code = s->error_code;
	rec->flags = (major ? PMT_FAULT_MAJOR : 0) | (s->in_kernel ? PMT_FAULT_IN_KERNEL : 0);
	rec->tid = tid;
	rec->reserved = 0;
	rec->reserved2 = 0;
	__u32 in_kernel = s->in_kernel;
	s->ts = 0;

	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct vma_info vma = {};
	if (!lookup_vma) {
		rec->flags |= PMT_FAULT_NO_VMA;
	} else if (bpf_find_vma(task, rec->addr, read_vma, &vma, 0)) {
		rec->flags |= PMT_FAULT_NO_VMA;
		fcount(PMT_FCNT_NO_VMA);
	}
	rec->vm_start = vma.start;
	rec->vm_end = vma.end;
	rec->vm_flags = vma.flags;
	rec->vm_pgoff = vma.pgoff;
	__builtin_memcpy(rec->file, vma.file, sizeof(rec->file));
	/*
	 * Chunks are private memory: anonymous, or a MAP_PRIVATE snapshot image mapped
	 * over the heap (then the header is the image's). Unknown VMA: try anyway.
	 */
	if (!(vma.flags & (PMT_VM_SHARED | PMT_VM_EXEC)) && in_zend_chunk(rec->addr))
		rec->flags |= PMT_FAULT_ZEND_CHUNK;

	__u64 bias = php_bias(state);
	__u32 depth = 0, stack_flags = 0;
	if (!bias) {
		fcount(PMT_FCNT_NO_BIAS);
	} else {
		if ((rec->flags & PMT_FAULT_ZEND_CHUNK) && in_vm_stack(rec->addr, bias))
			rec->flags |= PMT_FAULT_VM_STACK;
		if (in_kernel) {
			/* The perf event carries kernel registers; the VM's are the user ones. */
			struct pt_regs *user = (struct pt_regs *)bpf_task_pt_regs(task);
			regs->r14 = BPF_CORE_READ(user, r14);
			regs->r15 = BPF_CORE_READ(user, r15);
		} else {
			regs->r14 = ctx->regs.r14;
			regs->r15 = ctx->regs.r15;
		}
		depth = walk_php_stack(regs->r14, regs->r15, bias, (struct pmt_frames *)rec->frames, &stack_flags);
	}
	emit_stack_record(rec, PMT_FAULT_RECORD_FIXED_SIZE, sizeof(*rec), &rec->depth, &rec->stack_flags, depth,
			  stack_flags);
	return 0;
}

SEC("perf_event")
int on_fault_end_minor(struct bpf_perf_event_data *ctx)
{
	return fault_end(ctx, 0);
}

SEC("perf_event")
int on_fault_end_major(struct bpf_perf_event_data *ctx)
{
	return fault_end(ctx, 1);
}

/* ---- snapshot restores: functions of the target matched by name ---------------- */

static __always_inline int restore_event(struct pt_regs *ctx, __u16 kind)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	if (!traced_state(tgid))
		return 0;
	struct pmt_restore_record rec = {};
	fill_header(&rec.hdr, kind, tgid);
	rec.tid = (__u32)pid_tgid;
	rec.function = PMT_COOKIE_ARG(bpf_get_attach_cookie(ctx));
	emit(&rec, sizeof(rec));
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(restore_entry)
{
	return restore_event(ctx, PMT_REC_RESTORE_BEGIN);
}

SEC("uretprobe")
int BPF_KRETPROBE(restore_return)
{
	return restore_event(ctx, PMT_REC_RESTORE_END);
}
