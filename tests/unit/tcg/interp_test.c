/*
 * The interpreter backend's contract: guest_ld/st through the memory ops,
 * insn_start -> code offset mapping for faults and raising helpers, exit
 * words, goto_tb chaining and unchaining, goto_ptr, loops, the helper call
 * ABI, translation limits, the -d op dump; and a speed measurement.
 */
#include <time.h>

#include "harness.h"
#include "tcg/cpu.h"
#include "tcg/interp/bytecode.h"
#include "tcg/tlb.h"

#define TEST_HELPERS(H) \
    H(six, TCG_CALL_NO_GLOBALS, i32, i64, i32, s32, i64, ptr, i32) \
    H(neg32, TCG_CALL_PURE | TCG_CALL_NO_GLOBALS, s32, s32) \
    H(where, TCG_CALL_NO_GLOBALS | TCG_CALL_MAY_RAISE, void, env) \
    H(lookup, TCG_CALL_NO_GLOBALS, ptr, env) \
    H(kick, TCG_CALL_NO_GLOBALS, void, env)
TEST_HELPERS(TCG_HELPER_DECLARE)
TEST_HELPERS(TCG_HELPER_DEFINE)

static uint64_t six_args[6];
static uintptr_t where_pc;
static void *lookup_result;

uint32_t helper_six(uint64_t a, uint32_t b, int32_t c, uint64_t d, void *e, uint32_t f)
{
    six_args[0] = a;
    six_args[1] = b;
    six_args[2] = (uint64_t)(int64_t)c;
    six_args[3] = d;
    six_args[4] = (uintptr_t)e;
    six_args[5] = f;
    return (uint32_t)(a ^ d) + b + f;
}
int32_t helper_neg32(int32_t v) { return -v; }
void helper_where(void *env) { (void)env; where_pc = TCG_GETPC(); }
void *helper_lookup(void *env) { (void)env; return lookup_result; }
/* For a CPUState env: an exit request arriving while a block runs. */
void helper_kick(void *env) { ((CPUState *)env)->exit_request = 1; }

/* Dummy translation blocks: exit words carry their address. */
static _Alignas(8) char tb_a[8], tb_b[8];

static uint16_t *buf_a = code_buf, *buf_b = code_buf + 65536;
static TCGCodeInfo info_a, info_b;

static ptrdiff_t compile_into(uint16_t *buf, TCGCodeInfo *info)
{
    return tcg_gen_code(&test_ctx, buf, 65536 * 2, 0, info);
}

TEST_CASE(guest_loads_and_stores)
{
    for (int opt = 0; opt < 2; opt++) {
        for (unsigned memop = 0; memop < 16; memop++) {
            for (int w = 32; w <= 64; w += 32) {
                if (w == 32 && (memop & MO_SIZE) == MO_64) {
                    continue;
                }
                unsigned mmu = (memop * 5 + (unsigned)w) % TCG_MAX_MMU_IDX;
                block_start(opt);
                if (w == 32) {
                    tcg_gen_guest_ld_i32(gw[0], gr[1], mmu, memop);
                    tcg_gen_guest_st_i32(gw[1], gr[2], mmu, memop);
                } else {
                    tcg_gen_guest_ld_i64(gr[0], gr[1], mmu, memop);
                    tcg_gen_guest_st_i64(gr[3], gr[2], mmu, memop);
                }
                tcg_gen_exit_tb(NULL, 0);
                CHECK(block_compile() > 0);
                unsigned size = 1u << (memop & MO_SIZE);
                for (int it = 0; it < 50; it++) {
                    uint64_t la = rnd64() % (TEST_MEM_SIZE - 8), sa = rnd64() % (TEST_MEM_SIZE - 8);
                    uint64_t v = rnd_value();
                    uint8_t bytes[8];
                    for (int i = 0; i < 8; i++) {
                        bytes[i] = test_mem[la + i] = (uint8_t)rnd64();
                    }
                    cpu.r[1] = la;
                    cpu.r[2] = sa;
                    cpu.r[3] = v;
                    cpu.w[1] = (uint32_t)v;
                    block_run();
                    /* expected load: assemble bytes per endianness, extend per sign */
                    uint64_t want = 0;
                    for (unsigned i = 0; i < size; i++) {
                        unsigned b = (memop & MO_BE) ? size - 1 - i : i;
                        want |= (uint64_t)bytes[b] << (8 * i);
                    }
                    if ((memop & MO_SIGN) && size < 8 && (want >> (8 * size - 1))) {
                        want |= ~0ull << (8 * size);
                    }
                    CHECK_EQ(w == 32 ? cpu.w[0] : cpu.r[0], w == 32 ? (uint32_t)want : want);
                    for (unsigned i = 0; i < size; i++) {
                        unsigned b = (memop & MO_BE) ? size - 1 - i : i;
                        CHECK_EQ(test_mem[sa + b], (uint8_t)(v >> (8 * i)));
                    }
                    CHECK_EQ(last_mmu_idx, mmu);
                }
            }
        }
    }
}

