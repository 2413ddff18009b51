/*
 * Control registers and mode transitions: CR0/CR3/CR4/CR8, EFER, XCR0, the
 * debug registers as storage, the PAE PDPTE registers, which TLB flush each
 * write needs, and the translation-flags word derived from all of it.
 * Reference: SDM vol. 3 2.5, 2.6, 4.1.1-4.1.2, 4.4.1, 4.10.4, 9.8.5, 17.2;
 * vol. 2 MOV (control/debug registers), LMSW, CLTS, XSETBV.
 * Leaves out: PCID, SMEP/SMAP, CR4.DE/VME/PVI (not advertised), breakpoints.
 */
#include "cpu/x86/cpu.h"
#include "cpu/x86/mem.h"
#include "mimic/log.h"

#define CR0_VALID (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | \
                   CR0_NW | CR0_CD | CR0_PG)

/* ---- Translation flags ------------------------------------------------ */

static bool seg_flat(const X86Segment *s)
{
    bool expdown = !(s->flags & (1u << 3)) && (s->flags & (1u << 2)) && (s->flags & SEGF_S);
    return (s->flags & SEGF_P) && s->base == 0 && s->limit == 0xffffffff && !expdown;
}

uint32_t x86_compute_hflags(const X86CPU *cpu)
{
    uint32_t hf = 0;
    const X86Segment *cs = &cpu->segs[SEG_CS], *ss = &cpu->segs[SEG_SS];
    int cpl;

    if (!(cpu->cr[0] & CR0_PE)) {
        cpl = 0;
    } else if (cpu->eflags & X86_EFLAGS_VM) {
        cpl = 3;
        hf |= X86_HF_VM;
    } else {
        /* SS.DPL is the CPL (it equals CS.RPL whenever both are valid, and
         * stays right through a null SS in 64-bit mode). */
        cpl = (ss->flags >> 5) & 3;
    }
    hf |= (uint32_t)cpl;
    if (cpu->cr[0] & CR0_PE) {
        hf |= X86_HF_PE;
    }
    if (cpu->efer & EFER_LMA) {
        hf |= X86_HF_LMA;
        if ((cs->flags & SEGF_L) && !(hf & X86_HF_VM)) {
            hf |= X86_HF_CS64;
        }
    }
    if (!(hf & X86_HF_CS64) && (cs->flags & SEGF_DB)) {
        hf |= X86_HF_CS32;
    }
    if (ss->flags & SEGF_DB) {
        hf |= X86_HF_SS32;
    }
    hf |= ((cpu->eflags & X86_EFLAGS_IOPL) >> X86_EFLAGS_IOPL_SHIFT) << X86_HF_IOPL_SHIFT;
    if (cpu->eflags & X86_EFLAGS_TF) {
        hf |= X86_HF_TF;
    }
    if (cpu->eflags & X86_EFLAGS_RF) {
        hf |= X86_HF_RF;
    }
    if (cpu->int_shadow) {
        hf |= X86_HF_INHIBIT_IRQ;
    }
    if (cpu->cr[4] & CR4_OSFXSR) {
        hf |= X86_HF_OSFXSR;
    }
    if (cpu->cr[4] & CR4_OSXSAVE) {
        hf |= X86_HF_OSXSAVE;
    }
    if (cpu->cr[0] & CR0_EM) {
        hf |= X86_HF_EM;
    }
    if (cpu->cr[0] & CR0_TS) {
        hf |= X86_HF_TS;
    }
    if (cpu->cr[0] & CR0_MP) {
        hf |= X86_HF_MP;
    }
    if ((cpu->cr[0] & CR0_AM) && (cpu->eflags & X86_EFLAGS_AC) && cpl == 3) {
        hf |= X86_HF_AC;
    }
    if (!(hf & X86_HF_CS64)) {
        if (cpu->segs[SEG_DS].base | cpu->segs[SEG_ES].base | ss->base) {
            hf |= X86_HF_ADDSEG;
        }
        if (!seg_flat(cs) || !seg_flat(ss) || !seg_flat(&cpu->segs[SEG_DS]) ||
            !seg_flat(&cpu->segs[SEG_ES])) {
            hf |= X86_HF_NOTFLAT;
        }
    }
    return hf;
}

