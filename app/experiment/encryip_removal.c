/* Removal by consecutive fine-tuning (EncryIP section 5.3, Figures 6 and 7):
 * the protected model's training set is split into `parts` disjoint parts
 * and the model is fine-tuned on part 1, then part 2, ... (each round starts
 * from the previous round's weights).  Two attackers, each from the same
 * protected weights:
 *   paper   the paper's: "the training procedure follows Algorithm 1" —
 *           the owner's codeword of each true label as the target (the
 *           confused labels the model was trained with), no verification
 *           replicas;
 *   leaker  a leaking licensee j with its key, the deployed weights and
 *           unlabelled images: each image labelled by j's own deployment of
 *           the protected model (Algorithm 2 + Dec(sk_j)), the target of
 *           label y = the codeword j's key reads as y that the model uses
 *           most for those images (eip_protect_leaker_targets: the only
 *           mapping back to the output space j can compute; the slot order
 *           is secret).  Images decrypting to no label are dropped.
 * After every round (round 0 = the protected model): decrypted test
 * accuracy (j's key, ML decoder), the owner codebook's reading, the
 * verification instances still decoded to their own ciphertext, and
 * traces (eq. 5, eip_protect_trace_keys) of every licensee's deployment of
 * the fine-tuned model and of deployments decrypting with foreign keys. */
#include <stdlib.h>
#include <string.h>

#include "experiment/encryip_internal.h"

void eip_exp_removal_config_default(eip_exp_removal_config *c)
{
    memset(c, 0, sizeof *c);
    static const char *const models[] = {"resnet18", "alexnet"};
    c->n_models = 2;
    for (int i = 0; i < 2; i++) {
        snprintf(c->models[i], sizeof c->models[i], "%s", models[i]);
        c->recipes[i] = eip_exp_encryip_recipe_default(models[i]);
    }
    c->n_datasets = 2;
    snprintf(c->datasets[0], sizeof c->datasets[0], "fashion-mnist");
    snprintf(c->datasets[1], sizeof c->datasets[1], "mnist");
    c->groups = 3;
    c->attackers = 3;
    c->limit = 6000;
    c->test_limit = 2000;
    c->parts = 5;
    c->ft_epochs = 3;
    c->ft_lr_factor = 0.1;
    c->batch = 128;
    c->licensees = 3;
    c->foreign_keys = 3;
    c->threads = 2;
    c->seed = 1;
    c->out.plots = 1;
}

/* Everything one cell needs besides the config. */
typedef struct cell {
    const eip_exp_removal_config *cfg;
    eip_expe_train tr;
    eip_protect_result res;
    eip_protect_model_t *m;
    eip_crypto_sk_t **foreign;  /* [n_foreign] keys of other key generations */
    int64_t n_foreign;
    int64_t leaker;             /* j, 1-based */
    float *snap_p, *snap_b;     /* the protected weights: params, buffers */
    int64_t *snap_c;            /* BN counters */
    int64_t np, nb, nc;
    eip_crypto_ct *vc;          /* [V] */
    int32_t *printed;           /* [V] */
    float *vy;                  /* [V, K] */
} cell;

static void cell_free(cell *c)
{
    for (int64_t i = 0; c->foreign && i < c->n_foreign; i++)
        eip_crypto_sk_free(c->foreign[i]);
    free(c->foreign);
    free(c->snap_p);
    free(c->snap_b);
    free(c->snap_c);
    free(c->vc);
    free(c->printed);
    free(c->vy);
    eip_protect_model_free(c->m);
    eip_protect_result_free(&c->res);
}

/* Snapshot (save = 1) or restore (save = 0) of every weight of the net. */
static eip_status weights(cell *c, int save, eip_error *err)
{
    eip_nn_net_t *net = c->res.net;
    float *p = eip_nn_params(net, &c->np), *b = eip_nn_buffers(net, &c->nb);
    int64_t *k = eip_nn_counters(net, &c->nc);
    if (save) {
        c->snap_p = malloc((size_t)(c->np > 0 ? c->np : 1) * sizeof *p);
        c->snap_b = malloc((size_t)(c->nb > 0 ? c->nb : 1) * sizeof *b);
        c->snap_c = malloc((size_t)(c->nc > 0 ? c->nc : 1) * sizeof *k);
        if (!c->snap_p || !c->snap_b || !c->snap_c)
            return eip_error_set(err, EIP_ERR_NOMEM, "experiment removal: out of memory");
    }
    if (c->np)
        memcpy(save ? c->snap_p : p, save ? p : c->snap_p, (size_t)c->np * sizeof *p);
    if (c->nb)
        memcpy(save ? c->snap_b : b, save ? b : c->snap_b, (size_t)c->nb * sizeof *b);
    if (c->nc)
        memcpy(save ? c->snap_c : k, save ? k : c->snap_c, (size_t)c->nc * sizeof *k);
    if (!save)
        eip_nn_mark_dirty(net);
    return EIP_OK;
}

