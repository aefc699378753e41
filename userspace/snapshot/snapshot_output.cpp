#include "snapshot/snapshot_output.h"

#include "snapshot/snapshot_db.h"
#include "snapshot/snapshot_flame.h"
#include "snapshot/snapshot_json.h"
#include "snapshot/snapshot_text.h"
#include "util/output_file.h"

namespace pmt {

Status check_snapshot_output(const std::string& path) {
    if (!path.ends_with(".json") && !path.ends_with(".db") && !path.ends_with(".txt") && !path.ends_with(".svg"))
        return Error{"unknown snapshot output format for '" + path + "' (known: .json, .db, .txt, .svg)"};
    return check_output_path(path);
}

Status write_snapshot_output(const Snapshot& snapshot, const std::string& path) {
    if (path.ends_with(".db")) return save_snapshot_db(snapshot, path);
    // Addresses, paths and the binary's: private, like the other reports about a process.
    if (path.ends_with(".svg")) {
        if (!snapshot.reachability)
            return Error{"no retention flame graph for " + path + ": " + snapshot.no_reachability};
        return write_output_file(path, OutputAccess::Private,
                                 [&](std::ostream& out) { write_retention_svg(snapshot, out); });
    }
    if (path.ends_with(".txt"))
        return write_output_file(path, OutputAccess::Private,
                                 [&](std::ostream& out) { write_snapshot_text(snapshot, out); });
    return write_output_file(path, OutputAccess::Private,
                             [&](std::ostream& out) { out << snapshot_json(snapshot).dump(2) << "\n"; });
}

}  // namespace pmt
