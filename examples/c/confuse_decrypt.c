/* The C side of the Python speed comparison (docs/RESULTS.md "Python"):
 * Algorithm 2 on model outputs read from a float32 file [N, K] with the
 * same library call Python makes (eip_protect_predict_outputs), then eq. (4)
 * with one key; prints the seconds of each.  Built against the installed
 * library:  cc confuse_decrypt.c $(pkg-config --cflags --libs encryip)
 * usage: confuse_decrypt BUNDLE LOGITS.f32 N KEY */
#define _POSIX_C_SOURCE 200809L
#include <encryip/encryip.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU seconds of this process: what the work costs on a loaded machine */
static double cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: confuse_decrypt BUNDLE LOGITS.f32 N KEY\n");
        return 2;
    }
    eip_error err = {0};
    eip_protect_model_t *m = NULL;
    eip_crypto_sk_t *sk = NULL;
    const long n = atol(argv[3]);
    if (eip_crypto_init(&err) || eip_protect_model_load_head(argv[1], &m, &err) ||
        eip_crypto_sk_load(argv[4], &sk, &err)) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    const long k = (long)eip_protect_model_outputs(m);
    float *y = malloc((size_t)(n * k) * sizeof *y);          /* [N, K] */
    eip_crypto_ct *c = malloc((size_t)n * sizeof *c);         /* [N] */
    int32_t *lab = malloc((size_t)n * sizeof *lab);           /* [N] */
    FILE *f = fopen(argv[2], "rb");
    if (!y || !c || !lab || !f || fread(y, sizeof *y, (size_t)(n * k), f) != (size_t)(n * k)) {
        fprintf(stderr, "error: %s: cannot read %ld x %ld floats\n", argv[2], n, k);
        return 1;
    }
    fclose(f);
    double t0 = now(), c0 = cpu();
    if (eip_protect_predict_outputs(m, y, n, NULL, c, NULL, &err)) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    double t1 = now(), c1 = cpu();
    if (eip_protect_decrypt_key(sk, eip_crypto_pk_id(eip_protect_model_pk(m)), c, n, lab, &err)) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    double t2 = now(), c2 = cpu();
    long labels = 0;
    for (long i = 0; i < n; i++)
        labels += lab[i] >= 0;
    printf("confuse %.4f s (cpu %.4f s), decrypt %.4f s (cpu %.4f s), %ld of %ld answers decrypt to a "
           "label\n", t1 - t0, c1 - c0, t2 - t1, c2 - c1, labels, n);
    free(y);
    free(c);
    free(lab);
    eip_crypto_sk_free(sk);
    eip_protect_model_free(m);
    return 0;
}
