/* The model zoo (docs/ZOO.md), declared as tables: smallcnn, resnet18
 * (kuangliu/pytorch-cifar), alexnet (CIFAR variant, bearpaw), googlenet
 * (kuangliu).  Node / parameter names follow the PyTorch module names of
 * tools/torch_zoo.py, and nodes are added in PyTorch registration order, so
 * the tensor list is the state_dict order.
 * Shapes: input [N, C_in, H, W] -> logits [N, K]; channels ch(c) = max(1,
 * floor(c*width + 0.5)). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn_internal.h"

int64_t eip_nn_ch(int64_t c, double width)
{
    int64_t v = (int64_t)floor((double)c * width + 0.5);
    return v < 1 ? 1 : v;
}

/* conv -> BN(+ReLU), the building block of three of the four models */
static eip_status conv_bn(eip_nn_net_t *net, const char *conv_name, const char *bn_name, int in,
                          int64_t out_c, int64_t k, int64_t stride, int64_t pad, int bias,
                          int relu, int *id, eip_error *err)
{
    int c;
    EIP_NN_OK(eip_nn_conv_add(net, conv_name, in, out_c, k, stride, pad, bias, &c, err));
    return eip_nn_bn_add(net, bn_name, c, relu, id, err);
}

/* ---- smallcnn ---- */
static const struct { const char *conv, *bn; int64_t c; int pool; } smallcnn_tab[] = {
    {"conv1", "bn1", 32, 0}, {"conv2", "bn2", 32, 1}, {"conv3", "bn3", 64, 0}, {"conv4", "bn4", 64, 1},
};

static eip_status build_smallcnn(eip_nn_net_t *net, const eip_nn_arch *a, eip_error *err)
{
    int x = 0;
    for (size_t i = 0; i < sizeof smallcnn_tab / sizeof *smallcnn_tab; i++) {
        EIP_NN_OK(conv_bn(net, smallcnn_tab[i].conv, smallcnn_tab[i].bn, x, eip_nn_ch(smallcnn_tab[i].c, a->width),
                          3, 1, 1, 0, 1, &x, err));
        if (smallcnn_tab[i].pool)
            EIP_NN_OK(eip_nn_pool_add(net, NULL, x, EIP_NN_POOL_MAX, 2, 2, 0, &x, err));
    }
    EIP_NN_OK(eip_nn_flatten_add(net, NULL, x, &x, err));
    EIP_NN_OK(eip_nn_linear_add(net, "fc1", x, eip_nn_ch(128, a->width), 1, &x, err));
    EIP_NN_OK(eip_nn_relu_add(net, NULL, x, &x, err));
    EIP_NN_OK(eip_nn_dropout_add(net, "dropout", x, 0.3, &x, err));
    return eip_nn_linear_add(net, "fc2", x, a->k, 1, &x, err);
}

/* ---- resnet18 ---- */
static const struct { int64_t c, stride; } resnet18_stages[4] = {{64, 1}, {128, 2}, {256, 2}, {512, 2}};
#define RESNET18_BLOCKS 2

static eip_status basic_block(eip_nn_net_t *net, const char *pre, int x, int64_t cin, int64_t cout,
                              int64_t stride, int *out, eip_error *err)
{
    char n1[EIP_NN_NAME_MAX], n2[EIP_NN_NAME_MAX];
    int y, sc = x;
    snprintf(n1, sizeof n1, "%s.conv1", pre);
    snprintf(n2, sizeof n2, "%s.bn1", pre);
    EIP_NN_OK(conv_bn(net, n1, n2, x, cout, 3, stride, 1, 0, 1, &y, err));
    snprintf(n1, sizeof n1, "%s.conv2", pre);
    snprintf(n2, sizeof n2, "%s.bn2", pre);
    EIP_NN_OK(conv_bn(net, n1, n2, y, cout, 3, 1, 1, 0, 0, &y, err));
    if (stride != 1 || cin != cout) {
        snprintf(n1, sizeof n1, "%s.shortcut.0", pre);
        snprintf(n2, sizeof n2, "%s.shortcut.1", pre);
        EIP_NN_OK(conv_bn(net, n1, n2, x, cout, 1, stride, 0, 0, 0, &sc, err));
    }
    snprintf(n1, sizeof n1, "%s.add", pre);
    return eip_nn_sum_add(net, n1, y, sc, 1, out, err); /* ReLU(bn2 + shortcut) */
}

