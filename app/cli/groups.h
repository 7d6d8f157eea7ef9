/* Option groups shared by several commands: one declaration (name, type,
 * default, help) per flag, whatever command uses it.  A group is a struct
 * holding the parsed values and its option table (pointing into the struct);
 * a command lists the group's table in its eip_cli_spec.
 *   training       train, protect
 *   AdvParams      advparams encrypt, protect --advparams, experiment advparams / combined
 *   model opening  predict, classify (--model --weights-key --locked --decoder)
 *   image input    predict, classify (--input | --dataset [--split] [--limit])
 * plus single options used everywhere (--threads, --data-dir). */
#ifndef EIP_CLI_GROUPS_H
#define EIP_CLI_GROUPS_H

#include "cli/cli.h"
#include "cli/run_common.h"
#include "encryip/advparams.h"
#include "encryip/protect.h"

/* --threads T (oneDNN threads; *var's initial value is the default, 0 = all
 * cores) and --data-dir DIR. */
eip_cli_opt eip_cli_opt_threads(int64_t *var);
eip_cli_opt eip_cli_opt_data_dir(const char **var);
/* --group G: paper or ristretto255 (default). */
eip_cli_opt eip_cli_opt_group(eip_crypto_group_id *var);
/* --precision P: fp32 (0, default) or bf16 (1) mixed precision. */
eip_cli_opt eip_cli_opt_precision(int *var);

/* Training (train, protect): the loader, optimiser and schedule settings. */
typedef struct eip_cli_train_group {
    eip_cli_train_settings st; /* filled by eip_cli_train_group_finish */
    const char *model, *config, *dataset, *data_dir, *csv;
    int optim, schedule;
    int precision; /* index into {"fp32", "bf16"} */
    int64_t seed;
    eip_cli_opt opts[18];
} eip_cli_train_group;

void eip_cli_train_group_init(eip_cli_train_group *g);
/* After eip_cli_parse: the defaults that depend on other flags (--lr, --wd
 * on --optim; --warmup on --epochs) and g->st.  Prints the error and returns
 * false on a bad combination. */
bool eip_cli_train_group_finish(const char *cmd, eip_cli_train_group *g);
/* --precision onto a fresh nn context: bf16 where the CPU has AVX-512 bf16,
 * otherwise a warning on stderr and fp32 (docs/CLI.md "--precision"). */
void eip_cli_train_precision_apply(const char *cmd, const eip_cli_train_group *g, eip_nn_ctx *ctx);

/* AdvParams settings.  Plain names (advparams encrypt, experiment advparams:
 * --budget --images ...) or prefixed ones (protect, experiment combined:
 * --adv-budget --adv-enc-size ...); `members` picks the flags. */
enum {
    EIP_CLI_ADV_BUDGET = 1,
    EIP_CLI_ADV_IMAGES = 2,
    EIP_CLI_ADV_TARGET = 4,
    EIP_CLI_ADV_REACH = 8,
    EIP_CLI_ADV_LAYERS = 16,
    EIP_CLI_ADV_TRIALS = 32,
    EIP_CLI_ADV_OBJECTIVE = 64
};
typedef struct eip_cli_adv_group {
    int64_t budget, images, trials;
    double target_acc; /* < 0: not given (1/classes + 0.05) */
    double reach;
    int layers;
    eip_advparams_objective objective;
    eip_cli_opt opts[8];
} eip_cli_adv_group;

void eip_cli_adv_group_init(eip_cli_adv_group *g, bool prefixed, unsigned members);
/* Copies the settings into c (target_acc only when given). */
void eip_cli_adv_group_apply(const eip_cli_adv_group *g, eip_advparams_config *c);
/* Whether any flag of the group was given. */
bool eip_cli_adv_group_any(const eip_cli_adv_group *g);

/* Opening a protected model (predict, classify). */
typedef struct eip_cli_model_group {
    const char *model, *weights_key;
    bool locked, unverified;
    int decoder; /* index into {"ml", "argmax"}; -1: the model's default (ml) */
    eip_cli_opt opts[6];
} eip_cli_model_group;

void eip_cli_model_group_init(eip_cli_model_group *g, const char *model_help);
/* --model DIR [--weights-key FILE | --locked] [--decoder D]: loads a
 * protected model; AdvParams-encrypted weights are unlocked in memory with
 * the weights key, run encrypted with --locked, refused otherwise (naming
 * the model file and the flag). */
eip_status eip_cli_protect_model_open(eip_nn_ctx *ctx, const eip_cli_model_group *g,
                                      eip_protect_model_t **m, eip_error *err);

/* Images to run a model on (predict, classify). */
typedef struct eip_cli_input_group {
    const char *input, *dataset, *data_dir;
    int split;     /* index into {"test", "train"} */
    int64_t limit; /* 0 = all */
    eip_cli_opt opts[6];
} eip_cli_input_group;

void eip_cli_input_group_init(eip_cli_input_group *g);
/* The images of --input FILE or --dataset NAME [--split S] [--limit N],
 * checked against the model's C x H x W. */
eip_status eip_cli_images_input(const eip_cli_input_group *g, int32_t c, int32_t h, int32_t w,
                                eip_data_set *ds, eip_error *err);

#endif
