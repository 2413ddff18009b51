/*
 * The interpreter's superinstructions (tcg/interp/fuse.c) on a CPUState env,
 * the way the exec loop runs blocks: each fused form is built from the IR a
 * frontend emits, must show up in the bytecode listing, and must give the
 * same registers, memory, slow-path calls (with their guest instruction),
 * faults and exit word as the native x86-64 backend on the same IR; block
 * ends that carry their goto_tb fields are also checked chained. Then
 * random blocks made of those patterns and plain ops.
 */
#if defined(__x86_64__)
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>

#include "test.h"
#include "tcg/backend.h"
#include "tcg/cpu.h"
#include "tcg/exec.h"
#include "tcg/frontend.h"
#include "tcg/helper.h"
#include "tcg/interp/bytecode.h"
#include "tcg/tb.h"
#include "tcg/tb_internal.h"
#include "tcg/tcg.h"
#include "tcg/tlb.h"
#include "tcg/x86_64/backend.h"

#define NR 12   /* i64 globals r0..r11: registers in place in env for the interpreter */
#define NW 4    /* i32 globals w0..w3: loaded and written back (x86's cc_op is one) */

typedef struct FCPU {
    CPUState cs;
    uint64_t r[NR];
    uint32_t w[NW];
} FCPU;

static FCPU fcpu;
static TCGContext fctx;

/* A kick arriving while a block runs (exit_request = r11 & 1). */
#define FUSE_HELPERS(H) H(kick_if, TCG_CALL_NO_WRITE_GLOBALS, void, env)
FUSE_HELPERS(TCG_HELPER_DECLARE)
FUSE_HELPERS(TCG_HELPER_DEFINE)
void helper_kick_if(void *env)
{
    FCPU *c = env;
    c->cs.exit_request = (int32_t)(c->r[11] & 1);
}
static TCGv_i64 R[NR];
static TCGv_i32 W[NW];

/* ---- guest memory: pages GBASE.. ; one forces the slow path, one faults ---- */
#define GBASE   0x7ff00000ull
#define GPAGES  8
#define GP_SLOW 6               /* MMIO tags: every access through the callbacks */
#define GP_GONE 7               /* not in the TLB, and the callbacks fault on it */
#define GMEM_SIZE (GPAGES * 4096)
static _Alignas(4096) uint8_t gmem[GMEM_SIZE];
static uint8_t gmem0[GMEM_SIZE];
static TCGTLBEntry tlb[256];

static void tlb_fill_all(void)
{
    for (int m = 0; m < TCG_MAX_MMU_IDX; m++) {
        fcpu.cs.tlb_fast[m].mask = (uintptr_t)255 << TCG_TLB_ENTRY_BITS;
        fcpu.cs.tlb_fast[m].table = tlb;
    }
    for (int i = 0; i < 256; i++) {
        tlb[i].addr_read = tlb[i].addr_write = tlb[i].addr_code = TLB_INVALID;
        tlb[i].addend = 0;
    }
    for (int p = 0; p < GP_GONE; p++) {
        uint64_t va = GBASE + (uint64_t)p * 4096;
        TCGTLBEntry *e = &tlb[(va >> TCG_PAGE_BITS) & 255];
        e->addr_read = e->addr_write = va | (p == GP_SLOW ? TLB_MMIO : 0);
        e->addend = (uintptr_t)gmem - (uintptr_t)GBASE;
    }
}

/* ---- slow path: logs each call with its guest instruction; faults ---- */
typedef struct SlowLog {
    uint64_t insn, addr, val, rhash;
    uint32_t memop;
    bool store;
} SlowLog;
#define LOG_MAX 64
static SlowLog slog[LOG_MAX];
static unsigned slog_n;
static jmp_buf fault_jmp;
static uint64_t fault_insn, fault_addr;
static const TCGCodeInfo *cur_info;
static uintptr_t cur_code;

static uint64_t insn_of(uintptr_t retaddr)
{
    if (!cur_info || retaddr <= cur_code) {
        return ~0ull;
    }
    int i = tcg_code_info_find_insn(cur_info, retaddr - 1 - cur_code);
    return i < 0 ? ~0ull - 1 : cur_info->insn_data[i][0];
}

static uint64_t r_hash(const void *env)
{
    const FCPU *c = env;
    uint64_t h = 0;
    for (int i = 0; i < NR; i++) {
        h = h * 0x9e3779b97f4a7c15ull + c->r[i];
    }
    return h;
}

static void slog_add(const void *env, uintptr_t retaddr, uint64_t addr, uint64_t val,
                     TCGMemOp memop, bool store)
{
    if (slog_n < LOG_MAX) {
        slog[slog_n++] = (SlowLog){ insn_of(retaddr), addr, val, r_hash(env), memop, store };
    }
}

static bool gmem_faults(uint64_t addr, unsigned size)
{
    return addr < GBASE || addr - GBASE > GMEM_SIZE - size ||
           (addr - GBASE) / 4096 == GP_GONE || (addr + size - 1 - GBASE) / 4096 == GP_GONE;
}

static uint64_t f_load(void *env, uint64_t addr, TCGMemOp memop, unsigned mmu, uintptr_t retaddr)
{
    (void)mmu;
    unsigned size = 1u << (memop & MO_SIZE);
    if (gmem_faults(addr, size)) {
        slog_add(env, retaddr, addr, 0, memop, false);
        fault_insn = insn_of(retaddr);
        fault_addr = addr;
        longjmp(fault_jmp, 1);
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)gmem[addr - GBASE + i] << (8 * i);
    }
    if ((memop & MO_SIGN) && size < 8 && ((v >> (8 * size - 1)) & 1)) {
        v |= ~0ull << (8 * size);
    }
    slog_add(env, retaddr, addr, v, memop, false);
    return v;
}

static void f_store(void *env, uint64_t addr, uint64_t val, TCGMemOp memop, unsigned mmu,
                    uintptr_t retaddr)
{
    (void)mmu;
    unsigned size = 1u << (memop & MO_SIZE);
    if (size < 8) {
        val &= (1ull << (8 * size)) - 1;
    }
    slog_add(env, retaddr, addr, val, memop, true);
    if (gmem_faults(addr, size)) {
        fault_insn = insn_of(retaddr);
        fault_addr = addr;
        longjmp(fault_jmp, 1);
    }
    for (unsigned i = 0; i < size; i++) {
        gmem[addr - GBASE + i] = (uint8_t)(val >> (8 * i));
    }
}

static const TCGGuestMemoryOps fmem_ops = { f_load, f_store };

