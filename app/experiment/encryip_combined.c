/* Combined protection measured (docs/PROTECT.md "Combined protection"):
 * EncryIP (Algorithm 1) + AdvParams on the protected weights, per group:
 *
 *   reference  the protected model before AdvParams: Algorithm 2 + Dec(sk_j)
 *              for every licensee j, and the owner codebook's ML decoding;
 *   stolen     the encrypted weights without the weights key, decoded with
 *              the owner codebook (a thief who somehow holds every EncryIP
 *              secret) and with each sk_j; the locked file deployed with
 *              sk_j and queried on the verification instances: the trace as
 *              measured;
 *   licensee   the weights unlocked in memory (eip_protect_model_unlock):
 *              model hash = the unencrypted one and Dec(sk_j) accuracy = the
 *              reference, exactly (anything else is an error); the unlocked
 *              deployment of each j queried on the verification instances
 *              must be traced to j (eq. 5).
 * Outputs: combined.md, combined.csv (one row per measurement),
 * combined_curve.csv (AdvParams encryption-set accuracy curve). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/encryip_internal.h"

void eip_exp_combined_config_default(eip_exp_combined_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->model, sizeof c->model, "smallcnn");
    c->width = 1.0;
    snprintf(c->dataset, sizeof c->dataset, "fashion-mnist");
    c->limit = 6000;
    c->test_limit = 2000;
    c->epochs = 3;
    c->batch = 128;
    c->threads = 2;
    c->lr = 0.05;
    c->wd = 5e-4;
    c->seed = 1;
    c->groups = 3;
    c->licensees = 3;
    c->enc_images = EIP_PROTECT_ADV_DEFAULT_ENC;
    c->budget = 25;
    c->layers = EIP_ADVPARAMS_LAYERS_ALL;
    const eip_advparams_config d = eip_advparams_config_default(10);
    c->trials = d.trials;
    c->objective = d.objective;
    c->crypto_seed = -1;
}

/* One trace: who a deployment printing `printed` is traced to. */
typedef struct trace_one {
    int64_t named, matched, total; /* matched/total: of the deploying licensee */
} trace_one;

/* Per-group measurements. */
typedef struct group_meas {
    const char *group;
    int64_t train_n, test_n, k, verif_n, p;
    double protect_s, adv_s;
    double ref_own, stolen_own;          /* owner codebook ML */
    double *ref, *stolen, *lic;          /* [P] Alg. 2 + Dec(sk_j) */
    trace_one *leak_locked, *leak_unlocked; /* [P] */
    int hash_equal;
    eip_advparams_result adv;            /* copy of the numbers; curve owned here */
    double target;
    int64_t enc_n;
} group_meas;

static void group_meas_free(group_meas *g)
{
    free(g->ref);
    free(g->stolen);
    free(g->lic);
    free(g->leak_locked);
    free(g->leak_unlocked);
    free(g->adv.acc_curve);
    memset(g, 0, sizeof *g);
}

/* Test figures of model m: owner-codebook ML accuracy and Alg. 2 +
 * Dec(sk_j) accuracy for every licensee (acc [P]). */
static eip_status measure_test(eip_protect_model_t *m, const eip_protect_result *res,
                               const eip_data_set *test, double *own, double *acc, eip_error *err)
{
    const int64_t n = test->n;
    float *y = malloc((size_t)(n > 0 ? n : 1) * (size_t)res->k * sizeof *y); /* [N, K] */
    eip_crypto_ct *c = malloc((size_t)(n > 0 ? n : 1) * sizeof *c);          /* [N] */
    int32_t *lab = malloc((size_t)(n > 0 ? n : 1) * sizeof *lab);           /* [N] */
    int64_t *slot = malloc((size_t)(n > 0 ? n : 1) * sizeof *slot);         /* [N] */
    eip_status s = EIP_OK;
    if (!y || !c || !lab || !slot) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "experiment combined: out of memory");
        goto done;
    }
    if ((s = eip_protect_forward(m, test->pixels, n, y, err)) ||
        (s = eip_protect_predict_outputs(m, y, n, NULL, c, slot, err)))
        goto done;
    int64_t right = 0;
    for (int64_t i = 0; i < n; i++)
        right += eip_crypto_codebook_label(res->codebook, slot[i]) == test->labels[i];
    *own = n ? (double)right / (double)n : 0;
    for (int64_t j = 0; j < res->licensees && !s; j++) {
        if ((s = eip_protect_decrypt(m, res->sk[j], 1, c, n, lab, err)))
            break;
        right = 0;
        for (int64_t i = 0; i < n; i++)
            right += lab[i] == test->labels[i];
        acc[j] = n ? (double)right / (double)n : 0;
    }
