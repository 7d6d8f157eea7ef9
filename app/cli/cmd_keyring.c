/* The licensee keyring (docs/KEYRING.md):
 *   keyring init|check  turn a keygen output directory (or a public key plus
 *                       licensee key files) into a keyring; check a keyring
 *   licensee add|list|revoke|export|log
 *                       the licensees of a keyring; `add` issues a key with
 *                       the master key and needs no retraining (EncryIP
 *                       section 4.5 (2))
 *   verify-key          section 4.4, "secret key available": V([M], sk) = j
 *                       if sk = sk_j, False otherwise.  Prints "licensee J
 *                       (NAME)" (exit 0) or "no licensee: why" (exit 6), and
 *                       records the check in the keyring's verification log. */
#include <cjson/cJSON.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "encryip/keyring.h"

typedef struct key_list {
    char **paths; /* [n], strdup'd */
    int n;
} key_list;

static void key_list_free(key_list *k)
{
    for (int i = 0; i < k->n; i++)
        free(k->paths[i]);
    free(k->paths);
    k->paths = NULL;
    k->n = 0;
}

static int key_list_add(key_list *k, const char *p)
{
    char **np = realloc(k->paths, (size_t)(k->n + 1) * sizeof *np);
    if (!np)
        return -1;
    k->paths = np;
    if (!(k->paths[k->n] = strdup(p)))
        return -1;
    k->n++;
    return 0;
}

/* --keyring K, required by every command here but init. */
static eip_cli_opt keyring_opt(const char **var)
{
    return (eip_cli_opt){.name = "keyring", .arg = "K", .str = var, .required = true,
                         .help = "keyring database"};
}

static int by_index(const void *a, const void *b)
{
    int64_t x = eip_crypto_sk_index(*(eip_crypto_sk_t *const *)a);
    int64_t y = eip_crypto_sk_index(*(eip_crypto_sk_t *const *)b);
    return (x > y) - (x < y);
}

/* `--keys A B C ...` takes every argument up to the next option (what a shell
 * glob such as DIR/licensee-*.key expands to); eip_cli_parse sees only the
 * first.  The others are moved into `extra`. */
static int split_keys(int argc, char **argv, char **kept, int *nkept, key_list *extra)
{
    int k = 0;
    for (int i = 0; i < argc; i++) {
        kept[k++] = argv[i];
        if (strcmp(argv[i], "--keys") || i + 1 >= argc)
            continue;
        kept[k++] = argv[++i];
        while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
            if (key_list_add(extra, argv[++i]))
                return -1;
    }
    *nkept = k;
    return 0;
}

/* Comma-separated names, one per key (in order of licensee id). */
static int split_names(char *list, char ***names, int *n)
{
    int cnt = 1;
    for (char *p = list; *p; p++)
        cnt += *p == ',';
    *names = calloc((size_t)cnt, sizeof **names);
    if (!*names)
        return -1;
    int i = 0;
    for (char *tok = list, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        (*names)[i++] = tok;
    }
    *n = cnt;
    return 0;
}

