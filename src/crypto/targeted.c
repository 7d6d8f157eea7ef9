/* Targeted verification ciphertexts (docs/PROTECT.md, Algorithm 1 step 3 in
 * ristretto255): c = (g1^r1, g2^r2, m u1^{a_j} u2^{b_j}), r1 != r2, decrypts
 * to label m under licensee j and is resampled until no other licensee's
 * key decrypts it to a label.
 *
 * Why that check is linear in P.  Write w = t (r2 - r1) and M = Dec(sk_j, c)
 * (= m).  The ratio of cslite.c's proof gives, for every licensee k,
 *   Dec(sk_k, c) = M g1^{w (b_j - b_k)}.
 * w is a unit (t and r2 - r1 are units: ristretto255 nonzero mod the prime
 * L; paper group units of Z_{q-1}), so x -> x^w is a bijection of the cyclic
 * group <g1> of order n and, for any element T,
 *   Dec(sk_k, c) = T  <=>  g1^{b_j - b_k} = (T / M)^{1/w}
 *                     <=>  B_k = E_T := B_j (M / T)^{1/w},   B_k = g1^{b_k}.
 * The B_k are pairwise distinct (b_k distinct mod n, g1 of order n), so
 * "some k != j decrypts c to a label" is exactly "for some label point T,
 * E_T is the B_k of a licensee k != j" (E_T = B_j iff T = M).  With the B_k
 * computed once per master key and kept in a hash set, a ciphertext costs z
 * exponentiations and z look-ups instead of P - 1 decryptions: the set-up
 * of V = per * P instances is O(P + V z) instead of O(V P).
 * eip_targeting_collides_pairs keeps the all-pairs check; the test
 * tests/crypto/test_targeted.c compares the two on random keysets.
 *
 * Secrets: the B_k (which reveal nothing a licensee's key would not, but are
 * the owner's) and the exponents.  Exponentiations are constant time
 * (libsodium, decaf comb tables).  The hash set is keyed with a fresh random
 * SipHash key (crypto_shorthash), its probe runs to the first empty slot
 * without stopping at a hit and compares with sodium_memcmp: the memory
 * trace is a function of keyed-PRF outputs of the compared values, which
 * reveal nothing about them beyond equality — and equality (a collision) is
 * what the caller acts on anyway (a resample). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"

struct eip_crypto_targeting {
    const eip_crypto_master_t *m;
    int64_t count;        /* P when built */
    eip_crypto_elem *B;   /* [P] g1^{b_k} (secret) */
    int64_t *slot;        /* [cap] 0 = empty, else k (1-based) */
    size_t cap;
    unsigned char key[crypto_shorthash_KEYBYTES];
    eip_rfast_ltab *ltab; /* ristretto255 fast path: comb tables of the label points */
};

static size_t slot_of(const eip_crypto_targeting_t *t, const eip_crypto_elem *e)
{
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, e->b, sizeof e->b, t->key);
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x |= (uint64_t)h[i] << (8 * i);
    return (size_t)x & (t->cap - 1);
}

/* k with B_k = e, or 0.  No early exit (see the header). */
static int64_t lookup(const eip_crypto_targeting_t *t, const eip_crypto_elem *e)
{
    int64_t hit = 0;
    for (size_t i = slot_of(t, e); t->slot[i]; i = (i + 1) & (t->cap - 1)) {
        const int64_t k = t->slot[i];
        const int64_t eq = -(int64_t)(sodium_memcmp(t->B[k - 1].b, e->b, sizeof e->b) == 0);
        hit = (k & eq) | (hit & ~eq);
    }
    return hit;
}

void eip_crypto_targeting_free(eip_crypto_targeting_t *t)
{
    if (!t)
        return;
    if (t->B)
        sodium_memzero(t->B, (size_t)t->count * sizeof *t->B);
    free(t->B);
    free(t->slot);
    eip_rfast_ltab_free(t->ltab);
    sodium_memzero(t, sizeof *t);
    free(t);
}

