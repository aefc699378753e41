#include "render_all.h"

#include <sstream>

#include "report/flamegraph_svg.h"
#include "report/folded.h"
#include "report/heap_chart_svg.h"
#include "report/json_report.h"
#include "report/pprof_writer.h"
#include "report/text_summary.h"

namespace pmt::fuzz {

void render_all(const Profile& profile) {
    std::ostringstream out;
    write_json_report(profile, out);
    write_text_summary(profile, out);
    write_heap_chart_svg(profile, out);
    for (View view : kAllViews) {
        write_folded(profile, view, out);
        write_flamegraph_svg(profile, view, out);
    }
    (void)encode_pprof(profile);
}

}  // namespace pmt::fuzz
