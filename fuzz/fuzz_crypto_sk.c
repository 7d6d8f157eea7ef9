/* libFuzzer target: the secret-key reader (eip_crypto_sk_from_bytes). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "encryip/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err = {0};
    if (eip_crypto_init(&err) != EIP_OK)
        return 0;
    eip_crypto_sk_t *sk = NULL;
    if (eip_crypto_sk_from_bytes(data, size, "fuzz.key", &sk, &err) == EIP_OK) {
        eip_crypto_ct c = {0};
        eip_crypto_elem m;
        (void)eip_crypto_dec(sk, &c, &m, &err); /* ⊥ path on an all-zero ciphertext */
    }
    eip_crypto_sk_free(sk);
    return 0;
}
