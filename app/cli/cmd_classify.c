/* encryip classify: what an authorised licensee runs — Algorithm 2
 * (predict) and eq. (4) (Dec with the licensee's key) in one step, one
 * label per line ("not-a-label" where the decryption is none).  AdvParams-
 * encrypted weights (protect --advparams) need --weights-key, which unlocks
 * them in memory only (or --locked: run them encrypted).  --plain runs
 * an unprotected model from `encryip train` (arg-max labels), e.g. as an
 * honest suspect for `encryip trace`.  --remote URL sends the images to an
 * `encryip serve` instead and decrypts its ciphertexts here: the key never
 * leaves this process (docs/SERVE.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run_common.h"
#include "encryip/protect.h"
#include "serve/client.h"

static eip_status plain_labels(eip_nn_ctx *ctx, const eip_cli_opt *o, eip_data_set *ds,
                               int32_t **labels, eip_error *err)
{
    const char *path = eip_cli_get(o, "model");
    eip_nn_net_t *net = NULL;
    float mean[EIP_DATA_MAX_CHANNELS], std[EIP_DATA_MAX_CHANNELS], *y = NULL;
    eip_status s = eip_nn_load(ctx, path, &net, err);
    if (s)
        return s;
    int64_t c, h, w, k = eip_nn_output_size(net);
    eip_nn_input_shape(net, &c, &h, &w);
    if ((s = eip_cli_model_norm(path, (int32_t)c, mean, std, err)) ||
        (s = eip_cli_images_input(o, (int32_t)c, (int32_t)h, (int32_t)w, ds, err)))
        goto done;
    y = malloc((size_t)(ds->n > 0 ? ds->n : 1) * (size_t)k * sizeof *y);
    *labels = malloc((size_t)(ds->n > 0 ? ds->n : 1) * sizeof **labels);
    if (!y || !*labels) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((s = eip_train_predict(net, ds, mean, std, 256, y, err)) ||
        (s = eip_train_argmax(y, ds->n, k, *labels, err)))
        goto done;
done:
    free(y);
    eip_nn_net_free(net);
    return s;
}

int eip_cli_classify(int argc, char **argv)
{
    const char *cmd = "classify";
    eip_cli_opt o[] = {
        {"model", "DIR", "protected model (bundle dir, deploy/ dir or its model.safetensors)", false, NULL, false},
        {"remote", "URL", "instead of --model: an `encryip serve` base URL; images are sent there, answers decrypted here", false, NULL, false},
        {"remote-batch", "N", "with --remote: images per request (default 64, at most the server's limit)", false, NULL, false},
        {"remote-timeout", "S", "with --remote: seconds per HTTP request (default 60)", false, NULL, false},
        {"key", "FILE", "the licensee's secret key", false, NULL, false},
        {"any-key", NULL, "decrypt even with a key of another public key (measures the incorrect-key accuracy)", false, NULL, false},
        {"plain", NULL, "--model is a plain model from `encryip train`: arg-max labels, no key", false, NULL, false},
        {"input", "FILE", "images: idx3 ubyte [N,H,W] (C=1) or idx4 [N,C,H,W], raw or .gz", false, NULL, false},
        {"dataset", "NAME", "instead of --input: a named dataset's images (accuracy on stderr)", false, NULL, false},
        {"split", "S", "with --dataset: test (default) or train", false, NULL, false},
        {"limit", "N", "with --dataset: only the first N images", false, NULL, false},
        {"data-dir", "DIR", "dataset directory (default: the installed location)", false, NULL, false},
        {"out", "FILE", "labels, one per line (default: stdout)", false, NULL, false},
        {"decoder", "D", "Φ^-1: ml (default) or argmax (the paper's eq. 3)", false, NULL, false},
        {"weights-key", "FILE", "AdvParams weights key (keys/weights.key): unlock encrypted weights in memory", false, NULL, false},
        {"locked", NULL, "run AdvParams-encrypted weights as they are (stolen-file measurement)", false, NULL, false},
        {"threads", "T", "oneDNN threads (default: all cores)", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "(--model DIR | --remote URL) --key FILE [--weights-key FILE] (--input "
                           "FILE | --dataset NAME) [--out FILE]", o, argc, argv);
    if (rc >= 0)
        return rc;
    int64_t threads, rbatch;
    double rtimeout;
    if (!eip_cli_get_i64(cmd, o, "threads", 0, 0, 1024, &threads) ||
        !eip_cli_get_i64(cmd, o, "remote-batch", 64, 1, 65536, &rbatch) ||
        !eip_cli_get_f64(cmd, o, "remote-timeout", 60, 0.1, 3600, &rtimeout))
        return EIP_EXIT_USAGE;
    const char *remote = eip_cli_get(o, "remote");
    if (!!remote == eip_cli_has(o, "model")) {
        fprintf(stderr, "encryip %s: error: give exactly one of --model DIR or --remote URL\n", cmd);
        return EIP_EXIT_USAGE;
    }
    if (remote && (eip_cli_has(o, "plain") || eip_cli_has(o, "weights-key") || eip_cli_has(o, "locked") ||
                   eip_cli_has(o, "any-key") || eip_cli_has(o, "decoder"))) {
        fprintf(stderr, "encryip %s: error: --remote: the server runs the model; no --plain, "
                        "--weights-key, --locked, --any-key or --decoder\n", cmd);
        return EIP_EXIT_USAGE;
    }
    if (eip_cli_has(o, "plain") == eip_cli_has(o, "key")) {
        fprintf(stderr, "encryip %s: error: give exactly one of --key FILE or --plain\n", cmd);
        return EIP_EXIT_USAGE;
    }
    if (eip_cli_has(o, "plain") && (eip_cli_has(o, "weights-key") || eip_cli_has(o, "locked"))) {
        fprintf(stderr, "encryip %s: error: --plain runs a plain model: no --weights-key or --locked\n",
                cmd);
        return EIP_EXIT_USAGE;
    }
    eip_error err = {0};
    eip_status s;
    eip_nn_ctx ctx = {0};
    eip_protect_model_t *m = NULL;
    eip_crypto_sk_t *sk = NULL;
    eip_data_set ds = {0};
    int32_t *labels = NULL;
    double t0 = eip_cli_seconds();
    if ((s = eip_crypto_init(&err)) || (s = eip_nn_ctx_init(&ctx, (int)threads, &err)))
        goto done;
    if (eip_cli_has(o, "plain")) {
        if ((s = plain_labels(&ctx, o, &ds, &labels, &err)))
            goto done;
    } else if (remote) {
        eip_serve_remote_info ri;
        if ((s = eip_crypto_sk_load(eip_cli_get(o, "key"), &sk, &err)) ||
            (s = eip_serve_remote_model(remote, rtimeout, &ri, &err)))
            goto done;
        if ((s = eip_crypto_sk_check_pk(sk, ri.key_id, remote, &err))) {
            eip_error_prefix(&err, "%s: ", eip_cli_get(o, "key"));
            goto done;
        }
        if ((s = eip_cli_images_input(o, ri.c, ri.h, ri.w, &ds, &err)))
            goto done;
        labels = malloc((size_t)(ds.n > 0 ? ds.n : 1) * sizeof *labels);
        if (!labels) {
            s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
            goto done;
        }
        if ((s = eip_serve_remote_classify(remote, rtimeout, sk, ds.pixels, ds.n, ri.c, ri.h, ri.w,
                                           rbatch < ri.max_images ? rbatch : ri.max_images, labels,
                                           &err)))
            goto done;
    } else {
        int32_t c, h, w;
        if ((s = eip_crypto_sk_load(eip_cli_get(o, "key"), &sk, &err)) ||
            (s = eip_cli_protect_model_open(&ctx, o, &m, &err)))
            goto done;
        const int any = eip_cli_has(o, "any-key");
        if (!any && (s = eip_crypto_sk_check_pk(sk, eip_crypto_pk_id(eip_protect_model_pk(m)),
                                                eip_cli_get(o, "model"), &err))) {
            eip_error_prefix(&err, "%s: ", eip_cli_get(o, "key"));
            goto done;
        }
        eip_protect_model_shape(m, &c, &h, &w);
        if ((s = eip_cli_images_input(o, c, h, w, &ds, &err)))
            goto done;
        labels = malloc((size_t)(ds.n > 0 ? ds.n : 1) * sizeof *labels);
        if (!labels) {
            s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
            goto done;
        }
        eip_crypto_ct *ct = malloc((size_t)(ds.n > 0 ? ds.n : 1) * sizeof *ct);
        if (!ct) {
            s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
            goto done;
        }
        /* Algorithm 2, then eq. (4); --any-key skips the key check */
        if (!(s = eip_protect_predict(m, ds.pixels, ds.n, NULL, ct, NULL, &err)))
            s = eip_protect_decrypt(m, sk, !any, ct, ds.n, labels, &err);
        free(ct);
        if (s)
            goto done;
    }
    if ((s = eip_cli_labels_write(eip_cli_get(o, "out"), labels, ds.n, &err)))
        goto done;
    double t1 = eip_cli_seconds();
    int64_t nal = 0, right = 0;
    for (int64_t i = 0; i < ds.n; i++) {
        nal += labels[i] == EIP_CRYPTO_NOT_A_LABEL;
        right += labels[i] == ds.labels[i];
    }
    fprintf(stderr, "classify: %lld images, %lld not a label (%.2f s)", (long long)ds.n,
            (long long)nal, t1 - t0);
    if (eip_cli_has(o, "dataset"))
        fprintf(stderr, "; accuracy %.4f (%lld/%lld) on %s", ds.n ? (double)right / (double)ds.n : 0.0,
                (long long)right, (long long)ds.n, ds.name);
    fputc('\n', stderr);
done:
    free(labels);
    eip_data_set_free(&ds);
    eip_crypto_sk_free(sk);
    eip_protect_model_free(m);
    eip_nn_ctx_free(&ctx);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}
