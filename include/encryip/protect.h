/* encryip protect module — EncryIP end to end (paper sections 4.2–4.5):
 *
 *   Algorithm 1 (learning)   eip_protect_run: keys, one fixed Enc per label,
 *                            verification instances labelled with Φ of Fake
 *                            (paper group) or targeted (ristretto255)
 *                            ciphertexts, soft-label training; then
 *                            eip_protect_bundle_write writes the bundle
 *                            (docs/PROTECT.md: deploy/, keys/, owner/,
 *                            manifest.json).
 *   Algorithm 2 (deploying)  eip_protect_predict: model -> Φ^-1 -> SampDist
 *                            (fresh CSPRNG randomness) -> confused label
 *                            (a ciphertext); no secret key involved.
 *   eq. (4)                  eip_protect_classify: predict + Dec(sk_j).
 *   section 4.4, eq. (5)     eip_protect_trace_score / _keyring: per-licensee
 *                            agreement counts of a suspect's printed labels
 *                            on the verification instances + a decision.
 *   combined protection      eip_protect_advparams_encrypt: AdvParams on the
 *                            protected weights (the bundle's file is useless
 *                            without keys/weights.key); eip_protect_model_unlock
 *                            restores them in memory only.
 *
 * Every object can be used in-process (experiment driver: protect once,
 * predict/decrypt/trace many times, nothing on disk) or through the bundle
 * files (CLI).  Call eip_crypto_init() first.
 *
 * Shape legend: N images, C channels, H rows, W columns, K model outputs
 * (3q for the paper group, the codebook size for ristretto255), z classes,
 * V verification instances, P licensees. */
#ifndef ENCRYIP_PROTECT_H
#define ENCRYIP_PROTECT_H

#include <stdint.h>

#include "encryip/advparams.h"
#include "encryip/crypto.h"
#include "encryip/data.h"
#include "encryip/error.h"
#include "encryip/keyring.h"
#include "encryip/nn.h"
#include "encryip/train.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EIP_PROTECT_VERSION 1          /* "protect.version" of a protected model */
/* "protect.version" of a model whose weights are AdvParams-encrypted
 * (protect --advparams): a reader that does not know about encrypted weights
 * refuses it instead of silently running them. */
#define EIP_PROTECT_VERSION_ADVPARAMS 2
/* Metadata keys of a protected model (docs/PROTECT.md), beside nn's
 * EIP_NN_META_* (norm.*, train.*); written by eip_protect_model_save. */
#define EIP_PROTECT_META_ADVPARAMS "protect.advparams"
#define EIP_PROTECT_META_BUNDLE "protect.bundle"
#define EIP_PROTECT_META_CLASSES "protect.classes"
#define EIP_PROTECT_META_CODEBOOK "protect.codebook"
#define EIP_PROTECT_META_DECODER "protect.decoder"
#define EIP_PROTECT_META_GROUP "protect.group"
#define EIP_PROTECT_META_K "protect.k"
#define EIP_PROTECT_META_PK_ID "protect.pk_id"
#define EIP_PROTECT_META_Q "protect.q"
#define EIP_PROTECT_META_VERSION "protect.version"
#define EIP_PROTECT_ADV_DEFAULT_ENC 256 /* encryption-set images */
#define EIP_PROTECT_ID_BYTES 16        /* bundle id: 32 hex characters */
#define EIP_PROTECT_MAX_VERIF 100000   /* verification instances in one bundle */
#define EIP_PROTECT_DEFAULT_FAKES 24   /* paper group: Fake instances */
#define EIP_PROTECT_DEFAULT_PER_LICENSEE 16 /* ristretto255: targeted instances per licensee */
#define EIP_PROTECT_VERIF_PRESENTATIONS 150 /* replicas x epochs of each verification instance */
/* Trace decision (docs/PROTECT.md "Tracing"): a licensee is named when its
 * agreement count has a binomial tail probability below this under chance
 * agreement (rate 1/z) AND at least 80% of its instances agree.  Why 80% and
 * not 50%: in the paper group (order q-1 = 10, composite) a key of ANOTHER
 * key generation decrypts with an error factor that can lie in the subgroup
 * of order 2, so a deployment using such a key agrees with some licensee on
 * about half of the Fake instances; the experiment driver saw 2/10 such
 * deployments named at 50% (docs/RESULTS.md "EncryIP").  Real leaks,
 * including pruned and fine-tuned ones, agreed on 24/24 in every test. */
#define EIP_PROTECT_TRACE_PVALUE 1e-6
#define EIP_PROTECT_TRACE_MIN_RATE 0.8

