/* encryip trace: verification with the secret key unavailable (EncryIP
 * section 4.4, eq. (5)).  The verification images are written to a
 * temporary idx file, the suspect deployment is run as
 *     /bin/sh -c 'CMD ARGS <file>'
 * (the file path appended as the last argument, shell-quoted) and must
 * print one label per image on stdout (an integer; anything else counts as
 * no label).  Each licensee's agreement count is then tested against chance
 * (eip_protect_trace_score).  Exit 0 when a licensee is named, 6 otherwise.
 * --suspect-url URL queries an HTTP deployment instead: the images are POSTed
 * as raw uint8 tensors (the request shape of `encryip serve`'s /v1/predict)
 * and the JSON answer's array at --labels-path holds the labels
 * (docs/SERVE.md "Remote trace"); same decision rule. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "encryip/protect.h"
#include "serve/client.h"
#include "util/parse.h"

/* Runs the suspect on path and parses one label per line into printed [n]. */
static eip_status run_suspect(const char *suspect, const char *path, int64_t n, int32_t classes,
                              int32_t *printed, int64_t *lines, eip_error *err)
{
    size_t len = strlen(suspect) + 2 * strlen(path) + 8;
    char *cmd = malloc(len);
    if (!cmd)
        return eip_error_set(err, EIP_ERR_NOMEM, "out of memory");
    /* path comes from mkdtemp (no quote characters); quote it anyway */
    snprintf(cmd, len, "%s '%s'", suspect, path);
    for (int64_t i = 0; i < n; i++)
        printed[i] = EIP_CRYPTO_NOT_A_LABEL;
    fflush(stdout);
    fflush(stderr);
    FILE *fp = popen(cmd, "r");
    free(cmd);
    if (!fp)
        return eip_error_set(err, EIP_ERR_IO, "--suspect: cannot run '%s': %s", suspect, strerror(errno));
    char line[256];
    *lines = 0;
    while (fgets(line, sizeof line, fp)) {
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
            line[--l] = '\0';
        int64_t v;
        if (*lines < n && eip_parse_i64("label", line, 0, classes - 1, &v, NULL) == EIP_OK)
            printed[*lines] = (int32_t)v;
        ++*lines;
    }
    int st = pclose(fp);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return eip_error_set(err, EIP_ERR_IO, "--suspect: '%s' failed (%s %d); its stderr is above",
                             suspect, WIFEXITED(st) ? "exit" : "signal",
                             WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? WTERMSIG(st) : -1);
    return EIP_OK;
}

/* The verification file must hold exactly the ciphertexts the keyring
 * recorded for this model (a swapped or edited file would give a wrong
 * verdict). */
static eip_status verif_check(eip_keyring_t *kr, const eip_protect_verif *v, const char *vpath,
                              eip_error *err)
{
    eip_keyring_verif *kv = NULL;
    int64_t n = 0;
    eip_status s = eip_keyring_verif_list(kr, v->model, &kv, &n, err);
    if (s)
        return s;
    if (n != v->n)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: %lld instances, the keyring %s records %lld for "
                          "model %s", vpath, (long long)v->n, eip_keyring_path(kr), (long long)n, v->model);
    for (int64_t i = 0; i < n && !s; i++)
        if (kv[i].instance != i || memcmp(&kv[i].ct, &v->ct[i], sizeof kv[i].ct) ||
            kv[i].kind != v->kind[i])
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: instance %lld differs from the keyring's record",
                              vpath, (long long)i);
    free(kv);
    return s;
}

