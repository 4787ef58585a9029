// bench/readback: what waiting for the GPU and reading a frame back into memory cost the CPU.
//
//   bench_readback [frames] [WxH] [quads] [read WxH]
//
// A frame = `quads` (default 8) translucent full-target quads of a 256x256 texture (GPU work), submitted; then
//   wait   the calling thread waits for it (Bridge::wait_idle: wgpuInstanceWaitAny on the queue's
//          work-done future, i.e. Dawn's vkWaitForFences), or polls it without blocking
//          (WaitAny with timeout 0) and sleeps 50 us between polls (nanosleep);
//   read   the whole target is read back into page-aligned memory (stride a multiple of 256)
//          with Texture::read_back_to_memory: the GPU writing into the imported memory
//          (HostMappedPointer) or the staging buffer + CPU copy (may_import = false).
// Then the same frame and a read-back of its top-left `read WxH` (default: the whole target) in
// two submits (Frame::submit, then read_back_to_memory) and in one (Frame::submit(MemoryTarget):
// the copy recorded in the frame's command buffer), host-mapped and staged, each measured from
// Renderer::begin to the pixels being in memory.
// Last, the floor any Dawn renderer pays for a frame (raw Dawn, no wlgpu code): an empty command
// buffer submitted and waited for, and a render pass on the target that loads, draws nothing and
// stores, submitted and waited for: what a damage-only frame costs before it draws anything.
// Then the same floors paced as a compositor's frames are (one frame every 16.7 ms, the thread
// asleep in between, so each frame finds its caches cold), next to the CPU peer doing a
// damage-only frame's pixels: pixman compositing `read WxH` (default 256x256) of an opaque
// client image into the target memory (what wlroots' pixman renderer does for a frame whose
// damage is one window of that size), with wlgpu's frame of the same damage (one 1:1 opaque
// draw of that size, read back into host-mapped memory, one submit) and the ratios against pixman.
// For each: wall ms, the calling thread's CPU ms (CLOCK_THREAD_CPUTIME_ID: spinning shows here)
// and the process's CPU ms (all threads; on lavapipe its rasteriser threads are the GPU), per
// frame, mean over the frames after 3 warm-up frames.
#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include <pixman.h>

#include "frames.hpp"
#include "meter.hpp"
#include "wlgpu/bridge.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/render.hpp"
#include "wlgpu/texture.hpp"

using namespace wlgpu;
using bench::Meter;
using bench::Sample;
using bench::row;
using bench::sleep_until_next_frame;

