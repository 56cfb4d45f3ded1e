/*===- runtime_test.c - tests of the kiln runtime on fake models ----------===*
 *
 * Part of kiln. Usage: runtime_test DIR, where DIR holds fake.so,
 * fake_copy.so, fake_text.so, fake_scalar.so and fake_decoder.so built from
 * fake_model.c (see
 *run_runtime_test.sh). Goes through the public API only, with dlopen/dlsym as a
 *user would, and prints "runtime: N passed, M failed".
 *
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE
#include "kiln_runtime.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      ++passed;                                                                \
    } else {                                                                   \
      ++failed;                                                                \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

/* Checks a status and that the error message is exactly `message`. */
#define CHECK_ERROR(expr, status, message)                                     \
  check_error_at(__LINE__, (expr), (status), (message), #expr)

/*--- The API, through dlsym -----------------------------------------------*/

/* clang-format off */
#define KILN_FUNCTIONS(X) \
  X(kiln_last_error) \
  X(kiln_dtype_size) \
  X(kiln_dtype_name) \
  X(kiln_model_load) \
  X(kiln_model_free) \
  X(kiln_model_num_inputs) \
  X(kiln_model_num_outputs) \
  X(kiln_model_input_name) \
  X(kiln_model_output_name) \
  X(kiln_model_input_dtype) \
  X(kiln_model_output_dtype) \
  X(kiln_model_input_rank) \
  X(kiln_model_input_dims) \
  X(kiln_model_output_rank) \
  X(kiln_model_output_dims) \
  X(kiln_model_input_dim_name) \
  X(kiln_model_output_dim_name) \
  X(kiln_model_input_range) \
  X(kiln_model_signature_json) \
  X(kiln_model_set_num_threads) \
  X(kiln_model_num_threads) \
  X(kiln_model_run) \
  X(kiln_model_has_cache) \
  X(kiln_cache_create) \
  X(kiln_cache_free) \
  X(kiln_cache_batch) \
  X(kiln_cache_capacity) \
  X(kiln_cache_length) \
  X(kiln_cache_truncate) \
  X(kiln_model_run_cached) \
  X(kiln_tensor_create) \
  X(kiln_tensor_wrap) \
  X(kiln_tensor_free) \
  X(kiln_tensor_dtype) \
  X(kiln_tensor_rank) \
  X(kiln_tensor_dims) \
  X(kiln_tensor_num_elements) \
  X(kiln_tensor_data)
/* clang-format on */

#define DECLARE(fn) __typeof__(&fn) fn;
typedef struct api {
  KILN_FUNCTIONS(DECLARE)
} api;
#undef DECLARE

static api K; /* The API of fake.so. */

static int load_api(const char *path, api *a, void **out_handle) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "cannot dlopen %s: %s\n", path, dlerror());
    return 0;
  }
