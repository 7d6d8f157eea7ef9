/* Learning-rate schedules vs torch.optim.lr_scheduler (tests/ref/train/sched.txt,
 * tools/gen_train_refs.py): StepLR, CosineAnnealingLR, each alone and behind a
 * LinearLR warm-up chained by SequentialLR.  Torch evaluates recursively, we use
 * closed forms: agreement within 1e-12 relative.  Also: field validation. */
#include <string.h>

#include "encryip/train.h"
#include "ref_file.h"
#include "test.h"

static void check_case(const ref_file *r, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "%s.cfg", name);
    const double *cfg = ref_get(r, key, 7);
    snprintf(key, sizeof key, "%s.lr", name);
    long count = -1;
    for (long i = 0; i < r->n; i++)
        if (!strcmp(r->e[i].key, key))
            count = r->e[i].count;
    const double *lr = ref_get(r, key, count);
    REQUIRE(cfg && lr && count > 0, "%s entries", name);
    /* cfg = kind, warmup, start_factor, step_size, gamma, t_max, eta_min */
    eip_train_sched s = {
        .kind = (eip_train_sched_kind)cfg[0],
        .base_lr = 0.1,
        .warmup = (int64_t)cfg[1],
        .warmup_start_factor = cfg[2],
        .step_size = (int64_t)cfg[3],
        .gamma = cfg[4],
        .t_max = (int64_t)cfg[5],
        .eta_min = cfg[6],
    };
    eip_error err = {0};
    REQUIRE(eip_train_sched_check(&s, &err) == EIP_OK, "%s: %s", name, err.msg);
    for (long k = 0; k < count; k++) {
        const double got = eip_train_sched_lr(&s, k);
        CHECK_CLOSE(got, lr[k], 1e-15, 1e-12, "%s lr(%ld) = %.17g vs torch %.17g", name, k, got, lr[k]);
    }
    printf("%s: %ld steps match\n", name, count);
}

static void check_errors(void)
{
    eip_error err = {0};
    eip_train_sched s = {.kind = EIP_TRAIN_SCHED_STEP, .base_lr = 0.1, .step_size = 0, .gamma = 0.1};
    CHECK(eip_train_sched_check(&s, &err) == EIP_ERR_ARG && strstr(err.msg, "step_size"),
          "step_size 0: %s", err.msg);
    s = (eip_train_sched){.kind = EIP_TRAIN_SCHED_COSINE, .base_lr = 0.1, .t_max = 0};
    CHECK(eip_train_sched_check(&s, &err) == EIP_ERR_ARG && strstr(err.msg, "t_max"), "t_max 0");
    s = (eip_train_sched){.kind = EIP_TRAIN_SCHED_CONST, .base_lr = 0.1, .warmup = 5};
    CHECK(eip_train_sched_check(&s, &err) == EIP_ERR_ARG && strstr(err.msg, "warmup_start_factor"),
          "warm-up factor 0");
    s.warmup_start_factor = 0.5;
    CHECK(eip_train_sched_check(&s, &err) == EIP_OK, "constant with warm-up");
    CHECK(eip_train_sched_lr(&s, -3) == 0.05 && eip_train_sched_lr(&s, 5) == 0.1 &&
              eip_train_sched_lr(&s, 1000) == 0.1, "constant with warm-up values");
    s.kind = (eip_train_sched_kind)7;
    CHECK(eip_train_sched_check(&s, &err) == EIP_ERR_ARG, "unknown kind");
    s = (eip_train_sched){.kind = EIP_TRAIN_SCHED_CONST, .base_lr = -1};
    CHECK(eip_train_sched_check(&s, &err) == EIP_ERR_ARG, "negative lr");
}

int main(void)
{
    ref_file r;
    REQUIRE(ref_file_load(&r, EIP_SOURCE_DIR "/tests/ref/train/sched.txt") == 0, "load sched.txt");
    check_case(&r, "step");
    check_case(&r, "step_warm");
    check_case(&r, "cos");
    check_case(&r, "cos_warm");
    ref_file_free(&r);
    check_errors();
    TEST_MAIN_END();
}
