/* Transfer function Φ (eq. 2) and Φ^-1 (eq. 3): Φ^-1(Φ(c)) = c with both
 * decoders and both groups; the ML decoder recovers codewords from noisy
 * model outputs where per-block arg-max fails; the codebook. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "encryip/crypto.h"
#include "test.h"

static void test_paper(int32_t z)
{
    eip_error err = {0};
    eip_crypto_rng_t *rng;
    eip_crypto_rng_new_u64(7, &rng, &err);
    eip_crypto_params prm = {EIP_CRYPTO_GROUP_PAPER, z, 0};
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *m;
    REQUIRE(eip_crypto_gen(&prm, 3, rng, &pk, &m, &err) == EIP_OK, "gen");
    eip_crypto_codebook_t *cb;
    REQUIRE(eip_crypto_codebook_build(pk, 5, rng, &cb, &err) == EIP_OK, "codebook: %s", err.msg);
    int64_t q = eip_crypto_pk_q(pk), dim = eip_crypto_phi_dim(pk, NULL);
    CHECK(dim == 3 * q, "dim 3q");
    float *y = malloc((size_t)dim * sizeof *y);
    /* every codeword and some random ciphertexts */
    for (int64_t i = 0; i < eip_crypto_codebook_size(cb) + 20; i++) {
        eip_crypto_ct c, back;
        if (i < eip_crypto_codebook_size(cb))
            c = *eip_crypto_codebook_ct(cb, i);
        else
            eip_crypto_enc(pk, (int32_t)(i % z), rng, &c, &err);
        REQUIRE(eip_crypto_phi(pk, cb, &c, y, &err) == EIP_OK, "phi");
        double sum = 0;
        for (int64_t k = 0; k < dim; k++)
            sum += y[k];
        CHECK(sum == 3.0 && y[0] == 0 && y[q] == 0 && y[2 * q] == 0, "three one-hot blocks, position 0 cold");
        int64_t slot = 7;
        CHECK(eip_crypto_phi_inv(pk, NULL, y, 0, EIP_CRYPTO_PHI_ARGMAX, &back, &slot, &err) == EIP_OK &&
                  !memcmp(&back, &c, sizeof c) && slot == -1,
              "argmax round trip %lld", (long long)i);
        if (i < eip_crypto_codebook_size(cb)) {
            CHECK(eip_crypto_phi_inv(pk, cb, y, 0, EIP_CRYPTO_PHI_ML, &back, &slot, &err) == EIP_OK &&
                      !memcmp(&back, &c, sizeof c) && slot == i,
                  "ML round trip slot %lld -> %lld", (long long)i, (long long)slot);
            CHECK(eip_crypto_phi_inv(pk, cb, y, 0, EIP_CRYPTO_PHI_ARGMAX, &back, &slot, &err) == EIP_OK &&
                      slot == i,
                  "argmax finds the slot");
        }
    }
    /* noisy logits: block 1 of codeword 0 is ambiguous (its true position ties
     * for the max with a wrong one, wrong one slightly ahead); blocks 2 and 3
     * are confident.  Arg-max reads the wrong element, ML the right codeword. */
    const eip_crypto_ct *w = eip_crypto_codebook_ct(cb, 0);
    eip_crypto_phi(pk, cb, w, y, &err);
    for (int64_t k = 0; k < dim; k++)
        y[k] = y[k] * 8.0f;
    uint32_t u1 = w->u[0].b[0] | (uint32_t)w->u[0].b[1] << 8, wrong = 0;
    for (uint32_t e = 1; e < (uint32_t)q && !wrong; e++) { /* an element no other codeword starts with */
        bool used = e == u1;
        for (int64_t i = 1; i < eip_crypto_codebook_size(cb); i++)
            used |= (eip_crypto_codebook_ct(cb, i)->u[0].b[0] | (uint32_t)eip_crypto_codebook_ct(cb, i)->u[0].b[1] << 8) == e;
        wrong = used ? 0 : e;
    }
    REQUIRE(wrong != 0, "test set-up: a free u1 value");
    y[u1] = 5.0f;
    y[wrong] = 5.1f;
    int64_t slot;
    eip_crypto_ct back;
    CHECK(eip_crypto_phi_inv(pk, cb, y, 1, EIP_CRYPTO_PHI_ARGMAX, &back, &slot, &err) == EIP_OK &&
              memcmp(&back, w, sizeof back),
          "argmax is fooled");
    CHECK(eip_crypto_phi_inv(pk, cb, y, 1, EIP_CRYPTO_PHI_ML, &back, &slot, &err) == EIP_OK &&
              !memcmp(&back, w, sizeof back) && slot == 0,
          "ML decodes the codeword (slot %lld)", (long long)slot);
    /* probabilities instead of logits */
    for (int64_t k = 0; k < dim; k++)
        y[k] = 0.01f;
    eip_crypto_phi(pk, cb, eip_crypto_codebook_ct(cb, 3), y, &err);
    CHECK(eip_crypto_phi_inv(pk, cb, y, 0, EIP_CRYPTO_PHI_ML, &back, &slot, &err) == EIP_OK && slot == 3,
          "ML on probabilities");
    CHECK(eip_crypto_phi_inv(pk, NULL, y, 0, EIP_CRYPTO_PHI_ML, &back, &slot, &err) == EIP_ERR_ARG,
          "ML without codebook refused");
    y[5] = NAN;
    CHECK(eip_crypto_phi_inv(pk, cb, y, 0, EIP_CRYPTO_PHI_ML, &back, &slot, &err) == EIP_ERR_ARG, "NaN refused");
    free(y);
    eip_crypto_codebook_free(cb);
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
    eip_crypto_rng_free(rng);
}

