/* Shared helpers of the keyring tests: a scratch directory, a key set
 * (pk + master.key file + licensee keys) and a fresh keyring. */
#ifndef EIP_KR_TUTIL_H
#define EIP_KR_TUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encryip/keyring.h"
#include "test.h"

typedef struct kr_fixture {
    char dir[256];
    char master[300]; /* dir/master.key */
    char ring[300];   /* dir/ring.db */
    eip_crypto_pk_t *pk;
    int64_t p;        /* licensees at creation */
} kr_fixture;

/* The scratch directory is flat: remove its files, then it. */
static inline void kr_rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            remove(p);
        }
    closedir(d);
    rmdir(dir);
}

static inline int kr_mode(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (int)(sb.st_mode & 0777) : -1;
}

/* Gen(P) into f->dir (master.key written), keyring f->ring with P licensees. */
static inline void kr_setup(kr_fixture *f, const char *tag, eip_crypto_group_id grp, int64_t q, int64_t p,
                     uint64_t seed)
{
    eip_error err = {0};
    REQUIRE(eip_crypto_init(&err) == EIP_OK, "%s", err.msg);
    snprintf(f->dir, sizeof f->dir, "/tmp/eip_kr_%s.XXXXXX", tag);
    REQUIRE(mkdtemp(f->dir), "mkdtemp");
    snprintf(f->master, sizeof f->master, "%s/master.key", f->dir);
    snprintf(f->ring, sizeof f->ring, "%s/ring.db", f->dir);
    eip_crypto_rng_t *rng = NULL;
    REQUIRE(eip_crypto_rng_new_u64(seed, &rng, &err) == EIP_OK, "%s", err.msg);
    eip_crypto_params prm = {grp, 10, q};
    eip_crypto_master_t *m = NULL;
    REQUIRE(eip_crypto_gen(&prm, p, rng, &f->pk, &m, &err) == EIP_OK, "gen: %s", err.msg);
    REQUIRE(eip_crypto_master_save(m, f->master, &err) == EIP_OK, "%s", err.msg);
    eip_crypto_sk_t **sks = calloc((size_t)p, sizeof *sks);
    REQUIRE(sks, "oom");
    for (int64_t j = 1; j <= p; j++)
        REQUIRE(eip_crypto_master_sk(m, j, &sks[j - 1], &err) == EIP_OK, "%s", err.msg);
    eip_status s = eip_keyring_create(f->ring, f->pk, sks, NULL, p, NULL, &err);
    REQUIRE(s == EIP_OK, "create: %s", err.msg);
    for (int64_t j = 0; j < p; j++)
        eip_crypto_sk_free(sks[j]);
    free(sks);
    eip_crypto_master_free(m);
    eip_crypto_rng_free(rng);
    f->p = p;
}

static inline void kr_teardown(kr_fixture *f)
{
    eip_crypto_pk_free(f->pk);
    kr_rm_rf(f->dir);
}

static inline eip_keyring_t *kr_open(const char *path)
{
    eip_error err = {0};
    eip_keyring_t *kr = NULL;
    REQUIRE(eip_keyring_open(path, &kr, &err) == EIP_OK, "open %s: %s", path, err.msg);
    return kr;
}

#endif
