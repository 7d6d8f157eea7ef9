/* safetensors writer: validates the tensor list, builds the JSON header with
 * cJSON, lays tensors out by decreasing element size (so each is aligned to
 * its element size once the header is padded to a multiple of 8, as the
 * reference implementation does) and writes atomically or into memory. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ckpt/safetensors_internal.h"
#include "util/io.h"

static const struct {
    const char *name;
    size_t size;
} dtype_table[] = {
    [EIP_CKPT_F32] = {"F32", 4}, [EIP_CKPT_F64] = {"F64", 8}, [EIP_CKPT_I64] = {"I64", 8},
    [EIP_CKPT_I32] = {"I32", 4}, [EIP_CKPT_U8] = {"U8", 1},
};
#define N_DTYPES (sizeof dtype_table / sizeof dtype_table[0])

const char *eip_ckpt_dtype_name(eip_ckpt_dtype dtype)
{
    return (unsigned)dtype < N_DTYPES ? dtype_table[dtype].name : NULL;
}

size_t eip_ckpt_dtype_size(eip_ckpt_dtype dtype)
{
    return (unsigned)dtype < N_DTYPES ? dtype_table[dtype].size : 0;
}

int eip_ckpt_dtype_parse(const char *name)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (!strcmp(name, dtype_table[i].name))
            return (int)i;
    return -1;
}

int eip_ckpt_tensor_nbytes(eip_ckpt_dtype dtype, int ndim, const int64_t *shape, uint64_t *nbytes)
{
    uint64_t n = eip_ckpt_dtype_size(dtype);
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0)
            return -1;
        const uint64_t dim = (uint64_t)shape[d];
        if (dim != 0 && n > EIP_CKPT_MAX_JSON_INT / dim)
            return -1;
        n *= dim;
    }
    *nbytes = n;
    return 0;
}

/* A validated write: header text and buffer order. */
typedef struct plan {
    char *header;     /* JSON, space-padded; header_len bytes (no NUL counted) */
    size_t header_len;
    size_t *order;    /* [n] tensor indices in buffer order */
    uint64_t *nbytes; /* [n] per tensor (input order) */
    uint64_t total;   /* buffer bytes */
} plan;

