/* Figure 5 driver, seconds-scale: smallcnn width 0.5 on 400 Fashion-MNIST
 * images, 1 epoch, three users.  Checks the outputs are written (PNG too),
 * every method ran with its number of trainings (1, 1, 3, 3, 1), the
 * accuracies are in [0, 1], the per-user CSV has one row per user with
 * rates in [0, 1], and EncryIP's leak check ran.  Whether the marks are
 * found at this scale is tests/baseline/test_marks.c's job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "experiment/experiment.h"
#include "test.h"

static char *slurp(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strdup(buf);
}

int main(void)
{
    eip_exp_fig5_config c;
    eip_exp_fig5_config_default(&c);
    snprintf(c.model, sizeof c.model, "smallcnn");
    c.width = 0.5;
    c.limit = 400;
    c.test_limit = 200;
    c.epochs = 1;
    c.batch = 64;
    c.threads = 2;
    c.verif_reps = 10;
    c.pr_bits = 32;
    c.ew_triggers = 5;
    c.ew_reps = 5;
    char dir[] = "/tmp/encryip_fig5_smokeXXXXXX";
    REQUIRE(mkdtemp(dir) != NULL, "mkdtemp");
    c.out.dir = dir;
    eip_error err = {0};
    REQUIRE(eip_exp_fig5(&c, &err) == EIP_OK, "%s", err.msg);

    char *csv = slurp(dir, "fig5.csv"), *users = slurp(dir, "fig5_users.csv"), *md = slurp(dir, "fig5.md");
    REQUIRE(csv && users && md, "outputs missing in %s", dir);
    char png[4096];
    snprintf(png, sizeof png, "%s/fig5.png", dir);
    struct stat st;
    CHECK(stat(png, &st) == 0 && st.st_size > 1000, "fig5.png missing or empty");
    const char *names[5] = {"Original", "EncryIP", "PR", "DeepIPR", "EW"};
    const long trainings[5] = {1, 1, 3, 3, 1};
    int rows = 0;
    for (char *line = strtok(csv, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "method,", 7))
            continue;
        REQUIRE(rows < 5, "more than 5 rows");
        char name[32];
        long tr = 0, images = 0;
        double train_s = -1, ratio = -1, wall = -1, acc = -1;
        REQUIRE(sscanf(line, "%31[^,],%ld,%ld,%lf,%lf,%lf,%lf", name, &tr, &images, &train_s, &ratio, &wall,
                       &acc) == 7, "bad row: %s", line);
        CHECK(!strcmp(name, names[rows]), "row %d is %s", rows, name);
        CHECK(tr == trainings[rows], "%s: %ld trainings", name, tr);
        CHECK(train_s > 0 && wall >= train_s * 0.5 && ratio > 0, "%s: times %g %g %g", name, train_s, wall, ratio);
        CHECK(acc >= 0 && acc <= 1, "%s: accuracy %g", name, acc);
        if (rows == 1)
            CHECK(strstr(line, "leak by licensee 2 traced to licensee") != NULL, "EncryIP row: %s", line);
        rows++;
    }
    CHECK(rows == 5, "%d method rows", rows);
    int urows = 0;
    for (char *line = strtok(users, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "user,", 5))
            continue;
        int u = 0;
        double v[3], w[6];
        char kind[16];
        REQUIRE(sscanf(line, "%d,%lf,%lf,%lf,%15[^,],%lf,%lf,%lf,%lf,%lf,%lf", &u, &v[0], &v[1], &v[2], kind,
                       &w[0], &w[1], &w[2], &w[3], &w[4], &w[5]) == 11, "bad user row: %s", line);
        CHECK(u == urows + 1, "user %d", u);
        for (int i = 0; i < 3; i++)
            CHECK(v[i] >= 0 && v[i] <= 1, "user %d PR value %g", u, v[i]);
        for (int i = 0; i < 6; i++)
            CHECK(w[i] >= 0 && w[i] <= 1, "user %d value %g", u, w[i]);
        urows++;
    }
    CHECK(urows == 3, "%d user rows", urows);
    CHECK(strstr(md, "| DeepIPR | 3 |") != NULL, "markdown table");
    free(csv);
    free(users);
    free(md);
    const char *files[] = {"fig5.csv", "fig5_users.csv", "fig5.md", "fig5.png", "fig5.png.gp"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
    TEST_MAIN_END();
}
