/* Private to the keyring module: the handle and the SQLite helpers (sql.c).
 * Layers: sql.c <- licensee.c, verif.c <- db.c (create/open/check). */
#ifndef EIP_KEYRING_INTERNAL_H
#define EIP_KEYRING_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>
#include <time.h>

#include "encryip/keyring.h"

struct eip_keyring {
    sqlite3 *db;
    char *path;
    eip_crypto_pk_t *pk;
    char created[EIP_KEYRING_TIME_BYTES];
    /* Opened without write access: why ("read-only file system", ...);
     * "" when writable.  Every writer refuses with this reason. */
    char ro_reason[512];
    int immutable; /* read through the immutable=1 URI (no -shm possible) */
    /* Busy-handler accounting of the current wait for the write lock:
     * started at busy_t0, busy_retries calls so far, busy_ms waited. */
    struct timespec busy_t0;
    int64_t busy_retries, busy_ms;
    uint64_t busy_rng; /* jitter of the back-off (not a secret) */
};

/* Maps an SQLite result code to a status with a message naming the keyring
 * file and `what` was being done. */
eip_status eip_kr_sqlerr(eip_keyring_t *kr, int rc, const char *what, eip_error *err);
/* Static SQL only (never user data: that goes through bound parameters). */
eip_status eip_kr_exec(eip_keyring_t *kr, const char *sql, eip_error *err);
eip_status eip_kr_prepare(eip_keyring_t *kr, const char *sql, sqlite3_stmt **st, eip_error *err);
/* Installs the busy handler: waits for the write lock with jittered
 * exponential back-off up to EIP_KEYRING_BUSY_MS in total, queueing behind
 * other writers included, and counts the wait for the error message. */
void eip_kr_busy_install(eip_keyring_t *kr);
/* EIP_OK when the keyring was opened writable; otherwise EIP_ERR_IO naming
 * the file, the reason and what could not be done. */
eip_status eip_kr_writable(eip_keyring_t *kr, const char *what, eip_error *err);
/* BEGIN IMMEDIATE (takes the write lock now, waiting up to the busy timeout)
 * / COMMIT / ROLLBACK (rollback never fails the caller). */
eip_status eip_kr_begin(eip_keyring_t *kr, eip_error *err);
eip_status eip_kr_commit(eip_keyring_t *kr, eip_error *err);
void eip_kr_rollback(eip_keyring_t *kr);
/* Current UTC time, ISO-8601 "YYYY-MM-DDTHH:MM:SSZ". */
void eip_kr_now(char out[EIP_KEYRING_TIME_BYTES]);
/* Copies a TEXT column into a fixed buffer; EIP_ERR_FORMAT if NULL (when
 * required) or longer than cap-1. */
eip_status eip_kr_col_text(eip_keyring_t *kr, sqlite3_stmt *st, int col, char *out, size_t cap,
                           int required, const char *what, eip_error *err);
/* Decodes a stored licensee key and checks it: parses, belongs to the
 * keyring's public key, index == id. */
eip_status eip_kr_sk_decode(eip_keyring_t *kr, int64_t id, const void *blob, int len,
                            eip_crypto_sk_t **out, eip_error *err);
/* Licensee name rules: 1..EIP_KEYRING_NAME_MAX bytes, no control chars. */
eip_status eip_kr_name_check(const char *name, eip_error *err);
/* Fills a licensee from columns (id, name, created, revoked) starting at col. */
eip_status eip_kr_row_licensee(eip_keyring_t *kr, sqlite3_stmt *st, int col,
                               eip_keyring_licensee *out, eip_error *err);

#endif
