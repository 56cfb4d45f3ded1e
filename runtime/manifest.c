/*===- manifest.c - parsing the manifest a model library carries ---*- C -*-===*
 *
 * Part of kiln. See runtime_internal.h.
 *
 *===----------------------------------------------------------------------===*/

#include "runtime_internal.h"
#include "ukernels/ukernels.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void free_value(value_info *v) {
  if (v->dim_names)
    for (size_t d = 0; d < v->rank; ++d)
      free(v->dim_names[d]);
  free(v->name);
  free(v->dims);
  free(v->dim_names);
  free(v->dim_syms);
}

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

int parse_int(const char *s, int64_t *out) {
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

/* What a value record describes. */
enum value_kind { VALUE_INPUT, VALUE_OUTPUT, VALUE_CACHE };

static kiln_status parse_value(parser *p, value_info *v, enum value_kind kind) {
  int is_input = kind == VALUE_INPUT;
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
  if (kind != VALUE_OUTPUT)
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
  else if (kind == VALUE_OUTPUT)
    m->output_desc_words += words;
  else if (v->rank != 4 || v->dtype != KILN_FLOAT32 || v->dims[1] < 0 ||
           v->dims[3] < 0 || !v->dim_names[2] ||
           strcmp(v->dim_names[2], "context"))
    return malformed(p, "cache '%s' is not f32 [batch, HEADS, context, DIM]",
                     v->name);
  return KILN_OK;
}

/* `cache-lengths NAME LIMIT STEP`. */
static kiln_status parse_cache_lengths(parser *p) {
  kiln_model *m = p->model;
  if (p->num_tok != 4 || !parse_int(p->tok[2], &m->context_limit) ||
      m->context_limit <= 0 || m->cache_lengths_name)
    return malformed(p, "expected one 'cache-lengths NAME LIMIT STEP'");
  if (!(m->cache_lengths_name = decode_name(p, p->tok[1])))
    return KILN_ERROR_INTERNAL;
  char *step = decode_name(p, p->tok[3]);
  if (!step)
    return KILN_ERROR_INTERNAL;
  m->step_sym = intern_sym(m, step);
  free(step);
  return m->step_sym < 0 ? fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory")
                         : KILN_OK;
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

kiln_status parse_manifest(kiln_model *m) {
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
    else if (len == 5 && !strncmp(s, "cache", 5))
      ++m->num_caches;
  }
  m->inputs = calloc(m->num_inputs + 1, sizeof *m->inputs);
  m->outputs = calloc(m->num_outputs + 1, sizeof *m->outputs);
  m->weights = calloc(m->num_weights + 1, sizeof *m->weights);
  m->caches = calloc(m->num_caches + 1, sizeof *m->caches);
  m->step_sym = -1;
  /* There are fewer distinct symbolic dims than tokens. */
  m->syms = calloc(strlen(text) / 2 + 2, sizeof *m->syms);
  kiln_status st = KILN_OK;
  if (!m->inputs || !m->outputs || !m->weights || !m->caches || !m->syms)
    st = fail(KILN_ERROR_OUT_OF_MEMORY, "out of memory");

  parser p = {m, 0, tok, 0};
  size_t ni = 0, no = 0, nw = 0, nc = 0;
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
      st = parse_value(&p, &m->inputs[ni++], VALUE_INPUT);
    } else if (!strcmp(tok[0], "output") && no < m->num_outputs) {
      st = parse_value(&p, &m->outputs[no++], VALUE_OUTPUT);
    } else if (!strcmp(tok[0], "cache") && nc < m->num_caches) {
      st = parse_value(&p, &m->caches[nc++], VALUE_CACHE);
    } else if (!strcmp(tok[0], "cache-lengths")) {
      st = parse_cache_lengths(&p);
    } else if (!strcmp(tok[0], "weight") && nw < m->num_weights) {
      st = parse_weight(&p, &m->weights[nw++]);
    } else if (!strcmp(tok[0], "weights-file")) {
      int64_t bytes = 0;
      char *end = NULL;
      unsigned long long id = p.num_tok == 3 ? strtoull(tok[2], &end, 16) : 0;
      if (p.num_tok != 3 || !parse_int(tok[1], &bytes) || bytes < 0 || !end ||
          *end || strlen(tok[2]) != 16)
        st = malformed(&p, "expected 'weights-file BYTES ID'");
      m->has_weights_id = 1;
      m->weights_bytes = (uint64_t)bytes;
      m->weights_id = id;
    } else if (!strcmp(tok[0], "device")) {
      if (p.num_tok != 2 || strcmp(tok[1], "cuda"))
        st = malformed(&p, "unknown device '%s'", p.num_tok > 1 ? tok[1] : "");
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
      (ni != m->num_inputs || no != m->num_outputs || nw != m->num_weights ||
       nc != m->num_caches))
    st = fail(KILN_ERROR_INTERNAL, "malformed model manifest: stray records");
  if (st == KILN_OK && (m->num_caches > 0) != (m->cache_lengths_name != NULL))
    st = fail(KILN_ERROR_INTERNAL,
              "malformed model manifest: caches without cache-lengths or "
              "the reverse");
  for (size_t c = 1; st == KILN_OK && c < m->num_caches; ++c)
    if (m->caches[c].dim_syms[0] != m->caches[0].dim_syms[0] ||
        m->caches[c].dims[0] != m->caches[0].dims[0])
      st = fail(KILN_ERROR_INTERNAL,
                "malformed model manifest: caches of different batch dims");
  /* Partly parsed tables are freed up to the counts: all were zeroed. */
  free(text);
  free(tok);
  return st;
}
