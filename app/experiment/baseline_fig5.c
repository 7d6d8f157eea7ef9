/* Figure 5 of EncryIP (section 5.2): the training time of selling one model
 * to three users, against the three watermarking baselines, all on the same
 * net, data, epochs, recipe and seed, in one process:
 *   Original  one plain training (the reference time);
 *   EncryIP   one training, P = users licensees (eip_protect_run);
 *   PR        one training per user, each with its own (X, b) (Uchida);
 *   DeepIPR   one training per user, each with its own passports (Fan);
 *   EW        one training with every user's trigger set mixed in (Zhang).
 * Time = the sum of the epoch times of a method's trainings (no evaluation);
 * the wall time of each method's phase (keys, set-up, training) beside it.
 * Verification per method: PR bit error rate per user (and of each key on
 * the original model), EW trigger accuracy per user (marked and original),
 * DeepIPR accuracy with the right vs a forged passport and signature
 * detection, EncryIP the trace of a leak by one licensee. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encryip/baseline.h"
#include "encryip/util.h"
#include "experiment/encryip_internal.h"

#define FIG5_USERS_MAX 8

void eip_exp_fig5_config_default(eip_exp_fig5_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->model, sizeof c->model, "resnet18");
    c->width = 0.25;
    snprintf(c->dataset, sizeof c->dataset, "fashion-mnist");
    c->limit = 6000;
    c->test_limit = 2000;
    c->epochs = 3;
    c->batch = 128;
    c->threads = 1;
    c->lr = 0.05;
    c->wd = 5e-4;
    c->seed = 1;
    c->group = EIP_CRYPTO_GROUP_RISTRETTO255;
    c->users = 3;
    c->pr_bits = 256;
    c->pr_lambda = 0.1;
    c->ew_triggers = 20;
    c->ew_reps = 20;
    c->pp_size = 8;
    c->pp_lambda = 0.05;
    c->pp_gamma0 = 0.1;
    c->out.plots = 1;
}

/* The layers the baselines mark in a zoo model (docs/RESULTS.md "Figure 5"):
 * PR a middle conv (Uchida: a conv of the third group of a wide ResNet);
 * DeepIPR every conv -> bn of the last two stages (DeepIPR: the later
 * layers of ResNet). */
typedef struct fig5_layers {
    const char *pr;
    int n_pp;
    const char *convs[8], *bns[8];
} fig5_layers;

static eip_status layers_for(const char *model, fig5_layers *l, eip_error *err)
{
    memset(l, 0, sizeof *l);
    if (!strcmp(model, "resnet18")) {
        static const char *const c[8] = {"layer3.0.conv1", "layer3.0.conv2", "layer3.1.conv1",
                                         "layer3.1.conv2", "layer4.0.conv1", "layer4.0.conv2",
                                         "layer4.1.conv1", "layer4.1.conv2"};
        static const char *const b[8] = {"layer3.0.bn1", "layer3.0.bn2", "layer3.1.bn1", "layer3.1.bn2",
                                         "layer4.0.bn1", "layer4.0.bn2", "layer4.1.bn1", "layer4.1.bn2"};
        l->pr = "layer3.1.conv1";
        l->n_pp = 8;
        memcpy(l->convs, c, sizeof c);
        memcpy(l->bns, b, sizeof b);
        return EIP_OK;
    }
    if (!strcmp(model, "smallcnn")) {
        l->pr = "conv3";
        l->n_pp = 2;
        l->convs[0] = "conv3";
        l->convs[1] = "conv4";
        l->bns[0] = "bn3";
        l->bns[1] = "bn4";
        return EIP_OK;
    }
    return eip_error_set(err, EIP_ERR_ARG, "experiment fig5: model '%s': the baselines' layers are "
                         "known for resnet18 and smallcnn only", model);
}

typedef struct fig5_row {
    const char *name;
    int64_t trainings, images;
    double train_s, wall_s, acc;
    double cpu_s;   /* process CPU seconds of the method's training calls */
    char verif[256];
    int done;
} fig5_row;

