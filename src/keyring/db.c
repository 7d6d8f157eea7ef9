/* Keyring database: schema (docs/KEYRING.md), create, open, close, check.
 * The top layer of the module: it builds on the SQL helpers (sql.c) and,
 * for the check, on licensee.c and verif.c; nothing calls back up here.
 *
 * Safety settings on every connection: journal_mode=WAL (readers never block
 * the writer, a killed writer leaves the last committed state), synchronous=
 * FULL (an issued key is on disk before the command reports it),
 * foreign_keys=ON, a busy handler waiting up to EIP_KEYRING_BUSY_MS in all
 * (sql.c).  Read-only opens: open_ro below.  SQL text is static;
 * user data is always a bound parameter. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keyring/internal.h"

/* Schema version 1.  STRICT tables: SQLite enforces the column types. */
static const char SCHEMA_V1[] =
    "CREATE TABLE meta ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " pk BLOB NOT NULL,"
    " pk_id BLOB NOT NULL CHECK (length(pk_id) = 16),"
    " grp TEXT NOT NULL CHECK (grp IN ('paper', 'ristretto255')),"
    " classes INTEGER NOT NULL CHECK (classes >= 2),"
    " q INTEGER NOT NULL CHECK (q >= 0),"
    " created TEXT NOT NULL"
    ") STRICT;"
    "CREATE TABLE licensee ("
    " id INTEGER PRIMARY KEY CHECK (id >= 1),"
    " name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 128),"
    " created TEXT NOT NULL,"
    " revoked TEXT,"
    " sk BLOB NOT NULL"
    ") STRICT;"
    "CREATE TABLE verification ("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL CHECK (kind IN ('fake', 'targeted')),"
    " licensee INTEGER REFERENCES licensee(id),"
    " label INTEGER,"
    " model TEXT NOT NULL,"
    " instance INTEGER NOT NULL CHECK (instance >= 0),"
    " ct BLOB NOT NULL,"
    " UNIQUE (model, instance),"
    " CHECK ((kind = 'fake' AND licensee IS NULL AND label IS NULL) OR"
    "        (kind = 'targeted' AND licensee IS NOT NULL AND label >= 0))"
    ") STRICT;"
    "CREATE TABLE verification_log ("
    " id INTEGER PRIMARY KEY,"
    " time TEXT NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('key', 'trace')),"
    " suspect TEXT NOT NULL,"
    " licensee INTEGER REFERENCES licensee(id),"
    " matched INTEGER NOT NULL CHECK (matched >= 0),"
    " total INTEGER NOT NULL CHECK (total >= matched)"
    ") STRICT;";

/* ---- create --------------------------------------------------------------- */

static void unlink_db_files(const char *p)
{
    char buf[4200];
    unlink(p);
    snprintf(buf, sizeof buf, "%s-wal", p);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-shm", p);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-journal", p);
    unlink(buf);
}

static void fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    free(copy);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Validates the create arguments before anything touches the disk. */
static eip_status create_args_check(const char *path, const eip_crypto_pk_t *pk,
                                    eip_crypto_sk_t *const *sks, const char *const *names, int64_t n,
                                    eip_error *err)
{
    if (!pk || n < 0 || (n > 0 && !sks))
        return eip_error_set(err, EIP_ERR_ARG, "%s: keyring needs a public key and the key list", path);
    eip_status s;
    for (int64_t i = 0; i < n; i++) {
        char what[64];
        snprintf(what, sizeof what, "licensee %lld key", (long long)eip_crypto_sk_index(sks[i]));
        if ((s = eip_crypto_sk_check_pk(sks[i], eip_crypto_pk_id(pk), what, err)))
            return s;
        if (names && (s = eip_kr_name_check(names[i], err))) {
            eip_error_prefix(err, "licensee %lld: ", (long long)eip_crypto_sk_index(sks[i]));
            return s;
        }
        for (int64_t k = 0; k < i; k++) {
            if (eip_crypto_sk_index(sks[k]) == eip_crypto_sk_index(sks[i]))
                return eip_error_set(err, EIP_ERR_ARG, "%s: licensee %lld is given twice", path,
                                     (long long)eip_crypto_sk_index(sks[i]));
            if (names && !strcmp(names[k], names[i]))
                return eip_error_set(err, EIP_ERR_ARG, "%s: licensee name '%s' is given twice", path,
                                     names[i]);
        }
    }
    return EIP_OK;
}

