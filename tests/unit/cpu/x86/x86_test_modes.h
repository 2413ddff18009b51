/*
 * Test scaffolding shared by the cpu/x86 delivery and transfer tests: one
 * GDT (ring 0/3 code and data, 16/32/64-bit, a TSS), an IDT area, and CPUs
 * set up in 32-bit protected mode or IA-32e mode at a chosen CPL.
 */
#ifndef TESTS_CPU_X86_TEST_MODES_H
#define TESTS_CPU_X86_TEST_MODES_H

#include "x86_fake_env.h"

#define GDT 0x1000
#define IDT 0x2000
#define TSS 0x4000

enum {
    S_CODE0 = 0x08, S_DATA0 = 0x10, S_CODE3 = 0x18, S_DATA3 = 0x20, S_TSS = 0x28,
    S_CODE_NP = 0x30, S_CODE64 = 0x40, S_DATA64 = 0x48, S_CODE3_64 = 0x50, S_TSS64 = 0x58,
    S_CONF0 = 0x68, S_CALL32 = 0x70, S_CALL64 = 0x78, /* 16 bytes */ S_GDT_END = 0x88,
};
#define CALL64_TARGET 0xffffffff80002000ull

static inline void build_gdt(void)
{
    pw64(GDT + S_CODE0, seg_desc(0, 0xfffff, 0x9a, 0xc));
    pw64(GDT + S_DATA0, seg_desc(0, 0xfffff, 0x92, 0xc));
    pw64(GDT + S_CODE3, seg_desc(0, 0xfffff, 0xfa, 0xc));
    pw64(GDT + S_DATA3, seg_desc(0, 0xfffff, 0xf2, 0xc));
    pw64(GDT + S_TSS, seg_desc(TSS, 0x67, 0x89, 0));
    pw64(GDT + S_CODE_NP, seg_desc(0, 0xfffff, 0x1a, 0xc));
    pw64(GDT + S_CODE64, seg_desc(0, 0xfffff, 0x9a, 0xa));
    pw64(GDT + S_DATA64, seg_desc(0, 0xfffff, 0x92, 0xc));
    pw64(GDT + S_CODE3_64, seg_desc(0, 0xfffff, 0xfa, 0xa));
    pw64(GDT + S_TSS64, seg_desc(TSS, 0x67, 0x89, 0));
    pw64(GDT + S_TSS64 + 8, 0);
    pw64(GDT + S_CONF0, seg_desc(0, 0xfffff, 0x9e, 0xc));
    pw64(GDT + S_CALL32, gate_desc(S_CODE0, 0x6000, 0xc, 3, 2));   /* copies 2 dwords */
    pw64(GDT + S_CALL64, gate_desc(S_CODE64, (uint32_t)CALL64_TARGET, 0xc, 3, 0));
    pw64(GDT + S_CALL64 + 8, CALL64_TARGET >> 32);
}

static inline void set_seg(X86CPU *cpu, int seg, uint16_t sel, bool code, int dpl, bool l)
{
    cpu->segs[seg] = (X86Segment){ sel, 0, 0xffffffff,
        (uint16_t)(SEGF_P | SEGF_S | SEGF_TYPE(code ? 0xb : 0x3) | SEGF_DPL(dpl) |
                   (l ? SEGF_L : SEGF_DB) | SEGF_G) };
}

/* 32-bit protected mode at `cpl`, TSS loaded with SS0:ESP0 = 0x10:0x9000. */
static inline X86CPU *pm32(int cpl)
{
    X86CPU *cpu = fake_cpu("qemu64");
    build_gdt();
    cpu->gdt = (X86DescTable){ GDT, S_GDT_END - 1 };
    cpu->idt = (X86DescTable){ IDT, 256 * 8 - 1 };
    cpu->cr[0] |= CR0_PE;
    set_seg(cpu, SEG_CS, cpl ? S_CODE3 | 3 : S_CODE0, true, cpl, false);
    set_seg(cpu, SEG_SS, cpl ? S_DATA3 | 3 : S_DATA0, false, cpl, false);
    set_seg(cpu, SEG_DS, cpl ? S_DATA3 | 3 : S_DATA0, false, cpl, false);
    set_seg(cpu, SEG_ES, cpl ? S_DATA3 | 3 : S_DATA0, false, cpl, false);
    cpu->regs[R_ESP] = cpl ? 0x8000 : 0x9000;
    cpu->rip = 0x5000;
    pw32(TSS + 4, 0x9000);
    pw16(TSS + 8, S_DATA0);
    cpu->segs[SEG_TR] = (X86Segment){ S_TSS, TSS, 0x67, SEGF_P | SEGF_TYPE(11) };
    x86_load_eflags(cpu, X86_EFLAGS_IF, X86_EFLAGS_IF);
    return cpu;
}

static inline void idt32(int vector, uint16_t sel, uint32_t off, unsigned type, int dpl)
{
    pw64(IDT + 8 * vector, gate_desc(sel, off, type, dpl, 0));
}

/* Long mode: 16-byte gates, 64-bit TSS with RSP0 = 0x9000, IST1 = 0xa008. */
static inline X86CPU *lm64(int cpl)
{
    X86CPU *cpu = fake_cpu("qemu64");
    build_gdt();
    cpu->gdt = (X86DescTable){ GDT, S_GDT_END - 1 };
    cpu->idt = (X86DescTable){ IDT, 256 * 16 - 1 };
    cpu->cr[0] |= CR0_PE;
    cpu->efer = EFER_LME | EFER_LMA;
    set_seg(cpu, SEG_CS, cpl ? S_CODE3_64 | 3 : S_CODE64, true, cpl, true);
    set_seg(cpu, SEG_SS, cpl ? S_DATA3 | 3 : S_DATA64, false, cpl, false);
    cpu->regs[R_ESP] = 0x8003;
    cpu->rip = 0x400000;
    pw64(TSS + 4, 0x9000);
    pw64(TSS + 0x24, 0xa008);
    cpu->segs[SEG_TR] = (X86Segment){ S_TSS64, TSS, 0x67, SEGF_P | SEGF_TYPE(11) };
    x86_load_eflags(cpu, X86_EFLAGS_IF, X86_EFLAGS_IF);
    return cpu;
}

static inline void idt64(int vector, uint16_t sel, uint64_t off, unsigned type, int dpl, int ist)
{
    pw64(IDT + 16 * vector, gate_desc(sel, (uint32_t)off, type, dpl, 0) | (uint64_t)ist << 32);
    pw64(IDT + 16 * vector + 8, off >> 32);
}

#endif
