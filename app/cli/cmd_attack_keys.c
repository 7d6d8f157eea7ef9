/* Attacks on EncryIP itself (issue 17 items 3 and 4; docs/RESULTS.md
 * "Attacks on EncryIP", README threat model):
 *   encryip attack collude: two or more licensee keys -> t -> a key for a
 *     fresh b (eip_attack_collude).
 *   encryip attack relabel: protected weights (no key) + k labelled images
 *     -> a classifier (slot majority vote, or a new softmax head on the
 *     model's outputs).  With --input FILE it prints one label per line, so
 *     it can stand as a suspect deployment for `encryip trace`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "encryip/attack.h"
#include "encryip/protect.h"

/* ------------------------------------------------------------- collude */

#define COLLUDE_MAX_KEYS 64

int eip_cli_attack_collude(int argc, char **argv)
{
    const char *cmd = "attack collude";
    eip_cli_opt o[] = {
        {"pk", "FILE", "public key of the keygen the keys belong to", true, NULL, false},
        {"keys", "K1,K2[,...]", "two or more licensee secret key files, comma-separated", true, NULL, false},
        {"out", "FILE", "the forged secret key (0600)", true, NULL, false},
        {"seed", "S", "deterministic choice of the fresh b (tests only)", false, NULL, false},
        {"force", NULL, "overwrite an existing --out file", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--pk FILE --keys K1,K2[,...] --out FILE [--seed S] [--force]", o,
                           argc, argv);
    if (rc >= 0)
        return rc;
    int64_t seed;
    if (!eip_cli_get_i64(cmd, o, "seed", -1, 0, INT64_MAX, &seed))
        return EIP_EXIT_USAGE;
    eip_error err = {0};
    const char *out = eip_cli_get(o, "out");
    struct stat st;
    if (!eip_cli_has(o, "force") && stat(out, &st) == 0) {
        eip_error_set(&err, EIP_ERR_STATE, "%s exists; refusing to overwrite a key (use --force)", out);
        return eip_cli_fail(cmd, EIP_ERR_STATE, &err);
    }
    eip_status s = eip_crypto_init(&err);
    if (s)
        return eip_cli_fail(cmd, s, &err);
    eip_crypto_pk_t *pk = NULL;
    eip_crypto_sk_t *keys[COLLUDE_MAX_KEYS] = {0}, *forged = NULL;
    eip_crypto_rng_t *rng = NULL;
    int64_t n = 0;
    char *list = strdup(eip_cli_get(o, "keys"));
    if (!list) {
        s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((s = eip_crypto_pk_load(eip_cli_get(o, "pk"), &pk, &err)))
        goto done;
    for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (n == COLLUDE_MAX_KEYS) {
            s = eip_error_set(&err, EIP_ERR_ARG, "--keys: more than %d keys", COLLUDE_MAX_KEYS);
            goto done;
        }
        if ((s = eip_crypto_sk_load(p, &keys[n], &err)))
            goto done;
        n++;
    }
    if (seed >= 0 && (s = eip_crypto_rng_new_u64((uint64_t)seed, &rng, &err)))
        goto done;
    eip_attack_collude_report rep;
    if ((s = eip_attack_collude(pk, (const eip_crypto_sk_t *const *)keys, n, rng, &forged, &rep,
                                &err))) {
        eip_error_prefix(&err, "--keys: ");
        goto done;
    }
    if ((s = eip_crypto_sk_save(forged, out, &err)))
        goto done;
    printf("attack collude: %lld keys (%lld distinct licensees), %s group; solved pair %lld,%lld: "
           "gcd(b_k - b_j, group order) = %lld\n",
           (long long)rep.crypto.keys, (long long)rep.crypto.distinct,
           eip_crypto_group_name(eip_crypto_pk_group(pk)), (long long)rep.crypto.pair_j,
           (long long)rep.crypto.pair_k, (long long)rep.crypto.gcd);
    printf("attack collude: t candidates fitting the keys alone: %lld%s\n",
           (long long)rep.crypto.solutions,
           rep.crypto.pk_needed ? " (the public key's g2 = g1^t settled it)" : " (t is determined)");
    printf("attack collude: forged key -> %s (0600): decrypts %d/%d fresh encryptions of every "
           "label; equal to %lld colluder key(s)\n",
           out, (int)rep.labels_ok, (int)rep.labels, (long long)rep.equals_colluder);
done:
    for (int64_t i = 0; i < n; i++)
        eip_crypto_sk_free(keys[i]);
    eip_crypto_sk_free(forged);
    eip_crypto_pk_free(pk);
    eip_crypto_rng_free(rng);
    free(list);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}

/* ------------------------------------------------------------- relabel */

/* Model outputs [N, K] and Φ^-1 slots [N] of images, one forward pass. */
static eip_status outputs_slots(eip_protect_model_t *m, const eip_data_set *ds, float **y,
                                int64_t **slots, eip_crypto_ct **ct, eip_error *err)
{
    const int64_t k = eip_nn_output_size(eip_protect_model_net(m)), n = ds->n > 0 ? ds->n : 1;
    *y = malloc((size_t)n * (size_t)k * sizeof **y);
    *slots = malloc((size_t)n * sizeof **slots);
    *ct = malloc((size_t)n * sizeof **ct);
    if (!*y || !*slots || !*ct)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: outputs of %lld images: out of memory",
                             ds->name, (long long)ds->n);
    eip_status s = eip_protect_forward(m, ds->pixels, ds->n, *y, err);
    return s ? s : eip_protect_predict_outputs(m, *y, ds->n, NULL, *ct, *slots, err);
}