TEST_CASE(aligned_access_faults_at_its_instruction)
{
    block_start(true);
    for (int i = 0; i < 5; i++) {
        tcg_gen_insn_start(0x400 + 4 * (uint64_t)i, (uint64_t)i * 11);
        tcg_gen_addi_i64(gr[1], gr[1], 1);
        if (i == 3) {
            tcg_gen_guest_st_i64(gr[1], gr[2], 0, MO_UQ | MO_ALIGN);
        }
    }
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    CHECK_EQ(code_info.n_insns, 5);
    for (unsigned i = 0; i < 5; i++) {   /* offsets ascend, end at code_size */
        CHECK(code_info.insn_off[i] <= code_info.insn_off[i + 1]);
    }
    CHECK_EQ(code_info.insn_off[5], code_info.code_size);
    cpu.r[1] = 0;
    cpu.r[2] = 12;                      /* misaligned for 8 bytes */
    if (setjmp(fault_jmp) == 0) {
        block_run();
        CHECK(!"no fault");
    }
    int i = tcg_code_info_find_insn(&code_info, fault_retaddr - 1 - (uintptr_t)code_buf);
    CHECK_EQ(i, 3);
    CHECK_EQ(code_info.insn_data[3][0], 0x40c);
    CHECK_EQ(code_info.insn_data[3][1], 33);
    CHECK_EQ(cpu.r[1], 4);              /* insns 0..3 done up to the store */
    CHECK_EQ(tcg_code_info_find_insn(&code_info, code_info.code_size), -1);
}

TEST_CASE(raising_helper_finds_its_instruction)
{
    block_start(true);
    tcg_gen_insn_start(0x10, 0);
    tcg_gen_addi_i64(gr[0], gr[0], 3);
    tcg_gen_insn_start(0x14, 0);
    tcg_gen_insn_start(0x18, 0);        /* an instruction with no code of its own */
    gen_helper_where(tcg_env);
    tcg_gen_insn_start(0x1c, 0);
    tcg_gen_addi_i64(gr[0], gr[0], 3);
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    where_pc = 0;
    block_run();
    CHECK(where_pc != 0);
    CHECK_EQ(tcg_code_info_find_insn(&code_info, where_pc - 1 - (uintptr_t)code_buf), 2);
}

TEST_CASE(exit_words_and_chaining)
{
    /* block A: r0 += 1, goto_tb 0 / exit_tb(A, 0); block B: r0 *= 3, exit_tb(B, 1) */
    block_start(true);
    tcg_gen_insn_start(0x100, 0);
    tcg_gen_addi_i64(gr[0], gr[0], 1);
    tcg_gen_goto_tb(0);
    tcg_gen_exit_tb(tb_a, 0);
    CHECK(compile_into(buf_a, &info_a) > 0);
    CHECK(info_a.jump_used[0] && !info_a.jump_used[1]);
    CHECK_EQ(info_a.jump[0].insn_off % 8, 0);

    block_start(true);
    tcg_gen_insn_start(0x200, 0);
    tcg_gen_muli_i64(gr[0], gr[0], 3);
    tcg_gen_exit_tb(tb_b, 1);
    CHECK(compile_into(buf_b, &info_b) > 0);

    cpu.r[0] = 1;
    CHECK_EQ(tcg_interp_backend.enter(&cpu, buf_a), (uintptr_t)tb_a | 0);
    CHECK_EQ(cpu.r[0], 2);
    tcg_interp_backend.patch_goto_tb(buf_a, (uintptr_t)buf_a, &info_a.jump[0], (uintptr_t)buf_b);
    CHECK_EQ(tcg_interp_backend.enter(&cpu, buf_a), (uintptr_t)tb_b | 1);
    CHECK_EQ(cpu.r[0], 9);
    tcg_interp_backend.patch_goto_tb(buf_a, (uintptr_t)buf_a, &info_a.jump[0], 0);
    CHECK_EQ(tcg_interp_backend.enter(&cpu, buf_a), (uintptr_t)tb_a | 0);
    CHECK_EQ(cpu.r[0], 10);
}

