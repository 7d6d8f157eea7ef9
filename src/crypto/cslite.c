/* CS_lite (EncryIP section 4.2, Figure 1): Gen, Enc, Dec, Fake, SampDist,
 * incremental licensees (section 4.5 (2)), targeted verification
 * ciphertexts and the verification helpers of section 4.4 / eq. (5).
 * Written once against the group interface (internal.h); runs on the paper
 * group and on ristretto255.
 *
 * Why Fake decryptions differ for every pair of keys (paper section 3,
 * correctness property 2).  Let c = (g1^r1, g2^r2, u3) with g2 = g1^t and
 * sk_j = (a_j, b_j), a_j = a1 + (b1 - b_j) t.  Then
 *   Dec(sk_j, c) = u3 / g1^{r1 a_j + t r2 b_j}
 * and, since r1 a_j + t r2 b_j = r1 a1 + r1 t b1 + t b_j (r2 - r1),
 *   Dec(sk_j, c) / Dec(sk_k, c) = g1^{t (r2 - r1) (b_k - b_j)}.
 * g1 generates a cyclic group of order n (paper: n = q-1; ristretto255:
 * n = L, prime), so the ratio is 1 iff n | t (r2 - r1) (b_k - b_j).
 *   - ristretto255: n is prime and t != 0, r2 != r1, b_j != b_k, so n divides
 *     none of the three factors, hence not their product.
 *   - paper group: n = q-1 is composite.  Gen picks t a unit of Z_{q-1}, Fake
 *     picks r2 - r1 a unit of Z_{q-1}; multiplying by units does not change
 *     divisibility by n, so n | t (r2-r1)(b_k-b_j) iff n | (b_k - b_j), i.e.
 *     iff b_j = b_k mod q-1 — excluded because the b_j are distinct in
 *     Z_{q-1}.  (With the paper's "t <- Z_q^*" taken literally, e.g. q = 11,
 *     t = 5, r2 - r1 = 2 makes g1^{10 (b_k - b_j)} = 1 for every pair.)
 *     Distinct b_j in Z_{q-1} also bound the number of licensees: P <= q-1.
 * The same computation gives property 1: for an honest ciphertext
 * (r1 = r2 = r) the exponent r a_j + t r b_j = r (a1 + t b1) does not depend
 * on j, so every key decrypts it to m. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"

/* ---- a small open-addressing set of used b values ------------------------ */

typedef struct used_set {
    eip_scalar *slot; /* [cap] */
    unsigned char *full;
    size_t cap;
} used_set;

static size_t set_hash(const eip_scalar *s, size_t cap)
{
    uint64_t h = 0;
    for (int i = 0; i < 8; i++)
        h = (h << 8) | s->b[i];
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 17) & (cap - 1);
}

static eip_status set_init(used_set *u, int64_t expected, eip_error *err)
{
    u->cap = 16;
    while (u->cap < (size_t)expected * 2 + 2)
        u->cap <<= 1;
    u->slot = calloc(u->cap, sizeof *u->slot);
    u->full = calloc(u->cap, 1);
    if (!u->slot || !u->full) {
        free(u->slot);
        free(u->full);
        return eip_error_set(err, EIP_ERR_NOMEM, "licensee set (%lld): out of memory", (long long)expected);
    }
    return EIP_OK;
}

static void set_free(used_set *u)
{
    if (u->slot)
        sodium_memzero(u->slot, u->cap * sizeof *u->slot);
    free(u->slot);
    free(u->full);
}

/* Inserts s; returns false if it was already present. */
static bool set_insert(used_set *u, const eip_scalar *s)
{
    size_t i = set_hash(s, u->cap);
    while (u->full[i]) {
        if (!memcmp(u->slot[i].b, s->b, 32))
            return false;
        i = (i + 1) & (u->cap - 1);
    }
    u->full[i] = 1;
    u->slot[i] = *s;
    return true;
}

/* ---- Gen, issue -------------------------------------------------------- */

static eip_status master_reserve(eip_crypto_master_t *m, int64_t cap, eip_error *err)
{
    if (cap <= m->cap)
        return EIP_OK;
    eip_scalar *nb = calloc((size_t)cap, sizeof *nb);
    if (!nb)
        return eip_error_set(err, EIP_ERR_NOMEM, "master key (%lld licensees): out of memory",
                             (long long)cap);
    if (m->b) {
        memcpy(nb, m->b, (size_t)m->count * sizeof *nb);
        sodium_memzero(m->b, (size_t)m->cap * sizeof *nb);
        free(m->b);
    }
    m->b = nb;
    m->cap = cap;
    return EIP_OK;
}

