/* Model-level checkpoint interop (tools/check_ckpt_interop.py).
 * 1. PyTorch -> C: tests/ref/nn/ckpt_torch_<zoo>_<c>x<h>.safetensors were written by
 *    PyTorch from tools/torch_zoo.py models (non-default BN running stats and
 *    counters); eip_nn_load rebuilds the net from the metadata alone and its EVAL
 *    logits on the deterministic input match PyTorch's (.ref) within fp32 tolerance
 *    (atol 1e-4 x max(1, max|ref|), rtol 1e-3: different kernels and summation order).
 * 2. C round trip: every zoo model (both input shapes), after a TRAIN step so BN
 *    buffers and counters are non-trivial: save -> load gives bit-identical params,
 *    buffers, counters, arch, and bit-identical EVAL logits.
 * 3. C -> PyTorch: the saved files go to <build>/tests/nn_interop/c_*.safetensors with
 *    the C EVAL logits in the metadata (interop.n, interop.logits) for
 *    `tools/check_ckpt_interop.py --check-c <build>/tests/nn_interop` (needs torch, so
 *    not part of CTest). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "encryip/ckpt.h"
#include "encryip/nn.h"
#include "nnref.h"
#include "test.h"

/* x[i] = ((i * 7919) % 2001 - 1000) / 1000 (float), as interop_input() in the tool */
static float *interop_input(int64_t count)
{
    float *x = malloc((size_t)count * sizeof *x);
    REQUIRE(x, "oom");
    for (int64_t i = 0; i < count; i++)
        x[i] = (float)((i * 7919) % 2001 - 1000) / 1000.0f;
    return x;
}

static void torch_written(eip_nn_ctx *ctx, const char *stem)
{
    char path[512], rpath[512];
    snprintf(path, sizeof path, "%s/tests/ref/nn/%s.safetensors", EIP_SOURCE_DIR, stem);
    snprintf(rpath, sizeof rpath, "%s/tests/ref/nn/%s.ref", EIP_SOURCE_DIR, stem);
    nnref r;
    REQUIRE(nnref_load(&r, rpath) == 0, "%s: cannot load", rpath);
    const nnref_entry *x16 = nnref_get(&r, "x16"), *lg = nnref_get(&r, "logits");
    REQUIRE(x16 && lg && lg->ndim == 2, "%s: missing entries", rpath);
    eip_error err = {0};
    eip_nn_net_t *net = NULL;
    REQUIRE(eip_nn_load(ctx, path, &net, &err) == EIP_OK, "%s", err.msg);
    int64_t c, h, w, n = lg->dims[0], k = lg->dims[1];
    eip_nn_input_shape(net, &c, &h, &w);
    CHECK(eip_nn_output_size(net) == k, "%s: output size", stem);
    float *x = interop_input(n * c * h * w), *out = calloc((size_t)(n * k), sizeof *out);
    REQUIRE(out, "oom");
    CHECK(memcmp(x, x16->data, 16 * sizeof(float)) == 0, "%s: input formula differs from the tool's", stem);
    /* the counters came through as int64 */
    int64_t nc = 0;
    const int64_t *cnt = eip_nn_counters(net, &nc);
    CHECK(nc > 0 && cnt[0] == 17, "%s: num_batches_tracked %lld", stem, nc > 0 ? (long long)cnt[0] : -1LL);
    REQUIRE(eip_nn_forward(net, x, n, EIP_NN_EVAL, out, &err) == EIP_OK, "%s", err.msg);
    CHECK(nnref_compare("logits", out, lg->data, n * k, 1e-4, 1e-3) == 0, "%s: EVAL logits vs PyTorch", stem);
    printf("%-28s PyTorch-written checkpoint: EVAL logits match\n", stem);
    free(x);
    free(out);
    eip_nn_net_free(net);
    nnref_free(&r);
}

static const struct { const char *zoo; int64_t c, h, k; double width; } zoo_cases[] = {
    {"smallcnn", 3, 32, 10, 0.125}, {"smallcnn", 1, 28, 9, 0.125},  {"resnet18", 3, 32, 10, 0.125},
    {"resnet18", 1, 28, 9, 0.0625}, {"alexnet", 3, 32, 10, 0.125},  {"alexnet", 1, 28, 9, 0.0625},
    {"googlenet", 3, 32, 10, 0.125}, {"googlenet", 1, 28, 9, 0.0625},
};

static int same_block(const void *a, const void *b, int64_t n, size_t el)
{
    return memcmp(a, b, (size_t)n * el) == 0;
}