/* Deployment of the current model decrypting with sk (Algorithm 2 +
 * eq. (4) on the verification images), traced with every licensee's key. */
static eip_status trace_with(cell *c, const eip_crypto_sk_t *sk, int check_key,
                             eip_protect_trace_result *tr, eip_error *err)
{
    const eip_protect_verif *v = &c->res.verif;
    eip_status s;
    if ((s = eip_protect_predict(c->m, v->images.pixels, v->n, NULL, c->vc, NULL, err)) ||
        (s = eip_protect_decrypt(c->m, sk, check_key, c->vc, v->n, c->printed, err)))
        return s;
    return eip_protect_trace_keys(c->res.sk, c->res.licensees, v, c->printed, tr, err);
}

/* The figures of one point for the model as it is now. */
static eip_status measure(cell *c, const eip_data_set *test, eip_exp_removal_point *pt, eip_error *err)
{
    const eip_protect_result *r = &c->res;
    eip_protect_accuracy a;
    eip_status s = eip_protect_decode_accuracy(c->m, r->sk[c->leaker - 1], r->codebook, test, NULL, &a, err);
    if (s)
        return s;
    pt->acc_key = a.key_ml;
    pt->acc_own = a.codebook_ml;
    pt->verif_slot = a.verif_slot;
    int64_t hits = 0;
    if ((s = eip_protect_forward(c->m, r->verif.images.pixels, r->verif.n, c->vy, err)) ||
        (s = eip_protect_memorised_outputs(r->pk, r->codebook, &r->verif, c->vy, r->k, NULL, &hits, err)))
        return s;
    pt->memorised = r->verif.n ? (double)hits / (double)r->verif.n : 0;
    pt->leaker = c->leaker;
    pt->licensees = r->licensees;
    pt->traced = 0;
    for (int64_t j = 1; j <= r->licensees && !s; j++) {
        eip_protect_trace_result tr = {0};
        if ((s = trace_with(c, r->sk[j - 1], 1, &tr, err)))
            break;
        pt->traced += tr.named == j;
        if (j == c->leaker) {
            pt->leaker_named = tr.named;
            for (int64_t k = 0; k < tr.licensees; k++)
                if (tr.id[k] == j) {
                    pt->leaker_matched = tr.matched[k];
                    pt->leaker_total = tr.total[k];
                }
        }
        eip_protect_trace_result_free(&tr);
    }
    pt->foreign = c->n_foreign;
    pt->foreign_named = 0;
    for (int64_t w = 0; w < c->n_foreign && !s; w++) {
        eip_protect_trace_result tr = {0};
        if ((s = trace_with(c, c->foreign[w], 0, &tr, err)))
            break;
        pt->foreign_named += tr.named != 0;
        eip_protect_trace_result_free(&tr);
    }
    return s;
}

/* Algorithm 1's targets of the labels: row y = Φ(c_y) of the owner's
 * codeword of label y (paper group: 3 blocks; ristretto255: one-hot over
 * the codebook slots).  table: malloc'd [z, K]. */
static eip_status owner_targets(const eip_protect_result *r, float **table, eip_train_targets *tg,
                                eip_error *err)
{
    const int32_t z = eip_crypto_pk_classes(r->pk);
    const int paper = eip_crypto_pk_group(r->pk) == EIP_CRYPTO_GROUP_PAPER;
    float *t = calloc((size_t)z * (size_t)r->k, sizeof *t);
    if (!t)
        return eip_error_set(err, EIP_ERR_NOMEM, "experiment removal: out of memory");
    eip_status s = EIP_OK;
    for (int32_t y = 0; y < z && !s; y++) {
        const int64_t sl = eip_crypto_codebook_label_slot(r->codebook, y);
        if (sl < 0)
            s = eip_error_set(err, EIP_ERR_STATE, "the owner codebook has no codeword for label %d", (int)y);
        else
            s = eip_crypto_phi(r->pk, r->codebook, eip_crypto_codebook_ct(r->codebook, sl),
                               t + (size_t)y * (size_t)r->k, err);
    }
    if (s) {
        free(t);
        return s;
    }
    *tg = (eip_train_targets){paper ? EIP_TRAIN_TARGET_BLOCK : EIP_TRAIN_TARGET_SOFT, paper ? 3 : 0, z, t};
    *table = t;
    return EIP_OK;
}

