/* The deployable protected model handle: building it around a net, loading
 * and saving the deploy directory, its metadata.  The lowest layer of the
 * protect module: predict.c (Algorithm 2) and everything above build on it.
 *
 * Model metadata (safetensors "__metadata__", docs/PROTECT.md):
 *   protect.version, protect.group, protect.classes, protect.q, protect.k,
 *   protect.pk_id (hex), protect.codebook (BLAKE2b-256 of codebook.bin),
 *   protect.decoder ("ml"), protect.bundle (bundle id), norm.mean, norm.std,
 *   train.* (settings, informational); AdvParams-encrypted weights (combined
 *   protection): protect.version 2 and protect.advparams (hex of the weights
 *   key's encrypted-model hash). */
#include <sodium.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "encryip/ckpt.h"
#include "protect/internal.h"
#include "util/io.h"
#include "util/parse.h"

eip_status eip_protect_model_meta_set(eip_protect_model_t *m, const char *key, const char *value,
                                      eip_error *err)
{
    size_t i = 0;
    while (i < m->n_meta && strcmp(m->meta_key[i], key))
        i++;
    if (i == EIP_PROTECT_MAX_META || strlen(key) >= sizeof m->meta_key[0] ||
        strlen(value) >= sizeof m->meta_val[0])
        return eip_error_set(err, EIP_ERR_RANGE, "model metadata %s: too many entries or too long", key);
    snprintf(m->meta_key[i], sizeof m->meta_key[i], "%s", key);
    snprintf(m->meta_val[i], sizeof m->meta_val[i], "%s", value);
    if (i == m->n_meta)
        m->n_meta++;
    return EIP_OK;
}

void eip_protect_model_free(eip_protect_model_t *m)
{
    if (!m)
        return;
    if (m->own_net)
        eip_nn_net_free(m->net);
    eip_crypto_pk_free(m->pk);
    eip_crypto_codebook_free(m->cb);
    free(m);
}

static eip_status codebook_hash(const eip_crypto_codebook_t *cb, char out[65], eip_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_status s = eip_crypto_codebook_to_bytes(cb, &buf, &len, err);
    if (s)
        return s;
    eip_protect_hash_hex(buf, len, out);
    free(buf);
    return EIP_OK;
}

