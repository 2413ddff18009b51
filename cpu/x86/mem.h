/*
 * The memory seam of the x86 system helpers: what seg.c, excp.c, transfer.c
 * and paging.c need from the softmmu (which implements these; the unit tests
 * have a flat fake). Reference: SDM vol. 3 4.1 (linear vs physical), 6.15.
 * Leaves out: how the TLB is organised; that is the softmmu's business.
 */
#ifndef MIMIC_CPU_X86_MEM_H
#define MIMIC_CPU_X86_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/x86/cpu.h"

/*
 * MMU indices. Descriptor-table, TSS and IDT accesses are implicit supervisor
 * accesses whatever the CPL (X86_MMU_SUPER); stack pushes of an event use the
 * privilege of the stack they write (user only when it stays at CPL 3).
 */
enum {
    X86_MMU_USER = 0,    /* CPL 3 data access: U/S and R/W apply */
    X86_MMU_SUPER = 1,   /* CPL 0-2 or implicit supervisor access */
    X86_MMU_COUNT
};

/*
 * Load/store `size` (1, 2, 4, 8) bytes at a linear address, little-endian.
 * The caller has applied segmentation and, outside 64-bit mode, truncated the
 * address to 32 bits. Paging (with A/D updates) and the A20 mask are applied
 * here; a failing translation raises #PF through x86_raise_page_fault (CR2 set)
 * and never returns. Accesses crossing a page are split. `retaddr` is the host
 * return address of the helper's call site in translated code, or 0 when the
 * guest state is already precise (called from the exec loop).
 */
uint64_t x86_mem_ld(X86CPU *cpu, uint64_t linear, unsigned size, int mmu_idx, uintptr_t retaddr);
void x86_mem_st(X86CPU *cpu, uint64_t linear, uint64_t value, unsigned size, int mmu_idx,
                uintptr_t retaddr);

/* Physical accesses for page-table entries and PDPTEs (size 4 or 8): no
 * faults; unbacked addresses read as all ones and ignore writes. */
uint64_t x86_phys_ld(X86CPU *cpu, uint64_t paddr, unsigned size);
/* Atomically: if the entry still equals `expected`, store `value` and return
 * true (the A/D update of a page walk); false means "walk again". */
bool x86_phys_cmpxchg(X86CPU *cpu, uint64_t paddr, uint64_t expected, uint64_t value,
                      unsigned size);

/*
 * Leave the helper for the exec loop with an exception pending. The
 * implementation restores the guest state of the faulting instruction from
 * `retaddr` (nothing when 0), calls x86_exception_record(cpu, vector,
 * error_code) and longjmps to the exec loop, which then calls
 * x86_deliver_pending_exception(). For #PF, cpu->exception.cr2 is set first
 * (x86_raise_page_fault does it).
 */
_Noreturn void x86_raise_exception(X86CPU *cpu, int vector, uint32_t error_code,
                                   uintptr_t retaddr);

#endif
