/* bench_step: where the time of one training step goes, for a plain head
 * (K = classes, hard-label CE) and an EncryIP head (K = blocks * q, block
 * CE on the trainer's softmax path), same zoo body, same optimiser.
 * It answers "what does the wider head cost per step" for `experiment cost`
 * (issue 16 item 3) phase by phase:
 *   zero    eip_nn_zero_grad
 *   fwd     eip_nn_forward (train mode)
 *   loss    softmax + CE + dlogits
 *   bwd     eip_nn_backward
 *   opt     eip_train_optim_step (+ mark_dirty)
 *
 *   bench_step [--model alexnet] [--width 0.25] [--input 1x28x28] [--batch 128]
 *              [--classes 10] [--q 1009] [--blocks 3] [--threads 2]
 *              [--iters 200] [--warmup 20] [--optim adamw|sgd] [--only plain|encryip]
 *
 * --only runs one head (for DNNL_VERBOSE or perf of that head alone).
 * Two JSON lines (plain, encryip): median wall ms per phase and per step,
 * and the encryip/plain ratio of the step.  The two heads alternate step by
 * step so both see the same machine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encryip/nn.h"
#include "encryip/train.h"
#include "util/io.h"
#include "util/parse.h"

#include "bench_util.h"

enum { PH_ZERO, PH_FWD, PH_LOSS, PH_BWD, PH_OPT, PH_STEP, PH_N };
static const char *const ph_name[PH_N] = {"zero", "fwd", "loss", "bwd", "opt", "step"};

typedef struct head {
    eip_nn_ctx ctx;
    eip_nn_net_t *net;
    eip_train_optim_t *opt;
    eip_nn_softmax_t *sm; /* EncryIP head only */
    int64_t k, blocks;
    float *logits, *dlogits, *p; /* [B, K] */
    float *table;                /* [ids, K] block targets (encryip) */
    double *t[PH_N];             /* [iters] */
} head;

typedef struct cfg {
    char model[32];
    double width;
    int64_t c, h, w, batch, classes, q, blocks, iters, warmup;
    int threads;
    eip_train_optim_kind optim;
    int heads; /* bit 0 plain, bit 1 encryip */
} cfg;

static eip_status head_init(head *hd, const cfg *c, int encryip, eip_error *err)
{
    memset(hd, 0, sizeof *hd);
    eip_nn_arch a;
    memset(&a, 0, sizeof a);
    snprintf(a.zoo, sizeof a.zoo, "%s", c->model);
    a.c_in = c->c;
    a.h = c->h;
    a.w = c->w;
    hd->blocks = encryip ? c->blocks : 1;
    hd->k = a.k = encryip ? c->blocks * c->q : c->classes;
    a.width = c->width;
    eip_status s;
    if ((s = eip_nn_ctx_init(&hd->ctx, c->threads, err)) || (s = eip_nn_net_zoo(&hd->ctx, &a, &hd->net, err)) ||
        (s = eip_nn_init_params(hd->net, 1, err)))
        return s;
    eip_train_optim_config oc = eip_train_optim_config_default(c->optim);
    if (c->optim == EIP_TRAIN_OPTIM_SGD) {
        oc.momentum = 0.9;
        oc.nesterov = 1;
        oc.weight_decay = 5e-4;
    } else {
        oc.weight_decay = 0.01;
    }
    int64_t np = 0;
    eip_nn_params(hd->net, &np);
    if ((s = eip_train_optim_init(&hd->opt, &oc, np, err)))
        return s;
    const size_t bk = (size_t)(c->batch * hd->k);
    hd->logits = malloc(bk * sizeof(float));
    hd->dlogits = malloc(bk * sizeof(float));
    hd->p = malloc(bk * sizeof(float));
    hd->table = calloc((size_t)(c->classes * hd->k), sizeof(float));
    int t_ok = 1;
    for (int i = 0; i < PH_N; i++)
        t_ok &= (hd->t[i] = malloc((size_t)c->iters * sizeof(double))) != NULL;
    if (!hd->logits || !hd->dlogits || !hd->p || !hd->table || !t_ok)
        return eip_error_set(err, EIP_ERR_NOMEM, "bench_step: out of memory");
    /* one-hot blocks: label l -> slot (l * 7 + b) mod q of block b */
    const int64_t q = hd->k / hd->blocks;
    for (int64_t l = 0; l < c->classes && encryip; l++)
        for (int64_t b = 0; b < hd->blocks; b++)
            hd->table[l * hd->k + b * q + (l * 7 + b) % q] = 1.0f;
    if (encryip) /* as the trainer: block targets take the softmax path at any q */
        return eip_nn_softmax_init(&hd->sm, &hd->ctx, c->batch * hd->blocks, q, err);
    return EIP_OK;
}

