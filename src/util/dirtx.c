#define _XOPEN_SOURCE 700 /* nftw, FTW_PHYS */
#include "util/dirtx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_CAP 4096

eip_status eip_io_path_trim(char *out, size_t cap, const char *path, eip_error *err)
{
    size_t n = path ? strlen(path) : 0;
    if (n == 0)
        return eip_error_set(err, EIP_ERR_ARG, "empty path");
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (n + 1 > cap)
        return eip_error_set(err, EIP_ERR_ARG, "%s: path too long", path);
    memcpy(out, path, n);
    out[n] = '\0';
    return EIP_OK;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(p);
    else
        unlink(p);
    return 0;
}

void eip_io_rmtree(const char *dir) { nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

/* "NAME.tmp.<pid>.<rest>" or "NAME.old.<pid>.<rest>" -> pid, else 0. */
static long leftover_pid(const char *entry, const char *base)
{
    size_t bl = strlen(base);
    if (strncmp(entry, base, bl) != 0)
        return 0;
    const char *p = entry + bl;
    if (strncmp(p, ".tmp.", 5) != 0 && strncmp(p, ".old.", 5) != 0)
        return 0;
    p += 5;
    char *end = NULL;
    errno = 0;
    long pid = strtol(p, &end, 10);
    if (errno || end == p || *end != '.' || pid <= 0)
        return 0;
    return pid;
}

static bool pid_alive(long pid)
{
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

eip_status eip_io_sweep_stale(const char *path, int *removed, eip_error *err)
{
    char trimmed[PATH_CAP], parent[PATH_CAP];
    eip_status s = eip_io_path_trim(trimmed, sizeof trimmed, path, err);
    if (s != EIP_OK)
        return s;
    if (removed)
        *removed = 0;
    const char *slash = strrchr(trimmed, '/');
    const char *base = slash ? slash + 1 : trimmed;
    if (slash == trimmed)
        snprintf(parent, sizeof parent, "/");
    else if (slash)
        snprintf(parent, sizeof parent, "%.*s", (int)(slash - trimmed), trimmed);
    else
        snprintf(parent, sizeof parent, ".");
    DIR *d = opendir(parent);
    if (!d)
        return EIP_OK; /* no parent: nothing left behind (the writer reports the real error) */
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid = leftover_pid(e->d_name, base);
        if (!pid || pid_alive(pid))
            continue;
        char victim[PATH_CAP];
        int k = snprintf(victim, sizeof victim, "%s/%s", parent, e->d_name);
        if (k < 0 || (size_t)k >= sizeof victim)
            continue;
        struct stat st;
        if (lstat(victim, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            eip_io_rmtree(victim);
        else
            unlink(victim);
        if (removed)
            (*removed)++;
    }
    closedir(d);
    return EIP_OK;
}

void eip_io_dirtx_abort(eip_io_dirtx *tx)
{
    if (tx->tmp)
        eip_io_rmtree(tx->tmp);
    free(tx->tmp);
    free(tx->dir);
    tx->tmp = tx->dir = NULL;
}

eip_status eip_io_dirtx_begin(eip_io_dirtx *tx, const char *dir, bool replace, const char *must_be,
                              eip_error *err)
{
    memset(tx, 0, sizeof *tx);
    char trimmed[PATH_CAP];
    eip_status s = eip_io_path_trim(trimmed, sizeof trimmed, dir, err);
    if (s != EIP_OK)
        return s;
    struct stat st;
    if (lstat(trimmed, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return eip_error_set(err, EIP_ERR_IO, "%s: exists and is not a directory", trimmed);
        if (!replace)
            return eip_error_set(err, EIP_ERR_STATE,
                                 "%s: exists; refusing to overwrite it (use --force)", trimmed);
        if (must_be) {
            char probe[PATH_CAP + 256];
            int k = snprintf(probe, sizeof probe, "%s/%s", trimmed, must_be);
            if (k < 0 || (size_t)k >= sizeof probe || access(probe, F_OK) != 0)
                return eip_error_set(err, EIP_ERR_STATE,
                                     "%s: exists and has no %s, so it is not this command's output; "
                                     "refusing to replace it",
                                     trimmed, must_be);
        }
    }
    (void)eip_io_sweep_stale(trimmed, NULL, err);
    tx->dir = strdup(trimmed);
    tx->tmp = malloc(strlen(trimmed) + 48);
    if (!tx->dir || !tx->tmp) {
        eip_io_dirtx_abort(tx);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", trimmed);
    }
    sprintf(tx->tmp, "%s.tmp.%ld.XXXXXX", trimmed, (long)getpid());
    if (!mkdtemp(tx->tmp)) { /* mkdtemp makes it 0700: secrets stay private until commit */
        s = eip_error_set(err, EIP_ERR_IO, "%s: cannot create a temporary directory next to it: %s",
                          trimmed, strerror(errno));
        free(tx->tmp);
        tx->tmp = NULL;
        eip_io_dirtx_abort(tx);
        return s;
    }
    return EIP_OK;
}

static void fsync_path(const char *p)
{
    int fd = open(p, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

eip_status eip_io_dirtx_commit(eip_io_dirtx *tx, unsigned mode, eip_error *err)
{
    eip_status s = EIP_OK;
    if (!tx->tmp)
        return eip_error_set(err, EIP_ERR_STATE, "directory transaction not begun");
    fsync_path(tx->tmp);
    if (chmod(tx->tmp, (mode_t)mode) != 0) {
        s = eip_error_set(err, EIP_ERR_IO, "%s: chmod failed: %s", tx->tmp, strerror(errno));
        eip_io_dirtx_abort(tx);
        return s;
    }
    char *old = NULL;
    struct stat st;
    if (lstat(tx->dir, &st) == 0) {
        old = malloc(strlen(tx->dir) + 48);
        if (!old) {
            eip_io_dirtx_abort(tx);
            return eip_error_set(err, EIP_ERR_NOMEM, "out of memory");
        }
        sprintf(old, "%s.old.%ld.XXXXXX", tx->dir, (long)getpid());
        /* mkdtemp reserves a unique name; rename(dir, old) then replaces the empty dir. */
        if (!mkdtemp(old) || rename(tx->dir, old) != 0) {
            s = eip_error_set(err, EIP_ERR_IO, "%s: cannot move the old one aside: %s", tx->dir,
                              strerror(errno));
            free(old);
            eip_io_dirtx_abort(tx);
            return s;
        }
    }
    if (rename(tx->tmp, tx->dir) != 0) {
        s = eip_error_set(err, EIP_ERR_IO, "%s: cannot rename %s into place: %s", tx->dir, tx->tmp,
                          strerror(errno));
        if (old)
            rename(old, tx->dir);
        free(old);
        eip_io_dirtx_abort(tx);
        return s;
    }
    free(tx->tmp);
    tx->tmp = NULL;
    char parent[PATH_CAP];
    snprintf(parent, sizeof parent, "%s", tx->dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent)
        *slash = '\0';
    else
        snprintf(parent, sizeof parent, slash ? "/" : ".");
    fsync_path(parent);
    if (old) {
        eip_io_rmtree(old);
        free(old);
    }
    eip_io_dirtx_abort(tx);
    return EIP_OK;
}
