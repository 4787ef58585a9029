// Exact pixel copies (blit.cpp): a texture draw whose result is the source's texels, unchanged,
// becomes a copy (wgpuCommandEncoderCopyTextureToTexture of its visible boxes) encoded before
// the frame's render pass. llvmpipe copies a row with a memcpy where a draw runs the fragment
// shader per pixel.
//
// A draw is a candidate when recorded (note): an RGB texture (not YUV) drawn pixel-aligned 1:1,
// transform normal, alpha 1, of the target's WebGPU format, without swapping R and B, with the
// copy usages (CopySrc on the source, CopyDst on the target), and whose stored bytes are what
// the draw would store:
//   - Blend::none with a source that has alpha: the draw stores the texel as it is;
//   - a source without alpha (its X byte undefined) into a target without alpha: the draw
//     stores the colour and alpha 1, the copy the colour and the X byte, which no reader of an
//     X target looks at. Not in a frame with a snapshot (effects read the target's alpha).
// At submit (hoist), a candidate's command becomes a copy when no earlier command of the frame
// touches its box (the copy runs before the pass) and the pass does not clear the target.
//
// Opaque fills, on CPU adapters (llvmpipe) only (on a GPU a fill is cheap and the buffer not worth its
// memory): a draw_rect with Blend::none (alpha 1 is none) into a BGRA8Unorm/RGBA8Unorm target
// with CopyDst stores one colour's bytes (each channel v * 255 rounded to nearest, computed as
// llvmpipe does: only llvmpipe's CPU adapter is covered) in every pixel of its box. At submit it becomes copies of its visible boxes
// (wgpuCommandEncoderCopyBufferToTexture, same rule as above) from the renderer's fill buffer
// (a target's worth of rows of those bytes) when the buffer holds that colour. The buffer is
// (re)filled, and grown to the target, only for a colour that this frame and the previous one
// fill with: a colour that changes every frame costs no buffer writes.
#pragma once

#include "render/renderer_impl.hpp"

namespace wlgpu::render::blit {

// Records the draw of instance `index` as a copy candidate when it is one (see above); its
// texels are copied from `from` where that names a texture (an atlas entry: the frame does not
// keep d's texture alive then, and the atlas's copy comes before the candidates').
void note(Frame::Impl& f, const TextureDraw& d, uint32_t index, TexelSource from = {});
// Records the Blend::none rect of colour c (0..1) over box, instance `index`, as a fill candidate
// when it is one (see above).
void note_fill(Frame::Impl& f, Color c, Box box, uint32_t index);
// Moves the candidates' commands that can run before the pass out of f.cmds and encodes them
// as copies into enc (before the frame's pass); counts them in stats.copied_draws.
// Fill candidates of the colour chosen for the fill buffer become copies too, counted in
// stats.filled_rects. True when it encoded a copy.
bool hoist(Frame::Impl& f, WGPUCommandEncoder enc);
// Drops the fill buffer (the device is lost).
void forget_fill(Renderer::Impl& r);

}  // namespace wlgpu::render::blit
