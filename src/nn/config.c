/* Nets as data: a line-oriented config, strictly validated.
 *
 *   # comment                      (blank lines and '#' comments ignored)
 *   input c=3 h=32 w=32            (first line: the input sample shape)
 *   conv name=conv1 out=32 k=3 stride=1 pad=1 bias=0
 *   bn name=bn1 relu=1
 *   maxpool k=2 stride=2 pad=0     (avgpool likewise; stride defaults to k)
 *   relu | gap | flatten
 *   linear name=fc out=10 bias=1
 *   dropout p=0.3
 *   add in=a,b relu=1              (residual add, optional fused ReLU)
 *   concat in=a,b,c                (channels)
 *
 * Every layer reads the previous line's node unless `in=` names nodes
 * (`input` is the input).  `name=` names the node and is the PyTorch module
 * prefix of its parameters (required for conv / bn / linear).  Unknown
 * kinds or keys, duplicate keys, bad numbers, missing fields, unknown
 * references and shape mismatches are errors "source:line: ...". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "util/io.h"
#include "util/parse.h"

#define MAX_KV 12
#define LINE_MAX_BYTES 1024

typedef struct kv {
    char *key, *val;
    int used;
} kv;

typedef struct line_ctx {
    const char *src;
    int lineno;
    const char *kind;
    kv kv[MAX_KV];
    int n;
} line_ctx;

static eip_status lerr(const line_ctx *l, eip_error *err, eip_status code, const char *what)
{
    return eip_error_set(err, code, "%s:%d: %s: %s", l->src, l->lineno, l->kind, what);
}

static const char *get(line_ctx *l, const char *key)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->kv[i].key, key) == 0) {
            l->kv[i].used = 1;
            return l->kv[i].val;
        }
    return NULL;
}

static eip_status get_i64(line_ctx *l, const char *key, int required, int64_t def, int64_t lo,
                          int64_t hi, int64_t *out, eip_error *err)
{
    const char *v = get(l, key);
    if (!v) {
        if (required) {
            char m[96];
            snprintf(m, sizeof m, "missing required field '%s'", key);
            return lerr(l, err, EIP_ERR_FORMAT, m);
        }
        *out = def;
        return EIP_OK;
    }
    eip_status s = eip_parse_i64(key, v, lo, hi, out, err);
    if (s != EIP_OK)
        eip_error_prefix(err, "%s:%d: %s: ", l->src, l->lineno, l->kind);
    return s;
}

static eip_status get_bool(line_ctx *l, const char *key, int def, int *out, eip_error *err)
{
    int64_t v;
    EIP_NN_OK(get_i64(l, key, 0, def, 0, 1, &v, err));
    *out = (int)v;
    return EIP_OK;
}

static int find_node(const eip_nn_net_t *net, const char *name)
{
    for (int i = net->n_nodes - 1; i >= 0; i--)
        if (strcmp(net->nodes[i].name, name) == 0)
            return i;
    return -1;
}

/* in=a,b,c -> node ids; default: the previous node. */
static eip_status get_inputs(line_ctx *l, eip_nn_net_t *net, int *in, int *n_in, eip_error *err)
{
    const char *v = get(l, "in");
    if (!v) {
        in[0] = net->n_nodes - 1;
        *n_in = 1;
        return EIP_OK;
    }
    char buf[LINE_MAX_BYTES];
    snprintf(buf, sizeof buf, "%s", v);
    *n_in = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (*n_in == EIP_NN_MAX_IN)
            return lerr(l, err, EIP_ERR_FORMAT, "too many inputs in 'in'");
        int id = find_node(net, t);
        if (id < 0) {
            char m[160];
            snprintf(m, sizeof m, "in: unknown node '%.100s'", t);
            return lerr(l, err, EIP_ERR_FORMAT, m);
        }
        in[(*n_in)++] = id;
    }
    if (*n_in == 0)
        return lerr(l, err, EIP_ERR_FORMAT, "in: empty list");
    return EIP_OK;
}

static eip_status one_input(line_ctx *l, const int *in, int n_in, eip_error *err)
{
    (void)in;
    return n_in == 1 ? EIP_OK : lerr(l, err, EIP_ERR_FORMAT, "takes exactly one input");
}

static eip_status check_unused(const line_ctx *l, eip_error *err)
{
    for (int i = 0; i < l->n; i++)
        if (!l->kv[i].used) {
            char m[160];
            snprintf(m, sizeof m, "unknown key '%.60s'", l->kv[i].key);
            return lerr(l, err, EIP_ERR_FORMAT, m);
        }
    return EIP_OK;
}

