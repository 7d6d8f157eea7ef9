/* Randomness for CS_lite: libsodium's CSPRNG, or — for known-answer tests and
 * reproducible runs only — a ChaCha20 keystream keyed by a 32-byte seed.  Both
 * feed the same rejection samplers (eip_rng_uniform here, the scalar
 * samplers in group_*.c), so a fixed seed gives fixed keys and ciphertexts. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"

struct eip_crypto_rng {
    bool seeded;
    unsigned char key[crypto_stream_chacha20_KEYBYTES];
    uint64_t block;      /* next ChaCha20 block counter */
    unsigned char buf[64];
    size_t avail;        /* unread bytes at the end of buf */
};

eip_status eip_crypto_init(eip_error *err)
{
    if (sodium_init() < 0)
        return eip_error_set(err, EIP_ERR_CRYPTO, "libsodium initialisation (sodium_init) failed");
    return EIP_OK;
}

eip_status eip_crypto_rng_new(const unsigned char *seed, eip_crypto_rng_t **out, eip_error *err)
{
    *out = NULL;
    eip_crypto_rng_t *r = calloc(1, sizeof *r);
    if (!r)
        return eip_error_set(err, EIP_ERR_NOMEM, "random generator: out of memory");
    if (seed) {
        r->seeded = true;
        memcpy(r->key, seed, sizeof r->key);
    }
    *out = r;
    return EIP_OK;
}

eip_status eip_crypto_rng_new_u64(uint64_t seed, eip_crypto_rng_t **out, eip_error *err)
{
    static const char tag[] = "encryip seed";
    unsigned char in[sizeof tag - 1 + 8], key[EIP_CRYPTO_SEED_BYTES];
    memcpy(in, tag, sizeof tag - 1);
    for (int i = 0; i < 8; i++)
        in[sizeof tag - 1 + i] = (unsigned char)(seed >> (8 * i));
    crypto_generichash(key, sizeof key, in, sizeof in, NULL, 0);
    eip_status s = eip_crypto_rng_new(key, out, err);
    sodium_memzero(key, sizeof key);
    return s;
}

void eip_crypto_rng_free(eip_crypto_rng_t *rng)
{
    if (!rng)
        return;
    sodium_memzero(rng, sizeof *rng);
    free(rng);
}

bool eip_rng_is_system(const eip_crypto_rng_t *rng) { return !rng || !rng->seeded; }

void eip_rng_bytes(eip_crypto_rng_t *rng, unsigned char *buf, size_t len)
{
    if (eip_rng_is_system(rng)) {
        randombytes_buf(buf, len);
        return;
    }
    static const unsigned char zero[64];
    static const unsigned char nonce[crypto_stream_chacha20_NONCEBYTES];
    while (len > 0) {
        if (rng->avail == 0) {
            crypto_stream_chacha20_xor_ic(rng->buf, zero, sizeof rng->buf, nonce, rng->block, rng->key);
            rng->block++;
            rng->avail = sizeof rng->buf;
        }
        size_t take = len < rng->avail ? len : rng->avail;
        memcpy(buf, rng->buf + sizeof rng->buf - rng->avail, take);
        sodium_memzero(rng->buf + sizeof rng->buf - rng->avail, take);
        rng->avail -= take;
        buf += take;
        len -= take;
    }
}

uint32_t eip_rng_uniform(eip_crypto_rng_t *rng, uint32_t upper)
{
    if (upper < 2)
        return 0;
    if (eip_rng_is_system(rng))
        return randombytes_uniform(upper);
    /* Same rejection rule as randombytes_uniform: discard the 2^32 mod upper
     * lowest values so the remainder is uniform. */
    uint32_t min = (uint32_t)(-upper) % upper, r;
    do {
        unsigned char b[4];
        eip_rng_bytes(rng, b, sizeof b);
        r = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    } while (r < min);
    return r % upper;
}