static eip_status create_fill(eip_keyring_t *kr, const eip_crypto_pk_t *pk,
                              eip_crypto_sk_t *const *sks, const char *const *names, int64_t n,
                              eip_error *err)
{
    eip_status s;
    if ((s = eip_kr_exec(kr, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", err)) ||
        (s = eip_kr_begin(kr, err)))
        return s;
    unsigned char *buf = NULL;
    size_t len = 0;
    sqlite3_stmt *st = NULL;
    char now[EIP_KEYRING_TIME_BYTES];
    eip_kr_now(now);
    if ((s = eip_kr_exec(kr, SCHEMA_V1, err)))
        goto fail;
    /* Constants, not user data: safe to spell out. */
    {
        char pragma[128];
        snprintf(pragma, sizeof pragma, "PRAGMA application_id=%d; PRAGMA user_version=%d",
                 EIP_KEYRING_APPLICATION_ID, EIP_KEYRING_SCHEMA_VERSION);
        if ((s = eip_kr_exec(kr, pragma, err)))
            goto fail;
    }
    if ((s = eip_crypto_pk_to_bytes(pk, &buf, &len, err)) ||
        (s = eip_kr_prepare(kr, "INSERT INTO meta (id, pk, pk_id, grp, classes, q, created) "
                                "VALUES (1, ?, ?, ?, ?, ?, ?)", &st, err)))
        goto fail;
    sqlite3_bind_blob(st, 1, buf, (int)len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, eip_crypto_pk_id(pk), EIP_CRYPTO_PKID_BYTES, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, eip_crypto_group_name(eip_crypto_pk_group(pk)), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, eip_crypto_pk_classes(pk));
    sqlite3_bind_int64(st, 5, eip_crypto_pk_q(pk));
    sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    st = NULL;
    free(buf);
    buf = NULL;
    if (rc != SQLITE_DONE) {
        s = eip_kr_sqlerr(kr, rc, "writing the public key", err);
        goto fail;
    }
    if ((s = eip_kr_prepare(kr, "INSERT INTO licensee (id, name, created, revoked, sk) "
                                "VALUES (?, ?, ?, NULL, ?)", &st, err)))
        goto fail;
    for (int64_t i = 0; i < n; i++) {
        int64_t j = eip_crypto_sk_index(sks[i]);
        char dflt[64];
        snprintf(dflt, sizeof dflt, "licensee-%lld", (long long)j);
        if ((s = eip_crypto_sk_to_bytes(sks[i], &buf, &len, err)))
            goto fail;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, j);
        sqlite3_bind_text(st, 2, names ? names[i] : dflt, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, buf, (int)len, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_clear_bindings(st);
        eip_crypto_secret_free(buf, len);
        buf = NULL;
        if (rc != SQLITE_DONE) {
            s = eip_kr_sqlerr(kr, rc, "storing a licensee", err);
            goto fail;
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if ((s = eip_kr_commit(kr, err)))
        return s;
    /* Persistent in the file header: every later connection runs in WAL. */
    return eip_kr_exec(kr, "PRAGMA journal_mode=WAL", err);
fail:
    sqlite3_finalize(st);
    free(buf);
    eip_kr_rollback(kr);
    return s;
}

eip_status eip_keyring_create(const char *path, const eip_crypto_pk_t *pk,
                              eip_crypto_sk_t *const *sks, const char *const *names, int64_t n,
                              eip_keyring_t **out, eip_error *err)
{
    if (out)
        *out = NULL;
    eip_status s;
    if ((s = eip_crypto_init(err)) || (s = create_args_check(path, pk, sks, names, n, err)))
        return s;
    struct stat sb;
    if (lstat(path, &sb) == 0)
        return eip_error_set(err, EIP_ERR_STATE, "%s exists; refusing to overwrite a keyring", path);
    /* The keyring holds secret keys: build it in a 0600 temporary file
     * (mkstemp: O_CREAT|O_EXCL, 0600) next to path, then link it into place.
     * SQLite gives its -wal/-shm files the database file's mode. */
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        s = eip_error_set(err, EIP_ERR_IO, "%s: cannot create temporary file: %s", path, strerror(errno));
        free(tmp);
        return s;
    }
    if (fchmod(fd, 0600) != 0) {
        s = eip_error_set(err, EIP_ERR_IO, "%s: chmod 0600: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return s;
    }
    close(fd);
    eip_keyring_t tk = {0};
    tk.path = (char *)path;
    int rc = sqlite3_open_v2(tmp, &tk.db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK)
        s = eip_kr_sqlerr(&tk, rc, "creating the keyring", err);
    else
        s = create_fill(&tk, pk, sks, names, n, err);
    rc = sqlite3_close(tk.db);
    if (!s && rc != SQLITE_OK)
        s = eip_error_set(err, EIP_ERR_IO, "%s: closing the new keyring failed: %s", path,
                          sqlite3_errstr(rc));
    if (!s) {
        fd = open(tmp, O_RDONLY);
        if (fd < 0 || fsync(fd) != 0)
            s = eip_error_set(err, EIP_ERR_IO, "%s: fsync: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    /* link() fails with EEXIST instead of replacing a keyring another
     * process created meanwhile. */
    if (!s && link(tmp, path) != 0)
        s = errno == EEXIST
                ? eip_error_set(err, EIP_ERR_STATE, "%s exists; refusing to overwrite a keyring", path)
                : eip_error_set(err, EIP_ERR_IO, "%s: cannot link the new keyring into place: %s", path,
                                strerror(errno));
    unlink_db_files(tmp);
    free(tmp);
    if (s)
        return s;
    fsync_dir_of(path);
    if (!out)
        return EIP_OK;
    return eip_keyring_open(path, out, err);
}

/* ---- open / close ----------------------------------------------------------- */

/* Any one-row, one-integer query. */
static eip_status pragma_int(eip_keyring_t *kr, const char *sql, const char *what, int64_t *v,
                             eip_error *err)
{
    sqlite3_stmt *st;
    eip_status s = eip_kr_prepare(kr, sql, &st, err);
    if (s)
        return s;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? EIP_OK : eip_kr_sqlerr(kr, rc, what, err);
}

static eip_status load_meta(eip_keyring_t *kr, eip_error *err)
{
    sqlite3_stmt *st;
    eip_status s = eip_kr_prepare(kr, "SELECT pk, pk_id, grp, classes, q, created FROM meta WHERE id = 1",
                                  &st, err);
    if (s)
        return s;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        s = rc == SQLITE_DONE ? eip_error_set(err, EIP_ERR_FORMAT, "%s: keyring has no public key (meta row)",
                                              kr->path)
                              : eip_kr_sqlerr(kr, rc, "reading the public key", err);
        sqlite3_finalize(st);
        return s;
    }
    char name[4200], grp[32];
    snprintf(name, sizeof name, "%s: public key", kr->path);
    const void *blob = sqlite3_column_blob(st, 0);
    int len = sqlite3_column_bytes(st, 0);
    if (!blob || len <= 0)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s is empty", name);
    else
        s = eip_crypto_pk_from_bytes(blob, (size_t)len, name, &kr->pk, err);
    if (!s)
        s = eip_kr_col_text(kr, st, 2, grp, sizeof grp, 1, "meta.grp", err);
    if (!s)
        s = eip_kr_col_text(kr, st, 5, kr->created, sizeof kr->created, 1, "meta.created", err);
    if (!s && (sqlite3_column_bytes(st, 1) != EIP_CRYPTO_PKID_BYTES ||
               memcmp(sqlite3_column_blob(st, 1), eip_crypto_pk_id(kr->pk), EIP_CRYPTO_PKID_BYTES) ||
               strcmp(grp, eip_crypto_group_name(eip_crypto_pk_group(kr->pk))) ||
               sqlite3_column_int64(st, 3) != eip_crypto_pk_classes(kr->pk) ||
               sqlite3_column_int64(st, 4) != eip_crypto_pk_q(kr->pk)))
        s = eip_error_set(err, EIP_ERR_FORMAT,
                          "%s: meta row (key id, group, classes, q) disagrees with the stored public key",
                          kr->path);
    sqlite3_finalize(st);
    return s;
}

static eip_status open_checks(eip_keyring_t *kr, int readonly, eip_error *err)
{
    eip_kr_busy_install(kr);
    int64_t app = 0, ver = 0;
    eip_status s;
    /* Identify the file before changing anything in it (journal_mode=WAL
     * would rewrite the header of someone else's database). */
    if ((s = pragma_int(kr, "PRAGMA application_id", "reading the file header", &app, err)) ||
        (s = pragma_int(kr, "PRAGMA user_version", "reading the file header", &ver, err)))
        return s;
    if (app != EIP_KEYRING_APPLICATION_ID)
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: an SQLite database but not an encryip keyring (application_id "
                             "0x%08llx, a keyring has 0x%08x)",
                             kr->path, (unsigned long long)(uint32_t)app, EIP_KEYRING_APPLICATION_ID);
    if (ver != EIP_KEYRING_SCHEMA_VERSION)
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: keyring schema version %lld is not supported (this encryip reads "
                             "version %d%s)",
                             kr->path, (long long)ver, EIP_KEYRING_SCHEMA_VERSION,
                             ver > EIP_KEYRING_SCHEMA_VERSION ? "; written by a newer encryip" : "");
    if ((s = eip_kr_exec(kr, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL", err)))
        return s;
    /* A reader must not try to switch the journal mode (that writes the
     * header); WAL is persistent in the file, set by create. */
    if (readonly)
        return load_meta(kr, err);
    sqlite3_stmt *st;
    if ((s = eip_kr_prepare(kr, "PRAGMA journal_mode=WAL", &st, err)))
        return s;
    int rc = sqlite3_step(st);
    const unsigned char *mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    if (rc != SQLITE_ROW)
        s = eip_kr_sqlerr(kr, rc, "switching to WAL journal mode", err);
    else if (!mode || strcmp((const char *)mode, "wal"))
        s = eip_error_set(err, EIP_ERR_IO, "%s: cannot use WAL journal mode (got '%s')", kr->path,
                          mode ? (const char *)mode : "?");
    sqlite3_finalize(st);
    return s ? s : load_meta(kr, err);
}

/* errno values that mean "no write access here" (vs. a missing file, ...). */
static const char *ro_errno_name(int e)
{
    switch (e) {
    case EROFS:
        return "read-only file system";
    case EACCES:
    case EPERM:
        return "permission denied";
    default:
        return NULL;
    }
}

/* Can a writer use path?  It needs the file writable and, in WAL mode,
 * PATH-wal and PATH-shm writable (or creatable in the directory).  Returns
 * 1 and the reason in buf when not.  access(), never open(): opening and
 * closing a descriptor of a file would drop the POSIX locks another handle
 * of this process holds on it (SQLite's locks are fcntl locks). */
static int write_blocked(const char *path, char *buf, size_t cap)
{
    const char *why;
    if (access(path, W_OK) != 0) {
        if ((why = ro_errno_name(errno))) {
            snprintf(buf, cap, "%s: %s", path, why);
            return 1;
        }
        return 0; /* another problem: SQLite reports it */
    }
    int need_dir = 0;
    size_t plen = strlen(path);
    char *side = malloc(plen + 8);
    if (!side)
        return 0;
    static const char *const suffix[] = {"-wal", "-shm"};
    for (int i = 0; i < 2; i++) {
        snprintf(side, plen + 8, "%s%s", path, suffix[i]);
        if (access(side, F_OK) != 0) {
            need_dir = 1;
        } else if (access(side, W_OK) != 0 && (why = ro_errno_name(errno))) {
            snprintf(buf, cap, "%s: %s", side, why);
            free(side);
            return 1;
        }
    }
    free(side);
    if (!need_dir)
        return 0;
    char *copy = strdup(path);
    if (!copy)
        return 0;
    const char *dir = dirname(copy);
    int blocked = 0;
    if (access(dir, W_OK | X_OK) != 0 && (why = ro_errno_name(errno))) {
        snprintf(buf, cap, "directory %s: %s (SQLite needs to create %s-wal and %s-shm there)", dir,
                 why, path, path);
        blocked = 1;
    }
    free(copy);
    return blocked;
}

/* "file:" URI of path with immutable=1 (percent-encoding every byte but
 * unreserved characters and '/', so '?', '#' and '%' in names are safe). */
static char *immutable_uri(const char *path)
{
    size_t n = strlen(path);
    char *u = malloc(3 * n + 32);
    if (!u)
        return NULL;
    char *o = u + sprintf(u, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    }
    strcpy(o, "?immutable=1");
    return u;
}

/* Read-only open.  In WAL mode even a reader needs PATH-shm; on a
 * read-only file system (or directory) it cannot be created, and SQLite
 * says "unable to open database file".  Then read the file as immutable
 * (no locks, no -shm): right as long as nobody writes it, which a
 * read-only location guarantees for this process's view.  Committed changes
 * still in a PATH-wal left by a crashed writer cannot be read that way:
 * refused, naming the file. */
static eip_status open_ro(eip_keyring_t *kr, eip_error *err)
{
    int rc = sqlite3_open_v2(kr->path, &kr->db, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK) {
        eip_kr_busy_install(kr);
        rc = sqlite3_exec(kr->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return open_checks(kr, 1, err);
    }
    int prim = rc & 0xff;
    if (prim != SQLITE_CANTOPEN && prim != SQLITE_READONLY && prim != SQLITE_IOERR)
        return eip_kr_sqlerr(kr, rc, "opening the keyring read-only", err);
    char first[256];
    snprintf(first, sizeof first, "%s", kr->db ? sqlite3_errmsg(kr->db) : sqlite3_errstr(rc));
    sqlite3_close(kr->db);
    kr->db = NULL;
    size_t plen = strlen(kr->path);
    char *wal = malloc(plen + 8);
    if (!wal)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", kr->path);
    snprintf(wal, plen + 8, "%s-wal", kr->path);
    struct stat sb;
    int wal_data = stat(wal, &sb) == 0 && sb.st_size > 0;
    eip_status s = EIP_OK;
    if (wal_data)
        s = eip_error_set(err, EIP_ERR_IO,
                          "%s: cannot read the keyring read-only: SQLite cannot open its shared-memory "
                          "file %s-shm (%s: %s), and %s holds changes not yet in %s, so it cannot be "
                          "read as immutable either; copy the keyring with its -wal file to a "
                          "writable place",
                          kr->path, kr->path, first, kr->ro_reason[0] ? kr->ro_reason : "no write access",
                          wal, kr->path);
    free(wal);
    if (s)
        return s;
    char *uri = immutable_uri(kr->path);
    if (!uri)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", kr->path);
    rc = sqlite3_open_v2(uri, &kr->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    kr->immutable = 1;
    if (rc == SQLITE_OK)
        s = open_checks(kr, 1, err);
    else
        s = eip_kr_sqlerr(kr, rc, "opening the keyring read-only (immutable)", err);
    if (s)
        eip_error_prefix(err, "%s: cannot read the keyring read-only (shared-memory file: %s; then "
                              "as immutable): ", kr->path, first);
    return s;
}

static eip_status open_any(const char *path, int readonly, eip_keyring_t **out, eip_error *err)
{
    *out = NULL;
    eip_status s = eip_crypto_init(err);
    if (s)
        return s;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return eip_error_set(err, EIP_ERR_IO, "%s: cannot open keyring: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: not a regular file, so not a keyring", path);
    if (sb.st_size == 0)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: empty file, not a keyring", path);
    eip_keyring_t *kr = calloc(1, sizeof *kr);
    if (!kr || !(kr->path = strdup(path))) {
        free(kr);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    }
    if (write_blocked(path, kr->ro_reason, sizeof kr->ro_reason))
        readonly = 1; /* a writer falls back to reading; its writes are refused with the reason */
    else if (readonly)
        snprintf(kr->ro_reason, sizeof kr->ro_reason, "opened for reading only");
    if (readonly) {
        s = open_ro(kr, err);
    } else {
        int rc = sqlite3_open_v2(path, &kr->db, SQLITE_OPEN_READWRITE, NULL);
        s = rc == SQLITE_OK ? open_checks(kr, 0, err) : eip_kr_sqlerr(kr, rc, "opening the keyring", err);
    }
    if (s) {
        eip_keyring_close(kr);
        return s;
    }
    *out = kr;
    return EIP_OK;
}

eip_status eip_keyring_open(const char *path, eip_keyring_t **out, eip_error *err)
{
    return open_any(path, 0, out, err);
}

eip_status eip_keyring_open_readonly(const char *path, eip_keyring_t **out, eip_error *err)
{
    return open_any(path, 1, out, err);
}

const char *eip_keyring_readonly(const eip_keyring_t *kr)
{
    return kr->ro_reason[0] ? kr->ro_reason : NULL;
}

void eip_keyring_close(eip_keyring_t *kr)
{
    if (!kr)
        return;
    sqlite3_close(kr->db); /* statements are always finalized by their users */
    eip_crypto_pk_free(kr->pk);
    free(kr->path);
    free(kr);
}

const char *eip_keyring_path(const eip_keyring_t *kr) { return kr->path; }
const eip_crypto_pk_t *eip_keyring_pk(const eip_keyring_t *kr) { return kr->pk; }
const char *eip_keyring_created(const eip_keyring_t *kr) { return kr->created; }

/* ---- check -------------------------------------------------------------------- */

static eip_status check_pragma_rows(eip_keyring_t *kr, const char *sql, int want_ok, eip_error *err)
{
    sqlite3_stmt *st;
    eip_status s = eip_kr_prepare(kr, sql, &st, err);
    if (s)
        return s;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        if (!want_ok)
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: %s: table %s has a dangling reference",
                              kr->path, sql, t ? (const char *)t : "?");
        else if (!t || strcmp((const char *)t, "ok"))
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: %s: %s", kr->path, sql,
                              t ? (const char *)t : "?");
    } else if (rc != SQLITE_DONE) {
        s = eip_kr_sqlerr(kr, rc, sql, err);
    } else if (want_ok) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: %s returned nothing", kr->path, sql);
    }
    sqlite3_finalize(st);
    return s;
}

static eip_status count(eip_keyring_t *kr, const char *sql, int64_t *v, eip_error *err)
{
    return pragma_int(kr, sql, "counting rows", v, err);
}

eip_status eip_keyring_check(eip_keyring_t *kr, const char *master_path, eip_keyring_stats *st_out,
                             eip_error *err)
{
    eip_keyring_stats st = {0};
    st.master_count = -1;
    eip_status s;
    if ((s = check_pragma_rows(kr, "PRAGMA integrity_check", 1, err)) ||
        (s = check_pragma_rows(kr, "PRAGMA foreign_key_check", 0, err)) ||
        (s = count(kr, "SELECT count(*) FROM licensee", &st.licensees, err)) ||
        (s = count(kr, "SELECT count(*) FROM licensee WHERE revoked IS NOT NULL", &st.revoked, err)) ||
        (s = count(kr, "SELECT count(*) FROM verification", &st.verifications, err)) ||
        (s = count(kr, "SELECT count(*) FROM verification_log", &st.log_entries, err)) ||
        (s = count(kr, "SELECT coalesce(max(id), 0) FROM licensee", &st.max_id, err)))
        return s;
    eip_crypto_master_t *m = NULL;
    if (master_path) {
        if ((s = eip_crypto_master_load(master_path, &m, err)))
            return s;
        st.master_count = eip_crypto_master_licensees(m);
        if (sodium_memcmp(eip_crypto_master_pk_id(m), eip_crypto_pk_id(kr->pk), EIP_CRYPTO_PKID_BYTES))
            s = eip_error_set(err, EIP_ERR_CRYPTO, "%s: master key belongs to another public key than %s",
                              master_path, kr->path);
        else if (st.master_count < st.max_id)
            s = eip_error_set(err, EIP_ERR_STATE,
                              "%s lists %lld licensees but %s has licensee %lld: the master key is "
                              "older than the keyring",
                              master_path, (long long)st.master_count, kr->path, (long long)st.max_id);
    }
    eip_keyring_licensee *ls = NULL;
    int64_t n = 0;
    if (!s)
        s = eip_keyring_licensee_list(kr, &ls, &n, err);
    for (int64_t i = 0; i < n && !s; i++) {
        eip_crypto_sk_t *sk = NULL;
        int64_t j = 0;
        if ((s = eip_keyring_licensee_sk(kr, ls[i].id, &sk, err)))
            break;
        if (m && (eip_crypto_verify_key(m, sk, &j, NULL) != EIP_OK || j != ls[i].id))
            s = eip_error_set(err, EIP_ERR_CRYPTO,
                              "%s: licensee %lld's key is not the key %s derives for licensee %lld",
                              kr->path, (long long)ls[i].id, master_path, (long long)ls[i].id);
        eip_crypto_sk_free(sk);
    }
    free(ls);
    eip_crypto_master_free(m);
    eip_keyring_verif *v = NULL;
    if (!s)
        s = eip_keyring_verif_list(kr, NULL, &v, &n, err); /* decodes and checks every ciphertext */
    free(v);
    if (!s && st_out)
        *st_out = st;
    return s;
}
