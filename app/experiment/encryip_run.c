/* One (model, dataset, repeat) cell of EncryIP's Table 1 (paper section 5.1):
 *   original  train with hard labels, test accuracy;
 *   EncryIP   eip_protect_run (Algorithm 1, P licensees) in the paper group
 *             and/or ristretto255 with the same seed, net, epochs and
 *             hyper-parameters; then on the test set:
 *             - correct key: Algorithm 2 (forward, Φ^-1, SampDist with fresh
 *               randomness) + eq. (4) Dec(sk_j) for a random licensee j, with
 *               the ML decoder and the paper's arg-max (eq. 3);
 *             - "EncryIP_Incorrect": the same predicted ciphertexts decrypted
 *               with keys from other key generations (one Gen each);
 *             - verification (section 4.4, eq. 5): trials each picking a random
 *               leaking licensee j, simulating its deployment (Algorithm 2 +
 *               Dec(sk_j) on the verification instances) and checking that
 *               the trace names j; plus a deployment run with a wrong key,
 *               which should name nobody. */
#include <stdlib.h>
#include <string.h>

#include "experiment/encryip_internal.h"


void eip_exp_encryip_run_free(eip_exp_encryip_run *r)
{
    if (!r)
        return;
    free(r->curve);
    r->curve = NULL;
}

static void run_init(eip_exp_encryip_run *r, const char *model, double width, const char *dataset,
                     int64_t repeat, uint64_t seed, int method)
{
    memset(r, 0, sizeof *r);
    snprintf(r->model, sizeof r->model, "%s", model);
    snprintf(r->dataset, sizeof r->dataset, "%s", dataset);
    r->width = width;
    r->repeat = repeat;
    r->seed = seed;
    r->method = method;
    r->acc = r->acc_argmax = r->own_ml = r->verif_slot = -1;
    r->wrong_ml = r->wrong_argmax = r->wrong_min = r->wrong_max = r->wrong_nal = -1;
    r->verif_ml = r->verif_argmax = r->false_named = r->memorised = -1;
}

static eip_status copy_curve(eip_exp_encryip_run *r, const eip_train_history *h, eip_error *err)
{
    r->epochs = h->epochs;
    r->curve = malloc((size_t)(h->epochs > 0 ? h->epochs : 1) * sizeof *r->curve);
    if (!r->curve)
        return eip_error_set(err, EIP_ERR_NOMEM, "experiment: out of memory");
    r->train_s = 0;
    for (int64_t e = 0; e < h->epochs; e++) {
        r->curve[e] = h->test_acc[e];
        r->train_s += h->seconds[e];
    }
    return EIP_OK;
}

static eip_status run_original(const eip_exp_encryip_config *cfg, eip_expe_train *tr,
                               const eip_data_set *train, const eip_data_set *test,
                               const eip_data_set *evalset, eip_exp_encryip_run *r, eip_error *err)
{
    const double t0 = eip_expe_now();
    eip_nn_net_t *net = NULL;
    eip_train_fit_result fit = {0};
    eip_status s;
    eip_train_fit_config fc;
    eip_expe_fit_config(&fc, tr, train);
    fc.test = test;
    fc.eval_set = evalset;
    if ((s = eip_expe_build(tr, train->num_classes, &net, err)) ||
        (s = eip_train_fit(net, &fc, &fit, err)) || (s = copy_curve(r, &fit.history, err)))
        goto done;
    r->acc = fit.test_acc;
    r->train_n = train->n;
    r->test_n = test->n;
    r->k = train->num_classes;
    r->total_s = eip_expe_now() - t0;
    r->done = 1;
    (void)cfg;
done:
    eip_train_fit_result_free(&fit);
    eip_nn_net_free(net);
    return s;
}

/* Accuracy of decrypted labels lab [n] against ds labels; *nal = no-label rate. */
static double label_acc(const int32_t *lab, const eip_data_set *ds, int64_t n, double *nal)
{
    int64_t right = 0, none = 0;
    for (int64_t i = 0; i < n; i++) {
        right += lab[i] == ds->labels[i];
        none += lab[i] == EIP_CRYPTO_NOT_A_LABEL;
    }
    if (nal)
        *nal = n ? (double)none / (double)n : 0;
    return n ? (double)right / (double)n : 0;
}