/* The leaker's labels of every training image: its deployment of the
 * protected model (Algorithm 2 with fresh SampDist + Dec(sk_j)).  lab [N]. */
static eip_status leaker_labels(cell *c, const eip_data_set *train, int32_t *lab, eip_error *err)
{
    eip_crypto_ct *ct = malloc((size_t)(train->n > 0 ? train->n : 1) * sizeof *ct);
    if (!ct)
        return eip_error_set(err, EIP_ERR_NOMEM, "experiment removal: out of memory");
    eip_status s = eip_protect_predict(c->m, train->pixels, train->n, NULL, ct, NULL, err);
    if (!s)
        s = eip_protect_decrypt(c->m, c->res.sk[c->leaker - 1], 1, ct, train->n, lab, err);
    free(ct);
    return s;
}

/* Part p of the training set: images idx[lo..hi) of the seeded
 * permutation, labels = the true ones (lab NULL) or the leaker's (images
 * whose decryption is no label dropped, *dropped counts them). */
static eip_status part_set(const eip_data_set *train, const int64_t *perm, int64_t lo, int64_t hi,
                           const int32_t *lab, eip_data_set *out, int64_t *dropped, double *agree,
                           eip_error *err)
{
    int64_t *idx = malloc((size_t)(hi - lo > 0 ? hi - lo : 1) * sizeof *idx);
    if (!idx)
        return eip_error_set(err, EIP_ERR_NOMEM, "experiment removal: out of memory");
    int64_t k = 0, same = 0;
    for (int64_t i = lo; i < hi; i++) {
        if (lab && lab[perm[i]] == EIP_CRYPTO_NOT_A_LABEL)
            continue;
        idx[k++] = perm[i];
        same += lab && lab[perm[i]] == train->labels[perm[i]];
    }
    *dropped = (hi - lo) - k;
    *agree = lab && hi > lo ? (double)same / (double)(hi - lo) : -1;
    eip_status s = eip_data_set_subset_indices(train, idx, k, out, err);
    if (!s && lab)
        for (int64_t i = 0; i < k; i++)
            out->labels[i] = lab[idx[i]];
    free(idx);
    return s;
}

/* One fine-tuning round on `part`: the model's recipe (optimiser, wd,
 * cosine) at ft_lr_factor x its lr for ft_epochs, no warm-up, batch as the
 * protect run, normalised with the protected model's statistics. */
static eip_status finetune(cell *c, const eip_data_set *part, const eip_train_targets *tg,
                           uint64_t seed, double *secs, eip_error *err)
{
    const eip_exp_removal_config *cfg = c->cfg;
    eip_data_loader_cfg lc;
    eip_status s = eip_data_loader_cfg_default(&lc, part, cfg->batch, seed, err);
    if (s)
        return s;
    for (int32_t ch = 0; ch < part->c; ch++) {
        lc.mean[ch] = c->res.mean[ch];
        lc.std[ch] = c->res.std[ch];
    }
    lc.normalize = 1;
    eip_train_fit_config fc;
    memset(&fc, 0, sizeof fc);
    fc.train = part;
    fc.targets = tg;
    fc.loader = &lc;
    fc.recipe = eip_expe_recipe(&c->tr);
    fc.recipe.epochs = cfg->ft_epochs;
    fc.recipe.lr *= cfg->ft_lr_factor;
    fc.recipe.warmup = 0;
    fc.batch = cfg->batch;
    fc.seed = seed;
    fc.init = 0;
    eip_nn_set_dropout_seed(c->res.net, seed);
    eip_train_fit_result fit;
    const double t0 = eip_expe_now();
    if ((s = eip_train_fit(c->res.net, &fc, &fit, err)))
        return s;
    *secs = eip_expe_now() - t0;
    eip_train_fit_result_free(&fit);
    eip_nn_mark_dirty(c->res.net);
    return EIP_OK;
}

