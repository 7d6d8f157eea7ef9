/* encryip crypto module — the CS_lite public-key scheme of EncryIP (paper
 * section 4.2, Figure 1) over two groups, the transfer function Φ (eq. 2/3),
 * verification helpers (eq. 5), incremental licensees (section 4.5 (2)) and
 * the versioned binary formats of keys, ciphertexts and codebooks
 * (docs/FORMATS.md).
 *
 * Groups:
 *   EIP_CRYPTO_GROUP_PAPER         Z_q^* with q the smallest prime > z (or any
 *                                  prime q > z), exactly as in the paper's
 *                                  experiments.  TRIVIALLY BREAKABLE (a discrete
 *                                  log in a group of order q-1 is a table
 *                                  lookup); see eip_crypto_attack_dlog.
 *   EIP_CRYPTO_GROUP_RISTRETTO255  the prime-order group ristretto255 of
 *                                  libsodium: ~128-bit security.
 *
 * Call eip_crypto_init() once before anything else.  Secret scalars come from
 * libsodium's CSPRNG unless a seeded eip_crypto_rng_t is passed (known-answer
 * tests, reproducible demos).  Secret material is wiped on free. */
#ifndef ENCRYIP_CRYPTO_H
#define ENCRYIP_CRYPTO_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "encryip/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum eip_crypto_group_id {
    EIP_CRYPTO_GROUP_PAPER = 1,
    EIP_CRYPTO_GROUP_RISTRETTO255 = 2
} eip_crypto_group_id;

/* Wire (file) sizes of one group element / one exponent (scalar). */
#define EIP_CRYPTO_PAPER_ELEM_BYTES 4       /* u32 LE, 1..q-1 */
#define EIP_CRYPTO_PAPER_SCALAR_BYTES 4     /* u32 LE, 0..q-2 (exponent mod q-1) */
#define EIP_CRYPTO_RISTRETTO_ELEM_BYTES 32  /* canonical ristretto255 encoding */
#define EIP_CRYPTO_RISTRETTO_SCALAR_BYTES 32 /* canonical scalar mod L, LE */
/* In-memory size of an element (the larger of the two; a paper-group element
 * is a u32 LE in the first 4 bytes followed by 28 zero bytes). */
#define EIP_CRYPTO_ELEM_BYTES 32
#define EIP_CRYPTO_PKID_BYTES 16    /* BLAKE2b-128 identifier of a public key */
#define EIP_CRYPTO_CHECKSUM_BYTES 16 /* BLAKE2b-128 trailer of every file */
#define EIP_CRYPTO_SEED_BYTES 32

#define EIP_CRYPTO_MAX_CLASSES 100000       /* z */
#define EIP_CRYPTO_MAX_PAPER_Q 2147483647u  /* q < 2^31 */
#define EIP_CRYPTO_MAX_LICENSEES (1 << 20)  /* P (ristretto255; paper: q-1) */
#define EIP_CRYPTO_NOT_A_LABEL (-1)         /* Dec result that is no label */

typedef struct eip_crypto_elem {
    unsigned char b[EIP_CRYPTO_ELEM_BYTES];
} eip_crypto_elem;

/* A CS_lite ciphertext c = (u1, u2, u3) (Figure 1). */
typedef struct eip_crypto_ct {
    eip_crypto_elem u[3];
} eip_crypto_ct;

typedef struct eip_crypto_rng eip_crypto_rng_t;
typedef struct eip_crypto_pk eip_crypto_pk_t;         /* (g1, g2, h) + group */
typedef struct eip_crypto_sk eip_crypto_sk_t;         /* one licensee's (a_j, b_j) */
typedef struct eip_crypto_master eip_crypto_master_t; /* owner's t, a1, b_1..b_P */
typedef struct eip_crypto_codebook eip_crypto_codebook_t;

/* Group choice for Gen.  q = 0 picks the smallest prime > classes (paper group
 * only; must be 0 for ristretto255). */
typedef struct eip_crypto_params {
    eip_crypto_group_id group;
    int32_t classes; /* z >= 2 */
    int64_t q;
} eip_crypto_params;

/* ---- library set-up and randomness ------------------------------------ */

/* Initialises libsodium (sodium_init); safe to call more than once. */
eip_status eip_crypto_init(eip_error *err);

/* seed == NULL: libsodium's CSPRNG.  Otherwise a ChaCha20 stream keyed by the
 * 32-byte seed feeds the same rejection samplers, so fixed seeds give fixed
 * keys and ciphertexts (known-answer tests; never for real keys). */
