#include "cli/run_common.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>


void eip_cli_progress_init(eip_cli_progress *p, const char *label)
{
    p->label = label;
    p->fp = stderr;
    p->tty = isatty(fileno(stderr)) != 0;
}

static void fmt_eta(char *buf, size_t cap, double s)
{
    if (s < 0 || s > 1e7)
        snprintf(buf, cap, "?");
    else if (s >= 3600)
        snprintf(buf, cap, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else
        snprintf(buf, cap, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

void eip_cli_progress_cb(void *ctx, const eip_train_progress *p)
{
    eip_cli_progress *pr = ctx;
    char eta[32];
    fmt_eta(eta, sizeof eta, p->eta_s);
    if (p->epoch_done) {
        char acc[32] = "-";
        if (p->test_acc >= 0)
            snprintf(acc, sizeof acc, "%.4f", p->test_acc);
        fprintf(pr->fp, "%s%s: epoch %lld/%lld  loss %.4f  test acc %s  %.0f img/s  %.1fs  eta %s\n",
                pr->tty ? "\r\033[K" : "", pr->label, (long long)p->epoch + 1,
                (long long)p->epochs, p->loss, acc, p->images_per_s, p->epoch_s, eta);
        fflush(pr->fp);
        return;
    }
    if (!pr->tty)
        return;
    fprintf(pr->fp, "\r\033[K%s: epoch %lld/%lld  step %lld/%lld  loss %.4f  %.0f img/s  lr %.4g  eta %s",
            pr->label, (long long)p->epoch + 1, (long long)p->epochs, (long long)p->step + 1,
            (long long)p->steps, p->loss, p->images_per_s, p->lr, eta);
    fflush(pr->fp);
}

/* --limit N: the library's seeded subset (EIP_DATA_LIMIT_SEED), the same
 * images as `encryip experiment ... --limit N`. */
eip_status eip_cli_dataset_load(const char *name, const char *dir, int64_t limit,
                                eip_data_set *train, eip_data_set *test, eip_error *err)
{
    return eip_data_load_limited(name, dir, limit, train, test, err);
}

eip_status eip_cli_model_norm(const char *path, int32_t c, float *mean, float *std,
                              eip_error *err)
{
    return eip_nn_meta_norm_get(path, c, mean, std, err);
}

eip_train_recipe eip_cli_train_recipe(const eip_cli_train_settings *st)
{
    eip_train_recipe r = eip_train_recipe_default(
        strcmp(st->optim, "adamw") ? EIP_TRAIN_OPTIM_SGD : EIP_TRAIN_OPTIM_ADAMW);
    r.schedule = !strcmp(st->schedule, "step")    ? EIP_TRAIN_SCHED_STEP
                 : !strcmp(st->schedule, "const") ? EIP_TRAIN_SCHED_CONST
                                                  : EIP_TRAIN_SCHED_COSINE;
    r.epochs = st->epochs;
    r.warmup = st->warmup;
    r.lr = st->lr;
    r.wd = st->wd;
    return r;
}

void eip_cli_train_config_fill(const eip_cli_train_settings *st, int64_t steps, eip_train_config *tc)
{
    const eip_train_recipe r = eip_cli_train_recipe(st);
    eip_train_recipe_fill(&r, steps, tc);
}

eip_status eip_cli_net_build(const char *cmd, const char *model, const char *config, eip_nn_ctx *ctx,
                             const eip_data_set *train, int64_t k, double width,
                             eip_nn_net_t **net, eip_error *err)
{
    (void)cmd;
    return eip_nn_net_build(ctx, model, config, width, train->c,
                            train->h, train->w, k, net, err);
}

eip_status eip_cli_model_save(eip_nn_net_t *net, const char *path, const eip_cli_train_settings *st,
                              const char *dataset, const eip_data_loader_cfg *lcfg,
                              double test_acc, eip_error *err)
{
    char epochs[32], batch[32], lr[32], wd[32], seed[32], acc[32], warm[32];
    snprintf(epochs, sizeof epochs, "%lld", (long long)st->epochs);
    snprintf(batch, sizeof batch, "%lld", (long long)st->batch);
    snprintf(warm, sizeof warm, "%lld", (long long)st->warmup);
    snprintf(lr, sizeof lr, "%.9g", st->lr);
    snprintf(wd, sizeof wd, "%.9g", st->wd);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)st->seed);
    snprintf(acc, sizeof acc, "%.6f", test_acc);
    const eip_ckpt_meta meta[] = {
        {EIP_NN_META_TRAIN_DATASET, dataset}, {EIP_NN_META_TRAIN_EPOCHS, epochs},
        {EIP_NN_META_TRAIN_BATCH, batch},     {EIP_NN_META_TRAIN_OPTIM, st->optim},
        {EIP_NN_META_TRAIN_LR, lr},           {EIP_NN_META_TRAIN_WD, wd},
        {EIP_NN_META_TRAIN_SCHEDULE, st->schedule}, {EIP_NN_META_TRAIN_WARMUP, warm},
        {EIP_NN_META_TRAIN_SEED, seed},       {EIP_NN_META_TRAIN_TEST_ACC, acc},
    };
    return eip_nn_save_norm(net, path, lcfg->mean, lcfg->std, meta, sizeof meta / sizeof meta[0], err);
}

eip_status eip_cli_model_dataset(const char *path, const char *given, char *out, size_t cap,
                                 eip_error *err)
{
    if (given) {
        snprintf(out, cap, "%s", given);
        return EIP_OK;
    }
    eip_status s = eip_nn_meta_get(path, EIP_NN_META_TRAIN_DATASET, out, cap, err);
    if (s == EIP_ERR_FORMAT)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: no " EIP_NN_META_TRAIN_DATASET
                          " in the metadata; pass --dataset", path);
    return s;
}
