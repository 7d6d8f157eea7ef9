/* encryip predict: EncryIP Algorithm 2 (deploying process) on a protected
 * model: y = [M](x), c = Φ^-1(y), c_d = SampDist(c) with fresh randomness per
 * query, output the confused label Φ(c_d) — never the true label, no secret
 * key involved.  Also the helpers shared with classify: input images, the
 * model opener (AdvParams-encrypted weights: --weights-key / --locked). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run_common.h"
#include "encryip/protect.h"
#include "util/io.h"
#include "util/parse.h"

eip_status eip_cli_images_input(const eip_cli_opt *o, int32_t c, int32_t h, int32_t w,
                                eip_data_set *ds, eip_error *err)
{
    memset(ds, 0, sizeof *ds);
    const char *in = eip_cli_get(o, "input"), *name = eip_cli_get(o, "dataset");
    if (!!in == !!name)
        return eip_error_set(err, EIP_ERR_ARG, "give exactly one of --input FILE or --dataset NAME");
    eip_status s;
    if (in) {
        /* PNG/JPEG file, a folder of them, .npy (docs/DATA.md); else idx */
        if ((s = eip_data_image_path_kind(in) == EIP_DATA_IMAGE_OTHER
                     ? eip_protect_images_load(in, ds, err)
                     : eip_data_images_input_load(in, ds, err)))
            return s;
    } else {
        const char *split = eip_cli_get(o, "split") ? eip_cli_get(o, "split") : "test";
        if (strcmp(split, "test") && strcmp(split, "train"))
            return eip_error_set(err, EIP_ERR_ARG, "--split: '%s' is not test or train", split);
        eip_data_set tr = {0}, te = {0};
        if ((s = eip_data_load_by_name(name, eip_cli_get(o, "data-dir"), &tr, &te, err)))
            return s;
        if (!strcmp(split, "test")) {
            *ds = te;
            eip_data_set_free(&tr);
        } else {
            *ds = tr;
            eip_data_set_free(&te);
        }
        int64_t limit = 0;
        if (eip_cli_get(o, "limit") &&
            (s = eip_parse_i64("--limit", eip_cli_get(o, "limit"), 1, INT64_MAX, &limit, err))) {
            eip_data_set_free(ds);
            return s;
        }
        if (limit > 0 && limit < ds->n) {
            eip_data_set sub;
            if ((s = eip_data_set_subset_first(ds, limit, &sub, err))) {
                eip_data_set_free(ds);
                return s;
            }
            eip_data_set_free(ds);
            *ds = sub;
        }
    }
    if (ds->c != c || ds->h != h || ds->w != w) {
        s = eip_error_set(err, EIP_ERR_SHAPE,
                          "%s: images are %dx%dx%d (CxHxW) but the model takes %dx%dx%d",
                          in ? in : ds->name, ds->c, ds->h, ds->w, (int)c, (int)h, (int)w);
        eip_data_set_free(ds);
        return s;
    }
    return EIP_OK;
}

eip_status eip_cli_decoder_parse(const eip_cli_opt *o, eip_protect_model_t *m, eip_error *err)
{
    const char *d = eip_cli_get(o, "decoder");
    if (!d)
        return EIP_OK;
    if (!strcmp(d, "ml"))
        eip_protect_model_set_decoder(m, EIP_CRYPTO_PHI_ML);
    else if (!strcmp(d, "argmax"))
        eip_protect_model_set_decoder(m, EIP_CRYPTO_PHI_ARGMAX);
    else
        return eip_error_set(err, EIP_ERR_ARG, "--decoder: '%s' is not ml or argmax", d);
    return EIP_OK;
}

eip_status eip_cli_protect_model_open(eip_nn_ctx *ctx, const eip_cli_opt *o,
                                      eip_protect_model_t **out, eip_error *err)
{
    *out = NULL;
    const char *path = eip_cli_get(o, "model"), *kpath = eip_cli_get(o, "weights-key");
    const int locked = eip_cli_has(o, "locked");
    if (kpath && locked)
        return eip_error_set(err, EIP_ERR_ARG, "give at most one of --weights-key FILE or --locked");
    eip_advparams_key key = {0};
    eip_protect_model_t *m = NULL;
    eip_status s = EIP_OK;
    /* the key first: a corrupted key fails before the model is read */
    if (kpath && (s = eip_advparams_key_read(kpath, &key, err)))
        goto done;
    if ((s = eip_protect_model_load(ctx, path, &m, err)))
        goto done;
    if (!eip_protect_model_advparams(m)) {
        if (kpath || locked)
            s = eip_error_set(err, EIP_ERR_ARG, "%s: the weights are not AdvParams-encrypted; drop %s",
                              eip_protect_model_path(m), kpath ? "--weights-key" : "--locked");
    } else if (kpath) {
        /* restored in memory only; nothing is written */
        if ((s = eip_protect_model_unlock(m, &key, err)))
            eip_error_prefix(err, "--weights-key %s: ", kpath);
    } else if (locked) {
        fprintf(stderr, "warning: %s: running the AdvParams-encrypted weights as they are "
                        "(--locked): the outputs are those of the encrypted model\n",
                eip_protect_model_path(m));
    } else {
        s = eip_error_set(err, EIP_ERR_ARG, "%s: the weights are AdvParams-encrypted (protect "
                          "--advparams): pass --weights-key FILE (the bundle's keys/weights.key) to "
                          "unlock them in memory, or --locked to run the encrypted weights",
                          eip_protect_model_path(m));
    }
    if (!s)
        s = eip_cli_decoder_parse(o, m, err);
done:
    if (key.entries) /* the original weights: secret */
        sodium_memzero(key.entries, (size_t)key.n * sizeof *key.entries);
    eip_advparams_key_free(&key);
    if (s)
        eip_protect_model_free(m);
    else
        *out = m;
    return s;
}

