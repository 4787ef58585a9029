// bench/render's self-check: an independent CPU composite of the scene, and a per-channel
// frame comparison (see render_peers.hpp).
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "render_peers.hpp"

namespace bench {

std::vector<uint8_t> reference_frame(const std::vector<Surface>& surfaces) {
    std::vector<uint8_t> out(size_t(kW) * kH * 4, 0);
    for (size_t i = 3; i < out.size(); i += 4) out[i] = 255;  // cleared to (0, 0, 0, 1)
    for (const Surface& s : surfaces) {
        const wlgpu::Box& d = s.dst;
        for (int y = std::max(d.y, 0); y < std::min(d.y + d.height, kH); y++) {
            for (int x = std::max(d.x, 0); x < std::min(d.x + d.width, kW); x++) {
                const uint8_t* src = &s.pixels[(size_t(y - d.y) * d.width + (x - d.x)) * 4];
                uint8_t* dst = &out[(size_t(y) * kW + x) * 4];
                const float keep = 1.0f - src[3] / 255.0f;
                for (int c = 0; c < 4; c++) {
                    float v = src[c] / 255.0f + dst[c] / 255.0f * keep;
                    dst[c] = uint8_t(std::lround(std::min(v, 1.0f) * 255.0f));
                }
            }
        }
    }
    return out;
}

Diff compare(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, int tolerance) {
    Diff d;
    for (size_t i = 0; i + 3 < std::min(a.size(), b.size()); i += 4) {
        int m = 0;
        for (int c = 0; c < 4; c++) m = std::max(m, std::abs(int(a[i + c]) - int(b[i + c])));
        d.max = std::max(d.max, m);
        if (m > tolerance) d.pixels_over++;
    }
    if (a.size() != b.size()) d.max = 255, d.pixels_over += std::max(a.size(), b.size()) / 4;
    return d;
}

}  // namespace bench
