/* Read-only use of a keyring (issue 12): eip_keyring_open_readonly reads a
 * keyring and refuses every write naming the file and the reason, without
 * touching the master key; eip_keyring_open stays writable on a writable
 * keyring.  (A real read-only mount is tested by tests/cli/keyring_faults.sh:
 * the tests run as root, where chmod does not stop writes.) */
#include "kr_tutil.h"

static void test_readonly_open(void)
{
    kr_fixture f;
    kr_setup(&f, "ro", EIP_CRYPTO_GROUP_PAPER, 101, 3, 11);
    eip_error err = {0};
    struct stat before, after;
    REQUIRE(stat(f.master, &before) == 0, "stat master");

    eip_keyring_t *kr = NULL;
    REQUIRE(eip_keyring_open_readonly(f.ring, &kr, &err) == EIP_OK, "open_readonly: %s", err.msg);
    CHECK(eip_keyring_readonly(kr) != NULL, "read-only handle reports no reason");
    eip_keyring_licensee *ls = NULL;
    int64_t n = 0;
    CHECK(eip_keyring_licensee_list(kr, &ls, &n, &err) == EIP_OK && n == 3, "list: %s (n=%lld)", err.msg,
          (long long)n);
    free(ls);
    eip_crypto_sk_t *sk = NULL;
    CHECK(eip_keyring_licensee_sk(kr, 2, &sk, &err) == EIP_OK, "sk 2: %s", err.msg);
    eip_keyring_licensee who;
    if (sk)
        CHECK(eip_keyring_verify_key(kr, sk, &who, &err) == EIP_OK && who.id == 2, "verify-key: %s", err.msg);
    eip_crypto_sk_free(sk);
    eip_keyring_stats st;
    CHECK(eip_keyring_check(kr, f.master, &st, &err) == EIP_OK, "check --master: %s", err.msg);

    /* every writer refuses, naming the file and why, before doing anything */
    eip_status s = eip_keyring_licensee_add(kr, f.master, "newbie", NULL, NULL, NULL, &err);
    CHECK(s == EIP_ERR_IO, "add on a read-only handle: status %d", (int)s);
    CHECK(strstr(err.msg, f.ring) && strstr(err.msg, "read-only") && strstr(err.msg, "add a licensee"),
          "add message: %s", err.msg);
    s = eip_keyring_licensee_revoke(kr, 1, NULL, NULL, &err);
    CHECK(s == EIP_ERR_IO && strstr(err.msg, "read-only"), "revoke: %d %s", (int)s, err.msg);
    s = eip_keyring_log_add(kr, EIP_KEYRING_LOG_KEY, "suspect", 0, 0, 1, &err);
    CHECK(s == EIP_ERR_IO && strstr(err.msg, "read-only"), "log_add: %d %s", (int)s, err.msg);
    REQUIRE(stat(f.master, &after) == 0, "stat master");
    CHECK(before.st_ino == after.st_ino && before.st_mtime == after.st_mtime &&
              before.st_size == after.st_size,
          "master key touched by a refused add");
    eip_keyring_close(kr);

    /* a writable keyring opened for writing is writable, and the refused
     * writes above changed nothing */
    kr = kr_open(f.ring);
    CHECK(eip_keyring_readonly(kr) == NULL, "writable keyring reported read-only: %s",
          eip_keyring_readonly(kr) ? eip_keyring_readonly(kr) : "");
    CHECK(eip_keyring_licensee_get(kr, 1, &who, &err) == EIP_OK && !who.revoked[0], "licensee 1: %s",
          err.msg);
    eip_keyring_log_entry *lg = NULL;
    CHECK(eip_keyring_log_list(kr, &lg, &n, &err) == EIP_OK && n == 0, "log has %lld entries", (long long)n);
    free(lg);
    CHECK(eip_keyring_licensee_add(kr, f.master, "writer", NULL, NULL, &who, &err) == EIP_OK && who.id == 4,
          "add: %s", err.msg);
    eip_keyring_close(kr);
    kr_teardown(&f);
}

int main(void)
{
    test_readonly_open();
    TEST_MAIN_END();
}
