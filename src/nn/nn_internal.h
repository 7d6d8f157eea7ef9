/* Private nn declarations: the layer vtable, the net graph, oneDNN helpers.
 *
 * Shape legend (all nn files): N batch, C channels, H/W spatial size,
 * F flat features (C*H*W), K output width, O/I conv output/input channels.
 *
 * Design: a node = (vtable, layer pointer, input node ids).  Layers keep
 * their static configuration in a small struct; everything that depends on
 * the batch size and mode (primitives, chosen memory descriptors) lives in a
 * per-plan "state" created by vt->plan, so several plans (e.g. train batch
 * 128 and eval batch 500) can stay cached side by side.  Activations, diffs
 * and workspaces live in one arena owned by the net; the plan decides every
 * tensor's offset from its lifetime (exec.c). */
#ifndef EIP_NN_INTERNAL_H
#define EIP_NN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <oneapi/dnnl/dnnl.h>

#include "encryip/nn.h"

#define EIP_NN_MAX_IN 8      /* inputs of one node (concat) */
#define EIP_NN_NAME_MAX 96   /* node / parameter-prefix name */
#define EIP_NN_ALIGN 64      /* arena alignment, bytes */

typedef enum eip_nn_pkind {
    EIP_NN_PK_TRAIN = 0,     /* batch stats, dropout, keep everything for backward */
    EIP_NN_PK_EVAL_GRAD = 1, /* global stats, no dropout, keep for backward */
    EIP_NN_PK_INFER = 2      /* global stats, forward_inference, free early */
} eip_nn_pkind;

/* Per-sample shape of a node output: ndim 3 = [C, H, W], ndim 1 = [F]. */
typedef struct eip_nn_shape {
    int ndim;
    int64_t c, h, w; /* for ndim 1: c = F, h = w = 1 */
} eip_nn_shape;

static inline int64_t eip_nn_shape_numel(const eip_nn_shape *s) { return s->c * s->h * s->w; }

/* Reordered weights shared by every plan of a net: one buffer per (master
 * offset in params, primitive layout), so the TRAIN plan, a last-partial-batch
 * plan and the EVAL plan do not each hold (and reload) their own copy.
 * Reference counted by the plans' eip_nn_wts; listed in the net. */
typedef struct eip_nn_wbuf {
    int64_t off;             /* element offset of the plain master copy in params */
    dnnl_memory_desc_t md;   /* primitive layout */
    void *buf;               /* [md bytes] */
    int refs;
    int loaded;
    uint64_t version, pass;  /* param_version / forward pass of the last load */
    struct eip_nn_wbuf *next;
} eip_nn_wbuf;

/* Inference plans on CPUs without AVX-512 fold a batch norm (+ its ReLU)
 * into the convolution that feeds it (exec.c picks the pairs: fp32, the
 * conv's only consumer is the BN; with AVX-512 the conv's bias + ReLU
 * epilogue costs what the BN pass saves, so nothing folds there, and
 * oneDNN 2.6 has Winograd only there).  The conv then computes
 * y = relu?(conv(x, W s) + (b - mean) s + beta) with s = gamma /
 * sqrt(var + eps) per output channel, and the BN node is an alias of the
 * conv's output: one pass over the activations less. */
typedef struct eip_nn_fold {
    int64_t g_off, b_off; /* params: gamma, beta [C] */
    int64_t m_off, v_off; /* bufs: running mean, running variance [C] */
    float eps;
    int relu;
} eip_nn_fold;

/* What the net tells a layer when planning. */
typedef struct eip_nn_plan_in {
    dnnl_engine_t eng;
    int64_t n;          /* batch size */
    eip_nn_pkind kind;
    int n_in;
    const dnnl_memory_desc_t *in_md[EIP_NN_MAX_IN]; /* producers' output layouts */
    const eip_nn_shape *in_shape[EIP_NN_MAX_IN];
    const eip_nn_shape *out_shape;
    const char *name;   /* node name, for messages */
    eip_nn_wbuf **wcache; /* the net's shared weight buffers */
    dnnl_data_type_t dt;  /* arithmetic of conv / linear (f32, or bf16 = mixed precision);
                             other layers follow their producer's data type */
    const eip_nn_fold *fold; /* conv: the BN to fold in (NULL: none) */
    int folded;              /* BN: folded into its producer; plan an alias */
} eip_nn_plan_in;

