/*
 * Proves fpu/softfloat.c and fpu/softfloat_convert.c equal the host's x87
 * bit for bit (result, IE..PE and C0-C3) for the basic operations under
 * every RC x PC, over random operands from bug-finding classes, plus a few
 * directed cases from the SDM. MIMIC_FPU_ITERS / MIMIC_FPU_SEED override
 * the operand count per operation and the seed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "fpu/softfloat.h"
#include "test.h"

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_HOST_X87 1
#else
#define HAVE_HOST_X87 0
#endif

enum {
    DEFAULT_ITERS = 400000,  /* operand sets per operation (x every mode) */
    MAX_REPORTS = 8,         /* mismatches printed per operation */
    SW_FLAGS = 0x3F,
    SW_C1 = 0x200,
    SW_CC = 0x4700,          /* C3 C2 C1 C0 */
};

static uint64_t rng_state;
static long iters = DEFAULT_ITERS;

static uint64_t rng_next(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t n)
{
    return rng_next() % n;
}

static int rng_range(int lo, int hi)
{
    return lo + (int)rng_below((uint64_t)(hi - lo + 1));
}

/* ---- operand classes ---- */

static uint64_t gen_mant_bits(void)
{
    uint64_t m = rng_next();
    int pos, len;

    switch (rng_below(8)) {
    case 0: /* few significant bits: exact products and quotients */
        return m & (~0ull << rng_range(40, 63));
    case 1: /* near a rounding boundary of one of the precisions */
        pos = (int[]){ 40, 11, 0, 39, 10, 1 }[rng_below(6)];
        m &= ~0ull << (pos + 1);
        switch (rng_below(4)) {
        case 0: m |= pos ? 1ull << (pos - 1) : 0; break;              /* exactly half */
        case 1: m |= pos ? (1ull << (pos - 1)) - 1 : 0; break;        /* just below */
        case 2: m |= pos ? (1ull << (pos - 1)) + 1 : 0; break;        /* just above */
        default: m |= (1ull << pos); break;
        }
        return m;
    case 2: /* long runs of ones */
        len = rng_range(1, 64);
        pos = rng_range(0, 64 - len);
        return (len == 64 ? ~0ull : ((1ull << len) - 1) << pos) | (rng_below(2) ? m & 0xFF : 0);
    case 3:
        return ~0ull << rng_range(0, 63);
    default:
        return m;
    }
}

static Float80 gen_nan(void)
{
    uint64_t m = 0x8000000000000000ull | (gen_mant_bits() & 0x3FFFFFFFFFFFFFFFull);
    if (rng_below(2)) {
        m |= 0x4000000000000000ull;
    }
    if (m == 0x8000000000000000ull) {
        m |= 1;
    }
    return float80_make((uint16_t)(0x7FFF | (rng_below(2) << 15)), m);
}

static Float80 gen_special(void)
{
    uint16_t sign = (uint16_t)(rng_below(2) << 15);

    switch (rng_below(8)) {
    case 0: case 1:
        return float80_make(sign, 0);
    case 2: case 3:
        return float80_make(sign | 0x7FFF, 0x8000000000000000ull);
    case 4:
        return float80_default_nan();
    default:
        return gen_nan();
    }
}

static Float80 gen_unsupported(void)
{
    uint16_t sign = (uint16_t)(rng_below(2) << 15);
    uint64_t m = gen_mant_bits() & 0x7FFFFFFFFFFFFFFFull;

    switch (rng_below(3)) {
    case 0:
        return float80_make(sign | 0x7FFF, 0);                        /* pseudo-infinity */
    case 1:
        return float80_make(sign | 0x7FFF, m | 1);                    /* pseudo-NaN */
    default:
        return float80_make(sign | (uint16_t)rng_range(1, 0x7FFE), m); /* unnormal */
    }
}

static Float80 gen_finite_with_exp(int exp)
{
    uint16_t sign = (uint16_t)(rng_below(2) << 15);
    uint64_t m = gen_mant_bits();

    if (exp <= 0) {
        /* denormal, or (1 in 4) pseudo-denormal */
        m >>= rng_range(1, 63);
        if (m == 0) {
            m = 1;
        }
        if (rng_below(4) == 0) {
            m |= 0x8000000000000000ull;
        }
        return float80_make(sign, m);
    }
    if (exp > 0x7FFE) {
        exp = 0x7FFE;
    }
    return float80_make(sign | (uint16_t)exp, m | 0x8000000000000000ull);
}

static Float80 gen_integer_like(void)
{
    int64_t v;

    switch (rng_below(5)) {
    case 0:
        v = rng_range(-70000, 70000);
        break;
    case 1:
        v = (int64_t)(rng_next() >> rng_range(0, 63));
        break;
    default: {
        /* around 2^k or 2^k +- a half for the integer range limits */
        int k = (int[]){ 15, 31, 63, 64, 59, 0, 1, 17 }[rng_below(8)];
        uint16_t sign = (uint16_t)(rng_below(2) << 15);
        uint64_t m = 0x8000000000000000ull;
        int e = 0x3FFF + k;

        switch (rng_below(4)) {
        case 0: m = ~0ull; e--; break;
        case 1: m |= rng_below(1 << 20); break;
        case 2: m = ~0ull << rng_range(0, 40); e--; break;
        default: break;
        }
        if (rng_below(3) == 0) {
            e -= 1;
            m = 0xC000000000000000ull | (rng_next() & (~0ull << (64 - rng_range(1, 60))));
        }
        return float80_make(sign | (uint16_t)e, m);
    }
    }
    return float80_from_int64(v);
}