TEST_CASE(goto_ptr_to_a_block_or_back_to_the_loop)
{
    block_start(true);
    tcg_gen_muli_i64(gr[0], gr[0], 3);
    tcg_gen_exit_tb(tb_b, 1);
    CHECK(compile_into(buf_b, &info_b) > 0);

    block_start(true);
    TCGv_ptr p = tcg_temp_new_ptr();
    tcg_gen_addi_i64(gr[0], gr[0], 1);
    gen_helper_lookup(p, tcg_env);
    tcg_gen_goto_ptr(p);
    CHECK(compile_into(buf_a, &info_a) > 0);

    cpu.r[0] = 1;
    lookup_result = buf_b;
    CHECK_EQ(tcg_interp_backend.enter(&cpu, buf_a), (uintptr_t)tb_b | 1);
    CHECK_EQ(cpu.r[0], 6);
    lookup_result = NULL;
    CHECK_EQ(tcg_interp_backend.enter(&cpu, buf_a), 0);
    CHECK_EQ(cpu.r[0], 7);
}

TEST_CASE(loop_inside_a_block)
{
    for (int opt = 0; opt < 2; opt++) {
        block_start(opt);
        TCGLabel *top = gen_new_label();
        TCGv_i64 acc = tcg_temp_new_tb_i64();
        tcg_gen_movi_i64(acc, 0);
        tcg_gen_movi_i64(gr[0], 0);
        gen_set_label(top);
        tcg_gen_add_i64(acc, acc, gr[0]);
        tcg_gen_addi_i64(gr[0], gr[0], 1);
        tcg_gen_brcondi_i64(TCG_COND_LTU, gr[0], 100, top);
        tcg_gen_mov_i64(gr[1], acc);
        tcg_gen_exit_tb(NULL, 0);
        CHECK(block_compile() > 0);
        block_run();
        CHECK_EQ(cpu.r[0], 100);
        CHECK_EQ(cpu.r[1], 4950);
    }
}

TEST_CASE(helper_call_abi)
{
    block_start(true);
    TCGv_i32 r = tcg_temp_new_i32(), n = tcg_temp_new_i32();
    gen_helper_six(r, gr[1], gw[1], gw[2], tcg_constant_i64(-5), tcg_env, tcg_constant_i32(7));
    tcg_gen_extu_i32_i64(gr[0], r);
    gen_helper_neg32(n, gw[3]);
    tcg_gen_exts_i32_i64(gr[2], n);
    tcg_gen_extu_i32_i64(gr[3], n);
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    cpu.r[1] = 0x1122334455667788ull;
    cpu.w[1] = 0xdeadbeef;
    cpu.w[2] = 0xfffffff0;      /* -16 as s32 */
    cpu.w[3] = 9;
    block_run();
    CHECK_EQ(six_args[0], 0x1122334455667788ull);
    CHECK_EQ(six_args[1], 0xdeadbeef);
    CHECK_EQ(six_args[2], (uint64_t)-16);
    CHECK_EQ(six_args[3], (uint64_t)-5);
    CHECK_EQ(six_args[4], (uintptr_t)&cpu);
    CHECK_EQ(six_args[5], 7);
    CHECK_EQ(cpu.r[0], (uint32_t)(0x1122334455667788ull ^ (uint64_t)-5) + 0xdeadbeefu + 7u);
    CHECK_EQ(cpu.r[2], (uint64_t)-9);            /* i32 result zero-extended, then signed */
    CHECK_EQ(cpu.r[3], 0xfffffff7);
}

