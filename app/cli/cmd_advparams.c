/* encryip advparams encrypt / decrypt: AdvParams parameter encryption of a
 * trained model (docs/DESIGN.md "AdvParams", docs/CLI.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run_common.h"
#include "encryip/advparams.h"
#include "encryip/attack.h"
#include "encryip/ckpt.h"
#include "encryip/data.h"
#include "encryip/protect.h"
#include "experiment/experiment.h"
#include "encryip/util.h"

static void enc_progress(void *ctx, int64_t changed, const char *tensor, double acc)
{
    (void)ctx;
    fprintf(stderr, "advparams encrypt: %lld changed (%s), encryption-set accuracy %.4f\n", (long long)changed,
            tensor, acc);
}

int eip_cli_advparams_encrypt(int argc, char **argv)
{
    const char *cmd = "advparams encrypt";
    eip_cli_opt o[] = {
        {"model", "FILE", "trained model (safetensors written by `encryip train`)", true, NULL, false},
        {"data", "NAME", "dataset the encryption set is drawn from (its training split)", true, NULL, false},
        {"data-dir", "DIR", "dataset directory (default: the installed location)", false, NULL, false},
        {"out", "FILE", "encrypted model to write", true, NULL, false},
        {"key", "FILE", "secret key to write (0600)", true, NULL, false},
        {"budget", "N", "max parameters changed (default 25)", false, NULL, false},
        {"images", "N", "encryption-set size (default 256)", false, NULL, false},
        {"target-acc", "A", "stop at this encryption-set accuracy (default 1/classes + 0.05)", false, NULL, false},
        {"layers", "L", "candidate tensors: all, first, bn, last or a+b (default all)", false, NULL, false},
        {"trials", "T", "candidates tried per step (default 32)", false, NULL, false},
        {"reach", "R", "fraction of the way to the range bound, (0, 1] (default 1)", false, NULL, false},
        {"objective", "O", "candidate ranking: margin or loss (default margin)", false, NULL, false},
        {"seed", "S", "encryption-set draw (default 1)", false, NULL, false},
        {"test-limit", "N", "report test accuracy on the first N test images (default all)", false, NULL, false},
        {"threads", "T", "oneDNN threads (default: all cores)", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--model FILE --data NAME --out FILE --key FILE [options]", o, argc, argv);
    if (rc >= 0)
        return rc;
    int64_t budget, images, trials, seed, threads, test_limit;
    double target, reach;
    if (!eip_cli_get_i64(cmd, o, "budget", 25, 1, EIP_ADVPARAMS_MAX_ENTRIES, &budget) ||
        !eip_cli_get_i64(cmd, o, "images", 256, 1, 100000, &images) ||
        !eip_cli_get_i64(cmd, o, "trials", eip_advparams_config_default(0).trials, 1, 1000, &trials) ||
        !eip_cli_get_i64(cmd, o, "seed", 1, 0, INT64_MAX, &seed) ||
        !eip_cli_get_i64(cmd, o, "threads", 0, 0, 1024, &threads) ||
        !eip_cli_get_i64(cmd, o, "test-limit", 0, 0, INT64_MAX, &test_limit) ||
        !eip_cli_get_f64(cmd, o, "target-acc", -1.0, -1.0, 1.0, &target) ||
        !eip_cli_get_f64(cmd, o, "reach", 1.0, 1e-6, 1.0, &reach))
        return EIP_EXIT_USAGE;
    eip_error err = {0};
    eip_status s;
    eip_nn_ctx ctx = {0};
    eip_nn_net_t *net = NULL;
    eip_data_set train = {0}, test = {0}, enc = {0};
    eip_advparams_key key = {0};
    eip_advparams_result res = {0};
    float mean[EIP_DATA_MAX_CHANNELS], std[EIP_DATA_MAX_CHANNELS];
    const char *path = eip_cli_get(o, "model");
    int layers = EIP_ADVPARAMS_LAYERS_ALL;
    eip_advparams_objective objective = eip_advparams_config_default(0).objective;
    if ((eip_cli_get(o, "layers") &&
         (s = eip_advparams_layers_parse(eip_cli_get(o, "layers"), &layers, &err)) != EIP_OK) ||
        (eip_cli_get(o, "objective") &&
         (s = eip_advparams_objective_parse(eip_cli_get(o, "objective"), &objective, &err)) != EIP_OK))
        return eip_cli_fail(cmd, s, &err);
    if ((s = eip_nn_ctx_init(&ctx, (int)threads, &err)) != EIP_OK ||
        (s = eip_nn_load(&ctx, path, &net, &err)) != EIP_OK)
        goto fail;
    int64_t c, h, w;
    eip_nn_input_shape(net, &c, &h, &w);
    if ((s = eip_cli_model_norm(path, (int32_t)c, mean, std, &err)) != EIP_OK ||
        (s = eip_cli_dataset_load(eip_cli_get(o, "data"), eip_cli_get(o, "data-dir"), 0, &train, &test,
                                  &err)) != EIP_OK)
        goto fail;
    if (test_limit > 0 && test_limit < test.n) {
        eip_data_set sub = {0};
        if ((s = eip_data_set_subset_first(&test, test_limit, &sub, &err)) != EIP_OK)
            goto fail;
        eip_data_set_free(&test);
        test = sub;
    }
    double frac = (double)images / (double)train.n;
    if ((s = eip_data_set_subset_fraction(&train, frac > 1.0 ? 1.0 : frac, (uint64_t)seed, &enc, &err)) !=
        EIP_OK)
        goto fail;
    eip_advparams_config cfg = eip_advparams_config_default(train.num_classes);
    cfg.budget = budget;
    cfg.trials = trials;
    cfg.reach = reach;
    cfg.layers = layers;
    cfg.objective = objective;
    cfg.progress = enc_progress;
    if (target >= 0)
        cfg.target_acc = target;
    eip_train_targets hard = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    if ((s = eip_advparams_encrypt(net, &enc, mean, std, &hard, &cfg, &key, &res, &err)) != EIP_OK)
        goto fail;
    /* Key first: an encrypted model without its key would be lost. */
    /* The encrypted file is the input file with only the perturbed values
     * changed (same header and metadata). */
    if ((s = eip_advparams_key_write(&key, eip_cli_get(o, "key"), &err)) != EIP_OK ||
        (s = eip_advparams_file_apply(path, eip_cli_get(o, "out"), &key, 1, &err)) != EIP_OK)
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
           (long long)test.n, test.name, eip_cli_get(o, "out"), eip_cli_get(o, "key"));
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
    const char *cmd = "advparams decrypt";
    eip_cli_opt o[] = {
        {"model", "FILE", "encrypted model", true, NULL, false},
        {"key", "FILE", "secret key written by `advparams encrypt`", true, NULL, false},
        {"out", "FILE", "decrypted model to write", true, NULL, false},
        {"threads", "T", "oneDNN threads (default: all cores)", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--model FILE --key FILE --out FILE", o, argc, argv);
    if (rc >= 0)
        return rc;
    int64_t threads;
    if (!eip_cli_get_i64(cmd, o, "threads", 1, 0, 1024, &threads))
        return EIP_EXIT_USAGE;
    eip_error err = {0};
    eip_status s;
    eip_nn_ctx ctx = {0};
    eip_nn_net_t *net = NULL;
    eip_advparams_key key = {0};
    const char *path = eip_cli_get(o, "model");
    if ((s = refuse_protected(path, &err)) != EIP_OK)
        goto fail;
    if ((s = eip_advparams_key_read(eip_cli_get(o, "key"), &key, &err)) != EIP_OK ||
        (s = eip_nn_ctx_init(&ctx, (int)threads, &err)) != EIP_OK ||
        (s = eip_nn_load(&ctx, path, &net, &err)) != EIP_OK)
        goto fail;
    if ((s = eip_advparams_decrypt(net, &key, &err)) != EIP_OK) {
        eip_error_prefix(&err, "%s with key %s: ", path, eip_cli_get(o, "key"));
        goto fail;
    }
    /* The net passed both hash checks; the file gets the original bits back
     * in place, so it is the original file byte for byte. */
    if ((s = eip_advparams_file_apply(path, eip_cli_get(o, "out"), &key, 0, &err)) != EIP_OK)
        goto fail;
    printf("restored %lld parameters bit for bit (model hash verified); model written to %s\n",
           (long long)key.n, eip_cli_get(o, "out"));
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

/* encryip experiment advparams: the measurements of docs/RESULTS.md
 * "AdvParams" (app/experiment/advparams_*.c). */
int eip_cli_experiment_advparams(int argc, char **argv)
{
    const char *cmd = "experiment advparams";
    eip_cli_opt o[] = {
        {"dataset", "NAME", "fashion-mnist, mnist, cifar10, cifar100 or gtsrb (the last three need --data-dir) (default fashion-mnist)", false, NULL, false},
        {"data-dir", "DIR", "dataset directory (default: the installed location)", false, NULL, false},
        {"models", "LIST", "comma list of zoo models (default smallcnn,resnet18,alexnet,googlenet)", false, NULL, false},
        {"model", "FILE", "use this trained model instead of training (its zoo name must be in --models)", false, NULL, false},
        {"width", "W", "width of every model (default: smallcnn 1, resnet18 0.25, alexnet 0.5, googlenet 0.25)", false, NULL, false},
        {"epochs", "E", "base training epochs (default 3)", false, NULL, false},
        {"limit", "N", "base training images (default 10000, 0 = all)", false, NULL, false},
        {"test-limit", "N", "test images for every accuracy (default 2000, 0 = all)", false, NULL, false},
        {"images", "N", "encryption-set size (default 256)", false, NULL, false},
        {"budget", "N", "AdvParams parameter budget (default 25)", false, NULL, false},
        {"target-acc", "A", "stop at this encryption-set accuracy (default 1/classes + 0.05)", false, NULL, false},
        {"reach", "R", "fraction of the way to the range bound, (0, 1] (default 1)", false, NULL, false},
        {"trials", "T", "candidates tried per encryption step (default 32)", false, NULL, false},
        {"objective", "O", "encryption's candidate ranking: margin or loss (default margin)", false, NULL, false},
        {"ft-fractions", "LIST", "attacker data fractions (default 0.01,0.05,0.1; max 4)", false, NULL, false},
        {"ft-epochs", "E", "fine-tuning epochs (default 3; 0 skips fine-tuning)", false, NULL, false},
        {"no-attacks", NULL, "encryption only: skip the pruning, adaptive and fine-tuning attacks", false, NULL, false},
        {"seed", "S", "seed (default 1)", false, NULL, false},
        {"threads", "T", "oneDNN threads (default: all cores)", false, NULL, false},
        {"out", "DIR", "output directory (created if missing)", true, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--out DIR [options]", o, argc, argv);
    if (rc >= 0)
        return rc;
    eip_exp_advparams_config c = eip_exp_advparams_config_default();
    int64_t seed = 1;
    if (!eip_cli_get_f64(cmd, o, "width", 0.0, 0.0, 4.0, &c.width) ||
        !eip_cli_get_i64(cmd, o, "epochs", 3, 1, 1000, &c.epochs) ||
        !eip_cli_get_i64(cmd, o, "limit", 10000, 0, INT64_MAX, &c.train_limit) ||
        !eip_cli_get_i64(cmd, o, "test-limit", 2000, 0, INT64_MAX, &c.test_limit) ||
        !eip_cli_get_i64(cmd, o, "images", 256, 1, 100000, &c.enc_images) ||
        !eip_cli_get_i64(cmd, o, "budget", 25, 1, EIP_ADVPARAMS_MAX_ENTRIES, &c.budget) ||
        !eip_cli_get_f64(cmd, o, "target-acc", 0.0, 0.0, 1.0, &c.target_acc) ||
        !eip_cli_get_f64(cmd, o, "reach", 1.0, 1e-6, 1.0, &c.reach) ||
        !eip_cli_get_i64(cmd, o, "trials", c.trials, 1, 1000, &c.trials) ||
        !eip_cli_get_i64(cmd, o, "ft-epochs", 3, 0, 64, &c.ft_epochs) ||
        !eip_cli_get_i64(cmd, o, "seed", 1, 0, INT64_MAX, &seed) ||
        !eip_cli_get_i64(cmd, o, "threads", 0, 0, 1024, &c.threads))
        return EIP_EXIT_USAGE;
    c.seed = (uint64_t)seed;
    if (eip_cli_get(o, "dataset"))
        c.dataset = eip_cli_get(o, "dataset");
    if (eip_cli_get(o, "models"))
        c.models = eip_cli_get(o, "models");
    c.data_dir = eip_cli_get(o, "data-dir");
    c.model_file = eip_cli_get(o, "model");
    c.out_dir = eip_cli_get(o, "out");
    c.no_attacks = eip_cli_has(o, "no-attacks");
    eip_error err = {0};
    eip_status os;
    if (eip_cli_get(o, "objective") &&
        (os = eip_advparams_objective_parse(eip_cli_get(o, "objective"), &c.objective, &err)) != EIP_OK)
        return eip_cli_fail(cmd, os, &err);
    if (eip_cli_get(o, "ft-fractions")) {
        const char *p = eip_cli_get(o, "ft-fractions");
        memset(c.ft_fractions, 0, sizeof c.ft_fractions);
        for (int i = 0; *p; i++) {
            char tmp[32];
            size_t n = strcspn(p, ",");
            if (i >= 4 || n == 0 || n >= sizeof tmp) {
                fprintf(stderr, "encryip %s: error: --ft-fractions: '%s' is not 1..4 comma-separated fractions\n",
                        cmd, eip_cli_get(o, "ft-fractions"));
                return EIP_EXIT_USAGE;
            }
            memcpy(tmp, p, n);
            tmp[n] = '\0';
            eip_status s = eip_parse_f64("--ft-fractions", tmp, 1e-6, 1.0, &c.ft_fractions[i], &err);
            if (s != EIP_OK) {
                eip_cli_fail(cmd, s, &err);
                return EIP_EXIT_USAGE;
            }
            p += n + (p[n] == ',');
        }
    }
    eip_status ds = eip_data_name_check(c.dataset, c.data_dir, &err);
    if (ds != EIP_OK)
        return eip_cli_fail(cmd, ds, &err);
    if (mkdir(c.out_dir, 0755) != 0 && errno != EEXIST) {
        eip_error_set(&err, EIP_ERR_IO, "%s: cannot create the directory", c.out_dir);
        return eip_cli_fail(cmd, EIP_ERR_IO, &err);
    }
    c.log = stderr;
    eip_status s = eip_exp_advparams_run(&c, &err);
    if (s != EIP_OK)
        return eip_cli_fail(cmd, s, &err);
    printf("AdvParams experiment written to %s (summary.md, *.csv, *.png)\n", c.out_dir);
    return EIP_EXIT_OK;
}
