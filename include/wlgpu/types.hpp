// Plain geometry and option types shared by the renderer, the importers and the wlroots adapter.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>

namespace wlgpu {

struct Box {  // integer pixel box, like wlr_box
    int32_t x = 0, y = 0, width = 0, height = 0;
    bool empty() const { return width <= 0 || height <= 0; }
    bool operator==(const Box&) const = default;
};

// The overlap of two boxes, or an empty Box{} when they do not overlap. Right and bottom edges
// are computed in 64 bits, so boxes whose x + width passes INT32_MAX (wlroots' "infinite" clip
// boxes, damage near the limits) intersect correctly instead of overflowing.
constexpr Box intersect(Box a, Box b) {
    int32_t x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
    int64_t x1 = std::min(int64_t(a.x) + a.width, int64_t(b.x) + b.width);
    int64_t y1 = std::min(int64_t(a.y) + a.height, int64_t(b.y) + b.height);
    if (a.empty() || b.empty() || x1 <= x0 || y1 <= y0) return {};
    return {x0, y0, int32_t(x1 - x0), int32_t(y1 - y0)};
}

// The smallest box holding both (an empty box adds nothing); width and height saturate at
// INT32_MAX where the union is wider than an int32 can say.
constexpr Box unite(Box a, Box b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    int32_t x0 = std::min(a.x, b.x), y0 = std::min(a.y, b.y);
    int64_t x1 = std::max(int64_t(a.x) + a.width, int64_t(b.x) + b.width);
    int64_t y1 = std::max(int64_t(a.y) + a.height, int64_t(b.y) + b.height);
    constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
    return {x0, y0, int32_t(std::min(x1 - x0, kMax)), int32_t(std::min(y1 - y0, kMax))};
}

struct FBox {  // fractional box, like wlr_fbox; empty = the whole texture
    double x = 0, y = 0, width = 0, height = 0;
    bool empty() const { return width <= 0 || height <= 0; }
};

struct Color {  // premultiplied RGBA, 0..1
    float r = 0, g = 0, b = 0, a = 0;
};

// Same values as enum wl_output_transform.
enum class Transform : uint32_t {
    normal = 0, rotate_90 = 1, rotate_180 = 2, rotate_270 = 3,
    flipped = 4, flipped_90 = 5, flipped_180 = 6, flipped_270 = 7,
};

// Same order as wlroots' enum wlr_scale_filter_mode and wlr_render_blend_mode.
enum class Filter : uint32_t { bilinear = 0, nearest = 1 };
enum class Blend : uint32_t { premultiplied = 0, none = 1 };

// A clip region as a list of boxes in target pixels. std::nullopt = no clip;
// an empty list clips everything away (as an empty pixman region does in wlroots).
using Clip = std::optional<std::span<const Box>>;

}  // namespace wlgpu