done:
    free(y);
    free(c);
    free(lab);
    free(slot);
    return s;
}

/* Section 4.4: licensee j's deployment of m (Algorithm 2 + Dec(sk_j)) queried
 * on the verification instances, traced with every licensee's key. */
static eip_status measure_trace(eip_protect_model_t *m, const eip_protect_result *res,
                                trace_one *out, eip_error *err)
{
    const eip_protect_verif *v = &res->verif;
    eip_crypto_ct *c = malloc((size_t)v->n * sizeof *c);
    int32_t *printed = malloc((size_t)v->n * sizeof *printed);
    eip_status s = EIP_OK;
    if (!c || !printed)
        s = eip_error_set(err, EIP_ERR_NOMEM, "experiment combined: out of memory");
    for (int64_t j = 1; j <= res->licensees && !s; j++) {
        eip_protect_trace_result tr = {0};
        if ((s = eip_protect_predict(m, v->images.pixels, v->n, NULL, c, NULL, err)) ||
            (s = eip_protect_decrypt(m, res->sk[j - 1], 1, c, v->n, printed, err)) ||
            (s = eip_protect_trace_keys(res->sk, res->licensees, v, printed, &tr, err)))
            break;
        out[j - 1] = (trace_one){tr.named, 0, 0};
        for (int64_t k = 0; k < tr.licensees; k++)
            if (tr.id[k] == j) {
                out[j - 1].matched = tr.matched[k];
                out[j - 1].total = tr.total[k];
            }
        eip_protect_trace_result_free(&tr);
    }
    free(c);
    free(printed);
    return s;
}

