/* Targeted verification ciphertexts (src/crypto/targeted.c): the check that
 * is linear in P gives exactly the answer of the all-pairs check it
 * replaced.
 *  1. random keysets, both groups (ristretto255 on the libdecaf path and on
 *     libsodium alone; paper group with q = 11 and q = 101, where other keys
 *     do decrypt to labels often): for random (j, label, r1, r2) the two
 *     checks agree; both outcomes occur in the paper group;
 *  2. crafted collisions in ristretto255 (no label collision can be found
 *     there: it needs a discrete log): the target set holds licensee k's
 *     decryption, so both checks must say "collides"; without it, or with
 *     only licensee j's own decryption, both say no;
 *  3. the ciphertexts are the definition's elements (u2 = g2^r2, u3 = m
 *     u1^{a_j} u2^{b_j}) and eip_crypto_fake_for / the context give the
 *     bytes of the old algorithm (resampling with the all-pairs check) for
 *     the same seeded randomness, including resampled draws;
 *  4. a context is refused once the master key has a new licensee. */
#include <sodium.h>
#include <string.h>

#include "crypto/internal.h"
#include "encryip/crypto.h"
#include "test.h"

static eip_crypto_master_t *keys(eip_crypto_group_id grp, int64_t q, int64_t p, uint64_t seed,
                                 eip_crypto_pk_t **pk)
{
    eip_error err = {0};
    eip_crypto_rng_t *rng;
    REQUIRE(eip_crypto_rng_new_u64(seed, &rng, &err) == EIP_OK, "rng");
    eip_crypto_params prm = {grp, 10, q};
    eip_crypto_master_t *m;
    REQUIRE(eip_crypto_gen(&prm, p, rng, pk, &m, &err) == EIP_OK, "gen: %s", err.msg);
    eip_crypto_rng_free(rng);
    return m;
}

/* The old eip_crypto_fake_for (before the context): definition with
 * variable-base powers, all-pairs check, resampled up to 1000 times. */
static int old_fake_for(const eip_crypto_master_t *mk, int64_t j, int32_t label, eip_crypto_rng_t *rng,
                        eip_crypto_ct *c)
{
    const eip_group *g = &mk->grp;
    eip_crypto_elem m, x, y, g2;
    eip_scalar aj, bj, r1, r2;
    g->ops->label_elem(g, label, &m);
    g->ops->pow_g1(g, &g2, &mk->t);
    eip_master_derive(mk, j, &aj, &bj);
    for (int attempt = 0; attempt < 1000; attempt++) {
        eip_fake_exponents(g, rng, &r1, &r2);
        g->ops->pow_g1(g, &c->u[0], &r1);
        g->ops->pow(g, &c->u[1], &g2, &r2);
        g->ops->pow(g, &x, &c->u[0], &aj);
        g->ops->pow(g, &y, &c->u[1], &bj);
        g->ops->mul(g, &x, &x, &y);
        g->ops->mul(g, &c->u[2], &m, &x);
        if (!eip_targeting_collides_pairs(mk, j, c, NULL, 0))
            return attempt + 1;
    }
    return 0;
}

typedef struct tally {
    long agree, differ, hits, misses;
} tally;

