/*
 * The contract between the translator core and a host backend (the portable
 * bytecode interpreter here, the x86-64 code generator next), and what the
 * exec loop gets back: code size, per-instruction code offsets, patchable
 * goto_tb sites and the exit word. Design: shared/TCG.md; tcg/README.md.
 */
#ifndef MIMIC_TCG_BACKEND_H
#define MIMIC_TCG_BACKEND_H

#include "tcg.h"

/* Exit word returned by enter(): (uintptr_t)last_tb | index. 0 = nothing to chain. */
#define TCG_EXIT_IDX_MASK    3u
#define TCG_TB_EXIT_IDX0      0u  /* left through goto_tb slot 0 */
#define TCG_TB_EXIT_IDX1      1u  /* left through goto_tb slot 1 */
#define TCG_TB_EXIT_NOCHAIN   2u  /* frontend-defined exits that must not be chained */
#define TCG_TB_EXIT_REQUESTED 3u  /* the entry check saw exit_request */

/* tcg_gen_code / gen_code failures. */
#define TCG_GEN_BUFFER_FULL (-1)  /* flush the code buffer and translate again */
#define TCG_GEN_TOO_BIG     (-2)  /* a limit was hit: translate again with fewer insns */

/* A goto_tb site: where the patchable target lives and what "unchained" is. */
typedef struct TCGJumpSite {
    uint32_t insn_off;    /* offset of the patchable jump / pointer in the code */
    uint32_t reset_off;   /* offset the jump goes to when unchained */
} TCGJumpSite;

typedef struct TCGCodeInfo {
    size_t code_size;
    unsigned n_insns;
    /* insn_off[i] = code offset where guest instruction i's code starts;
     * insn_off[n_insns] = code_size. An instruction with no code has the
     * same offset as the next one. */
    uint32_t insn_off[TCG_MAX_INSNS + 1];
    uint64_t insn_data[TCG_MAX_INSNS][TCG_INSN_START_WORDS];  /* insn_start args */
    bool jump_used[TCG_MAX_GOTO_TB];
    TCGJumpSite jump[TCG_MAX_GOTO_TB];
} TCGCodeInfo;

typedef struct TCGBackend {
    const char *name;
    /*
     * Turn the optimized, liveness-annotated ops of s into code at buf (at
     * most size bytes). rx_diff = (address the code runs at) - buf, for
     * W^X double mappings (0 otherwise). Fills info->code_size, insn_off[]
     * (the core has filled n_insns and insn_data) and jump[]. Returns the
     * size, or TCG_GEN_BUFFER_FULL / TCG_GEN_TOO_BIG. buf is 16-byte aligned.
     */
    ptrdiff_t (*gen_code)(TCGContext *s, void *buf, size_t size, ptrdiff_t rx_diff,
                          TCGCodeInfo *info);
    /* Run code (a block's start, at its run address) with env; returns the exit word. */
    uintptr_t (*enter)(void *env, const void *code);
    /*
     * Chain: make goto_tb site `site` of the block at code_rw (running at
     * code_rx) jump to target_rx, or back to its reset target when
     * target_rx is 0. Atomic with respect to a vCPU running that code.
     */
    void (*patch_goto_tb)(void *code_rw, uintptr_t code_rx, const TCGJumpSite *site,
                          uintptr_t target_rx);
    /* Optional: list generated code for -d out_asm. */
    void (*disas)(FILE *f, const void *code, size_t size);
} TCGBackend;

/*
 * Guest memory access slow path, supplied by the softmmu to tcg_context_init.
 * Loads return the value zero- or sign-extended to 64 bits per memop.
 * retaddr is the host code address inside the faulting guest instruction's
 * code (native: the call's return address; interpreter: the bytecode op),
 * for tcg_code_info_find_insn-style unwinding; a fault longjmps out.
 */
typedef struct TCGGuestMemoryOps {
    uint64_t (*load)(void *env, uint64_t addr, TCGMemOp memop, unsigned mmu_idx,
                     uintptr_t retaddr);
    void (*store)(void *env, uint64_t addr, uint64_t val, TCGMemOp memop, unsigned mmu_idx,
                  uintptr_t retaddr);
} TCGGuestMemoryOps;

/* Optimize (if s->optimize), run liveness, then s->backend->gen_code. */
ptrdiff_t tcg_gen_code(TCGContext *s, void *buf, size_t size, ptrdiff_t rx_diff,
                       TCGCodeInfo *info);

/*
 * Which guest instruction holds code offset `off` (an offset inside its code,
 * so native callers pass return address - 1). -1 if none.
 */
int tcg_code_info_find_insn(const TCGCodeInfo *info, size_t off);

extern const TCGBackend tcg_interp_backend;

#endif
