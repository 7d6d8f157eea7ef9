/* AdvParams on an EncryIP-style model: a smallcnn trained on a random
 * 3-block one-hot code per class (BLOCK targets, K = 3 x 10), encrypted with
 * the same target table and a caller accuracy callback (decode the class
 * from the blocks); decryption is bit-exact. */
#include "adv_tutil.h"
#include "encryip/advparams.h"

#define Q 10
#define BLOCKS 3

typedef struct decode_ctx {
    const int32_t *code; /* [10, BLOCKS] block index per class */
    int calls;
} decode_ctx;

/* Class = the one whose code matches the most blocks (first on ties);
 * correct if it is the label. */
static eip_status decode_acc(void *ctx, eip_nn_net_t *net, const float *x, const int32_t *ids, int64_t n,
                             double *acc, eip_error *err)
{
    decode_ctx *d = ctx;
    d->calls++;
    float *out = malloc((size_t)(n * BLOCKS * Q) * sizeof(float));
    int32_t *arg = malloc((size_t)(n * BLOCKS) * sizeof(int32_t));
    eip_status s = eip_nn_forward(net, x, n, EIP_NN_EVAL, out, err);
    if (s == EIP_OK)
        s = eip_train_argmax_block(out, n, BLOCKS * Q, BLOCKS, arg, err);
    int64_t correct = 0;
    for (int64_t i = 0; s == EIP_OK && i < n; i++) {
        int best = -1, best_m = -1;
        for (int c = 0; c < 10; c++) {
            int m = 0;
            for (int b = 0; b < BLOCKS; b++)
                m += arg[i * BLOCKS + b] == d->code[c * BLOCKS + b];
            if (m > best_m) {
                best_m = m;
                best = c;
            }
        }
        correct += best == ids[i];
    }
    free(out);
    free(arg);
    if (s == EIP_OK)
        *acc = (double)correct / (double)n;
    return s;
}

int main(void)
{
    eip_error err = {0};
    eip_nn_ctx ctx = {0};
    REQUIRE(eip_nn_ctx_init(&ctx, 2, &err) == EIP_OK, "%s", err.msg);
    adv_fixture f;
    adv_fixture_init(&f);
    /* Random code: block b of class c is perm_b[c]. */
    int32_t code[10 * BLOCKS];
    float table[10 * BLOCKS * Q] = {0};
    eip_data_rng rng;
    eip_data_rng_seed(&rng, 42);
    for (int b = 0; b < BLOCKS; b++) {
        int64_t perm[10];
        for (int c = 0; c < 10; c++)
            perm[c] = c;
        eip_data_rng_shuffle(&rng, perm, 10);
        for (int c = 0; c < 10; c++) {
            code[c * BLOCKS + b] = (int32_t)perm[c];
            table[c * BLOCKS * Q + b * Q + perm[c]] = 1.0f;
        }
    }
    eip_train_targets tg = {EIP_TRAIN_TARGET_BLOCK, BLOCKS, 10, table};
    eip_nn_net_t *net = adv_model(&ctx, &f, "smallcnn", 0.5, BLOCKS * Q, 2000, 2, &tg, "block42");
    int64_t np = 0;
    float *p = eip_nn_params(net, &np);
    float *orig = malloc((size_t)np * sizeof(float));
    memcpy(orig, p, (size_t)np * sizeof(float));

    float *x = NULL;
    REQUIRE(eip_advparams_normalise(&f.slice, f.mean, f.std, &x, &err) == EIP_OK, "%s", err.msg);
    decode_ctx dc = {code, 0};
    double acc0 = 0, acc1 = 0, acc2 = 0, l = 0, blk0 = 0;
    REQUIRE(decode_acc(&dc, net, x, f.slice.labels, f.slice.n, &acc0, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_advparams_evaluate(net, x, f.slice.labels, f.slice.n, &tg, 250, &l, &blk0, &err) == EIP_OK, "%s",
            err.msg);
    eip_advparams_config cfg = eip_advparams_config_default(10);
    cfg.trials = 4;
    cfg.acc_fn = decode_acc;
    cfg.acc_ctx = &dc;
    eip_advparams_key key = {0};
    eip_advparams_result res = {0};
    dc.calls = 0;
    REQUIRE(eip_advparams_encrypt(net, &f.enc, f.mean, f.std, &tg, &cfg, &key, &res, &err) == EIP_OK, "%s",
            err.msg);
    REQUIRE(decode_acc(&dc, net, x, f.slice.labels, f.slice.n, &acc1, &err) == EIP_OK, "%s", err.msg);
    printf("block model: decoded test-slice acc %.3f (all-blocks %.3f) -> %.3f with %lld changed; callback %d calls\n",
           acc0, blk0, acc1, (long long)key.n, dc.calls);
    CHECK(acc0 >= 0.5, "base block model too weak: %.3f", acc0);
    CHECK(dc.calls >= 2, "callback used (%d calls)", dc.calls);
    CHECK(key.n <= 25 && acc1 <= 0.25, "encrypted decoded accuracy %.3f with %lld changes", acc1, (long long)key.n);
    REQUIRE(eip_advparams_decrypt(net, &key, &err) == EIP_OK, "%s", err.msg);
    CHECK(!memcmp(p, orig, (size_t)np * sizeof(float)), "block model not restored bit for bit");
    REQUIRE(decode_acc(&dc, net, x, f.slice.labels, f.slice.n, &acc2, &err) == EIP_OK, "%s", err.msg);
    CHECK(acc2 == acc0, "decrypted accuracy %.4f != %.4f", acc2, acc0);
    free(x);
    free(orig);
    eip_advparams_key_free(&key);
    eip_advparams_result_free(&res);
    eip_nn_net_free(net);
    adv_fixture_free(&f);
    eip_nn_ctx_free(&ctx);
    TEST_MAIN_END();
}
