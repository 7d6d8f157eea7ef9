/* GTSRB (German Traffic Sign Recognition Benchmark), final training/test
 * layout: per-class directories Final_Training/Images/<00000..00042>/ with a
 * semicolon CSV GT-<class>.csv (Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;
 * Roi.Y2;ClassId) and P6 .ppm images.  Every image is cropped to its ROI
 * box [X1, X2) x [Y1, Y2) and resized bilinearly to size x size with
 * half-pixel centres (PyTorch interpolate(mode="bilinear",
 * align_corners=False, antialias=False)), rounded to nearest. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/data_internal.h"
#include "util/io.h"
#include "util/parse.h"

/* GTSRB CSVs are < 1 MB; rows are grown as they parse, so memory stays
 * proportional to the valid rows, never to a count claimed by the input. */
#define CSV_MAX_BYTES ((size_t)16 << 20)
#define PPM_MAX_BYTES ((size_t)3 * EIP_DATA_MAX_DIM * EIP_DATA_MAX_DIM + 4096)

enum { COL_FILE, COL_W, COL_H, COL_X1, COL_Y1, COL_X2, COL_Y2, COL_CLASS, NCOLS };
static const char *const col_names[NCOLS] = {"Filename", "Width",  "Height", "Roi.X1",
                                             "Roi.Y1",   "Roi.X2", "Roi.Y2", "ClassId"};

/* Splits line [s, e) at ';' into fields (pointers into a NUL-terminated copy). */
static int split_fields(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return -1;
        fields[n++] = p;
        char *q = strchr(p, ';');
        if (!q)
            break;
        *q = '\0';
        p = q + 1;
    }
    return n;
}

eip_status eip_data_gtsrb_csv_from_memory(const unsigned char *buf, size_t len, const char *name,
                                          eip_data_gtsrb_row **rows_out, int64_t *n_out, eip_error *err)
{
    *rows_out = NULL;
    *n_out = 0;
    if (len > CSV_MAX_BYTES)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: CSV of %zu bytes exceeds the %zu allowed", name, len,
                             CSV_MAX_BYTES);
    char *text = malloc(len + 1);
    if (!text)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
    memcpy(text, buf, len);
    text[len] = '\0';
    eip_status st = EIP_OK;
    if (memchr(buf, '\0', len))
        st = eip_error_set(err, EIP_ERR_FORMAT, "%s: NUL byte in CSV", name);
    eip_data_gtsrb_row *rows = NULL;
    int64_t cap = 0;
    int col[NCOLS], nhdr = 0;
    int64_t n = 0, lineno = 0;
    char *save = text;
    while (st == EIP_OK && save) {
        char *line = save;
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        lineno++;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = '\0';
        char *f[64];
        if (lineno == 1) {
            nhdr = split_fields(line, f, 64);
            if (nhdr < 0) {
                st = eip_error_set(err, EIP_ERR_FORMAT, "%s: header has more than 64 columns", name);
                break;
            }
            for (int c = 0; c < NCOLS; c++) {
                col[c] = -1;
                for (int k = 0; k < nhdr; k++)
                    if (!strcmp(f[k], col_names[c]))
                        col[c] = k;
                if (col[c] < 0 && c != COL_CLASS)
                    st = eip_error_set(err, EIP_ERR_FORMAT, "%s: CSV header lacks the column %s", name,
                                       col_names[c]);
            }
            continue;
        }
        if (ll == 0)
            continue; /* blank (e.g. final) line */
        int nf = split_fields(line, f, 64);
        if (nf != nhdr) {
            st = eip_error_set(err, EIP_ERR_FORMAT, "%s: line %lld has %d fields, the header has %d", name,
                               (long long)lineno, nf, nhdr);
            break;
        }
        if (n == cap) {
            int64_t ncap = cap ? cap * 2 : 64;
            eip_data_gtsrb_row *nr = realloc(rows, (size_t)ncap * sizeof *rows);
            if (!nr) {
                st = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
                break;
            }
            rows = nr;
            cap = ncap;
        }
        eip_data_gtsrb_row *r = &rows[n];
        const char *fn = f[col[COL_FILE]];
        if (!*fn || strlen(fn) >= sizeof r->filename || strchr(fn, '/') || !strcmp(fn, "..") ||
            !strcmp(fn, ".")) {
            st = eip_error_set(err, EIP_ERR_FORMAT, "%s: line %lld: bad Filename \"%.64s\"", name,
                               (long long)lineno, fn);
            break;
        }
        snprintf(r->filename, sizeof r->filename, "%s", fn);
        int64_t v[NCOLS];
        v[COL_CLASS] = -1;
        for (int c = COL_W; c < NCOLS && st == EIP_OK; c++) {
            if (col[c] < 0)
                continue;
            char what[96];
            snprintf(what, sizeof what, "%s line %lld %s", name, (long long)lineno, col_names[c]);
            int64_t hi = c == COL_CLASS ? EIP_DATA_GTSRB_CLASSES - 1 : EIP_DATA_MAX_DIM;
            eip_error perr = {0};
            if (eip_parse_i64(what, f[col[c]], 0, hi, &v[c], &perr) != EIP_OK)
                st = eip_error_set(err, EIP_ERR_FORMAT, "%s", perr.msg); /* a CSV field: format */
        }
        if (st != EIP_OK)
            break;
        if (v[COL_W] < 1 || v[COL_H] < 1 || v[COL_X1] >= v[COL_X2] || v[COL_X2] > v[COL_W] ||
            v[COL_Y1] >= v[COL_Y2] || v[COL_Y2] > v[COL_H]) {
            st = eip_error_set(err, EIP_ERR_FORMAT,
                               "%s: line %lld: ROI (%lld,%lld)-(%lld,%lld) not inside the %lldx%lld image",
                               name, (long long)lineno, (long long)v[COL_X1], (long long)v[COL_Y1],
                               (long long)v[COL_X2], (long long)v[COL_Y2], (long long)v[COL_W],
                               (long long)v[COL_H]);
            break;
        }
        r->width = (int32_t)v[COL_W];
        r->height = (int32_t)v[COL_H];
        r->x1 = (int32_t)v[COL_X1];
        r->y1 = (int32_t)v[COL_Y1];
        r->x2 = (int32_t)v[COL_X2];
        r->y2 = (int32_t)v[COL_Y2];
        r->class_id = (int32_t)v[COL_CLASS];
        n++;
    }
    if (st == EIP_OK && nhdr == 0)
        st = eip_error_set(err, EIP_ERR_FORMAT, "%s: empty CSV", name);
    free(text);
    if (st != EIP_OK) {
        free(rows);
        return st;
    }
    *rows_out = rows;
    *n_out = n;
    return EIP_OK;
}

