/* AdvParams experiment driver on three-channel data: a CIFAR-10 tree the
 * test generates (10 learnable colour/stripe classes, 32x32), smallcnn w0.5.
 * Checks: the run trains, encrypts (drop to near chance, <= budget changes),
 * decrypts bit-exactly; the saved base model carries three per-channel
 * norm.mean / norm.std values; and a second run on that saved model
 * (--model FILE) reads them back and measures the same base accuracy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encryip/ckpt.h"
#include "experiment/experiment.h"
#include "test.h"

enum { SIDE = 32, PLANE = SIDE * SIDE, REC = 1 + 3 * PLANE };

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Class c: a colour (one channel brighter per c % 3), stripes whose
 * orientation and frequency depend on c, and uniform noise of +-40. */
static void write_batch(const char *dir, const char *name, int n, uint32_t seed)
{
    unsigned char *b = malloc((size_t)n * REC);
    REQUIRE(b != NULL, "malloc");
    for (int i = 0; i < n; i++) {
        unsigned char *r = b + (size_t)i * REC;
        const int c = (int)(lcg(&seed) % 10);
        r[0] = (unsigned char)c;
        const double f = 1.0 + (double)(c % 5), ph = (double)(lcg(&seed) % 628) / 100.0;
        for (int ch = 0; ch < 3; ch++)
            for (int y = 0; y < SIDE; y++)
                for (int x = 0; x < SIDE; x++) {
                    const double t = (c < 5 ? x : y) * f * 6.2832 / SIDE + ph;
                    double v = 110.0 + (ch == c % 3 ? 60.0 : 0.0) + 60.0 * sin(t) +
                               (double)((int)(lcg(&seed) % 81) - 40);
                    r[1 + ch * PLANE + y * SIDE + x] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
                }
    }
    char path[800];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    REQUIRE(fp != NULL && fwrite(b, REC, (size_t)n, fp) == (size_t)n && fclose(fp) == 0, "write %s", path);
    free(b);
}

/* Row 1 of encryption.csv: model,width,dataset,params,changed,changed %,
 * acc before,acc encrypted,acc decrypted,drop,bit-exact,target reached,s. */
typedef struct enc_row {
    long long params, changed;
    double acc0, acc_enc, acc_dec;
    char exact[8];
} enc_row;

static void read_enc_row(const char *dir, enc_row *row)
{
    char path[800], line[1024];
    snprintf(path, sizeof path, "%s/encryption.csv", dir);
    FILE *fp = fopen(path, "r");
    REQUIRE(fp != NULL, "open %s", path);
    REQUIRE(fgets(line, sizeof line, fp) && fgets(line, sizeof line, fp), "%s: no data row", path);
    fclose(fp);
    double pct = 0, drop = 0;
    int n = sscanf(line, "smallcnn,%*[^,],cifar10,%lld,%lld,%lf,%lf,%lf,%lf,%lf,%7[^,]", &row->params,
                   &row->changed, &pct, &row->acc0, &row->acc_enc, &row->acc_dec, &drop, row->exact);
    REQUIRE(n == 8, "%s: cannot parse '%s'", path, line);
}

int main(void)
{
    char root[] = "/tmp/eip_adv_rgb_XXXXXX";
    REQUIRE(mkdtemp(root) != NULL, "mkdtemp");
    char data[600], out1[600], out2[600], model[700];
    snprintf(data, sizeof data, "%s/cifar10", root);
    snprintf(out1, sizeof out1, "%s/run1", root);
    snprintf(out2, sizeof out2, "%s/run2", root);
    REQUIRE(mkdir(data, 0755) == 0 && mkdir(out1, 0755) == 0 && mkdir(out2, 0755) == 0, "mkdir");
    for (int f = 1; f <= 5; f++) {
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", f);
        write_batch(data, name, 150, (uint32_t)f);
    }
    write_batch(data, "test_batch.bin", 300, 99);

    eip_exp_advparams_config c = eip_exp_advparams_config_default();
    c.dataset = "cifar10";
    c.data_dir = data;
    c.models = "smallcnn";
    c.width = 0.5;
    c.train_limit = 0;
    c.epochs = 3;
    c.test_limit = 0;
    c.enc_images = 150;
    c.trials = 8; /* test speed (default 32) */
    c.ft_fractions[0] = 0.05;
    c.ft_fractions[1] = 0;
    c.ft_epochs = 1;
    c.threads = 2;
    c.seed = 3;
    c.out.log = stderr;
    c.out.dir = out1;
    eip_error err = {0};
    eip_status s = eip_exp_advparams_run(&c, &err);
    REQUIRE(s == EIP_OK, "run 1: %s", err.msg);
    enc_row r1 = {0};
    read_enc_row(out1, &r1);
    CHECK(r1.acc0 >= 0.6, "base model learnt the generated classes: %.4f", r1.acc0);
    CHECK(r1.acc_enc <= 0.3, "encrypted accuracy near chance: %.4f", r1.acc_enc);
    CHECK(r1.changed >= 1 && r1.changed <= c.budget, "changed %lld", r1.changed);
    CHECK(r1.acc_dec == r1.acc0 && !strcmp(r1.exact, "yes"), "decrypted %.4f (%s)", r1.acc_dec, r1.exact);
    const char *files[] = {"finetune.csv", "prune.csv", "adaptive.csv", "summary.md", "smallcnn.enc.st",
                           "smallcnn.key"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[800];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", out1, files[i]);
        CHECK(stat(p, &st) == 0 && st.st_size > 0, "%s written", files[i]);
    }

    /* The saved base model: three normalisation values per key. */
    snprintf(model, sizeof model, "%s/smallcnn.st", out1);
    eip_ckpt_reader_t *rd = NULL;
    REQUIRE(eip_ckpt_reader_open(&rd, model, &err) == EIP_OK, "%s", err.msg);
    const char *m = eip_ckpt_reader_meta(rd, "norm.mean"), *d = eip_ckpt_reader_meta(rd, "norm.std");
    float mv[3], dv[3];
    CHECK(m && sscanf(m, "%f,%f,%f", &mv[0], &mv[1], &mv[2]) == 3, "norm.mean '%s'", m ? m : "(none)");
    CHECK(d && sscanf(d, "%f,%f,%f", &dv[0], &dv[1], &dv[2]) == 3, "norm.std '%s'", d ? d : "(none)");
    CHECK(m && mv[0] > mv[1] - 1 && mv[0] > 0.3f && mv[0] < 0.8f, "mean of channel 0: %s", m ? m : "");
    eip_ckpt_reader_free(rd);

    /* Second run on the saved model: same test set, same base accuracy. */
    c.model_file = model;
    c.out.dir = out2;
    c.no_attacks = 1;
    s = eip_exp_advparams_run(&c, &err);
    REQUIRE(s == EIP_OK, "run 2: %s", err.msg);
    enc_row r2 = {0};
    read_enc_row(out2, &r2);
    CHECK(r2.acc0 == r1.acc0, "base accuracy of the reloaded model %.4f vs %.4f", r2.acc0, r1.acc0);
    CHECK(!strcmp(r2.exact, "yes"), "run 2 bit-exact");

    /* A model for other inputs is refused with a clear error. */
    c.dataset = "mnist";
    c.data_dir = NULL;
    c.out.dir = out2;
    s = eip_exp_advparams_run(&c, &err);
    CHECK(s == EIP_ERR_SHAPE && strstr(err.msg, "inputs"), "MNIST with a CIFAR model: %d %s", (int)s, err.msg);

    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0, "cleanup");
    TEST_MAIN_END();
}