static void point_init(eip_exp_removal_point *pt, const cell *c, const char *model, const char *dataset,
                       int group, int attacker, int64_t round)
{
    memset(pt, 0, sizeof *pt);
    snprintf(pt->model, sizeof pt->model, "%s", model);
    snprintf(pt->dataset, sizeof pt->dataset, "%s", dataset);
    pt->width = c->tr.width;
    pt->group = group;
    pt->attacker = attacker;
    pt->round = round;
    pt->label_agree = pt->protect_acc = -1;
}

static void log_point(const cell *c, const eip_exp_removal_point *pt)
{
    if (!c->cfg->out.log)
        return;
    fprintf(c->cfg->out.log,
            "  [%s] %s attacker, round %lld (%lld images, %.1f s): key acc %.4f, own %.4f, memorised "
            "%.2f, leaker %lld: named %lld (%lld/%lld), traced %lld/%lld, foreign named %lld/%lld\n",
            c->tr.label, eip_exp_removal_attacker_name(pt->attacker), (long long)pt->round,
            (long long)pt->part_n, pt->ft_s, pt->acc_key, pt->acc_own, pt->memorised, (long long)pt->leaker,
            (long long)pt->leaker_named, (long long)pt->leaker_matched, (long long)pt->leaker_total,
            (long long)pt->traced, (long long)pt->licensees, (long long)pt->foreign_named,
            (long long)pt->foreign);
    fflush(c->cfg->out.log);
}

/* The rounds of one attacker from the protected weights; pts [1 + parts]. */
static eip_status run_attacker(cell *c, int attacker, const eip_data_set *train, const eip_data_set *test,
                               const int64_t *perm, const int32_t *lab, const eip_train_targets *tg,
                               const eip_exp_removal_point *round0, eip_exp_removal_point *pts,
                               eip_error *err)
{
    const eip_exp_removal_config *cfg = c->cfg;
    eip_status s = weights(c, 0, err);
    pts[0] = *round0;
    pts[0].attacker = attacker;
    for (int64_t p = 0; p < cfg->parts && !s; p++) {
        eip_exp_removal_point *pt = &pts[p + 1];
        point_init(pt, c, round0->model, round0->dataset, round0->group, attacker, p + 1);
        eip_data_set part = {0};
        const int64_t lo = p * train->n / cfg->parts, hi = (p + 1) * train->n / cfg->parts;
        s = part_set(train, perm, lo, hi, attacker == EIP_EXP_REMOVAL_LEAKER ? lab : NULL, &part,
                     &pt->dropped, &pt->label_agree, err);
        pt->part_n = part.n;
        if (!s && part.n > 0)
            s = finetune(c, &part, tg, cfg->seed + 1000 * (uint64_t)(p + 1) + (uint64_t)attacker, &pt->ft_s,
                         err);
        eip_data_set_free(&part);
        if (!s)
            s = measure(c, test, pt, err);
        if (!s)
            log_point(c, pt);
    }
    return s;
}

