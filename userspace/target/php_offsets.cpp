#include "target/php_offsets.h"
#include "target/php_graph_offsets.h"

#include <array>
#include <cstdio>

namespace pmt {
namespace {

// Offsets that differ between versions. Every row is offsetof() computed by
// tools/php_offsets/compute_offsets.sh (x86_64, NTS, ZEND_DEBUG 0):
//   7.4  Debian php7.4-dev 7.4.33 headers; php-src tag php-7.4.27 agrees
//   8.0  php-src tag php-8.0.15 (hand-made config); 8.0.17 headers agree
//   8.1  php-src tag php-8.1.2 (hand-made config)
//   8.2  Debian php8.2-dev 8.2.35 headers (also tests/unit/test_php_offsets.cpp)
//   8.3  php-src 8.3.0 release tree (hand-made config)
//   8.4  Debian php8.4-dev 8.4.27 headers
//   8.5  Debian php8.5-dev 8.5.7 headers
// Details in docs/php-versions.md. 8.2 is also verified against the real binary
// by the runtime tests. EG(flags) and CG(in_compilation) are one byte in all of
// them, with EG_FLAGS_IN_SHUTDOWN = 1<<0.
struct VersionRow {
    int major, minor;
    uint32_t eg_current_execute_data;
    uint32_t op_last, op_opcodes, op_filename, op_line_start;
    uint32_t eg_flags, cg_in_compilation;  // 0 = not known for this version
    // zend_generator's execute_data and node.parent, for `yield from` chains
    // (7.4 has an iterator field first). 0 = not checked for this version: the
    // delegating generators' frames are then left out, as before.
    uint32_t generator_execute_data, generator_node_parent;
    // zend_mm_heap.free_slot (zend_alloc.c): after use_custom_heap, storage, size
    // and peak; 8.4 put shadow_key (the free-list pointer check) before it. 8.2:
    // Debian 8.2.36's _emalloc_8 pops free_slot[0] at heap+0x20 and _emalloc_16
    // free_slot[1] at +0x28 (objdump); the snapshot's runtime test proves it (its
    // block total equals heap->size to the byte). 7.4/8.0/8.1/8.3: php-src
    // zend_alloc.c of those tags, same fields before it. 8.4/8.5: php-src
    // zend_alloc.c (shadow_key added in 8.4.0). Not checked on a real binary yet.
    uint32_t heap_free_slot;
};

constexpr std::array<VersionRow, 7> kRows = {{
    {7, 4, 488, 60, 64, 136, 144, 993, 137, 64, 160, 32},
    {8, 0, 488, 68, 72, 144, 152, 993, 81, 0, 0, 32},
    {8, 1, 488, 68, 72, 144, 152, 993, 81, 0, 0, 32},
    {8, 2, 488, 80, 88, 152, 160, 993, 81, 56, 152, 32},
    {8, 3, 488, 76, 80, 144, 152, 993, 81, 0, 0, 32},
    {8, 4, 488, 96, 104, 168, 176, 1065, 81, 56, 152, 40},
    {8, 5, 512, 96, 104, 168, 176, 1089, 81, 56, 152, 40},
}};

}  // namespace

std::optional<PhpVersion> PhpVersion::parse(const std::string& text) {
    PhpVersion v;
    if (std::sscanf(text.c_str(), "%d.%d.%d", &v.major, &v.minor, &v.patch) < 2) return std::nullopt;
    v.text = text;
    return v;
}

std::optional<pmt_php_offsets> php_offsets_for(const PhpVersion& version) {
    for (const auto& row : kRows) {
        if (row.major != version.major || row.minor != version.minor) continue;
        pmt_php_offsets off{};
        off.eg_current_execute_data = row.eg_current_execute_data;
        off.eg_flags = row.eg_flags;
        off.cg_in_compilation = row.cg_in_compilation;
        off.generator_execute_data = row.generator_execute_data;
        off.generator_node_parent = row.generator_node_parent;
        // Identical in 7.4 - 8.5 (Zend/zend_globals.h, zend_compile.h, zend_types.h,
        // main/SAPI.h, Zend/zend_alloc.c).
        off.eg_vm_stack = row.eg_current_execute_data - 16;  // vm_stack_top, vm_stack_end, vm_stack
        off.vm_stack_end = 8;                                // _zend_vm_stack {top, end, prev}
        off.vm_stack_prev = 16;
        off.ex_opline = 0;
        off.ex_func = 24;
        off.ex_prev_execute_data = 48;
        off.ex_this = 32;
        off.func_type = 0;
        off.func_name = 8;
        off.func_scope = 16;
        off.opline_lineno = 24;
        off.opline_size = 32;
        off.ce_name = 8;
        off.zstr_val = 24;
        off.obj_ce = 16;
        // sapi_globals_struct: server_context, then request_info {request_method,
        // query_string, cookie_data, content_length, path_translated, request_uri}.
        off.sg_request_method = 8;
        off.sg_query_string = 16;
        off.sg_path_translated = 40;
        off.sg_request_uri = 48;
        // zend_alloc.c's private structs (the heap's own fields are read from the
        // binary's code, heap_layout.h): zend_mm_huge_list {ptr, size, next};
        // zend_mm_chunk {heap, next, prev, ...} padded to 64 bytes, then heap_slot.
        off.huge_list_size = 8;
        off.huge_list_next = 16;
        off.chunk_heap_slot = 64;
        off.chunk_heap = 0;
        off.chunk_next = 8;
        off.huge_list_ptr = 0;
        // zend_mm_free_slot {next_free_slot, ...}: a freed small block's first word
        // links it into its bin's list (8.4+ add an encoded copy at its end, which
        // the snapshot does not need).
        off.free_slot_next = 0;
        off.heap_free_slot = row.heap_free_slot;
        off.heap_use_custom_heap = 0;  // the first field (ZEND_MM_CUSTOM is on in every release build)
        off.op_last = row.op_last;
        off.op_opcodes = row.op_opcodes;
        off.op_filename = row.op_filename;
        off.op_line_start = row.op_line_start;
        return off;
    }
    return std::nullopt;
}

std::optional<PhpGraphOffsets> php_graph_offsets_for(const PhpVersion& version) {
    // offsetof() against Debian php8.2-dev 8.2.35 headers (the same program as
    // tools/php_offsets/compute_offsets.sh); verified on the real php8.2 binary by
    // tests/runtime/test_snapshot_reach.cpp (paths, classes and statics found).
    auto base = php_offsets_for(version);
    if (!base || version.major != 8 || version.minor != 2) return std::nullopt;
    PhpGraphOffsets g{};
    g.eg_current_execute_data = base->eg_current_execute_data;
    g.eg_symbol_table = 304;
    g.eg_class_table = 440;
    g.eg_objects_store = 840;
    g.eg_function_table = 432;
    g.eg_size = 1800;
    g.store_buckets = 0;
    g.store_top = 8;
    g.cg_map_ptr_base = 480;
    g.zval_type_info = 8;
    g.zval_size = 16;
    g.gc_type_info = 4;
    g.str_len = 16;
    g.str_val = base->zstr_val;
    g.ht_flags = 8;
    g.ht_data = 16;
    g.ht_used = 24;
    g.ht_bytes = 56;
    g.ht_packed_flag = 1u << 2;
    g.bucket_h = 16;
    g.bucket_key = 24;
    g.bucket_size = 32;
    g.obj_ce = base->obj_ce;
    g.obj_properties = 32;
    g.obj_properties_table = 40;
    g.obj_size = 56;
    g.ref_val = 8;
    g.ce_type = 0;
    g.ce_name = base->ce_name;
    g.ce_default_properties_count = 32;
    g.ce_default_static_members_count = 36;
    g.ce_static_members_table = 56;
    g.ce_properties_info = 120;
    g.ce_function_table = 64;
    g.pi_offset = 0;
    g.pi_flags = 4;
    g.pi_name = 8;
    g.acc_static = 1u << 4;
    g.ex_func = base->ex_func;
    g.ex_this = base->ex_this;
    g.ex_prev = base->ex_prev_execute_data;
    g.ex_call_frame_bytes = 80;  // ZEND_CALL_FRAME_SLOT (5) zvals
    g.op_function_name = 8;
    g.op_scope = 16;
    g.op_last_var = 76;
    g.op_vars = 112;
    g.op_static_variables = 104;
    g.op_static_variables_ptr = 96;
    return g;
}

std::string supported_php_versions() {
    std::string list;
    for (const auto& row : kRows)
        list += (list.empty() ? "" : ", ") + std::to_string(row.major) + "." + std::to_string(row.minor);
    return list;
}

}  // namespace pmt