eip_status eip_crypto_rng_new(const unsigned char *seed, eip_crypto_rng_t **out, eip_error *err);
/* Seeded stream from a number (CLI --seed): key = BLAKE2b-256("encryip seed" || u64le). */
eip_status eip_crypto_rng_new_u64(uint64_t seed, eip_crypto_rng_t **out, eip_error *err);
void eip_crypto_rng_free(eip_crypto_rng_t *rng);

const char *eip_crypto_group_name(eip_crypto_group_id g); /* "paper", "ristretto255" */
eip_status eip_crypto_group_parse(const char *name, eip_crypto_group_id *out, eip_error *err);
/* Smallest prime > z (the paper's q). */
int64_t eip_crypto_paper_default_q(int64_t classes);

/* ---- CS_lite (Figure 1) ------------------------------------------------- */

/* Gen(P): public key and master key holding t, a1 and b_1..b_P (sk_j derives
 * from it with eip_crypto_master_sk).  Paper group: P <= q-1 (EIP_ERR_RANGE
 * otherwise, the message says which --q to use). */
eip_status eip_crypto_gen(const eip_crypto_params *params, int64_t licensees, eip_crypto_rng_t *rng,
                          eip_crypto_pk_t **pk, eip_crypto_master_t **master, eip_error *err);
/* sk_j = (a_j, b_j), a_j = a1 + (b1 - b_j) t, j = 1..P (1-based). */
eip_status eip_crypto_master_sk(const eip_crypto_master_t *m, int64_t j, eip_crypto_sk_t **out,
                                eip_error *err);
/* Section 4.5 (2): new licensee P+1 with a fresh b not in {b_1..b_P}; m is
 * updated (persist it before handing out the key). */
eip_status eip_crypto_issue(eip_crypto_master_t *m, const eip_crypto_pk_t *pk, eip_crypto_rng_t *rng,
                            eip_crypto_sk_t **out, eip_error *err);

/* Label y in 0..z-1 <-> message element (paper: y+1; ristretto255:
 * from_hash(SHA-512("encryip label" || u32le(y)))). */
eip_status eip_crypto_label_elem(const eip_crypto_pk_t *pk, int32_t label, eip_crypto_elem *m,
                                 eip_error *err);

/* Enc(pk, m), eq. (1). */
eip_status eip_crypto_enc(const eip_crypto_pk_t *pk, int32_t label, eip_crypto_rng_t *rng,
                          eip_crypto_ct *c, eip_error *err);
eip_status eip_crypto_enc_elem(const eip_crypto_pk_t *pk, const eip_crypto_elem *m,
                               eip_crypto_rng_t *rng, eip_crypto_ct *c, eip_error *err);
/* Dec(sk, c): m = u3 / (u1^a u2^b).  EIP_ERR_CRYPTO (the paper's ⊥) when an
 * element of c is not in the group. */
eip_status eip_crypto_dec(const eip_crypto_sk_t *sk, const eip_crypto_ct *c, eip_crypto_elem *m,
                          eip_error *err);
/* Dec then map to a label; *label = EIP_CRYPTO_NOT_A_LABEL if m is no label. */
eip_status eip_crypto_dec_label(const eip_crypto_sk_t *sk, const eip_crypto_ct *c, int32_t *label,
                                eip_error *err);
/* Fake(pk): ill-formed ciphertext that decrypts to pairwise different
 * messages under every pair of distinct licensee keys. */
eip_status eip_crypto_fake(const eip_crypto_pk_t *pk, eip_crypto_rng_t *rng, eip_crypto_ct *c,
                           eip_error *err);
/* SampDist(c') (section 4.2): fresh sample of the same distribution — same
 * plaintext under every key, new ciphertext. */
eip_status eip_crypto_sampdist(const eip_crypto_pk_t *pk, const eip_crypto_ct *in,
                               eip_crypto_rng_t *rng, eip_crypto_ct *out, eip_error *err);
/* Batch SampDist / Dec for deployments: n items spread over `threads`
 * threads (<= 0: all online cores; small batches use fewer).  The library
 * owns the threads and joins them before returning; pk/sk are only read.
 * Results equal the one-at-a-time calls: with a seeded rng the randomness of
 * item i is the i-th draw, taken in order in the calling thread before the
 * work is spread (an invalid item still consumes its draw).
 * sampdist_batch: out [n] (may alias in); EIP_ERR_CRYPTO naming the first
 * item with an element outside the group. */
