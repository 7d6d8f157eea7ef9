/* encryip train module — losses, optimisers, learning-rate schedules (and,
 * later, the training loop).
 *
 * Everything here works on plain contiguous float arrays: the nn engine hands
 * the logits as a row-major [N, K] array and takes back dlogits [N, K];
 * parameters, gradients and optimiser moments are flat float blocks of
 * n_params elements laid out identically, so updates are flat loops.
 *
 * Numerics follow PyTorch 1.13 (torch.nn.functional.cross_entropy,
 * torch.optim.SGD / AdamW, torch.optim.lr_scheduler) and are checked against
 * reference files written by tools/gen_train_refs.py (docs/TESTING.md). */
#ifndef ENCRYIP_TRAIN_H
#define ENCRYIP_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "encryip/data.h"
#include "encryip/error.h"
#include "encryip/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * Losses (src/train/loss.c)
 *
 * All losses are the mean over the batch of N rows.  dlogits may be NULL
 * (loss only); when given it receives d(loss)/d(logits), already divided by
 * N.  Log-softmax uses the log-sum-exp shift, accumulated in double, so large
 * logits neither overflow nor lose the result.
 * ====================================================================== */

/* Softmax cross-entropy with hard labels (torch.nn.functional.cross_entropy,
 * reduction "mean"): loss = -mean_n log softmax(x[n])[label[n]].
 * Every label must be in [0, k) (EIP_ERR_RANGE otherwise). */
eip_status eip_train_loss_ce_hard(const float *logits,   /* [N, K] */
                                  const int32_t *labels, /* [N] */
                                  int64_t n, int64_t k,
                                  float *loss, float *dlogits /* [N, K] or NULL */,
                                  eip_error *err);

/* Soft-label cross-entropy over the whole output:
 * loss = -mean_n sum_k t[n,k] log softmax(x[n])_k.  Targets need not sum to
 * one (the gradient is softmax * sum_k t - t, as in PyTorch). */
eip_status eip_train_loss_ce_soft(const float *logits,  /* [N, K] */
                                  const float *targets, /* [N, K] */
                                  int64_t n, int64_t k,
                                  float *loss, float *dlogits /* [N, K] or NULL */,
                                  eip_error *err);

/* Block soft-label cross-entropy: each row is split into `blocks` equal
 * blocks of k / blocks entries (k must be divisible, EIP_ERR_SHAPE
 * otherwise), one softmax per block, block losses summed, mean over the
 * batch.  This is the loss EncryIP's 3q-dimensional confused labels train
 * with: [y] = {T1 T2 T3}, three concatenated one-hot blocks (EncryIP sec.
 * 4.2 eq. (2), sec. 4.3 "soft-label loss"). */
eip_status eip_train_loss_ce_block(const float *logits,  /* [N, K] = [N, blocks * Q] */
                                   const float *targets, /* [N, K] */
                                   int64_t n, int64_t k, int64_t blocks,
                                   float *loss, float *dlogits /* [N, K] or NULL */,
                                   eip_error *err);
/* The same loss with the targets given as rows of a table: row i is
 * table[ids[i]] (EncryIP's confused label of each label id), so a batch
 * needs no [N, K] target copy.  ids outside [0, n_ids) -> EIP_ERR_RANGE. */
eip_status eip_train_loss_ce_block_ids(const float *logits, /* [N, K] */
                                       const float *table,  /* [n_ids, K] */
                                       int64_t n_ids, const int32_t *ids, /* [N] */
                                       int64_t n, int64_t k, int64_t blocks, float *loss,
                                       float *dlogits /* [N, K] or NULL */, eip_error *err);
/* The same loss and gradient given each block's softmax p, computed
 * beforehand (eip_nn_softmax_run on the logits viewed as [N * blocks, Q];
 * float, vectorised): loss = -sum t log p with one log per block (see
 * loss.c), gradient (p * sum t - t) / N, no exp here.  The trainer uses it
 * for wide blocks. */
eip_status eip_train_loss_ce_block_ids_probs(const float *logits, /* [N, K] */
                                             const float *p,      /* [N, K] */
                                             const float *table,  /* [n_ids, K] */
                                             int64_t n_ids, const int32_t *ids, /* [N] */
                                             int64_t n, int64_t k, int64_t blocks, float *loss,
                                             float *dlogits /* [N, K] or NULL */, eip_error *err);

/* Hard-label cross-entropy from the softmax p of each row (computed
 * beforehand, eip_nn_softmax_run; float, vectorised): loss -log p_y with
 * one log per row, gradient (p - onehot(y)) / N.  The trainer uses it for
 * wide outputs (ristretto255: K = z + one class per verification instance). */
