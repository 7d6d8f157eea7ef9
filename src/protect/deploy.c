/* The deployable protected model and Algorithm 2 (deploying process):
 *   y = [M](x); c = Φ^-1(y) (eq. 3 / ML over the deploy codebook);
 *   c_d = SampDist(c) with fresh randomness; output Φ(c_d) (we hand out c_d,
 *   Φ(c_d) is its one-hot form).
 * Decryption (eq. 4) and classify (= predict + decrypt) live here too.
 *
 * Model metadata (safetensors "__metadata__", docs/PROTECT.md):
 *   protect.version, protect.group, protect.classes, protect.q, protect.k,
 *   protect.pk_id (hex), protect.codebook (BLAKE2b-256 of codebook.bin),
 *   protect.decoder ("ml"), protect.bundle (bundle id), norm.mean, norm.std,
 *   train.* (settings, informational); AdvParams-encrypted weights (combined
 *   protection): protect.version 2 and protect.advparams (hex of the weights
 *   key's encrypted-model hash). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "encryip/ckpt.h"
#include "protect/internal.h"
#include "util/io.h"
#include "util/parse.h"

#define FWD_BATCH 256

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
    if ((s = eip_protect_model_meta_set(m, "protect.version", buf, err)) ||
        (s = eip_protect_model_meta_set(m, "protect.group",
                                        eip_crypto_group_name(eip_crypto_pk_group(pk)), err)))
        goto fail;
    snprintf(buf, sizeof buf, "%d", (int)eip_crypto_pk_classes(pk));
    if ((s = eip_protect_model_meta_set(m, "protect.classes", buf, err)))
        goto fail;
    snprintf(buf, sizeof buf, "%lld", (long long)eip_crypto_pk_q(pk));
    if ((s = eip_protect_model_meta_set(m, "protect.q", buf, err)))
        goto fail;
    snprintf(buf, sizeof buf, "%lld", (long long)m->k);
    if ((s = eip_protect_model_meta_set(m, "protect.k", buf, err)))
        goto fail;
    eip_protect_hex(eip_crypto_pk_id(pk), EIP_CRYPTO_PKID_BYTES, buf);
    if ((s = eip_protect_model_meta_set(m, "protect.pk_id", buf, err)) ||
        (s = eip_protect_model_meta_set(m, "protect.codebook", hash, err)) ||
        (s = eip_protect_model_meta_set(m, "protect.decoder", "ml", err)) ||
        (s = eip_protect_model_meta_set(m, "protect.bundle", bundle_id ? bundle_id : "", err)))
        goto fail;
    eip_format_f32_list(buf, sizeof buf, mean, m->c);
    if ((s = eip_protect_model_meta_set(m, "norm.mean", buf, err)))
        goto fail;
    eip_format_f32_list(buf, sizeof buf, std, m->c);
    if ((s = eip_protect_model_meta_set(m, "norm.std", buf, err)))
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
            int prot = eip_ckpt_reader_meta(r, "protect.version") != NULL;
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
    const char *ver = eip_ckpt_reader_meta(r, "protect.version");
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
    /* version 2 = AdvParams-encrypted weights, and only then */
    const char *adv = eip_ckpt_reader_meta(r, "protect.advparams");
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
    static const char *need[] = {"protect.group", "protect.classes", "protect.q", "protect.k",
                                 "protect.pk_id", "protect.codebook", "protect.decoder",
                                 "protect.bundle", "norm.mean", "norm.std"};
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
    eip_protect_hex(eip_crypto_pk_id(m->pk), EIP_CRYPTO_PKID_BYTES, hex);
    if (strcmp(hex, eip_ckpt_reader_meta(r, "protect.pk_id"))) {
        s = eip_error_set(err, EIP_ERR_CRYPTO, "%s: belongs to another public key than %s "
                          "(model pk id %s, key %s)", mpath, kpath,
                          eip_ckpt_reader_meta(r, "protect.pk_id"), hex);
        goto fail;
    }
    if ((s = eip_protect_file_hash(cpath, hex, err)))
        goto fail;
    if (strcmp(hex, eip_ckpt_reader_meta(r, "protect.codebook"))) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: is not the codebook this model was trained with "
                          "(BLAKE2b %s, the model expects %s)", cpath, hex,
                          eip_ckpt_reader_meta(r, "protect.codebook"));
        goto fail;
    }
    if ((s = eip_crypto_codebook_load(m->pk, cpath, &m->cb, err)))
        goto fail;
    if (!strcmp(eip_ckpt_reader_meta(r, "protect.decoder"), "argmax"))
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
    if ((s = eip_parse_f32_list("norm.mean", eip_ckpt_reader_meta(r, "norm.mean"), m->mean, m->c, err)) ||
        (s = eip_parse_f32_list("norm.std", eip_ckpt_reader_meta(r, "norm.std"), m->std, m->c, err))) {
        eip_error_prefix(err, "%s: ", mpath);
        goto fail;
    }
    for (int32_t i = 0; i < m->c; i++)
        if (!(m->std[i] > 0)) {
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: norm.std[%d] is not positive", mpath, (int)i);
            goto fail;
        }
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
    return eip_nn_save_meta(m->net, path, meta, m->n_meta, err);
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

