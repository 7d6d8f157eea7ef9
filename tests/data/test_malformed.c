/* Table-driven malformed inputs for every reader, generated into a temp dir.
 * Each case must give the expected status and a message naming the file and
 * the reason. */
#include <stdint.h>
#include <string.h>

#include "data/data_tutil.h"
#include "encryip/data.h"

enum kind { K_IDX_LABELS, K_IDX_IMAGES, K_MNIST_JSON, K_CIFAR10, K_CIFAR100, K_CIFAR100_COARSE, K_GTSRB_CSV, K_GTSRB_PPM };

typedef struct tcase {
    const char *what;
    enum kind kind;
    unsigned char *data; /* owned */
    size_t len;
    eip_status want;
    const char *reason; /* substring of the message */
} tcase;

static tcase cases[128];
static int ncases;

static void add(const char *what, enum kind k, const void *data, size_t len, eip_status want,
                const char *reason)
{
    REQUIRE(ncases < 128, "too many cases");
    tcase *c = &cases[ncases++];
    c->what = what;
    c->kind = k;
    c->data = malloc(len ? len : 1);
    memcpy(c->data, data, len);
    c->len = len;
    c->want = want;
    c->reason = reason;
}
static void add_str(const char *what, enum kind k, const char *s, eip_status want, const char *reason)
{
    add(what, k, s, strlen(s), want, reason);
}

/* idx file: magic bytes, dims, then `data_len` bytes of value `fill`. */
static unsigned char *idx_make(int type, int ndims, const uint32_t *dims, size_t data_len, int fill,
                               size_t *len)
{
    *len = 4 + 4 * (size_t)ndims + data_len;
    unsigned char *b = malloc(*len);
    b[0] = 0;
    b[1] = 0;
    b[2] = (unsigned char)type;
    b[3] = (unsigned char)ndims;
    for (int i = 0; i < ndims; i++)
        tu_put_be32(b + 4 + 4 * i, dims[i]);
    memset(b + 4 + 4 * (size_t)ndims, fill, data_len);
    return b;
}

