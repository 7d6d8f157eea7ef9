/* `auto` values in a net config (docs/CONFIG.md): the text is rewritten
 * with the caller's numbers before the strict parser (config.c) sees it,
 * so the net keeps (and a checkpoint stores) a config with real numbers.
 * Only whole tokens before a '#' are rewritten: `out=auto` on conv/linear
 * lines, `c=auto`, `h=auto`, `w=auto` on the input line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "util/io.h"

static int is_sep(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\0'; }

/* The value `auto` key stands for, or -1 when the key takes no auto here. */
static int64_t auto_value(const char *kind, size_t kind_len, const char *key, size_t key_len,
                          const eip_nn_config_auto *f)
{
#define IS(s, l, lit) ((l) == sizeof(lit) - 1 && !memcmp((s), (lit), (l)))
    if (IS(kind, kind_len, "input")) {
        if (IS(key, key_len, "c"))
            return f ? f->c : 0;
        if (IS(key, key_len, "h"))
            return f ? f->h : 0;
        if (IS(key, key_len, "w"))
            return f ? f->w : 0;
    }
    if ((IS(kind, kind_len, "conv") || IS(kind, kind_len, "linear")) && IS(key, key_len, "out"))
        return f ? f->out : 0;
    return -1;
#undef IS
}

/* Rewrites one line (no '\n') into out; *o advances. */
static eip_status rewrite_line(const char *src, int lineno, const char *line, size_t len,
                               const eip_nn_config_auto *f, char *out, size_t *o, eip_error *err)
{
    size_t code = len; /* up to the comment */
    const char *hash = memchr(line, '#', len);
    if (hash)
        code = (size_t)(hash - line);
    size_t p = 0, kind_at = 0, kind_len = 0;
    int tok = 0;
    while (p < code) {
        if (is_sep(line[p])) {
            out[(*o)++] = line[p++];
            continue;
        }
        size_t start = p;
        while (p < code && !is_sep(line[p]))
            p++;
        const char *t = line + start;
        const size_t tl = p - start;
        if (tok++ == 0) {
            kind_at = start;
            kind_len = tl;
        }
        const char *eq = memchr(t, '=', tl);
        if (tok > 1 && eq && (size_t)(t + tl - eq - 1) == 4 && !memcmp(eq + 1, "auto", 4)) {
            const size_t kl = (size_t)(eq - t);
            const int64_t v = auto_value(line + kind_at, kind_len, t, kl, f);
            if (v < 0)
                return eip_error_set(err, EIP_ERR_FORMAT, "%s:%d: %.*s: %.*s=auto is not allowed (only "
                                     "out=auto on conv/linear and c/h/w=auto on input)", src, lineno,
                                     (int)kind_len, line + kind_at, (int)kl, t);
            if (v == 0)
                return eip_error_set(err, EIP_ERR_ARG, "%s:%d: %.*s: %.*s=auto: this command does not "
                                     "fill it in; write the number", src, lineno, (int)kind_len,
                                     line + kind_at, (int)kl, t);
            *o += (size_t)sprintf(out + *o, "%.*s=%lld", (int)kl, t, (long long)v);
            continue;
        }
        memcpy(out + *o, t, tl);
        *o += tl;
    }
    memcpy(out + *o, line + code, len - code);
    *o += len - code;
    return EIP_OK;
}

eip_status eip_nn_net_config_file_auto(eip_nn_ctx *ctx, const char *path,
                                       const eip_nn_config_auto *fill, eip_nn_net_t **out,
                                       eip_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    *out = NULL;
    EIP_NN_OK(eip_io_read_file(path, 1 << 20, &buf, &len, err));
    if (memchr(buf, '\0', len)) {
        free(buf);
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: NUL byte in config", path);
    }
    /* Each "x=auto" (6+ bytes) becomes at most x= plus 20 digits. */
    char *text = malloc(len * 4 + 64);
    if (!text) {
        free(buf);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s", path);
    }
    size_t o = 0, p = 0;
    int lineno = 0;
    eip_status s = EIP_OK;
    const char *src = (const char *)buf;
    while (p < len && !s) {
        const char *e = memchr(src + p, '\n', len - p);
        const size_t ll = e ? (size_t)(e - (src + p)) : len - p;
        lineno++;
        s = rewrite_line(path, lineno, src + p, ll, fill, text, &o, err);
        p += ll;
        if (e) {
            text[o++] = '\n';
            p++;
        }
    }
    text[o] = '\0';
    free(buf);
    if (!s)
        s = eip_nn_net_config(ctx, text, path, out, err);
    free(text);
    return s;
}
