/* `auto` in net configs (docs/CONFIG.md) and the zoo models as configs
 * (docs/configs/<model>.cfg, written by tools/zoo_configs.py): each builds
 * the same tensors (names, kinds, shapes, in state_dict order) as the zoo
 * net, for 3x32x32 and out=auto = 33 (3q, q = 11).  Bad `auto`s are errors
 * naming the file and line. */
#include <stdio.h>
#include <string.h>

#include "encryip/nn.h"
#include "test.h"

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    REQUIRE(fp != NULL, "create %s", path);
    fputs(text, fp);
    fclose(fp);
}

int main(void)
{
    eip_nn_ctx ctx;
    eip_error err = {0};
    REQUIRE(eip_nn_ctx_init(&ctx, 1, &err) == EIP_OK, "%s", err.msg);
    const char *zoo[] = {"smallcnn", "resnet18", "alexnet", "googlenet"};
    const eip_nn_config_auto fill = {3, 32, 32, 33};
    for (int m = 0; m < 4; m++) {
        char path[512];
        snprintf(path, sizeof path, "%s/docs/configs/%s.cfg", EIP_SOURCE_DIR, zoo[m]);
        eip_nn_net_t *a = NULL, *b = NULL;
        eip_status s = eip_nn_net_config_file_auto(&ctx, path, &fill, &a, &err);
        CHECK(s == EIP_OK, "%s: %s", path, err.msg);
        eip_nn_arch arch;
        memset(&arch, 0, sizeof arch);
        snprintf(arch.zoo, sizeof arch.zoo, "%s", zoo[m]);
        arch.c_in = 3;
        arch.h = arch.w = 32;
        arch.k = 33;
        arch.width = 1.0;
        REQUIRE(eip_nn_net_zoo(&ctx, &arch, &b, &err) == EIP_OK, "%s", err.msg);
        if (s == EIP_OK) {
            CHECK(eip_nn_output_size(a) == 33, "%s: out=auto gave %lld", zoo[m], (long long)eip_nn_output_size(a));
            CHECK(eip_nn_tensor_count(a) == eip_nn_tensor_count(b), "%s: %lld vs %lld tensors", zoo[m],
                  (long long)eip_nn_tensor_count(a), (long long)eip_nn_tensor_count(b));
            int same = 1;
            for (int64_t i = 0; i < eip_nn_tensor_count(a) && i < eip_nn_tensor_count(b); i++) {
                const eip_nn_tensor *x = eip_nn_tensor_at(a, i), *y = eip_nn_tensor_at(b, i);
                same &= !strcmp(x->name, y->name) && x->kind == y->kind && x->ndim == y->ndim &&
                        !memcmp(x->shape, y->shape, sizeof x->shape);
            }
            CHECK(same, "%s: the config's tensors differ from the zoo's", zoo[m]);
            const char *text = eip_nn_net_config_text(a);
            CHECK(text && !strstr(text, "auto") && strstr(text, "out=33"), "%s: stored config keeps 'auto'", zoo[m]);
        }
        eip_nn_net_free(a);
        eip_nn_net_free(b);
    }
    /* errors: auto not allowed, auto the caller does not fill */
    const char *tmp = "config_auto_bad.cfg";
    struct {
        const char *text, *want;
        int fill_out;
    } bad[] = {
        {"input c=1 h=8 w=8\nconv name=c out=2 k=auto\n", "config_auto_bad.cfg:2: conv: k=auto is not allowed", 1},
        {"input c=1 h=8 w=8\nflatten\nlinear name=f out=auto\n", "config_auto_bad.cfg:3: linear: out=auto: this command does not fill it in", 0},
        {"input c=auto h=8 w=8\nflatten\nlinear name=f out=3\n", "config_auto_bad.cfg:1: input: c=auto", 0},
        {"input c=1 h=8 w=8 # out=auto in a comment stays\nflatten\nlinear name=f out=4\n", NULL, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_file(tmp, bad[i].text);
        const eip_nn_config_auto f = {0, 0, 0, bad[i].fill_out ? 5 : 0};
        eip_nn_net_t *n = NULL;
        err.msg[0] = '\0';
        eip_status s = eip_nn_net_config_file_auto(&ctx, tmp, &f, &n, &err);
        if (bad[i].want)
            CHECK(s != EIP_OK && strstr(err.msg, bad[i].want), "case %zu: '%s'", i, err.msg);
        else
            CHECK(s == EIP_OK && eip_nn_output_size(n) == 4, "case %zu: %s", i, err.msg);
        eip_nn_net_free(n);
    }
    remove(tmp);
    eip_nn_ctx_free(&ctx);
    TEST_MAIN_END();
}