eip_status eip_exp_removal_cell(const eip_exp_removal_config *cfg, eip_nn_ctx *nn, const char *model,
                                const eip_exp_encryip_recipe *recipe, const eip_data_set *train,
                                const eip_data_set *test, const char *dataset, int group,
                                eip_exp_removal_point **pts, int64_t *n_pts, eip_error *err)
{
    *pts = NULL;
    *n_pts = 0;
    if (cfg->parts < 1 || cfg->parts > train->n || cfg->ft_epochs < 1 || !(cfg->ft_lr_factor > 0) ||
        cfg->licensees < 1 || cfg->foreign_keys < 0 || !(cfg->attackers & 3))
        return eip_error_set(err, EIP_ERR_ARG, "experiment removal: parts %lld (1..%lld training images), "
                             "ft epochs %lld (>= 1), lr factor %g (> 0), licensees %lld (>= 1), foreign keys "
                             "%lld (>= 0), at least one attacker",
                             (long long)cfg->parts, (long long)train->n, (long long)cfg->ft_epochs,
                             cfg->ft_lr_factor, (long long)cfg->licensees, (long long)cfg->foreign_keys);
    cell c;
    memset(&c, 0, sizeof c);
    c.cfg = cfg;
    eip_expe_train_init(&c.tr, nn, model, train, recipe, cfg->batch, cfg->seed, cfg->out.log, 0);
    snprintf(c.tr.label, sizeof c.tr.label, "%s/%s %s", model, dataset, eip_exp_encryip_method_name(group));
    eip_protect_config pc;
    eip_expe_protect_config(&pc, &c.tr, train, test,
                            group == EIP_EXP_ENCRYIP_PAPER ? EIP_CRYPTO_GROUP_PAPER
                                                           : EIP_CRYPTO_GROUP_RISTRETTO255,
                            cfg->licensees, cfg->verif_count, recipe->verif_reps, 1000);
    int64_t *perm = malloc((size_t)train->n * sizeof *perm);
    int32_t *lab = malloc((size_t)train->n * sizeof *lab);
    float *owner_t = NULL, *leaker_t = NULL;
    eip_data_set relab = {0};
    eip_exp_removal_point *out = calloc((size_t)(EIP_EXP_REMOVAL_ATTACKERS * (cfg->parts + 1)), sizeof *out);
    if (!perm || !lab || !out) {
        free(perm);
        free(lab);
        free(out);
        return eip_error_set(err, EIP_ERR_NOMEM, "experiment removal: out of memory");
    }
    eip_status s = eip_protect_run(&pc, &c.res, err);
    const int64_t v = c.res.verif.n;
    if (!s && !(c.vc = malloc((size_t)v * sizeof *c.vc)))
        s = eip_error_set(err, EIP_ERR_NOMEM, "experiment removal: out of memory");
    if (!s && !(c.printed = malloc((size_t)v * sizeof *c.printed)))
        s = eip_error_set(err, EIP_ERR_NOMEM, "experiment removal: out of memory");
    if (!s && !(c.vy = malloc((size_t)v * (size_t)c.res.k * sizeof *c.vy)))
        s = eip_error_set(err, EIP_ERR_NOMEM, "experiment removal: out of memory");
    if (!s)
        s = eip_protect_model_from_result(&c.res, &c.m, err);
    if (!s)
        s = eip_expe_foreign_keys(c.res.pk, cfg->foreign_keys, &c.foreign, &c.n_foreign, err);
    if (!s)
        s = weights(&c, 1, err);
    if (s)
        goto done;
    /* the leaking licensee (and the key of every accuracy figure) */
    eip_data_rng rng;
    eip_data_rng_seed(&rng, cfg->seed ^ 0x4b4559ull /* "KEY" */);
    c.leaker = 1 + (int64_t)eip_data_rng_below(&rng, (uint64_t)c.res.licensees);
    /* the parts: a seeded permutation of the training set cut in `parts` */
    for (int64_t i = 0; i < train->n; i++)
        perm[i] = i;
    eip_data_rng_seed(&rng, cfg->seed ^ 0x5041525453ull /* "PARTS" */);
    eip_data_rng_shuffle(&rng, perm, train->n);
    eip_exp_removal_point r0;
    point_init(&r0, &c, model, dataset, group, 0, 0);
    r0.protect_acc = c.res.test_acc_ml;
    if ((s = measure(&c, test, &r0, err)))
        goto done;
    log_point(&c, &r0);
    for (int a = 0; a < EIP_EXP_REMOVAL_ATTACKERS && !s; a++) {
        if (!(cfg->attackers & (1 << a)))
            continue;
        eip_train_targets tg;
        if (a == EIP_EXP_REMOVAL_PAPER) {
            s = owner_targets(&c.res, &owner_t, &tg, err);
        } else {
            /* labels and targets from the protected model, before any
             * fine-tuning: the leaker keeps its original deployment */
            int64_t *keep = malloc((size_t)train->n * sizeof *keep), k = 0;
            if (!keep) {
                s = eip_error_set(err, EIP_ERR_NOMEM, "experiment removal: out of memory");
                break;
            }
            if (!(s = weights(&c, 0, err)) && !(s = leaker_labels(&c, train, lab, err))) {
                for (int64_t i = 0; i < train->n; i++)
                    if (lab[i] != EIP_CRYPTO_NOT_A_LABEL)
                        keep[k++] = i;
                s = eip_data_set_subset_indices(train, keep, k, &relab, err);
                for (int64_t i = 0; !s && i < k; i++)
                    relab.labels[i] = lab[keep[i]];
            }
            free(keep);
            if (!s)
                s = eip_protect_leaker_targets(c.m, c.res.sk[c.leaker - 1], &relab, &leaker_t, &tg, err);
        }
        if (!s)
            s = run_attacker(&c, a, train, test, perm, lab, &tg, &r0, out + (size_t)a * (size_t)(cfg->parts + 1),
                             err);
    }
    if (s)
        goto done;
    /* compact: only the attackers that ran */
    int64_t n = 0;
    for (int a = 0; a < EIP_EXP_REMOVAL_ATTACKERS; a++)
        if (cfg->attackers & (1 << a))
            for (int64_t r = 0; r <= cfg->parts; r++)
                out[n++] = out[(size_t)a * (size_t)(cfg->parts + 1) + (size_t)r];
    *pts = out;
    *n_pts = n;
    out = NULL;
done:
    if (s)
        eip_error_prefix(err, "%s: ", c.tr.label);
    free(out);
    free(perm);
    free(lab);
    free(owner_t);
    free(leaker_t);
    eip_data_set_free(&relab);
    cell_free(&c);
    return s;
}

