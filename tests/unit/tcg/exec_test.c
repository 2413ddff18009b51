/*
 * The exec loop with a toy guest (toy_cpu.h) on the interpreter backend
 * (and the native one when built): blocks run and chain, jump cache and
 * hash lookup (and what a TLB flush leaves of them), indirect branches, self-modifying code, blocks spanning two
 * pages, precise faults, kicks/interrupts from another thread, halt and
 * wake, code buffer full.
 */
#include "toy_cpu.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Straight-line code runs and the state after the halt is right. */
TEST_CASE(exec_basic)
{
    toy_setup();
    toy_org(0x1000);
    A_movi(5);
    A_addi(3);
    A_addi(-10);
    uint64_t h = A_halt();
    CHECK_EQ(toy_run_at(0x1000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, (uint64_t)-2);
    CHECK_EQ(toy_cpu->pc, h + 1);
    CHECK(toy_cpu->common.halted);
    CHECK_EQ(tcg_exec_stats.tb_translated, 1);
}

/* A 1000-iteration loop chains its block to itself: the exec loop is
 * entered a handful of times, not once per iteration. */
TEST_CASE(exec_loop_chains)
{
    toy_setup();
    toy_org(0x1000);
    A_movi(1000);
    uint64_t loop = A_addi(-1);
    A_bnz(loop);
    A_halt();
    CHECK_EQ(toy_run_at(0x1000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 0);
    CHECK(tcg_exec_stats.chains_made >= 1);
    CHECK(tcg_exec_stats.exec_entries < 10);
    CHECK_EQ(tcg_exec_stats.tb_translated, 3);   /* prologue, loop, halt */
}

/* Second run: jump cache hits, nothing translated. After the jump cache is
 * dropped (TLB flush): hash table hits. After the virtual page is remapped
 * to other physical bytes: the block keyed by physical pc is not reused. */
TEST_CASE(exec_jump_cache_and_hash)
{
    toy_setup();
    toy_org(0x3000);
    A_movi(11);
    A_halt();
    toy_org(0x5000);
    A_movi(22);
    A_halt();
    CHECK_EQ(toy_run_at(0x3000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 11);
    uint64_t translated = tcg_exec_stats.tb_translated;
    CHECK_EQ(toy_run_at(0x3000), EXCP_HLT);
    CHECK_EQ(tcg_exec_stats.tb_translated, translated);
    CHECK(tcg_exec_stats.jc_hits >= 1);
    tlb_flush_all(&toy_cpu->common);
    uint64_t hash_hits = tcg_exec_stats.hash_hits;
    CHECK_EQ(toy_run_at(0x3000), EXCP_HLT);
    CHECK_EQ(tcg_exec_stats.tb_translated, translated);
    CHECK(tcg_exec_stats.hash_hits > hash_hits);
    /* Same virtual pc, other physical page. */
    toy_map(0x3000, 0x5000, TOY_RWX);
    tlb_flush_page(&toy_cpu->common, 0x3000);
    CHECK_EQ(toy_run_at(0x3000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 22);
    CHECK(tcg_exec_stats.tb_translated > translated);
}

/* A TLB flush clears the jump cache from the list of slots filled since the
 * last one (more blocks than the list holds: all slots) and keeps the
 * blocks aside, to be taken back only for the same physical page: after a
 * remap to other code at the same virtual pc, the new code runs. */
TEST_CASE(exec_jump_cache_flush)
{
    toy_setup();
    for (unsigned nblocks = 4; nblocks <= 1024; nblocks *= 16) {
        /* nblocks one-instruction blocks over 16 pages: movi page; halt. */
        for (unsigned i = 0; i < nblocks; i++) {
            uint64_t pc = 0x10000 + (i % 16) * TCG_PAGE_SIZE + (i / 16) * 8;
            toy_org(pc);
            A_movi(i % 16);
            A_halt();
            toy_org(0x40000 + (pc - 0x10000));   /* the remap target: other code */
            A_movi(0x100 + i % 16);
            A_halt();
        }
        for (unsigned i = 0; i < nblocks; i++) {
            uint64_t pc = 0x10000 + (i % 16) * TCG_PAGE_SIZE + (i / 16) * 8;
            CHECK_EQ(toy_run_at(pc), EXCP_HLT);
            CHECK_EQ(toy_cpu->acc, i % 16);
        }
        uint64_t translated = tcg_exec_stats.tb_translated;
        tlb_flush_all(&toy_cpu->common);
        CHECK_EQ(toy_run_at(0x10000), EXCP_HLT);               /* same page: reused */
        CHECK_EQ(toy_cpu->acc, 0);
        CHECK_EQ(tcg_exec_stats.tb_translated, translated);
        for (unsigned pg = 0; pg < 16; pg += 5)
            toy_map(0x10000 + pg * TCG_PAGE_SIZE, 0x40000 + pg * TCG_PAGE_SIZE, TOY_RWX);
        tlb_flush_all(&toy_cpu->common);
        for (unsigned i = 0; i < nblocks; i++) {
            uint64_t pc = 0x10000 + (i % 16) * TCG_PAGE_SIZE + (i / 16) * 8;
            CHECK_EQ(toy_run_at(pc), EXCP_HLT);
            CHECK_EQ(toy_cpu->acc, (i % 16) % 5 == 0 ? 0x100 + i % 16 : i % 16);
        }
        toy_nmaps = 0;
        tlb_flush_all(&toy_cpu->common);
    }
    /* After a buffer flush the kept blocks are gone: everything translates
     * again and runs right. */
    tcg_tb_flush();
    tlb_flush_all(&toy_cpu->common);
    uint64_t translated = tcg_exec_stats.tb_translated;
    CHECK_EQ(toy_run_at(0x10000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 0);
    CHECK_EQ(tcg_exec_stats.tb_translated, translated + 1);
}

/* An indirect jump in a loop finds its target through the lookup helper
 * and goto_ptr, without going back to the exec loop. */
TEST_CASE(exec_indirect_jump)
{
    toy_setup();
    const uint64_t counter = 0x8000;
    toy_ram[counter] = 50;
    toy_org(0x1000);
    uint64_t loop = A_ld(0, counter);
    A_addi(-1);
    A_st(0, counter);
    uint64_t bnz = A_bnz(toy_asm_pc + 2);   /* patched below */
    A_halt();
    uint64_t cont = A_movi((uint32_t)loop);
    A_jmpi();
    toy_ram[bnz + 1] = (uint8_t)(cont - (bnz + 2));
    CHECK_EQ(toy_run_at(0x1000), EXCP_HLT);
    CHECK_EQ(toy_ram[counter], 0);
    CHECK(tcg_exec_stats.lookup_ptr_hits >= 45);
    CHECK(tcg_exec_stats.exec_entries < 10);
}

/* Indirect jumps between targets on one page, at offsets that shared a
 * jump-cache slot under the old (pc ^ pc >> 6) & 63 hash (0x000, 0x041;
 * 0x082, 0x0c3 ...). Native code probes the cache inline with its own copy
 * of the hash: once warm, the lookup helper (which counts its hits) is not
 * called at all. The interpreter always goes through the helper. */
TEST_CASE(exec_indirect_jump_inline_probe)
{
    toy_setup();
    static const uint16_t off[6] = { 0x000, 0x041, 0x082, 0x0c3, 0x7c0, 0x7ff - 30 };
    const uint64_t page = 0x6000, counter = 0x8000;
    toy_ram[counter] = 120;
    for (int i = 0; i < 6; i++) {
        toy_org(page + off[i]);
        A_ld(0, counter);
        A_addi(-1);
        A_st(0, counter);
        A_bnz(toy_asm_pc + 3);              /* over the halt */
        A_halt();
        A_movi((uint32_t)(page + off[(i + 1) % 6]));
        A_jmpk();
    }
    CHECK_EQ(toy_run_at(page), EXCP_HLT);
    CHECK_EQ(toy_ram[counter], 0);
    /* First round: each target and each block after a bnz once. */
    CHECK(tcg_exec_stats.exec_entries <= 14);
    if (toy_backend == &tcg_interp_backend)
        CHECK(tcg_exec_stats.lookup_ptr_hits >= 100);
    else
        CHECK(tcg_exec_stats.lookup_ptr_hits <= 12);
    /* The targets hold distinct slots of one group. */
    for (int i = 0; i < 6; i++) {
        CHECK_EQ(tb_jc_hash(page + off[i]) / TB_JC_GROUP, tb_jc_hash(page) / TB_JC_GROUP);
        for (int j = 0; j < i; j++)
            CHECK(tb_jc_hash(page + off[i]) != tb_jc_hash(page + off[j]));
    }
}

/* A store into another block's code (same page) invalidates it: the next
 * run of that code sees the new bytes. */
TEST_CASE(exec_smc_other_block)
{
    toy_setup();
    toy_org(0x2000);
    uint64_t b = A_movi(7);
    A_halt();
    CHECK_EQ(toy_run_at(b), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 7);
    toy_org(0x2100);
    A_movi(0x42);
    A_st(0, b + 1);           /* the immediate of B's movi */
    A_jmp(b);
    CHECK_EQ(toy_run_at(0x2100), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 0x42);
    CHECK(tcg_exec_stats.tb_invalidated >= 1);
    CHECK_EQ(tcg_exec_stats.smc_restarts, 0);
}

/* A block that stores into one of its own later instructions: the store
 * restarts as a one-instruction block and the rest runs from the new bytes. */
TEST_CASE(exec_smc_own_block)
{
    toy_setup();
    toy_org(0x2000);
    A_movi(5);
    uint64_t st = A_st(0, 0);   /* target patched below */
    uint64_t l = A_addi(1);     /* becomes addi 5 */
    A_halt();
    toy_ram[st + 1] = (uint8_t)(l + 1);
    toy_ram[st + 2] = (uint8_t)((l + 1) >> 8);
    CHECK_EQ(toy_run_at(0x2000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 10);
    CHECK_EQ(toy_ram[l + 1], 5);
    CHECK_EQ(tcg_exec_stats.smc_restarts, 1);
}

/* A read-modify-write of its own code is applied exactly once across the
 * restart (the store had not happened when the block was left). */
TEST_CASE(exec_smc_rmw_once)
{
    toy_setup();
    toy_org(0x2000);
    A_movi(0);
    uint64_t inc = A_incb(0);
    uint64_t l = A_addi(1);
    A_halt();
    toy_ram[inc + 1] = (uint8_t)(l + 1);
    toy_ram[inc + 2] = (uint8_t)((l + 1) >> 8);
    CHECK_EQ(toy_run_at(0x2000), EXCP_HLT);
    CHECK_EQ(toy_ram[l + 1], 2);
    CHECK_EQ(toy_cpu->acc, 2);
    CHECK_EQ(tcg_exec_stats.smc_restarts, 1);
}

/* A block whose last instruction crosses into the next page: it is on both
 * pages' lists (a write to the second page invalidates it), and a remap of
 * the second page alone makes the lookup translate again. */
TEST_CASE(exec_block_spans_pages)
{
    toy_setup();
    toy_org(0x1ffc);
    uint64_t a = A_addi(1);
    uint64_t m = A_movi(0x1234);   /* 0x1ffe..0x2002 */
    A_halt();
    CHECK_EQ(m + 5, 0x2003);
    CHECK_EQ(toy_run_at(a), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 0x1234);
    uint64_t translated = tcg_exec_stats.tb_translated;
    uint64_t inval = tcg_exec_stats.tb_invalidated;
    tcg_invalidate_phys_range(0x2000, 1);   /* imm byte 1, on page 2 */
    CHECK(tcg_exec_stats.tb_invalidated > inval);
    toy_ram[0x2000] = 0x56;
    CHECK_EQ(toy_run_at(a), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 0x5634);
    CHECK(tcg_exec_stats.tb_translated > translated);
    /* Page 2 now comes from another physical page with other bytes. */
    memcpy(toy_ram + 0x9000, toy_ram + 0x2000, 0x1000);
    toy_ram[0x9000] = 0x77;
    toy_map(0x2000, 0x9000, TOY_RWX);
    tlb_flush_page(&toy_cpu->common, 0x2000);
    CHECK_EQ(toy_run_at(a), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 0x7734);
}

/* A direct jump into a block that runs onto the next page is chained, and
 * the chain is undone by the next TLB flush: after the second page is
 * remapped and flushed, the jump must not run the old second page. */
TEST_CASE(exec_chain_into_two_page_block)
{
    toy_setup();
    toy_org(0x2f00);
    uint64_t a = A_jmp(0x2ffc);                /* block A: page 0x2000 only */
    toy_org(0x2ffc);
    A_addi(1);
    A_movi(0x1234);                            /* 0x2ffe..0x3002: imm 0x34, 0x12, 0, 0 */
    A_halt();
    CHECK_EQ(toy_run_at(a), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 0x1234);
    CHECK_EQ(tcg_exec_stats.chains_made, 1);   /* A -> B */
    CHECK_EQ(tcg_exec_stats.chain_refused, 1); /* B -> the halt at 0x3003: other page */
    uint64_t entries = tcg_exec_stats.exec_entries;
    CHECK_EQ(toy_run_at(a), EXCP_HLT);         /* A (-> B chained), the halt */
    CHECK_EQ(tcg_exec_stats.exec_entries, entries + 2);
    CHECK_EQ(toy_cpu->acc, 0x1234);

    /* Page 0x3000 now comes from other bytes: unreachable through the
     * chain once the guest has flushed. */
    memcpy(toy_ram + 0x9000, toy_ram + 0x3000, 0x1000);
    toy_ram[0x9000] = 0x77;
    toy_map(0x3000, 0x9000, TOY_RWX);
    tlb_flush_page(&toy_cpu->common, 0x3000);
    CHECK_EQ(toy_run_at(a), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 0x7734);
    CHECK_EQ(tcg_exec_stats.chains_undone_xpage, 1);
    CHECK_EQ(tcg_exec_stats.chains_made, 2);   /* A -> the new B */

    /* Any flush undoes it, another page's too (the TLB still maps 0x3000
     * to 0x9000 after it: the old second page is still right, and linked
     * again); a link whose target was invalidated meanwhile is left alone. */
    toy_map(0x3000, 0x3000, TOY_RWX);
    tlb_flush_page(&toy_cpu->common, 0x5000);
    CHECK_EQ(tcg_exec_stats.chains_undone_xpage, 2);
    CHECK_EQ(toy_run_at(a), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 0x7734);
    CHECK_EQ(tcg_exec_stats.chains_made, 3);
    tlb_flush_all(&toy_cpu->common);
    CHECK_EQ(tcg_exec_stats.chains_undone_xpage, 3);
    CHECK_EQ(toy_run_at(a), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 0x1234);
    CHECK_EQ(tcg_exec_stats.chains_made, 4);
    tcg_invalidate_phys_range(0x3000, 1);
    toy_ram[0x3000] = 0x56;
    tlb_flush_all(&toy_cpu->common);
    CHECK_EQ(tcg_exec_stats.chains_undone_xpage, 3);
    CHECK_EQ(toy_run_at(a), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 0x5634);
    /* Another vCPU may map the second page elsewhere without any flush:
     * the links are undone before it runs, and made again for the first. */
    uint64_t made = tcg_exec_stats.chains_made;
    ToyCPU *other = toy_cpu_new(1);
    toy_org(0x5000);
    A_halt();
    other->pc = 0x5000;
    CHECK_EQ(toy_run_until_halt(other, 100), EXCP_HLT);
    CHECK_EQ(tcg_exec_stats.chains_undone_xpage, 4);
    CHECK_EQ(toy_run_at(a), EXCP_HLT);
    CHECK_EQ(tcg_exec_stats.chains_made, made + 1);
    toy_cpu_free(other);
    /* After a buffer flush the list is empty: nothing dangles. */
    tcg_tb_flush();
    tlb_flush_all(&toy_cpu->common);
    CHECK_EQ(toy_run_at(a), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 0x5634);
}

/* A fault in the middle of a block: the instructions before it have run,
 * those after it have not, pc is the faulting instruction's; the
 * exception is delivered to the handler. */
TEST_CASE(exec_page_fault_precise)
{
    toy_setup();
    toy_map(0x50000, 0x50000, 0);
    toy_org(0x4000);
    uint64_t h = A_halt();
    toy_org(0x1000);
    A_movi(1);
    A_addi(1);
    uint64_t ld = A_ld(2, 0x50010);
    A_addi(5);
    A_halt();
    toy_cpu->handler = h;
    CHECK_EQ(toy_run_at(0x1000), EXCP_HLT);
    CHECK_EQ(toy_cpu->exc_count, 1);
    CHECK_EQ(toy_cpu->last_exc, TOY_EXC_PF);
    CHECK_EQ(toy_cpu->exc_pc, ld);
    CHECK_EQ(toy_cpu->fault_addr, 0x50010);
    CHECK_EQ(toy_cpu->fault_access, TCG_ACCESS_LOAD);
    CHECK_EQ(toy_cpu->acc, 2);
    CHECK_EQ(toy_cpu->restored_idx, 2);   /* third instruction of the block */
    CHECK_EQ(toy_cpu->pc, h + 1);
    /* A store to a read-only page faults the same way, memory untouched. */
    toy_map(0x51000, 0x51000, TOY_R);
    toy_org(0x1100);
    A_movi(9);
    uint64_t st = A_st(3, 0x51000);
    A_halt();
    toy_ram[0x51000] = 0xee;
    CHECK_EQ(toy_run_at(0x1100), EXCP_HLT);
    CHECK_EQ(toy_cpu->exc_count, 2);
    CHECK_EQ(toy_cpu->exc_pc, st);
    CHECK_EQ(toy_cpu->fault_access, TCG_ACCESS_STORE);
    CHECK_EQ(toy_ram[0x51000], 0xee);
}

/* Instruction fetch faults: a jump to an unmapped page; and an instruction
 * that runs into an unmapped page ends the block before it, then faults
 * (on the second page) when it runs first. */
TEST_CASE(exec_fetch_fault)
{
    toy_setup();
    toy_map(0x60000, 0x60000, 0);
    toy_org(0x4000);
    uint64_t h = A_halt();
    toy_cpu->handler = h;
    toy_org(0x1000);
    A_movi(3);
    A_jmp(0x60000);
    CHECK_EQ(toy_run_at(0x1000), EXCP_HLT);
    CHECK_EQ(toy_cpu->last_exc, TOY_EXC_PF);
    CHECK_EQ(toy_cpu->fault_addr, 0x60000);
    CHECK_EQ(toy_cpu->fault_access, TCG_ACCESS_FETCH);
    CHECK_EQ(toy_cpu->exc_pc, 0x60000);
    CHECK_EQ(toy_cpu->acc, 3);
    /* movi at 0x5fffd runs into 0x60000. */
    toy_org(0x5fff9);
    A_addi(4);
    A_nop();
    A_nop();
    uint64_t m = A_movi(0x99);
    CHECK_EQ(m, 0x5fffd);
    toy_cpu->acc = 0;
    CHECK_EQ(toy_run_at(0x5fff9), EXCP_HLT);
    CHECK_EQ(toy_cpu->exc_count, 2);
    CHECK_EQ(toy_cpu->acc, 4);          /* the addi ran */
    CHECK_EQ(toy_cpu->exc_pc, m);
    CHECK_EQ(toy_cpu->fault_addr, 0x60000);
}

/* An exception raised by a helper in mid-block restores the pc of its
 * instruction (insn_start data through TCG_GETPC). */
TEST_CASE(exec_raise_helper)
{
    toy_setup();
    toy_org(0x4000);
    uint64_t h = A_halt();
    toy_cpu->handler = h;
    toy_org(0x1000);
    A_movi(1);
    A_nop();
    uint64_t r = A_raise(33);
    A_addi(1);
    CHECK_EQ(toy_run_at(0x1000), EXCP_HLT);
    CHECK_EQ(toy_cpu->last_exc, 33);
    CHECK_EQ(toy_cpu->exc_pc, r);
    CHECK_EQ(toy_cpu->acc, 1);
    /* An invalid opcode too. */
    toy_org(0x1100);
    A_addi(2);
    toy_b(0);
    CHECK_EQ(toy_run_at(0x1100), EXCP_HLT);
    CHECK_EQ(toy_cpu->last_exc, TOY_EXC_UD);
    CHECK_EQ(toy_cpu->exc_pc, 0x1102);
    CHECK_EQ(toy_cpu->acc, 3);
}

/* MO_ALIGN: a misaligned access raises through the frontend, precisely. */
TEST_CASE(exec_unaligned)
{
    toy_setup();
    toy_org(0x4000);
    uint64_t h = A_halt();
    toy_cpu->handler = h;
    toy_org(0x1000);
    A_lda(2, 0x8004);     /* aligned: fine */
    A_movi(6);
    uint64_t bad = A_lda(2, 0x8006);
    A_movi(7);
    CHECK_EQ(toy_run_at(0x1000), EXCP_HLT);
    CHECK_EQ(toy_cpu->last_exc, TOY_EXC_ALIGN);
    CHECK_EQ(toy_cpu->exc_pc, bad);
    CHECK_EQ(toy_cpu->fault_addr, 0x8006);
    CHECK_EQ(toy_cpu->acc, 6);
}

/* Guest loads and stores to the MMIO device reach it with the right
 * offsets, sizes and values. */
TEST_CASE(exec_mmio)
{
    toy_setup();
    toy_org(0x1000);
    A_movi(0x12345678);
    A_st(0, TOY_MMIO_BASE + 0x10);
    A_st(1, TOY_MMIO_BASE + 0x20);
    A_st(2, TOY_MMIO_BASE + 0x30);
    A_st(3, TOY_MMIO_BASE + 0x40);
    A_ld(1, TOY_MMIO_BASE + 0x4);
    A_st(3, 0x8000);
    A_ld(2, TOY_MMIO_BASE + 0x8);
    A_halt();
    CHECK_EQ(toy_run_at(0x1000), EXCP_HLT);
    CHECK_EQ(toy_dev_n, 6);
    const ToyDevAccess want[6] = {
        { 0x10, 0x78, 1, true }, { 0x20, 0x5678, 2, true }, { 0x30, 0x12345678, 4, true },
        { 0x40, 0x12345678, 8, true }, { 0x4, 0xa5a4, 2, false }, { 0x8, 0xabaaa9a8, 4, false },
    };
    for (int i = 0; i < 6; i++) {
        CHECK_EQ(toy_dev_log[i].off, want[i].off);
        CHECK_EQ(toy_dev_log[i].size, want[i].size);
        CHECK_EQ(toy_dev_log[i].val, want[i].val);
        CHECK_EQ(toy_dev_log[i].write, want[i].write);
    }
    CHECK_EQ(toy_ram[0x8000], 0xa4);
    CHECK_EQ(toy_cpu->acc, 0xabaaa9a8);
}

static void *interrupt_later(void *arg)
{
    struct timespec ts = { 0, 30 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    cpu_interrupt(arg, CPU_INTERRUPT_HARD);
    return NULL;
}

/* An endless chained loop stops promptly when another thread raises an
 * interrupt: the exit_request check at block entry. */
TEST_CASE(exec_interrupt_long_loop)
{
    toy_setup();
    toy_org(0x4000);
    uint64_t h = A_halt();
    toy_cpu->irq_handler = h;
    toy_org(0x1000);
    A_sti();
    uint64_t loop = A_addi(1);
    A_jmp(loop);
    toy_cpu->pc = 0x1000;
    pthread_t th;
    int64_t t0 = now_ns();
    pthread_create(&th, NULL, interrupt_later, &toy_cpu->common);
    int r = toy_run_until_halt(toy_cpu, 100);
    int64_t dt = now_ns() - t0;
    pthread_join(th, NULL);
    CHECK_EQ(r, EXCP_HLT);
    CHECK_EQ(toy_cpu->irq_count, 1);
    CHECK_EQ(toy_cpu->irq_pc, loop);
    CHECK(toy_cpu->acc > 1000);          /* it really looped meanwhile */
    CHECK(dt < 2000000000LL);
    CHECK(tcg_exec_stats.exit_requested >= 1);
}

/* Two blocks chained into a cycle store no pc on their chained jumps: when
 * an interrupt stops one at its entry check, the loop restores that block's
 * pc, so the handler sees where the guest really was. */
TEST_CASE(exec_interrupt_chained_cycle)
{
    toy_setup();
    toy_org(0x4000);
    toy_cpu->irq_handler = A_halt();
    toy_org(0x1000);
    A_sti();
    A_movi(0);
    A_jmp(0x2000);
    toy_org(0x2000);
    A_addi(1);
    A_jmp(0x2100);
    toy_org(0x2100);      /* same page: the two chain */
    A_addi(2);
    A_jmp(0x2000);
    toy_cpu->pc = 0x1000;
    pthread_t th;
    pthread_create(&th, NULL, interrupt_later, &toy_cpu->common);
    int r = toy_run_until_halt(toy_cpu, 100);
    pthread_join(th, NULL);
    CHECK_EQ(r, EXCP_HLT);
    CHECK_EQ(toy_cpu->irq_count, 1);
    CHECK(toy_cpu->acc > 1000);
    /* After the 0x2000 block acc = 1 (mod 3), after the 0x2100 one 0. */
    if (toy_cpu->irq_pc == 0x2000) {
        CHECK_EQ(toy_cpu->acc % 3, 0);
    } else {
        CHECK_EQ(toy_cpu->irq_pc, 0x2100);
        CHECK_EQ(toy_cpu->acc % 3, 1);
    }
    CHECK(tcg_exec_stats.chains_made >= 2);
}

/* A halted CPU with no work returns EXCP_HALTED; a waiter on the kick
 * generation wakes when another thread interrupts it, and the interrupt
 * is taken. */
TEST_CASE(exec_halt_wakes)
{
    toy_setup();
    toy_org(0x4000);
    A_movi(77);
    uint64_t h2 = A_halt();
    toy_cpu->irq_handler = 0x4000;
    toy_org(0x1000);
    A_sti();
    uint64_t h = A_halt();
    toy_cpu->pc = 0x1000;
    CHECK_EQ(toy_run_until_halt(toy_cpu, 10), EXCP_HLT);
    CHECK_EQ(toy_cpu->pc, h + 1);
    CHECK_EQ(tcg_cpu_exec(&toy_cpu->common), EXCP_HALTED);
    pthread_t th;
    uint64_t gen = tcg_kick_generation();
    pthread_create(&th, NULL, interrupt_later, &toy_cpu->common);
    int woke = 0;
    for (int i = 0; i < 100 && !woke; i++) {
        if (toy_cpu->common.frontend->has_work(&toy_cpu->common)) {
            woke = 1;
            break;
        }
        tcg_wait_kick(gen);
        gen = tcg_kick_generation();
    }
    pthread_join(th, NULL);
    CHECK(woke);
    CHECK_EQ(toy_run_until_halt(toy_cpu, 10), EXCP_HLT);
    CHECK_EQ(toy_cpu->irq_count, 1);
    CHECK_EQ(toy_cpu->irq_pc, h + 1);
    CHECK_EQ(toy_cpu->acc, 77);
    CHECK_EQ(toy_cpu->pc, h2 + 1);
}

/* A tiny code buffer: many distinct blocks force flushes, and execution
 * stays right across them (also inside a chained loop). */
TEST_CASE(exec_buffer_full)
{
    toy_setup_size(TCG_CODE_BUFFER_MIN);
    /* 600 blocks of "addi 1; jmp next", then a loop over all of them 3 times. */
    const uint64_t base = 0x10000, counter = 0x8000;
    toy_ram[counter] = 3;
    toy_org(0x1000);
    A_movi(0);
    A_jmp(base);
    for (int i = 0; i < 600; i++) {
        toy_org(base + (uint64_t)i * 8);
        A_addi(1);
        A_jmp(base + (uint64_t)(i + 1) * 8);
    }
    toy_org(base + 600 * 8);
    /* acc holds the sum; keep it in memory while counting passes. */
    A_st(3, 0x8100);
    A_ld(0, counter);
    A_addi(-1);
    A_st(0, counter);
    uint64_t bnz = A_bnz(toy_asm_pc + 2);
    A_ld(3, 0x8100);
    A_halt();
    uint64_t again = A_ld(3, 0x8100);
    A_jmp(base);
    toy_ram[bnz + 1] = (uint8_t)(again - (bnz + 2));
    CHECK_EQ(toy_run_at(0x1000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 1800);
    CHECK(tcg_exec_stats.tb_flushes >= 2);   /* the setup flush + at least one more */
}

/* Kicks without an interrupt make tcg_cpu_exec return EXCP_INTERRUPT and
 * the CPU resumes where it was. */
TEST_CASE(exec_kick_resumes)
{
    toy_setup();
    toy_org(0x1000);
    A_movi(0);
    uint64_t loop = A_addi(1);
    A_jmp(loop);
    toy_cpu->pc = 0x1000;
    cpu_kick(&toy_cpu->common);
    CHECK_EQ(tcg_cpu_exec(&toy_cpu->common), EXCP_INTERRUPT);
    CHECK_EQ(toy_cpu->acc, 0);    /* the kick was seen before anything ran */
    pthread_t th;
    /* interrupt_later raises HARD, but interrupts are off: only a kick. */
    pthread_create(&th, NULL, interrupt_later, &toy_cpu->common);
    int r = tcg_cpu_exec(&toy_cpu->common);
    pthread_join(th, NULL);
    CHECK_EQ(r, EXCP_INTERRUPT);
    uint64_t acc = toy_cpu->acc;
    CHECK(acc > 0);
    CHECK(toy_cpu->pc == loop);
    cpu_reset_interrupt(&toy_cpu->common, CPU_INTERRUPT_HARD);
}

int main(void)
{
    toy_watchdog(120);
    RUN_BACKENDS(exec_basic);
    RUN_BACKENDS(exec_loop_chains);
    RUN_BACKENDS(exec_jump_cache_and_hash);
    RUN_BACKENDS(exec_jump_cache_flush);
    RUN_BACKENDS(exec_indirect_jump);
    RUN_BACKENDS(exec_indirect_jump_inline_probe);
    RUN_BACKENDS(exec_smc_other_block);
    RUN_BACKENDS(exec_smc_own_block);
    RUN_BACKENDS(exec_smc_rmw_once);
    RUN_BACKENDS(exec_block_spans_pages);
    RUN_BACKENDS(exec_chain_into_two_page_block);
    RUN_BACKENDS(exec_page_fault_precise);
    RUN_BACKENDS(exec_fetch_fault);
    RUN_BACKENDS(exec_raise_helper);
    RUN_BACKENDS(exec_unaligned);
    RUN_BACKENDS(exec_mmio);
    RUN_BACKENDS(exec_interrupt_long_loop);
    RUN_BACKENDS(exec_interrupt_chained_cycle);
    RUN_BACKENDS(exec_halt_wakes);
    RUN_BACKENDS(exec_buffer_full);
    RUN_BACKENDS(exec_kick_resumes);
    TEST_EXIT();
}