eip_status eip_protect_model_wrap(eip_nn_net_t *net, int own_net, const eip_crypto_pk_t *pk,
                                  const eip_crypto_codebook_t *cb, const float *mean,
                                  const float *std, const char *bundle_id,
                                  eip_protect_model_t **out, eip_error *err)
{
    *out = NULL;
    eip_protect_model_t *m = calloc(1, sizeof *m);
    if (!m)
        return eip_error_set(err, EIP_ERR_NOMEM, "protected model: out of memory");
    m->net = net;
    m->own_net = own_net;
    int64_t c, h, w;
    eip_nn_input_shape(net, &c, &h, &w);
    m->c = (int32_t)c;
    m->h = (int32_t)h;
    m->w = (int32_t)w;
    m->k = eip_nn_output_size(net);
    m->dec = EIP_CRYPTO_PHI_ML;
    memcpy(m->mean, mean, (size_t)c * sizeof *mean);
    memcpy(m->std, std, (size_t)c * sizeof *std);
    eip_status s;
    if ((s = eip_protect_pk_clone(pk, &m->pk, err)) ||
        (s = eip_protect_codebook_clone(pk, cb, 1, &m->cb, err)))
        goto fail;
    if (eip_crypto_phi_dim(m->pk, m->cb) != m->k) {
        s = eip_error_set(err, EIP_ERR_SHAPE, "protected model: the net outputs %lld values, Φ needs %lld",
                          (long long)m->k, (long long)eip_crypto_phi_dim(m->pk, m->cb));
        goto fail;
    }
    char buf[EIP_PROTECT_META_VALUE], hash[65];
    if ((s = codebook_hash(m->cb, hash, err)))
        goto fail;
    snprintf(buf, sizeof buf, "%d", EIP_PROTECT_VERSION);
    if ((s = eip_protect_model_meta_set(m, EIP_PROTECT_META_VERSION, buf, err)) ||
        (s = eip_protect_model_meta_set(m, EIP_PROTECT_META_GROUP,
                                        eip_crypto_group_name(eip_crypto_pk_group(pk)), err)))
        goto fail;
    snprintf(buf, sizeof buf, "%d", (int)eip_crypto_pk_classes(pk));
    if ((s = eip_protect_model_meta_set(m, EIP_PROTECT_META_CLASSES, buf, err)))
        goto fail;
    snprintf(buf, sizeof buf, "%lld", (long long)eip_crypto_pk_q(pk));
    if ((s = eip_protect_model_meta_set(m, EIP_PROTECT_META_Q, buf, err)))
        goto fail;
    snprintf(buf, sizeof buf, "%lld", (long long)m->k);
    if ((s = eip_protect_model_meta_set(m, EIP_PROTECT_META_K, buf, err)))
        goto fail;
    sodium_bin2hex(buf, sizeof buf, eip_crypto_pk_id(pk), EIP_CRYPTO_PKID_BYTES);
    if ((s = eip_protect_model_meta_set(m, EIP_PROTECT_META_PK_ID, buf, err)) ||
        (s = eip_protect_model_meta_set(m, EIP_PROTECT_META_CODEBOOK, hash, err)) ||
        (s = eip_protect_model_meta_set(m, EIP_PROTECT_META_DECODER, "ml", err)) ||
        (s = eip_protect_model_meta_set(m, EIP_PROTECT_META_BUNDLE, bundle_id ? bundle_id : "", err)))
        goto fail;
    char nm[EIP_NN_META_NORM_BYTES], ns[EIP_NN_META_NORM_BYTES];
    eip_nn_meta_norm_format(mean, std, m->c, nm, ns);
    if ((s = eip_protect_model_meta_set(m, EIP_NN_META_NORM_MEAN, nm, err)) ||
        (s = eip_protect_model_meta_set(m, EIP_NN_META_NORM_STD, ns, err)))
        goto fail;
    *out = m;
    return EIP_OK;
fail:
    m->own_net = 0; /* the caller keeps its net on failure */
    eip_protect_model_free(m);
    return s;
}

