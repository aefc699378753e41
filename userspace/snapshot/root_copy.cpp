#include "snapshot/root_copy.h"

#include <cstring>

#include "snapshot/heap_bytes.h"
#include "target/process.h"

namespace pmt {
namespace {

constexpr uint32_t kMaxClasses = 1u << 18;
constexpr uint64_t kMaxName = 256;
constexpr uint8_t kIsPtr = 13;           // IS_PTR: the class table's values
constexpr uint8_t kUserClass = 2;        // ZEND_USER_CLASS
constexpr uint32_t kHashTableBytes = 56; // what is read of a HashTable struct
constexpr uint32_t kClassHeadBytes = 64; // zend_class_entry up to static_members_table

// Bytes at `address` from the heap copy when they are there, else from the
// process (paused: its memory does not change under the read).
class TargetReader {
public:
    TargetReader(pid_t pid, const HeapCopy& heap) : pid_(pid), heap_(heap) {}
    bool read(uint64_t address, void* out, uint64_t size) const {
        if (const HeapRegion* c = heap_.chunk_of(address)) {
            const uint64_t at = address - c->address;
            if (at <= c->bytes.size() && c->bytes.size() - at >= size) {
                std::memcpy(out, c->bytes.data() + at, size);
                return true;
            }
        }
        return read_process_memory(pid_, address, out, size);
    }
    std::optional<uint64_t> u64(uint64_t address) const {
        uint64_t v = 0;
        return read(address, &v, sizeof(v)) ? std::optional<uint64_t>(v) : std::nullopt;
    }
    std::string zend_string(uint64_t address, const PhpGraphOffsets& g) const {
        auto len = u64(address + g.str_len);
        if (!address || !len) return "";
        std::string s(std::min<uint64_t>(*len, kMaxName), '\0');
        if (!read(address + g.str_val, s.data(), s.size())) return "";
        return s;
    }

private:
    pid_t pid_;
    const HeapCopy& heap_;
};

}  // namespace

RootCopy copy_roots(pid_t pid, uint64_t eg_address, uint64_t cg_address, const PhpGraphOffsets& g,
                    const HeapCopy& heap) {
    RootCopy roots;
    TargetReader target(pid, heap);
    roots.eg.resize(g.eg_size);
    if (!target.read(eg_address, roots.eg.data(), roots.eg.size())) {
        roots.eg.clear();
        roots.problems.push_back("cannot read executor_globals");
        return roots;
    }
    const uint64_t map_ptr_base = target.u64(cg_address + g.cg_map_ptr_base).value_or(0);
    const uint64_t table = load_u64(roots.eg, g.eg_class_table).value_or(0);
    std::vector<uint8_t> ht(kHashTableBytes);
    if (!table || !target.read(table, ht.data(), ht.size())) {
        roots.problems.push_back("cannot read the class table");
        return roots;
    }
    const uint64_t data = load_u64(ht, g.ht_data).value_or(0);
    const uint32_t used = load<uint32_t>(ht, g.ht_used).value_or(0);
    if (used > kMaxClasses) {
        roots.problems.push_back("the class table has " + std::to_string(used) + " entries; not read");
        return roots;
    }
    std::vector<uint8_t> buckets(uint64_t{used} * g.bucket_size);
    if (!target.read(data, buckets.data(), buckets.size())) {
        roots.problems.push_back("cannot read the class table's buckets");
        return roots;
    }
    for (uint32_t i = 0; i < used; ++i) {
        const uint64_t at = uint64_t{i} * g.bucket_size;
        if (load<uint8_t>(buckets, at + g.zval_type_info) != kIsPtr) continue;
        const uint64_t ce = load_u64(buckets, at).value_or(0);
        if (!ce || roots.classes.count(ce)) continue;  // an alias (class_alias) of one seen
        std::vector<uint8_t> head(kClassHeadBytes);
        if (!target.read(ce, head.data(), head.size())) continue;
        ClassInfo info;
        info.name = target.zend_string(load_u64(head, g.ce_name).value_or(0), g);
        info.user = load<uint8_t>(head, g.ce_type) == kUserClass;
        info.properties_count = load<uint32_t>(head, g.ce_default_properties_count).value_or(0);
        info.statics_count = load<uint32_t>(head, g.ce_default_static_members_count).value_or(0);
        // ZEND_MAP_PTR: the table itself, or an odd offset from map_ptr_base to
        // the slot that holds it (zend_map_ptr.h). NULL until the class's
        // statics are first used.
        const uint64_t map_ptr = load_u64(head, g.ce_static_members_table).value_or(0);
        if (info.user && info.statics_count)
            info.statics = (map_ptr & 1) ? (map_ptr_base ? target.u64(map_ptr_base + map_ptr).value_or(0) : 0) : map_ptr;
        roots.classes.emplace(ce, std::move(info));
        roots.class_order.push_back(ce);
    }
    return roots;
}

}  // namespace pmt
