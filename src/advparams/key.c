/* AdvParams secret key: the positions and perturbations (as exact bit
 * patterns) plus the model hashes; binary format in docs/FORMATS.md
 * "AdvParams key".  Every byte is validated on read. */
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/advparams.h"
#include "util/io.h"

static const unsigned char key_magic[8] = {'E', 'I', 'P', 'A', 'D', 'V', 'P', 'K'};
#define KEY_VERSION 1u
#define KEY_HEADER_BYTES (8 + 4 + 4 + 2 * EIP_ADVPARAMS_HASH_BYTES) /* 80 */
#define KEY_CHECKSUM_BYTES 32
#define KEY_MAX_INDEX ((int64_t)1 << 40)

void eip_advparams_key_free(eip_advparams_key *key)
{
    if (!key)
        return;
    free(key->entries);
    memset(key, 0, sizeof *key);
}

static float bits_to_float(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

double eip_advparams_entry_delta(const eip_advparams_entry *e)
{
    return (double)bits_to_float(e->enc_bits) - (double)bits_to_float(e->orig_bits);
}

static int bits_finite(uint32_t b)
{
    return ((b >> 23) & 0xffu) != 0xffu;
}

/* Strict (tensor name, index) order: no duplicates. */
static int entry_cmp(const eip_advparams_entry *a, const eip_advparams_entry *b)
{
    int c = strcmp(a->tensor, b->tensor);
    if (c)
        return c;
    return (a->index > b->index) - (a->index < b->index);
}

/* Field checks shared by the writer and the reader. */
static eip_status entry_check(const char *what, const eip_advparams_entry *e, int64_t i,
                              const eip_advparams_entry *prev, eip_error *err)
{
    size_t len = strnlen(e->tensor, sizeof e->tensor);
    if (len == 0 || len > EIP_ADVPARAMS_NAME_MAX)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: entry %lld: tensor name length %zu not in 1..%d",
                             what, (long long)i, len, EIP_ADVPARAMS_NAME_MAX);
    for (size_t j = 0; j < len; j++)
        if ((unsigned char)e->tensor[j] < 0x21 || (unsigned char)e->tensor[j] > 0x7e)
            return eip_error_set(err, EIP_ERR_FORMAT,
                                 "%s: entry %lld: tensor name has a non-printable byte 0x%02x", what,
                                 (long long)i, (unsigned char)e->tensor[j]);
    if (e->index < 0 || e->index >= KEY_MAX_INDEX)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: entry %lld (%s): index %lld out of range", what,
                             (long long)i, e->tensor, (long long)e->index);
    if (!bits_finite(e->orig_bits) || !bits_finite(e->enc_bits))
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: entry %lld (%s[%lld]): value is not finite",
                             what, (long long)i, e->tensor, (long long)e->index);
    if (e->orig_bits == e->enc_bits)
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: entry %lld (%s[%lld]): perturbed value equals the original", what,
                             (long long)i, e->tensor, (long long)e->index);
    if (prev && entry_cmp(prev, e) >= 0)
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: entry %lld (%s[%lld]): entries not in strictly increasing "
                             "(tensor, index) order",
                             what, (long long)i, e->tensor, (long long)e->index);
    return EIP_OK;
}