eip_status eip_protect_forward(eip_protect_model_t *m, const uint8_t *pixels, int64_t n, float *out,
                               eip_error *err)
{
    if (!m->net) /* eip_protect_model_load_head: outputs come from elsewhere */
        return eip_error_set(err, EIP_ERR_STATE, "forward: %s has no weights (a head loaded for "
                             "outputs computed elsewhere)", m->path[0] ? m->path : "the model");
    const int64_t hw = (int64_t)m->h * m->w, sample = m->c * hw;
    float *x = malloc((size_t)(FWD_BATCH * sample) * sizeof *x); /* [B, C, H, W] */
    if (!x)
        return eip_error_set(err, EIP_ERR_NOMEM, "forward: out of memory");
    eip_status s = EIP_OK;
    for (int64_t i0 = 0; i0 < n && !s; i0 += FWD_BATCH) {
        int64_t b = n - i0 < FWD_BATCH ? n - i0 : FWD_BATCH;
        const uint8_t *p = pixels + i0 * sample;
        for (int64_t i = 0; i < b; i++)
            for (int32_t ch = 0; ch < m->c; ch++) {
                const float mu = m->mean[ch], inv = 1.0f / m->std[ch];
                const uint8_t *src = p + i * sample + ch * hw;
                float *dst = x + i * sample + ch * hw;
                for (int64_t j = 0; j < hw; j++)
                    dst[j] = ((float)src[j] / 255.0f - mu) * inv;
            }
        s = eip_nn_forward(m->net, x, b, EIP_NN_EVAL, out + i0 * m->k, err);
    }
    free(x);
    return s;
}

eip_status eip_protect_predict_outputs(const eip_protect_model_t *m, const float *y, int64_t n,
                                       eip_crypto_rng_t *rng, eip_crypto_ct *out, int64_t *slots,
                                       eip_error *err)
{
    for (int64_t i = 0; i < n; i++) {
        eip_crypto_ct c;
        int64_t slot = -1;
        /* Algorithm 2 lines 2-3: Φ^-1 (eq. 3, or ML), then SampDist. */
        eip_status s = eip_crypto_phi_inv(m->pk, m->cb, y + i * m->k, 1, m->dec, &c, &slot, err);
        if (!s)
            s = eip_crypto_sampdist(m->pk, &c, rng, &out[i], err);
        if (s) {
            eip_error_prefix(err, "image %lld: ", (long long)i);
            return s;
        }
        if (slots)
            slots[i] = slot;
    }
    return EIP_OK;
}

eip_status eip_protect_predict(eip_protect_model_t *m, const uint8_t *pixels, int64_t n,
                               eip_crypto_rng_t *rng, eip_crypto_ct *out, int64_t *slots,
                               eip_error *err)
{
    float *y = malloc((size_t)(n > 0 ? n : 1) * (size_t)m->k * sizeof *y); /* [N, K] */
    if (!y)
        return eip_error_set(err, EIP_ERR_NOMEM, "predict: out of memory for %lld outputs",
                             (long long)n);
    eip_status s = eip_protect_forward(m, pixels, n, y, err);
    if (!s)
        s = eip_protect_predict_outputs(m, y, n, rng, out, slots, err);
    free(y);
    return s;
}

eip_status eip_protect_decrypt(const eip_protect_model_t *m, const eip_crypto_sk_t *sk,
                               int check_key, const eip_crypto_ct *c, int64_t n, int32_t *labels,
                               eip_error *err)
{
    eip_status s;
    if (check_key && (s = eip_crypto_sk_check_pk(sk, eip_crypto_pk_id(m->pk), "the model", err)))
        return s;
    if (eip_crypto_sk_group(sk) != eip_crypto_pk_group(m->pk))
        return eip_error_set(err, EIP_ERR_CRYPTO, "key of the %s group, the model uses %s",
                             eip_crypto_group_name(eip_crypto_sk_group(sk)),
                             eip_crypto_group_name(eip_crypto_pk_group(m->pk)));
    for (int64_t i = 0; i < n; i++) {
        /* eq. (4); an element outside the group would be ⊥: no label */
        if (eip_crypto_dec_label(sk, &c[i], &labels[i], NULL) != EIP_OK)
            labels[i] = EIP_CRYPTO_NOT_A_LABEL;
    }
    return EIP_OK;
}

