/*===- gpu_device.c - the GPU side of --target=cuda libraries ----*- C -*-===*
 *
 * Part of kiln. See runtime_internal.h.
 *
 *===----------------------------------------------------------------------===*/

#include "cuda_driver.h"
#include "runtime_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Present in GPU model libraries: loads the kernels (kiln_model_abi.h). */
extern void kiln_model_device_init(void)
    __attribute__((weak, visibility("hidden")));

/*--- The GPU (model libraries compiled with --target=cuda) ----------------*/

/* The status of the last CUDA error on this thread, with its message. */
static kiln_status device_error(const char *what) {
  char message[512];
  if (!kiln_cuda_take_error(message, sizeof message))
    snprintf(message, sizeof message, "unknown error");
  return fail(KILN_ERROR_DEVICE, "%s: %s", what, message);
}

static pthread_once_t device_once = PTHREAD_ONCE_INIT;
static char device_init_error[600];

/* Loads this library's kernels, once. */
static void load_kernels(void) {
  if (!kiln_model_device_init) {
    snprintf(device_init_error, sizeof device_init_error,
             "the library has no kernels (kiln_model_device_init)");
    return;
  }
  kiln_model_device_init();
  char message[512];
  if (kiln_cuda_take_error(message, sizeof message))
    snprintf(device_init_error, sizeof device_init_error,
             "cannot load the model's kernels on %s (was it compiled for "
             "another --gpu-arch?): %s",
             kiln_cuda_device_name(), message);
}

kiln_status start_device(void) {
  if (kiln_cuda_init() != 0)
    return device_error("this model library runs on an NVIDIA GPU, but "
                        "CUDA is not available");
  pthread_once(&device_once, load_kernels);
  if (device_init_error[0])
    return fail(KILN_ERROR_DEVICE, "%s", device_init_error);
  return KILN_OK;
}

/* Copies the weights into GPU memory once, and drops the mapping. */
kiln_status upload_weights(kiln_model *m) {
  if (!m->map)
    return KILN_OK;
  void *device = kiln_cuda_alloc_persistent(m->weights_end);
  if (!device)
    return device_error("cannot allocate GPU memory for the weights");
  if (kiln_cuda_copy_to_device(device, m->map, m->weights_end) != 0) {
    kiln_cuda_free_persistent(device);
    return device_error("cannot copy the weights to the GPU");
  }
  munmap(m->map, m->map_size);
  m->map = NULL;
  m->weights_base = device;
  m->weights_size = m->weights_end;
  return KILN_OK;
}

/* Copies GPU output `o` (any strides) into host tensor `t`. */
kiln_status gpu_download_output(const out_desc *o, const char *first,
                                size_t rank, size_t elem, kiln_tensor *t) {
  size_t bytes = t->num_elements * elem;
  if (!bytes)
    return KILN_OK;
  if (is_contiguous(o, rank))
    return kiln_cuda_copy_to_host(t->data, first, bytes) == 0
               ? KILN_OK
               : device_error("cannot copy an output from the GPU");
  /* Download the span the strides cover, then gather on the host. */
  size_t span = 1;
  for (size_t d = 0; d < rank; ++d)
    span += (size_t)(o->sizes[d] - 1) * (size_t)o->strides[d];
  char *host = malloc(span * elem);
  if (!host)
    return fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
  kiln_status st = KILN_OK;
  if (kiln_cuda_copy_to_host(host, first, span * elem) != 0)
    st = device_error("cannot copy an output from the GPU");
  else
    copy_strided(t->data, host, o, 0, rank, elem);
  free(host);
  return st;
}

/* Copies the run's inputs into one block of GPU memory, each 256-byte
 * aligned; their device addresses go to `data`. */
kiln_status gpu_stage_inputs(kiln_tensor *const *inputs, size_t n,
                             char **out_base, size_t *out_bytes, void **data) {
  size_t bytes = 0;
  for (size_t j = 0; j < n; ++j)
    bytes += (inputs[j]->num_elements * dtype_size(inputs[j]->dtype) + 255) &
             ~(size_t)255;
  *out_base = NULL;
  *out_bytes = bytes;
  if (!bytes)
    return KILN_OK;
  char *base = kiln_cuda_alloc(bytes);
  if (!base)
    return device_error("cannot allocate GPU memory for the inputs");
  *out_base = base;
  for (size_t j = 0, at = 0; j < n; ++j) {
    size_t size = inputs[j]->num_elements * dtype_size(inputs[j]->dtype);
    data[j] = base + at;
    at += (size + 255) & ~(size_t)255;
    if (kiln_cuda_copy_to_device(data[j], inputs[j]->data, size) != 0)
      return device_error("cannot copy the inputs to the GPU");
  }
  return KILN_OK;
}

/* Waits for the run's launches and copies: the results are only valid if
 * every one succeeded, and after a failure the launches made must end
 * before their buffers go. Returns `st`, or the GPU's failure. */
kiln_status gpu_finish_run(kiln_status st) {
  if (kiln_cuda_synchronize() != 0 && st == KILN_OK)
    return device_error("the model failed on the GPU");
  return st;
}

void gpu_free(void *device) { kiln_cuda_free(device); }
