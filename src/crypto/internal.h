/* Private to the crypto module: the group interface both groups implement,
 * the randomness source, and the layouts of the key objects.
 *
 * Representation: an element is an eip_crypto_elem (32 bytes; paper group:
 * u32 LE value in bytes 0..3, bytes 4..31 zero), a scalar (exponent) is an
 * eip_scalar (32 bytes; paper group: u32 LE mod q-1 in bytes 0..3, rest zero;
 * ristretto255: canonical LE scalar mod L).  Keeping the unused bytes zero
 * makes memcmp/sodium_memcmp over the full 32 bytes an equality test. */
#ifndef EIP_CRYPTO_INTERNAL_H
#define EIP_CRYPTO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "encryip/crypto.h"

typedef struct eip_scalar {
    unsigned char b[32];
} eip_scalar;

typedef struct eip_group eip_group;

/* The one group interface: CS_lite (cslite.c), Φ (phi.c) and the formats
 * (keyfile.c) are written against it; group_paper.c and group_ristretto.c
 * implement it. */
typedef struct eip_group_ops {
    eip_crypto_group_id id;
    const char *name;
    size_t elem_bytes;   /* wire size of an element */
    size_t scalar_bytes; /* wire size of a scalar */
    /* Element in the group (paper: 1..q-1; ristretto: canonical point). */
    bool (*elem_valid)(const eip_group *g, const eip_crypto_elem *e);
    void (*mul)(const eip_group *g, eip_crypto_elem *r, const eip_crypto_elem *a,
                const eip_crypto_elem *b);
    void (*div)(const eip_group *g, eip_crypto_elem *r, const eip_crypto_elem *a,
                const eip_crypto_elem *b);
    void (*pow)(const eip_group *g, eip_crypto_elem *r, const eip_crypto_elem *base,
                const eip_scalar *s);
    void (*pow_g1)(const eip_group *g, eip_crypto_elem *r, const eip_scalar *s);
    void (*g1)(const eip_group *g, eip_crypto_elem *r);
    /* Uniform scalar; unit = invertible (paper: unit mod q-1; ristretto: != 0). */
    void (*sc_random)(const eip_group *g, eip_crypto_rng_t *rng, eip_scalar *s, bool unit);
    bool (*sc_is_unit)(const eip_group *g, const eip_scalar *s);
    void (*sc_add)(const eip_group *g, eip_scalar *r, const eip_scalar *a, const eip_scalar *b);
    void (*sc_sub)(const eip_group *g, eip_scalar *r, const eip_scalar *a, const eip_scalar *b);
    void (*sc_mul)(const eip_group *g, eip_scalar *r, const eip_scalar *a, const eip_scalar *b);
    /* r = 1/a for a unit a (zero otherwise). */
    void (*sc_invert)(const eip_group *g, eip_scalar *r, const eip_scalar *a);
    /* Uniform element of the group (Fake's u3 ← Z_q^*). */
    void (*elem_random)(const eip_group *g, eip_crypto_rng_t *rng, eip_crypto_elem *e);
    /* Wire encodings; decoders reject non-canonical values. */
    void (*elem_put)(const eip_group *g, unsigned char *w, const eip_crypto_elem *e);
    bool (*elem_get)(const eip_group *g, eip_crypto_elem *e, const unsigned char *w);
    void (*sc_put)(const eip_group *g, unsigned char *w, const eip_scalar *s);
    bool (*sc_get)(const eip_group *g, eip_scalar *s, const unsigned char *w);
    void (*label_elem)(const eip_group *g, int32_t y, eip_crypto_elem *m);
    int32_t (*elem_label)(const eip_group *g, const eip_crypto_elem *m);
} eip_group_ops;

typedef struct eip_label_point {
    eip_crypto_elem p;
    int32_t label;
} eip_label_point;

struct eip_group {
    const eip_group_ops *ops;
    int32_t z;   /* classes */
    uint32_t q;  /* paper: prime modulus; ristretto255: 0 */
    uint32_t n;  /* paper: group order q-1 */
    uint32_t g1; /* paper: smallest primitive root mod q */
    eip_label_point *labels; /* ristretto255: [z] sorted by point, for Dec lookup */
    int32_t *label_pos;      /* ristretto255: [z] label y -> index into labels (Enc) */
    /* Tests and bench_crypto only: true = ristretto255 runs on libsodium
     * alone (no libdecaf fast path), the reference the fast path must match
     * byte for byte.  Copied with the group. */
    bool plain;
};

extern const eip_group_ops eip_group_paper_ops;
extern const eip_group_ops eip_group_ristretto_ops;

/* group.c */
eip_status eip_group_init(eip_group *g, eip_crypto_group_id id, int64_t z, int64_t q,
                          const char *name, eip_error *err);
eip_status eip_group_copy(eip_group *dst, const eip_group *src, eip_error *err);
void eip_group_free(eip_group *g);
bool eip_group_same(const eip_group *a, const eip_group *b);
bool eip_group_ct_valid(const eip_group *g, const eip_crypto_ct *c);

