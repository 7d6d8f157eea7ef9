/* encryip command-line entry point: dispatches to the commands of the table
 * in app/cli/commands.c (one file per command family, see commands.h).
 *   encryip COMMAND [options]      run a command
 *   encryip COMMAND --help         its options (generated from its option table)
 *   encryip help [COMMAND]         the same, or the command list
 *   encryip --version
 * Hidden, for tests/cli/cli_docs.sh: `encryip help --list-commands` and
 * `encryip help --list-options COMMAND` (checks the command's option tables
 * and prints its option names, one per line). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "encryip/crypto.h"

#ifndef EIP_VERSION
#define EIP_VERSION "unknown"
#endif

static void usage(FILE *fp)
{
    fprintf(fp, "usage: encryip COMMAND [options]   (encryip COMMAND --help or encryip help COMMAND "
                "for its options; encryip --version)\n\ncommands:\n");
    for (const eip_cli_command *c = eip_cli_commands; c->name; c++)
        fprintf(fp, "  %-20s %s\n", c->name, c->summary);
}

/* The command named by argv[0] (and argv[1] for two-word commands such as
 * "attack dlog"); *words = how many words the name took. */
static const eip_cli_command *find(int argc, char **argv, int *words)
{
    if (argc >= 2) {
        char two[128];
        snprintf(two, sizeof two, "%s %s", argv[0], argv[1]);
        for (const eip_cli_command *c = eip_cli_commands; c->name; c++)
            if (!strcmp(c->name, two)) {
                *words = 2;
                return c;
            }
    }
    for (const eip_cli_command *c = eip_cli_commands; argc >= 1 && c->name; c++)
        if (!strcmp(c->name, argv[0])) {
            *words = 1;
            return c;
        }
    return NULL;
}

/* encryip help [--list-commands | --list-options CMD | CMD] */
static int help(int argc, char **argv)
{
    if (argc == 0) {
        usage(stdout);
        return EIP_EXIT_OK;
    }
    if (!strcmp(argv[0], "--list-commands") && argc == 1) {
        for (const eip_cli_command *c = eip_cli_commands; c->name; c++)
            printf("%s\n", c->name);
        return EIP_EXIT_OK;
    }
    const bool list = !strcmp(argv[0], "--list-options");
    int words = 0;
    const eip_cli_command *c = find(argc - list, argv + list, &words);
    if (!c || words != argc - list) {
        fprintf(stderr, "encryip help: error: unknown command '%s'\n", argv[list < argc ? list : 0]);
        usage(stderr);
        return EIP_EXIT_USAGE;
    }
    char *args[3] = {(char *)c->name, list ? NULL : "--help", NULL};
    eip_cli_list_options = list;
    return c->run(list ? 1 : 2, args);
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
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return EIP_EXIT_OK;
    }
    if (!strcmp(argv[1], "help"))
        return close_stdout("help", help(argc - 2, argv + 2));
    if (!strcmp(argv[1], "--version")) {
        printf("encryip %s\n", EIP_VERSION);
        return EIP_EXIT_OK;
    }
    int words = 0;
    const eip_cli_command *c = find(argc - 1, argv + 1, &words);
    if (c) {
        /* libsodium once for every command (most need it; idempotent) */
        eip_error err = {0};
        eip_status s = eip_crypto_init(&err);
        if (s)
            return eip_cli_fail(c->name, s, &err);
        return close_stdout(c->name, c->run(argc - words, argv + words));
    }
    fprintf(stderr, "encryip: error: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EIP_EXIT_USAGE;
}
