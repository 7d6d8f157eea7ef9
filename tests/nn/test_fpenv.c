/* eip_nn_denormals_flush_begin / _end: FTZ + DAZ on the calling thread and
 * on every thread of the OpenMP pool (where oneDNN and the optimiser run),
 * nested scopes keep the outer mode, and _end puts the IEEE default back on
 * all of them.  x86 only: elsewhere the functions do nothing (SKIP). */
#include <omp.h>

#include "encryip/nn.h"
#include "fpenv_probe.h"
#include "test.h"

#define MAX_T 64

/* fp_keeps_denormals() of every thread of a parallel region; returns the team size */
static int probe_pool(int *out)
{
    int n = 0;
#pragma omp parallel
    {
        int i = omp_get_thread_num();
        if (i < MAX_T)
            out[i] = fp_keeps_denormals();
#pragma omp single
        n = omp_get_num_threads();
    }
    return n < MAX_T ? n : MAX_T;
}

static void check_pool(int want, const char *when)
{
    int got[MAX_T] = {0};
    int n = probe_pool(got);
    CHECK(n >= 2, "%s: the pool has %d thread(s), the test needs 2", when, n);
    for (int i = 0; i < n; i++)
        CHECK(got[i] == want, "%s: thread %d keeps denormals %d, want %d", when, i, got[i], want);
    CHECK(fp_keeps_denormals() == want, "%s: calling thread keeps %d, want %d", when,
          fp_keeps_denormals(), want);
}

int main(void)
{
#if !(defined(__x86_64__) || defined(__i386__))
    printf("SKIP: FTZ/DAZ are set only on x86 (this is another architecture)\n");
    return 77;
#else
    omp_set_num_threads(2);
    check_pool(3, "before");
    const unsigned outer = eip_nn_denormals_flush_begin();
    check_pool(0, "inside");
    const unsigned inner = eip_nn_denormals_flush_begin();
    check_pool(0, "nested");
    eip_nn_denormals_flush_end(inner);
    check_pool(0, "after the nested scope");
    eip_nn_denormals_flush_end(outer);
    check_pool(3, "after");
    TEST_MAIN_END();
#endif
}
