// kernel_objects.c — proves the test bed (scripts/testbed) provides real kernel objects:
//   udmabuf (memfd -> dma-buf), a vgem dumb buffer with an unsignalled vgem fence exported
//   as a sync_file, and DRM timeline syncobjs on the virtio_gpu render node.
// Runs inside the guest as root: CTest guest_kernel_objects (scripts/testbed).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>

#include "client_common.h"
#include "common/vgem_uapi.h"

static int passed, failed;
static int check(int ok, const char *what) {
  if (ok) { passed++; printf("ok   %s\n", what); }
  else { failed++; printf("FAIL %s (errno %d: %s)\n", what, errno, strerror(errno)); }
  return ok;
}

static int64_t deadline_ns(int ms) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec + (int64_t)ms * 1000000;
}

static int readable(int fd, int timeout_ms) {
  struct pollfd p = { .fd = fd, .events = POLLIN };
  return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

// Opens the first /dev/dri/<prefix>* node whose DRM driver is `driver`, never by number (the
// driver comes from DRM_IOCTL_VERSION: sysfs does not name vgem's), and says which it is.
static int open_node(const char *prefix, const char *driver) {
  int fd = tc_open_drm(prefix, driver);
  if (fd >= 0) printf("info a %s node is %s\n", prefix, driver);
  return fd;
}

static void test_udmabuf(void) {
  const size_t size = 64 * 4096;
  int memfd = memfd_create("wlgpu-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
  if (!check(memfd >= 0 && ftruncate(memfd, size) == 0, "memfd_create + ftruncate")) return;
  check(fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) == 0, "memfd F_SEAL_SHRINK");
  uint32_t *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  if (!check(m != MAP_FAILED, "mmap memfd")) return;
  for (size_t i = 0; i < size / 4; i++) m[i] = 0x5a000000u ^ (uint32_t)i;

  int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
  if (!check(dev >= 0, "open /dev/udmabuf")) return;
  struct udmabuf_create c = { .memfd = memfd, .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
  int buf = ioctl(dev, UDMABUF_CREATE, &c);
  if (!check(buf >= 0, "UDMABUF_CREATE -> dma-buf")) return;
  uint32_t *d = mmap(NULL, size, PROT_READ, MAP_SHARED, buf, 0);
  if (check(d != MAP_FAILED, "mmap dma-buf")) {
    struct dma_buf_sync s = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };
    check(ioctl(buf, DMA_BUF_IOCTL_SYNC, &s) == 0, "DMA_BUF_IOCTL_SYNC start");
    size_t bad = 0;
    for (size_t i = 0; i < size / 4; i++) bad += d[i] != (0x5a000000u ^ (uint32_t)i);
    check(bad == 0, "pattern written to the memfd reads back through the dma-buf");
    s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
    ioctl(buf, DMA_BUF_IOCTL_SYNC, &s);
    munmap(d, size);
  }
  close(buf);
  close(dev);
  munmap(m, size);
  close(memfd);
}

static void test_vgem_fence(void) {
  int fd = open_node("card", "vgem");
  if (!check(fd >= 0, "open the vgem primary node")) return;
  struct drm_mode_create_dumb cd = { .width = 64, .height = 64, .bpp = 32 };
  if (!check(drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd) == 0, "vgem DRM_IOCTL_MODE_CREATE_DUMB 64x64x32")) return;
  int buf = -1;
  if (!check(drmPrimeHandleToFD(fd, cd.handle, DRM_CLOEXEC | DRM_RDWR, &buf) == 0, "vgem PRIME export")) return;
  struct vgem_fence_attach fa = { .handle = cd.handle, .flags = VGEM_FENCE_WRITE };
  if (!check(drmIoctl(fd, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa) == 0, "DRM_IOCTL_VGEM_FENCE_ATTACH (write)")) return;
  struct dma_buf_export_sync_file es = { .flags = DMA_BUF_SYNC_RW, .fd = -1 };
  if (!check(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &es) == 0, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE")) return;
  // The kernel signals a forgotten vgem fence after about 10 s, so look right away.
  check(!readable(es.fd, 0), "sync_file is not readable before the signal");
  struct vgem_fence_signal sig = { .fence = fa.out_fence };
  check(drmIoctl(fd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig) == 0, "DRM_IOCTL_VGEM_FENCE_SIGNAL");
  check(readable(es.fd, 1000), "sync_file is readable after the signal");
  close(es.fd);
  close(buf);
  close(fd);
}

static void test_timeline(void) {
  int fd = open_node("renderD", "virtio_gpu");
  if (!check(fd >= 0, "open the virtio_gpu render node")) return;
  uint64_t cap = 0;
  check(drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &cap) == 0 && cap == 1, "DRM_CAP_SYNCOBJ_TIMELINE == 1");
  uint32_t obj = 0, first = 0;
  if (!check(drmSyncobjCreate(fd, 0, &obj) == 0, "drmSyncobjCreate")) return;
  uint64_t point = 3, value = 0;
  check(drmSyncobjTimelineSignal(fd, &obj, &point, 1) == 0, "drmSyncobjTimelineSignal point 3");
  check(drmSyncobjQuery(fd, &obj, &value, 1) == 0 && value == 3, "drmSyncobjQuery -> 3");
  check(drmSyncobjTimelineWait(fd, &obj, &point, 1, deadline_ns(1000), DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, &first) == 0,
        "drmSyncobjTimelineWait point 3 (already signalled)");
  drmSyncobjDestroy(fd, obj);
  close(fd);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  test_udmabuf();
  test_vgem_fence();
  test_timeline();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
