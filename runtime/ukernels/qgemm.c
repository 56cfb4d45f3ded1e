/*===- qgemm.c - the int8 x int8 GEMM microkernel (w8a8, LLM.int8()) -*- C -*-===*
 *
 * Part of kiln. tfm.quantized_matmul with int8 activations:
 *
 *   1. find_outliers (LLM.int8() only): the columns of A whose largest |x|
 *      reaches the threshold, decided on each run from the data;
 *   2. quantize_rows (per token): each row of A to int8 with its own
 *      scale, outlier columns left out (code 0); or tensor_quant_params +
 *      quantize_rows_affine (per tensor, ONNX DynamicQuantizeLinear): the
 *      whole of A to uint8 with one scale and zero point;
 *   3. qgemm: C = act((A_q W_q^T) * s_a s_w + A_out W_out^T + bias) + res,
 *      the integer product exact in int32, the outlier columns in f32
 *      against the dequantized weight rows.
 *
 * Activations are stored as unsigned bytes u with a zero point z (code +
 * 128 per token, ONNX's own uint8 per tensor), since vpdpbusd (AVX-512
 * VNNI, 64 u8 x s8 products per instruction) takes them unsigned: the
 * kernel subtracts z * sum_k W[n][k], which the compiler computed when it
 * packed the weight. AVX2 has no exact 8-bit dot product (vpmaddubsw
 * saturates), so its copy widens both sides to 16 bits and uses vpmaddwd.
 *
 * The register tile is as sgemm.c's: MR rows x two vectors of NR / 2
 * int32 lanes; K runs in slices of KCQ groups of four, and a slice's
 * partial sums wait in C (as int32) for the next.
 *
 *===----------------------------------------------------------------------===*/

#if defined(KILN_UK_ISA_AMX)
#define _GNU_SOURCE /* syscall(), for the AMX permission */
#endif

#include "simd.h"
#include "ukernels.h"
#include "vmath.h"

#include <string.h>

#if defined(KILN_UK_ISA_AVX512)
#define QMR 12
static inline vi vi_zero(void) { return _mm512_setzero_si512(); }
static inline vi vi_load(const void *p) { return _mm512_loadu_si512(p); }
static inline void vi_store(void *p, vi x) { _mm512_storeu_si512(p, x); }
static inline vi vi_add(vi a, vi b) { return _mm512_add_epi32(a, b); }
static inline vi vi_sub(vi a, vi b) { return _mm512_sub_epi32(a, b); }
static inline vf vi_to_vf(vi a) { return _mm512_cvtepi32_ps(a); }
static inline vf vf_bits(vi a) { return _mm512_castsi512_ps(a); }
static inline vi vi_bits(vf a) { return _mm512_castps_si512(a); }
static inline vi vi_set1(int32_t x) { return _mm512_set1_epi32(x); }
static inline vi vi_mul(vi a, vi b) { return _mm512_mullo_epi32(a, b); }
/* x with the lanes whose flag byte is nonzero set to 0. */
static inline vf vf_drop_flagged(vf x, const uint8_t *flags) {
  __m512i f = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)flags));
  return _mm512_maskz_mov_ps(_mm512_testn_epi32_mask(f, f), x);
}
/* The activation operand of one k step: its 4 codes in every lane. */
typedef vi qa;
static inline qa qa_load(const uint8_t *p) {
  int32_t x;
  memcpy(&x, p, 4);
  return _mm512_set1_epi32(x);
}
/* acc[j] += sum_r a[r] * b[j][r] over the 4 bytes r of each lane. In
 * asm: with _mm512_dpbusd_epi32, GCC 12 copies every accumulator around
 * each instruction and spills half the tile to the stack per k step. */
