/*
 * Translation blocks with the toy guest (toy_cpu.h): what a translated
 * block records (size, pages, code range, instruction map), the key,
 * chaining and unlinking on invalidation, per-page lists (a block on two
 * pages), byte-exact invalidation, huge-range invalidation, code buffer
 * flushes, frontend registry.
 */
#include "toy_cpu.h"

#define CPU (&toy_cpu->common)

static TranslationBlock *find_tb(uint64_t pc, uint32_t flags)
{
    uint64_t phys;
    if (!tcg_code_phys_addr(CPU, pc, 0, true, &phys))
        return NULL;
    return tb_lookup(CPU, phys, pc, 0, flags, 0);
}

/* A block knows its guest bytes, pages, host code range and where each
 * guest instruction's code starts; host addresses map back to it. */
TEST_CASE(tb_records)
{
    toy_setup();
    toy_org(0x3000);
    A_movi(1);
    A_addi(2);
    A_ld(2, 0x8000);
    A_jmp(0x3100);
    toy_org(0x3100);
    A_halt();
    CHECK_EQ(toy_run_at(0x3000), EXCP_HLT);
    TranslationBlock *tb = find_tb(0x3000, 0);
    CHECK(tb != NULL);
    CHECK_EQ(tb->pc, 0x3000);
    CHECK_EQ(tb->phys_pc, 0x3000);
    CHECK_EQ(tb->phys_page2, (uint64_t)-1);
    CHECK_EQ(tb->size, 17);
    CHECK_EQ(tb->icount, 4);
    CHECK(tb->code_size > 0);
    const TBPrivate *p = tb->priv;
    CHECK_EQ(p->n_insns, 4);
    CHECK_EQ(p->phys_start[0], 0x3000);
    CHECK_EQ(p->phys_end[0], 0x3011);
    CHECK(p->jump_used[0]);
    static const uint64_t starts[4] = { 0x3000, 0x3005, 0x3007, 0x300c };
    for (unsigned i = 0; i < 4; i++)
        CHECK_EQ(p->insn_data[i * TCG_INSN_START_WORDS], starts[i]);
    uintptr_t code = (uintptr_t)tb->code;
    CHECK(tb_find_by_host_pc(code) == tb);
    CHECK(tb_find_by_host_pc(code + tb->code_size - 1) == tb);
    CHECK(tb_find_by_host_pc(code + tb->code_size) != tb);
    CHECK(tb_find_by_host_pc(1) == NULL);
    /* A return address inside instruction 2's code restores its state. */
    toy_cpu->restore_count = 0;
    CHECK(cpu_restore_state_from_tb(CPU, tb, code + p->insn_off[2] + 1));
    CHECK_EQ(toy_cpu->pc, 0x3007);
    CHECK_EQ(toy_cpu->restored_idx, 2);
    CHECK(!cpu_restore_state_from_tb(CPU, tb, code + tb->code_size + 1));
    CHECK_EQ(toy_cpu->restore_count, 1);
}

/* The key includes the flags word: same pc, other flags, other block. */
TEST_CASE(tb_key_flags)
{
    toy_setup();
    toy_org(0x3000);
    A_movi(1);
    A_halt();
    CHECK_EQ(toy_run_at(0x3000), EXCP_HLT);
    uint64_t n = tcg_exec_stats.tb_translated;
    toy_cpu->mode = 1;
    CHECK_EQ(toy_run_at(0x3000), EXCP_HLT);
    CHECK_EQ(tcg_exec_stats.tb_translated, n + 1);
    CHECK(find_tb(0x3000, 0) != find_tb(0x3000, 1));
    toy_cpu->mode = 0;
    CHECK_EQ(toy_run_at(0x3000), EXCP_HLT);
    CHECK_EQ(tcg_exec_stats.tb_translated, n + 1);
}

/* A chained jump is undone when its target is invalidated: the source
 * forgets it, the target's incoming list empties, the lookup and jump
 * cache no longer find the target, and the next run chains a new one. */
