// RLIMIT_NOFILE is the compositor's: creating the wlgpu renderer leaves the process's fd limit
// as it was (in the test bed the renderer imports DMA-BUFs, where it used to raise the limit
// itself), and wlgpu_raise_fd_limit(), which a compositor calls, raises the soft limit to the
// hard one.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <cstdio>

#include <wayland-server-core.h>

extern "C" {
#define static
#include <wlr/render/wlr_renderer.h>
#include <wlr/util/log.h>
#undef static
}

#include "wlgpu/bridge.hpp"
#include "wlgpu/wlr.h"
#include "wlgpu/wlr.hpp"

namespace {

rlimit nofile() {
    rlimit l{};
    EXPECT_EQ(getrlimit(RLIMIT_NOFILE, &l), 0);
    return l;
}

TEST(WlrFdLimit, RendererLeavesItCompositorRaisesIt) {
    wlr_log_init(WLR_ERROR, nullptr);
    rlimit l = nofile();
    ASSERT_GT(l.rlim_max, 64u) << "the hard limit leaves no room to lower the soft one";
    const rlim_t lowered = l.rlim_max - 16;
    l.rlim_cur = lowered;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &l), 0);

    wlr_renderer* r = wlgpu_renderer_create(nullptr);
    ASSERT_NE(r, nullptr);
    std::printf("[fd limit] DMA-BUF import on this adapter: %s\n",
                wlgpu::wlr::bridge(r)->caps().dmabuf_import ? "yes" : "no");
    EXPECT_EQ(nofile().rlim_cur, lowered) << "creating the renderer changed the process's fd limit";

    EXPECT_TRUE(wlgpu_raise_fd_limit());
    EXPECT_EQ(nofile().rlim_cur, nofile().rlim_max);
    EXPECT_TRUE(wlgpu_raise_fd_limit()) << "soft = hard already: nothing to do, not an error";
    wlr_renderer_destroy(r);
}

}  // namespace
