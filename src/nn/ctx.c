/* nn execution context: oneDNN CPU engine + in-order stream, thread count,
 * precision.  oneDNN here is built on the OpenMP runtime, so its parallel
 * regions use OpenMP's thread count; we set it once, here (--threads,
 * default all cores). */
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
    ctx->precision = EIP_NN_FP32;
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

/* ISA masks are cumulative (dnnl_types.h): "at least X" = all of X's bits. */
int eip_nn_isa_has(int isa_mask)
{
    unsigned have = (unsigned)dnnl_get_effective_cpu_isa();
    return (have & (unsigned)isa_mask) == (unsigned)isa_mask;
}

/* oneDNN 2.6's direct kernels work on channel blocks of the vector width:
 * 16 floats with AVX-512 (nChw16c), 8 with AVX2 (nChw8c).  nChw16c has no
 * AVX2 kernel at all (`ref:any`).  With AVX2 the engine used to run NHWC;
 * nChw8c (what PyTorch's oneDNN convolutions use there) costs the same
 * convolution time on a core of its own and less under cache pressure, and
 * its batch normalisation is ~1.7x faster (docs/BENCHMARKS.md "AVX2 path").
 * bf16 on a CPU with AMX: oneDNN 2.6's AMX convolutions (brg:avx512_core_amx)
 * take NHWC only; on nChw16c it runs the AVX-512 bf16 kernels, which made
 * bf16 ResNet-18 0.39x fp32 in inference instead of 2.3x (docs/BENCHMARKS.md
 * "A third CPU kind: Intel Xeon with AMX"). */
dnnl_format_tag_t eip_nn_act_block(dnnl_data_type_t dt)
{
    if (dt == dnnl_bf16 && eip_nn_isa_has(dnnl_cpu_isa_avx512_core_amx))
        return dnnl_acdb;
    return eip_nn_isa_has(dnnl_cpu_isa_avx512_core) ? dnnl_aBcd16b : dnnl_aBcd8b;
}

const char *eip_nn_cpu_isa(void)
{
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
    }
}

int eip_nn_bf16_supported(void) { return eip_nn_isa_has(dnnl_cpu_isa_avx512_core_bf16); }

eip_status eip_nn_ctx_set_precision(eip_nn_ctx *ctx, eip_nn_precision p, eip_error *err)
{
    if (!ctx || !ctx->engine)
        return eip_error_set(err, EIP_ERR_ARG, "nn context: NULL or not initialised");
    if (p != EIP_NN_FP32 && p != EIP_NN_BF16)
        return eip_error_set(err, EIP_ERR_ARG, "nn context: bad precision %d", (int)p);
    /* bf16 without the AVX-512 bf16 instructions runs on oneDNN's emulation
     * or reference kernels: slower than fp32, so it is refused, not faked. */
    if (p == EIP_NN_BF16 && !eip_nn_bf16_supported()) {
        ctx->precision = EIP_NN_FP32;
        return eip_error_set(err, EIP_ERR_STATE,
                             "precision bf16: this CPU has no AVX-512 bf16 (oneDNN ISA %s, needs "
                             "avx512_core_bf16)",
                             eip_nn_cpu_isa());
    }
    ctx->precision = p;
    return EIP_OK;
}

eip_status eip_nn_precision_parse(const char *s, eip_nn_precision *out, eip_error *err)
{
    if (s && strcmp(s, "fp32") == 0)
        *out = EIP_NN_FP32;
    else if (s && strcmp(s, "bf16") == 0)
        *out = EIP_NN_BF16;
    else
        return eip_error_set(err, EIP_ERR_ARG, "precision '%s': expected fp32 or bf16",
                             s ? s : "(null)");
    return EIP_OK;
}

const char *eip_nn_precision_name(eip_nn_precision p) { return p == EIP_NN_BF16 ? "bf16" : "fp32"; }
