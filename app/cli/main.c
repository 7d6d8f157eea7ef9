/* encryip command-line entry point: dispatches to one command per file
 * (app/cli/cmd_*.c, listed in app/cli/commands.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <stdbool.h>

#include "cli/cli.h"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: encryip COMMAND [options]   (encryip COMMAND --help for details)\n\ncommands:\n");
    for (const eip_cli_command *c = eip_cli_commands; c->name; c++)
        fprintf(fp, "  %-16s %s\n", c->name, c->summary);
}

/* Every command's output is checked here, once: a full device or a closed
 * pipe on stdout turns a "successful" run into EIP_EXIT_IO instead of
 * losing the output silently (predict and licensee list used to exit 0 with
 * stdout on /dev/full).  fclose flushes what stdio still buffers. */
static int close_stdout(const char *cmd, int rc)
{
    errno = 0;
    bool bad = ferror(stdout) != 0;
    if (fclose(stdout) != 0)
        bad = true;
    if (bad) {
        fprintf(stderr, "encryip %s: error: stdout: write failed%s%s\n", cmd, errno ? ": " : "",
                errno ? strerror(errno) : "");
        return rc == EIP_EXIT_OK ? EIP_EXIT_IO : rc;
    }
    return rc;
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
                return close_stdout(c->name, c->run(argc - 2, argv + 2));
    }
    for (const eip_cli_command *c = eip_cli_commands; c->name; c++)
        if (!strcmp(c->name, argv[1]))
            return close_stdout(c->name, c->run(argc - 1, argv + 1));
    fprintf(stderr, "encryip: error: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EIP_EXIT_USAGE;
}
