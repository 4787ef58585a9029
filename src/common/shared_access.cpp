// Defaults for SharedAccess's explicit-sync hooks: importers that support them override.
#include <unistd.h>

#include "wlgpu/texture.hpp"

namespace wlgpu {

Result<void> SharedAccess::add_wait_sync_file(int fd) {
    if (fd >= 0) close(fd);
    return fail(Errc::unsupported, "this texture's memory cannot wait for a sync_file");
}

Result<int> SharedAccess::export_end_sync_file() {
    return fail(Errc::unsupported, "this texture's memory cannot export a sync_file");
}

}  // namespace wlgpu
