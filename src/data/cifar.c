/* CIFAR-10 / CIFAR-100 binary batches.  A record is <label bytes> followed by
 * 3072 pixel bytes: 1024 R, 1024 G, 1024 B, each row-major 32x32 — already
 * the [3, 32, 32] layout of eip_data_set.  CIFAR-10 has one label byte
 * (0..9); CIFAR-100 has coarse (0..19) then fine (0..99). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_internal.h"

#define CIFAR_PIXELS 3072

static int label_bytes(eip_data_cifar_kind k) { return k == EIP_DATA_CIFAR10 ? 1 : 2; }

static int32_t kind_classes(eip_data_cifar_kind k)
{
    return k == EIP_DATA_CIFAR10 ? 10 : k == EIP_DATA_CIFAR100_FINE ? 100 : 20;
}

eip_status eip_data_cifar_from_memory(const unsigned char *buf, size_t len, const char *name,
                                      eip_data_cifar_kind kind, eip_data_set *out, eip_error *err)
{
    memset(out, 0, sizeof *out);
    if (kind != EIP_DATA_CIFAR10 && kind != EIP_DATA_CIFAR100_FINE && kind != EIP_DATA_CIFAR100_COARSE)
        return eip_error_set(err, EIP_ERR_ARG, "%s: unknown CIFAR kind %d", name, (int)kind);
    size_t rec = (size_t)label_bytes(kind) + CIFAR_PIXELS;
    if (len == 0 || len % rec != 0)
        return eip_error_set(err, EIP_ERR_FORMAT,
                             "%s: size %zu is not a positive multiple of the %zu-byte %s record", name,
                             len, rec, kind == EIP_DATA_CIFAR10 ? "CIFAR-10" : "CIFAR-100");
    if (len > EIP_DATA_MAX_BYTES)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: %zu bytes exceeds the cap", name, len);
    int64_t n = (int64_t)(len / rec);
    int32_t nc = kind_classes(kind);
    eip_status st = eip_data_set_init(out, name, n, 3, 32, 32, nc, err);
    if (st != EIP_OK)
        return st;
    /* Label byte used: CIFAR-10 byte 0; CIFAR-100 coarse byte 0, fine byte 1. */
    size_t lab_off = kind == EIP_DATA_CIFAR100_FINE ? 1 : 0;
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *r = buf + (size_t)i * rec;
        for (int b = 0; b < label_bytes(kind); b++) {
            int32_t lim = (kind != EIP_DATA_CIFAR10 && b == 1) ? 100 : (kind == EIP_DATA_CIFAR10 ? 10 : 20);
            if (r[b] >= lim) {
                eip_data_set_free(out);
                return eip_error_set(err, EIP_ERR_FORMAT,
                                     "%s: record %lld has %slabel %d, out of range 0..%d", name,
                                     (long long)i,
                                     kind == EIP_DATA_CIFAR10 ? "" : (b == 0 ? "coarse " : "fine "),
                                     r[b], (int)lim - 1);
            }
        }
        out->labels[i] = r[lab_off];
        memcpy(out->pixels + (size_t)i * CIFAR_PIXELS, r + label_bytes(kind), CIFAR_PIXELS);
    }
    return EIP_OK;
}

eip_status eip_data_cifar_file_load(const char *path, eip_data_cifar_kind kind, eip_data_set *out,
                                    eip_error *err)
{
    memset(out, 0, sizeof *out);
    unsigned char *buf;
    size_t len;
    eip_status st = eip_data_read_file(path, &buf, &len, err);
    if (st != EIP_OK)
        return st;
    st = eip_data_cifar_from_memory(buf, len, path, kind, out, err);
    free(buf);
    return st;
}

/* Loads files[0..nf) from dir and concatenates them into out. */
static eip_status load_files(const char *dir, const char *const *files, int nf,
                             eip_data_cifar_kind kind, const char *name, eip_data_set *out,
                             eip_error *err)
{
    memset(out, 0, sizeof *out);
    eip_status st = EIP_OK;
    for (int i = 0; i < nf && st == EIP_OK; i++) {
        char path[4096];
        if ((st = eip_data_path_join(path, sizeof path, dir, files[i], err)) != EIP_OK)
            break;
        eip_data_set part;
        if ((st = eip_data_cifar_file_load(path, kind, &part, err)) != EIP_OK)
            break;
        if (i == 0) {
            *out = part;
            continue;
        }
        eip_data_set joined;
        st = eip_data_set_concat(out, &part, &joined, err);
        eip_data_set_free(&part);
        eip_data_set_free(out);
        if (st == EIP_OK)
            *out = joined;
    }
    if (st != EIP_OK) {
        eip_data_set_free(out);
        return st;
    }
    eip_data_set_name(out, name);
    return EIP_OK;
}

eip_status eip_data_cifar_load(const char *dir, eip_data_cifar_kind kind, eip_data_set *train,
                               eip_data_set *test, eip_error *err)
{
    static const char *const c10_train[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                            "data_batch_4.bin", "data_batch_5.bin"};
    static const char *const c10_test[] = {"test_batch.bin"};
    static const char *const c100_train[] = {"train.bin"};
    static const char *const c100_test[] = {"test.bin"};
    int c10 = kind == EIP_DATA_CIFAR10;
    const char *tag = c10 ? "cifar10" : kind == EIP_DATA_CIFAR100_FINE ? "cifar100" : "cifar100-coarse";
    char name[EIP_DATA_NAME_BYTES];
    if (train)
        memset(train, 0, sizeof *train);
    if (test)
        memset(test, 0, sizeof *test);
    eip_status st = EIP_OK;
    if (train) {
        snprintf(name, sizeof name, "%s/train", tag);
        st = load_files(dir, c10 ? c10_train : c100_train, c10 ? 5 : 1, kind, name, train, err);
    }
    if (st == EIP_OK && test) {
        snprintf(name, sizeof name, "%s/test", tag);
        st = load_files(dir, c10 ? c10_test : c100_test, 1, kind, name, test, err);
    }
    if (st != EIP_OK) {
        eip_data_set_free(train);
        eip_data_set_free(test);
    }
    return st;
}
