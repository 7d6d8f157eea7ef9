/* The licensee's side of EncryIP:
 *   predict   Algorithm 2 (deploying process) on a protected model:
 *             y = [M](x), c = Φ^-1(y), c_d = SampDist(c) with fresh randomness
 *             per query, output the confused label Φ(c_d) — never the true
 *             label, no secret key involved.
 *   classify  what an authorised licensee runs — Algorithm 2 and eq. (4)
 *             (Dec with the licensee's key) in one step, one label per line
 *             ("not-a-label" where the decryption is none).  --plain runs an
 *             unprotected model from `encryip train` (arg-max labels), e.g. as
 *             an honest suspect for `encryip trace`.  --remote URL sends the
 *             images to an `encryip serve` instead and decrypts its
 *             ciphertexts here: the key never leaves this process
 *             (docs/SERVE.md).
 * AdvParams-encrypted weights (protect --advparams) need --weights-key, which
 * unlocks them in memory only (or --locked: run them encrypted): the model
 * opening group (groups.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/groups.h"
#include "cli/labels.h"
#include "cli/run_common.h"
#include "encryip/protect.h"
#include "encryip/util.h"
#include "serve/client.h"

/* One confused label per line: paper group "(u1,u2,u3)" (positions of the
 * three hot entries of Φ(c_d), eq. 2); ristretto255: hex of u1|u2|u3. */
/* A paper-group element: a little-endian integer (crypto.h). */
static unsigned elem_u32(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8 | (unsigned)p[2] << 16 | (unsigned)p[3] << 24;
}

static void print_ct(FILE *fp, eip_crypto_group_id g, const eip_crypto_ct *c)
{
    if (g == EIP_CRYPTO_GROUP_PAPER) {
        fprintf(fp, "(%u,%u,%u)\n", elem_u32(c->u[0].b), elem_u32(c->u[1].b), elem_u32(c->u[2].b));
        return;
    }
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < EIP_CRYPTO_RISTRETTO_ELEM_BYTES; i++)
            fprintf(fp, "%02x", c->u[k].b[i]);
    fputc('\n', fp);
}

