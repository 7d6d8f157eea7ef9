/* Shared by the baseline tests: a small smallcnn on Fashion-MNIST shapes. */
#ifndef BL_TUTIL_H
#define BL_TUTIL_H

#include <string.h>

#include "encryip/baseline.h"
#include "test.h"

/* A zoo net for 1x28x28 inputs, 10 classes, initialised from seed. */
static inline eip_nn_net_t *bl_zoo(eip_nn_ctx *ctx, const char *zoo, double width, uint64_t seed)
{
    eip_error err = {0};
    eip_nn_arch a;
    memset(&a, 0, sizeof a);
    snprintf(a.zoo, sizeof a.zoo, "%s", zoo);
    a.c_in = 1;
    a.h = a.w = 28;
    a.k = 10;
    a.width = width;
    eip_nn_net_t *net = NULL;
    REQUIRE(eip_nn_net_zoo(ctx, &a, &net, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_init_params(net, seed, &err) == EIP_OK, "%s", err.msg);
    return net;
}

/* smallcnn at width 0.5: 16 / 32 channels (0.25 hits slow reference kernels) */
static inline eip_nn_net_t *bl_smallcnn(eip_nn_ctx *ctx, uint64_t seed)
{
    return bl_zoo(ctx, "smallcnn", 0.5, seed);
}

static const char *const bl_convs[2] = {"conv3", "conv4"};
static const char *const bl_bns[2] = {"bn3", "bn4"};

#endif
