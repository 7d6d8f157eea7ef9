/* Zoo nets build for 1x28x28 and 3x32x32, give finite [N, K] logits, have
 * PyTorch's parameter counts (published width-1 numbers for 3x32x32, K=10),
 * eval is deterministic, and a TRAIN forward/backward fills gradients.
 * Also: a rough forward+backward speed figure for resnet18 (printed only). */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "encryip/nn.h"
#include "test.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void fill(float *x, int64_t n, uint64_t seed)
{
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(seed >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
    }
}

static eip_nn_net_t *make(eip_nn_ctx *ctx, const char *zoo, int64_t c, int64_t h, int64_t k, double width)
{
    eip_nn_arch a = {"", c, h, h, k, width};
    snprintf(a.zoo, sizeof a.zoo, "%s", zoo);
    eip_nn_net_t *net = NULL;
    eip_error err = {0};
    eip_status s = eip_nn_net_zoo(ctx, &a, &net, &err);
    REQUIRE(s == EIP_OK, "%s: %s", zoo, err.msg);
    REQUIRE(eip_nn_init_params(net, 1, &err) == EIP_OK, "%s", err.msg);
    return net;
}

int main(void)
{
    eip_nn_ctx ctx;
    eip_error err = {0};
    REQUIRE(eip_nn_ctx_init(&ctx, 0, &err) == EIP_OK, "%s", err.msg);

    /* published width-1 parameter counts (3x32x32, K=10), see tools/torch_zoo.py */
    static const struct { const char *zoo; int64_t params; } pub[] = {
        {"resnet18", 11173962}, {"googlenet", 6166250}, {"alexnet", 2472266}};
    for (size_t i = 0; i < sizeof pub / sizeof *pub; i++) {
        eip_nn_net_t *net = make(&ctx, pub[i].zoo, 3, 32, 10, 1.0);
        CHECK(eip_nn_param_count(net) == pub[i].params, "%s: %lld params, PyTorch %lld", pub[i].zoo,
              (long long)eip_nn_param_count(net), (long long)pub[i].params);
        eip_nn_net_free(net);
    }

    const char *zoos[] = {"smallcnn", "resnet18", "alexnet", "googlenet"};
    const int64_t shapes[2][2] = {{1, 28}, {3, 32}};
    for (size_t z = 0; z < 4; z++)
        for (int sh = 0; sh < 2; sh++) {
            int64_t c = shapes[sh][0], h = shapes[sh][1], n = 3, k = 7;
            eip_nn_net_t *net = make(&ctx, zoos[z], c, h, k, 0.25);
            CHECK(eip_nn_output_size(net) == k, "%s: output %lld", zoos[z], (long long)eip_nn_output_size(net));
            float *x = malloc((size_t)(n * c * h * h) * sizeof *x), *y1 = malloc((size_t)(n * k) * sizeof *y1);
            float *y2 = malloc((size_t)(n * k) * sizeof *y2), *dx = malloc((size_t)(n * c * h * h) * sizeof *dx);
            fill(x, n * c * h * h, 7);
            eip_status s = eip_nn_forward(net, x, n, EIP_NN_EVAL, y1, &err);
            CHECK(s == EIP_OK, "%s eval: %s", zoos[z], err.msg);
            s = eip_nn_forward(net, x, n, EIP_NN_EVAL, y2, &err);
            CHECK(s == EIP_OK && memcmp(y1, y2, (size_t)(n * k) * sizeof *y1) == 0,
                  "%s %lldx%lld: eval not deterministic", zoos[z], (long long)c, (long long)h);
            int finite = 1;
            for (int64_t i = 0; i < n * k; i++)
                finite &= isfinite(y1[i]);
            CHECK(finite, "%s: non-finite logits", zoos[z]);
            s = eip_nn_forward(net, x, n, EIP_NN_TRAIN, y2, &err);
            CHECK(s == EIP_OK, "%s train: %s", zoos[z], err.msg);
            for (int64_t i = 0; i < n * k; i++)
                y2[i] = (float)(i % 3) - 1.0f;
            eip_nn_zero_grad(net);
            s = eip_nn_backward(net, y2, dx, &err);
            CHECK(s == EIP_OK, "%s backward: %s", zoos[z], err.msg);
            int64_t np;
            float *g = eip_nn_grads(net, &np);
            double gs = 0, xs = 0;
            for (int64_t i = 0; i < np; i++)
                gs += fabs(g[i]);
            for (int64_t i = 0; i < n * c * h * h; i++)
                xs += fabs(dx[i]);
            CHECK(gs > 0 && isfinite(gs) && xs > 0 && isfinite(xs), "%s: grads %g dx %g", zoos[z], gs, xs);
            s = eip_nn_backward(net, y2, NULL, &err);
            CHECK(s == EIP_ERR_STATE, "%s: second backward must be refused", zoos[z]);
            printf("%-9s %lldx%lldx%lld width 0.25: %lld params\n", zoos[z], (long long)c, (long long)h,
                   (long long)h, (long long)np);
            free(x); free(y1); free(y2); free(dx);
            eip_nn_net_free(net);
        }

    /* speed sanity: resnet18 width 1, batch 32, 3x32x32, TRAIN forward+backward */
    {
        int64_t n = 32;
        eip_nn_net_t *net = make(&ctx, "resnet18", 3, 32, 10, 1.0);
        float *x = malloc((size_t)(n * 3 * 32 * 32) * sizeof *x), *y = malloc((size_t)(n * 10) * sizeof *y);
        fill(x, n * 3 * 32 * 32, 3);
        double best = 1e9;
        for (int it = 0; it < 3; it++) {
            double t0 = now();
            eip_status s = eip_nn_forward(net, x, n, EIP_NN_TRAIN, y, &err);
            for (int64_t i = 0; i < n * 10; i++)
                y[i] = 0.01f;
            if (s == EIP_OK)
                s = eip_nn_backward(net, y, NULL, &err);
            CHECK(s == EIP_OK, "resnet18 speed: %s", err.msg);
            double t = now() - t0;
            if (it > 0 && t < best)
                best = t;
        }
        double t0 = now();
        CHECK(eip_nn_forward(net, x, n, EIP_NN_EVAL, y, &err) == EIP_OK, "%s", err.msg);
        double t1 = now();
        CHECK(eip_nn_forward(net, x, n, EIP_NN_EVAL, y, &err) == EIP_OK, "%s", err.msg);
        double t2 = now();
        printf("resnet18 w1 b32 3x32x32, %d threads: train fwd+bwd %.1f img/s, eval %.1f img/s (first eval incl. plan %.3fs)\n",
               ctx.threads, (double)n / best, (double)n / (t2 - t1), t1 - t0);
        free(x); free(y);
        eip_nn_net_free(net);
    }
    eip_nn_ctx_free(&ctx);
    TEST_MAIN_END();
}
