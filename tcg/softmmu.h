/*
 * The C side of guest memory access for the translator: code fetch for
 * frontends, loads/stores for helpers, TLB flushes, and the write tracking
 * of pages that hold translated code. Fast paths are in generated code.
 */
#ifndef MIMIC_TCG_SOFTMMU_H
#define MIMIC_TCG_SOFTMMU_H

#include <stdint.h>

#include "cpu.h"
#include "frontend.h"
#include "tcg.h"

/* Code fetch during translation: byte/2/4/8-byte loads at vaddr through the
 * code TLB (filled with frontend->tlb_fill, TCG_ACCESS_FETCH); records the
 * physical page(s) in the block being translated. A fault on the first
 * instruction of a block raises it; past the first, the frontend should end
 * the block before the faulting instruction (tcg_code_fetch_probe). */
uint8_t tcg_code_ldub(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx);
bool tcg_code_fetch_probe(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx);

/* Loads/stores from helpers (retaddr: TCG_GETPC() in the helper, 0 if called
 * outside generated code). Faults raise through frontend->tlb_fill. */
uint64_t tcg_mem_load(CPUState *cpu, uint64_t vaddr, TCGMemOp memop, unsigned mmu_idx,
                      uintptr_t retaddr);
void tcg_mem_store(CPUState *cpu, uint64_t vaddr, uint64_t value, TCGMemOp memop,
                   unsigned mmu_idx, uintptr_t retaddr);
/* Host pointer for [vaddr, vaddr+size) if it is plain RAM within one page
 * and accessible (for string fast paths); NULL otherwise (may fault unless probe). */
void *tcg_mem_host_ptr(CPUState *cpu, uint64_t vaddr, unsigned size, TCGAccess access,
                       unsigned mmu_idx, bool probe, uintptr_t retaddr);

/* Flushes. */
void tlb_flush_all(CPUState *cpu);
void tlb_flush_nonglobal(CPUState *cpu);
void tlb_flush_page(CPUState *cpu, uint64_t vaddr);   /* all mmu indexes */
void tlb_flush_mmu(CPUState *cpu, unsigned mmu_idx_mask);

/* Helpers pass TCG_GETPC() (tcg/helper.h) as retaddr: it works for both the
 * native backend and the interpreter. */

#endif
