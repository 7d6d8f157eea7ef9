/* Private helpers shared by the data readers. */
#ifndef EIP_DATA_INTERNAL_H
#define EIP_DATA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "encryip/data.h"
#include "encryip/util.h"

/* Compressed / raw input files larger than this are refused before reading. */
#define EIP_DATA_MAX_FILE_BYTES ((size_t)1 << 30)

/* The gzip reader and path join live in util (src/util/gzip.c); these
 * names are kept for the readers. */
static inline eip_status eip_data_gunzip_maybe(const unsigned char *buf, size_t len, const char *name,
                                               size_t max_out, const unsigned char **out,
                                               size_t *out_len, unsigned char **owned, eip_error *err)
{
    return eip_io_gunzip_maybe(buf, len, name, max_out, out, out_len, owned, err);
}

/* Reads a whole file (capped at EIP_DATA_MAX_FILE_BYTES). */
eip_status eip_data_read_file(const char *path, unsigned char **buf, size_t *len, eip_error *err);

static inline eip_status eip_data_path_join(char *out, size_t cap, const char *dir, const char *file,
                                            eip_error *err)
{
    return eip_io_path_join(out, cap, dir, file, err);
}

/* Copies name into the set's fixed name buffer (truncating). */
void eip_data_set_name(eip_data_set *ds, const char *name);

#endif
