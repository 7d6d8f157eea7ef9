/* The SQL layer of the keyring module: status mapping, statements,
 * transactions, time stamps and the row decoders shared by licensee.c,
 * verif.c and db.c.  The bottom layer: it calls nothing else in the module. */
#include <sodium.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyring/internal.h"

eip_status eip_kr_sqlerr(eip_keyring_t *kr, int rc, const char *what, eip_error *err)
{
    const char *msg = kr->db ? sqlite3_errmsg(kr->db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        /* Say what happened: usually many short writes queued ahead of
         * this one, not one process holding the lock for the whole time. */
        if (kr->busy_retries > 0)
            return eip_error_set(err, EIP_ERR_IO,
                                 "%s: %s: waited %.1f s behind other writers (%lld retries); the "
                                 "keyring is busy, try again",
                                 kr->path, what, (double)kr->busy_ms / 1000.0,
                                 (long long)kr->busy_retries);
        return eip_error_set(err, EIP_ERR_IO, "%s: %s: the keyring is busy (another process is writing "
                                              "it), try again (%s)", kr->path, what, msg);
    case SQLITE_READONLY:
        return eip_error_set(err, EIP_ERR_IO, "%s: %s: keyring is read-only (%s)", kr->path, what,
                             kr->ro_reason[0] ? kr->ro_reason : msg);
    case SQLITE_NOTADB:
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: %s: not an SQLite database, so not a keyring (%s)",
                             kr->path, what, msg);
    case SQLITE_CORRUPT:
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: %s: keyring database is corrupt (%s)", kr->path,
                             what, msg);
    case SQLITE_CONSTRAINT:
        return eip_error_set(err, EIP_ERR_ARG, "%s: %s: refused by the keyring schema (%s)", kr->path,
                             what, msg);
    case SQLITE_NOMEM:
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: %s: out of memory", kr->path, what);
    default:
        return eip_error_set(err, EIP_ERR_IO, "%s: %s: %s", kr->path, what, msg);
    }
}

