/*===- linear_attention.c - chunked linear attention / retention ---*- C -*-===*
 *
 * Part of kiln. One work item of tfm.linear_attention (ukernels.h): the
 * whole sequence of one (batch, head), in chunks of C tokens, carrying the
 * fp32 state S = sum_j e^(b_t - b_j) phi(k_j)^T v_j (dk x dv), the decayed
 * key sum z (dk) and, for RetNet's normalisation, the decayed token count n.
 *
 * Per chunk, with beta the log decay summed from the chunk's first token
 * (beta <= 0, so every exponential below is <= 1 and nothing overflows):
 *   o_i  = e^beta_i (q_i S) + sum_{j <= i in chunk} (q_i . k_j) e^(beta_i - beta_j) v_j
 *   S    = e^beta_e S + sum_j e^(beta_e - beta_j) k_j^T v_j   (beta_e: last token)
 * With a vector gate (GLA) every key channel c has its own beta_c, and the
 * in-chunk scores are sum_c q_ic k_jc e^(beta_ic - beta_jc), one exponential
 * per term, never the overflowing factorisation (q e^b)(k e^-b).
 * Non-causal attention is the pure reassociation q_i (sum_j k_j^T v_j).
 *
 * Memory is O(C (C + dk + dv) + dk dv) per item, time O(T C (dk + dv) +
 * T dk dv).
 *
 *===----------------------------------------------------------------------===*/

#include "simd.h"
#include "ukernels.h"
#include "vmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* y[0..n) += a * x[0..n) */
static void axpy(int64_t n, float a, const float *x, float *y) {
  vf va = vf_set1(a);
  int64_t i = 0;
  for (; i + VL <= n; i += VL)
    vf_store(y + i, vf_fma(va, vf_load(x + i), vf_load(y + i)));
  if (i < n) {
    int r = (int)(n - i);
    vf_store_mask(y + i,
                  vf_fma(va, vf_load_mask(x + i, r), vf_load_mask(y + i, r)),
                  r);
  }
}

/* y[0..n) *= a */
static void scale_in_place(int64_t n, float a, float *y) {
  vf va = vf_set1(a);
  int64_t i = 0;
  for (; i + VL <= n; i += VL)
    vf_store(y + i, vf_mul(va, vf_load(y + i)));
  for (; i < n; ++i)
    y[i] *= a;
}

static float dot(int64_t n, const float *x, const float *y) {
  vf acc = vf_zero();
  int64_t i = 0;
  for (; i + VL <= n; i += VL)
    acc = vf_fma(vf_load(x + i), vf_load(y + i), acc);
  if (i < n) {
    int r = (int)(n - i);
    acc = vf_fma(vf_load_mask(x + i, r), vf_load_mask(y + i, r), acc);
  }
  return vf_reduce_add(acc);
}

/* y[0..n) = e^(x[0..n)) */
static void exp_into(int64_t n, const float *x, float *y) {
  int64_t i = 0;
  for (; i + VL <= n; i += VL)
    vf_store(y + i, vf_exp(vf_load(x + i)));
  if (i < n) {
    int r = (int)(n - i);
    vf_store_mask(y + i, vf_exp(vf_load_mask(x + i, r)), r);
  }
}

static float feature(float x, int64_t map) {
  switch (map) {
  case KILN_UK_FEATURE_ELU_PLUS_ONE:
    return x > 0.0f ? x + 1.0f : expf(x);
  case KILN_UK_FEATURE_SILU:
    return x / (1.0f + expf(-x));
  case KILN_UK_FEATURE_RELU:
    return x > 0.0f ? x : 0.0f;
  default:
    return x;
  }
}

/* dst[r][c] = factor * phi(src[r][c]) for `rows` rows of n floats. */
static void map_rows(const float *src, float *dst, int64_t rows, int64_t n,
                     int64_t map, float factor) {
  for (int64_t i = 0; i < rows * n; ++i)
    dst[i] = factor * feature(src[i], map);
}

