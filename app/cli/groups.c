#include "cli/groups.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Defaults shown and parsed as text come from the library recipe (train.h). */
#define EIP_STR_(x) #x
#define EIP_STR(x) EIP_STR_(x)

#include "encryip/data.h"

eip_cli_opt eip_cli_opt_threads(int64_t *var)
{
    return (eip_cli_opt){.name = "threads", .arg = "T", .i64 = var, .min = 0, .max = 1024,
                         .def_doc = *var ? NULL : "0 = all cores", .help = "oneDNN threads"};
}

eip_cli_opt eip_cli_opt_data_dir(const char **var)
{
    return (eip_cli_opt){.name = "data-dir", .arg = "DIR", .str = var,
                         .def_doc = "the installed location", .help = "dataset directory"};
}

static eip_status parse_group(const char *s, void *out, eip_error *err)
{
    return eip_crypto_group_parse(s, (eip_crypto_group_id *)out, err);
}

static const char *const precision_names[] = {"fp32", "bf16", NULL};

eip_cli_opt eip_cli_opt_precision(int *var)
{
    return (eip_cli_opt){.name = "precision", .arg = "P", .choice = var, .choices = precision_names,
                         .def = "fp32", .help = "fp32, or bf16 mixed precision (CPUs with AVX-512 bf16)"};
}

eip_cli_opt eip_cli_opt_group(eip_crypto_group_id *var)
{
    return (eip_cli_opt){.name = "group", .arg = "G", .custom = var, .parse = parse_group,
                         .def = "ristretto255",
                         .help = "paper (Z_q^*, insecure, as in the paper) or ristretto255"};
}

/* ---- training ---------------------------------------------------------- */

static const char *const optim_names[] = {"sgd", "adamw", NULL};
static const char *const sched_names[] = {"cosine", "step", "const", NULL};

void eip_cli_train_group_init(eip_cli_train_group *g)
{
    memset(g, 0, sizeof *g);
    eip_cli_train_settings *st = &g->st;
    st->lr = -1;
    st->wd = -1;
    st->warmup = -1;
    const eip_cli_opt o[] = {
        {.name = "model", .arg = "NAME", .str = &g->model,
         .help = "zoo model: smallcnn, resnet18, alexnet, googlenet (or --config)"},
        {.name = "config", .arg = "FILE", .str = &g->config,
         .help = "architecture config file instead of --model"},
        {.name = "width", .arg = "W", .f64 = &st->width, .fmin = 1.0 / 64, .fmax = 4.0, .def = "1",
         .help = "channel width multiplier of a zoo model"},
        {.name = "dataset", .arg = "NAME", .str = &g->dataset, .required = true,
         .help = "fashion-mnist, mnist, cifar10, cifar100, gtsrb"},
        eip_cli_opt_data_dir(&g->data_dir),
        {.name = "limit", .arg = "N", .i64 = &st->limit, .min = 0, .max = INT64_MAX, .def = "0",
         .def_doc = "0 = all", .help = "use N training images (a fixed seeded random subset)"},
        {.name = "epochs", .arg = "E", .i64 = &st->epochs, .min = 1, .max = 100000, .def = EIP_STR(EIP_TRAIN_RECIPE_EPOCHS),
         .help = "epochs"},
        {.name = "batch", .arg = "B", .i64 = &st->batch, .min = 1, .max = 65536, .def = EIP_STR(EIP_TRAIN_RECIPE_BATCH),
         .help = "batch size"},
        {.name = "optim", .arg = "NAME", .choice = &g->optim, .choices = optim_names, .def = "sgd",
         .help = "sgd (momentum 0.9, Nesterov) or adamw"},
        {.name = "lr", .arg = "LR", .f64 = &st->lr, .fmin = 1e-9, .fmax = 10.0,
         .def_doc = EIP_STR(EIP_TRAIN_RECIPE_SGD_LR) " sgd, " EIP_STR(EIP_TRAIN_RECIPE_ADAMW_LR) " adamw", .help = "peak learning rate"},
        {.name = "wd", .arg = "WD", .f64 = &st->wd, .fmin = 0.0, .fmax = 1.0,
         .def_doc = EIP_STR(EIP_TRAIN_RECIPE_SGD_WD) " sgd, " EIP_STR(EIP_TRAIN_RECIPE_ADAMW_WD) " adamw", .help = "weight decay"},
        {.name = "schedule", .arg = "NAME", .choice = &g->schedule, .choices = sched_names,
         .def = "cosine", .help = "cosine, step (x0.1 after 1/3 and 2/3 of the run) or const"},
        {.name = "warmup", .arg = "E", .i64 = &st->warmup, .min = 0, .max = 100000,
         .def_doc = "1 if epochs > 2, else 0", .help = "linear warm-up epochs (at most --epochs)"},
        {.name = "seed", .arg = "S", .i64 = &g->seed, .min = 0, .max = INT64_MAX, .def = "1",
         .help = "seed for init, shuffling, dropout (and protect's noise images)"},
        eip_cli_opt_threads(&st->threads),
        eip_cli_opt_precision(&g->precision),
        {.name = "csv", .arg = "FILE", .str = &g->csv,
         .help = "per-epoch CSV: epoch,train_loss,test_acc,seconds,lr"},
        {0},
    };
    _Static_assert(sizeof o == sizeof g->opts, "train group table size");
    memcpy(g->opts, o, sizeof o);
}

