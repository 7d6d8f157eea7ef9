/* safetensors writer + reader: bit-exact round trips (including NaN payloads,
 * -0, subnormals, scalars and empty tensors), the C-written reference file
 * (tests/ref/ckpt/c_written.safetensors, verified once with
 * tools/safetensors_torch.py --verify-c-written, see docs/TESTING.md),
 * misaligned offsets from other writers, lookup errors and writer argument
 * checks. */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "encryip/ckpt.h"
#include "test.h"
#include "util/io.h"

/* Same contents as c_written_expected() in tools/safetensors_torch.py. */
static float conv_w[2 * 3 * 3 * 3]; /* [2, 3, 3, 3] */
static const float fc_b[5] = {-0.0f, 1.40129846e-45f, 3.40282347e38f, -1.5f, 0.1f};
static const int64_t nbt = 123456789012LL;
static const int32_t steps[2] = {-7, 2147483647};

static size_t c_reference(eip_ckpt_tensor *t, eip_ckpt_meta *m, size_t *n_meta, uint8_t *mask)
{
    for (int i = 0; i < 54; i++)
        conv_w[i] = (float)((double)i * 0.37 - 10.0);
    for (int i = 0; i < 7; i++)
        mask[i] = (uint8_t)((i * 37) % 256);
    t[0] = (eip_ckpt_tensor){.name = "conv.weight", .dtype = EIP_CKPT_F32, .ndim = 4,
                             .shape = {2, 3, 3, 3}, .data = conv_w};
    t[1] = (eip_ckpt_tensor){.name = "fc.bias", .dtype = EIP_CKPT_F32, .ndim = 1, .shape = {5},
                             .data = fc_b};
    t[2] = (eip_ckpt_tensor){.name = "bn.num_batches_tracked", .dtype = EIP_CKPT_I64, .ndim = 0,
                             .data = &nbt};
    t[3] = (eip_ckpt_tensor){.name = "mask", .dtype = EIP_CKPT_U8, .ndim = 1, .shape = {7},
                             .data = mask};
    t[4] = (eip_ckpt_tensor){.name = "step", .dtype = EIP_CKPT_I32, .ndim = 1, .shape = {2},
                             .data = steps};
    t[5] = (eip_ckpt_tensor){.name = "empty", .dtype = EIP_CKPT_F32, .ndim = 2, .shape = {0, 3},
                             .data = NULL};
    m[0] = (eip_ckpt_meta){"format", "pt"};
    m[1] = (eip_ckpt_meta){"epoch", "12"};
    m[2] = (eip_ckpt_meta){"note", "\xc3\xbcn\xc3\xaf" "code \xe2\x9c\x93"};
    *n_meta = 3;
    return 6;
}

static void check_same(const eip_ckpt_reader_t *r, const eip_ckpt_tensor *t, size_t n)
{
    REQUIRE(eip_ckpt_reader_count(r) == n, "tensor count %zu vs %zu", eip_ckpt_reader_count(r), n);
    eip_error err = {0};
    for (size_t i = 0; i < n; i++) {
        const eip_ckpt_tensor *g;
        REQUIRE(eip_ckpt_reader_find(r, t[i].name, &g, &err) == EIP_OK, "%s", err.msg);
        CHECK(g->dtype == t[i].dtype && g->ndim == t[i].ndim, "%s dtype/ndim", t[i].name);
        size_t count = 1;
        for (int d = 0; d < t[i].ndim; d++) {
            CHECK(g->shape[d] == t[i].shape[d], "%s shape[%d]", t[i].name, d);
            count *= (size_t)t[i].shape[d];
        }
        const size_t bytes = count * eip_ckpt_dtype_size(t[i].dtype);
        CHECK(g->nbytes == bytes, "%s nbytes %zu vs %zu", t[i].name, g->nbytes, bytes);
        CHECK(!bytes || !memcmp(g->data, t[i].data, bytes), "%s bytes identical", t[i].name);
        CHECK((uintptr_t)g->data % eip_ckpt_dtype_size(g->dtype) == 0, "%s aligned", t[i].name);
    }
}

