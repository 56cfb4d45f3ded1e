/*===- cuda_driver.c - CUDA driver API shim and MLIR's mgpu* calls -*- C -*-===*
 *
 * Part of kiln. See cuda_driver.h. No CUDA header or library is needed to
 * build it: the few driver types and functions used are declared here and
 * looked up with dlsym.
 *
 * Compiled host code calls the mgpu* functions (the ABI of MLIR's
 * CudaRuntimeWrappers, which kiln does not link): module loads at
 * kiln_model_load, then per run allocations, copies and kernel launches on
 * the calling thread's stream. Device allocations are pooled per thread
 * (blocks are reused only on the stream that freed them, so no extra
 * synchronization is needed); managed allocations (gpu.alloc host_shared,
 * buffers host code reads) are pooled separately.
 *
 *===----------------------------------------------------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "cuda_driver.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*--- The driver API subset ------------------------------------------------*/

typedef int CUresult; /* CUDA_SUCCESS is 0. */
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUevent_st *CUevent;

#define CU_MEM_ATTACH_GLOBAL 0x1
#define CU_EVENT_DISABLE_TIMING 0x2

#define DRIVER_FUNCTIONS(X)                                                    \
  X(cuInit, (unsigned))                                                        \
  X(cuGetErrorName, (CUresult, const char **))                                 \
  X(cuGetErrorString, (CUresult, const char **))                               \
  X(cuDeviceGetCount, (int *))                                                 \
  X(cuDeviceGet, (CUdevice *, int))                                            \
  X(cuDeviceGetName, (char *, int, CUdevice))                                  \
  X(cuDevicePrimaryCtxRetain, (CUcontext *, CUdevice))                         \
  X(cuCtxSetCurrent, (CUcontext))                                              \
  X(cuModuleLoadData, (CUmodule *, const void *))                              \
  X(cuModuleUnload, (CUmodule))                                                \
  X(cuModuleGetFunction, (CUfunction *, CUmodule, const char *))               \
  X(cuLaunchKernel, (CUfunction, unsigned, unsigned, unsigned, unsigned,       \
                     unsigned, unsigned, unsigned, CUstream, void **,         \
                     void **))                                                 \
  X(cuStreamCreate, (CUstream *, unsigned))                                    \
  X(cuStreamSynchronize, (CUstream))                                           \
  X(cuStreamDestroy_v2, (CUstream))                                            \
  X(cuStreamWaitEvent, (CUstream, CUevent, unsigned))                          \
  X(cuEventCreate, (CUevent *, unsigned))                                      \
  X(cuEventDestroy_v2, (CUevent))                                              \
  X(cuEventRecord, (CUevent, CUstream))                                        \
  X(cuEventSynchronize, (CUevent))                                             \
  X(cuMemAlloc_v2, (CUdeviceptr *, size_t))                                    \
  X(cuMemAllocManaged, (CUdeviceptr *, size_t, unsigned))                      \
  X(cuMemFree_v2, (CUdeviceptr))                                               \
  X(cuMemcpyAsync, (CUdeviceptr, CUdeviceptr, size_t, CUstream))              \
  X(cuMemcpyHtoD_v2, (CUdeviceptr, const void *, size_t))                      \
  X(cuMemcpyDtoH_v2, (void *, CUdeviceptr, size_t))                            \
  X(cuMemsetD32Async, (CUdeviceptr, unsigned, size_t, CUstream))               \
  X(cuMemsetD16Async, (CUdeviceptr, unsigned short, size_t, CUstream))

static struct {
#define DECLARE(name, params) CUresult(*name) params;
  DRIVER_FUNCTIONS(DECLARE)
#undef DECLARE
} cu;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static char init_error[512]; /* Why kiln_cuda_init failed; "" if it did not. */
static CUcontext context;
static char device_name[256];

/*--- Errors ---------------------------------------------------------------*/

static _Thread_local char thread_error[512];