eip_status eip_kr_exec(eip_keyring_t *kr, const char *sql, eip_error *err)
{
    int rc = sqlite3_exec(kr->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? EIP_OK : eip_kr_sqlerr(kr, rc, sql, err);
}

eip_status eip_kr_prepare(eip_keyring_t *kr, const char *sql, sqlite3_stmt **st, eip_error *err)
{
    int rc = sqlite3_prepare_v2(kr->db, sql, -1, st, NULL);
    return rc == SQLITE_OK ? EIP_OK : eip_kr_sqlerr(kr, rc, "preparing a query", err);
}

static int64_t ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* sqlite3_busy_handler callback.  `count` restarts at 0 for every new wait.
 * The budget is wall time, so a writer queued behind many short writers
 * waits as long as one stuck behind a single long one.  Back-off 1, 2, 4 ..
 * 64 ms, then 100 ms, each drawn from [d/2, d] so that the queued writers
 * do not all wake at once. */
static int busy_wait(void *arg, int count)
{
    eip_keyring_t *kr = arg;
    if (count == 0)
        clock_gettime(CLOCK_MONOTONIC, &kr->busy_t0);
    kr->busy_retries = count;
    kr->busy_ms = ms_since(&kr->busy_t0);
    int64_t left = EIP_KEYRING_BUSY_MS - kr->busy_ms;
    if (left <= 0)
        return 0;
    int64_t d = count < 7 ? (int64_t)1 << count : 100;
    kr->busy_rng ^= kr->busy_rng << 13; /* xorshift64: jitter only */
    kr->busy_rng ^= kr->busy_rng >> 7;
    kr->busy_rng ^= kr->busy_rng << 17;
    d = d / 2 + (int64_t)(kr->busy_rng % (uint64_t)(d / 2 + 1));
    if (d > left)
        d = left;
    if (d < 1)
        d = 1;
    struct timespec ts = {(time_t)(d / 1000), (long)(d % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    kr->busy_retries = count + 1;
    kr->busy_ms = ms_since(&kr->busy_t0);
    return 1;
}

void eip_kr_busy_install(eip_keyring_t *kr)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    kr->busy_rng = ((uint64_t)getpid() << 32) ^ (uint64_t)t.tv_nsec ^ 0x9e3779b97f4a7c15ULL;
    sqlite3_busy_handler(kr->db, busy_wait, kr);
}

eip_status eip_kr_writable(eip_keyring_t *kr, const char *what, eip_error *err)
{
    if (!kr->ro_reason[0])
        return EIP_OK;
    return eip_error_set(err, EIP_ERR_IO, "%s: keyring is read-only (%s); cannot %s", kr->path,
                         kr->ro_reason, what);
}

eip_status eip_kr_begin(eip_keyring_t *kr, eip_error *err)
{
    eip_status s = eip_kr_writable(kr, "write to it", err);
    if (s)
        return s;
    kr->busy_retries = 0;
    kr->busy_ms = 0;
    int rc = sqlite3_exec(kr->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    return rc == SQLITE_OK ? EIP_OK : eip_kr_sqlerr(kr, rc, "starting a write transaction", err);
}

eip_status eip_kr_commit(eip_keyring_t *kr, eip_error *err)
{
    int rc = sqlite3_exec(kr->db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return EIP_OK;
    eip_status s = eip_kr_sqlerr(kr, rc, "committing", err);
    eip_kr_rollback(kr);
    return s;
}

void eip_kr_rollback(eip_keyring_t *kr)
{
    if (!sqlite3_get_autocommit(kr->db))
        sqlite3_exec(kr->db, "ROLLBACK", NULL, NULL, NULL);
}

void eip_kr_now(char out[EIP_KEYRING_TIME_BYTES])
{
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, EIP_KEYRING_TIME_BYTES, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, EIP_KEYRING_TIME_BYTES, "1970-01-01T00:00:00Z");
}

eip_status eip_kr_col_text(eip_keyring_t *kr, sqlite3_stmt *st, int col, char *out, size_t cap,
                           int required, const char *what, eip_error *err)
{
    out[0] = '\0';
    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        if (required)
            return eip_error_set(err, EIP_ERR_FORMAT, "%s: %s is NULL", kr->path, what);
        return EIP_OK;
    }
    const unsigned char *t = sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    if (!t || n < 0 || (size_t)n >= cap || memchr(t, '\0', (size_t)n))
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: %s is malformed (%d bytes, at most %zu)",
                             kr->path, what, n, cap - 1);
    memcpy(out, t, (size_t)n);
    out[n] = '\0';
    return EIP_OK;
}

eip_status eip_kr_sk_decode(eip_keyring_t *kr, int64_t id, const void *blob, int len,
                            eip_crypto_sk_t **out, eip_error *err)
{
    *out = NULL;
    char name[4200];
    snprintf(name, sizeof name, "%s: licensee %lld key", kr->path, (long long)id);
    if (!blob || len <= 0)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s is empty", name);
    eip_crypto_sk_t *sk = NULL;
    eip_status s = eip_crypto_sk_from_bytes(blob, (size_t)len, name, &sk, err);
    if (!s)
        s = eip_crypto_sk_check_pk(sk, eip_crypto_pk_id(kr->pk), name, err);
    if (!s && eip_crypto_sk_index(sk) != id)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: key is for licensee %lld, stored as licensee %lld",
                          name, (long long)eip_crypto_sk_index(sk), (long long)id);
    if (s) {
        eip_crypto_sk_free(sk);
        return s;
    }
    *out = sk;
    return EIP_OK;
}

eip_status eip_kr_name_check(const char *name, eip_error *err)
{
    if (!name || !name[0])
        return eip_error_set(err, EIP_ERR_ARG, "licensee name is empty");
    size_t n = strlen(name);
    if (n > EIP_KEYRING_NAME_MAX)
        return eip_error_set(err, EIP_ERR_ARG, "licensee name '%.40s...' is %zu bytes (at most %d)",
                             name, n, EIP_KEYRING_NAME_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return eip_error_set(err, EIP_ERR_ARG,
                                 "licensee name has a control character at byte %zu", i);
    return EIP_OK;
}

eip_status eip_kr_row_licensee(eip_keyring_t *kr, sqlite3_stmt *st, int col,
                               eip_keyring_licensee *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, col);
    eip_status s;
    if ((s = eip_kr_col_text(kr, st, col + 1, out->name, sizeof out->name, 1, "licensee name", err)) ||
        (s = eip_kr_col_text(kr, st, col + 2, out->created, sizeof out->created, 1, "licensee created",
                             err)) ||
        (s = eip_kr_col_text(kr, st, col + 3, out->revoked, sizeof out->revoked, 0, "licensee revoked",
                             err)))
        return s;
    return EIP_OK;
}