/* ---- verification set (section 4.4) ------------------------------------ */

/* Where the verification images x̄ come from: instances unlike the training
 * data. */
typedef enum eip_protect_verif_source {
    EIP_PROTECT_VERIF_NOISE = 0, /* seeded uniform-noise images */
    EIP_PROTECT_VERIF_MNIST = 1  /* MNIST test digits (for a non-digit model), seeded choice */
} eip_protect_verif_source;

/* V instances: images + the ciphertext each was trained with. */
typedef struct eip_protect_verif {
    eip_data_set images;      /* [V, C, H, W]; labels = instance index */
    int64_t n;                /* V */
    eip_crypto_ct *ct;        /* [V] c̄_i */
    eip_keyring_verif_kind *kind; /* [V] FAKE (paper group) or TARGETED (ristretto255) */
    int64_t *licensee;        /* [V] targeted: j; fake: 0 */
    int32_t *label;           /* [V] targeted: the label j reads; fake: EIP_CRYPTO_NOT_A_LABEL */
    char model[2 * EIP_PROTECT_ID_BYTES + 1]; /* bundle id (keyring "model" column) */
} eip_protect_verif;

void eip_protect_verif_free(eip_protect_verif *v);
/* Files: PREFIX.idx (images: idx3 ubyte [V, H, W] when C = 1, idx4
 * [V, C, H, W] otherwise), PREFIX.ct (crypto ciphertext file), PREFIX.json
 * (kind / licensee / label per instance, bundle id).  `json_path` names the
 * .json; the other two are its siblings (docs/PROTECT.md). */
eip_status eip_protect_verif_save(const eip_protect_verif *v, const eip_crypto_pk_t *pk,
                                  const char *json_path, eip_error *err);
eip_status eip_protect_verif_load(const eip_crypto_pk_t *pk, const char *json_path,
                                  eip_protect_verif *v, eip_error *err);

/* ---- Algorithm 1 (learning) --------------------------------------------- */

/* The caller builds the net (any zoo or config architecture) for output
 * width k; eip_protect_run initialises its parameters with the seed. */
typedef eip_status (*eip_protect_build_fn)(void *ctx, int64_t k, eip_nn_net_t **net, eip_error *err);
/* The caller fills the optimiser / schedule for `steps` iterations per
 * epoch (e.g. the CLI's eip_cli_train_config_fill). epochs, progress, eval
 * set by the callback are kept except eval (protect installs its own). */
typedef void (*eip_protect_trainconf_fn)(void *ctx, int64_t steps, eip_train_config *tc);
/* Stage messages ("keygen: ...", "encrypting labels ...") for progress. */
typedef void (*eip_protect_stage_fn)(void *ctx, const char *msg);

typedef struct eip_protect_config {
    const eip_data_set *train;     /* D: labels 0..z-1 (z = num_classes) */
    const eip_data_set *test;      /* may be NULL: per-epoch and final decode accuracy */
    eip_crypto_group_id group;
    int64_t q;                     /* paper group: 0 = smallest prime > z */
    int64_t licensees;             /* P (ignored when keys are given) */
    /* Reuse keys (both or neither): Gen is skipped, P = master's licensees. */
    const eip_crypto_pk_t *pk;
    const eip_crypto_master_t *master;
    /* Verification: paper group: `verif_count` Fake instances (0 = default
     * 24); ristretto255: `verif_count` targeted instances PER LICENSEE
     * (0 = default 16). */
    int64_t verif_count;
    eip_protect_verif_source verif_source;
    const char *mnist_dir;         /* VERIF_MNIST: NULL = default */
    /* Oversampling: each verification instance is replicated `verif_reps`
     * times (0 = automatic: enough that the replicas make up verif_fraction
     * of the training set (0 = 0.02) and that every instance is seen at
     * least EIP_PROTECT_VERIF_PRESENTATIONS times over all epochs, which is
     * what memorising them takes; measured in docs/PROTECT.md). */
    double verif_fraction;
    int64_t verif_reps;
    /* Training */
    eip_nn_ctx *nn;
    eip_protect_build_fn build;
    void *build_ctx;
    eip_protect_trainconf_fn trainconf;
    void *trainconf_ctx;
    int64_t batch;                 /* 0 = 128 */
    uint64_t seed;                 /* init, shuffling, dropout, noise images */
    /* Crypto randomness (keys, label ciphertexts, Fakes, slot order):
     * NULL = libsodium's CSPRNG; a seeded stream only for reproducible
     * tests and demos (whoever knows the seed recomputes every key). */
    eip_crypto_rng_t *crypto_rng;
    eip_protect_stage_fn stage;
    void *stage_ctx;
    int64_t eval_limit;            /* per-epoch eval on the first N test images (0 = all) */
} eip_protect_config;

