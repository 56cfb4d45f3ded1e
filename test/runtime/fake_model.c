/*===- fake_model.c - a hand-written model library for runtime tests ------===*
 *
 * Part of kiln. Implements by hand what the compiler emits into a model
 * library (kiln_model_abi.h), for a tiny model:
 *
 *   inputs  x: float32 [batch, 4]   ids: int64 [batch], range [0, 10)
 *   weight  w: float32 [4]          (so a weights file is needed)
 *   outputs y = x * w: float32 [batch, 4]   count = ids + 1: int64 [batch]
 *
 * `fake_mode` makes kiln_model_invoke return outputs the runtime must copy
 * rather than adopt (see below), or a wrong shape.
 *
 * Built with -DFAKE_TEXT, it is a model with two shared dims and no
 * weights:
 *
 *   inputs  input_ids: int64 [batch, seq], range [0, 100)
 *           attention_mask: int64 [batch, seq]
 *   outputs masked = input_ids * attention_mask: int64 [batch, seq]
 *
 * Built with -DFAKE_DECODER, it is a decoder with a KV cache and no
 * weights:
 *
 *   inputs  input_ids: int64 [batch, sequence], range [0, 50)
 *   cache   key_cache.0: float32 [batch, 1, context, 2] (context limit 16)
 *   outputs logits: float32 [batch, 1] = the sum of every id the
 *           sequence's cache holds after the run
 *
 * Each run appends (id, position) rows to each sequence's cache at its
 * length, as tfm.cached_attention appends keys, and reads them back.
 *
 * Built with -DFAKE_SCALAR, it is instead a model with no weights:
 *
 *   inputs  "in put": float32 []    m: float32 [?, 3]
 *   outputs "out/0:\"q\"" = 2 * "in put": float32 []
 *           sum = row sums of m: float32 [?]
 *
 *===----------------------------------------------------------------------===*/

#include "kiln_model_abi.h"

/* Outputs come from the runtime's allocator, as compiled code's do. */
#define kiln_output_alloc(size) _mlir_memref_to_llvm_alloc(size)

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct desc0 {
  void *allocated, *aligned;
  int64_t offset;
} desc0;
typedef struct desc1 {
  void *allocated, *aligned;
  int64_t offset, sizes[1], strides[1];
} desc1;
typedef struct desc2 {
  void *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} desc2;

#if defined(FAKE_DECODER)

typedef struct desc4 {
  void *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
} desc4;

const char kiln_model_manifest[] =
    "kiln-manifest 1\n"
    "input input_ids 7 2 batch sequence range 0 50\n"
    "output logits 1 2 batch 1\n"
    "cache-lengths cache_lengths 16 sequence\n"
    "cache key_cache.0 1 4 batch 1 context 2\n";

void kiln_model_invoke(void **args, void *results) {
  const desc2 *ids = args[0];
  const desc1 *lengths = args[1];
  const desc4 *cache = args[2];
  desc2 *out = results;
  int64_t batch = ids->sizes[0], step = ids->sizes[1];
  int64_t capacity = cache->sizes[2];
  float *od = kiln_output_alloc((size_t)batch * sizeof(float));
  for (int64_t b = 0; b < batch; ++b) {
    int64_t have = ((const int64_t *)lengths->aligned)[b];
    float *rows = (float *)cache->aligned + b * capacity * 2;
    for (int64_t i = 0; i < step; ++i) {
      rows[(have + i) * 2] =
          (float)((const int64_t *)ids->aligned)[b * step + i];
      rows[(have + i) * 2 + 1] = (float)(have + i);
    }
    float sum = 0;
    for (int64_t j = 0; j < have + step; ++j)
      sum += rows[j * 2];
    od[b] = sum;
  }
  *out = (desc2){od, od, 0, {batch, 1}, {1, 1}};
}

#elif defined(FAKE_TEXT)

const char kiln_model_manifest[] = "kiln-manifest 1\n"
                                   "input input_ids 7 2 batch seq range 0 100\n"
                                   "input attention_mask 7 2 batch seq\n"
                                   "output masked 7 2 batch seq\n";

void kiln_model_invoke(void **args, void *results) {
  const desc2 *ids = args[0], *mask = args[1];
  desc2 *out = results;
  int64_t n = ids->sizes[0] * ids->sizes[1];
  int64_t *od = kiln_output_alloc((size_t)n * sizeof(int64_t) + 1);
  for (int64_t k = 0; k < n; ++k)
    od[k] = ((const int64_t *)ids->aligned)[k] *
            ((const int64_t *)mask->aligned)[k];
  *out = (desc2){od, od, 0, {ids->sizes[0], ids->sizes[1]}, {ids->sizes[1], 1}};
}

