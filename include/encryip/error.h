/* encryip — status codes and error reports.
 *
 * Every library call that can fail returns an eip_status and, when the caller
 * passes a non-NULL eip_error, fills it with a message that names the thing
 * (file, flag, tensor, key) and the reason.  The library never exits or aborts
 * on a recoverable error; only the CLI turns statuses into exit codes. */
#ifndef ENCRYIP_ERROR_H
#define ENCRYIP_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum eip_status {
    EIP_OK = 0,
    EIP_ERR_ARG = 1,        /* bad argument / flag value */
    EIP_ERR_IO = 2,         /* open/read/write/fsync/rename failed */
    EIP_ERR_FORMAT = 3,     /* malformed file: magic, version, size, field */
    EIP_ERR_CHECKSUM = 4,   /* stored checksum does not match content */
    EIP_ERR_CRYPTO = 5,     /* invalid group element, key mismatch, ... */
    EIP_ERR_NOMEM = 6,      /* allocation failed */
    EIP_ERR_RANGE = 7,      /* value out of the allowed range (e.g. P > q-1) */
    EIP_ERR_INFEASIBLE = 8, /* refused: the requested attack/search is infeasible */
    EIP_ERR_SHAPE = 9,      /* tensor / input shape mismatch */
    EIP_ERR_BACKEND = 10,   /* oneDNN (or another backend) reported an error */
    EIP_ERR_NOT_FOUND = 11, /* lookup failed: no such licensee/key/tensor */
    EIP_ERR_STATE = 12      /* call not valid in the object's current state */
} eip_status;

#define EIP_ERROR_MSG_BYTES 512

typedef struct eip_error {
    eip_status code;
    char msg[EIP_ERROR_MSG_BYTES];
} eip_error;

/* Sets err (if non-NULL) and returns code, so callers can write
 *   return eip_error_set(err, EIP_ERR_FORMAT, "%s: bad magic", path); */
eip_status eip_error_set(eip_error *err, eip_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes an existing message with more context ("loading model: " ...).
 * Returns nothing on purpose: `return eip_error_prefix(...)` would turn a
 * failure into success when err is NULL. */
void eip_error_prefix(eip_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void eip_error_clear(eip_error *err);

/* Short stable name of a status ("format", "io", ...). */
const char *eip_status_name(eip_status s);

#ifdef __cplusplus
}
#endif
#endif
