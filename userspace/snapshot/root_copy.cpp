#include "snapshot/root_copy.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "snapshot/heap_bytes.h"
#include "target/process.h"

namespace pmt {
namespace {

constexpr uint32_t kMaxClasses = 1u << 18;
constexpr uint64_t kMaxName = 256;
constexpr uint8_t kIsPtr = 13;           // IS_PTR: the class table's values
constexpr uint8_t kUserClass = 2;        // ZEND_USER_CLASS
constexpr uint8_t kUserFunction = 2;     // ZEND_USER_FUNCTION
constexpr uint32_t kMaxFunctions = 1u << 20;
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

// The buckets of the HashTable at `ht` (nNumUsed of them, at most `cap`).
std::optional<std::vector<uint8_t>> read_buckets(const TargetReader& target, uint64_t ht, const PhpGraphOffsets& g,
                                                 uint32_t cap) {
    std::vector<uint8_t> head(g.ht_bytes);
    if (!ht || !target.read(ht, head.data(), head.size())) return std::nullopt;
    const uint64_t data = load_u64(head, g.ht_data).value_or(0);
    const uint32_t used = load<uint32_t>(head, g.ht_used).value_or(0);
    if (used > cap) return std::nullopt;
    std::vector<uint8_t> buckets(uint64_t{used} * g.bucket_size);
    if (used && !target.read(data, buckets.data(), buckets.size())) return std::nullopt;
    return buckets;
}

// The IS_PTR values of a bucket array (class and function tables).
std::vector<uint64_t> pointers_in(const std::vector<uint8_t>& buckets, const PhpGraphOffsets& g) {
    std::vector<uint64_t> out;
    for (uint64_t at = 0; at + g.bucket_size <= buckets.size(); at += g.bucket_size)
        if (load<uint8_t>(buckets, at + g.zval_type_info) == kIsPtr) out.push_back(load_u64(buckets, at).value_or(0));
    return out;
}

// ZEND_MAP_PTR: the value itself, or an odd offset from map_ptr_base to the
// slot that holds it (Zend/zend_map_ptr.h, 8.x).
uint64_t resolve_map_ptr(const TargetReader& target, uint64_t map_ptr_base, uint64_t value) {
    if (!(value & 1)) return value;
    return map_ptr_base ? target.u64(map_ptr_base + value).value_or(0) : 0;
}

// A user function whose op_array is in the heap and declares statics that it
// has already bound: its live static variables table.
void add_static_variables(RootCopy& roots, const TargetReader& target, const HeapCopy& heap, uint64_t map_ptr_base,
                          const PhpGraphOffsets& g, uint64_t function, const std::string& scope) {
    if (!heap.chunk_of(function)) return;  // an internal function: persistent, no statics of ours
    std::vector<uint8_t> op(g.op_vars + 8);
    if (!target.read(function, op.data(), op.size()) || load<uint8_t>(op, 0) != kUserFunction) return;
    if (!load_u64(op, g.op_static_variables).value_or(0)) return;
    const uint64_t table = resolve_map_ptr(target, map_ptr_base, load_u64(op, g.op_static_variables_ptr).value_or(0));
    if (!table) return;
    const std::string name = target.zend_string(load_u64(op, g.op_function_name).value_or(0), g);
    roots.statics.push_back(StaticVariables{scope.empty() ? name : scope + "::" + name, table});
}

// The frames along prev_execute_data, each named (bounded: kMaxFrames frames,
// kMaxVars CVs each, names of kMaxName bytes).
void copy_frames(RootCopy& roots, const TargetReader& target, const PhpGraphOffsets& g,
                 const std::unordered_map<uint64_t, ClassInfo>& classes) {
    constexpr uint32_t kMaxFrames = 4096, kMaxVars = 1u << 16;
    uint64_t ex = load_u64(roots.eg, g.eg_current_execute_data).value_or(0);
    std::unordered_set<uint64_t> seen;
    while (ex && roots.frames.size() < kMaxFrames && seen.insert(ex).second) {
        std::vector<uint8_t> frame(g.ex_call_frame_bytes);
        if (!target.read(ex, frame.data(), frame.size())) break;
        FrameInfo info{ex, "(internal function)", {}};
        std::vector<uint8_t> op(g.op_vars + 8);
        const uint64_t func = load_u64(frame, g.ex_func).value_or(0);
        if (func && target.read(func, op.data(), op.size()) && load<uint8_t>(op, 0) == kUserFunction) {
            const uint64_t name = load_u64(op, g.op_function_name).value_or(0);
            info.function = name ? target.zend_string(name, g) : "main";
            const uint64_t scope = load_u64(op, g.op_scope).value_or(0);
            if (auto it = classes.find(scope); scope && it != classes.end()) info.function = it->second.name + "::" + info.function;
            const uint32_t last_var = std::min(load<uint32_t>(op, g.op_last_var).value_or(0), kMaxVars);
            std::vector<uint8_t> vars(uint64_t{last_var} * 8);
            if (last_var && target.read(load_u64(op, g.op_vars).value_or(0), vars.data(), vars.size()))
                for (uint32_t i = 0; i < last_var; ++i) info.cvs.push_back(target.zend_string(*load_u64(vars, i * 8), g));
        }
        roots.frames.push_back(std::move(info));
        ex = load_u64(frame, g.ex_prev).value_or(0);
    }
}

}  // namespace

RootCopy copy_roots(pid_t pid, uint64_t eg_address, uint64_t cg_address, const PhpGraphOffsets& g,
                    const HeapCopy& heap) {
    RootCopy roots;
    TargetReader target(pid, heap);
    roots.read_permanent_string = [pid, g](uint64_t address) {
        uint64_t len = 0;
        if (!read_process_memory(pid, address + g.str_len, &len, sizeof(len))) return std::string();
        std::string s(std::min<uint64_t>(len, kMaxName), '\0');
        if (!read_process_memory(pid, address + g.str_val, s.data(), s.size())) return std::string();
        return s;
    };
    roots.eg.resize(g.eg_size);
    if (!target.read(eg_address, roots.eg.data(), roots.eg.size())) {
        roots.eg.clear();
        roots.problems.push_back("cannot read executor_globals");
        return roots;
    }
    const uint64_t map_ptr_base = target.u64(cg_address + g.cg_map_ptr_base).value_or(0);
    constexpr uint32_t kMaxGlobals = 1u << 16;
    if (auto globals = read_buckets(target, eg_address + g.eg_symbol_table, g, kMaxGlobals))
        for (uint64_t at = 0; at + g.bucket_size <= globals->size(); at += g.bucket_size) {
            const uint64_t key = load_u64(*globals, at + g.bucket_key).value_or(0);
            if (key && !heap.chunk_of(key)) roots.strings.emplace(key, target.zend_string(key, g));
        }
    auto classes = read_buckets(target, load_u64(roots.eg, g.eg_class_table).value_or(0), g, kMaxClasses);
    if (!classes) roots.problems.push_back("cannot read the class table");
    for (uint64_t ce : classes ? pointers_in(*classes, g) : std::vector<uint64_t>{}) {
        if (!ce || roots.classes.count(ce)) continue;  // an alias (class_alias) of one seen
        std::vector<uint8_t> head(kClassHeadBytes);
        if (!target.read(ce, head.data(), head.size())) continue;
        ClassInfo info;
        info.name = target.zend_string(load_u64(head, g.ce_name).value_or(0), g);
        info.user = load<uint8_t>(head, g.ce_type) == kUserClass;
        info.properties_count = load<uint32_t>(head, g.ce_default_properties_count).value_or(0);
        info.statics_count = load<uint32_t>(head, g.ce_default_static_members_count).value_or(0);
        // NULL until the class's statics are first used.
        if (info.user && info.statics_count)
            info.statics = resolve_map_ptr(target, map_ptr_base, load_u64(head, g.ce_static_members_table).value_or(0));
        if (info.user)
            if (auto methods = read_buckets(target, ce + g.ce_function_table, g, kMaxFunctions))
                for (uint64_t f : pointers_in(*methods, g))
                    add_static_variables(roots, target, heap, map_ptr_base, g, f, info.name);
        roots.classes.emplace(ce, std::move(info));
        roots.class_order.push_back(ce);
    }
    auto functions = read_buckets(target, load_u64(roots.eg, g.eg_function_table).value_or(0), g, kMaxFunctions);
    if (!functions) roots.problems.push_back("cannot read the function table");
    for (uint64_t f : functions ? pointers_in(*functions, g) : std::vector<uint64_t>{})
        add_static_variables(roots, target, heap, map_ptr_base, g, f, "");
    copy_frames(roots, target, g, roots.classes);
    return roots;
}

}  // namespace pmt
