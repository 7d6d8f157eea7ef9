/* Atomic writes, strict parsing, error messages. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "util/io.h"
#include "util/parse.h"

int main(void)
{
    char dir[] = "/tmp/eip_test_io_XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL, "mkdtemp");
    char path[256];
    snprintf(path, sizeof path, "%s/f.bin", dir);
    eip_error err = {0};

    CHECK(eip_io_write_atomic(path, "hello", 5, EIP_IO_MODE_SECRET, &err) == EIP_OK, "%s", err.msg);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "secret file mode %o", st.st_mode & 0777);
    unsigned char *buf = NULL;
    size_t n = 0;
    CHECK(eip_io_read_file(path, 100, &buf, &n, &err) == EIP_OK && n == 5 && !memcmp(buf, "hello", 5),
          "read back");
    free(buf);
    CHECK(eip_io_read_file(path, 4, &buf, &n, &err) == EIP_ERR_FORMAT, "size cap enforced");
    CHECK(strstr(err.msg, path) != NULL, "error names the file: %s", err.msg);

    /* An aborted write leaves the old content and no temp file. */
    eip_io_atomic w;
    CHECK(eip_io_atomic_open(&w, path, EIP_IO_MODE_PUBLIC, &err) == EIP_OK, "%s", err.msg);
    eip_io_atomic_write(&w, "XX", 2, &err);
    eip_io_atomic_abort(&w);
    CHECK(eip_io_read_file(path, 100, &buf, &n, &err) == EIP_OK && n == 5 && !memcmp(buf, "hello", 5),
          "abort keeps the old file");
    free(buf);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 1", dir);
    CHECK(system(cmd) == 0, "no temp file left behind");

    /* Missing directory: clear error, nothing written. */
    CHECK(eip_io_write_atomic("/nonexistent_dir/x", "a", 1, 0644, &err) == EIP_ERR_IO, "missing dir");
    CHECK(strstr(err.msg, "/nonexistent_dir/x") != NULL, "names file: %s", err.msg);

    int64_t v;
    CHECK(eip_parse_i64("--epochs", "12", 1, 100, &v, &err) == EIP_OK && v == 12, "parse 12");
    CHECK(eip_parse_i64("--epochs", "12x", 1, 100, &v, &err) == EIP_ERR_ARG, "trailing junk");
    CHECK(strstr(err.msg, "--epochs") != NULL, "names flag: %s", err.msg);
    CHECK(eip_parse_i64("--epochs", "0", 1, 100, &v, &err) == EIP_ERR_RANGE, "range");
    CHECK(eip_parse_i64("--epochs", "", 1, 100, &v, &err) == EIP_ERR_ARG, "empty");
    double d;
    CHECK(eip_parse_f64("--lr", "0.1", 0, 10, &d, &err) == EIP_OK && d == 0.1, "parse 0.1");
    CHECK(eip_parse_f64("--lr", "nan", 0, 10, &d, &err) == EIP_ERR_ARG, "nan refused");
    static const char *const names[] = {"loss", "margin", "both"};
    int ch = -1;
    CHECK(eip_parse_choice("objective", "margin", names, 3, &ch, &err) == EIP_OK && ch == 1, "choice margin");
    CHECK(eip_parse_choice("objective", "Margin", names, 3, &ch, &err) == EIP_ERR_ARG && ch == 1 &&
              !strcmp(err.msg, "objective 'Margin': not loss, margin or both"),
          "choice message: %s", err.msg);
    CHECK(eip_parse_choice("objective", NULL, names, 3, &ch, &err) == EIP_ERR_ARG, "NULL choice");
    CHECK(!strcmp(eip_choice_name(names, 3, 2), "both") && !strcmp(eip_choice_name(names, 3, 3), "?") &&
              !strcmp(eip_choice_name(names, 3, -1), "?"),
          "choice names");

    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    TEST_MAIN_END();
}
