/*
 * Private to tcg/tb.c, tcg/exec.c and tcg/softmmu.c: the block's private
 * part (hash link, page lists, chaining lists, instruction map), the lock
 * that guards the block structures, the jump cache layout and the calls
 * the three files make into each other. Nothing outside tcg/ includes it.
 */
#ifndef MIMIC_TCG_TB_INTERNAL_H
#define MIMIC_TCG_TB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "cpu.h"
#include "exec.h"
#include "tb.h"

/*
 * Lists use tagged pointers: (uintptr_t)tb | n, with n the page (0/1) or
 * the jump slot (0/1) the link belongs to; TBs are 64-byte aligned.
 */
typedef struct TBPrivate {
    /* The physical byte range on each page: [start, end). */
    uint64_t phys_start[2], phys_end[2];
    uintptr_t page_next[2];           /* next TB on page n's list (tagged) */
    /* Chaining: where our slots point, and who points at us. */
    bool jump_used[TCG_MAX_GOTO_TB];
    TCGJumpSite jump[TCG_MAX_GOTO_TB];
    TranslationBlock *jmp_dest[TCG_MAX_GOTO_TB];
    uintptr_t jmp_list_next[TCG_MAX_GOTO_TB];   /* our entry in jmp_dest[n]'s list */
    uintptr_t jmp_list_head;                    /* incoming (src | slot) */
    /* insn_start map (stored after the code in the buffer). */
    unsigned n_insns;
    const uint32_t *insn_off;         /* n_insns + 1 entries */
    const uint64_t *insn_data;        /* n_insns * TCG_INSN_START_WORDS */
    void *code_rw;                    /* where the code is written (W^X: != code) */
} TBPrivate;

static inline bool tb_is_invalid(const TranslationBlock *tb)
{
    return __atomic_load_n(&tb->invalid, __ATOMIC_ACQUIRE) != 0;
}

/*
 * Per-vCPU jump cache: virtual pc -> block. Entries of one guest page fall
 * in one group of TB_JC_GROUP slots so a page flush clears one group. The
 * slot within the group is the pc's low byte xored with the bits above it
 * (the rest of the page offset and the low page bits): pcs less than
 * TB_JC_GROUP bytes apart never share a slot, and the same offset on two
 * pages sharing a group usually lands apart. (Groups of 64 with
 * (pc ^ pc >> 6) were too small and symmetric: on a shell loop, most
 * indirect-branch misses were two hot targets of one page in one slot.)
 * Generated code computes the same hash (exec.c,
 * tcg_gen_lookup_and_goto_ptr_key): change both together.
 */
#define TB_JC_BITS       14
#define TB_JC_SIZE       (1u << TB_JC_BITS)
#define TB_JC_GROUP_BITS 8
#define TB_JC_GROUP      (1u << TB_JC_GROUP_BITS)
_Static_assert(TB_JC_GROUP_BITS <= TCG_PAGE_BITS, "a page's pcs must share a group");
struct TBJumpCache {
    TranslationBlock *tb[TB_JC_SIZE];   /* atomic: other threads clear entries */
};
static inline unsigned tb_jc_group(uint64_t vaddr)
{
    uint64_t p = vaddr >> TCG_PAGE_BITS;
    return (unsigned)((p ^ (p >> 6) ^ (p >> 12)) & ((1u << (TB_JC_BITS - TB_JC_GROUP_BITS)) - 1))
           << TB_JC_GROUP_BITS;
}
static inline unsigned tb_jc_hash(uint64_t pc)
{
    return tb_jc_group(pc) | (unsigned)((pc ^ (pc >> TB_JC_GROUP_BITS)) & (TB_JC_GROUP - 1));
}
void tb_jc_clear_all(CPUState *cpu);
void tb_jc_clear_page(CPUState *cpu, uint64_t vaddr);

/* The lock over hash table, page lists, chaining and the vCPU list. Order:
 * machine lock before tb lock; never held across a longjmp or frontend call. */
void tb_lock(void);
void tb_unlock(void);

/* tb.c */
TranslationBlock *tb_lookup(CPUState *cpu, uint64_t phys_pc, uint64_t pc, uint64_t cs_base,
                            uint32_t flags, uint32_t cflags);
TranslationBlock *tb_gen_code(CPUState *cpu, uint64_t pc, uint64_t cs_base, uint32_t flags,
                              uint32_t cflags, uint64_t phys_pc);
/* Chain src's slot n to dst if both are still valid (and n is unchained). */
void tb_add_jump(TranslationBlock *src, unsigned n, TranslationBlock *dst);
/* The same for a dst on two pages whose second page src does not share,
 * made by cpu's exec loop: the link is listed and undone at the next TLB
 * flush (tb_unlink_xpage), after which that page may map elsewhere, or
 * when another vCPU runs (tb_xpage_switch). False if not made (list full
 * or owned by another vCPU, slot taken, a block invalid). */
bool tb_add_jump_xpage(CPUState *cpu, TranslationBlock *src, unsigned n, TranslationBlock *dst);
/* Undo every tb_add_jump_xpage link. Any thread, without the tb lock. */
void tb_unlink_xpage(void);
/* cpu is about to run: undo the links another vCPU made. */
void tb_xpage_switch(CPUState *cpu);
/* The block whose code holds host address pc (code range search). */
TranslationBlock *tb_find_by_host_pc(uintptr_t pc);
/* Increments on every code buffer flush: a remembered TB pointer from
 * before a flush is dangling. */
uint64_t tb_flush_generation(void);
/* Drop blocks with bytes in [start, end) (physical). With tb lock held.
 * Returns true if `current` (may be NULL) was among them. *page_empty
 * (optional) tells whether start's page holds no block afterwards. */
bool tb_invalidate_phys_range_locked(uint64_t start, uint64_t end,
                                     const TranslationBlock *current, bool *page_empty);
bool tb_page_has_code(uint64_t phys_page);   /* takes the tb lock */
/* Drop the blocks of every page for which changed(page, opaque) says so. */
void tb_invalidate_pages_if(bool (*changed)(uint64_t page, void *opaque), void *opaque);
void tb_cpu_register(CPUState *cpu);
void tb_cpu_unregister(CPUState *cpu);
/* tcg_cpu_count/tcg_cpu_at with the tb lock held. */
int tb_cpu_count_locked(void);
CPUState *tb_cpu_at_locked(int i);

/* exec.c: the state of the instruction at host address retaddr inside tb. */
bool cpu_restore_state_from_tb(CPUState *cpu, const TranslationBlock *tb, uintptr_t retaddr);

/* softmmu.c */
/* A block was translated on a page that held none: make every vCPU's TLB
 * write entry for it take the slow path. With tb lock held. */
void tlb_mark_code_page_locked(uint64_t phys_page);
/* During translation: the block whose code pages tcg_code_ldub records. */
typedef struct TBTranslateState {
    TranslationBlock *tb;
    CPUState *cpu;
    uint64_t page_vaddr[2];   /* virtual page of pc, and of the second page (or -1) */
} TBTranslateState;
extern __thread TBTranslateState *tb_translating;

#endif
