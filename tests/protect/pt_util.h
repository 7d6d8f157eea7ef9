/* Shared by the protect tests: small real Fashion-MNIST subsets, a
 * smallcnn builder, a short SGD schedule, a plain (honest) model, a
 * scratch directory. */
#ifndef PT_UTIL_H
#define PT_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "encryip/attack.h"
#include "encryip/protect.h"
#include "test.h"

#define PT_WIDTH 0.5
#define PT_THREADS 2

typedef struct pt_env {
    eip_nn_ctx ctx;
    eip_data_set train, test, tune; /* tune: images the leaker fine-tunes on (disjoint) */
    int64_t epochs;
    char dir[64];                   /* scratch dir (removed at exit by the test) */
} pt_env;

static inline eip_status pt_build(void *ctx, int64_t k, eip_nn_net_t **net, eip_error *err)
{
    pt_env *e = ctx;
    eip_nn_arch a;
    memset(&a, 0, sizeof a);
    snprintf(a.zoo, sizeof a.zoo, "smallcnn");
    a.c_in = e->train.c;
    a.h = e->train.h;
    a.w = e->train.w;
    a.k = k;
    a.width = PT_WIDTH;
    return eip_nn_net_zoo(&e->ctx, &a, net, err);
}

static inline void pt_trainconf(void *ctx, int64_t steps, eip_train_config *tc)
{
    pt_env *e = ctx;
    memset(tc, 0, sizeof *tc);
    tc->epochs = e->epochs;
    tc->optim = eip_train_optim_config_default(EIP_TRAIN_OPTIM_SGD);
    tc->optim.momentum = 0.9;
    tc->optim.nesterov = 1;
    tc->optim.weight_decay = 5e-4;
    tc->decay_all = 1;
    tc->sched.kind = EIP_TRAIN_SCHED_COSINE;
    tc->sched.base_lr = 0.05;
    tc->sched.warmup = steps;
    tc->sched.warmup_start_factor = 0.1;
    tc->sched.t_max = (e->epochs - 1) * steps > 0 ? (e->epochs - 1) * steps : 1;
}

/* n_train training images, n_test test images, n_tune more training images. */
static inline void pt_env_init(pt_env *e, int64_t n_train, int64_t n_test, int64_t n_tune, int64_t epochs)
{
    memset(e, 0, sizeof *e);
    eip_error err = {0};
    eip_data_set tr = {0}, te = {0};
    REQUIRE(eip_crypto_init(&err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_ctx_init(&e->ctx, PT_THREADS, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_fashion_mnist_load(NULL, &tr, &te, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_set_subset_first(&tr, n_train, &e->train, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_set_subset_first(&te, n_test, &e->test, &err) == EIP_OK, "%s", err.msg);
    int64_t *idx = malloc((size_t)n_tune * sizeof *idx);
    for (int64_t i = 0; i < n_tune; i++)
        idx[i] = n_train + i;
    REQUIRE(eip_data_set_subset_indices(&tr, idx, n_tune, &e->tune, &err) == EIP_OK, "%s", err.msg);
    free(idx);
    eip_data_set_free(&tr);
    eip_data_set_free(&te);
    e->epochs = epochs;
    snprintf(e->dir, sizeof e->dir, "/tmp/encryip-ptest.XXXXXX");
    REQUIRE(mkdtemp(e->dir) != NULL, "mkdtemp");
}

static inline void pt_env_free(pt_env *e)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", e->dir);
    eip_data_set_free(&e->train);
    eip_data_set_free(&e->test);
    eip_data_set_free(&e->tune);
    eip_nn_ctx_free(&e->ctx);
}

static inline void pt_config(pt_env *e, eip_protect_config *c, eip_crypto_group_id g, int64_t p,
                      int64_t verif, eip_crypto_rng_t *rng)
{
    memset(c, 0, sizeof *c);
    c->train = &e->train;
    c->test = &e->test;
    c->group = g;
    c->licensees = p;
    c->verif_count = verif;
    c->nn = &e->ctx;
    c->build = pt_build;
    c->build_ctx = e;
    c->trainconf = pt_trainconf;
    c->trainconf_ctx = e;
    c->batch = 128;
    c->seed = 11;
    c->crypto_rng = rng;
}

/* An honest, independently trained plain model (HARD labels). */
static inline eip_nn_net_t *pt_plain_model(pt_env *e, float *mean, float *std)
{
    eip_error err = {0};
    eip_nn_net_t *net = NULL;
    eip_data_loader *L = NULL;
    eip_data_loader_cfg lc;
    REQUIRE(pt_build(e, e->train.num_classes, &net, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_init_params(net, 99, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_loader_cfg_default(&lc, &e->train, 128, 99, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_loader_init(&L, &e->train, &lc, &err) == EIP_OK, "%s", err.msg);
    eip_train_config tc;
    pt_trainconf(e, eip_data_loader_num_batches(L), &tc);
    eip_train_targets t = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    REQUIRE(eip_train_run(net, L, &t, &tc, NULL, &err) == EIP_OK, "%s", err.msg);
    memcpy(mean, lc.mean, sizeof lc.mean);
    memcpy(std, lc.std, sizeof lc.std);
    eip_data_loader_free(L);
    return net;
}

/* The labels a deployment run with sk prints for the verification images
 * (what `encryip classify` would print). */
static inline int32_t *pt_suspect_labels(eip_protect_model_t *m, const eip_crypto_sk_t *sk,
                                  const eip_protect_verif *v)
{
    eip_error err = {0};
    int32_t *lab = malloc((size_t)v->n * sizeof *lab);
    REQUIRE(eip_protect_classify(m, sk, v->images.pixels, v->n, lab, &err) == EIP_OK, "%s", err.msg);
    return lab;
}

static inline int64_t pt_trace_keys(eip_crypto_sk_t *const *sk, int64_t p, const eip_protect_verif *v,
                             const int32_t *printed, int64_t *matched)
{
    eip_error err = {0};
    eip_protect_trace_result tr;
    REQUIRE(eip_protect_trace_keys(sk, p, v, printed, &tr, &err) == EIP_OK, "%s", err.msg);
    int64_t named = tr.named;
    if (matched)
        for (int64_t k = 0; k < tr.licensees; k++)
            if (tr.id[k] == named)
                *matched = tr.matched[k];
    eip_protect_trace_result_free(&tr);
    return named;
}

#endif
