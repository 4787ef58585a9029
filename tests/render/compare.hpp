// Image comparison of the pixel tests (render and wlr): 8-bit units, with a tolerance.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <format>
#include <string>

#include "render/reference.hpp"

namespace wlgpu::test {

// Compares in 8-bit units; reports the first mismatches and their count.
inline ::testing::AssertionResult images_match(const ref::Image& got, const ref::Image& want, int tolerance) {
    int bad = 0;
    std::string first;
    for (int y = 0; y < want.h; y++)
        for (int x = 0; x < want.w; x++) {
            const auto &g = got.at(x, y), &w = want.at(x, y);
            int d[4] = {ref::q8(g.r) - ref::q8(w.r), ref::q8(g.g) - ref::q8(w.g), ref::q8(g.b) - ref::q8(w.b),
                        ref::q8(g.a) - ref::q8(w.a)};
            for (int c : d)
                if (std::abs(c) > tolerance) {
                    if (bad++ < 5)
                        first += std::format(" ({},{}): got {} {} {} {} want {} {} {} {};", x, y, ref::q8(g.r),
                                             ref::q8(g.g), ref::q8(g.b), ref::q8(g.a), ref::q8(w.r), ref::q8(w.g),
                                             ref::q8(w.b), ref::q8(w.a));
                    break;
                }
        }
    if (!bad) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << bad << " pixels differ by more than " << tolerance << ":" << first;
}

}  // namespace wlgpu::test
