/* encryip attack dlog: decrypts paper-group ciphertexts WITHOUT any secret
 * key (discrete log of u1 = g1^r, then m = u3 / h^r) to show that the paper
 * group offers no confidentiality; refused for ristretto255 (exit code 5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "encryip/crypto.h"

static const char USAGE[] = "--pk FILE --in FILE.ct [--out labels.txt] [--expect LABELS]";

int eip_cli_attack_dlog(int argc, char **argv)
{
    const char *cmd = "attack dlog";
    eip_cli_opt opts[] = {
        {"pk", "FILE", "public key (the only key material used)", true, NULL, false},
        {"in", "FILE.ct", "ciphertext file", true, NULL, false},
        {"out", "FILE", "recovered labels, one per line (default: stdout)", false, NULL, false},
        {"expect", "LABELS", "true labels: report how many were recovered", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, USAGE, opts, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s = eip_crypto_init(&err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    const char *in = eip_cli_get(opts, "in");
    eip_crypto_pk_t *pk = NULL;
    eip_crypto_ct *c = NULL;
    int32_t *labels = NULL;
    int64_t n = 0;
    eip_crypto_cts_info info;
    if ((s = eip_crypto_pk_load(eip_cli_get(opts, "pk"), &pk, &err)))
        goto done;
    if (eip_crypto_pk_group(pk) != EIP_CRYPTO_GROUP_PAPER) { /* refuse before reading data */
        s = eip_crypto_attack_dlog(pk, NULL, 0, NULL, &err);
        goto done;
    }
    if ((s = eip_crypto_cts_load(in, &info, &c, &n, &err)))
        goto done;
    if (memcmp(info.pk_id, eip_crypto_pk_id(pk), EIP_CRYPTO_PKID_BYTES)) {
        s = eip_error_set(&err, EIP_ERR_CRYPTO, "%s: ciphertexts were made for another public key than %s",
                          in, eip_cli_get(opts, "pk"));
        goto done;
    }
    labels = malloc((size_t)(n ? n : 1) * sizeof *labels);
    if (!labels) {
        s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
        goto done;
    }
    double t0 = eip_cli_seconds();
    if ((s = eip_crypto_attack_dlog(pk, c, n, labels, &err)))
        goto done;
    double t1 = eip_cli_seconds();
    if ((s = eip_cli_labels_write(eip_cli_get(opts, "out"), labels, n, &err)))
        goto done;
    fprintf(stderr, "attack dlog: no secret key used; group Z_%lld^* of order %lld\n",
            (long long)eip_crypto_pk_q(pk), (long long)eip_crypto_pk_q(pk) - 1);
    s = eip_cli_labels_report(cmd, labels, n, eip_cli_get(opts, "expect"), info.classes, t1 - t0, &err);
done:
    free(labels);
    free(c);
    eip_crypto_pk_free(pk);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}
