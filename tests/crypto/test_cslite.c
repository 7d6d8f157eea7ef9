/* CS_lite correctness (EncryIP section 3) for every key pair, both groups,
 * several z; SampDist; incremental issue (4.5 (2)); targeted verification
 * ciphertexts, eq. (5) and verify-key; parameter refusals. */
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "crypto/internal.h" /* for the counterexample with a non-unit t */
#include "encryip/crypto.h"
#include "test.h"

static eip_crypto_sk_t **all_keys(const eip_crypto_master_t *m, int64_t p)
{
    eip_crypto_sk_t **sk = calloc((size_t)p, sizeof *sk);
    REQUIRE(sk != NULL, "alloc");
    eip_error err = {0};
    for (int64_t j = 1; j <= p; j++)
        REQUIRE(eip_crypto_master_sk(m, j, &sk[j - 1], &err) == EIP_OK, "sk %lld: %s", (long long)j, err.msg);
    return sk;
}

static void free_keys(eip_crypto_sk_t **sk, int64_t p)
{
    for (int64_t j = 0; j < p; j++)
        eip_crypto_sk_free(sk[j]);
    free(sk);
}

/* Property 2: Dec(sk_j, Fake) pairwise different, checked for every pair. */
static void check_fake_pairs(eip_crypto_sk_t **sk, int64_t p, const eip_crypto_ct *c, const char *what)
{
    eip_crypto_elem *d = malloc((size_t)p * sizeof *d);
    REQUIRE(d != NULL, "alloc");
    eip_error err = {0};
    for (int64_t j = 0; j < p; j++)
        CHECK(eip_crypto_dec(sk[j], c, &d[j], &err) == EIP_OK, "%s: dec: %s", what, err.msg);
    long collisions = 0;
    for (int64_t j = 0; j < p; j++)
        for (int64_t k = j + 1; k < p; k++)
            collisions += !memcmp(d[j].b, d[k].b, sizeof d[j].b);
    CHECK(collisions == 0, "%s: %ld pairs of keys decrypt a Fake ciphertext to the same message", what,
          collisions);
    free(d);
}

static void run(eip_crypto_group_id grp, int32_t z, int64_t p, int fakes, int labels_tested, uint64_t seed)
{
    char what[96];
    snprintf(what, sizeof what, "%s z=%d P=%lld", eip_crypto_group_name(grp), (int)z, (long long)p);
    eip_error err = {0};
    eip_crypto_rng_t *rng;
    REQUIRE(eip_crypto_rng_new_u64(seed, &rng, &err) == EIP_OK, "rng");
    eip_crypto_params prm = {grp, z, 0};
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *m;
    REQUIRE(eip_crypto_gen(&prm, p, rng, &pk, &m, &err) == EIP_OK, "%s: gen: %s", what, err.msg);
    eip_crypto_sk_t **sk = all_keys(m, p);

    /* Property 1: every key decrypts Enc(pk, y) to y; SampDist keeps it. */
    long wrong = 0, same_ct = 0;
    int step = z / labels_tested > 0 ? z / labels_tested : 1;
    for (int32_t y = 0; y < z; y += step) {
        eip_crypto_ct c, c2;
        CHECK(eip_crypto_enc(pk, y, rng, &c, &err) == EIP_OK, "%s: enc: %s", what, err.msg);
        CHECK(eip_crypto_sampdist(pk, &c, rng, &c2, &err) == EIP_OK, "%s: sampdist: %s", what, err.msg);
        same_ct += !memcmp(&c, &c2, sizeof c);
        for (int64_t j = 0; j < p; j++) {
            int32_t l1 = -2, l2 = -2;
            CHECK(eip_crypto_dec_label(sk[j], &c, &l1, &err) == EIP_OK, "%s: dec: %s", what, err.msg);
            CHECK(eip_crypto_dec_label(sk[j], &c2, &l2, &err) == EIP_OK, "%s: dec: %s", what, err.msg);
            wrong += (l1 != y) + (l2 != y);
        }
    }
    CHECK(wrong == 0, "%s: %ld wrong decryptions of honest/SampDist ciphertexts", what, wrong);
    /* paper group: SampDist draws r = 0 with probability 1/(q-1) */
    CHECK(grp == EIP_CRYPTO_GROUP_PAPER ? same_ct <= 2 + z / 4 : same_ct == 0,
          "%s: SampDist returned the input ciphertext %ld times", what, same_ct);

    for (int f = 0; f < fakes; f++) {
        eip_crypto_ct c, c2;
        CHECK(eip_crypto_fake(pk, rng, &c, &err) == EIP_OK, "%s: fake: %s", what, err.msg);
        check_fake_pairs(sk, p, &c, what);
        /* SampDist of a Fake keeps every key's decryption (h = g1^a_j g2^b_j for all j) */
        CHECK(eip_crypto_sampdist(pk, &c, rng, &c2, &err) == EIP_OK, "sampdist");
        eip_crypto_elem d1, d2;
        for (int64_t j = 0; j < p; j += (p > 50 ? p / 50 : 1)) {
            eip_crypto_dec(sk[j], &c, &d1, &err);
            eip_crypto_dec(sk[j], &c2, &d2, &err);
            CHECK(!memcmp(&d1, &d2, sizeof d1), "%s: SampDist changed a Fake decryption (key %lld)", what,
                  (long long)j + 1);
        }
    }
    free_keys(sk, p);
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
    eip_crypto_rng_free(rng);
}

