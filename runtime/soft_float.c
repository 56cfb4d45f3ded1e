/*===- soft_float.c - conversions LLVM may call instead of inlining -*- C -*-===*
 *
 * Part of kiln. A model library links no libgcc or compiler-rt, so the
 * helpers LLVM's code generation calls where the target has no instruction
 * for an operation are defined here. On CPUs without AVX512-FP16, a
 * double -> half conversion (ONNX Cast to FLOAT16) is __truncdfhf2; on
 * CPUs without AVX512-BF16 (AVX2-only ones, e.g. AMD Zen 1), float ->
 * bfloat16 is __truncsfbf2.
 *
 *===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <string.h>

/* Compilers without _Float16 on x86 (clang before 15, which scripts/fuzz.sh
 * may use) cannot return a half in xmm0 as LLVM expects; their runtime
 * builds go without it (no model links them). */
#ifdef __FLT16_MAX__

/* IEEE binary64 -> binary16, round to nearest even, as one rounding. */
__attribute__((visibility("hidden"))) _Float16 __truncdfhf2(double x) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  uint16_t sign = (uint16_t)((bits >> 48) & 0x8000);
  int exp = (int)((bits >> 52) & 0x7ff);
  uint64_t mant = bits & 0xfffffffffffffull;
  uint16_t h;
  if (exp == 0x7ff) { /* inf or NaN (quiet, payload's top bits kept) */
    h = sign | 0x7c00 | (mant ? 0x200 | (uint16_t)(mant >> 42) : 0);
  } else {
    int e = exp - 1023 + 15; /* the half's biased exponent */
    if (e >= 31) {
      h = sign | 0x7c00; /* overflow */
    } else {
      /* 1.mant as an integer with 52 fraction bits; shift so that the
       * half's 10 fraction bits (fewer when subnormal) remain. */
      uint64_t full = exp ? mant | (1ull << 52) : mant;
      int shift = 42 + (e <= 0 ? 1 - e : 0);
      if (e <= 0)
        e = 0;
      uint64_t q = shift < 64 ? full >> shift : 0;
      uint64_t rem = shift < 64 ? full & ((1ull << shift) - 1) : full;
      uint64_t half = shift < 64 ? 1ull << (shift - 1) : 0;
      if (shift < 64 && (rem > half || (rem == half && (q & 1))))
        ++q; /* may carry into the exponent: still the right encoding */
      if (e == 0)
        h = sign | (uint16_t)q;
      else
        h = sign | (uint16_t)(((uint64_t)e << 10) + (q - (1u << 10)));
    }
  }
  _Float16 r;
  memcpy(&r, &h, sizeof r);
  return r;
}

/* IEEE binary32 -> bfloat16 (its top 16 bits), round to nearest even; a
 * NaN stays a quiet NaN. LLVM returns a bfloat16 as it returns a half (in
 * the low 16 bits of xmm0), so the bits go back in a _Float16. */
__attribute__((visibility("hidden"))) _Float16 __truncsfbf2(float x) {
  uint32_t bits;
  memcpy(&bits, &x, sizeof bits);
  uint16_t b;
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    b = (uint16_t)((bits >> 16) | 0x40);
  else
    b = (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
  _Float16 r;
  memcpy(&r, &b, sizeof r);
  return r;
}

#endif /* __FLT16_MAX__ */
