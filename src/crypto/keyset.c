/* A key set (keygen's output: public.key, master.key, licensee-<j>.key) is
 * written as one unit: into a temporary directory next to DIR, renamed into
 * place at the end (util/dirtx.h).  A full disk or a kill -9 midway leaves
 * either the complete new set or whatever was there before, never a mix:
 * with replace, the old set is moved aside only once the new one is complete
 * (issue: 400 keys onto a filling disk used to leave 256 licensee keys and
 * no master key, and --force destroyed the old set first). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "encryip/crypto.h"
#include "util/dirtx.h"

/* Is every entry of dir a key-set file?  (keygen's own output, which
 * --force may replace; anything else makes the directory the user's.) */
static eip_status only_keys(const char *dir, bool *empty, eip_error *err)
{
    *empty = true;
    DIR *d = opendir(dir);
    if (!d)
        return eip_error_set(err, EIP_ERR_IO, "%s: cannot read directory: %s", dir, strerror(errno));
    struct dirent *e;
    eip_status s = EIP_OK;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (!strcmp(n, ".") || !strcmp(n, ".."))
            continue;
        *empty = false;
        long long j;
        char tail;
        bool key = !strcmp(n, "public.key") || !strcmp(n, "master.key") ||
                   (sscanf(n, "licensee-%lld.ke%c", &j, &tail) == 2 && tail == 'y' &&
                    strlen(n) >= 14 && !strcmp(n + strlen(n) - 4, ".key"));
        if (!key) {
            s = eip_error_set(err, EIP_ERR_STATE,
                              "%s: holds %s, which is not a key file; keys go into a directory of "
                              "their own (refusing to replace it)",
                              dir, n);
            break;
        }
    }
    closedir(d);
    return s;
}

eip_status eip_crypto_keyset_save(const char *dir, const eip_crypto_pk_t *pk,
                                  const eip_crypto_master_t *m, bool replace, eip_error *err)
{
    char path[4200];
    eip_status s = eip_io_path_trim(path, sizeof path, dir, err);
    if (s != EIP_OK)
        return s;
    struct stat st;
    bool exists = lstat(path, &st) == 0, empty = true;
    if (exists) {
        if (!S_ISDIR(st.st_mode))
            return eip_error_set(err, EIP_ERR_IO, "%s: exists and is not a directory", path);
        if ((s = only_keys(path, &empty, err)) != EIP_OK)
            return s;
        if (!empty && !replace)
            return eip_error_set(err, EIP_ERR_STATE,
                                 "%s: holds keys already; refusing to overwrite them (use --force; "
                                 "the old keys and everything encrypted for them would be lost)",
                                 path);
    }
    eip_io_dirtx tx;
    if ((s = eip_io_dirtx_begin(&tx, path, exists, NULL, err)) != EIP_OK)
        return s;
    char file[4300];
    int64_t p = eip_crypto_master_licensees(m);
    for (int64_t j = 1; j <= p && s == EIP_OK; j++) {
        eip_crypto_sk_t *sk = NULL;
        snprintf(file, sizeof file, "%s/licensee-%lld.key", tx.tmp, (long long)j);
        if ((s = eip_crypto_master_sk(m, j, &sk, err)) == EIP_OK)
            s = eip_crypto_sk_save(sk, file, err);
        eip_crypto_sk_free(sk);
    }
    snprintf(file, sizeof file, "%s/master.key", tx.tmp);
    if (s == EIP_OK)
        s = eip_crypto_master_save(m, file, err);
    snprintf(file, sizeof file, "%s/public.key", tx.tmp);
    if (s == EIP_OK)
        s = eip_crypto_pk_save(pk, file, err);
    if (s != EIP_OK) {
        /* name the key set, not the temporary file, and keep the cause */
        char why[EIP_ERROR_MSG_BYTES];
        snprintf(why, sizeof why, "%s", err ? err->msg : "");
        eip_io_dirtx_abort(&tx);
        return eip_error_set(err, s, "%s: key set not written, %s", path, why);
    }
    return eip_io_dirtx_commit(&tx, 0755, err);
}
