/* encryip advparams module — AdvParams: encrypting a trained model by adding
 * adversarial perturbations to a handful of its parameters
 * (shared/papers/advparams-summary.txt; design in docs/DESIGN.md "AdvParams").
 *
 * Encryption (no retraining): on a small encryption set, repeatedly take the
 * gradient of the loss w.r.t. the parameters (EVAL_GRAD: BN running
 * statistics, the deployed model's semantics), score every candidate
 * parameter by the first-order loss increase reachable inside the range rule,
 * try the best few for real, keep the one that raises the loss most, and stop
 * when the encryption-set accuracy is near chance or the budget is spent.
 *
 * Range rule: a tensor's minimum and maximum positions are never encrypted,
 * and a perturbed value lies in [min, max] of the tensor's original values
 * (which are also the min/max of its unchanged values), so the encrypted
 * parameters never become a new extreme of their tensor.
 *
 * The key holds, per changed parameter, the tensor name, the flat index, and
 * the original and perturbed float bit patterns (so restoration is exact: no
 * (w + d) - d rounding), plus BLAKE2b-256 hashes of the original and the
 * encrypted model's tensors.  Format: docs/FORMATS.md "AdvParams key".
 *
 * Shape legend: N images, C channels, H rows, W columns, K outputs. */
#ifndef ENCRYIP_ADVPARAMS_H
#define ENCRYIP_ADVPARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "encryip/data.h"
#include "encryip/error.h"
#include "encryip/nn.h"
#include "encryip/train.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EIP_ADVPARAMS_HASH_BYTES 32
#define EIP_ADVPARAMS_NAME_MAX 255     /* tensor name bytes in a key entry */
#define EIP_ADVPARAMS_MAX_ENTRIES 4096 /* key entries (reader cap) */
#define EIP_ADVPARAMS_KEY_MAX_BYTES ((size_t)2 << 20)

/* ------------------------------------------------------------------ key */

typedef struct eip_advparams_entry {
    char tensor[EIP_ADVPARAMS_NAME_MAX + 1]; /* parameter tensor name, NUL-terminated */
    int64_t index;                           /* flat index inside the tensor */
    uint32_t orig_bits;                      /* IEEE-754 bits of the original value */
    uint32_t enc_bits;                       /* bits of the perturbed value */
} eip_advparams_entry;

typedef struct eip_advparams_key {
    uint8_t hash_orig[EIP_ADVPARAMS_HASH_BYTES]; /* eip_advparams_model_hash of the original */
    uint8_t hash_enc[EIP_ADVPARAMS_HASH_BYTES];  /* ... and of the encrypted model */
    int64_t n;                                   /* entries */
    eip_advparams_entry *entries;                /* [n], sorted by (tensor, index) */
} eip_advparams_key;

void eip_advparams_key_free(eip_advparams_key *key);

/* Perturbation of an entry as a float (enc - orig, for reports). */
double eip_advparams_entry_delta(const eip_advparams_entry *e);

/* Serialisation (docs/FORMATS.md "AdvParams key").  to_bytes sorts nothing:
 * the key must already be sorted (encrypt produces sorted keys). *out is
 * malloc'd. */
eip_status eip_advparams_key_to_bytes(const eip_advparams_key *key, unsigned char **out,
                                      size_t *out_len, eip_error *err);
/* Strict parser: every byte is validated (magic, version, reserved fields,
 * counts, names, order, finite values, exact length, checksum); `name` is
 * used in messages. */
eip_status eip_advparams_key_from_bytes(const unsigned char *buf, size_t len, const char *name,
                                        eip_advparams_key *key, eip_error *err);
/* Atomic write, mode 0600 (secret). */
eip_status eip_advparams_key_write(const eip_advparams_key *key, const char *path,
                                   eip_error *err);
eip_status eip_advparams_key_read(const char *path, eip_advparams_key *key, eip_error *err);

/* BLAKE2b-256 over every tensor of the net (params, buffers, counters) in
 * state_dict order: name, kind, shape and little-endian data. */
eip_status eip_advparams_model_hash(eip_nn_net_t *net, uint8_t out[EIP_ADVPARAMS_HASH_BYTES],
                                    eip_error *err);

/* ----------------------------------------------------------- encryption */

/* Which parameter tensors may be perturbed (bit mask). */
enum {
    EIP_ADVPARAMS_LAYERS_FIRST = 1, /* the first conv weight of the net */
    EIP_ADVPARAMS_LAYERS_BN = 2,    /* BN affine weights and biases (1-D tensors of BN layers) */
    EIP_ADVPARAMS_LAYERS_LAST = 4,  /* the final linear layer (weight + bias) */
    EIP_ADVPARAMS_LAYERS_ALL = 8    /* every parameter tensor */
};

/* Parses "all", "first", "bn", "last" or a '+'-joined list ("first+last"). */
eip_status eip_advparams_layers_parse(const char *s, int *mask, eip_error *err);

