/* CS_lite throughput on one core, both groups: Enc, Dec, SampDist, Fake
 * operations per second (median of 5 repeats), and SampDist time relative to
 * its floor, three raw exponentiations (ristretto255: 3 x
 * crypto_scalarmult_ristretto255; paper: 3 x modular exponentiation).
 * Not a test.  Run: ./build/bench_crypto   (figures: docs/BENCHMARKS.md) */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/internal.h"
#include "encryip/crypto.h"

#define REPEATS 5

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct bench_ctx {
    eip_crypto_pk_t *pk;
    eip_crypto_sk_t *sk;
    eip_crypto_ct c;
    eip_crypto_elem base;
    unsigned char scalar[32];
    volatile unsigned sink;
} bench_ctx;

typedef void (*op_fn)(bench_ctx *x);

static void op_enc(bench_ctx *x)
{
    eip_crypto_ct c;
    eip_crypto_enc(x->pk, 3, NULL, &c, NULL);
    x->sink += c.u[2].b[0];
}
static void op_dec(bench_ctx *x)
{
    eip_crypto_elem m;
    eip_crypto_dec(x->sk, &x->c, &m, NULL);
    x->sink += m.b[0];
}
static void op_sampdist(bench_ctx *x)
{
    eip_crypto_ct c;
    eip_crypto_sampdist(x->pk, &x->c, NULL, &c, NULL);
    x->sink += c.u[2].b[0];
}
static void op_fake(bench_ctx *x)
{
    eip_crypto_ct c;
    eip_crypto_fake(x->pk, NULL, &c, NULL);
    x->sink += c.u[2].b[0];
}
static void op_floor(bench_ctx *x) /* 3 raw exponentiations */
{
    unsigned char out[32];
    if (eip_crypto_pk_group(x->pk) == EIP_CRYPTO_GROUP_RISTRETTO255) {
        for (int i = 0; i < 3; i++) {
            if (crypto_scalarmult_ristretto255(out, x->scalar, x->base.b) != 0)
                out[0] = 0;
            x->sink += out[0];
        }
    } else {
        uint32_t q = (uint32_t)eip_crypto_pk_q(x->pk), e = x->scalar[0] % (q - 1);
        for (int i = 0; i < 3; i++)
            x->sink += eip_paper_powmod(eip_paper_get(&x->base) + (uint32_t)i, e + (uint32_t)x->sink % 2, q);
    }
}

/* median seconds per operation */
static double measure(bench_ctx *x, op_fn f, int iters)
{
    double t[REPEATS];
    for (int r = 0; r < REPEATS; r++) {
        double t0 = now();
        for (int i = 0; i < iters; i++)
            f(x);
        t[r] = (now() - t0) / iters;
    }
    qsort(t, REPEATS, sizeof t[0], cmp_d);
    return t[REPEATS / 2];
}

int main(void)
{
    eip_error err = {0};
    if (eip_crypto_init(&err) != EIP_OK) {
        fprintf(stderr, "bench_crypto: %s\n", err.msg);
        return 1;
    }
    printf("%-14s %-9s %14s %14s\n", "group", "op", "ops/s", "us/op");
    for (int gi = 0; gi < 2; gi++) {
        eip_crypto_group_id g = gi ? EIP_CRYPTO_GROUP_RISTRETTO255 : EIP_CRYPTO_GROUP_PAPER;
        eip_crypto_params prm = {g, 10, 0};
        bench_ctx x = {0};
        eip_crypto_master_t *m;
        if (eip_crypto_gen(&prm, 3, NULL, &x.pk, &m, &err) || eip_crypto_master_sk(m, 2, &x.sk, &err) ||
            eip_crypto_enc(x.pk, 7, NULL, &x.c, &err)) {
            fprintf(stderr, "bench_crypto: %s\n", err.msg);
            return 1;
        }
        x.base = x.c.u[1];
        crypto_core_ristretto255_scalar_random(x.scalar);
        int iters = g == EIP_CRYPTO_GROUP_PAPER ? 200000 : 1000;
        const char *names[] = {"Enc", "Dec", "SampDist", "Fake", "3xexp"};
        op_fn fns[] = {op_enc, op_dec, op_sampdist, op_fake, op_floor};
        double sec[5];
        for (int k = 0; k < 5; k++) {
            sec[k] = measure(&x, fns[k], iters);
            printf("%-14s %-9s %14.0f %14.2f\n", eip_crypto_group_name(g), names[k], 1.0 / sec[k], 1e6 * sec[k]);
        }
        printf("%-14s SampDist / 3 raw exponentiations = %.2f\n\n", eip_crypto_group_name(g), sec[2] / sec[4]);
        eip_crypto_sk_free(x.sk);
        eip_crypto_pk_free(x.pk);
        eip_crypto_master_free(m);
    }
    return 0;
}
