/* encryip encrypt-labels: eq. (1) c_i = Enc(pk, y_i) for every label of a
 * file, optionally with the soft labels Φ(c_i) (eq. 2) for training.
 * Default: a fresh encryption per row.  --fixed: the paper's set-up (section
 * 4.2: "we establish the first encryption result as the ciphertext for each
 * label") — one ciphertext per label, every row gets its label's codeword;
 * --codebook writes those codewords.  ristretto255 soft labels need --fixed
 * (a one-hot over the codebook slots, see docs/DESIGN.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "encryip/crypto.h"
#include "encryip/data.h"
#include "util/io.h"
#include "util/parse.h"

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

double eip_cli_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char USAGE[] =
    "--pk FILE --labels FILE --out FILE.ct [--soft FILE] [--fixed] [--codebook FILE] [--seed S]";

int eip_cli_encrypt_labels(int argc, char **argv)
{
    const char *cmd = "encrypt-labels";
    eip_cli_opt opts[] = {
        {"pk", "FILE", "public key", true, NULL, false},
        {"labels", "FILE", "labels: idx1 (.gz) or text, one per line", true, NULL, false},
        {"out", "FILE.ct", "ciphertext file (docs/FORMATS.md)", true, NULL, false},
        {"soft", "FILE", "also write the Φ soft-label matrix (float32, docs/FORMATS.md)", false, NULL, false},
        {"fixed", NULL, "one ciphertext per label, as in the paper's training (default: fresh per row)", false, NULL, false},
        {"codebook", "FILE", "with --fixed: write the label codewords as a codebook", false, NULL, false},
        {"seed", "S", "deterministic encryption (tests only)", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, USAGE, opts, argc, argv);
    if (rc >= 0)
        return rc;
    int64_t seed;
    if (!eip_cli_get_i64(cmd, opts, "seed", -1, 0, INT64_MAX, &seed))
        return EIP_EXIT_USAGE;
    bool fixed = eip_cli_has(opts, "fixed");
    if (eip_cli_has(opts, "codebook") && !fixed) {
        fprintf(stderr, "encryip %s: error: --codebook needs --fixed (a codebook holds one ciphertext per label)\n", cmd);
        return EIP_EXIT_USAGE;
    }
    eip_error err = {0};
    eip_status s = eip_crypto_init(&err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    eip_crypto_pk_t *pk = NULL;
    eip_crypto_rng_t *rng = NULL;
    eip_crypto_codebook_t *cb = NULL;
    eip_crypto_ct *c = NULL;
    int32_t *labels = NULL;
    float *soft = NULL;
    int64_t n = 0;
    if ((s = eip_crypto_pk_load(eip_cli_get(opts, "pk"), &pk, &err)))
        goto done;
    if (eip_crypto_pk_group(pk) == EIP_CRYPTO_GROUP_RISTRETTO255 && eip_cli_has(opts, "soft") && !fixed) {
        s = eip_error_set(&err, EIP_ERR_ARG,
                          "--soft: ristretto255 soft labels are a one-hot over codebook slots and need "
                          "--fixed (a one-hot over the 2^252 group elements is impossible)");
        goto done;
    }
    if ((s = eip_cli_labels_read(eip_cli_get(opts, "labels"), eip_crypto_pk_classes(pk), &labels, &n, &err)))
        goto done;
    if (seed >= 0 && (s = eip_crypto_rng_new_u64((uint64_t)seed, &rng, &err)))
        goto done;
    c = malloc((size_t)n * sizeof *c);
    if (!c) {
        s = eip_error_set(&err, EIP_ERR_NOMEM, "%lld ciphertexts: out of memory", (long long)n);
        goto done;
    }
    double t0 = eip_cli_seconds();
    if (fixed) {
        /* slots shuffled as protect does (a one-hot over slots in label
         * order would be the plain label) */
        if ((s = eip_crypto_codebook_build(pk, 0, rng, &cb, &err)) ||
            (s = eip_crypto_codebook_shuffle(cb, rng, &err)))
            goto done;
        for (int64_t i = 0; i < n; i++)
            c[i] = *eip_crypto_codebook_ct(cb, eip_crypto_codebook_label_slot(cb, labels[i]));
    } else {
        for (int64_t i = 0; i < n && !s; i++)
            s = eip_crypto_enc(pk, labels[i], rng, &c[i], &err);
        if (s)
            goto done;
    }
    double t1 = eip_cli_seconds();
    if ((s = eip_crypto_cts_save(pk, c, n, eip_cli_get(opts, "out"), &err)))
        goto done;
    if (eip_cli_has(opts, "codebook") &&
        (s = eip_crypto_codebook_save(cb, eip_cli_get(opts, "codebook"), &err)))
        goto done;
    if (eip_cli_has(opts, "soft")) {
        int64_t dim = eip_crypto_phi_dim(pk, cb);
        soft = malloc((size_t)n * (size_t)dim * sizeof *soft); /* [N, dim] */
        if (!soft) {
            s = eip_error_set(&err, EIP_ERR_NOMEM, "soft labels %lld x %lld: out of memory", (long long)n,
                              (long long)dim);
            goto done;
        }
        for (int64_t i = 0; i < n && !s; i++)
            s = eip_crypto_phi(pk, cb, &c[i], soft + (size_t)i * (size_t)dim, &err);
        if (s || (s = eip_crypto_soft_save(pk, soft, n, dim, eip_cli_get(opts, "soft"), &err)))
            goto done;
        fprintf(stderr, "encrypt-labels: soft labels %lld x %lld -> %s\n", (long long)n, (long long)dim,
                eip_cli_get(opts, "soft"));
    }
    fprintf(stderr, "encrypt-labels: %lld labels, group %s, %s -> %s (%.2f s, %.0f labels/s)\n",
            (long long)n, eip_crypto_group_name(eip_crypto_pk_group(pk)),
            fixed ? "one fixed ciphertext per label" : "fresh Enc per row", eip_cli_get(opts, "out"),
            t1 - t0, (t1 - t0) > 0 ? (double)n / (t1 - t0) : 0.0);
done:
    free(soft);
    free(c);
    free(labels);
    eip_crypto_codebook_free(cb);
    eip_crypto_rng_free(rng);
    eip_crypto_pk_free(pk);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}
