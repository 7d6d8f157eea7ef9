/* Entry points of the CLI commands (one per src/cli/cmd_*.c). */
#ifndef EIP_CLI_COMMANDS_H
#define EIP_CLI_COMMANDS_H

#endif
