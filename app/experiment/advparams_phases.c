/* AdvParams experiment phases: the attacks on the encrypted model, their
 * plots, and the tables (docs/RESULTS.md "AdvParams").
 *
 * Shape legend: P parameters (flat block). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/attack.h"
#include "experiment/advparams_internal.h"
#include "encryip/util.h"

static const double prune_ratios[] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
#define N_PRUNE 9
static const int64_t adapt_budgets[] = {1, 3, 10, 30, 100, 300, 1000};
#define N_BUDGETS 7

static eip_status png(exp_ctx *e, const char *zoo, const char *what, const char *title,
                      const char *xl, const char *yl, int logx, const eip_exp_series *ser, int n,
                      eip_error *err)
{
    char path[1024], name[128];
    snprintf(name, sizeof name, "%s_%s", what, zoo);
    eip_status s = eip_exp_adv_path_join(path, sizeof path, e->cfg->out.dir, name, ".png", err);
    if (s != EIP_OK)
        return s;
    /* The scale in a subtitle (issue 17 item 7): every PNG says what it was measured on. */
    char sub[256], wbuf[32] = "per-model default";
    const eip_exp_advparams_config *c = e->cfg;
    if (c->width > 0)
        snprintf(wbuf, sizeof wbuf, "%g", c->width);
    char tr[32] = "all", te[32] = "all";
    if (c->train_limit > 0)
        snprintf(tr, sizeof tr, "%lld", (long long)c->train_limit);
    if (c->test_limit > 0)
        snprintf(te, sizeof te, "%lld", (long long)c->test_limit);
    snprintf(sub, sizeof sub, "width %s; base model: %s training images, %lld epochs; %s test images; seed %llu",
             wbuf, tr, (long long)c->epochs, te, (unsigned long long)c->seed);
    const int counts = !logx && (!strcmp(xl, "epoch") || !strcmp(xl, "parameters changed"));
    eip_exp_plot p = {.png_path = path, .title = title, .xlabel = xl, .ylabel = yl, .logx = logx,
                      .ymin = 0.0, .ymax = 1.0, .n_series = n, .series = ser, .subtitle = sub,
                      .x_integer = counts};
    s = eip_exp_plot_lines(&p, err);
    if (s == EIP_ERR_IO) { /* no gnuplot: the tables still count */
        eip_exp_adv_log(e, "  warning: %s\n", err->msg);
        s = EIP_OK;
    }
    return s;
}

eip_status eip_exp_adv_plot_curve(exp_ctx *e, const char *zoo, const eip_advparams_result *r,
                                  eip_error *err)
{
    double x[EIP_ADVPARAMS_MAX_ENTRIES + 1];
    const int64_t n = r->changed + 1 <= EIP_ADVPARAMS_MAX_ENTRIES ? r->changed + 1 : EIP_ADVPARAMS_MAX_ENTRIES;
    for (int64_t i = 0; i < n; i++)
        x[i] = (double)i;
    char title[128];
    snprintf(title, sizeof title, "AdvParams encryption, %s on %s", zoo, e->cfg->dataset);
    eip_exp_series s = {"encryption-set accuracy", n, x, r->acc_curve};
    return png(e, zoo, "encrypt_curve", title, "parameters changed",
               "accuracy on the encryption set (fraction)", 0, &s, 1, err);
}

