/* Codebook: the fixed list of ciphertexts a protected model can output.  The
 * paper fixes the first encryption of each label (section 4.2, step 2) and
 * adds Fake ciphertexts for verification (section 4.4); the protect module
 * stores the codebook next to the model.  For ristretto255 the model outputs a
 * one-hot over codebook slots (phi.c); for the paper group the codebook is
 * the candidate set of the maximum-likelihood Φ^-1.
 * File: header | pk_id | u32 n | n x (i32 label | u1 u2 u3) | checksum
 * (label -1 = verification/Fake ciphertext; docs/FORMATS.md). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"
#include "util/io.h"

#define CB_MAX_SLOTS (1 << 20)
#define CB_FIXED (EIP_FMT_HEAD_BYTES + EIP_CRYPTO_PKID_BYTES + 4)

struct eip_crypto_codebook {
    eip_group grp;
    unsigned char pk_id[EIP_CRYPTO_PKID_BYTES];
    int64_t n, cap;
    eip_crypto_ct *ct; /* [cap] */
    int32_t *label;    /* [cap] */
    int64_t *index;    /* [icap] open-addressing hash of slots, -1 = empty */
    size_t icap;
    eip_rfast_pts *pts; /* ristretto255: ct decoded (prepare); NULL after add */
};

static size_t ct_hash(const eip_crypto_ct *c, size_t icap)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a: codewords are public */
    const unsigned char *p = (const unsigned char *)c;
    for (size_t i = 0; i < sizeof *c; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29)) & (icap - 1);
}

static eip_status index_rebuild(eip_crypto_codebook_t *cb, size_t icap, eip_error *err)
{
    int64_t *idx = malloc(icap * sizeof *idx);
    if (!idx)
        return eip_error_set(err, EIP_ERR_NOMEM, "codebook index: out of memory");
    for (size_t i = 0; i < icap; i++)
        idx[i] = -1;
    for (int64_t s = 0; s < cb->n; s++) {
        size_t i = ct_hash(&cb->ct[s], icap);
        while (idx[i] >= 0)
            i = (i + 1) & (icap - 1);
        idx[i] = s;
    }
    free(cb->index);
    cb->index = idx;
    cb->icap = icap;
    return EIP_OK;
}

/* Keeps the codewords in decaf's internal form (ristretto255): SampDist
 * of a slot then decodes nothing (eip_crypto_sampdist_slots).  Done when a
 * codebook is complete (built, loaded, shuffled); add() drops it.  Up to
 * CB_PREPARE_MAX slots (3 points of 256 bytes and ~10 us of decoding each,
 * paid when the codebook is loaded: 1 000 licensees x 16 instances is 12 MB
 * and ~0.16 s); larger codebooks decode per batch, as before. */
#define CB_PREPARE_MAX (1 << 14)
static eip_status prepare(eip_crypto_codebook_t *cb, eip_error *err)
{
    eip_rfast_pts_free(cb->pts);
    cb->pts = NULL;
    if (cb->grp.ops->id != EIP_CRYPTO_GROUP_RISTRETTO255 || cb->n == 0 || cb->n > CB_PREPARE_MAX)
        return EIP_OK;
    return eip_rfast_pts_new(cb->ct, cb->n, &cb->pts, err);
}

const eip_rfast_pts *eip_codebook_pts(const eip_crypto_codebook_t *cb) { return cb->pts; }

eip_status eip_crypto_codebook_new(const eip_crypto_pk_t *pk, eip_crypto_codebook_t **out,
                                   eip_error *err)
{
    *out = NULL;
    eip_crypto_codebook_t *cb = calloc(1, sizeof *cb);
    if (!cb)
        return eip_error_set(err, EIP_ERR_NOMEM, "codebook: out of memory");
    eip_status s = eip_group_copy(&cb->grp, &pk->grp, err);
    if (s) {
        free(cb);
        return s;
    }
    memcpy(cb->pk_id, pk->id, sizeof cb->pk_id);
    *out = cb;
    return EIP_OK;
}

void eip_crypto_codebook_free(eip_crypto_codebook_t *cb)
{
    if (!cb)
        return;
    eip_group_free(&cb->grp);
    eip_rfast_pts_free(cb->pts);
    free(cb->ct);
    free(cb->label);
    free(cb->index);
    free(cb);
}

