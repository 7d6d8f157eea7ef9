/* Group set-up shared by both groups: parameter validation, the paper group's
 * prime q and primitive root, the ristretto255 label table. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"

const char *eip_crypto_group_name(eip_crypto_group_id g)
{
    switch (g) {
    case EIP_CRYPTO_GROUP_PAPER: return "paper";
    case EIP_CRYPTO_GROUP_RISTRETTO255: return "ristretto255";
    }
    return "unknown";
}

eip_status eip_crypto_group_parse(const char *name, eip_crypto_group_id *out, eip_error *err)
{
    if (name && !strcmp(name, "paper")) {
        *out = EIP_CRYPTO_GROUP_PAPER;
        return EIP_OK;
    }
    if (name && !strcmp(name, "ristretto255")) {
        *out = EIP_CRYPTO_GROUP_RISTRETTO255;
        return EIP_OK;
    }
    return eip_error_set(err, EIP_ERR_ARG, "--group: unknown group '%s' (use paper or ristretto255)",
                         name ? name : "");
}

int64_t eip_crypto_paper_default_q(int64_t classes)
{
    int64_t q = classes + 1;
    while (!eip_paper_is_prime((uint64_t)q))
        q++;
    return q;
}

/* `name` prefixes messages (file path or "--q"); bad parameters return
 * EIP_ERR_RANGE (callers reading files re-map to EIP_ERR_FORMAT). */
eip_status eip_group_init(eip_group *g, eip_crypto_group_id id, int64_t z, int64_t q,
                          const char *name, eip_error *err)
{
    memset(g, 0, sizeof *g);
    if (z < 2 || z > EIP_CRYPTO_MAX_CLASSES)
        return eip_error_set(err, EIP_ERR_RANGE, "%s: number of classes %lld out of range 2..%d", name,
                             (long long)z, EIP_CRYPTO_MAX_CLASSES);
    g->z = (int32_t)z;
    if (id == EIP_CRYPTO_GROUP_PAPER) {
        if (q == 0)
            q = eip_crypto_paper_default_q(z);
        if (q <= z)
            return eip_error_set(err, EIP_ERR_RANGE,
                                 "%s: q=%lld must be greater than the number of classes z=%lld "
                                 "(labels are the elements 1..z of Z_q^*)",
                                 name, (long long)q, (long long)z);
        if (q > (int64_t)EIP_CRYPTO_MAX_PAPER_Q)
            return eip_error_set(err, EIP_ERR_RANGE, "%s: q=%lld too large (at most %u)", name,
                                 (long long)q, EIP_CRYPTO_MAX_PAPER_Q);
        if (!eip_paper_is_prime((uint64_t)q))
            return eip_error_set(err, EIP_ERR_RANGE, "%s: q=%lld is not prime (next prime: %lld)",
                                 name, (long long)q, (long long)eip_crypto_paper_default_q(q));
        g->ops = &eip_group_paper_ops;
        g->q = (uint32_t)q;
        g->n = (uint32_t)q - 1;
        g->g1 = eip_paper_primitive_root(g->q);
        return EIP_OK;
    }
    if (id == EIP_CRYPTO_GROUP_RISTRETTO255) {
        if (q != 0)
            return eip_error_set(err, EIP_ERR_RANGE,
                                 "%s: q=%lld given, but ristretto255 has a fixed prime order "
                                 "(--q is for the paper group only)",
                                 name, (long long)q);
        g->ops = &eip_group_ristretto_ops;
        eip_status s = eip_ristretto_labels_init(g, err);
        if (s)
            eip_group_free(g);
        return s;
    }
    return eip_error_set(err, EIP_ERR_RANGE, "%s: unknown group id %d", name, (int)id);
}

eip_status eip_group_copy(eip_group *dst, const eip_group *src, eip_error *err)
{
    *dst = *src;
    dst->labels = NULL;
    dst->label_pos = NULL;
    if (src->labels) {
        size_t bytes = (size_t)src->z * sizeof *src->labels;
        size_t pbytes = (size_t)src->z * sizeof *src->label_pos;
        dst->labels = malloc(bytes);
        dst->label_pos = malloc(pbytes);
        if (!dst->labels || !dst->label_pos) {
            eip_group_free(dst);
            return eip_error_set(err, EIP_ERR_NOMEM, "label table: out of memory");
        }
        memcpy(dst->labels, src->labels, bytes);
        memcpy(dst->label_pos, src->label_pos, pbytes);
    }
    return EIP_OK;
}

void eip_group_free(eip_group *g)
{
    if (!g)
        return;
    free(g->labels);
    free(g->label_pos);
    g->labels = NULL;
    g->label_pos = NULL;
}

bool eip_group_same(const eip_group *a, const eip_group *b)
{
    return a->ops == b->ops && a->z == b->z && a->q == b->q;
}

bool eip_group_ct_valid(const eip_group *g, const eip_crypto_ct *c)
{
    return g->ops->elem_valid(g, &c->u[0]) && g->ops->elem_valid(g, &c->u[1]) &&
           g->ops->elem_valid(g, &c->u[2]);
}