static void plan_free(plan *p)
{
    free(p->header);
    free(p->order);
    free(p->nbytes);
    memset(p, 0, sizeof *p);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names: non-empty, not "__metadata__", unique.  keys = scratch [n]. */
static eip_status check_unique(const char *what, const char **keys, size_t n, const char *path,
                               eip_error *err)
{
    qsort(keys, n, sizeof *keys, cmp_str_ptr);
    for (size_t i = 1; i < n; i++)
        if (!strcmp(keys[i - 1], keys[i]))
            return eip_error_set(err, EIP_ERR_ARG, "%s: duplicate %s \"%.100s\"", path, what, keys[i]);
    return EIP_OK;
}

static eip_status check_inputs(const char *path, const eip_ckpt_tensor *t, size_t n,
                               const eip_ckpt_meta *meta, size_t n_meta, plan *p, eip_error *err)
{
    if ((n && !t) || (n_meta && !meta))
        return eip_error_set(err, EIP_ERR_ARG, "%s: NULL tensor or metadata list", path);
    size_t nk = n > n_meta ? n : n_meta;
    const char **keys = malloc((nk ? nk : 1) * sizeof *keys);
    if (!keys)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    eip_status st = EIP_OK;
    for (size_t i = 0; i < n && st == EIP_OK; i++) {
        const char *nm = t[i].name;
        if (!nm || !*nm || !strcmp(nm, "__metadata__"))
            st = eip_error_set(err, EIP_ERR_ARG, "%s: tensor %zu: bad name \"%.100s\"", path, i,
                               nm ? nm : "(null)");
        else if (!eip_ckpt_dtype_name(t[i].dtype))
            st = eip_error_set(err, EIP_ERR_ARG, "%s: tensor \"%.100s\": unknown dtype %d", path, nm,
                               (int)t[i].dtype);
        else if (t[i].ndim < 0 || t[i].ndim > EIP_CKPT_MAX_DIMS)
            st = eip_error_set(err, EIP_ERR_ARG, "%s: tensor \"%.100s\": %d dimensions (0..%d)", path,
                               nm, t[i].ndim, EIP_CKPT_MAX_DIMS);
        else if (eip_ckpt_tensor_nbytes(t[i].dtype, t[i].ndim, t[i].shape, &p->nbytes[i]) != 0)
            st = eip_error_set(err, EIP_ERR_ARG, "%s: tensor \"%.100s\": negative or too large shape",
                               path, nm);
        else if (p->nbytes[i] && !t[i].data)
            st = eip_error_set(err, EIP_ERR_ARG, "%s: tensor \"%.100s\": NULL data", path, nm);
        else if (p->total + p->nbytes[i] > EIP_CKPT_MAX_JSON_INT)
            st = eip_error_set(err, EIP_ERR_RANGE, "%s: tensors too large in total", path);
        else {
            p->total += p->nbytes[i];
            keys[i] = nm;
        }
    }
    if (st == EIP_OK)
        st = check_unique("tensor name", keys, n, path, err);
    for (size_t i = 0; i < n_meta && st == EIP_OK; i++) {
        if (!meta[i].key || !meta[i].value)
            st = eip_error_set(err, EIP_ERR_ARG, "%s: metadata %zu: NULL key or value", path, i);
        keys[i] = meta[i].key;
    }
    if (st == EIP_OK)
        st = check_unique("metadata key", keys, n_meta, path, err);
    free(keys);
    return st;
}

static cJSON *header_json(const eip_ckpt_tensor *t, size_t n, const eip_ckpt_meta *meta,
                          size_t n_meta, const uint64_t *begin /* [n] */, const uint64_t *nbytes)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    if (n_meta) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        for (size_t i = 0; m && i < n_meta; i++)
            if (!cJSON_AddStringToObject(m, meta[i].key, meta[i].value))
                m = NULL;
        if (!m)
            goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_AddObjectToObject(root, t[i].name);
        if (!o || !cJSON_AddStringToObject(o, "dtype", eip_ckpt_dtype_name(t[i].dtype)))
            goto fail;
        cJSON *shape = cJSON_AddArrayToObject(o, "shape");
        if (!shape)
            goto fail;
        for (int d = 0; d < t[i].ndim; d++) {
            cJSON *v = cJSON_CreateNumber((double)t[i].shape[d]);
            if (!v || !cJSON_AddItemToArray(shape, v)) {
                cJSON_Delete(v);
                goto fail;
            }
        }
        const double off[2] = {(double)begin[i], (double)(begin[i] + nbytes[i])};
        cJSON *offs = cJSON_CreateDoubleArray(off, 2);
        if (!offs || !cJSON_AddItemToObject(o, "data_offsets", offs)) {
            cJSON_Delete(offs);
            goto fail;
        }
    }
    return root;
fail:
    cJSON_Delete(root);
    return NULL;
}

