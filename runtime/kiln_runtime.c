/*===- kiln_runtime.c - the runtime of a kiln model library --------*- C -*-===*
 *
 * Part of kiln. Implements kiln_runtime.h on top of what the compiler emits
 * (kiln_model_abi.h): parses the manifest, maps the weights file, validates
 * inputs, builds memref descriptors and calls kiln_model_invoke.
 *
 * Built once into libkiln_runtime.a (C11, -fPIC, -fvisibility=hidden) and
 * linked whole into every model library, so only KILN_API symbols are
 * exported. Depends on libc only; OpenMP's omp_set_num_threads is used when
 * the library is linked with an OpenMP runtime (weak reference).
 *
 *===----------------------------------------------------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr, sched_getaffinity */
#endif

#include "kiln_runtime.h"
#include "cuda_driver.h"
#include "run_guard.h"
#include "scratch_arena.h"
#include "kiln_model_abi.h"
#include "ukernels/ukernels.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(sizeof(void *) == sizeof(int64_t),
               "memref descriptors assume 64-bit pointers");

/* Present when the model library is linked with an OpenMP runtime. */
extern void omp_set_num_threads(int)
    __attribute__((weak, visibility("default")));

/* Present in GPU model libraries: loads the kernels (kiln_model_abi.h). */
extern void kiln_model_device_init(void)
    __attribute__((weak, visibility("hidden")));

/*--- Errors and strings ---------------------------------------------------*/

static _Thread_local char last_error[2048];

static void clear_error(void) { last_error[0] = '\0'; }

/* Records a message for kiln_last_error and returns `status`. */
__attribute__((format(printf, 2, 3))) static kiln_status
fail(kiln_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  if (n >= (int)sizeof last_error)
    memcpy(last_error + sizeof last_error - 4, "...", 4);
  return status;
}

/* A growable string; on allocation failure it keeps what fits and sets
 * `failed`, so message formatting never needs error checks. */
typedef struct strbuf {
  char *data;
  size_t len, cap;
  int failed;
} strbuf;

__attribute__((format(printf, 2, 3))) static void
sb_printf(strbuf *sb, const char *fmt, ...) {
  if (sb->failed)
    return;
  for (;;) {
    size_t room = sb->cap - sb->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(room ? sb->data + sb->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
      sb->failed = 1;
      return;
    }
    if ((size_t)n < room) {
      sb->len += (size_t)n;
      return;
    }
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap - sb->len <= (size_t)n)
      cap *= 2;
    char *data = realloc(sb->data, cap);
    if (!data) {
      sb->failed = 1;
      return;
    }
    sb->data = data;
    sb->cap = cap;
  }
}

static const char *sb_str(const strbuf *sb) { return sb->data ? sb->data : ""; }

/* Appends `s` as a JSON string literal. */
static void sb_json_string(strbuf *sb, const char *s) {
  sb_printf(sb, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; ++p) {
    if (*p == '"' || *p == '\\')
      sb_printf(sb, "\\%c", *p);
    else if (*p < 0x20)
      sb_printf(sb, "\\u%04x", *p);
    else
      sb_printf(sb, "%c", *p);
  }
  sb_printf(sb, "\"");
}

static const char *dtype_name(kiln_dtype dtype) {
  switch (dtype) {
  case KILN_FLOAT32:
    return "float32";
  case KILN_UINT8:
    return "uint8";
  case KILN_INT8:
    return "int8";
  case KILN_INT32:
    return "int32";
  case KILN_INT64:
    return "int64";
  case KILN_BOOL:
    return "bool";
  case KILN_FLOAT16:
    return "float16";
  case KILN_FLOAT64:
    return "float64";
  case KILN_BFLOAT16:
    return "bfloat16";
  }
  return "unknown";
}

KILN_API const char *kiln_last_error(void) { return last_error; }

/* Internal code calls static functions only, never a KILN_API one: when
 * several model libraries share a process with RTLD_GLOBAL, an exported
 * symbol may resolve to another library's copy of the runtime. */
static size_t dtype_size(kiln_dtype dtype) {
  switch (dtype) {
  case KILN_UINT8:
  case KILN_INT8:
  case KILN_BOOL:
    return 1;
  case KILN_FLOAT16:
  case KILN_BFLOAT16:
    return 2;
  case KILN_FLOAT32:
  case KILN_INT32:
    return 4;
  case KILN_INT64:
  case KILN_FLOAT64:
    return 8;
  }
  return 0;
}

KILN_API size_t kiln_dtype_size(kiln_dtype dtype) { return dtype_size(dtype); }

KILN_API const char *kiln_dtype_name(kiln_dtype dtype) {
  return dtype_name(dtype);
}

/* Elements of `dims` and their bytes; 0 on overflow or a negative dim. */
static int count_elements(const int64_t *dims, size_t rank, size_t elem_size,
                          size_t *out_elements, size_t *out_bytes) {
  size_t n = 1, bytes;
  for (size_t d = 0; d < rank; ++d)
    if (dims[d] < 0 || __builtin_mul_overflow(n, (size_t)dims[d], &n))
      return 0;
  if (__builtin_mul_overflow(n, elem_size, &bytes) || bytes > PTRDIFF_MAX)
    return 0;
  *out_elements = n;
  *out_bytes = bytes;
  return 1;
}

/*--- Tensors --------------------------------------------------------------*/

