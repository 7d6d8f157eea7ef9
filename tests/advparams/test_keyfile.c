/* AdvParams key format: round trip, and every truncation / corruption /
 * semantic violation refused with a clear error (table-driven). */
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#include "encryip/advparams.h"
#include "test.h"
#include "util/io.h"

static void make_key(eip_advparams_key *k)
{
    memset(k, 0, sizeof *k);
    k->n = 3;
    k->entries = calloc(3, sizeof *k->entries);
    for (int i = 0; i < 32; i++) {
        k->hash_orig[i] = (uint8_t)i;
        k->hash_enc[i] = (uint8_t)(200 - i);
    }
    snprintf(k->entries[0].tensor, sizeof k->entries[0].tensor, "conv1.weight");
    k->entries[0].index = 5;
    snprintf(k->entries[1].tensor, sizeof k->entries[1].tensor, "conv1.weight");
    k->entries[1].index = 77;
    snprintf(k->entries[2].tensor, sizeof k->entries[2].tensor, "fc2.weight");
    k->entries[2].index = 1234567;
    float a = 0.25f, b = -0.5f;
    for (int i = 0; i < 3; i++) {
        memcpy(&k->entries[i].orig_bits, &a, 4);
        memcpy(&k->entries[i].enc_bits, &b, 4);
        a += 0.125f;
    }
}

/* Re-seals the checksum after an edit (to reach the semantic checks). */
static void reseal(unsigned char *b, size_t len)
{
    crypto_generichash(b + len - 32, 32, b, len - 32, NULL, 0);
}

typedef struct mut {
    const char *what;
    size_t off;       /* byte to change */
    unsigned char xr; /* xor mask */
    int reseal;       /* recompute the checksum afterwards */
    eip_status expect;
    const char *msg;  /* substring of the error */
} mut;

