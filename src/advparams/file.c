/* Applying an AdvParams key to a model file's bytes: only the perturbed
 * 4-byte values change, the header, metadata and every other tensor are
 * copied byte for byte — so the encrypted file does not differ from the
 * original anywhere else, and the decrypted file is the original file. */
#include <stdlib.h>
#include <string.h>

#include "encryip/advparams.h"
#include "encryip/ckpt.h"
#include "util/io.h"

#define MODEL_MAX_BYTES ((size_t)4 << 30)

eip_status eip_advparams_file_apply(const char *in_path, const char *out_path,
                                    const eip_advparams_key *key, int encrypt, eip_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_ckpt_reader_t *r = NULL;
    eip_status s = eip_io_read_file(in_path, MODEL_MAX_BYTES, &buf, &len, err);
    if (s != EIP_OK)
        return s;
    if ((s = eip_ckpt_reader_open_memory(&r, buf, len, in_path, err)) != EIP_OK)
        goto done;
    /* The reader validated that the tensors tile its copy of the data
     * buffer exactly, so the lowest data pointer is the buffer start, which
     * sits at 8 + header length in the file. */
    const size_t nt = eip_ckpt_reader_count(r);
    const unsigned char *base = NULL;
    for (size_t i = 0; i < nt; i++) {
        const eip_ckpt_tensor *t = eip_ckpt_reader_at(r, i);
        if (t->nbytes && (!base || (const unsigned char *)t->data < base))
            base = t->data;
    }
    const uint64_t hlen = eip_le_get_u64(buf);
    for (int64_t i = 0; i < key->n && s == EIP_OK; i++) {
        const eip_advparams_entry *e = &key->entries[i];
        const eip_ckpt_tensor *t = NULL;
        if ((s = eip_ckpt_reader_find(r, e->tensor, &t, err)) != EIP_OK)
            break;
        if (t->dtype != EIP_CKPT_F32 || (uint64_t)e->index >= t->nbytes / 4) {
            s = eip_error_set(err, EIP_ERR_CRYPTO, "%s: key entry %lld: no float parameter %s[%lld]", in_path,
                              (long long)i, e->tensor, (long long)e->index);
            break;
        }
        const size_t off = (size_t)(8 + hlen) + (size_t)((const unsigned char *)t->data - base) + 4 * (size_t)e->index;
        const uint32_t from = encrypt ? e->orig_bits : e->enc_bits, to = encrypt ? e->enc_bits : e->orig_bits;
        if (off + 4 > len || eip_le_get_u32(buf + off) != from) {
            s = eip_error_set(err, EIP_ERR_CRYPTO, "%s: %s[%lld] does not hold the %s value of the key", in_path,
                              e->tensor, (long long)e->index, encrypt ? "original" : "encrypted");
            break;
        }
        eip_le_put_u32(buf + off, to);
    }
    if (s == EIP_OK)
        s = eip_io_write_atomic(out_path, buf, len, EIP_IO_MODE_PUBLIC, err);
done:
    eip_ckpt_reader_free(r);
    free(buf);
    return s;
}
