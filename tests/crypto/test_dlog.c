/* The paper group is broken: eip_crypto_attack_dlog recovers every label
 * from the public key and the ciphertexts alone; for ristretto255 it is
 * refused as infeasible. */
#include <string.h>

#include "encryip/crypto.h"
#include "test.h"

static void attack(int32_t z, int64_t q)
{
    eip_error err = {0};
    eip_crypto_params prm = {EIP_CRYPTO_GROUP_PAPER, z, q};
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *m;
    REQUIRE(eip_crypto_gen(&prm, 2, NULL, &pk, &m, &err) == EIP_OK, "gen: %s", err.msg);
    enum { N = 500 };
    eip_crypto_ct c[N];
    int32_t truth[N], got[N];
    for (int i = 0; i < N; i++) {
        truth[i] = (int32_t)((i * 7919) % z);
        REQUIRE(eip_crypto_enc(pk, truth[i], NULL, &c[i], &err) == EIP_OK, "enc");
    }
    CHECK(eip_crypto_attack_dlog(pk, c, N, got, &err) == EIP_OK, "attack: %s", err.msg);
    int right = 0;
    for (int i = 0; i < N; i++)
        right += got[i] == truth[i];
    CHECK(right == N, "z=%d q=%lld: attack recovered %d/%d labels", (int)z, (long long)eip_crypto_pk_q(pk),
          right, N);
    /* a Fake's u3 is random: the attack reads what any key would not agree on */
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
}

int main(void)
{
    eip_error err = {0};
    REQUIRE(eip_crypto_init(&err) == EIP_OK, "init");
    attack(2, 0);
    attack(10, 0);
    attack(100, 0);
    attack(1000, 0);
    attack(10, 1000003); /* still trivial: ~1000 steps per ciphertext */

    eip_crypto_params prm = {EIP_CRYPTO_GROUP_RISTRETTO255, 10, 0};
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *m;
    REQUIRE(eip_crypto_gen(&prm, 2, NULL, &pk, &m, &err) == EIP_OK, "gen");
    eip_crypto_ct c;
    eip_crypto_enc(pk, 4, NULL, &c, &err);
    int32_t l = 99;
    CHECK(eip_crypto_attack_dlog(pk, &c, 1, &l, &err) == EIP_ERR_INFEASIBLE, "ristretto refused");
    CHECK(strstr(err.msg, "infeasible") && strstr(err.msg, "2^126"), "message: %s", err.msg);
    CHECK(l == 99, "no output written");
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
    TEST_MAIN_END();
}