static eip_status build_resnet18(eip_nn_net_t *net, const eip_nn_arch *a, eip_error *err)
{
    int x;
    int64_t cin = eip_nn_ch(64, a->width);
    EIP_NN_OK(conv_bn(net, "conv1", "bn1", 0, cin, 3, 1, 1, 0, 1, &x, err));
    for (int s = 0; s < 4; s++) {
        int64_t cout = eip_nn_ch(resnet18_stages[s].c, a->width);
        for (int b = 0; b < RESNET18_BLOCKS; b++) {
            char pre[32];
            snprintf(pre, sizeof pre, "layer%d.%d", s + 1, b);
            EIP_NN_OK(basic_block(net, pre, x, cin, cout, b == 0 ? resnet18_stages[s].stride : 1, &x, err));
            cin = cout;
        }
    }
    EIP_NN_OK(eip_nn_gap_add(net, NULL, x, &x, err));
    EIP_NN_OK(eip_nn_flatten_add(net, NULL, x, &x, err));
    return eip_nn_linear_add(net, "linear", x, a->k, 1, &x, err);
}

/* ---- alexnet (CIFAR) ---- */
static const struct { int idx; int64_t c, k, stride, pad; int pool; } alexnet_tab[] = {
    {0, 64, 11, 4, 5, 1}, {3, 192, 5, 1, 2, 1}, {6, 384, 3, 1, 1, 0}, {8, 256, 3, 1, 1, 0},
    {10, 256, 3, 1, 1, 2}, /* pool 2: only if the map is at least 2x2 (docs/ZOO.md) */
};

static eip_status build_alexnet(eip_nn_net_t *net, const eip_nn_arch *a, eip_error *err)
{
    int x = 0;
    for (size_t i = 0; i < sizeof alexnet_tab / sizeof *alexnet_tab; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "features.%d", alexnet_tab[i].idx);
        EIP_NN_OK(eip_nn_conv_add(net, nm, x, eip_nn_ch(alexnet_tab[i].c, a->width), alexnet_tab[i].k,
                                  alexnet_tab[i].stride, alexnet_tab[i].pad, 1, &x, err));
        EIP_NN_OK(eip_nn_relu_add(net, NULL, x, &x, err));
        const eip_nn_shape *s = eip_nn_node_shape(net, x);
        if (alexnet_tab[i].pool == 1 || (alexnet_tab[i].pool == 2 && s->h >= 2 && s->w >= 2))
            EIP_NN_OK(eip_nn_pool_add(net, NULL, x, EIP_NN_POOL_MAX, 2, 2, 0, &x, err));
    }
    EIP_NN_OK(eip_nn_flatten_add(net, NULL, x, &x, err));
    return eip_nn_linear_add(net, "classifier", x, a->k, 1, &x, err);
}

/* ---- googlenet (CIFAR) ---- */
static const struct { const char *name; int64_t n1, r3, n3, r5, n5, pp; } googlenet_tab[] = {
    {"a3", 64, 96, 128, 16, 32, 32},     {"b3", 128, 128, 192, 32, 96, 64},   {NULL, 0, 0, 0, 0, 0, 0},
    {"a4", 192, 96, 208, 16, 48, 64},    {"b4", 160, 112, 224, 24, 64, 64},   {"c4", 128, 128, 256, 24, 64, 64},
    {"d4", 112, 144, 288, 32, 64, 64},   {"e4", 256, 160, 320, 32, 128, 128}, {NULL, 0, 0, 0, 0, 0, 0},
    {"a5", 256, 160, 320, 32, 128, 128}, {"b5", 384, 192, 384, 48, 128, 128},
};

/* conv(k, pad) -> BN -> ReLU named <pre>.<i>, <pre>.<i+1> */
static eip_status cbr(eip_nn_net_t *net, const char *pre, int i, int x, int64_t c, int64_t k,
                      int64_t pad, int *out, eip_error *err)
{
    char cn[EIP_NN_NAME_MAX], bn[EIP_NN_NAME_MAX];
    snprintf(cn, sizeof cn, "%s.%d", pre, i);
    snprintf(bn, sizeof bn, "%s.%d", pre, i + 1);
    return conv_bn(net, cn, bn, x, c, k, 1, pad, 1, 1, out, err);
}

