// YUV (multi-planar DMA-BUF) drawing for the renderer: a pipeline whose fragment shader
// converts YCbCr planes to RGB (BT.601/709/2020, limited/full range), bind groups cached per
// texture, renderer and filter.
#pragma once

#include <array>

#include "import/dmabuf_internal.hpp"
#include "render/renderer_impl.hpp"

namespace wlgpu::render::yuv {

extern const char* const kYuvShaderWgsl;

// The affine YCbCr -> RGB matrix for raw texture samples (unorm of the plane format) of a
// format with `bits` per component stored in the top bits (8: R8/RG8/RGBA8, 10: R16/RG16).
// Row-major 3x4: rgb[i] = m[i][0]*y + m[i][1]*cb + m[i][2]*cr + m[i][3].
std::array<std::array<float, 4>, 3> matrix(YuvColor c, uint32_t bits);

// For Frame: the YUV planes of t, or null if t is not YUV.
inline dmabuf::YuvPlanes* planes(const Texture& t) { return dmabuf::yuv_of(t); }
Result<WGPUBindGroup> bind_group(Renderer::Impl& r, dmabuf::YuvPlanes& planes, Filter filter);
Result<WGPURenderPipeline> pipeline(Renderer::Impl& r, PipelineKey key);

}  // namespace wlgpu::render::yuv