TEST_CASE(tb_unlink_on_invalidate)
{
    toy_setup();
    toy_org(0x3000);
    const uint64_t counter = 0x8000;
    toy_ram[counter] = 3;
    uint64_t a = A_ld(0, counter);
    A_addi(-1);
    A_st(0, counter);
    A_jmp(0x3040);
    toy_org(0x3040);
    A_bnz(a);
    A_halt();
    CHECK_EQ(toy_run_at(0x3000), EXCP_HLT);
    TranslationBlock *ta = find_tb(0x3000, 0), *tb = find_tb(0x3040, 0);
    CHECK(ta && tb);
    CHECK(ta->priv->jmp_dest[0] == tb);
    CHECK(tb->priv->jmp_dest[0] == ta);    /* the loop back */
    CHECK_EQ(tb->priv->jmp_list_head, (uintptr_t)ta | 0);
    CHECK(CPU->jmp_cache->tb[tb_jc_hash(0x3040)] == tb);
    uint64_t chains = tcg_exec_stats.chains_made;
    tcg_invalidate_phys_range(0x3040, 1);
    CHECK(tb_is_invalid(tb));
    CHECK(!tb_is_invalid(ta));
    CHECK(ta->priv->jmp_dest[0] == NULL);
    CHECK(tb->priv->jmp_dest[0] == NULL);
    CHECK_EQ(tb->priv->jmp_list_head, 0);
    CHECK_EQ(ta->priv->jmp_list_head, 0);
    CHECK(find_tb(0x3040, 0) == NULL);
    CHECK(CPU->jmp_cache->tb[tb_jc_hash(0x3040)] == NULL);
    toy_ram[counter] = 2;
    CHECK_EQ(toy_run_at(0x3000), EXCP_HLT);
    CHECK_EQ(toy_ram[counter], 0);
    CHECK(find_tb(0x3040, 0) != NULL && find_tb(0x3040, 0) != tb);
    CHECK(tcg_exec_stats.chains_made > chains);
}

/* A block on two pages is on both lists; invalidating the second page's
 * bytes drops it and leaves the first page without code. */
TEST_CASE(tb_two_page_lists)
{
    toy_setup();
    toy_org(0x4ffe);
    A_movi(0xabcd);          /* 0x4ffe..0x5002 */
    A_halt();                /* at 0x5003: the next block */
    CHECK_EQ(toy_run_at(0x4ffe), EXCP_HLT);
    TranslationBlock *tb = find_tb(0x4ffe, 0);
    CHECK(tb != NULL);
    CHECK_EQ(tb->phys_page2, 0x5000);
    CHECK_EQ(tb->priv->phys_end[0], 0x5000);
    CHECK_EQ(tb->priv->phys_start[1], 0x5000);
    CHECK_EQ(tb->priv->phys_end[1], 0x5003);
    CHECK(tb_page_has_code(0x4000));
    tcg_invalidate_phys_range(0x5002, 1);
    CHECK(tb_is_invalid(tb));
    CHECK(!tb_page_has_code(0x4000));
    CHECK(tb_page_has_code(0x5000));         /* the halt block */
    /* Bytes past the block's end on page 2 do not touch it. */
    CHECK_EQ(toy_run_at(0x4ffe), EXCP_HLT);
    tb = find_tb(0x4ffe, 0);
    tcg_invalidate_phys_range(0x5004, 0x100);
    CHECK(!tb_is_invalid(tb));
}

/* Stores drop exactly the blocks whose bytes they touch: the per-page
 * mask of 64-byte pieces holding code only lets a store skip the walk of
 * the page's blocks, never keeps one it overwrites (first/last byte, a
 * block ending at the page end, a range starting before a block). */
