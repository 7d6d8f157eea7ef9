/* SGD / AdamW vs PyTorch 1.13 (tests/ref/train/optim.txt, tools/gen_train_refs.py):
 * 10 steps on a 7-element parameter vector with a fixed gradient sequence; every
 * step's parameters and the final moment buffers within 1e-6 relative (+1e-7
 * absolute for entries near 0).  Also: a run resumed from exported state is
 * bit-identical to an uninterrupted one; bad configurations are refused;
 * the threaded, vectorised loops (large n) are bit-identical to a scalar
 * transcription of torch's per-element operations. */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "encryip/train.h"
#include "ref_file.h"
#include "test.h"

#define NP 7
#define NS 10

typedef struct optim_case {
    const char *name;
    eip_train_optim_kind kind;
    double lr, wd, momentum;
    int nesterov;
    int split; /* 0 = decay everything, else elements >= split have no weight decay */
} optim_case;

static void run_case(const ref_file *r, const optim_case *c, const double *p0, const double *grads)
{
    char key[64];
    snprintf(key, sizeof key, "%s.traj", c->name);
    const double *traj = ref_get(r, key, NP * NS);
    REQUIRE(traj, "%s", key);
    eip_train_optim_config cfg = eip_train_optim_config_default(c->kind);
    cfg.weight_decay = c->wd;
    cfg.momentum = c->momentum;
    cfg.nesterov = c->nesterov;
    eip_error err = {0};
    eip_train_optim_t *opt = NULL;
    REQUIRE(eip_train_optim_init(&opt, &cfg, NP, &err) == EIP_OK, "%s: %s", c->name, err.msg);
    uint8_t mask[NP];
    for (int i = 0; i < NP; i++)
        mask[i] = !c->split || i < c->split;
    float p[NP], g[NP];
    for (int i = 0; i < NP; i++)
        p[i] = (float)p0[i];
    double worst = 0;
    for (int s = 0; s < NS; s++) {
        for (int i = 0; i < NP; i++)
            g[i] = (float)grads[s * NP + i];
        REQUIRE(eip_train_optim_step(opt, c->lr, p, g, c->split ? mask : NULL, &err) == EIP_OK,
                "%s step: %s", c->name, err.msg);
        for (int i = 0; i < NP; i++) {
            const double want = traj[s * NP + i];
            CHECK_CLOSE(p[i], want, 1e-7, 1e-6, "%s step %d p[%d] %.9g vs torch %.9g", c->name,
                        s + 1, i, p[i], want);
            worst = fmax(worst, fabs(p[i] - want) / fmax(fabs(want), 1e-3));
        }
    }
    CHECK(eip_train_optim_step_count(opt) == NS, "%s step count", c->name);
    for (size_t b = 0; b < eip_train_optim_buffer_count(opt); b++) {
        const char *bname = NULL;
        int64_t len = 0;
        const float *buf = eip_train_optim_buffer(opt, b, &bname, &len);
        REQUIRE(buf && len == NP, "%s buffer %zu", c->name, b);
        snprintf(key, sizeof key, "%s.%s", c->name, bname);
        const double *want = ref_get(r, key, NP);
        CHECK(want != NULL, "%s in reference", key);
        for (int i = 0; want && i < NP; i++)
            CHECK_CLOSE(buf[i], want[i], 1e-9, 1e-6, "%s[%d] %.9g vs torch %.9g", key, i, buf[i],
                        want[i]);
    }
    CHECK(eip_train_optim_buffer(opt, eip_train_optim_buffer_count(opt), NULL, NULL) == NULL,
          "buffer index out of range");
    printf("%s: max relative parameter error over %d steps %.2g\n", c->name, NS, worst);
    eip_train_optim_free(opt);
}

/* Five steps, export state, restore into a fresh optimiser, five more: the
 * result must equal ten uninterrupted steps bit for bit. */
