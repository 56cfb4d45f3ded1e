/*===- kiln_runtime.h - the C API of a kiln model library ---------*- C -*-===*
 *
 * Part of kiln. A model compiled by `kiln compile model.onnx -o model.so` is
 * a shared library exporting this API; its weights live beside it in
 * `model.so.weights`, which the library memory-maps at load (sized for
 * models over 2 GB: nothing is copied and the .so itself stays small).
 *
 * Conventions:
 *  - Every function returns a kiln_status; KILN_OK is 0. On error, a
 *    message naming the culprit (an input, its expected shape, ...) is
 *    available from kiln_last_error() in the same thread.
 *  - `out_` parameters are written only on success.
 *  - Ownership is stated per function. Objects are opaque.
 *  - Thread safety: a kiln_model may be run from several threads at once;
 *    a kiln_tensor must not be used from two threads at once.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_KILN_RUNTIME_H
#define KILN_RUNTIME_KILN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_API __attribute__((visibility("default")))

/* Status codes. */
typedef enum kiln_status {
  KILN_OK = 0,
  KILN_ERROR_INVALID_ARGUMENT = 1, /* A bad input: count, name, type, shape. */
  KILN_ERROR_NOT_FOUND = 2,        /* No input/output of that name.        */
  KILN_ERROR_IO = 3,               /* The weights file cannot be read.      */
  KILN_ERROR_OUT_OF_MEMORY = 4,
  KILN_ERROR_INTERNAL = 5,
  KILN_ERROR_DEVICE = 6, /* A GPU library: no usable GPU, or CUDA failed. */
  KILN_ERROR_UNSUPPORTED_CPU = 7, /* The CPU lacks a feature the library
                                     was compiled for (named in the error). */
} kiln_status;

/* Element types (values match ONNX's TensorProto.DataType). */
typedef enum kiln_dtype {
  KILN_FLOAT32 = 1,
  KILN_UINT8 = 2,
  KILN_INT8 = 3,
  KILN_INT32 = 6,
  KILN_INT64 = 7,
  KILN_BOOL = 9,
  KILN_FLOAT16 = 10,
  KILN_FLOAT64 = 11,
  KILN_BFLOAT16 = 16,
} kiln_dtype;

typedef struct kiln_model kiln_model;   /* A loaded model.               */
typedef struct kiln_tensor kiln_tensor; /* A dense row-major tensor.     */
typedef struct kiln_cache kiln_cache;   /* A decoder's KV cache.         */

/* The message of the last error in the calling thread ("" if none: every
 * function returning a kiln_status clears it on entry). The pointer stays
 * valid until the next kiln call in this thread. */
KILN_API const char *kiln_last_error(void);

/* Size in bytes of one element of `dtype` (0 for an unknown dtype). */
KILN_API size_t kiln_dtype_size(kiln_dtype dtype);

/* The NumPy-style name of `dtype` ("float32", "int64", "bool", ...;
 * "unknown" for an unknown dtype). A static string. */
KILN_API const char *kiln_dtype_name(kiln_dtype dtype);

/*--- Models ---------------------------------------------------------------*/

/* Loads the model of this library. `weights_path` may be NULL: the weights
 * are then read from "<path of this library>.weights". The caller owns
 * *out_model and frees it with kiln_model_free.
 * A library compiled for an NVIDIA GPU (kiln compile --target=cuda) also
 * loads the CUDA driver (libcuda.so.1, or $KILN_CUDA_DRIVER), uses device
 * $KILN_CUDA_DEVICE (default 0), loads its kernels and copies the weights
 * to the GPU; without a usable GPU it fails with KILN_ERROR_DEVICE and the
 * reason in kiln_last_error. Its runs take and return host tensors (inputs
 * are copied to the GPU and outputs back on every run).
 * A CPU library records the instruction-set features it was compiled for
 * (kiln compile --mcpu/--mattr); on a CPU without one of them it fails with
 * KILN_ERROR_UNSUPPORTED_CPU naming the feature, before running any of its
 * code. */
KILN_API kiln_status kiln_model_load(const char *weights_path,
                                     kiln_model **out_model);
KILN_API void kiln_model_free(kiln_model *model);

/* Signature. Dynamic dims are reported as -1; names index from 0. The
 * returned strings are owned by the model. */
