/*
 * The MTRR settings POST programs (Intel SDM vol. 3 11.11): as real BIOSes
 * and SeaBIOS leave them, default WB, the VGA window and the PCI hole UC.
 * Pure logic, unit-tested on the host (tests/unit/bios/mtrr_test.c).
 */
#ifndef BIOS_MTRR_H
#define BIOS_MTRR_H

#include "types.h"

#define MSR_MTRRCAP          0x0FE
#define MSR_MTRR_PHYSBASE0   0x200   /* PHYSBASEn 0x200 + 2n, PHYSMASKn 0x201 + 2n */
#define MSR_MTRR_FIX64K_00000 0x250
#define MSR_MTRR_FIX16K_80000 0x258
#define MSR_MTRR_FIX16K_A0000 0x259
#define MSR_MTRR_FIX4K_C0000 0x268   /* ... 0x26F */
#define MSR_MTRR_DEF_TYPE    0x2FF

#define MTRRCAP_VCNT(cap)    ((unsigned)(cap) & 0xFF)
#define MTRRCAP_FIX          (1u << 8)
#define MTRR_DEF_E           (1u << 11)
#define MTRR_DEF_FE          (1u << 10)
#define MTRR_MASK_VALID      (1u << 11)
#define MTRR_TYPE_UC         0
#define MTRR_TYPE_WB         6

/* PHYSBASE0..9 are architectural; more are never cleared. */
#define MTRR_VAR_MAX         10
/* The PCI hole takes at most this many variable ranges (one per set bit of
 * its size); the lowest, smallest part of a hole that needs more stays WB. */
#define MTRR_HOLE_RANGES     6
/* DEF_TYPE + 11 fixed + a base/mask pair per variable range. */
#define MTRR_MAX_WRITES      (1 + 11 + 2 * MTRR_VAR_MAX)

struct mtrr_write { u32 msr; u64 value; };

/*
 * The WRMSRs, in order, that set up a CPU with `vcnt` variable ranges (from
 * MTRRcap), fixed ranges if `fixed`, and `phys_bits` physical address bits,
 * for RAM below 4 GiB ending at `ram_end` (the PCI hole runs from there to
 * 4 GiB). Unused variable ranges are cleared; MTRRs are enabled last.
 * Returns the number of entries written to out (at most MTRR_MAX_WRITES).
 */
int mtrr_layout(u32 ram_end, unsigned vcnt, int fixed, unsigned phys_bits,
                struct mtrr_write out[MTRR_MAX_WRITES]);

/* smp.c (POST, not pure): run the same WRMSRs on every other CPU. */
void smp_load_msrs(const struct mtrr_write *w, int n);

#endif
