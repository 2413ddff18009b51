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

#include "cpu.h"
#include "tb.h"
#include "mimic/x86_state.h"

typedef enum TCGAccess { TCG_ACCESS_LOAD = 0, TCG_ACCESS_STORE = 1, TCG_ACCESS_FETCH = 2 } TCGAccess;

/* What a page walk found, for the softmmu to install in the TLB. */
typedef struct TCGPageResult {
    uint64_t phys;          /* physical address of the accessed page (page aligned) */
    uint64_t page_size;     /* >= TCG_PAGE_SIZE; the TLB still maps 4 KiB pieces */
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
     * tb->icount. Fetch code bytes with tcg_code_fetch() (tcg/softmmu.h). */
    void (*translate)(CPUState *cpu, TranslationBlock *tb, int max_insns);
    /* After a fault inside tb, put back the state of the instruction whose
     * insn_start words are data[0..TCG_INSN_START_WORDS). */
    void (*restore_state)(CPUState *cpu, const TranslationBlock *tb, const uint64_t *data);
    /* Deliver cpu->exception_index (called by the exec loop, outside generated code). */
    void (*do_exception)(CPUState *cpu);
    /* Take a pending interrupt from interrupt_request if the CPU can now;
     * return true if it changed the control flow. */
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
};

#endif