void eip_cli_train_precision_apply(const char *cmd, const eip_cli_train_group *g, eip_nn_ctx *ctx)
{
    if (g->precision != 1)
        return;
    eip_error err = {0};
    if (eip_nn_ctx_set_precision(ctx, EIP_NN_BF16, &err) != EIP_OK)
        fprintf(stderr, "encryip %s: warning: %s; running in fp32\n", cmd, err.msg);
}

bool eip_cli_train_group_finish(const char *cmd, eip_cli_train_group *g)
{
    eip_cli_train_settings *st = &g->st;
    const bool sgd = g->optim == 0;
    snprintf(st->optim, sizeof st->optim, "%s", optim_names[g->optim]);
    snprintf(st->schedule, sizeof st->schedule, "%s", sched_names[g->schedule]);
    if (!eip_cli_opt_given(g->opts, &st->lr))
        st->lr = sgd ? EIP_TRAIN_RECIPE_SGD_LR : EIP_TRAIN_RECIPE_ADAMW_LR; /* the library recipe */
    if (!eip_cli_opt_given(g->opts, &st->wd))
        st->wd = sgd ? EIP_TRAIN_RECIPE_SGD_WD : EIP_TRAIN_RECIPE_ADAMW_WD;
    /* --warmup's default depends on --epochs; an explicit value wins. */
    if (!eip_cli_opt_given(g->opts, &st->warmup)) {
        eip_train_recipe r = eip_train_recipe_default(EIP_TRAIN_OPTIM_SGD);
        r.epochs = st->epochs;
        r.warmup = -1; /* the recipe's rule */
        st->warmup = eip_train_recipe_warmup(&r);
    }
    else if (st->warmup > st->epochs) {
        eip_cli_usage_error(cmd, "--warmup: %lld is outside [0, %lld]", (long long)st->warmup,
                            (long long)st->epochs);
        return false;
    }
    st->seed = (uint64_t)g->seed;
    return true;
}

/* ---- AdvParams --------------------------------------------------------- */

static eip_status parse_layers(const char *s, void *out, eip_error *err)
{
    return eip_advparams_layers_parse(s, (int *)out, err);
}

static eip_status parse_objective(const char *s, void *out, eip_error *err)
{
    return eip_advparams_objective_parse(s, (eip_advparams_objective *)out, err);
}

