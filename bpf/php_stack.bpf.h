/* SPDX-License-Identifier: MIT */
/*
 * Walks the PHP call stack of the current process from
 * executor_globals.current_execute_data and fills an array of pmt_frame.
 *
 * A frame is (zend_function*, line). The names of a function are read from the
 * target and sent once, in a PMT_REC_FUNC record ahead of the first record that
 * uses it; a cache keyed by (process, zend_function*) remembers what was sent,
 * together with a signature of the function (name, scope, opcodes pointer, and the
 * file of top-level code) so that a zend_function freed and reused for another
 * function (closures, included files, per-request function tables in FPM without
 * opcache) is announced again with its new names.
 * The ring buffer is ordered, so the collector always resolves a pointer with the
 * names that were valid when the record was made.
 *
 * Needs: common.bpf.h included first.
 */
#ifndef PHPMEMTRACE_PHP_STACK_BPF_H
#define PHPMEMTRACE_PHP_STACK_BPF_H

struct func_key {
	__u32 tgid;
	__u32 reserved;
	__u64 func;
};

struct func_signature {
	__u64 name;
	__u64 scope;
	__u64 body; /* op_array.opcodes (user code) or the word at the same offset */
	__u64 file; /* top-level code only: op_array.filename (0 otherwise) */
	__u8 type;
	__u8 reserved[7];
};

/*
 * Created by user space (memtrace_probes.cpp): this LRU for the long-running
 * agent and top; a hash that grows with use, not preallocated, for record. When
 * an update fails (full), the function is announced again at its next use.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct func_key);
	__type(value, struct func_signature);
} announced_funcs SEC(".maps");

/*
 * What is read per frame: the start of its zend_execute_data and of its
 * zend_function (which covers op_array.last/opcodes). Fields are picked out at
 * the configured offsets (cfg.off), never through a C struct of PHP's layout.
 */
#define PMT_EX_PREFIX 64
#define PMT_FUNC_PREFIX 128

struct walk_scratch {
	__u8 func[PMT_FUNC_PREFIX];
	__u8 ex[PMT_EX_PREFIX];
	/* `yield from`: delegating generators still to be walked, the last one next */
	__u64 delegators[PMT_MAX_DELEGATION];
	/*
	 * The walk's counters live here, in map memory, not in walk_state on the
	 * stack: the verifier tracks a stack value exactly, so it would verify the
	 * loop body once per depth reached (up to PMT_MAX_FRAMES times); a value read
	 * from a map is any number within its checks, and the body is verified once.
	 */
	__u32 depth;
	__u32 flags;              /* PMT_STACK_* */
	__u32 pending;            /* entries of delegators not walked yet */
	__u32 reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk_scratch);
} walk_scratch_map SEC(".maps");

struct walk_state {
	struct pmt_frame *frames; /* PMT_MAX_FRAMES entries */
	struct walk_scratch *scratch;
	__u64 ex;                 /* next zend_execute_data to read */
	__u64 vm_execute_data;    /* r14 of the hybrid VM */
	__u64 vm_opline;          /* r15 of the hybrid VM */
	__u64 bias;               /* load bias of the PHP binary */
	__u32 tgid;
};

static __always_inline __u64 prefix_u64(struct walk_scratch *s, __u32 off)
{
	if (off > PMT_FUNC_PREFIX - 8)
		return 0;
	return *(__u64 *)&s->func[off & (PMT_FUNC_PREFIX - 1)];
}

static __always_inline __u32 prefix_u32(struct walk_scratch *s, __u32 off)
{
	if (off > PMT_FUNC_PREFIX - 4)
		return 0;
	return *(__u32 *)&s->func[off & (PMT_FUNC_PREFIX - 1)];
}

static __always_inline __u8 prefix_u8(struct walk_scratch *s, __u32 off)
{
	if (off > PMT_FUNC_PREFIX - 1)
		return 0;
	return s->func[off & (PMT_FUNC_PREFIX - 1)];
}

static __always_inline __u64 ex_u64(struct walk_scratch *s, __u32 off)
{
	if (off > PMT_EX_PREFIX - 8)
		return 0;
	return *(__u64 *)&s->ex[off & (PMT_EX_PREFIX - 1)];
}

static __always_inline __u8 ex_u8(struct walk_scratch *s, __u32 off)
{
	if (off > PMT_EX_PREFIX - 1)
		return 0;
	return s->ex[off & (PMT_EX_PREFIX - 1)];
}

/* Reads a zend_string's characters into dst; empty string when ptr is NULL. */
static __always_inline void read_zstr(char *dst, __u32 dst_len, __u64 zstr)
{
	dst[0] = 0;
	if (!zstr)
		return;
	bpf_probe_read_user_str(dst, dst_len, (void *)(zstr + cfg.off.zstr_val));
}