void x86_update_hflags(X86CPU *cpu)
{
    cpu->hflags = x86_compute_hflags(cpu);
}

/* ---- TLB flush reports -------------------------------------------------- */

static void flush(X86CPU *cpu, bool include_global)
{
    if (cpu->hooks && cpu->hooks->tlb_flush) {
        cpu->hooks->tlb_flush(cpu, include_global);
    }
}

/* ---- PAE PDPTEs --------------------------------------------------------- */

bool x86_load_pdptes(X86CPU *cpu, uint64_t cr3)
{
    uint64_t pd[4];
    /* Bits 2:1 and 8:5 and those above MAXPHYADDR are reserved (SDM vol. 3 4.4.1). */
    uint64_t reserved = 0x1e6ull | (~0ull << cpu->phys_bits);
    uint64_t base = (uint32_t)cr3 & ~0x1full;
    for (int i = 0; i < 4; i++) {
        pd[i] = x86_phys_ld(cpu, (base + 8 * i) & cpu->a20_mask, 8);
        if ((pd[i] & 1) && (pd[i] & reserved)) {
            return false;
        }
    }
    for (int i = 0; i < 4; i++) {
        cpu->pdpte[i] = pd[i];
    }
    return true;
}

static bool legacy_pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
    return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LMA);
}

/* ---- CR0 ---------------------------------------------------------------- */

bool x86_set_cr0(X86CPU *cpu, uint64_t value)
{
    if (value >> 32) {
        return false;
    }
    /* Reserved low bits are ignored; ET is hardwired to 1. */
    value = (value & CR0_VALID) | CR0_ET;
    if ((value & CR0_PG) && !(value & CR0_PE)) {
        return false;
    }
    if ((value & CR0_NW) && !(value & CR0_CD)) {
        return false;
    }
    uint64_t old = cpu->cr[0], efer = cpu->efer;
    if ((value & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME)) {
        /* Activating IA-32e mode (SDM vol. 3 9.8.5): PAE first, from 32-bit code. */
        if (!(cpu->cr[4] & CR4_PAE) || (cpu->segs[SEG_CS].flags & SEGF_L)) {
            return false;
        }
        efer |= EFER_LMA;
    }
    if (!(value & CR0_PG) && (old & CR0_PG) && (efer & EFER_LMA)) {
        /* Leaving IA-32e mode only from compatibility mode. */
        if (cpu->segs[SEG_CS].flags & SEGF_L) {
            return false;
        }
        efer &= ~EFER_LMA;
    }
    if (legacy_pae_paging(value, cpu->cr[4], efer) &&
        ((old ^ value) & (CR0_PG | CR0_CD | CR0_NW))) {
        if (!x86_load_pdptes(cpu, cpu->cr[3])) {
            return false;
        }
    }
    cpu->cr[0] = value;
    cpu->efer = efer;
    if ((old ^ value) & (CR0_PG | CR0_WP | CR0_PE)) {
        flush(cpu, true);
    }
    x86_update_hflags(cpu);
    return true;
}

/* ---- CR3 ---------------------------------------------------------------- */

bool x86_set_cr3(X86CPU *cpu, uint64_t value)
{
    if (cpu->efer & EFER_LMA) {
        /* Bits 63:MAXPHYADDR are reserved (bit 63 too: no PCIDs here). */
        if (value >> cpu->phys_bits) {
            return false;
        }
    } else {
        value = (uint32_t)value;
    }
    if (legacy_pae_paging(cpu->cr[0], cpu->cr[4], cpu->efer)) {
        if (!x86_load_pdptes(cpu, value)) {
            return false;
        }
    }
    cpu->cr[3] = value;
    flush(cpu, false);
    return true;
}

/* ---- CR4 ---------------------------------------------------------------- */

