/*===- quant_ukernels_test.c - the quantized GEMMs against references -*- C -*-===*
 *
 * Part of kiln. Checks each ISA copy of runtime/ukernels/{qgemm,wgemm}.c
 * this CPU runs (others are reported skipped):
 * - quantize_rows: the codes byte for byte (ties to even, an all-zero row,
 *   flagged outlier columns, K not a multiple of 4 or of the vector);
 * - tensor_quant_params + quantize_rows_affine (ONNX DynamicQuantizeLinear):
 *   scale, zero point and codes byte for byte against ONNX's formula
 *   (mixed signs, all positive, all negative, all zero, ties, saturation);
 * - qgemm: the int32 product exactly (integer activations with a 127 in
 *   each row and unit scales make every float in the epilogue an exact
 *   integer), over ragged M, N, K, two K slices, the compiler's block
 *   split, per token and per tensor; then with scales, bias, activation,
 *   residual and LLM.int8() outlier columns against a float reference;
 * - wgemm: 4- and 8-bit codes in groups, K not a multiple of the group,
 *   the slice path and the direct one (at most 4 rows), against the
 *   dequantized product.
 * Prints "quant ukernels: N passed, M failed, S skipped".
 *
 *===----------------------------------------------------------------------===*/

#include "ukernels/ukernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int64_t find_outliers_fn(const float *, int64_t, int64_t, int64_t,
                                 float, uint8_t *, int32_t *);
typedef void quantize_rows_fn(const float *, int64_t, int64_t, int64_t,
                              int64_t, const uint8_t *, uint8_t *, int64_t,
                              float *, const float *);
typedef int64_t tensor_quant_params_fn(const float *, int64_t, int64_t, int64_t,
                                       float *);
typedef void quantize_rows_affine_fn(const float *, int64_t, int64_t, int64_t,
                                     int64_t, const float *, int64_t,
                                     uint8_t *, int64_t, float *, int32_t *);
typedef void qgemm_fn(const uint8_t *, int64_t, const float *, int64_t,
                      const int32_t *, const int32_t *, const int8_t *, int64_t, const int32_t *, const float *, float *,
                      int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                      const float *, const float *, int64_t, int64_t,
                      const float *, int64_t, const int32_t *, int64_t);
typedef void wgemm_fn(const float *, int64_t, const void *, int64_t, int64_t,
                      int64_t, const void *, int64_t, float *, int64_t,
                      int64_t, int64_t, int64_t, int64_t, int64_t,
                      const float *, const float *, int64_t, int64_t);

struct isa {
  const char *name;
  const char *features[4];
  find_outliers_fn *find_outliers;
  quantize_rows_fn *quantize_rows;
  tensor_quant_params_fn *tensor_quant_params;
  quantize_rows_affine_fn *quantize_rows_affine;
  qgemm_fn *qgemm;
  wgemm_fn *wgemm;
  int64_t panel;
};
static const struct isa isas[] = {
    {"amx",
     {"avx512bw", "avx512vnni", "amx-tile", "amx-int8"},
     kiln_uk_find_outliers_amx,
     kiln_uk_quantize_rows_amx,
     kiln_uk_tensor_quant_params_amx,
     kiln_uk_quantize_rows_affine_amx,
     kiln_uk_qgemm_amx,
     kiln_uk_wgemm_amx,
     32},
    {"avx512vnni",
     {"avx512f", "avx512bw", "avx512vnni", "fma"},
     kiln_uk_find_outliers_avx512vnni,
     kiln_uk_quantize_rows_avx512vnni,
     kiln_uk_tensor_quant_params_avx512vnni,
     kiln_uk_quantize_rows_affine_avx512vnni,
     kiln_uk_qgemm_avx512vnni,
     kiln_uk_wgemm_avx512vnni,
     32},
    {"avx2",
     {"avx2", "fma", "f16c", 0},
     kiln_uk_find_outliers_avx2,
     kiln_uk_quantize_rows_avx2,
     kiln_uk_tensor_quant_params_avx2,
     kiln_uk_quantize_rows_affine_avx2,
     kiln_uk_qgemm_avx2,
     kiln_uk_wgemm_avx2,
     16},
};