eip_status eip_crypto_targeting_new(const eip_crypto_master_t *m, eip_crypto_targeting_t **out,
                                    eip_error *err)
{
    *out = NULL;
    const eip_group *g = &m->grp;
    eip_crypto_targeting_t *t = calloc(1, sizeof *t);
    if (!t)
        return eip_error_set(err, EIP_ERR_NOMEM, "targeting (%lld licensees): out of memory",
                             (long long)m->count);
    t->m = m;
    t->count = m->count;
    t->cap = 16;
    while (t->cap < (size_t)m->count * 2 + 2)
        t->cap <<= 1;
    t->B = calloc((size_t)(m->count > 0 ? m->count : 1), sizeof *t->B);
    t->slot = calloc(t->cap, sizeof *t->slot);
    eip_status s = EIP_OK;
    if (!t->B || !t->slot) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "targeting (%lld licensees): out of memory",
                          (long long)m->count);
        goto fail;
    }
    if ((s = eip_rfast_ltab_new(g, &t->ltab, err)))
        goto fail;
    randombytes_buf(t->key, sizeof t->key); /* not from a seeded rng: no output depends on it */
    for (int64_t k = 1; k <= m->count; k++) {
        g->ops->pow_g1(g, &t->B[k - 1], &m->b[k - 1]);
        size_t i = slot_of(t, &t->B[k - 1]);
        while (t->slot[i]) /* b_k distinct mod n: no equal B_k */
            i = (i + 1) & (t->cap - 1);
        t->slot[i] = k;
    }
    *out = t;
    return EIP_OK;
fail:
    eip_crypto_targeting_free(t);
    return s;
}

int eip_targeting_collides(const eip_crypto_targeting_t *t, int64_t j, const eip_crypto_elem *mj,
                           int32_t mlabel, const eip_scalar *w, const eip_crypto_elem *targets,
                           int32_t nt)
{
    const eip_group *g = &t->m->grp;
    eip_scalar v;
    g->ops->sc_invert(g, &v, w);
    const eip_crypto_elem *bj = &t->B[j - 1];
    int64_t hit = 0;
    if (!targets && t->ltab && mlabel >= 0) { /* ristretto255: z comb multiplications */
        eip_crypto_elem e[EIP_RFAST_LABEL_SCAN];
        (void)eip_rfast_ltab_shift(t->ltab, bj, &v, mlabel, e);
        for (int32_t y = 0; y < g->z; y++) {
            const int64_t k = lookup(t, &e[y]);
            hit |= k != 0 && k != j;
        }
        sodium_memzero(e, sizeof e);
    } else {
        eip_crypto_elem tt, x;
        const int32_t n = targets ? nt : g->z;
        for (int32_t y = 0; y < n; y++) {
            if (targets)
                tt = targets[y];
            else
                g->ops->label_elem(g, y, &tt);
            g->ops->div(g, &x, mj, &tt); /* M / T */
            g->ops->pow(g, &x, &x, &v);
            g->ops->mul(g, &x, bj, &x);  /* E_T */
            const int64_t k = lookup(t, &x);
            hit |= k != 0 && k != j;
        }
        sodium_memzero(&x, sizeof x);
    }
    sodium_memzero(&v, sizeof v);
    return hit != 0;
}

int eip_targeting_collides_pairs(const eip_crypto_master_t *m, int64_t j, const eip_crypto_ct *c,
                                 const eip_crypto_elem *targets, int32_t nt)
{
    const eip_group *g = &m->grp;
    eip_scalar ak, bk;
    eip_crypto_elem x;
    int hit = 0;
    for (int64_t k = 1; k <= m->count; k++) {
        if (k == j)
            continue;
        eip_master_derive(m, k, &ak, &bk);
        eip_dec_raw(g, &ak, &bk, c, &x);
        if (!targets)
            hit |= g->ops->elem_label(g, &x) != EIP_CRYPTO_NOT_A_LABEL;
        for (int32_t y = 0; targets && y < nt; y++)
            hit |= sodium_memcmp(x.b, targets[y].b, sizeof x.b) == 0;
    }
    sodium_memzero(&ak, sizeof ak);
    sodium_memzero(&bk, sizeof bk);
    sodium_memzero(&x, sizeof x);
    return hit;
}