typedef struct enc_bufs {
    float *y;          /* [N, K] */
    eip_crypto_ct *c;  /* [N] */
    int32_t *lab;      /* [N] */
    int64_t *slot;     /* [N] */
    eip_crypto_sk_t **wrong; /* [W] */
    int64_t n_wrong;
} enc_bufs;

static void enc_bufs_free(enc_bufs *b)
{
    free(b->y);
    free(b->c);
    free(b->lab);
    free(b->slot);
    for (int64_t i = 0; b->wrong && i < b->n_wrong; i++)
        eip_crypto_sk_free(b->wrong[i]);
    free(b->wrong);
    memset(b, 0, sizeof *b);
}

/* Keys from `n` independent key generations (same group, z and q). */
static eip_status wrong_keys(const eip_crypto_pk_t *pk, int64_t n, enc_bufs *b, eip_error *err)
{
    return eip_expe_foreign_keys(pk, n, &b->wrong, &b->n_wrong, err);
}

/* Test-set figures of a protected model: correct key (both decoders), the
 * model's own decoding, incorrect keys. */
static eip_status measure_test(eip_protect_model_t *m, const eip_protect_result *res,
                               const eip_data_set *test, int64_t j, enc_bufs *b,
                               eip_exp_encryip_run *r, eip_error *err)
{
    const int64_t n = test->n;
    eip_status s = eip_protect_forward(m, test->pixels, n, b->y, err);
    if (s)
        return s;
    double wsum[2] = {0, 0};
    for (int pass = 0; pass < 2 && !s; pass++) {
        eip_protect_model_set_decoder(m, pass == 0 ? EIP_CRYPTO_PHI_ML : EIP_CRYPTO_PHI_ARGMAX);
        if ((s = eip_protect_predict_outputs(m, b->y, n, NULL, b->c, b->slot, err)) ||
            (s = eip_protect_decrypt(m, res->sk[j - 1], 1, b->c, n, b->lab, err)))
            break;
        const double acc = label_acc(b->lab, test, n, NULL);
        if (pass == 0) {
            r->acc = acc;
            int64_t own = 0, vs = 0;
            for (int64_t i = 0; i < n; i++) {
                const int32_t l = eip_crypto_codebook_label(res->codebook, b->slot[i]);
                own += l == test->labels[i];
                vs += l == EIP_CRYPTO_NOT_A_LABEL;
            }
            r->own_ml = n ? (double)own / (double)n : 0;
            r->verif_slot = n ? (double)vs / (double)n : 0;
        } else {
            r->acc_argmax = acc;
        }
        for (int64_t w = 0; w < b->n_wrong && !s; w++) {
            if ((s = eip_protect_decrypt(m, b->wrong[w], 0, b->c, n, b->lab, err)))
                break;
            double nal = 0, wa = label_acc(b->lab, test, n, &nal);
            wsum[pass] += wa;
            if (pass == 0) {
                if (w == 0 || wa < r->wrong_min)
                    r->wrong_min = wa;
                if (w == 0 || wa > r->wrong_max)
                    r->wrong_max = wa;
                r->wrong_nal = (w == 0 ? 0 : r->wrong_nal) + nal / (double)b->n_wrong;
                r->wrong_equiv += wa >= 0.9 * r->acc;
            }
        }
    }
    if (b->n_wrong > 0) {
        r->wrong_ml = wsum[0] / (double)b->n_wrong;
        r->wrong_argmax = wsum[1] / (double)b->n_wrong;
    }
    r->wrong_keys = b->n_wrong;
    eip_protect_model_set_decoder(m, EIP_CRYPTO_PHI_ML);
    return s;
}

/* Section 4.4 "secret key unavailable": trials with a random leaking
 * licensee; returns the rates in r. */