static eip_status licensee_limit(const eip_group *g, int64_t p, eip_error *err)
{
    if (p < 1 || p > EIP_CRYPTO_MAX_LICENSEES)
        return eip_error_set(err, EIP_ERR_RANGE, "--licensees %lld out of range 1..%d", (long long)p,
                             EIP_CRYPTO_MAX_LICENSEES);
    if (g->ops->id == EIP_CRYPTO_GROUP_PAPER && p > (int64_t)g->n) {
        int64_t need = eip_crypto_paper_default_q(p > g->z ? p : g->z);
        return eip_error_set(err, EIP_ERR_RANGE,
                             "%lld licensees need P <= q-1 in the paper group (the b_j must be "
                             "distinct mod q-1), but q=%u allows %u; raise q with --q %lld (any "
                             "prime q > max(P, classes))",
                             (long long)p, g->q, g->n, (long long)need);
    }
    return EIP_OK;
}

eip_status eip_crypto_gen(const eip_crypto_params *params, int64_t licensees, eip_crypto_rng_t *rng,
                          eip_crypto_pk_t **pk_out, eip_crypto_master_t **m_out, eip_error *err)
{
    *pk_out = NULL;
    *m_out = NULL;
    eip_crypto_pk_t *pk = calloc(1, sizeof *pk);
    eip_crypto_master_t *m = calloc(1, sizeof *m);
    used_set used = {0};
    eip_status s = EIP_ERR_NOMEM;
    if (!pk || !m) {
        eip_error_set(err, s, "Gen: out of memory");
        goto fail;
    }
    if ((s = eip_group_init(&pk->grp, params->group, params->classes, params->q, "Gen", err)) ||
        (s = licensee_limit(&pk->grp, licensees, err)) ||
        (s = eip_group_copy(&m->grp, &pk->grp, err)) || (s = master_reserve(m, licensees, err)) ||
        (s = set_init(&used, licensees, err)))
        goto fail;
    const eip_group *g = &pk->grp;
    const eip_group_ops *op = g->ops;

    /* t <- units (Z_q^* in the paper, see the proof above), g2 = g1^t,
     * (a1, b1) <- Z^2, h = g1^a1 g2^b1. */
    op->sc_random(g, rng, &m->t, true);
    op->sc_random(g, rng, &m->a1, false);
    op->g1(g, &pk->g1);
    op->pow_g1(g, &pk->g2, &m->t);
    eip_crypto_elem x, y;
    for (int64_t j = 0; j < licensees; j++) { /* b_1..b_P pairwise distinct */
        do
            op->sc_random(g, rng, &m->b[j], false);
        while (!set_insert(&used, &m->b[j]));
    }
    m->count = licensees;
    op->pow_g1(g, &x, &m->a1);
    op->pow(g, &y, &pk->g2, &m->b[0]);
    op->mul(g, &pk->h, &x, &y);
    if ((s = eip_pk_compute_id(pk, err)) || (s = eip_pk_prepare(pk, err)))
        goto fail;
    memcpy(m->pk_id, pk->id, sizeof m->pk_id);
    set_free(&used);
    *pk_out = pk;
    *m_out = m;
    return EIP_OK;
fail:
    set_free(&used);
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
    return s;
}

void eip_master_derive(const eip_crypto_master_t *m, int64_t j, eip_scalar *a, eip_scalar *b)
{
    /* a_j = a1 + (b1 - b_j) t */
    const eip_group *g = &m->grp;
    eip_scalar d;
    *b = m->b[j - 1];
    g->ops->sc_sub(g, &d, &m->b[0], b);
    g->ops->sc_mul(g, &d, &d, &m->t);
    g->ops->sc_add(g, a, &m->a1, &d);
    sodium_memzero(&d, sizeof d);
}

eip_status eip_crypto_master_sk(const eip_crypto_master_t *m, int64_t j, eip_crypto_sk_t **out,
                                eip_error *err)
{
    *out = NULL;
    if (j < 1 || j > m->count)
        return eip_error_set(err, EIP_ERR_NOT_FOUND, "licensee %lld does not exist (1..%lld)",
                             (long long)j, (long long)m->count);
    eip_crypto_sk_t *sk = calloc(1, sizeof *sk);
    if (!sk)
        return eip_error_set(err, EIP_ERR_NOMEM, "secret key: out of memory");
    eip_status s = eip_group_copy(&sk->grp, &m->grp, err);
    if (s) {
        eip_crypto_sk_free(sk);
        return s;
    }
    memcpy(sk->pk_id, m->pk_id, sizeof sk->pk_id);
    sk->index = j;
    eip_master_derive(m, j, &sk->a, &sk->b);
    if ((s = eip_sk_prepare(sk, err))) {
        eip_crypto_sk_free(sk);
        return s;
    }
    *out = sk;
    return EIP_OK;
}

