/*===- run_guard.c - ending a run from inside compiled code --------*- C -*-===*
 *
 * Part of kiln. Compiled code cannot return an error: its function has no
 * status result, and a failed check deep inside it has nowhere sensible to
 * go. So a run is guarded: kiln_run_guarded records a jump point (setjmp)
 * and asks the scratch allocator to track every buffer the run's thread
 * allocates; a failed check or allocation longjmps back there, the tracked
 * buffers are freed, and kiln_model_run reports the message.
 *
 * Jumping is only safe from the run's own thread outside OpenMP parallel
 * regions. kiln's checks are emitted in the serial code around the
 * parallel loops, and allocations inside parallel regions are the rare
 * small scratch tiles; a failure there prints the message and aborts
 * (checks) or returns NULL (allocations).
 *
 *===----------------------------------------------------------------------===*/

#include "run_guard.h"

#include "scratch_arena.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

/* libomp's; weak so that a runtime without OpenMP links. */
extern int omp_in_parallel(void) __attribute__((weak));

typedef struct run_guard {
  jmp_buf jump;
  kiln_status status;
  char *message;
  size_t cap;
  kiln_scratch_list blocks;
  struct run_guard *outer;
} run_guard;

static _Thread_local run_guard *current;

static int can_jump(void) {
  return current && !(omp_in_parallel && omp_in_parallel());
}

kiln_status kiln_run_guarded(void (*invoke)(void **, void *), void **args,
                             void *results, char *message, size_t cap) {
  run_guard guard = {.status = KILN_OK,
                     .message = message,
                     .cap = cap,
                     .outer = current};
  if (cap)
    message[0] = '\0';
  kiln_scratch_list_init(&guard.blocks);
  kiln_scratch_list *outer_blocks = kiln_scratch_tracking();
  /* The guard is reached through `current` (memory), never a register, so
   * what the failing code wrote to it is what setjmp's second return
   * sees. */
  current = &guard;
  kiln_scratch_track(&guard.blocks);
  if (setjmp(guard.jump) == 0) {
    invoke(args, results);
    current = guard.outer;
    kiln_scratch_track(outer_blocks);
    kiln_scratch_forget(&guard.blocks);
    kiln_scratch_list_destroy(&guard.blocks);
    return KILN_OK;
  }
  run_guard *g = current;
  current = g->outer;
  kiln_scratch_track(outer_blocks);
  kiln_scratch_release(&g->blocks);
  kiln_scratch_list_destroy(&g->blocks);
  return g->status;
}

void kiln_rt_check_failed(const char *format, int64_t a,
                                    int64_t b) {
  if (!can_jump()) {
    fprintf(stderr, "kiln: ");
    fprintf(stderr, format, (long long)a, (long long)b);
    fprintf(stderr, "\n");
    abort();
  }
  if (current->cap)
    snprintf(current->message, current->cap, format, (long long)a,
             (long long)b);
  current->status = KILN_ERROR_INVALID_ARGUMENT;
  longjmp(current->jump, 1);
}

void kiln_run_out_of_memory(size_t size) {
  if (!can_jump())
    return;
  if (current->cap)
    snprintf(current->message, current->cap,
             "out of memory: the model could not allocate %zu bytes for an "
             "intermediate or output buffer",
             size);
  current->status = KILN_ERROR_OUT_OF_MEMORY;
  longjmp(current->jump, 1);
}
