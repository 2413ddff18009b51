/*
 * The seam between the translator core and a guest architecture (DESIGN.md
 * seam 4). A frontend gives: how to key blocks, how to translate one into IR,
 * how to restore precise state after a fault, how to deliver exceptions and
 * interrupts, and its page walk. Its state struct begins with CPUState.
 */
#ifndef MIMIC_TCG_FRONTEND_H
#define MIMIC_TCG_FRONTEND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu.h"
#include "tb.h"
#include "mimic/x86_state.h"

typedef struct AccelIrqChip AccelIrqChip;   /* include/mimic/accel.h */

typedef enum TCGAccess { TCG_ACCESS_LOAD = 0, TCG_ACCESS_STORE = 1, TCG_ACCESS_FETCH = 2 } TCGAccess;

/* What a page walk found, for the softmmu to install in the TLB. All three
 * permissions are installed at once, so report an access kind as allowed
 * only if it may proceed with no further page-table update (x86: writable
 * only when the dirty bit is already set; a later store then misses and
 * walks again with TCG_ACCESS_STORE). */
typedef struct TCGPageResult {
    uint64_t phys;          /* physical address of the 4 KiB page holding vaddr */
    uint64_t page_size;     /* >= TCG_PAGE_SIZE (large page: tlb_flush_page of any
                               address inside it flushes the whole mmu index) */
    bool readable, writable, executable;   /* for this mmu_idx, after all checks */
    bool global;            /* survives non-global flushes (x86 PGE) */
} TCGPageResult;

struct TCGFrontend {
    const char *name;
    unsigned nb_mmu_idx;                      /* <= TCG_MAX_MMU_IDX */
    size_t state_size;                        /* sizeof the architecture's state struct */
    /* Create the IR globals (once per translating thread, after tcg_context_init). */
    void (*init_globals)(void);
    /* The key of the block that starts at the current state. */
    void (*get_tb_key)(CPUState *cpu, uint64_t *pc, uint64_t *cs_base, uint32_t *flags);
    /* Emit IR for tb (pc, cs_base, flags, cflags set) with at most max_insns
     * instructions, never crossing into a third page; set tb->size and
     * tb->icount. Fetch code bytes with tcg_code_ldub() (tcg/softmmu.h).
     * The core has already emitted the block-entry exit_request check and
     * adds its exit after this returns: emit insn_start + ops + exits only.
     * Direct jumps: store the new pc, then goto_tb(n) + exit_tb(tb, n) (the
     * core chains them only within one guest page; a chained block may leave
     * at its entry check, so env must already hold its pc); indirect: store
     * the pc, then tcg_gen_lookup_and_goto_ptr()
     * (tcg/exec.h). After an instruction that may unmask an interrupt or
     * change the translation flags, end with exit_tb(NULL, 0). */
    void (*translate)(CPUState *cpu, TranslationBlock *tb, int max_insns);
    /* After a fault inside tb, put back the state of the instruction whose
     * insn_start words are data[0..TCG_INSN_START_WORDS). */
    void (*restore_state)(CPUState *cpu, const TranslationBlock *tb, const uint64_t *data);
    /* Deliver cpu->exception_index (called by the exec loop, outside generated code). */
    void (*do_exception)(CPUState *cpu);
    /* Take a pending interrupt from interrupt_request if the CPU can now;
     * return true if it changed the control flow. Called without the
     * machine lock (take it around device calls such as an INTA cycle). */
    bool (*exec_interrupt)(CPUState *cpu);
    /* May the halted CPU wake (an interrupt it would take is pending)? */
    bool (*has_work)(CPUState *cpu);
    /* Translate vaddr for access in mmu_idx. On a fault: if probe, return
     * false; else raise the architectural exception (does not return). */
    bool (*tlb_fill)(CPUState *cpu, uint64_t vaddr, TCGAccess access, unsigned mmu_idx,
                     bool probe, uintptr_t retaddr, TCGPageResult *out);
    /* Architectural reset of this CPU (power-on state). */
    void (*cpu_reset)(CPUState *cpu);
    /* Register file through the accelerator seam (x86 guests). */
    void (*get_regs)(CPUState *cpu, X86Regs *regs);
    void (*set_regs)(CPUState *cpu, const X86Regs *regs);
    /* -d cpu: print the state. */
    void (*dump_state)(CPUState *cpu, FILE *out);
    /* The mmu index instruction fetches use in the current state (the one
     * translate() passes to tcg_code_ldub). NULL: always 0. */
    unsigned (*code_mmu_idx)(CPUState *cpu);
    /* An MO_ALIGN access at a misaligned vaddr: raise the architectural
     * fault (x86 #AC, ARM alignment fault); must not return. NULL: the
     * access proceeds unaligned. */
    void (*do_unaligned_access)(CPUState *cpu, uint64_t vaddr, TCGAccess access,
                                unsigned mmu_idx, uintptr_t retaddr);
    /* Interrupt-controller glue for machines whose controllers live in user
     * space (x86: one LAPIC per CPU), all optional; NULL means the frontend
     * has none and such a machine cannot run on it. */
    void (*set_irqchip)(Machine *m, const AccelIrqChip *chip);
    void (*sipi)(CPUState *cpu, uint8_t vector);
    void (*tsc_deadline_cleared)(CPUState *cpu);
};

/*
 * Frontends register themselves from their own file; the tcg accelerator
 * looks one up by the name the machine type asks for ("x86_64", "aarch64").
 */
void tcg_frontend_register(const TCGFrontend *fe);
const TCGFrontend *tcg_frontend_find(const char *name);
#define TCG_FRONTEND_REGISTER(fe_var) \
    static void __attribute__((constructor)) tcg_frontend_register_##fe_var(void) \
    { tcg_frontend_register(&fe_var); }

#endif
