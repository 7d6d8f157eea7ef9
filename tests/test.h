/* Minimal test harness: CHECK records a failure with file:line and keeps going;
 * TEST_MAIN_END returns non-zero if anything failed, so CTest sees it.
 * A test binary that prints FAIL must exit non-zero — this is how. */
#ifndef EIP_TEST_H
#define EIP_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int eip_test_failures;
static long eip_test_checks;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        eip_test_checks++;                                                   \
        if (!(cond)) {                                                       \
            eip_test_failures++;                                             \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

/* Fatal precondition: stop this test binary now (still a failure). */
#define REQUIRE(cond, ...)                                                   \
    do {                                                                     \
        int ok_ = !!(cond);                                                  \
        CHECK(ok_, __VA_ARGS__);                                             \
        if (!ok_) {                                                          \
            fprintf(stderr, "REQUIRE failed: %s; stopping\n", #cond);       \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

/* |a-b| <= atol + rtol*|b| */
#define CHECK_CLOSE(a, b, atol, rtol, ...)                                   \
    do {                                                                     \
        double a_ = (a), b_ = (b);                                           \
        CHECK(fabs(a_ - b_) <= (atol) + (rtol) * fabs(b_) && !isnan(a_),    \
              __VA_ARGS__);                                                  \
    } while (0)

#define TEST_MAIN_END()                                                      \
    do {                                                                     \
        printf("%ld checks, %d failed\n", eip_test_checks, eip_test_failures); \
        return eip_test_failures ? 1 : 0;                                    \
    } while (0)

#endif
