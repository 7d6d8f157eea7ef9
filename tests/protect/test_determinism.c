/* Same seeds (training seed, crypto seed, thread count) -> byte-identical
 * model file; and bundle writing never replaces an existing directory
 * without force (and never a non-bundle directory, even with force). */
#include <sys/stat.h>

#include "pt_util.h"
#include "util/io.h"

static void run(pt_env *e, const char *dir, int force, eip_status want)
{
    eip_error err = {0};
    eip_crypto_rng_t *rng = NULL;
    REQUIRE(eip_crypto_rng_new_u64(21, &rng, &err) == EIP_OK, "%s", err.msg);
    eip_protect_config cfg;
    pt_config(e, &cfg, EIP_CRYPTO_GROUP_PAPER, 3, 8, rng);
    cfg.test = NULL;
    cfg.verif_reps = 4;
    eip_protect_result r;
    REQUIRE(eip_protect_run(&cfg, &r, &err) == EIP_OK, "%s", err.msg);
    eip_status s = eip_protect_bundle_write(&r, NULL, dir, force, &err);
    CHECK(s == want, "%s: status %d, wanted %d (%s)", dir, (int)s, (int)want, err.msg);
    eip_protect_result_free(&r);
    eip_crypto_rng_free(rng);
}

static unsigned char *slurp(const char *dir, size_t *len)
{
    char p[256];
    unsigned char *buf = NULL;
    eip_error err = {0};
    snprintf(p, sizeof p, "%s/deploy/model.safetensors", dir);
    REQUIRE(eip_io_read_file(p, (size_t)1 << 28, &buf, len, &err) == EIP_OK, "%s", err.msg);
    return buf;
}

int main(void)
{
    pt_env e;
    pt_env_init(&e, 400, 10, 0, 1);
    char a[128], b[128], junk[128];
    snprintf(a, sizeof a, "%s/a", e.dir);
    snprintf(b, sizeof b, "%s/b", e.dir);
    snprintf(junk, sizeof junk, "%s/junk", e.dir);
    run(&e, a, 0, EIP_OK);
    run(&e, b, 0, EIP_OK);
    size_t la, lb;
    unsigned char *x = slurp(a, &la), *y = slurp(b, &lb);
    CHECK(la == lb && !memcmp(x, y, la), "same seeds, different model files (%zu vs %zu bytes)", la, lb);
    free(y);
    /* existing bundle: refused without force, file untouched */
    run(&e, a, 0, EIP_ERR_STATE);
    y = slurp(a, &lb);
    CHECK(la == lb && !memcmp(x, y, la), "refused write changed the bundle");
    free(y);
    /* with force: replaced (same content here), no temp dirs left */
    run(&e, a, 1, EIP_OK);
    y = slurp(a, &lb);
    CHECK(la == lb && !memcmp(x, y, la), "forced rewrite differs");
    free(y);
    free(x);
    /* a directory that is not a bundle is never replaced */
    REQUIRE(mkdir(junk, 0755) == 0, "mkdir");
    run(&e, junk, 1, EIP_ERR_STATE);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -d %s/*.tmp.* %s/*.old.* 2>/dev/null)\"", e.dir, e.dir);
    CHECK(system(cmd) == 0, "temporary directories left behind");
    pt_env_free(&e);
    TEST_MAIN_END();
}
