/* Batch SampDist and Dec over library-owned threads (pthreads): the
 * deployment's predict/classify path answers many images at once and the
 * crypto, not the network, dominates its time (issue 16, item 4).  Items are
 * independent, so each thread takes one contiguous range; the randomness is
 * drawn beforehand in the calling thread, in item order, so a seeded rng
 * gives the same ciphertexts as the sequential calls. */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/internal.h"

#define MAX_THREADS 256
#define MIN_ITEMS_PER_THREAD 8 /* below this a thread costs more than it saves */

typedef struct job {
    const eip_crypto_pk_t *pk;
    const eip_crypto_sk_t *sk;
    const eip_crypto_ct *in;
    const eip_scalar *r;  /* [n] SampDist only */
    const eip_rfast_pts *pts; /* SampDist, ristretto255 fast path: decoded inputs */
    const int64_t *slots; /* [n] SampDist of codebook slots: item i is pts item slots[i] */
    eip_crypto_ct *out;   /* SampDist */
    int32_t *labels;      /* Dec */
    int64_t lo, hi;
    int64_t bad;          /* SampDist: first failing item in [lo, hi), or -1 */
    eip_error err;
} job;

static void *run(void *arg)
{
    job *j = arg;
    for (int64_t i = j->lo; i < j->hi; i++) {
        if (j->sk) {
            if (eip_crypto_dec_label(j->sk, &j->in[i], &j->labels[i], NULL) != EIP_OK)
                j->labels[i] = EIP_CRYPTO_NOT_A_LABEL;
        } else if (j->pts) {
            int bad = eip_rfast_sampdist_pts(j->pk, j->pts, j->slots ? j->slots[i] : i, &j->r[i], &j->out[i]);
            if (bad) {
                eip_error_set(&j->err, EIP_ERR_CRYPTO, "SampDist: ciphertext element u%d is not in the %s group",
                              bad, j->pk->grp.ops->name);
                j->bad = i;
                break;
            }
        } else if (eip_sampdist_with(j->pk, &j->in[i], &j->r[i], NULL, &j->out[i], &j->err) != EIP_OK) {
            j->bad = i;
            break;
        }
    }
    return NULL;
}

static int thread_count(int threads, int64_t n)
{
    if (threads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        threads = c > 0 ? (int)c : 1;
    }
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    int64_t most = n / MIN_ITEMS_PER_THREAD;
    if (most < 1)
        most = 1;
    return (int64_t)threads > most ? (int)most : threads;
}

/* Runs the template job over [0, n) on up to `threads` threads.  A thread
 * that cannot be created leaves its range to the calling thread, so this
 * never fails. */
