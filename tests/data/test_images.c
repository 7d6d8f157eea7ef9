/* Own data (docs/DATA.md "Your own images"): PNG / JPEG decoding, folder:
 * and npy: datasets written from real Fashion-MNIST images, and the
 * malformed-file table — every error names the file. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/image_fixtures.h"
#include "encryip/data.h"
#include "test.h"

static char tmp[256];

/* Loads `spec` by name and checks that it fails with a message containing
 * `needle` (the file) and `reason`. */
static void expect_fail(const char *spec, const char *needle, const char *reason)
{
    eip_data_set tr, te;
    eip_error err = {0};
    eip_status s = eip_data_load_by_name(spec, NULL, &tr, &te, &err);
    CHECK(s != EIP_OK, "%s: loaded", spec);
    CHECK(strstr(err.msg, needle) != NULL, "%s: message '%s' does not name '%s'", spec, err.msg, needle);
    CHECK(strstr(err.msg, reason) != NULL, "%s: message '%s' lacks '%s'", spec, err.msg, reason);
    CHECK(tr.n == 0 && tr.pixels == NULL, "%s: train left allocated", spec);
    if (s == EIP_OK) {
        eip_data_set_free(&tr);
        eip_data_set_free(&te);
    }
}

static void expect_input_fail(const char *path, const char *reason)
{
    eip_data_set ds;
    eip_error err = {0};
    eip_status s = eip_data_images_input_load(path, &ds, &err);
    CHECK(s != EIP_OK, "%s: loaded", path);
    CHECK(strstr(err.msg, path) != NULL, "%s: message '%s' does not name the file", path, err.msg);
    CHECK(strstr(err.msg, reason) != NULL, "%s: message '%s' lacks '%s'", path, err.msg, reason);
    if (s == EIP_OK)
        eip_data_set_free(&ds);
}

static void copy_file(const char *from, const char *to, long keep /* -1 = all */)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    REQUIRE(a && b, "copy %s -> %s", from, to);
    int ch;
    long k = 0;
    while ((keep < 0 || k < keep) && (ch = fgetc(a)) != EOF) {
        fputc(ch, b);
        k++;
    }
    fclose(a);
    fclose(b);
}

static void test_decoders(const eip_data_set *fm)
{
    char p[512];
    const uint8_t *img = fm->pixels; /* [1, 28, 28] */
    uint8_t rgba[28 * 28 * 4], ga[28 * 28 * 2];
    for (int i = 0; i < 784; i++) {
        rgba[4 * i] = img[i];
        rgba[4 * i + 1] = (uint8_t)(255 - img[i]);
        rgba[4 * i + 2] = (uint8_t)(i & 255);
        rgba[4 * i + 3] = i < 392 ? 255 : 0; /* bottom half transparent */
        ga[2 * i] = img[i];
        ga[2 * i + 1] = 255;
    }
    uint8_t *px;
    int32_t c, h, w;
    eip_error err = {0};
    snprintf(p, sizeof p, "%s/rgba.png", tmp);
    fx_png(p, rgba, 4, 28, 28);
    REQUIRE(eip_data_image_load(p, &px, &c, &h, &w, &err) == EIP_OK, "%s", err.msg);
    CHECK(c == 3 && h == 28 && w == 28, "rgba.png: %dx%dx%d", c, h, w);
    int ok = 1;
    for (int i = 0; i < 784; i++) {
        const int vis = i < 392;
        ok &= px[i] == (vis ? img[i] : 0) && px[784 + i] == (vis ? 255 - img[i] : 0) &&
              px[2 * 784 + i] == (vis ? (i & 255) : 0);
    }
    CHECK(ok, "rgba.png: planar RGB with alpha composited onto black");
    free(px);
    snprintf(p, sizeof p, "%s/ga.png", tmp);
    fx_png(p, ga, 2, 28, 28);
    REQUIRE(eip_data_image_load(p, &px, &c, &h, &w, &err) == EIP_OK, "%s", err.msg);
    CHECK(c == 1 && !memcmp(px, img, 784), "gray+alpha png: c=%d", c);
    free(px);
    /* palette PNG (expanded to RGB by libpng) */
    {
        png_image pi;
        memset(&pi, 0, sizeof pi);
        pi.version = PNG_IMAGE_VERSION;
        pi.width = pi.height = 4;
        pi.format = PNG_FORMAT_RGB_COLORMAP;
        pi.colormap_entries = 2;
        const uint8_t cmap[6] = {10, 20, 30, 200, 100, 50}, idx[16] = {0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1};
        snprintf(p, sizeof p, "%s/palette.png", tmp);
        REQUIRE(png_image_write_to_file(&pi, p, 0, idx, 0, cmap), "palette write: %s", pi.message);
        REQUIRE(eip_data_image_load(p, &px, &c, &h, &w, &err) == EIP_OK, "%s", err.msg);
        int pal_ok = c == 3 && h == 4 && w == 4;
        for (int i = 0; pal_ok && i < 16; i++)
            for (int k = 0; k < 3; k++)
                pal_ok &= px[k * 16 + i] == cmap[3 * idx[i] + k];
        CHECK(pal_ok, "palette.png: RGB from the palette (c=%d)", c);
        free(px);
    }
    /* JPEG: lossy, but close to the source */
    snprintf(p, sizeof p, "%s/gray.jpg", tmp);
    fx_jpeg(p, img, 1, 28, 28);
    REQUIRE(eip_data_image_load(p, &px, &c, &h, &w, &err) == EIP_OK, "%s", err.msg);
    double mad = 0;
    for (int i = 0; i < 784; i++)
        mad += abs((int)px[i] - (int)img[i]);
    CHECK(c == 1 && h == 28 && w == 28 && mad / 784 < 6.0, "gray.jpg: c=%d mean abs diff %.2f", c, mad / 784);
    free(px);
    uint8_t rgb[784 * 3];
    for (int i = 0; i < 784; i++)
        rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = img[i];
    snprintf(p, sizeof p, "%s/rgb.jpeg", tmp);
    fx_jpeg(p, rgb, 3, 28, 28);
    REQUIRE(eip_data_image_load(p, &px, &c, &h, &w, &err) == EIP_OK, "%s", err.msg);
    CHECK(c == 3, "rgb.jpeg: c=%d", c);
    free(px);
}