/* What a layer's plan tells the net. */
typedef struct eip_nn_plan_out {
    dnnl_memory_desc_t out_md; /* layout of the output and of its diff */
    size_t ws_bytes;           /* arena workspace, live from forward to own backward */
    size_t scratch_bytes;      /* max oneDNN scratchpad of the layer's primitives */
    size_t wdiff_bytes;        /* shared diff-weights scratch needed by backward */
} eip_nn_plan_out;

/* What the net hands a layer when executing. */
typedef struct eip_nn_exec {
    dnnl_stream_t stream;
    eip_nn_pkind kind;
    int64_t n;
    dnnl_memory_t src[EIP_NN_MAX_IN];  /* inputs' activations (producers' layouts) */
    dnnl_memory_t dst;                 /* this node's output (out_md) */
    dnnl_memory_t ddst;                /* backward: diff of the output (out_md) */
    dnnl_memory_t dsrc[EIP_NN_MAX_IN]; /* backward: diff targets (producers' layouts), NULL = skip */
    unsigned char *ws;                 /* ws_bytes of arena */
    void *scratch;                     /* shared scratchpad (>= scratch_bytes) */
    unsigned char *wdiff;              /* shared diff-weights scratch (>= wdiff_bytes) */
    float *params;                     /* [n_params] */
    float *grads;                      /* [n_params] */
    float *bufs;                       /* [n_buffers] */
    int64_t *counters;                 /* [n_counters] */
    uint64_t param_version;            /* net->param_version at the forward */
    uint64_t pass;                     /* forward pass id (backward: its forward's) */
    int reread;                        /* TRAIN: reload weights once per pass regardless */
    const char *name;
} eip_nn_exec;

typedef struct eip_nn_layer_vt {
    const char *kind;
    eip_status (*plan)(void *layer, const eip_nn_plan_in *in, void **state,
                       eip_nn_plan_out *out, eip_error *err);
    eip_status (*forward)(void *layer, void *state, const eip_nn_exec *ex, eip_error *err);
    eip_status (*backward)(void *layer, void *state, const eip_nn_exec *ex, eip_error *err);
    void (*state_free)(void *state);
    /* Parameter init (NULL: no parameters).  rng = splitmix64 state. */
    void (*init)(void *layer, float *params, float *bufs, int64_t *counters, uint64_t *rng);
    void (*reseed)(void *layer, uint64_t seed); /* dropout only, else NULL */
    void (*free)(void *layer);
    int can_skip_dsrc; /* backward accepts dsrc[j] == NULL (input gradient not wanted) */
    /* Multiply-adds per sample for an output of shape `out` (NULL: not
     * counted — only conv and linear are, as in docs/BENCHMARKS.md). */
    int64_t (*macs)(const void *layer, const eip_nn_shape *out);
    /* forward only writes dst, backward reads ddst and never dst: as the
     * net's last node, dst and ddst may be the caller's plain arrays (no
     * output copy each way; exec.c) */
    int out_alias;
    /* BN: describes the fold (eip_nn_fold) and returns 1; NULL elsewhere */
    int (*fold_info)(const void *layer, eip_nn_fold *f);
    int fold_into; /* conv: accepts plan_in.fold */
} eip_nn_layer_vt;

typedef struct eip_nn_node {
    const eip_nn_layer_vt *vt; /* NULL for the input node */
    void *layer;
    char name[EIP_NN_NAME_MAX];
    int n_in;
    int in[EIP_NN_MAX_IN];
    eip_nn_shape shape;        /* per-sample output shape */
} eip_nn_node;

typedef struct eip_nn_tensor_rec {
    eip_nn_tensor t;           /* t.name points at name_buf */
    char name_buf[EIP_NN_NAME_MAX + 32];
} eip_nn_tensor_rec;

typedef struct eip_nn_plan eip_nn_plan; /* exec.c */

#define EIP_NN_PLAN_CACHE 4

