// libFuzzer target: a session file (.db), loaded as `phpmemtrace report x.db`
// loads it, then rendered into every format.
//
// load_session() takes a path (SQLite opens the file itself), so each input is
// written to a private temporary file first.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "render_all.h"
#include "store/session_store.h"

namespace {

const std::string& scratch_path() {
    static const std::string path = [] {
        const char* dir = std::getenv("TMPDIR");
        return std::string(dir && *dir ? dir : "/tmp") + "/pmt-fuzz-session-" + std::to_string(getpid()) + ".db";
    }();
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& path = scratch_path();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();  // a broken harness must not look like a clean run
    if (size && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
    auto profile = pmt::load_session(path);
    if (profile) pmt::fuzz::render_all(*profile);
    std::remove(path.c_str());
    return 0;
}
