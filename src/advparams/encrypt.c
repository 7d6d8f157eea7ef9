/* AdvParams encryption and decryption (docs/DESIGN.md "AdvParams").
 *
 * Greedy, gradient-guided parameter perturbation (the paper encrypts by
 * adding adversarial perturbations to a few parameters, no retraining):
 *   repeat until the encryption-set accuracy <= target or budget spent:
 *     g = d(objective over the still-correct rows)/d(params)   (EVAL_GRAD: BN
 *         running statistics, what the deployed model computes); objective =
 *         mean (runner-up - target) logit margin (default) or the loss
 *     for every candidate parameter i of tensor T (not a min/max position of T):
 *         b_i = hi_T if g_i > 0 else lo_T        (range rule: stay inside T's range)
 *         v_i = w_i + reach * (b_i - w_i)
 *         score_i = g_i * (v_i - w_i)            (first-order loss increase)
 *     try the `trials` best-scored for real (forward pass), keep the one with
 *     the fewest correct answers (ties: highest loss), record it in the key.
 * "Correct" is the caller's acc_fn when given (also for scoring trials);
 * when no row is correct by the targets' own rule but acc_fn still is above
 * the target, the gradient comes from every row instead of the correct ones.
 *
 * Shape legend: N images, C channels, H rows, W columns, K outputs,
 * P parameters (flat block). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/advparams.h"
#include "encryip/train.h"
#include "util/parse.h"

eip_advparams_config eip_advparams_config_default(int32_t classes)
{
    eip_advparams_config c;
    memset(&c, 0, sizeof c);
    c.budget = 25;
    c.target_acc = (classes > 0 ? 1.0 / classes : 0.1) + 0.05;
    c.layers = EIP_ADVPARAMS_LAYERS_ALL;
    c.trials = 32;
    c.reach = 1.0;
    c.batch = 128;
    c.objective = EIP_ADVPARAMS_OBJECTIVE_MARGIN;
    return c;
}

static const char *const objective_names[] = {"loss", "margin"};

const char *eip_advparams_objective_name(eip_advparams_objective o)
{
    return eip_choice_name(objective_names, 2, (int)o);
}

eip_status eip_advparams_objective_parse(const char *s, eip_advparams_objective *out, eip_error *err)
{
    int i = 0;
    eip_status st = eip_parse_choice("objective", s, objective_names, 2, &i, err);
    if (st == EIP_OK)
        *out = (eip_advparams_objective)i;
    return st;
}

void eip_advparams_result_free(eip_advparams_result *r)
{
    if (!r)
        return;
    free(r->acc_curve);
    memset(r, 0, sizeof *r);
}

eip_status eip_advparams_layers_parse(const char *s, int *mask, eip_error *err)
{
    static const struct {
        const char *name;
        int bit;
    } names[] = {{"first", EIP_ADVPARAMS_LAYERS_FIRST},
                 {"bn", EIP_ADVPARAMS_LAYERS_BN},
                 {"last", EIP_ADVPARAMS_LAYERS_LAST},
                 {"all", EIP_ADVPARAMS_LAYERS_ALL}};
    *mask = 0;
    const char *p = s;
    while (*p) {
        size_t n = strcspn(p, "+");
        int found = 0;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == n && !strncmp(p, names[i].name, n)) {
                *mask |= names[i].bit;
                found = 1;
            }
        if (!found)
            return eip_error_set(err, EIP_ERR_ARG,
                                 "layers '%s': each part must be all, first, bn or last", s);
        p += n;
        if (*p == '+')
            p++;
    }
    if (!*mask)
        return eip_error_set(err, EIP_ERR_ARG, "layers '%s': empty", s);
    return EIP_OK;
}

eip_status eip_advparams_normalise(const eip_data_set *ds, const float *mean, const float *std,
                                   float **x, eip_error *err)
{
    const int64_t hw = (int64_t)ds->h * ds->w, sample = ds->c * hw;
    for (int32_t ch = 0; ch < ds->c; ch++)
        if (!(std[ch] > 0.0f))
            return eip_error_set(err, EIP_ERR_ARG, "normalisation: std[%d] = %g", ch, (double)std[ch]);
    float *o = malloc((size_t)(ds->n * sample > 0 ? ds->n * sample : 1) * sizeof(float));
    if (!o)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", ds->name);
    eip_data_normalize(ds->pixels, ds->n, ds->c, hw, mean, std, o);
    *x = o;
    return EIP_OK;
}

eip_status eip_advparams_evaluate(eip_nn_net_t *net, const float *x, const int32_t *ids, int64_t n,
                                  const eip_train_targets *targets, int64_t batch, double *loss,
                                  double *accuracy, eip_error *err)
{
    int64_t correct = 0;
    eip_status s = eip_train_loss_eval(net, x, ids, n, targets, batch, EIP_TRAIN_GRAD_NONE, loss,
                                        &correct, err);
    if (s == EIP_OK && accuracy)
        *accuracy = (double)correct / (double)n;
    return s;
}

/* Candidate parameter tensors by the layer mask (1 = candidate). */
static void tensor_candidates(eip_nn_net_t *net, int mask, uint8_t *cand /* [tensors] */)
{
    const int64_t nt = eip_nn_tensor_count(net);
    int64_t first = -1, last_w = -1;
    for (int64_t i = 0; i < nt; i++) {
        const eip_nn_tensor *t = eip_nn_tensor_at(net, i);
        cand[i] = 0;
        if (t->kind != EIP_NN_TENSOR_PARAM)
            continue;
        if (first < 0 && t->ndim == 4)
            first = i;
        if (t->ndim == 2)
            last_w = i;
        if (mask & EIP_ADVPARAMS_LAYERS_ALL)
            cand[i] = 1;
        if ((mask & EIP_ADVPARAMS_LAYERS_BN) && t->ndim == 1) {
            /* a BN affine tensor: its layer has running statistics */
            char buf[512];
            const char *dot = strrchr(t->name, '.');
            size_t pl = dot ? (size_t)(dot - t->name) : 0;
            if (dot && pl + 14 < sizeof buf) {
                memcpy(buf, t->name, pl);
                memcpy(buf + pl, ".running_mean", 14);
                if (eip_nn_tensor_find(net, buf))
                    cand[i] = 1;
            }
        }
    }
    if ((mask & EIP_ADVPARAMS_LAYERS_FIRST) && first >= 0)
        cand[first] = 1;
    if ((mask & EIP_ADVPARAMS_LAYERS_LAST) && last_w >= 0) {
        const eip_nn_tensor *t = eip_nn_tensor_at(net, last_w);
        cand[last_w] = 1;
        char buf[512];
        const char *dot = strrchr(t->name, '.');
        size_t pl = dot ? (size_t)(dot - t->name) : 0;
        if (dot && pl + 6 < sizeof buf) {
            memcpy(buf, t->name, pl);
            memcpy(buf + pl, ".bias", 6);
            const eip_nn_tensor *b = eip_nn_tensor_find(net, buf);
            for (int64_t i = 0; b && i < nt; i++)
                if (eip_nn_tensor_at(net, i) == b)
                    cand[i] = 1;
        }
    }
}

