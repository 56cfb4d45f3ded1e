/*===- attention.c - flash-style attention microkernel -------------*- C -*-===*
 *
 * Part of kiln. One work item of tfm.attention (ukernels.h): up to QB query
 * rows of one (batch, head) against every visible key, in blocks of KB
 * keys with an online softmax, so memory stays O(QB * (KB + dv)).
 *
 * Per key block: the block of K is transposed into a panel Kt[d][KB]
 * (zero past the last key), S = Q Kt runs as register tiles of RT rows x
 * KB columns (broadcast q, vector over keys, as in sgemm.c), then scale,
 * mask and causal limit, the running max / sum update with vectorized exp,
 * and O = O * corr + P V with the rows of V read in place (vector over dv).
 * With one or two query rows (decode) the scores are dot products instead:
 * transposing K would cost as much as using it.
 *
 *===----------------------------------------------------------------------===*/

#include "simd.h"
#include "ukernels.h"
#include "vmath.h"

#include <math.h>
#include <string.h>

#define QB KILN_UK_ATTENTION_QUERY_BLOCK
#define KB (4 * VL) /* keys per block: four vectors of scores */
#if VL == 16
#define RT 6 /* score rows per register tile: 6 x 4 zmm accumulators */
#else
#define RT 2
#endif
#define DMAX KILN_UK_ATTENTION_MAX_HEAD_DIM
#if VL == 16
#define PR 6 /* P x V rows per register tile: 6 x 4 zmm accumulators */
#else
#define PR 2
#endif

typedef struct {
  const float *q, *k, *v;
  float *out;
  int64_t d, dv, sk, i0, rows;
  int64_t visible_base; /* key j visible to row i iff j <= i + base */
  int causal;
  float scale;
  const unsigned char *mask; /* row i0's mask, in bytes */
  int64_t mask_kind, mask_row, mask_col; /* strides in bytes */
} head_work;

/* The scores of rows [r0, r0 + R) against one key block: s[r][j] =
 * q[r] . k[j] for j < KB (Kt zero-padded). */