static void test_ristretto(void)
{
    eip_error err = {0};
    eip_crypto_params prm = {EIP_CRYPTO_GROUP_RISTRETTO255, 10, 0};
    eip_crypto_pk_t *pk, *pk2;
    eip_crypto_master_t *m, *m2;
    REQUIRE(eip_crypto_gen(&prm, 4, NULL, &pk, &m, &err) == EIP_OK, "gen");
    REQUIRE(eip_crypto_gen(&prm, 4, NULL, &pk2, &m2, &err) == EIP_OK, "gen2");
    eip_crypto_codebook_t *cb, *cb2;
    REQUIRE(eip_crypto_codebook_build(pk, 0, NULL, &cb, &err) == EIP_OK, "cb");
    eip_crypto_sk_t *sk;
    eip_crypto_master_sk(m, 2, &sk, &err);
    /* verification ciphertexts join the codebook */
    for (int64_t j = 1; j <= 4; j++) {
        eip_crypto_ct v;
        REQUIRE(eip_crypto_fake_for(m, j, 1, NULL, &v, &err) == EIP_OK, "fake_for");
        CHECK(eip_crypto_codebook_add(cb, &v, EIP_CRYPTO_NOT_A_LABEL, NULL, &err) == EIP_OK, "add");
        CHECK(eip_crypto_codebook_add(cb, &v, EIP_CRYPTO_NOT_A_LABEL, NULL, &err) == EIP_ERR_ARG, "dup refused");
    }
    int64_t dim = eip_crypto_phi_dim(pk, cb);
    CHECK(dim == 14 && eip_crypto_phi_dim(pk, NULL) == 0, "dim = codebook size");
    float *y = malloc((size_t)dim * sizeof *y);
    for (int64_t i = 0; i < dim; i++) {
        const eip_crypto_ct *c = eip_crypto_codebook_ct(cb, i);
        REQUIRE(eip_crypto_phi(pk, cb, c, y, &err) == EIP_OK, "phi");
        CHECK(y[i] == 1.0f, "one-hot at slot");
        for (int d = 0; d < 2; d++) {
            eip_crypto_ct back;
            int64_t slot;
            CHECK(eip_crypto_phi_inv(pk, cb, y, 0, (eip_crypto_phi_decoder)d, &back, &slot, &err) == EIP_OK &&
                      slot == i && !memcmp(&back, c, sizeof back),
                  "ristretto round trip slot %lld decoder %d", (long long)i, d);
        }
        /* Algorithm 2: Φ^-1, SampDist, decrypt: label codewords give the label */
        eip_crypto_ct fresh;
        eip_crypto_sampdist(pk, c, NULL, &fresh, &err);
        int32_t l;
        eip_crypto_dec_label(sk, &fresh, &l, &err);
        CHECK(l == eip_crypto_codebook_label(cb, i) || (i >= 10 && (i == 11 ? l == 1 : l == -1)),
              "deploy slot %lld -> label %d", (long long)i, (int)l);
    }
    eip_crypto_ct fresh;
    eip_crypto_enc(pk, 3, NULL, &fresh, &err);
    CHECK(eip_crypto_phi(pk, cb, &fresh, y, &err) == EIP_ERR_NOT_FOUND, "non-codeword has no Φ");
    CHECK(eip_crypto_phi(pk, NULL, &fresh, y, &err) == EIP_ERR_ARG, "no codebook");
    REQUIRE(eip_crypto_codebook_build(pk2, 1, NULL, &cb2, &err) == EIP_OK, "cb2");
    CHECK(eip_crypto_phi(pk, cb2, eip_crypto_codebook_ct(cb2, 0), y, &err) == EIP_ERR_CRYPTO,
          "codebook of another key refused");
    unsigned char *b;
    size_t n;
    eip_crypto_codebook_to_bytes(cb2, &b, &n, &err);
    eip_crypto_codebook_t *cb3;
    CHECK(eip_crypto_codebook_from_bytes(pk, b, n, "cb2.bin", &cb3, &err) == EIP_ERR_CRYPTO &&
              strstr(err.msg, "cb2.bin") && strstr(err.msg, "another public key"),
          "load with wrong pk: %s", err.msg);
    free(b);
    free(y);
    eip_crypto_sk_free(sk);
    eip_crypto_codebook_free(cb);
    eip_crypto_codebook_free(cb2);
    eip_crypto_pk_free(pk);
    eip_crypto_pk_free(pk2);
    eip_crypto_master_free(m);
    eip_crypto_master_free(m2);
}

int main(void)
{
    eip_error err = {0};
    REQUIRE(eip_crypto_init(&err) == EIP_OK, "init");
    test_paper(10);
    test_paper(100);
    test_ristretto();
    TEST_MAIN_END();
}
