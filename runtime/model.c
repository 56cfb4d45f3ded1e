/*===- model.c - kiln_model: load, signature getters, threads ------*- C -*-===*
 *
 * Part of kiln. See runtime_internal.h.
 *
 *===----------------------------------------------------------------------===*/

#include "cuda_driver.h"
#include "runtime_internal.h"

#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/*--- The model ------------------------------------------------------------*/

static void model_free(kiln_model *m) {
  if (!m)
    return;
  for (size_t i = 0; i < m->num_inputs && m->inputs; ++i)
    free_value(&m->inputs[i]);
  for (size_t i = 0; i < m->num_outputs && m->outputs; ++i)
    free_value(&m->outputs[i]);
  for (size_t i = 0; i < m->num_weights && m->weights; ++i) {
    free(m->weights[i].dims);
    if (m->weight_descs)
      free(m->weight_descs[i]);
  }
  for (size_t i = 0; i < m->num_caches && m->caches; ++i)
    free_value(&m->caches[i]);
  free(m->caches);
  free(m->cache_lengths_name);
  for (size_t i = 0; i < m->num_syms; ++i)
    free(m->syms[i]);
  free(m->inputs);
  free(m->outputs);
  free(m->weights);
  free(m->weight_descs);
  free(m->syms);
  free(m->json);
  if (m->map)
    munmap(m->map, m->map_size);
  if (m->on_gpu && m->weights_base)
    kiln_cuda_free_persistent(m->weights_base);
  free(m);
}

KILN_API void kiln_model_free(kiln_model *m) { model_free(m); }

/*--- Signature ------------------------------------------------------------*/

static void sb_value_json(strbuf *sb, const value_info *v) {
  sb_printf(sb, "{\"name\": ");
  sb_json_string(sb, v->name);
  sb_printf(sb, ", \"dtype\": \"%s\", \"shape\": [", dtype_name(v->dtype));
  for (size_t d = 0; d < v->rank; ++d) {
    sb_printf(sb, "%s", d ? ", " : "");
    if (v->dim_names[d])
      sb_json_string(sb, v->dim_names[d]);
    else
      sb_printf(sb, "%lld", (long long)v->dims[d]);
  }
  sb_printf(sb, "]");
  if (v->has_range)
    sb_printf(sb, ", \"range\": [%lld, %lld]", (long long)v->lo,
              (long long)v->hi);
  sb_printf(sb, "}");
}

