/* Shared experiment writers: string tables -> CSV / markdown, line plots ->
 * gnuplot PNG (app/experiment/experiment.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/experiment.h"
#include "encryip/util.h"

struct eip_exp_table {
    int ncols;
    char **cols;   /* [ncols] */
    int64_t nrows, cap;
    char **cells;  /* [cap * ncols] */
};

eip_status eip_exp_table_init(eip_exp_table_t **out, const char *const *cols, int ncols,
                              eip_error *err)
{
    if (ncols < 1)
        return eip_error_set(err, EIP_ERR_ARG, "table: %d columns", ncols);
    eip_exp_table_t *t = calloc(1, sizeof *t);
    if (!t || !(t->cols = calloc((size_t)ncols, sizeof(char *)))) {
        free(t);
        return eip_error_set(err, EIP_ERR_NOMEM, "table: out of memory");
    }
    t->ncols = ncols;
    for (int i = 0; i < ncols; i++)
        if (!(t->cols[i] = strdup(cols[i]))) {
            eip_exp_table_free(t);
            return eip_error_set(err, EIP_ERR_NOMEM, "table: out of memory");
        }
    *out = t;
    return EIP_OK;
}

void eip_exp_table_free(eip_exp_table_t *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->ncols; i++)
        free(t->cols[i]);
    for (int64_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cols);
    free(t->cells);
    free(t);
}

eip_status eip_exp_table_rowf(eip_exp_table_t *t, eip_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return eip_error_set(err, EIP_ERR_ARG, "table row: bad format");
    char *line = malloc((size_t)len + 1);
    if (!line)
        return eip_error_set(err, EIP_ERR_NOMEM, "table row: out of memory");
    va_start(ap, fmt);
    vsnprintf(line, (size_t)len + 1, fmt, ap);
    va_end(ap);
    int n = 1;
    for (char *p = line; *p; p++)
        n += *p == '\t';
    if (n != t->ncols) {
        free(line);
        return eip_error_set(err, EIP_ERR_ARG, "table row: %d cells for %d columns", n, t->ncols);
    }
    if (t->nrows == t->cap) {
        int64_t nc = t->cap ? 2 * t->cap : 16;
        char **c = realloc(t->cells, (size_t)(nc * t->ncols) * sizeof(char *));
        if (!c) {
            free(line);
            return eip_error_set(err, EIP_ERR_NOMEM, "table row: out of memory");
        }
        t->cells = c;
        t->cap = nc;
    }
    char *p = line;
    for (int i = 0; i < t->ncols; i++) {
        size_t k = strcspn(p, "\t");
        char *cell = malloc(k + 1);
        if (!cell) {
            for (int j = 0; j < i; j++)
                free(t->cells[t->nrows * t->ncols + j]);
            free(line);
            return eip_error_set(err, EIP_ERR_NOMEM, "table row: out of memory");
        }
        memcpy(cell, p, k);
        cell[k] = '\0';
        t->cells[t->nrows * t->ncols + i] = cell;
        p += k + (p[k] == '\t');
    }
    t->nrows++;
    free(line);
    return EIP_OK;
}

int64_t eip_exp_table_rows(const eip_exp_table_t *t)
{
    return t->nrows;
}

const char *eip_exp_table_cell(const eip_exp_table_t *t, int64_t row, int col)
{
    if (row < 0 || row >= t->nrows || col < 0 || col >= t->ncols)
        return NULL;
    return t->cells[row * t->ncols + col];
}

/* Growing string buffer for the writers. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t k)
{
    if (b->oom)
        return;
    if (b->n + k + 1 > b->cap) {
        size_t nc = (b->cap ? b->cap * 2 : 1024) + k;
        char *q = realloc(b->p, nc);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, k);
    b->n += k;
    b->p[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void csv_cell(sbuf *b, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        sb_str(b, s);
        return;
    }
    sb_put(b, "\"", 1);
    for (const char *p = s; *p; p++) {
        sb_put(b, p, 1);
        if (*p == '"')
            sb_put(b, "\"", 1); /* "" escapes a quote */
    }
    sb_put(b, "\"", 1);
}

static eip_status sb_write(sbuf *b, const char *path, eip_error *err)
{
    if (b->oom) {
        free(b->p);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    }
    eip_status s = eip_io_write_atomic(path, b->p ? b->p : "", b->n, EIP_IO_MODE_PUBLIC, err);
    free(b->p);
    return s;
}

/* gnuplot runner shared by the plots (defined at the end). */
static eip_status gp_run(sbuf *b, const char *png_path, eip_error *err);

