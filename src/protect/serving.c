/* Entry points for serving a protected model (encryip serve, docs/SERVE.md):
 * Algorithm 2's forward pass on float pixels, so an HTTP request carrying a
 * float32 tensor is not rounded to 8 bits first.  Thread use (documented in
 * protect.h): one loaded model runs one forward at a time (the net keeps
 * per-batch-size plans and buffers), while eip_protect_predict_outputs with
 * rng NULL only reads the model and may run from several threads at once —
 * the server batches forwards on one thread and spreads Φ^-1 + SampDist over
 * a worker pool. */
#include <omp.h>
#include <stdlib.h>

#include "protect/internal.h"

#define FWD_F32_BATCH 256

eip_status eip_protect_forward_f32(eip_protect_model_t *m, const float *x, int64_t n, float *out,
                                   eip_error *err)
{
    if (n < 0)
        return eip_error_set(err, EIP_ERR_ARG, "forward: %lld images", (long long)n);
    const int64_t hw = (int64_t)m->h * m->w, sample = m->c * hw;
    const int64_t cap = n < FWD_F32_BATCH ? (n > 0 ? n : 1) : FWD_F32_BATCH;
    float *buf = malloc((size_t)(cap * sample) * sizeof *buf); /* [B, C, H, W] */
    if (!buf)
        return eip_error_set(err, EIP_ERR_NOMEM, "forward: out of memory");
    eip_status s = EIP_OK;
    const unsigned fpenv = eip_nn_denormals_flush_begin(); /* as eip_protect_forward */
    for (int64_t i0 = 0; i0 < n && !s; i0 += FWD_F32_BATCH) {
        int64_t b = n - i0 < FWD_F32_BATCH ? n - i0 : FWD_F32_BATCH;
        const float *p = x + i0 * sample;
        for (int64_t i = 0; i < b && !s; i++)
            for (int32_t ch = 0; ch < m->c; ch++) {
                const float mu = m->mean[ch], sd = m->std[ch];
                const float *src = p + i * sample + ch * hw;
                float *dst = buf + i * sample + ch * hw;
                for (int64_t j = 0; j < hw; j++) {
                    /* same scale as the uint8 path (pixel / 255): [0, 1] */
                    if (!(src[j] >= 0.0f && src[j] <= 1.0f)) {
                        s = eip_error_set(err, EIP_ERR_RANGE,
                                          "image %lld: pixel value %g outside [0, 1] (channel %d, "
                                          "index %lld)", (long long)(i0 + i), (double)src[j],
                                          (int)ch, (long long)j);
                        break;
                    }
                    /* divided, not multiplied by 1/std: the one normalisation
                     * (docs/DATA.md "Normalisation") */
                    dst[j] = (src[j] - mu) / sd;
                }
                if (s)
                    break;
            }
        if (!s)
            s = eip_nn_forward(m->net, buf, b, EIP_NN_EVAL, out + i0 * m->k, err);
    }
    eip_nn_denormals_flush_end(fpenv);
    free(buf);
    return s;
}


void eip_protect_forward_thread_init(const eip_nn_ctx *ctx)
{
    /* OpenMP's thread count (which oneDNN uses) is a per-thread setting:
     * eip_nn_ctx_init set it on the thread that called it only */
    omp_set_num_threads(ctx->threads > 0 ? ctx->threads : omp_get_num_procs());
}