int eip_cli_predict(int argc, char **argv)
{
    eip_cli_model_group mg;
    eip_cli_model_group_init(&mg, NULL);
    eip_cli_input_group ig;
    eip_cli_input_group_init(&ig);
    const char *out = NULL;
    int64_t show = -1, threads = 0;
    eip_cli_opt o[] = {
        {.name = "out", .arg = "FILE.ct", .str = &out,
         .help = "also write the ciphertexts (for `encryip decrypt --in`)"},
        {.name = "show", .arg = "N", .i64 = &show, .min = 0, .max = INT64_MAX, .def_doc = "all",
         .help = "print only the first N confused labels"},
        eip_cli_opt_threads(&threads),
        {0},
    };
    const eip_cli_spec spec = {"predict",
                               "--model DIR [--weights-key FILE | --locked] (--input FILE | --dataset NAME "
                               "[--split S] [--limit N]) [--out FILE.ct] [options]",
                               {mg.opts, ig.opts, o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    eip_error err = {0};
    eip_status s;
    eip_nn_ctx ctx = {0};
    eip_protect_model_t *m = NULL;
    eip_data_set ds = {0};
    eip_crypto_ct *ct = NULL;
    int32_t c, h, w;
    if ((s = eip_nn_ctx_init(&ctx, (int)threads, &err)) ||
        (s = eip_cli_protect_model_open(&ctx, &mg, &m, &err)))
        goto done;
    eip_protect_model_shape(m, &c, &h, &w);
    if ((s = eip_cli_images_input(&ig, c, h, w, &ds, &err)))
        goto done;
    ct = malloc((size_t)(ds.n > 0 ? ds.n : 1) * sizeof *ct);
    if (!ct) {
        s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
        goto done;
    }
    double t0 = eip_cli_seconds();
    if ((s = eip_protect_predict(m, ds.pixels, ds.n, NULL, ct, NULL, &err)))
        goto done;
    double t1 = eip_cli_seconds();
    const eip_crypto_pk_t *pk = eip_protect_model_pk(m);
    if (out && (s = eip_crypto_cts_save(pk, ct, ds.n, out, &err)))
        goto done;
    int64_t np = show < 0 || show > ds.n ? ds.n : show;
    for (int64_t i = 0; i < np; i++)
        print_ct(stdout, eip_crypto_pk_group(pk), &ct[i]);
    fflush(stdout);
    fprintf(stderr, "predict: %lld images -> confused labels (%s group, fresh SampDist per query) in "
                    "%.2f s%s%s\n",
            (long long)ds.n, eip_crypto_group_name(eip_crypto_pk_group(pk)), t1 - t0,
            out ? "; ciphertexts written to " : "", out ? out : "");
done:
    free(ct);
    eip_data_set_free(&ds);
    eip_protect_model_free(m);
    eip_nn_ctx_free(&ctx);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}

static eip_status plain_labels(eip_nn_ctx *ctx, const char *path, const eip_cli_input_group *ig,
                               eip_data_set *ds, int32_t **labels, eip_error *err)
{
    eip_nn_net_t *net = NULL;
    float mean[EIP_DATA_MAX_CHANNELS], std[EIP_DATA_MAX_CHANNELS], *y = NULL;
    eip_status s = eip_nn_load(ctx, path, &net, err);
    if (s)
        return s;
    int64_t c, h, w, k = eip_nn_output_size(net);
    eip_nn_input_shape(net, &c, &h, &w);
    if ((s = eip_cli_model_norm(path, (int32_t)c, mean, std, err)) ||
        (s = eip_cli_images_input(ig, (int32_t)c, (int32_t)h, (int32_t)w, ds, err)))
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
    eip_cli_model_group mg;
    eip_cli_model_group_init(&mg, "protected model: bundle dir, its deploy/ dir or deploy/model.safetensors "
                                  "(--plain: a model from `encryip train`)");
    eip_cli_input_group ig;
    eip_cli_input_group_init(&ig);
    /* --model is not required: --remote replaces it */
    mg.opts[0].required = false;
    const char *kpath = NULL, *out = NULL, *remote = NULL;
    bool any = false, plain = false;
    int64_t threads = 0, rbatch = 64;
    double rtimeout = 60;
    eip_cli_opt o[] = {
        {.name = "key", .arg = "FILE", .str = &kpath, .help = "the licensee's secret key"},
        {.name = "any-key", .flag = &any,
         .help = "decrypt even with a key of another public key (measures the incorrect-key accuracy)"},
        {.name = "plain", .flag = &plain,
         .help = "--model is a plain model from `encryip train`: arg-max labels, no key"},
        {.name = "out", .arg = "FILE", .str = &out, .def_doc = "stdout", .help = "labels, one per line"},
        eip_cli_opt_threads(&threads),
        {.name = "remote", .arg = "URL", .str = &remote,
         .help = "instead of --model: an `encryip serve` base URL; images are sent there, answers "
                 "decrypted here"},
        {.name = "remote-batch", .arg = "N", .i64 = &rbatch, .min = 1, .max = 65536, .def = "64",
         .help = "with --remote: images per request (at most the server's limit)"},
        {.name = "remote-timeout", .arg = "S", .f64 = &rtimeout, .fmin = 0.1, .fmax = 3600, .def = "60",
         .help = "with --remote: seconds per HTTP request"},
        {0},
    };
    const eip_cli_spec spec = {"classify",
                               "(--model DIR | --remote URL) (--key FILE [--weights-key FILE | --locked] | "
                               "--plain) (--input FILE | --dataset NAME [--split S] [--limit N]) [--out FILE] "
                               "[options]",
                               {mg.opts, o, ig.opts, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    if (!!remote == !!mg.model)
        return eip_cli_usage_error(cmd, "give exactly one of --model DIR or --remote URL");
    if (remote && (plain || mg.weights_key || mg.locked || any || eip_cli_given(&spec, &mg.decoder)))
        return eip_cli_usage_error(cmd, "--remote: the server runs the model; no --plain, --weights-key, "
                                        "--locked, --any-key or --decoder");
    if (plain == !!kpath)
        return eip_cli_usage_error(cmd, "give exactly one of --key FILE or --plain");
    if (plain && (mg.weights_key || mg.locked))
        return eip_cli_usage_error(cmd, "--plain runs a plain model: no --weights-key or --locked");
    eip_error err = {0};
    eip_status s;
    eip_nn_ctx ctx = {0};
    eip_protect_model_t *m = NULL;
    eip_crypto_sk_t *sk = NULL;
    eip_data_set ds = {0};
    int32_t *labels = NULL;
    double t0 = eip_cli_seconds();
    if ((s = eip_nn_ctx_init(&ctx, (int)threads, &err)))
        goto done;
    if (plain) {
        if ((s = plain_labels(&ctx, mg.model, &ig, &ds, &labels, &err)))
            goto done;
    } else if (remote) {
        eip_serve_remote_info ri;
        if ((s = eip_crypto_sk_load(kpath, &sk, &err)) ||
            (s = eip_serve_remote_model(remote, rtimeout, &ri, &err)))
            goto done;
        if ((s = eip_crypto_sk_check_pk(sk, ri.key_id, remote, &err))) {
            eip_error_prefix(&err, "%s: ", kpath);
            goto done;
        }
        if ((s = eip_cli_images_input(&ig, ri.c, ri.h, ri.w, &ds, &err)))
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
        if ((s = eip_crypto_sk_load(kpath, &sk, &err)) ||
            (s = eip_cli_protect_model_open(&ctx, &mg, &m, &err)))
            goto done;
        if (!any && (s = eip_crypto_sk_check_pk(sk, eip_crypto_pk_id(eip_protect_model_pk(m)),
                                                mg.model, &err))) {
            eip_error_prefix(&err, "%s: ", kpath);
            goto done;
        }
        eip_protect_model_shape(m, &c, &h, &w);
        if ((s = eip_cli_images_input(&ig, c, h, w, &ds, &err)))
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
    if ((s = eip_cli_labels_write(out, labels, ds.n, &err)))
        goto done;
    double t1 = eip_cli_seconds();
    int64_t nal = 0, right = 0;
    for (int64_t i = 0; i < ds.n; i++) {
        nal += labels[i] == EIP_CRYPTO_NOT_A_LABEL;
        right += labels[i] == ds.labels[i];
    }
    fprintf(stderr, "classify: %lld images, %lld not a label (%.2f s)", (long long)ds.n,
            (long long)nal, t1 - t0);
    if (ig.dataset)
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
