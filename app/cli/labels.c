#include "cli/labels.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/crypto.h"
#include "encryip/data.h"
#include "encryip/util.h"

/* Labels from an idx1 file (raw or .gz; via the data module) or a text file
 * with one integer label per line (blank lines ignored). */
eip_status eip_cli_labels_read(const char *path, int32_t classes, int32_t **labels, int64_t *n,
                               eip_error *err)
{
    *labels = NULL;
    *n = 0;
    unsigned char *buf;
    size_t len;
    eip_status s = eip_io_read_file(path, (size_t)1 << 30, &buf, &len, err);
    if (s)
        return s;
    bool binary = (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) ||
                  (len >= 4 && buf[0] == 0 && buf[1] == 0 && buf[2] == 8 && buf[3] == 1);
    if (binary) {
        free(buf);
        return eip_data_idx_labels_load(path, classes, labels, n, err);
    }
    int32_t *out = malloc((len / 2 + 1) * sizeof *out);
    if (!out) {
        free(buf);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    }
    int64_t count = 0, line = 0;
    size_t i = 0;
    while (i < len && !s) {
        size_t j = i;
        while (j < len && buf[j] != '\n')
            j++;
        line++;
        size_t a = i, b = j;
        while (a < b && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\r'))
            a++;
        while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\r'))
            b--;
        if (b > a) {
            char tok[32], what[4200];
            if (b - a >= sizeof tok) {
                s = eip_error_set(err, EIP_ERR_FORMAT, "%s:%lld: not a label", path, (long long)line);
                break;
            }
            memcpy(tok, buf + a, b - a);
            tok[b - a] = 0;
            snprintf(what, sizeof what, "%s:%lld: label", path, (long long)line);
            int64_t v;
            if ((s = eip_parse_i64(what, tok, 0, classes - 1, &v, err))) {
                s = EIP_ERR_FORMAT;
                if (err)
                    err->code = s;
                break;
            }
            out[count++] = (int32_t)v;
        }
        i = j + 1;
    }
    free(buf);
    if (!s && count == 0)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: no labels", path);
    if (s) {
        free(out);
        return s;
    }
    *labels = out;
    *n = count;
    return EIP_OK;
}

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
