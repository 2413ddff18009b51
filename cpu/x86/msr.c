/*
 * RDMSR/WRMSR/RDTSC(P): the model-specific registers mimic implements, with
 * their reserved-bit #GP rules; the TSC as virtual time plus an offset.
 * Reference: SDM vol. 4 (MSR tables 2-2, 2-3), vol. 3 11.11 (MTRRs),
 * 11.12.2 (PAT), 17.17 (TSC), 10.4.4 (APIC base).
 * Leaves out: machine-check banks (MCG_CAP reports none), performance
 * counters, x2APIC MSRs, TSC_ADJUST, microcode update.
 */
#include "cpu/x86/cpu.h"
#include "cpu/x86/mem.h"
#include "mimic/log.h"
#include "mimic/timer.h"

/* Memory types valid in PAT entries and MTRRs (SDM vol. 3 Tables 11-10, 11-8). */
static bool valid_pat_type(unsigned t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6 || t == 7;
}

static bool valid_mtrr_type(unsigned t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static bool valid_fixed_mtrr(uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        if (!valid_mtrr_type((v >> (8 * i)) & 0xff)) {
            return false;
        }
    }
    return true;
}

/* Index into msr.mtrr_fixed[], or -1. */
static int fixed_mtrr_index(uint32_t index)
{
    if (index == MSR_MTRR_FIX64K_00000) {
        return 0;
    }
    if (index == MSR_MTRR_FIX16K_80000 || index == MSR_MTRR_FIX16K_A0000) {
        return 1 + (int)(index - MSR_MTRR_FIX16K_80000);
    }
    if (index >= MSR_MTRR_FIX4K_C0000 && index <= MSR_MTRR_FIX4K_C0000 + 7) {
        return 3 + (int)(index - MSR_MTRR_FIX4K_C0000);
    }
    return -1;
}

uint64_t x86_tsc_read(X86CPU *cpu)
{
    /* X86_TSC_FREQ_HZ is 1 GHz: one tick per virtual nanosecond. */
    _Static_assert(X86_TSC_FREQ_HZ == 1000000000ull, "TSC scaling assumes 1 GHz");
    return (uint64_t)clock_virtual_ns() + (uint64_t)cpu->msr.tsc_offset;
}

void x86_tsc_write(X86CPU *cpu, uint64_t value)
{
    cpu->msr.tsc_offset = (int64_t)(value - (uint64_t)clock_virtual_ns());
}

static uint64_t phys_reserved(const X86CPU *cpu)
{
    return ~0ull << cpu->phys_bits;
}

