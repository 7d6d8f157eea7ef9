/* ristretto255 (libsodium crypto_core_ristretto255_*): a prime-order group of
 * order L ~ 2^252, ~128-bit security.  g1 is the standard base point.  Label y
 * is the fixed point from_hash(SHA-512("encryip label" || u32le(y)))
 * (documented in docs/FORMATS.md); Dec maps back by binary search over the
 * sorted table of the z label points, anything else is "not a label". */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"

static bool r_elem_valid(const eip_group *g, const eip_crypto_elem *e)
{
    return crypto_core_ristretto255_is_valid_point(e->b) == 1;
}

static void r_mul(const eip_group *g, eip_crypto_elem *r, const eip_crypto_elem *a,
                  const eip_crypto_elem *b)
{
    (void)crypto_core_ristretto255_add(r->b, a->b, b->b); /* inputs validated by callers */
}

static void r_div(const eip_group *g, eip_crypto_elem *r, const eip_crypto_elem *a,
                  const eip_crypto_elem *b)
{
    (void)crypto_core_ristretto255_sub(r->b, a->b, b->b);
}

/* crypto_scalarmult_ristretto255* return -1 when the result is the identity
 * (scalar 0); the output is then the identity's encoding (all zero), which is
 * the right group element, so the return value carries no error here. */
static void r_pow(const eip_group *g, eip_crypto_elem *r, const eip_crypto_elem *base,
                  const eip_scalar *s)
{
    eip_crypto_elem tmp;
    if (crypto_scalarmult_ristretto255(tmp.b, s->b, base->b) != 0)
        memset(tmp.b, 0, sizeof tmp.b); /* identity */
    *r = tmp;
}

static void r_pow_g1(const eip_group *g, eip_crypto_elem *r, const eip_scalar *s)
{
    if (crypto_scalarmult_ristretto255_base(r->b, s->b) != 0)
        memset(r->b, 0, sizeof r->b); /* identity */
}

static void r_g1(const eip_group *g, eip_crypto_elem *r)
{
    unsigned char one[32] = {1};
    (void)crypto_scalarmult_ristretto255_base(r->b, one);
}

static bool sc_canonical(const unsigned char s[32])
{
    unsigned char wide[64] = {0}, red[32];
    memcpy(wide, s, 32);
    crypto_core_ristretto255_scalar_reduce(red, wide);
    bool ok = sodium_memcmp(red, s, 32) == 0;
    sodium_memzero(wide, sizeof wide);
    sodium_memzero(red, sizeof red);
    return ok;
}

/* CSPRNG: crypto_core_ristretto255_scalar_random (rejection-sampled, never 0).
 * Seeded: the same rejection rule on the ChaCha20 stream (mask to 253 bits,
 * reject >= L and 0). */
static void r_sc_random(const eip_group *g, eip_crypto_rng_t *rng, eip_scalar *s, bool unit)
{
    if (eip_rng_is_system(rng)) {
        crypto_core_ristretto255_scalar_random(s->b);
        return;
    }
    do {
        eip_rng_bytes(rng, s->b, 32);
        s->b[31] &= 0x1f;
    } while (!sc_canonical(s->b) || sodium_is_zero(s->b, 32));
}

static bool r_sc_is_unit(const eip_group *g, const eip_scalar *s)
{
    return !sodium_is_zero(s->b, 32);
}

static void r_sc_add(const eip_group *g, eip_scalar *r, const eip_scalar *a, const eip_scalar *b)
{
    crypto_core_ristretto255_scalar_add(r->b, a->b, b->b);
}

static void r_sc_sub(const eip_group *g, eip_scalar *r, const eip_scalar *a, const eip_scalar *b)
{
    crypto_core_ristretto255_scalar_sub(r->b, a->b, b->b);
}

static void r_sc_mul(const eip_group *g, eip_scalar *r, const eip_scalar *a, const eip_scalar *b)
{
    crypto_core_ristretto255_scalar_mul(r->b, a->b, b->b);
}

/* libsodium's inversion is a fixed addition chain: constant time. */
static void r_sc_invert(const eip_group *g, eip_scalar *r, const eip_scalar *a)
{
    if (crypto_core_ristretto255_scalar_invert(r->b, a->b) != 0)
        memset(r->b, 0, sizeof r->b); /* a = 0: not a unit */
}

static void r_elem_random(const eip_group *g, eip_crypto_rng_t *rng, eip_crypto_elem *e)
{
    unsigned char h[crypto_core_ristretto255_HASHBYTES];
    eip_rng_bytes(rng, h, sizeof h);
    crypto_core_ristretto255_from_hash(e->b, h);
}