eip_status eip_train_loss_ce_hard_probs(const float *logits, /* [N, K] */
                                        const float *p,      /* [N, K] */
                                        const int32_t *labels, /* [N] */
                                        int64_t n, int64_t k, float *loss,
                                        float *dlogits /* [N, K] or NULL */, eip_error *err);

/* Row-wise argmax (first maximum on ties, as torch.argmax on CPU; NaN never
 * wins). */
eip_status eip_train_argmax(const float *x, /* [N, K] */ int64_t n, int64_t k,
                            int32_t *out /* [N] */, eip_error *err);

/* Argmax inside each of `blocks` equal blocks of every row; out[n, b] is the
 * index within block b (0 .. k/blocks-1) — EncryIP's Φ^{-1} reads the
 * ciphertext indices this way (sec. 4.3 eq. (3)). */
eip_status eip_train_argmax_block(const float *x, /* [N, K] */ int64_t n, int64_t k,
                                  int64_t blocks, int32_t *out /* [N, blocks] */,
                                  eip_error *err);

/* Number of rows whose argmax equals the label. */
eip_status eip_train_accuracy_count(const float *logits,   /* [N, K] */
                                    const int32_t *labels, /* [N] */
                                    int64_t n, int64_t k, int64_t *correct,
                                    eip_error *err);

/* Block accuracy against per-block target indices: *rows_correct counts rows
 * where every block's argmax matches, *blocks_correct (may be NULL) counts
 * matching (row, block) pairs. */
eip_status eip_train_accuracy_block_count(const float *logits,    /* [N, K] */
                                          const int32_t *targets, /* [N, blocks] */
                                          int64_t n, int64_t k, int64_t blocks,
                                          int64_t *rows_correct, int64_t *blocks_correct,
                                          eip_error *err);

/* ======================================================================
 * Optimisers (src/train/optim.c)
 *
 * Exactly PyTorch 1.13's single-tensor update rules, in float32:
 *   SGD:   d = g + wd*p; buf = d (first step) or momentum*buf + (1-dampening)*d;
 *          d = nesterov ? d + momentum*buf : buf;  p -= lr*d
 *   AdamW: t += 1; p *= 1 - lr*wd; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g;
 *          p -= (lr / (1-b1^t)) * m / (sqrt(v) / sqrt(1-b2^t) + eps)
 * ====================================================================== */

typedef enum eip_train_optim_kind {
    EIP_TRAIN_OPTIM_SGD = 1,
    EIP_TRAIN_OPTIM_ADAMW = 2
} eip_train_optim_kind;

typedef struct eip_train_optim_config {
    eip_train_optim_kind kind;
    double weight_decay; /* SGD: coupled (added to the gradient); AdamW: decoupled */
    /* SGD */
    double momentum;  /* 0 = plain SGD (no buffer) */
    double dampening; /* torch default 0 */
    int nesterov;     /* needs momentum > 0 and dampening == 0 */
    /* AdamW (torch defaults 0.9, 0.999, 1e-8) */
    double beta1, beta2, eps;
} eip_train_optim_config;

/* PyTorch defaults for the kind (SGD: momentum 0, wd 0; AdamW: betas
 * (0.9, 0.999), eps 1e-8, wd 1e-2). */
eip_train_optim_config eip_train_optim_config_default(eip_train_optim_kind kind);

typedef struct eip_train_optim eip_train_optim_t;

/* Validates cfg and allocates zeroed moment buffers for n_params elements. */
eip_status eip_train_optim_init(eip_train_optim_t **out, const eip_train_optim_config *cfg,
                                int64_t n_params, eip_error *err);
void eip_train_optim_free(eip_train_optim_t *opt);

/* One update of params in place with learning rate lr (from a schedule).
 * decay_mask (may be NULL = decay everything): 0 excludes an element from
 * weight decay (biases, norm parameters), exactly like a torch param group
 * with weight_decay 0. */
eip_status eip_train_optim_step(eip_train_optim_t *opt, double lr,
                                float *params,             /* [n_params] */
                                const float *grads,        /* [n_params] */
                                const uint8_t *decay_mask, /* [n_params] or NULL */
                                eip_error *err);

/* Serialisable state: the step counter plus named flat moment buffers,
 * named as torch's optimizer state keys ("momentum_buffer"; "exp_avg",
 * "exp_avg_sq").  SGD with momentum 0 has no buffer. */
