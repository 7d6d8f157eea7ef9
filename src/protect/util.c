/* Small helpers of the protect module: hashes (BLAKE2b, libsodium), deep
 * copies of crypto objects, image files for predict/trace, tree removal. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protect/internal.h"
#include "util/io.h"

void eip_protect_hash_hex(const unsigned char *buf, size_t len, char out[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, buf, len, NULL, 0);
    sodium_bin2hex(out, 65, h, sizeof h);
}

eip_status eip_protect_file_hash(const char *path, char out[65], eip_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_status s = eip_io_read_file(path, (size_t)1 << 34, &buf, &len, err);
    if (s)
        return s;
    eip_protect_hash_hex(buf, len, out);
    free(buf);
    return EIP_OK;
}

eip_status eip_protect_pk_clone(const eip_crypto_pk_t *pk, eip_crypto_pk_t **out, eip_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_status s = eip_crypto_pk_to_bytes(pk, &buf, &len, err);
    if (s)
        return s;
    s = eip_crypto_pk_from_bytes(buf, len, "public key", out, err);
    free(buf);
    return s;
}

eip_status eip_protect_codebook_clone(const eip_crypto_pk_t *pk, const eip_crypto_codebook_t *cb,
                                      int unlabel, eip_crypto_codebook_t **out, eip_error *err)
{
    *out = NULL;
    eip_crypto_codebook_t *c = NULL;
    eip_status s = eip_crypto_codebook_new(pk, &c, err);
    for (int64_t i = 0; !s && i < eip_crypto_codebook_size(cb); i++)
        s = eip_crypto_codebook_add(c, eip_crypto_codebook_ct(cb, i),
                                    unlabel ? EIP_CRYPTO_NOT_A_LABEL : eip_crypto_codebook_label(cb, i),
                                    NULL, err);
    if (s) {
        eip_crypto_codebook_free(c);
        return s;
    }
    *out = c;
    return EIP_OK;
}

/* ---- image files ---------------------------------------------------------- */

#define IMG_MAX_BYTES ((size_t)1 << 31)

eip_status eip_protect_images_load(const char *path, eip_data_set *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_status s = eip_io_read_file_gz(path, IMG_MAX_BYTES, &buf, &len, err);
    if (s)
        return s;
    if (len < 4 || buf[0] || buf[1] || buf[2] != 0x08 || (buf[3] != 3 && buf[3] != 4)) {
        free(buf);
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: not an idx3/idx4 ubyte image file (magic 0x00000803 or 0x00000804)",
                             path);
    }
    const int nd = buf[3];
    uint32_t d[4] = {0, 1, 0, 0};
    if (len < 4 + 4 * (size_t)nd) {
        free(buf);
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: truncated idx header", path);
    }
    for (int i = 0; i < nd; i++) {
        const unsigned char *p = buf + 4 + 4 * i;
        uint32_t v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
        d[nd == 3 && i > 0 ? i + 1 : i] = v; /* idx3: [N, H, W] -> C = 1 */
    }
    const uint64_t n = d[0], c = d[1], h = d[2], w = d[3];
    const size_t off = 4 + 4 * (size_t)nd;
    if (c < 1 || c > EIP_DATA_MAX_CHANNELS || h < 1 || h > EIP_DATA_MAX_DIM || w < 1 ||
        w > EIP_DATA_MAX_DIM || n > (uint64_t)EIP_DATA_MAX_IMAGES ||
        (len - off) / (c * h * w) < n || (len - off) != n * c * h * w) {
        free(buf);
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: header says %llu images of %llux%llux%llu but the file holds %zu "
                             "pixel bytes",
                             path, (unsigned long long)n, (unsigned long long)c,
                             (unsigned long long)h, (unsigned long long)w, len - off);
    }
    if ((s = eip_data_set_init(out, "input", (int64_t)n, (int32_t)c, (int32_t)h, (int32_t)w, 1, err))) {
        free(buf);
        return s;
    }
    snprintf(out->name, sizeof out->name, "%s", path);
    if (n)
        memcpy(out->pixels, buf + off, (size_t)(n * c * h * w));
    free(buf);
    return EIP_OK;
}

eip_status eip_protect_images_save(const eip_data_set *ds, const char *path, eip_error *err)
{
    const int nd = ds->c == 1 ? 3 : 4;
    const uint32_t dims[4] = {(uint32_t)ds->n, (uint32_t)ds->c, (uint32_t)ds->h, (uint32_t)ds->w};
    unsigned char head[20] = {0, 0, 0x08, (unsigned char)nd};
    for (int i = 0, o = 4; i < 4; i++) {
        if (nd == 3 && i == 1)
            continue;
        head[o] = (unsigned char)(dims[i] >> 24);
        head[o + 1] = (unsigned char)(dims[i] >> 16);
        head[o + 2] = (unsigned char)(dims[i] >> 8);
        head[o + 3] = (unsigned char)dims[i];
        o += 4;
    }
    eip_io_atomic w;
    eip_status s = eip_io_atomic_open(&w, path, EIP_IO_MODE_PUBLIC, err);
    if (s)
        return s;
    if ((s = eip_io_atomic_write(&w, head, 4 + 4 * (size_t)nd, err)) ||
        (s = eip_io_atomic_write(&w, ds->pixels, (size_t)ds->n * eip_data_set_image_bytes(ds), err))) {
        eip_io_atomic_abort(&w);
        return s;
    }
    return eip_io_atomic_commit(&w, err);
}

/* ---- rm -r ------------------------------------------------------------------ */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p) ? 0 : 0; /* best effort: keep going */
}

void eip_protect_rmtree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
