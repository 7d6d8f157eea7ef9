/* EncryIP Table 1 grid (paper section 5.1) and Figure 4 curves: every
 * (model, dataset, repeat) cell through eip_exp_encryip_run_cell, outputs
 * rewritten after each cell. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/encryip_internal.h"
#include "encryip/util.h"

eip_exp_encryip_recipe eip_exp_encryip_recipe_default(const char *model)
{
    /* widths: narrower nets hit oneDNN reference kernels (< 16 channels)
     * and run 10x slower here; googlenet's branches need 0.5 for that */
    if (!strcmp(model, "alexnet"))
        return (eip_exp_encryip_recipe){0.25, EIP_TRAIN_OPTIM_ADAMW, 30, 3e-3, 1e-2, 40};
    const double width = !strcmp(model, "googlenet") || !strcmp(model, "smallcnn") ? 0.5 : 0.25;
    return (eip_exp_encryip_recipe){width, EIP_TRAIN_OPTIM_SGD, 3, 0.05, 5e-4, 0};
}

void eip_exp_encryip_config_default(eip_exp_encryip_config *c)
{
    memset(c, 0, sizeof *c);
    static const char *const models[] = {"resnet18", "googlenet", "alexnet"};
    c->n_models = 3;
    for (int i = 0; i < 3; i++) {
        snprintf(c->models[i], sizeof c->models[i], "%s", models[i]);
        c->recipes[i] = eip_exp_encryip_recipe_default(models[i]);
    }
    c->n_datasets = 2;
    snprintf(c->datasets[0], sizeof c->datasets[0], "fashion-mnist");
    snprintf(c->datasets[1], sizeof c->datasets[1], "mnist");
    c->repeats = 3;
    c->batch = 128;
    c->limit = 6000;
    c->test_limit = 2000;
    c->threads = 2;
    c->licensees = 3;
    c->trials = 10;
    c->wrong_keys = 5;
    c->eval_limit = 1000;
    c->seed = 1;
    c->groups = 3;
    c->out.plots = 1;
}

/* Paper Table 1, MNIST column (the only dataset both share): original,
 * EncryIP, change %, verification, EncryIP_Incorrect. */
typedef struct paper_ref {
    const char *model;
    const char *orig, *enc, *change, *verif, *wrong;
} paper_ref;

static const paper_ref PAPER[] = {
    {"resnet18", "0.9936 ± 0.0014", "0.9930 ± 0.0006", "0.06%", "1.0", "0.0006 ± 0.0003"},
    {"googlenet", "0.9905 ± 0.0011", "0.9879 ± 0.0015", "0.84%", "1.0", "0.0216 ± 0.0403"},
    {"alexnet", "0.9914 ± 0.0006", "0.9923 ± 0.0010", "0.09%", "1.0", "0.0006 ± 0.0003"},
};

static const paper_ref *paper_ref_find(const char *model)
{
    for (size_t i = 0; i < sizeof PAPER / sizeof PAPER[0]; i++)
        if (!strcmp(PAPER[i].model, model))
            return &PAPER[i];
    return NULL;
}

/* Values of field `off` (a double member) over the done runs of a cell. */
static int64_t gather(const eip_exp_encryip_run *runs, int64_t n, const char *model,
                      const char *dataset, int method, size_t off, double *v)
{
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++) {
        const eip_exp_encryip_run *r = &runs[i];
        if (r->done && r->method == method && !strcmp(r->model, model) && !strcmp(r->dataset, dataset))
            v[c++] = *(const double *)((const char *)r + off);
    }
    return c;
}

#define FIELD(f) offsetof(eip_exp_encryip_run, f)

/* One markdown cell "mean ± std" of a field. */
static void cell(char *buf, size_t cap, const eip_exp_encryip_run *runs, int64_t n, const char *model,
                 const char *dataset, int method, size_t off, double *scratch)
{
    int64_t c = gather(runs, n, model, dataset, method, off, scratch);
    eip_expe_fmt_ms(buf, cap, scratch, c);
}