eip_status eip_crypto_sampdist_batch(const eip_crypto_pk_t *pk, const eip_crypto_ct *in, int64_t n,
                                     eip_crypto_rng_t *rng, int threads, eip_crypto_ct *out,
                                     eip_error *err);
/* out [n] = SampDist of codebook slots slots[n], the randomness drawn as in
 * sampdist_batch (same ciphertexts as sampdist_batch on the slots'
 * ciphertexts, for every rng).  A deployment's SampDist inputs are its
 * codewords: a ristretto255 codebook of up to 16 384 slots keeps them
 * decoded (since it was built, loaded or shuffled), so an answer costs no
 * point decoding, also one at a time (n = 1, a server's request).  cb must belong to pk; every slot must
 * be in range (EIP_ERR_RANGE naming the item). */
eip_status eip_crypto_sampdist_slots(const eip_crypto_pk_t *pk, const eip_crypto_codebook_t *cb,
                                     const int64_t *slots, int64_t n, eip_crypto_rng_t *rng,
                                     int threads, eip_crypto_ct *out, eip_error *err);
/* labels [n]: Dec then label of each item, EIP_CRYPTO_NOT_A_LABEL where the
 * plaintext is no label or an element is outside the group (the paper's ⊥,
 * as eq. (4) reads it). */
eip_status eip_crypto_dec_label_batch(const eip_crypto_sk_t *sk, const eip_crypto_ct *c, int64_t n,
                                      int threads, int32_t *labels, eip_error *err);

/* Verification ciphertext that decrypts to `label` under licensee j only:
 * u1 = g1^r1, u2 = g2^r2 (r1 != r2), u3 = m u1^{a_j} u2^{b_j}; resampled
 * until no other licensee's decryption is a label (at most 1000 tries:
 * EIP_ERR_INFEASIBLE, e.g. paper group with q = z+1 where every element is a
 * label). */
eip_status eip_crypto_fake_for(const eip_crypto_master_t *m, int64_t j, int32_t label,
                               eip_crypto_rng_t *rng, eip_crypto_ct *c, eip_error *err);
/* Many targeted ciphertexts from one master key: eip_crypto_fake_for costs
 * O(P) per call (it builds this context); the context is built once in O(P)
 * and each ciphertext then costs O(z), independent of P (the check needs
 * no decryption under the other keys: src/crypto/targeted.c).  Same
 * ciphertexts, same randomness drawn, as eip_crypto_fake_for.  m must
 * outlive the context and keep its licensees (a licensee issued since:
 * EIP_ERR_STATE). */
typedef struct eip_crypto_targeting eip_crypto_targeting_t;
eip_status eip_crypto_targeting_new(const eip_crypto_master_t *m, eip_crypto_targeting_t **out,
                                    eip_error *err);
void eip_crypto_targeting_free(eip_crypto_targeting_t *t);
eip_status eip_crypto_targeting_fake_for(const eip_crypto_targeting_t *t, int64_t j, int32_t label,
                                         eip_crypto_rng_t *rng, eip_crypto_ct *c, eip_error *err);

/* ---- verification (section 4.4) ---------------------------------------- */

/* ȳ'_j = Dec(sk_j, c) for j = 1..P (out: [P], P = eip_crypto_master_licensees). */
eip_status eip_crypto_fake_decryptions(const eip_crypto_master_t *m, const eip_crypto_ct *c,
                                       eip_crypto_elem *out, eip_error *err);
/* Eq. (5): which licensee's expected decryption equals the observed one.
 * *j = 1..P, or EIP_ERR_NOT_FOUND ("False").  Scans all P in constant time
 * per entry (sodium_memcmp). */
eip_status eip_crypto_verify_match(const eip_crypto_elem *expected, int64_t count,
                                   const eip_crypto_elem *observed, int64_t *j, eip_error *err);
/* "Secret key available": is sk one of the licensee keys?  Constant-time
 * comparison against every key derived from m; *j = 1..P or EIP_ERR_NOT_FOUND. */
eip_status eip_crypto_verify_key(const eip_crypto_master_t *m, const eip_crypto_sk_t *sk,
                                 int64_t *j, eip_error *err);

/* ---- attack ------------------------------------------------------------ */

/* Recovers labels from paper-group ciphertexts with only the public key
 * (baby-step giant-step on u1 = g1^r, then m = u3 / h^r).  labels: [n],
 * EIP_CRYPTO_NOT_A_LABEL where m is no label.  ristretto255:
 * EIP_ERR_INFEASIBLE (generic discrete log needs ~2^126 operations). */
