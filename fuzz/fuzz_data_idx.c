/* libFuzzer target: idx reader (raw or gzip), labels and images. */
#include <stdint.h>
#include <stdlib.h>

#include "encryip/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err;
    int32_t *labels = NULL;
    int64_t n = 0;
    if (eip_data_idx_labels_from_memory(data, size, "fuzz.idx1", 256, &labels, &n, &err) == EIP_OK)
        free(labels);
    uint8_t *px = NULL; /* [N, H, W] */
    int32_t h, w;
    if (eip_data_idx_images_from_memory(data, size, "fuzz.idx3", &px, &n, &h, &w, &err) == EIP_OK)
        free(px);
    return 0;
}
