/* Keyring life cycle: create -> add -> list -> revoke -> reopen, unique
 * names, late licensees decrypt old ciphertexts and are traceable (paper
 * section 4.5 (2) + eq. (5)), verify-key, verification ciphertexts, log,
 * file modes. */
#include "kr_tutil.h"

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    unsigned char *buf = malloc(1 << 16);
    *len = buf ? fread(buf, 1, 1 << 16, fp) : 0;
    fclose(fp);
    return buf;
}

static int time_ok(const char *t)
{
    return strlen(t) == 20 && t[4] == '-' && t[10] == 'T' && t[19] == 'Z';
}

static void test_lifecycle_paper(void)
{
    kr_fixture f;
    /* paper group with q = 101: room for 100 licensees, and targeted
     * verification ciphertexts are feasible (q-1 > z). */
    kr_setup(&f, "basic", EIP_CRYPTO_GROUP_PAPER, 101, 3, 7);
    eip_error err = {0};
    CHECK(kr_mode(f.ring) == 0600, "keyring mode %o", kr_mode(f.ring));
    eip_keyring_t *kr = kr_open(f.ring);
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", f.ring);
    CHECK(kr_mode(wal) == 0600 || kr_mode(wal) == -1, "-wal mode %o", kr_mode(wal));

    /* ciphertexts made before any new licensee exists */
    eip_crypto_rng_t *rng = NULL;
    REQUIRE(eip_crypto_rng_new_u64(99, &rng, &err) == EIP_OK, "%s", err.msg);
    eip_crypto_ct before[10], fake;
    for (int y = 0; y < 10; y++)
        REQUIRE(eip_crypto_enc(f.pk, y, rng, &before[y], &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_fake(f.pk, rng, &fake, &err) == EIP_OK, "%s", err.msg);
    eip_keyring_verif vf = {0};
    vf.kind = EIP_KEYRING_VERIF_FAKE;
    vf.label = EIP_CRYPTO_NOT_A_LABEL;
    vf.instance = 0;
    snprintf(vf.model, sizeof vf.model, "model-a");
    vf.ct = fake;
    CHECK(eip_keyring_verif_add(kr, &vf, 1, &err) == EIP_OK, "verif add: %s", err.msg);

    /* add two licensees; the first also writes its key file */
    char alice_key[320];
    snprintf(alice_key, sizeof alice_key, "%s/alice.key", f.dir);
    eip_keyring_licensee who;
    CHECK(eip_keyring_licensee_add(kr, f.master, "alice", alice_key, NULL, &who, &err) == EIP_OK,
          "add alice: %s", err.msg);
    CHECK(who.id == 4 && !strcmp(who.name, "alice") && time_ok(who.created), "alice = %lld",
          (long long)who.id);
    CHECK(kr_mode(alice_key) == 0600, "alice.key mode %o", kr_mode(alice_key));
    CHECK(eip_keyring_licensee_add(kr, f.master, "bob", NULL, NULL, &who, &err) == EIP_OK, "add bob: %s",
          err.msg);
    CHECK(who.id == 5, "bob = %lld", (long long)who.id);
    CHECK(kr_mode(f.master) == 0600, "master mode %o", kr_mode(f.master));

    /* duplicate name: clear error, nothing changed (keyring nor master key) */
    size_t l0, l1;
    unsigned char *m0 = slurp(f.master, &l0);
    char dup_key[320];
    snprintf(dup_key, sizeof dup_key, "%s/dup.key", f.dir);
    eip_status s = eip_keyring_licensee_add(kr, f.master, "alice", dup_key, NULL, NULL, &err);
    CHECK(s == EIP_ERR_ARG && strstr(err.msg, "'alice' is taken") && strstr(err.msg, f.ring),
          "dup: %d %s", s, err.msg);
    unsigned char *m1 = slurp(f.master, &l1);
    CHECK(m0 && m1 && l0 == l1 && !memcmp(m0, m1, l0), "master key changed by a refused add");
    CHECK(kr_mode(dup_key) == -1, "dup key file written");
    free(m0);
    free(m1);
    /* bad names, existing --out */
    CHECK(eip_keyring_licensee_add(kr, f.master, "", NULL, NULL, NULL, &err) == EIP_ERR_ARG, "empty name");
    CHECK(eip_keyring_licensee_add(kr, f.master, "a\nb", NULL, NULL, NULL, &err) == EIP_ERR_ARG,
          "control char");
    CHECK(eip_keyring_licensee_add(kr, f.master, "carol", alice_key, NULL, NULL, &err) == EIP_ERR_STATE &&
              strstr(err.msg, alice_key),
          "existing out: %s", err.msg);

    eip_keyring_licensee *ls = NULL;
    int64_t n = 0;
    REQUIRE(eip_keyring_licensee_list(kr, &ls, &n, &err) == EIP_OK, "%s", err.msg);
    CHECK(n == 5, "n = %lld", (long long)n);
    for (int64_t i = 0; i < n; i++)
        CHECK(ls[i].id == i + 1 && !ls[i].revoked[0] && time_ok(ls[i].created), "row %lld", (long long)i);
    CHECK(n == 5 && !strcmp(ls[0].name, "licensee-1") && !strcmp(ls[3].name, "alice"), "names");
    free(ls);

    /* revoke by name and by id; twice; unknown */
    CHECK(eip_keyring_licensee_revoke(kr, 0, "alice", &who, &err) == EIP_OK && who.id == 4 &&
              time_ok(who.revoked),
          "revoke alice: %s", err.msg);
    CHECK(eip_keyring_licensee_revoke(kr, 2, NULL, NULL, &err) == EIP_OK, "revoke 2: %s", err.msg);
    s = eip_keyring_licensee_revoke(kr, 4, NULL, NULL, &err);
    CHECK(s == EIP_ERR_STATE && strstr(err.msg, "already revoked"), "twice: %s", err.msg);
    CHECK(eip_keyring_licensee_revoke(kr, 99, NULL, NULL, &err) == EIP_ERR_NOT_FOUND, "unknown id");
    CHECK(eip_keyring_licensee_revoke(kr, 0, "zed", NULL, &err) == EIP_ERR_NOT_FOUND &&
              strstr(err.msg, "zed"),
          "unknown name: %s", err.msg);
    eip_keyring_close(kr);

    /* reopen: everything persisted */
    kr = kr_open(f.ring);
    REQUIRE(eip_keyring_licensee_list(kr, &ls, &n, &err) == EIP_OK, "%s", err.msg);
    CHECK(n == 5, "after reopen n = %lld", (long long)n);
    for (int64_t i = 0; i < n; i++)
        CHECK(!!ls[i].revoked[0] == (ls[i].id == 2 || ls[i].id == 4), "revoked flag of %lld",
              (long long)ls[i].id);
    free(ls);
    CHECK(eip_keyring_licensee_find(kr, "bob", &who, &err) == EIP_OK && who.id == 5, "find bob");

    /* the late licensee decrypts ciphertexts made before it existed */
    eip_crypto_sk_t *alice = NULL, *alice_file = NULL;
    REQUIRE(eip_keyring_licensee_sk(kr, 4, &alice, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_sk_load(alice_key, &alice_file, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_crypto_sk_equal(alice, alice_file), "alice.key differs from the keyring");
    for (int y = 0; y < 10; y++) {
        int32_t got = -5;
        CHECK(eip_crypto_dec_label(alice, &before[y], &got, &err) == EIP_OK && got == y,
              "alice decrypts label %d as %d", y, (int)got);
    }
    /* traceable: Fake decrypts differently under every key; eq. (5) names her */
    int64_t *ids = NULL;
    eip_crypto_elem *dec = NULL;
    REQUIRE(eip_keyring_decryptions(kr, &fake, &ids, &dec, &n, &err) == EIP_OK, "%s", err.msg);
    CHECK(n == 5, "decryptions %lld", (long long)n);
    for (int64_t a = 0; a < n; a++)
        for (int64_t b = a + 1; b < n; b++)
            CHECK(memcmp(&dec[a], &dec[b], sizeof dec[a]), "licensees %lld and %lld decrypt Fake alike",
                  (long long)ids[a], (long long)ids[b]);
    eip_crypto_elem obs;
    REQUIRE(eip_crypto_dec(alice, &fake, &obs, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_keyring_match(kr, &fake, &obs, &who, &err) == EIP_OK && who.id == 4 && who.revoked[0],
          "trace -> %lld: %s", (long long)who.id, err.msg);
    eip_crypto_elem nobody;
    memset(&nobody, 0, sizeof nobody);
    for (unsigned v = 1; v < 101; v++) { /* an element no licensee decrypts Fake to */
        int used = 0;
        nobody.b[0] = (unsigned char)v;
        for (int64_t a = 0; a < n; a++)
            used |= !memcmp(&dec[a], &nobody, sizeof nobody);
        if (!used)
            break;
    }
    CHECK(eip_keyring_match(kr, &fake, &nobody, NULL, &err) == EIP_ERR_NOT_FOUND, "False case");
    free(ids);
    free(dec);

    /* verify-key: every licensee, a key of another keygen, an unrecorded key */
    for (int64_t j = 1; j <= 5; j++) {
        eip_crypto_sk_t *sk = NULL;
        REQUIRE(eip_keyring_licensee_sk(kr, j, &sk, &err) == EIP_OK, "%s", err.msg);
        CHECK(eip_keyring_verify_key(kr, sk, &who, &err) == EIP_OK && who.id == j, "verify %lld -> %lld",
              (long long)j, (long long)who.id);
        eip_crypto_sk_free(sk);
    }
    {
        eip_crypto_params prm = {EIP_CRYPTO_GROUP_PAPER, 10, 101};
        eip_crypto_pk_t *opk = NULL;
        eip_crypto_master_t *om = NULL;
        eip_crypto_sk_t *osk = NULL;
        REQUIRE(eip_crypto_gen(&prm, 3, NULL, &opk, &om, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_crypto_master_sk(om, 1, &osk, &err) == EIP_OK, "%s", err.msg);
        s = eip_keyring_verify_key(kr, osk, &who, &err);
        CHECK(s == EIP_ERR_NOT_FOUND && strstr(err.msg, "another public key"), "other keygen: %s", err.msg);
        eip_crypto_sk_free(osk);
        eip_crypto_master_free(om);
        eip_crypto_pk_free(opk);
        /* a valid key of this pk that was never recorded (issued from a copy) */
        REQUIRE(eip_crypto_master_load(f.master, &om, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_crypto_issue(om, f.pk, NULL, &osk, &err) == EIP_OK, "%s", err.msg);
        s = eip_keyring_verify_key(kr, osk, &who, &err);
        CHECK(s == EIP_ERR_NOT_FOUND && strstr(err.msg, "no licensee"), "unrecorded: %s", err.msg);
        eip_crypto_sk_free(osk);

        /* targeted verification ciphertext for bob (label 3) */
        eip_keyring_verif v2[2];
        memset(v2, 0, sizeof v2);
        v2[0].kind = EIP_KEYRING_VERIF_TARGETED;
        v2[0].licensee = 5;
        v2[0].label = 3;
        v2[0].instance = 1;
        snprintf(v2[0].model, sizeof v2[0].model, "model-a");
        REQUIRE(eip_crypto_fake_for(om, 5, 3, rng, &v2[0].ct, &err) == EIP_OK, "%s", err.msg);
        v2[1] = vf; /* (model-a, 0) is taken: the whole batch must be refused */
        int64_t before_n = 0;
        eip_keyring_verif *vl = NULL;
        s = eip_keyring_verif_add(kr, v2, 2, &err);
        CHECK(s == EIP_ERR_ARG && strstr(err.msg, f.ring), "duplicate instance: %d %s", s, err.msg);
        REQUIRE(eip_keyring_verif_list(kr, NULL, &vl, &before_n, &err) == EIP_OK, "%s", err.msg);
        CHECK(before_n == 1, "batch not atomic: %lld rows", (long long)before_n);
        free(vl);
        v2[0].label = 4; /* bob decrypts it to 3, not 4 */
        CHECK(eip_keyring_verif_add(kr, v2, 1, &err) == EIP_ERR_CRYPTO, "wrong label accepted");
        v2[0].label = 3;
        CHECK(eip_keyring_verif_add(kr, v2, 1, &err) == EIP_OK && v2[0].id > 0, "targeted: %s", err.msg);
        REQUIRE(eip_keyring_verif_list(kr, "model-a", &vl, &n, &err) == EIP_OK, "%s", err.msg);
        CHECK(n == 2 && vl[0].kind == EIP_KEYRING_VERIF_FAKE && vl[0].licensee == 0 &&
                  !memcmp(&vl[0].ct, &fake, sizeof fake) && vl[1].kind == EIP_KEYRING_VERIF_TARGETED &&
                  vl[1].licensee == 5 && vl[1].label == 3 && vl[1].instance == 1 &&
                  !memcmp(&vl[1].ct, &v2[0].ct, sizeof v2[0].ct),
              "verification list");
        free(vl);
        REQUIRE(eip_keyring_verif_list(kr, "model-b", &vl, &n, &err) == EIP_OK, "%s", err.msg);
        CHECK(n == 0, "model filter");
        free(vl);
        eip_crypto_master_free(om);
    }

    /* log */
    CHECK(eip_keyring_log_add(kr, EIP_KEYRING_LOG_KEY, "suspect.key", 5, 1, 1, &err) == EIP_OK, "%s",
          err.msg);
    CHECK(eip_keyring_log_add(kr, EIP_KEYRING_LOG_TRACE, "http://x/api", 0, 0, 8, &err) == EIP_OK, "%s",
          err.msg);
    CHECK(eip_keyring_log_add(kr, EIP_KEYRING_LOG_KEY, "x", 77, 1, 1, &err) != EIP_OK, "unknown licensee");
    CHECK(eip_keyring_log_add(kr, EIP_KEYRING_LOG_TRACE, "x", 0, 3, 2, &err) == EIP_ERR_ARG, "3 of 2");
    eip_keyring_log_entry *lg = NULL;
    REQUIRE(eip_keyring_log_list(kr, &lg, &n, &err) == EIP_OK, "%s", err.msg);
    CHECK(n == 2 && lg[0].kind == EIP_KEYRING_LOG_KEY && lg[0].licensee == 5 &&
              !strcmp(lg[0].suspect, "suspect.key") && lg[1].kind == EIP_KEYRING_LOG_TRACE &&
              lg[1].licensee == 0 && lg[1].total == 8 && time_ok(lg[1].time),
          "log list");
    free(lg);

    eip_keyring_stats st;
    CHECK(eip_keyring_check(kr, f.master, &st, &err) == EIP_OK, "check: %s", err.msg);
    CHECK(st.licensees == 5 && st.revoked == 2 && st.verifications == 2 && st.log_entries == 2 &&
              st.master_count == 5 && st.max_id == 5,
          "stats");
    /* a create over an existing keyring is refused */
    s = eip_keyring_create(f.ring, f.pk, NULL, NULL, 0, NULL, &err);
    CHECK(s == EIP_ERR_STATE && strstr(err.msg, f.ring), "create over existing: %s", err.msg);

    eip_crypto_sk_free(alice);
    eip_crypto_sk_free(alice_file);
    eip_crypto_rng_free(rng);
    eip_keyring_close(kr);
    kr_teardown(&f);
}

/* ristretto255: late licensee decrypts, verify-key, targeted ciphertext. */
static void test_ristretto(void)
{
    kr_fixture f;
    kr_setup(&f, "ristretto", EIP_CRYPTO_GROUP_RISTRETTO255, 0, 2, 11);
    eip_error err = {0};
    eip_keyring_t *kr = kr_open(f.ring);
    eip_crypto_ct c;
    REQUIRE(eip_crypto_enc(f.pk, 7, NULL, &c, &err) == EIP_OK, "%s", err.msg);
    eip_keyring_licensee who;
    REQUIRE(eip_keyring_licensee_add(kr, f.master, "dora", NULL, NULL, &who, &err) == EIP_OK, "%s", err.msg);
    CHECK(who.id == 3, "dora = %lld", (long long)who.id);
    eip_crypto_sk_t *sk = NULL;
    REQUIRE(eip_keyring_licensee_sk(kr, 3, &sk, &err) == EIP_OK, "%s", err.msg);
    int32_t y = -5;
    CHECK(eip_crypto_dec_label(sk, &c, &y, &err) == EIP_OK && y == 7, "dora decrypts %d", (int)y);
    CHECK(eip_keyring_verify_key(kr, sk, &who, &err) == EIP_OK && who.id == 3, "verify dora");
    eip_crypto_master_t *m = NULL;
    REQUIRE(eip_crypto_master_load(f.master, &m, &err) == EIP_OK, "%s", err.msg);
    eip_keyring_verif v;
    memset(&v, 0, sizeof v);
    v.kind = EIP_KEYRING_VERIF_TARGETED;
    v.licensee = 3;
    v.label = 2;
    REQUIRE(eip_crypto_fake_for(m, 3, 2, NULL, &v.ct, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_keyring_verif_add(kr, &v, 1, &err) == EIP_OK, "targeted: %s", err.msg);
    eip_crypto_elem obs;
    REQUIRE(eip_crypto_dec(sk, &v.ct, &obs, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_keyring_match(kr, &v.ct, &obs, &who, &err) == EIP_OK && who.id == 3, "match dora: %s",
          err.msg);
    CHECK(eip_keyring_check(kr, f.master, NULL, &err) == EIP_OK, "check: %s", err.msg);
    eip_crypto_master_free(m);
    eip_crypto_sk_free(sk);
    eip_keyring_close(kr);
    kr_teardown(&f);
}

/* A master key copy older than the keyring is refused; nothing is issued. */
static void test_stale_master(void)
{
    kr_fixture f;
    kr_setup(&f, "stale", EIP_CRYPTO_GROUP_RISTRETTO255, 0, 2, 12);
    eip_error err = {0};
    char old[320];
    snprintf(old, sizeof old, "%s/master-old.key", f.dir);
    eip_crypto_master_t *m = NULL;
    REQUIRE(eip_crypto_master_load(f.master, &m, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_crypto_master_save(m, old, &err) == EIP_OK, "%s", err.msg);
    eip_crypto_master_free(m);
    eip_keyring_t *kr = kr_open(f.ring);
    CHECK(eip_keyring_licensee_add(kr, f.master, "e", NULL, NULL, NULL, &err) == EIP_OK, "%s", err.msg);
    eip_status s = eip_keyring_licensee_add(kr, old, "f", NULL, NULL, NULL, &err);
    CHECK(s == EIP_ERR_STATE && strstr(err.msg, "older"), "stale master: %s", err.msg);
    CHECK(eip_keyring_licensee_find(kr, "f", NULL, &err) == EIP_ERR_NOT_FOUND, "f recorded");
    s = eip_keyring_check(kr, old, NULL, &err);
    CHECK(s == EIP_ERR_STATE, "check with stale master: %s", err.msg);
    eip_keyring_close(kr);
    kr_teardown(&f);
}

int main(void)
{
    test_lifecycle_paper();
    test_ristretto();
    test_stale_master();
    TEST_MAIN_END();
}