static eip_status measure_verif(const eip_exp_encryip_config *cfg, eip_protect_model_t *m,
                                const eip_protect_result *res, uint64_t seed, enc_bufs *b,
                                eip_exp_encryip_run *r, eip_error *err)
{
    const eip_protect_verif *v = &res->verif;
    eip_crypto_ct *c = malloc((size_t)v->n * sizeof *c);
    int32_t *printed = malloc((size_t)v->n * sizeof *printed);
    eip_status s = EIP_OK;
    if (!c || !printed) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "experiment: out of memory");
        goto done;
    }
    eip_data_rng rng;
    eip_data_rng_seed(&rng, seed ^ 0x5645524946ull /* "VERIF" */);
    int64_t hit[2] = {0, 0}, falsen = 0;
    for (int64_t t = 0; t < cfg->trials && !s; t++) {
        const int64_t j = 1 + (int64_t)eip_data_rng_below(&rng, (uint64_t)res->licensees);
        for (int pass = 0; pass < 2 && !s; pass++) {
            eip_protect_trace_result tr = {0};
            eip_protect_model_set_decoder(m, pass == 0 ? EIP_CRYPTO_PHI_ML : EIP_CRYPTO_PHI_ARGMAX);
            if ((s = eip_protect_predict(m, v->images.pixels, v->n, NULL, c, NULL, err)) ||
                (s = eip_protect_decrypt(m, res->sk[j - 1], 1, c, v->n, printed, err)) ||
                (s = eip_protect_trace_keys(res->sk, res->licensees, v, printed, &tr, err)))
                break;
            hit[pass] += tr.named == j; /* eq. (5) names the leaking licensee */
            eip_protect_trace_result_free(&tr);
        }
        if (s || b->n_wrong < 1)
            continue;
        /* a deployment decrypting with a key of another Gen: nobody to name */
        eip_protect_trace_result tr = {0};
        eip_protect_model_set_decoder(m, EIP_CRYPTO_PHI_ML);
        if ((s = eip_protect_predict(m, v->images.pixels, v->n, NULL, c, NULL, err)) ||
            (s = eip_protect_decrypt(m, b->wrong[t % b->n_wrong], 0, c, v->n, printed, err)) ||
            (s = eip_protect_trace_keys(res->sk, res->licensees, v, printed, &tr, err)))
            break;
        falsen += tr.named != 0;
        eip_protect_trace_result_free(&tr);
    }
    if (!s && cfg->trials > 0) {
        r->verif_ml = (double)hit[0] / (double)cfg->trials;
        r->verif_argmax = (double)hit[1] / (double)cfg->trials;
        r->false_named = b->n_wrong > 0 ? (double)falsen / (double)cfg->trials : -1;
    }
done:
    eip_protect_model_set_decoder(m, EIP_CRYPTO_PHI_ML);
    free(c);
    free(printed);
    return s;
}

static eip_status run_encryip(const eip_exp_encryip_config *cfg, eip_expe_train *tr,
                              const eip_data_set *train, const eip_data_set *test,
                              eip_crypto_group_id group, eip_exp_encryip_run *r, eip_error *err)
{
    const double t0 = eip_expe_now();
    eip_protect_result res = {0};
    eip_protect_model_t *m = NULL;
    enc_bufs b = {0};
    eip_protect_config pc;
    eip_expe_protect_config(&pc, tr, train, test, group, cfg->licensees, cfg->verif_count,
                            tr->verif_reps, cfg->eval_limit);
    eip_status s = eip_protect_run(&pc, &res, err);
    if (s)
        return s;
    const int64_t n = test->n;
    if ((s = copy_curve(r, &res.history, err)) ||
        (s = eip_protect_model_from_result(&res, &m, err)))
        goto done;
    b.y = malloc((size_t)n * (size_t)res.k * sizeof *b.y);
    b.c = malloc((size_t)n * sizeof *b.c);
    b.lab = malloc((size_t)n * sizeof *b.lab);
    b.slot = malloc((size_t)n * sizeof *b.slot);
    if (!b.y || !b.c || !b.lab || !b.slot) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "experiment: out of memory");
        goto done;
    }
    eip_data_rng pick;
    eip_data_rng_seed(&pick, tr->seed ^ 0x4b4559ull /* "KEY" */);
    const int64_t j = 1 + (int64_t)eip_data_rng_below(&pick, (uint64_t)res.licensees);
    if ((s = wrong_keys(res.pk, cfg->wrong_keys, &b, err)) ||
        (s = measure_test(m, &res, test, j, &b, r, err)) ||
        (s = measure_verif(cfg, m, &res, tr->seed, &b, r, err)))
        goto done;
    r->train_n = res.train_n;
    r->test_n = n;
    r->k = res.k;
    r->verif_n = res.verif.n;
    r->verif_reps = res.verif_reps;
    r->memorised = res.verif_memorised;
    r->total_s = eip_expe_now() - t0;
    r->done = 1;
