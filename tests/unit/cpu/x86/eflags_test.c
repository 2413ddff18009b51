/*
 * Proves the lazy-flag computation (cpu/x86/eflags.c) against the host CPU:
 * every CCOp at every size on random and edge operands gives the EFLAGS the
 * real instruction gives (flags the SDM calls undefined are masked), Jcc
 * conditions match SETcc, and the POPF/CLI/STI privilege rules hold.
 */
#include <cpuid.h>

#include "x86_fake_env.h"

#define ARITH X86_EFLAGS_ARITH
#define F_CF X86_EFLAGS_CF
#define F_PF X86_EFLAGS_PF
#define F_AF X86_EFLAGS_AF
#define F_ZF X86_EFLAGS_ZF
#define F_SF X86_EFLAGS_SF
#define F_OF X86_EFLAGS_OF

/* The asm frame: step over the red zone, load flags, run, save flags. */
#define FIN  "lea -128(%%rsp), %%rsp\n\tpush %[fi]\n\tpopfq\n\t"
#define FOUT "\n\tpushfq\n\tpop %[f]\n\tlea 128(%%rsp), %%rsp"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random operands that hit the edges often: 0, 1, all ones, sign bits. */
static uint64_t operand(void)
{
    static const uint64_t edge[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                     0x7fffffff, 0x80000000, 0xffffffff,
                                     0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull,
                                     0x0f, 0x10, 0xf0 };
    uint64_t r = rnd();
    if ((r & 3) == 0) {
        return edge[(r >> 2) % (sizeof(edge) / sizeof(edge[0]))];
    }
    return rnd() >> (rnd() & 63);
}

