#include "import/shared_access.hpp"

#include <unistd.h>

#include "common/signals_blocked.hpp"
#include "common/sync_file.hpp"
#include "wlgpu/bridge.hpp"

namespace wlgpu {

namespace {
// Vulkan image layouts (vulkan_core.h values; the header is not needed for two numbers).
constexpr int32_t kVkLayoutUndefined = 0, kVkLayoutGeneral = 1;

// Runs fn in an error scope, or plainly on a lost device (whose scopes report nothing useful).
Result<void> in_scope(const Bridge& b, const std::function<void()>& fn, std::string_view what) {
    if (b.lost()) {
        fn();
        return {};
    }
    return b.scoped(fn, what);
}
}  // namespace

// Memory that is not shared: the defaults of the explicit-sync hooks.
Result<void> SharedAccess::add_wait_sync_file(int fd) {
    if (fd >= 0) close(fd);
    return fail(Errc::unsupported, "this texture's memory cannot wait for a sync_file");
}

Result<sync::Fd> SharedAccess::export_end_sync_file() {
    return fail(Errc::unsupported, "this texture's memory cannot export a sync_file");
}

SharedMemoryAccess::SharedMemoryAccess(Bridge& b, std::vector<Part> parts, bool initialized, std::string name)
    : bridge_(&b), parts_(std::move(parts)), name_(std::move(name)), initialized_(initialized) {
    next_.assign(parts_.size(), Layouts{initialized ? kVkLayoutGeneral : kVkLayoutUndefined, kVkLayoutGeneral});
}

SharedMemoryAccess::~SharedMemoryAccess() {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    // Leave Dawn's access state consistent; nobody can wait for this access any more.
    if (depth_ > 0) {
        depth_ = 1;
        (void)end();
    }
}

void SharedMemoryAccess::add_wait(wg::SharedFence fence) { waits_.push_back(std::move(fence)); }

void SharedMemoryAccess::set_next_begin(Layouts layouts, bool initialized) {
    next_.assign(parts_.size(), layouts);
    initialized_ = initialized;
}

std::vector<wg::SharedFence> SharedMemoryAccess::take_end_fences() { return std::exchange(end_fences_, {}); }

// Ends the accesses of parts [0, n) after a later part's BeginAccess failed, so that the
// texture stays usable.
void SharedMemoryAccess::undo_begin(size_t n) {
    for (size_t j = 0; j < n; j++) {
        auto le = wg::chained<WGPUSharedTextureMemoryVkImageLayoutEndState>();
        WGPUSharedTextureMemoryEndAccessState st{};
        st.nextInChain = &le.chain;
        if (wgpuSharedTextureMemoryEndAccess(parts_[j].memory.get(), parts_[j].texture.get(), &st) == WGPUStatus_Success)
            next_[j] = {le.oldLayout, le.newLayout};
        wgpuSharedTextureMemoryEndAccessStateFreeMembers(st);
    }
}

Result<void> SharedMemoryAccess::begin(bool /*write: Dawn's Vulkan backend has no concurrent reads*/) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (depth_++ > 0) return {};  // already inside an access (drawn twice, or target and source)
    if (bridge_->lost()) {
        depth_ = 0;
        return fail(Errc::device_lost, "{}: begin(): the device is lost", name_);
    }
    std::vector<WGPUSharedFence> fences;
    for (const auto& f : waits_) fences.push_back(f.get());
    const std::vector<uint64_t> values(fences.size(), 1);  // sync_files and binary semaphores
    size_t begun = 0;
    auto r = bridge_->scoped(
        [&] {
            for (; begun < parts_.size(); begun++) {
                auto layout = wg::chained<WGPUSharedTextureMemoryVkImageLayoutBeginState>();
                layout.oldLayout = next_[begun].old_layout;
                layout.newLayout = next_[begun].new_layout;
                WGPUSharedTextureMemoryBeginAccessDescriptor d{};
                d.nextInChain = &layout.chain;
                d.concurrentRead = false;
                d.initialized = initialized_;
                d.fenceCount = fences.size();
                d.fences = fences.data();
                d.signaledValues = values.data();
                if (wgpuSharedTextureMemoryBeginAccess(parts_[begun].memory.get(), parts_[begun].texture.get(), &d) !=
                    WGPUStatus_Success)
                    return;
            }
        },
        "BeginAccess");
    if (!r || begun < parts_.size()) {
        undo_begin(begun);
        depth_ = 0;  // the waits stay for a retry
        if (!r) return std::unexpected(r.error().context(name_));
        return fail(Errc::gpu_error, "{}: BeginAccess of plane {} failed", name_, begun);
    }
    waits_.clear();
    accesses_++;
    return {};
}

