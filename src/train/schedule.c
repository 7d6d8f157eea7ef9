/* Learning-rate schedules as pure functions of the step index: the closed
 * forms of torch.optim.lr_scheduler's LinearLR (warm-up, chained with
 * SequentialLR), StepLR and CosineAnnealingLR.  Torch evaluates the latter
 * recursively from the previous lr; the closed forms agree with it to a few
 * double ulps (checked against tests/ref/train/sched.txt). */
#include <math.h>

#include "encryip/train.h"

static const double eip_pi = 3.14159265358979323846;

eip_status eip_train_sched_check(const eip_train_sched *s, eip_error *err)
{
    if (!s)
        return eip_error_set(err, EIP_ERR_ARG, "lr schedule: NULL");
    if (!(s->base_lr >= 0.0 && isfinite(s->base_lr)))
        return eip_error_set(err, EIP_ERR_ARG, "lr schedule: base_lr %g must be finite and >= 0",
                             s->base_lr);
    if (s->warmup < 0)
        return eip_error_set(err, EIP_ERR_ARG, "lr schedule: warmup %lld < 0", (long long)s->warmup);
    if (s->warmup > 0 && !(s->warmup_start_factor > 0.0 && s->warmup_start_factor <= 1.0))
        return eip_error_set(err, EIP_ERR_ARG, "lr schedule: warmup_start_factor %g not in (0, 1]",
                             s->warmup_start_factor);
    switch (s->kind) {
    case EIP_TRAIN_SCHED_CONST:
        return EIP_OK;
    case EIP_TRAIN_SCHED_STEP:
        if (s->step_size < 1)
            return eip_error_set(err, EIP_ERR_ARG, "lr schedule: step_size %lld < 1",
                                 (long long)s->step_size);
        if (!(s->gamma > 0.0 && isfinite(s->gamma)))
            return eip_error_set(err, EIP_ERR_ARG, "lr schedule: gamma %g must be > 0", s->gamma);
        return EIP_OK;
    case EIP_TRAIN_SCHED_COSINE:
        if (s->t_max < 1)
            return eip_error_set(err, EIP_ERR_ARG, "lr schedule: t_max %lld < 1", (long long)s->t_max);
        if (!(s->eta_min >= 0.0 && isfinite(s->eta_min)))
            return eip_error_set(err, EIP_ERR_ARG, "lr schedule: eta_min %g must be finite and >= 0",
                                 s->eta_min);
        return EIP_OK;
    }
    return eip_error_set(err, EIP_ERR_ARG, "lr schedule: unknown kind %d", (int)s->kind);
}

double eip_train_sched_lr(const eip_train_sched *s, int64_t step)
{
    if (step < 0)
        step = 0;
    if (step < s->warmup) {
        /* LinearLR(start_factor=f0, end_factor=1, total_iters=warmup) */
        const double f0 = s->warmup_start_factor;
        return s->base_lr * (f0 + (1.0 - f0) * (double)step / (double)s->warmup);
    }
    const int64_t e = step - s->warmup; /* SequentialLR restarts the next scheduler at 0 */
    switch (s->kind) {
    case EIP_TRAIN_SCHED_STEP:
        return s->base_lr * pow(s->gamma, (double)(e / s->step_size));
    case EIP_TRAIN_SCHED_COSINE:
        return s->eta_min + (s->base_lr - s->eta_min) *
                                (1.0 + cos(eip_pi * (double)e / (double)s->t_max)) / 2.0;
    case EIP_TRAIN_SCHED_CONST:
        break;
    }
    return s->base_lr;
}
