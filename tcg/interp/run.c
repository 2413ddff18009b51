/*
 * Interpreter backend, execution: runs the bytecode of tcg/interp/emit.c
 * with a register array on the C stack (slot 0 = env) or in env. Dispatch is
 * direct threaded (computed goto) under GCC/Clang, a switch otherwise. Guest
 * accesses inline the softmmu TLB lookup when the memory ops allow it, and
 * indirect jumps the jump-cache probe (tcg/exec.c's helper on a miss).
 * Divisions never trap here even on inputs the frontend promised not to
 * produce.
 */
#include <stdint.h>

#include "../backend.h"
#include "../cpu.h"
#include "../exec.h"
#include "../frontend.h"
#include "../helper.h"
#include "../tb_internal.h"
#include "../tlb.h"
#include "bytecode.h"

__thread uintptr_t tcg_helper_retaddr;

static inline uint32_t rotl32(uint32_t a, unsigned n) { n &= 31; return (a << n) | (a >> ((32 - n) & 31)); }
static inline uint32_t rotr32(uint32_t a, unsigned n) { n &= 31; return (a >> n) | (a << ((32 - n) & 31)); }
static inline uint64_t rotl64(uint64_t a, unsigned n) { n &= 63; return (a << n) | (a >> ((64 - n) & 63)); }
static inline uint64_t rotr64(uint64_t a, unsigned n) { n &= 63; return (a >> n) | (a << ((64 - n) & 63)); }

static inline uint32_t divs32(uint32_t a, uint32_t b)
{
    if (b == 0 || (b == UINT32_MAX && a == 0x80000000u)) {
        return b ? a : 0;
    }
    return (uint32_t)((int32_t)a / (int32_t)b);
}
static inline uint32_t rems32(uint32_t a, uint32_t b)
{
    if (b == 0 || b == UINT32_MAX) {
        return b ? 0 : a;
    }
    return (uint32_t)((int32_t)a % (int32_t)b);
}
static inline uint64_t divs64(uint64_t a, uint64_t b)
{
    if (b == 0 || (b == UINT64_MAX && a == 0x8000000000000000ull)) {
        return b ? a : 0;
    }
    return (uint64_t)((int64_t)a / (int64_t)b);
}
static inline uint64_t rems64(uint64_t a, uint64_t b)
{
    if (b == 0 || b == UINT64_MAX) {
        return b ? 0 : a;
    }
    return (uint64_t)((int64_t)a % (int64_t)b);
}

static inline int cond32(unsigned c, uint32_t a, uint32_t b)
{
    return tcg_cond_eval((TCGCond)c, TCG_TYPE_I32, a, b);
}

static inline int cond64(unsigned c, uint64_t a, uint64_t b)
{
    return tcg_cond_eval((TCGCond)c, TCG_TYPE_I64, a, b);
}

static inline uint64_t ld_u8(uint64_t p) { uint8_t v; memcpy(&v, (const void *)(uintptr_t)p, 1); return v; }
static inline uint64_t ld_u16(uint64_t p) { uint16_t v; memcpy(&v, (const void *)(uintptr_t)p, 2); return v; }
static inline uint64_t ld_u32(uint64_t p) { uint32_t v; memcpy(&v, (const void *)(uintptr_t)p, 4); return v; }
static inline uint64_t ld_u64(uint64_t p) { uint64_t v; memcpy(&v, (const void *)(uintptr_t)p, 8); return v; }
static inline void st_n(uint64_t p, uint64_t v, unsigned n) { memcpy((void *)(uintptr_t)p, &v, n); }

/* tlb: the byte offset of the access's TCGTLBFast in env (the Q* tlb unit). */
static inline const TCGTLBEntry *tlb_entry(void *env, unsigned tlb, uint64_t addr)
{
    const TCGTLBFast *f = (const TCGTLBFast *)((char *)env + tlb);
    return (const TCGTLBEntry *)((uintptr_t)f->table +
                                 ((addr >> (TCG_PAGE_BITS - TCG_TLB_ENTRY_BITS)) & f->mask));
}

typedef uint64_t (*GuestLoad)(void *, uint64_t, TCGMemOp, unsigned, uintptr_t);
typedef void (*GuestStore)(void *, uint64_t, uint64_t, TCGMemOp, unsigned, uintptr_t);
typedef uint64_t (*Call0)(void);
typedef uint64_t (*Call1)(uint64_t);
typedef uint64_t (*Call2)(uint64_t, uint64_t);
typedef uint64_t (*Call3)(uint64_t, uint64_t, uint64_t);
typedef uint64_t (*Call4)(uint64_t, uint64_t, uint64_t, uint64_t);
typedef uint64_t (*Call5)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
typedef uint64_t (*Call6)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

