/* encryip advparams encrypt / decrypt: AdvParams parameter encryption of a
 * trained model (docs/DESIGN.md "AdvParams", docs/CLI.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/groups.h"
#include "cli/run_common.h"
#include "encryip/advparams.h"
#include "encryip/attack.h"
#include "encryip/ckpt.h"
#include "encryip/data.h"
#include "encryip/protect.h"
#include "encryip/util.h"

static void enc_progress(void *ctx, int64_t changed, const char *tensor, double acc)
{
    (void)ctx;
    fprintf(stderr, "advparams encrypt: %lld changed (%s), encryption-set accuracy %.4f\n", (long long)changed,
            tensor, acc);
}

int eip_cli_advparams_encrypt(int argc, char **argv)
{
    eip_cli_adv_group adv;
    eip_cli_adv_group_init(&adv, false,
                           EIP_CLI_ADV_BUDGET | EIP_CLI_ADV_IMAGES | EIP_CLI_ADV_TARGET | EIP_CLI_ADV_LAYERS |
                               EIP_CLI_ADV_TRIALS | EIP_CLI_ADV_REACH | EIP_CLI_ADV_OBJECTIVE);
    const char *path = NULL, *dataset = NULL, *data_dir = NULL, *out = NULL, *keypath = NULL;
    int64_t seed = 1, threads = 0, test_limit = 0;
    eip_cli_opt o[] = {
        {.name = "model", .arg = "FILE", .str = &path, .required = true,
         .help = "trained model (safetensors written by `encryip train`)"},
        {.name = "dataset", .arg = "NAME", .str = &dataset, .required = true, .alias = "data",
         .help = "dataset the encryption set is drawn from (its training split)"},
        eip_cli_opt_data_dir(&data_dir),
        {.name = "out", .arg = "FILE", .str = &out, .required = true, .help = "encrypted model to write"},
        {.name = "key", .arg = "FILE", .str = &keypath, .required = true, .help = "secret key to write (0600)"},
        {.name = "seed", .arg = "S", .i64 = &seed, .min = 0, .max = INT64_MAX, .def = "1",
         .help = "encryption-set draw"},
        {.name = "test-limit", .arg = "N", .i64 = &test_limit, .min = 0, .max = INT64_MAX, .def = "0",
         .def_doc = "0 = all", .help = "report test accuracy on the first N test images"},
        eip_cli_opt_threads(&threads),
        {0},
    };
    const eip_cli_spec spec = {"advparams encrypt", "--model FILE --dataset NAME --out FILE --key FILE [options]",
                               {o, adv.opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s;
    eip_nn_ctx ctx = {0};
    eip_nn_net_t *net = NULL;
    eip_data_set train = {0}, test = {0}, enc = {0};
    eip_advparams_key key = {0};
    eip_advparams_result res = {0};
    float mean[EIP_DATA_MAX_CHANNELS], std[EIP_DATA_MAX_CHANNELS];
    if ((s = eip_nn_ctx_init(&ctx, (int)threads, &err)) != EIP_OK ||
        (s = eip_nn_load(&ctx, path, &net, &err)) != EIP_OK)
        goto fail;
    int64_t c, h, w;
    eip_nn_input_shape(net, &c, &h, &w);
    if ((s = eip_cli_model_norm(path, (int32_t)c, mean, std, &err)) != EIP_OK ||
        (s = eip_cli_dataset_load(dataset, data_dir, 0, &train, &test,
                                  &err)) != EIP_OK)
        goto fail;
    if (test_limit > 0 && test_limit < test.n) {
        eip_data_set sub = {0};
        if ((s = eip_data_set_subset_first(&test, test_limit, &sub, &err)) != EIP_OK)
            goto fail;
        eip_data_set_free(&test);
        test = sub;
    }
    double frac = (double)adv.images / (double)train.n;
    if ((s = eip_data_set_subset_fraction(&train, frac > 1.0 ? 1.0 : frac, (uint64_t)seed, &enc, &err)) !=
        EIP_OK)
        goto fail;
    eip_advparams_config cfg = eip_advparams_config_default(train.num_classes);
    eip_cli_adv_group_apply(&adv, &cfg);
    cfg.progress = enc_progress;
    eip_train_targets hard = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    if ((s = eip_advparams_encrypt(net, &enc, mean, std, &hard, &cfg, &key, &res, &err)) != EIP_OK)
        goto fail;
    /* Key first: an encrypted model without its key would be lost. */
    /* The encrypted file is the input file with only the perturbed values
     * changed (same header and metadata). */
    if ((s = eip_advparams_key_write(&key, keypath, &err)) != EIP_OK ||
        (s = eip_advparams_file_apply(path, out, &key, 1, &err)) != EIP_OK)
        goto fail;
    double acc_b = 0, acc_a = 0;
    if ((s = eip_train_evaluate(net, &test, mean, std, 256, &acc_a, &err)) != EIP_OK ||
        (s = eip_advparams_decrypt(net, &key, &err)) != EIP_OK ||
        (s = eip_train_evaluate(net, &test, mean, std, 256, &acc_b, &err)) != EIP_OK)
        goto fail;
    printf("encrypted %lld of %lld parameters (%.6f%%); encryption-set accuracy %.4f -> %.4f%s\n",
           (long long)res.changed, (long long)res.n_params, 100.0 * (double)res.changed / (double)res.n_params,
           res.acc_before, res.acc_after, res.reached ? "" : " (target NOT reached: budget spent)");
    printf("test accuracy %.4f -> %.4f on %lld images of %s; model %s, key %s\n", acc_b, acc_a,
           (long long)test.n, test.name, out, keypath);
    rc = EIP_EXIT_OK;
    goto done;
