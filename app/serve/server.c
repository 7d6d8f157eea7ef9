/* encryip serve: EncryIP Algorithm 2 as an HTTP/1.1 service (docs/SERVE.md,
 * docs/openapi.yaml) on libmicrohttpd.  Serves a bundle's deploy/ directory
 * only (model.safetensors, public.key, codebook.bin — no secret); refuses a
 * directory that holds secret keys.  Endpoints: POST /v1/predict (one fresh
 * ciphertext per image, re-randomised by SampDist per request), GET
 * /v1/public-key, /v1/model, /healthz, /metrics.  SIGTERM / SIGINT: stop
 * accepting, drain in-flight requests, exit 0. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "serve/serve.h"

typedef struct server {
    eip_protect_model_t *model;
    eip_serve_engine *engine;
    eip_serve_metrics metrics;
    eip_serve_decode_cfg dcfg;
    int64_t max_body;
    atomic_int draining;
    char *model_json, *pk_json; /* fixed answers of GET /v1/model, /v1/public-key */
    size_t model_json_len, pk_json_len;
    FILE *log;
} server;

typedef struct request {
    server *srv;
    double t0;
    int path;
    char method[16], url[128];
    int status;
    int64_t images;
    unsigned char *body;
    size_t len, cap;
    int oversize, submitted;
    atomic_int done;
    eip_serve_job job;
    struct MHD_Connection *conn;
} request;

/* ---- the deploy directory: refuse secret keys ---------------------------- */

/* A file whose first bytes are a secret-key, master-key, AdvParams-key or
 * keyring (SQLite) magic. */
static int secret_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    unsigned char b[16] = {0};
    size_t n = fread(b, 1, sizeof b, fp);
    fclose(fp);
    return (n >= 4 && (!memcmp(b, "EISK", 4) || !memcmp(b, "EIMK", 4))) ||
           (n >= 8 && !memcmp(b, "EIPADVPK", 8)) || (n >= 16 && !memcmp(b, "SQLite format 3", 16));
}

static int check_deploy_dir(const char *dir, char *msg, size_t cap)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(msg, cap, "%s: not a directory (pass the bundle's deploy/ directory)", dir);
        return EIP_EXIT_IO;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(msg, cap, "%s: cannot list: %s", dir, strerror(errno));
        return EIP_EXIT_IO;
    }
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        char p[4400];
        snprintf(p, sizeof p, "%.3000s/%.1000s", dir, e->d_name);
        if (!strcmp(e->d_name, "keys") || !strcmp(e->d_name, "owner")) {
            snprintf(msg, cap, "%s: holds %s/ (secret keys): this is a bundle root; serve its deploy/ "
                     "directory, which needs no secret", dir, e->d_name);
            rc = EIP_EXIT_CRYPTO;
        } else if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && secret_file(p)) {
            snprintf(msg, cap, "%.600s: is a secret key, master key, AdvParams key or keyring; the server "
                     "refuses a directory holding secrets (serve the bundle's deploy/ directory)", p);
            rc = EIP_EXIT_CRYPTO;
        }
    }
    closedir(d);
    return rc;
}

/* ---- responses ------------------------------------------------------------ */

