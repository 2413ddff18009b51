/*
 * The C side of guest memory access for the translator: code fetch for
 * frontends, loads/stores for helpers, TLB flushes, and the write tracking
 * of pages that hold translated code. Fast paths are in generated code.
 * Invariants: tcg/README.md "TBs, TLB and the exec loop".
 */
#ifndef MIMIC_TCG_SOFTMMU_H
#define MIMIC_TCG_SOFTMMU_H

#include <stdint.h>

#include "cpu.h"
#include "frontend.h"
#include "tcg.h"

/* Code fetch during translation: byte loads at vaddr through the code TLB
 * (filled with frontend->tlb_fill, TCG_ACCESS_FETCH); records the
 * physical page(s) in the block being translated. A fault on the first
 * instruction of a block raises it; past the first, the frontend should end
 * the block before the faulting instruction (tcg_code_fetch_probe). */
uint8_t tcg_code_ldub(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx);
bool tcg_code_fetch_probe(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx);
static inline uint16_t tcg_code_lduw(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx)
{
    return (uint16_t)(tcg_code_ldub(cpu, vaddr, mmu_idx) |
                      (unsigned)tcg_code_ldub(cpu, vaddr + 1, mmu_idx) << 8);
}
static inline uint32_t tcg_code_ldl(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx)
{
    return tcg_code_lduw(cpu, vaddr, mmu_idx) |
           (uint32_t)tcg_code_lduw(cpu, vaddr + 2, mmu_idx) << 16;
}
static inline uint64_t tcg_code_ldq(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx)
{
    return tcg_code_ldl(cpu, vaddr, mmu_idx) |
           (uint64_t)tcg_code_ldl(cpu, vaddr + 4, mmu_idx) << 32;
}

/* Loads/stores from helpers (retaddr: TCG_GETPC() in the helper, 0 if called
 * outside generated code). Faults raise through frontend->tlb_fill. Never
 * call these (or anything that may reach the softmmu) with the machine
 * lock held: MMIO takes it. */
uint64_t tcg_mem_load(CPUState *cpu, uint64_t vaddr, TCGMemOp memop, unsigned mmu_idx,
                      uintptr_t retaddr);
void tcg_mem_store(CPUState *cpu, uint64_t vaddr, uint64_t value, TCGMemOp memop,
                   unsigned mmu_idx, uintptr_t retaddr);
/* Host pointer for [vaddr, vaddr+size) if it is plain RAM within one page
 * and accessible (for string fast paths); NULL otherwise (may fault unless probe).
 * For TCG_ACCESS_STORE, translated code in the range is invalidated first
 * (a hit on the running block restarts its instruction, see README). */
void *tcg_mem_host_ptr(CPUState *cpu, uint64_t vaddr, unsigned size, TCGAccess access,
                       unsigned mmu_idx, bool probe, uintptr_t retaddr);

/* Physical accesses for page walks (size 1, 2, 4 or 8, within one page):
 * no faults; unassigned reads all ones, writes dropped. Stores invalidate
 * translated code they overwrite. cmpxchg is atomic on RAM (the A/D update
 * of a walk) and returns false when the value was not `expected`. */
uint64_t tcg_phys_load(CPUState *cpu, uint64_t paddr, unsigned size);
void tcg_phys_store(CPUState *cpu, uint64_t paddr, uint64_t value, unsigned size);
bool tcg_phys_cmpxchg(CPUState *cpu, uint64_t paddr, uint64_t expected, uint64_t value,
                      unsigned size);

/* Anything that writes guest RAM behind the TLB's back (DMA, loaders) calls
 * this so stale translations of those bytes are dropped. Any thread. */
void tcg_invalidate_phys_range(uint64_t paddr, uint64_t len);

/* Flushes (of this vCPU's TLB; call on its own thread or while it is paused).
 * They also drop the vCPU's jump-cache entries that may depend on them. */
void tlb_flush_all(CPUState *cpu);
void tlb_flush_nonglobal(CPUState *cpu);
void tlb_flush_page(CPUState *cpu, uint64_t vaddr);   /* all mmu indexes */
void tlb_flush_mmu(CPUState *cpu, unsigned mmu_idx_mask);

/* Helpers pass TCG_GETPC() (tcg/helper.h) as retaddr: it works for both the
 * native backend and the interpreter. */

/* ---- for the exec loop, the accelerator and backends ---- */

/* The slow path given to tcg_context_init. */
extern const TCGGuestMemoryOps tcg_softmmu_ops;

/* Per-vCPU TLB state (tables at TCG_TLB_MIN_ENTRIES per mmu index). */
void tcg_tlb_init(CPUState *cpu);
void tcg_tlb_destroy(CPUState *cpu);
/* Physical address of the code at vaddr in the current state (fills the
 * code TLB; raises a fetch fault unless probe, then returns false). */
bool tcg_code_phys_addr(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx, bool probe,
                        uint64_t *phys);
/* The machine's memory map changed (AddressSpace listener of m->mem or
 * AccelOps.memory_changed): TLBs are flushed and translations of pages
 * whose backing changed are dropped, on the vCPU thread before it runs
 * more code. Called with the machine lock held. */
void tcg_memory_map_changed(Machine *m);
/* Exec loop: apply a pending map change for cpu (machine lock not held). */
void tcg_softmmu_sync_map(CPUState *cpu);

#endif
