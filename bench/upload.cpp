// bench/upload: what uploading a client's memory (wl_shm) image into its texture costs the CPU.
//
//   bench_upload [iterations] [WxH]
//
// A client image (default 1920x1080 ARGB8888, fresh random bytes in page-aligned memory) and its
// texture; per iteration the damage (a 64x64 box, or the whole image) is uploaded
//   writeTexture  Texture::update: the CPU copies the damage into Dawn's staging memory
//                 (wgpuQueueWriteTexture); the copy to the texture rides in the next submit;
//   host-mapped   Texture::update_from_import: the memory imported once (HostImport,
//                 HostUse::upload), the GPU copies the damage out of it (one copyBufferToTexture
//                 per box where the stride is a multiple of 256, else one per row, and there boxes
//                 narrower than 256 texels by writeTexture); submitted at once;
//   by the GPU    the import's copies of every box, narrow ones too (what that choice rests on).
// for a stride that is a multiple of 256 and one that is not (w * 4 + 8). Measured: the call
// alone, and the call plus the wait until the GPU has the pixels (Bridge::wait_idle; for
// writeTexture an empty submit carries its copy). Wall ms, the calling thread's CPU ms
// (CLOCK_THREAD_CPUTIME_ID) and the process's CPU ms (all threads; on lavapipe the GPU's
// copies run on CPU threads), mean per upload after 3 warm-up ones.
#include <sys/mman.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <format>
#include <random>
#include <span>
#include <string>

#include "bridge/readback.hpp"
#include "meter.hpp"
#include "wlgpu/bridge.hpp"
#include "wlgpu/format.hpp"
#include "wlgpu/texture.hpp"

using namespace wlgpu;
using bench::Meter;
using bench::Sample;

namespace {

void die(const char* what, const Error& e) {
    std::fprintf(stderr, "bench_upload: %s: %s\n", what, e.message.c_str());
    std::exit(1);
}

// Submits a command buffer with the import's copies of the boxes (none: an empty one, which
// carries writeTexture's pending copies).
void submit(Bridge& b, const HostImport* imp = nullptr, WGPUTexture tex = nullptr, std::span<const Box> boxes = {}) {
    WGPUCommandEncoder enc = wgpuDeviceCreateCommandEncoder(b.device(), nullptr);
    if (imp) imp->encode_upload(b, enc, tex, boxes);
    WGPUCommandBuffer cmd = wgpuCommandEncoderFinish(enc, nullptr);
    wgpuQueueSubmit(b.queue(), 1, &cmd);
    wgpuCommandBufferRelease(cmd);
    wgpuCommandEncoderRelease(enc);
}

void row(const std::string& name, const Sample& s, int n) { bench::row(name.c_str(), s, n); }

}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 100;
    uint32_t w = 1920, h = 1080;
    if (argc > 2) std::sscanf(argv[2], "%ux%u", &w, &h);
    const uint32_t argb = fourcc('A', 'R', '2', '4');
    auto bridge = Bridge::create();
    if (!bridge) die("bridge", bridge.error());
    Bridge& b = **bridge;
    auto tex = Texture::create(b, argb, w, h);
    if (!tex) die("texture", tex.error());
    std::printf("bench_upload: %s, %ux%u client image, %d uploads each\n\n", b.summary().c_str(), w, h, n);
    std::printf("| upload | wall ms | calling thread CPU ms | process CPU ms |\n|---|---:|---:|---:|\n");
    for (uint32_t stride : {(w * 4 + 255) / 256 * 256, w * 4 + 8}) {
        const size_t size = size_t(stride) * h;
        void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) return 1;
        std::mt19937 rng(stride);
        for (size_t i = 0; i < size; i++) static_cast<uint8_t*>(mem)[i] = uint8_t(rng());
        Sample create;
        Meter mc;
        auto imp = HostImport::create(b, mem, stride, w, h, 4, HostUse::upload);
        mc.add_to(create);
        if (!imp) die("import", imp.error());
        row(std::format("stride {}: HostImport::create (once per buffer)", stride), create, 1);
        for (Box damage : {Box{600, 400, 64, 64}, Box{0, 0, int32_t(w), int32_t(h)}}) {
            const std::string what = std::format("stride {}, {}x{}", stride, damage.width, damage.height);
            const std::span<const Box> d(&damage, 1);
            Sample staged_call, staged_done, host_call, host_done, gpu_done, scratch;
            for (int i = 0; i < n + 3; i++) {
                const bool timed = i >= 3;
                {
                    Meter m;
                    if (auto ok = (*tex)->update(mem, stride, d); !ok) die("update", ok.error());
                    m.add_to(timed ? staged_call : scratch);
                    submit(b);
                    if (auto ok = b.wait_idle(); !ok) die("wait", ok.error());
                    m.add_to(timed ? staged_done : scratch);
                }
                {
                    Meter m;
                    auto f = (*tex)->update_from_import(*imp, d);
                    if (!f) die("update_from_import", f.error());
                    m.add_to(timed ? host_call : scratch);
                    if (f->id == 0) submit(b);  // all of it went through writeTexture
                    if (auto ok = f->id ? b.wait(*f) : b.wait_idle(); !ok) die("wait", ok.error());
                    m.add_to(timed ? host_done : scratch);
                }
                {
                    Meter m;
                    submit(b, &*imp, (*tex)->handle(), d);
                    if (auto ok = b.wait_idle(); !ok) die("wait", ok.error());
                    m.add_to(timed ? gpu_done : scratch);
                }
            }
            row(what + ": writeTexture, call", staged_call, n);
            row(what + ": writeTexture, until the GPU has it", staged_done, n);
            row(what + ": host-mapped, call", host_call, n);
            row(what + ": host-mapped, until the GPU has it", host_done, n);
            row(what + ": every box by the GPU (no writeTexture for narrow ones), until the GPU has it", gpu_done, n);
        }
        munmap(mem, size);
    }
    const TransferStats& t = b.transfers();
    std::printf("\ntransfers: uploads host-mapped %llu, staged %llu, imports %llu\n",
                (unsigned long long)t.upload_host_mapped, (unsigned long long)t.upload_staged,
                (unsigned long long)t.host_imports_created);
    return 0;
}
