/* Known-answer vectors: fixed seeds -> fixed keys, ciphertexts, codebooks and
 * soft labels, compared byte for byte with the committed golden files in
 * tests/ref/crypto/, so any change of a format, a sampler or the label
 * encoding is noticed.  Regenerate (only for an intended change, then
 * document it in docs/FORMATS.md):
 *   ./build/tests/test_crypto_kat --generate tests/ref/crypto */
#include <string.h>

#include "encryip/crypto.h"
#include "test.h"
#include "util/io.h"

typedef struct sink {
    const char *dir;
    int generate;
} sink;

static void emit(const sink *s, const char *name, const unsigned char *buf, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", s->dir, name);
    eip_error err = {0};
    if (s->generate) {
        CHECK(eip_io_write_atomic(path, buf, len, EIP_IO_MODE_PUBLIC, &err) == EIP_OK, "%s", err.msg);
        return;
    }
    unsigned char *ref;
    size_t n;
    if (eip_io_read_file(path, 1 << 20, &ref, &n, &err) != EIP_OK) {
        CHECK(0, "golden file missing: %s", err.msg);
        return;
    }
    size_t first = 0;
    while (first < n && first < len && ref[first] == buf[first])
        first++;
    CHECK(n == len && !memcmp(ref, buf, n), "%s differs from the golden file (%zu vs %zu bytes, first difference at byte %zu)",
          path, len, n, first);
    free(ref);
}

static void vectors(const sink *s, eip_crypto_group_id grp, const char *tag)
{
    eip_error err = {0};
    eip_crypto_rng_t *rng;
    REQUIRE(eip_crypto_rng_new_u64(20240101, &rng, &err) == EIP_OK, "rng");
    eip_crypto_params prm = {grp, 10, 0};
    eip_crypto_pk_t *pk;
    eip_crypto_master_t *m;
    REQUIRE(eip_crypto_gen(&prm, 3, rng, &pk, &m, &err) == EIP_OK, "gen");
    unsigned char *b;
    size_t n;
    char name[128];

    eip_crypto_pk_to_bytes(pk, &b, &n, &err);
    snprintf(name, sizeof name, "%s-public.key", tag);
    emit(s, name, b, n);
    free(b);
    eip_crypto_master_to_bytes(m, &b, &n, &err);
    snprintf(name, sizeof name, "%s-master.key", tag);
    emit(s, name, b, n);
    eip_crypto_secret_free(b, n);
    eip_crypto_sk_t *sk[4];
    for (int j = 1; j <= 3; j++) {
        eip_crypto_master_sk(m, j, &sk[j - 1], &err);
        eip_crypto_sk_to_bytes(sk[j - 1], &b, &n, &err);
        snprintf(name, sizeof name, "%s-licensee-%d.key", tag, j);
        emit(s, name, b, n);
        eip_crypto_secret_free(b, n);
    }
    REQUIRE(eip_crypto_issue(m, pk, rng, &sk[3], &err) == EIP_OK, "issue");
    eip_crypto_sk_to_bytes(sk[3], &b, &n, &err);
    snprintf(name, sizeof name, "%s-licensee-4-issued.key", tag);
    emit(s, name, b, n);
    eip_crypto_secret_free(b, n);

    /* Enc of labels 0..9, two Fakes, one SampDist */
    eip_crypto_ct c[13];
    for (int y = 0; y < 10; y++)
        eip_crypto_enc(pk, y, rng, &c[y], &err);
    eip_crypto_fake(pk, rng, &c[10], &err);
    eip_crypto_fake(pk, rng, &c[11], &err);
    eip_crypto_sampdist(pk, &c[0], rng, &c[12], &err);
    eip_crypto_cts_to_bytes(pk, c, 13, &b, &n, &err);
    snprintf(name, sizeof name, "%s-ciphertexts.ct", tag);
    emit(s, name, b, n);
    free(b);
    for (int y = 0; y < 10; y++) /* the golden ciphertexts decrypt under every key */
        for (int j = 0; j < 4; j++) {
            int32_t l;
            eip_crypto_dec_label(sk[j], &c[y], &l, &err);
            CHECK(l == y, "%s: key %d decrypts label %d to %d", tag, j + 1, y, (int)l);
        }

    eip_crypto_codebook_t *cb;
    REQUIRE(eip_crypto_codebook_build(pk, 2, rng, &cb, &err) == EIP_OK, "codebook");
    eip_crypto_codebook_to_bytes(cb, &b, &n, &err);
    snprintf(name, sizeof name, "%s-codebook.bin", tag);
    emit(s, name, b, n);
    free(b);
    if (grp == EIP_CRYPTO_GROUP_RISTRETTO255) {
        eip_crypto_ct v;
        REQUIRE(eip_crypto_fake_for(m, 2, 5, rng, &v, &err) == EIP_OK, "fake_for");
        eip_crypto_cts_to_bytes(pk, &v, 1, &b, &n, &err);
        snprintf(name, sizeof name, "%s-verification-2-label5.ct", tag);
        emit(s, name, b, n);
        free(b);
    }
    /* the label encoding itself */
    unsigned char pts[10 * 32];
    for (int y = 0; y < 10; y++) {
        eip_crypto_elem e;
        eip_crypto_label_elem(pk, y, &e, &err);
        memcpy(pts + 32 * y, e.b, 32);
    }
    snprintf(name, sizeof name, "%s-label-elements.bin", tag);
    emit(s, name, pts, sizeof pts);

    for (int j = 0; j < 4; j++)
        eip_crypto_sk_free(sk[j]);
    eip_crypto_codebook_free(cb);
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
    eip_crypto_rng_free(rng);
}

int main(int argc, char **argv)
{
    eip_error err = {0};
    REQUIRE(eip_crypto_init(&err) == EIP_OK, "init");
    sink s = {EIP_SOURCE_DIR "/tests/ref/crypto", 0};
    if (argc == 3 && !strcmp(argv[1], "--generate")) {
        s.dir = argv[2];
        s.generate = 1;
    }
    vectors(&s, EIP_CRYPTO_GROUP_PAPER, "paper");
    vectors(&s, EIP_CRYPTO_GROUP_RISTRETTO255, "ristretto255");
    TEST_MAIN_END();
}