static uint64_t cr4_valid(const X86CPU *cpu)
{
    uint64_t v = CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    const X86Features *f = &cpu->features;
    if (f->f1_edx & CPUID_1_EDX_TSC) {
        v |= CR4_TSD;
    }
    if (f->f1_edx & CPUID_1_EDX_PSE) {
        v |= CR4_PSE;
    }
    if (f->f1_edx & CPUID_1_EDX_PAE) {
        v |= CR4_PAE;
    }
    if (f->f1_edx & CPUID_1_EDX_PGE) {
        v |= CR4_PGE;
    }
    if (f->f1_edx & CPUID_1_EDX_MCE) {
        v |= CR4_MCE;
    }
    if (f->f1_ecx & CPUID_1_ECX_XSAVE) {
        v |= CR4_OSXSAVE;
    }
    return v;
}

bool x86_set_cr4(X86CPU *cpu, uint64_t value)
{
    if (value & ~cr4_valid(cpu)) {
        return false;
    }
    if ((cpu->efer & EFER_LMA) && !(value & CR4_PAE)) {
        return false;
    }
    uint64_t old = cpu->cr[4];
    uint64_t paging_bits = CR4_PAE | CR4_PSE | CR4_PGE;
    if (legacy_pae_paging(cpu->cr[0], value, cpu->efer) && ((old ^ value) & paging_bits)) {
        if (!x86_load_pdptes(cpu, cpu->cr[3])) {
            return false;
        }
    }
    cpu->cr[4] = value;
    if ((old ^ value) & paging_bits) {
        flush(cpu, true);
    }
    x86_update_hflags(cpu);
    return true;
}

/* ---- CR8 ---------------------------------------------------------------- */

bool x86_set_cr8(X86CPU *cpu, uint64_t value)
{
    if (value & ~0xfull) {
        return false;
    }
    cpu->cr[8] = value;
    if (cpu->hooks && cpu->hooks->tpr_write) {
        cpu->hooks->tpr_write(cpu, value);
    }
    return true;
}

uint64_t x86_get_cr8(X86CPU *cpu)
{
    if (cpu->hooks && cpu->hooks->tpr_read) {
        return cpu->hooks->tpr_read(cpu) & 0xf;
    }
    return cpu->cr[8];
}

/* ---- EFER and XCR0 ------------------------------------------------------ */

bool x86_set_efer(X86CPU *cpu, uint64_t value)
{
    const X86Features *f = &cpu->features;
    uint64_t valid = 0;
    if (f->e1_edx & CPUID_E1_EDX_SYSCALL) {
        valid |= EFER_SCE;
    }
    if (f->e1_edx & CPUID_E1_EDX_LM) {
        valid |= EFER_LME | EFER_LMA;
    }
    if ((f->e1_edx & CPUID_E1_EDX_NX) && !(cpu->msr.misc_enable & MSR_MISC_ENABLE_XD_DISABLE)) {
        valid |= EFER_NXE;
    }
    if (value & ~valid) {
        return false;
    }
    /* LME cannot change while paging is on (SDM vol. 3 9.8.5). */
    if (((value ^ cpu->efer) & EFER_LME) && (cpu->cr[0] & CR0_PG)) {
        return false;
    }
    /* LMA is the CPU's to set: a written value is ignored. */
    uint64_t old = cpu->efer;
    cpu->efer = (value & ~EFER_LMA) | (old & EFER_LMA);
    if ((old ^ cpu->efer) & EFER_NXE) {
        flush(cpu, true);
    }
    x86_update_hflags(cpu);
    return true;
}

bool x86_set_xcr(X86CPU *cpu, uint32_t index, uint64_t value)
{
    if (index != 0 || (value & ~X86_XCR0_SUPPORTED) || !(value & XCR0_X87)) {
        return false;
    }
    cpu->xcr0 = value;
    return true;
}

/* ---- Instruction helpers ------------------------------------------------ */

static void require_cpl0(X86CPU *cpu, uintptr_t ra)
{
    if (x86_cpl(cpu) != 0) {
        x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
    }
}

void x86_helper_write_cr(X86CPU *cpu, int n, uint64_t value, uintptr_t ra)
{
    require_cpl0(cpu, ra);
    if (!x86_64bit_mode(cpu)) {
        value = (uint32_t)value;
    }
    bool ok;
    switch (n) {
    case 0: ok = x86_set_cr0(cpu, value); break;
    case 2: cpu->cr[2] = value; ok = true; break;
    case 3: ok = x86_set_cr3(cpu, value); break;
    case 4: ok = x86_set_cr4(cpu, value); break;
    case 8: ok = x86_set_cr8(cpu, value); break;
    default:
        x86_raise_exception(cpu, X86_EXCP_UD, 0, ra);
    }
    if (!ok) {
        x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
    }
}

