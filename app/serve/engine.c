/* The batching engine of encryip serve: jobs (one per predict request) are
 * collected for up to batch_wait seconds or max_batch images and run as one
 * forward (eip_protect_forward_f32 serialised on this thread, as protect.h
 * requires); the rows of the output go to a crypto pool that runs
 * Algorithm 2's Φ^-1 + SampDist (fresh CSPRNG randomness per image and per
 * request, eip_protect_predict_outputs with rng NULL) and encodes each
 * ciphertext as a one-ciphertext crypto file ("EICT", docs/FORMATS.md) in
 * base64. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "serve/serve.h"

struct eip_serve_engine {
    eip_serve_engine_cfg cfg;
    pthread_mutex_t mu;
    pthread_cond_t cv_in, cv_crypto;
    eip_serve_job *in_head, *in_tail;         /* waiting for the forward */
    eip_serve_job *cr_head, *cr_tail;         /* waiting for the crypto step */
    int stopping;
    pthread_t engine;
    pthread_t *crypto;
    int n_crypto;
    int started_engine;
    char key_id[2 * EIP_CRYPTO_PKID_BYTES + 1];
    const char *group;
    int64_t k, sample;
};

double eip_serve_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

char *eip_serve_error_json(int status, const char *msg, size_t *len)
{
    /* the message is ours (no user bytes except quoted names); escape anyway */
    size_t cap = 64 + 6 * strlen(msg);
    char *b = malloc(cap);
    if (!b) {
        *len = 0;
        return NULL;
    }
    size_t o = (size_t)snprintf(b, cap, "{\"error\":{\"status\":%d,\"message\":\"", status);
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        if (*p == '"' || *p == '\\')
            o += (size_t)snprintf(b + o, cap - o, "\\%c", *p);
        else if (*p < 0x20)
            o += (size_t)snprintf(b + o, cap - o, "\\u%04x", *p);
        else
            b[o++] = (char)*p;
    }
    o += (size_t)snprintf(b + o, cap - o, "\"}}\n");
    *len = o;
    return b;
}

static void job_error(eip_serve_job *j, int status, const char *msg)
{
    j->status = status;
    j->body = eip_serve_error_json(status, msg, &j->body_len);
}

static void push(eip_serve_job **head, eip_serve_job **tail, eip_serve_job *j)
{
    j->next = NULL;
    if (*tail)
        (*tail)->next = j;
    else
        *head = j;
    *tail = j;
}

/* Algorithm 2 lines 2-3 on the job's outputs, then the JSON answer. */
static void crypto_step(eip_serve_engine *e, eip_serve_job *j)
{
    const eip_crypto_pk_t *pk = eip_protect_model_pk(e->cfg.model);
    const int64_t n = j->im.n;
    eip_crypto_ct *ct = malloc((size_t)n * sizeof *ct);
    char *b = NULL;
    eip_error err = {0};
    if (!ct) {
        job_error(j, 503, "out of memory");
        return;
    }
    if (eip_protect_predict_outputs(e->cfg.model, j->y, n, NULL, ct, NULL, &err)) {
        job_error(j, 500, err.msg);
        free(ct);
        return;
    }
    unsigned char *bytes = NULL;
    size_t blen = 0;
    size_t cap = 0, o = 0;
    for (int64_t i = 0; i < n; i++) {
        if (eip_crypto_cts_to_bytes(pk, &ct[i], 1, &bytes, &blen, &err)) {
            job_error(j, 500, err.msg);
            goto out;
        }
        const size_t b64 = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL);
        if (!b) {
            cap = 256 + (size_t)n * (b64 + 4);
            b = malloc(cap);
            if (!b) {
                job_error(j, 503, "out of memory");
                goto out;
            }
            o = (size_t)snprintf(b, cap, "{\"key_id\":\"%s\",\"group\":\"%s\",\"count\":%lld,"
                                 "\"encoding\":\"encryip-ciphertext-file\",\"ciphertexts\":[",
                                 e->key_id, e->group, (long long)n);
        }
        b[o++] = i ? ',' : '"';
        if (i)
            b[o++] = '"';
        sodium_bin2base64(b + o, cap - o, bytes, blen, sodium_base64_VARIANT_ORIGINAL);
        o += b64 - 1;
        b[o++] = '"';
        free(bytes);
        bytes = NULL;
    }
    o += (size_t)snprintf(b + o, cap - o, "]}\n");
    j->status = 200;
    j->body = b;
    j->body_len = o;
    b = NULL;
out:
    free(bytes);
    free(b);
    sodium_memzero(ct, (size_t)n * sizeof *ct); /* not secret; keeps answers out of freed memory */
    free(ct);
}

