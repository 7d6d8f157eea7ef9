/* Full zoo models against PyTorch (tests/ref/nn/model_*.ref, written by
 * tools/gen_nn_refs.py with tools/torch_zoo.py): same weights (loaded by
 * PyTorch name; every name must match both ways, so the parameter count
 * equals PyTorch's), same batch of 4 -> TRAIN logits, softmax-CE loss
 * (computed here), sampled parameter gradients, sampled input gradient, BN
 * running stats after the forward, and EVAL logits with the updated stats.
 * smallcnn's dropout: PyTorch uses the engine's mask for the same seed.
 * Tolerances: logits / loss / BN stats (fp32 runs on both sides) atol 2e-4
 * scaled by max(1, max|ref|), rtol 2e-3.  Gradients are compared with an
 * fp64 PyTorch run: deep BN nets at tiny width are ill-conditioned (PyTorch's
 * own fp32 gradients are off by up to a few percent there), so a tensor's
 * tolerance is 5x PyTorch's fp32 error on it (ge:) + 2e-4 x its max sampled
 * |grad| + 1e-4 x the model's max sampled |grad| + 1e-7. */
#include <stdint.h>
#include <string.h>

#include "encryip/nn.h"
#include "nnref.h"
#include "isa_cap.h"
#include "test.h"

/* GoogLeNet (docs/DESIGN.md "Training engine", "Thread count and ReLU
 * kinks"): googlenet_3x32's TRAIN forward puts one pre-ReLU value (b5.b2.4,
 * channel 4) at -9.7e-6 (fp64) where the channel's std is 1; any change of
 * fp32 rounding in the forward (~1e-5 relative: kernel, ISA, thread count)
 * can move it past 0, and that single mask entry changes the b5.b2.* and all
 * earlier gradients by up to 8%.  The flipped-mask gradients equal the fp64
 * gradients with exactly that entry flipped, so it is conditioning, not a
 * bug; googlenet_1x28 has such entries too on AVX2 kernels.  So GoogLeNet's
 * gradient tensors get the kink allowance (grads = 2 below), and with 1 and 2
 * threads EVAL_GRAD parameter and input gradients are also compared 2 threads
 * vs 1 thread (both runs see the same ReLU masks; only the backward reduction
 * order differs: eval_grad_threads below). */
/* grads: 1 = sampled parameter and input gradients vs fp64 PyTorch, each
 * element within tolerance; 2 = the same, but a tensor whose elements fail
 * still passes when its sampled relative L2 error is <= KINK_REL (GoogLeNet
 * at tiny width: a ReLU mask entry that flips with the kernel's rounding,
 * see below; measured up to 8% on AVX2, while a wrong kernel gives > 100%,
 * e.g. oneDNN issue 6035 in ResNet-18's 1x1 stride-2 shortcut: 330%). */
#define KINK_REL 0.15
static const struct { const char *name; int threads; int grads; } cases[] = {
    {"smallcnn_3x32", 2, 1}, {"smallcnn_1x28", 2, 1},  {"resnet18_3x32", 2, 1},
    {"resnet18_1x28", 2, 1}, {"alexnet_3x32", 2, 1},   {"alexnet_1x28", 2, 1},
    {"googlenet_3x32", 1, 2}, {"googlenet_3x32", 2, 2}, {"googlenet_1x28", 2, 2},
};