static void spread(const job *tmpl, int64_t n, int t, job *jobs)
{
    pthread_t tid[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    for (int k = 0; k < t; k++) {
        jobs[k] = *tmpl;
        jobs[k].lo = n * k / t;
        jobs[k].hi = n * (k + 1) / t;
        jobs[k].bad = -1;
        if (k > 0)
            started[k] = pthread_create(&tid[k], NULL, run, &jobs[k]) == 0;
    }
    run(&jobs[0]);
    for (int k = 1; k < t; k++) {
        if (started[k])
            pthread_join(tid[k], NULL);
        else
            run(&jobs[k]);
    }
}

/* r [n] in item order.  System randomness: a 32-byte key from the OS
 * CSPRNG keys one ChaCha20 stream (rng.c, the same construction as
 * libsodium's randombytes_buf_deterministic) for the whole batch, instead of
 * one getrandom call (~3 us) per scalar; the same rejection sampler then
 * gives the same distribution.  The stream state is wiped when freed. */
static eip_status draw_scalars(const eip_group *g, eip_crypto_rng_t *rng, eip_scalar *r, int64_t n,
                               eip_error *err)
{
    eip_crypto_rng_t *own = NULL;
    if (eip_rng_is_system(rng)) {
        unsigned char key[32];
        randombytes_buf(key, sizeof key);
        eip_status s = eip_crypto_rng_new(key, &own, err);
        sodium_memzero(key, sizeof key);
        if (s)
            return s;
        rng = own;
    }
    for (int64_t i = 0; i < n; i++) /* in order: same draws as n single calls */
        g->ops->sc_random(g, rng, &r[i], false);
    eip_crypto_rng_free(own);
    return EIP_OK;
}

/* The randomness of n items drawn in item order (draw_scalars), the
 * template job run over the threads with it, the first failing item named
 * (ranges are in order: the first one is the lowest item); r is wiped. */
static eip_status sampdist_spread(job tmpl, int64_t n, int threads, eip_crypto_rng_t *rng, eip_error *err)
{
    eip_scalar *r = malloc((size_t)n * sizeof *r);
    const int t = thread_count(threads, n);
    job *jobs = malloc((size_t)t * sizeof *jobs);
    eip_status s = !r || !jobs ? eip_error_set(err, EIP_ERR_NOMEM, "SampDist of %lld items: out of memory",
                                                (long long)n)
                               : draw_scalars(&tmpl.pk->grp, rng, r, n, err);
    if (!s) {
        tmpl.r = r;
        spread(&tmpl, n, t, jobs);
        for (int k = 0; k < t && !s; k++)
            if (jobs[k].bad >= 0)
                s = eip_error_set(err, EIP_ERR_CRYPTO, "item %lld: %s", (long long)jobs[k].bad, jobs[k].err.msg);
    }
    if (r)
        sodium_memzero(r, (size_t)n * sizeof *r);
    free(r);
    free(jobs);
    return s;
}

eip_status eip_crypto_sampdist_batch(const eip_crypto_pk_t *pk, const eip_crypto_ct *in, int64_t n,
                                     eip_crypto_rng_t *rng, int threads, eip_crypto_ct *out,
                                     eip_error *err)
{
    if (n < 0)
        return eip_error_set(err, EIP_ERR_ARG, "SampDist batch: negative count %lld", (long long)n);
    if (n == 0)
        return EIP_OK;
    eip_rfast_pts *pts = NULL; /* ristretto255: each distinct input decoded once */
    eip_status s = eip_pk_fast(pk) ? eip_rfast_pts_new(in, n, &pts, err) : EIP_OK;
    if (!s)
        s = sampdist_spread((job){.pk = pk, .in = in, .pts = pts, .out = out}, n, threads, rng, err);
    eip_rfast_pts_free(pts);
    return s;
}

eip_status eip_crypto_sampdist_slots(const eip_crypto_pk_t *pk, const eip_crypto_codebook_t *cb,
                                     const int64_t *slots, int64_t n, eip_crypto_rng_t *rng,
                                     int threads, eip_crypto_ct *out, eip_error *err)
{
    if (n < 0)
        return eip_error_set(err, EIP_ERR_ARG, "SampDist of slots: negative count %lld", (long long)n);
    if (memcmp(eip_crypto_codebook_pk_id(cb), pk->id, EIP_CRYPTO_PKID_BYTES))
        return eip_error_set(err, EIP_ERR_CRYPTO, "SampDist of slots: the codebook belongs to another public key");
    const int64_t size = eip_crypto_codebook_size(cb);
    for (int64_t i = 0; i < n; i++)
        if (slots[i] < 0 || slots[i] >= size)
            return eip_error_set(err, EIP_ERR_RANGE, "SampDist of slots: item %lld: slot %lld not in 0..%lld",
                                 (long long)i, (long long)slots[i], (long long)size - 1);
    const eip_rfast_pts *pts = eip_codebook_pts(cb);
    if (n == 0)
        return EIP_OK;
    if (!pts || !eip_pk_fast(pk)) { /* paper group, plain path or unprepared: decode per batch */
        for (int64_t i = 0; i < n; i++)
            out[i] = *eip_crypto_codebook_ct(cb, slots[i]);
        return eip_crypto_sampdist_batch(pk, out, n, rng, threads, out, err);
    }
    /* (codewords were validated when added: no item fails) */
    return sampdist_spread((job){.pk = pk, .pts = pts, .slots = slots, .out = out}, n, threads, rng, err);
}

eip_status eip_crypto_dec_label_batch(const eip_crypto_sk_t *sk, const eip_crypto_ct *c, int64_t n,
                                      int threads, int32_t *labels, eip_error *err)
{
    if (n < 0)
        return eip_error_set(err, EIP_ERR_ARG, "Dec batch: negative count %lld", (long long)n);
    if (n == 0)
        return EIP_OK;
    const int t = thread_count(threads, n);
    job *jobs = malloc((size_t)t * sizeof *jobs);
    if (!jobs)
        return eip_error_set(err, EIP_ERR_NOMEM, "Dec batch: out of memory");
    job tmpl = {.sk = sk, .in = c, .labels = labels};
    spread(&tmpl, n, t, jobs);
    free(jobs);
    return EIP_OK;
}
