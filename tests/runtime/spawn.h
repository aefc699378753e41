// Starting a test's child processes: one place builds argv and the environment.
#pragma once

#include <spawn.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace pmt::testing {

// posix_spawnp(argv) with this process's environment plus `extra_env`
// ("NAME=value" entries) and the caller's file actions; -1 if it failed.
pid_t spawn_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                    const posix_spawn_file_actions_t* actions);

}  // namespace pmt::testing
