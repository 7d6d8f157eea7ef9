/* Private to the AdvParams experiment (app/experiment/advparams_*.c). */
#ifndef EIP_EXPERIMENT_ADVPARAMS_INTERNAL_H
#define EIP_EXPERIMENT_ADVPARAMS_INTERNAL_H

#include "encryip/advparams.h"
#include "encryip/data.h"
#include "experiment/experiment.h"
#include "encryip/nn.h"

/* A copy of every tensor block of a net (restore = exact state). */
typedef struct snapshot {
    float *p, *b;   /* [P], [Bf] */
    int64_t *c;     /* [Bc] */
    int64_t np, nb, nc;
} snapshot;


/* The run's shared state. */
typedef struct exp_ctx {
    const eip_exp_advparams_config *cfg;
    eip_nn_ctx nn;
    eip_data_set train_full; /* the whole training split (attacker fractions) */
    eip_data_set train, test; /* base-training subset, test slice */
    int32_t c;
    float mean[EIP_DATA_MAX_CHANNELS], std[EIP_DATA_MAX_CHANNELS];
    eip_exp_table_t *t_enc, *t_ft, *t_prune, *t_adapt, *t_time;
    eip_nn_net_t *cur; /* for the eval callback */
} exp_ctx;


eip_status eip_exp_adv_snap_take(eip_nn_net_t *net, snapshot *s, eip_error *err);
void eip_exp_adv_snap_restore(eip_nn_net_t *net, const snapshot *s);
int eip_exp_adv_snap_equal(eip_nn_net_t *net, const snapshot *s);
void eip_exp_adv_snap_free(snapshot *s);
void eip_exp_adv_log(const exp_ctx *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Test accuracy of e->cur (an eip_train_eval_fn). */
eip_status eip_exp_adv_eval_test(void *ctx, double *acc, eip_error *err);
eip_status eip_exp_adv_path_join(char *buf, size_t cap, const char *dir, const char *name,
                                 const char *suffix, eip_error *err);

/* Phases (advparams_phases.c); net holds any state on entry and on return. */
eip_status eip_exp_adv_plot_curve(exp_ctx *e, const char *zoo, const eip_advparams_result *r,
                                  eip_error *err);
eip_status eip_exp_adv_phase_prune(exp_ctx *e, eip_nn_net_t *net, const char *zoo,
                                   const snapshot *orig, const snapshot *enc, eip_error *err);
eip_status eip_exp_adv_phase_adaptive(exp_ctx *e, eip_nn_net_t *net, const char *zoo,
                                      const snapshot *enc, const eip_advparams_key *key,
                                      double acc_enc, eip_error *err);
eip_status eip_exp_adv_phase_finetune(exp_ctx *e, eip_nn_net_t *net, const char *zoo,
                                      const snapshot *enc, double acc_enc, eip_error *err);
/* Rewrites every table (md + csv) and the summary. */
eip_status eip_exp_adv_write_tables(exp_ctx *e, eip_error *err);

#endif