static uint64_t mask_of(unsigned size)
{
    return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* Two-operand ALU op: a = a OP b. Returns flags. */
#define DEF_BIN(name, mnem)                                                          \
    static uint32_t host_##name(unsigned size, uint64_t *a, uint64_t b, uint64_t fin) \
    {                                                                                \
        uint64_t f, x = *a;                                                          \
        switch (size) {                                                              \
        case 1: asm volatile(FIN mnem "b %b[b], %b[x]" FOUT                          \
                             : [x] "+r"(x), [f] "=&r"(f) : [b] "r"(b), [fi] "r"(fin) : "cc"); break; \
        case 2: asm volatile(FIN mnem "w %w[b], %w[x]" FOUT                          \
                             : [x] "+r"(x), [f] "=&r"(f) : [b] "r"(b), [fi] "r"(fin) : "cc"); break; \
        case 4: asm volatile(FIN mnem "l %k[b], %k[x]" FOUT                          \
                             : [x] "+r"(x), [f] "=&r"(f) : [b] "r"(b), [fi] "r"(fin) : "cc"); break; \
        default: asm volatile(FIN mnem "q %q[b], %q[x]" FOUT                         \
                              : [x] "+r"(x), [f] "=&r"(f) : [b] "r"(b), [fi] "r"(fin) : "cc"); break; \
        }                                                                            \
        *a = x & mask_of(size);                                                      \
        return (uint32_t)f;                                                          \
    }

DEF_BIN(add, "add")
DEF_BIN(adc, "adc")
DEF_BIN(sub, "sub")
DEF_BIN(sbb, "sbb")
DEF_BIN(and, "and")
DEF_BIN(or, "or")
DEF_BIN(xor, "xor")

/* One-operand op. */
#define DEF_UN(name, mnem)                                                           \
    static uint32_t host_##name(unsigned size, uint64_t *a, uint64_t fin)             \
    {                                                                                \
        uint64_t f, x = *a;                                                          \
        switch (size) {                                                              \
        case 1: asm volatile(FIN mnem "b %b[x]" FOUT : [x] "+r"(x), [f] "=&r"(f) : [fi] "r"(fin) : "cc"); break; \
        case 2: asm volatile(FIN mnem "w %w[x]" FOUT : [x] "+r"(x), [f] "=&r"(f) : [fi] "r"(fin) : "cc"); break; \
        case 4: asm volatile(FIN mnem "l %k[x]" FOUT : [x] "+r"(x), [f] "=&r"(f) : [fi] "r"(fin) : "cc"); break; \
        default: asm volatile(FIN mnem "q %q[x]" FOUT : [x] "+r"(x), [f] "=&r"(f) : [fi] "r"(fin) : "cc"); break; \
        }                                                                            \
        *a = x & mask_of(size);                                                      \
        return (uint32_t)f;                                                          \
    }

DEF_UN(inc, "inc")
DEF_UN(dec, "dec")
DEF_UN(neg, "neg")

/* Shift by CL. */
#define DEF_SH(name, mnem)                                                           \
    static uint32_t host_##name(unsigned size, uint64_t *a, uint8_t n, uint64_t fin)  \
    {                                                                                \
        uint64_t f, x = *a;                                                          \
        switch (size) {                                                              \
        case 1: asm volatile(FIN mnem "b %%cl, %b[x]" FOUT : [x] "+r"(x), [f] "=&r"(f) : "c"(n), [fi] "r"(fin) : "cc"); break; \
        case 2: asm volatile(FIN mnem "w %%cl, %w[x]" FOUT : [x] "+r"(x), [f] "=&r"(f) : "c"(n), [fi] "r"(fin) : "cc"); break; \
        case 4: asm volatile(FIN mnem "l %%cl, %k[x]" FOUT : [x] "+r"(x), [f] "=&r"(f) : "c"(n), [fi] "r"(fin) : "cc"); break; \
        default: asm volatile(FIN mnem "q %%cl, %q[x]" FOUT : [x] "+r"(x), [f] "=&r"(f) : "c"(n), [fi] "r"(fin) : "cc"); break; \
        }                                                                            \
        *a = x & mask_of(size);                                                      \
        return (uint32_t)f;                                                          \
    }

DEF_SH(shl, "shl")
DEF_SH(shr, "shr")
DEF_SH(sar, "sar")

/* One-operand MUL/IMUL: full product in hi:lo. */
#define DEF_MUL(name, mnem)                                                          \
    static uint32_t host_##name(unsigned size, uint64_t a, uint64_t b, uint64_t *lo,  \
                                uint64_t *hi)                                         \
    {                                                                                \
        uint64_t f, ax = a, dx = 0;                                                  \
        switch (size) {                                                              \
        case 1: asm volatile(FIN mnem "b %b[b]" FOUT : "+a"(ax), [f] "=&r"(f) : [b] "r"(b), [fi] "r"(0ull) : "cc"); \
            *lo = ax & 0xff; *hi = (ax >> 8) & 0xff; break;                          \
        case 2: asm volatile(FIN mnem "w %w[b]" FOUT : "+a"(ax), "+d"(dx), [f] "=&r"(f) : [b] "r"(b), [fi] "r"(0ull) : "cc"); \
            *lo = ax & 0xffff; *hi = dx & 0xffff; break;                             \
        case 4: asm volatile(FIN mnem "l %k[b]" FOUT : "+a"(ax), "+d"(dx), [f] "=&r"(f) : [b] "r"(b), [fi] "r"(0ull) : "cc"); \
            *lo = (uint32_t)ax; *hi = (uint32_t)dx; break;                           \
        default: asm volatile(FIN mnem "q %q[b]" FOUT : "+a"(ax), "+d"(dx), [f] "=&r"(f) : [b] "r"(b), [fi] "r"(0ull) : "cc"); \
            *lo = ax; *hi = dx; break;                                               \
        }                                                                            \
        return (uint32_t)f;                                                          \
    }

DEF_MUL(mul, "mul")
DEF_MUL(imul, "imul")

static int64_t sext(uint64_t v, unsigned size)
{
    unsigned sh = 64 - 8 * size;
    return (int64_t)(v << sh) >> sh;
}

/* Compare our flags with the host's on the defined bits. */
static bool same(uint32_t ours, uint32_t host, uint32_t defined, const char *what,
                 unsigned size, uint64_t a, uint64_t b)
{
    if ((ours & defined) != (host & defined)) {
        printf("  %s size %u a=%#llx b=%#llx: ours %#x host %#x (defined %#x)\n", what, size,
               (unsigned long long)a, (unsigned long long)b, ours & ARITH, host & ARITH, defined);
        return false;
    }
    return true;
}

static const unsigned sizes[] = { 1, 2, 4, 8 };
#define ITER 20000

