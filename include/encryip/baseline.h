/* encryip baseline module — the three IP-protection baselines of EncryIP's
 * Figure 5 (paper section 5.2), built on the training engine so their cost
 * is measured with the same loop, data and recipe as EncryIP:
 *
 *   PR       Uchida et al. 2017, "Embedding Watermarks into Deep Neural
 *            Networks": a T-bit message in one conv layer's weights through
 *            a parameter regulariser; one training per user.
 *   EW       Zhang et al. 2018, "Protecting Intellectual Property of Deep
 *            Neural Networks with Watermarking": trigger sets (content
 *            stamp, noise, unrelated images) with target labels mixed into
 *            the training data; one training carries every user's set.
 *   DeepIPR  Fan et al. 2022 (TPAMI; NeurIPS 2019): passport layers — a
 *            conv layer's normalisation scale and bias derived from its own
 *            weights and secret passports, a sign signature in the scales;
 *            one training per user.
 *
 * PR and DeepIPR join the loop as an eip_train_step_hook_fn (train.h):
 * pass eip_baseline_pr_hook / eip_baseline_passport_hook with the handle as
 * the hook's context.  EW only changes the training data.  Simplifications
 * against the original papers are listed in docs/DESIGN.md "Baselines". */
#ifndef ENCRYIP_BASELINE_H
#define ENCRYIP_BASELINE_H

#include <stdint.h>

#include "encryip/data.h"
#include "encryip/error.h"
#include "encryip/nn.h"
#include "encryip/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- PR: weight-regulariser watermark (Uchida et al. 2017) -------------- */

#define EIP_BASELINE_PR_MAX_BITS 65536

typedef struct eip_baseline_pr_config {
    const char *layer; /* conv layer name ("layer3.1.conv1"): its 4-D "<layer>.weight" */
    int64_t bits;      /* T, 1 .. M = Cin*kh*kw of the layer (Uchida: T <= M) */
    double lambda;     /* regulariser weight (Uchida: 0.01) */
    uint64_t seed;     /* the user's key: X ~ N(0, 1) [T, M] and the message b [T] */
} eip_baseline_pr_config;

typedef struct eip_baseline_pr eip_baseline_pr_t;

/* Draws X and b from cfg->seed for `layer` of net (EIP_ERR_ARG naming the
 * layer when it is no 4-D parameter tensor, or the bit count when it is
 * outside 1..M). */
eip_status eip_baseline_pr_init(eip_baseline_pr_t **out, eip_nn_net_t *net,
                                const eip_baseline_pr_config *cfg, eip_error *err);
void eip_baseline_pr_free(eip_baseline_pr_t *pr);
int64_t eip_baseline_pr_bits(const eip_baseline_pr_t *pr);  /* T */
int64_t eip_baseline_pr_m(const eip_baseline_pr_t *pr);     /* M */
const uint8_t *eip_baseline_pr_message(const eip_baseline_pr_t *pr); /* [T] 0/1 */

/* E_R = lambda * sum_t BCE(sigmoid(X w̄)_t, b_t), w̄[m] = mean over output
 * channels o of W[o, m] (Uchida eq. (3)-(5)); *loss = E_R, and when grads
 * is non-NULL dE_R/dW is ADDED to it (the net's grad block layout).  net
 * must have the layer the handle was made for (EIP_ERR_SHAPE otherwise). */
eip_status eip_baseline_pr_loss(const eip_baseline_pr_t *pr, eip_nn_net_t *net, double *loss,
                                float *grads /* [n_params] or NULL */, eip_error *err);
/* eip_train_step_hook_fn with ctx = eip_baseline_pr_t: adds E_R and its
 * gradient after every backward. */
eip_status eip_baseline_pr_hook(void *ctx, eip_train_hook_phase phase, eip_nn_net_t *net,
                                double *extra_loss, eip_error *err);
/* Extraction: bit_t = [sigmoid(X w̄)_t >= 0.5]; *ber = fraction of bits
 * differing from the message.  bits_out [T] may be NULL. */
eip_status eip_baseline_pr_extract(const eip_baseline_pr_t *pr, eip_nn_net_t *net,
                                   uint8_t *bits_out, double *ber, eip_error *err);

/* ---- EW: trigger-set watermark (Zhang et al. 2018) ---------------------- */

typedef enum eip_baseline_trigger_kind {
    EIP_BASELINE_TRIGGER_CONTENT = 0,   /* a seeded pixel stamp pasted on the owner's images */
    EIP_BASELINE_TRIGGER_NOISE = 1,     /* seeded uniform-noise images */
    EIP_BASELINE_TRIGGER_UNRELATED = 2  /* images of another dataset (MNIST for Fashion-MNIST) */
} eip_baseline_trigger_kind;

typedef struct eip_baseline_trigger_config {
    eip_baseline_trigger_kind kind;
    int64_t n;                  /* trigger images */
    int32_t c, h, w, classes;   /* the protected model's input shape and classes */
    const eip_data_set *source; /* CONTENT: the owner's images; UNRELATED: the other
                                   dataset (same c, h, w); NOISE: unused */
    int32_t shift;              /* CONTENT / UNRELATED: target = (label + shift) mod classes,
                                   1 .. classes-1; NOISE: targets uniform from the seed */
    uint64_t seed;              /* image choice, stamp pattern and place, noise */
} eip_baseline_trigger_config;