static Float80 gen_operand(void)
{
    switch (rng_below(20)) {
    case 0: case 1:
        return float80_make((uint16_t)rng_next(), rng_next());
    case 2: case 3: case 4: case 5: case 6:
        return gen_finite_with_exp(0x3FFF + rng_range(-70, 70));
    case 7:
        return gen_finite_with_exp(rng_range(1, 0x7FFE));
    case 8: case 9:
        return gen_finite_with_exp(rng_range(-2, 80));
    case 10:
        return gen_finite_with_exp(rng_range(0x7FFE - 80, 0x7FFE));
    case 11: case 12:
        return gen_special();
    case 13: case 14:
        return gen_integer_like();
    case 15:
        return gen_unsupported();
    default:
        return gen_finite_with_exp(0x3FFF + rng_range(-4, 4));
    }
}

typedef enum OpKind { OP_ADD, OP_MUL, OP_DIV } OpKind;

/* A second operand, often related to the first so results land on the
 * interesting edges (cancellation, over/underflow, exact quotients). */
static Float80 gen_partner(Float80 a, OpKind kind)
{
    int ea = a.sign_exp & 0x7FFF, t, eb;
    Float80 b;

    switch (rng_below(10)) {
    case 0: case 1: case 2:
        return gen_operand();
    case 3: /* close to a: cancellation */
        b = a;
        b.mant ^= rng_next() >> rng_range(20, 63);
        b.sign_exp = (uint16_t)((rng_below(2) << 15) | ((ea + rng_range(-2, 2)) & 0x7FFF));
        return b;
    case 4: case 5: case 6: /* the result's exponent near an edge */
        if (rng_below(3)) {
            t = rng_below(2) ? rng_range(-2, 1) : rng_range(-66, 3);
        } else {
            t = 0x7FFE + rng_range(-2, 1);
        }
        eb = kind == OP_ADD ? t : kind == OP_MUL ? t - ea + 0x3FFF : ea - t + 0x3FFF;
        b = gen_finite_with_exp(eb);
        if (rng_below(2) && eb > 0) {
            b.mant = 0x8000000000000000ull; /* power of two: a's mantissa survives */
        }
        return b;
    case 7: /* short mantissa */
        b = gen_finite_with_exp(0x3FFF + rng_range(-64, 64));
        b.mant &= ~0ull << rng_range(48, 63);
        return b;
    default:
        return gen_finite_with_exp(ea + rng_range(-70, 70));
    }
}

static Float80 scale_by(Float80 a, int n)
{
    int e = (a.sign_exp & 0x7FFF) + n;
    if (e < 1 || e > 0x7FFE) {
        return a;
    }
    a.sign_exp = (uint16_t)((a.sign_exp & 0x8000) | e);
    return a;
}

/* a = q * b exactly, q with just over 24/53 bits: exact and halfway quotients. */
static void gen_exact_quotient(Float80 *a, Float80 *b)
{
    int qbits = (int[]){ 24, 25, 26, 53, 54, 55, 30 }[rng_below(7)];
    int bbits = rng_range(1, 64 - qbits);
    uint64_t q = (rng_next() >> (64 - qbits)) | (1ull << (qbits - 1)) | 1;
    uint64_t d = (rng_next() >> (64 - bbits)) | 1;
    int s = rng_below(2) ? rng_range(-64, 64) : rng_range(-16440, -16370);

    *b = float80_from_int64((int64_t)d);
    *a = float80_from_int64((int64_t)(q * d));
    if (s < -1000) {
        /* push the quotient to the underflow edge */
        *b = scale_by(*b, -s - 0x3FFF);
    } else {
        *a = scale_by(*a, s);
        *b = scale_by(*b, rng_range(-64, 64));
    }
    a->sign_exp ^= (uint16_t)(rng_below(2) << 15);
    b->sign_exp ^= (uint16_t)(rng_below(2) << 15);
}

/* ---- the host x87 ---- */

static const uint16_t pc_bits[3] = { 0, 2, 3 };  /* 24, 53, 64 */
static const uint8_t pc_value[3] = { 24, 53, 64 };

static uint16_t make_cw(int rc, int pc)
{
    return (uint16_t)(0x7F | (pc_bits[pc] << 8) | (rc << 10));
}

static void make_status(FloatStatus *st, int rc, int pc)
{
    float_status_init(st);
    st->rounding = (uint8_t)rc;
    st->precision = pc_value[pc];
}