eip_status eip_crypto_attack_dlog(const eip_crypto_pk_t *pk, const eip_crypto_ct *c, int64_t n,
                                  int32_t *labels, eip_error *err);

/* Collusion: licensee keys of one keygen satisfy a_j - a_k = (b_k - b_j) t,
 * so two or more of them determine the master secret t (paper group: up to
 * the candidates reported in `solutions`, settled by g2 = g1^t of the public
 * key).  *out: a master key equivalent for issuing (t, a1 := key 1's a,
 * b_1.. := the colluders' distinct b), so eip_crypto_issue(*out, pk, ...)
 * mints a key for a b no colluder holds — a key that decrypts like every
 * licensee's and that verify-key attributes to no colluder.  Keys of
 * another public key: EIP_ERR_CRYPTO; fewer than two distinct b: EIP_ERR_ARG. */
typedef struct eip_crypto_collude_info {
    int64_t keys;      /* keys given */
    int64_t distinct;  /* distinct b among them */
    int64_t pairs;     /* key pairs available */
    int64_t pair_j, pair_k; /* the pair solved (1-based positions in keys) */
    int64_t gcd;       /* gcd(b_k - b_j, order): 1 = the difference is invertible */
    int64_t solutions; /* units t fitting every key pair (1 = the keys alone fix t) */
    int pk_needed;     /* 1 if g2 = g1^t had to choose among them (paper group) */
} eip_crypto_collude_info;
eip_status eip_crypto_collude(const eip_crypto_pk_t *pk, const eip_crypto_sk_t *const *keys,
                              int64_t n, eip_crypto_master_t **out, eip_crypto_collude_info *info,
                              eip_error *err);

/* ---- key objects ------------------------------------------------------- */

void eip_crypto_pk_free(eip_crypto_pk_t *pk);
void eip_crypto_sk_free(eip_crypto_sk_t *sk);         /* wipes */
void eip_crypto_master_free(eip_crypto_master_t *m);  /* wipes */

eip_crypto_group_id eip_crypto_pk_group(const eip_crypto_pk_t *pk);
int32_t eip_crypto_pk_classes(const eip_crypto_pk_t *pk);
int64_t eip_crypto_pk_q(const eip_crypto_pk_t *pk); /* paper: q; ristretto255: 0 */
const unsigned char *eip_crypto_pk_id(const eip_crypto_pk_t *pk); /* [EIP_CRYPTO_PKID_BYTES] */
/* Message element -> label (EIP_CRYPTO_NOT_A_LABEL if none). */
int32_t eip_crypto_pk_elem_label(const eip_crypto_pk_t *pk, const eip_crypto_elem *m);
/* Checks that every element of c is in the group (EIP_ERR_CRYPTO otherwise). */
eip_status eip_crypto_pk_ct_check(const eip_crypto_pk_t *pk, const eip_crypto_ct *c, eip_error *err);

eip_crypto_group_id eip_crypto_sk_group(const eip_crypto_sk_t *sk);
int32_t eip_crypto_sk_classes(const eip_crypto_sk_t *sk);
int64_t eip_crypto_sk_index(const eip_crypto_sk_t *sk); /* licensee number j */
const unsigned char *eip_crypto_sk_pk_id(const eip_crypto_sk_t *sk);
/* Constant-time equality of two secret keys (same pk, same (a, b)). */
int eip_crypto_sk_equal(const eip_crypto_sk_t *x, const eip_crypto_sk_t *y);

int64_t eip_crypto_master_licensees(const eip_crypto_master_t *m);
const unsigned char *eip_crypto_master_pk_id(const eip_crypto_master_t *m);
eip_crypto_group_id eip_crypto_master_group(const eip_crypto_master_t *m);

/* ---- formats (docs/FORMATS.md) ------------------------------------------
 * *_to_bytes: malloc'd buffer (caller frees; secret buffers: wipe with
 * sodium_memzero before free or use eip_crypto_secret_free).  *_from_bytes
 * validate every byte; `name` (usually the file path) prefixes every error.
 * *_save write atomically (secret and master keys 0600); *_load read with a
 * size cap and parse. */
eip_status eip_crypto_pk_to_bytes(const eip_crypto_pk_t *pk, unsigned char **buf, size_t *len,
                                  eip_error *err);
eip_status eip_crypto_pk_from_bytes(const unsigned char *buf, size_t len, const char *name,
                                    eip_crypto_pk_t **out, eip_error *err);
