/* Verification ciphertexts (paper section 4.4: the Fake ciphertexts c̄ whose
 * Φ(c̄) a protected model was trained to output for x̄, and targeted ones),
 * the expected decryptions ȳ'_j of eq. (5), and the verification log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyring/internal.h"

const char *eip_keyring_verif_kind_name(eip_keyring_verif_kind k)
{
    return k == EIP_KEYRING_VERIF_FAKE ? "fake" : k == EIP_KEYRING_VERIF_TARGETED ? "targeted" : "?";
}

const char *eip_keyring_log_kind_name(eip_keyring_log_kind k)
{
    return k == EIP_KEYRING_LOG_KEY ? "key" : k == EIP_KEYRING_LOG_TRACE ? "trace" : "?";
}

/* A ciphertext is stored in the ciphertext file format (docs/FORMATS.md,
 * n = 1): checksummed and tagged with the pk id, so a damaged or foreign
 * blob is detected on read. */
static eip_status ct_decode(eip_keyring_t *kr, int64_t row, const void *blob, int len,
                            eip_crypto_ct *out, eip_error *err)
{
    char name[4200];
    snprintf(name, sizeof name, "%s: verification ciphertext %lld", kr->path, (long long)row);
    if (!blob || len <= 0)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s is empty", name);
    eip_crypto_cts_info info;
    eip_crypto_ct *c = NULL;
    int64_t n = 0;
    eip_status s = eip_crypto_cts_from_bytes(blob, (size_t)len, name, &info, &c, &n, err);
    if (s)
        return s;
    if (n != 1)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: holds %lld ciphertexts, want 1", name, (long long)n);
    else if (memcmp(info.pk_id, eip_crypto_pk_id(kr->pk), EIP_CRYPTO_PKID_BYTES))
        s = eip_error_set(err, EIP_ERR_CRYPTO, "%s: belongs to another public key", name);
    else if (!(s = eip_crypto_pk_ct_check(kr->pk, &c[0], err)))
        *out = c[0];
    free(c);
    return s;
}

static eip_status verif_check(eip_keyring_t *kr, const eip_keyring_verif *v, int64_t i, eip_error *err)
{
    eip_status s;
    if (v->instance < 0)
        return eip_error_set(err, EIP_ERR_ARG, "verification %lld: instance %lld < 0", (long long)i,
                             (long long)v->instance);
    if (strnlen(v->model, sizeof v->model) > EIP_KEYRING_MODEL_MAX)
        return eip_error_set(err, EIP_ERR_ARG, "verification %lld: model identifier is not terminated",
                             (long long)i);
    if ((s = eip_crypto_pk_ct_check(kr->pk, &v->ct, err))) {
        eip_error_prefix(err, "verification %lld: ", (long long)i);
        return s;
    }
    if (v->kind == EIP_KEYRING_VERIF_FAKE) {
        if (v->licensee != 0)
            return eip_error_set(err, EIP_ERR_ARG, "verification %lld: a Fake ciphertext names no licensee",
                                 (long long)i);
        return EIP_OK;
    }
    if (v->kind != EIP_KEYRING_VERIF_TARGETED)
        return eip_error_set(err, EIP_ERR_ARG, "verification %lld: unknown kind %d", (long long)i,
                             (int)v->kind);
    if (v->label < 0 || v->label >= eip_crypto_pk_classes(kr->pk))
        return eip_error_set(err, EIP_ERR_RANGE, "verification %lld: label %d out of range 0..%d",
                             (long long)i, (int)v->label, (int)eip_crypto_pk_classes(kr->pk) - 1);
    eip_crypto_sk_t *sk = NULL;
    int32_t got = EIP_CRYPTO_NOT_A_LABEL;
    if ((s = eip_keyring_licensee_sk(kr, v->licensee, &sk, err)) ||
        (s = eip_crypto_dec_label(sk, &v->ct, &got, err))) {
        eip_crypto_sk_free(sk);
        eip_error_prefix(err, "verification %lld: ", (long long)i);
        return s;
    }
    eip_crypto_sk_free(sk);
    if (got != v->label)
        return eip_error_set(err, EIP_ERR_CRYPTO,
                             "verification %lld: licensee %lld decrypts the ciphertext to %d, not to "
                             "label %d",
                             (long long)i, (long long)v->licensee, (int)got, (int)v->label);
    return EIP_OK;
}