static void check_resume(eip_train_optim_kind kind, const double *p0, const double *grads)
{
    eip_train_optim_config cfg = eip_train_optim_config_default(kind);
    cfg.momentum = 0.9;
    eip_error err = {0};
    eip_train_optim_t *a = NULL, *b = NULL, *c = NULL;
    REQUIRE(eip_train_optim_init(&a, &cfg, NP, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_train_optim_init(&b, &cfg, NP, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_train_optim_init(&c, &cfg, NP, &err) == EIP_OK, "%s", err.msg);
    float pa[NP], pb[NP], g[NP];
    for (int i = 0; i < NP; i++)
        pa[i] = pb[i] = (float)p0[i];
    for (int s = 0; s < NS; s++) {
        for (int i = 0; i < NP; i++)
            g[i] = (float)grads[s * NP + i];
        eip_train_optim_step(a, 0.05, pa, g, NULL, &err);
        eip_train_optim_step(s < NS / 2 ? b : c, 0.05, pb, g, NULL, &err);
        if (s == NS / 2 - 1) { /* "save" b, "load" into c */
            CHECK(eip_train_optim_step_count_set(c, eip_train_optim_step_count(b), &err) == EIP_OK,
                  "set steps");
            for (size_t k = 0; k < eip_train_optim_buffer_count(b); k++) {
                int64_t len;
                const char *n1, *n2;
                const float *src = eip_train_optim_buffer(b, k, &n1, &len);
                float *dst = eip_train_optim_buffer(c, k, &n2, &len);
                CHECK(!strcmp(n1, n2), "buffer names");
                memcpy(dst, src, (size_t)len * sizeof(float));
            }
        }
    }
    CHECK(!memcmp(pa, pb, sizeof pa), "kind %d: resumed run is bit-identical", (int)kind);
    CHECK(eip_train_optim_step_count_set(c, -1, &err) == EIP_ERR_ARG, "negative step count");
    eip_train_optim_free(a);
    eip_train_optim_free(b);
    eip_train_optim_free(c);
}

static void check_config_errors(void)
{
    eip_error err = {0};
    eip_train_optim_t *o = NULL;
    eip_train_optim_config c = eip_train_optim_config_default(EIP_TRAIN_OPTIM_SGD);
    c.nesterov = 1;
    CHECK(eip_train_optim_init(&o, &c, 4, &err) == EIP_ERR_ARG && !o, "nesterov without momentum");
    CHECK(strstr(err.msg, "nesterov") != NULL, "names nesterov: %s", err.msg);
    c = eip_train_optim_config_default(EIP_TRAIN_OPTIM_SGD);
    c.weight_decay = -1;
    CHECK(eip_train_optim_init(&o, &c, 4, &err) == EIP_ERR_ARG, "negative weight decay");
    c = eip_train_optim_config_default(EIP_TRAIN_OPTIM_ADAMW);
    c.beta2 = 1.0;
    CHECK(eip_train_optim_init(&o, &c, 4, &err) == EIP_ERR_ARG, "beta2 = 1");
    c = eip_train_optim_config_default(EIP_TRAIN_OPTIM_ADAMW);
    CHECK(eip_train_optim_init(&o, &c, 0, &err) == EIP_ERR_ARG, "zero parameters");
    c.kind = (eip_train_optim_kind)9;
    CHECK(eip_train_optim_init(&o, &c, 4, &err) == EIP_ERR_ARG, "unknown kind");
    c = eip_train_optim_config_default(EIP_TRAIN_OPTIM_SGD);
    REQUIRE(eip_train_optim_init(&o, &c, 4, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_train_optim_buffer_count(o) == 0, "plain SGD has no buffer");
    float p[4] = {1, 2, 3, 4}, g[4] = {1, 1, -1, 0};
    CHECK(eip_train_optim_step(o, NAN, p, g, NULL, &err) == EIP_ERR_ARG, "NaN lr");
    CHECK(eip_train_optim_step(o, 0.5, p, g, NULL, &err) == EIP_OK && p[0] == 0.5f && p[2] == 3.5f &&
              p[3] == 4.0f, "plain SGD step");
    eip_train_optim_free(o);
    eip_train_optim_free(NULL);
}

/* xorshift64*, uniform in [-1, 1). */
static float urand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (float)((double)((*s * 2685821657736338717ULL) >> 11) / 4503599627370496.0 - 1.0);
}

/* Large n (past the threading threshold, odd so the vector loop has a
 * tail), 3 steps, with and without a mask, 2 threads: every parameter and
 * moment equals the scalar reference bit for bit. */
static void check_large(const optim_case *c)
{
    const int64_t n = 100003;
    float *p = malloc(n * sizeof *p), *q = malloc(n * sizeof *q), *g = malloc(n * sizeof *g);
    float *m = calloc(n, sizeof *m), *v = calloc(n, sizeof *v);
    uint8_t *mask = malloc(n);
    REQUIRE(p && q && g && m && v && mask, "large: out of memory");
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (int64_t i = 0; i < n; i++) {
        p[i] = q[i] = urand(&s);
        mask[i] = (i % 7) != 3;
    }
    p[5] = q[5] = -0.0f;
    eip_train_optim_config cfg = eip_train_optim_config_default(c->kind);
    cfg.weight_decay = c->wd;
    cfg.momentum = c->momentum;
    cfg.nesterov = c->nesterov;
    eip_error err = {0};
    eip_train_optim_t *opt = NULL;
    REQUIRE(eip_train_optim_init(&opt, &cfg, n, &err) == EIP_OK, "%s large: %s", c->name, err.msg);
    omp_set_num_threads(2);
    int64_t bad = 0;
    for (int t = 0; t < 3; t++) {
        for (int64_t i = 0; i < n; i++)
            g[i] = i == 5 ? -0.0f : urand(&s) * 0.01f;
        const double lr = c->lr * (1.0 - 0.1 * t);
        const uint8_t *mk = c->split ? mask : NULL;
        REQUIRE(eip_train_optim_step(opt, lr, p, g, mk, &err) == EIP_OK, "%s large step", c->name);
        if (c->kind == EIP_TRAIN_OPTIM_SGD) {
            const float wd = (float)c->wd, mom = (float)c->momentum, neg_lr = (float)-lr;
            for (int64_t i = 0; i < n; i++) {
                float d = g[i];
                if (!mk || mk[i])
                    d = d + wd * q[i];
                m[i] = t == 0 ? d : m[i] * mom + 1.0f * d;
                d = c->nesterov ? d + mom * m[i] : m[i];
                q[i] = q[i] + neg_lr * d;
            }
        } else {
            const float decay = (float)(1.0 - lr * c->wd), b1 = 0.9f, b2 = 0.999f;
            const float ob1 = (float)(1.0 - 0.9), ob2 = (float)(1.0 - 0.999);
            const float step = (float)-(lr / (1.0 - pow(0.9, t + 1)));
            const float bc2s = (float)sqrt(1.0 - pow(0.999, t + 1)), eps = 1e-8f;
            for (int64_t i = 0; i < n; i++) {
                if (!mk || mk[i])
                    q[i] = q[i] * decay;
                m[i] = m[i] * b1 + ob1 * g[i];
                v[i] = v[i] * b2 + ob2 * g[i] * g[i];
                q[i] = q[i] + step * m[i] / (sqrtf(v[i]) / bc2s + eps);
            }
        }
        for (int64_t i = 0; i < n; i++)
            bad += memcmp(&p[i], &q[i], sizeof p[i]) != 0;
    }
    const char *bname = NULL;
    int64_t blen = 0;
    const float *mb = eip_train_optim_buffer(opt, 0, &bname, &blen);
    for (int64_t i = 0; mb && i < n; i++)
        bad += memcmp(&mb[i], &m[i], sizeof m[i]) != 0;
    CHECK(bad == 0, "%s large: %lld parameters/moments differ from the scalar loop", c->name,
          (long long)bad);
    printf("%s: n = %lld, 3 steps, 2 threads: bit-identical to the scalar loop\n", c->name,
           (long long)n);
    eip_train_optim_free(opt);
    free(p);
    free(q);
    free(g);
    free(m);
    free(v);
    free(mask);
}

int main(void)
{
    ref_file r;
    REQUIRE(ref_file_load(&r, EIP_SOURCE_DIR "/tests/ref/train/optim.txt") == 0, "load optim.txt");
    const double *dims = ref_get(&r, "n_steps", 2);
    REQUIRE(dims && dims[0] == NP && dims[1] == NS, "reference dimensions");
    const double *p0 = ref_get(&r, "p0", NP);
    const double *grads = ref_get(&r, "grads", NP * NS);
    REQUIRE(p0 && grads, "p0 / grads");
    const optim_case cases[] = {
        {"sgd", EIP_TRAIN_OPTIM_SGD, 0.1, 5e-4, 0.9, 0, 0},
        {"sgd_nesterov", EIP_TRAIN_OPTIM_SGD, 0.1, 5e-4, 0.9, 1, 0},
        {"sgd_mask", EIP_TRAIN_OPTIM_SGD, 0.1, 5e-4, 0.9, 0, 5},
        {"adamw", EIP_TRAIN_OPTIM_ADAMW, 0.01, 0.01, 0, 0, 0},
        {"adamw_mask", EIP_TRAIN_OPTIM_ADAMW, 0.01, 0.01, 0, 0, 5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_case(&r, &cases[i], p0, grads);
        check_large(&cases[i]);
    }
    check_resume(EIP_TRAIN_OPTIM_SGD, p0, grads);
    check_resume(EIP_TRAIN_OPTIM_ADAMW, p0, grads);
    ref_file_free(&r);
    check_config_errors();
    TEST_MAIN_END();
}
