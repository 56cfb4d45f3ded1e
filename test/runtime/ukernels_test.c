/*===- ukernels_test.c - the microkernels against reference loops --*- C -*-===*
 *
 * Part of kiln. Checks every ISA variant of runtime/ukernels this CPU runs
 * (others are reported skipped): sgemm over ragged M, N, K, M = 1, every
 * epilogue and the block split the compiler uses; attention with and
 * without masks (float, keep, broadcast), causal, grouped-query heads,
 * ragged query and key blocks, decode (one query row); layer and RMS
 * norms; the vector math against libm; and the runtime's strided copy
 * (memrefCopy). Prints "ukernels: N passed, M failed, S skipped".
 *
 * With --bench [threads]: GFLOP/s of the sgemm microkernel on the shapes
 * M in {1, 8, 128, 512, 2048} x K, N in {384, 576, 768, 1536, 3072}, as a
 * fraction of an FMA peak measured here (single thread, then split over
 * `threads` OpenMP threads the way the compiler's wrapper splits it).
 *
 *===----------------------------------------------------------------------===*/

#include "ukernels/ukernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void sgemm_fn(const float *, int64_t, const float *, int64_t, float *,
                      int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                      const float *, const float *, int64_t, int64_t);
typedef void attention_fn(const float *, const float *, const float *,
                          float *, int64_t, int64_t, int64_t, int64_t,
                          int64_t, int64_t, int64_t, float, const void *,
                          int64_t, int64_t, int64_t, int64_t, int64_t,
                          int64_t, int64_t);

typedef void norm_fn(const float *, float *, int64_t, int64_t, int64_t,
                     const float *, const float *, float, int64_t);

struct isa {
  const char *name, *feature;
  sgemm_fn *sgemm;
  attention_fn *attention;
  norm_fn *norm;
  int64_t panel;
};
static const struct isa isas[] = {
    {"avx512", "avx512f", kiln_uk_sgemm_avx512, kiln_uk_attention_avx512,
     kiln_uk_norm_avx512, KILN_UK_PANEL_AVX512},
    {"avx2", "avx2", kiln_uk_sgemm_avx2, kiln_uk_attention_avx2,
     kiln_uk_norm_avx2, KILN_UK_PANEL_AVX2},
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

static unsigned rng = 12345;
static float frand(void) {
  rng = rng * 1103515245u + 12345u;
  return ((rng >> 9) & 0xffff) / 32768.0f - 1.0f;
}
static float *randv(size_t n) {
  float *p = malloc(n * sizeof *p);
  for (size_t i = 0; i < n; ++i)
    p[i] = frand();
  return p;
}

static double ref_act(double x, int act) {
  switch (act) {
  case KILN_UK_ACT_RELU:
    return x > 0 ? x : 0;
  case KILN_UK_ACT_GELU:
    return 0.5 * x * (1 + erf(x / sqrt(2.0)));
  case KILN_UK_ACT_GELU_TANH:
    return 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
  case KILN_UK_ACT_SILU:
    return x / (1 + exp(-x));
  case KILN_UK_ACT_SIGMOID:
    return 1 / (1 + exp(-x));
  case KILN_UK_ACT_TANH:
    return tanh(x);
  default:
    return x;
  }
}

/* W[k][n] packed the way kiln-x86-pack-matmul packs it. */
static float *pack(const float *w, int64_t k, int64_t n, int64_t nr) {
  int64_t panels = (n + nr - 1) / nr;
  float *p = calloc((size_t)(panels * k * nr), sizeof *p);
  for (int64_t q = 0; q < panels; ++q)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < nr && q * nr + j < n; ++j)
        p[(q * k + kk) * nr + j] = w[kk * n + q * nr + j];
  return p;
}