struct eip_nn_net {
    eip_nn_ctx *ctx;
    eip_nn_node *nodes;  int n_nodes, cap_nodes;
    eip_nn_tensor_rec *tensors; int64_t n_tensors, cap_tensors;
    int64_t n_params, n_bufs, n_counters;
    float *params;   /* [n_params] */
    float *grads;    /* [n_params] */
    float *bufs;     /* [n_bufs] */
    int64_t *counters; /* [n_counters] */
    int finalized;
    uint64_t param_version; /* bumped by mark_dirty / init / load / TRAIN forwards (BN running stats) */
    eip_nn_arch arch; int has_arch;
    char *config_text;
    /* execution */
    eip_nn_plan *plans[EIP_NN_PLAN_CACHE];
    uint64_t plan_clock;
    unsigned char *arena; size_t arena_bytes;
    void *scratch; size_t scratch_bytes;
    unsigned char *wdiff; size_t wdiff_bytes;
    eip_nn_plan *last_fwd; /* plan of the last forward that allows backward, else NULL */
    eip_nn_wbuf *wbufs;    /* shared reordered weights (plans hold references) */
    uint64_t pass;         /* forward counter */
};

/* ---- graph building (net.c) ---- */
eip_status eip_nn_net_new(eip_nn_ctx *ctx, int64_t c, int64_t h, int64_t w,
                          eip_nn_net_t **out, eip_error *err);
/* Adds a node; takes ownership of `layer` (freed with vt->free even on error). */
eip_status eip_nn_net_add(eip_nn_net_t *net, const eip_nn_layer_vt *vt, void *layer,
                          const char *name, const int *in, int n_in,
                          const eip_nn_shape *shape, int *id, eip_error *err);
/* Registers a tensor; returns its element offset in the block of `kind`. */
eip_status eip_nn_net_tensor(eip_nn_net_t *net, const char *prefix, const char *suffix,
                             eip_nn_tensor_kind kind, int ndim, const int64_t *shape,
                             int64_t *offset, eip_error *err);
/* Validates the graph and allocates the blocks; no nodes may be added after. */
eip_status eip_nn_net_finalize(eip_nn_net_t *net, eip_error *err);
const eip_nn_shape *eip_nn_node_shape(const eip_nn_net_t *net, int id);
/* name, or the automatic name the next node of `kind` gets ("relu#7"). */
const char *eip_nn_label(const eip_nn_net_t *net, const char *kind, const char *name, char *buf,
                         size_t cap);
int eip_nn_last_node(const eip_nn_net_t *net);

/* ---- layer constructors (one file each) ---- */
eip_status eip_nn_conv_add(eip_nn_net_t *net, const char *name, int in, int64_t out_c,
                           int64_t k, int64_t stride, int64_t pad, int bias, int *id,
                           eip_error *err);
eip_status eip_nn_bn_add(eip_nn_net_t *net, const char *name, int in, int relu, int *id,
                         eip_error *err);
eip_status eip_nn_relu_add(eip_nn_net_t *net, const char *name, int in, int *id,
                           eip_error *err);
eip_status eip_nn_sum_add(eip_nn_net_t *net, const char *name, int a, int b, int relu,
                          int *id, eip_error *err);
typedef enum eip_nn_pool_alg { EIP_NN_POOL_MAX = 0, EIP_NN_POOL_AVG = 1 } eip_nn_pool_alg;
eip_status eip_nn_pool_add(eip_nn_net_t *net, const char *name, int in, eip_nn_pool_alg alg,
                           int64_t k, int64_t stride, int64_t pad, int *id, eip_error *err);
eip_status eip_nn_gap_add(eip_nn_net_t *net, const char *name, int in, int *id,
                          eip_error *err);
eip_status eip_nn_linear_add(eip_nn_net_t *net, const char *name, int in, int64_t out_f,
                             int bias, int *id, eip_error *err);
eip_status eip_nn_flatten_add(eip_nn_net_t *net, const char *name, int in, int *id,
                              eip_error *err);
eip_status eip_nn_concat_add(eip_nn_net_t *net, const char *name, const int *in, int n_in,
                             int *id, eip_error *err);
eip_status eip_nn_dropout_add(eip_nn_net_t *net, const char *name, int in, double p,
                              int *id, eip_error *err);

/* ---- zoo (zoo.c) ---- */
int64_t eip_nn_ch(int64_t c, double width);

/* ---- oneDNN helpers (dnnl_util.c) ---- */