done:
    enc_bufs_free(&b);
    eip_protect_model_free(m);
    eip_protect_result_free(&res);
    return s;
}

eip_status eip_exp_encryip_run_cell(const eip_exp_encryip_config *cfg, eip_nn_ctx *nn,
                                    const char *model, const eip_exp_encryip_recipe *recipe,
                                    const eip_data_set *train,
                                    const eip_data_set *test, const char *dataset, int64_t repeat,
                                    double t_start, eip_exp_encryip_run out[EIP_EXP_ENCRYIP_METHODS],
                                    eip_error *err)
{
    const uint64_t seed = cfg->seed + (uint64_t)repeat;
    for (int k = 0; k < EIP_EXP_ENCRYIP_METHODS; k++)
        run_init(&out[k], model, recipe->width, dataset, repeat, seed, k);
    eip_expe_train tr;
    eip_expe_train_init(&tr, nn, model, train, recipe, cfg->batch, seed, cfg->out.log, t_start);
    eip_data_set evalset = {0};
    const int64_t ne = cfg->eval_limit > 0 && cfg->eval_limit < test->n ? cfg->eval_limit : test->n;
    eip_status s = eip_data_set_subset_random(test, ne, 0x4556414cull /* "EVAL" */, &evalset, err);
    for (int k = 0; k < EIP_EXP_ENCRYIP_METHODS && !s; k++) {
        if (k == EIP_EXP_ENCRYIP_PAPER && !(cfg->groups & 1))
            continue;
        if (k == EIP_EXP_ENCRYIP_RISTRETTO && !(cfg->groups & 2))
            continue;
        snprintf(tr.label, sizeof tr.label, "%s/%s r%lld %s", model, dataset, (long long)repeat + 1,
                 eip_exp_encryip_method_name(k));
        if (k == EIP_EXP_ENCRYIP_ORIGINAL)
            s = run_original(cfg, &tr, train, test, &evalset, &out[k], err);
        else
            s = run_encryip(cfg, &tr, train, test,
                            k == EIP_EXP_ENCRYIP_PAPER ? EIP_CRYPTO_GROUP_PAPER
                                                       : EIP_CRYPTO_GROUP_RISTRETTO255,
                            &out[k], err);
        if (s)
            eip_error_prefix(err, "%s: ", tr.label);
        else if (cfg->out.log) {
            const eip_exp_encryip_run *r = &out[k];
            if (k == EIP_EXP_ENCRYIP_ORIGINAL)
                fprintf(cfg->out.log, "  [%s] test accuracy %.4f, training %.1f s\n", tr.label, r->acc,
                        r->train_s);
            else
                fprintf(cfg->out.log,
                        "  [%s] correct key %.4f (ML) %.4f (arg-max), own %.4f, incorrect key %.4f "
                        "(ML, %lld keys, %lld equivalent), verification %.2f (ML) %.2f (arg-max), "
                        "training %.1f s\n",
                        tr.label, r->acc, r->acc_argmax, r->own_ml, r->wrong_ml,
                        (long long)r->wrong_keys, (long long)r->wrong_equiv, r->verif_ml,
                        r->verif_argmax, r->train_s);
            fflush(cfg->out.log);
        }
    }
    eip_data_set_free(&evalset);
    if (s)
        for (int k = 0; k < EIP_EXP_ENCRYIP_METHODS; k++)
            eip_exp_encryip_run_free(&out[k]);
    return s;
}
