/* encryip attack ...: attacks.
 *   dlog      decrypts paper-group ciphertexts WITHOUT any secret key
 *             (discrete log of u1 = g1^r, then m = u3 / h^r) to show that the
 *             paper group offers no confidentiality; refused for ristretto255
 *             (exit code 5)
 *   prune, finetune, adaptive
 *             model-modification attacks on a (stolen, possibly AdvParams-
 *             encrypted) plain model; each writes the modified model and
 *             prints its test accuracy.
 *   collude, relabel
 *             attacks on EncryIP itself: licensee keys -> a forged key no
 *             trace names; protected weights + k labelled images, no key ->
 *             a classifier (end of this file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/groups.h"
#include "cli/labels.h"
#include "cli/run_common.h"
#include "encryip/advparams.h"
#include "encryip/attack.h"
#include "encryip/crypto.h"
#include "encryip/protect.h"

int eip_cli_attack_dlog(int argc, char **argv)
{
    const char *pkpath = NULL, *in = NULL, *out = NULL, *expect = NULL;
    eip_cli_opt opts[] = {
        {.name = "pk", .arg = "FILE", .str = &pkpath, .required = true,
         .help = "public key (the only key material used)"},
        {.name = "in", .arg = "FILE.ct", .str = &in, .required = true, .help = "ciphertext file"},
        {.name = "out", .arg = "FILE", .str = &out, .def_doc = "stdout",
         .help = "recovered labels, one per line"},
        {.name = "expect", .arg = "LABELS", .str = &expect,
         .help = "true labels: report how many were recovered"},
        {0},
    };
    const eip_cli_spec spec = {"attack dlog", "--pk FILE --in FILE.ct [--out labels.txt] [--expect LABELS]",
                               {opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s = EIP_OK;
    eip_crypto_pk_t *pk = NULL;
    eip_crypto_ct *c = NULL;
    int32_t *labels = NULL;
    int64_t n = 0;
    eip_crypto_cts_info info;
    if ((s = eip_crypto_pk_load(pkpath, &pk, &err)))
        goto done;
    if (eip_crypto_pk_group(pk) != EIP_CRYPTO_GROUP_PAPER) { /* refuse before reading data */
        s = eip_crypto_attack_dlog(pk, NULL, 0, NULL, &err);
        goto done;
    }
    if ((s = eip_crypto_cts_load(in, &info, &c, &n, &err)))
        goto done;
    if (memcmp(info.pk_id, eip_crypto_pk_id(pk), EIP_CRYPTO_PKID_BYTES)) {
        s = eip_error_set(&err, EIP_ERR_CRYPTO, "%s: ciphertexts were made for another public key than %s",
                          in, pkpath);
        goto done;
    }
    labels = malloc((size_t)(n ? n : 1) * sizeof *labels);
    if (!labels) {
        s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
        goto done;
    }
    double t0 = eip_cli_seconds();
    if ((s = eip_crypto_attack_dlog(pk, c, n, labels, &err)))
        goto done;
    double t1 = eip_cli_seconds();
    if ((s = eip_cli_labels_write(out, labels, n, &err)))
        goto done;
    fprintf(stderr, "attack dlog: no secret key used; group Z_%lld^* of order %lld\n",
            (long long)eip_crypto_pk_q(pk), (long long)eip_crypto_pk_q(pk) - 1);
    s = eip_cli_labels_report(cmd, labels, n, expect, info.classes, t1 - t0, &err);
done:
    free(labels);
    free(c);
    eip_crypto_pk_free(pk);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}

/* The flags of the model attacks: the victim model, its data, the output. */
typedef struct victim_opts {
    const char *model, *dataset, *data_dir, *out;
    int64_t test_limit, threads;
    eip_cli_opt opts[7];
} victim_opts;

