/* Valid inputs for the readers users bring files for (CIFAR-10/100, GTSRB)
 * and idx corner cases, on tiny trees generated into a temp dir. */
#include <stdint.h>
#include <string.h>

#include "data/data_tutil.h"
#include "encryip/data.h"

static char root[] = "/tmp/eip_test_data_fmt_XXXXXX";

/* Record i of file f: label (i + f) % nclass, pixel k = (i*7 + k + f) & 255. */
static void write_cifar(const char *dir, const char *name, int n, int lbytes, int f)
{
    size_t rec = (size_t)lbytes + 3072;
    unsigned char *b = malloc((size_t)n * rec);
    for (int i = 0; i < n; i++) {
        unsigned char *r = b + (size_t)i * rec;
        if (lbytes == 1) {
            r[0] = (unsigned char)((i + f) % 10);
        } else {
            r[0] = (unsigned char)((i + f) % 20);
            r[1] = (unsigned char)((i * 13 + f) % 100);
        }
        for (int k = 0; k < 3072; k++)
            r[lbytes + k] = (unsigned char)((i * 7 + k + f) & 255);
    }
    char path[600];
    tu_write(dir, name, b, (size_t)n * rec, path, sizeof path);
    free(b);
}

static void cifar(void)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/cifar10", root);
    tu_mkdir(dir);
    for (int f = 1; f <= 5; f++) {
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", f);
        write_cifar(dir, name, 3, 1, f);
    }
    write_cifar(dir, "test_batch.bin", 2, 1, 0);
    eip_data_set tr, te;
    eip_error err = {0};
    REQUIRE(eip_data_cifar_load(dir, EIP_DATA_CIFAR10, &tr, &te, &err) == EIP_OK, "%s", err.msg);
    CHECK(tr.n == 15 && te.n == 2 && tr.c == 3 && tr.h == 32 && tr.w == 32 && tr.num_classes == 10, "shape");
    CHECK(!strcmp(tr.name, "cifar10/train") && !strcmp(te.name, "cifar10/test"), "%s", tr.name);
    /* train image 4 = file 2, record 1: label 3, pixel k = (7 + k + 2) & 255 in [3, 32, 32] order. */
    CHECK(tr.labels[4] == 3, "label %d", tr.labels[4]);
    CHECK(tr.pixels[4 * 3072 + 0] == 9 && tr.pixels[4 * 3072 + 1024] == (1033 & 255) &&
              tr.pixels[4 * 3072 + 3071] == ((3071 + 9) & 255),
          "CHW layout preserved");
    eip_data_set_free(&tr);
    eip_data_set_free(&te);
    CHECK(eip_data_load_by_name("cifar10", dir, &tr, &te, &err) == EIP_OK && tr.n == 15, "%s", err.msg);
    eip_data_set_free(&tr);
    eip_data_set_free(&te);

    snprintf(dir, sizeof dir, "%s/cifar100", root);
    tu_mkdir(dir);
    write_cifar(dir, "train.bin", 4, 2, 0);
    write_cifar(dir, "test.bin", 2, 2, 1);
    REQUIRE(eip_data_cifar_load(dir, EIP_DATA_CIFAR100_FINE, &tr, &te, &err) == EIP_OK, "%s", err.msg);
    CHECK(tr.n == 4 && tr.num_classes == 100 && tr.labels[3] == 39 && te.labels[1] == 14, "fine labels");
    CHECK(tr.pixels[3 * 3072 + 5] == ((21 + 5) & 255), "pixels after two label bytes");
    eip_data_set_free(&tr);
    eip_data_set_free(&te);
    REQUIRE(eip_data_cifar_load(dir, EIP_DATA_CIFAR100_COARSE, &tr, NULL, &err) == EIP_OK, "%s", err.msg);
    CHECK(tr.num_classes == 20 && tr.labels[3] == 3 && !strcmp(tr.name, "cifar100-coarse/train"), "coarse");
    eip_data_set_free(&tr);
}

/* PPM w x h whose channel c at (y, x) is f(c, y, x). */
static void write_ppm(const char *dir, const char *name, int w, int h, int maxval, int mode)
{
    unsigned char *b = malloc((size_t)w * (size_t)h * 3 + 64);
    int hl = sprintf((char *)b, "P6\n# made by test_formats\n%d %d\n%d\n", w, h, maxval);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                int v = mode == 0 ? (c == 0 ? 10 * x : c == 1 ? 10 * y : 77) : maxval;
                b[hl + (y * w + x) * 3 + c] = (unsigned char)v;
            }
    char path[600];
    tu_write(dir, name, b, (size_t)hl + (size_t)w * (size_t)h * 3, path, sizeof path);
    free(b);
}

