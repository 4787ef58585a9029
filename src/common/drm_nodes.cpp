#include "common/drm_nodes.hpp"

#include <dirent.h>
#include <drm/drm.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <format>

#include "common/ioctl.hpp"

namespace wlgpu::drm {

std::vector<std::string> nodes(std::string_view prefix) {
    std::vector<std::string> out;
    DIR* d = opendir("/dev/dri");
    if (!d) return out;
    while (dirent* e = readdir(d))
        if (std::string_view(e->d_name).starts_with(prefix)) out.push_back(std::string("/dev/dri/") + e->d_name);
    closedir(d);
    std::ranges::sort(out);
    return out;
}

std::string render_node_of(int64_t major_id, int64_t minor_id) {
    if (major_id < 0 || minor_id < 0) return "";
    std::string path = std::format("/dev/dri/renderD{}", minor_id);
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && major_id == int64_t(major(st.st_rdev)) &&
        minor_id == int64_t(minor(st.st_rdev)))
        return path;
    return "";
}

std::string first_accessible_render_node() {
    for (const auto& path : render_nodes())
        if (access(path.c_str(), R_OK | W_OK) == 0) return path;
    return "";
}

Result<Fd> open_node_of_driver(std::string_view prefix, std::string_view driver) {
    auto paths = nodes(prefix);
    if (paths.empty()) return fail(Errc::unsupported, "no /dev/dri/{}* node", prefix);
    for (const auto& path : paths) {
        Fd fd(open(path.c_str(), O_RDWR | O_CLOEXEC));
        if (!fd) continue;
        char name[64] = {};
        drm_version v{};
        v.name = name;
        v.name_len = sizeof name - 1;
        if (xioctl(fd.get(), DRM_IOCTL_VERSION, &v) == 0 && driver == std::string_view(name)) return fd;
    }
    return fail(Errc::unsupported, "no /dev/dri/{}* node of driver {}", prefix, driver);
}

Result<Fd> open_timeline_node() {
    auto paths = render_nodes();
    if (paths.empty()) return fail(Errc::unsupported, "no /dev/dri/renderD* node");
    for (const auto& path : paths) {
        Fd fd(open(path.c_str(), O_RDWR | O_CLOEXEC));
        if (!fd) continue;
        drm_get_cap c{DRM_CAP_SYNCOBJ_TIMELINE, 0};
        if (xioctl(fd.get(), DRM_IOCTL_GET_CAP, &c) == 0 && c.value) return fd;
    }
    return fail(Errc::unsupported, "no render node has DRM_CAP_SYNCOBJ_TIMELINE");
}

}  // namespace wlgpu::drm
