/* ristretto255 fast path on libdecaf (Debian libdecaf-dev): fixed-base comb
 * tables for g1, g2 and h (built once per public key), a double-scalar
 * multiplication for Dec (u1^a u2^b), and points kept in decaf's internal
 * extended coordinates from decode to encode, so each CS_lite operation
 * decodes every input once and encodes every output once (libsodium's
 * crypto_core_ristretto255_* decode and re-encode on every call).
 *
 * Same group, same bytes: decaf_255 is ristretto255 (same encoding, same base
 * point, same from_hash); tests/crypto/test_decaf_compat.c checks it against
 * libsodium on random points, scalars and byte strings, and that every CS_lite
 * operation gives the same bytes on both paths.
 *
 * Constant time on secrets: decaf_255_precomputed_scalarmul (comb with
 * constant-time table lookups), decaf_255_point_double_scalarmul (fixed
 * 5-bit windows, constant-time lookups) and point add/sub/encode run in time
 * independent of the scalars.  decaf_255_base_double_scalarmul_non_secret is
 * variable time and is not used.  The only branch is on whether a public
 * input decodes. */
#include <decaf/point_255.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"

struct eip_rfast {
    decaf_255_precomputed_s *tab[3]; /* g1, g2, h */
};

/* libsodium 1.0.18's crypto_core_ristretto255_is_valid_point ignores bit 255
 * of an encoding (its field decoding drops it) where decaf rejects it.
 * Clearing it first makes the accepted set exactly the one the wire already
 * accepts (checked on random strings by test_decaf_compat). */
static bool pt_decode(decaf_255_point_t p, const eip_crypto_elem *e)
{
    unsigned char b[32];
    memcpy(b, e->b, 32);
    b[31] &= 0x7f;
    return decaf_255_point_decode(p, b, DECAF_TRUE) == DECAF_SUCCESS;
}

/* Our scalars are canonical (< L), so decoding never reduces; a reduced one
 * would still give the same point (the group has prime order L). */
static void sc_decode(decaf_255_scalar_t s, const eip_scalar *x)
{
    decaf_error_t ok = decaf_255_scalar_decode(s, x->b);
    (void)ok;
}

static void tab_free(decaf_255_precomputed_s *t)
{
    if (!t)
        return;
    decaf_255_precomputed_destroy(t);
    free(t);
}

eip_status eip_rfast_new(const eip_crypto_pk_t *pk, eip_rfast **out, eip_error *err)
{
    *out = NULL;
    eip_rfast *f = calloc(1, sizeof *f);
    if (!f)
        return eip_error_set(err, EIP_ERR_NOMEM, "ristretto255 tables: out of memory");
    const size_t al = decaf_255_alignof_precomputed_s < sizeof(void *) ? sizeof(void *)
                                                                       : decaf_255_alignof_precomputed_s;
    const size_t bytes = (decaf_255_sizeof_precomputed_s + al - 1) / al * al;
    const eip_crypto_elem *base[3] = {&pk->g1, &pk->g2, &pk->h};
    for (int i = 0; i < 3; i++) {
        decaf_255_point_t p;
        f->tab[i] = aligned_alloc(al, bytes);
        if (!f->tab[i]) {
            eip_rfast_free(f);
            return eip_error_set(err, EIP_ERR_NOMEM, "ristretto255 tables: out of memory");
        }
        if (!pt_decode(p, base[i])) { /* callers validated pk; never happens */
            eip_rfast_free(f);
            return eip_error_set(err, EIP_ERR_CRYPTO, "public key element %d is not a ristretto255 point", i);
        }
        decaf_255_precompute(f->tab[i], p);
        decaf_255_point_destroy(p);
    }
    *out = f;
    return EIP_OK;
}

void eip_rfast_free(eip_rfast *f)
{
    if (!f)
        return;
    for (int i = 0; i < 3; i++)
        tab_free(f->tab[i]);
    free(f);
}

/* r = base_which^s m (m NULL: the identity); m already validated. */
void eip_rfast_pow_mul(const eip_rfast *f, int which, const eip_scalar *s, const eip_crypto_elem *m,
                       eip_crypto_elem *r)
{
    decaf_255_scalar_t x;
    decaf_255_point_t p, q;
    sc_decode(x, s);
    decaf_255_precomputed_scalarmul(p, f->tab[which], x);
    if (m && pt_decode(q, m))
        decaf_255_point_add(p, p, q);
    decaf_255_point_encode(r->b, p);
    decaf_255_scalar_destroy(x);
    decaf_255_point_destroy(p);
    decaf_255_point_destroy(q);
}

/* SampDist: out_i = base_i^r in_i.  Every input decoded (validated) once,
 * before r is drawn (r == NULL: drawn from rng, as cslite.c's plain path).
 * Returns 0, or 1 + i when element u_{i+1} of `in` is not in the group. */
int eip_rfast_sampdist(const eip_crypto_pk_t *pk, const eip_crypto_ct *in, const eip_scalar *r,
                       eip_crypto_rng_t *rng, eip_crypto_ct *out)
{
    decaf_255_point_t u[3], p;
    for (int i = 0; i < 3; i++)
        if (!pt_decode(u[i], &in->u[i]))
            return i + 1;
    eip_scalar drawn;
    if (!r) {
        pk->grp.ops->sc_random(&pk->grp, rng, &drawn, false);
        r = &drawn;
    }
    decaf_255_scalar_t x;
    sc_decode(x, r);
    for (int i = 0; i < 3; i++) {
        decaf_255_precomputed_scalarmul(p, pk->fast->tab[i], x);
        decaf_255_point_add(p, p, u[i]);
        decaf_255_point_encode(out->u[i].b, p);
    }
    decaf_255_scalar_destroy(x);
    decaf_255_point_destroy(p);
    sodium_memzero(&drawn, sizeof drawn);
    return 0;
}

/* Dec: m = u3 / (u1^a u2^b) with one double-scalar multiplication.  Returns
 * 0, or 1 + i when element u_{i+1} of c is not in the group (nothing else
 * is computed then). */
int eip_rfast_dec(const eip_scalar *a, const eip_scalar *b, const eip_crypto_ct *c, eip_crypto_elem *m)
{
    decaf_255_point_t u[3], x;
    for (int i = 0; i < 3; i++)
        if (!pt_decode(u[i], &c->u[i]))
            return i + 1;
    decaf_255_scalar_t sa, sb;
    sc_decode(sa, a);
    sc_decode(sb, b);
    decaf_255_point_double_scalarmul(x, u[0], sa, u[1], sb);
    decaf_255_point_sub(x, u[2], x);
    decaf_255_point_encode(m->b, x);
    decaf_255_scalar_destroy(sa);
    decaf_255_scalar_destroy(sb);
    decaf_255_point_destroy(x);
    return 0;
}