typedef struct enc_state {
    eip_nn_net_t *net;
    const float *x; /* [N, C, H, W] */
    const int32_t *ids; /* [N] */
    int64_t n;
    const eip_train_targets *targets;
    const eip_advparams_config *cfg;
    float *lo, *hi;      /* [tensors] original min / max */
    uint8_t *cand;       /* [tensors] */
    uint8_t *blocked;    /* [P] 1 = never a candidate (extreme, chosen, or tried in vain) */
    int64_t *owner;      /* [P] tensor index of each parameter */
} enc_state;

static eip_status accuracy_of(enc_state *e, double *acc, double *loss, eip_error *err)
{
    eip_status s = eip_advparams_evaluate(e->net, e->x, e->ids, e->n, e->targets, e->cfg->batch,
                                          loss, acc, err);
    if (s == EIP_OK && e->cfg->acc_fn)
        s = e->cfg->acc_fn(e->cfg->acc_ctx, e->net, e->x, e->ids, e->n, acc, err);
    return s;
}

/* The value candidate i moves to under the range rule. */
static float target_value(const enc_state *e, int64_t i, float w, float g)
{
    const int64_t t = e->owner[i];
    const float b = g > 0 ? e->hi[t] : e->lo[t];
    if (e->cfg->reach >= 1.0)
        return b;
    return (float)((double)w + e->cfg->reach * ((double)b - (double)w));
}