static double mean_of(const eip_exp_encryip_run *runs, int64_t n, const char *model,
                      const char *dataset, int method, size_t off, double *scratch)
{
    double m, s;
    int64_t c = gather(runs, n, model, dataset, method, off, scratch);
    eip_expe_mean_std(scratch, c, &m, &s, NULL);
    return m;
}

/* Table for one group (method): the paper's layout, rows per model. */
static void table_group(eip_expe_text *t, const eip_exp_encryip_config *cfg,
                        const eip_exp_encryip_run *runs, int64_t n, int method, double *sc)
{
    eip_expe_text_add(t, "| model | method |");
    for (int d = 0; d < cfg->n_datasets; d++)
        eip_expe_text_add(t, " %s |", cfg->datasets[d]);
    eip_expe_text_add(t, " paper, MNIST |\n|---|---|");
    for (int d = 0; d <= cfg->n_datasets; d++)
        eip_expe_text_add(t, "---|");
    eip_expe_text_add(t, "\n");
    for (int mi = 0; mi < cfg->n_models; mi++) {
        const char *mo = cfg->models[mi];
        const paper_ref *pr = paper_ref_find(mo);
        char b[96], b2[96];
        static const char *const rows[] = {"original", "EncryIP (ML)", "EncryIP (arg-max, eq. 3)",
                                           "EncryIP_Incorrect (ML)", "EncryIP_Incorrect (arg-max)"};
        for (int row = 0; row < 5; row++) {
            eip_expe_text_add(t, "| %s (w=%g) | %s |", mo, cfg->recipes[mi].width, rows[row]);
            for (int d = 0; d < cfg->n_datasets; d++) {
                const char *ds = cfg->datasets[d];
                if (row == 0) {
                    cell(b, sizeof b, runs, n, mo, ds, EIP_EXP_ENCRYIP_ORIGINAL, FIELD(acc), sc);
                    eip_expe_text_add(t, " %s |", b);
                } else if (row <= 2) {
                    const size_t fa = row == 1 ? FIELD(acc) : FIELD(acc_argmax);
                    const size_t fv = row == 1 ? FIELD(verif_ml) : FIELD(verif_argmax);
                    cell(b, sizeof b, runs, n, mo, ds, method, fa, sc);
                    double mo_ = mean_of(runs, n, mo, ds, EIP_EXP_ENCRYIP_ORIGINAL, FIELD(acc), sc);
                    double me = mean_of(runs, n, mo, ds, method, fa, sc);
                    double mv = mean_of(runs, n, mo, ds, method, fv, sc);
                    if (mo_ > 0 && me >= 0)
                        snprintf(b2, sizeof b2, " (%.2f%%, %.2f)", (mo_ - me) / mo_ * 100.0, mv);
                    else
                        b2[0] = '\0';
                    eip_expe_text_add(t, " %s%s |", b, b2);
                } else {
                    cell(b, sizeof b, runs, n, mo, ds, method,
                         row == 3 ? FIELD(wrong_ml) : FIELD(wrong_argmax), sc);
                    eip_expe_text_add(t, " %s |", b);
                }
            }
            if (!pr)
                eip_expe_text_add(t, " |\n");
            else if (row == 0)
                eip_expe_text_add(t, " %s |\n", pr->orig);
            else if (row == 1)
                eip_expe_text_add(t, " %s (%s, %s) |\n", pr->enc, pr->change, pr->verif);
            else if (row == 3)
                eip_expe_text_add(t, " %s |\n", pr->wrong);
            else
                eip_expe_text_add(t, " |\n");
        }
    }
}

/* Extra per-cell details of one group: model's own decoding, wrong-key
 * spread, equivalent wrong keys, false traces, memorisation, time. */
