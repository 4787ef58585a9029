// Same GPU as the host: a raw-Vulkan "host" (tests/host_share/vk_host.hpp) on wlgpu's physical
// device fills an OPAQUE_FD image, signals a semaphore and hands both to wlgpu; wlgpu reads the
// image and renders it into a second shared image, signals back; the host waits, reads the
// result and compares it with a CPU reference. Both semaphore kinds where the device has them.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <random>
#include <thread>

#include "import/test_dmabuf_alloc.hpp"
#include "support/gpu.hpp"
#include "support/signal_mask.hpp"
#include "common/drm_nodes.hpp"
#include "common/vgem.hpp"
#include "vk_host.hpp"
#include "wlgpu/dmabuf.hpp"
#include "wlgpu/host_share.hpp"
#include "wlgpu/render.hpp"

namespace wlgpu::test {
namespace {

// Asserts that a wlgpu::Result holds a value, printing its error otherwise.
#define ASSERT_OK(expr)                                                \
    do {                                                               \
        auto _r = (expr);                                              \
        ASSERT_TRUE(_r) << #expr << ": " << _r.error().message;        \
    } while (0)

constexpr uint32_t kABGR8888 = 0x34324241;  // 'AB24': R8G8B8A8 bytes in memory

int count_fds() {
    int n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (readdir(d)) n++;
        closedir(d);
    }
    return n - 3;  // ".", "..", and the DIR's own fd
}

// "fd -> target" for each open fd, to name a leak.
std::string fd_list() {
    std::string out;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (auto* e = readdir(d)) {
            if (e->d_name[0] == '.') continue;
            char target[256] = {};
            ssize_t n = readlink(std::format("/proc/self/fd/{}", e->d_name).c_str(), target, sizeof target - 1);
            out += std::format(" {}->{}", e->d_name, n > 0 ? target : "?");
        }
        closedir(d);
    }
    return out;
}

bool fd_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

// A sync_file reads as POLLIN once its fence has signalled.
bool sync_file_signalled(int fd) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

// How long the test holds a gate fence (below) unsignalled once wlgpu is about to submit.
constexpr auto kGateDelay = std::chrono::milliseconds(1500);

// The raw-Vulkan host on wlgpu's device, created once; null (why says why) when it cannot be.
VkHost* shared_host(Bridge& b, std::string& why) {
    static std::unique_ptr<VkHost> host;
    static std::string error;
    // The host's own driver threads are the test's, not wlgpu's (support/signal_mask.hpp).
    if (!host && error.empty()) host = as_test_threads([&] { return VkHost::create(*b.identity().device_uuid, error); });
    why = error;
    return host.get();
}

