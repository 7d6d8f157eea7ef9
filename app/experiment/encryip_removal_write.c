/* Outputs of `experiment removal` (Figures 6 and 7): removal.csv (one row
 * per point), removal.md (a summary and one table per model x dataset,
 * the paper's reading beside it) and per model x dataset two gnuplot PNGs:
 * decrypted test accuracy vs round (Figure 6) and the leaking licensee's
 * trace agreement vs round (Figure 7). */
#include <stdlib.h>
#include <string.h>

#include "experiment/encryip_internal.h"
#include "encryip/util.h"

/* (the names live here, below the driver that logs them) */
const char *eip_exp_removal_attacker_name(int a)
{
    return a == EIP_EXP_REMOVAL_PAPER ? "paper" : a == EIP_EXP_REMOVAL_LEAKER ? "leaker" : "?";
}

static double agreement(const eip_exp_removal_point *p)
{
    return p->leaker_total > 0 ? (double)p->leaker_matched / (double)p->leaker_total : 0;
}

static const char *group_name(int g)
{
    return eip_exp_encryip_method_name(g);
}

static eip_status write_csv(const eip_exp_removal_config *cfg, const eip_exp_removal_point *pts, int64_t n,
                            eip_error *err)
{
    eip_expe_text t = {0};
    eip_expe_text_add(&t, "model,width,dataset,group,attacker,round,part_n,dropped,label_agree,ft_s,acc_key,"
                          "acc_own,verif_slot,protect_acc,memorised,leaker,leaker_named,leaker_matched,"
                          "leaker_total,leaker_agreement,traced,licensees,foreign_named,foreign\n");
    for (int64_t i = 0; i < n; i++) {
        const eip_exp_removal_point *p = &pts[i];
        eip_expe_text_add(&t, "%s,%g,%s,%s,%s,%lld,%lld,%lld,%.4f,%.2f,%.4f,%.4f,%.4f,%.4f,%.4f,%lld,%lld,%lld,"
                              "%lld,%.4f,%lld,%lld,%lld,%lld\n",
                          p->model, p->width, p->dataset, group_name(p->group),
                          eip_exp_removal_attacker_name(p->attacker), (long long)p->round,
                          (long long)p->part_n, (long long)p->dropped, p->label_agree, p->ft_s, p->acc_key,
                          p->acc_own, p->verif_slot, p->protect_acc, p->memorised, (long long)p->leaker,
                          (long long)p->leaker_named, (long long)p->leaker_matched,
                          (long long)p->leaker_total, agreement(p), (long long)p->traced,
                          (long long)p->licensees, (long long)p->foreign_named, (long long)p->foreign);
    }
    eip_status s = eip_expe_text_write(&t, cfg->out.dir, "removal.csv", err);
    eip_expe_text_free(&t);
    return s;
}

/* Distinct (model, dataset) pairs in order of appearance: indices of their
 * first point into first[]; returns how many. */
static int64_t pairs(const eip_exp_removal_point *pts, int64_t n, int64_t *first)
{
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t j = 0;
        while (j < k && (strcmp(pts[first[j]].model, pts[i].model) || strcmp(pts[first[j]].dataset, pts[i].dataset)))
            j++;
        if (j == k)
            first[k++] = i;
    }
    return k;
}

static int same_pair(const eip_exp_removal_point *a, const eip_exp_removal_point *b)
{
    return !strcmp(a->model, b->model) && !strcmp(a->dataset, b->dataset);
}

/* The point of (pair of `ref`, group, attacker, round), or NULL. */
static const eip_exp_removal_point *find(const eip_exp_removal_point *pts, int64_t n,
                                         const eip_exp_removal_point *ref, int group, int attacker,
                                         int64_t round)
{
    for (int64_t i = 0; i < n; i++)
        if (same_pair(&pts[i], ref) && pts[i].group == group && pts[i].attacker == attacker &&
            pts[i].round == round)
            return &pts[i];
    return NULL;
}

static const char *model_title(const char *m)
{
    return !strcmp(m, "resnet18") ? "ResNet-18" : !strcmp(m, "alexnet") ? "AlexNet"
                                              : !strcmp(m, "googlenet") ? "GoogLeNet" : m;
}

static const char *dataset_title(const char *d)
{
    return !strcmp(d, "mnist") ? "MNIST" : !strcmp(d, "fashion-mnist") ? "Fashion-MNIST" : d;
}