__attribute__((format(printf, 1, 2))) static void record(const char *fmt,
                                                         ...) {
  if (thread_error[0])
    return; /* Keep the first error: later ones are its consequences. */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(thread_error, sizeof thread_error, fmt, ap);
  va_end(ap);
}

/* Checks a driver call's result; records "call failed: NAME (text)". */
static bool ok(CUresult result, const char *call) {
  if (result == 0)
    return true;
  const char *name = NULL, *text = NULL;
  if (cu.cuGetErrorName)
    cu.cuGetErrorName(result, &name);
  if (cu.cuGetErrorString)
    cu.cuGetErrorString(result, &text);
  if (name)
    record("%s failed: %s (%s)", call, name, text ? text : "no description");
  else
    record("%s failed: CUDA error %d", call, result);
  return false;
}
#define CHECK(call, args) ok(cu.call args, #call)

int kiln_cuda_take_error(char *buf, size_t size) {
  if (!thread_error[0])
    return 0;
  if (size)
    snprintf(buf, size, "%s", thread_error);
  thread_error[0] = '\0';
  return 1;
}

/*--- Initialization and the calling thread's context and stream -----------*/

static void init_driver(void) {
  const char *path = getenv("KILN_CUDA_DRIVER");
  if (!path || !path[0])
    path = "libcuda.so.1";
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    snprintf(init_error, sizeof init_error,
             "cannot load the CUDA driver '%s' (%s); is the NVIDIA driver "
             "installed?",
             path, dlerror());
    return;
  }
