#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "support/gpu.hpp"

using namespace wlgpu;

TEST(Bridge, CreatesAVulkanDeviceNotNull) {
    auto& st = test::gpu_state();
    ASSERT_TRUE(st.bridge) << st.error;
    const auto& id = st.bridge->identity();
    EXPECT_EQ(id.backend, WGPUBackendType_Vulkan);
    EXPECT_NE(id.vendor_id, 0u);
    EXPECT_FALSE(id.name.empty());
    EXPECT_TRUE(id.device_uuid.has_value()) << "the Vulkan probe should have matched the adapter";
    EXPECT_GE(st.bridge->limits().maxTextureDimension2D, 4096u);
}

TEST(Bridge, ProbeListsVulkanDevices) {
    auto devs = probe_vulkan_devices();
    ASSERT_TRUE(devs) << devs.error().message;
    ASSERT_FALSE(devs->empty());
    for (auto& d : *devs) EXPECT_FALSE(d.name.empty());
}

TEST(Bridge, SelectsByPciIdAndUuid) {
    const auto& id = test::gpu().identity();
    BridgeOptions o;
    o.adapter.vendor_id = id.vendor_id;
    o.adapter.device_id = id.device_id;
    o.adapter.device_uuid = id.device_uuid;
    auto b = Bridge::create(std::move(o));
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ((*b)->identity().device_uuid, id.device_uuid);
}

TEST(Bridge, RefusesAnAdapterThatDoesNotExist) {
    BridgeOptions o;
    o.adapter.vendor_id = 0xdead;
    auto b = Bridge::create(std::move(o));
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::no_adapter);
    EXPECT_NE(b.error().message.find("vendor id"), std::string::npos) << b.error().message;
}

TEST(Bridge, RefusesANonDrmPathAsDrmNode) {
    BridgeOptions o;
    o.adapter.drm_node = "/dev/null-not-there";
    auto b = Bridge::create(std::move(o));
    ASSERT_FALSE(b);
    EXPECT_NE(b.error().message.find("/dev/null-not-there"), std::string::npos) << b.error().message;
}

// The compositor passes its backend's DRM fd, not a path: the bridge takes the adapter of that
// device and refuses one of another device, naming the fd (the build host's /dev/null is a
// character device of no GPU; a pipe is no device at all).
TEST(Bridge, RefusesAnAdapterOfAnotherDeviceThanTheDrmFd) {
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    ASSERT_GE(null_fd, 0);
    BridgeOptions o;
    o.adapter.drm_fd = null_fd;
    auto b = Bridge::create(std::move(o));
    close(null_fd);
    ASSERT_FALSE(b) << "an adapter matched /dev/null's device";
    EXPECT_EQ(b.error().code, Errc::no_adapter) << b.error().message;
    EXPECT_NE(b.error().message.find("the device of DRM fd " + std::to_string(null_fd) + " (1:3)"), std::string::npos)
        << b.error().message;
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    BridgeOptions o2;
    o2.adapter.drm_fd = p[0];
    auto b2 = Bridge::create(std::move(o2));
    close(p[0]), close(p[1]);
    ASSERT_FALSE(b2);
    EXPECT_NE(b2.error().message.find("the device of DRM fd " + std::to_string(p[0]) + " is not a character device"),
              std::string::npos)
        << b2.error().message;
}

// The node that stands for the device towards clients: the adapter's own; for an adapter without
// one (lavapipe here) a node of the machine only when asked to stand in (WLGPU_DMABUF_DRM_NODE
// names it, "" turns it off).
TEST(Bridge, ClientRenderNodeIsTheAdaptersOwnOrAStandIn) {
    const Bridge& b = test::gpu();
    std::string why;
    if (!b.identity().render_node.empty()) {
        EXPECT_EQ(b.client_render_node(false, &why), b.identity().render_node);
        EXPECT_EQ(why, "the adapter's render node");
        EXPECT_EQ(b.syncobj_node_candidates().at(0), b.identity().render_node);
        return;
    }
    EXPECT_EQ(b.client_render_node(false), "") << "no stand-in unless asked for";
    setenv("WLGPU_DMABUF_DRM_NODE", "/dev/dri/renderD200", 1);
    EXPECT_EQ(b.client_render_node(true, &why), "/dev/dri/renderD200");
    EXPECT_NE(why.find("standing in"), std::string::npos) << why;
    setenv("WLGPU_DMABUF_DRM_NODE", "", 1);
    EXPECT_EQ(b.client_render_node(true), "") << "an empty WLGPU_DMABUF_DRM_NODE turns the stand-in off";
    unsetenv("WLGPU_DMABUF_DRM_NODE");
}

TEST(Bridge, ScopedReportsValidationErrorsWithContext) {
    auto& b = test::gpu();
    WGPUBufferDescriptor d{};
    d.size = 16;
    d.usage = WGPUBufferUsage_MapRead | WGPUBufferUsage_MapWrite;  // not allowed together
    wg::Buffer buf;
    auto r = b.scoped([&] { buf = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(b.device(), &d)); }, "making a bad buffer");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::gpu_error);
    EXPECT_EQ(r.error().message.rfind("making a bad buffer: ", 0), 0u) << r.error().message;
}

// README: a missing Vulkan driver is a clear error, met as a user without one meets it: the
// loader finds no driver manifest. In a re-executed child (the loader reads the variables once).
TEST(Bridge, NoVulkanDriverIsAClearError) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            setenv("VK_DRIVER_FILES", "/nonexistent/wlgpu-no-driver.json", 1);
            setenv("VK_ICD_FILENAMES", "/nonexistent/wlgpu-no-driver.json", 1);
            auto b = Bridge::create();
            std::fprintf(stderr, "Bridge::create: %s\n", b ? "succeeded" : b.error().message.c_str());
            std::_Exit(!b && b.error().code == Errc::no_adapter ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "Bridge::create: .*(no Vulkan 1.1 driver|no physical device)");
}

// A capability a caller requires but the device lacks is an error naming it and its Dawn feature.
TEST(Bridge, RequireNamesTheMissingCapability) {
    wlgpu::Capabilities c;
    c.dmabuf_import = true;
    using Need = wlgpu::Capabilities::Need;
    EXPECT_TRUE(c.require({Need::dmabuf_import}, "importer").has_value());
    auto r = c.require({Need::dmabuf_import, Need::sync_fd_fence, Need::timestamp_query}, "the probe");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, wlgpu::Errc::unsupported);
    EXPECT_EQ(r.error().message, "the probe: the device lacks sync_fd_fence (Dawn feature SharedFenceSyncFD)");
    c.sync_fd_fence = true;
    r = c.require({Need::dmabuf_import, Need::sync_fd_fence, Need::timestamp_query}, "the probe");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message, "the probe: the device lacks timestamp_query (Dawn feature TimestampQuery)");
}