static void gtsrb(void)
{
    char base[600], dir[700], path[800];
    snprintf(base, sizeof base, "%s/GTSRB", root);
    tu_mkdir(base);
    snprintf(dir, sizeof dir, "%s/Final_Training", base);
    tu_mkdir(dir);
    snprintf(dir, sizeof dir, "%s/Final_Training/Images", base);
    tu_mkdir(dir);
    const int classes[2] = {0, 14};
    for (int k = 0; k < 2; k++) {
        snprintf(dir, sizeof dir, "%s/Final_Training/Images/%05d", base, classes[k]);
        tu_mkdir(dir);
        write_ppm(dir, "00000_00000.ppm", 8, 6, 255, 0);
        write_ppm(dir, "00000_00001.ppm", 5, 5, 15, 1);
        char csv[512], name[64];
        snprintf(csv, sizeof csv,
                 "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\r\n"
                 "00000_00000.ppm;8;6;0;0;8;6;%d\r\n00000_00001.ppm;5;5;1;1;4;4;%d\r\n",
                 classes[k], classes[k]);
        snprintf(name, sizeof name, "GT-%05d.csv", classes[k]);
        tu_write(dir, name, csv, strlen(csv), path, sizeof path);
    }
    eip_data_set tr;
    eip_error err = {0};
    REQUIRE(eip_data_gtsrb_train_load(base, 32, &tr, &err) == EIP_OK, "%s", err.msg);
    CHECK(tr.n == 4 && tr.c == 3 && tr.h == 32 && tr.w == 32 && tr.num_classes == 43, "shape");
    CHECK(tr.labels[0] == 0 && tr.labels[1] == 0 && tr.labels[2] == 14 && tr.labels[3] == 14, "labels");
    CHECK(tr.flags & EIP_DATA_FLAG_NO_HFLIP, "signs are not flipped");
    /* Constant channels stay constant through the bilinear resize. */
    int ok = 1;
    for (int k = 0; k < 32 * 32; k++)
        ok &= tr.pixels[2 * 32 * 32 + k] == 77 && tr.pixels[3072 + k] == 255; /* maxval 15 -> 255 */
    CHECK(ok, "constant channels");
    /* Red = 10*x over 8 columns, 32 outputs, half-pixel centres:
     * src x = (ox + 0.5) * 8/32 - 0.5, clamped to [0, 7]. */
    for (int ox = 0; ox < 32; ox++) {
        double sx = (ox + 0.5) * 0.25 - 0.5;
        if (sx < 0)
            sx = 0;
        if (sx > 7)
            sx = 7;
        int want = (int)lround(10 * sx);
        CHECK(tr.pixels[5 * 32 + ox] == want, "red column %d: %d want %d", ox, tr.pixels[5 * 32 + ox], want);
    }
    eip_data_set_free(&tr);
    /* size 8 on the 8x6 image: columns are copied exactly. */
    snprintf(path, sizeof path, "%s/Final_Training/Images/00014/GT-00014.csv", base);
    REQUIRE(eip_data_gtsrb_csv_load(path, 8, &tr, &err) == EIP_OK, "%s", err.msg);
    for (int ox = 0; ox < 8; ox++)
        CHECK(tr.pixels[3 * 8 + ox] == 10 * ox, "identity column %d", ox);
    eip_data_set_free(&tr);

    /* The test set (ClassId from the GT-final_test.csv), by name. */
    snprintf(dir, sizeof dir, "%s/Final_Test", base);
    tu_mkdir(dir);
    snprintf(dir, sizeof dir, "%s/Final_Test/Images", base);
    tu_mkdir(dir);
    write_ppm(dir, "00000.ppm", 8, 6, 255, 0);
    const char *csv = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n00000.ppm;8;6;1;1;7;5;42\n";
    tu_write(dir, "GT-final_test.csv", csv, strlen(csv), path, sizeof path);
    eip_data_set te;
    REQUIRE(eip_data_load_by_name("gtsrb", base, &tr, &te, &err) == EIP_OK, "%s", err.msg);
    CHECK(tr.n == 4 && te.n == 1 && te.labels[0] == 42 && !strcmp(te.name, "gtsrb/test"), "by name");
    eip_data_set_free(&tr);
    eip_data_set_free(&te);

    /* A ClassId that disagrees with its class directory is refused. */
    snprintf(dir, sizeof dir, "%s/Final_Training/Images/00014", base);
    csv = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n00000_00000.ppm;8;6;0;0;8;6;3\n";
    tu_write(dir, "GT-00014.csv", csv, strlen(csv), path, sizeof path);
    CHECK(eip_data_gtsrb_train_load(base, 32, &tr, &err) == EIP_ERR_FORMAT && strstr(err.msg, path) &&
              strstr(err.msg, "ClassId 3"),
          "%s", err.msg);
}