static void scale_line(char *buf, size_t cap, const eip_exp_removal_config *cfg, const eip_exp_removal_point *pts,
                       int64_t n, const eip_exp_removal_point *p)
{
    int64_t part = 0; /* images of part 1 (before the leaker's drops) */
    for (int64_t i = 0; i < n && !part; i++)
        if (same_pair(&pts[i], p) && pts[i].round == 1)
            part = pts[i].part_n + pts[i].dropped;
    int mi = 0;
    while (mi < cfg->n_models - 1 && strcmp(cfg->models[mi], p->model))
        mi++;
    const eip_exp_encryip_recipe *rc = &cfg->recipes[mi];
    snprintf(buf, cap, "width %g, protected on %lld images x %lld epochs;\n%lld parts of %lld images, %lld "
                       "epochs per round at %g x lr %g (%s)",
             p->width, (long long)(cfg->limit), (long long)rc->epochs, (long long)cfg->parts,
             (long long)part, (long long)cfg->ft_epochs,
             cfg->ft_lr_factor, rc->lr, rc->optim == EIP_TRAIN_OPTIM_ADAMW ? "AdamW" : "SGD");
}

/* Figure 6 (what = 0: decrypted accuracy) or 7 (what = 1: agreement). */
static eip_status plot_pair(const eip_exp_removal_config *cfg, const eip_exp_removal_point *pts, int64_t n,
                            const eip_exp_removal_point *ref, int what, eip_error *err)
{
    enum { MAXS = 5 };
    const int64_t rounds = cfg->parts + 1;
    double *buf = calloc((size_t)(2 * MAXS * rounds), sizeof *buf);
    if (!buf)
        return eip_error_set(err, EIP_ERR_NOMEM, "experiment removal: out of memory");
    char names[MAXS][96];
    eip_exp_series ser[MAXS];
    int ns = 0;
    for (int g = EIP_EXP_ENCRYIP_PAPER; g <= EIP_EXP_ENCRYIP_RISTRETTO; g++)
        for (int a = 0; a < EIP_EXP_REMOVAL_ATTACKERS; a++) {
            double *x = buf + (size_t)(2 * ns) * (size_t)rounds, *y = x + rounds;
            int64_t k = 0;
            for (int64_t r = 0; r < rounds; r++) {
                const eip_exp_removal_point *p = find(pts, n, ref, g, a, r);
                if (!p)
                    continue;
                x[k] = (double)r;
                y[k++] = what == 0 ? p->acc_key : agreement(p);
            }
            if (!k)
                continue;
            snprintf(names[ns], sizeof names[ns], "%s: %s", g == EIP_EXP_ENCRYIP_PAPER ? "paper group" : "ristretto255",
                     a == EIP_EXP_REMOVAL_PAPER ? "Alg. 1 targets" : "leaker's labels");
            ser[ns] = (eip_exp_series){names[ns], k, x, y};
            ns++;
        }
    double tx[2] = {0, (double)cfg->parts}, ty[2] = {EIP_PROTECT_TRACE_MIN_RATE, EIP_PROTECT_TRACE_MIN_RATE};
    if (what == 1 && ns > 0)
        ser[ns++] = (eip_exp_series){"trace rule (80%)", 2, tx, ty};
    eip_status s = EIP_OK;
    if (ns > 0) {
        char png[4096], name[160], title[160], sub[256];
        snprintf(name, sizeof name, "removal_%s_%s_%s.png", ref->model, ref->dataset, what == 0 ? "acc" : "verif");
        s = eip_io_path_join(png, sizeof png, cfg->out.dir, name, err);
        snprintf(title, sizeof title, "%s %s: %s per fine-tuning round", model_title(ref->model),
                 dataset_title(ref->dataset), what == 0 ? "decrypted test accuracy" : "leaker's trace agreement");
        scale_line(sub, sizeof sub, cfg, pts, n, ref);
        const eip_exp_plot pl = {
            .png_path = png,
            .title = title,
            .xlabel = "fine-tuning round (0 = the protected model)",
            .ylabel = what == 0 ? "test accuracy, leaker's key, ML decoder (fraction)"
                                : "verification instances agreeing with the leaker (fraction)",
            .ymin = 0,
            .ymax = 1.05,
            .n_series = ns,
            .series = ser,
            .subtitle = sub,
            .x_integer = 1,
        };
        if (!s)
            s = eip_exp_plot_lines(&pl, err);
    }
    free(buf);
    return s;
}

