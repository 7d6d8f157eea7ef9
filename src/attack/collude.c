/* Collusion of licensees (issue 17 item 4; paper section 4.5 (3) leaves it
 * out of scope): two or more licensee keys -> t (eip_crypto_collude) -> a key
 * for a fresh b that decrypts like every licensee's and belongs to no one.
 * Works on crypto keys only (no model, no keyring). */
#include <stdlib.h>
#include <string.h>

#include "encryip/attack.h"

eip_status eip_attack_collude(const eip_crypto_pk_t *pk, const eip_crypto_sk_t *const *keys,
                              int64_t n, eip_crypto_rng_t *rng, eip_crypto_sk_t **forged,
                              eip_attack_collude_report *rep, eip_error *err)
{
    *forged = NULL;
    memset(rep, 0, sizeof *rep);
    eip_crypto_master_t *m = NULL;
    eip_crypto_sk_t *sk = NULL;
    eip_status s = eip_crypto_collude(pk, keys, n, &m, &rep->crypto, err);
    if (s)
        return s;
    if ((s = eip_crypto_issue(m, pk, rng, &sk, err)))
        goto done;
    /* Self-check: a fresh honest encryption of every label decrypts to it. */
    const int32_t z = eip_crypto_pk_classes(pk);
    for (int32_t y = 0; y < z; y++) {
        eip_crypto_ct c;
        int32_t got;
        if ((s = eip_crypto_enc(pk, y, rng, &c, err)) ||
            (s = eip_crypto_dec_label(sk, &c, &got, err)))
            goto done;
        rep->labels_ok += got == y;
    }
    rep->labels = z;
    for (int64_t i = 0; i < n; i++)
        rep->equals_colluder += eip_crypto_sk_equal(sk, keys[i]) != 0;
    *forged = sk;
    sk = NULL;
done:
    eip_crypto_sk_free(sk);
    eip_crypto_master_free(m);
    return s;
}
