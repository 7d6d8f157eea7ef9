/* Shared experiment writers: table rows / cell counts, CSV quoting,
 * markdown escaping, and a gnuplot PNG (fails if gnuplot is missing: it is a
 * set-up dependency). */
#include <string.h>

#include "experiment/experiment.h"
#include "test.h"
#include "util/io.h"

static char *slurp(const char *path)
{
    eip_error err = {0};
    unsigned char *b = NULL;
    size_t n = 0;
    if (eip_io_read_file(path, 1 << 20, &b, &n, &err) != EIP_OK)
        return NULL;
    char *s = realloc(b, n + 1);
    s[n] = '\0';
    return s;
}

int main(void)
{
    eip_error err = {0};
    eip_exp_table_t *t = NULL;
    const char *cols[] = {"model", "acc", "note"};
    REQUIRE(eip_exp_table_init(&t, cols, 3, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_exp_table_rowf(t, &err, "%s\t%.2f\t%s", "smallcnn", 0.915, "plain") == EIP_OK, "%s", err.msg);
    CHECK(eip_exp_table_rowf(t, &err, "%s\t%.2f\t%s", "a|b", 0.1, "x, \"y\"") == EIP_OK, "%s", err.msg);
    CHECK(eip_exp_table_rowf(t, &err, "%s\t%s", "short", "row") == EIP_ERR_ARG && strstr(err.msg, "2 cells"),
          "cell count: %s", err.msg);
    CHECK(eip_exp_table_rows(t) == 2 && !strcmp(eip_exp_table_cell(t, 1, 0), "a|b") &&
              eip_exp_table_cell(t, 2, 0) == NULL, "cells");
    const char *csv = EIP_BINARY_DIR "/exp_test.csv", *md = EIP_BINARY_DIR "/exp_test.md";
    REQUIRE(eip_exp_table_write_csv(t, csv, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_exp_table_write_md(t, "Title", md, &err) == EIP_OK, "%s", err.msg);
    char *c = slurp(csv), *m = slurp(md);
    REQUIRE(c && m, "read back");
    CHECK(!strcmp(c, "model,acc,note\nsmallcnn,0.92,plain\na|b,0.10,\"x, \"\"y\"\"\"\n"), "csv:\n%s", c);
    CHECK(!strcmp(m, "## Title\n\n| model | acc | note |\n|---|---|---|\n| smallcnn | 0.92 | plain |\n"
                     "| a\\|b | 0.10 | x, \"y\" |\n"), "md:\n%s", m);
    free(c);
    free(m);
    remove(csv);
    remove(md);
    eip_exp_table_free(t);

    const double x[] = {1, 2, 3}, y1[] = {0.9, 0.5, 0.1}, y2[] = {0.2, 0.3, 0.4};
    const eip_exp_series ser[] = {{"enc", 3, x, y1}, {"it's", 3, x, y2}};
    const char *png = EIP_BINARY_DIR "/exp_test.png";
    eip_exp_plot p = {.png_path = png, .title = "test plot", .xlabel = "x", .ylabel = "y", .ymin = 0.0,
                      .ymax = 1.0, .n_series = 2, .series = ser, .subtitle = "width 0.5, \"3\" images",
                      .x_integer = 1};
    eip_status s = eip_exp_plot_lines(&p, &err);
    char *gp = slurp(EIP_BINARY_DIR "/exp_test.png.gp");
    CHECK(gp && strstr(gp, "title 'it''s'") && strstr(gp, "3 0.4\ne\n"), "gnuplot script");
    /* the scale as a second title line (quotes escaped), integer ticks for a count axis,
     * the legend below the frame (issue 17 item 7) */
    CHECK(gp && strstr(gp, "set title \"test plot\\nwidth 0.5, \\\"3\\\" images\""), "subtitle:\n%s", gp ? gp : "");
    CHECK(gp && strstr(gp, "set xtics 1\n") && strstr(gp, "set format x '%.0f'") && strstr(gp, "set xrange [1:3]"),
          "integer x ticks:\n%s", gp ? gp : "");
    CHECK(gp && strstr(gp, "set key outside below"), "legend below the frame");
    free(gp);
    /* gnuplot is a set-up dependency (scripts/run installs it): a missing
     * gnuplot fails here instead of skipping the PNG check */
    CHECK(s == EIP_OK, "PNG not rendered (is gnuplot installed? scripts/run installs it): %s", err.msg);
    if (s == EIP_OK) {
        unsigned char *b = NULL;
        size_t n = 0;
        CHECK(eip_io_read_file(png, 1 << 24, &b, &n, &err) == EIP_OK && n > 8 && !memcmp(b, "\x89PNG", 4),
              "png written");
        free(b);
    }
    remove(png);
    remove(EIP_BINARY_DIR "/exp_test.png.gp");
    p.n_series = 0;
    CHECK(eip_exp_plot_lines(&p, &err) == EIP_ERR_ARG, "empty plot accepted");
    TEST_MAIN_END();
}