typedef struct fig5_user {
    double pr_ber, pr_ber_orig, pr_acc;
    double ew_acc, ew_acc_orig;
    double pp_acc, pp_acc_forged, pp_sig, pp_sig_forged;
} fig5_user;

typedef struct fig5_env {
    const eip_exp_fig5_config *c;
    eip_expe_train tr;
    eip_data_set train, test, other;
    eip_nn_net_t *orig;
    eip_train_fit_result orig_fit;
    fig5_layers layers;
    fig5_user u[FIG5_USERS_MAX];
} fig5_env;

static void logf_(const fig5_env *e, const char *msg, const char *what)
{
    if (e->c->out.log) {
        fprintf(e->c->out.log, "experiment fig5: %s %s\n", msg, what);
        fflush(e->c->out.log);
    }
}

/* Process CPU time: on a machine shared with other jobs the wall time of a
 * training depends on their load, its CPU time (one oneDNN thread) much
 * less; the ratios are reported on both. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Builds and initialises a net (the same seed for every method), trains it
 * on `train` with an optional step hook, adds its time to row. */
static eip_status train_one(fig5_env *e, eip_nn_net_t *net, const eip_data_set *train,
                            eip_train_step_hook_fn hook, void *hctx, eip_train_fit_result *fit,
                            fig5_row *row, eip_error *err)
{
    eip_train_fit_config fc;
    eip_expe_fit_config(&fc, &e->tr, train);
    fc.init = 0; /* initialised by the caller, before the hook's key was made */
    fc.step_hook = hook;
    fc.step_hook_ctx = hctx;
    const double c0 = cpu_now();
    eip_status s = eip_train_fit(net, &fc, fit, err);
    row->cpu_s += cpu_now() - c0;
    if (!s) {
        row->train_s += fit->train_s;
        row->trainings++;
        row->images = train->n;
    }
    return s;
}

static eip_status new_net(fig5_env *e, eip_nn_net_t **net, eip_error *err)
{
    eip_status s = eip_expe_build(&e->tr, e->train.num_classes, net, err);
    if (!s && (s = eip_nn_init_params(*net, e->tr.seed, err))) {
        eip_nn_net_free(*net);
        *net = NULL;
    }
    return s;
}

static double acc_of(fig5_env *e, eip_nn_net_t *net, const eip_train_fit_result *f, eip_error *err,
                     eip_status *s)
{
    double a = -1;
    if (!*s)
        *s = eip_train_evaluate(net, &e->test, f->mean, f->std, EIP_TRAIN_EVAL_BATCH, &a, err);
    return a;
}

/* Untimed warm-up: one epoch of the original on batch + (n mod batch)
 * images, so oneDNN's kernel generation and the plans of both batch sizes
 * (cached by oneDNN for nets of the same shapes) are not charged to the
 * method that happens to run first. */
static eip_status warm_up(fig5_env *e, eip_error *err)
{
    snprintf(e->tr.label, sizeof e->tr.label, "warm-up");
    const int64_t b = e->c->batch, n = e->train.n > b ? b + e->train.n % b : e->train.n;
    eip_data_set sub = {0};
    eip_nn_net_t *net = NULL;
    eip_train_fit_result fit = {0};
    fig5_row scratch = {0};
    const int64_t epochs = e->tr.epochs;
    e->tr.epochs = 1;
    eip_status s = eip_data_set_subset_first(&e->train, n, &sub, err);
    if (!s && !(s = new_net(e, &net, err)) && !(s = train_one(e, net, &sub, NULL, NULL, &fit, &scratch, err))) {
        double a;
        s = eip_train_evaluate(net, &e->test, fit.mean, fit.std, EIP_TRAIN_EVAL_BATCH, &a, err);
    }
    e->tr.epochs = epochs;
    eip_train_fit_result_free(&fit);
    eip_nn_net_free(net);
    eip_data_set_free(&sub);
    return s;
}

