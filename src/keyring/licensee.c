/* Licensees: add (paper section 4.5 (2)), list, look-up, revoke, their keys,
 * and "secret key available" verification (section 4.4). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "keyring/internal.h"

static const char SELECT_LICENSEE[] = "SELECT id, name, created, revoked FROM licensee ";

/* Runs a one-row licensee query whose parameter 1 is bound by the caller. */
static eip_status licensee_one(eip_keyring_t *kr, sqlite3_stmt *st, const char *what,
                               eip_keyring_licensee *out, eip_error *err)
{
    eip_keyring_licensee tmp;
    int rc = sqlite3_step(st);
    eip_status s;
    if (rc == SQLITE_ROW)
        s = eip_kr_row_licensee(kr, st, 0, out ? out : &tmp, err);
    else if (rc == SQLITE_DONE)
        s = eip_error_set(err, EIP_ERR_NOT_FOUND, "%s: no licensee %s", kr->path, what);
    else
        s = eip_kr_sqlerr(kr, rc, "looking up a licensee", err);
    sqlite3_finalize(st);
    return s;
}

eip_status eip_keyring_licensee_get(eip_keyring_t *kr, int64_t id, eip_keyring_licensee *out,
                                    eip_error *err)
{
    char sql[128], what[48];
    snprintf(sql, sizeof sql, "%sWHERE id = ?", SELECT_LICENSEE);
    snprintf(what, sizeof what, "with id %lld", (long long)id);
    sqlite3_stmt *st;
    eip_status s = eip_kr_prepare(kr, sql, &st, err);
    if (s)
        return s;
    sqlite3_bind_int64(st, 1, id);
    return licensee_one(kr, st, what, out, err);
}

eip_status eip_keyring_licensee_find(eip_keyring_t *kr, const char *name, eip_keyring_licensee *out,
                                     eip_error *err)
{
    char sql[128], what[EIP_KEYRING_NAME_MAX + 32];
    snprintf(sql, sizeof sql, "%sWHERE name = ?", SELECT_LICENSEE);
    snprintf(what, sizeof what, "named '%.*s'", EIP_KEYRING_NAME_MAX, name);
    sqlite3_stmt *st;
    eip_status s = eip_kr_prepare(kr, sql, &st, err);
    if (s)
        return s;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    return licensee_one(kr, st, what, out, err);
}

eip_status eip_keyring_licensee_list(eip_keyring_t *kr, eip_keyring_licensee **out, int64_t *n,
                                     eip_error *err)
{
    *out = NULL;
    *n = 0;
    char sql[128];
    snprintf(sql, sizeof sql, "%sORDER BY id", SELECT_LICENSEE);
    sqlite3_stmt *st;
    eip_status s = eip_kr_prepare(kr, sql, &st, err);
    if (s)
        return s;
    eip_keyring_licensee *v = NULL;
    int64_t cnt = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            eip_keyring_licensee *nv = realloc(v, (size_t)cap * sizeof *v);
            if (!nv) {
                s = eip_error_set(err, EIP_ERR_NOMEM, "%s: listing licensees: out of memory", kr->path);
                break;
            }
            v = nv;
        }
        if ((s = eip_kr_row_licensee(kr, st, 0, &v[cnt], err)))
            break;
        cnt++;
    }
    if (!s && rc != SQLITE_DONE)
        s = eip_kr_sqlerr(kr, rc, "listing licensees", err);
    sqlite3_finalize(st);
    if (s) {
        free(v);
        return s;
    }
    *out = v;
    *n = cnt;
    return EIP_OK;
}

eip_status eip_keyring_licensee_sk(eip_keyring_t *kr, int64_t id, eip_crypto_sk_t **out,
                                   eip_error *err)
{
    *out = NULL;
    sqlite3_stmt *st;
    eip_status s = eip_kr_prepare(kr, "SELECT sk FROM licensee WHERE id = ?", &st, err);
    if (s)
        return s;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        s = eip_kr_sk_decode(kr, id, sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), out, err);
    else if (rc == SQLITE_DONE)
        s = eip_error_set(err, EIP_ERR_NOT_FOUND, "%s: no licensee with id %lld", kr->path, (long long)id);
    else
        s = eip_kr_sqlerr(kr, rc, "reading a licensee key", err);
    sqlite3_finalize(st);
    return s;
}

/* ---- add ------------------------------------------------------------------- */

static eip_status max_id(eip_keyring_t *kr, int64_t *v, eip_error *err)
{
    sqlite3_stmt *st;
    eip_status s = eip_kr_prepare(kr, "SELECT coalesce(max(id), 0) FROM licensee", &st, err);
    if (s)
        return s;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(st, 0);
    else
        s = eip_kr_sqlerr(kr, rc, "reading the largest licensee id", err);
    sqlite3_finalize(st);
    return s;
}

