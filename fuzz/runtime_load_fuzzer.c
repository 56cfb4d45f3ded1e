/*===- runtime_load_fuzzer.c - libFuzzer target for model loading --------===*
 *
 * Part of kiln. What kiln_model_load and kiln_model_run do with a model
 * library's manifest and its weights file, on arbitrary bytes: the input is
 * a 4-byte little-endian manifest length, the manifest text, then the
 * weights file's bytes (handed over as a memfd). A loaded model is then
 * asked for its signature and run once on zero inputs of the shapes it
 * declares (dynamic dims 1) by a stand-in for compiled code that returns
 * outputs of the declared shapes. Errors are expected; a crash, a hang or a
 * sanitizer report is a bug. Built and run by scripts/fuzz.sh.
 *
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE /* memfd_create */

#include "kiln_runtime.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* What a model library defines (kiln_model_abi.h); the manifest is filled
 * from the input before each load. */
char kiln_model_manifest[1 << 16];
void *_mlir_memref_to_llvm_alloc(size_t size);

static const kiln_model *current;

/* Outputs of the declared shapes (dynamic dims 1), zero-filled. */
void kiln_model_invoke(void **args, void *results) {
  (void)args;
  int64_t *desc = results;
  for (size_t i = 0; i < kiln_model_num_outputs(current); ++i) {
    size_t rank = kiln_model_output_rank(current, i);
    int64_t dims[16] = {0};
    kiln_model_output_dims(current, i, dims, 16);
    size_t n = 1;
    for (size_t d = 0; d < rank && d < 16; ++d)
      n *= (size_t)(dims[d] < 0 ? 1 : dims[d]);
    size_t bytes = n * kiln_dtype_size(kiln_model_output_dtype(current, i));
    void *data = _mlir_memref_to_llvm_alloc(bytes ? bytes : 1);
    memset(data, 0, bytes);
    desc[0] = (int64_t)(intptr_t)data;
    desc[1] = (int64_t)(intptr_t)data;
    desc[2] = 0;
    int64_t stride = 1;
    for (size_t d = rank; d-- > 0;) {
      int64_t size = d < 16 ? (dims[d] < 0 ? 1 : dims[d]) : 1;
      desc[3 + d] = size;
      desc[3 + rank + d] = stride;
      stride *= size ? size : 1;
    }
    desc += 3 + 2 * rank;
  }
}

static void run_once(kiln_model *m) {
  size_t ni = kiln_model_num_inputs(m), no = kiln_model_num_outputs(m);
  if (ni > 64 || no > 64)
    return;
  kiln_tensor *inputs[64] = {0}, *outputs[64] = {0};
  const char *names[64];
  int ok = 1;
  for (size_t i = 0; i < ni && ok; ++i) {
    int64_t dims[16];
    size_t rank = kiln_model_input_dims(m, i, dims, 16);
    if (rank > 16) {
      ok = 0;
      break;
    }
    int64_t lo = 0;
    kiln_model_input_range(m, i, &lo, NULL);
    for (size_t d = 0; d < rank; ++d)
      if (dims[d] < 0 || dims[d] > 64)
        dims[d] = 1;
    names[i] = kiln_model_input_name(m, i);
    ok = kiln_tensor_create(kiln_model_input_dtype(m, i), dims, rank,
                            &inputs[i]) == KILN_OK;
  }
  if (ok) {
    current = m;
    if (kiln_model_run(m, names, inputs, ni, outputs, no) == KILN_OK)
      for (size_t i = 0; i < no; ++i)
        kiln_tensor_free(outputs[i]);
  }
  for (size_t i = 0; i < ni; ++i)
    kiln_tensor_free(inputs[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4)
    return 0;
  size_t len = (size_t)data[0] | (size_t)data[1] << 8 |
               (size_t)data[2] << 16 | (size_t)data[3] << 24;
  if (len > size - 4 || len >= sizeof kiln_model_manifest)
    return 0;
  memcpy(kiln_model_manifest, data + 4, len);
  kiln_model_manifest[len] = '\0';
  int fd = memfd_create("weights", 0);
  if (fd < 0)
    return 0;
  size_t rest = size - 4 - len;
  if (rest && write(fd, data + 4 + len, rest) != (ssize_t)rest) {
    close(fd);
    return 0;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  kiln_model *m = NULL;
  if (kiln_model_load(path, &m) == KILN_OK) {
    (void)kiln_model_signature_json(m);
    run_once(m);
    kiln_model_free(m);
  }
  close(fd);
  return 0;
}
