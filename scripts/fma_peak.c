/* The machine's fp32 FMA peak, for scripts/benchmark.py's efficiency column.
 *
 *   gcc -O3 -march=native -fopenmp scripts/fma_peak.c -o fma_peak
 *   ./fma_peak [THREADS] [SECONDS]
 *
 * Each thread runs 16 independent chains of vector FMAs (zmm with AVX-512,
 * ymm with AVX2+FMA; 16 chains cover 2 FMA ports x 4+ cycles of latency) on
 * registers only, so the loop is bound by FMA throughput alone. Prints
 *
 *   threads=1 gflops=X
 *   threads=N gflops=Y
 *
 * (the best of several timed repetitions; one FMA counts as 2 flops per lane).
 */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define STORE _mm512_storeu_ps
#elif defined(__FMA__) && defined(__AVX__)
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
#define STORE _mm256_storeu_ps
#else
#error "fma_peak.c needs AVX-512F or AVX2+FMA (compile with -march=native)"
#endif

#define CHAINS 16
#define INNER 8 /* unrolled FMA rounds per loop trip (128 FMAs: fits the uop cache) */

static volatile float sink;

/* Runs ITERS x INNER x CHAINS vector FMAs; returns a value that depends on
 * all of them so none is dropped. */
static float chains(long iters, float seed) {
  vec a = SET1(0.999999f), b = SET1(1e-7f);
  vec acc[CHAINS];
  for (int c = 0; c < CHAINS; ++c) acc[c] = SET1(seed + (float)c);
  for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 8
    for (int k = 0; k < INNER; ++k) {
#pragma GCC unroll 16
      for (int c = 0; c < CHAINS; ++c) acc[c] = FMA(acc[c], a, b);
    }
    /* Keeps the compiler from folding trips into one closed form. */
    __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]),
                     "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]), "+v"(acc[6]),
                     "+v"(acc[7]));
    __asm__ volatile("" : "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]),
                     "+v"(acc[11]), "+v"(acc[12]), "+v"(acc[13]),
                     "+v"(acc[14]), "+v"(acc[15]));
  }
  vec s = acc[0];
  for (int c = 1; c < CHAINS; ++c) s = ADD(s, acc[c]);
  float out[LANES];
  STORE(out, s);
  return out[0];
}

static double flops_per_iter(void) { return 2.0 * LANES * CHAINS * INNER; }

/* GFLOP/s of THREADS threads each running ITERS trips (best of REPS). */
static double measure(int threads, long iters, int reps) {
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    double t0 = 0, t1 = 0;
#pragma omp parallel num_threads(threads)
    {
#pragma omp barrier
#pragma omp single
      t0 = omp_get_wtime();
      float v = chains(iters, (float)omp_get_thread_num());
#pragma omp atomic
      sink += v;
#pragma omp barrier
#pragma omp single
      t1 = omp_get_wtime();
    }
    double g = threads * iters * flops_per_iter() / (t1 - t0) / 1e9;
    if (g > best) best = g;
  }
  return best;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : omp_get_num_procs();
  double seconds = argc > 2 ? atof(argv[2]) : 0.2;
  if (n < 1) n = 1;
  /* Calibrate the trip count to about SECONDS per repetition on one thread. */
  long iters = 1000;
  for (;;) {
    double t = omp_get_wtime();
    sink += chains(iters, 1.0f);
    t = omp_get_wtime() - t;
    if (t > seconds / 4 || iters > (1L << 40)) {
      iters = (long)(iters * seconds / (t > 0 ? t : 1e-9));
      break;
    }
    iters *= 4;
  }
  if (iters < 1) iters = 1;
  printf("threads=1 gflops=%.1f\n", measure(1, iters, 5));
  if (n > 1) printf("threads=%d gflops=%.1f\n", n, measure(n, iters, 5));
  printf("vector_bits=%d chains=%d\n", LANES * 32, CHAINS);
  return 0;
}