static int passed, failed, skipped;

static void check(int ok, const char *what) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    printf("FAIL: %s\n", what);
  }
}

static unsigned rng = 4321;
static unsigned urand(void) {
  rng = rng * 1103515245u + 12345u;
  return rng >> 8;
}
static float frand(void) { return (urand() & 0xffff) / 32768.0f - 1.0f; }

static double act_ref(double x, int act) {
  switch (act) {
  case KILN_UK_ACT_RELU:
    return x > 0 ? x : 0;
  case KILN_UK_ACT_GELU:
    return 0.5 * x * (1 + erf(x / sqrt(2.0)));
  case KILN_UK_ACT_SILU:
    return x / (1 + exp(-x));
  default:
    return x;
  }
}

/* Codes W[n][k] packed for qgemm (ukernels.h), with bsum and bscale. */
static int8_t *pack_q(const int8_t *w, int64_t n, int64_t k, int64_t nr,
                      int32_t **bsum, float **bscale, const float *scale) {
  int64_t panels = (n + nr - 1) / nr, kp = (k + 3) & ~3;
  int8_t *p = calloc((size_t)(panels * kp * nr), 1);
  *bsum = calloc((size_t)(panels * nr), sizeof(int32_t));
  *bscale = calloc((size_t)(panels * nr), sizeof(float));
  for (int64_t j = 0; j < n; ++j) {
    int64_t q = j / nr, jj = j % nr;
    for (int64_t kk = 0; kk < k; ++kk) {
      p[((q * (kp / 4) + kk / 4) * nr + jj) * 4 + kk % 4] = w[j * k + kk];
      (*bsum)[j] += w[j * k + kk];
    }
    (*bscale)[j] = scale ? scale[j] : 1.0f;
  }
  return p;
}

/* Per-token codes are stored with this zero point. */
#define CODE_BIAS 128

/* Runs find_outliers (threshold > 0), quantize_rows (or, per_tensor,
 * tensor_quant_params and quantize_rows_affine) and qgemm the way the
 * compiler's wrapper does: rows in blocks of `row_block`, panels in groups
 * of `group`. */
static void run_q(const struct isa *isa, const float *a, int64_t m, int64_t k,
                  const int8_t *bp, const int32_t *bsum, const float *bscale,
                  int64_t n, float *c, const float *bias, const float *res,
                  int act, float threshold, int per_tensor,
                  const int32_t *bzero, int64_t row_block, int64_t group) {
  int64_t kp = (k + 3) & ~3, panels = (n + isa->panel - 1) / isa->panel;
  uint8_t *aq = malloc((size_t)(m * kp + 1));
  float *ascale = malloc(sizeof(float) * (m + 1));
  uint8_t *flags = malloc((size_t)k + 16);
  int32_t *index = malloc(sizeof(int32_t) * (k + 1));
  int64_t count = 0;
  if (threshold > 0)
    count = isa->find_outliers(a, k, m, k, threshold, flags, index);
  int64_t zero = CODE_BIAS;
  int32_t *arow = bzero ? malloc(sizeof(int32_t) * (m + 1)) : NULL;
  if (per_tensor) {
    float s;
    zero = isa->tensor_quant_params(a, k, m, k, &s);
    for (int64_t m0 = 0; m0 < m; m0 += 32)
      isa->quantize_rows_affine(a, k, k, m0, m0 + 32 < m ? m0 + 32 : m, &s,
                                zero, aq, kp, ascale, arow);
  } else {
    isa->quantize_rows(a, k, k, 0, m, threshold > 0 ? flags : NULL, aq, kp,
                       ascale, NULL);
  }
  for (int64_t m0 = 0; m0 < m; m0 += row_block)
    for (int64_t p0 = 0; p0 < panels; p0 += group)
      isa->qgemm(aq, kp, ascale, zero, arow, bzero, bp, kp, bsum, bscale, c, n, m0,
                 m0 + row_block < m ? m0 + row_block : m, p0,
                 p0 + group < panels ? p0 + group : panels, n, bias, res, n,
                 act, a, k, index, count);
  free(aq), free(ascale), free(flags), free(index), free(arow);
}

