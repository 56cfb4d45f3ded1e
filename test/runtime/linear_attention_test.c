/*===- linear_attention_test.c - the chunked kernel against its definition -===*
 *
 * Part of kiln. kiln_uk_linear_attention (every ISA copy this CPU runs)
 * against the quadratic form tfm.linear_attention defines, computed in
 * double: every feature map, decay, normalisation and causality, T around
 * the chunk size, chunk sizes 16/64/128, batch 1 and 3; prefill then
 * token-by-token decode through the state against the parallel result on
 * the whole sequence; no inf/NaN at gamma = 0.5 with chunk 256 or with
 * vector gates of -20 per step. Prints "linear attention: N passed, M
 * failed, S skipped".
 *
 *===----------------------------------------------------------------------===*/

#include "ukernels/ukernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void la_fn(const float *, const float *, const float *, const float *,
                   const float *, const float *, float *, float *, int64_t,
                   int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                   int64_t, int64_t, float, float, int64_t, int64_t);

struct isa {
  const char *name, *feature;
  la_fn *run;
};
static const struct isa isas[] = {
    {"avx512", "avx512f", kiln_uk_linear_attention_avx512},
    {"avx2", "avx2", kiln_uk_linear_attention_avx2},
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

static unsigned rng = 2024;
static float frand(void) {
  rng = rng * 1103515245u + 12345u;
  return ((rng >> 9) & 0xffff) / 32768.0f - 1.0f;
}

typedef struct {
  int64_t batch, heads, t, dk, dv;
  int64_t map, decay, norm, causal, chunk;
  float scale, eps;
  float log_decay[4];
  float gate_scale; /* gates are gate_scale * (1 + rand) / 2 <= 0 */
} config;

static double feature(double x, int64_t map) {
  switch (map) {
  case KILN_UK_FEATURE_ELU_PLUS_ONE:
    return x > 0 ? x + 1 : exp(x);
  case KILN_UK_FEATURE_SILU:
    return x / (1 + exp(-x));
  case KILN_UK_FEATURE_RELU:
    return x > 0 ? x : 0;
  default:
    return x;
  }
}

/* The quadratic form of one (b, h) over tokens [0, t). */
static void reference(const config *c, const float *q, const float *k,
                      const float *v, const float *gate, int64_t h,
                      double *out) {
  int64_t t = c->t, dk = c->dk, dv = c->dv;
  int vector = c->decay == KILN_UK_DECAY_VECTOR_GATE;
  int64_t gw = vector ? dk : 1;
  double *b = calloc((size_t)(t * gw), sizeof *b);
  for (int64_t i = 0; i < t; ++i)
    for (int64_t x = 0; x < gw; ++x) {
      double g = c->decay == KILN_UK_DECAY_CONSTANT ? c->log_decay[h]
                 : gate                              ? gate[i * gw + x]
                                                     : 0.0;
      b[i * gw + x] = g + (i ? b[(i - 1) * gw + x] : 0.0);
    }
  for (int64_t i = 0; i < t; ++i) {
    double rowsum = 0, count = 0;
    double *o = out + i * dv;
    memset(o, 0, (size_t)dv * sizeof *o);
    for (int64_t j = 0; j < t; ++j) {
      if (c->causal && j > i)
        break;
      double a = 0;
      for (int64_t x = 0; x < dk; ++x) {
        double d = c->decay == KILN_UK_DECAY_NONE ? 0
                   : vector ? b[i * dk + x] - b[j * dk + x]
                            : b[i] - b[j];
        a += feature(q[i * dk + x], c->map) * feature(k[j * dk + x], c->map) *
             exp(d);
      }
      a *= c->scale;
      if (c->decay == KILN_UK_DECAY_CONSTANT)
        count += exp((double)c->log_decay[h] * (double)(i - j));
      rowsum += a;
      for (int64_t y = 0; y < dv; ++y)
        o[y] += a * v[j * dv + y];
    }
    double div = 1;
    if (c->norm == KILN_UK_NORM_DENOMINATOR) {
      div = rowsum + c->eps;
    } else if (c->norm == KILN_UK_NORM_RETNET) {
      double r = 1 / sqrt(count);
      double s = fabs(rowsum) * r;
      div = (s > 1 ? s : 1) / r;
    }
    for (int64_t y = 0; y < dv; ++y)
      o[y] /= div;
  }
  free(b);
}

typedef struct {
  float *q, *k, *v, *gate;
} inputs;

static inputs make_inputs(const config *c) {
  int64_t n = c->batch * c->heads * c->t;
  inputs in = {malloc(sizeof(float) * n * c->dk),
               malloc(sizeof(float) * n * c->dk),
               malloc(sizeof(float) * n * c->dv), NULL};
  for (int64_t i = 0; i < n * c->dk; ++i)
    in.q[i] = frand(), in.k[i] = frand();
  for (int64_t i = 0; i < n * c->dv; ++i)
    in.v[i] = frand();
  if (c->decay == KILN_UK_DECAY_SCALAR_GATE ||
      c->decay == KILN_UK_DECAY_VECTOR_GATE) {
    int64_t gw = c->decay == KILN_UK_DECAY_VECTOR_GATE ? c->dk : 1;
    in.gate = malloc(sizeof(float) * n * gw);
    for (int64_t i = 0; i < n * gw; ++i)
      in.gate[i] = c->gate_scale * (1.0f + frand()) * 0.5f;
  }
  return in;
}

static void free_inputs(inputs *in) {
  free(in->q), free(in->k), free(in->v), free(in->gate);
}

/* The whole sequence at once, then against the reference. */
static void test_parallel(const struct isa *isa, config c) {
  inputs in = make_inputs(&c);
  int64_t items = c.batch * c.heads;
  float *out = malloc(sizeof(float) * items * c.t * c.dv);
  for (int64_t it = 0; it < items; ++it)
    isa->run(in.q, in.k, in.v, in.gate, c.log_decay, NULL, out, NULL,
             c.batch, c.heads, c.t, c.dk, c.dv, c.map, c.decay, c.norm,
             c.causal, c.scale, c.eps, c.chunk, it);
  double *ref = malloc(sizeof(double) * c.t * c.dv);
  double worst = 0, scale = 1e-30;
  int finite = 1;
  int64_t gw = c.decay == KILN_UK_DECAY_VECTOR_GATE ? c.dk : 1;
  for (int64_t it = 0; it < items; ++it) {
    reference(&c, in.q + it * c.t * c.dk, in.k + it * c.t * c.dk,
              in.v + it * c.t * c.dv,
              in.gate ? in.gate + it * c.t * gw : NULL, it % c.heads, ref);
    for (int64_t i = 0; i < c.t * c.dv; ++i) {
      float got = out[it * c.t * c.dv + i];
      finite = finite && isfinite(got);
      worst = fmax(worst, fabs(got - ref[i]));
      scale = fmax(scale, fabs(ref[i]));
    }
  }
  char what[256];
  snprintf(what, sizeof what,
           "%s: map %d decay %d norm %d causal %d b %d t %d dk %d dv %d "
           "chunk %d: max error %.3g of scale %.3g",
           isa->name, (int)c.map, (int)c.decay, (int)c.norm, (int)c.causal,
           (int)c.batch, (int)c.t, (int)c.dk, (int)c.dv, (int)c.chunk, worst,
           scale);
  check(finite && worst <= 1e-4 * scale, what);
  free(ref), free(out), free_inputs(&in);
}

/* Prefill `prefix` tokens, then decode the rest one token at a time
 * through the state: equal to the parallel result on all t tokens. */
static void test_decode(const struct isa *isa, config c, int64_t prefix) {
  inputs in = make_inputs(&c);
  int64_t items = c.batch * c.heads, t = c.t;
  int64_t gw = c.decay == KILN_UK_DECAY_VECTOR_GATE ? c.dk
               : in.gate                            ? 1
                                                    : 0;
  float *whole = malloc(sizeof(float) * items * t * c.dv);
  for (int64_t it = 0; it < items; ++it)
    isa->run(in.q, in.k, in.v, in.gate, c.log_decay, NULL, whole, NULL,
             c.batch, c.heads, t, c.dk, c.dv, c.map, c.decay, c.norm, 1,
             c.scale, c.eps, c.chunk, it);
  int64_t sstride = (c.dk + 1) * (c.dv + 1);
  float *state = calloc((size_t)(items * sstride), sizeof(float));
  float *next = calloc((size_t)(items * sstride), sizeof(float));
  double worst = 0, scale = 1e-30;
  /* Steps: the prefix, then one token at a time. Each step's inputs are
   * copied out per item ([B][H][len][d]). */
  for (int64_t s0 = 0; s0 < t;) {
    int64_t len = s0 == 0 ? prefix : 1;
    float *q = malloc(sizeof(float) * items * len * c.dk);
    float *k = malloc(sizeof(float) * items * len * c.dk);
    float *v = malloc(sizeof(float) * items * len * c.dv);
    float *g = gw ? malloc(sizeof(float) * items * len * gw) : NULL;
    float *o = malloc(sizeof(float) * items * len * c.dv);
    for (int64_t it = 0; it < items; ++it) {
      memcpy(q + it * len * c.dk, in.q + (it * t + s0) * c.dk,
             sizeof(float) * len * c.dk);
      memcpy(k + it * len * c.dk, in.k + (it * t + s0) * c.dk,
             sizeof(float) * len * c.dk);
      memcpy(v + it * len * c.dv, in.v + (it * t + s0) * c.dv,
             sizeof(float) * len * c.dv);
      if (g)
        memcpy(g + it * len * gw, in.gate + (it * t + s0) * gw,
               sizeof(float) * len * gw);
    }
    for (int64_t it = 0; it < items; ++it)
      isa->run(q, k, v, g, c.log_decay, state, o, next, c.batch, c.heads,
               len, c.dk, c.dv, c.map, c.decay, c.norm, 1, c.scale, c.eps,
               c.chunk, it);
    for (int64_t it = 0; it < items; ++it)
      for (int64_t i = 0; i < len * c.dv; ++i) {
        double want = whole[(it * t + s0) * c.dv + i];
        worst = fmax(worst, fabs(o[it * len * c.dv + i] - want));
        scale = fmax(scale, fabs(want));
      }
    float *swap = state;
    state = next, next = swap;
    free(q), free(k), free(v), free(g), free(o);
    s0 += len;
  }
  char what[256];
  snprintf(what, sizeof what,
           "%s: prefill %d + decode %d (map %d decay %d norm %d): max error "
           "%.3g of scale %.3g",
           isa->name, (int)prefix, (int)(t - prefix), (int)c.map,
           (int)c.decay, (int)c.norm, worst, scale);
  check(worst <= 1e-4 * scale, what);
  free(state), free(next), free(whole), free_inputs(&in);
}

int main(void) {
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; ++i) {
    const struct isa *isa = &isas[i];
    if (kiln_cpu_missing_feature(isa->feature) ||
        kiln_cpu_missing_feature("fma")) {
      printf("skipped: %s (this CPU lacks %s)\n", isa->name, isa->feature);
      ++skipped;
      continue;
    }
    const config base = {.batch = 1, .heads = 2, .t = 65, .dk = 16,
                         .dv = 16, .causal = 1, .chunk = 64, .scale = 0.25f,
                         .eps = 1e-6f,
                         .log_decay = {-0.03125f, -0.015625f, -0.1f, -0.5f},
                         .gate_scale = -0.1f};
    int64_t lengths[] = {1, 63, 64, 65, 300};
    for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; ++l) {
      config c = base;
      c.t = lengths[l];
      /* Katharopoulos: elu + 1, causal, denominator. */
      c.map = KILN_UK_FEATURE_ELU_PLUS_ONE, c.norm = KILN_UK_NORM_DENOMINATOR;
      test_parallel(isa, c);
      /* Non-causal, batch 3, dv != dk. */
      config n = c;
      n.causal = 0, n.batch = 3, n.dv = 24;
      test_parallel(isa, n);
      /* RetNet: constant decay and its normalisation. */
      c.map = KILN_UK_FEATURE_IDENTITY, c.decay = KILN_UK_DECAY_CONSTANT;
      c.norm = KILN_UK_NORM_RETNET;
      test_parallel(isa, c);
      /* Lightning: SiLU, constant decay, no normalisation, batch 3. */
      c.map = KILN_UK_FEATURE_SILU, c.norm = KILN_UK_NORM_NONE, c.batch = 3;
      test_parallel(isa, c);
      /* Scalar and vector (GLA) gates. */
      c.map = KILN_UK_FEATURE_IDENTITY, c.decay = KILN_UK_DECAY_SCALAR_GATE;
      test_parallel(isa, c);
      c.decay = KILN_UK_DECAY_VECTOR_GATE, c.chunk = 16, c.batch = 1;
      test_parallel(isa, c);
    }
    /* Chunk sizes and wider heads. */
    for (int64_t chunk = 16; chunk <= 128; chunk *= 4) {
      config c = base;
      c.t = 200, c.chunk = chunk, c.dk = 64, c.dv = 40;
      c.decay = KILN_UK_DECAY_CONSTANT, c.map = KILN_UK_FEATURE_RELU;
      c.norm = KILN_UK_NORM_DENOMINATOR;
      test_parallel(isa, c);
    }
    /* Stress: gamma = 0.5 at chunk 256, GLA gates of -20 per step. */
    config s = base;
    s.t = 600, s.chunk = 256, s.decay = KILN_UK_DECAY_CONSTANT;
    s.log_decay[0] = s.log_decay[1] = logf(0.5f);
    test_parallel(isa, s);
    s.decay = KILN_UK_DECAY_VECTOR_GATE, s.gate_scale = -40.0f, s.chunk = 64;
    test_parallel(isa, s); /* gates in [-40, 0], mean -20 */
    /* Prefill then decode 16 tokens, every decay and normalisation. */
    config d = base;
    d.t = 81, d.batch = 2;
    d.map = KILN_UK_FEATURE_ELU_PLUS_ONE, d.norm = KILN_UK_NORM_DENOMINATOR;
    test_decode(isa, d, 65);
    d.map = KILN_UK_FEATURE_IDENTITY, d.decay = KILN_UK_DECAY_CONSTANT;
    d.norm = KILN_UK_NORM_RETNET;
    test_decode(isa, d, 65);
    d.norm = KILN_UK_NORM_NONE, d.decay = KILN_UK_DECAY_SCALAR_GATE;
    test_decode(isa, d, 64);
    d.decay = KILN_UK_DECAY_VECTOR_GATE, d.chunk = 16;
    test_decode(isa, d, 1);
  }
  printf("linear attention: %d passed, %d failed, %d skipped\n", passed,
         failed, skipped);
  return failed != 0;
}
