// The heap chart drawn from a synthetic timeline: valid XML, one marker per GC
// run, one band per request, the memory_limit line, and the fragmentation figure.
#include <gtest/gtest.h>
#include <tinyxml2.h>

#include <sstream>
#include <string>

#include "report/heap_chart_svg.h"

namespace pmt {
namespace {

size_t count_titles_starting(const tinyxml2::XMLElement* e, const std::string& prefix) {
    size_t n = 0;
    for (; e; e = e->NextSiblingElement()) {
        if (std::string(e->Name()) == "title" && e->GetText() && std::string(e->GetText()).rfind(prefix, 0) == 0) ++n;
        n += count_titles_starting(e->FirstChildElement(), prefix);
    }
    return n;
}

Profile sample_profile() {
    Profile p;
    p.duration_s = 2.0;
    p.target.command = "php8.2 -n chart.php";
    HeapTimeline t;
    const uint64_t mib = 1 << 20;
    t.samples = {{0.0, 1, 100000, 2 * mib, 1, 0},
                 {0.5, 1, 3 * mib, 4 * mib, 2, 0},
                 {1.0, 1, 9 * mib, 10 * mib, 2, 6 * mib},
                 {1.5, 1, 2 * mib, 4 * mib, 2, 0}};
    t.gc_runs.resize(3);
    for (int i = 0; i < 3; ++i) {
        t.gc_runs[i].start_s = 0.4 + 0.4 * i;
        t.gc_runs[i].duration_s = 0.05;
        t.gc_runs[i].collected = 100;
    }
    t.requests.resize(2);
    t.requests[0] = RequestFigures{1, "/a.php", "GET", "", 0.1, 0.5, 3 * mib, 3 * mib, 5 * mib, mib, 4 * mib};
    t.requests[1] = RequestFigures{1, "/b.php", "GET", "", 0.9, 0.5, 9 * mib, 9 * mib, 9 * mib, mib, 10 * mib};
    LimitEvent l;
    l.limit_bytes = 12 * mib;
    t.limit = l;
    t.real_peak_bytes = 10 * mib;
    t.real_peak_at_s = 1.0;
    t.used_at_real_peak_bytes = 9 * mib;
    t.chunks_peak = 2;
    t.huge_peak_bytes = 6 * mib;
    t.method = "test";
    p.heap_timeline = t;
    return p;
}

TEST(HeapChart, DrawsSeriesMarkersAndBands) {
    std::ostringstream out;
    write_heap_chart_svg(sample_profile(), out);
    const std::string svg = out.str();
    tinyxml2::XMLDocument doc;
    ASSERT_EQ(doc.Parse(svg.c_str()), tinyxml2::XML_SUCCESS) << svg;
    const tinyxml2::XMLElement* root = doc.RootElement();
    ASSERT_STREQ(root->Name(), "svg");
    EXPECT_EQ(count_titles_starting(root->FirstChildElement(), "GC run at "), 3u);
    EXPECT_EQ(count_titles_starting(root->FirstChildElement(), "GET /a.php"), 1u);
    EXPECT_EQ(count_titles_starting(root->FirstChildElement(), "GET /b.php"), 1u);
    EXPECT_EQ(count_titles_starting(root->FirstChildElement(), "2 MiB chunks mapped"), 1u);
    EXPECT_NE(svg.find("memory_limit 12 MiB"), std::string::npos);
    // 10 MiB mapped, 9 MiB used at the real peak: 10.0% unused.
    EXPECT_NE(svg.find("10.0% of the mapped heap unused"), std::string::npos);
}

TEST(HeapChart, SaysSoWithoutATimeline) {
    Profile p;
    std::ostringstream out;
    write_heap_chart_svg(p, out);
    tinyxml2::XMLDocument doc;
    ASSERT_EQ(doc.Parse(out.str().c_str()), tinyxml2::XML_SUCCESS);
    EXPECT_NE(out.str().find("No heap timeline"), std::string::npos);
}

}  // namespace
}  // namespace pmt
