/* SPDX-License-Identifier: MIT */
/*
 * The one header shared by the BPF programs and the C++ collector.
 *
 * Everything that crosses the kernel/user boundary is declared here: the records
 * streamed through the ring buffer, the counters the BPF side bumps when it has to
 * drop or skip something, the probe "cookies" that tell a shared BPF program which
 * allocator function fired, and the configuration user space writes into .rodata
 * before the programs are loaded. Plain fixed-width types only, so both compilers
 * lay the structs out identically (the C++ side static_asserts the sizes).
 */
#ifndef PHPMEMTRACE_SHARED_H
#define PHPMEMTRACE_SHARED_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/*
 * Size of a record's fixed part (before its frames). The compiler's builtin, not
 * `&((struct x *)0)->field`: that member access through a null pointer is
 * undefined behaviour in C++, which UBSan reports, and not a constant expression.
 */
#define PMT_OFFSET_OF(type, field) ((unsigned long)__builtin_offsetof(struct type, field))

/* Hard upper bound for --max-frames; the default walk depth is 128. */
#define PMT_MAX_FRAMES 512
#define PMT_DEFAULT_FRAMES 128

#define PMT_FUNC_NAME_LEN 96
#define PMT_CLASS_NAME_LEN 96
#define PMT_FILE_NAME_LEN 256

/* Zend memory manager geometry (Zend/zend_alloc.h; identical in PHP 7.4 - 8.5). */
#define PMT_ZEND_CHUNK_SIZE (2u * 1024 * 1024)
#define PMT_ZEND_PAGE_SIZE 4096u
#define PMT_ZEND_MAX_SMALL_SIZE 3072u
#define PMT_ZEND_MAX_LARGE_SIZE (PMT_ZEND_CHUNK_SIZE - PMT_ZEND_PAGE_SIZE)
#define PMT_ZEND_BIN_COUNT 30
/* zend_mm_page_info bits (Zend/zend_alloc.c) */
#define PMT_ZEND_MM_IS_SRUN 0x80000000u
#define PMT_ZEND_MM_IS_LRUN 0x40000000u
#define PMT_ZEND_MM_SRUN_BIN_MASK 0x0000001fu
#define PMT_ZEND_MM_LRUN_PAGES_MASK 0x000003ffu /* ZEND_MM_LRUN_PAGES_MASK, at offset 0 */
#define PMT_ZEND_MM_LRUN_PAGES_SHIFT 0

/* What a ring buffer record is. Every record starts with struct pmt_record_header. */
enum pmt_record_kind {
	PMT_REC_FUNC = 1,      /* names of a PHP function, sent before the first record using it */
	PMT_REC_ALLOC = 2,     /* a block was allocated (with the PHP stack) */
	PMT_REC_FREE = 3,      /* a block is about to be freed */
	PMT_REC_REALLOC = 4,   /* a block was resized, maybe moved (with the PHP stack) */
	PMT_REC_CHECKPOINT = 5,/* zend_memory_usage() returned: PHP's own view of the heap */
	PMT_REC_REQUEST = 6,   /* a request boundary (PMT_REQUEST_* flags), with SG(request_info) */
	PMT_REC_PROC_FORK = 8,     /* a traced process forked a child that is now traced too */
	PMT_REC_PROC_EXIT = 9,     /* a traced process exited, or exec'd (PMT_PROC_EXEC) */
	PMT_REC_HEAP_RESET = 10,   /* zend_mm_shutdown(): every block is released wholesale */
	PMT_REC_BASELINE = 11,     /* attached by PID: heap->size at the first traced call */
	/* 16..31: heap structure records (chunks, huge blocks, GC), heap.bpf.c */
	PMT_REC_HEAP_MAP = 16,     /* the Zend heap mapped a 2 MiB chunk or a huge block */
	PMT_REC_HEAP_UNMAP = 17,   /* ... and unmapped one (chunk released, huge block freed) */
	PMT_REC_GC_BEGIN = 18,     /* zend_gc_collect_cycles() entered */
	PMT_REC_GC_END = 19,       /* zend_gc_collect_cycles() returned (collected items) */
	PMT_REC_FATAL_ERROR = 20,  /* zend_error_zstr_at() with a fatal type (memory_limit!) */
	/* 32..47: page-fault records, see the page-fault issue */
	PMT_REC_FAULT = 32,        /* a user page fault of a traced process (faults.bpf.c) */
	PMT_REC_RESTORE_BEGIN = 33, /* a heap snapshot-restore function of the target was entered */
	PMT_REC_RESTORE_END = 34,   /* ... and returned (faults.bpf.c, uprobes found by name) */
};

