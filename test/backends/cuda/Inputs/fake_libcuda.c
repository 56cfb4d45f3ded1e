/* A fake CUDA driver (libcuda.so.1) for testing CUDA model libraries on a
 * machine without a GPU: loaded through KILN_CUDA_DRIVER.
 *
 * It checks what the host side does and runs no kernel. Device memory is
 * mapped PROT_NONE, so host code that touches it crashes the test; copies
 * unprotect it briefly. Managed memory is ordinary memory. Module images
 * must be a fatbin or PTX; launches must have a valid grid. Every module
 * load and launch is logged to $KILN_FAKE_CUDA_LOG. $KILN_FAKE_CUDA_FAIL
 * names a call (cuModuleLoadData, cuLaunchKernel, cuMemAlloc_v2) that then
 * fails, as on a real device for a wrong architecture, a bad launch or
 * exhausted memory. */

#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef int CUresult;
#define OK 0
#define INVALID_VALUE 1
#define OUT_OF_MEMORY 2
#define INVALID_IMAGE 200
#define NOT_FOUND 500
#define NO_BINARY_FOR_GPU 209

/* Whether $KILN_FAKE_CUDA_FAIL names `call`. */
static int failing(const char *call) {
  const char *f = getenv("KILN_FAKE_CUDA_FAIL");
  return f && !strcmp(f, call);
}

static void logf_(const char *fmt, ...) {
  const char *path = getenv("KILN_FAKE_CUDA_LOG");
  if (!path)
    return;
  FILE *f = fopen(path, "a");
  if (!f)
    return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fputc('\n', f);
  fclose(f);
}

/* Device allocations: [base, base + bytes), PROT_NONE between copies. */
typedef struct block {
  char *base;
  size_t bytes;
  int managed;
} block;
static block blocks[1 << 16];
static size_t num_blocks;

static block *find(const void *p) {
  for (size_t i = 0; i < num_blocks; ++i)
    if ((const char *)p >= blocks[i].base &&
        (const char *)p < blocks[i].base + blocks[i].bytes)
      return &blocks[i];
  return NULL;
}

static void expose(const void *p, int on) {
  block *b = find(p);
  if (b && !b->managed)
    mprotect(b->base, b->bytes, on ? PROT_READ | PROT_WRITE : PROT_NONE);
}

CUresult cuInit(unsigned flags) { return flags ? INVALID_VALUE : OK; }
CUresult cuGetErrorName(CUresult r, const char **s) {
  *s = r == INVALID_VALUE       ? "CUDA_ERROR_INVALID_VALUE"
       : r == INVALID_IMAGE     ? "CUDA_ERROR_INVALID_IMAGE"
       : r == NO_BINARY_FOR_GPU ? "CUDA_ERROR_NO_BINARY_FOR_GPU"
       : r == OUT_OF_MEMORY     ? "CUDA_ERROR_OUT_OF_MEMORY"
       : r == NOT_FOUND     ? "CUDA_ERROR_NOT_FOUND"
                            : "CUDA_ERROR_UNKNOWN";
  return OK;
}
CUresult cuGetErrorString(CUresult r, const char **s) {
  *s = "reported by the fake driver";
  (void)r;
  return OK;
}
CUresult cuDeviceGetCount(int *n) {
  *n = 1;
  return OK;
}
CUresult cuDeviceGet(int *d, int ordinal) {
  *d = ordinal;
  return ordinal == 0 ? OK : INVALID_VALUE;
}
CUresult cuDeviceGetName(char *name, int len, int d) {
  (void)d;
  snprintf(name, (size_t)len, "fake GPU");
  return OK;
}
CUresult cuDevicePrimaryCtxRetain(void **ctx, int d) {
  (void)d;
  *ctx = (void *)(uintptr_t)0x1000;
  return OK;
}
CUresult cuCtxSetCurrent(void *ctx) { return ctx ? OK : INVALID_VALUE; }

