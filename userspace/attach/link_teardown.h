// Closing a uprobe link waits in the kernel for a grace period (SRCU and RCU
// tasks trace: ~40 ms each here, one per link when closed one after another).
// At the end of a session nobody needs to wait for it: the outputs are written
// and the programs already return at their first lookup. So the wait is handed
// to a short-lived child process that owns copies of the link fds and closes
// them, in parallel, once this process has exited.
#pragma once

namespace pmt {

// Forks the closer. It keeps only the fds of BPF links and perf events (the
// probes), with stdio on /dev/null, so a `$(...)` caller or a pipe is not held
// open. It waits until this whole process is gone (then its copies are the last
// references, so this process's exit never waits for a grace period) and closes
// them, which detaches every probe, then exits. No probe outlives it: if it is
// killed, its exit closes them just the same.
// Returns false when it could not be started (then the caller closes the links).
bool close_links_after_exit();

}  // namespace pmt