/*
 * Which probed function fired; stored in bits 56..63 of the attach cookie. The one
 * numbering of every uprobe of every BPF object (the probe table,
 * userspace/attach/probe_table.cpp, says which object's programs serve each).
 */
enum pmt_probe_kind {
	PMT_PROBE_EMALLOC = 1,        /* _emalloc(size) and wrappers that jump to it */
	PMT_PROBE_EMALLOC_FIXED = 2,  /* _emalloc_N(): size N is in the cookie */
	PMT_PROBE_EMALLOC_SIZED = 3,  /* _emalloc_large(size), _emalloc_huge(size) */
	PMT_PROBE_ZEND_MM_ALLOC = 4,  /* _zend_mm_alloc(heap, size) */
	PMT_PROBE_EFREE = 5,          /* _efree(ptr) */
	PMT_PROBE_EFREE_FIXED = 6,    /* _efree_N(ptr): size N is in the cookie */
	PMT_PROBE_EFREE_SIZED = 7,    /* _efree_large(ptr, size), _efree_huge(ptr, size) */
	PMT_PROBE_ZEND_MM_FREE = 8,   /* _zend_mm_free(heap, ptr) */
	PMT_PROBE_EREALLOC = 9,       /* _erealloc(ptr, size), _erealloc2(ptr, size, copy) */
	PMT_PROBE_ZEND_MM_REALLOC = 10, /* _zend_mm_realloc[2](heap, ptr, size[, copy]) */
	PMT_PROBE_MEMORY_USAGE = 11,  /* zend_memory_usage(real) */
	PMT_PROBE_REQUEST_STARTUP = 12,
	PMT_PROBE_REQUEST_SHUTDOWN = 13,
	PMT_PROBE_MM_SHUTDOWN = 14,   /* zend_mm_shutdown(heap, full, silent) */
	/* heap.bpf.c */
	PMT_PROBE_CHUNK_ALLOC = 15,   /* zend_mm_chunk_alloc_int(size, alignment) */
	PMT_PROBE_CHUNK_FREE = 16,    /* zend_mm_chunk_free(heap, addr, size) */
	PMT_PROBE_GC = 17,            /* zend_gc_collect_cycles() */
	PMT_PROBE_ERROR = 18,         /* zend_error_zstr_at(type, file, line, message) */
	/* faults.bpf.c */
	PMT_PROBE_RESTORE = 19,       /* a snapshot-restore function; arg: its index */
	/* memtrace.bpf.c, the agent's slow paths (static: found by disassembly) */
	PMT_PROBE_SMALL_REFILL = 20,  /* zend_mm_alloc_small_slow(heap, bin): a bin's page run */
	PMT_PROBE_ALLOC_LARGE = 21,   /* zend_mm_alloc_large(heap, size), from _emalloc */
	PMT_PROBE_ALLOC_HUGE = 22,    /* zend_mm_alloc_huge(heap, size) */
	PMT_PROBE_FREE_PAGES = 23,    /* zend_mm_free_pages_ex(heap, chunk, page, count, ...) */
	PMT_PROBE_FREE_HUGE = 24,     /* zend_mm_free_huge(heap, ptr) */
	PMT_PROBE__MAX = 32,
};

