/* AdvParams measurements (docs/RESULTS.md "AdvParams"): per model, accuracy
 * before / after encryption / after decryption, fine-tuning (vs from
 * scratch on the same data), magnitude pruning and the adaptive attack.
 *
 * Shape legend: P parameters, Bf float buffers, Bc counters. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encryip/advparams.h"
#include "encryip/attack.h"
#include "encryip/ckpt.h"
#include "experiment/experiment.h"
#include "experiment/advparams_internal.h"
#include "encryip/util.h"

eip_exp_advparams_config eip_exp_advparams_config_default(void)
{
    eip_exp_advparams_config c;
    memset(&c, 0, sizeof c);
    c.dataset = "fashion-mnist";
    c.models = "smallcnn,resnet18,alexnet,googlenet";
    c.train_limit = 10000;
    c.epochs = 3;
    c.test_limit = 2000;
    c.enc_images = 256;
    c.budget = 25;
    c.reach = 1.0;
    const eip_advparams_config lib = eip_advparams_config_default(10);
    c.trials = lib.trials;
    c.objective = lib.objective;
    c.ft_fractions[0] = 0.01;
    c.ft_fractions[1] = 0.05;
    c.ft_fractions[2] = 0.10;
    c.ft_epochs = 3;
    c.seed = 1;
    return c;
}

/* Default widths: small enough for a 2-core machine (docs/RESULTS.md). */
static double default_width(const char *zoo)
{
    if (!strcmp(zoo, "resnet18") || !strcmp(zoo, "googlenet"))
        return 0.25;
    if (!strcmp(zoo, "alexnet"))
        return 0.5;
    return 1.0;
}

/* Trains the base model (AdamW, cosine) or loads cfg->model_file. */
static eip_status base_model(exp_ctx *e, const char *zoo, double width, eip_nn_net_t **net,
                             eip_error *err)
{
    const eip_exp_advparams_config *cfg = e->cfg;
    eip_status s;
    if (cfg->model_file) {
        if ((s = eip_nn_load(&e->nn, cfg->model_file, net, err)) != EIP_OK)
            return s;
        /* The model's own normalisation (one value per input channel). */
        int64_t c, h, w;
        eip_nn_input_shape(*net, &c, &h, &w);
        if (eip_nn_output_size(*net) != e->train.num_classes)
            s = eip_error_set(err, EIP_ERR_SHAPE, "%s: outputs %lld values, %s has %d classes", cfg->model_file,
                              (long long)eip_nn_output_size(*net), cfg->dataset, (int)e->train.num_classes);
        else if (c != e->c || h != e->train.h || w != e->train.w)
            s = eip_error_set(err, EIP_ERR_SHAPE, "%s: takes %lldx%lldx%lld inputs, %s has %dx%dx%d",
                              cfg->model_file, (long long)c, (long long)h, (long long)w, cfg->dataset,
                              (int)e->c, (int)e->train.h, (int)e->train.w);
        else
            s = eip_nn_meta_norm_get(cfg->model_file, e->c, e->mean, e->std, err);
        return s;
    }
    eip_data_loader_cfg lc;
    if ((s = eip_nn_net_build(&e->nn, zoo, NULL, width, e->train.c, e->train.h, e->train.w,
                              e->train.num_classes, net, err)) != EIP_OK ||
        (s = eip_data_loader_cfg_default(&lc, &e->train, 64, cfg->seed, err)) != EIP_OK)
        return s;
    for (int32_t ch = 0; ch < e->c; ch++) {
        lc.mean[ch] = e->mean[ch];
        lc.std[ch] = e->std[ch];
    }
    /* AdamW lr 2e-3 wd 5e-4, cosine without warm-up (the AdvParams paper's
     * base models are trained to convergence; this is the short version) */
    eip_train_fit_config fc = {0};
    fc.train = &e->train;
    fc.loader = &lc;
    fc.recipe = eip_train_recipe_default(EIP_TRAIN_OPTIM_ADAMW);
    fc.recipe.epochs = cfg->epochs;
    fc.recipe.warmup = 0;
    fc.recipe.lr = 2e-3;
    fc.recipe.wd = 5e-4;
    fc.seed = cfg->seed;
    fc.init = 1;
    e->cur = *net;
    fc.eval = eip_exp_adv_eval_test;
    fc.eval_ctx = e;
    eip_train_fit_result fit;
    s = eip_train_fit(*net, &fc, &fit, err);
    for (int64_t i = 0; s == EIP_OK && i < fit.history.epochs; i++)
        eip_exp_adv_log(e, "  %s: epoch %lld/%lld test acc %.4f (%.0fs)\n", zoo, (long long)i + 1,
              (long long)cfg->epochs, fit.history.test_acc[i], fit.history.seconds[i]);
    eip_train_fit_result_free(&fit);
    return s;
}

static eip_status save_model(exp_ctx *e, eip_nn_net_t *net, const char *path, eip_error *err)
{
    const eip_ckpt_meta meta[] = {{EIP_NN_META_TRAIN_DATASET, e->cfg->dataset}};
    return eip_nn_save_norm(net, path, e->mean, e->std, meta, 1, err);
}

