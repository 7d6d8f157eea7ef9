/* Loader and dataset invariants: seeded order, epoch coverage, drop_last,
 * augmentation (crop + flip) correctness, normalisation on the real
 * Fashion-MNIST training set, subsets, concatenation, noise images, PRNG. */
#include <stdint.h>
#include <string.h>

#include "encryip/data.h"
#include "test.h"

static eip_data_set small_set(int64_t n, int32_t c, int32_t h, int32_t w, uint64_t seed)
{
    eip_data_set ds;
    eip_error err = {0};
    REQUIRE(eip_data_noise_generate("toy", n, c, h, w, 10, seed, &ds, &err) == EIP_OK, "%s", err.msg);
    return ds;
}

/* Order of one epoch, through the public batch API (labels are unique ids). */
static void epoch_order(eip_data_loader *L, const eip_data_set *ds, int64_t epoch, int64_t *order)
{
    eip_data_loader_epoch_begin(L, epoch);
    for (int64_t i = 0; i < ds->n; i++)
        order[i] = eip_data_loader_order_at(L, i);
}

static void rng(void)
{
    eip_data_rng a, b;
    eip_data_rng_seed(&a, 42);
    eip_data_rng_seed(&b, 42);
    int same = 1, inrange = 1;
    for (int i = 0; i < 1000; i++) {
        same &= eip_data_rng_next(&a) == eip_data_rng_next(&b);
        inrange &= eip_data_rng_below(&a, 7) < 7 && eip_data_rng_below(&b, 7) < 7;
        double u = eip_data_rng_uniform(&a);
        eip_data_rng_uniform(&b);
        inrange &= u >= 0 && u < 1;
    }
    CHECK(same && inrange, "rng deterministic and in range");
    eip_data_rng_seed(&b, 43);
    CHECK(eip_data_rng_next(&a) != eip_data_rng_next(&b), "seeds differ");
    /* below() is roughly uniform: 60000 draws over 6 buckets. */
    int64_t hist[6] = {0};
    for (int i = 0; i < 60000; i++)
        hist[eip_data_rng_below(&a, 6)]++;
    for (int k = 0; k < 6; k++)
        CHECK(hist[k] > 9500 && hist[k] < 10500, "bucket %d: %lld", k, (long long)hist[k]);
}

