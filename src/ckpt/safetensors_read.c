/* safetensors reader with strict validation (docs/FORMATS.md, "Checkpoints
 * (safetensors)"): header length sane and inside the file, the header one
 * JSON object (cJSON) followed only by padding spaces, "__metadata__" a flat
 * object of strings, every tensor entry exactly {dtype, shape, data_offsets}
 * with a known dtype, non-negative integer dims, end - begin =
 * product(shape) * sizeof(dtype), and the tensors tiling the data buffer
 * exactly (sorted by offset: no gap, no overlap, nothing left over); names
 * and metadata keys unique.  Every failure is EIP_ERR_FORMAT naming the file
 * and, where there is one, the tensor or key. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ckpt/safetensors_internal.h"
#include "util/io.h"

/* Whole files are read into memory; this only guards size_t arithmetic. */
#define MAX_FILE_BYTES ((size_t)1 << 46)

typedef struct entry {
    eip_ckpt_tensor t;
    uint64_t begin, end; /* offsets into the data buffer */
    void *own;           /* aligned private copy when begin is misaligned */
} entry;

struct eip_ckpt_reader {
    char *name;          /* file name for messages */
    unsigned char *buf;  /* data buffer moved to offset 0 (malloc-aligned) */
    size_t data_len;
    entry *e;            /* [n] in buffer order */
    size_t n;
    const entry **by_name; /* [n] sorted by name */
    eip_ckpt_meta *meta; /* [n_meta] sorted by key; strings owned */
    size_t n_meta;
};

void eip_ckpt_reader_free(eip_ckpt_reader_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free((char *)r->e[i].t.name);
        free(r->e[i].own);
    }
    for (size_t i = 0; i < r->n_meta; i++) {
        free((char *)r->meta[i].key);
        free((char *)r->meta[i].value);
    }
    free(r->e);
    free(r->by_name);
    free(r->meta);
    free(r->buf);
    free(r->name);
    free(r);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* A JSON number that is an exact integer in [0, 2^53]. */
static int json_uint(const cJSON *v, uint64_t *out)
{
    if (!cJSON_IsNumber(v))
        return -1;
    const double d = v->valuedouble;
    if (!(d >= 0.0 && d <= (double)EIP_CKPT_MAX_JSON_INT) || d != (double)(uint64_t)d)
        return -1;
    *out = (uint64_t)d;
    return 0;
}

#define FMT_ERR(...) eip_error_set(err, EIP_ERR_FORMAT, __VA_ARGS__)

static eip_status parse_meta(eip_ckpt_reader_t *r, const cJSON *m, eip_error *err)
{
    if (!cJSON_IsObject(m))
        return FMT_ERR("%s: __metadata__ is not an object", r->name);
    size_t n = 0;
    for (const cJSON *c = m->child; c; c = c->next)
        n++;
    r->meta = calloc(n ? n : 1, sizeof *r->meta);
    if (!r->meta)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", r->name);
    for (const cJSON *c = m->child; c; c = c->next) {
        if (!cJSON_IsString(c) || !c->valuestring)
            return FMT_ERR("%s: metadata \"%.100s\" is not a string", r->name, c->string);
        eip_ckpt_meta *kv = &r->meta[r->n_meta];
        kv->key = dup_str(c->string);
        kv->value = dup_str(c->valuestring);
        r->n_meta++;
        if (!kv->key || !kv->value)
            return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", r->name);
    }
    return EIP_OK;
}