struct kiln_tensor {
  kiln_dtype dtype;
  size_t rank;
  size_t num_elements;
  void *data;  /* The first element.                              */
  void *owned; /* What kiln_tensor_free frees (NULL when wrapped). */
  int64_t dims[];
};

/* A tensor header for dims; data and owned left NULL. */
static kiln_status new_tensor(kiln_dtype dtype, const int64_t *dims,
                              size_t rank, size_t *out_bytes,
                              kiln_tensor **out_tensor) {
  size_t elem_size = dtype_size(dtype), n = 0;
  if (elem_size == 0)
    return fail(KILN_ERROR_INVALID_ARGUMENT, "unknown dtype %d", (int)dtype);
  if (rank && !dims)
    return fail(KILN_ERROR_INVALID_ARGUMENT, "dims is NULL for rank %zu", rank);
  if (!count_elements(dims, rank, elem_size, &n, out_bytes))
    return fail(KILN_ERROR_INVALID_ARGUMENT,
                "invalid tensor dims (negative or too large)");
  kiln_tensor *t = malloc(sizeof *t + rank * sizeof(int64_t));
  if (!t)
    return fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
  t->dtype = dtype;
  t->rank = rank;
  t->num_elements = n;
  t->data = t->owned = NULL;
  if (rank)
    memcpy(t->dims, dims, rank * sizeof(int64_t));
  *out_tensor = t;
  return KILN_OK;
}

static kiln_status create_tensor(kiln_dtype dtype, const int64_t *dims,
                                 size_t rank, kiln_tensor **out_tensor) {
  size_t bytes = 0;
  kiln_tensor *t = NULL;
  kiln_status st = new_tensor(dtype, dims, rank, &bytes, &t);
  if (st != KILN_OK)
    return st;
  /* Never empty, so data is never NULL; a multiple of 64 bytes. */
  size_t alloc = bytes ? (bytes + 63) & ~(size_t)63 : 64;
  if (alloc < bytes || !(t->data = kiln_scratch_alloc(alloc, 64))) {
    free(t);
    return fail(KILN_ERROR_OUT_OF_MEMORY,
                "out of memory allocating a tensor of %zu bytes", bytes);
  }
  memset(t->data, 0, alloc);
  t->owned = t->data;
  *out_tensor = t;
  return KILN_OK;
}

KILN_API kiln_status kiln_tensor_create(kiln_dtype dtype, const int64_t *dims,
                                        size_t rank, kiln_tensor **out_tensor) {
  clear_error();
  if (!out_tensor)
    return fail(KILN_ERROR_INVALID_ARGUMENT, "out_tensor is NULL");
  return create_tensor(dtype, dims, rank, out_tensor);
}

KILN_API kiln_status kiln_tensor_wrap(kiln_dtype dtype, const int64_t *dims,
                                      size_t rank, void *data,
                                      kiln_tensor **out_tensor) {
  clear_error();
  if (!out_tensor)
    return fail(KILN_ERROR_INVALID_ARGUMENT, "out_tensor is NULL");
  size_t bytes = 0;
  kiln_tensor *t = NULL;
  kiln_status st = new_tensor(dtype, dims, rank, &bytes, &t);
  if (st != KILN_OK)
    return st;
  if (!data && bytes) {
    free(t);
    return fail(KILN_ERROR_INVALID_ARGUMENT,
                "kiln_tensor_wrap: data is NULL for %zu bytes", bytes);
  }
  t->data = data;
  *out_tensor = t;
  return KILN_OK;
}

static void tensor_free(kiln_tensor *tensor) {
  if (!tensor)
    return;
  kiln_scratch_free(tensor->owned); /* Created or adopted: both pooled. */
  free(tensor);
}

KILN_API void kiln_tensor_free(kiln_tensor *tensor) { tensor_free(tensor); }

/* The getters are total: a NULL tensor reads as 0 / NULL. */
KILN_API kiln_dtype kiln_tensor_dtype(const kiln_tensor *t) {
  return t ? t->dtype : (kiln_dtype)0;
}
KILN_API size_t kiln_tensor_rank(const kiln_tensor *t) {
  return t ? t->rank : 0;
}
KILN_API const int64_t *kiln_tensor_dims(const kiln_tensor *t) {
  return t ? t->dims : NULL;
}
KILN_API size_t kiln_tensor_num_elements(const kiln_tensor *t) {
  return t ? t->num_elements : 0;
}
KILN_API void *kiln_tensor_data(kiln_tensor *t) { return t ? t->data : NULL; }

/*--- The model ------------------------------------------------------------*/

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
  void *map;            /* The weights file, read-only; NULL if unneeded. */
  size_t map_size;
  /* Where weight descriptors point: the mapping, or its copy in GPU
   * memory (the mapping is then released). */
  char *weights_base;
  size_t weights_size;
  int64_t **weight_descs; /* A memref descriptor per weight.              */
  size_t input_desc_words, output_desc_words; /* Summed over all values.  */
  char *json;
  int default_threads;
  atomic_int num_threads; /* 0: default_threads.                        */
};

static void free_value(value_info *v) {
  if (v->dim_names)
    for (size_t d = 0; d < v->rank; ++d)
      free(v->dim_names[d]);
  free(v->name);
  free(v->dims);
  free(v->dim_names);
  free(v->dim_syms);
}

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

/*--- Manifest parsing -----------------------------------------------------*/

