/*===- runtime_internal.h - what the runtime's files share ------*- C -*-===*
 *
 * Part of kiln. The runtime (kiln_runtime.h) is split along its sections:
 * errors.c, tensor.c, manifest.c, weights.c, validate.c, model.c, run.c,
 * cache.c (a decoder's KV cache),
 * and gpu_device.c for libraries built with --target=cuda (the CPU path
 * only calls into it where the manifest says `device cuda`). This header
 * holds the types they share and the functions one file calls in
 * another; everything here has hidden visibility like the rest of the
 * archive (only KILN_API functions are exported).
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_RUNTIME_INTERNAL_H
#define KILN_RUNTIME_RUNTIME_INTERNAL_H

#include "kiln_model_abi.h"
#include "kiln_runtime.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

_Static_assert(sizeof(void *) == sizeof(int64_t),
               "memref descriptors assume 64-bit pointers");

/*--- Types ----------------------------------------------------------------*/

/* A growable string; on allocation failure it keeps what fits and sets
 * `failed`, so message formatting never needs error checks. */
typedef struct strbuf {
  char *data;
  size_t len, cap;
  int failed;
} strbuf;

struct kiln_tensor {
  kiln_dtype dtype;
  size_t rank;
  size_t num_elements;
  void *data;  /* The first element.                              */
  void *owned; /* What kiln_tensor_free frees (NULL when wrapped). */
  int64_t dims[];
};

/* An input or output of the signature. */
typedef struct value_info {
  char *name;
  kiln_dtype dtype;
  size_t rank;
  int64_t *dims;    /* Size, or -1 where dynamic.                          */
  char **dim_names; /* Symbolic name ("?" if none) where dynamic, else NULL. */
  int *dim_syms;    /* Index into kiln_model.syms, or -1 (static or "?").   */
  int has_range;
  int64_t lo, hi;
} value_info;

typedef struct weight_info {
  kiln_dtype dtype;
  uint64_t offset, bytes;
  size_t rank;
  int64_t *dims;
} weight_info;

struct kiln_model {
  int on_gpu; /* The manifest says `device cuda`: buffers are on the GPU. */
  size_t num_inputs, num_outputs, num_weights, num_syms;
  value_info *inputs, *outputs;
  weight_info *weights;
  char **syms;          /* Distinct symbolic dim names of the inputs.     */
  uint64_t weights_end; /* Bytes of the weights file the model needs.     */
  /* The `weights-file` record: the file's data bytes and id (its trailer
   * must match); has_weights_id 0 for libraries built before it. */
  int has_weights_id;
  uint64_t weights_bytes, weights_id;
  void *map; /* The weights file, read-only; NULL if unneeded. */
  size_t map_size;
  /* Where weight descriptors point: the mapping, or its copy in GPU
   * memory (the mapping is then released). */
  char *weights_base;
  size_t weights_size;
  int64_t **weight_descs; /* A memref descriptor per weight.              */
  size_t input_desc_words, output_desc_words; /* Summed over all values.  */
  /* A decoder's KV cache (`cache-lengths` and `cache` records): buffers
   * [batch, heads, context, dim] passed after the inputs, preceded by the
   * [batch] lengths; at most context_limit tokens; step_sym, the symbolic
   * input dim counting the tokens a run appends. */
  size_t num_caches;
  value_info *caches;
  char *cache_lengths_name;
  int64_t context_limit;
  int step_sym;
  char *json;
  int default_threads;
  atomic_int num_threads; /* 0: default_threads.                        */
};

/* A decoder's KV cache (kiln_cache_create): one buffer per cache record,
 * [batch][heads][capacity][dim] floats, and each sequence's length. */
struct kiln_cache {
  const kiln_model *model;
  size_t batch, capacity;
  int64_t *lengths;
  float **buffers;
};

/* Per-run state: the values bound to symbolic dims so far. */
typedef struct run_state {
  const kiln_model *model;
  kiln_tensor *const *tensors; /* In signature order. */
  int64_t *sym_value;          /* -1 while unbound.   */
  size_t *sym_source;          /* The input binding it. */
} run_state;

/* A view of one output descriptor. */
typedef struct out_desc {
  void *allocated;
  char *aligned;
  int64_t offset;
  const int64_t *sizes, *strides;
  int owned;   /* `allocated` is a fresh malloc to free.   */
  int adopted; /* A tensor took `allocated` over.          */
} out_desc;

/*--- errors.c: the last error, message strings, dtypes ---------------------*/

void clear_error(void);
/* Records a message for kiln_last_error and returns `status`. */
__attribute__((format(printf, 2, 3))) kiln_status fail(kiln_status status,
                                                       const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void sb_printf(strbuf *sb,
                                                     const char *fmt, ...);
const char *sb_str(const strbuf *sb);
void sb_json_string(strbuf *sb, const char *s);
const char *dtype_name(kiln_dtype dtype);
size_t dtype_size(kiln_dtype dtype);
/* The element count and byte size of `dims`; 0 on overflow. */
int count_elements(const int64_t *dims, size_t rank, size_t elem_size,
                   size_t *out_elements, size_t *out_bytes);

/*--- tensor.c: tensors, strided copies -------------------------------------*/

kiln_status new_tensor(kiln_dtype dtype, const int64_t *dims, size_t rank,
                       size_t *out_bytes, kiln_tensor **out_tensor);
kiln_status create_tensor(kiln_dtype dtype, const int64_t *dims, size_t rank,
                          kiln_tensor **out_tensor);
void tensor_free(kiln_tensor *tensor);
/* Whether output descriptor `o` is row-major contiguous. */
int is_contiguous(const out_desc *o, size_t rank);
/* Copies the strided elements of dims d.. of `o` into contiguous `dst`. */
char *copy_strided(char *dst, const char *src, const out_desc *o, size_t d,
                   size_t rank, size_t elem);

/*--- manifest.c: the manifest ----------------------------------------------*/

kiln_status parse_manifest(kiln_model *m);
int parse_int(const char *s, int64_t *out);
void free_value(value_info *v);

/*--- weights.c: the weights file, memref descriptors -----------------------*/

kiln_status map_weights(kiln_model *m, const char *weights_path);
kiln_status build_weight_descriptors(kiln_model *m);
void fill_descriptor(int64_t *desc, void *data, const int64_t *sizes,
                     size_t rank);

/*--- validate.c: a run's inputs against the signature ----------------------*/

kiln_status match_inputs(const kiln_model *m, const char *const *names,
                         kiln_tensor *const *inputs, kiln_tensor **order);
kiln_status check_input(run_state *rs, size_t j);
kiln_status count_error(const kiln_model *m, const char *what, int outputs,
                        size_t got);
void sb_shape(strbuf *sb, const int64_t *dims, size_t rank);
void sb_expected_shape(strbuf *sb, const value_info *v);

/*--- model.c: loading, the signature, threads ------------------------------*/

int resolved_threads(const kiln_model *m);

/*--- gpu_device.c: libraries built with --target=cuda ----------------------*/

kiln_status start_device(void);
kiln_status upload_weights(kiln_model *m);
kiln_status gpu_stage_inputs(kiln_tensor *const *inputs, size_t n,
                             char **out_base, size_t *out_bytes, void **data);
kiln_status gpu_finish_run(kiln_status st);
kiln_status gpu_download_output(const out_desc *o, const char *first,
                                size_t rank, size_t elem, kiln_tensor *t);
void gpu_free(void *device);

#endif /* KILN_RUNTIME_RUNTIME_INTERNAL_H */
