/*
 * The PC physical memory map (INT 15h E820h layout, ACPI spec "System
 * Address Map Interfaces"): conventional RAM, EBDA, BIOS shadow, extended
 * RAM up to the PCI hole, IOAPIC/LAPIC/accelerator pages/BIOS flash, RAM
 * above 4 GiB; and its MTRR memory types as firmware sets them (SDM vol. 3
 * 11.11.2-11.11.4).
 * Leaves out SMRAM/TSEG and PCI BAR windows, which firmware does not report.
 */
#include "hw/pc/e820.h"

#include <string.h>

#include "mimic/machine.h"

uint64_t pc_lowmem_size(uint64_t ram_size)
{
    /* Brief's rule: when RAM does not fit below the hole, low RAM ends at it. */
    return ram_size > PC_LOWMEM_MAX ? PC_LOWMEM_MAX : ram_size;
}

uint64_t pc_highmem_size(uint64_t ram_size)
{
    return ram_size - pc_lowmem_size(ram_size);
}

static void put(E820Table *t, uint64_t addr, uint64_t size, uint32_t type)
{
    if (size == 0 || t->count >= E820_MAX)
        return;
    t->entry[t->count].addr = addr;
    t->entry[t->count].size = size;
    t->entry[t->count].type = type;
    t->count++;
}

void e820_build_pc(E820Table *t, uint64_t ram_size)
{
    uint64_t low = pc_lowmem_size(ram_size);

    memset(t, 0, sizeof(*t));
    put(t, 0, low < PC_EBDA_BASE ? low : PC_EBDA_BASE, E820_RAM);
    put(t, PC_EBDA_BASE, PC_LOWRAM_END - PC_EBDA_BASE, E820_RESERVED);
    put(t, PC_BIOS_BASE, PC_HIGHRAM_BASE - PC_BIOS_BASE, E820_RESERVED);
    if (low > PC_HIGHRAM_BASE)
        put(t, PC_HIGHRAM_BASE, low - PC_HIGHRAM_BASE, E820_RAM);
    put(t, PC_IOAPIC_BASE, 0x1000, E820_RESERVED);
    put(t, PC_LAPIC_BASE, 0x1000, E820_RESERVED);
    put(t, PC_ACCEL_PAGES_BASE, MACHINE_ACCEL_PAGES_SIZE, E820_RESERVED);
    put(t, PC_BIOS_ROM_BASE, PC_HIGHMEM_BASE - PC_BIOS_ROM_BASE, E820_RESERVED);
    put(t, PC_HIGHMEM_BASE, pc_highmem_size(ram_size), E820_RAM);
}

bool e820_add(E820Table *t, uint64_t addr, uint64_t size, uint32_t type)
{
    E820Table n;
    uint64_t end = addr + size;

    if (size == 0)
        return true;
    if (end < addr)
        return false;
    memset(&n, 0, sizeof(n));
    /* Keep what lies outside the new range; the new range wins inside it. */
    for (int i = 0; i < t->count && i < E820_MAX; i++) {
        uint64_t a = t->entry[i].addr, e = a + t->entry[i].size;
        uint32_t ty = t->entry[i].type;
        if (e <= addr || a >= end) {
            if (n.count >= E820_MAX)
                return false;
            put(&n, a, e - a, ty);
            continue;
        }
        if (a < addr) {
            if (n.count >= E820_MAX)
                return false;
            put(&n, a, addr - a, ty);
        }
        if (e > end) {
            if (n.count >= E820_MAX)
                return false;
            put(&n, end, e - end, ty);
        }
    }
    if (n.count >= E820_MAX)
        return false;
    put(&n, addr, size, type);
    /* Insertion sort by address: tables are short. */
    for (int i = 1; i < n.count; i++) {
        for (int j = i; j > 0 && n.entry[j - 1].addr > n.entry[j].addr; j--) {
            __typeof__(n.entry[0]) tmp = n.entry[j];
            n.entry[j] = n.entry[j - 1];
            n.entry[j - 1] = tmp;
        }
    }
    *t = n;
    return true;
}

/* End of the run of RAM that contains `addr`, or addr itself if addr is not
 * RAM. Adjacent RAM entries join into one run. */