/*
 * Attach cookie layout: bits 0..39 the function's link-time address in the PHP
 * binary (lets the BPF side compute the load bias from the probed IP, so one set of
 * programs serves every process, fork and exec of that binary); bits 40..55 a
 * probe argument (the fixed size N of _emalloc_N/_efree_N); bits 56..63 the kind.
 */
#define PMT_COOKIE_VADDR_MASK ((1ull << 40) - 1)
#define PMT_COOKIE(kind, arg, vaddr)                                          \
	(((__u64)(kind) << 56) | (((__u64)(arg) & 0xffff) << 40) |              \
	 ((__u64)(vaddr) & PMT_COOKIE_VADDR_MASK))
#define PMT_COOKIE_KIND(c) ((__u32)((c) >> 56))
#define PMT_COOKIE_ARG(c) ((__u32)(((c) >> 40) & 0xffff))
#define PMT_COOKIE_VADDR(c) ((c) & PMT_COOKIE_VADDR_MASK)

/*
 * A frame's `func` is the zend_function pointer in the target. Values below
 * PMT_PSEUDO_MAX are pseudo-frames: the allocation happened while no PHP frame
 * was running, and this says in which phase.
 */
enum pmt_pseudo_frame {
	PMT_PSEUDO_STARTUP = 1,   /* before the first PHP frame ran (module start-up) */
	PMT_PSEUDO_COMPILE = 2,   /* compiling a script with no frame on the stack */
	PMT_PSEUDO_SHUTDOWN = 3,  /* request / engine shutdown */
	PMT_PSEUDO_NO_FRAME = 4,  /* between requests, or the phase is unknown */
	PMT_PSEUDO_MAX = 16,
};

/* pmt_frame.flags */
#define PMT_FRAME_LINE_FROM_REGISTER 0x1 /* leaf opline taken from the VM's r15 */
#define PMT_FRAME_LINE_UNKNOWN 0x2       /* no reliable opline for this frame */

struct pmt_frame {
	__u64 func;
	__u32 lineno;
	__u32 flags;
};

/* pmt_stack flags (in alloc records) */
#define PMT_STACK_TRUNCATED 0x1   /* deeper than max_frames */
#define PMT_STACK_UNREADABLE 0x2  /* a frame could not be read; walk stopped there */
#define PMT_STACK_UNNAMED 0x4     /* a function's names could not be sent (ring full) */

struct pmt_record_header {
	__u16 kind;  /* enum pmt_record_kind */
	__u16 flags;
	__u32 tgid;
	__u64 ts_ns; /* bpf_ktime_get_ns() */
};

/* zend_function.type values */
#define PMT_FUNC_INTERNAL 1
#define PMT_FUNC_USER 2
#define PMT_FUNC_EVAL 4
/* zval type of an object (IS_OBJECT, the same in 7.4 - 8.5) */
#define PMT_ZEND_IS_OBJECT 8
/* `yield from` generators expanded per placeholder frame; a longer chain is truncated */
#define PMT_MAX_DELEGATION 16

struct pmt_func_record {
	struct pmt_record_header hdr;
	__u64 func;        /* zend_function* in the target */
	__u8 type;         /* PMT_FUNC_* */
	__u8 has_name;     /* 0: top-level code of a file ({main}) */
	__u16 reserved;
	__u32 line_start;
	char function[PMT_FUNC_NAME_LEN];
	char class_name[PMT_CLASS_NAME_LEN];
	char file[PMT_FILE_NAME_LEN];
};