static void test_sgemm(const struct isa *isa, int64_t m, int64_t k, int64_t n,
                       int bias_on, int res_on, int act, int64_t row_block,
                       int64_t panel_group) {
  float *a = randv(m * k), *w = randv(k * n), *bias = randv(n),
        *res = randv(m * n);
  float *c = malloc(sizeof(float) * (m * n + 1));
  float *bp = pack(w, k, n, isa->panel);
  c[m * n] = 42.0f; /* a canary past the end */
  int64_t panels = (n + isa->panel - 1) / isa->panel;
  for (int64_t m0 = 0; m0 < m; m0 += row_block)
    for (int64_t p0 = 0; p0 < panels; p0 += panel_group)
      isa->sgemm(a, k, bp, k, c, n, m0, m0 + row_block < m ? m0 + row_block : m,
                 p0, p0 + panel_group < panels ? p0 + panel_group : panels, n,
                 bias_on ? bias : NULL, res_on ? res : NULL, n, act);
  double worst = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = bias_on ? bias[j] : 0;
      for (int64_t kk = 0; kk < k; ++kk)
        s += (double)a[i * k + kk] * w[kk * n + j];
      s = ref_act(s, act);
      if (res_on)
        s += res[i * n + j];
      double e = fabs(s - c[i * n + j]) / (1 + fabs(s));
      if (!(e <= worst))
        worst = isnan(e) ? INFINITY : e;
    }
  char what[200];
  snprintf(what, sizeof what,
           "sgemm_%s m=%lld k=%lld n=%lld bias=%d res=%d act=%d: error %.2g",
           isa->name, (long long)m, (long long)k, (long long)n, bias_on,
           res_on, act, worst);
  check(worst < 1e-5 * (1 + sqrt((double)k)) && c[m * n] == 42.0f, what);
  free(a), free(w), free(bias), free(res), free(c), free(bp);
}

static void test_attention(const struct isa *isa, int64_t batch, int64_t hq,
                           int64_t hkv, int64_t sq, int64_t sk, int64_t d,
                           int64_t dv, int mask_kind, int broadcast_mask,
                           int causal) {
  float *q = randv(batch * hq * sq * d), *k = randv(batch * hkv * sk * d),
        *v = randv(batch * hkv * sk * dv);
  float *out = malloc(sizeof(float) * batch * hq * sq * dv);
  /* The mask: [batch, 1, 1, sk] when broadcast, else [batch, hq, sq, sk]. */
  int64_t ms0 = broadcast_mask ? sk : hq * sq * sk,
          ms1 = broadcast_mask ? 0 : sq * sk, ms2 = broadcast_mask ? 0 : sk,
          ms3 = 1;
  size_t mn = (size_t)(batch * hq * sq * sk);
  float *maskf = malloc(mn * sizeof *maskf);
  unsigned char *maskb = malloc(mn);
  for (size_t i = 0; i < mn; ++i) {
    maskb[i] = (rng = rng * 1103515245u + 12345u) >> 30 != 0; /* 3/4 kept */
    maskf[i] = maskb[i] ? frand() : -10000.0f;
  }
  if (mask_kind == KILN_UK_MASK_KEEP) /* one fully masked row for batch 0 */
    for (int64_t j = 0; j < sk; ++j)
      maskb[j] = 0;
  const void *mask = mask_kind == KILN_UK_MASK_ADD    ? (const void *)maskf
                     : mask_kind == KILN_UK_MASK_KEEP ? (const void *)maskb
                                                      : NULL;
  float scale = 1.0f / sqrtf((float)d);
  int64_t blocks = (sq + KILN_UK_ATTENTION_QUERY_BLOCK - 1) /
                   KILN_UK_ATTENTION_QUERY_BLOCK;
  for (int64_t item = 0; item < batch * hq * blocks; ++item)
    isa->attention(q, k, v, out, batch, hq, hkv, sq, sk, d, dv, scale, mask,
                   mask_kind, ms0, ms1, ms2, ms3, causal, item);
  double worst = 0;
  double *sc = malloc(sizeof(double) * sk);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < hq; ++h)
      for (int64_t i = 0; i < sq; ++i) {
        int64_t g = h / (hq / hkv);
        double mx = -INFINITY;
        for (int64_t j = 0; j < sk; ++j) {
          double s = 0;
          for (int64_t x = 0; x < d; ++x)
            s += (double)q[((b * hq + h) * sq + i) * d + x] *
                 k[((b * hkv + g) * sk + j) * d + x];
          s *= scale;
          int64_t mi = b * ms0 + h * ms1 + i * ms2 + j * ms3;
          if (mask_kind == KILN_UK_MASK_ADD)
            s += maskf[mi];
          if (mask_kind == KILN_UK_MASK_KEEP && !maskb[mi])
            s = -INFINITY;
          if (causal && j > i + sk - sq)
            s = -INFINITY;
          sc[j] = s;
          if (s > mx)
            mx = s;
        }
        double l = 0;
        for (int64_t j = 0; j < sk; ++j) {
          sc[j] = mx == -INFINITY ? 0 : exp(sc[j] - mx);
          l += sc[j];
        }
        for (int64_t c = 0; c < dv; ++c) {
          double o = 0;
          for (int64_t j = 0; j < sk; ++j)
            o += sc[j] * v[((b * hkv + g) * sk + j) * dv + c];
          o = l > 0 ? o / l : 0;
          double e = fabs(o - out[((b * hq + h) * sq + i) * dv + c]);
          if (!(e <= worst))
            worst = isnan(e) ? INFINITY : e;
        }
      }
  char what[200];
  snprintf(what, sizeof what,
           "attention_%s b=%lld hq=%lld hkv=%lld sq=%lld sk=%lld d=%lld "
           "dv=%lld mask=%d/%d causal=%d: error %.2g",
           isa->name, (long long)batch, (long long)hq, (long long)hkv,
           (long long)sq, (long long)sk, (long long)d, (long long)dv,
           mask_kind, broadcast_mask, causal, worst);
  check(worst < 2e-5, what);
  free(q), free(k), free(v), free(out), free(maskf), free(maskb), free(sc);
}

