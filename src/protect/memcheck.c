/* Memorisation check after Algorithm 1 (docs/PROTECT.md "Memorisation
 * rule"): a protected model whose verification instances were not
 * memorised cannot be traced (section 4.4 needs the leaked model to
 * reproduce Dec(sk_k, c̄_i)), so the owner must learn it at protect time,
 * not when a leak is found. */
#include <stdlib.h>
#include <string.h>

#include "encryip/protect.h"

eip_status eip_protect_memorisation_check(const eip_protect_result *r, int32_t classes,
                                          eip_protect_memcheck *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    const int64_t v = r->verif.n, p = r->licensees, k = r->k;
    if (!r->net || !r->pk || !r->codebook || v < 1 || p < 1 || k < 1 || classes < 2)
        return eip_error_set(err, EIP_ERR_ARG, "memorisation check: incomplete protect result "
                             "(%lld instances, %lld licensees, %d classes)", (long long)v, (long long)p,
                             (int)classes);
    eip_protect_model_t *m = NULL;
    float *y = malloc((size_t)v * (size_t)k * sizeof *y); /* [V, K] */
    unsigned char *hit = calloc((size_t)v, 1);             /* [V] */
    eip_status s = (!y || !hit) ? eip_error_set(err, EIP_ERR_NOMEM, "memorisation check: out of memory")
                                : eip_protect_model_from_result(r, &m, err);
    if (!s)
        s = eip_protect_forward(m, r->verif.images.pixels, v, y, err);
    int64_t all = 0;
    for (int64_t i = 0; i < v && !s; i++) {
        eip_crypto_ct c;
        int64_t slot;
        s = eip_crypto_phi_inv(r->pk, r->codebook, y + i * k, 1, EIP_CRYPTO_PHI_ML, &c, &slot, err);
        if (!s)
            all += hit[i] = !memcmp(&c, &r->verif.ct[i], sizeof c);
    }
    if (!s) {
        out->ok = 1;
        out->rate = (double)all / (double)v;
        double worst = 3.0; /* rank: failing before passing, then lowest hit/total */
        for (int64_t j = 1; j <= p; j++) {
            int64_t h = 0, t = 0;
            for (int64_t i = 0; i < v; i++)
                if (r->verif.kind[i] == EIP_KEYRING_VERIF_FAKE || r->verif.licensee[i] == j) {
                    t++;
                    h += hit[i];
                }
            const double pv = eip_protect_binom_tail(t, h, 1.0 / (double)classes);
            const int pass = t > 0 && (double)h >= EIP_PROTECT_TRACE_MIN_RATE * (double)t &&
                             pv < EIP_PROTECT_TRACE_PVALUE;
            out->failing += !pass;
            out->ok &= pass;
            const double rank = (t ? (double)h / (double)t : 0.0) + (pass ? 1.5 : 0.0);
            if (rank < worst) {
                worst = rank;
                out->worst = j;
                out->worst_hit = h;
                out->worst_total = t;
                out->worst_pvalue = pv;
            }
        }
    }
    eip_protect_model_free(m);
    free(y);
    free(hit);
    return s;
}