int64_t eip_crypto_codebook_size(const eip_crypto_codebook_t *cb) { return cb->n; }
const unsigned char *eip_crypto_codebook_pk_id(const eip_crypto_codebook_t *cb) { return cb->pk_id; }

const eip_crypto_ct *eip_crypto_codebook_ct(const eip_crypto_codebook_t *cb, int64_t slot)
{
    return slot >= 0 && slot < cb->n ? &cb->ct[slot] : NULL;
}

int32_t eip_crypto_codebook_label(const eip_crypto_codebook_t *cb, int64_t slot)
{
    return slot >= 0 && slot < cb->n ? cb->label[slot] : EIP_CRYPTO_NOT_A_LABEL;
}

int64_t eip_crypto_codebook_find(const eip_crypto_codebook_t *cb, const eip_crypto_ct *c)
{
    if (!cb->icap)
        return -1;
    for (size_t i = ct_hash(c, cb->icap); cb->index[i] >= 0; i = (i + 1) & (cb->icap - 1))
        if (!memcmp(&cb->ct[cb->index[i]], c, sizeof *c))
            return cb->index[i];
    return -1;
}

eip_status eip_crypto_codebook_add(eip_crypto_codebook_t *cb, const eip_crypto_ct *c, int32_t label,
                                   int64_t *slot, eip_error *err)
{
    if (label < EIP_CRYPTO_NOT_A_LABEL || label >= cb->grp.z)
        return eip_error_set(err, EIP_ERR_RANGE, "codebook: label %d out of range -1..%d", (int)label,
                             (int)cb->grp.z - 1);
    if (!eip_group_ct_valid(&cb->grp, c))
        return eip_error_set(err, EIP_ERR_CRYPTO, "codebook: ciphertext is not in the %s group",
                             cb->grp.ops->name);
    if (eip_crypto_codebook_find(cb, c) >= 0)
        return eip_error_set(err, EIP_ERR_ARG, "codebook: ciphertext already present (slot %lld)",
                             (long long)eip_crypto_codebook_find(cb, c));
    if (cb->n >= CB_MAX_SLOTS)
        return eip_error_set(err, EIP_ERR_RANGE, "codebook: more than %d slots", CB_MAX_SLOTS);
    if (cb->n == cb->cap) {
        int64_t cap = cb->cap ? cb->cap * 2 : 16;
        eip_crypto_ct *nc = realloc(cb->ct, (size_t)cap * sizeof *nc);
        if (!nc)
            return eip_error_set(err, EIP_ERR_NOMEM, "codebook: out of memory");
        cb->ct = nc;
        int32_t *nl = realloc(cb->label, (size_t)cap * sizeof *nl);
        if (!nl)
            return eip_error_set(err, EIP_ERR_NOMEM, "codebook: out of memory");
        cb->label = nl;
        cb->cap = cap;
    }
    if ((size_t)(cb->n + 1) * 2 > cb->icap) {
        eip_status s = index_rebuild(cb, cb->icap ? cb->icap * 2 : 32, err);
        if (s)
            return s;
    }
    eip_rfast_pts_free(cb->pts);
    cb->pts = NULL;
    cb->ct[cb->n] = *c;
    cb->label[cb->n] = label;
    size_t i = ct_hash(c, cb->icap);
    while (cb->index[i] >= 0)
        i = (i + 1) & (cb->icap - 1);
    cb->index[i] = cb->n;
    if (slot)
        *slot = cb->n;
    cb->n++;
    return EIP_OK;
}

