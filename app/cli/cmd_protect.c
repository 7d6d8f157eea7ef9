/* The owner's side of EncryIP:
 *   protect  Algorithm 1 (learning process) end to end — keys, one fixed Enc
 *            per label, verification instances (section 4.4), soft-label
 *            training — written as a bundle (docs/PROTECT.md).  With
 *            --advparams the trained weights are also AdvParams-encrypted
 *            before they are written (combined protection; keys/weights.key
 *            unlocks them).
 *   trace    verification with the secret key unavailable (section 4.4,
 *            eq. (5)).  The verification images are written to a temporary
 *            idx file, the suspect deployment is run as
 *                /bin/sh -c 'CMD ARGS <file>'
 *            (the file path appended as the last argument, shell-quoted) and
 *            must print one label per image on stdout (an integer; anything
 *            else counts as no label).  Each licensee's agreement count is
 *            then tested against chance (eip_protect_trace_score).  Exit 0
 *            when a licensee is named, 6 otherwise.  --suspect-url URL
 *            queries an HTTP deployment instead: the images are POSTed as
 *            raw uint8 tensors (the request shape of `encryip serve`'s
 *            /v1/predict) and the JSON answer's array at --labels-path holds
 *            the labels (docs/SERVE.md "Remote trace"); same decision rule.
 * (predict / classify, the licensee's side: cmd_deploy.c) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/groups.h"
#include "cli/run_common.h"
#include "encryip/protect.h"
#include "encryip/util.h"
#include "serve/client.h"

typedef struct build_ctx {
    const eip_cli_train_group *tg;
    eip_nn_ctx *nn;
    const eip_data_set *train;
    double width;
} build_ctx;

static eip_status build_net(void *ctx, int64_t k, eip_nn_net_t **net, eip_error *err)
{
    build_ctx *b = ctx;
    return eip_cli_net_build("protect", b->tg->model, b->tg->config, b->nn, b->train, k, b->width, net, err);
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

/* A bundle whose verification instances were not memorised cannot be
 * traced: refuse it (docs/PROTECT.md "Memorisation rule") unless the user
 * says --allow-unmemorised. */
static eip_status memorisation_gate(bool allow, const eip_protect_result *res, int32_t classes,
                                    eip_error *err)
{
    eip_protect_memcheck mc;
    eip_status s = eip_protect_memorisation_check(res, classes, &mc, err);
    if (s || mc.ok)
        return s;
    char what[320];
    snprintf(what, sizeof what, "verification instances memorised %.1f%%; licensee %lld: %lld of %lld "
             "(trace needs >= %.0f%% and a chance probability < %g), %lld of %lld licensees untraceable",
             100.0 * mc.rate, (long long)mc.worst, (long long)mc.worst_hit, (long long)mc.worst_total,
             100.0 * EIP_PROTECT_TRACE_MIN_RATE, EIP_PROTECT_TRACE_PVALUE, (long long)mc.failing,
             (long long)res->licensees);
    if (allow) {
        fprintf(stderr, "protect: warning: %s; writing the bundle anyway (--allow-unmemorised): "
                        "trace will not name those licensees\n", what);
        return EIP_OK;
    }
    const int few = (double)mc.worst_hit >= EIP_PROTECT_TRACE_MIN_RATE * (double)mc.worst_total;
    return eip_error_set(err, EIP_ERR_STATE,
                         "%s: a leak could not be traced, no bundle written. Fix: %s (or pass "
                         "--allow-unmemorised to write it anyway)", what,
                         few ? "more instances per licensee (--verify-instances)"
                             : "more replicas (--verify-reps), more epochs (--epochs) or a lower "
                               "learning rate (--lr)");
}

