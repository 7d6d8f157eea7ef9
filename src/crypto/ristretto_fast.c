/* ristretto255 fast path on libdecaf (Debian libdecaf-dev): fixed-base comb
 * tables for g1, g2 and h (built once per public key), a double-scalar
 * multiplication for Dec (u1^a u2^b), and points kept in decaf's internal
 * extended coordinates from decode to encode, so each CS_lite operation
 * decodes every input once and encodes every output once (libsodium's
 * crypto_core_ristretto255_* decode and re-encode on every call).
 *
 * Same group, same bytes: decaf_255 is ristretto255 (same encoding, same base
 * point, same from_hash); tests/crypto/test_decaf_compat.c checks it against
 * libsodium on random points, scalars and byte strings, and that every CS_lite
 * operation gives the same bytes on both paths.
 *
 * Constant time on secrets: decaf_255_precomputed_scalarmul (comb with
 * constant-time table lookups), decaf_255_point_double_scalarmul (fixed
 * 5-bit windows, constant-time lookups) and point add/sub/encode run in time
 * independent of the scalars.  decaf_255_base_double_scalarmul_non_secret is
 * variable time and is not used.  The only branch is on whether a public
 * input decodes. */
#include <decaf/point_255.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"

struct eip_rfast {
    decaf_255_precomputed_s *tab[3]; /* g1, g2, h */
};

/* libsodium 1.0.18's crypto_core_ristretto255_is_valid_point ignores bit 255
 * of an encoding (its field decoding drops it) where decaf rejects it.
 * Clearing it first makes the accepted set exactly the one the wire already
 * accepts (checked on random strings by test_decaf_compat). */
static bool pt_decode(decaf_255_point_t p, const eip_crypto_elem *e)
{
    unsigned char b[32];
    memcpy(b, e->b, 32);
    b[31] &= 0x7f;
    return decaf_255_point_decode(p, b, DECAF_TRUE) == DECAF_SUCCESS;
}

/* Our scalars are canonical (< L), so decoding never reduces; a reduced one
 * would still give the same point (the group has prime order L). */
static void sc_decode(decaf_255_scalar_t s, const eip_scalar *x)
{
    decaf_error_t ok = decaf_255_scalar_decode(s, x->b);
    (void)ok;
}

static void tab_free(decaf_255_precomputed_s *t)
{
    if (!t)
        return;
    decaf_255_precomputed_destroy(t);
    free(t);
}

/* *out = comb table of point e: 0, or 1 out of memory, 2 e not a point. */
static int tab_build(decaf_255_precomputed_s **out, const eip_crypto_elem *e)
{
    const size_t al = decaf_255_alignof_precomputed_s < sizeof(void *) ? sizeof(void *)
                                                                       : decaf_255_alignof_precomputed_s;
    const size_t bytes = (decaf_255_sizeof_precomputed_s + al - 1) / al * al;
    decaf_255_point_t p;
    *out = aligned_alloc(al, bytes);
    if (!*out)
        return 1;
    if (!pt_decode(p, e))
        return 2;
    decaf_255_precompute(*out, p);
    decaf_255_point_destroy(p);
    return 0;
}

eip_status eip_rfast_new(const eip_crypto_pk_t *pk, eip_rfast **out, eip_error *err)
{
    *out = NULL;
    eip_rfast *f = calloc(1, sizeof *f);
    if (!f)
        return eip_error_set(err, EIP_ERR_NOMEM, "ristretto255 tables: out of memory");
    const eip_crypto_elem *base[3] = {&pk->g1, &pk->g2, &pk->h};
    for (int i = 0; i < 3; i++) {
        const int bad = tab_build(&f->tab[i], base[i]);
        if (bad) { /* a bad point: callers validated pk; never happens */
            eip_rfast_free(f);
            return bad == 1 ? eip_error_set(err, EIP_ERR_NOMEM, "ristretto255 tables: out of memory")
                            : eip_error_set(err, EIP_ERR_CRYPTO,
                                            "public key element %d is not a ristretto255 point", i);
        }
    }
    *out = f;
    return EIP_OK;
}

void eip_rfast_free(eip_rfast *f)
{
    if (!f)
        return;
    for (int i = 0; i < 3; i++)
        tab_free(f->tab[i]);
    free(f);
}

