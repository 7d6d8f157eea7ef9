/* Private strict parsers for flags and config values: the whole string must be
 * a number in range, otherwise a clear error names the thing (never atoi). */
#ifndef EIP_UTIL_PARSE_H
#define EIP_UTIL_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "encryip/error.h"

eip_status eip_parse_i64(const char *what, const char *s, int64_t min, int64_t max,
                         int64_t *out, eip_error *err);
eip_status eip_parse_f64(const char *what, const char *s, double min, double max,
                         double *out, eip_error *err);
eip_status eip_parse_u64_hex(const char *what, const char *s, uint64_t *out, eip_error *err);
/* Exactly c comma-separated numbers ("0.1307" or "0.49,0.48,0.45"): the
 * per-channel norm.mean / norm.std metadata of a model file. */
eip_status eip_parse_f32_list(const char *what, const char *s, float *v, int32_t c, eip_error *err);
/* The index of s in names[0..n) into *out, else "<what> '<s>': not a, b or c". */
eip_status eip_parse_choice(const char *what, const char *s, const char *const *names, int n, int *out,
                            eip_error *err);
/* names[i], or "?" outside [0, n). */
const char *eip_choice_name(const char *const *names, int n, int i);
/* The inverse of eip_parse_f32_list (%.9g: a float survives the round trip). */
void eip_format_f32_list(char *buf, size_t cap, const float *v, int32_t c);

#endif
