/* CLI plumbing shared by every command: typed option tables, a strict
 * long-option parser, help generated from the tables, the status -> exit
 * code mapping, and error printing.  Only the CLI exits.
 *
 * An option is one table entry {name, typed &var, default, help}: its kind
 * is the one typed pointer that is set (.flag, .str, .i64, .f64, .choice,
 * .custom), so a value reaches the command through a checked C type and a
 * misspelt name cannot silently yield a default.  Parsing is strict (the
 * util parsers, never atoi); errors name the flag and the reason. */
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

/* Parses s into *out (a custom option kind, e.g. a library enum parser). */
typedef eip_status (*eip_cli_parse_fn)(const char *s, void *out, eip_error *err);

typedef struct eip_cli_opt {
    const char *name; /* long name without dashes, e.g. "classes"; NULL ends a table */
    const char *arg;  /* value placeholder ("Z"); NULL exactly for .flag */
    /* The kind: exactly one of these is set. */
    bool *flag;                /* no value: true when given */
    const char **str;          /* the text as given (strings, paths) */
    int64_t *i64;              /* integer in [min, max] */
    double *f64;               /* number in [fmin, fmax] */
    int *choice;               /* index into .choices (NULL-terminated) */
    void *custom;              /* parsed by .parse */
    int64_t min, max;          /* .i64 range */
    double fmin, fmax;         /* .f64 range */
    const char *const *choices;
    eip_cli_parse_fn parse;
    /* Default: text parsed like a given value before argv is read (so it is
     * checked the same way); NULL keeps the variable's initial value (set
     * by the caller, e.g. from a library's *_default()). */
    const char *def;
    /* Shown as the default in --help instead of .def / the initial value
     * (a default that depends on other flags, or what a sentinel means);
     * "" shows none. */
    const char *def_doc;
    const char *help;     /* one line */
    bool required;
    const char *alias;    /* deprecated second name, accepted and shown in --help */
    /* filled by eip_cli_parse: */
    bool present;
} eip_cli_opt;

/* A command's options: its own table, then the shared groups it uses. */
#define EIP_CLI_MAX_TABLES 6
typedef struct eip_cli_spec {
    const char *cmd;   /* "train", "attack prune" */
    const char *usage; /* synopsis after "encryip CMD" (every --flag in it must be in the tables) */
    eip_cli_opt *tables[EIP_CLI_MAX_TABLES + 1]; /* NULL-terminated */
} eip_cli_spec;

/* Parses argv[1..] (argv[0] is the command name).  Returns -1 on success,
 * otherwise the exit code to return (0 after --help, EIP_EXIT_USAGE after an
 * error naming the flag).  Options not given get their defaults. */
int eip_cli_parse(const eip_cli_spec *spec, int argc, char **argv);

/* Whether the option whose variable is var was given (var: the pointer in
 * the table, e.g. &st.epochs). */
bool eip_cli_given(const eip_cli_spec *spec, const void *var);
/* The same within one table (a group's). */
bool eip_cli_opt_given(const eip_cli_opt *table, const void *var);

/* Introspection (encryip help --list-options CMD): when set, eip_cli_parse
 * checks the tables, prints one option name per line and returns 0 (1 if a
 * table is malformed), without running the command. */
extern bool eip_cli_list_options;

/* Prints "encryip CMD: error: MSG" to stderr and returns the exit code for s. */
int eip_cli_fail(const char *cmd, eip_status s, const eip_error *err);
int eip_cli_exit_code(eip_status s);
/* Prints "encryip CMD: error: <fmt>" and returns EIP_EXIT_USAGE. */
int eip_cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Monotonic seconds, for the timings printed on stderr. */
double eip_cli_seconds(void);

typedef struct eip_cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} eip_cli_command;

/* Command table (app/cli/commands.c). */
extern const eip_cli_command eip_cli_commands[];

#endif
