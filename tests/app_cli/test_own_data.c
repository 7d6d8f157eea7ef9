/* Own images and architectures through the `encryip` command (issue 14):
 * folder: and npy: datasets written from real Fashion-MNIST images, PNG /
 * JPEG / folder / .npy input to predict and classify, malformed inputs
 * named in the error, out=auto configs for both groups, the config whose
 * output count does not match (was a crash), a config that does not fit the
 * data, and the memorisation refusal with its override. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "data/image_fixtures.h"
#include "test.h"

static char tmp[256];
static char out_text[1 << 16], err_text[1 << 16];

static void slurp(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return;
    size_t n = fread(buf, 1, cap - 1, fp);
    buf[n] = '\0';
    fclose(fp);
}

/* Runs `encryip ARGS` (printf-style); stdout/stderr in out_text/err_text. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char args[4096], cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=2 '%s' %s >'%s/out' 2>'%s/err'", EIP_CLI_PATH, args, tmp, tmp);
    int rc = system(cmd);
    char p[512];
    snprintf(p, sizeof p, "%s/out", tmp);
    slurp(p, out_text, sizeof out_text);
    snprintf(p, sizeof p, "%s/err", tmp);
    slurp(p, err_text, sizeof err_text);
    rc = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
    if (rc && getenv("EIP_TEST_VERBOSE"))
        fprintf(stderr, "[%d] %s\n%s", rc, args, err_text);
    return rc;
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void write_text(const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmp, name);
    FILE *fp = fopen(p, "w");
    REQUIRE(fp != NULL, "create %s", p);
    fputs(text, fp);
    fclose(fp);
}

/* A small custom CNN (not a zoo model) with the output width left to the
 * command. */