/* Section 4.5 (2): b_{P+1} <- Z \ {b_1..b_P}, a_{P+1} = a1 + (b1 - b_{P+1}) t.
 * pk and the existing keys and model stay as they are. */
eip_status eip_crypto_issue(eip_crypto_master_t *m, const eip_crypto_pk_t *pk, eip_crypto_rng_t *rng,
                            eip_crypto_sk_t **out, eip_error *err)
{
    *out = NULL;
    if (sodium_memcmp(m->pk_id, pk->id, sizeof m->pk_id) != 0)
        return eip_error_set(err, EIP_ERR_CRYPTO,
                             "master key belongs to another public key (key ids differ)");
    const eip_group *g = &m->grp;
    if (g->ops->id == EIP_CRYPTO_GROUP_PAPER && m->count >= (int64_t)g->n)
        return eip_error_set(err, EIP_ERR_RANGE,
                             "all q-1=%u values of b are used: the paper group with q=%u has room "
                             "for at most %u licensees; more need new keys with a larger --q "
                             "(and retraining)",
                             g->n, g->q, g->n);
    eip_status s = licensee_limit(g, m->count + 1, err);
    if (s)
        return s;
    used_set used = {0};
    if ((s = set_init(&used, m->count + 1, err)))
        return s;
    for (int64_t j = 0; j < m->count; j++)
        set_insert(&used, &m->b[j]);
    if (m->count + 1 > m->cap && (s = master_reserve(m, m->cap * 2 + 1, err))) {
        set_free(&used);
        return s;
    }
    eip_scalar b;
    do
        g->ops->sc_random(g, rng, &b, false);
    while (!set_insert(&used, &b));
    set_free(&used);
    m->b[m->count++] = b;
    sodium_memzero(&b, sizeof b);
    s = eip_crypto_master_sk(m, m->count, out, err);
    if (s)
        m->count--;
    return s;
}

/* ---- Enc, Dec, Fake, SampDist ------------------------------------------ */

eip_status eip_crypto_label_elem(const eip_crypto_pk_t *pk, int32_t label, eip_crypto_elem *m,
                                 eip_error *err)
{
    if (label < 0 || label >= pk->grp.z)
        return eip_error_set(err, EIP_ERR_RANGE, "label %d out of range 0..%d", (int)label,
                             (int)pk->grp.z - 1);
    pk->grp.ops->label_elem(&pk->grp, label, m);
    return EIP_OK;
}

/* Enc(pk, m): r <- Z, c = (g1^r, g2^r, h^r m). */
eip_status eip_crypto_enc_elem(const eip_crypto_pk_t *pk, const eip_crypto_elem *m,
                               eip_crypto_rng_t *rng, eip_crypto_ct *c, eip_error *err)
{
    const eip_group *g = &pk->grp;
    if (!g->ops->elem_valid(g, m))
        return eip_error_set(err, EIP_ERR_CRYPTO, "Enc: message is not an element of the %s group",
                             g->ops->name);
    eip_scalar r;
    eip_crypto_elem hr;
    g->ops->sc_random(g, rng, &r, false);
    const eip_rfast *f = eip_pk_fast(pk);
    if (f) { /* same bytes; u1 from libsodium's base-point table (no addition
              * follows, and it beats decaf's comb + encoding), u2, u3 from ours */
        g->ops->pow_g1(g, &c->u[0], &r);
        eip_rfast_pow_mul(f, 1, &r, NULL, &c->u[1]);
        eip_rfast_pow_mul(f, 2, &r, m, &c->u[2]);
    } else {
        g->ops->pow_g1(g, &c->u[0], &r);
        g->ops->pow(g, &c->u[1], &pk->g2, &r);
        g->ops->pow(g, &hr, &pk->h, &r);
        g->ops->mul(g, &c->u[2], &hr, m);
    }
    sodium_memzero(&r, sizeof r);
    sodium_memzero(&hr, sizeof hr);
    return EIP_OK;
}

eip_status eip_crypto_enc(const eip_crypto_pk_t *pk, int32_t label, eip_crypto_rng_t *rng,
                          eip_crypto_ct *c, eip_error *err)
{
    eip_crypto_elem m;
    eip_status s = eip_crypto_label_elem(pk, label, &m, err);
    return s ? s : eip_crypto_enc_elem(pk, &m, rng, c, err);
}