static void r_elem_put(const eip_group *g, unsigned char *w, const eip_crypto_elem *e)
{
    memcpy(w, e->b, 32);
}

static bool r_elem_get(const eip_group *g, eip_crypto_elem *e, const unsigned char *w)
{
    memcpy(e->b, w, 32);
    return crypto_core_ristretto255_is_valid_point(e->b) == 1;
}

static void r_sc_put(const eip_group *g, unsigned char *w, const eip_scalar *s)
{
    memcpy(w, s->b, 32);
}

static bool r_sc_get(const eip_group *g, eip_scalar *s, const unsigned char *w)
{
    memcpy(s->b, w, 32);
    return sc_canonical(s->b);
}

static void label_hash(int32_t y, eip_crypto_elem *m)
{
    static const char tag[] = "encryip label";
    unsigned char in[sizeof tag - 1 + 4], h[crypto_hash_sha512_BYTES];
    memcpy(in, tag, sizeof tag - 1);
    for (int i = 0; i < 4; i++)
        in[sizeof tag - 1 + i] = (unsigned char)((uint32_t)y >> (8 * i));
    crypto_hash_sha512(h, in, sizeof in);
    crypto_core_ristretto255_from_hash(m->b, h);
}

static void r_label_elem(const eip_group *g, int32_t y, eip_crypto_elem *m)
{
    if (g->label_pos) /* table built by eip_ristretto_labels_init */
        *m = g->labels[g->label_pos[y]].p;
    else
        label_hash(y, m);
}

static int cmp_point(const void *a, const void *b)
{
    return memcmp(((const eip_label_point *)a)->p.b, ((const eip_label_point *)b)->p.b, 32);
}

/* Table lookup.  memcmp is not constant time: the label points are public and
 * the lookup only runs where the key holder decrypts. */
static int32_t r_elem_label(const eip_group *g, const eip_crypto_elem *m)
{
    eip_label_point key;
    key.p = *m;
    key.label = 0;
    const eip_label_point *hit = bsearch(&key, g->labels, (size_t)g->z, sizeof *g->labels, cmp_point);
    return hit ? hit->label : EIP_CRYPTO_NOT_A_LABEL;
}

eip_status eip_ristretto_labels_init(eip_group *g, eip_error *err)
{
    g->labels = malloc((size_t)g->z * sizeof *g->labels);
    g->label_pos = malloc((size_t)g->z * sizeof *g->label_pos);
    if (!g->labels || !g->label_pos)
        return eip_error_set(err, EIP_ERR_NOMEM, "ristretto255 label table (%d classes): out of memory",
                             (int)g->z);
    for (int32_t y = 0; y < g->z; y++) {
        label_hash(y, &g->labels[y].p);
        g->labels[y].label = y;
    }
    qsort(g->labels, (size_t)g->z, sizeof *g->labels, cmp_point);
    for (int32_t i = 0; i < g->z; i++)
        g->label_pos[g->labels[i].label] = i;
    for (int32_t i = 1; i < g->z; i++) /* a SHA-512 collision; never happens */
        if (!cmp_point(&g->labels[i - 1], &g->labels[i]))
            return eip_error_set(err, EIP_ERR_CRYPTO, "ristretto255 label points collide");
    return EIP_OK;
}

const eip_group_ops eip_group_ristretto_ops = {
    .id = EIP_CRYPTO_GROUP_RISTRETTO255,
    .name = "ristretto255",
    .elem_bytes = EIP_CRYPTO_RISTRETTO_ELEM_BYTES,
    .scalar_bytes = EIP_CRYPTO_RISTRETTO_SCALAR_BYTES,
    .elem_valid = r_elem_valid,
    .mul = r_mul,
    .div = r_div,
    .pow = r_pow,
    .pow_g1 = r_pow_g1,
    .g1 = r_g1,
    .sc_random = r_sc_random,
    .sc_is_unit = r_sc_is_unit,
    .sc_add = r_sc_add,
    .sc_sub = r_sc_sub,
    .sc_mul = r_sc_mul,
    .sc_invert = r_sc_invert,
    .elem_random = r_elem_random,
    .elem_put = r_elem_put,
    .elem_get = r_elem_get,
    .sc_put = r_sc_put,
    .sc_get = r_sc_get,
    .label_elem = r_label_elem,
    .elem_label = r_elem_label,
};
