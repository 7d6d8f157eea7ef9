/* encryip licensee add|list|revoke|export|log — the licensees of a keyring
 * (docs/KEYRING.md).  `add` issues a key with the master key and needs no
 * retraining (EncryIP section 4.5 (2)). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "encryip/keyring.h"

static int open_keyring(const char *cmd, const eip_cli_opt *opts, eip_keyring_t **kr)
{
    eip_error err = {0};
    eip_status s = eip_keyring_open(eip_cli_get(opts, "keyring"), kr, &err);
    return s ? eip_cli_fail(cmd, s, &err) : -1;
}

int eip_cli_licensee_add(int argc, char **argv)
{
    const char *cmd = "licensee add";
    eip_cli_opt opts[] = {
        {"keyring", "K", "keyring database", true, NULL, false},
        {"master", "FILE", "owner's master key (updated in place, stays 0600)", true, NULL, false},
        {"name", "NAME", "new licensee's unique name (1..128 bytes)", true, NULL, false},
        {"out", "FILE", "also write the new licensee's secret key here (0600; must not exist)", false,
         NULL, false},
        {"seed", "S", "deterministic draw (tests only)", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--keyring K --master FILE --name NAME [--out FILE]", opts, argc, argv);
    if (rc >= 0)
        return rc;
    int64_t seed;
    if (!eip_cli_get_i64(cmd, opts, "seed", -1, 0, INT64_MAX, &seed))
        return EIP_EXIT_USAGE;
    eip_error err = {0};
    eip_keyring_t *kr = NULL;
    if ((rc = open_keyring(cmd, opts, &kr)) >= 0)
        return rc;
    eip_crypto_rng_t *rng = NULL;
    eip_status s = EIP_OK;
    if (seed >= 0)
        s = eip_crypto_rng_new_u64((uint64_t)seed, &rng, &err);
    eip_keyring_licensee who;
    const char *out = eip_cli_get(opts, "out");
    if (!s)
        s = eip_keyring_licensee_add(kr, eip_cli_get(opts, "master"), eip_cli_get(opts, "name"), out, rng,
                                     &who, &err);
    if (!s) {
        printf("licensee add: licensee %lld (%s) added to %s; %s updated\n", (long long)who.id, who.name,
               eip_keyring_path(kr), eip_cli_get(opts, "master"));
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
    const char *cmd = "licensee list";
    eip_cli_opt opts[] = {
        {"keyring", "K", "keyring database", true, NULL, false},
        {"json", NULL, "JSON array instead of a table", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--keyring K [--json]", opts, argc, argv);
    if (rc >= 0)
        return rc;
    eip_keyring_t *kr = NULL;
    if ((rc = open_keyring(cmd, opts, &kr)) >= 0)
        return rc;
    eip_error err = {0};
    eip_keyring_licensee *ls = NULL;
    int64_t n = 0;
    eip_status s = eip_keyring_licensee_list(kr, &ls, &n, &err);
    if (!s && eip_cli_has(opts, "json")) {
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

/* --id J or --name NAME, exactly one.  Returns -1 when fine. */
static int pick_licensee(const char *cmd, const eip_cli_opt *opts, int64_t *id, const char **name)
{
    *name = eip_cli_get(opts, "name");
    if (eip_cli_has(opts, "id") == (*name != NULL)) {
        fprintf(stderr, "encryip %s: error: give exactly one of --id J and --name NAME\n", cmd);
        return EIP_EXIT_USAGE;
    }
    if (!eip_cli_get_i64(cmd, opts, "id", 0, 1, INT64_MAX, id))
        return EIP_EXIT_USAGE;
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
    const char *cmd = "licensee revoke";
    eip_cli_opt opts[] = {
        {"keyring", "K", "keyring database", true, NULL, false},
        {"id", "J", "licensee id", false, NULL, false},
        {"name", "NAME", "licensee name", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--keyring K (--id J | --name NAME)", opts, argc, argv);
    if (rc >= 0)
        return rc;
    int64_t id;
    const char *name;
    if ((rc = pick_licensee(cmd, opts, &id, &name)) >= 0)
        return rc;
    eip_keyring_t *kr = NULL;
    if ((rc = open_keyring(cmd, opts, &kr)) >= 0)
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
    const char *cmd = "licensee export";
    eip_cli_opt opts[] = {
        {"keyring", "K", "keyring database", true, NULL, false},
        {"id", "J", "licensee id", false, NULL, false},
        {"name", "NAME", "licensee name", false, NULL, false},
        {"out", "FILE", "secret key file to write (0600)", true, NULL, false},
        {"force", NULL, "overwrite an existing --out file", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--keyring K (--id J | --name NAME) --out FILE [--force]", opts, argc, argv);
    if (rc >= 0)
        return rc;
    int64_t id;
    const char *name;
    if ((rc = pick_licensee(cmd, opts, &id, &name)) >= 0)
        return rc;
    const char *out = eip_cli_get(opts, "out");
    eip_error err = {0};
    struct stat sb;
    if (!eip_cli_has(opts, "force") && stat(out, &sb) == 0) {
        eip_error_set(&err, EIP_ERR_STATE, "%s exists; refusing to overwrite a key (use --force)", out);
        return eip_cli_fail(cmd, EIP_ERR_STATE, &err);
    }
    eip_keyring_t *kr = NULL;
    if ((rc = open_keyring(cmd, opts, &kr)) >= 0)
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
    const char *cmd = "licensee log";
    eip_cli_opt opts[] = {
        {"keyring", "K", "keyring database", true, NULL, false},
        {"json", NULL, "JSON array instead of a table", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--keyring K [--json]", opts, argc, argv);
    if (rc >= 0)
        return rc;
    eip_keyring_t *kr = NULL;
    if ((rc = open_keyring(cmd, opts, &kr)) >= 0)
        return rc;
    eip_error err = {0};
    eip_keyring_log_entry *lg = NULL;
    int64_t n = 0;
    eip_status s = eip_keyring_log_list(kr, &lg, &n, &err);
    if (!s && eip_cli_has(opts, "json")) {
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
