/* Collusion (issue 17 item 4): licensee keys of one keygen determine the
 * master secret t, so colluders can mint keys for fresh b.
 *
 * Every licensee key satisfies a_j + b_j t = a1 + b1 t (Gen: a_j = a1 +
 * (b1 - b_j) t, paper section 4.2), hence for two keys
 *   a_j - a_k = (b_k - b_j) t            (mod n, the order of g1).
 * - ristretto255: n = L is prime and b_j != b_k, so t = (a_j - a_k) / (b_k - b_j).
 * - paper group: n = q-1 is composite; with g = gcd(b_k - b_j, n) the
 *   congruence has g solutions mod n (t is fixed only mod n/g).  More pairs
 *   narrow them (every pair must hold) and Gen draws t a unit of Z_n; what
 *   remains is reported (info->solutions).  The public key settles it:
 *   g2 = g1^t and g1 generates Z_q^*, so exactly one candidate matches.
 * With t and any one key (a_j, b_j) the colluders hold an equivalent of the
 * master key: a = a_j + (b_j - b) t for any b (eip_crypto_issue on the
 * returned master).
 *
 * This is an attack tool: the enumeration over candidates is not constant
 * time, and its inputs are keys the attacker already holds. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"

/* Candidates enumerated at most (paper group: g of the best pair). */
#define COLLUDE_MAX_CANDIDATES (1u << 24)

static uint32_t sc_u(const eip_scalar *s)
{
    return (uint32_t)s->b[0] | (uint32_t)s->b[1] << 8 | (uint32_t)s->b[2] << 16 |
           (uint32_t)s->b[3] << 24;
}

