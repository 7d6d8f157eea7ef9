/* The training recipe (eip_train_recipe_fill) that `encryip train/protect`
 * and the experiment drivers share, field by field against what
 * tools/torch_train.py builds in PyTorch (SGD momentum 0.9 Nesterov or
 * AdamW; weight decay on every parameter; LinearLR(0.1) for the warm-up
 * epochs then CosineAnnealingLR(T_max = the remaining steps), per
 * iteration); and eip_nn_net_build's one-of-zoo-or-config rule. */
#include <math.h>
#include <string.h>

#include "encryip/train.h"
#include "test.h"

int main(void)
{
    eip_error err = {0};
    eip_train_config tc;
    const int64_t steps = 47;

    eip_train_recipe r = eip_train_recipe_default(EIP_TRAIN_OPTIM_SGD);
    CHECK(r.epochs == 10 && r.lr == 0.05 && r.wd == 5e-4 && r.schedule == EIP_TRAIN_SCHED_COSINE,
          "SGD defaults");
    CHECK(eip_train_recipe_warmup(&r) == 1, "10 epochs: one warm-up epoch");
    eip_train_recipe_fill(&r, steps, &tc);
    CHECK(tc.epochs == 10 && tc.optim.kind == EIP_TRAIN_OPTIM_SGD && tc.optim.momentum == 0.9 &&
              tc.optim.nesterov == 1 && tc.optim.weight_decay == 5e-4 && tc.decay_all == 1,
          "SGD optimiser");
    CHECK(tc.sched.kind == EIP_TRAIN_SCHED_COSINE && tc.sched.base_lr == 0.05 &&
              tc.sched.warmup == steps && tc.sched.warmup_start_factor == 0.1 &&
              tc.sched.t_max == 9 * steps && tc.sched.eta_min == 0.0,
          "cosine after one warm-up epoch");
    CHECK(!tc.progress && !tc.eval && !tc.csv_path, "no hooks from the recipe");
    CHECK(eip_train_sched_check(&tc.sched, &err) == EIP_OK, "%s", err.msg);
    CHECK_CLOSE(eip_train_sched_lr(&tc.sched, 0), 0.005, 1e-15, 0, "lr at step 0");
    CHECK_CLOSE(eip_train_sched_lr(&tc.sched, steps), 0.05, 1e-15, 0, "peak after warm-up");

    r = eip_train_recipe_default(EIP_TRAIN_OPTIM_ADAMW);
    r.epochs = 2; /* too short for a warm-up epoch */
    CHECK(r.lr == 0.001 && r.wd == 0.01, "AdamW defaults");
    eip_train_recipe_fill(&r, steps, &tc);
    CHECK(tc.optim.kind == EIP_TRAIN_OPTIM_ADAMW && tc.optim.weight_decay == 0.01 &&
              tc.optim.momentum == 0.0 && tc.optim.beta1 == 0.9 && tc.optim.beta2 == 0.999,
          "AdamW optimiser");
    CHECK(tc.sched.warmup == 0 && tc.sched.t_max == 2 * steps, "2 epochs: no warm-up");

    r.epochs = 7;
    r.warmup = 0;
    r.schedule = EIP_TRAIN_SCHED_STEP;
    eip_train_recipe_fill(&r, steps, &tc);
    CHECK(tc.sched.kind == EIP_TRAIN_SCHED_STEP && tc.sched.step_size == 7 * steps / 3 &&
              tc.sched.gamma == 0.1 && tc.sched.warmup == 0,
          "step: x0.1 every third of the run, explicit warm-up 0 wins");
    r.schedule = EIP_TRAIN_SCHED_CONST;
    eip_train_recipe_fill(&r, steps, &tc);
    CHECK(tc.sched.kind == EIP_TRAIN_SCHED_CONST && eip_train_sched_lr(&tc.sched, 100) == 0.001,
          "const");

    /* the net builder: exactly one of zoo / config */
    eip_nn_ctx ctx;
    REQUIRE(eip_nn_ctx_init(&ctx, 1, &err) == EIP_OK, "%s", err.msg);
    eip_nn_net_t *net = NULL;
    CHECK(eip_nn_net_build(&ctx, NULL, NULL, 1.0, 1, 28, 28, 10, &net, &err) == EIP_ERR_ARG && !net,
          "neither zoo nor config");
    CHECK(eip_nn_net_build(&ctx, "smallcnn", "x.cfg", 1.0, 1, 28, 28, 10, &net, &err) == EIP_ERR_ARG,
          "both zoo and config");
    REQUIRE(eip_nn_net_build(&ctx, "smallcnn", NULL, 0.25, 1, 28, 28, 10, &net, &err) == EIP_OK, "%s",
            err.msg);
    CHECK(eip_nn_output_size(net) == 10, "k");
    eip_nn_net_free(net);
    eip_nn_ctx_free(&ctx);
    TEST_MAIN_END();
}
