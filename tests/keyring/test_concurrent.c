/* Concurrent and killed writers: two processes adding licensees to one
 * keyring at once, and a writer SIGKILLed at random moments.  Afterwards the
 * keyring passes integrity_check, every stored key is the key the master key
 * derives for its id, no b is issued twice, and the master key parses. */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "kr_tutil.h"

/* Child: open the keyring and add `count` licensees (count < 0: forever).
 * Exits 0 on success, 1 on the first failure (message on stderr). */
static void child_adder(const kr_fixture *f, const char *prefix, int count)
{
    eip_error err = {0};
    eip_keyring_t *kr = NULL;
    if (eip_keyring_open(f->ring, &kr, &err) != EIP_OK) {
        fprintf(stderr, "child %s: open: %s\n", prefix, err.msg);
        _exit(1);
    }
    for (int i = 0; count < 0 || i < count; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s-%d", prefix, i);
        if (eip_keyring_licensee_add(kr, f->master, name, NULL, NULL, NULL, &err) != EIP_OK) {
            fprintf(stderr, "child %s: add %d: %s\n", prefix, i, err.msg);
            _exit(1);
        }
    }
    eip_keyring_close(kr);
    _exit(0);
}

/* The full consistency check; returns the number of licensees. */
static int64_t verify_consistent(const kr_fixture *f, const char *when)
{
    eip_error err = {0};
    eip_keyring_t *kr = NULL;
    eip_status s = eip_keyring_open(f->ring, &kr, &err);
    CHECK(s == EIP_OK, "%s: open: %s", when, err.msg);
    if (s)
        return -1;
    eip_keyring_stats st;
    /* integrity_check, foreign keys, every blob, every key == master's key j */
    s = eip_keyring_check(kr, f->master, &st, &err);
    CHECK(s == EIP_OK, "%s: check: %s", when, err.msg);
    eip_keyring_licensee *ls = NULL;
    int64_t n = 0;
    REQUIRE(eip_keyring_licensee_list(kr, &ls, &n, &err) == EIP_OK, "%s", err.msg);
    eip_crypto_sk_t **sks = calloc((size_t)(n ? n : 1), sizeof *sks);
    REQUIRE(sks, "oom");
    for (int64_t i = 0; i < n; i++) {
        CHECK(eip_keyring_licensee_sk(kr, ls[i].id, &sks[i], &err) == EIP_OK, "%s", err.msg);
        if (i)
            CHECK(ls[i].id > ls[i - 1].id, "%s: ids not distinct", when);
    }
    /* no double issue: distinct (a, b) for all pairs (a_j is a function of b_j) */
    int64_t same = 0;
    for (int64_t a = 0; a < n; a++)
        for (int64_t b = a + 1; b < n; b++)
            same += sks[a] && sks[b] && eip_crypto_sk_equal(sks[a], sks[b]);
    CHECK(same == 0, "%s: %lld pairs of licensees share a key", when, (long long)same);
    for (int64_t i = 0; i < n; i++)
        eip_crypto_sk_free(sks[i]);
    free(sks);
    free(ls);
    eip_crypto_master_t *m = NULL;
    CHECK(eip_crypto_master_load(f->master, &m, &err) == EIP_OK, "%s: master key: %s", when, err.msg);
    CHECK(!m || eip_crypto_master_licensees(m) >= st.max_id, "%s: master lists fewer than max id", when);
    eip_crypto_master_free(m);
    eip_keyring_close(kr);
    return n;
}

static void test_two_writers(void)
{
    kr_fixture f;
    kr_setup(&f, "conc", EIP_CRYPTO_GROUP_RISTRETTO255, 0, 2, 21);
    pid_t pid[2];
    for (int k = 0; k < 2; k++) {
        pid[k] = fork();
        REQUIRE(pid[k] >= 0, "fork");
        if (pid[k] == 0)
            child_adder(&f, k ? "beta" : "alpha", 20);
    }
    for (int k = 0; k < 2; k++) {
        int status = 0;
        REQUIRE(waitpid(pid[k], &status, 0) == pid[k], "waitpid");
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed (status %d)", k, status);
    }
    int64_t n = verify_consistent(&f, "two writers");
    CHECK(n == 42, "licensees after 2x20 concurrent adds: %lld, want 42", (long long)n);
    eip_error err = {0};
    eip_keyring_t *kr = kr_open(f.ring);
    eip_keyring_licensee *ls = NULL;
    REQUIRE(eip_keyring_licensee_list(kr, &ls, &n, &err) == EIP_OK, "%s", err.msg);
    for (int64_t i = 0; i < n; i++)
        CHECK(ls[i].id == i + 1, "ids 1..42 without gaps: row %lld has id %lld", (long long)i,
              (long long)ls[i].id);
    free(ls);
    eip_crypto_master_t *m = NULL;
    REQUIRE(eip_crypto_master_load(f.master, &m, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_crypto_master_licensees(m) == 42, "master lists %lld", (long long)eip_crypto_master_licensees(m));
    eip_crypto_master_free(m);
    eip_keyring_close(kr);
    kr_teardown(&f);
}

static void test_killed_writer(void)
{
    kr_fixture f;
    kr_setup(&f, "kill", EIP_CRYPTO_GROUP_RISTRETTO255, 0, 2, 22);
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    printf("kill test seed %u\n", seed);
    srand(seed);
    int64_t last = 2;
    const int trials = 8;
    for (int t = 0; t < trials; t++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "trial%d", t);
        pid_t pid = fork();
        REQUIRE(pid >= 0, "fork");
        if (pid == 0)
            child_adder(&f, prefix, -1);
        /* a random moment in the writer's loop (an add takes ~10-20 ms with fsync) */
        struct timespec d = {0, (long)(2 + rand() % 120) * 1000000L};
        nanosleep(&d, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        REQUIRE(waitpid(pid, &status, 0) == pid, "waitpid");
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "trial %d: writer ended before the kill "
              "(status %d)", t, status);
        char when[32];
        snprintf(when, sizeof when, "after kill %d", t);
        int64_t n = verify_consistent(&f, when);
        CHECK(n >= last, "%s: licensees went from %lld to %lld", when, (long long)last, (long long)n);
        last = n;
    }
    printf("kill test: %lld licensees after %d killed writers\n", (long long)last, trials);
    CHECK(last > 2, "no writer got to add anything: the kill test exercised nothing");
    /* the keyring is still writable afterwards */
    eip_error err = {0};
    eip_keyring_t *kr = kr_open(f.ring);
    CHECK(eip_keyring_licensee_add(kr, f.master, "after", NULL, NULL, NULL, &err) == EIP_OK, "%s", err.msg);
    eip_keyring_close(kr);
    verify_consistent(&f, "final");
    kr_teardown(&f);
}

int main(void)
{
    test_two_writers();
    test_killed_writer();
    TEST_MAIN_END();
}
