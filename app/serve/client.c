/* libcurl clients of encryip serve and of a suspect HTTP deployment
 * (client.h).  Requests: application/octet-stream raw uint8 tensors,
 * ?dtype=uint8&shape=N,C,H,W (docs/SERVE.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sodium.h>

#include "serve/client.h"

#define MAX_ANSWER (64u << 20) /* bytes of one HTTP answer we accept */

typedef struct buf {
    char *p;
    size_t len, cap;
    int too_big;
} buf;

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
    buf *b = ud;
    const size_t n = size * nmemb;
    if (b->len + n + 1 > MAX_ANSWER) {
        b->too_big = 1;
        return 0; /* aborts the transfer */
    }
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? 2 * b->cap : 65536;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np)
            return 0;
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

/* One request; body NULL = GET.  *out: the answer (NUL-terminated, caller
 * frees) of a 2xx; other statuses become an error quoting the answer. */
static eip_status http(const char *url, double timeout, const char *ctype, const void *body,
                       size_t len, char **out, eip_error *err)
{
    *out = NULL;
    static int inited;
    if (!inited) { /* the CLI is single-threaded here */
        if (curl_global_init(CURL_GLOBAL_DEFAULT))
            return eip_error_set(err, EIP_ERR_IO, "libcurl: initialisation failed");
        inited = 1;
    }
    CURL *c = curl_easy_init();
    if (!c)
        return eip_error_set(err, EIP_ERR_NOMEM, "libcurl: out of memory");
    buf b = {0};
    struct curl_slist *hdr = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (body) {
        char h[128];
        snprintf(h, sizeof h, "Content-Type: %s", ctype);
        hdr = curl_slist_append(hdr, h);
        hdr = curl_slist_append(hdr, "Expect:"); /* no 100-continue round trip */
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    eip_status s = EIP_OK;
    if (b.too_big)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: answer larger than %u bytes", url, MAX_ANSWER);
    else if (rc != CURLE_OK)
        s = eip_error_set(err, EIP_ERR_IO, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    else if (status < 200 || status > 299)
        s = eip_error_set(err, EIP_ERR_IO, "%s: HTTP %ld: %.300s", url, status, b.p ? b.p : "");
    else if (!b.p)
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: empty answer", url);
    if (s) {
        free(b.p);
        return s;
    }
    *out = b.p;
    return EIP_OK;
}

/* base URL + suffix (a trailing '/' of the base is dropped). */
static char *join(const char *base, const char *suffix)
{
    size_t l = strlen(base);
    while (l && base[l - 1] == '/')
        l--;
    char *u = malloc(l + strlen(suffix) + 1);
    if (u) {
        memcpy(u, base, l);
        strcpy(u + l, suffix);
    }
    return u;
}

static int hex_id(const char *hex, unsigned char *out)
{
    if (!hex || strlen(hex) != 2 * EIP_CRYPTO_PKID_BYTES)
        return 0;
    for (int i = 0; i < EIP_CRYPTO_PKID_BYTES; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return 0;
        out[i] = (unsigned char)v;
    }
    return 1;
}

static int json_int(const cJSON *o, const char *name, int64_t lo, int64_t hi, int64_t *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(x) || x->valuedouble < (double)lo || x->valuedouble > (double)hi ||
        x->valuedouble != floor(x->valuedouble))
        return 0;
    *v = (int64_t)x->valuedouble;
    return 1;
}

eip_status eip_serve_remote_model(const char *url, double timeout, eip_serve_remote_info *info,
                                  eip_error *err)
{
    memset(info, 0, sizeof *info);
    char *u = join(url, "/v1/model"), *ans = NULL;
    if (!u)
        return eip_error_set(err, EIP_ERR_NOMEM, "out of memory");
    eip_status s = http(u, timeout, NULL, NULL, 0, &ans, err);
    if (s) {
        free(u);
        return s;
    }
    cJSON *j = cJSON_Parse(ans);
    const cJSON *in = j ? cJSON_GetObjectItemCaseSensitive(j, "input") : NULL;
    const cJSON *lim = j ? cJSON_GetObjectItemCaseSensitive(j, "limits") : NULL;
    const cJSON *id = j ? cJSON_GetObjectItemCaseSensitive(j, "key_id") : NULL;
    int64_t c, h, w, mi;
    if (!j || !cJSON_IsString(id) || !hex_id(id->valuestring, info->key_id) || !in ||
        !json_int(in, "channels", 1, 4, &c) || !json_int(in, "height", 1, 4096, &h) ||
        !json_int(in, "width", 1, 4096, &w) || !lim || !json_int(lim, "max_images", 1, 1 << 20, &mi))
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: not an encryip serve model description (key_id, "
                          "input, limits)", u);
    else {
        info->c = (int32_t)c;
        info->h = (int32_t)h;
        info->w = (int32_t)w;
        info->max_images = mi;
    }
    cJSON_Delete(j);
    free(ans);
    free(u);
    return s;
}

/* POST images [i0, i0+b) as a raw uint8 tensor to url (query appended). */
static eip_status post_images(const char *url, double timeout, const uint8_t *pixels, int64_t i0,
                              int64_t b, int32_t c, int32_t h, int32_t w, char **ans, eip_error *err)
{
    char q[128];
    snprintf(q, sizeof q, "%cdtype=uint8&shape=%lld,%d,%d,%d", strchr(url, '?') ? '&' : '?',
             (long long)b, (int)c, (int)h, (int)w);
    char *u = join(url, q);
    if (!u)
        return eip_error_set(err, EIP_ERR_NOMEM, "out of memory");
    const size_t sample = (size_t)c * (size_t)h * (size_t)w;
    eip_status s = http(u, timeout, "application/octet-stream", pixels + (size_t)i0 * sample,
                        (size_t)b * sample, ans, err);
    free(u);
    return s;
}

eip_status eip_serve_remote_classify(const char *url, double timeout, const eip_crypto_sk_t *sk,
                                     const uint8_t *pixels, int64_t n, int32_t c, int32_t h,
                                     int32_t w, int64_t batch, int32_t *labels, eip_error *err)
{
    char *purl = join(url, "/v1/predict");
    if (!purl)
        return eip_error_set(err, EIP_ERR_NOMEM, "out of memory");
    eip_status s = EIP_OK;
    for (int64_t i0 = 0; i0 < n && !s; i0 += batch) {
        const int64_t b = n - i0 < batch ? n - i0 : batch;
        char *ans = NULL;
        if ((s = post_images(purl, timeout, pixels, i0, b, c, h, w, &ans, err)))
            break;
        cJSON *j = cJSON_Parse(ans);
        free(ans);
        const cJSON *arr = j ? cJSON_GetObjectItemCaseSensitive(j, "ciphertexts") : NULL;
        if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != b) {
            s = eip_error_set(err, EIP_ERR_FORMAT, "%s: answer without %lld ciphertexts", purl,
                              (long long)b);
            cJSON_Delete(j);
            break;
        }
        int64_t i = i0;
        for (const cJSON *e = arr->child; e && !s; e = e->next, i++) {
            unsigned char bin[512];
            size_t got = 0;
            eip_crypto_cts_info info;
            eip_crypto_ct *ct = NULL;
            int64_t cnt = 0;
            if (!cJSON_IsString(e) ||
                sodium_base642bin(bin, sizeof bin, e->valuestring, strlen(e->valuestring), NULL, &got,
                                  NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
                s = eip_error_set(err, EIP_ERR_FORMAT, "%s: ciphertext %lld is not base64", purl,
                                  (long long)i);
                break;
            }
            char name[64];
            snprintf(name, sizeof name, "ciphertext %lld", (long long)i);
            /* the crypto file reader checks size, checksum and every element */
            if ((s = eip_crypto_cts_from_bytes(bin, got, name, &info, &ct, &cnt, err)))
                break;
            if (cnt != 1 || memcmp(info.pk_id, eip_crypto_sk_pk_id(sk), EIP_CRYPTO_PKID_BYTES)) {
                s = eip_error_set(err, EIP_ERR_CRYPTO, "%s: %s belongs to another public key than the "
                                  "licensee key", purl, name);
                free(ct);
                break;
            }
            /* eq. (4), locally */
            if (eip_crypto_dec_label(sk, &ct[0], &labels[i], NULL) != EIP_OK)
                labels[i] = EIP_CRYPTO_NOT_A_LABEL;
            free(ct);
        }
        cJSON_Delete(j);
    }
    free(purl);
    return s;
}

eip_status eip_serve_remote_labels(const char *url, double timeout, const char *labels_path,
                                   const uint8_t *pixels, int64_t n, int32_t c, int32_t h, int32_t w,
                                   int64_t batch, int32_t classes, int32_t *printed,
                                   int64_t *answered, eip_error *err)
{
    eip_status s = EIP_OK;
    *answered = 0;
    for (int64_t i = 0; i < n; i++)
        printed[i] = EIP_CRYPTO_NOT_A_LABEL;
    for (int64_t i0 = 0; i0 < n && !s; i0 += batch) {
        const int64_t b = n - i0 < batch ? n - i0 : batch;
        char *ans = NULL;
        if ((s = post_images(url, timeout, pixels, i0, b, c, h, w, &ans, err)))
            break;
        cJSON *j = cJSON_Parse(ans);
        free(ans);
        /* the adapter: follow the dotted path to the labels array */
        const cJSON *x = j;
        char part[128];
        for (const char *p = labels_path; x && *p;) {
            const char *dot = strchr(p, '.');
            size_t l = dot ? (size_t)(dot - p) : strlen(p);
            snprintf(part, sizeof part, "%.*s", (int)(l < 127 ? l : 127), p);
            x = cJSON_IsObject(x) ? cJSON_GetObjectItemCaseSensitive(x, part) : NULL;
            p = dot ? dot + 1 : p + l;
        }
        if (!cJSON_IsArray(x)) {
            s = eip_error_set(err, EIP_ERR_FORMAT, "--suspect-url %s: the answer has no array at "
                              "--labels-path '%s'", url, labels_path);
        } else {
            if (cJSON_GetArraySize(x) != b)
                fprintf(stderr, "trace: warning: the suspect answered %d labels for %lld images "
                                "(missing ones count as no label)\n", cJSON_GetArraySize(x),
                        (long long)b);
            int64_t i = i0;
            for (const cJSON *e = x->child; e && i < i0 + b; e = e->next, i++)
                if (cJSON_IsNumber(e) && e->valuedouble >= 0 && e->valuedouble < classes &&
                    e->valuedouble == floor(e->valuedouble)) {
                    printed[i] = (int32_t)e->valuedouble;
                    ++*answered;
                }
        }
        cJSON_Delete(j);
    }
    return s;
}
