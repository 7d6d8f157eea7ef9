/* encryip keyring — the licensees of one public key in an SQLite database
 * (docs/KEYRING.md): who they are, their secret keys sk_j (paper section 4.2,
 * Figure 1), the verification ciphertexts a protected model was trained with
 * (section 4.4) and a log of verifications.  Licensees are added later with
 * the master key and no retraining (section 4.5 (2)).
 *
 * The keyring file holds secret keys: it is created 0600.  The master key is
 * NOT stored in it; it stays in its own 0600 file (owner's secret) and is
 * passed to eip_keyring_licensee_add / eip_keyring_check.
 *
 * Concurrency: any number of processes may use one keyring at once (WAL,
 * up to EIP_KEYRING_BUSY_MS waiting for the write lock, every change one
 * BEGIN IMMEDIATE transaction).  A killed
 * process leaves it consistent (SQLite atomic commit).  One eip_keyring_t
 * handle must not be used by two threads at the same time.
 *
 * Call eip_crypto_init() first (eip_keyring_create/open do it too). */
#ifndef ENCRYIP_KEYRING_H
#define ENCRYIP_KEYRING_H

#include <stdint.h>

#include "encryip/crypto.h"
#include "encryip/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EIP_KEYRING_SCHEMA_VERSION 1       /* PRAGMA user_version */
#define EIP_KEYRING_APPLICATION_ID 0x45495052 /* PRAGMA application_id, "EIPR" */
#define EIP_KEYRING_NAME_MAX 128           /* bytes of a licensee name */
#define EIP_KEYRING_MODEL_MAX 128          /* bytes of a model identifier */
#define EIP_KEYRING_SUSPECT_MAX 1024       /* bytes of a log entry's suspect text */
#define EIP_KEYRING_TIME_BYTES 21          /* "YYYY-MM-DDTHH:MM:SSZ" + NUL (UTC) */
/* Total wait for the write lock, queueing behind other writers included
 * (jittered back-off; the error then says how long and how many retries). */
#define EIP_KEYRING_BUSY_MS 30000

typedef struct eip_keyring eip_keyring_t;

/* One licensee.  id is the CS_lite index j (1-based) of its key. */
typedef struct eip_keyring_licensee {
    int64_t id;
    char name[EIP_KEYRING_NAME_MAX + 1];
    char created[EIP_KEYRING_TIME_BYTES];
    char revoked[EIP_KEYRING_TIME_BYTES]; /* "" while not revoked */
} eip_keyring_licensee;

/* ---- create / open ------------------------------------------------------ */

/* New keyring at path (must not exist) from pk and n >= 0 licensee keys
 * (each must belong to pk; ids are their indexes j, which must be distinct).
 * names: [n] or NULL (then "licensee-<j>").  Built in a temporary file and
 * linked into place, so a killed create leaves no half keyring at path.
 * *out (may be NULL) receives the opened keyring. */
eip_status eip_keyring_create(const char *path, const eip_crypto_pk_t *pk,
                              eip_crypto_sk_t *const *sks, const char *const *names, int64_t n,
                              eip_keyring_t **out, eip_error *err);
/* Opens an existing keyring; refuses (naming path) a missing file, a file
 * that is no SQLite database, an SQLite database that is no keyring, an
 * unknown schema version, or a corrupt public key. */
eip_status eip_keyring_open(const char *path, eip_keyring_t **out, eip_error *err);
/* Read-only keyrings (read-only file system, mount, file or directory):
 * eip_keyring_open falls back to reading when the file, its -wal/-shm or
 * their directory cannot be written; every writer (add, revoke, verif_add,
 * log_add) then fails with EIP_ERR_IO naming the file and the reason
 * ("read-only file system", "permission denied").
 * eip_keyring_open_readonly never writes (no journal-mode switch, SQLite
 * read-only connection) and, when even the -shm file WAL readers need
 * cannot be created, reads the file as immutable; it refuses (naming the
 * files) if a -wal file with unread changes lies next to it then. */