KILN_API size_t kiln_model_num_inputs(const kiln_model *model);
KILN_API size_t kiln_model_num_outputs(const kiln_model *model);
KILN_API const char *kiln_model_input_name(const kiln_model *model, size_t i);
KILN_API const char *kiln_model_output_name(const kiln_model *model, size_t i);
KILN_API kiln_dtype kiln_model_input_dtype(const kiln_model *model, size_t i);
KILN_API kiln_dtype kiln_model_output_dtype(const kiln_model *model, size_t i);
/* Rank of input i, and its dims (-1 where dynamic): the first
 * min(rank, capacity) into out_dims (nothing when it is NULL); returns the
 * rank (0 for no such input). */
KILN_API size_t kiln_model_input_rank(const kiln_model *model, size_t i);
KILN_API size_t kiln_model_input_dims(const kiln_model *model, size_t i,
                                      int64_t *out_dims, size_t capacity);
KILN_API size_t kiln_model_output_rank(const kiln_model *model, size_t i);
KILN_API size_t kiln_model_output_dims(const kiln_model *model, size_t i,
                                       int64_t *out_dims, size_t capacity);
/* The symbolic name of dim d of input (output) i, e.g. "batch", or "?" for a
 * dynamic dim without a name; NULL for a static dim or an index out of
 * range. Dynamic dims sharing a name must agree at run time. Owned by the
 * model. */
KILN_API const char *kiln_model_input_dim_name(const kiln_model *model,
                                               size_t i, size_t d);
KILN_API const char *kiln_model_output_dim_name(const kiln_model *model,
                                                size_t i, size_t d);
/* Whether integer input i indexes a table (e.g. token ids): returns 1 and
 * writes its valid values [*out_lo, *out_hi), which kiln_model_run checks;
 * returns 0 (writing nothing) otherwise. */
KILN_API int kiln_model_input_range(const kiln_model *model, size_t i,
                                    int64_t *out_lo, int64_t *out_hi);
/* The whole signature as JSON: {"inputs": [{"name", "dtype", "shape"}],
 * "outputs": [...]}, dtypes as strings ("float32", "int64", ...), dynamic
 * dims as their symbolic names (strings), and "range": [LO, HI] on inputs
 * that have one. Owned by the model. */
KILN_API const char *kiln_model_signature_json(const kiln_model *model);

/* Threads used by one run: 0 (the default) means all cores, or the value of
 * the KILN_NUM_THREADS environment variable when it is set (both read once,
 * by kiln_model_load; a larger value counts as KILN_MAX_THREADS). Negative
 * or more than KILN_MAX_THREADS is KILN_ERROR_INVALID_ARGUMENT. Safe to call
 * while other threads run the model: a run uses the value it started with. */
#define KILN_MAX_THREADS 1024
KILN_API kiln_status kiln_model_set_num_threads(kiln_model *model,
                                                int num_threads);
/* The number of threads a run uses: the value set, or what 0 resolves to. */
KILN_API int kiln_model_num_threads(const kiln_model *model);

/* Runs the model. `inputs` holds num_inputs tensors, in signature order or
 * matched by name when `input_names` is not NULL. On success, writes
 * num_outputs new tensors (in signature order) to out_outputs; the caller
 * owns them (kiln_tensor_free). Inputs are validated first: count, dtype,
 * rank, static dims, the consistency of dynamic dims shared between
 * inputs (e.g. "batch") and, for inputs with a range (token ids), their
 * values; a mismatch is KILN_ERROR_INVALID_ARGUMENT with a message naming
 * the input and its expected shape (KILN_ERROR_NOT_FOUND for an unknown
 * name). Outputs are always contiguous row-major tensors owning their
 * storage. */
KILN_API kiln_status kiln_model_run(const kiln_model *model,
                                    const char *const *input_names,
                                    kiln_tensor *const *inputs,
                                    size_t num_inputs,
                                    kiln_tensor **out_outputs,
                                    size_t num_outputs);

/*--- Decoders: the KV cache ------------------------------------------------*/

