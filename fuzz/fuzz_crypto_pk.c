/* libFuzzer target: the public-key reader (eip_crypto_pk_from_bytes). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "encryip/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err = {0};
    if (eip_crypto_init(&err) != EIP_OK)
        return 0;
    eip_crypto_pk_t *pk = NULL;
    if (eip_crypto_pk_from_bytes(data, size, "fuzz.key", &pk, &err) == EIP_OK) {
        unsigned char *b;
        size_t n;
        if (eip_crypto_pk_to_bytes(pk, &b, &n, &err) == EIP_OK)
            free(b);
    }
    eip_crypto_pk_free(pk);
    return 0;
}