/* A primitive with its descriptor and a scratchpad memory bound at run time. */
typedef struct eip_nn_prim {
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t p;
    dnnl_memory_t scratch; /* user scratchpad (NULL if none needed) */
    size_t copy_bytes;     /* reorder between identical dense layouts: run as a parallel
                              memcpy (oneDNN's simple:any reorder is several x slower) */
} eip_nn_prim;

/* Turns a oneDNN status into EIP_ERR_BACKEND naming layer and primitive. */
eip_status eip_nn_dnnl_check(dnnl_status_t st, const char *layer, const char *what,
                             eip_error *err);
#define EIP_NN_TRY(call, layer, what)                                              \
    do {                                                                           \
        eip_status s_ = eip_nn_dnnl_check((call), (layer), (what), err);           \
        if (s_ != EIP_OK)                                                          \
            return s_;                                                             \
    } while (0)
#define EIP_NN_OK(call)                                                            \
    do {                                                                           \
        eip_status s_ = (call);                                                    \
        if (s_ != EIP_OK)                                                          \
            return s_;                                                             \
    } while (0)

/* Creates pd + primitive for an op desc (attr: user scratchpad mode plus
 * optional post-ops), max-accumulates its scratchpad size into *scratch. */
eip_status eip_nn_prim_make(eip_nn_prim *pr, const_dnnl_op_desc_t op, dnnl_engine_t eng,
                            const_dnnl_primitive_desc_t hint, const_dnnl_post_ops_t post_ops,
                            size_t *scratch, const char *layer, const char *what,
                            eip_error *err);
/* Only the primitive descriptor (user scratchpad attr + optional post-ops),
 * to inspect the implementation oneDNN picked before building the primitive;
 * finish with eip_nn_prim_finish or dnnl_primitive_desc_destroy. */
eip_status eip_nn_pd_make(dnnl_primitive_desc_t *pd, const_dnnl_op_desc_t op, dnnl_engine_t eng,
                          const_dnnl_primitive_desc_t hint, const_dnnl_post_ops_t post_ops,
                          const char *layer, const char *what, eip_error *err);
/* The implementation oneDNN picked for pd ("jit:avx512_core", ...; "" if unknown). */
const char *eip_nn_pd_impl(const_dnnl_primitive_desc_t pd);
/* 1 if oneDNN picked a reference implementation ("ref:any": plain C loops,
 * 10-100x slower than the jit / brgemm kernels) for pd. */
int eip_nn_pd_is_ref(const_dnnl_primitive_desc_t pd);
/* attr = user scratchpad mode (+ post-ops); caller destroys. */
eip_status eip_nn_attr_new(dnnl_primitive_attr_t *attr, const_dnnl_post_ops_t po,
                           const char *layer, const char *what, eip_error *err);
/* pr->pd already created: makes the primitive and its scratchpad memory. */
eip_status eip_nn_prim_finish(eip_nn_prim *pr, dnnl_engine_t eng, size_t *scratch,
                              const char *layer, const char *what, eip_error *err);
/* Reorder src_md -> dst_md; accumulate != 0 adds into dst (sum post-op). */
eip_status eip_nn_reorder_make(eip_nn_prim *pr, const dnnl_memory_desc_t *src_md,
                               const dnnl_memory_desc_t *dst_md, dnnl_engine_t eng,
                               int accumulate, size_t *scratch, const char *layer,
                               const char *what, eip_error *err);
/* Executes with args + scratchpad; the stream is waited on. */
eip_status eip_nn_prim_run(eip_nn_prim *pr, const eip_nn_exec *ex, dnnl_exec_arg_t *args,
                           int nargs, const char *what, eip_error *err);
void eip_nn_prim_free(eip_nn_prim *pr);
const dnnl_memory_desc_t *eip_nn_prim_md(const eip_nn_prim *pr, dnnl_query_t q, int idx);

/* Memory object with no buffer yet; eip_nn_mem_bind points it at data. */
eip_status eip_nn_mem_new(dnnl_memory_t *m, const dnnl_memory_desc_t *md, dnnl_engine_t eng,
                          const char *layer, eip_error *err);
eip_status eip_nn_mem_bind(dnnl_memory_t m, void *ptr, const char *layer, eip_error *err);
void eip_nn_mem_free(dnnl_memory_t *m);
void *eip_nn_mem_ptr(dnnl_memory_t m);
size_t eip_nn_md_bytes(const dnnl_memory_desc_t *md);