/* Part 1 on one keyset: n random ciphertexts. */
static void random_agree(const char *what, eip_crypto_master_t *m, int64_t p, int n, uint64_t seed,
                         tally *tl)
{
    eip_error err = {0};
    const eip_group *g = &m->grp;
    eip_crypto_rng_t *rng;
    REQUIRE(eip_crypto_rng_new_u64(seed, &rng, &err) == EIP_OK, "rng");
    eip_crypto_targeting_t *t;
    REQUIRE(eip_crypto_targeting_new(m, &t, &err) == EIP_OK, "%s: targeting: %s", what, err.msg);
    for (int i = 0; i < n; i++) {
        const int64_t j = 1 + (int64_t)eip_rng_uniform(rng, (uint32_t)p);
        const int32_t label = (int32_t)eip_rng_uniform(rng, 10);
        eip_scalar r1, r2, w, a, b;
        eip_crypto_elem mj, d;
        eip_crypto_ct c;
        g->ops->label_elem(g, label, &mj);
        eip_fake_exponents(g, rng, &r1, &r2);
        eip_targeting_build(t, j, &mj, &r1, &r2, &c, &w);
        eip_master_derive(m, j, &a, &b);
        eip_dec_raw(g, &a, &b, &c, &d);
        CHECK(!memcmp(d.b, mj.b, sizeof d.b), "%s: licensee %lld does not read its label",
              what, (long long)j);
        const int old = eip_targeting_collides_pairs(m, j, &c, NULL, 0);
        const int neu = eip_targeting_collides(t, j, &mj, label, &w, NULL, 0);
        const int gen = eip_targeting_collides(t, j, &mj, -1, &w, NULL, 0); /* generic path */
        CHECK(old == neu && old == gen, "%s: ciphertext %d (j=%lld): all-pairs %d, linear %d / %d",
              what, i, (long long)j, old, neu, gen);
        tl->agree += old == neu && old == gen;
        tl->differ += old != neu || old != gen;
        tl->hits += old;
        tl->misses += !old;
    }
    eip_crypto_targeting_free(t);
    eip_crypto_rng_free(rng);
}

static void test_random(void)
{
    struct {
        eip_crypto_group_id grp;
        int64_t q;
        int plain;
    } cases[] = {{EIP_CRYPTO_GROUP_RISTRETTO255, 0, 0}, {EIP_CRYPTO_GROUP_RISTRETTO255, 0, 1},
                 {EIP_CRYPTO_GROUP_PAPER, 13, 0},       {EIP_CRYPTO_GROUP_PAPER, 101, 0}};
    const int64_t ps[] = {2, 5, 9};
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
        tally tl = {0};
        for (size_t pi = 0; pi < sizeof ps / sizeof *ps; pi++)
            for (uint64_t seed = 1; seed <= 4; seed++) {
                eip_crypto_pk_t *pk;
                eip_crypto_master_t *m = keys(cases[ci].grp, cases[ci].q, ps[pi], 100 * seed + ps[pi], &pk);
                m->grp.plain = cases[ci].plain;
                char what[96];
                snprintf(what, sizeof what, "%s q=%lld%s P=%lld seed %llu",
                         eip_crypto_group_name(cases[ci].grp), (long long)cases[ci].q,
                         cases[ci].plain ? " (libsodium only)" : "", (long long)ps[pi],
                         (unsigned long long)seed);
                random_agree(what, m, ps[pi], cases[ci].grp == EIP_CRYPTO_GROUP_PAPER ? 60 : 12,
                             seed * 7919, &tl);
                eip_crypto_master_free(m);
                eip_crypto_pk_free(pk);
            }
        printf("%s q=%lld plain=%d: %ld agree, %ld differ; all-pairs says collides %ld, clean %ld\n",
               eip_crypto_group_name(cases[ci].grp), (long long)cases[ci].q, cases[ci].plain, tl.agree,
               tl.differ, tl.hits, tl.misses);
        CHECK(tl.differ == 0, "the two checks differ on %ld ciphertexts", tl.differ);
        if (cases[ci].grp == EIP_CRYPTO_GROUP_PAPER)
            CHECK(tl.hits > 0 && tl.misses > 0, "paper q=%lld: only one outcome seen (%ld / %ld)",
                  (long long)cases[ci].q, tl.hits, tl.misses);
        else
            CHECK(tl.hits == 0 && tl.misses > 0, "ristretto255: a label collision (%ld)", tl.hits);
    }
}

