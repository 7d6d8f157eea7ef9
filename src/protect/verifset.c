/* The verification set of section 4.4: images x̄_i unlike the training data
 * (seeded noise, or MNIST digits for a non-digit model) and the ciphertext
 * c̄_i each was trained with.  Files (docs/PROTECT.md):
 *   verification.json  {"format": "encryip-verification", "version": 1,
 *                       "model": bundle id, "group", "classes", "count",
 *                       "images": "verification.idx", "ciphertexts":
 *                       "verification.ct", "instances": [{"kind": "fake"} |
 *                       {"kind": "targeted", "licensee": j, "label": m}, ...]}
 *   verification.idx   idx3 (C = 1) / idx4 ubyte images
 *   verification.ct    crypto ciphertext file (docs/FORMATS.md) */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protect/internal.h"
#include "util/io.h"

void eip_protect_verif_free(eip_protect_verif *v)
{
    if (!v)
        return;
    eip_data_set_free(&v->images);
    free(v->ct);
    free(v->kind);
    free(v->licensee);
    free(v->label);
    memset(v, 0, sizeof *v);
}

eip_status eip_protect_verif_alloc(eip_protect_verif *v, int64_t n, eip_error *err)
{
    memset(v, 0, sizeof *v);
    const size_t m = (size_t)(n > 0 ? n : 1);
    v->n = n;
    v->ct = calloc(m, sizeof *v->ct);
    v->kind = calloc(m, sizeof *v->kind);
    v->licensee = calloc(m, sizeof *v->licensee);
    v->label = calloc(m, sizeof *v->label);
    if (!v->ct || !v->kind || !v->licensee || !v->label) {
        eip_protect_verif_free(v);
        return eip_error_set(err, EIP_ERR_NOMEM, "verification set: out of memory");
    }
    return EIP_OK;
}

eip_status eip_protect_verif_images(eip_protect_verif_source src, int64_t n, int32_t c, int32_t h,
                                    int32_t w, uint64_t seed, const char *mnist_dir,
                                    eip_data_set *out, eip_error *err)
{
    eip_status s;
    if (src == EIP_PROTECT_VERIF_NOISE) {
        if ((s = eip_data_noise_generate("verification/noise", n, c, h, w, 1,
                                         seed ^ 0x5645524946ull /* "VERIF" */, out, err)))
            return s;
    } else {
        eip_data_set test = {0};
        if ((s = eip_data_mnist_load(mnist_dir, NULL, &test, err)))
            return s;
        if (test.c != c || test.h != h || test.w != w || n > test.n) {
            s = eip_error_set(err, EIP_ERR_SHAPE,
                              "verification images from MNIST are %dx%dx%d (%lld available) but the "
                              "model takes %dx%dx%d and needs %lld; use noise images",
                              test.c, test.h, test.w, (long long)test.n, (int)c, (int)h, (int)w,
                              (long long)n);
            eip_data_set_free(&test);
            return s;
        }
        int64_t *idx = malloc((size_t)test.n * sizeof *idx);
        if (!idx) {
            eip_data_set_free(&test);
            return eip_error_set(err, EIP_ERR_NOMEM, "verification images: out of memory");
        }
        for (int64_t i = 0; i < test.n; i++)
            idx[i] = i;
        eip_data_rng r;
        eip_data_rng_seed(&r, seed ^ 0x4d4e495354ull /* "MNIST" */);
        eip_data_rng_shuffle(&r, idx, test.n);
        s = eip_data_set_subset_indices(&test, idx, n, out, err);
        free(idx);
        eip_data_set_free(&test);
        if (s)
            return s;
        snprintf(out->name, sizeof out->name, "verification/mnist");
        out->num_classes = 1;
    }
    for (int64_t i = 0; i < n; i++)
        out->labels[i] = 0;
    out->flags = 0;
    return EIP_OK;
}

/* json_path with its extension replaced by ext (".idx", ".ct"). */
static void sibling(const char *json_path, const char *ext, char *out, size_t cap)
{
    const char *slash = strrchr(json_path, '/');
    const char *dot = strrchr(json_path, '.');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - json_path) : strlen(json_path);
    snprintf(out, cap, "%.*s%s", (int)stem, json_path, ext);
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

