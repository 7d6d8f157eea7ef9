/* Combined protection (docs/PROTECT.md "Combined protection") on real
 * Fashion-MNIST (2000 training images, smallcnn w0.5):
 *   paper group, P = 3: AdvParams on the protected weights -> accuracy near
 *   chance for a thief (owner codebook) and for a licensee key without the
 *   weights key; the bundle holds the encrypted weights + keys/weights.key
 *   (0600); unlocking in memory restores the exact model (hash, accuracy);
 *   wrong / corrupted / other-model weights keys are refused with the model
 *   untouched; an unlocked model is never saved; a leaked unlocked
 *   deployment is traced to its licensee;
 *   ristretto255 smoke (P = 2): encrypt + unlock round trip, and its key is
 *   refused by the paper model. */
#include <sodium.h>
#include <sys/stat.h>

#include "pt_util.h"
#include "util/io.h"

static void net_hash(eip_nn_net_t *net, uint8_t h[EIP_ADVPARAMS_HASH_BYTES])
{
    eip_error err = {0};
    REQUIRE(eip_advparams_model_hash(net, h, &err) == EIP_OK, "%s", err.msg);
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* key_ml with sk and the owner codebook figure */
static eip_protect_accuracy accuracy(eip_protect_model_t *m, const eip_crypto_sk_t *sk,
                                     const eip_crypto_codebook_t *owner, const eip_data_set *test)
{
    eip_error err = {0};
    eip_protect_accuracy a;
    REQUIRE(eip_protect_decode_accuracy(m, sk, owner, test, NULL, &a, &err) == EIP_OK, "%s", err.msg);
    return a;
}

/* A refused unlock leaves the model locked and its weights unchanged. */
static void check_refused(eip_protect_model_t *m, const eip_advparams_key *key, eip_status want,
                          const char *what, const char *msg_part)
{
    eip_error err = {0};
    uint8_t before[EIP_ADVPARAMS_HASH_BYTES], after[EIP_ADVPARAMS_HASH_BYTES];
    net_hash(eip_protect_model_net(m), before);
    eip_status s = eip_protect_model_unlock(m, key, &err);
    CHECK(s == want, "%s: unlock gave %d (%s), wanted %d", what, (int)s, err.msg, (int)want);
    CHECK(strstr(err.msg, msg_part) != NULL, "%s: message '%s' lacks '%s'", what, err.msg, msg_part);
    fprintf(stderr, "combined: %s refused: %s\n", what, err.msg);
    net_hash(eip_protect_model_net(m), after);
    CHECK(!memcmp(before, after, sizeof before), "%s: refused unlock changed the weights", what);
    CHECK(eip_protect_model_locked(m), "%s: refused unlock unlocked the model", what);
}

int main(void)
{
    pt_env e;
    pt_env_init(&e, 2000, 400, 1, 3);
    eip_error err = {0};
    eip_crypto_rng_t *rng = NULL;
    REQUIRE(eip_crypto_rng_new_u64(21, &rng, &err) == EIP_OK, "%s", err.msg);

    /* ---- paper group: protect, reference, encrypt ---- */
    eip_protect_config cfg;
    pt_config(&e, &cfg, EIP_CRYPTO_GROUP_PAPER, 3, 0, rng);
    eip_protect_result r;
    REQUIRE(eip_protect_run(&cfg, &r, &err) == EIP_OK, "%s", err.msg);
    uint8_t h0[EIP_ADVPARAMS_HASH_BYTES], h[EIP_ADVPARAMS_HASH_BYTES];
    net_hash(r.net, h0);
    eip_protect_model_t *m = NULL;
    REQUIRE(eip_protect_model_from_result(&r, &m, &err) == EIP_OK, "%s", err.msg);
    CHECK(!eip_protect_model_advparams(m) && !eip_protect_model_locked(m), "plain protect result");
    const eip_protect_accuracy ref = accuracy(m, r.sk[1], r.codebook, &e.test);
    eip_protect_model_free(m);
    CHECK(ref.key_ml > 0.6, "protected model too weak: %.4f", ref.key_ml);

    eip_advparams_config ac8 = eip_advparams_config_default(10);
    ac8.trials = 8; /* test speed (default 32); NULL = the defaults is exercised below */
    REQUIRE(eip_protect_advparams_encrypt(&r, &e.train, 256, &ac8, &err) == EIP_OK, "%s", err.msg);
    fprintf(stderr, "combined: paper: %lld of %lld parameters changed, enc-set %.4f -> %.4f (target "
                    "%.4f, reached %d)\n", (long long)r.adv.changed, (long long)r.adv.n_params,
            r.adv.acc_before, r.adv.acc_after, r.adv_target, r.adv.reached);
    CHECK(r.adv.reached && r.adv.changed >= 1 && r.adv.changed <= 25, "AdvParams: %lld changes, reached %d",
          (long long)r.adv.changed, r.adv.reached);
    CHECK(r.adv_key.n == r.adv.changed && r.adv_enc_n == 256, "key entries %lld", (long long)r.adv_key.n);
    CHECK(eip_protect_advparams_encrypt(&r, &e.train, 256, NULL, &err) == EIP_ERR_STATE,
          "second encryption: %s", err.msg);
    net_hash(r.net, h);
    CHECK(!memcmp(h, r.adv_key.hash_enc, sizeof h), "net does not hold the encrypted weights");

    /* stolen file, in memory: near chance for a thief and for a licensee key */
    REQUIRE(eip_protect_model_from_result(&r, &m, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_protect_model_advparams(m) && eip_protect_model_locked(m), "encrypted result not locked");
    const eip_protect_accuracy st = accuracy(m, r.sk[1], r.codebook, &e.test);
    fprintf(stderr, "combined: paper: test acc %.4f -> stolen %.4f (owner codebook), %.4f (sk_2)\n",
            ref.codebook_ml, st.codebook_ml, st.key_ml);
    CHECK(st.codebook_ml < 0.3 && st.key_ml < 0.3, "stolen file still useful: %.4f / %.4f",
          st.codebook_ml, st.key_ml);

    /* ---- ristretto255 smoke: another model with its own weights key ---- */
    eip_protect_config cfg2;
    pt_config(&e, &cfg2, EIP_CRYPTO_GROUP_RISTRETTO255, 2, 8, rng);
    e.epochs = 2;
    eip_protect_result r2;
    REQUIRE(eip_protect_run(&cfg2, &r2, &err) == EIP_OK, "%s", err.msg);
    uint8_t g0[EIP_ADVPARAMS_HASH_BYTES];
    net_hash(r2.net, g0);
    eip_advparams_config ac = eip_advparams_config_default(10);
    ac.budget = 40;
    ac.trials = 8;
    REQUIRE(eip_protect_advparams_encrypt(&r2, &e.train, 200, &ac, &err) == EIP_OK, "%s", err.msg);
    fprintf(stderr, "combined: ristretto255: %lld changed, enc-set %.4f -> %.4f (reached %d)\n",
            (long long)r2.adv.changed, r2.adv.acc_before, r2.adv.acc_after, r2.adv.reached);
    CHECK(r2.adv.acc_after < r2.adv.acc_before - 0.3, "ristretto255: enc-set %.4f -> %.4f",
          r2.adv.acc_before, r2.adv.acc_after);
    eip_protect_model_t *m2 = NULL;
    REQUIRE(eip_protect_model_from_result(&r2, &m2, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_protect_model_locked(m2), "ristretto255 result not locked");
    REQUIRE(eip_protect_model_unlock(m2, &r2.adv_key, &err) == EIP_OK, "%s", err.msg);
    net_hash(r2.net, h);
    CHECK(!memcmp(h, g0, sizeof h), "ristretto255: unlocked hash differs from the original");
    CHECK(!eip_protect_model_locked(m2), "ristretto255: still locked");

    /* ---- bundle: encrypted weights + weights key ---- */
    char bundle[128], path[256], other[256];
    snprintf(bundle, sizeof bundle, "%s/b", e.dir);
    REQUIRE(eip_protect_bundle_write(&r, NULL, bundle, 0, &err) == EIP_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/keys/weights.key", bundle);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "keys/weights.key missing or not 0600");
    eip_advparams_key fk = {0};
    REQUIRE(eip_advparams_key_read(path, &fk, &err) == EIP_OK, "%s", err.msg);
    CHECK(fk.n == r.adv_key.n && !memcmp(fk.hash_enc, r.adv_key.hash_enc, sizeof fk.hash_enc),
          "weights.key differs from the result's key");
    snprintf(path, sizeof path, "%s/manifest.json", bundle);
    unsigned char *man = NULL;
    size_t man_len = 0;
    REQUIRE(eip_io_read_file(path, 1 << 20, &man, &man_len, &err) == EIP_OK, "%s", err.msg);
    man = realloc(man, man_len + 1);
    man[man_len] = '\0';
    CHECK(strstr((char *)man, "\"advparams\"") && strstr((char *)man, "keys/weights.key") &&
          strstr((char *)man, "\"enc_acc_after\""), "manifest lacks the advparams record");
    free(man);

    eip_protect_model_t *ml = NULL;
    REQUIRE(eip_protect_model_load(&e.ctx, bundle, &ml, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_protect_model_locked(ml), "loaded combined model not locked");
    net_hash(eip_protect_model_net(ml), h);
    CHECK(!memcmp(h, r.adv_key.hash_enc, sizeof h), "the file does not hold the encrypted weights");
    const eip_protect_accuracy stf = accuracy(ml, r.sk[1], r.codebook, &e.test);
    CHECK(stf.codebook_ml == st.codebook_ml, "stolen file %.4f vs in memory %.4f", stf.codebook_ml,
          st.codebook_ml);
    /* a locked model saves (encrypted) and loads locked again */
    snprintf(other, sizeof other, "%s/locked-copy", e.dir);
    CHECK(eip_protect_model_save(ml, other, 0, &err) == EIP_OK, "saving a locked model: %s", err.msg);

    /* ---- bad weights keys: refused, model untouched ---- */
    eip_advparams_key bad = fk;
    bad.hash_enc[0] ^= 1;
    check_refused(ml, &bad, EIP_ERR_CRYPTO, "key with another model hash", "another model");
    check_refused(ml, &r2.adv_key, EIP_ERR_CRYPTO, "ristretto255 model's key", "another model");
    /* right hash, but an entry that does not match the weights (a forged key) */
    eip_advparams_entry *ents = malloc((size_t)fk.n * sizeof *ents);
    memcpy(ents, fk.entries, (size_t)fk.n * sizeof *ents);
    ents[fk.n - 1].enc_bits ^= 1;
    bad.hash_enc[0] ^= 1;
    bad.entries = ents;
    check_refused(ml, &bad, EIP_ERR_CRYPTO, "forged entry", "does not hold the encrypted value");
    free(ents);
    /* corrupted key file */
    snprintf(path, sizeof path, "%s/keys/weights.key", bundle);
    unsigned char *kb = NULL;
    size_t kl = 0;
    REQUIRE(eip_io_read_file(path, 1 << 20, &kb, &kl, &err) == EIP_OK, "%s", err.msg);
    kb[kl / 2] ^= 0x40;
    snprintf(other, sizeof other, "%s/corrupt.key", e.dir);
    REQUIRE(eip_io_write_atomic(other, kb, kl, EIP_IO_MODE_SECRET, &err) == EIP_OK, "%s", err.msg);
    free(kb);
    eip_advparams_key ck = {0};
    eip_status cs = eip_advparams_key_read(other, &ck, &err);
    CHECK(cs == EIP_ERR_CHECKSUM || cs == EIP_ERR_FORMAT, "corrupted key read gave %d: %s", (int)cs,
          err.msg);

    /* ---- licensee: unlock in memory = the unencrypted model ---- */
    REQUIRE(eip_protect_model_unlock(ml, &fk, &err) == EIP_OK, "%s", err.msg);
    CHECK(!eip_protect_model_locked(ml) && eip_protect_model_advparams(ml), "unlock state");
    net_hash(eip_protect_model_net(ml), h);
    CHECK(!memcmp(h, h0, sizeof h), "unlocked hash differs from the pre-encryption model");
    const eip_protect_accuracy lic = accuracy(ml, r.sk[1], r.codebook, &e.test);
    CHECK(lic.key_ml == ref.key_ml && lic.codebook_ml == ref.codebook_ml,
          "licensee accuracy %.4f / %.4f vs unencrypted %.4f / %.4f", lic.key_ml, lic.codebook_ml,
          ref.key_ml, ref.codebook_ml);
    CHECK(eip_protect_model_unlock(ml, &fk, &err) == EIP_ERR_STATE, "second unlock: %s", err.msg);
    /* never to disk */
    snprintf(other, sizeof other, "%s/plain", e.dir);
    CHECK(eip_protect_model_save(ml, other, 0, &err) == EIP_ERR_STATE, "unlocked save: %s", err.msg);
    CHECK(strstr(err.msg, "plaintext") != NULL, "message: %s", err.msg);
    CHECK(!exists(other), "a refused save created %s", other);

    /* ---- leaked deployment of licensee 2 (unlocked): traced to 2 ---- */
    int32_t *printed = pt_suspect_labels(ml, r.sk[1], &r.verif);
    int64_t matched = 0;
    const int64_t named = pt_trace_keys(r.sk, r.licensees, &r.verif, printed, &matched);
    fprintf(stderr, "combined: leaked unlocked deployment of licensee 2 -> named %lld (%lld/%lld)\n",
            (long long)named, (long long)matched, (long long)r.verif.n);
    CHECK(named == 2, "trace named %lld", (long long)named);
    free(printed);

    /* a result whose (shared) net was unlocked is not written as a bundle */
    REQUIRE(eip_protect_model_unlock(m, &r.adv_key, &err) == EIP_OK, "%s", err.msg);
    snprintf(other, sizeof other, "%s/b2", e.dir);
    CHECK(eip_protect_bundle_write(&r, NULL, other, 0, &err) == EIP_ERR_STATE, "bundle of an unlocked "
          "result: %s", err.msg);
    CHECK(!exists(other), "a refused bundle created %s", other);

    sodium_memzero(fk.entries, (size_t)fk.n * sizeof *fk.entries);
    eip_advparams_key_free(&fk);
    eip_protect_model_free(ml);
    eip_protect_model_free(m);
    eip_protect_model_free(m2);
    eip_protect_result_free(&r);
    eip_protect_result_free(&r2);
    eip_crypto_rng_free(rng);
    pt_env_free(&e);
    TEST_MAIN_END();
}