#ifdef TCG_INTERP_PROFILE
/* Development aid: opcode and opcode-pair counts, printed at exit. */
#include <stdio.h>
#include <stdlib.h>
static uint64_t prof_n[BC_COUNT], prof_pair[BC_COUNT][BC_COUNT];
static unsigned prof_prev;
static void prof_dump(void)
{
    static const char *const names[BC_COUNT] = {
#define X(n) [BC_##n] = #n,
        TCG_BC_LIST(X)
#undef X
    };
    uint64_t tot = 0;
    for (int i = 0; i < BC_COUNT; i++) tot += prof_n[i];
    fprintf(stderr, "bytecodes executed: %llu\n", (unsigned long long)tot);
    for (int k = 0; k < 40; k++) {
        int bi = 0, bj = 0;
        for (int i = 0; i < BC_COUNT; i++) for (int j = 0; j < BC_COUNT; j++)
            if (prof_pair[i][j] > prof_pair[bi][bj]) { bi = i; bj = j; }
        if (!prof_pair[bi][bj]) break;
        fprintf(stderr, "pair %5.2f%% %s %s\n", 100.0 * prof_pair[bi][bj] / tot, names[bi], names[bj]);
        prof_pair[bi][bj] = 0;
    }
    for (int k = 0; k < 30; k++) {
        int bi = 0;
        for (int i = 0; i < BC_COUNT; i++) if (prof_n[i] > prof_n[bi]) bi = i;
        if (!prof_n[bi]) break;
        fprintf(stderr, "op %5.2f%% %s\n", 100.0 * prof_n[bi] / tot, names[bi]);
        prof_n[bi] = 0;
    }
}
static void tcg_interp_prof_count(unsigned op)
{
    static int init;
    if (!init) { init = 1; atexit(prof_dump); }
    prof_n[op]++;
    prof_pair[prof_prev][op]++;
    prof_prev = op;
}
#endif

/* Where goto_ptr enters a block: past FRAME (same frame: blocks of one env)
 * and past the entry check when no exit is requested. */
static inline const uint16_t *goto_ptr_entry(void *env, const uint16_t *pc)
{
    if (*pc == BC_FRAME) {
        pc += BC_FRAME_LEN;
        if (bc_is_entry_check(pc) && !ld_u32((uintptr_t)env + TCG_ENV_EXIT_REQUEST_OFFSET)) {
            pc += BC_ENTRY_CHECK_LEN;
        }
    }
    return pc;
}

