/* encryip decrypt: Dec(sk, c) (eq. 4) for every ciphertext of a file ->
 * one label per line ("not-a-label" where the decryption is no label, e.g.
 * a Fake ciphertext or a key of the same keyring that the row was not meant
 * for).  A key of another keyring is refused before decrypting anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "encryip/crypto.h"
#include "util/io.h"

/* Writes labels [n] as text (atomically to path, or to stdout if NULL). */
eip_status eip_cli_labels_write(const char *path, const int32_t *labels, int64_t n, eip_error *err)
{
    size_t cap = (size_t)n * 13 + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return eip_error_set(err, EIP_ERR_NOMEM, "label output: out of memory");
    for (int64_t i = 0; i < n; i++) {
        int w = labels[i] == EIP_CRYPTO_NOT_A_LABEL ? snprintf(buf + len, cap - len, "not-a-label\n")
                                                    : snprintf(buf + len, cap - len, "%d\n", (int)labels[i]);
        len += (size_t)w;
    }
    eip_status s = EIP_OK;
    if (path)
        s = eip_io_write_atomic(path, buf, len, EIP_IO_MODE_PUBLIC, err);
    else if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)
        s = eip_error_set(err, EIP_ERR_IO, "stdout: write failed");
    free(buf);
    return s;
}

/* Summary on stderr; with --expect also the number of correct labels. */
eip_status eip_cli_labels_report(const char *cmd, const int32_t *labels, int64_t n, const char *expect,
                                 int32_t classes, double seconds, eip_error *err)
{
    int64_t nal = 0;
    for (int64_t i = 0; i < n; i++)
        nal += labels[i] == EIP_CRYPTO_NOT_A_LABEL;
    fprintf(stderr, "%s: %lld ciphertexts: %lld labels, %lld not a label (%.2f s, %.0f/s)\n", cmd,
            (long long)n, (long long)(n - nal), (long long)nal, seconds,
            seconds > 0 ? (double)n / seconds : 0.0);
    if (!expect)
        return EIP_OK;
    int32_t *truth;
    int64_t m;
    eip_status s = eip_cli_labels_read(expect, classes, &truth, &m, err);
    if (s)
        return s;
    if (m != n) {
        free(truth);
        return eip_error_set(err, EIP_ERR_SHAPE, "%s: %lld labels, but %lld ciphertexts", expect,
                             (long long)m, (long long)n);
    }
    int64_t right = 0;
    for (int64_t i = 0; i < n; i++)
        right += labels[i] == truth[i];
    free(truth);
    fprintf(stderr, "%s: correct: %lld/%lld (%.2f%%) against %s\n", cmd, (long long)right, (long long)n,
            n ? 100.0 * (double)right / (double)n : 0.0, expect);
    return EIP_OK;
}

static const char USAGE[] = "--key FILE --in FILE.ct [--out labels.txt] [--expect LABELS]";

int eip_cli_decrypt(int argc, char **argv)
{
    const char *cmd = "decrypt";
    eip_cli_opt opts[] = {
        {"key", "FILE", "licensee secret key", true, NULL, false},
        {"in", "FILE.ct", "ciphertext file", true, NULL, false},
        {"out", "FILE", "labels, one per line (default: stdout)", false, NULL, false},
        {"expect", "LABELS", "true labels (idx1/.gz or text): report how many are right", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, USAGE, opts, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s = eip_crypto_init(&err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    const char *kpath = eip_cli_get(opts, "key"), *in = eip_cli_get(opts, "in");
    eip_crypto_sk_t *sk = NULL;
    eip_crypto_ct *c = NULL;
    int32_t *labels = NULL;
    int64_t n = 0;
    eip_crypto_cts_info info;
    if ((s = eip_crypto_sk_load(kpath, &sk, &err)) || (s = eip_crypto_cts_load(in, &info, &c, &n, &err)))
        goto done;
    if ((s = eip_crypto_sk_check_cts(sk, &info, in, &err))) {
        eip_error_prefix(&err, "%s: ", kpath);
        goto done;
    }
    labels = malloc((size_t)(n ? n : 1) * sizeof *labels);
    if (!labels) {
        s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
        goto done;
    }
    double t0 = eip_cli_seconds();
    for (int64_t i = 0; i < n && !s; i++)
        if ((s = eip_crypto_dec_label(sk, &c[i], &labels[i], &err)))
            eip_error_prefix(&err, "%s: ciphertext %lld: ", in, (long long)i);
    double t1 = eip_cli_seconds();
    if (s || (s = eip_cli_labels_write(eip_cli_get(opts, "out"), labels, n, &err)))
        goto done;
    fprintf(stderr, "decrypt: licensee %lld\n", (long long)eip_crypto_sk_index(sk));
    s = eip_cli_labels_report(cmd, labels, n, eip_cli_get(opts, "expect"), info.classes, t1 - t0, &err);
done:
    free(labels);
    free(c);
    eip_crypto_sk_free(sk);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}