typedef struct parser {
  kiln_model *model;
  size_t line; /* 1-based number of the line being parsed. */
  char **tok;  /* Its tokens.                              */
  size_t num_tok;
} parser;

__attribute__((format(printf, 2, 3))) static kiln_status
malformed(const parser *p, const char *fmt, ...) {
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return fail(KILN_ERROR_INTERNAL, "malformed model manifest (line %zu): %s",
              p->line, what);
}

static int parse_int(const char *s, int64_t *out) {
  if (!*s)
    return 0;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end)
    return 0;
  *out = v;
  return 1;
}

static int is_decimal(const char *s) {
  if (!*s)
    return 0;
  for (; *s; ++s)
    if (*s < '0' || *s > '9')
      return 0;
  return 1;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* A malloc'ed percent-decoding of `s`, or NULL (error set). */
static char *decode_name(const parser *p, const char *s) {
  char *out = malloc(strlen(s) + 1), *o = out;
  if (!out) {
    fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
    return NULL;
  }
  for (; *s; ++s) {
    if (*s != '%') {
      *o++ = *s;
      continue;
    }
    int hi = hex_digit(s[1]), lo = hi < 0 ? -1 : hex_digit(s[2]);
    if (lo < 0 || (hi == 0 && lo == 0)) {
      free(out);
      malformed(p, "bad percent-encoding in '%s'", s);
      return NULL;
    }
    *o++ = (char)(hi * 16 + lo);
    s += 2;
  }
  *o = '\0';
  return out;
}

static kiln_status parse_dtype(const parser *p, const char *s,
                               kiln_dtype *out) {
  int64_t v;
  if (!parse_int(s, &v) || v < 0 || v > INT_MAX ||
      dtype_size((kiln_dtype)v) == 0)
    return malformed(p, "unknown dtype '%s'", s);
  *out = (kiln_dtype)v;
  return KILN_OK;
}

/* Parses RANK and RANK dims starting at token *at, advancing it. */
static kiln_status parse_dims(parser *p, size_t *at, value_info *v,
                              int symbolic) {
  int64_t rank;
  if (*at >= p->num_tok || !parse_int(p->tok[*at], &rank) || rank < 0 ||
      (uint64_t)rank > p->num_tok - *at - 1)
    return malformed(p, "bad rank or missing dims");
  ++*at;
  v->rank = (size_t)rank;
  size_t n = v->rank ? v->rank : 1;
  v->dims = calloc(n, sizeof *v->dims);
  v->dim_names = calloc(n, sizeof *v->dim_names);
  v->dim_syms = calloc(n, sizeof *v->dim_syms);
  if (!v->dims || !v->dim_names || !v->dim_syms)
    return fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
  for (size_t d = 0; d < v->rank; ++d, ++*at) {
    const char *s = p->tok[*at];
    v->dim_syms[d] = -1;
    if (is_decimal(s)) {
      if (!parse_int(s, &v->dims[d]))
        return malformed(p, "dim '%s' is too large", s);
      continue;
    }
    if (!symbolic)
      return malformed(p, "a weight has dynamic dim '%s'", s);
    v->dims[d] = -1;
    if (!(v->dim_names[d] = decode_name(p, s)))
      return KILN_ERROR_INTERNAL;
  }
  return KILN_OK;
}

/* The index of symbolic dim `name` among the model's, added if new. */
static int intern_sym(kiln_model *m, const char *name) {
  for (size_t i = 0; i < m->num_syms; ++i)
    if (!strcmp(m->syms[i], name))
      return (int)i;
  char *copy = strdup(name);
  if (!copy)
    return -1;
  m->syms[m->num_syms] = copy;
  return (int)m->num_syms++;
}

static kiln_status parse_value(parser *p, value_info *v, int is_input) {
  kiln_model *m = p->model;
  if (p->num_tok < 4)
    return malformed(p, "expected '%s NAME DTYPE RANK DIM...'", p->tok[0]);
  if (!(v->name = decode_name(p, p->tok[1])))
    return KILN_ERROR_INTERNAL;
  kiln_status st = parse_dtype(p, p->tok[2], &v->dtype);
  size_t at = 3;
  if (st == KILN_OK)
    st = parse_dims(p, &at, v, 1);
  if (st != KILN_OK)
    return st;
  if (is_input)
    for (size_t d = 0; d < v->rank; ++d)
      if (v->dim_names[d] && strcmp(v->dim_names[d], "?") &&
          (v->dim_syms[d] = intern_sym(m, v->dim_names[d])) < 0)
        return fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
  if (is_input && at < p->num_tok && !strcmp(p->tok[at], "range")) {
    if (at + 3 != p->num_tok || !parse_int(p->tok[at + 1], &v->lo) ||
        !parse_int(p->tok[at + 2], &v->hi) || v->lo >= v->hi)
      return malformed(p, "expected 'range LO HI' with LO < HI");
    if (v->dtype != KILN_INT64 && v->dtype != KILN_INT32 &&
        v->dtype != KILN_INT8 && v->dtype != KILN_UINT8)
      return malformed(p, "a range on %s input '%s'", dtype_name(v->dtype),
                       v->name);
    v->has_range = 1;
    at = p->num_tok;
  }
  if (at != p->num_tok)
    return malformed(p, "unexpected '%s'", p->tok[at]);
  size_t words = 3 + 2 * v->rank;
  if (is_input)
    m->input_desc_words += words;
  else
    m->output_desc_words += words;
  return KILN_OK;
}

static kiln_status parse_weight(parser *p, weight_info *w) {
  kiln_model *m = p->model;
  int64_t offset = 0, bytes = 0;
  if (p->num_tok < 5)
    return malformed(p, "expected 'weight DTYPE OFFSET BYTES RANK DIM...'");
  kiln_status st = parse_dtype(p, p->tok[1], &w->dtype);
  if (st != KILN_OK)
    return st;
  if (!parse_int(p->tok[2], &offset) || offset < 0 || offset % 64 ||
      !parse_int(p->tok[3], &bytes) || bytes < 0 || offset > INT64_MAX - bytes)
    return malformed(p, "bad weight OFFSET (a multiple of 64) or BYTES");
  value_info v = {0};
  size_t at = 4;
  st = parse_dims(p, &at, &v, 0);
  w->rank = v.rank;
  w->dims = v.dims;
  v.dims = NULL;
  free_value(&v);
  if (st != KILN_OK)
    return st;
  if (at != p->num_tok)
    return malformed(p, "unexpected '%s'", p->tok[at]);
  size_t n = 0, expected = 0;
  if (!count_elements(w->dims, w->rank, dtype_size(w->dtype), &n, &expected) ||
      expected != (uint64_t)bytes)
    return malformed(p, "weight of %lld bytes does not match its dims",
                     (long long)bytes);
  w->offset = (uint64_t)offset;
  w->bytes = (uint64_t)bytes;
  if (w->bytes && w->offset + w->bytes > m->weights_end)
    m->weights_end = w->offset + w->bytes; /* Empty ones need no bytes. */
  return KILN_OK;
}

/* Splits `line` in place at spaces; returns the token count. */
static size_t tokenize(char *line, char **tok) {
  size_t n = 0;
  char *save;
  for (char *s = strtok_r(line, " \t\r", &save); s;
       s = strtok_r(NULL, " \t\r", &save))
    tok[n++] = s;
  return n;
}

static kiln_status parse_manifest(kiln_model *m) {
  char *text = strdup(kiln_model_manifest);
  /* A line has at most (length + 1) / 2 tokens. */
  char **tok = malloc((strlen(kiln_model_manifest) / 2 + 2) * sizeof *tok);
  if (!text || !tok) {
    free(text);
    free(tok);
    return fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  /* Counts records first, to allocate the tables. */
  for (const char *s = text, *nl; s; s = nl ? nl + 1 : NULL) {
    nl = strchr(s, '\n');
    s += strspn(s, " \t\r");
    size_t len = strcspn(s, " \t\r\n");
    if (len == 5 && !strncmp(s, "input", 5))
      ++m->num_inputs;
    else if (len == 6 && !strncmp(s, "output", 6))
      ++m->num_outputs;
    else if (len == 6 && !strncmp(s, "weight", 6))
      ++m->num_weights;
  }
  m->inputs = calloc(m->num_inputs + 1, sizeof *m->inputs);
  m->outputs = calloc(m->num_outputs + 1, sizeof *m->outputs);
  m->weights = calloc(m->num_weights + 1, sizeof *m->weights);
  /* There are fewer distinct symbolic dims than tokens. */
  m->syms = calloc(strlen(text) / 2 + 2, sizeof *m->syms);
  kiln_status st = KILN_OK;
  if (!m->inputs || !m->outputs || !m->weights || !m->syms)
    st = fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");

  parser p = {m, 0, tok, 0};
  size_t ni = 0, no = 0, nw = 0;
  int seen_header = 0;
  for (char *line = text, *next; st == KILN_OK && line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    ++p.line;
    p.num_tok = tokenize(line, tok);
    if (p.num_tok == 0)
      continue;
    if (!seen_header) {
      if (p.num_tok != 2 || strcmp(tok[0], "kiln-manifest"))
        st = malformed(&p, "expected 'kiln-manifest 1'");
      else if (strcmp(tok[1], "1"))
        st = fail(KILN_ERROR_INTERNAL,
                  "model manifest version %s is not supported by this "
                  "runtime (version 1); rebuild the model",
                  tok[1]);
      seen_header = 1;
    } else if (!strcmp(tok[0], "input") && ni < m->num_inputs) {
      st = parse_value(&p, &m->inputs[ni++], 1);
    } else if (!strcmp(tok[0], "output") && no < m->num_outputs) {
      st = parse_value(&p, &m->outputs[no++], 0);
    } else if (!strcmp(tok[0], "weight") && nw < m->num_weights) {
      st = parse_weight(&p, &m->weights[nw++]);
    } else if (!strcmp(tok[0], "weights-file")) {
      int64_t bytes = 0;
      char *end = NULL;
      unsigned long long id =
          p.num_tok == 3 ? strtoull(tok[2], &end, 16) : 0;
      if (p.num_tok != 3 || !parse_int(tok[1], &bytes) || bytes < 0 ||
          !end || *end || strlen(tok[2]) != 16)
        st = malformed(&p, "expected 'weights-file BYTES ID'");
      m->has_weights_id = 1;
      m->weights_bytes = (uint64_t)bytes;
      m->weights_id = id;
    } else if (!strcmp(tok[0], "device")) {
      if (p.num_tok != 2 || strcmp(tok[1], "cuda"))
        st = malformed(&p, "unknown device '%s'",
                       p.num_tok > 1 ? tok[1] : "");
      m->on_gpu = 1;
    } else if (!strcmp(tok[0], "requires")) {
      for (size_t i = 1; st == KILN_OK && i < p.num_tok; ++i) {
        const char *missing = kiln_cpu_missing_feature(tok[i]);
        if (missing && !strcmp(missing, "unknown"))
          st = fail(KILN_ERROR_UNSUPPORTED_CPU,
                    "the model needs the CPU feature '%s', which this "
                    "runtime cannot check; rebuild the model",
                    tok[i]);
        else if (missing)
          st = fail(KILN_ERROR_UNSUPPORTED_CPU,
                    "the model was compiled for CPUs with %s, which this "
                    "CPU lacks; recompile it for this machine (kiln compile "
                    "--mcpu=native) or for a CPU it has (e.g. "
                    "--mcpu=x86-64-v3)",
                    missing);
      }
    } else {
      st = malformed(&p, "unknown record '%s'", tok[0]);
    }
  }
  if (st == KILN_OK && !seen_header)
    st = fail(KILN_ERROR_INTERNAL, "the model manifest is empty");
  if (st == KILN_OK &&
      (ni != m->num_inputs || no != m->num_outputs || nw != m->num_weights))
    st = fail(KILN_ERROR_INTERNAL, "malformed model manifest: stray records");
  /* Partly parsed tables are freed up to the counts: all were zeroed. */
  free(text);
  free(tok);
  return st;
}

/*--- Weights --------------------------------------------------------------*/

static void library_anchor(void) {}

/* "<path of this library>.weights", malloc'ed; NULL with the error set. */
static char *default_weights_path(void) {
  Dl_info info;
  char exe[PATH_MAX];
  const char *lib = NULL;
  if (dladdr((const void *)(uintptr_t)&library_anchor, &info) &&
      info.dli_fname && info.dli_fname[0])
    lib = info.dli_fname;
  if (!lib) { /* Linked into the executable itself. */
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
      fail(KILN_ERROR_IO, "cannot find the path of the model library; "
                          "pass the weights path to kiln_model_load");
      return NULL;
    }
    exe[n] = '\0';
    lib = exe;
  }
  size_t len = strlen(lib);
  char *path = malloc(len + sizeof ".weights");
  if (!path) {
    fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
    return NULL;
  }
  memcpy(path, lib, len);
  memcpy(path + len, ".weights", sizeof ".weights");
  return path;
}

/* The trailer kiln writes after the weights (kiln_model_abi.h): the same
 * data size and id as the library's manifest, or the file belongs to
 * another build. */
static kiln_status check_weights_trailer(const kiln_model *m,
                                         const char *path) {
  const unsigned char *t = (const unsigned char *)m->map + m->weights_bytes;
  uint64_t bytes = 0, id = 0;
  for (int i = 7; i >= 0; --i) {
    bytes = bytes << 8 | t[8 + i];
    id = id << 8 | t[16 + i];
  }
  if (memcmp(t, "KILNWTS1", 8) || bytes != m->weights_bytes)
    return fail(KILN_ERROR_IO,
                "'%s' is not a kiln weights file (no kiln trailer at byte "
                "%llu)",
                path, (unsigned long long)m->weights_bytes);
  if (id != m->weights_id)
    return fail(KILN_ERROR_IO,
                "weights file '%s' belongs to another build of the model "
                "(its id %016llx, the library's %016llx): use the weights "
                "file compiled with this library",
                path, (unsigned long long)id,
                (unsigned long long)m->weights_id);
  return KILN_OK;
}

static kiln_status map_weights(kiln_model *m, const char *weights_path) {
  if (m->weights_end == 0)
    return KILN_OK; /* No weights, or only empty ones: no file needed. */
  char *path = weights_path ? strdup(weights_path) : default_weights_path();
  if (!path)
    return weights_path ? fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory")
                        : (kiln_status)KILN_ERROR_IO;
  const char *where = weights_path ? "" : " (expected beside the model)";
  kiln_status st = KILN_OK;
  struct stat sb;
  /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    st = fail(KILN_ERROR_IO, "cannot open weights file '%s'%s: %s", path, where,
              strerror(errno));
  } else if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    st = fail(KILN_ERROR_IO, "weights file '%s' is not a regular file", path);
  } else if (m->has_weights_id &&
             (uint64_t)sb.st_size !=
                 m->weights_bytes + KILN_WEIGHTS_TRAILER_BYTES) {
    st = fail(KILN_ERROR_IO,
              "weights file '%s' has %lld bytes but this model's has %llu "
              "(truncated, or from another build of the model?)",
              path, (long long)sb.st_size,
              (unsigned long long)(m->weights_bytes +
                                   KILN_WEIGHTS_TRAILER_BYTES));
  } else if ((uint64_t)sb.st_size < m->weights_end) {
    st = fail(KILN_ERROR_IO,
              "weights file '%s' has %lld bytes but the model needs %llu "
              "(truncated, or from another build of the model?)",
              path, (long long)sb.st_size, (unsigned long long)m->weights_end);
  } else {
    m->map_size = (size_t)sb.st_size;
    m->map = mmap(NULL, m->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m->map == MAP_FAILED) {
      m->map = NULL;
      st = fail(KILN_ERROR_IO, "cannot map weights file '%s': %s", path,
                strerror(errno));
    } else if (m->has_weights_id) {
      st = check_weights_trailer(m, path);
    }
  }
  if (fd >= 0)
    close(fd);
  free(path);
  return st;
}