int main(void)
{
    eip_error err = {0};
    eip_advparams_key k, r;
    make_key(&k);
    unsigned char *b = NULL;
    size_t len = 0;
    REQUIRE(eip_advparams_key_to_bytes(&k, &b, &len, &err) == EIP_OK, "%s", err.msg);
    CHECK(len == 80 + (1 + 12 + 16) * 2 + (1 + 10 + 16) + 32, "length %zu", len);
    REQUIRE(eip_advparams_key_from_bytes(b, len, "k", &r, &err) == EIP_OK, "%s", err.msg);
    CHECK(r.n == 3 && !memcmp(r.entries, k.entries, 3 * sizeof *k.entries) &&
              !memcmp(r.hash_orig, k.hash_orig, 32) && !memcmp(r.hash_enc, k.hash_enc, 32),
          "round trip");
    CHECK(eip_advparams_entry_delta(&r.entries[0]) == -0.75, "delta %g", eip_advparams_entry_delta(&r.entries[0]));
    eip_advparams_key_free(&r);

    /* Every truncation is refused. */
    for (size_t n = 0; n < len; n++) {
        eip_status s = eip_advparams_key_from_bytes(b, n, "k", &r, &err);
        CHECK(s == EIP_ERR_FORMAT || s == EIP_ERR_CHECKSUM, "truncated to %zu accepted (%d)", n, (int)s);
    }
    /* Every single-bit flip is refused. */
    unsigned char *c = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(c, b, len);
            c[i] ^= (unsigned char)(1u << bit);
            CHECK(eip_advparams_key_from_bytes(c, len, "k", &r, &err) != EIP_OK, "flip %zu.%d accepted", i, bit);
        }
    /* Trailing byte. */
    memcpy(c, b, len);
    c[len] = 0;
    CHECK(eip_advparams_key_from_bytes(c, len + 1, "k", &r, &err) != EIP_OK, "trailing byte accepted");

    /* Semantic violations behind a valid checksum. */
    const size_t e0 = 80, e1 = e0 + 1 + 12 + 16, e2 = e1 + 1 + 12 + 16;
    const mut muts[] = {
        {"magic", 0, 0x01, 1, EIP_ERR_FORMAT, "bad magic"},
        {"version", 8, 0x02, 1, EIP_ERR_FORMAT, "version"},
        {"count 0", 12, 0x03, 1, EIP_ERR_FORMAT, "entries"},
        {"count high byte", 15, 0x80, 1, EIP_ERR_FORMAT, "entries"},
        {"name length 0", e0, 12, 1, EIP_ERR_FORMAT, "empty tensor name"},
        {"name length long", e0, 0x80, 1, EIP_ERR_FORMAT, "truncated"},
        {"name byte", e0 + 1, 'c' ^ 0x01, 1, EIP_ERR_FORMAT, "non-printable"},
        {"order", e1 + 1 + 12 + 1, 0x7f, 0, EIP_ERR_CHECKSUM, "checksum"},
        {"order (resealed)", e1 + 1 + 12, 77 ^ 4, 1, EIP_ERR_FORMAT, "increasing"},
        {"index range", e0 + 1 + 12 + 7, 0x80, 1, EIP_ERR_FORMAT, "index"},
        {"orig NaN", e0 + 1 + 12 + 8 + 3, 0x7f ^ 0x3e, 1, EIP_ERR_FORMAT, "not finite"},
        {"enc == orig", e2 + 1 + 10 + 12, 0, 1, EIP_ERR_FORMAT, "equals the original"},
        {"checksum", len - 1, 0x10, 0, EIP_ERR_CHECKSUM, "checksum"},
        {"hash byte (unsealed)", 20, 0x01, 0, EIP_ERR_CHECKSUM, "checksum"},
    };
    for (size_t m = 0; m < sizeof muts / sizeof muts[0]; m++) {
        memcpy(c, b, len);
        if (!strcmp(muts[m].what, "enc == orig"))
            memcpy(c + e2 + 1 + 10 + 12, c + e2 + 1 + 10 + 8, 4);
        else
            c[muts[m].off] ^= muts[m].xr;
        if (muts[m].reseal)
            reseal(c, len);
        eip_status s = eip_advparams_key_from_bytes(c, len, "bad.key", &r, &err);
        CHECK(s == muts[m].expect, "%s: status %d, want %d (%s)", muts[m].what, (int)s, (int)muts[m].expect,
              err.msg);
        CHECK(s == EIP_OK || (strstr(err.msg, muts[m].msg) && strstr(err.msg, "bad.key")),
              "%s: message '%s' lacks '%s'", muts[m].what, err.msg, muts[m].msg);
        if (s == EIP_OK)
            eip_advparams_key_free(&r);
    }

    /* Writer refuses unsorted / duplicate / empty keys; files are 0600. */
    eip_advparams_key bad = k;
    bad.entries = calloc(3, sizeof *bad.entries);
    memcpy(bad.entries, k.entries, 3 * sizeof *k.entries);
    bad.entries[1].index = 5;
    unsigned char *o = NULL;
    size_t ol = 0;
    CHECK(eip_advparams_key_to_bytes(&bad, &o, &ol, &err) == EIP_ERR_FORMAT, "duplicate written");
    bad.n = 0;
    CHECK(eip_advparams_key_to_bytes(&bad, &o, &ol, &err) == EIP_ERR_ARG, "empty key written");
    eip_advparams_key_free(&bad);
    const char *path = EIP_BINARY_DIR "/advparams_keyfile_test.key";
    REQUIRE(eip_advparams_key_write(&k, path, &err) == EIP_OK, "%s", err.msg);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "key mode %o", (unsigned)(st.st_mode & 0777));
    REQUIRE(eip_advparams_key_read(path, &r, &err) == EIP_OK, "%s", err.msg);
    CHECK(r.n == 3, "read back");
    eip_advparams_key_free(&r);
    remove(path);
    CHECK(eip_advparams_key_read(path, &r, &err) == EIP_ERR_IO, "missing file: %s", err.msg);

    /* Layer-mask parser. */
    int mask = 0;
    CHECK(eip_advparams_layers_parse("first+last", &mask, &err) == EIP_OK &&
              mask == (EIP_ADVPARAMS_LAYERS_FIRST | EIP_ADVPARAMS_LAYERS_LAST), "layers parse");
    CHECK(eip_advparams_layers_parse("first+nope", &mask, &err) == EIP_ERR_ARG, "bad layers accepted");

    free(c);
    free(b);
    eip_advparams_key_free(&k);
    TEST_MAIN_END();
}