static inline vi vi_dot(vi acc, qa a, vi b) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
  return acc;
}
/* Byte r of each lane of the panel row, sign-extended. */
static inline vi vi_byte(vi x, int r) {
  return _mm512_srai_epi32(_mm512_sllv_epi32(x, _mm512_set1_epi32(24 - 8 * r)),
                           24);
}
#else
#define QMR 4
static inline vi vi_zero(void) { return _mm256_setzero_si256(); }
static inline vi vi_load(const void *p) {
  return _mm256_loadu_si256((const __m256i *)p);
}
static inline void vi_store(void *p, vi x) {
  _mm256_storeu_si256((__m256i *)p, x);
}
static inline vi vi_add(vi a, vi b) { return _mm256_add_epi32(a, b); }
static inline vi vi_sub(vi a, vi b) { return _mm256_sub_epi32(a, b); }
static inline vf vi_to_vf(vi a) { return _mm256_cvtepi32_ps(a); }
static inline vf vf_bits(vi a) { return _mm256_castsi256_ps(a); }
static inline vi vi_bits(vf a) { return _mm256_castps_si256(a); }
static inline vi vi_set1(int32_t x) { return _mm256_set1_epi32(x); }
static inline vi vi_mul(vi a, vi b) { return _mm256_mullo_epi32(a, b); }
static inline vf vf_drop_flagged(vf x, const uint8_t *flags) {
  __m256i f = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)flags));
  __m256i keep = _mm256_cmpeq_epi32(f, _mm256_setzero_si256());
  return _mm256_and_ps(x, _mm256_castsi256_ps(keep));
}
/* The 4 unsigned codes as 16-bit pairs: (a0, a2) and (a1, a3) in every
 * lane. */
typedef struct {
  vi even, odd;
} qa;
static inline qa qa_load(const uint8_t *p) {
  int32_t x;
  memcpy(&x, p, 4);
  vi v = _mm256_set1_epi32(x);
  qa a = {_mm256_and_si256(v, _mm256_set1_epi16(0xff)),
          _mm256_srli_epi16(v, 8)};
  return a;
}
static inline vi vi_dot(vi acc, qa a, vi b) {
  vi even = _mm256_srai_epi16(_mm256_slli_epi16(b, 8), 8);
  vi odd = _mm256_srai_epi16(b, 8);
  acc = _mm256_add_epi32(acc, _mm256_madd_epi16(even, a.even));
  return _mm256_add_epi32(acc, _mm256_madd_epi16(odd, a.odd));
}
static inline vi vi_byte(vi x, int r) {
  return _mm256_srai_epi32(_mm256_sllv_epi32(x, _mm256_set1_epi32(24 - 8 * r)),
                           24);
}
#endif

/* Per-token codes are stored as code + QBIAS. */
#define QBIAS 128

/* Groups of four k per K slice: a panel's slice is KCQ * 4 * NR bytes
 * (32 KiB with AVX-512). */
#define KCQ 256

int64_t KILN_UK(find_outliers)(const float *a, int64_t lda, int64_t m,
                               int64_t k, float threshold, uint8_t *flags,
                               int32_t *index) {
  memset(flags, 0, (size_t)k);
  for (int64_t i = 0; i < m; ++i) {
    const float *row = a + i * lda;
    for (int64_t j = 0; j < k; ++j)
      if (row[j] >= threshold || row[j] <= -threshold)
        flags[j] = 1;
  }
  int64_t count = 0;
  for (int64_t j = 0; j < k; ++j)
    if (flags[j])
      index[count++] = (int32_t)j;
  return count;
}

/* Rounds to the nearest integer, ties to even (the MXCSR default). */
static inline int32_t round_even(float x) {
  return _mm_cvtss_si32(_mm_set_ss(x));
}

void KILN_UK(quantize_rows)(const float *a, int64_t lda, int64_t k,
                            int64_t m0, int64_t m1, const uint8_t *outliers,
                            uint8_t *aq, int64_t ldq, float *scale,
                            const float *channel_scale) {
  int64_t kp = (k + 3) & ~(int64_t)3;
  for (int64_t i = m0; i < m1; ++i) {
    const float *row = a + i * lda;
    uint8_t *q = aq + i * ldq;
    vf vmax = vf_zero();
    int64_t j = 0;
    for (; j + VL <= k; j += VL) {
      vf x = vf_load(row + j);
      if (channel_scale)
        x = vf_mul(x, vf_load(channel_scale + j));
      x = vf_abs(x);
      if (outliers)
        x = vf_drop_flagged(x, outliers + j);
      vmax = vf_max(vmax, x);
    }
    float amax = vf_reduce_max(vmax);
    for (; j < k; ++j)
      if (!(outliers && outliers[j])) {
        float x = channel_scale ? row[j] * channel_scale[j] : row[j];
        x = x < 0 ? -x : x;
        amax = x > amax ? x : amax;
      }
    scale[i] = amax / 127.0f;
    float inv = amax > 0 ? 127.0f / amax : 0.0f;
    j = 0;
#if defined(KILN_UK_ISA_AVX512)
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
    const __m512i bias = _mm512_set1_epi32(QBIAS);
    for (; j + VL <= k; j += VL) {
      vf x = vf_load(row + j);
      if (channel_scale)
        x = vf_mul(x, vf_load(channel_scale + j));
      __m512i c = _mm512_cvtps_epi32(vf_mul(x, vf_set1(inv)));
      c = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(c, lo), hi),
                           bias);
      if (outliers) {
        __m512i f = _mm512_cvtepu8_epi32(
            _mm_loadu_si128((const __m128i *)(outliers + j)));
        c = _mm512_mask_blend_epi32(_mm512_test_epi32_mask(f, f), c, bias);
      }
      _mm_storeu_si128((__m128i *)(q + j), _mm512_cvtepi32_epi8(c));
    }
