/* Whole-array entry points for applications that run the model elsewhere
 * (the Python package, docs/PYTHON.md): a protected-model head without
 * weights (Algorithm 2 on outputs computed by PyTorch goes through
 * eip_protect_predict_outputs), eq. (4) with a key alone, and the tracer
 * that `encryip trace` and Python share (keyring + verification set checked
 * against each other, then eip_protect_trace_keyring). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "protect/internal.h"

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

eip_status eip_protect_model_load_head(const char *path, eip_protect_model_t **out, eip_error *err)
{
    *out = NULL;
    char dir[4200], kpath[4300], cpath[4300];
    snprintf(kpath, sizeof kpath, "%s/deploy/public.key", path);
    /* a bundle directory or its deploy/ */
    snprintf(dir, sizeof dir, file_exists(kpath) ? "%s/deploy" : "%s", path);
    snprintf(kpath, sizeof kpath, "%s/public.key", dir);
    snprintf(cpath, sizeof cpath, "%s/codebook.bin", dir);
    if (!file_exists(kpath) || !file_exists(cpath))
        return eip_error_set(err, EIP_ERR_IO, "%s: no public.key and codebook.bin (pass a bundle or "
                             "its deploy directory)", path);
    eip_protect_model_t *m = calloc(1, sizeof *m);
    if (!m)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    m->dec = EIP_CRYPTO_PHI_ML;
    eip_status s;
    if ((s = eip_crypto_pk_load(kpath, &m->pk, err)) ||
        (s = eip_crypto_codebook_load(m->pk, cpath, &m->cb, err))) {
        eip_protect_model_free(m);
        return s;
    }
    m->k = eip_crypto_phi_dim(m->pk, m->cb);
    snprintf(m->path, sizeof m->path, "%s", dir);
    *out = m;
    return EIP_OK;
}

int64_t eip_protect_model_outputs(const eip_protect_model_t *m) { return m->k; }

eip_status eip_protect_decrypt_key(const eip_crypto_sk_t *sk, const unsigned char *pk_id,
                                   const eip_crypto_ct *c, int64_t n, int32_t *labels, eip_error *err)
{
    eip_status s;
    if (pk_id && (s = eip_crypto_sk_check_pk(sk, pk_id, "the ciphertexts", err)))
        return s;
    /* eq. (4) over all cores; an element outside the group is ⊥: no label */
    return eip_crypto_dec_label_batch(sk, c, n, 0, labels, err);
}

/* ---- tracer ------------------------------------------------------------------ */

struct eip_protect_tracer {
    eip_keyring_t *kr;
    eip_protect_verif v;
};

/* The verification file must hold exactly the ciphertexts the keyring
 * recorded for this model (a swapped or edited file would give a wrong
 * verdict). */
static eip_status verif_check(eip_keyring_t *kr, const eip_protect_verif *v, const char *vpath,
                              eip_error *err)
{
    eip_keyring_verif *kv = NULL;
    int64_t n = 0;
    eip_status s = eip_keyring_verif_list(kr, v->model, &kv, &n, err);
    if (s)
        return s;
    if (n != v->n)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: %lld instances, the keyring %s records %lld for "
                          "model %s", vpath, (long long)v->n, eip_keyring_path(kr), (long long)n,
                          v->model);
    for (int64_t i = 0; i < n && !s; i++)
        if (kv[i].instance != i || memcmp(&kv[i].ct, &v->ct[i], sizeof kv[i].ct) ||
            kv[i].kind != v->kind[i])
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: instance %lld differs from the keyring's record",
                              vpath, (long long)i);
    free(kv);
    return s;
}

void eip_protect_tracer_free(eip_protect_tracer_t *t)
{
    if (!t)
        return;
    eip_protect_verif_free(&t->v);
    eip_keyring_close(t->kr);
    free(t);
}

eip_status eip_protect_tracer_open(const char *keyring, const char *verification,
                                   eip_protect_tracer_t **out, eip_error *err)
{
    *out = NULL;
    eip_protect_tracer_t *t = calloc(1, sizeof *t);
    if (!t)
        return eip_error_set(err, EIP_ERR_NOMEM, "trace: out of memory");
    eip_status s;
    if ((s = eip_crypto_init(err)) || (s = eip_keyring_open(keyring, &t->kr, err)) ||
        (s = eip_protect_verif_load(eip_keyring_pk(t->kr), verification, &t->v, err)) ||
        (s = verif_check(t->kr, &t->v, verification, err))) {
        eip_protect_tracer_free(t);
        return s;
    }
    *out = t;
    return EIP_OK;
}

eip_keyring_t *eip_protect_tracer_keyring(eip_protect_tracer_t *t) { return t->kr; }
const eip_protect_verif *eip_protect_tracer_verif(const eip_protect_tracer_t *t) { return &t->v; }
int64_t eip_protect_tracer_count(const eip_protect_tracer_t *t) { return t->v.n; }
const uint8_t *eip_protect_tracer_images(const eip_protect_tracer_t *t, int32_t *c, int32_t *h,
                                         int32_t *w)
{
    *c = t->v.images.c;
    *h = t->v.images.h;
    *w = t->v.images.w;
    return t->v.images.pixels;
}

eip_status eip_protect_tracer_score(eip_protect_tracer_t *t, const int32_t *printed, int64_t n,
                                    eip_protect_trace_result *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    if (n != t->v.n)
        return eip_error_set(err, EIP_ERR_SHAPE, "trace: %lld suspect labels for %lld verification "
                             "instances", (long long)n, (long long)t->v.n);
    const int32_t z = eip_crypto_pk_classes(eip_keyring_pk(t->kr));
    for (int64_t i = 0; i < n; i++)
        if (printed[i] != EIP_CRYPTO_NOT_A_LABEL && (printed[i] < 0 || printed[i] >= z))
            return eip_error_set(err, EIP_ERR_RANGE, "trace: suspect label %d at position %lld is "
                                 "outside 0..%d (use %d for no label)", (int)printed[i],
                                 (long long)i, (int)z - 1, EIP_CRYPTO_NOT_A_LABEL);
    return eip_protect_trace_keyring(t->kr, &t->v, printed, out, err);
}