/* memrefCopy (runtime/memref_copy.c): strided views, rows that collapse. */
typedef struct {
  int64_t rank;
  void *descriptor;
} unranked;
void memrefCopy(int64_t element_size, unranked *src, unranked *dst);

static void test_memref_copy(void) {
  /* src: a [4][6][5] buffer viewed as [3][6][4] from offset 1 (inner rows
   * of 4 contiguous), and as its transpose [5][6][4] (nothing contiguous). */
  float buf[4 * 6 * 5], out[5 * 6 * 4];
  for (int i = 0; i < 4 * 6 * 5; ++i)
    buf[i] = (float)i;
  struct {
    void *a, *b;
    int64_t off, sizes[3], strides[3];
  } s1 = {buf, buf, 1, {3, 6, 4}, {30, 5, 1}},
    d1 = {out, out, 0, {3, 6, 4}, {24, 4, 1}},
    s2 = {buf, buf, 0, {5, 6, 4}, {1, 5, 30}},
    d2 = {out, out, 0, {5, 6, 4}, {24, 4, 1}};
  unranked us = {3, &s1}, ud = {3, &d1};
  memrefCopy(4, &us, &ud);
  int ok = 1;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 6; ++j)
      for (int k = 0; k < 4; ++k)
        ok &= out[i * 24 + j * 4 + k] == buf[1 + i * 30 + j * 5 + k];
  check(ok, "memrefCopy of a view with contiguous rows");
  us.descriptor = &s2;
  ud.descriptor = &d2;
  memrefCopy(4, &us, &ud);
  ok = 1;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 6; ++j)
      for (int k = 0; k < 4; ++k)
        ok &= out[i * 24 + j * 4 + k] == buf[i + j * 5 + k * 30];
  check(ok, "memrefCopy of a transposed view");
}

static void test_norm(const struct isa *isa, int64_t rows, int64_t n,
                      int bias_on, int rms, float offset) {
  float *x = randv(rows * n), *g = randv(n), *b = randv(n);
  float *y = malloc(sizeof(float) * (rows * n + 1));
  for (int64_t i = 0; i < rows * n; ++i)
    x[i] += offset; /* a large mean tests the centred variance */
  y[rows * n] = 42.0f;
  isa->norm(x, y, 0, rows / 2, n, g, bias_on ? b : NULL, 1e-5f, rms);
  isa->norm(x, y, rows / 2, rows, n, g, bias_on ? b : NULL, 1e-5f, rms);
  double worst = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t j = 0; j < n; ++j)
      mean += x[r * n + j];
    mean = rms ? 0 : mean / n;
    for (int64_t j = 0; j < n; ++j)
      var += (x[r * n + j] - mean) * (x[r * n + j] - mean);
    var /= n;
    for (int64_t j = 0; j < n; ++j) {
      double want = (x[r * n + j] - mean) / sqrt(var + 1e-5) * g[j] +
                    (bias_on ? b[j] : 0);
      double e = fabs(want - y[r * n + j]);
      if (!(e <= worst))
        worst = isnan(e) ? INFINITY : e;
    }
  }
  char what[160];
  snprintf(what, sizeof what,
           "norm_%s rows=%lld n=%lld bias=%d rms=%d offset=%g: error %.2g",
           isa->name, (long long)rows, (long long)n, bias_on, rms, offset,
           worst);
  check(worst < 1e-4 && y[rows * n] == 42.0f, what);
  free(x), free(g), free(b), free(y);
}

