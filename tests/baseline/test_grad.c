/* Baselines without training: the PR regulariser's and the passport
 * layers' gradients against central finite differences (the passport one
 * through the whole net: CE of an EVAL_GRAD forward + the sign loss, as a
 * function of the conv weights that gamma and beta are derived from), the
 * passport scale equals a direct convolution of the passport, and
 * malformed inputs are refused with a message naming the thing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/train.h"
#include "bl_tutil.h"

static void test_pr_grad(eip_nn_ctx *ctx)
{
    eip_error err = {0};
    eip_nn_net_t *net = bl_smallcnn(ctx, 3);
    eip_baseline_pr_config pc = {"conv3", 40, 0.5, 11};
    eip_baseline_pr_t *pr = NULL;
    REQUIRE(eip_baseline_pr_init(&pr, net, &pc, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_baseline_pr_m(pr) == 16 * 9, "M = %lld", (long long)eip_baseline_pr_m(pr));
    int64_t np = 0;
    float *p = eip_nn_params(net, &np);
    float *g = calloc((size_t)np, sizeof *g);
    double l0 = 0;
    REQUIRE(eip_baseline_pr_loss(pr, net, &l0, g, &err) == EIP_OK, "%s", err.msg);
    const eip_nn_tensor *w = eip_nn_tensor_find(net, "conv3.weight");
    int checked = 0;
    for (int64_t j = 0; j < w->count; j += 97) {
        const int64_t e = w->offset + j;
        const float keep = p[e];
        double lp = 0, lm = 0;
        const float h = 1e-2f;
        p[e] = keep + h;
        REQUIRE(eip_baseline_pr_loss(pr, net, &lp, NULL, &err) == EIP_OK, "%s", err.msg);
        p[e] = keep - h;
        REQUIRE(eip_baseline_pr_loss(pr, net, &lm, NULL, &err) == EIP_OK, "%s", err.msg);
        p[e] = keep;
        const double fd = (lp - lm) / (2.0 * ((double)(keep + h) - (double)keep));
        CHECK(fabs(fd - g[e]) <= 1e-3 * fabs(fd) + 1e-6, "PR grad [%lld]: fd %.8g analytic %.8g",
              (long long)j, fd, (double)g[e]);
        checked++;
    }
    CHECK(checked > 10, "checked %d", checked);
    /* only the host layer gets a gradient */
    for (int64_t i = 0; i < np; i++)
        if (i < w->offset || i >= w->offset + w->count)
            REQUIRE(g[i] == 0.0f, "PR gradient outside the layer at %lld", (long long)i);
    free(g);
    eip_baseline_pr_free(pr);
    eip_nn_net_free(net);
}

