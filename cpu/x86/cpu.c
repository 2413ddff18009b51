/*
 * X86CPU lifetime: model setup, RESET and INIT states, startup IPI, the A20
 * gate, and exchange with the accelerator-neutral X86Regs.
 * Reference: SDM vol. 3 9.1 (Table 9-1, processor state after reset/INIT),
 * 9.4.4 (MP initialisation, SIPI).
 * Leaves out: BIST (EAX = 0 as if it passed), SMM state.
 */
#include <string.h>

#include "cpu/x86/cpu.h"
#include "cpu/x86/mem.h"
#include "mimic/machine.h"

bool x86_cpu_setup(X86CPU *cpu, const char *model, int cpu_index, int nr_cpus, Machine *machine)
{
    if (!x86_cpu_set_model(cpu, model)) {
        return false;
    }
    cpu->cpu_index = cpu_index;
    cpu->nr_cpus = nr_cpus > 0 ? nr_cpus : 1;
    cpu->apic_id = (uint32_t)cpu_index;
    cpu->machine = machine;
    x86_cpu_reset(cpu);
    return true;
}

static void reset_core(X86CPU *cpu)
{
    memset(cpu->regs, 0, sizeof(cpu->regs));
    cpu->regs[R_EDX] = cpu->cpuid_signature;
    cpu->rip = 0xfff0;
    cpu->cc_op = CC_OP_EFLAGS;
    cpu->cc_src = cpu->cc_dst = cpu->cc_src2 = 0;
    cpu->df = 1;
    cpu->eflags = X86_EFLAGS_FIXED;

    for (int i = 0; i < SEG_COUNT; i++) {
        cpu->segs[i] = (X86Segment){ 0, 0, 0xffff, SEGF_P | SEGF_S | SEGF_TYPE(3) };
    }
    cpu->segs[SEG_CS] = (X86Segment){ 0xf000, 0xffff0000, 0xffff, SEGF_P | SEGF_S | SEGF_TYPE(0xb) };
    cpu->segs[SEG_LDTR] = (X86Segment){ 0, 0, 0xffff, SEGF_P | SEGF_TYPE(2) };
    cpu->segs[SEG_TR] = (X86Segment){ 0, 0, 0xffff, SEGF_P | SEGF_TYPE(0xb) };
    cpu->gdt = (X86DescTable){ 0, 0xffff };
    cpu->idt = (X86DescTable){ 0, 0xffff };

    memset(cpu->cr, 0, sizeof(cpu->cr));
    cpu->cr[0] = CR0_CD | CR0_NW | CR0_ET;
    cpu->efer = 0;
    cpu->xcr0 = XCR0_X87;
    memset(cpu->dr, 0, sizeof(cpu->dr));
    cpu->dr[6] = 0xffff0ff0;
    cpu->dr[7] = 0x400;
    memset(cpu->pdpte, 0, sizeof(cpu->pdpte));

    cpu->msr.star = cpu->msr.lstar = cpu->msr.cstar = cpu->msr.fmask = 0;
    cpu->msr.kernel_gs_base = 0;
    cpu->msr.sysenter_cs = cpu->msr.sysenter_esp = cpu->msr.sysenter_eip = 0;
    cpu->msr.tsc_deadline = 0;
    cpu->msr.misc_enable = MSR_MISC_ENABLE_FAST_STRING | MSR_MISC_ENABLE_BTS_UNAVAIL |
                           MSR_MISC_ENABLE_PEBS_UNAVAIL;

    cpu->exception = (X86Exception){ .vector = -1, .delivering = -1 };
    cpu->halted = false;
    cpu->nmi_blocked = false;
    cpu->triple_fault = false;
    cpu->int_shadow = false;
    x86_update_hflags(cpu);
}