eip_status eip_exp_removal(const eip_exp_removal_config *cfg, eip_error *err)
{
    if (cfg->n_models < 1 || cfg->n_datasets < 1 || !(cfg->groups & 3) || !cfg->out.dir)
        return eip_error_set(err, EIP_ERR_ARG, "experiment removal: models, datasets, a group and an "
                             "output directory are required");
    eip_exp_removal_point *all = NULL;
    int64_t n_all = 0;
    eip_nn_ctx nn = {0};
    eip_status s = eip_crypto_init(err);
    if (!s)
        s = eip_nn_ctx_init(&nn, (int)cfg->threads, err);
    const double t0 = eip_expe_now();
    for (int d = 0; d < cfg->n_datasets && !s; d++) {
        eip_data_set train = {0}, test = {0}, test_full = {0};
        if ((s = eip_data_load_limited(cfg->datasets[d], NULL, cfg->limit, &train, &test_full, err)))
            break;
        const int64_t nt = cfg->test_limit > 0 && cfg->test_limit < test_full.n ? cfg->test_limit : test_full.n;
        s = eip_data_set_subset_random(&test_full, nt, 0x54455354ull /* "TEST" */, &test, err);
        eip_data_set_free(&test_full);
        for (int mi = 0; mi < cfg->n_models && !s; mi++)
            for (int g = 0; g < 2 && !s; g++) {
                if (!(cfg->groups & (1 << g)))
                    continue;
                const int group = g == 0 ? EIP_EXP_ENCRYIP_PAPER : EIP_EXP_ENCRYIP_RISTRETTO;
                if (cfg->out.log) {
                    fprintf(cfg->out.log, "experiment removal: %s (w=%g) on %s (%lld training, %lld test "
                                      "images), %s group; elapsed %.0f s\n",
                            cfg->models[mi], cfg->recipes[mi].width, cfg->datasets[d], (long long)train.n,
                            (long long)test.n, eip_exp_encryip_method_name(group), eip_expe_now() - t0);
                    fflush(cfg->out.log);
                }
                eip_exp_removal_point *p = NULL;
                int64_t np = 0;
                s = eip_exp_removal_cell(cfg, &nn, cfg->models[mi], &cfg->recipes[mi], &train, &test,
                                         cfg->datasets[d], group, &p, &np, err);
                if (s)
                    break;
                eip_exp_removal_point *grown = realloc(all, (size_t)(n_all + np) * sizeof *all);
                if (!grown) {
                    free(p);
                    s = eip_error_set(err, EIP_ERR_NOMEM, "experiment removal: out of memory");
                    break;
                }
                all = grown;
                memcpy(all + n_all, p, (size_t)np * sizeof *p);
                n_all += np;
                free(p);
                s = eip_exp_removal_write(cfg, all, n_all, eip_expe_now() - t0, err);
            }
        eip_data_set_free(&train);
        eip_data_set_free(&test);
    }
    if (cfg->out.log && !s)
        fprintf(cfg->out.log, "experiment removal: done in %.0f s; outputs in %s\n", eip_expe_now() - t0,
                cfg->out.dir);
    free(all);
    eip_nn_ctx_free(&nn);
    return s;
}
