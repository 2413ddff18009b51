/*
 * Liveness and global sync: per-op dead/sync annotations on known programs;
 * helpers that read the state struct see current globals, helpers that write
 * it are seen by later IR; guest memory ops and block exits find the state
 * precise; the backend never finds a global liveness forgot to sync.
 */
#include "harness.h"

#define TEST_HELPERS(H) \
    H(peek_r1, TCG_CALL_NO_WRITE_GLOBALS, void, env) \
    H(peek_r1_nr, TCG_CALL_NO_GLOBALS, void, env) \
    H(set_r2, TCG_CALL_NO_READ_GLOBALS, void, env, i64) \
    H(raise_check, TCG_CALL_NO_GLOBALS | TCG_CALL_MAY_RAISE, void, env)
TEST_HELPERS(TCG_HELPER_DECLARE)
TEST_HELPERS(TCG_HELPER_DEFINE)

void helper_peek_r1(void *env) { ((TestCPU *)env)->seen[0] = ((TestCPU *)env)->r[1]; }
void helper_peek_r1_nr(void *env) { ((TestCPU *)env)->seen[1]++; }
void helper_set_r2(void *env, uint64_t v) { ((TestCPU *)env)->r[2] = v; }
void helper_raise_check(void *env) { ((TestCPU *)env)->seen[2] = ((TestCPU *)env)->r[1]; }

static TCGOp *nth_op(int n)
{
    TCGOp *op = test_ctx.first_op;
    while (op && n--) {
        op = op->next;
    }
    return op;
}

TEST_CASE(annotations_on_a_small_block)
{
    block_start(false);
    TCGv_i64 t = tcg_temp_new_i64();
    tcg_gen_add_i64(t, gr[1], gr[2]);     /* 0: r1, r2 die here; t lives */
    tcg_gen_mov_i64(gr[0], t);            /* 1: t dies; r0 synced and dead */
    tcg_gen_mov_i64(gr[3], gr[0]);        /* 2: r0 read again: 1 must not mark it dead */
    tcg_gen_exit_tb(NULL, 0);
    tcg_liveness(&test_ctx);
    TCGOp *op0 = nth_op(0), *op1 = nth_op(1), *op2 = nth_op(2);
    CHECK_EQ(op0->life, TCG_DEAD_ARG(1) | TCG_DEAD_ARG(2));
    /* r0: synced at its definition (needed in memory at exit), still live for op 2 */
    CHECK_EQ(op1->life, TCG_DEAD_ARG(1) | TCG_SYNC_ARG(0));
    CHECK_EQ(op2->life, TCG_DEAD_ARG(0) | TCG_DEAD_ARG(1) | TCG_SYNC_ARG(0));
}

TEST_CASE(redefined_global_not_synced_twice)
{
    block_start(false);
    tcg_gen_movi_i64(gr[0], 1);           /* dead: overwritten, nothing reads memory between */
    tcg_gen_movi_i64(gr[0], 2);
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    CHECK_EQ(count_all_ops(), 2);
    block_run();
    CHECK_EQ(cpu.r[0], 2);

    /* ... but a helper that reads globals in between must see the first value. */
    block_start(false);
    tcg_gen_movi_i64(gr[1], 11);
    gen_helper_peek_r1(tcg_env);
    tcg_gen_movi_i64(gr[1], 12);
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    CHECK_EQ(count_all_ops(), 4);
    CHECK(tcg_op_sync(nth_op(0), 0));
    block_run();
    CHECK_EQ(cpu.seen[0], 11);
    CHECK_EQ(cpu.r[1], 12);
}

TEST_CASE(helper_reading_state_sees_current_globals)
{
    for (int opt = 0; opt < 2; opt++) {
        block_start(opt);
        tcg_gen_addi_i64(gr[1], gr[1], 5);
        gen_helper_peek_r1(tcg_env);
        tcg_gen_addi_i64(gr[1], gr[1], 5);
        gen_helper_raise_check(tcg_env);   /* MAY_RAISE: state synced even though NO_GLOBALS */
        gen_helper_peek_r1_nr(tcg_env);    /* NO_GLOBALS: no sync needed, nothing breaks */
        tcg_gen_addi_i64(gr[1], gr[1], 5);
        tcg_gen_exit_tb(NULL, 0);
        CHECK(block_compile() > 0);
        cpu.r[1] = 100;
        cpu.seen[0] = cpu.seen[2] = 0;
        block_run();
        CHECK_EQ(cpu.seen[0], 105);
        CHECK_EQ(cpu.seen[2], 110);
        CHECK_EQ(cpu.r[1], 115);
    }
}