static void md_header(eip_expe_text *t, const eip_exp_removal_config *cfg, int64_t n, double wall_s)
{
    eip_expe_text_add(t, "# Removal by consecutive fine-tuning (EncryIP section 5.3, Figures 6 and 7)\n\n");
    eip_expe_text_add(t, "Scale: models");
    for (int i = 0; i < cfg->n_models; i++) {
        const eip_exp_encryip_recipe *rc = &cfg->recipes[i];
        eip_expe_text_add(t, "%s %s (width %g, protected %lld epochs, %s lr %g wd %g)", i ? "," : "",
                          cfg->models[i], rc->width, (long long)rc->epochs,
                          rc->optim == EIP_TRAIN_OPTIM_ADAMW ? "AdamW" : "SGD Nesterov", rc->lr, rc->wd);
    }
    eip_expe_text_add(t, "; %lld training images (0 = all; seeded random subset) split by a seeded "
                         "permutation into %lld disjoint parts, one per round; each round %lld epochs of "
                         "the model's recipe at %g x its lr, cosine, no warm-up, batch %lld; %lld test "
                         "images; P = %lld licensees; %lld foreign-key deployments per round; seed %llu. "
                         "Points: %lld; wall time %.0f s (0: merged from several runs, each with its own "
                         "removal.md).\n",
                      (long long)cfg->limit, (long long)cfg->parts, (long long)cfg->ft_epochs,
                      cfg->ft_lr_factor, (long long)cfg->batch, (long long)cfg->test_limit,
                      (long long)cfg->licensees, (long long)cfg->foreign_keys,
                      (unsigned long long)cfg->seed, (long long)n, wall_s);
    if (cfg->out.command)
        eip_expe_text_add(t, "\nCommand: `%s`\n", cfg->out.command);
    eip_expe_text_add(t,
                      "\nAttackers: **paper** = fine-tunes with Algorithm 1's targets (the owner's codeword "
                      "of each true label), no verification replicas; **leaker** = the leaking licensee "
                      "j labels each image with its own decrypted deployment of the protected model and "
                      "trains on the codeword its key reads as that label (eip_protect_leaker_targets), "
                      "no verification instances. Columns: key acc = Algorithm 2 + Dec(sk_j), ML "
                      "decoder, on the test images; memorised = verification instances the model still "
                      "decodes to their own ciphertext; agreement = j's verification instances on which "
                      "j's deployment prints Dec(sk_j, c̄_i) (eq. 5), named = the licensee the trace "
                      "names (0 = nobody; needs p < 1e-6 and >= 80%% agreement); traced = licensees "
                      "whose own deployment is named correctly; foreign = deployments decrypting with a "
                      "key of another key generation that named somebody.\n\n"
                      "Paper (section 5.3): \"fine-tuning does not impact EncryIP, and the model "
                      "performance trend remains consistent within the expected range\" (Figure 6); the "
                      "verification \"remains consistently close to 100%% accuracy across different model "
                      "structures and datasets\" (Figure 7). (Our copy of the paper has the text, not the "
                      "plotted values.)\n\n");
}

static void md_summary(eip_expe_text *t, const eip_exp_removal_config *cfg, const eip_exp_removal_point *pts,
                       int64_t n, const int64_t *first, int64_t np)
{
    eip_expe_text_add(t, "## Summary: round 0 -> round %lld\n\n| model | dataset | group | attacker | key acc | "
                         "memorised | leaker agreement | leaker named in rounds | traced (last round) | "
                         "foreign named (all rounds) |\n|---|---|---|---|---|---|---|---|---|---|\n",
                      (long long)cfg->parts);
    for (int64_t q = 0; q < np; q++)
        for (int g = EIP_EXP_ENCRYIP_PAPER; g <= EIP_EXP_ENCRYIP_RISTRETTO; g++)
            for (int a = 0; a < EIP_EXP_REMOVAL_ATTACKERS; a++) {
                const eip_exp_removal_point *p0 = find(pts, n, &pts[first[q]], g, a, 0);
                const eip_exp_removal_point *pl = find(pts, n, &pts[first[q]], g, a, cfg->parts);
                if (!p0 || !pl)
                    continue;
                int64_t named = 0, fn = 0, ft = 0;
                for (int64_t r = 1; r <= cfg->parts; r++) {
                    const eip_exp_removal_point *p = find(pts, n, &pts[first[q]], g, a, r);
                    named += p && p->leaker_named == p->leaker;
                    fn += p ? p->foreign_named : 0;
                    ft += p ? p->foreign : 0;
                }
                eip_expe_text_add(t, "| %s (w=%g) | %s | %s | %s | %.4f -> %.4f | %.2f -> %.2f | %lld/%lld -> "
                                     "%lld/%lld | %lld of %lld | %lld/%lld | %lld/%lld |\n",
                                  p0->model, p0->width, p0->dataset, group_name(g),
                                  eip_exp_removal_attacker_name(a), p0->acc_key, pl->acc_key, p0->memorised,
                                  pl->memorised, (long long)p0->leaker_matched, (long long)p0->leaker_total,
                                  (long long)pl->leaker_matched, (long long)pl->leaker_total,
                                  (long long)named, (long long)cfg->parts, (long long)pl->traced,
                                  (long long)pl->licensees, (long long)fn, (long long)ft);
            }
}

