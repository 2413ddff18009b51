/*
 * Architectural reset and boot states of an x86 CPU (Intel SDM vol. 3,
 * 9.1.1 "Processor State After Reset"), and the MSR list loaders hand over
 * with the registers (MTRR masks: SDM vol. 3 11.11.2.3).
 */
#include <string.h>

#include "mimic/x86_state.h"

void x86_regs_reset(X86Regs *r)
{
    memset(r, 0, sizeof(*r));
    r->rip = 0xFFF0;
    r->rflags = 0x2;
    r->cr0 = 0x60000010;   /* CD, NW, ET */
    r->gpr[R_EDX] = 0x600; /* family 6 signature, as most models report */
    for (int i = 0; i < SEG_COUNT; i++) {
        r->seg[i].limit = 0xFFFF;
        r->seg[i].flags = SEGF_P | SEGF_S | SEGF_TYPE(3);   /* data, RW, accessed */
    }
    r->seg[SEG_CS] = (X86Segment){ 0xF000, 0xFFFF0000, 0xFFFF, SEGF_P | SEGF_S | SEGF_TYPE(0xB) };
    r->seg[SEG_LDTR] = (X86Segment){ 0, 0, 0xFFFF, SEGF_P | SEGF_TYPE(2) };
    r->seg[SEG_TR] = (X86Segment){ 0, 0, 0xFFFF, SEGF_P | SEGF_TYPE(0xB) };
    r->gdt.limit = 0xFFFF;
    r->idt.limit = 0xFFFF;
}

void x86_regs_flat32(X86Regs *r, uint32_t eip)
{
    x86_regs_reset(r);
    r->gpr[R_EDX] = 0;
    r->cr0 = CR0_PE | CR0_ET;
    r->rip = eip;
    X86Segment code = { 0x10, 0, 0xFFFFFFFF, SEGF_P | SEGF_S | SEGF_TYPE(0xB) | SEGF_DB | SEGF_G };
    X86Segment data = { 0x18, 0, 0xFFFFFFFF, SEGF_P | SEGF_S | SEGF_TYPE(0x3) | SEGF_DB | SEGF_G };
    r->seg[SEG_CS] = code;
    r->seg[SEG_DS] = r->seg[SEG_ES] = r->seg[SEG_SS] = data;
    r->seg[SEG_FS] = r->seg[SEG_GS] = data;
    r->seg[SEG_TR] = (X86Segment){ 0, 0, 0xFFFF, SEGF_P | SEGF_TYPE(0xB) };
}

bool x86_regs_set_msr(X86Regs *r, uint32_t index, uint64_t value)
{
    int n = r->nmsrs < 0 ? 0 : r->nmsrs;

    for (int i = 0; i < n && i < X86_REGS_MAX_MSRS; i++) {
        if (r->msrs[i].index == index) {
            r->msrs[i].value = value;
            return true;
        }
    }
    if (n >= X86_REGS_MAX_MSRS)
        return false;
    r->msrs[n] = (X86Msr){ index, value };
    r->nmsrs = n + 1;
    return true;
}

uint64_t x86_msr_fit_phys_bits(uint32_t index, uint64_t value, unsigned phys_bits)
{
    bool physmask = index >= X86_MSR_MTRR_PHYSBASE0 &&
                    index < X86_MSR_MTRR_PHYSBASE0 + 2 * X86_MSR_MTRR_VAR_MAX && (index & 1);

    if (!physmask || phys_bits >= 64)
        return value;
    return value & ~(~0ull << phys_bits);
}