TEST_CASE(helper_writing_state_seen_by_later_ir)
{
    for (int opt = 0; opt < 2; opt++) {
        block_start(opt);
        tcg_gen_mov_i64(gr[0], gr[2]);           /* r2 loaded before the call */
        gen_helper_set_r2(tcg_env, gr[3]);       /* writes r2 behind the IR's back */
        tcg_gen_addi_i64(gr[4], gr[2], 1);       /* must reload r2 */
        tcg_gen_exit_tb(NULL, 0);
        CHECK(block_compile() > 0);
        cpu.r[2] = 7;
        cpu.r[3] = 1000;
        block_run();
        CHECK_EQ(cpu.r[0], 7);
        CHECK_EQ(cpu.r[2], 1000);
        CHECK_EQ(cpu.r[4], 1001);
    }
}

TEST_CASE(helper_write_does_not_lose_dirty_globals)
{
    /* r5 is modified before a call that may write globals and read after it:
     * the call must not make us reload a stale r5 from memory. */
    for (int opt = 0; opt < 2; opt++) {
        block_start(opt);
        tcg_gen_addi_i64(gr[5], gr[5], 3);
        gen_helper_set_r2(tcg_env, gr[3]);
        tcg_gen_addi_i64(gr[6], gr[5], 1);
        tcg_gen_exit_tb(NULL, 0);
        CHECK(block_compile() > 0);
        cpu.r[5] = 10;
        block_run();
        CHECK_EQ(cpu.r[5], 13);
        CHECK_EQ(cpu.r[6], 14);
    }
}

TEST_CASE(guest_memory_fault_sees_precise_state)
{
    for (volatile int opt = 0; opt < 2; opt++) {   /* volatile: setjmp below */
        block_start(opt);
        tcg_gen_insn_start(0x1000, 0);
        tcg_gen_movi_i64(gr[1], 77);
        tcg_gen_insn_start(0x1004, 9);
        TCGv_i64 v = tcg_temp_new_i64();
        tcg_gen_guest_ld_i64(v, gr[3], 2, MO_UQ);     /* faults when r3 is out of range */
        tcg_gen_insn_start(0x1008, 0);
        tcg_gen_movi_i64(gr[1], 88);
        tcg_gen_add_i64(gr[4], v, gr[1]);
        tcg_gen_exit_tb(NULL, 0);
        CHECK(block_compile() > 0);

        cpu.r[1] = 1;
        cpu.r[3] = 8;
        memset(test_mem + 8, 0, 8);
        test_mem[8] = 5;
        mem_calls = 0;
        block_run();
        CHECK_EQ(mem_calls, 1);
        CHECK_EQ(mem_seen_r[1], 77);     /* synced before the access */
        CHECK_EQ(cpu.r[4], 93);
        CHECK_EQ(last_mmu_idx, 2);

        cpu.r[1] = 1;
        cpu.r[3] = TEST_MEM_SIZE;
        if (setjmp(fault_jmp) == 0) {
            block_run();
            CHECK(!"no fault");
        }
        CHECK_EQ(cpu.r[1], 77);          /* state precise at the faulting insn */
        CHECK_EQ(fault_addr, TEST_MEM_SIZE);
        int i = tcg_code_info_find_insn(&code_info, fault_retaddr - 1 - (uintptr_t)code_buf);
        CHECK_EQ(i, 1);
        CHECK_EQ(code_info.insn_data[i][0], 0x1004);
        CHECK_EQ(code_info.insn_data[i][1], 9);
    }
}

TEST_CASE(globals_synced_on_both_sides_of_a_branch)
{
    for (int opt = 0; opt < 2; opt++) {
        block_start(opt);
        TCGLabel *l = gen_new_label();
        TCGv_i64 keep = tcg_temp_new_tb_i64();
        tcg_gen_addi_i64(gr[1], gr[1], 1);
        tcg_gen_mov_i64(keep, gr[1]);
        tcg_gen_brcondi_i64(TCG_COND_EQ, gr[2], 0, l);
        tcg_gen_addi_i64(gr[1], gr[1], 10);
        tcg_gen_movi_i64(keep, 1000);
        gen_set_label(l);
        tcg_gen_add_i64(gr[0], gr[1], keep);
        tcg_gen_exit_tb(NULL, 0);
        CHECK(block_compile() > 0);
        for (int taken = 0; taken < 2; taken++) {
            cpu.r[1] = 5;
            cpu.r[2] = (uint64_t)!taken;
            block_run();
            CHECK_EQ(cpu.r[1], taken ? 6u : 16u);
            CHECK_EQ(cpu.r[0], taken ? 12u : 1016u);
        }
    }
}

