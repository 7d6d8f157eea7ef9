/* libFuzzer target: the bundle's manifest.json and the deploy directory's
 * integrity.json readers (eip_protect_bundle_verify,
 * eip_protect_integrity_check).  The input is written as both files into a
 * private temporary directory holding three small files the records may
 * name; any record must be refused or accepted with a status, never crash,
 * and never read outside the directory (".." paths are refused). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "encryip/protect.h"
#include "protect/internal.h"

static void put(const char *dir, const char *name, const uint8_t *d, size_t n)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f)
        return;
    if (n)
        fwrite(d, 1, n, f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[] = "/tmp/eip-fuzz-manifest-XXXXXX";
    if (!mkdtemp(dir))
        return 0;
    static const char *files[] = {"model.safetensors", "public.key", "codebook.bin"};
    for (int i = 0; i < 3; i++)
        put(dir, files[i], (const uint8_t *)files[i], 4 + (size_t)i);
    put(dir, "manifest.json", data, size);
    put(dir, "integrity.json", data, size);
    eip_error err;
    (void)eip_protect_bundle_verify(dir, &err);
    (void)eip_protect_integrity_check(dir, files, 3, &err);
    char p[512];
    const char *all[] = {"model.safetensors", "public.key", "codebook.bin", "manifest.json",
                         "integrity.json"};
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, all[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}