/* Row-major strides of `sizes` into strides[rank]. */
static void row_major_strides(const int64_t *sizes, size_t rank,
                              int64_t *strides) {
  int64_t stride = 1;
  for (size_t d = rank; d-- > 0;) {
    strides[d] = stride;
    stride *= sizes[d] > 0 ? sizes[d] : 1;
  }
}

/* Fills a memref descriptor at `desc` for contiguous `data`. */
static void fill_descriptor(int64_t *desc, void *data, const int64_t *sizes,
                            size_t rank) {
  memcpy(&desc[0], &data, sizeof data); /* allocated */
  memcpy(&desc[1], &data, sizeof data); /* aligned   */
  desc[2] = 0;                          /* offset    */
  if (rank)
    memcpy(&desc[3], sizes, rank * sizeof *sizes);
  row_major_strides(sizes, rank, &desc[3 + rank]);
}

static kiln_status build_weight_descriptors(kiln_model *m) {
  m->weight_descs = calloc(m->num_weights + 1, sizeof *m->weight_descs);
  if (!m->weight_descs)
    return fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < m->num_weights; ++i) {
    const weight_info *w = &m->weights[i];
    if (!(m->weight_descs[i] = malloc((3 + 2 * w->rank) * sizeof(int64_t))))
      return fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
    void *data = m->weights_base && w->bytes ? m->weights_base + w->offset
                                             : m->weights_base;
    fill_descriptor(m->weight_descs[i], data, w->dims, w->rank);
  }
  return KILN_OK;
}

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

