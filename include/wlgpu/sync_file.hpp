// Owned file descriptors and sync_files <-> Dawn SharedFences: the vocabulary of explicit sync
// that every layer shares (SharedAccess in wlgpu/texture.hpp, wlgpu/sync.hpp). Implemented in
// src/common/sync_file.cpp.
#pragma once

#include "wlgpu/error.hpp"
#include "wlgpu/webgpu/handle.hpp"

namespace wlgpu::sync {

// An owned file descriptor (closed on destruction).
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(o.release()) {}
    Fd& operator=(Fd&& o) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    static Result<Fd> dup(int fd);
    int get() const { return fd_; }
    int release() { int f = fd_; fd_ = -1; return f; }
    void reset(int fd = -1);
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

// Dawn SharedFence <-> sync_file (for SharedAccess: src/import/shared_access.cpp).
// Imports a sync_file as a SyncFD SharedFence; sync_file is borrowed (Dawn dups it).
Result<wg::SharedFence> import_fence(WGPUDevice device, int sync_file);
// Exports a SyncFD SharedFence as a new sync_file (dup'ed: the caller owns it). Dawn may
// return -1 for an already-signalled fence: then the result is an empty Fd.
Result<Fd> export_fence(WGPUSharedFence fence);

}  // namespace wlgpu::sync