fail:
    rc = eip_cli_fail(cmd, s, &err);
done:
    eip_advparams_key_free(&key);
    eip_advparams_result_free(&res);
    eip_nn_net_free(net);
    eip_nn_ctx_free(&ctx);
    eip_data_set_free(&train);
    eip_data_set_free(&test);
    eip_data_set_free(&enc);
    return rc;
}

/* The locked weights of a combined-protection bundle (protect --advparams)
 * are only ever unlocked in memory (docs/PROTECT.md "Combined protection"):
 * writing them out in plaintext would undo the protection of the file. */
static eip_status refuse_protected(const char *path, eip_error *err)
{
    eip_ckpt_reader_t *r = NULL;
    eip_status s = eip_ckpt_reader_open(&r, path, err);
    if (s)
        return s;
    if (eip_ckpt_reader_meta(r, EIP_PROTECT_META_ADVPARAMS))
        s = eip_error_set(err, EIP_ERR_STATE,
                          "%s is the AdvParams-locked model of an EncryIP bundle: its weights are "
                          "unlocked in memory only (predict/classify --weights-key), never written "
                          "out in plaintext", path);
    eip_ckpt_reader_free(r);
    return s;
}

int eip_cli_advparams_decrypt(int argc, char **argv)
{
    const char *path = NULL, *keypath = NULL, *out = NULL;
    int64_t threads = 1;
    eip_cli_opt o[] = {
        {.name = "model", .arg = "FILE", .str = &path, .required = true, .help = "encrypted model"},
        {.name = "key", .arg = "FILE", .str = &keypath, .required = true,
         .help = "secret key written by `advparams encrypt`"},
        {.name = "out", .arg = "FILE", .str = &out, .required = true, .help = "decrypted model to write"},
        eip_cli_opt_threads(&threads),
        {0},
    };
    const eip_cli_spec spec = {"advparams decrypt", "--model FILE --key FILE --out FILE [--threads T]", {o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s;
    eip_nn_ctx ctx = {0};
    eip_nn_net_t *net = NULL;
    eip_advparams_key key = {0};
    if ((s = refuse_protected(path, &err)) != EIP_OK)
        goto fail;
    if ((s = eip_advparams_key_read(keypath, &key, &err)) != EIP_OK ||
        (s = eip_nn_ctx_init(&ctx, (int)threads, &err)) != EIP_OK ||
        (s = eip_nn_load(&ctx, path, &net, &err)) != EIP_OK)
        goto fail;
    if ((s = eip_advparams_decrypt(net, &key, &err)) != EIP_OK) {
        eip_error_prefix(&err, "%s with key %s: ", path, keypath);
        goto fail;
    }
    /* The net passed both hash checks; the file gets the original bits back
     * in place, so it is the original file byte for byte. */
    if ((s = eip_advparams_file_apply(path, out, &key, 0, &err)) != EIP_OK)
        goto fail;
    printf("restored %lld parameters bit for bit (model hash verified); model written to %s\n",
           (long long)key.n, out);
    rc = EIP_EXIT_OK;
    goto done;
fail:
    rc = eip_cli_fail(cmd, s, &err);
done:
    eip_advparams_key_free(&key);
    eip_nn_net_free(net);
    eip_nn_ctx_free(&ctx);
    return rc;
}