int64_t eip_train_optim_n_params(const eip_train_optim_t *opt);
int64_t eip_train_optim_step_count(const eip_train_optim_t *opt);
eip_status eip_train_optim_step_count_set(eip_train_optim_t *opt, int64_t steps, eip_error *err);
size_t eip_train_optim_buffer_count(const eip_train_optim_t *opt);
/* Buffer i (< buffer_count) by pointer: writable, for restoring a resumed
 * run; *len = n_params.  NULL if i is out of range. */
float *eip_train_optim_buffer(eip_train_optim_t *opt, size_t i,
                              const char **name, int64_t *len);

/* ======================================================================
 * Learning-rate schedules (src/train/schedule.c)
 *
 * lr(step) is a pure function of the step index (epoch or iteration — the
 * caller decides), equal to what torch.optim.lr_scheduler gives after
 * `step` calls of scheduler.step():
 *   warm-up (step < warmup): base * (f0 + (1 - f0) * step / warmup)
 *       = LinearLR(start_factor=f0, total_iters=warmup), chained with
 *         SequentialLR(milestones=[warmup]);
 *   then with s = step - warmup:
 *   CONST:  base
 *   STEP:   base * gamma^floor(s / step_size)               = StepLR
 *   COSINE: eta_min + (base - eta_min) * (1 + cos(pi*s/t_max)) / 2
 *           = CosineAnnealingLR(T_max=t_max, eta_min) closed form (like
 *             torch it rises again past t_max; set t_max to the run length).
 * ====================================================================== */

typedef enum eip_train_sched_kind {
    EIP_TRAIN_SCHED_CONST = 0,
    EIP_TRAIN_SCHED_STEP = 1,
    EIP_TRAIN_SCHED_COSINE = 2
} eip_train_sched_kind;

typedef struct eip_train_sched {
    eip_train_sched_kind kind;
    double base_lr;
    int64_t warmup;             /* warm-up steps, 0 = none */
    double warmup_start_factor; /* lr factor at step 0, in (0, 1] */
    int64_t step_size;          /* STEP: >= 1 */
    double gamma;               /* STEP */
    int64_t t_max;              /* COSINE: >= 1 */
    double eta_min;             /* COSINE */
} eip_train_sched;

/* Checks the fields (EIP_ERR_ARG naming the field). */
eip_status eip_train_sched_check(const eip_train_sched *s, eip_error *err);
/* Learning rate at step >= 0 (negative steps are treated as 0).  s must
 * have passed eip_train_sched_check. */
double eip_train_sched_lr(const eip_train_sched *s, int64_t step);

/* ======================================================================
 * Training loop — added by the lead (below this line).
 * ====================================================================== */

/* The loop (src/train/trainer.c) is Algorithm 1's line 6 and the plain
 * baseline alike: the only difference is how a sample's label id becomes the
 * loss target.  Plain training uses HARD (softmax CE on the label); EncryIP
 * uses BLOCK with a table row Φ(c_id) per id (label ciphertexts + the
 * verification Fake ciphertexts), paper sec. 4.2–4.3. */
typedef enum eip_train_target_kind {
    EIP_TRAIN_TARGET_HARD = 0,  /* softmax CE, label id = class, K = classes */
    EIP_TRAIN_TARGET_SOFT = 1,  /* soft-label CE over the whole output */
    EIP_TRAIN_TARGET_BLOCK = 2  /* `blocks` softmaxes over equal blocks */
} eip_train_target_kind;

typedef struct eip_train_targets {
    eip_train_target_kind kind;
    int64_t blocks;      /* BLOCK: number of blocks (3 for CS_lite's (u1, u2, u3)) */
    int64_t n_ids;       /* SOFT/BLOCK: rows of table = number of label ids */
    const float *table;  /* SOFT/BLOCK: [n_ids, K] target per label id */
} eip_train_targets;

typedef struct eip_train_progress {
    int64_t epoch, epochs;      /* 0-based epoch of `epochs` */
    int64_t step, steps;        /* 0-based step within the epoch */
    double loss;                /* running mean train loss of this epoch */
    double images_per_s;        /* this epoch so far */
    double eta_s;               /* whole run, estimated */
    double lr;
    int epoch_done;             /* 1 on the call that closes an epoch */
    double test_acc;            /* epoch_done: test accuracy (or -1 if none) */
    double epoch_s;             /* epoch_done: wall time of the epoch */
} eip_train_progress;

typedef void (*eip_train_progress_fn)(void *ctx, const eip_train_progress *p);

/* Accuracy of the current net on held-out data; the caller decides what a
 * correct answer is (plain argmax, or EncryIP decode + decrypt). */
typedef eip_status (*eip_train_eval_fn)(void *ctx, double *accuracy, eip_error *err);

