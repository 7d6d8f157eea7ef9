/* Denormal floats during training (docs/DESIGN.md "Denormals").
 *
 * Late in training a wide EncryIP head's softmax puts most of its 3 x 1009
 * probabilities below FLT_MIN, and so do many squared gradients in the
 * optimiser's second moments.  On Intel CPUs every arithmetic instruction
 * that reads or writes such a denormal takes a microcode assist (~100x):
 * measured on the Intel Xeon of 2026-12-02, `experiment cost` at P = 1000
 * in the paper group fell from 50 000 to 13 000 images/s between epochs 1
 * and 3, and even the original slowed by 8 %.  FTZ (results) and DAZ
 * (inputs) make them zero, as TensorFlow does in its compute threads; a
 * value below 1.2e-38 changes no trained weight measurably.
 *
 * MXCSR is per thread, and oneDNN's kernels run on the OpenMP pool, whose
 * threads already exist: the mode is set in a parallel region (the pool's
 * threads are those of the later regions of the same size) and put back the
 * same way.  x86 only; elsewhere nothing changes. */
#include <omp.h>

#include "encryip/nn.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define EIP_MXCSR_FTZ_DAZ 0x8040u /* bit 15 flush-to-zero, bit 6 denormals-are-zero */

static void pool_set(unsigned csr)
{
#pragma omp parallel
    _mm_setcsr(csr);
    _mm_setcsr(csr); /* the calling thread, also when it runs no region (nested) */
}

unsigned eip_nn_denormals_flush_begin(void)
{
    const unsigned saved = _mm_getcsr();
    pool_set(saved | EIP_MXCSR_FTZ_DAZ);
    return saved;
}

void eip_nn_denormals_flush_end(unsigned saved)
{
    pool_set(saved);
}
#else
unsigned eip_nn_denormals_flush_begin(void) { return 0; }
void eip_nn_denormals_flush_end(unsigned saved) { (void)saved; }
#endif