TEST_CASE(i32_globals_keep_their_width)
{
    block_start(true);
    tcg_gen_addi_i32(gw[0], gw[0], 1);
    tcg_gen_mov_i32(gw[1], gw[0]);
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    cpu.w[0] = 0xffffffff;
    cpu.w[1] = 0x12345678;
    cpu.w[2] = 0xabcdef01;    /* the neighbour field must survive 32-bit stores */
    block_run();
    CHECK_EQ(cpu.w[0], 0);
    CHECK_EQ(cpu.w[1], 0);
    CHECK_EQ(cpu.w[2], 0xabcdef01);
}

TEST_CASE(tb_temp_never_read_again_is_dropped)
{
    /* t is written, a branch follows, nobody reads t afterwards: with only
     * forward branches it needs no memory slot and its write goes. */
    block_start(false);
    TCGLabel *l = gen_new_label();
    TCGv_i64 t = tcg_temp_new_tb_i64(), k = tcg_temp_new_tb_i64();
    tcg_gen_add_i64(t, gr[1], gr[2]);
    tcg_gen_mov_i64(k, gr[1]);
    tcg_gen_brcondi_i64(TCG_COND_EQ, gr[3], 0, l);
    tcg_gen_movi_i64(gr[0], 1);
    gen_set_label(l);
    tcg_gen_mov_i64(gr[4], k);                /* k is read after the label: kept */
    tcg_gen_exit_tb(NULL, 0);
    tcg_liveness(&test_ctx);
    CHECK_EQ(count_ops(INDEX_op_add), 0);
    TCGOp *mk = nth_op(0);
    CHECK_EQ(mk->opc, INDEX_op_mov);
    CHECK(tcg_op_sync(mk, 0));                /* in its slot for the label */
    for (int taken = 0; taken < 2; taken++) {
        block_start(false);
        l = gen_new_label();
        t = tcg_temp_new_tb_i64();
        k = tcg_temp_new_tb_i64();
        tcg_gen_add_i64(t, gr[1], gr[2]);
        tcg_gen_mov_i64(k, gr[1]);
        tcg_gen_brcondi_i64(TCG_COND_EQ, gr[3], 0, l);
        tcg_gen_movi_i64(gr[0], 1);
        gen_set_label(l);
        tcg_gen_mov_i64(gr[4], k);
        tcg_gen_exit_tb(NULL, 0);
        CHECK(block_compile() > 0);
        cpu.r[0] = 0;
        cpu.r[1] = 9;
        cpu.r[3] = (uint64_t)taken;
        block_run();
        CHECK_EQ(cpu.r[4], 9);
        CHECK_EQ(cpu.r[0], (uint64_t)taken);
    }
}

TEST_CASE(tb_temp_live_across_a_backward_branch)
{
    /* A loop: t is read at the top, written at the bottom; the write must
     * stay although nothing after it in op order reads t. */
    block_start(false);
    TCGLabel *top = gen_new_label();
    TCGv_i64 t = tcg_temp_new_tb_i64(), n = tcg_temp_new_tb_i64();
    tcg_gen_movi_i64(t, 0);
    tcg_gen_movi_i64(n, 5);
    gen_set_label(top);
    tcg_gen_add_i64(gr[0], t, gr[1]);
    tcg_gen_mov_i64(t, gr[0]);
    tcg_gen_subi_i64(n, n, 1);
    tcg_gen_brcondi_i64(TCG_COND_NE, n, 0, top);
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    cpu.r[1] = 3;
    block_run();
    CHECK_EQ(cpu.r[0], 15);
}

TEST_CASE(globals_live_but_not_synced_at_guest_access)
{
    /* A guest access reads every global (its slow path may fault), so a
     * global written before it is live there; memory is the backend's job
     * on the slow path, not liveness's. */
    block_start(false);
    TCGv_i64 v = tcg_temp_new_i64();
    tcg_gen_movi_i64(gr[1], 77);              /* 0 */
    tcg_gen_guest_ld_i64(v, gr[3], 0, MO_UQ); /* 1 */
    tcg_gen_movi_i64(gr[1], 88);              /* 2: redefined after the access */
    tcg_gen_add_i64(gr[4], v, gr[1]);
    tcg_gen_exit_tb(NULL, 0);
    tcg_liveness(&test_ctx);
    TCGOp *op0 = nth_op(0);
    CHECK_EQ(op0->opc, INDEX_op_mov);         /* kept: the access may need it */
    CHECK(!tcg_op_sync(op0, 0));
    CHECK(!tcg_op_dead(op0, 0));
    CHECK(!tcg_op_dead(nth_op(1), 1));        /* r3 does not die at the access */
}

/* The double-width results computed in C: the oracle for both forms. */
static unsigned __int128 dw_result(TCGOpcode opc, uint64_t al, uint64_t ah, uint64_t bl,
                                   uint64_t bh)
{
    unsigned __int128 a = ((unsigned __int128)ah << 64) | al;
    unsigned __int128 b = ((unsigned __int128)bh << 64) | bl;
    switch (opc) {
    case INDEX_op_mulu2: return (unsigned __int128)al * bl;
    case INDEX_op_muls2: return (unsigned __int128)((__int128)(int64_t)al * (int64_t)bl);
    case INDEX_op_add2: return a + b;
    default: return a - b;
    }
}