static void victim_opts_init(victim_opts *g)
{
    memset(g, 0, sizeof *g);
    const eip_cli_opt o[] = {
        {.name = "model", .arg = "FILE", .str = &g->model, .required = true,
         .help = "model to attack (safetensors written by train / advparams)"},
        {.name = "dataset", .arg = "NAME", .str = &g->dataset, .def_doc = "the model's train.dataset",
         .help = "dataset"},
        eip_cli_opt_data_dir(&g->data_dir),
        {.name = "test-limit", .arg = "N", .i64 = &g->test_limit, .min = 1, .max = INT64_MAX,
         .def_doc = "all", .help = "evaluate on the first N test images"},
        eip_cli_opt_threads(&g->threads),
        {.name = "out", .arg = "FILE", .str = &g->out, .required = true, .help = "modified model to write"},
        {0},
    };
    _Static_assert(sizeof o == sizeof g->opts, "victim table size");
    memcpy(g->opts, o, sizeof o);
}

/* Loaded model + its dataset, shared by the three commands. */
typedef struct victim {
    eip_nn_ctx ctx;
    eip_nn_net_t *net;
    eip_data_set train, test;
    float mean[EIP_DATA_MAX_CHANNELS], std[EIP_DATA_MAX_CHANNELS];
} victim;

static eip_status victim_load(victim *v, const victim_opts *o, eip_error *err)
{
    const char *path = o->model;
    char dataset[64];
    int64_t c, h, w;
    eip_status s;
    memset(v, 0, sizeof *v);
    if ((s = eip_nn_ctx_init(&v->ctx, (int)o->threads, err)) != EIP_OK ||
        (s = eip_nn_load(&v->ctx, path, &v->net, err)) != EIP_OK ||
        (s = eip_cli_model_dataset(path, o->dataset, dataset, sizeof dataset, err)) != EIP_OK)
        return s;
    eip_nn_input_shape(v->net, &c, &h, &w);
    if ((s = eip_cli_model_norm(path, (int32_t)c, v->mean, v->std, err)) != EIP_OK ||
        (s = eip_cli_dataset_load(dataset, o->data_dir, 0, &v->train, &v->test, err)) != EIP_OK)
        return s;
    if (o->test_limit > 0 && o->test_limit < v->test.n) {
        eip_data_set sub = {0};
        if ((s = eip_data_set_subset_first(&v->test, o->test_limit, &sub, err)) != EIP_OK)
            return s;
        eip_data_set_free(&v->test);
        v->test = sub;
    }
    return EIP_OK;
}

static void victim_free(victim *v)
{
    eip_nn_net_free(v->net);
    eip_nn_ctx_free(&v->ctx);
    eip_data_set_free(&v->train);
    eip_data_set_free(&v->test);
}

static int finish(const char *cmd, victim *v, const victim_opts *o, double before, const char *what)
{
    eip_error err = {0};
    double after = 0;
    eip_status s;
    if ((s = eip_train_evaluate(v->net, &v->test, v->mean, v->std, 256, &after, &err)) != EIP_OK ||
        (s = eip_attack_save_like(v->net, o->model, o->out, NULL, 0, &err)) != EIP_OK)
        return eip_cli_fail(cmd, s, &err);
    printf("%s: test accuracy %.4f -> %.4f on %lld images of %s; model written to %s\n", what, before,
           after, (long long)v->test.n, v->test.name, o->out);
    return EIP_EXIT_OK;
}

static const char *const scope_names[] = {"global", "layer", NULL};