typedef struct {
  int64_t dk, dv, chunk;
  int64_t map, decay, norm;
  float scale, eps, log_gamma;
  float *s, *z, n; /* the carried state */
  /* chunk scratch */
  float *qc, *kc, *kt, *beta, *row, *ex, *acc;
} la_work;

/* The in-chunk log decays beta (scalar: L values; vector: L x dk), summed
 * from the chunk's first token. */
static void chunk_betas(la_work *w, const float *gate, int64_t L) {
  if (w->decay == KILN_UK_DECAY_VECTOR_GATE) {
    for (int64_t i = 0; i < L; ++i)
      for (int64_t c = 0; c < w->dk; ++c)
        w->beta[i * w->dk + c] =
            gate[i * w->dk + c] + (i ? w->beta[(i - 1) * w->dk + c] : 0.0f);
    return;
  }
  float b = 0.0f;
  for (int64_t i = 0; i < L; ++i) {
    float g = w->decay == KILN_UK_DECAY_CONSTANT      ? w->log_gamma
              : w->decay == KILN_UK_DECAY_SCALAR_GATE ? gate[i]
                                                      : 0.0f;
    b += g;
    w->beta[i] = b;
  }
}

/* One chunk of L tokens (causal): outputs, then the state update. */
static void causal_chunk(la_work *w, const float *q, const float *k,
                         const float *v, const float *gate, float *out,
                         int64_t L) {
  const int64_t dk = w->dk, dv = w->dv;
  const int vector = w->decay == KILN_UK_DECAY_VECTOR_GATE;
  map_rows(q, w->qc, L, dk, w->map, w->scale);
  map_rows(k, w->kc, L, dk, w->map, 1.0f);
  chunk_betas(w, gate, L);
  for (int64_t c = 0; c < dk; ++c)
    for (int64_t j = 0; j < L; ++j)
      w->kt[c * w->chunk + j] = w->kc[j * dk + c];

  for (int64_t i = 0; i < L; ++i) {
    const float *qi = w->qc + i * dk;
    float *o = w->acc;
    memset(o, 0, (size_t)dv * sizeof(float));
    float rowsum;
    /* Earlier chunks, through the state. */
    if (vector) {
      float *qd = w->ex; /* q_i e^beta_i, channel by channel */
      exp_into(dk, w->beta + i * dk, qd);
      for (int64_t c = 0; c < dk; ++c)
        qd[c] *= qi[c];
      for (int64_t c = 0; c < dk; ++c)
        axpy(dv, qd[c], w->s + c * dv, o);
      rowsum = dot(dk, qd, w->z);
    } else {
      for (int64_t c = 0; c < dk; ++c)
        axpy(dv, qi[c], w->s + c * dv, o);
      float d = expf(w->beta[i]);
      scale_in_place(dv, d, o);
      rowsum = d * dot(dk, qi, w->z);
    }
    /* This chunk's keys j <= i. */
    float *a = w->row;
    int64_t n = i + 1;
    if (vector) {
      for (int64_t j = 0; j < n; ++j) {
        float *ex = w->ex;
        const float *bi = w->beta + i * dk, *bj = w->beta + j * dk;
        for (int64_t c = 0; c < dk; ++c)
          ex[c] = bi[c] - bj[c];
        exp_into(dk, ex, ex);
        for (int64_t c = 0; c < dk; ++c)
          ex[c] *= qi[c];
        a[j] = dot(dk, ex, w->kc + j * dk);
      }
    } else {
      memset(a, 0, (size_t)n * sizeof(float));
      for (int64_t c = 0; c < dk; ++c)
        axpy(n, qi[c], w->kt + c * w->chunk, a);
      if (w->decay != KILN_UK_DECAY_NONE) {
        float *ex = w->ex;
        for (int64_t j = 0; j < n; ++j)
          ex[j] = w->beta[i] - w->beta[j];
        exp_into(n, ex, ex);
        for (int64_t j = 0; j < n; ++j)
          a[j] *= ex[j];
      }
    }
    for (int64_t j = 0; j < n; ++j) {
      axpy(dv, a[j], v + j * dv, o);
      rowsum += a[j];
    }
    /* The decayed token count n_i = e^g_i n_(i-1) + 1 (RetNet's
     * sum_(j <= i) gamma^(i - j)); a vector gate counts tokens. */
    w->n = (vector ? 1.0f : expf(w->beta[i] - (i ? w->beta[i - 1] : 0.0f))) *
               w->n +
           1.0f;
    /* Normalise. */
    float *dst = out + i * dv;
    if (w->norm == KILN_UK_NORM_DENOMINATOR) {
      float inv = 1.0f / (rowsum + w->eps);
      for (int64_t d = 0; d < dv; ++d)
        dst[d] = o[d] * inv;
    } else if (w->norm == KILN_UK_NORM_RETNET) {
      float r = 1.0f / sqrtf(w->n);
      float denom = fabsf(rowsum) * r;
      float inv = r / (denom > 1.0f ? denom : 1.0f);
      for (int64_t d = 0; d < dv; ++d)
        dst[d] = o[d] * inv;
    } else {
      memcpy(dst, o, (size_t)dv * sizeof(float));
    }
  }

  /* State: S = e^beta_e S + sum_j e^(beta_e - beta_j) k_j^T v_j. */
  if (vector) {
    const float *be = w->beta + (L - 1) * dk;
    float *ex = w->ex;
    exp_into(dk, be, ex);
    for (int64_t c = 0; c < dk; ++c) {
      scale_in_place(dv, ex[c], w->s + c * dv);
      w->z[c] *= ex[c];
    }
    for (int64_t j = 0; j < L; ++j) {
      const float *bj = w->beta + j * dk;
      for (int64_t c = 0; c < dk; ++c)
        ex[c] = be[c] - bj[c];
      exp_into(dk, ex, ex);
      for (int64_t c = 0; c < dk; ++c) {
        float kd = ex[c] * w->kc[j * dk + c];
        axpy(dv, kd, v + j * dv, w->s + c * dv);
        w->z[c] += kd;
      }
    }
  } else {
    float be = w->beta[L - 1];
    float *ex = w->ex;
    for (int64_t j = 0; j < L; ++j)
      ex[j] = be - w->beta[j];
    exp_into(L, ex, ex);
    float carry = expf(be);
    scale_in_place(dk * dv, carry, w->s);
    scale_in_place(dk, carry, w->z);
    for (int64_t j = 0; j < L; ++j) {
      const float *kj = w->kc + j * dk;
      for (int64_t c = 0; c < dk; ++c)
        axpy(dv, ex[j] * kj[c], v + j * dv, w->s + c * dv);
      axpy(dk, ex[j], kj, w->z);
    }
  }
}