/* PMT_REC_ALLOC and PMT_REC_REALLOC; only `depth` frames are sent. */
struct pmt_alloc_record {
	struct pmt_record_header hdr;
	__u64 ptr;       /* the block returned */
	__u64 size;      /* requested size */
	__u64 old_ptr;   /* realloc: the block passed in (0 for plain allocs) */
	__u32 old_size;  /* realloc: size of old_ptr from the chunk page map, 0 = unknown */
	__u8 probe;      /* enum pmt_probe_kind */
	__u8 reserved;
	__u16 depth;
	__u32 stack_flags;
	__u32 reserved2;
	struct pmt_frame frames[PMT_MAX_FRAMES];
};
#define PMT_ALLOC_RECORD_FIXED_SIZE PMT_OFFSET_OF(pmt_alloc_record, frames)

struct pmt_free_record {
	struct pmt_record_header hdr;
	__u64 ptr;
	__u64 size;     /* size passed by the caller (_efree_N, _efree_large/huge), 0 = not passed */
	__u64 map_size; /* size read from the chunk page map at free time, 0 = unknown */
	__u8 probe;
	__u8 reserved[7];
};

struct pmt_checkpoint_record {
	struct pmt_record_header hdr;
	__u64 returned;      /* what zend_memory_usage() returned */
	__u64 heap_size;     /* heap->size read at return (0 if the heap layout is unknown) */
	__u64 heap_real_size;/* heap->real_size read at return */
	__u8 real;           /* the argument: memory_get_usage(true)? */
	__u8 heap_read_ok;
	__u8 reserved[6];
};

/*
 * PMT_REC_HEAP_RESET: at the end of every request (FPM) and of the process, the
 * heap is emptied without an efree per block; heap->size restarts from 0.
 */
struct pmt_heap_reset_record {
	struct pmt_record_header hdr;
	__u8 full;   /* the heap itself is destroyed (process end) */
	__u8 silent;
	__u8 reserved[6];
};

/*
 * PMT_REC_BASELINE: what the heap held before the tracer saw anything, read by the
 * first entry probe that fires in a process attached mid-run, before its own call
 * changes the heap. Read any earlier (from user space, before attaching) and the
 * allocations made while the probes attach would be neither baseline nor traced.
 */
struct pmt_baseline_record {
	struct pmt_record_header hdr;
	__u64 heap_size;
};

/* pmt_record_header.flags of PMT_REC_PROC_EXIT: the process exec'd a new image
 * (its PHP heap is gone, the process lives on and stays traced). */
#define PMT_PROC_EXEC 0x1

struct pmt_proc_record {
	struct pmt_record_header hdr;
	__u32 child_tgid;    /* PMT_REC_PROC_FORK */
	__s32 exit_code;     /* PMT_REC_PROC_EXIT */
};

/*
 * PMT_REC_FAULT. Timed from the exceptions:page_fault_{user,kernel} tracepoint (the
 * fault entered the kernel) to the PERF_COUNT_SW_PAGE_FAULTS_{MIN,MAJ} software event
 * (counted at the end of handle_mm_fault); see docs/page-faults.md. The VMA fields are
 * what bpf_find_vma() saw at the end of the fault (vm_start = 0: not looked up).
 */
#define PMT_FAULT_ERR_PRESENT 0x1 /* x86 error_code: the page was mapped (protection fault) */
#define PMT_FAULT_ERR_WRITE 0x2
#define PMT_FAULT_ERR_USER 0x4
#define PMT_FAULT_ERR_INSTR 0x10

/* pmt_fault_record.flags */
#define PMT_FAULT_MAJOR 0x1      /* accounted as a major fault (I/O, or retried) */
#define PMT_FAULT_IN_KERNEL 0x2  /* raised by kernel code touching user memory (copy_to_user) */
#define PMT_FAULT_ZEND_CHUNK 0x4 /* in a 2 MiB chunk whose header points to the Zend heap */
#define PMT_FAULT_VM_STACK 0x8   /* in a page of the PHP VM stack (EG(vm_stack) chain) */
#define PMT_FAULT_NO_VMA 0x10    /* bpf_find_vma() failed: classify from /proc/PID/maps */