TEST_CASE(add_adc_sub_sbb_cmp_match_host)
{
    for (int i = 0; i < ITER; i++) {
        unsigned s = sizes[i & 3];
        uint64_t m = mask_of(s), a = operand() & m, b = operand() & m, r;
        uint64_t cin = rnd() & 1;
        uint32_t h;

        r = a; h = host_add(s, &r, b, 2);
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_ADDB, s), r, b, 0), h, ARITH, "add", s, a, b));
        r = a; h = host_adc(s, &r, b, 2 | cin);
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_ADCB, s), r, b, cin), h, ARITH, "adc", s, a, b));
        r = a; h = host_sub(s, &r, b, 2);   /* also CMP: same flags */
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_SUBB, s), r, b, 0), h, ARITH, "sub", s, a, b));
        r = a; h = host_sbb(s, &r, b, 2 | cin);
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_SBBB, s), r, b, cin), h, ARITH, "sbb", s, a, b));
        /* NEG is SUB from 0. */
        r = a; h = host_neg(s, &r, 2);
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_SUBB, s), r, a, 0), h, ARITH, "neg", s, a, 0));
        /* CF-only helper agrees. */
        r = a; h = host_sbb(s, &r, b, 2 | cin);
        CHECK_EQ(x86_cc_compute_cf(x86_cc_op_sized(CC_OP_SBBB, s), r, b, cin), h & F_CF);
    }
}

TEST_CASE(logic_matches_host)
{
    for (int i = 0; i < ITER; i++) {
        unsigned s = sizes[i & 3];
        uint64_t m = mask_of(s), a = operand() & m, b = operand() & m, r;
        uint32_t defined = ARITH & ~F_AF;   /* AF undefined after AND/OR/XOR */
        uint32_t h;
        r = a; h = host_and(s, &r, b, 2 | F_CF | F_OF);
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_LOGICB, s), r, 0, 0), h, defined, "and", s, a, b));
        r = a; h = host_or(s, &r, b, 2 | F_CF | F_OF);
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_LOGICB, s), r, 0, 0), h, defined, "or", s, a, b));
        r = a; h = host_xor(s, &r, b, 2 | F_CF | F_OF);
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_LOGICB, s), r, 0, 0), h, defined, "xor", s, a, b));
    }
}

TEST_CASE(inc_dec_match_host_and_keep_cf)
{
    for (int i = 0; i < ITER; i++) {
        unsigned s = sizes[i & 3];
        uint64_t a = operand() & mask_of(s), r, cf = rnd() & 1;
        uint32_t h;
        r = a; h = host_inc(s, &r, 2 | cf);
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_INCB, s), r, cf, 0), h, ARITH, "inc", s, a, cf));
        r = a; h = host_dec(s, &r, 2 | cf);
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_DECB, s), r, cf, 0), h, ARITH, "dec", s, a, cf));
    }
}

TEST_CASE(shifts_match_host)
{
    for (int i = 0; i < ITER; i++) {
        unsigned s = sizes[i & 3], bits = 8 * s;
        uint64_t m = mask_of(s), a = operand() & m, r;
        uint8_t n = (uint8_t)(1 + rnd() % (bits - 1));   /* CF is undefined for count >= size */
        /* OF is defined for 1-bit shifts only; AF is undefined for shifts. */
        uint32_t defined = ARITH & ~F_AF & ~(n == 1 ? 0 : F_OF);
        uint32_t h;

        r = a; h = host_shl(s, &r, n, 2);
        uint64_t src = (a << (n - 1)) & m;
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_SHLB, s), r, src, 0), h, defined, "shl", s, a, n));
        r = a; h = host_shr(s, &r, n, 2);
        src = a >> (n - 1);
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_SHRB, s), r, src, 0), h, defined, "shr", s, a, n));
        r = a; h = host_sar(s, &r, n, 2);
        src = (uint64_t)(sext(a, s) >> (n - 1)) & m;
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_SARB, s), r, src, 0), h, defined, "sar", s, a, n));
    }
}

TEST_CASE(mul_imul_match_host)
{
    for (int i = 0; i < ITER; i++) {
        unsigned s = sizes[i & 3];
        uint64_t m = mask_of(s), a = operand() & m, b = operand() & m, lo, hi;
        uint32_t defined = F_CF | F_OF;     /* SF ZF AF PF undefined */
        uint32_t h = host_mul(s, a, b, &lo, &hi);
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_MULB, s), lo, hi != 0, 0), h, defined, "mul", s, a, b));
        h = host_imul(s, a, b, &lo, &hi);
        /* The high half matters when it is not the sign extension of the low. */
        bool sig = hi != ((sext(lo, s) < 0) ? m : 0);
        CHECK(same(x86_cc_compute(x86_cc_op_sized(CC_OP_IMULB, s), lo, sig, 0), h, defined, "imul", s, a, b));
    }
}

