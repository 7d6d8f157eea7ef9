/* Entry points of the CLI commands (one per src/cli/cmd_*.c). */
#ifndef EIP_CLI_COMMANDS_H
#define EIP_CLI_COMMANDS_H

#include <stdint.h>

#include "encryip/error.h"

/* crypto (src/cli/cmd_keygen.c, cmd_issue.c, cmd_encrypt_labels.c,
 * cmd_decrypt.c, cmd_attack_dlog.c) */
int eip_cli_keygen(int argc, char **argv);
int eip_cli_issue(int argc, char **argv);
int eip_cli_encrypt_labels(int argc, char **argv);
int eip_cli_decrypt(int argc, char **argv);
int eip_cli_attack_dlog(int argc, char **argv);
/* shared by the crypto commands: labels from idx1(.gz)/text, labels to
 * text, the stderr summary, a monotonic clock */
eip_status eip_cli_labels_read(const char *path, int32_t classes, int32_t **labels, int64_t *n,
                               eip_error *err);
eip_status eip_cli_labels_write(const char *path, const int32_t *labels, int64_t n, eip_error *err);
eip_status eip_cli_labels_report(const char *cmd, const int32_t *labels, int64_t n, const char *expect,
                                 int32_t classes, double seconds, eip_error *err);
double eip_cli_seconds(void);

/* training engine (src/cli/cmd_train.c) */
int eip_cli_train(int argc, char **argv);
int eip_cli_eval(int argc, char **argv);

/* licensee keyring (src/cli/cmd_keyring.c, cmd_licensee.c, cmd_verify_key.c) */
int eip_cli_keyring_init(int argc, char **argv);
int eip_cli_keyring_check(int argc, char **argv);
int eip_cli_licensee_add(int argc, char **argv);
int eip_cli_licensee_list(int argc, char **argv);
int eip_cli_licensee_revoke(int argc, char **argv);
int eip_cli_licensee_export(int argc, char **argv);
int eip_cli_licensee_log(int argc, char **argv);
int eip_cli_verify_key(int argc, char **argv);

#endif
