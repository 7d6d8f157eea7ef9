/* The ristretto255 fast path (libdecaf, src/crypto/ristretto_fast.c) against
 * libsodium, which defines the wire:
 *   1. the groups: same base point, point encodings both ways, scalar
 *      encoding/reduction/arithmetic, scalar multiplication (plain, fixed-base
 *      table, double-scalar), from_hash (the label points' map), and the
 *      same accepted set of 32-byte strings — on many random values;
 *   2. CS_lite: Enc, SampDist, Fake, Dec, dec_label and the verification
 *      decryptions give the same bytes / status on the fast path and on the
 *      plain libsodium path for the same seeded randomness;
 *   3. the batch entry points equal the one-at-a-time calls (both groups,
 *      1 and 3 threads). */
#include <decaf/point_255.h>
#include <sodium.h>
#include <string.h>

#include "crypto/internal.h"
#include "encryip/crypto.h"
#include "test.h"

#define POINTS 600

static void groups_agree(void)
{
    unsigned char a[32], b[32], one[32] = {1}, zero[32] = {0};
    crypto_scalarmult_ristretto255_base(a, one);
    decaf_255_point_encode(b, decaf_255_point_base);
    CHECK(!memcmp(a, b, 32), "base points differ");
    decaf_255_point_encode(b, decaf_255_point_identity);
    CHECK(!memcmp(b, zero, 32), "identity does not encode to zero bytes");

    int enc_bad = 0, mul_bad = 0, tab_bad = 0, dbl_bad = 0, base_bad = 0, hash_bad = 0, sc_bad = 0;
    const size_t al = decaf_255_alignof_precomputed_s < sizeof(void *) ? sizeof(void *)
                                                                       : decaf_255_alignof_precomputed_s;
    decaf_255_precomputed_s *tab = aligned_alloc(al, (decaf_255_sizeof_precomputed_s + al - 1) / al * al);
    REQUIRE(tab, "table");
    for (int i = 0; i < POINTS; i++) {
        unsigned char p[32], q[32], s1[32], s2[32], h[64], x[32], y[32], z[32];
        decaf_255_point_t P, Q, R;
        decaf_255_scalar_t S1, S2, T;
        crypto_core_ristretto255_random(p);
        crypto_core_ristretto255_random(q);
        crypto_core_ristretto255_scalar_random(s1);
        crypto_core_ristretto255_scalar_random(s2);
        /* encodings both ways */
        if (decaf_255_point_decode(P, p, DECAF_FALSE) != DECAF_SUCCESS ||
            decaf_255_point_decode(Q, q, DECAF_FALSE) != DECAF_SUCCESS) {
            enc_bad++;
            continue;
        }
        decaf_255_point_encode(x, P);
        enc_bad += memcmp(x, p, 32) != 0;
        randombytes_buf(h, sizeof h);
        decaf_255_point_from_hash_uniform(R, h);
        decaf_255_point_encode(x, R);
        enc_bad += crypto_core_ristretto255_is_valid_point(x) != 1;
        /* from_hash: libsodium's map (label points, Fake's u3) */
        crypto_core_ristretto255_from_hash(y, h);
        hash_bad += memcmp(x, y, 32) != 0;
        /* scalars */
        sc_bad += decaf_255_scalar_decode(S1, s1) != DECAF_SUCCESS;
        sc_bad += decaf_255_scalar_decode(S2, s2) != DECAF_SUCCESS;
        decaf_255_scalar_encode(x, S1);
        sc_bad += memcmp(x, s1, 32) != 0;
        crypto_core_ristretto255_scalar_reduce(y, h);
        decaf_255_scalar_decode_long(T, h, sizeof h);
        decaf_255_scalar_encode(x, T);
        sc_bad += memcmp(x, y, 32) != 0;
        crypto_core_ristretto255_scalar_mul(y, s1, s2);
        decaf_255_scalar_mul(T, S1, S2);
        decaf_255_scalar_encode(x, T);
        sc_bad += memcmp(x, y, 32) != 0;
        crypto_core_ristretto255_scalar_sub(y, s1, s2);
        decaf_255_scalar_sub(T, S1, S2);
        decaf_255_scalar_encode(x, T);
        sc_bad += memcmp(x, y, 32) != 0;
        unsigned char big[32]; /* >= L: decaf reports it, libsodium's check rejects it too */
        memcpy(big, h, 32);
        big[31] |= 0x10;
        big[31] &= 0x1f;
        unsigned char wide[64] = {0};
        memcpy(wide, big, 32);
        crypto_core_ristretto255_scalar_reduce(y, wide);
        sc_bad += (decaf_255_scalar_decode(T, big) == DECAF_SUCCESS) != (memcmp(y, big, 32) == 0);
        /* scalar multiplication: variable base, fixed-base table, double */
        if (crypto_scalarmult_ristretto255(y, s1, p) != 0)
            memset(y, 0, 32);
        decaf_255_point_scalarmul(R, P, S1);
        decaf_255_point_encode(x, R);
        mul_bad += memcmp(x, y, 32) != 0;
        decaf_255_precompute(tab, P);
        decaf_255_precomputed_scalarmul(R, tab, S1);
        decaf_255_point_encode(x, R);
        tab_bad += memcmp(x, y, 32) != 0;
        if (crypto_scalarmult_ristretto255(z, s2, q) != 0)
            memset(z, 0, 32);
        crypto_core_ristretto255_add(y, y, z);
        decaf_255_point_double_scalarmul(R, P, S1, Q, S2);
        decaf_255_point_encode(x, R);
        dbl_bad += memcmp(x, y, 32) != 0;
        crypto_scalarmult_ristretto255_base(y, s1);
        decaf_255_precomputed_scalarmul(R, decaf_255_precomputed_base, S1);
        decaf_255_point_encode(x, R);
        base_bad += memcmp(x, y, 32) != 0;
    }
    free(tab);
    CHECK(!enc_bad, "%d point encodings differ", enc_bad);
    CHECK(!hash_bad, "%d from_hash results differ", hash_bad);
    CHECK(!sc_bad, "%d scalar encodings/operations differ", sc_bad);
    CHECK(!mul_bad, "%d scalar multiplications differ", mul_bad);
    CHECK(!tab_bad, "%d fixed-base multiplications differ", tab_bad);
    CHECK(!dbl_bad, "%d double-scalar multiplications differ", dbl_bad);
    CHECK(!base_bad, "%d base-point multiplications differ", base_bad);

    /* Accepted strings: libsodium 1.0.18 ignores bit 255, decaf rejects it;
     * with bit 255 cleared (what ristretto_fast.c does) the sets agree. */
    int acc_bad = 0, valid = 0, hi = 0;
    for (int i = 0; i < 40000; i++) {
        unsigned char w[32];
        randombytes_buf(w, 32);
        if (i % 4 == 0) { /* near p = 2^255 - 19: non-canonical field elements */
            memset(w + 1, 0xff, 30);
            w[31] = (unsigned char)(0x7f | (w[31] & 0x80));
        }
        int sod = crypto_core_ristretto255_is_valid_point(w) == 1;
        decaf_255_point_t P;
        hi += sod && (w[31] & 0x80) && decaf_255_point_decode(P, w, DECAF_TRUE) != DECAF_SUCCESS;
        w[31] &= 0x7f;
        int dec = decaf_255_point_decode(P, w, DECAF_TRUE) == DECAF_SUCCESS;
        valid += sod;
        acc_bad += sod != dec;
    }
    CHECK(!acc_bad, "%d byte strings accepted by one library only", acc_bad);
    CHECK(valid > 1000 && hi > 100, "too few valid strings (%d, %d with bit 255) to compare", valid, hi);
    CHECK(crypto_core_ristretto255_is_valid_point(zero) == 1, "identity");
}

