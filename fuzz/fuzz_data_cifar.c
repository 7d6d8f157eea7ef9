/* libFuzzer target: CIFAR-10 / CIFAR-100 binary batch reader.
 * A CIFAR batch is a whole number of fixed-size records (3073 or 3074
 * bytes), which random inputs almost never are: the first input byte picks
 * the kind and the rest is cut to a whole number of records (at least one,
 * zero-padded), so every run reaches the record parser and label checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const eip_data_cifar_kind kinds[3] = {EIP_DATA_CIFAR10, EIP_DATA_CIFAR100_FINE,
                                                 EIP_DATA_CIFAR100_COARSE};
    if (size < 1)
        return 0;
    eip_data_cifar_kind kind = kinds[data[0] % 3];
    size_t rec = (kind == EIP_DATA_CIFAR10 ? 1u : 2u) + 3072u;
    size_t body = size - 1, n = body / rec + (body % rec ? 1 : 0);
    if (n == 0)
        n = 1;
    if (n > 8)
        n = 8;
    size_t len = n * rec;
    uint8_t *buf = calloc(len, 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, body < len ? body : len);
    eip_error err;
    eip_data_set ds;
    if (eip_data_cifar_from_memory(buf, len, "fuzz.bin", kind, &ds, &err) == EIP_OK)
        eip_data_set_validate(&ds, &err);
    eip_data_set_free(&ds);
    /* The unaligned input as given must be refused, never crash. */
    if (eip_data_cifar_from_memory(data, size, "fuzz.bin", kind, &ds, &err) == EIP_OK)
        eip_data_set_validate(&ds, &err);
    eip_data_set_free(&ds);
    free(buf);
    return 0;
}