static const char *CFG_AUTO =
    "# custom CNN for 1x28x28 images\n"
    "input c=auto h=auto w=auto\n"
    "conv name=c1 out=8 k=3 pad=1 bias=0\n"
    "bn name=b1 relu=1\n"
    "maxpool k=2\n"
    "conv name=c2 out=16 k=3 pad=1\n"
    "relu\n"
    "gap\n"
    "flatten\n"
    "linear name=head out=auto   # EncryIP output width: filled in by protect\n";

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/eip_own.XXXXXX");
    REQUIRE(mkdtemp(tmp) != NULL, "mkdtemp");
    eip_data_set fm_tr, fm_te;
    eip_error err = {0};
    REQUIRE(eip_data_fashion_mnist_load(NULL, &fm_tr, &fm_te, &err) == EIP_OK, "%s", err.msg);
    char fm[300];
    snprintf(fm, sizeof fm, "%s/fm", tmp);
    /* 61 training + 11 test images in 3 classes: the user's own split */
    fx_tree(fm, &fm_tr, &fm_te, (const int[]){21, 20, 20}, (const int[]){4, 4, 3}, NULL);
    char p[600];
    snprintf(p, sizeof p, "%s/in_x.npy", tmp);
    fx_npy(p, "|u1", 0, "(7, 1, 28, 28)", fm_te.pixels, 7 * 784);
    write_text("auto.cfg", CFG_AUTO);
    write_text("fixed7.cfg", "input c=1 h=28 w=28\nconv name=c1 out=4 k=3\nrelu\ngap\nflatten\nlinear name=head out=7\n");
    write_text("rgb.cfg", "input c=3 h=32 w=32\nconv name=c1 out=4 k=3\nrelu\ngap\nflatten\nlinear name=head out=auto\n");
    write_text("badauto.cfg", "input c=1 h=28 w=28\nconv name=c1 out=4 k=auto\nrelu\ngap\nflatten\nlinear name=head out=auto\n");

    const char *common = "--epochs 1 --batch 16 --threads 2 --seed 3 --crypto-seed 4 --eval-limit 20";
    /* ---- config errors (the mismatching output count used to segfault) ---- */
    int rc = run("protect --dataset folder:%s --config %s/fixed7.cfg --licensees 2 --group paper %s --out %s/b0",
                 fm, tmp, common, tmp);
    CHECK(rc == 2, "mismatching out: exit %d", rc);
    CHECK(strstr(err_text, "fixed7.cfg") && strstr(err_text, "outputs 7") && strstr(err_text, "needs 15 outputs"),
          "mismatching out: %s", err_text);
    CHECK(access(p, F_OK) == 0, "fixture");
    rc = run("protect --dataset folder:%s --config %s/rgb.cfg --licensees 2 --group paper %s --out %s/b0", fm,
             tmp, common, tmp);
    CHECK(rc == 2 && strstr(err_text, "takes 3x32x32") && strstr(err_text, "data is 1x28x28"),
          "config not fitting the data: exit %d: %s", rc, err_text);
    rc = run("protect --dataset folder:%s --config %s/badauto.cfg --licensees 2 --group paper %s --out %s/b0", fm,
             tmp, common, tmp);
    CHECK(rc == 4 && strstr(err_text, "badauto.cfg:2") && strstr(err_text, "k=auto"), "k=auto: %d %s", rc,
          err_text);

    /* ---- memorisation refusal: 1 epoch, 1 replica per instance ---- */
    rc = run("protect --dataset folder:%s --config %s/auto.cfg --licensees 2 --group paper --verify-reps 1 %s "
             "--out %s/b1", fm, tmp, common, tmp);
    CHECK(rc == 1, "unmemorised: exit %d", rc);
    CHECK(strstr(err_text, "memorised") && strstr(err_text, "--verify-reps") && strstr(err_text, "--epochs") &&
              strstr(err_text, "--allow-unmemorised"),
          "unmemorised: message %s", err_text);
    snprintf(p, sizeof p, "%s/b1", tmp);
    CHECK(access(p, F_OK) != 0, "a refused protect wrote its bundle");
    /* the override writes it (paper group, out=auto -> K = 3q = 15 for z = 3) */
    rc = run("protect --dataset folder:%s --config %s/auto.cfg --licensees 2 --group paper --verify-reps 1 %s "
             "--allow-unmemorised --out %s/b1", fm, tmp, common, tmp);
    CHECK(rc == 0, "override: exit %d: %s", rc, err_text);
    CHECK(strstr(err_text, "warning") && strstr(err_text, "--allow-unmemorised"), "override warns: %s", err_text);
    CHECK(strstr(out_text, "K=15 outputs"), "paper out=auto: %s", out_text);
    /* ristretto255: K = z + 16 P = 35 */
    rc = run("protect --dataset folder:%s --config %s/auto.cfg --licensees 2 --verify-reps 1 %s "
             "--allow-unmemorised --out %s/b2", fm, tmp, common, tmp);
    CHECK(rc == 0 && strstr(out_text, "K=35 outputs"), "ristretto255 out=auto: exit %d: %s%s", rc, out_text,
          err_text);

    /* ---- predict / classify on PNG, JPEG, a folder and a .npy ---- */
    struct {
        const char *input;
        int n;
    } in[] = {{"fm/test/shirt/img001.png", 1}, {"fm/test/boot/img000.jpg", 1}, {"fm/test/trouser", 3},
              {"in_x.npy", 7}};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        rc = run("predict --model %s/b1 --input %s/%s --threads 2", tmp, tmp, in[i].input);
        CHECK(rc == 0 && lines(out_text) == in[i].n, "predict --input %s: exit %d, %d lines: %s", in[i].input,
              rc, lines(out_text), err_text);
        rc = run("classify --model %s/b2/deploy --key %s/b2/keys/licensee-1.key --input %s/%s --threads 2", tmp,
                 tmp, tmp, in[i].input);
        CHECK(rc == 0 && lines(out_text) == in[i].n, "classify --input %s: exit %d, %d lines: %s", in[i].input,
              rc, lines(out_text), err_text);
    }
    /* --dataset folder: for classify reports accuracy on the user's test split */
    rc = run("classify --model %s/b1 --key %s/b1/keys/licensee-2.key --dataset folder:%s --threads 2", tmp, tmp, fm);
    CHECK(rc == 0 && lines(out_text) == 11 && strstr(err_text, "accuracy"), "classify --dataset folder: %d %s",
          rc, err_text);

    /* ---- malformed input: each names the file ---- */
    write_text("text.png", "not an image\n");
    snprintf(p, sizeof p, "%s/fm/train/boot/img001.png", tmp);
    char q[600];
    snprintf(q, sizeof q, "%s/trunc.png", tmp);
    FILE *a = fopen(p, "rb"), *b = fopen(q, "wb");
    REQUIRE(a && b, "truncated copy");
    for (int k = 0; k < 90; k++)
        fputc(fgetc(a), b);
    fclose(a);
    fclose(b);
    snprintf(p, sizeof p, "%s/mixed", tmp);
    fx_mkdir(p);
    uint8_t z32[32 * 32] = {0};
    snprintf(p, sizeof p, "%s/mixed/a.png", tmp);
    fx_png(p, fm_te.pixels, 1, 28, 28);
    snprintf(p, sizeof p, "%s/mixed/b.png", tmp);
    fx_png(p, z32, 1, 32, 32);
    snprintf(p, sizeof p, "%s/fortran.npy", tmp);
    fx_npy(p, "|u1", 1, "(2, 28, 28)", fm_te.pixels, 2 * 784);
    struct {
        const char *input, *names, *reason;
        int rc;
    } bad[] = {
        {"text.png", "text.png", "not a PNG file", 4},
        {"trunc.png", "trunc.png", "bad PNG", 4},
        {"mixed", "mixed/b.png", "same size", 2},
        {"fortran.npy", "fortran.npy", "Fortran-order", 4},
        {"nothere.png", "nothere.png", "", 3},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        rc = run("predict --model %s/b1 --input %s/%s --threads 2", tmp, tmp, bad[i].input);
        CHECK(rc == bad[i].rc && strstr(err_text, bad[i].names) && strstr(err_text, bad[i].reason),
              "predict --input %s: exit %d: %s", bad[i].input, rc, err_text);
        rc = run("classify --model %s/b1 --key %s/b1/keys/licensee-1.key --input %s/%s --threads 2", tmp, tmp,
                 tmp, bad[i].input);
        CHECK(rc == bad[i].rc && strstr(err_text, bad[i].names), "classify --input %s: exit %d: %s",
              bad[i].input, rc, err_text);
    }
    /* RGB image to a grayscale model: a shape error naming the file */
    snprintf(p, sizeof p, "%s/rgb.png", tmp);
    uint8_t rgb[784 * 3] = {0};
    fx_png(p, rgb, 3, 28, 28);
    rc = run("predict --model %s/b1 --input %s --threads 2", tmp, p);
    CHECK(rc == 2 && strstr(err_text, "rgb.png") && strstr(err_text, "3x28x28"), "rgb input: %d %s", rc, err_text);

    /* ---- train on folder: and npy: with out=auto (= classes) ---- */
    rc = run("train --dataset folder:%s --config %s/auto.cfg --epochs 1 --batch 16 --threads 2 --out %s/plain.safetensors",
             fm, tmp, tmp);
    CHECK(rc == 0, "train folder: exit %d: %s", rc, err_text);
    rc = run("classify --plain --model %s/plain.safetensors --input %s/fm/test/shirt --threads 2", tmp, tmp);
    CHECK(rc == 0 && lines(out_text) == 4, "classify --plain folder input: %d %s", rc, err_text);
    int ok = 1;
    for (const char *s = out_text; *s; s++)
        ok &= (*s >= '0' && *s <= '2') || *s == '\n';
    CHECK(ok, "plain labels are class indices 0..2: %s", out_text);
    snprintf(p, sizeof p, "%s/u_x.npy", tmp);
    fx_npy(p, "|u1", 0, "(30, 28, 28)", fm_tr.pixels, 30 * 784);
    int64_t y[30];
    for (int i = 0; i < 30; i++)
        y[i] = fm_tr.labels[i];
    snprintf(p, sizeof p, "%s/u_y.npy", tmp);
    fx_npy(p, "<i8", 0, "(30,)", y, sizeof y);
    snprintf(p, sizeof p, "%s/u_test_x.npy", tmp);
    fx_npy(p, "|u1", 0, "(9, 28, 28)", fm_te.pixels, 9 * 784);
    for (int i = 0; i < 9; i++)
        y[i] = fm_te.labels[i];
    snprintf(p, sizeof p, "%s/u_test_y.npy", tmp);
    fx_npy(p, "<i8", 0, "(9,)", y, 9 * sizeof *y);
    rc = run("train --dataset npy:%s/u --config %s/auto.cfg --epochs 1 --batch 16 --threads 2 --out %s/plain2.safetensors",
             tmp, tmp, tmp);
    CHECK(rc == 0, "train npy: exit %d: %s", rc, err_text);
    rc = run("train --dataset npy:%s/missing --config %s/auto.cfg --epochs 1 --out %s/x.safetensors", tmp, tmp, tmp);
    CHECK(rc == 3 && strstr(err_text, "missing_x.npy"), "npy: missing files: %d %s", rc, err_text);

    eip_data_set_free(&fm_tr);
    eip_data_set_free(&fm_te);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    CHECK(system(cmd) == 0, "cleanup");
    TEST_MAIN_END();
}
