/* Tier 2: finite-difference gradient checks for every layer kind.
 * Probe loss L = sum(out * r) (r fixed); analytic dL/dx and dL/dparam from
 * backward are compared with central differences (L(v+h) - L(v-h)) / 2h
 * accumulated in double from the fp32 outputs, h = 1e-3, on a sample of
 * coordinates.  Inputs are kept away from ReLU / max-pool kinks by the
 * random draw; tolerance (fp32): |fd - an| <= 2e-2 * max(|an|, 0.05 * scale)
 * + 2e-3 (fp32 rounding of L over 2h), scale = max |analytic| over the tensor, so a wrong layer fails by
 * orders of magnitude while rounding noise passes.  BN runs in TRAIN
 * (batch statistics are a function of x) and EVAL_GRAD; dropout is checked
 * with the mask held fixed (reseeded before every forward). */
#include <stdint.h>
#include <string.h>

#include "encryip/nn.h"
#include "isa_cap.h"
#include "test.h"

static const struct {
    const char *name, *cfg;
    eip_nn_mode mode;
} cases[] = {
    {"conv", "input c=3 h=6 w=6\nconv name=c out=4 k=3 stride=2 pad=1\n", EIP_NN_TRAIN},
    {"conv_1x1_nobias", "input c=5 h=4 w=4\nconv name=c out=16 k=1 bias=0\n", EIP_NN_TRAIN},
    {"bn_train", "input c=3 h=4 w=4\nconv name=c out=16 k=3 pad=1\nbn name=b\n", EIP_NN_TRAIN},
    {"bn_relu_eval", "input c=3 h=4 w=4\nconv name=c out=16 k=3 pad=1\nbn name=b relu=1\n", EIP_NN_EVAL_GRAD},
    {"relu", "input c=3 h=4 w=4\nconv name=c out=16 k=3 pad=1\nrelu\n", EIP_NN_TRAIN},
    /* on the input directly, with distinct values spaced 2.5e-2 apart (> 2h), so no
     * perturbation changes a window's arg-max */
    {"maxpool", "input c=3 h=6 w=6\nmaxpool k=3 stride=2 pad=1\n", EIP_NN_TRAIN},
    {"maxpool_2_2", "input c=2 h=5 w=5\nmaxpool k=2 stride=2\n", EIP_NN_TRAIN},
    {"avgpool", "input c=3 h=6 w=6\nconv name=c out=16 k=3 pad=1\navgpool k=3 stride=2 pad=1\n", EIP_NN_TRAIN},
    {"gap_flatten_linear", "input c=3 h=5 w=5\nconv name=c out=16 k=3\ngap\nflatten\nlinear name=fc out=3\n", EIP_NN_TRAIN},
    {"add", "input c=3 h=4 w=4\nconv name=a out=16 k=3 pad=1\nconv name=b in=input out=16 k=1\nadd in=a,b relu=1\n", EIP_NN_TRAIN},
    {"concat", "input c=3 h=4 w=4\nconv name=a out=5 k=1\nconv name=b in=input out=16 k=3 pad=1\nconcat in=a,b,input\n", EIP_NN_TRAIN},
    {"dropout", "input c=4 h=3 w=3\nflatten\nlinear name=fc out=12\ndropout p=0.4\n", EIP_NN_TRAIN},
};

static double probe(eip_nn_net_t *net, const float *x, int64_t n, eip_nn_mode mode, const float *r, float *out,
                    int64_t k)
{
    eip_error err = {0};
    eip_nn_set_dropout_seed(net, 77);
    eip_nn_mark_dirty(net);
    REQUIRE(eip_nn_forward(net, x, n, mode, out, &err) == EIP_OK, "%s", err.msg);
    double L = 0;
    for (int64_t i = 0; i < n * k; i++)
        L += (double)out[i] * r[i];
    return L;
}

