/*===- run.c - kiln_model_run: inputs in, the model, tensors out --*- C -*-===*
 *
 * Part of kiln. See runtime_internal.h.
 *
 *===----------------------------------------------------------------------===*/

#include "run_guard.h"
#include "runtime_internal.h"
#include "scratch_arena.h"

#include <stdlib.h>
#include <string.h>

/* Present when the model library is linked with an OpenMP runtime. */
extern void omp_set_num_threads(int)
    __attribute__((weak, visibility("default")));

/* Whether p points into [base, base + bytes], the end included, so that an
 * empty buffer still has an address. */
static int within(const void *p, const void *base, size_t bytes) {
  return base && (const char *)p >= (const char *)base &&
         (const char *)p <= (const char *)base + bytes;
}

/* Turns the output descriptors into tensors; frees what is not adopted.
 * `in_base`/`in_bytes`: the GPU block holding the inputs (GPU models). */
static kiln_status wrap_outputs(const kiln_model *m, int64_t *results,
                                kiln_tensor *const *in_tensors,
                                const char *in_base, size_t in_bytes,
                                out_desc *od, kiln_tensor **outs) {
  kiln_status st = KILN_OK;
  for (size_t i = 0; i < m->num_outputs; ++i) {
    size_t rank = m->outputs[i].rank;
    out_desc *o = &od[i];
    memcpy(&o->allocated, &results[0], sizeof o->allocated);
    memcpy(&o->aligned, &results[1], sizeof o->aligned);
    o->offset = results[2];
    o->sizes = &results[3];
    o->strides = &results[3 + rank];
    results += 3 + 2 * rank;
    /* Own `allocated` unless it is clearly not a fresh allocation. */
    o->owned = o->allocated && o->allocated != (void *)(uintptr_t)0xdeadbeef &&
               !within(o->allocated, m->weights_base, m->weights_size) &&
               !within(o->aligned, m->weights_base, m->weights_size) &&
               !within(o->allocated, in_base, in_bytes) &&
               !within(o->aligned, in_base, in_bytes);
    for (size_t j = 0; o->owned && !m->on_gpu && j < m->num_inputs; ++j) {
      const kiln_tensor *t = in_tensors[j];
      size_t bytes = t->num_elements * dtype_size(t->dtype);
      o->owned = !within(o->allocated, t->data, bytes) &&
                 !within(o->aligned, t->data, bytes);
    }
    for (size_t j = 0; o->owned && j < i; ++j)
      o->owned = !(od[j].owned && od[j].allocated == o->allocated);
  }
  for (size_t i = 0; i < m->num_outputs && st == KILN_OK; ++i) {
    const value_info *v = &m->outputs[i];
    for (size_t d = 0; d < v->rank; ++d)
      if (od[i].sizes[d] < 0 ||
          (v->dims[d] >= 0 && od[i].sizes[d] != v->dims[d])) {
        strbuf sb = {0};
        sb_printf(&sb,
                  "internal error: the model returned output '%s' with "
                  "shape ",
                  v->name);
        sb_shape(&sb, od[i].sizes, v->rank);
        sb_printf(&sb, " but its signature is ");
        sb_expected_shape(&sb, v);
        st = fail(KILN_ERROR_INTERNAL, "%s", sb_str(&sb));
        free(sb.data);
        break;
      }
  }
  for (size_t i = 0; i < m->num_outputs && st == KILN_OK; ++i) {
    const value_info *v = &m->outputs[i];
    out_desc *o = &od[i];
    size_t elem = dtype_size(v->dtype), bytes = 0;
    char *first = o->aligned ? o->aligned + o->offset * (int64_t)elem : NULL;
    if (m->on_gpu) {
      st = create_tensor(v->dtype, o->sizes, v->rank, &outs[i]);
      if (st == KILN_OK)
        st = gpu_download_output(o, first, v->rank, elem, outs[i]);
    } else if (o->owned && is_contiguous(o, v->rank)) {
      st = new_tensor(v->dtype, o->sizes, v->rank, &bytes, &outs[i]);
      if (st == KILN_OK) {
        outs[i]->data = first;
        outs[i]->owned = o->allocated;
        o->adopted = 1;
      }
    } else {
      st = create_tensor(v->dtype, o->sizes, v->rank, &outs[i]);
      if (st == KILN_OK && outs[i]->num_elements)
        copy_strided(outs[i]->data, first, o, 0, v->rank, elem);
    }
  }
  /* Frees each owned allocation no tensor took over (an adopted one is
   * never also owned by another output: owned pointers are distinct). */
  for (size_t i = 0; i < m->num_outputs; ++i)
    if (od[i].owned && !od[i].adopted) {
      if (m->on_gpu)
        gpu_free(od[i].allocated);
      else
        kiln_scratch_free(od[i].allocated);
    }
  if (st != KILN_OK)
    for (size_t i = 0; i < m->num_outputs; ++i) {
      tensor_free(outs[i]);
      outs[i] = NULL;
    }
  return st;
}

