#include "snapshot/heap_graph.h"

#include <unordered_map>
#include <unordered_set>

#include "snapshot/heap_bytes.h"

namespace pmt {
namespace {

// zval and GC types (Zend/zend_types.h, the same in 7.4 - 8.5).
constexpr uint8_t kUndef = 0, kString = 6, kArray = 7, kObject = 8, kReference = 10, kIndirect = 12;
constexpr uint32_t kMaxDepth = 1u << 20;
constexpr uint32_t kMaxPathSteps = 64;
constexpr size_t kMaxKey = 64;
constexpr uint32_t kMaxLateStrings = 100000;  // reads of the target after the pause, for labels

uint8_t gc_type_of(NodeKind kind) {
    switch (kind) {
        case NodeKind::String: return kString;
        case NodeKind::Array: return kArray;
        case NodeKind::Object: return kObject;
        case NodeKind::Reference: return kReference;
        default: return 0;
    }
}

// Labels go into JSON and SQL: printable ASCII only, whatever the target's bytes.
std::string printable(std::string s) {
    for (char& c : s)
        if (c < 0x20 || c > 0x7e || c == '\'' || c == '\\') c = '?';
    return s;
}

// "'name'" -> "name" (a string key as for_each_element gives it); "17" stays.
std::string unquoted(const std::string& key) {
    return key.size() > 1 && key.front() == '\'' && key.back() == '\'' ? key.substr(1, key.size() - 2) : key;
}

}  // namespace

const char* node_kind_name(NodeKind kind) {
    switch (kind) {
        case NodeKind::Unreached: return "unreached";
        case NodeKind::String: return "string";
        case NodeKind::Array: return "array";
        case NodeKind::ArrayData: return "array data";
        case NodeKind::Object: return "object";
        case NodeKind::Reference: return "reference";
        case NodeKind::Engine: return "engine";
        case NodeKind::Other: return "other";
    }
    return "?";
}

HeapGraph::HeapGraph(const BlockIndex& index, const RootCopy& roots, const PhpGraphOffsets& g)
    : index_(index), rc_(roots), g_(g), nodes_(index.size() + 1) {
    roots_.push_back(RootEntry{"(roots)", "engine"});
    if (rc_.eg.empty()) return;
    walk_symbol_table();
    walk_statics();
    walk_frames();
    drain();
    walk_garbage();
    drain();
}

uint32_t HeapGraph::node_of(uint64_t address) const {
    auto i = index_.find(address);
    return i ? *i + 1 : 0;
}

uint32_t HeapGraph::intern(const std::string& label) {
    labels_.push_back(label);
    return static_cast<uint32_t>(labels_.size() - 1);
}

uint32_t HeapGraph::new_root(std::string label, std::string kind) {
    roots_.push_back(RootEntry{std::move(label), std::move(kind)});
    return static_cast<uint32_t>(roots_.size() - 1);
}

std::string HeapGraph::string_at(uint64_t address, size_t max) const {
    if (auto it = rc_.strings.find(address); it != rc_.strings.end()) return printable(it->second.substr(0, max));
    auto head = index_.view(address, g_.str_val);
    auto len = load_u64(head, g_.str_len);
    if (!len) {
        if (!address || !rc_.read_permanent_string || late_strings_ >= kMaxLateStrings) return "?";
        auto [it, fresh] = late_cache_.try_emplace(address);
        if (fresh) {
            late_strings_++;
            it->second = printable(rc_.read_permanent_string(address));
        }
        return it->second.empty() ? "?" : it->second.substr(0, max);
    }
    auto text = index_.view(address + g_.str_val, std::min<uint64_t>(*len, max));
    if (text.empty() && *len) return "?";
    return printable(std::string(text.begin(), text.end()));
}

std::string HeapGraph::class_name(uint64_t ce) const {
    auto it = rc_.classes.find(ce);
    if (it != rc_.classes.end()) return printable(it->second.name);
    auto name = load_u64(index_.view(ce + g_.ce_name, 8), 0);
    return name ? string_at(*name, 256) : "?";
}

void HeapGraph::reach(uint32_t from, uint64_t address, NodeKind kind, const std::string& label, uint32_t depth,
                      bool properties) {
    const uint32_t n = node_of(address);
    if (!n) {
        counters_.outside_heap++;
        return;
    }
    // The block must say it is what the zval says it points to.
    if (const uint8_t want = gc_type_of(kind)) {
        auto type = load<uint32_t>(index_.view(address + g_.gc_type_info, 4), 0);
        if (!type || (*type & 0xf) != want) {
            counters_.bad_headers++;
            return;
        }
    }
    edges_.emplace_back(from, n);
    GraphNode& node = nodes_[n];
    if (node.kind != NodeKind::Unreached) return;
    node.kind = kind;
    node.garbage = garbage_phase_;
    node.parent = from;
    node.label = intern(label);
    node.root = from == kSuperRoot ? new_root(label, pending_root_kind_) : nodes_[from].root;
    if (kind == NodeKind::Object) node.ce = load_u64(index_.view(address + g_.obj_ce, 8), 0).value_or(0);
    if (kind == NodeKind::Engine || kind == NodeKind::String || kind == NodeKind::ArrayData) return;
    if (depth >= kMaxDepth) {
        counters_.depth_cut++;
        return;
    }
    queue_.push_back(Work{n, kind, address, properties, depth});
}

void HeapGraph::zval(uint32_t from, std::span<const uint8_t> z, const std::string& label, uint32_t depth,
                     bool indirect_ok) {
    auto value = load_u64(z, 0);
    auto type = load<uint8_t>(z, g_.zval_type_info);
    if (!value || !type) return;
    switch (*type) {
        case kString: reach(from, *value, NodeKind::String, label, depth); break;
        case kArray: reach(from, *value, NodeKind::Array, label, depth); break;
        case kObject: reach(from, *value, NodeKind::Object, label, depth); break;
        case kReference: reach(from, *value, NodeKind::Reference, label, depth); break;
        case kIndirect:
            // A symbol table's entry for a compiled variable: the CV slot in the frame.
            if (indirect_ok) zval(from, index_.view(*value, g_.zval_size), label, depth, false);
            break;
        default: break;
    }
}

bool HeapGraph::points(std::span<const uint8_t> z) const {
    auto type = load<uint8_t>(z, g_.zval_type_info).value_or(kUndef);
    return type == kString || type == kArray || type == kObject || type == kReference || type == kIndirect;
}

uint64_t HeapGraph::for_each_element(std::span<const uint8_t> ht, const ElementVisit& visit) const {
    const uint32_t flags = load<uint32_t>(ht, g_.ht_flags).value_or(0);
    const uint64_t data = load_u64(ht, g_.ht_data).value_or(0);
    uint64_t used = load<uint32_t>(ht, g_.ht_used).value_or(0);
    const bool packed = flags & g_.ht_packed_flag;
    const uint32_t step = packed ? g_.zval_size : g_.bucket_size;
    auto block = index_.find(data);
    if (!block) return 0;
    // No more elements than the data block holds past arData.
    const HeapBlock& b = index_.block(*block);
    used = std::min<uint64_t>(used, (b.address + b.size - data) / step);
    auto elements = index_.view(data, used * step);
    for (uint64_t i = 0; i < used; ++i) {
        auto z = elements.subspan(i * step, g_.zval_size);
        if (!points(z)) continue;
        if (packed) {
            visit(z, std::to_string(i), 0);
            continue;
        }
        const uint64_t key = load_u64(elements, i * step + g_.bucket_key).value_or(0);
        const int64_t h = static_cast<int64_t>(load_u64(elements, i * step + g_.bucket_h).value_or(0));
        visit(z, key ? "'" + string_at(key, kMaxKey) + "'" : std::to_string(h), key);
    }
    return data;
}

void HeapGraph::mark_engine(uint64_t address, const std::string& label) {
    pending_root_kind_ = "engine";
    reach(kSuperRoot, address, NodeKind::Engine, label, 0);
}

void HeapGraph::walk_symbol_table() {
    auto ht = std::span<const uint8_t>(rc_.eg).subspan(g_.eg_symbol_table, g_.ht_bytes);
    mark_engine(load_u64(ht, g_.ht_data).value_or(0), "EG(symbol_table)");
    pending_root_kind_ = "global";
    for_each_element(ht, [&](std::span<const uint8_t> z, const std::string& key, uint64_t) {
        zval(kSuperRoot, z, "$GLOBALS[" + key + "]", 1);
    });
}

void HeapGraph::walk_statics() {
    for (uint64_t ce : rc_.class_order) {
        const ClassInfo& info = rc_.classes.at(ce);
        if (!info.statics) continue;
        const std::string name = printable(info.name);
        mark_engine(info.statics, name + "::(static members)");
        auto table = index_.view(info.statics, uint64_t{info.statics_count} * g_.zval_size);
        const auto& names = slot_names(ce, /*statics=*/true);
        pending_root_kind_ = "static";
        for (uint32_t i = 0; i < info.statics_count && !table.empty(); ++i)
            zval(kSuperRoot, table.subspan(i * g_.zval_size, g_.zval_size),
                 name + "::$" + (i < names.size() ? names[i] : "#" + std::to_string(i)), 1);
    }
    // Functions' and methods' `static $x`: a HashTable of (usually) references.
    for (const StaticVariables& sv : rc_.statics) {
        auto ht = index_.view(sv.table, g_.ht_bytes);
        if (ht.empty()) continue;
        const std::string owner = printable(sv.owner) + "()";
        mark_engine(sv.table, owner + ": static variables");
        mark_engine(load_u64(ht, g_.ht_data).value_or(0), owner + ": static variables");
        pending_root_kind_ = "static";
        for_each_element(ht, [&](std::span<const uint8_t> z, const std::string& key, uint64_t) {
            zval(kSuperRoot, z, owner + ": static $" + unquoted(key), 1, false);
        });
    }
}

void HeapGraph::walk_frames() {
    for (uint32_t n = 0; n < rc_.frames.size(); ++n) {
        const FrameInfo& f = rc_.frames[n];
        auto frame = index_.view(f.ex, g_.ex_call_frame_bytes);
        if (frame.empty()) break;  // not in the heap: not a VM stack frame
        counters_.frames++;
        mark_engine(f.ex, "VM stack");
        const std::string prefix = "frame " + std::to_string(n) + " of " + printable(f.function) + ": $";
        auto cvs = index_.view(f.ex + g_.ex_call_frame_bytes, f.cvs.size() * g_.zval_size);
        pending_root_kind_ = "frame";
        for (uint32_t i = 0; i < f.cvs.size() && !cvs.empty(); ++i) {
            auto z = cvs.subspan(i * g_.zval_size, g_.zval_size);
            if (points(z)) zval(kSuperRoot, z, prefix + printable(f.cvs[i]), 1);
        }
        zval(kSuperRoot, frame.subspan(g_.ex_this, g_.zval_size), prefix + "this", 1, false);
    }
}

void HeapGraph::walk_garbage() {
    auto store = std::span<const uint8_t>(rc_.eg).subspan(g_.eg_objects_store);
    const uint64_t buckets = load_u64(store, g_.store_buckets).value_or(0);
    const uint32_t top = load<uint32_t>(store, g_.store_top).value_or(0);
    mark_engine(buckets, "EG(objects_store)");
    auto slots = index_.view(buckets, uint64_t{top} * 8);
    garbage_phase_ = true;
    pending_root_kind_ = "cycle garbage";
    for (uint32_t handle = 1; handle < top && !slots.empty(); ++handle) {
        const uint64_t object = *load_u64(slots, uint64_t{handle} * 8);
        if (!object || (object & 1)) continue;  // never used, or a free slot (its next free handle)
        const uint32_t n = node_of(object);
        if (!n || nodes_[n].kind != NodeKind::Unreached) continue;
        auto ce = load_u64(index_.view(object + g_.obj_ce, 8), 0);
        reach(kSuperRoot, object, NodeKind::Object, "(cycle garbage) " + (ce ? class_name(*ce) : "?"), 1);
    }
}

void HeapGraph::drain() {
    while (head_ < queue_.size()) {
        const Work w = queue_[head_++];
        visit(w);
    }
}

void HeapGraph::visit(const Work& w) {
    switch (w.kind) {
        case NodeKind::Array: visit_array(w); break;
        case NodeKind::Object: visit_object(w); break;
        case NodeKind::Reference: zval(w.node, index_.view(w.address + g_.ref_val, g_.zval_size), "", w.depth + 1); break;
        default: break;
    }
}

void HeapGraph::visit_array(const Work& w) {
    auto ht = index_.view(w.address, g_.ht_bytes);
    const uint64_t data = load_u64(ht, g_.ht_data).value_or(0);
    if (const uint32_t d = node_of(data)) {
        edges_.emplace_back(w.node, d);
        GraphNode& node = nodes_[d];
        if (node.kind == NodeKind::Unreached) {
            node.kind = NodeKind::ArrayData;
            node.garbage = garbage_phase_;
            node.parent = w.node;
            node.root = nodes_[w.node].root;
        }
    }
    for_each_element(ht, [&](std::span<const uint8_t> z, const std::string& key, uint64_t) {
        // A property table's entries for declared slots are INDIRECT to the object's own slots.
        if (w.properties) zval(w.node, z, "->" + unquoted(key), w.depth + 1, false);
        else zval(w.node, z, "[" + key + "]", w.depth + 1);
    });
}

void HeapGraph::visit_object(const Work& w) {
    const uint64_t ce = nodes_[w.node].ce;
    auto it = rc_.classes.find(ce);
    const uint32_t count = it == rc_.classes.end() ? 0 : it->second.properties_count;
    const auto& names = slot_names(ce, /*statics=*/false);
    auto slots = index_.view(w.address + g_.obj_properties_table, uint64_t{count} * g_.zval_size);
    for (uint32_t i = 0; i < count && !slots.empty(); ++i) {
        auto z = slots.subspan(i * g_.zval_size, g_.zval_size);
        if (points(z)) zval(w.node, z, "->" + (i < names.size() ? names[i] : "#" + std::to_string(i)), w.depth + 1, false);
    }
    const uint64_t properties = load_u64(index_.view(w.address + g_.obj_properties, 8), 0).value_or(0);
    if (properties) reach(w.node, properties, NodeKind::Array, "", w.depth + 1, /*properties=*/true);
}

const std::vector<std::string>& HeapGraph::slot_names(uint64_t ce, bool statics) {
    auto& cache = statics ? static_names_ : slot_names_;
    auto [it, fresh] = cache.try_emplace(ce);
    if (!fresh) return it->second;
    std::vector<std::string>& names = it->second;
    // zend_property_info, from the class's properties_info table (in the heap for a user class).
    auto ht = index_.view(ce + g_.ce_properties_info, g_.ht_bytes);
    const uint64_t data = load_u64(ht, g_.ht_data).value_or(0);
    const uint32_t used = load<uint32_t>(ht, g_.ht_used).value_or(0);
    auto buckets = index_.view(data, uint64_t{used} * g_.bucket_size);
    for (uint32_t i = 0; i < used && !buckets.empty(); ++i) {
        auto info = index_.view(load_u64(buckets, uint64_t{i} * g_.bucket_size).value_or(0), g_.pi_name + 8);
        if (info.empty()) continue;
        const uint32_t offset = *load<uint32_t>(info, g_.pi_offset);
        const bool is_static = *load<uint32_t>(info, g_.pi_flags) & g_.acc_static;
        if (is_static != statics) continue;
        // A declared slot's offset is its byte offset in the object; a static's, its index.
        if (!statics && (offset < g_.obj_properties_table || (offset - g_.obj_properties_table) % g_.zval_size)) continue;
        const uint32_t slot = statics ? offset : (offset - g_.obj_properties_table) / g_.zval_size;
        if (slot >= (1u << 16)) continue;
        if (names.size() <= slot) names.resize(slot + 1);
        names[slot] = string_at(*load_u64(info, g_.pi_name), 128);
    }
    for (size_t i = 0; i < names.size(); ++i)
        if (names[i].empty()) names[i] = "#" + std::to_string(i);
    return names;
}

std::string HeapGraph::path(uint32_t v) const {
    if (v == kSuperRoot || nodes_[v].kind == NodeKind::Unreached) return "";
    std::vector<uint32_t> chain;
    for (uint32_t u = v; u != kSuperRoot && chain.size() < kMaxPathSteps; u = nodes_[u].parent) chain.push_back(u);
    std::string out = nodes_[chain.back()].parent == kSuperRoot ? "" : "...";
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) out += labels_[nodes_[*it].label];
    return out;
}

}  // namespace pmt
