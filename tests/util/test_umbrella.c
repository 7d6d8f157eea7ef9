/* The umbrella header compiles on its own in C11 and every status has a
 * distinct, non-"unknown" name (messages rely on them). */
#include <string.h>

#include "encryip/encryip.h"
#include "test.h"

int main(void)
{
    for (int a = EIP_OK; a <= EIP_ERR_STATE; a++) {
        CHECK(strcmp(eip_status_name((eip_status)a), "unknown") != 0, "status %d has a name", a);
        for (int b = a + 1; b <= EIP_ERR_STATE; b++)
            CHECK(strcmp(eip_status_name((eip_status)a), eip_status_name((eip_status)b)) != 0,
                  "status %d and %d share a name", a, b);
    }
    CHECK(strcmp(eip_status_name((eip_status)99), "unknown") == 0, "out-of-range status");
    TEST_MAIN_END();
}
