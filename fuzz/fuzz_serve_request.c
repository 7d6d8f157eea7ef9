/* libFuzzer target: the request decoder of encryip serve (app/serve/decode.c:
 * raw tensors, JSON with base64 images, content types).  Input layout:
 * byte 0 = Content-Type (0 octet-stream, 1 JSON, 2 image/png, 3 text/plain,
 * 4 image/jpeg, else none), byte 1 = dtype query (0 uint8, 1 float32, 2 none, else
 * "int16"), then the shape query up to the first '\n' within 40 bytes (none
 * without one), then the body.  The model takes 1x4x4 images, at most 8 per
 * request.  Seeds: tests/ref/serve/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const char *const ct[] = {"application/octet-stream", "application/json; charset=utf-8",
                                     "image/png", "text/plain", "image/jpeg"};
    static const char *const dt[] = {"uint8", "float32", NULL, "int16"};
    const char *ctype = data[0] < 5 ? ct[data[0]] : NULL;
    const char *dtype = dt[data[1] % 4];
    char shape[41];
    const char *sp = NULL;
    size_t off = 2;
    const uint8_t *nl = memchr(data + 2, '\n', size - 2 < 40 ? size - 2 : 40);
    if (nl) {
        memcpy(shape, data + 2, (size_t)(nl - (data + 2)));
        shape[nl - (data + 2)] = '\0';
        sp = shape;
        off = (size_t)(nl - data) + 1;
    }
    const eip_serve_decode_cfg cfg = {.c = 1, .h = 4, .w = 4, .max_images = 8};
    eip_serve_images im;
    char msg[512];
    int st = eip_serve_decode(ctype, dtype, sp, data + off, size - off, &cfg, &im, msg, sizeof msg);
    if (st == 200) {
        /* a decoded request is what the engine may rely on */
        if (im.n < 1 || im.n > cfg.max_images)
            abort();
        for (int64_t i = 0; i < im.n * 16; i++)
            if (!(im.x[i] >= 0.0f && im.x[i] <= 1.0f))
                abort();
        eip_serve_images_free(&im);
    } else if (st < 400 || st > 499 || !msg[0] || im.x) {
        abort();
    }
    return 0;
}
