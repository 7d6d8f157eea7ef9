/* The protected-model bundle (docs/PROTECT.md):
 *   DIR/deploy/   model.safetensors, public.key, codebook.bin (unlabelled,
 *                 shuffled slots): what a licensee receives
 *   DIR/keys/     licensee-<j>.key (0600), one per licensee; weights.key
 *                 (0600) when the weights are AdvParams-encrypted
 *   DIR/owner/    master.key (0600), keyring.sqlite (0600), codebook.bin
 *                 (labelled), verification.json/.idx/.ct
 *   DIR/manifest.json  settings, seeds, accuracies, BLAKE2b-256 of every file
 * Everything is written into DIR.tmp.XXXXXX and renamed into place at the
 * end, so a failed or killed run never leaves a half bundle at DIR. */
#include <sodium.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protect/internal.h"
#include "util/io.h"

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static eip_status mkdir_mode(const char *p, mode_t mode, eip_error *err)
{
    if (mkdir(p, mode) != 0)
        return eip_error_set(err, EIP_ERR_IO, "%s: cannot create directory: %s", p, strerror(errno));
    return EIP_OK;
}

/* Files listed in the manifest, relative to the bundle root. */
static eip_status add_file(cJSON *files, const char *root, const char *rel, eip_error *err)
{
    char path[4200], hash[65];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    eip_status s = eip_protect_file_hash(path, hash, err);
    if (s)
        return s;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", rel);
    cJSON_AddStringToObject(o, "blake2b", hash);
    cJSON_AddItemToArray(files, o);
    return EIP_OK;
}

