// wl_output transforms as wlroots applies them to a texture: the crop is taken
// first, then the transform, then the scale to the dst box. WL_OUTPUT_TRANSFORM_90
// turns the texture content 90 degrees counter-clockwise (as wlroots' pixman and
// Vulkan renderers do); FLIPPED mirrors around the vertical axis before rotating.
#include "render/renderer_impl.hpp"

namespace wlgpu::render {

namespace {

// Where in the crop (0..1 each way) the dst corner (s, t) samples from.
struct Corner {
    float a, b;
};

Corner crop_coord(Transform t, float s, float u) {
    switch (t) {
        case Transform::normal: return {s, u};
        case Transform::rotate_90: return {1 - u, s};
        case Transform::rotate_180: return {1 - s, 1 - u};
        case Transform::rotate_270: return {u, 1 - s};
        case Transform::flipped: return {1 - s, u};
        case Transform::flipped_90: return {u, s};
        case Transform::flipped_180: return {s, 1 - u};
        case Transform::flipped_270: return {1 - u, 1 - s};
    }
    return {s, u};
}

}  // namespace

UvMap map_uv(FBox src, Transform t, uint32_t tex_w, uint32_t tex_h) {
    if (src.empty()) src = {0, 0, double(tex_w), double(tex_h)};
    auto uv = [&](float s, float u) {
        Corner c = crop_coord(t, s, u);
        return std::array<float, 2>{float((src.x + c.a * src.width) / tex_w),
                                    float((src.y + c.b * src.height) / tex_h)};
    };
    auto o = uv(0, 0), sx = uv(1, 0), ty = uv(0, 1);
    return {{o[0], o[1]}, {sx[0] - o[0], sx[1] - o[1]}, {ty[0] - o[0], ty[1] - o[1]}};
}

}  // namespace wlgpu::render
