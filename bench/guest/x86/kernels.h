/* cpubench kernels: CPU-bound integer work shared by the 64-bit guest
 * payload and the host build that counts their instructions (callgrind).
 * Both link the same kernels.o, so the guest executes exactly the machine
 * code that was counted.  Each kernel does REPS identical repetitions: its
 * instruction count is setup + REPS * per-repetition, with no data-dependent
 * control flow that differs between host and guest. */
#ifndef CPUBENCH_KERNELS_H
#define CPUBENCH_KERNELS_H

#include <stdint.h>

/* Sizes of the work, fixed so every emulator runs the same program. */
#define SIEVE_LIMIT 10000000u            /* primes below 10 M, one byte each */
#define CRC_BUFFER_SIZE (4u << 20)       /* CRC32 over 4 MiB per repetition */
#define INTERP_FIB_N 22u                 /* recursive fib in the bytecode VM */
#define INTERP_LOOP_N 60000u             /* iterations of the VM's inner loop */

/* Primes below SIEVE_LIMIT in BUF (SIEVE_LIMIT bytes), REPS times.
 * Returns count and sum of the primes, mixed with the repetition index. */
uint64_t kernel_sieve(uint8_t *buf, uint32_t reps);
/* Fills BUF (CRC_BUFFER_SIZE bytes) from a xorshift generator, then
 * CRC-32 (IEEE 802.3, reflected, table-driven) over it REPS times, each
 * pass seeded with the previous CRC. */
uint64_t kernel_crc32(uint8_t *buf, uint32_t reps);
/* Runs a switch-dispatched register VM program (recursive fib plus a
 * multiply/xor/load/store loop) REPS times. */
uint64_t kernel_interp(uint32_t reps);

#endif