int eip_cli_keyring_init(int argc, char **argv)
{
    const char *from = NULL, *pkarg = NULL, *key1 = NULL, *names_arg = NULL, *master = NULL, *out = NULL;
    eip_cli_opt opts[] = {
        {.name = "from", .arg = "DIR", .str = &from,
         .help = "keygen output directory (DIR/public.key, DIR/licensee-*.key)"},
        {.name = "pk", .arg = "FILE", .str = &pkarg, .help = "public key (instead of --from)"},
        {.name = "keys", .arg = "FILE...", .str = &key1, .help = "licensee key files (instead of --from)"},
        {.name = "names", .arg = "A,B,...", .str = &names_arg, .def_doc = "licensee-<id>",
         .help = "licensee names in order of id"},
        {.name = "master", .arg = "FILE", .str = &master, .help = "also check every key against this master key"},
        {.name = "out", .arg = "K", .str = &out, .required = true, .help = "keyring to create (0600; must not exist)"},
        {0},
    };
    const eip_cli_spec spec = {"keyring init",
                               "(--from DIR | --pk DIR/public.key --keys DIR/licensee-*.key ...) --out K "
                               "[--names A,B,...] [--master FILE]",
                               {opts, NULL}};
    const char *cmd = spec.cmd;
    key_list keys = {0};
    char **kept = calloc((size_t)argc + 1, sizeof *kept);
    int nkept = 0;
    if (!kept || split_keys(argc, argv, kept, &nkept, &keys)) {
        fprintf(stderr, "encryip %s: error: out of memory\n", cmd);
        free(kept);
        key_list_free(&keys);
        return EIP_EXIT_FAILURE;
    }
    int rc = eip_cli_parse(&spec, nkept, kept);
    free(kept);
    if (rc >= 0) {
        key_list_free(&keys);
        return rc;
    }
    if (!!from == (pkarg || key1) || (!from && !pkarg)) {
        fprintf(stderr, "encryip %s: error: give either --from DIR or --pk FILE [--keys FILE...]\n", cmd);
        key_list_free(&keys);
        return EIP_EXIT_USAGE;
    }
    eip_error err = {0};
    eip_status s = EIP_OK;
    char pkpath[4200];
    key_list all = {0};
    if (from) {
        snprintf(pkpath, sizeof pkpath, "%s/public.key", from);
        char pat[4200];
        snprintf(pat, sizeof pat, "%s/licensee-*.key", from);
        glob_t g;
        int gr = glob(pat, 0, NULL, &g);
        if (gr == 0)
            for (size_t i = 0; i < g.gl_pathc && !s; i++)
                if (key_list_add(&all, g.gl_pathv[i]))
                    s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
        if (gr == 0 || gr == GLOB_NOMATCH)
            globfree(&g);
        if (gr != 0 && gr != GLOB_NOMATCH)
            s = eip_error_set(&err, EIP_ERR_IO, "%s: cannot list the directory", from);
    } else {
        snprintf(pkpath, sizeof pkpath, "%s", pkarg);
        if (key1 && key_list_add(&all, key1))
            s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
        for (int i = 0; i < keys.n && !s; i++)
            if (key_list_add(&all, keys.paths[i]))
                s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
    }
    key_list_free(&keys);
    eip_crypto_pk_t *pk = NULL;
    eip_crypto_sk_t **sks = calloc((size_t)all.n + 1, sizeof *sks);
    char *namebuf = NULL, **names = NULL;
    int nnames = 0;
    eip_keyring_t *kr = NULL;
    if (!s && !sks)
        s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
    if (!s)
        s = eip_crypto_pk_load(pkpath, &pk, &err);
    for (int i = 0; i < all.n && !s; i++) {
        if (!(s = eip_crypto_sk_load(all.paths[i], &sks[i], &err)))
            s = eip_crypto_sk_check_pk(sks[i], eip_crypto_pk_id(pk), all.paths[i], &err);
    }
    if (!s && all.n)
        qsort(sks, (size_t)all.n, sizeof *sks, by_index);
    if (!s && names_arg) {
        if (!(namebuf = strdup(names_arg)) || split_names(namebuf, &names, &nnames))
            s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
        else if (nnames != all.n)
            s = eip_error_set(&err, EIP_ERR_ARG, "--names: %d names for %d keys", nnames, all.n);
    }
    if (!s)
        s = eip_keyring_create(out, pk, sks, (const char *const *)names, all.n, &kr, &err);
    if (!s && master)
        s = eip_keyring_check(kr, master, NULL, &err);
    if (!s) {
        printf("keyring init: %s (0600): group %s, %d classes, %d licensees\n", out,
               eip_crypto_group_name(eip_crypto_pk_group(pk)), (int)eip_crypto_pk_classes(pk), all.n);
        printf("keyring init: the master key is not stored in the keyring; keep it apart (0600) and pass "
               "it to 'encryip licensee add --master'\n");
    }
    eip_keyring_close(kr);
    for (int i = 0; i < all.n && sks; i++)
        eip_crypto_sk_free(sks[i]);
    free(sks);
    free(names);
    free(namebuf);
    key_list_free(&all);
    eip_crypto_pk_free(pk);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}