static void *crypto_main(void *arg)
{
    eip_serve_engine *e = arg;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        while (!e->cr_head && !(e->stopping == 2))
            pthread_cond_wait(&e->cv_crypto, &e->mu);
        eip_serve_job *j = e->cr_head;
        if (!j) {
            pthread_mutex_unlock(&e->mu);
            return NULL;
        }
        e->cr_head = j->next;
        if (!e->cr_head)
            e->cr_tail = NULL;
        pthread_mutex_unlock(&e->mu);
        crypto_step(e, j);
        free(j->y);
        j->y = NULL;
        j->done(j);
    }
}

/* The engine plans its primitives once per batch size N (eip_nn_forward
 * caches a plan per N, and planning costs far more than a small forward), so
 * a dynamic batch of N images runs as forwards of power-of-two sizes (the
 * binary digits of N, largest first): at most log2(max_batch) + 1 plans ever,
 * all made at start-up (warm_up), no padding waste. */
static int64_t bucket_cap(int64_t max_batch)
{
    int64_t b = 1;
    while (b * 2 <= max_batch)
        b *= 2;
    return b;
}

static eip_status forward_bucketed(eip_serve_engine *e, const float *x, int64_t n, float *y,
                                   eip_error *err)
{
    const int64_t cap = bucket_cap(e->cfg.max_batch);
    int64_t off = 0;
    while (off < n) {
        int64_t b = cap;
        while (b > n - off)
            b /= 2;
        eip_status s = eip_protect_forward_f32(e->cfg.model, x + off * e->sample, b, y + off * e->k, err);
        if (s)
            return s;
        off += b;
    }
    return EIP_OK;
}

/* One forward of every bucket size on blank images: the plans exist before
 * the first request. */
static int warm_up(eip_serve_engine *e, char *msg, size_t cap)
{
    const int64_t top = bucket_cap(e->cfg.max_batch);
    float *x = calloc((size_t)(top * e->sample), sizeof *x);
    float *y = malloc((size_t)(top * e->k) * sizeof *y);
    eip_error err = {0};
    int rc = 0;
    if (!x || !y) {
        snprintf(msg, cap, "out of memory for the warm-up batch of %lld images", (long long)top);
        rc = -1;
    }
    for (int64_t b = 1; !rc && b <= top; b *= 2)
        if (eip_protect_forward_f32(e->cfg.model, x, b, y, &err)) {
            snprintf(msg, cap, "warm-up forward of %lld images: %s", (long long)b, err.msg);
            rc = -1;
        }
    free(x);
    free(y);
    return rc;
}

static void *engine_main(void *arg)
{
    eip_serve_engine *e = arg;
    const int64_t k = e->k, sample = e->sample;
    eip_protect_forward_thread_init(e->cfg.nn);
    for (;;) {
        pthread_mutex_lock(&e->mu);
        while (!e->in_head && !e->stopping)
            pthread_cond_wait(&e->cv_in, &e->mu);
        if (!e->in_head) { /* stopping and nothing left */
            pthread_mutex_unlock(&e->mu);
            return NULL;
        }
        /* dynamic batching: wait for more requests up to batch_wait after the
         * first one arrived, or until max_batch images are queued */
        const double deadline = e->in_head->t_enqueued + e->cfg.batch_wait;
        for (;;) {
            int64_t queued = 0;
            for (eip_serve_job *j = e->in_head; j; j = j->next)
                queued += j->im.n;
            double now = eip_serve_now();
            if (queued >= e->cfg.max_batch || now >= deadline || e->stopping)
                break;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            double wait = deadline - now;
            ts.tv_sec += (time_t)wait;
            ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&e->cv_in, &e->mu, &ts);
        }
        /* take jobs up to max_batch images (a bigger job runs alone) */
        eip_serve_job *batch = NULL, **tail = &batch;
        int64_t total = 0;
        const double now = eip_serve_now();
        while (e->in_head && (total == 0 || total + e->in_head->im.n <= e->cfg.max_batch)) {
            eip_serve_job *j = e->in_head;
            e->in_head = j->next;
            if (!e->in_head)
                e->in_tail = NULL;
            j->next = NULL;
            if (now - j->t_enqueued > e->cfg.timeout) {
                /* queued past the per-request timeout: answer now */
                pthread_mutex_unlock(&e->mu);
                job_error(j, 503, "the request waited longer than the request timeout for the "
                                  "engine (server overloaded)");
                j->done(j);
                pthread_mutex_lock(&e->mu);
                continue;
            }
            *tail = j;
            tail = &j->next;
            total += j->im.n;
        }
        pthread_mutex_unlock(&e->mu);
        if (!batch)
            continue;
        float *x = malloc((size_t)(total * sample) * sizeof *x); /* [B, C, H, W] */
        float *y = malloc((size_t)(total * k) * sizeof *y);     /* [B, K] */
        eip_error err = {0};
        int ok = x && y;
        if (ok) {
            int64_t off = 0;
            for (eip_serve_job *j = batch; j; j = j->next) {
                memcpy(x + off * sample, j->im.x, (size_t)(j->im.n * sample) * sizeof *x);
                off += j->im.n;
            }
            ok = forward_bucketed(e, x, total, y, &err) == EIP_OK;
        } else {
            snprintf(err.msg, sizeof err.msg, "out of memory for a batch of %lld images",
                     (long long)total);
        }
        free(x);
        eip_serve_metrics_batch(e->cfg.metrics, total);
        int64_t off = 0;
        eip_serve_job *next;
        for (eip_serve_job *j = batch; j; j = next) {
            next = j->next;
            j->next = NULL;
            free(j->im.x); /* the pixels are in the batch now; im.n stays */
            j->im.x = NULL;
            if (!ok) {
                job_error(j, 500, err.msg);
                j->done(j);
                continue;
            }
            j->y = malloc((size_t)(j->im.n * k) * sizeof *j->y);
            if (!j->y) {
                job_error(j, 503, "out of memory");
                j->done(j);
                continue;
            }
            memcpy(j->y, y + off * k, (size_t)(j->im.n * k) * sizeof *y);
            off += j->im.n;
            pthread_mutex_lock(&e->mu);
            push(&e->cr_head, &e->cr_tail, j);
            pthread_cond_signal(&e->cv_crypto);
            pthread_mutex_unlock(&e->mu);
        }
        free(y);
    }
}