/* pmt_fault_record.vm_flags: the kernel's VM_* bits (include/linux/mm.h) */
#define PMT_VM_READ 0x1ull
#define PMT_VM_WRITE 0x2ull
#define PMT_VM_EXEC 0x4ull
#define PMT_VM_SHARED 0x8ull
#define PMT_VM_GROWSDOWN 0x100ull

#define PMT_FAULT_FILE_LEN 32
#define PMT_FAULT_DEFAULT_FRAMES 64

struct pmt_fault_record {
	struct pmt_record_header hdr;
	__u64 addr;        /* faulting address */
	__u64 ip;          /* instruction that faulted (a kernel IP when IN_KERNEL) */
	__u64 ns;          /* kernel time: tracepoint -> end of handle_mm_fault */
	__u64 vm_start;
	__u64 vm_end;
	__u64 vm_flags;
	__u64 vm_pgoff;
	__u32 error_code;  /* PMT_FAULT_ERR_* */
	__u32 flags;       /* PMT_FAULT_* */
	__u32 tid;
	__u16 depth;       /* frames sent */
	__u16 reserved;
	__u32 stack_flags; /* PMT_STACK_* */
	__u32 reserved2;
	char file[PMT_FAULT_FILE_LEN]; /* mapped file's name ("" anonymous; "dev/zero" shared anonymous) */
	struct pmt_frame frames[PMT_MAX_FRAMES];
};
#define PMT_FAULT_RECORD_FIXED_SIZE PMT_OFFSET_OF(pmt_fault_record, frames)

/* PMT_REC_RESTORE_BEGIN / _END: bracket one call of a snapshot-restore function. */
struct pmt_restore_record {
	struct pmt_record_header hdr;
	__u32 tid;
	__u32 function; /* index in the list of functions user space attached (attach cookie) */
};

/* faults.bpf.c's own per-CPU counters (map fault_counters), printed at session end. */
enum pmt_fault_counter {
	PMT_FCNT_STARTS = 0,      /* fault tracepoints seen for traced processes */
	PMT_FCNT_ENDS,            /* end events matched with their start (= records tried) */
	PMT_FCNT_UNMATCHED_END,   /* end event without a start (attached mid-fault, nested) */
	PMT_FCNT_ADDR_MISMATCH,   /* end event for another page than the pending start */
	PMT_FCNT_NO_VMA,          /* bpf_find_vma() failed (mmap lock busy) */
	PMT_FCNT_NO_BIAS,         /* PHP binary's load bias unknown: no stack, no VM stack check */
	PMT_FCNT__MAX = 8,
};

/* Probes of a session are attached to each process in this many groups, each its
 * own links (record and top: all in group 0; the agent: docs/agent.md). */
#define PMT_TRAP_GROUPS 4

/* Value of the `traced` map (key: tgid): a process is traced iff it has an entry. */
struct pmt_proc_state {
	__u64 bias;        /* load bias of the PHP binary, learnt at the first entry probe */
	__u8 has_executed; /* a PHP frame has been seen: no longer in start-up */
	__u8 baseline_pending; /* attached mid-run: send PMT_REC_BASELINE at the first entry */
	__u8 reserved[6];
	/* Entry hits of this process per trap group (cfg.trap_group of the probe's
	 * kind): the links a session can detach from one process (the agent's budget). */
	__u64 traps[PMT_TRAP_GROUPS];
};

/* Counters the BPF side bumps instead of failing silently (a per-CPU array). */
enum pmt_counter {
	PMT_CNT_LOST_RECORDS = 0,      /* ring buffer full: record dropped */
	PMT_CNT_TRUNCATED_STACKS,      /* walk stopped at max_frames */
	PMT_CNT_UNREADABLE_FRAMES,     /* bpf_probe_read_user failed mid-walk */
	PMT_CNT_LOST_FUNC_NAMES,       /* a FUNC record could not be sent */
	PMT_CNT_UNTRACED_CHILDREN,     /* a child could not be added to `traced` (map full) */
	PMT_CNT_UNPAIRED_RETURNS,      /* return probe without its entry (attached mid-call) */
	PMT_CNT_BAD_HEAP_READ,         /* AG(mm_heap), heap figures or a page-map entry unreadable */
	PMT_CNT__MAX = 16,
};