TEST_CASE(tb_invalidate_exact_bytes)
{
    toy_setup();
    toy_org(0x6040);
    A_movi(1);               /* 0x6040..0x6045 */
    A_halt();                /* 0x6045 */
    toy_org(0x6ffa);
    A_movi(2);               /* 0x6ffa..0x6ffe */
    A_halt();                /* 0x6fff: the block ends with the page */
    CHECK_EQ(toy_run_at(0x6040), EXCP_HLT);
    CHECK_EQ(toy_run_at(0x6ffa), EXCP_HLT);
    TranslationBlock *x = find_tb(0x6040, 0), *y = find_tb(0x6ffa, 0);
    CHECK(x && y);
    CHECK_EQ(x->priv->phys_end[0], 0x6046);
    CHECK_EQ(y->priv->phys_end[0], 0x7000);
    CHECK_EQ(y->phys_page2, (uint64_t)-1);
    tcg_invalidate_phys_range(0x603f, 1);      /* just before x, another piece */
    tcg_invalidate_phys_range(0x6046, 1);      /* just after x, same piece */
    tcg_invalidate_phys_range(0x6000, 0x40);   /* the whole piece before x */
    tcg_invalidate_phys_range(0x6100, 0xe00);
    tcg_invalidate_phys_range(0x6ff9, 1);      /* just before y, same piece */
    tcg_invalidate_phys_range(0x7000, 0x40);   /* the next page */
    CHECK(!tb_is_invalid(x));
    CHECK(!tb_is_invalid(y));
    tcg_invalidate_phys_range(0x6045, 1);      /* x's last byte */
    CHECK(tb_is_invalid(x));
    CHECK(!tb_is_invalid(y));
    tcg_invalidate_phys_range(0x6fff, 1);      /* y's last byte */
    CHECK(tb_is_invalid(y));
    CHECK(!tb_page_has_code(0x6000));
    CHECK_EQ(toy_run_at(0x6040), EXCP_HLT);
    x = find_tb(0x6040, 0);
    CHECK(x != NULL);
    tcg_invalidate_phys_range(0x6000, 0x41);   /* ends at x's first byte */
    CHECK(tb_is_invalid(x));
}

/* Invalidating a huge range (a DMA into most of RAM) finds every block. */
TEST_CASE(tb_invalidate_huge_range)
{
    toy_setup();
    for (int i = 0; i < 20; i++) {
        toy_org(0x10000 + (uint64_t)i * 0x2000);
        A_movi((uint32_t)i);
        A_halt();
        CHECK_EQ(toy_run_at(0x10000 + (uint64_t)i * 0x2000), EXCP_HLT);
    }
    uint64_t inval = tcg_exec_stats.tb_invalidated;
    tcg_invalidate_phys_range(0x18000, 0x40000000);   /* blocks 4..19 */
    CHECK_EQ(tcg_exec_stats.tb_invalidated - inval, 16);
    CHECK(find_tb(0x10000 + 3 * 0x2000, 0) != NULL);
    CHECK(find_tb(0x10000 + 4 * 0x2000, 0) == NULL);
}

/* Filling a tiny buffer flushes it: old blocks are gone, the flush
 * generation moves, and execution goes on. */
TEST_CASE(tb_flush_when_full)
{
    toy_setup_size(TCG_CODE_BUFFER_MIN);
    uint64_t gen = tb_flush_generation();
    toy_org(0x3000);
    A_movi(1);
    A_halt();
    CHECK_EQ(toy_run_at(0x3000), EXCP_HLT);
    TranslationBlock *first = find_tb(0x3000, 0);
    CHECK(first != NULL);
    for (int i = 0; i < 400 && tb_flush_generation() == gen; i++) {
        uint64_t pc = 0x20000 + (uint64_t)i * 16;
        toy_org(pc);
        A_movi((uint32_t)i);
        A_halt();
        CHECK_EQ(toy_run_at(pc), EXCP_HLT);
        CHECK_EQ(toy_cpu->acc, (uint64_t)i);
    }
    CHECK(tb_flush_generation() != gen);
    CHECK(find_tb(0x3000, 0) == NULL);
    CHECK(!tb_page_has_code(0x3000));
    CHECK_EQ(toy_run_at(0x3000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 1);
}

/* Frontends are found by the name they registered. */
TEST_CASE(tb_frontend_registry)
{
    static const TCGFrontend other = { .name = "toy-registry-test" };
    CHECK(tcg_frontend_find("toy-registry-test") == NULL);
    tcg_frontend_register(&other);
    CHECK(tcg_frontend_find("toy-registry-test") == &other);
    CHECK(tcg_frontend_find("nonexistent") == NULL);
}

int main(void)
{
    toy_watchdog(120);
    RUN_BACKENDS(tb_records);
    RUN_BACKENDS(tb_key_flags);
    RUN_BACKENDS(tb_unlink_on_invalidate);
    RUN_BACKENDS(tb_two_page_lists);
    RUN_BACKENDS(tb_invalidate_exact_bytes);
    RUN_BACKENDS(tb_invalidate_huge_range);
    RUN_BACKENDS(tb_flush_when_full);
    RUN(tb_frontend_registry);
    TEST_EXIT();
}