TEST_CASE(translation_limits)
{
    /* Too many temps: the frontend is told to end blocks earlier. */
    block_start(true);
    for (int i = 0; i < TCG_MAX_TEMPS; i++) {
        tcg_gen_movi_i64(tcg_temp_new_i64(), i);
    }
    CHECK(tcg_op_buf_full());
    tcg_gen_exit_tb(NULL, 0);
    CHECK_EQ(block_compile(), TCG_GEN_TOO_BIG);

    /* More simultaneously live values than interpreter slots. */
    block_start(true);
    enum { N = 2100 };
    static TCGv_i64 t[N];
    for (int i = 0; i < N; i++) {
        t[i] = tcg_temp_new_tb_i64();
        tcg_gen_add_i64(t[i], gr[1], gr[2]);
    }
    for (int i = 0; i < N; i++) {
        tcg_gen_add_i64(gr[0], gr[0], t[i]);
    }
    tcg_gen_exit_tb(NULL, 0);
    CHECK_EQ(block_compile(), TCG_GEN_TOO_BIG);

    /* Freed temps are reused, so a long block stays within limits. */
    block_start(true);
    for (int i = 0; i < 3 * TCG_MAX_TEMPS; i++) {
        TCGv_i64 x = tcg_temp_new_i64();
        tcg_gen_addi_i64(x, gr[0], 1);
        tcg_gen_mov_i64(gr[0], x);
        tcg_temp_free_i64(x);
    }
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    cpu.r[0] = 0;
    block_run();
    CHECK_EQ(cpu.r[0], 3 * TCG_MAX_TEMPS);

    /* Code buffer too small. */
    block_start(true);
    tcg_gen_add_i64(gr[0], gr[1], gr[2]);
    tcg_gen_exit_tb(NULL, 0);
    CHECK_EQ(tcg_gen_code(&test_ctx, code_buf, 8, 0, &code_info), TCG_GEN_BUFFER_FULL);
}

TEST_CASE(dump_ops)
{
    block_start(true);
    TCGLabel *l = gen_new_label();
    tcg_gen_insn_start(0xfff0, 0);
    tcg_gen_addi_i64(gr[0], gr[1], 5);
    tcg_gen_brcondi_i32(TCG_COND_LTU, gw[0], 3, l);
    gen_helper_where(tcg_env);
    gen_set_label(l);
    tcg_gen_exit_tb(NULL, 0);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    tcg_dump_ops(&test_ctx, f);
    fclose(f);
    CHECK(strstr(text, "---- pc 0xfff0") != NULL);
    CHECK(strstr(text, "add_i64 r0, r1, $0x5") != NULL);
    CHECK(strstr(text, "brcond_i32 w0, $0x3, ltu, L0") != NULL);
    CHECK(strstr(text, "call where env") != NULL);
    CHECK(strstr(text, "set_label L0") != NULL);
    free(text);
}

/* ---- speed ---- */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The same work as the benchmark block, as a native backend would do it:
 * globals loaded at block entry, kept in registers, stored at exit. */
static void __attribute__((noinline)) native_equivalent(TestCPU *c, uint64_t iters)
{
    for (uint64_t n = 0; n < iters; n++) {
        if (c->scratch[3]) {
            break;
        }
        uint64_t r0 = c->r[0], r1 = c->r[1], r2 = c->r[2], r3 = c->r[3], r4 = c->r[4], r5 = c->r[5];
        uint32_t w0 = c->w[0];
        for (int k = 0; k < 4; k++) {
            uint64_t t = r0 + r1;
            r2 ^= t;
            r3 += 1;
            r4 += r2 >> 3;
            r5 = (r5 << 1 | r5 >> 63) & r4;
            r0 = r1 - r5;
            w0 = w0 * 3 + (uint32_t)r0;
        }
        c->r[0] = r0; c->r[1] = r1; c->r[2] = r2; c->r[3] = r3; c->r[4] = r4; c->r[5] = r5;
        c->w[0] = w0;
        c->r[7] -= 1;
        __asm__ volatile("" ::: "memory");
        if (c->r[7] == 0) {
            break;
        }
    }
}

