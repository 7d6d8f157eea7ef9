/* Losses and argmax/accuracy helpers.
 * Tier 1: loss values and gradients vs PyTorch 1.13 float32 (tests/ref/train/losses.txt,
 *         tools/gen_train_refs.py).  Tolerance: loss 1e-6 relative; gradient entries
 *         |a - b| <= 1e-6 |b| + 1e-7 max|grad| (tiny softmax tails carry no relative meaning).
 * Tier 2: central finite differences (computed in double from the library's loss) on
 *         small random inputs vs the analytic gradient. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/nn.h"
#include "encryip/train.h"
#include "ref_file.h"
#include "test.h"

#define MAXK 64

static double max_abs(const double *v, long n)
{
    double m = 0;
    for (long i = 0; i < n; i++)
        m = fmax(m, fabs(v[i]));
    return m;
}

static double max_abs_f(const float *v, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)v[i]));
    return m;
}

static double max_diff_f(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i] - (double)b[i]));
    return m;
}

/* Compares one loss case from the reference file. kind: 0 hard, 1 soft, 2 block. */
static void check_ref_case(const ref_file *r, const char *name, int kind)
{
    char key[64];
    snprintf(key, sizeof key, "%s.shape", name);
    const double *shape = ref_get(r, key, kind == 2 ? 3 : 2);
    REQUIRE(shape, "%s shape", name);
    const int64_t n = (int64_t)shape[0], k = (int64_t)shape[1];
    const int64_t blocks = kind == 2 ? (int64_t)shape[2] : 1;
    REQUIRE(n * k <= 4 * MAXK, "%s size", name);
    snprintf(key, sizeof key, "%s.logits", name);
    const double *xl = ref_get(r, key, (long)(n * k));
    snprintf(key, sizeof key, "%s.loss", name);
    const double *lref = ref_get(r, key, 1);
    snprintf(key, sizeof key, "%s.grad", name);
    const double *gref = ref_get(r, key, (long)(n * k));
    snprintf(key, sizeof key, kind == 0 ? "%s.labels" : "%s.targets", name);
    const double *tv = ref_get(r, key, kind == 0 ? (long)n : (long)(n * k));
    REQUIRE(xl && lref && gref && tv, "%s entries", name);

    float x[4 * MAXK], t[4 * MAXK], g[4 * MAXK], loss = 0, loss2 = 0;
    int32_t lab[4];
    for (int64_t i = 0; i < n * k; i++) {
        x[i] = (float)xl[i];
        if (kind)
            t[i] = (float)tv[i];
    }
    if (!kind)
        for (int64_t i = 0; i < n; i++)
            lab[i] = (int32_t)tv[i];
    eip_error err = {0};
    eip_status st;
    if (kind == 0)
        st = eip_train_loss_ce_hard(x, lab, n, k, &loss, g, &err);
    else if (kind == 1)
        st = eip_train_loss_ce_soft(x, t, n, k, &loss, g, &err);
    else
        st = eip_train_loss_ce_block(x, t, n, k, blocks, &loss, g, &err);
    REQUIRE(st == EIP_OK, "%s: %s", name, err.msg);
    CHECK_CLOSE(loss, lref[0], 0, 1e-6, "%s loss %.9g vs torch %.9g", name, loss, lref[0]);
    const double gmax = max_abs(gref, (long)(n * k));
    double worst = 0;
    for (int64_t i = 0; i < n * k; i++) {
        CHECK_CLOSE(g[i], gref[i], 1e-7 * gmax, 1e-6, "%s grad[%lld] %.9g vs torch %.9g", name,
                    (long long)i, g[i], gref[i]);
        worst = fmax(worst, fabs(g[i] - gref[i]) / gmax);
    }
    printf("%s: loss %.9g (torch %.9g), max grad error %.2g of max|grad|\n", name, loss, lref[0],
           worst);
    /* The loss-only path gives the same value. */
    if (kind == 0)
        st = eip_train_loss_ce_hard(x, lab, n, k, &loss2, NULL, &err);
    else
        st = eip_train_loss_ce_block(x, t, n, k, blocks, &loss2, NULL, &err);
    CHECK(st == EIP_OK && loss2 == loss, "%s: loss without gradient", name);
}