static eip_status run_original(fig5_env *e, fig5_row *row, eip_error *err)
{
    snprintf(e->tr.label, sizeof e->tr.label, "original");
    const double t0 = eip_expe_now();
    eip_status s = new_net(e, &e->orig, err);
    if (!s)
        s = train_one(e, e->orig, &e->train, NULL, NULL, &e->orig_fit, row, err);
    row->wall_s = eip_expe_now() - t0;
    row->acc = acc_of(e, e->orig, &e->orig_fit, err, &s);
    snprintf(row->verif, sizeof row->verif, "none (unprotected)");
    row->done = !s;
    return s;
}

static eip_status run_encryip(fig5_env *e, fig5_row *row, eip_error *err)
{
    snprintf(e->tr.label, sizeof e->tr.label, "EncryIP");
    const double t0 = eip_expe_now();
    eip_protect_config pc;
    eip_expe_protect_config(&pc, &e->tr, &e->train, &e->test, (eip_crypto_group_id)e->c->group,
                            e->c->users, 0, e->c->verif_reps, 500);
    eip_protect_result res = {0};
    eip_protect_model_t *m = NULL;
    eip_crypto_ct *ct = NULL;
    int32_t *printed = NULL;
    const double c0 = cpu_now();
    eip_status s = eip_protect_run(&pc, &res, err);
    row->cpu_s = cpu_now() - c0; /* keys, Enc, training, per-epoch eval on 500 images */
    if (s)
        return s;
    row->wall_s = eip_expe_now() - t0;
    for (int64_t i = 0; i < res.history.epochs; i++)
        row->train_s += res.history.seconds[i];
    row->trainings = 1;
    row->images = res.train_n + res.verif.n * res.verif_reps;
    row->acc = res.test_acc_ml;
    /* a leak: licensee j's deployment answers the verification queries */
    const int64_t j = res.licensees >= 2 ? 2 : 1;
    const eip_protect_verif *v = &res.verif;
    ct = malloc((size_t)v->n * sizeof *ct);
    printed = malloc((size_t)v->n * sizeof *printed);
    eip_protect_trace_result tr = {0};
    if (!ct || !printed)
        s = eip_error_set(err, EIP_ERR_NOMEM, "experiment fig5: out of memory");
    if (!s && !(s = eip_protect_model_from_result(&res, &m, err)) &&
        !(s = eip_protect_predict(m, v->images.pixels, v->n, NULL, ct, NULL, err)) &&
        !(s = eip_protect_decrypt(m, res.sk[j - 1], 1, ct, v->n, printed, err)) &&
        !(s = eip_protect_trace_keys(res.sk, res.licensees, v, printed, &tr, err))) {
        int64_t mi = 0;
        for (int64_t k = 0; k < tr.licensees; k++)
            if (tr.id[k] == tr.named)
                mi = k;
        snprintf(row->verif, sizeof row->verif,
                 "leak by licensee %lld traced to licensee %lld (%lld/%lld instances match, p = %.1e); "
                 "verification memorised %.0f%%",
                 (long long)j, (long long)tr.named, (long long)tr.matched[mi], (long long)tr.total[mi],
                 tr.pvalue[mi], 100.0 * res.verif_memorised);
        row->done = 1;
    }
    eip_protect_trace_result_free(&tr);
    free(ct);
    free(printed);
    eip_protect_model_free(m);
    eip_protect_result_free(&res);
    return s;
}

