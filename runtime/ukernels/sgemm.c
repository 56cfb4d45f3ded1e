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

#include "gemm_tile.h"
#include "ukernels.h"

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
