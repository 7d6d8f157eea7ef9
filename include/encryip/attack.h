/* encryip attack module — model-modification attacks an infringer mounts on a
 * stolen model: magnitude pruning, fine-tuning on a fraction of the training
 * data, and the adaptive AdvParams attack (find the perturbed parameters and
 * reset them).  Used to measure AdvParams (docs/RESULTS.md "AdvParams") and
 * reused by the EncryIP experiments (leak tracing after modification).
 *
 * Shape legend: N images, C channels, H rows, W columns, K outputs,
 * P parameters (the net's flat parameter block). */
#ifndef ENCRYIP_ATTACK_H
#define ENCRYIP_ATTACK_H

#include <stddef.h>
#include <stdint.h>

#include "encryip/data.h"
#include "encryip/error.h"
#include "encryip/nn.h"
#include "encryip/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- pruning */

typedef enum eip_attack_prune_scope {
    EIP_ATTACK_PRUNE_GLOBAL = 0, /* one magnitude threshold over all conv/linear weights */
    EIP_ATTACK_PRUNE_LAYER = 1   /* the same ratio inside every conv/linear weight tensor */
} eip_attack_prune_scope;

/* Zeroes the `ratio` fraction (0..1) of smallest-|w| conv/linear weights
 * (parameter tensors with >= 2 dimensions; biases and BN are kept), exactly
 * round(ratio * count) of them (ties broken by position).  *pruned (may be
 * NULL) receives the number zeroed.  Marks the net dirty. */
eip_status eip_attack_prune(eip_nn_net_t *net, double ratio, eip_attack_prune_scope scope,
                            int64_t *pruned, eip_error *err);

/* --------------------------------------------------------- fine-tuning */

typedef struct eip_attack_finetune_config {
    double fraction;   /* of the training set the attacker holds, (0, 1] */
    uint64_t seed;     /* subset draw, shuffling, dropout */
    int64_t epochs;    /* >= 1 */
    int64_t batch;     /* default 64 */
    double lr;         /* SGD momentum 0.9 Nesterov, cosine, no warm-up (default 0.01) */
    double wd;         /* default 5e-4 */
    eip_train_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    eip_train_eval_fn eval;         /* may be NULL: per-epoch test accuracy */
    void *eval_ctx;
} eip_attack_finetune_config;

eip_attack_finetune_config eip_attack_finetune_config_default(void);

/* Trains net (its current parameters: the stolen model, or a fresh init for
 * the from-scratch baseline) on a seeded `fraction` subset of train,
 * normalised with mean/std [C] (the model's statistics), with `targets` (HARD
 * for plain models, the protected model's table otherwise).  *used (may be
 * NULL) = images in the subset; history may be NULL. */
eip_status eip_attack_finetune(eip_nn_net_t *net, const eip_data_set *train, const float *mean,
                               const float *std, const eip_train_targets *targets,
                               const eip_attack_finetune_config *cfg, int64_t *used,
                               eip_train_history *history, eip_error *err);

/* ---------------------------------------------------- adaptive attack */

/* Suspicion scores an attacker who knows AdvParams can compute without the
 * key (all per parameter tensor T, over every parameter tensor):
 *   ZSCORE: |w - mean_T| / std_T                      (outliers)
 *   BOUND:  1 - min(w - min_T, max_T - w) / (max_T - min_T)   (near the range bounds)
 *   GRAD:   |g| on the attacker's data                (largest gradients)
 *   GAIN:   max(0, g * (w - median_T))   first-order loss decrease of resetting w
 *   COMBINED: the sum of the four, each divided by its maximum over the net. */
typedef enum eip_attack_score {
    EIP_ATTACK_SCORE_ZSCORE = 0,
    EIP_ATTACK_SCORE_BOUND = 1,
    EIP_ATTACK_SCORE_GRAD = 2,
    EIP_ATTACK_SCORE_GAIN = 3,
    EIP_ATTACK_SCORE_COMBINED = 4
} eip_attack_score;

/* "zscore", "bound", "grad", "gain", "combined". */
const char *eip_attack_score_name(eip_attack_score s);
eip_status eip_attack_score_parse(const char *s, eip_attack_score *out, eip_error *err);

typedef enum eip_attack_reset {
    EIP_ATTACK_RESET_MEDIAN = 0, /* the tensor's median */
    EIP_ATTACK_RESET_ZERO = 1
} eip_attack_reset;

/* Scores every parameter (scores [P], caller allocates; entries of non-
 * parameter memory do not exist).  data (normalised [N, C, H, W], label ids
 * [N]) is the attacker's data, used by GRAD / GAIN / COMBINED (may be NULL /
 * n = 0 for ZSCORE and BOUND). */
eip_status eip_attack_adaptive_scores(eip_nn_net_t *net, eip_attack_score score,
                                      const float *x, /* [N, C, H, W] */
                                      const int32_t *ids, /* [N] */ int64_t n,
                                      const eip_train_targets *targets, int64_t batch,
                                      float *scores, /* [P] */ eip_error *err);

/* Resets the `budget` highest-scored parameters (ties by position) to their
 * tensor's median (or 0).  reset_idx (may be NULL) receives the flat
 * parameter indices [budget].  Marks the net dirty. */
eip_status eip_attack_adaptive_reset(eip_nn_net_t *net, const float *scores, /* [P] */
                                     int64_t budget, eip_attack_reset mode,
                                     int64_t *reset_idx, /* [budget] or NULL */ eip_error *err);

/* -------------------------------------------------------------- files */

/* Saves net to out_path with the string metadata of template_path (norm
 * statistics, training settings; the architecture keys are rewritten from
 * the net), plus `extra` pairs (may be NULL) which replace same-named keys. */
struct eip_ckpt_meta;
eip_status eip_attack_save_like(eip_nn_net_t *net, const char *template_path, const char *out_path,
                                const struct eip_ckpt_meta *extra, size_t n_extra, eip_error *err);

#ifdef __cplusplus
}
#endif
#endif
