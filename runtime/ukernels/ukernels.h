/*===- ukernels.h - kiln's CPU microkernels -------------------------*- C -*-===*
 *
 * Part of kiln. The compute kernels compiled code calls: each is written
 * once over simd.h and compiled per instruction set, so every symbol below
 * exists once per ISA (suffix _avx512 or _avx2). The compiler picks the
 * suffix from the target's features at compile time and records the
 * features in the library's manifest; kiln_model_load refuses a CPU that
 * lacks them (cpu_features.c).
 *
 * All kernels are single-threaded and re-entrant: the compiler's parallel
 * loops call them on disjoint blocks of the output.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_UKERNELS_UKERNELS_H
#define KILN_RUNTIME_UKERNELS_UKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Epilogue activations (tfm.matmul's `activation`). */
enum {
  KILN_UK_ACT_NONE = 0,
  KILN_UK_ACT_RELU = 1,
  KILN_UK_ACT_GELU = 2,      /* erf form */
  KILN_UK_ACT_GELU_TANH = 3,
  KILN_UK_ACT_SILU = 4,
  KILN_UK_ACT_SIGMOID = 5,
  KILN_UK_ACT_TANH = 6,
};

/* Columns per packed weight panel: 32 for avx512, 16 for avx2. A weight
 * W[K][N] is packed as P[ceil(N / NR)][K][NR] with P[p][k][j] =
 * W[k][p * NR + j], zero past column N. */
#define KILN_UK_PANEL_AVX512 32
#define KILN_UK_PANEL_AVX2 16

/* C[i][j] = act(sum_k A[i][k] B[k][j] + bias[j]) + res[i][j] for rows
 * [m0, m1) and the columns of panels [p0, p1) (clipped to n).
 * a: A row-major with row stride lda; b: B packed (above) with K = k;
 * c: C row-major, row stride ldc; bias: n floats or NULL; res: row stride
 * ldr or NULL; act: KILN_UK_ACT_*. */
#define KILN_UK_DECLARE_SGEMM(isa)                                           \
  void kiln_uk_sgemm_##isa(const float *a, int64_t lda, const float *b,      \
                           int64_t k, float *c, int64_t ldc, int64_t m0,     \
                           int64_t m1, int64_t p0, int64_t p1, int64_t n,    \
                           const float *bias, const float *res, int64_t ldr, \
                           int64_t act);                                     \
  int64_t kiln_uk_sgemm_panel_width_##isa(void);
KILN_UK_DECLARE_SGEMM(avx512)
KILN_UK_DECLARE_SGEMM(avx2)

/* The quantized GEMMs (tfm.quantized_matmul) exist for avx512vnni
 * (AVX-512 F/BW/VL + VNNI) and avx2; NR is their panel width (32 and 16).
 *
 * int8 x int8 (per-token activations): the weight's codes W[N][K] are
 * packed as P[ceil(N / NR)][kp / 4][NR][4] (kp = K rounded up to 4) with
 * P[p][q][j][r] = W[p * NR + j][4 q + r], zero past N and K; bsum[j] =
 * sum_k W[j][k] and bscale[j] (the channel's scale) are padded to whole
 * panels.
 *
 * find_outliers flags (flags[k] = 1) the columns of A [m][k] with some
 * |x| >= threshold, lists them in `index` and returns how many.
 * quantize_rows quantizes rows [m0, m1) of A per token: scale[i] = max
 * |A[i][k]| / 127 over the unflagged columns (`outliers` may be NULL),
 * codes round_half_even(A[i][k] * 127 / max) (0 for flagged columns and
 * for an all-zero row), stored in aq[i][0, kp) (row stride ldq) as code +
 * 128 (zero point 128), padded with code 0. With channel_scale (NULL for
 * none), A[i][k] * channel_scale[k] is quantized instead.
 * tensor_quant_params: ONNX DynamicQuantizeLinear's parameters for all
 * of A [m][k]: with lo = min(0, min A) and hi = max(0, max A), *scale =
 * (hi - lo) / 255 (1 when hi == lo); returns the zero point
 * round_half_even(clamp(-lo / scale, 0, 255)).
 * quantize_rows_affine quantizes rows [m0, m1) with those: aq[i][k] =
 * clamp(round_half_even(A[i][k] / *scale) + zero, 0, 255), padded with
 * `zero`; row_scale[i] = *scale; row_sum[i] = sum_k (aq[i][k] - zero)
 * unless row_sum is NULL.
 * qgemm: C[i][j] = act((sum_k (aq[i][k] - azero) (W[j][k] - bzero[j])) *
 * ascale[i] * bscale[j] + sum_{k in index} A[i][k] W[j][k] * bscale[j] +
 * bias[j]) + res[i][j] for rows [m0, m1) and panels [p0, p1); bzero (a
 * weight zero point per channel, padded to whole panels) needs arow, the
 * row sums from quantize_rows_affine; both NULL for none. a/lda is A in
 * f32 (read only at the outlier columns; may be NULL without them). */