static void enc_progress(void *ctx, int64_t changed, const char *tensor, double acc)
{
    eip_exp_adv_log(ctx, "    %lld changed (%s): encryption-set accuracy %.4f\n", (long long)changed, tensor, acc);
}

static eip_status run_model(exp_ctx *e, const char *zoo, double width, eip_error *err)
{
    const eip_exp_advparams_config *cfg = e->cfg;
    eip_nn_net_t *net = NULL;
    snapshot orig = {0}, enc = {0};
    eip_advparams_key key = {0};
    eip_advparams_result res = {0};
    eip_data_set encset = {0};
    char path[1024], kpath[1024];
    double t0 = eip_clock_seconds(), t_train, t_enc, t_prune, t_adapt, t_ft;
    eip_status s;
    if (cfg->model_file)
        eip_exp_adv_log(e, "%s (width %g): trained model %s\n", zoo, width, cfg->model_file);
    else
        eip_exp_adv_log(e, "%s (width %g): training on %lld images for %lld epochs\n", zoo, width,
                        (long long)e->train.n, (long long)cfg->epochs);
    if ((s = base_model(e, zoo, width, &net, err)) != EIP_OK)
        goto done;
    t_train = eip_clock_seconds() - t0;
    if ((s = eip_exp_adv_path_join(path, sizeof path, cfg->out.dir, zoo, ".st", err)) != EIP_OK ||
        (s = save_model(e, net, path, err)) != EIP_OK || (s = eip_exp_adv_snap_take(net, &orig, err)) != EIP_OK)
        goto done;
    double acc0 = 0, acc_enc = 0, acc_dec = 0;
    e->cur = net;
    if ((s = eip_exp_adv_eval_test(e, &acc0, err)) != EIP_OK)
        goto done;
    /* Encryption. */
    t0 = eip_clock_seconds();
    double frac = (double)cfg->enc_images / (double)e->train.n;
    eip_advparams_config ac = eip_advparams_config_default(e->train.num_classes);
    ac.budget = cfg->budget;
    ac.reach = cfg->reach;
    ac.trials = cfg->trials;
    ac.objective = cfg->objective;
    if (cfg->target_acc > 0)
        ac.target_acc = cfg->target_acc;
    ac.progress = enc_progress;
    ac.progress_ctx = e;
    eip_train_targets hard = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    if ((s = eip_data_set_subset_fraction(&e->train, frac > 1 ? 1 : frac, cfg->seed + 1, &encset, err)) !=
            EIP_OK ||
        (s = eip_advparams_encrypt(net, &encset, e->mean, e->std, &hard, &ac, &key, &res, err)) != EIP_OK)
        goto done;
    t_enc = eip_clock_seconds() - t0;
    if ((s = eip_exp_adv_eval_test(e, &acc_enc, err)) != EIP_OK || (s = eip_exp_adv_snap_take(net, &enc, err)) != EIP_OK ||
        (s = eip_exp_adv_path_join(path, sizeof path, cfg->out.dir, zoo, ".enc.st", err)) != EIP_OK ||
        (s = save_model(e, net, path, err)) != EIP_OK ||
        (s = eip_exp_adv_path_join(kpath, sizeof kpath, cfg->out.dir, zoo, ".key", err)) != EIP_OK ||
        (s = eip_advparams_key_write(&key, kpath, err)) != EIP_OK ||
        (s = eip_advparams_decrypt(net, &key, err)) != EIP_OK || (s = eip_exp_adv_eval_test(e, &acc_dec, err)) != EIP_OK)
        goto done;
    const int exact = eip_exp_adv_snap_equal(net, &orig);
    eip_exp_adv_log(e, "  %s: %lld params changed (%.6f%%): test acc %.4f -> %.4f, decrypted %.4f (%s), %.0fs\n", zoo,
          (long long)res.changed, 100.0 * (double)res.changed / (double)res.n_params, acc0, acc_enc, acc_dec,
          exact ? "bit-exact" : "NOT EXACT", t_enc);
    if ((s = eip_exp_table_rowf(e->t_enc, err, "%s\t%g\t%s\t%lld\t%lld\t%.6f\t%.4f\t%.4f\t%.4f\t%.2f\t%s\t%s\t%.0f",
                                zoo, width, cfg->dataset, (long long)res.n_params, (long long)res.changed,
                                100.0 * (double)res.changed / (double)res.n_params, acc0, acc_enc, acc_dec,
                                100.0 * (acc0 - acc_enc), exact ? "yes" : "NO", res.reached ? "yes" : "no",
                                t_enc)) != EIP_OK ||
        (s = eip_exp_adv_plot_curve(e, zoo, &res, err)) != EIP_OK)
        goto done;
    /* Pruning, adaptive attack, fine-tuning (slowest last). */
    if (cfg->no_attacks) {
        s = eip_exp_table_rowf(e->t_time, err, "%s\t%.0f\t%.0f\t-\t-\t-", zoo, t_train, t_enc);
        goto done;
    }
    t0 = eip_clock_seconds();
    if ((s = eip_exp_adv_phase_prune(e, net, zoo, &orig, &enc, err)) != EIP_OK)
        goto done;
    t_prune = eip_clock_seconds() - t0;
    t0 = eip_clock_seconds();
    if ((s = eip_exp_adv_phase_adaptive(e, net, zoo, &enc, &key, acc_enc, err)) != EIP_OK)
        goto done;
    t_adapt = eip_clock_seconds() - t0;
    t0 = eip_clock_seconds();
    if ((s = eip_exp_adv_phase_finetune(e, net, zoo, &enc, acc_enc, err)) != EIP_OK)
        goto done;
    t_ft = eip_clock_seconds() - t0;
    s = eip_exp_table_rowf(e->t_time, err, "%s\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f", zoo, t_train, t_enc, t_prune,
                           t_adapt, t_ft);
done:
    if (s != EIP_OK)
        eip_error_prefix(err, "%s: ", zoo);
    eip_advparams_key_free(&key);
    eip_advparams_result_free(&res);
    eip_data_set_free(&encset);
    eip_exp_adv_snap_free(&orig);
    eip_exp_adv_snap_free(&enc);
    eip_nn_net_free(net);
    return s;
}

