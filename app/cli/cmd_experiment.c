/* encryip experiment table1 | curves | cost: the EncryIP experiments of
 * paper section 5 (Table 1, Figure 4, training cost), run in-process through
 * the library (app/experiment/encryip_*.c; docs/RESULTS.md "EncryIP");
 * experiment combined: EncryIP + AdvParams (docs/PROTECT.md "Combined
 * protection").
 * (`experiment advparams` lives in cmd_advparams.c.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "encryip/advparams.h"
#include "experiment/experiment.h"

/* "encryip experiment table1 --flag ..." for the markdown. */
static void command_line(const char *sub, int argc, char **argv, char *buf, size_t cap)
{
    size_t off = (size_t)snprintf(buf, cap, "encryip experiment %s", sub);
    for (int i = 1; i < argc && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, " %s", argv[i]);
}

static bool out_dir_make(const char *cmd, const char *dir)
{
    if (mkdir(dir, 0755) == 0)
        return true;
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return true;
    fprintf(stderr, "encryip %s: error: --out: cannot create directory %s\n", cmd, dir);
    return false;
}

/* Comma list into names[max][EIP_EXP_ENCRYIP_NAME]. */
static bool names_parse(const char *cmd, const char *flag, const char *s, char names[][EIP_EXP_ENCRYIP_NAME],
                        int max, int *n)
{
    *n = 0;
    const char *p = s;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0 || len >= EIP_EXP_ENCRYIP_NAME || *n == max) {
            fprintf(stderr, "encryip %s: error: --%s: '%s' is not a list of at most %d names\n", cmd,
                    flag, s, max);
            return false;
        }
        memcpy(names[*n], p, len);
        names[*n][len] = '\0';
        (*n)++;
        p = e ? e + 1 : p + len;
        if (e && !*p) {
            fprintf(stderr, "encryip %s: error: --%s: trailing comma in '%s'\n", cmd, flag, s);
            return false;
        }
    }
    return *n > 0;
}

/* --groups paper,ristretto255 -> bit 0 paper, bit 1 ristretto255. */
static bool groups_parse(const char *cmd, const char *s, int *groups)
{
    char g[2][EIP_EXP_ENCRYIP_NAME];
    int ng = 0;
    if (!names_parse(cmd, "groups", s, g, 2, &ng))
        return false;
    *groups = 0;
    for (int i = 0; i < ng; i++) {
        if (!strcmp(g[i], "paper"))
            *groups |= 1;
        else if (!strcmp(g[i], "ristretto255"))
            *groups |= 2;
        else {
            fprintf(stderr, "encryip %s: error: --groups: '%s' is not paper or ristretto255\n", cmd,
                    g[i]);
            return false;
        }
    }
    return true;
}

