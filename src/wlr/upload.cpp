// Uploads of client memory (wl_shm) buffers into their textures. Where the memory cannot be
// truncated under the GPU (memory_cannot_shrink: a pool fd sealed with F_SEAL_SHRINK that holds
// the buffer) and the device can import it (HostImport::usable), the buffer's memory is
// imported once (a HostImport cached on the wlr_buffer with a wlr_addon, as the mapping is
// per buffer) and the GPU copies the damage out of it: no CPU copy. The upload waits until the
// GPU has finished the copy, so that wlroots may release the buffer to the client as it does
// after a CPU copy (upload_memory). Anything else takes Texture::update (the CPU copies the damage into Dawn's staging
// memory); the transfer counters tell the two apart (upload_host_mapped, upload_staged). A commit
// whose CPU copy was made off the event loop while it was held (commit_copy.cpp) is uploaded from
// that copy (Texture::update_from_copy).
#include "internal.hpp"

#include <algorithm>

namespace wlgpu::wlr::detail {
namespace {

void import_addon_destroy(wlr_addon* addon) {
    auto* s = wl_container_of(addon, static_cast<ShmImport*>(nullptr), addon);
    wlr_addon_finish(&s->addon);
    wl_list_remove(&s->link);
    delete s;
}

const wlr_addon_interface kShmImportAddon = {.name = "wlgpu_shm_import", .destroy = import_addon_destroy};

// Why the buffer's memory is not imported, or "" when it may be.
std::string refusal(WlRenderer* r, const Texture& t, wlr_buffer* buffer, void* data, uint32_t stride) {
    if (!memory_cannot_shrink(buffer, false))
        return "its memory has no fd sealed against shrinking (F_SEAL_SHRINK) that holds the buffer";
    const uint32_t texel = t.format().bytes_per_pixel;
    if (t.format().cpu_convert) return "its format is converted on the CPU";
    if (uint64_t(stride) < uint64_t(t.width()) * texel) return "its stride is shorter than a row";
    auto ok = HostImport::usable(*r->bridge, data, stride, t.width(), t.height(), texel, HostUse::upload);
    return ok ? "" : error_text(ok.error());
}

// The buffer's import (created on first use), or nullptr where it is refused (logged once).
const HostImport* find_import(WlRenderer* r, const Texture& t, wlr_buffer* buffer, void* data, uint32_t stride) {
    ShmImport* s = nullptr;
    if (wlr_addon* a = wlr_addon_find(&buffer->addons, r, &kShmImportAddon))
        s = wl_container_of(a, static_cast<ShmImport*>(nullptr), addon);
    if (s && (!s->import || s->import->matches(data, stride, t.width(), t.height())))
        return s->import ? &*s->import : nullptr;
    if (!s) {
        s = new ShmImport();
        wlr_addon_init(&s->addon, &buffer->addons, r, &kShmImportAddon);
        wl_list_insert(&r->shm_imports, &s->link);
    }
    s->import.reset();
    if (std::string why = refusal(r, t, buffer, data, stride); !why.empty()) {
        log_debug("client buffer %p: uploads copied by the CPU: %s", (void*)buffer, why.c_str());
        return nullptr;
    }
    auto h = HostImport::create(*r->bridge, data, stride, t.width(), t.height(), t.format().bytes_per_pixel,
                                HostUse::upload);
    if (!h) {
        log_error("client buffer %p: importing its memory: %s; uploads copied by the CPU", (void*)buffer,
                  error_text(h.error()));
        return nullptr;
    }
    log_debug("client buffer %p: imported, uploads copied by the GPU", (void*)buffer);
    s->import.emplace(std::move(*h));
    return &*s->import;
}

// The CPU copies a commit's damage on the compositor's event loop: at most as many bytes as the
// copy path of read-only DMA-BUFs (DmabufImportOptions::kDefaultMaxCopyBytes, 128 MiB: a
// 7680x4320 XRGB8888 buffer fits), so that no client stalls the others for longer than that copy
// (a copy of 8 MiB or more is made off the event loop first, where it can be: commit_copy.cpp).
// A bigger upload is refused (the surface keeps its content); memory the GPU may copy
// (sealed, above) has no such limit: recording its copy costs the event loop almost nothing.
Result<void> check_cpu_copy(const Texture& t, wlr_buffer* buffer, std::span<const Box> damage) {
    const Box all{0, 0, int32_t(t.width()), int32_t(t.height())};
    uint64_t bytes = 0;
    for (const Box& d : damage) {
        const Box b = intersect(d, all);
        bytes += uint64_t(b.width) * uint64_t(b.height) * t.format().bytes_per_pixel;  // 0 where empty
    }
    constexpr uint64_t limit = DmabufImportOptions::kDefaultMaxCopyBytes;
    if (bytes <= limit) return {};
    return fail(Errc::invalid_argument,
                "client buffer {} ({}x{} {}): one commit would make the CPU copy {} bytes (limit {}); a pool fd "
                "sealed with F_SEAL_SHRINK is copied by the GPU instead",
                (void*)buffer, t.width(), t.height(), t.format().name, bytes, limit);
}

}  // namespace

Result<void> upload_memory(WlRenderer* r, Texture& t, wlr_buffer* buffer, void* data, uint32_t stride,
                           std::span<const Box> damage) {
    // Copied off the event loop while the commit was held (commit_copy.cpp): no client memory read here.
    if (const RowCopy* c = copied_rows(r, buffer); c && c->serves(stride, damage))
        return t.update_from_copy(*c, damage);
    const HostImport* h = find_import(r, t, buffer, data, stride);
    if (!h) {
        if (auto ok = check_cpu_copy(t, buffer, damage); !ok) return ok;
        return t.update(data, stride, damage);
    }
    auto done = t.update_from_import(*h, damage);
    if (!done) return std::unexpected(done.error());
    if (done->id == 0) return {};
    // Waited for here, not later: clients take a wl_shm buffer back as soon as the commit has
    // been copied (wlroots releases it right after this call), and some count on it
    // (weston-simple-shm aborts when both its buffers are still busy at its next frame; held
    // until a later render pass, under sway in the test bed it did). The event loop waits for
    // the GPU's copy, not for a CPU memcpy.
    return r->bridge->wait(*done);
}

void shm_imports_destroy_all(WlRenderer* r) {
    ShmImport *s, *tmp;
    wl_list_for_each_safe(s, tmp, &r->shm_imports, link) import_addon_destroy(&s->addon);
}

}  // namespace wlgpu::wlr::detail