static void build_idx_cases(void)
{
    size_t len, glen;
    uint32_t d1[1] = {5};
    unsigned char *b = idx_make(8, 1, d1, 5, 3, &len);
    add("idx1 ok-sized but wrong type byte", K_IDX_LABELS, (unsigned char[]){0, 0, 9, 1, 0, 0, 0, 1, 0}, 9,
        EIP_ERR_FORMAT, "bad idx magic");
    add("idx1 declared as 3 dims", K_IDX_LABELS, (unsigned char[]){0, 0, 8, 3, 0, 0, 0, 1, 0}, 9,
        EIP_ERR_FORMAT, "bad idx magic");
    add("idx1 too short", K_IDX_LABELS, b, 2, EIP_ERR_FORMAT, "too short");
    add("idx1 truncated header", K_IDX_LABELS, b, 6, EIP_ERR_FORMAT, "truncated idx header");
    add("idx1 count > data", K_IDX_LABELS, b, len - 1, EIP_ERR_FORMAT, "header promises 5");
    unsigned char *big = malloc(len + 3);
    memcpy(big, b, len);
    memset(big + len, 0, 3);
    add("idx1 count < data", K_IDX_LABELS, big, len + 3, EIP_ERR_FORMAT, "header promises 5");
    free(big);
    b[8 + 2] = 10;
    add("idx1 label out of range", K_IDX_LABELS, b, len, EIP_ERR_FORMAT, "label 10 at index 2");
    b[8 + 2] = 3;
    unsigned char *gz = tu_gzip(b, len, &glen);
    add("idx1 truncated gzip", K_IDX_LABELS, gz, glen - 6, EIP_ERR_FORMAT, "truncated gzip");
    unsigned char *gz2 = malloc(glen + 4);
    memcpy(gz2, gz, glen);
    memcpy(gz2 + glen, "junk", 4);
    add("idx1 gzip + trailing garbage", K_IDX_LABELS, gz2, glen + 4, EIP_ERR_FORMAT, "trailing garbage");
    gz2[12] ^= 0xff;
    gz2[13] ^= 0xff;
    add("idx1 corrupt gzip", K_IDX_LABELS, gz2, glen, EIP_ERR_FORMAT, "gzip");
    free(gz2);
    free(gz);
    free(b);

    uint32_t d3[3] = {2, 28, 28};
    b = idx_make(8, 3, d3, 2 * 784, 7, &len);
    add("idx3 truncated data", K_IDX_IMAGES, b, len - 100, EIP_ERR_FORMAT, "header promises 1568");
    b[3] = 1;
    add("idx3 with idx1 magic", K_IDX_IMAGES, b, len, EIP_ERR_FORMAT, "bad idx magic");
    b[3] = 3;
    tu_put_be32(b + 8, 0);
    add("idx3 zero rows", K_IDX_IMAGES, b, len, EIP_ERR_FORMAT, "dimension 1 is 0");
    tu_put_be32(b + 8, 100000);
    add("idx3 absurd rows", K_IDX_IMAGES, b, len, EIP_ERR_FORMAT, "dimension 1 is 100000");
    tu_put_be32(b + 8, 28);
    tu_put_be32(b + 4, 0xffffffffu);
    add("idx3 absurd count", K_IDX_IMAGES, b, len, EIP_ERR_FORMAT, "exceeds the cap");
    tu_put_be32(b + 4, 2);
    gz = tu_gzip(b, len, &glen);
    add("idx3 truncated gzip", K_IDX_IMAGES, gz, glen / 2, EIP_ERR_FORMAT, "truncated gzip");
    free(gz);
    add("idx3 empty file", K_IDX_IMAGES, b, 0, EIP_ERR_FORMAT, "too short");
    free(b);
}

static void build_json_cases(void)
{
    add_str("json not JSON", K_MNIST_JSON, "{\"data\": [0, 0.5,", EIP_ERR_FORMAT, "not valid JSON");
    add_str("json top-level array", K_MNIST_JSON, "[0, 1]", EIP_ERR_FORMAT, "expected an object");
    add_str("json no data key", K_MNIST_JSON, "{\"pixels\": []}", EIP_ERR_FORMAT, "expected an object");
    add_str("json data not array", K_MNIST_JSON, "{\"data\": \"x\"}", EIP_ERR_FORMAT, "expected an object");
    add_str("json empty data", K_MNIST_JSON, "{\"data\": []}", EIP_ERR_FORMAT, "not a positive multiple of 784");
    /* 783 values: not a multiple of 784; then 784 with one bad value each. */
    char *s = malloc(784 * 8 + 64);
    for (int bad = 0; bad < 5; bad++) {
        int count = bad == 0 ? 783 : 784;
        char *p = s + sprintf(s, "{\"data\": [");
        for (int i = 0; i < count; i++) {
            const char *v = "0.25";
            if (i == 100 && bad == 1)
                v = "1.5";
            if (i == 100 && bad == 2)
                v = "-0.1";
            if (i == 100 && bad == 3)
                v = "\"0.3\"";
            if (i == 100 && bad == 4)
                v = "null";
            p += sprintf(p, "%s%s", i ? "," : "", v);
        }
        sprintf(p, "]}");
        static const char *const what[5] = {"json 783 values", "json value 1.5", "json value -0.1",
                                            "json string value", "json null value"};
        add_str(what[bad], K_MNIST_JSON, s, EIP_ERR_FORMAT,
                bad == 0 ? "783 values" : bad <= 2 ? "out of range" : "not a number");
    }
    free(s);
}

