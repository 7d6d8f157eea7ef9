#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "encryip/util.h"

bool eip_cli_list_options = false;

typedef enum kind { K_NONE, K_FLAG, K_STR, K_I64, K_F64, K_CHOICE, K_CUSTOM, K_MANY } kind;

static kind opt_kind(const eip_cli_opt *o)
{
    int n = !!o->flag + !!o->str + !!o->i64 + !!o->f64 + !!o->choice + !!o->custom;
    if (n != 1)
        return n ? K_MANY : K_NONE;
    return o->flag ? K_FLAG : o->str ? K_STR : o->i64 ? K_I64 : o->f64 ? K_F64 : o->choice ? K_CHOICE
                                                                                           : K_CUSTOM;
}

#define FOR_EACH_OPT(spec, o)                                                                  \
    for (eip_cli_opt *const *t_ = (spec)->tables; *t_; t_++)                                  \
        for (eip_cli_opt *o = *t_; o->name; o++)

/* "a, b or c" for a choice list. */
static void choice_list(char *buf, size_t cap, const char *const *ch)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; ch[i] && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%s", i == 0 ? "" : ch[i + 1] ? ", " : " or ",
                                ch[i]);
}

/* Stores the value text v into o's variable; on error prints it naming the
 * flag and returns the exit code, else -1. */
static int apply(const char *cmd, eip_cli_opt *o, const char *v)
{
    char what[96];
    snprintf(what, sizeof what, "--%s", o->name);
    eip_error err = {0};
    eip_status s = EIP_OK;
    switch (opt_kind(o)) {
    case K_FLAG: *o->flag = true; break;
    case K_STR: *o->str = v; break;
    case K_I64: s = eip_parse_i64(what, v, o->min, o->max, o->i64, &err); break;
    case K_F64: s = eip_parse_f64(what, v, o->fmin, o->fmax, o->f64, &err); break;
    case K_CHOICE: {
        for (int i = 0; o->choices[i]; i++)
            if (!strcmp(o->choices[i], v)) {
                *o->choice = i;
                return -1;
            }
        char list[256];
        choice_list(list, sizeof list, o->choices);
        fprintf(stderr, "encryip %s: error: %s: '%s' is not %s\n", cmd, what, v, list);
        return EIP_EXIT_USAGE;
    }
    case K_CUSTOM:
        if ((s = o->parse(v, o->custom, &err)) != EIP_OK)
            eip_error_prefix(&err, "%s: ", what);
        break;
    default:
        fprintf(stderr, "encryip %s: error: %s: malformed option table\n", cmd, what);
        return EIP_EXIT_FAILURE;
    }
    if (s == EIP_OK)
        return -1;
    fprintf(stderr, "encryip %s: error: %s\n", cmd, err.msg);
    return EIP_EXIT_USAGE;
}

/* The default as --help shows it ("" = none). */
static void default_text(const eip_cli_opt *o, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (o->def_doc)
        snprintf(buf, cap, "%s", o->def_doc);
    else if (o->def)
        snprintf(buf, cap, "%s", o->def);
    else if (o->i64)
        snprintf(buf, cap, "%lld", (long long)*o->i64);
    else if (o->f64)
        snprintf(buf, cap, "%g", *o->f64);
    else if (o->choice && o->choices && *o->choice >= 0)
        snprintf(buf, cap, "%s", o->choices[*o->choice]);
    else if (o->str && *o->str)
        snprintf(buf, cap, "%s", *o->str);
}

static void print_help(const eip_cli_spec *spec)
{
    printf("usage: encryip %s %s\n\noptions:\n", spec->cmd, spec->usage);
    FOR_EACH_OPT(spec, o) {
        char left[64], dflt[128];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        default_text(o, dflt, sizeof dflt);
        printf("  %-26s %s", left, o->help);
        if (o->required)
            printf(" (required)");
        else if (dflt[0])
            printf(" (default: %s)", dflt);
        if (o->alias)
            printf(" (--%s: deprecated alias)", o->alias);
        printf("\n");
    }
    printf("  %-26s %s\n", "--help", "show this help");
}

static bool name_is(const eip_cli_opt *o, const char *name, size_t nlen)
{
    return (strlen(o->name) == nlen && !strncmp(o->name, name, nlen)) ||
           (o->alias && strlen(o->alias) == nlen && !strncmp(o->alias, name, nlen));
}

/* Checks the tables (one kind per option, a placeholder exactly for valued
 * options, unique names, parseable defaults, the usage line's flags exist)
 * and prints the option names.  Returns the exit code. */
