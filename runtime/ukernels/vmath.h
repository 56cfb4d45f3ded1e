/*===- vmath.h - vectorized exp, erf, tanh, sigmoid ----------------*- C -*-===*
 *
 * Part of kiln. Polynomial approximations over simd.h's `vf`, for the GEMM
 * epilogues and attention's softmax. Accuracy (checked against libm in
 * test/runtime/ukernels_test.c): exp within 2 ulp on [-87, 88] and exactly
 * 0 below -87.3 (so a score of -inf contributes nothing); erf within 2e-7
 * absolute; tanh within 2e-7 absolute; sigmoid within 2 ulp-ish relative.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_UKERNELS_VMATH_H
#define KILN_RUNTIME_UKERNELS_VMATH_H

#include "simd.h"

/* e^x: x = n ln2 + r, |r| <= ln2/2, e^r by a degree-6 polynomial (Cephes
 * expf's coefficients), 2^n built in the exponent bits. */
static inline vf vf_exp(vf x) {
  const vf lo = vf_set1(-87.33654f);
  vf xc = vf_min(vf_max(x, lo), vf_set1(88.0f));
  vf n = vf_round(vf_mul(xc, vf_set1(1.44269504088896341f)));
  vf r = vf_fnma(n, vf_set1(0.693359375f), xc);
  r = vf_fnma(n, vf_set1(-2.12194440e-4f), r);
  vf p = vf_set1(1.9875691500e-4f);
  p = vf_fma(p, r, vf_set1(1.3981999507e-3f));
  p = vf_fma(p, r, vf_set1(8.3334519073e-3f));
  p = vf_fma(p, r, vf_set1(4.1665795894e-2f));
  p = vf_fma(p, r, vf_set1(1.6666665459e-1f));
  p = vf_fma(p, r, vf_set1(5.0000001201e-1f));
  vf r2 = vf_mul(r, r);
  vf y = vf_add(vf_fma(p, r2, r), vf_set1(1.0f));
  y = vf_mul(y, vf_pow2i(n));
  return vf_select_lt(x, lo, vf_zero(), y);
}

/* erf(x) = sign(x) (1 - erfc(|x|)), erfc by the Chebyshev fit of Numerical
 * Recipes' erfcc (fractional error below 1.2e-7 for every x >= 0). */
static inline vf vf_erf(vf x) {
  const vf one = vf_set1(1.0f);
  vf z = vf_abs(x);
  vf t = vf_div(one, vf_fma(vf_set1(0.5f), z, one));
  vf p = vf_set1(0.17087277f);
  p = vf_fma(p, t, vf_set1(-0.82215223f));
  p = vf_fma(p, t, vf_set1(1.48851587f));
  p = vf_fma(p, t, vf_set1(-1.13520398f));
  p = vf_fma(p, t, vf_set1(0.27886807f));
  p = vf_fma(p, t, vf_set1(-0.18628806f));
  p = vf_fma(p, t, vf_set1(0.09678418f));
  p = vf_fma(p, t, vf_set1(0.37409196f));
  p = vf_fma(p, t, vf_set1(1.00002368f));
  p = vf_fma(p, t, vf_set1(-1.26551223f));
  vf erfc = vf_mul(t, vf_exp(vf_fnma(z, z, p)));
  return vf_copysign(vf_sub(one, erfc), x);
}

/* tanh: Cephes tanhf's odd polynomial below |x| = 0.625, else
 * 1 - 2 / (e^{2|x|} + 1) with the sign restored. */
static inline vf vf_tanh(vf x) {
  const vf one = vf_set1(1.0f);
  vf z = vf_abs(x);
  vf e = vf_exp(vf_mul(vf_set1(-2.0f), z));
  vf big = vf_copysign(vf_div(vf_sub(one, e), vf_add(one, e)), x);
  vf x2 = vf_mul(x, x);
  vf p = vf_set1(-5.70498872745e-3f);
  p = vf_fma(p, x2, vf_set1(2.06390887954e-2f));
  p = vf_fma(p, x2, vf_set1(-5.37397155531e-2f));
  p = vf_fma(p, x2, vf_set1(1.33314422036e-1f));
  p = vf_fma(p, x2, vf_set1(-3.33332819422e-1f));
  vf small = vf_fma(vf_mul(p, x2), x, x);
  return vf_select_lt(z, vf_set1(0.625f), small, big);
}

static inline vf vf_sigmoid(vf x) {
  const vf one = vf_set1(1.0f);
  return vf_div(one, vf_add(one, vf_exp(vf_sub(vf_zero(), x))));
}

/* The activations of tfm.matmul's epilogue, numbered as in ukernels.h. */
static inline vf vf_activation(vf x, int64_t act) {
  switch (act) {
  case 1: /* relu */
    return vf_max(x, vf_zero());
  case 2: /* gelu, erf form: x/2 (1 + erf(x / sqrt 2)) */
    return vf_mul(vf_mul(vf_set1(0.5f), x),
                  vf_add(vf_set1(1.0f),
                         vf_erf(vf_mul(x, vf_set1(0.70710678118654752f)))));
  case 3: { /* gelu, tanh form */
    vf inner = vf_mul(vf_set1(0.79788456080286536f),
                      vf_fma(vf_mul(vf_set1(0.044715f), x), vf_mul(x, x), x));
    return vf_mul(vf_mul(vf_set1(0.5f), x),
                  vf_add(vf_set1(1.0f), vf_tanh(inner)));
  }
  case 4: /* silu */
    return vf_mul(x, vf_sigmoid(x));
  case 5:
    return vf_sigmoid(x);
  case 6:
    return vf_tanh(x);
  default:
    return x;
  }
}

/* The GEMM tiles' last epilogue step: act(c) + res over `rows` rows of a
 * tile just stored (lo and hi columns in its two vectors). The activation
 * (a long polynomial) runs here, on the tile hot in L1: applied to the
 * registers it would spill the accumulators. */
static inline __attribute__((always_inline)) void
vf_activate_tile(int rows, float *c, int64_t ldc, int lo, int hi,
                 const float *res, int64_t ldr, int64_t act) {
  for (int r = 0; r < rows; ++r)
    for (int h = 0; h < 2; ++h) {
      int n = h ? hi : lo;
      float *p = c + r * ldc + h * VL;
      vf x = vf_activation(vf_load_mask(p, n), act);
      if (res)
        x = vf_add(x, vf_load_mask(res + r * ldr + h * VL, n));
      vf_store_mask(p, x, n);
    }
}

#endif /* KILN_RUNTIME_UKERNELS_VMATH_H */
