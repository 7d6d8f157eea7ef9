/* Reader for the reference files written by tools/gen_train_refs.py:
 * '#' lines are comments, every other line is `<key> <count> <v>...` with
 * exact hexadecimal floats.  Test-only helper (header, no library code). */
#ifndef EIP_TEST_TRAIN_REF_FILE_H
#define EIP_TEST_TRAIN_REF_FILE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ref_entry {
    char key[64];
    long count;
    double *v; /* [count] */
} ref_entry;

typedef struct ref_file {
    ref_entry *e;
    long n;
} ref_file;

static void ref_file_free(ref_file *r)
{
    for (long i = 0; i < r->n; i++)
        free(r->e[i].v);
    free(r->e);
    r->e = NULL;
    r->n = 0;
}

/* Returns 0 on success; prints why on failure. */
static int ref_file_load(ref_file *r, const char *path)
{
    memset(r, 0, sizeof *r);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "%s: cannot open\n", path);
        return -1;
    }
    int c;
    while ((c = fgetc(fp)) != EOF) {
        if (c == '#' || c == '\n') {
            while (c != '\n' && c != EOF)
                c = fgetc(fp);
            continue;
        }
        ungetc(c, fp);
        ref_entry e = {0};
        if (fscanf(fp, "%63s %ld", e.key, &e.count) != 2 || e.count < 0 || e.count > 1000000) {
            fprintf(stderr, "%s: bad entry header\n", path);
            goto fail;
        }
        e.v = malloc((size_t)(e.count ? e.count : 1) * sizeof(double));
        ref_entry *grown = realloc(r->e, (size_t)(r->n + 1) * sizeof *grown);
        if (!e.v || !grown) {
            free(e.v);
            if (grown)
                r->e = grown;
            goto fail;
        }
        r->e = grown;
        for (long i = 0; i < e.count; i++) {
            char tok[64];
            char *end;
            if (fscanf(fp, "%63s", tok) != 1) {
                fprintf(stderr, "%s: %s: short entry\n", path, e.key);
                free(e.v);
                goto fail;
            }
            e.v[i] = strtod(tok, &end);
            if (*end) {
                fprintf(stderr, "%s: %s: bad value %s\n", path, e.key, tok);
                free(e.v);
                goto fail;
            }
        }
        r->e[r->n++] = e;
    }
    fclose(fp);
    return 0;
fail:
    fclose(fp);
    ref_file_free(r);
    return -1;
}

/* Entry by key; NULL (and a message) if absent or not `count` long
 * (count < 0: any length). */
static const double *ref_get(const ref_file *r, const char *key, long count)
{
    for (long i = 0; i < r->n; i++)
        if (!strcmp(r->e[i].key, key)) {
            if (count >= 0 && r->e[i].count != count) {
                fprintf(stderr, "ref %s: %ld values, expected %ld\n", key, r->e[i].count, count);
                return NULL;
            }
            return r->e[i].v;
        }
    fprintf(stderr, "ref %s: missing\n", key);
    return NULL;
}

#endif
