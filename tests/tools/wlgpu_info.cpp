// wlgpu-info: prints what the bridge sees: Vulkan devices, the chosen adapter, capabilities,
// every device feature id and key limits. Used to record machine facts in docs/.
#include <cstdio>
#include <format>

#include "wlgpu/bridge.hpp"

using namespace wlgpu;

static std::string uuid(const std::optional<std::array<uint8_t, 16>>& u) {
    if (!u) return "-";
    std::string s;
    for (auto b : *u) s += std::format("{:02x}", b);
    return s;
}

int main() {
    auto devs = probe_vulkan_devices();
    if (!devs) {
        std::fprintf(stderr, "vulkan probe: %s\n", devs.error().message.c_str());
    } else {
        for (auto& d : *devs)
            std::printf("vulkan device: %s %04x:%04x driver %#x uuid %s render %lld:%lld %s\n", d.name.c_str(),
                        d.vendor_id, d.device_id, d.driver_version, uuid(d.device_uuid).c_str(),
                        (long long)d.render_major, (long long)d.render_minor, d.render_node.c_str());
    }
    auto b = Bridge::create();
    if (!b) {
        std::fprintf(stderr, "bridge: %s\n", b.error().message.c_str());
        return 1;
    }
    auto& br = **b;
    std::printf("adapter: %s\n", br.summary().c_str());
    std::printf("vendor '%s' architecture '%s' description '%s'\n", br.identity().vendor.c_str(),
                br.identity().architecture.c_str(), br.identity().description.c_str());
    wlgpu::wg::SupportedFeatures f;  // members freed by its destructor
    wgpuAdapterGetFeatures(br.adapter(), &f);
    std::printf("adapter features (%zu):", f.featureCount);
    for (size_t i = 0; i < f.featureCount; i++) std::printf(" %#x", unsigned(f.features[i]));
    std::printf("\n");
    const auto& l = br.limits();
    std::printf("limits: maxTextureDimension2D=%u maxBufferSize=%llu maxBindGroups=%u\n", l.maxTextureDimension2D,
                (unsigned long long)l.maxBufferSize, l.maxBindGroups);
    return 0;
}
