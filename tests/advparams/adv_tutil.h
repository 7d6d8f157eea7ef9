/* Shared by the AdvParams / attack tests: real Fashion-MNIST slices and tiny
 * zoo models trained briefly inside the test, cached in the build directory
 * (a stale or unreadable cache is retrained). */
#ifndef ADV_TUTIL_H
#define ADV_TUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/data.h"
#include "encryip/nn.h"
#include "encryip/train.h"
#include "test.h"

typedef struct adv_fixture {
    eip_data_set train, test;     /* full Fashion-MNIST */
    eip_data_set enc;             /* 128 training images (encryption set) */
    eip_data_set slice;           /* 500 test images */
    float mean[1], std[1];
} adv_fixture;

static void adv_fixture_init(adv_fixture *f)
{
    eip_error err = {0};
    memset(f, 0, sizeof *f);
    REQUIRE(eip_data_fashion_mnist_load(NULL, &f->train, &f->test, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_set_subset_fraction(&f->train, 128.0 / 60000.0, 77, &f->enc, &err) == EIP_OK,
            "%s", err.msg);
    REQUIRE(eip_data_set_subset_first(&f->test, 500, &f->slice, &err) == EIP_OK, "%s", err.msg);
    f->mean[0] = 0.2860f; /* Fashion-MNIST training statistics */
    f->std[0] = 0.3530f;
}

static void adv_fixture_free(adv_fixture *f)
{
    eip_data_set_free(&f->train);
    eip_data_set_free(&f->test);
    eip_data_set_free(&f->enc);
    eip_data_set_free(&f->slice);
}

/* Trains (or loads from the cache) a zoo net on the first `images` training
 * images for `epochs` epochs with the given targets (NULL = HARD). */
static eip_nn_net_t *adv_model(eip_nn_ctx *ctx, const adv_fixture *f, const char *zoo, double width,
                               int64_t k, int64_t images, int64_t epochs,
                               const eip_train_targets *targets, const char *tag)
{
    eip_error err = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/adv_cache_%s_%s_%g_%lld_%lld.st", EIP_BINARY_DIR, tag, zoo, width,
             (long long)images, (long long)epochs);
    eip_nn_net_t *net = NULL;
    if (eip_nn_load(ctx, path, &net, &err) == EIP_OK)
        return net;
    eip_nn_arch a;
    memset(&a, 0, sizeof a);
    snprintf(a.zoo, sizeof a.zoo, "%s", zoo);
    a.c_in = 1;
    a.h = a.w = 28;
    a.k = k;
    a.width = width;
    REQUIRE(eip_nn_net_zoo(ctx, &a, &net, &err) == EIP_OK, "%s: %s", zoo, err.msg);
    REQUIRE(eip_nn_init_params(net, 3, &err) == EIP_OK, "%s", err.msg);
    eip_data_set sub = {0};
    REQUIRE(eip_data_set_subset_first(&f->train, images, &sub, &err) == EIP_OK, "%s", err.msg);
    eip_data_loader_cfg lc;
    REQUIRE(eip_data_loader_cfg_default(&lc, &sub, 32, 5, &err) == EIP_OK, "%s", err.msg);
    lc.mean[0] = f->mean[0];
    lc.std[0] = f->std[0];
    eip_data_loader *L = NULL;
    REQUIRE(eip_data_loader_init(&L, &sub, &lc, &err) == EIP_OK, "%s", err.msg);
    eip_train_config tc;
    memset(&tc, 0, sizeof tc);
    tc.epochs = epochs;
    tc.optim = eip_train_optim_config_default(EIP_TRAIN_OPTIM_ADAMW);
    tc.optim.weight_decay = 1e-4;
    tc.sched.kind = EIP_TRAIN_SCHED_CONST;
    tc.sched.base_lr = 2e-3;
    tc.sched.warmup_start_factor = 1.0;
    tc.decay_all = 1;
    eip_train_targets hard = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    REQUIRE(eip_train_run(net, L, targets ? targets : &hard, &tc, NULL, &err) == EIP_OK, "%s: %s", zoo,
            err.msg);
    eip_data_loader_free(L);
    eip_data_set_free(&sub);
    (void)eip_nn_save(net, path, &err); /* cache only; a failure just retrains next time */
    return net;
}

#endif
