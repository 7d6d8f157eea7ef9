/* decrypt's key/ciphertext-file check (issue 17 item 5): a ciphertext file
 * whose header z or q differs from the key's is refused even when it carries
 * the key's public-key id (a file rewritten with a valid checksum); a key of
 * another group is refused; the matching file passes.  And the --fixed
 * codebook shuffle: same codewords and labels, slots permuted. */
#include <string.h>

#include "crypto/internal.h" /* eip_fmt_sum_put: re-checksum a patched file */
#include "encryip/crypto.h"
#include "test.h"

int main(void)
{
    eip_error err = {0};
    REQUIRE(eip_crypto_init(&err) == EIP_OK, "%s", err.msg);
    eip_crypto_params prm = {EIP_CRYPTO_GROUP_PAPER, 10, 13};
    eip_crypto_pk_t *pk = NULL, *rpk = NULL;
    eip_crypto_master_t *m = NULL, *rm = NULL;
    eip_crypto_sk_t *sk = NULL, *rsk = NULL;
    REQUIRE(eip_crypto_gen(&prm, 2, NULL, &pk, &m, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_master_sk(m, 1, &sk, &err) == EIP_OK, "%s", err.msg);
    eip_crypto_params rp = {EIP_CRYPTO_GROUP_RISTRETTO255, 10, 0};
    REQUIRE(eip_crypto_gen(&rp, 2, NULL, &rpk, &rm, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_master_sk(rm, 1, &rsk, &err) == EIP_OK, "%s", err.msg);
    eip_crypto_ct c[3];
    for (int i = 0; i < 3; i++)
        REQUIRE(eip_crypto_enc(pk, i, NULL, &c[i], &err) == EIP_OK, "%s", err.msg);
    unsigned char *buf = NULL;
    size_t len = 0;
    REQUIRE(eip_crypto_cts_to_bytes(pk, c, 3, &buf, &len, &err) == EIP_OK, "%s", err.msg);
    eip_crypto_cts_info info;
    eip_crypto_ct *got = NULL;
    int64_t n = 0;
    REQUIRE(eip_crypto_cts_from_bytes(buf, len, "ok.ct", &info, &got, &n, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_crypto_sk_check_cts(sk, &info, "ok.ct", &err) == EIP_OK, "matching file: %s", err.msg);
    CHECK(eip_crypto_sk_check_cts(rsk, &info, "ok.ct", &err) == EIP_ERR_CRYPTO, "group mismatch accepted");
    CHECK(strstr(err.msg, "ristretto255") != NULL, "message names the groups: %s", err.msg);
    free(got);
    /* header z: 10 -> 11 (still < q = 13, so the file parses), checksum redone */
    buf[8] = 11;
    eip_fmt_sum_put(buf, len);
    got = NULL;
    REQUIRE(eip_crypto_cts_from_bytes(buf, len, "z.ct", &info, &got, &n, &err) == EIP_OK, "%s", err.msg);
    CHECK(info.classes == 11, "patched z read back as %d", (int)info.classes);
    CHECK(eip_crypto_sk_check_cts(sk, &info, "z.ct", &err) == EIP_ERR_CRYPTO, "z mismatch accepted");
    CHECK(strstr(err.msg, "z=11") && strstr(err.msg, "z=10"), "message: %s", err.msg);
    free(got);
    /* q: 13 -> 17 */
    buf[8] = 10;
    buf[12] = 17;
    eip_fmt_sum_put(buf, len);
    got = NULL;
    if (eip_crypto_cts_from_bytes(buf, len, "q.ct", &info, &got, &n, &err) == EIP_OK) {
        CHECK(eip_crypto_sk_check_cts(sk, &info, "q.ct", &err) == EIP_ERR_CRYPTO, "q mismatch accepted");
        free(got);
    }
    eip_crypto_secret_free(buf, len);

    /* codebook shuffle keeps every (codeword, label) pair */
    eip_crypto_codebook_t *cb = NULL;
    eip_crypto_rng_t *rng = NULL;
    REQUIRE(eip_crypto_rng_new_u64(3, &rng, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_codebook_build(rpk, 0, rng, &cb, &err) == EIP_OK, "%s", err.msg);
    eip_crypto_ct before[10];
    for (int y = 0; y < 10; y++)
        before[y] = *eip_crypto_codebook_ct(cb, y);
    REQUIRE(eip_crypto_codebook_shuffle(cb, rng, &err) == EIP_OK, "%s", err.msg);
    int moved = 0;
    for (int y = 0; y < 10; y++) {
        int64_t sl = eip_crypto_codebook_label_slot(cb, y);
        CHECK(sl >= 0 && !memcmp(eip_crypto_codebook_ct(cb, sl), &before[y], sizeof before[y]),
              "label %d lost its codeword", y);
        CHECK(eip_crypto_codebook_find(cb, &before[y]) == sl, "index not rebuilt for label %d", y);
        moved += sl != y;
    }
    CHECK(moved > 0, "seeded shuffle left every slot in place");
    eip_crypto_codebook_free(cb);
    eip_crypto_rng_free(rng);
    eip_crypto_sk_free(sk);
    eip_crypto_sk_free(rsk);
    eip_crypto_master_free(m);
    eip_crypto_master_free(rm);
    eip_crypto_pk_free(pk);
    eip_crypto_pk_free(rpk);
    TEST_MAIN_END();
}
