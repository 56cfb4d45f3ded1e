/*===- cuda_driver.h - the runtime's view of an NVIDIA GPU ---------*- C -*-===*
 *
 * Part of kiln. Internal: the CUDA driver API, reached through
 * dlopen("libcuda.so.1") so that every model library loads on a machine
 * without a GPU (and a CUDA library then fails kiln_model_load with a clear
 * message). cuda_driver.c also implements the mgpu* functions that MLIR's
 * gpu-to-llvm lowering makes compiled host code call.
 *
 * Errors: a failing driver call records "cuXxx failed: CUDA_ERROR_...
 * (description)" for the calling thread; later mgpu* calls on that thread
 * do nothing until kiln_cuda_take_error() reads and clears it.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_CUDA_DRIVER_H
#define KILN_RUNTIME_CUDA_DRIVER_H

#include <stddef.h>

/* Loads the driver and makes the primary context of device
 * $KILN_CUDA_DEVICE (default 0) current; once per process. Returns 0, or -1
 * with the reason in kiln_cuda_take_error(). $KILN_CUDA_DRIVER overrides
 * the driver library's path (tests use a fake). */
int kiln_cuda_init(void);

/* The device's name ("NVIDIA H200"); "" before kiln_cuda_init succeeds. */
const char *kiln_cuda_device_name(void);

/* Device memory from the calling thread's pool, freed with kiln_cuda_free
 * on the same thread; NULL (error recorded) on failure. */
void *kiln_cuda_alloc(size_t bytes);
void kiln_cuda_free(void *ptr);

/* Unpooled device memory for buffers that outlive threads (weights). */
void *kiln_cuda_alloc_persistent(size_t bytes);
void kiln_cuda_free_persistent(void *ptr);

/* Synchronous copies; 0, or -1 with the error recorded. */
int kiln_cuda_copy_to_device(void *dst, const void *src, size_t bytes);
int kiln_cuda_copy_to_host(void *dst, const void *src, size_t bytes);

/* Waits for the calling thread's stream; 0 or -1. */
int kiln_cuda_synchronize(void);

/* Copies the calling thread's recorded error into buf (NUL-terminated) and
 * clears it; returns 1 if there was one, else 0. */
int kiln_cuda_take_error(char *buf, size_t size);

#endif /* KILN_RUNTIME_CUDA_DRIVER_H */