/* r = base_which^s m (m NULL: the identity); m already validated. */
void eip_rfast_pow_mul(const eip_rfast *f, int which, const eip_scalar *s, const eip_crypto_elem *m,
                       eip_crypto_elem *r)
{
    decaf_255_scalar_t x;
    decaf_255_point_t p, q;
    sc_decode(x, s);
    decaf_255_precomputed_scalarmul(p, f->tab[which], x);
    if (m && pt_decode(q, m))
        decaf_255_point_add(p, p, q);
    decaf_255_point_encode(r->b, p);
    decaf_255_scalar_destroy(x);
    decaf_255_point_destroy(p);
    decaf_255_point_destroy(q);
}

/* SampDist: out_i = base_i^r in_i.  Every input decoded (validated) once,
 * before r is drawn (r == NULL: drawn from rng, as cslite.c's plain path).
 * Returns 0, or 1 + i when element u_{i+1} of `in` is not in the group. */
int eip_rfast_sampdist(const eip_crypto_pk_t *pk, const eip_crypto_ct *in, const eip_scalar *r,
                       eip_crypto_rng_t *rng, eip_crypto_ct *out)
{
    decaf_255_point_t u[3], p;
    for (int i = 0; i < 3; i++)
        if (!pt_decode(u[i], &in->u[i]))
            return i + 1;
    eip_scalar drawn;
    if (!r) {
        pk->grp.ops->sc_random(&pk->grp, rng, &drawn, false);
        r = &drawn;
    }
    decaf_255_scalar_t x;
    sc_decode(x, r);
    for (int i = 0; i < 3; i++) {
        decaf_255_precomputed_scalarmul(p, pk->fast->tab[i], x);
        decaf_255_point_add(p, p, u[i]);
        decaf_255_point_encode(out->u[i].b, p);
    }
    decaf_255_scalar_destroy(x);
    decaf_255_point_destroy(p);
    sodium_memzero(&drawn, sizeof drawn);
    return 0;
}

/* Dec: m = u3 / (u1^a u2^b) with one double-scalar multiplication.  Returns
 * 0, or 1 + i when element u_{i+1} of c is not in the group (nothing else
 * is computed then). */
int eip_rfast_dec(const eip_scalar *a, const eip_scalar *b, const eip_crypto_ct *c, eip_crypto_elem *m)
{
    decaf_255_point_t u[3], x;
    for (int i = 0; i < 3; i++)
        if (!pt_decode(u[i], &c->u[i]))
            return i + 1;
    decaf_255_scalar_t sa, sb;
    sc_decode(sa, a);
    sc_decode(sb, b);
    decaf_255_point_double_scalarmul(x, u[0], sa, u[1], sb);
    decaf_255_point_sub(x, u[2], x);
    decaf_255_point_encode(m->b, x);
    decaf_255_scalar_destroy(sa);
    decaf_255_scalar_destroy(sb);
    decaf_255_point_destroy(x);
    return 0;
}

/* ---- batch SampDist: distinct inputs decoded once ----------------------
 * A deployment's SampDist inputs are codewords (Φ^-1 picks a codebook
 * slot), so a batch of thousands of answers has a handful of distinct
 * inputs: each is decoded (validated) once and kept in decaf's internal
 * form; every item then costs 3 table multiplications, 3 additions and 3
 * encodings. */

struct eip_rfast_pts {
    int64_t *idx;                  /* [n] item -> distinct entry */
    struct decaf_255_point_s *pt;  /* [3 * distinct] */
    unsigned char *bad;            /* [distinct] 0, or 1 + i (u_{i+1} invalid) */
};

static uint64_t ct_hash(const eip_crypto_ct *c)
{
    uint64_t h = 0;
    for (int i = 0; i < 8; i++) /* points are uniform: 8 bytes of u1 suffice */
        h = (h << 8) | c->u[0].b[i];
    return (h ^ c->u[2].b[5]) * 0x9E3779B97F4A7C15ull;
}