eip_status eip_exp_adv_phase_prune(exp_ctx *e, eip_nn_net_t *net, const char *zoo,
                                   const snapshot *orig, const snapshot *enc, eip_error *err)
{
    double x[N_PRUNE], ye[N_PRUNE], yo[N_PRUNE];
    eip_status s = EIP_OK;
    e->cur = net;
    for (int i = 0; i < N_PRUNE && s == EIP_OK; i++) {
        x[i] = prune_ratios[i];
        eip_exp_adv_snap_restore(net, enc);
        if ((s = eip_attack_prune(net, prune_ratios[i], EIP_ATTACK_PRUNE_GLOBAL, NULL, err)) != EIP_OK ||
            (s = eip_exp_adv_eval_test(e, &ye[i], err)) != EIP_OK)
            break;
        eip_exp_adv_snap_restore(net, orig);
        if ((s = eip_attack_prune(net, prune_ratios[i], EIP_ATTACK_PRUNE_GLOBAL, NULL, err)) != EIP_OK ||
            (s = eip_exp_adv_eval_test(e, &yo[i], err)) != EIP_OK)
            break;
        eip_exp_adv_log(e, "  %s: prune %.0f%%: encrypted %.4f, original %.4f\n", zoo, 100 * x[i], ye[i], yo[i]);
        s = eip_exp_table_rowf(e->t_prune, err, "%s\t%.1f\t%.4f\t%.4f", zoo, x[i], ye[i], yo[i]);
    }
    eip_exp_adv_snap_restore(net, enc);
    if (s != EIP_OK)
        return s;
    char title[128];
    snprintf(title, sizeof title, "Pruning attack, %s on %s", zoo, e->cfg->dataset);
    eip_exp_series ser[2] = {{"encrypted + pruned", N_PRUNE, x, ye}, {"original + pruned", N_PRUNE, x, yo}};
    return png(e, zoo, "prune", title, "pruning ratio (fraction of weights, global magnitude)",
               "test accuracy (fraction)", 0, ser, 2, err);
}

eip_status eip_exp_adv_phase_adaptive(exp_ctx *e, eip_nn_net_t *net, const char *zoo,
                                      const snapshot *enc, const eip_advparams_key *key,
                                      double acc_enc, eip_error *err)
{
    const int64_t np = eip_nn_param_count(net);
    float *scores = malloc((size_t)np * sizeof(float));      /* [P] */
    int64_t *idx = malloc(1000 * sizeof(int64_t));           /* [max budget] */
    int64_t *kidx = malloc((size_t)key->n * sizeof(int64_t)); /* [entries] flat indices */
    float *x = NULL;
    eip_data_set att = {0};
    double bx[N_BUDGETS], by[EIP_ATTACK_SCORE_COMBINED + 1][N_BUDGETS];
    eip_status s = EIP_OK;
    if (!scores || !idx || !kidx) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "adaptive attack: out of memory");
        goto done;
    }
    for (int64_t i = 0; i < key->n; i++) {
        const eip_nn_tensor *t = eip_nn_tensor_find(net, key->entries[i].tensor);
        kidx[i] = t ? t->offset + key->entries[i].index : -1;
    }
    /* The attacker's data: 1% of the training set, another draw. */
    if ((s = eip_data_set_subset_fraction(&e->train, 0.01, e->cfg->seed + 7, &att, err)) != EIP_OK ||
        (s = eip_advparams_normalise(&att, e->mean, e->std, &x, err)) != EIP_OK)
        goto done;
    eip_train_targets hard = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    e->cur = net;
    for (int sc = 0; sc <= EIP_ATTACK_SCORE_COMBINED && s == EIP_OK; sc++) {
        eip_exp_adv_snap_restore(net, enc);
        if ((s = eip_attack_adaptive_scores(net, (eip_attack_score)sc, x, att.labels, att.n, &hard, 128, scores,
                                            err)) != EIP_OK)
            break;
        for (int b = 0; b < N_BUDGETS && s == EIP_OK; b++) {
            const int64_t budget = adapt_budgets[b] < np ? adapt_budgets[b] : np;
            double acc = 0;
            int64_t hits = 0;
            eip_exp_adv_snap_restore(net, enc);
            if ((s = eip_attack_adaptive_reset(net, scores, budget, EIP_ATTACK_RESET_MEDIAN, idx, err)) != EIP_OK ||
                (s = eip_exp_adv_eval_test(e, &acc, err)) != EIP_OK)
                break;
            for (int64_t i = 0; i < budget; i++)
                for (int64_t k = 0; k < key->n; k++)
                    hits += idx[i] == kidx[k];
            bx[b] = (double)budget;
            by[sc][b] = acc;
            eip_exp_adv_log(e, "  %s: adaptive %s budget %lld: acc %.4f, %lld/%lld key params found\n", zoo,
                            eip_attack_score_name((eip_attack_score)sc), (long long)budget, acc,
                            (long long)hits, (long long)key->n);
            s = eip_exp_table_rowf(e->t_adapt, err, "%s\t%s\t%lld\t%.4f\t%.2f\t%lld/%lld", zoo,
                                   eip_attack_score_name((eip_attack_score)sc), (long long)budget, acc,
                                   100.0 * (acc - acc_enc), (long long)hits, (long long)key->n);
        }
    }
    eip_exp_adv_snap_restore(net, enc);
    if (s == EIP_OK) {
        eip_exp_series ser[EIP_ATTACK_SCORE_COMBINED + 1];
        for (int sc = 0; sc <= EIP_ATTACK_SCORE_COMBINED; sc++)
            ser[sc] = (eip_exp_series){eip_attack_score_name((eip_attack_score)sc), N_BUDGETS, bx, by[sc]};
        char title[128];
        snprintf(title, sizeof title, "Adaptive attack (reset suspects to the median), %s", zoo);
        s = png(e, zoo, "adaptive", title, "parameters reset (count)", "test accuracy (fraction)", 1, ser,
                EIP_ATTACK_SCORE_COMBINED + 1, err);
    }