static void test_issue(eip_crypto_group_id grp, int32_t z, int64_t p)
{
    eip_error err = {0};
    eip_crypto_params prm = {grp, z, 0};
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *m;
    REQUIRE(eip_crypto_gen(&prm, p, NULL, &pk, &m, &err) == EIP_OK, "gen: %s", err.msg);
    eip_crypto_ct old[5];
    for (int i = 0; i < 5; i++)
        REQUIRE(eip_crypto_enc(pk, i % z, NULL, &old[i], &err) == EIP_OK, "enc");
    eip_crypto_sk_t *nk;
    CHECK(eip_crypto_issue(m, pk, NULL, &nk, &err) == EIP_OK, "issue: %s", err.msg);
    CHECK(eip_crypto_master_licensees(m) == p + 1, "count after issue");
    CHECK(eip_crypto_sk_index(nk) == p + 1, "new index");
    for (int i = 0; i < 5; i++) {
        int32_t l = -2;
        CHECK(eip_crypto_dec_label(nk, &old[i], &l, &err) == EIP_OK && l == i % z,
              "%s: new licensee decrypts old ciphertext %d -> %d", eip_crypto_group_name(grp), i, (int)l);
    }
    eip_crypto_sk_t **sk = all_keys(m, p + 1);
    CHECK(eip_crypto_sk_equal(sk[p], nk), "derived key equals the issued key");
    for (int f = 0; f < 4; f++) {
        eip_crypto_ct c;
        eip_crypto_fake(pk, NULL, &c, &err);
        check_fake_pairs(sk, p + 1, &c, "after issue");
    }
    free_keys(sk, p + 1);
    eip_crypto_sk_free(nk);
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
}

static void test_paper_limits(void)
{
    eip_error err = {0};
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *m;
    CHECK(eip_crypto_paper_default_q(10) == 11 && eip_crypto_paper_default_q(100) == 101 &&
              eip_crypto_paper_default_q(1000) == 1009 && eip_crypto_paper_default_q(2) == 3,
          "smallest prime > z");
    eip_crypto_params prm = {EIP_CRYPTO_GROUP_PAPER, 10, 0};
    CHECK(eip_crypto_gen(&prm, 11, NULL, &pk, &m, &err) == EIP_ERR_RANGE, "P = q = 11 refused");
    CHECK(strstr(err.msg, "--q") && strstr(err.msg, "--q 13"), "message says how to raise q: %s", err.msg);
    CHECK(pk == NULL && m == NULL, "nothing returned on error");
    prm.q = 13;
    CHECK(eip_crypto_gen(&prm, 12, NULL, &pk, &m, &err) == EIP_OK, "q=13 allows 12: %s", err.msg);
    CHECK(eip_crypto_pk_q(pk) == 13, "q kept");
    eip_crypto_sk_t *sk;
    CHECK(eip_crypto_issue(m, pk, NULL, &sk, &err) == EIP_ERR_RANGE, "13th licensee refused");
    CHECK(strstr(err.msg, "q-1") != NULL, "message: %s", err.msg);
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
    prm.q = 15;
    CHECK(eip_crypto_gen(&prm, 2, NULL, &pk, &m, &err) == EIP_ERR_RANGE && strstr(err.msg, "not prime"),
          "q=15 refused: %s", err.msg);
    prm.q = 7;
    CHECK(eip_crypto_gen(&prm, 2, NULL, &pk, &m, &err) == EIP_ERR_RANGE && strstr(err.msg, "greater"),
          "q=7 <= z refused: %s", err.msg);
    prm.group = EIP_CRYPTO_GROUP_RISTRETTO255;
    CHECK(eip_crypto_gen(&prm, 2, NULL, &pk, &m, &err) == EIP_ERR_RANGE, "q for ristretto refused");
    prm.q = 0;
    prm.classes = 1;
    CHECK(eip_crypto_gen(&prm, 2, NULL, &pk, &m, &err) == EIP_ERR_RANGE, "z=1 refused");
    /* the whole paper group: P = q-1 for q = 1009, every pair of a Fake */
}