#if HAVE_HOST_X87
/* st0 = a, st1 = b; run insn; read the status word; store st0. */
#define HOST_BINARY(name, insn) \
    static uint16_t name(Float80 a, Float80 b, uint16_t cw, Float80 *r) \
    { \
        uint16_t sw; \
        __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" insn "\n\t" \
                         "fnstsw %[sw]\n\tfstpt %[r]\n\tfstp %%st(0)" \
                         : [r] "=m"(*r), [sw] "=m"(sw) \
                         : [a] "m"(a), [b] "m"(b), [cw] "m"(cw)); \
        return sw; \
    }
#define HOST_UNARY(name, insn) \
    static uint16_t name(Float80 a, uint16_t cw, Float80 *r) \
    { \
        uint16_t sw; \
        __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" insn "\n\t" \
                         "fnstsw %[sw]\n\tfstpt %[r]" \
                         : [r] "=m"(*r), [sw] "=m"(sw) \
                         : [a] "m"(a), [cw] "m"(cw)); \
        return sw; \
    }
/* Load a, store it to memory with insn (popping), read the status word. */
#define HOST_STORE(name, type, insn) \
    static uint16_t name(Float80 a, uint16_t cw, type *r) \
    { \
        uint16_t sw; \
        __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" insn " %[r]\n\t" \
                         "fnstsw %[sw]" \
                         : [r] "=m"(*r), [sw] "=m"(sw) \
                         : [a] "m"(a), [cw] "m"(cw)); \
        return sw; \
    }
#define HOST_LOAD(name, type, insn) \
    static uint16_t name(const type *v, uint16_t cw, Float80 *r) \
    { \
        uint16_t sw; \
        __asm__ volatile("fninit\n\tfldcw %[cw]\n\t" insn " %[v]\n\t" \
                         "fnstsw %[sw]\n\tfstpt %[r]" \
                         : [r] "=m"(*r), [sw] "=m"(sw) \
                         : [v] "m"(*v), [cw] "m"(cw)); \
        return sw; \
    }

HOST_BINARY(host_fadd, "fadd %%st(1), %%st")
HOST_BINARY(host_fsub, "fsub %%st(1), %%st")
HOST_BINARY(host_fsubr, "fsubr %%st(1), %%st")
HOST_BINARY(host_fmul, "fmul %%st(1), %%st")
HOST_BINARY(host_fdiv, "fdiv %%st(1), %%st")
HOST_BINARY(host_fdivr, "fdivr %%st(1), %%st")
HOST_BINARY(host_fprem, "fprem")
HOST_BINARY(host_fprem1, "fprem1")
HOST_BINARY(host_fscale, "fscale")
HOST_BINARY(host_fcom, "fcom %%st(1)")
HOST_BINARY(host_fucom, "fucom %%st(1)")
HOST_UNARY(host_fsqrt, "fsqrt")
HOST_UNARY(host_frndint, "frndint")
HOST_UNARY(host_fxam, "fxam")
HOST_STORE(host_fist16, int16_t, "fistps")
HOST_STORE(host_fist32, int32_t, "fistpl")
HOST_STORE(host_fist64, int64_t, "fistpll")
HOST_STORE(host_fisttp16, int16_t, "fisttps")
HOST_STORE(host_fisttp32, int32_t, "fisttpl")
HOST_STORE(host_fisttp64, int64_t, "fisttpll")
HOST_STORE(host_fst32, uint32_t, "fstps")
HOST_STORE(host_fst64, uint64_t, "fstpl")
HOST_STORE(host_fbstp, Float80, "fbstp")
HOST_LOAD(host_fild64, int64_t, "fildll")
HOST_LOAD(host_fld32, uint32_t, "flds")
HOST_LOAD(host_fld64, uint64_t, "fldl")
HOST_LOAD(host_fbld, Float80, "fbld")

static uint16_t host_fxtract(Float80 a, uint16_t cw, Float80 *sig, Float80 *exp)
{
    uint16_t sw;
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\tfxtract\n\t"
                     "fnstsw %[sw]\n\tfstpt %[s]\n\tfstpt %[e]"
                     : [s] "=m"(*sig), [e] "=m"(*exp), [sw] "=m"(sw)
                     : [a] "m"(a), [cw] "m"(cw));
    return sw;
}

static uint16_t host_constant(FloatConstant c, uint16_t cw, Float80 *r)
{
    uint16_t sw;
#define HOST_CONST(insn) \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\t" insn "\n\tfnstsw %[sw]\n\tfstpt %[r]" \
                     : [r] "=m"(*r), [sw] "=m"(sw) : [cw] "m"(cw))
    switch (c) {
    case FLOAT_CONST_ONE: HOST_CONST("fld1"); break;
    case FLOAT_CONST_L2T: HOST_CONST("fldl2t"); break;
    case FLOAT_CONST_L2E: HOST_CONST("fldl2e"); break;
    case FLOAT_CONST_PI: HOST_CONST("fldpi"); break;
    case FLOAT_CONST_LG2: HOST_CONST("fldlg2"); break;
    case FLOAT_CONST_LN2: HOST_CONST("fldln2"); break;
    default: HOST_CONST("fldz"); break;
    }
#undef HOST_CONST
    return sw;
}
#endif

/* ---- comparing ---- */

static long mismatches;

static bool same80(Float80 a, Float80 b)
{
    return a.mant == b.mant && a.sign_exp == b.sign_exp;
}

static uint16_t soft_sw(const FloatStatus *st)
{
    return (uint16_t)(st->flags | (st->rounded_up ? SW_C1 : 0));
}

static void report(const char *op, int rc, int pc, Float80 a, Float80 b,
                   uint64_t host_hi, uint64_t host_lo, uint16_t host_sw,
                   uint64_t soft_hi, uint64_t soft_lo, uint16_t soft_sw_)
{
    if (++mismatches <= MAX_REPORTS) {
        printf("  MISMATCH %s rc=%d pc=%d a=%04x:%016" PRIx64 " b=%04x:%016" PRIx64
               "\n    host %04" PRIx64 ":%016" PRIx64 " sw=%04x"
               "\n    soft %04" PRIx64 ":%016" PRIx64 " sw=%04x\n",
               op, rc, pc_value[pc], a.sign_exp, a.mant, b.sign_exp, b.mant,
               host_hi, host_lo, host_sw, soft_hi, soft_lo, soft_sw_);
    }
}

#define REQUIRE_HOST() do { if (!HAVE_HOST_X87) SKIP("host has no x87"); } while (0)
#define FINISH(op, n) do { long n_ = (n); \
        printf("  %s: %ld cases, %ld mismatches\n", op, n_, mismatches); \
        CHECK(mismatches == 0); } while (0)