static void order(void)
{
    eip_data_set ds = small_set(103, 1, 4, 4, 1);
    for (int64_t i = 0; i < ds.n; i++)
        ds.labels[i] = (int32_t)(i % 10);
    eip_data_loader_cfg cfg = {.batch_size = 10, .seed = 7, .shuffle = 1};
    eip_data_loader *L1, *L2, *L3;
    eip_error err = {0};
    REQUIRE(eip_data_loader_init(&L1, &ds, &cfg, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_loader_init(&L2, &ds, &cfg, &err) == EIP_OK, "%s", err.msg);
    cfg.seed = 8;
    REQUIRE(eip_data_loader_init(&L3, &ds, &cfg, &err) == EIP_OK, "%s", err.msg);
    int64_t o1[103], o2[103], o3[103], o1e1[103];
    epoch_order(L1, &ds, 0, o1);
    epoch_order(L2, &ds, 0, o2);
    epoch_order(L3, &ds, 0, o3);
    CHECK(!memcmp(o1, o2, sizeof o1), "same seed, same order");
    CHECK(memcmp(o1, o3, sizeof o1) != 0, "different seed, different order");
    epoch_order(L1, &ds, 1, o1e1);
    CHECK(memcmp(o1, o1e1, sizeof o1) != 0, "different epochs, different order");
    epoch_order(L1, &ds, 0, o2);
    CHECK(!memcmp(o1, o2, sizeof o1), "epoch 0 reproducible after epoch 1");

    /* Every index exactly once per epoch; batches 10,...,10,3; then b = 0. */
    float x[10 * 16];
    int32_t y[10];
    for (int e = 0; e < 3; e++) {
        int seen[103] = {0};
        int64_t b, total = 0, batches = 0;
        eip_data_loader_epoch_begin(L1, e);
        CHECK(eip_data_loader_num_batches(L1) == 11, "11 batches");
        while (eip_data_loader_next(L1, x, y, &b, &err) == EIP_OK && b > 0) {
            CHECK(b == (batches < 10 ? 10 : 3), "batch %lld has %lld rows", (long long)batches, (long long)b);
            for (int64_t i = 0; i < b; i++) {
                int64_t id = eip_data_loader_order_at(L1, total + i);
                seen[id]++;
                CHECK(y[i] == ds.labels[id], "label follows its image");
                /* No augmentation, no normalisation: x = pixel / 255 exactly. */
                CHECK(x[i * 16 + 5] == ds.pixels[id * 16 + 5] / 255.0f, "pixel value");
            }
            total += b;
            batches++;
        }
        CHECK(total == 103 && batches == 11, "epoch %d: %lld samples", e, (long long)total);
        int once = 1;
        for (int i = 0; i < 103; i++)
            once &= seen[i] == 1;
        CHECK(once, "epoch %d: every index exactly once", e);
    }
    /* Random access equals sequential. */
    float x2[10 * 16];
    int32_t y2[10];
    int64_t b, b2;
    eip_data_loader_epoch_begin(L1, 5);
    for (int k = 0; k < 4; k++)
        eip_data_loader_next(L1, x, y, &b, &err);
    eip_data_loader_batch(L1, 3, x2, y2, &b2, &err);
    CHECK(b == b2 && !memcmp(x, x2, sizeof x) && !memcmp(y, y2, sizeof y), "batch(3) == 4th next()");
    eip_data_loader_free(L1);
    eip_data_loader_free(L2);
    eip_data_loader_free(L3);

    /* drop_last and no shuffle. */
    cfg = (eip_data_loader_cfg){.batch_size = 10, .seed = 7, .drop_last = 1};
    REQUIRE(eip_data_loader_init(&L1, &ds, &cfg, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_data_loader_num_batches(L1) == 10, "drop_last: 10 batches");
    int64_t total = 0;
    while (eip_data_loader_next(L1, x, y, &b, &err) == EIP_OK && b > 0) {
        CHECK(b == 10, "full batches only");
        total += b;
    }
    CHECK(total == 100, "drop_last drops 3");
    int ident = 1;
    for (int64_t i = 0; i < ds.n; i++)
        ident &= eip_data_loader_order_at(L1, i) == i;
    CHECK(ident, "shuffle off keeps dataset order");
    eip_data_loader_free(L1);

    cfg.batch_size = 0;
    CHECK(eip_data_loader_init(&L1, &ds, &cfg, &err) == EIP_ERR_ARG && strstr(err.msg, "batch size"), "%s",
          err.msg);
    cfg.batch_size = 4;
    cfg.normalize = 1; /* std 0 */
    CHECK(eip_data_loader_init(&L1, &ds, &cfg, &err) == EIP_ERR_ARG && strstr(err.msg, "std"), "%s", err.msg);
    eip_data_set_free(&ds);
}

/* Returns how many (dy, dx, flip) explain out [C,H,W] from src [C,H,W]. */
static int explanations(const uint8_t *src, const float *out, int C, int H, int W, int pad)
{
    int count = 0;
    for (int flip = 0; flip < 2; flip++)
        for (int dy = 0; dy <= 2 * pad; dy++)
            for (int dx = 0; dx <= 2 * pad; dx++) {
                int ok = 1;
                for (int c = 0; c < C && ok; c++)
                    for (int oy = 0; oy < H && ok; oy++)
                        for (int ox = 0; ox < W && ok; ox++) {
                            int sy = oy + dy - pad, sx = (flip ? W - 1 - ox : ox) + dx - pad;
                            int v = (sy >= 0 && sy < H && sx >= 0 && sx < W) ? src[(c * H + sy) * W + sx] : 0;
                            ok = out[(c * H + oy) * W + ox] == v / 255.0f;
                        }
                count += ok;
            }
    return count;
}

static void augment(void)
{
    const int C = 3, H = 8, W = 8, N = 40;
    eip_data_set ds = small_set(N, C, H, W, 3);
    for (int i = 0; i < N * C * H * W; i++)
        ds.pixels[i] |= 1; /* no zero pixels: padding is recognisable */
    eip_data_loader_cfg cfg = {.batch_size = 16, .seed = 11, .shuffle = 1, .crop_pad = 2, .hflip = 1};
    eip_data_loader *L;
    eip_error err = {0};
    REQUIRE(eip_data_loader_init(&L, &ds, &cfg, &err) == EIP_OK, "%s", err.msg);
    float x[16 * 3 * 8 * 8];
    int32_t y[16];
    int64_t b, pos = 0;
    int flipped = 0, shifted = 0, unique = 1;
    while (eip_data_loader_next(L, x, y, &b, &err) == EIP_OK && b > 0) {
        for (int64_t i = 0; i < b; i++, pos++) {
            int64_t id = eip_data_loader_order_at(L, pos);
            const uint8_t *src = ds.pixels + id * C * H * W;
            const float *out = x + i * C * H * W;
            CHECK(y[i] == ds.labels[id], "label kept under augmentation");
            unique &= explanations(src, out, C, H, W, 2) == 1;
            flipped += explanations(src, out, C, H, W, 0) == 0; /* not the plain image */
            shifted += out[0] == 0.0f || out[W - 1] == 0.0f || out[(H - 1) * W] == 0.0f;
        }
    }
    CHECK(pos == N, "all images");
    CHECK(unique, "every output is exactly one crop/flip of its source image");
    CHECK(flipped > 5 && shifted > 5, "augmentation happens (%d changed, %d padded)", flipped, shifted);
    eip_data_loader_free(L);

    /* Same seed -> same augmented batch; digits refuse flips. */
    eip_data_loader *L2;
    REQUIRE(eip_data_loader_init(&L, &ds, &cfg, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_loader_init(&L2, &ds, &cfg, &err) == EIP_OK, "%s", err.msg);
    float x2[16 * 3 * 8 * 8];
    int32_t y2[16];
    eip_data_loader_next(L, x, y, &b, &err);
    eip_data_loader_next(L2, x2, y2, &b, &err);
    CHECK(!memcmp(x, x2, sizeof x) && !memcmp(y, y2, sizeof y), "augmentation is deterministic");
    eip_data_loader_free(L);
    eip_data_loader_free(L2);
    ds.flags |= EIP_DATA_FLAG_NO_HFLIP;
    CHECK(eip_data_loader_init(&L, &ds, &cfg, &err) == EIP_ERR_ARG && strstr(err.msg, "flip"), "%s", err.msg);

    /* Defaults by name. */
    ds.flags = 0;
    snprintf(ds.name, sizeof ds.name, "cifar10/train");
    CHECK(eip_data_loader_cfg_default(&cfg, &ds, 128, 1, &err) == EIP_OK && cfg.crop_pad == 4 && cfg.hflip &&
              cfg.normalize && cfg.shuffle && !cfg.drop_last,
          "cifar defaults");
    snprintf(ds.name, sizeof ds.name, "gtsrb/train");
    CHECK(eip_data_loader_cfg_default(&cfg, &ds, 128, 1, &err) == EIP_OK && cfg.crop_pad == 4 && !cfg.hflip,
          "gtsrb defaults");
    eip_data_set_free(&ds);
}

static void normalisation(void)
{
    eip_data_set tr;
    eip_error err = {0};
    REQUIRE(eip_data_fashion_mnist_load(NULL, &tr, NULL, &err) == EIP_OK, "%s", err.msg);
    eip_data_loader_cfg cfg;
    REQUIRE(eip_data_loader_cfg_default(&cfg, &tr, 1000, 5, &err) == EIP_OK, "%s", err.msg);
    CHECK(cfg.crop_pad == 0 && !cfg.hflip, "no augmentation for fashion-mnist");
    /* Known Fashion-MNIST statistics (the usual 0.2860 / 0.3530). */
    CHECK_CLOSE(cfg.mean[0], 0.2860, 1e-3, 0, "mean %g", cfg.mean[0]);
    CHECK_CLOSE(cfg.std[0], 0.3530, 1e-3, 0, "std %g", cfg.std[0]);
    eip_data_loader *L;
    REQUIRE(eip_data_loader_init(&L, &tr, &cfg, &err) == EIP_OK, "%s", err.msg);
    float *x = malloc(sizeof *x * 1000 * 784);
    int32_t y[1000];
    int64_t b;
    double s = 0, s2 = 0, cnt = 0;
    while (eip_data_loader_next(L, x, y, &b, &err) == EIP_OK && b > 0)
        for (int64_t i = 0; i < b * 784; i++) {
            s += x[i];
            s2 += (double)x[i] * x[i];
            cnt++;
        }
    double m = s / cnt, sd = sqrt(s2 / cnt - m * m);
    CHECK(cnt == 60000.0 * 784, "all pixels");
    CHECK_CLOSE(m, 0.0, 1e-5, 0, "normalised mean %g", m);
    CHECK_CLOSE(sd, 1.0, 1e-5, 0, "normalised std %g", sd);
    free(x);
    eip_data_loader_free(L);
    eip_data_set_free(&tr);
}

static void subsets(void)
{
    eip_data_set ds = small_set(1000, 1, 2, 2, 9), a, b, c;
    for (int64_t i = 0; i < ds.n; i++)
        ds.labels[i] = (int32_t)(i % 10);
    eip_error err = {0};
    REQUIRE(eip_data_set_subset_first(&ds, 10, &a, &err) == EIP_OK, "%s", err.msg);
    CHECK(a.n == 10 && !memcmp(a.pixels, ds.pixels, 40) && a.labels[9] == 9, "first k");
    eip_data_set_free(&a);
    CHECK(eip_data_set_subset_first(&ds, 1001, &a, &err) == EIP_ERR_RANGE, "k > n refused");

    const double fr[3] = {0.01, 0.05, 0.10};
    for (int k = 0; k < 3; k++) {
        REQUIRE(eip_data_set_subset_fraction(&ds, fr[k], 77, &a, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_data_set_subset_fraction(&ds, fr[k], 77, &b, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_data_set_subset_fraction(&ds, fr[k], 78, &c, &err) == EIP_OK, "%s", err.msg);
        CHECK(a.n == (int64_t)lround(fr[k] * 1000), "fraction %g: %lld", fr[k], (long long)a.n);
        CHECK(!memcmp(a.pixels, b.pixels, (size_t)a.n * 4), "same seed same subset");
        CHECK(memcmp(a.pixels, c.pixels, (size_t)a.n * 4) != 0, "other seed other subset");
        eip_data_set_free(&a);
        eip_data_set_free(&b);
        eip_data_set_free(&c);
    }
    CHECK(eip_data_set_subset_fraction(&ds, 1.5, 1, &a, &err) == EIP_ERR_RANGE, "fraction > 1");

    /* Concat: content in order, num_classes = max, shape mismatch refused. */
    eip_data_set noise;
    REQUIRE(eip_data_noise_generate("noise", 5, 1, 2, 2, 12, 4, &noise, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_set_concat(&ds, &noise, &a, &err) == EIP_OK, "%s", err.msg);
    CHECK(a.n == 1005 && a.num_classes == 12 && !memcmp(a.pixels + 4000, noise.pixels, 20) &&
              a.labels[1004] == noise.labels[4] && a.labels[999] == 9,
          "concat");
    CHECK(eip_data_set_validate(&a, &err) == EIP_OK, "%s", err.msg);
    eip_data_set_free(&a);
    eip_data_set_free(&noise);
    REQUIRE(eip_data_noise_generate("noise", 5, 3, 2, 2, 10, 4, &noise, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_data_set_concat(&ds, &noise, &a, &err) == EIP_ERR_SHAPE && strstr(err.msg, "noise"), "%s", err.msg);
    eip_data_set_free(&noise);

    /* Noise: deterministic, seed-dependent, uniform-ish, labels in range. */
    REQUIRE(eip_data_noise_generate("v", 100, 3, 32, 32, 10, 1, &a, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_noise_generate("v", 100, 3, 32, 32, 10, 1, &b, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_noise_generate("v", 100, 3, 32, 32, 10, 2, &c, &err) == EIP_OK, "%s", err.msg);
    CHECK(!memcmp(a.pixels, b.pixels, 307200) && !memcmp(a.labels, b.labels, 400), "noise deterministic");
    CHECK(memcmp(a.pixels, c.pixels, 307200) != 0, "noise depends on the seed");
    double mean[3], sd[3];
    CHECK(eip_data_set_channel_stats(&a, mean, sd, &err) == EIP_OK, "%s", err.msg);
    for (int k = 0; k < 3; k++) {
        CHECK_CLOSE(mean[k], 0.5, 0.01, 0, "noise mean %g", mean[k]);
        CHECK_CLOSE(sd[k], 0.2898, 0.01, 0, "noise std %g (uniform: 1/sqrt(12))", sd[k]);
    }
    CHECK(eip_data_set_validate(&a, &err) == EIP_OK, "labels in range");
    eip_data_set_free(&a);
    eip_data_set_free(&b);
    eip_data_set_free(&c);
    CHECK(eip_data_noise_generate("v", 10, 0, 32, 32, 10, 1, &a, &err) == EIP_ERR_SHAPE, "bad shape");
    CHECK(eip_data_set_init(&a, "huge", (int64_t)1 << 40, 3, 32, 32, 10, &err) == EIP_ERR_RANGE, "cap");
    eip_data_set_free(&ds);
}

int main(void)
{
    rng();
    order();
    augment();
    normalisation();
    subsets();
    TEST_MAIN_END();
}