static eip_status plan_make(const char *path, const eip_ckpt_tensor *t, size_t n,
                            const eip_ckpt_meta *meta, size_t n_meta, plan *p, eip_error *err)
{
    memset(p, 0, sizeof *p);
    p->order = malloc((n ? n : 1) * sizeof *p->order);
    p->nbytes = calloc(n ? n : 1, sizeof *p->nbytes);
    uint64_t *begin = calloc(n ? n : 1, sizeof *begin);
    if (!p->order || !p->nbytes || !begin) {
        free(begin);
        plan_free(p);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    }
    eip_status st = check_inputs(path, t, n, meta, n_meta, p, err);
    if (st != EIP_OK) {
        free(begin);
        plan_free(p);
        return st;
    }
    /* Buffer order: element size 8, then 4, then 1, input order within. */
    size_t k = 0;
    uint64_t off = 0;
    for (size_t sz = 8; sz >= 1; sz /= 2)
        for (size_t i = 0; i < n; i++)
            if (eip_ckpt_dtype_size(t[i].dtype) == sz) {
                p->order[k++] = i;
                begin[i] = off;
                off += p->nbytes[i];
            }
    cJSON *root = header_json(t, n, meta, n_meta, begin, p->nbytes);
    free(begin);
    char *json = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!json) {
        plan_free(p);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory building the header", path);
    }
    const size_t len = strlen(json);
    const size_t padded = len + (8 - (8 + len) % 8) % 8;
    p->header = malloc(padded + 1);
    if (!p->header) {
        cJSON_free(json);
        plan_free(p);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(p->header, json, len);
    memset(p->header + len, ' ', padded - len);
    p->header[padded] = '\0';
    p->header_len = padded;
    cJSON_free(json);
    return EIP_OK;
}

eip_status eip_ckpt_encode(const eip_ckpt_tensor *tensors, size_t n_tensors,
                           const eip_ckpt_meta *meta, size_t n_meta,
                           unsigned char **out, size_t *out_len, eip_error *err)
{
    if (!out || !out_len)
        return eip_error_set(err, EIP_ERR_ARG, "<memory>: NULL output");
    *out = NULL;
    *out_len = 0;
    plan p;
    eip_status st = plan_make("<memory>", tensors, n_tensors, meta, n_meta, &p, err);
    if (st != EIP_OK)
        return st;
    if (p.total > SIZE_MAX - 8 - p.header_len) {
        plan_free(&p);
        return eip_error_set(err, EIP_ERR_RANGE, "<memory>: checkpoint too large");
    }
    const size_t len = 8 + p.header_len + (size_t)p.total;
    unsigned char *buf = malloc(len);
    if (!buf) {
        plan_free(&p);
        return eip_error_set(err, EIP_ERR_NOMEM, "<memory>: out of memory for %zu bytes", len);
    }
    eip_le_put_u64(buf, p.header_len);
    memcpy(buf + 8, p.header, p.header_len);
    size_t off = 8 + p.header_len;
    for (size_t k = 0; k < n_tensors; k++) {
        const size_t i = p.order[k];
        if (p.nbytes[i])
            memcpy(buf + off, tensors[i].data, (size_t)p.nbytes[i]);
        off += (size_t)p.nbytes[i];
    }
    plan_free(&p);
    *out = buf;
    *out_len = len;
    return EIP_OK;
}

eip_status eip_ckpt_write(const char *path, const eip_ckpt_tensor *tensors, size_t n_tensors,
                          const eip_ckpt_meta *meta, size_t n_meta, eip_error *err)
{
    if (!path)
        return eip_error_set(err, EIP_ERR_ARG, "checkpoint: NULL path");
    plan p;
    eip_status st = plan_make(path, tensors, n_tensors, meta, n_meta, &p, err);
    if (st != EIP_OK)
        return st;
    eip_io_atomic w;
    st = eip_io_atomic_open(&w, path, EIP_IO_MODE_PUBLIC, err);
    if (st != EIP_OK) {
        plan_free(&p);
        return st;
    }
    unsigned char len8[8];
    eip_le_put_u64(len8, p.header_len);
    st = eip_io_atomic_write(&w, len8, 8, err);
    if (st == EIP_OK)
        st = eip_io_atomic_write(&w, p.header, p.header_len, err);
    for (size_t k = 0; k < n_tensors && st == EIP_OK; k++) {
        const size_t i = p.order[k];
        if (p.nbytes[i])
            st = eip_io_atomic_write(&w, tensors[i].data, (size_t)p.nbytes[i], err);
    }
    plan_free(&p);
    if (st != EIP_OK) {
        eip_io_atomic_abort(&w);
        return st;
    }
    return eip_io_atomic_commit(&w, err);
}
