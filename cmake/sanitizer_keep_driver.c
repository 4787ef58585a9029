/*
 * Sanitizer builds only (WLGPU_SANITIZE, added to libwlgpu by CMakeLists.txt): keeps the
 * lavapipe Vulkan driver loaded until the process exits.
 *
 * The Vulkan loader dlclose()s the driver when the last instance is destroyed, before
 * LeakSanitizer's check at exit. Memory that lavapipe's threads allocated and that only the
 * driver's own (now unmapped) globals pointed to is then reported as leaked, with every frame
 * '<unknown module>' - nothing a suppression can name, and nothing wlgpu can free. Loaded with
 * RTLD_NODELETE here, the driver stays mapped: its references stay visible to LSan and its
 * frames keep their names (tests/lsan.supp). Without lavapipe the dlopen fails harmlessly.
 */
#define _GNU_SOURCE
#include <dlfcn.h>

__attribute__((constructor)) static void wlgpu_sanitizer_keep_driver(void) {
	(void)dlopen("libvulkan_lvp.so", RTLD_LAZY | RTLD_NODELETE);
}
