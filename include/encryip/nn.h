/* encryip nn module — a small training engine over Intel oneDNN.
 *
 * A net is a list of layer nodes in topological order (conv, batch norm,
 * ReLU, pooling, global average pooling, linear, flatten, dropout, residual
 * add, channel concat), built from the model zoo (docs/ZOO.md) or from a
 * config text.  Activations stay in oneDNN's preferred (blocked) layouts
 * between layers; callers only ever see plain row-major arrays:
 *
 *   input   x       [N, C, H, W]   (C, H, W fixed by the net)
 *   output  logits  [N, K]         (K = per-sample output size)
 *   params / grads  [n_params]     flat float blocks, PyTorch layouts
 *                                  (conv OIHW, linear [out, in], BN [C])
 *   buffers         [n_buffers]    BN running_mean / running_var (float);
 *                                  num_batches_tracked are int64 counters
 *
 * Typical training step:
 *   eip_nn_zero_grad(net);
 *   eip_nn_forward(net, x, n, EIP_NN_TRAIN, logits, err);
 *   loss(logits) -> dlogits;                       (train module)
 *   eip_nn_backward(net, dlogits, NULL, err);      (grads accumulate)
 *   optimiser over eip_nn_params / eip_nn_grads;   (train module)
 *   eip_nn_mark_dirty(net);
 *
 * Parameters edited from outside (optimiser, AdvParams, loading) must be
 * followed by eip_nn_mark_dirty() before the next EVAL / EVAL_GRAD forward;
 * TRAIN forwards always re-read the parameter block. */
#ifndef ENCRYIP_NN_H
#define ENCRYIP_NN_H

#include <stddef.h>
#include <stdint.h>

#include "encryip/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Execution context: oneDNN CPU engine + stream, thread count.  Opaque
 * backend handles are void* so this header does not need dnnl.h. */
/* Arithmetic of the convolutions and linear layers.  BF16 = mixed
 * precision: activations, their diffs and the weights the primitives read
 * are bfloat16; the master weights, their gradients, the optimiser, batch-
 * norm statistics and the caller's arrays (input, logits, loss) stay fp32. */
typedef enum eip_nn_precision {
    EIP_NN_FP32 = 0,
    EIP_NN_BF16 = 1
} eip_nn_precision;

typedef struct eip_nn_ctx {
    void *engine; /* dnnl_engine_t */
    void *stream; /* dnnl_stream_t */
    int threads;
    eip_nn_precision precision; /* FP32 after init; see eip_nn_ctx_set_precision */
} eip_nn_ctx;

/* threads <= 0: all cores.  Sets the OpenMP thread count oneDNN uses. */
eip_status eip_nn_ctx_init(eip_nn_ctx *ctx, int threads, eip_error *err);
void eip_nn_ctx_free(eip_nn_ctx *ctx);

/* Precision of nets planned from now on with this context.  BF16 needs a CPU
 * on which oneDNN dispatches AVX-512 bf16 kernels (effective ISA
 * avx512_core_bf16 or better); elsewhere returns EIP_ERR_STATE naming the
 * ISA oneDNN reports and leaves the context at FP32. */
eip_status eip_nn_ctx_set_precision(eip_nn_ctx *ctx, eip_nn_precision p, eip_error *err);
/* "fp32" / "bf16" -> precision (EIP_ERR_ARG naming the value otherwise). */
eip_status eip_nn_precision_parse(const char *s, eip_nn_precision *out, eip_error *err);
const char *eip_nn_precision_name(eip_nn_precision p);
/* The ISA oneDNN dispatches to on this CPU (honours DNNL_MAX_CPU_ISA), e.g.
 * "avx512_core_bf16", "avx2". */
const char *eip_nn_cpu_isa(void);
/* 1 if BF16 is available (see eip_nn_ctx_set_precision). */
int eip_nn_bf16_supported(void);

typedef struct eip_nn_net eip_nn_net_t;

/* Zoo architecture: the five numbers + name that rebuild a zoo net. */
typedef struct eip_nn_arch {
    char zoo[32];  /* "smallcnn", "resnet18", "alexnet", "googlenet" */
    int64_t c_in, h, w; /* input sample shape */
    int64_t k;     /* output width */
    double width;  /* channel multiplier, ch(c) = max(1, floor(c*width + 0.5)) */
} eip_nn_arch;