static void logf_(const eip_exp_combined_config *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_(const eip_exp_combined_config *c, const char *fmt, ...)
{
    if (!c->out.log)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(c->out.log, fmt, ap);
    va_end(ap);
    fflush(c->out.log);
}

static eip_status run_group(const eip_exp_combined_config *cfg, eip_expe_train *tr,
                            const eip_data_set *train, const eip_data_set *test,
                            eip_crypto_group_id group, group_meas *g, eip_error *err)
{
    eip_protect_result res = {0};
    eip_protect_model_t *m = NULL;
    eip_crypto_rng_t *rng = NULL;
    if (cfg->crypto_seed >= 0) {
        eip_status s0 = eip_crypto_rng_new_u64((uint64_t)cfg->crypto_seed + (uint64_t)group, &rng, err);
        if (s0)
            return s0;
    }
    eip_protect_config pc;
    eip_expe_protect_config(&pc, tr, train, test, group, cfg->licensees, cfg->verif_count,
                            cfg->verif_reps, 1000);
    pc.crypto_rng = rng;
    eip_status s = eip_protect_run(&pc, &res, err);
    if (s) {
        eip_crypto_rng_free(rng);
        return s;
    }
    const int64_t p = res.licensees;
    g->group = eip_crypto_group_name(group);
    g->train_n = res.train_n;
    g->test_n = test->n;
    g->k = res.k;
    g->verif_n = res.verif.n;
    g->p = p;
    g->protect_s = res.seconds;
    g->ref = calloc((size_t)p, sizeof *g->ref);
    g->stolen = calloc((size_t)p, sizeof *g->stolen);
    g->lic = calloc((size_t)p, sizeof *g->lic);
    g->leak_locked = calloc((size_t)p, sizeof *g->leak_locked);
    g->leak_unlocked = calloc((size_t)p, sizeof *g->leak_unlocked);
    uint8_t h0[EIP_ADVPARAMS_HASH_BYTES], h1[EIP_ADVPARAMS_HASH_BYTES];
    if (!g->ref || !g->stolen || !g->lic || !g->leak_locked || !g->leak_unlocked) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "experiment combined: out of memory");
        goto done;
    }
    /* reference: the protected model before AdvParams */
    if ((s = eip_advparams_model_hash(res.net, h0, err)) ||
        (s = eip_protect_model_from_result(&res, &m, err)) ||
        (s = measure_test(m, &res, test, &g->ref_own, g->ref, err)))
        goto done;
    eip_protect_model_free(m);
    m = NULL;
    logf_(cfg, "  [%s] reference: owner codebook %.4f, licensee 1 %.4f; AdvParams on %lld "
               "training images, budget %lld\n", tr->label, g->ref_own, g->ref[0],
          (long long)cfg->enc_images, (long long)cfg->budget);
    eip_advparams_config ac = eip_advparams_config_default(train->num_classes);
    ac.budget = cfg->budget;
    ac.layers = cfg->layers;
    ac.trials = cfg->trials;
    ac.objective = cfg->objective;
    const double t0 = eip_expe_now();
    if ((s = eip_protect_advparams_encrypt(&res, train, cfg->enc_images, &ac, err)))
        goto done;
    g->adv_s = eip_expe_now() - t0;
    g->adv = res.adv;
    g->adv.acc_curve = malloc((size_t)(res.adv.changed + 1) * sizeof *g->adv.acc_curve);
    if (!g->adv.acc_curve) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "experiment combined: out of memory");
        goto done;
    }
    memcpy(g->adv.acc_curve, res.adv.acc_curve, (size_t)(res.adv.changed + 1) * sizeof(double));
    g->target = res.adv_target;
    g->enc_n = res.adv_enc_n;
    /* stolen file: the encrypted weights, no weights key */
    if ((s = eip_protect_model_from_result(&res, &m, err)))
        goto done;
    if (!eip_protect_model_locked(m)) {
        s = eip_error_set(err, EIP_ERR_STATE, "experiment combined: the encrypted model is not locked");
        goto done;
    }
    if ((s = measure_test(m, &res, test, &g->stolen_own, g->stolen, err)) ||
        (s = measure_trace(m, &res, g->leak_locked, err)))
        goto done;
    /* licensee: unlocked in memory */
    double own = 0;
    if ((s = eip_protect_model_unlock(m, &res.adv_key, err)) ||
        (s = eip_advparams_model_hash(res.net, h1, err)) ||
        (s = measure_test(m, &res, test, &own, g->lic, err)) ||
        (s = measure_trace(m, &res, g->leak_unlocked, err)))
        goto done;
    g->hash_equal = !memcmp(h0, h1, sizeof h0);
    int same = g->hash_equal && own == g->ref_own;
    for (int64_t j = 0; j < p; j++)
        same &= g->lic[j] == g->ref[j];
    if (!same)
        s = eip_error_set(err, EIP_ERR_STATE, "experiment combined: %s: the unlocked model differs "
                          "from the unencrypted one (hash %s, licensee 1 %.4f vs %.4f)", g->group,
                          g->hash_equal ? "equal" : "DIFFERENT", g->lic[0], g->ref[0]);
done:
    eip_protect_model_free(m);
    eip_protect_result_free(&res);
    eip_crypto_rng_free(rng);
    return s;
}