static void test_quantize_rows(const struct isa *isa) {
  /* Row 0: ties; row 1: zeros; row 2: a flagged column of 1000. */
  enum { K = 21 };
  float a[3][K] = {{127, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -127, 3.4999998f,
                    63.5f, -63.5f, 126.5f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
                   {0},
                   {1000, 63.5f, 0.25f, -127, 1}};
  int want[3][K] = {{127, 0, 2, 2, 0, -2, -127, 3, 64, -64, 126, 1, 2, 3, 4, 5,
                     6, 7, 8, 9, 10},
                    {0},
                    {0, 64, 0, -127, 1}};
  uint8_t flags[K + 16] = {0};
  flags[0] = 1;
  int64_t kp = 24;
  uint8_t aq[3 * 24];
  float scale[3];
  memset(aq, 0xee, sizeof aq);
  isa->quantize_rows(&a[0][0], K, K, 0, 2, NULL, aq, kp, scale, NULL);
  isa->quantize_rows(&a[0][0], K, K, 2, 3, flags, aq, kp, scale, NULL);
  int ok = scale[0] == 1.0f && scale[1] == 0.0f && scale[2] == 1.0f;
  for (int r = 0; r < 3; ++r)
    for (int j = 0; j < kp; ++j) {
      int code = j < K ? want[r][j] : 0;
      ok &= aq[r * kp + j] == (uint8_t)(code + CODE_BIAS);
    }
  char what[120];
  snprintf(what, sizeof what, "quantize_rows_%s: codes and scales",
           isa->name);
  check(ok, what);

  /* A channel scale: row 0 halved, then doubled back in column 0 (254):
   * the max is 127 again, every code as before except where the scale
   * moves it (columns 1-20 halved: ties of the halves round to even). */
  float cs[K];
  cs[0] = 1.0f;
  for (int j = 1; j < K; ++j)
    cs[j] = 0.5f;
  memset(aq, 0xee, sizeof aq);
  isa->quantize_rows(&a[0][0], K, K, 0, 1, NULL, aq, kp, scale, cs);
  ok = scale[0] == 1.0f;
  for (int j = 0; j < kp; ++j) {
    float x = j < K ? a[0][j] * cs[j] : 0;
    int code = (int)nearbyintf(x);
    code = code > 127 ? 127 : code < -127 ? -127 : code;
    ok &= aq[j] == (uint8_t)(code + CODE_BIAS);
  }
  snprintf(what, sizeof what, "quantize_rows_%s: with a channel scale",
           isa->name);
  check(ok, what);
}

/* tensor_quant_params and quantize_rows_affine on hand-computed cases
 * (ONNX's formula: scale (hi - lo) / 255, zero point round(-lo / scale)). */
static void test_tensor_quant(const struct isa *isa) {
  enum { K = 21 };
  struct {
    int64_t m, k;
    float a[2 * K];
    float scale;
    int64_t zero;
    int codes[2 * K];
  } cases[] = {
      /* Mixed signs: s = 4/255, -1/s = -63.75, 3/s = 191.25; 0.5 -> 31.875. */
      {1, 3, {-1, 3, 0.5f}, 4.0f / 255.0f, 64, {0, 255, 96}},
      /* All positive: lo = 0, zero point 0. */
      {1, 2, {2.55f, 1.0f}, 2.55f / 255.0f, 0, {255, 100}},
      /* All negative: hi = 0, zero point 255. */
      {1, 2, {-2.55f, -1.0f}, 2.55f / 255.0f, 255, {0, 155}},
      /* All zero: scale 1, zero point 0. */
      {2, 3, {0}, 1.0f, 0, {0}},
      /* Scale 1, zero point 128, ties to even, across two rows and past
       * the vector width. */
      {2, K, {-128, 127, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.4999998f,
              100, -100, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
              126.5f, -127.5f, 0.25f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
              13, 14, 15, 16, 17, 18},
       1.0f, 128,
       {0, 255, 128, 130, 130, 128, 126, 126, 131, 228, 28, 135, 136, 137,
        138, 139, 140, 141, 142, 143, 144, 254, 0, 128, 129, 130, 131, 132,
        133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145,
        146}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
    int64_t m = cases[c].m, k = cases[c].k, kp = (k + 3) & ~3;
    uint8_t aq[2 * 24];
    float row_scale[2] = {0, 0}, scale = 0;
    int32_t row_sum[2] = {0, 0};
    memset(aq, 0xee, sizeof aq);
    int64_t zero = isa->tensor_quant_params(cases[c].a, k, m, k, &scale);
    for (int64_t i = 0; i < m; ++i)
      isa->quantize_rows_affine(cases[c].a, k, k, i, i + 1, &scale, zero, aq,
                                kp, row_scale, row_sum);
    int ok = scale == cases[c].scale && zero == cases[c].zero;
    for (int64_t i = 0; i < m; ++i) {
      int32_t sum = 0;
      for (int64_t j = 0; j < k; ++j)
        sum += cases[c].codes[i * k + j] - (int)zero;
      ok &= row_scale[i] == scale && row_sum[i] == sum;
      for (int64_t j = 0; j < kp; ++j)
        ok &= aq[i * kp + j] ==
              (uint8_t)(j < k ? cases[c].codes[i * k + j] : zero);
    }
    char what[120];
    snprintf(what, sizeof what,
             "tensor_quant_%s case %zu: scale, zero point and codes",
             isa->name, c);
    check(ok, what);
  }
}

/* Integer activations with a 127 in each row (per tensor: in [-128, 127]
 * with both ends present, so that the scale is 1 and the zero point 128;
 * with_zero: and a weight zero point per channel), unit weight scales: C
 * must be the int32 product exactly. */
static void test_qgemm_exact(const struct isa *isa, int64_t m, int64_t k,
                             int64_t n, int per_tensor, int with_zero,
                             int64_t row_block, int64_t group) {
  float *a = malloc(sizeof(float) * m * k);
  int8_t *w = malloc((size_t)(n * k));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t kk = 0; kk < k; ++kk)
      a[i * k + kk] = kk == (i % k) ? (i & 1 ? -127.0f : 127.0f)
                                    : (float)((int)(urand() % 255) - 127);
  if (per_tensor)
    a[0] = -128.0f, a[m * k - 1] = 127.0f;
  for (int64_t j = 0; j < n * k; ++j)
    w[j] = (int8_t)(urand() & 0xff); /* -128 included */
  int32_t *bsum;
  float *bscale;
  int8_t *bp = pack_q(w, n, k, isa->panel, &bsum, &bscale, NULL);
  int64_t padded = (n + isa->panel - 1) / isa->panel * isa->panel;
  int32_t *bzero = with_zero ? calloc((size_t)padded, sizeof(int32_t)) : NULL;
  for (int64_t j = 0; with_zero && j < n; ++j)
    bzero[j] = (int32_t)(urand() % 256) - 128;
  float *c = malloc(sizeof(float) * (m * n + 1));
  c[m * n] = 42.0f;
  run_q(isa, a, m, k, bp, bsum, bscale, n, c, NULL, NULL, 0, 0, per_tensor,
        bzero, row_block, group);
  int64_t bad = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int32_t s = 0;
      for (int64_t kk = 0; kk < k; ++kk)
        s += (int32_t)a[i * k + kk] * (w[j * k + kk] - (bzero ? bzero[j] : 0));
      bad += c[i * n + j] != (float)s;
    }
  char what[160];
  snprintf(what, sizeof what,
           "qgemm_%s exact%s%s m=%lld k=%lld n=%lld: %lld of %lld differ",
           isa->name, per_tensor ? " per tensor" : "",
           with_zero ? " weight zero point" : "", (long long)m,
           (long long)k, (long long)n,
           (long long)bad, (long long)(m * n));
  check(bad == 0 && c[m * n] == 42.0f, what);
  free(a), free(w), free(bsum), free(bscale), free(bp), free(c), free(bzero);
}