/* Accuracy of the net on the encryption set: the caller decides what a
 * correct answer is (plain argmax, or EncryIP decode + decrypt).  x is the
 * normalised encryption set [N, C, H, W], ids its label ids [N]. */
typedef eip_status (*eip_advparams_acc_fn)(void *ctx, eip_nn_net_t *net,
                                           const float *x, /* [N, C, H, W] */
                                           const int32_t *ids, /* [N] */
                                           int64_t n, double *accuracy, eip_error *err);

/* What the first-order score ranks candidates by (docs/DESIGN.md "AdvParams"). */
typedef enum eip_advparams_objective {
    EIP_ADVPARAMS_OBJECTIVE_LOSS = 0,  /* the targets' loss over the still-correct rows */
    EIP_ADVPARAMS_OBJECTIVE_MARGIN = 1 /* their (runner-up - target) logit margin */
} eip_advparams_objective;

eip_status eip_advparams_objective_parse(const char *s, eip_advparams_objective *out, eip_error *err);
const char *eip_advparams_objective_name(eip_advparams_objective o);

typedef struct eip_advparams_config {
    int64_t budget;      /* max parameters changed (default 25) */
    double target_acc;   /* stop when enc-set accuracy <= this (default 1/classes + 0.05) */
    int layers;          /* EIP_ADVPARAMS_LAYERS_* mask (default ALL) */
    int64_t trials;      /* best-scored candidates tried for real per step (default 32) */
    double reach;        /* fraction of the way to the bound, (0, 1] (default 1) */
    int64_t batch;       /* forward/backward batch (default 128) */
    eip_advparams_objective objective; /* candidate ranking (default MARGIN) */
    /* NULL: argmax (HARD), per-block argmax (BLOCK), argmax (SOFT).  Given:
     * the stop rule and the score of each trial (one more forward per trial) */
    eip_advparams_acc_fn acc_fn;
    void *acc_ctx;
    /* Called after every accepted change (may be NULL): parameters changed
     * so far, the tensor changed, encryption-set accuracy now. */
    void (*progress)(void *ctx, int64_t changed, const char *tensor, double accuracy);
    void *progress_ctx;
} eip_advparams_config;

/* Defaults for a problem with `classes` classes. */
eip_advparams_config eip_advparams_config_default(int32_t classes);

typedef struct eip_advparams_result {
    double acc_before, acc_after;   /* encryption-set accuracy */
    double loss_before, loss_after; /* encryption-set loss */
    int64_t changed;                /* parameters changed = key entries */
    int64_t n_params;               /* parameters of the net */
    int reached;                    /* 1 if acc_after <= target_acc */
    double *acc_curve;              /* [changed + 1]: accuracy after 0, 1, ... changes */
} eip_advparams_result;

void eip_advparams_result_free(eip_advparams_result *r);

/* Encrypts net in place.  enc is the encryption set (a few hundred training
 * images), normalised with mean/std [C]; its labels are the label ids of
 * `targets` (HARD: classes).  key receives the secret key (sorted entries,
 * both hashes); result (may be NULL) the measurements.  When the budget is
 * spent before the target accuracy, the call still succeeds with
 * result->reached = 0 (the caller decides). */
eip_status eip_advparams_encrypt(eip_nn_net_t *net, const eip_data_set *enc, const float *mean,
                                 const float *std, const eip_train_targets *targets,
                                 const eip_advparams_config *cfg, eip_advparams_key *key,
                                 eip_advparams_result *result, eip_error *err);

/* Restores the original parameters bit for bit.  Refuses (EIP_ERR_CRYPTO,
 * net unchanged) a key made for another model: the net's hash must equal the
 * key's encrypted-model hash, every entry must name a parameter holding the
 * perturbed bits, and the restored net must hash to the original hash. */
eip_status eip_advparams_decrypt(eip_nn_net_t *net, const eip_advparams_key *key, eip_error *err);

/* Applies a key to a model FILE: encrypt = 1 writes the perturbed values
 * (each must hold the original bits), 0 the original values (each must hold
 * the perturbed bits); everything else in the file is copied byte for byte,
 * atomically, to out_path.  Callers verify the model itself first
 * (eip_advparams_decrypt on the loaded net checks both hashes). */
eip_status eip_advparams_file_apply(const char *in_path, const char *out_path,
                                    const eip_advparams_key *key, int encrypt, eip_error *err);

/* Loss + accuracy of net on a normalised set (the default accuracy rule);
 * shared with the experiment code. */
eip_status eip_advparams_evaluate(eip_nn_net_t *net, const float *x, /* [N, C, H, W] */
                                  const int32_t *ids, /* [N] */ int64_t n,
                                  const eip_train_targets *targets, int64_t batch, double *loss,
                                  double *accuracy, eip_error *err);

/* Normalised copy of a dataset: *x malloc'd [N, C, H, W]. */
eip_status eip_advparams_normalise(const eip_data_set *ds, const float *mean, const float *std,
                                   float **x, eip_error *err);

#ifdef __cplusplus
}
#endif
#endif
