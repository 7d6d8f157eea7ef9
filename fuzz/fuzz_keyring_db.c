/* libFuzzer target: opening and checking a keyring file.  The input is
 * written to a private temporary file and opened as a keyring; open, the
 * licensee list and the full integrity check must refuse anything that is
 * not a valid keyring with a status, never crash.  Seeds: a real keyring
 * (scripts/fuzz makes one with `encryip keyring init`). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "encryip/keyring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/eip-fuzz-keyring-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    size_t off = 0;
    while (off < size) {
        ssize_t k = write(fd, data + off, size - off);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    close(fd);
    eip_error err;
    eip_keyring_t *kr = NULL;
    if (off == size && eip_keyring_open(path, &kr, &err) == EIP_OK) {
        eip_keyring_licensee *l = NULL;
        int64_t n = 0;
        if (eip_keyring_licensee_list(kr, &l, &n, &err) == EIP_OK)
            free(l);
        eip_keyring_stats st;
        (void)eip_keyring_check(kr, NULL, &st, &err);
        eip_keyring_close(kr);
    }
    unlink(path);
    /* SQLite may leave -wal/-shm companions next to the file. */
    char side[sizeof path + 8];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return 0;
}