static eip_status write_manifest(const eip_protect_result *r, const eip_protect_bundle_info *info,
                                 const char *root, eip_error *err)
{
    cJSON *m = cJSON_CreateObject(), *files = cJSON_CreateArray();
    const eip_crypto_pk_t *pk = r->pk;
    char buf[128];
    eip_status s = EIP_OK;
    cJSON_AddStringToObject(m, "format", "encryip-protected-bundle");
    cJSON_AddNumberToObject(m, "version", EIP_PROTECT_VERSION);
    cJSON_AddStringToObject(m, "encryip", "0.1.0");
    cJSON_AddStringToObject(m, "bundle", r->id);
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    cJSON_AddStringToObject(m, "created", buf);
    if (info && info->command)
        cJSON_AddStringToObject(m, "command", info->command);
    cJSON *cr = cJSON_AddObjectToObject(m, "crypto");
    cJSON_AddStringToObject(cr, "group", eip_crypto_group_name(eip_crypto_pk_group(pk)));
    cJSON_AddNumberToObject(cr, "classes", eip_crypto_pk_classes(pk));
    cJSON_AddNumberToObject(cr, "q", (double)eip_crypto_pk_q(pk));
    sodium_bin2hex(buf, sizeof buf, eip_crypto_pk_id(pk), EIP_CRYPTO_PKID_BYTES);
    cJSON_AddStringToObject(cr, "pk_id", buf);
    cJSON_AddNumberToObject(cr, "licensees", (double)r->licensees);
    cJSON_AddNumberToObject(cr, "codebook_slots", (double)eip_crypto_codebook_size(r->codebook));
    cJSON_AddBoolToObject(cr, "seeded_keys", info && info->crypto_seeded);
    cJSON *md = cJSON_AddObjectToObject(m, "model");
    cJSON_AddNumberToObject(md, "outputs", (double)r->k);
    cJSON_AddStringToObject(md, "decoder", "ml");
    cJSON_AddStringToObject(md, "weights", r->net ? "deploy/model.safetensors" : "external");
    if (info) {
        cJSON *tr = cJSON_AddObjectToObject(m, "training");
        cJSON_AddStringToObject(tr, "dataset", info->dataset ? info->dataset : "");
        cJSON_AddStringToObject(tr, "arch", info->arch ? info->arch : "");
        cJSON_AddNumberToObject(tr, "width", info->width);
        cJSON_AddNumberToObject(tr, "epochs", (double)info->epochs);
        cJSON_AddNumberToObject(tr, "batch", (double)info->batch);
        cJSON_AddNumberToObject(tr, "lr", info->lr);
        cJSON_AddNumberToObject(tr, "wd", info->wd);
        cJSON_AddStringToObject(tr, "optim", info->optim ? info->optim : "");
        cJSON_AddStringToObject(tr, "schedule", info->schedule ? info->schedule : "");
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)info->seed);
        cJSON_AddStringToObject(tr, "seed", buf);
        cJSON_AddNumberToObject(tr, "train_images", (double)r->train_n);
        cJSON_AddNumberToObject(tr, "seconds", r->seconds);
    }
    cJSON *vf = cJSON_AddObjectToObject(m, "verification");
    cJSON_AddStringToObject(vf, "kind", eip_crypto_pk_group(pk) == EIP_CRYPTO_GROUP_PAPER ? "fake"
                                                                                           : "targeted");
    cJSON_AddNumberToObject(vf, "instances", (double)r->verif.n);
    cJSON_AddNumberToObject(vf, "replicas", (double)r->verif_reps);
    cJSON_AddStringToObject(vf, "source", info && info->verif_source ? info->verif_source : "");
    cJSON_AddNumberToObject(vf, "memorised", r->verif_memorised);
    if (r->adv_key.n > 0) {
        /* combined protection: what AdvParams did to the deployed weights */
        cJSON *ad = cJSON_AddObjectToObject(m, "advparams");
        cJSON_AddStringToObject(ad, "key", "keys/weights.key");
        cJSON_AddStringToObject(ad, "key_scope", "one weights key for every licensee");
        sodium_bin2hex(buf, sizeof buf, r->adv_key.hash_enc, EIP_ADVPARAMS_HASH_BYTES);
        cJSON_AddStringToObject(ad, "encrypted_model_hash", buf);
        cJSON_AddNumberToObject(ad, "changed", (double)r->adv.changed);
        cJSON_AddNumberToObject(ad, "n_params", (double)r->adv.n_params);
        cJSON_AddNumberToObject(ad, "enc_images", (double)r->adv_enc_n);
        cJSON_AddNumberToObject(ad, "target_acc", r->adv_target);
        cJSON_AddNumberToObject(ad, "enc_acc_before", r->adv.acc_before);
        cJSON_AddNumberToObject(ad, "enc_acc_after", r->adv.acc_after);
        cJSON_AddBoolToObject(ad, "reached", r->adv.reached);
        cJSON *curve = cJSON_AddArrayToObject(ad, "enc_acc_curve");
        for (int64_t i = 0; r->adv.acc_curve && i <= r->adv.changed; i++)
            cJSON_AddItemToArray(curve, cJSON_CreateNumber(r->adv.acc_curve[i]));
    }
    cJSON *ac = cJSON_AddObjectToObject(m, "accuracy");
    cJSON_AddNumberToObject(ac, "test_ml", r->test_acc_ml);
    cJSON_AddNumberToObject(ac, "test_argmax", r->test_acc_argmax);
    cJSON *hist = cJSON_AddArrayToObject(ac, "per_epoch");
    for (int64_t e = 0; e < r->history.epochs; e++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "loss", r->history.train_loss[e]);
        cJSON_AddNumberToObject(o, "test_acc", r->history.test_acc[e]);
        cJSON_AddNumberToObject(o, "seconds", r->history.seconds[e]);
        cJSON_AddItemToArray(hist, o);
    }
    static const char *fixed[] = {"deploy/model.safetensors", "deploy/public.key", "deploy/codebook.bin",
                                  "owner/master.key", "owner/keyring.sqlite", "owner/codebook.bin",
                                  "owner/verification.json", "owner/verification.idx",
                                  "owner/verification.ct"};
    /* a skeleton (no net) has no deploy/model.safetensors */
    for (size_t i = r->net ? 0 : 1; i < sizeof fixed / sizeof fixed[0] && !s; i++)
        s = add_file(files, root, fixed[i], err);
    for (int64_t j = 1; j <= r->licensees && !s; j++) {
        snprintf(buf, sizeof buf, "keys/licensee-%lld.key", (long long)j);
        s = add_file(files, root, buf, err);
    }
    if (!s && r->adv_key.n > 0)
        s = add_file(files, root, "keys/weights.key", err);
    cJSON_AddItemToObject(m, "files", files);
    char *text = s ? NULL : cJSON_Print(m);
    cJSON_Delete(m);
    if (s)
        return s;
    if (!text)
        return eip_error_set(err, EIP_ERR_NOMEM, "manifest: out of memory");
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", root);
    s = eip_io_write_atomic(path, text, strlen(text), EIP_IO_MODE_PUBLIC, err);
    free(text);
    return s;
}