/* Per-step hook: how a method that is more than a loss on the logits joins
 * the loop (a regulariser on parameters, parameters derived from others),
 * without a loop of its own.  Called with
 *   EIP_TRAIN_HOOK_BEFORE_FORWARD  before every TRAIN forward and before the
 *     per-epoch evaluation: the hook may rewrite parameters (e.g. derived
 *     ones); the loop marks the net dirty afterwards;
 *   EIP_TRAIN_HOOK_AFTER_BACKWARD  after the backward of a step, before the
 *     optimiser: the hook may add gradient terms to eip_nn_grads (or move
 *     gradients between parameters) and sets *extra_loss to the value of
 *     the terms it added (0 if none), which is added to the step's loss.
 * extra_loss is NULL in the BEFORE_FORWARD phase. */
typedef enum eip_train_hook_phase {
    EIP_TRAIN_HOOK_BEFORE_FORWARD = 0,
    EIP_TRAIN_HOOK_AFTER_BACKWARD = 1
} eip_train_hook_phase;

typedef eip_status (*eip_train_step_hook_fn)(void *ctx, eip_train_hook_phase phase,
                                             eip_nn_net_t *net, double *extra_loss,
                                             eip_error *err);

typedef struct eip_train_config {
    int64_t epochs;
    eip_train_optim_config optim;
    eip_train_sched sched;        /* stepped once per iteration */
    int decay_all;                /* 1: weight decay on every parameter (PyTorch default);
                                     0: not on 1-D tensors (biases, BN) */
    const char *csv_path;         /* per-epoch CSV (epoch,train_loss,test_acc,seconds,lr) or NULL */
    eip_train_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    eip_train_eval_fn eval;       /* may be NULL: test_acc = -1 */
    void *eval_ctx;
    eip_train_step_hook_fn step_hook; /* may be NULL */
    void *step_hook_ctx;
} eip_train_config;

/* Per-epoch record kept for the caller (Figure 4 curves). */
typedef struct eip_train_history {
    int64_t epochs;
    double *train_loss; /* [epochs] */
    double *test_acc;   /* [epochs] */
    double *seconds;    /* [epochs] */
} eip_train_history;

void eip_train_history_free(eip_train_history *h);

/* Trains net for cfg->epochs epochs over the loader's batches (labels of the
 * loader's dataset are the label ids of `targets`).  history may be NULL.
 * Deterministic for a given loader seed, init and thread count. */
eip_status eip_train_run(eip_nn_net_t *net, eip_data_loader *loader,
                         const eip_train_targets *targets, const eip_train_config *cfg,
                         eip_train_history *history, eip_error *err);

/* Plain accuracy: argmax of the net's output (EVAL mode) against the labels
 * of ds, normalised with mean/std [C] (the training set's statistics). */
eip_status eip_train_evaluate(eip_nn_net_t *net, const eip_data_set *ds, const float *mean,
                              const float *std, int64_t batch, double *accuracy, eip_error *err);

/* Runs the net in EVAL mode over ds (normalised with mean/std [C]), writing
 * the outputs [ds->n, K] into out (caller allocates). */
eip_status eip_train_predict(eip_nn_net_t *net, const eip_data_set *ds, const float *mean,
                             const float *std, int64_t batch, float *out /* [N, K] */,
                             eip_error *err);

/* ======================================================================
 * The training recipe (src/train/recipe.c) and fit (src/train/fit.c):
 * the one way the commands (train, protect) and the experiment drivers
 * train a model, so the same settings give the same model everywhere.
 * ====================================================================== */

/* Defaults of the recipe (`encryip train --help` shows them). */
#define EIP_TRAIN_RECIPE_EPOCHS 10
#define EIP_TRAIN_RECIPE_BATCH 128
#define EIP_TRAIN_RECIPE_SGD_LR 0.05
#define EIP_TRAIN_RECIPE_SGD_WD 5e-4
#define EIP_TRAIN_RECIPE_ADAMW_LR 0.001
#define EIP_TRAIN_RECIPE_ADAMW_WD 0.01
/* Batch of the evaluation passes (accuracy only: any batch gives the same
 * per-image outputs; fixed so runs are comparable bit for bit). */
#define EIP_TRAIN_EVAL_BATCH 256

typedef struct eip_train_recipe {
    eip_train_optim_kind optim;    /* SGD: momentum 0.9, Nesterov; ADAMW: torch betas */
    eip_train_sched_kind schedule; /* COSINE to 0; STEP: x0.1 every third of the run; CONST */
    int64_t epochs;
    int64_t warmup;                /* linear warm-up epochs from 0.1 x lr; < 0: 1 if epochs > 2, else 0 */
    double lr, wd;                 /* peak lr; weight decay (SGD coupled, AdamW decoupled), on
                                      every parameter (PyTorch's default) */
} eip_train_recipe;