#if HAVE_HOST_X87
typedef Float80 (*SoftBinary)(Float80, Float80, FloatStatus *);
typedef uint16_t (*HostBinary)(Float80, Float80, uint16_t, Float80 *);

/* An arithmetic operation under all 12 RC x PC modes (PC only where the
 * x87 honours it) for `iters` random operand pairs. */
static long run_binary(const char *op, HostBinary host, SoftBinary soft, bool swap,
                       bool uses_pc, OpKind kind)
{
    long n = 0;

    mismatches = 0;
    for (long i = 0; i < iters; i++) {
        Float80 a = gen_operand();
        Float80 b = gen_partner(a, kind);
        if (kind == OP_DIV && rng_below(4) == 0) {
            gen_exact_quotient(swap ? &b : &a, swap ? &a : &b);
        } else if (rng_below(2)) {
            Float80 t = a;
            a = b;
            b = t;
        }
        for (int pc = uses_pc ? 0 : 2; pc < 3; pc++) {
            for (int rc = 0; rc < 4; rc++) {
                Float80 hr = { 0, 0 }, sr;
                FloatStatus st;
                uint16_t hsw = host(a, b, make_cw(rc, pc), &hr) & (SW_FLAGS | SW_C1);
                make_status(&st, rc, pc);
                sr = swap ? soft(b, a, &st) : soft(a, b, &st);
                n++;
                if (!same80(hr, sr) || hsw != soft_sw(&st)) {
                    report(op, rc, pc, a, b, hr.sign_exp, hr.mant, hsw,
                           sr.sign_exp, sr.mant, soft_sw(&st));
                }
            }
        }
    }
    return n;
}
#endif

TEST_CASE(test_fadd)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    FINISH("fadd", run_binary("fadd", host_fadd, float80_add, false, true, OP_ADD));
#endif
}

TEST_CASE(test_fsub)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    FINISH("fsub", run_binary("fsub", host_fsub, float80_sub, false, true, OP_ADD));
#endif
}

TEST_CASE(test_fsubr)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    FINISH("fsubr", run_binary("fsubr", host_fsubr, float80_sub, true, true, OP_ADD));
#endif
}

TEST_CASE(test_fmul)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    FINISH("fmul", run_binary("fmul", host_fmul, float80_mul, false, true, OP_MUL));
#endif
}

TEST_CASE(test_fdiv)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    FINISH("fdiv", run_binary("fdiv", host_fdiv, float80_div, false, true, OP_DIV));
#endif
}

TEST_CASE(test_fdivr)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    FINISH("fdivr", run_binary("fdivr", host_fdivr, float80_div, true, true, OP_DIV));
#endif
}

/* NaN against NaN: equal payloads, opposite signs, SNaN vs QNaN, in both
 * operand orders, through every two-operand arithmetic instruction. */
TEST_CASE(test_nan_pairs)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    static const struct {
        const char *name;
        HostBinary host;
        SoftBinary soft;
        bool swap;
    } ops[] = {
        { "fadd", host_fadd, float80_add, false },
        { "fsub", host_fsub, float80_sub, false },
        { "fsubr", host_fsubr, float80_sub, true },
        { "fmul", host_fmul, float80_mul, false },
        { "fdiv", host_fdiv, float80_div, false },
        { "fdivr", host_fdivr, float80_div, true },
        { "fscale", host_fscale, float80_scale, false },
    };
    long n = 0;
    mismatches = 0;
    for (long i = 0; i < iters / 8 + 1; i++) {
        Float80 a = gen_nan(), b = gen_nan();
        switch (rng_below(4)) {
        case 0:
            b.mant = a.mant;
            break;
        case 1:
            b.mant = a.mant ^ 0x4000000000000000ull; /* same payload, other kind */
            if (b.mant == 0x8000000000000000ull) {
                b.mant |= 1;
            }
            break;
        case 2:
            b = gen_operand();
            break;
        default:
            break;
        }
        for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
            Float80 hr = { 0, 0 }, sr;
            FloatStatus st;
            uint16_t hsw = ops[k].host(a, b, make_cw(0, 2), &hr) & (SW_FLAGS | SW_C1);
            make_status(&st, 0, 2);
            sr = ops[k].swap ? ops[k].soft(b, a, &st) : ops[k].soft(a, b, &st);
            n++;
            if (!same80(hr, sr) || hsw != soft_sw(&st)) {
                report(ops[k].name, 0, 2, a, b, hr.sign_exp, hr.mant, hsw, sr.sign_exp, sr.mant,
                       soft_sw(&st));
            }
        }
    }
    FINISH("NaN pairs", n);
#endif
}

TEST_CASE(test_fscale)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    long n = 0;
    mismatches = 0;
    for (long i = 0; i < iters; i++) {
        Float80 a = gen_operand(), b;
        /* scale factors: mostly small integers and fractions, some huge */
        switch (rng_below(4)) {
        case 0:
            b = gen_operand();
            break;
        case 1:
            b = float80_from_int64(rng_range(-33000, 33000));
            break;
        default: {
            int ea = a.sign_exp & 0x7FFF;
            int target = rng_below(2) ? rng_range(-70, 3) : rng_range(0x7FFE - 3, 0x7FFE + 3);
            FloatStatus tmp;
            float_status_init(&tmp);
            b = float80_add(float80_from_int64(target - ea),
                            float80_make(0x3FFE, rng_next() | 0x8000000000000000ull), &tmp);
            if (rng_below(2)) {
                b = float80_from_int64(target - ea);
            }
            break;
        }
        }
        for (int rc = 0; rc < 4; rc++) {
            Float80 hr = { 0, 0 }, sr;
            FloatStatus st;
            uint16_t hsw = host_fscale(a, b, make_cw(rc, 2), &hr) & (SW_FLAGS | SW_C1);
            make_status(&st, rc, 2);
            sr = float80_scale(a, b, &st);
            n++;
            if (!same80(hr, sr) || hsw != soft_sw(&st)) {
                report("fscale", rc, 2, a, b, hr.sign_exp, hr.mant, hsw, sr.sign_exp, sr.mant,
                       soft_sw(&st));
            }
        }
    }
    FINISH("fscale", n);
