/* The per-step hook of eip_train_run (eip_train_config.step_hook): called
 * before every TRAIN forward and before each epoch's evaluation
 * (BEFORE_FORWARD) and after every backward (AFTER_BACKWARD); its extra
 * loss is added to the reported loss; parameters it rewrites before the
 * forward are the ones the forward uses; gradients it adds move the
 * parameters; an error it returns stops the run with its message. */
#include <math.h>
#include <string.h>

#include "encryip/train.h"
#include "fpenv_probe.h"
#include "test.h"

typedef struct hook_state {
    int64_t before, after, fail_at;
    int64_t keeps; /* calls that saw denormals kept (eip_train_run flushes them) */
    double extra;
    const char *zero;   /* parameter tensor set to 0 before every forward (or NULL) */
    const char *push;   /* parameter tensor whose gradient gets +1 (or NULL) */
} hook_state;

static eip_status hook(void *ctx, eip_train_hook_phase phase, eip_nn_net_t *net, double *extra,
                       eip_error *err)
{
    hook_state *h = ctx;
    float *p = eip_nn_params(net, NULL), *g = eip_nn_grads(net, NULL);
    h->keeps += fp_keeps_denormals() != 0;
    if (phase == EIP_TRAIN_HOOK_BEFORE_FORWARD) {
        CHECK(extra == NULL, "BEFORE_FORWARD gets an extra-loss pointer");
        h->before++;
        if (h->zero) {
            const eip_nn_tensor *t = eip_nn_tensor_find(net, h->zero);
            memset(p + t->offset, 0, (size_t)t->count * sizeof *p);
        }
        return EIP_OK;
    }
    h->after++;
    if (h->after == h->fail_at)
        return eip_error_set(err, EIP_ERR_STATE, "test hook: planted failure at step %lld",
                             (long long)h->after);
    if (h->push) {
        const eip_nn_tensor *t = eip_nn_tensor_find(net, h->push);
        for (int64_t i = 0; i < t->count; i++)
            g[t->offset + i] += 1.0f;
    }
    *extra = h->extra;
    return EIP_OK;
}

static eip_nn_net_t *net_new(eip_nn_ctx *ctx)
{
    eip_error err = {0};
    eip_nn_arch a;
    memset(&a, 0, sizeof a);
    snprintf(a.zoo, sizeof a.zoo, "smallcnn");
    a.c_in = 1;
    a.h = a.w = 12;
    a.k = 4;
    a.width = 0.5;
    eip_nn_net_t *net = NULL;
    REQUIRE(eip_nn_net_zoo(ctx, &a, &net, &err) == EIP_OK, "%s", err.msg);
    return net;
}

static eip_status run(eip_nn_ctx *ctx, const eip_data_set *ds, hook_state *h, eip_train_fit_result *r,
                      eip_nn_net_t **out, eip_error *err)
{
    eip_nn_net_t *net = net_new(ctx);
    eip_train_fit_config fc;
    memset(&fc, 0, sizeof fc);
    fc.train = ds;
    fc.test = ds;
    fc.recipe = eip_train_recipe_default(EIP_TRAIN_OPTIM_SGD);
    fc.recipe.epochs = 2;
    fc.batch = 16;
    fc.seed = 3;
    fc.init = 1;
    if (h) {
        fc.step_hook = hook;
        fc.step_hook_ctx = h;
    }
    eip_status s = eip_train_fit(net, &fc, r, err);
    *out = net;
    return s;
}

