/* Private strict parsers for flags and config values: the whole string must be
 * a number in range, otherwise a clear error names the thing (never atoi). */
#ifndef EIP_UTIL_PARSE_H
#define EIP_UTIL_PARSE_H

#include <stdint.h>

#include "encryip/error.h"

eip_status eip_parse_i64(const char *what, const char *s, int64_t min, int64_t max,
                         int64_t *out, eip_error *err);
eip_status eip_parse_f64(const char *what, const char *s, double min, double max,
                         double *out, eip_error *err);
eip_status eip_parse_u64_hex(const char *what, const char *s, uint64_t *out, eip_error *err);

#endif
