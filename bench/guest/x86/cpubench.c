/* cpubench: a Multiboot kernel that times CPU-bound integer kernels (sieve,
 * CRC-32, bytecode interpreter) in 64-bit long mode, for bench/.  This
 * 32-bit part checks the CPU, calibrates the TSC against PIT channel 2,
 * copies the 64-bit payload to PAYLOAD_ADDRESS, identity-maps 1 GiB with
 * 2 MiB pages and enters long mode (Intel SDM vol. 3A 4.5, 9.8.5).
 * Command line: "sieve=N crc=N interp=N" override the repetitions. */
#include "runtime.h"

#include "params.h"

#define PAGE_PRESENT 0x001u
#define PAGE_WRITE 0x002u
#define PAGE_LARGE 0x080u
#define ENTRIES 512
#define LARGE_PAGE (2u << 20)
#define MAX_REPS 100000u

/* Chosen so QEMU 7.2 TCG spends about 1.5 s on each kernel on the
 * development machine (see bench/README.md). */
#define DEFAULT_REPS_SIEVE 8u
#define DEFAULT_REPS_CRC32 64u
#define DEFAULT_REPS_INTERP 100u

static uint64_t pml4[ENTRIES] __attribute__((aligned(4096)));
static uint64_t pdpt[ENTRIES] __attribute__((aligned(4096)));
static uint64_t pd[ENTRIES] __attribute__((aligned(4096)));
static BenchParams params;

extern const uint8_t payload_start[], payload_end[];  /* payload.S */
_Noreturn void enter_payload(uint32_t pml4_address, uint32_t params_address);

static uint32_t reps_from_cmdline(const char *key, uint32_t fallback)
{
    uint32_t reps = parse_u32(cmdline_value(key), fallback);
    if (reps == 0 || reps > MAX_REPS)
        test_fail("%s=%u: repetitions must be 1..%u", key, (unsigned)reps, MAX_REPS);
    return reps;
}

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic;
    uint32_t r[4];

    cpuid(0x80000000, 0, r);
    if (r[0] < 0x80000001)
        test_fail("no CPUID leaf 0x80000001");
    cpuid(0x80000001, 0, r);
    if (!(r[3] & (1u << 29)))
        test_fail("CPU lacks long mode (CPUID 0x80000001 EDX bit 29)");
    cpuid(1, 0, r);
    if (!(r[3] & (1u << 6)))
        test_fail("CPU lacks PAE");
    if (!(r[3] & (1u << 4)))
        test_fail("CPU lacks the TSC");
    if (!(mbi->flags & MBI_FLAG_MEM) || mbi->mem_upper < (MEMORY_NEEDED >> 10) - 1024)
        test_fail("need %u MiB of RAM", (unsigned)(MEMORY_NEEDED >> 20));

    /* Read the command line now: the payload copy may overwrite where the
     * loader put it. */
    params.reps[KERNEL_SIEVE] = reps_from_cmdline("sieve", DEFAULT_REPS_SIEVE);
    params.reps[KERNEL_CRC32] = reps_from_cmdline("crc", DEFAULT_REPS_CRC32);
    params.reps[KERNEL_INTERP] = reps_from_cmdline("interp", DEFAULT_REPS_INTERP);
    params.tsc_khz = tsc_calibrate();
    printf("CPUBENCH-BEGIN tsc_khz=%u\n", (unsigned)params.tsc_khz);

    uint32_t size = (uint32_t)(payload_end - payload_start);
    if (size > PAYLOAD_MAX_SIZE)
        test_fail("payload of %u bytes exceeds %u", (unsigned)size, PAYLOAD_MAX_SIZE);
    if ((uint32_t)payload_end > PAYLOAD_ADDRESS)
        test_fail("kernel image overlaps the payload area");
    memcpy((void *)PAYLOAD_ADDRESS, payload_start, size);

    for (int i = 0; i < ENTRIES; i++)
        pd[i] = (uint64_t)i * LARGE_PAGE | PAGE_PRESENT | PAGE_WRITE | PAGE_LARGE;
    pdpt[0] = (uint32_t)pd | PAGE_PRESENT | PAGE_WRITE;
    pml4[0] = (uint32_t)pdpt | PAGE_PRESENT | PAGE_WRITE;
    enter_payload((uint32_t)pml4, (uint32_t)&params);
}
