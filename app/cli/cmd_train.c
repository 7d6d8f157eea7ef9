/* encryip train / encryip eval: the plain (unprotected) training engine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run_common.h"
#include "encryip/nn.h"
#include "encryip/train.h"

typedef struct eval_ctx {
    eip_nn_net_t *net;
    const eip_data_set *test;
    const float *mean, *std;
} eval_ctx;

static eip_status eval_plain(void *ctx, double *acc, eip_error *err)
{
    eval_ctx *e = ctx;
    return eip_train_evaluate(e->net, e->test, e->mean, e->std, 256, acc, err);
}

/* Flags shared by every command that trains (train, protect): they fill the
 * optimiser, schedule and loader settings. */
static eip_cli_opt train_opts[] = {
    {"model", "NAME", "zoo model: smallcnn, resnet18, alexnet, googlenet", false, NULL, false},
    {"config", "FILE", "architecture config file instead of --model", false, NULL, false},
    {"width", "W", "channel width multiplier (default 1)", false, NULL, false},
    {"dataset", "NAME", "fashion-mnist, mnist, cifar10, cifar100, gtsrb", true, NULL, false},
    {"data-dir", "DIR", "dataset directory (default: the installed location)", false, NULL, false},
    {"limit", "N", "use N training images (a fixed seeded random subset)", false, NULL, false},
    {"epochs", "E", "epochs (default 10)", false, NULL, false},
    {"batch", "B", "batch size (default 128)", false, NULL, false},
    {"optim", "NAME", "sgd (momentum 0.9, Nesterov) or adamw (default sgd)", false, NULL, false},
    {"lr", "LR", "peak learning rate (default 0.05 sgd, 0.001 adamw)", false, NULL, false},
    {"wd", "WD", "weight decay (default 5e-4 sgd, 0.01 adamw)", false, NULL, false},
    {"schedule", "NAME", "cosine, step (x0.1 at 50% and 75%) or const (default cosine)", false, NULL, false},
    {"warmup", "E", "linear warm-up epochs (default 1 if epochs > 2, else 0)", false, NULL, false},
    {"seed", "S", "seed for init, shuffling, dropout (default 1)", false, NULL, false},
    {"threads", "T", "oneDNN threads (default: all cores)", false, NULL, false},
    {"precision", "P", "fp32 or bf16 (mixed precision, needs AVX-512 bf16; else a warning and fp32) (default fp32)", false, NULL, false},
    {"csv", "FILE", "per-epoch CSV: epoch,train_loss,test_acc,seconds,lr", false, NULL, false},
    {"out", "FILE", "model file to write (safetensors)", true, NULL, false},
    {NULL, NULL, NULL, false, NULL, false},
};

int eip_cli_train(int argc, char **argv)
{
    const char *cmd = "train";
    eip_cli_opt *o = train_opts;
    int rc = eip_cli_parse(cmd, "--dataset NAME (--model NAME | --config FILE) --out FILE [options]",
                           o, argc, argv);
    if (rc >= 0)
        return rc;
    eip_cli_train_settings st;
    if (!eip_cli_train_settings_parse(cmd, o, &st))
        return EIP_EXIT_USAGE;

    eip_error err = {0};
    eip_status s;
    eip_data_set train = {0}, test = {0};
    eip_nn_ctx ctx = {0};
    eip_nn_net_t *net = NULL;
    eip_data_loader *loader = NULL;
    eip_train_history hist = {0};

    if ((s = eip_cli_dataset_load(eip_cli_get(o, "dataset"), eip_cli_get(o, "data-dir"), st.limit,
                                  &train, &test, &err)) != EIP_OK)
        return eip_cli_fail(cmd, s, &err);
    if ((s = eip_nn_ctx_init(&ctx, (int)st.threads, &err)) != EIP_OK)
        goto fail;
    if ((s = eip_cli_net_build(cmd, o, &ctx, &train, train.num_classes, st.width, &net, &err)) != EIP_OK)
        goto fail;
    if ((s = eip_nn_init_params(net, st.seed, &err)) != EIP_OK)
        goto fail;

    eip_data_loader_cfg lcfg;
    if ((s = eip_data_loader_cfg_default(&lcfg, &train, st.batch, st.seed, &err)) != EIP_OK ||
        (s = eip_data_loader_init(&loader, &train, &lcfg, &err)) != EIP_OK)
        goto fail;

    eip_train_config tc;
    eip_cli_progress prog;
    eip_cli_progress_init(&prog, cmd);
    eval_ctx ec = {net, &test, lcfg.mean, lcfg.std};
    eip_cli_train_config_fill(&st, eip_data_loader_num_batches(loader), &tc);
    tc.csv_path = eip_cli_get(o, "csv");
    tc.progress = eip_cli_progress_cb;
    tc.progress_ctx = &prog;
    tc.eval = eval_plain;
    tc.eval_ctx = &ec;
    eip_train_targets targets = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};

    fprintf(stderr, "train: %s, %lld images %dx%dx%d, %lld parameters, %lld epochs, batch %lld\n",
            train.name, (long long)train.n, train.c, train.h, train.w,
            (long long)eip_nn_param_count(net), (long long)st.epochs, (long long)st.batch);
    if ((s = eip_train_run(net, loader, &targets, &tc, &hist, &err)) != EIP_OK)
        goto fail;

    double acc = hist.epochs ? hist.test_acc[hist.epochs - 1] : -1.0;
    if ((s = eip_cli_model_save(net, eip_cli_get(o, "out"), &st, eip_cli_get(o, "dataset"), &lcfg,
                                acc, &err)) != EIP_OK)
        goto fail;
    printf("test accuracy %.4f (%s, %lld epochs); model written to %s\n", acc, test.name,
           (long long)st.epochs, eip_cli_get(o, "out"));
    rc = EIP_EXIT_OK;
    goto done;
