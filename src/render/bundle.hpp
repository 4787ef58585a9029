// Render-bundle replay of an unchanged pass (bundle.cpp): a frame of one render pass whose
// commands repeat the previous frame's is recorded once into a WGPURenderBundle and replayed.
#pragma once

#include "render/encode_cmds.hpp"

namespace wlgpu::render::bundle {

// The bundle that draws f's commands, or nullptr: encode them directly. f's commands are
// compared with the previous frame's (same target format, instance buffer and size): the
// second identical frame records the bundle (its pipelines through pipeline_of), later ones
// replay it; a change forgets it. Only a frame of one pass whose commands share one scissor
// (pass state: the caller sets it before executing the bundle) has one.
Result<WGPURenderBundle> of_frame(Frame::Impl& f, PipelineOf pipeline_of);

// Forgets the previous commands and releases the bundle (and what it holds).
void forget(Renderer::Impl& r);

}  // namespace wlgpu::render::bundle
