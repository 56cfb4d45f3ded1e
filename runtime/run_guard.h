/*===- run_guard.h - ending a run from inside compiled code --------*- C -*-===*
 *
 * Part of kiln. Internal to the runtime; see run_guard.c.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_RUN_GUARD_H
#define KILN_RUNTIME_RUN_GUARD_H

#include "kiln_model_abi.h"
#include "kiln_runtime.h"

#include <stddef.h>
#include <stdint.h>

/* Calls invoke(args, results). A run-time check that fails in the compiled
 * code (kiln_rt_check_failed) or an allocation it cannot get ends the call
 * early: every buffer the calling thread allocated during it is freed, the
 * message (NUL-terminated, at most `cap` bytes) written to `message`, and
 * KILN_ERROR_INVALID_ARGUMENT or KILN_ERROR_OUT_OF_MEMORY returned. KILN_OK
 * otherwise, the buffers then left allocated (the outputs) the caller's. */
kiln_status kiln_run_guarded(void (*invoke)(void **, void *), void **args,
                             void *results, char *message, size_t cap);

/* kiln_rt_check_failed (kiln_model_abi.h), which compiled code calls when a
 * check fails, ends the guarded run; outside one (or inside an OpenMP
 * parallel region, which cannot be left early) it prints the message and
 * aborts. */

/* Called by the scratch allocator when the system refuses `size` bytes: ends
 * the guarded run with KILN_ERROR_OUT_OF_MEMORY when that is safe (the run's
 * own thread, outside a parallel region); returns otherwise, and the
 * allocation returns NULL. */
void kiln_run_out_of_memory(size_t size);

#endif /* KILN_RUNTIME_RUN_GUARD_H */
