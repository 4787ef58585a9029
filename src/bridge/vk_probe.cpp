// Reads what the Vulkan loader knows about each physical device: PCI ids, driver
// version, device/driver UUIDs and DRM nodes. Dawn's C API has no DRM or UUID query,
// so the bridge matches its adapter against this list.
#include <dlfcn.h>

#include <cstring>
#include <format>
#include <string>
#include <vector>

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include "wlgpu/bridge.hpp"
#include "common/drm_nodes.hpp"
#include "common/signals_blocked.hpp"

namespace wlgpu {
namespace {

struct VkLib {
    void* so = nullptr;
    PFN_vkGetInstanceProcAddr gipa = nullptr;
    ~VkLib() {
        if (so) dlclose(so);
    }
};

bool has_extension(PFN_vkEnumerateDeviceExtensionProperties enumerate, VkPhysicalDevice pd,
                   const char* name) {
    uint32_t n = 0;
    enumerate(pd, nullptr, &n, nullptr);
    std::vector<VkExtensionProperties> exts(n);
    enumerate(pd, nullptr, &n, exts.data());
    for (const auto& e : exts)
        if (std::strcmp(e.extensionName, name) == 0) return true;
    return false;
}

AdapterIdentity describe(VkInstance inst, PFN_vkGetInstanceProcAddr gipa, VkPhysicalDevice pd) {
    auto props2 = reinterpret_cast<PFN_vkGetPhysicalDeviceProperties2>(
        gipa(inst, "vkGetPhysicalDeviceProperties2"));
    auto enumerate = reinterpret_cast<PFN_vkEnumerateDeviceExtensionProperties>(
        gipa(inst, "vkEnumerateDeviceExtensionProperties"));
    VkPhysicalDeviceDrmPropertiesEXT drm{};
    drm.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRM_PROPERTIES_EXT;
    VkPhysicalDeviceIDProperties id{};
    id.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES;
    bool has_drm = has_extension(enumerate, pd, VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME);
    if (has_drm) id.pNext = &drm;
    VkPhysicalDeviceProperties2 p{};
    p.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
    p.pNext = &id;
    props2(pd, &p);

    AdapterIdentity a;
    a.name = p.properties.deviceName;
    a.vendor_id = p.properties.vendorID;
    a.device_id = p.properties.deviceID;
    a.driver_version = p.properties.driverVersion;
    a.backend = WGPUBackendType_Vulkan;
    std::array<uint8_t, 16> u{};
    std::memcpy(u.data(), id.deviceUUID, 16);
    a.device_uuid = u;
    std::memcpy(u.data(), id.driverUUID, 16);
    a.driver_uuid = u;
    if (has_drm) {
        if (drm.hasPrimary) a.primary_major = drm.primaryMajor, a.primary_minor = drm.primaryMinor;
        if (drm.hasRender) a.render_major = drm.renderMajor, a.render_minor = drm.renderMinor;
        a.render_node = drm::render_node_of(a.render_major, a.render_minor);
    }
    return a;
}

}  // namespace

Result<std::vector<AdapterIdentity>> probe_vulkan_devices() {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    VkLib lib;
    lib.so = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib.so) return fail(Errc::no_adapter, "cannot load the Vulkan loader libvulkan.so.1: {}", dlerror());
    lib.gipa = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(lib.so, "vkGetInstanceProcAddr"));
    auto create = reinterpret_cast<PFN_vkCreateInstance>(lib.gipa(nullptr, "vkCreateInstance"));
    if (!create) return fail(Errc::no_adapter, "libvulkan.so.1 has no vkCreateInstance");

    VkApplicationInfo app{};
    app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
    app.pApplicationName = "wlgpu-probe";
    app.apiVersion = VK_API_VERSION_1_1;
    VkInstanceCreateInfo ci{};
    ci.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
    ci.pApplicationInfo = &app;
    VkInstance inst = VK_NULL_HANDLE;
    if (VkResult r = create(&ci, nullptr, &inst); r != VK_SUCCESS)
        return fail(Errc::no_adapter, "vkCreateInstance failed (VkResult {}): no Vulkan 1.1 driver", int(r));

    auto destroy = reinterpret_cast<PFN_vkDestroyInstance>(lib.gipa(inst, "vkDestroyInstance"));
    auto enumerate = reinterpret_cast<PFN_vkEnumeratePhysicalDevices>(
        lib.gipa(inst, "vkEnumeratePhysicalDevices"));
    uint32_t n = 0;
    enumerate(inst, &n, nullptr);
    std::vector<VkPhysicalDevice> pds(n);
    enumerate(inst, &n, pds.data());
    std::vector<AdapterIdentity> out;
    for (auto pd : pds) out.push_back(describe(inst, lib.gipa, pd));
    destroy(inst, nullptr);
    return out;
}

}  // namespace wlgpu