static eip_status parse_layer(line_ctx *l, eip_nn_net_t *net, eip_error *err)
{
    const char *name = get(l, "name");
    if (name && (!*name || strlen(name) >= EIP_NN_NAME_MAX || strchr(name, ',')))
        return lerr(l, err, EIP_ERR_FORMAT, "bad name");
    if (name && find_node(net, name) >= 0)
        return lerr(l, err, EIP_ERR_FORMAT, "duplicate node name");
    int in[EIP_NN_MAX_IN], n_in = 0, id;
    EIP_NN_OK(get_inputs(l, net, in, &n_in, err));
    eip_status s;
    const char *k = l->kind;
    int64_t out = 0, ks = 0, stride = 0, pad = 0;
    int flag = 0;
    if (strcmp(k, "conv") == 0) {
        EIP_NN_OK(one_input(l, in, n_in, err));
        EIP_NN_OK(get_i64(l, "out", 1, 0, 1, 1 << 20, &out, err));
        EIP_NN_OK(get_i64(l, "k", 1, 0, 1, 64, &ks, err));
        EIP_NN_OK(get_i64(l, "stride", 0, 1, 1, 64, &stride, err));
        EIP_NN_OK(get_i64(l, "pad", 0, 0, 0, 64, &pad, err));
        EIP_NN_OK(get_bool(l, "bias", 1, &flag, err));
        if (!name)
            return lerr(l, err, EIP_ERR_FORMAT, "missing required field 'name'");
        EIP_NN_OK(check_unused(l, err));
        s = eip_nn_conv_add(net, name, in[0], out, ks, stride, pad, flag, &id, err);
    } else if (strcmp(k, "bn") == 0) {
        EIP_NN_OK(one_input(l, in, n_in, err));
        EIP_NN_OK(get_bool(l, "relu", 0, &flag, err));
        if (!name)
            return lerr(l, err, EIP_ERR_FORMAT, "missing required field 'name'");
        EIP_NN_OK(check_unused(l, err));
        s = eip_nn_bn_add(net, name, in[0], flag, &id, err);
    } else if (strcmp(k, "relu") == 0) {
        EIP_NN_OK(one_input(l, in, n_in, err));
        EIP_NN_OK(check_unused(l, err));
        s = eip_nn_relu_add(net, name, in[0], &id, err);
    } else if (strcmp(k, "maxpool") == 0 || strcmp(k, "avgpool") == 0) {
        EIP_NN_OK(one_input(l, in, n_in, err));
        EIP_NN_OK(get_i64(l, "k", 1, 0, 1, 1024, &ks, err));
        EIP_NN_OK(get_i64(l, "stride", 0, ks, 1, 1024, &stride, err));
        EIP_NN_OK(get_i64(l, "pad", 0, 0, 0, 512, &pad, err));
        EIP_NN_OK(check_unused(l, err));
        s = eip_nn_pool_add(net, name, in[0], k[0] == 'm' ? EIP_NN_POOL_MAX : EIP_NN_POOL_AVG, ks,
                            stride, pad, &id, err);
    } else if (strcmp(k, "gap") == 0) {
        EIP_NN_OK(one_input(l, in, n_in, err));
        EIP_NN_OK(check_unused(l, err));
        s = eip_nn_gap_add(net, name, in[0], &id, err);
    } else if (strcmp(k, "flatten") == 0) {
        EIP_NN_OK(one_input(l, in, n_in, err));
        EIP_NN_OK(check_unused(l, err));
        s = eip_nn_flatten_add(net, name, in[0], &id, err);
    } else if (strcmp(k, "linear") == 0) {
        EIP_NN_OK(one_input(l, in, n_in, err));
        EIP_NN_OK(get_i64(l, "out", 1, 0, 1, 1 << 24, &out, err));
        EIP_NN_OK(get_bool(l, "bias", 1, &flag, err));
        if (!name)
            return lerr(l, err, EIP_ERR_FORMAT, "missing required field 'name'");
        EIP_NN_OK(check_unused(l, err));
        s = eip_nn_linear_add(net, name, in[0], out, flag, &id, err);
    } else if (strcmp(k, "dropout") == 0) {
        double p;
        EIP_NN_OK(one_input(l, in, n_in, err));
        const char *v = get(l, "p");
        if (!v)
            return lerr(l, err, EIP_ERR_FORMAT, "missing required field 'p'");
        s = eip_parse_f64("p", v, 0.0, 0.999999, &p, err);
        if (s != EIP_OK) {
            eip_error_prefix(err, "%s:%d: %s: ", l->src, l->lineno, l->kind);
            return s;
        }
        EIP_NN_OK(check_unused(l, err));
        s = eip_nn_dropout_add(net, name, in[0], p, &id, err);
    } else if (strcmp(k, "add") == 0) {
        if (n_in != 2)
            return lerr(l, err, EIP_ERR_FORMAT, "needs in=a,b (two inputs)");
        EIP_NN_OK(get_bool(l, "relu", 0, &flag, err));
        EIP_NN_OK(check_unused(l, err));
        s = eip_nn_sum_add(net, name, in[0], in[1], flag, &id, err);
    } else if (strcmp(k, "concat") == 0) {
        if (n_in < 2)
            return lerr(l, err, EIP_ERR_FORMAT, "needs in=a,b,... (two or more inputs)");
        EIP_NN_OK(check_unused(l, err));
        s = eip_nn_concat_add(net, name, in, n_in, &id, err);
    } else {
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s:%d: unknown layer kind '%.40s' (conv, bn, relu, maxpool, avgpool, gap, "
                             "flatten, linear, dropout, add, concat)", l->src, l->lineno, k);
    }
    if (s != EIP_OK) {
        eip_error_prefix(err, "%s:%d: ", l->src, l->lineno);
        return s;
    }
    return EIP_OK;
}

