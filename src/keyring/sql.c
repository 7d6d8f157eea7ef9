/* The SQL layer of the keyring module: status mapping, statements,
 * transactions, time stamps and the row decoders shared by licensee.c,
 * verif.c and db.c.  The bottom layer: it calls nothing else in the module. */
#include <sodium.h>
#include <stdio.h>
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
        return eip_error_set(err, EIP_ERR_IO,
                             "%s: %s: keyring is busy (another process held it longer than %d ms): %s",
                             kr->path, what, EIP_KEYRING_BUSY_MS, msg);
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

eip_status eip_kr_begin(eip_keyring_t *kr, eip_error *err)
{
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