static eip_status ct_bad(const eip_group *g, int i, const char *who, eip_error *err)
{
    return eip_error_set(err, EIP_ERR_CRYPTO, "%s: ciphertext element u%d is not in the %s group", who,
                         i, g->ops->name);
}

static eip_status ct_check(const eip_group *g, const eip_crypto_ct *c, const char *who, eip_error *err)
{
    for (int i = 0; i < 3; i++)
        if (!g->ops->elem_valid(g, &c->u[i]))
            return ct_bad(g, i + 1, who, err);
    return EIP_OK;
}

eip_status eip_crypto_pk_ct_check(const eip_crypto_pk_t *pk, const eip_crypto_ct *c, eip_error *err)
{
    return ct_check(&pk->grp, c, "ciphertext", err);
}

/* m = u3 / (u1^a u2^b) */
void eip_dec_raw(const eip_group *g, const eip_scalar *a, const eip_scalar *b, const eip_crypto_ct *c,
                 eip_crypto_elem *m)
{
    if (eip_group_fast_dec(g)) {
        (void)eip_rfast_dec(a, b, c, m); /* c validated by the callers */
        return;
    }
    eip_crypto_elem x, y;
    g->ops->pow(g, &x, &c->u[0], a);
    g->ops->pow(g, &y, &c->u[1], b);
    g->ops->mul(g, &x, &x, &y);
    g->ops->div(g, m, &c->u[2], &x);
    sodium_memzero(&x, sizeof x);
    sodium_memzero(&y, sizeof y);
}

eip_status eip_crypto_dec(const eip_crypto_sk_t *sk, const eip_crypto_ct *c, eip_crypto_elem *m,
                          eip_error *err)
{
    if (eip_group_fast_dec(&sk->grp)) { /* validates while decoding, once */
        int bad = eip_rfast_dec(&sk->a, &sk->b, c, m);
        return bad ? ct_bad(&sk->grp, bad, "Dec", err) : EIP_OK; /* the paper's ⊥ */
    }
    eip_status s = ct_check(&sk->grp, c, "Dec", err); /* the paper's ⊥ */
    if (s)
        return s;
    eip_dec_raw(&sk->grp, &sk->a, &sk->b, c, m);
    return EIP_OK;
}

eip_status eip_crypto_dec_label(const eip_crypto_sk_t *sk, const eip_crypto_ct *c, int32_t *label,
                                eip_error *err)
{
    if (sk->labels && eip_group_fast_dec(&sk->grp)) { /* no encoding of m */
        int bad = eip_rfast_dec_label(sk->labels, &sk->a, &sk->b, c, label);
        if (bad)
            *label = EIP_CRYPTO_NOT_A_LABEL;
        return bad ? ct_bad(&sk->grp, bad, "Dec", err) : EIP_OK;
    }
    eip_crypto_elem m;
    eip_status s = eip_crypto_dec(sk, c, &m, err);
    *label = s ? EIP_CRYPTO_NOT_A_LABEL : sk->grp.ops->elem_label(&sk->grp, &m);
    sodium_memzero(&m, sizeof m);
    return s;
}

/* r1 <- Z, r2 = r1 + d with d a unit (so r1 != r2; paper group: r2 - r1 is a
 * unit mod q-1 as the proof above needs). */
void eip_fake_exponents(const eip_group *g, eip_crypto_rng_t *rng, eip_scalar *r1, eip_scalar *r2)
{
    eip_scalar d;
    g->ops->sc_random(g, rng, r1, false);
    g->ops->sc_random(g, rng, &d, true);
    g->ops->sc_add(g, r2, r1, &d);
    sodium_memzero(&d, sizeof d);
}

/* Fake(pk): (r1, r2), r1 != r2, u1 = g1^r1, u2 = g2^r2, u3 <- group. */
eip_status eip_crypto_fake(const eip_crypto_pk_t *pk, eip_crypto_rng_t *rng, eip_crypto_ct *c,
                           eip_error *err)
{
    const eip_group *g = &pk->grp;
    eip_scalar r1, r2;
    eip_fake_exponents(g, rng, &r1, &r2);
    const eip_rfast *f = eip_pk_fast(pk);
    if (f) { /* u1 as in Enc */
        g->ops->pow_g1(g, &c->u[0], &r1);
        eip_rfast_pow_mul(f, 1, &r2, NULL, &c->u[1]);
    } else {
        g->ops->pow_g1(g, &c->u[0], &r1);
        g->ops->pow(g, &c->u[1], &pk->g2, &r2);
    }
    g->ops->elem_random(g, rng, &c->u[2]);
    sodium_memzero(&r1, sizeof r1);
    sodium_memzero(&r2, sizeof r2);
    return EIP_OK;
}