/* "min..max" (or the value) of v [n]. */
static void fmt_range(char *buf, size_t cap, const double *v, int64_t n)
{
    double lo = v[0], hi = v[0];
    for (int64_t i = 1; i < n; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    if (lo == hi)
        snprintf(buf, cap, "%.4f", lo);
    else
        snprintf(buf, cap, "%.4f..%.4f", lo, hi);
}

/* "named j: a/P, another licensee: b, nobody: c; j agrees min..max of T" */
static void fmt_traces(char *buf, size_t cap, const trace_one *t, int64_t p)
{
    int64_t right = 0, other = 0, none = 0, lo = -1, hi = -1, tot = 0;
    for (int64_t j = 0; j < p; j++) {
        right += t[j].named == j + 1;
        none += t[j].named == 0;
        other += t[j].named != 0 && t[j].named != j + 1;
        lo = lo < 0 || t[j].matched < lo ? t[j].matched : lo;
        hi = t[j].matched > hi ? t[j].matched : hi;
        tot = t[j].total;
    }
    snprintf(buf, cap, "deploying licensee named %lld/%lld, another named %lld, nobody %lld; its "
             "agreement %lld..%lld of %lld", (long long)right, (long long)p, (long long)other,
             (long long)none, (long long)lo, (long long)hi, (long long)tot);
}

static double mean(const double *v, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += v[i];
    return n ? s / (double)n : 0;
}

static eip_status write_outputs(const eip_exp_combined_config *cfg, const group_meas *g, int ng,
                                double wall_s, eip_error *err)
{
    static const char *const cols[] = {"group", "case", "weights", "decoding", "licensee", "images",
                                       "accuracy", "named", "matched", "total"};
    eip_exp_table_t *t = NULL;
    eip_expe_text md = {0}, cv = {0};
    eip_status s = eip_exp_table_init(&t, cols, 10, err);
    for (int gi = 0; gi < ng && !s; gi++) {
        const group_meas *x = &g[gi];
        s = eip_exp_table_rowf(t, err, "%s\treference\tplaintext\towner codebook (ML)\t-\t%lld\t%.6f"
                               "\t-\t-\t-", x->group, (long long)x->test_n, x->ref_own);
        if (!s)
            s = eip_exp_table_rowf(t, err, "%s\tstolen\tencrypted\towner codebook (ML)\t-\t%lld\t%.6f"
                                   "\t-\t-\t-", x->group, (long long)x->test_n, x->stolen_own);
        for (int64_t j = 0; j < x->p && !s; j++) {
            const long long jj = (long long)j + 1, n = (long long)x->test_n;
            const long long vn = (long long)x->verif_n;
            if ((s = eip_exp_table_rowf(t, err, "%s\treference\tplaintext\tAlg. 2 + Dec(sk_j)\t%lld\t%lld"
                                        "\t%.6f\t-\t-\t-", x->group, jj, n, x->ref[j])) ||
                (s = eip_exp_table_rowf(t, err, "%s\tstolen\tencrypted\tAlg. 2 + Dec(sk_j)\t%lld\t%lld"
                                        "\t%.6f\t-\t-\t-", x->group, jj, n, x->stolen[j])) ||
                (s = eip_exp_table_rowf(t, err, "%s\tlicensee\tunlocked in memory\tAlg. 2 + Dec(sk_j)\t"
                                        "%lld\t%lld\t%.6f\t-\t-\t-", x->group, jj, n, x->lic[j])) ||
                (s = eip_exp_table_rowf(t, err, "%s\tleak, stolen file\tencrypted\ttrace (eq. 5)\t%lld"
                                        "\t%lld\t-\t%lld\t%lld\t%lld", x->group, jj, vn,
                                        (long long)x->leak_locked[j].named,
                                        (long long)x->leak_locked[j].matched,
                                        (long long)x->leak_locked[j].total)) ||
                (s = eip_exp_table_rowf(t, err, "%s\tleak, licensee deployment\tunlocked in memory\t"
                                        "trace (eq. 5)\t%lld\t%lld\t-\t%lld\t%lld\t%lld", x->group, jj,
                                        vn, (long long)x->leak_unlocked[j].named,
                                        (long long)x->leak_unlocked[j].matched,
                                        (long long)x->leak_unlocked[j].total)))
                break;
        }
    }
    eip_expe_text_add(&md, "# Combined protection: EncryIP outputs + AdvParams weights\n\n");
    eip_expe_text_add(&md, "Scale: %s (width %g) on %s, %lld training images, %lld test images "
                           "(seeded random subsets; 0 = all), %lld epochs, batch %lld, SGD Nesterov "
                           "lr %g wd %g cosine, seed %llu; P = %lld licensees; AdvParams: %lld "
                           "encryption images, budget %lld, %lld trials per step, %s objective; keys %s. "
                           "Wall time %.0f s.\n",
                      cfg->model, cfg->width, cfg->dataset, (long long)cfg->limit,
                      (long long)cfg->test_limit, (long long)cfg->epochs, (long long)cfg->batch, cfg->lr,
                      cfg->wd, (unsigned long long)cfg->seed, (long long)cfg->licensees,
                      (long long)cfg->enc_images, (long long)cfg->budget, (long long)cfg->trials,
                      eip_advparams_objective_name(cfg->objective),
                      cfg->crypto_seed >= 0 ? "from a seeded stream (reproducible, not secret)"
                                            : "from the CSPRNG (numbers vary between runs)", wall_s);
    if (cfg->out.command)
        eip_expe_text_add(&md, "\nCommand: `%s`\n", cfg->out.command);
    eip_expe_text_add(&md, "\nAccuracies on the test images; Alg. 2 + Dec(sk_j) = the deployed model's "
                           "confused label decrypted with licensee j's key (range over j = 1..P). "
                           "\"Owner codebook\" = the label of the codeword Φ^-1 picks: a thief who "
                           "holds every EncryIP secret but not the weights key. Traces: licensee j's "
                           "deployment queried on the verification instances (eq. 5).\n");
    eip_expe_text_add(&cv, "group,changed,enc_acc\n");
    for (int gi = 0; gi < ng; gi++) {
        const group_meas *x = &g[gi];
        char a[64], b[64], c[64], tl[256], tu[256];
        fmt_range(a, sizeof a, x->ref, x->p);
        fmt_range(b, sizeof b, x->stolen, x->p);
        fmt_range(c, sizeof c, x->lic, x->p);
        fmt_traces(tl, sizeof tl, x->leak_locked, x->p);
        fmt_traces(tu, sizeof tu, x->leak_unlocked, x->p);
        eip_expe_text_add(&md, "\n## %s group\n\nK = %lld outputs, %lld verification instances, %lld "
                               "training images; protect %.0f s, AdvParams %.0f s. AdvParams changed "
                               "**%lld of %lld parameters (%.5f%%)**; encryption-set accuracy (owner "
                               "codebook) %.4f -> %.4f, target %.4f %s.\n\n",
                          x->group, (long long)x->k, (long long)x->verif_n, (long long)x->train_n,
                          x->protect_s, x->adv_s, (long long)x->adv.changed, (long long)x->adv.n_params,
                          100.0 * (double)x->adv.changed / (double)x->adv.n_params, x->adv.acc_before,
                          x->adv.acc_after, x->target, x->adv.reached ? "reached" : "NOT reached");
        eip_expe_text_add(&md, "| case | weights | decoding | test accuracy | trace |\n"
                               "|---|---|---|---|---|\n");
        eip_expe_text_add(&md, "| protected, before AdvParams (reference) | plaintext | owner codebook "
                               "(ML) | %.4f | |\n", x->ref_own);
        eip_expe_text_add(&md, "| protected, before AdvParams (reference) | plaintext | Alg. 2 + "
                               "Dec(sk_j) | %s | |\n", a);
        eip_expe_text_add(&md, "| stolen file, no weights key | encrypted | owner codebook (ML) | "
                               "**%.4f** | |\n", x->stolen_own);
        eip_expe_text_add(&md, "| stolen file + licensee key sk_j | encrypted | Alg. 2 + Dec(sk_j) | "
                               "**%s** (mean %.4f) | deployed: %s |\n", b, mean(x->stolen, x->p), tl);
        eip_expe_text_add(&md, "| licensee (weights key + sk_j) | unlocked in memory, hash %s | Alg. 2 "
                               "+ Dec(sk_j) | **%s** (= reference: yes) | leaked deployment: %s |\n",
                          x->hash_equal ? "= original" : "DIFFERENT", c, tu);
        eip_expe_text_add(&md, "\nEncryption-set accuracy after 0, 1, ... changed parameters:");
        for (int64_t i = 0; i <= x->adv.changed; i++) {
            eip_expe_text_add(&md, " %.3f", x->adv.acc_curve[i]);
            eip_expe_text_add(&cv, "%s,%lld,%.6f\n", x->group, (long long)i, x->adv.acc_curve[i]);
        }
        eip_expe_text_add(&md, "\n");
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/combined.csv", cfg->out.dir);
    if (!s)
        s = eip_exp_table_write_csv(t, path, err);
    if (!s)
        s = eip_expe_text_write(&cv, cfg->out.dir, "combined_curve.csv", err);
    if (!s)
        s = eip_expe_text_write(&md, cfg->out.dir, "combined.md", err);
    eip_exp_table_free(t);
    eip_expe_text_free(&md);
    eip_expe_text_free(&cv);
    return s;
}

eip_status eip_exp_combined(const eip_exp_combined_config *cfg, eip_error *err)
{
    if (!cfg->out.dir || cfg->epochs < 1 || cfg->licensees < 1 || !(cfg->groups & 3) ||
        cfg->budget < 1 || cfg->enc_images < 1 || cfg->trials < 1)
        return eip_error_set(err, EIP_ERR_ARG, "experiment combined: an output directory, epochs, "
                             "licensees, a group, a budget and encryption images are required");
    const double t0 = eip_expe_now();
    eip_nn_ctx nn = {0};
    eip_data_set train = {0}, test_full = {0}, test = {0};
    group_meas g[2];
    memset(g, 0, sizeof g);
    int ng = 0;
    eip_status s = eip_crypto_init(err);
    if (!s)
        s = eip_nn_ctx_init(&nn, (int)cfg->threads, err);
    if (!s && cfg->precision == EIP_NN_BF16) /* refused (not fp32) without bf16: the tables say bf16 */
        s = eip_nn_ctx_set_precision(&nn, EIP_NN_BF16, err);
    if (!s)
        s = eip_data_load_limited(cfg->dataset, NULL, cfg->limit, &train, &test_full, err);
    if (!s)
        s = eip_data_set_subset_random(&test_full, cfg->test_limit, 0x54455354ull /* "TEST" */, &test, err);
    eip_expe_train tr;
    const eip_exp_encryip_recipe rc = {.width = cfg->width, .optim = EIP_TRAIN_OPTIM_SGD,
                                       .epochs = cfg->epochs, .lr = cfg->lr, .wd = cfg->wd};
    eip_expe_train_init(&tr, &nn, cfg->model, &train, &rc, cfg->batch, cfg->seed, cfg->out.log, t0);
    for (int gi = 0; gi < 2 && !s; gi++) {
        if (!(cfg->groups & (1 << gi)))
            continue;
        const eip_crypto_group_id grp = gi == 0 ? EIP_CRYPTO_GROUP_PAPER : EIP_CRYPTO_GROUP_RISTRETTO255;
        snprintf(tr.label, sizeof tr.label, "%s/%s %s", cfg->model, cfg->dataset,
                 eip_crypto_group_name(grp));
        logf_(cfg, "experiment combined: %s group: protect (%lld images, %lld epochs)\n",
              eip_crypto_group_name(grp), (long long)train.n, (long long)cfg->epochs);
        if ((s = run_group(cfg, &tr, &train, &test, grp, &g[ng], err))) {
            eip_error_prefix(err, "%s: ", tr.label);
            group_meas_free(&g[ng]);
            break;
        }
        char b[64];
        fmt_range(b, sizeof b, g[ng].stolen, g[ng].p);
        logf_(cfg, "  [%s] AdvParams %lld/%lld parameters, enc-set %.4f -> %.4f; stolen file %.4f "
                   "(owner codebook), %s (sk_j); licensee %.4f\n", tr.label,
              (long long)g[ng].adv.changed, (long long)g[ng].adv.n_params, g[ng].adv.acc_before,
              g[ng].adv.acc_after, g[ng].stolen_own, b, g[ng].lic[0]);
        ng++;
        s = write_outputs(cfg, g, ng, eip_expe_now() - t0, err);
    }
    for (int gi = 0; gi < ng; gi++)
        group_meas_free(&g[gi]);
    eip_data_set_free(&train);
    eip_data_set_free(&test_full);
    eip_data_set_free(&test);
    eip_nn_ctx_free(&nn);
    return s;
}
