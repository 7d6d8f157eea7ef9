/* The one net builder of the commands and experiment drivers: a zoo model
 * at a width, or an architecture config file, for a given input shape and
 * output width. */
#include <stdio.h>
#include <string.h>

#include "encryip/nn.h"

eip_status eip_nn_net_build(eip_nn_ctx *ctx, const char *zoo, const char *config, double width,
                            int32_t c, int32_t h, int32_t w, int64_t k, eip_nn_net_t **net,
                            eip_error *err)
{
    *net = NULL;
    if (!!zoo == !!config)
        return eip_error_set(err, EIP_ERR_ARG, "give exactly one of --model NAME or --config FILE");
    if (config) {
        /* `auto` in the config takes the data's shape and the width k the
         * command needs (docs/CONFIG.md) */
        const eip_nn_config_auto fill = {c, h, w, k};
        eip_status s = eip_nn_net_config_file_auto(ctx, config, &fill, net, err);
        if (s != EIP_OK)
            return s;
        int64_t nc, nh, nw;
        eip_nn_input_shape(*net, &nc, &nh, &nw);
        const int64_t out = eip_nn_output_size(*net); /* read before the net is freed */
        if (nc != c || nh != h || nw != w || out != k) {
            s = eip_error_set(err, EIP_ERR_SHAPE,
                              "%s: the config takes %lldx%lldx%lld (CxHxW) and outputs %lld, the "
                              "data is %dx%dx%d and needs %lld outputs (write out=auto on the "
                              "last layer to have them filled in)",
                              config, (long long)nc, (long long)nh, (long long)nw, (long long)out, c,
                              h, w, (long long)k);
            eip_nn_net_free(*net);
            *net = NULL;
        }
        return s;
    }
    eip_nn_arch a;
    memset(&a, 0, sizeof a);
    if (strlen(zoo) >= sizeof a.zoo)
        return eip_error_set(err, EIP_ERR_ARG, "--model: '%s' is not a zoo model", zoo);
    snprintf(a.zoo, sizeof a.zoo, "%s", zoo);
    a.c_in = c;
    a.h = h;
    a.w = w;
    a.k = k;
    a.width = width;
    return eip_nn_net_zoo(ctx, &a, net, err);
}
