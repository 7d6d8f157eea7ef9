/* Figure 4 (paper section 5.1): test accuracy per epoch, original vs
 * EncryIP, mean over the repeats, from DIR/epochs.csv (written by table1):
 * curves_<model>_<dataset>.csv and .png (shared gnuplot writer). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/encryip_internal.h"
#include "encryip/util.h"

#define MAX_EPOCHS 1000
#define MAX_CURVES 64

typedef struct curve_acc {
    char model[EIP_EXP_ENCRYIP_NAME], dataset[EIP_EXP_ENCRYIP_NAME];
    int64_t epochs;
    double sum[EIP_EXP_ENCRYIP_METHODS][MAX_EPOCHS];
    double sq[EIP_EXP_ENCRYIP_METHODS][MAX_EPOCHS];
    int64_t cnt[EIP_EXP_ENCRYIP_METHODS][MAX_EPOCHS];
} curve_acc;

/* "width W, N training images" of the first table1.csv row of model/dataset in dir,
 * for the plot's subtitle; "" when table1.csv is missing or has no such row (the
 * curves can be re-rendered from epochs.csv alone). */
static void scale_of(const char *dir, const curve_acc *c, char *out, size_t cap)
{
    out[0] = '\0';
    char path[4096];
    snprintf(path, sizeof path, "%s/table1.csv", dir);
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_error e = {0};
    if (eip_io_read_file(path, (size_t)1 << 28, &buf, &len, &e) != EIP_OK)
        return;
    char *text = malloc(len + 1), *save = NULL;
    if (text) {
        memcpy(text, buf, len);
        text[len] = '\0';
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *f[40];
            /* model,width,dataset,repeat,seed,method,epochs,train_n,test_n,... */
            if (eip_expe_csv_split(line, f, 40) < 9 || strcmp(f[0], c->model) || strcmp(f[2], c->dataset))
                continue;
            snprintf(out, cap, "width %s, %s training images", f[1], f[7]);
            break;
        }
    }
    free(text);
    free(buf);
}

static eip_status write_one(const char *dir, const curve_acc *c, int plots, FILE *log, eip_error *err)
{
    eip_expe_text t = {0};
    eip_expe_text_add(&t, "epoch");
    for (int k = 0; k < EIP_EXP_ENCRYIP_METHODS; k++)
        eip_expe_text_add(&t, ",%s_mean,%s_std,%s_runs", eip_exp_encryip_method_name(k),
                          eip_exp_encryip_method_name(k), eip_exp_encryip_method_name(k));
    eip_expe_text_add(&t, "\n");
    double x[MAX_EPOCHS], y[EIP_EXP_ENCRYIP_METHODS][MAX_EPOCHS];
    int64_t ny[EIP_EXP_ENCRYIP_METHODS] = {0};
    for (int64_t e = 0; e < c->epochs; e++) {
        x[e] = (double)(e + 1);
        eip_expe_text_add(&t, "%lld", (long long)e + 1);
        for (int k = 0; k < EIP_EXP_ENCRYIP_METHODS; k++) {
            const int64_t n = c->cnt[k][e];
            if (!n) {
                eip_expe_text_add(&t, ",,,0");
                continue;
            }
            const double m = c->sum[k][e] / (double)n;
            double var = n > 1 ? (c->sq[k][e] - (double)n * m * m) / (double)(n - 1) : 0;
            eip_expe_text_add(&t, ",%.6f,%.6f,%lld", m, var > 0 ? sqrt(var) : 0, (long long)n);
            if (ny[k] == e) {
                y[k][e] = m;
                ny[k]++;
            }
        }
        eip_expe_text_add(&t, "\n");
    }
    char name[160];
    snprintf(name, sizeof name, "curves_%s_%s.csv", c->model, c->dataset);
    eip_status s = eip_expe_text_write(&t, dir, name, err);
    eip_expe_text_free(&t);
    if (s || !plots)
        return s;
    static const char *const legend[] = {"original", "EncryIP (paper group)", "EncryIP (ristretto255)"};
    eip_exp_series ser[EIP_EXP_ENCRYIP_METHODS];
    int ns = 0;
    for (int k = 0; k < EIP_EXP_ENCRYIP_METHODS; k++)
        if (ny[k] > 0)
            ser[ns++] = (eip_exp_series){legend[k], ny[k], x, y[k]};
    char png[4200], title[160];
    snprintf(png, sizeof png, "%s/curves_%s_%s.png", dir, c->model, c->dataset);
    snprintf(title, sizeof title, "%s on %s: test accuracy per epoch (mean over repeats)", c->model,
             c->dataset);
    char scale[160], sub[320];
    scale_of(dir, c, scale, sizeof scale);
    int64_t reps = 0;
    for (int k = 0; k < EIP_EXP_ENCRYIP_METHODS; k++)
        reps = c->cnt[k][0] > reps ? c->cnt[k][0] : reps;
    snprintf(sub, sizeof sub, "%s%s%lld repeat%s; per-epoch accuracy on a random test subset (--eval-limit)", scale,
             scale[0] ? ", " : "", (long long)reps, reps == 1 ? "" : "s");
    eip_exp_plot p = {.png_path = png, .title = title, .xlabel = "epoch",
                      .ylabel = "test accuracy (fraction of test images)", .n_series = ns, .series = ser,
                      .subtitle = sub, .x_integer = 1};
    eip_error e2 = {0};
    if (ns && eip_exp_plot_lines(&p, &e2) != EIP_OK && log)
        fprintf(log, "warning: %s (the CSV is written)\n", e2.msg);
    return EIP_OK;
}