int eip_serve_engine_start(const eip_serve_engine_cfg *cfg, eip_serve_engine **out, char *msg,
                           size_t cap)
{
    *out = NULL;
    eip_serve_engine *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    e->cfg = *cfg;
    const eip_crypto_pk_t *pk = eip_protect_model_pk(cfg->model);
    for (int i = 0; i < EIP_CRYPTO_PKID_BYTES; i++)
        snprintf(e->key_id + 2 * i, 3, "%02x", eip_crypto_pk_id(pk)[i]);
    e->group = eip_crypto_group_name(eip_crypto_pk_group(pk));
    int32_t c, h, w;
    eip_protect_model_shape(cfg->model, &c, &h, &w);
    e->sample = (int64_t)c * h * w;
    e->k = eip_protect_model_outputs(cfg->model);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv_in, NULL);
    pthread_cond_init(&e->cv_crypto, NULL);
    if (warm_up(e, msg, cap)) {
        eip_serve_engine_stop(e);
        return -1;
    }
    e->crypto = calloc((size_t)cfg->crypto_threads, sizeof *e->crypto);
    if (!e->crypto) {
        snprintf(msg, cap, "out of memory");
        eip_serve_engine_stop(e);
        return -1;
    }
    for (int i = 0; i < cfg->crypto_threads; i++) {
        int rc = pthread_create(&e->crypto[i], NULL, crypto_main, e);
        if (rc) {
            snprintf(msg, cap, "cannot start a crypto thread: %s", strerror(rc));
            eip_serve_engine_stop(e);
            return -1;
        }
        e->n_crypto++;
    }
    int rc = pthread_create(&e->engine, NULL, engine_main, e);
    if (rc) {
        snprintf(msg, cap, "cannot start the engine thread: %s", strerror(rc));
        eip_serve_engine_stop(e);
        return -1;
    }
    e->started_engine = 1;
    *out = e;
    return 0;
}

void eip_serve_engine_submit(eip_serve_engine *e, eip_serve_job *job)
{
    job->t_enqueued = eip_serve_now();
    pthread_mutex_lock(&e->mu);
    push(&e->in_head, &e->in_tail, job);
    pthread_cond_signal(&e->cv_in);
    pthread_mutex_unlock(&e->mu);
}

void eip_serve_engine_stop(eip_serve_engine *e)
{
    if (!e)
        return;
    /* 1: the engine finishes its queue and exits; 2: then the crypto pool */
    pthread_mutex_lock(&e->mu);
    e->stopping = 1;
    pthread_cond_broadcast(&e->cv_in);
    pthread_mutex_unlock(&e->mu);
    if (e->started_engine)
        pthread_join(e->engine, NULL);
    pthread_mutex_lock(&e->mu);
    e->stopping = 2;
    pthread_cond_broadcast(&e->cv_crypto);
    pthread_mutex_unlock(&e->mu);
    for (int i = 0; i < e->n_crypto; i++)
        pthread_join(e->crypto[i], NULL);
    free(e->crypto);
    pthread_cond_destroy(&e->cv_in);
    pthread_cond_destroy(&e->cv_crypto);
    pthread_mutex_destroy(&e->mu);
    free(e);
}