/*
 * Every offset into a PHP structure that the BPF programs (and user space) use.
 * The engine's come from the per-version table (userspace/target/php_offsets.cpp),
 * the heap's from the binary's own code (userspace/target/heap_layout.cpp). No
 * other file writes a PHP struct offset (tests/tools/check_offsets.py). 0 means
 * "unknown" for the optional ones.
 */
struct pmt_php_offsets {
	__u32 eg_current_execute_data;
	__u32 eg_vm_stack;             /* EG(vm_stack): the VM stack's newest page */
	__u32 eg_flags;                /* optional: EG(flags) for the shutdown pseudo-frame */
	__u32 cg_in_compilation;       /* optional: CG(in_compilation) */
	__u32 vm_stack_end;            /* struct _zend_vm_stack {top, end, prev} */
	__u32 vm_stack_prev;
	__u32 ex_opline;
	__u32 ex_func;
	__u32 ex_prev_execute_data;
	__u32 ex_this;                 /* zval This: a generator's placeholder frame holds it */
	__u32 func_type;
	__u32 func_name;
	__u32 func_scope;
	__u32 op_last;
	__u32 op_opcodes;
	__u32 op_filename;
	__u32 op_line_start;
	__u32 opline_lineno;
	__u32 opline_size;
	__u32 ce_name;
	__u32 zstr_val;
	__u32 obj_ce;                  /* zend_object.ce */
	/* zend_generator, for `yield from` chains (zend_generator_check_placeholder_frame) */
	__u32 generator_execute_data;
	__u32 generator_node_parent;   /* node.parent: the generator this one delegates to */
	/* sapi_globals_struct: request_info's strings */
	__u32 sg_request_method;
	__u32 sg_query_string;
	__u32 sg_path_translated;
	__u32 sg_request_uri;
	/* Heap layout, from disassembly of exported allocator functions (0: unknown). */
	__u32 heap_size;
	__u32 heap_real_size;
	__u32 heap_peak;               /* zend_memory_peak_usage */
	__u32 heap_limit;              /* zend_set_memory_limit */
	__u32 heap_huge_list;          /* zend_mm_free_huge */
	__u32 huge_list_size;          /* zend_mm_huge_list {ptr, size, next} */
	__u32 huge_list_next;
	__u32 chunk_map;               /* offsetof(zend_mm_chunk, map) */
	__u32 chunk_heap_slot;         /* offsetof(zend_mm_chunk, heap_slot) */
	/* Read by the snapshot only (userspace/snapshot/), never by BPF. */
	__u32 heap_use_custom_heap;    /* zend_mm_heap.use_custom_heap: != 0, not the Zend heap */
	__u32 heap_free_slot;          /* zend_mm_heap.free_slot[ZEND_MM_BINS] */
	__u32 free_slot_next;          /* zend_mm_free_slot.next_free_slot */
	__u32 chunk_heap;              /* zend_mm_chunk {heap, next, prev, ...} */
	__u32 chunk_next;
	__u32 huge_list_ptr;
};

struct pmt_config {
	struct pmt_php_offsets off;
	__u64 eg_vaddr;       /* executor_globals, link-time address */
	__u64 cg_vaddr;       /* compiler_globals, link-time address */
	__u64 heap_ptr_vaddr; /* &alloc_globals.mm_heap, link-time address (0: unknown) */
	__u64 sg_vaddr;       /* sapi_globals, link-time address (0: no request info) */
	__u64 ce_generator_vaddr; /* &zend_ce_generator, link-time address (0: unknown) */
	__u32 max_frames;
	__u32 follow_forks;   /* trace children of traced processes */
	__u32 bin_sizes[PMT_ZEND_BIN_COUNT];
	__u32 bin_pages[PMT_ZEND_BIN_COUNT]; /* pages of one run of each bin (a refill) */
	__u32 ring_wakeup_bytes; /* wake the consumer past this much unread data (0: always) */
	__u8 trap_group[PMT_PROBE__MAX]; /* per probe kind: its pmt_proc_state.traps[] slot */
};