static void build_cifar_cases(void)
{
    unsigned char rec[2 * 3074];
    memset(rec, 1, sizeof rec);
    add("cifar10 empty", K_CIFAR10, rec, 0, EIP_ERR_FORMAT, "not a positive multiple of the 3073");
    add("cifar10 partial record", K_CIFAR10, rec, 3073 + 100, EIP_ERR_FORMAT, "3073-byte");
    add("cifar100 record size of cifar10", K_CIFAR100, rec, 3073, EIP_ERR_FORMAT, "3074-byte");
    rec[3073] = 10;
    add("cifar10 label 10", K_CIFAR10, rec, 2 * 3073, EIP_ERR_FORMAT, "record 1 has label 10");
    rec[3073] = 1;
    rec[3074 + 1] = 100;
    add("cifar100 fine label 100", K_CIFAR100, rec, 2 * 3074, EIP_ERR_FORMAT, "fine label 100");
    rec[3074 + 1] = 1;
    rec[0] = 20;
    add("cifar100 coarse label 20", K_CIFAR100_COARSE, rec, 2 * 3074, EIP_ERR_FORMAT, "coarse label 20");
}

static const char csv_hdr[] = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n";

static void build_gtsrb_cases(void)
{
    add_str("csv missing Roi.X1", K_GTSRB_CSV, "Filename;Width;Height;Roi.Y1;Roi.X2;Roi.Y2;ClassId\na.ppm;4;4;0;4;4;1\n",
            EIP_ERR_FORMAT, "lacks the column Roi.X1");
    add_str("csv missing ClassId", K_GTSRB_CSV, "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2\na.ppm;4;4;0;0;4;4\n",
            EIP_ERR_FORMAT, "no ClassId column");
    char buf[512];
    snprintf(buf, sizeof buf, "%sa.ppm;4;4;0;0;4\n", csv_hdr);
    add_str("csv short row", K_GTSRB_CSV, buf, EIP_ERR_FORMAT, "line 2 has 6 fields, the header has 8");
    snprintf(buf, sizeof buf, "%sa.ppm;4;4;0;0;5;4;1\n", csv_hdr);
    add_str("csv ROI outside", K_GTSRB_CSV, buf, EIP_ERR_FORMAT, "not inside the 4x4 image");
    snprintf(buf, sizeof buf, "%sa.ppm;4;4;2;0;2;4;1\n", csv_hdr);
    add_str("csv empty ROI", K_GTSRB_CSV, buf, EIP_ERR_FORMAT, "not inside");
    snprintf(buf, sizeof buf, "%sa.ppm;4;4;0;0;4;4;43\n", csv_hdr);
    add_str("csv ClassId 43", K_GTSRB_CSV, buf, EIP_ERR_FORMAT, "ClassId");
    snprintf(buf, sizeof buf, "%sa.ppm;four;4;0;0;4;4;1\n", csv_hdr);
    add_str("csv non-numeric width", K_GTSRB_CSV, buf, EIP_ERR_FORMAT, "not an integer");
    snprintf(buf, sizeof buf, "%s../a.ppm;4;4;0;0;4;4;1\n", csv_hdr);
    add_str("csv path in filename", K_GTSRB_CSV, buf, EIP_ERR_FORMAT, "bad Filename");
    add_str("csv empty", K_GTSRB_CSV, "", EIP_ERR_FORMAT, "lacks the column");
    snprintf(buf, sizeof buf, "%sb.ppm;4;4;0;0;4;4;1\n", csv_hdr);
    add_str("csv names a missing image", K_GTSRB_CSV, buf, EIP_ERR_IO, "cannot open");
    snprintf(buf, sizeof buf, "%sa.ppm;5;4;0;0;4;4;1\n", csv_hdr);
    add_str("csv size differs from ppm", K_GTSRB_CSV, buf, EIP_ERR_FORMAT, "image is 4x4 but");

    unsigned char ppm[128];
    int h = sprintf((char *)ppm, "P6\n4 4\n255\n");
    memset(ppm + h, 9, 48);
    add("ppm P5 magic", K_GTSRB_PPM, "P5\n4 4\n255\n", 11, EIP_ERR_FORMAT, "magic is not P6");
    add_str("ppm no maxval", K_GTSRB_PPM, "P6\n4 4\n", EIP_ERR_FORMAT, "truncated before maxval");
    add_str("ppm 16-bit", K_GTSRB_PPM, "P6\n4 4\n65535\n", EIP_ERR_FORMAT, "maxval 65535");
    add_str("ppm zero width", K_GTSRB_PPM, "P6\n0 4\n255\n", EIP_ERR_FORMAT, "empty image");
    add_str("ppm huge width", K_GTSRB_PPM, "P6\n99999999 4\n255\n", EIP_ERR_FORMAT, "width larger than");
    add_str("ppm letters", K_GTSRB_PPM, "P6\nab 4\n255\n", EIP_ERR_FORMAT, "width is not a number");
    add("ppm truncated raster", K_GTSRB_PPM, ppm, (size_t)h + 47, EIP_ERR_FORMAT, "raster has 47 bytes");
    add("ppm extra raster", K_GTSRB_PPM, ppm, (size_t)h + 49, EIP_ERR_FORMAT, "raster has 49 bytes");
    h = sprintf((char *)ppm, "P6\n4 4\n15\n");
    memset(ppm + h, 16, 48);
    add("ppm sample > maxval", K_GTSRB_PPM, ppm, (size_t)h + 48, EIP_ERR_FORMAT, "exceeds maxval 15");
}

