// wlgpu_version() (wlgpu/version.h): the loaded library's version.
#include "wlgpu/version.h"

extern "C" const char* wlgpu_version(void) { return WLGPU_VERSION_STRING; }
