// Box operations (include/wlgpu/types.hpp): the one intersect/unite of the renderer and the
// wlroots adapter, checked against edges computed by hand, including boxes near INT32_MAX.
#include <gtest/gtest.h>

#include <climits>

#include "wlgpu/types.hpp"

using wlgpu::Box;

TEST(Box, IntersectOverlapAndDisjoint) {
    EXPECT_EQ(intersect(Box{0, 0, 10, 10}, Box{4, 6, 10, 10}), (Box{4, 6, 6, 4}));
    EXPECT_EQ(intersect(Box{-5, -5, 10, 10}, Box{0, 0, 3, 100}), (Box{0, 0, 3, 5}));
    EXPECT_TRUE(intersect(Box{0, 0, 10, 10}, Box{10, 0, 5, 5}).empty());  // touching edges
    EXPECT_TRUE(intersect(Box{0, 0, 10, 10}, Box{3, 3, 0, 4}).empty());   // empty operand
}

// x + width past INT32_MAX: a 32-bit right edge wraps negative and the overlap is lost.
TEST(Box, IntersectDoesNotOverflowNearInt32Max) {
    const Box huge{INT_MAX - 100, 0, 1000, 50};  // right edge INT_MAX + 900
    EXPECT_EQ(intersect(huge, Box{INT_MAX - 50, 10, 20, 20}), (Box{INT_MAX - 50, 10, 20, 20}));
    EXPECT_EQ(intersect(Box{INT_MAX - 100, 0, 1000, 50}, Box{INT_MAX - 300, 0, 1000, 50}),
              (Box{INT_MAX - 100, 0, 800, 50}));  // both right edges past INT_MAX
    const Box everything{100, 100, INT_MAX, INT_MAX};  // a clip "to everything below-right"
    EXPECT_EQ(intersect(everything, Box{150, 120, 30, 40}), (Box{150, 120, 30, 40}));
}

TEST(Box, UniteSaturates) {
    EXPECT_EQ(unite(Box{}, Box{1, 2, 3, 4}), (Box{1, 2, 3, 4}));
    EXPECT_EQ(unite(Box{0, 0, 2, 2}, Box{5, 1, 1, 4}), (Box{0, 0, 6, 5}));
    EXPECT_EQ(unite(Box{INT_MIN, 0, 10, 1}, Box{INT_MAX - 10, 0, 10, 1}), (Box{INT_MIN, 0, INT_MAX, 1}));
}
