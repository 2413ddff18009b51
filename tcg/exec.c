/*
 * The exec loop (shared/TCG.md "The exec loop"): kicks and interrupts,
 * block lookup through the per-vCPU jump cache then the global hash table,
 * translation on a miss, chaining of the exit slot the last block left
 * through, exceptions unwinding with siglongjmp and precise state restored
 * from the insn_start map; plus the frontend registry, the indirect-branch
 * lookup helper, the kick generation a sleeping vCPU thread waits on, and
 * -d exec statistics. Left out: icount, single-step, multi-threaded TCG.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/log.h"
#include "softmmu.h"
#include "tb_internal.h"

TCGExecStats tcg_exec_stats;

static __thread CPUState *current_cpu;
static CPUState *rr_cpu;   /* atomic */

/* ---- frontend registry ---- */

#define TCG_MAX_FRONTENDS 8
static const TCGFrontend *frontends[TCG_MAX_FRONTENDS];
static int nfrontends;

void tcg_frontend_register(const TCGFrontend *fe)
{
    if (nfrontends == TCG_MAX_FRONTENDS)
        fatal("tcg: too many frontends");
    frontends[nfrontends++] = fe;
}

const TCGFrontend *tcg_frontend_find(const char *name)
{
    for (int i = 0; i < nfrontends; i++) {
        if (!strcmp(frontends[i]->name, name))
            return frontends[i];
    }
    return NULL;
}

/* ---- kicks ---- */

static pthread_mutex_t kick_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t kick_cond = PTHREAD_COND_INITIALIZER;
static uint64_t kick_gen;

uint64_t tcg_kick_generation(void)
{
    pthread_mutex_lock(&kick_mutex);
    uint64_t g = kick_gen;
    pthread_mutex_unlock(&kick_mutex);
    return g;
}

void tcg_wait_kick(uint64_t seen)
{
    pthread_mutex_lock(&kick_mutex);
    while (kick_gen == seen)
        pthread_cond_wait(&kick_cond, &kick_mutex);
    pthread_mutex_unlock(&kick_mutex);
}

void tcg_exec_set_rr_cpu(CPUState *cpu)
{
    __atomic_store_n(&rr_cpu, cpu, __ATOMIC_RELEASE);
}

void cpu_kick(CPUState *cpu)
{
    __atomic_store_n(&cpu->exit_request, 1, __ATOMIC_RELEASE);
    /* One thread runs every vCPU in turn: make it come back to its loop. */
    CPUState *running = __atomic_load_n(&rr_cpu, __ATOMIC_ACQUIRE);
    if (running && running != cpu)
        __atomic_store_n(&running->exit_request, 1, __ATOMIC_RELEASE);
    pthread_mutex_lock(&kick_mutex);
    kick_gen++;
    pthread_cond_broadcast(&kick_cond);
    pthread_mutex_unlock(&kick_mutex);
}

void cpu_interrupt(CPUState *cpu, uint32_t mask)
{
    __atomic_fetch_or(&cpu->interrupt_request, mask, __ATOMIC_SEQ_CST);
    cpu_kick(cpu);
}

void cpu_reset_interrupt(CPUState *cpu, uint32_t mask)
{
    __atomic_fetch_and(&cpu->interrupt_request, ~mask, __ATOMIC_SEQ_CST);
}

CPUState *tcg_current_cpu(void)
{
    return current_cpu;
}

/* ---- jump cache ---- */

/*
 * The slots stored since the last clear are listed, so clearing (at every
 * TLB flush: a CR3 write per system call under page-table isolation) costs
 * what was used, not the cache size. Only the owning vCPU's thread stores
 * and lists; other threads only clear slots (invalidation), which leaves
 * them listed, harmlessly. Unless overflow, every non-NULL slot is listed.
 *
 * A cleared slot's block moves to `victim`: after the flush the same code
 * usually runs again from the same virtual pc, and tb_find, which has the
 * physical pc by then, takes it back from there when the physical page is
 * still the block's instead of searching the hash table. Generated code
 * never looks at victims. They are valid for one buffer generation (blocks
 * are freed only by a buffer flush).
 */