/* Where the sequences of a cached run are: [first, first + count) of
 * `cache`, each appending `step` tokens. */
typedef struct cache_run {
  kiln_cache *cache;
  size_t first, count;
  int64_t step;
} cache_run;

/* The batch and step of a cached run, from the dims the inputs bound;
 * checks they fit the cache. */
static kiln_status bind_cache_run(const kiln_model *m, const run_state *rs,
                                  cache_run *cr) {
  const value_info *c = &m->caches[0];
  int64_t batch = c->dim_syms[0] >= 0 ? rs->sym_value[c->dim_syms[0]]
                                      : c->dims[0];
  int64_t step = m->step_sym >= 0 ? rs->sym_value[m->step_sym] : -1;
  if (batch < 0 || step < 0)
    return fail(KILN_ERROR_INTERNAL,
                "the decoder's inputs do not give its batch and new-token "
                "count");
  kiln_cache *k = cr->cache;
  if (cr->first > k->batch || (uint64_t)batch > k->batch - cr->first)
    return fail(KILN_ERROR_INVALID_ARGUMENT,
                "sequences [%zu, %lld) are past the cache's batch of %zu",
                cr->first, (long long)(cr->first + (size_t)batch), k->batch);
  for (int64_t b = 0; b < batch; ++b) {
    int64_t have = k->lengths[cr->first + (size_t)b];
    if (step > (int64_t)k->capacity - have)
      return fail(KILN_ERROR_INVALID_ARGUMENT,
                  "sequence %zu holds %lld tokens and %lld more would pass "
                  "the cache's capacity of %zu (kiln_cache_create's "
                  "max_context)",
                  cr->first + (size_t)b, (long long)have, (long long)step,
                  k->capacity);
  }
  cr->count = (size_t)batch;
  cr->step = step;
  return KILN_OK;
}

/* Descriptors of the cache lengths and buffers of a cached run, at `desc`
 * (5 + 11 * num_caches words), their addresses into `args`. */
static void fill_cache_descriptors(const kiln_model *m, const cache_run *cr,
                                   int64_t *desc, void **args) {
  int64_t n = (int64_t)cr->count;
  fill_descriptor(desc, cr->cache->lengths + cr->first, &n, 1);
  args[0] = desc;
  desc += 5;
  for (size_t c = 0; c < m->num_caches; ++c) {
    const value_info *v = &m->caches[c];
    int64_t sizes[4] = {n, v->dims[1], (int64_t)cr->cache->capacity,
                        v->dims[3]};
    size_t per_sequence = (size_t)(sizes[1] * sizes[2] * sizes[3]);
    fill_descriptor(desc, cr->cache->buffers[c] + cr->first * per_sequence,
                    sizes, 4);
    args[1 + c] = desc;
    desc += 11;
  }
}

