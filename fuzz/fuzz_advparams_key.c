/* libFuzzer target: the AdvParams key reader (eip_advparams_key_from_bytes);
 * an accepted key must serialise back to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/advparams.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err = {0};
    eip_advparams_key key;
    if (eip_advparams_key_from_bytes(data, size, "fuzz.key", &key, &err) == EIP_OK) {
        unsigned char *out = NULL;
        size_t len = 0;
        if (eip_advparams_key_to_bytes(&key, &out, &len, &err) != EIP_OK || len != size ||
            memcmp(out, data, size) != 0)
            abort(); /* reader and writer disagree */
        free(out);
        eip_advparams_key_free(&key);
    }
    return 0;
}
