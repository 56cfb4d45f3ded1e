/*===- scratch_arena.c - the allocator of compiled code ------------*- C -*-===*
 *
 * Part of kiln. Every buffer the compiled code allocates (intermediates and
 * outputs) comes from here: the LLVM lowering calls the generic allocation
 * functions below (finalize-memref-to-llvm{use-generic-functions}). Freed
 * blocks are kept per thread in power-of-two size classes and reused by the
 * next run, so a model's intermediates cost no malloc/mmap and no page
 * faults after the first run. Each thread keeps at most
 * KILN_SCRATCH_CACHE_LIMIT bytes; its cache is released at thread exit.
 * A thread may also track its live blocks in a list (kiln_scratch_track),
 * which is how a run ended early frees what it allocated (run_guard.c).
 * Internal: not part of the C API.
 *
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L /* posix_memalign */

#include "scratch_arena.h"

#include "run_guard.h"

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
  kiln_scratch_list *list; /* The list tracking it, or NULL. */
  struct header *prev, *next;
} header;
_Static_assert(sizeof(header) <= HEADER_SPACE, "header must fit its space");
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

static _Thread_local kiln_scratch_list *tracking;

void kiln_scratch_list_init(kiln_scratch_list *list) {
  list->head = NULL;
  pthread_mutex_init(&list->lock, NULL);
}

void kiln_scratch_list_destroy(kiln_scratch_list *list) {
  pthread_mutex_destroy(&list->lock);
}

void kiln_scratch_track(kiln_scratch_list *list) { tracking = list; }

kiln_scratch_list *kiln_scratch_tracking(void) { return tracking; }

static void *tracked(header *h) {
  h->list = tracking;
  h->prev = NULL;
  h->next = NULL;
  if (h->list) {
    pthread_mutex_lock(&h->list->lock);
    h->next = h->list->head;
    if (h->next)
      h->next->prev = h;
    h->list->head = h;
    pthread_mutex_unlock(&h->list->lock);
  }
  return (char *)h + sizeof(header);
}

static void untrack(header *h) {
  kiln_scratch_list *list = h->list;
  if (!list)
    return;
  pthread_mutex_lock(&list->lock);
  if (h->prev)
    h->prev->next = h->next;
  else
    list->head = h->next;
  if (h->next)
    h->next->prev = h->prev;
  pthread_mutex_unlock(&list->lock);
  h->list = NULL;
}

void kiln_scratch_forget(kiln_scratch_list *list) {
  pthread_mutex_lock(&list->lock);
  for (header *h = list->head; h; h = h->next)
    h->list = NULL;
  list->head = NULL;
  pthread_mutex_unlock(&list->lock);
}

void kiln_scratch_release(kiln_scratch_list *list) {
  while (list->head)
    kiln_scratch_free((char *)list->head + sizeof(header));
}

static void *out_of_memory(size_t size) {
  kiln_run_out_of_memory(size); /* Does not return in a guarded run. */
  return NULL;
}

void *kiln_scratch_alloc(size_t size, size_t alignment) {
  if (alignment > HEADER_SPACE) {
    /* Rare: over-aligned, not pooled. */
    void *base = NULL;
    if (size > SIZE_MAX - alignment ||
        posix_memalign(&base, alignment, size + alignment) != 0)
      return out_of_memory(size);
    header *h = header_of((char *)base + alignment);
    *h = (header){.base = base, .cls = UNCACHED, .magic = MAGIC};
    return tracked(h);
  }
  uint32_t cls = MIN_CLASS;
  while (cls < NUM_CLASSES && ((size_t)1 << cls) - HEADER_SPACE < size)
    ++cls;
  if (cls >= NUM_CLASSES)
    return out_of_memory(size);
  cache *c = thread_cache();
  if (c && c->lists[cls]) {
    free_block *b = c->lists[cls];
    c->lists[cls] = b->next;
    c->bytes -= (size_t)1 << cls;
    return tracked(header_of(b));
  }
  void *base = NULL;
  if (posix_memalign(&base, HEADER_SPACE, (size_t)1 << cls) != 0)
    return out_of_memory(size);
  header *h = header_of((char *)base + HEADER_SPACE);
  *h = (header){.base = base, .cls = cls, .magic = MAGIC};
  return tracked(h);
}

void kiln_scratch_free(void *ptr) {
  if (!ptr)
    return;
  header *h = header_of(ptr);
  untrack(h);
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
