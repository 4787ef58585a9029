// bench/render: the scene and the two raw-Dawn peers wlgpu's Renderer is compared with.
//   NaivePeer (render_naive.cpp): a uniform buffer per frame, a bind group and SetPipeline
//     per draw, nothing cached: the floor a careless WebGPU compositor sits on.
//   CompetentPeer (render_competent.cpp): one pipeline, one instance buffer written with
//     one wgpuQueueWriteBuffer per frame, bind groups made once per texture and cached:
//     what a careful hand-written Dawn compositor does for this scene.
// Both draw what the wlgpu side draws (bench/render.cpp): each surface's whole texture,
// untransformed, at its dst box, bilinear, premultiplied blending, after a clear to opaque
// black, into the same target.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "wlgpu/bridge.hpp"
#include "wlgpu/texture.hpp"

namespace bench {

namespace wg = wlgpu::wg;

constexpr uint32_t kARGB8888 = 'A' | 'R' << 8 | '2' << 16 | '4' << 24;
constexpr int kW = 1920, kH = 1080;

struct Surface {
    std::shared_ptr<wlgpu::Texture> tex;
    wlgpu::Box dst;
    std::vector<uint8_t> pixels;  // what was uploaded (ARGB8888, tight rows), for the self-check
};

// Raw-Dawn pieces both peers build identically (render_peer_dawn.cpp): a pipeline from WGSL
// entry points vs/fs with one bind group of `entries` and an optional vertex buffer, BGRA8
// target, premultiplied blending, triangle strips; the bilinear clamp-to-edge sampler.
struct PeerPipeline {
    wg::ShaderModule module;
    wg::BindGroupLayout layout;
    wg::PipelineLayout pipeline_layout;
    wg::RenderPipeline pipeline;
    wg::Sampler sampler;
};
PeerPipeline make_peer_pipeline(WGPUDevice device, const char* wgsl, std::span<const WGPUBindGroupLayoutEntry> entries,
                                const WGPUVertexBufferLayout* vertex_buffer);
// The fragment stage's sampled 2D float texture at `binding` and its filtering sampler at
// binding + 1, written into e[0] and e[1].
void texture_sampler_entries(WGPUBindGroupLayoutEntry* e, uint32_t binding);
// A render pass into view that starts by clearing it to opaque black.
wg::RenderPassEncoder begin_cleared_pass(WGPUCommandEncoder enc, WGPUTextureView view);

class NaivePeer {
public:
    explicit NaivePeer(wlgpu::Bridge& b);
    void frame(wlgpu::Texture& target, const std::vector<Surface>& surfaces);

private:
    wlgpu::Bridge& b;
    PeerPipeline p;
};

class CompetentPeer {
public:
    explicit CompetentPeer(wlgpu::Bridge& b);
    void frame(wlgpu::Texture& target, const std::vector<Surface>& surfaces);
    // Drops the cached bind groups (their views keep the textures alive): call it when the
    // surfaces' textures go away, as a compositor does on wlr_texture destroy.
    void forget_textures() { groups_.clear(); }
    uint64_t bind_groups_created() const { return bind_groups_created_; }
    uint64_t buffers_created() const { return buffers_created_; }

private:
    struct Instance {
        float rect[4];  // x0, y0, x1, y1 in NDC
        float uv[4];    // u0, v0, u1, v1
    };
    WGPUBindGroup bind_group(const wlgpu::Texture& t);
    void reserve(size_t count);

    wlgpu::Bridge& b_;
    PeerPipeline p_;
    wg::Buffer instances_;
    size_t capacity_ = 0;                        // in instances
    std::vector<Instance> scratch_;              // reused every frame
    std::unordered_map<WGPUTextureView, wg::BindGroup> groups_;  // one per texture, made on first use
    uint64_t bind_groups_created_ = 0, buffers_created_ = 0;
};

// The bench's self-check (render_check.cpp), run outside the timing.
// The scene composited on the CPU, as ARGB8888 (tight rows): clear to opaque black, then each
// surface's texels copied 1:1 into its dst box with premultiplied "over", rounded to 8 bits
// after each surface as the 8-bit target does.
std::vector<uint8_t> reference_frame(const std::vector<Surface>& surfaces);
// Largest per-channel difference between two frames, and how many pixels differ by more than tolerance.
struct Diff {
    int max = 0;
    size_t pixels_over = 0;
};
Diff compare(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, int tolerance);

}  // namespace bench