/* xorshift64*, uniform in [-1, 1). */
static double rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static eip_status eval(int kind, const float *x, const int32_t *lab, const float *t, int64_t n,
                       int64_t k, int64_t blocks, float *loss, float *g)
{
    eip_error err = {0};
    if (kind == 0)
        return eip_train_loss_ce_hard(x, lab, n, k, loss, g, &err);
    if (kind == 1)
        return eip_train_loss_ce_soft(x, t, n, k, loss, g, &err);
    return eip_train_loss_ce_block(x, t, n, k, blocks, loss, g, &err);
}

/* Tier 2: d loss / d x by central differences, h = 2^-7 (exact in float). */
static void check_fd(int kind, uint64_t seed)
{
    const int64_t n = 3, blocks = kind == 2 ? 3 : 1, k = kind == 2 ? 12 : 7;
    float x[3 * 12], t[3 * 12], g[3 * 12];
    int32_t lab[3];
    uint64_t s = seed;
    for (int64_t i = 0; i < n * k; i++)
        x[i] = (float)(2.0 * rnd(&s));
    for (int64_t i = 0; i < n; i++)
        lab[i] = (int32_t)((rnd(&s) + 1.0) * 0.5 * (double)k) % (int32_t)k;
    for (int64_t i = 0; i < n * k; i++)
        t[i] = (float)(0.5 * (rnd(&s) + 1.0) / (double)(k / blocks));
    float l0;
    REQUIRE(eval(kind, x, lab, t, n, k, blocks, &l0, g) == EIP_OK, "fd base");
    const double h = 1.0 / 128.0;
    double worst = 0;
    for (int64_t i = 0; i < n * k; i++) {
        const float keep = x[i];
        float lp, lm;
        x[i] = (float)(keep + h);
        REQUIRE(eval(kind, x, lab, t, n, k, blocks, &lp, NULL) == EIP_OK, "fd +");
        x[i] = (float)(keep - h);
        REQUIRE(eval(kind, x, lab, t, n, k, blocks, &lm, NULL) == EIP_OK, "fd -");
        x[i] = keep;
        const double fd = ((double)lp - (double)lm) / (2.0 * h);
        CHECK_CLOSE(g[i], fd, 2e-4, 1e-3, "kind %d grad[%lld] analytic %.7g vs fd %.7g", kind,
                    (long long)i, g[i], fd);
        worst = fmax(worst, fabs(g[i] - fd));
    }
    printf("fd kind %d: max |analytic - fd| = %.2g\n", kind, worst);
}

