/* Binary formats of public, secret and master keys and ciphertext files
 * (docs/FORMATS.md).  Every file: 16-byte header (magic, version, group id,
 * z, q), a body of fixed-size little-endian fields, a BLAKE2b-128 checksum
 * of everything before it.  Readers check, in this order: header (magic,
 * version, group id), exact size, checksum, group parameters, then every
 * field (elements in the group, scalars canonical, key ids) — so each
 * failure gets the most useful message, which always names the file. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"
#include "util/io.h"

static const struct {
    const char *magic, *kind;
} kinds[] = {
    {"EIPK", "public key"}, {"EISK", "secret key"}, {"EIMK", "master key"},
    {"EICT", "ciphertext"}, {"EICB", "codebook"},   {"EISL", "soft-label"},
};

static const char *kind_of(const char *magic)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!memcmp(kinds[i].magic, magic, 4))
            return kinds[i].kind;
    return "unknown";
}

eip_status eip_fmt_head_parse(const unsigned char *buf, size_t len, const char *name,
                              const char *magic, eip_fmt_head *h, eip_error *err)
{
    const char *kind = kind_of(magic);
    if (len < EIP_FMT_FRAME_BYTES)
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: truncated %s file: %zu bytes, a valid one has at least %d", name,
                             kind, len, EIP_FMT_FRAME_BYTES);
    if (memcmp(buf, magic, 4) != 0) {
        const char *other = kind_of((const char *)buf);
        if (strcmp(other, "unknown"))
            return eip_error_set(err, EIP_ERR_FORMAT, "%s: this is a %s file, expected a %s file",
                                 name, other, kind);
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: bad magic (not an encryip %s file; expected '%.4s')", name, kind,
                             magic);
    }
    unsigned version = eip_le_get_u16(buf + 4), group = eip_le_get_u16(buf + 6);
    if (version != EIP_FMT_VERSION)
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: unsupported %s format version %u (this build reads version %d)",
                             name, kind, version, EIP_FMT_VERSION);
    if (group == EIP_CRYPTO_GROUP_PAPER)
        h->ops = &eip_group_paper_ops;
    else if (group == EIP_CRYPTO_GROUP_RISTRETTO255)
        h->ops = &eip_group_ristretto_ops;
    else
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: unknown group id %u (1 = paper, 2 = ristretto255)", name, group);
    h->z = eip_le_get_u32(buf + 8);
    h->q = eip_le_get_u32(buf + 12);
    return EIP_OK;
}

eip_status eip_fmt_size_check(size_t len, size_t want, const char *name, const char *kind,
                              eip_error *err)
{
    if (len < want)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: truncated %s file: %zu bytes, expected %zu",
                             name, kind, len, want);
    if (len > want)
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: %s file has %zu trailing bytes (%zu bytes, expected %zu)", name,
                             kind, len - want, len, want);
    return EIP_OK;
}

eip_status eip_fmt_sum_check(const unsigned char *buf, size_t len, const char *name, eip_error *err)
{
    unsigned char sum[EIP_CRYPTO_CHECKSUM_BYTES];
    size_t body = len - EIP_CRYPTO_CHECKSUM_BYTES;
    crypto_generichash(sum, sizeof sum, buf, body, NULL, 0);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* scripts/fuzz builds only: let mutated inputs reach the field checks */
    if (0)
#else
    if (sodium_memcmp(sum, buf + body, sizeof sum) != 0)
#endif
        return eip_error_set(err, EIP_ERR_CHECKSUM,
                             "%s: checksum mismatch (BLAKE2b-128): the file is corrupted", name);
    return EIP_OK;
}

eip_status eip_fmt_group(const eip_fmt_head *h, const char *name, eip_group *g, eip_error *err)
{
    eip_status s = eip_group_init(g, h->ops->id, h->z, h->q, name, err);
    if (s == EIP_ERR_RANGE) {
        eip_error_prefix(err, "bad group parameters: ");
        s = EIP_ERR_FORMAT;
        if (err)
            err->code = s;
    }
    return s;
}

