/* CLI plumbing shared by every command: a strict long-option parser, the
 * status -> exit code mapping, and error printing.  Only the CLI exits. */
#ifndef EIP_CLI_H
#define EIP_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "encryip/error.h"

/* Exit codes (documented in docs/CLI.md). */
enum {
    EIP_EXIT_OK = 0,
    EIP_EXIT_FAILURE = 1, /* runtime failure not covered below */
    EIP_EXIT_USAGE = 2,   /* bad flags or arguments */
    EIP_EXIT_IO = 3,      /* file could not be read or written */
    EIP_EXIT_FORMAT = 4,  /* malformed / corrupted / wrong-kind file */
    EIP_EXIT_CRYPTO = 5,  /* key does not fit, invalid element, refused attack */
    EIP_EXIT_NOMATCH = 6  /* a verification found no licensee */
};

typedef struct eip_cli_opt {
    const char *name;   /* long name without dashes, e.g. "classes" */
    const char *arg;    /* value placeholder ("Z"), or NULL for a boolean flag */
    const char *help;   /* one line */
    bool required;
    /* filled by eip_cli_parse: */
    const char *value;  /* value given, or NULL */
    bool present;
} eip_cli_opt;

typedef struct eip_cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} eip_cli_command;

/* Parses argv[1..] against opts (terminated by an entry with name NULL).
 * Returns -1 on success, otherwise the exit code to return (0 after --help,
 * EIP_EXIT_USAGE after printing an error naming the flag). */
int eip_cli_parse(const char *cmd, const char *usage, eip_cli_opt *opts, int argc, char **argv);

/* Looks up an option's value by name (NULL if absent). */
const char *eip_cli_get(const eip_cli_opt *opts, const char *name);
bool eip_cli_has(const eip_cli_opt *opts, const char *name);

/* Strict numeric flag values; on error prints it and returns false. */
bool eip_cli_get_i64(const char *cmd, const eip_cli_opt *opts, const char *name,
                     int64_t dflt, int64_t min, int64_t max, int64_t *out);
bool eip_cli_get_f64(const char *cmd, const eip_cli_opt *opts, const char *name,
                     double dflt, double min, double max, double *out);

/* Prints "encryip CMD: error: MSG" to stderr and returns the exit code for s. */
int eip_cli_fail(const char *cmd, eip_status s, const eip_error *err);
int eip_cli_exit_code(eip_status s);

/* Command table (app/cli/commands.c). */
extern const eip_cli_command eip_cli_commands[];

#endif