static void check_misc(void)
{
    eip_error err = {0};
    float x[6] = {1, 2, 3, 4, 5, 6}, g[6], loss;
    int32_t lab[2] = {0, 3};
    CHECK(eip_train_loss_ce_hard(x, lab, 2, 3, &loss, g, &err) == EIP_ERR_RANGE, "label 3 of K=3");
    CHECK(strstr(err.msg, "label[1]") != NULL, "names the label: %s", err.msg);
    float t[6] = {0};
    CHECK(eip_train_loss_ce_block(x, t, 1, 6, 4, &loss, g, &err) == EIP_ERR_SHAPE, "6 into 4 blocks");
    CHECK(eip_train_loss_ce_soft(x, t, 0, 6, &loss, g, &err) == EIP_ERR_SHAPE, "N = 0");
    CHECK(eip_train_loss_ce_soft(NULL, t, 1, 6, &loss, g, &err) == EIP_ERR_ARG, "NULL logits");

    /* Extreme logits stay finite: loss = log(1 + e^-1000) ~ 0, grad ~ 0. */
    float big[2] = {1000.0f, -1000.0f};
    int32_t l0 = 0;
    CHECK(eip_train_loss_ce_hard(big, &l0, 1, 2, &loss, g, &err) == EIP_OK && loss == 0.0f &&
              g[0] == 0.0f && g[1] == 0.0f, "huge logits: loss %g", loss);
    l0 = 1;
    CHECK(eip_train_loss_ce_hard(big, &l0, 1, 2, &loss, g, &err) == EIP_OK && loss == 2000.0f &&
              g[0] == 1.0f && g[1] == -1.0f, "huge wrong logits: loss %g", loss);

    /* Block CE of one-hot blocks equals the sum of per-block hard CEs. */
    float y[9] = {0.3f, -1.0f, 2.0f, 0.1f, 0.2f, 0.3f, 5.0f, -2.0f, 1.0f};
    float ty[9] = {0, 0, 1, 1, 0, 0, 0, 1, 0};
    int32_t lb[3] = {2, 0, 1};
    float lblock, lhard, sum = 0;
    CHECK(eip_train_loss_ce_block(y, ty, 1, 9, 3, &lblock, NULL, &err) == EIP_OK, "block");
    for (int b = 0; b < 3; b++) {
        CHECK(eip_train_loss_ce_hard(y + 3 * b, lb + b, 1, 3, &lhard, NULL, &err) == EIP_OK, "hard");
        sum += lhard;
    }
    CHECK_CLOSE(lblock, sum, 0, 1e-6, "block %g = sum of hard %g", lblock, sum);

    /* Targets as table rows by label id (the trainer's path, no per-image
     * copy): bit-identical to the [N, K] form; a bad id is a range error. */
    {
        float tab[2 * 9] = {0, 0, 1, 1, 0, 0, 0, 1, 0, /**/ 0.5f, 0.5f, 0, 0, 0, 1, 0.2f, 0.3f, 0.5f};
        float yy[3 * 9], tt[3 * 9], g1[3 * 9], g2[3 * 9], l1, l2;
        int32_t ids[3] = {1, 0, 1}, bad[3] = {1, 2, 0};
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 9; j++) {
                yy[i * 9 + j] = y[j] * (float)(i + 1) - 0.25f * (float)j;
                tt[i * 9 + j] = tab[ids[i] * 9 + j];
            }
        CHECK(eip_train_loss_ce_block(yy, tt, 3, 9, 3, &l1, g1, &err) == EIP_OK, "block");
        CHECK(eip_train_loss_ce_block_ids(yy, tab, 2, ids, 3, 9, 3, &l2, g2, &err) == EIP_OK, "ids");
        CHECK(l1 == l2 && memcmp(g1, g2, sizeof g1) == 0, "ids form: loss %.9g vs %.9g", l2, l1);
        CHECK(eip_train_loss_ce_block_ids(yy, tab, 2, bad, 3, 9, 3, &l2, g2, &err) == EIP_ERR_RANGE &&
                  strstr(err.msg, "label id 2"),
              "bad id: %s", err.msg);
    }

    /* argmax: first maximum, per block; accuracy counts. */
    float a[2 * 6] = {1, 3, 3, 0, 0, -1, /**/ 9, 1, 2, 7, 8, 8};
    int32_t am[2], amb[2 * 2];
    CHECK(eip_train_argmax(a, 2, 6, am, &err) == EIP_OK && am[0] == 1 && am[1] == 0, "argmax");
    CHECK(eip_train_argmax_block(a, 2, 6, 2, amb, &err) == EIP_OK && amb[0] == 1 && amb[1] == 0 &&
              amb[2] == 0 && amb[3] == 1, "argmax per block %d %d %d %d", amb[0], amb[1], amb[2],
          amb[3]);
    int64_t rows = -1, hits = -1;
    int32_t want[2 * 2] = {1, 0, 0, 2};
    CHECK(eip_train_accuracy_block_count(a, want, 2, 6, 2, &rows, &hits, &err) == EIP_OK &&
              rows == 1 && hits == 3, "block accuracy rows %lld hits %lld", (long long)rows,
          (long long)hits);
    int32_t lab2[2] = {1, 3};
    CHECK(eip_train_accuracy_count(a, lab2, 2, 6, &rows, &err) == EIP_OK && rows == 1, "accuracy");
    CHECK(eip_train_argmax_block(a, 2, 6, 4, amb, &err) == EIP_ERR_SHAPE, "argmax 6 into 4 blocks");
    float nanrow[3] = {NAN, 1.0f, 2.0f};
    CHECK(eip_train_argmax(nanrow, 1, 3, am, &err) == EIP_OK && am[0] == 2, "NaN never wins");
}

/* The block path of the trainer (oneDNN softmax, then
 * eip_train_loss_ce_block_ids_probs) against the double-precision loop, at
 * the paper group's P = 1000 and P = 3 shapes (3 blocks of q = 1009 or 11,
 * 128 rows, plus a short last batch), logits spread over +-20 and one-hot or smoothed
 * targets, and one target logit 170 below its block's maximum (its float
 * probability underflows to 0; the loss must stay finite and exact): loss
 * within 1e-5 relative, every gradient within 1e-6 of max|grad| (float vs
 * double rounding), the loss-only call equal; the log-softmax kernel
 * agrees with log(softmax). */
