// A real PHP-FPM pool behind nginx, started on loopback with its own
// configuration in a temp dir, and `record -p MASTER` attached to it. Shared by
// the FPM runtime tests and the soak test.
#pragma once

#include <string>
#include <vector>

#include "heap_test_helpers.h"

namespace pmt::testing {

struct FpmStack {
    TempDir dir;
    int port = -1;
    OwnedProcess fpm;    // declared before nginx: nginx stops first
    OwnedProcess nginx;
};

// A pool besides the default one: served at /NAME/SCRIPT.php from `docroot`.
struct FpmPool {
    std::string name;
    std::string docroot;     // absolute
    int workers = 4;         // static: all of them; dynamic: at most
    bool dynamic = false;    // pm = dynamic, starting with one worker
};

// Starts php-fpm8.2 (`workers` static workers, unix socket) and nginx on
// 127.0.0.1:port, serving tests/php/fpm, and the `extra` pools. ASSERTs on failure.
void start_stack(FpmStack& s, int workers = 2, const std::vector<FpmPool>& extra = {});

// Starts `record -p MASTER -o json <extra>` and waits until its probes are attached.
OwnedProcess start_tracer(const FpmStack& s, const std::string& json, const std::vector<std::string>& extra);

// php-fpm8.2 and nginx come from tools/install-deps.sh: a clear failure without them.
void require_web_stack();

}  // namespace pmt::testing