void eip_fmt_head_put(unsigned char *p, const char *magic, const eip_group *g)
{
    memcpy(p, magic, 4);
    eip_le_put_u16(p + 4, EIP_FMT_VERSION);
    eip_le_put_u16(p + 6, (uint16_t)g->ops->id);
    eip_le_put_u32(p + 8, (uint32_t)g->z);
    eip_le_put_u32(p + 12, g->q);
}

void eip_fmt_sum_put(unsigned char *buf, size_t len)
{
    size_t body = len - EIP_CRYPTO_CHECKSUM_BYTES;
    crypto_generichash(buf + body, EIP_CRYPTO_CHECKSUM_BYTES, buf, body, NULL, 0);
}

static eip_status alloc_buf(size_t len, unsigned char **buf, size_t *out_len, const char *kind,
                            eip_error *err)
{
    *buf = calloc(1, len);
    *out_len = len;
    if (!*buf)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s (%zu bytes): out of memory", kind, len);
    return EIP_OK;
}

static eip_status load_file(const char *path, size_t max, unsigned char **buf, size_t *len,
                            eip_error *err)
{
    return eip_io_read_file(path, max, buf, len, err);
}

/* ---- public key: header | g1 | g2 | h | checksum ------------------------ */

static size_t pk_size(const eip_group_ops *op) { return EIP_FMT_FRAME_BYTES + 3 * op->elem_bytes; }

eip_status eip_crypto_pk_to_bytes(const eip_crypto_pk_t *pk, unsigned char **buf, size_t *len,
                                  eip_error *err)
{
    const eip_group *g = &pk->grp;
    size_t e = g->ops->elem_bytes;
    eip_status s = alloc_buf(pk_size(g->ops), buf, len, "public key", err);
    if (s)
        return s;
    unsigned char *p = *buf;
    eip_fmt_head_put(p, "EIPK", g);
    g->ops->elem_put(g, p + 16, &pk->g1);
    g->ops->elem_put(g, p + 16 + e, &pk->g2);
    g->ops->elem_put(g, p + 16 + 2 * e, &pk->h);
    eip_fmt_sum_put(p, *len);
    return EIP_OK;
}

/* Key id: BLAKE2b-128 of the public-key file without its checksum. */
eip_status eip_pk_compute_id(eip_crypto_pk_t *pk, eip_error *err)
{
    unsigned char *buf;
    size_t len;
    eip_status s = eip_crypto_pk_to_bytes(pk, &buf, &len, err);
    if (s)
        return s;
    crypto_generichash(pk->id, sizeof pk->id, buf, len - EIP_CRYPTO_CHECKSUM_BYTES, NULL, 0);
    free(buf);
    return EIP_OK;
}

eip_status eip_crypto_pk_from_bytes(const unsigned char *buf, size_t len, const char *name,
                                    eip_crypto_pk_t **out, eip_error *err)
{
    *out = NULL;
    eip_fmt_head h;
    eip_status s;
    if ((s = eip_fmt_head_parse(buf, len, name, "EIPK", &h, err)) ||
        (s = eip_fmt_size_check(len, pk_size(h.ops), name, "public key", err)) ||
        (s = eip_fmt_sum_check(buf, len, name, err)))
        return s;
    eip_crypto_pk_t *pk = calloc(1, sizeof *pk);
    if (!pk)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
    if ((s = eip_fmt_group(&h, name, &pk->grp, err)))
        goto fail;
    const eip_group *g = &pk->grp;
    size_t e = g->ops->elem_bytes;
    eip_crypto_elem want_g1;
    g->ops->g1(g, &want_g1);
    s = EIP_ERR_FORMAT;
    if (!g->ops->elem_get(g, &pk->g1, buf + 16) || memcmp(pk->g1.b, want_g1.b, 32)) {
        eip_error_set(err, s, "%s: g1 is not the fixed generator of the %s group", name, g->ops->name);
        goto fail;
    }
    if (!g->ops->elem_get(g, &pk->g2, buf + 16 + e)) {
        eip_error_set(err, s, "%s: g2 is not an element of the %s group", name, g->ops->name);
        goto fail;
    }
    bool gen = g->ops->id == EIP_CRYPTO_GROUP_PAPER ? eip_paper_is_generator(eip_paper_get(&pk->g2), g->q)
                                                    : !sodium_is_zero(pk->g2.b, 32);
    if (!gen) {
        eip_error_set(err, s, "%s: g2 does not generate the group (t is not a unit)", name);
        goto fail;
    }
    if (!g->ops->elem_get(g, &pk->h, buf + 16 + 2 * e)) {
        eip_error_set(err, s, "%s: h is not an element of the %s group", name, g->ops->name);
        goto fail;
    }
    if ((s = eip_pk_compute_id(pk, err)) || (s = eip_pk_prepare(pk, err)))
        goto fail;
    *out = pk;
    return EIP_OK;
fail:
    eip_crypto_pk_free(pk);
    return s;
}

