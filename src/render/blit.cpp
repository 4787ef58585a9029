// Exact pixel copies of texture draws, before the render pass (blit.hpp).
#include "render/blit.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "bridge/readback.hpp"

namespace wlgpu::render::blit {

namespace {

// The stored bytes of the draw are the texel's: see blit.hpp.
bool stores_texels(const TextureDraw& d, const Texture& t, const Texture& target) {
    const FormatInfo &s = t.format(), &o = target.format();
    if (d.transform != Transform::normal || !(d.alpha >= 1.0f) || s.swap_rb || s.texture != o.texture) return false;
    if (s.has_alpha ? d.blend != Blend::none : o.has_alpha) return false;
    if (!(t.usage() & WGPUTextureUsage_CopySrc) || !(target.usage() & WGPUTextureUsage_CopyDst)) return false;
    return wgpuTextureGetFormat(t.handle()) == wgpuTextureGetFormat(target.handle()) && pixel_aligned_1to1(d, t);  // transform normal: src is dst's size
}

// Target pixels that a command may write or read: its scissor, narrowed for the quad kinds to the
// bounds of its instances' rects (normalized device coordinates back to pixels, widened by one).
Box touched(const Frame::Impl& f, const Cmd& c) {
    if (c.key.kind != Kind::texture && c.key.kind != Kind::rect && c.key.kind != Kind::yuv) return c.scissor;
    const double w = f.target->width(), h = f.target->height();
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (uint32_t i = c.first; i < c.first + c.count; i++) {
        const float* r = f.instances[i].rect;
        x0 = std::min(x0, (std::min(r[0], r[2]) + 1.0) / 2.0 * w);
        x1 = std::max(x1, (std::max(r[0], r[2]) + 1.0) / 2.0 * w);
        y0 = std::min(y0, (1.0 - std::max(r[1], r[3])) / 2.0 * h);
        y1 = std::max(y1, (1.0 - std::min(r[1], r[3])) / 2.0 * h);
    }
    if (!(x0 <= x1 && y0 <= y1)) return c.scissor;
    auto px = [](double v) { return int32_t(std::clamp(v, -1.0, double(1 << 30))); };
    const int32_t bx = px(std::floor(x0) - 1), by = px(std::floor(y0) - 1);
    return intersect(c.scissor, {bx, by, px(std::ceil(x1) + 1) - bx, px(std::ceil(y1) + 1) - by});
}

void encode_copy(Frame::Impl& f, WGPUCommandEncoder enc, const CopyCandidate& c, Box b) {
    WGPUTexelCopyTextureInfo src{}, dst{};
    src.texture = c.source;
    dst.texture = f.target->handle();
    src.aspect = dst.aspect = WGPUTextureAspect_All;
    src.origin = {c.src_x + uint32_t(b.x - c.dst.x), c.src_y + uint32_t(b.y - c.dst.y), 0};
    dst.origin = {uint32_t(b.x), uint32_t(b.y), 0};
    const WGPUExtent3D size{uint32_t(b.width), uint32_t(b.height), 1};
    wgpuCommandEncoderCopyTextureToTexture(enc, &src, &dst, &size);
}

// A CPU adapter whose unorm conversion unorm8 reproduces: llvmpipe (lavapipe).
bool cpu_adapter(const Renderer::Impl& r) {
    const AdapterIdentity& id = r.bridge->identity();
    return id.type == WGPUAdapterType_CPU && id.name.find("llvmpipe") != std::string::npos;
}

// v (0..1) as llvmpipe stores it in a unorm8 target (gallivm lp_build_clamped_float_to_unsigned_norm):
// v * 255/256 in float, plus 2^15 in float (rounding to a multiple of 1/256, ties to even), whose
// low 8 mantissa bits are the result: round to nearest of v * 255, except where the float
// product lands on a tie (0.3f: 76.5 -> 76, where exact rounding gives 77).
uint8_t unorm8(float v) {
    volatile float scaled = v * (255.0f / 256.0f);  // volatile: two roundings, no fused multiply-add
    const float biased = scaled + 32768.0f;
    uint32_t bits;
    std::memcpy(&bits, &biased, 4);
    return uint8_t(bits & 0xff);
}

// The 4 bytes (memory order, as a uint32_t) a pixel of format gets from a draw of colour c.
std::optional<uint32_t> fill_bytes(WGPUTextureFormat format, Color c) {
    uint8_t b[4];
    if (format == WGPUTextureFormat_BGRA8Unorm) b[0] = unorm8(c.b), b[1] = unorm8(c.g), b[2] = unorm8(c.r);
    else if (format == WGPUTextureFormat_RGBA8Unorm) b[0] = unorm8(c.r), b[1] = unorm8(c.g), b[2] = unorm8(c.b);
    else return std::nullopt;
    b[3] = unorm8(c.a);
    uint32_t v;
    std::memcpy(&v, b, 4);
    return v;
}

// WebGPU's default maxBufferSize: a larger target fills by drawing.
constexpr uint64_t kMaxFillBytes = uint64_t(256) << 20;

// The fill buffer holds `colour` in a row pitch and row count that cover the target, (re)made
// and written as needed; false if it cannot.
uint32_t row_pitch(const Texture& target) { return copy_row_bytes(target.width(), 4); }

bool covers(const render::FillBuffer& fb, const Texture& target) {
    return fb.buffer && fb.bytes_per_row >= row_pitch(target) && fb.rows >= target.height();
}

bool ensure_fill(Renderer::Impl& r, const Texture& target, uint32_t colour) {
    render::FillBuffer& fb = r.fill;
    const uint32_t pitch = row_pitch(target), rows = target.height();
    const bool fits = covers(fb, target);
    if (fits && fb.holds == colour) return true;
    if (!fits) {
        const uint32_t p = std::max(fb.bytes_per_row, pitch), n = std::max(fb.rows, rows);
        if (uint64_t(p) * n > kMaxFillBytes) return false;
        WGPUBufferDescriptor d{};
        d.label = wg::sv("wlgpu fill");
        d.size = uint64_t(p) * n;
        d.usage = WGPUBufferUsage_CopySrc | WGPUBufferUsage_CopyDst;
        wg::Buffer b = wg::Buffer::Acquire(wgpuDeviceCreateBuffer(r.bridge->device(), &d));
        if (!b) return false;
        fb.buffer = std::move(b);
        fb.bytes_per_row = p, fb.rows = n;
        r.stats.buffers_created++;
    }
    const std::vector<uint32_t> bytes(size_t(fb.bytes_per_row) / 4 * fb.rows, colour);
    wgpuQueueWriteBuffer(r.bridge->queue(), fb.buffer.get(), 0, bytes.data(), bytes.size() * 4);
    r.stats.fill_bytes_written += bytes.size() * 4;
    fb.holds = colour;
    return true;
}

// The colour whose fill candidates become copies this frame: the one the buffer holds if this
// frame fills with it, else one that this frame and the previous fill with (written into the
// buffer). Notes this frame's colours for the next.
std::optional<uint32_t> fill_colour(Frame::Impl& f) {
    render::FillBuffer& fb = f.r->fill;
    fb.current.clear();
    for (const CopyCandidate& c : f.copies)
        if (!c.source && std::ranges::find(fb.current, c.fill) == fb.current.end()) fb.current.push_back(c.fill);
    std::optional<uint32_t> pick;
    auto now = [&](uint32_t c) { return std::ranges::find(fb.current, c) != fb.current.end(); };
    auto before = [&](uint32_t c) { return std::ranges::find(fb.previous, c) != fb.previous.end(); };
    if (!f.load_clear) {  // a clearing pass would overwrite the copies
        // The held colour needs no write, unless the buffer must grow to the target.
        if (fb.holds && now(*fb.holds) && (covers(fb, *f.target) || before(*fb.holds)) &&
            ensure_fill(*f.r, *f.target, *fb.holds))
            pick = fb.holds;
        for (uint32_t c : fb.current)
            if (!pick && before(c) && ensure_fill(*f.r, *f.target, c)) pick = c;
    }
    std::swap(fb.previous, fb.current);
    return pick;
}

void encode_fill(Frame::Impl& f, WGPUCommandEncoder enc, Box b) {
    WGPUTexelCopyBufferInfo src{};
    src.buffer = f.r->fill.buffer.get();
    src.layout.bytesPerRow = f.r->fill.bytes_per_row;
    src.layout.rowsPerImage = uint32_t(b.height);
    WGPUTexelCopyTextureInfo dst{};
    dst.texture = f.target->handle();
    dst.aspect = WGPUTextureAspect_All;
    dst.origin = {uint32_t(b.x), uint32_t(b.y), 0};
    const WGPUExtent3D size{uint32_t(b.width), uint32_t(b.height), 1};
    wgpuCommandEncoderCopyBufferToTexture(enc, &src, &dst, &size);
}

}  // namespace

void note_fill(Frame::Impl& f, Color c, Box box, uint32_t index) {
    const Texture& t = *f.target;
    if (!cpu_adapter(*f.r) || !(t.usage() & WGPUTextureUsage_CopyDst)) return;
    if (auto bytes = fill_bytes(t.format().texture, c)) f.copies.push_back({index, nullptr, box, 0, 0, false, *bytes});
}

void forget_fill(Renderer::Impl& r) { r.fill = {}; }

void note(Frame::Impl& f, const TextureDraw& d, uint32_t index, TexelSource from) {
    const Texture& t = *d.texture;
    if (!stores_texels(d, t, *f.target)) return;
    const FBox src = d.src.empty() ? FBox{} : d.src;
    const WGPUTexture source = from.texture ? from.texture : t.handle();
    f.copies.push_back({index, source, d.dst, from.x + uint32_t(src.x), from.y + uint32_t(src.y),
                        !t.format().has_alpha});
}

bool hoist(Frame::Impl& f, WGPUCommandEncoder enc) {
    const std::optional<uint32_t> fill = fill_colour(f);
    if (f.copies.empty() || f.load_clear) return false;  // a clearing pass would overwrite the copies
    bool encoded = false;
    const bool snapshots = std::ranges::any_of(f.cmds, [](const Cmd& c) { return c.key.kind == Kind::snapshot; });
    std::vector<Box> earlier;  // what the commands before the current one touch
    std::vector<bool> copied(f.cmds.size());
    for (size_t i = 0; i < f.cmds.size(); i++) {
        const Cmd& c = f.cmds[i];
        // Every instance of the command is a candidate whose pixels (the scissor within its dst;
        // the scissor of an unclipped draw is the whole target) no earlier command touches.
        auto it = std::ranges::lower_bound(f.copies, c.first, {}, &CopyCandidate::instance);
        bool candidate = (c.key.kind == Kind::texture || c.key.kind == Kind::rect) && c.count > 0 &&
                         c.count <= size_t(f.copies.end() - it);
        for (uint32_t j = 0; candidate && j < c.count; j++) {
            const CopyCandidate& k = it[j];
            const Box b = intersect(c.scissor, k.dst);
            candidate = k.instance == c.first + j &&
                        (k.source ? c.key.kind == Kind::texture && !(k.x_source && snapshots)
                                  : c.key.kind == Kind::rect && k.fill == fill) &&
                        std::ranges::none_of(earlier, [&](const Box& e) { return !intersect(e, b).empty(); });
        }
        if (candidate) {
            for (uint32_t j = 0; j < c.count; j++) {
                const CopyCandidate& k = it[j];
                const Box b = intersect(c.scissor, k.dst);
                if (b.empty()) continue;
                if (k.source) encode_copy(f, enc, k, b);
                else encode_fill(f, enc, b);
                encoded = true;
                (k.source ? f.r->stats.copied_draws : f.r->stats.filled_rects)++;
            }
            copied[i] = true;
            continue;
        }
        earlier.push_back(touched(f, c));
    }
    size_t kept = 0;
    for (size_t i = 0; i < f.cmds.size(); i++)
        if (!copied[i]) f.cmds[kept++] = f.cmds[i];
    f.cmds.resize(kept);
    return encoded;
}

}  // namespace wlgpu::render::blit
