/*===- memref_copy.c - strided copies for compiled code ------------*- C -*-===*
 *
 * Part of kiln. MLIR lowers a memref.copy between non-contiguous memrefs to
 * a call of `memrefCopy` (which MLIR's own runner library provides); model
 * libraries get it from here instead. Internal: not part of the C API.
 *
 *===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <string.h>

/* An unranked memref: its rank and a pointer to the ranked descriptor
 * {allocated, aligned, offset, sizes[rank], strides[rank]}. */
typedef struct {
  int64_t rank;
  void *descriptor;
} unranked_memref;

typedef struct {
  char *allocated;
  char *aligned;
  int64_t offset;
  int64_t shape[]; /* sizes[rank], then strides[rank] */
} ranked_memref;

void memrefCopy(int64_t element_size, unranked_memref *src,
                unranked_memref *dst) {
  int64_t rank = src->rank;
  ranked_memref *s = (ranked_memref *)src->descriptor;
  ranked_memref *d = (ranked_memref *)dst->descriptor;
  const int64_t *sizes = s->shape;
  const int64_t *src_strides = s->shape + rank;
  const int64_t *dst_strides = d->shape + rank;
  char *src_base = s->aligned + s->offset * element_size;
  char *dst_base = d->aligned + d->offset * element_size;
  if (rank == 0) {
    memcpy(dst_base, src_base, (size_t)element_size);
    return;
  }
  for (int64_t i = 0; i < rank; ++i)
    if (sizes[i] == 0)
      return;
  /* Rows: the innermost dims that are contiguous in both, copied with one
   * memcpy each (a reshape or split of a row-major buffer copies whole rows
   * of hundreds of elements). */
  int64_t outer = rank, row = 1;
  while (outer > 0 && src_strides[outer - 1] == row &&
         dst_strides[outer - 1] == row) {
    row *= sizes[outer - 1];
    --outer;
  }
  size_t row_bytes = (size_t)(row * element_size);
  if (outer == 0) {
    memcpy(dst_base, src_base, row_bytes);
    return;
  }
  /* Walk the outer indices, innermost fastest, keeping both offsets. */
  int64_t index[outer];
  int64_t src_off = 0, dst_off = 0;
  memset(index, 0, sizeof(index));
  for (;;) {
    char *to = dst_base + dst_off * element_size;
    const char *from = src_base + src_off * element_size;
    if (row_bytes == 4)
      memcpy(to, from, 4); /* a constant size: one move, no call */
    else
      memcpy(to, from, row_bytes);
    int64_t axis = outer - 1;
    for (; axis >= 0; --axis) {
      if (++index[axis] < sizes[axis]) {
        src_off += src_strides[axis];
        dst_off += dst_strides[axis];
        break;
      }
      src_off -= src_strides[axis] * (sizes[axis] - 1);
      dst_off -= dst_strides[axis] * (sizes[axis] - 1);
      index[axis] = 0;
    }
    if (axis < 0)
      return;
  }
}