/* Builds the case's net with the reference weights (checking names both ways). */
static eip_nn_net_t *ref_net(eip_nn_ctx *ctx, const nnref *r, const char *name, eip_nn_arch *ar)
{
    const nnref_entry *zoo = nnref_get(r, "zoo"), *arch = nnref_get(r, "arch"), *wid = nnref_get(r, "width");
    const nnref_entry *dseed = nnref_get(r, "dropout_seed");
    REQUIRE(zoo && arch && wid && dseed, "%s: missing entries", name);
    const int64_t *a = arch->data;
    *ar = (eip_nn_arch){"", a[0], a[1], a[2], a[3], (double)((float *)wid->data)[0]};
    snprintf(ar->zoo, sizeof ar->zoo, "%s", (const char *)zoo->data);
    eip_error err = {0};
    eip_nn_net_t *net = NULL;
    eip_status s = eip_nn_net_zoo(ctx, ar, &net, &err);
    REQUIRE(s == EIP_OK, "%s: %s", name, err.msg);
    REQUIRE(eip_nn_init_params(net, 5, &err) == EIP_OK, "%s", err.msg);
    float *params = eip_nn_params(net, NULL);
    int64_t ref_params = 0, nt = eip_nn_tensor_count(net);
    for (int i = 0; i < r->n; i++)
        if (strncmp(r->e[i].name, "p:", 2) == 0) {
            const eip_nn_tensor *t = eip_nn_tensor_find(net, r->e[i].name + 2);
            ref_params += r->e[i].count;
            CHECK(t && t->kind == EIP_NN_TENSOR_PARAM && t->count == r->e[i].count,
                  "%s: PyTorch parameter %s missing or different in the C net", name, r->e[i].name + 2);
            if (t && t->count == r->e[i].count)
                memcpy(params + t->offset, r->e[i].data, (size_t)t->count * sizeof(float));
        }
    for (int64_t i = 0; i < nt; i++) {
        const eip_nn_tensor *t = eip_nn_tensor_at(net, i);
        char key[200];
        snprintf(key, sizeof key, "%s:%s", t->kind == EIP_NN_TENSOR_PARAM ? "p" : "b1", t->name);
        CHECK(t->kind == EIP_NN_TENSOR_COUNTER || nnref_get(r, key), "%s: C tensor %s not in PyTorch", name, key);
    }
    CHECK(eip_nn_param_count(net) == ref_params, "%s: %lld params, PyTorch %lld", name,
          (long long)eip_nn_param_count(net), (long long)ref_params);
    eip_nn_mark_dirty(net);
    eip_nn_set_dropout_seed(net, (uint64_t)((int64_t *)dseed->data)[0]);
    return net;
}

/* Mean softmax cross-entropy of out [n, k] (double) and its gradient dl [n, k]. */
static double softmax_ce(const float *out, const int64_t *lb, int64_t n, int64_t k, float *dl)
{
    double L = 0;
    for (int64_t i = 0; i < n; i++) {
        double mx = out[i * k];
        for (int64_t j = 1; j < k; j++)
            mx = fmax(mx, out[i * k + j]);
        double se = 0;
        for (int64_t j = 0; j < k; j++)
            se += exp(out[i * k + j] - mx);
        L += (log(se) + mx - out[i * k + lb[i]]) / (double)n;
        for (int64_t j = 0; j < k; j++)
            dl[i * k + j] = (float)((exp(out[i * k + j] - mx) / se - (j == lb[i])) / (double)n);
    }
    return L;
}

/* EVAL_GRAD forward + backward of the reference batch with `threads`:
 * grads [n_params] and dx [x count] into caller arrays (malloc'd here). */
static void eval_grad_run(const nnref *r, const char *name, int threads, float **grads, float **dx,
                          int64_t *np)
{
    eip_nn_ctx ctx;
    eip_error err = {0};
    REQUIRE(eip_nn_ctx_init(&ctx, threads, &err) == EIP_OK, "%s", err.msg);
    eip_nn_arch ar;
    eip_nn_net_t *net = ref_net(&ctx, r, name, &ar);
    const nnref_entry *x = nnref_get(r, "x"), *lab = nnref_get(r, "labels");
    REQUIRE(x && lab, "%s: missing entries", name);
    int64_t n = x->dims[0], k = ar.k;
    float *out = calloc((size_t)(n * k), sizeof *out), *dl = calloc((size_t)(n * k), sizeof *dl);
    *dx = calloc((size_t)x->count, sizeof **dx);
    REQUIRE(out && dl && *dx, "oom");
    eip_nn_zero_grad(net);
    REQUIRE(eip_nn_forward(net, x->data, n, EIP_NN_EVAL_GRAD, out, &err) == EIP_OK, "%s: %s", name, err.msg);
    softmax_ce(out, lab->data, n, k, dl);
    REQUIRE(eip_nn_backward(net, dl, *dx, &err) == EIP_OK, "%s: %s", name, err.msg);
    float *g = eip_nn_grads(net, np);
    *grads = malloc((size_t)*np * sizeof **grads);
    REQUIRE(*grads, "oom");
    memcpy(*grads, g, (size_t)*np * sizeof **grads);
    free(out);
    free(dl);
    eip_nn_net_free(net);
    eip_nn_ctx_free(&ctx);
}

