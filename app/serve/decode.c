/* POST /v1/predict request bodies (docs/SERVE.md "Request bodies"):
 *   application/octet-stream ?dtype=uint8|float32&shape=N,C,H,W
 *       raw tensor, row-major, float32 little-endian, pixels in [0, 1]
 *       (float32) or 0..255 (uint8);
 *   application/json {"images": [{"data": BASE64, "dtype": "uint8"|"float32",
 *       "shape": [C, H, W]}, ...]};
 *   image/png, image/jpeg: one image file (the library's decoders,
 *       eip_data_png_from_memory / eip_data_jpeg_from_memory); in JSON,
 *       "dtype": "png" | "jpeg" with the file in "data" (shape optional).
 * Every check names the thing and the reason; nothing here trusts a size
 * before comparing it with the body. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "encryip/data.h"
#include "serve/decode.h"

void eip_serve_images_free(eip_serve_images *im)
{
    free(im->x);
    im->x = NULL;
    im->n = 0;
}

static int fail(char *msg, size_t cap, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
    return status;
}

/* Media type without parameters, lower-cased, into out [cap]. */
static void media_type(const char *ct, char *out, size_t cap)
{
    size_t i = 0;
    while (ct && *ct == ' ')
        ct++;
    for (; ct && ct[i] && ct[i] != ';' && ct[i] != ' ' && i + 1 < cap; i++)
        out[i] = (char)tolower((unsigned char)ct[i]);
    out[i] = '\0';
}

enum { DT_UINT8 = 1, DT_FLOAT32 = 4 };

static int parse_dtype(const char *s, int *size)
{
    if (!strcmp(s, "uint8"))
        *size = DT_UINT8;
    else if (!strcmp(s, "float32"))
        *size = DT_FLOAT32;
    else
        return 0;
    return 1;
}

/* Strict decimal in 1..max. */
static int parse_dim(const char *s, size_t len, int64_t max, int64_t *out)
{
    if (len == 0 || len > 10)
        return 0;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > max)
        return 0;
    *out = v;
    return 1;
}

/* Converts n raw images (dtype size es, shape already checked) into dst
 * [n, C, H, W] floats in [0, 1]. */
static int convert(const unsigned char *src, int es, int64_t count, int64_t first_image,
                   int64_t sample, float *dst, char *msg, size_t cap)
{
    if (es == DT_UINT8) {
        for (int64_t i = 0; i < count; i++)
            dst[i] = (float)src[i] / 255.0f; /* the uint8 path's scale */
        return 200;
    }
    for (int64_t i = 0; i < count; i++) {
        uint32_t u = (uint32_t)src[4 * i] | (uint32_t)src[4 * i + 1] << 8 |
                     (uint32_t)src[4 * i + 2] << 16 | (uint32_t)src[4 * i + 3] << 24;
        float f;
        memcpy(&f, &u, sizeof f);
        if (!(f >= 0.0f && f <= 1.0f))
            return fail(msg, cap, 422, "image %lld: float32 pixel %lld is %g, outside [0, 1]",
                        (long long)(first_image + i / sample), (long long)(i % sample), (double)f);
        dst[i] = f;
    }
    return 200;
}

/* One PNG/JPEG file -> dst [C, H, W] in [0, 1]; the decoded shape must be
 * the model's.  what names the image in messages. */
static int decode_image_file(int jpeg, const unsigned char *buf, size_t len, const char *what,
                             const eip_serve_decode_cfg *cfg, float *dst, char *msg, size_t cap)
{
    uint8_t *px = NULL;
    int32_t c = 0, h = 0, w = 0;
    eip_error err = {0};
    eip_status s = jpeg ? eip_data_jpeg_from_memory(buf, len, what, &px, &c, &h, &w, &err)
                        : eip_data_png_from_memory(buf, len, what, &px, &c, &h, &w, &err);
    if (s)
        return fail(msg, cap, 400, "%s", err.msg);
    int st = 200;
    if (c != cfg->c || h != cfg->h || w != cfg->w)
        st = fail(msg, cap, 422, "%s: a %dx%dx%d (CxHxW) %s image but the model takes %dx%dx%d", what,
                  (int)c, (int)h, (int)w, jpeg ? "JPEG" : "PNG", (int)cfg->c, (int)cfg->h, (int)cfg->w);
    else
        for (int64_t i = 0; i < (int64_t)c * h * w; i++)
            dst[i] = (float)px[i] / 255.0f; /* the uint8 path's scale */
    free(px);
    return st;
}

