/* Net checkpoints through the ckpt module (safetensors): every parameter,
 * BN buffer and counter under its PyTorch state_dict name (F32; counters
 * I64 scalars), plus metadata that rebuilds the net from the file alone:
 *   encryip.nn.format = "1"
 *   zoo nets:    encryip.nn.zoo, .c_in, .h, .w, .k, .width (%.17g)
 *   config nets: encryip.nn.config = the config text
 * Loading is strict: same names, dtypes, shapes, and no extra tensors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/ckpt.h"
#include "nn/nn_internal.h"
#include "util/parse.h"

eip_status eip_nn_save(const eip_nn_net_t *net, const char *path, eip_error *err)
{
    return eip_nn_save_meta(net, path, NULL, 0, err);
}

/* extra: caller's metadata (training settings, protection info) stored beside
 * the architecture keys; keys must not start with "encryip.nn.". */
eip_status eip_nn_save_meta(const eip_nn_net_t *net, const char *path, const eip_ckpt_meta *extra,
                            size_t n_extra, eip_error *err)
{
    for (size_t i = 0; i < n_extra; i++)
        if (!strncmp(extra[i].key, "encryip.nn.", 11))
            return eip_error_set(err, EIP_ERR_ARG, "%s: metadata key '%s' is reserved", path,
                                 extra[i].key);
    int64_t nt = net->n_tensors;
    eip_ckpt_tensor *ts = calloc((size_t)(nt ? nt : 1), sizeof *ts);
    if (!ts)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: save", path);
    for (int64_t i = 0; i < nt; i++) {
        const eip_nn_tensor *t = &net->tensors[i].t;
        ts[i].name = t->name;
        ts[i].ndim = t->ndim;
        for (int d = 0; d < t->ndim; d++)
            ts[i].shape[d] = t->shape[d];
        if (t->kind == EIP_NN_TENSOR_COUNTER) {
            ts[i].dtype = EIP_CKPT_I64;
            ts[i].data = net->counters + t->offset;
        } else {
            ts[i].dtype = EIP_CKPT_F32;
            ts[i].data = (t->kind == EIP_NN_TENSOR_PARAM ? net->params : net->bufs) + t->offset;
        }
    }
    char c[32], h[32], w[32], k[32], wd[40];
    eip_ckpt_meta *meta = malloc((7 + n_extra) * sizeof *meta);
    if (!meta) {
        free(ts);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: save", path);
    }
    size_t nm = 0;
    meta[nm++] = (eip_ckpt_meta){"encryip.nn.format", "1"};
    if (net->has_arch) {
        snprintf(c, sizeof c, "%lld", (long long)net->arch.c_in);
        snprintf(h, sizeof h, "%lld", (long long)net->arch.h);
        snprintf(w, sizeof w, "%lld", (long long)net->arch.w);
        snprintf(k, sizeof k, "%lld", (long long)net->arch.k);
        snprintf(wd, sizeof wd, "%.17g", net->arch.width);
        meta[nm++] = (eip_ckpt_meta){"encryip.nn.zoo", net->arch.zoo};
        meta[nm++] = (eip_ckpt_meta){"encryip.nn.c_in", c};
        meta[nm++] = (eip_ckpt_meta){"encryip.nn.h", h};
        meta[nm++] = (eip_ckpt_meta){"encryip.nn.w", w};
        meta[nm++] = (eip_ckpt_meta){"encryip.nn.k", k};
        meta[nm++] = (eip_ckpt_meta){"encryip.nn.width", wd};
    } else if (net->config_text) {
        meta[nm++] = (eip_ckpt_meta){"encryip.nn.config", net->config_text};
    }
    for (size_t i = 0; i < n_extra; i++)
        meta[nm++] = extra[i];
    eip_status s = eip_ckpt_write(path, ts, (size_t)nt, meta, nm, err);
    free(meta);
    free(ts);
    return s;
}

