/*
 * The x86 TCG frontend: block keys (linear pc, CS base, hflags), the block
 * translator, precise-state restore from insn_start words, exception and
 * interrupt delivery (NMI, then INTR through the interrupt controller's
 * acknowledge cycle when IF=1 and no shadow), the page walk as the softmmu's
 * TLB fill, reset and register exchange.
 * Reference: Intel SDM vol. 3 6.7 (NMI), 6.8.1 (IF), 6.8.3 (shadow), 6.9
 * (priority among events), 9.1 (reset); tcg/frontend.h for the contract.
 * With the machine's LAPICs connected (x86_tcg_set_irqchip), INTR is each
 * CPU's LAPIC and INIT/SIPI arrive as interrupt_request bits. Leaves out: SMI.
 */
#include <inttypes.h>
#include <string.h>

#include "cpu/x86/frontend.h"
#include "cpu/x86/mem.h"
#include "cpu/x86/translate.h"
#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"
#include "tcg/exec.h"
#include "tcg/softmmu.h"

/* ---- interrupt acknowledge ------------------------------------------------- */

#define MAX_INTR_ACKS 4   /* machines in one process (tests create a few) */

typedef struct IntrAck {
    Machine *m;
    X86InterruptAck ack;          /* the boot CPU's INTR (a bare PIC) */
    void *opaque;
    const AccelIrqChip *chip;     /* or every CPU's LAPIC */
    uint8_t sipi_vector[MACHINE_MAX_CPUS];   /* with CPU_INTERRUPT_SIPI */
} IntrAck;

/* Set while the machine is built, read by its vCPU thread afterwards. */
static IntrAck intr_acks[MAX_INTR_ACKS];

static IntrAck *intr_ack_slot(Machine *m)
{
    for (int i = 0; i < MAX_INTR_ACKS; i++) {
        if (intr_acks[i].m == m || intr_acks[i].m == NULL) {
            intr_acks[i].m = m;
            return &intr_acks[i];
        }
    }
    fatal("x86: more than %d machines wire an interrupt controller", MAX_INTR_ACKS);
}

static IntrAck *intr_ack_find(Machine *m)
{
    for (int i = 0; m && i < MAX_INTR_ACKS; i++) {
        if (intr_acks[i].m == m) {
            return &intr_acks[i];
        }
    }
    return NULL;
}

void x86_set_interrupt_ack(Machine *m, X86InterruptAck ack, void *opaque)
{
    IntrAck *a = intr_ack_slot(m);
    a->ack = ack;
    a->opaque = opaque;
    a->chip = NULL;
}

void x86_tcg_set_irqchip(Machine *m, const AccelIrqChip *chip)
{
    IntrAck *a = intr_ack_slot(m);
    a->ack = NULL;
    a->chip = chip;
}

static const AccelIrqChip *irqchip_of(X86CPU *x)
{
    IntrAck *a = intr_ack_find(x->common.machine);
    return a ? a->chip : NULL;
}

/* Devices need the machine lock. A vCPU thread runs tcg_cpu_exec without
 * it; other callers of the CPU hooks (reset, set_regs) already hold it. */
static bool chip_lock(void)
{
    if (!tcg_current_cpu()) {
        return false;
    }
    machine_lock();
    return true;
}

static void chip_unlock(bool locked)
{
    if (locked) {
        machine_unlock();
    }
}

static int acknowledge(CPUState *cpu)
{
    IntrAck *a = intr_ack_find(cpu->machine);
    if (!a || (!a->ack && !a->chip)) {
        return -1;
    }
    machine_lock();
    int v = a->chip ? a->chip->acknowledge(a->chip->opaque, cpu->cpu_index) : a->ack(a->opaque);
    machine_unlock();
    return v;
}

void x86_tcg_sipi(CPUState *cpu, uint8_t vector)
{
    X86CPU *x = (X86CPU *)cpu;
    IntrAck *a = intr_ack_find(cpu->machine);
    if (!a || cpu->cpu_index < 0 || cpu->cpu_index >= MACHINE_MAX_CPUS) {
        return;
    }
    /* Only a CPU in wait-for-SIPI (or about to enter it) takes one. */
    if (!x->wait_for_sipi && !(cpu->interrupt_request & CPU_INTERRUPT_INIT)) {
        return;
    }
    a->sipi_vector[cpu->cpu_index] = vector;
    cpu_interrupt(cpu, CPU_INTERRUPT_SIPI);
}