typedef enum eip_nn_mode {
    EIP_NN_TRAIN = 0,     /* BN batch statistics (+ running-stat update), dropout on; backward allowed */
    EIP_NN_EVAL = 1,      /* BN running statistics, dropout off; inference only, lowest memory */
    EIP_NN_EVAL_GRAD = 2  /* EVAL semantics, but backward allowed (input / parameter gradients) */
} eip_nn_mode;

/* Builds a zoo net (parameters zeroed: call eip_nn_init_params or load). */
eip_status eip_nn_net_zoo(eip_nn_ctx *ctx, const eip_nn_arch *arch, eip_nn_net_t **out,
                          eip_error *err);

/* Builds a net from config text (format: docs/DESIGN.md "Training engine").
 * `source` names the text in error messages ("file.cfg:12: ..."). */
eip_status eip_nn_net_config(eip_nn_ctx *ctx, const char *text, const char *source,
                             eip_nn_net_t **out, eip_error *err);
eip_status eip_nn_net_config_file(eip_nn_ctx *ctx, const char *path, eip_nn_net_t **out,
                                  eip_error *err);
/* Values a config may leave as `auto` (docs/CONFIG.md): `c=auto h=auto
 * w=auto` on the input line take the data's image shape, `out=auto` on a
 * conv or linear line takes `out` — the output width the command needs
 * (classes for train; 3q or z + V*P for protect).  A field left 0 here
 * makes its `auto` an error naming the file and line. */
typedef struct eip_nn_config_auto {
    int64_t c, h, w, out;
} eip_nn_config_auto;

/* eip_nn_net_config_file with `auto` values filled in from *fill (NULL =
 * none allowed); the net's config text holds the filled-in numbers. */
eip_status eip_nn_net_config_file_auto(eip_nn_ctx *ctx, const char *path,
                                       const eip_nn_config_auto *fill, eip_nn_net_t **out,
                                       eip_error *err);

/* The net of a command or experiment: the zoo model `zoo` at `width`, or
 * the architecture config file `config` (exactly one of the two), for
 * c x h x w inputs and k outputs (a config's `auto` values are filled in
 * from them, docs/CONFIG.md; the result must match them, EIP_ERR_SHAPE
 * otherwise). */
eip_status eip_nn_net_build(eip_nn_ctx *ctx, const char *zoo, const char *config, double width,
                            int32_t c, int32_t h, int32_t w, int64_t k, eip_nn_net_t **net,
                            eip_error *err);

void eip_nn_net_free(eip_nn_net_t *net);

/* PyTorch-default-style init (kaiming_uniform(a=sqrt(5)) weights, uniform
 * bias, BN weight 1 bias 0, running mean 0 var 1), from `seed`; also reseeds
 * the dropout layers.  Deterministic, not bit-equal to torch's RNG. */
eip_status eip_nn_init_params(eip_nn_net_t *net, uint64_t seed, eip_error *err);

/* Restarts every dropout layer's mask stream from `seed`. */
void eip_nn_set_dropout_seed(eip_nn_net_t *net, uint64_t seed);

/* Forward pass on x [N, C, H, W] -> out [N, K] (both plain row-major).
 * Primitives are planned once per (N, mode) and cached. */
eip_status eip_nn_forward(eip_nn_net_t *net,
                          const float *x, /* [N, C, H, W] */
                          int64_t n, eip_nn_mode mode,
                          float *out, /* [N, K] */
                          eip_error *err);

/* Backward pass for the last TRAIN / EVAL_GRAD forward: dout [N, K] is
 * d(loss)/d(out).  Parameter gradients are ADDED to the grad block; dx, if
 * non-NULL, receives d(loss)/d(x) [N, C, H, W].  One backward per forward. */
eip_status eip_nn_backward(eip_nn_net_t *net,
                           const float *dout, /* [N, K] */
                           float *dx,         /* [N, C, H, W] or NULL */
                           eip_error *err);

void eip_nn_zero_grad(eip_nn_net_t *net);

/* Parameters changed outside the engine: re-read them on the next forward. */
void eip_nn_mark_dirty(eip_nn_net_t *net);

