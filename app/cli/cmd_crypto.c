/* The crypto commands (CS_lite, EncryIP section 4.2):
 *   keygen          Gen(P) (Figure 1) -> DIR/public.key, DIR/master.key (0600)
 *                   and DIR/licensee-<j>.key (0600), j = 1..P
 *   issue           a new licensee without retraining (section 4.5 (2))
 *   encrypt-labels  eq. (1) for every label of a file, optionally the soft
 *                   labels Φ(c_i) (eq. 2)
 *   decrypt         Dec(sk, c) (eq. 4) for every ciphertext of a file
 * (attack dlog: cmd_attack.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/groups.h"
#include "cli/labels.h"
#include "encryip/crypto.h"
#include "encryip/keyring.h"

int eip_cli_keygen(int argc, char **argv)
{
    int64_t z = 0, p = 0, q = 0, seed = -1;
    const char *dir = NULL;
    bool force = false;
    eip_crypto_group_id grp = EIP_CRYPTO_GROUP_RISTRETTO255;
    eip_cli_opt opts[] = {
        {.name = "classes", .arg = "Z", .i64 = &z, .min = 2, .max = EIP_CRYPTO_MAX_CLASSES, .required = true,
         .help = "number of classes z (labels 0..z-1)"},
        {.name = "licensees", .arg = "P", .i64 = &p, .min = 1, .max = EIP_CRYPTO_MAX_LICENSEES,
         .required = true, .help = "number of licensees (secret keys)"},
        eip_cli_opt_group(&grp),
        {.name = "q", .arg = "Q", .i64 = &q, .min = 3, .max = EIP_CRYPTO_MAX_PAPER_Q,
         .def_doc = "the smallest prime > z", .help = "paper group: prime q > z; P <= q-1"},
        {.name = "seed", .arg = "S", .i64 = &seed, .min = 0, .max = INT64_MAX, .def_doc = "random keys",
         .help = "deterministic keys from seed S (tests/demos only, never for real keys)"},
        {.name = "out", .arg = "DIR", .str = &dir, .required = true,
         .help = "output directory (created if missing)"},
        {.name = "force", .flag = &force, .help = "overwrite existing keys in DIR"},
        {0},
    };
    const eip_cli_spec spec = {"keygen",
                               "--classes Z --licensees P [--group paper|ristretto255] [--q Q] [--seed S] "
                               "--out DIR [--force]",
                               {opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s;
    if (grp == EIP_CRYPTO_GROUP_RISTRETTO255 && eip_cli_given(&spec, &q))
        return eip_cli_usage_error(cmd, "--q: only the paper group takes a modulus "
                                        "(ristretto255 has a fixed prime order)");

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
    /* the whole key set appears at once or not at all (full disk, kill -9) */
    s = eip_crypto_keyset_save(dir, pk, m, force, &err);
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

