/*===- norm.c - layer norm and RMS norm microkernel -----------------*- C -*-===*
 *
 * Part of kiln. tfm.layer_norm / tfm.rms_norm over the last dim for rows
 * [r0, r1): the row is read from memory once (it then stays in L1 for the
 * mean, the variance of x - mean, and the scaled output), with vector
 * accumulators; the variance is of the centred values, as accurate as the
 * two-pass formula.
 *
 *===----------------------------------------------------------------------===*/

#include "simd.h"
#include "ukernels.h"

#include <math.h>

static float row_sum(const float *x, int64_t n) {
  vf s0 = vf_zero(), s1 = vf_zero();
  int64_t j = 0;
  for (; j + 2 * VL <= n; j += 2 * VL) {
    s0 = vf_add(s0, vf_load(x + j));
    s1 = vf_add(s1, vf_load(x + j + VL));
  }
  for (; j < n; j += VL)
    s0 = vf_add(s0, vf_load_mask(x + j, n - j < VL ? (int)(n - j) : VL));
  return vf_reduce_add(vf_add(s0, s1));
}

/* sum (x - mean)^2 */
static float row_sq(const float *x, int64_t n, float mean) {
  vf m = vf_set1(mean), s0 = vf_zero(), s1 = vf_zero();
  int64_t j = 0;
  for (; j + 2 * VL <= n; j += 2 * VL) {
    vf d0 = vf_sub(vf_load(x + j), m), d1 = vf_sub(vf_load(x + j + VL), m);
    s0 = vf_fma(d0, d0, s0);
    s1 = vf_fma(d1, d1, s1);
  }
  float tail = 0;
  for (; j < n; ++j)
    tail += (x[j] - mean) * (x[j] - mean);
  return vf_reduce_add(vf_add(s0, s1)) + tail;
}

void KILN_UK(norm)(const float *x, float *y, int64_t r0, int64_t r1,
                   int64_t n, const float *gamma, const float *beta,
                   float eps, int64_t rms) {
  for (int64_t r = r0; r < r1; ++r) {
    const float *xr = x + r * n;
    float *yr = y + r * n;
    float mean = rms ? 0.0f : row_sum(xr, n) / (float)n;
    float inv = 1.0f / sqrtf(row_sq(xr, n, mean) / (float)n + eps);
    vf m = vf_set1(mean), s = vf_set1(inv);
    for (int64_t j = 0; j < n; j += VL) {
      int c = n - j < VL ? (int)(n - j) : VL;
      vf v = vf_mul(vf_sub(vf_load_mask(xr + j, c), m), s);
      v = vf_mul(v, vf_load_mask(gamma + j, c));
      if (beta)
        v = vf_add(v, vf_load_mask(beta + j, c));
      vf_store_mask(yr + j, v, c);
    }
  }
}
