/* encryip protect: EncryIP Algorithm 1 (learning process) end to end —
 * keys, one fixed Enc per label, verification instances (section 4.4),
 * soft-label training — written as a bundle (docs/PROTECT.md).  With
 * --advparams the trained weights are also AdvParams-encrypted before they
 * are written (combined protection; keys/weights.key unlocks them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run_common.h"
#include "encryip/protect.h"

static const char USAGE[] =
    "--dataset NAME (--model NAME | --config FILE) --licensees P [--group paper|ristretto255] "
    "--out DIR [options]";

typedef struct build_ctx {
    const eip_cli_opt *o;
    eip_nn_ctx *nn;
    const eip_data_set *train;
    double width;
} build_ctx;

static eip_status build_net(void *ctx, int64_t k, eip_nn_net_t **net, eip_error *err)
{
    build_ctx *b = ctx;
    return eip_cli_net_build("protect", b->o, b->nn, b->train, k, b->width, net, err);
}

typedef struct conf_ctx {
    const eip_cli_train_settings *st;
    eip_cli_progress *prog;
    const char *csv;
} conf_ctx;

static void train_conf(void *ctx, int64_t steps, eip_train_config *tc)
{
    conf_ctx *c = ctx;
    eip_cli_train_config_fill(c->st, steps, tc);
    tc->progress = eip_cli_progress_cb;
    tc->progress_ctx = c->prog;
    tc->csv_path = c->csv;
}

static void stage_msg(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "protect: %s\n", msg);
}

static void adv_progress(void *ctx, int64_t changed, const char *tensor, double acc)
{
    (void)ctx;
    fprintf(stderr, "protect: AdvParams: %lld changed (%s), encryption-set accuracy %.4f\n",
            (long long)changed, tensor, acc);
}

/* Test accuracy of the encrypted weights decoded with the owner codebook:
 * what a thief holding every EncryIP key but not the weights key gets. */
static eip_status locked_accuracy(const eip_protect_result *res, const eip_data_set *test,
                                  int64_t limit, double *acc, eip_error *err)
{
    eip_protect_model_t *m = NULL;
    eip_data_set sub = {0};
    eip_protect_accuracy a;
    eip_status s = eip_protect_model_from_result(res, &m, err);
    if (!s)
        s = eip_data_set_subset_first(test, limit < test->n ? limit : test->n, &sub, err);
    if (!s)
        s = eip_protect_decode_accuracy(m, NULL, res->codebook, &sub, NULL, &a, err);
    *acc = s ? -1 : a.codebook_ml;
    eip_data_set_free(&sub);
    eip_protect_model_free(m);
    return s;
}