static void idx(void)
{
    /* Raw and gzip forms (and two concatenated gzip members) agree. */
    unsigned char raw[8 + 6] = {0, 0, 8, 1, 0, 0, 0, 6, 0, 1, 2, 3, 4, 9};
    size_t g1, g2;
    unsigned char *a = tu_gzip(raw, 10, &g1), *b = tu_gzip(raw + 10, 4, &g2);
    unsigned char *both = malloc(g1 + g2);
    memcpy(both, a, g1);
    memcpy(both + g1, b, g2);
    int32_t *lab;
    int64_t n;
    eip_error err = {0};
    CHECK(eip_data_idx_labels_from_memory(raw, sizeof raw, "raw", 10, &lab, &n, &err) == EIP_OK && n == 6 &&
              lab[5] == 9,
          "%s", err.msg);
    free(lab);
    CHECK(eip_data_idx_labels_from_memory(both, g1 + g2, "two members", 10, &lab, &n, &err) == EIP_OK &&
              n == 6 && lab[3] == 3 && lab[5] == 9,
          "%s", err.msg);
    free(lab);
    free(a);
    free(b);
    free(both);
    /* An empty idx3 (0 images) is valid. */
    unsigned char e3[16] = {0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28};
    uint8_t *px;
    int32_t h, w;
    CHECK(eip_data_idx_images_from_memory(e3, 16, "empty", &px, &n, &h, &w, &err) == EIP_OK && n == 0 &&
              h == 28 && w == 28,
          "%s", err.msg);
    free(px);
    /* A raw file is used when the .gz is absent. */
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/fm", root);
    tu_mkdir(dir);
    uint32_t counts[2] = {60000, 10000};
    const char *pre[2] = {"train", "t10k"};
    for (int s = 0; s < 2; s++) {
        size_t ni = 16 + (size_t)counts[s] * 784, nl = 8 + counts[s];
        unsigned char *im = calloc(ni, 1), *lb = calloc(nl, 1);
        memcpy(im, e3, 16);
        tu_put_be32(im + 4, counts[s]);
        memcpy(lb, raw, 8);
        tu_put_be32(lb + 4, counts[s]);
        lb[8 + counts[s] - 1] = 7;
        char name[64];
        snprintf(name, sizeof name, "%s-images-idx3-ubyte", pre[s]);
        tu_write(dir, name, im, ni, path, sizeof path);
        snprintf(name, sizeof name, "%s-labels-idx1-ubyte", pre[s]);
        tu_write(dir, name, lb, nl, path, sizeof path);
        free(im);
        free(lb);
    }
    eip_data_set tr, te;
    CHECK(eip_data_fashion_mnist_load(dir, &tr, &te, &err) == EIP_OK && tr.n == 60000 &&
              te.labels[9999] == 7,
          "%s", err.msg);
    eip_data_set_free(&tr);
    eip_data_set_free(&te);
}

static void ppm_memory(void)
{
    /* Comments between every header token; [3, H, W] planar output. */
    const char hdr[] = "P6 #c\n2#c\n 1 # c\n255\n";
    unsigned char b[sizeof hdr - 1 + 6];
    memcpy(b, hdr, sizeof hdr - 1);
    const unsigned char rgb[6] = {1, 2, 3, 4, 5, 6};
    memcpy(b + sizeof hdr - 1, rgb, 6);
    uint8_t *px;
    int32_t h, w;
    eip_error err = {0};
    CHECK(eip_data_ppm_from_memory(b, sizeof b, "c.ppm", &px, &h, &w, &err) == EIP_OK && h == 1 && w == 2,
          "%s", err.msg);
    if (px)
        CHECK(px[0] == 1 && px[1] == 4 && px[2] == 2 && px[3] == 5 && px[4] == 3 && px[5] == 6, "planar");
    free(px);
}

int main(void)
{
    REQUIRE(mkdtemp(root) != NULL, "mkdtemp");
    cifar();
    gtsrb();
    idx();
    ppm_memory();
    char cmd[100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0, "cleanup");
    TEST_MAIN_END();
}
