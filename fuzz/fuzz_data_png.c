/* libFuzzer target: PNG decoding (libpng simplified API). */
#include <stdint.h>
#include <stdlib.h>

#include "encryip/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err;
    uint8_t *px = NULL; /* [C, H, W] */
    int32_t c, h, w;
    if (eip_data_png_from_memory(data, size, "fuzz.png", &px, &c, &h, &w, &err) == EIP_OK)
        free(px);
    return 0;
}
