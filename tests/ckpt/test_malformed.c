/* Table-driven malformed safetensors files: every one is EIP_ERR_FORMAT with a
 * message naming the file (and the tensor / key where the table says so);
 * a valid file truncated at every length fails the same way. */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "encryip/ckpt.h"
#include "test.h"
#include "util/io.h"

#define F32_2 "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":"

typedef struct bad_case {
    const char *what;
    const char *header; /* JSON header text */
    size_t data_len;    /* data bytes after the header */
    const char *expect; /* substring of the message (besides the file name), or NULL */
    eip_status status;
} bad_case;

static const bad_case cases[] = {
    {"valid", "{\"a\":" F32_2 "[0,8]}}", 8, NULL, EIP_OK},
    {"valid padded, metadata only", "{\"__metadata__\":{\"k\":\"v\"}}      ", 0, NULL, EIP_OK},
    {"valid empty", "{}", 0, NULL, EIP_OK},
    {"empty header", "", 0, "header", EIP_ERR_FORMAT},
    {"bad JSON", "{\"a\":", 0, "JSON", EIP_ERR_FORMAT},
    {"bad JSON unclosed", "{\"a\":" F32_2 "[0,8]}", 8, "JSON", EIP_ERR_FORMAT},
    {"bad JSON token", "{\"a\":nul}", 0, "JSON", EIP_ERR_FORMAT},
    {"not an object", "[1,2]", 0, "not a JSON object", EIP_ERR_FORMAT},
    {"trailing junk", "{} x", 0, "trailing", EIP_ERR_FORMAT},
    {"second object", "{}{}", 0, "trailing", EIP_ERR_FORMAT},
    {"unknown dtype", "{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "Q7",
     EIP_ERR_FORMAT},
    {"dtype not a string", "{\"a\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype",
     EIP_ERR_FORMAT},
    {"shape/offset mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
     "\"a\"", EIP_ERR_FORMAT},
    {"dtype/offset mismatch", "{\"a\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
     "16 bytes", EIP_ERR_FORMAT},
    {"negative dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "shape[0]",
     EIP_ERR_FORMAT},
    {"fractional dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", 8, "shape",
     EIP_ERR_FORMAT},
    {"dim not a number", "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8,
     "shape", EIP_ERR_FORMAT},
    {"shape not an array", "{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8, "shape",
     EIP_ERR_FORMAT},
    {"9 dims", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}", 1,
     "dimensions", EIP_ERR_FORMAT},
    {"shape overflow", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
     "\"data_offsets\":[0,8]}}", 8, "too large", EIP_ERR_FORMAT},
    {"huge dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,8]}}", 8, "shape",
     EIP_ERR_FORMAT},
    {"begin > end", "{\"a\":" F32_2 "[8,0]}}", 8, "data_offsets", EIP_ERR_FORMAT},
    {"three offsets", "{\"a\":" F32_2 "[0,8,8]}}", 8, "data_offsets", EIP_ERR_FORMAT},
    {"negative offset", "{\"a\":" F32_2 "[-8,0]}}", 8, "data_offsets", EIP_ERR_FORMAT},
    {"offsets not numbers", "{\"a\":" F32_2 "[\"0\",\"8\"]}}", 8, "data_offsets", EIP_ERR_FORMAT},
    {"offset past buffer", "{\"a\":" F32_2 "[8,16]}}", 8, "beyond", EIP_ERR_FORMAT},
    {"overlap", "{\"a\":" F32_2 "[0,8]},\"b\":" F32_2 "[4,12]}}", 12, "overlaps", EIP_ERR_FORMAT},
    {"same range twice", "{\"a\":" F32_2 "[0,8]},\"b\":" F32_2 "[0,8]}}", 8, "overlaps", EIP_ERR_FORMAT},
    {"gap", "{\"a\":" F32_2 "[0,8]},\"b\":" F32_2 "[12,20]}}", 20, "gap", EIP_ERR_FORMAT},
    {"gap at start", "{\"a\":" F32_2 "[4,12]}}", 12, "gap", EIP_ERR_FORMAT},
    {"uncovered tail", "{\"a\":" F32_2 "[0,8]}}", 12, "belong to no tensor", EIP_ERR_FORMAT},
    {"duplicate name", "{\"a\":" F32_2 "[0,8]},\"a\":" F32_2 "[8,16]}}", 16, "duplicate tensor \"a\"",
     EIP_ERR_FORMAT},
    {"empty name", "{\"\":" F32_2 "[0,8]}}", 8, "empty name", EIP_ERR_FORMAT},
    {"entry not an object", "{\"a\":5}", 0, "\"a\"", EIP_ERR_FORMAT},
    {"missing dtype", "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "missing dtype",
     EIP_ERR_FORMAT},
    {"unknown field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8,
     "unknown field", EIP_ERR_FORMAT},
    {"duplicate field", "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
     8, "duplicate field", EIP_ERR_FORMAT},
    {"non-string metadata", "{\"__metadata__\":{\"epoch\":3}}", 0, "\"epoch\"", EIP_ERR_FORMAT},
    {"nested metadata", "{\"__metadata__\":{\"k\":{\"x\":\"y\"}}}", 0, "\"k\"", EIP_ERR_FORMAT},
    {"metadata not an object", "{\"__metadata__\":\"v\"}", 0, "__metadata__", EIP_ERR_FORMAT},
    {"duplicate metadata key", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "\"k\"",
     EIP_ERR_FORMAT},
    {"two metadata objects", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "__metadata__",
     EIP_ERR_FORMAT},
};