/* Non-causal: S = sum_j phi(k_j)^T v_j over the whole sequence, then
 * o_i = phi(q_i) S (over phi(q_i) . z + eps with a denominator). */
static void noncausal(la_work *w, const float *q, const float *k,
                      const float *v, float *out, int64_t t) {
  const int64_t dk = w->dk, dv = w->dv;
  for (int64_t j0 = 0; j0 < t; j0 += w->chunk) {
    int64_t L = t - j0 < w->chunk ? t - j0 : w->chunk;
    map_rows(k + j0 * dk, w->kc, L, dk, w->map, 1.0f);
    for (int64_t j = 0; j < L; ++j) {
      const float *kj = w->kc + j * dk;
      for (int64_t c = 0; c < dk; ++c)
        axpy(dv, kj[c], v + (j0 + j) * dv, w->s + c * dv);
      axpy(dk, 1.0f, kj, w->z);
    }
  }
  for (int64_t i0 = 0; i0 < t; i0 += w->chunk) {
    int64_t L = t - i0 < w->chunk ? t - i0 : w->chunk;
    map_rows(q + i0 * dk, w->qc, L, dk, w->map, w->scale);
    for (int64_t i = 0; i < L; ++i) {
      const float *qi = w->qc + i * dk;
      float *dst = out + (i0 + i) * dv;
      memset(dst, 0, (size_t)dv * sizeof(float));
      for (int64_t c = 0; c < dk; ++c)
        axpy(dv, qi[c], w->s + c * dv, dst);
      if (w->norm == KILN_UK_NORM_DENOMINATOR)
        scale_in_place(dv, 1.0f / (dot(dk, qi, w->z) + w->eps), dst);
    }
  }
}