/* 2-thread EVAL_GRAD gradients vs the 1-thread run, per tensor.  Both see
 * identical activations (measured: bit-equal logits), so the difference is
 * the order of fp32 sums in backward: diff weights / diff bias reduce over
 * N*OH*OW <= 4096 terms per element, worst-case relative error of a sum of m
 * terms ~ m*2^-24*sum|terms| (2.4e-4 for m = 4096); measured 3e-6 of the
 * tensor's max.  Tolerance 2e-4 x max|grad of the tensor| + 1e-9: a race,
 * a wrong memory desc or a missing diff summand is off by O(1). */
static void eval_grad_threads(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/ref/nn/model_%s.ref", EIP_SOURCE_DIR, name);
    nnref r;
    REQUIRE(nnref_load(&r, path) == 0, "%s: cannot load reference", path);
    float *g1, *g2, *dx1, *dx2;
    int64_t np1, np2;
    eval_grad_run(&r, name, 1, &g1, &dx1, &np1);
    eval_grad_run(&r, name, 2, &g2, &dx2, &np2);
    REQUIRE(np1 == np2, "param count");
    eip_nn_ctx ctx; /* tensor table only */
    eip_error err = {0};
    REQUIRE(eip_nn_ctx_init(&ctx, 2, &err) == EIP_OK, "%s", err.msg);
    eip_nn_arch ar;
    eip_nn_net_t *net = ref_net(&ctx, &r, name, &ar);
    int64_t nt = eip_nn_tensor_count(net), bad_t = 0;
    double worst = 0;
    for (int64_t i = 0; i < nt; i++) {
        const eip_nn_tensor *t = eip_nn_tensor_at(net, i);
        if (t->kind != EIP_NN_TENSOR_PARAM)
            continue;
        double mx = 0, md = 0;
        for (int64_t j = 0; j < t->count; j++) {
            mx = fmax(mx, fabs(g1[t->offset + j]));
            md = fmax(md, fabs((double)g1[t->offset + j] - g2[t->offset + j]));
        }
        worst = fmax(worst, md / (mx + 1e-30));
        int ok = md <= 2e-4 * mx + 1e-9;
        if (!ok && bad_t++ < 8)
            fprintf(stderr, "  %s: EVAL_GRAD %s: 2 threads differ from 1 thread by %.3g (max |g| %.3g)\n",
                    name, t->name, md, mx);
        CHECK(ok, "%s: EVAL_GRAD gradient of %s, 2 vs 1 threads", name, t->name);
    }
    const nnref_entry *x = nnref_get(&r, "x");
    double mx = 0, md = 0;
    for (int64_t j = 0; j < x->count; j++) {
        mx = fmax(mx, fabs(dx1[j]));
        md = fmax(md, fabs((double)dx1[j] - dx2[j]));
    }
    CHECK(md <= 2e-4 * mx + 1e-9, "%s: EVAL_GRAD input gradient, 2 vs 1 threads: %.3g (max %.3g)", name, md, mx);
    printf("%-16s EVAL_GRAD 2 vs 1 threads: worst gradient deviation %.2g of the tensor max\n", name, worst);
    eip_nn_net_free(net);
    eip_nn_ctx_free(&ctx);
    free(g1);
    free(g2);
    free(dx1);
    free(dx2);
    nnref_free(&r);
}

