/* encryip attack prune / finetune / adaptive: model-modification attacks on
 * a (stolen, possibly AdvParams-encrypted) plain model; each writes the
 * modified model and prints its test accuracy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run_common.h"
#include "encryip/advparams.h"
#include "encryip/attack.h"

/* Loaded model + its dataset, shared by the three commands. */
typedef struct victim {
    eip_nn_ctx ctx;
    eip_nn_net_t *net;
    eip_data_set train, test;
    float mean[EIP_DATA_MAX_CHANNELS], std[EIP_DATA_MAX_CHANNELS];
} victim;

static eip_status victim_load(victim *v, const eip_cli_opt *o, int64_t threads, eip_error *err)
{
    const char *path = eip_cli_get(o, "model");
    char dataset[64];
    int64_t c, h, w, limit = 0;
    eip_status s;
    memset(v, 0, sizeof *v);
    if ((s = eip_nn_ctx_init(&v->ctx, (int)threads, err)) != EIP_OK ||
        (s = eip_nn_load(&v->ctx, path, &v->net, err)) != EIP_OK ||
        (s = eip_cli_model_dataset(path, eip_cli_get(o, "dataset"), dataset, sizeof dataset, err)) != EIP_OK)
        return s;
    eip_nn_input_shape(v->net, &c, &h, &w);
    if ((s = eip_cli_model_norm(path, (int32_t)c, v->mean, v->std, err)) != EIP_OK ||
        (s = eip_cli_dataset_load(dataset, eip_cli_get(o, "data-dir"), 0, &v->train, &v->test, err)) !=
            EIP_OK)
        return s;
    if (eip_cli_get(o, "test-limit") &&
        !eip_cli_get_i64("attack", o, "test-limit", 0, 1, INT64_MAX, &limit))
        return eip_error_set(err, EIP_ERR_ARG, "--test-limit: bad value");
    if (limit > 0 && limit < v->test.n) {
        eip_data_set sub = {0};
        if ((s = eip_data_set_subset_first(&v->test, limit, &sub, err)) != EIP_OK)
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

#define COMMON_OPTS                                                                              \
    {"model", "FILE", "model to attack (safetensors written by train / advparams)", true, NULL, false}, \
    {"dataset", "NAME", "dataset (default: the model's train.dataset)", false, NULL, false},          \
    {"data-dir", "DIR", "dataset directory (default: the installed location)", false, NULL, false},   \
    {"test-limit", "N", "evaluate on the first N test images (default all)", false, NULL, false},     \
    {"threads", "T", "oneDNN threads (default: all cores)", false, NULL, false},                      \
    {"out", "FILE", "modified model to write", true, NULL, false}

static int finish(const char *cmd, victim *v, const eip_cli_opt *o, double before, const char *what)
{
    eip_error err = {0};
    double after = 0;
    eip_status s;
    if ((s = eip_train_evaluate(v->net, &v->test, v->mean, v->std, 256, &after, &err)) != EIP_OK ||
        (s = eip_attack_save_like(v->net, eip_cli_get(o, "model"), eip_cli_get(o, "out"), NULL, 0, &err)) !=
            EIP_OK)
        return eip_cli_fail(cmd, s, &err);
    printf("%s: test accuracy %.4f -> %.4f on %lld images of %s; model written to %s\n", what, before,
           after, (long long)v->test.n, v->test.name, eip_cli_get(o, "out"));
    return EIP_EXIT_OK;
}

int eip_cli_attack_prune(int argc, char **argv)
{
    const char *cmd = "attack prune";
    eip_cli_opt o[] = {
        COMMON_OPTS,
        {"ratio", "R", "fraction of conv/linear weights to zero, 0..1", true, NULL, false},
        {"scope", "S", "global (one threshold) or layer (per tensor) (default global)", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--model FILE --ratio R --out FILE [options]", o, argc, argv);
    if (rc >= 0)
        return rc;
    int64_t threads;
    double ratio;
    const char *scope = eip_cli_get(o, "scope") ? eip_cli_get(o, "scope") : "global";
    if (!eip_cli_get_i64(cmd, o, "threads", 0, 0, 1024, &threads) ||
        !eip_cli_get_f64(cmd, o, "ratio", 0.0, 0.0, 1.0, &ratio))
        return EIP_EXIT_USAGE;
    if (strcmp(scope, "global") && strcmp(scope, "layer")) {
        fprintf(stderr, "encryip %s: error: --scope: '%s' is not global or layer\n", cmd, scope);
        return EIP_EXIT_USAGE;
    }
    eip_error err = {0};
    eip_status s;
    victim v;
    double before = 0;
    int64_t pruned = 0;
    if ((s = victim_load(&v, o, threads, &err)) != EIP_OK ||
        (s = eip_train_evaluate(v.net, &v.test, v.mean, v.std, 256, &before, &err)) != EIP_OK ||
        (s = eip_attack_prune(v.net, ratio, strcmp(scope, "global") ? EIP_ATTACK_PRUNE_LAYER
                                                                     : EIP_ATTACK_PRUNE_GLOBAL,
                              &pruned, &err)) != EIP_OK) {
        rc = eip_cli_fail(cmd, s, &err);
    } else {
        char what[96];
        snprintf(what, sizeof what, "pruned %lld weights (%s, ratio %g)", (long long)pruned, scope, ratio);
        rc = finish(cmd, &v, o, before, what);
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
    const char *cmd = "attack finetune";
    eip_cli_opt o[] = {
        COMMON_OPTS,
        {"fraction", "F", "fraction of the training set the attacker holds, (0, 1]", true, NULL, false},
        {"epochs", "E", "epochs (default 5)", false, NULL, false},
        {"batch", "B", "batch size (default 64)", false, NULL, false},
        {"lr", "LR", "SGD learning rate, cosine schedule (default 0.01)", false, NULL, false},
        {"seed", "S", "subset draw, shuffling (default 1)", false, NULL, false},
        {"scratch", NULL, "re-initialise the model first (the from-scratch baseline)", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--model FILE --fraction F --out FILE [options]", o, argc, argv);
    if (rc >= 0)
        return rc;
    eip_attack_finetune_config fc = eip_attack_finetune_config_default();
    int64_t threads, seed;
    if (!eip_cli_get_i64(cmd, o, "threads", 0, 0, 1024, &threads) ||
        !eip_cli_get_f64(cmd, o, "fraction", 0.01, 1e-9, 1.0, &fc.fraction) ||
        !eip_cli_get_i64(cmd, o, "epochs", 5, 1, 100000, &fc.epochs) ||
        !eip_cli_get_i64(cmd, o, "batch", 64, 1, 65536, &fc.batch) ||
        !eip_cli_get_f64(cmd, o, "lr", 0.01, 1e-9, 10.0, &fc.lr) ||
        !eip_cli_get_i64(cmd, o, "seed", 1, 0, INT64_MAX, &seed))
        return EIP_EXIT_USAGE;
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
    if ((s = victim_load(&v, o, threads, &err)) != EIP_OK ||
        (s = eip_train_evaluate(v.net, &v.test, v.mean, v.std, 256, &before, &err)) != EIP_OK ||
        (eip_cli_has(o, "scratch") && (s = eip_nn_init_params(v.net, fc.seed, &err)) != EIP_OK) ||
        (s = eip_attack_finetune(v.net, &v.train, v.mean, v.std, &hard, &fc, &used, NULL, &err)) != EIP_OK) {
        rc = eip_cli_fail(cmd, s, &err);
    } else {
        char what[128];
        snprintf(what, sizeof what, "%s on %lld images for %lld epochs",
                 eip_cli_has(o, "scratch") ? "trained from scratch" : "fine-tuned", (long long)used,
                 (long long)fc.epochs);
        rc = finish(cmd, &v, o, before, what);
    }
    victim_free(&v);
    return rc;
}

int eip_cli_attack_adaptive(int argc, char **argv)
{
    const char *cmd = "attack adaptive";
    eip_cli_opt o[] = {
        COMMON_OPTS,
        {"budget", "B", "parameters to reset", true, NULL, false},
        {"score", "S", "zscore, bound, grad, gain or combined (default gain)", false, NULL, false},
        {"reset", "R", "median or zero (default median)", false, NULL, false},
        {"fraction", "F", "attacker's share of the training data for gradients (default 0.01)", false, NULL, false},
        {"seed", "S", "attacker data draw (default 1)", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--model FILE --budget B --out FILE [options]", o, argc, argv);
    if (rc >= 0)
        return rc;
    int64_t threads, budget, seed;
    double fraction;
    if (!eip_cli_get_i64(cmd, o, "threads", 0, 0, 1024, &threads) ||
        !eip_cli_get_i64(cmd, o, "budget", 1, 0, INT64_MAX, &budget) ||
        !eip_cli_get_f64(cmd, o, "fraction", 0.01, 1e-9, 1.0, &fraction) ||
        !eip_cli_get_i64(cmd, o, "seed", 1, 0, INT64_MAX, &seed))
        return EIP_EXIT_USAGE;
    const char *reset = eip_cli_get(o, "reset") ? eip_cli_get(o, "reset") : "median";
    if (strcmp(reset, "median") && strcmp(reset, "zero")) {
        fprintf(stderr, "encryip %s: error: --reset: '%s' is not median or zero\n", cmd, reset);
        return EIP_EXIT_USAGE;
    }
    eip_error err = {0};
    eip_status s;
    eip_attack_score score = EIP_ATTACK_SCORE_GAIN;
    if (eip_cli_get(o, "score") && (s = eip_attack_score_parse(eip_cli_get(o, "score"), &score, &err)) != EIP_OK)
    {
        eip_cli_fail(cmd, s, &err);
        return EIP_EXIT_USAGE;
    }
    victim v;
    double before = 0;
    eip_data_set sub = {0};
    float *x = NULL, *scores = NULL;
    eip_train_targets hard = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    if ((s = victim_load(&v, o, threads, &err)) != EIP_OK ||
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
                                       strcmp(reset, "zero") ? EIP_ATTACK_RESET_MEDIAN : EIP_ATTACK_RESET_ZERO,
                                       NULL, &err)) != EIP_OK)
        goto fail;
    char what[128];
    snprintf(what, sizeof what, "reset the %lld most suspicious parameters (score %s, to %s)",
             (long long)budget, eip_attack_score_name(score), reset);
    rc = finish(cmd, &v, o, before, what);
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
