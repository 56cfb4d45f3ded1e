/*===- kiln_model_abi.h - compiled code <-> runtime contract -------*- C -*-===*
 *
 * Part of kiln. Internal: what the compiler emits into every model library
 * for the runtime (runtime/run.c) to call. Users see kiln_runtime.h only.
 *
 * kiln_model_manifest: a NUL-terminated text block, one record per line,
 * fields separated by single spaces:
 *
 *   kiln-manifest 1
 *   device cuda                       (GPU libraries only)
 *   requires FEATURE...               (CPU features, LLVM's names)
 *   input NAME DTYPE RANK DIM... [range LO HI]
 *   output NAME DTYPE RANK DIM...
 *   weights-file BYTES ID             (when the model has weight data)
 *   weight DTYPE OFFSET BYTES RANK DIM...
 *
 * NAME is percent-encoded (%20 for a space, %25 for '%', %0A for a newline).
 * DTYPE is a kiln_dtype number. A DIM is a size (decimal digits), or for a
 * dynamic dim its symbolic name from the model (e.g. "batch", "seq"),
 * percent-encoded like NAME, or "?" when it has none; dims sharing a name
 * must agree at run time. `range LO HI` marks an integer input indexing a
 * table (token ids): valid values are [LO, HI), and the runtime rejects
 * inputs with other values. Weights are listed in argument order; OFFSET and
 * BYTES locate each in the weights file (OFFSET a multiple of 64, BYTES the
 * exact size of the dims). The file must hold at least max(OFFSET + BYTES)
 * bytes; when that is 0, no file is needed. With a `weights-file` record,
 * the file is exactly BYTES of data and a 32-byte trailer: "KILNWTS1", then
 * BYTES and ID (16 hex digits in the record: an id of the weights' content
 * the compiler computes) as little-endian u64s, then 8 zero bytes;
 * kiln_model_load refuses a file of another size or with another trailer
 * (a truncated file, another build's), and anything but a regular file. A record of another kind, or a
 * first line other than `kiln-manifest 1`, makes kiln_model_load fail.
 *
 * kiln_model_invoke: runs the compiled graph. `args` holds one pointer per
 * input, then one per weight, each to a memref descriptor
 *
 *   struct { void *allocated; void *aligned; int64_t offset;
 *            int64_t sizes[RANK]; int64_t strides[RANK]; }
 *
 * Input descriptors view the caller's tensors (allocated == aligned, offset
 * 0, row-major strides; aligned to their element size only, 64 bytes not
 * guaranteed); weight descriptors point into the read-only mapping of the
 * weights file (64-byte aligned). The compiled code must neither write to
 * nor free either. A zero-size tensor may have NULL pointers.
 *
 * `results` points to the output descriptors laid out one after another
 * (each 8 * (3 + 2 * RANK) bytes). Every output is a fresh, row-major
 * allocation of _mlir_memref_to_llvm_alloc (the runtime's scratch
 * allocator, which compiled code uses for every buffer) that the caller
 * owns and returns with _mlir_memref_to_llvm_free(allocated).
 * (The runtime tolerates, by copying instead of adopting, an output whose
 * strides are not row-major or whose `allocated` is not its own: NULL,
 * 0xdeadbeef as memref.get_global makes, another output's, or one pointing
 * into an input or the weights. Its static dims must match the manifest.)
 * The function is re-entrant: runs may overlap on several threads.
 *
 * Compiled code ends a run early with kiln_rt_check_failed(format, a, b)
 * when a run-time check fails (a dynamic size that does not broadcast, an
 * impossible shape computed from data): a printf format with at most two
 * %lld, for a and b. It does not return: kiln_model_run frees what the run
 * allocated and fails with KILN_ERROR_INVALID_ARGUMENT and the message. An
 * allocation the system refuses ends the run the same way, with
 * KILN_ERROR_OUT_OF_MEMORY. Both only from the thread that called
 * kiln_model_invoke, outside OpenMP parallel regions (run_guard.c).
 *
 * GPU libraries (`device cuda`): every pointer in `args` and `results` is
 * device memory (the runtime uploads inputs and weights and downloads
 * outputs); outputs are allocations of the runtime's mgpuMemAlloc, returned
 * with kiln_cuda_free. kiln_model_device_init loads the kernels through
 * mgpuModuleLoad; the runtime calls it once, after the CUDA driver is up.
 *
 * Both symbols are declared hidden below: the linker binds the runtime's
 * references to this library's own definitions (no interposition when
 * several models share a process) and does not export them.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_KILN_MODEL_ABI_H
#define KILN_RUNTIME_KILN_MODEL_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

__attribute__((visibility("hidden"))) extern const char kiln_model_manifest[];
/* The weights file's trailer, after its BYTES of data. */
#define KILN_WEIGHTS_TRAILER_BYTES 32
/* The allocator compiled code calls for every buffer (scratch_arena.c);
 * outputs are its allocations. */
void *_mlir_memref_to_llvm_alloc(size_t size);
void _mlir_memref_to_llvm_free(void *ptr);
/* Ends the run with an error; see above. */
__attribute__((noreturn)) void kiln_rt_check_failed(const char *format,
                                                   int64_t a, int64_t b);
__attribute__((visibility("hidden"))) void kiln_model_invoke(void **args,
                                                             void *results);
/* GPU libraries only (the runtime references it weakly). */
__attribute__((visibility("hidden"))) void kiln_model_device_init(void);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RUNTIME_KILN_MODEL_ABI_H */
