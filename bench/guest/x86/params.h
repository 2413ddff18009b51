/* cpubench: the block the 32-bit Multiboot part hands to the 64-bit
 * payload, and the fixed guest-physical memory map both sides agree on.
 * Every field is 64 bits wide so the layout is the same under -m32 and
 * -m64 (i386 aligns uint64_t to 4 bytes, x86-64 to 8). */
#ifndef CPUBENCH_PARAMS_H
#define CPUBENCH_PARAMS_H

#include <stdint.h>

/* Guest-physical layout (identity-mapped, 1 GiB with 2 MiB pages).  The
 * Multiboot ELF and its boot information live below PAYLOAD_ADDRESS. */
#define PAYLOAD_ADDRESS 0x800000u        /* 8 MiB: 64-bit code, data, stack */
#define PAYLOAD_MAX_SIZE 0x400000u
#define SIEVE_BUFFER_ADDRESS 0x1000000u  /* 16 MiB, SIEVE_LIMIT bytes */
#define CRC_BUFFER_ADDRESS 0x2000000u    /* 32 MiB, CRC_BUFFER_SIZE bytes */
#define MEMORY_NEEDED 0x3000000u         /* 48 MiB of RAM at least */

enum { KERNEL_SIEVE, KERNEL_CRC32, KERNEL_INTERP, KERNEL_COUNT };

typedef struct BenchParams {
    uint64_t tsc_khz;                    /* calibrated against the PIT */
    uint64_t reps[KERNEL_COUNT];         /* repetitions of each kernel */
} BenchParams;

#endif