#endif
}

TEST_CASE(test_fprem)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    long n = 0;
    mismatches = 0;
    for (long i = 0; i < iters; i++) {
        Float80 a = gen_operand(), b;
        if (rng_below(2)) {
            b = gen_finite_with_exp((a.sign_exp & 0x7FFF) - rng_range(-3, 200));
        } else {
            b = gen_partner(a, OP_DIV);
        }
        for (int ieee = 0; ieee < 2; ieee++) {
            Float80 hr = { 0, 0 }, sr;
            FloatStatus st;
            uint16_t cc;
            uint16_t hsw = (ieee ? host_fprem1 : host_fprem)(a, b, make_cw(0, 2), &hr) &
                           (SW_FLAGS | SW_CC);
            make_status(&st, 0, 2);
            sr = ieee ? float80_rem_ieee(a, b, &cc, &st) : float80_rem(a, b, &cc, &st);
            n++;
            if (!same80(hr, sr) || hsw != (st.flags | cc)) {
                report(ieee ? "fprem1" : "fprem", 0, 2, a, b, hr.sign_exp, hr.mant, hsw,
                       sr.sign_exp, sr.mant, (uint16_t)(st.flags | cc));
            }
        }
    }
    FINISH("fprem/fprem1", n);
#endif
}

TEST_CASE(test_fcom)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    static const uint16_t rel_cc[] = {
        [FLOAT_LESS] = FLOAT_CC_C0,
        [FLOAT_EQUAL] = FLOAT_CC_C3,
        [FLOAT_GREATER] = 0,
        [FLOAT_UNORDERED] = FLOAT_CC_C0 | FLOAT_CC_C2 | FLOAT_CC_C3,
    };
    long n = 0;
    mismatches = 0;
    for (long i = 0; i < iters; i++) {
        Float80 a = gen_operand();
        Float80 b = rng_below(4) ? gen_partner(a, OP_ADD) : a;
        for (int quiet = 0; quiet < 2; quiet++) {
            Float80 hr;
            FloatStatus st;
            uint16_t hsw = (quiet ? host_fucom : host_fcom)(a, b, make_cw(0, 2), &hr) &
                           (SW_FLAGS | SW_CC);
            FloatRelation rel;
            make_status(&st, 0, 2);
            rel = quiet ? float80_compare_quiet(a, b, &st) : float80_compare(a, b, &st);
            n++;
            if (hsw != (st.flags | rel_cc[rel])) {
                report(quiet ? "fucom" : "fcom", 0, 2, a, b, 0, 0, hsw, 0, rel,
                       (uint16_t)(st.flags | rel_cc[rel]));
            }
        }
    }
    FINISH("fcom/fucom", n);
#endif
}

#if HAVE_HOST_X87
typedef Float80 (*SoftUnary)(Float80, FloatStatus *);
typedef uint16_t (*HostUnary)(Float80, uint16_t, Float80 *);

/* Operands for FSQRT: a quarter are exact squares, some of them denormal. */
static Float80 gen_sqrt_operand(void)
{
    uint64_t q;
    Float80 a;

    if (rng_below(4)) {
        return gen_operand();
    }
    q = rng_next() >> rng_range(32, 63);
    a = float80_from_int64((int64_t)(q * q));
    if (rng_below(2)) {
        /* an even power of two down into the denormal range, done by hand */
        int e = (a.sign_exp & 0x7FFF) - 2 * rng_range(8180, 8250);
        if (e >= 1) {
            a.sign_exp = (uint16_t)e;
        } else if (e > -63) {
            a.mant >>= 1 - e;
            a.sign_exp = 0;
        }
    }
    return a;
}

static long run_unary(const char *op, HostUnary host, SoftUnary soft, bool uses_pc,
                      Float80 (*gen)(void))
{
    long n = 0;
    mismatches = 0;
    for (long i = 0; i < iters; i++) {
        Float80 a = gen();
        for (int pc = uses_pc ? 0 : 2; pc < 3; pc++) {
            for (int rc = 0; rc < 4; rc++) {
                Float80 hr = { 0, 0 }, sr;
                FloatStatus st;
                uint16_t hsw = host(a, make_cw(rc, pc), &hr) & (SW_FLAGS | SW_C1);
                make_status(&st, rc, pc);
                sr = soft(a, &st);
                n++;
                if (!same80(hr, sr) || hsw != soft_sw(&st)) {
                    report(op, rc, pc, a, a, hr.sign_exp, hr.mant, hsw, sr.sign_exp, sr.mant,
                           soft_sw(&st));
                }
            }
        }
    }
    return n;
}
#endif

TEST_CASE(test_fsqrt)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    FINISH("fsqrt", run_unary("fsqrt", host_fsqrt, float80_sqrt, true, gen_sqrt_operand));
#endif
}