/* group_paper.c */
bool eip_paper_is_prime(uint64_t q);
uint32_t eip_paper_primitive_root(uint32_t q);
bool eip_paper_is_generator(uint32_t g, uint32_t q);
uint32_t eip_paper_powmod(uint32_t b, uint64_t e, uint32_t q);
uint32_t eip_paper_get(const eip_crypto_elem *e);
void eip_paper_set(eip_crypto_elem *e, uint32_t v);
/* group_ristretto.c */
eip_status eip_ristretto_labels_init(eip_group *g, eip_error *err);

/* ristretto_fast.c: the libdecaf path (fixed-base tables for g1, g2, h;
 * double-scalar Dec).  Functions returning int give 0, or 1 + i when
 * ciphertext element u_{i+1} is not in the group. */
typedef struct eip_rfast eip_rfast;
eip_status eip_rfast_new(const eip_crypto_pk_t *pk, eip_rfast **out, eip_error *err);
void eip_rfast_free(eip_rfast *f);
/* r = base^s m, base 0 = g1, 1 = g2, 2 = h; m NULL = identity. */
void eip_rfast_pow_mul(const eip_rfast *f, int which, const eip_scalar *s, const eip_crypto_elem *m,
                       eip_crypto_elem *r);
/* r NULL: drawn from rng after `in` is validated. */
int eip_rfast_sampdist(const eip_crypto_pk_t *pk, const eip_crypto_ct *in, const eip_scalar *r,
                       eip_crypto_rng_t *rng, eip_crypto_ct *out);
int eip_rfast_dec(const eip_scalar *a, const eip_scalar *b, const eip_crypto_ct *c, eip_crypto_elem *m);
/* Dec + label by comparing with the decoded label points (z <= this; more
 * classes: encode and binary search, which is then cheaper). */
#define EIP_RFAST_LABEL_SCAN 32
typedef struct eip_rfast_labels eip_rfast_labels;
/* *out = NULL (no error) unless ristretto255 with z <= EIP_RFAST_LABEL_SCAN. */
eip_status eip_rfast_labels_new(const eip_group *g, eip_rfast_labels **out, eip_error *err);
void eip_rfast_labels_free(eip_rfast_labels *l);
int eip_rfast_dec_label(const eip_rfast_labels *l, const eip_scalar *a, const eip_scalar *b,
                        const eip_crypto_ct *c, int32_t *label);
/* Batch SampDist: the distinct ciphertexts of in [n], decoded once. */
typedef struct eip_rfast_pts eip_rfast_pts;
eip_status eip_rfast_pts_new(const eip_crypto_ct *in, int64_t n, eip_rfast_pts **out, eip_error *err);
void eip_rfast_pts_free(eip_rfast_pts *p);
/* out = SampDist of item i with randomness r (pk must have tables). */
int eip_rfast_sampdist_pts(const eip_crypto_pk_t *pk, const eip_rfast_pts *p, int64_t i,
                           const eip_scalar *r, eip_crypto_ct *out);
/* codebook.c: the codewords decoded (item i = slot i; the slots are
 * distinct), or NULL (not ristretto255, or not prepared). */
const eip_rfast_pts *eip_codebook_pts(const eip_crypto_codebook_t *cb);
/* Targeted verification (targeted.c): comb tables of the z label points;
 * *out = NULL (no error) unless ristretto255, not plain, z <= LABEL_SCAN. */
typedef struct eip_rfast_ltab eip_rfast_ltab;
eip_status eip_rfast_ltab_new(const eip_group *g, eip_rfast_ltab **out, eip_error *err);
void eip_rfast_ltab_free(eip_rfast_ltab *t);
/* out [z]: B (L_m / L_y)^v for every label y, encoded. */
int eip_rfast_ltab_shift(const eip_rfast_ltab *t, const eip_crypto_elem *b, const eip_scalar *v,
                         int32_t m, eip_crypto_elem *out);
/* Dec through eip_rfast_dec? (ristretto255 and not plain) */
static inline bool eip_group_fast_dec(const eip_group *g)
{
    return g->ops->id == EIP_CRYPTO_GROUP_RISTRETTO255 && !g->plain;
}

/* cslite.c: m = u3 / (u1^a u2^b), c already validated; r1 <- Z, r2 = r1 + d,
 * d a unit (Fake's exponents). */
void eip_dec_raw(const eip_group *g, const eip_scalar *a, const eip_scalar *b, const eip_crypto_ct *c,
                 eip_crypto_elem *m);
void eip_fake_exponents(const eip_group *g, eip_crypto_rng_t *rng, eip_scalar *r1, eip_scalar *r2);

