/*===- simd.h - the vector layer the microkernels are written on ---*- C -*-===*
 *
 * Part of kiln. Every microkernel source (sgemm.c, attention.c, vmath.h) is
 * written once over the `vf` type and the vf_* operations below, then
 * compiled once per instruction set with -DKILN_UK_ISA_<ISA> and that
 * ISA's -m flags (runtime/CMakeLists.txt). KILN_UK(name) gives each copy
 * its own symbol: kiln_uk_<name>_avx512, kiln_uk_<name>_avx2, ...
 *
 * VL is the number of f32 lanes; NR (columns of a packed weight panel) is
 * two vectors, so the compiler packs weights per target (see
 * kiln_uk_sgemm_panel_width in ukernels.h).
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_UKERNELS_SIMD_H
#define KILN_RUNTIME_UKERNELS_SIMD_H

#include <immintrin.h>
#include <stdint.h>

/* The integer kernels' AVX-512 copy also needs BW and VNNI: the same
 * vector layer under its own suffix. Their AMX copy is that one plus the
 * AMX-INT8 tile GEMM (qgemm.c), suffix amx. */
#if defined(KILN_UK_ISA_AMX)
#define KILN_UK_ISA_AVX512VNNI 1
#define KILN_UK(name) kiln_uk_##name##_amx
#endif
#if defined(KILN_UK_ISA_AVX512VNNI)
#define KILN_UK_ISA_AVX512 1
#ifndef KILN_UK
#define KILN_UK(name) kiln_uk_##name##_avx512vnni
#endif
#endif

#if defined(KILN_UK_ISA_AVX512)

#ifndef KILN_UK
#define KILN_UK(name) kiln_uk_##name##_avx512
#endif
#define VL 16
typedef __m512 vf;
typedef __m512i vi;
typedef __mmask16 vmask;

static inline vf vf_zero(void) { return _mm512_setzero_ps(); }
static inline vf vf_set1(float x) { return _mm512_set1_ps(x); }
static inline vf vf_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void vf_store(float *p, vf x) { _mm512_storeu_ps(p, x); }
static inline vmask vf_mask_first(int n) {
  return n >= VL ? (vmask)0xffff : (vmask)((1u << n) - 1u);
}
static inline vf vf_load_mask(const float *p, int n) {
  return _mm512_maskz_loadu_ps(vf_mask_first(n), p);
}
static inline void vf_store_mask(float *p, vf x, int n) {
  _mm512_mask_storeu_ps(p, vf_mask_first(n), x);
}
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
/* a * b + c */
static inline vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
/* -(a * b) + c */
static inline vf vf_fnma(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); }
static inline vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline vf vf_min(vf a, vf b) { return _mm512_min_ps(a, b); }
static inline vf vf_abs(vf a) { return _mm512_abs_ps(a); }
static inline vf vf_round(vf a) {
  return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
static inline vf vf_copysign(vf mag, vf sign) {
  const vi m = _mm512_set1_epi32(INT32_MIN);
  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
      _mm512_castps_si512(mag), _mm512_castps_si512(sign), m, 0xd8));
}
/* 2^n for integral-valued n in [-126, 127]. */
static inline vf vf_pow2i(vf n) {
  vi e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
  return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
}
/* x where keep, else y. */
static inline vf vf_select_lt(vf a, vf b, vf x, vf y) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), y, x);
}
/* VL IEEE halves (each exactly an f32). */
static inline vf vf_load_half(const uint16_t *p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}
static inline float vf_reduce_add(vf a) { return _mm512_reduce_add_ps(a); }
static inline float vf_reduce_max(vf a) { return _mm512_reduce_max_ps(a); }

#elif defined(KILN_UK_ISA_AVX2)

#define KILN_UK(name) kiln_uk_##name##_avx2
#define VL 8
typedef __m256 vf;
typedef __m256i vi;

static inline vf vf_zero(void) { return _mm256_setzero_ps(); }
static inline vf vf_set1(float x) { return _mm256_set1_ps(x); }
static inline vf vf_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void vf_store(float *p, vf x) { _mm256_storeu_ps(p, x); }
static inline vi vf_mask_first(int n) {
  const vi lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes);
}
static inline vf vf_load_mask(const float *p, int n) {
  return _mm256_maskload_ps(p, vf_mask_first(n));
}
static inline void vf_store_mask(float *p, vf x, int n) {
  _mm256_maskstore_ps(p, vf_mask_first(n), x);
}
static inline vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vf_fnma(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }
static inline vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }
static inline vf vf_min(vf a, vf b) { return _mm256_min_ps(a, b); }
static inline vf vf_abs(vf a) {
  return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a);
}
static inline vf vf_round(vf a) {
  return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
static inline vf vf_copysign(vf mag, vf sign) {
  const vf m = _mm256_set1_ps(-0.0f);
  return _mm256_or_ps(_mm256_andnot_ps(m, mag), _mm256_and_ps(m, sign));
}
static inline vf vf_pow2i(vf n) {
  vi e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}
static inline vf vf_select_lt(vf a, vf b, vf x, vf y) {
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_LT_OQ));
}
#if defined(__F16C__)
static inline vf vf_load_half(const uint16_t *p) {
  return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}
#endif
static inline float vf_reduce_add(vf a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline float vf_reduce_max(vf a) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

#else
#error "compile with -DKILN_UK_ISA_AVX512, _AVX512VNNI or _AVX2"
#endif

/* Columns of one packed weight panel: two vectors. */
#define NR (2 * VL)

#endif /* KILN_RUNTIME_UKERNELS_SIMD_H */