int eip_cli_protect(int argc, char **argv)
{
    eip_cli_train_group tg;
    eip_cli_train_group_init(&tg);
    eip_cli_adv_group adv;
    eip_cli_adv_group_init(&adv, true,
                           EIP_CLI_ADV_BUDGET | EIP_CLI_ADV_TRIALS | EIP_CLI_ADV_IMAGES | EIP_CLI_ADV_LAYERS |
                               EIP_CLI_ADV_OBJECTIVE);
    int64_t p = 0, q = 0, nv = 0, evl = 2000, cseed = -1, vreps = 0;
    double vfrac = 0.02;
    int vsrc = 0;
    const char *keys = NULL, *out = NULL;
    bool advparams = false, force = false, allow_unmem = false;
    eip_crypto_group_id grp = EIP_CRYPTO_GROUP_RISTRETTO255;
    static const char *const vsrc_names[] = {"noise", "mnist", NULL};
    eip_cli_opt o[] = {
        {.name = "licensees", .arg = "P", .i64 = &p, .min = 1, .max = EIP_CRYPTO_MAX_LICENSEES, .def_doc = "",
         .help = "licensees (secret keys) to generate (or --keys)"},
        eip_cli_opt_group(&grp),
        {.name = "q", .arg = "Q", .i64 = &q, .min = 3, .max = EIP_CRYPTO_MAX_PAPER_Q,
         .def_doc = "the smallest prime > z", .help = "paper group: prime q > z; P <= q-1"},
        {.name = "keys", .arg = "DIR", .str = &keys,
         .help = "reuse keygen output DIR/public.key + DIR/master.key instead of Gen"},
        {.name = "verify-instances", .arg = "V", .i64 = &nv, .min = 1, .max = EIP_PROTECT_MAX_VERIF,
         .def_doc = "paper 24, ristretto255 16", .help = "paper: Fake instances; ristretto255: per licensee"},
        {.name = "verify-source", .arg = "S", .choice = &vsrc, .choices = vsrc_names, .def = "noise",
         .help = "verification images: noise or mnist (digits)"},
        {.name = "verify-fraction", .arg = "F", .f64 = &vfrac, .fmin = 1e-6, .fmax = 0.5, .def = "0.02",
         .help = "replicas of the verification set ~ F of the training set"},
        {.name = "verify-reps", .arg = "R", .i64 = &vreps, .min = 1, .max = 100000,
         .def_doc = "~150 presentations over all epochs", .help = "replicas of each verification instance"},
        {.name = "eval-limit", .arg = "N", .i64 = &evl, .min = 1, .max = INT64_MAX, .def = "2000",
         .help = "per-epoch accuracy on the first N test images"},
        {.name = "crypto-seed", .arg = "S", .i64 = &cseed, .min = 0, .max = INT64_MAX, .def_doc = "CSPRNG",
         .help = "keys and ciphertexts from seed S: reproducible, NOT secret (tests/demos)"},
        {.name = "advparams", .flag = &advparams,
         .help = "also AdvParams-encrypt the weights (combined protection; writes keys/weights.key)"},
        {.name = "out", .arg = "DIR", .str = &out, .required = true, .help = "bundle directory to create"},
        {.name = "force", .flag = &force, .help = "replace an existing bundle at --out"},
        {.name = "allow-unmemorised", .flag = &allow_unmem,
         .help = "write the bundle even if trace could not name a licensee (verification instances not "
                 "memorised)"},
        {0},
    };
    const eip_cli_spec spec = {"protect",
                               "--dataset NAME (--model NAME | --config FILE) (--licensees P | --keys DIR) "
                               "[--group paper|ristretto255] [--advparams [--adv-budget N] ...] --out DIR "
                               "[options]",
                               {tg.opts, o, adv.opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    if (!eip_cli_train_group_finish(cmd, &tg))
        return EIP_EXIT_USAGE;
    eip_cli_train_settings st = tg.st;
    const int adv_on = advparams;
    if (!adv_on && eip_cli_adv_group_any(&adv))
        return eip_cli_usage_error(cmd, "--adv-budget, --adv-enc-size, --adv-trials, --adv-layers and "
                                        "--adv-objective need --advparams");
    if (!!keys == !!eip_cli_given(&spec, &p))
        return eip_cli_usage_error(cmd, "give exactly one of --licensees P (new keys) or --keys DIR");
    eip_error err = {0};
    eip_status s;
    if (grp == EIP_CRYPTO_GROUP_RISTRETTO255 && eip_cli_given(&spec, &q))
        return eip_cli_usage_error(cmd, "--q: only the paper group takes a modulus");

    eip_data_set train = {0}, test = {0};
    eip_nn_ctx ctx = {0};
    eip_crypto_rng_t *rng = NULL;
    eip_crypto_pk_t *pk = NULL;
    eip_crypto_master_t *master = NULL;
    eip_protect_result res = {0};
    /* Everything the bundle writer will check of --out (existing bundle,
     * --force, writable parent, trailing slash), before minutes of training. */
    if ((s = eip_protect_bundle_check_out(out, force, &err)))
        return eip_cli_fail(cmd, s, &err);
    if (keys) {
        char path[4096];
        snprintf(path, sizeof path, "%s/public.key", keys);
        if ((s = eip_crypto_pk_load(path, &pk, &err)))
            goto fail;
        snprintf(path, sizeof path, "%s/master.key", keys);
        if ((s = eip_crypto_master_load(path, &master, &err)))
            goto fail;
        grp = eip_crypto_pk_group(pk);
    }
    if ((s = eip_cli_dataset_load(tg.dataset, tg.data_dir, st.limit,
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
    eip_cli_train_precision_apply(cmd, &tg, &ctx);

    eip_cli_progress prog;
    eip_cli_progress_init(&prog, cmd);
    build_ctx bc = {&tg, &ctx, &train, st.width};
    conf_ctx cc = {&st, &prog, tg.csv};
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
    pc.verif_source = vsrc ? EIP_PROTECT_VERIF_MNIST : EIP_PROTECT_VERIF_NOISE;
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
    if ((s = memorisation_gate(allow_unmem, &res, train.num_classes, &err)))
        goto fail;
    double locked_acc = -1;
    if (adv_on) {
        eip_advparams_config ac = eip_advparams_config_default(train.num_classes);
        eip_cli_adv_group_apply(&adv, &ac);
        ac.progress = adv_progress;
        fprintf(stderr, "protect: AdvParams: encrypting the weights (budget %lld, %lld encryption "
                        "images, target accuracy %.2f)\n", (long long)adv.budget, (long long)adv.images,
                ac.target_acc);
        if ((s = eip_protect_advparams_encrypt(&res, &train, adv.images, &ac, &err)))
            goto fail;
        if (!res.adv.reached)
            fprintf(stderr, "protect: warning: AdvParams spent its budget of %lld parameters before "
                            "the target: the encrypted weights still score %.4f on the encryption set "
                            "(raise --adv-budget)\n", (long long)adv.budget, res.adv.acc_after);
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
        tg.dataset, tg.model ? tg.model : tg.config,
        st.width, st.epochs, st.batch, st.lr, st.wd, st.optim, st.schedule, st.seed, cseed >= 0,
        vsrc_names[vsrc], cmdline};
    if ((s = eip_protect_bundle_write(&res, &info, out, force, &err)))
        goto fail;
    printf("protected model: %s group, %lld licensees, K=%lld outputs, %lld verification instances "
           "(%.0f%% memorised)\n",
           eip_crypto_group_name(eip_crypto_pk_group(res.pk)), (long long)res.licensees,
           (long long)res.k, (long long)res.verif.n, 100.0 * res.verif_memorised);
    printf("test accuracy (decrypted with any licensee key): %.4f ML decoding, %.4f arg-max (eq. 3)\n",
           res.test_acc_ml, res.test_acc_argmax);
    if (adv_on) {
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

/* Runs the suspect on path and parses one label per line into printed [n]. */
static eip_status run_suspect(const char *suspect, const char *path, int64_t n, int32_t classes,
                              int32_t *printed, int64_t *lines, eip_error *err)
{
    size_t len = strlen(suspect) + 2 * strlen(path) + 8;
    char *cmd = malloc(len);
    if (!cmd)
        return eip_error_set(err, EIP_ERR_NOMEM, "out of memory");
    /* path comes from mkdtemp (no quote characters); quote it anyway */
    snprintf(cmd, len, "%s '%s'", suspect, path);
    for (int64_t i = 0; i < n; i++)
        printed[i] = EIP_CRYPTO_NOT_A_LABEL;
    fflush(stdout);
    fflush(stderr);
    FILE *fp = popen(cmd, "r");
    free(cmd);
    if (!fp)
        return eip_error_set(err, EIP_ERR_IO, "--suspect: cannot run '%s': %s", suspect, strerror(errno));
    char line[256];
    *lines = 0;
    while (fgets(line, sizeof line, fp)) {
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
            line[--l] = '\0';
        int64_t v;
        if (*lines < n && eip_parse_i64("label", line, 0, classes - 1, &v, NULL) == EIP_OK)
            printed[*lines] = (int32_t)v;
        ++*lines;
    }
    int st = pclose(fp);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return eip_error_set(err, EIP_ERR_IO, "--suspect: '%s' failed (%s %d); its stderr is above",
                             suspect, WIFEXITED(st) ? "exit" : "signal",
                             WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? WTERMSIG(st) : -1);
    return EIP_OK;
}

int eip_cli_trace(int argc, char **argv)
{
    const char *bundle = NULL, *keyring = NULL, *verification = NULL, *suspect = NULL, *url = NULL,
               *lpath = NULL;
    int64_t sbatch = 64;
    double stimeout = 60;
    bool no_log = false;
    eip_cli_opt o[] = {
        {.name = "bundle", .arg = "DIR", .str = &bundle,
         .help = "protect bundle: uses DIR/owner/keyring.sqlite + verification.json"},
        {.name = "keyring", .arg = "FILE", .str = &keyring, .help = "keyring (instead of --bundle)"},
        {.name = "verification", .arg = "FILE", .str = &verification,
         .help = "verification.json (instead of --bundle)"},
        {.name = "suspect", .arg = "CMD", .str = &suspect,
         .help = "command run as `sh -c 'CMD FILE'`, printing one label per image of FILE"},
        {.name = "suspect-url", .arg = "URL", .str = &url,
         .help = "instead of --suspect: an HTTP deployment answering POSTed images with labels "
                 "(docs/SERVE.md)"},
        {.name = "labels-path", .arg = "PATH", .str = &lpath, .def = "labels",
         .help = "with --suspect-url: dotted JSON path of the labels array in the answer"},
        {.name = "suspect-batch", .arg = "N", .i64 = &sbatch, .min = 1, .max = 65536, .def = "64",
         .help = "with --suspect-url: images per request"},
        {.name = "suspect-timeout", .arg = "S", .f64 = &stimeout, .fmin = 0.1, .fmax = 3600, .def = "60",
         .help = "with --suspect-url: seconds per HTTP request"},
        {.name = "no-log", .flag = &no_log, .help = "do not record the verdict in the keyring's log"},
        {0},
    };
    const eip_cli_spec spec = {
        "trace",
        "(--bundle DIR | --keyring K --verification V.json) (--suspect 'CMD ARGS' | --suspect-url URL "
        "[--labels-path PATH]) [--no-log]",
        {o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    if (!!url == !!suspect)
        return eip_cli_usage_error(cmd, "give exactly one of --suspect CMD or --suspect-url URL");
    if (!url && (eip_cli_given(&spec, &lpath) || eip_cli_given(&spec, &sbatch) ||
                 eip_cli_given(&spec, &stimeout)))
        return eip_cli_usage_error(cmd, "--labels-path, --suspect-batch and --suspect-timeout go with "
                                        "--suspect-url");
    if (url)
        suspect = url; /* what the keyring's log records */
    char kpath[4096], vpath[4096];
    if (bundle && !keyring && !verification) {
        /* the verification set must be the one protect wrote (manifest.json) */
        eip_error verr = {0};
        eip_status vs = eip_protect_bundle_verify(bundle, &verr);
        if (vs)
            return eip_cli_fail(cmd, vs, &verr);
        snprintf(kpath, sizeof kpath, "%s/owner/keyring.sqlite", bundle);
        snprintf(vpath, sizeof vpath, "%s/owner/verification.json", bundle);
    } else if (!bundle && keyring && verification) {
        snprintf(kpath, sizeof kpath, "%s", keyring);
        snprintf(vpath, sizeof vpath, "%s", verification);
    } else {
        return eip_cli_usage_error(cmd, "give --bundle DIR, or both --keyring and --verification");
    }
    eip_error err = {0};
    eip_status s;
    eip_keyring_t *kr = NULL;
    eip_protect_tracer_t *tracer = NULL;
    const eip_protect_verif *v = NULL;
    eip_protect_trace_result tr = {0};
    eip_keyring_licensee *lic = NULL;
    int64_t nlic = 0, lines = 0;
    int32_t *printed = NULL;
    char tmpdir[] = "/tmp/encryip-trace.XXXXXX", ipath[64] = "";
    int have_tmp = 0;
    /* keyring + verification set, checked against each other (library) */
    if ((s = eip_protect_tracer_open(kpath, vpath, &tracer, &err)))
        goto done;
    kr = eip_protect_tracer_keyring(tracer);
    v = eip_protect_tracer_verif(tracer);
    if ((s = eip_keyring_licensee_list(kr, &lic, &nlic, &err)))
        goto done;
    if (!url) { /* the command reads the images from a file */
        if (!mkdtemp(tmpdir)) {
            s = eip_error_set(&err, EIP_ERR_IO, "%s: cannot create a temporary directory", tmpdir);
            goto done;
        }
        have_tmp = 1;
        snprintf(ipath, sizeof ipath, "%s/verification.idx", tmpdir);
        if ((s = eip_protect_images_save(&v->images, ipath, &err)))
            goto done;
    }
    printed = malloc((size_t)(v->n > 0 ? v->n : 1) * sizeof *printed);
    if (!printed) {
        s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
        goto done;
    }
    const int32_t z = eip_crypto_pk_classes(eip_keyring_pk(kr));
    if (url) {
        fprintf(stderr, "trace: querying the suspect with %lld verification instances: POST %s\n",
                (long long)v->n, url);
        int64_t answered = 0;
        if ((s = eip_serve_remote_labels(url, stimeout, lpath, v->images.pixels, v->n, v->images.c,
                                         v->images.h, v->images.w, sbatch, z, printed, &answered, &err)))
            goto done;
        lines = v->n;
    } else {
        fprintf(stderr, "trace: querying the suspect with %lld verification instances: %s %s\n",
                (long long)v->n, suspect, ipath);
        if ((s = run_suspect(suspect, ipath, v->n, z, printed, &lines, &err)))
            goto done;
    }
    if (lines != v->n)
        fprintf(stderr, "trace: warning: the suspect printed %lld lines for %lld images (missing lines "
                        "count as no label)\n", (long long)lines, (long long)v->n);
    if ((s = eip_protect_trace_keyring(kr, v, printed, &tr, &err)))
        goto done;
    printf("trace: %lld instances queried, %lld answered with a label; chance agreement 1/%d\n",
           (long long)tr.queried, (long long)tr.answered, (int)z);
    int64_t best_m = 0, best_t = 0;
    for (int64_t k = 0; k < tr.licensees; k++) {
        const char *name = k < nlic ? lic[k].name : "?";
        printf("  licensee %lld (%s): %lld/%lld agree, p = %.3g%s%s\n", (long long)tr.id[k], name,
               (long long)tr.matched[k], (long long)tr.total[k], tr.pvalue[k],
               tr.total[k] == 0 ? " (no verification instance decrypts to a label under this key: "
                                  "not traceable)" : "",
               k < nlic && lic[k].revoked[0] ? " [revoked]" : "");
        if (tr.id[k] == tr.named) {
            best_m = tr.matched[k];
            best_t = tr.total[k];
        }
    }
    if (tr.named) {
        eip_keyring_licensee who;
        if ((s = eip_keyring_licensee_get(kr, tr.named, &who, &err)))
            goto done;
        printf("licensee %lld (%s): %lld of %lld verification instances agree%s%s\n",
               (long long)tr.named, who.name, (long long)best_m, (long long)best_t,
               who.revoked[0] ? ", revoked at " : "", who.revoked);
    } else {
        printf("no licensee: no licensee's agreement is significantly above chance (p < %g and >= %.0f%% "
               "of its instances)\n", EIP_PROTECT_TRACE_PVALUE, 100 * EIP_PROTECT_TRACE_MIN_RATE);
    }
    if (!no_log) {
        char what[EIP_KEYRING_SUSPECT_MAX + 1];
        snprintf(what, sizeof what, "%s", suspect);
        if ((s = eip_keyring_log_add(kr, EIP_KEYRING_LOG_TRACE, what, tr.named,
                                     tr.named ? best_m : 0, tr.queried, &err)))
            goto done;
    }
    rc = tr.named ? EIP_EXIT_OK : EIP_EXIT_NOMATCH;
done:
    if (have_tmp) {
        if (ipath[0])
            unlink(ipath);
        rmdir(tmpdir);
    }
    free(printed);
    free(lic);
    eip_protect_trace_result_free(&tr);
    eip_protect_tracer_free(tracer); /* closes kr */
    return s ? eip_cli_fail(cmd, s, &err) : rc;
}
