/* libFuzzer target: binary PPM (P6) reader. */
#include <stdint.h>
#include <stdlib.h>

#include "encryip/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err;
    uint8_t *rgb = NULL; /* [3, H, W] */
    int32_t h, w;
    if (eip_data_ppm_from_memory(data, size, "fuzz.ppm", &rgb, &h, &w, &err) == EIP_OK)
        free(rgb);
    return 0;
}
