/*===- scratch_arena.c - the allocator of compiled code ------------*- C -*-===*
 *
 * Part of kiln. Every buffer the compiled code allocates (intermediates and
 * outputs) comes from here: the LLVM lowering calls the generic allocation
 * functions below (finalize-memref-to-llvm{use-generic-functions}). Freed
 * blocks are kept per thread in power-of-two size classes and reused by the
 * next run, so a model's intermediates cost no malloc/mmap and no page
 * faults after the first run. Each thread keeps at most
 * KILN_SCRATCH_CACHE_LIMIT bytes; its cache is released at thread exit.
 * Internal: not part of the C API.
 *
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L /* posix_memalign */

#include "scratch_arena.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KILN_SCRATCH_CACHE_LIMIT ((size_t)512 << 20)
#define HEADER_SPACE 64 /* Keeps the returned pointer 64-byte aligned. */
#define MIN_CLASS 7     /* 128-byte blocks. */
#define NUM_CLASSES 48
#define UNCACHED 0xffffffffu

/* Just below the pointer handed out. */
typedef struct header {
  void *base;       /* What posix_memalign returned. */
  uint32_t cls;     /* Block size is 1 << cls; UNCACHED if not pooled. */
  uint32_t magic;
} header;
#define MAGIC 0x6b696c6eu /* "kiln" */

/* A free block's payload links it into its class's list. */
typedef struct free_block {
  struct free_block *next;
} free_block;

typedef struct cache {
  free_block *lists[NUM_CLASSES];
  size_t bytes;
} cache;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static header *header_of(void *ptr) {
  return (header *)((char *)ptr - sizeof(header));
}

static void release_cache(void *arg) {
  cache *c = arg;
  for (int k = 0; k < NUM_CLASSES; ++k)
    while (c->lists[k]) {
      free_block *b = c->lists[k];
      c->lists[k] = b->next;
      free(header_of(b)->base);
    }
  free(c);
}

static void make_key(void) { pthread_key_create(&cache_key, release_cache); }

static cache *thread_cache(void) {
  pthread_once(&cache_once, make_key);
  cache *c = pthread_getspecific(cache_key);
  if (!c) {
    c = calloc(1, sizeof *c);
    if (c && pthread_setspecific(cache_key, c) != 0) {
      free(c);
      c = NULL;
    }
  }
  return c;
}

void *kiln_scratch_alloc(size_t size, size_t alignment) {
  if (alignment > HEADER_SPACE) {
    /* Rare: over-aligned, not pooled. */
    void *base = NULL;
    if (size > SIZE_MAX - alignment ||
        posix_memalign(&base, alignment, size + alignment) != 0)
      return NULL;
    void *ptr = (char *)base + alignment;
    *header_of(ptr) = (header){base, UNCACHED, MAGIC};
    return ptr;
  }
  uint32_t cls = MIN_CLASS;
  while (cls < NUM_CLASSES && ((size_t)1 << cls) - HEADER_SPACE < size)
    ++cls;
  if (cls >= NUM_CLASSES)
    return NULL;
  cache *c = thread_cache();
  if (c && c->lists[cls]) {
    free_block *b = c->lists[cls];
    c->lists[cls] = b->next;
    c->bytes -= (size_t)1 << cls;
    return b;
  }
  void *base = NULL;
  if (posix_memalign(&base, HEADER_SPACE, (size_t)1 << cls) != 0)
    return NULL;
  void *ptr = (char *)base + HEADER_SPACE;
  *header_of(ptr) = (header){base, cls, MAGIC};
  return ptr;
}

void kiln_scratch_free(void *ptr) {
  if (!ptr)
    return;
  header *h = header_of(ptr);
  if (h->cls == UNCACHED) {
    free(h->base);
    return;
  }
  cache *c = thread_cache();
  size_t bytes = (size_t)1 << h->cls;
  if (!c || c->bytes + bytes > KILN_SCRATCH_CACHE_LIMIT) {
    free(h->base);
    return;
  }
  free_block *b = ptr;
  b->next = c->lists[h->cls];
  c->lists[h->cls] = b;
  c->bytes += bytes;
}

/* The generic allocation functions MLIR's LLVM lowering calls. */
void *_mlir_memref_to_llvm_alloc(size_t size) {
  return kiln_scratch_alloc(size, HEADER_SPACE);
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  return kiln_scratch_alloc(size, alignment);
}

void _mlir_memref_to_llvm_free(void *ptr) { kiln_scratch_free(ptr); }