static eip_status parse_tensor(eip_ckpt_reader_t *r, const cJSON *o, entry *e, eip_error *err)
{
    const char *nm = o->string;
    if (!*nm)
        return FMT_ERR("%s: tensor with an empty name", r->name);
    if (!cJSON_IsObject(o))
        return FMT_ERR("%s: tensor \"%.100s\": entry is not an object", r->name, nm);
    const cJSON *dt = NULL, *shape = NULL, *offs = NULL;
    for (const cJSON *c = o->child; c; c = c->next) {
        const cJSON **slot = !strcmp(c->string, "dtype")          ? &dt
                             : !strcmp(c->string, "shape")        ? &shape
                             : !strcmp(c->string, "data_offsets") ? &offs
                                                                  : NULL;
        if (!slot)
            return FMT_ERR("%s: tensor \"%.100s\": unknown field \"%.40s\"", r->name, nm, c->string);
        if (*slot)
            return FMT_ERR("%s: tensor \"%.100s\": duplicate field \"%s\"", r->name, nm, c->string);
        *slot = c;
    }
    if (!dt || !shape || !offs)
        return FMT_ERR("%s: tensor \"%.100s\": missing %s", r->name, nm,
                       !dt ? "dtype" : !shape ? "shape" : "data_offsets");
    const int dtype = cJSON_IsString(dt) && dt->valuestring ? eip_ckpt_dtype_parse(dt->valuestring) : -1;
    if (dtype < 0)
        return FMT_ERR("%s: tensor \"%.100s\": unknown dtype %.20s", r->name, nm,
                       cJSON_IsString(dt) && dt->valuestring ? dt->valuestring : "(not a string)");
    e->t.dtype = (eip_ckpt_dtype)dtype;
    if (!cJSON_IsArray(shape))
        return FMT_ERR("%s: tensor \"%.100s\": shape is not an array", r->name, nm);
    int nd = 0;
    for (const cJSON *c = shape->child; c; c = c->next) {
        uint64_t d;
        if (nd == EIP_CKPT_MAX_DIMS)
            return FMT_ERR("%s: tensor \"%.100s\": more than %d dimensions", r->name, nm,
                           EIP_CKPT_MAX_DIMS);
        if (json_uint(c, &d) != 0)
            return FMT_ERR("%s: tensor \"%.100s\": shape[%d] is not a non-negative integer", r->name,
                           nm, nd);
        e->t.shape[nd++] = (int64_t)d;
    }
    e->t.ndim = nd;
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 || json_uint(offs->child, &e->begin) ||
        json_uint(offs->child->next, &e->end) || e->begin > e->end)
        return FMT_ERR("%s: tensor \"%.100s\": data_offsets must be [begin, end] integers with "
                       "begin <= end", r->name, nm);
    uint64_t nbytes;
    if (eip_ckpt_tensor_nbytes(e->t.dtype, nd, e->t.shape, &nbytes) != 0)
        return FMT_ERR("%s: tensor \"%.100s\": shape too large", r->name, nm);
    if (nbytes != e->end - e->begin)
        return FMT_ERR("%s: tensor \"%.100s\": shape and dtype need %llu bytes, data_offsets "
                       "[%llu, %llu] give %llu", r->name, nm, (unsigned long long)nbytes,
                       (unsigned long long)e->begin, (unsigned long long)e->end,
                       (unsigned long long)(e->end - e->begin));
    if (e->end > r->data_len)
        return FMT_ERR("%s: tensor \"%.100s\": data_offsets end %llu beyond the %zu-byte buffer",
                       r->name, nm, (unsigned long long)e->end, r->data_len);
    e->t.nbytes = (size_t)nbytes;
    e->t.name = dup_str(nm);
    if (!e->t.name)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", r->name);
    return EIP_OK;
}

static int cmp_offset(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(const entry *const *)a)->t.name, (*(const entry *const *)b)->t.name);
}

static int cmp_meta(const void *a, const void *b)
{
    return strcmp(((const eip_ckpt_meta *)a)->key, ((const eip_ckpt_meta *)b)->key);
}

/* Tiling, duplicate names, data pointers. */
static eip_status finish(eip_ckpt_reader_t *r, eip_error *err)
{
    qsort(r->e, r->n, sizeof *r->e, cmp_offset);
    uint64_t pos = 0;
    for (size_t i = 0; i < r->n; i++) {
        const entry *e = &r->e[i];
        if (e->begin < pos)
            return FMT_ERR("%s: tensor \"%.100s\": data [%llu, %llu] overlaps the previous tensor "
                           "(ends at %llu)", r->name, e->t.name, (unsigned long long)e->begin,
                           (unsigned long long)e->end, (unsigned long long)pos);
        if (e->begin > pos)
            return FMT_ERR("%s: tensor \"%.100s\": gap in the data buffer before offset %llu",
                           r->name, e->t.name, (unsigned long long)e->begin);
        pos = e->end;
    }
    if (pos != r->data_len)
        return FMT_ERR("%s: %llu bytes at the end of the data buffer belong to no tensor", r->name,
                       (unsigned long long)(r->data_len - pos));
    r->by_name = malloc((r->n ? r->n : 1) * sizeof *r->by_name);
    if (!r->by_name)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", r->name);
    for (size_t i = 0; i < r->n; i++)
        r->by_name[i] = &r->e[i];
    qsort(r->by_name, r->n, sizeof *r->by_name, cmp_name);
    for (size_t i = 1; i < r->n; i++)
        if (!strcmp(r->by_name[i - 1]->t.name, r->by_name[i]->t.name))
            return FMT_ERR("%s: duplicate tensor \"%.100s\"", r->name, r->by_name[i]->t.name);
    if (r->n_meta > 1)
        qsort(r->meta, r->n_meta, sizeof *r->meta, cmp_meta);
    for (size_t i = 1; i < r->n_meta; i++)
        if (!strcmp(r->meta[i - 1].key, r->meta[i].key))
            return FMT_ERR("%s: duplicate metadata key \"%.100s\"", r->name, r->meta[i].key);
    for (size_t i = 0; i < r->n; i++) {
        entry *e = &r->e[i];
        const size_t sz = eip_ckpt_dtype_size(e->t.dtype);
        if (e->t.nbytes == 0 || e->begin % sz == 0) {
            e->t.data = r->buf + e->begin; /* buf is malloc-aligned */
            continue;
        }
        e->own = malloc(e->t.nbytes);
        if (!e->own)
            return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", r->name);
        memcpy(e->own, r->buf + e->begin, e->t.nbytes);
        e->t.data = e->own;
    }
    return EIP_OK;
}

