// One ring buffer record, checked once against its kind's layout: the Collector
// decodes each record here and hands the same view to every module.
//
// Records are untrusted (a full ring, a bug, a fuzzer): a record shorter than its
// kind's fixed part is malformed; frames are clamped to the depth the record
// claims and to the bytes that arrived. The view reads the record in place (ring
// buffer records are 8-byte aligned); only a misaligned one (a fuzzer's input) is
// copied first. Only the fixed part of the kind's struct may be read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "phpmemtrace.h"

namespace pmt {

class RecordView {
public:
    RecordView() {}
    // Decodes into `into` (reused: a view holds 8 KiB of storage for misaligned
    // records, never touched otherwise); false: malformed (too short for its
    // kind). Unknown kinds pass with their header.
    static bool decode(const void* data, size_t size, RecordView& into);

    const pmt_record_header& header() const { return fixed_->hdr; }
    uint16_t kind() const { return fixed_->hdr.kind; }
    uint32_t tgid() const { return fixed_->hdr.tgid; }
    const void* data() const { return data_; }
    size_t size() const { return size_; }
    // Leaf first; empty for kinds without a stack.
    std::span<const pmt_frame> frames() const { return frames_; }
    // The record claims more frames than arrived.
    bool frames_truncated() const { return truncated_; }

    // The record as its kind's struct (only the accessor of its kind is meaningful).
    const pmt_func_record& func() const { return fixed_->func; }
    const pmt_alloc_record& alloc() const { return fixed_->alloc; }  // ALLOC and REALLOC
    const pmt_free_record& free() const { return fixed_->free; }
    const pmt_checkpoint_record& checkpoint() const { return fixed_->checkpoint; }
    const pmt_request_record& request() const { return fixed_->request; }
    const pmt_proc_record& proc() const { return fixed_->proc; }  // PROC_FORK and PROC_EXIT
    const pmt_heap_reset_record& heap_reset() const { return fixed_->heap_reset; }
    const pmt_baseline_record& baseline() const { return fixed_->baseline; }
    const pmt_heap_map_record& heap_map() const { return fixed_->heap_map; }  // HEAP_MAP and HEAP_UNMAP
    const pmt_gc_record& gc() const { return fixed_->gc; }
    const pmt_error_record& error() const { return fixed_->error; }
    const pmt_fault_record& fault() const { return fixed_->fault; }
    const pmt_restore_record& restore() const { return fixed_->restore; }

private:
    // Only the fixed part (before any frames) is ever written or read.
    union Fixed {
        pmt_record_header hdr;
        pmt_func_record func;
        pmt_alloc_record alloc;
        pmt_free_record free;
        pmt_checkpoint_record checkpoint;
        pmt_request_record request;
        pmt_proc_record proc;
        pmt_heap_reset_record heap_reset;
        pmt_baseline_record baseline;
        pmt_heap_map_record heap_map;
        pmt_gc_record gc;
        pmt_error_record error;
        pmt_fault_record fault;
        pmt_restore_record restore;
    };
    const Fixed* fixed_ = nullptr;  // the record itself, or copy_
    alignas(Fixed) unsigned char copy_[sizeof(Fixed)];
    const void* data_ = nullptr;
    size_t size_ = 0;
    std::span<const pmt_frame> frames_;
    bool truncated_ = false;
};

}  // namespace pmt
