/* Tier 1: every layer's forward and backward against PyTorch on fixed inputs
 * (tests/ref/nn/layer_*.ref from tools/gen_nn_refs.py).  Each case is a small
 * net given as config text; we load PyTorch's parameters (and BN buffers),
 * run forward (TRAIN or EVAL_GRAD), backward with the probe dy, and compare
 * y, dx, every parameter gradient and the BN buffers after the forward.
 * Tolerances (fp32): atol 1e-4 (scaled by max(1, max|ref|)), rtol 1e-3. */
#include <stdint.h>
#include <string.h>

#include "encryip/nn.h"
#include "nnref.h"
#include "isa_cap.h"
#include "test.h"

static const char *cases[] = {
    "conv_s1_p1_bias", "conv_s2_p1_nobias", "conv_1x1", "conv_11x11_s4", "conv_chain_blocked",
    "bn_train", "bn_relu_train", "bn_relu_eval", "bn_plain_input", "relu", "relu_blocked",
    "maxpool_2_2", "maxpool_2_2_odd", "maxpool_3_2_p1", "maxpool_3_1_p1", "avgpool_2_2",
    "avgpool_3_2_p1", "gap", "linear", "linear_nobias_chain", "flatten", "add_relu",
    "add_identity", "concat_odd", "concat_blocked", "inception_odd", "inception_wide", "conv_1x1_3x3_bn",
};

#define ATOL 1e-4
#define RTOL 1e-3

static void run_case(eip_nn_ctx *ctx, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/ref/nn/layer_%s.ref", EIP_SOURCE_DIR, name);
    nnref r;
    REQUIRE(nnref_load(&r, path) == 0, "%s: cannot load reference", path);
    const nnref_entry *cfg = nnref_get(&r, "config"), *mode = nnref_get(&r, "mode");
    const nnref_entry *x = nnref_get(&r, "x"), *dy = nnref_get(&r, "dy"), *y = nnref_get(&r, "y");
    const nnref_entry *dx = nnref_get(&r, "dx");
    REQUIRE(cfg && mode && x && dy && y && dx, "%s: missing entries", name);
    eip_error err = {0};
    eip_nn_net_t *net = NULL;
    eip_status s = eip_nn_net_config(ctx, (const char *)cfg->data, name, &net, &err);
    CHECK(s == EIP_OK, "%s: config: %s", name, err.msg);
    if (s != EIP_OK) {
        nnref_free(&r);
        return;
    }
    int64_t n = x->dims[0], k = y->dims[1];
    CHECK(eip_nn_output_size(net) == k, "%s: output size %lld, want %lld", name,
          (long long)eip_nn_output_size(net), (long long)k);
    /* load parameters / initial buffers by name; every tensor must be covered */
    float *params = eip_nn_params(net, NULL), *bufs = eip_nn_buffers(net, NULL);
    int64_t nt = eip_nn_tensor_count(net);
    for (int64_t i = 0; i < nt; i++) {
        const eip_nn_tensor *t = eip_nn_tensor_at(net, i);
        char key[200];
        if (t->kind == EIP_NN_TENSOR_COUNTER)
            continue;
        snprintf(key, sizeof key, "%s:%s", t->kind == EIP_NN_TENSOR_PARAM ? "p" : "b0", t->name);
        const nnref_entry *e = nnref_get(&r, key);
        CHECK(e && e->count == t->count, "%s: tensor %s missing or wrong size in reference", name, t->name);
        if (e && e->count == t->count)
            memcpy((t->kind == EIP_NN_TENSOR_PARAM ? params : bufs) + t->offset, e->data,
                   (size_t)t->count * sizeof(float));
    }
    eip_nn_mark_dirty(net);
    eip_nn_zero_grad(net);
    float *out = calloc((size_t)(n * k), sizeof *out), *gx = calloc((size_t)x->count, sizeof *gx);
    eip_nn_mode m = *(int64_t *)mode->data ? EIP_NN_EVAL_GRAD : EIP_NN_TRAIN;
    s = eip_nn_forward(net, x->data, n, m, out, &err);
    CHECK(s == EIP_OK, "%s: forward: %s", name, err.msg);
    if (s == EIP_OK) {
        CHECK(nnref_compare("y", out, y->data, n * k, ATOL, RTOL) == 0, "%s: forward output", name);
        s = eip_nn_backward(net, dy->data, gx, &err);
        CHECK(s == EIP_OK, "%s: backward: %s", name, err.msg);
    }
    if (s == EIP_OK) {
        CHECK(nnref_compare("dx", gx, dx->data, dx->count, ATOL, RTOL) == 0, "%s: input gradient", name);
        float *grads = eip_nn_grads(net, NULL);
        for (int64_t i = 0; i < nt; i++) {
            const eip_nn_tensor *t = eip_nn_tensor_at(net, i);
            char key[200];
            if (t->kind == EIP_NN_TENSOR_COUNTER)
                continue;
            snprintf(key, sizeof key, "%s:%s", t->kind == EIP_NN_TENSOR_PARAM ? "g" : "b1", t->name);
            const nnref_entry *e = nnref_get(&r, key);
            if (!e || e->count != t->count) {
                CHECK(0, "%s: %s missing in reference", name, key);
                continue;
            }
            const float *got = (t->kind == EIP_NN_TENSOR_PARAM ? grads : bufs) + t->offset;
            CHECK(nnref_compare(key, got, e->data, t->count, ATOL, RTOL) == 0, "%s: %s", name, key);
        }
        /* BN counters: one TRAIN forward = 1, EVAL = 0 */
        int64_t nc;
        int64_t *cnt = eip_nn_counters(net, &nc);
        for (int64_t i = 0; i < nc; i++)
            CHECK(cnt[i] == (m == EIP_NN_TRAIN ? 1 : 0), "%s: num_batches_tracked %lld", name, (long long)cnt[i]);
    }
    printf("%-22s %s\n", name, eip_test_failures ? "(failures so far)" : "ok");
    free(out);
    free(gx);
    eip_nn_net_free(net);
    nnref_free(&r);
}

int main(void)
{
    isa_cap_check();
    eip_nn_ctx ctx;
    eip_error err = {0};
    REQUIRE(eip_nn_ctx_init(&ctx, 2, &err) == EIP_OK, "%s", err.msg);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        run_case(&ctx, cases[i]);
    eip_nn_ctx_free(&ctx);
    TEST_MAIN_END();
}