eip_status eip_crypto_pk_save(const eip_crypto_pk_t *pk, const char *path, eip_error *err)
{
    unsigned char *buf;
    size_t len;
    eip_status s = eip_crypto_pk_to_bytes(pk, &buf, &len, err);
    if (s)
        return s;
    s = eip_io_write_atomic(path, buf, len, EIP_IO_MODE_PUBLIC, err);
    free(buf);
    return s;
}

eip_status eip_crypto_pk_load(const char *path, eip_crypto_pk_t **out, eip_error *err)
{
    unsigned char *buf;
    size_t len;
    *out = NULL;
    eip_status s = load_file(path, 4096, &buf, &len, err);
    if (s)
        return s;
    s = eip_crypto_pk_from_bytes(buf, len, path, out, err);
    free(buf);
    return s;
}

/* ---- secret key: header | pk_id | u32 j | a | b | checksum -------------- */

static size_t sk_size(const eip_group_ops *op)
{
    return EIP_FMT_FRAME_BYTES + EIP_CRYPTO_PKID_BYTES + 4 + 2 * op->scalar_bytes;
}

eip_status eip_crypto_sk_to_bytes(const eip_crypto_sk_t *sk, unsigned char **buf, size_t *len,
                                  eip_error *err)
{
    const eip_group *g = &sk->grp;
    size_t sb = g->ops->scalar_bytes;
    eip_status s = alloc_buf(sk_size(g->ops), buf, len, "secret key", err);
    if (s)
        return s;
    unsigned char *p = *buf;
    eip_fmt_head_put(p, "EISK", g);
    memcpy(p + 16, sk->pk_id, EIP_CRYPTO_PKID_BYTES);
    eip_le_put_u32(p + 32, (uint32_t)sk->index);
    g->ops->sc_put(g, p + 36, &sk->a);
    g->ops->sc_put(g, p + 36 + sb, &sk->b);
    eip_fmt_sum_put(p, *len);
    return EIP_OK;
}

eip_status eip_crypto_sk_from_bytes(const unsigned char *buf, size_t len, const char *name,
                                    eip_crypto_sk_t **out, eip_error *err)
{
    *out = NULL;
    eip_fmt_head h;
    eip_status s;
    if ((s = eip_fmt_head_parse(buf, len, name, "EISK", &h, err)) ||
        (s = eip_fmt_size_check(len, sk_size(h.ops), name, "secret key", err)) ||
        (s = eip_fmt_sum_check(buf, len, name, err)))
        return s;
    eip_crypto_sk_t *sk = calloc(1, sizeof *sk);
    if (!sk)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
    if ((s = eip_fmt_group(&h, name, &sk->grp, err)))
        goto fail;
    const eip_group *g = &sk->grp;
    size_t sb = g->ops->scalar_bytes;
    memcpy(sk->pk_id, buf + 16, EIP_CRYPTO_PKID_BYTES);
    sk->index = eip_le_get_u32(buf + 32);
    s = EIP_ERR_FORMAT;
    if (sk->index < 1 || sk->index > EIP_CRYPTO_MAX_LICENSEES) {
        eip_error_set(err, s, "%s: licensee number %lld out of range 1..%d", name,
                      (long long)sk->index, EIP_CRYPTO_MAX_LICENSEES);
        goto fail;
    }
    if (!g->ops->sc_get(g, &sk->a, buf + 36) || !g->ops->sc_get(g, &sk->b, buf + 36 + sb)) {
        eip_error_set(err, s, "%s: secret exponent (a, b) is not a canonical scalar of the %s group",
                      name, g->ops->name);
        goto fail;
    }
    if ((s = eip_sk_prepare(sk, err)))
        goto fail;
    *out = sk;
    return EIP_OK;
fail:
    eip_crypto_sk_free(sk);
    return s;
}

