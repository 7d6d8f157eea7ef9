/* libFuzzer target: JPEG decoding (libjpeg-turbo). */
#include <stdint.h>
#include <stdlib.h>

#include "encryip/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err;
    uint8_t *px = NULL; /* [C, H, W] */
    int32_t c, h, w;
    if (eip_data_jpeg_from_memory(data, size, "fuzz.jpeg", &px, &c, &h, &w, &err) == EIP_OK)
        free(px);
    return 0;
}