static int decode_raw(const char *dtype, const char *shape, const unsigned char *body, size_t len,
                      const eip_serve_decode_cfg *cfg, eip_serve_images *out, char *msg, size_t cap)
{
    int es;
    if (!dtype)
        return fail(msg, cap, 400, "raw tensor body: the query argument dtype (uint8 or float32) is missing");
    if (!parse_dtype(dtype, &es))
        return fail(msg, cap, 400, "raw tensor body: dtype '%.32s' is not uint8 or float32", dtype);
    if (!shape)
        return fail(msg, cap, 400, "raw tensor body: the query argument shape (N,C,H,W) is missing");
    int64_t d[4];
    const char *p = shape;
    for (int k = 0; k < 4; k++) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if ((k < 3) != (e != NULL) || !parse_dim(p, l, 1 << 20, &d[k]))
            return fail(msg, cap, 400, "raw tensor body: shape '%.64s' is not N,C,H,W (four positive "
                        "integers)", shape);
        p = e ? e + 1 : p + l;
    }
    if (d[0] > cfg->max_images)
        return fail(msg, cap, 413, "%lld images in one request, the limit is %lld (--max-images)",
                    (long long)d[0], (long long)cfg->max_images);
    if (d[1] != cfg->c || d[2] != cfg->h || d[3] != cfg->w)
        return fail(msg, cap, 422, "images are %lldx%lldx%lld (CxHxW) but the model takes %dx%dx%d",
                    (long long)d[1], (long long)d[2], (long long)d[3], (int)cfg->c, (int)cfg->h,
                    (int)cfg->w);
    const int64_t sample = d[1] * d[2] * d[3], count = d[0] * sample;
    if ((uint64_t)len != (uint64_t)count * (uint64_t)es)
        return fail(msg, cap, 400, "raw tensor body has %zu bytes, shape %lld,%lld,%lld,%lld of %s "
                    "needs %lld", len, (long long)d[0], (long long)d[1], (long long)d[2],
                    (long long)d[3], dtype, (long long)(count * es));
    out->x = malloc((size_t)count * sizeof *out->x);
    if (!out->x)
        return fail(msg, cap, 413, "out of memory for %lld images", (long long)d[0]);
    int st = convert(body, es, count, 0, sample, out->x, msg, cap);
    if (st != 200) {
        eip_serve_images_free(out);
        return st;
    }
    out->n = d[0];
    return 200;
}