eip_status eip_protect_classify(eip_protect_model_t *m, const eip_crypto_sk_t *sk,
                                const uint8_t *pixels, int64_t n, int32_t *labels, eip_error *err)
{
    eip_status s = eip_crypto_sk_check_pk(sk, eip_crypto_pk_id(m->pk), "the model", err);
    if (s)
        return s;
    eip_crypto_ct *c = malloc((size_t)(n > 0 ? n : 1) * sizeof *c);
    if (!c)
        return eip_error_set(err, EIP_ERR_NOMEM, "classify: out of memory");
    if (!(s = eip_protect_predict(m, pixels, n, NULL, c, NULL, err)))
        s = eip_protect_decrypt(m, sk, 1, c, n, labels, err);
    free(c);
    return s;
}

eip_status eip_protect_decode_accuracy(eip_protect_model_t *m, const eip_crypto_sk_t *sk,
                                       const eip_crypto_codebook_t *owner_cb, const eip_data_set *ds,
                                       eip_crypto_rng_t *rng, eip_protect_accuracy *acc,
                                       eip_error *err)
{
    memset(acc, 0, sizeof *acc);
    acc->n = ds->n;
    acc->key_ml = acc->key_argmax = acc->codebook_ml = acc->not_a_label = acc->verif_slot = -1;
    eip_status s = eip_protect_model_check_shape(m, ds->name, ds->c, ds->h, ds->w, err);
    if (s)
        return s;
    const int64_t n = ds->n;
    float *y = malloc((size_t)(n > 0 ? n : 1) * (size_t)m->k * sizeof *y); /* [N, K] */
    eip_crypto_ct *c = malloc((size_t)(n > 0 ? n : 1) * sizeof *c);
    int32_t *lab = malloc((size_t)(n > 0 ? n : 1) * sizeof *lab);
    int64_t *slot = malloc((size_t)(n > 0 ? n : 1) * sizeof *slot);
    const eip_crypto_phi_decoder keep = m->dec;
    if (!y || !c || !lab || !slot) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "accuracy: out of memory");
        goto done;
    }
    if ((s = eip_protect_forward(m, ds->pixels, n, y, err)))
        goto done;
    for (int pass = 0; pass < 2; pass++) {
        m->dec = pass == 0 ? EIP_CRYPTO_PHI_ML : EIP_CRYPTO_PHI_ARGMAX;
        if (m->dec == EIP_CRYPTO_PHI_ML && owner_cb) {
            /* the model's own reading: label of the chosen slot in the
             * owner's labelled codebook (same slots as the deploy one) */
            int64_t right = 0, vs = 0;
            for (int64_t i = 0; i < n && !s; i++) {
                eip_crypto_ct cc;
                int64_t sl;
                if (!(s = eip_crypto_phi_inv(m->pk, owner_cb, y + i * m->k, 1, EIP_CRYPTO_PHI_ML, &cc,
                                             &sl, err))) {
                    right += eip_crypto_codebook_label(owner_cb, sl) == ds->labels[i];
                    vs += eip_crypto_codebook_label(owner_cb, sl) == EIP_CRYPTO_NOT_A_LABEL;
                }
            }
            if (s)
                goto done;
            acc->codebook_ml = n ? (double)right / (double)n : 0;
            acc->verif_slot = n ? (double)vs / (double)n : 0;
        }
        if (!sk)
            continue;
        if ((s = eip_protect_predict_outputs(m, y, n, rng, c, slot, err)) ||
            (s = eip_protect_decrypt(m, sk, 0, c, n, lab, err)))
            goto done;
        int64_t right = 0, nal = 0;
        for (int64_t i = 0; i < n; i++) {
            right += lab[i] == ds->labels[i];
            nal += lab[i] == EIP_CRYPTO_NOT_A_LABEL;
        }
        if (pass == 0) {
            acc->key_ml = n ? (double)right / (double)n : 0;
            acc->not_a_label = n ? (double)nal / (double)n : 0;
        } else {
            acc->key_argmax = n ? (double)right / (double)n : 0;
        }
    }
done:
    m->dec = keep;
    free(y);
    free(c);
    free(lab);
    free(slot);
    return s;
}