/* Everything Algorithm 1 produced, in memory. */
typedef struct eip_protect_result {
    eip_nn_net_t *net;             /* trained [M] */
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *master;
    int64_t licensees;             /* P */
    eip_crypto_sk_t **sk;          /* [P], sk[j-1] = sk_j */
    eip_crypto_codebook_t *codebook;        /* owner's: labels kept */
    eip_crypto_codebook_t *deploy_codebook; /* same slots, every label -1 */
    eip_protect_verif verif;
    float mean[EIP_DATA_MAX_CHANNELS], std[EIP_DATA_MAX_CHANNELS]; /* [C] normalisation */
    int64_t k;                     /* model output width */
    int64_t train_n, verif_reps;   /* training images, replicas per verification instance */
    double test_acc_ml, test_acc_argmax; /* decode accuracy (owner codebook), -1 without test */
    double verif_memorised;        /* fraction of x̄_i decoded to their own c̄_i (ML) */
    eip_train_history history;
    char id[2 * EIP_PROTECT_ID_BYTES + 1]; /* bundle id (hex) */
    double seconds;
    /* Combined protection (eip_protect_advparams_encrypt): adv_key.n > 0
     * when net holds AdvParams-encrypted weights; adv_key restores them
     * (secret: wiped by eip_protect_result_free). */
    eip_advparams_key adv_key;
    eip_advparams_result adv;      /* changed, n_params, enc-set accuracy before/after, curve */
    int64_t adv_enc_n;             /* encryption-set images */
    double adv_target;             /* encryption-set accuracy AdvParams aimed at */
} eip_protect_result;

/* Output width K for a configuration (paper: 3q; ristretto255: z + P*V). */
int64_t eip_protect_output_width(eip_crypto_group_id group, int64_t q, int32_t classes,
                                 int64_t licensees, int64_t verif_count);

eip_status eip_protect_run(const eip_protect_config *cfg, eip_protect_result *out, eip_error *err);
void eip_protect_result_free(eip_protect_result *r);

/* ---- memorisation check (docs/PROTECT.md "Memorisation rule") ------------ */

/* Whether trace can name each licensee of a fresh protect result: a
 * deployment run with sk_j prints Dec(sk_j, ·) of the codeword the model
 * outputs, so trace sees a match on instance i exactly when the model
 * memorised it (ML codeword = c̄_i).  Licensee j passes when, over its
 * instances (paper group: all Fakes; ristretto255: those targeted at j),
 * hit >= EIP_PROTECT_TRACE_MIN_RATE * total and the binomial tail of hit
 * under chance 1/classes is below EIP_PROTECT_TRACE_PVALUE — the rule
 * eip_protect_trace_score applies. */
typedef struct eip_protect_memcheck {
    int ok;                /* every licensee passes */
    double rate;           /* memorised fraction over all instances */
    int64_t worst;         /* licensee number j with the lowest hit/total */
    int64_t worst_hit, worst_total;
    double worst_pvalue;
    int64_t failing;       /* licensees that do not pass */
} eip_protect_memcheck;

eip_status eip_protect_memorisation_check(const eip_protect_result *r, int32_t classes,
                                          eip_protect_memcheck *out, eip_error *err);

/* ---- combined protection: AdvParams on the protected model ---------------- */

/* Encrypts r->net in place with AdvParams (docs/PROTECT.md "Combined
 * protection"): enc_n (0 = EIP_PROTECT_ADV_DEFAULT_ENC) training images
 * drawn by a shuffle seeded from the bundle id, the targets Algorithm 1
 * trained with (paper group: Φ(c_y) blocks; ristretto255: the label's slot
 * as a hard class), and an accuracy rule that decodes with the owner's
 * labelled codebook (ML) and compares with the true label — what every
 * licensee key would decrypt.  cfg NULL = eip_advparams_config_default(z);
 * its acc_fn is replaced by that rule.  The key and measurements go to
 * r->adv_key / r->adv.  A budget spent before the target accuracy still
 * succeeds with r->adv.reached = 0 (the caller decides).  Refuses an
 * already encrypted result (EIP_ERR_STATE); on failure r->net is unchanged. */