/* ---- heap structure (heap.bpf.c, records 16..31) ------------------------------ */

/* Heap figures read from zend_mm_heap when a heap record is made (0: unknown/unread). */
struct pmt_heap_state {
	__u64 size;      /* heap->size: memory_get_usage() */
	__u64 real_size; /* heap->real_size: memory_get_usage(true) */
	__u64 peak;      /* heap->peak: memory_get_peak_usage() */
	__u64 limit;     /* heap->limit: memory_limit in bytes */
};

/* pmt_record_header.flags of heap and request records */
#define PMT_HEAP_HUGE 0x1        /* MAP/UNMAP: a huge block (else a 2 MiB chunk) */
#define PMT_HEAP_STATE_OK 0x2    /* heap state was read */
#define PMT_REQUEST_BEGIN 0x4    /* REQUEST: php_request_startup entered */
#define PMT_REQUEST_DONE 0x8     /* REQUEST: php_request_shutdown returned (heap reset) */
/* A REQUEST record with neither: php_request_shutdown entered, the script is over. */

/* PMT_REC_HEAP_MAP / UNMAP; only `depth` frames are sent. */
struct pmt_heap_map_record {
	struct pmt_record_header hdr;
	__u64 addr;
	__u64 size;      /* bytes mapped or unmapped */
	struct pmt_heap_state heap;
	__u16 depth;
	__u16 reserved;
	__u32 stack_flags;
	struct pmt_frame frames[PMT_MAX_FRAMES];
};
#define PMT_HEAP_MAP_RECORD_FIXED_SIZE PMT_OFFSET_OF(pmt_heap_map_record, frames)

/* PMT_REC_GC_BEGIN / GC_END */
struct pmt_gc_record {
	struct pmt_record_header hdr;
	__s64 collected;  /* GC_END: return value of zend_gc_collect_cycles() */
	struct pmt_heap_state heap;
};

#define PMT_ERROR_MESSAGE_LEN 160
/* PMT_REC_FATAL_ERROR: where the fatal error was raised and what it said. */
struct pmt_error_record {
	struct pmt_record_header hdr;
	__u32 type;      /* E_ERROR, ... */
	__u32 lineno;
	struct pmt_heap_state heap;
	char message[PMT_ERROR_MESSAGE_LEN];
	__u16 depth;
	__u16 reserved;
	__u32 stack_flags;
	struct pmt_frame frames[PMT_MAX_FRAMES];
};
#define PMT_ERROR_RECORD_FIXED_SIZE PMT_OFFSET_OF(pmt_error_record, frames)

#define PMT_REQ_METHOD_LEN 16
#define PMT_REQ_URI_LEN 224
#define PMT_REQ_QUERY_LEN 128
/* PMT_REC_REQUEST: a request boundary, with SG(request_info) as the SAPI set it. */
struct pmt_request_record {
	struct pmt_record_header hdr;
	struct pmt_heap_state heap;
	char method[PMT_REQ_METHOD_LEN];
	char uri[PMT_REQ_URI_LEN];     /* SG(request_info).request_uri, else path_translated */
	char query[PMT_REQ_QUERY_LEN]; /* SG(request_info).query_string */
};

/* Call sites of zend_mm_chunk_alloc_int inside zend_mm_alloc_huge that heap.bpf.c
 * can tell apart (the huge_call_returns array in its .rodata). */
#define PMT_HUGE_CALL_SITES 4


#endif /* PHPMEMTRACE_SHARED_H */