/* One confused label per line: paper group "(u1,u2,u3)" (positions of the
 * three hot entries of Φ(c_d), eq. 2); ristretto255: hex of u1|u2|u3. */
static void print_ct(FILE *fp, eip_crypto_group_id g, const eip_crypto_ct *c)
{
    if (g == EIP_CRYPTO_GROUP_PAPER) {
        fprintf(fp, "(%u,%u,%u)\n", (unsigned)eip_le_get_u32(c->u[0].b),
                (unsigned)eip_le_get_u32(c->u[1].b), (unsigned)eip_le_get_u32(c->u[2].b));
        return;
    }
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < EIP_CRYPTO_RISTRETTO_ELEM_BYTES; i++)
            fprintf(fp, "%02x", c->u[k].b[i]);
    fputc('\n', fp);
}

int eip_cli_predict(int argc, char **argv)
{
    const char *cmd = "predict";
    eip_cli_opt o[] = {
        {"model", "DIR", "protected model: bundle dir, its deploy/ dir or deploy/model.safetensors", true, NULL, false},
        {"input", "FILE", "images: idx3 ubyte [N,H,W] (C=1) or idx4 [N,C,H,W], raw or .gz", false, NULL, false},
        {"dataset", "NAME", "instead of --input: a named dataset's images", false, NULL, false},
        {"split", "S", "with --dataset: test (default) or train", false, NULL, false},
        {"limit", "N", "with --dataset: only the first N images", false, NULL, false},
        {"data-dir", "DIR", "dataset directory (default: the installed location)", false, NULL, false},
        {"out", "FILE.ct", "also write the ciphertexts (for `encryip decrypt --in`)", false, NULL, false},
        {"show", "N", "print only the first N confused labels (default: all)", false, NULL, false},
        {"decoder", "D", "Φ^-1: ml (default) or argmax (the paper's eq. 3)", false, NULL, false},
        {"weights-key", "FILE", "AdvParams weights key (keys/weights.key): unlock encrypted weights in memory", false, NULL, false},
        {"locked", NULL, "run AdvParams-encrypted weights as they are (stolen-file measurement)", false, NULL, false},
        {"threads", "T", "oneDNN threads (default: all cores)", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--model DIR [--weights-key FILE] (--input FILE | --dataset NAME) "
                           "[--out FILE.ct]", o, argc, argv);
    if (rc >= 0)
        return rc;
    int64_t threads, show;
    if (!eip_cli_get_i64(cmd, o, "threads", 0, 0, 1024, &threads) ||
        !eip_cli_get_i64(cmd, o, "show", -1, 0, INT64_MAX, &show))
        return EIP_EXIT_USAGE;
    eip_error err = {0};
    eip_status s;
    eip_nn_ctx ctx = {0};
    eip_protect_model_t *m = NULL;
    eip_data_set ds = {0};
    eip_crypto_ct *ct = NULL;
    int32_t c, h, w;
    if ((s = eip_crypto_init(&err)) || (s = eip_nn_ctx_init(&ctx, (int)threads, &err)) ||
        (s = eip_cli_protect_model_open(&ctx, o, &m, &err)))
        goto done;
    eip_protect_model_shape(m, &c, &h, &w);
    if ((s = eip_cli_images_input(o, c, h, w, &ds, &err)))
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
    if (eip_cli_get(o, "out") &&
        (s = eip_crypto_cts_save(pk, ct, ds.n, eip_cli_get(o, "out"), &err)))
        goto done;
    int64_t np = show < 0 || show > ds.n ? ds.n : show;
    for (int64_t i = 0; i < np; i++)
        print_ct(stdout, eip_crypto_pk_group(pk), &ct[i]);
    fflush(stdout);
    fprintf(stderr, "predict: %lld images -> confused labels (%s group, fresh SampDist per query) in "
                    "%.2f s%s%s\n",
            (long long)ds.n, eip_crypto_group_name(eip_crypto_pk_group(pk)), t1 - t0,
            eip_cli_get(o, "out") ? "; ciphertexts written to " : "",
            eip_cli_get(o, "out") ? eip_cli_get(o, "out") : "");
done:
    free(ct);
    eip_data_set_free(&ds);
    eip_protect_model_free(m);
    eip_nn_ctx_free(&ctx);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}