static void gen_dw(TCGOpcode opc, TCGv_i64 lo, TCGv_i64 hi)
{
    switch (opc) {
    case INDEX_op_mulu2: tcg_gen_mulu2_i64(lo, hi, gr[1], gr[2]); break;
    case INDEX_op_muls2: tcg_gen_muls2_i64(lo, hi, gr[1], gr[2]); break;
    case INDEX_op_add2: tcg_gen_add2_i64(lo, hi, gr[1], gr[3], gr[2], gr[4]); break;
    default: tcg_gen_sub2_i64(lo, hi, gr[1], gr[3], gr[2], gr[4]); break;
    }
}

TEST_CASE(double_width_op_with_dead_high_becomes_single)
{
    static const TCGOpcode dw[4] = { INDEX_op_mulu2, INDEX_op_muls2, INDEX_op_add2,
                                     INDEX_op_sub2 };
    static const TCGOpcode sw[4] = { INDEX_op_mul, INDEX_op_mul, INDEX_op_add, INDEX_op_sub };
    static const uint64_t v[][4] = {
        { 0xfedcba9876543210ull, 0x0123456789abcdefull, 0x8000000000000001ull, 7 },
        { 0xffffffffffffffffull, 0xffffffffffffffffull, 1, 0xffffffffffffffffull },
        { 0x7fffffffffffffffull, 3, 0x8000000000000000ull, 0x5555555555555555ull },
    };
    for (int k = 0; k < 4; k++) {
        /* mode 0: hi unused; 1: hi stored to a global (kept); 2: hi stored
         * to a global that is overwritten before anyone reads it (dead). */
        for (int mode = 0; mode < 3; mode++) {
            for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                block_start(false);
                TCGv_i64 hi = tcg_temp_new_i64();
                gen_dw(dw[k], gr[0], hi);
                if (mode >= 1) {
                    tcg_gen_mov_i64(gr[5], hi);
                }
                if (mode == 2) {
                    tcg_gen_movi_i64(gr[5], 42);
                }
                tcg_gen_exit_tb(NULL, 0);
                CHECK(block_compile() > 0);
                bool narrowed = mode != 1;
                CHECK_EQ(count_ops(dw[k]), narrowed ? 0 : 1);
                CHECK_EQ(count_ops(sw[k]), narrowed ? 1 : 0);
                memset(cpu.r, 0, sizeof(cpu.r));
                cpu.r[1] = v[i][0];
                cpu.r[2] = v[i][1];
                cpu.r[3] = v[i][2];
                cpu.r[4] = v[i][3];
                block_run();
                unsigned __int128 want = dw_result(dw[k], v[i][0], v[i][2], v[i][1], v[i][3]);
                CHECK_EQ(cpu.r[0], (uint64_t)want);
                CHECK_EQ(cpu.r[5], mode == 0 ? 0 : mode == 2 ? 42 : (uint64_t)(want >> 64));
            }
        }
    }
    /* I32, low half only: the narrowed op keeps the width. */
    block_start(false);
    TCGv_i32 lo = tcg_temp_new_i32(), hi = tcg_temp_new_i32();
    tcg_gen_muls2_i32(lo, hi, gw[0], gw[1]);
    tcg_gen_mov_i32(gw[2], lo);
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    CHECK_EQ(count_ops(INDEX_op_muls2), 0);
    cpu.w[0] = 0xfffffffdu;
    cpu.w[1] = 0x40000001u;
    block_run();
    CHECK_EQ(cpu.w[2], (uint32_t)((int64_t)(int32_t)0xfffffffdu * 0x40000001));
}

TEST_CASE(no_sync_misses)
{
    CHECK_EQ(test_ctx.stats.sync_misses, 0);
}

int main(void)
{
    harness_init();
    RUN(annotations_on_a_small_block);
    RUN(redefined_global_not_synced_twice);
    RUN(helper_reading_state_sees_current_globals);
    RUN(helper_writing_state_seen_by_later_ir);
    RUN(helper_write_does_not_lose_dirty_globals);
    RUN(guest_memory_fault_sees_precise_state);
    RUN(globals_synced_on_both_sides_of_a_branch);
    RUN(i32_globals_keep_their_width);
    RUN(tb_temp_never_read_again_is_dropped);
    RUN(tb_temp_live_across_a_backward_branch);
    RUN(globals_live_but_not_synced_at_guest_access);
    RUN(double_width_op_with_dead_high_becomes_single);
    RUN(no_sync_misses);
    TEST_EXIT();
}
