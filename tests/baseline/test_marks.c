/* Each baseline finds its own mark and not an unmarked model's: smallcnn
 * (width 0.5) on 1000 Fashion-MNIST images, 1 epoch per training (batch
 * 64; 32 for PR and DeepIPR, whose marks need more steps than 16).
 *   PR:      BER 0 on the marked model, 0.25 .. 0.75 on the unmarked one;
 *   EW:      trigger accuracy >= 0.8 per trigger kind on the marked model,
 *            <= 0.5 on the unmarked one, and the marked model still
 *            classifies the test images (readable outputs);
 *   DeepIPR: accuracy with the right passport well above a forged one,
 *            the sign signature detected (>= 0.9) with the right passports
 *            and not with forged ones. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/train.h"
#include "bl_tutil.h"

typedef struct env {
    eip_nn_ctx ctx;
    eip_data_set train, test;
} env;

static eip_nn_net_t *fit(env *e, const eip_data_set *train, eip_train_step_hook_fn hook, void *hctx,
                         int64_t batch,
                         eip_nn_net_t *net, eip_train_fit_result *res)
{
    eip_error err = {0};
    eip_train_fit_config fc;
    memset(&fc, 0, sizeof fc);
    fc.train = train;
    fc.recipe = eip_train_recipe_default(EIP_TRAIN_OPTIM_SGD);
    fc.recipe.epochs = 1;
    fc.batch = batch;
    fc.seed = 4;
    fc.step_hook = hook;
    fc.step_hook_ctx = hctx;
    REQUIRE(eip_train_fit(net, &fc, res, &err) == EIP_OK, "%s", err.msg);
    (void)e;
    return net;
}

static double test_acc(env *e, eip_nn_net_t *net, const eip_train_fit_result *r)
{
    eip_error err = {0};
    double acc = -1;
    REQUIRE(eip_train_evaluate(net, &e->test, r->mean, r->std, 256, &acc, &err) == EIP_OK, "%s", err.msg);
    return acc;
}

int main(void)
{
    eip_error err = {0};
    env e;
    memset(&e, 0, sizeof e);
    REQUIRE(eip_nn_ctx_init(&e.ctx, 2, &err) == EIP_OK, "%s", err.msg);
    eip_data_set test_full = {0}, mtrain = {0}, mtest = {0};
    REQUIRE(eip_data_load_limited("fashion-mnist", NULL, 1000, &e.train, &test_full, &err) == EIP_OK, "%s",
            err.msg);
    REQUIRE(eip_data_set_subset_random(&test_full, 1000, 7, &e.test, &err) == EIP_OK, "%s", err.msg);
    eip_data_set_free(&test_full);
    REQUIRE(eip_data_load_limited("mnist", NULL, 0, &mtrain, &mtest, &err) == EIP_OK, "%s", err.msg);

    /* unmarked model */
    eip_train_fit_result r0 = {0};
    eip_nn_net_t *plain = fit(&e, &e.train, NULL, NULL, 64, bl_smallcnn(&e.ctx, 1), &r0);
    const double acc0 = test_acc(&e, plain, &r0);
    printf("unmarked: test acc %.4f\n", acc0);
    CHECK(acc0 > 0.6, "unmarked model did not learn: %.4f", acc0);

    /* PR */
    {
        eip_nn_net_t *net = bl_smallcnn(&e.ctx, 1);
        eip_baseline_pr_config pc = {"conv3", 64, 0.5, 77}; /* lambda 0.5: 32 steps, not Uchida's epochs */
        eip_baseline_pr_t *pr = NULL;
        REQUIRE(eip_baseline_pr_init(&pr, net, &pc, &err) == EIP_OK, "%s", err.msg);
        eip_train_fit_result r = {0};
        fit(&e, &e.train, eip_baseline_pr_hook, pr, 32, net, &r);
        double ber = 1, ber0 = 0;
        REQUIRE(eip_baseline_pr_extract(pr, net, NULL, &ber, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_baseline_pr_extract(pr, plain, NULL, &ber0, &err) == EIP_OK, "%s", err.msg);
        const double acc = test_acc(&e, net, &r);
        printf("PR: BER marked %.4f unmarked %.4f, test acc %.4f\n", ber, ber0, acc);
        CHECK(ber == 0.0, "PR: BER %.4f on the marked model", ber);
        CHECK(ber0 >= 0.25 && ber0 <= 0.75, "PR: BER %.4f on the unmarked model", ber0);
        CHECK(acc > acc0 - 0.1, "PR: accuracy %.4f vs %.4f unmarked", acc, acc0);
        eip_train_fit_result_free(&r);
        eip_baseline_pr_free(pr);
        eip_nn_net_free(net);
    }

    /* EW: one training, three users' trigger sets of the three kinds */
    {
        eip_data_set trig[3], mixed = {0};
        memset(trig, 0, sizeof trig);
        for (int k = 0; k < 3; k++) {
            eip_baseline_trigger_config tc = {(eip_baseline_trigger_kind)k, 20, 1, 28, 28, 10,
                                              k == 2 ? &mtest : &e.train, k + 1, 100 + (uint64_t)k};
            REQUIRE(eip_baseline_trigger_make(&tc, &trig[k], &err) == EIP_OK, "%s", err.msg);
        }
        const eip_data_set *sets[3] = {&trig[0], &trig[1], &trig[2]};
        REQUIRE(eip_baseline_trigger_mix(&e.train, sets, 3, 40, &mixed, &err) == EIP_OK, "%s", err.msg);
        CHECK(mixed.n == e.train.n + 3 * 20 * 40, "mixed set has %lld images", (long long)mixed.n);
        eip_train_fit_result r = {0};
        eip_nn_net_t *net = fit(&e, &mixed, NULL, NULL, 64, bl_smallcnn(&e.ctx, 1), &r);
        for (int k = 0; k < 3; k++) {
            double a = -1, a0 = -1;
            REQUIRE(eip_baseline_trigger_accuracy(net, &trig[k], r.mean, r.std, &a, &err) == EIP_OK, "%s",
                    err.msg);
            REQUIRE(eip_baseline_trigger_accuracy(plain, &trig[k], r0.mean, r0.std, &a0, &err) == EIP_OK,
                    "%s", err.msg);
            printf("EW %s: trigger acc marked %.3f unmarked %.3f\n",
                   eip_baseline_trigger_kind_name((eip_baseline_trigger_kind)k), a, a0);
            CHECK(a >= 0.8, "EW %d: trigger accuracy %.3f on the marked model", k, a);
            CHECK(a0 <= 0.5, "EW %d: trigger accuracy %.3f on the unmarked model", k, a0);
        }
        const double acc = test_acc(&e, net, &r);
        printf("EW: test acc %.4f (plain labels)\n", acc);
        CHECK(acc > acc0 - 0.1, "EW: accuracy %.4f vs %.4f", acc, acc0);
        eip_train_fit_result_free(&r);
        eip_nn_net_free(net);
        for (int k = 0; k < 3; k++)
            eip_data_set_free(&trig[k]);
        eip_data_set_free(&mixed);
    }

    /* DeepIPR */
    {
        eip_nn_net_t *net = bl_smallcnn(&e.ctx, 1);
        eip_baseline_passport_config c = {2, bl_convs, bl_bns, 8, 0.1, 0.05, 55};
        eip_baseline_passport_t *pp = NULL, *forged = NULL;
        REQUIRE(eip_baseline_passport_init(&pp, net, &c, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_baseline_passport_forge(pp, 999, &forged, &err) == EIP_OK, "%s", err.msg);
        eip_train_fit_result r = {0};
        fit(&e, &e.train, eip_baseline_passport_hook, pp, 32, net, &r);
        double det = 0, det_f = 1, det0 = 1;
        REQUIRE(eip_baseline_passport_apply(pp, net, &err) == EIP_OK, "%s", err.msg);
        const double acc = test_acc(&e, net, &r);
        REQUIRE(eip_baseline_passport_detect(pp, net, &det, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_baseline_passport_detect(forged, net, &det_f, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_baseline_passport_detect(pp, plain, &det0, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_baseline_passport_apply(forged, net, &err) == EIP_OK, "%s", err.msg);
        const double acc_f = test_acc(&e, net, &r);
        printf("DeepIPR: acc right %.4f forged %.4f; signature right %.3f forged %.3f unmarked %.3f\n",
               acc, acc_f, det, det_f, det0);
        CHECK(acc > acc0 - 0.15, "DeepIPR: right-passport accuracy %.4f vs %.4f", acc, acc0);
        CHECK(acc - acc_f >= 0.2, "DeepIPR: forged passport keeps %.4f (right %.4f)", acc_f, acc);
        CHECK(det >= 0.9, "DeepIPR: signature %.3f with the right passport", det);
        CHECK(det_f <= 0.8 && det0 <= 0.8, "DeepIPR: signature %.3f forged, %.3f unmarked", det_f, det0);
        eip_train_fit_result_free(&r);
        eip_baseline_passport_free(pp);
        eip_baseline_passport_free(forged);
        eip_nn_net_free(net);
    }
    eip_train_fit_result_free(&r0);
    eip_nn_net_free(plain);
    eip_data_set_free(&e.train);
    eip_data_set_free(&e.test);
    eip_data_set_free(&mtrain);
    eip_data_set_free(&mtest);
    eip_nn_ctx_free(&e.ctx);
    TEST_MAIN_END();
}