eip_status eip_exp_table_write_csv(const eip_exp_table_t *t, const char *path, eip_error *err)
{
    sbuf b = {0};
    for (int64_t r = -1; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            if (c)
                sb_put(&b, ",", 1);
            csv_cell(&b, r < 0 ? t->cols[c] : t->cells[r * t->ncols + c]);
        }
        sb_put(&b, "\n", 1);
    }
    return sb_write(&b, path, err);
}

static void md_cell(sbuf *b, const char *s)
{
    sb_put(b, " ", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '|')
            sb_put(b, "\\", 1);
        sb_put(b, *p == '\n' ? " " : p, 1);
    }
    sb_put(b, " |", 2);
}

static void md_table(const eip_exp_table_t *t, sbuf *b)
{
    sb_put(b, "|", 1);
    for (int c = 0; c < t->ncols; c++)
        md_cell(b, t->cols[c]);
    sb_put(b, "\n|", 2);
    for (int c = 0; c < t->ncols; c++)
        sb_str(b, "---|");
    sb_put(b, "\n", 1);
    for (int64_t r = 0; r < t->nrows; r++) {
        sb_put(b, "|", 1);
        for (int c = 0; c < t->ncols; c++)
            md_cell(b, t->cells[r * t->ncols + c]);
        sb_put(b, "\n", 1);
    }
}

void eip_exp_table_print_md(const eip_exp_table_t *t, FILE *fp)
{
    sbuf b = {0};
    md_table(t, &b);
    if (!b.oom && b.p)
        fputs(b.p, fp);
    free(b.p);
}

eip_status eip_exp_table_write_md(const eip_exp_table_t *t, const char *title, const char *path,
                                  eip_error *err)
{
    sbuf b = {0};
    if (title) {
        sb_str(&b, "## ");
        sb_str(&b, title);
        sb_str(&b, "\n\n");
    }
    md_table(t, &b);
    return sb_write(&b, path, err);
}

/* gnuplot string literal: single quotes, '' for a quote. */
static void gp_str(sbuf *b, const char *s)
{
    sb_put(b, "'", 1);
    for (const char *p = s ? s : ""; *p; p++) {
        sb_put(b, p, 1);
        if (*p == '\'')
            sb_put(b, "'", 1);
    }
    sb_put(b, "'", 1);
}

/* gnuplot double-quoted string: '\n' becomes a line break, '"' and '\' are escaped. */
static void gp_dstr(sbuf *b, const char *s)
{
    sb_put(b, "\"", 1);
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '\n')
            sb_str(b, "\\n");
        else {
            if (*p == '"' || *p == '\\')
                sb_put(b, "\\", 1);
            sb_put(b, p, 1);
        }
    }
    sb_put(b, "\"", 1);
}

/* Integer x ticks for counts (epochs, rounds): a step of 1, 2, 5, 10, ... giving <= 15 ticks. */
static void gp_integer_x(sbuf *b, const eip_exp_plot *p)
{
    double lo = 0, hi = 0;
    int any = 0;
    for (int i = 0; i < p->n_series; i++)
        for (int64_t j = 0; j < p->series[i].n; j++) {
            const double x = p->series[i].x[j];
            lo = any && lo < x ? lo : x;
            hi = any && hi > x ? hi : x;
            any = 1;
        }
    long step = 1; /* 1, 2, 5, 10, 20, 50, ... */
    for (int m = 0; (hi - lo) / (double)step > 15 && step < 1000000000L; m++)
        step = m % 3 == 1 ? step / 2 * 5 : step * 2;
    char num[96];
    snprintf(num, sizeof num, "set xtics %ld\nset mxtics 1\nset format x '%%.0f'\n", step);
    sb_str(b, num);
    if (any && hi > lo) {
        snprintf(num, sizeof num, "set xrange [%.0f:%.0f]\n", lo, hi);
        sb_str(b, num);
    }
}

