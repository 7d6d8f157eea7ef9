/* encryip issue: a new licensee without retraining (EncryIP section 4.5 (2)):
 * b_{P+1} not in {b_1..b_P}, a_{P+1} = a1 + (b1 - b_{P+1}) t.  The master
 * key's list of used b is updated atomically BEFORE the new key is written, so
 * a crash can never leave a handed-out key whose b could be issued again. */
#include <stdio.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "encryip/crypto.h"
#include "encryip/keyring.h"

static const char USAGE[] = "--master DIR/master.key --pk DIR/public.key --out FILE [--seed S] [--force]";

int eip_cli_issue(int argc, char **argv)
{
    const char *cmd = "issue";
    eip_cli_opt opts[] = {
        {"master", "FILE", "owner's master key (updated in place)", true, NULL, false},
        {"pk", "FILE", "public key", true, NULL, false},
        {"out", "FILE", "new licensee's secret key (0600)", true, NULL, false},
        {"seed", "S", "deterministic draw (tests only)", false, NULL, false},
        {"force", NULL, "overwrite an existing --out file", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, USAGE, opts, argc, argv);
    if (rc >= 0)
        return rc;
    int64_t seed;
    if (!eip_cli_get_i64(cmd, opts, "seed", -1, 0, INT64_MAX, &seed))
        return EIP_EXIT_USAGE;
    eip_error err = {0};
    eip_status s = eip_crypto_init(&err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    const char *mpath = eip_cli_get(opts, "master"), *out = eip_cli_get(opts, "out");
    struct stat st;
    if (!eip_cli_has(opts, "force") && stat(out, &st) == 0) {
        eip_error_set(&err, EIP_ERR_STATE, "%s exists; refusing to overwrite a key (use --force)", out);
        return eip_cli_fail(cmd, EIP_ERR_STATE, &err);
    }
    if ((s = eip_keyring_issue_guard(mpath, &err)))
        return eip_cli_fail(cmd, s, &err);
    eip_crypto_pk_t *pk = NULL;
    eip_crypto_master_t *m = NULL;
    eip_crypto_sk_t *sk = NULL;
    eip_crypto_rng_t *rng = NULL;
    if ((s = eip_crypto_pk_load(eip_cli_get(opts, "pk"), &pk, &err)) ||
        (s = eip_crypto_master_load(mpath, &m, &err)))
        goto done;
    if (seed >= 0 && (s = eip_crypto_rng_new_u64((uint64_t)seed, &rng, &err)))
        goto done;
    if ((s = eip_crypto_issue(m, pk, rng, &sk, &err))) {
        eip_error_prefix(&err, "%s: ", mpath);
        goto done;
    }
    if ((s = eip_crypto_master_save(m, mpath, &err)))
        goto done;
    if ((s = eip_crypto_sk_save(sk, out, &err))) {
        eip_error_prefix(&err, "licensee %lld is recorded in %s but its key could not be written: ",
                         (long long)eip_crypto_sk_index(sk), mpath);
        goto done;
    }
    printf("issue: licensee %lld -> %s (0600); %s now lists %lld licensees\n",
           (long long)eip_crypto_sk_index(sk), out, mpath, (long long)eip_crypto_master_licensees(m));
done:
    eip_crypto_sk_free(sk);
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
    eip_crypto_rng_free(rng);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}