static void test_targeted(void)
{
    eip_error err = {0};
    eip_crypto_params prm = {EIP_CRYPTO_GROUP_RISTRETTO255, 10, 0};
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *m;
    REQUIRE(eip_crypto_gen(&prm, 6, NULL, &pk, &m, &err) == EIP_OK, "gen");
    eip_crypto_sk_t **sk = all_keys(m, 6);
    for (int64_t j = 1; j <= 6; j++) {
        eip_crypto_ct c;
        int32_t lab = (int32_t)(j * 3 % 10);
        CHECK(eip_crypto_fake_for(m, j, lab, NULL, &c, &err) == EIP_OK, "fake_for: %s", err.msg);
        for (int64_t k = 1; k <= 6; k++) {
            int32_t l = -2;
            eip_crypto_dec_label(sk[k - 1], &c, &l, &err);
            if (k == j)
                CHECK(l == lab, "licensee %lld reads its verification label: %d", (long long)j, (int)l);
            else
                CHECK(l == EIP_CRYPTO_NOT_A_LABEL, "licensee %lld reads a label from %lld's: %d",
                      (long long)k, (long long)j, (int)l);
        }
        /* eq. (5): the observed decryption identifies the licensee */
        eip_crypto_elem exp[6], obs;
        CHECK(eip_crypto_fake_decryptions(m, &c, exp, &err) == EIP_OK, "fake_decryptions");
        eip_crypto_dec(sk[j - 1], &c, &obs, &err);
        int64_t who = 0;
        CHECK(eip_crypto_verify_match(exp, 6, &obs, &who, &err) == EIP_OK && who == j, "eq5 -> %lld",
              (long long)who);
        /* and a plain Fake identifies whoever decrypted it */
        eip_crypto_fake(pk, NULL, &c, &err);
        eip_crypto_fake_decryptions(m, &c, exp, &err);
        eip_crypto_dec(sk[j - 1], &c, &obs, &err);
        CHECK(eip_crypto_verify_match(exp, 6, &obs, &who, &err) == EIP_OK && who == j, "eq5 fake");
        eip_crypto_label_elem(pk, 0, &obs, &err);
        CHECK(eip_crypto_verify_match(exp, 6, &obs, &who, &err) == EIP_ERR_NOT_FOUND && who == 0,
              "eq5 False");
    }
    for (int64_t j = 1; j <= 6; j++) {
        int64_t who = 0;
        CHECK(eip_crypto_verify_key(m, sk[j - 1], &who, &err) == EIP_OK && who == j, "verify_key %lld",
              (long long)j);
    }
    eip_crypto_pk_t *pk2;
    eip_crypto_master_t *m2;
    REQUIRE(eip_crypto_gen(&prm, 2, NULL, &pk2, &m2, &err) == EIP_OK, "gen2");
    eip_crypto_sk_t *other;
    eip_crypto_master_sk(m2, 1, &other, &err);
    int64_t who = 7;
    CHECK(eip_crypto_verify_key(m, other, &who, &err) == EIP_ERR_NOT_FOUND && who == 0, "foreign key");
    eip_crypto_sk_free(other);
    eip_crypto_pk_free(pk2);
    eip_crypto_master_free(m2);
    free_keys(sk, 6);
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);

    /* paper group q = z+1: every other key decrypts to a label: refused */
    prm.group = EIP_CRYPTO_GROUP_PAPER;
    REQUIRE(eip_crypto_gen(&prm, 3, NULL, &pk, &m, &err) == EIP_OK, "gen paper");
    eip_crypto_ct c;
    CHECK(eip_crypto_fake_for(m, 1, 0, NULL, &c, &err) == EIP_ERR_INFEASIBLE, "paper q=z+1 infeasible");
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
    prm.q = 1009; /* a larger q leaves room for non-labels */
    REQUIRE(eip_crypto_gen(&prm, 3, NULL, &pk, &m, &err) == EIP_OK, "gen paper 1009");
    CHECK(eip_crypto_fake_for(m, 2, 7, NULL, &c, &err) == EIP_OK, "paper q=1009: %s", err.msg);
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
}