/* Parses buf (len bytes, malloc'd; ownership taken in all cases). */
static eip_status parse(eip_ckpt_reader_t *r, unsigned char *buf, size_t len, eip_error *err)
{
    r->buf = buf;
    if (len < 8)
        return FMT_ERR("%s: %zu bytes, too short for the 8-byte header length", r->name, len);
    const uint64_t hlen = eip_le_get_u64(buf);
    if (hlen > EIP_CKPT_MAX_HEADER_BYTES)
        return FMT_ERR("%s: header length %llu exceeds the %llu-byte limit", r->name,
                       (unsigned long long)hlen, (unsigned long long)EIP_CKPT_MAX_HEADER_BYTES);
    if (hlen > len - 8)
        return FMT_ERR("%s: header length %llu runs past the end of the %zu-byte file", r->name,
                       (unsigned long long)hlen, len);
    if (hlen < 2)
        return FMT_ERR("%s: header of %llu bytes cannot hold a JSON object", r->name,
                       (unsigned long long)hlen);
    const char *json = (const char *)buf + 8;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, (size_t)hlen, &end, 0);
    if (!root)
        return FMT_ERR("%s: header is not valid JSON (at byte %td of %llu)", r->name,
                       end ? end - json : (ptrdiff_t)-1, (unsigned long long)hlen);
    eip_status st = EIP_OK;
    for (const char *p = end; p < json + hlen && st == EIP_OK; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            st = FMT_ERR("%s: header has trailing bytes after the JSON object (at byte %td)", r->name,
                         p - json);
    if (st == EIP_OK && !cJSON_IsObject(root))
        st = FMT_ERR("%s: header is not a JSON object", r->name);
    r->data_len = len - 8 - (size_t)hlen;
    size_t n = 0, n_meta_objs = 0;
    for (const cJSON *c = st == EIP_OK ? root->child : NULL; c; c = c->next)
        n += strcmp(c->string, "__metadata__") != 0;
    if (st == EIP_OK) {
        r->e = calloc(n ? n : 1, sizeof *r->e);
        if (!r->e)
            st = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", r->name);
    }
    for (const cJSON *c = st == EIP_OK ? root->child : NULL; c && st == EIP_OK; c = c->next) {
        if (!strcmp(c->string, "__metadata__")) {
            if (n_meta_objs++)
                st = FMT_ERR("%s: duplicate __metadata__", r->name);
            else
                st = parse_meta(r, c, err);
            continue;
        }
        st = parse_tensor(r, c, &r->e[r->n], err);
        if (r->e[r->n].t.name)
            r->n++; /* counted once its name is owned, so free() releases it */
    }
    cJSON_Delete(root);
    if (st != EIP_OK)
        return st;
    /* Move the data buffer to the (malloc-aligned) start of the allocation. */
    memmove(buf, buf + 8 + hlen, r->data_len);
    return finish(r, err);
}