TEST_CASE(test_frndint)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    FINISH("frndint", run_unary("frndint", host_frndint, float80_round_to_int, false, gen_operand));
#endif
}

TEST_CASE(test_fxtract)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    long n = 0;
    mismatches = 0;
    for (long i = 0; i < iters; i++) {
        Float80 a = gen_operand(), hs = { 0, 0 }, he = { 0, 0 }, ss, se;
        FloatStatus st;
        uint16_t hsw = host_fxtract(a, make_cw(0, 2), &hs, &he) & (SW_FLAGS | SW_C1);
        make_status(&st, 0, 2);
        ss = float80_extract(a, &se, &st);
        n++;
        if (!same80(hs, ss) || !same80(he, se) || hsw != soft_sw(&st)) {
            report("fxtract", 0, 2, a, he, hs.sign_exp, hs.mant, hsw, ss.sign_exp, ss.mant,
                   soft_sw(&st));
            if (mismatches <= MAX_REPORTS) {
                printf("    exponent host %04x:%016" PRIx64 " soft %04x:%016" PRIx64 "\n",
                       he.sign_exp, he.mant, se.sign_exp, se.mant);
            }
        }
    }
    FINISH("fxtract", n);
#endif
}

TEST_CASE(test_fxam)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    long n = 0;
    mismatches = 0;
    for (long i = 0; i < iters; i++) {
        Float80 a = gen_operand(), hr;
        uint16_t hsw = host_fxam(a, make_cw(0, 2), &hr) & (SW_FLAGS | SW_CC);
        uint16_t ssw = float80_examine(a, false);
        n++;
        if (hsw != ssw) {
            report("fxam", 0, 2, a, a, 0, 0, hsw, 0, 0, ssw);
        }
    }
    FINISH("fxam", n);
#endif
}

/* FIST/FISTP and FISTTP to every integer width. */
TEST_CASE(test_fist)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    long n = 0;
    mismatches = 0;
    for (long i = 0; i < iters; i++) {
        Float80 a = rng_below(2) ? gen_integer_like() : gen_operand();
        for (int rc = 0; rc < 4; rc++) {
            uint16_t cw = make_cw(rc, 2);
            for (int w = 0; w < 6; w++) {
                FloatStatus st;
                int16_t h16 = 0;
                int32_t h32 = 0;
                int64_t h64 = 0, hv, sv;
                uint16_t hsw;
                make_status(&st, rc, 2);
                switch (w) {
                case 0: hsw = host_fist16(a, cw, &h16); hv = h16; sv = float80_to_int16(a, &st); break;
                case 1: hsw = host_fist32(a, cw, &h32); hv = h32; sv = float80_to_int32(a, &st); break;
                case 2: hsw = host_fist64(a, cw, &h64); hv = h64; sv = float80_to_int64(a, &st); break;
                case 3: hsw = host_fisttp16(a, cw, &h16); hv = h16; sv = float80_to_int16_truncate(a, &st); break;
                case 4: hsw = host_fisttp32(a, cw, &h32); hv = h32; sv = float80_to_int32_truncate(a, &st); break;
                default: hsw = host_fisttp64(a, cw, &h64); hv = h64; sv = float80_to_int64_truncate(a, &st); break;
                }
                hsw &= SW_FLAGS | SW_C1;
                n++;
                if (hv != sv || hsw != soft_sw(&st)) {
                    static const char *names[] = { "fist16", "fist32", "fist64",
                                                   "fisttp16", "fisttp32", "fisttp64" };
                    report(names[w], rc, 2, a, a, 0, (uint64_t)hv, hsw, 0, (uint64_t)sv,
                           soft_sw(&st));
                }
            }
        }
    }
    FINISH("fist/fisttp", n);
#endif
}

/* FST m32/m64: rounding to the narrower format's precision and range. */
TEST_CASE(test_fst)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    long n = 0;
    mismatches = 0;
    for (long i = 0; i < iters; i++) {
        Float80 a;
        switch (rng_below(4)) {
        case 0: /* around float32's range edges */
            a = gen_finite_with_exp(0x3FFF + (rng_below(2) ? rng_range(-160, -120) : rng_range(120, 130)));
            break;
        case 1: /* around float64's */
            a = gen_finite_with_exp(0x3FFF + (rng_below(2) ? rng_range(-1080, -1018) : rng_range(1015, 1026)));
            break;
        default:
            a = gen_operand();
            break;
        }
        for (int rc = 0; rc < 4; rc++) {
            uint16_t cw = make_cw(rc, rng_below(3));
            FloatStatus st;
            uint32_t h32 = 0, s32;
            uint64_t h64 = 0, s64;
            uint16_t hsw;

            make_status(&st, rc, 2);
            hsw = host_fst32(a, cw, &h32) & (SW_FLAGS | SW_C1);
            s32 = float80_to_float32(a, &st);
            n++;
            if (h32 != s32 || hsw != soft_sw(&st)) {
                report("fst32", rc, 2, a, a, 0, h32, hsw, 0, s32, soft_sw(&st));
            }
            make_status(&st, rc, 2);
            hsw = host_fst64(a, cw, &h64) & (SW_FLAGS | SW_C1);
            s64 = float80_to_float64(a, &st);
            n++;
            if (h64 != s64 || hsw != soft_sw(&st)) {
                report("fst64", rc, 2, a, a, 0, h64, hsw, 0, s64, soft_sw(&st));
            }
        }
    }
    FINISH("fst m32/m64", n);
#endif
}