eip_status eip_crypto_pk_save(const eip_crypto_pk_t *pk, const char *path, eip_error *err);
eip_status eip_crypto_pk_load(const char *path, eip_crypto_pk_t **out, eip_error *err);

eip_status eip_crypto_sk_to_bytes(const eip_crypto_sk_t *sk, unsigned char **buf, size_t *len,
                                  eip_error *err);
eip_status eip_crypto_sk_from_bytes(const unsigned char *buf, size_t len, const char *name,
                                    eip_crypto_sk_t **out, eip_error *err);
eip_status eip_crypto_sk_save(const eip_crypto_sk_t *sk, const char *path, eip_error *err);
eip_status eip_crypto_sk_load(const char *path, eip_crypto_sk_t **out, eip_error *err);

eip_status eip_crypto_master_to_bytes(const eip_crypto_master_t *m, unsigned char **buf,
                                      size_t *len, eip_error *err);
eip_status eip_crypto_master_from_bytes(const unsigned char *buf, size_t len, const char *name,
                                        eip_crypto_master_t **out, eip_error *err);
eip_status eip_crypto_master_save(const eip_crypto_master_t *m, const char *path, eip_error *err);
eip_status eip_crypto_master_load(const char *path, eip_crypto_master_t **out, eip_error *err);
/* Writes a whole key set (DIR/public.key, DIR/master.key, DIR/licensee-<j>.key
 * for j = 1..P; secret files 0600) atomically: the set appears complete or
 * not at all, also on a full disk or a kill.  An existing DIR must be empty or
 * hold only key files; one holding keys is replaced (only once the new set is
 * complete) when `replace`, refused otherwise. */
eip_status eip_crypto_keyset_save(const char *dir, const eip_crypto_pk_t *pk,
                                  const eip_crypto_master_t *m, bool replace, eip_error *err);

/* Wipes and frees a buffer returned by a secret *_to_bytes. */
void eip_crypto_secret_free(unsigned char *buf, size_t len);

/* Checks that a secret/master key belongs to pk (EIP_ERR_CRYPTO "belongs to
 * another public key" otherwise). */
eip_status eip_crypto_sk_check_pk(const eip_crypto_sk_t *sk, const unsigned char *pk_id,
                                  const char *what, eip_error *err);

/* Ciphertext file: the pk identifier plus n ciphertexts (*c: malloc'd [n]). */
eip_status eip_crypto_cts_to_bytes(const eip_crypto_pk_t *pk, const eip_crypto_ct *c, int64_t n,
                                   unsigned char **buf, size_t *len, eip_error *err);
eip_status eip_crypto_cts_save(const eip_crypto_pk_t *pk, const eip_crypto_ct *c, int64_t n,
                               const char *path, eip_error *err);
/* Group description of a ciphertext file, enough to decrypt it. */
typedef struct eip_crypto_cts_info {
    eip_crypto_group_id group;
    int32_t classes;
    int64_t q;
    unsigned char pk_id[EIP_CRYPTO_PKID_BYTES];
} eip_crypto_cts_info;
/* Checks that sk can decrypt a ciphertext file: same group, same z, same q
 * (the file header's, which the file's elements were validated against) and
 * the same public key id.  EIP_ERR_CRYPTO naming `what` and both values. */
eip_status eip_crypto_sk_check_cts(const eip_crypto_sk_t *sk, const eip_crypto_cts_info *info,
                                   const char *what, eip_error *err);
eip_status eip_crypto_cts_from_bytes(const unsigned char *buf, size_t len, const char *name,
                                     eip_crypto_cts_info *info, eip_crypto_ct **c, int64_t *n,
                                     eip_error *err);
eip_status eip_crypto_cts_load(const char *path, eip_crypto_cts_info *info, eip_crypto_ct **c,
                               int64_t *n, eip_error *err);

/* ---- transfer function Φ (eq. 2, 3) and the codebook -------------------
 * Paper group: Φ(c) = one-hot(u1) || one-hot(u2) || one-hot(u3), 3 blocks of
 * q floats; element e (1..q-1) sits at position e of its block, position 0 is
 * never hot.  ristretto255: a one-hot over the codebook slots (a 2^252-sized
 * one-hot is impossible; see docs/DESIGN.md). */

typedef enum eip_crypto_phi_decoder {
    EIP_CRYPTO_PHI_ML = 0,     /* maximum likelihood over the codebook (default) */
    EIP_CRYPTO_PHI_ARGMAX = 1  /* eq. (3): per-block arg-max (paper group) */
} eip_crypto_phi_decoder;

