/* Transfer function Φ (eq. 2) and its inverse Φ^-1 (eq. 3).
 *
 * Paper group: Φ(c) = I(u1) || I(u2) || I(u3), three one-hot blocks of q
 * floats; element e (1..q-1) is position e of its block, position 0 (no
 * element) is never hot.  Φ^-1:
 *   - EIP_CRYPTO_PHI_ARGMAX: eq. (3) read per block — the arg-max position of
 *     each block (over 1..q-1) is u_k.  Any triple can come out, including
 *     one that is no codeword (then Dec gives a random element).
 *   - EIP_CRYPTO_PHI_ML (default): the model was trained on the codewords
 *     only, so decode to the codeword c maximising
 *     log p(u1) + log p(u2) + log p(u3), each block's log-softmax (logits) or
 *     log (probabilities): the maximum-likelihood codeword if the blocks are
 *     independent.
 * ristretto255: a one-hot over the codebook slots; both decoders are the
 * arg-max slot (the log-softmax is monotone). */
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"
#include "util/io.h"

static eip_status cb_check(const eip_crypto_pk_t *pk, const eip_crypto_codebook_t *cb, eip_error *err)
{
    if (memcmp(eip_crypto_codebook_pk_id(cb), pk->id, EIP_CRYPTO_PKID_BYTES))
        return eip_error_set(err, EIP_ERR_CRYPTO, "Φ: the codebook belongs to another public key");
    return EIP_OK;
}

int64_t eip_crypto_phi_dim(const eip_crypto_pk_t *pk, const eip_crypto_codebook_t *cb)
{
    if (pk->grp.ops->id == EIP_CRYPTO_GROUP_PAPER)
        return 3 * (int64_t)pk->grp.q;
    return cb ? eip_crypto_codebook_size(cb) : 0;
}

eip_status eip_crypto_phi(const eip_crypto_pk_t *pk, const eip_crypto_codebook_t *cb,
                          const eip_crypto_ct *c, float *out, eip_error *err)
{
    const eip_group *g = &pk->grp;
    eip_status s = eip_crypto_pk_ct_check(pk, c, err);
    if (s)
        return s;
    if (g->ops->id == EIP_CRYPTO_GROUP_PAPER) {
        memset(out, 0, 3 * (size_t)g->q * sizeof *out);
        for (int k = 0; k < 3; k++)
            out[(size_t)k * g->q + eip_paper_get(&c->u[k])] = 1.0f; /* eq. (2) */
        return EIP_OK;
    }
    if (!cb)
        return eip_error_set(err, EIP_ERR_ARG, "Φ: ristretto255 needs a codebook (one-hot over its slots)");
    if ((s = cb_check(pk, cb, err)))
        return s;
    int64_t slot = eip_crypto_codebook_find(cb, c);
    if (slot < 0)
        return eip_error_set(err, EIP_ERR_NOT_FOUND,
                             "Φ: ciphertext is not in the codebook (%lld slots); a ristretto255 model "
                             "can only output codewords",
                             (long long)eip_crypto_codebook_size(cb));
    memset(out, 0, (size_t)eip_crypto_codebook_size(cb) * sizeof *out);
    out[slot] = 1.0f;
    return EIP_OK;
}

/* Log-probabilities of one block y [len] into lp [len]. */
static void block_logp(const float *y, size_t len, int is_logits, double *lp)
{
    if (is_logits) {
        double mx = -INFINITY, sum = 0;
        for (size_t i = 0; i < len; i++)
            mx = y[i] > mx ? y[i] : mx;
        for (size_t i = 0; i < len; i++)
            sum += exp((double)y[i] - mx);
        double lse = mx + log(sum);
        for (size_t i = 0; i < len; i++)
            lp[i] = (double)y[i] - lse;
    } else {
        for (size_t i = 0; i < len; i++)
            lp[i] = log(y[i] > 1e-30f ? (double)y[i] : 1e-30);
    }
}

eip_status eip_crypto_phi_inv(const eip_crypto_pk_t *pk, const eip_crypto_codebook_t *cb,
                              const float *y, int y_is_logits, eip_crypto_phi_decoder dec,
                              eip_crypto_ct *c, int64_t *slot, eip_error *err)
{
    const eip_group *g = &pk->grp;
    *slot = -1;
    if (dec != EIP_CRYPTO_PHI_ML && dec != EIP_CRYPTO_PHI_ARGMAX)
        return eip_error_set(err, EIP_ERR_ARG, "Φ^-1: unknown decoder %d", (int)dec);
    eip_status s;
    if (cb && (s = cb_check(pk, cb, err)))
        return s;
    int64_t dim = eip_crypto_phi_dim(pk, cb);
    if (dim <= 0)
        return eip_error_set(err, EIP_ERR_ARG, "Φ^-1: ristretto255 needs a non-empty codebook");
    for (int64_t i = 0; i < dim; i++)
        if (isnan(y[i]))
            return eip_error_set(err, EIP_ERR_ARG, "Φ^-1: model output %lld is NaN", (long long)i);

    if (g->ops->id != EIP_CRYPTO_GROUP_PAPER) { /* arg-max slot = ML slot */
        int64_t best = 0;
        for (int64_t i = 1; i < dim; i++)
            if (y[i] > y[best])
                best = i;
        *c = *eip_crypto_codebook_ct(cb, best);
        *slot = best;
        return EIP_OK;
    }

    size_t q = g->q;
    if (dec == EIP_CRYPTO_PHI_ARGMAX) {
        for (int k = 0; k < 3; k++) {
            const float *b = y + (size_t)k * q;
            uint32_t best = 1;
            for (uint32_t e = 2; e < q; e++)
                if (b[e] > b[best])
                    best = e;
            eip_paper_set(&c->u[k], best);
        }
        *slot = cb ? eip_crypto_codebook_find(cb, c) : -1;
        return EIP_OK;
    }
    if (!cb || eip_crypto_codebook_size(cb) == 0)
        return eip_error_set(err, EIP_ERR_ARG,
                             "Φ^-1: maximum-likelihood decoding needs a non-empty codebook "
                             "(or use the arg-max decoder)");
    double *lp = malloc(3 * q * sizeof *lp);
    if (!lp)
        return eip_error_set(err, EIP_ERR_NOMEM, "Φ^-1: out of memory");
    for (int k = 0; k < 3; k++)
        block_logp(y + (size_t)k * q, q, y_is_logits, lp + (size_t)k * q);
    int64_t best = -1;
    double best_score = -INFINITY;
    for (int64_t i = 0; i < eip_crypto_codebook_size(cb); i++) {
        const eip_crypto_ct *w = eip_crypto_codebook_ct(cb, i);
        double sc = 0;
        for (int k = 0; k < 3; k++)
            sc += lp[(size_t)k * q + eip_paper_get(&w->u[k])];
        if (best < 0 || sc > best_score) {
            best = i;
            best_score = sc;
        }
    }
    free(lp);
    *c = *eip_crypto_codebook_ct(cb, best);
    *slot = best;
    return EIP_OK;
}