static void test_c_reference(const char *dir)
{
    eip_ckpt_tensor t[6];
    eip_ckpt_meta m[3];
    size_t n_meta;
    uint8_t mask[7];
    const size_t n = c_reference(t, m, &n_meta, mask);
    char path[512];
    snprintf(path, sizeof path, "%s/c_written.safetensors", dir);
    eip_error err = {0};
    REQUIRE(eip_ckpt_write(path, t, n, m, n_meta, &err) == EIP_OK, "%s", err.msg);

    /* Same bytes as the reference verified with PyTorch, and as encode(). */
    unsigned char *got = NULL, *want = NULL, *enc = NULL;
    size_t got_len = 0, want_len = 0, enc_len = 0;
    REQUIRE(eip_io_read_file(path, 1 << 20, &got, &got_len, &err) == EIP_OK, "%s", err.msg);
    CHECK(eip_io_read_file(EIP_SOURCE_DIR "/tests/ref/ckpt/c_written.safetensors", 1 << 20, &want,
                           &want_len, &err) == EIP_OK, "%s", err.msg);
    CHECK(want && got_len == want_len && !memcmp(got, want, got_len),
          "C writer output equals tests/ref/ckpt/c_written.safetensors (%zu vs %zu bytes); if the "
          "layout changed on purpose, see docs/TESTING.md", got_len, want_len);
    CHECK(eip_ckpt_encode(t, n, m, n_meta, &enc, &enc_len, &err) == EIP_OK && enc_len == got_len &&
              !memcmp(enc, got, got_len), "encode() matches the file");
    CHECK((eip_le_get_u64(got) + 8) % 8 == 0, "header padded to 8");
    free(got);
    free(want);
    free(enc);

    eip_ckpt_reader_t *r = NULL;
    REQUIRE(eip_ckpt_reader_open(&r, path, &err) == EIP_OK, "%s", err.msg);
    check_same(r, t, n);
    CHECK(eip_ckpt_reader_meta_count(r) == 3, "metadata count");
    for (size_t i = 0; i < n_meta; i++) {
        const char *v = eip_ckpt_reader_meta(r, m[i].key);
        CHECK(v && !strcmp(v, m[i].value), "metadata %s", m[i].key);
    }
    CHECK(eip_ckpt_reader_meta(r, "missing") == NULL, "absent metadata");
    const eip_ckpt_meta *kv0 = eip_ckpt_reader_meta_at(r, 0);
    CHECK(kv0 && !strcmp(kv0->key, "epoch") && !eip_ckpt_reader_meta_at(r, 3), "meta_at sorted");
    /* Buffer order: 8-byte, then 4-byte, then 1-byte elements. */
    CHECK(!strcmp(eip_ckpt_reader_at(r, 0)->name, "bn.num_batches_tracked"), "first in buffer");
    CHECK(!strcmp(eip_ckpt_reader_at(r, n - 1)->name, "mask"), "last in buffer");
    CHECK(eip_ckpt_reader_at(r, n) == NULL, "at() out of range");
    CHECK(!strcmp(eip_ckpt_reader_name(r), path), "reader name");

    /* Lookup errors name the file and the tensor. */
    const eip_ckpt_tensor *g;
    CHECK(eip_ckpt_reader_find(r, "nope", &g, &err) == EIP_ERR_NOT_FOUND && !g, "not found");
    CHECK(strstr(err.msg, path) && strstr(err.msg, "\"nope\""), "names file and tensor: %s", err.msg);
    const void *data = NULL;
    const int64_t want_shape[4] = {2, 3, 3, 3}, bad_shape[4] = {2, 3, 3, 4};
    CHECK(eip_ckpt_reader_expect(r, "conv.weight", EIP_CKPT_F32, 4, want_shape, &data, &err) ==
              EIP_OK && data, "expect ok");
    CHECK(eip_ckpt_reader_expect(r, "conv.weight", EIP_CKPT_F32, 4, bad_shape, &data, &err) ==
              EIP_ERR_SHAPE, "expect wrong shape");
    CHECK(strstr(err.msg, "conv.weight") && strstr(err.msg, "[2, 3, 3, 4]") &&
              strstr(err.msg, "[2, 3, 3, 3]"), "shape message: %s", err.msg);
    CHECK(eip_ckpt_reader_expect(r, "step", EIP_CKPT_I64, -1, NULL, &data, &err) == EIP_ERR_SHAPE,
          "expect wrong dtype");
    eip_ckpt_reader_free(r);
}

