/* encryip util module — the small helpers the library and its applications
 * share: whole-file reads with a size cap, atomic writes (temp file in the
 * same directory + fsync + rename + directory fsync), the one gzip reader,
 * path join, a monotonic clock, and strict parsers for flags and config
 * values (the whole string must be a number in range, otherwise a clear
 * error names the thing: never atoi). */
#ifndef ENCRYIP_UTIL_H
#define ENCRYIP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "encryip/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ files (io.c) */

#define EIP_IO_MODE_SECRET 0600 /* secret keys, master keys */
#define EIP_IO_MODE_PUBLIC 0644 /* models, public keys, ciphertexts */

/* Reads all of path into a malloc'd buffer (*out, caller frees).  Files larger
 * than max_bytes are refused with EIP_ERR_FORMAT (never read into memory). */
eip_status eip_io_read_file(const char *path, size_t max_bytes,
                            unsigned char **out, size_t *out_len, eip_error *err);

/* Streaming atomic writer: nothing appears at `path` until commit succeeds;
 * abort (or a failed commit) removes the temp file and leaves any existing
 * file at `path` untouched. */
typedef struct eip_io_atomic {
    FILE *fp;
    char *path;     /* final path */
    char *tmp_path; /* path.tmp.XXXXXX in the same directory */
    int failed;     /* a write failed: commit will refuse */
} eip_io_atomic;

eip_status eip_io_atomic_open(eip_io_atomic *w, const char *path, unsigned mode, eip_error *err);
eip_status eip_io_atomic_write(eip_io_atomic *w, const void *data, size_t len, eip_error *err);
eip_status eip_io_atomic_commit(eip_io_atomic *w, eip_error *err);
void eip_io_atomic_abort(eip_io_atomic *w);

/* One-shot atomic write of a buffer. */
eip_status eip_io_write_atomic(const char *path, const void *data, size_t len,
                               unsigned mode, eip_error *err);

/* ----------------------------------------------- gzip, paths, clock (gzip.c) */

/* If buf starts with the gzip magic, inflates it (all members) into a malloc'd
 * buffer of at most max_out bytes (*owned = *out, caller frees); otherwise
 * returns buf itself in *out with *owned = NULL.  Truncated or corrupt
 * streams are EIP_ERR_FORMAT naming `name`. */
eip_status eip_io_gunzip_maybe(const unsigned char *buf, size_t len, const char *name,
                               size_t max_out, const unsigned char **out, size_t *out_len,
                               unsigned char **owned, eip_error *err);
/* eip_io_read_file, inflated when it is gzip (both sizes capped at
 * max_bytes): *out malloc'd, caller frees. */
eip_status eip_io_read_file_gz(const char *path, size_t max_bytes, unsigned char **out,
                               size_t *out_len, eip_error *err);
/* out = dir + "/" + file; EIP_ERR_ARG when it does not fit in cap. */
eip_status eip_io_path_join(char *out, size_t cap, const char *dir, const char *file,
                            eip_error *err);
/* Seconds on the monotonic clock (for durations only). */
double eip_clock_seconds(void);

/* --------------------------------------------------------- parsers (parse.c) */

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


#ifdef __cplusplus
}
#endif
#endif