void eip_cli_adv_group_init(eip_cli_adv_group *g, bool prefixed, unsigned members)
{
    memset(g, 0, sizeof *g);
    const eip_advparams_config d = eip_advparams_config_default(0);
    g->budget = d.budget;
    g->images = EIP_PROTECT_ADV_DEFAULT_ENC;
    g->trials = d.trials;
    g->target_acc = -1;
    g->reach = d.reach;
    g->layers = d.layers;
    g->objective = d.objective;
    /* {plain name, prefixed name}: the prefixed flags sit among protect's
     * own, hence "adv-" and the "AdvParams: " in their help. */
    const struct {
        unsigned member;
        const char *plain, *prefixed;
        eip_cli_opt o;
    } all[] = {
        {EIP_CLI_ADV_BUDGET, "budget", "adv-budget",
         {.arg = "N", .i64 = &g->budget, .min = 1, .max = EIP_ADVPARAMS_MAX_ENTRIES,
          .help = "max parameters changed"}},
        {EIP_CLI_ADV_TRIALS, "trials", "adv-trials",
         {.arg = "T", .i64 = &g->trials, .min = 1, .max = 1000, .help = "candidates tried per step"}},
        {EIP_CLI_ADV_IMAGES, "images", "adv-enc-size",
         {.arg = "N", .i64 = &g->images, .min = 1, .max = 100000,
          .help = "encryption-set size (training images)"}},
        {EIP_CLI_ADV_TARGET, "target-acc", "adv-target-acc",
         {.arg = "A", .f64 = &g->target_acc, .fmin = 0.0, .fmax = 1.0,
          .def_doc = "1/classes + 0.05", .help = "stop at this encryption-set accuracy"}},
        {EIP_CLI_ADV_REACH, "reach", "adv-reach",
         {.arg = "R", .f64 = &g->reach, .fmin = 1e-6, .fmax = 1.0,
          .help = "fraction of the way to the range bound, (0, 1]"}},
        {EIP_CLI_ADV_LAYERS, "layers", "adv-layers",
         {.arg = "L", .custom = &g->layers, .parse = parse_layers, .def_doc = "all",
          .help = "candidate tensors: all, first, bn, last or a+b"}},
        {EIP_CLI_ADV_OBJECTIVE, "objective", "adv-objective",
         {.arg = "O", .custom = &g->objective, .parse = parse_objective,
          .def_doc = eip_advparams_objective_name(d.objective),
          .help = "candidate ranking: margin or loss"}},
    };
    static const char *const prefixed_help[] = {
        "AdvParams: max parameters changed", "AdvParams: candidates tried per step",
        "AdvParams: encryption-set training images", "AdvParams: stop at this encryption-set accuracy",
        "AdvParams: fraction of the way to the range bound, (0, 1]",
        "AdvParams: candidate tensors all, first, bn, last or a+b",
        "AdvParams: candidate ranking margin or loss"};
    _Static_assert(sizeof all / sizeof all[0] + 1 == sizeof g->opts / sizeof g->opts[0],
                   "AdvParams group table size");
    int n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!(members & all[i].member))
            continue;
        g->opts[n] = all[i].o;
        g->opts[n].name = prefixed ? all[i].prefixed : all[i].plain;
        if (prefixed)
            g->opts[n].help = prefixed_help[i];
        n++;
    }
}

void eip_cli_adv_group_apply(const eip_cli_adv_group *g, eip_advparams_config *c)
{
    c->budget = g->budget;
    c->trials = g->trials;
    c->reach = g->reach;
    c->layers = g->layers;
    c->objective = g->objective;
    if (g->target_acc >= 0)
        c->target_acc = g->target_acc;
}

bool eip_cli_adv_group_any(const eip_cli_adv_group *g)
{
    for (const eip_cli_opt *o = g->opts; o->name; o++)
        if (o->present)
            return true;
    return false;
}

/* ---- model opening ----------------------------------------------------- */

static const char *const decoder_names[] = {"ml", "argmax", NULL};

void eip_cli_model_group_init(eip_cli_model_group *g, const char *model_help)
{
    memset(g, 0, sizeof *g);
    g->decoder = -1;
    const eip_cli_opt o[] = {
        {.name = "model", .arg = "DIR", .str = &g->model, .required = true,
         .help = model_help ? model_help
                            : "protected model: bundle dir, its deploy/ dir or deploy/model.safetensors"},
        {.name = "weights-key", .arg = "FILE", .str = &g->weights_key,
         .help = "AdvParams weights key (keys/weights.key): unlock encrypted weights in memory"},
        {.name = "locked", .flag = &g->locked,
         .help = "run AdvParams-encrypted weights as they are (stolen-file measurement)"},
        {.name = "decoder", .arg = "D", .choice = &g->decoder, .choices = decoder_names,
         .def_doc = "ml", .help = "Φ^-1: ml or argmax (the paper's eq. 3)"},
        {.name = "unverified", .flag = &g->unverified,
         .help = "skip the deploy/integrity.json check (a suspect's or attacked copy)"},
        {0},
    };
    _Static_assert(sizeof o == sizeof g->opts, "model group table size");
    memcpy(g->opts, o, sizeof o);
}

