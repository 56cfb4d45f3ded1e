/*===- sgemm.c - the packed-weight f32 GEMM microkernel ------------*- C -*-===*
 *
 * Part of kiln. C = act(A B + bias) + residual for one block of C, with B a
 * weight the compiler packed into panels of NR columns (ukernels.h). The
 * caller (the compiler's parallel loop) splits C into blocks of rows and
 * panels; this code is single-threaded.
 *
 * Blocking: K in slices of KC, so one panel's slice (KC x NR floats, 32 KiB
 * with AVX-512) stays in L1 while every row tile of the block streams
 * through it; rows MR at a time, so the MR x NR tile of C lives in 2 * MR
 * vector registers (24 of the 32 zmm). A is read in place: each k step
 * broadcasts MR scalars of A against two vectors of the panel. The
 * epilogue runs on the registers after the last K slice.
 *
 *===----------------------------------------------------------------------===*/

#include "simd.h"
#include "ukernels.h"
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
  /* The activation (a long polynomial) runs on the tile just stored, hot
   * in L1: applied to the registers it would spill all the accumulators. */
  if (last && act)
    for (int r = 0; r < ROWS; ++r)
      for (int h = 0; h < 2; ++h) {
        int n = h ? hi : lo;
        float *p = c + r * ldc + h * VL;
        vf x = vf_activation(vf_load_mask(p, n), act);
        if (res)
          x = vf_add(x, vf_load_mask(res + r * ldr + h * VL, n));
        vf_store_mask(p, x, n);
      }
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

void KILN_UK(sgemm)(const float *a, int64_t lda, const float *b, int64_t k,
                    float *c, int64_t ldc, int64_t m0, int64_t m1, int64_t p0,
                    int64_t p1, int64_t n, const float *bias,
                    const float *res, int64_t ldr, int64_t act) {
  /* K slices; K = 0 still runs one (empty) slice for the epilogue. */
  for (int64_t k0 = 0;; k0 += KC) {
    int64_t kc = k - k0 < KC ? k - k0 : KC;
    int first = k0 == 0, last = k0 + kc >= k;
    for (int64_t p = p0; p < p1; ++p) {
      int64_t col = p * NR;
      int cols = n - col < NR ? (int)(n - col) : NR;
      const float *bp = b + p * k * NR + k0 * NR;
      const float *biasp = bias ? bias + col : 0;
      /* The slice after this one: the next panel's, or the first panel's
       * next K slice. Weights stream from DRAM once per run, so the first
       * row tile would stall on every line of its slice; instead each row
       * tile prefetches its share of the next slice into L2. */
      int64_t nk0 = p + 1 < p1 ? k0 : k0 + KC, np = p + 1 < p1 ? p + 1 : p0;
      const char *next =
          nk0 < k ? (const char *)(b + np * k * NR + nk0 * NR) : 0;
      int64_t nkc = k - nk0 < KC ? k - nk0 : KC;
      int64_t tiles = (m1 - m0 + MR - 1) / MR;
      /* With one row tile (decode) the stream is sequential and short of
       * compute: the hardware prefetcher keeps up. Otherwise tile t
       * prefetches bytes [t, t + 1) * share of the next slice, a little at
       * every k step. */
      int64_t bytes = next && tiles > 1 ? nkc * NR * 4 : 0;
      int64_t share = (bytes + tiles - 1) / tiles;
      int64_t pstride = kc ? (share + kc - 1) / kc : 0;
      int64_t t = 0;
      for (int64_t i = m0; i < m1; i += MR, ++t) {
        int rows = m1 - i < MR ? (int)(m1 - i) : MR;
        const char *pf = bytes ? next + t * share : (const char *)bp;
        tile_rows(rows, a + i * lda + k0, lda, bp, kc, c + i * ldc + col, ldc,
                  cols, first, last, biasp, res ? res + i * ldr + col : 0,
                  ldr, act, pf, bytes ? pstride : 0);
      }
    }
    if (last)
      break;
  }
}

int64_t KILN_UK(sgemm_panel_width)(void) { return NR; }