/* FLD m32/m64 and FILD m64: exact, but SNaN/denormal flags and NaN payloads. */
TEST_CASE(test_fld)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    long n = 0;
    mismatches = 0;
    for (long i = 0; i < iters; i++) {
        uint64_t bits = rng_next();
        uint32_t f32;
        uint64_t f64;
        int64_t i64;
        Float80 hr = { 0, 0 }, sr;
        FloatStatus st;
        uint16_t hsw;

        switch (rng_below(4)) {
        case 0: bits &= 0x807FFFFFFFFFFFFFull; break;           /* zeros, denormals */
        case 1: bits |= 0x7FF0000000000000ull; break;           /* inf, NaNs */
        case 2: bits &= 0x80000000FFFFFFFFull | (rng_below(2) ? 0x7FF0000000000000ull : 0); break;
        default: break;
        }
        f32 = (uint32_t)bits;
        if (rng_below(3) == 0) {
            f32 = (uint32_t)(bits >> 32);
        } else if (rng_below(2)) {
            f32 = (f32 & 0x807FFFFF) | (rng_below(2) ? 0x7F800000 : 0);
        }
        f64 = bits;
        i64 = (int64_t)(rng_next() >> rng_range(0, 63)) * (rng_below(2) ? -1 : 1);

        hsw = host_fld32(&f32, make_cw(0, 2), &hr) & (SW_FLAGS | SW_C1);
        make_status(&st, 0, 2);
        sr = float80_from_float32(f32, &st);
        n++;
        if (!same80(hr, sr) || hsw != soft_sw(&st)) {
            report("fld32", 0, 2, float80_make(0, f32), sr, hr.sign_exp, hr.mant, hsw,
                   sr.sign_exp, sr.mant, soft_sw(&st));
        }
        hsw = host_fld64(&f64, make_cw(0, 2), &hr) & (SW_FLAGS | SW_C1);
        make_status(&st, 0, 2);
        sr = float80_from_float64(f64, &st);
        n++;
        if (!same80(hr, sr) || hsw != soft_sw(&st)) {
            report("fld64", 0, 2, float80_make(0, f64), sr, hr.sign_exp, hr.mant, hsw,
                   sr.sign_exp, sr.mant, soft_sw(&st));
        }
        hsw = host_fild64(&i64, make_cw(0, 2), &hr) & (SW_FLAGS | SW_C1);
        sr = float80_from_int64(i64);
        n++;
        if (!same80(hr, sr) || hsw != 0) {
            report("fild64", 0, 2, float80_make(0, (uint64_t)i64), sr, hr.sign_exp, hr.mant, hsw,
                   sr.sign_exp, sr.mant, 0);
        }
    }
    FINISH("fld m32/m64, fild", n);
#endif
}

TEST_CASE(test_bcd)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    long n = 0;
    mismatches = 0;
    for (long i = 0; i < iters; i++) {
        Float80 a = rng_below(2) ? gen_integer_like() : gen_operand();
        Float80 packed = { 0, 0 }, hr = { 0, 0 }, sr;
        uint8_t bcd[10];
        FloatStatus st;
        uint16_t hsw;

        if (rng_below(4) == 0) {
            /* around 10^18 */
            static const Float80 e18 = { 0xDE0B6B3A76400000ull, 0x403A };
            a = e18;
            a.mant -= rng_below(2048);
            a.sign_exp |= (uint16_t)(rng_below(2) << 15);
        }
        for (int rc = 0; rc < 4; rc++) {
            hsw = host_fbstp(a, make_cw(rc, 2), &packed) & (SW_FLAGS | SW_C1);
            make_status(&st, rc, 2);
            float80_to_bcd(a, bcd, &st);
            n++;
            if (memcmp(bcd, &packed, 10) != 0 || hsw != soft_sw(&st)) {
                Float80 s;
                memcpy(&s, bcd, 10);
                report("fbstp", rc, 2, a, a, packed.sign_exp, packed.mant, hsw, s.sign_exp,
                       s.mant, soft_sw(&st));
            }
        }
        /* FBLD of random digit strings, including invalid nibbles */
        packed.mant = rng_next();
        packed.sign_exp = (uint16_t)(rng_next() & 0x80FF);
        if (rng_below(2)) {
            for (int d = 0; d < 16; d++) {
                uint64_t nib = (packed.mant >> (4 * d)) & 0xF;
                if (nib > 9) {
                    packed.mant ^= (nib - rng_below(10)) << (4 * d);
                }
            }
            packed.sign_exp &= 0x8099;
        }
        hsw = host_fbld(&packed, make_cw(0, 2), &hr) & (SW_FLAGS | SW_C1);
        sr = float80_from_bcd((const uint8_t *)&packed);
        n++;
        if (!same80(hr, sr) || hsw != 0) {
            report("fbld", 0, 2, packed, packed, hr.sign_exp, hr.mant, hsw, sr.sign_exp,
                   sr.mant, 0);
        }
    }
    FINISH("fbstp/fbld", n);
#endif
}

TEST_CASE(test_constants)
{
    REQUIRE_HOST();
#if HAVE_HOST_X87
    mismatches = 0;
    for (int c = FLOAT_CONST_ONE; c <= FLOAT_CONST_ZERO; c++) {
        for (int rc = 0; rc < 4; rc++) {
            Float80 hr = { 0, 0 }, sr;
            FloatStatus st;
            uint16_t hsw = host_constant((FloatConstant)c, make_cw(rc, 0), &hr) & (SW_FLAGS | SW_C1);
            make_status(&st, rc, 0);
            sr = float80_load_constant((FloatConstant)c, &st);
            if (!same80(hr, sr) || hsw != soft_sw(&st)) {
                report("fldconst", rc, 0, float80_make((uint16_t)c, 0), sr, hr.sign_exp, hr.mant,
                       hsw, sr.sign_exp, sr.mant, soft_sw(&st));
            }
        }
    }
    FINISH("fld1/fldl2t/fldl2e/fldpi/fldlg2/fldln2/fldz", 28);
#endif
}

