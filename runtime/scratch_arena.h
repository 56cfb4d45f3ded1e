/*===- scratch_arena.h - the allocator of compiled code ------------*- C -*-===*
 *
 * Part of kiln. Internal to the runtime; see scratch_arena.c.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_SCRATCH_ARENA_H
#define KILN_RUNTIME_SCRATCH_ARENA_H

#include <pthread.h>
#include <stddef.h>

/* A block of at least `size` bytes aligned to `alignment` (a power of two),
 * from the calling thread's cache when one fits; when out of memory, NULL
 * (after kiln_run_out_of_memory, which ends a guarded run instead). */
void *kiln_scratch_alloc(size_t size, size_t alignment);
/* Returns a block of kiln_scratch_alloc (from any thread) to the calling
 * thread's cache, or to the system when the cache is full. */
void kiln_scratch_free(void *ptr);

/* A set of live blocks, so that a run ended early (run_guard.c) can free
 * what it allocated. */
typedef struct kiln_scratch_list {
  void *head; /* The first block's header; internal. */
  pthread_mutex_t lock;
} kiln_scratch_list;

void kiln_scratch_list_init(kiln_scratch_list *list);
void kiln_scratch_list_destroy(kiln_scratch_list *list);
/* Blocks the calling thread allocates from now on join `list` (none when
 * NULL) and leave it when freed, from whichever thread. */
void kiln_scratch_track(kiln_scratch_list *list);
/* The list the calling thread's allocations join, or NULL. */
kiln_scratch_list *kiln_scratch_tracking(void);
/* Empties `list`: its blocks live on, untracked (a run's outputs). */
void kiln_scratch_forget(kiln_scratch_list *list);
/* Frees every block in `list`. */
void kiln_scratch_release(kiln_scratch_list *list);

/* What the compiled code calls (finalize-memref-to-llvm's generic
 * allocation functions). Outputs of kiln_model_invoke come from here. */
void *_mlir_memref_to_llvm_alloc(size_t size);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size);
void _mlir_memref_to_llvm_free(void *ptr);

#endif /* KILN_RUNTIME_SCRATCH_ARENA_H */
