#include "util/io.h"

#include "util/dirtx.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

eip_status eip_io_read_file(const char *path, size_t max_bytes,
                            unsigned char **out, size_t *out_len, eip_error *err)
{
    *out = NULL;
    *out_len = 0;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; the type
     * check below then refuses it (and directories, devices, sockets). */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return eip_error_set(err, EIP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const char *what = S_ISDIR(st.st_mode)    ? "a directory"
                           : S_ISFIFO(st.st_mode) ? "a FIFO"
                           : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                        : "something else";
        close(fd);
        return eip_error_set(err, EIP_ERR_IO, "%s: is %s, not a regular file", path, what);
    }
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        close(fd);
        return eip_error_set(err, EIP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    if ((uint64_t)st.st_size > (uint64_t)max_bytes) {
        fclose(fp);
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: file is %lld bytes, more than the %zu allowed",
                             path, (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        fclose(fp);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, n);
    }
    if (n && fread(buf, 1, n, fp) != n) {
        fclose(fp);
        free(buf);
        return eip_error_set(err, EIP_ERR_IO, "%s: short read", path);
    }
    fclose(fp);
    *out = buf;
    *out_len = n;
    return EIP_OK;
}

static eip_status fsync_parent_dir(const char *path, eip_error *err)
{
    char *copy = strdup(path);
    if (!copy)
        return eip_error_set(err, EIP_ERR_NOMEM, "out of memory");
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    free(copy);
    if (fd < 0)
        return EIP_OK; /* directory not openable: rename already happened */
    fsync(fd);
    close(fd);
    return EIP_OK;
}

eip_status eip_io_atomic_open(eip_io_atomic *w, const char *path, unsigned mode, eip_error *err)
{
    memset(w, 0, sizeof *w);
    /* Leftovers of a writer of this path that was killed (they may hold a
     * secret key) are removed before a new temporary file is made. */
    (void)eip_io_sweep_stale(path, NULL, err);
    size_t n = strlen(path);
    w->path = strdup(path);
    w->tmp_path = malloc(n + 40);
    if (!w->path || !w->tmp_path) {
        free(w->path);
        free(w->tmp_path);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", path);
    }
    sprintf(w->tmp_path, "%s.tmp.%ld.XXXXXX", path, (long)getpid());
    int fd = mkstemp(w->tmp_path);
    if (fd < 0) {
        eip_status s = eip_error_set(err, EIP_ERR_IO, "%s: cannot create temporary file: %s",
                                     path, strerror(errno));
        free(w->path);
        free(w->tmp_path);
        memset(w, 0, sizeof *w);
        return s;
    }
    /* mkstemp creates 0600; widen only for public files. */
    if (fchmod(fd, (mode_t)mode) != 0 || !(w->fp = fdopen(fd, "wb"))) {
        eip_status s = eip_error_set(err, EIP_ERR_IO, "%s: cannot set up temporary file: %s",
                                     path, strerror(errno));
        close(fd);
        unlink(w->tmp_path);
        free(w->path);
        free(w->tmp_path);
        memset(w, 0, sizeof *w);
        return s;
    }
    return EIP_OK;
}

eip_status eip_io_atomic_write(eip_io_atomic *w, const void *data, size_t len, eip_error *err)
{
    if (w->failed)
        return eip_error_set(err, EIP_ERR_IO, "%s: earlier write failed", w->path);
    if (len && fwrite(data, 1, len, w->fp) != len) {
        w->failed = 1;
        return eip_error_set(err, EIP_ERR_IO, "%s: write failed: %s", w->path, strerror(errno));
    }
    return EIP_OK;
}

void eip_io_atomic_abort(eip_io_atomic *w)
{
    if (w->fp)
        fclose(w->fp);
    if (w->tmp_path)
        unlink(w->tmp_path);
    free(w->path);
    free(w->tmp_path);
    memset(w, 0, sizeof *w);
}

eip_status eip_io_atomic_commit(eip_io_atomic *w, eip_error *err)
{
    eip_status s = EIP_OK;
    if (w->failed) {
        s = eip_error_set(err, EIP_ERR_IO, "%s: earlier write failed; nothing written", w->path);
    } else if (fflush(w->fp) != 0 || fsync(fileno(w->fp)) != 0) {
        s = eip_error_set(err, EIP_ERR_IO, "%s: flush/fsync failed: %s", w->path, strerror(errno));
    } else {
        int rc = fclose(w->fp);
        w->fp = NULL;
        if (rc != 0)
            s = eip_error_set(err, EIP_ERR_IO, "%s: close failed: %s", w->path, strerror(errno));
        else if (rename(w->tmp_path, w->path) != 0)
            s = eip_error_set(err, EIP_ERR_IO, "%s: rename failed: %s", w->path, strerror(errno));
        else {
            fsync_parent_dir(w->path, err);
            free(w->tmp_path);
            w->tmp_path = NULL; /* renamed: nothing to unlink */
        }
    }
    eip_io_atomic_abort(w);
    return s;
}

eip_status eip_io_write_atomic(const char *path, const void *data, size_t len,
                               unsigned mode, eip_error *err)
{
    eip_io_atomic w;
    eip_status s = eip_io_atomic_open(&w, path, mode, err);
    if (s != EIP_OK)
        return s;
    s = eip_io_atomic_write(&w, data, len, err);
    if (s != EIP_OK) {
        eip_io_atomic_abort(&w);
        return s;
    }
    return eip_io_atomic_commit(&w, err);
}
