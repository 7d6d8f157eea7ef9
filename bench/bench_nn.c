/* bench_nn: training and inference speed of the oneDNN engine, one JSON line
 * per (model, mode) on stdout, in the format docs/BENCHMARKS.md defines and
 * bench/compare.sh reads beside tools/torch_bench.py.
 *
 *   bench_nn --threads T --batch B --warmup W --iters R --models M [M ...]
 *            --modes train|infer [...] [--width X] [--precision fp32|bf16]
 *
 * --precision bf16 = mixed precision (eip_nn_ctx_set_precision); refused
 * (exit 2 with the reason) on a CPU without AVX-512 bf16.  Every line names
 * the ISA oneDNN dispatches to ("isa") and the precision.
 *
 * Each (model, mode) runs in a fresh child process so peak RSS is that of one
 * model alone (the same rule torch_bench.py follows). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "encryip/nn.h"
#include "encryip/train.h"
#include "util/parse.h"

#include "bench_util.h"

typedef struct bench_cfg {
    int threads;
    int64_t batch, warmup, iters;
    double width;
    const char *models[8];
    int n_models;
    const char *modes[2];
    int n_modes;
    eip_nn_precision precision;
} bench_cfg;

/* Runs one (model, mode) and prints its JSON line; returns 0 on success. */
static int run_one(const bench_cfg *cfg, const char *model, const char *mode)
{
    eip_error err = {0};
    eip_nn_ctx ctx;
    eip_nn_net_t *net = NULL;
    const int train = !strcmp(mode, "train");
    eip_nn_arch a;
    memset(&a, 0, sizeof a);
    snprintf(a.zoo, sizeof a.zoo, "%s", model);
    const int digits = !strcmp(model, "smallcnn");
    a.c_in = digits ? 1 : 3;
    a.h = a.w = digits ? 28 : 32;
    a.k = 10;
    a.width = cfg->width;
    if (eip_nn_ctx_init(&ctx, cfg->threads, &err) != EIP_OK ||
        eip_nn_ctx_set_precision(&ctx, cfg->precision, &err) != EIP_OK ||
        eip_nn_net_zoo(&ctx, &a, &net, &err) != EIP_OK || eip_nn_init_params(net, 1, &err) != EIP_OK) {
        fprintf(stderr, "bench_nn %s %s: %s\n", model, mode, err.msg);
        return 1;
    }
    const int64_t b = cfg->batch, sample = a.c_in * a.h * a.w;
    float *x = malloc((size_t)(b * sample) * sizeof(float));      /* [B, C, H, W] */
    float *logits = malloc((size_t)(b * a.k) * sizeof(float));    /* [B, K] */
    float *dlogits = malloc((size_t)(b * a.k) * sizeof(float));   /* [B, K] */
    int32_t *y = malloc((size_t)b * sizeof(int32_t));             /* [B] */
    double *times = malloc((size_t)cfg->iters * sizeof(double));
    double *ctimes = malloc((size_t)cfg->iters * sizeof(double));
    if (!x || !logits || !dlogits || !y || !times || !ctimes) {
        fprintf(stderr, "bench_nn: out of memory\n");
        return 1;
    }
    bench_fill_pm1(x, b * sample); /* one fixed batch (data loading is not measured) */
    for (int64_t i = 0; i < b; i++)
        y[i] = (int32_t)(i % a.k);

    eip_train_optim_config oc = eip_train_optim_config_default(EIP_TRAIN_OPTIM_SGD);
    oc.momentum = 0.9;
    oc.nesterov = 1;
    oc.weight_decay = 5e-4;
    eip_train_optim_t *opt = NULL;
    int64_t np = 0;
    float *params = eip_nn_params(net, &np);
    float *grads = eip_nn_grads(net, NULL);
    if (train && eip_train_optim_init(&opt, &oc, np, &err) != EIP_OK) {
        fprintf(stderr, "bench_nn: %s\n", err.msg);
        return 1;
    }
    for (int64_t it = 0; it < cfg->warmup + cfg->iters; it++) {
        double t0 = bench_wall_s(), c0 = bench_cpu_s();
        eip_status s;
        if (train) {
            float loss;
            eip_nn_zero_grad(net);
            if ((s = eip_nn_forward(net, x, b, EIP_NN_TRAIN, logits, &err)) == EIP_OK &&
                (s = eip_train_loss_ce_hard(logits, y, b, a.k, &loss, dlogits, &err)) == EIP_OK &&
                (s = eip_nn_backward(net, dlogits, NULL, &err)) == EIP_OK &&
                (s = eip_train_optim_step(opt, 0.01, params, grads, NULL, &err)) == EIP_OK)
                eip_nn_mark_dirty(net);
        } else {
            s = eip_nn_forward(net, x, b, EIP_NN_EVAL, logits, &err);
        }
        if (s != EIP_OK) {
            fprintf(stderr, "bench_nn %s %s: %s\n", model, mode, err.msg);
            return 1;
        }
        if (it >= cfg->warmup) {
            times[it - cfg->warmup] = bench_wall_s() - t0;
            ctimes[it - cfg->warmup] = bench_cpu_s() - c0;
        }
    }
    const double med = bench_median(times, cfg->iters), cmed = bench_median(ctimes, cfg->iters);
    const double ips = (double)b / med;
    const double fwd_gflop = (double)eip_nn_forward_flops(net) / 1e9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"engine\":\"encryip\",\"model\":\"%s\",\"mode\":\"%s\",\"images_per_s\":%.2f,"
           "\"peak_rss_mb\":%.1f,\"gflops\":%.2f,\"input\":\"%lldx%lldx%lld\",\"k\":%lld,"
           "\"width\":%g,\"batch\":%lld,\"threads\":%d,\"ms_per_iter_median\":%.3f,"
           "\"ms_per_iter_min\":%.3f,\"ms_per_iter_max\":%.3f,\"cpu_ms_per_iter_median\":%.3f,\"iters\":%lld,\"warmup\":%lld,"
           "\"fwd_gflop_per_image\":%.4f,\"params\":%lld,\"precision\":\"%s\",\"isa\":\"%s\"}\n",
           model, mode, ips, (double)ru.ru_maxrss / 1024.0,
           ips * fwd_gflop * (train ? 3.0 : 1.0), (long long)a.c_in, (long long)a.h,
           (long long)a.w, (long long)a.k, cfg->width, (long long)b, ctx.threads, med * 1e3,
           times[0] * 1e3, times[cfg->iters - 1] * 1e3, cmed * 1e3, (long long)cfg->iters,
           (long long)cfg->warmup, fwd_gflop, (long long)np, eip_nn_precision_name(cfg->precision),
           eip_nn_cpu_isa());
    fflush(stdout);
    eip_train_optim_free(opt);
    eip_nn_net_free(net);
    eip_nn_ctx_free(&ctx);
    free(x);
    free(logits);
    free(dlogits);
    free(y);
    free(times);
    free(ctimes);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_nn [--threads T] [--batch B] [--warmup W] [--iters R] "
                    "[--width X] [--precision fp32|bf16] [--models M ...] [--modes train|infer ...]\n");
    return 2;
}

