/* Shared pieces of the baselines: tensor lookup by layer name, normal
 * samples. */
#include <math.h>
#include <stdio.h>

#include "baseline/internal.h"

eip_status eip_baseline_tensor(eip_nn_net_t *net, const char *what, const char *layer,
                               const char *suffix, int ndim, const eip_nn_tensor **out,
                               eip_error *err)
{
    char name[256];
    if (!layer || !*layer)
        return eip_error_set(err, EIP_ERR_ARG, "%s: no layer given", what);
    if (snprintf(name, sizeof name, "%s.%s", layer, suffix) >= (int)sizeof name)
        return eip_error_set(err, EIP_ERR_ARG, "%s: layer name '%.40s...' is too long", what, layer);
    const eip_nn_tensor *t = eip_nn_tensor_find(net, name);
    if (!t || t->kind != EIP_NN_TENSOR_PARAM)
        return eip_error_set(err, EIP_ERR_ARG, "%s: layer '%s' has no parameter %s", what, layer, name);
    if (ndim > 0 && t->ndim != ndim)
        return eip_error_set(err, EIP_ERR_ARG, "%s: %s has %d dimensions, expected %d (is '%s' a %s?)",
                             what, name, t->ndim, ndim, layer, ndim == 4 ? "conv layer" : "norm layer");
    *out = t;
    return EIP_OK;
}

double eip_baseline_gauss(eip_data_rng *r)
{
    double u1 = eip_data_rng_uniform(r), u2 = eip_data_rng_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
