/* Private to the library: little-endian field access for the binary
 * formats.  The file helpers are public (encryip/util.h). */
#ifndef EIP_UTIL_IO_H
#define EIP_UTIL_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "encryip/util.h"

/* Little-endian encode/decode (formats are little-endian on disk). */
static inline void eip_le_put_u16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static inline void eip_le_put_u32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static inline void eip_le_put_u64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static inline uint16_t eip_le_get_u16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t eip_le_get_u32(const unsigned char *p) { uint32_t v = 0; for (int i = 3; i >= 0; i--) v = (v << 8) | p[i]; return v; }
static inline uint64_t eip_le_get_u64(const unsigned char *p) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = (v << 8) | p[i]; return v; }

#endif
