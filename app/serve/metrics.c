/* GET /metrics of encryip serve: Prometheus text exposition format 0.0.4
 * (requests by path and status, request latency and batch-size histograms,
 * images predicted, requests in flight).  One mutex: updates are a few adds
 * per request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve.h"

static const char *const path_names[EIP_SERVE_NPATHS] = {
    "/v1/predict", "/v1/public-key", "/v1/model", "/healthz", "/metrics", "other"};
static const double lat_le[EIP_SERVE_LAT_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,   0.25,   0.5,   1,    2.5,   10};
static const int64_t batch_le[EIP_SERVE_BATCH_BUCKETS] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};

void eip_serve_metrics_init(eip_serve_metrics *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
}

void eip_serve_metrics_free(eip_serve_metrics *m) { pthread_mutex_destroy(&m->mu); }

int eip_serve_path_index(const char *path)
{
    for (int i = 0; i < EIP_SERVE_PATH_OTHER; i++)
        if (!strcmp(path, path_names[i]))
            return i;
    return EIP_SERVE_PATH_OTHER;
}

void eip_serve_metrics_request(eip_serve_metrics *m, int path, int status, double seconds,
                               int64_t images)
{
    pthread_mutex_lock(&m->mu);
    int c = 0;
    while (c < m->ncodes && m->codes[c] != status)
        c++;
    if (c == m->ncodes && m->ncodes < EIP_SERVE_MAX_CODES)
        m->codes[m->ncodes++] = status;
    if (c < m->ncodes)
        m->requests[path][c]++;
    int b = 0;
    while (b < EIP_SERVE_LAT_BUCKETS && seconds > lat_le[b])
        b++;
    m->lat_bucket[b]++;
    m->lat_sum += seconds;
    m->lat_count++;
    if (status == 200)
        m->images += (uint64_t)images;
    pthread_mutex_unlock(&m->mu);
}

void eip_serve_metrics_batch(eip_serve_metrics *m, int64_t images)
{
    pthread_mutex_lock(&m->mu);
    int b = 0;
    while (b < EIP_SERVE_BATCH_BUCKETS && images > batch_le[b])
        b++;
    m->batch_bucket[b]++;
    m->batch_sum += (uint64_t)images;
    m->batch_count++;
    pthread_mutex_unlock(&m->mu);
}

char *eip_serve_metrics_text(eip_serve_metrics *m, size_t *len)
{
    size_t cap = 16384, o = 0;
    char *b = malloc(cap);
    if (!b)
        return NULL;
#define OUT(...) o += (size_t)snprintf(b + o, o < cap ? cap - o : 0, __VA_ARGS__)
    pthread_mutex_lock(&m->mu);
    OUT("# HELP encryip_requests_total HTTP requests answered, by path and status.\n"
        "# TYPE encryip_requests_total counter\n");
    for (int p = 0; p < EIP_SERVE_NPATHS; p++)
        for (int c = 0; c < m->ncodes; c++)
            if (m->requests[p][c])
                OUT("encryip_requests_total{path=\"%s\",code=\"%d\"} %llu\n", path_names[p], m->codes[c],
                    (unsigned long long)m->requests[p][c]);
    OUT("# HELP encryip_request_duration_seconds Time from request headers to the response.\n"
        "# TYPE encryip_request_duration_seconds histogram\n");
    uint64_t acc = 0;
    for (int i = 0; i <= EIP_SERVE_LAT_BUCKETS; i++) {
        acc += m->lat_bucket[i];
        if (i < EIP_SERVE_LAT_BUCKETS)
            OUT("encryip_request_duration_seconds_bucket{le=\"%g\"} %llu\n", lat_le[i],
                (unsigned long long)acc);
        else
            OUT("encryip_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)acc);
    }
    OUT("encryip_request_duration_seconds_sum %.6f\nencryip_request_duration_seconds_count %llu\n",
        m->lat_sum, (unsigned long long)m->lat_count);
    OUT("# HELP encryip_batch_images Images per engine batch (dynamic batching).\n"
        "# TYPE encryip_batch_images histogram\n");
    acc = 0;
    for (int i = 0; i <= EIP_SERVE_BATCH_BUCKETS; i++) {
        acc += m->batch_bucket[i];
        if (i < EIP_SERVE_BATCH_BUCKETS)
            OUT("encryip_batch_images_bucket{le=\"%lld\"} %llu\n", (long long)batch_le[i],
                (unsigned long long)acc);
        else
            OUT("encryip_batch_images_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)acc);
    }
    OUT("encryip_batch_images_sum %llu\nencryip_batch_images_count %llu\n",
        (unsigned long long)m->batch_sum, (unsigned long long)m->batch_count);
    OUT("# HELP encryip_images_total Images answered with a ciphertext.\n"
        "# TYPE encryip_images_total counter\nencryip_images_total %llu\n",
        (unsigned long long)m->images);
    OUT("# HELP encryip_inflight_requests Requests being processed.\n"
        "# TYPE encryip_inflight_requests gauge\nencryip_inflight_requests %lld\n",
        (long long)m->inflight);
    pthread_mutex_unlock(&m->mu);
#undef OUT
    if (o >= cap) { /* cannot happen with the fixed label sets above */
        free(b);
        return NULL;
    }
    *len = o;
    return b;
}
