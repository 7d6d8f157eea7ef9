/* `encryip experiment table1 --merge DIR,...`: one Table 1 from several
 * table1 runs.  On 2 cores the grid runs fastest as parallel single-thread
 * processes (one per model or dataset); this reads their table1.csv and
 * epochs.csv back and renders the joint tables and Figure 4 curves with the
 * same writer as a single run (eip_exp_encryip_write). */
#include <stdlib.h>
#include <string.h>

#include "experiment/encryip_internal.h"
#include "encryip/util.h"

#define CSV_FIELDS 29
#define MAX_CSV_BYTES ((size_t)1 << 26)

static const char TABLE1_HEADER[] =
    "model,width,dataset,repeat,seed,method,epochs,train_n,test_n,k,verif_n,verif_reps,train_s,"
    "total_s,acc_ml,acc_argmax,own_ml,verif_slot,wrong_ml,wrong_argmax,wrong_min,wrong_max,"
    "wrong_nal,wrong_keys,wrong_equiv,verif_ml,verif_argmax,false_named,memorised";

typedef struct merge_set {
    eip_exp_encryip_run *runs;
    int64_t n, cap;
} merge_set;

static eip_status read_text(const char *dir, const char *name, char **text, char *path, size_t cap,
                            eip_error *err)
{
    snprintf(path, cap, "%s/%s", dir, name);
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_status s = eip_io_read_file(path, MAX_CSV_BYTES, &buf, &len, err);
    if (s)
        return s;
    *text = malloc(len + 1);
    if (!*text) {
        free(buf);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(*text, buf, len);
    (*text)[len] = '\0';
    free(buf);
    return EIP_OK;
}

static eip_status name_add(const char *path, int64_t line, const char *v,
                           char (*names)[EIP_EXP_ENCRYIP_NAME], int *n, int max, eip_error *err)
{
    if (!*v || strlen(v) >= EIP_EXP_ENCRYIP_NAME)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s:%lld: bad name '%.40s'", path, (long long)line, v);
    for (int i = 0; i < *n; i++)
        if (!strcmp(names[i], v))
            return EIP_OK;
    if (*n == max)
        return eip_error_set(err, EIP_ERR_RANGE, "%s:%lld: more than %d distinct names", path,
                             (long long)line, max);
    snprintf(names[(*n)++], EIP_EXP_ENCRYIP_NAME, "%s", v);
    return EIP_OK;
}

/* One table1.csv row -> a run (strict: every field parsed in range). */
static eip_status row_parse(const char *path, int64_t line, char **f, eip_exp_encryip_run *r,
                            eip_error *err)
{
    char what[4300];
    snprintf(what, sizeof what, "%s:%lld", path, (long long)line);
    memset(r, 0, sizeof *r);
    snprintf(r->model, sizeof r->model, "%s", f[0]);
    snprintf(r->dataset, sizeof r->dataset, "%s", f[2]);
    r->method = eip_expe_method_parse(f[5]);
    if (r->method < 0)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: unknown method '%.40s'", what, f[5]);
    int64_t seed, rep;
    eip_status s;
    if ((s = eip_parse_f64(what, f[1], 1.0 / 64, 4.0, &r->width, err)) ||
        (s = eip_parse_i64(what, f[3], 1, 100000, &rep, err)) ||
        (s = eip_parse_i64(what, f[4], 0, INT64_MAX, &seed, err)) ||
        (s = eip_parse_i64(what, f[6], 1, 1000, &r->epochs, err)) ||
        (s = eip_parse_i64(what, f[7], 1, INT64_MAX, &r->train_n, err)) ||
        (s = eip_parse_i64(what, f[8], 1, INT64_MAX, &r->test_n, err)) ||
        (s = eip_parse_i64(what, f[9], 2, INT64_MAX, &r->k, err)) ||
        (s = eip_parse_i64(what, f[10], 0, INT64_MAX, &r->verif_n, err)) ||
        (s = eip_parse_i64(what, f[11], 0, INT64_MAX, &r->verif_reps, err)) ||
        (s = eip_parse_i64(what, f[23], 0, 100000, &r->wrong_keys, err)) ||
        (s = eip_parse_i64(what, f[24], 0, 100000, &r->wrong_equiv, err)))
        return s;
    /* doubles: times >= 0; accuracies in [0, 1] or -1 (not measured) */
    double *d[] = {&r->train_s, &r->total_s, &r->acc, &r->acc_argmax, &r->own_ml, &r->verif_slot,
                   &r->wrong_ml, &r->wrong_argmax, &r->wrong_min, &r->wrong_max, &r->wrong_nal,
                   &r->verif_ml, &r->verif_argmax, &r->false_named, &r->memorised};
    static const int col[] = {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 25, 26, 27, 28};
    for (int i = 0; i < 15; i++) {
        if ((s = eip_parse_f64(what, f[col[i]], i < 2 ? 0.0 : -1.0, i < 2 ? 1e9 : 1.0, d[i], err)))
            return s;
        if (i >= 2 && *d[i] < 0 && *d[i] != -1.0)
            return eip_error_set(err, EIP_ERR_FORMAT, "%s: column %d is %g, not in [0, 1] or -1",
                                 what, col[i] + 1, *d[i]);
    }
    r->repeat = rep - 1;
    r->seed = (uint64_t)seed;
    r->done = 1;
    r->curve = calloc((size_t)r->epochs, sizeof *r->curve);
    if (!r->curve)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", what);
    for (int64_t e = 0; e < r->epochs; e++)
        r->curve[e] = -1;
    return EIP_OK;
}

static eip_exp_encryip_run *find_run(merge_set *m, const char *model, const char *dataset,
                                     int64_t repeat, int method, int64_t from)
{
    for (int64_t i = from; i < m->n; i++) {
        eip_exp_encryip_run *r = &m->runs[i];
        if (r->method == method && r->repeat == repeat && !strcmp(r->model, model) &&
            !strcmp(r->dataset, dataset))
            return r;
    }
    return NULL;
}

/* Repeat offset of model/dataset for a directory whose runs start at m->runs[first]: the
 * number of repeats the earlier directories hold, so that two grids run side by side with
 * different --seed (say 1..5 and 6..10) merge into repeats 1..10. */
static int64_t repeat_offset(const merge_set *m, int64_t first, const char *model, const char *dataset)
{
    int64_t off = 0;
    for (int64_t i = 0; i < first; i++)
        if (!strcmp(m->runs[i].model, model) && !strcmp(m->runs[i].dataset, dataset) &&
            m->runs[i].repeat + 1 > off)
            off = m->runs[i].repeat + 1;
    return off;
}

static eip_status read_runs(eip_exp_encryip_config *cfg, const char *dir, merge_set *m, eip_error *err)
{
    char path[4200], *text = NULL, *save = NULL;
    eip_status s = read_text(dir, "table1.csv", &text, path, sizeof path, err);
    if (s)
        return s;
    const int64_t first = m->n;
    int64_t line = 0;
    for (char *l = strtok_r(text, "\n", &save); l && !s; l = strtok_r(NULL, "\n", &save)) {
        if (line++ == 0) {
            if (strcmp(l, TABLE1_HEADER))
                s = eip_error_set(err, EIP_ERR_FORMAT, "%s: not a table1.csv (header differs)", path);
            continue;
        }
        char *f[CSV_FIELDS + 1];
        if (eip_expe_csv_split(l, f, CSV_FIELDS + 1) != CSV_FIELDS) {
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s:%lld: expected %d fields", path, (long long)line,
                              CSV_FIELDS);
            break;
        }
        if (m->n == m->cap) {
            const int64_t cap = m->cap ? 2 * m->cap : 64;
            eip_exp_encryip_run *nr = realloc(m->runs, (size_t)cap * sizeof *nr);
            if (!nr) {
                s = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            m->runs = nr;
            m->cap = cap;
        }
        eip_exp_encryip_run *r = &m->runs[m->n];
        if ((s = row_parse(path, line, f, r, err))) {
            free(r->curve);
            break;
        }
        r->repeat += repeat_offset(m, first, r->model, r->dataset);
        m->n++;
        for (int64_t i = 0; i < first && !s; i++) /* the same run in two directories */
            if (m->runs[i].seed == r->seed && m->runs[i].method == r->method &&
                !strcmp(m->runs[i].model, r->model) && !strcmp(m->runs[i].dataset, r->dataset))
                s = eip_error_set(err, EIP_ERR_FORMAT, "%s:%lld: %s/%s seed %llu %s is in two runs", path,
                                  (long long)line, r->model, r->dataset, (unsigned long long)r->seed,
                                  eip_exp_encryip_method_name(r->method));
        if (!s && find_run(m, r->model, r->dataset, r->repeat, r->method, 0) != r)
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s:%lld: %s/%s repeat %lld %s is in two runs", path,
                              (long long)line, r->model, r->dataset, (long long)r->repeat + 1,
                              eip_exp_encryip_method_name(r->method));
        if (!s)
            s = name_add(path, line, r->model, cfg->models, &cfg->n_models, EIP_EXP_ENCRYIP_MAX_MODELS, err);
        if (!s)
            s = name_add(path, line, r->dataset, cfg->datasets, &cfg->n_datasets,
                         EIP_EXP_ENCRYIP_MAX_DATASETS, err);
        if (!s && r->repeat + 1 > cfg->repeats)
            cfg->repeats = r->repeat + 1;
        cfg->groups |= r->method == EIP_EXP_ENCRYIP_PAPER ? 1 : r->method == EIP_EXP_ENCRYIP_RISTRETTO ? 2 : 0;
    }
    free(text);
    if (s)
        return s;
    /* epochs.csv: model,dataset,repeat,method,epoch,test_acc -> the runs' curves */
    text = NULL;
    save = NULL;
    if ((s = read_text(dir, "epochs.csv", &text, path, sizeof path, err)))
        return s;
    line = 0;
    for (char *l = strtok_r(text, "\n", &save); l && !s; l = strtok_r(NULL, "\n", &save)) {
        if (line++ == 0)
            continue;
        char *f[7], what[4300];
        snprintf(what, sizeof what, "%s:%lld", path, (long long)line);
        int64_t rep, ep;
        double acc;
        if (eip_expe_csv_split(l, f, 7) != 6) {
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: expected 6 fields", what);
            break;
        }
        const int k = eip_expe_method_parse(f[3]);
        if ((s = eip_parse_i64(what, f[2], 1, 100000, &rep, err)) ||
            (s = eip_parse_i64(what, f[4], 1, 1000, &ep, err)) ||
            (s = eip_parse_f64(what, f[5], -1.0, 1.0, &acc, err)))
            break;
        eip_exp_encryip_run *r =
            k < 0 ? NULL : find_run(m, f[0], f[1], rep - 1 + repeat_offset(m, first, f[0], f[1]), k, first);
        if (!r || ep > r->epochs) {
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: no run in table1.csv for this row (or epoch > "
                              "its epochs)", what);
            break;
        }
        r->curve[ep - 1] = acc;
    }
    free(text);
    return s;
}

