/* libFuzzer target: CIFAR-10 / CIFAR-100 binary batch reader. */
#include <stdint.h>

#include "encryip/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err;
    static const eip_data_cifar_kind kinds[3] = {EIP_DATA_CIFAR10, EIP_DATA_CIFAR100_FINE,
                                                 EIP_DATA_CIFAR100_COARSE};
    for (int k = 0; k < 3; k++) {
        eip_data_set ds;
        if (eip_data_cifar_from_memory(data, size, "fuzz.bin", kinds[k], &ds, &err) == EIP_OK)
            eip_data_set_validate(&ds, &err);
        eip_data_set_free(&ds);
    }
    return 0;
}
