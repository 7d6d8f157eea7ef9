/* A file written by PyTorch (tools/safetensors_torch.py --write-ref, a conv
 * weight [4,3,3,3], biases, an I64 num_batches_tracked scalar, U8 and I32
 * tensors, metadata) loads in C with exactly the values listed in
 * tests/ref/ckpt/torch_written.expected.txt. */
#include <stdint.h>
#include <string.h>

#include "encryip/ckpt.h"
#include "test.h"

#define REF EIP_SOURCE_DIR "/tests/ref/ckpt/torch_written"

static eip_ckpt_dtype dtype_of(const char *s)
{
    const eip_ckpt_dtype all[] = {EIP_CKPT_F32, EIP_CKPT_F64, EIP_CKPT_I64, EIP_CKPT_I32, EIP_CKPT_U8};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(eip_ckpt_dtype_name(all[i]), s))
            return all[i];
    return (eip_ckpt_dtype)-1;
}

/* Checks one "tensor" line (after the keyword) against the reader. */
static void check_tensor(FILE *fp, const eip_ckpt_reader_t *r, long *values)
{
    char name[128], dt[8];
    int ndim;
    REQUIRE(fscanf(fp, "%127s %7s %d", name, dt, &ndim) == 3 && ndim >= 0 && ndim <= 8, "line");
    int64_t shape[8];
    for (int d = 0; d < ndim; d++)
        REQUIRE(fscanf(fp, "%lld", (long long *)&shape[d]) == 1, "dim");
    long count;
    REQUIRE(fscanf(fp, "%ld", &count) == 1, "count");
    const eip_ckpt_dtype dtype = dtype_of(dt);
    const void *data = NULL;
    eip_error err = {0};
    CHECK(eip_ckpt_reader_expect(r, name, dtype, ndim, shape, &data, &err) == EIP_OK, "%s", err.msg);
    for (long i = 0; i < count; i++) {
        char tok[64], *end;
        REQUIRE(fscanf(fp, "%63s", tok) == 1, "value");
        if (!data)
            continue;
        switch (dtype) {
        case EIP_CKPT_F32: {
            const float want = (float)strtod(tok, &end), got = ((const float *)data)[i];
            CHECK(!memcmp(&want, &got, 4), "%s[%ld] %a vs %s", name, i, got, tok);
            break;
        }
        case EIP_CKPT_F64: {
            const double want = strtod(tok, &end), got = ((const double *)data)[i];
            CHECK(!memcmp(&want, &got, 8), "%s[%ld]", name, i);
            break;
        }
        case EIP_CKPT_I64:
            CHECK(((const int64_t *)data)[i] == strtoll(tok, &end, 10), "%s[%ld]", name, i);
            break;
        case EIP_CKPT_I32:
            CHECK(((const int32_t *)data)[i] == strtol(tok, &end, 10), "%s[%ld]", name, i);
            break;
        case EIP_CKPT_U8:
            CHECK(((const uint8_t *)data)[i] == strtol(tok, &end, 10), "%s[%ld]", name, i);
            break;
        }
        (*values)++;
    }
}

int main(void)
{
    eip_error err = {0};
    eip_ckpt_reader_t *r = NULL;
    REQUIRE(eip_ckpt_reader_open(&r, REF ".safetensors", &err) == EIP_OK, "%s", err.msg);
    FILE *fp = fopen(REF ".expected.txt", "r");
    REQUIRE(fp, "open expected values");
    char kw[16];
    size_t tensors = 0, metas = 0;
    long values = 0;
    while (fscanf(fp, "%15s", kw) == 1) {
        if (kw[0] == '#') {
            int c;
            while ((c = fgetc(fp)) != '\n' && c != EOF)
                ;
        } else if (!strcmp(kw, "meta")) {
            char key[64], val[256];
            REQUIRE(fscanf(fp, "%63s %255s", key, val) == 2, "meta line");
            const char *got = eip_ckpt_reader_meta(r, key);
            CHECK(got && !strcmp(got, val), "metadata %s = %s", key, got ? got : "(absent)");
            metas++;
        } else if (!strcmp(kw, "tensor")) {
            check_tensor(fp, r, &values);
            tensors++;
        } else {
            REQUIRE(0, "unknown keyword %s", kw);
        }
    }
    fclose(fp);
    CHECK(tensors == 6 && tensors == eip_ckpt_reader_count(r), "all %zu tensors listed", tensors);
    CHECK(metas == eip_ckpt_reader_meta_count(r), "all metadata listed");
    printf("torch-written file: %zu tensors, %ld values, %zu metadata checked\n", tensors, values, metas);
    eip_ckpt_reader_free(r);
    TEST_MAIN_END();
}