#elif !defined(FAKE_SCALAR)

const char kiln_model_manifest[] = "kiln-manifest 1\n"
                                   "input x 1 2 batch 4\n"
                                   "input ids 7 1 batch range 0 10\n"
                                   "weight 1 0 16 1 4\n"
                                   "output y 1 2 batch 4\n"
                                   "output count 7 1 batch\n";

/* 0: well-behaved. 1: y column-major. 2: count aliases input ids (values
 * ids, not ids + 1). 3: y a "global" (allocated 0xdeadbeef). 4: count
 * inside y's allocation. 5: y of shape [batch, 5] (a compiler bug). 6: y at
 * a non-zero offset in its allocation. 7: y with padded rows. 8: a failed
 * run-time check after allocating y. 9: an allocation the system refuses,
 * after allocating y. */
__attribute__((visibility("default"))) int fake_mode;

static float global_y[64 * 4];

void kiln_model_invoke(void **args, void *results) {
  const desc2 *x = args[0];
  const desc1 *ids = args[1], *w = args[2];
  desc2 *y = results;
  desc1 *count = (desc1 *)(y + 1);
  int64_t batch = x->sizes[0];
  const float *xd = (const float *)x->aligned + x->offset;
  const float *wd = (const float *)w->aligned + w->offset;
  const int64_t *idd = (const int64_t *)ids->aligned + ids->offset;
  int mode = fake_mode;

  /* y: batch * 4 floats, then (mode 4) count's batch int64s. */
  int64_t pad = mode == 6 ? 3 : 0;
  char *block = kiln_output_alloc((size_t)(batch * 16 + batch * 8 + pad * 4 + 8));
  float *yd = (float *)block + pad;
  *y = (desc2){block, block, pad, {batch, 4}, {4, 1}};
  if (mode == 8)
    kiln_rt_check_failed("node 'fake' (tfm.add): size %lld against %lld",
                         batch, 9);
  if (mode == 9)
    kiln_output_alloc((size_t)1 << 62);
  if (mode == 1) /* Stored transposed, as [4, batch]. */
    y->strides[0] = 1, y->strides[1] = batch;
  if (mode == 7) /* Rows padded to 5 floats. */
    y->strides[0] = 5;
  if (mode == 3) {
    yd = global_y;
    *y = (desc2){(void *)(uintptr_t)0xdeadbeef, yd, 0, {batch, 4}, {4, 1}};
  }
  if (mode == 5)
    y->sizes[1] = 5;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t k = 0; k < 4; ++k)
      yd[b * y->strides[0] + k * y->strides[1]] =
          xd[b * x->strides[0] + k * x->strides[1]] * wd[k * w->strides[0]];

  if (mode == 2) { /* count is input ids itself. */
    *count = *ids;
  } else if (mode == 4) { /* count lives in y's allocation. */
    int64_t *cd = (int64_t *)block + 2 * batch;
    for (int64_t b = 0; b < batch; ++b)
      cd[b] = idd[b * ids->strides[0]] + 1;
    *count = (desc1){block, block, 2 * batch, {batch}, {1}};
  } else {
    int64_t *cd = kiln_output_alloc((size_t)batch * sizeof(int64_t));
    for (int64_t b = 0; b < batch; ++b)
      cd[b] = idd[b * ids->strides[0]] + 1;
    *count = (desc1){cd, cd, 0, {batch}, {1}};
  }
  if (mode == 3)
    _mlir_memref_to_llvm_free(block);
}

#else /* FAKE_SCALAR */

const char kiln_model_manifest[] = "kiln-manifest 1\n"
                                   "input in%20put 1 0\n"
                                   "input m 1 2 ? 3\n"
                                   "output out/0:%22q%22 1 0\n"
                                   "output sum 1 1 ?\n";

void kiln_model_invoke(void **args, void *results) {
  const desc0 *in = args[0];
  const desc2 *m = args[1];
  desc0 *out = results;
  desc1 *sum = (desc1 *)(out + 1);
  float *od = kiln_output_alloc(sizeof(float));
  *od = 2 * ((const float *)in->aligned)[in->offset];
  *out = (desc0){od, od, 0};
  int64_t rows = m->sizes[0];
  float *sd = kiln_output_alloc((size_t)rows * sizeof(float)); /* may be kiln_output_alloc(0) */
  for (int64_t r = 0; r < rows; ++r) {
    sd[r] = 0;
    for (int64_t k = 0; k < 3; ++k)
      sd[r] +=
          ((const float *)
               m->aligned)[m->offset + r * m->strides[0] + k * m->strides[1]];
  }
  *sum = (desc1){sd, sd, 0, {rows}, {1}};
}

#endif