/* ---- soft-label matrix: header | pk_id | u64 rows | u64 cols | f32 LE | sum */

#define SOFT_FIXED (EIP_FMT_HEAD_BYTES + EIP_CRYPTO_PKID_BYTES + 16)

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

eip_status eip_crypto_soft_save(const eip_crypto_pk_t *pk, const float *m, int64_t rows,
                                int64_t cols, const char *path, eip_error *err)
{
    if (rows < 0 || cols < 1 || (uint64_t)rows > (EIP_FMT_MAX_FILE_BYTES - SOFT_FIXED) / 4 / (uint64_t)cols)
        return eip_error_set(err, EIP_ERR_RANGE, "%s: soft-label matrix %lld x %lld too large", path,
                             (long long)rows, (long long)cols);
    size_t len = SOFT_FIXED + (size_t)rows * (size_t)cols * 4 + EIP_CRYPTO_CHECKSUM_BYTES;
    unsigned char *buf = calloc(1, len);
    if (!buf)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    eip_fmt_head_put(buf, "EISL", &pk->grp);
    memcpy(buf + 16, pk->id, EIP_CRYPTO_PKID_BYTES);
    eip_le_put_u64(buf + 32, (uint64_t)rows);
    eip_le_put_u64(buf + 40, (uint64_t)cols);
    for (size_t i = 0; i < (size_t)rows * (size_t)cols; i++)
        eip_le_put_u32(buf + SOFT_FIXED + 4 * i, f32_bits(m[i]));
    eip_fmt_sum_put(buf, len);
    eip_status s = eip_io_write_atomic(path, buf, len, EIP_IO_MODE_PUBLIC, err);
    free(buf);
    return s;
}

eip_status eip_crypto_soft_from_bytes(const unsigned char *buf, size_t len, const char *name,
                                      float **m, int64_t *rows, int64_t *cols, eip_error *err)
{
    *m = NULL;
    *rows = *cols = 0;
    eip_fmt_head h;
    eip_status s;
    if ((s = eip_fmt_head_parse(buf, len, name, "EISL", &h, err)))
        return s;
    if (len < SOFT_FIXED + EIP_CRYPTO_CHECKSUM_BYTES)
        return eip_fmt_size_check(len, SOFT_FIXED + EIP_CRYPTO_CHECKSUM_BYTES, name, "soft-label", err);
    uint64_t r = eip_le_get_u64(buf + 32), c = eip_le_get_u64(buf + 40);
    size_t room = (len - SOFT_FIXED - EIP_CRYPTO_CHECKSUM_BYTES) / 4;
    if (c < 1 || c > room + 1 || (r && r > room / c))
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: soft-label matrix %llu x %llu does not fit in %zu bytes", name,
                             (unsigned long long)r, (unsigned long long)c, len);
    if ((s = eip_fmt_size_check(len, SOFT_FIXED + (size_t)(r * c) * 4 + 16, name, "soft-label", err)) ||
        (s = eip_fmt_sum_check(buf, len, name, err)))
        return s;
    eip_group g;
    if ((s = eip_fmt_group(&h, name, &g, err)))
        return s;
    bool cols_ok = g.ops->id != EIP_CRYPTO_GROUP_PAPER || c == 3 * (uint64_t)g.q;
    eip_group_free(&g);
    if (!cols_ok)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: %llu columns, the paper group with q=%u has 3q=%llu",
                             name, (unsigned long long)c, h.q, 3ull * h.q);
    float *out = malloc(r * c > 0 ? r * c * sizeof *out : 1);
    if (!out)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
    for (size_t i = 0; i < r * c; i++) {
        out[i] = bits_f32(eip_le_get_u32(buf + SOFT_FIXED + 4 * i));
        if (!isfinite(out[i])) {
            free(out);
            return eip_error_set(err, EIP_ERR_FORMAT, "%s: value %zu is not finite", name, i);
        }
    }
    *m = out;
    *rows = (int64_t)r;
    *cols = (int64_t)c;
    return EIP_OK;
}
