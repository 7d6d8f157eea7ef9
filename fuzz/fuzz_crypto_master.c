/* libFuzzer target: the master-key reader (eip_crypto_master_from_bytes). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "encryip/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err = {0};
    if (eip_crypto_init(&err) != EIP_OK)
        return 0;
    eip_crypto_master_t *m = NULL;
    if (eip_crypto_master_from_bytes(data, size, "fuzz.key", &m, &err) == EIP_OK) {
        eip_crypto_sk_t *sk = NULL;
        if (eip_crypto_master_sk(m, eip_crypto_master_licensees(m), &sk, &err) == EIP_OK)
            eip_crypto_sk_free(sk);
    }
    eip_crypto_master_free(m);
    return 0;
}