int eip_cli_attack_prune(int argc, char **argv)
{
    victim_opts vo;
    victim_opts_init(&vo);
    double ratio = 0;
    int scope = 0;
    eip_cli_opt o[] = {
        {.name = "ratio", .arg = "R", .f64 = &ratio, .fmin = 0.0, .fmax = 1.0, .required = true,
         .help = "fraction of conv/linear weights to zero, 0..1"},
        {.name = "scope", .arg = "S", .choice = &scope, .choices = scope_names, .def = "global",
         .help = "global (one threshold) or layer (per tensor)"},
        {0},
    };
    const eip_cli_spec spec = {"attack prune", "--model FILE --ratio R --out FILE [options]",
                               {vo.opts, o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s;
    victim v;
    double before = 0;
    int64_t pruned = 0;
    if ((s = victim_load(&v, &vo, &err)) != EIP_OK ||
        (s = eip_train_evaluate(v.net, &v.test, v.mean, v.std, 256, &before, &err)) != EIP_OK ||
        (s = eip_attack_prune(v.net, ratio, scope ? EIP_ATTACK_PRUNE_LAYER : EIP_ATTACK_PRUNE_GLOBAL,
                              &pruned, &err)) != EIP_OK) {
        rc = eip_cli_fail(cmd, s, &err);
    } else {
        char what[96];
        snprintf(what, sizeof what, "pruned %lld weights (%s, ratio %g)", (long long)pruned,
                 scope_names[scope], ratio);
        rc = finish(cmd, &v, &vo, before, what);
    }
    victim_free(&v);
    return rc;
}

typedef struct ft_eval {
    victim *v;
} ft_eval;

static eip_status ft_eval_fn(void *ctx, double *acc, eip_error *err)
{
    victim *v = ((ft_eval *)ctx)->v;
    return eip_train_evaluate(v->net, &v->test, v->mean, v->std, 256, acc, err);
}

int eip_cli_attack_finetune(int argc, char **argv)
{
    victim_opts vo;
    victim_opts_init(&vo);
    eip_attack_finetune_config fc = eip_attack_finetune_config_default();
    int64_t seed = 1;
    bool scratch = false;
    eip_cli_opt o[] = {
        {.name = "fraction", .arg = "F", .f64 = &fc.fraction, .fmin = 1e-9, .fmax = 1.0, .required = true,
         .help = "fraction of the training set the attacker holds, (0, 1]"},
        {.name = "epochs", .arg = "E", .i64 = &fc.epochs, .min = 1, .max = 100000, .def = "5",
         .help = "epochs"},
        {.name = "batch", .arg = "B", .i64 = &fc.batch, .min = 1, .max = 65536, .def = "64",
         .help = "batch size"},
        {.name = "lr", .arg = "LR", .f64 = &fc.lr, .fmin = 1e-9, .fmax = 10.0, .def = "0.01",
         .help = "SGD learning rate, cosine schedule"},
        {.name = "seed", .arg = "S", .i64 = &seed, .min = 0, .max = INT64_MAX, .def = "1",
         .help = "subset draw, shuffling"},
        {.name = "scratch", .flag = &scratch,
         .help = "re-initialise the model first (the from-scratch baseline)"},
        {0},
    };
    const eip_cli_spec spec = {"attack finetune", "--model FILE --fraction F --out FILE [options]",
                               {vo.opts, o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    fc.seed = (uint64_t)seed;
    eip_error err = {0};
    eip_status s;
    victim v;
    double before = 0;
    int64_t used = 0;
    eip_cli_progress prog;
    eip_cli_progress_init(&prog, cmd);
    ft_eval fe = {&v};
    fc.progress = eip_cli_progress_cb;
    fc.progress_ctx = &prog;
    fc.eval = ft_eval_fn;
    fc.eval_ctx = &fe;
    eip_train_targets hard = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    if ((s = victim_load(&v, &vo, &err)) != EIP_OK ||
        (s = eip_train_evaluate(v.net, &v.test, v.mean, v.std, 256, &before, &err)) != EIP_OK ||
        (scratch && (s = eip_nn_init_params(v.net, fc.seed, &err)) != EIP_OK) ||
        (s = eip_attack_finetune(v.net, &v.train, v.mean, v.std, &hard, &fc, &used, NULL, &err)) != EIP_OK) {
        rc = eip_cli_fail(cmd, s, &err);
    } else {
        char what[128];
        snprintf(what, sizeof what, "%s on %lld images for %lld epochs",
                 scratch ? "trained from scratch" : "fine-tuned", (long long)used, (long long)fc.epochs);
        rc = finish(cmd, &v, &vo, before, what);
    }
    victim_free(&v);
    return rc;
}

static eip_status parse_score(const char *s, void *out, eip_error *err)
{
    return eip_attack_score_parse(s, (eip_attack_score *)out, err);
}

static const char *const reset_names[] = {"median", "zero", NULL};

int eip_cli_attack_adaptive(int argc, char **argv)
{
    victim_opts vo;
    victim_opts_init(&vo);
    int64_t budget = 0, seed = 1;
    double fraction = 0.01;
    int reset = 0;
    eip_attack_score score = EIP_ATTACK_SCORE_GAIN;
    eip_cli_opt o[] = {
        {.name = "budget", .arg = "B", .i64 = &budget, .min = 0, .max = INT64_MAX, .required = true,
         .help = "parameters to reset"},
        {.name = "score", .arg = "S", .custom = &score, .parse = parse_score, .def = "gain",
         .help = "zscore, bound, grad, gain or combined"},
        {.name = "reset", .arg = "R", .choice = &reset, .choices = reset_names, .def = "median",
         .help = "median or zero"},
        {.name = "fraction", .arg = "F", .f64 = &fraction, .fmin = 1e-9, .fmax = 1.0, .def = "0.01",
         .help = "attacker's share of the training data for gradients"},
        {.name = "seed", .arg = "S", .i64 = &seed, .min = 0, .max = INT64_MAX, .def = "1",
         .help = "attacker data draw"},
        {0},
    };
    const eip_cli_spec spec = {"attack adaptive", "--model FILE --budget B --out FILE [options]",
                               {vo.opts, o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s;
    victim v;
    double before = 0;
    eip_data_set sub = {0};
    float *x = NULL, *scores = NULL;
    eip_train_targets hard = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    if ((s = victim_load(&v, &vo, &err)) != EIP_OK ||
        (s = eip_train_evaluate(v.net, &v.test, v.mean, v.std, 256, &before, &err)) != EIP_OK ||
        (s = eip_data_set_subset_fraction(&v.train, fraction, (uint64_t)seed, &sub, &err)) != EIP_OK ||
        (s = eip_advparams_normalise(&sub, v.mean, v.std, &x, &err)) != EIP_OK)
        goto fail;
    if (!(scores = malloc((size_t)eip_nn_param_count(v.net) * sizeof(float)))) {
        s = eip_error_set(&err, EIP_ERR_NOMEM, "scores: out of memory");
        goto fail;
    }
    if ((s = eip_attack_adaptive_scores(v.net, score, x, sub.labels, sub.n, &hard, 128, scores, &err)) !=
            EIP_OK ||
        (s = eip_attack_adaptive_reset(v.net, scores, budget,
                                       reset ? EIP_ATTACK_RESET_ZERO : EIP_ATTACK_RESET_MEDIAN,
                                       NULL, &err)) != EIP_OK)
        goto fail;
    char what[128];
    snprintf(what, sizeof what, "reset the %lld most suspicious parameters (score %s, to %s)",
             (long long)budget, eip_attack_score_name(score), reset_names[reset]);
    rc = finish(cmd, &v, &vo, before, what);
    goto done;
fail:
    rc = eip_cli_fail(cmd, s, &err);
done:
    free(x);
    free(scores);
    eip_data_set_free(&sub);
    victim_free(&v);
    return rc;
}

/* ---------------------------------------------- attacks on EncryIP itself */
/* Issue 17 items 3 and 4 (docs/RESULTS.md "Attacks on EncryIP", README
 * threat model):
 *   collude  two or more licensee keys -> t -> a key for a fresh b
 *            (eip_attack_collude).
 *   relabel  protected weights (no key) + k labelled images -> a classifier
 *            (slot majority vote, or a new softmax head on the model's
 *            outputs).  With --input FILE it prints one label per line, so it
 *            can stand as a suspect deployment for `encryip trace`. */

#define COLLUDE_MAX_KEYS 64

int eip_cli_attack_collude(int argc, char **argv)
{
    const char *pkpath = NULL, *keylist = NULL, *out = NULL;
    int64_t seed = -1;
    bool force = false;
    eip_cli_opt opts[] = {
        {.name = "pk", .arg = "FILE", .str = &pkpath, .required = true,
         .help = "public key of the keygen the keys belong to"},
        {.name = "keys", .arg = "K1,K2[,...]", .str = &keylist, .required = true,
         .help = "two or more licensee secret key files, comma-separated"},
        {.name = "out", .arg = "FILE", .str = &out, .required = true, .help = "the forged secret key (0600)"},
        {.name = "seed", .arg = "S", .i64 = &seed, .min = 0, .max = INT64_MAX, .def_doc = "random",
         .help = "deterministic choice of the fresh b (tests only)"},
        {.name = "force", .flag = &force, .help = "overwrite an existing --out file"},
        {0},
    };
    const eip_cli_spec spec = {"attack collude", "--pk FILE --keys K1,K2[,...] --out FILE [--seed S] [--force]",
                               {opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    struct stat st;
    if (!force && stat(out, &st) == 0) {
        eip_error_set(&err, EIP_ERR_STATE, "%s exists; refusing to overwrite a key (use --force)", out);
        return eip_cli_fail(cmd, EIP_ERR_STATE, &err);
    }
    eip_status s = EIP_OK;
    eip_crypto_pk_t *pk = NULL;
    eip_crypto_sk_t *keys[COLLUDE_MAX_KEYS] = {0}, *forged = NULL;
    eip_crypto_rng_t *rng = NULL;
    int64_t n = 0;
    char *list = strdup(keylist);
    if (!list) {
        s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((s = eip_crypto_pk_load(pkpath, &pk, &err)))
        goto done;
    for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (n == COLLUDE_MAX_KEYS) {
            s = eip_error_set(&err, EIP_ERR_ARG, "--keys: more than %d keys", COLLUDE_MAX_KEYS);
            goto done;
        }
        if ((s = eip_crypto_sk_load(p, &keys[n], &err)))
            goto done;
        n++;
    }
    if (seed >= 0 && (s = eip_crypto_rng_new_u64((uint64_t)seed, &rng, &err)))
        goto done;
    eip_attack_collude_report rep;
    if ((s = eip_attack_collude(pk, (const eip_crypto_sk_t *const *)keys, n, rng, &forged, &rep,
                                &err))) {
        eip_error_prefix(&err, "--keys: ");
        goto done;
    }
    if ((s = eip_crypto_sk_save(forged, out, &err)))
        goto done;
    printf("attack collude: %lld keys (%lld distinct licensees), %s group; solved pair %lld,%lld: "
           "gcd(b_k - b_j, group order) = %lld\n",
           (long long)rep.crypto.keys, (long long)rep.crypto.distinct,
           eip_crypto_group_name(eip_crypto_pk_group(pk)), (long long)rep.crypto.pair_j,
           (long long)rep.crypto.pair_k, (long long)rep.crypto.gcd);
    printf("attack collude: t candidates fitting the keys alone: %lld%s\n",
           (long long)rep.crypto.solutions,
           rep.crypto.pk_needed ? " (the public key's g2 = g1^t settled it)" : " (t is determined)");
    printf("attack collude: forged key -> %s (0600): decrypts %d/%d fresh encryptions of every "
           "label; equal to %lld colluder key(s)\n",
           out, (int)rep.labels_ok, (int)rep.labels, (long long)rep.equals_colluder);
done:
    for (int64_t i = 0; i < n; i++)
        eip_crypto_sk_free(keys[i]);
    eip_crypto_sk_free(forged);
    eip_crypto_pk_free(pk);
    eip_crypto_rng_free(rng);
    free(list);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}

/* Model outputs [N, K] and Φ^-1 slots [N] of images, one forward pass. */
static eip_status outputs_slots(eip_protect_model_t *m, const eip_data_set *ds, float **y,
                                int64_t **slots, eip_crypto_ct **ct, eip_error *err)
{
    const int64_t k = eip_nn_output_size(eip_protect_model_net(m)), n = ds->n > 0 ? ds->n : 1;
    *y = malloc((size_t)n * (size_t)k * sizeof **y);
    *slots = malloc((size_t)n * sizeof **slots);
    *ct = malloc((size_t)n * sizeof **ct);
    if (!*y || !*slots || !*ct)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: outputs of %lld images: out of memory",
                             ds->name, (long long)ds->n);
    eip_status s = eip_protect_forward(m, ds->pixels, ds->n, *y, err);
    return s ? s : eip_protect_predict_outputs(m, *y, ds->n, NULL, *ct, *slots, err);
}

static const char *const relabel_methods[] = {"vote", "head", NULL};

int eip_cli_attack_relabel(int argc, char **argv)
{
    eip_cli_model_group mg;
    eip_cli_model_group_init(&mg, "protected model (bundle dir, deploy/ dir or its model.safetensors); no key");
    const char *dataset = NULL, *input = NULL, *kpath = NULL, *data_dir = NULL;
    int64_t kk = 0, seed = 1, limit = 0, steps = 300, threads = 0;
    int method = -1; /* -1: not given (vote) */
    eip_cli_opt o[] = {
        {.name = "dataset", .arg = "NAME", .str = &dataset, .required = true,
         .help = "the attacker's labelled images: --k drawn from its train split"},
        {.name = "k", .arg = "K", .i64 = &kk, .min = 1, .max = 1000000, .required = true,
         .help = "labelled images the attacker holds"},
        {.name = "seed", .arg = "S", .i64 = &seed, .min = 0, .max = INT64_MAX, .def = "1",
         .help = "draw of the k images"},
        {.name = "method", .arg = "M", .choice = &method, .choices = relabel_methods, .def_doc = "vote",
         .help = "with --input: vote or head"},
        {.name = "input", .arg = "FILE", .str = &input,
         .help = "label these images (idx3/idx4) with --method, one per line on stdout (a trace suspect)"},
        {.name = "test-limit", .arg = "N", .i64 = &limit, .min = 1, .max = INT64_MAX, .def_doc = "all",
         .help = "without --input: evaluate on the first N test images"},
        {.name = "key", .arg = "FILE", .str = &kpath,
         .help = "without --input: also report this licensee's accuracy on the same images"},
        {.name = "steps", .arg = "N", .i64 = &steps, .min = 1, .max = 1000000, .def = "300",
         .help = "head: full-batch gradient steps"},
        eip_cli_opt_data_dir(&data_dir),
        eip_cli_opt_threads(&threads),
        {0},
    };
    const eip_cli_spec spec = {"attack relabel",
                               "--model DIR [--weights-key FILE | --locked] --dataset NAME --k K [--seed S] "
                               "([--test-limit N] [--key FILE] | --input FILE [--method vote|head]) [options]",
                               {mg.opts, o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    if (input && (kpath || limit > 0))
        return eip_cli_usage_error(cmd, "--input labels a file: no --key or --test-limit");
    if (!input && method >= 0) /* the evaluation reports both methods */
        return eip_cli_usage_error(cmd, "--method picks the labelling of --input; without --input "
                                        "both methods are evaluated");
    if (method < 0)
        method = 0;
    eip_error err = {0};
    eip_status s;
    eip_nn_ctx ctx = {0};
    eip_protect_model_t *m = NULL;
    eip_crypto_sk_t *sk = NULL;
    eip_data_set tr = {0}, te = {0}, att = {0}, ev = {0};
    float *ya = NULL, *ye = NULL;
    int64_t *sa = NULL, *se = NULL;
    eip_crypto_ct *ca = NULL, *ce = NULL;
    int32_t *pv = NULL, *ph = NULL, *pk_lab = NULL;
    eip_attack_relabel_vote vote = {0};
    eip_attack_relabel_head head = {0};
    if ((s = eip_nn_ctx_init(&ctx, (int)threads, &err)) ||
        (s = eip_cli_protect_model_open(&ctx, &mg, &m, &err)))
        goto done;
    if (kpath && (s = eip_crypto_sk_load(kpath, &sk, &err)))
        goto done;
    if ((s = eip_data_load_by_name(dataset, data_dir, &tr, &te, &err)))
        goto done;
    if (kk > tr.n) {
        s = eip_error_set(&err, EIP_ERR_RANGE, "--k %lld: %s has only %lld images", (long long)kk,
                          tr.name, (long long)tr.n);
        goto done;
    }
    if ((s = eip_data_set_subset_fraction(&tr, (double)kk / (double)tr.n, (uint64_t)seed, &att, &err)) ||
        (s = eip_protect_model_check_shape(m, att.name, att.c, att.h, att.w, &err)))
        goto done;
    const int32_t z = eip_crypto_pk_classes(eip_protect_model_pk(m));
    const int64_t dim = eip_nn_output_size(eip_protect_model_net(m));
    const int64_t slots = eip_crypto_codebook_size(eip_protect_model_codebook(m));
    eip_attack_relabel_head_config hc = eip_attack_relabel_head_config_default();
    hc.steps = steps;
    /* The attacker's k images through the protected weights: no key used. */
    if ((s = outputs_slots(m, &att, &ya, &sa, &ca, &err)) ||
        (s = eip_attack_relabel_vote_fit(sa, att.labels, att.n, slots, z, &vote, &err)) ||
        (s = eip_attack_relabel_head_fit(ya, att.labels, att.n, dim, z, &hc, &head, &err)))
        goto done;
    if (input) {
        if ((s = eip_protect_images_load(input, &ev, &err)) ||
            (s = eip_protect_model_check_shape(m, input, ev.c, ev.h, ev.w, &err)))
            goto done;
    } else if (limit > 0 && limit < te.n) {
        if ((s = eip_data_set_subset_first(&te, limit, &ev, &err)))
            goto done;
    } else {
        ev = te;
        memset(&te, 0, sizeof te);
    }
    const int64_t n = ev.n > 0 ? ev.n : 1;
    pv = malloc((size_t)n * sizeof *pv);
    ph = malloc((size_t)n * sizeof *ph);
    pk_lab = malloc((size_t)n * sizeof *pk_lab);
    if (!pv || !ph || !pk_lab) {
        s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((s = outputs_slots(m, &ev, &ye, &se, &ce, &err)))
        goto done;
    eip_attack_relabel_vote_apply(&vote, se, ev.n, pv);
    if ((s = eip_attack_relabel_head_apply(&head, ye, ev.n, ph, &err)))
        goto done;
    if (input) {
        const int32_t *lab = method == 1 ? ph : pv;
        for (int64_t i = 0; i < ev.n; i++)
            printf("%d\n", (int)lab[i]);
        fprintf(stderr, "attack relabel: %lld images labelled by the %s relabelling of %lld "
                        "labelled images (no key)\n",
                (long long)ev.n, relabel_methods[method], (long long)att.n);
        goto done;
    }
    int64_t rv = 0, rh = 0, rk = 0;
    if (sk && (s = eip_protect_decrypt(m, sk, 1, ce, ev.n, pk_lab, &err)))
        goto done;
    for (int64_t i = 0; i < ev.n; i++) {
        rv += pv[i] == ev.labels[i];
        rh += ph[i] == ev.labels[i];
        rk += sk && pk_lab[i] == ev.labels[i];
    }
    const double d = ev.n ? (double)ev.n : 1.0;
    printf("attack relabel: k=%lld labelled images (seed %lld), %s group, %lld slots (%lld reached "
           "by the k images), %lld outputs\n",
           (long long)att.n, (long long)seed,
           eip_crypto_group_name(eip_crypto_pk_group(eip_protect_model_pk(m))), (long long)slots,
           (long long)vote.seen, (long long)dim);
    printf("vote accuracy %.4f (%lld/%lld)\n", (double)rv / d, (long long)rv, (long long)ev.n);
    printf("head accuracy %.4f (%lld/%lld)\n", (double)rh / d, (long long)rh, (long long)ev.n);
    if (sk)
        printf("licensee accuracy %.4f (%lld/%lld)\n", (double)rk / d, (long long)rk,
               (long long)ev.n);
    printf("chance %.4f (1/%d)\n", 1.0 / z, (int)z);
done:
    eip_attack_relabel_vote_free(&vote);
    eip_attack_relabel_head_free(&head);
    free(pv);
    free(ph);
    free(pk_lab);
    free(ya);
    free(ye);
    free(sa);
    free(se);
    free(ca);
    free(ce);
    eip_data_set_free(&tr);
    eip_data_set_free(&te);
    eip_data_set_free(&att);
    eip_data_set_free(&ev);
    eip_crypto_sk_free(sk);
    eip_protect_model_free(m);
    eip_nn_ctx_free(&ctx);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}
