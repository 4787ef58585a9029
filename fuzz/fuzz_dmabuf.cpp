// libFuzzer target: DMA-BUF attributes through the public import API (wlgpu/dmabuf.hpp).
// Every input is validated (validate_dmabuf, validate_dmabuf_texture, validate_copy_dmabuf);
// where dmabuf_texture's validation passes and the input asks for it, the buffer is imported
// (zero-copy or the copy path) and refreshed with a fuzzed damage box.
//
// The fds come from a pool made once per process, so a leak inside wlgpu shows in the fd count:
// four buffers of 4 KiB to 1 MiB (real dma-bufs from wlgpu's allocator in the test bed, where
// /dev/udmabuf exists; memfds on the build host, which has none, so there validation runs up to
// the "not a dma-buf" check and nothing is imported), a read-only buffer (a vgem dumb buffer
// exported without DRM_RDWR in the test bed; the memfd reopened O_RDONLY on the host), a memfd,
// both ends of a pipe, /dev/null and a directory. Per input, dups of the buffers (same dma-buf,
// another fd), -1 and a closed fd number.
//
// Input layout (little-endian, zeros past the end; fuzz/make_corpus.py writes seeds):
//   u8 format (bit 7: a raw u32 fourcc follows, else an index into wlgpu's format table)
//   u8 modifier (0 LINEAR, 1 INVALID, 2 I915 X-tiled, else a raw u64 follows)
//   u16 width, u16 height, u8 n_planes (raw: 0 and > 4 included)
//   4 x { u8 fd choice, u32 offset, u32 stride }
//   u8 flags (bit 0: usage render, bit 1: not initialized, bit 2: import when valid,
//             bit 3: refresh with damage), u32 max_copy_bytes (0: default), 4 x i32 damage box
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>

#include "fuzz_common.hpp"
#include "import/dmabuf_internal.hpp"  // the format table
#include "wlgpu/dmabuf.hpp"

namespace {

using namespace wlgpu;
using wlgpu::fuzz::Input;

constexpr std::array<size_t, 4> kBufferSizes = {4096, 65536, 262144, 1 << 20};

struct Pool {
    std::array<MappedDmabuf, 4> dmabufs;   // test bed
    std::array<sync::Fd, 4> memfds;        // build host
    std::array<int, 4> buffers{};          // the fds of whichever exists
    test::VgemReadOnly vgem_ro;            // test bed
    sync::Fd memfd_ro, memfd, pipe_r, pipe_w, dev_null, dir;
    int read_only = -1;
    bool real = false;
};

sync::Fd make_memfd(size_t size) {
    int fd = memfd_create("wlgpu-fuzz", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, off_t(size)) != 0) fuzz::finding("memfd_create/ftruncate failed");
    return sync::Fd(fd);
}

