/*===- kiln_compiler.h - kiln's compiler as a C library -----------*- C -*-===*
 *
 * Part of kiln. A C interface to compiler/Compiler.h, exported by
 * libkiln_compiler.so, for bindings (the Python package calls it with
 * ctypes). Options are set by the names of `kiln compile`'s flags:
 *
 *   kiln_compile_options *o = kiln_compile_options_create();
 *   kiln_compile_options_set(o, "input", "model.onnx");
 *   kiln_compile_options_set(o, "output", "model.so");
 *   kiln_compile_result *r = kiln_compile(o);
 *   for (size_t i = 0; i < kiln_compile_result_num_diagnostics(r); ++i)
 *     fputs(kiln_compile_result_diagnostic(r, i, "text"), stderr);
 *   int ok = kiln_compile_result_succeeded(r);
 *   kiln_compile_result_free(r);
 *   kiln_compile_options_free(o);
 *
 * Each call works on its own objects: compiles on several threads at once
 * are safe.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_COMPILER_KILN_COMPILER_H
#define KILN_COMPILER_KILN_COMPILER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_compile_options kiln_compile_options;
typedef struct kiln_compile_result kiln_compile_result;

/* New options with kiln compile's defaults (a model library for this
 * machine's CPU). */
kiln_compile_options *kiln_compile_options_create(void);
void kiln_compile_options_free(kiln_compile_options *options);

/* Sets option `name` to `value`. The names, as `kiln compile` spells its
 * flags (README.md): "input" (the model's path), "output" (or "o"),
 * "emit", "frontend", "target", "mcpu", "mattr", "O", "jobs" (threads
 * for LLVM, "0": automatic), "precision",
 * "gpu-arch", "cuda-path", "gpu-emulate" ("0"/"1"), "fusion" ("0"/"1"),
 * "linear-attention" ("0"/"1"), "kv-cache" ("0"/"1": decoders in the
 * KV-cache form, the default), "dequantize" ("0"/"1": a GGUF file's
 * quantized tensors to float32),
 * "quantize" (a scheme: w8a8, llm-int8, smoothquant, w8a8-static, w8,
 * w4), "group-size", "outlier-threshold", "calibration" (a file from
 * `kiln calibrate`), "smoothquant-alpha", "quantize-softmax" (log2,
 * uniform), "softmax-bits" (4, 8), "record-activation-ranges"
 * ("0"/"1": the recording library `kiln calibrate` runs), "shape"
 * (NAME=DIMS; each call adds one), "timing" and "stats" ("0"/"1":
 * collect those reports, see kiln_compile_result_report),
 * "runtime-archive". Returns NULL, or a message saying what is wrong (owned
 * by `options`, valid until the next call on it). */
const char *kiln_compile_options_set(kiln_compile_options *options,
                                     const char *name, const char *value);

/* The model's contents (e.g. a serialized ONNX ModelProto), used instead
 * of reading "input", which then only names the model. Not copied: the
 * bytes must stay valid until kiln_compile returns. */
void kiln_compile_options_set_contents(kiln_compile_options *options,
                                       const void *data, size_t size);

/* Compiles as the options say. Never NULL except when out of memory. */
kiln_compile_result *kiln_compile(const kiln_compile_options *options);

/* 1 if the compile succeeded, else 0. */
int kiln_compile_result_succeeded(const kiln_compile_result *result);

size_t kiln_compile_result_num_diagnostics(const kiln_compile_result *result);

/* A part of diagnostic `index`: "severity" ("error", "warning", "note" or
 * "remark"), "location" (the model file, "kiln", or ""), "node" (the
 * model's node, or ""), "message", or "text" (the line kiln compile
 * prints). NULL for an index or part out of range. Owned by `result`. */
const char *kiln_compile_result_diagnostic(const kiln_compile_result *result,
                                           size_t index, const char *part);

/* The timing and stats reports the options asked for ("" if none). */
const char *kiln_compile_result_report(const kiln_compile_result *result);

void kiln_compile_result_free(kiln_compile_result *result);

/* Tokenizers (tokenizers/Tokenizer.h): a Hugging Face tokenizer.json
 * (WordPiece or byte-level BPE), tokenizing as Hugging Face `tokenizers`
 * does. A loaded tokenizer is immutable: encode from any number of threads
 * at once. */
typedef struct kiln_tokenizer kiln_tokenizer;

/* Loads `path`. Never NULL except when out of memory; check
 * kiln_tokenizer_error, then free with kiln_tokenizer_free either way. */
kiln_tokenizer *kiln_tokenizer_load(const char *path);

/* NULL when the tokenizer loaded, else why not (naming the file). Owned by
 * `tokenizer`. */
const char *kiln_tokenizer_error(const kiln_tokenizer *tokenizer);

/* Tokenizes the `size` bytes of UTF-8 `text` (with the post-processor's
 * special tokens when `add_special_tokens`), writes up to `capacity` ids to
 * `ids` and returns how many there are (call with capacity 0 to size the
 * buffer). 0 for a tokenizer that did not load. */
size_t kiln_tokenizer_encode(const kiln_tokenizer *tokenizer, const char *text,
                             size_t size, int add_special_tokens, int *ids,
                             size_t capacity);

/* `ids` inside the post-processor's special tokens, as
 * kiln_tokenizer_encode writes them (for callers that truncate first). */
size_t kiln_tokenizer_add_special_tokens(const kiln_tokenizer *tokenizer,
                                         const int *ids, size_t count,
                                         int *out, size_t capacity);

/* The text `ids` stand for (UTF-8; byte-level BPE decodes to the bytes the
 * tokens hold, so a cut may split a character), leaving out special tokens
 * when `skip_special_tokens`: writes up to `capacity` bytes to `text` and
 * returns how many there are (no NUL is added). */
size_t kiln_tokenizer_decode(const kiln_tokenizer *tokenizer, const int *ids,
                             size_t count, int skip_special_tokens,
                             char *text, size_t capacity);

/* The id of token string `token` (vocabulary or added tokens), or -1. */
int kiln_tokenizer_find(const kiln_tokenizer *tokenizer, const char *token);

void kiln_tokenizer_free(kiln_tokenizer *tokenizer);

/* What a tokenizer_config.json says about generation (kiln generate --chat):
 * the prompt of one user turn in its ChatML chat template, with the
 * template's default system prompt or `system` (NULL or ""), and the ids
 * that end generation. Returns NULL on success with *out_text (a malloc'ed
 * NUL-terminated string, released with kiln_string_free) and up to
 * `capacity` stop ids in `stops` (*out_stops: how many there are; `chat`
 * adds <|im_end|> to the end-of-sequence token); else a message naming
 * the file or why the template cannot be rendered, also freed with
 * kiln_string_free. With `prompt` NULL only the stop ids are computed. */
char *kiln_chat_render(const char *config_path,
                       const kiln_tokenizer *tokenizer, const char *prompt,
                       const char *system, int chat, char **out_text,
                       int *stops, size_t capacity, size_t *out_stops);
void kiln_string_free(char *text);

#ifdef __cplusplus
}
#endif

#endif /* KILN_COMPILER_KILN_COMPILER_H */
