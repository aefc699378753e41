// Finds a target's heap snapshot-restore functions by name.
//
// Stock PHP has none; a build with the proposed snapshot feature (or a test
// program) exports functions whose names say "snapshot" and "restore" (or
// "rollback"). Their entry and return bracket each restore (FaultTracer::
// restore_probes); the faults after it are what the restore costs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "target/elf_file.h"

namespace pmt {

struct RestoreFunction {
    std::string name;
    uint64_t file_offset = 0;  // what uprobes attach by
};

// Case-insensitive: contains "snapshot" and ("restore" or "rollback").
bool is_restore_function_name(const std::string& name);
std::vector<RestoreFunction> find_restore_functions(const ElfFile& elf);

}  // namespace pmt
