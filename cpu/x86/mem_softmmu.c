/*
 * cpu/x86/mem.h on top of the TCG softmmu: linear accesses of the system
 * helpers through the TLB (tcg/softmmu.h, faults via the frontend's page
 * walk), physical page-table accesses (atomic A/D updates on RAM, code
 * invalidation on writes), and raising an exception out of a helper back to
 * the exec loop. Reference: Intel SDM vol. 3 4.8 (A/D updates are locked).
 * Leaves out: nothing beyond what tcg/softmmu.c leaves out.
 */
#include "cpu/x86/mem.h"
#include "tcg/softmmu.h"

static TCGMemOp size_op(unsigned size)
{
    return size == 1 ? MO_8 : size == 2 ? MO_16 : size == 4 ? MO_32 : MO_64;
}

uint64_t x86_mem_ld(X86CPU *cpu, uint64_t linear, unsigned size, int mmu_idx, uintptr_t retaddr)
{
    return tcg_mem_load(&cpu->common, linear, size_op(size), (unsigned)mmu_idx, retaddr);
}

void x86_mem_st(X86CPU *cpu, uint64_t linear, uint64_t value, unsigned size, int mmu_idx,
                uintptr_t retaddr)
{
    tcg_mem_store(&cpu->common, linear, value, size_op(size), (unsigned)mmu_idx, retaddr);
}

uint64_t x86_phys_ld(X86CPU *cpu, uint64_t paddr, unsigned size)
{
    return tcg_phys_load(&cpu->common, paddr, size);
}

bool x86_phys_cmpxchg(X86CPU *cpu, uint64_t paddr, uint64_t expected, uint64_t value,
                      unsigned size)
{
    return tcg_phys_cmpxchg(&cpu->common, paddr, expected, value, size);
}

_Noreturn void x86_raise_exception(X86CPU *cpu, int vector, uint32_t error_code,
                                   uintptr_t retaddr)
{
    x86_exception_record(cpu, vector, error_code);
    cpu->common.exception_index = vector;
    if (retaddr) {
        cpu_loop_exit_restore(&cpu->common, retaddr);
    }
    cpu_loop_exit(&cpu->common);
}