namespace {

void die(const char* what, const Error& e) {
    std::fprintf(stderr, "bench_readback: %s: %s\n", what, e.message.c_str());
    std::exit(1);
}

// Waits for the queue's submitted work without blocking in the driver: polls, sleeps 50 us.
void wait_polling(Bridge& b) {
    WGPUQueueWorkDoneCallbackInfo cb{};
    cb.mode = WGPUCallbackMode_WaitAnyOnly;
    cb.callback = [](WGPUQueueWorkDoneStatus, WGPUStringView, void*, void*) {};
    WGPUFutureWaitInfo w{wgpuQueueOnSubmittedWorkDone(b.queue(), cb), false};
    while (wgpuInstanceWaitAny(b.instance(), 1, &w, 0) != WGPUWaitStatus_Success) {
        timespec ts{0, 50'000};
        nanosleep(&ts, nullptr);
    }
}

// Raw Dawn: an encoder, a render pass on `view` that loads and stores (none: no pass), finish,
// submit, wait.
void submit_raw(Bridge& b, WGPUTextureView view) {
    WGPUCommandEncoder enc = wgpuDeviceCreateCommandEncoder(b.device(), nullptr);
    if (view) {
        WGPURenderPassColorAttachment color{};
        color.view = view;
        color.depthSlice = WGPU_DEPTH_SLICE_UNDEFINED;
        color.loadOp = WGPULoadOp_Load;
        color.storeOp = WGPUStoreOp_Store;
        WGPURenderPassDescriptor rp{};
        rp.colorAttachmentCount = 1;
        rp.colorAttachments = &color;
        WGPURenderPassEncoder p = wgpuCommandEncoderBeginRenderPass(enc, &rp);
        wgpuRenderPassEncoderEnd(p);
        wgpuRenderPassEncoderRelease(p);
    }
    WGPUCommandBuffer cb = wgpuCommandEncoderFinish(enc, nullptr);
    wgpuQueueSubmit(b.queue(), 1, &cb);
    wgpuCommandBufferRelease(cb);
    wgpuCommandEncoderRelease(enc);
    if (auto ok = b.wait_idle(); !ok) die("wait", ok.error());
}

struct Scene {
    Renderer& r;
    Texture& target;
    Texture& tex;
    int quads;
    RenderTimer* timer = nullptr;  // the render pass's GPU time, where the adapter has timestamps
    void submit(const MemoryTarget* read_back = nullptr) {
        auto f = r.begin(target, timer);
        if (!f) die("begin", f.error());
        if (auto ok = bench::draw_translucent_quads(*f, tex, target.width(), target.height(), quads); !ok)
            die("draw", ok.error());
        if (auto s = read_back ? f->submit(*read_back) : f->submit(); !s) die("submit", s.error());
    }
};

// The paced rows (see the top of the file): a frame every 16.7 ms, raw Dawn's floors, wlgpu's
// damage-only frame of dw x dh and pixman's, interleaved frame by frame so that a machine that
// slows down during the run slows all four.
void paced(Bridge& b, Renderer& r, Texture& target, void* mem, uint32_t stride, uint32_t dw, uint32_t dh, int frames) {
    dw = std::min(dw, target.width());
    dh = std::min(dh, target.height());
    const uint32_t xrgb = fourcc('X', 'R', '2', '4');
    std::vector<uint32_t> client(size_t(dw) * dh);
    std::mt19937 rng(2);
    for (auto& p : client) p = rng() | 0xff000000u;
    auto tex = Texture::from_pixels(b, xrgb, dw, dh, dw * 4, client.data());
    if (!tex) die("paced texture", tex.error());
    pixman_image_t* src = pixman_image_create_bits(PIXMAN_x8r8g8b8, int(dw), int(dh), client.data(), int(dw * 4));
    pixman_image_t* dst = pixman_image_create_bits(PIXMAN_a8r8g8b8, int(target.width()), int(target.height()),
                                                   static_cast<uint32_t*>(mem), int(stride));
    const Box damage{64, 64, int32_t(dw), int32_t(dh)};
    const MemoryTarget host{std::span<const Box>(&damage, 1), mem, stride, fourcc('A', 'R', '2', '4'), true};
    Sample empty, pass, frame, pix;
    timespec next{};
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (int i = 0; i < frames + 3; i++) {
        Sample scratch;
        const bool timed = i >= 3;
        sleep_until_next_frame(next);
        {
            Meter m;
            submit_raw(b, nullptr);
            m.add_to(timed ? empty : scratch);
        }
        sleep_until_next_frame(next);
        {
            Meter m;
            submit_raw(b, target.view());
            m.add_to(timed ? pass : scratch);
        }
        sleep_until_next_frame(next);
        {
            Meter m;
            auto f = r.begin(target);
            if (!f) die("begin", f.error());
            TextureDraw d;
            d.texture = &**tex;
            d.dst = damage;
            d.blend = Blend::none;
            if (auto ok = f->draw_texture(d); !ok) die("draw", ok.error());
            if (auto s = f->submit(host); !s) die("submit", s.error());
            m.add_to(timed ? frame : scratch);
        }
        sleep_until_next_frame(next);
        {
            Meter m;
            pixman_image_composite32(PIXMAN_OP_SRC, src, nullptr, dst, 0, 0, 0, 0, damage.x, damage.y, int(dw),
                                     int(dh));
            m.add_to(timed ? pix : scratch);
        }
    }
    pixman_image_unref(src);
    pixman_image_unref(dst);
    std::printf("\npaced, one frame every 16.7 ms (cold caches, as in a compositor), damage %ux%u:\n\n", dw, dh);
    std::printf("| per frame | wall ms | calling thread CPU ms | process CPU ms |\n|---|---:|---:|---:|\n");
    row("raw Dawn: empty command buffer, submit, wait", empty, frames);
    row("raw Dawn: render pass (load, no draw, store), submit, wait", pass, frames);
    row("wlgpu: 1:1 opaque draw + read-back into host-mapped memory, one submit", frame, frames);
    row("pixman: composite (SRC) into the memory", pix, frames);
    std::printf("\nthread CPU / pixman's: raw Dawn empty %.1f, raw Dawn pass %.1f, wlgpu frame %.1f\n",
                empty.thread / pix.thread, pass.thread / pix.thread, frame.thread / pix.thread);
}

}  // namespace

int main(int argc, char** argv) {
    const int frames = argc > 1 ? std::atoi(argv[1]) : 50;
    uint32_t w = 1920, h = 1080;
    if (argc > 2) std::sscanf(argv[2], "%ux%u", &w, &h);
    const int quads = argc > 3 ? std::atoi(argv[3]) : 8;
    uint32_t rw = 0, rh = 0;
    if (argc > 4) std::sscanf(argv[4], "%ux%u", &rw, &rh);
    const uint32_t argb = fourcc('A', 'R', '2', '4');
    auto bridge = Bridge::create();
    if (!bridge) die("bridge", bridge.error());
    Bridge& b = **bridge;
    auto renderer = Renderer::create(b);
    if (!renderer) die("renderer", renderer.error());
    std::vector<uint8_t> pixels(256 * 256 * 4);
    std::mt19937 rng(1);
    for (auto& p : pixels) p = uint8_t(rng());
    auto tex = Texture::from_pixels(b, argb, 256, 256, 256 * 4, pixels.data());
    auto target = Texture::create(b, argb, w, h, TextureUsage::render | TextureUsage::sample);
    if (!tex || !target) die("textures", !tex ? tex.error() : target.error());
    Scene scene{**renderer, **target, **tex, quads};

    const uint32_t stride = (w * 4 + 255) / 256 * 256;
    const size_t size = size_t(stride) * h;
    void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return 1;
    const Box all{0, 0, int32_t(w), int32_t(h)};
    const Box part = rw && rh ? Box{0, 0, int32_t(std::min(rw, w)), int32_t(std::min(rh, h))} : all;
    const MemoryTarget host_target{std::span<const Box>(&part, 1), mem, stride, argb, true};
    const MemoryTarget staged_target{std::span<const Box>(&part, 1), mem, stride, argb, false};

    std::printf("bench_readback: %s, %ux%u target, %d quads, %d frames\n\n", b.summary().c_str(), w, h, quads, frames);
    std::printf("| per frame | wall ms | calling thread CPU ms | process CPU ms |\n|---|---:|---:|---:|\n");
    auto timer = (*renderer)->create_timer();
    double gpu_ns = 0;
    int gpu_frames = 0;
    Sample submit_s, wait_any, wait_poll, read_host, read_staged, two_host, one_host, two_staged, one_staged;
    for (int i = 0; i < frames + 3; i++) {
        const bool timed = i >= 3;
        Sample scratch;
        {
            Meter m;
            scene.submit();
            m.add_to(timed ? submit_s : scratch);
        }
        {
            Meter m;
            if (auto ok = b.wait_idle(); !ok) die("wait", ok.error());
            m.add_to(timed ? wait_any : scratch);
        }
        scene.submit();
        {
            Meter m;
            wait_polling(b);
            m.add_to(timed ? wait_poll : scratch);
        }
        scene.submit();
        {
            Meter m;
            if (auto ok = (*target)->read_back_to_memory(std::span<const Box>(&all, 1), mem, stride, argb, true); !ok)
                die("read back (host-mapped)", ok.error());
            m.add_to(timed ? read_host : scratch);
        }
        scene.submit();
        {
            Meter m;
            if (auto ok = (*target)->read_back_to_memory(std::span<const Box>(&all, 1), mem, stride, argb, false); !ok)
                die("read back (staged)", ok.error());
            m.add_to(timed ? read_staged : scratch);
        }
        for (const MemoryTarget* t : {&host_target, &staged_target}) {
            {
                Meter m;
                scene.submit();
                if (auto ok = (*target)->read_back_to_memory(t->boxes, t->data, t->stride, t->drm_format, t->may_import);
                    !ok)
                    die("read back", ok.error());
                m.add_to(!timed ? scratch : t->may_import ? two_host : two_staged);
            }
            {
                Meter m;
                scene.timer = t->may_import ? timer.get() : nullptr;
                scene.submit(t);
                scene.timer = nullptr;
                m.add_to(!timed ? scratch : t->may_import ? one_host : one_staged);
            }
            if (timer && t->may_import && timed)
                if (auto ns = timer->duration_ns()) gpu_ns += double(*ns), gpu_frames++;
        }
    }
    row("record + submit", submit_s, frames);
    row("wait: WaitAny (Bridge::wait_idle)", wait_any, frames);
    row("wait: poll + 50 us sleeps", wait_poll, frames);
    row("frame wait + read-back, host-mapped", read_host, frames);
    row("frame wait + read-back, staging + memcpy", read_staged, frames);
    std::printf("\nframe + read-back of %dx%d, from begin to the pixels in memory:\n\n", part.width, part.height);
    std::printf("| per frame | wall ms | calling thread CPU ms | process CPU ms |\n|---|---:|---:|---:|\n");
    row("two submits (submit, read_back_to_memory), host-mapped", two_host, frames);
    row("one submit (submit(MemoryTarget)), host-mapped", one_host, frames);
    row("two submits, staging + memcpy", two_staged, frames);
    row("one submit, staging + memcpy", one_staged, frames);
    if (gpu_frames)
        std::printf("\nGPU time of the one-submit host-mapped frames' render pass (timestamps): %.3f ms (%d frames)\n",
                    gpu_ns / gpu_frames / 1e6, gpu_frames);
    else
        std::printf("\nno GPU time: %s\n", timer ? "no timestamp read back" : "no timestamp queries");
    Sample empty, pass;
    for (int i = 0; i < frames + 3; i++) {
        Sample scratch;
        {
            Meter m;
            submit_raw(b, nullptr);
            m.add_to(i >= 3 ? empty : scratch);
        }
        {
            Meter m;
            submit_raw(b, (*target)->view());
            m.add_to(i >= 3 ? pass : scratch);
        }
    }
    std::printf("\nraw Dawn, the floor of a frame (no wlgpu code), submitted and waited for:\n\n");
    std::printf("| per frame | wall ms | calling thread CPU ms | process CPU ms |\n|---|---:|---:|---:|\n");
    row("empty command buffer", empty, frames);
    row("render pass (load, no draw, store)", pass, frames);
    paced(b, **renderer, **target, mem, stride, rw && rh ? rw : 256, rh && rw ? rh : 256, frames);
    const TransferStats& t = b.transfers();
    std::printf("\ntransfers: readback host-mapped %llu, staged %llu, staging buffers created %llu, imports %llu\n",
                (unsigned long long)t.readback_host_mapped, (unsigned long long)t.readback_staged,
                (unsigned long long)t.staging_buffers_created, (unsigned long long)t.host_imports_created);
    munmap(mem, size);
    return 0;
}