done:
    free(scores);
    free(idx);
    free(kidx);
    free(x);
    eip_data_set_free(&att);
    return s;
}

eip_status eip_exp_adv_phase_finetune(exp_ctx *e, eip_nn_net_t *net, const char *zoo,
                                      const snapshot *enc, double acc_enc, eip_error *err)
{
    const eip_exp_advparams_config *cfg = e->cfg;
    eip_train_targets hard = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    eip_exp_series ser[8];
    double ex[64], ys[8][64];
    char names[8][64];
    int ns = 0;
    eip_status s = EIP_OK;
    const int64_t ep = cfg->ft_epochs < 64 ? cfg->ft_epochs : 64;
    if (ep < 1)
        return EIP_OK; /* fine-tuning skipped (--ft-epochs 0) */
    for (int i = 0; i < ep; i++)
        ex[i] = (double)(i + 1);
    e->cur = net;
    for (int f = 0; f < 4 && cfg->ft_fractions[f] > 0 && s == EIP_OK; f++) {
        eip_attack_finetune_config fc = eip_attack_finetune_config_default();
        fc.fraction = cfg->ft_fractions[f];
        fc.epochs = ep;
        fc.seed = cfg->seed + 11;
        fc.eval = eip_exp_adv_eval_test;
        fc.eval_ctx = e;
        double acc[2] = {0, 0};
        int64_t used = 0;
        for (int scratch = 0; scratch < 2 && s == EIP_OK; scratch++) {
            eip_train_history h = {0};
            eip_exp_adv_snap_restore(net, enc);
            if (scratch && (s = eip_nn_init_params(net, cfg->seed + 13, err)) != EIP_OK)
                break;
            if ((s = eip_attack_finetune(net, &e->train_full, e->mean, e->std, &hard, &fc, &used, &h, err)) !=
                EIP_OK)
                break;
            acc[scratch] = h.epochs ? h.test_acc[h.epochs - 1] : 0.0;
            if (ns < 8) {
                for (int64_t i = 0; i < h.epochs && i < 64; i++)
                    ys[ns][i] = h.test_acc[i];
                snprintf(names[ns], sizeof names[ns], "%s, %g%% data", scratch ? "from scratch" : "fine-tuned",
                         100 * fc.fraction);
                ser[ns] = (eip_exp_series){names[ns], h.epochs < 64 ? h.epochs : 64, ex, ys[ns]};
                ns++;
            }
            eip_train_history_free(&h);
        }
        if (s != EIP_OK)
            break;
        eip_exp_adv_log(e, "  %s: %g%% data (%lld images), %lld epochs: fine-tuned %.4f, from scratch %.4f\n", zoo,
                        100 * fc.fraction, (long long)used, (long long)ep, acc[0], acc[1]);
        s = eip_exp_table_rowf(e->t_ft, err, "%s\t%g\t%lld\t%lld\t%.4f\t%.4f\t%.4f\t%.2f", zoo, fc.fraction,
                               (long long)used, (long long)ep, acc_enc, acc[0], acc[1], 100.0 * (acc[0] - acc[1]));
    }
    eip_exp_adv_snap_restore(net, enc);
    if (s != EIP_OK || ns == 0)
        return s;
    char title[128];
    snprintf(title, sizeof title, "Fine-tuning the encrypted %s vs training from scratch", zoo);
    return png(e, zoo, "finetune", title, "epoch", "test accuracy (fraction)", 0, ser, ns, err);
}

