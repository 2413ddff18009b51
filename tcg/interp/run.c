/*
 * Interpreter backend, execution: runs the bytecode of tcg/interp/emit.c
 * with a register array on the C stack (slot 0 = env). Dispatch is direct
 * threaded (computed goto) under GCC/Clang, a switch otherwise. Guest
 * accesses inline the softmmu TLB lookup when the memory ops allow it. Divisions
 * never trap here even on inputs the frontend promised not to produce.
 */
#include <stdint.h>

#include "../backend.h"
#include "../cpu.h"
#include "../helper.h"
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

static inline const TCGTLBEntry *tlb_entry(void *env, unsigned mmu, uint64_t addr)
{
    const TCGTLBFast *f = (const TCGTLBFast *)((char *)env + TCG_ENV_TLB_OFFSET) + mmu;
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
        pc += BC_FRAME_LEN;
    } else {
        regs[BC_ENV_SLOT] = (uint64_t)(uintptr_t)env;
        regs[BC_ZERO_SLOT] = 0;
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

    /* The softmmu's compare-and-add fast path (tcg/tlb.h), the call otherwise. */
#define QLD(N, SIZE, LOAD, EXT) \
    CASE(N) { \
        uint64_t addr_ = R(2), v_; \
        unsigned oi_ = pc[3]; \
        const TCGTLBEntry *te_ = tlb_entry(env, oi_ >> 8, addr_); \
        if (((addr_ + (SIZE) - 1) & TCG_PAGE_MASK) == te_->addr_read) { \
            v_ = LOAD(addr_ + te_->addend); \
        } else { \
            GuestLoad f_ = (GuestLoad)(uintptr_t)bc_imm64(pc + 4); \
            v_ = f_(env, addr_, oi_ & 0xff, oi_ >> 8, (uintptr_t)pc + 1); \
        } \
        R(1) = acc = EXT; \
        pc += 8; NEXT(); \
    }
    QLD(QLD_UB, 1, ld_u8, (uint8_t)v_)
    QLD(QLD_UW, 2, ld_u16, (uint16_t)v_)
    QLD(QLD_UL, 4, ld_u32, (uint32_t)v_)
    QLD(QLD_UQ, 8, ld_u64, v_)
    QLD(QLD_SB_32, 1, ld_u8, (uint32_t)(int8_t)v_)
    QLD(QLD_SW_32, 2, ld_u16, (uint32_t)(int16_t)v_)
    QLD(QLD_SB_64, 1, ld_u8, (uint64_t)(int8_t)v_)
    QLD(QLD_SW_64, 2, ld_u16, (uint64_t)(int16_t)v_)
    QLD(QLD_SL_64, 4, ld_u32, (uint64_t)(int32_t)v_)
#define QST(N, SIZE) \
    CASE(N) { \
        uint64_t addr_ = R(2); \
        unsigned oi_ = pc[3]; \
        const TCGTLBEntry *te_ = tlb_entry(env, oi_ >> 8, addr_); \
        if (((addr_ + (SIZE) - 1) & TCG_PAGE_MASK) == te_->addr_write) { \
            st_n(addr_ + te_->addend, R(1), SIZE); \
        } else { \
            GuestStore f_ = (GuestStore)(uintptr_t)bc_imm64(pc + 4); \
            f_(env, addr_, R(1), oi_ & 0xff, oi_ >> 8, (uintptr_t)pc + 1); \
        } \
        pc += 8; NEXT(); \
    }
    QST(QST_8, 1)
    QST(QST_16, 2)
    QST(QST_32, 4)
    QST(QST_64, 8)

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

    CASE(GOTO_TB) {
        const uint64_t *slot = (const uint64_t *)(((uintptr_t)(pc + 1) + 7) & ~(uintptr_t)7);
        uint64_t target = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        if (target & BC_CHAIN_CHECKED) {
            /* Linked past the target's entry check: do that check here. */
            pc = (const uint16_t *)(uintptr_t)(target & ~(uint64_t)BC_CHAIN_CHECKED);
            if (__builtin_expect(ld_u32((uintptr_t)env + TCG_ENV_EXIT_REQUEST_OFFSET) != 0, 0)) {
                pc -= BC_ENTRY_CHECK_LEN;   /* back to it: the target leaves as it should */
            }
        } else {
            pc = target ? (const uint16_t *)(uintptr_t)target : (const uint16_t *)(slot + 1);
        }
        NEXT();
    }
    CASE(EXIT_TB) return (uintptr_t)bc_imm64(pc + 1);
    CASE(GOTO_PTR) {
        uint64_t target = R(1);
        if (!target) {
            return 0;
        }
        pc = (const uint16_t *)(uintptr_t)target;
        if (*pc == BC_FRAME) {   /* same frame: blocks of one env */
            pc += BC_FRAME_LEN;
            if (bc_is_entry_check(pc) &&
                !ld_u32((uintptr_t)env + TCG_ENV_EXIT_REQUEST_OFFSET)) {
                pc += BC_ENTRY_CHECK_LEN;
            }
        }
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
