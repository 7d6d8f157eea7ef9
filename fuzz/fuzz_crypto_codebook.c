/* libFuzzer target: the codebook reader (eip_crypto_codebook_from_bytes),
 * against a fixed seeded key (so the key id check can pass when
 * the fuzzer keeps the id bytes of the seed corpus, tests/ref/crypto/*codebook.bin,
 * made from the same seed; the group follows the header byte). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "encryip/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err = {0};
    if (eip_crypto_init(&err) != EIP_OK)
        return 0;
    eip_crypto_rng_t *rng = NULL;
    eip_crypto_pk_t *pk = NULL;
    eip_crypto_master_t *m = NULL;
    eip_crypto_params prm = {size > 6 && data[6] == EIP_CRYPTO_GROUP_RISTRETTO255 ? EIP_CRYPTO_GROUP_RISTRETTO255 : EIP_CRYPTO_GROUP_PAPER,
                             10, 0};
    if (eip_crypto_rng_new_u64(20240101, &rng, &err) == EIP_OK &&
        eip_crypto_gen(&prm, 3, rng, &pk, &m, &err) == EIP_OK) {
        eip_crypto_codebook_t *cb = NULL;
        if (eip_crypto_codebook_from_bytes(pk, data, size, "fuzz.cb", &cb, &err) == EIP_OK)
            eip_crypto_codebook_free(cb);
    }
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
    eip_crypto_rng_free(rng);
    return 0;
}