static eip_status fill(const eip_protect_result *r, const eip_protect_bundle_info *info,
                       const char *root, eip_error *err)
{
    char p[4200];
    eip_status s;
    snprintf(p, sizeof p, "%s/deploy", root);
    if ((s = mkdir_mode(p, 0755, err)))
        return s;
    snprintf(p, sizeof p, "%s/keys", root);
    if ((s = mkdir_mode(p, 0700, err)))
        return s;
    snprintf(p, sizeof p, "%s/owner", root);
    if ((s = mkdir_mode(p, 0700, err)))
        return s;

    eip_protect_model_t *m = NULL;
    if (!r->net) {
        /* skeleton of a training-free plan (plan.c): the weights are
         * trained elsewhere (PyTorch); deploy/ gets the key and codebook */
        snprintf(p, sizeof p, "%s/deploy/public.key", root);
        if ((s = eip_crypto_pk_save(r->pk, p, err)))
            return s;
        snprintf(p, sizeof p, "%s/deploy/codebook.bin", root);
        if ((s = eip_crypto_codebook_save(r->deploy_codebook, p, err)))
            return s;
    } else if ((s = eip_protect_model_from_result(r, &m, err))) {
        return s;
    }
    if (m && info) {
        char v[64];
        s = eip_protect_model_meta_set(m, EIP_NN_META_TRAIN_DATASET, info->dataset ? info->dataset : "", err);
        if (!s)
            s = eip_protect_model_meta_set(m, EIP_NN_META_TRAIN_ARCH, info->arch ? info->arch : "", err);
        snprintf(v, sizeof v, "%lld", (long long)info->epochs);
        if (!s)
            s = eip_protect_model_meta_set(m, EIP_NN_META_TRAIN_EPOCHS, v, err);
        snprintf(v, sizeof v, "%llu", (unsigned long long)info->seed);
        if (!s)
            s = eip_protect_model_meta_set(m, EIP_NN_META_TRAIN_SEED, v, err);
    }
    snprintf(p, sizeof p, "%s/deploy", root);
    if (!s && m)
        s = eip_protect_model_save(m, p, 1, err);
    eip_protect_model_free(m);
    if (s)
        return s;

    for (int64_t j = 1; j <= r->licensees; j++) {
        snprintf(p, sizeof p, "%s/keys/licensee-%lld.key", root, (long long)j);
        if ((s = eip_crypto_sk_save(r->sk[j - 1], p, err)))
            return s;
    }
    /* AdvParams weights key: the same for every licensee (one encrypted
     * file is distributed); the model save above already refused a net
     * unlocked since encryption. */
    snprintf(p, sizeof p, "%s/keys/weights.key", root);
    if (r->adv_key.n > 0 && (s = eip_advparams_key_write(&r->adv_key, p, err)))
        return s;
    snprintf(p, sizeof p, "%s/owner/master.key", root);
    if ((s = eip_crypto_master_save(r->master, p, err)))
        return s;
    snprintf(p, sizeof p, "%s/owner/codebook.bin", root);
    if ((s = eip_crypto_codebook_save(r->codebook, p, err)))
        return s;
    snprintf(p, sizeof p, "%s/owner/verification.json", root);
    if ((s = eip_protect_verif_save(&r->verif, r->pk, p, err)))
        return s;

    /* keyring: every licensee + the verification ciphertexts (section 4.4) */
    snprintf(p, sizeof p, "%s/owner/keyring.sqlite", root);
    eip_keyring_t *kr = NULL;
    if ((s = eip_keyring_create(p, r->pk, r->sk, NULL, r->licensees, &kr, err)))
        return s;
    eip_keyring_verif *kv = calloc((size_t)r->verif.n, sizeof *kv);
    if (!kv) {
        eip_keyring_close(kr);
        return eip_error_set(err, EIP_ERR_NOMEM, "keyring: out of memory");
    }
    for (int64_t i = 0; i < r->verif.n; i++) {
        kv[i].kind = r->verif.kind[i];
        kv[i].licensee = r->verif.licensee[i];
        kv[i].label = r->verif.label[i];
        kv[i].instance = i;
        snprintf(kv[i].model, sizeof kv[i].model, "%s", r->id);
        kv[i].ct = r->verif.ct[i];
    }
    s = eip_keyring_verif_add(kr, kv, r->verif.n, err);
    free(kv);
    eip_keyring_close(kr);
    if (s)
        return s;
    return write_manifest(r, info, root, err);
}

