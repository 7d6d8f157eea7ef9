/* The training recipe of encryip, in one place: `encryip train` and
 * `protect`, the experiment drivers and tools/torch_train.py train the same
 * way (SGD with Nesterov momentum 0.9 or AdamW, weight decay on every
 * parameter as PyTorch's default, a linear warm-up from 0.1 x lr, then
 * cosine to 0, stepped per iteration). */
#include <string.h>

#include "encryip/train.h"

eip_train_recipe eip_train_recipe_default(eip_train_optim_kind optim)
{
    eip_train_recipe r;
    memset(&r, 0, sizeof r);
    r.optim = optim == EIP_TRAIN_OPTIM_ADAMW ? EIP_TRAIN_OPTIM_ADAMW : EIP_TRAIN_OPTIM_SGD;
    r.schedule = EIP_TRAIN_SCHED_COSINE;
    r.epochs = EIP_TRAIN_RECIPE_EPOCHS;
    r.warmup = -1;
    r.lr = r.optim == EIP_TRAIN_OPTIM_SGD ? EIP_TRAIN_RECIPE_SGD_LR : EIP_TRAIN_RECIPE_ADAMW_LR;
    r.wd = r.optim == EIP_TRAIN_OPTIM_SGD ? EIP_TRAIN_RECIPE_SGD_WD : EIP_TRAIN_RECIPE_ADAMW_WD;
    return r;
}

int64_t eip_train_recipe_warmup(const eip_train_recipe *r)
{
    /* one warm-up epoch, but not in runs too short to afford one */
    return r->warmup >= 0 ? r->warmup : (r->epochs > 2 ? 1 : 0);
}

void eip_train_recipe_fill(const eip_train_recipe *r, int64_t steps, eip_train_config *tc)
{
    memset(tc, 0, sizeof *tc);
    tc->epochs = r->epochs;
    const int sgd = r->optim != EIP_TRAIN_OPTIM_ADAMW;
    tc->optim = eip_train_optim_config_default(sgd ? EIP_TRAIN_OPTIM_SGD : EIP_TRAIN_OPTIM_ADAMW);
    tc->optim.weight_decay = r->wd;
    if (sgd) {
        tc->optim.momentum = 0.9;
        tc->optim.nesterov = 1;
    }
    tc->decay_all = 1; /* PyTorch's default: the reference trainer does the same */
    const int64_t warm = eip_train_recipe_warmup(r);
    eip_train_sched *sc = &tc->sched;
    sc->base_lr = r->lr;
    sc->warmup = warm * steps;
    sc->warmup_start_factor = 0.1;
    const int64_t main_steps = (r->epochs - warm) * steps;
    if (r->schedule == EIP_TRAIN_SCHED_STEP) {
        /* x0.1 at 50% and 75% of the run would need multi-step; a single
         * step size of 1/3 of the run gives x0.1 twice before the end. */
        sc->kind = EIP_TRAIN_SCHED_STEP;
        sc->step_size = main_steps / 3 > 0 ? main_steps / 3 : 1;
        sc->gamma = 0.1;
    } else if (r->schedule == EIP_TRAIN_SCHED_CONST) {
        sc->kind = EIP_TRAIN_SCHED_CONST;
    } else {
        sc->kind = EIP_TRAIN_SCHED_COSINE;
        sc->t_max = main_steps > 0 ? main_steps : 1;
        sc->eta_min = 0.0;
    }
}