/* A decoder library (kiln compile of a LLaMA-family checkpoint or GGUF
 * file) keeps the keys and values of the tokens it has seen in a
 * kiln_cache, allocated once to a maximum context and appended to in place
 * by each run: a run with input_ids [batch, S] appends S tokens to each of
 * `batch` sequences and returns the logits of each sequence's last new
 * token. A prompt is one run (prefill), each generated token one more
 * (decode). Sequences keep their own lengths. kiln_model_run refuses a
 * decoder; use kiln_model_run_cached.
 * A kiln_cache must not be used from two threads at once; separate caches
 * of one model may run concurrently. */

/* 1 if the model is a decoder that runs on a kiln_cache, else 0; with 1,
 * writes the largest context it supports (its position table's size) to
 * *out_context_limit when that is not NULL. */
KILN_API int kiln_model_has_cache(const kiln_model *model,
                                  int64_t *out_context_limit);

/* A cache for `batch` sequences of at most `max_context` tokens each,
 * every sequence empty. Its buffers (two per layer, batch * kv heads *
 * max_context * head dim floats each) are allocated here, once.
 * KILN_ERROR_INVALID_ARGUMENT when the model has no cache, batch or
 * max_context is 0, or max_context exceeds the model's context limit;
 * KILN_ERROR_OUT_OF_MEMORY when the buffers cannot be allocated. The
 * caller owns *out_cache and frees it with kiln_cache_free, before the
 * model. */
KILN_API kiln_status kiln_cache_create(const kiln_model *model, size_t batch,
                                       size_t max_context,
                                       kiln_cache **out_cache);
KILN_API void kiln_cache_free(kiln_cache *cache);
/* The batch and max_context the cache was created with. */
KILN_API size_t kiln_cache_batch(const kiln_cache *cache);
KILN_API size_t kiln_cache_capacity(const kiln_cache *cache);
/* Tokens sequence `sequence` holds (0 for an index out of range). */
KILN_API size_t kiln_cache_length(const kiln_cache *cache, size_t sequence);
/* Shortens sequence `sequence` to `length` tokens (0 empties it, for a new
 * prompt; a shorter length rewinds, e.g. to drop rejected tokens). A
 * length beyond the current one is KILN_ERROR_INVALID_ARGUMENT. */
KILN_API kiln_status kiln_cache_truncate(kiln_cache *cache, size_t sequence,
                                         size_t length);

/* Runs a decoder on sequences [first_sequence, first_sequence + batch) of
 * `cache`, where batch is the inputs' batch dim (input_ids [batch, S]):
 * attends each new token to its sequence's cached tokens and the new ones
 * before it, appends the S new tokens to each sequence (their positions
 * continue from the sequence's length) and returns the outputs as
 * kiln_model_run does. Inputs are validated as by kiln_model_run; also
 * KILN_ERROR_INVALID_ARGUMENT, with nothing run or appended, when the
 * sequences are past the cache's batch or a sequence would exceed the
 * cache's capacity. On any error the cache is unchanged. */
KILN_API kiln_status kiln_model_run_cached(
    const kiln_model *model, kiln_cache *cache, size_t first_sequence,
    const char *const *input_names, kiln_tensor *const *inputs,
    size_t num_inputs, kiln_tensor **out_outputs, size_t num_outputs);

/*--- Tensors --------------------------------------------------------------*/

/* A new tensor owning zero-initialised storage. Caller owns *out_tensor. */
KILN_API kiln_status kiln_tensor_create(kiln_dtype dtype, const int64_t *dims,
                                        size_t rank, kiln_tensor **out_tensor);
/* A tensor viewing caller-owned `data` (row-major, 64-byte alignment
 * recommended), which must outlive the tensor. Caller owns *out_tensor. */
KILN_API kiln_status kiln_tensor_wrap(kiln_dtype dtype, const int64_t *dims,
                                      size_t rank, void *data,
                                      kiln_tensor **out_tensor);
/* Frees the tensor and the storage it owns (not wrapped storage). */
KILN_API void kiln_tensor_free(kiln_tensor *tensor);
KILN_API kiln_dtype kiln_tensor_dtype(const kiln_tensor *tensor);
KILN_API size_t kiln_tensor_rank(const kiln_tensor *tensor);
KILN_API const int64_t *kiln_tensor_dims(const kiln_tensor *tensor);
KILN_API size_t kiln_tensor_num_elements(const kiln_tensor *tensor);
KILN_API void *kiln_tensor_data(kiln_tensor *tensor);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RUNTIME_KILN_RUNTIME_H */