static void test_folder(const eip_data_set *fm_tr, const eip_data_set *fm_te)
{
    char dir[512], spec[600];
    /* 37 training and 11 test images: a count no named dataset has */
    const int ntr[3] = {13, 12, 12}, nte[3] = {4, 4, 3};
    int64_t png_idx[3];
    snprintf(dir, sizeof dir, "%s/fm", tmp);
    fx_tree(dir, fm_tr, fm_te, ntr, nte, png_idx);
    snprintf(spec, sizeof spec, "folder:%s", dir);
    eip_data_set tr, te;
    eip_error err = {0};
    REQUIRE(eip_data_load_by_name(spec, NULL, &tr, &te, &err) == EIP_OK, "%s", err.msg);
    CHECK(tr.n == 37 && te.n == 11, "folder: %lld train, %lld test", (long long)tr.n, (long long)te.n);
    CHECK(tr.c == 1 && tr.h == 28 && tr.w == 28 && tr.num_classes == 3 && te.num_classes == 3,
          "folder: %dx%dx%d, %d classes", tr.c, tr.h, tr.w, tr.num_classes);
    /* sorted class folders: boot 0, shirt 1, trouser 2; files in name order */
    CHECK(tr.labels[0] == 0 && tr.labels[13] == 1 && tr.labels[25] == 2 && te.labels[10] == 2,
          "folder: labels follow the sorted class folders");
    for (int k = 0, off = 0; k < 3; off += ntr[k], k++)
        CHECK(!memcmp(tr.pixels + (size_t)(off + 1) * 784, fm_tr->pixels + (size_t)png_idx[k] * 784, 784),
              "folder: PNG pixels of class %d equal the Fashion-MNIST source", k);
    eip_data_set_free(&tr);
    eip_data_set_free(&te);

    /* malformed trees: each copy differs from the good one by one file */
    char p[700], q[700];
    snprintf(dir, sizeof dir, "%s/bad", tmp);
    fx_tree(dir, fm_tr, fm_te, (const int[]){3, 3, 3}, (const int[]){1, 1, 1}, NULL);
    snprintf(spec, sizeof spec, "folder:%s", dir);
    snprintf(p, sizeof p, "%s/train/shirt/img001.png", dir);
    snprintf(q, sizeof q, "%s/shirt1.keep", tmp);
    REQUIRE(rename(p, q) == 0, "rename");
    copy_file(q, p, 100); /* truncated PNG */
    expect_fail(spec, p, "PNG");
    FILE *fp = fopen(p, "wb");
    fputs("this is text, not an image\n", fp);
    fclose(fp);
    expect_fail(spec, p, "not a PNG file");
    REQUIRE(rename(q, p) == 0, "rename back");
    /* truncated JPEG */
    snprintf(p, sizeof p, "%s/train/boot/img000.jpg", dir);
    snprintf(q, sizeof q, "%s/boot0.keep", tmp);
    copy_file(p, q, -1);
    copy_file(q, p, 200);
    expect_fail(spec, p, "JPEG");
    copy_file(q, p, -1);
    /* mixed sizes */
    uint8_t big[32 * 32] = {0};
    snprintf(p, sizeof p, "%s/train/trouser/zz_big.png", dir);
    fx_png(p, big, 1, 32, 32);
    expect_fail(spec, p, "same size");
    remove(p);
    /* empty class folder; a test class train does not have */
    snprintf(p, sizeof p, "%s/train/zebra", dir);
    fx_mkdir(p);
    expect_fail(spec, p, "empty class folder");
    rmdir(p);
    snprintf(p, sizeof p, "%s/test/zebra", dir);
    fx_mkdir(p);
    snprintf(q, sizeof q, "%s/test/zebra/a.png", dir);
    fx_png(q, big, 1, 28, 28);
    expect_fail(spec, p, "no folder in the train split");
    remove(q);
    rmdir(p);
    /* a stray non-image file */
    snprintf(p, sizeof p, "%s/train/boot/notes.txt", dir);
    fp = fopen(p, "wb");
    fclose(fp);
    expect_fail(spec, p, "not a .png");
    remove(p);
    REQUIRE(eip_data_load_by_name(spec, NULL, &tr, &te, &err) == EIP_OK, "bad tree restored: %s", err.msg);
    CHECK(tr.n == 9 && te.n == 3, "restored tree: %lld + %lld", (long long)tr.n, (long long)te.n);
    eip_data_set_free(&tr);
    eip_data_set_free(&te);
    snprintf(spec, sizeof spec, "folder:%s/none", tmp);
    expect_fail(spec, "none", "not a directory");

    /* --input forms: one PNG, a folder of them */
    eip_data_set ds;
    snprintf(p, sizeof p, "%s/fm/test/shirt", tmp);
    REQUIRE(eip_data_images_input_load(p, &ds, &err) == EIP_OK, "%s", err.msg);
    CHECK(ds.n == 4 && ds.c == 1, "input folder: %lld images", (long long)ds.n);
    eip_data_set_free(&ds);
    snprintf(p, sizeof p, "%s/fm/train/boot/img001.png", tmp);
    REQUIRE(eip_data_images_input_load(p, &ds, &err) == EIP_OK, "%s", err.msg);
    CHECK(ds.n == 1 && !memcmp(ds.pixels, fm_tr->pixels + (size_t)png_idx[0] * 784, 784), "input png");
    eip_data_set_free(&ds);
    snprintf(p, sizeof p, "%s/textfile.png", tmp);
    fp = fopen(p, "wb");
    fputs("hello\n", fp);
    fclose(fp);
    expect_input_fail(p, "not a PNG file");
}

