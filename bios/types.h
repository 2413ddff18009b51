/*
 * Fixed-width types for the BIOS. The pure-logic files (e820.c, geometry.c,
 * eltorito.c, romfile_loader.c) include only this header so that the host
 * unit tests in tests/unit/bios/ compile them unchanged.
 */
#ifndef BIOS_TYPES_H
#define BIOS_TYPES_H

#include <stdint.h>
#include <stddef.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))

static inline u16 get_le16(const void *p) { const u8 *b = p; return b[0] | b[1] << 8; }
static inline u32 get_le32(const void *p) { const u8 *b = p; return get_le16(b) | (u32)get_le16(b + 2) << 16; }
static inline u64 get_le64(const void *p) { const u8 *b = p; return get_le32(b) | (u64)get_le32(b + 4) << 32; }
static inline void put_le16(void *p, u16 v) { u8 *b = p; b[0] = v; b[1] = v >> 8; }
static inline void put_le32(void *p, u32 v) { u8 *b = p; put_le16(b, v); put_le16(b + 2, v >> 16); }
static inline void put_le64(void *p, u64 v) { u8 *b = p; put_le32(b, v); put_le32(b + 4, v >> 32); }
static inline u32 get_be32(const void *p) { const u8 *b = p; return (u32)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]; }
static inline u16 get_be16(const void *p) { const u8 *b = p; return b[0] << 8 | b[1]; }

#endif