/* Flat blocks (pointer valid for the net's lifetime; *count may be NULL). */
float *eip_nn_params(eip_nn_net_t *net, int64_t *count);   /* [n_params] */
float *eip_nn_grads(eip_nn_net_t *net, int64_t *count);    /* [n_params] */
float *eip_nn_buffers(eip_nn_net_t *net, int64_t *count);  /* [n_buffers] */
int64_t *eip_nn_counters(eip_nn_net_t *net, int64_t *count); /* [n_bn] num_batches_tracked */
int64_t eip_nn_param_count(const eip_nn_net_t *net);
/* Forward FLOPs per sample: 2 x multiply-adds of the conv and linear layers
 * (the convention of docs/BENCHMARKS.md; training counts ~3x this). */
int64_t eip_nn_forward_flops(const eip_nn_net_t *net);
/* Batch norms that EVAL forwards of batch size n fold into the convolution
 * feeding them (fp32 on CPUs without AVX-512, where it is faster: W s and
 * (b - mean) s + beta, s = gamma / sqrt(var + eps), ReLU as a post-op;
 * outputs equal the unfolded ones to float rounding); 0 where nothing
 * folds, -1 if no EVAL forward of that size has been planned. */
int eip_nn_eval_folds(const eip_nn_net_t *net, int64_t n);

/* Flush denormal floats to zero (FTZ + DAZ) on the calling thread and on
 * every thread of the OpenMP pool the engine computes on, until _end; returns
 * the calling thread's previous control word, which _end puts back on all of
 * them.  Denormals late in training cost microcode assists on Intel CPUs
 * (a wide EncryIP head trained 4x slower by epoch 3); eip_train_run and the
 * prediction loops hold this mode while they compute.  x86 only (elsewhere
 * both do nothing). */
unsigned eip_nn_denormals_flush_begin(void);
void eip_nn_denormals_flush_end(unsigned saved);

/* Per-tensor views in PyTorch state_dict order. */
typedef enum eip_nn_tensor_kind {
    EIP_NN_TENSOR_PARAM = 0,  /* offset into params / grads */
    EIP_NN_TENSOR_BUFFER = 1, /* offset into buffers (float) */
    EIP_NN_TENSOR_COUNTER = 2 /* offset into counters (int64, shape []) */
} eip_nn_tensor_kind;

typedef struct eip_nn_tensor {
    const char *name;    /* "layer1.0.conv1.weight" */
    eip_nn_tensor_kind kind;
    int ndim;            /* 0..4 */
    int64_t shape[4];
    int64_t offset;      /* element offset into the block of `kind` */
    int64_t count;       /* elements */
} eip_nn_tensor;

int64_t eip_nn_tensor_count(const eip_nn_net_t *net);
const eip_nn_tensor *eip_nn_tensor_at(const eip_nn_net_t *net, int64_t i);
const eip_nn_tensor *eip_nn_tensor_find(const eip_nn_net_t *net, const char *name);

/* Shapes: input sample [C, H, W], per-sample output size K. */
void eip_nn_input_shape(const eip_nn_net_t *net, int64_t *c, int64_t *h, int64_t *w);
int64_t eip_nn_output_size(const eip_nn_net_t *net);
/* The context the net was built with (engine, stream, threads). */
eip_nn_ctx *eip_nn_net_ctx(const eip_nn_net_t *net);
/* The zoo arch this net was built from, or NULL for a config net. */
const eip_nn_arch *eip_nn_net_arch(const eip_nn_net_t *net);
/* The config text a config net was built from, or NULL for a zoo net. */
const char *eip_nn_net_config_text(const eip_nn_net_t *net);

/* Row softmax on plain row-major float arrays with oneDNN's vectorised,
 * threaded kernels (the loss of a wide head: EncryIP's paper group at
 * P = 1000 has 3 blocks of q = 1009 per image).  Shapes: x, p, logp
 * [rows, width]; rows may differ between calls (at most max_rows). */
typedef struct eip_nn_softmax eip_nn_softmax_t;
eip_status eip_nn_softmax_init(eip_nn_softmax_t **out, eip_nn_ctx *ctx, int64_t max_rows,
                               int64_t width, eip_error *err);
