/* longmode: a 32-bit Multiboot kernel that enters 64-bit long mode.  Builds
 * identity page tables for the first 1 GiB with 2 MiB pages, then hands over
 * to longmode64.S (PAE, EFER.LME, paging, far jump), which prints from 64-bit
 * code and checks 64-bit instructions.  Reference: Intel SDM vol. 3A 4.5
 * (4-level paging), 9.8.5 (initializing IA-32e mode). */
#include "runtime.h"

#define PAGE_PRESENT 0x001u
#define PAGE_WRITE 0x002u
#define PAGE_LARGE 0x080u
#define ENTRIES 512
#define LARGE_PAGE (2u << 20)

static uint64_t pml4[ENTRIES] __attribute__((aligned(4096)));
static uint64_t pdpt[ENTRIES] __attribute__((aligned(4096)));
static uint64_t pd[ENTRIES] __attribute__((aligned(4096)));

_Noreturn void enter_long_mode(uint32_t pml4_address);

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic;
    (void)mbi;
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

    for (int i = 0; i < ENTRIES; i++)
        pd[i] = (uint64_t)i * LARGE_PAGE | PAGE_PRESENT | PAGE_WRITE | PAGE_LARGE;
    pdpt[0] = (uint32_t)pd | PAGE_PRESENT | PAGE_WRITE;
    pml4[0] = (uint32_t)pdpt | PAGE_PRESENT | PAGE_WRITE;
    printf("identity map of 1 GiB: PML4 @0x%08x PDPT @0x%08x PD @0x%08x\n",
           (unsigned)(uint32_t)pml4, (unsigned)(uint32_t)pdpt, (unsigned)(uint32_t)pd);
    printf("entering long mode\n");
    enter_long_mode((uint32_t)pml4);
}