#define LOOKUP(name, params)                                                   \
  if (!(*(void **)&cu.name = dlsym(lib, #name))) {                             \
    snprintf(init_error, sizeof init_error,                                    \
             "the CUDA driver '%s' has no %s (too old?)", path, #name);        \
    return;                                                                    \
  }
  DRIVER_FUNCTIONS(LOOKUP)
#undef LOOKUP
  int count = 0, ordinal = 0;
  const char *env = getenv("KILN_CUDA_DEVICE");
  if (env && env[0])
    ordinal = atoi(env);
  CUdevice device;
  if (!CHECK(cuInit, (0)) || !CHECK(cuDeviceGetCount, (&count))) {
    kiln_cuda_take_error(init_error, sizeof init_error);
    return;
  }
  if (count == 0 || ordinal < 0 || ordinal >= count) {
    snprintf(init_error, sizeof init_error,
             "CUDA device %d does not exist (%d device%s found)", ordinal,
             count, count == 1 ? "" : "s");
    return;
  }
  if (!CHECK(cuDeviceGet, (&device, ordinal)) ||
      !CHECK(cuDeviceGetName, (device_name, sizeof device_name, device)) ||
      !CHECK(cuDevicePrimaryCtxRetain, (&context, device))) {
    kiln_cuda_take_error(init_error, sizeof init_error);
    device_name[0] = '\0';
    return;
  }
}

int kiln_cuda_init(void) {
  pthread_once(&init_once, init_driver);
  if (init_error[0]) {
    record("%s", init_error);
    return -1;
  }
  return 0;
}

const char *kiln_cuda_device_name(void) { return device_name; }

typedef struct pooled {
  CUdeviceptr ptr;
  size_t bytes;
  bool managed, in_use;
} pooled;

/* Per-thread state: the context made current, a stream, the pool. */
typedef struct thread_state {
  bool current;
  CUstream stream;
  pooled *blocks;
  size_t num_blocks, cap_blocks;
} thread_state;

static _Thread_local thread_state self;
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

/* At thread exit: wait for the thread's stream, free its pool. */
static void release_thread(void *arg) {
  thread_state *t = arg;
  if (cu.cuCtxSetCurrent(context) != 0)
    return;
  if (t->stream) {
    cu.cuStreamSynchronize(t->stream);
    cu.cuStreamDestroy_v2(t->stream);
  }
  for (size_t i = 0; i < t->num_blocks; ++i)
    cu.cuMemFree_v2(t->blocks[i].ptr);
  free(t->blocks);
  memset(t, 0, sizeof *t);
}

static void make_exit_key(void) { pthread_key_create(&exit_key, release_thread); }

/* Makes the context current on this thread; false if unusable. */
static bool enter(void) {
  if (thread_error[0])
    return false;
  if (self.current)
    return true;
  if (!context) {
    record("CUDA is not initialized (no kiln_model_load succeeded)");
    return false;
  }
  if (!CHECK(cuCtxSetCurrent, (context)))
    return false;
  pthread_once(&exit_key_once, make_exit_key);
  pthread_setspecific(exit_key, &self);
  self.current = true;
  return true;
}

static CUstream thread_stream(void) {
  if (!self.stream && enter())
    CHECK(cuStreamCreate, (&self.stream, 0));
  return self.stream;
}

/*--- Memory ---------------------------------------------------------------*/

static void *pool_alloc(size_t bytes, bool managed) {
  if (!enter())
    return NULL;
  bytes = (bytes + 255) & ~(size_t)255;
  if (bytes == 0)
    bytes = 256;
  /* Best fit among free blocks of the same kind, at most twice the size. */
  pooled *best = NULL;
  for (size_t i = 0; i < self.num_blocks; ++i) {
    pooled *b = &self.blocks[i];
    if (!b->in_use && b->managed == managed && b->bytes >= bytes &&
        b->bytes <= 2 * bytes && (!best || b->bytes < best->bytes))
      best = b;
  }
  if (best) {
    best->in_use = true;
    return (void *)(uintptr_t)best->ptr;
  }
  if (self.num_blocks == self.cap_blocks) {
    size_t cap = self.cap_blocks ? 2 * self.cap_blocks : 64;
    pooled *blocks = realloc(self.blocks, cap * sizeof *blocks);
    if (!blocks) {
      record("out of host memory");
      return NULL;
    }
    self.blocks = blocks;
    self.cap_blocks = cap;
  }
  CUdeviceptr ptr = 0;
  bool allocated =
      managed ? CHECK(cuMemAllocManaged, (&ptr, bytes, CU_MEM_ATTACH_GLOBAL))
              : CHECK(cuMemAlloc_v2, (&ptr, bytes));
  if (!allocated)
    return NULL;
  self.blocks[self.num_blocks++] = (pooled){ptr, bytes, managed, true};
  return (void *)(uintptr_t)ptr;
}

static void pool_free(void *ptr) {
  if (!ptr)
    return;
  for (size_t i = 0; i < self.num_blocks; ++i)
    if (self.blocks[i].ptr == (CUdeviceptr)(uintptr_t)ptr) {
      self.blocks[i].in_use = false;
      return;
    }
  record("internal error: freeing device memory %p that this thread's pool "
         "did not allocate",
         ptr);
}

void *kiln_cuda_alloc(size_t bytes) { return pool_alloc(bytes, false); }
void kiln_cuda_free(void *ptr) { pool_free(ptr); }

void *kiln_cuda_alloc_persistent(size_t bytes) {
  CUdeviceptr ptr = 0;
  if (!enter() || !CHECK(cuMemAlloc_v2, (&ptr, bytes ? bytes : 1)))
    return NULL;
  return (void *)(uintptr_t)ptr;
}

void kiln_cuda_free_persistent(void *ptr) {
  if (ptr && enter())
    CHECK(cuMemFree_v2, ((CUdeviceptr)(uintptr_t)ptr));
}

int kiln_cuda_copy_to_device(void *dst, const void *src, size_t bytes) {
  if (!bytes)
    return 0;
  return enter() && CHECK(cuMemcpyHtoD_v2,
                          ((CUdeviceptr)(uintptr_t)dst, src, bytes))
             ? 0
             : -1;
}

int kiln_cuda_copy_to_host(void *dst, const void *src, size_t bytes) {
  if (!bytes)
    return 0;
  return enter() && CHECK(cuMemcpyDtoH_v2,
                          (dst, (CUdeviceptr)(uintptr_t)src, bytes))
             ? 0
             : -1;
}

int kiln_cuda_synchronize(void) {
  if (!enter())
    return -1;
  if (!self.stream)
    return 0;
  return CHECK(cuStreamSynchronize, (self.stream)) ? 0 : -1;
}

/*--- MLIR's mgpu* ABI (called by compiled host code) ----------------------*/

/* Default visibility is not needed: the compiled code is linked into the
 * same library. The signatures are those gpu-to-llvm declares. */

void *mgpuModuleLoad(void *data, size_t size) {
  (void)size;
  CUmodule module = NULL;
  if (enter())
    CHECK(cuModuleLoadData, (&module, data));
  return module;
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  (void)optLevel; /* The driver's default JIT level. */
  return mgpuModuleLoad(data, 0);
}

void mgpuModuleUnload(void *module) {
  if (module && enter())
    CHECK(cuModuleUnload, ((CUmodule)module));
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  CUfunction function = NULL;
  if (!enter())
    return NULL;
  if (!module)
    record("kernel '%s' is missing: the GPU module did not load", name);
  else
    CHECK(cuModuleGetFunction, (&function, (CUmodule)module, name));
  return function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount) {
  (void)paramsCount;
  if (!enter() || !function)
    return;
  CHECK(cuLaunchKernel, ((CUfunction)function, (unsigned)gridX,
                         (unsigned)gridY, (unsigned)gridZ, (unsigned)blockX,
                         (unsigned)blockY, (unsigned)blockZ, (unsigned)smem,
                         (CUstream)stream, params, extra));
}

/* Every "new" stream is the calling thread's one stream: work stays in
 * order, and nothing is created or destroyed per launch. */
void *mgpuStreamCreate(void) { return thread_stream(); }
void mgpuStreamDestroy(void *stream) { (void)stream; }

void mgpuStreamSynchronize(void *stream) {
  if (stream && enter())
    CHECK(cuStreamSynchronize, ((CUstream)stream));
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  if (enter())
    CHECK(cuStreamWaitEvent, ((CUstream)stream, (CUevent)event, 0));
}

void *mgpuEventCreate(void) {
  CUevent event = NULL;
  if (enter())
    CHECK(cuEventCreate, (&event, CU_EVENT_DISABLE_TIMING));
  return event;
}

void mgpuEventDestroy(void *event) {
  if (event && enter())
    CHECK(cuEventDestroy_v2, ((CUevent)event));
}

void mgpuEventSynchronize(void *event) {
  if (enter())
    CHECK(cuEventSynchronize, ((CUevent)event));
}

void mgpuEventRecord(void *event, void *stream) {
  if (enter())
    CHECK(cuEventRecord, ((CUevent)event, (CUstream)stream));
}

void *mgpuMemAlloc(uint64_t bytes, void *stream, bool isHostShared) {
  (void)stream;
  return pool_alloc((size_t)bytes, isHostShared);
}

void mgpuMemFree(void *ptr, void *stream) {
  (void)stream; /* Reused only by later work on the same stream. */
  pool_free(ptr);
}

void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  if (bytes && enter())
    CHECK(cuMemcpyAsync, ((CUdeviceptr)(uintptr_t)dst,
                          (CUdeviceptr)(uintptr_t)src, bytes,
                          (CUstream)stream));
}

void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream) {
  if (count && enter())
    CHECK(cuMemsetD32Async,
          ((CUdeviceptr)(uintptr_t)dst, value, count, (CUstream)stream));
}

void mgpuMemset16(void *dst, unsigned short value, size_t count,
                  void *stream) {
  if (count && enter())
    CHECK(cuMemsetD16Async,
          ((CUdeviceptr)(uintptr_t)dst, value, count, (CUstream)stream));
}

void mgpuSetDefaultDevice(int32_t device) {
  (void)device; /* The device is chosen by $KILN_CUDA_DEVICE at load. */
}
