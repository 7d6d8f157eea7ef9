/* Entry points of the CLI commands, one file per command family:
 *   cmd_crypto.c      keygen, issue, encrypt-labels, decrypt
 *   cmd_train.c       train, eval
 *   cmd_keyring.c     keyring init/check, licensee add/list/revoke/export/log, verify-key
 *   cmd_protect.c     protect, trace (the owner's side of EncryIP)
 *   cmd_deploy.c      predict, classify (the licensee's side)
 *   cmd_advparams.c   advparams encrypt/decrypt
 *   cmd_attack.c      attack dlog/prune/finetune/adaptive/collude/relabel
 *   cmd_experiment.c  experiment table1/curves/cost/combined/advparams/removal
 * Shared by several of them: cli.h (options, help, exit codes), groups.h
 * (option groups), labels.h (label files), run_common.h (datasets, models,
 * progress). */
#ifndef EIP_CLI_COMMANDS_H
#define EIP_CLI_COMMANDS_H

int eip_cli_keygen(int argc, char **argv);
int eip_cli_issue(int argc, char **argv);
int eip_cli_encrypt_labels(int argc, char **argv);
int eip_cli_decrypt(int argc, char **argv);

int eip_cli_train(int argc, char **argv);
int eip_cli_eval(int argc, char **argv);

int eip_cli_keyring_init(int argc, char **argv);
int eip_cli_keyring_check(int argc, char **argv);
int eip_cli_licensee_add(int argc, char **argv);
int eip_cli_licensee_list(int argc, char **argv);
int eip_cli_licensee_revoke(int argc, char **argv);
int eip_cli_licensee_export(int argc, char **argv);
int eip_cli_licensee_log(int argc, char **argv);
int eip_cli_verify_key(int argc, char **argv);

int eip_cli_protect(int argc, char **argv);
int eip_cli_trace(int argc, char **argv);
int eip_cli_predict(int argc, char **argv);
int eip_cli_classify(int argc, char **argv);
/* app/serve/server.c */
int eip_cli_serve(int argc, char **argv);

int eip_cli_advparams_encrypt(int argc, char **argv);
int eip_cli_advparams_decrypt(int argc, char **argv);

int eip_cli_attack_dlog(int argc, char **argv);
int eip_cli_attack_prune(int argc, char **argv);
int eip_cli_attack_finetune(int argc, char **argv);
int eip_cli_attack_adaptive(int argc, char **argv);
/* attacks on EncryIP itself (licensee keys, protected weights) */
int eip_cli_attack_collude(int argc, char **argv);
int eip_cli_attack_relabel(int argc, char **argv);

int eip_cli_experiment_table1(int argc, char **argv);
int eip_cli_experiment_curves(int argc, char **argv);
int eip_cli_experiment_cost(int argc, char **argv);
int eip_cli_experiment_fig5(int argc, char **argv);
int eip_cli_experiment_combined(int argc, char **argv);
int eip_cli_experiment_removal(int argc, char **argv);
int eip_cli_experiment_advparams(int argc, char **argv);

#endif
