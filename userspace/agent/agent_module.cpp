#include "agent/agent_module.h"

#include "util/utf8_text.h"

namespace pmt {
namespace {

class AgentModule : public SessionModule {
public:
    AgentModule(AgentMetrics& metrics, ServiceOf service_of) : metrics_(metrics), service_of_(std::move(service_of)) {}

    Status start(SessionContext& context) override {
        context.collector.add_extension(PMT_REC_REQUEST, PMT_REC_REQUEST, [this](Collector&, const RecordView& r) {
            const pmt_request_record& req = r.request();
            // Neither BEGIN nor DONE: php_request_shutdown entered, the script is
            // over and the heap still holds what it did (its peak is the request's).
            if (req.hdr.flags & (PMT_REQUEST_BEGIN | PMT_REQUEST_DONE)) return;
            // Counted even when the heap's figures could not be read (BAD_HEAP_READ).
            metrics_.on_request_end(service_of_(r.tgid()), printable_field(req.uri, sizeof(req.uri)), req.heap,
                                    req.hdr.flags & PMT_HEAP_STATE_OK);
        });
        context.collector.add_extension(PMT_REC_GC_END, PMT_REC_GC_END, [this](Collector&, const RecordView& r) {
            metrics_.on_gc(service_of_(r.tgid()), r.gc().collected);
        });
        return Status::success();
    }

    void finish(Profile&) override {}

private:
    AgentMetrics& metrics_;
    ServiceOf service_of_;
};

}  // namespace

std::unique_ptr<SessionModule> make_agent_module(AgentMetrics& metrics, ServiceOf service_of) {
    return std::make_unique<AgentModule>(metrics, std::move(service_of));
}

}  // namespace pmt
