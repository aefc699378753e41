// The engine layout the snapshot's reachability walk reads (userspace/snapshot/),
// beside the frame-walk table (php_offsets.h); the values are in php_offsets.cpp.
#pragma once

#include <cstdint>
#include <optional>

#include "target/php_offsets.h"

namespace pmt {

// What the snapshot's reachability walk reads (userspace/snapshot/): the engine's
// roots and the layouts of zvals, strings, arrays, objects and references. Read in
// userspace only, never by BPF. Only versions verified on a real binary are in the
// table (8.2); for the others the snapshot lists blocks without reachability.
struct PhpGraphOffsets {
    // executor_globals
    uint32_t eg_current_execute_data;  // the frame table's value (php_offsets_for)
    uint32_t eg_symbol_table;   // HashTable embedded in EG
    uint32_t eg_class_table;    // HashTable *
    uint32_t eg_function_table; // HashTable *
    uint32_t eg_objects_store;  // zend_objects_store embedded in EG
    uint32_t eg_size;           // sizeof(zend_executor_globals): what the pause copies
    uint32_t store_buckets, store_top;  // zend_objects_store {object_buckets, top, ...}
    uint32_t cg_map_ptr_base;   // compiler_globals.map_ptr_base (biased: + offset = slot)
    // zval {value, u1.type_info, u2}
    uint32_t zval_type_info, zval_size;
    // zend_refcounted_h.u.type_info (the GC type in its low 4 bits)
    uint32_t gc_type_info;
    uint32_t str_len, str_val;
    // zend_array
    uint32_t ht_flags, ht_data, ht_used, ht_bytes;  // ht_bytes: sizeof(zend_array)
    uint32_t ht_packed_flag;    // HASH_FLAG_PACKED: arData is zval[], not Bucket[]
    uint32_t bucket_h, bucket_key, bucket_size;
    // zend_object
    uint32_t obj_ce, obj_properties, obj_properties_table, obj_size;
    uint32_t ref_val;           // zend_reference.val
    // zend_class_entry
    uint32_t ce_type, ce_name, ce_default_properties_count, ce_default_static_members_count;
    uint32_t ce_static_members_table;  // ZEND_MAP_PTR: pointer, or odd offset into map_ptr_base
    uint32_t ce_properties_info;       // HashTable of zend_property_info (IS_PTR)
    uint32_t ce_function_table;        // HashTable of zend_function (IS_PTR), embedded
    uint32_t pi_offset, pi_flags, pi_name, acc_static;
    // zend_execute_data: CVs start at call_frame_slot zvals
    uint32_t ex_func, ex_this, ex_prev, ex_call_frame_bytes;
    uint32_t op_function_name, op_scope, op_last_var, op_vars;
    uint32_t op_static_variables;      // the declared statics (HashTable *), NULL: none
    uint32_t op_static_variables_ptr;  // ZEND_MAP_PTR to the live ones, NULL until first run
};
std::optional<PhpGraphOffsets> php_graph_offsets_for(const PhpVersion& version);

}  // namespace pmt