static eip_status run_pr(fig5_env *e, fig5_row *row, eip_error *err)
{
    const double t0 = eip_expe_now();
    eip_status s = EIP_OK;
    double acc_sum = 0;
    for (int64_t u = 0; u < e->c->users && !s; u++) {
        snprintf(e->tr.label, sizeof e->tr.label, "PR user %lld", (long long)u + 1);
        eip_nn_net_t *net = NULL;
        eip_baseline_pr_t *pr = NULL;
        eip_train_fit_result fit = {0};
        const eip_baseline_pr_config pc = {e->layers.pr, e->c->pr_bits, e->c->pr_lambda,
                                           e->c->seed * 1000 + 100 + (uint64_t)u};
        if (!(s = new_net(e, &net, err)) && !(s = eip_baseline_pr_init(&pr, net, &pc, err)) &&
            !(s = train_one(e, net, &e->train, eip_baseline_pr_hook, pr, &fit, row, err)) &&
            !(s = eip_baseline_pr_extract(pr, net, NULL, &e->u[u].pr_ber, err)))
            s = eip_baseline_pr_extract(pr, e->orig, NULL, &e->u[u].pr_ber_orig, err);
        e->u[u].pr_acc = acc_of(e, net, &fit, err, &s);
        acc_sum += e->u[u].pr_acc;
        eip_train_fit_result_free(&fit);
        eip_baseline_pr_free(pr);
        eip_nn_net_free(net);
    }
    if (s)
        return s;
    row->wall_s = eip_expe_now() - t0;
    row->acc = acc_sum / (double)e->c->users;
    int off = snprintf(row->verif, sizeof row->verif, "%lld-bit BER per user (own model / original):",
                       (long long)e->c->pr_bits);
    for (int64_t u = 0; u < e->c->users && off < (int)sizeof row->verif; u++)
        off += snprintf(row->verif + off, sizeof row->verif - (size_t)off, " %.3f/%.3f", e->u[u].pr_ber,
                        e->u[u].pr_ber_orig);
    row->done = 1;
    return EIP_OK;
}

static eip_status run_deepipr(fig5_env *e, fig5_row *row, eip_error *err)
{
    const double t0 = eip_expe_now();
    eip_status s = EIP_OK;
    double acc_sum = 0;
    for (int64_t u = 0; u < e->c->users && !s; u++) {
        snprintf(e->tr.label, sizeof e->tr.label, "DeepIPR user %lld", (long long)u + 1);
        eip_nn_net_t *net = NULL;
        eip_baseline_passport_t *pp = NULL, *forged = NULL;
        eip_train_fit_result fit = {0};
        const eip_baseline_passport_config pc = {e->layers.n_pp, e->layers.convs, e->layers.bns,
                                                 e->c->pp_size, e->c->pp_gamma0, e->c->pp_lambda,
                                                 e->c->seed * 1000 + 200 + (uint64_t)u};
        fig5_user *fu = &e->u[u];
        if (!(s = new_net(e, &net, err)) && !(s = eip_baseline_passport_init(&pp, net, &pc, err)) &&
            !(s = eip_baseline_passport_forge(pp, pc.seed ^ 0xF0F0F0F0ull, &forged, err)) &&
            !(s = train_one(e, net, &e->train, eip_baseline_passport_hook, pp, &fit, row, err)) &&
            !(s = eip_baseline_passport_apply(pp, net, err)) &&
            !(s = eip_baseline_passport_detect(pp, net, &fu->pp_sig, err)) &&
            !(s = eip_baseline_passport_detect(forged, net, &fu->pp_sig_forged, err))) {
            fu->pp_acc = acc_of(e, net, &fit, err, &s);
            if (!s && !(s = eip_baseline_passport_apply(forged, net, err)))
                fu->pp_acc_forged = acc_of(e, net, &fit, err, &s);
        }
        acc_sum += fu->pp_acc;
        eip_train_fit_result_free(&fit);
        eip_baseline_passport_free(pp);
        eip_baseline_passport_free(forged);
        eip_nn_net_free(net);
    }
    if (s)
        return s;
    row->wall_s = eip_expe_now() - t0;
    row->acc = acc_sum / (double)e->c->users;
    int off = snprintf(row->verif, sizeof row->verif,
                       "per user: accuracy right/forged passport, signature right/forged:");
    for (int64_t u = 0; u < e->c->users && off < (int)sizeof row->verif; u++)
        off += snprintf(row->verif + off, sizeof row->verif - (size_t)off, " %.3f/%.3f %.2f/%.2f;",
                        e->u[u].pp_acc, e->u[u].pp_acc_forged, e->u[u].pp_sig, e->u[u].pp_sig_forged);
    row->done = 1;
    return EIP_OK;
}