eip_status eip_protect_advparams_encrypt(eip_protect_result *r, const eip_data_set *train,
                                         int64_t enc_n, const eip_advparams_config *cfg,
                                         eip_error *err);

/* What eip_protect_bundle_write records in manifest.json besides the result. */
typedef struct eip_protect_bundle_info {
    const char *dataset;           /* "fashion-mnist" */
    const char *arch;              /* "smallcnn" / config path */
    double width;
    int64_t epochs, batch;
    double lr, wd;
    const char *optim, *schedule;
    uint64_t seed;
    int crypto_seeded;             /* 1: keys from a seeded stream (not for real use) */
    const char *verif_source;      /* "noise" / "mnist" */
    const char *command;           /* command line, may be NULL */
} eip_protect_bundle_info;

/* Writes the bundle (docs/PROTECT.md) into a temporary directory next to
 * dir and renames it into place at the end: a failed run leaves nothing.
 * An AdvParams-encrypted result (r->adv_key.n > 0) writes its encrypted
 * weights to deploy/ and the weights key to keys/weights.key (0600; one key
 * for every licensee); a result whose net was unlocked in memory since is
 * refused (it would write plaintext weights).
 * An existing dir is refused (EIP_ERR_STATE) unless force, and even then
 * only if it holds a manifest.json (an encryip bundle). */
eip_status eip_protect_bundle_write(const eip_protect_result *r, const eip_protect_bundle_info *info,
                                    const char *dir, int force, eip_error *err);
/* The checks eip_protect_bundle_write will make of dir (writable parent,
 * existing dir refused unless force and a bundle), done now: call it before
 * training.  Trailing slashes are ignored. */
eip_status eip_protect_bundle_check_out(const char *dir, int force, eip_error *err);
/* Every file manifest.json lists (but owner/keyring.sqlite and
 * owner/master.key, which licensee add and trace update) has
 * the recorded BLAKE2b-256; EIP_ERR_CHECKSUM naming the first that differs. */
eip_status eip_protect_bundle_verify(const char *dir, eip_error *err);

/* ---- the deployable model (what a licensee receives) -------------------- */

typedef struct eip_protect_model eip_protect_model_t;

/* Loads DIR/deploy (path may be the deploy dir, the bundle dir, or the
 * model.safetensors inside deploy/) with strict checks: protect metadata
 * present and of this version, public key / codebook ids and hashes match,
 * K = Φ dimension, normalisation present.  A plain model is refused
 * ("not a protected model"). */
eip_status eip_protect_model_load(eip_nn_ctx *ctx, const char *path, eip_protect_model_t **out,
                                  eip_error *err);
/* eip_protect_model_load checks deploy/integrity.json (BLAKE2b-256 of the
 * weights, public key and codebook) and refuses a missing record or a
 * modified file (EIP_ERR_FORMAT / EIP_ERR_CHECKSUM naming it).  With
 * EIP_PROTECT_LOAD_UNVERIFIED it skips that check: for a model that is
 * knowingly not as protect wrote it (a suspect's copy, an attacked model). */
enum { EIP_PROTECT_LOAD_UNVERIFIED = 1 };
eip_status eip_protect_model_load_flags(eip_nn_ctx *ctx, const char *path, unsigned flags,
                                        eip_protect_model_t **out, eip_error *err);
/* In-memory handle from a protect result (the net is SHARED with r: do not
 * free r first; modifications of the net, e.g. pruning or unlocking,
 * affect both).  An AdvParams-encrypted result gives a handle that is
 * locked while the net holds the encrypted weights. */
eip_status eip_protect_model_from_result(const eip_protect_result *r, eip_protect_model_t **out,
                                         eip_error *err);
void eip_protect_model_free(eip_protect_model_t *m);
/* Writes a deploy dir (model.safetensors, public.key, codebook.bin) of the
 * model's current weights (e.g. after a simulated pruning or fine-tuning of
 * a leaked copy).  Refuses an existing dir unless force, and an
 * AdvParams-encrypted model that is unlocked (EIP_ERR_STATE: it would write
 * plaintext weights; a locked one is written encrypted). */
eip_status eip_protect_model_save(const eip_protect_model_t *m, const char *dir, int force,
                                  eip_error *err);

/* Combined protection: 1 if the model's weights are AdvParams-encrypted
 * (metadata protect.advparams = hex of the key's encrypted-model hash),
 * locked or not; 1 if they are still encrypted (locked).  Algorithm 2 runs
 * on locked weights too (that is the stolen-file measurement); the CLI
 * refuses them unless asked (--locked). */