/* Plain descs: [N, C, H, W] abcd, [N, F] ab, [X] a, [O, I, H, W] oihw. */
eip_status eip_nn_md_plain(dnnl_memory_desc_t *md, int ndims, const int64_t *dims,
                           dnnl_data_type_t dt, eip_error *err);
/* Plain desc for a node output of `shape` with batch n. */
eip_status eip_nn_md_for_shape(dnnl_memory_desc_t *md, int64_t n, const eip_nn_shape *shape,
                               dnnl_data_type_t dt, eip_error *err);
/* Desc with the same dims as `shape`, format `any`. */
eip_status eip_nn_md_any(dnnl_memory_desc_t *md, int64_t n, const eip_nn_shape *shape,
                         dnnl_data_type_t dt, eip_error *err);

/* y += x over `count` elements of type dt (f32 or bf16; OpenMP). */
void eip_nn_axpy1(void *y, const void *x, int64_t count, dnnl_data_type_t dt);
/* bf16 <-> f32 (bf16 = the high half of an f32; rounding to nearest even). */
static inline float eip_nn_bf16_to_f32(uint16_t v)
{
    union { uint32_t u; float f; } c = {(uint32_t)v << 16};
    return c.f;
}
static inline uint16_t eip_nn_f32_to_bf16(float f)
{
    union { float f; uint32_t u; } c = {f};
    if ((c.u & 0x7f800000u) == 0x7f800000u && (c.u & 0x7fffffu))
        return (uint16_t)((c.u >> 16) | 0x40u); /* NaN stays a (quiet) NaN */
    return (uint16_t)((c.u + 0x7fffu + ((c.u >> 16) & 1u)) >> 16);
}
/* 1 if oneDNN's effective ISA includes isa_mask (a dnnl_cpu_isa_t). */
int eip_nn_isa_has(int isa_mask);
/* Preferred activation layout for this CPU and arithmetic dt: nChw16c
 * (aBcd16b) with AVX-512, nChw8c (aBcd8b) otherwise; NHWC (acdb) for bf16
 * where oneDNN has AMX (docs/DESIGN.md "Layouts"). */
dnnl_format_tag_t eip_nn_act_block(dnnl_data_type_t dt);

/* Weight helper for conv / linear: the master copy (plain, in the param
 * block) is reordered into the primitive's layout when stale (a shared
 * eip_nn_wbuf of the net), and the primitive's diff weights are reordered
 * back with accumulation.  Stale = never loaded, parameters marked dirty
 * since, or (TRAIN) not yet loaded in this forward pass. */
typedef struct eip_nn_wts {
    dnnl_memory_t user;     /* plain view into params (handle rebound per run) */
    dnnl_memory_t prim;     /* primitive layout (shared buffer) or == user */
    eip_nn_wbuf *wb;        /* shared buffer for prim, NULL if the layouts agree */
    eip_nn_wbuf **cache;    /* the list wb lives in */
    eip_nn_prim to_prim;    /* user -> prim reorder */
    int same;
} eip_nn_wts;
/* off = element offset of the master weights in params (the sharing key). */
eip_status eip_nn_wts_make(eip_nn_wts *w, const dnnl_memory_desc_t *user_md,
                           const dnnl_memory_desc_t *prim_md, eip_nn_wbuf **cache, int64_t off,
                           dnnl_engine_t eng, size_t *scratch, const char *layer, eip_error *err);
/* Rebinds the user view to ptr and refreshes prim if stale. */
eip_status eip_nn_wts_sync(eip_nn_wts *w, float *ptr, const eip_nn_exec *ex, eip_error *err);
void eip_nn_wts_free(eip_nn_wts *w);

typedef struct eip_nn_wgrad {
    dnnl_memory_t prim;     /* diff weights in the primitive's layout (in wdiff scratch) */
    dnnl_memory_t user;     /* plain view into grads */
    eip_nn_prim acc;        /* prim -> user, accumulating */
    size_t bytes;
} eip_nn_wgrad;
eip_status eip_nn_wgrad_make(eip_nn_wgrad *g, const dnnl_memory_desc_t *prim_md,
                             const dnnl_memory_desc_t *user_md, dnnl_engine_t eng,
                             size_t *scratch, const char *layer, eip_error *err);