eip_status eip_protect_verif_save(const eip_protect_verif *v, const eip_crypto_pk_t *pk,
                                  const char *json_path, eip_error *err)
{
    char ipath[4200], cpath[4200];
    sibling(json_path, ".idx", ipath, sizeof ipath);
    sibling(json_path, ".ct", cpath, sizeof cpath);
    eip_status s;
    if ((s = eip_protect_images_save(&v->images, ipath, err)) ||
        (s = eip_crypto_cts_save(pk, v->ct, v->n, cpath, err)))
        return s;
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    if (!root || !arr) {
        cJSON_Delete(root);
        cJSON_Delete(arr);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", json_path);
    }
    cJSON_AddStringToObject(root, "format", "encryip-verification");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "model", v->model);
    cJSON_AddStringToObject(root, "group", eip_crypto_group_name(eip_crypto_pk_group(pk)));
    cJSON_AddNumberToObject(root, "classes", eip_crypto_pk_classes(pk));
    cJSON_AddNumberToObject(root, "count", (double)v->n);
    cJSON_AddStringToObject(root, "images", base(ipath));
    cJSON_AddStringToObject(root, "ciphertexts", base(cpath));
    for (int64_t i = 0; i < v->n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", eip_keyring_verif_kind_name(v->kind[i]));
        if (v->kind[i] == EIP_KEYRING_VERIF_TARGETED) {
            cJSON_AddNumberToObject(o, "licensee", (double)v->licensee[i]);
            cJSON_AddNumberToObject(o, "label", v->label[i]);
        }
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddItemToObject(root, "instances", arr);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", json_path);
    s = eip_io_write_atomic(json_path, text, strlen(text), EIP_IO_MODE_PUBLIC, err);
    free(text);
    return s;
}

static eip_status jnum(const cJSON *o, const char *key, double lo, double hi, const char *path,
                       int64_t i, double *out, eip_error *err)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(x) || x->valuedouble < lo || x->valuedouble > hi ||
        x->valuedouble != (double)(int64_t)x->valuedouble)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: instance %lld: \"%s\" missing or not an integer "
                             "in %.0f..%.0f", path, (long long)i, key, lo, hi);
    *out = x->valuedouble;
    return EIP_OK;
}

eip_status eip_protect_verif_load(const eip_crypto_pk_t *pk, const char *json_path,
                                  eip_protect_verif *v, eip_error *err)
{
    memset(v, 0, sizeof *v);
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_status s = eip_io_read_file(json_path, (size_t)64 << 20, &buf, &len, err);
    if (s)
        return s;
    cJSON *root = cJSON_ParseWithLength((const char *)buf, len);
    free(buf);
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *inst = cJSON_GetObjectItemCaseSensitive(root, "instances");
    if (!root || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, "encryip-verification") ||
        !cJSON_IsString(model) || strlen(model->valuestring) >= sizeof v->model ||
        !cJSON_IsArray(inst)) {
        cJSON_Delete(root);
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: not an encryip verification set", json_path);
    }
    const int64_t n = cJSON_GetArraySize(inst);
    char ipath[4200], cpath[4200];
    sibling(json_path, ".idx", ipath, sizeof ipath);
    sibling(json_path, ".ct", cpath, sizeof cpath);
    eip_crypto_ct *cts = NULL;
    int64_t nct = 0;
    eip_crypto_cts_info info;
    if ((s = eip_protect_verif_alloc(v, n, err)))
        goto fail;
    snprintf(v->model, sizeof v->model, "%s", model->valuestring);
    for (int64_t i = 0; i < n; i++) {
        const cJSON *o = cJSON_GetArrayItem(inst, (int)i);
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "kind");
        double d = 0;
        if (cJSON_IsString(k) && !strcmp(k->valuestring, "fake")) {
            v->kind[i] = EIP_KEYRING_VERIF_FAKE;
            v->label[i] = EIP_CRYPTO_NOT_A_LABEL;
        } else if (cJSON_IsString(k) && !strcmp(k->valuestring, "targeted")) {
            v->kind[i] = EIP_KEYRING_VERIF_TARGETED;
            if ((s = jnum(o, "licensee", 1, EIP_CRYPTO_MAX_LICENSEES, json_path, i, &d, err)))
                goto fail;
            v->licensee[i] = (int64_t)d;
            if ((s = jnum(o, "label", 0, eip_crypto_pk_classes(pk) - 1, json_path, i, &d, err)))
                goto fail;
            v->label[i] = (int32_t)d;
        } else {
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: instance %lld: kind is not fake or targeted",
                              json_path, (long long)i);
            goto fail;
        }
    }
    if ((s = eip_crypto_cts_load(cpath, &info, &cts, &nct, err)))
        goto fail;
    if (memcmp(info.pk_id, eip_crypto_pk_id(pk), EIP_CRYPTO_PKID_BYTES)) {
        s = eip_error_set(err, EIP_ERR_CRYPTO, "%s: belongs to another public key", cpath);
        goto fail;
    }
    if (nct != n) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: %lld ciphertexts, %s lists %lld instances", cpath,
                          (long long)nct, json_path, (long long)n);
        goto fail;
    }
    memcpy(v->ct, cts, (size_t)n * sizeof *cts);
    if ((s = eip_protect_images_load(ipath, &v->images, err)))
        goto fail;
    if (v->images.n != n) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: %lld images, %s lists %lld instances", ipath,
                          (long long)v->images.n, json_path, (long long)n);
        goto fail;
    }
    free(cts);
    cJSON_Delete(root);
    return EIP_OK;
fail:
    free(cts);
    cJSON_Delete(root);
    eip_protect_verif_free(v);
    return s;
}