static void fill(float *x, int64_t n, uint64_t *s)
{
    for (int64_t i = 0; i < n; i++) {
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(*s >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
    }
}

/* compares analytic an[count] with central differences of v[count] at sampled coordinates */
static int check_tensor(const char *what, eip_nn_net_t *net, float *v, const float *an, int64_t count,
                        const float *x, int64_t n, eip_nn_mode mode, const float *r, float *out, int64_t k)
{
    const float h = 1e-3f; /* small: bias / weight steps move whole channels across ReLU / max kinks */
    double scale = 0;
    for (int64_t i = 0; i < count; i++)
        scale = fmax(scale, fabs(an[i]));
    int bad = 0;
    int64_t step = count > 24 ? count / 24 : 1;
    for (int64_t i = 0; i < count; i += step) {
        float keep = v[i];
        v[i] = keep + h;
        double lp = probe(net, x, n, mode, r, out, k);
        v[i] = keep - h;
        double lm = probe(net, x, n, mode, r, out, k);
        v[i] = keep;
        double fd = (lp - lm) / (2.0 * (double)h);
        double tol = 2e-2 * fmax(fabs(an[i]), 0.05 * scale) + 2e-3;
        if (!(fabs(fd - an[i]) <= tol)) {
            if (bad < 3)
                fprintf(stderr, "  %s[%lld]: analytic %.6g, finite difference %.6g\n", what, (long long)i, an[i], fd);
            bad++;
        }
    }
    return bad;
}

int main(void)
{
    isa_cap_check();
    eip_nn_ctx ctx;
    eip_error err = {0};
    REQUIRE(eip_nn_ctx_init(&ctx, 2, &err) == EIP_OK, "%s", err.msg);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        eip_nn_net_t *net = NULL;
        REQUIRE(eip_nn_net_config(&ctx, cases[c].cfg, cases[c].name, &net, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_nn_init_params(net, 3 + c, &err) == EIP_OK, "%s", err.msg);
        int64_t ci, hi, wi, np, n = 2, k = eip_nn_output_size(net);
        eip_nn_input_shape(net, &ci, &hi, &wi);
        int64_t nx = n * ci * hi * wi;
        uint64_t s = 1234 + c;
        float *x = malloc((size_t)nx * sizeof *x), *dx = malloc((size_t)nx * sizeof *dx);
        float *r = malloc((size_t)(n * k) * sizeof *r), *out = malloc((size_t)(n * k) * sizeof *out);
        fill(x, nx, &s);
        fill(r, n * k, &s);
        if (strncmp(cases[c].name, "maxpool", 7) == 0)
            for (int64_t i = 0; i < nx; i++) /* a permutation of a ramp: distinct, spaced */
                x[i] = 0.025f * (float)((i * 37) % nx) - 1.0f;
        float *p = eip_nn_params(net, &np);
        /* BN affine params away from their init so their gradients are generic */
        int64_t nb;
        float *bufs = eip_nn_buffers(net, &nb);
        for (int64_t i = 0; i < eip_nn_tensor_count(net); i++) {
            const eip_nn_tensor *t = eip_nn_tensor_at(net, i);
            if (strstr(t->name, "b.weight") == t->name)
                for (int64_t j = 0; j < t->count; j++)
                    p[t->offset + j] = 0.8f + 0.05f * (float)(j % 7);
            if (strstr(t->name, "b.running_var") == t->name)
                for (int64_t j = 0; j < t->count; j++)
                    bufs[t->offset + j] = 0.5f + 0.1f * (float)(j % 5);
        }
        /* analytic: snapshot running stats so TRAIN probes see the same state (they do not
         * depend on them), then forward + backward */
        eip_nn_zero_grad(net);
        probe(net, x, n, cases[c].mode, r, out, k);
        REQUIRE(eip_nn_backward(net, r, dx, &err) == EIP_OK, "%s", err.msg);
        float *g = malloc((size_t)np * sizeof *g);
        memcpy(g, eip_nn_grads(net, NULL), (size_t)np * sizeof *g);
        int bad = check_tensor("dx", net, x, dx, nx, x, n, cases[c].mode, r, out, k);
        for (int64_t i = 0; i < eip_nn_tensor_count(net); i++) {
            const eip_nn_tensor *t = eip_nn_tensor_at(net, i);
            if (t->kind != EIP_NN_TENSOR_PARAM)
                continue;
            bad += check_tensor(t->name, net, p + t->offset, g + t->offset, t->count, x, n, cases[c].mode, r, out, k);
        }
        CHECK(bad == 0, "%s: %d gradient coordinates disagree with finite differences", cases[c].name, bad);
        printf("%-20s %s\n", cases[c].name, bad ? "FAIL" : "ok");
        free(x); free(dx); free(r); free(out); free(g);
        eip_nn_net_free(net);
    }
    eip_nn_ctx_free(&ctx);
    TEST_MAIN_END();
}