static void build_bench_block(void)
{
    TCGLabel *done = gen_new_label(), *req = gen_new_label();
    TCGv_i64 flag = tcg_temp_new_i64(), t = tcg_temp_new_i64(), u = tcg_temp_new_i64();
    TCGv_i32 v = tcg_temp_new_i32();
    tcg_gen_ld_i64(flag, tcg_env, offsetof(TestCPU, scratch) + 24);   /* "exit request" check */
    tcg_gen_brcondi_i64(TCG_COND_NE, flag, 0, req);
    for (int k = 0; k < 4; k++) {
        tcg_gen_insn_start(0x1000 + (uint64_t)k, 0);
        tcg_gen_add_i64(t, gr[0], gr[1]);
        tcg_gen_xor_i64(gr[2], gr[2], t);
        tcg_gen_addi_i64(gr[3], gr[3], 1);
        tcg_gen_shri_i64(u, gr[2], 3);
        tcg_gen_add_i64(gr[4], gr[4], u);
        tcg_gen_rotli_i64(u, gr[5], 1);
        tcg_gen_and_i64(gr[5], u, gr[4]);
        tcg_gen_sub_i64(gr[0], gr[1], gr[5]);
        tcg_gen_muli_i32(gw[0], gw[0], 3);
        tcg_gen_extrl_i64_i32(v, gr[0]);
        tcg_gen_add_i32(gw[0], gw[0], v);
    }
    tcg_gen_subi_i64(gr[7], gr[7], 1);
    tcg_gen_brcondi_i64(TCG_COND_EQ, gr[7], 0, done);
    tcg_gen_goto_tb(0);
    tcg_gen_exit_tb(tb_a, 0);
    gen_set_label(done);
    tcg_gen_exit_tb(tb_a, 2);
    gen_set_label(req);
    tcg_gen_exit_tb(tb_a, 3);
}

TEST_CASE(interp_speed)
{
    ptrdiff_t size = 0;
    double t0 = now_ns();
    for (int i = 0; i < 200; i++) {     /* translation: build + optimize + liveness + emit */
        block_start(true);
        build_bench_block();
        size = compile_into(buf_a, &info_a);
    }
    double t_translate = (now_ns() - t0) / 200;
    CHECK(size > 0);
    /* IR ops run per iteration: all but the exits not taken and the labels */
    int ir_ops = count_all_ops() - count_ops(INDEX_op_exit_tb) - count_ops(INDEX_op_set_label);
    /* chain the block to itself: every iteration is a block entry through goto_tb */
    tcg_interp_backend.patch_goto_tb(buf_a, (uintptr_t)buf_a, &info_a.jump[0], (uintptr_t)buf_a);

    const uint64_t iters = 100000;
    TestCPU start = { .r = { 1, 2, 3, 4, 5, 6, 0, iters }, .w = { 7 } }, c_native;
    double t_interp = 1e30, t_native = 1e30;
    for (int rep = 0; rep < 11; rep++) {   /* best of 11: the machines are noisy */
        cpu = start;
        t0 = now_ns();
        uintptr_t ret = tcg_interp_backend.enter(&cpu, buf_a);
        double t = now_ns() - t0;
        t_interp = t < t_interp ? t : t_interp;
        CHECK_EQ(ret, (uintptr_t)tb_a | 2);
        c_native = start;
        t0 = now_ns();
        native_equivalent(&c_native, iters);
        t = now_ns() - t0;
        t_native = t < t_native ? t : t_native;
        CHECK(memcmp(cpu.r, c_native.r, sizeof(cpu.r)) == 0);   /* same work, same result */
        CHECK_EQ(cpu.w[0], c_native.w[0]);
    }
    printf("# interp: %d IR ops (%zd bytecode bytes) per block, %.2f ns per IR op, "
           "%.1f ns per block; C equivalent %.2f ns per op (ratio %.1fx); translation %.1f us\n",
           ir_ops, size, t_interp / (double)iters / ir_ops, t_interp / (double)iters,
           t_native / (double)iters / ir_ops, t_interp / t_native, t_translate / 1000);
}

/* ---- registers in env: a CPUState env (what the exec loop gives) ---- */

typedef struct FrameCPU {
    CPUState cs;
    uint64_t r[4];            /* i64 globals: used in place */
    uint32_t w;               /* i32 global: loaded and written back */
} FrameCPU;