/* Part 2: the target set holds licensee k's decryption (any group). */
static void test_crafted(eip_crypto_group_id grp, int64_t q)
{
    eip_error err = {0};
    eip_crypto_pk_t *pk;
    const int64_t p = 6;
    eip_crypto_master_t *m = keys(grp, q, p, 4242, &pk);
    const eip_group *g = &m->grp;
    eip_crypto_targeting_t *t;
    REQUIRE(eip_crypto_targeting_new(m, &t, &err) == EIP_OK, "targeting: %s", err.msg);
    eip_crypto_rng_t *rng;
    REQUIRE(eip_crypto_rng_new_u64(99, &rng, &err) == EIP_OK, "rng");
    long hit_both = 0, miss_both = 0;
    for (int i = 0; i < 20; i++) {
        const int64_t j = 1 + i % p, k = 1 + (i + 1 + i / p) % p; /* k != j */
        if (k == j)
            continue;
        const int32_t label = (int32_t)(i % 10);
        eip_scalar r1, r2, w, a, b;
        eip_crypto_elem targets[4], mj;
        eip_crypto_ct c;
        g->ops->label_elem(g, label, &mj);
        eip_fake_exponents(g, rng, &r1, &r2);
        eip_targeting_build(t, j, &mj, &r1, &r2, &c, &w);
        /* three random elements no key decrypts c to (redrawn otherwise),
         * then Dec(sk_k, c) */
        for (int y = 0; y < 3; y++)
            do
                g->ops->elem_random(g, rng, &targets[y]);
            while (eip_targeting_collides_pairs(m, 0, &c, &targets[y], 1));
        eip_master_derive(m, k, &a, &b);
        eip_dec_raw(g, &a, &b, &c, &targets[3]);
        const int old4 = eip_targeting_collides_pairs(m, j, &c, targets, 4);
        const int new4 = eip_targeting_collides(t, j, &mj, -1, &w, targets, 4);
        const int old3 = eip_targeting_collides_pairs(m, j, &c, targets, 3);
        const int new3 = eip_targeting_collides(t, j, &mj, -1, &w, targets, 3);
        const int oldj = eip_targeting_collides_pairs(m, j, &c, &mj, 1);
        const int newj = eip_targeting_collides(t, j, &mj, -1, &w, &mj, 1);
        CHECK(old4 == 1 && new4 == 1, "%s: licensee %lld's decryption as a target: %d / %d",
              g->ops->name, (long long)k, old4, new4);
        CHECK(old3 == 0 && new3 == 0, "%s: random targets: %d / %d", g->ops->name, old3, new3);
        CHECK(oldj == 0 && newj == 0, "%s: j's own plaintext counted: %d / %d", g->ops->name, oldj, newj);
        hit_both += old4 && new4;
        miss_both += !old3 && !new3;
    }
    CHECK(hit_both > 10 && miss_both > 10, "%s: crafted cases %ld / %ld", g->ops->name, hit_both, miss_both);
    eip_crypto_rng_free(rng);
    eip_crypto_targeting_free(t);
    eip_crypto_master_free(m);
    eip_crypto_pk_free(pk);
}

/* Part 2b: the ristretto255 fast path (comb tables of the label points)
 * computes the same E_T = B (M / T)^v as the generic formula; random
 * ciphertexts cannot exercise its "collides" branch (above). */
static void test_fast_formula(void)
{
    eip_error err = {0};
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *m = keys(EIP_CRYPTO_GROUP_RISTRETTO255, 0, 2, 77, &pk);
    const eip_group *g = &m->grp;
    eip_rfast_ltab *lt;
    REQUIRE(eip_rfast_ltab_new(g, &lt, &err) == EIP_OK && lt, "label tables: %s", err.msg);
    eip_crypto_rng_t *rng;
    REQUIRE(eip_crypto_rng_new_u64(5, &rng, &err) == EIP_OK, "rng");
    int same = 0, n = 0;
    for (int i = 0; i < 8; i++) {
        eip_scalar v;
        eip_crypto_elem b, mm, tt, x, e[EIP_RFAST_LABEL_SCAN];
        const int32_t lab = i % 10;
        g->ops->sc_random(g, rng, &v, true);
        g->ops->elem_random(g, rng, &b);
        g->ops->label_elem(g, lab, &mm);
        REQUIRE(eip_rfast_ltab_shift(lt, &b, &v, lab, e) == 0, "shift");
        for (int32_t y = 0; y < 10; y++) {
            g->ops->label_elem(g, y, &tt);
            g->ops->div(g, &x, &mm, &tt);
            g->ops->pow(g, &x, &x, &v);
            g->ops->mul(g, &x, &b, &x);
            same += !memcmp(x.b, e[y].b, sizeof x.b);
            n++;
        }
    }
    CHECK(same == n, "fast path: %d of %d points differ from B (M / T)^v", n - same, n);
    eip_rfast_ltab_free(lt);
    eip_crypto_rng_free(rng);
    eip_crypto_master_free(m);
    eip_crypto_pk_free(pk);
}

