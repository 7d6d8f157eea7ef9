/* Image folders (docs/DATA.md "folder"):
 *   ImageFolder layout  DIR/train/<class>/ *.png|jpg|jpeg and
 *                       DIR/test/<class>/...: label = index of the class
 *                       folder in the byte-sorted list of DIR/train's class
 *                       folders; the user's train/test split is kept;
 *   a flat folder       DIR/ *.png|jpg|jpeg (prediction input), label 0.
 * Files are read in byte order of their names.  Every image of a set must
 * have the same channels and size: the first mismatch is refused naming
 * both files and their shapes (nothing is resized behind the user's back).
 * Names starting with '.' are skipped; any other file that is not
 * .png/.jpg/.jpeg, an empty class folder or a test class unknown to train is
 * refused with its path. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "data/data_internal.h"

#define PATH_BYTES 4096

typedef struct name_list {
    char **v;
    size_t n;
} name_list;

static void names_free(name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_image_name(const char *n)
{
    const char *dot = strrchr(n, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"));
}

/* Entries of dir (no dot-files), byte-sorted; want_dirs selects
 * sub-directories (1) or files (0); an entry of the other kind is refused
 * with `other_msg` unless it is NULL (then skipped). */
static eip_status list_dir(const char *dir, int want_dirs, const char *other_msg, name_list *out,
                           eip_error *err)
{
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d)
        return eip_error_set(err, EIP_ERR_IO, "%s: cannot open the folder", dir);
    eip_status s = EIP_OK;
    size_t cap = 0;
    struct dirent *e;
    char path[PATH_BYTES];
    while (!s && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if ((s = eip_data_path_join(path, sizeof path, dir, e->d_name, err)))
            break;
        if (is_dir(path) != want_dirs) {
            if (other_msg)
                s = eip_error_set(err, EIP_ERR_FORMAT, "%s: %s", path, other_msg);
            continue;
        }
        if (!want_dirs && !is_image_name(e->d_name)) {
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: not a .png, .jpg or .jpeg file", path);
            break;
        }
        if (out->n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nv = realloc(out->v, cap * sizeof *nv);
            if (!nv) {
                s = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", dir);
                break;
            }
            out->v = nv;
        }
        if (!(out->v[out->n] = strdup(e->d_name))) {
            s = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", dir);
            break;
        }
        out->n++;
        if (out->n > (size_t)EIP_DATA_MAX_IMAGES)
            s = eip_error_set(err, EIP_ERR_RANGE, "%s: more than %lld entries", dir,
                              (long long)EIP_DATA_MAX_IMAGES);
    }
    closedir(d);
    if (s)
        names_free(out);
    else if (out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, cmp_str);
    return s;
}

/* A list of image paths with their labels. */
typedef struct file_list {
    char **path;
    int32_t *label;
    size_t n, cap;
} file_list;

static void files_free(file_list *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->path[i]);
    free(f->path);
    free(f->label);
    memset(f, 0, sizeof *f);
}

static eip_status files_add(file_list *f, const char *dir, const char *name, int32_t label,
                            eip_error *err)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 256;
        char **np = realloc(f->path, cap * sizeof *np);
        if (np)
            f->path = np;
        int32_t *nl = realloc(f->label, cap * sizeof *nl);
        if (nl)
            f->label = nl;
        if (!np || !nl)
            return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", dir);
        f->cap = cap;
    }
    char path[PATH_BYTES];
    eip_status s = eip_data_path_join(path, sizeof path, dir, name, err);
    if (s)
        return s;
    if (!(f->path[f->n] = strdup(path)))
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", dir);
    f->label[f->n++] = label;
    return EIP_OK;
}

/* Decodes every file into one set; shapes must agree with the first. */
static eip_status decode_all(const file_list *f, const char *setname, int32_t classes,
                             eip_data_set *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    eip_status s = EIP_OK;
    int32_t c0 = 0, h0 = 0, w0 = 0;
    for (size_t i = 0; i < f->n && !s; i++) {
        uint8_t *px = NULL; /* [C, H, W] */
        int32_t c, h, w;
        if ((s = eip_data_image_load(f->path[i], &px, &c, &h, &w, err)))
            break;
        if (i == 0) {
            c0 = c;
            h0 = h;
            w0 = w;
            s = eip_data_set_init(out, setname, (int64_t)f->n, c, h, w, classes, err);
        } else if (c != c0 || h != h0 || w != w0) {
            s = eip_error_set(err, EIP_ERR_SHAPE,
                              "%s is %dx%dx%d (CxHxW) but %s is %dx%dx%d: all images of a set must "
                              "have the same size and channels (resize / convert them first)",
                              f->path[i], (int)c, (int)h, (int)w, f->path[0], (int)c0, (int)h0, (int)w0);
        }
        if (!s) {
            const size_t img = eip_data_set_image_bytes(out);
            memcpy(out->pixels + i * img, px, img);
            out->labels[i] = f->label[i];
        }
        free(px);
    }
    if (s)
        eip_data_set_free(out);
    return s;
}

/* One split of an ImageFolder tree.  classes: the train split's class
 * names (NULL for train itself, which defines them). */