fail:
    rc = eip_cli_fail(cmd, s, &err);
done:
    eip_train_history_free(&hist);
    eip_data_loader_free(loader);
    eip_nn_net_free(net);
    eip_nn_ctx_free(&ctx);
    eip_data_set_free(&train);
    eip_data_set_free(&test);
    return rc;
}

int eip_cli_eval(int argc, char **argv)
{
    const char *cmd = "eval";
    eip_cli_opt o[] = {
        {"model", "FILE", "model file written by `encryip train`", true, NULL, false},
        {"dataset", "NAME", "dataset (default: the one the model was trained on)", false, NULL, false},
        {"data-dir", "DIR", "dataset directory (default: the installed location)", false, NULL, false},
        {"threads", "T", "oneDNN threads (default: all cores)", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--model FILE [--dataset NAME]", o, argc, argv);
    if (rc >= 0)
        return rc;
    int64_t threads;
    if (!eip_cli_get_i64(cmd, o, "threads", 0, 0, 1024, &threads))
        return EIP_EXIT_USAGE;
    eip_error err = {0};
    eip_status s;
    eip_nn_ctx ctx = {0};
    eip_nn_net_t *net = NULL;
    eip_data_set train = {0}, test = {0};
    char dataset[64];
    const char *path = eip_cli_get(o, "model");
    float mean[EIP_DATA_MAX_CHANNELS], std[EIP_DATA_MAX_CHANNELS];

    if ((s = eip_cli_model_dataset(path, eip_cli_get(o, "dataset"), dataset, sizeof dataset, &err)) !=
            EIP_OK ||
        (s = eip_nn_ctx_init(&ctx, (int)threads, &err)) != EIP_OK ||
        (s = eip_nn_load(&ctx, path, &net, &err)) != EIP_OK ||
        (s = eip_cli_dataset_load(dataset, eip_cli_get(o, "data-dir"), 0, &train, &test, &err)) !=
            EIP_OK)
        goto fail;
    int64_t c, h, w;
    eip_nn_input_shape(net, &c, &h, &w);
    if ((s = eip_cli_model_norm(path, (int32_t)c, mean, std, &err)) != EIP_OK)
        goto fail;
    double acc = 0;
    if ((s = eip_train_evaluate(net, &test, mean, std, 256, &acc, &err)) != EIP_OK)
        goto fail;
    printf("%s: test accuracy %.4f on %lld images of %s\n", path, acc, (long long)test.n, test.name);
    rc = EIP_EXIT_OK;
    goto done;
fail:
    rc = eip_cli_fail(cmd, s, &err);
done:
    eip_nn_net_free(net);
    eip_nn_ctx_free(&ctx);
    eip_data_set_free(&train);
    eip_data_set_free(&test);
    return rc;
}
