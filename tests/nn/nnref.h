/* Reader for the reference files written by tools/gen_nn_refs.py (format in
 * that script's docstring): "EIPNREF1", u32 count, entries of
 * (u16 name_len, name, u8 dtype, u8 ndim, i64 dims[ndim], data).
 * Test-only helper; f16 entries are widened to f32 on load. */
#ifndef EIP_TEST_NNREF_H
#define EIP_TEST_NNREF_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NNREF_F32 = 0, NNREF_I64 = 1, NNREF_TXT = 2, NNREF_F16 = 3 };

typedef struct nnref_entry {
    char name[160];
    int dtype; /* after load: F32 (also for f16), I64 or TXT */
    int ndim;
    int64_t dims[8];
    int64_t count;
    void *data; /* float[count], int64_t[count] or char[count + 1] (NUL-terminated) */
} nnref_entry;

typedef struct nnref {
    nnref_entry *e;
    int n;
} nnref;

static float nnref_half(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static void nnref_free(nnref *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->e[i].data);
    free(r->e);
    r->e = NULL;
    r->n = 0;
}

static int nnref_load(nnref *r, const char *path)
{
    memset(r, 0, sizeof *r);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "%s: cannot open\n", path);
        return -1;
    }
    char magic[8];
    uint32_t count;
    if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, "EIPNREF1", 8) != 0 || fread(&count, 4, 1, fp) != 1 ||
        count > 100000) {
        fprintf(stderr, "%s: bad header\n", path);
        fclose(fp);
        return -1;
    }
    r->e = calloc(count ? count : 1, sizeof *r->e);
    for (uint32_t i = 0; i < count; i++) {
        nnref_entry *e = &r->e[r->n];
        uint16_t nl;
        unsigned char dt, nd;
        if (fread(&nl, 2, 1, fp) != 1 || nl >= sizeof e->name || fread(e->name, 1, nl, fp) != nl ||
            fread(&dt, 1, 1, fp) != 1 || fread(&nd, 1, 1, fp) != 1 || nd > 8 ||
            fread(e->dims, 8, nd, fp) != nd)
            goto bad;
        e->name[nl] = '\0';
        e->ndim = nd;
        e->count = 1;
        for (int d = 0; d < nd; d++)
            e->count *= e->dims[d];
        if (e->count < 0 || e->count > (1 << 26))
            goto bad;
        size_t cnt = (size_t)e->count;
        if (dt == NNREF_F32) {
            e->data = malloc(cnt * 4 + 4);
            if (fread(e->data, 4, cnt, fp) != cnt)
                goto bad;
        } else if (dt == NNREF_F16) {
            uint16_t *h = malloc(cnt * 2 + 2);
            float *f = malloc(cnt * 4 + 4);
            if (fread(h, 2, cnt, fp) != cnt) {
                free(h);
                free(f);
                goto bad;
            }
            for (size_t k = 0; k < cnt; k++)
                f[k] = nnref_half(h[k]);
            free(h);
            e->data = f;
            dt = NNREF_F32;
        } else if (dt == NNREF_I64) {
            e->data = malloc(cnt * 8 + 8);
            if (fread(e->data, 8, cnt, fp) != cnt)
                goto bad;
        } else if (dt == NNREF_TXT) {
            e->data = malloc(cnt + 1);
            if (fread(e->data, 1, cnt, fp) != cnt)
                goto bad;
            ((char *)e->data)[cnt] = '\0';
        } else {
            goto bad;
        }
        e->dtype = dt;
        r->n++;
    }
    fclose(fp);
    return 0;
bad:
    fprintf(stderr, "%s: truncated or malformed entry %d\n", path, r->n);
    fclose(fp);
    nnref_free(r);
    return -1;
}

static const nnref_entry *nnref_get(const nnref *r, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->e[i].name, name) == 0)
            return &r->e[i];
    return NULL;
}

/* Compares got[count] with ref: |g - r| <= atol + rtol*|r|, with atol scaled by
 * max(1, max|ref|).  Prints the first few mismatches; returns the mismatch count. */
static int64_t nnref_compare(const char *what, const float *got, const float *ref, int64_t count,
                             double atol, double rtol)
{
    double scale = 1.0;
    for (int64_t i = 0; i < count; i++)
        if (fabs(ref[i]) > scale)
            scale = fabs(ref[i]);
    int64_t bad = 0;
    double worst = 0;
    for (int64_t i = 0; i < count; i++) {
        double d = fabs((double)got[i] - (double)ref[i]);
        double lim = atol * scale + rtol * fabs(ref[i]);
        if (!(d <= lim)) {
            if (bad < 5)
                fprintf(stderr, "  %s[%lld]: got %.7g want %.7g (diff %.3g > %.3g)\n", what, (long long)i,
                        got[i], ref[i], d, lim);
            bad++;
        }
        if (d > worst)
            worst = d;
    }
    if (bad)
        fprintf(stderr, "  %s: %lld / %lld mismatches (max abs diff %.3g, scale %.3g)\n", what, (long long)bad,
                (long long)count, worst, scale);
    return bad;
}

#endif
