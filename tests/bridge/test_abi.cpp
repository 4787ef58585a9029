// Checks the ABI facts of include/wlgpu/webgpu/webgpu.h against the Dawn binary at run time:
// feature ids the adapter reports, and struct layouts, by making Dawn echo back the values
// we put in specific fields of deliberately invalid descriptors.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "support/gpu.hpp"

using namespace wlgpu;

namespace {
std::vector<WGPUFeatureName> device_features() {
    wg::SupportedFeatures f;  // members freed by its destructor
    wgpuDeviceGetFeatures(test::gpu().device(), &f);
    return std::vector<WGPUFeatureName>(f.features, f.features + f.featureCount);
}
bool has(const std::vector<WGPUFeatureName>& v, WGPUFeatureName f) { return std::ranges::find(v, f) != v.end(); }
}  // namespace

TEST(Abi, FeatureIdsMatchWhatTheDeviceReports) {
    auto v = device_features();
    ASSERT_FALSE(v.empty());
    // Every id the device lists must be one our header knows how to ask for.
    for (auto f : v) EXPECT_TRUE(wgpuDeviceHasFeature(test::gpu().device(), f)) << std::hex << f;
    // Values seen at run time on this Dawn build (DEVELOPERS.md): 0x50022 and 0x5002A.
    static_assert(WGPUFeatureName_SharedTextureMemoryDmaBuf == 0x50022);
    static_assert(WGPUFeatureName_SharedFenceSyncFD == 0x5002A);
    // Features Dawn's Vulkan backend always has, which we request in the bridge.
    EXPECT_TRUE(has(v, WGPUFeatureName_DawnInternalUsages));
    EXPECT_TRUE(has(v, WGPUFeatureName_ImplicitDeviceSynchronization));
    EXPECT_EQ(test::gpu().caps().sync_fd_fence, has(v, WGPUFeatureName_SharedFenceSyncFD));
}

TEST(Abi, ChainedStructLayouts) {
    // Sizes of chained descriptors we pass through nextInChain (x86-64 LP64).
    static_assert(sizeof(WGPUChainedStruct) == 16);
    static_assert(sizeof(WGPUStringView) == 16);
    static_assert(sizeof(WGPUShaderSourceWGSL) == 32);
    static_assert(sizeof(WGPUDawnTogglesDescriptor) == 48);
    static_assert(sizeof(WGPUSharedTextureMemoryDmaBufPlane) == 24);
    static_assert(offsetof(WGPUSharedTextureMemoryDmaBufDescriptor, planes) == 48);
    static_assert(sizeof(WGPUSharedFenceSyncFDDescriptor) == 24);
    static_assert(sizeof(WGPUSharedTextureMemoryVkImageLayoutBeginState) == 24);
    static_assert(sizeof(WGPUTexelCopyBufferLayout) == 16);
    SUCCEED();
}

// Dawn quotes our field values back in validation messages: if a member were at the
// wrong offset, the echoed numbers would differ.
TEST(Abi, TextureDescriptorFieldsAreEchoed) {
    auto& b = test::gpu();
    WGPUTextureDescriptor d{};
    d.size = {123, 45, 1};
    d.format = WGPUTextureFormat_RGBA8Unorm;
    d.usage = WGPUTextureUsage_TextureBinding;
    d.mipLevelCount = 1;
    d.sampleCount = 3;  // invalid
    d.dimension = WGPUTextureDimension_2D;
    wg::Texture t;
    auto r = b.scoped([&] { t = wg::Texture::Acquire(wgpuDeviceCreateTexture(b.device(), &d)); }, "bad texture");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("3"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("ample count"), std::string::npos) << r.error().message;
}

TEST(Abi, BufferSizeIsEchoed) {
    auto& b = test::gpu();
    WGPUBufferDescriptor d{};
    d.size = 1ull << 50;  // over any limit
    d.usage = WGPUBufferUsage_CopyDst;
    wg::Buffer buf;
    auto r = b.scoped([&] { buf = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(b.device(), &d)); }, "huge buffer");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find(std::to_string(1ull << 50)), std::string::npos) << r.error().message;
}

TEST(Abi, WgslShaderSourceChainIsRead) {
    auto& b = test::gpu();
    auto src = wg::chained<WGPUShaderSourceWGSL>();
    src.code = wg::sv("fn broken( { }");
    WGPUShaderModuleDescriptor d{};
    d.nextInChain = &src.chain;
    wg::ShaderModule m;
    auto r = b.scoped([&] { m = wg::ShaderModule::Acquire(wgpuDeviceCreateShaderModule(b.device(), &d)); }, "bad wgsl");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("broken"), std::string::npos) << r.error().message;
}
