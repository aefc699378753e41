#include "collect/record_view.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace pmt {
namespace {

struct Layout {
    size_t fixed = sizeof(pmt_record_header);  // bytes before the frames (or the whole record)
    size_t frames_at = 0;                       // 0: no frames
    size_t depth_at = 0;                        // offset of the __u16 depth field, with frames
};

template <typename T>
constexpr Layout with_frames(size_t fixed) {
    return {fixed, fixed, offsetof(T, depth)};
}

Layout layout_of(uint16_t kind) {
    switch (kind) {
        case PMT_REC_FUNC: return {sizeof(pmt_func_record)};
        case PMT_REC_ALLOC:
        case PMT_REC_REALLOC: return with_frames<pmt_alloc_record>(PMT_ALLOC_RECORD_FIXED_SIZE);
        case PMT_REC_FREE: return {sizeof(pmt_free_record)};
        case PMT_REC_CHECKPOINT: return {sizeof(pmt_checkpoint_record)};
        case PMT_REC_REQUEST: return {sizeof(pmt_request_record)};
        case PMT_REC_PROC_FORK:
        case PMT_REC_PROC_EXIT: return {sizeof(pmt_proc_record)};
        case PMT_REC_HEAP_RESET: return {sizeof(pmt_heap_reset_record)};
        case PMT_REC_BASELINE: return {sizeof(pmt_baseline_record)};
        case PMT_REC_HEAP_MAP:
        case PMT_REC_HEAP_UNMAP: return with_frames<pmt_heap_map_record>(PMT_HEAP_MAP_RECORD_FIXED_SIZE);
        case PMT_REC_GC_BEGIN:
        case PMT_REC_GC_END: return {sizeof(pmt_gc_record)};
        case PMT_REC_FATAL_ERROR: return with_frames<pmt_error_record>(PMT_ERROR_RECORD_FIXED_SIZE);
        case PMT_REC_FAULT: return with_frames<pmt_fault_record>(PMT_FAULT_RECORD_FIXED_SIZE);
        case PMT_REC_RESTORE_BEGIN:
        case PMT_REC_RESTORE_END: return {sizeof(pmt_restore_record)};
        default: return {};
    }
}

}  // namespace

bool RecordView::decode(const void* data, size_t size, RecordView& view) {
    if (size < sizeof(pmt_record_header)) return false;
    pmt_record_header hdr;
    std::memcpy(&hdr, data, sizeof(hdr));
    const Layout layout = layout_of(hdr.kind);
    if (size < layout.fixed) return false;
    if (reinterpret_cast<uintptr_t>(data) % alignof(Fixed) == 0) {
        view.fixed_ = static_cast<const Fixed*>(data);
    } else {
        std::memcpy(view.copy_, data, layout.fixed);
        view.fixed_ = reinterpret_cast<const Fixed*>(view.copy_);
    }
    view.data_ = data;
    view.size_ = size;
    view.frames_ = {};
    view.truncated_ = false;
    if (layout.frames_at) {
        const size_t arrived = (size - layout.frames_at) / sizeof(pmt_frame);
        uint16_t claimed = 0;
        std::memcpy(&claimed, static_cast<const char*>(data) + layout.depth_at, sizeof(claimed));
        const size_t depth = std::min<size_t>({claimed, arrived, PMT_MAX_FRAMES});
        view.truncated_ = depth < claimed;
        view.frames_ = {reinterpret_cast<const pmt_frame*>(static_cast<const char*>(data) + layout.frames_at), depth};
    }
    return true;
}

}  // namespace pmt