static int decode_json(const unsigned char *body, size_t len, const eip_serve_decode_cfg *cfg,
                       eip_serve_images *out, char *msg, size_t cap)
{
    cJSON *root = cJSON_ParseWithLength((const char *)body, len);
    if (!root)
        return fail(msg, cap, 400, "JSON body does not parse (near byte %lld)",
                    cJSON_GetErrorPtr() ? (long long)(cJSON_GetErrorPtr() - (const char *)body) : -1LL);
    int st = 200;
    unsigned char *bin = NULL;
    const cJSON *imgs = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "images") : NULL;
    if (!cJSON_IsArray(imgs)) {
        st = fail(msg, cap, 400, "JSON body: expected an object with an array \"images\"");
        goto done;
    }
    for (const cJSON *f = root->child; f; f = f->next)
        if (strcmp(f->string, "images")) {
            st = fail(msg, cap, 400, "JSON body: unknown field \"%.32s\"", f->string);
            goto done;
        }
    const int64_t n = cJSON_GetArraySize(imgs);
    if (n < 1) {
        st = fail(msg, cap, 400, "JSON body: \"images\" is empty");
        goto done;
    }
    if (n > cfg->max_images) {
        st = fail(msg, cap, 413, "%lld images in one request, the limit is %lld (--max-images)",
                  (long long)n, (long long)cfg->max_images);
        goto done;
    }
    const int64_t sample = (int64_t)cfg->c * cfg->h * cfg->w;
    out->x = malloc((size_t)(n * sample) * sizeof *out->x);
    bin = malloc((size_t)(sample * DT_FLOAT32));
    if (!out->x || !bin) {
        st = fail(msg, cap, 413, "out of memory for %lld images", (long long)n);
        goto done;
    }
    int64_t i = 0;
    for (const cJSON *im = imgs->child; im; im = im->next, i++) {
        if (!cJSON_IsObject(im)) {
            st = fail(msg, cap, 400, "images[%lld]: not an object", (long long)i);
            goto done;
        }
        const char *dtype = "uint8";
        const cJSON *data = NULL, *shape = NULL;
        for (const cJSON *f = im->child; f; f = f->next) {
            if (!strcmp(f->string, "data") && cJSON_IsString(f)) {
                data = f;
            } else if (!strcmp(f->string, "dtype") && cJSON_IsString(f)) {
                dtype = f->valuestring;
            } else if (!strcmp(f->string, "shape") && cJSON_IsArray(f)) {
                shape = f;
            } else {
                st = fail(msg, cap, 400, "images[%lld]: unknown field or wrong type: \"%.32s\" (data: "
                          "base64 string, dtype: string, shape: array)", (long long)i, f->string);
                goto done;
            }
        }
        int es;
        if (!strcmp(dtype, "png") || !strcmp(dtype, "jpeg")) {
            if (!data) {
                st = fail(msg, cap, 400, "images[%lld]: no \"data\" (base64 %s file)", (long long)i,
                          dtype);
                goto done;
            }
            const char *b64 = data->valuestring;
            const size_t b64len = strlen(b64);
            unsigned char *file = malloc(b64len / 4 * 3 + 3);
            size_t got = 0;
            char what[48];
            snprintf(what, sizeof what, "images[%lld]", (long long)i);
            if (!file) {
                st = fail(msg, cap, 413, "%s: out of memory", what);
                goto done;
            }
            if (sodium_base642bin(file, b64len / 4 * 3 + 3, b64, b64len, NULL, &got, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) != 0)
                st = fail(msg, cap, 400, "%s: data is not valid base64", what);
            else
                st = decode_image_file(!strcmp(dtype, "jpeg"), file, got, what, cfg,
                                       out->x + i * sample, msg, cap);
            free(file);
            if (st != 200)
                goto done;
            continue;
        }
        if (!parse_dtype(dtype, &es)) {
            st = fail(msg, cap, 400, "images[%lld]: dtype '%.32s' is not uint8, float32, png or jpeg",
                      (long long)i, dtype);
            goto done;
        }
        if (!data) {
            st = fail(msg, cap, 400, "images[%lld]: no \"data\" (base64 pixels)", (long long)i);
            goto done;
        }
        if (!shape) {
            st = fail(msg, cap, 400, "images[%lld]: no \"shape\" [C, H, W]", (long long)i);
            goto done;
        }
        int64_t d[3];
        int k = 0;
        for (const cJSON *e = shape->child; e; e = e->next, k++) {
            if (k >= 3 || !cJSON_IsNumber(e) || !(e->valuedouble >= 1 && e->valuedouble <= (1 << 20)) ||
                e->valuedouble != floor(e->valuedouble)) {
                k = -1;
                break;
            }
            d[k] = (int64_t)e->valuedouble;
        }
        if (k != 3) {
            st = fail(msg, cap, 400, "images[%lld]: shape is not [C, H, W] (three positive integers)",
                      (long long)i);
            goto done;
        }
        if (d[0] != cfg->c || d[1] != cfg->h || d[2] != cfg->w) {
            st = fail(msg, cap, 422, "images[%lld]: %lldx%lldx%lld (CxHxW) but the model takes "
                      "%dx%dx%d", (long long)i, (long long)d[0], (long long)d[1], (long long)d[2],
                      (int)cfg->c, (int)cfg->h, (int)cfg->w);
            goto done;
        }
        const char *b64 = data->valuestring;
        const size_t b64len = strlen(b64), want = (size_t)(sample * es);
        size_t got = 0;
        /* decode at most `want` bytes: a longer payload fails here */
        if (sodium_base642bin(bin, want, b64, b64len, NULL, &got, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0) {
            st = fail(msg, cap, 400, "images[%lld]: data is not valid base64 of %zu bytes (%s pixels "
                      "%lldx%lldx%lld)", (long long)i, want, dtype, (long long)d[0],
                      (long long)d[1], (long long)d[2]);
            goto done;
        }
        if (got != want) {
            st = fail(msg, cap, 400, "images[%lld]: data holds %zu bytes, %s %lldx%lldx%lld needs %zu",
                      (long long)i, got, dtype, (long long)d[0], (long long)d[1], (long long)d[2],
                      want);
            goto done;
        }
        if ((st = convert(bin, es, sample, i, sample, out->x + i * sample, msg, cap)) != 200) {
            /* convert numbers images from its first_image: name this one */
            goto done;
        }
    }
    out->n = n;
done:
    free(bin);
    cJSON_Delete(root);
    if (st != 200)
        eip_serve_images_free(out);
    return st;
}

int eip_serve_decode(const char *content_type, const char *dtype, const char *shape,
                     const unsigned char *body, size_t len, const eip_serve_decode_cfg *cfg,
                     eip_serve_images *out, char *msg, size_t cap)
{
    memset(out, 0, sizeof *out);
    char mt[64];
    if (!content_type)
        return fail(msg, cap, 415, "no Content-Type (application/octet-stream with ?dtype=&shape=, "
                    "or application/json)");
    media_type(content_type, mt, sizeof mt);
    if (len == 0)
        return fail(msg, cap, 400, "empty request body");
    if (!strcmp(mt, "application/octet-stream"))
        return decode_raw(dtype, shape, body, len, cfg, out, msg, cap);
    if (!strcmp(mt, "application/json"))
        return decode_json(body, len, cfg, out, msg, cap);
    if (!strcmp(mt, "image/png") || !strcmp(mt, "image/jpeg")) {
        const int64_t sample = (int64_t)cfg->c * cfg->h * cfg->w;
        out->x = malloc((size_t)sample * sizeof *out->x);
        if (!out->x)
            return fail(msg, cap, 413, "out of memory");
        int st = decode_image_file(!strcmp(mt, "image/jpeg"), body, len, "request body", cfg, out->x,
                                   msg, cap);
        if (st != 200) {
            eip_serve_images_free(out);
            return st;
        }
        out->n = 1;
        return 200;
    }
    return fail(msg, cap, 415, "Content-Type '%.40s' is not supported (application/octet-stream, "
                "application/json, image/png, image/jpeg)", mt);
}
