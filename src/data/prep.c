/* The one normalisation and the one seeded subset of encryip: every path
 * that turns pixels into network inputs (loader, evaluation, deployment,
 * AdvParams) and every `--limit N` (the `encryip` commands and the
 * experiment drivers) goes through here, so they agree bit for bit. */
#include <string.h>

#include "data/data_internal.h"

void eip_data_normalize(const uint8_t *px, int64_t n, int32_t c, int64_t hw, const float *mean,
                        const float *std, float *out)
{
    const int64_t sample = (int64_t)c * hw;
    for (int64_t i = 0; i < n; i++)
        for (int32_t ch = 0; ch < c; ch++) {
            const uint8_t *src = px + i * sample + ch * hw; /* [H, W] */
            float *dst = out + i * sample + ch * hw;         /* [H, W] */
            for (int64_t j = 0; j < hw; j++)
                dst[j] = eip_data_pixel_normalize(src[j], mean[ch], std[ch]);
        }
}

eip_status eip_data_load_limited(const char *name, const char *dir, int64_t limit,
                                 eip_data_set *train, eip_data_set *test, eip_error *err)
{
    eip_status s = eip_data_load_by_name(name, dir, train, test, err);
    if (s != EIP_OK || limit <= 0 || limit >= train->n)
        return s;
    eip_data_set sub;
    if ((s = eip_data_set_subset_random(train, limit, EIP_DATA_LIMIT_SEED, &sub, err)) != EIP_OK) {
        eip_data_set_free(train);
        eip_data_set_free(test);
        return s;
    }
    eip_data_set_free(train);
    *train = sub;
    return EIP_OK;
}
