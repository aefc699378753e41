#include "agent/process_filter.h"

#include <algorithm>

namespace pmt {

bool ProcessFilter::accepts(const PhpProcess& p) const {
    // --pid: those processes; their children come through the fork events.
    if (!pids.empty() && std::find(pids.begin(), pids.end(), p.pid) == pids.end()) return false;
    if (!binary.empty() && p.image != binary) return false;
    if (!pools.empty() && std::find(pools.begin(), pools.end(), p.service) == pools.end()) return false;
    if (exclude && (std::regex_search(p.title, *exclude) || std::regex_search(p.service, *exclude))) return false;
    return true;
}

}  // namespace pmt
