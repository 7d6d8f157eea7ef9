/* encryip keygen: Gen(P) (EncryIP Figure 1) -> DIR/public.key,
 * DIR/master.key (0600) and DIR/licensee-<j>.key (0600), j = 1..P. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "encryip/crypto.h"

static const char USAGE[] =
    "--classes Z --licensees P [--group paper|ristretto255] [--q Q] [--seed S] --out DIR [--force]";

int eip_cli_keygen(int argc, char **argv)
{
    const char *cmd = "keygen";
    eip_cli_opt opts[] = {
        {"classes", "Z", "number of classes z (labels 0..z-1)", true, NULL, false},
        {"licensees", "P", "number of licensees (secret keys)", true, NULL, false},
        {"group", "G", "paper (Z_q^*, insecure, as in the paper) or ristretto255 (default)", false, NULL, false},
        {"q", "Q", "paper group: prime q > z (default: smallest prime > z); P <= q-1", false, NULL, false},
        {"seed", "S", "deterministic keys from seed S (tests/demos only, never for real keys)", false, NULL, false},
        {"out", "DIR", "output directory (created if missing)", true, NULL, false},
        {"force", NULL, "overwrite existing keys in DIR", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, USAGE, opts, argc, argv);
    if (rc >= 0)
        return rc;
    int64_t z, p, q, seed;
    if (!eip_cli_get_i64(cmd, opts, "classes", 0, 2, EIP_CRYPTO_MAX_CLASSES, &z) ||
        !eip_cli_get_i64(cmd, opts, "licensees", 0, 1, EIP_CRYPTO_MAX_LICENSEES, &p) ||
        !eip_cli_get_i64(cmd, opts, "q", 0, 3, EIP_CRYPTO_MAX_PAPER_Q, &q) ||
        !eip_cli_get_i64(cmd, opts, "seed", -1, 0, INT64_MAX, &seed))
        return EIP_EXIT_USAGE;
    eip_error err = {0};
    eip_status s;
    eip_crypto_group_id grp = EIP_CRYPTO_GROUP_RISTRETTO255;
    if (eip_cli_has(opts, "group") && (s = eip_crypto_group_parse(eip_cli_get(opts, "group"), &grp, &err)))
        return eip_cli_fail(cmd, s, &err);
    if (grp == EIP_CRYPTO_GROUP_RISTRETTO255 && eip_cli_has(opts, "q")) {
        fprintf(stderr, "encryip %s: error: --q: only the paper group takes a modulus "
                        "(ristretto255 has a fixed prime order)\n", cmd);
        return EIP_EXIT_USAGE;
    }
    if ((s = eip_crypto_init(&err)))
        return eip_cli_fail(cmd, s, &err);

    const char *dir = eip_cli_get(opts, "out");
    eip_crypto_rng_t *rng = NULL;
    if (seed >= 0) {
        if ((s = eip_crypto_rng_new_u64((uint64_t)seed, &rng, &err)))
            return eip_cli_fail(cmd, s, &err);
        fprintf(stderr, "encryip %s: warning: --seed makes the keys reproducible by anyone who knows "
                        "the seed: for tests and demos only\n", cmd);
    }
    eip_crypto_params prm = {grp, (int32_t)z, q};
    eip_crypto_pk_t *pk = NULL;
    eip_crypto_master_t *m = NULL;
    if ((s = eip_crypto_gen(&prm, p, rng, &pk, &m, &err)))
        goto done;
    if (grp == EIP_CRYPTO_GROUP_PAPER)
        fprintf(stderr,
                "encryip %s: warning: the paper group Z_%lld^* is trivially breakable (a discrete log in "
                "a group of order %lld takes microseconds: 'encryip attack dlog' decrypts with the "
                "public key alone); use --group ristretto255 for real protection\n",
                cmd, (long long)eip_crypto_pk_q(pk), (long long)eip_crypto_pk_q(pk) - 1);
    s = eip_crypto_keyset_save(dir, pk, m, eip_cli_has(opts, "force"), &err);
    if (!s) {
        const unsigned char *id = eip_crypto_pk_id(pk);
        printf("keygen: group %s, %lld classes", eip_crypto_group_name(grp), (long long)z);
        if (grp == EIP_CRYPTO_GROUP_PAPER)
            printf(", q = %lld", (long long)eip_crypto_pk_q(pk));
        printf(", %lld licensees, key id ", (long long)p);
        for (int i = 0; i < EIP_CRYPTO_PKID_BYTES; i++)
            printf("%02x", id[i]);
        printf("\nkeygen: wrote %s/public.key, %s/master.key (0600), %s/licensee-1..%lld.key (0600)\n",
               dir, dir, dir, (long long)p);
    }
done:
    eip_crypto_pk_free(pk);
    eip_crypto_master_free(m);
    eip_crypto_rng_free(rng);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}