/* The defaults for an optimiser: 10 epochs, cosine, automatic warm-up, SGD
 * lr 0.05 wd 5e-4 or AdamW lr 0.001 wd 0.01. */
eip_train_recipe eip_train_recipe_default(eip_train_optim_kind optim);
/* The warm-up epochs the recipe uses (resolves warmup < 0). */
int64_t eip_train_recipe_warmup(const eip_train_recipe *r);
/* The optimiser and per-iteration schedule of the recipe for `steps`
 * iterations per epoch into tc (zeroed first: no progress, eval or CSV). */
void eip_train_recipe_fill(const eip_train_recipe *r, int64_t steps, eip_train_config *tc);

/* How eip_train_fit trains a built net. */
typedef struct eip_train_fit_config {
    const eip_data_set *train;        /* training images and label ids */
    const eip_data_set *test;         /* final plain accuracy (NULL = none; with targets: none) */
    const eip_data_set *eval_set;     /* per-epoch plain accuracy (NULL = test) */
    const eip_train_targets *targets; /* NULL = HARD (softmax CE on the label) */
    const eip_data_loader_cfg *loader; /* NULL = eip_data_loader_cfg_default(train, batch, seed) */
    eip_train_recipe recipe;
    /* instead of the recipe: fills tc for `steps` iterations per epoch (the
     * protect callback, eip_protect_trainconf_fn) */
    void (*trainconf)(void *ctx, int64_t steps, eip_train_config *tc);
    void *trainconf_ctx;
    int64_t batch;                    /* <= 0: EIP_TRAIN_RECIPE_BATCH */
    uint64_t seed;                    /* init and loader */
    int init;                         /* 1: eip_nn_init_params(net, seed) first */
    eip_train_progress_fn progress;   /* NULL: whatever trainconf set */
    void *progress_ctx;
    eip_train_eval_fn eval;           /* per-epoch accuracy instead of plain accuracy */
    void *eval_ctx;
    const char *csv_path;             /* per-epoch CSV or NULL */
    eip_train_step_hook_fn step_hook; /* per-step hook (eip_train_config.step_hook) or NULL */
    void *step_hook_ctx;
} eip_train_fit_config;

typedef struct eip_train_fit_result {
    float mean[EIP_DATA_MAX_CHANNELS], std[EIP_DATA_MAX_CHANNELS]; /* normalisation used */
    eip_train_history history;
    double train_s;   /* sum of the epoch times */
    double test_acc;  /* plain accuracy on cfg->test after the last epoch, -1 without */
} eip_train_fit_result;

/* Init (if asked), loader, recipe, eip_train_run, final accuracy. */
eip_status eip_train_fit(eip_nn_net_t *net, const eip_train_fit_config *cfg,
                         eip_train_fit_result *out, eip_error *err);
void eip_train_fit_result_free(eip_train_fit_result *r);

/* ======================================================================
 * Set loss (src/train/loss_eval.c): used by the AdvParams encryption and by
 * the adaptive attack on it alike.
 * ====================================================================== */

/* Mean loss (and the number of correct rows) of net over a normalised set,
 * in batches of `batch`.  Correct: argmax == label (HARD), argmax == the
 * table row's argmax (SOFT), every block's argmax == the table row's block
 * argmax (BLOCK).  grad = EIP_TRAIN_GRAD_ALL: runs EVAL_GRAD forwards +
 * backwards and leaves d(mean loss)/d(params) in the grad block (zeroed
 * first); EIP_TRAIN_GRAD_CORRECT: the same but only the rows the net still
 * answers correctly contribute (what an attacker flipping answers needs);
 * EIP_TRAIN_GRAD_MARGIN: the gradient of the mean over the correct rows of
 * (runner-up logit - target logit), summed over blocks, instead of the
 * loss's (the loss value reported is still the loss);
 * EIP_TRAIN_GRAD_NONE: EVAL forwards only.  loss / correct may be NULL. */
enum {
    EIP_TRAIN_GRAD_NONE = 0,
    EIP_TRAIN_GRAD_ALL = 1,
    EIP_TRAIN_GRAD_CORRECT = 2,
    EIP_TRAIN_GRAD_MARGIN = 3
};
eip_status eip_train_loss_eval(eip_nn_net_t *net, const float *x, /* [N, C, H, W] */
                               const int32_t *ids, /* [N] */ int64_t n,
                               const eip_train_targets *targets, int64_t batch, int grad,
                               double *loss, int64_t *correct, eip_error *err);

#ifdef __cplusplus
}
#endif
#endif
