/* The command table.  Each command lives in its own src/cli/cmd_<name>.c. */
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
    {NULL, NULL, NULL},
};