static FrameCPU fcpu;
static TCGContext fctx;
static _Alignas(16) uint16_t fbuf_a[4096], fbuf_b[4096];
static TCGCodeInfo finfo_a, finfo_b;
static TCGTLBEntry ftlb;

/* The core's block-entry check, as tcg/tb.c emits it. */
static TCGLabel *frame_block_start(void)
{
    tcg_func_start(&fctx);
    TCGv_i32 t = tcg_temp_new_i32();
    TCGLabel *l = gen_new_label();
    tcg_gen_ld_i32(t, tcg_env, (intptr_t)TCG_ENV_EXIT_REQUEST_OFFSET);
    tcg_gen_brcondi_i32(TCG_COND_NE, t, 0, l);
    return l;
}

TEST_CASE(registers_in_env_globals_in_place_and_inline_tlb)
{
    tcg_context_init(&fctx, &tcg_interp_backend, &test_mem_ops);
    fctx.env_is_cpu = true;
    TCGv_i64 r[4];
    static const char *const names[4] = { "f0", "f1", "f2", "f3" };
    for (int i = 0; i < 4; i++) {
        r[i] = tcg_global_mem_new_i64(offsetof(FrameCPU, r) + 8 * i, names[i]);
    }
    TCGv_i32 w = tcg_global_mem_new_i32(offsetof(FrameCPU, w), "fw");
    /* One TLB entry: guest page 0 is test_mem (reads and writes). */
    fcpu.cs.tlb_fast[1].mask = 0;
    fcpu.cs.tlb_fast[1].table = &ftlb;
    ftlb.addr_read = ftlb.addr_write = 0;
    ftlb.addr_code = (uint64_t)-1;
    ftlb.addend = (uintptr_t)test_mem;

    /* A: r0 = r1 + r2; r3 = [r1] (TLB hit); [r2] = r0 (page 1: slow path);
     *    w = r0 + 1; goto_tb 0 -> B. B: r0 *= 3. */
    TCGLabel *l = frame_block_start();
    tcg_gen_insn_start(0x100, 0);
    TCGv_i64 t = tcg_temp_new_i64();
    tcg_gen_add_i64(t, r[1], r[2]);
    tcg_gen_mov_i64(r[0], t);
    tcg_gen_guest_ld_i64(r[3], r[1], 1, MO_UQ);
    tcg_gen_guest_st_i64(r[0], r[2], 1, MO_UL);
    TCGv_i32 t32 = tcg_temp_new_i32();
    tcg_gen_extrl_i64_i32(t32, r[0]);
    tcg_gen_addi_i32(w, t32, 1);
    tcg_gen_goto_tb(0);
    tcg_gen_exit_tb(tb_a, 0);
    gen_set_label(l);
    tcg_gen_exit_tb(tb_a, TCG_TB_EXIT_REQUESTED);
    CHECK(tcg_gen_code(&fctx, fbuf_a, sizeof(fbuf_a), 0, &finfo_a) > 0);
    CHECK_EQ(fbuf_a[0], BC_FRAME);

    l = frame_block_start();
    tcg_gen_insn_start(0x200, 0);
    tcg_gen_muli_i64(r[0], r[0], 3);
    tcg_gen_exit_tb(tb_b, 1);
    gen_set_label(l);
    tcg_gen_exit_tb(tb_b, TCG_TB_EXIT_REQUESTED);
    CHECK(tcg_gen_code(&fctx, fbuf_b, sizeof(fbuf_b), 0, &finfo_b) > 0);

    fcpu.r[1] = 16;
    fcpu.r[2] = 0x1000 + 40;
    for (int i = 0; i < 8; i++) {
        test_mem[16 + i] = (uint8_t)(0x11 * (i + 1));
    }
    mem_calls = 0;
    CHECK_EQ(tcg_interp_backend.enter(&fcpu, fbuf_a), (uintptr_t)tb_a | 0);
    uint64_t sum = 16 + 0x1000 + 40;
    CHECK_EQ(fcpu.r[0], sum);
    CHECK_EQ(fcpu.r[3], 0x8877665544332211ull);
    CHECK_EQ(mem_calls, 1);                   /* only the store missed the TLB */
    CHECK_EQ(test_mem[0x1000 + 40], (uint8_t)sum);
    CHECK_EQ(test_mem[0x1000 + 41], (uint8_t)(sum >> 8));
    CHECK_EQ(mem_seen_r[0], 0);               /* harness snapshots TestCPU, not this env */
    CHECK_EQ(fcpu.w, (uint32_t)sum + 1);

    /* Chained: B runs after A without a return to the loop; with an exit
     * request B's entry check (done by the goto_tb) leaves through B. */
    tcg_interp_backend.patch_goto_tb(fbuf_a, (uintptr_t)fbuf_a, &finfo_a.jump[0],
                                     (uintptr_t)fbuf_b);
    CHECK_EQ(tcg_interp_backend.enter(&fcpu, fbuf_a), (uintptr_t)tb_b | 1);
    CHECK_EQ(fcpu.r[0], sum * 3);
    fcpu.cs.exit_request = 1;
    CHECK_EQ(tcg_interp_backend.enter(&fcpu, fbuf_a), (uintptr_t)tb_a | TCG_TB_EXIT_REQUESTED);
    fcpu.cs.exit_request = 0;
    CHECK_EQ(tcg_interp_backend.enter(&fcpu, fbuf_a), (uintptr_t)tb_b | 1);
    tcg_interp_backend.patch_goto_tb(fbuf_a, (uintptr_t)fbuf_a, &finfo_a.jump[0], 0);
    CHECK_EQ(tcg_interp_backend.enter(&fcpu, fbuf_a), (uintptr_t)tb_a | 0);

    /* A request made while A runs (after its entry check): the chained jump
     * into B must still see it, at B. */
    l = frame_block_start();
    tcg_gen_insn_start(0x300, 0);
    tcg_gen_addi_i64(r[0], r[0], 1);
    gen_helper_kick(tcg_env);
    tcg_gen_goto_tb(0);
    tcg_gen_exit_tb(tb_a, 0);
    gen_set_label(l);
    tcg_gen_exit_tb(tb_a, TCG_TB_EXIT_REQUESTED);
    CHECK(tcg_gen_code(&fctx, fbuf_a, sizeof(fbuf_a), 0, &finfo_a) > 0);
    tcg_interp_backend.patch_goto_tb(fbuf_a, (uintptr_t)fbuf_a, &finfo_a.jump[0],
                                     (uintptr_t)fbuf_b);
    fcpu.r[0] = 5;
    CHECK_EQ(tcg_interp_backend.enter(&fcpu, fbuf_a), (uintptr_t)tb_b | TCG_TB_EXIT_REQUESTED);
    CHECK_EQ(fcpu.r[0], 6);                   /* B did not run */
    fcpu.cs.exit_request = 0;
    /* goto_ptr into B skips its FRAME and does its check the same way. */
    l = frame_block_start();
    TCGv_ptr p = tcg_temp_new_ptr();
    gen_helper_kick(tcg_env);
    gen_helper_lookup(p, tcg_env);
    tcg_gen_goto_ptr(p);
    gen_set_label(l);
    tcg_gen_exit_tb(tb_a, TCG_TB_EXIT_REQUESTED);
    CHECK(tcg_gen_code(&fctx, fbuf_a, sizeof(fbuf_a), 0, &finfo_a) > 0);
    lookup_result = fbuf_b;
    CHECK_EQ(tcg_interp_backend.enter(&fcpu, fbuf_a), (uintptr_t)tb_b | TCG_TB_EXIT_REQUESTED);
    fcpu.cs.exit_request = 0;
    lookup_result = NULL;
    tcg_func_start(&test_ctx);
}

int main(void)
{
    harness_init();
    RUN(guest_loads_and_stores);
    RUN(aligned_access_faults_at_its_instruction);
    RUN(raising_helper_finds_its_instruction);
    RUN(exit_words_and_chaining);
    RUN(goto_ptr_to_a_block_or_back_to_the_loop);
    RUN(loop_inside_a_block);
    RUN(helper_call_abi);
    RUN(translation_limits);
    RUN(dump_ops);
    RUN(registers_in_env_globals_in_place_and_inline_tlb);
    RUN(interp_speed);
    TEST_EXIT();
}
