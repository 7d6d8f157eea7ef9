/* Built against the INSTALLED library through pkg-config (tests/install/
 * install.sh): keygen, save/load the key files, Enc of every label, batch
 * Dec with each licensee key (eq. 4), and a key of another keygen refused. */
#include <encryip/encryip.h>
#include <stdio.h>
#include <string.h>

#define FAIL(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); return 1; } while (0)

int main(int argc, char **argv)
{
    if (argc != 2)
        FAIL("usage: demo DIR");
    eip_error err = {0};
    eip_crypto_params prm = {EIP_CRYPTO_GROUP_RISTRETTO255, 10, 0};
    eip_crypto_pk_t *pk = NULL, *pk2 = NULL, *pkl = NULL;
    eip_crypto_master_t *m = NULL, *m2 = NULL;
    if (eip_crypto_init(&err) || eip_crypto_gen(&prm, 2, NULL, &pk, &m, &err) ||
        eip_crypto_gen(&prm, 1, NULL, &pk2, &m2, &err))
        FAIL("keygen: %s", err.msg);
    char path[4096];
    snprintf(path, sizeof path, "%s/public.key", argv[1]);
    if (eip_crypto_pk_save(pk, path, &err) || eip_crypto_pk_load(path, &pkl, &err))
        FAIL("public key file: %s", err.msg);
    eip_crypto_ct c[10];
    for (int32_t y = 0; y < 10; y++)
        if (eip_crypto_enc(pkl, y, NULL, &c[y], &err))
            FAIL("enc: %s", err.msg);
    for (int64_t j = 1; j <= 2; j++) {
        eip_crypto_sk_t *sk = NULL, *skl = NULL;
        snprintf(path, sizeof path, "%s/licensee-%lld.key", argv[1], (long long)j);
        if (eip_crypto_master_sk(m, j, &sk, &err) || eip_crypto_sk_save(sk, path, &err) ||
            eip_crypto_sk_load(path, &skl, &err))
            FAIL("licensee key %lld: %s", (long long)j, err.msg);
        int32_t lab[10];
        if (eip_protect_decrypt_key(skl, eip_crypto_pk_id(pkl), c, 10, lab, &err))
            FAIL("decrypt: %s", err.msg);
        for (int32_t y = 0; y < 10; y++)
            if (lab[y] != y)
                FAIL("licensee %lld decrypted label %d as %d", (long long)j, y, lab[y]);
        eip_crypto_sk_free(sk);
        eip_crypto_sk_free(skl);
    }
    eip_crypto_sk_t *other = NULL;
    int32_t lab[10];
    if (eip_crypto_master_sk(m2, 1, &other, &err))
        FAIL("other key: %s", err.msg);
    eip_status s = eip_protect_decrypt_key(other, eip_crypto_pk_id(pkl), c, 10, lab, &err);
    if (s != EIP_ERR_CRYPTO || !strstr(err.msg, "another public key"))
        FAIL("a key of another keygen was not refused (status %d: %s)", (int)s, err.msg);
    eip_crypto_sk_free(other);
    eip_crypto_pk_free(pk);
    eip_crypto_pk_free(pk2);
    eip_crypto_pk_free(pkl);
    eip_crypto_master_free(m);
    eip_crypto_master_free(m2);
    printf("installed libencryip: keygen, key files, enc/dec round trip, wrong key refused: OK\n");
    return 0;
}
