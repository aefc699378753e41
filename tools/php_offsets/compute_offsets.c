/*
 * Prints the struct offsets phpmemtrace reads (userspace/target/php_offsets.cpp)
 * with offsetof(), as "name value" lines. Compiled by compute_offsets.sh against a
 * PHP include directory; see there. Our own code: it contains no php-src code.
 */
#include <stddef.h>
#include <stdio.h>

#include "php_version.h"
#include "zend.h"
#include "zend_globals.h"
#include "zend_generators.h"

#ifdef ZTS
#error "compute_offsets: these headers are a ZTS build; phpmemtrace's table is for NTS"
#endif

#define P(name, value) printf("%s %lu\n", name, (unsigned long)(value))

int main(void) {
    printf("php_version %s\n", PHP_VERSION);
    P("zend_debug", ZEND_DEBUG);
    P("sizeof_pointer", sizeof(void *));

    /* Values that differ between versions (kRows in php_offsets.cpp). */
    P("eg_current_execute_data", offsetof(zend_executor_globals, current_execute_data));
    P("eg_flags", offsetof(zend_executor_globals, flags));
    P("cg_in_compilation", offsetof(zend_compiler_globals, in_compilation));
    P("op_last", offsetof(zend_op_array, last));
    P("op_opcodes", offsetof(zend_op_array, opcodes));
    P("op_filename", offsetof(zend_op_array, filename));
    P("op_line_start", offsetof(zend_op_array, line_start));
    /* The op_array fields are read through a zend_function pointer. */
    P("func_op_array", offsetof(zend_function, op_array));

    /* Values php_offsets.cpp assumes constant across versions. */
    P("ex_opline", offsetof(zend_execute_data, opline));
    P("ex_func", offsetof(zend_execute_data, func));
    P("ex_this", offsetof(zend_execute_data, This));
    P("ex_prev_execute_data", offsetof(zend_execute_data, prev_execute_data));
    P("sizeof_execute_data", sizeof(zend_execute_data));
    P("func_type", offsetof(zend_function, type));
    P("func_name", offsetof(zend_function, common.function_name));
    P("func_scope", offsetof(zend_function, common.scope));
    P("opline_lineno", offsetof(zend_op, lineno));
    P("opline_size", sizeof(zend_op));
    P("ce_name", offsetof(zend_class_entry, name));
    P("zstr_len", offsetof(zend_string, len));
    P("zstr_val", offsetof(zend_string, val));
    P("obj_ce", offsetof(zend_object, ce));
    P("generator_execute_data", offsetof(zend_generator, execute_data));
    P("generator_node_parent", offsetof(zend_generator, node.parent));

    /* The snapshot's reachability walk (php_graph_offsets_for in php_offsets.cpp). */
    P("eg_symbol_table", offsetof(zend_executor_globals, symbol_table));
    P("eg_function_table", offsetof(zend_executor_globals, function_table));
    P("eg_class_table", offsetof(zend_executor_globals, class_table));
    P("eg_objects_store", offsetof(zend_executor_globals, objects_store));
    P("eg_size", sizeof(zend_executor_globals));
    P("store_buckets", offsetof(zend_objects_store, object_buckets));
    P("store_top", offsetof(zend_objects_store, top));
    P("cg_map_ptr_base", offsetof(zend_compiler_globals, map_ptr_base));
    P("zval_type_info", offsetof(zval, u1.type_info));
    P("zval_size", sizeof(zval));
    P("gc_type_info", offsetof(zend_refcounted_h, u.type_info));
    P("str_len", offsetof(zend_string, len));
    P("ht_flags", offsetof(zend_array, u.flags));
    P("ht_data", offsetof(zend_array, arData));
    P("ht_used", offsetof(zend_array, nNumUsed));
    P("ht_bytes", sizeof(zend_array));
    P("ht_packed_flag", HASH_FLAG_PACKED);
    P("bucket_h", offsetof(Bucket, h));
    P("bucket_key", offsetof(Bucket, key));
    P("bucket_size", sizeof(Bucket));
    P("obj_properties", offsetof(zend_object, properties));
    P("obj_properties_table", offsetof(zend_object, properties_table));
    P("obj_size", sizeof(zend_object));
    P("ref_val", offsetof(zend_reference, val));
    P("ce_type", offsetof(zend_class_entry, type));
    P("ce_default_properties_count", offsetof(zend_class_entry, default_properties_count));
    P("ce_default_static_members_count", offsetof(zend_class_entry, default_static_members_count));
    P("ce_static_members_table", offsetof(zend_class_entry, static_members_table__ptr));
    P("ce_function_table", offsetof(zend_class_entry, function_table));
    P("ce_properties_info", offsetof(zend_class_entry, properties_info));
    P("pi_offset", offsetof(zend_property_info, offset));
    P("pi_flags", offsetof(zend_property_info, flags));
    P("pi_name", offsetof(zend_property_info, name));
    P("acc_static", ZEND_ACC_STATIC);
    P("ex_call_frame_bytes", ZEND_CALL_FRAME_SLOT * sizeof(zval));
    P("op_function_name", offsetof(zend_op_array, function_name));
    P("op_scope", offsetof(zend_op_array, scope));
    P("op_last_var", offsetof(zend_op_array, last_var));
    P("op_vars", offsetof(zend_op_array, vars));
    P("op_static_variables", offsetof(zend_op_array, static_variables));
    P("op_static_variables_ptr", offsetof(zend_op_array, static_variables_ptr__ptr));
    return 0;
}