#endif
    for (; j < k; ++j) {
      float x = channel_scale ? row[j] * channel_scale[j] : row[j];
      int32_t c = round_even(x * inv);
      c = c < -127 ? -127 : c > 127 ? 127 : c;
      if (outliers && outliers[j])
        c = 0;
      q[j] = (uint8_t)(c + QBIAS);
    }
    for (; j < kp; ++j)
      q[j] = (uint8_t)QBIAS;
  }
}

int64_t KILN_UK(tensor_quant_params)(const float *a, int64_t lda, int64_t m,
                                     int64_t k, float *scale) {
  /* The range of A, widened to hold 0. */
  vf vlo = vf_zero(), vhi = vf_zero();
  float lo = 0, hi = 0;
  for (int64_t i = 0; i < m; ++i) {
    const float *row = a + i * lda;
    int64_t j = 0;
    for (; j + VL <= k; j += VL) {
      vf x = vf_load(row + j);
      vlo = vf_min(vlo, x);
      vhi = vf_max(vhi, x);
    }
    for (; j < k; ++j) {
      lo = row[j] < lo ? row[j] : lo;
      hi = row[j] > hi ? row[j] : hi;
    }
  }
  float vmin = -vf_reduce_max(vf_sub(vf_zero(), vlo)), vmax = vf_reduce_max(vhi);
  lo = vmin < lo ? vmin : lo;
  hi = vmax > hi ? vmax : hi;
  /* As ONNX Runtime computes them, in float. */
  float s = hi == lo ? 1.0f : (hi - lo) / 255.0f;
  float zp = 0.0f - lo / s;
  zp = zp < 0.0f ? 0.0f : zp > 255.0f ? 255.0f : zp;
  *scale = s;
  return round_even(zp);
}

void KILN_UK(quantize_rows_affine)(const float *a, int64_t lda, int64_t k,
                                   int64_t m0, int64_t m1, const float *scale,
                                   int64_t zero, uint8_t *aq, int64_t ldq,
                                   float *row_scale, int32_t *row_sum) {
  int64_t kp = (k + 3) & ~(int64_t)3;
  float s = *scale;
  /* Clamped before rounding, as ONNX Runtime does (same result: the
   * bounds are integers). */
  float lo = (float)-zero, hi = (float)(255 - zero);
  for (int64_t i = m0; i < m1; ++i) {
    const float *row = a + i * lda;
    uint8_t *q = aq + i * ldq;
    row_scale[i] = s;
    int64_t j = 0;
#if defined(KILN_UK_ISA_AVX512)
    const __m512i z = _mm512_set1_epi32((int32_t)zero);
    for (; j + VL <= k; j += VL) {
      vf x = vf_min(vf_max(vf_div(vf_load(row + j), vf_set1(s)), vf_set1(lo)),
                    vf_set1(hi));
      __m512i c = _mm512_add_epi32(_mm512_cvtps_epi32(x), z);
      _mm_storeu_si128((__m128i *)(q + j), _mm512_cvtepi32_epi8(c));
    }
#endif
    for (; j < k; ++j) {
      float x = row[j] / s;
      x = x < lo ? lo : x > hi ? hi : x;
      q[j] = (uint8_t)(round_even(x) + zero);
    }
    for (; j < kp; ++j)
      q[j] = (uint8_t)zero;
    if (row_sum) {
      int32_t sum = 0;
      for (j = 0; j < k; ++j)
        sum += q[j];
      row_sum[i] = sum - (int32_t)(k * zero);
    }
  }
}

/* The end of a tile: `rows` rows of int32 sums over all of K (acc, a
 * row's NR columns at acc + r * ldacc) to C, corrected for the zero points
 * and rescaled, with the outlier columns, bias, residual and activation. */