static uint64_t ram_run_end(const E820Table *t, uint64_t addr)
{
    uint64_t cur = addr;
    bool grew = true;

    while (grew) {
        grew = false;
        for (int i = 0; i < t->count && i < E820_MAX; i++) {
            uint64_t a = t->entry[i].addr, e = a + t->entry[i].size;
            if (t->entry[i].type == E820_RAM && a <= cur && cur < e) {
                cur = e;
                grew = true;
            }
        }
    }
    return cur;
}

bool e820_is_ram(const E820Table *t, uint64_t addr, uint64_t size)
{
    uint64_t end = addr + size;

    if (end < addr)
        return false;
    if (size == 0)
        return ram_run_end(t, addr) > addr;
    return ram_run_end(t, addr) >= end;
}

void e820_multiboot_mem(const E820Table *t, uint32_t *mem_lower_kib,
                        uint32_t *mem_upper_kib)
{
    uint64_t lower = ram_run_end(t, 0);
    uint64_t upper = ram_run_end(t, PC_HIGHRAM_BASE) - PC_HIGHRAM_BASE;

    if (lower > PC_LOWRAM_END)
        lower = PC_LOWRAM_END;
    upper /= 1024;
    *mem_lower_kib = (uint32_t)(lower / 1024);
    *mem_upper_kib = upper > UINT32_MAX ? UINT32_MAX : (uint32_t)upper;
}

#define MTRR_PAGE      0x1000ull
#define MTRR_FIXED_WB  0x0606060606060606ull   /* eight WB sub-ranges */

bool pc_mtrr_setup(X86Regs *r, uint64_t lowmem)
{
    X86Regs n = *r;
    bool ok = true;

    if (n.nmsrs < 0 || n.nmsrs > X86_REGS_MAX_MSRS - PC_MTRR_MSRS)
        return false;
    ok &= x86_regs_set_msr(&n, X86_MSR_MTRR_FIX64K_00000, MTRR_FIXED_WB);
    ok &= x86_regs_set_msr(&n, X86_MSR_MTRR_FIX16K_80000, MTRR_FIXED_WB);
    /* 0xA0000-0xBFFFF: the VGA window, a device. */
    ok &= x86_regs_set_msr(&n, X86_MSR_MTRR_FIX16K_A0000, 0);
    /* 0xC0000-0xFFFFF: option ROM and BIOS shadow RAM (the ACPI tables of a
     * direct boot): WB, as SeaBIOS leaves it, rather than a BIOS's WP. */
    for (uint32_t i = 0; i < 8; i++)
        ok &= x86_regs_set_msr(&n, X86_MSR_MTRR_FIX4K_C0000 + i, MTRR_FIXED_WB);

    /* The hole [start, 4 GiB) top down: at each step the largest aligned
     * power of two that ends at `end` and does not reach below start. Below
     * 1 MiB the fixed ranges decide. */
    uint64_t start = (lowmem + MTRR_PAGE - 1) & ~(MTRR_PAGE - 1);
    uint64_t end = PC_HIGHMEM_BASE;
    if (start < PC_HIGHRAM_BASE)
        start = PC_HIGHRAM_BASE;
    int var = 0;
    while (start < end && var < PC_MTRR_HOLE_RANGES) {
        uint64_t size = end & -end;
        while (end - size < start)
            size >>= 1;
        end -= size;
        ok &= x86_regs_set_msr(&n, X86_MSR_MTRR_PHYSBASE0 + 2 * var, end | X86_MTRR_UC);
        ok &= x86_regs_set_msr(&n, X86_MSR_MTRR_PHYSBASE0 + 2 * var + 1,
                               (X86_MTRR_MASK_BITS & ~(size - 1)) | X86_MTRR_MASK_VALID);
        var++;
    }
    for (; var < PC_MTRR_VAR_COUNT; var++) {
        ok &= x86_regs_set_msr(&n, X86_MSR_MTRR_PHYSBASE0 + 2 * var, 0);
        ok &= x86_regs_set_msr(&n, X86_MSR_MTRR_PHYSBASE0 + 2 * var + 1, 0);
    }
    /* Enable last, as firmware does after filling the ranges. */
    ok &= x86_regs_set_msr(&n, X86_MSR_MTRR_DEF_TYPE,
                           X86_MTRR_DEF_E | X86_MTRR_DEF_FE | X86_MTRR_WB);
    if (ok)
        *r = n;
    return ok;
}