eip_status eip_keyring_open_readonly(const char *path, eip_keyring_t **out, eip_error *err);
/* NULL when kr is writable, else why not (a message fragment). */
const char *eip_keyring_readonly(const eip_keyring_t *kr);
void eip_keyring_close(eip_keyring_t *kr);

const char *eip_keyring_path(const eip_keyring_t *kr);
const eip_crypto_pk_t *eip_keyring_pk(const eip_keyring_t *kr);
const char *eip_keyring_created(const eip_keyring_t *kr);

typedef struct eip_keyring_stats {
    int64_t licensees, revoked, verifications, log_entries;
    int64_t max_id;        /* largest licensee id, 0 if none */
    int64_t master_count;  /* licensees the master key lists (-1 without master) */
} eip_keyring_stats;
/* Full check: PRAGMA integrity_check and foreign_key_check, every stored
 * blob parses and belongs to the keyring's public key, every licensee's key
 * index equals its id.  master_path (optional): also the master key parses,
 * belongs to the same public key, lists at least max_id licensees, and every
 * stored key equals the one the master key derives for that id.  st may be
 * NULL. */
eip_status eip_keyring_check(eip_keyring_t *kr, const char *master_path, eip_keyring_stats *st,
                             eip_error *err);

/* ---- licensees ----------------------------------------------------------- */

/* Section 4.5 (2): issues sk_{P+1} with the master key at master_path (fresh
 * b not used by any earlier key), records licensee `name` (unique, 1..128
 * bytes, no control characters) and updates master_path atomically.  pk, the
 * existing keys and the trained model stay as they are.  sk_out (optional,
 * must not exist): the new key is also written there (0600).  rng: NULL for
 * the system CSPRNG.  added (optional) receives the new licensee.  Crash
 * safety: see the comment in src/keyring/licensee.c. */
eip_status eip_keyring_licensee_add(eip_keyring_t *kr, const char *master_path, const char *name,
                                    const char *sk_out, eip_crypto_rng_t *rng,
                                    eip_keyring_licensee *added, eip_error *err);
/* For `encryip issue` (a key straight from the master key): EIP_ERR_STATE
 * naming the keyring and the `licensee add` command to use when an encryip
 * keyring (SQLite application_id "EIPR") is in the master key's directory
 * (the bundle layout: owner/master.key, owner/keyring.sqlite); EIP_OK if
 * none is.  A keyring elsewhere is not detected (`keyring check --master`
 * reports the master key's licensees a keyring does not hold). */
eip_status eip_keyring_issue_guard(const char *master_path, eip_error *err);
/* All licensees ordered by id (*out: malloc'd [*n], free() it; NULL if 0). */
eip_status eip_keyring_licensee_list(eip_keyring_t *kr, eip_keyring_licensee **out, int64_t *n,
                                     eip_error *err);
/* Look-ups (out may be NULL); EIP_ERR_NOT_FOUND naming the id/name when absent. */
eip_status eip_keyring_licensee_get(eip_keyring_t *kr, int64_t id, eip_keyring_licensee *out,
                                    eip_error *err);
eip_status eip_keyring_licensee_find(eip_keyring_t *kr, const char *name, eip_keyring_licensee *out,
                                     eip_error *err);
/* Marks licensee `id` (id > 0) or `name` (id == 0) revoked now.  Revoked
 * licensees keep their row: trace and verify-key still identify them and
 * report them as revoked.  Revoking twice: EIP_ERR_STATE.  out may be NULL. */
eip_status eip_keyring_licensee_revoke(eip_keyring_t *kr, int64_t id, const char *name,
                                       eip_keyring_licensee *out, eip_error *err);
/* Licensee id's secret key, validated (parses, pk id, index == id). */
eip_status eip_keyring_licensee_sk(eip_keyring_t *kr, int64_t id, eip_crypto_sk_t **out,
                                   eip_error *err);

/* Section 4.4 "secret key available": which licensee holds sk?  Compares sk
 * with every stored key in constant time per key (eip_crypto_sk_equal, no
 * early exit).  EIP_ERR_NOT_FOUND "belongs to another public key" when sk's
 * pk id differs, "is no licensee's key" when nothing matches. */