uintptr_t tcg_interp_enter(void *env, const void *code)
{
    uint64_t stack_regs[TCG_INTERP_MAX_SLOTS];
    uint64_t *regs = stack_regs;
    uint64_t acc = 0;     /* result of the last single-output instruction */
    const uint16_t *pc = code;
    if (*pc == BC_FRAME) {
        regs = (uint64_t *)env;    /* see bytecode.h "Register array placement" */
        regs[pc[1] + BC_ENV_SLOT] = (uint64_t)(uintptr_t)env;
        regs[pc[1] + BC_ZERO_SLOT] = 0;
        regs[pc[1] + BC_ONE_SLOT] = 1;
        pc += BC_FRAME_LEN;
    } else {
        regs[BC_ENV_SLOT] = (uint64_t)(uintptr_t)env;
        regs[BC_ZERO_SLOT] = 0;
        regs[BC_ONE_SLOT] = 1;
    }

#define R(i)     regs[pc[i]]
#define R32(i)   ((uint32_t)regs[pc[i]])
#define IMM32(i) bc_imm32(pc + (i))
#define SIMM(i)  ((uint64_t)(int64_t)(int32_t)bc_imm32(pc + (i)))
#define OFF(i)   ((int32_t)bc_imm32(pc + (i)))

#if defined(__GNUC__) && !defined(TCG_INTERP_SWITCH)
    static const void *const dispatch[BC_COUNT] = {
#define X(n) [BC_##n] = &&L_##n,
        TCG_BC_LIST(X)
#undef X
    };
#define CASE(n) L_##n:
#ifdef TCG_INTERP_PROFILE
#define NEXT() do { tcg_interp_prof_count(*pc); goto *dispatch[*pc]; } while (0)
#else
#define NEXT() goto *dispatch[*pc]
#endif
    NEXT();
    {
#else
#define CASE(n) case BC_##n:
#define NEXT() continue
    for (;;) {
        switch (*pc) {
        default:
            return 0;
#endif

    CASE(NOP) pc += 1; NEXT();
    CASE(FRAME) pc += BC_FRAME_LEN; NEXT();   /* not reached: jumps skip it */
    CASE(MOV) R(1) = acc = R(2); pc += 3; NEXT();
    CASE(MOVI32) R(1) = acc = IMM32(2); pc += 4; NEXT();
    CASE(MOVI64) R(1) = acc = bc_imm64(pc + 2); pc += 6; NEXT();

#define BINARY(N, E32, E64) \
    CASE(N##_32) { uint32_t a = R32(2), b = R32(3); R(1) = acc = (uint32_t)(E32); pc += 4; NEXT(); } \
    CASE(N##_64) { uint64_t a = R(2), b = R(3); R(1) = acc = (E64); pc += 4; NEXT(); } \
    CASE(N##I_32) { uint32_t a = R32(2), b = IMM32(3); R(1) = acc = (uint32_t)(E32); pc += 5; NEXT(); } \
    CASE(N##I_64) { uint64_t a = R(2), b = SIMM(3); R(1) = acc = (E64); pc += 5; NEXT(); } \
    CASE(N##A_32) { uint32_t a = (uint32_t)acc, b = R32(3); R(1) = acc = (uint32_t)(E32); pc += 4; NEXT(); } \
    CASE(N##A_64) { uint64_t a = acc, b = R(3); R(1) = acc = (E64); pc += 4; NEXT(); } \
    CASE(N##AI_32) { uint32_t a = (uint32_t)acc, b = IMM32(3); R(1) = acc = (uint32_t)(E32); pc += 5; NEXT(); } \
    CASE(N##AI_64) { uint64_t a = acc, b = SIMM(3); R(1) = acc = (E64); pc += 5; NEXT(); }

    BINARY(ADD, a + b, a + b)
    BINARY(SUB, a - b, a - b)
    BINARY(MUL, a * b, a * b)
    BINARY(AND, a & b, a & b)
    BINARY(OR, a | b, a | b)
    BINARY(XOR, a ^ b, a ^ b)
    BINARY(ANDC, a & ~b, a & ~b)
    BINARY(ORC, a | ~b, a | ~b)
    BINARY(SHL, a << (b & 31), a << (b & 63))
    BINARY(SHR, a >> (b & 31), a >> (b & 63))
    BINARY(SAR, (int32_t)a >> (b & 31), (uint64_t)((int64_t)a >> (b & 63)))
    BINARY(ROTL, rotl32(a, b), rotl64(a, (unsigned)b))
    BINARY(ROTR, rotr32(a, b), rotr64(a, (unsigned)b))
    BINARY(DIVS, divs32(a, b), divs64(a, b))
    BINARY(DIVU, b ? a / b : 0, b ? a / b : 0)
    BINARY(REMS, rems32(a, b), rems64(a, b))
    BINARY(REMU, b ? a % b : a, b ? a % b : a)
    BINARY(CLZ, a ? (uint32_t)__builtin_clz(a) : b, a ? (uint64_t)__builtin_clzll(a) : b)
    BINARY(CTZ, a ? (uint32_t)__builtin_ctz(a) : b, a ? (uint64_t)__builtin_ctzll(a) : b)

#define UNARY(N, E32, E64) \
    CASE(N##_32) { uint32_t a = R32(2); R(1) = acc = (uint32_t)(E32); pc += 3; NEXT(); } \
    CASE(N##_64) { uint64_t a = R(2); R(1) = acc = (E64); pc += 3; NEXT(); }

    UNARY(NOT, ~a, ~a)
    UNARY(NEG, -a, -a)
    UNARY(EXT8S, (int8_t)a, (uint64_t)(int64_t)(int8_t)a)
    UNARY(EXT8U, (uint8_t)a, (uint8_t)a)
    UNARY(EXT16S, (int16_t)a, (uint64_t)(int64_t)(int16_t)a)
    UNARY(EXT16U, (uint16_t)a, (uint16_t)a)
    UNARY(BSWAP16, __builtin_bswap16((uint16_t)a), __builtin_bswap16((uint16_t)a))
    UNARY(BSWAP32, __builtin_bswap32(a), __builtin_bswap32((uint32_t)a))
    UNARY(CTPOP, __builtin_popcount(a), (uint64_t)__builtin_popcountll(a))

    CASE(EXT32S) R(1) = acc = (uint64_t)(int64_t)(int32_t)R(2); pc += 3; NEXT();
    CASE(EXT32U) R(1) = acc = R32(2); pc += 3; NEXT();
    CASE(BSWAP64) R(1) = acc = __builtin_bswap64(R(2)); pc += 3; NEXT();
    CASE(EXTRH) R(1) = acc = R(2) >> 32; pc += 3; NEXT();
    CASE(CONCAT) R(1) = acc = (uint64_t)R32(2) | (R(3) << 32); pc += 4; NEXT();
    CASE(LEA_64) R(1) = acc = (R(2) << pc[3]) + SIMM(4); pc += 6; NEXT();

    CASE(SETCOND_32) R(1) = acc = (uint64_t)cond32(pc[4], R32(2), R32(3)); pc += 5; NEXT();
    CASE(SETCOND_64) R(1) = acc = (uint64_t)cond64(pc[4], R(2), R(3)); pc += 5; NEXT();
    CASE(SETCONDI_32) R(1) = acc = (uint64_t)cond32(pc[3], R32(2), IMM32(4)); pc += 6; NEXT();
    CASE(SETCONDI_64) R(1) = acc = (uint64_t)cond64(pc[3], R(2), SIMM(4)); pc += 6; NEXT();
    CASE(NEGSETCOND_32) R(1) = acc = (uint32_t)-cond32(pc[4], R32(2), R32(3)); pc += 5; NEXT();
    CASE(NEGSETCOND_64) R(1) = acc = (uint64_t)-(int64_t)cond64(pc[4], R(2), R(3)); pc += 5; NEXT();
    CASE(NEGSETCONDI_32) R(1) = acc = (uint32_t)-cond32(pc[3], R32(2), IMM32(4)); pc += 6; NEXT();
    CASE(NEGSETCONDI_64) R(1) = acc = (uint64_t)-(int64_t)cond64(pc[3], R(2), SIMM(4)); pc += 6; NEXT();
    CASE(MOVCOND_32) R(1) = acc = cond32(pc[6], R32(2), R32(3)) ? R(4) : R(5); pc += 7; NEXT();
    CASE(MOVCOND_64) R(1) = acc = cond64(pc[6], R(2), R(3)) ? R(4) : R(5); pc += 7; NEXT();

#define BRANCH(C, T32, T64, E) \
    CASE(BR##C##_32) { T32 x = (T32)R32(1), y = (T32)R32(2); pc += (E) ? OFF(3) : 5; NEXT(); } \
    CASE(BR##C##_64) { T64 x = (T64)R(1), y = (T64)R(2); pc += (E) ? OFF(3) : 5; NEXT(); } \
    CASE(BR##C##I_32) { T32 x = (T32)R32(1), y = (T32)IMM32(2); pc += (E) ? OFF(4) : 6; NEXT(); } \
    CASE(BR##C##I_64) { T64 x = (T64)R(1), y = (T64)SIMM(2); pc += (E) ? OFF(4) : 6; NEXT(); } \
    CASE(BR##C##A_32) { T32 x = (T32)(uint32_t)acc, y = (T32)R32(2); pc += (E) ? OFF(3) : 5; NEXT(); } \
    CASE(BR##C##A_64) { T64 x = (T64)acc, y = (T64)R(2); pc += (E) ? OFF(3) : 5; NEXT(); } \
    CASE(BR##C##AI_32) { T32 x = (T32)(uint32_t)acc, y = (T32)IMM32(2); pc += (E) ? OFF(4) : 6; NEXT(); } \
    CASE(BR##C##AI_64) { T64 x = (T64)acc, y = (T64)SIMM(2); pc += (E) ? OFF(4) : 6; NEXT(); }

    BRANCH(EQ, uint32_t, uint64_t, x == y)
    BRANCH(NE, uint32_t, uint64_t, x != y)
    BRANCH(LT, int32_t, int64_t, x < y)
    BRANCH(GE, int32_t, int64_t, x >= y)
    BRANCH(LE, int32_t, int64_t, x <= y)
    BRANCH(GT, int32_t, int64_t, x > y)
    BRANCH(LTU, uint32_t, uint64_t, x < y)
    BRANCH(GEU, uint32_t, uint64_t, x >= y)
    BRANCH(LEU, uint32_t, uint64_t, x <= y)
    BRANCH(GTU, uint32_t, uint64_t, x > y)
    BRANCH(TSTEQ, uint32_t, uint64_t, (x & y) == 0)
    BRANCH(TSTNE, uint32_t, uint64_t, (x & y) != 0)
    CASE(BR) pc += OFF(1); NEXT();
    /* A 32-bit env field tested against zero: the block-entry check in one. */
    CASE(BRENVNZ32) pc += ld_u32((uintptr_t)env + (int64_t)OFF(1)) ? OFF(3) : 5; NEXT();
    CASE(BRENVZ32) pc += ld_u32((uintptr_t)env + (int64_t)OFF(1)) ? 5 : OFF(3); NEXT();

    CASE(MULU2_32) {
        uint64_t p = (uint64_t)R32(3) * R32(4);
        R(1) = (uint32_t)p;
        R(2) = p >> 32;
        pc += 5; NEXT();
    }
    CASE(MULU2_64) {
        unsigned __int128 p = (unsigned __int128)R(3) * R(4);
        R(1) = (uint64_t)p;
        R(2) = (uint64_t)(p >> 64);
        pc += 5; NEXT();
    }
    CASE(MULS2_32) {
        uint64_t p = (uint64_t)((int64_t)(int32_t)R32(3) * (int32_t)R32(4));
        R(1) = (uint32_t)p;
        R(2) = (uint32_t)(p >> 32);
        pc += 5; NEXT();
    }
    CASE(MULS2_64) {
        unsigned __int128 p = (unsigned __int128)((__int128)(int64_t)R(3) * (int64_t)R(4));
        R(1) = (uint64_t)p;
        R(2) = (uint64_t)(p >> 64);
        pc += 5; NEXT();
    }
    CASE(ADD2_32) {
        uint64_t z = ((uint64_t)R32(3) | (uint64_t)R32(4) << 32) +
                     ((uint64_t)R32(5) | (uint64_t)R32(6) << 32);
        R(1) = (uint32_t)z;
        R(2) = z >> 32;
        pc += 7; NEXT();
    }
    CASE(ADD2_64) {
        uint64_t al = R(3), ah = R(4), bl = R(5), bh = R(6), lo = al + bl;
        R(1) = lo;
        R(2) = ah + bh + (lo < al);
        pc += 7; NEXT();
    }
    CASE(SUB2_32) {
        uint64_t z = ((uint64_t)R32(3) | (uint64_t)R32(4) << 32) -
                     ((uint64_t)R32(5) | (uint64_t)R32(6) << 32);
        R(1) = (uint32_t)z;
        R(2) = z >> 32;
        pc += 7; NEXT();
    }
    CASE(SUB2_64) {
        uint64_t al = R(3), ah = R(4), bl = R(5), bh = R(6);
        R(1) = al - bl;
        R(2) = ah - bh - (al < bl);
        pc += 7; NEXT();
    }

    CASE(DEPOSIT_32) {
        uint32_t m = (~0u >> (32 - pc[5])) << pc[4];
        R(1) = acc = (R32(2) & ~m) | ((R32(3) << pc[4]) & m);
        pc += 6; NEXT();
    }
    CASE(DEPOSIT_64) {
        uint64_t m = (~0ull >> (64 - pc[5])) << pc[4];
        R(1) = acc = (R(2) & ~m) | ((R(3) << pc[4]) & m);
        pc += 6; NEXT();
    }
    CASE(EXTRACT_32) R(1) = acc = (R32(2) >> pc[3]) & (~0u >> (32 - pc[4])); pc += 5; NEXT();
    CASE(EXTRACT_64) R(1) = acc = (R(2) >> pc[3]) & (~0ull >> (64 - pc[4])); pc += 5; NEXT();
    CASE(SEXTRACT_32)
        R(1) = acc = (uint32_t)((int32_t)(R32(2) << (32 - pc[3] - pc[4])) >> (32 - pc[4]));
        pc += 5; NEXT();
    CASE(SEXTRACT_64)
        R(1) = acc = (uint64_t)((int64_t)(R(2) << (64 - pc[3] - pc[4])) >> (64 - pc[4]));
        pc += 5; NEXT();

#define ADDR (R(2) + SIMM(3))
    CASE(LD8U) R(1) = acc = ld_u8(ADDR); pc += 5; NEXT();
    CASE(LD8S_32) R(1) = acc = (uint32_t)(int8_t)ld_u8(ADDR); pc += 5; NEXT();
    CASE(LD8S_64) R(1) = acc = (uint64_t)(int8_t)ld_u8(ADDR); pc += 5; NEXT();
    CASE(LD16U) R(1) = acc = ld_u16(ADDR); pc += 5; NEXT();
    CASE(LD16S_32) R(1) = acc = (uint32_t)(int16_t)ld_u16(ADDR); pc += 5; NEXT();
    CASE(LD16S_64) R(1) = acc = (uint64_t)(int16_t)ld_u16(ADDR); pc += 5; NEXT();
    CASE(LD32U) R(1) = acc = ld_u32(ADDR); pc += 5; NEXT();
    CASE(LD32S_64) R(1) = acc = (uint64_t)(int32_t)ld_u32(ADDR); pc += 5; NEXT();
    CASE(LD64) R(1) = acc = ld_u64(ADDR); pc += 5; NEXT();
    CASE(ST8) st_n(ADDR, R(1), 1); pc += 5; NEXT();
    CASE(ST16) st_n(ADDR, R(1), 2); pc += 5; NEXT();
    CASE(ST32) st_n(ADDR, R(1), 4); pc += 5; NEXT();
    CASE(ST64) st_n(ADDR, R(1), 8); pc += 5; NEXT();
    CASE(STA32) st_n(ADDR, acc, 4); pc += 5; NEXT();
    CASE(STA64) st_n(ADDR, acc, 8); pc += 5; NEXT();
    CASE(STI32) st_n(R(1) + SIMM(2), IMM32(4), 4); pc += 6; NEXT();
    CASE(STI64) st_n(R(1) + SIMM(2), SIMM(4), 8); pc += 6; NEXT();

    /* retaddr = op address + 1: "retaddr - 1" lies inside this op, as for native calls. */
    CASE(GUEST_LD_32) {
        GuestLoad f = (GuestLoad)(uintptr_t)bc_imm64(pc + 4);
        R(1) = acc = (uint32_t)f(env, R(2), pc[3] & 0xff, pc[3] >> 8, (uintptr_t)pc + 1);
        pc += 8; NEXT();
    }
    CASE(GUEST_LD_64) {
        GuestLoad f = (GuestLoad)(uintptr_t)bc_imm64(pc + 4);
        R(1) = acc = f(env, R(2), pc[3] & 0xff, pc[3] >> 8, (uintptr_t)pc + 1);
        pc += 8; NEXT();
    }
    CASE(GUEST_ST) {
        GuestStore f = (GuestStore)(uintptr_t)bc_imm64(pc + 4);
        f(env, R(2), R(1), pc[3] & 0xff, pc[3] >> 8, (uintptr_t)pc + 1);
        pc += 8; NEXT();
    }

    /* The softmmu's compare-and-add fast path (tcg/tlb.h), the call otherwise.
     * Q*: address in slot 2, memop+mmu in unit 3, the TCGTLBFast's offset in
     * env in 4, slow path at 5. QLDX/QSTX: address R(2) + (R(3) << pc[4]) +
     * simm32 at 5, then units 7, 8 and the slow path at 9 (x86 base + index
     * * scale + displacement in one). */
#define QLD_AT(N, ADDR, OI, LEN, SIZE, LOAD, EXT) \
    CASE(N) { \
        uint64_t addr_ = (ADDR), v_; \
        const TCGTLBEntry *te_ = tlb_entry(env, pc[(OI) + 1], addr_); \
        if (__builtin_expect(((addr_ + (SIZE) - 1) & TCG_PAGE_MASK) == te_->addr_read, 1)) { \
            v_ = LOAD(addr_ + te_->addend); \
        } else { \
            GuestLoad f_ = (GuestLoad)(uintptr_t)bc_imm64(pc + (OI) + 2); \
            unsigned oi_ = pc[OI]; \
            v_ = f_(env, addr_, oi_ & 0xff, oi_ >> 8, (uintptr_t)pc + 1); \
        } \
        R(1) = acc = EXT; \
        pc += (LEN); NEXT(); \
    }
#define QST_AT(N, ADDR, OI, LEN, SIZE) \
    CASE(N) { \
        uint64_t addr_ = (ADDR); \
        const TCGTLBEntry *te_ = tlb_entry(env, pc[(OI) + 1], addr_); \
        if (__builtin_expect(((addr_ + (SIZE) - 1) & TCG_PAGE_MASK) == te_->addr_write, 1)) { \
            st_n(addr_ + te_->addend, R(1), SIZE); \
        } else { \
            GuestStore f_ = (GuestStore)(uintptr_t)bc_imm64(pc + (OI) + 2); \
            unsigned oi_ = pc[OI]; \
            f_(env, addr_, R(1), oi_ & 0xff, oi_ >> 8, (uintptr_t)pc + 1); \
        } \
        pc += (LEN); NEXT(); \
    }
#define QLD(N, SIZE, LOAD, EXT) \
    QLD_AT(QLD_##N, R(2), 3, 9, SIZE, LOAD, EXT) \
    QLD_AT(QLDX_##N, R(2) + (R(3) << pc[4]) + SIMM(5), 7, 13, SIZE, LOAD, EXT)
#define QST(N, SIZE) \
    QST_AT(QST_##N, R(2), 3, 9, SIZE) \
    QST_AT(QSTX_##N, R(2) + (R(3) << pc[4]) + SIMM(5), 7, 13, SIZE)
    QLD(UB, 1, ld_u8, (uint8_t)v_)
    QLD(UW, 2, ld_u16, (uint16_t)v_)
    QLD(UL, 4, ld_u32, (uint32_t)v_)
    QLD(UQ, 8, ld_u64, v_)
    QLD(SB_32, 1, ld_u8, (uint32_t)(int8_t)v_)
    QLD(SW_32, 2, ld_u16, (uint32_t)(int16_t)v_)
    QLD(SB_64, 1, ld_u8, (uint64_t)(int8_t)v_)
    QLD(SW_64, 2, ld_u16, (uint64_t)(int16_t)v_)
    QLD(SL_64, 4, ld_u32, (uint64_t)(int32_t)v_)
    QST(8, 1)
    QST(16, 2)
    QST(32, 4)
    QST(64, 8)

    /* Two outputs: *Z the result in d1 and zero-extended from 32 bits in d2
     * (x86: whole in cc_dst, the 32-bit register); *D the result in both
     * (the 64-bit register and cc_dst); *W its low 32 bits in both.
     * `op d1 d2 a b` / `op d1 d2 a imm32`. */
#define BINARY2_ONE(N, E, B, LEN, V2) \
    CASE(N) { \
        uint64_t a = R(3), b = (B), v = (E); \
        R(1) = acc = v; \
        R(2) = (V2); \
        pc += (LEN); NEXT(); \
    }
#define BINARY2(N, E) \
    BINARY2_ONE(N##Z_64, E, R(4), 5, (uint32_t)v) \
    BINARY2_ONE(N##ZI_64, E, SIMM(4), 6, (uint32_t)v) \
    BINARY2_ONE(N##D_64, E, R(4), 5, v) \
    BINARY2_ONE(N##DI_64, E, SIMM(4), 6, v) \
    BINARY2_ONE(N##W_64, (uint32_t)(E), R(4), 5, v) \
    BINARY2_ONE(N##WI_64, (uint32_t)(E), SIMM(4), 6, v)
    BINARY2(ADD, a + b)
    BINARY2(SUB, a - b)
    BINARY2(AND, a & b)
    BINARY2(OR, a | b)
    BINARY2(XOR, a ^ b)

    /* x86 ROL/ROR r8/r16: y = deposit(z, rotl_w(x, k), 0, w), `op y z x w k`. */
    CASE(ROTDEP_64) {
        uint64_t m = (1ull << pc[4]) - 1, v = R(3) & m;
        v = ((v << pc[5]) | (v >> (pc[4] - pc[5]))) & m;
        R(1) = acc = (R(2) & ~m) | v;
        pc += 6; NEXT();
    }
    CASE(ROTDEP_M_64) {   /* and g = the rotated value: `op y z x w k g` */
        uint64_t m = (1ull << pc[4]) - 1, v = R(3) & m;
        v = ((v << pc[5]) | (v >> (pc[4] - pc[5]))) & m;
        R(1) = acc = (R(2) & ~m) | v;
        R(6) = v;
        pc += 7; NEXT();
    }
    /* Branch if a (does not) equal its low len bits sign-extended (x86's
     * canonical-address check): `op a len off32`. */
    CASE(BRSEXTEQ) {
        uint64_t x = R(1);
        unsigned sh = 64 - pc[2];
        pc += (uint64_t)((int64_t)(x << sh) >> sh) == x ? OFF(3) : 5;
        NEXT();
    }
    CASE(BRSEXTNE) {
        uint64_t x = R(1);
        unsigned sh = 64 - pc[2];
        pc += (uint64_t)((int64_t)(x << sh) >> sh) != x ? OFF(3) : 5;
        NEXT();
    }

    /* x86 flags of SUB/CMP: d = a - b (truncated to 32 bits when w = 32),
     * s = b, and (ST) the 32-bit cc_op field at env + off32 = k32, as sub;
     * [ext32u;] mov; mov_i32 would: `op d a b s w [off32 k32]` /
     * `op d a s w imm32 [off32 k32]`. */
#define SUBMOV_REG(N, LEN, ST) \
    CASE(N) { \
        uint64_t a = R(2), b = R(3); \
        R(1) = acc = (a - b) & (~0ull >> pc[5]); \
        R(4) = b; \
        if (ST) { \
            st_n((uintptr_t)env + (int64_t)OFF(6), IMM32(8), 4); \
        } \
        pc += (LEN); NEXT(); \
    }
#define SUBMOV_IMM(N, LEN, ST) \
    CASE(N) { \
        uint64_t a = R(2), b = SIMM(5); \
        R(1) = acc = (a - b) & (~0ull >> pc[4]); \
        R(3) = b; \
        if (ST) { \
            st_n((uintptr_t)env + (int64_t)OFF(7), IMM32(9), 4); \
        } \
        pc += (LEN); NEXT(); \
    }
    SUBMOV_REG(SUBMOV_64, 6, 0)
    SUBMOV_REG(SUBMOVST_64, 10, 1)
    SUBMOV_IMM(SUBMOVI_64, 7, 0)
    SUBMOV_IMM(SUBMOVSTI_64, 11, 1)

    /* Leave the block through one of the two goto_tb fields at FIELDS
     * (aligned up; taken first): chained, as GOTO_TB does; unchained, to the
     * taken exit (EXITOFF from the op) or the fall-through after the fields. */
    /* (Plain blocks, not do/while: NEXT() is `continue` in the switch form.) */
#define TB_CHAIN(TG, UNCHAINED) { \
        uint64_t tg_ = (TG); \
        if (__builtin_expect(tg_ & BC_CHAIN_CHECKED, 1)) { \
            pc = (const uint16_t *)(uintptr_t)(tg_ & ~(uint64_t)BC_CHAIN_CHECKED); \
            if (__builtin_expect(ld_u32((uintptr_t)env + TCG_ENV_EXIT_REQUEST_OFFSET) != 0, 0)) { \
                pc -= BC_ENTRY_CHECK_LEN; \
            } \
        } else { \
            pc = tg_ ? (const uint16_t *)(uintptr_t)tg_ : (UNCHAINED); \
        } \
        NEXT(); \
    }
    /* A real branch, then each way its own dispatch: the host predicts
     * them as it did the separate branch and goto_tb (a branch-free choice
     * of the field measured far slower). */
#define TB_LEAVE(T, FIELDS, EXITOFF) { \
        const uint64_t *f_ = (const uint64_t *)(((uintptr_t)(FIELDS) + 7) & ~(uintptr_t)7); \
        if (T) { \
            TB_CHAIN(__atomic_load_n(f_, __ATOMIC_ACQUIRE), pc + (EXITOFF)) \
        } \
        TB_CHAIN(__atomic_load_n(f_ + 1, __ATOMIC_ACQUIRE), (const uint16_t *)(f_ + 2)) \
    }
    /* BRTB: `op a b exit32 [pad] f0 f1` / `op a imm32 exit32 [pad] f0 f1`. */
#define BRTB(C, T32, T64, E) \
    CASE(BRTB##C##_32) { T32 x = (T32)R32(1), y = (T32)R32(2); TB_LEAVE(E, pc + 5, OFF(3)) } \
    CASE(BRTB##C##_64) { T64 x = (T64)R(1), y = (T64)R(2); TB_LEAVE(E, pc + 5, OFF(3)) } \
    CASE(BRTB##C##I_32) { T32 x = (T32)R32(1), y = (T32)IMM32(2); TB_LEAVE(E, pc + 6, OFF(4)) } \
    CASE(BRTB##C##I_64) { T64 x = (T64)R(1), y = (T64)SIMM(2); TB_LEAVE(E, pc + 6, OFF(4)) }
    /* CMPTB: SUBMOVST, then BRTB on x (& ~0 >> xm), y read after its
     * writes (as the brcond would): `op d a b s w off32 k32 x y xm exit32
     * [pad] f0 f1` / `op d a s w imm32 off32 k32 x y xm exit32 [pad] f0 f1`. */
#define CMPTB(C, T64, E) \
    BRTB(C, T32, T64, E) \
    CASE(CMPTB##C) { \
        uint64_t a = R(2), b = R(3); \
        R(1) = (a - b) & (~0ull >> pc[5]); \
        R(4) = b; \
        st_n((uintptr_t)env + (int64_t)OFF(6), IMM32(8), 4); \
        T64 x = (T64)(R(10) & (~0ull >> pc[12])), y = (T64)R(11); \
        TB_LEAVE(E, pc + 15, OFF(13)) \
    } \
    CASE(CMPTB##C##I) { \
        uint64_t a = R(2), b = SIMM(5); \
        R(1) = (a - b) & (~0ull >> pc[4]); \
        R(3) = b; \
        st_n((uintptr_t)env + (int64_t)OFF(7), IMM32(9), 4); \
        T64 x = (T64)(R(11) & (~0ull >> pc[13])), y = (T64)R(12); \
        TB_LEAVE(E, pc + 16, OFF(14)) \
    }
#define T32 uint32_t
    CMPTB(EQ, uint64_t, x == y)
    CMPTB(NE, uint64_t, x != y)
    CMPTB(LTU, uint64_t, x < y)
    CMPTB(GEU, uint64_t, x >= y)
    CMPTB(LEU, uint64_t, x <= y)
    CMPTB(GTU, uint64_t, x > y)
#undef T32
#define T32 int32_t
    CMPTB(LT, int64_t, x < y)
    CMPTB(GE, int64_t, x >= y)
    CMPTB(LE, int64_t, x <= y)
    CMPTB(GT, int64_t, x > y)
#undef T32
    BRTB(TSTEQ, uint32_t, uint64_t, (x & y) == 0)
    BRTB(TSTNE, uint32_t, uint64_t, (x & y) != 0)

#define CALL_PROLOGUE(n) \
    uint64_t fn_ = bc_imm64(pc + 3 + (n)), r_; \
    if (pc[1] & BC_CALL_MAY_RAISE) { tcg_helper_retaddr = (uintptr_t)pc + 1; }
#define CALL_EPILOGUE(n) \
    if ((pc[1] & BC_CALL_RET_MASK) == TCG_HELPER_RET_I32) { R(2) = acc = (uint32_t)r_; } \
    else if ((pc[1] & BC_CALL_RET_MASK) == TCG_HELPER_RET_I64) { R(2) = acc = r_; } \
    pc += 7 + (n); NEXT();
    CASE(CALL0) { CALL_PROLOGUE(0) r_ = ((Call0)(uintptr_t)fn_)(); CALL_EPILOGUE(0) }
    CASE(CALL1) { CALL_PROLOGUE(1) r_ = ((Call1)(uintptr_t)fn_)(R(3)); CALL_EPILOGUE(1) }
    CASE(CALL2) { CALL_PROLOGUE(2) r_ = ((Call2)(uintptr_t)fn_)(R(3), R(4)); CALL_EPILOGUE(2) }
    CASE(CALL3) { CALL_PROLOGUE(3) r_ = ((Call3)(uintptr_t)fn_)(R(3), R(4), R(5)); CALL_EPILOGUE(3) }
    CASE(CALL4) { CALL_PROLOGUE(4) r_ = ((Call4)(uintptr_t)fn_)(R(3), R(4), R(5), R(6)); CALL_EPILOGUE(4) }
    CASE(CALL5) {
        CALL_PROLOGUE(5)
        r_ = ((Call5)(uintptr_t)fn_)(R(3), R(4), R(5), R(6), R(7));
        CALL_EPILOGUE(5)
    }
    CASE(CALL6) {
        CALL_PROLOGUE(6)
        r_ = ((Call6)(uintptr_t)fn_)(R(3), R(4), R(5), R(6), R(7), R(8));
        CALL_EPILOGUE(6)
    }

    /* GOTO_TBn: the 8-byte target field follows after n padding units.
     * GOTO_TBSn first stores k32 into the 32-bit field at env + off32
     * (`op off32 k32 [pad] target64`). */
#define GOTO_TB_PAD(N, PAD, HEAD) \
    CASE(N) { \
        if ((HEAD) > 1) { \
            st_n((uintptr_t)env + (int64_t)OFF(1), IMM32(3), 4); \
        } \
        uint64_t target = \
            __atomic_load_n((const uint64_t *)(pc + (HEAD) + (PAD)), __ATOMIC_ACQUIRE); \
        if (__builtin_expect(target & BC_CHAIN_CHECKED, 1)) { \
            /* Linked past the target's entry check: do that check here. */ \
            pc = (const uint16_t *)(uintptr_t)(target & ~(uint64_t)BC_CHAIN_CHECKED); \
            if (__builtin_expect(ld_u32((uintptr_t)env + TCG_ENV_EXIT_REQUEST_OFFSET) != 0, 0)) { \
                pc -= BC_ENTRY_CHECK_LEN;   /* back to it: the target leaves as it should */ \
            } \
        } else { \
            pc = target ? (const uint16_t *)(uintptr_t)target : pc + (HEAD) + 4 + (PAD); \
        } \
        NEXT(); \
    }
    GOTO_TB_PAD(GOTO_TB, 0, 1)
    GOTO_TB_PAD(GOTO_TB1, 1, 1)
    GOTO_TB_PAD(GOTO_TB2, 2, 1)
    GOTO_TB_PAD(GOTO_TB3, 3, 1)
    GOTO_TB_PAD(GOTO_TBS, 0, 5)
    GOTO_TB_PAD(GOTO_TBS1, 1, 5)
    GOTO_TB_PAD(GOTO_TBS2, 2, 5)
    GOTO_TB_PAD(GOTO_TBS3, 3, 5)
    CASE(EXIT_TB) return (uintptr_t)bc_imm64(pc + 1);
    /* call lookup_tb_ptr + goto_ptr, the jump-cache hit inline (as the
     * native backend's probe: entries are valid blocks only). LOOKUP_GOTO_M
     * first does the mov of the new pc into its register: `op d s`. */
    CASE(LOOKUP_GOTO_M)
        R(1) = R(2);
        goto lookup_goto;
    CASE(LOOKUP_GOTO)
    lookup_goto: {
        CPUState *cpu_ = env;
        const uint16_t *t_ = NULL;
        if (!cpu_->cflags_next_tb) {
            uint64_t gpc_, csb_;
            uint32_t fl_;
            cpu_->frontend->get_tb_key(cpu_, &gpc_, &csb_, &fl_);
            const TranslationBlock *tb_ =
                __atomic_load_n(&cpu_->jmp_cache->tb[tb_jc_hash(gpc_)], __ATOMIC_ACQUIRE);
            if (__builtin_expect(tb_ && tb_->pc == gpc_ && tb_->cs_base == csb_ &&
                                 tb_->flags == fl_ && tb_->cflags == 0, 1)) {
                t_ = tb_->code;
                TCG_STAT_INC(lookup_ptr_hits);   /* as the helper counts its hits */
            } else {
                t_ = helper_lookup_tb_ptr(env);
            }
        }
        if (!t_) {
            return 0;
        }
        pc = goto_ptr_entry(env, t_);
        NEXT();
    }
    CASE(GOTO_PTR) {
        uint64_t target = R(1);
        if (!target) {
            return 0;
        }
        pc = goto_ptr_entry(env, (const uint16_t *)(uintptr_t)target);
        NEXT();
    }
    CASE(MB) __atomic_thread_fence(__ATOMIC_SEQ_CST); pc += 1; NEXT();

#if defined(__GNUC__) && !defined(TCG_INTERP_SWITCH)
    }
#else
        }
    }
#endif
}