static eip_status insert_licensee(eip_keyring_t *kr, const eip_crypto_sk_t *sk, const char *name,
                                  const char *now, eip_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    sqlite3_stmt *st = NULL;
    eip_status s;
    if ((s = eip_crypto_sk_to_bytes(sk, &buf, &len, err)))
        return s;
    if (!(s = eip_kr_prepare(kr, "INSERT INTO licensee (id, name, created, revoked, sk) "
                                 "VALUES (?, ?, ?, NULL, ?)", &st, err))) {
        sqlite3_bind_int64(st, 1, eip_crypto_sk_index(sk));
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 4, buf, (int)len, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            s = eip_kr_sqlerr(kr, rc, "storing the new licensee", err);
    }
    sqlite3_finalize(st);
    eip_crypto_secret_free(buf, len);
    return s;
}

/* Order of an add, chosen so that a crash (or failure) at any point can
 * neither issue one b twice nor lose a licensee who holds a key:
 *
 *   1. BEGIN IMMEDIATE: the keyring's write lock.  Every add holds it while
 *      it reads and rewrites the master key, so concurrent adds serialise on
 *      it (the master key file itself has no lock).
 *   2. Name unique?  Master key loaded now (under the lock), same pk, and it
 *      lists at least every id in the keyring (a stale master key copy could
 *      issue an id and a b again: refused).
 *   3. eip_crypto_issue in memory: b_{P+1} not in {b_1..b_P}, j = P+1.
 *   4. INSERT the licensee (inside the open transaction, not yet visible).
 *   5. Save the master key atomically (temp + fsync + rename): b_{P+1} is now
 *      durably "used".
 *   6. COMMIT (synchronous=FULL): the licensee and its key are durable.
 *   7. Only then write the key file for the licensee (sk_out).
 *
 *   crash before 5: the transaction rolls back, nothing changed.
 *   crash between 5 and 6: the master key lists j but the keyring does not;
 *      nobody was given key j (step 7 never ran), the next add issues j+1
 *      with a fresh b.  The id j stays unused: a gap, never a double issue.
 *   crash between 6 and 7: licensee j is recorded with its key; write the
 *      file again with `encryip licensee export`.
 * The reverse order (commit before saving the master key) could lose the
 * record of b_{P+1} and issue it (and j) again. */
eip_status eip_keyring_licensee_add(eip_keyring_t *kr, const char *master_path, const char *name,
                                    const char *sk_out, eip_crypto_rng_t *rng,
                                    eip_keyring_licensee *added, eip_error *err)
{
    eip_status s;
    if ((s = eip_kr_writable(kr, "add a licensee", err)) || (s = eip_kr_name_check(name, err)))
        return s;
    struct stat sb;
    if (sk_out && stat(sk_out, &sb) == 0)
        return eip_error_set(err, EIP_ERR_STATE, "%s exists; refusing to overwrite a key", sk_out);
    if ((s = eip_kr_begin(kr, err)))
        return s;
    eip_crypto_master_t *m = NULL;
    eip_crypto_sk_t *sk = NULL;
    eip_keyring_licensee who;
    int64_t top = 0;
    char now[EIP_KEYRING_TIME_BYTES];
    eip_error e = {0};
    s = eip_keyring_licensee_find(kr, name, &who, &e);
    if (s == EIP_OK) {
        s = eip_error_set(err, EIP_ERR_ARG, "%s: licensee name '%s' is taken (licensee %lld); nothing "
                                            "was changed", kr->path, name, (long long)who.id);
        goto fail;
    }
    if (s != EIP_ERR_NOT_FOUND) { /* a database error: report it */
        if (err)
            *err = e;
        goto fail;
    }
    if ((s = max_id(kr, &top, err)) || (s = eip_crypto_master_load(master_path, &m, err)))
        goto fail;
    if (memcmp(eip_crypto_master_pk_id(m), eip_crypto_pk_id(kr->pk), EIP_CRYPTO_PKID_BYTES)) {
        s = eip_error_set(err, EIP_ERR_CRYPTO, "%s: master key belongs to another public key than %s",
                          master_path, kr->path);
        goto fail;
    }
    if (eip_crypto_master_licensees(m) < top) {
        s = eip_error_set(err, EIP_ERR_STATE,
                          "%s lists %lld licensees but %s already has licensee %lld: this master key "
                          "is an older copy; use the current one (issuing with it could repeat a key)",
                          master_path, (long long)eip_crypto_master_licensees(m), kr->path,
                          (long long)top);
        goto fail;
    }
    if ((s = eip_crypto_issue(m, kr->pk, rng, &sk, err))) {
        eip_error_prefix(err, "%s: ", master_path);
        goto fail;
    }
    eip_kr_now(now);
    if ((s = insert_licensee(kr, sk, name, now, err)) ||
        (s = eip_crypto_master_save(m, master_path, err)))
        goto fail;
    if ((s = eip_kr_commit(kr, err))) {
        eip_error_prefix(err, "licensee %lld was not recorded (its b is retired in %s): ",
                         (long long)eip_crypto_sk_index(sk), master_path);
        goto done;
    }
    if (added) {
        memset(added, 0, sizeof *added);
        added->id = eip_crypto_sk_index(sk);
        snprintf(added->name, sizeof added->name, "%s", name);
        memcpy(added->created, now, sizeof now);
    }
    if (sk_out && (s = eip_crypto_sk_save(sk, sk_out, err)))
        eip_error_prefix(err, "licensee %lld is recorded in %s but its key file could not be written "
                              "(run encryip licensee export): ",
                         (long long)eip_crypto_sk_index(sk), kr->path);
    goto done;
fail:
    eip_kr_rollback(kr);
done:
    eip_crypto_sk_free(sk);
    eip_crypto_master_free(m);
    return s;
}