static enum MHD_Result respond(request *r, int status, const char *type, char *body, size_t len,
                               int must_free)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, body, must_free ? MHD_RESPMEM_MUST_FREE
                                                             : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        if (must_free)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    if (status == 405)
        MHD_add_response_header(resp, "Allow", r->path == EIP_SERVE_PATH_PREDICT ? "POST" : "GET");
    if (atomic_load(&r->srv->draining))
        MHD_add_response_header(resp, "Connection", "close"); /* drain keep-alive clients */
    r->status = status;
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result respond_error(request *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum MHD_Result respond_error(request *r, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t len;
    char *b = eip_serve_error_json(status, msg, &len);
    if (!b)
        return MHD_NO;
    return respond(r, status, "application/json", b, len, 1);
}

static void job_done(eip_serve_job *job)
{
    request *r = job->user;
    atomic_store(&r->done, 1);
    MHD_resume_connection(r->conn);
}

/* Transfer-Encoding names chunked (case-insensitive). */
static int chunked(const char *te)
{
    for (const char *p = te; *p; p++)
        if (!strncasecmp(p, "chunked", 7))
            return 1;
    return 0;
}

static enum MHD_Result get_endpoint(request *r)
{
    server *s = r->srv;
    switch (r->path) {
    case EIP_SERVE_PATH_PUBKEY:
        return respond(r, 200, "application/json", s->pk_json, s->pk_json_len, 0);
    case EIP_SERVE_PATH_MODEL:
        return respond(r, 200, "application/json", s->model_json, s->model_json_len, 0);
    case EIP_SERVE_PATH_HEALTH:
        if (atomic_load(&s->draining))
            return respond(r, 503, "application/json", (char *)"{\"status\":\"draining\"}\n", 22, 0);
        return respond(r, 200, "application/json", (char *)"{\"status\":\"ok\"}\n", 16, 0);
    default: {
        size_t len = 0;
        char *t = eip_serve_metrics_text(&s->metrics, &len);
        if (!t)
            return respond_error(r, 500, "metrics: out of memory");
        return respond(r, 200, "text/plain; version=0.0.4", t, len, 1);
    }
    }
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    server *s = cls;
    request *r = *con_cls;
    if (!r) { /* headers received */
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->srv = s;
        r->conn = conn;
        r->t0 = eip_serve_now();
        r->path = eip_serve_path_index(url);
        snprintf(r->method, sizeof r->method, "%s", method);
        /* the log names the path without the query (MHD passes it stripped) */
        snprintf(r->url, sizeof r->url, "%s", url);
        *con_cls = r;
        pthread_mutex_lock(&s->metrics.mu);
        s->metrics.inflight++;
        pthread_mutex_unlock(&s->metrics.mu);
        if (r->path == EIP_SERVE_PATH_OTHER)
            return respond_error(r, 404, "no such endpoint: %.80s (POST /v1/predict, GET "
                                 "/v1/public-key, /v1/model, /healthz, /metrics)", url);
        if (r->path != EIP_SERVE_PATH_PREDICT) {
            if (strcmp(method, "GET") && strcmp(method, "HEAD"))
                return respond_error(r, 405, "%.80s: method %.16s not allowed (GET)", url, method);
            return MHD_YES; /* answered after the (empty) body */
        }
        if (strcmp(method, "POST"))
            return respond_error(r, 405, "%s: method %.16s not allowed (POST)", url, method);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
        if (!cl && !(te && chunked(te)))
            return respond_error(r, 411, "POST /v1/predict needs a Content-Length or a chunked body");
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(cl, &end, 10);
            if (errno || *end || end == cl)
                return respond_error(r, 400, "Content-Length '%.32s' is not a number", cl);
            if (v > (unsigned long long)s->max_body) /* refused before reading the body */
                return respond_error(r, 413, "body of %llu bytes, the limit is %lld (--max-body)", v,
                                     (long long)s->max_body);
        }
        return MHD_YES;
    }
    if (*upload_size) { /* body data */
        if (r->status) { /* already answered (early error): discard */
            *upload_size = 0;
            return MHD_YES;
        }
        if (r->len + *upload_size > (size_t)s->max_body) {
            r->oversize = 1;
        } else if (!r->oversize) {
            if (r->len + *upload_size > r->cap) {
                size_t nc = r->cap ? r->cap : 65536;
                while (nc < r->len + *upload_size)
                    nc *= 2;
                if (nc > (size_t)s->max_body)
                    nc = (size_t)s->max_body;
                unsigned char *nb = realloc(r->body, nc);
                if (!nb)
                    return MHD_NO;
                r->body = nb;
                r->cap = nc;
            }
            memcpy(r->body + r->len, upload, *upload_size);
            r->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->status) /* an error was queued at the headers */
        return MHD_YES;
    if (r->path != EIP_SERVE_PATH_PREDICT)
        return get_endpoint(r);
    if (r->oversize)
        return respond_error(r, 413, "body larger than the limit of %lld bytes (--max-body)",
                             (long long)s->max_body);
    if (!r->submitted) {
        char msg[512];
        int st = eip_serve_decode(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"),
                                  MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "dtype"),
                                  MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "shape"),
                                  r->body, r->len, &s->dcfg, &r->job.im, msg, sizeof msg);
        free(r->body);
        r->body = NULL;
        r->len = r->cap = 0;
        if (st != 200)
            return respond_error(r, st, "%s", msg);
        r->images = r->job.im.n;
        r->job.user = r;
        r->job.done = job_done;
        r->submitted = 1;
        MHD_suspend_connection(conn); /* before submitting: the answer may come at once */
        eip_serve_engine_submit(s->engine, &r->job);
        return MHD_YES;
    }
    if (!atomic_load(&r->done))
        return MHD_YES; /* spurious call before the engine answered */
    char *b = r->job.body;
    r->job.body = NULL;
    if (!b)
        return respond_error(r, 500, "out of memory");
    return respond(r, r->job.status, "application/json", b, r->job.body_len, 1);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    server *s = cls;
    request *r = *con_cls;
    if (!r)
        return;
    const double dt = eip_serve_now() - r->t0;
    static const char *why[] = {"ok", "error", "timeout", "shutdown", "read-error", "client-abort"};
    const int ok = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
    eip_serve_metrics_request(&s->metrics, r->path, ok ? r->status : 499, dt, r->images);
    pthread_mutex_lock(&s->metrics.mu);
    s->metrics.inflight--;
    pthread_mutex_unlock(&s->metrics.mu);
    if (s->log) {
        /* method, path, status, latency, images; never a body or a header */
        time_t now = time(NULL);
        struct tm tm;
        char ts[32];
        gmtime_r(&now, &tm);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(s->log, "%s %s %s %d %.2fms images=%lld%s%s\n", ts, r->method, r->url,
                ok ? r->status : 0, 1e3 * dt, (long long)r->images, ok ? "" : " aborted:",
                ok ? "" : ((unsigned)toe < 6 ? why[toe] : "?"));
    }
    eip_serve_images_free(&r->job.im);
    free(r->job.body);
    free(r->job.y);
    free(r->body);
    free(r);
    *con_cls = NULL;
    (void)conn;
}