/* Random tensors of random dtypes and shapes, random bytes (NaN payloads
 * included): the round trip is byte-exact, from a file and from memory. */
static void test_random(const char *dir)
{
    uint64_t s = 0x243F6A8885A308D3ULL;
    eip_error err = {0};
    for (int round = 0; round < 20; round++) {
        eip_ckpt_tensor t[9];
        char names[9][32];
        unsigned char *bufs[9] = {0};
        const size_t n = (size_t)(round % 9) + 1;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            snprintf(names[i], sizeof names[i], "layer%zu.w%d", (n - i) * 7, round);
            t[i] = (eip_ckpt_tensor){.name = names[i], .dtype = (eip_ckpt_dtype)((s >> 33) % 5)};
            t[i].ndim = (int)((s >> 40) % (EIP_CKPT_MAX_DIMS + 1));
            size_t count = 1;
            for (int d = 0; d < t[i].ndim; d++) {
                t[i].shape[d] = (int64_t)((s >> (8 + 2 * d)) % (d < 3 ? 5 : 2)) + (d < 3 ? 0 : 1);
                count *= (size_t)t[i].shape[d];
            }
            const size_t bytes = count * eip_ckpt_dtype_size(t[i].dtype);
            bufs[i] = malloc(bytes + 1);
            for (size_t b = 0; b < bytes; b++) {
                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                bufs[i][b] = (unsigned char)(s >> 56);
            }
            t[i].data = bufs[i];
        }
        char path[512];
        snprintf(path, sizeof path, "%s/random%d.safetensors", dir, round);
        REQUIRE(eip_ckpt_write(path, t, n, NULL, 0, &err) == EIP_OK, "%s", err.msg);
        eip_ckpt_reader_t *r = NULL;
        REQUIRE(eip_ckpt_reader_open(&r, path, &err) == EIP_OK, "round %d: %s", round, err.msg);
        check_same(r, t, n);
        CHECK(eip_ckpt_reader_meta_count(r) == 0, "no metadata");
        eip_ckpt_reader_free(r);
        unsigned char *enc;
        size_t enc_len;
        REQUIRE(eip_ckpt_encode(t, n, NULL, 0, &enc, &enc_len, &err) == EIP_OK, "%s", err.msg);
        REQUIRE(eip_ckpt_reader_open_memory(&r, enc, enc_len, "mem", &err) == EIP_OK, "%s", err.msg);
        check_same(r, t, n);
        eip_ckpt_reader_free(r);
        free(enc);
        unlink(path);
        for (size_t i = 0; i < n; i++)
            free(bufs[i]);
    }
}

/* Other writers may place a tensor at an offset that is not a multiple of its
 * element size; the reader hands out an aligned copy. */
static void test_misaligned(void)
{
    const char hdr[] = "{\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
                       "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[3,7]}}";
    unsigned char file[8 + sizeof hdr - 1 + 7];
    eip_le_put_u64(file, sizeof hdr - 1);
    memcpy(file + 8, hdr, sizeof hdr - 1);
    const float v = -2.75f;
    memcpy(file + 8 + sizeof hdr - 1, "xyz", 3);
    memcpy(file + 8 + sizeof hdr - 1 + 3, &v, 4);
    eip_error err = {0};
    eip_ckpt_reader_t *r = NULL;
    REQUIRE(eip_ckpt_reader_open_memory(&r, file, sizeof file, NULL, &err) == EIP_OK, "%s", err.msg);
    const void *d;
    REQUIRE(eip_ckpt_reader_expect(r, "b", EIP_CKPT_F32, 1, (const int64_t[]){1}, &d, &err) == EIP_OK,
            "%s", err.msg);
    CHECK((uintptr_t)d % 4 == 0 && *(const float *)d == v, "misaligned tensor copied and aligned");
    CHECK(!strcmp(eip_ckpt_reader_name(r), "<memory>"), "default memory name");
    eip_ckpt_reader_free(r);
}