static eip_status load_tensors(eip_nn_net_t *net, const eip_ckpt_reader_t *r, eip_error *err)
{
    const char *src = eip_ckpt_reader_name(r);
    if (eip_ckpt_reader_count(r) != (size_t)net->n_tensors)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: %zu tensors, the net has %lld", src,
                             eip_ckpt_reader_count(r), (long long)net->n_tensors);
    for (int64_t i = 0; i < net->n_tensors; i++) {
        const eip_nn_tensor *t = &net->tensors[i].t;
        const void *data;
        int counter = t->kind == EIP_NN_TENSOR_COUNTER;
        EIP_NN_OK(eip_ckpt_reader_expect(r, t->name, counter ? EIP_CKPT_I64 : EIP_CKPT_F32, t->ndim,
                                         t->shape, &data, err));
        void *dst = counter ? (void *)(net->counters + t->offset)
                    : (void *)((t->kind == EIP_NN_TENSOR_PARAM ? net->params : net->bufs) + t->offset);
        memcpy(dst, data, (size_t)t->count * (counter ? sizeof(int64_t) : sizeof(float)));
    }
    eip_nn_mark_dirty(net);
    return EIP_OK;
}

eip_status eip_nn_load_into(eip_nn_net_t *net, const char *path, eip_error *err)
{
    eip_ckpt_reader_t *r = NULL;
    EIP_NN_OK(eip_ckpt_reader_open(&r, path, err));
    eip_status s = load_tensors(net, r, err);
    eip_ckpt_reader_free(r);
    return s;
}

static eip_status meta_i64(const eip_ckpt_reader_t *r, const char *key, int64_t *out, eip_error *err)
{
    const char *v = eip_ckpt_reader_meta(r, key);
    if (!v)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: metadata %s missing", eip_ckpt_reader_name(r), key);
    eip_status s = eip_parse_i64(key, v, 1, 1 << 24, out, err);
    if (s != EIP_OK)
        eip_error_prefix(err, "%s: ", eip_ckpt_reader_name(r));
    return s;
}

eip_status eip_nn_load(eip_nn_ctx *ctx, const char *path, eip_nn_net_t **out, eip_error *err)
{
    *out = NULL;
    eip_ckpt_reader_t *r = NULL;
    EIP_NN_OK(eip_ckpt_reader_open(&r, path, err));
    eip_nn_net_t *net = NULL;
    eip_status s = EIP_OK;
    const char *fmt = eip_ckpt_reader_meta(r, "encryip.nn.format");
    const char *zoo = eip_ckpt_reader_meta(r, "encryip.nn.zoo");
    const char *cfg = eip_ckpt_reader_meta(r, "encryip.nn.config");
    if (!fmt || strcmp(fmt, "1") != 0) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: not an encryip nn checkpoint (encryip.nn.format)", path);
    } else if (zoo) {
        eip_nn_arch a;
        memset(&a, 0, sizeof a);
        if (strlen(zoo) >= sizeof a.zoo)
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: bad zoo name", path);
        else
            snprintf(a.zoo, sizeof a.zoo, "%s", zoo);
        if (s == EIP_OK)
            s = meta_i64(r, "encryip.nn.c_in", &a.c_in, err);
        if (s == EIP_OK)
            s = meta_i64(r, "encryip.nn.h", &a.h, err);
        if (s == EIP_OK)
            s = meta_i64(r, "encryip.nn.w", &a.w, err);
        if (s == EIP_OK)
            s = meta_i64(r, "encryip.nn.k", &a.k, err);
        const char *wv = eip_ckpt_reader_meta(r, "encryip.nn.width");
        if (s == EIP_OK && !wv)
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: metadata encryip.nn.width missing", path);
        if (s == EIP_OK)
            s = eip_parse_f64("encryip.nn.width", wv, 1e-9, 16.0, &a.width, err);
        if (s == EIP_OK)
            s = eip_nn_net_zoo(ctx, &a, &net, err);
    } else if (cfg) {
        s = eip_nn_net_config(ctx, cfg, path, &net, err);
    } else {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: no architecture metadata (encryip.nn.zoo / .config)", path);
    }
    if (s == EIP_OK)
        s = eip_nn_init_params(net, 0, err); /* dropout seeds; tensors are overwritten next */
    if (s == EIP_OK)
        s = load_tensors(net, r, err);
    eip_ckpt_reader_free(r);
    if (s != EIP_OK) {
        eip_error_prefix(err, "loading %s: ", path);
        eip_nn_net_free(net);
        return s;
    }
    *out = net;
    return EIP_OK;
}