void x86_tcg_tsc_deadline_cleared(CPUState *cpu)
{
    ((X86CPU *)cpu)->msr.tsc_deadline = 0;
}

/* ---- TLB flush hooks ----------------------------------------------------------- */

static void hook_tlb_flush(X86CPU *cpu, bool include_global)
{
    if (include_global) {
        tlb_flush_all(&cpu->common);
    } else {
        tlb_flush_nonglobal(&cpu->common);
    }
}

static void hook_tlb_flush_page(X86CPU *cpu, uint64_t linear)
{
    tlb_flush_page(&cpu->common, linear);
}

/* ---- LAPIC hooks (no-ops, CR8 plain storage, without a connected irqchip) ---- */

static void hook_apic_base_changed(X86CPU *cpu, uint64_t value)
{
    const AccelIrqChip *chip = irqchip_of(cpu);
    if (chip && chip->apic_base_changed) {
        bool locked = chip_lock();
        chip->apic_base_changed(chip->opaque, cpu->common.cpu_index, value);
        chip_unlock(locked);
    }
}

static void hook_tsc_deadline_changed(X86CPU *cpu, uint64_t value)
{
    const AccelIrqChip *chip = irqchip_of(cpu);
    if (chip && chip->tsc_deadline_changed) {
        bool locked = chip_lock();
        chip->tsc_deadline_changed(chip->opaque, cpu->common.cpu_index, value,
                                   cpu->msr.tsc_offset);
        chip_unlock(locked);
    }
}

static uint64_t hook_tpr_read(X86CPU *cpu)
{
    const AccelIrqChip *chip = irqchip_of(cpu);
    if (!chip || !chip->tpr_read) {
        return cpu->cr[8];
    }
    bool locked = chip_lock();
    uint8_t tpr = chip->tpr_read(chip->opaque, cpu->common.cpu_index);
    chip_unlock(locked);
    return tpr >> 4;
}

static void hook_tpr_write(X86CPU *cpu, uint64_t cr8)
{
    const AccelIrqChip *chip = irqchip_of(cpu);
    if (chip && chip->tpr_write) {
        bool locked = chip_lock();
        chip->tpr_write(chip->opaque, cpu->common.cpu_index, (uint8_t)((cr8 & 0xf) << 4));
        chip_unlock(locked);
    }
}

const X86CPUHooks x86_tcg_hooks = {
    .tlb_flush = hook_tlb_flush,
    .tlb_flush_page = hook_tlb_flush_page,
    .apic_base_changed = hook_apic_base_changed,
    .tsc_deadline_changed = hook_tsc_deadline_changed,
    .tpr_read = hook_tpr_read,
    .tpr_write = hook_tpr_write,
};

/* ---- the frontend ------------------------------------------------------------------- */

static X86CPU *x86(CPUState *cpu)
{
    return (X86CPU *)cpu;
}

static void fe_get_tb_key(CPUState *cpu, uint64_t *pc, uint64_t *cs_base, uint32_t *flags)
{
    X86CPU *x = x86(cpu);
    uint64_t base = x->segs[SEG_CS].base;
    *cs_base = base;
    *pc = (x->hflags & X86_HF_CS64) ? base + x->rip : (uint32_t)(base + x->rip);
    *flags = x->hflags;
}

static void fe_restore_state(CPUState *cpu, const TranslationBlock *tb, const uint64_t *data)
{
    X86CPU *x = x86(cpu);
    (void)tb;
    x->rip = data[0];
    x86_restore_cc_op(x, data[1]);   /* also settles a pending rotate's flags */
}

static void fe_do_exception(CPUState *cpu)
{
    X86CPU *x = x86(cpu);
    cpu->exception_index = -1;
    x86_deliver_pending_exception(x);
    cpu->halted = x->halted;
    if (x->triple_fault) {
        /* Shutdown: the machine resets (the loop waits meanwhile). */
        x->triple_fault = false;
        cpu->halted = true;
        Machine *m = x->machine ? x->machine : cpu->machine;
        if (m) {
            machine_request_reset(m);
        }
    }
}

