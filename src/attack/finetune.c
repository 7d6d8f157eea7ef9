/* Fine-tuning attack (AdvParams' "model fine-tuning attack"): an attacker
 * holding a fraction of the training data trains the stolen model further;
 * the same call on a freshly initialised net is the from-scratch baseline
 * (the protection is worth the head start the stolen weights give).  Also
 * the metadata-preserving save shared by the attack / AdvParams commands. */
#include <stdlib.h>
#include <string.h>

#include "encryip/attack.h"
#include "encryip/ckpt.h"

eip_attack_finetune_config eip_attack_finetune_config_default(void)
{
    eip_attack_finetune_config c;
    memset(&c, 0, sizeof c);
    c.fraction = 0.01;
    c.seed = 1;
    c.epochs = 5;
    c.batch = 64;
    c.lr = 0.01;
    c.wd = 5e-4;
    return c;
}

eip_status eip_attack_finetune(eip_nn_net_t *net, const eip_data_set *train, const float *mean,
                               const float *std, const eip_train_targets *targets,
                               const eip_attack_finetune_config *cfg, int64_t *used,
                               eip_train_history *history, eip_error *err)
{
    if (!(cfg->fraction > 0.0 && cfg->fraction <= 1.0))
        return eip_error_set(err, EIP_ERR_ARG, "fine-tuning fraction %g: must be in (0, 1]",
                             cfg->fraction);
    if (cfg->epochs < 1 || cfg->batch < 1 || !(cfg->lr > 0.0) || !(cfg->wd >= 0.0))
        return eip_error_set(err, EIP_ERR_ARG,
                             "fine-tuning: epochs %lld, batch %lld, lr %g, wd %g (need >= 1, >= 1, "
                             "> 0, >= 0)",
                             (long long)cfg->epochs, (long long)cfg->batch, cfg->lr, cfg->wd);
    if (train->c > EIP_DATA_MAX_CHANNELS)
        return eip_error_set(err, EIP_ERR_SHAPE, "%s: %d channels", train->name, train->c);
    eip_data_set sub = {0};
    eip_data_loader *loader = NULL;
    eip_status s = eip_data_set_subset_fraction(train, cfg->fraction, cfg->seed, &sub, err);
    if (s != EIP_OK)
        return s;
    if (sub.n == 0) {
        eip_data_set_free(&sub);
        return eip_error_set(err, EIP_ERR_ARG, "fine-tuning: %g of %lld images is no image",
                             cfg->fraction, (long long)train->n);
    }
    eip_data_loader_cfg lc;
    if ((s = eip_data_loader_cfg_default(&lc, &sub, cfg->batch, cfg->seed, err)) != EIP_OK)
        goto done;
    /* The stolen model expects its own normalisation, not the subset's. */
    for (int32_t ch = 0; ch < train->c; ch++) {
        lc.mean[ch] = mean[ch];
        lc.std[ch] = std[ch];
    }
    lc.normalize = 1;
    if ((s = eip_data_loader_init(&loader, &sub, &lc, err)) != EIP_OK)
        goto done;
    eip_nn_set_dropout_seed(net, cfg->seed);
    const int64_t steps = eip_data_loader_num_batches(loader);
    eip_train_config tc;
    memset(&tc, 0, sizeof tc);
    tc.epochs = cfg->epochs;
    tc.optim = eip_train_optim_config_default(EIP_TRAIN_OPTIM_SGD);
    tc.optim.momentum = 0.9;
    tc.optim.nesterov = 1;
    tc.optim.weight_decay = cfg->wd;
    tc.decay_all = 1;
    tc.sched.kind = EIP_TRAIN_SCHED_COSINE;
    tc.sched.base_lr = cfg->lr;
    tc.sched.warmup_start_factor = 1.0;
    tc.sched.t_max = steps * cfg->epochs > 0 ? steps * cfg->epochs : 1;
    tc.progress = cfg->progress;
    tc.progress_ctx = cfg->progress_ctx;
    tc.eval = cfg->eval;
    tc.eval_ctx = cfg->eval_ctx;
    if (used)
        *used = sub.n;
    s = eip_train_run(net, loader, targets, &tc, history, err);
    if (s != EIP_OK)
        eip_error_prefix(err, "fine-tuning on %lld images: ", (long long)sub.n);
done:
    eip_data_loader_free(loader);
    eip_data_set_free(&sub);
    return s;
}

eip_status eip_attack_save_like(eip_nn_net_t *net, const char *template_path, const char *out_path,
                                const eip_ckpt_meta *extra, size_t n_extra, eip_error *err)
{
    eip_ckpt_reader_t *r = NULL;
    eip_status s = eip_ckpt_reader_open(&r, template_path, err);
    if (s != EIP_OK)
        return s;
    const size_t nm = eip_ckpt_reader_meta_count(r);
    eip_ckpt_meta *meta = malloc((nm + n_extra + 1) * sizeof *meta);
    if (!meta) {
        eip_ckpt_reader_free(r);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", out_path);
    }
    size_t k = 0;
    for (size_t i = 0; i < nm; i++) {
        const eip_ckpt_meta *m = eip_ckpt_reader_meta_at(r, i);
        if (!strncmp(m->key, "encryip.nn.", 11))
            continue;
        int replaced = 0;
        for (size_t j = 0; j < n_extra; j++)
            replaced |= !strcmp(extra[j].key, m->key);
        if (!replaced)
            meta[k++] = *m;
    }
    for (size_t j = 0; j < n_extra; j++)
        meta[k++] = extra[j];
    s = eip_nn_save_meta(net, out_path, meta, k, err);
    free(meta);
    eip_ckpt_reader_free(r);
    return s;
}