eip_status eip_exp_advparams_run(const eip_exp_advparams_config *cfg, eip_error *err)
{
    exp_ctx e;
    memset(&e, 0, sizeof e);
    e.cfg = cfg;
    eip_status s;
    static const char *const c_enc[] = {"model", "width", "dataset", "params", "changed", "changed %",
                                        "acc before", "acc encrypted", "acc decrypted", "drop (points)",
                                        "bit-exact", "target reached", "encrypt s"};
    static const char *const c_ft[] = {"model", "fraction", "images", "epochs", "acc encrypted",
                                       "acc fine-tuned", "acc from scratch", "head start (points)"};
    static const char *const c_pr[] = {"model", "ratio", "acc encrypted+pruned", "acc original+pruned"};
    static const char *const c_ad[] = {"model", "score", "budget", "acc after reset", "recovered (points)",
                                       "key params found"};
    static const char *const c_tm[] = {"model", "train s", "encrypt s", "prune s", "adaptive s", "finetune s"};
    if ((s = eip_exp_table_init(&e.t_enc, c_enc, 13, err)) != EIP_OK ||
        (s = eip_exp_table_init(&e.t_ft, c_ft, 8, err)) != EIP_OK ||
        (s = eip_exp_table_init(&e.t_prune, c_pr, 4, err)) != EIP_OK ||
        (s = eip_exp_table_init(&e.t_adapt, c_ad, 6, err)) != EIP_OK ||
        (s = eip_exp_table_init(&e.t_time, c_tm, 6, err)) != EIP_OK ||
        (s = eip_nn_ctx_init(&e.nn, (int)cfg->threads, err)) != EIP_OK ||
        (cfg->precision == EIP_NN_BF16 && (s = eip_nn_ctx_set_precision(&e.nn, EIP_NN_BF16, err)) != EIP_OK) ||
        (s = eip_data_load_by_name(cfg->dataset, cfg->data_dir, &e.train_full, &e.test, err)) != EIP_OK)
        goto done;
    /* --limit N: the same N images as `encryip train --limit N` */
    if ((s = eip_data_set_subset_random(&e.train_full, cfg->train_limit, EIP_DATA_LIMIT_SEED, &e.train,
                                        err)) != EIP_OK)
        goto done;
    e.c = e.train.c;
    double m[EIP_DATA_MAX_CHANNELS], sd[EIP_DATA_MAX_CHANNELS];
    if ((s = eip_data_set_channel_stats(&e.train_full, m, sd, err)) != EIP_OK)
        goto done;
    for (int32_t ch = 0; ch < e.c; ch++) {
        e.mean[ch] = (float)m[ch];
        e.std[ch] = (float)sd[ch];
    }
    if (cfg->test_limit > 0 && cfg->test_limit < e.test.n) {
        eip_data_set sub = {0};
        if ((s = eip_data_set_subset_first(&e.test, cfg->test_limit, &sub, err)) != EIP_OK)
            goto done;
        eip_data_set_free(&e.test);
        e.test = sub;
    }
    const char *p = cfg->models;
    while (*p) {
        char zoo[32];
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof zoo) {
            s = eip_error_set(err, EIP_ERR_ARG, "models '%s': bad list", cfg->models);
            goto done;
        }
        memcpy(zoo, p, n);
        zoo[n] = '\0';
        p += n + (p[n] == ',');
        if ((s = run_model(&e, zoo, cfg->width > 0 ? cfg->width : default_width(zoo), err)) != EIP_OK ||
            (s = eip_exp_adv_write_tables(&e, err)) != EIP_OK)
            goto done;
        if (cfg->model_file)
            break;
    }
done:
    eip_exp_table_free(e.t_enc);
    eip_exp_table_free(e.t_ft);
    eip_exp_table_free(e.t_prune);
    eip_exp_table_free(e.t_adapt);
    eip_exp_table_free(e.t_time);
    eip_data_set_free(&e.train_full);
    eip_data_set_free(&e.train);
    eip_data_set_free(&e.test);
    eip_nn_ctx_free(&e.nn);
    return s;
}