static int list_options(const eip_cli_spec *spec)
{
    int bad = 0;
    FOR_EACH_OPT(spec, o) {
        kind k = opt_kind(o);
        const char *why = NULL;
        if (k == K_NONE || k == K_MANY)
            why = "not exactly one typed variable";
        else if ((k == K_FLAG) != (o->arg == NULL))
            why = "a placeholder must be given exactly for options with a value";
        else if (k == K_CHOICE && !o->choices)
            why = "a choice without choices";
        else if (k == K_CUSTOM && !o->parse)
            why = "a custom option without a parser";
        else if ((k == K_I64 && o->min > o->max) || (k == K_F64 && !(o->fmin <= o->fmax)))
            why = "empty range";
        else if (!o->help || !o->help[0])
            why = "no help text";
        else if (o->required && (o->def || k == K_FLAG))
            why = "a required option with a default";
        for (eip_cli_opt *const *t = spec->tables; *t && !why; t++)
            for (eip_cli_opt *p = *t; p->name && !why; p++)
                if (p != o && (name_is(p, o->name, strlen(o->name)) ||
                               (o->alias && name_is(p, o->alias, strlen(o->alias)))))
                    why = "name given twice";
        if (!why && o->def && apply(spec->cmd, o, o->def) >= 0)
            why = "its default does not parse";
        if (why) {
            fprintf(stderr, "encryip %s: option table: --%s: %s\n", spec->cmd, o->name, why);
            bad = 1;
        }
    }
    for (const char *u = strstr(spec->usage, "--"); u; u = strstr(u + 2, "--")) {
        size_t n = strspn(u + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
        bool found = false;
        FOR_EACH_OPT(spec, o)
            found |= name_is(o, u + 2, n);
        if (!found) {
            fprintf(stderr, "encryip %s: usage line names --%.*s, which is not an option\n", spec->cmd,
                    (int)n, u + 2);
            bad = 1;
        }
    }
    FOR_EACH_OPT(spec, o)
        printf("--%s\n", o->name);
    return bad ? EIP_EXIT_FAILURE : EIP_EXIT_OK;
}

int eip_cli_parse(const eip_cli_spec *spec, int argc, char **argv)
{
    const char *cmd = spec->cmd;
    if (eip_cli_list_options)
        return list_options(spec);
    FOR_EACH_OPT(spec, o)
        o->present = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            print_help(spec);
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
        FOR_EACH_OPT(spec, o)
            if (name_is(o, name, nlen))
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
        const char *v = NULL;
        if (hit->arg) {
            if (eq) {
                v = eq + 1;
            } else if (i + 1 < argc) {
                v = argv[++i];
            } else {
                fprintf(stderr, "encryip %s: error: option '--%s' needs a value %s\n", cmd,
                        hit->name, hit->arg);
                return EIP_EXIT_USAGE;
            }
        } else if (eq) {
            fprintf(stderr, "encryip %s: error: option '--%s' takes no value\n", cmd, hit->name);
            return EIP_EXIT_USAGE;
        }
        int rc = apply(cmd, hit, v);
        if (rc >= 0)
            return rc;
    }
    FOR_EACH_OPT(spec, o) {
        if (o->required && !o->present) {
            fprintf(stderr, "encryip %s: error: missing required option '--%s %s' (see --help)\n",
                    cmd, o->name, o->arg ? o->arg : "");
            return EIP_EXIT_USAGE;
        }
    }
    FOR_EACH_OPT(spec, o) {
        if (!o->present && o->def) {
            int rc = apply(cmd, o, o->def);
            if (rc >= 0)
                return rc;
        }
    }
    return -1;
}

static const void *opt_var(const eip_cli_opt *o)
{
    return o->flag ? (const void *)o->flag : o->str ? (const void *)o->str
           : o->i64 ? (const void *)o->i64 : o->f64 ? (const void *)o->f64
           : o->choice ? (const void *)o->choice : o->custom;
}

bool eip_cli_opt_given(const eip_cli_opt *table, const void *var)
{
    for (const eip_cli_opt *o = table; o->name; o++)
        if (opt_var(o) == var)
            return o->present;
    return false;
}

bool eip_cli_given(const eip_cli_spec *spec, const void *var)
{
    FOR_EACH_OPT(spec, o)
        if (opt_var(o) == var)
            return o->present;
    return false;
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

int eip_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "encryip %s: error: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EIP_EXIT_USAGE;
}

double eip_cli_seconds(void) { return eip_clock_seconds(); }
