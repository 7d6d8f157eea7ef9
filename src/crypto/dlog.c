/* The discrete-log attack on the paper group: with only the public key,
 * recover r from u1 = g1^r by baby-step giant-step (O(sqrt(q)) per
 * ciphertext; q = 11 makes it a handful of multiplications), then the message
 * m = u3 / h^r and its label.  This is why the paper group gives no
 * confidentiality at all.  ristretto255 is refused: its order L ~ 2^252 puts
 * generic discrete logs at ~2^126 group operations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"

typedef struct baby {
    uint32_t value;
    uint32_t j;
} baby;

static int cmp_baby(const void *a, const void *b)
{
    uint32_t x = ((const baby *)a)->value, y = ((const baby *)b)->value;
    return x < y ? -1 : x > y;
}

eip_status eip_crypto_attack_dlog(const eip_crypto_pk_t *pk, const eip_crypto_ct *c, int64_t n,
                                  int32_t *labels, eip_error *err)
{
    const eip_group *g = &pk->grp;
    if (g->ops->id != EIP_CRYPTO_GROUP_PAPER)
        return eip_error_set(err, EIP_ERR_INFEASIBLE,
                             "infeasible: ristretto255 has prime order L ~ 2^252, so a "
                             "generic discrete log (baby-step giant-step, Pollard rho) needs ~2^126 "
                             "group operations; only the paper group is breakable");
    for (int64_t i = 0; i < n; i++)
        if (!eip_group_ct_valid(g, &c[i]))
            return eip_error_set(err, EIP_ERR_CRYPTO,
                                 "attack dlog: ciphertext %lld has an element outside Z_%u^*",
                                 (long long)i, g->q);
    uint32_t q = g->q, order = g->n;
    uint32_t m = (uint32_t)ceil(sqrt((double)order));
    baby *table = malloc((size_t)m * sizeof *table);
    if (!table)
        return eip_error_set(err, EIP_ERR_NOMEM, "attack dlog: out of memory");
    uint64_t v = 1;
    for (uint32_t j = 0; j < m; j++) { /* baby steps g1^j */
        table[j].value = (uint32_t)v;
        table[j].j = j;
        v = v * g->g1 % q;
    }
    qsort(table, m, sizeof *table, cmp_baby);
    /* giant step factor g1^{-m} = g1^{order - m mod order} */
    uint32_t giant = eip_paper_powmod(g->g1, (uint64_t)(order - m % order) % order, q);
    uint32_t h = eip_paper_get(&pk->h);
    for (int64_t i = 0; i < n; i++) {
        uint64_t gamma = eip_paper_get(&c[i].u[0]);
        int64_t r = -1;
        for (uint32_t k = 0; k <= m && r < 0; k++) {
            baby key = {(uint32_t)gamma, 0};
            const baby *hit = bsearch(&key, table, m, sizeof *table, cmp_baby);
            if (hit)
                r = ((int64_t)k * m + hit->j) % order;
            gamma = gamma * giant % q;
        }
        if (r < 0) { /* g1 generates Z_q^*, so this cannot happen */
            free(table);
            return eip_error_set(err, EIP_ERR_CRYPTO, "attack dlog: no discrete log for ciphertext %lld",
                                 (long long)i);
        }
        uint32_t hr = eip_paper_powmod(h, (uint64_t)r, q);
        uint32_t inv = eip_paper_powmod(hr, q - 2, q);
        eip_crypto_elem msg;
        eip_paper_set(&msg, (uint32_t)((uint64_t)eip_paper_get(&c[i].u[2]) * inv % q));
        labels[i] = g->ops->elem_label(g, &msg); /* m = u3 / h^r */
    }
    free(table);
    return EIP_OK;
}
