/* SPDX-License-Identifier: MIT */
/*
 * Request boundaries: php_request_startup's entry, php_request_shutdown's entry
 * (the script is over, its heap not yet emptied) and return (zend_mm_shutdown has
 * reset heap->size: FPM keeps the process). One PMT_REC_REQUEST per boundary, with
 * the heap's figures and SG(request_info) as the SAPI set it. The allocation
 * figures freeze at the script's end, the heap timeline makes requests of them,
 * the fault tracer per-request fault windows.
 *
 * Needs: common.bpf.h included first.
 */
#ifndef PHPMEMTRACE_REQUESTS_BPF_H
#define PHPMEMTRACE_REQUESTS_BPF_H

/* The record (400+ bytes) lives here: on the BPF stack it would join the stack
 * walker's callback in the return program's combined stack, past 512 bytes. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pmt_request_record);
} request_scratch SEC(".maps");

static __always_inline void read_sg_string(char *dst, __u32 len, __u64 bias, __u32 offset)
{
	dst[0] = 0;
	if (!offset)
		return;
	int err = 0;
	__u64 ptr = read_user_u64(bias + cfg.sg_vaddr + offset, &err);
	if (!err && ptr)
		bpf_probe_read_user_str(dst, len, (void *)ptr);
}

/* bias 0: not known (a return probe before any entry), no heap figures. */
static __always_inline int emit_request(__u32 tgid, __u64 bias, __u16 flags, bool request_info)
{
	__u32 zero = 0;
	struct pmt_request_record *rec = bpf_map_lookup_elem(&request_scratch, &zero);
	if (!rec)
		return 0;
	fill_header(&rec->hdr, PMT_REC_REQUEST, tgid);
	__builtin_memset(&rec->heap, 0, sizeof(rec->heap));
	rec->hdr.flags = (bias ? read_heap_state(bias, &rec->heap) : 0) | flags;
	rec->method[0] = rec->uri[0] = rec->query[0] = 0;
	if (request_info && bias && cfg.sg_vaddr) {
		read_sg_string(rec->method, sizeof(rec->method), bias, cfg.off.sg_request_method);
		read_sg_string(rec->uri, sizeof(rec->uri), bias, cfg.off.sg_request_uri);
		if (!rec->uri[0]) /* CLI: no request_uri, the script path instead */
			read_sg_string(rec->uri, sizeof(rec->uri), bias, cfg.off.sg_path_translated);
		read_sg_string(rec->query, sizeof(rec->query), bias, cfg.off.sg_query_string);
	}
	emit(rec, sizeof(*rec));
	return 0;
}

static __always_inline int request_entry(struct pt_regs *ctx, __u64 cookie, __u32 tgid)
{
	bool startup = PMT_COOKIE_KIND(cookie) == PMT_PROBE_REQUEST_STARTUP;
	return emit_request(tgid, load_bias(ctx, cookie), startup ? PMT_REQUEST_BEGIN : 0, true);
}

static __always_inline int request_done(__u32 tgid)
{
	if (!traced_state(tgid))
		return 0;
	return emit_request(tgid, return_bias(tgid), PMT_REQUEST_DONE, false);
}

#endif /* PHPMEMTRACE_REQUESTS_BPF_H */