static void sc_set(eip_scalar *s, uint32_t v)
{
    memset(s->b, 0, sizeof s->b);
    for (int i = 0; i < 4; i++)
        s->b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Inverse of a mod m (gcd(a, m) = 1, m >= 1), extended Euclid. */
static uint64_t inv_mod(uint64_t a, uint64_t m)
{
    if (m == 1)
        return 0;
    int64_t t0 = 0, t1 = 1, r0 = (int64_t)m, r1 = (int64_t)(a % m);
    while (r1) {
        int64_t qq = r0 / r1, x;
        x = r0 - qq * r1;
        r0 = r1;
        r1 = x;
        x = t0 - qq * t1;
        t0 = t1;
        t1 = x;
    }
    return (uint64_t)(t0 < 0 ? t0 + (int64_t)m : t0);
}

/* Does t satisfy a_0 - a_i = (b_i - b_0) t for every key i (mod n)? */
static bool t_fits(const eip_group *g, const eip_crypto_sk_t *const *keys, int64_t n,
                   const eip_scalar *t)
{
    eip_scalar l, r, d;
    bool ok = true;
    for (int64_t i = 1; i < n; i++) {
        g->ops->sc_sub(g, &l, &keys[0]->a, &keys[i]->a);
        g->ops->sc_sub(g, &d, &keys[i]->b, &keys[0]->b);
        g->ops->sc_mul(g, &r, &d, t);
        ok &= memcmp(l.b, r.b, sizeof l.b) == 0;
    }
    sodium_memzero(&l, sizeof l);
    sodium_memzero(&r, sizeof r);
    sodium_memzero(&d, sizeof d);
    return ok;
}

static bool t_matches_pk(const eip_crypto_pk_t *pk, const eip_scalar *t)
{
    eip_crypto_elem g2;
    pk->grp.ops->pow_g1(&pk->grp, &g2, t);
    return memcmp(g2.b, pk->g2.b, sizeof g2.b) == 0;
}

/* ristretto255: t from the first pair with distinct b (always invertible). */
static eip_status solve_ristretto(const eip_crypto_pk_t *pk, const eip_crypto_sk_t *const *keys,
                                  int64_t n, eip_scalar *t, eip_crypto_collude_info *info,
                                  eip_error *err)
{
    const eip_group *g = &pk->grp;
    eip_scalar d, dinv, da;
    for (int64_t k = 1; k < n; k++) {
        g->ops->sc_sub(g, &d, &keys[k]->b, &keys[0]->b);
        if (crypto_core_ristretto255_scalar_invert(dinv.b, d.b) != 0)
            continue; /* same b: the same key twice */
        g->ops->sc_sub(g, &da, &keys[0]->a, &keys[k]->a);
        g->ops->sc_mul(g, t, &da, &dinv);
        info->pair_j = 1;
        info->pair_k = k + 1;
        info->gcd = 1;
        info->solutions = 1;
        sodium_memzero(&d, sizeof d);
        sodium_memzero(&dinv, sizeof dinv);
        sodium_memzero(&da, sizeof da);
        return EIP_OK;
    }
    return eip_error_set(err, EIP_ERR_ARG,
                         "collude: all %lld keys have the same b (the same licensee's key): "
                         "two different licensees' keys are needed",
                         (long long)n);
}

/* Paper group: every t in Z_n with (b_k - b_j) t = a_j - a_k for every pair,
 * t a unit; the pk picks the one with g1^t = g2. */
static eip_status solve_paper(const eip_crypto_pk_t *pk, const eip_crypto_sk_t *const *keys,
                              int64_t n, eip_scalar *t, eip_crypto_collude_info *info,
                              eip_error *err)
{
    const eip_group *g = &pk->grp;
    const uint64_t ord = g->n;
    /* The pair with the smallest gcd leaves the fewest candidates. */
    uint64_t best_g = 0;
    int64_t bj = -1, bk = -1;
    for (int64_t j = 0; j < n; j++)
        for (int64_t k = j + 1; k < n; k++) {
            uint64_t d = (sc_u(&keys[k]->b) + ord - sc_u(&keys[j]->b)) % ord;
            if (!d)
                continue;
            uint64_t gg = gcd_u64(d, ord);
            if (!best_g || gg < best_g) {
                best_g = gg;
                bj = j;
                bk = k;
            }
        }
    if (!best_g)
        return eip_error_set(err, EIP_ERR_ARG,
                             "collude: all %lld keys have the same b (the same licensee's key): "
                             "two different licensees' keys are needed",
                             (long long)n);
    uint64_t d = (sc_u(&keys[bk]->b) + ord - sc_u(&keys[bj]->b)) % ord;
    uint64_t da = (sc_u(&keys[bj]->a) + ord - sc_u(&keys[bk]->a)) % ord;
    info->pair_j = bj + 1;
    info->pair_k = bk + 1;
    info->gcd = (int64_t)best_g;
    if (da % best_g)
        return eip_error_set(err, EIP_ERR_CRYPTO,
                             "collude: keys %lld and %lld do not come from one keygen "
                             "(a_j - a_k is not a multiple of gcd(b_k - b_j, q-1) = %llu)",
                             (long long)bj + 1, (long long)bk + 1, (unsigned long long)best_g);
    if (best_g > COLLUDE_MAX_CANDIDATES)
        return eip_error_set(err, EIP_ERR_INFEASIBLE,
                             "collude: gcd(b_k - b_j, q-1) = %llu leaves too many candidates for t "
                             "(more than %u); add keys of other licensees",
                             (unsigned long long)best_g, COLLUDE_MAX_CANDIDATES);
    uint64_t m = ord / best_g; /* t is fixed mod m by this pair */
    uint64_t t0 = (da / best_g) % m * inv_mod((d / best_g) % m, m) % m;
    int64_t fit = 0, found = 0;
    eip_scalar cand;
    for (uint64_t i = 0; i < best_g; i++) {
        sc_set(&cand, (uint32_t)(t0 + i * m));
        if (!g->ops->sc_is_unit(g, &cand) || !t_fits(g, keys, n, &cand))
            continue;
        fit++;
        if (!found && t_matches_pk(pk, &cand)) {
            *t = cand;
            found = 1;
        }
    }
    sodium_memzero(&cand, sizeof cand);
    info->solutions = fit;
    info->pk_needed = fit > 1;
    if (!found)
        return eip_error_set(err, EIP_ERR_CRYPTO,
                             "collude: no t fits the keys and the public key (g2 = g1^t): the "
                             "keys do not come from this keygen");
    return EIP_OK;
}

eip_status eip_crypto_collude(const eip_crypto_pk_t *pk, const eip_crypto_sk_t *const *keys,
                              int64_t n, eip_crypto_master_t **out, eip_crypto_collude_info *info,
                              eip_error *err)
{
    *out = NULL;
    memset(info, 0, sizeof *info);
    if (n < 2)
        return eip_error_set(err, EIP_ERR_ARG,
                             "collude: %lld key(s) given; at least two licensees' keys are needed",
                             (long long)n);
    for (int64_t i = 0; i < n; i++) {
        char what[48];
        snprintf(what, sizeof what, "collude: key %lld", (long long)i + 1);
        eip_status s = eip_crypto_sk_check_pk(keys[i], pk->id, what, err);
        if (s)
            return s;
        if (!eip_group_same(&keys[i]->grp, &pk->grp))
            return eip_error_set(err, EIP_ERR_CRYPTO, "%s: group differs from the public key's",
                                 what);
    }
    info->keys = n;
    info->pairs = n * (n - 1) / 2;
    eip_scalar t;
    eip_status s = pk->grp.ops->id == EIP_CRYPTO_GROUP_RISTRETTO255
                       ? solve_ristretto(pk, keys, n, &t, info, err)
                       : solve_paper(pk, keys, n, &t, info, err);
    if (s)
        return s;
    /* Every key must fit t, and g2 = g1^t (ristretto255: checks the keys). */
    if (!t_fits(&pk->grp, keys, n, &t) || !t_matches_pk(pk, &t)) {
        sodium_memzero(&t, sizeof t);
        return eip_error_set(err, EIP_ERR_CRYPTO,
                             "collude: the keys are not consistent with one master secret t of "
                             "this public key");
    }
    eip_crypto_master_t *m = calloc(1, sizeof *m);
    if (!m || !(m->b = calloc((size_t)n, sizeof *m->b))) {
        free(m);
        sodium_memzero(&t, sizeof t);
        return eip_error_set(err, EIP_ERR_NOMEM, "collude: out of memory");
    }
    m->cap = n;
    if ((s = eip_group_copy(&m->grp, &pk->grp, err))) {
        eip_crypto_master_free(m);
        sodium_memzero(&t, sizeof t);
        return s;
    }
    memcpy(m->pk_id, pk->id, sizeof m->pk_id);
    /* (a1, b1) := key 1; the other distinct b's are "used" so that issue
     * draws a b none of the colluders holds. */
    m->t = t;
    m->a1 = keys[0]->a;
    for (int64_t i = 0; i < n; i++) {
        bool dup = false;
        for (int64_t k = 0; k < m->count; k++)
            dup |= memcmp(m->b[k].b, keys[i]->b.b, sizeof m->b[k].b) == 0;
        if (!dup)
            m->b[m->count++] = keys[i]->b;
    }
    info->distinct = m->count;
    sodium_memzero(&t, sizeof t);
    *out = m;
    return EIP_OK;
}
