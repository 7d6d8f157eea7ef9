/* Fixtures for the own-data tests: PNG / JPEG / .npy files written from real
 * Fashion-MNIST images with the Debian encoders (libpng's simplified write
 * API, libjpeg-turbo), and an ImageFolder tree with the user's own split. */
#ifndef EIP_TESTS_DATA_IMAGE_FIXTURES_H
#define EIP_TESTS_DATA_IMAGE_FIXTURES_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <png.h>

#include "encryip/data.h"
#include "test.h"

/* Interleaved [H, W, C] (C = 1, 2, 3 or 4 = gray, gray+alpha, RGB, RGBA). */
static void fx_png(const char *path, const uint8_t *hwc, int c, int h, int w)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = c == 1 ? PNG_FORMAT_GRAY : c == 2 ? PNG_FORMAT_GA : c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
    REQUIRE(png_image_write_to_file(&img, path, 0, hwc, 0, NULL), "write %s: %s", path, img.message);
}

/* Gray (c = 1) or RGB (c = 3) interleaved, quality 95. */
static void fx_jpeg(const char *path, const uint8_t *hwc, int c, int h, int w)
{
    FILE *fp = fopen(path, "wb");
    REQUIRE(fp != NULL, "create %s", path);
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr je;
    ci.err = jpeg_std_error(&je);
    jpeg_create_compress(&ci);
    jpeg_stdio_dest(&ci, fp);
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = c;
    ci.in_color_space = c == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, 95, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = (JSAMPROW)(hwc + (size_t)ci.next_scanline * (size_t)w * (size_t)c);
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    fclose(fp);
}

/* .npy v1.0 with the given descr / shape string and raw data. */
static void fx_npy(const char *path, const char *descr, int fortran, const char *shape,
                   const void *data, size_t bytes)
{
    char hdr[256];
    int n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr,
                     fortran ? "True" : "False", shape);
    int total = 10 + n + 1;
    int pad = (64 - total % 64) % 64;
    FILE *fp = fopen(path, "wb");
    REQUIRE(fp != NULL, "create %s", path);
    unsigned hl = (unsigned)(n + pad + 1);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 0xff),
                             (unsigned char)(hl >> 8)};
    fwrite(pre, 1, 10, fp);
    fwrite(hdr, 1, (size_t)n, fp);
    for (int i = 0; i < pad; i++)
        fputc(' ', fp);
    fputc('\n', fp);
    if (bytes)
        fwrite(data, 1, bytes, fp);
    fclose(fp);
}

static void fx_mkdir(const char *path)
{
    if (mkdir(path, 0755) != 0)
        REQUIRE(errno == EEXIST, "mkdir %s", path);
}

/* The class folders of the fixture tree: Fashion-MNIST classes 9, 1, 6
 * under names whose byte order differs from the class numbers. */
static const char *const FX_CLASS_DIR[3] = {"boot", "shirt", "trouser"};
static const int32_t FX_CLASS_FM[3] = {9, 6, 1};

/* DIR/train/<class>/ and DIR/test/<class>/: per class `ntrain[k]` / `ntest[k]`
 * images, the first of each class a JPEG (lossy), the rest PNG.  The images
 * are the first Fashion-MNIST training images of that class (train) and
 * test images (test).  *png_idx[k] (optional) gets the FM index of the
 * second train image of class k (a PNG, exact pixels). */
static void fx_tree(const char *dir, const eip_data_set *fm_train, const eip_data_set *fm_test,
                    const int *ntrain, const int *ntest, int64_t *png_idx)
{
    char p[4096];
    fx_mkdir(dir);
    for (int split = 0; split < 2; split++) {
        snprintf(p, sizeof p, "%s/%s", dir, split ? "test" : "train");
        fx_mkdir(p);
        const eip_data_set *src = split ? fm_test : fm_train;
        for (int k = 0; k < 3; k++) {
            snprintf(p, sizeof p, "%s/%s/%s", dir, split ? "test" : "train", FX_CLASS_DIR[k]);
            fx_mkdir(p);
            int want = split ? ntest[k] : ntrain[k], got = 0;
            for (int64_t i = 0; i < src->n && got < want; i++) {
                if (src->labels[i] != FX_CLASS_FM[k])
                    continue;
                const uint8_t *px = src->pixels + (size_t)i * 784; /* [1, 28, 28] */
                snprintf(p, sizeof p, "%s/%s/%s/img%03d.%s", dir, split ? "test" : "train",
                         FX_CLASS_DIR[k], got, got == 0 ? "jpg" : "png");
                if (got == 0)
                    fx_jpeg(p, px, 1, 28, 28);
                else
                    fx_png(p, px, 1, 28, 28);
                if (!split && got == 1 && png_idx)
                    png_idx[k] = i;
                got++;
            }
            REQUIRE(got == want, "fixture: %d images of class %d", got, FX_CLASS_FM[k]);
        }
    }
}

#endif
