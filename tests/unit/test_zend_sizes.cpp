#include <gtest/gtest.h>

#include "collect/zend_sizes.h"

using namespace pmt::zend;

TEST(ZendSizes, SmallSizesRoundUpToTheirBin) {
    EXPECT_EQ(block_size(0), 8u);
    EXPECT_EQ(block_size(1), 8u);
    EXPECT_EQ(block_size(8), 8u);
    EXPECT_EQ(block_size(9), 16u);
    EXPECT_EQ(block_size(65), 80u);
    EXPECT_EQ(block_size(100), 112u);
    EXPECT_EQ(block_size(3000), 3072u);
    EXPECT_EQ(block_size(3072), 3072u);
}

TEST(ZendSizes, LargeAndHugeSizesRoundToPages) {
    EXPECT_EQ(block_size(3073), 4096u);
    EXPECT_EQ(block_size(4097), 8192u);
    EXPECT_EQ(block_size(PMT_ZEND_MAX_LARGE_SIZE), uint64_t(PMT_ZEND_MAX_LARGE_SIZE));
    // huge: pages plus the 24-byte zend_mm_huge_list node heap->size also counts
    EXPECT_EQ(block_size(3u << 20), (3u << 20) + 24);
    EXPECT_EQ(block_size((3u << 20) + 1), (3u << 20) + 4096 + 24);
}

TEST(ZendSizes, BinsAreTheZendMemoryManagersThirtyBins) {
    ASSERT_EQ(kBinSizes.size(), 30u);
    for (size_t i = 1; i < kBinSizes.size(); ++i) EXPECT_LT(kBinSizes[i - 1], kBinSizes[i]);
    EXPECT_EQ(kBinSizes.back(), PMT_ZEND_MAX_SMALL_SIZE);
}

TEST(ZendSizes, InPlaceReallocKeepsSmallBinAndPageRoundsLarge) {
    EXPECT_EQ(in_place_realloc_size(16, 9), 16u);   // fits the same bin
    EXPECT_EQ(in_place_realloc_size(16, 8), 16u);   // zend keeps it in place when >= previous bin
    EXPECT_EQ(in_place_realloc_size(8192, 5000), 8192u);
    EXPECT_EQ(in_place_realloc_size(8192, 20000), 20480u);
}