/* u1 = g1^r1, u2 = g1^{t r2} (= g2^r2), u3 = m g1^{r1 a_j + t r2 b_j}
 * (= m u1^{a_j} u2^{b_j}): the same elements as the definition, from three
 * fixed-base multiplications; w = t (r2 - r1). */
void eip_targeting_build(const eip_crypto_targeting_t *t, int64_t j, const eip_crypto_elem *m,
                         const eip_scalar *r1, const eip_scalar *r2, eip_crypto_ct *c, eip_scalar *w)
{
    const eip_crypto_master_t *mk = t->m;
    const eip_group *g = &mk->grp;
    eip_scalar aj, bj, e, f;
    eip_crypto_elem x;
    eip_master_derive(mk, j, &aj, &bj);
    g->ops->pow_g1(g, &c->u[0], r1);
    g->ops->sc_mul(g, &e, &mk->t, r2);
    g->ops->pow_g1(g, &c->u[1], &e);
    g->ops->sc_mul(g, &f, &e, &bj);
    g->ops->sc_mul(g, &e, r1, &aj);
    g->ops->sc_add(g, &e, &e, &f);
    g->ops->pow_g1(g, &x, &e);
    g->ops->mul(g, &c->u[2], m, &x);
    g->ops->sc_sub(g, &e, r2, r1);
    g->ops->sc_mul(g, w, &mk->t, &e);
    sodium_memzero(&aj, sizeof aj);
    sodium_memzero(&bj, sizeof bj);
    sodium_memzero(&e, sizeof e);
    sodium_memzero(&f, sizeof f);
    sodium_memzero(&x, sizeof x);
}

eip_status eip_crypto_targeting_fake_for(const eip_crypto_targeting_t *t, int64_t j, int32_t label,
                                         eip_crypto_rng_t *rng, eip_crypto_ct *c, eip_error *err)
{
    const eip_crypto_master_t *mk = t->m;
    const eip_group *g = &mk->grp;
    if (mk->count != t->count)
        return eip_error_set(err, EIP_ERR_STATE, "targeting: the master key has %lld licensees, "
                             "the context was built for %lld (build it again)",
                             (long long)mk->count, (long long)t->count);
    if (j < 1 || j > mk->count)
        return eip_error_set(err, EIP_ERR_NOT_FOUND, "licensee %lld does not exist (1..%lld)",
                             (long long)j, (long long)mk->count);
    if (label < 0 || label >= g->z)
        return eip_error_set(err, EIP_ERR_RANGE, "label %d out of range 0..%d", (int)label,
                             (int)g->z - 1);
    eip_crypto_elem m;
    eip_scalar r1, r2, w;
    g->ops->label_elem(g, label, &m);
    int found = 0;
    for (int attempt = 0; attempt < 1000 && !found; attempt++) {
        eip_fake_exponents(g, rng, &r1, &r2);
        eip_targeting_build(t, j, &m, &r1, &r2, c, &w);
        found = !eip_targeting_collides(t, j, &m, label, &w, NULL, 0);
    }
    sodium_memzero(&r1, sizeof r1);
    sodium_memzero(&r2, sizeof r2);
    sodium_memzero(&w, sizeof w);
    if (!found)
        return eip_error_set(err, EIP_ERR_INFEASIBLE,
                             "no verification ciphertext found for licensee %lld after 1000 tries: "
                             "other keys always decrypt to a label (in the paper group with q=%u "
                             "and %d classes nearly every element is a label)",
                             (long long)j, g->q, (int)g->z);
    return EIP_OK;
}

eip_status eip_crypto_fake_for(const eip_crypto_master_t *m, int64_t j, int32_t label,
                               eip_crypto_rng_t *rng, eip_crypto_ct *c, eip_error *err)
{
    eip_crypto_targeting_t *t;
    eip_status s = eip_crypto_targeting_new(m, &t, err);
    if (s)
        return s;
    s = eip_crypto_targeting_fake_for(t, j, label, rng, c, err);
    eip_crypto_targeting_free(t);
    return s;
}