static void md_pair(eip_expe_text *t, const eip_exp_removal_config *cfg, const eip_exp_removal_point *pts,
                    int64_t n, const eip_exp_removal_point *ref)
{
    eip_expe_text_add(t, "\n## %s (w=%g), %s\n\nFigures: removal_%s_%s_acc.png (Figure 6), "
                         "removal_%s_%s_verif.png (Figure 7).\n\n| group | attacker | round | images | "
                         "labels = truth | fine-tune s | key acc | own acc | memorised | leaker agreement | "
                         "named | traced | foreign named |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
                      ref->model, ref->width, ref->dataset, ref->model, ref->dataset, ref->model, ref->dataset);
    for (int g = EIP_EXP_ENCRYIP_PAPER; g <= EIP_EXP_ENCRYIP_RISTRETTO; g++)
        for (int a = 0; a < EIP_EXP_REMOVAL_ATTACKERS; a++)
            for (int64_t r = 0; r <= cfg->parts; r++) {
                const eip_exp_removal_point *p = find(pts, n, ref, g, a, r);
                if (!p)
                    continue;
                char agree[32] = "-";
                if (p->label_agree >= 0)
                    snprintf(agree, sizeof agree, "%.4f", p->label_agree);
                eip_expe_text_add(t, "| %s | %s | %lld | %lld | %s | %.1f | %.4f | %.4f | %.2f | %lld/%lld | %lld "
                                     "(leaker %lld) | %lld/%lld | %lld/%lld |\n",
                                  group_name(g), eip_exp_removal_attacker_name(a), (long long)r,
                                  (long long)p->part_n, agree, p->ft_s, p->acc_key, p->acc_own, p->memorised,
                                  (long long)p->leaker_matched, (long long)p->leaker_total,
                                  (long long)p->leaker_named, (long long)p->leaker, (long long)p->traced,
                                  (long long)p->licensees, (long long)p->foreign_named, (long long)p->foreign);
            }
}

eip_status eip_exp_removal_write(const eip_exp_removal_config *cfg, const eip_exp_removal_point *pts,
                                 int64_t n, double wall_s, eip_error *err)
{
    eip_status s = write_csv(cfg, pts, n, err);
    if (s)
        return s;
    int64_t *first = malloc((size_t)(n > 0 ? n : 1) * sizeof *first);
    if (!first)
        return eip_error_set(err, EIP_ERR_NOMEM, "experiment removal: out of memory");
    const int64_t np = pairs(pts, n, first);
    eip_expe_text t = {0};
    md_header(&t, cfg, n, wall_s);
    md_summary(&t, cfg, pts, n, first, np);
    for (int64_t q = 0; q < np; q++)
        md_pair(&t, cfg, pts, n, &pts[first[q]]);
    s = eip_expe_text_write(&t, cfg->out.dir, "removal.md", err);
    eip_expe_text_free(&t);
    for (int64_t q = 0; q < np && !s && cfg->out.plots; q++)
        for (int what = 0; what < 2 && !s; what++)
            s = plot_pair(cfg, pts, n, &pts[first[q]], what, err);
    free(first);
    return s;
}

/* ---- reading removal.csv back (experiment removal --merge) ------------- */

#define REMOVAL_FIELDS 24
#define REMOVAL_MAX_CSV ((size_t)1 << 24)

