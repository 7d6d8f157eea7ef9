/* Attack module: exact pruning counts (global and per tensor), adaptive
 * scores find planted outliers and resets restore the median, the set-loss
 * gradient does not depend on the batch split, the margin gradient matches
 * finite differences, fine-tuning on a small fraction learns, and save_like
 * keeps the template's metadata. */
#include <math.h>
#include <string.h>

#include "encryip/attack.h"
#include "encryip/ckpt.h"
#include "test.h"

static eip_nn_net_t *tiny(eip_nn_ctx *ctx, uint64_t seed)
{
    eip_error err = {0};
    eip_nn_arch a;
    memset(&a, 0, sizeof a);
    snprintf(a.zoo, sizeof a.zoo, "smallcnn");
    a.c_in = 1;
    a.h = a.w = 28;
    a.k = 10;
    a.width = 0.25;
    eip_nn_net_t *net = NULL;
    REQUIRE(eip_nn_net_zoo(ctx, &a, &net, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_nn_init_params(net, seed, &err) == EIP_OK, "%s", err.msg);
    return net;
}

static void test_prune(eip_nn_ctx *ctx)
{
    eip_error err = {0};
    eip_nn_net_t *net = tiny(ctx, 1);
    int64_t np = 0, total = 0, pruned = 0;
    float *p = eip_nn_params(net, &np);
    float *orig = malloc((size_t)np * sizeof(float));
    memcpy(orig, p, (size_t)np * sizeof(float));
    for (int64_t i = 0; i < eip_nn_tensor_count(net); i++) {
        const eip_nn_tensor *t = eip_nn_tensor_at(net, i);
        if (t->kind == EIP_NN_TENSOR_PARAM && t->ndim >= 2)
            total += t->count;
    }
    REQUIRE(eip_attack_prune(net, 0.5, EIP_ATTACK_PRUNE_GLOBAL, &pruned, &err) == EIP_OK, "%s", err.msg);
    CHECK(pruned == (int64_t)llround(0.5 * (double)total), "pruned %lld of %lld", (long long)pruned, (long long)total);
    int64_t zeros = 0;
    float kept_min = INFINITY, cut_max = 0;
    for (int64_t i = 0; i < eip_nn_tensor_count(net); i++) {
        const eip_nn_tensor *t = eip_nn_tensor_at(net, i);
        if (t->kind != EIP_NN_TENSOR_PARAM)
            continue;
        for (int64_t j = 0; j < t->count; j++) {
            float v = p[t->offset + j], o = orig[t->offset + j];
            if (t->ndim < 2) {
                CHECK(v == o, "%s changed by pruning", t->name);
                continue;
            }
            if (v == 0.0f && o != 0.0f) {
                zeros++;
                cut_max = fmaxf(cut_max, fabsf(o));
            } else {
                CHECK(v == o, "%s[%lld] altered", t->name, (long long)j);
                kept_min = fminf(kept_min, fabsf(o));
            }
        }
    }
    CHECK(zeros == pruned, "zeros %lld", (long long)zeros);
    CHECK(cut_max <= kept_min, "pruned a larger weight (%g) than one kept (%g)", (double)cut_max, (double)kept_min);
    /* Per tensor: each conv/linear weight tensor loses exactly round(r*count). */
    memcpy(p, orig, (size_t)np * sizeof(float));
    REQUIRE(eip_attack_prune(net, 0.3, EIP_ATTACK_PRUNE_LAYER, &pruned, &err) == EIP_OK, "%s", err.msg);
    for (int64_t i = 0; i < eip_nn_tensor_count(net); i++) {
        const eip_nn_tensor *t = eip_nn_tensor_at(net, i);
        if (t->kind != EIP_NN_TENSOR_PARAM || t->ndim < 2)
            continue;
        int64_t z = 0;
        for (int64_t j = 0; j < t->count; j++)
            z += p[t->offset + j] == 0.0f;
        CHECK(z == (int64_t)llround(0.3 * (double)t->count), "%s: %lld zeros", t->name, (long long)z);
    }
    memcpy(p, orig, (size_t)np * sizeof(float));
    REQUIRE(eip_attack_prune(net, 0.0, EIP_ATTACK_PRUNE_GLOBAL, &pruned, &err) == EIP_OK && pruned == 0, "r=0");
    CHECK(!memcmp(p, orig, (size_t)np * sizeof(float)), "ratio 0 changed the model");
    REQUIRE(eip_attack_prune(net, 1.0, EIP_ATTACK_PRUNE_GLOBAL, &pruned, &err) == EIP_OK && pruned == total, "r=1");
    CHECK(eip_attack_prune(net, 1.5, EIP_ATTACK_PRUNE_GLOBAL, &pruned, &err) == EIP_ERR_ARG &&
              strstr(err.msg, "ratio"), "bad ratio: %s", err.msg);
    free(orig);
    eip_nn_net_free(net);
}

static void test_adaptive(eip_nn_ctx *ctx, const eip_data_set *train)
{
    eip_error err = {0};
    eip_nn_net_t *net = tiny(ctx, 2);
    int64_t np = 0;
    float *p = eip_nn_params(net, &np);
    const eip_nn_tensor *fc = eip_nn_tensor_find(net, "fc2.weight");
    REQUIRE(fc != NULL, "fc2.weight");
    p[fc->offset + 3] = 100.0f; /* planted outlier */
    float *sc = malloc((size_t)np * sizeof(float));
    int64_t idx[2];
    REQUIRE(eip_attack_adaptive_scores(net, EIP_ATTACK_SCORE_ZSCORE, NULL, NULL, 0, NULL, 64, sc, &err) == EIP_OK,
            "%s", err.msg);
    REQUIRE(eip_attack_adaptive_reset(net, sc, 1, EIP_ATTACK_RESET_MEDIAN, idx, &err) == EIP_OK, "%s", err.msg);
    CHECK(idx[0] == fc->offset + 3, "zscore found %lld", (long long)idx[0]);
    CHECK(fabsf(p[fc->offset + 3]) < 1.0f, "reset to the median: %g", (double)p[fc->offset + 3]);
    /* GAIN / COMBINED need data; scores are finite and non-negative. */
    eip_data_set sub = {0};
    REQUIRE(eip_data_set_subset_first(train, 64, &sub, &err) == EIP_OK, "%s", err.msg);
    float *x = malloc((size_t)(64 * 784) * sizeof(float));
    for (int64_t i = 0; i < 64 * 784; i++)
        x[i] = ((float)sub.pixels[i] / 255.0f - 0.286f) / 0.353f;
    eip_train_targets hard = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    CHECK(eip_attack_adaptive_scores(net, EIP_ATTACK_SCORE_GAIN, NULL, NULL, 0, &hard, 64, sc, &err) == EIP_ERR_ARG,
          "gain without data accepted");
    REQUIRE(eip_attack_adaptive_scores(net, EIP_ATTACK_SCORE_COMBINED, x, sub.labels, 64, &hard, 64, sc, &err) ==
                EIP_OK, "%s", err.msg);
    int ok = 1;
    for (int64_t i = 0; i < np; i++)
        ok &= isfinite(sc[i]) && sc[i] >= 0.0f && sc[i] <= 4.0f;
    CHECK(ok, "combined scores out of [0, 4]");
    /* The set gradient is a mean: the batch split does not matter. */
    double l1 = 0, l2 = 0;
    REQUIRE(eip_train_loss_eval(net, x, sub.labels, 64, &hard, 64, EIP_TRAIN_GRAD_ALL, &l1, NULL, &err) == EIP_OK,
            "%s", err.msg);
    float *g1 = malloc((size_t)np * sizeof(float));
    memcpy(g1, eip_nn_grads(net, NULL), (size_t)np * sizeof(float));
    REQUIRE(eip_train_loss_eval(net, x, sub.labels, 64, &hard, 16, EIP_TRAIN_GRAD_ALL, &l2, NULL, &err) == EIP_OK,
            "%s", err.msg);
    const float *g2 = eip_nn_grads(net, NULL);
    double maxd = 0, maxg = 0;
    for (int64_t i = 0; i < np; i++) {
        maxd = fmax(maxd, fabs((double)g1[i] - g2[i]));
        maxg = fmax(maxg, fabs((double)g1[i]));
    }
    CHECK_CLOSE(l1, l2, 1e-5, 1e-4, "loss %g vs %g", l1, l2);
    CHECK(maxd <= 1e-4 * maxg + 1e-7, "grad split mismatch %g (max %g)", maxd, maxg);
    free(g1);
    free(x);
    free(sc);
    eip_data_set_free(&sub);
    eip_nn_net_free(net);
}

/* Mean over the rows of (runner-up logit - label logit), the rows all right. */
static double mean_neg_margin(eip_nn_net_t *net, const float *x, const int32_t *ids, int64_t n,
                              float *logits /* [N, 10] */)
{
    eip_error err = {0};
    REQUIRE(eip_nn_forward(net, x, n, EIP_NN_EVAL, logits, &err) == EIP_OK, "%s", err.msg);
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        const float *z = logits + i * 10;
        float r = -INFINITY;
        for (int c = 0; c < 10; c++)
            if (c != ids[i] && z[c] > r)
                r = z[c];
        m += (double)r - z[ids[i]];
    }
    return m / (double)n;
}