eip_status eip_protect_bundle_write(const eip_protect_result *r, const eip_protect_bundle_info *info,
                                    const char *dir, int force, eip_error *err)
{
    char man[4200], tmp[4200], old[4200];
    if (strlen(dir) == 0 || strlen(dir) > 4000)
        return eip_error_set(err, EIP_ERR_ARG, "--out: bad directory name");
    if (exists(dir)) {
        if (!force)
            return eip_error_set(err, EIP_ERR_STATE, "%s: already exists (pass --force to replace it)",
                                 dir);
        snprintf(man, sizeof man, "%s/manifest.json", dir);
        if (!exists(man))
            return eip_error_set(err, EIP_ERR_STATE,
                                 "%s: exists and is not an encryip bundle (no manifest.json); refusing "
                                 "to replace it even with --force", dir);
    }
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", dir);
    while (strlen(tmp) > 1 && tmp[strlen(tmp) - 1] == '/')
        tmp[strlen(tmp) - 1] = '\0';
    if (!mkdtemp(tmp))
        return eip_error_set(err, EIP_ERR_IO, "%s: cannot create a temporary directory: %s", tmp,
                             strerror(errno));
    chmod(tmp, 0755);
    eip_status s = fill(r, info, tmp, err);
    if (s) {
        eip_protect_rmtree(tmp);
        return s;
    }
    if (exists(dir)) {
        snprintf(old, sizeof old, "%s.old.XXXXXX", dir);
        if (!mkdtemp(old) || rename(dir, old) != 0) {
            s = eip_error_set(err, EIP_ERR_IO, "%s: cannot move the old bundle aside: %s", dir,
                              strerror(errno));
            eip_protect_rmtree(tmp);
            return s;
        }
        if (rename(tmp, dir) != 0) {
            s = eip_error_set(err, EIP_ERR_IO, "%s: cannot rename %s into place: %s", dir, tmp,
                              strerror(errno));
            rename(old, dir);
            eip_protect_rmtree(tmp);
            return s;
        }
        eip_protect_rmtree(old);
        return EIP_OK;
    }
    if (rename(tmp, dir) != 0) {
        s = eip_error_set(err, EIP_ERR_IO, "%s: cannot rename %s into place: %s", dir, tmp,
                          strerror(errno));
        eip_protect_rmtree(tmp);
    }
    return s;
}
