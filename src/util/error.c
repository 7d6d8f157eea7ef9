#include "encryip/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

eip_status eip_error_set(eip_error *err, eip_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void eip_error_prefix(eip_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char head[EIP_ERROR_MSG_BYTES];
    char old[EIP_ERROR_MSG_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is intended: the head is kept, the tail of a long message cut. */
    size_t n = strnlen(head, sizeof head - 1);
    memcpy(err->msg, head, n);
    size_t room = sizeof err->msg - 1 - n;
    size_t m = strnlen(old, sizeof old - 1);
    if (m > room)
        m = room;
    memcpy(err->msg + n, old, m);
    err->msg[n + m] = '\0';
}

void eip_error_clear(eip_error *err)
{
    if (err) {
        err->code = EIP_OK;
        err->msg[0] = '\0';
    }
}

const char *eip_status_name(eip_status s)
{
    switch (s) {
    case EIP_OK: return "ok";
    case EIP_ERR_ARG: return "argument";
    case EIP_ERR_IO: return "io";
    case EIP_ERR_FORMAT: return "format";
    case EIP_ERR_CHECKSUM: return "checksum";
    case EIP_ERR_CRYPTO: return "crypto";
    case EIP_ERR_NOMEM: return "memory";
    case EIP_ERR_RANGE: return "range";
    case EIP_ERR_INFEASIBLE: return "infeasible";
    case EIP_ERR_SHAPE: return "shape";
    case EIP_ERR_BACKEND: return "backend";
    case EIP_ERR_NOT_FOUND: return "not-found";
    case EIP_ERR_STATE: return "state";
    }
    return "unknown";
}