static eip_status inception(eip_nn_net_t *net, const char *nm, int x, const int64_t c[6], int *out,
                            eip_error *err)
{
    char pre[EIP_NN_NAME_MAX];
    int br[4], y;
    snprintf(pre, sizeof pre, "%s.b1", nm);
    EIP_NN_OK(cbr(net, pre, 0, x, c[0], 1, 0, &br[0], err));
    snprintf(pre, sizeof pre, "%s.b2", nm);
    EIP_NN_OK(cbr(net, pre, 0, x, c[1], 1, 0, &y, err));
    EIP_NN_OK(cbr(net, pre, 3, y, c[2], 3, 1, &br[1], err));
    snprintf(pre, sizeof pre, "%s.b3", nm);
    EIP_NN_OK(cbr(net, pre, 0, x, c[3], 1, 0, &y, err));
    EIP_NN_OK(cbr(net, pre, 3, y, c[4], 3, 1, &y, err));
    EIP_NN_OK(cbr(net, pre, 6, y, c[4], 3, 1, &br[2], err));
    snprintf(pre, sizeof pre, "%s.b4.0", nm);
    EIP_NN_OK(eip_nn_pool_add(net, pre, x, EIP_NN_POOL_MAX, 3, 1, 1, &y, err));
    snprintf(pre, sizeof pre, "%s.b4", nm);
    EIP_NN_OK(cbr(net, pre, 1, y, c[5], 1, 0, &br[3], err));
    snprintf(pre, sizeof pre, "%s.cat", nm);
    return eip_nn_concat_add(net, pre, br, 4, out, err);
}

static eip_status build_googlenet(eip_nn_net_t *net, const eip_nn_arch *a, eip_error *err)
{
    int x;
    EIP_NN_OK(cbr(net, "pre_layers", 0, 0, eip_nn_ch(192, a->width), 3, 1, &x, err));
    int pools = 0;
    for (size_t i = 0; i < sizeof googlenet_tab / sizeof *googlenet_tab; i++) {
        if (!googlenet_tab[i].name) {
            char nm[32];
            snprintf(nm, sizeof nm, "maxpool%d", ++pools);
            EIP_NN_OK(eip_nn_pool_add(net, nm, x, EIP_NN_POOL_MAX, 3, 2, 1, &x, err));
            continue;
        }
        int64_t c[6] = {googlenet_tab[i].n1, googlenet_tab[i].r3, googlenet_tab[i].n3,
                        googlenet_tab[i].r5, googlenet_tab[i].n5, googlenet_tab[i].pp};
        for (int j = 0; j < 6; j++)
            c[j] = eip_nn_ch(c[j], a->width);
        EIP_NN_OK(inception(net, googlenet_tab[i].name, x, c, &x, err));
    }
    EIP_NN_OK(eip_nn_gap_add(net, NULL, x, &x, err));
    EIP_NN_OK(eip_nn_flatten_add(net, NULL, x, &x, err));
    return eip_nn_linear_add(net, "linear", x, a->k, 1, &x, err);
}

static const struct {
    const char *name;
    eip_status (*build)(eip_nn_net_t *, const eip_nn_arch *, eip_error *);
} zoo_tab[] = {
    {"smallcnn", build_smallcnn}, {"resnet18", build_resnet18},
    {"alexnet", build_alexnet},   {"googlenet", build_googlenet},
};

eip_status eip_nn_net_zoo(eip_nn_ctx *ctx, const eip_nn_arch *arch, eip_nn_net_t **out,
                          eip_error *err)
{
    *out = NULL;
    if (!arch)
        return eip_error_set(err, EIP_ERR_ARG, "nn zoo: NULL arch");
    size_t i = 0, nz = sizeof zoo_tab / sizeof *zoo_tab;
    while (i < nz && strcmp(zoo_tab[i].name, arch->zoo) != 0)
        i++;
    if (i == nz)
        return eip_error_set(err, EIP_ERR_ARG,
                             "nn zoo: unknown model '%.32s' (smallcnn, resnet18, alexnet, googlenet)", arch->zoo);
    if (!(arch->width > 0.0 && arch->width <= 16.0))
        return eip_error_set(err, EIP_ERR_RANGE, "nn zoo %s: width %g outside (0, 16]", arch->zoo, arch->width);
    if (arch->k < 1 || arch->k > (1 << 24))
        return eip_error_set(err, EIP_ERR_RANGE, "nn zoo %s: output width %lld", arch->zoo, (long long)arch->k);
    eip_nn_net_t *net;
    EIP_NN_OK(eip_nn_net_new(ctx, arch->c_in, arch->h, arch->w, &net, err));
    eip_status s = zoo_tab[i].build(net, arch, err);
    if (s == EIP_OK)
        s = eip_nn_net_finalize(net, err);
    if (s != EIP_OK) {
        eip_error_prefix(err, "nn zoo %s (%lldx%lldx%lld, width %g): ", arch->zoo, (long long)arch->c_in,
                         (long long)arch->h, (long long)arch->w, arch->width);
        eip_nn_net_free(net);
        return s;
    }
    net->arch = *arch;
    net->has_arch = 1;
    *out = net;
    return EIP_OK;
}
