/* nn execution context: oneDNN CPU engine + in-order stream, thread count.
 * oneDNN here is built on the OpenMP runtime, so its parallel regions use
 * OpenMP's thread count; we set it once, here (--threads, default all cores). */
#include <omp.h>
#include <string.h>

#include "nn/nn_internal.h"

eip_status eip_nn_ctx_init(eip_nn_ctx *ctx, int threads, eip_error *err)
{
    if (!ctx)
        return eip_error_set(err, EIP_ERR_ARG, "nn context: NULL");
    memset(ctx, 0, sizeof *ctx);
    if (threads <= 0)
        threads = omp_get_num_procs();
    if (threads > 4096)
        return eip_error_set(err, EIP_ERR_RANGE, "nn context: %d threads is too many", threads);
    omp_set_num_threads(threads);
    ctx->threads = threads;
    dnnl_engine_t eng = NULL;
    dnnl_stream_t st = NULL;
    EIP_NN_TRY(dnnl_engine_create(&eng, dnnl_cpu, 0), "context", "engine");
    dnnl_status_t s = dnnl_stream_create(&st, eng, dnnl_stream_default_flags);
    if (s != dnnl_success) {
        dnnl_engine_destroy(eng);
        return eip_nn_dnnl_check(s, "context", "stream", err);
    }
    ctx->engine = eng;
    ctx->stream = st;
    return EIP_OK;
}

void eip_nn_ctx_free(eip_nn_ctx *ctx)
{
    if (!ctx)
        return;
    if (ctx->stream)
        dnnl_stream_destroy((dnnl_stream_t)ctx->stream);
    if (ctx->engine)
        dnnl_engine_destroy((dnnl_engine_t)ctx->engine);
    memset(ctx, 0, sizeof *ctx);
}
