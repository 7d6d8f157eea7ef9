/* EncryIP end to end in the paper group (Z_11^*, 10 classes), P = 5, on
 * 2000 real Fashion-MNIST training images and 400 test images:
 *   the deployed forward pass equals eip_train_predict bit for bit;
 *   Algorithm 1 -> bundle -> Algorithm 2 -> eq. (4) with every key gives the
 *   model's own decoding accuracy; an incorrect key is near chance (and
 *   refused when checked); fresh randomness per query;
 *   eq. (5) trace names every licensee, "no licensee" for an honest model,
 *   still right after 30% pruning and after fine-tuning by the leaker;
 *   a licensee added after training decrypts and is traced by the existing
 *   Fake instances (section 4.5 (2)). */
#include "fpenv_probe.h"
#include "pt_util.h"

static void check_accuracy(eip_protect_model_t *m, eip_crypto_sk_t *const *sk, int64_t p,
                           const eip_crypto_codebook_t *owner, const eip_data_set *test, double *own)
{
    eip_error err = {0};
    eip_protect_accuracy a;
    for (int64_t j = 0; j < p; j++) {
        REQUIRE(eip_protect_decode_accuracy(m, sk[j], owner, test, NULL, &a, &err) == EIP_OK, "%s", err.msg);
        /* decrypting the confused labels = the model's own reading of the
         * labelled codebook, exactly */
        CHECK(a.key_ml >= a.codebook_ml && a.key_ml <= a.codebook_ml + a.verif_slot + 1e-12,
              "licensee %lld: key %.4f vs codebook %.4f", (long long)j + 1,
              a.key_ml, a.codebook_ml);
        CHECK(a.not_a_label == 0, "paper group: every element is a label");
        CHECK(a.key_argmax > 0.5, "arg-max decoder %.4f", a.key_argmax);
        *own = a.codebook_ml;
        CHECK(a.verif_slot <= 0.02, "%.4f of the test images decode to a verification codeword",
              a.verif_slot);
        if (j == 0)
            fprintf(stderr, "paper: %.4f of test images decode to a verification codeword\n", a.verif_slot);
    }
    CHECK(*own > 0.65, "protected accuracy %.4f too low", *own);
}

