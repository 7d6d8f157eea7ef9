/* The training-free plan (plan.c) and the batch entry points (api_batch.c):
 * targets are Φ of the plan's codewords, a written skeleton loads back with
 * the same targets, a head confuses perfect outputs into answers every
 * licensee decrypts to the label, the memorisation check passes on perfect
 * verification outputs and fails loudly on uninformative ones, and the
 * tracer names the licensee whose decryptions a suspect prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "encryip/protect.h"
#include "protect/internal.h"
#include "test.h"

static void run(eip_crypto_group_id group, const char *dir)
{
    eip_error err = {0};
    eip_crypto_rng_t *rng = NULL;
    REQUIRE(!eip_crypto_rng_new_u64(11, &rng, &err), "%s", err.msg);
    eip_protect_plan_config pc;
    memset(&pc, 0, sizeof pc);
    pc.classes = 10;
    pc.group = group;
    pc.licensees = 3;
    pc.verif_count = 8;
    pc.c = 1;
    pc.h = pc.w = 8;
    pc.seed = 5;
    pc.crypto_rng = rng;
    eip_protect_plan_t *p = NULL, *back = NULL;
    REQUIRE(!eip_protect_plan_create(&pc, &p, &err), "%s", err.msg);
    const int paper = group == EIP_CRYPTO_GROUP_PAPER;
    const int64_t k = eip_protect_plan_outputs(p), v = eip_protect_plan_verif_count(p);
    CHECK(v == (paper ? 8 : 24), "V = %lld", (long long)v);
    CHECK(k == (paper ? 33 : 10 + v), "K = %lld", (long long)k);
    const eip_crypto_pk_t *pk = eip_protect_plan_pk(p);
    const eip_crypto_codebook_t *cb = eip_protect_plan_codebook(p);
    const int64_t n = 10 + v;
    int32_t *ids = malloc((size_t)n * sizeof *ids);
    int64_t *slots = malloc((size_t)n * sizeof *slots), *slots2 = malloc((size_t)n * sizeof *slots2);
    float *soft = malloc((size_t)(n * k) * sizeof *soft), *soft2 = malloc((size_t)(n * k) * sizeof *soft2);
    float *phi = malloc((size_t)k * sizeof *phi);
    REQUIRE(ids && slots && slots2 && soft && soft2 && phi, "oom");
    for (int64_t i = 0; i < n; i++)
        ids[i] = (int32_t)i;
    REQUIRE(!eip_protect_plan_targets(p, ids, n, soft, slots, &err), "%s", err.msg);
    const eip_protect_verif *vf = eip_protect_plan_verif(p);
    for (int64_t i = 0; i < n; i++) {
        /* the id's codeword sits at its slot: label i, or verification c̄ */
        const eip_crypto_ct *c = eip_crypto_codebook_ct(cb, slots[i]);
        if (i < 10)
            CHECK(eip_crypto_codebook_label(cb, slots[i]) == i, "label %lld slot", (long long)i);
        else
            CHECK(!memcmp(c, &vf->ct[i - 10], sizeof *c), "verification %lld slot", (long long)(i - 10));
        REQUIRE(!eip_crypto_phi(pk, cb, c, phi, &err), "%s", err.msg);
        CHECK(!memcmp(phi, soft + i * k, (size_t)k * sizeof *phi), "target of id %lld is Φ(c)",
              (long long)i);
    }
    int32_t bad = 10 + (int32_t)v;
    CHECK(eip_protect_plan_targets(p, &bad, 1, NULL, slots2, &err) == EIP_ERR_RANGE, "id out of range");

    /* skeleton -> load: same targets, same verification set */
    REQUIRE(!eip_protect_plan_write(p, NULL, dir, 0, &err), "%s", err.msg);
    CHECK(eip_protect_plan_write(p, NULL, dir, 0, &err) == EIP_ERR_STATE, "existing bundle refused");
    REQUIRE(!eip_protect_plan_load(dir, &back, &err), "%s", err.msg);
    REQUIRE(!eip_protect_plan_targets(back, ids, n, soft2, slots2, &err), "%s", err.msg);
    CHECK(!memcmp(soft, soft2, (size_t)(n * k) * sizeof *soft) &&
          !memcmp(slots, slots2, (size_t)n * sizeof *slots), "loaded plan gives the same targets");
    CHECK(!strcmp(eip_protect_plan_id(p), eip_protect_plan_id(back)), "bundle id");

    /* Algorithm 2 on perfect outputs (logits 10·Φ(c_y)): each licensee reads y */
    eip_protect_model_t *head = NULL;
    REQUIRE(!eip_protect_model_load_head(dir, &head, &err), "%s", err.msg);
    CHECK(eip_protect_model_outputs(head) == k, "head K");
    float *y = malloc((size_t)(10 * k) * sizeof *y);
    eip_crypto_ct ct[10];
    int32_t lab[10];
    for (int64_t i = 0; i < 10 * k; i++)
        y[i] = 10.0f * soft[i];
    REQUIRE(!eip_protect_predict_outputs(head, y, 10, NULL, ct, NULL, &err), "%s", err.msg);
    CHECK(eip_protect_forward(head, NULL, 1, y, &err) == EIP_ERR_STATE, "head has no weights");
    for (int64_t j = 1; j <= 3; j++) {
        eip_crypto_sk_t *sk = NULL;
        char path[512];
        snprintf(path, sizeof path, "%s/keys/licensee-%lld.key", dir, (long long)j);
        REQUIRE(!eip_crypto_sk_load(path, &sk, &err), "%s", err.msg);
        REQUIRE(!eip_protect_decrypt_key(sk, eip_crypto_pk_id(pk), ct, 10, lab, &err), "%s", err.msg);
        for (int32_t i = 0; i < 10; i++)
            CHECK(lab[i] == i, "licensee %lld decrypts label %d as %d", (long long)j, i, lab[i]);
        eip_crypto_sk_free(sk);
    }
    free(y);
    eip_protect_model_free(head);

    /* memorisation: perfect verification outputs pass, flat ones fail */
    float *yv = malloc((size_t)(v * k) * sizeof *yv);
    double rate = 0;
    for (int64_t i = 0; i < v * k; i++)
        yv[i] = 10.0f * soft[10 * k + i];
    CHECK(!eip_protect_plan_check_memorised(p, yv, v, k, &rate, &err) && rate == 1.0, "%s", err.msg);
    for (int64_t i = 0; i < v * k; i++)
        yv[i] = 10.0f * soft[i % (10 * k)]; /* label outputs: nothing memorised */
    CHECK(eip_protect_plan_check_memorised(p, yv, v, k, &rate, &err) == EIP_ERR_STATE &&
          strstr(err.msg, "not memorised"), "under-trained model must fail: %s", err.msg);
    free(yv);

    /* tracer: a suspect printing licensee 2's decryptions is named */
    char kr[512], vj[512], path[512];
    snprintf(kr, sizeof kr, "%s/owner/keyring.sqlite", dir);
    snprintf(vj, sizeof vj, "%s/owner/verification.json", dir);
    snprintf(path, sizeof path, "%s/keys/licensee-2.key", dir);
    eip_protect_tracer_t *t = NULL;
    eip_crypto_sk_t *sk2 = NULL;
    REQUIRE(!eip_protect_tracer_open(kr, vj, &t, &err), "%s", err.msg);
    REQUIRE(!eip_crypto_sk_load(path, &sk2, &err), "%s", err.msg);
    int32_t *printed = malloc((size_t)v * sizeof *printed);
    REQUIRE(!eip_protect_decrypt_key(sk2, NULL, eip_protect_tracer_verif(t)->ct, v, printed, &err),
            "%s", err.msg);
    eip_protect_trace_result tr;
    REQUIRE(!eip_protect_tracer_score(t, printed, v, &tr, &err), "%s", err.msg);
    CHECK(tr.named == 2, "named %lld", (long long)tr.named);
    eip_protect_trace_result_free(&tr);
    CHECK(eip_protect_tracer_score(t, printed, v - 1, &tr, &err) == EIP_ERR_SHAPE, "count checked");
    free(printed);
    eip_crypto_sk_free(sk2);
    eip_protect_tracer_free(t);

    free(ids);
    free(slots);
    free(slots2);
    free(soft);
    free(soft2);
    free(phi);
    eip_protect_plan_free(p);
    eip_protect_plan_free(back);
    eip_crypto_rng_free(rng);
}

int main(void)
{
    eip_error err = {0};
    REQUIRE(!eip_crypto_init(&err), "%s", err.msg);
    char dir[] = "/tmp/encryip-plan.XXXXXX";
    REQUIRE(mkdtemp(dir), "mkdtemp");
    char a[600], b[600];
    snprintf(a, sizeof a, "%s/paper", dir);
    snprintf(b, sizeof b, "%s/ristretto", dir);
    run(EIP_CRYPTO_GROUP_PAPER, a);
    run(EIP_CRYPTO_GROUP_RISTRETTO255, b);
    eip_protect_rmtree(dir);
    TEST_MAIN_END();
}