bool x86_msr_read(X86CPU *cpu, uint32_t index, uint64_t *value)
{
    const X86Features *f = &cpu->features;
    const bool lm = f->e1_edx & CPUID_E1_EDX_LM;
    X86MSRs *m = &cpu->msr;
    int fi;

    switch (index) {
    case MSR_IA32_TSC:
        *value = x86_tsc_read(cpu);
        return true;
    case MSR_IA32_PLATFORM_ID:
    case MSR_IA32_BIOS_SIGN_ID:
        *value = 0;
        return true;
    case MSR_IA32_APIC_BASE:
        *value = m->apic_base;
        return true;
    case MSR_IA32_FEATURE_CONTROL:
        *value = 1;   /* locked, VMX off */
        return true;
    case MSR_PLATFORM_INFO:
        /* Maximum non-turbo ratio in 100 MHz units: the TSC frequency. */
        *value = (X86_TSC_FREQ_HZ / (X86_BUS_MHZ * 1000000ull)) << 8;
        return true;
    case MSR_MTRRCAP:
        /* 8 variable ranges, fixed ranges, write-combining; no SMRR. */
        *value = X86_MTRR_VAR_COUNT | 1u << 8 | 1u << 10;
        return true;
    case MSR_IA32_SYSENTER_CS:
        *value = m->sysenter_cs;
        return true;
    case MSR_IA32_SYSENTER_ESP:
        *value = m->sysenter_esp;
        return true;
    case MSR_IA32_SYSENTER_EIP:
        *value = m->sysenter_eip;
        return true;
    case MSR_IA32_MCG_CAP:
        if (!(f->f1_edx & CPUID_1_EDX_MCA)) {
            break;
        }
        *value = MCG_CTL_P | X86_MCE_BANKS;
        return true;
    case MSR_IA32_MCG_CTL:
        if (!(f->f1_edx & CPUID_1_EDX_MCA)) {
            break;
        }
        *value = m->mcg_ctl;
        return true;
    case MSR_IA32_ARCH_CAPABILITIES:
        if (!(f->f7_edx & CPUID_7_EDX_ARCH_CAPABILITIES)) {
            break;
        }
        *value = ARCH_CAP_NOT_AFFECTED;
        return true;
    case MSR_IA32_MCG_STATUS:
        *value = m->mcg_status;
        return true;
    case MSR_IA32_MISC_ENABLE:
        *value = m->misc_enable;
        return true;
    case MSR_IA32_PAT:
        *value = m->pat;
        return true;
    case MSR_MTRR_DEF_TYPE:
        *value = m->mtrr_def_type;
        return true;
    case MSR_IA32_TSC_DEADLINE:
        *value = m->tsc_deadline;
        return true;
    case MSR_EFER:
        *value = cpu->efer;
        return true;
    case MSR_TSC_AUX:
        if (!(f->e1_edx & CPUID_E1_EDX_RDTSCP)) {
            break;
        }
        *value = m->tsc_aux;
        return true;
    case MSR_STAR:
        if (!(f->e1_edx & CPUID_E1_EDX_SYSCALL)) {
            break;
        }
        *value = m->star;
        return true;
    case MSR_LSTAR: case MSR_CSTAR: case MSR_FMASK:
    case MSR_FS_BASE: case MSR_GS_BASE: case MSR_KERNEL_GS_BASE:
        if (!lm) {
            break;
        }
        *value = index == MSR_LSTAR ? m->lstar : index == MSR_CSTAR ? m->cstar :
                 index == MSR_FMASK ? m->fmask : index == MSR_FS_BASE ? cpu->segs[SEG_FS].base :
                 index == MSR_GS_BASE ? cpu->segs[SEG_GS].base : m->kernel_gs_base;
        return true;
    default:
        if ((f->f1_edx & CPUID_1_EDX_MCA) && index >= MSR_IA32_MC0_CTL &&
            index < MSR_IA32_MC0_CTL + 4 * X86_MCE_BANKS) {
            *value = m->mc_bank[(index - MSR_IA32_MC0_CTL) / 4][index & 3];
            return true;
        }
        if (index >= MSR_MTRR_PHYSBASE0 && index < MSR_MTRR_PHYSBASE0 + 2 * X86_MTRR_VAR_COUNT) {
            unsigned n = (index - MSR_MTRR_PHYSBASE0) / 2;
            *value = (index & 1) ? m->mtrr_mask[n] : m->mtrr_base[n];
            return true;
        }
        if ((fi = fixed_mtrr_index(index)) >= 0) {
            *value = m->mtrr_fixed[fi];
            return true;
        }
        break;
    }
    guest_error("x86: RDMSR of unimplemented MSR %#x: #GP\n", index);
    return false;
}

