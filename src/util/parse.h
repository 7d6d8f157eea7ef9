/* Private strict parsers for flags and config values: the whole string must be
 * a number in range, otherwise a clear error names the thing (never atoi). */
#ifndef EIP_UTIL_PARSE_H
#define EIP_UTIL_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "encryip/util.h"

#endif
