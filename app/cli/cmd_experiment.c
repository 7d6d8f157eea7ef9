/* encryip experiment table1 | curves | cost: the EncryIP experiments of
 * paper section 5 (Table 1, Figure 4, training cost), run in-process through
 * the library (app/experiment/encryip_*.c; docs/RESULTS.md "EncryIP");
 * experiment combined: EncryIP + AdvParams (docs/PROTECT.md "Combined
 * protection"); experiment advparams: the AdvParams measurements
 * (app/experiment/advparams_*.c; docs/RESULTS.md "AdvParams"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/groups.h"
#include "encryip/advparams.h"
#include "experiment/experiment.h"
#include "encryip/util.h"

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

/* --out DIR [--no-plots] of every experiment command, and the start every
 * driver shares: its directory made, the command line kept for its tables,
 * progress on stderr (the config's eip_exp_output). */
typedef struct exp_out_opts {
    const char *dir;
    bool no_plots;
    char line[2048]; /* the command line; out.command points here */
} exp_out_opts;

static eip_cli_opt exp_opt_out(exp_out_opts *o)
{
    return (eip_cli_opt){.name = "out", .arg = "DIR", .str = &o->dir, .required = true,
                         .help = "output directory (created if missing)"};
}

static eip_cli_opt exp_opt_no_plots(exp_out_opts *o, const char *help)
{
    return (eip_cli_opt){.name = "no-plots", .flag = &o->no_plots, .help = help};
}

