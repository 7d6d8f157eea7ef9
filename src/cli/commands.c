/* The command table.  Each command lives in its own src/cli/cmd_<name>.c. */
#include "cli/cli.h"
#include "cli/commands.h"

const eip_cli_command eip_cli_commands[] = {
    /* crypto (CS_lite, paper section 4.2) */
    /* training engine */
    {NULL, NULL, NULL},
};