int eip_protect_model_advparams(const eip_protect_model_t *m);
int eip_protect_model_locked(const eip_protect_model_t *m);
/* Restores the weights IN MEMORY with the AdvParams weights key
 * (eip_advparams_decrypt: bit for bit, both model hashes checked).  Refuses
 * (model unchanged) a model without encrypted weights (EIP_ERR_ARG), an
 * unlocked one (EIP_ERR_STATE), and a key of another model (EIP_ERR_CRYPTO:
 * the key's hash differs from protect.advparams, or the weights were
 * modified since encryption). */
eip_status eip_protect_model_unlock(eip_protect_model_t *m, const eip_advparams_key *key,
                                    eip_error *err);
/* The model file it was loaded from ("" for an in-memory handle). */
const char *eip_protect_model_path(const eip_protect_model_t *m);

eip_nn_net_t *eip_protect_model_net(eip_protect_model_t *m);
const eip_crypto_pk_t *eip_protect_model_pk(const eip_protect_model_t *m);
const eip_crypto_codebook_t *eip_protect_model_codebook(const eip_protect_model_t *m);
const float *eip_protect_model_mean(const eip_protect_model_t *m); /* [C] */
const float *eip_protect_model_std(const eip_protect_model_t *m);  /* [C] */
void eip_protect_model_shape(const eip_protect_model_t *m, int32_t *c, int32_t *h, int32_t *w);
/* Decoder for Φ^-1 (default ML, as recorded in the model metadata). */
void eip_protect_model_set_decoder(eip_protect_model_t *m, eip_crypto_phi_decoder d);
/* Checks an image set's shape against the model (EIP_ERR_SHAPE naming
 * `what` and both shapes). */
eip_status eip_protect_model_check_shape(const eip_protect_model_t *m, const char *what,
                                         int32_t c, int32_t h, int32_t w, eip_error *err);

/* Input images for predict / classify / trace: an idx3 ubyte file [N, H, W]
 * (C = 1) or idx4 ubyte [N, C, H, W], raw or .gz.  out: labels 0,
 * num_classes 1. */
eip_status eip_protect_images_load(const char *path, eip_data_set *out, eip_error *err);
/* Writes images [N, C, H, W] as idx3 (C = 1) or idx4 (C > 1), uncompressed. */
eip_status eip_protect_images_save(const eip_data_set *ds, const char *path, eip_error *err);

/* Raw model outputs [N, K] (EVAL mode) for uint8 images [N, C, H, W]
 * normalised with the model's statistics. */
eip_status eip_protect_forward(eip_protect_model_t *m, const uint8_t *pixels, int64_t n,
                               float *out /* [N, K] */, eip_error *err);

/* Algorithm 2 for each image: y = [M](x); c = Φ^-1(y); c_d = SampDist(c)
 * (rng NULL = CSPRNG, fresh per query); out[i] = c_d — Φ(c_d) is the
 * confused label ([y_d], eq. (2) for the paper group).  slots (may be NULL):
 * the codebook slot Φ^-1 chose ([N]; what the model "knows"). */
eip_status eip_protect_predict(eip_protect_model_t *m, const uint8_t *pixels /* [N, C, H, W] */,
                               int64_t n, eip_crypto_rng_t *rng, eip_crypto_ct *out /* [N] */,
                               int64_t *slots /* [N] or NULL */, eip_error *err);
/* Same from model outputs already computed (y: [N, K]). */
eip_status eip_protect_predict_outputs(const eip_protect_model_t *m, const float *y /* [N, K] */,
                                       int64_t n, eip_crypto_rng_t *rng, eip_crypto_ct *out,
                                       int64_t *slots, eip_error *err);
/* Eq. (4) for each ciphertext: labels[i] = Dec(sk, c[i]) as a label
 * (EIP_CRYPTO_NOT_A_LABEL where it is none).  check_key: refuse a key of
 * another public key (EIP_ERR_CRYPTO); 0 decrypts anyway (experiments with
 * an incorrect key, Table 1 "EncryIP_Incorrect"). */
eip_status eip_protect_decrypt(const eip_protect_model_t *m, const eip_crypto_sk_t *sk,
                               int check_key, const eip_crypto_ct *c, int64_t n,
                               int32_t *labels /* [N] */, eip_error *err);
/* predict + decrypt: what an authorised user runs (key checked). */
eip_status eip_protect_classify(eip_protect_model_t *m, const eip_crypto_sk_t *sk,
                                const uint8_t *pixels, int64_t n, int32_t *labels /* [N] */,
                                eip_error *err);