int eip_cli_attack_relabel(int argc, char **argv)
{
    const char *cmd = "attack relabel";
    eip_cli_opt o[] = {
        {"model", "DIR", "protected model (bundle dir, deploy/ dir or its model.safetensors); no key", true, NULL, false},
        {"dataset", "NAME", "the attacker's labelled images: --k drawn from its train split", true, NULL, false},
        {"k", "K", "labelled images the attacker holds (>= 1)", true, NULL, false},
        {"seed", "S", "draw of the k images (default 1)", false, NULL, false},
        {"method", "M", "with --input: vote (default) or head", false, NULL, false},
        {"input", "FILE", "label these images (idx3/idx4) with --method, one per line on stdout (a trace suspect)", false, NULL, false},
        {"test-limit", "N", "without --input: evaluate on the first N test images (default all)", false, NULL, false},
        {"key", "FILE", "without --input: also report this licensee's accuracy on the same images", false, NULL, false},
        {"steps", "N", "head: full-batch gradient steps (default 300)", false, NULL, false},
        {"data-dir", "DIR", "dataset directory (default: the installed location)", false, NULL, false},
        {"weights-key", "FILE", "AdvParams weights key: unlock encrypted weights in memory", false, NULL, false},
        {"locked", NULL, "run AdvParams-encrypted weights as they are", false, NULL, false},
        {"threads", "T", "oneDNN threads (default: all cores)", false, NULL, false},
        {NULL, NULL, NULL, false, NULL, false},
    };
    int rc = eip_cli_parse(cmd, "--model DIR --dataset NAME --k K [--seed S] ([--test-limit N] "
                           "[--key FILE] | --input FILE [--method vote|head])", o, argc, argv);
    if (rc >= 0)
        return rc;
    int64_t kk, seed, threads, limit, steps;
    if (!eip_cli_get_i64(cmd, o, "k", 0, 1, 1000000, &kk) ||
        !eip_cli_get_i64(cmd, o, "seed", 1, 0, INT64_MAX, &seed) ||
        !eip_cli_get_i64(cmd, o, "threads", 0, 0, 1024, &threads) ||
        !eip_cli_get_i64(cmd, o, "test-limit", 0, 1, INT64_MAX, &limit) ||
        !eip_cli_get_i64(cmd, o, "steps", 300, 1, 1000000, &steps))
        return EIP_EXIT_USAGE;
    const char *method = eip_cli_get(o, "method") ? eip_cli_get(o, "method") : "vote";
    const char *input = eip_cli_get(o, "input");
    if (strcmp(method, "vote") && strcmp(method, "head")) {
        fprintf(stderr, "encryip %s: error: --method: '%s' is not vote or head\n", cmd, method);
        return EIP_EXIT_USAGE;
    }
    if (input && (eip_cli_has(o, "key") || eip_cli_has(o, "test-limit"))) {
        fprintf(stderr, "encryip %s: error: --input labels a file: no --key or --test-limit\n", cmd);
        return EIP_EXIT_USAGE;
    }
    eip_error err = {0};
    eip_status s;
    eip_nn_ctx ctx = {0};
    eip_protect_model_t *m = NULL;
    eip_crypto_sk_t *sk = NULL;
    eip_data_set tr = {0}, te = {0}, att = {0}, ev = {0};
    float *ya = NULL, *ye = NULL;
    int64_t *sa = NULL, *se = NULL;
    eip_crypto_ct *ca = NULL, *ce = NULL;
    int32_t *pv = NULL, *ph = NULL, *pk_lab = NULL;
    eip_attack_relabel_vote vote = {0};
    eip_attack_relabel_head head = {0};
    if ((s = eip_crypto_init(&err)) || (s = eip_nn_ctx_init(&ctx, (int)threads, &err)) ||
        (s = eip_cli_protect_model_open(&ctx, o, &m, &err)))
        goto done;
    if (eip_cli_has(o, "key") && (s = eip_crypto_sk_load(eip_cli_get(o, "key"), &sk, &err)))
        goto done;
    int32_t c, h, w;
    eip_protect_model_shape(m, &c, &h, &w);
    if ((s = eip_data_load_by_name(eip_cli_get(o, "dataset"), eip_cli_get(o, "data-dir"), &tr, &te,
                                   &err)))
        goto done;
    if (kk > tr.n) {
        s = eip_error_set(&err, EIP_ERR_RANGE, "--k %lld: %s has only %lld images", (long long)kk,
                          tr.name, (long long)tr.n);
        goto done;
    }
    if ((s = eip_data_set_subset_fraction(&tr, (double)kk / (double)tr.n, (uint64_t)seed, &att, &err)) ||
        (s = eip_protect_model_check_shape(m, att.name, att.c, att.h, att.w, &err)))
        goto done;
    const int32_t z = eip_crypto_pk_classes(eip_protect_model_pk(m));
    const int64_t dim = eip_nn_output_size(eip_protect_model_net(m));
    const int64_t slots = eip_crypto_codebook_size(eip_protect_model_codebook(m));
    eip_attack_relabel_head_config hc = eip_attack_relabel_head_config_default();
    hc.steps = steps;
    /* The attacker's k images through the protected weights: no key used. */
    if ((s = outputs_slots(m, &att, &ya, &sa, &ca, &err)) ||
        (s = eip_attack_relabel_vote_fit(sa, att.labels, att.n, slots, z, &vote, &err)) ||
        (s = eip_attack_relabel_head_fit(ya, att.labels, att.n, dim, z, &hc, &head, &err)))
        goto done;
    if (input) {
        if ((s = eip_protect_images_load(input, &ev, &err)) ||
            (s = eip_protect_model_check_shape(m, input, ev.c, ev.h, ev.w, &err)))
            goto done;
    } else if (limit > 0 && limit < te.n) {
        if ((s = eip_data_set_subset_first(&te, limit, &ev, &err)))
            goto done;
    } else {
        ev = te;
        memset(&te, 0, sizeof te);
    }
    const int64_t n = ev.n > 0 ? ev.n : 1;
    pv = malloc((size_t)n * sizeof *pv);
    ph = malloc((size_t)n * sizeof *ph);
    pk_lab = malloc((size_t)n * sizeof *pk_lab);
    if (!pv || !ph || !pk_lab) {
        s = eip_error_set(&err, EIP_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((s = outputs_slots(m, &ev, &ye, &se, &ce, &err)))
        goto done;
    eip_attack_relabel_vote_apply(&vote, se, ev.n, pv);
    if ((s = eip_attack_relabel_head_apply(&head, ye, ev.n, ph, &err)))
        goto done;
    if (input) {
        const int32_t *lab = strcmp(method, "vote") ? ph : pv;
        for (int64_t i = 0; i < ev.n; i++)
            printf("%d\n", (int)lab[i]);
        fprintf(stderr, "attack relabel: %lld images labelled by the %s relabelling of %lld "
                        "labelled images (no key)\n",
                (long long)ev.n, method, (long long)att.n);
        goto done;
    }
    int64_t rv = 0, rh = 0, rk = 0;
    if (sk && (s = eip_protect_decrypt(m, sk, 1, ce, ev.n, pk_lab, &err)))
        goto done;
    for (int64_t i = 0; i < ev.n; i++) {
        rv += pv[i] == ev.labels[i];
        rh += ph[i] == ev.labels[i];
        rk += sk && pk_lab[i] == ev.labels[i];
    }
    const double d = ev.n ? (double)ev.n : 1.0;
    printf("attack relabel: k=%lld labelled images (seed %lld), %s group, %lld slots (%lld reached "
           "by the k images), %lld outputs\n",
           (long long)att.n, (long long)seed,
           eip_crypto_group_name(eip_crypto_pk_group(eip_protect_model_pk(m))), (long long)slots,
           (long long)vote.seen, (long long)dim);
    printf("vote accuracy %.4f (%lld/%lld)\n", (double)rv / d, (long long)rv, (long long)ev.n);
    printf("head accuracy %.4f (%lld/%lld)\n", (double)rh / d, (long long)rh, (long long)ev.n);
    if (sk)
        printf("licensee accuracy %.4f (%lld/%lld)\n", (double)rk / d, (long long)rk,
               (long long)ev.n);
    printf("chance %.4f (1/%d)\n", 1.0 / z, (int)z);
done:
    eip_attack_relabel_vote_free(&vote);
    eip_attack_relabel_head_free(&head);
    free(pv);
    free(ph);
    free(pk_lab);
    free(ya);
    free(ye);
    free(sa);
    free(se);
    free(ca);
    free(ce);
    eip_data_set_free(&tr);
    eip_data_set_free(&te);
    eip_data_set_free(&att);
    eip_data_set_free(&ev);
    eip_crypto_sk_free(sk);
    eip_protect_model_free(m);
    eip_nn_ctx_free(&ctx);
    return s ? eip_cli_fail(cmd, s, &err) : EIP_EXIT_OK;
}