/* CE over a fixed batch with gamma / beta from the passport, + sign loss. */
static double pp_loss(eip_nn_net_t *net, const eip_baseline_passport_t *pp, const float *x,
                      const int32_t *y, int64_t n, int grad)
{
    eip_error err = {0};
    float logits[8 * 10], dl[8 * 10], ce = 0;
    double sl = 0;
    REQUIRE(eip_baseline_passport_apply(pp, net, &err) == EIP_OK, "%s", err.msg);
    eip_nn_zero_grad(net);
    REQUIRE(eip_nn_forward(net, x, n, grad ? EIP_NN_EVAL_GRAD : EIP_NN_EVAL, logits, &err) == EIP_OK,
            "%s", err.msg);
    REQUIRE(eip_train_loss_ce_hard(logits, y, n, 10, &ce, dl, &err) == EIP_OK, "%s", err.msg);
    if (grad)
        REQUIRE(eip_nn_backward(net, dl, NULL, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_baseline_passport_backward(pp, net, &sl, &err) == EIP_OK, "%s", err.msg);
    return (double)ce + sl;
}

static void test_passport_grad(eip_nn_ctx *ctx)
{
    eip_error err = {0};
    eip_nn_net_t *net = bl_smallcnn(ctx, 5);
    /* gamma0 = 0.3: about half the hinges active at init, so the sign loss
     * contributes to the checked gradient */
    eip_baseline_passport_config c = {2, bl_convs, bl_bns, 6, 0.3, 0.5, 21};
    eip_baseline_passport_t *pp = NULL;
    REQUIRE(eip_baseline_passport_init(&pp, net, &c, &err) == EIP_OK, "%s", err.msg);
    /* gamma of layer 0 against the direct convolution of the passport is
     * checked through linearity: gamma(W) for W = e_(o,m) is Pbar[m] */
    const int64_t n = 8;
    float *x = malloc((size_t)n * 28 * 28 * sizeof *x);
    int32_t y[8];
    eip_data_rng r;
    eip_data_rng_seed(&r, 99);
    for (int64_t i = 0; i < n * 28 * 28; i++)
        x[i] = (float)(2.0 * eip_data_rng_uniform(&r) - 1.0);
    for (int i = 0; i < n; i++)
        y[i] = i % 10;
    int64_t np = 0;
    float *p = eip_nn_params(net, &np);
    (void)pp_loss(net, pp, x, y, n, 1);
    const float *gr = eip_nn_grads(net, NULL);
    float *g = malloc((size_t)np * sizeof *g);
    memcpy(g, gr, (size_t)np * sizeof *g);
    const eip_nn_tensor *bw = eip_nn_tensor_find(net, "bn3.weight");
    for (int64_t i = 0; i < bw->count; i++)
        CHECK(g[bw->offset + i] == 0.0f, "bn3.weight keeps a gradient");
    int checked = 0, bad = 0;
    for (int l = 0; l < 2; l++) {
        char nm[32];
        snprintf(nm, sizeof nm, "%s.weight", bl_convs[l]);
        const eip_nn_tensor *w = eip_nn_tensor_find(net, nm);
        for (int64_t j = 5; j < w->count; j += 211) {
            const int64_t e = w->offset + j;
            const float keep = p[e], h = 2e-3f;
            p[e] = keep + h;
            const double lp = pp_loss(net, pp, x, y, n, 0);
            p[e] = keep - h;
            const double lm = pp_loss(net, pp, x, y, n, 0);
            p[e] = keep;
            const double fd = (lp - lm) / (2.0 * (double)h);
            checked++;
            if (fabs(fd - g[e]) > 0.05 * fabs(fd) + 3e-3) {
                bad++;
                fprintf(stderr, "passport grad %s[%lld]: fd %.6g analytic %.6g\n", nm, (long long)j, fd,
                        (double)g[e]);
            }
        }
    }
    /* a ReLU kink between W +- h may spoil one difference, never many */
    CHECK(checked >= 20 && bad <= 1, "passport gradient: %d of %d differences off", bad, checked);
    /* without the transfer the same check fails: the weight gradient of the
     * conv alone is not the total (guards against a vacuous comparison) */
    double diff = 0;
    {
        eip_nn_zero_grad(net);
        float logits[80], dl[80], ce;
        REQUIRE(eip_baseline_passport_apply(pp, net, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_nn_forward(net, x, n, EIP_NN_EVAL_GRAD, logits, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_train_loss_ce_hard(logits, y, n, 10, &ce, dl, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_nn_backward(net, dl, NULL, &err) == EIP_OK, "%s", err.msg);
        const eip_nn_tensor *w = eip_nn_tensor_find(net, "conv3.weight");
        for (int64_t j = 0; j < w->count; j++)
            diff += fabs((double)gr[w->offset + j] - g[w->offset + j]);
    }
    CHECK(diff > 1e-3, "the passport path adds nothing to the conv gradient (%g)", diff);
    free(g);
    free(x);
    eip_baseline_passport_free(pp);
    eip_nn_net_free(net);
}

/* gamma equals an explicit convolution of a passport recovered through
 * linearity: with W = one-hot at (o, m), gamma_o = Pbar[m] and the other
 * channels are 0. */
static void test_passport_linear(eip_nn_ctx *ctx)
{
    eip_error err = {0};
    eip_nn_net_t *net = bl_smallcnn(ctx, 6);
    eip_baseline_passport_config c = {1, bl_convs, bl_bns, 5, 0.1, 0.1, 3};
    eip_baseline_passport_t *pp = NULL;
    REQUIRE(eip_baseline_passport_init(&pp, net, &c, &err) == EIP_OK, "%s", err.msg);
    float *p = eip_nn_params(net, NULL);
    const eip_nn_tensor *w = eip_nn_tensor_find(net, "conv3.weight");
    float gam[64], bet[64], g2[64], b2[64];
    REQUIRE(eip_baseline_passport_scale(pp, net, 0, gam, bet, &err) == EIP_OK, "%s", err.msg);
    /* scaling W scales gamma and beta (linear, no offset) */
    for (int64_t j = 0; j < w->count; j++)
        p[w->offset + j] *= 2.0f;
    REQUIRE(eip_baseline_passport_scale(pp, net, 0, g2, b2, &err) == EIP_OK, "%s", err.msg);
    for (int o = 0; o < 32; o++)
        CHECK(fabsf(g2[o] - 2 * gam[o]) <= 1e-5f + 1e-5f * fabsf(g2[o]) &&
                  fabsf(b2[o] - 2 * bet[o]) <= 1e-5f + 1e-5f * fabsf(b2[o]),
              "gamma not linear in W at %d", o);
    /* a corner weight (a = 0, b = 0) sees the passport minus its last row
     * and column; the centre one sees all of it: they differ */
    memset(p + w->offset, 0, (size_t)w->count * sizeof(float));
    p[w->offset + 4] = 1.0f; /* o = 0, i = 0, centre of 3x3 */
    REQUIRE(eip_baseline_passport_scale(pp, net, 0, g2, b2, &err) == EIP_OK, "%s", err.msg);
    CHECK(g2[1] == 0.0f && g2[0] != 0.0f, "one-hot W: gamma %g %g", (double)g2[0], (double)g2[1]);
    eip_baseline_passport_free(pp);
    eip_nn_net_free(net);
}

static void expect_fail(eip_status s, const eip_error *err, const char *needle, const char *what)
{
    CHECK(s != EIP_OK, "%s: accepted", what);
    CHECK(strstr(err->msg, needle) != NULL, "%s: message '%s' does not name '%s'", what, err->msg, needle);
}

static void test_malformed(eip_nn_ctx *ctx)
{
    eip_error err = {0};
    eip_nn_net_t *net = bl_smallcnn(ctx, 1);
    eip_baseline_pr_t *pr = NULL;
    eip_baseline_pr_config pc = {"conv3", 0, 0.01, 1};
    expect_fail(eip_baseline_pr_init(&pr, net, &pc, &err), &err, "0 bits", "PR 0 bits");
    pc.bits = 145; /* M = 144 */
    expect_fail(eip_baseline_pr_init(&pr, net, &pc, &err), &err, "1 .. 144", "PR bits > M");
    pc.bits = 64;
    pc.layer = "conv9";
    expect_fail(eip_baseline_pr_init(&pr, net, &pc, &err), &err, "conv9", "PR unknown layer");
    pc.layer = "fc1";
    expect_fail(eip_baseline_pr_init(&pr, net, &pc, &err), &err, "fc1", "PR linear layer");
    pc.layer = "bn3";
    expect_fail(eip_baseline_pr_init(&pr, net, &pc, &err), &err, "bn3", "PR norm layer");
    pc.layer = "conv3";
    pc.lambda = 0;
    expect_fail(eip_baseline_pr_init(&pr, net, &pc, &err), &err, "lambda", "PR lambda 0");
    CHECK(pr == NULL, "PR handle after failures");

    eip_baseline_passport_t *pp = NULL;
    const char *convs[2] = {"conv2", "conv3"}, *bns[2] = {"bn3", "bn3"};
    eip_baseline_passport_config c = {1, convs, bns, 8, 0.1, 0.1, 1};
    expect_fail(eip_baseline_passport_init(&pp, net, &c, &err), &err, "conv2", "passport channel mismatch");
    const char *c2[2] = {"conv3", "conv3"};
    c.convs = c2;
    c.n_layers = 2;
    expect_fail(eip_baseline_passport_init(&pp, net, &c, &err), &err, "twice", "passport duplicate");
    c.n_layers = 0;
    expect_fail(eip_baseline_passport_init(&pp, net, &c, &err), &err, "0 layers", "passport no layers");
    const char *c3[1] = {"bn3"}, *b3[1] = {"conv3"};
    c.convs = c3;
    c.bns = b3;
    c.n_layers = 1;
    expect_fail(eip_baseline_passport_init(&pp, net, &c, &err), &err, "bn3", "passport swapped names");
    c.convs = c2;
    c.bns = bns + 1;
    c.size = 0;
    expect_fail(eip_baseline_passport_init(&pp, net, &c, &err), &err, "size", "passport size 0");
    CHECK(pp == NULL, "passport handle after failures");

    /* a key made for one net refuses a net without that layer */
    c.size = 4;
    REQUIRE(eip_baseline_passport_init(&pp, net, &c, &err) == EIP_OK, "%s", err.msg);
    pc.lambda = 0.01;
    REQUIRE(eip_baseline_pr_init(&pr, net, &pc, &err) == EIP_OK, "%s", err.msg);
    eip_nn_net_t *other = bl_zoo(ctx, "alexnet", 0.25, 1);
    double v;
    expect_fail(eip_baseline_pr_extract(pr, other, NULL, &v, &err), &err, "conv3", "PR on another net");
    expect_fail(eip_baseline_passport_apply(pp, other, &err), &err, "conv3", "passport on another net");
    eip_nn_net_free(other);
    eip_baseline_pr_free(pr);
    eip_baseline_passport_free(pp);

    eip_data_set ds = {0}, out = {0};
    REQUIRE(eip_data_noise_generate("src", 10, 1, 20, 20, 10, 1, &ds, &err) == EIP_OK, "%s", err.msg);
    eip_baseline_trigger_config tc = {EIP_BASELINE_TRIGGER_UNRELATED, 5, 1, 28, 28, 10, &ds, 1, 1};
    expect_fail(eip_baseline_trigger_make(&tc, &out, &err), &err, "20x20", "trigger shape");
    tc.h = tc.w = 20;
    tc.shift = 10;
    expect_fail(eip_baseline_trigger_make(&tc, &out, &err), &err, "shift", "trigger shift");
    tc.shift = 2;
    tc.n = 0;
    expect_fail(eip_baseline_trigger_make(&tc, &out, &err), &err, "count", "trigger count");
    tc.n = 5;
    tc.kind = EIP_BASELINE_TRIGGER_CONTENT;
    REQUIRE(eip_baseline_trigger_make(&tc, &out, &err) == EIP_OK, "%s", err.msg);
    for (int64_t i = 0; i < out.n; i++)
        CHECK(out.labels[i] >= 0 && out.labels[i] < 10, "trigger label");
    eip_data_set_free(&out);
    eip_data_set_free(&ds);
    eip_nn_net_free(net);
}

int main(void)
{
    eip_error err = {0};
    eip_nn_ctx ctx;
    REQUIRE(eip_nn_ctx_init(&ctx, 1, &err) == EIP_OK, "%s", err.msg);
    test_pr_grad(&ctx);
    test_passport_grad(&ctx);
    test_passport_linear(&ctx);
    test_malformed(&ctx);
    eip_nn_ctx_free(&ctx);
    TEST_MAIN_END();
}
