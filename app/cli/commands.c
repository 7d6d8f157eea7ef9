/* The command table (the command families: commands.h). */
#include "cli/cli.h"
#include "cli/commands.h"

const eip_cli_command eip_cli_commands[] = {
    /* crypto (CS_lite, paper section 4.2) */
    {"keygen", "Gen(P): public key, master key, P licensee keys", eip_cli_keygen},
    {"issue", "new licensee key without retraining (section 4.5 (2))", eip_cli_issue},
    {"encrypt-labels", "Enc every label of a file; optional Φ soft labels", eip_cli_encrypt_labels},
    {"decrypt", "Dec a ciphertext file with a licensee key", eip_cli_decrypt},
    {"attack dlog", "decrypt paper-group ciphertexts with the public key alone", eip_cli_attack_dlog},
    /* training engine */
    {"train", "train a zoo model on a dataset (plain labels)", eip_cli_train},
    {"eval", "test accuracy of a model written by train", eip_cli_eval},
    /* licensee keyring (docs/KEYRING.md; sections 4.4, 4.5 (2)) */
    {"keyring init", "keygen output (public key + licensee keys) -> keyring", eip_cli_keyring_init},
    {"keyring check", "integrity of a keyring (and its keys against the master key)", eip_cli_keyring_check},
    {"licensee add", "new licensee with the master key, no retraining (4.5 (2))", eip_cli_licensee_add},
    {"licensee list", "licensees of a keyring (id, name, created, revoked)", eip_cli_licensee_list},
    {"licensee revoke", "mark a licensee revoked (still traceable)", eip_cli_licensee_revoke},
    {"licensee export", "write a licensee's secret key file from the keyring", eip_cli_licensee_export},
    {"licensee log", "the keyring's verification log", eip_cli_licensee_log},
    {"verify-key", "which licensee holds this secret key (section 4.4)", eip_cli_verify_key},
    /* EncryIP end to end (docs/PROTECT.md; Algorithms 1, 2, eq. (4), section 4.4) */
    {"protect", "Algorithm 1: keys, encrypted labels, verification set, training -> bundle", eip_cli_protect},
    {"predict", "Algorithm 2: confused labels (fresh ciphertexts) from a protected model", eip_cli_predict},
    {"classify", "predict + decrypt with a licensee key: labels", eip_cli_classify},
    {"trace", "which licensee's key a suspect deployment uses (eq. 5)", eip_cli_trace},
    {"serve", "Algorithm 2 as an HTTP service: fresh ciphertexts per request (docs/SERVE.md)", eip_cli_serve},
    /* AdvParams (docs/DESIGN.md "AdvParams") and model-modification attacks */
    {"advparams encrypt", "AdvParams: perturb a few parameters, accuracy collapses; writes the key", eip_cli_advparams_encrypt},
    {"advparams decrypt", "AdvParams: restore the model bit for bit with its key", eip_cli_advparams_decrypt},
    {"attack prune", "magnitude pruning of conv/linear weights at a ratio", eip_cli_attack_prune},
    {"attack finetune", "fine-tune a model on a fraction of the training data", eip_cli_attack_finetune},
    {"attack adaptive", "reset the parameters an AdvParams-aware attacker suspects", eip_cli_attack_adaptive},
    {"experiment advparams", "AdvParams measurements: tables, CSV, PNG", eip_cli_experiment_advparams},
    /* attacks on EncryIP itself (cmd_attack.c; docs/RESULTS.md "Attacks on EncryIP") */
    {"attack collude", "two or more licensee keys -> t -> a key for a fresh b that no trace names", eip_cli_attack_collude},
    {"attack relabel", "protected weights + k labelled images, no key -> a classifier", eip_cli_attack_relabel},
    /* EncryIP experiments (paper section 5, docs/RESULTS.md "EncryIP") */
    {"experiment table1", "EncryIP Table 1 + Figure 4 grid: original vs EncryIP, both groups", eip_cli_experiment_table1},
    {"experiment curves", "Figure 4 curves (CSV, PNG) from a table1 output directory", eip_cli_experiment_curves},
    {"experiment cost", "EncryIP training time vs original, P = 3 and P = 1000 (section 5.2)", eip_cli_experiment_cost},
    {"experiment fig5", "Figure 5: training time of selling one model to 3 users vs PR, DeepIPR, EW", eip_cli_experiment_fig5},
    {"experiment combined", "EncryIP + AdvParams: stolen file, licensee, leaked deployment", eip_cli_experiment_combined},
    {"experiment removal", "Figures 6/7: consecutive fine-tuning of a protected model, accuracy + trace per round", eip_cli_experiment_removal},
    {NULL, NULL, NULL},
};