eip_status eip_ckpt_reader_open_memory(eip_ckpt_reader_t **out, const void *data, size_t len,
                                       const char *name, eip_error *err)
{
    if (!out || (!data && len))
        return eip_error_set(err, EIP_ERR_ARG, "checkpoint: NULL argument");
    *out = NULL;
    if (!name)
        name = "<memory>";
    eip_ckpt_reader_t *r = calloc(1, sizeof *r);
    unsigned char *buf = malloc(len ? len : 1);
    if (!r || !buf || !(r->name = dup_str(name))) {
        free(buf);
        eip_ckpt_reader_free(r);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
    }
    if (len)
        memcpy(buf, data, len);
    eip_status st = parse(r, buf, len, err);
    if (st != EIP_OK) {
        eip_ckpt_reader_free(r);
        return st;
    }
    *out = r;
    return EIP_OK;
}

eip_status eip_ckpt_reader_open(eip_ckpt_reader_t **out, const char *path, eip_error *err)
{
    if (!out || !path)
        return eip_error_set(err, EIP_ERR_ARG, "checkpoint: NULL argument");
    *out = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_status st = eip_io_read_file(path, MAX_FILE_BYTES, &buf, &len, err);
    if (st != EIP_OK)
        return st;
    eip_ckpt_reader_t *r = calloc(1, sizeof *r);
    if (!r || !(r->name = dup_str(path))) {
        free(buf);
        free(r);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    }
    st = parse(r, buf, len, err);
    if (st != EIP_OK) {
        eip_ckpt_reader_free(r);
        return st;
    }
    *out = r;
    return EIP_OK;
}

size_t eip_ckpt_reader_count(const eip_ckpt_reader_t *r) { return r->n; }

const eip_ckpt_tensor *eip_ckpt_reader_at(const eip_ckpt_reader_t *r, size_t i)
{
    return i < r->n ? &r->e[i].t : NULL;
}

const char *eip_ckpt_reader_name(const eip_ckpt_reader_t *r) { return r->name; }

eip_status eip_ckpt_reader_find(const eip_ckpt_reader_t *r, const char *name,
                                const eip_ckpt_tensor **out, eip_error *err)
{
    size_t lo = 0, hi = r->n;
    while (name && lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int c = strcmp(name, r->by_name[mid]->t.name);
        if (!c) {
            *out = &r->by_name[mid]->t;
            return EIP_OK;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    *out = NULL;
    return eip_error_set(err, EIP_ERR_NOT_FOUND, "%s: no tensor \"%.100s\"", r->name,
                         name ? name : "(null)");
}

static void shape_str(char *s, size_t cap, int ndim, const int64_t *shape)
{
    size_t k = (size_t)snprintf(s, cap, "[");
    for (int d = 0; d < ndim && k < cap; d++)
        k += (size_t)snprintf(s + k, cap - k, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (k < cap)
        snprintf(s + k, cap - k, "]");
}

eip_status eip_ckpt_reader_expect(const eip_ckpt_reader_t *r, const char *name,
                                  eip_ckpt_dtype dtype, int ndim, const int64_t *shape,
                                  const void **data, eip_error *err)
{
    const eip_ckpt_tensor *t;
    eip_status st = eip_ckpt_reader_find(r, name, &t, err);
    if (st != EIP_OK)
        return st;
    int same = t->dtype == dtype;
    if (ndim >= 0) {
        same = same && t->ndim == ndim;
        for (int d = 0; same && d < ndim; d++)
            same = t->shape[d] == shape[d];
    }
    if (!same) {
        char want[160], got[160];
        if (ndim >= 0)
            shape_str(want, sizeof want, ndim, shape);
        else
            snprintf(want, sizeof want, "any shape");
        shape_str(got, sizeof got, t->ndim, t->shape);
        return eip_error_set(err, EIP_ERR_SHAPE, "%s: tensor \"%.100s\": expected %s %s, found %s %s",
                             r->name, name, eip_ckpt_dtype_name(dtype) ? eip_ckpt_dtype_name(dtype) : "?",
                             want, eip_ckpt_dtype_name(t->dtype), got);
    }
    if (data)
        *data = t->data;
    return EIP_OK;
}

const char *eip_ckpt_reader_meta(const eip_ckpt_reader_t *r, const char *key)
{
    for (size_t i = 0; key && i < r->n_meta; i++)
        if (!strcmp(r->meta[i].key, key))
            return r->meta[i].value;
    return NULL;
}

size_t eip_ckpt_reader_meta_count(const eip_ckpt_reader_t *r) { return r->n_meta; }

const eip_ckpt_meta *eip_ckpt_reader_meta_at(const eip_ckpt_reader_t *r, size_t i)
{
    return i < r->n_meta ? &r->meta[i] : NULL;
}