/* table1 --merge DIR,...: only --out and --no-plots go with it. */
static int table1_merge(const char *cmd, const eip_cli_opt *o, int argc, char **argv,
                        eip_exp_encryip_config *c)
{
    for (const eip_cli_opt *p = o; p->name; p++)
        if (strcmp(p->name, "merge") && strcmp(p->name, "out") && strcmp(p->name, "no-plots") &&
            eip_cli_has(o, p->name)) {
            fprintf(stderr, "encryip %s: error: --%s does not go with --merge (the runs carry their "
                            "own settings)\n", cmd, p->name);
            return EIP_EXIT_USAGE;
        }
    enum { MAX_DIRS = 32 };
    char list[4096];
    const char *dirs[MAX_DIRS];
    int n = 0;
    if (snprintf(list, sizeof list, "%s", eip_cli_get(o, "merge")) >= (int)sizeof list) {
        fprintf(stderr, "encryip %s: error: --merge: list too long\n", cmd);
        return EIP_EXIT_USAGE;
    }
    char *save = NULL;
    for (char *d = strtok_r(list, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
        if (n == MAX_DIRS) {
            fprintf(stderr, "encryip %s: error: --merge: more than %d directories\n", cmd, MAX_DIRS);
            return EIP_EXIT_USAGE;
        }
        dirs[n++] = d;
    }
    if (!n) {
        fprintf(stderr, "encryip %s: error: --merge: no directory given\n", cmd);
        return EIP_EXIT_USAGE;
    }
    c->plots = !eip_cli_has(o, "no-plots");
    c->out_dir = eip_cli_get(o, "out");
    c->merged_from = eip_cli_get(o, "merge");
    if (!out_dir_make(cmd, c->out_dir))
        return EIP_EXIT_IO;
    char line[2048];
    command_line("table1", argc, argv, line, sizeof line);
    c->command = line;
    c->log = stderr;
    eip_error err = {0};
    eip_status s = eip_exp_encryip_merge(c, dirs, n, &err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    printf("tables: %s/table1.md, %s/table1_paper.md, %s/table1_ristretto255.md; runs: %s/table1.csv; "
           "curves: %s/curves_*.csv/.png\n", c->out_dir, c->out_dir, c->out_dir, c->out_dir, c->out_dir);
    return EIP_EXIT_OK;
}

int eip_cli_experiment_table1(int argc, char **argv)
{
    const char *cmd = "experiment table1";
    eip_cli_opt o[] = {
        {"models", "LIST", "zoo models (default resnet18,googlenet,alexnet)", false, NULL, false},
        {"datasets", "LIST", "datasets (default fashion-mnist,mnist)", false, NULL, false},
        {"width-resnet18", "W", "resnet18 width (default 0.25)", false, NULL, false},
        {"width-googlenet", "W", "googlenet width (default 0.5)", false, NULL, false},
        {"width-alexnet", "W", "alexnet width (default 0.25)", false, NULL, false},
        {"width-smallcnn", "W", "smallcnn width (default 0.5)", false, NULL, false},
        {"repeats", "R", "repeats per cell (default 3)", false, NULL, false},
        {"epochs", "E", "epochs of every model (default 3; alexnet 30)", false, NULL, false},
        {"batch", "B", "batch size (default 128)", false, NULL, false},
        {"optim", "NAME", "sgd (Nesterov) or adamw for every model (default sgd; alexnet adamw)", false, NULL, false},
        {"lr", "LR", "peak learning rate of every model, cosine (default 0.05; alexnet 0.003)", false, NULL, false},
        {"wd", "WD", "weight decay of every model (default 5e-4; alexnet 0.01)", false, NULL, false},
        {"limit", "N", "N training images, seeded random choice (default 6000; 0 = all)", false, NULL, false},
        {"test-limit", "N", "N test images (seeded random choice) for the table (default 2000; 0 = all)", false, NULL, false},
        {"eval-limit", "N", "per-epoch curve on N random test images (default 1000)", false, NULL, false},
        {"licensees", "P", "licensees per EncryIP model (default 3)", false, NULL, false},
        {"trials", "T", "verification trials per run (default 10)", false, NULL, false},
        {"wrong-keys", "W", "incorrect keys per run, each from its own key generation (default 5)", false, NULL, false},
        {"verify-reps", "R", "replicas per verification instance, every model (default: automatic; alexnet 40)", false, NULL, false},
        {"verify-instances", "V", "paper: Fakes (24); ristretto255: per licensee (16)", false, NULL, false},
        {"groups", "LIST", "paper,ristretto255 (default both)", false, NULL, false},
        {"seed", "S", "repeat r uses seed S + r (default 1)", false, NULL, false},
        {"threads", "T", "oneDNN threads (default 2)", false, NULL, false},
        {"no-plots", NULL, "skip the gnuplot PNGs", false, NULL, false},
        {"merge", "LIST", "instead of training: one table from these table1 output directories", false, NULL, false},
        {"out", "DIR", "output directory (created if missing)", true, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--out DIR [--models LIST] [--datasets LIST] [--repeats R] [options]",
                           o, argc, argv);
    if (rc >= 0)
        return rc;
    eip_exp_encryip_config c;
    eip_exp_encryip_config_default(&c);
    if (eip_cli_has(o, "merge"))
        return table1_merge(cmd, o, argc, argv, &c);
    if (eip_cli_has(o, "models") &&
        !names_parse(cmd, "models", eip_cli_get(o, "models"), c.models, EIP_EXP_ENCRYIP_MAX_MODELS,
                     &c.n_models))
        return EIP_EXIT_USAGE;
    if (eip_cli_has(o, "datasets") &&
        !names_parse(cmd, "datasets", eip_cli_get(o, "datasets"), c.datasets,
                     EIP_EXP_ENCRYIP_MAX_DATASETS, &c.n_datasets))
        return EIP_EXIT_USAGE;
    const char *optim = eip_cli_has(o, "optim") ? eip_cli_get(o, "optim") : NULL;
    if (optim && strcmp(optim, "sgd") && strcmp(optim, "adamw")) {
        fprintf(stderr, "encryip %s: error: --optim: '%s' is not sgd or adamw\n", cmd, optim);
        return EIP_EXIT_USAGE;
    }
    for (int i = 0; i < c.n_models; i++) {
        char flag[64];
        snprintf(flag, sizeof flag, "width-%s", c.models[i]);
        eip_exp_encryip_recipe *rcp = &c.recipes[i];
        *rcp = eip_exp_encryip_recipe_default(c.models[i]);
        if (optim) {
            /* a different optimiser: its own lr / wd defaults unless given */
            const eip_exp_encryip_recipe sgd = eip_exp_encryip_recipe_default("resnet18"),
                                         adamw = eip_exp_encryip_recipe_default("alexnet");
            const eip_exp_encryip_recipe *base = strcmp(optim, "sgd") ? &adamw : &sgd;
            rcp->optim = base->optim;
            rcp->lr = base->lr;
            rcp->wd = base->wd;
        }
        if (!eip_cli_get_i64(cmd, o, "epochs", rcp->epochs, 1, 1000, &rcp->epochs) ||
            !eip_cli_get_f64(cmd, o, "lr", rcp->lr, 1e-9, 10.0, &rcp->lr) ||
            !eip_cli_get_f64(cmd, o, "wd", rcp->wd, 0.0, 1.0, &rcp->wd) ||
            !eip_cli_get_i64(cmd, o, "verify-reps", rcp->verif_reps, 0, 100000, &rcp->verif_reps))
            return EIP_EXIT_USAGE;
        const double dflt = rcp->width;
        bool known = false;
        for (const eip_cli_opt *p = o; p->name; p++)
            known |= !strcmp(p->name, flag);
        if (!known) {
            fprintf(stderr, "encryip %s: error: --models: '%s' is not resnet18, googlenet, alexnet or "
                            "smallcnn\n", cmd, c.models[i]);
            return EIP_EXIT_USAGE;
        }
        if (!eip_cli_get_f64(cmd, o, flag, dflt, 1.0 / 64, 4.0, &rcp->width))
            return EIP_EXIT_USAGE;
    }
    int64_t seed = 0;
    if (!eip_cli_get_i64(cmd, o, "repeats", c.repeats, 1, 1000, &c.repeats) ||
        !eip_cli_get_i64(cmd, o, "batch", c.batch, 1, 65536, &c.batch) ||
        !eip_cli_get_i64(cmd, o, "limit", c.limit, 0, INT64_MAX, &c.limit) ||
        !eip_cli_get_i64(cmd, o, "test-limit", c.test_limit, 0, INT64_MAX, &c.test_limit) ||
        !eip_cli_get_i64(cmd, o, "eval-limit", c.eval_limit, 1, INT64_MAX, &c.eval_limit) ||
        !eip_cli_get_i64(cmd, o, "licensees", c.licensees, 1, 1000, &c.licensees) ||
        !eip_cli_get_i64(cmd, o, "trials", c.trials, 0, 100000, &c.trials) ||
        !eip_cli_get_i64(cmd, o, "wrong-keys", c.wrong_keys, 0, 1000, &c.wrong_keys) ||
        !eip_cli_get_i64(cmd, o, "verify-instances", 0, 0, 100000, &c.verif_count) ||
        !eip_cli_get_i64(cmd, o, "seed", 1, 0, INT64_MAX / 2, &seed) ||
        !eip_cli_get_i64(cmd, o, "threads", c.threads, 0, 1024, &c.threads))
        return EIP_EXIT_USAGE;
    c.seed = (uint64_t)seed;
    if (eip_cli_has(o, "groups") && !groups_parse(cmd, eip_cli_get(o, "groups"), &c.groups))
        return EIP_EXIT_USAGE;
    c.plots = !eip_cli_has(o, "no-plots");
    c.out_dir = eip_cli_get(o, "out");
    if (!out_dir_make(cmd, c.out_dir))
        return EIP_EXIT_IO;
    char line[2048];
    command_line("table1", argc, argv, line, sizeof line);
    c.command = line;
    c.log = stderr;
    eip_error err = {0};
    eip_status s = eip_exp_encryip_table1(&c, &err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    printf("tables: %s/table1.md, %s/table1_paper.md, %s/table1_ristretto255.md; runs: %s/table1.csv; "
           "curves: %s/curves_*.csv/.png\n", c.out_dir, c.out_dir, c.out_dir, c.out_dir, c.out_dir);
    return EIP_EXIT_OK;
}

int eip_cli_experiment_curves(int argc, char **argv)
{
    const char *cmd = "experiment curves";
    eip_cli_opt o[] = {
        {"dir", "DIR", "output directory of `experiment table1` (reads epochs.csv)", true, NULL, false},
        {"no-plots", NULL, "only the CSVs", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--dir DIR", o, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s = eip_exp_encryip_curves(eip_cli_get(o, "dir"), !eip_cli_has(o, "no-plots"), stderr,
                                          &err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    printf("curves: %s/curves_*.csv/.png\n", eip_cli_get(o, "dir"));
    return EIP_EXIT_OK;
}

int eip_cli_experiment_cost(int argc, char **argv)
{
    const char *cmd = "experiment cost";
    eip_cli_opt o[] = {
        {"model", "NAME", "zoo model (default alexnet)", false, NULL, false},
        {"width", "W", "width (default 0.25)", false, NULL, false},
        {"dataset", "NAME", "dataset (default fashion-mnist)", false, NULL, false},
        {"limit", "N", "N training images, seeded random choice (default 3000; 0 = all)", false, NULL, false},
        {"epochs", "E", "epochs (default 3)", false, NULL, false},
        {"batch", "B", "batch size (default 128)", false, NULL, false},
        {"optim", "NAME", "sgd (Nesterov) or adamw (default: the model's table1 recipe; alexnet adamw)", false, NULL, false},
        {"lr", "LR", "peak learning rate (default: the recipe's, 0.05 sgd / 0.003 alexnet)", false, NULL, false},
        {"wd", "WD", "weight decay (default: the recipe's, 5e-4 sgd / 0.01 alexnet)", false, NULL, false},
        {"seed", "S", "seed (default 1)", false, NULL, false},
        {"threads", "T", "oneDNN threads (default 2)", false, NULL, false},
        {"p-small", "P", "licensees of the small run (default 3)", false, NULL, false},
        {"p-large", "P", "licensees of the large run (default 1000; paper group q = next prime > P)", false, NULL, false},
        {"ristretto-per-licensee", "V", "ristretto255 targeted instances per licensee at --p-large (default 1)", false, NULL, false},
        {"verify-reps", "R", "replicas per verification instance (default: automatic)", false, NULL, false},
        {"rounds", "R", "run the five trainings round-robin R times, keep each one's fastest (default 2)", false, NULL, false},
        {"ristretto-large-reps", "R", "replicas for ristretto255 at --p-large (default 3; 0 = as --verify-reps)", false, NULL, false},
        {"out", "DIR", "output directory (created if missing)", true, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--out DIR [options]", o, argc, argv);
    if (rc >= 0)
        return rc;
    eip_exp_encryip_cost_config c;
    eip_exp_encryip_cost_config_default(&c);
    if (eip_cli_has(o, "model")) {
        snprintf(c.model, sizeof c.model, "%s", eip_cli_get(o, "model"));
        const eip_exp_encryip_recipe rd = eip_exp_encryip_recipe_default(c.model);
        c.optim = rd.optim;
        c.lr = rd.lr;
        c.wd = rd.wd;
    }
    if (eip_cli_has(o, "optim")) {
        const char *on = eip_cli_get(o, "optim");
        if (strcmp(on, "sgd") && strcmp(on, "adamw")) {
            fprintf(stderr, "encryip %s: error: --optim: '%s' is not sgd or adamw\n", cmd, on);
            return EIP_EXIT_USAGE;
        }
        /* a different optimiser brings its own lr / wd defaults */
        const eip_exp_encryip_recipe rd =
            eip_exp_encryip_recipe_default(strcmp(on, "sgd") ? "alexnet" : "resnet18");
        c.optim = rd.optim;
        c.lr = rd.lr;
        c.wd = rd.wd;
    }
    if (eip_cli_has(o, "dataset"))
        snprintf(c.dataset, sizeof c.dataset, "%s", eip_cli_get(o, "dataset"));
    int64_t seed = 0;
    if (!eip_cli_get_f64(cmd, o, "width", c.width, 1.0 / 64, 4.0, &c.width) ||
        !eip_cli_get_i64(cmd, o, "limit", c.limit, 0, INT64_MAX, &c.limit) ||
        !eip_cli_get_i64(cmd, o, "epochs", c.epochs, 1, 1000, &c.epochs) ||
        !eip_cli_get_i64(cmd, o, "batch", c.batch, 1, 65536, &c.batch) ||
        !eip_cli_get_f64(cmd, o, "lr", c.lr, 1e-9, 10.0, &c.lr) ||
        !eip_cli_get_f64(cmd, o, "wd", c.wd, 0.0, 1.0, &c.wd) ||
        !eip_cli_get_i64(cmd, o, "seed", 1, 0, INT64_MAX, &seed) ||
        !eip_cli_get_i64(cmd, o, "threads", c.threads, 0, 1024, &c.threads) ||
        !eip_cli_get_i64(cmd, o, "p-small", c.p_small, 1, 100000, &c.p_small) ||
        !eip_cli_get_i64(cmd, o, "p-large", c.p_large, 1, 100000, &c.p_large) ||
        !eip_cli_get_i64(cmd, o, "ristretto-per-licensee", c.ristretto_per_large, 1, 1000,
                         &c.ristretto_per_large) ||
        !eip_cli_get_i64(cmd, o, "verify-reps", 0, 0, 100000, &c.verif_reps) ||
        !eip_cli_get_i64(cmd, o, "rounds", c.rounds, 1, 100, &c.rounds) ||
        !eip_cli_get_i64(cmd, o, "ristretto-large-reps", c.ristretto_large_reps, 0, 100000,
                         &c.ristretto_large_reps))
        return EIP_EXIT_USAGE;
    c.seed = (uint64_t)seed;
    c.out_dir = eip_cli_get(o, "out");
    if (!out_dir_make(cmd, c.out_dir))
        return EIP_EXIT_IO;
    char line[2048];
    command_line("cost", argc, argv, line, sizeof line);
    c.command = line;
    c.log = stderr;
    eip_error err = {0};
    eip_status s = eip_exp_encryip_cost(&c, &err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    printf("cost: %s/cost.md, %s/cost.csv\n", c.out_dir, c.out_dir);
    return EIP_EXIT_OK;
}

int eip_cli_experiment_combined(int argc, char **argv)
{
    const char *cmd = "experiment combined";
    eip_cli_opt o[] = {
        {"model", "NAME", "zoo model (default smallcnn)", false, NULL, false},
        {"width", "W", "width (default 1)", false, NULL, false},
        {"dataset", "NAME", "dataset (default fashion-mnist)", false, NULL, false},
        {"limit", "N", "N training images, seeded random choice (default 6000; 0 = all)", false, NULL, false},
        {"test-limit", "N", "N test images, seeded random choice (default 2000; 0 = all)", false, NULL, false},
        {"epochs", "E", "epochs (default 3)", false, NULL, false},
        {"batch", "B", "batch size (default 128)", false, NULL, false},
        {"lr", "LR", "peak learning rate, SGD Nesterov, cosine (default 0.05)", false, NULL, false},
        {"wd", "WD", "weight decay (default 5e-4)", false, NULL, false},
        {"licensees", "P", "licensees (default 3)", false, NULL, false},
        {"verify-reps", "R", "replicas per verification instance (default: protect's automatic count)", false, NULL, false},
        {"verify-instances", "V", "paper: Fakes (24); ristretto255: per licensee (16)", false, NULL, false},
        {"groups", "LIST", "paper,ristretto255 (default both)", false, NULL, false},
        {"adv-budget", "N", "AdvParams: max parameters changed (default 25)", false, NULL, false},
        {"adv-enc-size", "N", "AdvParams: encryption-set training images (default 256)", false, NULL, false},
        {"adv-layers", "L", "AdvParams: candidate tensors all, first, bn, last or a+b (default all)", false, NULL, false},
        {"adv-trials", "T", "AdvParams: candidates tried per step (default 32)", false, NULL, false},
        {"adv-objective", "O", "AdvParams: candidate ranking margin or loss (default margin)", false, NULL, false},
        {"seed", "S", "seed (default 1)", false, NULL, false},
        {"crypto-seed", "S", "keys and ciphertexts from seed S: reproducible, NOT secret (default: CSPRNG)", false, NULL, false},
        {"threads", "T", "oneDNN threads (default 2)", false, NULL, false},
        {"out", "DIR", "output directory (created if missing)", true, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--out DIR [options]", o, argc, argv);
    if (rc >= 0)
        return rc;
    eip_exp_combined_config c;
    eip_exp_combined_config_default(&c);
    if (eip_cli_has(o, "model"))
        snprintf(c.model, sizeof c.model, "%s", eip_cli_get(o, "model"));
    if (eip_cli_has(o, "dataset"))
        snprintf(c.dataset, sizeof c.dataset, "%s", eip_cli_get(o, "dataset"));
    int64_t seed = 0;
    if (!eip_cli_get_f64(cmd, o, "width", c.width, 1.0 / 64, 4.0, &c.width) ||
        !eip_cli_get_i64(cmd, o, "limit", c.limit, 0, INT64_MAX, &c.limit) ||
        !eip_cli_get_i64(cmd, o, "test-limit", c.test_limit, 0, INT64_MAX, &c.test_limit) ||
        !eip_cli_get_i64(cmd, o, "epochs", c.epochs, 1, 1000, &c.epochs) ||
        !eip_cli_get_i64(cmd, o, "batch", c.batch, 1, 65536, &c.batch) ||
        !eip_cli_get_f64(cmd, o, "lr", c.lr, 1e-9, 10.0, &c.lr) ||
        !eip_cli_get_f64(cmd, o, "wd", c.wd, 0.0, 1.0, &c.wd) ||
        !eip_cli_get_i64(cmd, o, "licensees", c.licensees, 1, 1000, &c.licensees) ||
        !eip_cli_get_i64(cmd, o, "verify-reps", 0, 0, 100000, &c.verif_reps) ||
        !eip_cli_get_i64(cmd, o, "verify-instances", 0, 0, 100000, &c.verif_count) ||
        !eip_cli_get_i64(cmd, o, "adv-budget", c.budget, 1, EIP_ADVPARAMS_MAX_ENTRIES, &c.budget) ||
        !eip_cli_get_i64(cmd, o, "adv-enc-size", c.enc_images, 1, 100000, &c.enc_images) ||
        !eip_cli_get_i64(cmd, o, "adv-trials", c.trials, 1, 1000, &c.trials) ||
        !eip_cli_get_i64(cmd, o, "seed", 1, 0, INT64_MAX, &seed) ||
        !eip_cli_get_i64(cmd, o, "crypto-seed", -1, 0, INT64_MAX / 2, &c.crypto_seed) ||
        !eip_cli_get_i64(cmd, o, "threads", c.threads, 0, 1024, &c.threads))
        return EIP_EXIT_USAGE;
    c.seed = (uint64_t)seed;
    eip_error err = {0};
    if (eip_cli_has(o, "adv-layers")) {
        eip_status s = eip_advparams_layers_parse(eip_cli_get(o, "adv-layers"), &c.layers, &err);
        if (s) {
            eip_error_prefix(&err, "--adv-layers: ");
            return eip_cli_fail(cmd, s, &err);
        }
    }
    if (eip_cli_has(o, "adv-objective")) {
        eip_status s = eip_advparams_objective_parse(eip_cli_get(o, "adv-objective"), &c.objective, &err);
        if (s) {
            eip_error_prefix(&err, "--adv-objective: ");
            return eip_cli_fail(cmd, s, &err);
        }
    }
    if (eip_cli_has(o, "groups") && !groups_parse(cmd, eip_cli_get(o, "groups"), &c.groups))
        return EIP_EXIT_USAGE;
    c.out_dir = eip_cli_get(o, "out");
    if (!out_dir_make(cmd, c.out_dir))
        return EIP_EXIT_IO;
    char line[2048];
    command_line("combined", argc, argv, line, sizeof line);
    c.command = line;
    c.log = stderr;
    eip_status s = eip_exp_combined(&c, &err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    printf("combined protection: %s/combined.md, %s/combined.csv, %s/combined_curve.csv\n", c.out_dir,
           c.out_dir, c.out_dir);
    return EIP_EXIT_OK;
}