static void qfinish(int rows, const int32_t *acc, int64_t ldacc,
                    const float *ascale, int32_t azero, const int32_t *arow,
                    const int32_t *bzero, const int8_t *panel,
                    const int32_t *bsum, const float *bscale, float *c,
                    int64_t ldc, int cols, const float *bias, const float *res,
                    int64_t ldr, int64_t act, const float *a, int64_t lda,
                    const int32_t *outliers, int64_t n_outliers) {
  int lo = cols < VL ? cols : VL, hi = cols - lo;
  vf sb0 = vf_load(bscale), sb1 = vf_load(bscale + VL);
  /* sum_k (u - z) w = sum_k u w - z sum_k w. */
  vi z = vi_set1(azero);
  vi comp0 = vi_mul(vi_load(bsum), z), comp1 = vi_mul(vi_load(bsum + VL), z);
  /* With a weight zero point zc: sum_k (u - z)(w - zc) = sum_k (u - z) w -
   * zc * arow, arow = sum_k (u - z). */
  vi zc0 = vi_zero(), zc1 = vi_zero();
  if (arow)
    zc0 = vi_load(bzero), zc1 = vi_load(bzero + VL);
  for (int r = 0; r < rows; ++r) {
    vi x0 = vi_sub(vi_load(acc + r * ldacc), comp0);
    vi x1 = vi_sub(vi_load(acc + r * ldacc + VL), comp1);
    if (arow) {
      vi rs = vi_set1(arow[r]);
      x0 = vi_sub(x0, vi_mul(zc0, rs));
      x1 = vi_sub(x1, vi_mul(zc1, rs));
    }
    vf sa = vf_set1(ascale[r]);
    vf y0 = vf_mul(vi_to_vf(x0), sa);
    vf y1 = vf_mul(vi_to_vf(x1), sa);
    for (int64_t o = 0; o < n_outliers; ++o) {
      int64_t col = outliers[o];
      const int8_t *row = panel + (col >> 2) * 4 * NR;
      vf x = vf_set1(a[r * lda + col]);
      y0 = vf_fma(x, vi_to_vf(vi_byte(vi_load(row), (int)(col & 3))), y0);
      y1 = vf_fma(x, vi_to_vf(vi_byte(vi_load(row + 4 * VL), (int)(col & 3))),
                  y1);
    }
    y0 = vf_mul(y0, sb0);
    y1 = vf_mul(y1, sb1);
    if (bias) {
      y0 = vf_add(y0, vf_load_mask(bias, lo));
      y1 = vf_add(y1, vf_load_mask(bias + VL, hi));
    }
    if (res && !act) {
      y0 = vf_add(y0, vf_load_mask(res + r * ldr, lo));
      y1 = vf_add(y1, vf_load_mask(res + r * ldr + VL, hi));
    }
    vf_store_mask(c + r * ldc, y0, lo);
    vf_store_mask(c + r * ldc + VL, y1, hi);
  }
  if (act)
    vf_activate_tile(rows, c, ldc, lo, hi, res, ldr, act);
}

/* One tile of ROWS rows and `cols` <= NR columns over `kcq` groups of four
 * k. Partial sums are kept in C as int32 between slices. */
static inline __attribute__((always_inline)) void
qtile(const int ROWS, const uint8_t *aq, int64_t ldq, const float *ascale,
      int32_t azero, const int32_t *arow, const int32_t *bzero,
      const int8_t *b, int64_t kcq, const int8_t *panel, const int32_t *bsum,
      const float *bscale, float *c, int64_t ldc, int cols, int first,
      int last, const float *bias, const float *res, int64_t ldr, int64_t act,
      const float *a, int64_t lda, const int32_t *outliers,
      int64_t n_outliers) {
  vi acc[QMR][2];
  int lo = cols < VL ? cols : VL, hi = cols - lo;
  for (int r = 0; r < ROWS; ++r) {
    if (first) {
      acc[r][0] = acc[r][1] = vi_zero();
    } else {
      acc[r][0] = vi_bits(vf_load_mask(c + r * ldc, lo));
      acc[r][1] = vi_bits(vf_load_mask(c + r * ldc + VL, hi));
    }
  }
  for (int64_t kq = 0; kq < kcq; ++kq) {
    vi b0 = vi_load(b + kq * 4 * NR), b1 = vi_load(b + kq * 4 * NR + 4 * VL);
    for (int r = 0; r < ROWS; ++r) {
      qa x = qa_load(aq + r * ldq + 4 * kq);
      acc[r][0] = vi_dot(acc[r][0], x, b0);
      acc[r][1] = vi_dot(acc[r][1], x, b1);
    }
  }
  if (!last) {
    /* C's own columns hold the partial sums (bit patterns of int32). */
    for (int r = 0; r < ROWS; ++r) {
      vf_store_mask(c + r * ldc, vf_bits(acc[r][0]), lo);
      vf_store_mask(c + r * ldc + VL, vf_bits(acc[r][1]), hi);
    }
    return;
  }
  int32_t sums[QMR][NR] __attribute__((aligned(64)));
  for (int r = 0; r < ROWS; ++r) {
    vi_store(sums[r], acc[r][0]);
    vi_store(sums[r] + VL, acc[r][1]);
  }
  qfinish(ROWS, &sums[0][0], NR, ascale, azero, arow, bzero, panel, bsum,
          bscale, c, ldc, cols, bias, res, ldr, act, a, lda, outliers,
          n_outliers);
}