static void check_probs_path(int64_t q)
{
    const int64_t blocks = 3, k = blocks * q, n_ids = 10, nmax = 128;
    float *x = malloc((size_t)(nmax * k) * sizeof *x), *tab = calloc((size_t)(n_ids * k), sizeof *tab);
    float *p = malloc((size_t)(nmax * k) * sizeof *p), *lp = malloc((size_t)(nmax * k) * sizeof *lp);
    float *g0 = malloc((size_t)(nmax * k) * sizeof *g0), *g1 = malloc((size_t)(nmax * k) * sizeof *g1);
    int32_t ids[128];
    REQUIRE(x && tab && p && lp && g0 && g1, "probs path: out of memory");
    uint64_t s = 77;
    for (int64_t i = 0; i < nmax * k; i++)
        x[i] = (float)(20.0 * rnd(&s));
    for (int64_t c = 0; c < n_ids; c++)
        for (int64_t b = 0; b < blocks; b++) {
            if (c % 2) /* smoothed: 0.9 on one entry, the rest spread */
                for (int64_t j = 0; j < q; j++)
                    tab[c * k + b * q + j] = (float)(0.1 / (double)(q - 1));
            tab[c * k + b * q + (c * 37 + b * 11) % q] = c % 2 ? 0.9f : 1.0f;
        }
    for (int64_t i = 0; i < nmax; i++)
        ids[i] = (int32_t)((i * 7) % n_ids);
    x[0] = -150.0f; /* row 0 (id 0, one-hot at j = 0 of block 0): p underflows */
    x[1] = 20.0f;
    eip_nn_ctx ctx;
    eip_error err = {0};
    REQUIRE(eip_nn_ctx_init(&ctx, 2, &err) == EIP_OK, "ctx: %s", err.msg);
    eip_nn_softmax_t *sm = NULL;
    REQUIRE(eip_nn_softmax_init(&sm, &ctx, nmax * blocks, q, &err) == EIP_OK, "softmax: %s", err.msg);
    const int64_t sizes[2] = {nmax, 37};
    for (int t = 0; t < 2; t++) {
        const int64_t n = sizes[t];
        float l0 = 0, l1 = 0, l2 = 0;
        REQUIRE(eip_train_loss_ce_block_ids(x, tab, n_ids, ids, n, k, blocks, &l0, g0, &err) == EIP_OK,
                "double path: %s", err.msg);
        REQUIRE(eip_nn_softmax_run(sm, x, n * blocks, p, lp, &err) == EIP_OK, "softmax run: %s", err.msg);
        REQUIRE(eip_train_loss_ce_block_ids_probs(x, p, tab, n_ids, ids, n, k, blocks, &l1, g1, &err) ==
                    EIP_OK, "probs path: %s", err.msg);
        REQUIRE(eip_train_loss_ce_block_ids_probs(x, p, tab, n_ids, ids, n, k, blocks, &l2, NULL, &err) ==
                    EIP_OK, "probs path, loss only: %s", err.msg);
        /* the log-softmax primitive against log(p) where p is not tiny: both kernels agree */
        double lworst = 0;
        for (int64_t i = 0; i < n * k; i++)
            if (p[i] > 1e-30f)
                lworst = fmax(lworst, fabs((double)lp[i] - log((double)p[i])));
        CHECK(lworst < 1e-4, "n = %lld: log-softmax vs log(softmax) differ by %.3g", (long long)n, lworst);
        CHECK(l1 == l2, "n = %lld: loss-only %.9g vs %.9g", (long long)n, l2, l1);
        CHECK_CLOSE(l1, l0, 0, 1e-5, "n = %lld: probs-path loss %.9g vs double %.9g", (long long)n, l1, l0);
        const double gmax = max_abs_f(g0, n * k), worst = max_diff_f(g1, g0, n * k);
        CHECK(worst <= 1e-6 * gmax, "n = %lld: gradient differs by %.3g (max |grad| %.3g)", (long long)n,
              worst, gmax);
        printf("probs path, n = %lld, K = 3 x %lld: loss %.9g vs %.9g, max grad diff %.2g of max|grad|\n",
               (long long)n, (long long)q, l1, l0, worst / gmax);
    }
    /* misuse: more rows than planned, a bad id */
    CHECK(eip_nn_softmax_run(sm, x, nmax * blocks + 1, p, lp, &err) == EIP_ERR_SHAPE, "rows > planned");
    ids[3] = (int32_t)n_ids;
    float l = 0;
    CHECK(eip_train_loss_ce_block_ids_probs(x, p, tab, n_ids, ids, 8, k, blocks, &l, g1, &err) ==
              EIP_ERR_RANGE, "bad label id refused");
    eip_nn_softmax_free(sm);
    eip_nn_ctx_free(&ctx);
    free(x);
    free(tab);
    free(p);
    free(lp);
    free(g0);
    free(g1);
}

