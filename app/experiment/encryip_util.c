/* EncryIP experiment driver: shared pieces (net building and the training
 * settings used identically by the original model and EncryIP, statistics,
 * atomic text files, gnuplot). */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "experiment/encryip_internal.h"
#include "encryip/util.h"

double eip_expe_now(void)
{
    return eip_clock_seconds();
}

eip_status eip_expe_build(void *ctx, int64_t k, eip_nn_net_t **net, eip_error *err)
{
    const eip_expe_train *t = ctx;
    return eip_nn_net_build(t->nn, t->model, NULL, t->width, t->c, t->h, t->w, k, net, err);
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

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress(void *ctx, const eip_train_progress *p)
{
    eip_expe_train *t = ctx;
    if (!p->epoch_done) { /* after every step: count steps 2..n of the epoch */
        const double now = cpu_now();
        if (p->step > 0) {
            t->cpu_s += now - t->cpu_mark;
            t->cpu_steps++;
        }
        t->cpu_mark = now;
    }
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

eip_train_recipe eip_expe_recipe(const eip_expe_train *t)
{
    eip_train_recipe r = eip_train_recipe_default(
        t->optim == EIP_TRAIN_OPTIM_ADAMW ? EIP_TRAIN_OPTIM_ADAMW : EIP_TRAIN_OPTIM_SGD);
    r.epochs = t->epochs;
    r.lr = t->lr;
    r.wd = t->wd;
    return r; /* cosine, automatic warm-up: the CLI's defaults */
}

/* The library's recipe (the CLI's train/protect use the same) with this
 * driver's progress lines. */
void eip_expe_trainconf(void *ctx, int64_t steps, eip_train_config *tc)
{
    const eip_expe_train *t = ctx;
    const eip_train_recipe r = eip_expe_recipe(t);
    eip_train_recipe_fill(&r, steps, tc);
    tc->progress = progress;
    tc->progress_ctx = (void *)t;
}

void eip_expe_fit_config(eip_train_fit_config *fc, eip_expe_train *tr, const eip_data_set *train)
{
    memset(fc, 0, sizeof *fc);
    fc->train = train;
    fc->trainconf = eip_expe_trainconf;
    fc->trainconf_ctx = tr;
    fc->batch = tr->batch;
    fc->seed = tr->seed;
    fc->init = 1;
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

const char *eip_exp_encryip_method_name(int method)
{
    switch (method) {
    case EIP_EXP_ENCRYIP_ORIGINAL: return "original";
    case EIP_EXP_ENCRYIP_PAPER: return "paper";
    case EIP_EXP_ENCRYIP_RISTRETTO: return "ristretto255";
    default: return "?";
    }
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
    eip_status s = eip_io_path_join(path, sizeof path, dir, name, err);
    if (s != EIP_OK)
        return s;
    if (t->oom)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    return eip_io_write_atomic(path, t->buf ? t->buf : "", t->len, EIP_IO_MODE_PUBLIC, err);
}

void eip_expe_text_free(eip_expe_text *t)
{
    free(t->buf);
    memset(t, 0, sizeof *t);
}

eip_status eip_expe_foreign_keys(const eip_crypto_pk_t *pk, int64_t n, eip_crypto_sk_t ***keys,
                                 int64_t *got, eip_error *err)
{
    *got = 0;
    *keys = calloc((size_t)(n > 0 ? n : 1), sizeof **keys);
    if (!*keys)
        return eip_error_set(err, EIP_ERR_NOMEM, "experiment: out of memory");
    eip_crypto_params prm = {eip_crypto_pk_group(pk), eip_crypto_pk_classes(pk), eip_crypto_pk_q(pk)};
    for (int64_t i = 0; i < n; i++) {
        eip_crypto_pk_t *pk2 = NULL;
        eip_crypto_master_t *m2 = NULL;
        eip_status s = eip_crypto_gen(&prm, 1, NULL, &pk2, &m2, err);
        if (!s)
            s = eip_crypto_master_sk(m2, 1, &(*keys)[i], err);
        eip_crypto_pk_free(pk2);
        eip_crypto_master_free(m2);
        if (s)
            return s;
        *got = i + 1;
    }
    return EIP_OK;
}
