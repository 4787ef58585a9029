// YUV (multi-planar DMA-BUF) drawing for the renderer: a pipeline whose fragment shader
// converts YCbCr planes to RGB (BT.601/709/2020, limited/full range), bind groups cached per
// texture, renderer and filter. The planes come from the importer (wlgpu/dmabuf.hpp yuv_plane_views).
#pragma once

#include <string>

#include <array>

#include "wlgpu/dmabuf.hpp"
#include "render/renderer_impl.hpp"

namespace wlgpu::render::yuv {

extern const std::string kYuvShaderWgsl;

// The affine YCbCr -> RGB matrix for the shader's samples: bits 8: unorm8 of R8/RG8/RGBA8;
// bits 10 (P010): the 10-bit integer code (16-bit sample >> 6) the shader rebuilds from bytes.
// Row-major 3x4: rgb[i] = m[i][0]*y + m[i][1]*cb + m[i][2]*cr + m[i][3].
std::array<std::array<float, 4>, 3> matrix(YuvColor c, uint32_t bits);

// t's YUV bind group for this renderer and filter (cached in t's Texture::renderer_cache, with the
// conversion's uniform buffer, rewritten when the texture's colour description changes).
Result<WGPUBindGroup> bind_group(Renderer::Impl& r, const Texture& t, const YuvPlaneViews& planes, Filter filter);
Result<WGPURenderPipeline> pipeline(Renderer::Impl& r, PipelineKey key);

}  // namespace wlgpu::render::yuv