eip_status eip_rfast_pts_new(const eip_crypto_ct *in, int64_t n, eip_rfast_pts **out, eip_error *err)
{
    *out = NULL;
    size_t cap = 16;
    while (cap < (size_t)n * 2)
        cap <<= 1;
    eip_rfast_pts *p = calloc(1, sizeof *p);
    int64_t *slot = malloc(cap * sizeof *slot), *rep = malloc((size_t)n * sizeof *rep);
    if (p)
        p->idx = malloc((size_t)n * sizeof *p->idx);
    if (!p || !slot || !rep || !p->idx) {
        free(slot);
        free(rep);
        eip_rfast_pts_free(p);
        return eip_error_set(err, EIP_ERR_NOMEM, "SampDist batch of %lld: out of memory", (long long)n);
    }
    for (size_t k = 0; k < cap; k++)
        slot[k] = -1;
    int64_t distinct = 0;
    for (int64_t i = 0; i < n; i++) {
        size_t k = (size_t)(ct_hash(&in[i]) >> 20) & (cap - 1);
        while (slot[k] >= 0 && memcmp(&in[rep[slot[k]]], &in[i], sizeof in[i]))
            k = (k + 1) & (cap - 1);
        if (slot[k] < 0) {
            slot[k] = distinct;
            rep[distinct++] = i;
        }
        p->idx[i] = slot[k];
    }
    free(slot);
    const size_t pt_bytes = (3 * (size_t)distinct * sizeof(decaf_255_point_t) + 63) / 64 * 64;
    p->pt = aligned_alloc(64, pt_bytes);
    p->bad = calloc((size_t)distinct, 1);
    if (!p->pt || !p->bad) {
        free(rep);
        eip_rfast_pts_free(p);
        return eip_error_set(err, EIP_ERR_NOMEM, "SampDist batch of %lld: out of memory", (long long)n);
    }
    for (int64_t d = 0; d < distinct; d++)
        for (int i = 0; i < 3 && !p->bad[d]; i++)
            if (!pt_decode(&p->pt[3 * d + i], &in[rep[d]].u[i]))
                p->bad[d] = (unsigned char)(i + 1);
    free(rep);
    *out = p;
    return EIP_OK;
}

void eip_rfast_pts_free(eip_rfast_pts *p)
{
    if (!p)
        return;
    free(p->idx);
    free(p->pt);
    free(p->bad);
    free(p);
}

int eip_rfast_sampdist_pts(const eip_crypto_pk_t *pk, const eip_rfast_pts *p, int64_t i,
                           const eip_scalar *r, eip_crypto_ct *out)
{
    const int64_t d = p->idx[i];
    if (p->bad[d])
        return p->bad[d];
    decaf_255_scalar_t x;
    decaf_255_point_t q;
    sc_decode(x, r);
    for (int k = 0; k < 3; k++) {
        decaf_255_precomputed_scalarmul(q, pk->fast->tab[k], x);
        decaf_255_point_add(q, q, &p->pt[3 * d + k]);
        decaf_255_point_encode(out->u[k].b, q);
    }
    decaf_255_scalar_destroy(x);
    decaf_255_point_destroy(q);
    return 0;
}

/* ---- Dec + label without the encoding ----------------------------------
 * For a few classes, comparing m with the z label points in decaf's form
 * (decaf_255_point_eq: 2 field multiplications each, every label compared,
 * the hit selected without a branch) is cheaper than encoding m (an
 * inverse square root) and searching the sorted encodings; same answer,
 * since equal ristretto points have equal encodings. */

struct eip_rfast_labels {
    int32_t z;
    struct decaf_255_point_s *pt; /* [z], label y at index y */
};

eip_status eip_rfast_labels_new(const eip_group *g, eip_rfast_labels **out, eip_error *err)
{
    *out = NULL;
    if (g->ops->id != EIP_CRYPTO_GROUP_RISTRETTO255 || g->z > EIP_RFAST_LABEL_SCAN)
        return EIP_OK;
    eip_rfast_labels *l = calloc(1, sizeof *l);
    const size_t bytes = ((size_t)g->z * sizeof(decaf_255_point_t) + 63) / 64 * 64;
    if (l)
        l->pt = aligned_alloc(64, bytes);
    if (!l || !l->pt) {
        eip_rfast_labels_free(l);
        return eip_error_set(err, EIP_ERR_NOMEM, "ristretto255 label points: out of memory");
    }
    l->z = g->z;
    for (int32_t y = 0; y < g->z; y++) {
        eip_crypto_elem m;
        g->ops->label_elem(g, y, &m);
        if (!pt_decode(&l->pt[y], &m)) { /* from_hash output: never happens */
            eip_rfast_labels_free(l);
            return eip_error_set(err, EIP_ERR_CRYPTO, "ristretto255 label point %d does not decode", (int)y);
        }
    }
    *out = l;
    return EIP_OK;
}

void eip_rfast_labels_free(eip_rfast_labels *l)
{
    if (!l)
        return;
    free(l->pt);
    free(l);
}

