/*===- gemm_tile.h - the f32 register tile of the GEMM kernels -----*- C -*-===*
 *
 * Part of kiln. One MR x NR tile of C over a slice of K against a panel of
 * NR columns (ukernels.h), with the epilogue (bias, activation, residual)
 * on the last slice: shared by the f32 GEMM (sgemm.c) and the weight-only
 * quantized GEMM (wgemm.c, which dequantizes a slice of its panel first).
 * Included once per kernel source, so compiled for that source's ISA.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_UKERNELS_GEMM_TILE_H
#define KILN_RUNTIME_UKERNELS_GEMM_TILE_H

#include "simd.h"
#include "vmath.h"

#if VL == 16
#define MR 12
#else
#define MR 6
#endif
#define KC 256

/* One tile of ROWS rows (a compile-time constant after inlining) and
 * `cols` <= NR columns over `kc` steps of K. */
static inline __attribute__((always_inline)) void
tile(const int ROWS, const float *a, int64_t lda, const float *b, int64_t kc,
     float *c, int64_t ldc, int cols, int first, int last, const float *bias,
     const float *res, int64_t ldr, int64_t act, const char *pf,
     int64_t pstride) {
  vf acc[MR][2];
  /* With few rows the FMA chains are too few to hide their latency:
   * alternate two sets of accumulators over k. */
  const int split = ROWS <= 2;
  vf acc2[2][2];
  int lo = cols < VL ? cols : VL, hi = cols - lo;
  for (int r = 0; r < ROWS; ++r) {
    if (first) {
      acc[r][0] = vf_zero();
      acc[r][1] = vf_zero();
    } else if (cols == NR) {
      acc[r][0] = vf_load(c + r * ldc);
      acc[r][1] = vf_load(c + r * ldc + VL);
    } else {
      acc[r][0] = vf_load_mask(c + r * ldc, lo);
      acc[r][1] = vf_load_mask(c + r * ldc + VL, hi);
    }
  }
  int64_t kk = 0;
  if (split) {
    for (int r = 0; r < ROWS; ++r)
      acc2[r][0] = acc2[r][1] = vf_zero();
    for (; kk + 2 <= kc; kk += 2) {
      vf b0 = vf_load(b + kk * NR), b1 = vf_load(b + kk * NR + VL);
      vf b2 = vf_load(b + (kk + 1) * NR), b3 = vf_load(b + (kk + 1) * NR + VL);
      for (int r = 0; r < ROWS; ++r) {
        vf x = vf_set1(a[r * lda + kk]), y = vf_set1(a[r * lda + kk + 1]);
        acc[r][0] = vf_fma(x, b0, acc[r][0]);
        acc[r][1] = vf_fma(x, b1, acc[r][1]);
        acc2[r][0] = vf_fma(y, b2, acc2[r][0]);
        acc2[r][1] = vf_fma(y, b3, acc2[r][1]);
      }
    }
    for (int r = 0; r < ROWS; ++r) {
      acc[r][0] = vf_add(acc[r][0], acc2[r][0]);
      acc[r][1] = vf_add(acc[r][1], acc2[r][1]);
    }
  }
  for (; kk < kc; ++kk) {
    /* Spread over the k steps: in a burst, prefetches queue up and stall. */
    _mm_prefetch(pf + kk * pstride, _MM_HINT_T1);
    vf b0 = vf_load(b + kk * NR), b1 = vf_load(b + kk * NR + VL);
    for (int r = 0; r < ROWS; ++r) {
      vf x = vf_set1(a[r * lda + kk]);
      acc[r][0] = vf_fma(x, b0, acc[r][0]);
      acc[r][1] = vf_fma(x, b1, acc[r][1]);
    }
  }
  if (last && bias) {
    vf bias0 = vf_load_mask(bias, lo), bias1 = vf_load_mask(bias + VL, hi);
    for (int r = 0; r < ROWS; ++r) {
      acc[r][0] = vf_add(acc[r][0], bias0);
      acc[r][1] = vf_add(acc[r][1], bias1);
    }
  }
  if (last && res && !act)
    for (int r = 0; r < ROWS; ++r) {
      acc[r][0] = vf_add(acc[r][0], vf_load_mask(res + r * ldr, lo));
      acc[r][1] = vf_add(acc[r][1], vf_load_mask(res + r * ldr + VL, hi));
    }
  for (int r = 0; r < ROWS; ++r) {
    if (cols == NR) {
      vf_store(c + r * ldc, acc[r][0]);
      vf_store(c + r * ldc + VL, acc[r][1]);
    } else {
      vf_store_mask(c + r * ldc, acc[r][0], lo);
      vf_store_mask(c + r * ldc + VL, acc[r][1], hi);
    }
  }
  if (last && act)
    vf_activate_tile(ROWS, c, ldc, lo, hi, res, ldr, act);
}

#define TILE_CASE(R)                                                          \
  case R:                                                                     \
    tile(R, a, lda, b, kc, c, ldc, cols, first, last, bias, res, ldr, act,    \
         pf, pstride);                                                        \
    break;

static void tile_rows(int rows, const float *a, int64_t lda, const float *b,
                      int64_t kc, float *c, int64_t ldc, int cols, int first,
                      int last, const float *bias, const float *res,
                      int64_t ldr, int64_t act, const char *pf,
                      int64_t pstride) {
  switch (rows) {
    TILE_CASE(1)
    TILE_CASE(2)
    TILE_CASE(3)
    TILE_CASE(4)
    TILE_CASE(5)
    TILE_CASE(6)
#if MR > 6
    TILE_CASE(7)
    TILE_CASE(8)
    TILE_CASE(9)
    TILE_CASE(10)
    TILE_CASE(11)
    TILE_CASE(12)
#endif
  default:
    break;
  }
}

#endif /* KILN_RUNTIME_UKERNELS_GEMM_TILE_H */