eip_status eip_keyring_verif_add(eip_keyring_t *kr, eip_keyring_verif *v, int64_t n, eip_error *err)
{
    if (n < 0 || (n > 0 && !v))
        return eip_error_set(err, EIP_ERR_ARG, "%s: bad verification list", kr->path);
    eip_status s = eip_kr_writable(kr, "store verification ciphertexts", err);
    if (!s)
        s = eip_kr_begin(kr, err);
    if (s)
        return s;
    sqlite3_stmt *st = NULL;
    if ((s = eip_kr_prepare(kr, "INSERT INTO verification (kind, licensee, label, model, instance, ct) "
                                "VALUES (?, ?, ?, ?, ?, ?)", &st, err)))
        goto fail;
    for (int64_t i = 0; i < n; i++) {
        unsigned char *buf = NULL;
        size_t len = 0;
        if ((s = verif_check(kr, &v[i], i, err)) ||
            (s = eip_crypto_cts_to_bytes(kr->pk, &v[i].ct, 1, &buf, &len, err)))
            goto fail;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        sqlite3_bind_text(st, 1, eip_keyring_verif_kind_name(v[i].kind), -1, SQLITE_STATIC);
        if (v[i].kind == EIP_KEYRING_VERIF_TARGETED) {
            sqlite3_bind_int64(st, 2, v[i].licensee);
            sqlite3_bind_int64(st, 3, v[i].label);
        }
        sqlite3_bind_text(st, 4, v[i].model, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 5, v[i].instance);
        sqlite3_bind_blob(st, 6, buf, (int)len, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        free(buf);
        if (rc != SQLITE_DONE) {
            char what[96];
            snprintf(what, sizeof what, "storing verification %lld (model/instance %lld taken?)",
                     (long long)i, (long long)v[i].instance);
            s = eip_kr_sqlerr(kr, rc, what, err);
            goto fail;
        }
        v[i].id = sqlite3_last_insert_rowid(kr->db);
    }
    sqlite3_finalize(st);
    return eip_kr_commit(kr, err);
fail:
    sqlite3_finalize(st);
    eip_kr_rollback(kr);
    return s;
}

eip_status eip_keyring_verif_list(eip_keyring_t *kr, const char *model, eip_keyring_verif **out,
                                  int64_t *n, eip_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    eip_status s = eip_kr_prepare(kr, "SELECT id, kind, licensee, label, model, instance, ct "
                                      "FROM verification WHERE ?1 IS NULL OR model = ?1 "
                                      "ORDER BY model, instance", &st, err);
    if (s)
        return s;
    if (model)
        sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
    eip_keyring_verif *v = NULL;
    int64_t cnt = 0, cap = 0;
    int rc;
    char kind[16];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            eip_keyring_verif *nv = realloc(v, (size_t)cap * sizeof *v);
            if (!nv) {
                s = eip_error_set(err, EIP_ERR_NOMEM, "%s: verifications: out of memory", kr->path);
                break;
            }
            v = nv;
        }
        eip_keyring_verif *e = &v[cnt];
        memset(e, 0, sizeof *e);
        e->id = sqlite3_column_int64(st, 0);
        e->licensee = sqlite3_column_int64(st, 2);
        e->instance = sqlite3_column_int64(st, 5);
        if ((s = eip_kr_col_text(kr, st, 1, kind, sizeof kind, 1, "verification kind", err)) ||
            (s = eip_kr_col_text(kr, st, 4, e->model, sizeof e->model, 1, "verification model", err)) ||
            (s = ct_decode(kr, e->id, sqlite3_column_blob(st, 6), sqlite3_column_bytes(st, 6), &e->ct,
                           err)))
            break;
        if (!strcmp(kind, "fake")) {
            e->kind = EIP_KEYRING_VERIF_FAKE;
            e->label = EIP_CRYPTO_NOT_A_LABEL;
        } else {
            e->kind = EIP_KEYRING_VERIF_TARGETED;
            int64_t label = sqlite3_column_int64(st, 3);
            if (label < 0 || label >= eip_crypto_pk_classes(kr->pk)) {
                s = eip_error_set(err, EIP_ERR_FORMAT, "%s: verification %lld: label %lld out of range",
                                  kr->path, (long long)e->id, (long long)label);
                break;
            }
            e->label = (int32_t)label;
        }
        cnt++;
    }
    if (!s && rc != SQLITE_DONE)
        s = eip_kr_sqlerr(kr, rc, "listing verifications", err);
    sqlite3_finalize(st);
    if (s) {
        free(v);
        return s;
    }
    *out = v;
    *n = cnt;
    return EIP_OK;
}

