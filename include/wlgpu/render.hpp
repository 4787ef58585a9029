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

// What a submitted frame's completion is, as a value (Smithay's Frame::finish() -> SyncPoint):
//   signalled  nothing to wait for on the target (its access ended with no pending fence);
//   fence      a sync_file that signals when the frame's GPU work on its target is done (the
//              target's end-of-access fence; owned here, closed with the SyncPoint);
//   work_done  no fence: the target is not shared memory that exports one (a plain texture, a
//              device without SyncFD fences); the frame is done when the queue's work
//              submitted so far is (wgpuQueueOnSubmittedWorkDone).
// Explicit sync signals release points from it (sync::ExplicitSync::release).
class SyncPoint {
public:
    enum class Kind { signalled, fence, work_done };
    SyncPoint() = default;  // work_done
    static SyncPoint signalled() { return SyncPoint(Kind::signalled, -1); }
    static SyncPoint from_fence(int fd) { return fd < 0 ? signalled() : SyncPoint(Kind::fence, fd); }  // owns fd
    SyncPoint(SyncPoint&& o) noexcept : kind_(o.kind_), fd_(o.take_fence()) {}
    SyncPoint& operator=(SyncPoint&& o) noexcept;
    SyncPoint(const SyncPoint&) = delete;
    SyncPoint& operator=(const SyncPoint&) = delete;
    ~SyncPoint();

    Kind kind() const { return kind_; }
    int fence() const { return fd_; }  // fence: the sync_file; else -1
    int take_fence() {  // the caller owns the sync_file (-1 if none)
        int f = fd_;
        fd_ = -1;
        return f;
    }

private:
    SyncPoint(Kind k, int fd) : kind_(k), fd_(fd) {}
    Kind kind_ = Kind::work_done;
    int fd_ = -1;
};

class Frame {
public:
    Frame(Frame&&) noexcept;
    Frame& operator=(Frame&&) noexcept;
    ~Frame();  // a frame that was never submitted is dropped (nothing is rendered)

    void clear(Color color, Clip clip = std::nullopt);
    Result<void> draw_texture(const TextureDraw& draw);
    Result<void> draw_rect(const RectDraw& draw);
    // Records the one render pass and submits it; returns what the frame's completion is.
    Result<SyncPoint> submit();

    struct Impl;

private:
    friend class Renderer;
    explicit Frame(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace wlgpu
