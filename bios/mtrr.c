/*
 * MTRR set-up of POST (Intel SDM vol. 3 11.11.2-11.11.4, 11.11.8): MTRRs and
 * fixed ranges on, default type WB; below 1 MiB WB except the VGA window
 * 0xA0000-0xBFFFF (UC), 0xC0000-0xFFFFF WB like SeaBIOS rather than WP; the
 * PCI hole [end of RAM below 4 GiB, 4 GiB) UC. Pure: post.c does the WRMSRs.
 * Leaves out SMRR and write-combining ranges for framebuffers.
 */
#include "mtrr.h"

#define FIXED_WB   0x0606060606060606ull   /* eight WB sub-ranges */
#define PAGE       0x1000ull
#define ONE_MIB    0x100000ull
#define FOUR_GIB   0x100000000ull

static void put(struct mtrr_write *out, int *n, u32 msr, u64 value)
{
    if (*n < MTRR_MAX_WRITES) {
        out[*n].msr = msr;
        out[*n].value = value;
        (*n)++;
    }
}

int mtrr_layout(u32 ram_end, unsigned vcnt, int fixed, unsigned phys_bits,
                struct mtrr_write out[MTRR_MAX_WRITES])
{
    int n = 0;
    u64 phys_mask = phys_bits >= 64 ? ~0ull : (1ull << phys_bits) - 1;

    if (vcnt > MTRR_VAR_MAX)
        vcnt = MTRR_VAR_MAX;
    if (fixed) {
        put(out, &n, MSR_MTRR_FIX64K_00000, FIXED_WB);
        put(out, &n, MSR_MTRR_FIX16K_80000, FIXED_WB);
        put(out, &n, MSR_MTRR_FIX16K_A0000, 0);
        for (u32 i = 0; i < 8; i++)
            put(out, &n, MSR_MTRR_FIX4K_C0000 + i, FIXED_WB);
    }

    /* The hole top down: each step the largest aligned power of two that
     * ends at `end` without reaching below `start`. Below 1 MiB the fixed
     * ranges decide (or, without them, the default WB). */
    u64 start = ALIGN_UP((u64)ram_end, PAGE);
    u64 end = FOUR_GIB;
    unsigned budget = vcnt < MTRR_HOLE_RANGES ? vcnt : MTRR_HOLE_RANGES;
    unsigned var = 0;
    if (start < ONE_MIB)
        start = ONE_MIB;
    while (start < end && var < budget) {
        u64 size = end & -end;
        while (end - size < start)
            size >>= 1;
        end -= size;
        put(out, &n, MSR_MTRR_PHYSBASE0 + 2 * var, end | MTRR_TYPE_UC);
        put(out, &n, MSR_MTRR_PHYSBASE0 + 2 * var + 1,
            (phys_mask & ~(size - 1) & ~(PAGE - 1)) | MTRR_MASK_VALID);
        var++;
    }
    for (; var < vcnt; var++) {
        put(out, &n, MSR_MTRR_PHYSBASE0 + 2 * var, 0);
        put(out, &n, MSR_MTRR_PHYSBASE0 + 2 * var + 1, 0);
    }
    put(out, &n, MSR_MTRR_DEF_TYPE,
        MTRR_DEF_E | (fixed ? MTRR_DEF_FE : 0) | MTRR_TYPE_WB);
    return n;
}