eip_status eip_crypto_sk_save(const eip_crypto_sk_t *sk, const char *path, eip_error *err)
{
    unsigned char *buf;
    size_t len;
    eip_status s = eip_crypto_sk_to_bytes(sk, &buf, &len, err);
    if (s)
        return s;
    s = eip_io_write_atomic(path, buf, len, EIP_IO_MODE_SECRET, err);
    eip_crypto_secret_free(buf, len);
    return s;
}

eip_status eip_crypto_sk_load(const char *path, eip_crypto_sk_t **out, eip_error *err)
{
    unsigned char *buf;
    size_t len;
    *out = NULL;
    eip_status s = load_file(path, 4096, &buf, &len, err);
    if (s)
        return s;
    s = eip_crypto_sk_from_bytes(buf, len, path, out, err);
    eip_crypto_secret_free(buf, len);
    return s;
}

/* ---- master key: header | pk_id | u32 P | t | a1 | b_1..b_P | checksum --- */

#define MASTER_FIXED (EIP_FMT_HEAD_BYTES + EIP_CRYPTO_PKID_BYTES + 4)

static int cmp_scalar(const void *a, const void *b)
{
    return memcmp(((const eip_scalar *)a)->b, ((const eip_scalar *)b)->b, 32);
}

static size_t master_size(const eip_group_ops *op, uint64_t p)
{
    return EIP_FMT_FRAME_BYTES + EIP_CRYPTO_PKID_BYTES + 4 + (size_t)(2 + p) * op->scalar_bytes;
}

eip_status eip_crypto_master_to_bytes(const eip_crypto_master_t *m, unsigned char **buf,
                                      size_t *len, eip_error *err)
{
    const eip_group *g = &m->grp;
    size_t sb = g->ops->scalar_bytes;
    eip_status s = alloc_buf(master_size(g->ops, (uint64_t)m->count), buf, len, "master key", err);
    if (s)
        return s;
    unsigned char *p = *buf;
    eip_fmt_head_put(p, "EIMK", g);
    memcpy(p + 16, m->pk_id, EIP_CRYPTO_PKID_BYTES);
    eip_le_put_u32(p + 32, (uint32_t)m->count);
    g->ops->sc_put(g, p + MASTER_FIXED, &m->t);
    g->ops->sc_put(g, p + MASTER_FIXED + sb, &m->a1);
    for (int64_t j = 0; j < m->count; j++)
        g->ops->sc_put(g, p + MASTER_FIXED + (size_t)(2 + j) * sb, &m->b[j]);
    eip_fmt_sum_put(p, *len);
    return EIP_OK;
}

