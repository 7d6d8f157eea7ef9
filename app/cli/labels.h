/* Label files shared by the commands that read or print labels (encrypt-labels,
 * decrypt, attack dlog, classify): idx1(.gz) or text in, text out, and the
 * stderr summary. */
#ifndef EIP_CLI_LABELS_H
#define EIP_CLI_LABELS_H

#include <stdint.h>

#include "encryip/error.h"

/* Labels from an idx1 file (raw or .gz) or a text file with one integer
 * label per line in [0, classes). */
eip_status eip_cli_labels_read(const char *path, int32_t classes, int32_t **labels, int64_t *n,
                               eip_error *err);
/* Labels [n] as text, one per line ("not-a-label" for none), atomically to
 * path, or to stdout if NULL. */
eip_status eip_cli_labels_write(const char *path, const int32_t *labels, int64_t n, eip_error *err);
/* Summary on stderr; with expect (a labels file) also the number correct. */
eip_status eip_cli_labels_report(const char *cmd, const int32_t *labels, int64_t n, const char *expect,
                                 int32_t classes, double seconds, eip_error *err);

#endif