/* Valid tiny files used alongside the bad one. */
static void write_valid_ppm(const char *dir, const char *name)
{
    unsigned char ppm[128];
    int h = sprintf((char *)ppm, "P6\n# comment\n4 4\n255\n");
    memset(ppm + h, 200, 48);
    char path[512];
    tu_write(dir, name, ppm, (size_t)h + 48, path, sizeof path);
}

static eip_status run_case(const tcase *c, const char *root, int idx, char *file, size_t cap,
                           eip_error *err)
{
    char dir[512], path[512];
    snprintf(dir, sizeof dir, "%s/case%03d", root, idx);
    tu_mkdir(dir);
    eip_data_set ds;
    eip_status st;
    switch (c->kind) {
    case K_IDX_LABELS: {
        tu_write(dir, "labels.idx1", c->data, c->len, file, cap);
        int32_t *lab = (int32_t *)1;
        int64_t n = -1;
        st = eip_data_idx_labels_load(file, 10, &lab, &n, err);
        CHECK(st == EIP_OK || (lab == NULL && n == 0), "%s: outputs reset on error", c->what);
        if (st == EIP_OK)
            free(lab);
        return st;
    }
    case K_IDX_IMAGES: {
        tu_write(dir, "images.idx3", c->data, c->len, file, cap);
        uint8_t *px = (uint8_t *)1;
        int64_t n;
        int32_t h, w;
        st = eip_data_idx_images_load(file, &px, &n, &h, &w, err);
        CHECK(st == EIP_OK || px == NULL, "%s: outputs reset on error", c->what);
        if (st == EIP_OK)
            free(px);
        return st;
    }
    case K_MNIST_JSON: {
        /* A complete digits dir whose 3.json is the bad file. */
        char one[64];
        for (int d = 0; d < 10; d++) {
            snprintf(one, sizeof one, "%d.json", d);
            if (d == 3) {
                tu_write(dir, one, c->data, c->len, file, cap);
                continue;
            }
            char *s = malloc(784 * 2 + 32), *p = s + sprintf(s, "{\"data\":[");
            for (int i = 0; i < 784; i++)
                p += sprintf(p, "%s0", i ? "," : "");
            sprintf(p, "]}");
            tu_write(dir, one, s, strlen(s), path, sizeof path);
            free(s);
        }
        eip_data_set te;
        st = eip_data_mnist_load(dir, &ds, &te, err);
        if (st == EIP_OK) {
            eip_data_set_free(&ds);
            eip_data_set_free(&te);
        }
        return st;
    }
    case K_CIFAR10:
    case K_CIFAR100:
    case K_CIFAR100_COARSE:
        tu_write(dir, "batch.bin", c->data, c->len, file, cap);
        st = eip_data_cifar_file_load(file,
                                      c->kind == K_CIFAR10    ? EIP_DATA_CIFAR10
                                      : c->kind == K_CIFAR100 ? EIP_DATA_CIFAR100_FINE
                                                              : EIP_DATA_CIFAR100_COARSE,
                                      &ds, err);
        CHECK(st == EIP_OK || ds.pixels == NULL, "%s: output zeroed", c->what);
        eip_data_set_free(&ds);
        return st;
    case K_GTSRB_CSV:
        write_valid_ppm(dir, "a.ppm");
        tu_write(dir, "GT.csv", c->data, c->len, path, sizeof path);
        snprintf(file, cap, "%s", strstr(c->reason, "cannot open") ? "b.ppm" : path);
        st = eip_data_gtsrb_csv_load(path, 32, &ds, err);
        eip_data_set_free(&ds);
        return st;
    case K_GTSRB_PPM: {
        char csv[256];
        snprintf(csv, sizeof csv, "%sa.ppm;4;4;0;0;4;4;1\n", csv_hdr);
        tu_write(dir, "GT.csv", csv, strlen(csv), path, sizeof path);
        tu_write(dir, "a.ppm", c->data, c->len, file, cap);
        st = eip_data_gtsrb_csv_load(path, 32, &ds, err);
        eip_data_set_free(&ds);
        return st;
    }
    }
    return EIP_ERR_ARG;
}