eip_status eip_keyring_verify_key(eip_keyring_t *kr, const eip_crypto_sk_t *sk,
                                  eip_keyring_licensee *who, eip_error *err);

/* ---- verification ciphertexts (section 4.4) ----------------------------- */

typedef enum eip_keyring_verif_kind {
    EIP_KEYRING_VERIF_FAKE = 1,     /* Fake(pk): decrypts differently under every key (paper group) */
    EIP_KEYRING_VERIF_TARGETED = 2  /* eip_crypto_fake_for: `label` under licensee j only */
} eip_keyring_verif_kind;

typedef struct eip_keyring_verif {
    int64_t id;                  /* row id (set by eip_keyring_verif_add) */
    eip_keyring_verif_kind kind;
    int64_t licensee;            /* targeted: j; fake: 0 */
    int32_t label;               /* targeted: j's label; fake: EIP_CRYPTO_NOT_A_LABEL */
    int64_t instance;            /* index into the model bundle's verification set, >= 0 */
    char model[EIP_KEYRING_MODEL_MAX + 1]; /* model bundle identifier ("" allowed) */
    eip_crypto_ct ct;
} eip_keyring_verif;

/* Stores n verification ciphertexts in one transaction (all or nothing) and
 * sets v[i].id.  Checked: ct in the group; (model, instance) unused;
 * targeted: licensee exists and Dec(sk_j, ct) is `label`. */
eip_status eip_keyring_verif_add(eip_keyring_t *kr, eip_keyring_verif *v, int64_t n,
                                 eip_error *err);
/* Ciphertexts of one model (model NULL: all), ordered by (model, instance);
 * *out malloc'd [*n] (free()). */
eip_status eip_keyring_verif_list(eip_keyring_t *kr, const char *model, eip_keyring_verif **out,
                                  int64_t *n, eip_error *err);

/* Eq. (5) expected values: ȳ'_j = Dec(sk_j, c) for every licensee (revoked
 * ones too), recomputed from the stored keys.  *ids, *dec: malloc'd [*n]. */
eip_status eip_keyring_decryptions(eip_keyring_t *kr, const eip_crypto_ct *c, int64_t **ids,
                                   eip_crypto_elem **dec, int64_t *n, eip_error *err);
/* Eq. (5) for one instance: the licensee whose Dec(sk_j, c) equals observed
 * (constant time per licensee), or EIP_ERR_NOT_FOUND ("False"). */
eip_status eip_keyring_match(eip_keyring_t *kr, const eip_crypto_ct *c,
                             const eip_crypto_elem *observed, eip_keyring_licensee *who,
                             eip_error *err);

/* ---- verification log ----------------------------------------------------- */

typedef enum eip_keyring_log_kind {
    EIP_KEYRING_LOG_KEY = 1,   /* verify-key: matched/total = 1/1 or 0/1 */
    EIP_KEYRING_LOG_TRACE = 2  /* trace: instances matching licensee / instances queried */
} eip_keyring_log_kind;

typedef struct eip_keyring_log_entry {
    int64_t id;
    char time[EIP_KEYRING_TIME_BYTES];
    eip_keyring_log_kind kind;
    char suspect[EIP_KEYRING_SUSPECT_MAX + 1];
    int64_t licensee; /* 0: no licensee */
    int64_t matched, total;
} eip_keyring_log_entry;

/* Appends an entry (time = now).  licensee 0 = none, else must exist;
 * 0 <= matched <= total; suspect: what was examined (file, URL, ...). */
eip_status eip_keyring_log_add(eip_keyring_t *kr, eip_keyring_log_kind kind, const char *suspect,
                               int64_t licensee, int64_t matched, int64_t total, eip_error *err);
/* Whole log, oldest first; *out malloc'd [*n] (free()). */
eip_status eip_keyring_log_list(eip_keyring_t *kr, eip_keyring_log_entry **out, int64_t *n,
                                eip_error *err);

const char *eip_keyring_verif_kind_name(eip_keyring_verif_kind k); /* "fake", "targeted" */
const char *eip_keyring_log_kind_name(eip_keyring_log_kind k);     /* "key", "trace" */

#ifdef __cplusplus
}
#endif
#endif