/* ---- revoke ------------------------------------------------------------------ */

eip_status eip_keyring_licensee_revoke(eip_keyring_t *kr, int64_t id, const char *name,
                                       eip_keyring_licensee *out, eip_error *err)
{
    if (id <= 0 && !name)
        return eip_error_set(err, EIP_ERR_ARG, "revoke: give a licensee id or name");
    eip_status s = eip_kr_writable(kr, "revoke a licensee", err);
    if (!s)
        s = eip_kr_begin(kr, err);
    if (s)
        return s;
    eip_keyring_licensee who;
    s = id > 0 ? eip_keyring_licensee_get(kr, id, &who, err) : eip_keyring_licensee_find(kr, name, &who, err);
    if (s)
        goto fail;
    if (who.revoked[0]) {
        s = eip_error_set(err, EIP_ERR_STATE, "%s: licensee %lld (%s) was already revoked at %s", kr->path,
                          (long long)who.id, who.name, who.revoked);
        goto fail;
    }
    sqlite3_stmt *st;
    if ((s = eip_kr_prepare(kr, "UPDATE licensee SET revoked = ? WHERE id = ? AND revoked IS NULL", &st,
                            err)))
        goto fail;
    eip_kr_now(who.revoked);
    sqlite3_bind_text(st, 1, who.revoked, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, who.id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        s = eip_kr_sqlerr(kr, rc, "revoking", err);
        goto fail;
    }
    if ((s = eip_kr_commit(kr, err)))
        return s;
    if (out)
        *out = who;
    return EIP_OK;
fail:
    eip_kr_rollback(kr);
    return s;
}

/* ---- verify-key (section 4.4, "secret key available") ------------------------- */

eip_status eip_keyring_verify_key(eip_keyring_t *kr, const eip_crypto_sk_t *sk,
                                  eip_keyring_licensee *who, eip_error *err)
{
    eip_error e = {0};
    eip_status s = eip_crypto_sk_check_pk(sk, eip_crypto_pk_id(kr->pk), "the presented key", &e);
    if (s)
        return eip_error_set(err, EIP_ERR_NOT_FOUND, "%s (this keyring: %s)", e.msg, kr->path);
    sqlite3_stmt *st;
    if ((s = eip_kr_prepare(kr, "SELECT id, sk FROM licensee ORDER BY id", &st, err)))
        return s;
    /* Every stored key is compared (no early exit), each in constant time. */
    int64_t hit = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        eip_crypto_sk_t *have = NULL;
        if ((s = eip_kr_sk_decode(kr, id, sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), &have,
                                  err)))
            break;
        int64_t eq = eip_crypto_sk_equal(have, sk) != 0;
        hit |= -eq & id; /* branch-free: keeps id when equal */
        eip_crypto_sk_free(have);
    }
    if (!s && rc != SQLITE_DONE)
        s = eip_kr_sqlerr(kr, rc, "reading licensee keys", err);
    sqlite3_finalize(st);
    if (s)
        return s;
    if (!hit)
        return eip_error_set(err, EIP_ERR_NOT_FOUND,
                             "the presented key belongs to this public key but is no licensee's key "
                             "in %s (forged, or issued and not recorded)",
                             kr->path);
    eip_keyring_licensee tmp;
    return eip_keyring_licensee_get(kr, hit, who ? who : &tmp, err);
}