/* targeted.c: the checks behind eip_crypto_targeting_fake_for (exposed for
 * tests/crypto/test_targeted.c).  Both answer "does some licensee k != j
 * decrypt c to one of targets [nt]?" (targets NULL: to any label).
 * collides: from w = t (r2 - r1) and mj = Dec(sk_j, c) alone, linear in
 * the number of targets (mlabel = mj's label for the fast path, or -1);
 * collides_pairs: the all-pairs reference, P - 1 decryptions. */
int eip_targeting_collides(const eip_crypto_targeting_t *t, int64_t j, const eip_crypto_elem *mj,
                           int32_t mlabel, const eip_scalar *w, const eip_crypto_elem *targets,
                           int32_t nt);
int eip_targeting_collides_pairs(const eip_crypto_master_t *m, int64_t j, const eip_crypto_ct *c,
                                 const eip_crypto_elem *targets, int32_t nt);
/* c from (r1, r2) for licensee j and message m; *w = t (r2 - r1). */
void eip_targeting_build(const eip_crypto_targeting_t *t, int64_t j, const eip_crypto_elem *m,
                         const eip_scalar *r1, const eip_scalar *r2, eip_crypto_ct *c, eip_scalar *w);

/* rng.c */
void eip_rng_bytes(eip_crypto_rng_t *rng, unsigned char *buf, size_t len);
uint32_t eip_rng_uniform(eip_crypto_rng_t *rng, uint32_t upper); /* [0, upper), upper >= 1 */
bool eip_rng_is_system(const eip_crypto_rng_t *rng);

struct eip_crypto_pk {
    eip_group grp;
    eip_crypto_elem g1, g2, h;
    unsigned char id[EIP_CRYPTO_PKID_BYTES];
    eip_rfast *fast; /* ristretto255: tables for g1, g2, h (eip_pk_prepare); else NULL */
};

/* The fast tables of pk, or NULL (paper group, or plain). */
static inline const eip_rfast *eip_pk_fast(const eip_crypto_pk_t *pk)
{
    return pk->grp.plain ? NULL : pk->fast;
}
/* cslite.c: builds pk->fast once g1, g2, h are set (Gen, pk_from_bytes). */
eip_status eip_pk_prepare(eip_crypto_pk_t *pk, eip_error *err);
/* cslite.c: SampDist with r given (r NULL: drawn from rng after `in` is
 * checked); the batch entry points (batch.c) pre-draw r in order. */
eip_status eip_sampdist_with(const eip_crypto_pk_t *pk, const eip_crypto_ct *in, const eip_scalar *r,
                             eip_crypto_rng_t *rng, eip_crypto_ct *out, eip_error *err);

struct eip_crypto_sk {
    eip_group grp;
    unsigned char pk_id[EIP_CRYPTO_PKID_BYTES];
    int64_t index; /* j, 1-based */
    eip_scalar a, b;
    eip_rfast_labels *labels; /* ristretto255, few classes: decoded label points (eip_sk_prepare) */
};
/* cslite.c: builds sk->labels (master_sk, sk_from_bytes). */
eip_status eip_sk_prepare(eip_crypto_sk_t *sk, eip_error *err);

struct eip_crypto_master {
    eip_group grp;
    unsigned char pk_id[EIP_CRYPTO_PKID_BYTES];
    eip_scalar t, a1;
    int64_t count;  /* P */
    int64_t cap;
    eip_scalar *b;  /* [cap], b_1..b_P used */
};

/* keyfile.c: the shared file frame (docs/FORMATS.md): 16-byte header
 * magic[4] | u16 version | u16 group | u32 z | u32 q, body, BLAKE2b-128. */
#define EIP_FMT_VERSION 1
#define EIP_FMT_HEAD_BYTES 16
#define EIP_FMT_FRAME_BYTES (EIP_FMT_HEAD_BYTES + EIP_CRYPTO_CHECKSUM_BYTES)
#define EIP_FMT_MAX_FILE_BYTES ((size_t)1 << 31)
typedef struct eip_fmt_head {
    const eip_group_ops *ops;
    uint32_t z, q;
} eip_fmt_head;
eip_status eip_fmt_head_parse(const unsigned char *buf, size_t len, const char *name,
                              const char *magic, eip_fmt_head *h, eip_error *err);
eip_status eip_fmt_size_check(size_t len, size_t want, const char *name, const char *kind,
                              eip_error *err);
eip_status eip_fmt_sum_check(const unsigned char *buf, size_t len, const char *name, eip_error *err);
eip_status eip_fmt_group(const eip_fmt_head *h, const char *name, eip_group *g, eip_error *err);
void eip_fmt_head_put(unsigned char *p, const char *magic, const eip_group *g);
void eip_fmt_sum_put(unsigned char *buf, size_t len);
eip_status eip_pk_compute_id(eip_crypto_pk_t *pk, eip_error *err);
/* cslite.c: (a_j, b_j) for j in 1..count (caller checks j). */
void eip_master_derive(const eip_crypto_master_t *m, int64_t j, eip_scalar *a, eip_scalar *b);

#endif
