/* Config parser: a valid config builds the expected graph; table-driven
 * malformed configs fail with a clear message naming the line. */
#include <string.h>

#include "encryip/nn.h"
#include "test.h"

static const struct {
    const char *text;
    eip_status code;
    const char *want; /* substring of the message */
} bad[] = {
    {"input c=3 h=8 w=8\nconv name=c out=4 k=3 colour=red\n", EIP_ERR_FORMAT, "cfg:2: conv: unknown key 'colour'"},
    {"input c=3 h=8 w=8\nconv name=c out=4x k=3\n", EIP_ERR_ARG, "cfg:2: conv: out: '4x' is not an integer"},
    {"input c=3 h=8 w=8\nconv name=c k=3\n", EIP_ERR_FORMAT, "cfg:2: conv: missing required field 'out'"},
    {"input c=3 h=8 w=8\n\n# comment\nconv out=4 k=3\n", EIP_ERR_FORMAT, "cfg:4: conv: missing required field 'name'"},
    {"input c=3 h=8 w=8\nsoftmax\n", EIP_ERR_FORMAT, "cfg:2: unknown layer kind 'softmax'"},
    {"input c=3 h=8 w=8\nconv name=a out=4 k=3\nconv name=b in=input out=5 k=3\nadd in=a,b\n", EIP_ERR_SHAPE,
     "cfg:4: add add#3: input shapes differ"},
    {"input c=3 h=8 w=8\nconv name=c out=4 k=3\nlinear name=fc out=3\n", EIP_ERR_SHAPE, "cfg:3: linear fc: input is [4, 6, 6], needs a flat"},
    {"input c=3 h=8 w=8\nmaxpool k=9\n", EIP_ERR_SHAPE, "cfg:2: pool"},
    {"input c=3 h=8 w=8\nconv name=c out=4 k=3 in=nowhere\n", EIP_ERR_FORMAT, "cfg:2: conv: in: unknown node 'nowhere'"},
    {"input c=3 h=8 w=8\nconv name=c out=4 k=3 k=5\n", EIP_ERR_FORMAT, "cfg:2: conv: duplicate key 'k'"},
    {"input c=3 h=8 w=8\nconv name=c out=4 k=3 stride=0\n", EIP_ERR_RANGE, "cfg:2: conv: stride: 0 is outside"},
    {"conv name=c out=4 k=3\n", EIP_ERR_FORMAT, "cfg:1: the first line must be 'input"},
    {"# nothing\n", EIP_ERR_FORMAT, "cfg: no 'input' line"},
    {"input c=3 h=8\n", EIP_ERR_FORMAT, "cfg:1: input: missing required field 'w'"},
    {"input c=3 h=8 w=8\nconv name=c out=4 k=3\nconv name=c out=4 k=3\n", EIP_ERR_FORMAT, "cfg:3: conv: duplicate node name"},
    {"input c=3 h=8 w=8\ndropout p=1.5\n", EIP_ERR_RANGE, "cfg:2: dropout: p: 1.5 is outside"},
    {"input c=3 h=8 w=8\nconv name=a out=4 k=3\nconv name=b in=input out=4 k=3\n", EIP_ERR_ARG,
     "output of node 'a' is never used"},
    {"input c=3 h=8 w=8\nconcat in=input\n", EIP_ERR_FORMAT, "cfg:2: concat: needs in=a,b"},
    {"input c=3 h=8 w=8\nconv name=a out=4 k=3 stride=2\nconcat in=a,input\n", EIP_ERR_SHAPE, "cfg:3: concat"},
    {"input c=3 h=8 w=8\nconv name=c out=4 k=3 bias=2\n", EIP_ERR_RANGE, "cfg:2: conv: bias: 2 is outside [0, 1]"},
    {"input c=3 h=8 w=8\nbn relu=1\n", EIP_ERR_FORMAT, "cfg:2: bn: missing required field 'name'"},
    {"input c=3 h=8 w=8\nconv name=c out=4 k=3 bogus\n", EIP_ERR_FORMAT, "cfg:2: conv: expected key=value"},
};

int main(void)
{
    eip_nn_ctx ctx;
    eip_error err = {0};
    REQUIRE(eip_nn_ctx_init(&ctx, 2, &err) == EIP_OK, "%s", err.msg);
    const char *good =
        "# a tiny residual net\n"
        "input c=3 h=8 w=8\n"
        "conv name=conv1 out=16 k=3 pad=1 bias=0\n"
        "bn name=bn1 relu=1\n"
        "conv name=conv2 out=16 k=3 pad=1 bias=0   # trailing comment\n"
        "bn name=bn2\n"
        "add name=sum in=bn2,bn1 relu=1\n"
        "maxpool k=2\n"
        "avgpool k=3 stride=1 pad=1\n"
        "gap\n"
        "flatten\n"
        "linear name=fc out=5\n"
        "dropout p=0.1\n";
    eip_nn_net_t *net = NULL;
    eip_status s = eip_nn_net_config(&ctx, good, "good", &net, &err);
    REQUIRE(s == EIP_OK, "good config: %s", err.msg);
    CHECK(eip_nn_output_size(net) == 5, "output size %lld", (long long)eip_nn_output_size(net));
    CHECK(eip_nn_param_count(net) == 16 * 27 + 32 + 16 * 16 * 9 + 32 + 16 * 5 + 5, "params %lld",
          (long long)eip_nn_param_count(net));
    CHECK(eip_nn_tensor_find(net, "bn2.num_batches_tracked") != NULL, "bn2 counter missing");
    char desc[4096];
    eip_nn_net_describe(net, desc, sizeof desc);
    CHECK(strstr(desc, "sum") && strstr(desc, "[16, 4, 4]"), "describe:\n%s", desc);
    eip_nn_net_free(net);

    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        eip_error e = {0};
        net = NULL;
        s = eip_nn_net_config(&ctx, bad[i].text, "cfg", &net, &e);
        CHECK(s == bad[i].code && net == NULL, "case %zu: status %d (want %d): %s", i, (int)s, (int)bad[i].code, e.msg);
        CHECK(strstr(e.msg, bad[i].want) != NULL, "case %zu: message '%s' lacks '%s'", i, e.msg, bad[i].want);
        eip_nn_net_free(net);
    }
    /* zoo arch validation */
    eip_nn_arch a = {"vgg16", 3, 32, 32, 10, 1.0};
    s = eip_nn_net_zoo(&ctx, &a, &net, &err);
    CHECK(s == EIP_ERR_ARG && strstr(err.msg, "unknown model 'vgg16'"), "zoo: %s", err.msg);
    eip_nn_arch b = {"alexnet", 3, 8, 8, 10, 1.0};
    s = eip_nn_net_zoo(&ctx, &b, &net, &err);
    CHECK(s == EIP_ERR_SHAPE, "alexnet on 8x8 must fail: %d %s", (int)s, err.msg);
    printf("alexnet 8x8: %s\n", err.msg);
    eip_nn_ctx_free(&ctx);
    TEST_MAIN_END();
}