static void head_free(head *hd)
{
    eip_nn_softmax_free(hd->sm);
    eip_train_optim_free(hd->opt);
    eip_nn_net_free(hd->net);
    eip_nn_ctx_free(&hd->ctx);
    free(hd->logits);
    free(hd->dlogits);
    free(hd->p);
    free(hd->table);
    for (int i = 0; i < PH_N; i++)
        free(hd->t[i]);
}

/* One training step, each phase timed; it >= 0 records into slot it. */
static eip_status head_step(head *hd, const cfg *c, int encryip, const float *x, const int32_t *y,
                            int64_t it, eip_error *err)
{
    double t[PH_N + 1];
    float loss = 0.0f;
    float *params = eip_nn_params(hd->net, NULL), *grads = eip_nn_grads(hd->net, NULL);
    const int64_t b = c->batch;
    eip_status s;
    t[0] = eip_clock_seconds();
    eip_nn_zero_grad(hd->net);
    t[1] = eip_clock_seconds();
    if ((s = eip_nn_forward(hd->net, x, b, EIP_NN_TRAIN, hd->logits, err)))
        return s;
    t[2] = eip_clock_seconds();
    if (!encryip)
        s = eip_train_loss_ce_hard(hd->logits, y, b, hd->k, &loss, hd->dlogits, err);
    else if ((s = eip_nn_softmax_run(hd->sm, hd->logits, b * hd->blocks, hd->p, NULL, err)) == EIP_OK)
        s = eip_train_loss_ce_block_ids_probs(hd->logits, hd->p, hd->table, c->classes, y, b, hd->k,
                                              hd->blocks, &loss, hd->dlogits, err); /* as the trainer */
    if (s)
        return s;
    t[3] = eip_clock_seconds();
    if ((s = eip_nn_backward(hd->net, hd->dlogits, NULL, err)))
        return s;
    t[4] = eip_clock_seconds();
    if ((s = eip_train_optim_step(hd->opt, 1e-4, params, grads, NULL, err)))
        return s;
    eip_nn_mark_dirty(hd->net);
    t[5] = eip_clock_seconds();
    if (it >= 0) {
        for (int i = 0; i < PH_STEP; i++)
            hd->t[i][it] = t[i + 1] - t[i];
        hd->t[PH_STEP][it] = t[5] - t[0];
    }
    return EIP_OK;
}

static double head_report(head *hd, const cfg *c, const char *which, double plain_step)
{
    double med[PH_N];
    for (int i = 0; i < PH_N; i++)
        med[i] = bench_median(hd->t[i], c->iters) * 1e3;
    int64_t np = 0;
    eip_nn_params(hd->net, &np);
    printf("{\"bench\":\"step\",\"head\":\"%s\",\"model\":\"%s\",\"width\":%g,\"input\":\"%lldx%lldx%lld\","
           "\"k\":%lld,\"blocks\":%lld,\"batch\":%lld,\"threads\":%d,\"params\":%lld,\"iters\":%lld,",
           which, c->model, c->width, (long long)c->c, (long long)c->h, (long long)c->w, (long long)hd->k,
           (long long)hd->blocks, (long long)c->batch, hd->ctx.threads, (long long)np, (long long)c->iters);
    for (int i = 0; i < PH_N; i++)
        printf("\"%s_ms\":%.4f,", ph_name[i], med[i]);
    if (plain_step > 0)
        printf("\"step_ratio\":%.3f,", med[PH_STEP] / plain_step);
    printf("\"isa\":\"%s\"}\n", eip_nn_cpu_isa());
    return med[PH_STEP];
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_step [--model M] [--width W] [--input CxHxW] [--batch B] [--classes Z]\n"
                    "                  [--q Q] [--blocks N] [--threads T] [--iters R] [--warmup W]\n"
                    "                  [--optim adamw|sgd] [--only plain|encryip]\n");
    return 2;
}