/* One CS_lite round on pk/sk with the given seed; out: every output. */
typedef struct round_out {
    eip_crypto_ct enc, sd, fake, fake_for;
    eip_crypto_elem dec, dec_fake, fds[3];
    int32_t lab, lab_fake, lab_for, bad_lab[3];
    eip_status bad_dec[3], bad_sd[3], bad_dl[3];
} round_out;

static void one_round(eip_crypto_pk_t *pk, eip_crypto_sk_t *sk, eip_crypto_master_t *m, uint64_t seed,
                      round_out *o)
{
    eip_error err = {0};
    eip_crypto_rng_t *rng;
    REQUIRE(eip_crypto_rng_new_u64(seed, &rng, &err) == EIP_OK, "rng");
    memset(o, 0, sizeof *o);
    int32_t y = (int32_t)(seed % 10);
    CHECK(eip_crypto_enc(pk, y, rng, &o->enc, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_crypto_sampdist(pk, &o->enc, rng, &o->sd, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_crypto_fake(pk, rng, &o->fake, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_crypto_dec(sk, &o->sd, &o->dec, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_crypto_dec(sk, &o->fake, &o->dec_fake, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_crypto_dec_label(sk, &o->sd, &o->lab, &err) == EIP_OK && o->lab == y, "label %d != %d",
          (int)o->lab, (int)y);
    CHECK(eip_crypto_dec_label(sk, &o->fake, &o->lab_fake, &err) == EIP_OK, "%s", err.msg);
    if (seed % 8 == 0) {
        CHECK(eip_crypto_fake_for(m, 2, y, rng, &o->fake_for, &err) == EIP_OK, "%s", err.msg);
        CHECK(eip_crypto_dec_label(sk, &o->fake_for, &o->lab_for, &err) == EIP_OK && o->lab_for == y,
              "verification ciphertext for licensee 2 decrypts to %d, not %d", (int)o->lab_for, (int)y);
        CHECK(eip_crypto_fake_decryptions(m, &o->fake_for, o->fds, &err) == EIP_OK, "%s", err.msg);
    }
    /* a ciphertext with one element replaced by random bytes: same verdict */
    for (int i = 0; i < 3; i++) {
        eip_crypto_ct c = o->sd, d;
        eip_crypto_elem mm;
        eip_rng_bytes(rng, c.u[i].b, 32);
        o->bad_dec[i] = eip_crypto_dec(sk, &c, &mm, NULL);
        o->bad_dl[i] = eip_crypto_dec_label(sk, &c, &o->bad_lab[i], NULL);
        o->bad_sd[i] = eip_crypto_sampdist(pk, &c, rng, &d, NULL);
    }
    eip_crypto_rng_free(rng);
}

static void set_plain(eip_crypto_pk_t *pk, eip_crypto_sk_t *sk, eip_crypto_master_t *m, bool plain)
{
    pk->grp.plain = sk->grp.plain = m->grp.plain = plain;
}

static void cslite_agrees(void)
{
    eip_error err = {0};
    eip_crypto_rng_t *rng;
    REQUIRE(eip_crypto_rng_new_u64(77, &rng, &err) == EIP_OK, "rng");
    eip_crypto_params prm = {EIP_CRYPTO_GROUP_RISTRETTO255, 10, 0};
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *m;
    eip_crypto_sk_t *sk;
    REQUIRE(eip_crypto_gen(&prm, 3, rng, &pk, &m, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_master_sk(m, 2, &sk, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(pk->fast, "ristretto255 public key without fixed-base tables");
    REQUIRE(sk->labels, "ristretto255 secret key (10 classes) without decoded label points");
    int invalid_seen = 0;
    for (uint64_t seed = 1; seed <= 48; seed++) {
        round_out fast, plain;
        set_plain(pk, sk, m, false);
        one_round(pk, sk, m, seed, &fast);
        set_plain(pk, sk, m, true);
        one_round(pk, sk, m, seed, &plain);
        CHECK(!memcmp(&fast, &plain, sizeof fast), "seed %llu: fast and plain CS_lite outputs differ",
              (unsigned long long)seed);
        for (int i = 0; i < 3; i++)
            invalid_seen += fast.bad_dec[i] != EIP_OK;
    }
    CHECK(invalid_seen > 10, "random elements were almost never invalid (%d): the check tested nothing",
          invalid_seen);
    /* the same key read back from bytes gets its tables too */
    unsigned char *b;
    size_t n;
    eip_crypto_pk_t *pk2;
    REQUIRE(eip_crypto_pk_to_bytes(pk, &b, &n, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_pk_from_bytes(b, n, "pk", &pk2, &err) == EIP_OK, "%s", err.msg);
    CHECK(pk2->fast != NULL, "loaded public key has no tables");
    free(b);
    eip_crypto_pk_free(pk2);
    eip_crypto_sk_free(sk);
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
    eip_crypto_rng_free(rng);
}

static void batch_agrees(eip_crypto_group_id grp)
{
    enum { N = 37 };
    eip_error err = {0};
    eip_crypto_params prm = {grp, 10, 0};
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *m;
    eip_crypto_sk_t *sk;
    REQUIRE(eip_crypto_gen(&prm, 3, NULL, &pk, &m, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_master_sk(m, 1, &sk, &err) == EIP_OK, "%s", err.msg);
    eip_crypto_ct in[N], seq[N], bat[N];
    int32_t want[N], got[N];
    /* like a deployment: inputs repeat (codewords), decoded once per batch */
    for (int i = 0; i < N; i++)
        if (i < 10)
            REQUIRE(eip_crypto_enc(pk, i, NULL, &in[i], &err) == EIP_OK, "%s", err.msg);
        else
            in[i] = in[i % 10];
    for (int threads = 1; threads <= 3; threads += 2) {
        eip_crypto_rng_t *r1, *r2;
        REQUIRE(eip_crypto_rng_new_u64(5, &r1, &err) == EIP_OK && eip_crypto_rng_new_u64(5, &r2, &err) == EIP_OK,
                "rng");
        for (int i = 0; i < N; i++)
            REQUIRE(eip_crypto_sampdist(pk, &in[i], r1, &seq[i], &err) == EIP_OK, "%s", err.msg);
        CHECK(eip_crypto_sampdist_batch(pk, in, N, r2, threads, bat, &err) == EIP_OK, "%s", err.msg);
        CHECK(!memcmp(seq, bat, sizeof seq), "%s: batch SampDist (%d threads) differs from single calls",
              eip_crypto_group_name(grp), threads);
        for (int i = 0; i < N; i++)
            want[i] = i % 10;
        if (grp == EIP_CRYPTO_GROUP_RISTRETTO255)
            memset(bat[N - 1].u[2].b, 0xee, 32); /* not a point: ⊥ */
        else
            memset(bat[N - 1].u[2].b, 0, 32); /* 0 is not in Z_q^* */
        want[N - 1] = EIP_CRYPTO_NOT_A_LABEL;
        memset(got, 0x55, sizeof got);
        CHECK(eip_crypto_dec_label_batch(sk, bat, N, threads, got, &err) == EIP_OK, "%s", err.msg);
        CHECK(!memcmp(got, want, sizeof got), "%s: batch Dec (%d threads) gives wrong labels",
              eip_crypto_group_name(grp), threads);
        /* an invalid input is reported with its item number */
        eip_crypto_ct one[N];
        memcpy(one, in, sizeof one);
        one[20].u[0] = bat[N - 1].u[2];
        one[25] = one[20]; /* a repeated bad input: the first item is named */
        CHECK(eip_crypto_sampdist_batch(pk, one, N, NULL, threads, one, &err) == EIP_ERR_CRYPTO &&
                  strstr(err.msg, "item 20") && strstr(err.msg, "u1"),
              "bad item not reported: %s", err.msg);
        eip_crypto_rng_free(r1);
        eip_crypto_rng_free(r2);
    }
    eip_crypto_sk_free(sk);
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
}

/* SampDist of codebook slots (the codewords kept decoded): the same
 * ciphertexts as sampdist_batch on the slots' codewords, on the library path
 * and on the plain one, one at a time and in batches; bad slots and another
 * key's codebook are refused. */
static void slots_agree(eip_crypto_group_id grp)
{
    enum { N = 29 };
    eip_error err = {0};
    eip_crypto_params prm = {grp, 10, 0};
    eip_crypto_pk_t *pk, *pk2;
    eip_crypto_master_t *m, *m2;
    eip_crypto_codebook_t *cb, *cb2;
    REQUIRE(eip_crypto_gen(&prm, 3, NULL, &pk, &m, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_gen(&prm, 3, NULL, &pk2, &m2, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_codebook_build(pk, 6, NULL, &cb, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_codebook_build(pk2, 6, NULL, &cb2, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_codebook_shuffle(cb, NULL, &err) == EIP_OK, "%s", err.msg);
    CHECK((eip_codebook_pts(cb) != NULL) == (grp == EIP_CRYPTO_GROUP_RISTRETTO255),
          "%s: codebook points prepared wrongly", eip_crypto_group_name(grp));
    { /* a loaded codebook is prepared too; adding a slot drops the points */
        unsigned char *buf;
        size_t len;
        eip_crypto_codebook_t *back;
        eip_crypto_ct extra;
        REQUIRE(eip_crypto_codebook_to_bytes(cb, &buf, &len, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_crypto_codebook_from_bytes(pk, buf, len, "cb", &back, &err) == EIP_OK, "%s", err.msg);
        CHECK((eip_codebook_pts(back) != NULL) == (grp == EIP_CRYPTO_GROUP_RISTRETTO255),
              "%s: loaded codebook not prepared", eip_crypto_group_name(grp));
        REQUIRE(eip_crypto_fake(pk, NULL, &extra, &err) == EIP_OK, "%s", err.msg);
        if (eip_crypto_codebook_find(back, &extra) < 0) {
            REQUIRE(eip_crypto_codebook_add(back, &extra, EIP_CRYPTO_NOT_A_LABEL, NULL, &err) == EIP_OK, "%s",
                    err.msg);
            CHECK(eip_codebook_pts(back) == NULL, "points kept after add");
        }
        free(buf);
        eip_crypto_codebook_free(back);
    }
    int64_t slots[N];
    eip_crypto_ct in[N], want[N], got[N];
    for (int i = 0; i < N; i++) {
        slots[i] = (i * 7) % eip_crypto_codebook_size(cb);
        in[i] = *eip_crypto_codebook_ct(cb, slots[i]);
    }
    for (int plain = 0; plain <= 1; plain++) {
        pk->grp.plain = plain;
        for (int threads = 1; threads <= 3; threads += 2) {
            eip_crypto_rng_t *r1, *r2;
            REQUIRE(eip_crypto_rng_new_u64(9, &r1, &err) == EIP_OK && eip_crypto_rng_new_u64(9, &r2, &err) == EIP_OK,
                    "rng");
            REQUIRE(eip_crypto_sampdist_batch(pk, in, N, r1, threads, want, &err) == EIP_OK, "%s", err.msg);
            if (threads == 1) /* one at a time, as a server answers */
                for (int i = 0; i < N; i++)
                    CHECK(eip_crypto_sampdist_slots(pk, cb, &slots[i], 1, r2, 1, &got[i], &err) == EIP_OK, "%s",
                          err.msg);
            else
                CHECK(eip_crypto_sampdist_slots(pk, cb, slots, N, r2, threads, got, &err) == EIP_OK, "%s",
                      err.msg);
            CHECK(!memcmp(want, got, sizeof want), "%s%s: SampDist of slots (%d threads) differs from the batch",
                  eip_crypto_group_name(grp), plain ? " (plain)" : "", threads);
            eip_crypto_rng_free(r1);
            eip_crypto_rng_free(r2);
        }
    }
    pk->grp.plain = false;
    /* fresh randomness: a new ciphertext of the same plaintext (ristretto255:
     * the paper group is small enough to repeat one) */
    eip_crypto_ct a, b;
    if (grp == EIP_CRYPTO_GROUP_RISTRETTO255)
        CHECK(eip_crypto_sampdist_slots(pk, cb, &slots[0], 1, NULL, 1, &a, &err) == EIP_OK &&
                  eip_crypto_sampdist_slots(pk, cb, &slots[0], 1, NULL, 1, &b, &err) == EIP_OK &&
                  memcmp(&a, &b, sizeof a),
              "%s: SampDist of a slot repeats itself", eip_crypto_group_name(grp));
    int64_t bad[2] = {0, eip_crypto_codebook_size(cb)};
    CHECK(eip_crypto_sampdist_slots(pk, cb, bad, 2, NULL, 1, got, &err) == EIP_ERR_RANGE && strstr(err.msg, "item 1"),
          "slot out of range not refused: %s", err.msg);
    bad[1] = -1;
    CHECK(eip_crypto_sampdist_slots(pk, cb, bad, 2, NULL, 1, got, &err) == EIP_ERR_RANGE, "slot -1 not refused");
    CHECK(eip_crypto_sampdist_slots(pk, cb2, slots, 1, NULL, 1, got, &err) == EIP_ERR_CRYPTO &&
              strstr(err.msg, "another public key"),
          "another key's codebook not refused: %s", err.msg);
    eip_crypto_codebook_free(cb);
    eip_crypto_codebook_free(cb2);
    eip_crypto_pk_free(pk);
    eip_crypto_pk_free(pk2);
    eip_crypto_master_free(m);
    eip_crypto_master_free(m2);
}

int main(void)
{
    REQUIRE(eip_crypto_init(NULL) == EIP_OK, "init");
    groups_agree();
    cslite_agrees();
    batch_agrees(EIP_CRYPTO_GROUP_RISTRETTO255);
    batch_agrees(EIP_CRYPTO_GROUP_PAPER);
    slots_agree(EIP_CRYPTO_GROUP_RISTRETTO255);
    slots_agree(EIP_CRYPTO_GROUP_PAPER);
    TEST_MAIN_END();
}
