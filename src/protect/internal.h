/* Private helpers of the protect module (EncryIP end to end). */
#ifndef EIP_PROTECT_INTERNAL_H
#define EIP_PROTECT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "encryip/ckpt.h"
#include "encryip/protect.h"

#define EIP_PROTECT_MAX_META 48
#define EIP_PROTECT_META_VALUE 512

/* The deployable model: net + what Algorithm 2 needs. */
struct eip_protect_model {
    eip_nn_net_t *net;     /* owned iff own_net */
    int own_net;
    eip_crypto_pk_t *pk;   /* owned */
    eip_crypto_codebook_t *cb; /* deploy codebook (labels -1), owned */
    float mean[EIP_DATA_MAX_CHANNELS], std[EIP_DATA_MAX_CHANNELS];
    int32_t c, h, w;
    int64_t k;
    eip_crypto_phi_decoder dec;
    /* combined protection: adv = the weights are AdvParams-encrypted
     * (protect.advparams), locked = the net still holds the encrypted
     * weights; adv_hash = the key's encrypted-model hash */
    int adv, locked;
    uint8_t adv_hash[EIP_ADVPARAMS_HASH_BYTES];
    char path[4200];       /* model file ("" in memory) */
    /* metadata written next to the weights (protect.*, norm.*, train.*) */
    size_t n_meta;
    char meta_key[EIP_PROTECT_MAX_META][64];
    char meta_val[EIP_PROTECT_MAX_META][EIP_PROTECT_META_VALUE];
};

/* BLAKE2b-256 of a buffer / a file as 64 hex characters + NUL. */
void eip_protect_hash_hex(const unsigned char *buf, size_t len, char out[65]);
eip_status eip_protect_file_hash(const char *path, char out[65], eip_error *err);

/* Deep copies through the crypto formats. */
eip_status eip_protect_pk_clone(const eip_crypto_pk_t *pk, eip_crypto_pk_t **out, eip_error *err);
eip_status eip_protect_codebook_clone(const eip_crypto_pk_t *pk, const eip_crypto_codebook_t *cb,
                                      int unlabel, eip_crypto_codebook_t **out, eip_error *err);

/* Builds a model handle around a net (borrowed unless own_net) with copies
 * of pk and cb; metadata filled from the arguments. */
eip_status eip_protect_model_wrap(eip_nn_net_t *net, int own_net, const eip_crypto_pk_t *pk,
                                  const eip_crypto_codebook_t *cb, const float *mean,
                                  const float *std, const char *bundle_id,
                                  eip_protect_model_t **out, eip_error *err);
eip_status eip_protect_model_meta_set(eip_protect_model_t *m, const char *key, const char *value,
                                      eip_error *err);

/* Algorithm 1's training targets for label ids 0..n_ids-1 with codewords
 * ids_ct [n_ids] (learn.c): paper group BLOCK, row id = Φ(c_id) (eq. 2; 3
 * blocks, *table malloc'd [n_ids, K], caller frees); ristretto255 HARD over
 * codebook slots (*table NULL; the caller labels images with their slot). */
eip_status eip_protect_targets(const eip_crypto_pk_t *pk, const eip_crypto_ct *ids_ct,
                               int64_t n_ids, int64_t k, float **table, eip_train_targets *t,
                               eip_error *err);

/* Combined protection marks (model.c, used by combined.c): marks m as holding AdvParams-encrypted
 * weights with encrypted-model hash h (metadata protect.version 2 +
 * protect.advparams); locked as given. */
eip_status eip_protect_model_adv_mark(eip_protect_model_t *m,
                                      const uint8_t h[EIP_ADVPARAMS_HASH_BYTES], int locked,
                                      eip_error *err);
/* protect.advparams value (64 lower-case hex characters) -> hash. */
eip_status eip_protect_adv_hash_parse(const char *what, const char *hex,
                                      uint8_t h[EIP_ADVPARAMS_HASH_BYTES], eip_error *err);

/* Verification set pieces (verifset.c). */
eip_status eip_protect_verif_alloc(eip_protect_verif *v, int64_t n, eip_error *err);
eip_status eip_protect_verif_images(eip_protect_verif_source src, int64_t n, int32_t c, int32_t h,
                                    int32_t w, uint64_t seed, const char *mnist_dir,
                                    eip_data_set *out, eip_error *err);

/* Algorithm 1's set-up steps (setup.c), shared with the training-free
 * plan (plan.c): keys (clone cfg->pk/master or Gen) and sk_j into out;
 * codewords in id order (*ids_ct [z+V]: labels then verification), the
 * verification ciphertexts in out->verif, the secret slot permutation
 * (*perm [z+V]: slot of id) and both codebooks.  Use cfg->licensees, q,
 * group, verif_count, seed, crypto_rng, stage and train->num_classes only. */
/* Progress line through cfg->stage (setup.c). */
void eip_protect_stage(const eip_protect_config *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
eip_status eip_protect_keys_setup(const eip_protect_config *cfg, eip_protect_result *out,
                                  eip_error *err);
eip_status eip_protect_codewords_setup(const eip_protect_config *cfg, eip_protect_result *out,
                                      eip_crypto_ct **ids_ct, int64_t **perm_out, eip_error *err);

/* Bundle id (hex): BLAKE2b-128(pk id || seed) (setup.c). */
void eip_protect_bundle_id(const eip_crypto_pk_t *pk, uint64_t seed,
                           char out[2 * EIP_PROTECT_ID_BYTES + 1]);

/* Removes a directory tree (bundle replaced with --force, temp dirs). */
void eip_protect_rmtree(const char *dir);

#endif