#define QTILE_CASE(R)                                                         \
  case R:                                                                     \
    qtile(R, aqi, ldq, ascalei, (int32_t)azero, arowi, bzerop, bp, kcq, panel, bsump, bscalep, cp, ldc, cols, \
          first, last, biasp, resp, ldr, act, ai, lda, outliers, n_outliers); \
    break;

/* The vector-register GEMM (VNNI, or AVX2's widening dot products). */
static void qgemm_vector(const uint8_t *aq, int64_t ldq, const float *ascale,
                         int64_t azero, const int32_t *arow,
                         const int32_t *bzero, const int8_t *b, int64_t kp,
                         const int32_t *bsum, const float *bscale, float *c,
                         int64_t ldc, int64_t m0, int64_t m1, int64_t p0,
                         int64_t p1, int64_t n, const float *bias,
                         const float *res, int64_t ldr, int64_t act,
                         const float *a, int64_t lda, const int32_t *outliers,
                         int64_t n_outliers) {
  int64_t kq_total = kp / 4;
  for (int64_t q0 = 0;; q0 += KCQ) {
    int64_t kcq = kq_total - q0 < KCQ ? kq_total - q0 : KCQ;
    int first = q0 == 0, last = q0 + kcq >= kq_total;
    for (int64_t p = p0; p < p1; ++p) {
      int64_t col = p * NR;
      int cols = n - col < NR ? (int)(n - col) : NR;
      const int8_t *panel = b + p * kq_total * 4 * NR;
      for (int64_t i = m0; i < m1; i += QMR) {
        int rows = m1 - i < QMR ? (int)(m1 - i) : QMR;
        const uint8_t *aqi = aq + i * ldq + 4 * q0;
        const int8_t *bp = panel + q0 * 4 * NR;
        const float *ascalei = ascale + i, *biasp = bias ? bias + col : 0;
        const float *resp = res ? res + i * ldr + col : 0;
        const float *ai = a ? a + i * lda : 0;
        const int32_t *bsump = bsum + col;
        const int32_t *arowi = arow ? arow + i : 0;
        const int32_t *bzerop = bzero ? bzero + col : 0;
        const float *bscalep = bscale + col;
        float *cp = c + i * ldc + col;
        switch (rows) {
          QTILE_CASE(1)
          QTILE_CASE(2)
          QTILE_CASE(3)
          QTILE_CASE(4)
#if QMR > 4
          QTILE_CASE(5)
          QTILE_CASE(6)
          QTILE_CASE(7)
          QTILE_CASE(8)
          QTILE_CASE(9)
          QTILE_CASE(10)
          QTILE_CASE(11)
          QTILE_CASE(12)
#endif
        default:
          break;
        }
      }
    }
    if (last)
      break;
  }
}

#if defined(KILN_UK_ISA_AMX)
/* AMX-INT8: tdpbusd multiplies a 16 x 64 tile of u8 codes (16 rows of A,
 * 64 k) by a 16 x 64 tile of s8 weights (16 groups of four k, 16 columns
 * of four bytes each: exactly the rows of a packed panel, 4 * NR bytes
 * apart) into a 16 x 16 int32 tile, 16384 products an instruction. Tiles:
 * 0-3 the 2 x 2 int32 sums of a 32-row, 32-column block, 4-5 A, 6-7 B.
 * Linux hands out the tile state only on request (once per process). */
