/* encryip train / encryip eval: the plain (unprotected) training engine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/groups.h"
#include "cli/run_common.h"
#include "encryip/nn.h"
#include "encryip/protect.h"
#include "encryip/train.h"


int eip_cli_train(int argc, char **argv)
{
    eip_cli_train_group tg;
    eip_cli_train_group_init(&tg);
    const char *out = NULL;
    eip_cli_opt o[] = {
        {.name = "out", .arg = "FILE", .str = &out, .required = true,
         .help = "model file to write (safetensors)"},
        {0},
    };
    const eip_cli_spec spec = {"train", "--dataset NAME (--model NAME | --config FILE) --out FILE [options]",
                               {tg.opts, o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    if (!eip_cli_train_group_finish(cmd, &tg))
        return EIP_EXIT_USAGE;
    eip_cli_train_settings st = tg.st;

    eip_error err = {0};
    eip_status s;
    eip_data_set train = {0}, test = {0};
    eip_nn_ctx ctx = {0};
    eip_nn_net_t *net = NULL;
    eip_train_fit_result fit = {0};

    if ((s = eip_cli_dataset_load(tg.dataset, tg.data_dir, st.limit,
                                  &train, &test, &err)) != EIP_OK)
        return eip_cli_fail(cmd, s, &err);
    if ((s = eip_nn_ctx_init(&ctx, (int)st.threads, &err)) != EIP_OK)
        goto fail;
    eip_cli_train_precision_apply(cmd, &tg, &ctx);
    if ((s = eip_cli_net_build(cmd, tg.model, tg.config, &ctx, &train, train.num_classes, st.width, &net, &err)) != EIP_OK)
        goto fail;

    eip_cli_progress prog;
    eip_cli_progress_init(&prog, cmd);
    eip_train_fit_config fc = {0};
    fc.train = &train;
    fc.test = &test;
    fc.recipe = eip_cli_train_recipe(&st);
    fc.batch = st.batch;
    fc.seed = st.seed;
    fc.init = 1;
    fc.progress = eip_cli_progress_cb;
    fc.progress_ctx = &prog;
    fc.csv_path = tg.csv;
    fprintf(stderr, "train: %s, %lld images %dx%dx%d, %lld parameters, %lld epochs, batch %lld\n",
            train.name, (long long)train.n, train.c, train.h, train.w,
            (long long)eip_nn_param_count(net), (long long)st.epochs, (long long)st.batch);
    if ((s = eip_train_fit(net, &fc, &fit, &err)) != EIP_OK)
        goto fail;

    eip_data_loader_cfg lcfg;
    memcpy(lcfg.mean, fit.mean, sizeof lcfg.mean);
    memcpy(lcfg.std, fit.std, sizeof lcfg.std);
    const double acc = fit.test_acc;
    if ((s = eip_cli_model_save(net, out, &st, tg.dataset, &lcfg,
                                acc, &err)) != EIP_OK)
        goto fail;
    printf("test accuracy %.4f (%s, %lld epochs); model written to %s\n", acc, test.name,
           (long long)st.epochs, out);
    rc = EIP_EXIT_OK;
    goto done;
fail:
    rc = eip_cli_fail(cmd, s, &err);
done:
    eip_train_fit_result_free(&fit);
    eip_nn_net_free(net);
    eip_nn_ctx_free(&ctx);
    eip_data_set_free(&train);
    eip_data_set_free(&test);
    return rc;
}

int eip_cli_eval(int argc, char **argv)
{
    const char *path = NULL, *dataset_given = NULL, *data_dir = NULL;
    int64_t threads = 0;
    eip_cli_opt o[] = {
        {.name = "model", .arg = "FILE", .str = &path, .required = true,
         .help = "model file written by `encryip train`"},
        {.name = "dataset", .arg = "NAME", .str = &dataset_given,
         .def_doc = "the one the model was trained on", .help = "dataset"},
        eip_cli_opt_data_dir(&data_dir),
        eip_cli_opt_threads(&threads),
        {0},
    };
    const eip_cli_spec spec = {"eval", "--model FILE [--dataset NAME] [options]", {o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s;
    eip_nn_ctx ctx = {0};
    eip_nn_net_t *net = NULL;
    eip_data_set train = {0}, test = {0};
    char dataset[64];
    float mean[EIP_DATA_MAX_CHANNELS], std[EIP_DATA_MAX_CHANNELS];

    /* a protected model's outputs are ciphertext encodings (Φ), not class
     * scores: "test accuracy 0.02" would be a meaningless success */
    {
        char ver[16];
        eip_error probe = {0};
        if (eip_nn_meta_get(path, EIP_PROTECT_META_VERSION, ver, sizeof ver, &probe) == EIP_OK) {
            eip_error_set(&err, EIP_ERR_FORMAT,
                          "%s: an EncryIP-protected model (its outputs are encrypted labels); "
                          "use `encryip classify --model DIR --key licensee-N.key` to measure it",
                          path);
            return eip_cli_fail(cmd, EIP_ERR_FORMAT, &err);
        }
    }
    if ((s = eip_cli_model_dataset(path, dataset_given, dataset, sizeof dataset, &err)) !=
            EIP_OK ||
        (s = eip_nn_ctx_init(&ctx, (int)threads, &err)) != EIP_OK ||
        (s = eip_nn_load(&ctx, path, &net, &err)) != EIP_OK ||
        (s = eip_cli_dataset_load(dataset, data_dir, 0, &train, &test, &err)) !=
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
