/* encryip keyring init|check — turn a keygen output directory (or a public
 * key plus licensee key files) into a keyring, and check a keyring
 * (docs/KEYRING.md). */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    const char *cmd = "keyring init";
    eip_cli_opt opts[] = {
        {"from", "DIR", "keygen output directory (DIR/public.key, DIR/licensee-*.key)", false, NULL, false},
        {"pk", "FILE", "public key (instead of --from)", false, NULL, false},
        {"keys", "FILE...", "licensee key files (instead of --from)", false, NULL, false},
        {"names", "A,B,...", "licensee names in order of id (default licensee-<id>)", false, NULL, false},
        {"master", "FILE", "also check every key against this master key", false, NULL, false},
        {"out", "K", "keyring to create (0600; must not exist)", true, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    static const char usage[] =
        "(--from DIR | --pk DIR/public.key --keys DIR/licensee-*.key ...) --out K [--names A,B,...] "
        "[--master FILE]";
    key_list keys = {0};
    char **kept = calloc((size_t)argc + 1, sizeof *kept);
    int nkept = 0;
    if (!kept || split_keys(argc, argv, kept, &nkept, &keys)) {
        fprintf(stderr, "encryip %s: error: out of memory\n", cmd);
        free(kept);
        key_list_free(&keys);
        return EIP_EXIT_FAILURE;
    }
    int rc = eip_cli_parse(cmd, usage, opts, nkept, kept);
    free(kept);
    if (rc >= 0) {
        key_list_free(&keys);
        return rc;
    }
    const char *from = eip_cli_get(opts, "from");
    if (!!from == (eip_cli_has(opts, "pk") || eip_cli_has(opts, "keys")) ||
        (!from && !eip_cli_has(opts, "pk"))) {
        fprintf(stderr, "encryip %s: error: give either --from DIR or --pk FILE [--keys FILE...]\n", cmd);
        key_list_free(&keys);
        return EIP_EXIT_USAGE;
    }
    eip_error err = {0};
    eip_status s = eip_crypto_init(&err);
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
        snprintf(pkpath, sizeof pkpath, "%s", eip_cli_get(opts, "pk"));
        if (eip_cli_has(opts, "keys") && key_list_add(&all, eip_cli_get(opts, "keys")))
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
    if (!s && eip_cli_has(opts, "names")) {
        if (!(namebuf = strdup(eip_cli_get(opts, "names"))) || split_names(namebuf, &names, &nnames))
            s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
        else if (nnames != all.n)
            s = eip_error_set(&err, EIP_ERR_ARG, "--names: %d names for %d keys", nnames, all.n);
    }
    const char *out = eip_cli_get(opts, "out");
    if (!s)
        s = eip_keyring_create(out, pk, sks, (const char *const *)names, all.n, &kr, &err);
    if (!s && eip_cli_has(opts, "master"))
        s = eip_keyring_check(kr, eip_cli_get(opts, "master"), NULL, &err);
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
    const char *cmd = "keyring check";
    eip_cli_opt opts[] = {
        {"keyring", "K", "keyring database", true, NULL, false},
        {"master", "FILE", "also check every key against this master key", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--keyring K [--master FILE]", opts, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_keyring_t *kr = NULL;
    eip_status s = eip_keyring_open(eip_cli_get(opts, "keyring"), &kr, &err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    eip_keyring_stats st;
    s = eip_keyring_check(kr, eip_cli_get(opts, "master"), &st, &err);
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