eip_status eip_advparams_key_to_bytes(const eip_advparams_key *key, unsigned char **out,
                                      size_t *out_len, eip_error *err)
{
    if (key->n < 1 || key->n > EIP_ADVPARAMS_MAX_ENTRIES || !key->entries)
        return eip_error_set(err, EIP_ERR_ARG, "AdvParams key: %lld entries (need 1..%d)",
                             (long long)key->n, EIP_ADVPARAMS_MAX_ENTRIES);
    size_t len = KEY_HEADER_BYTES + KEY_CHECKSUM_BYTES;
    for (int64_t i = 0; i < key->n; i++) {
        eip_status s = entry_check("AdvParams key", &key->entries[i], i,
                                   i ? &key->entries[i - 1] : NULL, err);
        if (s != EIP_OK)
            return s;
        len += 1 + strlen(key->entries[i].tensor) + 8 + 4 + 4;
    }
    if (sodium_init() < 0)
        return eip_error_set(err, EIP_ERR_CRYPTO, "libsodium initialisation failed");
    unsigned char *b = malloc(len);
    if (!b)
        return eip_error_set(err, EIP_ERR_NOMEM, "AdvParams key: out of memory");
    memcpy(b, key_magic, 8);
    eip_le_put_u32(b + 8, KEY_VERSION);
    eip_le_put_u32(b + 12, (uint32_t)key->n);
    memcpy(b + 16, key->hash_orig, EIP_ADVPARAMS_HASH_BYTES);
    memcpy(b + 48, key->hash_enc, EIP_ADVPARAMS_HASH_BYTES);
    size_t o = KEY_HEADER_BYTES;
    for (int64_t i = 0; i < key->n; i++) {
        const eip_advparams_entry *e = &key->entries[i];
        size_t nl = strlen(e->tensor);
        b[o++] = (unsigned char)nl;
        memcpy(b + o, e->tensor, nl);
        o += nl;
        eip_le_put_u64(b + o, (uint64_t)e->index);
        eip_le_put_u32(b + o + 8, e->orig_bits);
        eip_le_put_u32(b + o + 12, e->enc_bits);
        o += 16;
    }
    crypto_generichash(b + o, KEY_CHECKSUM_BYTES, b, o, NULL, 0);
    *out = b;
    *out_len = len;
    return EIP_OK;
}

eip_status eip_advparams_key_from_bytes(const unsigned char *buf, size_t len, const char *name,
                                        eip_advparams_key *key, eip_error *err)
{
    memset(key, 0, sizeof *key);
    if (!name)
        name = "<memory>";
    if (sodium_init() < 0)
        return eip_error_set(err, EIP_ERR_CRYPTO, "libsodium initialisation failed");
    if (len < KEY_HEADER_BYTES + KEY_CHECKSUM_BYTES)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: truncated AdvParams key (%zu bytes, header "
                             "and checksum alone are %d)", name, len,
                             KEY_HEADER_BYTES + KEY_CHECKSUM_BYTES);
    if (memcmp(buf, key_magic, 8) != 0)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: bad magic (not an AdvParams key)", name);
    uint32_t ver = eip_le_get_u32(buf + 8), n = eip_le_get_u32(buf + 12);
    if (ver != KEY_VERSION)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: AdvParams key version %u (this build reads %u)",
                             name, ver, KEY_VERSION);
    if (n < 1 || n > EIP_ADVPARAMS_MAX_ENTRIES)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: %u entries (need 1..%d)", name, n,
                             EIP_ADVPARAMS_MAX_ENTRIES);
    eip_advparams_entry *es = calloc(n, sizeof *es);
    if (!es)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
    const size_t body_end = len - KEY_CHECKSUM_BYTES;
    size_t o = KEY_HEADER_BYTES;
    eip_status s = EIP_OK;
    for (uint32_t i = 0; i < n && s == EIP_OK; i++) {
        if (o + 1 > body_end) {
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: truncated at entry %u of %u", name, i, n);
            break;
        }
        size_t nl = buf[o++];
        if (nl == 0 || o + nl + 16 > body_end) {
            s = eip_error_set(err, EIP_ERR_FORMAT,
                              nl ? "%s: truncated at entry %u of %u" : "%s: entry %u of %u: empty tensor name",
                              name, i, n);
            break;
        }
        memcpy(es[i].tensor, buf + o, nl);
        es[i].tensor[nl] = '\0';
        o += nl;
        uint64_t idx = eip_le_get_u64(buf + o);
        if (idx >= (uint64_t)KEY_MAX_INDEX) {
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: entry %u: index %llu out of range", name, i,
                              (unsigned long long)idx);
            break;
        }
        es[i].index = (int64_t)idx;
        es[i].orig_bits = eip_le_get_u32(buf + o + 8);
        es[i].enc_bits = eip_le_get_u32(buf + o + 12);
        o += 16;
    }
    if (s == EIP_OK && o != body_end)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: %zu trailing bytes after %u entries", name,
                          body_end - o, n);
    if (s == EIP_OK) {
        unsigned char sum[KEY_CHECKSUM_BYTES];
        crypto_generichash(sum, sizeof sum, buf, body_end, NULL, 0);
        if (sodium_memcmp(sum, buf + body_end, sizeof sum) != 0)
            s = eip_error_set(err, EIP_ERR_CHECKSUM, "%s: checksum mismatch (corrupted AdvParams key)",
                              name);
    }
    for (uint32_t i = 0; i < n && s == EIP_OK; i++)
        s = entry_check(name, &es[i], i, i ? &es[i - 1] : NULL, err);
    if (s != EIP_OK) {
        free(es);
        return s;
    }
    memcpy(key->hash_orig, buf + 16, EIP_ADVPARAMS_HASH_BYTES);
    memcpy(key->hash_enc, buf + 48, EIP_ADVPARAMS_HASH_BYTES);
    key->n = n;
    key->entries = es;
    return EIP_OK;
}

