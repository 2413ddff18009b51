/*
 * The x86 architectural register file as seen through the accelerator seam:
 * loaders fill it for the boot CPU, accelerators load and store it
 * (kvm_regs/kvm_sregs, the TCG CPU state), the monitor and gdbstub read it.
 */
#ifndef MIMIC_X86_STATE_H
#define MIMIC_X86_STATE_H

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

typedef struct X86Regs {
    uint64_t gpr[16];
    uint64_t rip;
    uint64_t rflags;
    X86Segment seg[SEG_COUNT];
    X86DescTable gdt, idt;
    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t efer;
} X86Regs;

#define CR0_PE (1ull << 0)
#define CR0_ET (1ull << 4)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

/* Power-on state of an x86 CPU (real mode at F000:FFF0). */
void x86_regs_reset(X86Regs *r);
/* Flat 32-bit protected mode, paging off: CS=0x10 code, DS..SS=0x18 data. */
void x86_regs_flat32(X86Regs *r, uint32_t eip);

#endif