void eip_nn_wgrad_free(eip_nn_wgrad *g);


/* Input adapter: the producer's layout vs. the layouts a primitive wants
 * for its src (forward) and diff_src (backward).  When they differ, forward
 * reorders into a ws buffer (kept for backward) and backward computes the
 * diff in the primitive's layout, in ws, and reorders it back. */
typedef struct eip_nn_adapt {
    int need_f, need_b;
    dnnl_memory_t mem;      /* src in the wanted layout, ws[0 .. bytes_f) */
    dnnl_memory_t dmem;     /* diff_src in the wanted layout, ws[bytes_f .. +bytes_b) */
    eip_nn_prim fwd, bwd;
    size_t bytes_f, bytes_b;
} eip_nn_adapt;
/* want_diff NULL: no backward.  ws bytes needed: a->bytes_f + a->bytes_b. */
eip_status eip_nn_adapt_make(eip_nn_adapt *a, const dnnl_memory_desc_t *have,
                             const dnnl_memory_desc_t *want,
                             const dnnl_memory_desc_t *want_diff, dnnl_engine_t eng,
                             size_t *scratch, const char *layer, eip_error *err);
/* Forward: returns the memory holding src in the wanted layout. */
eip_status eip_nn_adapt_src(eip_nn_adapt *a, const eip_nn_exec *ex, dnnl_memory_t have,
                            unsigned char *ws, dnnl_memory_t *src, eip_error *err);
/* Backward: the memory the primitive should write diff_src to (NULL if dsrc is NULL). */
eip_status eip_nn_adapt_dsrc(eip_nn_adapt *a, const eip_nn_exec *ex, dnnl_memory_t dsrc,
                             unsigned char *ws, dnnl_memory_t *out, eip_error *err);
/* Backward, after the primitive: reorders the diff back into dsrc if needed. */
eip_status eip_nn_adapt_finish(eip_nn_adapt *a, const eip_nn_exec *ex, dnnl_memory_t dsrc,
                               eip_error *err);
void eip_nn_adapt_free(eip_nn_adapt *a);

/* splitmix64 step and a uniform float in [0, 1). */
static inline uint64_t eip_nn_splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline double eip_nn_uniform(uint64_t *s)
{
    return (double)(eip_nn_splitmix64(s) >> 11) * (1.0 / 9007199254740992.0);
}
/* Fills dst[count] with U(-bound, bound). */
void eip_nn_fill_uniform(float *dst, int64_t count, double bound, uint64_t *rng);

/* Execution state of a weighted layer (conv, linear): the three primitives,
 * the input adapter, forward/backward-data weights, the weight-gradient
 * accumulator and the bias views.  Shared because both layers hold exactly
 * this; freed with eip_nn_wstate_free (accepts NULL). */
typedef struct eip_nn_wstate {
    eip_nn_prim fwd, bwd_d, bwd_w;
    eip_nn_adapt in;       /* producer layout <-> primitive src layout */
    eip_nn_wts w_fwd;      /* weights for forward */
    eip_nn_wts w_bwd;      /* weights for backward data (layout may differ) */
    int bwd_w_same;        /* backward data uses w_fwd */
    eip_nn_wgrad gw;
    dnnl_memory_t bias;    /* [O] view into params */
    dnnl_memory_t dbias;   /* [O] in wdiff scratch */
    int train;
} eip_nn_wstate;

/* The backward of a layer with weights (conv, linear): diff weights (+ bias)
 * into the wdiff scratch, accumulated into grads at w_off (b_off < 0: no
 * bias; n_out: its length), then backward data through the input adapter
 * (skipped without an input gradient).  what names the primitive in
 * messages ("convolution"). */
eip_status eip_nn_wstate_backward(eip_nn_wstate *s, const eip_nn_exec *ex, int64_t w_off,
                                  int64_t b_off, int64_t n_out, const char *what, eip_error *err);
void eip_nn_wstate_free(void *state);
/* Releases what s holds, not s itself (a wstate inside another state). */
void eip_nn_wstate_clear(eip_nn_wstate *s);

/* Rounds a byte count up to the arena alignment. */
static inline size_t eip_nn_align(size_t b) { return (b + EIP_NN_ALIGN - 1) / EIP_NN_ALIGN * EIP_NN_ALIGN; }

#endif