static bool exp_out_begin(const char *cmd, const char *sub, exp_out_opts *o, int argc, char **argv,
                          eip_exp_output *out)
{
    if (!out_dir_make(cmd, o->dir))
        return false;
    command_line(sub, argc, argv, o->line, sizeof o->line);
    *out = (eip_exp_output){.dir = o->dir, .command = o->line, .log = stderr, .plots = !o->no_plots};
    return true;
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

/* --FLAG a,b: a comma list of the two names n0, n1 -> bit 0 for n0, bit 1
 * for n1. */
static bool pair_bits_parse(const char *cmd, const char *flag, const char *s, const char *n0,
                            const char *n1, int *bits)
{
    char g[2][EIP_EXP_ENCRYIP_NAME];
    int ng = 0;
    if (!names_parse(cmd, flag, s, g, 2, &ng))
        return false;
    *bits = 0;
    for (int i = 0; i < ng; i++) {
        if (!strcmp(g[i], n0))
            *bits |= 1;
        else if (!strcmp(g[i], n1))
            *bits |= 2;
        else {
            fprintf(stderr, "encryip %s: error: --%s: '%s' is not %s or %s\n", cmd, flag, g[i], n0, n1);
            return false;
        }
    }
    return true;
}

/* --groups paper,ristretto255 -> bit 0 paper, bit 1 ristretto255. */
static bool groups_parse(const char *cmd, const char *s, int *groups)
{
    return pair_bits_parse(cmd, "groups", s, "paper", "ristretto255", groups);
}

/* table1 --merge DIR,...: only --out and --no-plots go with it. */
static int table1_merge(const char *cmd, const eip_cli_opt *o, const char **merge_var, exp_out_opts *eo,
                        int argc, char **argv, eip_exp_encryip_config *c)
{
    const char *merge = *merge_var;
    for (const eip_cli_opt *p = o; p->name; p++)
        if (p->present && p->str != merge_var && p->str != &eo->dir && p->flag != &eo->no_plots)
            return eip_cli_usage_error(cmd, "--%s does not go with --merge (the runs carry their own "
                                            "settings)", p->name);
    enum { MAX_DIRS = 32 };
    char list[4096];
    const char *dirs[MAX_DIRS];
    int n = 0;
    if (snprintf(list, sizeof list, "%s", merge) >= (int)sizeof list) {
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
    c->merged_from = merge;
    if (!exp_out_begin(cmd, "table1", eo, argc, argv, &c->out))
        return EIP_EXIT_IO;
    eip_error err = {0};
    eip_status s = eip_exp_encryip_merge(c, dirs, n, &err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    printf("tables: %s/table1.md, %s/table1_paper.md, %s/table1_ristretto255.md; runs: %s/table1.csv; "
           "curves: %s/curves_*.csv/.png\n", c->out.dir, c->out.dir, c->out.dir, c->out.dir, c->out.dir);
    return EIP_EXIT_OK;
}

static const char *const optim_names[] = {"sgd", "adamw", NULL};

/* The run settings that experiment cost, fig5 and combined share, declared
 * once: --model --width --dataset --limit [--test-limit] --epochs --batch
 * --seed.  The values go to the command's config (apply); the defaults
 * shown are the config's. */
typedef struct exp_run_opts {
    const char *model, *dataset; /* NULL: not given */
    char model_def[EIP_EXP_ENCRYIP_NAME], dataset_def[EIP_EXP_ENCRYIP_NAME];
    int64_t seed;
    eip_cli_opt opts[9]; /* {0}-terminated */
} exp_run_opts;

/* test_limit NULL: no --test-limit; model_help / seed_help NULL: "zoo model" / "seed" */
static void exp_run_opts_init(exp_run_opts *r, const char *model_def, const char *dataset_def,
                              const char *model_help, const char *seed_help, double *width, int64_t *limit,
                              int64_t *test_limit, int64_t *epochs, int64_t *batch)
{
    memset(r, 0, sizeof *r);
    r->seed = 1;
    snprintf(r->model_def, sizeof r->model_def, "%s", model_def);
    snprintf(r->dataset_def, sizeof r->dataset_def, "%s", dataset_def);
    eip_cli_opt *o = r->opts;
    *o++ = (eip_cli_opt){.name = "model", .arg = "NAME", .str = &r->model, .def_doc = r->model_def,
                         .help = model_help ? model_help : "zoo model"};
    *o++ = (eip_cli_opt){.name = "width", .arg = "W", .f64 = width, .fmin = 1.0 / 64, .fmax = 4.0, .help = "width"};
    *o++ = (eip_cli_opt){.name = "dataset", .arg = "NAME", .str = &r->dataset, .def_doc = r->dataset_def,
                         .help = "dataset"};
    *o++ = (eip_cli_opt){.name = "limit", .arg = "N", .i64 = limit, .min = 0, .max = INT64_MAX,
                         .help = "N training images, seeded random choice (0 = all)"};
    if (test_limit)
        *o++ = (eip_cli_opt){.name = "test-limit", .arg = "N", .i64 = test_limit, .min = 0, .max = INT64_MAX,
                             .help = "N test images, seeded random choice (0 = all)"};
    *o++ = (eip_cli_opt){.name = "epochs", .arg = "E", .i64 = epochs, .min = 1, .max = 1000,
                         .help = "epochs of every training"};
    *o++ = (eip_cli_opt){.name = "batch", .arg = "B", .i64 = batch, .min = 1, .max = 65536, .help = "batch size"};
    *o++ = (eip_cli_opt){.name = "seed", .arg = "S", .i64 = &r->seed, .min = 0, .max = INT64_MAX, .def = "1",
                         .help = seed_help ? seed_help : "seed"};
}

/* The given --model / --dataset and the seed into the config's fields. */
static void exp_run_opts_apply(const exp_run_opts *r, char *model, char *dataset, uint64_t *seed)
{
    if (r->model)
        snprintf(model, EIP_EXP_ENCRYIP_NAME, "%s", r->model);
    if (r->dataset)
        snprintf(dataset, EIP_EXP_ENCRYIP_NAME, "%s", r->dataset);
    *seed = (uint64_t)r->seed;
}

int eip_cli_experiment_table1(int argc, char **argv)
{
    eip_exp_encryip_config c;
    eip_exp_encryip_config_default(&c);
    /* --width-<model>: defaults from each model's recipe */
    static const char *const zoo[] = {"resnet18", "googlenet", "alexnet", "smallcnn"};
    double width[4];
    for (int i = 0; i < 4; i++)
        width[i] = eip_exp_encryip_recipe_default(zoo[i]).width;
    const char *models = NULL, *datasets = NULL, *groups = NULL, *merge = NULL;
    int64_t epochs = 0, verif_reps = 0, seed = 1;
    double lr = 0, wd = 0;
    int optim = -1;
    exp_out_opts eo = {0};
    eip_cli_opt o[] = {
        {.name = "models", .arg = "LIST", .str = &models, .def_doc = "resnet18,googlenet,alexnet",
         .help = "zoo models"},
        {.name = "datasets", .arg = "LIST", .str = &datasets, .def_doc = "fashion-mnist,mnist", .help = "datasets"},
        {.name = "width-resnet18", .arg = "W", .f64 = &width[0], .fmin = 1.0 / 64, .fmax = 4.0,
         .help = "resnet18 width"},
        {.name = "width-googlenet", .arg = "W", .f64 = &width[1], .fmin = 1.0 / 64, .fmax = 4.0,
         .help = "googlenet width"},
        {.name = "width-alexnet", .arg = "W", .f64 = &width[2], .fmin = 1.0 / 64, .fmax = 4.0,
         .help = "alexnet width"},
        {.name = "width-smallcnn", .arg = "W", .f64 = &width[3], .fmin = 1.0 / 64, .fmax = 4.0,
         .help = "smallcnn width"},
        {.name = "repeats", .arg = "R", .i64 = &c.repeats, .min = 1, .max = 1000, .help = "repeats per cell"},
        {.name = "epochs", .arg = "E", .i64 = &epochs, .min = 1, .max = 1000, .def_doc = "3; alexnet 30",
         .help = "epochs of every model"},
        {.name = "batch", .arg = "B", .i64 = &c.batch, .min = 1, .max = 65536, .help = "batch size"},
        {.name = "optim", .arg = "NAME", .choice = &optim, .choices = optim_names, .def_doc = "sgd; alexnet adamw",
         .help = "sgd (Nesterov) or adamw for every model"},
        {.name = "lr", .arg = "LR", .f64 = &lr, .fmin = 1e-9, .fmax = 10.0, .def_doc = "0.05; alexnet 0.003",
         .help = "peak learning rate of every model, cosine"},
        {.name = "wd", .arg = "WD", .f64 = &wd, .fmin = 0.0, .fmax = 1.0, .def_doc = "5e-4; alexnet 0.01",
         .help = "weight decay of every model"},
        {.name = "limit", .arg = "N", .i64 = &c.limit, .min = 0, .max = INT64_MAX,
         .help = "N training images, seeded random choice (0 = all)"},
        {.name = "test-limit", .arg = "N", .i64 = &c.test_limit, .min = 0, .max = INT64_MAX,
         .help = "N test images (seeded random choice) for the table (0 = all)"},
        {.name = "eval-limit", .arg = "N", .i64 = &c.eval_limit, .min = 1, .max = INT64_MAX,
         .help = "per-epoch curve on N random test images"},
        {.name = "licensees", .arg = "P", .i64 = &c.licensees, .min = 1, .max = 1000,
         .help = "licensees per EncryIP model"},
        {.name = "trials", .arg = "T", .i64 = &c.trials, .min = 0, .max = 100000,
         .help = "verification trials per run"},
        {.name = "wrong-keys", .arg = "W", .i64 = &c.wrong_keys, .min = 0, .max = 1000,
         .help = "incorrect keys per run, each from its own key generation"},
        {.name = "verify-reps", .arg = "R", .i64 = &verif_reps, .min = 0, .max = 100000,
         .def_doc = "automatic; alexnet 40", .help = "replicas per verification instance, every model"},
        {.name = "verify-instances", .arg = "V", .i64 = &c.verif_count, .min = 0, .max = 100000,
         .def_doc = "paper 24, ristretto255 16", .help = "paper: Fakes; ristretto255: per licensee"},
        {.name = "groups", .arg = "LIST", .str = &groups, .def_doc = "paper,ristretto255",
         .help = "paper,ristretto255 or one of them"},
        {.name = "seed", .arg = "S", .i64 = &seed, .min = 0, .max = INT64_MAX / 2, .def = "1",
         .help = "repeat r uses seed S + r"},
        eip_cli_opt_threads(&c.threads),
        eip_cli_opt_precision(&c.precision),
        exp_opt_no_plots(&eo, "skip the gnuplot PNGs"),
        {.name = "merge", .arg = "LIST", .str = &merge,
         .help = "instead of training: one table from these table1 output directories"},
        exp_opt_out(&eo),
        {0},
    };
    const eip_cli_spec spec = {"experiment table1",
                               "--out DIR [--models LIST] [--datasets LIST] [--repeats R] [options] | "
                               "--merge DIR,DIR,... --out DIR [--no-plots]",
                               {o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    if (merge)
        return table1_merge(cmd, o, &merge, &eo, argc, argv, &c);
    if (models && !names_parse(cmd, "models", models, c.models, EIP_EXP_ENCRYIP_MAX_MODELS, &c.n_models))
        return EIP_EXIT_USAGE;
    if (datasets &&
        !names_parse(cmd, "datasets", datasets, c.datasets, EIP_EXP_ENCRYIP_MAX_DATASETS, &c.n_datasets))
        return EIP_EXIT_USAGE;
    for (int i = 0; i < c.n_models; i++) {
        eip_exp_encryip_recipe *rcp = &c.recipes[i];
        *rcp = eip_exp_encryip_recipe_default(c.models[i]);
        if (optim >= 0) {
            /* a different optimiser: its own lr / wd defaults unless given */
            const eip_exp_encryip_recipe base = eip_exp_encryip_recipe_default(optim ? "alexnet" : "resnet18");
            rcp->optim = base.optim;
            rcp->lr = base.lr;
            rcp->wd = base.wd;
        }
        if (eip_cli_given(&spec, &epochs))
            rcp->epochs = epochs;
        if (eip_cli_given(&spec, &lr))
            rcp->lr = lr;
        if (eip_cli_given(&spec, &wd))
            rcp->wd = wd;
        if (eip_cli_given(&spec, &verif_reps))
            rcp->verif_reps = verif_reps;
        int z = 0;
        while (z < 4 && strcmp(zoo[z], c.models[i]))
            z++;
        if (z == 4)
            return eip_cli_usage_error(cmd, "--models: '%s' is not resnet18, googlenet, alexnet or smallcnn",
                                       c.models[i]);
        rcp->width = width[z];
    }
    c.seed = (uint64_t)seed;
    if (groups && !groups_parse(cmd, groups, &c.groups))
        return EIP_EXIT_USAGE;
    if (!exp_out_begin(cmd, "table1", &eo, argc, argv, &c.out))
        return EIP_EXIT_IO;
    eip_error err = {0};
    eip_status s = eip_exp_encryip_table1(&c, &err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    printf("tables: %s/table1.md, %s/table1_paper.md, %s/table1_ristretto255.md; runs: %s/table1.csv; "
           "curves: %s/curves_*.csv/.png\n", c.out.dir, c.out.dir, c.out.dir, c.out.dir, c.out.dir);
    return EIP_EXIT_OK;
}

int eip_cli_experiment_curves(int argc, char **argv)
{
    const char *dir = NULL;
    bool no_plots = false;
    eip_cli_opt o[] = {
        {.name = "dir", .arg = "DIR", .str = &dir, .required = true,
         .help = "output directory of `experiment table1` (reads epochs.csv)"},
        {.name = "no-plots", .flag = &no_plots, .help = "only the CSVs"},
        {0},
    };
    const eip_cli_spec spec = {"experiment curves", "--dir DIR [--no-plots]", {o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s = eip_exp_encryip_curves(dir, !no_plots, stderr, &err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    printf("curves: %s/curves_*.csv/.png\n", dir);
    return EIP_EXIT_OK;
}

int eip_cli_experiment_cost(int argc, char **argv)
{
    eip_exp_encryip_cost_config c;
    eip_exp_encryip_cost_config_default(&c);
    exp_run_opts run;
    exp_run_opts_init(&run, c.model, c.dataset, NULL, NULL, &c.width, &c.limit, NULL, &c.epochs, &c.batch);
    exp_out_opts eo = {0};
    int optim = -1;
    double lr = 0, wd = 0;
    eip_cli_opt o[] = {
        {.name = "optim", .arg = "NAME", .choice = &optim, .choices = optim_names,
         .def_doc = "the model's table1 recipe; alexnet adamw", .help = "sgd (Nesterov) or adamw"},
        {.name = "lr", .arg = "LR", .f64 = &lr, .fmin = 1e-9, .fmax = 10.0,
         .def_doc = "the recipe's, 0.05 sgd / 0.003 alexnet", .help = "peak learning rate"},
        {.name = "wd", .arg = "WD", .f64 = &wd, .fmin = 0.0, .fmax = 1.0,
         .def_doc = "the recipe's, 5e-4 sgd / 0.01 alexnet", .help = "weight decay"},
        eip_cli_opt_threads(&c.threads),
        eip_cli_opt_precision(&c.precision),
        {.name = "p-small", .arg = "P", .i64 = &c.p_small, .min = 1, .max = 100000,
         .help = "licensees of the small run"},
        {.name = "p-large", .arg = "P", .i64 = &c.p_large, .min = 1, .max = 100000,
         .help = "licensees of the large run (paper group q = next prime > P)"},
        {.name = "ristretto-per-licensee", .arg = "V", .i64 = &c.ristretto_per_large, .min = 1, .max = 1000,
         .help = "ristretto255 targeted instances per licensee at --p-large"},
        {.name = "verify-reps", .arg = "R", .i64 = &c.verif_reps, .min = 0, .max = 100000,
         .def_doc = "automatic", .help = "replicas per verification instance"},
        {.name = "rounds", .arg = "R", .i64 = &c.rounds, .min = 1, .max = 100,
         .help = "run the five trainings round-robin R times, keep each one's fastest"},
        {.name = "ristretto-large-reps", .arg = "R", .i64 = &c.ristretto_large_reps, .min = 0, .max = 100000,
         .help = "replicas for ristretto255 at --p-large (0 = as --verify-reps)"},
        exp_opt_out(&eo),
        {0},
    };
    const eip_cli_spec spec = {"experiment cost", "--out DIR [options]", {run.opts, o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    exp_run_opts_apply(&run, c.model, c.dataset, &c.seed);
    if (run.model) { /* the model brings its table1 recipe */
        const eip_exp_encryip_recipe rd = eip_exp_encryip_recipe_default(c.model);
        c.optim = rd.optim;
        c.lr = rd.lr;
        c.wd = rd.wd;
    }
    if (optim >= 0) {
        /* a different optimiser brings its own lr / wd defaults */
        const eip_exp_encryip_recipe rd = eip_exp_encryip_recipe_default(optim ? "alexnet" : "resnet18");
        c.optim = rd.optim;
        c.lr = rd.lr;
        c.wd = rd.wd;
    }
    if (eip_cli_given(&spec, &lr))
        c.lr = lr;
    if (eip_cli_given(&spec, &wd))
        c.wd = wd;
    if (!exp_out_begin(cmd, "cost", &eo, argc, argv, &c.out))
        return EIP_EXIT_IO;
    eip_error err = {0};
    eip_status s = eip_exp_encryip_cost(&c, &err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    printf("cost: %s/cost.md, %s/cost.csv\n", c.out.dir, c.out.dir);
    return EIP_EXIT_OK;
}

/* Figure 5 (issue 17 item 1): EncryIP against the PR, DeepIPR and EW
 * baselines (app/experiment/baseline_fig5.c, docs/RESULTS.md "Figure 5"). */
int eip_cli_experiment_fig5(int argc, char **argv)
{
    eip_exp_fig5_config c;
    eip_exp_fig5_config_default(&c);
    exp_run_opts run;
    exp_run_opts_init(&run, c.model, c.dataset,
                      "zoo model: resnet18 or smallcnn (the baselines' layers are known for these)",
                      "seed (init, shuffling; the users' keys derive from it)", &c.width, &c.limit, &c.test_limit,
                      &c.epochs, &c.batch);
    exp_out_opts eo = {0};
    eip_crypto_group_id group = (eip_crypto_group_id)c.group;
    eip_cli_opt o[] = {
        {.name = "lr", .arg = "LR", .f64 = &c.lr, .fmin = 1e-9, .fmax = 10.0,
         .help = "peak learning rate (SGD Nesterov, warm-up + cosine)"},
        {.name = "wd", .arg = "WD", .f64 = &c.wd, .fmin = 0.0, .fmax = 1.0, .help = "weight decay"},
        eip_cli_opt_threads(&c.threads),
        eip_cli_opt_group(&group),
        {.name = "pr-bits", .arg = "T", .i64 = &c.pr_bits, .min = 1, .max = 65536,
         .help = "PR: watermark bits (<= Cin*kh*kw of the host layer)"},
        {.name = "pr-lambda", .arg = "L", .f64 = &c.pr_lambda, .fmin = 1e-9, .fmax = 100.0,
         .help = "PR: regulariser weight"},
        {.name = "ew-triggers", .arg = "N", .i64 = &c.ew_triggers, .min = 1, .max = 100000,
         .help = "EW: trigger images per user"},
        {.name = "ew-reps", .arg = "R", .i64 = &c.ew_reps, .min = 1, .max = 100000,
         .help = "EW: replicas of each trigger in the training set"},
        {.name = "passport-size", .arg = "S", .i64 = &c.pp_size, .min = 1, .max = 512,
         .help = "DeepIPR: passport height and width"},
        {.name = "passport-lambda", .arg = "L", .f64 = &c.pp_lambda, .fmin = 0.0, .fmax = 100.0,
         .help = "DeepIPR: sign-loss weight"},
        exp_opt_no_plots(&eo, "skip the PNG (no gnuplot call)"),
        exp_opt_out(&eo),
        {0},
    };
    const eip_cli_spec spec = {"experiment fig5", "--out DIR [options]", {run.opts, o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    exp_run_opts_apply(&run, c.model, c.dataset, &c.seed);
    c.group = (int)group;
    if (!exp_out_begin(cmd, "fig5", &eo, argc, argv, &c.out))
        return EIP_EXIT_IO;
    eip_error err = {0};
    eip_status s = eip_exp_fig5(&c, &err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    printf("fig5: %s/fig5.md, %s/fig5.csv, %s/fig5_users.csv%s\n", c.out.dir, c.out.dir, c.out.dir,
           c.out.plots ? ", fig5.png" : "");
    return EIP_EXIT_OK;
}

int eip_cli_experiment_combined(int argc, char **argv)
{
    eip_exp_combined_config c;
    eip_exp_combined_config_default(&c);
    exp_run_opts run;
    exp_run_opts_init(&run, c.model, c.dataset, NULL, NULL, &c.width, &c.limit, &c.test_limit, &c.epochs,
                      &c.batch);
    eip_cli_adv_group adv;
    eip_cli_adv_group_init(&adv, true,
                           EIP_CLI_ADV_BUDGET | EIP_CLI_ADV_IMAGES | EIP_CLI_ADV_LAYERS | EIP_CLI_ADV_TRIALS |
                               EIP_CLI_ADV_OBJECTIVE);
    const char *groups = NULL;
    exp_out_opts eo = {0};
    eip_cli_opt o[] = {
        {.name = "lr", .arg = "LR", .f64 = &c.lr, .fmin = 1e-9, .fmax = 10.0,
         .help = "peak learning rate, SGD Nesterov, cosine"},
        {.name = "wd", .arg = "WD", .f64 = &c.wd, .fmin = 0.0, .fmax = 1.0, .help = "weight decay"},
        {.name = "licensees", .arg = "P", .i64 = &c.licensees, .min = 1, .max = 1000, .help = "licensees"},
        {.name = "verify-reps", .arg = "R", .i64 = &c.verif_reps, .min = 0, .max = 100000,
         .def_doc = "protect's automatic count", .help = "replicas per verification instance"},
        {.name = "verify-instances", .arg = "V", .i64 = &c.verif_count, .min = 0, .max = 100000,
         .def_doc = "paper 24, ristretto255 16", .help = "paper: Fakes; ristretto255: per licensee"},
        {.name = "groups", .arg = "LIST", .str = &groups, .def_doc = "paper,ristretto255",
         .help = "paper,ristretto255 or one of them"},
        {.name = "crypto-seed", .arg = "S", .i64 = &c.crypto_seed, .min = 0, .max = INT64_MAX / 2,
         .def_doc = "CSPRNG", .help = "keys and ciphertexts from seed S: reproducible, NOT secret"},
        eip_cli_opt_threads(&c.threads),
        eip_cli_opt_precision(&c.precision),
        exp_opt_out(&eo),
        {0},
    };
    const eip_cli_spec spec = {"experiment combined", "--out DIR [options]", {run.opts, o, adv.opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    exp_run_opts_apply(&run, c.model, c.dataset, &c.seed);
    c.budget = adv.budget;
    c.enc_images = adv.images;
    c.trials = adv.trials;
    c.layers = adv.layers;
    c.objective = adv.objective;
    if (groups && !groups_parse(cmd, groups, &c.groups))
        return EIP_EXIT_USAGE;
    if (!exp_out_begin(cmd, "combined", &eo, argc, argv, &c.out))
        return EIP_EXIT_IO;
    eip_error err = {0};
    eip_status s = eip_exp_combined(&c, &err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    printf("combined protection: %s/combined.md, %s/combined.csv, %s/combined_curve.csv\n", c.out.dir,
           c.out.dir, c.out.dir);
    return EIP_EXIT_OK;
}

/* --ft-fractions a,b,...: 1..4 fractions in (0, 1] into f[4] (0-terminated). */
static bool fractions_parse(const char *cmd, const char *list, double f[4])
{
    memset(f, 0, 4 * sizeof *f);
    const char *p = list;
    for (int i = 0; *p; i++) {
        char tmp[32];
        size_t n = strcspn(p, ",");
        if (i >= 4 || n == 0 || n >= sizeof tmp) {
            eip_cli_usage_error(cmd, "--ft-fractions: '%s' is not 1..4 comma-separated fractions", list);
            return false;
        }
        memcpy(tmp, p, n);
        tmp[n] = '\0';
        eip_error err = {0};
        if (eip_parse_f64("--ft-fractions", tmp, 1e-6, 1.0, &f[i], &err) != EIP_OK) {
            eip_cli_fail(cmd, EIP_ERR_ARG, &err);
            return false;
        }
        p += n + (p[n] == ',');
    }
    return true;
}

int eip_cli_experiment_advparams(int argc, char **argv)
{
    eip_exp_advparams_config c = eip_exp_advparams_config_default();
    eip_cli_adv_group adv;
    eip_cli_adv_group_init(&adv, false,
                           EIP_CLI_ADV_IMAGES | EIP_CLI_ADV_BUDGET | EIP_CLI_ADV_TARGET | EIP_CLI_ADV_REACH |
                               EIP_CLI_ADV_TRIALS | EIP_CLI_ADV_OBJECTIVE);
    const char *ft_fractions = NULL;
    int64_t seed = 1;
    bool no_attacks = false;
    exp_out_opts eo = {0};
    eip_cli_opt o[] = {
        {.name = "dataset", .arg = "NAME", .str = &c.dataset,
         .help = "fashion-mnist, mnist, cifar10, cifar100 or gtsrb (the last three need --data-dir)"},
        eip_cli_opt_data_dir(&c.data_dir),
        {.name = "models", .arg = "LIST", .str = &c.models, .help = "comma list of zoo models"},
        {.name = "model", .arg = "FILE", .str = &c.model_file,
         .help = "use this trained model instead of training (its zoo name must be in --models)"},
        {.name = "width", .arg = "W", .f64 = &c.width, .fmin = 0.0, .fmax = 4.0,
         .def_doc = "smallcnn 1, resnet18 0.25, alexnet 0.5, googlenet 0.25", .help = "width of every model"},
        {.name = "epochs", .arg = "E", .i64 = &c.epochs, .min = 1, .max = 1000, .help = "base training epochs"},
        {.name = "limit", .arg = "N", .i64 = &c.train_limit, .min = 0, .max = INT64_MAX,
         .help = "base training images (0 = all)"},
        {.name = "test-limit", .arg = "N", .i64 = &c.test_limit, .min = 0, .max = INT64_MAX,
         .help = "test images for every accuracy (0 = all)"},
        {.name = "ft-fractions", .arg = "LIST", .str = &ft_fractions, .def_doc = "0.01,0.05,0.1",
         .help = "attacker data fractions (at most 4)"},
        {.name = "ft-epochs", .arg = "E", .i64 = &c.ft_epochs, .min = 0, .max = 64,
         .help = "fine-tuning epochs (0 skips fine-tuning)"},
        {.name = "no-attacks", .flag = &no_attacks,
         .help = "encryption only: skip the pruning, adaptive and fine-tuning attacks"},
        {.name = "seed", .arg = "S", .i64 = &seed, .min = 0, .max = INT64_MAX, .def = "1", .help = "seed"},
        eip_cli_opt_threads(&c.threads),
        eip_cli_opt_precision(&c.precision),
        exp_opt_out(&eo),
        {0},
    };
    const eip_cli_spec spec = {"experiment advparams", "--out DIR [options]", {o, adv.opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    c.seed = (uint64_t)seed;
    c.no_attacks = no_attacks;
    c.enc_images = adv.images;
    c.budget = adv.budget;
    c.reach = adv.reach;
    c.trials = adv.trials;
    c.objective = adv.objective;
    if (adv.target_acc >= 0)
        c.target_acc = adv.target_acc;
    if (ft_fractions && !fractions_parse(cmd, ft_fractions, c.ft_fractions))
        return EIP_EXIT_USAGE;
    eip_error err = {0};
    eip_status ds = eip_data_name_check(c.dataset, c.data_dir, &err);
    if (ds != EIP_OK)
        return eip_cli_fail(cmd, ds, &err);
    if (!exp_out_begin(cmd, "advparams", &eo, argc, argv, &c.out))
        return EIP_EXIT_IO;
    eip_status s = eip_exp_advparams_run(&c, &err);
    if (s != EIP_OK)
        return eip_cli_fail(cmd, s, &err);
    printf("AdvParams experiment written to %s (summary.md, *.csv, *.png)\n", c.out.dir);
    return EIP_EXIT_OK;
}

/* --attackers paper,leaker -> bit EIP_EXP_REMOVAL_PAPER (0), _LEAKER (1). */
static bool attackers_parse(const char *cmd, const char *s, int *bits)
{
    return pair_bits_parse(cmd, "attackers", s, "paper", "leaker", bits);
}

/* removal --merge DIR,...: the points of several runs (split over
 * processes) rendered as one; the same point twice is refused. */
static eip_status removal_merge(const eip_exp_removal_config *c, const char *list, eip_error *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf)
        return eip_error_set(err, EIP_ERR_ARG, "--merge: list too long");
    eip_exp_removal_point *all = NULL;
    int64_t n = 0;
    eip_status s = EIP_OK;
    char *save = NULL;
    for (char *d = strtok_r(buf, ",", &save); d && !s; d = strtok_r(NULL, ",", &save)) {
        eip_exp_removal_point *p = NULL;
        int64_t np = 0;
        if ((s = eip_exp_removal_read(d, &p, &np, err)))
            break;
        eip_exp_removal_point *g = realloc(all, (size_t)(n + np > 0 ? n + np : 1) * sizeof *all);
        if (!g) {
            free(p);
            s = eip_error_set(err, EIP_ERR_NOMEM, "--merge: out of memory");
            break;
        }
        all = g;
        for (int64_t i = 0; i < np && !s; i++) {
            for (int64_t k = 0; k < n && !s; k++)
                if (!strcmp(all[k].model, p[i].model) && !strcmp(all[k].dataset, p[i].dataset) &&
                    all[k].group == p[i].group && all[k].attacker == p[i].attacker && all[k].round == p[i].round)
                    s = eip_error_set(err, EIP_ERR_ARG, "--merge: %s: %s/%s %s group, %s attacker, round %lld is "
                                      "in two runs", d, p[i].model, p[i].dataset,
                                      eip_exp_encryip_method_name(p[i].group),
                                      eip_exp_removal_attacker_name(p[i].attacker), (long long)p[i].round);
            if (!s)
                all[n++] = p[i];
        }
        free(p);
    }
    if (!s && n == 0)
        s = eip_error_set(err, EIP_ERR_ARG, "--merge: no points in '%s'", list);
    if (!s)
        s = eip_exp_removal_write(c, all, n, 0, err);
    free(all);
    return s;
}

int eip_cli_experiment_removal(int argc, char **argv)
{
    eip_exp_removal_config c;
    eip_exp_removal_config_default(&c);
    const char *models = NULL, *datasets = NULL, *groups = NULL, *attackers = NULL, *merge = NULL;
    int64_t epochs = 0, verif_reps = 0, seed = 1;
    double width = 0;
    exp_out_opts eo = {0};
    eip_cli_opt o[] = {
        {.name = "models", .arg = "LIST", .str = &models, .def_doc = "resnet18,alexnet",
         .help = "zoo models (resnet18, googlenet, alexnet, smallcnn)"},
        {.name = "datasets", .arg = "LIST", .str = &datasets, .def_doc = "fashion-mnist,mnist", .help = "datasets"},
        {.name = "groups", .arg = "LIST", .str = &groups, .def_doc = "paper,ristretto255",
         .help = "paper,ristretto255 or one of them"},
        {.name = "attackers", .arg = "LIST", .str = &attackers, .def_doc = "paper,leaker",
         .help = "paper (Algorithm 1's targets) and/or leaker (its own decrypted labels)"},
        {.name = "width", .arg = "W", .f64 = &width, .fmin = 1.0 / 64, .fmax = 4.0,
         .def_doc = "table1's: 0.25; googlenet, smallcnn 0.5", .help = "width of every model"},
        {.name = "epochs", .arg = "E", .i64 = &epochs, .min = 1, .max = 1000, .def_doc = "3; alexnet 30",
         .help = "protect's training epochs (the table1 recipe)"},
        {.name = "verify-reps", .arg = "R", .i64 = &verif_reps, .min = 0, .max = 100000,
         .def_doc = "automatic; alexnet 40", .help = "replicas per verification instance in protect"},
        {.name = "verify-instances", .arg = "V", .i64 = &c.verif_count, .min = 0, .max = 100000,
         .def_doc = "paper 24, ristretto255 16", .help = "paper: Fakes; ristretto255: per licensee"},
        {.name = "limit", .arg = "N", .i64 = &c.limit, .min = 0, .max = INT64_MAX,
         .help = "training images of the protected model = the parts' pool (seeded random choice, 0 = all)"},
        {.name = "test-limit", .arg = "N", .i64 = &c.test_limit, .min = 0, .max = INT64_MAX,
         .help = "N test images, seeded random choice (0 = all)"},
        {.name = "parts", .arg = "K", .i64 = &c.parts, .min = 1, .max = 1000,
         .help = "disjoint parts of the training set = fine-tuning rounds"},
        {.name = "ft-epochs", .arg = "E", .i64 = &c.ft_epochs, .min = 1, .max = 1000,
         .help = "fine-tuning epochs per round"},
        {.name = "ft-lr-factor", .arg = "F", .f64 = &c.ft_lr_factor, .fmin = 1e-6, .fmax = 100.0,
         .help = "fine-tuning peak lr = the recipe's lr x F (cosine, no warm-up)"},
        {.name = "batch", .arg = "B", .i64 = &c.batch, .min = 1, .max = 65536, .help = "batch size"},
        {.name = "licensees", .arg = "P", .i64 = &c.licensees, .min = 1, .max = 1000, .help = "licensees"},
        {.name = "foreign-keys", .arg = "W", .i64 = &c.foreign_keys, .min = 0, .max = 1000,
         .help = "deployments with keys of other key generations traced per round"},
        {.name = "seed", .arg = "S", .i64 = &seed, .min = 0, .max = INT64_MAX / 2, .def = "1",
         .help = "training, parts, leaker choice"},
        eip_cli_opt_threads(&c.threads),
        exp_opt_no_plots(&eo, "skip the gnuplot PNGs"),
        {.name = "merge", .arg = "LIST", .str = &merge,
         .help = "instead of running: one removal.md + PNGs from these runs' removal.csv (give their scale flags)"},
        exp_opt_out(&eo),
        {0},
    };
    const eip_cli_spec spec = {"experiment removal", "--out DIR [--models LIST] [--datasets LIST] [options] | "
                                                     "--merge DIR,DIR,... --out DIR [scale options]",
                               {o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    if (models && !names_parse(cmd, "models", models, c.models, EIP_EXP_ENCRYIP_MAX_MODELS, &c.n_models))
        return EIP_EXIT_USAGE;
    if (datasets &&
        !names_parse(cmd, "datasets", datasets, c.datasets, EIP_EXP_ENCRYIP_MAX_DATASETS, &c.n_datasets))
        return EIP_EXIT_USAGE;
    static const char *const zoo[] = {"resnet18", "googlenet", "alexnet", "smallcnn"};
    for (int i = 0; i < c.n_models; i++) {
        int z = 0;
        while (z < 4 && strcmp(zoo[z], c.models[i]))
            z++;
        if (z == 4)
            return eip_cli_usage_error(cmd, "--models: '%s' is not resnet18, googlenet, alexnet or smallcnn",
                                       c.models[i]);
        c.recipes[i] = eip_exp_encryip_recipe_default(c.models[i]);
        if (eip_cli_given(&spec, &width))
            c.recipes[i].width = width;
        if (eip_cli_given(&spec, &epochs))
            c.recipes[i].epochs = epochs;
        if (eip_cli_given(&spec, &verif_reps))
            c.recipes[i].verif_reps = verif_reps;
    }
    if (groups && !groups_parse(cmd, groups, &c.groups))
        return EIP_EXIT_USAGE;
    if (attackers && !attackers_parse(cmd, attackers, &c.attackers))
        return EIP_EXIT_USAGE;
    eip_error err = {0};
    for (int d = 0; d < c.n_datasets; d++) {
        eip_status ds = eip_data_name_check(c.datasets[d], NULL, &err);
        if (ds != EIP_OK)
            return eip_cli_fail(cmd, ds, &err);
    }
    c.seed = (uint64_t)seed;
    if (!exp_out_begin(cmd, "removal", &eo, argc, argv, &c.out))
        return EIP_EXIT_IO;
    eip_status s = merge ? removal_merge(&c, merge, &err) : eip_exp_removal(&c, &err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    printf("removal: %s/removal.md, %s/removal.csv, %s/removal_*_{acc,verif}.png\n", c.out.dir, c.out.dir,
           c.out.dir);
    return EIP_EXIT_OK;
}
