/* Private helpers of the EncryIP experiment driver (app/experiment/encryip_*.c):
 * net building and training settings shared by the original and the
 * EncryIP runs, mean/std, small file writers and the gnuplot call. */
#ifndef EIP_EXPERIMENT_ENCRYIP_INTERNAL_H
#define EIP_EXPERIMENT_ENCRYIP_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "experiment/experiment.h"
#include "encryip/protect.h"
#include "encryip/train.h"

/* The net and training settings one run uses for both the original model
 * and EncryIP (same architecture family, seed, epochs, hyper-parameters). */
typedef struct eip_expe_train {
    eip_nn_ctx *nn;
    const char *model;   /* zoo name */
    double width;
    int32_t c, h, w;     /* input shape */
    int64_t epochs, batch;
    int optim;           /* EIP_TRAIN_OPTIM_ADAMW, else (0 too) SGD Nesterov */
    int64_t verif_reps;  /* EncryIP: replicas per verification instance (0 = automatic) */
    double lr, wd;
    uint64_t seed;
    FILE *log;           /* progress (may be NULL) */
    char label[96];      /* progress prefix, e.g. "resnet18/mnist r1 paper" */
    double t_start;      /* grid start (for the overall ETA), 0 = none */
    /* Process CPU seconds of training steps 2..n of every epoch (the
     * evaluation between epochs and the first step after it left out):
     * with one thread the compute of the step loop, which other jobs on a
     * shared machine stretch in wall time but not in CPU time.  Reset by
     * the caller. */
    double cpu_s, cpu_mark;
    int64_t cpu_steps;
} eip_expe_train;

/* A trainer for `model` on images shaped like `set` with recipe `rc`
 * (label empty; the caller names each run). */
void eip_expe_train_init(eip_expe_train *tr, eip_nn_ctx *nn, const char *model, const eip_data_set *set,
                         const eip_exp_encryip_recipe *rc, int64_t batch, uint64_t seed, FILE *log,
                         double t_start);

/* eip_protect_build_fn / eip_protect_trainconf_fn over an eip_expe_train. */
eip_status eip_expe_build(void *ctx, int64_t k, eip_nn_net_t **net, eip_error *err);
void eip_expe_trainconf(void *ctx, int64_t steps, eip_train_config *tc);
/* eip_train_fit of a plain model on train through `tr` (recipe, batch,
 * seed, init); the caller adds test / eval sets. */
void eip_expe_fit_config(eip_train_fit_config *fc, eip_expe_train *tr, const eip_data_set *train);
/* The library's training recipe with this trainer's settings. */
eip_train_recipe eip_expe_recipe(const eip_expe_train *t);
void eip_expe_stage(void *ctx, const char *msg);
/* An Algorithm 1 configuration that trains through `tr` (build, trainconf,
 * stage callbacks, batch, seed) with noise verification instances; the
 * caller sets q, crypto_rng or another stage callback where it needs them. */
void eip_expe_protect_config(eip_protect_config *pc, eip_expe_train *tr, const eip_data_set *train,
                             const eip_data_set *test, eip_crypto_group_id group, int64_t licensees,
                             int64_t verif_count, int64_t verif_reps, int64_t eval_limit);

/* keys [*got] (malloc'd; the caller frees each key and the array, also on
 * failure): sk_1 of `n` independent key generations with pk's group, z and
 * q — deployments with such a key belong to no licensee. */
eip_status eip_expe_foreign_keys(const eip_crypto_pk_t *pk, int64_t n, eip_crypto_sk_t ***keys,
                                 int64_t *got, eip_error *err);

double eip_expe_now(void);
/* Splits a CSV line in place (no quoting in our CSVs) into at most `max`
 * fields; returns how many. */
int eip_expe_csv_split(char *line, char **f, int max);
/* "original" / "paper" / "ristretto255" -> EIP_EXP_ENCRYIP_*, else -1. */
int eip_expe_method_parse(const char *s);
/* Mean and sample std (n-1; 0 for n < 2) of the values >= 0 among v[n]
 * (negative = missing); *count = how many were used. */
void eip_expe_mean_std(const double *v, int64_t n, double *mean, double *std, int64_t *count);
/* "0.9930 ± 0.0006" or "-" without values. */
void eip_expe_fmt_ms(char *buf, size_t cap, const double *v, int64_t n);

/* Text file built in memory, written atomically at the end. */
typedef struct eip_expe_text {
    char *buf;
    size_t len, cap;
    int oom;
} eip_expe_text;
void eip_expe_text_add(eip_expe_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
eip_status eip_expe_text_write(eip_expe_text *t, const char *dir, const char *name, eip_error *err);
void eip_expe_text_free(eip_expe_text *t);

#endif
