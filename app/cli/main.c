/* encryip command-line entry point: dispatches to one command per file
 * (app/cli/cmd_*.c, listed in app/cli/commands.c). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: encryip COMMAND [options]   (encryip COMMAND --help for details)\n\ncommands:\n");
    for (const eip_cli_command *c = eip_cli_commands; c->name; c++)
        fprintf(fp, "  %-16s %s\n", c->name, c->summary);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EIP_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return EIP_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("encryip 0.1.0\n");
        return EIP_EXIT_OK;
    }
    /* Two-word commands ("attack dlog", "licensee add") are looked up first. */
    if (argc >= 3) {
        char two[128];
        snprintf(two, sizeof two, "%s %s", argv[1], argv[2]);
        for (const eip_cli_command *c = eip_cli_commands; c->name; c++)
            if (!strcmp(c->name, two))
                return c->run(argc - 2, argv + 2);
    }
    for (const eip_cli_command *c = eip_cli_commands; c->name; c++)
        if (!strcmp(c->name, argv[1]))
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "encryip: error: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EIP_EXIT_USAGE;
}