/* EIP_TRAIN_GRAD_MARGIN vs central differences of the mean negative margin,
 * on labels = the net's own answers (every row right, so every row counts). */
static void test_margin_grad(eip_nn_ctx *ctx, const eip_data_set *train)
{
    eip_error err = {0};
    eip_nn_net_t *net = tiny(ctx, 5);
    const int64_t n = 32;
    float *x = malloc((size_t)(n * 784) * sizeof(float));  /* [N, 1, 28, 28] */
    float *logits = malloc((size_t)(n * 10) * sizeof(float)); /* [N, 10] */
    int32_t ids[32];
    for (int64_t i = 0; i < n * 784; i++)
        x[i] = ((float)train->pixels[i] / 255.0f - 0.286f) / 0.353f;
    REQUIRE(eip_nn_forward(net, x, n, EIP_NN_EVAL, logits, &err) == EIP_OK, "%s", err.msg);
    for (int64_t i = 0; i < n; i++) {
        ids[i] = 0;
        for (int c = 1; c < 10; c++)
            if (logits[i * 10 + c] > logits[i * 10 + ids[i]])
                ids[i] = c;
    }
    eip_train_targets hard = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    int64_t correct = 0;
    REQUIRE(eip_train_loss_eval(net, x, ids, n, &hard, 16, EIP_TRAIN_GRAD_MARGIN, NULL, &correct, &err) ==
                EIP_OK, "%s", err.msg);
    CHECK(correct == n, "own answers: %lld of %lld right", (long long)correct, (long long)n);
    int64_t np = 0;
    float *p = eip_nn_params(net, &np);
    const float *g = eip_nn_grads(net, NULL);
    /* the 6 largest |g| (smaller ones drown in fp32 forward noise) */
    int64_t top[6] = {-1, -1, -1, -1, -1, -1};
    for (int64_t i = 0; i < np; i++)
        for (int t = 0; t < 6; t++)
            if (top[t] < 0 || fabsf(g[i]) > fabsf(g[top[t]])) {
                memmove(top + t + 1, top + t, (size_t)(5 - t) * sizeof top[0]);
                top[t] = i;
                break;
            }
    float *gc = malloc((size_t)np * sizeof(float));
    memcpy(gc, g, (size_t)np * sizeof(float));
    for (int t = 0; t < 6; t++) {
        const int64_t i = top[t];
        const float w = p[i], h = 1e-3f * fmaxf(1.0f, fabsf(w));
        p[i] = w + h;
        eip_nn_mark_dirty(net);
        const double mp = mean_neg_margin(net, x, ids, n, logits);
        p[i] = w - h;
        eip_nn_mark_dirty(net);
        const double mm = mean_neg_margin(net, x, ids, n, logits);
        p[i] = w;
        eip_nn_mark_dirty(net);
        const double fd = (mp - mm) / (2.0 * (double)h);
        CHECK_CLOSE(gc[i], fd, 2e-3, 5e-2, "margin grad param %lld: %g vs finite difference %g", (long long)i,
                    (double)gc[i], fd);
    }
    free(gc);
    free(logits);
    free(x);
    eip_nn_net_free(net);
}

