// The renderer: frames of textured quads and solid rects into a wlgpu Texture, in
// the spirit of Smithay's Frame. One render pass per frame; draws are batched.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wlgpu/error.hpp"
#include "wlgpu/texture.hpp"
#include "wlgpu/types.hpp"

namespace wlgpu {

class Bridge;

struct TextureDraw {
    const Texture* texture = nullptr;
    FBox src;                      // in texture pixels (before transform); empty = whole texture
    Box dst;                       // in target pixels
    Transform transform = Transform::normal;  // applied to the texture, as wlroots does
    float alpha = 1.0f;
    Filter filter = Filter::bilinear;
    Blend blend = Blend::premultiplied;
    Clip clip = std::nullopt;
};

struct RectDraw {
    Box box;
    Color color;                   // premultiplied
    Blend blend = Blend::premultiplied;
    Clip clip = std::nullopt;
};

// Counters that tests and benchmarks read (steady state must not allocate per draw).
struct RenderStats {
    uint64_t frames = 0, render_passes = 0, draws = 0, scissored_draws = 0;
    uint64_t buffers_created = 0, bind_groups_created = 0, pipelines_created = 0;
};

class Frame;

// A GPU timer: the duration of one frame's GPU work when timestamp queries exist.
class RenderTimer {
public:
    virtual ~RenderTimer() = default;
    // Nanoseconds, or an error (unsupported / not finished yet).
    virtual Result<uint64_t> duration_ns() = 0;
};

class Renderer {
public:
    static Result<std::unique_ptr<Renderer>> create(Bridge& bridge);
    ~Renderer();

    // Starts a frame that renders into target (which needs TextureUsage::render).
    Result<Frame> begin(Texture& target, RenderTimer* timer = nullptr);
    std::unique_ptr<RenderTimer> create_timer();

    const RenderStats& stats() const;
    Bridge& bridge() const;

    struct Impl;
    Impl& impl() { return *impl_; }

private:
    explicit Renderer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

class Frame {
public:
    Frame(Frame&&) noexcept;
    Frame& operator=(Frame&&) noexcept;
    ~Frame();  // a frame that was never submitted is dropped (nothing is rendered)

    void clear(Color color, Clip clip = std::nullopt);
    Result<void> draw_texture(const TextureDraw& draw);
    Result<void> draw_rect(const RectDraw& draw);
    // Records the one render pass and submits it.
    Result<void> submit();

    struct Impl;

private:
    friend class Renderer;
    explicit Frame(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace wlgpu