/* ---- eq. (5) ----------------------------------------------------------------- */

eip_status eip_keyring_decryptions(eip_keyring_t *kr, const eip_crypto_ct *c, int64_t **ids_out,
                                   eip_crypto_elem **dec_out, int64_t *n_out, eip_error *err)
{
    *ids_out = NULL;
    *dec_out = NULL;
    *n_out = 0;
    eip_status s = eip_crypto_pk_ct_check(kr->pk, c, err);
    if (s)
        return s;
    eip_keyring_licensee *ls = NULL;
    int64_t n = 0;
    if ((s = eip_keyring_licensee_list(kr, &ls, &n, err)))
        return s;
    int64_t *ids = malloc((size_t)(n ? n : 1) * sizeof *ids);
    eip_crypto_elem *dec = malloc((size_t)(n ? n : 1) * sizeof *dec);
    if (!ids || !dec)
        s = eip_error_set(err, EIP_ERR_NOMEM, "%s: decryptions: out of memory", kr->path);
    for (int64_t i = 0; i < n && !s; i++) {
        eip_crypto_sk_t *sk = NULL;
        ids[i] = ls[i].id;
        if (!(s = eip_keyring_licensee_sk(kr, ls[i].id, &sk, err)))
            s = eip_crypto_dec(sk, c, &dec[i], err);
        eip_crypto_sk_free(sk);
    }
    free(ls);
    if (s) {
        free(ids);
        free(dec);
        return s;
    }
    *ids_out = ids;
    *dec_out = dec;
    *n_out = n;
    return EIP_OK;
}

eip_status eip_keyring_match(eip_keyring_t *kr, const eip_crypto_ct *c,
                             const eip_crypto_elem *observed, eip_keyring_licensee *who,
                             eip_error *err)
{
    int64_t *ids = NULL, n = 0, j = 0;
    eip_crypto_elem *dec = NULL;
    eip_status s = eip_keyring_decryptions(kr, c, &ids, &dec, &n, err);
    if (s)
        return s;
    s = eip_crypto_verify_match(dec, n, observed, &j, err); /* j = 1..n: position */
    int64_t id = !s && j >= 1 && j <= n ? ids[j - 1] : 0;
    free(ids);
    free(dec);
    if (s)
        return s == EIP_ERR_NOT_FOUND
                   ? eip_error_set(err, EIP_ERR_NOT_FOUND,
                                   "%s: the observed output is no licensee's decryption", kr->path)
                   : s;
    if (!id)
        return eip_error_set(err, EIP_ERR_STATE, "%s: match index out of range", kr->path);
    eip_keyring_licensee tmp;
    return eip_keyring_licensee_get(kr, id, who ? who : &tmp, err);
}

