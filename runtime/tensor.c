/*===- tensor.c - kiln_tensor: create, wrap, inspect, free ---------*- C -*-===*
 *
 * Part of kiln. See runtime_internal.h.
 *
 *===----------------------------------------------------------------------===*/

#include "runtime_internal.h"
#include "scratch_arena.h"

#include <stdlib.h>
#include <string.h>

/*--- Tensors --------------------------------------------------------------*/

/* A tensor header for dims; data and owned left NULL. */
kiln_status new_tensor(kiln_dtype dtype, const int64_t *dims, size_t rank,
                       size_t *out_bytes, kiln_tensor **out_tensor) {
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

kiln_status create_tensor(kiln_dtype dtype, const int64_t *dims, size_t rank,
                          kiln_tensor **out_tensor) {
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

void tensor_free(kiln_tensor *tensor) {
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

int is_contiguous(const out_desc *o, size_t rank) {
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
char *copy_strided(char *dst, const char *src, const out_desc *o, size_t d,
                   size_t rank, size_t elem) {
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
