/* libFuzzer target: the soft-label matrix reader (eip_crypto_soft_from_bytes). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "encryip/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err = {0};
    if (eip_crypto_init(&err) != EIP_OK)
        return 0;
    float *m = NULL;
    int64_t r, c;
    (void)eip_crypto_soft_from_bytes(data, size, "fuzz.soft", &m, &r, &c, &err);
    free(m);
    return 0;
}
