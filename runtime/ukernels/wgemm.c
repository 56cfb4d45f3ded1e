/*===- wgemm.c - the weight-only quantized GEMM microkernel (w8, w4) -*- C -*-===*
 *
 * Part of kiln. tfm.quantized_matmul with f32 activations and int8/int4
 * weights in groups along K, each with a scale and zero point:
 * W[k][j] = (q - zp) * scale = q * scale + offset (offset = -zp * scale,
 * computed when the compiler packed the weight); the scales and offsets
 * f32 or IEEE half (ukernels.h).
 *
 * Each K slice of a panel is dequantized once into an f32 buffer in L1 and
 * multiplied by the rows of the block on sgemm's register tile
 * (gemm_tile.h), so the dequantizing is paid once per slice however many
 * rows reuse it. Blocks of at most DIRECT_ROWS rows (decode) skip the
 * buffer: codes go straight into the FMAs and the scale and offset apply
 * once per group. Either way the weights stream from memory at 1 or 1/2
 * byte each.
 *
 *===----------------------------------------------------------------------===*/

#include "gemm_tile.h"
#include "ukernels.h"

/* Codes of one k row of a panel as two f32 vectors (columns [0, VL) and
 * [VL, NR)). */
static inline void codes8(const int8_t *p, vf *lo, vf *hi) {
#if defined(KILN_UK_ISA_AVX512)
  *lo = _mm512_cvtepi32_ps(
      _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p)));
  *hi = _mm512_cvtepi32_ps(
      _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p + VL))));
#else
  *lo = _mm256_cvtepi32_ps(
      _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
  *hi = _mm256_cvtepi32_ps(
      _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + VL))));
#endif
}

/* 4-bit: byte j holds column j (low nibble) and column j + VL (high). */
static inline void codes4(const uint8_t *p, vf *lo, vf *hi) {
#if defined(KILN_UK_ISA_AVX512)
  __m512i x = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p));
  const __m512i m = _mm512_set1_epi32(0xf);
  *lo = _mm512_cvtepi32_ps(_mm512_and_si512(x, m));
  *hi = _mm512_cvtepi32_ps(_mm512_srli_epi32(x, 4));
#else
  __m256i x = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
  const __m256i m = _mm256_set1_epi32(0xf);
  *lo = _mm256_cvtepi32_ps(_mm256_and_si256(x, m));
  *hi = _mm256_cvtepi32_ps(_mm256_srli_epi32(x, 4));
#endif
}

/* The codes of one k row of a panel of `bits`-bit weights. */
static inline void codes(int64_t bits, const uint8_t *row, vf *lo, vf *hi) {
  if (bits == 4)
    codes4(row, lo, hi);
  else
    codes8((const int8_t *)row, lo, hi);
}

/* Group g's scale and offset vectors (columns [0, VL) and [VL, NR)) from
 * a panel's params [groups][2][NR]. */
static inline void group_params(const void *params, int64_t half, int64_t g,
                                vf *s0, vf *s1, vf *o0, vf *o1) {
  if (half) {
    const uint16_t *p = (const uint16_t *)params + g * 2 * NR;
    *s0 = vf_load_half(p), *s1 = vf_load_half(p + VL);
    *o0 = vf_load_half(p + NR), *o1 = vf_load_half(p + NR + VL);
  } else {
    const float *p = (const float *)params + g * 2 * NR;
    *s0 = vf_load(p), *s1 = vf_load(p + VL);
    *o0 = vf_load(p + NR), *o1 = vf_load(p + NR + VL);
  }
}

/* Rows the direct path takes: fewer than this (decode) and the codes are
 * turned into floats straight into the FMAs instead of through a slice
 * buffer, with each group's scale and offset applied once per group:
 *   sum_k a[k] (q[k] s + o) = s sum_k a[k] q[k] + o sum_k a[k]. */
#define DIRECT_ROWS 4
/* Groups per row the direct path keeps sums of A for (on the stack). */
#define DIRECT_MAX_GROUPS 1024

