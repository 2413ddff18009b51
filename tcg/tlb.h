/*
 * Layout of the softmmu TLB that native backends inline as a compare-and-add
 * fast path (shared/TCG.md "Guest memory"). The softmmu (fill, flush, victim
 * TLB, slow path) owns the contents; this header only fixes the shape so the
 * code generator and the C side agree. Guest pages are 4 KiB here.
 */
#ifndef MIMIC_TCG_TLB_H
#define MIMIC_TCG_TLB_H

#include <stddef.h>
#include <stdint.h>

#include "tcg.h"

#define TCG_PAGE_BITS 12
#define TCG_PAGE_SIZE (1ull << TCG_PAGE_BITS)
#define TCG_PAGE_MASK (~(TCG_PAGE_SIZE - 1))

/* Flag bits in the low bits of a tag: any set forces the slow path. They sit
 * above the alignment bits a fast path folds in (MO_ALIGN up to 64 bytes). */
#define TLB_INVALID  (1ull << 11)  /* entry empty, or this access kind not allowed */
#define TLB_MMIO     (1ull << 10)  /* device memory: dispatch through the memory API */
#define TLB_NOTDIRTY (1ull << 9)   /* write tag only: page holds translated code */
#define TLB_WATCH    (1ull << 8)   /* a debug watchpoint covers the page */
#define TLB_FLAGS_MASK (TLB_INVALID | TLB_MMIO | TLB_NOTDIRTY | TLB_WATCH)

typedef struct TCGTLBEntry {
    uint64_t addr_read;   /* guest virtual page | flags, for loads */
    uint64_t addr_write;  /* ... for stores */
    uint64_t addr_code;   /* ... for instruction fetch */
    uintptr_t addend;     /* host address - guest virtual address, for the page */
} TCGTLBEntry;

#define TCG_TLB_ENTRY_BITS 5
_Static_assert(sizeof(TCGTLBEntry) == (1 << TCG_TLB_ENTRY_BITS), "TLB entry size");

/* One direct-mapped table per MMU index; n_entries is a power of two in
 * [TCG_TLB_MIN_ENTRIES, TCG_TLB_MAX_ENTRIES] and may change on resize. */
#define TCG_TLB_MIN_ENTRIES 256
#define TCG_TLB_MAX_ENTRIES 4096
typedef struct TCGTLBFast {
    uintptr_t mask;       /* (n_entries - 1) << TCG_TLB_ENTRY_BITS */
    TCGTLBEntry *table;
} TCGTLBFast;

/*
 * Where generated code finds the tables: env + TCG_ENV_TLB_OFFSET holds
 * TCGTLBFast[TCG_MAX_MMU_IDX]. The common CPUState (first member of each
 * architecture's state struct, which env points at) must therefore begin
 * with `TCGTLBFast tlb_fast[TCG_MAX_MMU_IDX]`; static-assert it there.
 *
 * Fast path for an access of 2^s bytes with required alignment 2^a (a = s
 * with MO_ALIGN, else 0), at guest address `addr`, with fast = tlb_fast[mmu]:
 *   entry = fast.table + ((addr >> (TCG_PAGE_BITS - TCG_TLB_ENTRY_BITS)) & fast.mask)
 *   cmp   = (addr + (2^s - 1) - (2^a - 1)) & (TCG_PAGE_MASK | (2^a - 1))
 *   if (cmp == entry->addr_read /_write) host = addr + entry->addend  (little-endian load/store)
 *   else call the slow path (TCGGuestMemoryOps) with the return address.
 * Adding (size - align) catches an access that crosses into the next page;
 * keeping the low alignment bits catches a misaligned MO_ALIGN access; the
 * flag bits above never match a masked address. A 32-bit guest zero-extends
 * addresses before this, so tags are always 64-bit.
 */
#define TCG_ENV_TLB_OFFSET 0

#endif
