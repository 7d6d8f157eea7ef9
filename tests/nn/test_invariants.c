/* Engine invariants:
 *  - two half batches of accumulated gradients equal one full batch, for
 *    nets without batch statistics in play: alexnet in TRAIN (no BN, no
 *    dropout) and resnet18 / smallcnn in EVAL_GRAD (BN uses running stats;
 *    in TRAIN the batch statistics of a half batch differ, so no equality);
 *  - the plan cache: alternating batch sizes / modes gives the same results;
 *  - save -> load (zoo and config nets) rebuilds the net from the file alone
 *    with identical tensors and outputs; loading into a mismatched net fails;
 *  - dropout: drop fraction ~p, survivors scaled by 1/(1-p), backward uses
 *    the same mask, eval is the identity, reseeding reproduces the mask. */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "encryip/nn.h"
#include "test.h"

static void fill(float *x, int64_t n, uint64_t seed)
{
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(seed >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
    }
}

static eip_nn_net_t *zoo(eip_nn_ctx *ctx, const char *name, int64_t c, int64_t h, double width)
{
    eip_nn_arch a = {"", c, h, h, 10, width};
    snprintf(a.zoo, sizeof a.zoo, "%s", name);
    eip_nn_net_t *net = NULL;
    eip_error err = {0};
    REQUIRE(eip_nn_net_zoo(ctx, &a, &net, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_init_params(net, 11, &err) == EIP_OK, "%s", err.msg);
    return net;
}

static void half_batches(eip_nn_ctx *ctx, const char *name, int64_t c, int64_t h, eip_nn_mode mode)
{
    eip_nn_net_t *net = zoo(ctx, name, c, h, 0.25);
    eip_error err = {0};
    int64_t n = 8, k = 10, per = c * h * h, np;
    float *x = malloc((size_t)(n * per) * sizeof *x), *y = malloc((size_t)(n * k) * sizeof *y);
    float *d = malloc((size_t)(n * k) * sizeof *d), *dx = malloc((size_t)(n * per) * sizeof *dx);
    float *dx2 = malloc((size_t)(n * per) * sizeof *dx2);
    fill(x, n * per, 5);
    fill(d, n * k, 6);
    eip_nn_zero_grad(net);
    REQUIRE(eip_nn_forward(net, x, n, mode, y, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_backward(net, d, dx, &err) == EIP_OK, "%s", err.msg);
    float *g = eip_nn_grads(net, &np);
    float *full = malloc((size_t)np * sizeof *full);
    memcpy(full, g, (size_t)np * sizeof *full);
    eip_nn_zero_grad(net);
    for (int half = 0; half < 2; half++) {
        int64_t o = half * (n / 2);
        REQUIRE(eip_nn_forward(net, x + o * per, n / 2, mode, y, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_nn_backward(net, d + o * k, dx2 + o * per, &err) == EIP_OK, "%s", err.msg);
    }
    double mx = 0, md = 0, mxx = 0, mdx = 0;
    for (int64_t i = 0; i < np; i++) {
        mx = fmax(mx, fabs(full[i]));
        md = fmax(md, fabs(full[i] - g[i]));
    }
    for (int64_t i = 0; i < n * per; i++) {
        mxx = fmax(mxx, fabs(dx[i]));
        mdx = fmax(mdx, fabs(dx[i] - dx2[i]));
    }
    CHECK(mx > 0 && md <= 1e-5 * mx, "%s: half batches differ from the full batch: max diff %g (max |g| %g)", name, md, mx);
    CHECK(mxx > 0 && mdx <= 1e-5 * mxx, "%s: input gradients of half batches differ: %g (max %g)", name, mdx, mxx);
    printf("%-9s half batches == full batch (grad diff %.2g of %.2g)\n", name, md, mx);
    free(x); free(y); free(d); free(dx); free(dx2); free(full);
    eip_nn_net_free(net);
}

static void plan_cache(eip_nn_ctx *ctx)
{
    eip_nn_net_t *net = zoo(ctx, "resnet18", 3, 32, 0.125);
    eip_error err = {0};
    int64_t per = 3 * 32 * 32;
    float x[7 * 3 * 32 * 32], a[70], b[70], c[70];
    fill(x, 7 * per, 9);
    REQUIRE(eip_nn_forward(net, x, 7, EIP_NN_EVAL, a, &err) == EIP_OK, "%s", err.msg);
    for (int i = 0; i < 6; i++) { /* more shapes than the cache holds */
        REQUIRE(eip_nn_forward(net, x, 1 + i % 5, i % 2 ? EIP_NN_EVAL_GRAD : EIP_NN_EVAL, c, &err) == EIP_OK, "%s", err.msg);
    }
    REQUIRE(eip_nn_forward(net, x, 7, EIP_NN_EVAL, b, &err) == EIP_OK, "%s", err.msg);
    CHECK(memcmp(a, b, sizeof a) == 0, "eval output changed after other plans were used");
    /* a batch of 3 equals the first 3 rows of the batch of 7 (eval, no batch coupling) */
    REQUIRE(eip_nn_forward(net, x, 3, EIP_NN_EVAL, c, &err) == EIP_OK, "%s", err.msg);
    double md = 0;
    for (int i = 0; i < 30; i++)
        md = fmax(md, fabs(c[i] - a[i]));
    CHECK(md < 1e-5, "batch 3 vs batch 7 rows differ by %g", md);
    /* an external edit + mark_dirty is seen by a cached eval plan */
    float *p = eip_nn_params(net, NULL);
    const eip_nn_tensor *t = eip_nn_tensor_find(net, "conv1.weight");
    REQUIRE(t, "conv1.weight missing");
    p[t->offset] += 0.5f;
    eip_nn_mark_dirty(net);
    REQUIRE(eip_nn_forward(net, x, 7, EIP_NN_EVAL, b, &err) == EIP_OK, "%s", err.msg);
    CHECK(memcmp(a, b, sizeof a) != 0, "edit of conv1.weight not seen after mark_dirty");
    /* reordered weights are shared between plans: the cached batch-3 plan sees
     * the edit too (rows equal the batch-7 rows again) */
    REQUIRE(eip_nn_forward(net, x, 3, EIP_NN_EVAL, c, &err) == EIP_OK, "%s", err.msg);
    md = 0;
    for (int i = 0; i < 30; i++)
        md = fmax(md, fabs(c[i] - b[i]));
    CHECK(md < 1e-5, "after edit: batch 3 vs batch 7 rows differ by %g", md);
    /* TRAIN forwards re-read the parameters even without mark_dirty, in every plan */
    const eip_nn_tensor *t4 = eip_nn_tensor_find(net, "layer4.1.conv2.weight");
    REQUIRE(t4, "layer4.1.conv2.weight missing");
    float t1[70], t2[70], t3[70];
    REQUIRE(eip_nn_forward(net, x, 7, EIP_NN_TRAIN, t1, &err) == EIP_OK, "%s", err.msg);
    float keep = p[t4->offset + 5];
    p[t4->offset + 5] += 3.0f;
    REQUIRE(eip_nn_forward(net, x, 7, EIP_NN_TRAIN, t2, &err) == EIP_OK, "%s", err.msg);
    CHECK(memcmp(t1, t2, sizeof t1) != 0, "TRAIN forward did not re-read an edited weight");
    REQUIRE(eip_nn_forward(net, x, 5, EIP_NN_TRAIN, t3, &err) == EIP_OK, "%s", err.msg);
    p[t4->offset + 5] = keep;
    REQUIRE(eip_nn_forward(net, x, 7, EIP_NN_TRAIN, t2, &err) == EIP_OK, "%s", err.msg);
    CHECK(memcmp(t1, t2, sizeof t1) == 0, "TRAIN forward after restoring the weight differs");
    eip_nn_net_free(net);
}

/* Inference plans fold BN (+ReLU) into the conv before it (exec.c
 * fold_pairs); EVAL_GRAD plans do not.  Both must give the same outputs to
 * float rounding, with running statistics moved off their defaults by TRAIN
 * forwards; a TRAIN forward (new running statistics, no mark_dirty) and an
 * edit of a BN weight + mark_dirty must both be seen by the cached folded
 * weights. */
static void bn_fold(eip_nn_ctx *ctx, const char *name, int64_t c, int64_t h, double width, int max_folds)
{
    eip_nn_net_t *net = zoo(ctx, name, c, h, width);
    eip_error err = {0};
    const int64_t n = 6, per = c * h * h;
    float *x = malloc((size_t)(n * per) * sizeof *x);
    float inf[60], ref[60], t[60];
    REQUIRE(x, "out of memory");
    CHECK(eip_nn_eval_folds(net, n) == -1, "%s: no EVAL plan yet", name);
    fill(x, n * per, 21);
    for (int i = 0; i < 3; i++) /* running stats away from (0, 1) */
        REQUIRE(eip_nn_forward(net, x, n, EIP_NN_TRAIN, t, &err) == EIP_OK, "%s", err.msg);
    for (int round = 0; round < 3; round++) {
        if (round == 1) /* new running statistics only */
            REQUIRE(eip_nn_forward(net, x, n, EIP_NN_TRAIN, t, &err) == EIP_OK, "%s", err.msg);
        if (round == 2) { /* an edited BN weight */
            const eip_nn_tensor *g = eip_nn_tensor_find(net, !strcmp(name, "smallcnn") ? "bn2.weight" : "bn1.weight");
            REQUIRE(g, "%s: BN weight missing", name);
            eip_nn_params(net, NULL)[g->offset + 1] *= -2.0f;
            eip_nn_mark_dirty(net);
        }
        REQUIRE(eip_nn_forward(net, x, n, EIP_NN_EVAL, inf, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_nn_forward(net, x, n, EIP_NN_EVAL_GRAD, ref, &err) == EIP_OK, "%s", err.msg);
        /* AVX-512: no folding (not faster there); AVX2 (nn_invariants_avx2): every BN
         * (no Winograd on AVX2, and each conv feeds its BN alone) */
        const int folds = eip_nn_eval_folds(net, n), want = !strncmp(eip_nn_cpu_isa(), "avx512", 6) ? 0 : max_folds;
        CHECK(folds == want, "%s: %d batch norms folded, want %d (ISA %s)", name, folds, want, eip_nn_cpu_isa());
        double md = 0, mx = 0;
        for (int i = 0; i < n * 10; i++) {
            md = fmax(md, fabs((double)inf[i] - (double)ref[i]));
            mx = fmax(mx, fabs((double)ref[i]));
        }
        CHECK(mx > 0 && md <= 1e-4 * mx, "%s round %d: folded inference differs from BN by %g (max |y| %g)", name,
              round, md, mx);
        if (round == 0)
            printf("%-9s %d of %d BN folded into conv (ISA %s): eval outputs within %.2g of %.2g\n", name, folds,
                   max_folds, eip_nn_cpu_isa(), md, mx);
    }
    free(x);
    eip_nn_net_free(net);
}

static void save_load(eip_nn_ctx *ctx)
{
    eip_error err = {0};
    char path[256];
    snprintf(path, sizeof path, "%s/nn_save_%d.safetensors", EIP_BINARY_DIR, (int)getpid());
    eip_nn_net_t *net = zoo(ctx, "resnet18", 1, 28, 0.125);
    float x[2 * 28 * 28], y[20], y2[20], d[20];
    fill(x, 2 * 28 * 28, 3);
    fill(d, 20, 4);
    /* one TRAIN step so buffers and counters are non-default */
    REQUIRE(eip_nn_forward(net, x, 2, EIP_NN_TRAIN, y, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_forward(net, x, 2, EIP_NN_EVAL, y, &err) == EIP_OK, "%s", err.msg);
    eip_status s = eip_nn_save(net, path, &err);
    REQUIRE(s == EIP_OK, "save: %s", err.msg);
    eip_nn_net_t *back = NULL;
    s = eip_nn_load(ctx, path, &back, &err);
    REQUIRE(s == EIP_OK, "load: %s", err.msg);
    CHECK(eip_nn_net_arch(back) && strcmp(eip_nn_net_arch(back)->zoo, "resnet18") == 0 &&
          eip_nn_net_arch(back)->c_in == 1 && eip_nn_net_arch(back)->width == 0.125, "arch not restored");
    int64_t n1, n2;
    float *p1 = eip_nn_params(net, &n1), *p2 = eip_nn_params(back, &n2);
    CHECK(n1 == n2 && memcmp(p1, p2, (size_t)n1 * sizeof *p1) == 0, "params differ after load");
    float *b1 = eip_nn_buffers(net, &n1), *b2 = eip_nn_buffers(back, &n2);
    CHECK(n1 == n2 && memcmp(b1, b2, (size_t)n1 * sizeof *b1) == 0, "buffers differ after load");
    int64_t *c1 = eip_nn_counters(net, &n1), *c2 = eip_nn_counters(back, &n2);
    CHECK(n1 == n2 && n1 > 0 && c2[0] == 1 && memcmp(c1, c2, (size_t)n1 * sizeof *c1) == 0, "counters differ");
    REQUIRE(eip_nn_forward(back, x, 2, EIP_NN_EVAL, y2, &err) == EIP_OK, "%s", err.msg);
    CHECK(memcmp(y, y2, sizeof y) == 0, "eval output differs after load");
    /* strict: a different architecture refuses the file */
    eip_nn_net_t *other = zoo(ctx, "resnet18", 3, 32, 0.125);
    s = eip_nn_load_into(other, path, &err);
    CHECK(s == EIP_ERR_FORMAT || s == EIP_ERR_SHAPE, "loading into a 3-channel resnet18 must fail, got %d", (int)s);
    printf("load mismatch: %s\n", err.msg);
    eip_nn_net_free(other);
    eip_nn_net_free(back);
    eip_nn_net_free(net);
    unlink(path);

    /* config net round trip */
    const char *cfg = "input c=2 h=6 w=6\nconv name=c out=16 k=3 pad=1\nbn name=b relu=1\ngap\nflatten\nlinear name=fc out=3\n";
    REQUIRE(eip_nn_net_config(ctx, cfg, "cfg", &net, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_init_params(net, 2, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_save(net, path, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_load(ctx, path, &back, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_nn_net_config_text(back) && strcmp(eip_nn_net_config_text(back), cfg) == 0, "config text not restored");
    REQUIRE(eip_nn_forward(net, x, 1, EIP_NN_EVAL, y, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_forward(back, x, 1, EIP_NN_EVAL, y2, &err) == EIP_OK, "%s", err.msg);
    CHECK(memcmp(y, y2, 3 * sizeof *y) == 0, "config net output differs after load");
    eip_nn_net_free(back);
    eip_nn_net_free(net);
    unlink(path);
}

static void dropout(eip_nn_ctx *ctx)
{
    eip_error err = {0};
    eip_nn_net_t *net = NULL;
    REQUIRE(eip_nn_net_config(ctx, "input c=8 h=16 w=16\ndropout p=0.3\n", "dropout", &net, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_init_params(net, 1, &err) == EIP_OK, "%s", err.msg);
    int64_t n = 16, m = n * 8 * 16 * 16;
    float *x = malloc((size_t)m * sizeof *x), *y = malloc((size_t)m * sizeof *y), *y2 = malloc((size_t)m * sizeof *y2);
    float *dx = malloc((size_t)m * sizeof *dx);
    fill(x, m, 1);
    for (int64_t i = 0; i < m; i++)
        x[i] = 1.0f + fabsf(x[i]); /* nonzero, so y == 0 <=> dropped */
    REQUIRE(eip_nn_forward(net, x, n, EIP_NN_TRAIN, y, &err) == EIP_OK, "%s", err.msg);
    int64_t zeros = 0, badscale = 0;
    for (int64_t i = 0; i < m; i++) {
        if (y[i] == 0.0f)
            zeros++;
        else if (fabs(y[i] - x[i] / 0.7f) > 1e-6 * fabs(y[i]))
            badscale++;
    }
    double frac = (double)zeros / (double)m; /* ~0.3, std sqrt(.21/m) = 0.0026 */
    CHECK(fabs(frac - 0.3) < 0.015, "dropout fraction %g, want 0.3", frac);
    CHECK(badscale == 0, "%lld survivors not scaled by 1/(1-p)", (long long)badscale);
    float *ones = malloc((size_t)m * sizeof *ones);
    for (int64_t i = 0; i < m; i++)
        ones[i] = 1.0f;
    REQUIRE(eip_nn_backward(net, ones, dx, &err) == EIP_OK, "%s", err.msg);
    int64_t mism = 0;
    for (int64_t i = 0; i < m; i++)
        mism += (y[i] == 0.0f) != (dx[i] == 0.0f) || (dx[i] != 0.0f && fabsf(dx[i] - 1.0f / 0.7f) > 1e-6f);
    CHECK(mism == 0, "backward mask differs from forward mask at %lld elements", (long long)mism);
    REQUIRE(eip_nn_forward(net, x, n, EIP_NN_TRAIN, y2, &err) == EIP_OK, "%s", err.msg);
    CHECK(memcmp(y, y2, (size_t)m * sizeof *y) != 0, "two TRAIN forwards drew the same mask");
    eip_nn_set_dropout_seed(net, 0xD50F0F5EEDull ^ 1); /* what init_params(1) used */
    REQUIRE(eip_nn_forward(net, x, n, EIP_NN_TRAIN, y2, &err) == EIP_OK, "%s", err.msg);
    CHECK(memcmp(y, y2, (size_t)m * sizeof *y) == 0, "reseeding did not reproduce the mask");
    REQUIRE(eip_nn_forward(net, x, n, EIP_NN_EVAL, y2, &err) == EIP_OK, "%s", err.msg);
    CHECK(memcmp(x, y2, (size_t)m * sizeof *y) == 0, "eval dropout is not the identity");
    REQUIRE(eip_nn_forward(net, x, n, EIP_NN_EVAL_GRAD, y2, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_backward(net, ones, dx, &err) == EIP_OK, "%s", err.msg);
    CHECK(memcmp(ones, dx, (size_t)m * sizeof *dx) == 0 && memcmp(x, y2, (size_t)m * sizeof *y2) == 0,
          "EVAL_GRAD dropout is not the identity");
    printf("dropout: fraction %.4f\n", frac);
    free(x); free(y); free(y2); free(dx); free(ones);
    eip_nn_net_free(net);
}

int main(void)
{
    eip_nn_ctx ctx;
    eip_error err = {0};
    REQUIRE(eip_nn_ctx_init(&ctx, 2, &err) == EIP_OK, "%s", err.msg);
    half_batches(&ctx, "alexnet", 3, 32, EIP_NN_TRAIN);
    half_batches(&ctx, "resnet18", 3, 32, EIP_NN_EVAL_GRAD);
    half_batches(&ctx, "smallcnn", 1, 28, EIP_NN_EVAL_GRAD);
    plan_cache(&ctx);
    bn_fold(&ctx, "smallcnn", 1, 28, 0.5, 4);
    bn_fold(&ctx, "resnet18", 3, 32, 0.125, 20);
    save_load(&ctx);
    dropout(&ctx);
    eip_nn_ctx_free(&ctx);
    TEST_MAIN_END();
}
