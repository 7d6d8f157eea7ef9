/* Malformed keyrings are refused with errors that name the file and the
 * reason: a missing, empty or non-SQLite file, an SQLite database of someone
 * else (left untouched), a wrong schema version, damaged or swapped key
 * blobs, a damaged public key, damaged database pages. */
#include <sqlite3.h>

#include "kr_tutil.h"

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    REQUIRE(fp && fwrite(data, 1, len, fp) == len, "write %s", path);
    fclose(fp);
}

/* Runs one static SQL statement on path directly (bypassing the library). */
static void raw_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK, "sqlite open %s", path);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    REQUIRE(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
    sqlite3_free(msg);
    sqlite3_close(db);
}

/* Replaces licensee `id`'s sk blob with `blob`. */
static void set_sk_blob(const char *path, int64_t id, const void *blob, int len)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK, "sqlite open");
    REQUIRE(sqlite3_prepare_v2(db, "UPDATE licensee SET sk = ? WHERE id = ?", -1, &st, NULL) == SQLITE_OK,
            "prepare");
    sqlite3_bind_blob(st, 1, blob, len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, id);
    REQUIRE(sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1, "update");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static unsigned char *get_blob(const char *path, const char *sql, int *len)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK, "sqlite open");
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW, "%s",
            sql);
    *len = sqlite3_column_bytes(st, 0);
    unsigned char *b = malloc((size_t)*len);
    REQUIRE(b, "oom");
    memcpy(b, sqlite3_column_blob(st, 0), (size_t)*len);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return b;
}

static void expect_open_fails(const char *path, eip_status want, const char *needle, const char *what)
{
    eip_error err = {0};
    eip_keyring_t *kr = NULL;
    eip_status s = eip_keyring_open(path, &kr, &err);
    CHECK(s == want && kr == NULL, "%s: status %d, want %d (%s)", what, s, want, err.msg);
    CHECK(strstr(err.msg, path) != NULL, "%s: message does not name the file: %s", what, err.msg);
    CHECK(strstr(err.msg, needle) != NULL, "%s: message lacks '%s': %s", what, needle, err.msg);
    eip_keyring_close(kr);
}

