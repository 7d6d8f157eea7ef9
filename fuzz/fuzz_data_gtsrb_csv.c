/* libFuzzer target: GTSRB annotation CSV reader. */
#include <stdint.h>
#include <stdlib.h>

#include "encryip/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err;
    eip_data_gtsrb_row *rows = NULL;
    int64_t n = 0;
    if (eip_data_gtsrb_csv_from_memory(data, size, "fuzz.csv", &rows, &n, &err) == EIP_OK)
        free(rows);
    return 0;
}