int eip_cli_keyring_check(int argc, char **argv)
{
    const char *keyring = NULL, *master = NULL;
    eip_cli_opt opts[] = {
        keyring_opt(&keyring),
        {.name = "master", .arg = "FILE", .str = &master, .help = "also check every key against this master key"},
        {0},
    };
    const eip_cli_spec spec = {"keyring check", "--keyring K [--master FILE]", {opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_keyring_t *kr = NULL;
    eip_status s = eip_keyring_open_readonly(keyring, &kr, &err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    eip_keyring_stats st;
    s = eip_keyring_check(kr, master, &st, &err);
    if (!s) {
        printf("keyring check: %s ok: %lld licensees (%lld revoked), %lld verification ciphertexts, "
               "%lld log entries\n",
               eip_keyring_path(kr), (long long)st.licensees, (long long)st.revoked,
               (long long)st.verifications, (long long)st.log_entries);
        if (st.master_count >= 0)
            printf("keyring check: master key lists %lld licensees; every stored key matches it\n",
                   (long long)st.master_count);
        if (st.master_count > st.licensees)
            printf("keyring check: %lld of the master key's licensees are not in the keyring (retired "
                   "by an interrupted add, or issued with 'encryip issue')\n",
                   (long long)(st.master_count - st.licensees));
    }
    eip_keyring_close(kr);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}

/* Readers (list, export, log) open read-only so that a keyring on a
 * read-only file system or mount can still be read; writers open it
 * read-write (and get the reason when it is not writable). */
static int open_keyring(const char *cmd, const char *path, bool readonly, eip_keyring_t **kr)
{
    eip_error err = {0};
    eip_status s = readonly ? eip_keyring_open_readonly(path, kr, &err) : eip_keyring_open(path, kr, &err);
    return s ? eip_cli_fail(cmd, s, &err) : -1;
}

int eip_cli_licensee_add(int argc, char **argv)
{
    const char *keyring = NULL, *master = NULL, *name = NULL, *out = NULL;
    int64_t seed = -1;
    eip_cli_opt opts[] = {
        keyring_opt(&keyring),
        {.name = "master", .arg = "FILE", .str = &master, .required = true,
         .help = "owner's master key (updated in place, stays 0600)"},
        {.name = "name", .arg = "NAME", .str = &name, .required = true,
         .help = "new licensee's unique name (1..128 bytes)"},
        {.name = "out", .arg = "FILE", .str = &out,
         .help = "also write the new licensee's secret key here (0600; must not exist)"},
        {.name = "seed", .arg = "S", .i64 = &seed, .min = 0, .max = INT64_MAX, .def_doc = "random",
         .help = "deterministic draw (tests only)"},
        {0},
    };
    const eip_cli_spec spec = {"licensee add", "--keyring K --master FILE --name NAME [--out FILE] [--seed S]",
                               {opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_keyring_t *kr = NULL;
    if ((rc = open_keyring(cmd, keyring, false, &kr)) >= 0)
        return rc;
    eip_crypto_rng_t *rng = NULL;
    eip_status s = EIP_OK;
    if (seed >= 0)
        s = eip_crypto_rng_new_u64((uint64_t)seed, &rng, &err);
    eip_keyring_licensee who;
    if (!s)
        s = eip_keyring_licensee_add(kr, master, name, out, rng,
                                     &who, &err);
    if (!s) {
        printf("licensee add: licensee %lld (%s) added to %s; %s updated\n", (long long)who.id, who.name,
               eip_keyring_path(kr), master);
        if (out)
            printf("licensee add: secret key -> %s (0600)\n", out);
        else
            printf("licensee add: secret key kept in the keyring; write it with: encryip licensee export "
                   "--keyring %s --id %lld --out FILE\n",
                   eip_keyring_path(kr), (long long)who.id);
    }
    eip_crypto_rng_free(rng);
    eip_keyring_close(kr);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}

int eip_cli_licensee_list(int argc, char **argv)
{
    const char *keyring = NULL;
    bool json = false;
    eip_cli_opt opts[] = {
        keyring_opt(&keyring),
        {.name = "json", .flag = &json, .help = "JSON array instead of a table"},
        {0},
    };
    const eip_cli_spec spec = {"licensee list", "--keyring K [--json]", {opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_keyring_t *kr = NULL;
    if ((rc = open_keyring(cmd, keyring, true, &kr)) >= 0)
        return rc;
    eip_error err = {0};
    eip_keyring_licensee *ls = NULL;
    int64_t n = 0;
    eip_status s = eip_keyring_licensee_list(kr, &ls, &n, &err);
    if (!s && json) {
        cJSON *arr = cJSON_CreateArray();
        for (int64_t i = 0; arr && i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            if (!o)
                break;
            cJSON_AddNumberToObject(o, "id", (double)ls[i].id);
            cJSON_AddStringToObject(o, "name", ls[i].name);
            cJSON_AddStringToObject(o, "created", ls[i].created);
            if (ls[i].revoked[0])
                cJSON_AddStringToObject(o, "revoked", ls[i].revoked);
            else
                cJSON_AddNullToObject(o, "revoked");
            cJSON_AddItemToArray(arr, o);
        }
        char *txt = arr ? cJSON_Print(arr) : NULL;
        if (txt)
            printf("%s\n", txt);
        else
            s = eip_error_set(&err, EIP_ERR_NOMEM, "JSON output: out of memory");
        free(txt);
        cJSON_Delete(arr);
    } else if (!s) {
        printf("%-6s %-32s %-20s %s\n", "id", "name", "created", "revoked");
        for (int64_t i = 0; i < n; i++)
            printf("%-6lld %-32s %-20s %s\n", (long long)ls[i].id, ls[i].name, ls[i].created,
                   ls[i].revoked[0] ? ls[i].revoked : "-");
    }
    free(ls);
    eip_keyring_close(kr);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}

/* --id J or --name NAME, exactly one (id 0: not given).  Returns -1 when
 * fine. */
static int pick_licensee(const char *cmd, int64_t id, const char *name)
{
    if ((id != 0) == (name != NULL))
        return eip_cli_usage_error(cmd, "give exactly one of --id J and --name NAME");
    return -1;
}

/* A missing licensee is a usage error here, not "no match" (exit 6 is for
 * verifications). */
static int fail_lookup(const char *cmd, eip_status s, eip_error *err)
{
    return eip_cli_fail(cmd, s == EIP_ERR_NOT_FOUND ? EIP_ERR_ARG : s, err);
}

int eip_cli_licensee_revoke(int argc, char **argv)
{
    const char *keyring = NULL, *name = NULL;
    int64_t id = 0;
    eip_cli_opt opts[] = {
        keyring_opt(&keyring),
        {.name = "id", .arg = "J", .i64 = &id, .min = 1, .max = INT64_MAX, .def_doc = "", .help = "licensee id"},
        {.name = "name", .arg = "NAME", .str = &name, .help = "licensee name"},
        {0},
    };
    const eip_cli_spec spec = {"licensee revoke", "--keyring K (--id J | --name NAME)", {opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    if ((rc = pick_licensee(cmd, id, name)) >= 0)
        return rc;
    eip_keyring_t *kr = NULL;
    if ((rc = open_keyring(cmd, keyring, false, &kr)) >= 0)
        return rc;
    eip_error err = {0};
    eip_keyring_licensee who;
    eip_status s = eip_keyring_licensee_revoke(kr, id, name, &who, &err);
    if (!s)
        printf("licensee revoke: licensee %lld (%s) revoked at %s; verifications still identify it\n",
               (long long)who.id, who.name, who.revoked);
    eip_keyring_close(kr);
    return s ? fail_lookup(cmd, s, &err) : EIP_EXIT_OK;
}

int eip_cli_licensee_export(int argc, char **argv)
{
    const char *keyring = NULL, *name = NULL, *out = NULL;
    int64_t id = 0;
    bool force = false;
    eip_cli_opt opts[] = {
        keyring_opt(&keyring),
        {.name = "id", .arg = "J", .i64 = &id, .min = 1, .max = INT64_MAX, .def_doc = "", .help = "licensee id"},
        {.name = "name", .arg = "NAME", .str = &name, .help = "licensee name"},
        {.name = "out", .arg = "FILE", .str = &out, .required = true, .help = "secret key file to write (0600)"},
        {.name = "force", .flag = &force, .help = "overwrite an existing --out file"},
        {0},
    };
    const eip_cli_spec spec = {"licensee export", "--keyring K (--id J | --name NAME) --out FILE [--force]",
                               {opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    if ((rc = pick_licensee(cmd, id, name)) >= 0)
        return rc;
    eip_error err = {0};
    struct stat sb;
    if (!force && stat(out, &sb) == 0) {
        eip_error_set(&err, EIP_ERR_STATE, "%s exists; refusing to overwrite a key (use --force)", out);
        return eip_cli_fail(cmd, EIP_ERR_STATE, &err);
    }
    eip_keyring_t *kr = NULL;
    if ((rc = open_keyring(cmd, keyring, true, &kr)) >= 0)
        return rc;
    eip_keyring_licensee who;
    eip_crypto_sk_t *sk = NULL;
    eip_status s = name ? eip_keyring_licensee_find(kr, name, &who, &err)
                        : eip_keyring_licensee_get(kr, id, &who, &err);
    if (!s && !(s = eip_keyring_licensee_sk(kr, who.id, &sk, &err)) &&
        !(s = eip_crypto_sk_save(sk, out, &err)))
        printf("licensee export: licensee %lld (%s)%s -> %s (0600)\n", (long long)who.id, who.name,
               who.revoked[0] ? " [revoked]" : "", out);
    eip_crypto_sk_free(sk);
    eip_keyring_close(kr);
    return s ? fail_lookup(cmd, s, &err) : EIP_EXIT_OK;
}

int eip_cli_licensee_log(int argc, char **argv)
{
    const char *keyring = NULL;
    bool json = false;
    eip_cli_opt opts[] = {
        keyring_opt(&keyring),
        {.name = "json", .flag = &json, .help = "JSON array instead of a table"},
        {0},
    };
    const eip_cli_spec spec = {"licensee log", "--keyring K [--json]", {opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_keyring_t *kr = NULL;
    if ((rc = open_keyring(cmd, keyring, true, &kr)) >= 0)
        return rc;
    eip_error err = {0};
    eip_keyring_log_entry *lg = NULL;
    int64_t n = 0;
    eip_status s = eip_keyring_log_list(kr, &lg, &n, &err);
    if (!s && json) {
        cJSON *arr = cJSON_CreateArray();
        for (int64_t i = 0; arr && i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            if (!o)
                break;
            cJSON_AddStringToObject(o, "time", lg[i].time);
            cJSON_AddStringToObject(o, "kind", eip_keyring_log_kind_name(lg[i].kind));
            cJSON_AddStringToObject(o, "suspect", lg[i].suspect);
            if (lg[i].licensee)
                cJSON_AddNumberToObject(o, "licensee", (double)lg[i].licensee);
            else
                cJSON_AddNullToObject(o, "licensee");
            cJSON_AddNumberToObject(o, "matched", (double)lg[i].matched);
            cJSON_AddNumberToObject(o, "total", (double)lg[i].total);
            cJSON_AddItemToArray(arr, o);
        }
        char *txt = arr ? cJSON_Print(arr) : NULL;
        if (txt)
            printf("%s\n", txt);
        else
            s = eip_error_set(&err, EIP_ERR_NOMEM, "JSON output: out of memory");
        free(txt);
        cJSON_Delete(arr);
    } else if (!s) {
        printf("%-20s %-5s %-8s %-9s %s\n", "time", "kind", "licensee", "matched", "suspect");
        for (int64_t i = 0; i < n; i++) {
            char who[24], frac[48];
            snprintf(who, sizeof who, "%lld", (long long)lg[i].licensee);
            snprintf(frac, sizeof frac, "%lld/%lld", (long long)lg[i].matched, (long long)lg[i].total);
            printf("%-20s %-5s %-8s %-9s %s\n", lg[i].time, eip_keyring_log_kind_name(lg[i].kind),
                   lg[i].licensee ? who : "-", frac, lg[i].suspect);
        }
    }
    free(lg);
    eip_keyring_close(kr);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}

int eip_cli_verify_key(int argc, char **argv)
{
    const char *keyring = NULL, *keyfile = NULL;
    bool no_log = false;
    eip_cli_opt opts[] = {
        keyring_opt(&keyring),
        {.name = "key", .arg = "FILE", .str = &keyfile, .required = true,
         .help = "the secret key found with the suspect"},
        {.name = "no-log", .flag = &no_log, .help = "do not record this check in the keyring's verification log"},
        {0},
    };
    const eip_cli_spec spec = {"verify-key", "--keyring K --key FILE [--no-log]", {opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s = EIP_OK;
    eip_crypto_sk_t *sk = NULL;
    if ((s = eip_crypto_sk_load(keyfile, &sk, &err)))
        return eip_cli_fail(cmd, s, &err);
    eip_keyring_t *kr = NULL;
    /* --no-log only reads: works on a read-only keyring too. */
    if ((s = no_log ? eip_keyring_open_readonly(keyring, &kr, &err) : eip_keyring_open(keyring, &kr, &err))) {
        eip_crypto_sk_free(sk);
        return eip_cli_fail(cmd, s, &err);
    }
    eip_keyring_licensee who;
    memset(&who, 0, sizeof who);
    s = eip_keyring_verify_key(kr, sk, &who, &err);
    eip_crypto_sk_free(sk);
    if (s && s != EIP_ERR_NOT_FOUND) { /* broken keyring or key: no verdict */
        eip_keyring_close(kr);
        return eip_cli_fail(cmd, s, &err);
    }
    eip_status verdict = s;
    if (!verdict)
        printf("licensee %lld (%s)%s%s\n", (long long)who.id, who.name,
               who.revoked[0] ? " revoked at " : "", who.revoked);
    else
        printf("no licensee: %s: %s\n", keyfile, err.msg);
    if (!no_log) {
        eip_error lerr = {0};
        s = eip_keyring_log_add(kr, EIP_KEYRING_LOG_KEY, keyfile, verdict ? 0 : who.id, verdict ? 0 : 1, 1,
                                &lerr);
        if (s) {
            eip_keyring_close(kr);
            eip_error_prefix(&lerr, "the verdict above could not be logged: ");
            return eip_cli_fail(cmd, s, &lerr);
        }
    }
    eip_keyring_close(kr);
    return verdict ? EIP_EXIT_NOMATCH : EIP_EXIT_OK;
}