#define KILN_UK_DECLARE_QGEMM(isa)                                           \
  int64_t kiln_uk_find_outliers_##isa(const float *a, int64_t lda,           \
                                      int64_t m, int64_t k, float threshold, \
                                      uint8_t *flags, int32_t *index);       \
  void kiln_uk_quantize_rows_##isa(                                          \
      const float *a, int64_t lda, int64_t k, int64_t m0, int64_t m1,        \
      const uint8_t *outliers, uint8_t *aq, int64_t ldq, float *scale,       \
      const float *channel_scale);                                           \
  int64_t kiln_uk_tensor_quant_params_##isa(const float *a, int64_t lda,     \
                                            int64_t m, int64_t k,            \
                                            float *scale);                   \
  void kiln_uk_quantize_rows_affine_##isa(                                   \
      const float *a, int64_t lda, int64_t k, int64_t m0, int64_t m1,        \
      const float *scale, int64_t zero, uint8_t *aq, int64_t ldq,            \
      float *row_scale, int32_t *row_sum);                                   \
  void kiln_uk_qgemm_##isa(                                                  \
      const uint8_t *aq, int64_t ldq, const float *ascale, int64_t azero,    \
      const int32_t *arow, const int32_t *bzero, const int8_t *b,            \
      int64_t kp, const int32_t *bsum, const float *bscale, float *c,        \
      int64_t ldc, int64_t m0, int64_t m1, int64_t p0, int64_t p1,           \
      int64_t n, const float *bias, const float *res, int64_t ldr,           \
      int64_t act, const float *a, int64_t lda, const int32_t *index,        \
      int64_t n_outliers);
KILN_UK_DECLARE_QGEMM(amx)
KILN_UK_DECLARE_QGEMM(avx512vnni)
KILN_UK_DECLARE_QGEMM(avx2)

/* Weight-only (f32 activations): codes W[N][K] in groups of `group` K
 * (a multiple of 16) are packed as P[ceil(N / NR)][K][NR] int8 (bits 8)
 * or [..][K][NR / 2] bytes (bits 4, unsigned: byte j holds column j in
 * its low nibble and column j + NR / 2 in its high one); each group's
 * scales then offsets in `params` [ceil(N / NR)][groups][2][NR], f32, or
 * IEEE half when `half` (the compiler packs halves when every value is
 * one: 4-bit weights then stream 5 bits each instead of 6), with W = code * scale +
 * offset (offset = -zero_point * scale). C as sgemm's, same arguments
 * otherwise. */
#define KILN_UK_DECLARE_WGEMM(isa)                                           \
  void kiln_uk_wgemm_##isa(const float *a, int64_t lda, const void *b,       \
                           int64_t bits, int64_t k, int64_t group,           \
                           const void *params, int64_t half, float *c,       \
                           int64_t ldc, int64_t m0, int64_t m1, int64_t p0,  \
                           int64_t p1, int64_t n, const float *bias,         \
                           const float *res, int64_t ldr, int64_t act);
KILN_UK_DECLARE_WGEMM(amx)
KILN_UK_DECLARE_WGEMM(avx512vnni)
KILN_UK_DECLARE_WGEMM(avx2)

/* Query rows per attention work item, and the largest head dims (d, dv)
 * the kernel serves; the compiler lowers other attentions generically. */
#define KILN_UK_ATTENTION_QUERY_BLOCK 128
#define KILN_UK_ATTENTION_MAX_HEAD_DIM 256

/* Mask kinds of kiln_uk_attention. */
enum {
  KILN_UK_MASK_NONE = 0,
  KILN_UK_MASK_ADD = 1,  /* f32, added to the scaled scores */
  KILN_UK_MASK_KEEP = 2, /* one byte per element, nonzero keeps the key */
};

/* One work item of softmax(scale q k^T + mask) v (tfm.attention): item
 * (b * hq + h) * ceil(sq / QUERY_BLOCK) + block computes query rows
 * [block * QUERY_BLOCK, ...) of batch b, head h. q [B][hq][sq][d],
 * k [B][hkv][sk][d], v [B][hkv][sk][dv], out [B][hq][sq][dv], all
 * row-major; query head h reads key/value head h / (hq / hkv). The mask is
 * indexed [b][h][i][j] with element strides ms0..ms3 (0 along a broadcast
 * dim). causal masks key j for query i when j > i + sk - sq. A row with
 * every key masked gives zeros. */
#define KILN_UK_DECLARE_ATTENTION(isa)                                       \
  void kiln_uk_attention_##isa(                                              \
      const float *q, const float *k, const float *v, float *out,           \
      int64_t batch, int64_t hq, int64_t hkv, int64_t sq, int64_t sk,       \
      int64_t d, int64_t dv, float scale, const void *mask,                 \
      int64_t mask_kind, int64_t ms0, int64_t ms1, int64_t ms2, int64_t ms3, \
      int64_t causal, int64_t item);