/* The `trials` best-scored unblocked candidates into top[] (*nt found). */
static void best_candidates(const enc_state *e, const float *p, const float *g, int64_t np,
                            int64_t *top, double *tsc, int64_t trials, int64_t *found)
{
    int64_t k = 0;
    for (int64_t i = 0; i < np; i++) {
        if (e->blocked[i] || g[i] == 0.0f)
            continue;
        const float v = target_value(e, i, p[i], g[i]);
        const double sc = (double)g[i] * ((double)v - (double)p[i]);
        if (!(sc > 0.0) || v == p[i])
            continue;
        if (k < trials) {
            top[k] = i;
            tsc[k++] = sc;
        } else if (sc > tsc[k - 1]) {
            top[k - 1] = i;
            tsc[k - 1] = sc;
        } else {
            continue;
        }
        for (int64_t j = k - 1; j > 0 && tsc[j] > tsc[j - 1]; j--) {
            double ts = tsc[j];
            tsc[j] = tsc[j - 1];
            tsc[j - 1] = ts;
            int64_t ti = top[j];
            top[j] = top[j - 1];
            top[j - 1] = ti;
        }
    }
    *found = k;
}

static int entry_qcmp(const void *a, const void *b)
{
    const eip_advparams_entry *x = a, *y = b;
    int c = strcmp(x->tensor, y->tensor);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

static eip_status state_init(enc_state *e, eip_error *err)
{
    const int64_t nt = eip_nn_tensor_count(e->net);
    int64_t np = 0;
    const float *p = eip_nn_params(e->net, &np); /* [P] */
    e->lo = calloc((size_t)nt + 1, sizeof(float));
    e->hi = calloc((size_t)nt + 1, sizeof(float));
    e->cand = calloc((size_t)nt + 1, 1);
    e->blocked = malloc((size_t)np + 1);
    e->owner = malloc(((size_t)np + 1) * sizeof(int64_t));
    if (!e->lo || !e->hi || !e->cand || !e->blocked || !e->owner)
        return eip_error_set(err, EIP_ERR_NOMEM, "AdvParams: out of memory (%lld parameters)",
                             (long long)np);
    memset(e->blocked, 1, (size_t)np);
    tensor_candidates(e->net, e->cfg->layers, e->cand);
    int64_t n_cand = 0;
    for (int64_t ti = 0; ti < nt; ti++) {
        const eip_nn_tensor *t = eip_nn_tensor_at(e->net, ti);
        if (t->kind != EIP_NN_TENSOR_PARAM)
            continue;
        for (int64_t i = 0; i < t->count; i++)
            e->owner[t->offset + i] = ti;
        if (!e->cand[ti] || t->count < 3)
            continue;
        const float *w = p + t->offset;
        float lo = w[0], hi = w[0];
        for (int64_t i = 1; i < t->count; i++) {
            lo = w[i] < lo ? w[i] : lo;
            hi = w[i] > hi ? w[i] : hi;
        }
        e->lo[ti] = lo;
        e->hi[ti] = hi;
        if (!(hi > lo))
            continue;
        /* Range rule: the min/max positions stay untouched, so [lo, hi] is
         * also the range of the tensor's unchanged values. */
        for (int64_t i = 0; i < t->count; i++)
            if (w[i] != lo && w[i] != hi) {
                e->blocked[t->offset + i] = 0;
                n_cand++;
            }
    }
    if (n_cand == 0)
        return eip_error_set(err, EIP_ERR_ARG, "AdvParams: no candidate parameter in the selected layers");
    return EIP_OK;
}

static void state_free(enc_state *e)
{
    free(e->lo);
    free(e->hi);
    free(e->cand);
    free(e->blocked);
    free(e->owner);
}

eip_status eip_advparams_encrypt(eip_nn_net_t *net, const eip_data_set *enc, const float *mean,
                                 const float *std, const eip_train_targets *targets,
                                 const eip_advparams_config *cfg, eip_advparams_key *key,
                                 eip_advparams_result *result, eip_error *err)
{
    memset(key, 0, sizeof *key);
    if (result)
        memset(result, 0, sizeof *result);
    if (cfg->budget < 1 || cfg->budget > EIP_ADVPARAMS_MAX_ENTRIES || cfg->trials < 1 ||
        cfg->batch < 1 || !(cfg->reach > 0.0 && cfg->reach <= 1.0) || !cfg->layers ||
        (unsigned)cfg->objective > EIP_ADVPARAMS_OBJECTIVE_MARGIN)
        return eip_error_set(err, EIP_ERR_ARG,
                             "AdvParams: budget %lld (1..%d), trials %lld (>= 1), batch %lld (>= 1), "
                             "reach %g ((0, 1]), layers %d (non-empty), objective %d (loss 0 or margin 1)",
                             (long long)cfg->budget, EIP_ADVPARAMS_MAX_ENTRIES, (long long)cfg->trials,
                             (long long)cfg->batch, cfg->reach, cfg->layers, (int)cfg->objective);
    if (enc->n < 1)
        return eip_error_set(err, EIP_ERR_ARG, "AdvParams: empty encryption set");
    int64_t c, h, w;
    eip_nn_input_shape(net, &c, &h, &w);
    if (enc->c != c || enc->h != h || enc->w != w)
        return eip_error_set(err, EIP_ERR_SHAPE, "%s: images are %dx%dx%d, the model takes %lldx%lldx%lld",
                             enc->name, enc->c, enc->h, enc->w, (long long)c, (long long)h, (long long)w);
    /* Hard labels need one output per class: an EncryIP-protected model
     * outputs Φ blocks, and a plain-label loss on it would "encrypt" nonsense. */
    if (targets->kind == EIP_TRAIN_TARGET_HARD && eip_nn_output_size(net) != enc->num_classes)
        return eip_error_set(err, EIP_ERR_SHAPE,
                             "AdvParams: the model outputs %lld values but %s has %d classes (an "
                             "EncryIP-protected model? its weights are locked by `encryip protect "
                             "--advparams`)", (long long)eip_nn_output_size(net), enc->name,
                             (int)enc->num_classes);
    enc_state e = {net, NULL, enc->labels, enc->n, targets, cfg, NULL, NULL, NULL, NULL, NULL};
    float *x = NULL;
    eip_advparams_entry *ents = calloc((size_t)cfg->budget, sizeof *ents);
    double *curve = calloc((size_t)cfg->budget + 1, sizeof(double));
    int64_t *top = malloc((size_t)cfg->trials * sizeof(int64_t));
    double *tsc = malloc((size_t)cfg->trials * sizeof(double));
    int64_t np = 0, changed = 0;
    float *p = eip_nn_params(net, &np);       /* [P] */
    const float *g = eip_nn_grads(net, NULL); /* [P] */
    eip_status s;
    if (!ents || !curve || !top || !tsc) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "AdvParams: out of memory");
        goto fail;
    }
    if ((s = eip_advparams_normalise(enc, mean, std, &x, err)) != EIP_OK)
        goto fail;
    e.x = x;
    if ((s = state_init(&e, err)) != EIP_OK ||
        (s = eip_advparams_model_hash(net, key->hash_orig, err)) != EIP_OK)
        goto fail;
    double acc = 0, loss = 0, acc0 = 0, loss0 = 0;
    eip_nn_mark_dirty(net);
    if ((s = accuracy_of(&e, &acc, &loss, err)) != EIP_OK)
        goto fail;
    acc0 = acc;
    loss0 = loss;
    curve[0] = acc;
    if (acc <= cfg->target_acc) {
        s = eip_error_set(err, EIP_ERR_INFEASIBLE,
                          "AdvParams: the model's encryption-set accuracy %.4f is already at or below the "
                          "target %.4f (an untrained or broken model?): nothing to encrypt",
                          acc, cfg->target_acc);
        goto fail;
    }
    /* A candidate that fails to help is blocked, so every step makes progress
     * or shrinks the candidate set; cap the attempts all the same. */
    for (int64_t attempt = 0; changed < cfg->budget && acc > cfg->target_acc &&
                              attempt < 4 * cfg->budget;
         attempt++) {
        const int gmode = cfg->objective == EIP_ADVPARAMS_OBJECTIVE_MARGIN ? EIP_TRAIN_GRAD_MARGIN
                                                                          : EIP_TRAIN_GRAD_CORRECT;
        if ((s = eip_train_loss_eval(net, x, enc->labels, enc->n, targets, cfg->batch, gmode, NULL,
                                      NULL, err)) != EIP_OK)
            goto fail;
        int64_t found = 0;
        best_candidates(&e, p, g, np, top, tsc, cfg->trials, &found);
        if (found == 0 && cfg->acc_fn) {
            /* No row is correct by the targets' own rule (BLOCK: every block
             * right) while the caller's rule still sees accuracy above the
             * target (ML decoding of a block code survives a broken block):
             * then every row's loss drives the gradient. */
            if ((s = eip_train_loss_eval(net, x, enc->labels, enc->n, targets, cfg->batch,
                                          EIP_TRAIN_GRAD_ALL, NULL, NULL, err)) != EIP_OK)
                goto fail;
            best_candidates(&e, p, g, np, top, tsc, cfg->trials, &found);
        }
        if (found == 0)
            break;
        int64_t best = -1, best_correct = INT64_MAX;
        double best_loss = -INFINITY;
        float best_v = 0.0f;
        for (int64_t t = 0; t < found; t++) {
            const int64_t i = top[t];
            const float old = p[i], v = target_value(&e, i, old, g[i]);
            double l = 0;
            int64_t cc = 0;
            p[i] = v;
            eip_nn_mark_dirty(net);
            s = eip_train_loss_eval(net, x, enc->labels, enc->n, targets, cfg->batch, EIP_TRAIN_GRAD_NONE, &l,
                                     &cc, err);
            if (s == EIP_OK && cfg->acc_fn) {
                /* score the trial by the caller's rule, the one the stop
                 * criterion uses (ML decoding of a block code is not the
                 * targets' every-block rule) */
                double ta = 0;
                s = cfg->acc_fn(cfg->acc_ctx, net, x, enc->labels, enc->n, &ta, err);
                cc = llround(ta * (double)enc->n);
            }
            p[i] = old;
            eip_nn_mark_dirty(net);
            if (s != EIP_OK)
                goto fail;
            if (cc < best_correct || (cc == best_correct && l > best_loss)) {
                best = i;
                best_correct = cc;
                best_loss = l;
                best_v = v;
            }
        }
        if (!(best_loss > loss) && (double)best_correct / (double)enc->n >= acc) {
            for (int64_t t = 0; t < found; t++) /* none helped for real */
                e.blocked[top[t]] = 1;
            continue;
        }
        const eip_nn_tensor *tt = eip_nn_tensor_at(net, e.owner[best]);
        eip_advparams_entry *en = &ents[changed];
        snprintf(en->tensor, sizeof en->tensor, "%s", tt->name);
        en->index = best - tt->offset;
        memcpy(&en->orig_bits, &p[best], 4);
        memcpy(&en->enc_bits, &best_v, 4);
        p[best] = best_v;
        e.blocked[best] = 1;
        eip_nn_mark_dirty(net);
        changed++;
        if ((s = accuracy_of(&e, &acc, &loss, err)) != EIP_OK)
            goto fail;
        curve[changed] = acc;
        if (cfg->progress)
            cfg->progress(cfg->progress_ctx, changed, tt->name, acc);
    }
    if (changed == 0) {
        s = eip_error_set(err, EIP_ERR_INFEASIBLE,
                          "AdvParams: no parameter change raises the loss (accuracy %.4f)", acc);
        goto fail;
    }
    qsort(ents, (size_t)changed, sizeof *ents, entry_qcmp);
    if ((s = eip_advparams_model_hash(net, key->hash_enc, err)) != EIP_OK)
        goto fail;
    key->n = changed;
    key->entries = ents;
    ents = NULL;
    if (result) {
        result->acc_before = acc0;
        result->loss_before = loss0;
        result->acc_after = acc;
        result->loss_after = loss;
        result->changed = changed;
        result->n_params = np;
        result->reached = acc <= cfg->target_acc;
        result->acc_curve = curve;
        curve = NULL;
    }
    s = EIP_OK;
    goto done;