eip_status eip_crypto_master_from_bytes(const unsigned char *buf, size_t len, const char *name,
                                        eip_crypto_master_t **out, eip_error *err)
{
    *out = NULL;
    eip_fmt_head h;
    eip_status s;
    if ((s = eip_fmt_head_parse(buf, len, name, "EIMK", &h, err)))
        return s;
    if (len < MASTER_FIXED + EIP_CRYPTO_CHECKSUM_BYTES)
        return eip_fmt_size_check(len, MASTER_FIXED + EIP_CRYPTO_CHECKSUM_BYTES, name, "master key", err);
    uint32_t p = eip_le_get_u32(buf + 32);
    if (p < 1 || p > EIP_CRYPTO_MAX_LICENSEES)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: licensee count %u out of range 1..%d", name,
                             p, EIP_CRYPTO_MAX_LICENSEES);
    if ((s = eip_fmt_size_check(len, master_size(h.ops, p), name, "master key", err)) ||
        (s = eip_fmt_sum_check(buf, len, name, err)))
        return s;
    eip_crypto_master_t *m = calloc(1, sizeof *m);
    if (!m)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
    if ((s = eip_fmt_group(&h, name, &m->grp, err)))
        goto fail;
    const eip_group *g = &m->grp;
    size_t sb = g->ops->scalar_bytes;
    s = EIP_ERR_FORMAT;
    if (g->ops->id == EIP_CRYPTO_GROUP_PAPER && p > g->n) {
        eip_error_set(err, s, "%s: %u licensees but the paper group with q=%u allows at most %u", name,
                      p, g->q, g->n);
        goto fail;
    }
    memcpy(m->pk_id, buf + 16, EIP_CRYPTO_PKID_BYTES);
    m->b = calloc(p, sizeof *m->b);
    if (!m->b) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
        goto fail;
    }
    m->cap = p;
    m->count = p;
    if (!g->ops->sc_get(g, &m->t, buf + MASTER_FIXED) || !g->ops->sc_is_unit(g, &m->t)) {
        eip_error_set(err, s, "%s: t is not a unit exponent of the %s group", name, g->ops->name);
        goto fail;
    }
    if (!g->ops->sc_get(g, &m->a1, buf + MASTER_FIXED + sb)) {
        eip_error_set(err, s, "%s: a1 is not a canonical scalar of the %s group", name, g->ops->name);
        goto fail;
    }
    for (uint32_t j = 0; j < p; j++) {
        if (!g->ops->sc_get(g, &m->b[j], buf + MASTER_FIXED + (size_t)(2 + j) * sb)) {
            eip_error_set(err, s, "%s: b_%u is not a canonical scalar of the %s group", name, j + 1,
                          g->ops->name);
            goto fail;
        }
    }
    /* b_j pairwise distinct (checked on a sorted copy, wiped after) */
    eip_scalar *sorted = malloc((size_t)p * sizeof *sorted);
    if (!sorted) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
        goto fail;
    }
    memcpy(sorted, m->b, (size_t)p * sizeof *sorted);
    qsort(sorted, p, sizeof *sorted, cmp_scalar);
    bool dup = false;
    for (uint32_t j = 1; j < p; j++)
        dup |= !memcmp(sorted[j - 1].b, sorted[j].b, 32);
    sodium_memzero(sorted, (size_t)p * sizeof *sorted);
    free(sorted);
    if (dup) {
        eip_error_set(err, s, "%s: two licensees share the same b (keys must be distinct)", name);
        goto fail;
    }
    *out = m;
    return EIP_OK;
fail:
    eip_crypto_master_free(m);
    return s;
}

eip_status eip_crypto_master_save(const eip_crypto_master_t *m, const char *path, eip_error *err)
{
    unsigned char *buf;
    size_t len;
    eip_status s = eip_crypto_master_to_bytes(m, &buf, &len, err);
    if (s)
        return s;
    s = eip_io_write_atomic(path, buf, len, EIP_IO_MODE_SECRET, err);
    eip_crypto_secret_free(buf, len);
    return s;
}

eip_status eip_crypto_master_load(const char *path, eip_crypto_master_t **out, eip_error *err)
{
    unsigned char *buf;
    size_t len;
    *out = NULL;
    eip_status s = load_file(path, master_size(&eip_group_ristretto_ops, EIP_CRYPTO_MAX_LICENSEES),
                             &buf, &len, err);
    if (s)
        return s;
    s = eip_crypto_master_from_bytes(buf, len, path, out, err);
    eip_crypto_secret_free(buf, len);
    return s;
}

/* ---- ciphertext file: header | pk_id | u64 n | n x (u1 u2 u3) | checksum - */

#define CTS_FIXED (EIP_FMT_HEAD_BYTES + EIP_CRYPTO_PKID_BYTES + 8)

eip_status eip_crypto_cts_to_bytes(const eip_crypto_pk_t *pk, const eip_crypto_ct *c, int64_t n,
                                   unsigned char **buf, size_t *len, eip_error *err)
{
    const eip_group *g = &pk->grp;
    size_t rec = 3 * g->ops->elem_bytes;
    if (n < 0 || (uint64_t)n > (EIP_FMT_MAX_FILE_BYTES - CTS_FIXED - 16) / rec)
        return eip_error_set(err, EIP_ERR_RANGE, "ciphertext file: %lld ciphertexts is too many",
                             (long long)n);
    for (int64_t i = 0; i < n; i++)
        if (!eip_group_ct_valid(g, &c[i]))
            return eip_error_set(err, EIP_ERR_CRYPTO,
                                 "ciphertext %lld has an element outside the %s group", (long long)i,
                                 g->ops->name);
    eip_status s = alloc_buf(CTS_FIXED + (size_t)n * rec + 16, buf, len, "ciphertext file", err);
    if (s)
        return s;
    unsigned char *p = *buf;
    eip_fmt_head_put(p, "EICT", g);
    memcpy(p + 16, pk->id, EIP_CRYPTO_PKID_BYTES);
    eip_le_put_u64(p + 32, (uint64_t)n);
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            g->ops->elem_put(g, p + CTS_FIXED + (size_t)i * rec + (size_t)k * g->ops->elem_bytes,
                             &c[i].u[k]);
    eip_fmt_sum_put(p, *len);
    return EIP_OK;
}

