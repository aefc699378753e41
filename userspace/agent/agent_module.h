// The agent's session module: no probes of its own (the request probes are the
// allocation object's, the GC's the heap module's), it turns request and GC
// records into per-service metrics as they arrive.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "agent/agent_metrics.h"
#include "session/session_module.h"

namespace pmt {

using ServiceOf = std::function<std::string(uint32_t tgid)>;

std::unique_ptr<SessionModule> make_agent_module(AgentMetrics& metrics, ServiceOf service_of);

}  // namespace pmt