fail:
    /* Leave the caller's net as it was. */
    for (int64_t j = changed - 1; j >= 0; j--) {
        const eip_nn_tensor *tt = eip_nn_tensor_find(net, ents[j].tensor);
        if (tt)
            memcpy(&p[tt->offset + ents[j].index], &ents[j].orig_bits, 4);
    }
    eip_nn_mark_dirty(net);
    eip_advparams_key_free(key);
done:
    state_free(&e);
    free(x);
    free(ents);
    free(curve);
    free(top);
    free(tsc);
    return s;
}

eip_status eip_advparams_decrypt(eip_nn_net_t *net, const eip_advparams_key *key, eip_error *err)
{
    uint8_t h[EIP_ADVPARAMS_HASH_BYTES];
    eip_status s = eip_advparams_model_hash(net, h, err);
    if (s != EIP_OK)
        return s;
    if (memcmp(h, key->hash_enc, sizeof h) != 0)
        return eip_error_set(err, EIP_ERR_CRYPTO,
                             "the key was made for another model (the model's hash does not match "
                             "the key's encrypted-model hash)");
    float *p = eip_nn_params(net, NULL); /* [P] */
    for (int64_t i = 0; i < key->n; i++) {
        const eip_advparams_entry *en = &key->entries[i];
        const eip_nn_tensor *t = eip_nn_tensor_find(net, en->tensor);
        uint32_t cur;
        if (!t || t->kind != EIP_NN_TENSOR_PARAM || en->index >= t->count)
            return eip_error_set(err, EIP_ERR_CRYPTO, "key entry %lld: the model has no parameter %s[%lld]",
                                 (long long)i, en->tensor, (long long)en->index);
        memcpy(&cur, &p[t->offset + en->index], 4);
        if (cur != en->enc_bits)
            return eip_error_set(err, EIP_ERR_CRYPTO,
                                 "key entry %lld: %s[%lld] does not hold the encrypted value",
                                 (long long)i, en->tensor, (long long)en->index);
    }
    for (int64_t i = 0; i < key->n; i++) {
        const eip_nn_tensor *t = eip_nn_tensor_find(net, key->entries[i].tensor);
        memcpy(&p[t->offset + key->entries[i].index], &key->entries[i].orig_bits, 4);
    }
    eip_nn_mark_dirty(net);
    if ((s = eip_advparams_model_hash(net, h, err)) != EIP_OK)
        return s;
    if (memcmp(h, key->hash_orig, sizeof h) != 0) {
        for (int64_t i = 0; i < key->n; i++) {
            const eip_nn_tensor *t = eip_nn_tensor_find(net, key->entries[i].tensor);
            memcpy(&p[t->offset + key->entries[i].index], &key->entries[i].enc_bits, 4);
        }
        eip_nn_mark_dirty(net);
        return eip_error_set(err, EIP_ERR_CRYPTO,
                             "restored model does not hash to the key's original-model hash "
                             "(inconsistent key); model left encrypted");
    }
    return EIP_OK;
}