eip_status eip_cli_protect_model_open(eip_nn_ctx *ctx, const eip_cli_model_group *g,
                                      eip_protect_model_t **out, eip_error *err)
{
    *out = NULL;
    const char *kpath = g->weights_key;
    if (kpath && g->locked)
        return eip_error_set(err, EIP_ERR_ARG, "give at most one of --weights-key FILE or --locked");
    eip_advparams_key key = {0};
    eip_protect_model_t *m = NULL;
    eip_status s = EIP_OK;
    /* the key first: a corrupted key fails before the model is read */
    if (kpath && (s = eip_advparams_key_read(kpath, &key, err)))
        goto done;
    if ((s = eip_protect_model_load_flags(ctx, g->model,
                                          g->unverified ? EIP_PROTECT_LOAD_UNVERIFIED : 0, &m, err)))
        goto done;
    if (!eip_protect_model_advparams(m)) {
        if (kpath || g->locked)
            s = eip_error_set(err, EIP_ERR_ARG, "%s: the weights are not AdvParams-encrypted; drop %s",
                              eip_protect_model_path(m), kpath ? "--weights-key" : "--locked");
    } else if (kpath) {
        /* restored in memory only; nothing is written */
        if ((s = eip_protect_model_unlock(m, &key, err)))
            eip_error_prefix(err, "--weights-key %s: ", kpath);
    } else if (g->locked) {
        fprintf(stderr, "warning: %s: running the AdvParams-encrypted weights as they are "
                        "(--locked): the outputs are those of the encrypted model\n",
                eip_protect_model_path(m));
    } else {
        s = eip_error_set(err, EIP_ERR_ARG, "%s: the weights are AdvParams-encrypted (protect "
                          "--advparams): pass --weights-key FILE (the bundle's keys/weights.key) to "
                          "unlock them in memory, or --locked to run the encrypted weights",
                          eip_protect_model_path(m));
    }
    if (!s && g->decoder >= 0)
        eip_protect_model_set_decoder(m, g->decoder == 0 ? EIP_CRYPTO_PHI_ML : EIP_CRYPTO_PHI_ARGMAX);
done:
    if (key.entries) /* the original weights: secret */
        sodium_memzero(key.entries, (size_t)key.n * sizeof *key.entries);
    eip_advparams_key_free(&key);
    if (s)
        eip_protect_model_free(m);
    else
        *out = m;
    return s;
}

/* ---- image input ------------------------------------------------------- */

static const char *const split_names[] = {"test", "train", NULL};

void eip_cli_input_group_init(eip_cli_input_group *g)
{
    memset(g, 0, sizeof *g);
    const eip_cli_opt o[] = {
        {.name = "input", .arg = "FILE", .str = &g->input,
         .help = "images: a PNG/JPEG file, a folder of them, .npy (uint8, or float32 in [0,1]) [N,H,W] or "
                 "[N,C,H,W], or idx "
                 "(idx3 [N,H,W] / idx4 [N,C,H,W] ubyte, raw or .gz)"},
        {.name = "dataset", .arg = "NAME", .str = &g->dataset,
         .help = "instead of --input: a named dataset's images"},
        {.name = "split", .arg = "S", .choice = &g->split, .choices = split_names, .def = "test",
         .help = "with --dataset: test or train"},
        {.name = "limit", .arg = "N", .i64 = &g->limit, .min = 1, .max = INT64_MAX,
         .def_doc = "all", .help = "with --dataset: only the first N images"},
        eip_cli_opt_data_dir(&g->data_dir),
        {0},
    };
    _Static_assert(sizeof o == sizeof g->opts, "input group table size");
    memcpy(g->opts, o, sizeof o);
}

eip_status eip_cli_images_input(const eip_cli_input_group *g, int32_t c, int32_t h, int32_t w,
                                eip_data_set *ds, eip_error *err)
{
    memset(ds, 0, sizeof *ds);
    const char *in = g->input, *name = g->dataset;
    if (!!in == !!name)
        return eip_error_set(err, EIP_ERR_ARG, "give exactly one of --input FILE or --dataset NAME");
    eip_status s;
    if (in) {
        /* PNG/JPEG file, a folder of them, .npy (docs/DATA.md); else idx */
        if ((s = eip_data_image_path_kind(in) == EIP_DATA_IMAGE_OTHER
                     ? eip_protect_images_load(in, ds, err)
                     : eip_data_images_input_load(in, ds, err)))
            return s;
    } else {
        /* only the split asked for: decoding Fashion-MNIST's 60,000 training images took
         * ~1 s of a 10,000-image classify that needs the test split alone */
        if ((s = eip_data_load_by_name(name, g->data_dir, g->split == 0 ? NULL : ds,
                                       g->split == 0 ? ds : NULL, err)))
            return s;
        if (g->limit > 0 && g->limit < ds->n) {
            eip_data_set sub;
            if ((s = eip_data_set_subset_first(ds, g->limit, &sub, err))) {
                eip_data_set_free(ds);
                return s;
            }
            eip_data_set_free(ds);
            *ds = sub;
        }
    }
    if (ds->c != c || ds->h != h || ds->w != w) {
        s = eip_error_set(err, EIP_ERR_SHAPE,
                          "%s: images are %dx%dx%d (CxHxW) but the model takes %dx%dx%d",
                          in ? in : ds->name, ds->c, ds->h, ds->w, (int)c, (int)h, (int)w);
        eip_data_set_free(ds);
        return s;
    }
    return EIP_OK;
}
