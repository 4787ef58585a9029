// A raw-Vulkan "host compositor" for the host-sharing tests: its own VkInstance and VkDevice
// on the physical device wlgpu uses (matched by device UUID), exportable OPAQUE_FD images,
// exportable / importable semaphores, and one-shot command buffers.
#pragma once

// Vulkan structs are written {sType, pNext} with the rest zeroed.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "wlgpu/dmabuf.hpp"
#include "wlgpu/host_share.hpp"

namespace wlgpu::test {

struct VkHost {
    VkInstance inst = VK_NULL_HANDLE;
    VkPhysicalDevice pd = VK_NULL_HANDLE;
    VkDevice dev = VK_NULL_HANDLE;
    uint32_t qf = 0;
    VkQueue queue = VK_NULL_HANDLE;
    VkCommandPool pool = VK_NULL_HANDLE;
    PFN_vkGetMemoryFdKHR get_memory_fd = nullptr;
    PFN_vkGetSemaphoreFdKHR get_semaphore_fd = nullptr;
    PFN_vkImportSemaphoreFdKHR import_semaphore_fd = nullptr;
    VkPhysicalDeviceMemoryProperties mem_props{};
    std::string name;
    // DMA-BUF images (VK_EXT_external_memory_dma_buf + VK_EXT_image_drm_format_modifier) are
    // enabled; dmabuf_why says what is missing otherwise.
    bool dmabuf = false;
    std::string dmabuf_why;
    bool foreign_queue = false;  // VK_EXT_queue_family_foreign: dma-buf barriers use FOREIGN
    // Semaphore handle types this device can export / import.
    bool export_sem[3]{}, import_sem[3]{};  // indexed by SemaphoreFd

    VkHost() = default;
    VkHost(const VkHost&) = delete;
    VkHost& operator=(const VkHost&) = delete;

    ~VkHost() {
        if (dev) {
            vkDeviceWaitIdle(dev);
            if (pool) vkDestroyCommandPool(dev, pool, nullptr);
            vkDestroyDevice(dev, nullptr);
        }
        if (inst) vkDestroyInstance(inst, nullptr);
    }

    static VkExternalSemaphoreHandleTypeFlagBits vk_type(SemaphoreFd t) {
        return t == SemaphoreFd::sync_fd ? VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT
                                         : VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
    }