eip_status eip_crypto_codebook_build(const eip_crypto_pk_t *pk, int64_t fakes, eip_crypto_rng_t *rng,
                                     eip_crypto_codebook_t **out, eip_error *err)
{
    *out = NULL;
    if (fakes < 0 || fakes > CB_MAX_SLOTS - pk->grp.z)
        return eip_error_set(err, EIP_ERR_RANGE, "codebook: %lld fake ciphertexts out of range",
                             (long long)fakes);
    eip_crypto_codebook_t *cb;
    eip_status s = eip_crypto_codebook_new(pk, &cb, err);
    if (s)
        return s;
    eip_crypto_ct c;
    for (int32_t y = 0; y < pk->grp.z && !s; y++)
        if (!(s = eip_crypto_enc(pk, y, rng, &c, err)))
            s = eip_crypto_codebook_add(cb, &c, y, NULL, err);
    /* A Fake can only repeat another codeword in the tiny paper group: draw
     * again (bounded, the group may simply be too small). */
    for (int64_t f = 0, tries = 0; f < fakes && !s; tries++) {
        if (tries > 100 * (fakes + 10)) {
            s = eip_error_set(err, EIP_ERR_RANGE,
                              "codebook: could not find %lld distinct Fake ciphertexts in the %s group",
                              (long long)fakes, pk->grp.ops->name);
            break;
        }
        if ((s = eip_crypto_fake(pk, rng, &c, err)))
            break;
        if (eip_crypto_codebook_find(cb, &c) >= 0)
            continue;
        s = eip_crypto_codebook_add(cb, &c, EIP_CRYPTO_NOT_A_LABEL, NULL, err);
        f++;
    }
    if (!s)
        s = prepare(cb, err);
    if (s) {
        eip_crypto_codebook_free(cb);
        return s;
    }
    *out = cb;
    return EIP_OK;
}

/* Random slot order (the same idea as protect's, docs/PROTECT.md step 6):
 * with labels in slots 0..z-1 a one-hot over slots (ristretto255 soft
 * labels) would be the plain label. */
