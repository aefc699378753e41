#include "snapshot/heap_blocks.h"

#include "collect/zend_sizes.h"
#include "snapshot/heap_bytes.h"

namespace pmt {
namespace {

constexpr uint32_t kPages = PMT_ZEND_CHUNK_SIZE / PMT_ZEND_PAGE_SIZE;  // 512
constexpr uint32_t kFirstPage = 1;  // page 0 is the chunk's own header
constexpr uint32_t kSlotGrain = 8;  // every bin size is a multiple of 8
constexpr uint32_t kBitsPerChunk = PMT_ZEND_CHUNK_SIZE / kSlotGrain;
// ZEND_MM_NRUN: the later pages of a multi-page small run carry both flags and
// their distance from the run's first page.
constexpr uint32_t kNrunOffsetMask = 0x01ff0000u;
constexpr uint32_t kNrunOffsetShift = 16;

uint32_t elements_of_bin(uint32_t bin) { return zend::kBinPages[bin] * PMT_ZEND_PAGE_SIZE / zend::kBinSizes[bin]; }

}  // namespace

const char* block_kind_name(BlockKind kind) {
    switch (kind) {
        case BlockKind::Small: return "small";
        case BlockKind::Large: return "large";
        case BlockKind::Huge: return "huge";
    }
    return "?";
}

uint64_t HeapCensus::blocks() const {
    uint64_t n = large.blocks + huge.blocks;
    for (const auto& b : small) n += b.blocks;
    return n;
}

uint64_t HeapCensus::blocks_bytes() const {
    uint64_t n = large.bytes + huge.bytes;
    for (const auto& b : small) n += b.bytes;
    return n;
}

HeapBlocks::HeapBlocks(const HeapCopy& copy, const pmt_php_offsets& off) : copy_(copy) {
    const auto heap = copy.heap_struct();
    census_.size = load_u64(heap, off.heap_size).value_or(0);
    census_.real_size = load_u64(heap, off.heap_real_size).value_or(0);
    if (off.heap_peak) census_.peak = load_u64(heap, off.heap_peak).value_or(0);
    census_.chunks = copy.chunks.size();
    census_.mapped_bytes = copy.bytes_copied;
    std::vector<std::vector<int32_t>> run_of_page(copy.chunks.size());
    free_bits_.resize(copy.chunks.size());
    for (uint32_t c = 0; c < copy.chunks.size(); ++c) read_page_map(c, off, run_of_page[c]);
    read_free_lists(off, run_of_page);
    count();
}

void HeapBlocks::read_page_map(uint32_t chunk, const pmt_php_offsets& off, std::vector<int32_t>& run_of_page) {
    const auto bytes = copy_.chunks[chunk].bytes;
    run_of_page.assign(kPages, -1);
    auto info_at = [&](uint32_t page) { return load<uint32_t>(bytes, off.chunk_map + uint64_t{page} * 4); };
    bool has_small = false;
    for (uint32_t page = kFirstPage; page < kPages;) {
        auto info = info_at(page);
        if (!info) {  // no map in this copy (chunk_map unknown or past the copy)
            census_.bad_page_entries++;
            return;
        }
        Run run{chunk, static_cast<uint16_t>(page), 0, 0, false};
        if ((*info & PMT_ZEND_MM_IS_SRUN) && !(*info & PMT_ZEND_MM_IS_LRUN)) {
            run.small = true;
            run.bin = static_cast<uint8_t>(*info & PMT_ZEND_MM_SRUN_BIN_MASK);
            if (run.bin >= PMT_ZEND_BIN_COUNT) run.pages = 0;
            else run.pages = static_cast<uint16_t>(zend::kBinPages[run.bin]);
            // Its later pages say they belong to it; a run that does not hold
            // together is not trusted.
            for (uint32_t i = 1; run.pages && i < run.pages && page + i < kPages; ++i) {
                auto later = info_at(page + i);
                const uint32_t want = PMT_ZEND_MM_IS_SRUN | PMT_ZEND_MM_IS_LRUN | run.bin | (i << kNrunOffsetShift);
                if (!later || (*later & (PMT_ZEND_MM_IS_SRUN | PMT_ZEND_MM_IS_LRUN | PMT_ZEND_MM_SRUN_BIN_MASK |
                                         kNrunOffsetMask)) != want)
                    run.pages = 0;
            }
        } else if (!(*info & PMT_ZEND_MM_IS_SRUN) && (*info & PMT_ZEND_MM_IS_LRUN)) {
            run.pages = static_cast<uint16_t>((*info & PMT_ZEND_MM_LRUN_PAGES_MASK) >> PMT_ZEND_MM_LRUN_PAGES_SHIFT);
        } else if (*info == 0) {
            census_.free_pages++;
            ++page;
            continue;
        }
        if (run.pages == 0 || page + run.pages > kPages) {
            census_.bad_page_entries++;
            ++page;
            continue;
        }
        for (uint32_t i = 0; i < run.pages; ++i) run_of_page[page + i] = static_cast<int32_t>(runs_.size());
        has_small |= run.small;
        runs_.push_back(run);
        page += run.pages;
    }
    if (has_small) free_bits_[chunk].assign(kBitsPerChunk / 64, 0);
}

void HeapBlocks::read_free_lists(const pmt_php_offsets& off, const std::vector<std::vector<int32_t>>& run_of_page) {
    std::array<uint64_t, PMT_ZEND_BIN_COUNT> elements{};
    for (const Run& r : runs_)
        if (r.small) elements[r.bin] += elements_of_bin(r.bin);
    const auto heap = copy_.heap_struct();
    for (uint32_t bin = 0; bin < PMT_ZEND_BIN_COUNT; ++bin) {
        auto slot = load_u64(heap, off.heap_free_slot + uint64_t{bin} * 8);
        // A list cannot hold more slots than its bin's runs have: a longer one loops.
        for (uint64_t steps = 0; slot && *slot; ++steps) {
            const HeapRegion* region = copy_.chunk_of(*slot);
            const uint64_t offset = region ? *slot - region->address : 0;
            const uint32_t page = static_cast<uint32_t>(offset / PMT_ZEND_PAGE_SIZE);
            if (!region || page < kFirstPage || steps >= elements[bin]) {
                census_.bad_free_slots++;
                break;
            }
            const auto chunk = static_cast<uint32_t>(region - copy_.chunks.data());
            const int32_t run_index = run_of_page[chunk][page];
            const Run* run = run_index < 0 ? nullptr : &runs_[run_index];
            const uint64_t in_run = offset - uint64_t{run ? run->page : 0u} * PMT_ZEND_PAGE_SIZE;
            if (!run || !run->small || run->bin != bin || in_run % zend::kBinSizes[bin] ||
                in_run / zend::kBinSizes[bin] >= elements_of_bin(bin) || is_free(chunk, offset)) {
                census_.bad_free_slots++;
                break;
            }
            free_bits_[chunk][offset / kSlotGrain / 64] |= uint64_t{1} << (offset / kSlotGrain % 64);
            census_.small[bin].free_blocks++;
            slot = load_u64(region->bytes, offset + off.free_slot_next);
        }
    }
}

bool HeapBlocks::is_free(uint32_t chunk, uint64_t offset) const {
    const auto& bits = free_bits_[chunk];
    const uint64_t bit = offset / kSlotGrain;
    return !bits.empty() && (bits[bit / 64] >> (bit % 64)) & 1;
}

void HeapBlocks::count() {
    for (const Run& r : runs_) {
        if (!r.small) {
            census_.large.blocks++;
            census_.large.bytes += uint64_t{r.pages} * PMT_ZEND_PAGE_SIZE;
            continue;
        }
        BinCount& bin = census_.small[r.bin];
        bin.runs++;
        const uint32_t size = zend::kBinSizes[r.bin];
        const uint64_t start = uint64_t{r.page} * PMT_ZEND_PAGE_SIZE;
        for (uint32_t i = 0, n = elements_of_bin(r.bin); i < n; ++i)
            if (!is_free(r.chunk, start + uint64_t{i} * size)) {
                bin.blocks++;
                bin.bytes += size;
            }
    }
    for (const HeapRegion& h : copy_.huge) {
        census_.huge.blocks++;
        census_.huge.bytes += h.bytes.size();
    }
}

void HeapBlocks::for_each(const std::function<void(const HeapBlock&)>& visit) const {
    for (const Run& r : runs_) {
        const uint64_t chunk_address = copy_.chunks[r.chunk].address;
        const uint64_t start = uint64_t{r.page} * PMT_ZEND_PAGE_SIZE;
        if (!r.small) {
            visit(HeapBlock{chunk_address + start, uint64_t{r.pages} * PMT_ZEND_PAGE_SIZE, BlockKind::Large, 0, r.chunk,
                            r.page});
            continue;
        }
        const uint32_t size = zend::kBinSizes[r.bin];
        for (uint32_t i = 0, n = elements_of_bin(r.bin); i < n; ++i) {
            const uint64_t offset = start + uint64_t{i} * size;
            if (!is_free(r.chunk, offset))
                visit(HeapBlock{chunk_address + offset, size, BlockKind::Small, r.bin, r.chunk,
                                static_cast<uint32_t>(offset / PMT_ZEND_PAGE_SIZE)});
        }
    }
    for (uint32_t i = 0; i < copy_.huge.size(); ++i)
        visit(HeapBlock{copy_.huge[i].address, copy_.huge[i].bytes.size(), BlockKind::Huge, 0, i, 0});
}

}  // namespace pmt
