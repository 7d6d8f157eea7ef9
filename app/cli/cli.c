#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "encryip/util.h"

static void print_help(const char *cmd, const char *usage, const eip_cli_opt *opts)
{
    printf("usage: encryip %s %s\n\noptions:\n", cmd, usage);
    for (const eip_cli_opt *o = opts; o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        printf("  %-26s %s%s\n", left, o->help, o->required ? " (required)" : "");
    }
    printf("  %-26s %s\n", "--help", "show this help");
}

int eip_cli_parse(const char *cmd, const char *usage, eip_cli_opt *opts, int argc, char **argv)
{
    for (eip_cli_opt *o = opts; o->name; o++) {
        o->value = NULL;
        o->present = false;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            print_help(cmd, usage, opts);
            return EIP_EXIT_OK;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "encryip %s: error: unexpected argument '%s' (see --help)\n", cmd, a);
            return EIP_EXIT_USAGE;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        eip_cli_opt *hit = NULL;
        for (eip_cli_opt *o = opts; o->name; o++)
            if (strlen(o->name) == nlen && !strncmp(o->name, name, nlen))
                hit = o;
        if (!hit) {
            fprintf(stderr, "encryip %s: error: unknown option '--%.*s' (see --help)\n", cmd,
                    (int)nlen, name);
            return EIP_EXIT_USAGE;
        }
        if (hit->present) {
            fprintf(stderr, "encryip %s: error: option '--%s' given twice\n", cmd, hit->name);
            return EIP_EXIT_USAGE;
        }
        hit->present = true;
        if (hit->arg) {
            if (eq) {
                hit->value = eq + 1;
            } else if (i + 1 < argc) {
                hit->value = argv[++i];
            } else {
                fprintf(stderr, "encryip %s: error: option '--%s' needs a value %s\n", cmd,
                        hit->name, hit->arg);
                return EIP_EXIT_USAGE;
            }
        } else if (eq) {
            fprintf(stderr, "encryip %s: error: option '--%s' takes no value\n", cmd, hit->name);
            return EIP_EXIT_USAGE;
        }
    }
    for (eip_cli_opt *o = opts; o->name; o++) {
        if (o->required && !o->present) {
            fprintf(stderr, "encryip %s: error: missing required option '--%s %s' (see --help)\n",
                    cmd, o->name, o->arg ? o->arg : "");
            return EIP_EXIT_USAGE;
        }
    }
    return -1;
}

static const eip_cli_opt *find(const eip_cli_opt *opts, const char *name)
{
    for (const eip_cli_opt *o = opts; o->name; o++)
        if (!strcmp(o->name, name))
            return o;
    return NULL;
}

const char *eip_cli_get(const eip_cli_opt *opts, const char *name)
{
    const eip_cli_opt *o = find(opts, name);
    return o ? o->value : NULL;
}

bool eip_cli_has(const eip_cli_opt *opts, const char *name)
{
    const eip_cli_opt *o = find(opts, name);
    return o && o->present;
}

bool eip_cli_get_i64(const char *cmd, const eip_cli_opt *opts, const char *name,
                     int64_t dflt, int64_t min, int64_t max, int64_t *out)
{
    const char *v = eip_cli_get(opts, name);
    if (!v) {
        *out = dflt;
        return true;
    }
    char what[80];
    snprintf(what, sizeof what, "--%s", name);
    eip_error err = {0};
    if (eip_parse_i64(what, v, min, max, out, &err) != EIP_OK) {
        fprintf(stderr, "encryip %s: error: %s\n", cmd, err.msg);
        return false;
    }
    return true;
}

bool eip_cli_get_f64(const char *cmd, const eip_cli_opt *opts, const char *name,
                     double dflt, double min, double max, double *out)
{
    const char *v = eip_cli_get(opts, name);
    if (!v) {
        *out = dflt;
        return true;
    }
    char what[80];
    snprintf(what, sizeof what, "--%s", name);
    eip_error err = {0};
    if (eip_parse_f64(what, v, min, max, out, &err) != EIP_OK) {
        fprintf(stderr, "encryip %s: error: %s\n", cmd, err.msg);
        return false;
    }
    return true;
}

int eip_cli_exit_code(eip_status s)
{
    switch (s) {
    case EIP_OK: return EIP_EXIT_OK;
    case EIP_ERR_ARG:
    case EIP_ERR_RANGE:
    case EIP_ERR_SHAPE: return EIP_EXIT_USAGE;
    case EIP_ERR_IO: return EIP_EXIT_IO;
    case EIP_ERR_FORMAT:
    case EIP_ERR_CHECKSUM: return EIP_EXIT_FORMAT;
    case EIP_ERR_CRYPTO:
    case EIP_ERR_INFEASIBLE: return EIP_EXIT_CRYPTO;
    case EIP_ERR_NOT_FOUND: return EIP_EXIT_NOMATCH;
    default: return EIP_EXIT_FAILURE;
    }
}

int eip_cli_fail(const char *cmd, eip_status s, const eip_error *err)
{
    fprintf(stderr, "encryip %s: error: %s\n", cmd,
            err && err->msg[0] ? err->msg : eip_status_name(s));
    return eip_cli_exit_code(s);
}