#define JC_USED_CAP (TB_JC_SIZE / 8)
_Static_assert(TB_JC_SIZE <= 65536, "JumpCacheFull.used holds 16-bit indexes");

typedef struct JumpCacheFull {
    TBJumpCache jc;             /* first: cpu->jmp_cache points here */
    uint16_t used[JC_USED_CAP];
    unsigned n_used;
    bool overflow;
    uint64_t victim_gen;        /* tb_flush_generation() the victims belong to */
    TranslationBlock *victim[TB_JC_SIZE];
} JumpCacheFull;

static JumpCacheFull *jc_full(CPUState *cpu)
{
    return (JumpCacheFull *)cpu->jmp_cache;
}

static void jc_evict(JumpCacheFull *j, unsigned h)
{
    TranslationBlock *tb = __atomic_exchange_n(&j->jc.tb[h], NULL, __ATOMIC_RELAXED);
    if (tb)
        j->victim[h] = tb;
}

/* Called by the owning vCPU's thread, or by a buffer flush with the vCPUs
 * out of generated code (tb.c bumps the generation after these calls, so
 * the victims saved then are never used). */
void tb_jc_clear_all(CPUState *cpu)
{
    JumpCacheFull *j = jc_full(cpu);
    if (!j)
        return;
    uint64_t gen = tb_flush_generation();
    if (j->victim_gen != gen) {
        memset(j->victim, 0, sizeof(j->victim));
        j->victim_gen = gen;
    }
    if (j->overflow) {
        for (unsigned i = 0; i < TB_JC_SIZE; i++)
            jc_evict(j, i);
    } else {
        for (unsigned i = 0; i < j->n_used; i++)
            jc_evict(j, j->used[i]);
    }
    j->n_used = 0;
    j->overflow = false;
}

void tb_jc_clear_page(CPUState *cpu, uint64_t vaddr)
{
    if (!cpu->jmp_cache)
        return;
    /* Blocks that start on the page before may run into this one. */
    uint64_t pages[2] = { vaddr & TCG_PAGE_MASK, (vaddr & TCG_PAGE_MASK) - TCG_PAGE_SIZE };
    for (int k = 0; k < 2; k++) {
        unsigned g = tb_jc_group(pages[k]);
        for (unsigned i = 0; i < TB_JC_GROUP; i++)
            __atomic_store_n(&cpu->jmp_cache->tb[g + i], NULL, __ATOMIC_RELAXED);
    }
}

/* ---- vCPU set-up ---- */

void tcg_cpu_init(CPUState *cpu, Machine *m, const TCGFrontend *fe, int cpu_index)
{
    if (fe->nb_mmu_idx == 0 || fe->nb_mmu_idx > TCG_MAX_MMU_IDX)
        fatal("tcg: frontend %s declares %u mmu indexes (1..%d)", fe->name, fe->nb_mmu_idx,
              TCG_MAX_MMU_IDX);
    cpu->machine = m;
    cpu->frontend = fe;
    cpu->cpu_index = cpu_index;
    cpu->exception_index = -1;
    cpu->jmp_cache = calloc(1, sizeof(JumpCacheFull));
    if (!cpu->jmp_cache)
        fatal("tcg: out of memory");
    tcg_tlb_init(cpu);
    tb_cpu_register(cpu);
}

void tcg_cpu_destroy(CPUState *cpu)
{
    tb_unlink_xpage();   /* the links' owner may be this vCPU */
    tb_cpu_unregister(cpu);
    tcg_tlb_destroy(cpu);
    free(cpu->jmp_cache);
    cpu->jmp_cache = NULL;
}

/* ---- precise state and unwinding ---- */