static inline __attribute__((always_inline)) void
scores_tile(const int R, const float *q, int64_t d, const float *kt,
            float *s) {
  vf acc[RT][4];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < 4; ++c)
      acc[r][c] = vf_zero();
  for (int64_t x = 0; x < d; ++x) {
    const float *row = kt + x * KB;
    vf k0 = vf_load(row), k1 = vf_load(row + VL), k2 = vf_load(row + 2 * VL),
       k3 = vf_load(row + 3 * VL);
    for (int r = 0; r < R; ++r) {
      vf a = vf_set1(q[r * d + x]);
      acc[r][0] = vf_fma(a, k0, acc[r][0]);
      acc[r][1] = vf_fma(a, k1, acc[r][1]);
      acc[r][2] = vf_fma(a, k2, acc[r][2]);
      acc[r][3] = vf_fma(a, k3, acc[r][3]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < 4; ++c)
      vf_store(s + r * KB + c * VL, acc[r][c]);
}

static void scores_block(const float *q, int64_t rows, int64_t d,
                         const float *kt, float *s) {
  int64_t r = 0;
  for (; r + RT <= rows; r += RT)
    scores_tile(RT, q + r * d, d, kt, s + r * KB);
  for (; r < rows; ++r)
    scores_tile(1, q + r * d, d, kt, s + r * KB);
}

/* How many of the n columns from vector i on fall in vector i: 0..VL. */
static inline int lanes(int n, int i) {
  int r = n - i * VL;
  return r < 0 ? 0 : r > VL ? VL : r;
}

/* o[r][0:dv] += sum_j p[r][j] v[j][0:dv] for one row, any dv. */
static void accumulate_pv(const float *p, int64_t len, const float *v,
                          int64_t dv, float *o) {
  for (int64_t c = 0; c < dv; c += 4 * VL) {
    int n = dv - c < 4 * VL ? (int)(dv - c) : 4 * VL;
    int n0 = lanes(n, 0), n1 = lanes(n, 1), n2 = lanes(n, 2), n3 = lanes(n, 3);
    vf a0 = vf_load_mask(o + c, n0), a1 = vf_load_mask(o + c + VL, n1),
       a2 = vf_load_mask(o + c + 2 * VL, n2),
       a3 = vf_load_mask(o + c + 3 * VL, n3);
    if (n == 4 * VL) {
      for (int64_t j = 0; j < len; ++j) {
        const float *vr = v + j * dv + c;
        vf w = vf_set1(p[j]);
        a0 = vf_fma(w, vf_load(vr), a0);
        a1 = vf_fma(w, vf_load(vr + VL), a1);
        a2 = vf_fma(w, vf_load(vr + 2 * VL), a2);
        a3 = vf_fma(w, vf_load(vr + 3 * VL), a3);
      }
    } else {
      for (int64_t j = 0; j < len; ++j) {
        const float *vr = v + j * dv + c;
        vf w = vf_set1(p[j]);
        a0 = vf_fma(w, vf_load_mask(vr, n0), a0);
        a1 = vf_fma(w, vf_load_mask(vr + VL, n1), a1);
        a2 = vf_fma(w, vf_load_mask(vr + 2 * VL, n2), a2);
        a3 = vf_fma(w, vf_load_mask(vr + 3 * VL, n3), a3);
      }
    }
    vf_store_mask(o + c, a0, n0);
    vf_store_mask(o + c + VL, a1, n1);
    vf_store_mask(o + c + 2 * VL, a2, n2);
    vf_store_mask(o + c + 3 * VL, a3, n3);
  }
}

/* o[r][c0 .. c0 + NV * VL) += sum_j p[r][j] v[j][...] for R rows at once:
 * each row of V is loaded once for all R rows. */
static inline __attribute__((always_inline)) void
pv_tile(const int R, const int NV, const float *p, int64_t len,
        const float *v, int64_t dv, float *o) {
  vf acc[PR][4];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < NV; ++c)
      acc[r][c] = vf_load(o + r * dv + c * VL);
  for (int64_t j = 0; j < len; ++j) {
    vf vv[4];
    for (int c = 0; c < NV; ++c)
      vv[c] = vf_load(v + j * dv + c * VL);
    for (int r = 0; r < R; ++r) {
      vf w = vf_set1(p[r * KB + j]);
      for (int c = 0; c < NV; ++c)
        acc[r][c] = vf_fma(w, vv[c], acc[r][c]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < NV; ++c)
      vf_store(o + r * dv + c * VL, acc[r][c]);
}

/* pv_tile with a run-time count of vectors (1..4). */
static inline __attribute__((always_inline)) void
pv_tiles(const int R, int nv, const float *p, int64_t len, const float *v,
         int64_t dv, float *o) {
  switch (nv) {
  case 4:
    pv_tile(R, 4, p, len, v, dv, o);
    break;
  case 3:
    pv_tile(R, 3, p, len, v, dv, o);
    break;
  case 2:
    pv_tile(R, 2, p, len, v, dv, o);
    break;
  default:
    pv_tile(R, 1, p, len, v, dv, o);
    break;
  }
}

/* o[rows][dv] += p[rows][len] v[len][dv], dv a multiple of VL. */
static void pv_block(const float *p, int64_t rows, int64_t len,
                     const float *v, int64_t dv, float *o) {
  for (int64_t c0 = 0; c0 < dv; c0 += 4 * VL) {
    int nv = dv - c0 >= 4 * VL ? 4 : (int)((dv - c0) / VL);
    int64_t r = 0;
    for (; r + PR <= rows; r += PR)
      pv_tiles(PR, nv, p + r * KB, len, v + c0, dv, o + r * dv + c0);
    for (; r < rows; ++r)
      pv_tiles(1, nv, p + r * KB, len, v + c0, dv, o + r * dv + c0);
  }
}

/* Scale, mask and causal limit on row r's `len` scores from key j0; then the
 * online softmax update of (m, l) and the rescaling of row r of o; the
 * scores become probabilities (0 past len) for pv_block. */
static void softmax_update(const head_work *w, int64_t r, int64_t j0,
                           int64_t len, float *s, float *m, float *l,
                           float *o) {
  const vf scale = vf_set1(w->scale);
  const float ninf = -INFINITY;
  for (int64_t j = 0; j < len; j += VL) {
    int n = len - j < VL ? (int)(len - j) : VL;
    vf_store_mask(s + j, vf_mul(vf_load_mask(s + j, n), scale), n);
  }
  if (w->mask_kind != KILN_UK_MASK_NONE) {
    const unsigned char *mrow = w->mask + r * w->mask_row;
    if (w->mask_kind == KILN_UK_MASK_ADD && w->mask_col == 4) {
      const float *mf = (const float *)(const void *)mrow + j0;
      for (int64_t j = 0; j < len; j += VL) {
        int n = len - j < VL ? (int)(len - j) : VL;
        vf_store_mask(s + j,
                      vf_add(vf_load_mask(s + j, n), vf_load_mask(mf + j, n)),
                      n);
      }
    } else {
      for (int64_t j = 0; j < len; ++j) {
        const unsigned char *e = mrow + (j0 + j) * w->mask_col;
        if (w->mask_kind == KILN_UK_MASK_ADD) {
          float x;
          memcpy(&x, e, sizeof x);
          s[j] += x;
        } else if (!*e) {
          s[j] = ninf;
        }
      }
    }
  }
  if (w->causal) {
    int64_t limit = w->i0 + r + w->visible_base - j0; /* last visible j */
    for (int64_t j = limit + 1 < 0 ? 0 : limit + 1; j < len; ++j)
      s[j] = ninf;
  }
  /* Lanes past len up to the next vector: -inf, so exp gives 0. */
  int64_t padded = (len + VL - 1) / VL * VL;
  for (int64_t j = len; j < padded; ++j)
    s[j] = ninf;
  vf mx = vf_set1(ninf);
  for (int64_t j = 0; j < padded; j += VL)
    mx = vf_max(mx, vf_load(s + j));
  float bm = vf_reduce_max(mx);
  float mnew = bm > m[r] ? bm : m[r];
  if (mnew == ninf) { /* nothing visible yet: p = 0, state unchanged */
    for (int64_t j = 0; j < padded; ++j)
      s[j] = 0;
    return;
  }
  float corr = m[r] == ninf ? 0.0f : expf(m[r] - mnew);
  vf mv = vf_set1(mnew), sum = vf_zero();
  for (int64_t j = 0; j < padded; j += VL) {
    vf p = vf_exp(vf_sub(vf_load(s + j), mv));
    vf_store(s + j, p);
    sum = vf_add(sum, p);
  }
  m[r] = mnew;
  l[r] = l[r] * corr + vf_reduce_add(sum);
  float *orow = o + r * w->dv;
  if (corr != 1.0f) {
    vf cv = vf_set1(corr);
    for (int64_t c = 0; c < w->dv; c += VL) {
      int n = w->dv - c < VL ? (int)(w->dv - c) : VL;
      vf_store_mask(orow + c, vf_mul(vf_load_mask(orow + c, n), cv), n);
    }
  }
}

static void run_head(const head_work *w, float *kt, float *s, float *o,
                     float *m, float *l) {
  int64_t rows = w->rows, d = w->d, dv = w->dv;
  for (int64_t r = 0; r < rows; ++r) {
    m[r] = -INFINITY;
    l[r] = 0;
  }
  memset(o, 0, sizeof(float) * rows * dv);
  /* Keys past the last row's causal limit are invisible to every row. */
  int64_t keys = w->sk;
  if (w->causal) {
    int64_t limit = w->i0 + rows - 1 + w->visible_base + 1;
    keys = limit < 0 ? 0 : (limit < keys ? limit : keys);
  }
  const int dots = rows <= 2;
  for (int64_t j0 = 0; j0 < keys; j0 += KB) {
    int64_t len = keys - j0 < KB ? keys - j0 : KB;
    const float *kb = w->k + j0 * d;
    if (dots) {
      for (int64_t r = 0; r < rows; ++r) {
        const float *qr = w->q + r * d;
        for (int64_t j = 0; j < len; ++j) {
          const float *kr = kb + j * d;
          vf acc = vf_zero();
          int64_t x = 0;
          for (; x + VL <= d; x += VL)
            acc = vf_fma(vf_load(qr + x), vf_load(kr + x), acc);
          if (x < d)
            acc = vf_fma(vf_load_mask(qr + x, (int)(d - x)),
                         vf_load_mask(kr + x, (int)(d - x)), acc);
          s[r * KB + j] = vf_reduce_add(acc);
        }
      }
    } else {
      for (int64_t j = 0; j < KB; ++j)
        for (int64_t x = 0; x < d; ++x)
          kt[x * KB + j] = j < len ? kb[j * d + x] : 0.0f;
      scores_block(w->q, rows, d, kt, s);
    }
    for (int64_t r = 0; r < rows; ++r)
      softmax_update(w, r, j0, len, s + r * KB, m, l, o);
    const float *vb = w->v + j0 * dv;
    if (dv % VL == 0)
      pv_block(s, rows, len, vb, dv, o);
    else
      for (int64_t r = 0; r < rows; ++r)
        accumulate_pv(s + r * KB, len, vb, dv, o + r * dv);
  }
  for (int64_t r = 0; r < rows; ++r) {
    float *dst = w->out + r * dv;
    vf inv = vf_set1(l[r] > 0 ? 1.0f / l[r] : 0.0f);
    for (int64_t c = 0; c < dv; c += VL) {
      int n = dv - c < VL ? (int)(dv - c) : VL;
      vf_store_mask(dst + c, vf_mul(vf_load_mask(o + r * dv + c, n), inv), n);
    }
  }
}

/* Runs query rows [block * QB, ...) of (b, h) against `sk` keys of kv head
 * g, whose rows start `kv_rows` rows apart per (b, g) head (sk for a dense
 * K, the capacity for a cache). */
static void run_item(const float *q, const float *k, const float *v,
                     float *out, int64_t hq, int64_t hkv, int64_t sq,
                     int64_t sk, int64_t kv_rows, int64_t d, int64_t dv,
                     float scale, const void *mask, int64_t mask_kind,
                     int64_t ms0, int64_t ms1, int64_t ms2, int64_t ms3,
                     int64_t causal, int64_t b, int64_t h, int64_t block) {
  int64_t g = h / (hq / hkv);
  head_work w;
  w.i0 = block * QB;
  w.rows = sq - w.i0 < QB ? sq - w.i0 : QB;
  w.d = d;
  w.dv = dv;
  w.sk = sk;
  w.q = q + ((b * hq + h) * sq + w.i0) * d;
  w.k = k + (b * hkv + g) * kv_rows * d;
  w.v = v + (b * hkv + g) * kv_rows * dv;
  w.out = out + ((b * hq + h) * sq + w.i0) * dv;
  w.visible_base = sk - sq;
  w.causal = causal != 0;
  w.scale = scale;
  w.mask_kind = mask_kind;
  int64_t esize = mask_kind == KILN_UK_MASK_ADD ? 4 : 1;
  w.mask = mask_kind == KILN_UK_MASK_NONE
               ? 0
               : (const unsigned char *)mask +
                     (b * ms0 + h * ms1 + w.i0 * ms2) * esize;
  w.mask_row = ms2 * esize;
  w.mask_col = ms3 * esize;

  /* About 230 KiB of stack at the largest head dims (OpenMP workers
   * have 4 MiB). */
  float kt[DMAX * KB], o[QB * DMAX];
  float s[QB * KB], m[QB], l[QB];
  run_head(&w, kt, s, o, m, l);
}

/* Work item `item` of both entry points (ukernels.h): batch b, query head
 * h, query block; 0 for an item past the batch. */
static int item_position(int64_t item, int64_t batch, int64_t hq, int64_t sq,
                         int64_t *b, int64_t *h, int64_t *block) {
  int64_t blocks = (sq + QB - 1) / QB, bh = item / blocks;
  *block = item % blocks;
  *b = bh / hq;
  *h = bh % hq;
  return *b < batch;
}

void KILN_UK(attention)(const float *q, const float *k, const float *v,
                        float *out, int64_t batch, int64_t hq, int64_t hkv,
                        int64_t sq, int64_t sk, int64_t d, int64_t dv,
                        float scale, const void *mask, int64_t mask_kind,
                        int64_t ms0, int64_t ms1, int64_t ms2, int64_t ms3,
                        int64_t causal, int64_t item) {
  int64_t b, h, block;
  if (!item_position(item, batch, hq, sq, &b, &h, &block))
    return;
  run_item(q, k, v, out, hq, hkv, sq, sk, sk, d, dv, scale, mask, mask_kind,
           ms0, ms1, ms2, ms3, causal, b, h, block);
}

void KILN_UK(cached_attention)(const float *q, const float *k_cache,
                               const float *v_cache, float *out,
                               const int64_t *lengths, int64_t batch,
                               int64_t hq, int64_t hkv, int64_t sq,
                               int64_t capacity, int64_t d, int64_t dv,
                               float scale, int64_t item) {
  int64_t b, h, block;
  if (!item_position(item, batch, hq, sq, &b, &h, &block))
    return;
  int64_t sk = lengths[b] + sq;
  if (lengths[b] < 0 || sk > capacity) /* The runtime refuses such runs. */
    return;
  run_item(q, k_cache, v_cache, out, hq, hkv, sq, sk, capacity, d, dv, scale,
           0, KILN_UK_MASK_NONE, 0, 0, 0, 0, 1, b, h, block);
}

void KILN_UK(cache_append)(const float *rows, float *cache,
                           const int64_t *lengths, int64_t batch,
                           int64_t heads, int64_t count, int64_t capacity,
                           int64_t d) {
  for (int64_t b = 0; b < batch; ++b) {
    if (lengths[b] < 0 || lengths[b] + count > capacity)
      continue; /* The runtime refuses such runs. */
    for (int64_t h = 0; h < heads; ++h)
      memcpy(cache + ((b * heads + h) * capacity + lengths[b]) * d,
             rows + (b * heads + h) * count * d,
             sizeof(float) * (size_t)(count * d));
  }
}