int eip_cli_issue(int argc, char **argv)
{
    const char *mpath = NULL, *pkpath = NULL, *out = NULL;
    int64_t seed = -1;
    bool force = false;
    eip_cli_opt opts[] = {
        {.name = "master", .arg = "FILE", .str = &mpath, .required = true,
         .help = "owner's master key (updated in place)"},
        {.name = "pk", .arg = "FILE", .str = &pkpath, .required = true, .help = "public key"},
        {.name = "out", .arg = "FILE", .str = &out, .required = true,
         .help = "new licensee's secret key (0600)"},
        {.name = "seed", .arg = "S", .i64 = &seed, .min = 0, .max = INT64_MAX, .def_doc = "random",
         .help = "deterministic draw (tests only)"},
        {.name = "force", .flag = &force, .help = "overwrite an existing --out file"},
        {0},
    };
    const eip_cli_spec spec = {
        "issue", "--master DIR/master.key --pk DIR/public.key --out FILE [--seed S] [--force]", {opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s = EIP_OK;
    struct stat st;
    if (!force && stat(out, &st) == 0) {
        eip_error_set(&err, EIP_ERR_STATE, "%s exists; refusing to overwrite a key (use --force)", out);
        return eip_cli_fail(cmd, EIP_ERR_STATE, &err);
    }
    if ((s = eip_keyring_issue_guard(mpath, &err)))
        return eip_cli_fail(cmd, s, &err);
    eip_crypto_pk_t *pk = NULL;
    eip_crypto_master_t *m = NULL;
    eip_crypto_sk_t *sk = NULL;
    eip_crypto_rng_t *rng = NULL;
    if ((s = eip_crypto_pk_load(pkpath, &pk, &err)) ||
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

int eip_cli_encrypt_labels(int argc, char **argv)
{
    const char *pkpath = NULL, *lpath = NULL, *out = NULL, *softpath = NULL, *cbpath = NULL;
    int64_t seed = -1;
    bool fixed = false;
    eip_cli_opt opts[] = {
        {.name = "pk", .arg = "FILE", .str = &pkpath, .required = true, .help = "public key"},
        {.name = "labels", .arg = "FILE", .str = &lpath, .required = true,
         .help = "labels: idx1 (.gz) or text, one per line"},
        {.name = "out", .arg = "FILE.ct", .str = &out, .required = true,
         .help = "ciphertext file (docs/FORMATS.md)"},
        {.name = "soft", .arg = "FILE", .str = &softpath,
         .help = "also write the Φ soft-label matrix (float32, docs/FORMATS.md)"},
        {.name = "fixed", .flag = &fixed,
         .help = "one ciphertext per label, as in the paper's training (default: fresh per row)"},
        {.name = "codebook", .arg = "FILE", .str = &cbpath,
         .help = "with --fixed: write the label codewords as a codebook"},
        {.name = "seed", .arg = "S", .i64 = &seed, .min = 0, .max = INT64_MAX, .def_doc = "random",
         .help = "deterministic encryption (tests only)"},
        {0},
    };
    const eip_cli_spec spec = {"encrypt-labels",
                               "--pk FILE --labels FILE --out FILE.ct [--soft FILE] [--fixed] "
                               "[--codebook FILE] [--seed S]",
                               {opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    if (cbpath && !fixed)
        return eip_cli_usage_error(cmd, "--codebook needs --fixed (a codebook holds one ciphertext per label)");
    eip_error err = {0};
    eip_status s = EIP_OK;
    eip_crypto_pk_t *pk = NULL;
    eip_crypto_rng_t *rng = NULL;
    eip_crypto_codebook_t *cb = NULL;
    eip_crypto_ct *c = NULL;
    int32_t *labels = NULL;
    float *soft = NULL;
    int64_t n = 0;
    if ((s = eip_crypto_pk_load(pkpath, &pk, &err)))
        goto done;
    if (eip_crypto_pk_group(pk) == EIP_CRYPTO_GROUP_RISTRETTO255 && softpath && !fixed) {
        s = eip_error_set(&err, EIP_ERR_ARG,
                          "--soft: ristretto255 soft labels are a one-hot over codebook slots and need "
                          "--fixed (a one-hot over the 2^252 group elements is impossible)");
        goto done;
    }
    if ((s = eip_cli_labels_read(lpath, eip_crypto_pk_classes(pk), &labels, &n, &err)))
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
    if ((s = eip_crypto_cts_save(pk, c, n, out, &err)))
        goto done;
    if (cbpath &&
        (s = eip_crypto_codebook_save(cb, cbpath, &err)))
        goto done;
    if (softpath) {
        int64_t dim = eip_crypto_phi_dim(pk, cb);
        soft = malloc((size_t)n * (size_t)dim * sizeof *soft); /* [N, dim] */
        if (!soft) {
            s = eip_error_set(&err, EIP_ERR_NOMEM, "soft labels %lld x %lld: out of memory", (long long)n,
                              (long long)dim);
            goto done;
        }
        for (int64_t i = 0; i < n && !s; i++)
            s = eip_crypto_phi(pk, cb, &c[i], soft + (size_t)i * (size_t)dim, &err);
        if (s || (s = eip_crypto_soft_save(pk, soft, n, dim, softpath, &err)))
            goto done;
        fprintf(stderr, "encrypt-labels: soft labels %lld x %lld -> %s\n", (long long)n, (long long)dim,
                softpath);
    }
    fprintf(stderr, "encrypt-labels: %lld labels, group %s, %s -> %s (%.2f s, %.0f labels/s)\n",
            (long long)n, eip_crypto_group_name(eip_crypto_pk_group(pk)),
            fixed ? "one fixed ciphertext per label" : "fresh Enc per row", out,
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

int eip_cli_decrypt(int argc, char **argv)
{
    const char *kpath = NULL, *in = NULL, *out = NULL, *expect = NULL;
    int64_t threads = 0;
    eip_cli_opt opts[] = {
        {.name = "key", .arg = "FILE", .str = &kpath, .required = true, .help = "licensee secret key"},
        {.name = "in", .arg = "FILE.ct", .str = &in, .required = true, .help = "ciphertext file"},
        {.name = "out", .arg = "FILE", .str = &out, .def_doc = "stdout", .help = "labels, one per line"},
        {.name = "expect", .arg = "LABELS", .str = &expect,
         .help = "true labels (idx1/.gz or text): report how many are right"},
        {.name = "threads", .arg = "T", .i64 = &threads, .min = 0, .max = 1024, .def_doc = "0 = all cores",
         .help = "decryption threads"},
        {0},
    };
    const eip_cli_spec spec = {"decrypt", "--key FILE --in FILE.ct [--out labels.txt] [--expect LABELS] [--threads T]",
                               {opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s = EIP_OK;
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
    /* every element was validated when the file was read, so the batch's
     * "not a label" means what eq. (4) says, never a bad element */
    s = eip_crypto_dec_label_batch(sk, c, n, (int)threads, labels, &err);
    double t1 = eip_cli_seconds();
    if (s || (s = eip_cli_labels_write(out, labels, n, &err)))
        goto done;
    fprintf(stderr, "decrypt: licensee %lld\n", (long long)eip_crypto_sk_index(sk));
    s = eip_cli_labels_report(cmd, labels, n, expect, info.classes, t1 - t0, &err);
done:
    free(labels);
    free(c);
    eip_crypto_sk_free(sk);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}