/* "content" / "noise" / "unrelated". */
const char *eip_baseline_trigger_kind_name(eip_baseline_trigger_kind k);
/* The trigger set: images + target labels (labels = what the marked model
 * must answer).  Bad counts, shapes or shifts: EIP_ERR_ARG / _SHAPE. */
eip_status eip_baseline_trigger_make(const eip_baseline_trigger_config *cfg, eip_data_set *out,
                                     eip_error *err);
/* out = train followed by every trigger set replicated `reps` times (Zhang
 * et al. train on the union; replicas make a few dozen triggers count in
 * a few epochs). */
eip_status eip_baseline_trigger_mix(const eip_data_set *train, const eip_data_set *const *sets,
                                    int n_sets, int64_t reps, eip_data_set *out, eip_error *err);
/* Verification: fraction of triggers the net (EVAL, normalised with
 * mean/std [C]) classifies as their target label. */
eip_status eip_baseline_trigger_accuracy(eip_nn_net_t *net, const eip_data_set *triggers,
                                         const float *mean, const float *std, double *acc,
                                         eip_error *err);

/* ---- DeepIPR: passport layers (Fan et al. 2022) ------------------------- */

#define EIP_BASELINE_PASSPORT_MAX_LAYERS 64

typedef struct eip_baseline_passport_config {
    int n_layers;
    const char *const *convs; /* [n_layers] conv layer names ("layer4.0.conv1") */
    const char *const *bns;   /* [n_layers] the batch norm after each ("layer4.0.bn1") */
    int64_t size;             /* passport height = width S (each is [Cin, S, S]) */
    double gamma0;            /* sign-loss margin (DeepIPR: 0.1) */
    double lambda;            /* sign-loss weight */
    uint64_t seed;            /* the user's passports P_gamma, P_beta and signature s */
} eip_baseline_passport_config;

typedef struct eip_baseline_passport eip_baseline_passport_t;

/* Draws passports (uniform in [-1, 1]) and a signature s in {-1, +1}^Cout
 * per layer from cfg->seed.  Each conv must be a 4-D parameter tensor
 * "<conv>.weight" [O, I, kh, kw] and each bn must have "<bn>.weight" and
 * "<bn>.bias" of O elements (EIP_ERR_ARG naming the layer otherwise). */
eip_status eip_baseline_passport_init(eip_baseline_passport_t **out, eip_nn_net_t *net,
                                      const eip_baseline_passport_config *cfg, eip_error *err);
/* Same layers, signature, margin and weight, new passports from `seed`:
 * what a forger without the passports holds. */
eip_status eip_baseline_passport_forge(const eip_baseline_passport_t *pp, uint64_t seed,
                                       eip_baseline_passport_t **out, eip_error *err);
void eip_baseline_passport_free(eip_baseline_passport_t *pp);
int eip_baseline_passport_layers(const eip_baseline_passport_t *pp);

/* gamma [O] = Avg(W ⊛ P_gamma), beta [O] = Avg(W ⊛ P_beta) of layer i:
 * the conv of the passport through the layer's weights (stride 1, zero
 * padding kh/2, kw/2), averaged over the output positions. */
eip_status eip_baseline_passport_scale(const eip_baseline_passport_t *pp, eip_nn_net_t *net, int i,
                                       float *gamma /* [O] */, float *beta /* [O] */,
                                       eip_error *err);
/* Writes gamma / beta of every layer into its bn's weight / bias (the
 * passport-protected normalisation) and marks the net dirty. */
eip_status eip_baseline_passport_apply(const eip_baseline_passport_t *pp, eip_nn_net_t *net,
                                       eip_error *err);
/* After a backward that produced dL/d(bn weight, bias): adds the sign loss
 * lambda * sum max(gamma0 - gamma_o s_o, 0) (*loss = its value), moves
 * dL/dgamma and dL/dbeta onto the conv weights through the passports
 * (exact: dgamma_o/dW[o] = the averaged passport) and zeroes the bn
 * gradients (they are no free parameters). */
eip_status eip_baseline_passport_backward(const eip_baseline_passport_t *pp, eip_nn_net_t *net,
                                          double *loss, eip_error *err);
/* eip_train_step_hook_fn with ctx = eip_baseline_passport_t: apply before
 * every forward, backward after every backward. */
eip_status eip_baseline_passport_hook(void *ctx, eip_train_hook_phase phase, eip_nn_net_t *net,
                                      double *extra_loss, eip_error *err);
/* Signature detection: fraction of sign(gamma) (from pp's passports and
 * the net's weights) equal to pp's signature, over all layers. */
eip_status eip_baseline_passport_detect(const eip_baseline_passport_t *pp, eip_nn_net_t *net,
                                        double *match, eip_error *err);

#ifdef __cplusplus
}
#endif
#endif
