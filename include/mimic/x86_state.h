/*
 * The x86 architectural register file as seen through the accelerator seam:
 * loaders fill it for the boot CPU, accelerators load and store it
 * (kvm_regs/kvm_sregs, the TCG CPU state), the monitor and gdbstub read it.
 */
#ifndef MIMIC_X86_STATE_H
#define MIMIC_X86_STATE_H

#include <stdbool.h>
#include <stdint.h>

enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI,
       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT };

/* Descriptor-cache view of a segment register. `flags` holds the descriptor
 * attribute bits in their architectural positions of the high dword shifted
 * down by 8: type(0-3) S(4) DPL(5-6) P(7) AVL(12) L(13) D/B(14) G(15). */
typedef struct X86Segment {
    uint16_t selector;
    uint64_t base;
    uint32_t limit;    /* byte-granular (G already applied) */
    uint16_t flags;
} X86Segment;

#define SEGF_TYPE(t) ((t) & 0xf)
#define SEGF_S   (1u << 4)
#define SEGF_DPL(d) (((d) & 3) << 5)
#define SEGF_P   (1u << 7)
#define SEGF_L   (1u << 13)
#define SEGF_DB  (1u << 14)
#define SEGF_G   (1u << 15)

typedef struct X86DescTable { uint64_t base; uint16_t limit; } X86DescTable;

/* An MSR handed over with the registers: what firmware would have written
 * before the loaded program starts (the MTRRs). */
typedef struct X86Msr { uint32_t index; uint64_t value; } X86Msr;
/* Enough for every MTRR: DEF_TYPE, 11 fixed, 8 variable base/mask pairs. */
#define X86_REGS_MAX_MSRS 32

typedef struct X86Regs {
    uint64_t gpr[16];
    uint64_t rip;
    uint64_t rflags;
    X86Segment seg[SEG_COUNT];
    X86DescTable gdt, idt;
    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t efer;
    /* Written after the registers, in order, through the checks a guest's
     * WRMSR meets (tcg) or KVM_SET_MSRS; a rejected one is reported. get_regs
     * returns none. m->boot_regs' MSRs go to every vCPU at reset, not only
     * the boot CPU: firmware programs the MTRRs of all processors alike
     * (SDM vol. 3 11.11.8) and INIT keeps them, so the APs Linux starts
     * with INIT/SIPI agree with the BSP. */
    int nmsrs;
    X86Msr msrs[X86_REGS_MAX_MSRS];
} X86Regs;

#define CR0_PE (1ull << 0)
#define CR0_ET (1ull << 4)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

/* MTRR MSRs (SDM vol. 3 11.11, vol. 4 table 2-2), for loaders that set
 * them as firmware would. */
#define X86_MSR_MTRR_PHYSBASE0    0x200   /* PHYSBASEn 0x200 + 2n, PHYSMASKn 0x201 + 2n */
#define X86_MSR_MTRR_VAR_MAX      10      /* PHYSBASE0..9 are architectural */
#define X86_MSR_MTRR_FIX64K_00000 0x250
#define X86_MSR_MTRR_FIX16K_80000 0x258
#define X86_MSR_MTRR_FIX16K_A0000 0x259
#define X86_MSR_MTRR_FIX4K_C0000  0x268   /* ... 0x26F: FIX4K_F8000 */
#define X86_MSR_MTRR_DEF_TYPE     0x2FF
#define X86_MTRR_DEF_E            (1ull << 11)   /* MTRRs enabled */
#define X86_MTRR_DEF_FE           (1ull << 10)   /* fixed ranges enabled */
#define X86_MTRR_MASK_VALID       (1ull << 11)
#define X86_MTRR_UC 0
#define X86_MTRR_WC 1
#define X86_MTRR_WT 4
#define X86_MTRR_WP 5
#define X86_MTRR_WB 6
/* A loader runs before any vCPU exists, so it cannot know MAXPHYADDR: in
 * the MSR list a PHYSMASKn holds its mask bits up to bit 51 (all ones above
 * the range size), and the accelerators clear the bits from the vCPU's
 * MAXPHYADDR up before writing it (x86_msr_fit_phys_bits). */
#define X86_MTRR_MASK_BITS        0x000FFFFFFFFFF000ull

/* Power-on state of an x86 CPU (real mode at F000:FFF0). */
void x86_regs_reset(X86Regs *r);
/* Flat 32-bit protected mode, paging off: CS=0x10 code, DS..SS=0x18 data. */
void x86_regs_flat32(X86Regs *r, uint32_t eip);
/* Set MSR `index` to `value` in r's list (replacing an earlier value).
 * False, with r unchanged, when the list already holds X86_REGS_MAX_MSRS. */
bool x86_regs_set_msr(X86Regs *r, uint32_t index, uint64_t value);
/* The value to write for a list entry on a CPU with `phys_bits` physical
 * address bits: a PHYSMASKn loses its bits from phys_bits up, anything
 * else is unchanged. */
uint64_t x86_msr_fit_phys_bits(uint32_t index, uint64_t value, unsigned phys_bits);

#endif