int eip_rfast_dec_label(const eip_rfast_labels *l, const eip_scalar *a, const eip_scalar *b,
                        const eip_crypto_ct *c, int32_t *label)
{
    decaf_255_point_t u[3], x;
    for (int i = 0; i < 3; i++)
        if (!pt_decode(u[i], &c->u[i]))
            return i + 1;
    decaf_255_scalar_t sa, sb;
    sc_decode(sa, a);
    sc_decode(sb, b);
    decaf_255_point_double_scalarmul(x, u[0], sa, u[1], sb);
    decaf_255_point_sub(x, u[2], x);
    int32_t hit = EIP_CRYPTO_NOT_A_LABEL;
    for (int32_t y = 0; y < l->z; y++) {
        int32_t eq = -(int32_t)(decaf_255_point_eq(x, &l->pt[y]) == DECAF_TRUE); /* all ones or 0 */
        hit = (y & eq) | (hit & ~eq);
    }
    *label = hit;
    decaf_255_scalar_destroy(sa);
    decaf_255_scalar_destroy(sb);
    decaf_255_point_destroy(x);
    return 0;
}

/* ---- targeted verification: label points times a secret scalar ---------
 * The linear-in-P check of targeted.c needs B_j (L_y / L_m)^v for every
 * label y, with v secret and fresh per ciphertext: a comb table per label
 * point (built once per targeting context) makes each of the z products a
 * fixed-base multiplication (constant time, like the tables of g1, g2, h). */

struct eip_rfast_ltab {
    int32_t z;
    decaf_255_precomputed_s **tab; /* [z], label y at index y */
};

eip_status eip_rfast_ltab_new(const eip_group *g, eip_rfast_ltab **out, eip_error *err)
{
    *out = NULL;
    if (!eip_group_fast_dec(g) || g->z > EIP_RFAST_LABEL_SCAN)
        return EIP_OK;
    eip_rfast_ltab *t = calloc(1, sizeof *t);
    if (t)
        t->tab = calloc((size_t)g->z, sizeof *t->tab);
    if (!t || !t->tab) {
        free(t);
        return eip_error_set(err, EIP_ERR_NOMEM, "ristretto255 label tables: out of memory");
    }
    t->z = g->z;
    for (int32_t y = 0; y < g->z; y++) {
        eip_crypto_elem m;
        g->ops->label_elem(g, y, &m);
        if (tab_build(&t->tab[y], &m)) { /* from_hash output always decodes */
            eip_rfast_ltab_free(t);
            return eip_error_set(err, EIP_ERR_NOMEM, "ristretto255 label table %d: out of memory",
                                 (int)y);
        }
    }
    *out = t;
    return EIP_OK;
}

void eip_rfast_ltab_free(eip_rfast_ltab *t)
{
    if (!t)
        return;
    for (int32_t y = 0; t->tab && y < t->z; y++)
        tab_free(t->tab[y]);
    free(t->tab);
    free(t);
}

/* out[y] = B (L_m / L_y)^v for y in 0..z-1 (B a valid point: the caller's
 * g1^{b_j}).  Returns 1 if B does not decode (never for the caller's B). */
int eip_rfast_ltab_shift(const eip_rfast_ltab *t, const eip_crypto_elem *b, const eip_scalar *v,
                         int32_t m, eip_crypto_elem *out)
{
    decaf_255_point_t pb, vm, p;
    if (!pt_decode(pb, b))
        return 1;
    decaf_255_scalar_t x;
    sc_decode(x, v);
    decaf_255_precomputed_scalarmul(vm, t->tab[m], x);
    decaf_255_point_add(pb, pb, vm); /* B L_m^v */
    for (int32_t y = 0; y < t->z; y++) {
        decaf_255_precomputed_scalarmul(p, t->tab[y], x);
        decaf_255_point_sub(p, pb, p);
        decaf_255_point_encode(out[y].b, p);
    }
    decaf_255_scalar_destroy(x);
    decaf_255_point_destroy(pb);
    decaf_255_point_destroy(vm);
    decaf_255_point_destroy(p);
    return 0;
}

/* Called by key generation (cslite.c) and key loading (keyfile.c); lives
 * here, below both, so neither calls the other for it. */
eip_status eip_pk_prepare(eip_crypto_pk_t *pk, eip_error *err)
{
    if (pk->grp.ops->id != EIP_CRYPTO_GROUP_RISTRETTO255 || pk->fast)
        return EIP_OK;
    return eip_rfast_new(pk, &pk->fast, err);
}

eip_status eip_sk_prepare(eip_crypto_sk_t *sk, eip_error *err)
{
    return sk->labels ? EIP_OK : eip_rfast_labels_new(&sk->grp, &sk->labels, err);
}