eip_status eip_exp_adv_write_tables(exp_ctx *e, eip_error *err)
{
    static const char *const names[] = {"encryption", "finetune", "prune", "adaptive", "timings"};
    static const char *const titles[] = {"Encryption (accuracy before / encrypted / decrypted)",
                                         "Fine-tuning attack vs training from scratch",
                                         "Pruning attack (global magnitude)",
                                         "Adaptive attack (reset the top-B suspects to the tensor median)",
                                         "Timings (seconds)"};
    eip_exp_table_t *ts[] = {e->t_enc, e->t_ft, e->t_prune, e->t_adapt, e->t_time};
    char path[1024], name[64];
    eip_status s = EIP_OK;
    for (int i = 0; i < 5 && s == EIP_OK; i++) {
        snprintf(name, sizeof name, "%s", names[i]);
        if ((s = eip_exp_adv_path_join(path, sizeof path, e->cfg->out.dir, name, ".md", err)) != EIP_OK ||
            (s = eip_exp_table_write_md(ts[i], titles[i], path, err)) != EIP_OK ||
            (s = eip_exp_adv_path_join(path, sizeof path, e->cfg->out.dir, name, ".csv", err)) != EIP_OK)
            break;
        s = eip_exp_table_write_csv(ts[i], path, err);
    }
    if (s != EIP_OK)
        return s;
    if ((s = eip_exp_adv_path_join(path, sizeof path, e->cfg->out.dir, "summary", ".md", err)) != EIP_OK)
        return s;
    /* summary.md: every table, in the order above. */
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    if (!fp)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    if (e->cfg->model_file)
        fprintf(fp, "# AdvParams on %s (base model %s, test %lld images)\n\n", e->cfg->dataset,
                e->cfg->model_file, (long long)e->test.n);
    else
        fprintf(fp, "# AdvParams on %s (base training %lld images, test %lld images, %lld epochs)\n\n",
                e->cfg->dataset, (long long)e->train.n, (long long)e->test.n, (long long)e->cfg->epochs);
    if (e->cfg->target_acc > 0)
        fprintf(fp, "Encryption stops at encryption-set accuracy <= %g (or the budget).\n\n",
                e->cfg->target_acc);
    fprintf(fp, "Each encryption step tries the %lld best-scored candidates (ranked by the %s); perturbed "
                "values go %g of the way to their tensor's range bound (reach).\n\n",
            (long long)e->cfg->trials,
            e->cfg->objective == EIP_ADVPARAMS_OBJECTIVE_MARGIN ? "logit margin" : "loss", e->cfg->reach);
    for (int i = 0; i < 5; i++) {
        fprintf(fp, "## %s\n\n", titles[i]);
        eip_exp_table_print_md(ts[i], fp);
        fputc('\n', fp);
    }
    if (fclose(fp) != 0) {
        free(text);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    }
    s = eip_io_write_atomic(path, text, len, EIP_IO_MODE_PUBLIC, err);
    free(text);
    return s;
}