/* ---- directed cases from the SDM, independent of the host ---- */

TEST_CASE(test_directed)
{
    FloatStatus st;
    Float80 one = float80_make(0x3FFF, 0x8000000000000000ull);
    Float80 three = float80_make(0x4000, 0xC000000000000000ull);
    Float80 r, e;
    uint16_t cc;

    /* 1/3 to nearest: 0xAAAA...AB; toward zero: ...AA with PE, C1 only when up */
    float_status_init(&st);
    r = float80_div(one, three, &st);
    CHECK_EQ(r.sign_exp, 0x3FFD);
    CHECK_EQ(r.mant, 0xAAAAAAAAAAAAAAABull);
    CHECK_EQ(st.flags, FLOAT_FLAG_INEXACT);
    CHECK(st.rounded_up);
    st.rounding = FLOAT_ROUND_TO_ZERO;
    st.flags = 0;
    r = float80_div(one, three, &st);
    CHECK_EQ(r.mant, 0xAAAAAAAAAAAAAAAAull);
    CHECK(!st.rounded_up);
    /* PC=24 keeps 24 significant bits: 0xAAAAAB00... */
    st.rounding = FLOAT_ROUND_NEAREST_EVEN;
    st.precision = 24;
    r = float80_div(one, three, &st);
    CHECK_EQ(r.mant, 0xAAAAAB0000000000ull);
    /* inf - inf: invalid, real indefinite */
    float_status_init(&st);
    r = float80_sub(float80_make(0x7FFF, 0x8000000000000000ull),
                    float80_make(0x7FFF, 0x8000000000000000ull), &st);
    CHECK_EQ(r.sign_exp, 0xFFFF);
    CHECK_EQ(r.mant, 0xC000000000000000ull);
    CHECK_EQ(st.flags, FLOAT_FLAG_INVALID);
    /* x - x is +0, except -0 when rounding down */
    st.rounding = FLOAT_ROUND_DOWN;
    r = float80_sub(three, three, &st);
    CHECK_EQ(r.sign_exp, 0x8000);
    /* 1/0: ZE, +inf */
    float_status_init(&st);
    r = float80_div(one, float80_make(0, 0), &st);
    CHECK_EQ(r.sign_exp, 0x7FFF);
    CHECK_EQ(st.flags, FLOAT_FLAG_DIVIDE_BY_ZERO);
    /* unnormal operand: invalid */
    float_status_init(&st);
    float80_add(one, float80_make(0x4000, 0x4000000000000000ull), &st);
    CHECK_EQ(st.flags, FLOAT_FLAG_INVALID);
    /* 7 FPREM 2: remainder 1, quotient 3 -> C3 (Q1) and C1 (Q0) */
    float_status_init(&st);
    r = float80_rem(float80_make(0x4001, 0xE000000000000000ull),
                    float80_make(0x4000, 0x8000000000000000ull), &cc, &st);
    CHECK(r.sign_exp == 0x3FFF && r.mant == 0x8000000000000000ull);
    CHECK_EQ(cc, FLOAT_CC_C3 | FLOAT_CC_C1);
    /* FXTRACT of 10: significand 1.25, exponent 3 */
    r = float80_extract(float80_make(0x4002, 0xA000000000000000ull), &e, &st);
    CHECK(r.sign_exp == 0x3FFF && r.mant == 0xA000000000000000ull);
    CHECK(e.sign_exp == 0x4000 && e.mant == 0xC000000000000000ull);
    /* FIST of 2.5 to nearest even is 2; out of range -> integer indefinite */
    float_status_init(&st);
    CHECK_EQ(float80_to_int32(float80_make(0x4000, 0xA000000000000000ull), &st), 2);
    CHECK_EQ((uint16_t)float80_to_int16(float80_make(0x4010, 0x8000000000000000ull), &st), 0x8000);
    CHECK(st.flags & FLOAT_FLAG_INVALID);
    /* FXAM: denormal is C3|C2 */
    CHECK_EQ(float80_examine(float80_make(0, 1), false), FLOAT_CC_C3 | FLOAT_CC_C2);
}

int main(void)
{
    const char *s = getenv("MIMIC_FPU_SEED");
    const char *it = getenv("MIMIC_FPU_ITERS");
    uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);

    if (it) {
        iters = strtol(it, NULL, 0);
    }
    printf("softfloat_test: seed %" PRIu64 " (MIMIC_FPU_SEED), %ld operand sets per op "
           "(MIMIC_FPU_ITERS)\n", seed, iters);
    rng_state = seed;
    RUN(test_directed);
    RUN(test_fadd);
    RUN(test_fsub);
    RUN(test_fsubr);
    RUN(test_fmul);
    RUN(test_fdiv);
    RUN(test_fdivr);
    RUN(test_fsqrt);
    RUN(test_frndint);
    RUN(test_nan_pairs);
    RUN(test_fscale);
    RUN(test_fprem);
    RUN(test_fxtract);
    RUN(test_fcom);
    RUN(test_fxam);
    RUN(test_fist);
    RUN(test_fst);
    RUN(test_fld);
    RUN(test_bcd);
    RUN(test_constants);
    TEST_EXIT();
}
