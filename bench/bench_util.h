/* Timing helpers shared by the benchmarks (bench/bench_*.c): clocks and the
 * median.  Header-only: every bench is its own executable. */
#ifndef EIP_BENCH_UTIL_H
#define EIP_BENCH_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* wall seconds */
static inline double bench_wall_s(void) { return bench_clock(CLOCK_MONOTONIC); }

/* CPU seconds of the whole process (all threads): beside the wall time, a
 * figure a loaded machine disturbs less (threads waiting for a core are not
 * counted; threads spinning at a barrier are). */
static inline double bench_cpu_s(void) { return bench_clock(CLOCK_PROCESS_CPUTIME_ID); }

/* CPU seconds of the calling thread: leaves out the time it waits for a core */
static inline double bench_thread_cpu_s(void) { return bench_clock(CLOCK_THREAD_CPUTIME_ID); }

static inline int bench_cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v[n] ascending and returns its median. */
static inline double bench_median(double *v, int64_t n)
{
    qsort(v, (size_t)n, sizeof(double), bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* x[0 .. n) = a fixed pseudo-random sequence in [-1, 1) (the benchmarks'
 * input batch: the same numbers in every run, data loading not measured) */
static inline void bench_fill_pm1(float *x, int64_t n)
{
    uint64_t st = 0x9e3779b97f4a7c15ull;
    for (int64_t i = 0; i < n; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(st >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    }
}

#endif
