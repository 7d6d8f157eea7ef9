/* Verification, "secret key unavailable" (paper section 4.4, eq. (5)).
 *
 * The suspect deployment is queried with the verification images x̄_i and
 * prints one label per image.  For licensee k, instance i is relevant when
 * Dec(sk_k, c̄_i) is a label (paper group: always; ristretto255: only the
 * instances targeted at k), and agrees when the printed label equals it —
 * eq. (5) applied per instance.  A deployment run with sk_k reproduces
 * Dec(sk_k, c̄_i) on the instances the model memorised; any other key gives
 * a different label (Fake: pairwise different under every pair of keys) or
 * no label (targeted).  Chance agreement of an unrelated model is about
 * 1/z per instance, so the decision is a binomial test (constants in
 * protect.h, reasoning in docs/PROTECT.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protect/internal.h"

double eip_protect_binom_tail(int64_t n, int64_t k, double p)
{
    if (k <= 0)
        return 1.0;
    if (k > n)
        return 0.0;
    if (p <= 0)
        return 0.0;
    if (p >= 1)
        return 1.0;
    /* sum_{i=k}^{n} C(n,i) p^i (1-p)^(n-i) in log space */
    double total = 0.0;
    const double lp = log(p), lq = log1p(-p);
    for (int64_t i = k; i <= n; i++) {
        double lc = lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1);
        total += exp(lc + (double)i * lp + (double)(n - i) * lq);
    }
    return total > 1.0 ? 1.0 : total;
}

void eip_protect_trace_result_free(eip_protect_trace_result *t)
{
    if (!t)
        return;
    free(t->id);
    free(t->matched);
    free(t->total);
    free(t->pvalue);
    memset(t, 0, sizeof *t);
}

eip_status eip_protect_trace_score(const int32_t *expected, const int64_t *ids, int64_t p, int64_t v,
                                   int32_t classes, const int32_t *printed,
                                   eip_protect_trace_result *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    if (p < 0 || v < 0 || classes < 2)
        return eip_error_set(err, EIP_ERR_ARG, "trace: %lld licensees, %lld instances, %d classes",
                             (long long)p, (long long)v, (int)classes);
    const size_t np = (size_t)(p > 0 ? p : 1);
    out->id = malloc(np * sizeof *out->id);
    out->matched = calloc(np, sizeof *out->matched);
    out->total = calloc(np, sizeof *out->total);
    out->pvalue = malloc(np * sizeof *out->pvalue);
    if (!out->id || !out->matched || !out->total || !out->pvalue) {
        eip_protect_trace_result_free(out);
        return eip_error_set(err, EIP_ERR_NOMEM, "trace: out of memory");
    }
    out->licensees = p;
    out->queried = v;
    for (int64_t i = 0; i < v; i++)
        out->answered += printed[i] != EIP_CRYPTO_NOT_A_LABEL;
    const double chance = 1.0 / (double)classes;
    int64_t best = -1;
    for (int64_t k = 0; k < p; k++) {
        out->id[k] = ids[k];
        for (int64_t i = 0; i < v; i++) {
            const int32_t e = expected[k * v + i];
            if (e == EIP_CRYPTO_NOT_A_LABEL)
                continue;
            out->total[k]++;
            out->matched[k] += printed[i] == e; /* eq. (5): Dec(sk_k, c̄) = ȳ'_k */
        }
        out->pvalue[k] = eip_protect_binom_tail(out->total[k], out->matched[k], chance);
        if (out->total[k] > 0 &&
            (best < 0 || out->pvalue[k] < out->pvalue[best] ||
             (out->pvalue[k] == out->pvalue[best] && out->matched[k] > out->matched[best])))
            best = k;
    }
    if (best >= 0 && out->pvalue[best] < EIP_PROTECT_TRACE_PVALUE &&
        (double)out->matched[best] >= EIP_PROTECT_TRACE_MIN_RATE * (double)out->total[best])
        out->named = out->id[best];
    return EIP_OK;
}

