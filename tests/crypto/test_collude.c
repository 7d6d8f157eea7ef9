/* Collusion (issue 17 item 4): two or more licensee keys -> t -> a key for a
 * fresh b.  Both groups: the recovered master equals the real t, the forged
 * key decrypts every label, is none of the licensees' keys (verify-key: no
 * licensee) and its b is fresh; the paper group's candidate count for t from
 * the keys alone is checked against a brute force over Z_{q-1}; refusals:
 * one key, the same key twice, keys of another keygen. */
#include <sodium.h>
#include <string.h>

#include "crypto/internal.h" /* t and the keys' scalars, for the brute force */
#include "encryip/crypto.h"
#include "test.h"

static uint32_t u(const eip_scalar *s)
{
    return (uint32_t)s->b[0] | (uint32_t)s->b[1] << 8 | (uint32_t)s->b[2] << 16 |
           (uint32_t)s->b[3] << 24;
}

static uint32_t gcd32(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Units t of Z_n with (b_i - b_0) t = a_0 - a_i for every key i: plain loop. */
static int64_t brute_solutions(eip_crypto_sk_t *const *k, int64_t nk, uint32_t n)
{
    int64_t c = 0;
    for (uint32_t t = 0; t < n; t++) {
        if (gcd32(t, n) != 1)
            continue;
        int ok = 1;
        for (int64_t i = 1; i < nk; i++) {
            uint64_t l = (u(&k[0]->a) + n - u(&k[i]->a)) % n;
            uint64_t r = (uint64_t)((u(&k[i]->b) + n - u(&k[0]->b)) % n) * t % n;
            ok &= l == r;
        }
        c += ok;
    }
    return c;
}

static void run(eip_crypto_group_id g, int64_t q, int64_t p, int64_t colluders, uint64_t seed,
                int64_t *nonunique)
{
    eip_error err = {0};
    eip_crypto_rng_t *rng = NULL;
    REQUIRE(eip_crypto_rng_new_u64(seed, &rng, &err) == EIP_OK, "%s", err.msg);
    eip_crypto_params prm = {g, 10, q};
    eip_crypto_pk_t *pk = NULL;
    eip_crypto_master_t *m = NULL, *fm = NULL;
    REQUIRE(eip_crypto_gen(&prm, p, rng, &pk, &m, &err) == EIP_OK, "%s", err.msg);
    eip_crypto_sk_t *k[8] = {0}, *forged = NULL;
    for (int64_t j = 0; j < colluders; j++)
        REQUIRE(eip_crypto_master_sk(m, j + 1, &k[j], &err) == EIP_OK, "%s", err.msg);
    eip_crypto_collude_info info;
    REQUIRE(eip_crypto_collude(pk, (const eip_crypto_sk_t *const *)k, colluders, &fm, &info, &err) ==
                EIP_OK, "%s", err.msg);
    CHECK(!memcmp(fm->t.b, m->t.b, sizeof fm->t.b), "recovered t differs from the master's");
    CHECK(info.keys == colluders && info.distinct == colluders, "info keys %lld distinct %lld",
          (long long)info.keys, (long long)info.distinct);
    if (g == EIP_CRYPTO_GROUP_PAPER) {
        int64_t bf = brute_solutions(k, colluders, m->grp.n);
        CHECK(info.solutions == bf, "q=%lld: %lld candidates reported, brute force %lld",
              (long long)q, (long long)info.solutions, (long long)bf);
        CHECK(info.pk_needed == (bf > 1), "pk_needed");
        *nonunique += bf > 1;
    } else {
        CHECK(info.solutions == 1 && info.gcd == 1 && !info.pk_needed, "ristretto255: t unique");
    }
    /* a fresh key: decrypts every label, belongs to no licensee */
    REQUIRE(eip_crypto_issue(fm, pk, rng, &forged, &err) == EIP_OK, "%s", err.msg);
    for (int32_t y = 0; y < 10; y++) {
        eip_crypto_ct c;
        int32_t got = -2;
        REQUIRE(eip_crypto_enc(pk, y, rng, &c, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_crypto_dec_label(forged, &c, &got, &err) == EIP_OK, "%s", err.msg);
        CHECK(got == y, "forged key decrypts %d as %d", (int)y, (int)got);
    }
    for (int64_t j = 0; j < colluders; j++)
        CHECK(memcmp(forged->b.b, k[j]->b.b, 32) != 0, "forged b equals colluder %lld's",
              (long long)j + 1);
    int64_t who = 0;
    eip_status vs = eip_crypto_verify_key(m, forged, &who, &err);
    /* a b equal to a non-colluding licensee's means the forged key IS that
     * licensee's key (possible in the paper group's small Z_{q-1}) */
    int64_t same_b = 0;
    for (int64_t j = colluders; j < p; j++)
        same_b += !memcmp(forged->b.b, m->b[j].b, 32);
    if (same_b)
        CHECK(vs == EIP_OK && who > colluders, "b of an innocent licensee: verify names %lld",
              (long long)who);
    else
        CHECK(vs == EIP_ERR_NOT_FOUND, "verify-key attributes the forged key to %lld",
              (long long)who);
    for (int64_t j = 0; j < colluders; j++)
        eip_crypto_sk_free(k[j]);
    eip_crypto_sk_free(forged);
    eip_crypto_master_free(fm);
    eip_crypto_master_free(m);
    eip_crypto_pk_free(pk);
    eip_crypto_rng_free(rng);
}

int main(void)
{
    eip_error err = {0};
    REQUIRE(eip_crypto_init(&err) == EIP_OK, "%s", err.msg);
    int64_t nonunique = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        run(EIP_CRYPTO_GROUP_PAPER, 0, 3, 2, seed, &nonunique);      /* q = 11, the paper's */
        run(EIP_CRYPTO_GROUP_PAPER, 13, 5, 2, seed, &nonunique);     /* q-1 = 12: gcds 2, 3, 4, 6 */
        run(EIP_CRYPTO_GROUP_PAPER, 1009, 4, 3, seed, &nonunique);
    }
    CHECK(nonunique > 0, "no case where the keys alone left several t (q = 13 should)");
    for (uint64_t seed = 1; seed <= 3; seed++)
        run(EIP_CRYPTO_GROUP_RISTRETTO255, 0, 3, 2, seed, &nonunique);

    /* refusals */
    eip_crypto_params prm = {EIP_CRYPTO_GROUP_RISTRETTO255, 10, 0};
    eip_crypto_pk_t *pk = NULL, *pk2 = NULL;
    eip_crypto_master_t *m = NULL, *m2 = NULL, *fm = NULL;
    REQUIRE(eip_crypto_gen(&prm, 2, NULL, &pk, &m, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_gen(&prm, 2, NULL, &pk2, &m2, &err) == EIP_OK, "%s", err.msg);
    eip_crypto_sk_t *k[2], *o = NULL;
    REQUIRE(eip_crypto_master_sk(m, 1, &k[0], &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_master_sk(m, 1, &k[1], &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_master_sk(m2, 2, &o, &err) == EIP_OK, "%s", err.msg);
    eip_crypto_collude_info info;
    CHECK(eip_crypto_collude(pk, (const eip_crypto_sk_t *const *)k, 1, &fm, &info, &err) ==
              EIP_ERR_ARG && fm == NULL, "one key: %s", err.msg);
    CHECK(eip_crypto_collude(pk, (const eip_crypto_sk_t *const *)k, 2, &fm, &info, &err) ==
              EIP_ERR_ARG && fm == NULL, "same key twice: %s", err.msg);
    eip_crypto_sk_free(k[1]);
    k[1] = o;
    CHECK(eip_crypto_collude(pk, (const eip_crypto_sk_t *const *)k, 2, &fm, &info, &err) ==
              EIP_ERR_CRYPTO && fm == NULL, "key of another keygen: %s", err.msg);
    eip_crypto_sk_free(k[0]);
    eip_crypto_sk_free(k[1]);
    eip_crypto_master_free(m);
    eip_crypto_master_free(m2);
    eip_crypto_pk_free(pk);
    eip_crypto_pk_free(pk2);
    TEST_MAIN_END();
}
