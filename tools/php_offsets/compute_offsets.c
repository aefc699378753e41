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
    return 0;
}
