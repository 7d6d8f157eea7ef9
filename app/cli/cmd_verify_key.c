/* encryip verify-key: EncryIP section 4.4, "secret key available" —
 * V([M], sk) = j if sk = sk_j, False otherwise.  Prints "licensee J (NAME)"
 * (exit 0) or "no licensee: why" (exit 6), and records the check in the
 * keyring's verification log. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "encryip/keyring.h"

int eip_cli_verify_key(int argc, char **argv)
{
    const char *cmd = "verify-key";
    eip_cli_opt opts[] = {
        {"keyring", "K", "keyring database", true, NULL, false},
        {"key", "FILE", "the secret key found with the suspect", true, NULL, false},
        {"no-log", NULL, "do not record this check in the keyring's verification log", false, NULL,
         false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--keyring K --key FILE [--no-log]", opts, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s = eip_crypto_init(&err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    const char *keyfile = eip_cli_get(opts, "key");
    eip_crypto_sk_t *sk = NULL;
    if ((s = eip_crypto_sk_load(keyfile, &sk, &err)))
        return eip_cli_fail(cmd, s, &err);
    eip_keyring_t *kr = NULL;
    if ((s = eip_keyring_open(eip_cli_get(opts, "keyring"), &kr, &err))) {
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
    if (!eip_cli_has(opts, "no-log")) {
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
