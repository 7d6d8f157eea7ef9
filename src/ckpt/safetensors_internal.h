/* Private helpers shared by the safetensors reader and writer. */
#ifndef EIP_CKPT_SAFETENSORS_INTERNAL_H
#define EIP_CKPT_SAFETENSORS_INTERNAL_H

#include <stdint.h>

#include "encryip/ckpt.h"

/* Tensor bytes are passed through unchanged, and safetensors data is
 * little-endian: a big-endian host would need byte swaps we do not have. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "encryip ckpt: safetensors I/O assumes a little-endian host"
#endif

/* Offsets and sizes must stay exact as JSON numbers (cJSON keeps doubles). */
#define EIP_CKPT_MAX_JSON_INT ((uint64_t)1 << 53)

/* dtype from its safetensors name; -1 if unknown. */
int eip_ckpt_dtype_parse(const char *name);

/* product(shape) * element size into *nbytes; 0 on success, -1 on overflow
 * past EIP_CKPT_MAX_JSON_INT. */
int eip_ckpt_tensor_nbytes(eip_ckpt_dtype dtype, int ndim, const int64_t *shape,
                           uint64_t *nbytes);

#endif