eip_status eip_protect_model_from_result(const eip_protect_result *r, eip_protect_model_t **out,
                                         eip_error *err)
{
    eip_status s = eip_protect_model_wrap(r->net, 0, r->pk, r->deploy_codebook, r->mean, r->std,
                                          r->id, out, err);
    if (s || r->adv_key.n == 0)
        return s;
    /* Locked while the (shared) net still holds the encrypted weights: a
     * net unlocked through another handle must not be saved as encrypted. */
    uint8_t h[EIP_ADVPARAMS_HASH_BYTES];
    if (!(s = eip_advparams_model_hash(r->net, h, err)))
        s = eip_protect_model_adv_mark(*out, r->adv_key.hash_enc,
                                       !memcmp(h, r->adv_key.hash_enc, sizeof h), err);
    if (s) {
        eip_protect_model_free(*out);
        *out = NULL;
    }
    return s;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* What a deploy directory holds (and its integrity.json covers). */
static const char *const deploy_files[] = {"model.safetensors", "public.key", "codebook.bin"};

/* path -> the deploy directory. */
static eip_status deploy_dir(const char *path, char *out, size_t cap, eip_error *err)
{
    char tmp[4096];
    if (is_dir(path)) {
        snprintf(tmp, sizeof tmp, "%s/deploy/model.safetensors", path);
        if (is_file(tmp))
            snprintf(out, cap, "%s/deploy", path);
        else
            snprintf(out, cap, "%s", path);
    } else if (is_file(path)) {
        const char *slash = strrchr(path, '/');
        if (!slash)
            snprintf(out, cap, ".");
        else
            snprintf(out, cap, "%.*s", (int)(slash - path), path);
        if (snprintf(tmp, sizeof tmp, "%s/public.key", out) >= (int)sizeof tmp || !is_file(tmp)) {
            /* a lone model file: tell what it is below (plain or protected) */
            eip_ckpt_reader_t *r = NULL;
            eip_status s = eip_ckpt_reader_open(&r, path, err);
            if (s)
                return s;
            int prot = eip_ckpt_reader_meta(r, EIP_PROTECT_META_VERSION) != NULL;
            eip_ckpt_reader_free(r);
            if (!prot)
                return eip_error_set(err, EIP_ERR_FORMAT,
                                     "%s: not a protected model (no protect.* metadata; a plain "
                                     "model from `encryip train`?)", path);
            return eip_error_set(err, EIP_ERR_IO,
                                 "%s: protected model without its public.key and codebook.bin next "
                                 "to it (pass the deploy directory)", path);
        }
    } else {
        return eip_error_set(err, EIP_ERR_IO, "%s: no such model file or directory", path);
    }
    return EIP_OK;
}

eip_status eip_protect_model_load(eip_nn_ctx *ctx, const char *path, eip_protect_model_t **out,
                                  eip_error *err)
{
    return eip_protect_model_load_flags(ctx, path, 0, out, err);
}

eip_status eip_protect_model_load_flags(eip_nn_ctx *ctx, const char *path, unsigned flags,
                                        eip_protect_model_t **out, eip_error *err)
{
    *out = NULL;
    char dir[4096], mpath[4200], kpath[4200], cpath[4200];
    eip_status s = deploy_dir(path, dir, sizeof dir, err);
    if (s)
        return s;
    snprintf(mpath, sizeof mpath, "%s/model.safetensors", dir);
    snprintf(kpath, sizeof kpath, "%s/public.key", dir);
    snprintf(cpath, sizeof cpath, "%s/codebook.bin", dir);
    eip_ckpt_reader_t *r = NULL;
    eip_protect_model_t *m = calloc(1, sizeof *m);
    if (!m)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", mpath);
    m->own_net = 1;
    m->dec = EIP_CRYPTO_PHI_ML;
    if (!is_file(mpath)) {
        s = eip_error_set(err, EIP_ERR_IO, "%s: no model.safetensors in this directory", dir);
        goto fail;
    }
    if ((s = eip_ckpt_reader_open(&r, mpath, err)))
        goto fail;
    const char *ver = eip_ckpt_reader_meta(r, EIP_PROTECT_META_VERSION);
    if (!ver) {
        s = eip_error_set(err, EIP_ERR_FORMAT,
                          "%s: not a protected model (no protect.* metadata; a plain model from "
                          "`encryip train`?)", mpath);
        goto fail;
    }
    if (strcmp(ver, "1") && strcmp(ver, "2")) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: protect.version %s is not supported (this encryip "
                          "reads versions %d and %d)", mpath, ver, EIP_PROTECT_VERSION,
                          EIP_PROTECT_VERSION_ADVPARAMS);
        goto fail;
    }
    /* a protected model: then the weights, key and codebook exactly as protect wrote them */
    if (!(flags & EIP_PROTECT_LOAD_UNVERIFIED) &&
        (s = eip_protect_integrity_check(dir, deploy_files, 3, err)))
        goto fail;
    /* version 2 = AdvParams-encrypted weights, and only then */
    const char *adv = eip_ckpt_reader_meta(r, EIP_PROTECT_META_ADVPARAMS);
    if (!strcmp(ver, "2") != !!adv) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: protect.version %s %s protect.advparams metadata",
                          mpath, ver, adv ? "with" : "without");
        goto fail;
    }
    if (adv) {
        if ((s = eip_protect_adv_hash_parse(mpath, adv, m->adv_hash, err)))
            goto fail;
        m->adv = m->locked = 1;
    }
    snprintf(m->path, sizeof m->path, "%s", mpath);
    static const char *need[] = {EIP_PROTECT_META_GROUP, EIP_PROTECT_META_CLASSES, EIP_PROTECT_META_Q, EIP_PROTECT_META_K,
                                 EIP_PROTECT_META_PK_ID, EIP_PROTECT_META_CODEBOOK, EIP_PROTECT_META_DECODER,
                                 EIP_PROTECT_META_BUNDLE, EIP_NN_META_NORM_MEAN, EIP_NN_META_NORM_STD};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!eip_ckpt_reader_meta(r, need[i])) {
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: protected model without %s metadata", mpath,
                              need[i]);
            goto fail;
        }
    for (size_t i = 0; i < eip_ckpt_reader_meta_count(r); i++) {
        const eip_ckpt_meta *kv = eip_ckpt_reader_meta_at(r, i);
        if (strncmp(kv->key, "encryip.nn.", 11) &&
            (s = eip_protect_model_meta_set(m, kv->key, kv->value, err))) {
            eip_error_prefix(err, "%s: ", mpath);
            goto fail;
        }
    }
    if ((s = eip_crypto_pk_load(kpath, &m->pk, err)))
        goto fail;
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, eip_crypto_pk_id(m->pk), EIP_CRYPTO_PKID_BYTES);
    if (strcmp(hex, eip_ckpt_reader_meta(r, EIP_PROTECT_META_PK_ID))) {
        s = eip_error_set(err, EIP_ERR_CRYPTO, "%s: belongs to another public key than %s "
                          "(model pk id %s, key %s)", mpath, kpath,
                          eip_ckpt_reader_meta(r, EIP_PROTECT_META_PK_ID), hex);
        goto fail;
    }
    if ((s = eip_protect_file_hash(cpath, hex, err)))
        goto fail;
    if (strcmp(hex, eip_ckpt_reader_meta(r, EIP_PROTECT_META_CODEBOOK))) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: is not the codebook this model was trained with "
                          "(BLAKE2b %s, the model expects %s)", cpath, hex,
                          eip_ckpt_reader_meta(r, EIP_PROTECT_META_CODEBOOK));
        goto fail;
    }
    if ((s = eip_crypto_codebook_load(m->pk, cpath, &m->cb, err)))
        goto fail;
    if (!strcmp(eip_ckpt_reader_meta(r, EIP_PROTECT_META_DECODER), "argmax"))
        m->dec = EIP_CRYPTO_PHI_ARGMAX;
    if ((s = eip_nn_load(ctx, mpath, &m->net, err)))
        goto fail;
    int64_t c, h, w;
    eip_nn_input_shape(m->net, &c, &h, &w);
    m->c = (int32_t)c;
    m->h = (int32_t)h;
    m->w = (int32_t)w;
    m->k = eip_nn_output_size(m->net);
    if (m->k != eip_crypto_phi_dim(m->pk, m->cb)) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: outputs %lld values but Φ for its key and codebook "
                          "has %lld", mpath, (long long)m->k,
                          (long long)eip_crypto_phi_dim(m->pk, m->cb));
        goto fail;
    }
    if ((s = eip_nn_meta_norm_parse(mpath, eip_ckpt_reader_meta(r, EIP_NN_META_NORM_MEAN),
                                    eip_ckpt_reader_meta(r, EIP_NN_META_NORM_STD), m->c, m->mean,
                                    m->std, err)))
        goto fail;
    eip_ckpt_reader_free(r);
    *out = m;
    return EIP_OK;