/*
 * Sends the names of `func` unless the cache says they were sent already;
 * returns PMT_STACK_UNNAMED when they could not be sent. `s->func` holds the
 * start of the zend_function. A global function: verified once, not in every
 * iteration of the walk's loop body (issue 17: the verifier's time is most of
 * a session's start).
 */
__noinline int announce_function(struct walk_scratch *s, __u64 func, __u32 tgid)
{
	if (!s)
		return 0;
	struct func_signature sig = {
		.name = prefix_u64(s, cfg.off.func_name),
		.scope = prefix_u64(s, cfg.off.func_scope),
		.body = prefix_u64(s, cfg.off.op_opcodes),
		.type = prefix_u8(s, cfg.off.func_type),
	};
	/*
	 * The top-level code of an included file has no name: when its op_array is
	 * freed and the next include's gets the same memory (and maybe its opcodes
	 * the same address too), only the file tells them apart. One 8-byte read,
	 * for these frames only (a named function's file is read when announced).
	 */
	bool user_code = sig.type == PMT_FUNC_USER || sig.type == PMT_FUNC_EVAL;
	if (user_code && !sig.name) {
		int err = 0;
		sig.file = read_user_u64(func + cfg.off.op_filename, &err);
	}
	struct func_key key = { .tgid = tgid, .func = func };
	struct func_signature *known = bpf_map_lookup_elem(&announced_funcs, &key);
	if (known && known->name == sig.name && known->scope == sig.scope &&
	    known->body == sig.body && known->file == sig.file && known->type == sig.type)
		return 0;

	struct pmt_func_record *rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(PMT_CNT_LOST_FUNC_NAMES);
		return PMT_STACK_UNNAMED;
	}
	fill_header(&rec->hdr, PMT_REC_FUNC, tgid);
	rec->func = func;
	rec->type = sig.type;
	rec->has_name = sig.name != 0;
	rec->reserved = 0;
	rec->line_start = 0;
	read_zstr(rec->function, sizeof(rec->function), sig.name);
	rec->class_name[0] = 0;
	if (sig.scope) {
		int err = 0;
		__u64 class_name = read_user_u64(sig.scope + cfg.off.ce_name, &err);
		if (!err)
			read_zstr(rec->class_name, sizeof(rec->class_name), class_name);
	}
	rec->file[0] = 0;
	if (user_code) {
		int err = 0;
		__u64 filename = sig.file ? sig.file : read_user_u64(func + cfg.off.op_filename, &err);
		if (!err)
			read_zstr(rec->file, sizeof(rec->file), filename);
		bpf_probe_read_user(&rec->line_start, sizeof(rec->line_start),
				    (void *)(func + cfg.off.op_line_start));
	}
	bpf_ringbuf_submit(rec, ring_commit_flags());
	bpf_map_update_elem(&announced_funcs, &key, &sig, BPF_ANY);
	return 0;
}

/*
 * Line being executed in a user frame. The hybrid VM keeps the current opline in
 * r15 and stores it to execute_data->opline only on SAVE_OPLINE, so for the frame
 * the VM is running (r14 == execute_data) r15 is fresher; callers' oplines were
 * saved at the call and are reliable. Both are bounds-checked against the op_array.
 */
static __always_inline void frame_line(struct walk_state *w, __u64 ex, __u64 saved_opline,
				       struct pmt_frame *frame)
{
	struct walk_scratch *s = w->scratch;
	__u64 opcodes = prefix_u64(s, cfg.off.op_opcodes);
	__u64 end = opcodes + (__u64)prefix_u32(s, cfg.off.op_last) * cfg.off.opline_size;
	__u64 opline = saved_opline;

	if (ex == w->vm_execute_data && w->vm_opline >= opcodes && w->vm_opline < end) {
		opline = w->vm_opline;
		frame->flags |= PMT_FRAME_LINE_FROM_REGISTER;
	}
	if (opline < opcodes || opline >= end) {
		frame->flags |= PMT_FRAME_LINE_UNKNOWN;
		return;
	}
	if (bpf_probe_read_user(&frame->lineno, sizeof(frame->lineno),
				(void *)(opline + cfg.off.opline_lineno)))
		frame->flags |= PMT_FRAME_LINE_UNKNOWN;
}

/*
 * `yield from`: when generator A delegates to B, and B to C, resuming A runs C
 * directly, and C's caller is a placeholder frame (A's execute_fake: no function,
 * This = A) whose caller is A's consumer. PHP's backtraces replace the placeholder
 * by the delegating generators, innermost first (B, then A), and so does the walk.
 * This queues them from A's node.parent chain, which ends at C (already walked):
 * A first, so that B, the last queued, is walked next. Frames without a function
 * that are not such a placeholder (dummy call frames) are skipped as before.
 */