eip_status eip_exp_plot_lines(const eip_exp_plot *p, eip_error *err)
{
    if (p->n_series < 1)
        return eip_error_set(err, EIP_ERR_ARG, "%s: plot without series", p->png_path);
    char num[64];
    sbuf b = {0};
    /* Legend below the frame and a wide canvas: a long title or legend must not clip
     * or squeeze the plot (issue 17 item 7). */
    sb_str(&b, "set terminal pngcairo size 960,640 noenhanced font ',11'\nset output ");
    gp_str(&b, p->png_path);
    sb_str(&b, "\nset title ");
    char *title = NULL;
    if (p->subtitle && *p->subtitle) {
        const size_t tl = strlen(p->title ? p->title : ""), sl = strlen(p->subtitle);
        if ((title = malloc(tl + sl + 2))) {
            memcpy(title, p->title ? p->title : "", tl);
            title[tl] = '\n';
            memcpy(title + tl + 1, p->subtitle, sl + 1);
        } else
            b.oom = 1;
    }
    gp_dstr(&b, title ? title : p->title);
    free(title);
    sb_str(&b, "\nset xlabel ");
    gp_str(&b, p->xlabel);
    sb_str(&b, "\nset ylabel ");
    gp_str(&b, p->ylabel);
    sb_str(&b, "\nset grid\nset key outside below center horizontal\n");
    if (p->x_integer && !p->logx)
        gp_integer_x(&b, p);
    if (p->logx)
        sb_str(&b, "set logscale x\n");
    if (p->ymax > p->ymin) {
        snprintf(num, sizeof num, "set yrange [%g:%g]\n", p->ymin, p->ymax);
        sb_str(&b, num);
    }
    sb_str(&b, "plot ");
    for (int i = 0; i < p->n_series; i++) {
        sb_str(&b, i ? ", '-' with linespoints title " : "'-' with linespoints title ");
        gp_str(&b, p->series[i].name);
    }
    sb_str(&b, "\n");
    for (int i = 0; i < p->n_series; i++) {
        for (int64_t j = 0; j < p->series[i].n; j++) {
            snprintf(num, sizeof num, "%.9g %.9g\n", p->series[i].x[j], p->series[i].y[j]);
            sb_str(&b, num);
        }
        sb_str(&b, "e\n");
    }
    return gp_run(&b, p->png_path, err);
}

/* Writes the script b to png_path + ".gp" and runs gnuplot on it (frees b). */
static eip_status gp_run(sbuf *b, const char *png_path, eip_error *err)
{
    if (b->oom) {
        free(b->p);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", png_path);
    }
    size_t pl = strlen(png_path);
    char *gp = malloc(pl + 4);
    if (!gp) {
        free(b->p);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", png_path);
    }
    memcpy(gp, png_path, pl);
    memcpy(gp + pl, ".gp", 4);
    eip_status s = eip_io_write_atomic(gp, b->p, b->n, EIP_IO_MODE_PUBLIC, err);
    free(b->p);
    if (s == EIP_OK) {
        /* The script path is ours (png_path + ".gp"); quote it for the shell. */
        sbuf c = {0};
        sb_str(&c, "gnuplot '");
        for (const char *q = gp; *q; q++)
            sb_str(&c, *q == '\'' ? "'\\''" : (char[2]){*q, 0});
        sb_str(&c, "' 2>/dev/null");
        int rc = c.oom ? -1 : system(c.p);
        free(c.p);
        if (rc != 0)
            s = eip_error_set(err, EIP_ERR_IO, "%s: gnuplot failed (exit %d; is gnuplot installed?)",
                              gp, rc);
    }
    free(gp);
    return s;
}

eip_status eip_exp_plot_bars(const eip_exp_bars *p, eip_error *err)
{
    if (p->n < 1)
        return eip_error_set(err, EIP_ERR_ARG, "%s: bar chart without bars", p->png_path);
    char num[96];
    sbuf b = {0};
    sb_str(&b, "set terminal pngcairo size 900,600 noenhanced\nset output ");
    gp_str(&b, p->png_path);
    sb_str(&b, "\nset tmargin 6\nset title ");
    gp_str(&b, p->title);
    sb_str(&b, " offset 0,1\n");
    if (p->subtitle) {
        sb_str(&b, "set label 1 ");
        gp_str(&b, p->subtitle);
        sb_str(&b, " at graph 0.5, graph 1.06 center\n");
    }
    sb_str(&b, "set ylabel ");
    gp_str(&b, p->ylabel);
    double ymax = 0;
    for (int i = 0; i < p->n; i++)
        ymax = p->values[i] > ymax ? p->values[i] : ymax;
    snprintf(num, sizeof num, "\nset yrange [0:%g]\n", ymax > 0 ? ymax * 1.15 : 1.0);
    sb_str(&b, num);
    sb_str(&b, "set style fill solid 0.6 border -1\nset boxwidth 0.6\nset grid ytics\nunset key\n"
               "set xrange [-0.6:");
    snprintf(num, sizeof num, "%g]\n", (double)p->n - 0.4);
    sb_str(&b, num);
    sb_str(&b, "plot '-' using 1:2:xtic(3) with boxes, '-' using 1:2:3 with labels offset 0,1\n");
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < p->n; i++) {
            snprintf(num, sizeof num, pass ? "%d %.9g \"%.3g\"\n" : "%d %.9g ", i, p->values[i],
                     p->values[i]);
            sb_str(&b, num);
            if (!pass) {
                sb_str(&b, "\"");
                for (const char *q = p->labels[i]; *q; q++)
                    if (*q != '"')
                        sb_put(&b, q, 1);
                sb_str(&b, "\"\n");
            }
        }
        sb_str(&b, "e\n");
    }
    return gp_run(&b, p->png_path, err);
}