bool x86_msr_write(X86CPU *cpu, uint32_t index, uint64_t v)
{
    const X86Features *f = &cpu->features;
    const bool lm = f->e1_edx & CPUID_E1_EDX_LM;
    X86MSRs *m = &cpu->msr;
    int fi;

    switch (index) {
    case MSR_IA32_TSC:
        x86_tsc_write(cpu, v);
        return true;
    case MSR_IA32_BIOS_SIGN_ID:
        return true;   /* Linux writes 0 before reading the microcode revision */
    case MSR_IA32_APIC_BASE: {
        /* BSP (8), global enable (11), base (12..MAXPHYADDR-1); x2APIC is not offered. */
        uint64_t valid = MSR_APIC_BASE_BSP | MSR_APIC_BASE_ENABLE |
                         (~0xfffull & ~phys_reserved(cpu));
        if (v & ~valid) {
            break;
        }
        /* BSP is read-only: set by reset on CPU 0. */
        m->apic_base = (v & ~MSR_APIC_BASE_BSP) | (m->apic_base & MSR_APIC_BASE_BSP);
        if (cpu->hooks && cpu->hooks->apic_base_changed) {
            cpu->hooks->apic_base_changed(cpu, m->apic_base);
        }
        return true;
    }
    case MSR_IA32_SYSENTER_CS:
        m->sysenter_cs = v & 0xffff;
        return true;
    case MSR_IA32_SYSENTER_ESP:
    case MSR_IA32_SYSENTER_EIP:
        if (lm && !x86_canonical(v)) {
            break;
        }
        if (index == MSR_IA32_SYSENTER_ESP) {
            m->sysenter_esp = v;
        } else {
            m->sysenter_eip = v;
        }
        return true;
    case MSR_IA32_MCG_STATUS:
        if (v != 0) {   /* only clearing is meaningful without machine checks */
            break;
        }
        m->mcg_status = 0;
        return true;
    case MSR_IA32_MCG_CTL:
        /* All ones enables, all zeros disables; other values are
         * undefined (SDM vol. 3 16.3.1.3): kept as written. */
        if (!(f->f1_edx & CPUID_1_EDX_MCA)) {
            break;
        }
        m->mcg_ctl = v;
        return true;
    case MSR_IA32_MISC_ENABLE: {
        /* Writable: fast strings, limit CPUID maxval, XD disable; the
         * rest read back what reset put there. */
        uint64_t wr = MSR_MISC_ENABLE_FAST_STRING | MSR_MISC_ENABLE_LIMIT_CPUID |
                      MSR_MISC_ENABLE_XD_DISABLE;
        uint64_t old = m->misc_enable;
        m->misc_enable = (old & ~wr) | (v & wr);
        if ((m->misc_enable & MSR_MISC_ENABLE_XD_DISABLE) && (cpu->efer & EFER_NXE)) {
            cpu->efer &= ~EFER_NXE;   /* XD disabled: EFER.NXE reads 0 */
            if (cpu->hooks && cpu->hooks->tlb_flush) {
                cpu->hooks->tlb_flush(cpu, true);
            }
        }
        return true;
    }
    case MSR_IA32_PAT:
        for (int i = 0; i < 8; i++) {
            if (!valid_pat_type((v >> (8 * i)) & 0xff)) {
                goto gp;
            }
        }
        m->pat = v;
        return true;
    case MSR_MTRR_DEF_TYPE:
        /* Type (7:0), FE (10), E (11); the rest reserved. */
        if ((v & ~0xcffull) || !valid_mtrr_type(v & 0xff)) {
            break;
        }
        m->mtrr_def_type = v;
        return true;
    case MSR_IA32_TSC_DEADLINE:
        m->tsc_deadline = v;
        if (cpu->hooks && cpu->hooks->tsc_deadline_changed) {
            cpu->hooks->tsc_deadline_changed(cpu, v);
        }
        return true;
    case MSR_EFER:
        if (!x86_set_efer(cpu, v)) {
            break;
        }
        return true;
    case MSR_TSC_AUX:
        if (!(f->e1_edx & CPUID_E1_EDX_RDTSCP) || (v >> 32)) {
            break;
        }
        m->tsc_aux = v;
        return true;
    case MSR_STAR:
        if (!(f->e1_edx & CPUID_E1_EDX_SYSCALL)) {
            break;
        }
        m->star = v;
        return true;
    case MSR_LSTAR: case MSR_CSTAR: case MSR_FS_BASE: case MSR_GS_BASE: case MSR_KERNEL_GS_BASE:
        if (!lm || !x86_canonical(v)) {
            break;
        }
        if (index == MSR_LSTAR) {
            m->lstar = v;
        } else if (index == MSR_CSTAR) {
            m->cstar = v;
        } else if (index == MSR_FS_BASE) {
            cpu->segs[SEG_FS].base = v;
        } else if (index == MSR_GS_BASE) {
            cpu->segs[SEG_GS].base = v;
        } else {
            m->kernel_gs_base = v;
        }
        return true;
    case MSR_FMASK:
        if (!lm || (v >> 32)) {
            break;
        }
        m->fmask = v;
        return true;
    default:
        if ((f->f1_edx & CPUID_1_EDX_MCA) && index >= MSR_IA32_MC0_CTL &&
            index < MSR_IA32_MC0_CTL + 4 * X86_MCE_BANKS) {
            unsigned bank = (index - MSR_IA32_MC0_CTL) / 4, reg = index & 3;
            /* SDM vol. 3 16.3.2: CTL takes any value, STATUS only 0 (a
             * non-zero write is #GP), ADDR and MISC are written by
             * software to clear them. */
            if (reg == 1 && v != 0) {
                break;
            }
            m->mc_bank[bank][reg] = v;
            return true;
        }
        if (index >= MSR_MTRR_PHYSBASE0 && index < MSR_MTRR_PHYSBASE0 + 2 * X86_MTRR_VAR_COUNT) {
            unsigned n = (index - MSR_MTRR_PHYSBASE0) / 2;
            if (index & 1) {
                /* PHYSMASK: valid (11), mask (12..MAXPHYADDR-1). */
                if (v & (phys_reserved(cpu) | 0x7ffull)) {
                    break;
                }
                m->mtrr_mask[n] = v;
            } else {
                /* PHYSBASE: type (7:0), base (12..MAXPHYADDR-1). */
                if ((v & (phys_reserved(cpu) | 0xf00ull)) || !valid_mtrr_type(v & 0xff)) {
                    break;
                }
                m->mtrr_base[n] = v;
            }
            return true;
        }
        if ((fi = fixed_mtrr_index(index)) >= 0) {
            if (!valid_fixed_mtrr(v)) {
                break;
            }
            m->mtrr_fixed[fi] = v;
            return true;
        }
        /* Read-only and unknown MSRs. */
        break;
    }
gp:
    guest_error("x86: WRMSR %#x <- %#llx: unimplemented, read-only or reserved bits: #GP\n",
                index, (unsigned long long)v);
    return false;
}