/* ---- log ----------------------------------------------------------------------- */

eip_status eip_keyring_log_add(eip_keyring_t *kr, eip_keyring_log_kind kind, const char *suspect,
                               int64_t licensee, int64_t matched, int64_t total, eip_error *err)
{
    if (kind != EIP_KEYRING_LOG_KEY && kind != EIP_KEYRING_LOG_TRACE)
        return eip_error_set(err, EIP_ERR_ARG, "log: unknown kind %d", (int)kind);
    eip_status ws = eip_kr_writable(kr, "record the verification in its log", err);
    if (ws)
        return ws;
    if (!suspect || strlen(suspect) > EIP_KEYRING_SUSPECT_MAX)
        return eip_error_set(err, EIP_ERR_ARG, "log: suspect description missing or longer than %d bytes",
                             EIP_KEYRING_SUSPECT_MAX);
    if (matched < 0 || total < matched || licensee < 0)
        return eip_error_set(err, EIP_ERR_ARG, "log: bad counts (licensee %lld, %lld of %lld)",
                             (long long)licensee, (long long)matched, (long long)total);
    char now[EIP_KEYRING_TIME_BYTES];
    eip_kr_now(now);
    sqlite3_stmt *st;
    eip_status s = eip_kr_prepare(kr, "INSERT INTO verification_log "
                                      "(time, kind, suspect, licensee, matched, total) "
                                      "VALUES (?, ?, ?, ?, ?, ?)", &st, err);
    if (s)
        return s;
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, eip_keyring_log_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, suspect, -1, SQLITE_TRANSIENT);
    if (licensee)
        sqlite3_bind_int64(st, 4, licensee);
    sqlite3_bind_int64(st, 5, matched);
    sqlite3_bind_int64(st, 6, total);
    int rc = sqlite3_step(st); /* one statement: its own (atomic) transaction */
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? EIP_OK : eip_kr_sqlerr(kr, rc, "writing the verification log", err);
}

eip_status eip_keyring_log_list(eip_keyring_t *kr, eip_keyring_log_entry **out, int64_t *n,
                                eip_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    eip_status s = eip_kr_prepare(kr, "SELECT id, time, kind, suspect, licensee, matched, total "
                                      "FROM verification_log ORDER BY id", &st, err);
    if (s)
        return s;
    eip_keyring_log_entry *v = NULL;
    int64_t cnt = 0, cap = 0;
    int rc;
    char kind[16];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            eip_keyring_log_entry *nv = realloc(v, (size_t)cap * sizeof *v);
            if (!nv) {
                s = eip_error_set(err, EIP_ERR_NOMEM, "%s: log: out of memory", kr->path);
                break;
            }
            v = nv;
        }
        eip_keyring_log_entry *e = &v[cnt];
        memset(e, 0, sizeof *e);
        e->id = sqlite3_column_int64(st, 0);
        e->licensee = sqlite3_column_int64(st, 4); /* NULL reads as 0 */
        e->matched = sqlite3_column_int64(st, 5);
        e->total = sqlite3_column_int64(st, 6);
        if ((s = eip_kr_col_text(kr, st, 1, e->time, sizeof e->time, 1, "log time", err)) ||
            (s = eip_kr_col_text(kr, st, 2, kind, sizeof kind, 1, "log kind", err)) ||
            (s = eip_kr_col_text(kr, st, 3, e->suspect, sizeof e->suspect, 1, "log suspect", err)))
            break;
        e->kind = !strcmp(kind, "key") ? EIP_KEYRING_LOG_KEY : EIP_KEYRING_LOG_TRACE;
        cnt++;
    }
    if (!s && rc != SQLITE_DONE)
        s = eip_kr_sqlerr(kr, rc, "reading the verification log", err);
    sqlite3_finalize(st);
    if (s) {
        free(v);
        return s;
    }
    *out = v;
    *n = cnt;
    return EIP_OK;
}
