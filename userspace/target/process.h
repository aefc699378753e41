// Facts about a running process read from /proc.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "util/result.h"

namespace pmt {

bool process_exists(pid_t pid);

// Path (openable from here, also across mount namespaces) of the PHP code the
// process runs: its executable, or a libphp*.so it has mapped (embedded PHP).
Result<std::string> php_image_of_process(pid_t pid);

// Value of an environment variable of the process, if set.
std::optional<std::string> process_env(pid_t pid, const std::string& name);

// Load bias of `image` in the process: runtime address - link-time address.
std::optional<uint64_t> load_bias_in_process(pid_t pid, const std::string& image_path);

// Reads target memory (process_vm_readv).
bool read_process_memory(pid_t pid, uint64_t address, void* out, size_t size);

}  // namespace pmt
