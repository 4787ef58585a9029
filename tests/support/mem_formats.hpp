// The wl_shm / memory formats as the tests know them: name, DRM code spelled out, bytes per
// pixel. The tests' own list, independent of the library's format table
// (src/common/pixel_format.cpp), shared by test_shm and test_render.
#pragma once

#include <cstdint>
#include <ostream>

#include "wlgpu/format.hpp"

namespace wlgpu::test {

struct MemFormat {
    const char* name;
    uint32_t code;
    int bpp;
};
inline void PrintTo(const MemFormat& f, std::ostream* os) { *os << f.name; }

inline constexpr MemFormat kMemFormats[] = {
    {"ARGB8888", fourcc('A', 'R', '2', '4'), 4},     {"XRGB8888", fourcc('X', 'R', '2', '4'), 4},
    {"ABGR8888", fourcc('A', 'B', '2', '4'), 4},     {"XBGR8888", fourcc('X', 'B', '2', '4'), 4},
    {"ARGB2101010", fourcc('A', 'R', '3', '0'), 4},  {"XRGB2101010", fourcc('X', 'R', '3', '0'), 4},
    {"ABGR2101010", fourcc('A', 'B', '3', '0'), 4},  {"XBGR2101010", fourcc('X', 'B', '3', '0'), 4},
    {"RGB565", fourcc('R', 'G', '1', '6'), 2},       {"ABGR16161616F", fourcc('A', 'B', '4', 'H'), 8},
    {"XBGR16161616F", fourcc('X', 'B', '4', 'H'), 8}, {"ARGB16161616F", fourcc('A', 'R', '4', 'H'), 8},
    {"XRGB16161616F", fourcc('X', 'R', '4', 'H'), 8},
};

}  // namespace wlgpu::test