/* Splits `line` in place into kind + key=value pairs. */
static eip_status tokenize(char *line, line_ctx *l, eip_error *err)
{
    char *save = NULL;
    char *t = strtok_r(line, " \t\r", &save);
    l->kind = t;
    l->n = 0;
    while ((t = strtok_r(NULL, " \t\r", &save))) {
        char *eq = strchr(t, '=');
        if (!eq || eq == t)
            return eip_error_set(err, EIP_ERR_FORMAT, "%s:%d: %s: expected key=value, got '%.60s'",
                                 l->src, l->lineno, l->kind, t);
        *eq = '\0';
        for (int i = 0; i < l->n; i++)
            if (strcmp(l->kv[i].key, t) == 0)
                return eip_error_set(err, EIP_ERR_FORMAT, "%s:%d: %s: duplicate key '%.60s'", l->src,
                                     l->lineno, l->kind, t);
        if (l->n == MAX_KV)
            return eip_error_set(err, EIP_ERR_FORMAT, "%s:%d: %s: too many keys", l->src, l->lineno, l->kind);
        l->kv[l->n++] = (kv){t, eq + 1, 0};
    }
    return EIP_OK;
}

static eip_status parse(eip_nn_ctx *ctx, const char *text, const char *source, eip_nn_net_t **net,
                        eip_error *err)
{
    const char *p = text;
    int lineno = 0;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        lineno++;
        char line[LINE_MAX_BYTES];
        if (len >= sizeof line)
            return eip_error_set(err, EIP_ERR_FORMAT, "%s:%d: line too long", source, lineno);
        memcpy(line, p, len);
        line[len] = '\0';
        p += len + (e ? 1 : 0);
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        line_ctx l = {source, lineno, NULL, {{0}}, 0};
        EIP_NN_OK(tokenize(line, &l, err));
        if (!l.kind)
            continue;
        if (!*net) {
            if (strcmp(l.kind, "input") != 0)
                return eip_error_set(err, EIP_ERR_FORMAT, "%s:%d: the first line must be 'input c=.. h=.. w=..'",
                                     source, lineno);
            int64_t c, h, w;
            EIP_NN_OK(get_i64(&l, "c", 1, 0, 1, 65536, &c, err));
            EIP_NN_OK(get_i64(&l, "h", 1, 0, 1, 65536, &h, err));
            EIP_NN_OK(get_i64(&l, "w", 1, 0, 1, 65536, &w, err));
            for (int i = 0; i < l.n; i++)
                if (!l.kv[i].used)
                    return eip_error_set(err, EIP_ERR_FORMAT, "%s:%d: input: unknown key '%.60s'", source,
                                         lineno, l.kv[i].key);
            EIP_NN_OK(eip_nn_net_new(ctx, c, h, w, net, err));
            continue;
        }
        if (strcmp(l.kind, "input") == 0)
            return eip_error_set(err, EIP_ERR_FORMAT, "%s:%d: a second 'input' line", source, lineno);
        EIP_NN_OK(parse_layer(&l, *net, err));
    }
    if (!*net)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: no 'input' line", source);
    eip_status s = eip_nn_net_finalize(*net, err);
    if (s != EIP_OK)
        eip_error_prefix(err, "%s: ", source);
    return s;
}

eip_status eip_nn_net_config(eip_nn_ctx *ctx, const char *text, const char *source,
                             eip_nn_net_t **out, eip_error *err)
{
    *out = NULL;
    if (!text)
        return eip_error_set(err, EIP_ERR_ARG, "nn config: NULL text");
    if (!source)
        source = "config";
    eip_nn_net_t *net = NULL;
    eip_status s = parse(ctx, text, source, &net, err);
    if (s == EIP_OK) {
        size_t n = strlen(text);
        net->config_text = malloc(n + 1);
        if (!net->config_text)
            s = eip_error_set(err, EIP_ERR_NOMEM, "nn config");
        else
            memcpy(net->config_text, text, n + 1);
    }
    if (s != EIP_OK) {
        eip_nn_net_free(net);
        return s;
    }
    *out = net;
    return EIP_OK;
}

eip_status eip_nn_net_config_file(eip_nn_ctx *ctx, const char *path, eip_nn_net_t **out,
                                  eip_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    *out = NULL;
    EIP_NN_OK(eip_io_read_file(path, 1 << 20, &buf, &len, err));
    char *text = malloc(len + 1);
    if (!text) {
        free(buf);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s", path);
    }
    memcpy(text, buf, len);
    text[len] = '\0';
    free(buf);
    if (strlen(text) != len) {
        free(text);
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: NUL byte in config", path);
    }
    eip_status s = eip_nn_net_config(ctx, text, path, out, err);
    free(text);
    return s;
}