/* Bilinear, half-pixel centres: src = (dst + 0.5) * in/out - 0.5, clamped. */
static void resize_bilinear(const uint8_t *src /* [3, sh, sw] */, int32_t sh, int32_t sw,
                            int32_t x0, int32_t y0, int32_t cw, int32_t ch,
                            uint8_t *dst /* [3, size, size] */, int32_t size)
{
    double sy = (double)ch / size, sx = (double)cw / size;
    for (int c = 0; c < 3; c++) {
        const uint8_t *p = src + (size_t)c * (size_t)sh * (size_t)sw;
        for (int32_t oy = 0; oy < size; oy++) {
            double fy = (oy + 0.5) * sy - 0.5;
            if (fy < 0)
                fy = 0;
            int32_t iy = (int32_t)fy;
            if (iy > ch - 1)
                iy = ch - 1;
            int32_t iy1 = iy + 1 < ch ? iy + 1 : ch - 1;
            double ly = fy - iy;
            for (int32_t ox = 0; ox < size; ox++) {
                double fx = (ox + 0.5) * sx - 0.5;
                if (fx < 0)
                    fx = 0;
                int32_t ix = (int32_t)fx;
                if (ix > cw - 1)
                    ix = cw - 1;
                int32_t ix1 = ix + 1 < cw ? ix + 1 : cw - 1;
                double lx = fx - ix;
                const uint8_t *r0 = p + (size_t)(y0 + iy) * (size_t)sw + x0;
                const uint8_t *r1 = p + (size_t)(y0 + iy1) * (size_t)sw + x0;
                double v = (1 - ly) * ((1 - lx) * r0[ix] + lx * r0[ix1]) +
                           ly * ((1 - lx) * r1[ix] + lx * r1[ix1]);
                long q = lround(v);
                dst[((size_t)c * (size_t)size + (size_t)oy) * (size_t)size + (size_t)ox] =
                    (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
            }
        }
    }
}

/* Growing image store shared by the train (many CSVs) and test loaders. */
typedef struct builder {
    eip_data_set ds;
    int64_t cap;
} builder;

static eip_status builder_reserve(builder *b, int64_t more, const char *name, eip_error *err)
{
    if (b->ds.n + more <= b->cap)
        return EIP_OK;
    if (b->ds.n + more > EIP_DATA_MAX_IMAGES)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: too many images", name);
    int64_t cap = b->cap ? b->cap : 256;
    while (cap < b->ds.n + more)
        cap *= 2;
    size_t img = eip_data_set_image_bytes(&b->ds);
    uint8_t *px = realloc(b->ds.pixels, (size_t)cap * img);
    if (px)
        b->ds.pixels = px;
    int32_t *lab = realloc(b->ds.labels, (size_t)cap * sizeof *lab);
    if (lab)
        b->ds.labels = lab;
    if (!px || !lab)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
    b->cap = cap;
    return EIP_OK;
}

/* Loads the images of one CSV; expected_class >= 0 checks every ClassId. */
static eip_status load_csv_into(builder *b, const char *csv_path, int32_t expected_class,
                                eip_error *err)
{
    unsigned char *buf;
    size_t len;
    eip_status st = eip_io_read_file(csv_path, CSV_MAX_BYTES, &buf, &len, err);
    if (st != EIP_OK)
        return st;
    eip_data_gtsrb_row *rows;
    int64_t n;
    st = eip_data_gtsrb_csv_from_memory(buf, len, csv_path, &rows, &n, err);
    free(buf);
    if (st != EIP_OK)
        return st;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", csv_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    st = builder_reserve(b, n, csv_path, err);
    size_t img = eip_data_set_image_bytes(&b->ds);
    for (int64_t i = 0; i < n && st == EIP_OK; i++) {
        const eip_data_gtsrb_row *r = &rows[i];
        if (r->class_id < 0) {
            st = eip_error_set(err, EIP_ERR_FORMAT, "%s: no ClassId column (labels needed)", csv_path);
            break;
        }
        if (expected_class >= 0 && r->class_id != expected_class) {
            st = eip_error_set(err, EIP_ERR_FORMAT, "%s: %s has ClassId %d in the directory of class %d",
                               csv_path, r->filename, (int)r->class_id, (int)expected_class);
            break;
        }
        char path[4096 + 300];
        snprintf(path, sizeof path, "%s/%s", dir, r->filename);
        unsigned char *pbuf;
        size_t plen;
        if ((st = eip_io_read_file(path, PPM_MAX_BYTES, &pbuf, &plen, err)) != EIP_OK)
            break;
        uint8_t *rgb; /* [3, H, W] */
        int32_t h, w;
        st = eip_data_ppm_from_memory(pbuf, plen, path, &rgb, &h, &w, err);
        free(pbuf);
        if (st != EIP_OK)
            break;
        if (h != r->height || w != r->width) {
            st = eip_error_set(err, EIP_ERR_FORMAT, "%s: image is %dx%d but %s says %dx%d", path, (int)w,
                               (int)h, csv_path, (int)r->width, (int)r->height);
            free(rgb);
            break;
        }
        int64_t k = b->ds.n;
        resize_bilinear(rgb, h, w, r->x1, r->y1, r->x2 - r->x1, r->y2 - r->y1,
                        b->ds.pixels + (size_t)k * img, b->ds.h);
        b->ds.labels[k] = r->class_id;
        b->ds.n++;
        free(rgb);
    }
    free(rows);
    return st;
}

static eip_status builder_start(builder *b, const char *name, int32_t size, eip_error *err)
{
    memset(b, 0, sizeof *b);
    if (size < 1 || size > 1024)
        return eip_error_set(err, EIP_ERR_ARG, "gtsrb: output size %d not in 1..1024", (int)size);
    eip_data_set_name(&b->ds, name);
    b->ds.c = 3;
    b->ds.h = b->ds.w = size;
    b->ds.num_classes = EIP_DATA_GTSRB_CLASSES;
    b->ds.flags = EIP_DATA_FLAG_NO_HFLIP;
    return EIP_OK;
}

static eip_status builder_finish(builder *b, eip_status st, eip_data_set *out)
{
    if (st != EIP_OK) {
        eip_data_set_free(&b->ds);
        memset(out, 0, sizeof *out);
        return st;
    }
    *out = b->ds;
    return EIP_OK;
}

eip_status eip_data_gtsrb_csv_load(const char *csv_path, int32_t size, eip_data_set *out,
                                   eip_error *err)
{
    builder b;
    eip_status st = builder_start(&b, "gtsrb", size, err);
    if (st == EIP_OK)
        st = load_csv_into(&b, csv_path, -1, err);
    return builder_finish(&b, st, out);
}

eip_status eip_data_gtsrb_train_load(const char *root, int32_t size, eip_data_set *out,
                                     eip_error *err)
{
    builder b;
    eip_status st = builder_start(&b, "gtsrb/train", size, err);
    int found = 0;
    for (int c = 0; c < EIP_DATA_GTSRB_CLASSES && st == EIP_OK; c++) {
        char cdir[4096], csv[4096 + 32];
        int k = snprintf(cdir, sizeof cdir, "%s/Final_Training/Images/%05d", root, c);
        if (k < 0 || (size_t)k >= sizeof cdir) {
            st = eip_error_set(err, EIP_ERR_ARG, "%s: path too long", root);
            break;
        }
        struct stat sb;
        if (stat(cdir, &sb) != 0 || !S_ISDIR(sb.st_mode))
            continue; /* classes may be missing in a partial copy */
        found++;
        snprintf(csv, sizeof csv, "%s/GT-%05d.csv", cdir, c);
        st = load_csv_into(&b, csv, c, err);
    }
    if (st == EIP_OK && !found)
        st = eip_error_set(err, EIP_ERR_IO, "%s/Final_Training/Images: no class directories 00000..00042",
                           root);
    return builder_finish(&b, st, out);
}

eip_status eip_data_gtsrb_test_load(const char *root, int32_t size, eip_data_set *out,
                                    eip_error *err)
{
    char csv[4096];
    builder b;
    eip_status st = builder_start(&b, "gtsrb/test", size, err);
    if (st == EIP_OK)
        st = eip_data_path_join(csv, sizeof csv, root, "Final_Test/Images/GT-final_test.csv", err);
    if (st == EIP_OK)
        st = load_csv_into(&b, csv, -1, err);
    return builder_finish(&b, st, out);
}