/* Length of Φ(c): 3q (paper) or the codebook size (ristretto255; cb required). */
int64_t eip_crypto_phi_dim(const eip_crypto_pk_t *pk, const eip_crypto_codebook_t *cb);
/* Φ(c) into out [dim].  ristretto255: c must be a codeword of cb
 * (EIP_ERR_NOT_FOUND otherwise); cb may be NULL for the paper group. */
eip_status eip_crypto_phi(const eip_crypto_pk_t *pk, const eip_crypto_codebook_t *cb,
                          const eip_crypto_ct *c, float *out, eip_error *err);
/* Φ^-1(y): y [dim] are scores (logits or probabilities as `y_is_logits`
 * says; ML uses log-softmax of logits, log of probabilities).  *slot = the
 * codebook slot chosen, or -1 (argmax on the paper group). */
eip_status eip_crypto_phi_inv(const eip_crypto_pk_t *pk, const eip_crypto_codebook_t *cb,
                              const float *y, int y_is_logits, eip_crypto_phi_decoder dec,
                              eip_crypto_ct *c, int64_t *slot, eip_error *err);

/* Codebook: the ciphertexts a protected model can output (one per label —
 * the paper fixes the first encryption of each label — plus verification
 * ciphertexts), each with its label (EIP_CRYPTO_NOT_A_LABEL for Fake ones). */
eip_status eip_crypto_codebook_new(const eip_crypto_pk_t *pk, eip_crypto_codebook_t **out,
                                   eip_error *err);
/* One Enc per label 0..z-1 in slots 0..z-1, then `fakes` Fake ciphertexts. */
eip_status eip_crypto_codebook_build(const eip_crypto_pk_t *pk, int64_t fakes, eip_crypto_rng_t *rng,
                                     eip_crypto_codebook_t **out, eip_error *err);
eip_status eip_crypto_codebook_add(eip_crypto_codebook_t *cb, const eip_crypto_ct *c, int32_t label,
                                   int64_t *slot, eip_error *err);
void eip_crypto_codebook_free(eip_crypto_codebook_t *cb);
int64_t eip_crypto_codebook_size(const eip_crypto_codebook_t *cb);
const eip_crypto_ct *eip_crypto_codebook_ct(const eip_crypto_codebook_t *cb, int64_t slot);
int32_t eip_crypto_codebook_label(const eip_crypto_codebook_t *cb, int64_t slot);
/* Puts the slots in a random order (rng NULL = CSPRNG; labels move with
 * their ciphertexts), as protect does: a ristretto255 one-hot over slots
 * then no longer equals the plain label. */
eip_status eip_crypto_codebook_shuffle(eip_crypto_codebook_t *cb, eip_crypto_rng_t *rng,
                                       eip_error *err);
/* First slot holding `label`, or -1. */
int64_t eip_crypto_codebook_label_slot(const eip_crypto_codebook_t *cb, int32_t label);
/* Slot of c, or -1. */
int64_t eip_crypto_codebook_find(const eip_crypto_codebook_t *cb, const eip_crypto_ct *c);
const unsigned char *eip_crypto_codebook_pk_id(const eip_crypto_codebook_t *cb);
eip_status eip_crypto_codebook_to_bytes(const eip_crypto_codebook_t *cb, unsigned char **buf,
                                        size_t *len, eip_error *err);
/* pk: the key the codebook belongs to (ids must match). */
eip_status eip_crypto_codebook_from_bytes(const eip_crypto_pk_t *pk, const unsigned char *buf,
                                          size_t len, const char *name,
                                          eip_crypto_codebook_t **out, eip_error *err);
eip_status eip_crypto_codebook_save(const eip_crypto_codebook_t *cb, const char *path, eip_error *err);
eip_status eip_crypto_codebook_load(const eip_crypto_pk_t *pk, const char *path,
                                    eip_crypto_codebook_t **out, eip_error *err);

/* Soft-label matrix file (encrypt-labels --soft): rows x cols float32 LE. */
eip_status eip_crypto_soft_save(const eip_crypto_pk_t *pk, const float *m, int64_t rows,
                                int64_t cols, const char *path, eip_error *err);
eip_status eip_crypto_soft_from_bytes(const unsigned char *buf, size_t len, const char *name,
                                      float **m, int64_t *rows, int64_t *cols, eip_error *err);

#ifdef __cplusplus
}
#endif
#endif