void x86_helper_rdmsr(X86CPU *cpu, uintptr_t ra)
{
    uint64_t v;
    if (x86_cpl(cpu) != 0 || !x86_msr_read(cpu, (uint32_t)cpu->regs[R_ECX], &v)) {
        x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
    }
    cpu->regs[R_EAX] = (uint32_t)v;
    cpu->regs[R_EDX] = v >> 32;
}

void x86_helper_wrmsr(X86CPU *cpu, uintptr_t ra)
{
    uint64_t v = (uint32_t)cpu->regs[R_EAX] | (cpu->regs[R_EDX] << 32);
    if (x86_cpl(cpu) != 0 || !x86_msr_write(cpu, (uint32_t)cpu->regs[R_ECX], v)) {
        x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
    }
}

void x86_helper_rdtsc(X86CPU *cpu, uintptr_t ra)
{
    if ((cpu->cr[4] & CR4_TSD) && x86_cpl(cpu) != 0) {
        x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
    }
    uint64_t t = x86_tsc_read(cpu);
    cpu->regs[R_EAX] = (uint32_t)t;
    cpu->regs[R_EDX] = t >> 32;
}

void x86_helper_rdtscp(X86CPU *cpu, uintptr_t ra)
{
    x86_helper_rdtsc(cpu, ra);
    cpu->regs[R_ECX] = (uint32_t)cpu->msr.tsc_aux;
}
