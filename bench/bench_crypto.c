/* CS_lite throughput, both groups: Enc, Dec, Dec+label, SampDist, Fake and
 * SampDist of a codebook slot (a deployment answering one request)
 * operations per second on the calling thread (pin it to one core with
 * taskset), thread CPU time, median of 11 repeats, the plain libsodium-only
 * path ("plain") and the library's path ("new": libdecaf fixed-base tables
 * and double-scalar Dec for ristretto255; the paper group has one path) side
 * by side, measured alternately so both see the same machine load.  Then the
 * batch entry points (eip_crypto_*_batch, both paths, alternately) on 1 and
 * 2 threads, and SampDist relative to three raw exponentiations
 * (ristretto255: 3 x crypto_scalarmult_ristretto255; paper: 3 x modular
 * exponentiation).
 * Not a test.  Run: taskset -c 1 ./build/bench/bench_crypto
 * (figures: docs/BENCHMARKS.md) */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/internal.h"
#include "encryip/crypto.h"

#include "bench_util.h"

#define REPEATS 11
#define BATCH 2000

typedef struct bench_ctx {
    eip_crypto_pk_t *pk;
    eip_crypto_sk_t *sk;
    eip_crypto_ct c;
    eip_crypto_codebook_t *cb; /* the z codewords + 4 Fakes, as a deployment's */
    int64_t slot;
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
/* a deployment's answer: SampDist of the codebook slot Φ^-1 chose, one
 * request at a time (the codewords kept decoded by the codebook) */
static void op_sampdist_slot(bench_ctx *x)
{
    eip_crypto_ct c;
    eip_crypto_sampdist_slots(x->pk, x->cb, &x->slot, 1, NULL, 1, &c, NULL);
    x->sink += c.u[2].b[0];
}
static void op_dec_label(bench_ctx *x)
{
    int32_t y;
    eip_crypto_dec_label(x->sk, &x->c, &y, NULL);
    x->sink += (unsigned)y;
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

static void set_plain(bench_ctx *x, bool plain)
{
    x->pk->grp.plain = plain;
    x->sk->grp.plain = plain;
}

/* median seconds per operation, plain [0] and new [1] measured alternately */
static void measure2(bench_ctx *x, op_fn f, int iters, double sec[2])
{
    double t[2][REPEATS];
    for (int r = 0; r < REPEATS; r++)
        for (int p = 0; p < 2; p++) {
            set_plain(x, p == 0);
            double t0 = bench_thread_cpu_s();
            for (int i = 0; i < iters; i++)
                f(x);
            t[p][r] = (bench_thread_cpu_s() - t0) / iters;
        }
    set_plain(x, false);
    for (int p = 0; p < 2; p++) {
        qsort(t[p], REPEATS, sizeof t[p][0], bench_cmp_double);
        sec[p] = t[p][REPEATS / 2];
    }
}

/* median seconds per item of a batch call on `threads` threads, plain [0]
 * and new [1] alternately (1 thread: the calling thread's CPU time,
 * comparable with the lines above; 2: wall time) */
static void measure_batch(bench_ctx *x, int dec, int threads, eip_crypto_ct *buf, int32_t *lab, double sec[2])
{
    double t[2][REPEATS];
    eip_error err = {0};
    for (int r = 0; r < REPEATS; r++)
        for (int p = 0; p < 2; p++) {
            set_plain(x, p == 0);
            for (int i = 0; i < BATCH; i++)
                buf[i] = x->c;
            double t0 = threads == 1 ? bench_thread_cpu_s() : bench_wall_s();
            eip_status s = dec ? eip_crypto_dec_label_batch(x->sk, buf, BATCH, threads, lab, &err)
                               : eip_crypto_sampdist_batch(x->pk, buf, BATCH, NULL, threads, buf, &err);
            t[p][r] = ((threads == 1 ? bench_thread_cpu_s() : bench_wall_s()) - t0) / BATCH;
            if (s)
                fprintf(stderr, "bench_crypto: %s\n", err.msg);
        }
    set_plain(x, false);
    for (int p = 0; p < 2; p++) {
        qsort(t[p], REPEATS, sizeof t[p][0], bench_cmp_double);
        sec[p] = t[p][REPEATS / 2];
    }
}

static void print_cpu(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[4096], model[256] = "unknown";
    int avx2 = 0, avx512 = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10) && strchr(line, ':'))
            snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
        if (!strncmp(line, "flags", 5)) {
            avx2 = strstr(line, " avx2") != NULL;
            avx512 = strstr(line, " avx512f") != NULL;
        }
    }
    if (f)
        fclose(f);
    model[strcspn(model, "\n")] = 0;
    printf("cpu: %s (%s), libsodium %s, libdecaf (Debian libdecaf-dev)\n", model,
           avx512 ? "AVX-512" : avx2 ? "AVX2" : "no AVX2", sodium_version_string());
}