/* vf_exp etc. are static inline: reach them through sgemm's epilogue with
 * an identity GEMM (A = x, B = 1 x 1), then compare with libm. */
static void test_math(const struct isa *isa) {
  const int n = 4096;
  float *x = malloc(n * sizeof *x), *c = malloc(n * sizeof *c);
  float one[KILN_UK_PANEL_AVX512] = {1.0f};
  for (int i = 0; i < n; ++i)
    x[i] = -12.0f + 24.0f * i / (n - 1);
  for (int act = 1; act <= 6; ++act) {
    isa->sgemm(x, 1, one, 1, c, 1, 0, n, 0, 1, 1, NULL, NULL, 1, act);
    double worst = 0;
    for (int i = 0; i < n; ++i) {
      double e = fabs(ref_act(x[i], act) - c[i]);
      if (!(e <= worst))
        worst = isnan(e) ? INFINITY : e;
    }
    char what[100];
    snprintf(what, sizeof what, "math_%s act=%d on [-12, 12]: error %.2g",
             isa->name, act, worst);
    check(worst < 5e-7 * 12, what);
  }
  free(x), free(c);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* GFLOP/s of 24 independent FMA chains per thread (zmm when compiled with
 * -mavx512f: the ukernels' flags). */
#include <immintrin.h>
__attribute__((target("avx512f"))) static double fma_peak_avx512(void) {
#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define DECL(i) __m512 c##i = _mm512_set1_ps((float)i);
#define STEP(i) c##i = _mm512_fmadd_ps(c##i, a, b);
#define SUM(i) sink += _mm512_reduce_add_ps(c##i);
  CHAINS(DECL)
  __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  const long iters = 50000000;
  double t = now();
  for (long it = 0; it < iters; ++it) {
    CHAINS(STEP)
  }
  t = now() - t;
  float sink = 0;
  CHAINS(SUM)
  if (sink == 1234.5f)
    printf(" ");
  return 12.0 * 16 * 2 * iters / t / 1e9;
}

static int bench(int threads) {
  if (!__builtin_cpu_supports("avx512f")) {
    printf("bench: needs avx512f\n");
    return 0;
  }
  const struct isa *isa = &isas[0];
  double peak = fma_peak_avx512();
  printf("FMA peak (1 thread, avx512): %.0f GFLOP/s\n", peak);
  int64_t ms[] = {1, 8, 128, 512, 2048}, ks[] = {384, 576, 768, 1536, 3072};
  printf("%6s %6s %6s %10s %8s %10s %8s %10s %8s\n", "M", "K", "N",
         "1t GF/s", "%peak", "cold 1t", "%peak", "Nt GF/s", "%Npeak");
  for (int mi = 0; mi < 5; ++mi)
    for (int ki = 0; ki < 5; ++ki)
      for (int ni = 0; ni < 5; ++ni) {
        int64_t m = ms[mi], k = ks[ki], n = ks[ni];
        if (ki != ni && !(ki == 2 && ni == 4) && !(ki == 4 && ni == 2))
          continue; /* square shapes plus BERT's MLP pair */
        float *a = randv(m * k), *w = randv(k * n), *c = malloc(4 * m * n);
        float *bp = pack(w, k, n, isa->panel);
        int64_t panels = (n + isa->panel - 1) / isa->panel;
        double flops = 2.0 * m * k * n, best1 = 1e9, bestn = 1e9;
        int reps = (int)(2e9 / flops) + 2;
        if (reps > 200)
          reps = 200;
        for (int r = 0; r < reps; ++r) {
          double t = now();
          isa->sgemm(a, k, bp, k, c, n, 0, m, 0, panels, n, NULL, NULL, n, 0);
          t = now() - t;
          if (t < best1)
            best1 = t;
        }
        /* Weights cold, as in a model run (each weight is read once per
         * inference and the model's weights exceed the caches): copies of
         * B cycled through 256 MiB. */
        size_t bsize = (size_t)(panels * k * isa->panel);
        int copies = (int)((256ul << 20) / (bsize * 4)) + 1;
        float *cold = malloc(bsize * 4 * copies);
        for (int q = 0; q < copies; ++q)
          memcpy(cold + q * bsize, bp, bsize * 4);
        double bestc = 1e9;
        for (int r = 0; r < (reps < copies ? reps : copies); ++r) {
          const float *bq = cold + (size_t)r * bsize;
          double t = now();
          isa->sgemm(a, k, bq, k, c, n, 0, m, 0, panels, n, NULL, NULL, n, 0);
          t = now() - t;
          if (t < bestc)
            bestc = t;
        }
        free(cold);
        int64_t g = m <= 64 ? 1 : 4, mb = (m + 255) / 256,
                pg = (panels + g - 1) / g;
        for (int r = 0; r < reps; ++r) {
          double t = now();
#pragma omp parallel for num_threads(threads) schedule(static) collapse(2)
          for (int64_t x = 0; x < mb; ++x)
            for (int64_t y = 0; y < pg; ++y)
              isa->sgemm(a, k, bp, k, c, n, x * 256,
                         (x + 1) * 256 < m ? (x + 1) * 256 : m, y * g,
                         (y + 1) * g < panels ? (y + 1) * g : panels, n, NULL,
                         NULL, n, 0);
          t = now() - t;
          if (t < bestn)
            bestn = t;
        }
        double g1 = flops / best1 / 1e9, gn = flops / bestn / 1e9;
        double gc = flops / bestc / 1e9;
        printf("%6lld %6lld %6lld %10.1f %7.0f%% %10.1f %7.0f%% %10.1f "
               "%7.0f%%\n",
               (long long)m, (long long)k, (long long)n, g1, 100 * g1 / peak,
               gc, 100 * gc / peak, gn, 100 * gn / (peak * threads));
        free(a), free(w), free(c), free(bp);
      }
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--bench"))
    return bench(argc > 2 ? atoi(argv[2]) : 2);
  test_memref_copy();
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; ++i) {
    const struct isa *isa = &isas[i];
    if (kiln_cpu_missing_feature(isa->feature) ||
        kiln_cpu_missing_feature("fma")) {
      printf("skipped: %s (this CPU lacks %s)\n", isa->name, isa->feature);
      ++skipped;
      continue;
    }
    int64_t sizes[][3] = {{1, 1, 1},     {1, 64, 576},  {3, 17, 40},
                          {12, 256, 64}, {13, 300, 33}, {37, 40, 21},
                          {100, 513, 97}, {2, 1000, 48}, {5, 0, 20}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; ++s)
      for (int act = 0; act <= 6; act += (s % 3 == 0 ? 1 : 3))
        test_sgemm(isa, sizes[s][0], sizes[s][1], sizes[s][2], act & 1,
                   (s + act) & 1, act, 256, 4);
    /* The compiler's split: blocks of 256 rows, one or four panels. */
    test_sgemm(isa, 300, 64, 100, 1, 1, KILN_UK_ACT_GELU, 256, 1);
    test_sgemm(isa, 600, 33, 70, 0, 0, 0, 256, 4);
    test_math(isa);
    test_norm(isa, 5, 768, 1, 0, 0.0f);
    test_norm(isa, 3, 37, 0, 0, 100.0f);
    test_norm(isa, 4, 576, 0, 1, 0.0f);
    test_norm(isa, 1, 7, 1, 1, 0.5f);
    /* b, hq, hkv, sq, sk, d, dv, mask kind, broadcast, causal */
    test_attention(isa, 1, 2, 2, 7, 7, 16, 16, KILN_UK_MASK_NONE, 0, 0);
    test_attention(isa, 2, 4, 2, 33, 70, 64, 64, KILN_UK_MASK_ADD, 1, 0);
    test_attention(isa, 1, 3, 1, 65, 130, 64, 32, KILN_UK_MASK_ADD, 0, 1);
    test_attention(isa, 3, 2, 2, 40, 40, 24, 80, KILN_UK_MASK_KEEP, 0, 0);
    test_attention(isa, 1, 2, 1, 1, 200, 64, 64, KILN_UK_MASK_NONE, 0, 1);
    test_attention(isa, 2, 9, 3, 1, 95, 64, 64, KILN_UK_MASK_ADD, 1, 1);
    test_attention(isa, 1, 2, 2, 2, 5, 8, 8, KILN_UK_MASK_KEEP, 1, 0);
    test_attention(isa, 1, 1, 1, 100, 130, 72, 72, KILN_UK_MASK_NONE, 0, 1);
    test_attention(isa, 1, 1, 1, 5, 3, 4, 4, KILN_UK_MASK_NONE, 0, 1);
  }
  printf("ukernels: %d passed, %d failed, %d skipped\n", passed, failed,
         skipped);
  return failed != 0;
}