eip_status eip_advparams_key_write(const eip_advparams_key *key, const char *path, eip_error *err)
{
    unsigned char *b = NULL;
    size_t len = 0;
    eip_status s = eip_advparams_key_to_bytes(key, &b, &len, err);
    if (s != EIP_OK) {
        eip_error_prefix(err, "%s: ", path);
        return s;
    }
    s = eip_io_write_atomic(path, b, len, EIP_IO_MODE_SECRET, err);
    sodium_memzero(b, len);
    free(b);
    return s;
}

eip_status eip_advparams_key_read(const char *path, eip_advparams_key *key, eip_error *err)
{
    unsigned char *b = NULL;
    size_t len = 0;
    eip_status s = eip_io_read_file(path, EIP_ADVPARAMS_KEY_MAX_BYTES, &b, &len, err);
    if (s != EIP_OK)
        return s;
    s = eip_advparams_key_from_bytes(b, len, path, key, err);
    sodium_memzero(b, len);
    free(b);
    return s;
}

/* Model hash (advparams.h): domain string, then per tensor name, kind, shape,
 * count and little-endian data. */
eip_status eip_advparams_model_hash(eip_nn_net_t *net, uint8_t out[EIP_ADVPARAMS_HASH_BYTES],
                                    eip_error *err)
{
    crypto_generichash_state st;
    static const char domain[] = "encryip.advparams.model-hash.v1";
    if (sodium_init() < 0)
        return eip_error_set(err, EIP_ERR_CRYPTO, "libsodium initialisation failed");
    crypto_generichash_init(&st, NULL, 0, EIP_ADVPARAMS_HASH_BYTES);
    crypto_generichash_update(&st, (const unsigned char *)domain, sizeof domain);
    const float *blocks[2] = {eip_nn_params(net, NULL), eip_nn_buffers(net, NULL)};
    const int64_t *counters = eip_nn_counters(net, NULL);
    unsigned char chunk[4096];
    for (int64_t ti = 0; ti < eip_nn_tensor_count(net); ti++) {
        const eip_nn_tensor *t = eip_nn_tensor_at(net, ti);
        size_t nl = strlen(t->name);
        unsigned char hdr[4 + 4 + 4 + 8 * 4 + 8];
        memset(hdr, 0, sizeof hdr);
        eip_le_put_u32(hdr, (uint32_t)nl);
        eip_le_put_u32(hdr + 4, (uint32_t)t->kind);
        eip_le_put_u32(hdr + 8, (uint32_t)t->ndim);
        for (int d = 0; d < t->ndim && d < 4; d++)
            eip_le_put_u64(hdr + 12 + 8 * d, (uint64_t)t->shape[d]);
        eip_le_put_u64(hdr + 44, (uint64_t)t->count);
        crypto_generichash_update(&st, hdr, sizeof hdr);
        crypto_generichash_update(&st, (const unsigned char *)t->name, nl);
        size_t used = 0;
        for (int64_t i = 0; i < t->count; i++) {
            if (t->kind == EIP_NN_TENSOR_COUNTER) {
                eip_le_put_u64(chunk + used, (uint64_t)counters[t->offset + i]);
                used += 8;
            } else {
                uint32_t b;
                memcpy(&b, &blocks[t->kind][t->offset + i], 4);
                eip_le_put_u32(chunk + used, b);
                used += 4;
            }
            if (used + 8 > sizeof chunk) {
                crypto_generichash_update(&st, chunk, used);
                used = 0;
            }
        }
        crypto_generichash_update(&st, chunk, used);
    }
    crypto_generichash_final(&st, out, EIP_ADVPARAMS_HASH_BYTES);
    return EIP_OK;
}