static bool host_has_bmi(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        return false;
    }
    bool bmi1 = b & (1u << 3), bmi2 = b & (1u << 8);
    __get_cpuid(0x80000001, &a, &b, &c, &d);
    return bmi1 && bmi2 && (c & (1u << 5));   /* + LZCNT (ABM) */
}

/* BMI ops on 32/64-bit operands; `op` selects the instruction. */
static uint32_t host_bmi(int op, unsigned s, uint64_t a, uint64_t b, uint64_t *r)
{
    uint64_t f, x = 0;
    const uint64_t fi = 2 | F_CF | F_OF | F_ZF | F_SF;
#define BMI3(mn) if (s == 4) asm volatile(FIN mn " %k[b], %k[a], %k[x]" FOUT : [x] "=&r"(x), [f] "=&r"(f) : [a] "r"(a), [b] "r"(b), [fi] "r"(fi) : "cc"); \
                 else asm volatile(FIN mn " %q[b], %q[a], %q[x]" FOUT : [x] "=&r"(x), [f] "=&r"(f) : [a] "r"(a), [b] "r"(b), [fi] "r"(fi) : "cc")
#define BMI2OP(mn) if (s == 4) asm volatile(FIN mn " %k[a], %k[x]" FOUT : [x] "=&r"(x), [f] "=&r"(f) : [a] "r"(a), [fi] "r"(fi) : "cc"); \
                   else asm volatile(FIN mn " %q[a], %q[x]" FOUT : [x] "=&r"(x), [f] "=&r"(f) : [a] "r"(a), [fi] "r"(fi) : "cc")
    switch (op) {
    case 0: BMI3("andn"); break;   /* x = ~a & b (AT&T: andn b, a, x) */
    case 1: BMI2OP("blsi"); break;
    case 2: BMI2OP("blsmsk"); break;
    case 3: BMI2OP("blsr"); break;
    case 4: BMI3("bzhi"); break;   /* x = a with bits from b[7:0] up cleared */
    case 5: BMI2OP("tzcnt"); break;
    case 6: BMI2OP("lzcnt"); break;
    default: BMI2OP("popcnt"); break;
    }
#undef BMI3
#undef BMI2OP
    *r = x & mask_of(s);
    return (uint32_t)f;
}

TEST_CASE(bmi_and_popcnt_match_host)
{
    if (!host_has_bmi()) {
        SKIP("host CPU lacks BMI1/BMI2/LZCNT");
    }
    static const char *names[] = { "andn", "blsi", "blsmsk", "blsr", "bzhi", "tzcnt", "lzcnt", "popcnt" };
    for (int i = 0; i < ITER; i++) {
        unsigned s = (i & 1) ? 8 : 4, bits = 8 * s;
        uint64_t m = mask_of(s), a = operand() & m, b = operand() & m, r;
        int op = (i >> 1) % 8;
        if (op == 4 && (rnd() & 1)) {
            b = rnd() % (bits + 8);   /* BZHI index around the operand size */
        }
        uint32_t h = host_bmi(op, s, a, b, &r);
        uint32_t defined, ours;
        if (op == 7) {
            ours = x86_cc_compute(x86_cc_op_sized(CC_OP_POPCNTB, s), r, a, 0);
            defined = ARITH;
        } else {
            /* CF per the SDM page of each instruction. */
            uint64_t cf;
            switch (op) {
            case 0: cf = 0; break;
            case 1: cf = a != 0; break;
            case 2: case 3: cf = a == 0; break;
            case 4: cf = (b & 0xff) > bits - 1; break;
            default: cf = a == 0; break;
            }
            ours = x86_cc_compute(x86_cc_op_sized(CC_OP_BMILGB, s), r, cf, 0);
            defined = F_CF | F_ZF | F_SF | F_OF;               /* AF, PF undefined */
            if (op >= 5) {
                defined = F_CF | F_ZF;                          /* TZCNT/LZCNT */
            }
        }
        if (!same(ours, h, defined, names[op], s, a, b)) {
            CHECK(0);
        }
    }
}