static int parse_args(int argc, char **argv, cfg *c, eip_error *err)
{
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (i + 1 >= argc)
            return usage();
        const char *v = argv[++i];
        int64_t n = 0;
        eip_status s = EIP_OK;
        if (!strcmp(f, "--model"))
            snprintf(c->model, sizeof c->model, "%s", v);
        else if (!strcmp(f, "--width"))
            s = eip_parse_f64(f, v, 1.0 / 64, 4.0, &c->width, err);
        else if (!strcmp(f, "--input")) {
            char tail = 0;
            long long cc, hh, ww;
            if (sscanf(v, "%lldx%lldx%lld%c", &cc, &hh, &ww, &tail) != 3 || cc < 1 || hh < 1 || ww < 1 ||
                cc > 64 || hh > 4096 || ww > 4096)
                s = eip_error_set(err, EIP_ERR_ARG, "--input '%s': expected CxHxW, e.g. 1x28x28", v);
            c->c = cc, c->h = hh, c->w = ww;
        } else if (!strcmp(f, "--batch") && !(s = eip_parse_i64(f, v, 1, 4096, &n, err)))
            c->batch = n;
        else if (!strcmp(f, "--classes") && !(s = eip_parse_i64(f, v, 2, 100000, &n, err)))
            c->classes = n;
        else if (!strcmp(f, "--q") && !(s = eip_parse_i64(f, v, 2, 1000000, &n, err)))
            c->q = n;
        else if (!strcmp(f, "--blocks") && !(s = eip_parse_i64(f, v, 1, 16, &n, err)))
            c->blocks = n;
        else if (!strcmp(f, "--threads") && !(s = eip_parse_i64(f, v, 1, 256, &n, err)))
            c->threads = (int)n;
        else if (!strcmp(f, "--iters") && !(s = eip_parse_i64(f, v, 1, 1000000, &n, err)))
            c->iters = n;
        else if (!strcmp(f, "--warmup") && !(s = eip_parse_i64(f, v, 0, 1000000, &n, err)))
            c->warmup = n;
        else if (!strcmp(f, "--optim")) {
            if (!strcmp(v, "adamw"))
                c->optim = EIP_TRAIN_OPTIM_ADAMW;
            else if (!strcmp(v, "sgd"))
                c->optim = EIP_TRAIN_OPTIM_SGD;
            else
                s = eip_error_set(err, EIP_ERR_ARG, "--optim '%s': expected adamw or sgd", v);
        } else if (!strcmp(f, "--only")) {
            if (!strcmp(v, "plain"))
                c->heads = 1;
            else if (!strcmp(v, "encryip"))
                c->heads = 2;
            else
                s = eip_error_set(err, EIP_ERR_ARG, "--only '%s': expected plain or encryip", v);
        } else if (strcmp(f, "--batch") && strcmp(f, "--classes") && strcmp(f, "--q") && strcmp(f, "--blocks") &&
                   strcmp(f, "--threads") && strcmp(f, "--iters") && strcmp(f, "--warmup"))
            return usage();
        if (s)
            return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    cfg c = {"alexnet", 0.25, 1, 28, 28, 128, 10, 1009, 3, 200, 20, 2, EIP_TRAIN_OPTIM_ADAMW, 3};
    eip_error err = {0};
    int rc = parse_args(argc, argv, &c, &err);
    if (rc) {
        if (err.msg[0])
            fprintf(stderr, "bench_step: %s\n", err.msg);
        return rc;
    }
    float *x = malloc((size_t)(c.batch * c.c * c.h * c.w) * sizeof(float)); /* [B, C, H, W] */
    int32_t *y = malloc((size_t)c.batch * sizeof(int32_t));                 /* [B] */
    if (!x || !y)
        return 1;
    bench_fill_pm1(x, c.batch * c.c * c.h * c.w);
    for (int64_t i = 0; i < c.batch; i++)
        y[i] = (int32_t)(i % c.classes);
    head hp, he;
    eip_status s = head_init(&hp, &c, 0, &err);
    if (!s)
        s = head_init(&he, &c, 1, &err);
    const unsigned fpenv = eip_nn_denormals_flush_begin(); /* as eip_train_run does */
    for (int64_t it = -c.warmup; it < c.iters && !s; it++)
        if (!(c.heads & 1) || !(s = head_step(&hp, &c, 0, x, y, it, &err)))
            s = c.heads & 2 ? head_step(&he, &c, 1, x, y, it, &err) : EIP_OK;
    eip_nn_denormals_flush_end(fpenv);
    if (s) {
        fprintf(stderr, "bench_step: %s\n", err.msg);
        return 1;
    }
    double plain = c.heads & 1 ? head_report(&hp, &c, "plain", 0) : 0;
    if (c.heads & 2)
        head_report(&he, &c, "encryip", plain);
    head_free(&hp);
    head_free(&he);
    free(x);
    free(y);
    return 0;
}
