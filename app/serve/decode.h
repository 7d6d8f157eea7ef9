/* encryip serve: the request decoder of POST /v1/predict (docs/SERVE.md,
 * docs/openapi.yaml).  A pure function from (content type, query, body) to
 * float images [N, C, H, W] in [0, 1] or an HTTP status + message naming the
 * problem; no I/O, no model — the fuzz target fuzz/fuzz_serve_request.c
 * drives it directly. */
#ifndef EIP_SERVE_DECODE_H
#define EIP_SERVE_DECODE_H

#include <stddef.h>
#include <stdint.h>

typedef struct eip_serve_decode_cfg {
    int32_t c, h, w;     /* the model's input shape */
    int64_t max_images;  /* per request */
} eip_serve_decode_cfg;

typedef struct eip_serve_images {
    int64_t n;
    float *x;            /* [N, C, H, W] in [0, 1]; malloc'd, free with eip_serve_images_free */
} eip_serve_images;

void eip_serve_images_free(eip_serve_images *im);

/* content_type: the Content-Type header (NULL = absent); dtype, shape: the
 * query arguments of a raw tensor body (NULL = absent).  Returns 200 and
 * fills out, or a 4xx status (400 malformed, 413 too many images, 415
 * unsupported content type, 422 well-formed but not this model's shape or
 * pixel range) with a message in msg [cap]. */
int eip_serve_decode(const char *content_type, const char *dtype, const char *shape,
                     const unsigned char *body, size_t len, const eip_serve_decode_cfg *cfg,
                     eip_serve_images *out, char *msg, size_t cap);

#endif
