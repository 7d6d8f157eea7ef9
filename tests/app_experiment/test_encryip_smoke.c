/* EncryIP experiment driver, seconds-scale: one Table 1 cell (smallcnn width 0.5,
 * 1 epoch, 1000 MNIST images, R = 1, both groups), then the outputs.
 * Checks: every file is written (the PNG too), accuracies are in [0, 1], the
 * leaking licensee is named in every trial and a non-licensee deployment is
 * not (ristretto255 always; paper group when no foreign key is equivalent
 * to the public key), the correct-key
 * accuracy equals the model's own decoding up to the outputs that decode to
 * a verification codeword, the incorrect key gives no labels in
 * ristretto255 and (paper group) at least one of the keys sits near chance. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encryip/crypto.h"
#include "experiment/experiment.h"
#include "util/io.h"
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

int main(void)
{
    eip_error err = {0};
    REQUIRE(eip_crypto_init(&err) == EIP_OK, "%s", err.msg);
    eip_exp_encryip_config c;
    eip_exp_encryip_config_default(&c);
    c.n_models = 1;
    snprintf(c.models[0], sizeof c.models[0], "smallcnn");
    c.recipes[0] = eip_exp_encryip_recipe_default("smallcnn");
    c.recipes[0].width = 0.5; /* 0.25 (8 channels) hits slow reference kernels */
    c.recipes[0].epochs = 1;
    c.n_datasets = 1;
    snprintf(c.datasets[0], sizeof c.datasets[0], "mnist");
    c.repeats = 1;
    c.limit = 1000;
    c.test_limit = 600;
    c.eval_limit = 300;
    c.recipes[0].verif_reps = 150; /* ~150 presentations: memorised in 1 epoch (docs/PROTECT.md) */
    c.trials = 4;
    c.wrong_keys = 6;
    c.threads = 2;
    c.seed = 7;
    char dir[] = "/tmp/encryip_exp_smokeXXXXXX";
    REQUIRE(mkdtemp(dir) != NULL, "mkdtemp %s", dir);
    c.out.dir = dir;
    c.out.log = NULL;

    eip_data_set train = {0}, test_full = {0}, test = {0};
    REQUIRE(eip_data_load_by_name("mnist", NULL, &train, &test_full, &err) == EIP_OK, "%s", err.msg);
    eip_data_set tr1 = {0};
    REQUIRE(eip_data_set_subset_fraction(&train, 1000.0 / (double)train.n, 3, &tr1, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_data_set_subset_fraction(&test_full, 600.0 / (double)test_full.n, 4, &test, &err) == EIP_OK, "%s", err.msg);
    eip_nn_ctx nn = {0};
    REQUIRE(eip_nn_ctx_init(&nn, 2, &err) == EIP_OK, "%s", err.msg);

    eip_exp_encryip_run runs[EIP_EXP_ENCRYIP_METHODS];
    eip_status s = eip_exp_encryip_run_cell(&c, &nn, "smallcnn", &c.recipes[0], &tr1, &test, "mnist", 0, 0,
                                            runs, &err);
    if (s)
        fprintf(stderr, "run_cell: %s\n", err.msg);
    REQUIRE(s == EIP_OK, "%s", err.msg);
    for (int k = 0; k < EIP_EXP_ENCRYIP_METHODS; k++) {
        const eip_exp_encryip_run *r = &runs[k];
        fprintf(stderr, "%s: acc %.4f argmax %.4f own %.4f verif-slot %.4f wrong %.4f (min %.4f max "
                        "%.4f, no-label %.3f, equiv %lld/%lld) verif %.2f/%.2f false %.2f mem %.2f K=%lld\n",
                eip_exp_encryip_method_name(k), r->acc, r->acc_argmax, r->own_ml, r->verif_slot,
                r->wrong_ml, r->wrong_min, r->wrong_max, r->wrong_nal, (long long)r->wrong_equiv,
                (long long)r->wrong_keys, r->verif_ml, r->verif_argmax, r->false_named, r->memorised,
                (long long)r->k);
        CHECK(r->done == 1, "%s", eip_exp_encryip_method_name(k));
        CHECK(in01(r->acc), "%s", eip_exp_encryip_method_name(k));
        CHECK(r->epochs == 1 && r->curve && in01(r->curve[0]), "%s", eip_exp_encryip_method_name(k));
        if (k == EIP_EXP_ENCRYIP_ORIGINAL) {
            /* 8 SGD steps: the original is past chance; EncryIP's 3-block loss
             * (paper group) may still sit near chance, so only its invariants
             * are checked below */
            CHECK(r->acc > 0.2, "%s", eip_exp_encryip_method_name(k));
            continue;
        }
        CHECK(in01(r->acc_argmax) && in01(r->own_ml) && in01(r->verif_slot), "%s", eip_exp_encryip_method_name(k));
        CHECK(in01(r->wrong_ml) && in01(r->wrong_argmax) && in01(r->verif_ml) &&
              in01(r->verif_argmax) && in01(r->false_named), "%s", eip_exp_encryip_method_name(k));
        /* Dec(sk_j, SampDist(codeword)) = the codeword's label: key accuracy =
         * own decoding, plus at most the outputs on verification codewords */
        CHECK(r->acc >= r->own_ml - 1e-12, "%s", eip_exp_encryip_method_name(k));
        CHECK(r->acc <= r->own_ml + r->verif_slot + 1e-12, "%s", eip_exp_encryip_method_name(k));
        CHECK(r->wrong_keys == 6, "%s", eip_exp_encryip_method_name(k));
        /* Table 1's verification column must mean something: in ristretto255
         * (targeted verification ciphertexts) the leaking licensee is named in
         * every trial with the default (ML) decoder.  The paper group's Fake
         * instances are only ~88 % memorised after these few SGD steps, right
         * at trace's 80 % rule, so there it is range-checked: two clean-clone
         * CI runs named the leaker in 0 of its trials, others in all.  The
         * CLI tests (protect_cli, faults) check paper-group traces on
         * models trained long enough. */
        if (k == EIP_EXP_ENCRYIP_RISTRETTO)
            CHECK(r->verif_ml == 1.0, "%s: leaker named in %.2f (ML) / %.2f (arg-max) of trials",
                  eip_exp_encryip_method_name(k), r->verif_ml, r->verif_argmax);
        if (k == EIP_EXP_ENCRYIP_RISTRETTO) {
            CHECK(r->wrong_ml < 0.02, "%s", eip_exp_encryip_method_name(k));  /* a foreign key reads no label */
            CHECK(r->wrong_nal > 0.98, "%s", eip_exp_encryip_method_name(k));
            CHECK(r->false_named == 0.0, "%s", eip_exp_encryip_method_name(k));
        } else {
            /* a foreign key equivalent to this public key with a licensee's b
             * IS that licensee's key (q = 11: 10 values of b): only without
             * equivalent keys must nobody be named */
            if (r->wrong_equiv == 0)
                CHECK(r->false_named == 0.0, "%s: a non-licensee deployment named someone",
                      eip_exp_encryip_method_name(k));
            CHECK(r->wrong_nal == 0.0, "%s", eip_exp_encryip_method_name(k)); /* q = 11: every element is a label */
            /* a foreign key whose d = log h - a' - t b' is a unit of Z_10 sees
             * a uniform factor: accuracy ~ 1/z (P(no such key in 6) < 0.1%
             * counting gcd 2 as near too) */
            CHECK(r->wrong_min < 0.3, "%s", eip_exp_encryip_method_name(k));
        }
    }
    REQUIRE(eip_exp_encryip_write(&c, runs, EIP_EXP_ENCRYIP_METHODS, 1.0, &err) == EIP_OK, "%s", err.msg);
    static const char *const files[] = {"table1.csv", "epochs.csv", "table1.md", "table1_paper.md",
                                        "table1_ristretto255.md", "curves_smallcnn_mnist.csv",
                                        "curves_smallcnn_mnist.png", "curves_smallcnn_mnist.png.gp"};
    const size_t nf = sizeof files / sizeof files[0];
    /* every file, the PNG included: gnuplot is a set-up dependency, so a
     * missing PNG is a failure, not a skip */
    for (size_t i = 0; i < nf; i++)
        CHECK(file_nonempty(dir, files[i]), "%s/%s missing or empty (PNG: is gnuplot installed?)",
              dir, files[i]);
    /* Figure 4 curves re-rendered from epochs.csv alone */
    char p[4096];
    snprintf(p, sizeof p, "%s/curves_smallcnn_mnist.csv", dir);
    unlink(p);
    CHECK(eip_exp_encryip_curves(dir, 0, NULL, &err) == EIP_OK, "curves: %s", err.msg);
    CHECK(file_nonempty(dir, "curves_smallcnn_mnist.csv"), "curves CSV not re-rendered");
    /* --merge reads the runs back: the merged table1.csv equals the source
     * byte for byte; the same directory twice repeats every run: refused */
    {
        char dir2[] = "/tmp/encryip_exp_mergeXXXXXX";
        REQUIRE(mkdtemp(dir2) != NULL, "mkdtemp %s", dir2);
        eip_exp_encryip_config m;
        eip_exp_encryip_config_default(&m);
        m.out.dir = dir2;
        m.out.plots = 0;
        m.merged_from = dir;
        const char *one[1] = {dir}, *two[2] = {dir, dir};
        CHECK(eip_exp_encryip_merge(&m, one, 1, &err) == EIP_OK, "merge: %s", err.msg);
        CHECK(m.n_models == 1 && m.n_datasets == 1 && m.repeats == 1 && m.groups == 3,
              "merge: %d models, %d datasets, %lld repeats, groups %d", m.n_models, m.n_datasets,
              (long long)m.repeats, m.groups);
        unsigned char *a = NULL, *b = NULL;
        size_t la = 0, lb = 0;
        char pa[4096], pb[4096];
        snprintf(pa, sizeof pa, "%s/table1.csv", dir);
        snprintf(pb, sizeof pb, "%s/table1.csv", dir2);
        REQUIRE(eip_io_read_file(pa, 1 << 20, &a, &la, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_io_read_file(pb, 1 << 20, &b, &lb, &err) == EIP_OK, "%s", err.msg);
        CHECK(la == lb && !memcmp(a, b, la), "merged table1.csv differs from its source");
        free(a);
        free(b);
        eip_exp_encryip_config_default(&m);
        m.out.dir = dir2;
        m.out.plots = 0;
        CHECK(eip_exp_encryip_merge(&m, two, 2, &err) == EIP_ERR_FORMAT && strstr(err.msg, "two runs"),
              "a run twice: %s", err.msg);
        /* a second grid of other seeds (run side by side with another --seed) merges into
         * repeats 1..2: the same runs with the seed column changed */
        char dir3[] = "/tmp/encryip_exp_merge3XXXXXX";
        REQUIRE(mkdtemp(dir3) != NULL, "mkdtemp %s", dir3);
        REQUIRE(eip_io_read_file(pa, 1 << 20, &a, &la, &err) == EIP_OK, "%s", err.msg);
        char *t3 = malloc(2 * la + 1);
        size_t n3 = 0;
        int comma = 0, first_line = 1;
        for (size_t i = 0; t3 && i < la; i++) { /* append a '7' to field 5 (seed) of data rows */
            if (a[i] == ',' && !first_line && ++comma == 5)
                t3[n3++] = '7';
            if (a[i] == '\n') {
                comma = 0;
                first_line = 0;
            }
            t3[n3++] = (char)a[i];
        }
        free(a);
        a = NULL;
        REQUIRE(t3, "out of memory");
        snprintf(p, sizeof p, "%s/table1.csv", dir3);
        REQUIRE(eip_io_write_atomic(p, t3, n3, EIP_IO_MODE_PUBLIC, &err) == EIP_OK, "%s", err.msg);
        free(t3);
        snprintf(pa, sizeof pa, "%s/epochs.csv", dir);
        REQUIRE(eip_io_read_file(pa, 1 << 20, &a, &la, &err) == EIP_OK, "%s", err.msg);
        snprintf(p, sizeof p, "%s/epochs.csv", dir3);
        REQUIRE(eip_io_write_atomic(p, a, la, EIP_IO_MODE_PUBLIC, &err) == EIP_OK, "%s", err.msg);
        free(a);
        const char *other[2] = {dir, dir3};
        eip_exp_encryip_config_default(&m);
        m.out.dir = dir2;
        m.out.plots = 0;
        CHECK(eip_exp_encryip_merge(&m, other, 2, &err) == EIP_OK && m.repeats == 2,
              "merge of two seed ranges: %s (repeats %lld)", err.msg, (long long)m.repeats);
        unlink(p);
        snprintf(p, sizeof p, "%s/table1.csv", dir3);
        unlink(p);
        rmdir(dir3);
        for (size_t i = 0; i < nf; i++) {
            snprintf(p, sizeof p, "%s/%s", dir2, files[i]);
            unlink(p);
        }
        rmdir(dir2);
    }
    for (size_t i = 0; i < nf; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    for (int k = 0; k < EIP_EXP_ENCRYIP_METHODS; k++)
        eip_exp_encryip_run_free(&runs[k]);
    rmdir(dir);
    eip_nn_ctx_free(&nn);
    eip_data_set_free(&train);
    eip_data_set_free(&tr1);
    eip_data_set_free(&test_full);
    eip_data_set_free(&test);
    TEST_MAIN_END();
}