static void round_trip(eip_nn_ctx *ctx, int i, const char *dir /* < 512 chars */)
{
    eip_nn_arch ar = {"", zoo_cases[i].c, zoo_cases[i].h, zoo_cases[i].h, zoo_cases[i].k,
                      zoo_cases[i].width};
    snprintf(ar.zoo, sizeof ar.zoo, "%s", zoo_cases[i].zoo);
    char name[96], path[700];
    snprintf(name, sizeof name, "c_%s_%lldx%lld", ar.zoo, (long long)ar.c_in, (long long)ar.h);
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
    eip_error err = {0};
    eip_nn_net_t *a = NULL, *b = NULL;
    REQUIRE(eip_nn_net_zoo(ctx, &ar, &a, &err) == EIP_OK, "%s: %s", name, err.msg);
    REQUIRE(eip_nn_init_params(a, 77 + (uint64_t)i, &err) == EIP_OK, "%s", err.msg);
    const int64_t n = 2, k = ar.k, xc = n * ar.c_in * ar.h * ar.w;
    float *x = interop_input(xc), *o1 = calloc((size_t)(n * k), sizeof *o1), *o2 = calloc((size_t)(n * k), sizeof *o2);
    REQUIRE(o1 && o2, "oom");
    /* one TRAIN forward: BN running stats and num_batches_tracked move off their init */
    REQUIRE(eip_nn_forward(a, x, n, EIP_NN_TRAIN, o1, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_forward(a, x, n, EIP_NN_EVAL, o1, &err) == EIP_OK, "%s", err.msg);
    char logits[4096], sn[8];
    size_t used = 0;
    for (int64_t j = 0; j < n * k && used + 20 < sizeof logits; j++)
        used += (size_t)snprintf(logits + used, sizeof logits - used, "%s%.9g", j ? "," : "", o1[j]);
    snprintf(sn, sizeof sn, "%lld", (long long)n);
    eip_ckpt_meta extra[2] = {{"interop.n", sn}, {"interop.logits", logits}};
    REQUIRE(eip_nn_save_meta(a, path, extra, 2, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_load(ctx, path, &b, &err) == EIP_OK, "%s", err.msg);
    const eip_nn_arch *ab = eip_nn_net_arch(b);
    CHECK(ab && !strcmp(ab->zoo, ar.zoo) && ab->c_in == ar.c_in && ab->h == ar.h && ab->w == ar.w &&
              ab->k == ar.k && ab->width == ar.width, "%s: arch after load", name);
    int64_t pa, pb, ba, bb, ca, cb;
    float *P1 = eip_nn_params(a, &pa), *P2 = eip_nn_params(b, &pb);
    float *B1 = eip_nn_buffers(a, &ba), *B2 = eip_nn_buffers(b, &bb);
    int64_t *C1 = eip_nn_counters(a, &ca), *C2 = eip_nn_counters(b, &cb);
    CHECK(pa == pb && same_block(P1, P2, pa, sizeof *P1), "%s: params not bit-identical", name);
    CHECK(ba == bb && same_block(B1, B2, ba, sizeof *B1), "%s: buffers not bit-identical", name);
    CHECK(ca == cb && same_block(C1, C2, ca, sizeof *C1) && (ca == 0 || C1[0] == 1),
          "%s: counters not identical", name);
    REQUIRE(eip_nn_forward(b, x, n, EIP_NN_EVAL, o2, &err) == EIP_OK, "%s", err.msg);
    CHECK(same_block(o1, o2, n * k, sizeof *o1), "%s: EVAL logits after load not bit-identical", name);
    printf("%-28s save -> load bit-exact (%lld params, %lld buffers)\n", name, (long long)pa, (long long)ba);
    free(x);
    free(o1);
    free(o2);
    eip_nn_net_free(a);
    eip_nn_net_free(b);
}

int main(void)
{
    eip_nn_ctx ctx;
    eip_error err = {0};
    REQUIRE(eip_nn_ctx_init(&ctx, 2, &err) == EIP_OK, "%s", err.msg);
    torch_written(&ctx, "ckpt_torch_smallcnn_1x28");
    torch_written(&ctx, "ckpt_torch_resnet18_3x32");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/tests/nn_interop", EIP_BINARY_DIR);
    REQUIRE(mkdir(dir, 0755) == 0 || errno == EEXIST, "%s: cannot create", dir);
    for (int i = 0; i < (int)(sizeof zoo_cases / sizeof *zoo_cases); i++)
        round_trip(&ctx, i, dir);
    eip_nn_ctx_free(&ctx);
    TEST_MAIN_END();
}