Result<void> SharedMemoryAccess::end() {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (depth_ == 0) return fail(Errc::invalid_argument, "{}: end() without begin()", name_);
    if (--depth_ > 0) return {};
    end_fences_.clear();
    const size_t n = parts_.size();
    std::vector<WGPUSharedTextureMemoryVkImageLayoutEndState> layouts(n);
    std::vector<WGPUSharedTextureMemoryEndAccessState> states(n);
    std::vector<WGPUStatus> status(n, WGPUStatus_Error);
    for (size_t i = 0; i < n; i++) {
        layouts[i] = wg::chained<WGPUSharedTextureMemoryVkImageLayoutEndState>();
        states[i] = {};
        states[i].nextInChain = &layouts[i].chain;
    }
    auto r = in_scope(
        *bridge_,
        [&] {
            for (size_t i = 0; i < n; i++)
                status[i] = wgpuSharedTextureMemoryEndAccess(parts_[i].memory.get(), parts_[i].texture.get(), &states[i]);
        },
        "EndAccess");
    // A SYNC_FD semaphore export may return -1 when the work is already done (lavapipe does):
    // Dawn cannot wrap -1 in a SharedFence and reports an error, but it has ended the access and
    // written the layouts; nothing is left to wait for.
    const bool done_already = !r && bridge_->caps().sync_fd_fence &&
                              r.error().message.find("File descriptor (-1) was invalid") != std::string::npos;
    if (done_already) r = {};
    bool ok = true, initialized = true;
    for (size_t i = 0; i < n; i++) {
        if (status[i] == WGPUStatus_Success || done_already) {
            next_[i] = {layouts[i].oldLayout, layouts[i].newLayout};
            initialized = initialized && states[i].initialized;
            // Kept for export_end_sync_file (explicit sync, other devices) and the host's
            // hand-back. Not fed back into our own next BeginAccess: that work is on the same
            // Dawn queue, already ordered, and re-waiting on lavapipe's exported (often already
            // signalled, fd -1) sync files made Dawn fail ("close failed" in SystemHandle) after
            // many frames.
            for (size_t k = 0; k < states[i].fenceCount; k++) end_fences_.push_back(wg::SharedFence(states[i].fences[k]));
        } else {
            ok = false;
        }
        wgpuSharedTextureMemoryEndAccessStateFreeMembers(states[i]);
    }
    if (ok) initialized_ = initialized;
    if (!r) return std::unexpected(r.error().context(name_));
    if (!ok) return fail(bridge_->lost() ? Errc::device_lost : Errc::gpu_error, "{}: EndAccess failed", name_);
    return {};
}

Result<void> SharedMemoryAccess::add_wait_sync_file(int fd) {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    sync::Fd own(fd);
    if (fd < 0) return {};  // already signalled
    if (!bridge_->caps().sync_fd_fence)
        return fail(Errc::unsupported, "{}: the device cannot import sync_file fences (no SharedFenceSyncFD)", name_);
    Result<wg::SharedFence> f = fail(Errc::gpu_error, "not imported");
    auto r = bridge_->scoped([&] { f = sync::import_fence(bridge_->device(), fd); }, "importing a sync_file");
    if (!r) return std::unexpected(r.error().context(name_));
    if (!f) return std::unexpected(f.error().context(name_));
    waits_.push_back(std::move(*f));  // Dawn keeps its own duplicate of fd
    return {};
}

Result<sync::Fd> SharedMemoryAccess::export_end_sync_file() {
    AsyncSignalsBlocked blocked;  // Dawn or the driver may start threads here
    if (depth_ > 0) return fail(Errc::invalid_argument, "{}: export_end_sync_file() inside begin()/end()", name_);
    return merge_end_sync_files(end_fences_, name_);  // empty: nothing left to wait for
}

}  // namespace wlgpu