eip_status eip_crypto_codebook_shuffle(eip_crypto_codebook_t *cb, eip_crypto_rng_t *rng,
                                       eip_error *err)
{
    if (cb->n > (int64_t)UINT32_MAX)
        return eip_error_set(err, EIP_ERR_RANGE, "codebook shuffle: %lld slots", (long long)cb->n);
    int64_t *perm = malloc((size_t)(cb->n > 0 ? cb->n : 1) * sizeof *perm); /* [n] new slot -> old */
    if (!perm)
        return eip_error_set(err, EIP_ERR_NOMEM, "codebook shuffle: out of memory");
    for (int64_t i = 0; i < cb->n; i++)
        perm[i] = i;
    for (int64_t i = cb->n - 1; i > 0; i--) { /* Fisher-Yates */
        int64_t j = (int64_t)eip_rng_uniform(rng, (uint32_t)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    eip_crypto_codebook_t *nb = NULL;
    eip_crypto_pk_t pk_view; /* codebook_new needs the group and the id only */
    memset(&pk_view, 0, sizeof pk_view);
    pk_view.grp = cb->grp;
    memcpy(pk_view.id, cb->pk_id, sizeof pk_view.id);
    eip_status s = eip_crypto_codebook_new(&pk_view, &nb, err);
    for (int64_t i = 0; i < cb->n && !s; i++)
        s = eip_crypto_codebook_add(nb, &cb->ct[perm[i]], cb->label[perm[i]], NULL, err);
    free(perm);
    if (!s)
        s = prepare(nb, err);
    if (s) {
        eip_crypto_codebook_free(nb);
        return s;
    }
    eip_crypto_codebook_t tmp = *cb;
    *cb = *nb;
    *nb = tmp;
    eip_crypto_codebook_free(nb);
    return EIP_OK;
}

int64_t eip_crypto_codebook_label_slot(const eip_crypto_codebook_t *cb, int32_t label)
{
    for (int64_t i = 0; i < cb->n; i++)
        if (cb->label[i] == label)
            return i;
    return -1;
}

eip_status eip_crypto_codebook_to_bytes(const eip_crypto_codebook_t *cb, unsigned char **buf,
                                        size_t *len, eip_error *err)
{
    const eip_group *g = &cb->grp;
    size_t e = g->ops->elem_bytes, rec = 4 + 3 * e;
    *len = CB_FIXED + (size_t)cb->n * rec + EIP_CRYPTO_CHECKSUM_BYTES;
    *buf = calloc(1, *len);
    if (!*buf)
        return eip_error_set(err, EIP_ERR_NOMEM, "codebook: out of memory");
    unsigned char *p = *buf;
    eip_fmt_head_put(p, "EICB", g);
    memcpy(p + 16, cb->pk_id, EIP_CRYPTO_PKID_BYTES);
    eip_le_put_u32(p + 32, (uint32_t)cb->n);
    for (int64_t i = 0; i < cb->n; i++) {
        unsigned char *r = p + CB_FIXED + (size_t)i * rec;
        eip_le_put_u32(r, (uint32_t)cb->label[i]);
        for (int k = 0; k < 3; k++)
            g->ops->elem_put(g, r + 4 + (size_t)k * e, &cb->ct[i].u[k]);
    }
    eip_fmt_sum_put(p, *len);
    return EIP_OK;
}

eip_status eip_crypto_codebook_from_bytes(const eip_crypto_pk_t *pk, const unsigned char *buf,
                                          size_t len, const char *name,
                                          eip_crypto_codebook_t **out, eip_error *err)
{
    *out = NULL;
    eip_fmt_head h;
    eip_status s;
    if ((s = eip_fmt_head_parse(buf, len, name, "EICB", &h, err)))
        return s;
    if (len < CB_FIXED + EIP_CRYPTO_CHECKSUM_BYTES)
        return eip_fmt_size_check(len, CB_FIXED + EIP_CRYPTO_CHECKSUM_BYTES, name, "codebook", err);
    uint32_t n = eip_le_get_u32(buf + 32);
    size_t e = h.ops->elem_bytes, rec = 4 + 3 * e;
    if (n > CB_MAX_SLOTS)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: %u codebook slots (at most %d)", name, n,
                             CB_MAX_SLOTS);
    if ((s = eip_fmt_size_check(len, CB_FIXED + (size_t)n * rec + 16, name, "codebook", err)) ||
        (s = eip_fmt_sum_check(buf, len, name, err)))
        return s;
    if (h.ops != pk->grp.ops || h.z != (uint32_t)pk->grp.z || h.q != pk->grp.q ||
        memcmp(buf + 16, pk->id, EIP_CRYPTO_PKID_BYTES))
        return eip_error_set(err, EIP_ERR_CRYPTO, "%s: codebook belongs to another public key", name);
    eip_crypto_codebook_t *cb;
    if ((s = eip_crypto_codebook_new(pk, &cb, err)))
        return s;
    for (uint32_t i = 0; i < n && !s; i++) {
        const unsigned char *r = buf + CB_FIXED + (size_t)i * rec;
        int32_t label = (int32_t)eip_le_get_u32(r);
        eip_crypto_ct c;
        bool ok = true;
        for (int k = 0; k < 3; k++)
            ok &= cb->grp.ops->elem_get(&cb->grp, &c.u[k], r + 4 + (size_t)k * e);
        if (!ok)
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: slot %u: ciphertext element not in the %s group",
                              name, i, cb->grp.ops->name);
        else if (label < EIP_CRYPTO_NOT_A_LABEL || label >= cb->grp.z)
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: slot %u: label %d out of range -1..%d", name, i,
                              (int)label, (int)cb->grp.z - 1);
        else if (eip_crypto_codebook_find(cb, &c) >= 0)
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: slot %u repeats slot %lld", name, i,
                              (long long)eip_crypto_codebook_find(cb, &c));
        else if ((s = eip_crypto_codebook_add(cb, &c, label, NULL, err)))
            eip_error_prefix(err, "%s: ", name);
    }
    if (!s)
        s = prepare(cb, err);
    if (s) {
        eip_crypto_codebook_free(cb);
        return s;
    }
    *out = cb;
    return EIP_OK;
}

eip_status eip_crypto_codebook_save(const eip_crypto_codebook_t *cb, const char *path, eip_error *err)
{
    unsigned char *buf;
    size_t len;
    eip_status s = eip_crypto_codebook_to_bytes(cb, &buf, &len, err);
    if (s)
        return s;
    s = eip_io_write_atomic(path, buf, len, EIP_IO_MODE_PUBLIC, err);
    free(buf);
    return s;
}

eip_status eip_crypto_codebook_load(const eip_crypto_pk_t *pk, const char *path,
                                    eip_crypto_codebook_t **out, eip_error *err)
{
    unsigned char *buf;
    size_t len;
    *out = NULL;
    eip_status s = eip_io_read_file(path, EIP_FMT_MAX_FILE_BYTES, &buf, &len, err);
    if (s)
        return s;
    s = eip_crypto_codebook_from_bytes(pk, buf, len, path, out, err);
    free(buf);
    return s;
}
