/* fit: the loop every plain or EncryIP training run goes through (build
 * aside): init, loader with the training set's normalisation, the recipe,
 * eip_train_run with per-epoch evaluation, final test accuracy.  The order
 * of the seeded steps is fixed here, so every caller gets the same model
 * for the same seed. */
#include <string.h>

#include "encryip/train.h"

typedef struct plain_eval {
    eip_nn_net_t *net;
    const eip_data_set *set;
    const float *mean, *std;
} plain_eval;

static eip_status eval_plain(void *ctx, double *acc, eip_error *err)
{
    plain_eval *e = ctx;
    return eip_train_evaluate(e->net, e->set, e->mean, e->std, EIP_TRAIN_EVAL_BATCH, acc, err);
}

void eip_train_fit_result_free(eip_train_fit_result *r)
{
    eip_train_history_free(&r->history);
    memset(r, 0, sizeof *r);
    r->test_acc = -1;
}

eip_status eip_train_fit(eip_nn_net_t *net, const eip_train_fit_config *cfg,
                         eip_train_fit_result *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    out->test_acc = -1;
    if (!cfg->train)
        return eip_error_set(err, EIP_ERR_ARG, "fit: no training set");
    eip_data_loader *loader = NULL;
    eip_data_loader_cfg lcfg;
    eip_status s;
    if (cfg->init && (s = eip_nn_init_params(net, cfg->seed, err)) != EIP_OK)
        return s;
    if (cfg->loader)
        lcfg = *cfg->loader;
    else if ((s = eip_data_loader_cfg_default(&lcfg, cfg->train, cfg->batch > 0 ? cfg->batch : 128,
                                              cfg->seed, err)) != EIP_OK)
        return s;
    if ((s = eip_data_loader_init(&loader, cfg->train, &lcfg, err)) != EIP_OK)
        return s;
    memcpy(out->mean, lcfg.mean, sizeof out->mean);
    memcpy(out->std, lcfg.std, sizeof out->std);

    eip_train_config tc;
    const int64_t steps = eip_data_loader_num_batches(loader);
    if (cfg->trainconf)
        cfg->trainconf(cfg->trainconf_ctx, steps, &tc);
    else
        eip_train_recipe_fill(&cfg->recipe, steps, &tc);
    if (cfg->progress) {
        tc.progress = cfg->progress;
        tc.progress_ctx = cfg->progress_ctx;
    }
    if (cfg->csv_path)
        tc.csv_path = cfg->csv_path;
    const eip_data_set *evset = cfg->eval_set ? cfg->eval_set : cfg->test;
    plain_eval pe = {net, evset, lcfg.mean, lcfg.std};
    tc.eval = NULL;
    if (cfg->eval) {
        tc.eval = cfg->eval;
        tc.eval_ctx = cfg->eval_ctx;
    } else if (evset) {
        tc.eval = eval_plain;
        tc.eval_ctx = &pe;
    }
    if (cfg->step_hook) {
        tc.step_hook = cfg->step_hook;
        tc.step_hook_ctx = cfg->step_hook_ctx;
    }
    const eip_train_targets hard = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    s = eip_train_run(net, loader, cfg->targets ? cfg->targets : &hard, &tc, &out->history, err);
    eip_data_loader_free(loader);
    if (s != EIP_OK)
        return s;
    for (int64_t e = 0; e < out->history.epochs; e++)
        out->train_s += out->history.seconds[e];
    if (cfg->test && !cfg->eval && evset == cfg->test && out->history.epochs > 0)
        out->test_acc = out->history.test_acc[out->history.epochs - 1]; /* the same net, just measured */
    else if (cfg->test && !cfg->targets &&
             (s = eip_train_evaluate(net, cfg->test, lcfg.mean, lcfg.std, EIP_TRAIN_EVAL_BATCH,
                                     &out->test_acc, err)) != EIP_OK)
        eip_train_history_free(&out->history);
    return s;
}