fail:
    eip_ckpt_reader_free(r);
    eip_protect_model_free(m);
    return s;
}

eip_status eip_protect_model_save(const eip_protect_model_t *m, const char *dir, int force,
                                  eip_error *err)
{
    if (m->adv && !m->locked) /* plaintext weights never reach the disk */
        return eip_error_set(err, EIP_ERR_STATE,
                             "%s: refusing to save %s: its AdvParams-encrypted weights are unlocked "
                             "in memory, saving would write plaintext weights", dir,
                             m->path[0] ? m->path : "the protected model");
    if (!m->net)
        return eip_error_set(err, EIP_ERR_STATE, "%s: a model head without weights cannot be saved", dir);
    if (!force && (is_dir(dir) || is_file(dir)))
        return eip_error_set(err, EIP_ERR_STATE, "%s: already exists (use --force to overwrite)", dir);
    if (!is_dir(dir) && mkdir(dir, 0755) != 0)
        return eip_error_set(err, EIP_ERR_IO, "%s: cannot create directory: %s", dir, strerror(errno));
    char path[4200];
    eip_ckpt_meta meta[EIP_PROTECT_MAX_META];
    for (size_t i = 0; i < m->n_meta; i++)
        meta[i] = (eip_ckpt_meta){m->meta_key[i], m->meta_val[i]};
    eip_status s;
    snprintf(path, sizeof path, "%s/public.key", dir);
    if ((s = eip_crypto_pk_save(m->pk, path, err)))
        return s;
    snprintf(path, sizeof path, "%s/codebook.bin", dir);
    if ((s = eip_crypto_codebook_save(m->cb, path, err)))
        return s;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if ((s = eip_nn_save_meta(m->net, path, meta, m->n_meta, err)))
        return s;
    return eip_protect_integrity_write(dir, deploy_files, 3, err);
}

