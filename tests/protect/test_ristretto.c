/* EncryIP end to end in ristretto255 (128-bit), P = 5, with targeted
 * verification ciphertexts (eip_crypto_fake_for: label m under licensee j
 * only, no label under any other key):
 *   decryption with every key = the model's own decoding; a key of another
 *   keygen gives no labels at all; trace names every licensee and no one for
 *   an honest model; a licensee added after training decrypts everything
 *   but is NOT traceable by the existing instances (no instance decrypts to
 *   a label under its key) — the documented cost of ristretto255. */
#include "pt_util.h"

int main(void)
{
    pt_env e;
    pt_env_init(&e, 2000, 400, 0, 3);
    eip_error err = {0};
    eip_crypto_rng_t *rng = NULL;
    REQUIRE(eip_crypto_rng_new_u64(9, &rng, &err) == EIP_OK, "%s", err.msg);
    eip_protect_config cfg;
    pt_config(&e, &cfg, EIP_CRYPTO_GROUP_RISTRETTO255, 5, 8, rng);
    cfg.verif_reps = 40;
    eip_protect_result r;
    REQUIRE(eip_protect_run(&cfg, &r, &err) == EIP_OK, "%s", err.msg);
    CHECK(r.k == 10 + 5 * 8, "K = z + P*8 = 50, got %lld", (long long)r.k);
    CHECK(r.verif_memorised >= 0.9, "verification instances memorised: %.2f", r.verif_memorised);
    fprintf(stderr, "ristretto: test acc %.4f, memorised %.2f\n", r.test_acc_ml, r.verif_memorised);
    for (int64_t i = 0; i < r.verif.n; i++) {
        CHECK(r.verif.kind[i] == EIP_KEYRING_VERIF_TARGETED, "instance %lld kind", (long long)i);
        CHECK(r.verif.licensee[i] == 1 + i / 8, "instance %lld licensee", (long long)i);
    }

    char bundle[128], path[256];
    snprintf(bundle, sizeof bundle, "%s/b", e.dir);
    REQUIRE(eip_protect_bundle_write(&r, NULL, bundle, 0, &err) == EIP_OK, "%s", err.msg);
    eip_protect_model_t *m = NULL;
    REQUIRE(eip_protect_model_load(&e.ctx, bundle, &m, &err) == EIP_OK, "%s", err.msg);
    eip_protect_accuracy a;
    for (int64_t j = 0; j < r.licensees; j++) {
        REQUIRE(eip_protect_decode_accuracy(m, r.sk[j], r.codebook, &e.test, NULL, &a, &err) == EIP_OK, "%s",
                err.msg);
        CHECK(a.key_ml >= a.codebook_ml && a.key_ml <= a.codebook_ml + a.verif_slot + 1e-12,
              "licensee %lld: %.4f vs %.4f", (long long)j + 1, a.key_ml,
              a.codebook_ml);
        CHECK(a.key_ml > 0.65, "accuracy %.4f", a.key_ml);
    }
    {   /* a key of another keygen: nothing decrypts to a label */
        eip_crypto_params prm = {EIP_CRYPTO_GROUP_RISTRETTO255, 10, 0};
        eip_crypto_pk_t *pk2 = NULL;
        eip_crypto_master_t *m2 = NULL;
        eip_crypto_sk_t *sk2 = NULL;
        REQUIRE(eip_crypto_gen(&prm, 1, NULL, &pk2, &m2, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_crypto_master_sk(m2, 1, &sk2, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_protect_decode_accuracy(m, sk2, NULL, &e.test, NULL, &a, &err) == EIP_OK, "%s", err.msg);
        CHECK(a.key_ml <= 0.02 && a.not_a_label >= 0.98, "incorrect key: acc %.4f, not-a-label %.4f",
              a.key_ml, a.not_a_label);
        int32_t lab[2];
        CHECK(eip_protect_classify(m, sk2, e.test.pixels, 2, lab, &err) == EIP_ERR_CRYPTO, "classify");
        eip_crypto_sk_free(sk2);
        eip_crypto_master_free(m2);
        eip_crypto_pk_free(pk2);
    }
    {   /* fresh ciphertexts per query */
        eip_crypto_ct c1[20], c2[20];
        REQUIRE(eip_protect_predict(m, e.test.pixels, 20, NULL, c1, NULL, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_protect_predict(m, e.test.pixels, 20, NULL, c2, NULL, &err) == EIP_OK, "%s", err.msg);
        for (int i = 0; i < 20; i++) {
            CHECK(memcmp(&c1[i], &c2[i], sizeof c1[i]), "repeated ciphertext %d", i);
            CHECK(eip_crypto_codebook_find(r.codebook, &c1[i]) < 0, "output %d is a raw codeword", i);
        }
    }

    eip_protect_verif v;
    snprintf(path, sizeof path, "%s/owner/verification.json", bundle);
    REQUIRE(eip_protect_verif_load(eip_protect_model_pk(m), path, &v, &err) == EIP_OK, "%s", err.msg);
    eip_keyring_t *kr = NULL;
    snprintf(path, sizeof path, "%s/owner/keyring.sqlite", bundle);
    REQUIRE(eip_keyring_open(path, &kr, &err) == EIP_OK, "%s", err.msg);
    for (int64_t j = 1; j <= 5; j++) {
        int32_t *printed = pt_suspect_labels(m, r.sk[j - 1], &v);
        eip_protect_trace_result tr;
        REQUIRE(eip_protect_trace_keyring(kr, &v, printed, &tr, &err) == EIP_OK, "%s", err.msg);
        CHECK(tr.named == j, "leak by licensee %lld traced to %lld", (long long)j, (long long)tr.named);
        for (int64_t k = 0; k < tr.licensees; k++)
            CHECK(tr.total[k] == 8, "licensee %lld has %lld targeted instances", (long long)tr.id[k],
                  (long long)tr.total[k]);
        eip_protect_trace_result_free(&tr);
        free(printed);
    }
    {
        float mean[4], std[4];
        eip_nn_net_t *plain = pt_plain_model(&e, mean, std);
        float *y = malloc((size_t)v.n * 10 * sizeof *y);
        int32_t *printed = malloc((size_t)v.n * sizeof *printed);
        REQUIRE(eip_train_predict(plain, &v.images, mean, std, 64, y, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_train_argmax(y, v.n, 10, printed, &err) == EIP_OK, "%s", err.msg);
        CHECK(pt_trace_keys(r.sk, r.licensees, &v, printed, NULL) == 0, "honest model named a licensee");
        free(y);
        free(printed);
        eip_nn_net_free(plain);
    }
    {   /* licensee added after training */
        char mpath[256], kpath[256];
        snprintf(mpath, sizeof mpath, "%s/owner/master.key", bundle);
        snprintf(kpath, sizeof kpath, "%s/late.key", e.dir);
        eip_keyring_licensee added;
        REQUIRE(eip_keyring_licensee_add(kr, mpath, "late", kpath, NULL, &added, &err) == EIP_OK,
              "%s", err.msg);
        eip_crypto_sk_t *sk6 = NULL;
        REQUIRE(eip_crypto_sk_load(kpath, &sk6, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_protect_decode_accuracy(m, sk6, r.codebook, &e.test, NULL, &a, &err) == EIP_OK,
              "%s", err.msg);
        CHECK(a.key_ml >= a.codebook_ml && a.key_ml <= a.codebook_ml + a.verif_slot + 1e-12,
              "late licensee accuracy %.4f vs %.4f", a.key_ml, a.codebook_ml);
        int32_t *printed = pt_suspect_labels(m, sk6, &v);
        eip_protect_trace_result tr;
        REQUIRE(eip_protect_trace_keyring(kr, &v, printed, &tr, &err) == EIP_OK, "%s", err.msg);
        CHECK(tr.named == 0, "late licensee cannot be traced by the old instances, named %lld",
              (long long)tr.named);
        CHECK(tr.licensees == 6 && tr.total[5] == 0, "late licensee has %lld instances",
              (long long)(tr.licensees == 6 ? tr.total[5] : -1));
        eip_protect_trace_result_free(&tr);
        free(printed);
        eip_crypto_sk_free(sk6);
    }
    eip_keyring_close(kr);
    eip_protect_verif_free(&v);
    eip_protect_model_free(m);
    eip_protect_result_free(&r);
    eip_crypto_rng_free(rng);
    pt_env_free(&e);
    TEST_MAIN_END();
}
