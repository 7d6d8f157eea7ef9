/* What the calling thread does with denormal floats (eip_nn_denormals_flush_*):
 * bit 1 set when a product below FLT_MIN stays non-zero (no FTZ), bit 2 when a
 * denormal input reads as non-zero (no DAZ).  3 = IEEE default, 0 = flushed. */
#ifndef EIP_TEST_FPENV_PROBE_H
#define EIP_TEST_FPENV_PROBE_H

static int fp_keeps_denormals(void)
{
    volatile float tiny = 1e-30f, small = 1e-10f, den = 1e-40f, one = 1.0f;
    const float prod = tiny * small; /* 1e-40: flushed to 0 under FTZ */
    const float in = den * one;      /* read as 0 under DAZ */
    return (prod != 0.0f ? 1 : 0) | (in != 0.0f ? 2 : 0);
}

#endif