#include <sys/syscall.h>
#include <unistd.h>
#define KILN_ARCH_REQ_XCOMP_PERM 0x1023
#define KILN_XFEATURE_XTILEDATA 18

static int amx_permitted(void) {
  static volatile int state; /* 0: not asked yet, 1: granted, -1: refused */
  if (!state)
    state = syscall(SYS_arch_prctl, KILN_ARCH_REQ_XCOMP_PERM,
                    KILN_XFEATURE_XTILEDATA) == 0
                ? 1
                : -1;
  return state > 0;
}

struct amx_tile_config {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

static void amx_configure(void) {
  struct amx_tile_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  for (int t = 0; t < 8; ++t) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = 16;
  }
  _tile_loadconfig(&cfg);
}

/* sums[32][NR] (16 rows when !two) = A rows x the panel's NR columns over
 * all kq_total groups of four k (a multiple of 16). */
static void amx_block(int two, const uint8_t *aq, int64_t ldq,
                      const int8_t *panel, int64_t kq_total, int32_t *sums) {
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (int64_t kq = 0; kq < kq_total; kq += 16) {
    const int8_t *bp = panel + kq * 4 * NR;
    _tile_loadd(6, bp, 4 * NR);
    _tile_loadd(7, bp + 4 * VL, 4 * NR);
    _tile_loadd(4, aq + 4 * kq, ldq);
    _tile_dpbusd(0, 4, 6);
    _tile_dpbusd(1, 4, 7);
    if (two) {
      _tile_loadd(5, aq + 16 * ldq + 4 * kq, ldq);
      _tile_dpbusd(2, 5, 6);
      _tile_dpbusd(3, 5, 7);
    }
  }
  _tile_stored(0, sums, NR * 4);
  _tile_stored(1, sums + VL, NR * 4);
  if (two) {
    _tile_stored(2, sums + 16 * NR, NR * 4);
    _tile_stored(3, sums + 16 * NR + VL, NR * 4);
  }
}
#endif

void KILN_UK(qgemm)(const uint8_t *aq, int64_t ldq, const float *ascale,
                    int64_t azero, const int32_t *arow, const int32_t *bzero,
                    const int8_t *b, int64_t kp, const int32_t *bsum,
                    const float *bscale, float *c, int64_t ldc, int64_t m0,
                    int64_t m1, int64_t p0, int64_t p1, int64_t n,
                    const float *bias, const float *res, int64_t ldr,
                    int64_t act, const float *a, int64_t lda,
                    const int32_t *outliers, int64_t n_outliers) {
#if defined(KILN_UK_ISA_AMX)
  /* Whole tiles only: K in steps of 64, rows in steps of 16 (the last
   * few rows, and a K that is not a multiple of 64, take the vector
   * kernel). */
  if (kp % 64 == 0 && m1 - m0 >= 16 && amx_permitted()) {
    int64_t kq_total = kp / 4;
    int64_t m16 = m0 + (m1 - m0) / 16 * 16;
    int32_t sums[32 * NR] __attribute__((aligned(64)));
    amx_configure();
    for (int64_t p = p0; p < p1; ++p) {
      int64_t col = p * NR;
      int cols = n - col < NR ? (int)(n - col) : NR;
      const int8_t *panel = b + p * kq_total * 4 * NR;
      for (int64_t i = m0; i < m16;) {
        int two = i + 32 <= m16;
        amx_block(two, aq + i * ldq, ldq, panel, kq_total, sums);
        qfinish(two ? 32 : 16, sums, NR, ascale + i, (int32_t)azero,
                arow ? arow + i : 0, bzero ? bzero + col : 0, panel, bsum + col,
                bscale + col, c + i * ldc + col, ldc, cols,
                bias ? bias + col : 0, res ? res + i * ldr + col : 0, ldr, act,
                a ? a + i * lda : 0, lda, outliers, n_outliers);
        i += two ? 32 : 16;
      }
    }
    _tile_release();
    if (m16 < m1)
      qgemm_vector(aq, ldq, ascale, azero, arow, bzero, b, kp, bsum, bscale, c,
                   ldc, m16, m1, p0, p1, n, bias, res, ldr, act, a, lda,
                   outliers, n_outliers);
    return;
  }
#endif
  qgemm_vector(aq, ldq, ascale, azero, arow, bzero, b, kp, bsum, bscale, c,
               ldc, m0, m1, p0, p1, n, bias, res, ldr, act, a, lda, outliers,
               n_outliers);
}