/* file = u64 len | header | data (bytes 0x11); caller frees. */
static unsigned char *make(const char *header, size_t data_len, size_t *len)
{
    const size_t h = strlen(header);
    *len = 8 + h + data_len;
    unsigned char *f = malloc(*len);
    eip_le_put_u64(f, h);
    memcpy(f + 8, header, h);
    memset(f + 8 + h, 0x11, data_len);
    return f;
}

static void expect_format(const unsigned char *f, size_t len, const char *what, const char *substr)
{
    eip_error err = {0};
    eip_ckpt_reader_t *r = (eip_ckpt_reader_t *)1;
    const eip_status st = eip_ckpt_reader_open_memory(&r, f, len, "bad.st", &err);
    CHECK(st == EIP_ERR_FORMAT && r == NULL, "%s: status %d", what, (int)st);
    CHECK(strstr(err.msg, "bad.st") != NULL, "%s: message names the file: %s", what, err.msg);
    CHECK(!substr || strstr(err.msg, substr), "%s: message mentions %s: %s", what, substr, err.msg);
}

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_case *c = &cases[i];
        size_t len;
        unsigned char *f = make(c->header, c->data_len, &len);
        if (c->status == EIP_OK) {
            eip_error err = {0};
            eip_ckpt_reader_t *r = NULL;
            CHECK(eip_ckpt_reader_open_memory(&r, f, len, "ok.st", &err) == EIP_OK, "%s: %s", c->what,
                  err.msg);
            eip_ckpt_reader_free(r);
        } else {
            expect_format(f, len, c->what, c->expect);
        }
        free(f);
    }

    /* Header length fields. */
    unsigned char small[16] = {0};
    expect_format(small, 0, "empty file", "too short");
    expect_format(small, 7, "7-byte file", "too short");
    eip_le_put_u64(small, 9);
    expect_format(small, 16, "header past end", "past the end");
    eip_le_put_u64(small, (uint64_t)1 << 63);
    expect_format(small, 16, "header length 2^63", "limit");
    eip_le_put_u64(small, EIP_CKPT_MAX_HEADER_BYTES + 1);
    expect_format(small, 16, "header length over the limit", "limit");
    size_t len;
    unsigned char *f = make("{}\0\0", 0, &len);
    eip_le_put_u64(f, 4);
    f = realloc(f, 12);
    memcpy(f + 8, "{}\0\0", 4);
    expect_format(f, 12, "NUL padding", "trailing");
    free(f);

    /* A valid multi-tensor file truncated at every length (every region:
     * length field, header, data) is refused. */
    float w[6] = {1, 2, 3, 4, 5, 6};
    int64_t cnt = 3;
    uint8_t m[3] = {1, 0, 1};
    const eip_ckpt_tensor t[3] = {
        {.name = "w", .dtype = EIP_CKPT_F32, .ndim = 2, .shape = {2, 3}, .data = w},
        {.name = "count", .dtype = EIP_CKPT_I64, .ndim = 0, .data = &cnt},
        {.name = "mask", .dtype = EIP_CKPT_U8, .ndim = 1, .shape = {3}, .data = m},
    };
    const eip_ckpt_meta meta[1] = {{"epoch", "4"}};
    eip_error err = {0};
    unsigned char *good;
    size_t good_len;
    REQUIRE(eip_ckpt_encode(t, 3, meta, 1, &good, &good_len, &err) == EIP_OK, "%s", err.msg);
    for (size_t cut = 0; cut < good_len; cut++) {
        char what[64];
        snprintf(what, sizeof what, "truncated to %zu of %zu bytes", cut, good_len);
        expect_format(good, cut, what, NULL);
    }
    /* One extra byte is an uncovered tail. */
    unsigned char *longer = malloc(good_len + 1);
    memcpy(longer, good, good_len);
    longer[good_len] = 0;
    expect_format(longer, good_len + 1, "one extra byte", "belong to no tensor");
    free(longer);

    /* Through a real file: the message names the path. */
    char path[] = "/tmp/eip_test_ckpt_bad_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0, "mkstemp");
    REQUIRE(write(fd, good, good_len - 1) == (ssize_t)(good_len - 1), "write");
    close(fd);
    eip_ckpt_reader_t *r = NULL;
    CHECK(eip_ckpt_reader_open(&r, path, &err) == EIP_ERR_FORMAT && strstr(err.msg, path),
          "file error names the path: %s", err.msg);
    unlink(path);
    free(good);
    TEST_MAIN_END();
}
