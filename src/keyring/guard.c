/* `encryip issue` outside the keyring (issue 17 item 5): a key issued
 * straight from the master key is a key the keyring never hears of, so
 * verify-key cannot name its holder (trace in the paper group can, from the
 * master key's b_j; ristretto255 cannot at all).  The guard refuses when an
 * encryip keyring sits in the master key's directory (the bundle layout
 * owner/master.key + owner/keyring.sqlite): such keys must go through
 * `encryip licensee add`.  A keyring kept elsewhere is not detected;
 * `encryip keyring check --master` reports keys the keyring does not hold. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "encryip/keyring.h"

/* SQLite header: "SQLite format 3\0" at 0, application_id big-endian at 68. */
#define SQLITE_HEADER_BYTES 100


static int is_keyring(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    unsigned char h[SQLITE_HEADER_BYTES];
    size_t got = fread(h, 1, sizeof h, f);
    fclose(f);
    if (got != sizeof h || memcmp(h, "SQLite format 3", 16) != 0)
        return 0;
    uint32_t app = (uint32_t)h[68] << 24 | (uint32_t)h[69] << 16 | (uint32_t)h[70] << 8 | h[71];
    return app == (uint32_t)EIP_KEYRING_APPLICATION_ID;
}

eip_status eip_keyring_issue_guard(const char *master_path, eip_error *err)
{
    char dir[4096];
    const char *slash = strrchr(master_path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == master_path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - master_path), master_path);
    DIR *d = opendir(dir);
    if (!d)
        return eip_error_set(err, EIP_ERR_IO, "%s: cannot list the master key's directory", dir);
    eip_status s = EIP_OK;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char p[8192];
        if (e->d_name[0] == '.' || (size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= sizeof p)
            continue;
        if (is_keyring(p)) {
            s = eip_error_set(err, EIP_ERR_STATE,
                              "%s: a keyring (%s) sits next to this master key; a key issued "
                              "outside it is unknown to verify-key and trace. Use: encryip "
                              "licensee add --keyring %s --master %s --name NAME --out FILE",
                              master_path, p, p, master_path);
            break;
        }
    }
    closedir(d);
    return s;
}
