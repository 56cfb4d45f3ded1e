/*===- cpu_features.c - does this CPU have what a library needs? ---*- C -*-===*
 *
 * Part of kiln. The manifest's `requires` record lists the x86 features the
 * library was compiled for, by LLVM's names; kiln_model_load checks each
 * here before any compiled code runs, so a library built for AVX-512 on a
 * CPU without it fails with a message instead of SIGILL.
 *
 * Read from CPUID directly (a model library links no libgcc, so no
 * __builtin_cpu_supports), with XGETBV for whether the OS saves the
 * registers a feature needs.
 *
 *===----------------------------------------------------------------------===*/

#include "ukernels.h"

#include <cpuid.h>
#include <string.h>

enum { EAX, EBX, ECX, EDX };

/* XCR0 state components: SSE|AVX, + opmask|ZMM_Hi256|Hi16_ZMM, + AMX. */
#define XSTATE_AVX 0x6ull
#define XSTATE_AVX512 0xe6ull
#define XSTATE_AMX 0x60006ull

static const struct {
  const char *name;
  unsigned leaf, subleaf, reg, bit;
  unsigned long long xstate;
} features[] = {
    {"sse4.2", 1, 0, ECX, 20, 0},
    {"avx", 1, 0, ECX, 28, XSTATE_AVX},
    {"fma", 1, 0, ECX, 12, XSTATE_AVX},
    {"f16c", 1, 0, ECX, 29, XSTATE_AVX},
    {"avx2", 7, 0, EBX, 5, XSTATE_AVX},
    {"bmi2", 7, 0, EBX, 8, 0},
    {"avx512f", 7, 0, EBX, 16, XSTATE_AVX512},
    {"avx512dq", 7, 0, EBX, 17, XSTATE_AVX512},
    {"avx512cd", 7, 0, EBX, 28, XSTATE_AVX512},
    {"avx512bw", 7, 0, EBX, 30, XSTATE_AVX512},
    {"avx512vl", 7, 0, EBX, 31, XSTATE_AVX512},
    {"avx512vnni", 7, 0, ECX, 11, XSTATE_AVX512},
    {"avx512fp16", 7, 0, EDX, 23, XSTATE_AVX512},
    {"avx512bf16", 7, 1, EAX, 5, XSTATE_AVX512},
    {"avxvnni", 7, 1, EAX, 4, XSTATE_AVX},
    {"amx-bf16", 7, 0, EDX, 22, XSTATE_AMX},
    {"amx-tile", 7, 0, EDX, 24, XSTATE_AMX},
    {"amx-int8", 7, 0, EDX, 25, XSTATE_AMX},
};

static unsigned long long os_xstate(void) {
  unsigned r[4];
  if (!__get_cpuid(1, &r[EAX], &r[EBX], &r[ECX], &r[EDX]) ||
      !(r[ECX] & (1u << 27))) /* OSXSAVE */
    return 0;
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((unsigned long long)hi << 32) | lo;
}

const char *kiln_cpu_missing_feature(const char *feature) {
  for (size_t i = 0; i < sizeof features / sizeof features[0]; ++i) {
    if (strcmp(feature, features[i].name) != 0)
      continue;
    unsigned r[4] = {0, 0, 0, 0};
    if (!__get_cpuid_count(features[i].leaf, features[i].subleaf, &r[EAX],
                           &r[EBX], &r[ECX], &r[EDX]) ||
        !(r[features[i].reg] & (1u << features[i].bit)))
      return feature;
    unsigned long long need = features[i].xstate;
    if (need && (os_xstate() & need) != need)
      return feature;
    return NULL;
  }
  return "unknown";
}