static kiln_status start_device(void) {
  if (kiln_cuda_init() != 0)
    return device_error("this model library runs on an NVIDIA GPU, but "
                        "CUDA is not available");
  pthread_once(&device_once, load_kernels);
  if (device_init_error[0])
    return fail(KILN_ERROR_DEVICE, "%s", device_init_error);
  return KILN_OK;
}

/* Copies the weights into GPU memory once, and drops the mapping. */
static kiln_status upload_weights(kiln_model *m) {
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
  sb_printf(&sb, "]}");
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

static int resolved_threads(const kiln_model *m) {
  int n = atomic_load(&m->num_threads);
  return n ? n : m->default_threads;
}

KILN_API int kiln_model_num_threads(const kiln_model *m) {
  return m ? resolved_threads(m) : 0;
}

/*--- Running --------------------------------------------------------------*/

static void sb_shape(strbuf *sb, const int64_t *dims, size_t rank) {
  sb_printf(sb, "[");
  for (size_t d = 0; d < rank; ++d)
    sb_printf(sb, "%s%lld", d ? ", " : "", (long long)dims[d]);
  sb_printf(sb, "]");
}

static void sb_expected_shape(strbuf *sb, const value_info *v) {
  sb_printf(sb, "[");
  for (size_t d = 0; d < v->rank; ++d) {
    if (v->dim_names[d])
      sb_printf(sb, "%s%s", d ? ", " : "", v->dim_names[d]);
    else
      sb_printf(sb, "%s%lld", d ? ", " : "", (long long)v->dims[d]);
  }
  sb_printf(sb, "]");
}

/* Per-run state: the values bound to symbolic dims so far. */
typedef struct run_state {
  const kiln_model *model;
  kiln_tensor *const *tensors; /* In signature order. */
  int64_t *sym_value;          /* -1 while unbound.   */
  size_t *sym_source;          /* The input binding it. */
} run_state;

/* "input 'x' has shape [..] but the model expects [..]" and, when
 * `with_bindings`, the values bound to its symbolic dims by then. */
static kiln_status shape_error(const run_state *rs, size_t j, int with_bindings,
                               const char *extra) {
  const value_info *v = &rs->model->inputs[j];
  const kiln_tensor *t = rs->tensors[j];
  strbuf sb = {0};
  sb_printf(&sb, "input '%s' has shape ", v->name);
  sb_shape(&sb, t->dims, t->rank);
  sb_printf(&sb, " but the model expects ");
  sb_expected_shape(&sb, v);
  sb_printf(&sb, "%s", extra);
  if (with_bindings) {
    /* Each bound name once, with the input(s) that bound them. */
    size_t first_source = (size_t)-1, count = 0;
    int one_source = 1;
    for (size_t d = 0; d < v->rank; ++d) {
      int s = v->dim_syms[d];
      if (s < 0 || rs->sym_value[s] < 0)
        continue;
      int seen = 0;
      for (size_t e = 0; e < d; ++e)
        seen |= v->dim_syms[e] == s;
      if (seen)
        continue;
      if (count == 0)
        first_source = rs->sym_source[s];
      one_source &= rs->sym_source[s] == first_source;
      ++count;
    }
    size_t k = 0;
    for (size_t d = 0; d < v->rank; ++d) {
      int s = v->dim_syms[d], seen = 0;
      if (s < 0 || rs->sym_value[s] < 0)
        continue;
      for (size_t e = 0; e < d; ++e)
        seen |= v->dim_syms[e] == s;
      if (seen)
        continue;
      sb_printf(&sb, "%s%s=%lld", k++ ? ", " : " with ", rs->model->syms[s],
                (long long)rs->sym_value[s]);
      if (!one_source)
        sb_printf(&sb, " (from '%s')",
                  rs->model->inputs[rs->sym_source[s]].name);
    }
    if (count && one_source)
      sb_printf(&sb, " (from '%s')", rs->model->inputs[first_source].name);
  }
  kiln_status st = fail(KILN_ERROR_INVALID_ARGUMENT, "%s", sb_str(&sb));
  free(sb.data);
  return st;
}

/* Checks the values of an input with a range. */
static kiln_status check_range(const value_info *v, const kiln_tensor *t) {
  /* Through memcpy: a wrapped buffer need not be aligned to its element
   * size (kiln_tensor_wrap allows any address). */
  for (size_t k = 0; k < t->num_elements; ++k) {
    int64_t x;
    switch (t->dtype) {
    case KILN_INT64:
      memcpy(&x, (const char *)t->data + 8 * k, 8);
      break;
    case KILN_INT32: {
      int32_t y;
      memcpy(&y, (const char *)t->data + 4 * k, 4);
      x = y;
      break;
    }
    case KILN_INT8:
      x = ((const int8_t *)t->data)[k];
      break;
    default:
      x = ((const uint8_t *)t->data)[k];
      break;
    }
    if (x >= v->lo && x < v->hi)
      continue;
    strbuf sb = {0};
    sb_printf(&sb, "input '%s' has value %lld at [", v->name, (long long)x);
    for (size_t d = 0, rest = k, inner = t->num_elements; d < t->rank; ++d) {
      inner /= (size_t)t->dims[d];
      sb_printf(&sb, "%s%zu", d ? ", " : "", rest / inner);
      rest %= inner;
    }
    sb_printf(&sb, "], outside the model's valid range [%lld, %lld)",
              (long long)v->lo, (long long)v->hi);
    kiln_status st = fail(KILN_ERROR_INVALID_ARGUMENT, "%s", sb_str(&sb));
    free(sb.data);
    return st;
  }
  return KILN_OK;
}

static kiln_status check_input(run_state *rs, size_t j) {
  const value_info *v = &rs->model->inputs[j];
  const kiln_tensor *t = rs->tensors[j];
  if (t->dtype != v->dtype) {
    strbuf sb = {0};
    sb_printf(&sb, "input '%s' has dtype %s but the model expects %s ", v->name,
              dtype_name(t->dtype), dtype_name(v->dtype));
    sb_expected_shape(&sb, v);
    kiln_status st = fail(KILN_ERROR_INVALID_ARGUMENT, "%s", sb_str(&sb));
    free(sb.data);
    return st;
  }
  if (t->rank != v->rank) {
    char extra[64];
    snprintf(extra, sizeof extra, " (rank %zu, not %zu)", v->rank, t->rank);
    return shape_error(rs, j, 0, extra);
  }
  for (size_t d = 0; d < v->rank; ++d)
    if (v->dims[d] >= 0 && t->dims[d] != v->dims[d])
      return shape_error(rs, j, 0, "");
  for (size_t d = 0; d < v->rank; ++d) {
    int s = v->dim_syms[d];
    if (s < 0)
      continue;
    if (rs->sym_value[s] >= 0 && rs->sym_value[s] != t->dims[d])
      return shape_error(rs, j, 1, "");
    if (rs->sym_value[s] < 0) {
      rs->sym_value[s] = t->dims[d];
      rs->sym_source[s] = j;
    }
  }
  if (v->has_range)
    return check_range(v, t);
  return KILN_OK;
}

/* Orders `inputs` by signature into order[], matching names if given. */
static kiln_status match_inputs(const kiln_model *m, const char *const *names,
                                kiln_tensor *const *inputs,
                                kiln_tensor **order) {
  for (size_t k = 0; k < m->num_inputs; ++k) {
    if (!inputs[k])
      return fail(KILN_ERROR_INVALID_ARGUMENT, "input tensor %zu is NULL", k);
    if (!names) {
      order[k] = inputs[k];
      continue;
    }
    if (!names[k])
      return fail(KILN_ERROR_INVALID_ARGUMENT, "input name %zu is NULL", k);
    size_t j = 0;
    while (j < m->num_inputs && strcmp(m->inputs[j].name, names[k]))
      ++j;
    if (j == m->num_inputs) {
      strbuf sb = {0};
      sb_printf(&sb, "unknown input '%s'; the model's inputs are", names[k]);
      for (size_t i = 0; i < m->num_inputs; ++i)
        sb_printf(&sb, "%s '%s'", i ? "," : "", m->inputs[i].name);
      kiln_status st = fail(KILN_ERROR_NOT_FOUND, "%s", sb_str(&sb));
      free(sb.data);
      return st;
    }
    if (order[j])
      return fail(KILN_ERROR_INVALID_ARGUMENT, "input '%s' is given twice",
                  names[k]);
    order[j] = inputs[k];
  }
  return KILN_OK;
}

static kiln_status count_error(const kiln_model *m, const char *what,
                               int outputs, size_t got) {
  const value_info *v = outputs ? m->outputs : m->inputs;
  size_t n = outputs ? m->num_outputs : m->num_inputs;
  strbuf sb = {0};
  sb_printf(&sb, "the model has %zu %s (", n, what);
  for (size_t i = 0; i < n; ++i)
    sb_printf(&sb, "%s'%s'", i ? ", " : "", v[i].name);
  sb_printf(&sb, ") but %zu were given", got);
  kiln_status st = fail(KILN_ERROR_INVALID_ARGUMENT, "%s", sb_str(&sb));
  free(sb.data);
  return st;
}

/* A view of one output descriptor. */
typedef struct out_desc {
  void *allocated;
  char *aligned;
  int64_t offset;
  const int64_t *sizes, *strides;
  int owned;   /* `allocated` is a fresh malloc to free.   */
  int adopted; /* A tensor took `allocated` over.          */
} out_desc;

/* Whether p points into [base, base + bytes], the end included, so that an
 * empty buffer still has an address. */
static int within(const void *p, const void *base, size_t bytes) {
  return base && (const char *)p >= (const char *)base &&
         (const char *)p <= (const char *)base + bytes;
}

static int is_contiguous(const out_desc *o, size_t rank) {
  int64_t expected = 1;
  for (size_t d = rank; d-- > 0;) {
    if (o->sizes[d] == 0)
      return 1;
    if (o->sizes[d] != 1 && o->strides[d] != expected)
      return 0;
    expected *= o->sizes[d];
  }
  return 1;
}

/* Copies the strided elements of dims d.. into contiguous `dst`. */
static char *copy_strided(char *dst, const char *src, const out_desc *o,
                          size_t d, size_t rank, size_t elem) {
  if (d == rank) {
    memcpy(dst, src, elem);
    return dst + elem;
  }
  if (d + 1 == rank && o->strides[d] == 1) { /* A contiguous row. */
    memcpy(dst, src, (size_t)o->sizes[d] * elem);
    return dst + (size_t)o->sizes[d] * elem;
  }
  for (int64_t k = 0; k < o->sizes[d]; ++k)
    dst = copy_strided(dst, src + k * o->strides[d] * (int64_t)elem, o, d + 1,
                       rank, elem);
  return dst;
}

/* Copies GPU output `o` (any strides) into host tensor `t`. */
static kiln_status download_output(const out_desc *o, const char *first,
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
        st = download_output(o, first, v->rank, elem, outs[i]);
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
        kiln_cuda_free(od[i].allocated);
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

KILN_API kiln_status kiln_model_run(const kiln_model *m,
                                    const char *const *input_names,
                                    kiln_tensor *const *inputs,
                                    size_t num_inputs,
                                    kiln_tensor **out_outputs,
                                    size_t num_outputs) {
  clear_error();
  if (!m)
    return fail(KILN_ERROR_INVALID_ARGUMENT, "model is NULL");
  if (num_inputs != m->num_inputs)
    return count_error(m, "inputs", 0, num_inputs);
  if (num_outputs != m->num_outputs)
    return count_error(m, "outputs", 1, num_outputs);
  if ((num_inputs && !inputs) || (num_outputs && !out_outputs))
    return fail(KILN_ERROR_INVALID_ARGUMENT, "inputs or outputs is NULL");

  /* One zeroed block for everything this run needs. */
  size_t ni = m->num_inputs, no = m->num_outputs, nw = m->num_weights;
  size_t size = (ni + nw + 1) * sizeof(void *) +               /* args    */
                (m->input_desc_words + 1) * sizeof(int64_t) +  /* inputs  */
                (m->output_desc_words + 1) * sizeof(int64_t) + /* results */
                (m->num_syms + 1) * (sizeof(int64_t) + sizeof(size_t)) +
                (ni + 1) * sizeof(kiln_tensor *) + /* order   */
                (no + 1) * (sizeof(out_desc) + sizeof(kiln_tensor *));
  char *block = calloc(1, size), *at = block;
  if (!block)
    return fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");
#define TAKE(type, n)                                                          \
  ((type *)(void *)((at += (n) * sizeof(type)) - (n) * sizeof(type)))
  void **args = TAKE(void *, ni + nw + 1);
  int64_t *in_descs = TAKE(int64_t, m->input_desc_words + 1);
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
  if (st != KILN_OK) {
    free(block);
    return st;
  }

  /* A GPU model gets the inputs in one block of GPU memory. */
  char *in_base = NULL;
  size_t in_bytes = 0;
  if (m->on_gpu) {
    for (size_t j = 0; j < ni; ++j)
      in_bytes += (order[j]->num_elements * dtype_size(order[j]->dtype) + 255) &
                  ~(size_t)255;
    if (in_bytes && !(in_base = kiln_cuda_alloc(in_bytes)))
      st = device_error("cannot allocate GPU memory for the inputs");
  }
  int64_t *desc = in_descs;
  for (size_t j = 0, at = 0; j < ni && st == KILN_OK; ++j) {
    void *data = order[j]->data;
    if (m->on_gpu) {
      size_t bytes = order[j]->num_elements * dtype_size(order[j]->dtype);
      data = in_base + at;
      at += (bytes + 255) & ~(size_t)255;
      if (kiln_cuda_copy_to_device(data, order[j]->data, bytes) != 0)
        st = device_error("cannot copy the inputs to the GPU");
    }
    fill_descriptor(desc, data, order[j]->dims, order[j]->rank);
    args[j] = desc;
    desc += 3 + 2 * order[j]->rank;
  }
  for (size_t w = 0; w < nw; ++w)
    args[ni + w] = m->weight_descs[w];

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
    if (m->on_gpu && kiln_cuda_synchronize() != 0 && st == KILN_OK)
      st = device_error("the model failed on the GPU");
  }

  if (st == KILN_OK)
    st = wrap_outputs(m, results, order, in_base, in_bytes, od, outs);
  if (in_base)
    kiln_cuda_free(in_base);
  if (st == KILN_OK)
    memcpy(out_outputs, outs, no * sizeof *outs);
  free(block);
  return st;
}
