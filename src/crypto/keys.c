/* Key objects: lifetime (secret ones are wiped on free) and accessors. */
#include <sodium.h>
#include <stdlib.h>

#include "crypto/internal.h"

void eip_crypto_pk_free(eip_crypto_pk_t *pk)
{
    if (!pk)
        return;
    eip_group_free(&pk->grp);
    eip_rfast_free(pk->fast);
    free(pk);
}

void eip_crypto_sk_free(eip_crypto_sk_t *sk)
{
    if (!sk)
        return;
    eip_group_free(&sk->grp);
    eip_rfast_labels_free(sk->labels);
    sodium_memzero(sk, sizeof *sk);
    free(sk);
}

void eip_crypto_master_free(eip_crypto_master_t *m)
{
    if (!m)
        return;
    if (m->b)
        sodium_memzero(m->b, (size_t)m->cap * sizeof *m->b);
    free(m->b);
    eip_group_free(&m->grp);
    sodium_memzero(m, sizeof *m);
    free(m);
}

void eip_crypto_secret_free(unsigned char *buf, size_t len)
{
    if (!buf)
        return;
    sodium_memzero(buf, len);
    free(buf);
}

eip_crypto_group_id eip_crypto_pk_group(const eip_crypto_pk_t *pk) { return pk->grp.ops->id; }
int32_t eip_crypto_pk_classes(const eip_crypto_pk_t *pk) { return pk->grp.z; }
int64_t eip_crypto_pk_q(const eip_crypto_pk_t *pk) { return pk->grp.q; }
const unsigned char *eip_crypto_pk_id(const eip_crypto_pk_t *pk) { return pk->id; }

int32_t eip_crypto_pk_elem_label(const eip_crypto_pk_t *pk, const eip_crypto_elem *m)
{
    return pk->grp.ops->elem_label(&pk->grp, m);
}

eip_crypto_group_id eip_crypto_sk_group(const eip_crypto_sk_t *sk) { return sk->grp.ops->id; }
int32_t eip_crypto_sk_classes(const eip_crypto_sk_t *sk) { return sk->grp.z; }
int64_t eip_crypto_sk_index(const eip_crypto_sk_t *sk) { return sk->index; }
const unsigned char *eip_crypto_sk_pk_id(const eip_crypto_sk_t *sk) { return sk->pk_id; }

int eip_crypto_sk_equal(const eip_crypto_sk_t *x, const eip_crypto_sk_t *y)
{
    int same = eip_group_same(&x->grp, &y->grp);
    same &= sodium_memcmp(x->pk_id, y->pk_id, sizeof x->pk_id) == 0;
    same &= sodium_memcmp(x->a.b, y->a.b, sizeof x->a.b) == 0;
    same &= sodium_memcmp(x->b.b, y->b.b, sizeof x->b.b) == 0;
    return same;
}

int64_t eip_crypto_master_licensees(const eip_crypto_master_t *m) { return m->count; }
const unsigned char *eip_crypto_master_pk_id(const eip_crypto_master_t *m) { return m->pk_id; }
eip_crypto_group_id eip_crypto_master_group(const eip_crypto_master_t *m) { return m->grp.ops->id; }

eip_status eip_crypto_sk_check_pk(const eip_crypto_sk_t *sk, const unsigned char *pk_id,
                                  const char *what, eip_error *err)
{
    if (sodium_memcmp(sk->pk_id, pk_id, EIP_CRYPTO_PKID_BYTES) != 0)
        return eip_error_set(err, EIP_ERR_CRYPTO,
                             "%s: key belongs to another public key (licensee %lld of key id "
                             "%02x%02x%02x%02x..., the data is for key id %02x%02x%02x%02x...)",
                             what, (long long)sk->index, sk->pk_id[0], sk->pk_id[1], sk->pk_id[2],
                             sk->pk_id[3], pk_id[0], pk_id[1], pk_id[2], pk_id[3]);
    return EIP_OK;
}
