/* Private helpers shared by the data readers. */
#ifndef EIP_DATA_INTERNAL_H
#define EIP_DATA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "encryip/data.h"

/* Compressed / raw input files larger than this are refused before reading. */
#define EIP_DATA_MAX_FILE_BYTES ((size_t)1 << 30)

/* If buf starts with the gzip magic, inflates it (all members) into a malloc'd
 * buffer of at most max_out bytes; otherwise copies nothing and returns buf
 * itself in *out with *owned = 0.  Truncated or corrupt streams are
 * EIP_ERR_FORMAT naming `name`. */
eip_status eip_data_gunzip_maybe(const unsigned char *buf, size_t len, const char *name,
                                 size_t max_out, const unsigned char **out, size_t *out_len,
                                 unsigned char **owned, eip_error *err);

/* Reads a whole file (capped at EIP_DATA_MAX_FILE_BYTES). */
eip_status eip_data_read_file(const char *path, unsigned char **buf, size_t *len, eip_error *err);

/* snprintf into a path buffer; EIP_ERR_ARG when it does not fit. */
eip_status eip_data_path_join(char *out, size_t cap, const char *dir, const char *file,
                              eip_error *err);

/* Copies name into the set's fixed name buffer (truncating). */
void eip_data_set_name(eip_data_set *ds, const char *name);

#endif