/* Part 3: same bytes as the old algorithm for the same seeded randomness. */
static void test_same_bytes(eip_crypto_group_id grp, int64_t q, int64_t p)
{
    eip_error err = {0};
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *m = keys(grp, q, p, 5150 + (uint64_t)q, &pk);
    eip_crypto_targeting_t *t;
    REQUIRE(eip_crypto_targeting_new(m, &t, &err) == EIP_OK, "targeting: %s", err.msg);
    eip_crypto_rng_t *r_old, *r_ctx, *r_one;
    REQUIRE(eip_crypto_rng_new_u64(31, &r_old, &err) == EIP_OK && eip_crypto_rng_new_u64(31, &r_ctx, &err) == EIP_OK &&
                eip_crypto_rng_new_u64(31, &r_one, &err) == EIP_OK, "rng");
    int resampled = 0, same = 0, n = 0;
    for (int64_t j = 1; j <= p; j++)
        for (int32_t y = 0; y < 10; y += 3) {
            eip_crypto_ct c_old, c_ctx, c_one;
            const int tries = old_fake_for(m, j, y, r_old, &c_old);
            REQUIRE(tries > 0, "old algorithm found nothing");
            resampled += tries > 1;
            CHECK(eip_crypto_targeting_fake_for(t, j, y, r_ctx, &c_ctx, &err) == EIP_OK, "%s", err.msg);
            CHECK(eip_crypto_fake_for(m, j, y, r_one, &c_one, &err) == EIP_OK, "%s", err.msg);
            same += !memcmp(&c_old, &c_ctx, sizeof c_old) && !memcmp(&c_old, &c_one, sizeof c_old);
            n++;
        }
    printf("%s q=%lld P=%lld: %d/%d ciphertexts byte-identical to the old algorithm, %d resampled\n",
           eip_crypto_group_name(grp), (long long)q, (long long)p, same, n, resampled);
    CHECK(same == n, "%d of %d ciphertexts differ from the old algorithm", n - same, n);
    if (grp == EIP_CRYPTO_GROUP_PAPER)
        CHECK(resampled > 0, "paper q=%lld: no resampling exercised", (long long)q);
    /* Part 4: a licensee issued since the context was built */
    eip_crypto_sk_t *nk;
    REQUIRE(eip_crypto_issue(m, pk, NULL, &nk, &err) == EIP_OK, "issue: %s", err.msg);
    eip_crypto_ct c;
    CHECK(eip_crypto_targeting_fake_for(t, 1, 0, NULL, &c, &err) == EIP_ERR_STATE, "stale context used");
    eip_crypto_sk_free(nk);
    eip_crypto_rng_free(r_old);
    eip_crypto_rng_free(r_ctx);
    eip_crypto_rng_free(r_one);
    eip_crypto_targeting_free(t);
    eip_crypto_master_free(m);
    eip_crypto_pk_free(pk);
}

int main(void)
{
    eip_error err = {0};
    REQUIRE(eip_crypto_init(&err) == EIP_OK, "init");
    test_random();
    test_crafted(EIP_CRYPTO_GROUP_RISTRETTO255, 0);
    test_crafted(EIP_CRYPTO_GROUP_PAPER, 101);
    test_fast_formula();
    test_same_bytes(EIP_CRYPTO_GROUP_RISTRETTO255, 0, 7);
    test_same_bytes(EIP_CRYPTO_GROUP_PAPER, 101, 7);
    TEST_MAIN_END();
}