int main(int argc, char **argv)
{
    bench_cfg cfg = {2, 128, 3, 10, 1.0, {"smallcnn", "resnet18", "alexnet", "googlenet"}, 4,
                     {"train", "infer"}, 2, EIP_NN_FP32};
    eip_error err = {0};
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        int64_t v;
        if (!strcmp(f, "--models") || !strcmp(f, "--modes")) {
            int is_models = !strcmp(f, "--models"), n = 0;
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
                const char *m = argv[++i];
                if (is_models ? n >= 8 : n >= 2)
                    return usage();
                if (!is_models && strcmp(m, "train") && strcmp(m, "infer"))
                    return usage();
                if (is_models)
                    cfg.models[n++] = m;
                else
                    cfg.modes[n++] = m;
            }
            if (n == 0)
                return usage();
            if (is_models)
                cfg.n_models = n;
            else
                cfg.n_modes = n;
            continue;
        }
        if (i + 1 >= argc)
            return usage();
        const char *val = argv[++i];
        eip_status s = EIP_OK;
        if (!strcmp(f, "--threads") && (s = eip_parse_i64(f, val, 1, 256, &v, &err)) == EIP_OK)
            cfg.threads = (int)v;
        else if (!strcmp(f, "--batch") && (s = eip_parse_i64(f, val, 1, 4096, &v, &err)) == EIP_OK)
            cfg.batch = v;
        else if (!strcmp(f, "--warmup") && (s = eip_parse_i64(f, val, 0, 1000, &v, &err)) == EIP_OK)
            cfg.warmup = v;
        else if (!strcmp(f, "--iters") && (s = eip_parse_i64(f, val, 1, 10000, &v, &err)) == EIP_OK)
            cfg.iters = v;
        else if (!strcmp(f, "--width"))
            s = eip_parse_f64(f, val, 1.0 / 64, 4.0, &cfg.width, &err);
        else if (!strcmp(f, "--precision"))
            s = eip_nn_precision_parse(val, &cfg.precision, &err);
        else if (strcmp(f, "--threads") && strcmp(f, "--batch") && strcmp(f, "--warmup") &&
                 strcmp(f, "--iters"))
            return usage();
        if (s != EIP_OK) {
            fprintf(stderr, "bench_nn: %s\n", err.msg);
            return 2;
        }
    }
    if (cfg.precision == EIP_NN_BF16 && !eip_nn_bf16_supported()) {
        fprintf(stderr, "bench_nn: --precision bf16: this CPU has no AVX-512 bf16 (oneDNN ISA %s)\n",
                eip_nn_cpu_isa());
        return 2;
    }
    int rc = 0;
    for (int m = 0; m < cfg.n_models; m++)
        for (int d = 0; d < cfg.n_modes; d++) {
            fflush(stdout);
            pid_t pid = fork();
            if (pid < 0) {
                perror("bench_nn: fork");
                return 1;
            }
            if (pid == 0)
                _exit(run_one(&cfg, cfg.models[m], cfg.modes[d]));
            int status = 0;
            waitpid(pid, &status, 0);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "bench_nn: %s %s failed\n", cfg.models[m], cfg.modes[d]);
                rc = 1;
            }
        }
    return rc;
}