static inline __attribute__((always_inline)) void
direct_tile(const int ROWS, const float *a, int64_t lda, const uint8_t *panel,
            int64_t bits, int64_t k, int64_t group, int64_t groups,
            const void *params, int64_t half, const float *asum, float *c,
            int64_t ldc, int cols, const float *bias, const float *res,
            int64_t ldr, int64_t act) {
  /* U interleaved accumulator sets hide the FMA latency. */
  enum { U = 4 };
  const int u = ROWS <= 2 ? U : 2;
  int64_t row_bytes = bits == 4 ? NR / 2 : NR;
  int lo = cols < VL ? cols : VL, hi = cols - lo;
  vf y[DIRECT_ROWS][2];
  for (int r = 0; r < ROWS; ++r)
    y[r][0] = y[r][1] = vf_zero();
  for (int64_t g = 0; g < groups; ++g) {
    int64_t k0 = g * group, k1 = k0 + group < k ? k0 + group : k;
    vf q[U][DIRECT_ROWS][2];
    for (int j = 0; j < u; ++j)
      for (int r = 0; r < ROWS; ++r)
        q[j][r][0] = q[j][r][1] = vf_zero();
    int64_t kk = k0;
    for (; kk + u <= k1; kk += u)
      for (int j = 0; j < u; ++j) {
        vf c0, c1;
        codes(bits, panel + (kk + j) * row_bytes, &c0, &c1);
        for (int r = 0; r < ROWS; ++r) {
          vf x = vf_set1(a[r * lda + kk + j]);
          q[j][r][0] = vf_fma(x, c0, q[j][r][0]);
          q[j][r][1] = vf_fma(x, c1, q[j][r][1]);
        }
      }
    for (; kk < k1; ++kk) {
      vf c0, c1;
      codes(bits, panel + kk * row_bytes, &c0, &c1);
      for (int r = 0; r < ROWS; ++r) {
        vf x = vf_set1(a[r * lda + kk]);
        q[0][r][0] = vf_fma(x, c0, q[0][r][0]);
        q[0][r][1] = vf_fma(x, c1, q[0][r][1]);
      }
    }
    vf s0, s1, o0, o1;
    group_params(params, half, g, &s0, &s1, &o0, &o1);
    for (int r = 0; r < ROWS; ++r) {
      vf t0 = q[0][r][0], t1 = q[0][r][1];
      for (int j = 1; j < u; ++j) {
        t0 = vf_add(t0, q[j][r][0]);
        t1 = vf_add(t1, q[j][r][1]);
      }
      vf as = vf_set1(asum[r * groups + g]);
      y[r][0] = vf_fma(o0, as, vf_fma(t0, s0, y[r][0]));
      y[r][1] = vf_fma(o1, as, vf_fma(t1, s1, y[r][1]));
    }
  }
  for (int r = 0; r < ROWS; ++r)
    for (int h = 0; h < 2; ++h) {
      int n = h ? hi : lo;
      vf x = y[r][h];
      if (bias)
        x = vf_add(x, vf_load_mask(bias + h * VL, n));
      if (act)
        x = vf_activation(x, act);
      if (res)
        x = vf_add(x, vf_load_mask(res + r * ldr + h * VL, n));
      vf_store_mask(c + r * ldc + h * VL, x, n);
    }
}

#define DIRECT_CASE(R)                                                        \
  case R:                                                                     \
    direct_tile(R, a + m0 * lda, lda, panel, bits, k, group, groups, pp,      \
                half, asum, c + m0 * ldc + col, ldc, cols, biasp,             \
                res ? res + m0 * ldr + col : 0, ldr, act);                    \
    break;

void KILN_UK(wgemm)(const float *a, int64_t lda, const void *b, int64_t bits,
                    int64_t k, int64_t group, const void *params,
                    int64_t half, float *c, int64_t ldc, int64_t m0,
                    int64_t m1, int64_t p0, int64_t p1, int64_t n,
                    const float *bias, const float *res, int64_t ldr,
                    int64_t act) {
  int64_t groups = (k + group - 1) / group;
  int64_t row_bytes = bits == 4 ? NR / 2 : NR;
  int rows = (int)(m1 - m0);
  int direct = rows > 0 && rows <= DIRECT_ROWS && groups <= DIRECT_MAX_GROUPS;
  /* The direct path: each row's sum over each group of K, once for every
   * panel. */
  float asum[DIRECT_ROWS * DIRECT_MAX_GROUPS];
  for (int r = 0; direct && r < rows; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      int64_t k0 = g * group, k1 = k0 + group < k ? k0 + group : k;
      float sum = 0;
      for (int64_t kk = k0; kk < k1; ++kk)
        sum += a[(m0 + r) * lda + kk];
      asum[r * groups + g] = sum;
    }
  /* The slice path: one dequantized K slice of a panel. */
  float slice[KC * NR] __attribute__((aligned(64)));
  for (int64_t p = p0; p < p1; ++p) {
    int64_t col = p * NR;
    int cols = n - col < NR ? (int)(n - col) : NR;
    const uint8_t *panel = (const uint8_t *)b + p * k * row_bytes;
    const char *pp =
        (const char *)params + p * groups * 2 * NR * (half ? 2 : 4);
    const float *biasp = bias ? bias + col : 0;
    if (direct) {
      switch (rows) {
        DIRECT_CASE(1)
        DIRECT_CASE(2)
        DIRECT_CASE(3)
        DIRECT_CASE(4)
      default:
        break;
      }
      continue;
    }
    for (int64_t k0 = 0;; k0 += KC) {
      int64_t kc = k - k0 < KC ? k - k0 : KC;
      int first = k0 == 0, last = k0 + kc >= k;
      /* The slice group by group (no division per k row), each group's
       * scale and offset loaded once. */
      for (int64_t kk = 0; kk < kc;) {
        int64_t g = (k0 + kk) / group;
        int64_t end = (g + 1) * group - k0;
        end = end < kc ? end : kc;
        vf s0, s1, o0, o1;
        group_params(pp, half, g, &s0, &s1, &o0, &o1);
        for (; kk < end; ++kk) {
          vf lo, hi;
          codes(bits, panel + (k0 + kk) * row_bytes, &lo, &hi);
          vf_store(slice + kk * NR, vf_fma(lo, s0, o0));
          vf_store(slice + kk * NR + VL, vf_fma(hi, s1, o1));
        }
      }
      for (int64_t i = m0; i < m1; i += MR) {
        int tile = m1 - i < MR ? (int)(m1 - i) : MR;
        tile_rows(tile, a + i * lda + k0, lda, slice, kc, c + i * ldc + col,
                  ldc, cols, first, last, biasp,
                  res ? res + i * ldr + col : 0, ldr, act,
                  (const char *)slice, 0);
      }
      if (last)
        break;
    }
  }
}