int main(void)
{
    eip_error err = {0};
    eip_nn_ctx ctx;
    REQUIRE(eip_nn_ctx_init(&ctx, 1, &err) == EIP_OK, "%s", err.msg);
    eip_data_set ds = {0};
    REQUIRE(eip_data_noise_generate("noise", 64, 1, 12, 12, 4, 5, &ds, &err) == EIP_OK, "%s", err.msg);
    const int64_t steps = 4, epochs = 2;

    eip_train_fit_result r0 = {0}, r1 = {0};
    eip_nn_net_t *n0 = NULL, *n1 = NULL;
    REQUIRE(run(&ctx, &ds, NULL, &r0, &n0, &err) == EIP_OK, "%s", err.msg);
    /* counting hook with a constant extra loss: same training, loss + 1.5 */
    hook_state h = {0, 0, -1, 0, 1.5, NULL, NULL};
    REQUIRE(run(&ctx, &ds, &h, &r1, &n1, &err) == EIP_OK, "%s", err.msg);
    CHECK(h.after == steps * epochs, "AFTER_BACKWARD called %lld times", (long long)h.after);
#if defined(__x86_64__) || defined(__i386__)
    /* training flushes denormals (nn.h) and gives the caller its mode back */
    CHECK(h.keeps == 0, "%lld hook calls ran with denormals kept", (long long)h.keeps);
#endif
    CHECK(fp_keeps_denormals() == 3, "after training: denormals mode %d, want 3", fp_keeps_denormals());
    CHECK(h.before == steps * epochs + epochs, "BEFORE_FORWARD called %lld times", (long long)h.before);
    for (int64_t e = 0; e < epochs; e++)
        CHECK_CLOSE(r1.history.train_loss[e], r0.history.train_loss[e] + 1.5, 1e-5, 0,
                    "epoch %lld loss %.6f vs %.6f + 1.5", (long long)e, r1.history.train_loss[e],
                    r0.history.train_loss[e]);
    int64_t np = 0;
    const float *p0 = eip_nn_params(n0, &np), *p1 = eip_nn_params(n1, NULL);
    CHECK(memcmp(p0, p1, (size_t)np * sizeof *p0) == 0, "a hook adding nothing changed the training");
    eip_train_fit_result_free(&r1);
    eip_nn_net_free(n1);

    /* rewriting parameters before the forward: fc2.bias stays 0 to the end
     * (and the final evaluation sees it); pushing a gradient moves fc1.bias */
    hook_state hz = {0, 0, -1, 0, 0.0, "fc2.bias", "fc1.bias"};
    REQUIRE(run(&ctx, &ds, &hz, &r1, &n1, &err) == EIP_OK, "%s", err.msg);
    const eip_nn_tensor *b2 = eip_nn_tensor_find(n1, "fc2.bias"), *b1 = eip_nn_tensor_find(n1, "fc1.bias");
    p1 = eip_nn_params(n1, NULL);
    for (int64_t i = 0; i < b2->count; i++)
        CHECK(p1[b2->offset + i] == 0.0f, "fc2.bias[%lld] = %g after the hook zeroed it", (long long)i,
              (double)p1[b2->offset + i]);
    double shift = 0;
    for (int64_t i = 0; i < b1->count; i++)
        shift += (double)p0[b1->offset + i] - (double)p1[b1->offset + i];
    CHECK(shift / (double)b1->count > 0.05, "a +1 gradient did not lower fc1.bias (mean shift %g)",
          shift / (double)b1->count);
    eip_train_fit_result_free(&r1);
    eip_nn_net_free(n1);

    /* an error from the hook stops the run with its message */
    hook_state hf = {0, 0, 3, 0, 0.0, NULL, NULL};
    CHECK(run(&ctx, &ds, &hf, &r1, &n1, &err) == EIP_ERR_STATE, "hook failure not returned");
    CHECK(strstr(err.msg, "planted failure at step 3") != NULL, "message: %s", err.msg);
    CHECK(hf.after == 3, "run went on after the failure (%lld)", (long long)hf.after);
    CHECK(fp_keeps_denormals() == 3, "after a failed run: denormals mode %d, want 3", fp_keeps_denormals());
    eip_train_fit_result_free(&r1);
    eip_nn_net_free(n1);

    eip_train_fit_result_free(&r0);
    eip_nn_net_free(n0);
    eip_data_set_free(&ds);
    eip_nn_ctx_free(&ctx);
    TEST_MAIN_END();
}
