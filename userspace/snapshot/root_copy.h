// The roots of the reachability walk that live outside the Zend heap, copied
// during the pause: executor_globals (in the binary's data: the symbol table, the
// objects store, the current frame), and the class table (persistent memory in a
// CLI or FPM process) with each class's name and static members table. What the
// roots point to is in the heap copy.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "snapshot/heap_copy.h"
#include "target/php_graph_offsets.h"

namespace pmt {

struct ClassInfo {
    std::string name;
    bool user = false;             // ZEND_USER_CLASS: its entry and property table are in the heap
    uint32_t properties_count = 0; // declared property slots of its objects
    uint32_t statics_count = 0;
    uint64_t statics = 0;          // its static members table (zval[statics_count]), 0: none yet
};

// A user function's or method's static variables (a HashTable in the heap).
struct StaticVariables {
    std::string owner;   // "counter", "Cls::method"
    uint64_t table = 0;
};

// A frame of the VM stack, from EG(current_execute_data) outwards (0: the
// innermost), named in the pause: its function and compiled variables' names
// may be outside the heap (opcache's shared memory, an internal function).
struct FrameInfo {
    uint64_t ex = 0;                // its zend_execute_data, in the heap (a VM stack page)
    std::string function;           // "main", "wait_here", "Cls::run", "(internal function)"
    std::vector<std::string> cvs;   // its CVs' names, in slot order (none: internal)
};

struct RootCopy {
    std::vector<uint8_t> eg;                           // executor_globals, eg_size bytes
    std::unordered_map<uint64_t, ClassInfo> classes;   // by zend_class_entry address
    std::vector<uint64_t> class_order;                 // the class table's order
    std::vector<StaticVariables> statics;              // functions that have run and have statics
    std::vector<FrameInfo> frames;
    // The symbol table's keys that are not in the heap (permanent interned
    // strings: argv, _SERVER, ...), by address, for the paths.
    std::unordered_map<uint64_t, std::string> strings;
    // Other strings outside the heap (array keys that are permanent interned
    // strings, such as the one-character ones), read from the target when a path
    // needs them, after the pause: they are immutable for the life of the process.
    std::function<std::string(uint64_t)> read_permanent_string;
    std::vector<std::string> problems;                 // what could not be read, and was left out
};

// Reads the roots of `pid` (paused); reads that fall inside the heap copy are
// taken from it. Bounded: the class table's length is capped, names at 256 bytes.
RootCopy copy_roots(pid_t pid, uint64_t eg_address, uint64_t cg_address, const PhpGraphOffsets& g,
                    const HeapCopy& heap);

}  // namespace pmt