int main(void)
{
    kr_fixture f;
    kr_setup(&f, "malformed", EIP_CRYPTO_GROUP_RISTRETTO255, 0, 3, 31);
    char p[400];

    snprintf(p, sizeof p, "%s/missing.db", f.dir);
    expect_open_fails(p, EIP_ERR_IO, "No such file", "missing file");
    expect_open_fails(f.dir, EIP_ERR_FORMAT, "not a regular file", "directory");
    snprintf(p, sizeof p, "%s/empty.db", f.dir);
    write_file(p, "", 0);
    expect_open_fails(p, EIP_ERR_FORMAT, "empty file", "empty file");
    snprintf(p, sizeof p, "%s/text.db", f.dir);
    {
        char junk[4096];
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (char)('a' + i % 26);
        write_file(p, junk, sizeof junk);
    }
    expect_open_fails(p, EIP_ERR_FORMAT, "not an SQLite database", "text file");

    /* someone else's SQLite database: refused and not modified (no WAL switch) */
    snprintf(p, sizeof p, "%s/other.db", f.dir);
    raw_sql(p, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)");
    expect_open_fails(p, EIP_ERR_FORMAT, "not an encryip keyring", "foreign SQLite");
    {
        FILE *fp = fopen(p, "rb");
        unsigned char h[20] = {0};
        REQUIRE(fp && fread(h, 1, 20, fp) == 20, "read header");
        fclose(fp);
        CHECK(h[18] == 1 && h[19] == 1, "foreign database switched to WAL (%d %d)", h[18], h[19]);
    }

    /* wrong schema versions */
    snprintf(p, sizeof p, "%s/v2.db", f.dir);
    {
        eip_error err = {0};
        REQUIRE(eip_keyring_create(p, f.pk, NULL, NULL, 0, NULL, &err) == EIP_OK, "%s", err.msg);
    }
    raw_sql(p, "PRAGMA user_version=2");
    expect_open_fails(p, EIP_ERR_FORMAT, "schema version 2 is not supported", "version 2");
    raw_sql(p, "PRAGMA user_version=0");
    expect_open_fails(p, EIP_ERR_FORMAT, "schema version 0", "version 0");

    /* damaged public key */
    snprintf(p, sizeof p, "%s/badpk.db", f.dir);
    {
        eip_error err = {0};
        REQUIRE(eip_keyring_create(p, f.pk, NULL, NULL, 0, NULL, &err) == EIP_OK, "%s", err.msg);
    }
    raw_sql(p, "UPDATE meta SET pk = substr(pk, 1, 20)");
    expect_open_fails(p, EIP_ERR_FORMAT, "public key", "truncated public key");

    /* damaged key blob: open works (keys are read lazily), every reader of
     * that key fails naming the file and the licensee */
    eip_error err = {0};
    int len = 0;
    unsigned char *b2 = get_blob(f.ring, "SELECT sk FROM licensee WHERE id = 2", &len);
    unsigned char *b3 = get_blob(f.ring, "SELECT sk FROM licensee WHERE id = 3", &len);
    b2[len / 2] ^= 0x40;
    set_sk_blob(f.ring, 2, b2, len);
    b2[len / 2] ^= 0x40;
    eip_keyring_t *kr = kr_open(f.ring);
    eip_crypto_sk_t *sk = NULL;
    eip_status s = eip_keyring_licensee_sk(kr, 2, &sk, &err);
    CHECK(s != EIP_OK && sk == NULL && strstr(err.msg, f.ring) && strstr(err.msg, "licensee 2"),
          "corrupt blob: %d %s", s, err.msg);
    s = eip_keyring_check(kr, NULL, NULL, &err);
    CHECK(s != EIP_OK && strstr(err.msg, "licensee 2"), "check misses the corrupt blob: %s", err.msg);
    REQUIRE(eip_keyring_licensee_sk(kr, 1, &sk, &err) == EIP_OK, "%s", err.msg);
    s = eip_keyring_verify_key(kr, sk, NULL, &err);
    CHECK(s != EIP_OK && s != EIP_ERR_NOT_FOUND && strstr(err.msg, "licensee 2"),
          "verify-key must fail loudly on a corrupt keyring: %d %s", s, err.msg);
    eip_crypto_sk_free(sk);
    sk = NULL;
    eip_keyring_close(kr);

    /* a valid key stored under the wrong id */
    set_sk_blob(f.ring, 2, b3, len);
    kr = kr_open(f.ring);
    s = eip_keyring_licensee_sk(kr, 2, &sk, &err);
    CHECK(s == EIP_ERR_FORMAT && strstr(err.msg, "stored as licensee 2"), "swapped key: %s", err.msg);
    eip_keyring_close(kr);

    /* a key of another public key */
    {
        eip_crypto_params prm = {EIP_CRYPTO_GROUP_RISTRETTO255, 10, 0};
        eip_crypto_pk_t *opk = NULL;
        eip_crypto_master_t *om = NULL;
        eip_crypto_sk_t *osk = NULL;
        unsigned char *ob = NULL;
        size_t olen = 0;
        REQUIRE(eip_crypto_gen(&prm, 2, NULL, &opk, &om, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_crypto_master_sk(om, 2, &osk, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_crypto_sk_to_bytes(osk, &ob, &olen, &err) == EIP_OK, "%s", err.msg);
        set_sk_blob(f.ring, 2, ob, (int)olen);
        kr = kr_open(f.ring);
        s = eip_keyring_licensee_sk(kr, 2, &sk, &err);
        CHECK(s == EIP_ERR_CRYPTO && strstr(err.msg, "another public key") && strstr(err.msg, f.ring),
              "foreign key blob: %s", err.msg);
        eip_keyring_close(kr);
        eip_crypto_secret_free(ob, olen);
        eip_crypto_sk_free(osk);
        eip_crypto_master_free(om);
        eip_crypto_pk_free(opk);
    }
    /* restored: the keyring is whole again */
    set_sk_blob(f.ring, 2, b2, len);
    kr = kr_open(f.ring);
    CHECK(eip_keyring_check(kr, f.master, NULL, &err) == EIP_OK, "restored: %s", err.msg);
    eip_keyring_close(kr);
    free(b2);
    free(b3);

    /* damaged pages: every page after the first overwritten with garbage.
     * Either open or check must fail, naming the file. */
    snprintf(p, sizeof p, "%s/pages.db", f.dir);
    {
        FILE *in = fopen(f.ring, "rb");
        REQUIRE(in, "read ring");
        static unsigned char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, in);
        fclose(in);
        REQUIRE(n > 4096, "keyring has %zu bytes", n);
        for (size_t i = 4096; i < n; i++)
            buf[i] = (unsigned char)(i * 131u + 7u);
        write_file(p, buf, n);
        kr = NULL;
        s = eip_keyring_open(p, &kr, &err);
        if (s == EIP_OK)
            s = eip_keyring_check(kr, NULL, NULL, &err);
        CHECK(s == EIP_ERR_FORMAT && strstr(err.msg, p), "damaged pages: %d %s", s, err.msg);
        eip_keyring_close(kr);
    }
    /* a truncated keyring */
    snprintf(p, sizeof p, "%s/trunc.db", f.dir);
    {
        FILE *in = fopen(f.ring, "rb");
        unsigned char head[200];
        REQUIRE(in && fread(head, 1, sizeof head, in) == sizeof head, "read ring");
        fclose(in);
        write_file(p, head, sizeof head);
        kr = NULL;
        s = eip_keyring_open(p, &kr, &err);
        if (s == EIP_OK)
            s = eip_keyring_check(kr, NULL, NULL, &err);
        CHECK(s == EIP_ERR_FORMAT && strstr(err.msg, p), "truncated: %d %s", s, err.msg);
        eip_keyring_close(kr);
    }
    kr_teardown(&f);
    TEST_MAIN_END();
}
