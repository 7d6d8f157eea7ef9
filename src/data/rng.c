/* xoshiro256** (Blackman & Vigna) seeded by splitmix64: a small, explicit-state
 * PRNG so shuffles and augmentation are reproducible from one seed. */
#include "encryip/data.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void eip_data_rng_seed(eip_data_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x); /* never all zero: splitmix64 is a bijection of distinct inputs */
}

uint64_t eip_data_rng_next(eip_data_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

uint64_t eip_data_rng_below(eip_data_rng *r, uint64_t bound)
{
    if (bound <= 1)
        return 0;
    /* Reject the top partial range so every value is equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t v;
    do
        v = eip_data_rng_next(r);
    while (v >= limit);
    return v % bound;
}

double eip_data_rng_uniform(eip_data_rng *r)
{
    return (double)(eip_data_rng_next(r) >> 11) * 0x1.0p-53;
}

void eip_data_rng_shuffle(eip_data_rng *r, int64_t *idx, int64_t n)
{
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)eip_data_rng_below(r, (uint64_t)i + 1);
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}