Pool& pool() {
    static Pool* p = [] {
        auto* p = new Pool();
        p->real = test::in_testbed();
        for (size_t i = 0; i < kBufferSizes.size(); i++) {
            if (p->real) {
                auto m = alloc_dmabuf(kBufferSizes[i]);
                if (!m) fuzz::finding("alloc_dmabuf in the test bed: " + m.error().message);
                m->begin_cpu(true);
                for (size_t k = 0; k < m->size(); k++) m->data()[k] = uint8_t(k * 7 + i);
                m->end_cpu(true);
                p->dmabufs[i] = std::move(*m);
                p->buffers[i] = p->dmabufs[i].fd();
            } else {
                p->memfds[i] = make_memfd(kBufferSizes[i]);
                p->buffers[i] = p->memfds[i].get();
            }
        }
        if (p->real) {
            std::string why;
            if (!test::make_vgem_read_only(64, 64, p->vgem_ro, why)) fuzz::finding("vgem read-only buffer: " + why);
            p->read_only = p->vgem_ro.fd.get();
        } else {
            p->memfd_ro = sync::Fd(open(("/proc/self/fd/" + std::to_string(p->buffers[1])).c_str(), O_RDONLY | O_CLOEXEC));
            p->read_only = p->memfd_ro.get();
        }
        p->memfd = make_memfd(65536);
        int pp[2];
        if (pipe2(pp, O_CLOEXEC) != 0) fuzz::finding("pipe2 failed");
        p->pipe_r = sync::Fd(pp[0]), p->pipe_w = sync::Fd(pp[1]);
        p->dev_null = sync::Fd(open("/dev/null", O_RDWR | O_CLOEXEC));
        p->dir = sync::Fd(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        return p;
    }();
    return *p;
}

struct Stats {
    uint64_t validated = 0, imports = 0, copies = 0, import_failed = 0, refreshed = 0;
};
Stats stats;

void report() {
    auto& h = fuzz::harness();
    h.check_fds("at exit");
    std::fprintf(stderr,
                 "wlgpu-fuzz dmabuf: %llu inputs, %llu passed dmabuf_texture validation, %llu real imports, %llu copies, "
                 "%llu refreshes, %llu validated but failed to import; fds %d at the first check, %d at exit\n",
                 (unsigned long long)h.inputs, (unsigned long long)stats.validated, (unsigned long long)stats.imports,
                 (unsigned long long)stats.copies, (unsigned long long)stats.refreshed,
                 (unsigned long long)stats.import_failed, h.fd_baseline, h.fd_last);
}

// The fd of choice c; dups made for this input go to `owned` (closed after the input).
int pick_fd(uint8_t c, std::vector<sync::Fd>& owned) {
    Pool& p = pool();
    switch (c % 16) {
    case 0: case 1: case 2: case 3: return p.buffers[c % 4];
    case 4: case 5: case 6: case 7: {
        owned.emplace_back(fcntl(p.buffers[c % 4], F_DUPFD_CLOEXEC, 0));
        return owned.back().get();
    }
    case 8: return p.read_only;
    case 9: return p.memfd.get();
    case 10: return p.pipe_r.get();
    case 11: return p.pipe_w.get();
    case 12: return p.dev_null.get();
    case 13: return p.dir.get();
    case 14: return -1;
    default: {  // a number that was an fd a moment ago
        int fd = fcntl(p.buffers[0], F_DUPFD_CLOEXEC, 0);
        close(fd);
        return fd;
    }
    }
}

// Every refusal is an error value that names the buffer.
void check_error(const Error& e, const DmabufAttributes& a, const char* call) {
    if (e.message.find("dmabuf") == std::string::npos)
        fuzz::finding(std::string(call) + " error does not name the buffer (" + describe_dmabuf(a) + "): " + e.message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto& h = fuzz::start_input([] { pool(); }, report);
    Bridge& b = *h.bridge;
    Input in(data, size);
    std::vector<sync::Fd> owned;

    DmabufAttributes a;
    uint8_t f = in.u8();
    auto table = dmabuf::formats();
    a.format = (f & 0x80) ? in.u32() : table[f % table.size()].fourcc;
    uint8_t m = in.u8();
    a.modifier = m == 0 ? kDrmFormatModLinear : m == 1 ? kDrmFormatModInvalid : m == 2 ? (1ull << 56) | 1 : in.u64();
    a.width = in.u16();
    a.height = in.u16();
    a.n_planes = in.u8();
    for (auto& p : a.planes) {
        p.fd = pick_fd(in.u8(), owned);
        p.offset = in.u32();
        p.stride = in.u32();
    }
    uint8_t flags = in.u8();
    DmabufImportOptions o;
    o.usage = (flags & 1) ? TextureUsage::sample | TextureUsage::render : TextureUsage::sample;
    o.initialized = !(flags & 2);
    if (uint32_t mc = in.u32()) o.max_copy_bytes = mc;
    Box damage{in.i32(), in.i32(), in.i32(), in.i32()};

    if (auto r = validate_dmabuf(b, a); !r) check_error(r.error(), a, "validate_dmabuf");
    if (auto r = validate_copy_dmabuf(b, a, o); !r) check_error(r.error(), a, "validate_copy_dmabuf");
    (void)dmabuf_read_only(a);
    auto v = validate_dmabuf_texture(b, a, o);
    if (!v) check_error(v.error(), a, "validate_dmabuf_texture");
    if (v) {
        stats.validated++;
        if (flags & 4) {
            auto t = dmabuf_texture(b, a, o);
            if (!t) {
                check_error(t.error(), a, "dmabuf_texture");
                if (stats.import_failed++ < 5)
                    std::fprintf(stderr, "wlgpu-fuzz: validated, then not imported: %s\n", t.error().message.c_str());
            } else {
                (t->path == DmabufPath::import ? stats.imports : stats.copies)++;
                if (flags & 8) {
                    auto r = refresh_dmabuf_texture(*t, a, std::span<const Box>(&damage, 1));
                    if (r) stats.refreshed++;
                    else check_error(r.error(), a, "refresh_dmabuf_texture");
                }
            }
        }
    }
    owned.clear();
    h.after_input();
    return 0;
}