/* x86_cc_compute_cf (its own short path, used for INC/DEC/ADC/SBB after a
 * block boundary) gives the CF of x86_cc_compute (proven above against the
 * host) for every cc_op, including out-of-range ones (EFLAGS). */
TEST_CASE(compute_cf_matches_compute)
{
    for (uint32_t op = 0; op <= CC_OP_COUNT + 1; op++) {
        for (int i = 0; i < 4000; i++) {
            uint64_t dst = operand(), src = operand(), src2 = rnd() & (i & 1 ? 1 : ~0ull);
            uint32_t want = x86_cc_compute(op, dst, src, src2) & F_CF;
            if (x86_cc_compute_cf(op, dst, src, src2) != want) {
                printf("  cc_op %u dst %#llx src %#llx src2 %#llx: want CF %u\n", op,
                       (unsigned long long)dst, (unsigned long long)src,
                       (unsigned long long)src2, want);
                CHECK(0);
                return;
            }
        }
    }
}

TEST_CASE(eflags_cc_op_holds_flags_literally)
{
    CHECK_EQ(x86_cc_compute(CC_OP_EFLAGS, 0, ARITH | X86_EFLAGS_IF, 0), ARITH);
    CHECK_EQ(x86_cc_compute(CC_OP_EFLAGS, ~0ull, F_ZF, ~0ull), F_ZF);
}

TEST_CASE(conditions_match_setcc)
{
    for (uint32_t f = 0; f < 64; f++) {
        uint32_t flags = ((f & 1) ? F_CF : 0) | ((f & 2) ? F_PF : 0) | ((f & 4) ? F_ZF : 0) |
                         ((f & 8) ? F_SF : 0) | ((f & 16) ? F_OF : 0) | ((f & 32) ? F_AF : 0) | 2;
        uint8_t host[16];
        uint64_t fi = flags;
#define SETCC(i, cc) asm volatile(FIN "set" cc " %[r]\n\tlea 128(%%rsp), %%rsp" : [r] "=r"(host[i]) : [fi] "r"(fi) : "cc")
        SETCC(0, "o"); SETCC(1, "no"); SETCC(2, "b"); SETCC(3, "ae");
        SETCC(4, "e"); SETCC(5, "ne"); SETCC(6, "be"); SETCC(7, "a");
        SETCC(8, "s"); SETCC(9, "ns"); SETCC(10, "p"); SETCC(11, "np");
        SETCC(12, "l"); SETCC(13, "ge"); SETCC(14, "le"); SETCC(15, "g");
#undef SETCC
        for (unsigned cc = 0; cc < 16; cc++) {
            CHECK_EQ(x86_cc_condition(flags, cc), host[cc]);
        }
    }
}

TEST_CASE(load_and_compute_eflags_round_trip)
{
    X86CPU *cpu = fake_cpu("qemu64");
    x86_load_eflags(cpu, 0xffffffff, 0xffffffff);
    /* Bits 3, 5, 15 and 22-31 do not exist: they read 0; bit 1 reads 1. */
    CHECK_EQ(x86_compute_eflags(cpu), 0x003f7fd7);
    CHECK(cpu->df == -1);
    CHECK_EQ(cpu->hflags & X86_HF_IOPL_MASK, 3u << X86_HF_IOPL_SHIFT);
    x86_load_eflags(cpu, 0, X86_EFLAGS_DF | F_CF);
    CHECK_EQ(x86_compute_eflags(cpu), 0x003f7fd7 & ~X86_EFLAGS_DF & ~F_CF);
    CHECK(cpu->df == 1);
    /* Lazy state is folded in. */
    cpu->cc_op = CC_OP_SUBL;
    cpu->cc_dst = 0;
    cpu->cc_src = 5;
    CHECK_EQ(x86_compute_eflags(cpu) & ARITH, F_ZF | F_PF);
}