static kiln_status build_json(kiln_model *m) {
  strbuf sb = {0};
  sb_printf(&sb, "{\"inputs\": [");
  for (size_t i = 0; i < m->num_inputs; ++i) {
    sb_printf(&sb, "%s", i ? ", " : "");
    sb_value_json(&sb, &m->inputs[i]);
  }
  sb_printf(&sb, "], \"outputs\": [");
  for (size_t i = 0; i < m->num_outputs; ++i) {
    sb_printf(&sb, "%s", i ? ", " : "");
    sb_value_json(&sb, &m->outputs[i]);
  }
  sb_printf(&sb, "]");
  if (m->num_caches) {
    sb_printf(&sb, ", \"cache\": {\"context_limit\": %lld, \"buffers\": [",
              (long long)m->context_limit);
    for (size_t i = 0; i < m->num_caches; ++i) {
      sb_printf(&sb, "%s", i ? ", " : "");
      sb_value_json(&sb, &m->caches[i]);
    }
    sb_printf(&sb, "]}");
  }
  sb_printf(&sb, "}");
  if (sb.failed) {
    free(sb.data);
    return fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  m->json = sb.data;
  return KILN_OK;
}

/* All cores this process may run on. */
static int available_cores(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return CPU_COUNT(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 && n < INT_MAX ? (int)n : 1;
}

static int default_threads(void) {
  const char *env = getenv("KILN_NUM_THREADS");
  int64_t n;
  if (env && parse_int(env, &n) && n > 0)
    return n < KILN_MAX_THREADS ? (int)n : KILN_MAX_THREADS;
  int cores = available_cores();
  return cores < KILN_MAX_THREADS ? cores : KILN_MAX_THREADS;
}

KILN_API kiln_status kiln_model_load(const char *weights_path,
                                     kiln_model **out_model) {
  clear_error();
  if (!out_model)
    return fail(KILN_ERROR_INVALID_ARGUMENT, "out_model is NULL");
  kiln_model *m = calloc(1, sizeof *m);
  if (!m)
    return fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
  kiln_status st = parse_manifest(m);
  if (st == KILN_OK && m->on_gpu)
    st = start_device();
  if (st == KILN_OK)
    st = map_weights(m, weights_path);
  if (st == KILN_OK) {
    m->weights_base = m->map;
    m->weights_size = m->map_size;
    if (m->on_gpu)
      st = upload_weights(m);
  }
  if (st == KILN_OK)
    st = build_weight_descriptors(m);
  if (st == KILN_OK)
    st = build_json(m);
  if (st != KILN_OK) {
    model_free(m);
    return st;
  }
  m->default_threads = default_threads();
  atomic_init(&m->num_threads, 0);
  *out_model = m;
  return KILN_OK;
}

KILN_API size_t kiln_model_num_inputs(const kiln_model *m) {
  return m ? m->num_inputs : 0;
}
KILN_API size_t kiln_model_num_outputs(const kiln_model *m) {
  return m ? m->num_outputs : 0;
}

static const value_info *input_at(const kiln_model *m, size_t i) {
  return m && i < m->num_inputs ? &m->inputs[i] : NULL;
}
static const value_info *output_at(const kiln_model *m, size_t i) {
  return m && i < m->num_outputs ? &m->outputs[i] : NULL;
}

KILN_API const char *kiln_model_input_name(const kiln_model *m, size_t i) {
  const value_info *v = input_at(m, i);
  return v ? v->name : NULL;
}
KILN_API const char *kiln_model_output_name(const kiln_model *m, size_t i) {
  const value_info *v = output_at(m, i);
  return v ? v->name : NULL;
}
KILN_API kiln_dtype kiln_model_input_dtype(const kiln_model *m, size_t i) {
  const value_info *v = input_at(m, i);
  return v ? v->dtype : (kiln_dtype)0;
}
KILN_API kiln_dtype kiln_model_output_dtype(const kiln_model *m, size_t i) {
  const value_info *v = output_at(m, i);
  return v ? v->dtype : (kiln_dtype)0;
}
KILN_API size_t kiln_model_input_rank(const kiln_model *m, size_t i) {
  const value_info *v = input_at(m, i);
  return v ? v->rank : 0;
}
KILN_API size_t kiln_model_output_rank(const kiln_model *m, size_t i) {
  const value_info *v = output_at(m, i);
  return v ? v->rank : 0;
}
static size_t copy_dims(const value_info *v, int64_t *out, size_t capacity) {
  if (!v)
    return 0;
  size_t n = v->rank < capacity ? v->rank : capacity;
  if (out && n)
    memcpy(out, v->dims, n * sizeof *out);
  return v->rank;
}
KILN_API size_t kiln_model_input_dims(const kiln_model *m, size_t i,
                                      int64_t *out_dims, size_t capacity) {
  return copy_dims(input_at(m, i), out_dims, capacity);
}
KILN_API size_t kiln_model_output_dims(const kiln_model *m, size_t i,
                                       int64_t *out_dims, size_t capacity) {
  return copy_dims(output_at(m, i), out_dims, capacity);
}
KILN_API const char *kiln_model_input_dim_name(const kiln_model *m, size_t i,
                                               size_t d) {
  const value_info *v = input_at(m, i);
  return v && d < v->rank ? v->dim_names[d] : NULL;
}
KILN_API const char *kiln_model_output_dim_name(const kiln_model *m, size_t i,
                                                size_t d) {
  const value_info *v = output_at(m, i);
  return v && d < v->rank ? v->dim_names[d] : NULL;
}
KILN_API int kiln_model_input_range(const kiln_model *m, size_t i,
                                    int64_t *out_lo, int64_t *out_hi) {
  const value_info *v = input_at(m, i);
  if (!v || !v->has_range)
    return 0;
  if (out_lo)
    *out_lo = v->lo;
  if (out_hi)
    *out_hi = v->hi;
  return 1;
}
KILN_API const char *kiln_model_signature_json(const kiln_model *m) {
  return m ? m->json : NULL;
}

KILN_API kiln_status kiln_model_set_num_threads(kiln_model *m,
                                                int num_threads) {
  clear_error();
  if (!m)
    return fail(KILN_ERROR_INVALID_ARGUMENT, "model is NULL");
  if (num_threads < 0 || num_threads > KILN_MAX_THREADS)
    return fail(KILN_ERROR_INVALID_ARGUMENT,
                "invalid thread count %d (0 means the default; at most %d)",
                num_threads, KILN_MAX_THREADS);
  atomic_store(&m->num_threads, num_threads);
  return KILN_OK;
}

int resolved_threads(const kiln_model *m) {
  int n = atomic_load(&m->num_threads);
  return n ? n : m->default_threads;
}

KILN_API int kiln_model_num_threads(const kiln_model *m) {
  return m ? resolved_threads(m) : 0;
}