static eip_status check_verif(const eip_crypto_pk_t *pk, const eip_protect_verif *v, eip_error *err)
{
    (void)pk;
    if (v->n < 0 || v->n > EIP_PROTECT_MAX_VERIF)
        return eip_error_set(err, EIP_ERR_RANGE, "trace: %lld verification instances", (long long)v->n);
    return EIP_OK;
}

eip_status eip_protect_trace_keyring(eip_keyring_t *kr, const eip_protect_verif *v,
                                     const int32_t *printed, eip_protect_trace_result *out,
                                     eip_error *err)
{
    memset(out, 0, sizeof *out);
    const eip_crypto_pk_t *pk = eip_keyring_pk(kr);
    eip_status s = check_verif(pk, v, err);
    if (s)
        return s;
    eip_keyring_licensee *lic = NULL;
    int64_t p = 0;
    if ((s = eip_keyring_licensee_list(kr, &lic, &p, err)))
        return s;
    int64_t *ids = malloc((size_t)(p > 0 ? p : 1) * sizeof *ids);
    int32_t *exp = malloc((size_t)(p > 0 ? p : 1) * (size_t)(v->n > 0 ? v->n : 1) * sizeof *exp);
    if (!ids || !exp) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "trace: out of memory");
        goto done;
    }
    for (int64_t k = 0; k < p; k++)
        ids[k] = lic[k].id;
    for (int64_t i = 0; i < v->n && !s; i++) {
        int64_t *did = NULL, dn = 0;
        eip_crypto_elem *dec = NULL;
        /* ȳ'_k = Dec(sk_k, c̄_i) for every licensee, recomputed from the keys */
        if ((s = eip_keyring_decryptions(kr, &v->ct[i], &did, &dec, &dn, err))) {
            eip_error_prefix(err, "verification instance %lld: ", (long long)i);
            break;
        }
        for (int64_t k = 0; k < p; k++) {
            exp[k * v->n + i] = EIP_CRYPTO_NOT_A_LABEL;
            for (int64_t d = 0; d < dn; d++)
                if (did[d] == ids[k])
                    exp[k * v->n + i] = eip_crypto_pk_elem_label(pk, &dec[d]);
        }
        free(did);
        free(dec);
    }
    if (!s)
        s = eip_protect_trace_score(exp, ids, p, v->n, eip_crypto_pk_classes(pk), printed, out, err);
done:
    free(lic);
    free(ids);
    free(exp);
    return s;
}

eip_status eip_protect_trace_keys(eip_crypto_sk_t *const *sk, int64_t p, const eip_protect_verif *v,
                                  const int32_t *printed, eip_protect_trace_result *out,
                                  eip_error *err)
{
    memset(out, 0, sizeof *out);
    if (p < 1)
        return eip_error_set(err, EIP_ERR_ARG, "trace: no licensee keys");
    eip_status s = check_verif(NULL, v, err);
    if (s)
        return s;
    int64_t *ids = malloc((size_t)p * sizeof *ids);
    int32_t *exp = malloc((size_t)p * (size_t)(v->n > 0 ? v->n : 1) * sizeof *exp);
    if (!ids || !exp) {
        free(ids);
        free(exp);
        return eip_error_set(err, EIP_ERR_NOMEM, "trace: out of memory");
    }
    for (int64_t k = 0; k < p; k++) {
        ids[k] = eip_crypto_sk_index(sk[k]);
        for (int64_t i = 0; i < v->n; i++)
            if (eip_crypto_dec_label(sk[k], &v->ct[i], &exp[k * v->n + i], NULL) != EIP_OK)
                exp[k * v->n + i] = EIP_CRYPTO_NOT_A_LABEL;
    }
    s = eip_protect_trace_score(exp, ids, p, v->n, eip_crypto_sk_classes(sk[0]), printed, out, err);
    free(ids);
    free(exp);
    return s;
}