eip_status eip_exp_encryip_merge(eip_exp_encryip_config *cfg, const char *const *dirs, int n_dirs,
                                 eip_error *err)
{
    if (n_dirs < 1 || !cfg->out.dir)
        return eip_error_set(err, EIP_ERR_ARG, "experiment table1 --merge: directories and --out are "
                             "required");
    cfg->n_models = cfg->n_datasets = 0;
    cfg->repeats = 0;
    cfg->groups = 0;
    merge_set m = {0};
    eip_status s = EIP_OK;
    for (int i = 0; i < n_dirs && !s; i++)
        s = read_runs(cfg, dirs[i], &m, err);
    if (!s && !m.n)
        s = eip_error_set(err, EIP_ERR_FORMAT, "experiment table1 --merge: the directories hold no runs");
    double wall = 0;
    for (int64_t i = 0; i < m.n; i++)
        wall += m.runs[i].total_s;
    /* widths / epochs per model for the row labels (from its first run) */
    for (int mi = 0; mi < cfg->n_models && !s; mi++) {
        cfg->recipes[mi] = eip_exp_encryip_recipe_default(cfg->models[mi]);
        for (int64_t i = 0; i < m.n; i++)
            if (!strcmp(m.runs[i].model, cfg->models[mi])) {
                cfg->recipes[mi].width = m.runs[i].width;
                cfg->recipes[mi].epochs = m.runs[i].epochs;
                break;
            }
    }
    if (!s)
        s = eip_exp_encryip_write(cfg, m.runs, m.n, wall, err);
    for (int64_t i = 0; i < m.n; i++)
        eip_exp_encryip_run_free(&m.runs[i]);
    free(m.runs);
    return s;
}