/* The same for hard labels over a wide output (ristretto255 at P = 1000
 * and P = 3: K = z + V = 1010 or 58 classes): eip_train_loss_ce_hard_probs
 * against the double-precision eip_train_loss_ce_hard, one label 150 below
 * its row's maximum (probability underflows). */
static void check_hard_probs_path(int64_t k)
{
    const int64_t nmax = 128;
    float *x = malloc((size_t)(nmax * k) * sizeof *x), *p = malloc((size_t)(nmax * k) * sizeof *p);
    float *g0 = malloc((size_t)(nmax * k) * sizeof *g0), *g1 = malloc((size_t)(nmax * k) * sizeof *g1);
    int32_t lab[128];
    REQUIRE(x && p && g0 && g1, "hard probs path: out of memory");
    uint64_t s = 99;
    for (int64_t i = 0; i < nmax * k; i++)
        x[i] = (float)(15.0 * rnd(&s));
    for (int64_t i = 0; i < nmax; i++)
        lab[i] = (int32_t)((i * 131 + 7) % k);
    x[0 * k + lab[0]] = -150.0f;
    eip_nn_ctx ctx;
    eip_error err = {0};
    REQUIRE(eip_nn_ctx_init(&ctx, 2, &err) == EIP_OK, "ctx: %s", err.msg);
    eip_nn_softmax_t *sm = NULL;
    REQUIRE(eip_nn_softmax_init(&sm, &ctx, nmax, k, &err) == EIP_OK, "softmax: %s", err.msg);
    const int64_t sizes[2] = {nmax, 5};
    for (int t = 0; t < 2; t++) {
        const int64_t n = sizes[t];
        float l0 = 0, l1 = 0, l2 = 0;
        REQUIRE(eip_train_loss_ce_hard(x, lab, n, k, &l0, g0, &err) == EIP_OK, "double: %s", err.msg);
        REQUIRE(eip_nn_softmax_run(sm, x, n, p, NULL, &err) == EIP_OK, "softmax run: %s", err.msg);
        REQUIRE(eip_train_loss_ce_hard_probs(x, p, lab, n, k, &l1, g1, &err) == EIP_OK, "probs: %s", err.msg);
        REQUIRE(eip_train_loss_ce_hard_probs(x, p, lab, n, k, &l2, NULL, &err) == EIP_OK, "loss only: %s",
                err.msg);
        CHECK(l1 == l2, "hard n = %lld: loss-only %.9g vs %.9g", (long long)n, l2, l1);
        CHECK_CLOSE(l1, l0, 0, 1e-5, "hard n = %lld: probs-path loss %.9g vs double %.9g", (long long)n, l1, l0);
        const double gmax = max_abs_f(g0, n * k), worst = max_diff_f(g1, g0, n * k);
        CHECK(worst <= 1e-6 * gmax, "hard n = %lld: gradient differs by %.3g (max |grad| %.3g)",
              (long long)n, worst, gmax);
        printf("hard probs path, n = %lld, K = %lld: loss %.9g vs %.9g, max grad diff %.2g of max|grad|\n",
               (long long)n, (long long)k, l1, l0, worst / gmax);
    }
    lab[2] = (int32_t)k;
    float l = 0;
    CHECK(eip_train_loss_ce_hard_probs(x, p, lab, 4, k, &l, g1, &err) == EIP_ERR_RANGE, "bad label refused");
    eip_nn_softmax_free(sm);
    eip_nn_ctx_free(&ctx);
    free(x);
    free(p);
    free(g0);
    free(g1);
}

int main(void)
{
    ref_file r;
    REQUIRE(ref_file_load(&r, EIP_SOURCE_DIR "/tests/ref/train/losses.txt") == 0, "load losses.txt");
    check_ref_case(&r, "hard", 0);
    check_ref_case(&r, "soft", 1);
    check_ref_case(&r, "block", 2);
    ref_file_free(&r);
    for (int kind = 0; kind < 3; kind++)
        for (uint64_t seed = 1; seed <= 3; seed++)
            check_fd(kind, 0x9E3779B97F4A7C15ULL * seed);
    check_misc();
    check_probs_path(1009);
    check_probs_path(11);
    check_hard_probs_path(1010);
    check_hard_probs_path(58);
    TEST_MAIN_END();
}
