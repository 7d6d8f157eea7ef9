/* HTTP clients of encryip (libcurl): the licensee's remote classify (images
 * to an `encryip serve`, ciphertexts back, decrypted locally — the key never
 * leaves the client) and the owner's remote trace (verification images to a
 * suspect deployment that answers with labels).  docs/SERVE.md. */
#ifndef EIP_SERVE_CLIENT_H
#define EIP_SERVE_CLIENT_H

#include <stdint.h>

#include "encryip/crypto.h"
#include "encryip/error.h"

typedef struct eip_serve_remote_info {
    unsigned char key_id[EIP_CRYPTO_PKID_BYTES];
    int32_t c, h, w;
    int64_t max_images;
} eip_serve_remote_info;

/* GET URL/v1/model. */
eip_status eip_serve_remote_model(const char *url, double timeout, eip_serve_remote_info *info,
                                  eip_error *err);
/* POST the images [N, C, H, W] to URL/v1/predict in requests of at most
 * `batch` images and decrypt each answer with sk: labels [N]
 * (EIP_CRYPTO_NOT_A_LABEL where a decryption is none).  Every ciphertext is
 * decoded with the crypto file reader (all elements checked) and must carry
 * sk's public-key id. */
eip_status eip_serve_remote_classify(const char *url, double timeout, const eip_crypto_sk_t *sk,
                                     const uint8_t *pixels, int64_t n, int32_t c, int32_t h,
                                     int32_t w, int64_t batch, int32_t *labels /* [N] */,
                                     eip_error *err);
/* POST the images to a suspect URL (same request shape as /v1/predict) in
 * requests of at most `batch` images; the JSON answer's array at the dotted
 * `labels_path` (e.g. "labels", "result.predictions") gives one label per
 * image: an integer 0..classes-1, anything else = no label.  printed [N]. */
eip_status eip_serve_remote_labels(const char *url, double timeout, const char *labels_path,
                                   const uint8_t *pixels, int64_t n, int32_t c, int32_t h, int32_t w,
                                   int64_t batch, int32_t classes, int32_t *printed /* [N] */,
                                   int64_t *answered, eip_error *err);

#endif
