/* Kernels of the train module compiled for AVX-512, AVX2 and baseline
 * x86-64, the CPU's chosen at load time (GCC target_clones): the library is
 * built for baseline x86-64, where `omp simd` loops get 4-wide SSE.  Used
 * for the optimiser's element loops (optim.c) and the loss from softmax
 * probabilities (loss.c). */
#ifndef EIP_TRAIN_ISA_H
#define EIP_TRAIN_ISA_H

#if defined(__x86_64__)
#define EIP_TRAIN_ISA_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EIP_TRAIN_ISA_CLONES
#endif

#endif