/* ---- code buffers, building one block with both backends ---- */
#define NBUF_SIZE (1u << 20)
static uint8_t *nbuf;
static _Alignas(16) uint16_t ibuf[1 << 16], ibuf2[1 << 12];
static uint8_t *nbuf2;
static TCGCodeInfo iinfo, ninfo, iinfo2, ninfo2;
static _Alignas(8) char tb_a[8], tb_b[8];

typedef void (*Builder)(const void *arg);

static void setup(void)
{
    static bool done;
    if (done) {
        return;
    }
    done = true;
    nbuf = mmap(NULL, 2 * NBUF_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (nbuf == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    nbuf2 = nbuf + NBUF_SIZE;
    tcg_context_init(&fctx, &tcg_interp_backend, &fmem_ops);
    fctx.env_is_cpu = true;
    static const char *const rn[NR] = { "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7",
                                        "r8", "r9", "r10", "r11" };
    static const char *const wn[NW] = { "w0", "w1", "w2", "w3" };
    for (int i = 0; i < NR; i++) {
        R[i] = tcg_global_mem_new_i64(offsetof(FCPU, r) + 8 * i, rn[i]);
    }
    for (int i = 0; i < NW; i++) {
        W[i] = tcg_global_mem_new_i32(offsetof(FCPU, w) + 4 * i, wn[i]);
    }
    tlb_fill_all();
}

/* The core's block-entry check (tcg/tb.c) that chained jumps skip. */
static TCGLabel *entry_check(void)
{
    TCGv_i32 t = tcg_temp_new_i32();
    TCGLabel *l = gen_new_label();
    tcg_gen_ld_i32(t, tcg_env, (intptr_t)TCG_ENV_EXIT_REQUEST_OFFSET);
    tcg_gen_brcondi_i32(TCG_COND_NE, t, 0, l);
    return l;
}

static bool compile_one(const TCGBackend *be, Builder b, const void *arg, void *buf, size_t size,
                        TCGCodeInfo *info)
{
    tcg_func_start(&fctx);
    fctx.backend = be;
    b(arg);
    return tcg_gen_code(&fctx, buf, size, 0, info) > 0;
}

static bool compile_both(Builder b, const void *arg)
{
    return compile_one(&tcg_interp_backend, b, arg, ibuf, sizeof(ibuf), &iinfo) &&
           compile_one(&tcg_x86_64_backend, b, arg, nbuf, NBUF_SIZE, &ninfo);
}

/* Does the listing of the interpreter's block contain this opcode name? */
static bool listed(const char *name)
{
    static char text[1 << 16];
    FILE *f = fmemopen(text, sizeof(text) - 1, "w");
    if (!f) {
        return false;
    }
    tcg_interp_disas(f, ibuf, iinfo.code_size);
    long n = ftell(f);
    fclose(f);
    text[n < 0 ? 0 : n] = 0;
    return strstr(text, name) != NULL;
}

typedef struct Result {
    uintptr_t ret;
    bool faulted;
    uint64_t fault_insn, fault_addr;
    uint64_t r[NR];
    uint32_t w[NW];
    unsigned nlog;
    SlowLog log[LOG_MAX];
    uint8_t mem[GMEM_SIZE];
} Result;

static Result res_i, res_n;

static void run_one(const TCGBackend *be, const void *code, const TCGCodeInfo *info,
                    const uint64_t *r0, const uint32_t *w0, Result *res)
{
    memcpy(gmem, gmem0, GMEM_SIZE);
    memcpy(fcpu.r, r0, sizeof(fcpu.r));
    memcpy(fcpu.w, w0, sizeof(fcpu.w));
    fcpu.cs.exit_request = 0;
    slog_n = 0;
    cur_info = info;
    cur_code = (uintptr_t)code;
    res->faulted = false;
    res->ret = 0;
    if (setjmp(fault_jmp) == 0) {
        res->ret = be->enter(&fcpu, code);
    } else {
        res->faulted = true;
        res->fault_insn = fault_insn;
        res->fault_addr = fault_addr;
    }
    cur_info = NULL;
    memcpy(res->r, fcpu.r, sizeof(res->r));
    memcpy(res->w, fcpu.w, sizeof(res->w));
    res->nlog = slog_n;
    memcpy(res->log, slog, sizeof(slog));
    memcpy(res->mem, gmem, GMEM_SIZE);
}

/* Run the block of both backends from one state; print the first difference. */
static bool same_on_both(const uint64_t *r0, const uint32_t *w0, const char *what, uint64_t seed)
{
    run_one(&tcg_interp_backend, ibuf, &iinfo, r0, w0, &res_i);
    run_one(&tcg_x86_64_backend, nbuf, &ninfo, r0, w0, &res_n);
    const char *diff = NULL;
    if (res_i.ret != res_n.ret) {
        diff = "exit word";
    } else if (res_i.faulted != res_n.faulted ||
               (res_i.faulted && (res_i.fault_insn != res_n.fault_insn ||
                                  res_i.fault_addr != res_n.fault_addr))) {
        diff = "fault";
    } else if (memcmp(res_i.r, res_n.r, sizeof(res_i.r))) {
        diff = "i64 globals";
    } else if (memcmp(res_i.w, res_n.w, sizeof(res_i.w))) {
        diff = "i32 globals";
    } else if (memcmp(res_i.mem, res_n.mem, GMEM_SIZE)) {
        diff = "guest memory";
    } else if (res_i.nlog != res_n.nlog) {
        diff = "number of slow-path calls";
    } else {
        for (unsigned i = 0; i < res_i.nlog && !diff; i++) {
            const SlowLog *a = &res_i.log[i], *b = &res_n.log[i];
            if (a->insn != b->insn || a->addr != b->addr || a->val != b->val ||
                a->memop != b->memop || a->store != b->store || a->rhash != b->rhash) {
                diff = "a slow-path call (instruction, address, value or globals)";
            }
        }
    }
    if (!diff) {
        return true;
    }
    printf("  %s seed 0x%" PRIx64 ": %s differs (interp ret %lx, native ret %lx)\n", what, seed,
           diff, (unsigned long)res_i.ret, (unsigned long)res_n.ret);
    for (int i = 0; i < NR; i++) {
        if (res_i.r[i] != res_n.r[i]) {
            printf("    r%d: interp 0x%" PRIx64 " native 0x%" PRIx64 "\n", i, res_i.r[i],
                   res_n.r[i]);
        }
    }
    for (int i = 0; i < NW; i++) {
        if (res_i.w[i] != res_n.w[i]) {
            printf("    w%d: interp 0x%x native 0x%x\n", i, res_i.w[i], res_n.w[i]);
        }
    }
    tcg_interp_disas(stdout, ibuf, iinfo.code_size);
    return false;
}

/* ---- values ---- */
static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd_value(void)
{
    static const uint64_t special[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
        0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, ~1ull,
        0xffffffff80000000ull, 0x00007fffffffffffull, 0xffff800000000000ull, 0x0000800000000000ull,
    };
    uint64_t r = rnd();
    switch (r & 7) {
    case 0: case 1: case 2: return special[(r >> 8) % (sizeof(special) / sizeof(special[0]))];
    case 3: return (r >> 8) & 0xff;
    case 4: return rnd() >> (r >> 58);
    default: return rnd();
    }
}

static void rnd_state(uint64_t *r0, uint32_t *w0)
{
    for (int i = 0; i < NR; i++) {
        r0[i] = rnd_value();
    }
    for (int i = 0; i < NW; i++) {
        w0[i] = (uint32_t)rnd_value();
    }
}

static void rnd_memory(void)
{
    for (size_t i = 0; i < GMEM_SIZE; i += 8) {
        uint64_t v = rnd();
        memcpy(gmem0 + i, &v, 8);
    }
}

/* ---- guest accesses through fused address arithmetic (QLDX/QSTX) ---- */

typedef struct AddrCase {
    int shape;          /* 0 shl+add+add $d, 1 add r+r, 2 add r+$d, 3 shl+add $d, 4 shl+add r */
    unsigned sh;
    int32_t disp;
    TCGMemOp memop;
    bool is64, store;
} AddrCase;

/* base r0, index r1; loads go to r2 / w2, stores take r3 / w3 */
static void build_addr(const void *arg)
{
    const AddrCase *c = arg;
    tcg_gen_insn_start(0x10, 0);
    tcg_gen_addi_i64(R[4], R[4], 1);          /* an instruction before: state must be precise */
    tcg_gen_insn_start(0x20, 0);
    TCGv_i64 t = tcg_temp_new_i64(), u = tcg_temp_new_i64(), v = tcg_temp_new_i64();
    switch (c->shape) {
    case 0:
        tcg_gen_shli_i64(t, R[1], c->sh);
        tcg_gen_add_i64(u, t, R[0]);
        tcg_gen_addi_i64(v, u, c->disp);
        break;
    case 1:
        tcg_gen_add_i64(v, R[0], R[1]);
        break;
    case 2:
        tcg_gen_addi_i64(v, R[0], c->disp);
        break;
    case 3:
        tcg_gen_shli_i64(t, R[1], c->sh);
        tcg_gen_addi_i64(v, t, (int64_t)GBASE + c->disp);
        break;
    default:
        tcg_gen_shli_i64(t, R[1], c->sh);
        tcg_gen_add_i64(v, R[0], t);
        break;
    }
    if (c->store) {
        if (c->is64) {
            tcg_gen_guest_st_i64(R[3], v, 0, c->memop);
        } else {
            tcg_gen_guest_st_i32(W[3], v, 0, c->memop);
        }
    } else if (c->is64) {
        tcg_gen_guest_ld_i64(R[2], v, 0, c->memop);
    } else {
        tcg_gen_guest_ld_i32(W[2], v, 0, c->memop);
    }
    tcg_gen_insn_start(0x30, 0);
    tcg_gen_addi_i64(R[5], R[5], 2);
    tcg_gen_exit_tb(tb_a, 0);
}

TEST_CASE(guest_access_with_address_arithmetic)
{
    setup();
    static const TCGMemOp ld64[] = { MO_UB, MO_SB, MO_UW, MO_SW, MO_UL, MO_SL, MO_UQ };
    static const TCGMemOp ld32[] = { MO_UB, MO_SB, MO_UW, MO_SW, MO_UL };
    unsigned n = 0;
    for (int shape = 0; shape < 5; shape++) {
        for (int kind = 0; kind < 4; kind++) {     /* ld64, ld32, st64, st32 */
            bool is64 = !(kind & 1), store = kind >= 2;
            unsigned nm = is64 ? 7 : 5;
            for (unsigned m = 0; m < nm; m++) {
                AddrCase c = { shape, (unsigned)(rnd() % 4), (int32_t)(rnd() % 512) - 256,
                               is64 ? ld64[m] : ld32[m], is64, store };
                if (c.disp == 0) {
                    c.disp = 8;   /* an add of 0 is no add */
                }
                if (store) {
                    c.memop &= ~MO_SIGN;
                }
                CHECK(compile_both(build_addr, &c));
                CHECK(listed(store ? "QSTX" : "QLDX"));
                rnd_memory();
                /* index 0..63 from pages 0, 5 (crossing into the slow page), 6, 7 (faults) */
                static const uint64_t bases[] = { 0x800, 0x5ff8, 0x6100, 0x7010, 0x3fff };
                for (unsigned b = 0; b < 5; b++) {
                    for (int rep = 0; rep < 6; rep++) {
                        uint64_t r0[NR];
                        uint32_t w0[NW];
                        rnd_state(r0, w0);
                        r0[0] = GBASE + bases[b];
                        r0[1] = rep == 0 ? 0 : rnd() % 64;
                        if (shape == 3) {
                            r0[1] = (bases[b] >> c.sh) + rnd() % 8;
                        }
                        CHECK(same_on_both(r0, w0, "address", (uint64_t)n));
                        n++;
                    }
                }
            }
        }
    }
}

/* ---- x86 SUB/CMP flags and the block's conditional exit (SUBMOV*, CMPTB, BRTB) ---- */

typedef struct CmpCase {
    TCGCond cond;
    bool imm, with_st, on_d, ebb_d, kick;
    bool w32;       /* a 32-bit sub: "ext32u d, d" after it, d truncated */
    bool on_ext;    /* branch on ext32u(r0) (an extension between, emitted first) */
    int64_t bimm;
} CmpCase;

/* d = r0 - b (b = r1 or a constant; [truncated]); r3 = b; w0 = k; branch
 * on (r0 [zero-extended], b) or (d, 0); goto_tb 1 / goto_tb 0 exits that
 * set r9. */
static void build_cmp(const void *arg)
{
    const CmpCase *c = arg;
    TCGLabel *req = entry_check();
    tcg_gen_insn_start(0x100, 0);
    if (c->kick) {
        gen_helper_kick_if(tcg_env);
    }
    TCGv_i64 b = c->imm ? tcg_constant_i64(c->bimm) : R[1];
    TCGLabel *l = gen_new_label();
    TCGv_i64 x = R[0], xe = tcg_temp_new_i64();
    if (c->ebb_d) {
        TCGv_i64 t = tcg_temp_new_i64();
        tcg_gen_sub_i64(t, R[0], b);
        if (c->w32) {
            tcg_gen_ext32u_i64(t, t);
        }
        if (c->on_ext) {
            tcg_gen_ext32u_i64(xe, R[0]);
            x = xe;
        }
        tcg_gen_mov_i64(R[3], b);
        tcg_gen_mov_i64(R[2], t);     /* folded: the sub writes r2 itself */
    } else {
        tcg_gen_sub_i64(R[2], R[0], b);
        if (c->w32) {
            tcg_gen_ext32u_i64(R[2], R[2]);
        }
        if (c->on_ext) {
            tcg_gen_ext32u_i64(xe, R[0]);
            x = xe;
        }
        tcg_gen_mov_i64(R[3], b);
    }
    tcg_gen_insn_start(0x104, 0);
    if (c->with_st) {
        tcg_gen_movi_i32(W[0], 0x2c);
    }
    if (c->on_d) {
        tcg_gen_brcondi_i64(c->cond, R[2], 0, l);
    } else if (c->imm) {
        tcg_gen_brcondi_i64(c->cond, x, c->bimm, l);
    } else {
        tcg_gen_brcond_i64(c->cond, x, R[1], l);
    }
    tcg_gen_goto_tb(1);
    tcg_gen_movi_i64(R[9], 0x111);
    tcg_gen_exit_tb(tb_a, 1);
    gen_set_label(l);
    tcg_gen_goto_tb(0);
    tcg_gen_movi_i64(R[9], 0x222);
    tcg_gen_exit_tb(tb_a, 0);
    gen_set_label(req);
    tcg_gen_exit_tb(tb_a, TCG_TB_EXIT_REQUESTED);
}

/* The chained-to block: r10 += 1, leaves through exit 0 of tb_b. */
static void build_next(const void *arg)
{
    (void)arg;
    TCGLabel *req = entry_check();
    tcg_gen_insn_start(0x200, 0);
    tcg_gen_addi_i64(R[10], R[10], 1);
    tcg_gen_exit_tb(tb_b, 0);
    gen_set_label(req);
    tcg_gen_exit_tb(tb_b, TCG_TB_EXIT_REQUESTED);
}

static const uint64_t cmp_values[] = {
    0, 1, 2, 0x7f, 0x80, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
    0x8000000000000000ull, ~0ull, ~1ull, 0x1234,
};
#define NCMPV (sizeof(cmp_values) / sizeof(cmp_values[0]))

/* Chain both goto_tb slots of the block in ibuf/nbuf to the next block;
 * 0 unchains. */
static void chain_both(bool on)
{
    for (int s = 0; s < 2; s++) {
        tcg_interp_backend.patch_goto_tb(ibuf, (uintptr_t)ibuf, &iinfo.jump[s],
                                         on ? (uintptr_t)ibuf2 : 0);
        tcg_x86_64_backend.patch_goto_tb(nbuf, (uintptr_t)nbuf, &ninfo.jump[s],
                                         on ? (uintptr_t)nbuf2 : 0);
    }
}

TEST_CASE(sub_flags_and_block_exit)
{
    setup();
    CHECK(compile_one(&tcg_interp_backend, build_next, NULL, ibuf2, sizeof(ibuf2), &iinfo2));
    CHECK(compile_one(&tcg_x86_64_backend, build_next, NULL, nbuf2, NBUF_SIZE, &ninfo2));
    unsigned n = 0, fused = 0;
    for (TCGCond cond = TCG_COND_EQ; cond <= TCG_COND_TSTNE; cond++) {
        for (int v = 0; v < 128; v++) {
            CmpCase c = { cond, v & 1, (v >> 1) & 1, (v >> 2) & 1, (v >> 3) & 1, (v >> 4) & 1,
                          (v >> 5) & 1, (v >> 6) & 1, (int64_t)cmp_values[rnd() % NCMPV] };
            if (c.on_ext && c.on_d) {
                continue;
            }
            if (c.on_d && cond != TCG_COND_EQ && cond != TCG_COND_NE) {
                continue;
            }
            if (c.imm && (int64_t)(int32_t)c.bimm != c.bimm) {
                c.bimm = (int32_t)c.bimm;
            }
            if (c.imm && c.bimm == 0) {
                c.bimm = 1;   /* a sub of 0 is a mov */
            }
            CHECK(compile_both(build_cmp, &c));
            /* What the emitter must have made of it. */
            bool cmptb = c.with_st && cond <= TCG_COND_GTU;
            CHECK(listed(cmptb ? "CMPTB" : "BRTB"));
            if (!cmptb) {
                CHECK(listed("SUBMOV"));
            } else if (c.on_ext) {
                CHECK(!listed("EXT32U"));   /* the branch's zero-extension folded in */
            }
            fused += cmptb;
            for (int chained = 0; chained < 3; chained++) {
                chain_both(chained != 0);
                for (unsigned i = 0; i < NCMPV; i++) {
                    for (unsigned j = 0; j < NCMPV; j += 1 + (i & 1)) {
                        uint64_t r0[NR];
                        uint32_t w0[NW];
                        rnd_state(r0, w0);
                        r0[0] = cmp_values[i];
                        r0[1] = c.imm ? (uint64_t)c.bimm : cmp_values[j];
                        /* chained == 2: a kick while the block runs; the
                         * chained jump leaves at the next block's check */
                        r0[11] = c.kick && chained == 2;
                        CHECK(same_on_both(r0, w0, "cmp", (uint64_t)n));
                        if (r0[11]) {
                            CHECK_EQ(res_i.ret, (uintptr_t)tb_b | TCG_TB_EXIT_REQUESTED);
                            CHECK_EQ(res_i.r[10], r0[10]);
                            continue;
                        }
                        uint64_t d = r0[0] - r0[1], x = c.on_ext ? (uint32_t)r0[0] : r0[0];
                        if (c.w32) {
                            d = (uint32_t)d;
                        }
                        bool taken = c.on_d ? tcg_cond_eval(cond, TCG_TYPE_I64, d, 0)
                                            : tcg_cond_eval(cond, TCG_TYPE_I64, x, r0[1]);
                        CHECK_EQ(res_i.r[2], d);
                        CHECK_EQ(res_i.r[3], r0[1]);
                        if (c.with_st) {
                            CHECK_EQ(res_i.w[0], 0x2c);
                        }
                        if (chained) {
                            CHECK_EQ(res_i.ret, (uintptr_t)tb_b);
                            CHECK_EQ(res_i.r[9], r0[9]);
                            CHECK_EQ(res_i.r[10], r0[10] + 1);
                        } else {
                            CHECK_EQ(res_i.ret, (uintptr_t)tb_a | (taken ? 0 : 1));
                            CHECK_EQ(res_i.r[9], taken ? 0x222 : 0x111);
                        }
                        n++;
                    }
                }
            }
            chain_both(false);
        }
    }
    CHECK(fused > 0);
}

/* ---- 32-bit operations on zero-extended registers (LOW32 aliases, OP_32) ---- */

typedef struct Low32Case {
    int kind;
    int64_t k;
} Low32Case;

static void build_low32(const void *arg)
{
    const Low32Case *c = arg;
    tcg_gen_insn_start(0x300, 0);
    TCGv_i64 t = tcg_temp_new_i64(), u = tcg_temp_new_i64(), v = tcg_temp_new_i64();
    switch (c->kind) {
    case 0:     /* add %ecx, %eax style: both inputs zero-extended, result too */
        tcg_gen_ext32u_i64(t, R[0]);
        tcg_gen_ext32u_i64(u, R[1]);
        tcg_gen_add_i64(v, t, u);
        tcg_gen_ext32u_i64(R[0], v);
        break;
    case 1:     /* and $k, %r9d */
        tcg_gen_ext32u_i64(t, R[1]);
        tcg_gen_andi_i64(R[1], t, c->k & 0xffffffff);
        break;
    case 2:     /* the source redefined while the copy is live: no alias */
        tcg_gen_ext32u_i64(t, R[0]);
        tcg_gen_movi_i64(R[0], c->k);
        tcg_gen_addi_i64(v, t, 1);
        tcg_gen_ext32u_i64(R[2], v);
        break;
    case 3:     /* a reader that needs the zero-extension (shift right) */
        tcg_gen_ext32u_i64(t, R[0]);
        tcg_gen_shri_i64(R[2], t, 7);
        tcg_gen_mul_i64(v, t, R[1]);
        tcg_gen_ext32u_i64(R[3], v);
        break;
    case 4:     /* extensions of the copy, and the copy from a dying temp */
        tcg_gen_xori_i64(u, R[0], c->k);
        tcg_gen_ext32u_i64(t, u);
        tcg_gen_ext8s_i64(R[2], t);
        tcg_gen_ext16u_i64(R[3], t);
        tcg_gen_sub_i64(v, t, R[1]);
        tcg_gen_ext32u_i64(R[4], v);
        break;
    case 5:     /* a later op computed straight into the source's register */
        tcg_gen_ext32u_i64(t, R[0]);
        tcg_gen_shli_i64(u, t, 3);
        tcg_gen_ext32u_i64(R[5], u);
        tcg_gen_addi_i64(v, R[1], c->k);
        tcg_gen_mov_i64(R[0], v);
        break;
    default:    /* 32-bit ops into globals with a constant wider than 32 bits */
        tcg_gen_ext32u_i64(t, R[0]);
        tcg_gen_ori_i64(u, t, c->k);
        tcg_gen_ext32u_i64(R[6], u);
        tcg_gen_ext32u_i64(t, R[1]);
        tcg_gen_andi_i64(R[7], t, c->k);
        break;
    }
    tcg_gen_exit_tb(NULL, 0);
}

TEST_CASE(zero_extended_32_bit_operations)
{
    setup();
    for (int kind = 0; kind < 7; kind++) {
        for (int rep = 0; rep < 40; rep++) {
            Low32Case c = { kind, (int64_t)rnd_value() };
            if (kind == 1 && (uint32_t)c.k == 0xffffffff) {
                c.k = 0xfff0;   /* an and with 2^32 - 1 is the ext32u itself */
            }
            CHECK(compile_both(build_low32, &c));
            if (kind <= 1) {
                CHECK(!listed("EXT32U"));   /* fused away entirely */
            }
            for (int s = 0; s < 8; s++) {
                uint64_t r0[NR];
                uint32_t w0[NW];
                rnd_state(r0, w0);
                CHECK(same_on_both(r0, w0, "low32", (uint64_t)(kind * 1000 + rep)));
            }
        }
    }
}

/* ---- 8/16-bit rotates written back (ROTDEP) ---- */

typedef struct RotCase {
    unsigned w, k;
    bool left, other_dest;
    bool in_place;      /* t1/t3/t4 one temp, as the x86 frontend writes them */
    bool keep;          /* the rotated value also moved into r6 */
} RotCase;

static void build_rot(const void *arg)
{
    const RotCase *c = arg;
    tcg_gen_insn_start(0x400, 0);
    TCGv_i64 t0 = tcg_temp_new_i64(), t1 = tcg_temp_new_i64(), t2 = tcg_temp_new_i64();
    TCGv_i64 t3 = c->in_place ? t1 : tcg_temp_new_i64(), t4 = c->in_place ? t1 : tcg_temp_new_i64();
    if (c->w == 8) {
        tcg_gen_ext8u_i64(t0, R[0]);
    } else {
        tcg_gen_ext16u_i64(t0, R[0]);
    }
    if (c->left) {
        tcg_gen_shli_i64(t1, t0, c->k);
        tcg_gen_shri_i64(t2, t0, c->w - c->k);
    } else {
        tcg_gen_shri_i64(t2, t0, c->k);
        tcg_gen_shli_i64(t1, t0, c->w - c->k);
    }
    tcg_gen_or_i64(t3, t1, t2);
    if (c->w == 8) {
        tcg_gen_ext8u_i64(t4, t3);
    } else {
        tcg_gen_ext16u_i64(t4, t3);
    }
    if (c->other_dest) {
        tcg_gen_deposit_i64(R[1], R[2], t4, 0, c->w);
    } else {
        tcg_gen_deposit_i64(R[0], R[0], t4, 0, c->w);
    }
    if (c->keep) {
        tcg_gen_mov_i64(R[6], t4);
    }
    tcg_gen_exit_tb(NULL, 0);
}

TEST_CASE(narrow_rotates)
{
    setup();
    for (unsigned w = 8; w <= 16; w += 8) {
        for (unsigned k = 1; k < w; k++) {
            for (int v = 0; v < 16; v++) {
                RotCase c = { w, k, v & 1, (v >> 1) & 1, (v >> 2) & 1, (v >> 3) & 1 };
                CHECK(compile_both(build_rot, &c));
                CHECK(listed(c.keep ? "ROTDEP_M" : "ROTDEP"));
                for (int s = 0; s < 16; s++) {
                    uint64_t r0[NR];
                    uint32_t w0[NW];
                    rnd_state(r0, w0);
                    CHECK(same_on_both(r0, w0, "rot", (uint64_t)(w * 100 + k)));
                }
            }
        }
    }
}

/* ---- sign-extension test and branch (BRSEXT: canonical addresses) ---- */

typedef struct SextCase {
    unsigned len;
    bool eq, swap;
} SextCase;

static void build_sext(const void *arg)
{
    const SextCase *c = arg;
    tcg_gen_insn_start(0x500, 0);
    TCGv_i64 t = tcg_temp_new_i64();
    TCGLabel *l = gen_new_label();
    tcg_gen_sextract_i64(t, R[0], 0, c->len);
    TCGCond cond = c->eq ? TCG_COND_EQ : TCG_COND_NE;
    if (c->swap) {
        tcg_gen_brcond_i64(cond, R[0], t, l);
    } else {
        tcg_gen_brcond_i64(cond, t, R[0], l);
    }
    tcg_gen_movi_i64(R[1], 0x5a);
    gen_set_label(l);
    tcg_gen_addi_i64(R[2], R[2], 3);
    tcg_gen_exit_tb(NULL, 0);
}

TEST_CASE(sign_extension_branch)
{
    setup();
    static const unsigned lens[] = { 48, 57, 32, 1, 63 };
    for (unsigned li = 0; li < 5; li++) {
        for (int v = 0; v < 4; v++) {
            SextCase c = { lens[li], v & 1, (v >> 1) & 1 };
            CHECK(compile_both(build_sext, &c));
            CHECK(listed("BRSEXT"));
            for (int s = 0; s < 40; s++) {
                uint64_t r0[NR];
                uint32_t w0[NW];
                rnd_state(r0, w0);
                if (s & 1) {
                    r0[0] = (uint64_t)((int64_t)(r0[0] << (64 - c.len)) >> (64 - c.len));
                }
                CHECK(same_on_both(r0, w0, "sext", (uint64_t)s));
                bool canon = (uint64_t)((int64_t)(r0[0] << (64 - c.len)) >> (64 - c.len)) == r0[0];
                CHECK_EQ(res_i.r[1], canon == c.eq ? r0[1] : 0x5a);
            }
        }
    }
}

/* ---- cc_op store into an unconditional block end (GOTO_TBS) ---- */

static void build_gotos(const void *arg)
{
    const uint32_t *k = arg;
    TCGLabel *req = entry_check();
    tcg_gen_insn_start(0x600, 0);
    tcg_gen_addi_i64(R[0], R[0], 5);
    tcg_gen_movi_i32(W[1], *k);
    tcg_gen_goto_tb(0);
    tcg_gen_movi_i64(R[9], 0x333);
    tcg_gen_exit_tb(tb_a, 0);
    gen_set_label(req);
    tcg_gen_exit_tb(tb_a, TCG_TB_EXIT_REQUESTED);
}

TEST_CASE(block_end_with_a_flags_store)
{
    setup();
    CHECK(compile_one(&tcg_interp_backend, build_next, NULL, ibuf2, sizeof(ibuf2), &iinfo2));
    CHECK(compile_one(&tcg_x86_64_backend, build_next, NULL, nbuf2, NBUF_SIZE, &ninfo2));
    for (uint32_t k = 0; k < 70; k += 7) {
        uint32_t kk = k * 0x01010101u;
        CHECK(compile_both(build_gotos, &kk));
        CHECK(listed("GOTO_TBS"));
        for (int chained = 0; chained < 2; chained++) {
            tcg_interp_backend.patch_goto_tb(ibuf, (uintptr_t)ibuf, &iinfo.jump[0],
                                             chained ? (uintptr_t)ibuf2 : 0);
            tcg_x86_64_backend.patch_goto_tb(nbuf, (uintptr_t)nbuf, &ninfo.jump[0],
                                             chained ? (uintptr_t)nbuf2 : 0);
            uint64_t r0[NR];
            uint32_t w0[NW];
            rnd_state(r0, w0);
            CHECK(same_on_both(r0, w0, "gotos", k));
            CHECK_EQ(res_i.w[1], kk);
            CHECK_EQ(res_i.r[0], r0[0] + 5);
            CHECK_EQ(res_i.ret, chained ? (uintptr_t)tb_b : (uintptr_t)tb_a);
            CHECK_EQ(res_i.r[10], r0[10] + (chained ? 1 : 0));
        }
    }
}

/* ---- indirect jumps: the jump-cache probe of LOOKUP_GOTO ---- */

static uint32_t key_flags = 0x55;
static void fake_get_tb_key(CPUState *cpu, uint64_t *pc, uint64_t *cs_base, uint32_t *flags)
{
    *pc = ((FCPU *)cpu)->r[0];
    *cs_base = 0;
    *flags = key_flags;
}

/* r1 += 1, a possible kick, [r0 = r2: the new pc,] then the indirect jump. */
static void build_lookup(const void *arg)
{
    TCGLabel *req = entry_check();
    tcg_gen_insn_start(0x700, 0);
    tcg_gen_addi_i64(R[1], R[1], 1);
    gen_helper_kick_if(tcg_env);
    if (*(const bool *)arg) {
        tcg_gen_mov_i64(R[0], R[2]);
    }
    tcg_gen_lookup_and_goto_ptr();
    gen_set_label(req);
    tcg_gen_exit_tb(tb_a, TCG_TB_EXIT_REQUESTED);
}

TEST_CASE(indirect_jump_through_the_jump_cache)
{
    setup();
    static TCGFrontend fe;
    static TBJumpCache jc;
    static TranslationBlock tb;
    fe.name = "fake";
    fe.get_tb_key = fake_get_tb_key;
    fcpu.cs.frontend = &fe;
    fcpu.cs.jmp_cache = &jc;
    const uint64_t pc = 0xffffffff81234560ull;
    tb.pc = pc;
    tb.flags = key_flags;
    tb.code = ibuf2;
    jc.tb[tb_jc_hash(pc)] = &tb;
    CHECK(compile_one(&tcg_interp_backend, build_next, NULL, ibuf2, sizeof(ibuf2), &iinfo2));
    for (int with_mov = 0; with_mov < 2; with_mov++) {
        bool m = with_mov;
        CHECK(compile_one(&tcg_interp_backend, build_lookup, &m, ibuf, sizeof(ibuf), &iinfo));
        CHECK(listed(m ? "LOOKUP_GOTO_M" : "LOOKUP_GOTO"));
        memset(fcpu.r, 0, sizeof(fcpu.r));
        fcpu.r[m ? 2 : 0] = pc;
        uint64_t hits = tcg_exec_stats.lookup_ptr_hits;
        CHECK_EQ(tcg_interp_backend.enter(&fcpu, ibuf), (uintptr_t)tb_b);   /* ran the block */
        CHECK_EQ(fcpu.r[0], pc);
        CHECK_EQ(fcpu.r[1], 1);
        CHECK_EQ(fcpu.r[10], 1);
        CHECK_EQ(tcg_exec_stats.lookup_ptr_hits, hits + 1);
        /* A kick while the block runs: the target leaves at its entry check. */
        fcpu.r[11] = 1;
        CHECK_EQ(tcg_interp_backend.enter(&fcpu, ibuf), (uintptr_t)tb_b | TCG_TB_EXIT_REQUESTED);
        CHECK_EQ(fcpu.r[1], 2);
        CHECK_EQ(fcpu.r[10], 1);
        fcpu.r[11] = 0;
        fcpu.cs.exit_request = 0;
        /* The next block must be a single-instruction one: back to the loop. */
        fcpu.cs.cflags_next_tb = TB_CFLAG_SINGLE_INSN;
        CHECK_EQ(tcg_interp_backend.enter(&fcpu, ibuf), 0);
        CHECK_EQ(fcpu.r[1], 3);
        CHECK_EQ(fcpu.r[10], 1);
        fcpu.cs.cflags_next_tb = 0;
        /* (a miss calls helper_lookup_tb_ptr: tests/unit/tcg/exec_test runs it) */
    }
    fcpu.cs.frontend = NULL;
    fcpu.cs.jmp_cache = NULL;
}

/* ---- random blocks of frontend-shaped patterns ---- */

typedef struct Gen {
    uint64_t s;
    int insn;
    TCGLabel *pend[4];
    int npend;
} Gen;

static uint64_t gr(Gen *g)
{
    g->s ^= g->s >> 12;
    g->s ^= g->s << 25;
    g->s ^= g->s >> 27;
    return g->s * 0x2545f4914f6cdd1dull;
}
static unsigned gn(Gen *g, unsigned n) { return (unsigned)(gr(g) % n); }

static TCGv_i64 greg(Gen *g) { return R[gn(g, NR - 2)]; }   /* r10, r11 stay the address bases */

static TCGv_i64 gsrc(Gen *g)
{
    if (gn(g, 5) == 0) {
        static const int64_t k[] = { 0, 1, 7, 0xff, -1, 0x7fffffff, -0x80000000ll, 0x123456789ll };
        return tcg_constant_i64(k[gn(g, 8)]);
    }
    return greg(g);
}

static void gen_insn(Gen *g)
{
    tcg_gen_insn_start(0x1000 + 4 * (uint64_t)g->insn, (uint64_t)g->insn);
    g->insn++;
}

static void gen_pattern(Gen *g)
{
    TCGv_i64 t = tcg_temp_new_i64(), u = tcg_temp_new_i64(), v = tcg_temp_new_i64();
    static void (*const bin[])(TCGv_i64, TCGv_i64, TCGv_i64) = {
        tcg_gen_add_i64, tcg_gen_sub_i64, tcg_gen_mul_i64, tcg_gen_and_i64, tcg_gen_or_i64,
        tcg_gen_xor_i64, tcg_gen_andc_i64, tcg_gen_orc_i64, tcg_gen_shl_i64, tcg_gen_shr_i64,
    };
    gen_insn(g);
    switch (gn(g, 14)) {
    case 0: {   /* 32-bit op, operands zero-extended first */
        tcg_gen_ext32u_i64(t, greg(g));
        TCGv_i64 b = gsrc(g);
        if (gn(g, 2)) {
            tcg_gen_ext32u_i64(u, b);
            b = u;
        }
        bin[gn(g, 8)](v, t, b);
        tcg_gen_ext32u_i64(greg(g), v);
        if (gn(g, 2)) {
            tcg_gen_mov_i64(R[8], v);   /* the whole result kept too (cc_dst) */
        }
        break;
    }
    case 10: {  /* 32-bit op on raw operands, the result zero-extended in place */
        TCGv_i64 d = greg(g);
        bin[gn(g, 8)](v, greg(g), gsrc(g));
        tcg_gen_ext32u_i64(v, v);
        tcg_gen_mov_i64(d, v);
        if (gn(g, 2)) {
            tcg_gen_mov_i64(R[9], gsrc(g));   /* cc_src first, sometimes */
        }
        if (gn(g, 2)) {
            tcg_gen_mov_i64(R[8], d);   /* and into cc_dst */
        }
        break;
    }
    case 1:     /* and $k, %r32 / mov %r32, %r32 */
        tcg_gen_ext32u_i64(t, greg(g));
        if (gn(g, 2)) {
            tcg_gen_andi_i64(greg(g), t, gr(g) & 0x7fffffff);
        } else {
            tcg_gen_mov_i64(greg(g), t);
        }
        break;
    case 2: case 3: {   /* memory access through base + index * scale + disp */
        TCGv_i64 idx = tcg_temp_new_i64();
        tcg_gen_andi_i64(idx, greg(g), 0xff);
        unsigned sh = gn(g, 4);
        TCGv_i64 base = gn(g, 2) ? R[10] : R[11];
        int32_t disp = (int32_t)gn(g, 512) - 128;
        switch (gn(g, 3)) {
        case 0:
            tcg_gen_shli_i64(t, idx, sh);
            tcg_gen_add_i64(u, t, base);
            tcg_gen_addi_i64(v, u, disp);
            break;
        case 1:
            tcg_gen_add_i64(v, base, idx);
            break;
        default:
            tcg_gen_addi_i64(v, base, disp + 0x40);
            break;
        }
        TCGMemOp mo = (TCGMemOp)gn(g, 4);
        if (gn(g, 2)) {
            if (mo != MO_64 && gn(g, 2)) {
                mo |= MO_SIGN;
            }
            tcg_gen_guest_ld_i64(greg(g), v, 0, mo);
        } else {
            tcg_gen_guest_st_i64(gn(g, 4) ? greg(g) : tcg_constant_i64(gn(g, 3)), v, 0, mo);
        }
        break;
    }
    case 4: {   /* cmp/sub flags: cc_dst = r8, cc_src = r9, cc_op = w0 */
        TCGv_i64 a = greg(g), b = gsrc(g);
        tcg_gen_sub_i64(t, a, b);
        if (gn(g, 2)) {
            tcg_gen_ext32u_i64(t, t);
        }
        tcg_gen_mov_i64(R[9], b);
        tcg_gen_mov_i64(R[8], t);
        if (gn(g, 2)) {
            gen_insn(g);
            tcg_gen_movi_i32(W[0], gn(g, 60));
        }
        break;
    }
    case 5: {   /* narrow rotate */
        unsigned w = gn(g, 2) ? 8 : 16, k = 1 + gn(g, w - 1);
        bool in_place = gn(g, 2);
        TCGv_i64 x = greg(g), t3 = in_place ? u : tcg_temp_new_i64();
        TCGv_i64 t4 = in_place ? u : tcg_temp_new_i64();
        if (w == 8) {
            tcg_gen_ext8u_i64(t, x);
        } else {
            tcg_gen_ext16u_i64(t, x);
        }
        tcg_gen_shli_i64(u, t, k);
        tcg_gen_shri_i64(v, t, w - k);
        tcg_gen_or_i64(t3, u, v);
        if (w == 8) {
            tcg_gen_ext8u_i64(t4, t3);
        } else {
            tcg_gen_ext16u_i64(t4, t3);
        }
        tcg_gen_deposit_i64(x, x, t4, 0, w);
        if (gn(g, 2)) {
            tcg_gen_mov_i64(R[9], t4);
        }
        break;
    }
    case 11: {  /* an extension of an extension (movsbq %cl) */
        static void (*const ext[])(TCGv_i64, TCGv_i64) = {
            tcg_gen_ext8u_i64, tcg_gen_ext8s_i64, tcg_gen_ext16u_i64, tcg_gen_ext16s_i64,
            tcg_gen_ext32u_i64, tcg_gen_ext32s_i64,
        };
        unsigned i = gn(g, 6), j = gn(g, 6);
        ext[i](t, greg(g));
        ext[j](greg(g), t);
        break;
    }
    case 6:     /* canonical check around a side effect */
        if (g->npend < 4) {
            TCGLabel *l = gen_new_label();
            tcg_gen_sextract_i64(t, greg(g), 0, 48);
            tcg_gen_brcond_i64(TCG_COND_EQ, t, greg(g), l);
            tcg_gen_addi_i64(greg(g), greg(g), 1);
            gen_set_label(l);
        }
        break;
    case 7: {   /* forward branch */
        TCGLabel *l = gen_new_label();
        tcg_gen_brcond_i64((TCGCond)(TCG_COND_EQ + gn(g, 12)), greg(g), gsrc(g), l);
        tcg_gen_xori_i64(greg(g), greg(g), 0x55);
        gen_set_label(l);
        break;
    }
    case 8:
        tcg_gen_movi_i32(W[gn(g, NW)], gn(g, 1000));
        break;
    default: {  /* plain 64-bit op, the result sometimes copied on (cc_dst) */
        TCGv_i64 d = greg(g);
        bin[gn(g, 10)](d, gsrc(g), gsrc(g));
        if (gn(g, 2)) {
            tcg_gen_mov_i64(R[8], d);
        }
        break;
    }
    }
}

static void build_random(const void *arg)
{
    Gen g = { *(const uint64_t *)arg, 0, { 0 }, 0 };
    TCGLabel *req = entry_check();
    int len = 4 + (int)gn(&g, 40);
    for (int i = 0; i < len; i++) {
        gen_pattern(&g);
    }
    gen_insn(&g);
    switch (gn(&g, 4)) {
    case 0:
        tcg_gen_exit_tb(NULL, 0);
        break;
    case 1:     /* flags store + goto_tb */
        tcg_gen_movi_i32(W[0], gn(&g, 60));
        tcg_gen_goto_tb(0);
        tcg_gen_movi_i64(R[7], 0x777);
        tcg_gen_exit_tb(tb_a, 0);
        break;
    default: {  /* [cmp;] jcc: both exits through goto_tb */
        TCGLabel *l = gen_new_label();
        TCGv_i64 a = greg(&g), b = gsrc(&g);
        TCGCond c = (TCGCond)(TCG_COND_EQ + gn(&g, 12));
        if (gn(&g, 2)) {
            TCGv_i64 t = tcg_temp_new_i64(), x = a;
            tcg_gen_sub_i64(t, a, b);
            if (gn(&g, 2)) {
                tcg_gen_ext32u_i64(t, t);
            }
            switch (gn(&g, 3)) {
            case 0:
                x = gn(&g, 2) ? tcg_temp_new_i64() : tcg_temp_new_tb_i64();
                tcg_gen_ext32u_i64(x, a);   /* the branch on the zero-extended operand */
                break;
            case 1:
                x = greg(&g);
                break;
            default:
                break;
            }
            tcg_gen_mov_i64(R[9], b);
            tcg_gen_mov_i64(R[8], t);
            gen_insn(&g);
            tcg_gen_movi_i32(W[0], gn(&g, 60));
            if (gn(&g, 2) && c <= TCG_COND_NE) {
                tcg_gen_brcondi_i64(c, R[8], 0, l);
            } else {
                tcg_gen_brcond_i64(c, x, b, l);
            }
        } else {
            tcg_gen_brcond_i64(c, a, b, l);
        }
        tcg_gen_goto_tb(1);
        tcg_gen_movi_i64(R[7], 0x1111);
        tcg_gen_exit_tb(tb_a, 1);
        gen_set_label(l);
        tcg_gen_goto_tb(0);
        tcg_gen_movi_i64(R[7], 0x2222);
        tcg_gen_exit_tb(tb_a, 0);
        break;
    }
    }
    gen_set_label(req);
    tcg_gen_exit_tb(tb_a, TCG_TB_EXIT_REQUESTED);
}

TEST_CASE(random_frontend_shaped_blocks)
{
    setup();
    unsigned runs = 0, faults = 0;
    /* Each fused form must turn up in these blocks. */
    static const char *const forms[] = { "QLDX", "QSTX", "SUBMOV", "CMPTB", "BRTB", "ROTDEP",
                                         "BRSEXT", "GOTO_TBS", "Z_64", "D_64", "W_64", "I_32 ",
                                         "ROTDEP_M" };
    unsigned seen[sizeof(forms) / sizeof(forms[0])] = { 0 };
    for (uint64_t seed = 1; seed <= 600; seed++) {
        uint64_t sd = seed * 0x9e3779b97f4a7c15ull;
        CHECK(compile_both(build_random, &sd));
        for (unsigned f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
            seen[f] += listed(forms[f]);
        }
        rnd_memory();
        for (int s = 0; s < 6; s++) {
            uint64_t r0[NR];
            uint32_t w0[NW];
            rnd_state(r0, w0);
            /* bases: page 0-5 (fast), sometimes near the slow or faulting pages */
            static const uint64_t bases[] = { 0x400, 0x2000, 0x5f80, 0x6010, 0x6f80, 0x8000 };
            r0[10] = GBASE + bases[rnd() % 6];
            r0[11] = GBASE + 0x1000 + rnd() % 0x3000;
            CHECK(same_on_both(r0, w0, "random", seed));
            runs++;
            faults += res_i.faulted;
        }
    }
    CHECK(runs > 0 && faults > 0 && faults < runs);
    for (unsigned f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        if (!seen[f]) {
            printf("  never emitted: %s\n", forms[f]);
        }
        CHECK(seen[f] > 0);
    }
}

int main(void)
{
    RUN(guest_access_with_address_arithmetic);
    RUN(sub_flags_and_block_exit);
    RUN(zero_extended_32_bit_operations);
    RUN(narrow_rotates);
    RUN(sign_extension_branch);
    RUN(block_end_with_a_flags_store);
    RUN(indirect_jump_through_the_jump_cache);
    RUN(random_frontend_shaped_blocks);
    TEST_EXIT();
}

#else
#include "test.h"
int main(void)
{
    printf("SKIP interp_fuse_test: the native backend comparison needs an x86-64 host\n");
    return 0;
}
#endif