eip_status eip_crypto_cts_save(const eip_crypto_pk_t *pk, const eip_crypto_ct *c, int64_t n,
                               const char *path, eip_error *err)
{
    unsigned char *buf;
    size_t len;
    eip_status s = eip_crypto_cts_to_bytes(pk, c, n, &buf, &len, err);
    if (s)
        return s;
    s = eip_io_write_atomic(path, buf, len, EIP_IO_MODE_PUBLIC, err);
    free(buf);
    return s;
}

eip_status eip_crypto_cts_from_bytes(const unsigned char *buf, size_t len, const char *name,
                                     eip_crypto_cts_info *info, eip_crypto_ct **out, int64_t *n_out,
                                     eip_error *err)
{
    *out = NULL;
    *n_out = 0;
    eip_fmt_head h;
    eip_status s;
    if ((s = eip_fmt_head_parse(buf, len, name, "EICT", &h, err)))
        return s;
    if (len < CTS_FIXED + EIP_CRYPTO_CHECKSUM_BYTES)
        return eip_fmt_size_check(len, CTS_FIXED + EIP_CRYPTO_CHECKSUM_BYTES, name, "ciphertext", err);
    uint64_t n = eip_le_get_u64(buf + 32);
    size_t rec = 3 * h.ops->elem_bytes;
    if (n > (len - CTS_FIXED - EIP_CRYPTO_CHECKSUM_BYTES) / rec)
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: truncated ciphertext file: header says %llu ciphertexts, %zu bytes "
                             "hold at most %zu",
                             name, (unsigned long long)n, len,
                             (len - CTS_FIXED - EIP_CRYPTO_CHECKSUM_BYTES) / rec);
    if ((s = eip_fmt_size_check(len, CTS_FIXED + (size_t)n * rec + 16, name, "ciphertext", err)) ||
        (s = eip_fmt_sum_check(buf, len, name, err)))
        return s;
    eip_group g;
    if ((s = eip_fmt_group(&h, name, &g, err)))
        return s;
    eip_crypto_ct *c = calloc(n ? n : 1, sizeof *c);
    if (!c) {
        eip_group_free(&g);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: %llu ciphertexts: out of memory", name,
                             (unsigned long long)n);
    }
    for (uint64_t i = 0; i < n; i++) {
        for (int k = 0; k < 3; k++) {
            const unsigned char *w = buf + CTS_FIXED + i * rec + (size_t)k * h.ops->elem_bytes;
            if (!g.ops->elem_get(&g, &c[i].u[k], w)) {
                s = eip_error_set(err, EIP_ERR_FORMAT,
                                  "%s: ciphertext %llu: u%d is not an element of the %s group", name,
                                  (unsigned long long)i, k + 1, g.ops->name);
                free(c);
                eip_group_free(&g);
                return s;
            }
        }
    }
    info->group = g.ops->id;
    info->classes = g.z;
    info->q = g.q;
    memcpy(info->pk_id, buf + 16, EIP_CRYPTO_PKID_BYTES);
    eip_group_free(&g);
    *out = c;
    *n_out = (int64_t)n;
    return EIP_OK;
}

eip_status eip_crypto_cts_load(const char *path, eip_crypto_cts_info *info, eip_crypto_ct **c,
                               int64_t *n, eip_error *err)
{
    unsigned char *buf;
    size_t len;
    *c = NULL;
    *n = 0;
    eip_status s = load_file(path, EIP_FMT_MAX_FILE_BYTES, &buf, &len, err);
    if (s)
        return s;
    s = eip_crypto_cts_from_bytes(buf, len, path, info, c, n, err);
    free(buf);
    return s;
}