#define LOAD(fn)                                                               \
  if (!(*(void **)&a->fn = dlsym(h, #fn))) {                                   \
    fprintf(stderr, "%s does not export %s\n", path, #fn);                     \
    return 0;                                                                  \
  }
  KILN_FUNCTIONS(LOAD)
#undef LOAD
  *out_handle = h;
  return 1;
}

static void check_error_at(int line, kiln_status got, kiln_status want,
                           const char *message, const char *expr) {
  const char *err = K.kiln_last_error();
  if (got == want && !strcmp(err, message)) {
    ++passed;
    return;
  }
  ++failed;
  fprintf(stderr,
          "runtime_test.c:%d: %s\n  status %d, message: %s\n"
          "  expected %d, message: %s\n",
          line, expr, (int)got, err, (int)want, message);
}

/* OpenMP's, as the model library sees it (this executable is linked with
 * -rdynamic): records the count per thread. */
static _Thread_local int omp_threads;
__attribute__((visibility("default"))) void omp_set_num_threads(int n) {
  omp_threads = n;
}

/*--- Helpers --------------------------------------------------------------*/

static char dir[4096];

static const char *path_in_dir(const char *name) {
  static char buf[8192];
  snprintf(buf, sizeof buf, "%s/%s", dir, name);
  return buf;
}

static void write_file(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(1);
  }
}

static const float weights[4] = {1.0f, 2.0f, 3.0f, -0.5f};

/* A fresh tensor of `dtype` and dims (rank given), zero-filled. */
static kiln_tensor *tensor(kiln_dtype dtype, size_t rank, ...) {
  int64_t dims[8];
  va_list ap;
  va_start(ap, rank);
  for (size_t d = 0; d < rank; ++d)
    dims[d] = va_arg(ap, int64_t);
  va_end(ap);
  kiln_tensor *t = NULL;
  if (K.kiln_tensor_create(dtype, dims, rank, &t) != KILN_OK) {
    fprintf(stderr, "kiln_tensor_create: %s\n", K.kiln_last_error());
    exit(1);
  }
  return t;
}

/* x [batch, 4] with x[b][k] = seed + b - k / 4, ids [batch] = (seed + b) % 10.
 */
static void make_inputs(int64_t batch, int seed, kiln_tensor **x,
                        kiln_tensor **ids) {
  *x = tensor(KILN_FLOAT32, 2, batch, (int64_t)4);
  *ids = tensor(KILN_INT64, 1, batch);
  float *xd = K.kiln_tensor_data(*x);
  int64_t *idd = K.kiln_tensor_data(*ids);
  for (int64_t b = 0; b < batch; ++b) {
    for (int k = 0; k < 4; ++k)
      xd[b * 4 + k] = (float)(seed + b) - (float)k / 4;
    idd[b] = (seed + b) % 10;
  }
}

/* Whether out = {y, count} is the right result for make_inputs(batch, seed),
 * count being ids + count_delta. */
static int outputs_ok(kiln_tensor **out, int64_t batch, int seed,
                      int count_delta) {
  kiln_tensor *y = out[0], *count = out[1];
  if (K.kiln_tensor_dtype(y) != KILN_FLOAT32 || K.kiln_tensor_rank(y) != 2 ||
      K.kiln_tensor_dims(y)[0] != batch || K.kiln_tensor_dims(y)[1] != 4 ||
      K.kiln_tensor_num_elements(y) != (size_t)batch * 4 ||
      K.kiln_tensor_dtype(count) != KILN_INT64 ||
      K.kiln_tensor_rank(count) != 1 || K.kiln_tensor_dims(count)[0] != batch)
    return 0;
  const float *yd = K.kiln_tensor_data(y);
  const int64_t *cd = K.kiln_tensor_data(count);
  for (int64_t b = 0; b < batch; ++b) {
    for (int k = 0; k < 4; ++k)
      if (yd[b * 4 + k] != ((float)(seed + b) - (float)k / 4) * weights[k])
        return 0;
    if (cd[b] != (seed + b) % 10 + count_delta)
      return 0;
  }
  return 1;
}

static kiln_status run2(kiln_model *m, const char *const *names, kiln_tensor *a,
                        kiln_tensor *b, kiln_tensor **out) {
  kiln_tensor *in[2] = {a, b};
  return K.kiln_model_run(m, names, in, 2, out, 2);
}

static void free_all(kiln_tensor **t, size_t n) {
  for (size_t i = 0; i < n; ++i)
    K.kiln_tensor_free(t[i]);
}

/*--- Tests ----------------------------------------------------------------*/

static void test_signature(kiln_model *m) {
  CHECK(K.kiln_model_num_inputs(m) == 2);
  CHECK(K.kiln_model_num_outputs(m) == 2);
  CHECK(!strcmp(K.kiln_model_input_name(m, 0), "x"));
  CHECK(!strcmp(K.kiln_model_input_name(m, 1), "ids"));
  CHECK(K.kiln_model_input_name(m, 2) == NULL);
  CHECK(!strcmp(K.kiln_model_output_name(m, 0), "y"));
  CHECK(!strcmp(K.kiln_model_output_name(m, 1), "count"));
  CHECK(K.kiln_model_input_dtype(m, 0) == KILN_FLOAT32);
  CHECK(K.kiln_model_input_dtype(m, 1) == KILN_INT64);
  CHECK(K.kiln_model_output_dtype(m, 0) == KILN_FLOAT32);
  CHECK(K.kiln_model_output_dtype(m, 1) == KILN_INT64);
  CHECK(K.kiln_model_input_rank(m, 0) == 2);
  CHECK(K.kiln_model_input_rank(m, 1) == 1);
  CHECK(K.kiln_model_output_rank(m, 0) == 2);
  CHECK(K.kiln_model_output_rank(m, 1) == 1);
  int64_t dims[2] = {0, 0};
  CHECK(K.kiln_model_input_dims(m, 0, dims, 2) == 2);
  CHECK(dims[0] == -1 && dims[1] == 4);
  CHECK(K.kiln_model_output_dims(m, 1, dims, 2) == 1);
  CHECK(dims[0] == -1);
  /* Bounded by the capacity; NULL buffers and models read nothing. */
  dims[1] = 7;
  CHECK(K.kiln_model_input_dims(m, 0, dims, 1) == 2 && dims[1] == 7);
  CHECK(K.kiln_model_input_dims(m, 0, NULL, 2) == 2);
  CHECK(K.kiln_model_input_dims(NULL, 0, dims, 2) == 0);
  CHECK(K.kiln_model_output_dims(m, 9, dims, 2) == 0);
  CHECK(K.kiln_model_signature_json(NULL) == NULL);
  CHECK(K.kiln_model_num_threads(NULL) == 0);
  CHECK(K.kiln_tensor_dtype(NULL) == 0 && K.kiln_tensor_rank(NULL) == 0);
  CHECK(K.kiln_tensor_dims(NULL) == NULL && K.kiln_tensor_data(NULL) == NULL);
  CHECK(K.kiln_tensor_num_elements(NULL) == 0);
  CHECK(!strcmp(K.kiln_model_input_dim_name(m, 0, 0), "batch"));
  CHECK(K.kiln_model_input_dim_name(m, 0, 1) == NULL);
  CHECK(K.kiln_model_input_dim_name(m, 0, 2) == NULL);
  CHECK(!strcmp(K.kiln_model_output_dim_name(m, 1, 0), "batch"));
  int64_t lo = 99, hi = 99;
  CHECK(K.kiln_model_input_range(m, 0, &lo, &hi) == 0 && lo == 99);
  CHECK(K.kiln_model_input_range(m, 1, &lo, &hi) == 1 && lo == 0 && hi == 10);
  const char *json = K.kiln_model_signature_json(m);
  const char *want =
      "{\"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": "
      "[\"batch\", 4]}, {\"name\": \"ids\", \"dtype\": \"int64\", \"shape\": "
      "[\"batch\"], \"range\": [0, 10]}], \"outputs\": [{\"name\": \"y\", "
      "\"dtype\": \"float32\", \"shape\": [\"batch\", 4]}, {\"name\": "
      "\"count\", \"dtype\": \"int64\", \"shape\": [\"batch\"]}]}";
  CHECK(!strcmp(json, want));
  if (strcmp(json, want))
    fprintf(stderr, "  json: %s\n", json);
  CHECK(K.kiln_dtype_size(KILN_FLOAT16) == 2 &&
        K.kiln_dtype_size(KILN_INT64) == 8 &&
        K.kiln_dtype_size(KILN_BOOL) == 1 && K.kiln_dtype_size(42) == 0);
  CHECK(!strcmp(K.kiln_dtype_name(KILN_FLOAT32), "float32") &&
        !strcmp(K.kiln_dtype_name(KILN_BFLOAT16), "bfloat16") &&
        !strcmp(K.kiln_dtype_name(42), "unknown"));
}

static void test_run(kiln_model *m) {
  kiln_tensor *x, *ids, *out[2] = {0};
  make_inputs(3, 5, &x, &ids);
  CHECK(run2(m, NULL, x, ids, out) == KILN_OK);
  CHECK(outputs_ok(out, 3, 5, 1));
  CHECK(!strcmp(K.kiln_last_error(), ""));
  /* Outputs own 64-byte aligned or malloc storage; freeing them is clean
   * (checked by the sanitizer build). */
  free_all(out, 2);

  /* By name, in another order. */
  const char *names[2] = {"ids", "x"};
  CHECK(run2(m, names, ids, x, out) == KILN_OK);
  CHECK(outputs_ok(out, 3, 5, 1));
  free_all(out, 2);

  /* Wrapped, caller-owned inputs. */
  float xd[8] = {5, 4.75f, 4.5f, 4.25f, 6, 5.75f, 5.5f, 5.25f};
  int64_t idd[2] = {5, 6}, xdims[2] = {2, 4}, idims[1] = {2};
  kiln_tensor *wx, *wids;
  CHECK(K.kiln_tensor_wrap(KILN_FLOAT32, xdims, 2, xd, &wx) == KILN_OK);
  CHECK(K.kiln_tensor_wrap(KILN_INT64, idims, 1, idd, &wids) == KILN_OK);
  CHECK(run2(m, NULL, wx, wids, out) == KILN_OK);
  CHECK(outputs_ok(out, 2, 5, 1));
  free_all(out, 2);
  K.kiln_tensor_free(wx);
  K.kiln_tensor_free(wids);

  /* A zero-size batch. */
  kiln_tensor *x0, *ids0;
  make_inputs(0, 0, &x0, &ids0);
  CHECK(run2(m, NULL, x0, ids0, out) == KILN_OK);
  CHECK(outputs_ok(out, 0, 0, 1));
  CHECK(K.kiln_tensor_num_elements(out[0]) == 0);
  free_all(out, 2);
  K.kiln_tensor_free(x0);
  K.kiln_tensor_free(ids0);
  K.kiln_tensor_free(x);
  K.kiln_tensor_free(ids);
}

static void test_validation(kiln_model *m) {
  kiln_tensor *x, *ids, *out[2] = {0};
  make_inputs(2, 1, &x, &ids);
  kiln_tensor *in[2] = {x, ids};
  const kiln_status INVALID = KILN_ERROR_INVALID_ARGUMENT;

  CHECK_ERROR(K.kiln_model_run(m, NULL, in, 1, out, 2), INVALID,
              "the model has 2 inputs ('x', 'ids') but 1 were given");
  CHECK_ERROR(K.kiln_model_run(m, NULL, in, 2, out, 3), INVALID,
              "the model has 2 outputs ('y', 'count') but 3 were given");
  CHECK(out[0] == NULL && out[1] == NULL);

  kiln_tensor *bad = tensor(KILN_INT64, 2, (int64_t)2, (int64_t)4);
  CHECK_ERROR(run2(m, NULL, bad, ids, out), INVALID,
              "input 'x' has dtype int64 but the model expects float32 "
              "[batch, 4]");
  K.kiln_tensor_free(bad);

  bad = tensor(KILN_FLOAT32, 1, (int64_t)2);
  CHECK_ERROR(run2(m, NULL, bad, ids, out), INVALID,
              "input 'x' has shape [2] but the model expects [batch, 4] "
              "(rank 2, not 1)");
  K.kiln_tensor_free(bad);

  bad = tensor(KILN_FLOAT32, 2, (int64_t)2, (int64_t)5);
  CHECK_ERROR(run2(m, NULL, bad, ids, out), INVALID,
              "input 'x' has shape [2, 5] but the model expects [batch, 4]");
  K.kiln_tensor_free(bad);

  bad = tensor(KILN_INT64, 1, (int64_t)3);
  CHECK_ERROR(run2(m, NULL, x, bad, out), INVALID,
              "input 'ids' has shape [3] but the model expects [batch] with "
              "batch=2 (from 'x')");
  const char *swapped[2] = {"ids", "x"};
  CHECK_ERROR(run2(m, swapped, bad, x, out), INVALID,
              "input 'ids' has shape [3] but the model expects [batch] with "
              "batch=2 (from 'x')");
  K.kiln_tensor_free(bad);

  const char *unknown[2] = {"x", "idz"};
  CHECK_ERROR(run2(m, unknown, x, ids, out), KILN_ERROR_NOT_FOUND,
              "unknown input 'idz'; the model's inputs are 'x', 'ids'");
  const char *twice[2] = {"x", "x"};
  CHECK_ERROR(run2(m, twice, x, ids, out), INVALID, "input 'x' is given twice");
  CHECK_ERROR(run2(m, NULL, x, NULL, out), INVALID, "input tensor 1 is NULL");

  /* Token ids outside the range [0, 10). */
  int64_t *idd = K.kiln_tensor_data(ids);
  idd[1] = 10;
  CHECK_ERROR(run2(m, NULL, x, ids, out), INVALID,
              "input 'ids' has value 10 at [1], outside the model's valid "
              "range [0, 10)");
  idd[1] = -1;
  CHECK_ERROR(run2(m, NULL, x, ids, out), INVALID,
              "input 'ids' has value -1 at [1], outside the model's valid "
              "range [0, 10)");
  idd[1] = 9;
  CHECK(run2(m, NULL, x, ids, out) == KILN_OK);
  CHECK(!strcmp(K.kiln_last_error(), "")); /* Cleared by a success. */
  free_all(out, 2);

  K.kiln_tensor_free(x);
  K.kiln_tensor_free(ids);
}

/* Outputs the runtime must copy instead of adopting (fake_mode). */
static void test_output_modes(kiln_model *m, int *mode) {
  for (int md = 1; md <= 7; ++md) {
    *mode = md;
    for (int64_t batch = 0; batch <= 3; ++batch) {
      kiln_tensor *x, *ids, *out[2] = {0};
      make_inputs(batch, 2, &x, &ids);
      kiln_status st = run2(m, NULL, x, ids, out);
      if (md == 5) {
        char want[256];
        snprintf(want, sizeof want,
                 "internal error: the model returned output 'y' with shape "
                 "[%lld, 5] but its signature is [batch, 4]",
                 (long long)batch);
        CHECK_ERROR(st, KILN_ERROR_INTERNAL, want);
        CHECK(out[0] == NULL && out[1] == NULL);
      } else {
        CHECK(st == KILN_OK && outputs_ok(out, batch, 2, md == 2 ? 0 : 1));
        if (md == 2) /* count is a copy of the input, not the input. */
          CHECK(K.kiln_tensor_data(out[1]) != K.kiln_tensor_data(ids));
        free_all(out, 2);
      }
      K.kiln_tensor_free(x);
      K.kiln_tensor_free(ids);
    }
  }
  *mode = 0;
}

/* Compiled code ending a run early: a failed check, an allocation refused.
 * The run fails with the message and no outputs; the next run works. */
static void test_run_ended_early(kiln_model *m, int *mode) {
  for (int md = 8; md <= 9; ++md) {
    *mode = md;
    kiln_tensor *x, *ids, *out[2] = {0};
    make_inputs(2, 2, &x, &ids);
    kiln_status st = run2(m, NULL, x, ids, out);
    if (md == 8)
      CHECK_ERROR(st, KILN_ERROR_INVALID_ARGUMENT,
                  "node 'fake' (tfm.add): size 2 against 9");
    else
      CHECK_ERROR(st, KILN_ERROR_OUT_OF_MEMORY,
                  "out of memory: the model could not allocate "
                  "4611686018427387904 bytes for an intermediate or output "
                  "buffer");
    CHECK(out[0] == NULL && out[1] == NULL);
    *mode = 0;
    st = run2(m, NULL, x, ids, out);
    CHECK(st == KILN_OK && outputs_ok(out, 2, 2, 1));
    free_all(out, 2);
    K.kiln_tensor_free(x);
    K.kiln_tensor_free(ids);
  }
}

static void test_threads_setting(kiln_model *m) {
  kiln_tensor *x, *ids, *out[2];
  make_inputs(1, 0, &x, &ids);
  CHECK(K.kiln_model_set_num_threads(m, 3) == KILN_OK);
  CHECK(K.kiln_model_num_threads(m) == 3);
  omp_threads = 0;
  CHECK(run2(m, NULL, x, ids, out) == KILN_OK && omp_threads == 3);
  free_all(out, 2);
  CHECK_ERROR(K.kiln_model_set_num_threads(m, -2), KILN_ERROR_INVALID_ARGUMENT,
              "invalid thread count -2 (0 means the default; at most 1024)");
  CHECK_ERROR(K.kiln_model_set_num_threads(m, 100000),
              KILN_ERROR_INVALID_ARGUMENT,
              "invalid thread count 100000 (0 means the default; at most "
              "1024)");
  CHECK(K.kiln_model_set_num_threads(m, 0) == KILN_OK);
  CHECK(K.kiln_model_num_threads(m) >= 1);
  K.kiln_tensor_free(x);
  K.kiln_tensor_free(ids);

  /* KILN_NUM_THREADS sets the default, read at load. */
  setenv("KILN_NUM_THREADS", "5", 1);
  kiln_model *m5;
  CHECK(K.kiln_model_load(NULL, &m5) == KILN_OK);
  unsetenv("KILN_NUM_THREADS");
  CHECK(K.kiln_model_num_threads(m5) == 5);
  make_inputs(1, 0, &x, &ids);
  omp_threads = 0;
  CHECK(run2(m5, NULL, x, ids, out) == KILN_OK && omp_threads == 5);
  free_all(out, 2);
  CHECK(K.kiln_model_set_num_threads(m5, 2) == KILN_OK);
  CHECK(run2(m5, NULL, x, ids, out) == KILN_OK && omp_threads == 2);
  free_all(out, 2);
  K.kiln_tensor_free(x);
  K.kiln_tensor_free(ids);
  K.kiln_model_free(m5);
}

typedef struct worker {
  kiln_model *model;
  int id, ok, errors_ok, omp_ok;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  w->ok = w->errors_ok = w->omp_ok = 1;
  for (int it = 0; it < 300; ++it) {
    int64_t batch = 1 + (w->id + it) % 7;
    kiln_tensor *x, *ids, *out[2];
    make_inputs(batch, w->id * 1000 + it, &x, &ids);
    omp_threads = 0;
    if (run2(w->model, NULL, x, ids, out) != KILN_OK ||
        !outputs_ok(out, batch, w->id * 1000 + it, 1))
      w->ok = 0;
    else
      free_all(out, 2);
    if (omp_threads != 4)
      w->omp_ok = 0;
    /* An error in this thread, not clobbered by the others' runs. */
    if (it % 10 == 0) {
      kiln_tensor *in[1] = {x};
      char want[128];
      snprintf(want, sizeof want,
               "the model has 2 inputs ('x', 'ids') but %d were given", w->id);
      if (K.kiln_model_run(w->model, NULL, in, (size_t)w->id, out, 2) !=
              KILN_ERROR_INVALID_ARGUMENT ||
          strcmp(K.kiln_last_error(), want))
        w->errors_ok = 0;
    }
    K.kiln_tensor_free(x);
    K.kiln_tensor_free(ids);
  }
  return NULL;
}

static void test_concurrency(kiln_model *m) {
  enum { N = 4 };
  pthread_t threads[N];
  worker workers[N];
  CHECK(K.kiln_model_set_num_threads(m, 4) == KILN_OK);
  for (int i = 0; i < N; ++i) {
    workers[i] = (worker){m, i == 2 ? 3 : i, 0, 0, 0};
    pthread_create(&threads[i], NULL, work, &workers[i]);
  }
  for (int i = 0; i < N; ++i) {
    pthread_join(threads[i], NULL);
    CHECK(workers[i].ok);
    CHECK(workers[i].errors_ok);
    CHECK(workers[i].omp_ok);
  }
  CHECK(K.kiln_model_set_num_threads(m, 0) == KILN_OK);
}

static void test_weights_errors(void) {
  kiln_model *m = NULL;
  CHECK_ERROR(K.kiln_model_load("/nonexistent/fake.weights", &m), KILN_ERROR_IO,
              "cannot open weights file '/nonexistent/fake.weights': No such "
              "file or directory");
  CHECK(m == NULL);

  char path[8192];
  snprintf(path, sizeof path, "%s", path_in_dir("short.weights"));
  write_file(path, weights, 8);
  char want[16384];
  snprintf(want, sizeof want,
           "weights file '%s' has 8 bytes but the model needs 16 (truncated, "
           "or from another build of the model?)",
           path);
  CHECK_ERROR(K.kiln_model_load(path, &m), KILN_ERROR_IO, want);

  /* An explicit path to a good file. */
  snprintf(path, sizeof path, "%s", path_in_dir("good.weights"));
  write_file(path, weights, sizeof weights);
  CHECK(K.kiln_model_load(path, &m) == KILN_OK);
  K.kiln_model_free(m);

  /* The default path of a library without its weights file beside it. */
  api a;
  void *h;
  char lib[8192];
  snprintf(lib, sizeof lib, "%s", path_in_dir("fake_copy.so"));
  if (!load_api(lib, &a, &h)) {
    CHECK(0);
    return;
  }
  m = NULL;
  kiln_status st = a.kiln_model_load(NULL, &m);
  snprintf(want, sizeof want,
           "cannot open weights file '%s.weights' (expected beside the "
           "model): No such file or directory",
           lib);
  CHECK(st == KILN_ERROR_IO && m == NULL);
  CHECK(!strcmp(a.kiln_last_error(), want));
  if (strcmp(a.kiln_last_error(), want))
    fprintf(stderr, "  got: %s\n  want: %s\n", a.kiln_last_error(), want);
  dlclose(h);
}

static void test_scalar_model(void) {
  api a, saved = K;
  void *h;
  if (!load_api(path_in_dir("fake_scalar.so"), &a, &h)) {
    CHECK(0);
    return;
  }
  K = a;
  kiln_model *m;
  /* No weights, so no file (none exists beside it). */
  CHECK(K.kiln_model_load(NULL, &m) == KILN_OK);
  CHECK(!strcmp(K.kiln_model_input_name(m, 0), "in put"));
  CHECK(!strcmp(K.kiln_model_output_name(m, 0), "out/0:\"q\""));
  CHECK(K.kiln_model_input_rank(m, 0) == 0);
  CHECK(!strcmp(K.kiln_model_input_dim_name(m, 1, 0), "?"));
  const char *want =
      "{\"inputs\": [{\"name\": \"in put\", \"dtype\": \"float32\", "
      "\"shape\": []}, {\"name\": \"m\", \"dtype\": \"float32\", \"shape\": "
      "[\"?\", 3]}], \"outputs\": [{\"name\": \"out/0:\\\"q\\\"\", \"dtype\": "
      "\"float32\", \"shape\": []}, {\"name\": \"sum\", \"dtype\": "
      "\"float32\", \"shape\": [\"?\"]}]}";
  CHECK(!strcmp(K.kiln_model_signature_json(m), want));
  if (strcmp(K.kiln_model_signature_json(m), want))
    fprintf(stderr, "  json: %s\n", K.kiln_model_signature_json(m));

  for (int64_t rows = 0; rows <= 2; ++rows) {
    kiln_tensor *s = tensor(KILN_FLOAT32, 0);
    kiln_tensor *mt = tensor(KILN_FLOAT32, 2, rows, (int64_t)3);
    CHECK(K.kiln_tensor_num_elements(s) == 1);
    *(float *)K.kiln_tensor_data(s) = 3.5f;
    float *md = K.kiln_tensor_data(mt);
    for (int k = 0; k < rows * 3; ++k)
      md[k] = (float)k;
    kiln_tensor *out[2];
    const char *names[2] = {"m", "in put"};
    kiln_tensor *in[2] = {mt, s};
    CHECK(K.kiln_model_run(m, names, in, 2, out, 2) == KILN_OK);
    CHECK(K.kiln_tensor_rank(out[0]) == 0 &&
          K.kiln_tensor_num_elements(out[0]) == 1 &&
          *(float *)K.kiln_tensor_data(out[0]) == 7.0f);
    CHECK(K.kiln_tensor_rank(out[1]) == 1 &&
          K.kiln_tensor_dims(out[1])[0] == rows);
    const float *sd = K.kiln_tensor_data(out[1]);
    for (int64_t r = 0; r < rows; ++r)
      CHECK(sd[r] == (float)(9 * r + 3));
    free_all(out, 2);
    K.kiln_tensor_free(s);
    K.kiln_tensor_free(mt);
  }
  /* "?" dims are checked for rank only; other inputs' dims do not bind. */
  kiln_tensor *s = tensor(KILN_FLOAT32, 1, (int64_t)1);
  kiln_tensor *mt = tensor(KILN_FLOAT32, 2, (int64_t)2, (int64_t)3), *out[2];
  kiln_tensor *in[2] = {s, mt};
  CHECK_ERROR(K.kiln_model_run(m, NULL, in, 2, out, 2),
              KILN_ERROR_INVALID_ARGUMENT,
              "input 'in put' has shape [1] but the model expects [] (rank "
              "0, not 1)");
  K.kiln_tensor_free(s);
  K.kiln_tensor_free(mt);
  K.kiln_model_free(m);
  K = saved;
  dlclose(h);
}

/* Two symbolic dims shared by two inputs. */
static void test_text_model(void) {
  api a, saved = K;
  void *h;
  if (!load_api(path_in_dir("fake_text.so"), &a, &h)) {
    CHECK(0);
    return;
  }
  K = a;
  kiln_model *m;
  CHECK(K.kiln_model_load(NULL, &m) == KILN_OK);
  kiln_tensor *ids = tensor(KILN_INT64, 2, (int64_t)2, (int64_t)7);
  kiln_tensor *mask = tensor(KILN_INT64, 2, (int64_t)2, (int64_t)7), *out[1];
  int64_t *idd = K.kiln_tensor_data(ids), *md = K.kiln_tensor_data(mask);
  for (int k = 0; k < 14; ++k)
    idd[k] = 7 * k % 100, md[k] = k % 3 != 0;
  kiln_tensor *in[2] = {ids, mask};
  CHECK(K.kiln_model_run(m, NULL, in, 2, out, 1) == KILN_OK);
  const int64_t *od = K.kiln_tensor_data(out[0]);
  int ok =
      K.kiln_tensor_dims(out[0])[0] == 2 && K.kiln_tensor_dims(out[0])[1] == 7;
  for (int k = 0; ok && k < 14; ++k)
    ok = od[k] == idd[k] * md[k];
  CHECK(ok);
  free_all(out, 1);

  kiln_tensor *bad = tensor(KILN_INT64, 2, (int64_t)2, (int64_t)9);
  in[1] = bad;
  CHECK_ERROR(K.kiln_model_run(m, NULL, in, 2, out, 1),
              KILN_ERROR_INVALID_ARGUMENT,
              "input 'attention_mask' has shape [2, 9] but the model expects "
              "[batch, seq] with batch=2, seq=7 (from 'input_ids')");
  const char *names[2] = {"attention_mask", "input_ids"};
  kiln_tensor *swapped[2] = {bad, ids};
  CHECK_ERROR(K.kiln_model_run(m, names, swapped, 2, out, 1),
              KILN_ERROR_INVALID_ARGUMENT,
              "input 'attention_mask' has shape [2, 9] but the model expects "
              "[batch, seq] with batch=2, seq=7 (from 'input_ids')");
  K.kiln_tensor_free(bad);
  idd[13] = 100;
  in[1] = mask;
  CHECK_ERROR(K.kiln_model_run(m, NULL, in, 2, out, 1),
              KILN_ERROR_INVALID_ARGUMENT,
              "input 'input_ids' has value 100 at [1, 6], outside the model's "
              "valid range [0, 100)");
  K.kiln_tensor_free(ids);
  K.kiln_tensor_free(mask);
  K.kiln_model_free(m);
  K = saved;
  dlclose(h);
}

/* A decoder's cache: runs append to each sequence in place, sequences keep
 * their own lengths, and every misuse is refused with the cache unchanged. */
static float cached_logit(kiln_model *m, kiln_cache *c, size_t first,
                          int64_t batch, const int64_t *ids, int64_t step,
                          size_t row) {
  kiln_tensor *in = tensor(KILN_INT64, 2, batch, step), *out[1];
  memcpy(K.kiln_tensor_data(in), ids, sizeof(int64_t) * batch * step);
  float logit = -1;
  if (K.kiln_model_run_cached(m, c, first, NULL, &in, 1, out, 1) == KILN_OK) {
    logit = ((const float *)K.kiln_tensor_data(out[0]))[row];
    free_all(out, 1);
  } else {
    fprintf(stderr, "kiln_model_run_cached: %s\n", K.kiln_last_error());
  }
  K.kiln_tensor_free(in);
  return logit;
}

static void test_decoder_model(void) {
  api a, saved = K;
  void *h;
  if (!load_api(path_in_dir("fake_decoder.so"), &a, &h)) {
    CHECK(0);
    return;
  }
  K = a;
  kiln_model *m;
  CHECK(K.kiln_model_load(NULL, &m) == KILN_OK);
  int64_t limit = 0;
  CHECK(K.kiln_model_has_cache(m, &limit) == 1 && limit == 16);
  CHECK(K.kiln_model_num_inputs(m) == 1);
  CHECK(strstr(K.kiln_model_signature_json(m),
               "\"cache\": {\"context_limit\": 16, \"buffers\": "
               "[{\"name\": \"key_cache.0\"") != NULL);
  kiln_cache *c = NULL;
  CHECK_ERROR(K.kiln_cache_create(m, 2, 17, &c), KILN_ERROR_INVALID_ARGUMENT,
              "max_context 17 exceeds the model's context limit of 16 "
              "tokens");
  CHECK_ERROR(K.kiln_cache_create(m, 0, 8, &c), KILN_ERROR_INVALID_ARGUMENT,
              "a cache needs a batch and max_context of at least 1 (got 0 "
              "and 8)");
  CHECK(K.kiln_cache_create(m, 2, 8, &c) == KILN_OK);
  CHECK(K.kiln_cache_batch(c) == 2 && K.kiln_cache_capacity(c) == 8);

  kiln_tensor *ids = tensor(KILN_INT64, 2, (int64_t)1, (int64_t)3), *out[1];
  CHECK_ERROR(K.kiln_model_run(m, NULL, &ids, 1, out, 1),
              KILN_ERROR_INVALID_ARGUMENT,
              "the model is a decoder with a KV cache: run it with "
              "kiln_model_run_cached on a cache from kiln_cache_create");
  K.kiln_tensor_free(ids);

  /* Prompts of their own lengths, then one step for both. */
  int64_t prompt0[3] = {1, 2, 3}, prompt1[1] = {5}, step[2] = {4, 6};
  CHECK(cached_logit(m, c, 0, 1, prompt0, 3, 0) == 6);
  CHECK(cached_logit(m, c, 1, 1, prompt1, 1, 0) == 5);
  CHECK(cached_logit(m, c, 0, 2, step, 1, 0) == 10);
  CHECK(K.kiln_cache_length(c, 0) == 4 && K.kiln_cache_length(c, 1) == 2);
  CHECK(cached_logit(m, c, 0, 2, step, 1, 1) == 17);

  /* Past the capacity or the batch: refused, nothing appended. */
  int64_t many[4] = {1, 1, 1, 1};
  kiln_tensor *in = tensor(KILN_INT64, 2, (int64_t)1, (int64_t)4);
  memcpy(K.kiln_tensor_data(in), many, sizeof many);
  CHECK_ERROR(K.kiln_model_run_cached(m, c, 0, NULL, &in, 1, out, 1),
              KILN_ERROR_INVALID_ARGUMENT,
              "sequence 0 holds 5 tokens and 4 more would pass the cache's "
              "capacity of 8 (kiln_cache_create's max_context)");
  CHECK_ERROR(K.kiln_model_run_cached(m, c, 2, NULL, &in, 1, out, 1),
              KILN_ERROR_INVALID_ARGUMENT,
              "sequences [2, 3) are past the cache's batch of 2");
  CHECK(K.kiln_cache_length(c, 0) == 5);

  /* Truncation rewinds; it never grows a sequence. */
  CHECK_ERROR(K.kiln_cache_truncate(c, 1, 4), KILN_ERROR_INVALID_ARGUMENT,
              "sequence 1 holds 3 tokens; it cannot grow to 4 by "
              "truncation");
  CHECK(K.kiln_cache_truncate(c, 0, 2) == KILN_OK);
  CHECK(cached_logit(m, c, 0, 1, many, 4, 0) == 7);
  CHECK(K.kiln_cache_length(c, 0) == 6);

  kiln_cache *other = NULL;
  kiln_model *m2;
  CHECK(K.kiln_model_load(NULL, &m2) == KILN_OK);
  CHECK(K.kiln_cache_create(m2, 1, 4, &other) == KILN_OK);
  CHECK_ERROR(K.kiln_model_run_cached(m, other, 0, NULL, &in, 1, out, 1),
              KILN_ERROR_INVALID_ARGUMENT,
              "the cache was created for another model");
  K.kiln_cache_free(other);
  K.kiln_model_free(m2);
  K.kiln_tensor_free(in);
  K.kiln_cache_free(c);
  K.kiln_cache_free(NULL);
  K.kiln_model_free(m);
  K = saved;
  dlclose(h);
}

static void test_tensors(void) {
  kiln_tensor *t = NULL;
  int64_t dims[3] = {2, 3, 5};
  CHECK(K.kiln_tensor_create(KILN_FLOAT16, dims, 3, &t) == KILN_OK);
  CHECK(K.kiln_tensor_num_elements(t) == 30 && K.kiln_tensor_rank(t) == 3);
  CHECK(((uintptr_t)K.kiln_tensor_data(t) & 63) == 0);
  const unsigned char *bytes = K.kiln_tensor_data(t);
  int zero = 1;
  for (int k = 0; k < 60; ++k)
    zero &= bytes[k] == 0;
  CHECK(zero);
  K.kiln_tensor_free(t);
  int64_t empty[2] = {4, 0};
  CHECK(K.kiln_tensor_create(KILN_BOOL, empty, 2, &t) == KILN_OK);
  CHECK(K.kiln_tensor_num_elements(t) == 0 && K.kiln_tensor_data(t));
  K.kiln_tensor_free(t);
  CHECK(K.kiln_tensor_wrap(KILN_INT8, empty, 2, NULL, &t) == KILN_OK);
  K.kiln_tensor_free(t);
  CHECK_ERROR(K.kiln_tensor_wrap(KILN_INT8, dims, 2, NULL, &t),
              KILN_ERROR_INVALID_ARGUMENT,
              "kiln_tensor_wrap: data is NULL for 6 bytes");
  int64_t negative[1] = {-1};
  CHECK_ERROR(K.kiln_tensor_create(KILN_INT32, negative, 1, &t),
              KILN_ERROR_INVALID_ARGUMENT,
              "invalid tensor dims (negative or too large)");
  CHECK_ERROR(K.kiln_tensor_create((kiln_dtype)42, dims, 1, &t),
              KILN_ERROR_INVALID_ARGUMENT, "unknown dtype 42");
  K.kiln_tensor_free(NULL);
  K.kiln_model_free(NULL);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR (holding the fake model libraries)\n",
            argv[0]);
    return 2;
  }
  snprintf(dir, sizeof dir, "%s", argv[1]);
  write_file(path_in_dir("fake.so.weights"), weights, sizeof weights);

  void *h;
  if (!load_api(path_in_dir("fake.so"), &K, &h))
    return 1;
  int *mode = dlsym(h, "fake_mode");
  /* The compiler-emitted symbols are hidden, the runtime's internals too. */
  CHECK(mode != NULL);
  CHECK(dlsym(h, "kiln_model_invoke") == NULL);
  CHECK(dlsym(h, "kiln_model_manifest") == NULL);
  CHECK(dlsym(h, "dtype_size") == NULL);

  kiln_model *m = NULL;
  kiln_status st = K.kiln_model_load(NULL, &m);
  CHECK(st == KILN_OK);
  if (st != KILN_OK) {
    fprintf(stderr, "kiln_model_load: %s\n", K.kiln_last_error());
    return 1;
  }
  test_signature(m);
  test_run(m);
  test_validation(m);
  if (mode) {
    test_output_modes(m, mode);
    test_run_ended_early(m, mode);
  }
  test_threads_setting(m);
  test_concurrency(m);
  test_weights_errors();
  test_scalar_model();
  test_text_model();
  test_decoder_model();
  test_tensors();
  K.kiln_model_free(m);
  dlclose(h);

  printf("runtime: %d passed, %d failed\n", passed, failed);
  return failed != 0;
}