CUresult cuModuleLoadData(void **module, const void *image) {
  if (failing("cuModuleLoadData"))
    return NO_BINARY_FOR_GPU;
  const unsigned char *b = image;
  const char *kind = NULL;
  if (b[0] == 0x50 && b[1] == 0xed && b[2] == 0x55 && b[3] == 0xba)
    kind = "fatbin";
  else if (strstr(image, ".entry") && strstr(image, ".target sm_"))
    kind = "ptx";
  if (!kind)
    return INVALID_IMAGE;
  logf_("module %s", kind);
  *module = malloc(1);
  return OK;
}
CUresult cuModuleUnload(void *module) {
  free(module);
  return OK;
}
CUresult cuModuleGetFunction(void **f, void *module, const char *name) {
  if (!module)
    return INVALID_VALUE;
  *f = strdup(name);
  return OK;
}
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        void *stream, void **params, void **extra) {
  (void)smem;
  (void)stream;
  (void)extra;
  if (failing("cuLaunchKernel"))
    return INVALID_VALUE;
  if (!f || !params || !gx || !gy || !gz || !bx || !by || !bz ||
      (size_t)bx * by * bz > 1024)
    return INVALID_VALUE;
  logf_("launch %s grid %u %u %u block %u %u %u", (const char *)f, gx, gy,
        gz, bx, by, bz);
  return OK;
}
CUresult cuStreamCreate(void **s, unsigned flags) {
  (void)flags;
  *s = malloc(1);
  return OK;
}
CUresult cuStreamSynchronize(void *s) { return s ? OK : INVALID_VALUE; }
CUresult cuStreamDestroy_v2(void *s) {
  free(s);
  return OK;
}
CUresult cuStreamWaitEvent(void *s, void *e, unsigned f) {
  (void)s, (void)e, (void)f;
  return OK;
}
CUresult cuEventCreate(void **e, unsigned f) {
  (void)f;
  *e = malloc(1);
  return OK;
}
CUresult cuEventDestroy_v2(void *e) {
  free(e);
  return OK;
}
CUresult cuEventRecord(void *e, void *s) {
  (void)e, (void)s;
  return OK;
}
CUresult cuEventSynchronize(void *e) {
  (void)e;
  return OK;
}

static CUresult allocate(unsigned long long *ptr, size_t bytes, int managed) {
  if (num_blocks == sizeof blocks / sizeof *blocks || !bytes)
    return bytes ? OUT_OF_MEMORY : INVALID_VALUE;
  void *p = mmap(NULL, bytes, managed ? PROT_READ | PROT_WRITE : PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return OUT_OF_MEMORY;
  blocks[num_blocks++] = (block){p, bytes, managed};
  *ptr = (uintptr_t)p;
  return OK;
}
CUresult cuMemAlloc_v2(unsigned long long *ptr, size_t bytes) {
  if (failing("cuMemAlloc_v2"))
    return OUT_OF_MEMORY;
  return allocate(ptr, bytes, 0);
}
CUresult cuMemAllocManaged(unsigned long long *ptr, size_t bytes,
                           unsigned flags) {
  (void)flags;
  return allocate(ptr, bytes, 1);
}
CUresult cuMemFree_v2(unsigned long long ptr) {
  block *b = find((void *)(uintptr_t)ptr);
  if (!b || b->base != (char *)(uintptr_t)ptr)
    return INVALID_VALUE;
  munmap(b->base, b->bytes);
  *b = blocks[--num_blocks];
  return OK;
}

/* A copy whose device side is not fully inside one allocation is an error,
 * as on a real GPU. */
static CUresult copy(void *dst, const void *src, size_t n) {
  block *d = find(dst), *s = find(src);
  if ((d && (char *)dst + n > d->base + d->bytes) ||
      (s && (const char *)src + n > s->base + s->bytes))
    return INVALID_VALUE;
  expose(dst, 1);
  expose(src, 1);
  memmove(dst, src, n);
  expose(dst, 0);
  expose(src, 0);
  return OK;
}
CUresult cuMemcpyAsync(unsigned long long dst, unsigned long long src,
                       size_t n, void *stream) {
  (void)stream;
  return copy((void *)(uintptr_t)dst, (void *)(uintptr_t)src, n);
}
CUresult cuMemcpyHtoD_v2(unsigned long long dst, const void *src, size_t n) {
  if (!find((void *)(uintptr_t)dst))
    return INVALID_VALUE;
  return copy((void *)(uintptr_t)dst, src, n);
}
CUresult cuMemcpyDtoH_v2(void *dst, unsigned long long src, size_t n) {
  if (!find((void *)(uintptr_t)src))
    return INVALID_VALUE;
  return copy(dst, (void *)(uintptr_t)src, n);
}
static CUresult fill(unsigned long long dst, const void *value, size_t size,
                     size_t count) {
  char *p = (char *)(uintptr_t)dst;
  block *b = find(p);
  if (!b || p + size * count > b->base + b->bytes)
    return INVALID_VALUE;
  expose(p, 1);
  for (size_t i = 0; i < count; ++i)
    memcpy(p + i * size, value, size);
  expose(p, 0);
  return OK;
}
CUresult cuMemsetD32Async(unsigned long long dst, unsigned v, size_t n,
                          void *s) {
  (void)s;
  return fill(dst, &v, 4, n);
}
CUresult cuMemsetD16Async(unsigned long long dst, unsigned short v, size_t n,
                          void *s) {
  (void)s;
  return fill(dst, &v, 2, n);
}
