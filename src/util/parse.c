#include "util/parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

eip_status eip_parse_i64(const char *what, const char *s, int64_t min, int64_t max,
                         int64_t *out, eip_error *err)
{
    if (!s || !*s)
        return eip_error_set(err, EIP_ERR_ARG, "%s: empty value, expected an integer", what);
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end != '\0')
        return eip_error_set(err, EIP_ERR_ARG, "%s: '%s' is not an integer", what, s);
    if (v < min || v > max)
        return eip_error_set(err, EIP_ERR_RANGE, "%s: %lld is outside [%lld, %lld]", what, v,
                             (long long)min, (long long)max);
    *out = (int64_t)v;
    return EIP_OK;
}

eip_status eip_parse_f64(const char *what, const char *s, double min, double max,
                         double *out, eip_error *err)
{
    if (!s || !*s)
        return eip_error_set(err, EIP_ERR_ARG, "%s: empty value, expected a number", what);
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno == ERANGE || *end != '\0' || !isfinite(v))
        return eip_error_set(err, EIP_ERR_ARG, "%s: '%s' is not a finite number", what, s);
    if (v < min || v > max)
        return eip_error_set(err, EIP_ERR_RANGE, "%s: %g is outside [%g, %g]", what, v, min, max);
    *out = v;
    return EIP_OK;
}

eip_status eip_parse_u64_hex(const char *what, const char *s, uint64_t *out, eip_error *err)
{
    if (!s || !*s)
        return eip_error_set(err, EIP_ERR_ARG, "%s: empty value", what);
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno == ERANGE || *end != '\0' || *s == '-')
        return eip_error_set(err, EIP_ERR_ARG, "%s: '%s' is not an unsigned integer", what, s);
    *out = (uint64_t)v;
    return EIP_OK;
}

eip_status eip_parse_f32_list(const char *what, const char *s, float *v, int32_t c, eip_error *err)
{
    char tmp[64];
    const char *p = s ? s : "";
    for (int32_t i = 0; i < c; i++) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if ((i < c - 1 && !end) || (i == c - 1 && end) || n == 0 || n >= sizeof tmp)
            return eip_error_set(err, EIP_ERR_FORMAT, "%s: '%s' is not %d comma-separated numbers",
                                 what, s ? s : "", (int)c);
        memcpy(tmp, p, n);
        tmp[n] = '\0';
        double d = 0;
        eip_status st = eip_parse_f64(what, tmp, -1e30, 1e30, &d, err);
        if (st != EIP_OK)
            return st;
        v[i] = (float)d;
        p = end ? end + 1 : p + n;
    }
    return EIP_OK;
}

void eip_format_f32_list(char *buf, size_t cap, const float *v, int32_t c)
{
    size_t off = 0;
    if (cap == 0)
        return;
    buf[0] = '\0';
    for (int32_t i = 0; i < c && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%.9g", i ? "," : "", (double)v[i]);
}

eip_status eip_parse_choice(const char *what, const char *s, const char *const *names, int n, int *out,
                            eip_error *err)
{
    for (int i = 0; i < n; i++)
        if (s && !strcmp(s, names[i])) {
            *out = i;
            return EIP_OK;
        }
    char list[256] = "";
    for (int i = 0; i < n; i++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", names[i]);
    }
    return eip_error_set(err, EIP_ERR_ARG, "%s '%s': not %s", what, s ? s : "", list);
}

const char *eip_choice_name(const char *const *names, int n, int i)
{
    return i >= 0 && i < n ? names[i] : "?";
}