static bool fe_exec_interrupt(CPUState *cpu)
{
    X86CPU *x = x86(cpu);
    uint32_t req = cpu->interrupt_request;

    if (req & CPU_INTERRUPT_INIT) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_INIT);
        x86_cpu_init_signal(x);
        cpu->halted = x->wait_for_sipi;
        return true;
    }
    if (req & CPU_INTERRUPT_SIPI) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_SIPI);
        IntrAck *a = intr_ack_find(cpu->machine);
        if (a && x->wait_for_sipi && cpu->cpu_index >= 0 && cpu->cpu_index < MACHINE_MAX_CPUS) {
            x86_cpu_sipi(x, a->sipi_vector[cpu->cpu_index]);
            cpu->halted = false;
            return true;
        }
    }
    if (x->wait_for_sipi) {
        return false;
    }
    /* NMI before INTR (SDM 6.9); both wait out a MOV SS / STI shadow. */
    if ((req & CPU_INTERRUPT_NMI) && !x->nmi_blocked && !x->int_shadow) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_NMI);
        x86_do_interrupt(x, X86_EXCP_NMI, X86_EVENT_NMI, 0, 0, 0);
        cpu->halted = false;
        return true;
    }
    if ((req & CPU_INTERRUPT_HARD) && x86_interrupts_enabled(x)) {
        int vector = acknowledge(cpu);
        if (vector < 0) {
            return false;
        }
        x86_do_interrupt(x, vector & 0xff, X86_EVENT_EXTERNAL, 0, 0, 0);
        cpu->halted = false;
        return true;
    }
    return false;
}

static bool fe_has_work(CPUState *cpu)
{
    X86CPU *x = x86(cpu);
    uint32_t req = cpu->interrupt_request;
    if (req & CPU_INTERRUPT_INIT) {
        return true;
    }
    if (x->wait_for_sipi) {
        return (req & CPU_INTERRUPT_SIPI) != 0;
    }
    return ((req & CPU_INTERRUPT_HARD) && (x->eflags & X86_EFLAGS_IF)) ||
           ((req & CPU_INTERRUPT_NMI) && !x->nmi_blocked);
}

static bool fe_tlb_fill(CPUState *cpu, uint64_t vaddr, TCGAccess access, unsigned mmu_idx,
                        bool probe, uintptr_t retaddr, TCGPageResult *out)
{
    X86CPU *x = x86(cpu);
    X86Access a = access == TCG_ACCESS_STORE ? X86_ACCESS_WRITE
                : access == TCG_ACCESS_FETCH ? X86_ACCESS_EXEC : X86_ACCESS_READ;
    X86Translation t;
    uint32_t err = 0;

    switch (x86_page_walk(x, vaddr, a, mmu_idx == X86_MMU_USER, &t, &err)) {
    case X86_WALK_OK:
        break;
    case X86_WALK_PAGE_FAULT:
        if (probe) {
            return false;
        }
        x86_raise_page_fault(x, vaddr, err, retaddr);
    case X86_WALK_NONCANONICAL:
    default:
        if (probe) {
            return false;
        }
        x86_raise_exception(x, X86_EXCP_GP, 0, retaddr);
    }
    out->phys = t.paddr & TCG_PAGE_MASK;
    out->page_size = t.page_size;
    out->readable = (t.prot & X86_PROT_READ) != 0;
    out->writable = (t.prot & X86_PROT_WRITE) != 0;
    out->executable = (t.prot & X86_PROT_EXEC) != 0;
    out->global = t.global;
    return true;
}

static void fe_cpu_reset(CPUState *cpu)
{
    X86CPU *x = x86(cpu);
    if (x->phys_bits == 0) {
        /* First reset of a state accel/tcg allocated zeroed: pick the model. */
        Machine *m = cpu->machine;
        const char *model = m && m->opts ? m->opts->cpu_model : NULL;
        if (model && (!strcmp(model, "host") || !strcmp(model, "base"))) {
            model = "max";
        }
        if (!x86_cpu_setup(x, model, cpu->cpu_index, m ? m->ncpus : 1, m)) {
            fatal("-cpu %s: unknown CPU model for -accel tcg (use qemu64 or max)", model);
        }
        if (!x->hooks) {
            x->hooks = &x86_tcg_hooks;
        }
    }
    x86_cpu_reset(x);
    cpu->exception_index = -1;
    cpu->halted = x->wait_for_sipi;
}