KILN_UK_DECLARE_ATTENTION(avx512)
KILN_UK_DECLARE_ATTENTION(avx2)

/* One work item of tfm.cached_attention, numbered as kiln_uk_attention's:
 * query rows of (b, h) against the lengths[b] + sq keys the caches
 * k_cache [B][hkv][capacity][d] and v_cache [B][hkv][capacity][dv] hold
 * (the new rows appended already, by cache_append), causal (query i sees
 * keys [0, lengths[b] + i]). A sequence with lengths[b] + sq > capacity is
 * skipped (the runtime refuses such runs).
 * cache_append: copies rows [B][heads][count][d] into cache
 * [B][heads][capacity][d] at positions [lengths[b], lengths[b] + count). */
#define KILN_UK_DECLARE_CACHED_ATTENTION(isa)                                \
  void kiln_uk_cached_attention_##isa(                                       \
      const float *q, const float *k_cache, const float *v_cache,           \
      float *out, const int64_t *lengths, int64_t batch, int64_t hq,        \
      int64_t hkv, int64_t sq, int64_t capacity, int64_t d, int64_t dv,     \
      float scale, int64_t item);                                           \
  void kiln_uk_cache_append_##isa(const float *rows, float *cache,          \
                                  const int64_t *lengths, int64_t batch,    \
                                  int64_t heads, int64_t count,             \
                                  int64_t capacity, int64_t d);
KILN_UK_DECLARE_CACHED_ATTENTION(avx512)
KILN_UK_DECLARE_CACHED_ATTENTION(avx2)

/* tfm.linear_attention's feature maps, decays and normalisations (the
 * values of its enum attributes). */
enum {
  KILN_UK_FEATURE_IDENTITY = 0,
  KILN_UK_FEATURE_ELU_PLUS_ONE = 1,
  KILN_UK_FEATURE_SILU = 2,
  KILN_UK_FEATURE_RELU = 3,
};
enum {
  KILN_UK_DECAY_NONE = 0,
  KILN_UK_DECAY_CONSTANT = 1,    /* log_decay[h] per token */
  KILN_UK_DECAY_SCALAR_GATE = 2, /* gate [B][H][T] */
  KILN_UK_DECAY_VECTOR_GATE = 3, /* gate [B][H][T][dk] */
};
enum {
  KILN_UK_NORM_NONE = 0,
  KILN_UK_NORM_DENOMINATOR = 1,
  KILN_UK_NORM_RETNET = 2,
};

/* One work item of tfm.linear_attention: item b * heads + h runs the whole
 * sequence of batch b, head h, chunk tokens at a time (linear_attention.c).
 * q, k [B][H][t][dk], v and out [B][H][t][dv], row-major. gate is NULL
 * unless decay is a gate. state_in (NULL: zeros) and state_out (NULL: not
 * wanted) are [B][H][dk + 1][dv + 1] as the op documents. */
#define KILN_UK_DECLARE_LINEAR_ATTENTION(isa)                                \
  void kiln_uk_linear_attention_##isa(                                       \
      const float *q, const float *k, const float *v, const float *gate,    \
      const float *log_decay, const float *state_in, float *out,            \
      float *state_out, int64_t batch, int64_t heads, int64_t t,            \
      int64_t dk, int64_t dv, int64_t feature_map, int64_t decay,           \
      int64_t norm, int64_t causal, float scale, float eps, int64_t chunk,  \
      int64_t item);
KILN_UK_DECLARE_LINEAR_ATTENTION(avx512)
KILN_UK_DECLARE_LINEAR_ATTENTION(avx2)

/* y = (x - mean) / sqrt(var + eps) * gamma + beta over each row of n
 * floats, rows [r0, r1) (layer norm; beta may be NULL); with rms != 0,
 * mean is 0 and var is mean(x^2) (RMS norm). x and y are row-major. */
#define KILN_UK_DECLARE_NORM(isa)                                            \
  void kiln_uk_norm_##isa(const float *x, float *y, int64_t r0, int64_t r1,  \
                          int64_t n, const float *gamma, const float *beta,  \
                          float eps, int64_t rms);
KILN_UK_DECLARE_NORM(avx512)
KILN_UK_DECLARE_NORM(avx2)

/* CPU features a model library needs, as the manifest's `requires` record
 * names them ("avx512f", "avx2", "fma", ...). Returns NULL when the running
 * CPU has `feature`, else the name of the missing one (`feature` itself) or
 * "unknown". Used by kiln_model_load. */
const char *kiln_cpu_missing_feature(const char *feature);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RUNTIME_UKERNELS_UKERNELS_H */
