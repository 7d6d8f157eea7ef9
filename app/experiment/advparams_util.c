/* AdvParams experiment: the helpers its driver (advparams_run.c) and its
 * phases (advparams_phases.c) share: net snapshots, the log, test accuracy,
 * output paths.  The bottom layer: it calls neither of them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/advparams_internal.h"
#include "encryip/train.h"

eip_status eip_exp_adv_snap_take(eip_nn_net_t *net, snapshot *s, eip_error *err)
{
    const float *p = eip_nn_params(net, &s->np), *b = eip_nn_buffers(net, &s->nb);
    const int64_t *c = eip_nn_counters(net, &s->nc);
    s->p = malloc((size_t)(s->np + 1) * sizeof(float));
    s->b = malloc((size_t)(s->nb + 1) * sizeof(float));
    s->c = malloc((size_t)(s->nc + 1) * sizeof(int64_t));
    if (!s->p || !s->b || !s->c)
        return eip_error_set(err, EIP_ERR_NOMEM, "snapshot: out of memory");
    memcpy(s->p, p, (size_t)s->np * sizeof(float));
    memcpy(s->b, b, (size_t)s->nb * sizeof(float));
    memcpy(s->c, c, (size_t)s->nc * sizeof(int64_t));
    return EIP_OK;
}

void eip_exp_adv_snap_restore(eip_nn_net_t *net, const snapshot *s)
{
    memcpy(eip_nn_params(net, NULL), s->p, (size_t)s->np * sizeof(float));
    memcpy(eip_nn_buffers(net, NULL), s->b, (size_t)s->nb * sizeof(float));
    memcpy(eip_nn_counters(net, NULL), s->c, (size_t)s->nc * sizeof(int64_t));
    eip_nn_mark_dirty(net);
}

int eip_exp_adv_snap_equal(eip_nn_net_t *net, const snapshot *s)
{
    return !memcmp(eip_nn_params(net, NULL), s->p, (size_t)s->np * sizeof(float)) &&
           !memcmp(eip_nn_buffers(net, NULL), s->b, (size_t)s->nb * sizeof(float)) &&
           !memcmp(eip_nn_counters(net, NULL), s->c, (size_t)s->nc * sizeof(int64_t));
}

void eip_exp_adv_snap_free(snapshot *s)
{
    free(s->p);
    free(s->b);
    free(s->c);
    memset(s, 0, sizeof *s);
}

void eip_exp_adv_log(const exp_ctx *e, const char *fmt, ...)
{
    if (!e->cfg->out.log)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(e->cfg->out.log, fmt, ap);
    va_end(ap);
    fflush(e->cfg->out.log);
}

eip_status eip_exp_adv_eval_test(void *ctx, double *acc, eip_error *err)
{
    exp_ctx *e = ctx;
    return eip_train_evaluate(e->cur, &e->test, e->mean, e->std, 250, acc, err);
}

eip_status eip_exp_adv_path_join(char *buf, size_t cap, const char *dir, const char *name,
                            const char *suffix, eip_error *err)
{
    int n = snprintf(buf, cap, "%s/%s%s", dir, name, suffix);
    if (n < 0 || (size_t)n >= cap)
        return eip_error_set(err, EIP_ERR_ARG, "%s: path too long", dir);
    return EIP_OK;
}