/* SampDist(c'): r <- Z, c = (g1^r u1', g2^r u2', h^r u3'). */
eip_status eip_crypto_sampdist(const eip_crypto_pk_t *pk, const eip_crypto_ct *in,
                               eip_crypto_rng_t *rng, eip_crypto_ct *out, eip_error *err)
{
    return eip_sampdist_with(pk, in, NULL, rng, out, err);
}

eip_status eip_sampdist_with(const eip_crypto_pk_t *pk, const eip_crypto_ct *in, const eip_scalar *rin,
                             eip_crypto_rng_t *rng, eip_crypto_ct *out, eip_error *err)
{
    const eip_group *g = &pk->grp;
    if (eip_pk_fast(pk)) { /* decodes (validates) in once, then 3 table lookups */
        int bad = eip_rfast_sampdist(pk, in, rin, rng, out);
        return bad ? ct_bad(g, bad, "SampDist", err) : EIP_OK;
    }
    eip_status s = ct_check(g, in, "SampDist", err);
    if (s)
        return s;
    eip_scalar r;
    eip_crypto_ct d;
    if (rin)
        r = *rin;
    else
        g->ops->sc_random(g, rng, &r, false);
    g->ops->pow_g1(g, &d.u[0], &r);
    g->ops->pow(g, &d.u[1], &pk->g2, &r);
    g->ops->pow(g, &d.u[2], &pk->h, &r);
    for (int i = 0; i < 3; i++)
        g->ops->mul(g, &out->u[i], &d.u[i], &in->u[i]);
    sodium_memzero(&r, sizeof r);
    sodium_memzero(&d, sizeof d);
    return EIP_OK;
}

/* Targeted verification ciphertexts (eip_crypto_fake_for): targeted.c. */

/* ---- verification (section 4.4) ---------------------------------------- */

eip_status eip_crypto_fake_decryptions(const eip_crypto_master_t *mk, const eip_crypto_ct *c,
                                       eip_crypto_elem *out, eip_error *err)
{
    eip_status s = ct_check(&mk->grp, c, "verification", err);
    if (s)
        return s;
    eip_scalar a, b;
    for (int64_t j = 1; j <= mk->count; j++) {
        eip_master_derive(mk, j, &a, &b);
        eip_dec_raw(&mk->grp, &a, &b, c, &out[j - 1]);
    }
    sodium_memzero(&a, sizeof a);
    sodium_memzero(&b, sizeof b);
    return EIP_OK;
}

/* Eq. (5).  Every entry is compared (no early exit). */
eip_status eip_crypto_verify_match(const eip_crypto_elem *expected, int64_t count,
                                   const eip_crypto_elem *observed, int64_t *j, eip_error *err)
{
    int64_t hit = 0;
    for (int64_t k = count; k >= 1; k--) {
        int64_t eq = sodium_memcmp(expected[k - 1].b, observed->b, EIP_CRYPTO_ELEM_BYTES) == 0;
        hit = eq ? k : hit;
    }
    *j = hit;
    if (!hit)
        return eip_error_set(err, EIP_ERR_NOT_FOUND,
                             "eq. (5): the observed decryption matches none of the %lld licensees",
                             (long long)count);
    return EIP_OK;
}

eip_status eip_crypto_verify_key(const eip_crypto_master_t *mk, const eip_crypto_sk_t *sk,
                                 int64_t *j, eip_error *err)
{
    *j = 0;
    if (!eip_group_same(&mk->grp, &sk->grp) ||
        sodium_memcmp(mk->pk_id, sk->pk_id, EIP_CRYPTO_PKID_BYTES) != 0)
        return eip_error_set(err, EIP_ERR_NOT_FOUND,
                             "the presented secret key belongs to another public key");
    unsigned char want[64], have[64];
    eip_scalar a, b;
    memcpy(have, sk->a.b, 32);
    memcpy(have + 32, sk->b.b, 32);
    int64_t hit = 0;
    for (int64_t k = mk->count; k >= 1; k--) {
        eip_master_derive(mk, k, &a, &b);
        memcpy(want, a.b, 32);
        memcpy(want + 32, b.b, 32);
        int64_t eq = sodium_memcmp(want, have, sizeof want) == 0;
        hit = eq ? k : hit;
    }
    sodium_memzero(want, sizeof want);
    sodium_memzero(have, sizeof have);
    sodium_memzero(&a, sizeof a);
    sodium_memzero(&b, sizeof b);
    *j = hit;
    if (!hit)
        return eip_error_set(err, EIP_ERR_NOT_FOUND, "the presented secret key is no licensee's key");
    return EIP_OK;
}
