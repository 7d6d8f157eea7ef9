/* Small file helpers of the readers (the gzip reader and path join are
 * util's: src/util/gzip.c). */
#include <stdio.h>

#include "data/data_internal.h"
#include "util/io.h"

eip_status eip_data_read_file(const char *path, unsigned char **buf, size_t *len, eip_error *err)
{
    return eip_io_read_file(path, EIP_DATA_MAX_FILE_BYTES, buf, len, err);
}

void eip_data_set_name(eip_data_set *ds, const char *name)
{
    snprintf(ds->name, sizeof ds->name, "%s", name ? name : "");
}
