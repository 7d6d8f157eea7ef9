/* Model metadata beside the weights (the keys are named in nn.h): the
 * normalisation statistics every consumer of a model needs, and single
 * values (train.dataset, ...) read back from a model file. */
#include <stdio.h>
#include <string.h>

#include "encryip/ckpt.h"
#include "encryip/nn.h"
#include "util/parse.h"

void eip_nn_meta_norm_format(const float *mean, const float *std, int32_t c,
                             char mean_out[EIP_NN_META_NORM_BYTES],
                             char std_out[EIP_NN_META_NORM_BYTES])
{
    eip_format_f32_list(mean_out, EIP_NN_META_NORM_BYTES, mean, c);
    eip_format_f32_list(std_out, EIP_NN_META_NORM_BYTES, std, c);
}

eip_status eip_nn_meta_norm_parse(const char *what, const char *mean_s, const char *std_s, int32_t c,
                                  float *mean, float *std, eip_error *err)
{
    eip_status s;
    if (!mean_s || !std_s)
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: no normalisation statistics (" EIP_NN_META_NORM_MEAN " / "
                             EIP_NN_META_NORM_STD ") in the metadata; was it written by `encryip "
                             "train`?", what);
    if ((s = eip_parse_f32_list(EIP_NN_META_NORM_MEAN, mean_s, mean, c, err)) != EIP_OK ||
        (s = eip_parse_f32_list(EIP_NN_META_NORM_STD, std_s, std, c, err)) != EIP_OK) {
        eip_error_prefix(err, "%s: ", what);
        return s;
    }
    for (int32_t i = 0; i < c; i++)
        if (!(std[i] > 0))
            return eip_error_set(err, EIP_ERR_FORMAT, "%s: " EIP_NN_META_NORM_STD "[%d] is not positive",
                                 what, (int)i);
    return EIP_OK;
}

eip_status eip_nn_meta_norm_get(const char *path, int32_t c, float *mean, float *std, eip_error *err)
{
    eip_ckpt_reader_t *r = NULL;
    eip_status s = eip_ckpt_reader_open(&r, path, err);
    if (s != EIP_OK)
        return s;
    s = eip_nn_meta_norm_parse(path, eip_ckpt_reader_meta(r, EIP_NN_META_NORM_MEAN),
                               eip_ckpt_reader_meta(r, EIP_NN_META_NORM_STD), c, mean, std, err);
    eip_ckpt_reader_free(r);
    return s;
}

eip_status eip_nn_meta_get(const char *path, const char *key, char *out, size_t cap, eip_error *err)
{
    eip_ckpt_reader_t *r = NULL;
    eip_status s = eip_ckpt_reader_open(&r, path, err);
    if (s != EIP_OK)
        return s;
    const char *v = eip_ckpt_reader_meta(r, key);
    if (!v)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: no %s in the metadata", path, key);
    else if (strlen(v) >= cap)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: %s is longer than %zu bytes", path, key, cap - 1);
    else
        snprintf(out, cap, "%s", v);
    eip_ckpt_reader_free(r);
    return s;
}

eip_status eip_nn_save_norm(const eip_nn_net_t *net, const char *path, const float *mean,
                            const float *std, const struct eip_ckpt_meta *extra, size_t n_extra,
                            eip_error *err)
{
    enum { MAX_EXTRA = 30 };
    if (n_extra > MAX_EXTRA)
        return eip_error_set(err, EIP_ERR_ARG, "%s: %zu metadata entries (at most %d)", path, n_extra,
                             MAX_EXTRA);
    int64_t c, h, w;
    eip_nn_input_shape(net, &c, &h, &w);
    char m[EIP_NN_META_NORM_BYTES], d[EIP_NN_META_NORM_BYTES];
    eip_nn_meta_norm_format(mean, std, (int32_t)c, m, d);
    eip_ckpt_meta meta[MAX_EXTRA + 2] = {{EIP_NN_META_NORM_MEAN, m}, {EIP_NN_META_NORM_STD, d}};
    for (size_t i = 0; i < n_extra; i++)
        meta[2 + i] = extra[i];
    return eip_nn_save_meta(net, path, meta, n_extra + 2, err);
}