/* Accuracy figures on a labelled set in one forward pass. */
typedef struct eip_protect_accuracy {
    int64_t n;
    double key_ml;        /* predict (ML) + Dec with the given key */
    double key_argmax;    /* predict (eq. 3 arg-max) + Dec with the given key */
    double codebook_ml;   /* owner's labelled codebook: label of the ML slot (needs owner cb) */
    double not_a_label;   /* fraction of key_ml decryptions that are no label */
    double verif_slot;    /* fraction decoded to a verification codeword (needs owner cb):
                             such outputs decrypt differently under each key (Fake), so
                             codebook_ml <= key_ml <= codebook_ml + verif_slot */
} eip_protect_accuracy;
/* sk may be NULL (key figures = -1); owner_cb may be NULL (codebook_ml =
 * -1); sk of another public key is decrypted anyway (incorrect-key figure).
 * ristretto255 with a key of m's public key: one SampDist + Dec per
 * distinct codebook slot, and key_argmax = key_ml (the decoders pick the
 * same slot and the decryption does not depend on SampDist's randomness). */
eip_status eip_protect_decode_accuracy(eip_protect_model_t *m, const eip_crypto_sk_t *sk,
                                       const eip_crypto_codebook_t *owner_cb, const eip_data_set *ds,
                                       eip_crypto_rng_t *rng, eip_protect_accuracy *acc,
                                       eip_error *err);

/* ---- simulated leaks (section 4.5 (1), removal attacks) ------------------ */

/* Fine-tuning targets a leaking licensee can rebuild with its own key: for
 * each label y the codebook slot the model uses for the licensee's images
 * of class y (majority over `data`, counting only slots whose codeword
 * decrypts to y under sk).  table: malloc'd [z, K] (caller frees):
 * paper group Φ(codeword) rows (BLOCK, 3 blocks), ristretto255 one-hot over
 * slots (SOFT).  For eip_attack_finetune with data labelled 0..z-1. */
eip_status eip_protect_leaker_targets(eip_protect_model_t *m, const eip_crypto_sk_t *sk,
                                      const eip_data_set *data, float **table,
                                      eip_train_targets *targets, eip_error *err);

/* ---- verification, section 4.4 "secret key unavailable" ----------------- */

typedef struct eip_protect_trace_result {
    int64_t licensees;   /* P */
    int64_t *id;         /* [P] licensee ids */
    int64_t *matched;    /* [P] instances whose printed label = Dec(sk_k, c̄_i) */
    int64_t *total;      /* [P] instances where Dec(sk_k, c̄_i) is a label */
    double *pvalue;      /* [P] binomial tail P[X >= matched], X ~ Bin(total, 1/z) */
    int64_t named;       /* licensee id, 0 = no licensee */
    int64_t queried;     /* V */
    int64_t answered;    /* instances with a printed label */
} eip_protect_trace_result;

void eip_protect_trace_result_free(eip_protect_trace_result *t);

/* Eq. (5) over all instances.  expected: [P, V] labels Dec(sk_k, c̄_i)
 * (EIP_CRYPTO_NOT_A_LABEL where none), ids [P]; printed [V]: the suspect's
 * labels (EIP_CRYPTO_NOT_A_LABEL = no label).  Decision: the licensee with
 * the smallest p-value is named if p < EIP_PROTECT_TRACE_PVALUE and
 * matched >= EIP_PROTECT_TRACE_MIN_RATE * total. */
eip_status eip_protect_trace_score(const int32_t *expected, const int64_t *ids, int64_t p,
                                   int64_t v, int32_t classes, const int32_t *printed,
                                   eip_protect_trace_result *out, eip_error *err);
/* Expected decryptions from the keyring (every licensee, also those added
 * after training), then eip_protect_trace_score. */
eip_status eip_protect_trace_keyring(eip_keyring_t *kr, const eip_protect_verif *v,
                                     const int32_t *printed, eip_protect_trace_result *out,
                                     eip_error *err);
/* Expected decryptions from an in-memory key list (sk [P]). */
eip_status eip_protect_trace_keys(eip_crypto_sk_t *const *sk, int64_t p, const eip_protect_verif *v,
                                  const int32_t *printed, eip_protect_trace_result *out,
                                  eip_error *err);

/* Binomial upper tail P[X >= k], X ~ Bin(n, p) (log-space, exact sum). */
double eip_protect_binom_tail(int64_t n, int64_t k, double p);

