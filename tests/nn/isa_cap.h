/* The *_avx2 copies of the nn tests (tests/CMakeLists.txt) run with
 * DNNL_MAX_CPU_ISA=AVX2 so the AVX2 path (nChw8c activations, conv.c
 * conv_choose) is tested on an AVX-512 machine too.  This check makes such a
 * run fail if the cap did not take (oneDNN would silently run AVX-512). */
#ifndef EIP_TEST_ISA_CAP_H
#define EIP_TEST_ISA_CAP_H

#include <stdlib.h>
#include <string.h>

#include "encryip/nn.h"
#include "test.h"

static void isa_cap_check(void)
{
    const char *cap = getenv("DNNL_MAX_CPU_ISA");
    if (cap && strcmp(cap, "AVX2") == 0)
        CHECK(strcmp(eip_nn_cpu_isa(), "avx2") == 0, "DNNL_MAX_CPU_ISA=AVX2 but oneDNN dispatches to %s",
              eip_nn_cpu_isa());
}

#endif
