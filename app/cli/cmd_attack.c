/* encryip attack ...: attacks.
 *   dlog      decrypts paper-group ciphertexts WITHOUT any secret key
 *             (discrete log of u1 = g1^r, then m = u3 / h^r) to show that the
 *             paper group offers no confidentiality; refused for ristretto255
 *             (exit code 5)
 *   prune, finetune, adaptive
 *             model-modification attacks on a (stolen, possibly AdvParams-
 *             encrypted) plain model; each writes the modified model and
 *             prints its test accuracy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/groups.h"
#include "cli/labels.h"
#include "cli/run_common.h"
#include "encryip/advparams.h"
#include "encryip/attack.h"
#include "encryip/crypto.h"

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
    eip_status s = eip_crypto_init(&err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
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