/* ---- a model trained elsewhere (PyTorch, docs/PYTHON.md) -------------------
 * Algorithm 1 without the training step: eip_protect_plan_create draws the
 * keys, codewords, verification set and secret slot order exactly as
 * eip_protect_run does; the caller trains its own model on the targets
 * (ids: labels 0..z-1, verification instances z..z+V-1, each replicated
 * eip_protect_verif_reps_auto times), checks memorisation, and writes the
 * bundle skeleton (deploy/public.key + codebook.bin, keys/, owner/: what
 * `encryip trace`, `licensee`, `decrypt` and `verify-key` use; no
 * model.safetensors — the weights stay in the caller's format). */

typedef struct eip_protect_plan eip_protect_plan_t;

typedef struct eip_protect_plan_config {
    int32_t classes;               /* z */
    eip_crypto_group_id group;     /* ignored when keys are given */
    int64_t q;                     /* paper group: 0 = smallest prime > z */
    int64_t licensees;             /* P (ignored when keys are given) */
    const eip_crypto_pk_t *pk;     /* reuse keys (both or neither) */
    const eip_crypto_master_t *master;
    int64_t verif_count;           /* as eip_protect_config (0 = default) */
    /* verification images: the caller's [verif_n, C, H, W] (verif_n must be
     * the plan's V), or NULL for verif_source */
    const uint8_t *verif_pixels;
    int64_t verif_n;
    eip_protect_verif_source verif_source;
    const char *mnist_dir;         /* VERIF_MNIST: NULL = default */
    int32_t c, h, w;               /* image shape of the model's input */
    uint64_t seed;                 /* noise images, targeted labels, bundle id */
    eip_crypto_rng_t *crypto_rng;  /* NULL = CSPRNG (seeded: tests only) */
} eip_protect_plan_config;

eip_status eip_protect_plan_create(const eip_protect_plan_config *cfg, eip_protect_plan_t **out,
                                   eip_error *err);
/* From a bundle's deploy/public.key and owner/ (master key, labelled
 * codebook, verification set): a CLI bundle too. */
eip_status eip_protect_plan_load(const char *bundle_dir, eip_protect_plan_t **out, eip_error *err);
void eip_protect_plan_free(eip_protect_plan_t *p);
/* Bundle skeleton (eip_protect_bundle_write rules: atomic, force only over
 * a bundle).  info may be NULL. */
eip_status eip_protect_plan_write(const eip_protect_plan_t *p, const eip_protect_bundle_info *info,
                                  const char *dir, int force, eip_error *err);
int64_t eip_protect_plan_outputs(const eip_protect_plan_t *p);     /* K */
int32_t eip_protect_plan_classes(const eip_protect_plan_t *p);     /* z */
int64_t eip_protect_plan_licensees(const eip_protect_plan_t *p);   /* P */
int64_t eip_protect_plan_verif_count(const eip_protect_plan_t *p); /* V */
const char *eip_protect_plan_id(const eip_protect_plan_t *p);      /* bundle id (hex) */
const eip_crypto_pk_t *eip_protect_plan_pk(const eip_protect_plan_t *p);
const eip_crypto_codebook_t *eip_protect_plan_codebook(const eip_protect_plan_t *p); /* owner's */
const eip_protect_verif *eip_protect_plan_verif(const eip_protect_plan_t *p);
void eip_protect_plan_verif_shape(const eip_protect_plan_t *p, int32_t *c, int32_t *h, int32_t *w);
/* Training targets of ids [N] (0..z-1 labels, z+i verification instance i):
 * soft [N, K] (may be NULL): paper group Φ(c_id) = 3 one-hot blocks of q
 * (eq. 2; block soft-label cross-entropy), ristretto255 one-hot over the
 * slots; slots [N] (may be NULL): the codebook slot of c_id (ristretto255:
 * the class of a slot cross-entropy).  EIP_ERR_RANGE for an id outside. */
eip_status eip_protect_plan_targets(const eip_protect_plan_t *p, const int32_t *ids, int64_t n,
                                    float *soft /* [N, K] */, int64_t *slots /* [N] */,
                                    eip_error *err);
/* Replicas per verification instance for train_n training images and
 * `epochs` (eip_protect_run's automatic rule; fraction 0 = 0.02). */
int64_t eip_protect_verif_reps_auto(int64_t train_n, int64_t v, int64_t epochs, double fraction);
/* Memorisation check on the model's outputs for the verification images
 * (y [V, K], logits): *rate = fraction decoded (ML, owner codebook) to their
 * own c̄_i.  EIP_ERR_STATE, naming the licensee, when tracing's decision
 * rule (EIP_PROTECT_TRACE_PVALUE, EIP_PROTECT_TRACE_MIN_RATE) would not
 * name some licensee whose deployment answers exactly what the model
 * memorised. */
