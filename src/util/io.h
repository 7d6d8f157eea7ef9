/* Private file helpers: whole-file reads with a size cap, atomic writes
 * (temp file in the same directory + fsync + rename + directory fsync), and
 * little-endian field access for the binary formats. */
#ifndef EIP_UTIL_IO_H
#define EIP_UTIL_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "encryip/error.h"

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

/* Little-endian encode/decode (formats are little-endian on disk). */
static inline void eip_le_put_u16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static inline void eip_le_put_u32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static inline void eip_le_put_u64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static inline uint16_t eip_le_get_u16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t eip_le_get_u32(const unsigned char *p) { uint32_t v = 0; for (int i = 3; i >= 0; i--) v = (v << 8) | p[i]; return v; }
static inline uint64_t eip_le_get_u64(const unsigned char *p) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = (v << 8) | p[i]; return v; }

#endif