int main(void)
{
    char root[] = "/tmp/eip_test_data_bad_XXXXXX";
    REQUIRE(mkdtemp(root) != NULL, "mkdtemp");
    build_idx_cases();
    build_json_cases();
    build_cifar_cases();
    build_gtsrb_cases();
    for (int i = 0; i < ncases; i++) {
        const tcase *c = &cases[i];
        eip_error err = {0};
        char file[512] = "";
        eip_status st = run_case(c, root, i, file, sizeof file, &err);
        CHECK(st == c->want, "%s: status %s, want %s (%s)", c->what, eip_status_name(st),
              eip_status_name(c->want), err.msg);
        CHECK(strstr(err.msg, file) != NULL, "%s: message does not name %s: %s", c->what, file, err.msg);
        CHECK(strstr(err.msg, c->reason) != NULL, "%s: message lacks \"%s\": %s", c->what, c->reason,
              err.msg);
        free(c->data);
    }
    printf("%d malformed cases\n", ncases);

    /* Missing files are IO errors naming the file. */
    eip_error err = {0};
    eip_data_set tr, te;
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nothing-here", root);
    CHECK(eip_data_fashion_mnist_load(missing, &tr, &te, &err) == EIP_ERR_IO &&
              strstr(err.msg, "train-images-idx3-ubyte.gz"),
          "%s", err.msg);
    CHECK(eip_data_mnist_load(missing, &tr, &te, &err) == EIP_ERR_IO && strstr(err.msg, "0.json"), "%s", err.msg);
    CHECK(eip_data_cifar_load(missing, EIP_DATA_CIFAR10, &tr, &te, &err) == EIP_ERR_IO &&
              strstr(err.msg, "data_batch_1.bin"),
          "%s", err.msg);
    CHECK(eip_data_gtsrb_train_load(missing, 32, &tr, &err) == EIP_ERR_IO && strstr(err.msg, "Final_Training"),
          "%s", err.msg);
    CHECK(eip_data_load_by_name("imagenet", NULL, &tr, &te, &err) == EIP_ERR_ARG && strstr(err.msg, "imagenet"),
          "%s", err.msg);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0, "cleanup");
    TEST_MAIN_END();
}
