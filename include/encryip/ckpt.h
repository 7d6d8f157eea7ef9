/* encryip ckpt module — checkpoints in the safetensors layout.
 *
 * File = u64 little-endian header length H, H bytes of JSON header
 *   {"__metadata__": {"key": "value", ...},
 *    "tensor.name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...}
 * then the raw little-endian data buffer; offsets are relative to the buffer
 * start, tensors are contiguous, non-overlapping and cover the buffer exactly.
 * Details and validation rules: docs/FORMATS.md "Checkpoints (safetensors)".
 * PyTorch side: tools/safetensors_torch.py. */
#ifndef ENCRYIP_CKPT_H
#define ENCRYIP_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "encryip/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum eip_ckpt_dtype {
    EIP_CKPT_F32 = 0, /* "F32" */
    EIP_CKPT_F64 = 1, /* "F64" */
    EIP_CKPT_I64 = 2, /* "I64": counters (num_batches_tracked), steps */
    EIP_CKPT_I32 = 3, /* "I32" */
    EIP_CKPT_U8 = 4   /* "U8": masks */
} eip_ckpt_dtype;

#define EIP_CKPT_MAX_DIMS 8
/* Reader limits: the JSON header may not exceed this many bytes (as in the
 * reference implementation); whole files are read into memory. */
#define EIP_CKPT_MAX_HEADER_BYTES ((uint64_t)100 * 1024 * 1024)

/* safetensors name ("F32") and element size of a dtype; NULL / 0 if unknown. */
const char *eip_ckpt_dtype_name(eip_ckpt_dtype dtype);
size_t eip_ckpt_dtype_size(eip_ckpt_dtype dtype);

/* One named tensor.  ndim = 0 is a scalar (one element). */
typedef struct eip_ckpt_tensor {
    const char *name;
    eip_ckpt_dtype dtype;
    int ndim;                         /* 0 .. EIP_CKPT_MAX_DIMS */
    int64_t shape[EIP_CKPT_MAX_DIMS]; /* first ndim used, each >= 0 */
    const void *data;                 /* [shape...] row-major, nbytes bytes */
    size_t nbytes;                    /* reader: filled in; writer: ignored (computed) */
} eip_ckpt_tensor;

typedef struct eip_ckpt_meta {
    const char *key;
    const char *value;
} eip_ckpt_meta;

/* ---- Writer ---------------------------------------------------------- */

/* Writes tensors + string metadata to path atomically (nothing appears at
 * path unless the whole file is written).  Names must be non-empty, unique
 * and not "__metadata__"; metadata keys unique.  Tensors are laid out in the
 * buffer by decreasing element size (stable), so every tensor is aligned to
 * its element size; the header is padded with spaces to a multiple of 8. */
eip_status eip_ckpt_write(const char *path, const eip_ckpt_tensor *tensors, size_t n_tensors,
                          const eip_ckpt_meta *meta, size_t n_meta, eip_error *err);

/* Same bytes into a malloc'd buffer (*out, caller frees). */
eip_status eip_ckpt_encode(const eip_ckpt_tensor *tensors, size_t n_tensors,
                           const eip_ckpt_meta *meta, size_t n_meta,
                           unsigned char **out, size_t *out_len, eip_error *err);

/* ---- Reader ---------------------------------------------------------- */

typedef struct eip_ckpt_reader eip_ckpt_reader_t;

/* Loads and strictly validates a file; any violation is EIP_ERR_FORMAT with a
 * message naming the file (and the tensor / key when there is one). */
eip_status eip_ckpt_reader_open(eip_ckpt_reader_t **out, const char *path, eip_error *err);

/* Same from memory (data is copied); `name` stands in for the file name in
 * error messages (NULL = "<memory>"). */
eip_status eip_ckpt_reader_open_memory(eip_ckpt_reader_t **out, const void *data, size_t len,
                                       const char *name, eip_error *err);

void eip_ckpt_reader_free(eip_ckpt_reader_t *r);

/* Tensors in buffer order (i < count).  Pointers stay valid until free; data
 * is aligned to the element size. */
size_t eip_ckpt_reader_count(const eip_ckpt_reader_t *r);
const eip_ckpt_tensor *eip_ckpt_reader_at(const eip_ckpt_reader_t *r, size_t i);

/* Tensor by name; EIP_ERR_NOT_FOUND naming the file and the tensor. */
eip_status eip_ckpt_reader_find(const eip_ckpt_reader_t *r, const char *name,
                                const eip_ckpt_tensor **out, eip_error *err);

/* Tensor by name with an expected dtype and shape (ndim < 0: any shape):
 * EIP_ERR_NOT_FOUND / EIP_ERR_SHAPE naming file, tensor, expected and found. */
eip_status eip_ckpt_reader_expect(const eip_ckpt_reader_t *r, const char *name,
                                  eip_ckpt_dtype dtype, int ndim, const int64_t *shape,
                                  const void **data, eip_error *err);

/* Metadata value for key, NULL if absent. */
const char *eip_ckpt_reader_meta(const eip_ckpt_reader_t *r, const char *key);
size_t eip_ckpt_reader_meta_count(const eip_ckpt_reader_t *r);
/* i-th metadata pair (sorted by key); NULL if out of range. */
const eip_ckpt_meta *eip_ckpt_reader_meta_at(const eip_ckpt_reader_t *r, size_t i);

/* The name used in messages (the path, or open_memory's name). */
const char *eip_ckpt_reader_name(const eip_ckpt_reader_t *r);

#ifdef __cplusplus
}
#endif
#endif