/* ---- fixed answers --------------------------------------------------------- */

static int build_fixed(server *s, int64_t max_body, char *msg, size_t cap)
{
    const eip_crypto_pk_t *pk = eip_protect_model_pk(s->model);
    char id[2 * EIP_CRYPTO_PKID_BYTES + 1];
    for (int i = 0; i < EIP_CRYPTO_PKID_BYTES; i++)
        snprintf(id + 2 * i, 3, "%02x", eip_crypto_pk_id(pk)[i]);
    const char *g = eip_crypto_group_name(eip_crypto_pk_group(pk));
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_error err = {0};
    if (eip_crypto_pk_to_bytes(pk, &buf, &len, &err)) {
        snprintf(msg, cap, "public key: %s", err.msg);
        return -1;
    }
    const size_t b64 = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *enc = malloc(b64);
    size_t pcap = b64 + 512;
    s->pk_json = malloc(pcap);
    s->model_json = malloc(1024);
    if (!enc || !s->pk_json || !s->model_json) {
        free(buf);
        free(enc);
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    sodium_bin2base64(enc, b64, buf, len, sodium_base64_VARIANT_ORIGINAL);
    free(buf);
    s->pk_json_len = (size_t)snprintf(
        s->pk_json, pcap, "{\"key_id\":\"%s\",\"group\":\"%s\",\"classes\":%d,\"q\":%lld,"
        "\"encoding\":\"encryip-public-key-file\",\"public_key\":\"%s\"}\n", id, g,
        (int)eip_crypto_pk_classes(pk), (long long)eip_crypto_pk_q(pk), enc);
    free(enc);
    int32_t c, h, w;
    eip_protect_model_shape(s->model, &c, &h, &w);
    s->model_json_len = (size_t)snprintf(
        s->model_json, 1024, "{\"key_id\":\"%s\",\"group\":\"%s\",\"classes\":%d,\"q\":%lld,"
        "\"input\":{\"channels\":%d,\"height\":%d,\"width\":%d,\"dtypes\":[\"uint8\",\"float32\"]},"
        "\"output_width\":%lld,\"codebook_size\":%lld,\"advparams_locked\":%s,"
        "\"limits\":{\"max_images\":%lld,\"max_body\":%lld}}\n", id, g,
        (int)eip_crypto_pk_classes(pk), (long long)eip_crypto_pk_q(pk), (int)c, (int)h, (int)w,
        (long long)eip_protect_model_outputs(s->model),
        (long long)eip_crypto_codebook_size(eip_protect_model_codebook(s->model)),
        eip_protect_model_locked(s->model) ? "true" : "false", (long long)s->dcfg.max_images,
        (long long)max_body);
    return 0;
}

static int write_port_file(const char *path, unsigned port, char *msg, size_t cap)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *fp = fopen(tmp, "w");
    if (!fp || fprintf(fp, "%u\n", port) < 0 || fclose(fp) != 0 || rename(tmp, path) != 0) {
        snprintf(msg, cap, "--port-file %s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int eip_cli_serve(int argc, char **argv)
{
    const long ncpu = sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
    const char *dir = NULL, *bind_addr = NULL, *port_file = NULL;
    int64_t port = 8080, http_threads = ncpu, crypto_threads = ncpu, threads = 0, max_batch = 256,
            max_body = 16 << 20, max_images = 256, max_conn = 256;
    double wait_ms = 2, timeout = 30;
    int decoder = -1;
    bool locked = false, quiet = false;
    static const char *const decoder_names[] = {"ml", "argmax", NULL};
    eip_cli_opt o[] = {
        {.name = "model", .arg = "DIR", .str = &dir, .required = true,
         .help = "the bundle's deploy/ directory (model.safetensors, public.key, codebook.bin)"},
        {.name = "bind", .arg = "ADDR", .str = &bind_addr, .def = "127.0.0.1",
         .help = "IPv4 address to listen on"},
        {.name = "port", .arg = "P", .i64 = &port, .min = 0, .max = 65535, .def = "8080",
         .help = "TCP port (0 = any free port, see --port-file)"},
        {.name = "port-file", .arg = "FILE", .str = &port_file,
         .help = "write the port listened on to FILE once serving"},
        {.name = "http-threads", .arg = "T", .i64 = &http_threads, .min = 1, .max = 256,
         .def_doc = "the number of cores", .help = "HTTP worker threads"},
        {.name = "crypto-threads", .arg = "T", .i64 = &crypto_threads, .min = 1, .max = 256,
         .def_doc = "the number of cores", .help = "threads for Φ^-1 + SampDist + encoding"},
        {.name = "threads", .arg = "T", .i64 = &threads, .min = 0, .max = 1024, .def_doc = "0 = all cores",
         .help = "oneDNN threads of the forward pass"},
        {.name = "batch-wait", .arg = "MS", .f64 = &wait_ms, .fmin = 0, .fmax = 1000, .def = "2",
         .help = "collect concurrent requests for up to MS milliseconds into one batch"},
        {.name = "max-batch", .arg = "N", .i64 = &max_batch, .min = 1, .max = 65536, .def = "256",
         .help = "images per engine batch"},
        {.name = "max-body", .arg = "BYTES", .i64 = &max_body, .min = 1024, .max = (int64_t)1 << 31,
         .def = "16777216", .help = "largest request body"},
        {.name = "max-images", .arg = "N", .i64 = &max_images, .min = 1, .max = 65536, .def = "256",
         .help = "images per request"},
        {.name = "max-connections", .arg = "N", .i64 = &max_conn, .min = 1, .max = 65536, .def = "256",
         .help = "concurrent connections"},
        {.name = "timeout", .arg = "S", .f64 = &timeout, .fmin = 1, .fmax = 3600, .def = "30",
         .help = "per-request timeout in seconds: idle connection / queued request"},
        {.name = "decoder", .arg = "D", .choice = &decoder, .choices = decoder_names, .def_doc = "ml",
         .help = "Φ^-1: ml or argmax (the paper's eq. 3)"},
        {.name = "locked", .flag = &locked,
         .help = "serve AdvParams-encrypted weights as they are (the server never reads keys/weights.key)"},
        {.name = "quiet", .flag = &quiet, .help = "no per-request log line on stderr"},
        {0},
    };
    const eip_cli_spec spec = {"serve", "--model BUNDLE/deploy [--port P] [--bind ADDR] [options]", {o, NULL}};
    const char *cmd = spec.cmd;
    int rc = eip_cli_parse(&spec, argc, argv);
    if (rc >= 0)
        return rc;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "encryip %s: error: --bind: '%s' is not an IPv4 address\n", cmd, bind_addr);
        return EIP_EXIT_USAGE;
    }
    char msg[1024];
    if ((rc = check_deploy_dir(dir, msg, sizeof msg))) {
        fprintf(stderr, "encryip %s: error: %s\n", cmd, msg);
        return rc;
    }
    /* SIGTERM / SIGINT are taken by sigwait below: block them before any
     * thread starts so every thread inherits the mask */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    eip_error err = {0};
    eip_status st;
    eip_nn_ctx ctx = {0};
    server s;
    memset(&s, 0, sizeof s);
    eip_serve_metrics_init(&s.metrics);
    s.log = quiet ? NULL : stderr;
    s.max_body = max_body;
    struct MHD_Daemon *d = NULL;
    rc = EIP_EXIT_FAILURE;
    if ((st = eip_crypto_init(&err)) || (st = eip_nn_ctx_init(&ctx, (int)threads, &err)) ||
        (st = eip_protect_model_load(&ctx, dir, &s.model, &err))) {
        rc = eip_cli_fail(cmd, st, &err);
        goto done;
    }
    if (decoder >= 0)
        eip_protect_model_set_decoder(s.model, decoder == 1 ? EIP_CRYPTO_PHI_ARGMAX : EIP_CRYPTO_PHI_ML);
    if (eip_protect_model_advparams(s.model) && !locked) {
        fprintf(stderr, "encryip %s: error: %s: the weights are AdvParams-encrypted; the server never "
                "reads keys/weights.key (pass --locked to serve the encrypted weights as they are)\n",
                cmd, eip_protect_model_path(s.model));
        rc = EIP_EXIT_USAGE;
        goto done;
    }
    eip_protect_model_shape(s.model, &s.dcfg.c, &s.dcfg.h, &s.dcfg.w);
    s.dcfg.max_images = max_images;
    if (build_fixed(&s, max_body, msg, sizeof msg))
        goto fail_msg;
    eip_serve_engine_cfg ec = {.model = s.model, .nn = &ctx, .max_batch = max_batch, .batch_wait = wait_ms / 1e3,
                               .timeout = timeout, .crypto_threads = (int)crypto_threads,
                               .metrics = &s.metrics};
    if (eip_serve_engine_start(&ec, &s.engine, msg, sizeof msg))
        goto fail_msg;
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME |
                             MHD_USE_ITC,
                         0, NULL, NULL, handler, &s,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned)http_threads,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)max_conn,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(timeout + 0.5),
                         MHD_OPTION_NOTIFY_COMPLETED, completed, &s,
                         MHD_OPTION_END);
    if (!d) {
        snprintf(msg, sizeof msg, "cannot listen on %s:%lld: %s", bind_addr, (long long)port,
                 strerror(errno));
        goto fail_msg;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    const unsigned bound = info ? info->port : (unsigned)port;
    if (port_file && write_port_file(port_file, bound, msg, sizeof msg))
        goto fail_msg;
    int32_t c, h, w;
    eip_protect_model_shape(s.model, &c, &h, &w);
    fprintf(stderr, "serve: %s (%s group, input %dx%dx%d) on http://%s:%u/ — %lld HTTP, %lld crypto "
            "threads, batch wait %.3g ms, max batch %lld\n", eip_protect_model_path(s.model),
            eip_crypto_group_name(eip_crypto_pk_group(eip_protect_model_pk(s.model))), (int)c, (int)h,
            (int)w, bind_addr, bound, (long long)http_threads, (long long)crypto_threads, wait_ms,
            (long long)max_batch);
    int sig = 0;
    sigwait(&sigs, &sig);
    /* drain: no new connections, keep-alive clients told to close, wait for
     * the requests in flight (bounded by the request timeout) */
    atomic_store(&s.draining, 1);
    fprintf(stderr, "serve: %s: draining\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    MHD_socket ls = MHD_quiesce_daemon(d);
    const double t_end = eip_serve_now() + timeout;
    for (;;) {
        pthread_mutex_lock(&s.metrics.mu);
        int64_t inflight = s.metrics.inflight;
        pthread_mutex_unlock(&s.metrics.mu);
        if (inflight <= 0 || eip_serve_now() > t_end)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    eip_serve_engine_stop(s.engine); /* answers anything still queued */
    s.engine = NULL;
    MHD_stop_daemon(d);
    d = NULL;
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    fprintf(stderr, "serve: stopped\n");
    rc = EIP_EXIT_OK;
    goto done;
fail_msg:
    fprintf(stderr, "encryip %s: error: %s\n", cmd, msg);
    rc = EIP_EXIT_FAILURE;
done:
    if (d) {
        eip_serve_engine_stop(s.engine);
        s.engine = NULL;
        MHD_stop_daemon(d);
    }
    eip_serve_engine_stop(s.engine);
    free(s.model_json);
    free(s.pk_json);
    eip_protect_model_free(s.model);
    eip_nn_ctx_free(&ctx);
    eip_serve_metrics_free(&s.metrics);
    return rc;
}