void x86_cpu_reset(X86CPU *cpu)
{
    reset_core(cpu);

    memset(cpu->fpregs, 0, sizeof(cpu->fpregs));
    cpu->fpuc = 0x0040;          /* power-up value; FINIT later sets 0x037f */
    cpu->fpus = 0;
    cpu->fpstt = 0;
    cpu->fptag_valid = 0;        /* all empty */
    cpu->fpop = 0;
    cpu->fpip = cpu->fpdp = 0;
    cpu->fpcs = cpu->fpds = 0;
    memset(cpu->xmm, 0, sizeof(cpu->xmm));
    cpu->mxcsr = 0x1f80;

    memset(cpu->msr.mtrr_fixed, 0, sizeof(cpu->msr.mtrr_fixed));
    memset(cpu->msr.mtrr_base, 0, sizeof(cpu->msr.mtrr_base));
    memset(cpu->msr.mtrr_mask, 0, sizeof(cpu->msr.mtrr_mask));
    cpu->msr.mtrr_def_type = 0;
    cpu->msr.pat = X86_PAT_RESET;
    cpu->msr.mcg_status = 0;
    cpu->msr.tsc_aux = 0;
    cpu->msr.apic_base = X86_APIC_DEFAULT_BASE | MSR_APIC_BASE_ENABLE |
                         (cpu->cpu_index == 0 ? MSR_APIC_BASE_BSP : 0);
    /* RESET zeroes the TSC of every CPU at the same instant (the machine's
     * reset time), not when each CPU's state happens to be reset: a few
     * microseconds apart, Linux's TSC sync check sees a warp and marks the
     * TSC unstable with -smp 2. */
    if (cpu->machine) {
        cpu->msr.tsc_offset = -cpu->machine->cpu_reset_ns;
    } else {
        x86_tsc_write(cpu, 0);
    }

    cpu->a20_mask = ~0ull;
    cpu->wait_for_sipi = cpu->cpu_index != 0;
    if (cpu->hooks && cpu->hooks->tlb_flush) {
        cpu->hooks->tlb_flush(cpu, true);
    }
}

void x86_cpu_init_signal(X86CPU *cpu)
{
    /* x87/SSE state, MTRRs, PAT, the APIC base, the TSC and TSC_AUX survive INIT. */
    reset_core(cpu);
    cpu->wait_for_sipi = !(cpu->msr.apic_base & MSR_APIC_BASE_BSP);
    if (cpu->hooks && cpu->hooks->tlb_flush) {
        cpu->hooks->tlb_flush(cpu, true);
    }
}

void x86_cpu_sipi(X86CPU *cpu, uint8_t vector)
{
    if (!cpu->wait_for_sipi) {
        return;   /* a SIPI is ignored unless the CPU waits for one */
    }
    cpu->segs[SEG_CS].selector = (uint16_t)(vector << 8);
    cpu->segs[SEG_CS].base = (uint64_t)vector << 12;
    cpu->segs[SEG_CS].limit = 0xffff;
    cpu->rip = 0;
    cpu->wait_for_sipi = false;
    cpu->halted = false;
    x86_update_hflags(cpu);
}

void x86_cpu_set_a20(X86CPU *cpu, bool enabled)
{
    uint64_t mask = enabled ? ~0ull : ~(1ull << 20);
    if (mask != cpu->a20_mask) {
        cpu->a20_mask = mask;
        if (cpu->hooks && cpu->hooks->tlb_flush) {
            cpu->hooks->tlb_flush(cpu, true);
        }
    }
}

void x86_cpu_get_regs(X86CPU *cpu, X86Regs *r)
{
    memcpy(r->gpr, cpu->regs, sizeof(r->gpr));
    r->rip = cpu->rip;
    r->rflags = x86_compute_eflags(cpu);
    memcpy(r->seg, cpu->segs, sizeof(r->seg));
    r->gdt = cpu->gdt;
    r->idt = cpu->idt;
    r->cr0 = cpu->cr[0];
    r->cr2 = cpu->cr[2];
    r->cr3 = cpu->cr[3];
    r->cr4 = cpu->cr[4];
    r->cr8 = x86_get_cr8(cpu);
    r->efer = cpu->efer;
}

void x86_cpu_set_regs(X86CPU *cpu, const X86Regs *r)
{
    /* Taken as given (a loader or debugger knows what it does): no #GP
     * checks, but the derived state (flags, PDPTEs, hflags) is rebuilt. */
    memcpy(cpu->regs, r->gpr, sizeof(cpu->regs));
    cpu->rip = r->rip;
    memcpy(cpu->segs, r->seg, sizeof(cpu->segs));
    cpu->gdt = r->gdt;
    cpu->idt = r->idt;
    cpu->cr[0] = r->cr0 | CR0_ET;
    cpu->cr[2] = r->cr2;
    cpu->cr[3] = r->cr3;
    cpu->cr[4] = r->cr4;
    cpu->cr[8] = r->cr8 & 0xf;
    if (cpu->hooks && cpu->hooks->tpr_write) {
        cpu->hooks->tpr_write(cpu, cpu->cr[8]);
    }
    cpu->efer = r->efer;
    if ((cpu->cr[0] & CR0_PG) && (cpu->cr[4] & CR4_PAE) && !(cpu->efer & EFER_LMA)) {
        x86_load_pdptes(cpu, cpu->cr[3]);
    }
    x86_load_eflags(cpu, (uint32_t)r->rflags, X86_EFLAGS_ALL);
    if (cpu->hooks && cpu->hooks->tlb_flush) {
        cpu->hooks->tlb_flush(cpu, true);
    }
}