static void test_invalid_ct(void)
{
    eip_error err = {0};
    eip_crypto_params prm = {EIP_CRYPTO_GROUP_RISTRETTO255, 10, 0};
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *m;
    REQUIRE(eip_crypto_gen(&prm, 2, NULL, &pk, &m, &err) == EIP_OK, "gen");
    eip_crypto_sk_t *sk;
    eip_crypto_master_sk(m, 1, &sk, &err);
    eip_crypto_ct c;
    eip_crypto_enc(pk, 3, NULL, &c, &err);
    c.u[1].b[0] ^= 1; /* non-canonical or off-curve with overwhelming probability */
    memset(c.u[1].b, 0xff, 32);
    int32_t l = 0;
    CHECK(eip_crypto_dec_label(sk, &c, &l, &err) == EIP_ERR_CRYPTO && l == EIP_CRYPTO_NOT_A_LABEL,
          "off-group element -> ⊥");
    CHECK(strstr(err.msg, "u2") != NULL, "names the element: %s", err.msg);
    eip_crypto_sk_t *none = (eip_crypto_sk_t *)&err; /* must be reset to NULL */
    CHECK(eip_crypto_master_sk(m, 3, &none, &err) == EIP_ERR_NOT_FOUND && none == NULL, "no licensee 3");
    eip_crypto_sk_free(sk);
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
}

/* Why t must be a unit of Z_{q-1} (proof in cslite.c): with the paper's
 * "t <- Z_q^*" read literally, t = 5 in Z_11^* makes g1^{t (r2-r1)(b_j-b_k)} = 1
 * whenever b_j - b_k is even, so Fake decryptions collide. */
static void test_nonunit_t_collides(void)
{
    eip_error err = {0};
    eip_crypto_params prm = {EIP_CRYPTO_GROUP_PAPER, 10, 0};
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *m;
    REQUIRE(eip_crypto_gen(&prm, 10, NULL, &pk, &m, &err) == EIP_OK, "gen");
    const eip_group *g = &pk->grp;
    memset(&m->t, 0, sizeof m->t);
    m->t.b[0] = 5; /* 5 is in Z_11^* but not a unit of Z_10 */
    g->ops->pow_g1(g, &pk->g2, &m->t);
    eip_crypto_elem x, y;
    g->ops->pow_g1(g, &x, &m->a1);
    g->ops->pow(g, &y, &pk->g2, &m->b[0]);
    g->ops->mul(g, &pk->h, &x, &y);
    eip_crypto_sk_t **sk = all_keys(m, 10);
    eip_crypto_ct c;
    eip_crypto_fake(pk, NULL, &c, &err);
    eip_crypto_elem d[10];
    long collisions = 0;
    for (int j = 0; j < 10; j++)
        eip_crypto_dec(sk[j], &c, &d[j], &err);
    for (int j = 0; j < 10; j++)
        for (int k = j + 1; k < 10; k++)
            collisions += !memcmp(&d[j], &d[k], sizeof d[j]);
    CHECK(collisions == 20, "non-unit t: %ld colliding pairs, want 20 (the pairs with even b_j - b_k)",
          collisions);
    free_keys(sk, 10);
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
}

int main(void)
{
    eip_error err = {0};
    REQUIRE(eip_crypto_init(&err) == EIP_OK, "init");
    clock_t t0 = clock();
    /* paper group: P up to q-1 (the maximum) */
    run(EIP_CRYPTO_GROUP_PAPER, 2, 2, 3, 2, 1);     /* q = 3 */
    run(EIP_CRYPTO_GROUP_PAPER, 10, 10, 20, 10, 2); /* q = 11, P = q-1 */
    run(EIP_CRYPTO_GROUP_PAPER, 10, 3, 20, 10, 3);
    run(EIP_CRYPTO_GROUP_PAPER, 100, 100, 10, 100, 4);  /* q = 101 */
    run(EIP_CRYPTO_GROUP_PAPER, 1000, 1008, 4, 50, 5);  /* q = 1009, P = q-1 */
    /* ristretto255 */
    run(EIP_CRYPTO_GROUP_RISTRETTO255, 2, 2, 5, 2, 6);
    run(EIP_CRYPTO_GROUP_RISTRETTO255, 10, 20, 5, 10, 7);
    run(EIP_CRYPTO_GROUP_RISTRETTO255, 100, 100, 3, 10, 8);
    run(EIP_CRYPTO_GROUP_RISTRETTO255, 1000, 1000, 1, 2, 9);
    test_issue(EIP_CRYPTO_GROUP_PAPER, 10, 9);
    test_issue(EIP_CRYPTO_GROUP_RISTRETTO255, 10, 5);
    test_paper_limits();
    test_targeted();
    test_invalid_ct();
    test_nonunit_t_collides();
    printf("cslite: %.1f s CPU\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
    TEST_MAIN_END();
}
