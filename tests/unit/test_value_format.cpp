// The one byte formatter (report/value_format.h), and the reports that use it.
#include <gtest/gtest.h>

#include <sstream>

#include "render_fixtures.h"
#include "report/heap_summary.h"
#include "report/text_summary.h"
#include "report/value_format.h"

namespace pmt {
namespace {

TEST(ValueFormat, BytesHaveThreeSignificantDigitsWithoutTrailingZeros) {
    EXPECT_EQ(format_bytes(0), "0 B");
    EXPECT_EQ(format_bytes(812), "812 B");
    EXPECT_EQ(format_bytes(1023), "1023 B");
    EXPECT_EQ(format_bytes(1024), "1 KiB");
    EXPECT_EQ(format_bytes(1536), "1.5 KiB");
    EXPECT_EQ(format_bytes(7000), "6.84 KiB");
    EXPECT_EQ(format_bytes(11162), "10.9 KiB");
    EXPECT_EQ(format_bytes(10 * 1024), "10 KiB");
    EXPECT_EQ(format_bytes(10239), "10 KiB");  // 9.999 KiB
    EXPECT_EQ(format_bytes(500000), "488 KiB");
    EXPECT_EQ(format_bytes(12u << 20), "12 MiB");
    EXPECT_EQ(format_bytes(1288490189), "1.2 GiB");
    EXPECT_EQ(format_bytes(uint64_t(3) << 40), "3 TiB");
    EXPECT_EQ(format_bytes(~uint64_t(0)), "16777216 TiB");
}

TEST(ValueFormat, BytesJustBelowAUnitTakeTheNextUnit) {
    EXPECT_EQ(format_bytes((1u << 20) - 1), "1 MiB");  // not "1024 KiB"
    EXPECT_EQ(format_bytes((1u << 20) - 600), "1023 KiB");
    EXPECT_EQ(format_bytes((uint64_t(1) << 30) - 1), "1 GiB");
}

TEST(ValueFormat, DeltasAndCountsKeepTheirUnits) {
    EXPECT_EQ(format_view_delta(1536, View::Alloc), "+1.5 KiB");
    EXPECT_EQ(format_view_delta(-6000, View::Live), "-5.86 KiB");
    EXPECT_EQ(format_view_delta(0, View::Peak), "0 B");
    EXPECT_EQ(format_view_value(1234, View::Count), "1,234 allocations");
}

// The terminal summaries write their sizes with format_bytes too.
TEST(ValueFormat, SummariesUseTheOneFormatter) {
    Profile p = testing::small_profile();
    p.heap.live_bytes = 1536;
    p.heap.peak_live_bytes = 12u << 20;
    std::ostringstream text;
    write_text_summary(p, text);
    EXPECT_NE(text.str().find("live 1.5 KiB (when the script ended), peak 12 MiB at"), std::string::npos)
        << text.str();
    EXPECT_NE(text.str().find("5.86 KiB"), std::string::npos) << text.str();  // the 6000-byte stack

    HeapTimeline t;
    t.real_peak_bytes = 10u << 20;
    t.used_at_real_peak_bytes = 7000;
    t.huge_peak_bytes = 3u << 20;
    p.heap_timeline = t;
    std::ostringstream heap;
    write_heap_summary(p, heap);
    EXPECT_NE(heap.str().find("real peak 10 MiB at"), std::string::npos) << heap.str();
    EXPECT_NE(heap.str().find("huge peak 3 MiB); used then 6.84 KiB"), std::string::npos) << heap.str();
}

}  // namespace
}  // namespace pmt
