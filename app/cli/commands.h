/* Entry points of the CLI commands (one per app/cli/cmd_*.c). */
#ifndef EIP_CLI_COMMANDS_H
#define EIP_CLI_COMMANDS_H

#include <stdint.h>

#include "encryip/error.h"

/* crypto (app/cli/cmd_keygen.c, cmd_issue.c, cmd_encrypt_labels.c,
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

/* training engine (app/cli/cmd_train.c) */
int eip_cli_train(int argc, char **argv);
int eip_cli_eval(int argc, char **argv);

/* licensee keyring (app/cli/cmd_keyring.c, cmd_licensee.c, cmd_verify_key.c) */
int eip_cli_keyring_init(int argc, char **argv);
int eip_cli_keyring_check(int argc, char **argv);
int eip_cli_licensee_add(int argc, char **argv);
int eip_cli_licensee_list(int argc, char **argv);
int eip_cli_licensee_revoke(int argc, char **argv);
int eip_cli_licensee_export(int argc, char **argv);
int eip_cli_licensee_log(int argc, char **argv);
int eip_cli_verify_key(int argc, char **argv);

/* EncryIP end to end (app/cli/cmd_protect.c, cmd_predict.c, cmd_classify.c,
 * cmd_trace.c; docs/PROTECT.md) */
int eip_cli_protect(int argc, char **argv);
int eip_cli_predict(int argc, char **argv);
int eip_cli_classify(int argc, char **argv);
/* app/serve/server.c */
int eip_cli_serve(int argc, char **argv);
int eip_cli_trace(int argc, char **argv);
/* AdvParams and model attacks (app/cli/cmd_advparams.c, cmd_attack_model.c) */
int eip_cli_advparams_encrypt(int argc, char **argv);
int eip_cli_advparams_decrypt(int argc, char **argv);
int eip_cli_attack_prune(int argc, char **argv);
int eip_cli_attack_finetune(int argc, char **argv);
int eip_cli_attack_adaptive(int argc, char **argv);
int eip_cli_experiment_advparams(int argc, char **argv);
/* EncryIP experiments (app/cli/cmd_experiment.c) */
int eip_cli_experiment_table1(int argc, char **argv);
int eip_cli_experiment_curves(int argc, char **argv);
int eip_cli_experiment_cost(int argc, char **argv);
int eip_cli_experiment_combined(int argc, char **argv);
/* shared by predict / classify (cmd_predict.c): the images of --input FILE
 * or --dataset NAME [--split S] [--limit N], checked against the model's
 * C x H x W; --decoder ml|argmax.  Opaque model type from encryip/protect.h. */
struct eip_data_set;
struct eip_protect_model;
eip_status eip_cli_images_input(const struct eip_cli_opt *o, int32_t c, int32_t h, int32_t w,
                                struct eip_data_set *ds, eip_error *err);
eip_status eip_cli_decoder_parse(const struct eip_cli_opt *o, struct eip_protect_model *m,
                                 eip_error *err);
/* --model DIR [--weights-key FILE | --locked] [--decoder D]: loads a
 * protected model; AdvParams-encrypted weights are unlocked in memory with
 * the weights key, run encrypted with --locked, refused otherwise (naming
 * the model file and the flag). */
struct eip_nn_ctx;
eip_status eip_cli_protect_model_open(struct eip_nn_ctx *ctx, const struct eip_cli_opt *o,
                                      struct eip_protect_model **m, eip_error *err);

#endif
