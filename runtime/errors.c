/*===- errors.c - errors (kiln_last_error), message strings, dtypes *- C -*-===*
 *
 * Part of kiln. See runtime_internal.h.
 *
 *===----------------------------------------------------------------------===*/

#include "runtime_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*--- Errors and strings ---------------------------------------------------*/

static _Thread_local char last_error[2048];

void clear_error(void) { last_error[0] = '\0'; }

/* Records a message for kiln_last_error and returns `status`. */
__attribute__((format(printf, 2, 3))) kiln_status fail(kiln_status status,
                                                       const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  if (n >= (int)sizeof last_error)
    memcpy(last_error + sizeof last_error - 4, "...", 4);
  return status;
}

__attribute__((format(printf, 2, 3))) void sb_printf(strbuf *sb,
                                                     const char *fmt, ...) {
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

const char *sb_str(const strbuf *sb) { return sb->data ? sb->data : ""; }

/* Appends `s` as a JSON string literal. */
void sb_json_string(strbuf *sb, const char *s) {
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

const char *dtype_name(kiln_dtype dtype) {
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
size_t dtype_size(kiln_dtype dtype) {
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
int count_elements(const int64_t *dims, size_t rank, size_t elem_size,
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