static void test_npy(const eip_data_set *fm_tr, const eip_data_set *fm_te)
{
    char p[600], spec[600];
    /* uint8 (N, H, W) train with int64 labels, float32 (N, C, H, W) test with uint8 labels */
    const int ntr = 21, nte = 5;
    int64_t ytr[21];
    uint8_t yte[5];
    float *xte = malloc((size_t)nte * 784 * sizeof *xte);
    for (int i = 0; i < ntr; i++)
        ytr[i] = fm_tr->labels[i];
    for (int i = 0; i < nte; i++)
        yte[i] = (uint8_t)fm_te->labels[i];
    for (int i = 0; i < nte * 784; i++)
        xte[i] = (float)fm_te->pixels[i] / 255.0f;
    snprintf(p, sizeof p, "%s/fm_x.npy", tmp);
    fx_npy(p, "|u1", 0, "(21, 28, 28)", fm_tr->pixels, (size_t)ntr * 784);
    snprintf(p, sizeof p, "%s/fm_y.npy", tmp);
    fx_npy(p, "<i8", 0, "(21,)", ytr, sizeof ytr);
    snprintf(p, sizeof p, "%s/fm_test_x.npy", tmp);
    fx_npy(p, "<f4", 0, "(5, 1, 28, 28)", xte, (size_t)nte * 784 * sizeof *xte);
    snprintf(p, sizeof p, "%s/fm_test_y.npy", tmp);
    fx_npy(p, "|u1", 0, "(5,)", yte, sizeof yte);
    snprintf(spec, sizeof spec, "npy:%s/fm", tmp);
    eip_data_set tr, te;
    eip_error err = {0};
    REQUIRE(eip_data_load_by_name(spec, NULL, &tr, &te, &err) == EIP_OK, "%s", err.msg);
    CHECK(tr.n == 21 && te.n == 5 && tr.c == 1 && te.h == 28, "npy: %lld + %lld", (long long)tr.n,
          (long long)te.n);
    CHECK(!memcmp(tr.pixels, fm_tr->pixels, 21 * 784) && !memcmp(te.pixels, fm_te->pixels, 5 * 784),
          "npy: pixels equal the source (float32 round-trips exactly)");
    int lab_ok = 1, maxl = 0;
    for (int i = 0; i < ntr; i++) {
        lab_ok &= tr.labels[i] == fm_tr->labels[i];
        maxl = fm_tr->labels[i] > maxl ? fm_tr->labels[i] : maxl;
    }
    for (int i = 0; i < nte; i++)
        maxl = fm_te->labels[i] > maxl ? fm_te->labels[i] : maxl;
    CHECK(lab_ok && tr.num_classes == maxl + 1, "npy: labels, %d classes", tr.num_classes);
    eip_data_set_free(&tr);
    eip_data_set_free(&te);
    /* .npy as --input */
    snprintf(p, sizeof p, "%s/fm_test_x.npy", tmp);
    eip_data_set ds;
    REQUIRE(eip_data_images_input_load(p, &ds, &err) == EIP_OK, "%s", err.msg);
    CHECK(ds.n == 5 && ds.c == 1 && ds.h == 28, "npy input");
    eip_data_set_free(&ds);

    /* malformed: each case rewrites one file of prefix bad */
    struct {
        const char *file, *descr, *shape, *reason;
        int fortran;
        size_t bytes;
    } bad[] = {
        {"bad_x.npy", "<f8", "(21, 28, 28)", "dtype '<f8'", 0, 21 * 784 * 8},
        {"bad_x.npy", "|u1", "(21, 784)", "want (N, C, H, W)", 0, 21 * 784},
        {"bad_x.npy", "|u1", "(21, 28, 28)", "Fortran-order", 1, 21 * 784},
        {"bad_x.npy", "|u1", "(21, 28, 28, 3)", "channels-last", 0, 21 * 784 * 3},
        {"bad_x.npy", "|u1", "(21, 28, 28)", "needs 16464 data bytes", 0, 20 * 784},
        {"bad_y.npy", "<f4", "(21,)", "dtype '<f4'", 0, 21 * 4},
        {"bad_y.npy", "<i8", "(21, 1)", "want (N,)", 0, 21 * 8},
        {"bad_y.npy", "<i8", "(20,)", "20 labels", 0, 20 * 8},
        {"bad_x.npy", ">f4", "(21, 28, 28)", "dtype '>f4'", 0, 21 * 784 * 4},
    };
    uint8_t *zero = calloc(21 * 784 * 8, 1);
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        snprintf(p, sizeof p, "%s/bad_x.npy", tmp);
        fx_npy(p, "|u1", 0, "(21, 28, 28)", zero, 21 * 784);
        snprintf(p, sizeof p, "%s/bad_y.npy", tmp);
        fx_npy(p, "<i8", 0, "(21,)", zero, 21 * 8);
        snprintf(p, sizeof p, "%s/%s", tmp, bad[k].file);
        fx_npy(p, bad[k].descr, bad[k].fortran, bad[k].shape, zero, bad[k].bytes);
        snprintf(spec, sizeof spec, "npy:%s/bad", tmp);
        expect_fail(spec, p, bad[k].reason);
    }
    /* no test split */
    snprintf(p, sizeof p, "%s/bad_x.npy", tmp);
    fx_npy(p, "|u1", 0, "(21, 28, 28)", zero, 21 * 784);
    snprintf(p, sizeof p, "%s/bad_test_x.npy", tmp);
    expect_fail(spec, p, "");
    /* float32 outside [0, 1], NaN; text named .npy */
    float f[4] = {0.5f, 1.5f, 0, 0};
    snprintf(p, sizeof p, "%s/f.npy", tmp);
    fx_npy(p, "<f4", 0, "(1, 2, 2)", f, sizeof f);
    expect_input_fail(p, "outside [0, 1]");
    snprintf(p, sizeof p, "%s/text.npy", tmp);
    FILE *fp = fopen(p, "wb");
    fputs("{'descr': '|u1'}", fp);
    fclose(fp);
    expect_input_fail(p, "not a .npy file");
    free(zero);
    free(xte);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/eip_images.XXXXXX");
    REQUIRE(mkdtemp(tmp) != NULL, "mkdtemp");
    eip_data_set fm_tr, fm_te;
    eip_error err = {0};
    REQUIRE(eip_data_fashion_mnist_load(NULL, &fm_tr, &fm_te, &err) == EIP_OK, "%s", err.msg);
    test_decoders(&fm_tr);
    test_folder(&fm_tr, &fm_te);
    test_npy(&fm_tr, &fm_te);
    eip_data_set_free(&fm_tr);
    eip_data_set_free(&fm_te);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    CHECK(system(cmd) == 0, "cleanup");
    TEST_MAIN_END();
}