static eip_status run_ew(fig5_env *e, fig5_row *row, eip_error *err)
{
    snprintf(e->tr.label, sizeof e->tr.label, "EW");
    const double t0 = eip_expe_now();
    eip_data_set trig[FIG5_USERS_MAX], mixed = {0};
    const eip_data_set *sets[FIG5_USERS_MAX];
    memset(trig, 0, sizeof trig);
    eip_status s = EIP_OK;
    const int n = (int)e->c->users;
    for (int u = 0; u < n && !s; u++) {
        /* user u gets kind u mod 3: content, noise, unrelated */
        const eip_baseline_trigger_kind k = (eip_baseline_trigger_kind)(u % 3);
        const eip_baseline_trigger_config tc = {
            k, e->c->ew_triggers, e->train.c, e->train.h, e->train.w, e->train.num_classes,
            k == EIP_BASELINE_TRIGGER_UNRELATED ? &e->other : &e->train,
            1 + u % (e->train.num_classes - 1), e->c->seed * 1000 + 300 + (uint64_t)u};
        s = eip_baseline_trigger_make(&tc, &trig[u], err);
        sets[u] = &trig[u];
    }
    eip_nn_net_t *net = NULL;
    eip_train_fit_result fit = {0};
    if (!s && !(s = eip_baseline_trigger_mix(&e->train, sets, n, e->c->ew_reps, &mixed, err)) &&
        !(s = new_net(e, &net, err)) && !(s = train_one(e, net, &mixed, NULL, NULL, &fit, row, err))) {
        row->wall_s = eip_expe_now() - t0;
        for (int u = 0; u < n && !s; u++)
            if (!(s = eip_baseline_trigger_accuracy(net, &trig[u], fit.mean, fit.std, &e->u[u].ew_acc, err)))
                s = eip_baseline_trigger_accuracy(e->orig, &trig[u], e->orig_fit.mean, e->orig_fit.std,
                                                  &e->u[u].ew_acc_orig, err);
        row->acc = acc_of(e, net, &fit, err, &s);
    }
    if (!s) {
        int off = snprintf(row->verif, sizeof row->verif,
                           "trigger accuracy per user (marked / original):");
        for (int u = 0; u < n && off < (int)sizeof row->verif; u++)
            off += snprintf(row->verif + off, sizeof row->verif - (size_t)off, " %s %.2f/%.2f;",
                            eip_baseline_trigger_kind_name((eip_baseline_trigger_kind)(u % 3)),
                            e->u[u].ew_acc, e->u[u].ew_acc_orig);
        snprintf(row->verif + (off < (int)sizeof row->verif ? off : (int)sizeof row->verif - 1),
                 sizeof row->verif - (size_t)(off < (int)sizeof row->verif ? off : (int)sizeof row->verif - 1),
                 " outputs are plain labels");
        row->done = 1;
    }
    eip_train_fit_result_free(&fit);
    eip_nn_net_free(net);
    for (int u = 0; u < n; u++)
        eip_data_set_free(&trig[u]);
    eip_data_set_free(&mixed);
    return s;
}