/* p = softmax(x) and logp = log_softmax(x) per row; either may be NULL. */
eip_status eip_nn_softmax_run(eip_nn_softmax_t *s, const float *x, int64_t rows, float *p,
                              float *logp, eip_error *err);
void eip_nn_softmax_free(eip_nn_softmax_t *s);

/* Human-readable summary (one line per node, with shapes) into buf. */
void eip_nn_net_describe(const eip_nn_net_t *net, char *buf, size_t cap);

/* Checkpoints (safetensors via the ckpt module): params + buffers + counters
 * under their PyTorch names, architecture in the metadata, so eip_nn_load
 * rebuilds the net from the file alone. */
eip_status eip_nn_save(const eip_nn_net_t *net, const char *path, eip_error *err);
/* Same, with the caller's string metadata (keys not starting "encryip.nn.")
 * next to the architecture; read it back with the ckpt reader. */
struct eip_ckpt_meta;
eip_status eip_nn_save_meta(const eip_nn_net_t *net, const char *path,
                            const struct eip_ckpt_meta *extra, size_t n_extra, eip_error *err);
/* ---- model metadata (src/nn/meta.c) --------------------------------------
 * The keys written beside the weights by the commands, the experiment
 * drivers and protect, named once here.  norm.*: the training set's
 * per-channel mean and std (one %.9g value per input channel, comma
 * separated), which every consumer of the model normalises with;
 * train.*: how the model was trained (informational). */
#define EIP_NN_META_NORM_MEAN "norm.mean"
#define EIP_NN_META_NORM_STD "norm.std"
#define EIP_NN_META_TRAIN_DATASET "train.dataset"
#define EIP_NN_META_TRAIN_ARCH "train.arch"
#define EIP_NN_META_TRAIN_EPOCHS "train.epochs"
#define EIP_NN_META_TRAIN_BATCH "train.batch"
#define EIP_NN_META_TRAIN_OPTIM "train.optim"
#define EIP_NN_META_TRAIN_LR "train.lr"
#define EIP_NN_META_TRAIN_WD "train.wd"
#define EIP_NN_META_TRAIN_SCHEDULE "train.schedule"
#define EIP_NN_META_TRAIN_WARMUP "train.warmup"
#define EIP_NN_META_TRAIN_SEED "train.seed"
#define EIP_NN_META_TRAIN_TEST_ACC "train.test_acc"
#define EIP_NN_META_NORM_BYTES 256

/* mean/std [c] as the norm.mean / norm.std values (a float survives the
 * round trip through eip_nn_meta_norm_parse). */
void eip_nn_meta_norm_format(const float *mean, const float *std, int32_t c,
                             char mean_out[EIP_NN_META_NORM_BYTES],
                             char std_out[EIP_NN_META_NORM_BYTES]);
/* The inverse: exactly c values each, every std > 0; a missing value
 * (NULL) or a bad one is EIP_ERR_FORMAT naming `what` (the file). */
eip_status eip_nn_meta_norm_parse(const char *what, const char *mean_s, const char *std_s, int32_t c,
                                  float *mean, float *std, eip_error *err);
/* The normalisation statistics of a model file (c input channels). */
eip_status eip_nn_meta_norm_get(const char *path, int32_t c, float *mean, float *std, eip_error *err);
/* One metadata value of a model file into out[cap] (EIP_ERR_FORMAT naming
 * the file and the key when it is absent or too long). */
eip_status eip_nn_meta_get(const char *path, const char *key, char *out, size_t cap, eip_error *err);
/* eip_nn_save_meta with norm.mean / norm.std of mean/std [C] first, then
 * extra[n_extra] (at most 30). */
eip_status eip_nn_save_norm(const eip_nn_net_t *net, const char *path, const float *mean,
                            const float *std, const struct eip_ckpt_meta *extra, size_t n_extra,
                            eip_error *err);

eip_status eip_nn_load(eip_nn_ctx *ctx, const char *path, eip_nn_net_t **out, eip_error *err);
/* Loads tensors into an existing net (names and shapes must match exactly). */
eip_status eip_nn_load_into(eip_nn_net_t *net, const char *path, eip_error *err);

#ifdef __cplusplus
}
#endif
#endif
