/* Removal driver (Figures 6/7), seconds-scale: smallcnn width 0.5 protected
 * on 1000 MNIST images for 1 epoch in ristretto255 (2 licensees, 8 targeted
 * instances each, 150 replicas: memorised in one epoch), then 2 rounds of
 * consecutive fine-tuning by both attackers.
 * Checks: 2 x (1 + 2) points in attacker/round order; round 0 is the
 * protected model (its owner-codebook accuracy equals protect's own figure
 * exactly, the key accuracy lies within the verification-codeword bound,
 * both attackers start from the same point); part sizes partition the
 * training set; accuracies and agreements in range; when the instances are
 * memorised the leaker is named at round 0 with full agreement; a foreign
 * key never names anybody (ristretto255); the outputs (CSV with one row
 * per point, markdown, both PNGs) are written and the CSV reads back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encryip/crypto.h"
#include "experiment/experiment.h"
#include "test.h"

static int in01(double x)
{
    return x >= 0.0 && x <= 1.0;
}

static int file_nonempty(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    return stat(p, &st) == 0 && st.st_size > 0;
}

static int64_t count_lines(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f)
        return -1;
    int64_t n = 0;
    for (int ch; (ch = fgetc(f)) != EOF;)
        n += ch == '\n';
    fclose(f);
    return n;
}

int main(void)
{
    eip_error err = {0};
    REQUIRE(eip_crypto_init(&err) == EIP_OK, "%s", err.msg);
    eip_exp_removal_config c;
    eip_exp_removal_config_default(&c);
    c.n_models = 1;
    snprintf(c.models[0], sizeof c.models[0], "smallcnn");
    c.recipes[0] = eip_exp_encryip_recipe_default("smallcnn");
    c.recipes[0].width = 0.5; /* 0.25 (8 channels) hits slow reference kernels */
    c.recipes[0].epochs = 1;
    c.recipes[0].verif_reps = 150; /* ~150 presentations: memorised in 1 epoch (docs/PROTECT.md) */
    c.n_datasets = 1;
    snprintf(c.datasets[0], sizeof c.datasets[0], "mnist");
    c.groups = 2; /* ristretto255 */
    c.limit = 1000;
    c.test_limit = 400;
    c.parts = 2;
    c.ft_epochs = 1;
    c.licensees = 2;
    c.verif_count = 8; /* per licensee: 7 of 8 agreeing is p < 1e-6 at z = 10 */
    c.foreign_keys = 2;
    c.threads = 2;
    c.seed = 5;
    char dir[] = "/tmp/encryip_removal_smokeXXXXXX";
    REQUIRE(mkdtemp(dir) != NULL, "mkdtemp %s", dir);
    c.out.dir = dir;

    eip_data_set train_full = {0}, test_full = {0}, train = {0}, test = {0};
    REQUIRE(eip_data_load_by_name("mnist", NULL, &train_full, &test_full, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_set_subset_random(&train_full, 1000, 3, &train, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_set_subset_random(&test_full, 400, 4, &test, &err) == EIP_OK, "%s", err.msg);
    eip_data_set_free(&train_full);
    eip_data_set_free(&test_full);
    eip_nn_ctx nn = {0};
    REQUIRE(eip_nn_ctx_init(&nn, 2, &err) == EIP_OK, "%s", err.msg);

    eip_exp_removal_point *pts = NULL;
    int64_t n = 0;
    eip_status s = eip_exp_removal_cell(&c, &nn, "smallcnn", &c.recipes[0], &train, &test, "mnist",
                                        EIP_EXP_ENCRYIP_RISTRETTO, &pts, &n, &err);
    REQUIRE(s == EIP_OK, "removal cell: %s", err.msg);
    REQUIRE(n == 2 * (1 + c.parts), "%lld points", (long long)n);
    for (int64_t i = 0; i < n; i++) {
        const eip_exp_removal_point *p = &pts[i];
        fprintf(stderr, "%s round %lld: %lld images (dropped %lld, truth %.3f) key %.4f own %.4f verif-slot %.4f "
                        "protect %.4f mem %.2f leaker %lld named %lld %lld/%lld traced %lld/%lld foreign %lld/%lld\n",
                eip_exp_removal_attacker_name(p->attacker), (long long)p->round, (long long)p->part_n,
                (long long)p->dropped, p->label_agree, p->acc_key, p->acc_own, p->verif_slot, p->protect_acc,
                p->memorised, (long long)p->leaker, (long long)p->leaker_named, (long long)p->leaker_matched,
                (long long)p->leaker_total, (long long)p->traced, (long long)p->licensees,
                (long long)p->foreign_named, (long long)p->foreign);
        const int attacker = (int)(i / (1 + c.parts));
        CHECK(p->attacker == attacker && p->round == i % (1 + c.parts), "point %lld out of order", (long long)i);
        CHECK(p->group == EIP_EXP_ENCRYIP_RISTRETTO && !strcmp(p->model, "smallcnn"), "point %lld", (long long)i);
        CHECK(in01(p->acc_key) && in01(p->acc_own) && in01(p->verif_slot) && in01(p->memorised),
              "point %lld: figures out of [0, 1]", (long long)i);
        /* Dec(sk_j, SampDist(codeword)) = the codeword's label */
        CHECK(p->acc_key >= p->acc_own - 1e-12 && p->acc_key <= p->acc_own + p->verif_slot + 1e-12,
              "point %lld: key accuracy %.4f outside [own, own + verification-slot outputs]", (long long)i, p->acc_key);
        CHECK(p->leaker >= 1 && p->leaker <= 2 && p->licensees == 2, "point %lld", (long long)i);
        CHECK(p->leaker_total == 8 && p->leaker_matched >= 0 && p->leaker_matched <= 8, "point %lld: %lld/%lld",
              (long long)i, (long long)p->leaker_matched, (long long)p->leaker_total);
        CHECK(p->leaker_named == 0 || p->leaker_named == p->leaker, "point %lld: named %lld, leaker %lld",
              (long long)i, (long long)p->leaker_named, (long long)p->leaker);
        CHECK(p->traced >= 0 && p->traced <= 2, "point %lld", (long long)i);
        /* a foreign key decrypts ristretto255 outputs to no label at all */
        CHECK(p->foreign == 2 && p->foreign_named == 0, "point %lld: foreign key named somebody", (long long)i);
        if (p->round == 0) {
            /* the protected model, as protect measured it */
            CHECK(p->protect_acc == p->acc_own, "round 0: own %.6f, protect %.6f", p->acc_own, p->protect_acc);
            CHECK(p->part_n == 0 && p->ft_s == 0, "round 0 is not fine-tuned");
            const eip_exp_removal_point *q = &pts[0];
            CHECK(p->acc_key == q->acc_key && p->memorised == q->memorised &&
                      p->leaker_matched == q->leaker_matched,
                  "round 0 differs between the attackers");
            /* memorised instances: a deployment prints exactly Dec(sk_j, c̄_i) */
            if (p->memorised == 1.0)
                CHECK(p->leaker_named == p->leaker && p->leaker_matched == 8 && p->traced == 2,
                      "round 0: memorised but the leaker is not named (%lld/8)", (long long)p->leaker_matched);
        } else {
            CHECK(p->part_n + p->dropped == 500, "round %lld: part of %lld + %lld images", (long long)p->round,
                  (long long)p->part_n, (long long)p->dropped);
            CHECK(p->ft_s > 0, "round %lld not timed", (long long)p->round);
            if (attacker == EIP_EXP_REMOVAL_PAPER)
                CHECK(p->dropped == 0 && p->label_agree == -1, "paper attacker uses the true labels");
            else
                CHECK(in01(p->label_agree), "leaker label agreement %.4f", p->label_agree);
        }
    }
    REQUIRE(eip_exp_removal_write(&c, pts, n, 1.0, &err) == EIP_OK, "%s", err.msg);
    static const char *const files[] = {"removal.csv", "removal.md", "removal_smallcnn_mnist_acc.png",
                                        "removal_smallcnn_mnist_verif.png"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        CHECK(file_nonempty(dir, files[i]), "%s/%s missing or empty (PNG: is gnuplot installed?)", dir, files[i]);
    CHECK(count_lines(dir, "removal.csv") == 1 + n, "removal.csv: %lld lines for %lld points",
          (long long)count_lines(dir, "removal.csv"), (long long)n);
    /* --merge reads the CSV back: the same points (to the CSV's precision) */
    {
        eip_exp_removal_point *back = NULL;
        int64_t nb = 0;
        REQUIRE(eip_exp_removal_read(dir, &back, &nb, &err) == EIP_OK, "read back: %s", err.msg);
        CHECK(nb == n, "read back %lld of %lld points", (long long)nb, (long long)n);
        for (int64_t i = 0; i < nb && i < n; i++)
            CHECK(!strcmp(back[i].model, pts[i].model) && back[i].group == pts[i].group &&
                      back[i].attacker == pts[i].attacker && back[i].round == pts[i].round &&
                      back[i].leaker_matched == pts[i].leaker_matched &&
                      back[i].leaker_named == pts[i].leaker_named &&
                      back[i].acc_key > pts[i].acc_key - 1e-4 && back[i].acc_key < pts[i].acc_key + 1e-4,
                  "point %lld differs after the CSV round trip", (long long)i);
        free(back);
    }
    /* bad settings are refused before any training */
    c.parts = 0;
    eip_exp_removal_point *none = NULL;
    CHECK(eip_exp_removal_cell(&c, &nn, "smallcnn", &c.recipes[0], &train, &test, "mnist",
                               EIP_EXP_ENCRYIP_RISTRETTO, &none, &n, &err) == EIP_ERR_ARG && !none,
          "parts 0 accepted");
    free(pts);
    eip_nn_ctx_free(&nn);
    eip_data_set_free(&train);
    eip_data_set_free(&test);
    static const char *const all[] = {"removal.csv", "removal.md", "removal_smallcnn_mnist_acc.png",
                                      "removal_smallcnn_mnist_acc.png.gp", "removal_smallcnn_mnist_verif.png",
                                      "removal_smallcnn_mnist_verif.png.gp"};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, all[i]);
        unlink(p);
    }
    rmdir(dir);
    TEST_MAIN_END();
}