eip_nn_net_t *eip_protect_model_net(eip_protect_model_t *m) { return m->net; }
const char *eip_protect_model_path(const eip_protect_model_t *m) { return m->path; }
const eip_crypto_pk_t *eip_protect_model_pk(const eip_protect_model_t *m) { return m->pk; }
const eip_crypto_codebook_t *eip_protect_model_codebook(const eip_protect_model_t *m) { return m->cb; }
const float *eip_protect_model_mean(const eip_protect_model_t *m) { return m->mean; }
const float *eip_protect_model_std(const eip_protect_model_t *m) { return m->std; }
void eip_protect_model_set_decoder(eip_protect_model_t *m, eip_crypto_phi_decoder d) { m->dec = d; }

void eip_protect_model_shape(const eip_protect_model_t *m, int32_t *c, int32_t *h, int32_t *w)
{
    *c = m->c;
    *h = m->h;
    *w = m->w;
}

eip_status eip_protect_model_check_shape(const eip_protect_model_t *m, const char *what, int32_t c,
                                         int32_t h, int32_t w, eip_error *err)
{
    if (c != m->c || h != m->h || w != m->w)
        return eip_error_set(err, EIP_ERR_SHAPE,
                             "%s: images are %dx%dx%d (CxHxW) but the model takes %dx%dx%d", what,
                             (int)c, (int)h, (int)w, (int)m->c, (int)m->h, (int)m->w);
    return EIP_OK;
}

/* ---- combined protection marks (read back by eip_protect_model_load) ------ */

eip_status eip_protect_adv_hash_parse(const char *what, const char *hex,
                                      uint8_t h[EIP_ADVPARAMS_HASH_BYTES], eip_error *err)
{
    size_t bin_len = 0;
    const char *end = NULL;
    if (strlen(hex) != 2 * EIP_ADVPARAMS_HASH_BYTES ||
        sodium_hex2bin(h, EIP_ADVPARAMS_HASH_BYTES, hex, strlen(hex), NULL, &bin_len, &end) != 0 ||
        bin_len != EIP_ADVPARAMS_HASH_BYTES || *end)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: protect.advparams '%.80s' is not %d hex "
                             "characters", what, hex, 2 * EIP_ADVPARAMS_HASH_BYTES);
    return EIP_OK;
}

eip_status eip_protect_model_adv_mark(eip_protect_model_t *m,
                                      const uint8_t h[EIP_ADVPARAMS_HASH_BYTES], int locked,
                                      eip_error *err)
{
    char hex[2 * EIP_ADVPARAMS_HASH_BYTES + 1], ver[16];
    sodium_bin2hex(hex, sizeof hex, h, EIP_ADVPARAMS_HASH_BYTES);
    snprintf(ver, sizeof ver, "%d", EIP_PROTECT_VERSION_ADVPARAMS);
    eip_status s = eip_protect_model_meta_set(m, EIP_PROTECT_META_VERSION, ver, err);
    if (!s)
        s = eip_protect_model_meta_set(m, EIP_PROTECT_META_ADVPARAMS, hex, err);
    if (s)
        return s;
    m->adv = 1;
    m->locked = locked;
    memcpy(m->adv_hash, h, EIP_ADVPARAMS_HASH_BYTES);
    return EIP_OK;
}

int eip_protect_model_advparams(const eip_protect_model_t *m) { return m->adv; }
int eip_protect_model_locked(const eip_protect_model_t *m) { return m->adv && m->locked; }