eip_status eip_protect_plan_check_memorised(const eip_protect_plan_t *p, const float *y /* [V, K] */,
                                            int64_t v, int64_t k, double *rate, eip_error *err);
/* Per-instance memorisation of outputs y [V, K] (hit_each [V] may be NULL). */
eip_status eip_protect_memorised_outputs(const eip_crypto_pk_t *pk, const eip_crypto_codebook_t *owner_cb,
                                         const eip_protect_verif *v, const float *y /* [V, K] */,
                                         int64_t k, uint8_t *hit_each, int64_t *hits, eip_error *err);

/* A protected-model head: deploy/public.key + codebook.bin without weights
 * (path: bundle or deploy dir), for Algorithm 2 on outputs computed
 * elsewhere: eip_protect_predict_outputs (ML by default,
 * eip_protect_model_set_decoder) and eip_protect_decrypt.  forward, predict
 * and save refuse it (EIP_ERR_STATE). */
eip_status eip_protect_model_load_head(const char *path, eip_protect_model_t **out, eip_error *err);
int64_t eip_protect_model_outputs(const eip_protect_model_t *m); /* K */
/* Eq. (4) with a key alone, over all cores: labels[i] = Dec(sk, c[i]) (EIP_CRYPTO_NOT_A_LABEL
 * where none).  pk_id (may be NULL): the ciphertexts' public key id; a key
 * of another public key is refused (EIP_ERR_CRYPTO). */
eip_status eip_protect_decrypt_key(const eip_crypto_sk_t *sk, const unsigned char *pk_id,
                                   const eip_crypto_ct *c /* [N] */, int64_t n,
                                   int32_t *labels /* [N] */, eip_error *err);

/* Tracing with a suspect that is not a command (Python callable): opens the
 * keyring and verification set and checks that the set holds exactly the
 * ciphertexts the keyring recorded; the caller queries the suspect with
 * the images and scores its labels (eip_protect_trace_keyring: same
 * statistics and decision as `encryip trace`). */
typedef struct eip_protect_tracer eip_protect_tracer_t;
eip_status eip_protect_tracer_open(const char *keyring, const char *verification_json,
                                   eip_protect_tracer_t **out, eip_error *err);
void eip_protect_tracer_free(eip_protect_tracer_t *t);
eip_keyring_t *eip_protect_tracer_keyring(eip_protect_tracer_t *t); /* borrowed (names, log) */
const eip_protect_verif *eip_protect_tracer_verif(const eip_protect_tracer_t *t);
int64_t eip_protect_tracer_count(const eip_protect_tracer_t *t); /* V */
const uint8_t *eip_protect_tracer_images(const eip_protect_tracer_t *t, int32_t *c, int32_t *h,
                                         int32_t *w); /* [V, C, H, W] */
/* printed [n = V]: the suspect's labels, EIP_CRYPTO_NOT_A_LABEL for none. */
eip_status eip_protect_tracer_score(eip_protect_tracer_t *t, const int32_t *printed, int64_t n,
                                    eip_protect_trace_result *out, eip_error *err);

/* ---- serving (encryip serve, docs/SERVE.md) ------------------------------
 * Thread use of one model: eip_protect_forward / _forward_f32 / _predict run
 * one at a time (the net keeps per-batch-size plans and buffers: serialise
 * them); eip_protect_predict_outputs with rng NULL only reads the model
 * (libsodium's CSPRNG is thread-safe) and may run from several threads at
 * once, also while a forward runs. */

/* Raw model outputs [N, K] (EVAL mode) for float pixels [N, C, H, W] in
 * [0, 1] (the uint8 path's pixel / 255), normalised with the model's
 * statistics.  A value outside [0, 1] or NaN: EIP_ERR_RANGE naming the image. */
eip_status eip_protect_forward_f32(eip_protect_model_t *m, const float *x /* [N, C, H, W] */,
                                   int64_t n, float *out /* [N, K] */, eip_error *err);
/* Call once on a thread (other than the one that ran eip_nn_ctx_init) that
 * runs forwards: gives it the context's thread count (OpenMP's count is per
 * thread; without this a new thread's forwards use every core whatever
 * --threads said). */
void eip_protect_forward_thread_init(const eip_nn_ctx *ctx);

#ifdef __cplusplus
}
#endif
#endif