/* One removal.csv row (strict: field count, names, every number in range). */
static eip_status row_parse(const char *what, char **f, eip_exp_removal_point *p, eip_error *err)
{
    memset(p, 0, sizeof *p);
    if (!*f[0] || strlen(f[0]) >= sizeof p->model || !*f[2] || strlen(f[2]) >= sizeof p->dataset)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: bad model or dataset name", what);
    snprintf(p->model, sizeof p->model, "%s", f[0]);
    snprintf(p->dataset, sizeof p->dataset, "%s", f[2]);
    p->group = eip_expe_method_parse(f[3]);
    p->attacker = !strcmp(f[4], "paper") ? EIP_EXP_REMOVAL_PAPER : !strcmp(f[4], "leaker") ? EIP_EXP_REMOVAL_LEAKER : -1;
    if (p->group != EIP_EXP_ENCRYIP_PAPER && p->group != EIP_EXP_ENCRYIP_RISTRETTO)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: group '%.40s' is not paper or ristretto255", what, f[3]);
    if (p->attacker < 0)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: attacker '%.40s' is not paper or leaker", what, f[4]);
    double agree;
    eip_status s;
    if ((s = eip_parse_f64(what, f[1], 1.0 / 64, 4.0, &p->width, err)) ||
        (s = eip_parse_i64(what, f[5], 0, 1000, &p->round, err)) ||
        (s = eip_parse_i64(what, f[6], 0, INT64_MAX, &p->part_n, err)) ||
        (s = eip_parse_i64(what, f[7], 0, INT64_MAX, &p->dropped, err)) ||
        (s = eip_parse_f64(what, f[8], -1, 1, &p->label_agree, err)) ||
        (s = eip_parse_f64(what, f[9], 0, 1e9, &p->ft_s, err)) ||
        (s = eip_parse_f64(what, f[10], 0, 1, &p->acc_key, err)) ||
        (s = eip_parse_f64(what, f[11], 0, 1, &p->acc_own, err)) ||
        (s = eip_parse_f64(what, f[12], 0, 1, &p->verif_slot, err)) ||
        (s = eip_parse_f64(what, f[13], -1, 1, &p->protect_acc, err)) ||
        (s = eip_parse_f64(what, f[14], 0, 1, &p->memorised, err)) ||
        (s = eip_parse_i64(what, f[15], 1, 1000000, &p->leaker, err)) ||
        (s = eip_parse_i64(what, f[16], 0, 1000000, &p->leaker_named, err)) ||
        (s = eip_parse_i64(what, f[17], 0, INT64_MAX, &p->leaker_matched, err)) ||
        (s = eip_parse_i64(what, f[18], 0, INT64_MAX, &p->leaker_total, err)) ||
        (s = eip_parse_f64(what, f[19], 0, 1, &agree, err)) ||
        (s = eip_parse_i64(what, f[20], 0, 1000000, &p->traced, err)) ||
        (s = eip_parse_i64(what, f[21], 1, 1000000, &p->licensees, err)) ||
        (s = eip_parse_i64(what, f[22], 0, 1000000, &p->foreign_named, err)) ||
        (s = eip_parse_i64(what, f[23], 0, 1000000, &p->foreign, err)))
        return s;
    if (p->leaker_matched > p->leaker_total || p->traced > p->licensees || p->foreign_named > p->foreign)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: a count exceeds its total", what);
    return EIP_OK;
}

eip_status eip_exp_removal_read(const char *dir, eip_exp_removal_point **pts, int64_t *n, eip_error *err)
{
    char path[4096];
    eip_status s = eip_io_path_join(path, sizeof path, dir, "removal.csv", err);
    unsigned char *buf = NULL;
    size_t len = 0;
    if (s || (s = eip_io_read_file(path, REMOVAL_MAX_CSV, &buf, &len, err)))
        return s;
    char *text = malloc(len + 1);
    if (!text) {
        free(buf);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(text, buf, len);
    text[len] = '\0';
    free(buf);
    int64_t lines = 0, cap = 0, line = 0;
    eip_exp_removal_point *out = NULL;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l && !s; l = strtok_r(NULL, "\n", &save)) {
        char what[4200];
        snprintf(what, sizeof what, "%s:%lld", path, (long long)++line);
        if (line == 1) {
            if (strncmp(l, "model,width,dataset,group,attacker,round,", 41))
                s = eip_error_set(err, EIP_ERR_FORMAT, "%s: not a removal.csv header", what);
            continue;
        }
        char *f[REMOVAL_FIELDS + 1];
        if (eip_expe_csv_split(l, f, REMOVAL_FIELDS + 1) != REMOVAL_FIELDS) {
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: expected %d fields", what, REMOVAL_FIELDS);
            break;
        }
        if (lines == cap) {
            cap = cap ? 2 * cap : 64;
            eip_exp_removal_point *g = realloc(out, (size_t)cap * sizeof *out);
            if (!g) {
                s = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            out = g;
        }
        s = row_parse(what, f, &out[lines], err);
        lines += !s;
    }
    if (!s && line == 0)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: empty file", path);
    free(text);
    if (s) {
        free(out);
        return s;
    }
    *pts = out;
    *n = lines;
    return EIP_OK;
}