static void test_finetune_and_save(eip_nn_ctx *ctx, const eip_data_set *train, const eip_data_set *test)
{
    eip_error err = {0};
    eip_nn_net_t *net = tiny(ctx, 3);
    const float mean[1] = {0.286f}, std[1] = {0.353f};
    eip_data_set slice = {0};
    REQUIRE(eip_data_set_subset_first(test, 300, &slice, &err) == EIP_OK, "%s", err.msg);
    double before = 0, after = 0;
    REQUIRE(eip_train_evaluate(net, &slice, mean, std, 100, &before, &err) == EIP_OK, "%s", err.msg);
    eip_attack_finetune_config fc = eip_attack_finetune_config_default();
    fc.fraction = 0.01;
    fc.epochs = 2;
    fc.lr = 0.05;
    int64_t used = 0;
    eip_train_targets hard = {EIP_TRAIN_TARGET_HARD, 0, 0, NULL};
    REQUIRE(eip_attack_finetune(net, train, mean, std, &hard, &fc, &used, NULL, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_train_evaluate(net, &slice, mean, std, 100, &after, &err) == EIP_OK, "%s", err.msg);
    printf("fine-tune on %lld images: %.3f -> %.3f\n", (long long)used, before, after);
    CHECK(used == 600, "subset %lld", (long long)used);
    CHECK(after >= 0.4 && after > before + 0.2, "fine-tuning did not learn: %.3f -> %.3f", before, after);
    fc.fraction = 0.0;
    CHECK(eip_attack_finetune(net, train, mean, std, &hard, &fc, &used, NULL, &err) == EIP_ERR_ARG, "fraction 0");

    const char *tpl = EIP_BINARY_DIR "/attack_tpl.st", *out = EIP_BINARY_DIR "/attack_out.st";
    const eip_ckpt_meta meta[] = {{"norm.mean", "0.286"}, {"train.dataset", "fashion-mnist"}};
    REQUIRE(eip_nn_save_meta(net, tpl, meta, 2, &err) == EIP_OK, "%s", err.msg);
    const eip_ckpt_meta extra[] = {{"train.dataset", "mnist"}, {"attack.kind", "prune"}};
    REQUIRE(eip_attack_save_like(net, tpl, out, extra, 2, &err) == EIP_OK, "%s", err.msg);
    eip_ckpt_reader_t *r = NULL;
    REQUIRE(eip_ckpt_reader_open(&r, out, &err) == EIP_OK, "%s", err.msg);
    const char *v1 = eip_ckpt_reader_meta(r, "norm.mean"), *v2 = eip_ckpt_reader_meta(r, "train.dataset"),
               *v3 = eip_ckpt_reader_meta(r, "attack.kind");
    CHECK(v1 && !strcmp(v1, "0.286") && v2 && !strcmp(v2, "mnist") && v3 && !strcmp(v3, "prune"), "metadata");
    eip_ckpt_reader_free(r);
    remove(tpl);
    remove(out);
    eip_data_set_free(&slice);
    eip_nn_net_free(net);
}

int main(void)
{
    eip_error err = {0};
    eip_nn_ctx ctx = {0};
    REQUIRE(eip_nn_ctx_init(&ctx, 2, &err) == EIP_OK, "%s", err.msg);
    eip_data_set train = {0}, test = {0};
    REQUIRE(eip_data_fashion_mnist_load(NULL, &train, &test, &err) == EIP_OK, "%s", err.msg);
    test_prune(&ctx);
    test_adaptive(&ctx, &train);
    test_margin_grad(&ctx, &train);
    test_finetune_and_save(&ctx, &train, &test);
    eip_data_set_free(&train);
    eip_data_set_free(&test);
    eip_nn_ctx_free(&ctx);
    TEST_MAIN_END();
}