static void details_group(eip_expe_text *t, const eip_exp_encryip_config *cfg,
                          const eip_exp_encryip_run *runs, int64_t n, int method, double *sc)
{
    eip_expe_text_add(t, "\n| model | dataset | runs | own decoding (ML) | decoded to a verification "
                         "codeword | incorrect key min..max (ML) | no-label rate, incorrect key | "
                         "equivalent incorrect keys | wrong-key deployments named | verification "
                         "instances memorised | K | training s (original -> EncryIP) |\n"
                         "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int mi = 0; mi < cfg->n_models; mi++)
        for (int d = 0; d < cfg->n_datasets; d++) {
            const char *mo = cfg->models[mi], *ds = cfg->datasets[d];
            int64_t runs_n = gather(runs, n, mo, ds, method, FIELD(acc), sc);
            if (!runs_n)
                continue;
            char own[64], vs[64], nal[64], fn[64], mem[64];
            cell(own, sizeof own, runs, n, mo, ds, method, FIELD(own_ml), sc);
            cell(vs, sizeof vs, runs, n, mo, ds, method, FIELD(verif_slot), sc);
            cell(nal, sizeof nal, runs, n, mo, ds, method, FIELD(wrong_nal), sc);
            cell(fn, sizeof fn, runs, n, mo, ds, method, FIELD(false_named), sc);
            cell(mem, sizeof mem, runs, n, mo, ds, method, FIELD(memorised), sc);
            double lo = 2, hi = -1;
            int64_t eq = 0, keys = 0, k = 0;
            for (int64_t i = 0; i < n; i++) {
                const eip_exp_encryip_run *r = &runs[i];
                if (!r->done || r->method != method || strcmp(r->model, mo) || strcmp(r->dataset, ds))
                    continue;
                if (r->wrong_keys > 0) {
                    lo = r->wrong_min < lo ? r->wrong_min : lo;
                    hi = r->wrong_max > hi ? r->wrong_max : hi;
                }
                eq += r->wrong_equiv;
                keys += r->wrong_keys;
                k = r->k;
            }
            double to = mean_of(runs, n, mo, ds, EIP_EXP_ENCRYIP_ORIGINAL, FIELD(train_s), sc);
            double te = mean_of(runs, n, mo, ds, method, FIELD(train_s), sc);
            eip_expe_text_add(t, "| %s | %s | %lld | %s | %s | %.4f..%.4f | %s | %lld / %lld | %s | %s | "
                                 "%lld | %.0f -> %.0f (%.2fx) |\n",
                              mo, ds, (long long)runs_n, own, vs, lo, hi, nal, (long long)eq,
                              (long long)keys, fn, mem, (long long)k, to, te, to > 0 ? te / to : 0);
        }
}

static void header(eip_expe_text *t, const eip_exp_encryip_config *cfg, double wall_s, int64_t cells,
                   int64_t total)
{
    if (cfg->merged_from) {
        eip_expe_text_add(t, "Merged from the table1 runs in %s (`experiment table1 --merge`): the "
                             "scale, recipe and command of each are in its own table1.md. Models:",
                          cfg->merged_from);
        for (int i = 0; i < cfg->n_models; i++)
            eip_expe_text_add(t, "%s %s (width %g, %lld epochs)", i ? "," : "", cfg->models[i],
                              cfg->recipes[i].width, (long long)cfg->recipes[i].epochs);
        eip_expe_text_add(t, ". Cells done: %lld of %lld; sum of the runs' times %.0f s.\n",
                          (long long)cells, (long long)total, wall_s);
    } else {
        eip_expe_text_add(t, "Scale: models");
        for (int i = 0; i < cfg->n_models; i++) {
            const eip_exp_encryip_recipe *rc = &cfg->recipes[i];
            char reps[48] = "automatic";
            if (rc->verif_reps > 0)
                snprintf(reps, sizeof reps, "%lld", (long long)rc->verif_reps);
            eip_expe_text_add(t, "%s %s (width %g, %lld epochs, %s lr %g wd %g, verification replicas %s)",
                              i ? "," : "", cfg->models[i], rc->width, (long long)rc->epochs,
                              rc->optim == EIP_TRAIN_OPTIM_ADAMW ? "AdamW" : "SGD Nesterov", rc->lr,
                              rc->wd, reps);
        }
        eip_expe_text_add(t, "; %s; batch %lld, 1 warm-up epoch (when epochs > 2), cosine; %lld "
                             "training images (0 = all), %lld test images (0 = all; both seeded "
                             "random subsets); P = %lld licensees; %lld verification trials and "
                             "%lld incorrect keys per run; seeds %llu..%llu. Cells done: %lld of %lld; wall time %.0f s.\n",
                          cfg->precision == EIP_NN_BF16 ? "bf16 mixed precision" : "fp32",
                          (long long)cfg->batch, (long long)cfg->limit, (long long)cfg->test_limit, (long long)cfg->licensees,
                          (long long)cfg->trials, (long long)cfg->wrong_keys,
                          (unsigned long long)cfg->seed,
                          (unsigned long long)(cfg->seed + (uint64_t)cfg->repeats - 1), (long long)cells,
                          (long long)total, wall_s);
    }
    if (cfg->out.command)
        eip_expe_text_add(t, "\nCommand: `%s`\n", cfg->out.command);
    eip_expe_text_add(t, "\nCells: accuracy mean ± std over the repeats; EncryIP rows: (change %% = "
                         "(original - EncryIP) / original x 100, verification accuracy = trials "
                         "naming the leaking licensee / trials). Paper column: its Table 1, MNIST "
                         "(full-size models, 30 repeats).\n\n");
}

static eip_status write_csv(const eip_exp_encryip_config *cfg, const eip_exp_encryip_run *runs,
                            int64_t n, eip_error *err)
{
    eip_expe_text t = {0}, e = {0};
    eip_expe_text_add(&t, "model,width,dataset,repeat,seed,method,epochs,train_n,test_n,k,verif_n,"
                          "verif_reps,train_s,total_s,acc_ml,acc_argmax,own_ml,verif_slot,wrong_ml,"
                          "wrong_argmax,wrong_min,wrong_max,wrong_nal,wrong_keys,wrong_equiv,"
                          "verif_ml,verif_argmax,false_named,memorised\n");
    eip_expe_text_add(&e, "model,dataset,repeat,method,epoch,test_acc\n");
    for (int64_t i = 0; i < n; i++) {
        const eip_exp_encryip_run *r = &runs[i];
        if (!r->done)
            continue;
        eip_expe_text_add(&t, "%s,%g,%s,%lld,%llu,%s,%lld,%lld,%lld,%lld,%lld,%lld,%.3f,%.3f,%.6f,%.6f,"
                              "%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%lld,%lld,%.4f,%.4f,%.4f,%.4f\n",
                          r->model, r->width, r->dataset, (long long)r->repeat + 1,
                          (unsigned long long)r->seed, eip_exp_encryip_method_name(r->method),
                          (long long)r->epochs, (long long)r->train_n, (long long)r->test_n,
                          (long long)r->k, (long long)r->verif_n, (long long)r->verif_reps, r->train_s,
                          r->total_s, r->acc, r->acc_argmax, r->own_ml, r->verif_slot, r->wrong_ml,
                          r->wrong_argmax, r->wrong_min, r->wrong_max, r->wrong_nal,
                          (long long)r->wrong_keys, (long long)r->wrong_equiv, r->verif_ml,
                          r->verif_argmax, r->false_named, r->memorised);
        for (int64_t ep = 0; ep < r->epochs; ep++)
            eip_expe_text_add(&e, "%s,%s,%lld,%s,%lld,%.6f\n", r->model, r->dataset,
                              (long long)r->repeat + 1, eip_exp_encryip_method_name(r->method),
                              (long long)ep + 1, r->curve[ep]);
    }
    eip_status s = eip_expe_text_write(&t, cfg->out.dir, "table1.csv", err);
    if (!s)
        s = eip_expe_text_write(&e, cfg->out.dir, "epochs.csv", err);
    eip_expe_text_free(&t);
    eip_expe_text_free(&e);
    return s;
}

eip_status eip_exp_encryip_write(const eip_exp_encryip_config *cfg, const eip_exp_encryip_run *runs,
                                 int64_t n, double wall_s, eip_error *err)
{
    double *sc = malloc((size_t)(n > 0 ? n : 1) * sizeof *sc);
    if (!sc)
        return eip_error_set(err, EIP_ERR_NOMEM, "experiment: out of memory");
    int64_t cells = 0;
    for (int64_t i = 0; i < n; i++)
        cells += runs[i].done && runs[i].method == EIP_EXP_ENCRYIP_ORIGINAL;
    const int64_t total = (int64_t)cfg->n_models * cfg->n_datasets * cfg->repeats;
    eip_status s = write_csv(cfg, runs, n, err);
    eip_expe_text both = {0};
    eip_expe_text_add(&both, "# EncryIP Table 1 at this machine's scale: paper group and ristretto255\n\n");
    header(&both, cfg, wall_s, cells, total);
    for (int g = 0; g < 2 && !s; g++) {
        if (!(cfg->groups & (1 << g)))
            continue;
        const int method = g == 0 ? EIP_EXP_ENCRYIP_PAPER : EIP_EXP_ENCRYIP_RISTRETTO;
        eip_expe_text t = {0};
        eip_expe_text_add(&t, "# EncryIP Table 1, %s group\n\n", eip_exp_encryip_method_name(method));
        header(&t, cfg, wall_s, cells, total);
        table_group(&t, cfg, runs, n, method, sc);
        details_group(&t, cfg, runs, n, method, sc);
        eip_expe_text_add(&both, "## %s group\n\n", eip_exp_encryip_method_name(method));
        table_group(&both, cfg, runs, n, method, sc);
        eip_expe_text_add(&both, "\n");
        char name[64];
        snprintf(name, sizeof name, "table1_%s.md", eip_exp_encryip_method_name(method));
        s = eip_expe_text_write(&t, cfg->out.dir, name, err);
        eip_expe_text_free(&t);
    }
    /* side by side: one row per (model, dataset) */
    eip_expe_text_add(&both, "## Side by side (ML decoding)\n\n| model | dataset | original | EncryIP paper "
                             "(change %%, verif.) | EncryIP ristretto255 (change %%, verif.) | "
                             "incorrect key, paper | incorrect key, ristretto255 |\n"
                             "|---|---|---|---|---|---|---|\n");
    for (int mi = 0; mi < cfg->n_models && !s; mi++)
        for (int d = 0; d < cfg->n_datasets; d++) {
            const char *mo = cfg->models[mi], *ds = cfg->datasets[d];
            char o[64], c[2][64], w[2][64], ch[2][64];
            cell(o, sizeof o, runs, n, mo, ds, EIP_EXP_ENCRYIP_ORIGINAL, FIELD(acc), sc);
            const double mo_ = mean_of(runs, n, mo, ds, EIP_EXP_ENCRYIP_ORIGINAL, FIELD(acc), sc);
            for (int g = 0; g < 2; g++) {
                const int method = g == 0 ? EIP_EXP_ENCRYIP_PAPER : EIP_EXP_ENCRYIP_RISTRETTO;
                cell(c[g], sizeof c[g], runs, n, mo, ds, method, FIELD(acc), sc);
                cell(w[g], sizeof w[g], runs, n, mo, ds, method, FIELD(wrong_ml), sc);
                const double me = mean_of(runs, n, mo, ds, method, FIELD(acc), sc);
                const double mv = mean_of(runs, n, mo, ds, method, FIELD(verif_ml), sc);
                if (mo_ > 0 && me >= 0)
                    snprintf(ch[g], sizeof ch[g], " (%.2f%%, %.2f)", (mo_ - me) / mo_ * 100.0, mv);
                else
                    ch[g][0] = '\0';
            }
            eip_expe_text_add(&both, "| %s | %s | %s | %s%s | %s%s | %s | %s |\n", mo, ds, o, c[0],
                              ch[0], c[1], ch[1], w[0], w[1]);
        }
    if (!s)
        s = eip_expe_text_write(&both, cfg->out.dir, "table1.md", err);
    eip_expe_text_free(&both);
    free(sc);
    if (!s)
        s = eip_exp_encryip_curves(cfg->out.dir, cfg->out.plots, cfg->out.log, err);
    return s;
}

eip_status eip_exp_encryip_table1(const eip_exp_encryip_config *cfg, eip_error *err)
{
    if (cfg->n_models < 1 || cfg->n_datasets < 1 || cfg->repeats < 1 ||
        cfg->licensees < 1 || !cfg->out.dir)
        return eip_error_set(err, EIP_ERR_ARG, "experiment table1: models, datasets, repeats, "
                             "licensees and an output directory are required");
    for (int i = 0; i < cfg->n_models; i++)
        if (cfg->recipes[i].epochs < 1 || cfg->recipes[i].width <= 0 || cfg->recipes[i].lr <= 0 ||
            (cfg->recipes[i].optim != EIP_TRAIN_OPTIM_SGD && cfg->recipes[i].optim != EIP_TRAIN_OPTIM_ADAMW))
            return eip_error_set(err, EIP_ERR_ARG, "experiment table1: %s: invalid recipe (epochs >= 1, "
                                 "width > 0, lr > 0, optimiser sgd or adamw)", cfg->models[i]);
    const int64_t cells = (int64_t)cfg->n_models * cfg->n_datasets * cfg->repeats;
    eip_exp_encryip_run *runs = calloc((size_t)cells * EIP_EXP_ENCRYIP_METHODS, sizeof *runs);
    if (!runs)
        return eip_error_set(err, EIP_ERR_NOMEM, "experiment: out of memory");
    eip_nn_ctx nn = {0};
    eip_status s = eip_crypto_init(err);
    if (!s)
        s = eip_nn_ctx_init(&nn, (int)cfg->threads, err);
    if (!s && cfg->precision == EIP_NN_BF16) /* refused (not fp32) without bf16: the tables say bf16 */
        s = eip_nn_ctx_set_precision(&nn, EIP_NN_BF16, err);
    const double t0 = eip_expe_now();
    int64_t done = 0;
    for (int d = 0; d < cfg->n_datasets && !s; d++) {
        eip_data_set train = {0}, test = {0}, test_full = {0};
        if ((s = eip_data_load_limited(cfg->datasets[d], NULL, cfg->limit, &train, &test_full, err)))
            break;
        const int64_t nt = cfg->test_limit > 0 && cfg->test_limit < test_full.n ? cfg->test_limit
                                                                                 : test_full.n;
        s = eip_data_set_subset_random(&test_full, nt, 0x54455354ull /* "TEST" */, &test, err);
        eip_data_set_free(&test_full);
        if (cfg->out.log && !s)
            fprintf(cfg->out.log, "experiment table1: %s: %lld training, %lld test images\n",
                    cfg->datasets[d], (long long)train.n, (long long)test.n);
        for (int64_t r = 0; r < cfg->repeats && !s; r++)
            for (int mi = 0; mi < cfg->n_models && !s; mi++) {
                const int64_t idx = ((int64_t)d * cfg->repeats + r) * cfg->n_models + mi;
                if (cfg->out.log) {
                    const double el = eip_expe_now() - t0;
                    fprintf(cfg->out.log, "experiment table1: cell %lld/%lld: %s (w=%g) on %s, repeat "
                                      "%lld, seed %llu; elapsed %.0f s\n",
                            (long long)done + 1, (long long)cells, cfg->models[mi], cfg->recipes[mi].width,
                            cfg->datasets[d], (long long)r + 1,
                            (unsigned long long)(cfg->seed + (uint64_t)r), el);
                    if (done)
                        fprintf(cfg->out.log, "  (eta ~%.0f s at the mean cell time so far)\n",
                                el / (double)done * (double)(cells - done));
                    fflush(cfg->out.log);
                }
                s = eip_exp_encryip_run_cell(cfg, &nn, cfg->models[mi], &cfg->recipes[mi], &train, &test,
                                             cfg->datasets[d], r, t0,
                                             &runs[idx * EIP_EXP_ENCRYIP_METHODS], err);
                if (!s) {
                    done++;
                    s = eip_exp_encryip_write(cfg, runs, cells * EIP_EXP_ENCRYIP_METHODS,
                                              eip_expe_now() - t0, err);
                }
            }
        eip_data_set_free(&train);
        eip_data_set_free(&test);
    }
    if (cfg->out.log && !s)
        fprintf(cfg->out.log, "experiment table1: %lld cells in %.0f s; outputs in %s\n", (long long)done,
                eip_expe_now() - t0, cfg->out.dir);
    for (int64_t i = 0; i < cells * EIP_EXP_ENCRYIP_METHODS; i++)
        eip_exp_encryip_run_free(&runs[i]);
    free(runs);
    eip_nn_ctx_free(&nn);
    return s;
}