/* Real-valued activations (a few outlier columns when threshold > 0),
 * channel scales, the epilogue: against the same quantization computed
 * here in double. */
static void test_qgemm_epilogue(const struct isa *isa, int64_t m, int64_t k,
                                int64_t n, int act, float threshold,
                                int per_tensor) {
  float *a = malloc(sizeof(float) * m * k);
  for (int64_t j = 0; j < m * k; ++j)
    a[j] = frand() * 3.0f;
  if (threshold > 0)
    for (int64_t i = 0; i < m; i += 3) {
      a[i * k + k / 3] = 40.0f; /* outlier columns k/3 and k-1 */
      a[i * k + k - 1] = -9.0f;
    }
  int8_t *w = malloc((size_t)(n * k));
  float *scale = malloc(sizeof(float) * n), *bias = malloc(sizeof(float) * n);
  float *res = malloc(sizeof(float) * m * n);
  for (int64_t j = 0; j < n * k; ++j)
    w[j] = (int8_t)((int)(urand() % 255) - 127);
  for (int64_t j = 0; j < n; ++j)
    scale[j] = 0.001f + 0.01f * (frand() + 1), bias[j] = frand();
  for (int64_t j = 0; j < m * n; ++j)
    res[j] = frand();
  int32_t *bsum;
  float *bscale;
  int8_t *bp = pack_q(w, n, k, isa->panel, &bsum, &bscale, scale);
  float *c = malloc(sizeof(float) * m * n);
  run_q(isa, a, m, k, bp, bsum, bscale, n, c, bias, res, act, threshold,
        per_tensor, NULL, 256, 4);
  /* Per tensor: ONNX DynamicQuantizeLinear's scale and zero point. */
  float lo = 0, hi = 0;
  for (int64_t j = 0; j < m * k; ++j)
    lo = fminf(lo, a[j]), hi = fmaxf(hi, a[j]);
  float ts = hi == lo ? 1.0f : (hi - lo) / 255.0f;
  float tz = nearbyintf(fminf(fmaxf(-lo / ts, 0.0f), 255.0f));
  double worst = 0;
  for (int64_t i = 0; i < m; ++i) {
    float amax = 0;
    for (int64_t kk = 0; kk < k; ++kk) {
      int out = 0;
      for (int64_t r = 0; threshold > 0 && r < m; ++r)
        out |= fabsf(a[r * k + kk]) >= threshold;
      if (!out && fabsf(a[i * k + kk]) > amax)
        amax = fabsf(a[i * k + kk]);
    }
    float inv = amax > 0 ? 127.0f / amax : 0.0f;
    for (int64_t j = 0; j < n; ++j) {
      double s = 0, f = 0;
      for (int64_t kk = 0; kk < k; ++kk) {
        int out = 0;
        for (int64_t r = 0; threshold > 0 && r < m; ++r)
          out |= fabsf(a[r * k + kk]) >= threshold;
        if (out)
          f += (double)a[i * k + kk] * w[j * k + kk];
        else if (per_tensor)
          s += fminf(fmaxf(nearbyintf(a[i * k + kk] / ts), -tz), 255 - tz) *
               w[j * k + kk];
        else
          s += nearbyintf(a[i * k + kk] * inv) * w[j * k + kk];
      }
      double y = (s * (per_tensor ? ts : amax / 127.0f) + f) * scale[j] +
                 bias[j];
      y = act_ref(y, act) + res[i * n + j];
      double e = fabs(y - c[i * n + j]) / (1 + fabs(y));
      if (!(e <= worst))
        worst = isnan(e) ? INFINITY : e;
    }
  }
  char what[160];
  snprintf(what, sizeof what,
           "qgemm_%s%s m=%lld k=%lld n=%lld act=%d outliers=%d: error %.2g",
           isa->name, per_tensor ? " per tensor" : "", (long long)m,
           (long long)k, (long long)n, act, threshold > 0, worst);
  check(worst < 1e-5, what);
  free(a), free(w), free(scale), free(bias), free(res), free(bsum),
      free(bscale), free(bp), free(c);
}