uint64_t x86_helper_read_cr(X86CPU *cpu, int n, uintptr_t ra)
{
    require_cpl0(cpu, ra);
    switch (n) {
    case 0: case 2: case 3: case 4:
        return cpu->cr[n];
    case 8:
        return x86_get_cr8(cpu);
    default:
        x86_raise_exception(cpu, X86_EXCP_UD, 0, ra);
    }
}

void x86_helper_lmsw(X86CPU *cpu, uint16_t value, uintptr_t ra)
{
    require_cpl0(cpu, ra);
    /* LMSW writes PE, MP, EM and TS, and can set PE but never clear it. */
    uint64_t cr0 = (cpu->cr[0] & ~0xeull) | (value & 0xf) | (cpu->cr[0] & CR0_PE);
    if (!x86_set_cr0(cpu, cr0)) {
        x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
    }
}

void x86_helper_clts(X86CPU *cpu, uintptr_t ra)
{
    require_cpl0(cpu, ra);
    cpu->cr[0] &= ~CR0_TS;
    x86_update_hflags(cpu);
}

void x86_helper_xsetbv(X86CPU *cpu, uint32_t index, uint64_t value, uintptr_t ra)
{
    if (!(cpu->cr[4] & CR4_OSXSAVE)) {
        x86_raise_exception(cpu, X86_EXCP_UD, 0, ra);
    }
    require_cpl0(cpu, ra);
    if (!x86_set_xcr(cpu, index, value)) {
        x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
    }
}

uint64_t x86_helper_xgetbv(X86CPU *cpu, uint32_t index, uintptr_t ra)
{
    if (!(cpu->cr[4] & CR4_OSXSAVE)) {
        x86_raise_exception(cpu, X86_EXCP_UD, 0, ra);
    }
    if (index != 0) {   /* XCR1 needs XGETBV1, not advertised */
        x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
    }
    return cpu->xcr0;
}

#define DR6_FIXED 0xffff0ff0ull
#define DR6_VALID 0xe00full
#define DR7_FIXED 0x400ull
#define DR7_VALID 0xffff23ffull

void x86_helper_write_dr(X86CPU *cpu, int n, uint64_t value, uintptr_t ra)
{
    require_cpl0(cpu, ra);
    if (n == 4 || n == 5) {
        n += 2;   /* CR4.DE is never set: DR4/DR5 alias DR6/DR7 */
    }
    if (!x86_64bit_mode(cpu)) {
        value = (uint32_t)value;
    }
    switch (n) {
    case 0: case 1: case 2: case 3:
        cpu->dr[n] = value;
        break;
    case 6:
        if (value >> 32) {
            x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
        }
        cpu->dr[6] = (value & DR6_VALID) | DR6_FIXED;
        break;
    case 7:
        if (value >> 32) {
            x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
        }
        cpu->dr[7] = (value & DR7_VALID) | DR7_FIXED;
        if (value & 0xff) {
            log_unimp("x86: hardware breakpoints enabled in DR7 (%#llx): not implemented\n",
                      (unsigned long long)value);
        }
        break;
    default:
        x86_raise_exception(cpu, X86_EXCP_UD, 0, ra);
    }
}

uint64_t x86_helper_read_dr(X86CPU *cpu, int n, uintptr_t ra)
{
    require_cpl0(cpu, ra);
    if (n == 4 || n == 5) {
        n += 2;
    }
    if (n > 7) {
        x86_raise_exception(cpu, X86_EXCP_UD, 0, ra);
    }
    return cpu->dr[n];
}

void x86_helper_invlpg(X86CPU *cpu, uint64_t linear, uintptr_t ra)
{
    require_cpl0(cpu, ra);
    if (cpu->hooks && cpu->hooks->tlb_flush_page) {
        cpu->hooks->tlb_flush_page(cpu, linear);
    }
}
