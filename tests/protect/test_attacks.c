/* Attacks on EncryIP itself (issue 17 items 3 and 4) on a small protected
 * smallcnn (1000 Fashion-MNIST images, 1 epoch, P = 3), both groups:
 *   relabel: the protected weights plus k = 30 labelled images and no key
 *     give a classifier far above chance (slot vote and retrained head);
 *   collude: licensees 1 and 2 forge a key that decrypts the model's outputs
 *     like a licensee's, is attributed to no one by verify-key, and a
 *     deployment using it is traced to no one. */
#include "pt_util.h"

static double acc(const int32_t *a, const int32_t *b, int64_t n)
{
    int64_t r = 0;
    for (int64_t i = 0; i < n; i++)
        r += a[i] == b[i];
    return (double)r / (double)n;
}

static void run(pt_env *e, eip_crypto_group_id g)
{
    const char *gn = eip_crypto_group_name(g);
    eip_error err = {0};
    eip_crypto_rng_t *rng = NULL;
    REQUIRE(eip_crypto_rng_new_u64(17, &rng, &err) == EIP_OK, "%s", err.msg);
    eip_protect_config cfg;
    pt_config(e, &cfg, g, 3, 0, rng);
    eip_protect_result r;
    REQUIRE(eip_protect_run(&cfg, &r, &err) == EIP_OK, "%s", err.msg);
    eip_protect_model_t *m = NULL;
    REQUIRE(eip_protect_model_from_result(&r, &m, &err) == EIP_OK, "%s", err.msg);
    const int64_t n = e->test.n, k = eip_nn_output_size(eip_protect_model_net(m));
    const int64_t slots = eip_crypto_codebook_size(eip_protect_model_codebook(m));

    /* ---- relabel with k = 30 training images the model saw (the first 30) */
    eip_data_set att = {0};
    REQUIRE(eip_data_set_subset_first(&e->train, 30, &att, &err) == EIP_OK, "%s", err.msg);
    float *ya = malloc((size_t)att.n * (size_t)k * sizeof *ya), *yt = malloc((size_t)n * (size_t)k * sizeof *yt);
    int64_t *sa = malloc((size_t)att.n * sizeof *sa), *st = malloc((size_t)n * sizeof *st);
    eip_crypto_ct *ca = malloc((size_t)att.n * sizeof *ca), *ct = malloc((size_t)n * sizeof *ct);
    int32_t *pv = malloc((size_t)n * sizeof *pv), *ph = malloc((size_t)n * sizeof *ph);
    int32_t *lic = malloc((size_t)n * sizeof *lic), *fl = malloc((size_t)n * sizeof *fl);
    REQUIRE(ya && yt && sa && st && ca && ct && pv && ph && lic && fl, "alloc");
    REQUIRE(eip_protect_forward(m, att.pixels, att.n, ya, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_protect_predict_outputs(m, ya, att.n, NULL, ca, sa, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_protect_forward(m, e->test.pixels, n, yt, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_protect_predict_outputs(m, yt, n, NULL, ct, st, &err) == EIP_OK, "%s", err.msg);
    eip_attack_relabel_vote vote;
    eip_attack_relabel_head head;
    eip_attack_relabel_head_config hc = eip_attack_relabel_head_config_default();
    REQUIRE(eip_attack_relabel_vote_fit(sa, att.labels, att.n, slots, 10, &vote, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_attack_relabel_head_fit(ya, att.labels, att.n, k, 10, &hc, &head, &err) == EIP_OK, "%s", err.msg);
    eip_attack_relabel_vote_apply(&vote, st, n, pv);
    REQUIRE(eip_attack_relabel_head_apply(&head, yt, n, ph, &err) == EIP_OK, "%s", err.msg);
    REQUIRE(eip_protect_decrypt(m, r.sk[0], 1, ct, n, lic, &err) == EIP_OK, "%s", err.msg);
    double av = acc(pv, e->test.labels, n), ah = acc(ph, e->test.labels, n),
           al = acc(lic, e->test.labels, n);
    fprintf(stderr, "%s: k=30 relabel vote %.4f head %.4f, licensee %.4f, chance 0.1\n", gn, av,
            ah, al);
    CHECK(av > 0.3, "%s: vote relabelling %.4f not above chance", gn, av);
    CHECK(ah > 0.3, "%s: head relabelling %.4f not above chance", gn, ah);
    CHECK(vote.seen >= 1 && vote.seen <= slots, "%s: seen %lld", gn, (long long)vote.seen);

    /* ---- collusion of licensees 1 and 2 */
    eip_crypto_sk_t *forged = NULL;
    eip_attack_collude_report rep;
    REQUIRE(eip_attack_collude(r.pk, (const eip_crypto_sk_t *const *)r.sk, 2, rng, &forged, &rep,
                               &err) == EIP_OK, "%s", err.msg);
    CHECK(rep.labels_ok == 10 && rep.labels == 10, "%s: self-check %d/%d", gn, rep.labels_ok, rep.labels);
    CHECK(rep.equals_colluder == 0, "%s: forged key equals a colluder's", gn);
    REQUIRE(eip_protect_decrypt(m, forged, 1, ct, n, fl, &err) == EIP_OK, "%s", err.msg);
    double af = acc(fl, e->test.labels, n);
    fprintf(stderr, "%s: forged key decrypts %.4f (licensee 1: %.4f)\n", gn, af, al);
    CHECK(fabs(af - al) <= 0.02, "%s: forged %.4f vs licensee %.4f", gn, af, al);
    int64_t who = -1;
    eip_status vs = eip_crypto_verify_key(r.master, forged, &who, &err);
    int innocent = vs == EIP_OK && who == 3; /* paper group: b_3 drawn again (1/8) */
    CHECK(vs == EIP_ERR_NOT_FOUND || innocent, "%s: verify-key names %lld", gn, (long long)who);
    int32_t *printed = pt_suspect_labels(m, forged, &r.verif);
    int64_t named = pt_trace_keys(r.sk, r.licensees, &r.verif, printed, NULL);
    fprintf(stderr, "%s: trace of the forged deployment names %lld\n", gn, (long long)named);
    CHECK(named == 0 || (innocent && named == 3), "%s: trace names colluder %lld", gn, (long long)named);
    /* and the honest licensee 2's own deployment is still named (control) */
    int32_t *own = pt_suspect_labels(m, r.sk[1], &r.verif);
    CHECK(pt_trace_keys(r.sk, r.licensees, &r.verif, own, NULL) == 2, "%s: control trace", gn);

    free(printed);
    free(own);
    eip_crypto_sk_free(forged);
    eip_attack_relabel_vote_free(&vote);
    eip_attack_relabel_head_free(&head);
    free(ya);
    free(yt);
    free(sa);
    free(st);
    free(ca);
    free(ct);
    free(pv);
    free(ph);
    free(lic);
    free(fl);
    eip_data_set_free(&att);
    eip_protect_model_free(m);
    eip_protect_result_free(&r);
    eip_crypto_rng_free(rng);
}

int main(void)
{
    pt_env e;
    pt_env_init(&e, 1000, 300, 1, 1);
    run(&e, EIP_CRYPTO_GROUP_PAPER);
    run(&e, EIP_CRYPTO_GROUP_RISTRETTO255);
    pt_env_free(&e);
    TEST_MAIN_END();
}
