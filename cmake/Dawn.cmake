# Imports the prebuilt Dawn (libwebgpu_wrapper.so, from scripts/fetch-dawn) as wlgpu::dawn,
# after checking its SHA-256 against the pinned value.
set(WLGPU_DAWN_SHA256 3190c3777f2c07fcf6a0640833cbf5d0cde859dc53aed6d9083946d093198788)
set(WLGPU_DAWN_LIBRARY "${PROJECT_SOURCE_DIR}/third_party/dawn/libwebgpu_wrapper.so"
    CACHE FILEPATH "Dawn's libwebgpu_wrapper.so (bun-webgpu-linux-x64@0.1.7)")
if(NOT EXISTS "${WLGPU_DAWN_LIBRARY}")
  message(FATAL_ERROR "Dawn not found at ${WLGPU_DAWN_LIBRARY}: run scripts/fetch-dawn first")
endif()
file(SHA256 "${WLGPU_DAWN_LIBRARY}" _dawn_sha)
if(NOT _dawn_sha STREQUAL WLGPU_DAWN_SHA256)
  message(FATAL_ERROR "Dawn at ${WLGPU_DAWN_LIBRARY} has SHA-256 ${_dawn_sha}, expected "
                      "${WLGPU_DAWN_SHA256} (bun-webgpu-linux-x64@0.1.7): refusing to build")
endif()
add_library(wlgpu_dawn SHARED IMPORTED GLOBAL)
set_target_properties(wlgpu_dawn PROPERTIES IMPORTED_LOCATION "${WLGPU_DAWN_LIBRARY}" IMPORTED_NO_SONAME TRUE)
add_library(wlgpu::dawn ALIAS wlgpu_dawn)
get_filename_component(WLGPU_DAWN_DIR "${WLGPU_DAWN_LIBRARY}" DIRECTORY)