// The shared device and host; skips when either is missing.
class HostShare : public ::testing::Test {
protected:
    void SetUp() override {
        auto& st = gpu_state();
        if (!st.bridge) GTEST_SKIP() << "no GPU: " << st.error;
        Bridge& b = *st.bridge;
        if (!b.caps().opaque_fd_memory) GTEST_SKIP() << "the adapter lacks SharedTextureMemoryOpaqueFD (0x50023)";
        if (!b.identity().device_uuid) GTEST_SKIP() << "the adapter's device UUID is unknown";
        std::string why;
        host_ = shared_host(b, why);
        if (!host_) GTEST_SKIP() << "no Vulkan host: " << why;
        st.uncaptured.clear();
    }
    void TearDown() override {
        auto& st = gpu_state();
        for (auto& m : st.uncaptured) ADD_FAILURE() << "uncaptured Dawn error: " << m;
        st.uncaptured.clear();
    }
    // Waits until Dawn has let go of what it deletes late (imported memory, semaphores).
    int settled_fds(int expect) {
        for (int i = 0; i < 50 && count_fds() != expect; i++) {
            wgpuQueueSubmit(gpu().queue(), 0, nullptr);  // advance Dawn's serials: deletions are fenced
            (void)gpu().wait_idle();
            gpu().process_events();
            usleep(20'000);
        }
        int n = count_fds();
        if (n != expect) std::printf("open fds:%s\n", fd_list().c_str());
        return n;
    }
    VkHost* host_ = nullptr;
};

struct Rgba {
    uint8_t v[4];
};

class HostShareRoundTrip : public HostShare, public ::testing::WithParamInterface<SemaphoreFd> {};

TEST_P(HostShareRoundTrip, HostFillsWlgpuRendersHostReads) {
    Bridge& b = gpu();
    const SemaphoreFd to_wlgpu = GetParam();
    if (to_wlgpu == SemaphoreFd::opaque_fd && !b.caps().opaque_fd_semaphore)
        GTEST_SKIP() << "the adapter lacks SharedFenceVkSemaphoreOpaqueFD (0x50029)";
    if (to_wlgpu == SemaphoreFd::sync_fd && !b.caps().sync_fd_fence)
        GTEST_SKIP() << "the adapter lacks SharedFenceSyncFD (0x5002A)";
    if (!host_->export_sem[int(to_wlgpu)])
        GTEST_SKIP() << "the host cannot export " << to_string(to_wlgpu) << " semaphores";
    // Dawn exports SYNC_FD when it has SharedFenceSyncFD, else OPAQUE_FD.
    const SemaphoreFd from_wlgpu = b.caps().sync_fd_fence ? SemaphoreFd::sync_fd : SemaphoreFd::opaque_fd;
    if (!host_->import_sem[int(from_wlgpu)])
        GTEST_SKIP() << "the host cannot import " << to_string(from_wlgpu) << " semaphores";
    // lavapipe exports a SYNC_FD only once the semaphore's work has run (-1 on the build host; a
    // fence that may already have signalled in the test bed), so the host's own semaphores are not
    // provably pending there. In the test bed the host's semaphores for A are joined by a gate: a
    // vgem fence the test signals only kGateDelay after wlgpu starts to submit its frame. It must be
    // unsignalled when handed over, and wlgpu's frame must not finish before it signals.
    std::optional<sync::Fd> vgem;
    if (to_wlgpu == SemaphoreFd::sync_fd && in_testbed()) {
        auto v = drm::open_node_of_driver("card", "vgem");
        ASSERT_TRUE(v) << v.error().message;
        vgem = std::move(*v);
    }

    auto renderer = Renderer::create(b);
    ASSERT_TRUE(renderer) << renderer.error().message;
    // GPU drivers open their own device nodes lazily (seen on NVIDIA 580: one more
    // /dev/nvidia0 during the first shared import), so count fds around a second, identical
    // round: whatever the first round leaked is then leaked again and shows.
    int fds_before = 0;
    for (int round = 0; round < 2; round++) {
        if (round == 1) fds_before = count_fds();
        constexpr uint32_t WA = 37, HA = 23, WB = 64, HB = 40;
        constexpr int32_t OX = 9, OY = 5;
        std::string why;
        auto a = host_->make_image(WA, HA, VK_FORMAT_R8G8B8A8_UNORM,
                                   VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT |
                                       VK_IMAGE_USAGE_SAMPLED_BIT,
                                   "source", why);
        if (!a) GTEST_SKIP() << why;
        auto bimg = host_->make_image(WB, HB, VK_FORMAT_R8G8B8A8_UNORM,
                                      VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT |
                                          VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT,
                                      "target", why);
        ASSERT_TRUE(bimg) << why;
        std::printf("[host] %s: source %s allocation, %llu bytes, memory type %u; semaphores %s -> wlgpu, %s -> host\n",
                    host_->name.c_str(), a->desc.dedicated_allocation ? "dedicated" : "shared",
                    (unsigned long long)a->desc.allocation_size, a->desc.memory_type_index, to_string(to_wlgpu),
                    to_string(from_wlgpu));

        auto ta = HostImage::import(b, a->desc);
        ASSERT_TRUE(ta) << ta.error().message;
        auto tb = HostImage::import(b, bimg->desc);
        ASSERT_TRUE(tb) << tb.error().message;
        auto ha = host_image(**ta), hb = host_image(**tb);
        ASSERT_TRUE(ha && hb);
        // wlgpu duplicated the memory fds: the host's own stay open and are the host's.
        EXPECT_TRUE(fd_open(a->fd));

        auto upload = host_->make_buffer(WA * HA * 4);
        auto readback = host_->make_buffer(WB * HB * 4);
        std::mt19937 rng(1234);
        HostAcquire back_a, back_b;  // what wlgpu handed back last time
        int semaphores_to_host = 0;   // wlgpu -> host semaphores that were still pending
        int semaphores_to_wlgpu = 0;  // host -> wlgpu
        int gated = 0;                // rounds whose gate fence was pending at hand-over (asserted)

        for (int iter = 0; iter < 3; iter++) {
            SCOPED_TRACE(std::format("iteration {}", iter));
            // Host: random content into A, release A and B to wlgpu, signal one semaphore each.
            std::vector<Rgba> src(WA * HA);
            for (auto& p : src)
                for (auto& c : p.v) c = uint8_t(rng());
            std::memcpy(upload->map, src.data(), src.size() * 4);

            std::vector<VkSemaphore> waits;
            for (auto* acq : {&back_a, &back_b})
                for (auto& s : acq->wait) {
                    if (s.fd < 0) continue;  // a signalled sync_file
                    VkSemaphore sem = host_->import_semaphore(s);
                    ASSERT_NE(sem, VK_NULL_HANDLE) << "importing wlgpu's " << to_string(s.type) << " semaphore";
                    s.fd = -1;  // the driver's now
                    waits.push_back(sem);
                }
            VkSemaphore sig_a = host_->make_exportable_semaphore(to_wlgpu);
            VkSemaphore sig_b = host_->make_exportable_semaphore(to_wlgpu);
            const auto ext = VK_QUEUE_FAMILY_EXTERNAL, qf = host_->qf;
            auto fill = host_->submit_async(
                [&](VkCommandBuffer cb) {
                    if (iter > 0)  // acquire A from wlgpu (B was acquired by the last read-back)
                        VkHost::barrier(cb, a->image, VkImageLayout(back_a.layouts.old_layout),
                                        VkImageLayout(back_a.layouts.new_layout), ext, qf);
                    VkHost::barrier(cb, a->image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
                    VkBufferImageCopy r{};
                    r.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
                    r.imageExtent = {WA, HA, 1};
                    vkCmdCopyBufferToImage(cb, upload->buffer, a->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &r);
                    VkHost::barrier(cb, a->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                    VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL, qf, ext);
                    if (iter > 0)  // B's content is not needed: release it without a layout change
                        VkHost::barrier(cb, bimg->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                        VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, qf, ext);
                },
                waits, {sig_a, sig_b});
            ASSERT_TRUE(fill->submitted);
            back_a = {};
            back_b = {};
            int fd_a = host_->export_semaphore(sig_a, to_wlgpu), fd_b = host_->export_semaphore(sig_b, to_wlgpu);
            // A SYNC_FD of a semaphore that is already signalled may be -1.
            ASSERT_GE(fd_a, to_wlgpu == SemaphoreFd::sync_fd ? -1 : 0) << "vkGetSemaphoreFdKHR";
            ASSERT_GE(fd_b, to_wlgpu == SemaphoreFd::sync_fd ? -1 : 0) << "vkGetSemaphoreFdKHR";
            semaphores_to_wlgpu += fd_a >= 0;
            HostRelease release_a{{{to_wlgpu, fd_a}},
                                  {VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL},
                                  true};
            std::optional<vgem::Fence> gate;
            if (vgem) {
                auto g = vgem::fence(vgem->get());
                ASSERT_TRUE(g) << g.error().message;
                gate = std::move(*g);
                const int gate_fd = dup(gate->sync_file.get());
                ASSERT_GE(gate_fd, 0);
                ASSERT_FALSE(sync_file_signalled(gate_fd)) << "the gate fence signalled before it was handed over";
                release_a.wait.push_back({SemaphoreFd::sync_fd, gate_fd});
            }
            auto r = ha->hand_over(std::move(release_a));
            ASSERT_TRUE(r) << r.error().message;
            if (gate) {
                ASSERT_FALSE(sync_file_signalled(gate->sync_file.get())) << "pending at hand-over";
                gated++;
            }
            if (iter == 0) {
                if (fd_b >= 0) close(fd_b);  // B starts fresh: nothing to wait for
            } else {
                r = hb->hand_over({{{to_wlgpu, fd_b}},
                                   {VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL},
                                   false});
                ASSERT_TRUE(r) << r.error().message;
            }

            // wlgpu: render A (mirrored) into B; its GPU work waits for the host's.
            ASSERT_OK(ha->begin(false));
            ASSERT_OK(hb->begin(true));
            auto frame = (*renderer)->begin(**tb);
            ASSERT_TRUE(frame) << frame.error().message;
            frame->clear({0.2f, 0.4f, 0.6f, 1.0f});
            TextureDraw d;
            d.texture = ta->get();
            d.dst = {OX, OY, int32_t(WA), int32_t(HA)};
            d.transform = Transform::flipped;
            d.filter = Filter::nearest;
            d.blend = Blend::none;
            ASSERT_OK(frame->draw_texture(d));
            // The gate signals kGateDelay from now; until then wlgpu's frame must not be done. The
            // signaller starts before the submit: on lavapipe the GPU-side wait blocks the
            // submitting thread (src/sync/probe.cpp), so a gate signalled only after submit()
            // returned would hold the submit until vgem's ~10 s fence timeout.
            const auto gate_started = std::chrono::steady_clock::now();
            std::thread signaller;
            if (gate)
                signaller = std::thread([&] {
                    std::this_thread::sleep_for(kGateDelay);
                    (void)vgem::signal(vgem->get(), gate->id);
                });
            struct Join {
                std::thread& t;
                ~Join() {
                    if (t.joinable()) t.join();
                }
            } join{signaller};
            auto sr = frame->submit();
            ASSERT_TRUE(sr) << sr.error().message;
            ASSERT_OK(hb->end());
            auto bb = hb->hand_back();
            ASSERT_TRUE(bb) << bb.error().message;
            back_b = std::move(*bb);
            // One semaphore, or none when wlgpu's work was already done (a SYNC_FD of -1).
            EXPECT_LE(back_b.wait.size(), 1u);
            for (auto& w : back_b.wait) {
                EXPECT_EQ(w.type, from_wlgpu);
                if (w.fd >= 0) semaphores_to_host++;
            }
            if (from_wlgpu == SemaphoreFd::opaque_fd) {
                EXPECT_EQ(back_b.wait.size(), 1u);
            }
            EXPECT_TRUE(back_b.initialized);

            // wlgpu reads A back (still inside its access).
            std::vector<Rgba> seen(WA * HA);
            auto rp = (*ta)->read_pixels(kABGR8888, {0, 0, int32_t(WA), int32_t(HA)}, WA * 4, seen.data());
            ASSERT_TRUE(rp) << rp.error().message;
            EXPECT_EQ(std::memcmp(seen.data(), src.data(), src.size() * 4), 0) << "wlgpu read other pixels than the host wrote";
            if (gate) {  // the read-back is queued after the frame: it completes only after the frame
                const auto waited = std::chrono::steady_clock::now() - gate_started;
                EXPECT_GE(waited, kGateDelay) << "wlgpu's frame finished "
                    << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()
                    << " ms after the gate's signaller started, before the gate fence signalled";
                // ... and not because vgem's fence timeout (about 10 s) released it.
                EXPECT_LT(waited, kGateDelay * 4) << "wlgpu's frame took "
                    << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()
                    << " ms: longer than the gate was held";
            }
            ASSERT_OK(ha->end());
            auto ba = ha->hand_back();
            ASSERT_TRUE(ba) << ba.error().message;
            back_a = std::move(*ba);
            ASSERT_TRUE(fill->finish());
            for (auto s : waits) vkDestroySemaphore(host_->dev, s, nullptr);

            // Host: wait for wlgpu, acquire B, copy it out.
            std::vector<VkSemaphore> bw;
            for (auto& s : back_b.wait) {
                if (s.fd < 0) continue;
                VkSemaphore sem = host_->import_semaphore(s);
                ASSERT_NE(sem, VK_NULL_HANDLE) << "importing wlgpu's " << to_string(s.type) << " semaphore";
                s.fd = -1;
                bw.push_back(sem);
            }
            const auto bl = back_b.layouts;
            ASSERT_TRUE(host_->submit(
                [&](VkCommandBuffer cb) {
                    VkHost::barrier(cb, bimg->image, VkImageLayout(bl.old_layout), VkImageLayout(bl.new_layout), ext, qf);
                    VkHost::barrier(cb, bimg->image, VkImageLayout(bl.new_layout), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
                    VkBufferImageCopy r{};
                    r.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
                    r.imageExtent = {WB, HB, 1};
                    vkCmdCopyImageToBuffer(cb, bimg->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, readback->buffer, 1, &r);
                },
                bw, {}));
            for (auto s : bw) vkDestroySemaphore(host_->dev, s, nullptr);
            vkDestroySemaphore(host_->dev, sig_a, nullptr);
            vkDestroySemaphore(host_->dev, sig_b, nullptr);

            // CPU reference: the clear colour, and A mirrored left-right at (OX, OY).
            const Rgba clear{{51, 102, 153, 255}};
            const auto* got = static_cast<const Rgba*>(readback->map);
            int bad = 0;
            for (uint32_t y = 0; y < HB; y++)
                for (uint32_t x = 0; x < WB; x++) {
                    Rgba want = clear;
                    if (int32_t(x) >= OX && int32_t(x) < OX + int32_t(WA) && int32_t(y) >= OY && int32_t(y) < OY + int32_t(HA))
                        want = src[(y - OY) * WA + (WA - 1 - (x - OX))];
                    const Rgba& g = got[y * WB + x];
                    for (int c = 0; c < 4; c++)
                        if (std::abs(int(g.v[c]) - int(want.v[c])) > 1 && bad++ < 5)
                            ADD_FAILURE() << std::format("pixel {},{} channel {}: host read {}, expected {}", x, y, c,
                                                         g.v[c], want.v[c]);
                }
            EXPECT_EQ(bad, 0) << "pixels differ from the CPU reference (tolerance 1)";
        }
        std::printf("[host] pending when handed over: %d of 3 host -> wlgpu semaphores, %d of 3 gate fences, "
                    "%d of 3 wlgpu -> host\n", semaphores_to_wlgpu, gated, semaphores_to_host);
        // Take A and B back for good, then drop everything.
        for (auto* acq : {&back_a, &back_b})
            for (auto& s : acq->wait)
                if (s.fd >= 0) close(s.fd);
        ASSERT_OK(b.wait_idle());
    }
    EXPECT_EQ(settled_fds(fds_before), fds_before) << "file descriptors leaked";
}

INSTANTIATE_TEST_SUITE_P(Semaphores, HostShareRoundTrip, ::testing::Values(SemaphoreFd::opaque_fd, SemaphoreFd::sync_fd),
                         [](const auto& info) { return std::string(info.param == SemaphoreFd::sync_fd ? "SyncFd" : "OpaqueFd"); });

// Errors are values naming the image, and fds passed to wlgpu are never leaked.
TEST_F(HostShare, ImportValidatesBeforeTheDriver) {
    Bridge& b = gpu();
    std::string why;
    auto img = host_->make_image(16, 16, VK_FORMAT_R8G8B8A8_UNORM,
                                 VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_SAMPLED_BIT, "checked", why);
    if (!img) GTEST_SKIP() << why;
    const int fds_before = count_fds();
    auto expect_err = [&](HostImageDesc d, Errc code, std::string_view part) {
        auto r = HostImage::import(b, d);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, code) << r.error().message;
        EXPECT_NE(r.error().message.find("host image 'checked'"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find(part), std::string::npos) << r.error().message;
    };
    HostImageDesc d = img->desc;
    d.memory_fd = -1;
    expect_err(d, Errc::invalid_argument, "memory_fd -1");
    d = img->desc;
    d.vk_usage = VK_IMAGE_USAGE_SAMPLED_BIT;
    expect_err(d, Errc::invalid_argument, "TRANSFER_DST");
    d = img->desc;
    d.vk_flags = 0;
    expect_err(d, Errc::invalid_argument, "MUTABLE_FORMAT");
    d = img->desc;
    d.vk_format = VK_FORMAT_R8_UNORM;
    expect_err(d, Errc::invalid_argument, "unsupported VkFormat");
    d = img->desc;
    d.width = 0;
    expect_err(d, Errc::invalid_argument, "size");
    // Dawn's own check: the memory is smaller than the image needs.
    d = img->desc;
    d.allocation_size = 64;
    expect_err(d, Errc::gpu_error, "allocation size");
    EXPECT_TRUE(fd_open(img->fd));
    EXPECT_EQ(settled_fds(fds_before), fds_before);
}

TEST_F(HostShare, AccessStateMachine) {
    Bridge& b = gpu();
    std::string why;
    auto img = host_->make_image(8, 8, VK_FORMAT_R8G8B8A8_UNORM,
                                 VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT |
                                     VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT,
                                 "states", why);
    if (!img) GTEST_SKIP() << why;
    // Two identical rounds, fds counted around the second (see the round trip above).
    int fds_before = 0;
    std::string fds_before_list;
    for (int round = 0; round < 2; round++) {
        if (round == 1) fds_before = count_fds(), fds_before_list = fd_list();
        auto t = HostImage::import(b, img->desc);
        ASSERT_TRUE(t) << t.error().message;
        auto h = host_image(**t);
        ASSERT_TRUE(h);
        EXPECT_FALSE(h->hand_back()) << "nothing to hand back before any access";
        EXPECT_FALSE(h->end()) << "end() without begin()";
        // A fresh image: begin() starts from undefined content; nesting is one Dawn access.
        ASSERT_OK(h->begin(true));
        ASSERT_OK(h->begin(false));
        EXPECT_TRUE(h->in_access());
        // hand_over() during an access is refused, and its fds are closed.
        int p[2];
        ASSERT_EQ(pipe(p), 0);
        close(p[1]);
        auto ho = h->hand_over({{{SemaphoreFd::sync_fd, p[0]}}, {}, true});
        EXPECT_FALSE(ho);
        EXPECT_FALSE(fd_open(p[0])) << "hand_over() leaked an fd on error";
        std::vector<uint8_t> px(8 * 8 * 4);
        ASSERT_OK((*t)->read_pixels(kABGR8888, {0, 0, 8, 8}, 32, px.data()));
        ASSERT_OK(h->end());
        EXPECT_TRUE(h->in_access());
        ASSERT_OK(h->end());
        EXPECT_FALSE(h->in_access());
        // Again without the host: wlgpu waits for its own previous access.
        ASSERT_OK(h->begin(false));
        ASSERT_OK((*t)->read_pixels(kABGR8888, {0, 0, 8, 8}, 32, px.data()));
        ASSERT_OK(h->end());
        // The end fence as a sync_file (SharedFenceSyncFD) or a clear refusal (OPAQUE_FD only).
        auto sf = h->export_end_sync_file();
        if (b.caps().sync_fd_fence) {
            ASSERT_TRUE(sf) << sf.error().message;  // an empty Fd when the access is already done
        } else {
            ASSERT_FALSE(sf);
            EXPECT_EQ(sf.error().code, Errc::unsupported) << sf.error().message;
        }
        auto back = h->hand_back();
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_TRUE(h->host_owned());
        for (auto& s : back->wait)
            if (s.fd >= 0) close(s.fd);
        auto again = h->begin(false);
        ASSERT_FALSE(again) << "begin() while the host owns the image";
        EXPECT_NE(again.error().message.find("hand_over"), std::string::npos) << again.error().message;
        // A semaphore type the device cannot import is refused by name.
        if (!b.caps().opaque_fd_semaphore) {
            ASSERT_EQ(pipe(p), 0);
            close(p[1]);
            auto bad = h->hand_over({{{SemaphoreFd::opaque_fd, p[0]}}, {}, true});
            ASSERT_FALSE(bad);
            EXPECT_EQ(bad.error().code, Errc::unsupported);
            EXPECT_NE(bad.error().message.find("SharedFenceVkSemaphoreOpaqueFD"), std::string::npos);
            EXPECT_FALSE(fd_open(p[0]));
        }
        ASSERT_OK(b.wait_idle());
    }
    EXPECT_EQ(settled_fds(fds_before), fds_before) << "file descriptors leaked; before:" << fds_before_list;
}


// The dma-buf variant: the host's images are LINEAR-modifier images on exportable DMA_BUF memory
// (vkGetMemoryFdKHR DMA_BUF), imported with import_dmabuf; semaphores travel as sync_files
// (SYNC_FD semaphores on the host, add_wait_sync_file / export_end_sync_file in wlgpu). Needs a
// device with dma-buf import and export: lavapipe has it only in the test bed (udmabuf).
class HostShareDmabuf : public ::testing::Test {
protected:
    void SetUp() override {
        if (!in_testbed())
            GTEST_SKIP() << "no /dev/udmabuf: lavapipe exports and imports DMA-BUF memory only in the test bed; run "
                            "scripts/testbed -- ./build/tests/test_host_share --gtest_filter=HostShareDmabuf.*";
        auto& st = gpu_state();
        if (!st.bridge) GTEST_SKIP() << "no GPU: " << st.error;
        Bridge& b = *st.bridge;
        if (!b.caps().dmabuf_import) GTEST_SKIP() << "the adapter lacks SharedTextureMemoryDmaBuf";
        if (!b.caps().sync_fd_fence) GTEST_SKIP() << "the adapter lacks SharedFenceSyncFD (0x5002A)";
        if (!b.identity().device_uuid) GTEST_SKIP() << "the adapter's device UUID is unknown";
        std::string why;
        host_ = shared_host(b, why);
        if (!host_) GTEST_SKIP() << "no Vulkan host: " << why;
        if (!host_->dmabuf) GTEST_SKIP() << "no DMA-BUF images on the host: " << host_->dmabuf_why;
        if (!host_->export_sem[int(SemaphoreFd::sync_fd)] || !host_->import_sem[int(SemaphoreFd::sync_fd)])
            GTEST_SKIP() << "the host cannot export and import SYNC_FD semaphores";
        st.uncaptured.clear();
    }
    void TearDown() override {
        auto& st = gpu_state();
        for (auto& m : st.uncaptured) ADD_FAILURE() << "uncaptured Dawn error: " << m;
        st.uncaptured.clear();
    }
    int settled_fds(int expect) {
        for (int i = 0; i < 50 && count_fds() != expect; i++) {
            wgpuQueueSubmit(gpu().queue(), 0, nullptr);
            (void)gpu().wait_idle();
            gpu().process_events();
            usleep(20'000);
        }
        int n = count_fds();
        if (n != expect) std::printf("open fds:%s\n", fd_list().c_str());
        return n;
    }
    VkHost* host_ = nullptr;
};

TEST_F(HostShareDmabuf, HostExportsWlgpuRendersHostReads) {
    Bridge& b = gpu();
    auto renderer = Renderer::create(b);
    ASSERT_TRUE(renderer) << renderer.error().message;
    const uint32_t foreign = host_->dmabuf_queue_family(), qf = host_->qf;
    // fds counted around a second, identical round (drivers open device nodes lazily).
    int fds_before = 0;
    std::mt19937 rng(4321);
    for (int round = 0; round < 2; round++) {
        SCOPED_TRACE(std::format("round {}", round));
        if (round == 1) fds_before = count_fds();
        constexpr uint32_t WA = 37, HA = 23, WB = 64, HB = 40;
        constexpr int32_t OX = 11, OY = 7;
        std::string why;
        auto a = host_->make_dmabuf_image(WA, HA, VK_FORMAT_R8G8B8A8_UNORM, kABGR8888,
                                          VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT |
                                              VK_IMAGE_USAGE_SAMPLED_BIT,
                                          why);
        ASSERT_TRUE(a) << why;
        auto bimg = host_->make_dmabuf_image(WB, HB, VK_FORMAT_R8G8B8A8_UNORM, kABGR8888,
                                             VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT |
                                                 VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT,
                                             why);
        ASSERT_TRUE(bimg) << why;
        if (round == 0)
            std::printf("[host] %s: dma-buf images, LINEAR, source %s (%llu bytes), target %s; %s queue family\n",
                        host_->name.c_str(), describe_dmabuf(a->attrs).c_str(),
                        (unsigned long long)a->desc.allocation_size, describe_dmabuf(bimg->attrs).c_str(),
                        host_->foreign_queue ? "FOREIGN" : "EXTERNAL");
        EXPECT_GE(a->attrs.planes[0].stride, WA * 4);

        // Host: random, non-uniform content into A; signal a SYNC_FD semaphore after the fill.
        std::vector<Rgba> src(WA * HA);
        for (auto& p : src)
            for (auto& c : p.v) c = uint8_t(rng());
        auto upload = host_->make_buffer(WA * HA * 4);
        auto readback = host_->make_buffer(WB * HB * 4);
        std::memcpy(upload->map, src.data(), src.size() * 4);
        VkSemaphore filled = host_->make_exportable_semaphore(SemaphoreFd::sync_fd);
        auto fill = host_->submit_async(
            [&](VkCommandBuffer cb) {
                VkHost::barrier(cb, a->image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
                VkBufferImageCopy r{};
                r.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
                r.imageExtent = {WA, HA, 1};
                vkCmdCopyBufferToImage(cb, upload->buffer, a->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &r);
                // Release to the other user of the dma-buf, in GENERAL (what import_dmabuf begins with).
                VkHost::barrier(cb, a->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_GENERAL, qf, foreign);
            },
            {}, {filled});
        ASSERT_TRUE(fill->submitted);
        const int filled_fd = host_->export_semaphore(filled, SemaphoreFd::sync_fd);
        ASSERT_GE(filled_fd, -1) << "vkGetSemaphoreFdKHR(SYNC_FD)";  // -1: already signalled

        // wlgpu: import both dma-bufs; the host's fds stay the host's.
        DmabufImportOptions src_opts;
        src_opts.usage = TextureUsage::sample;
        auto ta = import_dmabuf(b, a->attrs, src_opts);
        ASSERT_TRUE(ta) << ta.error().message;
        DmabufImportOptions dst_opts;
        dst_opts.usage = TextureUsage::sample | TextureUsage::render;
        dst_opts.initialized = false;
        auto tb = import_dmabuf(b, bimg->attrs, dst_opts);
        ASSERT_TRUE(tb) << tb.error().message;
        EXPECT_TRUE(fd_open(a->fd) && fd_open(bimg->fd));
        auto& acc_a = *(*ta)->shared_access;
        auto& acc_b = *(*tb)->shared_access;
        ASSERT_OK(acc_a.add_wait_sync_file(filled_fd));  // owns it now

        // wlgpu renders A (mirrored) into B, then reads A back.
        auto frame = (*renderer)->begin(**tb);
        ASSERT_TRUE(frame) << frame.error().message;
        frame->clear({0.2f, 0.4f, 0.6f, 1.0f});
        TextureDraw d;
        d.texture = ta->get();
        d.dst = {OX, OY, int32_t(WA), int32_t(HA)};
        d.transform = Transform::flipped;
        d.filter = Filter::nearest;
        d.blend = Blend::none;
        ASSERT_OK(frame->draw_texture(d));
        auto sr = frame->submit();
        ASSERT_TRUE(sr) << sr.error().message;
        auto end_fd = acc_b.export_end_sync_file();
        ASSERT_TRUE(end_fd) << end_fd.error().message;
        std::vector<Rgba> seen(WA * HA);
        ASSERT_OK(acc_a.begin(false));
        auto rp = (*ta)->read_pixels(kABGR8888, {0, 0, int32_t(WA), int32_t(HA)}, WA * 4, seen.data());
        ASSERT_OK(acc_a.end());
        ASSERT_TRUE(rp) << rp.error().message;
        EXPECT_EQ(std::memcmp(seen.data(), src.data(), src.size() * 4), 0) << "wlgpu read other pixels than the host wrote";
        ASSERT_TRUE(fill->finish());

        // Host: wait for wlgpu's end-of-access sync_file, acquire B, copy it out.
        std::vector<VkSemaphore> waits;
        if (*end_fd) {
            VkSemaphore s = host_->import_semaphore({SemaphoreFd::sync_fd, end_fd->get()});
            if (s != VK_NULL_HANDLE) (void)end_fd->release();  // the driver's now
            ASSERT_NE(s, VK_NULL_HANDLE) << "importing wlgpu's sync_file";
            waits.push_back(s);
        }
        ASSERT_TRUE(host_->submit(
            [&](VkCommandBuffer cb) {
                VkHost::barrier(cb, bimg->image, VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, foreign, qf);
                VkBufferImageCopy r{};
                r.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
                r.imageExtent = {WB, HB, 1};
                vkCmdCopyImageToBuffer(cb, bimg->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, readback->buffer, 1, &r);
            },
            waits, {}));
        for (auto s : waits) vkDestroySemaphore(host_->dev, s, nullptr);
        vkDestroySemaphore(host_->dev, filled, nullptr);

        // CPU reference: the clear colour, and A mirrored left-right at (OX, OY).
        const Rgba clear{{51, 102, 153, 255}};
        const auto* got = static_cast<const Rgba*>(readback->map);
        int bad = 0;
        for (uint32_t y = 0; y < HB; y++)
            for (uint32_t x = 0; x < WB; x++) {
                Rgba want = clear;
                if (int32_t(x) >= OX && int32_t(x) < OX + int32_t(WA) && int32_t(y) >= OY && int32_t(y) < OY + int32_t(HA))
                    want = src[(y - OY) * WA + (WA - 1 - (x - OX))];
                const Rgba& g = got[y * WB + x];
                for (int c = 0; c < 4; c++)
                    if (std::abs(int(g.v[c]) - int(want.v[c])) > 1 && bad++ < 5)
                        ADD_FAILURE() << std::format("pixel {},{} channel {}: host read {}, expected {}", x, y, c, g.v[c],
                                                     want.v[c]);
            }
        EXPECT_EQ(bad, 0) << "pixels differ from the CPU reference (tolerance 1)";
        std::printf("[host] round %d: sync_file to wlgpu %s, from wlgpu %s\n", round,
                    filled_fd >= 0 ? "pending" : "-1 (signalled)", *end_fd ? "a fence" : "none (done)");
        ASSERT_OK(b.wait_idle());
    }
    EXPECT_EQ(settled_fds(fds_before), fds_before) << "file descriptors leaked";
}

}  // namespace
}  // namespace wlgpu::test