/* kiln_model_run, and kiln_model_run_cached when `cr` is not NULL. */
static kiln_status run_model(const kiln_model *m, cache_run *cr,
                             const char *const *input_names,
                             kiln_tensor *const *inputs, size_t num_inputs,
                             kiln_tensor **out_outputs, size_t num_outputs) {
  if (num_inputs != m->num_inputs)
    return count_error(m, "inputs", 0, num_inputs);
  if (num_outputs != m->num_outputs)
    return count_error(m, "outputs", 1, num_outputs);
  if ((num_inputs && !inputs) || (num_outputs && !out_outputs))
    return fail(KILN_ERROR_INVALID_ARGUMENT, "inputs or outputs is NULL");

  /* One zeroed block for everything this run needs. */
  size_t ni = m->num_inputs, no = m->num_outputs, nw = m->num_weights;
  size_t nc = cr ? 1 + m->num_caches : 0; /* lengths, then buffers */
  size_t size = (ni + nc + nw + 1) * sizeof(void *) +          /* args    */
                (m->input_desc_words + 1) * sizeof(int64_t) +  /* inputs  */
                (5 + 11 * nc) * sizeof(int64_t) +              /* caches  */
                (m->output_desc_words + 1) * sizeof(int64_t) + /* results */
                (m->num_syms + 1) * (sizeof(int64_t) + sizeof(size_t)) +
                (ni + 1) * sizeof(kiln_tensor *) + /* order   */
                (no + 1) * (sizeof(out_desc) + sizeof(kiln_tensor *));
  char *block = calloc(1, size), *at = block;
  if (!block)
    return fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
#define TAKE(type, n)                                                          \
  ((type *)(void *)((at += (n) * sizeof(type)) - (n) * sizeof(type)))
  void **args = TAKE(void *, ni + nc + nw + 1);
  int64_t *in_descs = TAKE(int64_t, m->input_desc_words + 1);
  int64_t *cache_descs = TAKE(int64_t, 5 + 11 * nc);
  int64_t *results = TAKE(int64_t, m->output_desc_words + 1);
  int64_t *sym_value = TAKE(int64_t, m->num_syms + 1);
  size_t *sym_source = TAKE(size_t, m->num_syms + 1);
  kiln_tensor **order = TAKE(kiln_tensor *, ni + 1);
  out_desc *od = TAKE(out_desc, no + 1);
  kiln_tensor **outs = TAKE(kiln_tensor *, no + 1);
#undef TAKE

  kiln_status st = match_inputs(m, input_names, inputs, order);
  run_state rs = {m, order, sym_value, sym_source};
  for (size_t s = 0; s < m->num_syms; ++s)
    sym_value[s] = -1;
  for (size_t j = 0; j < ni && st == KILN_OK; ++j)
    st = check_input(&rs, j);
  if (st == KILN_OK && cr)
    st = bind_cache_run(m, &rs, cr);
  if (st != KILN_OK) {
    free(block);
    return st;
  }

  /* A GPU model reads copies of the inputs in GPU memory (their addresses
   * go to args[j] first); a CPU model reads the caller's buffers. */
  char *in_base = NULL;
  size_t in_bytes = 0;
  if (m->on_gpu)
    st = gpu_stage_inputs(order, ni, &in_base, &in_bytes, args);
  int64_t *desc = in_descs;
  for (size_t j = 0; j < ni && st == KILN_OK; ++j) {
    void *data = m->on_gpu ? args[j] : order[j]->data;
    fill_descriptor(desc, data, order[j]->dims, order[j]->rank);
    args[j] = desc;
    desc += 3 + 2 * order[j]->rank;
  }
  if (cr)
    fill_cache_descriptors(m, cr, cache_descs, args + ni);
  for (size_t w = 0; w < nw; ++w)
    args[ni + nc + w] = m->weight_descs[w];

  if (st == KILN_OK) {
    /* OpenMP's thread count is per calling thread: set it on every run. */
    if (omp_set_num_threads)
      omp_set_num_threads(resolved_threads(m));
    /* A failed run-time check or allocation ends the run early, its
     * buffers freed (run_guard.c). */
    char message[1024];
    st = kiln_run_guarded(kiln_model_invoke, args, results, message,
                          sizeof message);
    if (st != KILN_OK)
      fail(st, "%s", message);
    /* The results are only valid if every launch and copy succeeded; after
     * a failure, the launches made must end before their buffers go. */
    if (m->on_gpu)
      st = gpu_finish_run(st);
  }

  if (st == KILN_OK)
    st = wrap_outputs(m, results, order, in_base, in_bytes, od, outs);
  if (in_base)
    gpu_free(in_base);
  if (st == KILN_OK) {
    memcpy(out_outputs, outs, no * sizeof *outs);
    /* The run wrote the new tokens past each length: they now count. */
    for (size_t b = 0; cr && b < cr->count; ++b)
      cr->cache->lengths[cr->first + b] += cr->step;
  }
  free(block);
  return st;
}

KILN_API kiln_status kiln_model_run(const kiln_model *m,
                                    const char *const *input_names,
                                    kiln_tensor *const *inputs,
                                    size_t num_inputs,
                                    kiln_tensor **out_outputs,
                                    size_t num_outputs) {
  clear_error();
  if (!m)
    return fail(KILN_ERROR_INVALID_ARGUMENT, "model is NULL");
  if (m->num_caches)
    return fail(KILN_ERROR_INVALID_ARGUMENT,
                "the model is a decoder with a KV cache: run it with "
                "kiln_model_run_cached on a cache from kiln_cache_create");
  return run_model(m, NULL, input_names, inputs, num_inputs, out_outputs,
                   num_outputs);
}

KILN_API kiln_status kiln_model_run_cached(
    const kiln_model *m, kiln_cache *cache, size_t first_sequence,
    const char *const *input_names, kiln_tensor *const *inputs,
    size_t num_inputs, kiln_tensor **out_outputs, size_t num_outputs) {
  clear_error();
  if (!m || !cache)
    return fail(KILN_ERROR_INVALID_ARGUMENT, "model or cache is NULL");
  if (!m->num_caches)
    return fail(KILN_ERROR_INVALID_ARGUMENT,
                "the model keeps no KV cache: run it with kiln_model_run");
  if (cache->model != m)
    return fail(KILN_ERROR_INVALID_ARGUMENT,
                "the cache was created for another model");
  cache_run cr = {cache, first_sequence, 0, 0};
  return run_model(m, &cr, input_names, inputs, num_inputs, out_outputs,
                   num_outputs);
}
