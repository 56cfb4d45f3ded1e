/*===- cache.c - a decoder's KV cache, owned by the runtime --------*- C -*-===*
 *
 * Part of kiln. See kiln_runtime.h ("Decoders: the KV cache") and
 * runtime_internal.h. The buffers are allocated once, to the capacity the
 * caller asks for; the compiled code appends to them in place
 * (tfm.cached_attention) and run.c advances the lengths after a run.
 *
 *===----------------------------------------------------------------------===*/

#include "runtime_internal.h"

#include <stdlib.h>
#include <string.h>

KILN_API int kiln_model_has_cache(const kiln_model *m,
                                  int64_t *out_context_limit) {
  if (!m || !m->num_caches)
    return 0;
  if (out_context_limit)
    *out_context_limit = m->context_limit;
  return 1;
}

KILN_API void kiln_cache_free(kiln_cache *cache) {
  if (!cache)
    return;
  for (size_t c = 0; cache->buffers && c < cache->model->num_caches; ++c)
    free(cache->buffers[c]);
  free(cache->buffers);
  free(cache->lengths);
  free(cache);
}

KILN_API kiln_status kiln_cache_create(const kiln_model *m, size_t batch,
                                       size_t max_context,
                                       kiln_cache **out_cache) {
  clear_error();
  if (!m || !out_cache)
    return fail(KILN_ERROR_INVALID_ARGUMENT, "model or out_cache is NULL");
  if (!m->num_caches)
    return fail(KILN_ERROR_INVALID_ARGUMENT,
                "the model keeps no KV cache (it is not a decoder library)");
  if (!batch || !max_context)
    return fail(KILN_ERROR_INVALID_ARGUMENT,
                "a cache needs a batch and max_context of at least 1 (got "
                "%zu and %zu)",
                batch, max_context);
  if ((uint64_t)max_context > (uint64_t)m->context_limit)
    return fail(KILN_ERROR_INVALID_ARGUMENT,
                "max_context %zu exceeds the model's context limit of %lld "
                "tokens",
                max_context, (long long)m->context_limit);
  const value_info *c0 = &m->caches[0];
  if (c0->dims[0] >= 0 && (uint64_t)c0->dims[0] != batch)
    return fail(KILN_ERROR_INVALID_ARGUMENT,
                "the model was compiled for a batch of %lld sequences, not "
                "%zu",
                (long long)c0->dims[0], batch);
  kiln_cache *cache = calloc(1, sizeof *cache);
  if (!cache)
    return fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
  cache->model = m;
  cache->batch = batch;
  cache->capacity = max_context;
  cache->lengths = calloc(batch, sizeof *cache->lengths);
  cache->buffers = calloc(m->num_caches, sizeof *cache->buffers);
  if (!cache->lengths || !cache->buffers) {
    kiln_cache_free(cache);
    return fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  for (size_t c = 0; c < m->num_caches; ++c) {
    const value_info *v = &m->caches[c];
    int64_t dims[4] = {(int64_t)batch, v->dims[1], (int64_t)max_context,
                       v->dims[3]};
    size_t n = 0, bytes = 0;
    /* 64-byte aligned rows for the kernels; never read before written. */
    if (!count_elements(dims, 4, sizeof(float), &n, &bytes) ||
        !(cache->buffers[c] = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64))) {
      kiln_cache_free(cache);
      return fail(KILN_ERROR_OUT_OF_MEMORY,
                  "cannot allocate cache '%s' of %zu bytes (batch %zu, "
                  "max_context %zu)",
                  v->name, bytes, batch, max_context);
    }
  }
  *out_cache = cache;
  return KILN_OK;
}

KILN_API size_t kiln_cache_batch(const kiln_cache *cache) {
  return cache ? cache->batch : 0;
}

KILN_API size_t kiln_cache_capacity(const kiln_cache *cache) {
  return cache ? cache->capacity : 0;
}

KILN_API size_t kiln_cache_length(const kiln_cache *cache, size_t sequence) {
  return cache && sequence < cache->batch ? (size_t)cache->lengths[sequence]
                                          : 0;
}

KILN_API kiln_status kiln_cache_truncate(kiln_cache *cache, size_t sequence,
                                         size_t length) {
  clear_error();
  if (!cache)
    return fail(KILN_ERROR_INVALID_ARGUMENT, "cache is NULL");
  if (sequence >= cache->batch)
    return fail(KILN_ERROR_INVALID_ARGUMENT,
                "sequence %zu is past the cache's batch of %zu", sequence,
                cache->batch);
  if ((int64_t)length > cache->lengths[sequence])
    return fail(KILN_ERROR_INVALID_ARGUMENT,
                "sequence %zu holds %lld tokens; it cannot grow to %zu by "
                "truncation",
                sequence, (long long)cache->lengths[sequence], length);
  cache->lengths[sequence] = (int64_t)length;
  return KILN_OK;
}
