/* libFuzzer target: .npy header / data reader (images and labels). */
#include <stdint.h>
#include <stdlib.h>

#include "encryip/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err;
    uint8_t *px = NULL; /* [N, C, H, W] */
    int32_t *labels = NULL; /* [N] */
    int64_t n;
    int32_t c, h, w;
    if (eip_data_npy_images_from_memory(data, size, "fuzz.npy", &px, &n, &c, &h, &w, &err) == EIP_OK)
        free(px);
    if (eip_data_npy_labels_from_memory(data, size, "fuzz.npy", &labels, &n, &err) == EIP_OK)
        free(labels);
    return 0;
}