/* The IEEE half nearest to f (ties to even), for f in the normal half
 * range or 0. */
static uint16_t to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, mag = x & 0x7fffffff;
  if (mag == 0)
    return (uint16_t)sign;
  uint32_t e = (mag >> 23) - 127 + 15, m = mag & 0x7fffff;
  uint32_t h = (e << 10) | (m >> 13), rest = m & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h;
  return (uint16_t)(sign | h);
}

static float from_half(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f,
           m = h & 0x3ff, x = sign;
  if (e)
    x |= ((e - 15 + 127) << 23) | (m << 13);
  float f;
  memcpy(&f, &x, 4);
  return f;
}

/* Weight-only: codes [n][k] in groups, packed for wgemm (ukernels.h), the
 * scales and offsets as f32 or (half) as IEEE halves. */
static void test_wgemm(const struct isa *isa, int bits, int64_t m, int64_t k,
                       int64_t n, int64_t group, int act, int half) {
  int64_t nr = isa->panel, panels = (n + nr - 1) / nr;
  int64_t groups = (k + group - 1) / group;
  int qmax = (1 << bits) - 1, lo = bits == 8 ? -128 : 0;
  int8_t *w = malloc((size_t)(n * k)), *zp = malloc((size_t)(n * groups));
  float *scale = malloc(sizeof(float) * n * groups);
  float *offset = malloc(sizeof(float) * n * groups);
  for (int64_t j = 0; j < n * k; ++j)
    w[j] = (int8_t)(lo + (int)(urand() % (unsigned)(qmax + 1)));
  for (int64_t j = 0; j < n * groups; ++j) {
    zp[j] = (int8_t)(lo + (int)(urand() % (unsigned)(qmax + 1)));
    scale[j] = 0.01f * (frand() + 1.5f);
    offset[j] = -zp[j] * scale[j];
    if (half) /* the values the halves hold */
      scale[j] = from_half(to_half(scale[j])),
      offset[j] = from_half(to_half(offset[j]));
  }
  int64_t row_bytes = bits == 4 ? nr / 2 : nr;
  uint8_t *bp = calloc((size_t)(panels * k * row_bytes), 1);
  float *params = calloc((size_t)(panels * groups * 2 * nr), sizeof(float));
  uint16_t *hparams = calloc((size_t)(panels * groups * 2 * nr), 2);
  for (int64_t j = 0; j < n; ++j) {
    int64_t p = j / nr, jj = j % nr;
    for (int64_t kk = 0; kk < k; ++kk) {
      uint8_t code = (uint8_t)w[j * k + kk];
      uint8_t *byte = bp + (p * k + kk) * row_bytes;
      if (bits == 8)
        byte[jj] = code;
      else if (jj < nr / 2)
        byte[jj] |= code;
      else
        byte[jj - nr / 2] |= (uint8_t)(code << 4);
    }
    for (int64_t g = 0; g < groups; ++g) {
      int64_t at = (p * groups + g) * 2 * nr + jj;
      params[at] = scale[j * groups + g];
      params[at + nr] = offset[j * groups + g];
      hparams[at] = to_half(params[at]);
      hparams[at + nr] = to_half(params[at + nr]);
    }
  }
  float *a = malloc(sizeof(float) * m * k), *c = malloc(sizeof(float) * m * n);
  float *bias = malloc(sizeof(float) * n);
  for (int64_t j = 0; j < m * k; ++j)
    a[j] = frand();
  for (int64_t j = 0; j < n; ++j)
    bias[j] = frand();
  for (int64_t m0 = 0; m0 < m; m0 += 256)
    for (int64_t p0 = 0; p0 < panels; p0 += 1)
      isa->wgemm(a, k, bp, bits, k, group,
                 half ? (const void *)hparams : (const void *)params, half,
                 c, n, m0,
                 m0 + 256 < m ? m0 + 256 : m, p0, p0 + 1, n, bias, NULL, n,
                 act);
  double worst = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = bias[j];
      for (int64_t kk = 0; kk < k; ++kk)
        s += (double)a[i * k + kk] *
             ((double)w[j * k + kk] * scale[j * groups + kk / group] +
              offset[j * groups + kk / group]);
      s = act_ref(s, act);
      double e = fabs(s - c[i * n + j]) / (1 + fabs(s));
      if (!(e <= worst))
        worst = isnan(e) ? INFINITY : e;
    }
  char what[160];
  snprintf(what, sizeof what,
           "wgemm_%s bits=%d m=%lld k=%lld n=%lld group=%lld%s: error %.2g",
           isa->name, bits, (long long)m, (long long)k, (long long)n,
           (long long)group, half ? " (half params)" : "", worst);
  check(worst < 1e-5 * (1 + sqrt((double)k)), what);
  free(w), free(zp), free(scale), free(offset), free(bp), free(params),
      free(hparams), free(a), free(c), free(bias);
}

