/* cpubench payload: runs each kernel once (with its repetitions), timing it
 * with RDTSC, and prints one line per kernel on COM1 (16550, polled):
 *   CPUBENCH kernel=NAME reps=N checksum=0xX ticks=N us=N
 * then "CPUBENCH-END", "RESULT: PASS" and isa-debug-exit 0.  The TSC rate
 * comes from the 32-bit part's PIT calibration (BenchParams). */
#include <stdint.h>

#include "kernels.h"
#include "params.h"

#define COM1 0x3f8
#define COM1_LSR (COM1 + 5)
#define LSR_THRE 0x20
#define DEBUG_EXIT_PORT 0xf4

void main64(const BenchParams *params);

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

static void putc64(char c)
{
    while (!(inb(COM1_LSR) & LSR_THRE))
        ;
    outb(COM1, (uint8_t)c);
}

static void puts64(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            putc64('\r');
        putc64(*s);
    }
}

static void putdec64(uint64_t v)
{
    char buf[21];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        putc64(buf[--n]);
}

static void puthex64(uint64_t v)
{
    puts64("0x");
    for (int shift = 60; shift >= 0; shift -= 4)
        putc64("0123456789abcdef"[(v >> shift) & 15]);
}

static void report(const char *name, uint64_t reps, uint64_t checksum, uint64_t ticks, uint64_t tsc_khz)
{
    puts64("CPUBENCH kernel=");
    puts64(name);
    puts64(" reps=");
    putdec64(reps);
    puts64(" checksum=");
    puthex64(checksum);
    puts64(" ticks=");
    putdec64(ticks);
    puts64(" us=");
    putdec64(tsc_khz ? ticks * 1000 / tsc_khz : 0);
    puts64("\n");
}

void main64(const BenchParams *params)
{
    uint64_t t0, t1, sum;

    t0 = rdtsc();
    sum = kernel_sieve((uint8_t *)(uintptr_t)SIEVE_BUFFER_ADDRESS, (uint32_t)params->reps[KERNEL_SIEVE]);
    t1 = rdtsc();
    report("sieve", params->reps[KERNEL_SIEVE], sum, t1 - t0, params->tsc_khz);

    t0 = rdtsc();
    sum = kernel_crc32((uint8_t *)(uintptr_t)CRC_BUFFER_ADDRESS, (uint32_t)params->reps[KERNEL_CRC32]);
    t1 = rdtsc();
    report("crc32", params->reps[KERNEL_CRC32], sum, t1 - t0, params->tsc_khz);

    t0 = rdtsc();
    sum = kernel_interp((uint32_t)params->reps[KERNEL_INTERP]);
    t1 = rdtsc();
    report("interp", params->reps[KERNEL_INTERP], sum, t1 - t0, params->tsc_khz);

    puts64("CPUBENCH-END\nRESULT: PASS\n");
    outb(DEBUG_EXIT_PORT, 0);
}