static void enter_pm(X86CPU *cpu, int cpl, int iopl)
{
    cpu->cr[0] |= CR0_PE;
    cpu->segs[SEG_SS].flags = SEGF_P | SEGF_S | SEGF_TYPE(3) | SEGF_DPL(cpl) | SEGF_DB;
    cpu->segs[SEG_CS].flags = SEGF_P | SEGF_S | SEGF_TYPE(0xb) | SEGF_DPL(cpl) | SEGF_DB;
    x86_load_eflags(cpu, (uint32_t)iopl << 12 | X86_EFLAGS_IF, X86_EFLAGS_IOPL | X86_EFLAGS_IF);
}

TEST_CASE(popf_privilege_rules)
{
    X86CPU *cpu = fake_cpu("qemu64");
    /* CPL 3, IOPL 0: IOPL and IF stay, arithmetic flags and AC change. */
    enter_pm(cpu, 3, 0);
    EXPECT_OK(cpu, x86_helper_popf(cpu, X86_EFLAGS_IOPL | F_CF | X86_EFLAGS_AC, 4, 0));
    uint32_t f = x86_compute_eflags(cpu);
    CHECK_EQ(f & X86_EFLAGS_IOPL, 0);
    CHECK(f & X86_EFLAGS_IF);
    CHECK(f & F_CF);
    CHECK(f & X86_EFLAGS_AC);
    /* CPL 3 with IOPL 3: IF changes, IOPL still not. */
    enter_pm(cpu, 3, 3);
    EXPECT_OK(cpu, x86_helper_popf(cpu, 0, 4, 0));
    f = x86_compute_eflags(cpu);
    CHECK_EQ(f & X86_EFLAGS_IF, 0);
    CHECK_EQ(f & X86_EFLAGS_IOPL, X86_EFLAGS_IOPL);
    /* CPL 0: IOPL changes; VM never does; 16-bit POPF leaves the high half. */
    enter_pm(cpu, 0, 0);
    EXPECT_OK(cpu, x86_helper_popf(cpu, X86_EFLAGS_IOPL | X86_EFLAGS_VM | X86_EFLAGS_AC, 2, 0));
    f = x86_compute_eflags(cpu);
    CHECK_EQ(f & X86_EFLAGS_IOPL, X86_EFLAGS_IOPL);
    CHECK_EQ(f & (X86_EFLAGS_VM | X86_EFLAGS_AC), 0);
    /* VM86 with IOPL < 3: #GP(0) for POPF and PUSHF. */
    x86_load_eflags(cpu, X86_EFLAGS_VM, X86_EFLAGS_VM | X86_EFLAGS_IOPL);
    EXPECT_EXC(cpu, x86_helper_popf(cpu, 0, 2, 0), X86_EXCP_GP, 0);
    EXPECT_EXC(cpu, x86_helper_pushf(cpu, 0), X86_EXCP_GP, 0);
}

TEST_CASE(cli_sti_need_cpl_le_iopl_and_sti_opens_shadow)
{
    X86CPU *cpu = fake_cpu("qemu64");
    enter_pm(cpu, 3, 0);
    EXPECT_EXC(cpu, x86_helper_cli(cpu, 0), X86_EXCP_GP, 0);
    enter_pm(cpu, 3, 3);
    EXPECT_OK(cpu, x86_helper_cli(cpu, 0));
    CHECK_EQ(cpu->eflags & X86_EFLAGS_IF, 0);
    EXPECT_OK(cpu, x86_helper_sti(cpu, 0));
    CHECK(cpu->int_shadow);
    CHECK(cpu->hflags & X86_HF_INHIBIT_IRQ);
    CHECK(!x86_interrupts_enabled(cpu));
    /* PUSHF hides VM and RF. */
    x86_load_eflags(cpu, X86_EFLAGS_RF, X86_EFLAGS_RF);
    CHECK_EQ(x86_helper_pushf(cpu, 0) & X86_EFLAGS_RF, 0);
}

int main(void)
{
    RUN(add_adc_sub_sbb_cmp_match_host);
    RUN(logic_matches_host);
    RUN(inc_dec_match_host_and_keep_cf);
    RUN(shifts_match_host);
    RUN(mul_imul_match_host);
    RUN(bmi_and_popcnt_match_host);
    RUN(compute_cf_matches_compute);
    RUN(eflags_cc_op_holds_flags_literally);
    RUN(conditions_match_setcc);
    RUN(load_and_compute_eflags_round_trip);
    RUN(popf_privilege_rules);
    RUN(cli_sti_need_cpl_le_iopl_and_sti_opens_shadow);
    TEST_EXIT();
}
