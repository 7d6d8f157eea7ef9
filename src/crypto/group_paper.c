/* The paper group: the multiplicative group Z_q^* (order q-1, cyclic), as
 * used in the paper's experiments with q the smallest prime > z (section
 * 4.2 footnote 2).  Elements are the integers 1..q-1, exponents live in
 * Z_{q-1}, g1 is the smallest primitive root mod q, label y is the element
 * y+1.  It offers NO security: the whole group has q-1 elements, so a
 * discrete log is a table lookup (dlog.c shows it). */
#include <sodium.h>
#include <string.h>

#include "crypto/internal.h"

uint32_t eip_paper_get(const eip_crypto_elem *e)
{
    return (uint32_t)e->b[0] | (uint32_t)e->b[1] << 8 | (uint32_t)e->b[2] << 16 |
           (uint32_t)e->b[3] << 24;
}

void eip_paper_set(eip_crypto_elem *e, uint32_t v)
{
    memset(e->b, 0, sizeof e->b);
    for (int i = 0; i < 4; i++)
        e->b[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t sc_get_u(const eip_scalar *s)
{
    return (uint32_t)s->b[0] | (uint32_t)s->b[1] << 8 | (uint32_t)s->b[2] << 16 |
           (uint32_t)s->b[3] << 24;
}

static void sc_set_u(eip_scalar *s, uint32_t v)
{
    memset(s->b, 0, sizeof s->b);
    for (int i = 0; i < 4; i++)
        s->b[i] = (unsigned char)(v >> (8 * i));
}

static bool tail_zero(const unsigned char *b) { return sodium_is_zero(b + 4, 28) == 1; }

bool eip_paper_is_prime(uint64_t q)
{
    if (q < 2)
        return false;
    if (q % 2 == 0)
        return q == 2;
    for (uint64_t d = 3; d * d <= q; d += 2)
        if (q % d == 0)
            return false;
    return true;
}

uint32_t eip_paper_powmod(uint32_t b, uint64_t e, uint32_t q)
{
    uint64_t r = 1 % q, x = b % q;
    while (e) {
        if (e & 1)
            r = r * x % q;
        x = x * x % q;
        e >>= 1;
    }
    return (uint32_t)r;
}

/* g generates Z_q^* iff g^((q-1)/p) != 1 for every prime p | q-1. */
bool eip_paper_is_generator(uint32_t g, uint32_t q)
{
    uint32_t n = q - 1, m = n;
    if (g == 0 || g >= q)
        return false;
    for (uint32_t d = 2; (uint64_t)d * d <= m; d++) {
        if (m % d == 0) {
            if (eip_paper_powmod(g, n / d, q) == 1)
                return false;
            while (m % d == 0)
                m /= d;
        }
    }
    return !(m > 1 && eip_paper_powmod(g, n / m, q) == 1);
}

/* g1: the smallest primitive root mod q (fixed, documented). */
uint32_t eip_paper_primitive_root(uint32_t q)
{
    for (uint32_t g = 2; g < q; g++)
        if (eip_paper_is_generator(g, q))
            return g;
    return 1; /* q = 2 only; never reached for q >= 3 */
}

static uint32_t gcd_u32(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static bool p_elem_valid(const eip_group *g, const eip_crypto_elem *e)
{
    uint32_t v = eip_paper_get(e);
    return tail_zero(e->b) && v >= 1 && v < g->q;
}

static void p_mul(const eip_group *g, eip_crypto_elem *r, const eip_crypto_elem *a,
                  const eip_crypto_elem *b)
{
    eip_paper_set(r, (uint32_t)((uint64_t)eip_paper_get(a) * eip_paper_get(b) % g->q));
}

static void p_div(const eip_group *g, eip_crypto_elem *r, const eip_crypto_elem *a,
                  const eip_crypto_elem *b)
{
    uint32_t inv = eip_paper_powmod(eip_paper_get(b), g->q - 2, g->q); /* Fermat */
    eip_paper_set(r, (uint32_t)((uint64_t)eip_paper_get(a) * inv % g->q));
}

static void p_pow(const eip_group *g, eip_crypto_elem *r, const eip_crypto_elem *base,
                  const eip_scalar *s)
{
    eip_paper_set(r, eip_paper_powmod(eip_paper_get(base), sc_get_u(s) % g->n, g->q));
}

static void p_pow_g1(const eip_group *g, eip_crypto_elem *r, const eip_scalar *s)
{
    eip_paper_set(r, eip_paper_powmod(g->g1, sc_get_u(s) % g->n, g->q));
}

static void p_g1(const eip_group *g, eip_crypto_elem *r) { eip_paper_set(r, g->g1); }

/* Exponents live in Z_{q-1}.  The paper's "t <- Z_q^*" must become "t a unit
 * of Z_{q-1}" here, otherwise g2 = g1^t need not generate the group and Fake
 * decryptions can collide (see the proof in cslite.c). */
static void p_sc_random(const eip_group *g, eip_crypto_rng_t *rng, eip_scalar *s, bool unit)
{
    uint32_t v;
    do
        v = eip_rng_uniform(rng, g->n);
    while (unit && gcd_u32(v, g->n) != 1);
    sc_set_u(s, v);
}

static bool p_sc_is_unit(const eip_group *g, const eip_scalar *s)
{
    return gcd_u32(sc_get_u(s), g->n) == 1;
}

static void p_sc_add(const eip_group *g, eip_scalar *r, const eip_scalar *a, const eip_scalar *b)
{
    sc_set_u(r, (uint32_t)(((uint64_t)sc_get_u(a) + sc_get_u(b)) % g->n));
}

static void p_sc_sub(const eip_group *g, eip_scalar *r, const eip_scalar *a, const eip_scalar *b)
{
    sc_set_u(r, (uint32_t)(((uint64_t)sc_get_u(a) + g->n - sc_get_u(b) % g->n) % g->n));
}

static void p_sc_mul(const eip_group *g, eip_scalar *r, const eip_scalar *a, const eip_scalar *b)
{
    sc_set_u(r, (uint32_t)((uint64_t)sc_get_u(a) * sc_get_u(b) % g->n));
}

/* Inverse of a unit mod n = q-1 (extended Euclid); 0 for a non-unit. */
static void p_sc_invert(const eip_group *g, eip_scalar *r, const eip_scalar *a)
{
    int64_t t0 = 0, t1 = 1, r0 = g->n, r1 = sc_get_u(a) % g->n;
    while (r1) {
        const int64_t qt = r0 / r1, tt = t0 - qt * t1, rr = r0 - qt * r1;
        t0 = t1;
        t1 = tt;
        r0 = r1;
        r1 = rr;
    }
    sc_set_u(r, r0 == 1 ? (uint32_t)((t0 % (int64_t)g->n + (int64_t)g->n) % (int64_t)g->n) : 0);
}

static void p_elem_random(const eip_group *g, eip_crypto_rng_t *rng, eip_crypto_elem *e)
{
    eip_paper_set(e, 1 + eip_rng_uniform(rng, g->q - 1)); /* u3 <- Z_q^* */
}

static void p_elem_put(const eip_group *g, unsigned char *w, const eip_crypto_elem *e)
{
    memcpy(w, e->b, EIP_CRYPTO_PAPER_ELEM_BYTES);
}

static bool p_elem_get(const eip_group *g, eip_crypto_elem *e, const unsigned char *w)
{
    memset(e->b, 0, sizeof e->b);
    memcpy(e->b, w, EIP_CRYPTO_PAPER_ELEM_BYTES);
    return p_elem_valid(g, e);
}

static void p_sc_put(const eip_group *g, unsigned char *w, const eip_scalar *s)
{
    memcpy(w, s->b, EIP_CRYPTO_PAPER_SCALAR_BYTES);
}

static bool p_sc_get(const eip_group *g, eip_scalar *s, const unsigned char *w)
{
    memset(s->b, 0, sizeof s->b);
    memcpy(s->b, w, EIP_CRYPTO_PAPER_SCALAR_BYTES);
    return sc_get_u(s) < g->n;
}

static void p_label_elem(const eip_group *g, int32_t y, eip_crypto_elem *m)
{
    eip_paper_set(m, (uint32_t)y + 1);
}

static int32_t p_elem_label(const eip_group *g, const eip_crypto_elem *m)
{
    uint32_t v = eip_paper_get(m);
    if (!tail_zero(m->b) || v < 1 || v > (uint32_t)g->z)
        return EIP_CRYPTO_NOT_A_LABEL;
    return (int32_t)(v - 1);
}

const eip_group_ops eip_group_paper_ops = {
    .id = EIP_CRYPTO_GROUP_PAPER,
    .name = "paper",
    .elem_bytes = EIP_CRYPTO_PAPER_ELEM_BYTES,
    .scalar_bytes = EIP_CRYPTO_PAPER_SCALAR_BYTES,
    .elem_valid = p_elem_valid,
    .mul = p_mul,
    .div = p_div,
    .pow = p_pow,
    .pow_g1 = p_pow_g1,
    .g1 = p_g1,
    .sc_random = p_sc_random,
    .sc_is_unit = p_sc_is_unit,
    .sc_add = p_sc_add,
    .sc_sub = p_sc_sub,
    .sc_mul = p_sc_mul,
    .sc_invert = p_sc_invert,
    .elem_random = p_elem_random,
    .elem_put = p_elem_put,
    .elem_get = p_elem_get,
    .sc_put = p_sc_put,
    .sc_get = p_sc_get,
    .label_elem = p_label_elem,
    .elem_label = p_elem_label,
};