int eip_cli_trace(int argc, char **argv)
{
    const char *cmd = "trace";
    eip_cli_opt o[] = {
        {"bundle", "DIR", "protect bundle: uses DIR/owner/keyring.sqlite + verification.json", false, NULL, false},
        {"keyring", "FILE", "keyring (instead of --bundle)", false, NULL, false},
        {"verification", "FILE", "verification.json (instead of --bundle)", false, NULL, false},
        {"suspect", "CMD", "command run as `sh -c 'CMD FILE'`, printing one label per image of FILE", false, NULL, false},
        {"suspect-url", "URL", "instead of --suspect: an HTTP deployment answering POSTed images with labels (docs/SERVE.md)", false, NULL, false},
        {"labels-path", "PATH", "with --suspect-url: dotted JSON path of the labels array in the answer (default: labels)", false, NULL, false},
        {"suspect-batch", "N", "with --suspect-url: images per request (default 64)", false, NULL, false},
        {"suspect-timeout", "S", "with --suspect-url: seconds per HTTP request (default 60)", false, NULL, false},
        {"no-log", NULL, "do not record the verdict in the keyring's log", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "(--bundle DIR | --keyring K --verification V.json) (--suspect 'CMD ARGS' "
                           "| --suspect-url URL [--labels-path PATH])", o, argc, argv);
    if (rc >= 0)
        return rc;
    const char *url = eip_cli_get(o, "suspect-url");
    if (!!url == eip_cli_has(o, "suspect")) {
        fprintf(stderr, "encryip %s: error: give exactly one of --suspect CMD or --suspect-url URL\n", cmd);
        return EIP_EXIT_USAGE;
    }
    if (!url && (eip_cli_has(o, "labels-path") || eip_cli_has(o, "suspect-batch") ||
                 eip_cli_has(o, "suspect-timeout"))) {
        fprintf(stderr, "encryip %s: error: --labels-path, --suspect-batch and --suspect-timeout go with "
                        "--suspect-url\n", cmd);
        return EIP_EXIT_USAGE;
    }
    int64_t sbatch;
    double stimeout;
    if (!eip_cli_get_i64(cmd, o, "suspect-batch", 64, 1, 65536, &sbatch) ||
        !eip_cli_get_f64(cmd, o, "suspect-timeout", 60, 0.1, 3600, &stimeout))
        return EIP_EXIT_USAGE;
    const char *lpath = eip_cli_get(o, "labels-path") ? eip_cli_get(o, "labels-path") : "labels";
    char kpath[4096], vpath[4096];
    if (eip_cli_has(o, "bundle") && !eip_cli_has(o, "keyring") && !eip_cli_has(o, "verification")) {
        snprintf(kpath, sizeof kpath, "%s/owner/keyring.sqlite", eip_cli_get(o, "bundle"));
        snprintf(vpath, sizeof vpath, "%s/owner/verification.json", eip_cli_get(o, "bundle"));
    } else if (!eip_cli_has(o, "bundle") && eip_cli_has(o, "keyring") && eip_cli_has(o, "verification")) {
        snprintf(kpath, sizeof kpath, "%s", eip_cli_get(o, "keyring"));
        snprintf(vpath, sizeof vpath, "%s", eip_cli_get(o, "verification"));
    } else {
        fprintf(stderr, "encryip %s: error: give --bundle DIR, or both --keyring and --verification\n", cmd);
        return EIP_EXIT_USAGE;
    }
    const char *suspect = url ? url : eip_cli_get(o, "suspect");
    eip_error err = {0};
    eip_status s;
    eip_keyring_t *kr = NULL;
    eip_protect_verif v = {0};
    eip_protect_trace_result tr = {0};
    eip_keyring_licensee *lic = NULL;
    int64_t nlic = 0, lines = 0;
    int32_t *printed = NULL;
    char tmpdir[] = "/tmp/encryip-trace.XXXXXX", ipath[64] = "";
    int have_tmp = 0;
    if ((s = eip_crypto_init(&err)) || (s = eip_keyring_open(kpath, &kr, &err)) ||
        (s = eip_protect_verif_load(eip_keyring_pk(kr), vpath, &v, &err)) ||
        (s = verif_check(kr, &v, vpath, &err)) ||
        (s = eip_keyring_licensee_list(kr, &lic, &nlic, &err)))
        goto done;
    if (!mkdtemp(tmpdir)) {
        s = eip_error_set(&err, EIP_ERR_IO, "%s: cannot create a temporary directory", tmpdir);
        goto done;
    }
    have_tmp = 1;
    snprintf(ipath, sizeof ipath, "%s/verification.idx", tmpdir);
    if ((s = eip_protect_images_save(&v.images, ipath, &err)))
        goto done;
    printed = malloc((size_t)(v.n > 0 ? v.n : 1) * sizeof *printed);
    if (!printed) {
        s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
        goto done;
    }
    const int32_t z = eip_crypto_pk_classes(eip_keyring_pk(kr));
    if (url) {
        fprintf(stderr, "trace: querying the suspect with %lld verification instances: POST %s\n",
                (long long)v.n, url);
        int64_t answered = 0;
        if ((s = eip_serve_remote_labels(url, stimeout, lpath, v.images.pixels, v.n, v.images.c,
                                         v.images.h, v.images.w, sbatch, z, printed, &answered, &err)))
            goto done;
        lines = v.n;
    } else {
        fprintf(stderr, "trace: querying the suspect with %lld verification instances: %s %s\n",
                (long long)v.n, suspect, ipath);
        if ((s = run_suspect(suspect, ipath, v.n, z, printed, &lines, &err)))
            goto done;
    }
    if (lines != v.n)
        fprintf(stderr, "trace: warning: the suspect printed %lld lines for %lld images (missing lines "
                        "count as no label)\n", (long long)lines, (long long)v.n);
    if ((s = eip_protect_trace_keyring(kr, &v, printed, &tr, &err)))
        goto done;
    printf("trace: %lld instances queried, %lld answered with a label; chance agreement 1/%d\n",
           (long long)tr.queried, (long long)tr.answered, (int)z);
    int64_t best_m = 0, best_t = 0;
    for (int64_t k = 0; k < tr.licensees; k++) {
        const char *name = k < nlic ? lic[k].name : "?";
        printf("  licensee %lld (%s): %lld/%lld agree, p = %.3g%s%s\n", (long long)tr.id[k], name,
               (long long)tr.matched[k], (long long)tr.total[k], tr.pvalue[k],
               tr.total[k] == 0 ? " (no verification instance decrypts to a label under this key: "
                                  "not traceable)" : "",
               k < nlic && lic[k].revoked[0] ? " [revoked]" : "");
        if (tr.id[k] == tr.named) {
            best_m = tr.matched[k];
            best_t = tr.total[k];
        }
    }
    if (tr.named) {
        eip_keyring_licensee who;
        if ((s = eip_keyring_licensee_get(kr, tr.named, &who, &err)))
            goto done;
        printf("licensee %lld (%s): %lld of %lld verification instances agree%s%s\n",
               (long long)tr.named, who.name, (long long)best_m, (long long)best_t,
               who.revoked[0] ? ", revoked at " : "", who.revoked);
    } else {
        printf("no licensee: no licensee's agreement is significantly above chance (p < %g and >= %.0f%% "
               "of its instances)\n", EIP_PROTECT_TRACE_PVALUE, 100 * EIP_PROTECT_TRACE_MIN_RATE);
    }
    if (!eip_cli_has(o, "no-log")) {
        char what[EIP_KEYRING_SUSPECT_MAX + 1];
        snprintf(what, sizeof what, "%s", suspect);
        if ((s = eip_keyring_log_add(kr, EIP_KEYRING_LOG_TRACE, what, tr.named,
                                     tr.named ? best_m : 0, tr.queried, &err)))
            goto done;
    }
    rc = tr.named ? EIP_EXIT_OK : EIP_EXIT_NOMATCH;
done:
    if (have_tmp) {
        if (ipath[0])
            unlink(ipath);
        rmdir(tmpdir);
    }
    free(printed);
    free(lic);
    eip_protect_trace_result_free(&tr);
    eip_protect_verif_free(&v);
    eip_keyring_close(kr);
    return s ? eip_cli_fail(cmd, s, &err) : rc;
}