int main(void)
{
    pt_env e;
    pt_env_init(&e, 2000, 400, 1000, 3);
    eip_error err = {0};
    eip_crypto_rng_t *rng = NULL;
    REQUIRE(eip_crypto_rng_new_u64(5, &rng, &err) == EIP_OK, "%s", err.msg);
    eip_protect_config cfg;
    pt_config(&e, &cfg, EIP_CRYPTO_GROUP_PAPER, 5, 0, rng);
    eip_protect_result r;
    REQUIRE(eip_protect_run(&cfg, &r, &err) == EIP_OK, "%s", err.msg);
    CHECK(r.k == 33, "K = 3q = 33, got %lld", (long long)r.k);
    CHECK(r.verif.n == EIP_PROTECT_DEFAULT_FAKES, "V %lld", (long long)r.verif.n);
    CHECK(r.verif_memorised >= 0.9, "verification instances memorised: %.2f", r.verif_memorised);
    fprintf(stderr, "paper: test acc %.4f (ML) %.4f (argmax), memorised %.2f\n", r.test_acc_ml,
            r.test_acc_argmax, r.verif_memorised);

    /* the deployed forward pass is eip_train_predict's, bit for bit: one
     * normalisation (divide by std) and the same batch */
    {
        eip_protect_model_t *fm = NULL;
        REQUIRE(eip_protect_model_from_result(&r, &fm, &err) == EIP_OK, "%s", err.msg);
        const int64_t n = e.test.n;
        float *a = malloc((size_t)(n * r.k) * sizeof *a), *b = malloc((size_t)(n * r.k) * sizeof *b);
        REQUIRE(a && b, "out of memory");
        const int before = fp_keeps_denormals();
        REQUIRE(eip_protect_forward(fm, e.test.pixels, n, a, &err) == EIP_OK, "%s", err.msg);
        CHECK(fp_keeps_denormals() == before, "protect forward left the caller's denormal mode changed");
        REQUIRE(eip_train_predict(r.net, &e.test, r.mean, r.std, EIP_TRAIN_EVAL_BATCH, b, &err) == EIP_OK,
                "%s", err.msg);
        CHECK(memcmp(a, b, (size_t)(n * r.k) * sizeof *a) == 0,
              "protect forward differs from eip_train_predict");
        free(a);
        free(b);
        eip_protect_model_free(fm);
    }

    /* the deploy codebook hides the labels; slots are shuffled */
    int64_t label_slots_first = 1;
    for (int64_t sl = 0; sl < eip_crypto_codebook_size(r.deploy_codebook); sl++) {
        CHECK(eip_crypto_codebook_label(r.deploy_codebook, sl) == EIP_CRYPTO_NOT_A_LABEL,
              "slot %lld labelled",
              (long long)sl);
        if (sl < 10 && eip_crypto_codebook_label(r.codebook, sl) != (int32_t)sl)
            label_slots_first = 0;
    }
    CHECK(!label_slots_first, "slot order reveals the labels");

    /* ---- bundle, then everything from the files ---- */
    char bundle[128], path[256];
    snprintf(bundle, sizeof bundle, "%s/b", e.dir);
    REQUIRE(eip_protect_bundle_write(&r, NULL, bundle, 0, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_protect_bundle_write(&r, NULL, bundle, 0, &err) == EIP_ERR_STATE, "existing dir: %s", err.msg);
    eip_protect_model_t *m = NULL;
    REQUIRE(eip_protect_model_load(&e.ctx, bundle, &m, &err) == EIP_OK, "%s", err.msg);
    double own = 0;
    check_accuracy(m, r.sk, r.licensees, r.codebook, &e.test, &own);
    CHECK(fabs(own - r.test_acc_ml) < 1e-12, "loaded model %.4f vs in-memory %.4f", own, r.test_acc_ml);

    /* incorrect key: another keygen with the same group.  In Z_11^* (order
     * 10) a wrong key decrypts a g^r-randomised ciphertext to m * g^(r*d) for
     * a key-dependent d; when d is not a unit mod 10 the factor stays in a
     * subgroup and the wrong key is right far more often than 1/10 (d = 0:
     * always) — one more way the paper group is a toy (docs/PROTECT.md).
     * So: take the first seeded other keygen whose factor covers the whole
     * group (all 10 labels appear when it decrypts 200 re-randomisations of
     * one codeword) and require chance-level accuracy for it. */
    {
        eip_crypto_params prm = {EIP_CRYPTO_GROUP_PAPER, 10, 0};
        eip_crypto_pk_t *pk2 = NULL;
        eip_crypto_master_t *m2 = NULL;
        eip_crypto_sk_t *sk2 = NULL;
        for (uint64_t seed = 77; seed < 120; seed++) {
            eip_crypto_rng_t *rng2 = NULL;
            REQUIRE(eip_crypto_rng_new_u64(seed, &rng2, &err) == EIP_OK, "%s", err.msg);
            REQUIRE(eip_crypto_gen(&prm, 1, rng2, &pk2, &m2, &err) == EIP_OK, "%s", err.msg);
            REQUIRE(eip_crypto_master_sk(m2, 1, &sk2, &err) == EIP_OK, "%s", err.msg);
            eip_crypto_rng_free(rng2);
            int seen[10] = {0}, distinct = 0;
            for (int i = 0; i < 200; i++) {
                eip_crypto_ct c;
                int32_t lab;
                REQUIRE(eip_crypto_sampdist(r.pk, eip_crypto_codebook_ct(r.codebook, 0), NULL, &c, &err) ==
                            EIP_OK, "%s", err.msg);
                REQUIRE(eip_crypto_dec_label(sk2, &c, &lab, &err) == EIP_OK, "%s", err.msg);
                distinct += lab >= 0 && !seen[lab]++;
            }
            if (distinct == 10)
                break;
            fprintf(stderr, "paper: other keygen %llu: its decryptions cover only %d labels (subgroup)\n",
                    (unsigned long long)seed, distinct);
            eip_crypto_sk_free(sk2);
            eip_crypto_master_free(m2);
            eip_crypto_pk_free(pk2);
            sk2 = NULL;
            m2 = NULL;
            pk2 = NULL;
        }
        REQUIRE(sk2 != NULL, "no spreading wrong key found");
        eip_protect_accuracy a;
        REQUIRE(eip_protect_decode_accuracy(m, sk2, NULL, &e.test, NULL, &a, &err) == EIP_OK, "%s", err.msg);
        CHECK(a.key_ml <= 0.1 + 0.08, "incorrect key accuracy %.4f above chance", a.key_ml);
        fprintf(stderr, "paper: incorrect key accuracy %.4f\n", a.key_ml);
        eip_crypto_ct c[4];
        int32_t lab[4];
        REQUIRE(eip_protect_predict(m, e.test.pixels, 4, NULL, c, NULL, &err) == EIP_OK, "%s", err.msg);
        CHECK(eip_protect_decrypt(m, sk2, 1, c, 4, lab, &err) == EIP_ERR_CRYPTO, "checked key: %s", err.msg);
        CHECK(eip_protect_classify(m, sk2, e.test.pixels, 4, lab, &err) == EIP_ERR_CRYPTO, "classify");
        eip_crypto_sk_free(sk2);
        eip_crypto_master_free(m2);
        eip_crypto_pk_free(pk2);
    }

    /* fresh randomness per query: same input, different ciphertexts, same
     * label.  SampDist's r is uniform on Z_10, so two queries repeat a
     * ciphertext with probability 1/10: over 4 x 50 re-queries the repeats are
     * Binomial(200, 0.1), mean 20; > 45 has probability < 1e-8. */
    {
        enum { n = 50, rounds = 4 };
        eip_crypto_ct c1[n], c2[n];
        int32_t l1[n], l2[n];
        REQUIRE(eip_protect_predict(m, e.test.pixels, n, NULL, c1, NULL, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_protect_decrypt(m, r.sk[2], 1, c1, n, l1, &err) == EIP_OK, "%s", err.msg);
        int64_t repeats = 0;
        for (int k = 0; k < rounds; k++) {
            REQUIRE(eip_protect_predict(m, e.test.pixels, n, NULL, c2, NULL, &err) == EIP_OK, "%s", err.msg);
            for (int64_t i = 0; i < n; i++)
                repeats += memcmp(&c1[i], &c2[i], sizeof c1[i]) == 0;
            REQUIRE(eip_protect_decrypt(m, r.sk[2], 1, c2, n, l2, &err) == EIP_OK, "%s", err.msg);
            CHECK(!memcmp(l1, l2, sizeof l1), "re-query decrypts differently");
        }
        fprintf(stderr, "paper: %lld of %d re-queries repeated a ciphertext (expected ~%d)\n",
                (long long)repeats, n * rounds, n * rounds / 10);
        CHECK(repeats <= 45, "%lld of %d re-queries repeated a ciphertext", (long long)repeats, n * rounds);
    }

    /* ---- trace (eq. 5): every licensee, via the keyring of the bundle ---- */
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
        eip_protect_trace_result_free(&tr);
        free(printed);
    }
    /* honest, independently trained plain model */
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

    /* ---- licensee added after training (section 4.5 (2)) ---- */
    {
        char mpath[256], kpath[256];
        snprintf(mpath, sizeof mpath, "%s/owner/master.key", bundle);
        snprintf(kpath, sizeof kpath, "%s/late.key", e.dir);
        eip_keyring_licensee added;
        REQUIRE(eip_keyring_licensee_add(kr, mpath, "late", kpath, NULL, &added, &err) == EIP_OK,
              "%s", err.msg);
        CHECK(added.id == 6, "new licensee id %lld", (long long)added.id);
        eip_crypto_sk_t *sk6 = NULL;
        REQUIRE(eip_crypto_sk_load(kpath, &sk6, &err) == EIP_OK, "%s", err.msg);
        eip_protect_accuracy a;
        REQUIRE(eip_protect_decode_accuracy(m, sk6, r.codebook, &e.test, NULL, &a, &err) == EIP_OK,
              "%s", err.msg);
        CHECK(a.key_ml >= a.codebook_ml && a.key_ml <= a.codebook_ml + a.verif_slot + 1e-12,
              "late licensee accuracy %.4f vs %.4f", a.key_ml, a.codebook_ml);
        int32_t *printed = pt_suspect_labels(m, sk6, &v);
        eip_protect_trace_result tr;
        REQUIRE(eip_protect_trace_keyring(kr, &v, printed, &tr, &err) == EIP_OK, "%s", err.msg);
        CHECK(tr.named == 6, "late licensee traced to %lld", (long long)tr.named);
        eip_protect_trace_result_free(&tr);
        free(printed);
        eip_crypto_sk_free(sk6);
    }

    /* ---- removal attacks on the leaked copy (licensee 3) ---- */
    {
        eip_protect_model_t *leak = NULL;
        float *table = NULL;
        eip_train_targets t;
        REQUIRE(eip_protect_model_load(&e.ctx, bundle, &leak, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_protect_leaker_targets(leak, r.sk[2], &e.tune, &table, &t, &err) == EIP_OK,
              "%s", err.msg);
        eip_attack_finetune_config fc = eip_attack_finetune_config_default();
        fc.fraction = 1.0;
        fc.epochs = 2;
        fc.seed = 3;
        REQUIRE(eip_attack_finetune(eip_protect_model_net(leak), &e.tune, eip_protect_model_mean(leak),
                                    eip_protect_model_std(leak), &t, &fc, NULL, NULL, &err) == EIP_OK,
                "%s", err.msg);
        eip_protect_accuracy a;
        REQUIRE(eip_protect_decode_accuracy(leak, r.sk[2], r.codebook, &e.test, NULL, &a,
              &err) == EIP_OK, "%s", err.msg);
        fprintf(stderr, "paper: after fine-tuning on 1000 images: accuracy %.4f\n", a.key_ml);
        int32_t *printed = pt_suspect_labels(leak, r.sk[2], &v);
        int64_t matched = 0;
        CHECK(pt_trace_keys(r.sk, r.licensees, &v, printed, &matched) == 3, "fine-tuned leak not traced");
        fprintf(stderr, "paper: fine-tuned leak: %lld/%lld agree\n", (long long)matched, (long long)v.n);
        free(printed);
        free(table);
        /* 30% magnitude pruning of the (fine-tuned) copy */
        REQUIRE(eip_attack_prune(eip_protect_model_net(leak), 0.3, EIP_ATTACK_PRUNE_GLOBAL, NULL,
              &err) == EIP_OK,
                "%s", err.msg);
        printed = pt_suspect_labels(leak, r.sk[2], &v);
        CHECK(pt_trace_keys(r.sk, r.licensees, &v, printed, &matched) == 3, "pruned leak not traced");
        fprintf(stderr, "paper: fine-tuned + 30%% pruned leak: %lld/%lld agree\n", (long long)matched,
                (long long)v.n);
        free(printed);
        /* a modified leak saved as its own deploy dir still loads */
        snprintf(path, sizeof path, "%s/leak", e.dir);
        REQUIRE(eip_protect_model_save(leak, path, 0, &err) == EIP_OK, "%s", err.msg);
        eip_protect_model_free(leak);
        REQUIRE(eip_protect_model_load(&e.ctx, path, &leak, &err) == EIP_OK, "%s", err.msg);
        eip_protect_model_free(leak);
    }
    /* pruning alone, 30% */
    {
        eip_protect_model_t *leak = NULL;
        REQUIRE(eip_protect_model_load(&e.ctx, bundle, &leak, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_attack_prune(eip_protect_model_net(leak), 0.3, EIP_ATTACK_PRUNE_GLOBAL, NULL,
              &err) == EIP_OK,
                "%s", err.msg);
        int32_t *printed = pt_suspect_labels(leak, r.sk[2], &v);
        CHECK(pt_trace_keys(r.sk, r.licensees, &v, printed, NULL) == 3, "pruned leak not traced");
        free(printed);
        eip_protect_model_free(leak);
    }

    /* ---- bad input ---- */
    {
        int32_t c, h, w;
        eip_protect_model_shape(m, &c, &h, &w);
        CHECK(eip_protect_model_check_shape(m, "x.idx", 3, 32, 32, &err) == EIP_ERR_SHAPE &&
                  strstr(err.msg, "x.idx") && strstr(err.msg, "1x28x28"), "%s", err.msg);
        /* a plain model is not a protected model */
        float mean[4] = {0.3f}, std[4] = {0.3f};
        eip_nn_net_t *net = NULL;
        REQUIRE(pt_build(&e, 10, &net, &err) == EIP_OK, "%s", err.msg);
        snprintf(path, sizeof path, "%s/plain.safetensors", e.dir);
        REQUIRE(eip_nn_save(net, path, &err) == EIP_OK, "%s", err.msg);
        eip_protect_model_t *bad = NULL;
        CHECK(eip_protect_model_load(&e.ctx, path, &bad, &err) == EIP_ERR_FORMAT &&
                  strstr(err.msg, "not a protected model"), "%s", err.msg);
        (void)mean;
        (void)std;
        eip_nn_net_free(net);
    }

    eip_keyring_close(kr);
    eip_protect_verif_free(&v);
    eip_protect_model_free(m);
    eip_protect_result_free(&r);
    eip_crypto_rng_free(rng);
    pt_env_free(&e);
    TEST_MAIN_END();
}
