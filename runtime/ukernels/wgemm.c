/*===- wgemm.c - the weight-only quantized GEMM microkernel (w8, w4) -*- C -*-===*
 *
 * Part of kiln. tfm.quantized_matmul with f32 activations and int8/int4
 * weights in groups along K, each with a scale and zero point:
 * W[k][j] = (q - zp) * scale = q * scale + offset (offset = -zp * scale,
 * computed when the compiler packed the weight).
 *
 * Each K slice of a panel is dequantized once into an f32 buffer in L1 and
 * multiplied by the rows of the block on sgemm's register tile
 * (gemm_tile.h): the weights stream from memory at 1 or 1/2 byte each,
 * which is what decode (one row, memory-bound) needs, and the dequantizing
 * is paid once per slice however many rows reuse it.
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

void KILN_UK(wgemm)(const float *a, int64_t lda, const void *b, int64_t bits,
                    int64_t k, int64_t group, const float *scale,
                    const float *offset, float *c, int64_t ldc, int64_t m0,
                    int64_t m1, int64_t p0, int64_t p1, int64_t n,
                    const float *bias, const float *res, int64_t ldr,
                    int64_t act) {
  /* One dequantized K slice of a panel. */
  float slice[KC * NR] __attribute__((aligned(64)));
  int64_t groups = (k + group - 1) / group;
  int64_t row_bytes = bits == 4 ? NR / 2 : NR;
  for (int64_t p = p0; p < p1; ++p) {
    int64_t col = p * NR;
    int cols = n - col < NR ? (int)(n - col) : NR;
    const uint8_t *panel = (const uint8_t *)b + p * k * row_bytes;
    const float *ps = scale + p * groups * NR, *po = offset + p * groups * NR;
    const float *biasp = bias ? bias + col : 0;
    for (int64_t k0 = 0;; k0 += KC) {
      int64_t kc = k - k0 < KC ? k - k0 : KC;
      int first = k0 == 0, last = k0 + kc >= k;
      for (int64_t kk = 0; kk < kc; ++kk) {
        int64_t g = (k0 + kk) / group;
        const uint8_t *row = panel + (k0 + kk) * row_bytes;
        vf lo, hi;
        if (bits == 4)
          codes4(row, &lo, &hi);
        else
          codes8((const int8_t *)row, &lo, &hi);
        vf_store(slice + kk * NR,
                 vf_fma(lo, vf_load(ps + g * NR), vf_load(po + g * NR)));
        vf_store(slice + kk * NR + VL, vf_fma(hi, vf_load(ps + g * NR + VL),
                                              vf_load(po + g * NR + VL)));
      }
      for (int64_t i = m0; i < m1; i += MR) {
        int rows = m1 - i < MR ? (int)(m1 - i) : MR;
        tile_rows(rows, a + i * lda + k0, lda, slice, kc, c + i * ldc + col,
                  ldc, cols, first, last, biasp,
                  res ? res + i * ldr + col : 0, ldr, act,
                  (const char *)slice, 0);
      }
      if (last)
        break;
    }
  }
}
