/* Private helpers of the baseline module (src/baseline/). */
#ifndef EIP_BASELINE_INTERNAL_H
#define EIP_BASELINE_INTERNAL_H

#include "encryip/baseline.h"

/* "<layer>.<suffix>" as a parameter tensor of net with ndim dims (0 = any);
 * EIP_ERR_ARG naming `what` and the layer otherwise. */
eip_status eip_baseline_tensor(eip_nn_net_t *net, const char *what, const char *layer,
                               const char *suffix, int ndim, const eip_nn_tensor **out,
                               eip_error *err);
/* Standard normal sample (Box-Muller over the data module's generator). */
double eip_baseline_gauss(eip_data_rng *r);

#endif
