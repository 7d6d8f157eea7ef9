/* libFuzzer target: the safetensors reader from memory.  Any input must be
 * either accepted (then every tensor is fully readable and lookups agree) or
 * refused with an error message, without crashes, leaks or UB. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "encryip/ckpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eip_error err = {0};
    eip_ckpt_reader_t *r = NULL;
    if (eip_ckpt_reader_open_memory(&r, data, size, "fuzz", &err) != EIP_OK) {
        if (err.msg[0] == '\0')
            __builtin_trap(); /* every refusal explains itself */
        return 0;
    }
    volatile unsigned sum = 0;
    for (size_t i = 0; i < eip_ckpt_reader_count(r); i++) {
        const eip_ckpt_tensor *t = eip_ckpt_reader_at(r, i);
        const eip_ckpt_tensor *u = NULL;
        if (eip_ckpt_reader_find(r, t->name, &u, &err) != EIP_OK || u != t)
            __builtin_trap();
        const unsigned char *p = t->data;
        for (size_t b = 0; b < t->nbytes; b++)
            sum += p[b]; /* touch every byte: ASan checks the bounds */
    }
    (void)sum;
    for (size_t i = 0; i < eip_ckpt_reader_meta_count(r); i++) {
        const eip_ckpt_meta *kv = eip_ckpt_reader_meta_at(r, i);
        if (eip_ckpt_reader_meta(r, kv->key) != kv->value)
            __builtin_trap();
    }
    eip_ckpt_reader_free(r);
    return 0;
}