void KILN_UK(linear_attention)(
    const float *q, const float *k, const float *v, const float *gate,
    const float *log_decay, const float *state_in, float *out,
    float *state_out, int64_t batch, int64_t heads, int64_t t, int64_t dk,
    int64_t dv, int64_t feature_map, int64_t decay, int64_t norm,
    int64_t causal, float scale, float eps, int64_t chunk, int64_t item) {
  (void)batch;
  int64_t h = item % heads;
  if (chunk < 1)
    chunk = 64;
  la_work w = {.dk = dk, .dv = dv, .chunk = chunk, .map = feature_map,
               .decay = decay, .norm = norm, .scale = scale, .eps = eps,
               .log_gamma = decay == KILN_UK_DECAY_CONSTANT ? log_decay[h]
                                                            : 0.0f};
  int vector = decay == KILN_UK_DECAY_VECTOR_GATE;
  int64_t wide = dk > chunk ? dk : chunk;
  size_t floats = (size_t)(dk * dv + dk + 2 * chunk * dk + dk * chunk +
                           (vector ? chunk * dk : chunk) + chunk + wide +
                           dv);
  float *mem = calloc(floats, sizeof(float));
  if (!mem)
    abort(); /* a few hundred KiB at most: out of memory is fatal here */
  float *p = mem;
  w.s = p, p += dk * dv;
  w.z = p, p += dk;
  w.qc = p, p += chunk * dk;
  w.kc = p, p += chunk * dk;
  w.kt = p, p += dk * chunk;
  w.beta = p, p += vector ? chunk * dk : chunk;
  w.row = p, p += chunk;
  w.ex = p, p += wide;
  w.acc = p;

  const int64_t sstride = (dk + 1) * (dv + 1);
  if (state_in) {
    const float *si = state_in + item * sstride;
    for (int64_t c = 0; c < dk; ++c) {
      memcpy(w.s + c * dv, si + c * (dv + 1), (size_t)dv * sizeof(float));
      w.z[c] = si[c * (dv + 1) + dv];
    }
    w.n = si[dk * (dv + 1) + dv];
  }

  const float *qb = q + item * t * dk, *kb = k + item * t * dk;
  const float *vb = v + item * t * dv;
  float *ob = out + item * t * dv;
  if (!causal) {
    noncausal(&w, qb, kb, vb, ob, t);
  } else {
    int64_t gstride = vector ? dk : 1;
    const float *gb = gate ? gate + item * t * gstride : NULL;
    for (int64_t i0 = 0; i0 < t; i0 += chunk) {
      int64_t L = t - i0 < chunk ? t - i0 : chunk;
      causal_chunk(&w, qb + i0 * dk, kb + i0 * dk, vb + i0 * dv,
                   gb ? gb + i0 * gstride : NULL, ob + i0 * dv, L);
    }
  }

  if (state_out) {
    float *so = state_out + item * sstride;
    memset(so, 0, (size_t)sstride * sizeof(float));
    for (int64_t c = 0; c < dk; ++c) {
      memcpy(so + c * (dv + 1), w.s + c * dv, (size_t)dv * sizeof(float));
      so[c * (dv + 1) + dv] = w.z[c];
    }
    so[dk * (dv + 1) + dv] = w.n;
  }
  free(mem);
}