int main(void)
{
    eip_error err = {0};
    if (eip_crypto_init(&err) != EIP_OK) {
        fprintf(stderr, "bench_crypto: %s\n", err.msg);
        return 1;
    }
    print_cpu();
    printf("one thread, thread CPU time; median of %d repeats; plain = libsodium only, new = library path\n\n",
           REPEATS);
    printf("%-14s %-13s %12s %12s %10s %10s %8s\n", "group", "op", "plain ops/s", "new ops/s", "plain us",
           "new us", "new/plain");
    eip_crypto_ct *buf = malloc(BATCH * sizeof *buf);
    int32_t *lab = malloc(BATCH * sizeof *lab);
    if (!buf || !lab)
        return 1;
    for (int gi = 0; gi < 2; gi++) {
        eip_crypto_group_id g = gi ? EIP_CRYPTO_GROUP_RISTRETTO255 : EIP_CRYPTO_GROUP_PAPER;
        const char *gn = eip_crypto_group_name(g);
        eip_crypto_params prm = {g, 10, 0};
        bench_ctx x = {0};
        eip_crypto_master_t *m;
        if (eip_crypto_gen(&prm, 3, NULL, &x.pk, &m, &err) || eip_crypto_master_sk(m, 2, &x.sk, &err) ||
            eip_crypto_enc(x.pk, 7, NULL, &x.c, &err) || eip_crypto_codebook_build(x.pk, 4, NULL, &x.cb, &err)) {
            fprintf(stderr, "bench_crypto: %s\n", err.msg);
            return 1;
        }
        x.base = x.c.u[1];
        x.slot = eip_crypto_codebook_label_slot(x.cb, 7);
        crypto_core_ristretto255_scalar_random(x.scalar);
        int iters = g == EIP_CRYPTO_GROUP_PAPER ? 200000 : 400;
        const char *names[] = {"Enc", "Dec", "Dec+label", "SampDist", "Fake", "SampDist/slot"};
        op_fn fns[] = {op_enc, op_dec, op_dec_label, op_sampdist, op_fake, op_sampdist_slot};
        double sec[6][2];
        for (int k = 0; k < 6; k++) {
            measure2(&x, fns[k], iters, sec[k]);
            printf("%-14s %-13s %12.0f %12.0f %10.2f %10.2f %7.2fx\n", gn, names[k], 1.0 / sec[k][0],
                   1.0 / sec[k][1], 1e6 * sec[k][0], 1e6 * sec[k][1], sec[k][0] / sec[k][1]);
        }
        double floor_s[2];
        measure2(&x, op_floor, iters, floor_s);
        for (int threads = 1; threads <= 2; threads++) {
            double sd[2], dc[2];
            measure_batch(&x, 0, threads, buf, lab, sd);
            measure_batch(&x, 1, threads, buf, lab, dc);
            printf("%-14s batch of %d (inputs repeat), %s: SampDist plain %.0f/s new %.0f/s (%.2fx), "
                   "Dec+label plain %.0f/s new %.0f/s (%.2fx)\n",
                   gn, BATCH, threads == 1 ? "1 thread, CPU time" : "2 threads, wall time", 1.0 / sd[0],
                   1.0 / sd[1], sd[0] / sd[1], 1.0 / dc[0], 1.0 / dc[1], dc[0] / dc[1]);
        }
        printf("%-14s SampDist / 3 raw exponentiations: plain %.2f, new %.2f\n\n", gn, sec[3][0] / floor_s[1],
               sec[3][1] / floor_s[1]);
        eip_crypto_codebook_free(x.cb);
        eip_crypto_sk_free(x.sk);
        eip_crypto_pk_free(x.pk);
        eip_crypto_master_free(m);
    }
    free(buf);
    free(lab);
    return 0;
}