static eip_status fig5_write(const fig5_env *e, const fig5_row *rows, int n, double wall, eip_error *err)
{
    const eip_exp_fig5_config *c = e->c;
    eip_expe_text md = {0}, csv = {0}, ucsv = {0};
    const double base = rows[0].done && rows[0].train_s > 0 ? rows[0].train_s : -1;
    const double base_cpu = rows[0].done && rows[0].cpu_s > 0 ? rows[0].cpu_s : -1;
    eip_expe_text_add(&md, "# Figure 5: selling one model to %lld users\n\n%s (width %g) on %s: %lld "
                           "training images, %lld test images, %lld epochs, batch %lld, SGD Nesterov lr %g "
                           "wd %g (warm-up + cosine), seed %llu, %lld thread(s); EncryIP group %s. "
                           "Wall time of the whole run %.0f s.\n",
                      (long long)c->users, c->model, c->width, c->dataset, (long long)e->train.n,
                      (long long)e->test.n, (long long)c->epochs, (long long)c->batch, c->lr, c->wd,
                      (unsigned long long)c->seed, (long long)c->threads,
                      eip_crypto_group_name((eip_crypto_group_id)c->group), wall);
    if (c->out.command)
        eip_expe_text_add(&md, "\nCommand: `%s`\n", c->out.command);
    eip_expe_text_add(&md, "\nTraining s = sum of the epoch times (wall) of the method's trainings (no "
                           "evaluation); CPU s = process CPU time of the training calls (EncryIP: "
                           "eip_protect_run, i.e. also keys, encryption and a per-epoch decode of 500 "
                           "test images), the figure least distorted by other jobs on a shared machine; "
                           "wall s = the method's whole phase (keys, set-up, training). "
                           "PR: %lld bits, lambda %g, layer %s. EW: %lld triggers per user x %lld "
                           "replicas. DeepIPR: %d passport layers, S = %lld, gamma0 %g, lambda %g.\n\n"
                           "| method | trainings | images / epoch | CPU s | CPU ratio to original | training s "
                           "(wall) | wall ratio | phase wall s | test accuracy | verification |\n"
                           "|---|---|---|---|---|---|---|---|---|---|\n",
                      (long long)c->pr_bits, c->pr_lambda, e->layers.pr, (long long)c->ew_triggers,
                      (long long)c->ew_reps, e->layers.n_pp, (long long)c->pp_size, c->pp_gamma0,
                      c->pp_lambda);
    eip_expe_text_add(&csv, "method,trainings,images,train_s,ratio,wall_s,test_acc,cpu_s,cpu_ratio,"
                            "verification\n");
    for (int i = 0; i < n; i++) {
        const fig5_row *r = &rows[i];
        if (!r->done) {
            eip_expe_text_add(&md, "| %s | not run | | | | | | | | |\n", r->name);
            continue;
        }
        const double ratio = base > 0 ? r->train_s / base : -1;
        const double cratio = base_cpu > 0 ? r->cpu_s / base_cpu : -1;
        eip_expe_text_add(&md, "| %s | %lld | %lld | %.1f | %.2fx | %.1f | %.2fx | %.1f | %.4f | %s |\n",
                          r->name, (long long)r->trainings, (long long)r->images, r->cpu_s, cratio,
                          r->train_s, ratio, r->wall_s, r->acc, r->verif);
        eip_expe_text_add(&csv, "%s,%lld,%lld,%.3f,%.4f,%.3f,%.6f,%.3f,%.4f,\"%s\"\n", r->name,
                          (long long)r->trainings, (long long)r->images, r->train_s, ratio, r->wall_s,
                          r->acc, r->cpu_s, cratio, r->verif);
    }
    eip_expe_text_add(&ucsv, "user,pr_ber,pr_ber_original,pr_acc,ew_kind,ew_trigger_acc,"
                             "ew_trigger_acc_original,deepipr_acc,deepipr_acc_forged,deepipr_sig,"
                             "deepipr_sig_forged\n");
    for (int64_t u = 0; u < c->users; u++) {
        const fig5_user *f = &e->u[u];
        eip_expe_text_add(&ucsv, "%lld,%.4f,%.4f,%.4f,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n", (long long)u + 1,
                          f->pr_ber, f->pr_ber_orig, f->pr_acc,
                          eip_baseline_trigger_kind_name((eip_baseline_trigger_kind)(u % 3)), f->ew_acc,
                          f->ew_acc_orig, f->pp_acc, f->pp_acc_forged, f->pp_sig, f->pp_sig_forged);
    }
    eip_status s = eip_expe_text_write(&md, c->out.dir, "fig5.md", err);
    if (!s)
        s = eip_expe_text_write(&csv, c->out.dir, "fig5.csv", err);
    if (!s)
        s = eip_expe_text_write(&ucsv, c->out.dir, "fig5_users.csv", err);
    eip_expe_text_free(&md);
    eip_expe_text_free(&csv);
    eip_expe_text_free(&ucsv);
    return s;
}

