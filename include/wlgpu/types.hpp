// Plain geometry and option types shared by the renderer, the importers and the wlroots adapter.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace wlgpu {

struct Box {  // integer pixel box, like wlr_box
    int32_t x = 0, y = 0, width = 0, height = 0;
    bool empty() const { return width <= 0 || height <= 0; }
    bool operator==(const Box&) const = default;
};

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
