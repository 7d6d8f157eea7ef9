/* encryip serve (docs/SERVE.md): internal interfaces between the HTTP layer
 * (server.c), the batching engine (engine.c) and the metrics (metrics.c).
 * Threads: libmicrohttpd's polling pool (sized to the cores) parses
 * requests and suspends the connection of each predict; one engine thread
 * collects queued jobs for up to --batch-wait ms and runs them as one
 * forward; a crypto pool (sized to the cores) runs Φ^-1 + SampDist and the
 * JSON of each job, then resumes its connection. */
#ifndef EIP_SERVE_H
#define EIP_SERVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "encryip/protect.h"
#include "serve/decode.h"

/* ---- metrics (Prometheus text, GET /metrics) ---- */
enum { EIP_SERVE_PATH_PREDICT, EIP_SERVE_PATH_PUBKEY, EIP_SERVE_PATH_MODEL, EIP_SERVE_PATH_HEALTH,
       EIP_SERVE_PATH_METRICS, EIP_SERVE_PATH_OTHER, EIP_SERVE_NPATHS };
#define EIP_SERVE_LAT_BUCKETS 12
#define EIP_SERVE_BATCH_BUCKETS 10
#define EIP_SERVE_MAX_CODES 24

typedef struct eip_serve_metrics {
    pthread_mutex_t mu;
    int codes[EIP_SERVE_MAX_CODES];
    int ncodes;
    uint64_t requests[EIP_SERVE_NPATHS][EIP_SERVE_MAX_CODES];
    uint64_t lat_bucket[EIP_SERVE_LAT_BUCKETS + 1]; /* last: +Inf */
    double lat_sum;
    uint64_t lat_count;
    uint64_t batch_bucket[EIP_SERVE_BATCH_BUCKETS + 1];
    uint64_t batch_sum, batch_count;
    uint64_t images;
    int64_t inflight;
} eip_serve_metrics;

void eip_serve_metrics_init(eip_serve_metrics *m);
void eip_serve_metrics_free(eip_serve_metrics *m);
int eip_serve_path_index(const char *path);
void eip_serve_metrics_request(eip_serve_metrics *m, int path, int status, double seconds,
                               int64_t images);
void eip_serve_metrics_batch(eip_serve_metrics *m, int64_t images);
/* malloc'd text (caller frees). */
char *eip_serve_metrics_text(eip_serve_metrics *m, size_t *len);

/* ---- engine ---- */
typedef struct eip_serve_job eip_serve_job;
typedef void (*eip_serve_done_fn)(eip_serve_job *job);

struct eip_serve_job {
    eip_serve_images im;   /* input, [N, C, H, W] in [0, 1] */
    double t_enqueued;     /* monotonic seconds */
    float *y;              /* [N, K] engine output */
    /* result: status 200 + JSON body, or an error status + JSON error */
    int status;
    char *body;
    size_t body_len;
    eip_serve_done_fn done;
    void *user;            /* the HTTP request */
    eip_serve_job *next;
};

typedef struct eip_serve_engine_cfg {
    eip_protect_model_t *model;
    const eip_nn_ctx *nn;  /* its thread count applies to the engine thread */
    int64_t max_batch;     /* images per forward */
    double batch_wait;     /* seconds to collect a batch */
    double timeout;        /* a job queued longer is answered 503 */
    int crypto_threads;
    eip_serve_metrics *metrics;
} eip_serve_engine_cfg;

typedef struct eip_serve_engine eip_serve_engine;

int eip_serve_engine_start(const eip_serve_engine_cfg *cfg, eip_serve_engine **out, char *msg,
                           size_t cap);
/* Queues a job (the engine owns it until job->done runs). */
void eip_serve_engine_submit(eip_serve_engine *e, eip_serve_job *job);
/* Finishes queued work, stops the threads. */
void eip_serve_engine_stop(eip_serve_engine *e);

double eip_serve_now(void);
/* JSON error body {"error": {"status": S, "message": M}} (malloc'd). */
char *eip_serve_error_json(int status, const char *msg, size_t *len);

#endif