    // Creates the host on the physical device with this UUID; why says what is missing.
    static std::unique_ptr<VkHost> create(const std::array<uint8_t, 16>& uuid, std::string& why) {
        auto h = std::make_unique<VkHost>();
        VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
        app.pApplicationName = "wlgpu host-share test";
        app.apiVersion = VK_API_VERSION_1_1;
        VkInstanceCreateInfo ici{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
        ici.pApplicationInfo = &app;
        if (vkCreateInstance(&ici, nullptr, &h->inst) != VK_SUCCESS) return why = "vkCreateInstance failed", nullptr;
        uint32_t n = 0;
        vkEnumeratePhysicalDevices(h->inst, &n, nullptr);
        std::vector<VkPhysicalDevice> pds(n);
        vkEnumeratePhysicalDevices(h->inst, &n, pds.data());
        for (auto pd : pds) {
            VkPhysicalDeviceIDProperties id{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
            VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, &id};
            vkGetPhysicalDeviceProperties2(pd, &p2);
            if (std::memcmp(id.deviceUUID, uuid.data(), 16) == 0) {
                h->pd = pd;
                h->name = p2.properties.deviceName;
                break;
            }
        }
        if (!h->pd) return why = "no physical device has wlgpu's device UUID", nullptr;

        std::vector<const char*> exts = {VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME, VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME};
        uint32_t ne = 0;
        vkEnumerateDeviceExtensionProperties(h->pd, nullptr, &ne, nullptr);
        std::vector<VkExtensionProperties> have(ne);
        vkEnumerateDeviceExtensionProperties(h->pd, nullptr, &ne, have.data());
        auto has = [&](const char* e) {
            for (auto& x : have)
                if (std::strcmp(x.extensionName, e) == 0) return true;
            return false;
        };
        for (const char* e : exts)
            if (!has(e)) return why = std::string("the host device lacks ") + e, nullptr;
        // DMA-BUF images (optional): LINEAR-modifier images on exportable dma-buf memory.
        const char* dmabuf_exts[] = {VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME,
                                     VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME,
                                     VK_KHR_IMAGE_FORMAT_LIST_EXTENSION_NAME};
        h->dmabuf = true;
        for (const char* e : dmabuf_exts) {
            if (has(e)) continue;
            h->dmabuf = false;
            h->dmabuf_why = std::string("the host device lacks ") + e;
        }
        if (h->dmabuf) {
            for (const char* e : dmabuf_exts) exts.push_back(e);
            h->foreign_queue = has(VK_EXT_QUEUE_FAMILY_FOREIGN_EXTENSION_NAME);
            if (h->foreign_queue) exts.push_back(VK_EXT_QUEUE_FAMILY_FOREIGN_EXTENSION_NAME);
        }
        uint32_t nq = 0;
        vkGetPhysicalDeviceQueueFamilyProperties(h->pd, &nq, nullptr);
        std::vector<VkQueueFamilyProperties> qfs(nq);
        vkGetPhysicalDeviceQueueFamilyProperties(h->pd, &nq, qfs.data());
        bool found = false;
        for (uint32_t i = 0; i < nq && !found; i++)
            if (qfs[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) h->qf = i, found = true;
        if (!found) return why = "no graphics queue family", nullptr;
        float prio = 1.0f;
        VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
        qci.queueFamilyIndex = h->qf;
        qci.queueCount = 1;
        qci.pQueuePriorities = &prio;
        VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
        dci.queueCreateInfoCount = 1;
        dci.pQueueCreateInfos = &qci;
        dci.enabledExtensionCount = uint32_t(exts.size());
        dci.ppEnabledExtensionNames = exts.data();
        if (vkCreateDevice(h->pd, &dci, nullptr, &h->dev) != VK_SUCCESS) return why = "vkCreateDevice failed", nullptr;
        vkGetDeviceQueue(h->dev, h->qf, 0, &h->queue);
        VkCommandPoolCreateInfo pci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
        pci.queueFamilyIndex = h->qf;
        pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
        vkCreateCommandPool(h->dev, &pci, nullptr, &h->pool);
        h->get_memory_fd = PFN_vkGetMemoryFdKHR(vkGetDeviceProcAddr(h->dev, "vkGetMemoryFdKHR"));
        h->get_semaphore_fd = PFN_vkGetSemaphoreFdKHR(vkGetDeviceProcAddr(h->dev, "vkGetSemaphoreFdKHR"));
        h->import_semaphore_fd = PFN_vkImportSemaphoreFdKHR(vkGetDeviceProcAddr(h->dev, "vkImportSemaphoreFdKHR"));
        vkGetPhysicalDeviceMemoryProperties(h->pd, &h->mem_props);
        for (SemaphoreFd t : {SemaphoreFd::opaque_fd, SemaphoreFd::sync_fd}) {
            VkPhysicalDeviceExternalSemaphoreInfo info{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_SEMAPHORE_INFO};
            info.handleType = vk_type(t);
            VkExternalSemaphoreProperties props{VK_STRUCTURE_TYPE_EXTERNAL_SEMAPHORE_PROPERTIES};
            vkGetPhysicalDeviceExternalSemaphoreProperties(h->pd, &info, &props);
            h->export_sem[int(t)] = props.externalSemaphoreFeatures & VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT;
            h->import_sem[int(t)] = props.externalSemaphoreFeatures & VK_EXTERNAL_SEMAPHORE_FEATURE_IMPORTABLE_BIT;
        }
        return h;
    }

    // An image on exportable OPAQUE_FD memory, described for HostImage::import.
    struct Image {
        VkHost* host = nullptr;
        VkImage image = VK_NULL_HANDLE;
        VkDeviceMemory memory = VK_NULL_HANDLE;
        int fd = -1;  // ours: closed by the destructor
        HostImageDesc desc;
        Image() = default;
        Image(const Image&) = delete;
        virtual ~Image() {
            if (fd >= 0) close(fd);
            if (image) vkDestroyImage(host->dev, image, nullptr);
            if (memory) vkFreeMemory(host->dev, memory, nullptr);
        }
    };

    std::unique_ptr<Image> make_image(uint32_t w, uint32_t h, VkFormat format, VkImageUsageFlags usage,
                                      std::string label, std::string& why) {
        auto img = std::make_unique<Image>();
        img->host = this;
        const VkImageCreateFlags flags = VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT;
        // Can this image be exported and imported as OPAQUE_FD?
        VkPhysicalDeviceExternalImageFormatInfo efi{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO};
        efi.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
        VkPhysicalDeviceImageFormatInfo2 fi{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2, &efi};
        fi.format = format;
        fi.type = VK_IMAGE_TYPE_2D;
        fi.tiling = VK_IMAGE_TILING_OPTIMAL;
        fi.usage = usage;
        fi.flags = flags;
        VkExternalImageFormatProperties eprops{VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES};
        VkImageFormatProperties2 props{VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2, &eprops};
        if (vkGetPhysicalDeviceImageFormatProperties2(pd, &fi, &props) != VK_SUCCESS)
            return why = "the host cannot create this image with OPAQUE_FD memory", nullptr;
        auto feats = eprops.externalMemoryProperties.externalMemoryFeatures;
        if (!(feats & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT))
            return why = "OPAQUE_FD image memory is not exportable on the host", nullptr;
        const bool dedicated_only = feats & VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT;

        VkExternalMemoryImageCreateInfo ext{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO};
        ext.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
        VkImageCreateInfo ci{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO, &ext};
        ci.flags = flags;
        ci.imageType = VK_IMAGE_TYPE_2D;
        ci.format = format;
        ci.extent = {w, h, 1};
        ci.mipLevels = 1;
        ci.arrayLayers = 1;
        ci.samples = VK_SAMPLE_COUNT_1_BIT;
        ci.tiling = VK_IMAGE_TILING_OPTIMAL;
        ci.usage = usage;
        ci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
        ci.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
        if (vkCreateImage(dev, &ci, nullptr, &img->image) != VK_SUCCESS) return why = "vkCreateImage failed", nullptr;

        VkMemoryDedicatedRequirements dreq{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
        VkMemoryRequirements2 req{VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, &dreq};
        VkImageMemoryRequirementsInfo2 rinfo{VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2};
        rinfo.image = img->image;
        vkGetImageMemoryRequirements2(dev, &rinfo, &req);
        const bool dedicated = dedicated_only || dreq.requiresDedicatedAllocation || dreq.prefersDedicatedAllocation;
        uint32_t type = find_type(req.memoryRequirements.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);

        VkMemoryDedicatedAllocateInfo ded{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
        ded.image = img->image;
        VkExportMemoryAllocateInfo exp{VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO, dedicated ? &ded : nullptr};
        exp.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
        VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, &exp};
        ai.allocationSize = req.memoryRequirements.size;
        ai.memoryTypeIndex = type;
        if (vkAllocateMemory(dev, &ai, nullptr, &img->memory) != VK_SUCCESS)
            return why = "vkAllocateMemory (exportable) failed", nullptr;
        vkBindImageMemory(dev, img->image, img->memory, 0);
        VkMemoryGetFdInfoKHR gfi{VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR};
        gfi.memory = img->memory;
        gfi.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
        if (get_memory_fd(dev, &gfi, &img->fd) != VK_SUCCESS) return why = "vkGetMemoryFdKHR failed", nullptr;

        auto& d = img->desc;
        d.width = w;
        d.height = h;
        d.vk_format = format;
        d.vk_usage = usage;
        d.vk_flags = flags;
        d.vk_tiling = VK_IMAGE_TILING_OPTIMAL;
        d.memory_fd = img->fd;
        d.allocation_size = ai.allocationSize;
        d.memory_type_index = type;
        d.dedicated_allocation = dedicated;
        d.label = std::move(label);
        return img;
    }

    // An image with VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT (LINEAR, explicit row pitch) on
    // exportable DMA_BUF memory; dmabuf is its import description (the fd is the Image's).
    struct DmabufImage : Image {
        DmabufAttributes attrs;
    };
    std::unique_ptr<DmabufImage> make_dmabuf_image(uint32_t w, uint32_t h, VkFormat format, uint32_t drm_format,
                                                   VkImageUsageFlags usage, std::string& why) {
        if (!dmabuf) return why = dmabuf_why, nullptr;
        auto img = std::make_unique<DmabufImage>();
        img->host = this;
        VkPhysicalDeviceImageDrmFormatModifierInfoEXT mi{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_DRM_FORMAT_MODIFIER_INFO_EXT};
        mi.drmFormatModifier = 0;  // DRM_FORMAT_MOD_LINEAR
        mi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
        VkPhysicalDeviceExternalImageFormatInfo efi{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO, &mi};
        efi.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
        VkPhysicalDeviceImageFormatInfo2 fi{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2, &efi};
        fi.format = format;
        fi.type = VK_IMAGE_TYPE_2D;
        fi.tiling = VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT;
        fi.usage = usage;
        VkExternalImageFormatProperties eprops{VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES};
        VkImageFormatProperties2 props{VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2, &eprops};
        if (vkGetPhysicalDeviceImageFormatProperties2(pd, &fi, &props) != VK_SUCCESS)
            return why = "the host cannot create this LINEAR-modifier image with DMA_BUF memory", nullptr;
        auto feats = eprops.externalMemoryProperties.externalMemoryFeatures;
        if (!(feats & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT))
            return why = "DMA_BUF image memory is not exportable on the host", nullptr;

        // Explicit LINEAR layout: rows 256-byte aligned (not tightly packed for odd widths).
        VkSubresourceLayout plane{};
        plane.rowPitch = (uint64_t(w) * 4 + 255) / 256 * 256;
        VkImageDrmFormatModifierExplicitCreateInfoEXT mod{VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_EXPLICIT_CREATE_INFO_EXT};
        mod.drmFormatModifier = 0;
        mod.drmFormatModifierPlaneCount = 1;
        mod.pPlaneLayouts = &plane;
        VkExternalMemoryImageCreateInfo ext{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO, &mod};
        ext.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
        VkImageCreateInfo ci{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO, &ext};
        ci.imageType = VK_IMAGE_TYPE_2D;
        ci.format = format;
        ci.extent = {w, h, 1};
        ci.mipLevels = 1;
        ci.arrayLayers = 1;
        ci.samples = VK_SAMPLE_COUNT_1_BIT;
        ci.tiling = VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT;
        ci.usage = usage;
        ci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
        ci.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
        if (VkResult r = vkCreateImage(dev, &ci, nullptr, &img->image); r != VK_SUCCESS)
            return why = "vkCreateImage (LINEAR modifier, DMA_BUF) failed: VkResult " + std::to_string(r), nullptr;

        VkMemoryRequirements req;
        vkGetImageMemoryRequirements(dev, img->image, &req);
        VkMemoryDedicatedAllocateInfo ded{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
        ded.image = img->image;
        VkExportMemoryAllocateInfo exp{VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO, &ded};
        exp.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
        VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, &exp};
        ai.allocationSize = req.size;
        ai.memoryTypeIndex = find_type(req.memoryTypeBits, 0);
        if (vkAllocateMemory(dev, &ai, nullptr, &img->memory) != VK_SUCCESS)
            return why = "vkAllocateMemory (exportable DMA_BUF) failed", nullptr;
        vkBindImageMemory(dev, img->image, img->memory, 0);
        VkMemoryGetFdInfoKHR gfi{VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR};
        gfi.memory = img->memory;
        gfi.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
        if (get_memory_fd(dev, &gfi, &img->fd) != VK_SUCCESS) return why = "vkGetMemoryFdKHR(DMA_BUF) failed", nullptr;

        // The layout the driver really gave plane 0.
        VkImageSubresource sr{VK_IMAGE_ASPECT_MEMORY_PLANE_0_BIT_EXT, 0, 0};
        VkSubresourceLayout l{};
        vkGetImageSubresourceLayout(dev, img->image, &sr, &l);
        auto& a = img->attrs;
        a.width = w;
        a.height = h;
        a.format = drm_format;
        a.modifier = kDrmFormatModLinear;
        a.n_planes = 1;
        a.planes[0] = {img->fd, uint32_t(l.offset), uint32_t(l.rowPitch)};
        img->desc.width = w;
        img->desc.height = h;
        img->desc.vk_format = format;
        img->desc.vk_usage = usage;
        img->desc.allocation_size = ai.allocationSize;
        img->desc.memory_type_index = ai.memoryTypeIndex;
        img->desc.dedicated_allocation = true;
        return img;
    }

    // The queue family a dma-buf's ownership goes to / comes from.
    uint32_t dmabuf_queue_family() const {
        return foreign_queue ? VK_QUEUE_FAMILY_FOREIGN_EXT : VK_QUEUE_FAMILY_EXTERNAL;
    }

    uint32_t find_type(uint32_t bits, VkMemoryPropertyFlags want) const {
        for (uint32_t i = 0; i < mem_props.memoryTypeCount; i++)
            if ((bits & (1u << i)) && (mem_props.memoryTypes[i].propertyFlags & want) == want) return i;
        for (uint32_t i = 0; i < mem_props.memoryTypeCount; i++)
            if (bits & (1u << i)) return i;
        return 0;
    }

    // A host-visible, coherent buffer for uploads and read-backs.
    struct Buffer {
        VkHost* host = nullptr;
        VkBuffer buffer = VK_NULL_HANDLE;
        VkDeviceMemory memory = VK_NULL_HANDLE;
        void* map = nullptr;
        Buffer() = default;
        Buffer(const Buffer&) = delete;
        ~Buffer() {
            if (buffer) vkDestroyBuffer(host->dev, buffer, nullptr);
            if (memory) vkFreeMemory(host->dev, memory, nullptr);
        }
    };
    std::unique_ptr<Buffer> make_buffer(VkDeviceSize size) {
        auto b = std::make_unique<Buffer>();
        b->host = this;
        VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
        bi.size = size;
        bi.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
        vkCreateBuffer(dev, &bi, nullptr, &b->buffer);
        VkMemoryRequirements req;
        vkGetBufferMemoryRequirements(dev, b->buffer, &req);
        VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
        ai.allocationSize = req.size;
        ai.memoryTypeIndex =
            find_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
        vkAllocateMemory(dev, &ai, nullptr, &b->memory);
        vkBindBufferMemory(dev, b->buffer, b->memory, 0);
        vkMapMemory(dev, b->memory, 0, VK_WHOLE_SIZE, 0, &b->map);
        return b;
    }

    // A binary semaphore exportable as type.
    VkSemaphore make_exportable_semaphore(SemaphoreFd type) {
        VkExportSemaphoreCreateInfo exp{VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO};
        exp.handleTypes = vk_type(type);
        VkSemaphoreCreateInfo ci{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, &exp};
        VkSemaphore s = VK_NULL_HANDLE;
        vkCreateSemaphore(dev, &ci, nullptr, &s);
        return s;
    }
    int export_semaphore(VkSemaphore s, SemaphoreFd type) {
        VkSemaphoreGetFdInfoKHR gi{VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR};
        gi.semaphore = s;
        gi.handleType = vk_type(type);
        int fd = -1;
        if (get_semaphore_fd(dev, &gi, &fd) != VK_SUCCESS) return -2;
        return fd;
    }
    // A semaphore with this fd's payload imported temporarily (the fd becomes the driver's on success).
    VkSemaphore import_semaphore(const HostSemaphore& hs) {
        VkSemaphoreCreateInfo ci{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
        VkSemaphore s = VK_NULL_HANDLE;
        vkCreateSemaphore(dev, &ci, nullptr, &s);
        VkImportSemaphoreFdInfoKHR ii{VK_STRUCTURE_TYPE_IMPORT_SEMAPHORE_FD_INFO_KHR};
        ii.semaphore = s;
        ii.flags = VK_SEMAPHORE_IMPORT_TEMPORARY_BIT;
        ii.handleType = vk_type(hs.type);
        ii.fd = hs.fd;
        if (import_semaphore_fd(dev, &ii) != VK_SUCCESS) {
            vkDestroySemaphore(dev, s, nullptr);
            return VK_NULL_HANDLE;
        }
        return s;
    }

    // A submitted command buffer and its fence.
    struct Pending {
        VkHost* host = nullptr;
        VkCommandBuffer cb = VK_NULL_HANDLE;
        VkFence fence = VK_NULL_HANDLE;
        bool submitted = false;
        // Waits for the GPU (30 s at most) and frees the command buffer and fence.
        bool finish() {
            if (!host) return false;
            bool ok = submitted && vkWaitForFences(host->dev, 1, &fence, VK_TRUE, 30'000'000'000ull) == VK_SUCCESS;
            vkDestroyFence(host->dev, fence, nullptr);
            vkFreeCommandBuffers(host->dev, host->pool, 1, &cb);
            host = nullptr;
            return ok;
        }
        ~Pending() { finish(); }
    };

    // Records and submits one command buffer without waiting for it.
    std::unique_ptr<Pending> submit_async(const std::function<void(VkCommandBuffer)>& record,
                                          std::vector<VkSemaphore> waits, std::vector<VkSemaphore> signals) {
        auto p = std::make_unique<Pending>();
        p->host = this;
        VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
        ai.commandPool = pool;
        ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
        ai.commandBufferCount = 1;
        vkAllocateCommandBuffers(dev, &ai, &p->cb);
        VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        vkBeginCommandBuffer(p->cb, &bi);
        record(p->cb);
        vkEndCommandBuffer(p->cb);
        std::vector<VkPipelineStageFlags> stages(waits.size(), VK_PIPELINE_STAGE_ALL_COMMANDS_BIT);
        VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        si.waitSemaphoreCount = uint32_t(waits.size());
        si.pWaitSemaphores = waits.data();
        si.pWaitDstStageMask = stages.data();
        si.commandBufferCount = 1;
        si.pCommandBuffers = &p->cb;
        si.signalSemaphoreCount = uint32_t(signals.size());
        si.pSignalSemaphores = signals.data();
        VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        vkCreateFence(dev, &fci, nullptr, &p->fence);
        p->submitted = vkQueueSubmit(queue, 1, &si, p->fence) == VK_SUCCESS;
        return p;
    }
    bool submit(const std::function<void(VkCommandBuffer)>& record, std::vector<VkSemaphore> waits,
                std::vector<VkSemaphore> signals) {
        return submit_async(record, std::move(waits), std::move(signals))->finish();
    }

    // An image barrier (optionally a queue family transfer).
    static void barrier(VkCommandBuffer cb, VkImage image, VkImageLayout from, VkImageLayout to,
                        uint32_t src_qf = VK_QUEUE_FAMILY_IGNORED, uint32_t dst_qf = VK_QUEUE_FAMILY_IGNORED) {
        VkImageMemoryBarrier b{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
        b.srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT;
        b.dstAccessMask = VK_ACCESS_MEMORY_READ_BIT | VK_ACCESS_MEMORY_WRITE_BIT;
        b.oldLayout = from;
        b.newLayout = to;
        b.srcQueueFamilyIndex = src_qf;
        b.dstQueueFamilyIndex = dst_qf;
        b.image = image;
        b.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
        vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 0, nullptr,
                             0, nullptr, 1, &b);
    }
};

}  // namespace wlgpu::test