static eip_status split_files(const char *split_dir, const name_list *classes, name_list *found,
                              file_list *files, eip_error *err)
{
    memset(files, 0, sizeof *files);
    eip_status s = list_dir(split_dir, 1, "a file where class folders are expected", found, err);
    if (s)
        return s;
    if (found->n == 0)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: no class folders (ImageFolder layout: "
                             "DIR/train/<class>/*.png, DIR/test/<class>/...)", split_dir);
    if (found->n > EIP_DATA_MAX_CLASSES)
        return eip_error_set(err, EIP_ERR_RANGE, "%s: %zu class folders (at most %d)", split_dir,
                             found->n, EIP_DATA_MAX_CLASSES);
    char cdir[PATH_BYTES];
    for (size_t k = 0; k < found->n && !s; k++) {
        int32_t label = (int32_t)k;
        if (classes) {
            char **hit = bsearch(&found->v[k], classes->v, classes->n, sizeof *classes->v, cmp_str);
            if (!hit) {
                eip_data_path_join(cdir, sizeof cdir, split_dir, found->v[k], NULL);
                s = eip_error_set(err, EIP_ERR_FORMAT, "%s: class '%s' has no folder in the train split",
                                  cdir, found->v[k]);
                break;
            }
            label = (int32_t)(hit - classes->v);
        }
        if ((s = eip_data_path_join(cdir, sizeof cdir, split_dir, found->v[k], err)))
            break;
        name_list imgs;
        if ((s = list_dir(cdir, 0, NULL, &imgs, err)))
            break;
        if (imgs.n == 0)
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: empty class folder (no .png/.jpg/.jpeg files)", cdir);
        for (size_t i = 0; i < imgs.n && !s; i++)
            s = files_add(files, cdir, imgs.v[i], label, err);
        names_free(&imgs);
    }
    if (s)
        files_free(files);
    return s;
}

eip_status eip_data_folder_load(const char *dir, eip_data_set *train, eip_data_set *test,
                                eip_error *err)
{
    eip_data_set tr = {0}, te = {0};
    char tdir[PATH_BYTES], name[EIP_DATA_NAME_BYTES];
    name_list classes = {0}, tcls = {0};
    file_list files = {0};
    if (!is_dir(dir))
        return eip_error_set(err, EIP_ERR_IO, "folder:%s: not a directory", dir);
    const char *base = strrchr(dir, '/') && strrchr(dir, '/')[1] ? strrchr(dir, '/') + 1 : dir;
    eip_status s = eip_data_path_join(tdir, sizeof tdir, dir, "train", err);
    if (!s && !is_dir(tdir))
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: no such folder (ImageFolder layout: "
                          "DIR/train/<class>/*.png, DIR/test/<class>/...)", tdir);
    if (!s)
        s = split_files(tdir, NULL, &classes, &files, err);
    snprintf(name, sizeof name, "folder:%.40s/train", base);
    if (!s)
        s = decode_all(&files, name, (int32_t)classes.n, &tr, err);
    files_free(&files);
    if (!s)
        s = eip_data_path_join(tdir, sizeof tdir, dir, "test", err);
    if (!s && !is_dir(tdir))
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: no such folder (the test split is required: "
                          "DIR/test/<class>/*.png)", tdir);
    if (!s)
        s = split_files(tdir, &classes, &tcls, &files, err);
    snprintf(name, sizeof name, "folder:%.40s/test", base);
    if (!s)
        s = decode_all(&files, name, (int32_t)classes.n, &te, err);
    if (!s && (te.c != tr.c || te.h != tr.h || te.w != tr.w))
        s = eip_error_set(err, EIP_ERR_SHAPE, "%s is %dx%dx%d (CxHxW) but %s is %dx%dx%d: train and "
                          "test images must have the same size and channels", files.path[0], te.c,
                          te.h, te.w, dir, tr.c, tr.h, tr.w);
    files_free(&files);
    names_free(&classes);
    names_free(&tcls);
    if (s) {
        eip_data_set_free(&tr);
        eip_data_set_free(&te);
        return s;
    }
    if (train)
        *train = tr;
    else
        eip_data_set_free(&tr);
    if (test)
        *test = te;
    else
        eip_data_set_free(&te);
    return EIP_OK;
}

eip_status eip_data_image_dir_load(const char *dir, eip_data_set *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    name_list imgs;
    file_list files = {0};
    eip_status s = list_dir(dir, 0, "a sub-folder (give a folder of .png/.jpg/.jpeg files)", &imgs, err);
    if (s)
        return s;
    if (imgs.n == 0)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: no .png/.jpg/.jpeg files in the folder", dir);
    for (size_t i = 0; i < imgs.n && !s; i++)
        s = files_add(&files, dir, imgs.v[i], 0, err);
    names_free(&imgs);
    if (!s)
        s = decode_all(&files, dir, 1, out, err);
    files_free(&files);
    return s;
}

eip_data_image_kind eip_data_image_path_kind(const char *path)
{
    if (is_dir(path))
        return EIP_DATA_IMAGE_DIR;
    unsigned char head[8] = {0};
    size_t got = 0;
    FILE *fp = fopen(path, "rb");
    if (fp) {
        got = fread(head, 1, sizeof head, fp);
        fclose(fp);
    }
    return eip_data_image_kind_of(path, head, got);
}

eip_status eip_data_images_input_load(const char *path, eip_data_set *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    uint8_t *px = NULL;
    int32_t c = 0, h = 0, w = 0;
    int64_t n = 1;
    eip_status s;
    switch (eip_data_image_path_kind(path)) {
    case EIP_DATA_IMAGE_DIR:
        return eip_data_image_dir_load(path, out, err);
    case EIP_DATA_IMAGE_PNG:
    case EIP_DATA_IMAGE_JPEG:
        s = eip_data_image_load(path, &px, &c, &h, &w, err);
        break;
    case EIP_DATA_IMAGE_NPY:
        s = eip_data_npy_images_load(path, &px, &n, &c, &h, &w, err);
        break;
    default:
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: not a PNG, JPEG or .npy file, nor a folder", path);
    }
    if (!s && !(s = eip_data_set_init(out, path, n, c, h, w, 1, err)) && n)
        memcpy(out->pixels, px, (size_t)n * eip_data_set_image_bytes(out));
    if (!s)
        eip_data_set_name(out, path);
    free(px);
    return s;
}