int main(void) {
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; ++i) {
    const struct isa *isa = &isas[i];
    const char *missing = NULL;
    for (int f = 0; f < 4 && isa->features[f] && !missing; ++f)
      if (kiln_cpu_missing_feature(isa->features[f]))
        missing = isa->features[f];
    if (missing) {
      printf("skipped: %s (this CPU lacks %s)\n", isa->name, missing);
      ++skipped;
      continue;
    }
    test_quantize_rows(isa);
    test_tensor_quant(isa);
    int64_t sizes[][3] = {{1, 1, 1},    {1, 64, 40},  {5, 3, 20},
                          {13, 77, 33}, {37, 1030, 64}, {2, 2100, 17},
                          {12, 256, 96}};
    for (int per_tensor = 0; per_tensor <= 1; ++per_tensor) {
      for (size_t s = per_tensor; s < sizeof sizes / sizeof sizes[0]; ++s)
        test_qgemm_exact(isa, sizes[s][0], sizes[s][1], sizes[s][2],
                         per_tensor, 0, 256, 4);
      /* The compiler's split. */
      test_qgemm_exact(isa, 300, 50, 70, per_tensor, 0, 256, 1);
      test_qgemm_epilogue(isa, 9, 100, 40, 0, 0, per_tensor);
      test_qgemm_epilogue(isa, 20, 768, 70, KILN_UK_ACT_GELU, 0, per_tensor);
    }
    /* Weight zero points (uint8 weights): two K slices, ragged N. */
    test_qgemm_exact(isa, 37, 1030, 64, 1, 1, 256, 4);
    test_qgemm_exact(isa, 300, 50, 70, 1, 1, 256, 1);
    test_qgemm_epilogue(isa, 7, 300, 33, KILN_UK_ACT_RELU, 6.0f, 0);
    test_qgemm_epilogue(isa, 1, 64, 64, 0, 6.0f, 0);
    /* Whole AMX tiles (K a multiple of 64, 16 rows or more): 32- and
     * 16-row blocks, the last rows on the vector kernel, the compiler's
     * split, both encodings, weight zero points, outliers, epilogues. */
    for (int per_tensor = 0; per_tensor <= 1; ++per_tensor) {
      test_qgemm_exact(isa, 37, 64, 40, per_tensor, 0, 256, 4);
      test_qgemm_exact(isa, 48, 768, 70, per_tensor, 0, 256, 4);
      test_qgemm_exact(isa, 16, 128, 33, per_tensor, 0, 256, 4);
      test_qgemm_exact(isa, 300, 384, 70, per_tensor, 0, 256, 1);
      test_qgemm_epilogue(isa, 40, 768, 70, KILN_UK_ACT_GELU, 0, per_tensor);
    }
    test_qgemm_exact(isa, 50, 192, 64, 1, 1, 256, 4);
    test_qgemm_epilogue(isa, 33, 128, 40, KILN_UK_ACT_RELU, 6.0f, 0);
    for (int bits = 4; bits <= 8; bits += 4)
      for (int half = 0; half <= 1; ++half) {
        test_wgemm(isa, bits, 1, 64, 40, 32, 0, half);
        test_wgemm(isa, bits, 5, 80, 33, 32, KILN_UK_ACT_SILU, half);
        test_wgemm(isa, bits, 30, 600, 70, 128, 0, half);
        test_wgemm(isa, bits, 3, 48, 16, 16, 0, half);
        /* The direct (decode) path: up to 4 rows, K not a multiple of the
         * group, every unroll tail. */
        test_wgemm(isa, bits, 4, 203, 70, 32, KILN_UK_ACT_GELU, half);
        test_wgemm(isa, bits, 2, 1001, 33, 64, 0, half);
      }
  }
  printf("quant ukernels: %d passed, %d failed, %d skipped\n", passed, failed,
         skipped);
  return failed != 0;
}
