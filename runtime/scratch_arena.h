/*===- scratch_arena.h - the allocator of compiled code ------------*- C -*-===*
 *
 * Part of kiln. Internal to the runtime; see scratch_arena.c.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_SCRATCH_ARENA_H
#define KILN_RUNTIME_SCRATCH_ARENA_H

#include <stddef.h>

/* A block of at least `size` bytes aligned to `alignment` (a power of two),
 * from the calling thread's cache when one fits; NULL when out of memory. */
void *kiln_scratch_alloc(size_t size, size_t alignment);
/* Returns a block of kiln_scratch_alloc (from any thread) to the calling
 * thread's cache, or to the system when the cache is full. */
void kiln_scratch_free(void *ptr);

/* What the compiled code calls (finalize-memref-to-llvm's generic
 * allocation functions). Outputs of kiln_model_invoke come from here. */
void *_mlir_memref_to_llvm_alloc(size_t size);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size);
void _mlir_memref_to_llvm_free(void *ptr);

#endif /* KILN_RUNTIME_SCRATCH_ARENA_H */
