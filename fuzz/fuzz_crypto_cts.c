/* libFuzzer target: the ciphertext-file reader (eip_crypto_cts_from_bytes). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "encryip/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err = {0};
    if (eip_crypto_init(&err) != EIP_OK)
        return 0;
    eip_crypto_cts_info info;
    eip_crypto_ct *c = NULL;
    int64_t n = 0;
    (void)eip_crypto_cts_from_bytes(data, size, "fuzz.ct", &info, &c, &n, &err);
    free(c);
    return 0;
}
