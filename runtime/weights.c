/*===- weights.c - the weights file: mapping, checks, descriptors --*- C -*-===*
 *
 * Part of kiln. See runtime_internal.h.
 *
 *===----------------------------------------------------------------------===*/

#include "runtime_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

kiln_status map_weights(kiln_model *m, const char *weights_path) {
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
    st = fail(
        KILN_ERROR_IO,
        "weights file '%s' has %lld bytes but this model's has %llu "
        "(truncated, or from another build of the model?)",
        path, (long long)sb.st_size,
        (unsigned long long)(m->weights_bytes + KILN_WEIGHTS_TRAILER_BYTES));
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
void fill_descriptor(int64_t *desc, void *data, const int64_t *sizes,
                     size_t rank) {
  memcpy(&desc[0], &data, sizeof data); /* allocated */
  memcpy(&desc[1], &data, sizeof data); /* aligned   */
  desc[2] = 0;                          /* offset    */
  if (rank)
    memcpy(&desc[3], sizes, rank * sizeof *sizes);
  row_major_strides(sizes, rank, &desc[3 + rank]);
}

kiln_status build_weight_descriptors(kiln_model *m) {
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