static eip_status fig5_plot(const fig5_env *e, const fig5_row *rows, int n, eip_error *err)
{
    const char *labels[8];
    double v[8];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (rows[i].done) {
            labels[k] = rows[i].name;
            v[k++] = rows[i].cpu_s;
        }
    char png[4096], title[128], sub[256];
    eip_status s = eip_io_path_join(png, sizeof png, e->c->out.dir, "fig5.png", err);
    if (s || k == 0)
        return s;
    snprintf(title, sizeof title, "Training time of selling one model to %lld users (EncryIP Fig. 5)",
             (long long)e->c->users);
    snprintf(sub, sizeof sub, "%s width %g, %s, %lld images, %lld epochs, %lld thread(s), %s",
             e->c->model, e->c->width, e->c->dataset, (long long)e->train.n, (long long)e->c->epochs,
             (long long)e->c->threads, eip_nn_cpu_isa());
    const eip_exp_bars b = {png, title, sub, "training time (CPU seconds, all trainings of the method)", k,
                            labels, v};
    return eip_exp_plot_bars(&b, err);
}

eip_status eip_exp_fig5(const eip_exp_fig5_config *c, eip_error *err)
{
    if (!c->out.dir || c->epochs < 1 || c->users < 1 || c->users > FIG5_USERS_MAX)
        return eip_error_set(err, EIP_ERR_ARG, "experiment fig5: epochs >= 1, 1 .. %d users and an "
                             "output directory are required", FIG5_USERS_MAX);
    fig5_env e;
    memset(&e, 0, sizeof e);
    e.c = c;
    eip_nn_ctx nn = {0};
    eip_data_set test_full = {0}, mtrain = {0};
    eip_status s = layers_for(c->model, &e.layers, err);
    if (!s)
        s = eip_crypto_init(err);
    if (!s)
        s = eip_data_load_limited(c->dataset, NULL, c->limit, &e.train, &test_full, err);
    if (!s)
        s = eip_data_set_subset_random(&test_full, c->test_limit, 0x54455354ull /* "TEST" */, &e.test, err);
    eip_data_set_free(&test_full);
    /* EW's unrelated triggers: MNIST digits for a Fashion-MNIST model, and
     * Fashion-MNIST for an MNIST one */
    if (!s)
        s = eip_data_load_limited(strcmp(c->dataset, "mnist") ? "mnist" : "fashion-mnist", NULL, 0,
                                  &mtrain, &e.other, err);
    eip_data_set_free(&mtrain);
    if (!s)
        s = eip_nn_ctx_init(&nn, (int)c->threads, err);
    if (s)
        goto done;
    const double t0 = eip_expe_now();
    const eip_exp_encryip_recipe rc = {.width = c->width, .optim = EIP_TRAIN_OPTIM_SGD, .epochs = c->epochs,
                                       .lr = c->lr, .wd = c->wd};
    eip_expe_train_init(&e.tr, &nn, c->model, &e.train, &rc, c->batch, c->seed, c->out.log, t0);
    fig5_row rows[5] = {{.name = "Original"}, {.name = "EncryIP"}, {.name = "PR"}, {.name = "DeepIPR"},
                        {.name = "EW"}};
    eip_status (*const run[5])(fig5_env *, fig5_row *, eip_error *) = {run_original, run_encryip, run_pr,
                                                                      run_deepipr, run_ew};
    s = warm_up(&e, err);
    for (int i = 0; i < 5 && !s; i++) {
        logf_(&e, "running", rows[i].name);
        if ((s = run[i](&e, &rows[i], err)))
            eip_error_prefix(err, "%s: ", rows[i].name);
        else
            s = fig5_write(&e, rows, 5, eip_expe_now() - t0, err);
    }
    if (!s && c->out.plots)
        s = fig5_plot(&e, rows, 5, err);
done:
    eip_train_fit_result_free(&e.orig_fit);
    eip_nn_net_free(e.orig);
    eip_nn_ctx_free(&nn);
    eip_data_set_free(&e.train);
    eip_data_set_free(&e.test);
    eip_data_set_free(&e.other);
    return s;
}