static void run_case(eip_nn_ctx *ctx, const char *name, int check_grads)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/ref/nn/model_%s.ref", EIP_SOURCE_DIR, name);
    nnref r;
    REQUIRE(nnref_load(&r, path) == 0, "%s: cannot load reference", path);
    const nnref_entry *x = nnref_get(&r, "x"), *lab = nnref_get(&r, "labels"), *lg = nnref_get(&r, "logits");
    const nnref_entry *loss = nnref_get(&r, "loss"), *dxs = nnref_get(&r, "dxs"), *lge = nnref_get(&r, "logits_eval");
    REQUIRE(x && lab && lg && loss && dxs && lge, "%s: missing entries", name);
    eip_error err = {0};
    eip_nn_arch ar;
    eip_nn_net_t *net = ref_net(ctx, &r, name, &ar);
    eip_status s;
    const int kinks = check_grads == 2;
    int64_t n_kink = 0;
    /* Largest sampled reference gradient of the model: a conv bias followed
     * by BN has gradient 0 in exact arithmetic, and its fp32 value is
     * cancellation noise on the scale of the model's gradients, not its own. */
    double gmax = 0;
    for (int i = 0; i < r.n; i++)
        if (strncmp(r.e[i].name, "gs:", 3) == 0)
            for (int64_t j = 0; j < r.e[i].count; j++)
                gmax = fmax(gmax, fabs(((const float *)r.e[i].data)[j]));
    int64_t n = x->dims[0], k = ar.k;
    float *out = calloc((size_t)(n * k), sizeof *out), *dl = calloc((size_t)(n * k), sizeof *dl);
    float *dx = calloc((size_t)x->count, sizeof *dx);
    eip_nn_zero_grad(net);
    s = eip_nn_forward(net, x->data, n, EIP_NN_TRAIN, out, &err);
    REQUIRE(s == EIP_OK, "%s: forward: %s", name, err.msg);
    CHECK(nnref_compare("logits", out, lg->data, n * k, 2e-4, 2e-3) == 0, "%s: logits", name);
    double L = softmax_ce(out, lab->data, n, k, dl);
    CHECK_CLOSE(L, ((float *)loss->data)[0], 2e-4, 2e-4, "%s: loss %.7f vs %.7f", name, L, ((float *)loss->data)[0]);
    s = eip_nn_backward(net, dl, dx, &err);
    REQUIRE(s == EIP_OK, "%s: backward: %s", name, err.msg);

    float *grads = eip_nn_grads(net, NULL), *bufs = eip_nn_buffers(net, NULL);
    int64_t bad_t = 0, nt = eip_nn_tensor_count(net);
    for (int64_t i = 0; i < nt; i++) {
        const eip_nn_tensor *t = eip_nn_tensor_at(net, i);
        char key[200];
        if (t->kind == EIP_NN_TENSOR_COUNTER)
            continue;
        snprintf(key, sizeof key, "%s:%s", t->kind == EIP_NN_TENSOR_PARAM ? "gs" : "b1", t->name);
        const nnref_entry *e = nnref_get(&r, key);
        if (!e)
            continue; /* reported above */
        float got[64];
        int64_t m = e->count;
        const float *src = (t->kind == EIP_NN_TENSOR_PARAM ? grads : bufs) + t->offset;
        if (t->kind == EIP_NN_TENSOR_PARAM) {
            if (!check_grads)
                continue;
            for (int64_t j = 0; j < m && j < 64; j++)
                got[j] = src[(j * t->count) / m];
            char ekey[200];
            snprintf(ekey, sizeof ekey, "ge:%s", t->name);
            const nnref_entry *ge = nnref_get(&r, ekey);
            REQUIRE(ge, "%s: %s missing", name, ekey);
            double mx = 0;
            const float *ref = e->data;
            for (int64_t j = 0; j < m; j++)
                mx = fmax(mx, fabs(ref[j]));
            double tol = 5.0 * ((float *)ge->data)[0] + 2e-4 * mx + 1e-4 * gmax + 1e-7;
            int64_t bad = 0;
            for (int64_t j = 0; j < m && j < 64; j++) {
                double d = fabs((double)got[j] - ref[j]);
                if (!(d <= tol)) {
                    if (bad_t < 8 && !kinks)
                        fprintf(stderr, "  %s: %s[%lld] got %.7g want %.7g\n", name, t->name,
                                (long long)((j * t->count) / m), got[j], ref[j]);
                    bad++;
                }
            }
            double se = 0, sr = 0;
            for (int64_t j = 0; j < m && j < 64; j++) {
                se += ((double)got[j] - ref[j]) * ((double)got[j] - ref[j]);
                sr += (double)ref[j] * ref[j];
            }
            const double rel = sqrt(se / (sr + 1e-30));
            if (bad && kinks && rel <= KINK_REL) {
                n_kink++; /* a flipped ReLU mask entry upstream, see the comment at the top */
                continue;
            }
            bad_t += bad != 0;
            CHECK(bad == 0, "%s: gradient of %s (relative L2 error %.3g)", name, t->name, rel);
        } else {
            CHECK(nnref_compare(key, src, e->data, t->count, 2e-4, 2e-3) == 0, "%s: %s", name, key);
        }
    }
    float dxg[64];
    if (!check_grads)
        goto eval;
    for (int64_t j = 0; j < dxs->count; j++)
        dxg[j] = dx[(j * x->count) / dxs->count];
    {
        const nnref_entry *dxe = nnref_get(&r, "dxe");
        REQUIRE(dxe, "%s: dxe missing", name);
        double mx = 0;
        for (int64_t j = 0; j < dxs->count; j++)
            mx = fmax(mx, fabs(((float *)dxs->data)[j]));
        double tol = 5.0 * ((float *)dxe->data)[0] + 2e-4 * mx + 1e-9;
        int64_t bad = 0;
        double se = 0, sr = 0;
        for (int64_t j = 0; j < dxs->count; j++) {
            double rf = ((float *)dxs->data)[j];
            bad += !(fabs(dxg[j] - rf) <= tol);
            se += (dxg[j] - rf) * (dxg[j] - rf);
            sr += rf * rf;
        }
        const double rel = sqrt(se / (sr + 1e-30));
        if (bad && kinks && rel <= KINK_REL)
            n_kink++;
        else
            CHECK(bad == 0, "%s: %lld input-gradient samples differ (relative L2 error %.3g)", name,
                  (long long)bad, rel);
    }
eval:
    s = eip_nn_forward(net, x->data, n, EIP_NN_EVAL, out, &err);
    REQUIRE(s == EIP_OK, "%s: eval forward: %s", name, err.msg);
    CHECK(nnref_compare("logits_eval", out, lge->data, n * k, 2e-4, 2e-3) == 0, "%s: eval logits", name);
    printf("%-16s %d thr %lld params, loss %.6f, %lld gradient tensors within the kink allowance only: %s\n",
           name, ctx->threads, (long long)eip_nn_param_count(net), L, (long long)n_kink,
           eip_test_failures ? "(failures so far)" : "ok");
    free(out);
    free(dl);
    free(dx);
    eip_nn_net_free(net);
    nnref_free(&r);
}

int main(void)
{
    isa_cap_check();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        eip_nn_ctx ctx;
        eip_error err = {0};
        REQUIRE(eip_nn_ctx_init(&ctx, cases[i].threads, &err) == EIP_OK, "%s", err.msg);
        run_case(&ctx, cases[i].name, cases[i].grads);
        eip_nn_ctx_free(&ctx);
    }
    eval_grad_threads("googlenet_3x32");
    TEST_MAIN_END();
}