int eip_cli_protect(int argc, char **argv)
{
    const char *cmd = "protect";
    eip_cli_opt o[] = {
        {"model", "NAME", "zoo model: smallcnn, resnet18, alexnet, googlenet", false, NULL, false},
        {"config", "FILE", "architecture config file instead of --model", false, NULL, false},
        {"width", "W", "channel width multiplier (default 1)", false, NULL, false},
        {"dataset", "NAME", "fashion-mnist, mnist, cifar10, cifar100, gtsrb", true, NULL, false},
        {"data-dir", "DIR", "dataset directory (default: the installed location)", false, NULL, false},
        {"limit", "N", "use N training images (a fixed seeded random subset)", false, NULL, false},
        {"epochs", "E", "epochs (default 10)", false, NULL, false},
        {"batch", "B", "batch size (default 128)", false, NULL, false},
        {"optim", "NAME", "sgd (momentum 0.9, Nesterov) or adamw (default sgd)", false, NULL, false},
        {"lr", "LR", "peak learning rate (default 0.05 sgd, 0.001 adamw)", false, NULL, false},
        {"wd", "WD", "weight decay (default 5e-4 sgd, 0.01 adamw)", false, NULL, false},
        {"schedule", "NAME", "cosine, step or const (default cosine)", false, NULL, false},
        {"warmup", "E", "linear warm-up epochs (default 1 if epochs > 2, else 0)", false, NULL, false},
        {"seed", "S", "seed for init, shuffling, dropout, noise images (default 1)", false, NULL, false},
        {"threads", "T", "oneDNN threads (default: all cores)", false, NULL, false},
        {"precision", "P", "fp32 or bf16 (mixed precision, needs AVX-512 bf16; else a warning and fp32) (default fp32)", false, NULL, false},
        {"csv", "FILE", "per-epoch CSV: epoch,train_loss,test_acc,seconds,lr", false, NULL, false},
        {"licensees", "P", "licensees (secret keys) to generate", false, NULL, false},
        {"group", "G", "paper (Z_q^*, insecure, as in the paper) or ristretto255 (default)", false, NULL, false},
        {"q", "Q", "paper group: prime q > z (default: smallest prime > z); P <= q-1", false, NULL, false},
        {"keys", "DIR", "reuse keygen output DIR/public.key + DIR/master.key instead of Gen", false, NULL, false},
        {"verify-instances", "V", "paper: Fake instances (default 24); ristretto255: per licensee (default 16)", false, NULL, false},
        {"verify-source", "S", "verification images: noise (default) or mnist (digits)", false, NULL, false},
        {"verify-fraction", "F", "replicas of the verification set ~ F of the training set (default 0.02)", false, NULL, false},
        {"verify-reps", "R", "replicas of each verification instance (default: ~150 presentations over all epochs)", false, NULL, false},
        {"eval-limit", "N", "per-epoch accuracy on the first N test images (default 2000)", false, NULL, false},
        {"crypto-seed", "S", "keys and ciphertexts from seed S: reproducible, NOT secret (tests/demos)", false, NULL, false},
        {"advparams", NULL, "also AdvParams-encrypt the weights (combined protection; writes keys/weights.key)", false, NULL, false},
        {"adv-budget", "N", "AdvParams: max parameters changed (default 25)", false, NULL, false},
        {"adv-trials", "T", "AdvParams: candidates tried per step (default 32)", false, NULL, false},
        {"adv-enc-size", "N", "AdvParams: encryption-set training images (default 256)", false, NULL, false},
        {"adv-layers", "L", "AdvParams: candidate tensors all, first, bn, last or a+b (default all)", false, NULL, false},
        {"adv-objective", "O", "AdvParams: candidate ranking margin or loss (default margin)", false, NULL, false},
        {"out", "DIR", "bundle directory to create", true, NULL, false},
        {"force", NULL, "replace an existing bundle at --out", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, USAGE, o, argc, argv);
    if (rc >= 0)
        return rc;
    eip_cli_train_settings st;
    if (!eip_cli_train_settings_parse(cmd, o, &st))
        return EIP_EXIT_USAGE;
    int64_t p, q, nv, evl, cseed, vreps, adv_budget, adv_n, adv_trials;
    double vfrac;
    if (!eip_cli_get_i64(cmd, o, "licensees", 0, 1, EIP_CRYPTO_MAX_LICENSEES, &p) ||
        !eip_cli_get_i64(cmd, o, "q", 0, 3, EIP_CRYPTO_MAX_PAPER_Q, &q) ||
        !eip_cli_get_i64(cmd, o, "verify-instances", 0, 1, EIP_PROTECT_MAX_VERIF, &nv) ||
        !eip_cli_get_f64(cmd, o, "verify-fraction", 0.02, 1e-6, 0.5, &vfrac) ||
        !eip_cli_get_i64(cmd, o, "verify-reps", 0, 1, 100000, &vreps) ||
        !eip_cli_get_i64(cmd, o, "eval-limit", 2000, 1, INT64_MAX, &evl) ||
        !eip_cli_get_i64(cmd, o, "crypto-seed", -1, 0, INT64_MAX, &cseed) ||
        !eip_cli_get_i64(cmd, o, "adv-budget", 25, 1, EIP_ADVPARAMS_MAX_ENTRIES, &adv_budget) ||
        !eip_cli_get_i64(cmd, o, "adv-trials", eip_advparams_config_default(0).trials, 1, 1000, &adv_trials) ||
        !eip_cli_get_i64(cmd, o, "adv-enc-size", EIP_PROTECT_ADV_DEFAULT_ENC, 1, 100000, &adv_n))
        return EIP_EXIT_USAGE;
    const int adv = eip_cli_has(o, "advparams");
    if (!adv && (eip_cli_has(o, "adv-budget") || eip_cli_has(o, "adv-enc-size") || eip_cli_has(o, "adv-trials") ||
                 eip_cli_has(o, "adv-layers") || eip_cli_has(o, "adv-objective"))) {
        fprintf(stderr, "encryip %s: error: --adv-budget, --adv-enc-size, --adv-trials, --adv-layers and "
                        "--adv-objective need --advparams\n", cmd);
        return EIP_EXIT_USAGE;
    }
    if (!!eip_cli_has(o, "keys") == !!eip_cli_has(o, "licensees")) {
        fprintf(stderr, "encryip %s: error: give exactly one of --licensees P (new keys) or --keys DIR\n",
                cmd);
        return EIP_EXIT_USAGE;
    }
    const char *vsrc = eip_cli_get(o, "verify-source") ? eip_cli_get(o, "verify-source") : "noise";
    if (strcmp(vsrc, "noise") && strcmp(vsrc, "mnist")) {
        fprintf(stderr, "encryip %s: error: --verify-source: '%s' is not noise or mnist\n", cmd, vsrc);
        return EIP_EXIT_USAGE;
    }
    eip_error err = {0};
    eip_status s;
    int adv_layers = EIP_ADVPARAMS_LAYERS_ALL;
    if (eip_cli_has(o, "adv-layers") &&
        (s = eip_advparams_layers_parse(eip_cli_get(o, "adv-layers"), &adv_layers, &err))) {
        eip_error_prefix(&err, "--adv-layers: ");
        return eip_cli_fail(cmd, s, &err);
    }
    eip_advparams_objective adv_objective = eip_advparams_config_default(0).objective;
    if (eip_cli_has(o, "adv-objective") &&
        (s = eip_advparams_objective_parse(eip_cli_get(o, "adv-objective"), &adv_objective, &err))) {
        eip_error_prefix(&err, "--adv-objective: ");
        return eip_cli_fail(cmd, s, &err);
    }
    eip_crypto_group_id grp = EIP_CRYPTO_GROUP_RISTRETTO255;
    if (eip_cli_has(o, "group") && (s = eip_crypto_group_parse(eip_cli_get(o, "group"), &grp, &err)))
        return eip_cli_fail(cmd, s, &err);
    if (grp == EIP_CRYPTO_GROUP_RISTRETTO255 && eip_cli_has(o, "q")) {
        fprintf(stderr, "encryip %s: error: --q: only the paper group takes a modulus\n", cmd);
        return EIP_EXIT_USAGE;
    }
    if ((s = eip_crypto_init(&err)))
        return eip_cli_fail(cmd, s, &err);

    const char *out = eip_cli_get(o, "out");
    eip_data_set train = {0}, test = {0};
    eip_nn_ctx ctx = {0};
    eip_crypto_rng_t *rng = NULL;
    eip_crypto_pk_t *pk = NULL;
    eip_crypto_master_t *master = NULL;
    eip_protect_result res = {0};
    /* Refuse an existing --out before spending minutes on training (the
     * bundle writer checks again at the end). */
    if (access(out, F_OK) == 0) {
        if (!eip_cli_has(o, "force")) {
            eip_error_set(&err, EIP_ERR_STATE, "%s: already exists (pass --force to replace it)", out);
            return eip_cli_fail(cmd, EIP_ERR_STATE, &err);
        }
    }
    if (eip_cli_has(o, "keys")) {
        char path[4096];
        snprintf(path, sizeof path, "%s/public.key", eip_cli_get(o, "keys"));
        if ((s = eip_crypto_pk_load(path, &pk, &err)))
            goto fail;
        snprintf(path, sizeof path, "%s/master.key", eip_cli_get(o, "keys"));
        if ((s = eip_crypto_master_load(path, &master, &err)))
            goto fail;
        grp = eip_crypto_pk_group(pk);
    }
    if ((s = eip_cli_dataset_load(eip_cli_get(o, "dataset"), eip_cli_get(o, "data-dir"), st.limit,
                                  &train, &test, &err)))
        goto fail;
    if (grp == EIP_CRYPTO_GROUP_PAPER)
        fprintf(stderr, "protect: warning: the paper group Z_q^* is trivially breakable (discrete logs "
                        "in a group of order q-1): anyone with the public key decrypts every output; "
                        "use --group ristretto255 for real protection\n");
    if (cseed >= 0 && (s = eip_crypto_rng_new_u64((uint64_t)cseed, &rng, &err)))
        goto fail;
    if ((s = eip_nn_ctx_init(&ctx, (int)st.threads, &err)))
        goto fail;

    eip_cli_progress prog;
    eip_cli_progress_init(&prog, cmd);
    build_ctx bc = {o, &ctx, &train, st.width};
    conf_ctx cc = {&st, &prog, eip_cli_get(o, "csv")};
    eip_protect_config pc;
    memset(&pc, 0, sizeof pc);
    pc.train = &train;
    pc.test = &test;
    pc.group = grp;
    pc.q = q;
    pc.licensees = p;
    pc.pk = pk;
    pc.master = master;
    pc.verif_count = nv;
    pc.verif_source = strcmp(vsrc, "mnist") ? EIP_PROTECT_VERIF_NOISE : EIP_PROTECT_VERIF_MNIST;
    pc.verif_fraction = vfrac;
    pc.verif_reps = vreps;
    pc.nn = &ctx;
    pc.build = build_net;
    pc.build_ctx = &bc;
    pc.trainconf = train_conf;
    pc.trainconf_ctx = &cc;
    pc.batch = st.batch;
    pc.seed = st.seed;
    pc.crypto_rng = rng;
    pc.stage = stage_msg;
    pc.eval_limit = evl;
    fprintf(stderr, "protect: %s, %lld training images %dx%dx%d, %d classes\n", train.name,
            (long long)train.n, train.c, train.h, train.w, train.num_classes);
    if ((s = eip_protect_run(&pc, &res, &err)))
        goto fail;
    double locked_acc = -1;
    if (adv) {
        eip_advparams_config ac = eip_advparams_config_default(train.num_classes);
        ac.budget = adv_budget;
        ac.trials = adv_trials;
        ac.layers = adv_layers;
        ac.objective = adv_objective;
        ac.progress = adv_progress;
        fprintf(stderr, "protect: AdvParams: encrypting the weights (budget %lld, %lld encryption "
                        "images, target accuracy %.2f)\n", (long long)adv_budget, (long long)adv_n,
                ac.target_acc);
        if ((s = eip_protect_advparams_encrypt(&res, &train, adv_n, &ac, &err)))
            goto fail;
        if (!res.adv.reached)
            fprintf(stderr, "protect: warning: AdvParams spent its budget of %lld parameters before "
                            "the target: the encrypted weights still score %.4f on the encryption set "
                            "(raise --adv-budget)\n", (long long)adv_budget, res.adv.acc_after);
        if ((s = locked_accuracy(&res, &test, evl, &locked_acc, &err)))
            goto fail;
    }

    char cmdline[1024];
    size_t off = 0;
    cmdline[0] = '\0';
    for (int i = 0; i < argc && off < sizeof cmdline; i++)
        off += (size_t)snprintf(cmdline + off, sizeof cmdline - off, "%s%s", i ? " " : "encryip ",
                                argv[i]);
    eip_protect_bundle_info info = {
        eip_cli_get(o, "dataset"),
        eip_cli_get(o, "model") ? eip_cli_get(o, "model") : eip_cli_get(o, "config"),
        st.width, st.epochs, st.batch, st.lr, st.wd, st.optim, st.schedule, st.seed, cseed >= 0,
        vsrc, cmdline};
    if ((s = eip_protect_bundle_write(&res, &info, out, eip_cli_has(o, "force"), &err)))
        goto fail;
    printf("protected model: %s group, %lld licensees, K=%lld outputs, %lld verification instances "
           "(%.0f%% memorised)\n",
           eip_crypto_group_name(eip_crypto_pk_group(res.pk)), (long long)res.licensees,
           (long long)res.k, (long long)res.verif.n, 100.0 * res.verif_memorised);
    printf("test accuracy (decrypted with any licensee key): %.4f ML decoding, %.4f arg-max (eq. 3)\n",
           res.test_acc_ml, res.test_acc_argmax);
    if (adv) {
        printf("weights AdvParams-encrypted: %lld of %lld parameters changed; encryption-set accuracy "
               "%.4f -> %.4f%s; test accuracy of the encrypted weights (owner codebook, no weights "
               "key) %.4f\n", (long long)res.adv.changed, (long long)res.adv.n_params,
               res.adv.acc_before, res.adv.acc_after, res.adv.reached ? "" : " (target NOT reached)",
               locked_acc);
        printf("keys/weights.key unlocks the weights (in memory: predict/classify --weights-key); it is "
               "the same for every licensee\n");
    }
    printf("bundle written to %s: deploy/ (give to licensees), keys/licensee-<j>.key, owner/ (secret)\n",
           out);
    rc = EIP_EXIT_OK;
    goto done;
fail:
    rc = eip_cli_fail(cmd, s, &err);
done:
    eip_protect_result_free(&res);
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(master);
    eip_crypto_rng_free(rng);
    eip_nn_ctx_free(&ctx);
    eip_data_set_free(&train);
    eip_data_set_free(&test);
    return rc;
}