static __always_inline void queue_delegating_generators(struct walk_state *w)
{
	struct walk_scratch *s = w->scratch;

	if (!cfg.ce_generator_vaddr || !cfg.off.generator_node_parent ||
	    ex_u8(s, cfg.off.ex_this + 8) != PMT_ZEND_IS_OBJECT)
		return;
	int err = 0;
	__u64 generator = ex_u64(s, cfg.off.ex_this);
	__u64 ce = read_user_u64(generator + cfg.off.obj_ce, &err);
	__u64 generator_ce = read_user_u64(w->bias + cfg.ce_generator_vaddr, &err);
	if (err || !ce || ce != generator_ce)
		return;
	__u32 queued = 0;
	for (__u32 i = 0; i < PMT_MAX_DELEGATION; i++) {
		__u64 parent = read_user_u64(generator + cfg.off.generator_node_parent, &err);
		if (err || !parent)
			break;
		s->delegators[i] = generator;
		queued = i + 1;
		__u64 grandparent = read_user_u64(parent + cfg.off.generator_node_parent, &err);
		if (err || !grandparent)
			break;
		if (i == PMT_MAX_DELEGATION - 1)
			w->scratch->flags |= PMT_STACK_TRUNCATED; /* the chain goes on: its inner part is lost */
		generator = parent;
	}
	if (err)
		w->scratch->flags |= PMT_STACK_UNREADABLE;
	w->scratch->pending = queued;
}

static long walk_one_frame(__u32 index, void *ctx)
{
	struct walk_state *w = ctx;
	bool delegating = w->scratch->pending != 0;
	__u64 this_ex = w->ex;

	if (delegating) {
		__u32 i = --w->scratch->pending;
		int err = 0;
		__u64 generator = w->scratch->delegators[i & (PMT_MAX_DELEGATION - 1)];
		this_ex = read_user_u64(generator + cfg.off.generator_execute_data, &err);
		if (err || !this_ex)
			return 0; /* a generator that has finished meanwhile has no frame */
	}
	if (!this_ex)
		return 1;
	if (w->scratch->depth >= cfg.max_frames || w->scratch->depth >= PMT_MAX_FRAMES) {
		w->scratch->flags |= PMT_STACK_TRUNCATED;
		return 1;
	}
	struct walk_scratch *s = w->scratch;
	if (bpf_probe_read_user(s->ex, sizeof(s->ex), (void *)this_ex)) {
		w->scratch->flags |= PMT_STACK_UNREADABLE;
		return 1;
	}
	__u64 func = ex_u64(s, cfg.off.ex_func);
	__u64 opline = ex_u64(s, cfg.off.ex_opline);
	/* A suspended generator's prev_execute_data is stale: go on below the placeholder. */
	if (!delegating)
		w->ex = ex_u64(s, cfg.off.ex_prev_execute_data);
	if (!func) {
		if (!delegating)
			queue_delegating_generators(w);
		return 0; /* a frame without a function (placeholder, dummy call frame): skip */
	}

	if (bpf_probe_read_user(s->func, sizeof(s->func), (void *)func)) {
		w->scratch->flags |= PMT_STACK_UNREADABLE;
		return 1;
	}
	__u8 type = prefix_u8(s, cfg.off.func_type);
	/* An internal function without a name is a dummy frame, not code: a Fiber's
	 * stack starts with one (zend_fiber_function). PHP's backtraces skip it. */
	if (type == PMT_FUNC_INTERNAL && !prefix_u64(s, cfg.off.func_name))
		return 0;
	__u32 depth = w->scratch->depth;
	if (depth >= PMT_MAX_FRAMES)
		return 1;
	struct pmt_frame *frame = &w->frames[depth];
	frame->func = func;
	frame->lineno = 0;
	frame->flags = 0;
	if (type == PMT_FUNC_USER || type == PMT_FUNC_EVAL)
		frame_line(w, this_ex, opline, frame);
	w->scratch->flags |= announce_function(s, func, w->tgid);
	w->scratch->depth = depth + 1;
	return 0;
}

/* Which phase the process is in when no PHP frame is running. */
static __always_inline __u64 pseudo_frame(__u64 bias, struct pmt_proc_state *state)
{
	if (cfg.off.eg_flags) {
		__u8 flags = 0;
		bpf_probe_read_user(&flags, 1, (void *)(bias + cfg.eg_vaddr + cfg.off.eg_flags));
		if (flags & 1 /* EG_FLAGS_IN_SHUTDOWN */)
			return PMT_PSEUDO_SHUTDOWN;
	}
	if (cfg.off.cg_in_compilation && cfg.cg_vaddr) {
		__u8 compiling = 0;
		bpf_probe_read_user(&compiling, 1,
				    (void *)(bias + cfg.cg_vaddr + cfg.off.cg_in_compilation));
		if (compiling)
			return PMT_PSEUDO_COMPILE;
	}
	if (state && !state->has_executed)
		return PMT_PSEUDO_STARTUP;
	return PMT_PSEUDO_NO_FRAME;
}

