/* Shared by the commands that train or run models (train, eval, protect,
 * ...): dataset loading by name, normalisation statistics kept in model
 * metadata, and the progress line. */
#ifndef EIP_CLI_RUN_COMMON_H
#define EIP_CLI_RUN_COMMON_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"
#include "encryip/ckpt.h"
#include "encryip/data.h"
#include "encryip/nn.h"
#include "encryip/train.h"

/* Progress printer for eip_train_run: a live line on a terminal, one plain
 * line per epoch otherwise. */
typedef struct eip_cli_progress {
    const char *label; /* e.g. "train" */
    bool tty;
    FILE *fp;          /* stderr */
} eip_cli_progress;

void eip_cli_progress_init(eip_cli_progress *p, const char *label);
void eip_cli_progress_cb(void *ctx, const eip_train_progress *p);

/* Loads train/test of a named dataset (dir NULL = default location), then
 * keeps the first `limit` training images if limit > 0. */
eip_status eip_cli_dataset_load(const char *name, const char *dir, int64_t limit,
                                eip_data_set *train, eip_data_set *test, eip_error *err);

/* Normalisation statistics of a model file ("norm.mean", "norm.std"). */
eip_status eip_cli_model_norm(const char *path, int32_t c, float *mean, float *std,
                              eip_error *err);

/* Training flags shared by `train` and `protect`, filled by the training
 * option group (app/cli/groups.h). */
typedef struct eip_cli_train_settings {
    double width;
    int64_t limit, epochs, batch, warmup, threads;
    uint64_t seed;
    char optim[16], schedule[16];
    double lr, wd;
} eip_cli_train_settings;

/* The library's training recipe with these settings. */
eip_train_recipe eip_cli_train_recipe(const eip_cli_train_settings *st);
/* Optimiser + schedule for `steps` iterations per epoch (the recipe). */
void eip_cli_train_config_fill(const eip_cli_train_settings *st, int64_t steps,
                               eip_train_config *tc);
/* A zoo net (--model, --width) or a config net (--config) for the data's
 * image shape with output width k (exactly one of model, config). */
eip_status eip_cli_net_build(const char *cmd, const char *model, const char *config, eip_nn_ctx *ctx,
                             const eip_data_set *train, int64_t k, double width,
                             eip_nn_net_t **net, eip_error *err);
/* Writes the model with the training settings, dataset, normalisation and
 * final test accuracy in its metadata. */
eip_status eip_cli_model_save(eip_nn_net_t *net, const char *path,
                              const eip_cli_train_settings *st, const char *dataset,
                              const eip_data_loader_cfg *lcfg, double test_acc, eip_error *err);
/* The dataset to evaluate a model on: `given`, or the model's "train.dataset". */
eip_status eip_cli_model_dataset(const char *path, const char *given, char *out, size_t cap,
                                 eip_error *err);

#endif