static void test_writer_errors(const char *dir)
{
    eip_error err = {0};
    float x[2] = {1, 2};
    eip_ckpt_tensor t[2] = {
        {.name = "w", .dtype = EIP_CKPT_F32, .ndim = 1, .shape = {2}, .data = x},
        {.name = "w", .dtype = EIP_CKPT_F32, .ndim = 1, .shape = {2}, .data = x},
    };
    char path[512];
    snprintf(path, sizeof path, "%s/bad.safetensors", dir);
    CHECK(eip_ckpt_write(path, t, 2, NULL, 0, &err) == EIP_ERR_ARG && strstr(err.msg, "duplicate"),
          "duplicate name: %s", err.msg);
    CHECK(strstr(err.msg, path) != NULL, "names the file: %s", err.msg);
    CHECK(access(path, F_OK) != 0, "nothing written on error");
    t[1].name = "__metadata__";
    CHECK(eip_ckpt_write(path, t, 2, NULL, 0, &err) == EIP_ERR_ARG, "reserved name");
    t[1].name = "";
    CHECK(eip_ckpt_write(path, t, 2, NULL, 0, &err) == EIP_ERR_ARG, "empty name");
    t[1].name = "v";
    t[1].ndim = 9;
    CHECK(eip_ckpt_write(path, t, 2, NULL, 0, &err) == EIP_ERR_ARG, "9 dims");
    t[1].ndim = 1;
    t[1].shape[0] = -2;
    CHECK(eip_ckpt_write(path, t, 2, NULL, 0, &err) == EIP_ERR_ARG, "negative dim");
    t[1].shape[0] = 2;
    t[1].data = NULL;
    CHECK(eip_ckpt_write(path, t, 2, NULL, 0, &err) == EIP_ERR_ARG && strstr(err.msg, "\"v\""),
          "NULL data names the tensor: %s", err.msg);
    t[1].data = x;
    t[1].dtype = (eip_ckpt_dtype)42;
    CHECK(eip_ckpt_write(path, t, 2, NULL, 0, &err) == EIP_ERR_ARG, "unknown dtype");
    t[1].dtype = EIP_CKPT_F32;
    eip_ckpt_meta m[2] = {{"k", "1"}, {"k", "2"}};
    CHECK(eip_ckpt_write(path, t, 2, m, 2, &err) == EIP_ERR_ARG, "duplicate metadata key");
    CHECK(eip_ckpt_write("/nonexistent_dir/x.safetensors", t, 2, NULL, 0, &err) == EIP_ERR_IO &&
              strstr(err.msg, "/nonexistent_dir/x.safetensors"), "missing directory: %s", err.msg);
    CHECK(eip_ckpt_write(path, NULL, 0, NULL, 0, &err) == EIP_OK, "empty checkpoint");
    eip_ckpt_reader_t *r = NULL;
    CHECK(eip_ckpt_reader_open(&r, path, &err) == EIP_OK && eip_ckpt_reader_count(r) == 0,
          "empty checkpoint reads back: %s", err.msg);
    eip_ckpt_reader_free(r);
    unlink(path);
    CHECK(eip_ckpt_reader_open(&r, "/nonexistent_dir/x", &err) == EIP_ERR_IO && !r, "missing file");
}

int main(void)
{
    char dir[] = "/tmp/eip_test_ckpt_XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL, "mkdtemp");
    test_c_reference(dir);
    test_random(dir);
    test_misaligned();
    test_writer_errors(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cp %s/c_written.safetensors %s/c_written.safetensors 2>/dev/null; rm -rf %s",
             dir, EIP_BINARY_DIR, dir);
    CHECK(system(cmd) == 0, "cleanup");
    TEST_MAIN_END();
}