/* Every frame of one stack: a global function's pointer argument names the size
 * it may access. */
struct pmt_frames {
	struct pmt_frame frame[PMT_MAX_FRAMES];
};

/*
 * Fills frames (leaf first, as walked) and returns the depth; *flags gets
 * PMT_STACK_* bits. When no PHP frame runs, one pseudo-frame is returned.
 * The stack is the current process's; vm_execute_data and vm_opline are the
 * hybrid VM's r14 and r15 in user space.
 *
 * A global function (not inlined): the verifier checks it once, on its own,
 * instead of once per call site and per path that reaches it. That is most of
 * the start-up of a session (issue 17: with the counters in the scratch, below,
 * heap_entry went from 105,506 processed instructions to 4,395).
 */
__noinline int walk_php_stack(__u64 vm_execute_data, __u64 vm_opline, __u64 bias, struct pmt_frames *frames,
			      __u32 *flags)
{
	/* a BPF call takes five arguments: the process is not one of them */
	__u32 tgid = current_tgid();
	__u32 zero = 0;
	if (!frames || !flags)
		return 0;
	struct walk_scratch *scratch = bpf_map_lookup_elem(&walk_scratch_map, &zero);
	struct pmt_proc_state *state = traced_state(tgid);
	int err = 0;
	__u64 ex = read_user_u64(bias + cfg.eg_vaddr + cfg.off.eg_current_execute_data, &err);

	*flags = 0;
	if (!scratch)
		return 0;
	if (err && state && !state->has_executed) {
		/* executor_globals lives in .bss: before start-up touches its page the
		 * read faults, and the page would read as zeroes anyway. */
		ex = 0;
		err = 0;
	}
	if (err) {
		*flags |= PMT_STACK_UNREADABLE;
		count(PMT_CNT_UNREADABLE_FRAMES);
		return 0;
	}
	if (!ex) {
		frames->frame[0].func = pseudo_frame(bias, state);
		frames->frame[0].lineno = 0;
		frames->frame[0].flags = 0;
		return 1;
	}
	if (state && !state->has_executed)
		state->has_executed = 1;

	struct walk_state w = {
		.frames = frames->frame,
		.scratch = scratch,
		.ex = ex,
		.vm_execute_data = vm_execute_data,
		.vm_opline = vm_opline,
		.bias = bias,
		.tgid = tgid,
	};
	scratch->depth = 0;
	scratch->flags = 0;
	scratch->pending = 0;
	bpf_loop(PMT_MAX_FRAMES + PMT_MAX_DELEGATION + 1, walk_one_frame, &w, 0);
	__u32 walk_flags = scratch->flags;
	if (walk_flags & PMT_STACK_TRUNCATED)
		count(PMT_CNT_TRUNCATED_STACKS);
	if (walk_flags & PMT_STACK_UNREADABLE)
		count(PMT_CNT_UNREADABLE_FRAMES);
	*flags = walk_flags;
	return scratch->depth;
}

/*
 * Sends a record that ends in an array of frames: `depth` and `flags` of the walk
 * go into the record's own fields, and only the frames in use are sent.
 */
static __always_inline int emit_stack_record(void *rec, __u64 fixed_size, __u64 max_size, __u16 *rec_depth,
					     __u32 *rec_flags, __u32 depth, __u32 flags)
{
	if (depth > PMT_MAX_FRAMES)
		depth = PMT_MAX_FRAMES;
	*rec_depth = depth;
	*rec_flags = flags;
	return emit_with_frames(rec, fixed_size, max_size, depth);
}

/* Walks the PHP stack into rec->frames and sends rec (a record type with
 * frames, depth and stack_flags fields; a macro because there are several). */
#define walk_and_emit(ctx, bias, rec, fixed_size)                                                         \
	({                                                                                                 \
		__u32 walk_flags_ = 0;                                                                     \
		const struct pmt_regs *walk_regs_ = __PT_REGS_CAST(ctx);                                   \
		__u32 walk_depth_ = walk_php_stack(walk_regs_->r14, walk_regs_->r15, bias,                 \
						   (struct pmt_frames *)(rec)->frames, &walk_flags_);      \
		emit_stack_record(rec, fixed_size, sizeof(*(rec)), &(rec)->depth, &(rec)->stack_flags,     \
				  walk_depth_, walk_flags_);                                               \
	})

#endif /* PHPMEMTRACE_PHP_STACK_BPF_H */