eip_status eip_exp_encryip_curves(const char *dir, int plots, FILE *log, eip_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/epochs.csv", dir);
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_status s = eip_io_read_file(path, (size_t)1 << 28, &buf, &len, err);
    if (s)
        return s;
    curve_acc *cv = calloc(MAX_CURVES, sizeof *cv);
    int ncv = 0;
    if (!cv) {
        free(buf);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    }
    char *text = malloc(len + 1), *save = NULL;
    if (!text) {
        free(cv);
        free(buf);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(text, buf, len);
    text[len] = '\0';
    int64_t lineno = 0;
    for (char *line = strtok_r(text, "\n", &save); line && !s; line = strtok_r(NULL, "\n", &save)) {
        if (lineno++ == 0)
            continue; /* header */
        char *f[8];
        if (eip_expe_csv_split(line, f, 8) != 6) {
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s:%lld: expected 6 fields", path, (long long)lineno);
            break;
        }
        const int k = eip_expe_method_parse(f[3]);
        char *end = NULL;
        const long ep = strtol(f[4], &end, 10);
        const double acc = strtod(f[5], NULL);
        if (k < 0 || ep < 1 || ep > MAX_EPOCHS || *end) {
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s:%lld: bad method or epoch", path, (long long)lineno);
            break;
        }
        int i = 0;
        while (i < ncv && (strcmp(cv[i].model, f[0]) || strcmp(cv[i].dataset, f[1])))
            i++;
        if (i == ncv) {
            if (ncv == MAX_CURVES) {
                s = eip_error_set(err, EIP_ERR_RANGE, "%s: more than %d model/dataset pairs", path,
                                  MAX_CURVES);
                break;
            }
            snprintf(cv[i].model, sizeof cv[i].model, "%s", f[0]);
            snprintf(cv[i].dataset, sizeof cv[i].dataset, "%s", f[1]);
            ncv++;
        }
        if (acc < 0)
            continue;
        cv[i].sum[k][ep - 1] += acc;
        cv[i].sq[k][ep - 1] += acc * acc;
        cv[i].cnt[k][ep - 1]++;
        if (ep > cv[i].epochs)
            cv[i].epochs = ep;
    }
    for (int i = 0; i < ncv && !s; i++)
        s = write_one(dir, &cv[i], plots, log, err);
    free(cv);
    free(text);
    free(buf);
    return s;
}