static void fe_get_regs(CPUState *cpu, X86Regs *regs)
{
    x86_cpu_get_regs(x86(cpu), regs);
    regs->nmsrs = 0;
}

/* The loader's MSRs go through WRMSR's own checks; a value the CPU refuses
 * is a loader bug, reported and skipped like the #GP a guest would get. */
static void fe_set_regs(CPUState *cpu, const X86Regs *regs)
{
    X86CPU *x = x86(cpu);
    x86_cpu_set_regs(x, regs);
    for (int i = 0; i < regs->nmsrs && i < X86_REGS_MAX_MSRS; i++) {
        const X86Msr *msr = &regs->msrs[i];
        uint64_t v = x86_msr_fit_phys_bits(msr->index, msr->value, x->phys_bits);
        if (!x86_msr_write(x, msr->index, v)) {
            warn("cpu %d: MSR %#x <- %#" PRIx64 " from the loader refused by WRMSR's checks",
                 cpu->cpu_index, msr->index, v);
        }
    }
}

static void fe_dump_state(CPUState *cpu, FILE *out)
{
    static const char *const gpr[16] = {
        "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
        "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
    };
    static const char *const seg[SEG_COUNT] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDT", "TR" };
    X86CPU *x = x86(cpu);
    for (int i = 0; i < 16; i++) {
        fprintf(out, "%-3s=%016" PRIx64 "%s", gpr[i], x->regs[i], (i & 3) == 3 ? "\n" : " ");
    }
    fprintf(out, "RIP=%016" PRIx64 " RFL=%08x CPL=%u hflags=%08x cc_op=%u%s\n", x->rip,
            x86_compute_eflags(x), x86_cpl(x), x->hflags, x->cc_op, x->halted ? " HLT" : "");
    for (int i = 0; i < SEG_COUNT; i++) {
        const X86Segment *s = &x->segs[i];
        fprintf(out, "%-3s=%04x %016" PRIx64 " %08x %04x\n", seg[i], s->selector, s->base,
                s->limit, s->flags);
    }
    fprintf(out, "GDT=%016" PRIx64 " %04x IDT=%016" PRIx64 " %04x\n", x->gdt.base, x->gdt.limit,
            x->idt.base, x->idt.limit);
    fprintf(out, "CR0=%08" PRIx64 " CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08" PRIx64
            " EFER=%08" PRIx64 "\n", x->cr[0], x->cr[2], x->cr[3], x->cr[4], x->efer);
}

static void fe_translate(CPUState *cpu, TranslationBlock *tb, int max_insns)
{
    x86_translate_block(cpu, tb, max_insns);
}

static unsigned fe_code_mmu_idx(CPUState *cpu)
{
    return x86_cpl(x86(cpu)) == 3 ? X86_MMU_USER : X86_MMU_SUPER;
}

const TCGFrontend x86_tcg_frontend = {
    .name = "x86_64",
    .nb_mmu_idx = X86_MMU_COUNT,
    .state_size = sizeof(X86CPU),
    .init_globals = x86_translate_init_globals,
    .get_tb_key = fe_get_tb_key,
    .translate = fe_translate,
    .restore_state = fe_restore_state,
    .do_exception = fe_do_exception,
    .exec_interrupt = fe_exec_interrupt,
    .has_work = fe_has_work,
    .tlb_fill = fe_tlb_fill,
    .cpu_reset = fe_cpu_reset,
    .get_regs = fe_get_regs,
    .set_regs = fe_set_regs,
    .dump_state = fe_dump_state,
    .code_mmu_idx = fe_code_mmu_idx,
    .set_irqchip = x86_tcg_set_irqchip,
    .sipi = x86_tcg_sipi,
    .tsc_deadline_cleared = x86_tcg_tsc_deadline_cleared,
};

TCG_FRONTEND_REGISTER(x86_tcg_frontend)