bool cpu_restore_state_from_tb(CPUState *cpu, const TranslationBlock *tb, uintptr_t retaddr)
{
    const TBPrivate *p = tb->priv;
    uintptr_t start = (uintptr_t)tb->code;
    if (retaddr <= start || retaddr - 1 - start >= tb->code_size || !p->n_insns)
        return false;
    size_t off = retaddr - 1 - start;
    if (off < p->insn_off[0])
        return false;
    unsigned lo = 0, hi = p->n_insns;
    while (hi - lo > 1) {
        unsigned mid = (lo + hi) / 2;
        if (p->insn_off[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    cpu->frontend->restore_state(cpu, tb, &p->insn_data[lo * TCG_INSN_START_WORDS]);
    return true;
}

_Noreturn void cpu_loop_exit(CPUState *cpu)
{
    tcg_helper_retaddr = 0;
    siglongjmp(cpu->jmp_env, 1);
}

_Noreturn void cpu_loop_exit_restore(CPUState *cpu, uintptr_t retaddr)
{
    if (retaddr) {
        TranslationBlock *tb = tb_find_by_host_pc(retaddr);
        if (tb)
            cpu_restore_state_from_tb(cpu, tb, retaddr);
    }
    cpu_loop_exit(cpu);
}

/* ---- lookup ---- */

static unsigned code_mmu_idx(CPUState *cpu)
{
    return cpu->frontend->code_mmu_idx ? cpu->frontend->code_mmu_idx(cpu) : 0;
}

static bool tb_key_matches(const TranslationBlock *tb, uint64_t pc, uint64_t cs_base,
                           uint32_t flags, uint32_t cflags)
{
    return tb->pc == pc && tb->cs_base == cs_base && tb->flags == flags &&
           tb->cflags == cflags && !tb_is_invalid(tb);
}

/* Generated code trusts the jump cache to hold valid blocks only: a block
 * invalidated by another thread between our lookup and this store is taken
 * out again (invalidation marks, fences, then clears every cache). */
static void jc_store(CPUState *cpu, unsigned h, TranslationBlock *tb)
{
    TranslationBlock **slot = &cpu->jmp_cache->tb[h];
    if (!__atomic_load_n(slot, __ATOMIC_RELAXED)) {
        /* A slot emptied since it was listed may be listed twice: that
         * only costs room. */
        JumpCacheFull *j = jc_full(cpu);
        if (j->n_used < JC_USED_CAP)
            j->used[j->n_used++] = (uint16_t)h;
        else
            j->overflow = true;
    }
    __atomic_store_n(slot, tb, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (tb_is_invalid(tb))
        __atomic_compare_exchange_n(slot, &tb, NULL, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* The block a clear moved out of slot h, if it is the one for this key and
 * physical pc (one page only: a second page would need its own check). */
static TranslationBlock *jc_victim(CPUState *cpu, unsigned h, uint64_t phys_pc, uint64_t pc,
                                   uint64_t cs_base, uint32_t flags, uint32_t cflags)
{
    JumpCacheFull *j = jc_full(cpu);
    TranslationBlock *tb = j->victim[h];
    if (!tb || j->victim_gen != tb_flush_generation() || tb->phys_pc != phys_pc ||
        tb->phys_page2 != (uint64_t)-1 || !tb_key_matches(tb, pc, cs_base, flags, cflags))
        return NULL;
    return tb;
}

/* The block for the current state; translates on a miss (may longjmp on an
 * instruction fetch fault). */
static TranslationBlock *tb_find(CPUState *cpu)
{
    uint64_t pc, cs_base;
    uint32_t flags, cflags = cpu->cflags_next_tb;
    cpu->cflags_next_tb = 0;
    cpu->frontend->get_tb_key(cpu, &pc, &cs_base, &flags);
    unsigned h = tb_jc_hash(pc);
    TranslationBlock *tb = __atomic_load_n(&cpu->jmp_cache->tb[h], __ATOMIC_ACQUIRE);
    if (tb && tb_key_matches(tb, pc, cs_base, flags, cflags)) {
        TCG_STAT_INC(jc_hits);
        return tb;
    }
    uint64_t phys_pc;
    tcg_code_phys_addr(cpu, pc, code_mmu_idx(cpu), false, &phys_pc);
    tb = jc_victim(cpu, h, phys_pc, pc, cs_base, flags, cflags);
    if (!tb)
        tb = tb_lookup(cpu, phys_pc, pc, cs_base, flags, cflags);
    if (tb)
        TCG_STAT_INC(hash_hits);
    else
        tb = tb_gen_code(cpu, pc, cs_base, flags, cflags, phys_pc);
    jc_store(cpu, h, tb);
    return tb;
}

void *helper_lookup_tb_ptr(void *env)
{
    CPUState *cpu = env;
    uint64_t pc, cs_base;
    uint32_t flags;
    if (cpu->cflags_next_tb) {
        TCG_STAT_INC(lookup_ptr_misses);
        return NULL;
    }
    cpu->frontend->get_tb_key(cpu, &pc, &cs_base, &flags);
    unsigned h = tb_jc_hash(pc);
    TranslationBlock *tb = __atomic_load_n(&cpu->jmp_cache->tb[h], __ATOMIC_ACQUIRE);
    if (!tb || !tb_key_matches(tb, pc, cs_base, flags, 0)) {
        uint64_t phys_pc;
        if (!tcg_code_phys_addr(cpu, pc, code_mmu_idx(cpu), true, &phys_pc) ||
            (!(tb = jc_victim(cpu, h, phys_pc, pc, cs_base, flags, 0)) &&
             !(tb = tb_lookup(cpu, phys_pc, pc, cs_base, flags, 0)))) {
            TCG_STAT_INC(lookup_ptr_misses);
            return NULL;
        }
        jc_store(cpu, h, tb);
    }
    TCG_STAT_INC(lookup_ptr_hits);
    return (void *)tb->code;
}

void tcg_gen_lookup_and_goto_ptr_key(TCGv_i64 pc, uint64_t cs_base, TCGv_i32 flags)
{
    if (tcg_ctx->backend == &tcg_interp_backend) {
        /* Some thirty ops cost the interpreter more than one call. */
        tcg_gen_lookup_and_goto_ptr();
        return;
    }
    TCGLabel *slow = gen_new_label();
    TCGv_i64 h = tcg_temp_new_i64(), t = tcg_temp_new_i64(), tb = tcg_temp_new_i64();
    TCGv_i32 c = tcg_temp_new_i32();
    /* h = tb_jc_hash(pc) * 8 */
    tcg_gen_shri_i64(h, pc, TCG_PAGE_BITS);
    tcg_gen_shri_i64(t, pc, TCG_PAGE_BITS + 6);
    tcg_gen_xor_i64(h, h, t);
    tcg_gen_shri_i64(t, pc, TCG_PAGE_BITS + 12);
    tcg_gen_xor_i64(h, h, t);
    tcg_gen_andi_i64(h, h, (1u << (TB_JC_BITS - TB_JC_GROUP_BITS)) - 1);
    tcg_gen_shli_i64(h, h, TB_JC_GROUP_BITS + 3);
    tcg_gen_shri_i64(t, pc, TB_JC_GROUP_BITS);
    tcg_gen_xor_i64(t, t, pc);
    tcg_gen_andi_i64(t, t, TB_JC_GROUP - 1);
    tcg_gen_shli_i64(t, t, 3);
    tcg_gen_or_i64(h, h, t);
    tcg_gen_ld_i64(t, tcg_env, offsetof(CPUState, jmp_cache));
    tcg_gen_add_i64(t, t, h);
    tcg_gen_ld_i64(tb, t, 0);
    tcg_gen_brcondi_i64(TCG_COND_EQ, tb, 0, slow);
    tcg_gen_ld_i64(t, tb, offsetof(TranslationBlock, pc));
    tcg_gen_brcond_i64(TCG_COND_NE, t, pc, slow);
    /* flags and cflags (which must be 0) in one compare */
    _Static_assert(offsetof(TranslationBlock, cflags) == offsetof(TranslationBlock, flags) + 4 &&
                   offsetof(TranslationBlock, flags) % 8 == 0, "flags, cflags adjacent");
    tcg_gen_ld_i64(t, tb, offsetof(TranslationBlock, flags));
    tcg_gen_extu_i32_i64(h, flags);
    tcg_gen_brcond_i64(TCG_COND_NE, t, h, slow);
    tcg_gen_ld_i64(t, tb, offsetof(TranslationBlock, cs_base));
    tcg_gen_brcondi_i64(TCG_COND_NE, t, (int64_t)cs_base, slow);
    tcg_gen_ld_i32(c, tcg_env, offsetof(CPUState, cflags_next_tb));
    tcg_gen_brcondi_i32(TCG_COND_NE, c, 0, slow);
    /* No validity check: invalidation clears the block from every jump
     * cache, and a store into one re-checks validity (tb_find). */
    tcg_gen_ld_i64(t, tb, offsetof(TranslationBlock, code));
    tcg_gen_goto_ptr(t);
    gen_set_label(slow);
    tcg_temp_free_i64(h);
    tcg_temp_free_i64(t);
    tcg_temp_free_i64(tb);
    tcg_temp_free_i32(c);
    tcg_gen_lookup_and_goto_ptr();
}

const TCGHelperInfo helper_info_lookup_tb_ptr = {
    "lookup_tb_ptr", (TCGHelperFunc)helper_lookup_tb_ptr, TCG_HELPER_RET_I64, 1,
    { TCG_TYPE_I64 }, TCG_CALL_NO_WRITE_GLOBALS,
};

/* Chain where the link stays right without a lookup: both blocks on the
 * same guest page(s), so a remap of those pages (which makes both
 * unreachable through the lookup) cannot leave a stale link behind. A
 * target whose second page the source does not share is linked for this
 * vCPU until its next TLB flush (a remap of that page is visible to it only
 * after one), which skips the lookup's check of the second page meanwhile;
 * see tb_add_jump_xpage. */
static void tb_try_chain(CPUState *cpu, TranslationBlock *last, unsigned slot,
                         TranslationBlock *tb)
{
    if (((last->pc ^ tb->pc) & TCG_PAGE_MASK) || (last->cflags | tb->cflags) & TB_CFLAG_NO_CHAIN) {
        TCG_STAT_INC(chain_refused);
        return;
    }
    if (tb->phys_page2 != (uint64_t)-1 && tb->phys_page2 != last->phys_page2) {
        if (!tb_add_jump_xpage(cpu, last, slot, tb))
            TCG_STAT_INC(chain_refused);
        return;
    }
    tb_add_jump(last, slot, tb);
}

/* ---- the loop ---- */

static int cpu_exec_loop(CPUState *cpu)
{
    const TCGFrontend *fe = cpu->frontend;
    const TCGBackend *be = tcg_exec_backend();
    TranslationBlock *last_tb = NULL;
    unsigned last_slot = 0;

    for (;;) {
        if (cpu->exception_index >= 0) {
            int e = cpu->exception_index;
            if (e >= EXCP_FIRST_INTERNAL) {
                cpu->exception_index = -1;
                return e;
            }
            TCG_STAT_INC(exceptions);
            fe->do_exception(cpu);
            cpu->exception_index = -1;
            last_tb = NULL;
        }
        tcg_softmmu_sync_map(cpu);
        uint32_t irq = __atomic_load_n(&cpu->interrupt_request, __ATOMIC_ACQUIRE);
        if (irq) {
            if (irq & CPU_INTERRUPT_EXITTB) {
                cpu_reset_interrupt(cpu, CPU_INTERRUPT_EXITTB);
                last_tb = NULL;
            }
            if ((irq & ~CPU_INTERRUPT_EXITTB) && fe->exec_interrupt(cpu)) {
                TCG_STAT_INC(interrupts);
                last_tb = NULL;
                if (cpu->exception_index >= 0 || cpu->halted)
                    continue;
            }
        }
        if (__atomic_load_n(&cpu->exit_request, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&cpu->exit_request, 0, __ATOMIC_RELEASE);
            return EXCP_INTERRUPT;
        }
        if (cpu->halted)
            return EXCP_HLT;

        uint64_t gen = tb_flush_generation();
        TranslationBlock *tb = tb_find(cpu);
        if (gen != tb_flush_generation())
            last_tb = NULL;          /* the buffer was flushed: last_tb is gone */
        if (last_tb)
            tb_try_chain(cpu, last_tb, last_slot, tb);
        if (log_enabled(LOG_EXEC))
            log_printf("Trace %d: %p [%016llx/%016llx/%08x/%x]\n", cpu->cpu_index, tb->code,
                       (unsigned long long)tb->cs_base, (unsigned long long)tb->pc, tb->flags,
                       tb->cflags);
        TCG_STAT_INC(exec_entries);
        uintptr_t ret = be->enter(cpu, tb->code);
        tcg_helper_retaddr = 0;
        last_tb = (TranslationBlock *)(ret & ~(uintptr_t)TCG_EXIT_IDX_MASK);
        last_slot = ret & TCG_EXIT_IDX_MASK;
        if (!last_tb) {
            TCG_STAT_INC(exits_unchained);
        } else if (last_slot == TCG_TB_EXIT_REQUESTED) {
            /* Nothing of the block ran, and it may have been entered through
             * a chain whose source did not store the pc: restore its start. */
            const TBPrivate *p = last_tb->priv;
            if (p->n_insns)
                fe->restore_state(cpu, last_tb, &p->insn_data[0]);
            TCG_STAT_INC(exit_requested);
            last_tb = NULL;
        } else if (last_slot == TCG_TB_EXIT_NOCHAIN) {
            TCG_STAT_INC(exit_nochain);
            last_tb = NULL;
        }
    }
}

int tcg_cpu_exec(CPUState *cpu)
{
    if (cpu->halted) {
        if (!cpu->frontend->has_work(cpu))
            return EXCP_HALTED;
        cpu->halted = false;
    }
    CPUState *outer = current_cpu;
    current_cpu = cpu;
    tb_xpage_switch(cpu);
    int r;
    for (;;) {
        if (sigsetjmp(cpu->jmp_env, 0) == 0) {
            r = cpu_exec_loop(cpu);
            break;
        }
        /* Back from cpu_loop_exit: a fault during translation leaves this set. */
        tb_translating = NULL;
        tcg_helper_retaddr = 0;
    }
    current_cpu = outer;
    return r;
}

/* ---- statistics ---- */

void tcg_exec_stats_reset(void)
{
    memset(&tcg_exec_stats, 0, sizeof(tcg_exec_stats));
}

void tcg_exec_stats_dump(FILE *out)
{
    TCGExecStats s;
    memcpy(&s, &tcg_exec_stats, sizeof(s));
#define P(field, what) fprintf(out, "  %-22s %12llu  %s\n", #field, \
                               (unsigned long long)s.field, what)
    fprintf(out, "tcg statistics:\n");
    P(tb_translated, "blocks translated");
    P(tb_too_big, "translations retried with fewer instructions");
    P(tb_flushes, "code buffer flushes");
    P(tb_invalidated, "blocks invalidated (code writes, remaps)");
    P(code_bytes, "bytes of host code/bytecode generated");
    P(exec_entries, "blocks entered from the exec loop");
    P(jc_hits, "jump cache hits");
    P(hash_hits, "hash table hits");
    P(lookup_ptr_hits, "indirect-branch lookups that found a block");
    P(lookup_ptr_misses, "... that went back to the exec loop");
    P(chains_made, "direct jumps chained");
    P(chain_refused, "chaining refused (page, flags)");
    P(chains_undone_xpage, "... chains into a block's second page undone by TLB flushes");
    P(exit_requested, "exits on exit_request");
    P(exit_nochain, "exits marked not chainable");
    P(exits_unchained, "exits with nothing to chain");
    P(exceptions, "exceptions delivered");
    P(interrupts, "interrupts taken");
    P(smc_restarts, "instructions restarted after writing their own block");
    P(slow_load, "slow-path loads");
    P(slow_store, "slow-path stores");
    P(tlb_fills, "TLB fills (page walks)");
    P(victim_hits, "victim TLB hits");
    P(mmio_reads, "MMIO/ROM/unassigned reads");
    P(mmio_writes, "MMIO/ROM/unassigned writes");
    P(notdirty_writes, "stores to pages holding code");
    P(page_cross, "accesses split at a page boundary");
    P(unaligned, "misaligned MO_ALIGN accesses");
    P(code_fills, "code TLB fills");
    P(tlb_flushes, "TLB flushes (whole mmu index)");
    P(tlb_resizes, "TLB resizes");
    P(map_changes, "memory map changes seen");
#undef P
}
