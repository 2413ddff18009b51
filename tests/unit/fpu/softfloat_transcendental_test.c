/*
 * Measures fpu/softfloat_transcendental.c against the host's x87 (FSIN,
 * FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1): special operands
 * must match bit for bit with all flags; computed results within 1 ulp and
 * mostly bit-exact (the x87's microcode is not published). Prints the
 * bit-exact fraction and the largest ulp difference per instruction.
 * test_tiny_operands pins tiny and denormal operands that random seeds
 * found, bit for bit against the host.
 * MIMIC_FPU_ITERS / MIMIC_FPU_SEED override the operand count and seed.
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
    DEFAULT_ITERS = 150000,  /* operands per instruction (x 4 rounding modes) */
    MAX_REPORTS = 6,
    SW_FLAGS = 0x3F,
    SW_C1 = 0x200,
    SW_C2 = 0x400,
    MAX_ULP = 1,             /* allowed difference of a computed result */
};

/* Bit-exact fraction below which a test fails (in percent): well below what
 * the implementation reaches, above what a broken one would. */
static const double MIN_EXACT_PERCENT = 85.0;

static uint64_t rng_state;
static long iters = DEFAULT_ITERS;
static bool verbose;        /* MIMIC_FPU_VERBOSE: print 1-ulp differences too */

static uint64_t rng_next(void)
{
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

static Float80 gen_with_exp(int unbiased, bool allow_neg)
{
    uint16_t sign = allow_neg && rng_below(2) ? 0x8000 : 0;
    int e = unbiased + 0x3FFF;
    uint64_t m = rng_next() | 0x8000000000000000ull;

    if (rng_below(8) == 0) {
        m &= ~0ull << rng_range(1, 62);
    }
    if (e <= 0) {
        m >>= (1 - e) < 63 ? (1 - e) : 63;
        return float80_make(sign, m ? m : 1);
    }
    return float80_make((uint16_t)(sign | e), m);
}

static Float80 gen_special(void)
{
    uint16_t sign = rng_below(2) ? 0x8000 : 0;

    switch (rng_below(9)) {
    case 0: return float80_make(sign, 0);
    case 1: return float80_make(sign | 0x7FFF, 0x8000000000000000ull);
    case 2: return float80_make(sign | 0x7FFF, 0xC000000000000000ull | (rng_next() >> 2));
    case 3: return float80_make(sign | 0x7FFF, 0x8000000000000000ull | (rng_next() >> 2) | 1);
    case 4: return float80_make(sign, rng_next() >> rng_range(1, 63));            /* denormal */
    case 5: return float80_make(sign, rng_next() | 0x8000000000000000ull);        /* pseudo-denormal */
    case 6: return float80_make(sign | (uint16_t)rng_range(1, 0x7FFF), rng_next() >> 1); /* unsupported */
    case 7: return float80_default_nan();
    default: return float80_make((uint16_t)rng_next(), rng_next());
    }
}

/* ---- host ---- */

typedef struct HostOut {
    Float80 st0, st1;
    uint16_t sw;
} HostOut;

static uint16_t make_cw(int rc)
{
    /* PC must not matter for these: use a random one */
    static const uint16_t pcs[3] = { 0, 2, 3 };
    return (uint16_t)(0x7F | (pcs[rng_below(3)] << 8) | (rc << 10));
}

#if HAVE_HOST_X87
/* ST1 = b, ST0 = a (a dummy 0 below both), run insn, store two results. */
#define HOST_OP(name, insn) \
    static HostOut name(Float80 a, Float80 b, uint16_t cw) \
    { \
        HostOut o = { { 0, 0 }, { 0, 0 }, 0 }; \
        __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldz\n\tfldt %[b]\n\tfldt %[a]\n\t" insn "\n\t" \
                         "fnstsw %[sw]\n\tfstpt %[r0]\n\tfstpt %[r1]\n\tfninit" \
                         : [r0] "=m"(o.st0), [r1] "=m"(o.st1), [sw] "=m"(o.sw) \
                         : [a] "m"(a), [b] "m"(b), [cw] "m"(cw)); \
        return o; \
    }
HOST_OP(host_fsin, "fsin")
HOST_OP(host_fcos, "fcos")
HOST_OP(host_fsincos, "fsincos")
HOST_OP(host_fptan, "fptan")
HOST_OP(host_fpatan, "fpatan")
HOST_OP(host_f2xm1, "f2xm1")
HOST_OP(host_fyl2x, "fyl2x")
HOST_OP(host_fyl2xp1, "fyl2xp1")
#endif

/* ---- soft, shaped like the instructions ---- */

typedef struct SoftOut {
    Float80 st0, st1;
    uint16_t sw;
} SoftOut;

static uint16_t sw_of(const FloatStatus *st, bool c2)
{
    return (uint16_t)(st->flags | (st->rounded_up ? SW_C1 : 0) | (c2 ? SW_C2 : 0));
}

static void status_for(FloatStatus *st, uint16_t cw)
{
    float_status_init(st);
    st->rounding = (uint8_t)((cw >> 10) & 3);
}

static SoftOut soft_fsin(Float80 a, Float80 b, uint16_t cw)
{
    FloatStatus st;
    bool c2;
    SoftOut o;
    status_for(&st, cw);
    o.st0 = float80_sin(a, &c2, &st);
    o.st1 = b;
    o.sw = sw_of(&st, c2);
    return o;
}

static SoftOut soft_fcos(Float80 a, Float80 b, uint16_t cw)
{
    FloatStatus st;
    bool c2;
    SoftOut o;
    status_for(&st, cw);
    o.st0 = float80_cos(a, &c2, &st);
    o.st1 = b;
    o.sw = sw_of(&st, c2);
    return o;
}

static SoftOut soft_fsincos(Float80 a, Float80 b, uint16_t cw)
{
    FloatStatus st;
    bool c2;
    SoftOut o;
    Float80 s, c;
    status_for(&st, cw);
    float80_sincos(a, &s, &c, &c2, &st);
    if (c2) {
        o.st0 = a;
        o.st1 = b;
    } else {
        o.st0 = c;
        o.st1 = s;
    }
    o.sw = sw_of(&st, c2);
    return o;
}

static SoftOut soft_fptan(Float80 a, Float80 b, uint16_t cw)
{
    FloatStatus st;
    bool c2;
    SoftOut o;
    Float80 t;
    status_for(&st, cw);
    t = float80_tan(a, &c2, &st);
    if (c2) {
        o.st0 = a;
        o.st1 = b;
    } else if ((t.sign_exp & 0x7FFF) == 0x7FFF && (t.mant << 1)) {
        o.st0 = t;          /* a NaN result is pushed in place of 1.0 */
        o.st1 = t;
    } else {
        o.st0 = float80_make(0x3FFF, 0x8000000000000000ull);
        o.st1 = t;
    }
    o.sw = sw_of(&st, c2);
    return o;
}

/* The two-operand ones pop: ST0 is the result, ST1 the dummy zero. */
static SoftOut soft_fpatan(Float80 a, Float80 b, uint16_t cw)
{
    FloatStatus st;
    SoftOut o;
    status_for(&st, cw);
    o.st0 = float80_atan2(b, a, &st);
    o.st1 = float80_make(0, 0);
    o.sw = sw_of(&st, false);
    return o;
}

static SoftOut soft_f2xm1(Float80 a, Float80 b, uint16_t cw)
{
    FloatStatus st;
    SoftOut o;
    status_for(&st, cw);
    o.st0 = float80_2xm1(a, &st);
    o.st1 = b;
    o.sw = sw_of(&st, false);
    return o;
}

static SoftOut soft_fyl2x(Float80 a, Float80 b, uint16_t cw)
{
    FloatStatus st;
    SoftOut o;
    status_for(&st, cw);
    o.st0 = float80_yl2x(b, a, &st);
    o.st1 = float80_make(0, 0);
    o.sw = sw_of(&st, false);
    return o;
}

static SoftOut soft_fyl2xp1(Float80 a, Float80 b, uint16_t cw)
{
    FloatStatus st;
    SoftOut o;
    status_for(&st, cw);
    o.st0 = float80_yl2xp1(b, a, &st);
    o.st1 = float80_make(0, 0);
    o.sw = sw_of(&st, false);
    return o;
}

/* ---- operands per instruction: a (ST0) and b (ST1) ---- */

typedef void (*OperandGen)(Float80 *a, Float80 *b);

static void gen_trig(Float80 *a, Float80 *b)
{
    static const Float80 pi_quarter = { 0xC90FDAA22168C235ull, 0x3FFE };
    *b = gen_with_exp(rng_range(-5, 5), true);
    switch (rng_below(10)) {
    case 0:
        *a = gen_special();
        break;
    case 1: { /* near a multiple of pi/4 */
        FloatStatus st;
        float_status_init(&st);
        *a = float80_mul(pi_quarter, float80_from_int64(rng_range(1, 1 << rng_range(1, 30))), &st);
        a->mant += rng_below(2) ? rng_below(256) : 0 - rng_below(256);
        a->sign_exp |= (uint16_t)(rng_below(2) << 15);
        break;
    }
    case 2: /* around the 2^63 limit */
        *a = gen_with_exp(rng_range(60, 64), true);
        break;
    case 3: /* small: sin x ~ x, cos x ~ 1 */
        *a = gen_with_exp(rng_range(-16445, -20), true);
        break;
    default:
        *a = gen_with_exp(rng_range(-8, 62), true);
        break;
    }
}

static void gen_atan(Float80 *a, Float80 *b)
{
    int e = rng_range(-70, 70);
    *a = gen_with_exp(e, true);
    switch (rng_below(8)) {
    case 0:
        *b = gen_special();
        break;
    case 1:
        *a = gen_special();
        *b = gen_with_exp(e, true);
        break;
    case 2: /* y / x far from 1 either way, even underflowing */
        *b = gen_with_exp(e + (rng_below(2) ? rng_range(-16500, -60) : rng_range(60, 200)), true);
        break;
    case 3: /* y == +-x */
        *b = *a;
        b->sign_exp ^= (uint16_t)(rng_below(2) << 15);
        break;
    default:
        *b = gen_with_exp(e + rng_range(-4, 4), true);
        break;
    }
}

static void gen_2xm1(Float80 *a, Float80 *b)
{
    *b = gen_with_exp(0, true);
    switch (rng_below(10)) {
    case 0:
        *a = gen_special();
        break;
    case 1:
        *a = float80_make((uint16_t)((rng_below(2) << 15) | 0x3FFF), 0x8000000000000000ull);
        break;
    case 2:
        *a = gen_with_exp(rng_range(-16445, -64), true);
        break;
    default:
        *a = gen_with_exp(rng_range(-64, -1), true);
        break;
    }
}

static void gen_yl2x(Float80 *a, Float80 *b)
{
    *b = rng_below(8) ? gen_with_exp(rng_range(-10, 10), true) : gen_special();
    switch (rng_below(10)) {
    case 0:
        *a = gen_special();
        break;
    case 1: /* powers of two: exact results */
        *a = float80_make((uint16_t)(0x3FFF + rng_range(-200, 200)), 0x8000000000000000ull);
        break;
    case 2: /* near 1 */
        *a = rng_below(2) ? float80_make(0x3FFF, 0x8000000000000000ull | (rng_next() >> rng_range(1, 63)))
                          : float80_make(0x3FFE, ~0ull ^ (rng_next() >> rng_range(1, 63)));
        break;
    case 3:
        *a = gen_with_exp(rng_range(-16445, 16383), false);
        break;
    default:
        *a = gen_with_exp(rng_range(-64, 64), false);
        break;
    }
}

static void gen_yl2xp1(Float80 *a, Float80 *b)
{
    *b = rng_below(8) ? gen_with_exp(rng_range(-10, 10), true) : gen_special();
    switch (rng_below(10)) {
    case 0:
        *a = gen_special();
        break;
    case 1:
        *a = gen_with_exp(rng_range(-16445, -64), true);
        break;
    default:
        /* |x| < 1 - sqrt(2)/2 = 0.2928... */
        *a = gen_with_exp(rng_range(-64, -3), true);
        if (rng_below(4) == 0) {
            *a = float80_make((uint16_t)((rng_below(2) << 15) | 0x3FFD),
                              0x8000000000000000ull | (rng_next() & 0x15FFFFFFFFFFFFFFull));
        }
        break;
    }
}

/* ---- comparing ---- */

/* Position of a finite value on the line of Float80 values: consecutive
 * encodings, denormals first ((e - 1) * 2^63 + mant for normals). */
static __int128 ordinal(Float80 a)
{
    int e = a.sign_exp & 0x7FFF;
    __int128 mag = e ? ((__int128)(e - 1) << 63) + a.mant : (__int128)a.mant;
    return (a.sign_exp & 0x8000) ? -mag : mag;
}

static bool is_finite_nonzero(Float80 a)
{
    return (a.sign_exp & 0x7FFF) != 0x7FFF && a.mant != 0;
}

typedef struct Stats {
    long cases, exact, computed, special_bad, flag_bad, far;
    uint64_t max_ulp;
} Stats;

static void compare(const char *name, Float80 a, Float80 b, uint16_t cw, HostOut h, SoftOut s,
                    Stats *stats, bool quiet)
{
    uint16_t hsw = h.sw & (SW_FLAGS | SW_C1 | SW_C2);
    bool same = h.st0.mant == s.st0.mant && h.st0.sign_exp == s.st0.sign_exp &&
                h.st1.mant == s.st1.mant && h.st1.sign_exp == s.st1.sign_exp;
    bool computed = (hsw & 0x20) != 0; /* inexact: a computed result */
    uint64_t ulp = 0;
    bool far = false;

    stats->cases++;
    stats->computed += computed;
    if (same && hsw == s.sw) {
        stats->exact++;
        return;
    }
    if (computed) {
        /* both outputs: the differing one within MAX_ULP, flags equal but
         * for C1 (and UE, which follows the rounding near the edge) */
        Float80 hv[2] = { h.st0, h.st1 }, sv[2] = { s.st0, s.st1 };
        for (int i = 0; i < 2; i++) {
            if (hv[i].mant == sv[i].mant && hv[i].sign_exp == sv[i].sign_exp) {
                continue;
            }
            if (!is_finite_nonzero(hv[i]) || !is_finite_nonzero(sv[i]) ||
                ((hv[i].sign_exp ^ sv[i].sign_exp) & 0x8000)) {
                far = true;
                continue;
            }
            __int128 d = ordinal(hv[i]) - ordinal(sv[i]);
            uint64_t u;
            if (d < 0) {
                d = -d;
            }
            u = d > (__int128)UINT64_MAX ? UINT64_MAX : (uint64_t)d;
            if (u > ulp) {
                ulp = u;
            }
        }
        if (ulp > stats->max_ulp) {
            stats->max_ulp = ulp;
        }
        if (ulp > MAX_ULP) {
            far = true;
        }
        if ((hsw ^ s.sw) & ~(SW_C1 | 0x10)) {
            stats->flag_bad++;
            far = true;
        }
        stats->far += far;
    } else {
        stats->special_bad++;
        far = true;
    }
    if (!quiet && ((far && stats->far + stats->special_bad <= MAX_REPORTS) ||
                   (verbose && stats->cases - stats->exact <= 40))) {
        printf("  MISMATCH %s cw=%04x a=%04x:%016" PRIx64 " b=%04x:%016" PRIx64 "\n"
               "    host %04x:%016" PRIx64 " %04x:%016" PRIx64 " sw=%04x\n"
               "    soft %04x:%016" PRIx64 " %04x:%016" PRIx64 " sw=%04x\n",
               name, cw, a.sign_exp, a.mant, b.sign_exp, b.mant,
               h.st0.sign_exp, h.st0.mant, h.st1.sign_exp, h.st1.mant, hsw,
               s.st0.sign_exp, s.st0.mant, s.st1.sign_exp, s.st1.mant, s.sw);
    }
}

/*
 * Operands where the SDM leaves the result undefined: F2XM1 beyond
 * [-1, +1], FYL2XP1 beyond +-(1 - sqrt(2)/2). Finite, not denormal.
 */
typedef bool (*DomainFn)(Float80 a);

static bool in_domain_any(Float80 a)
{
    (void)a;
    return true;
}

static bool finite_normal_with_exp_at_least(Float80 a, int unbiased)
{
    int e = a.sign_exp & 0x7FFF;
    return e != 0x7FFF && e != 0 && (a.mant >> 63) && e >= 0x3FFF + unbiased;
}

static bool in_domain_2xm1(Float80 a)
{
    return !finite_normal_with_exp_at_least(a, 0) ||
           ((a.sign_exp & 0x7FFF) == 0x3FFF && a.mant == 0x8000000000000000ull);
}

static bool in_domain_yl2xp1(Float80 a)
{
    /* 1 - sqrt(2)/2 = 0x3FFD 95F619980C4336F7... */
    return !finite_normal_with_exp_at_least(a, -2) ||
           ((a.sign_exp & 0x7FFF) == 0x3FFD && a.mant < 0x95F619980C4336F7ull);
}

#if HAVE_HOST_X87
typedef HostOut (*HostFn)(Float80, Float80, uint16_t);
typedef SoftOut (*SoftFn)(Float80, Float80, uint16_t);

static void print_stats(const char *name, const char *what, const Stats *stats)
{
    printf("  %s%s: %ld cases (%ld computed), %.3f%% bit-exact, max %" PRIu64 " ulp, "
           "%ld special-case and %ld flag mismatches, %ld beyond %d ulp\n",
           name, what, stats->cases, stats->computed,
           stats->cases ? 100.0 * stats->exact / stats->cases : 100.0,
           stats->max_ulp, stats->special_bad, stats->flag_bad, stats->far, MAX_ULP);
}

static Stats run(const char *name, HostFn host, SoftFn soft, OperandGen gen, DomainFn domain)
{
    Stats stats = { 0 }, outside = { 0 };

    for (long i = 0; i < iters; i++) {
        Float80 a, b;
        gen(&a, &b);
        for (int rc = 0; rc < 4; rc++) {
            uint16_t cw = make_cw(rc);
            HostOut h = host(a, b, cw);
            SoftOut s = soft(a, b, cw);
            if (domain(a)) {
                compare(name, a, b, cw, h, s, &stats, false);
            } else {
                compare(name, a, b, cw, h, s, &outside, true);
            }
        }
    }
    print_stats(name, "", &stats);
    if (outside.cases) {
        print_stats(name, " (undefined domain, not checked)", &outside);
    }
    return stats;
}
#endif

#define TRANSCENDENTAL_CASE(fn, name, gen, domain) \
    TEST_CASE(test_##fn) \
    { \
        if (!HAVE_HOST_X87) { \
            SKIP("host has no x87"); \
        } \
        Stats s = run(name, host_##fn, soft_##fn, gen, domain); \
        CHECK(s.special_bad == 0); \
        CHECK(s.far == 0); \
        CHECK(100.0 * s.exact / s.cases >= MIN_EXACT_PERCENT); \
    }

#if HAVE_HOST_X87
TRANSCENDENTAL_CASE(fsin, "fsin", gen_trig, in_domain_any)
TRANSCENDENTAL_CASE(fcos, "fcos", gen_trig, in_domain_any)
TRANSCENDENTAL_CASE(fsincos, "fsincos", gen_trig, in_domain_any)
TRANSCENDENTAL_CASE(fptan, "fptan", gen_trig, in_domain_any)
TRANSCENDENTAL_CASE(fpatan, "fpatan", gen_atan, in_domain_any)
TRANSCENDENTAL_CASE(f2xm1, "f2xm1", gen_2xm1, in_domain_2xm1)
TRANSCENDENTAL_CASE(fyl2x, "fyl2x", gen_yl2x, in_domain_any)
TRANSCENDENTAL_CASE(fyl2xp1, "fyl2xp1", gen_yl2xp1, in_domain_yl2xp1)

/*
 * Tiny and denormal operands where the x87 skips a series (FPATAN's
 * y/x below 2^-40, FPTAN, F2XM1, FYL2XP1 below 2^-66) or makes log2 of
 * 2^-n inexact: each must match the host bit for bit, with every flag
 * (UE included) and C1, in every rounding mode and precision control.
 * a is ST0 (x for the two-operand ones), b is ST1 (y).
 */
typedef struct TinyCase {
    const char *name;
    HostFn host;
    SoftFn soft;
    Float80 a, b;
} TinyCase;

#define F80(se, m) { m##ull, 0x##se }
static const Float80 ONE = F80(3FFF, 0x8000000000000000);

static const TinyCase tiny_cases[] = {
    /* seed 1795325804: 3 * 2^-16445 / 3.0 rounds to the smallest
     * denormal in every mode, with UE and PE (was +0 rounding down) */
    { "fpatan", host_fpatan, soft_fpatan, F80(4000, 0xC000000000000000), F80(0000, 0x3) },
    { "fpatan", host_fpatan, soft_fpatan, F80(C000, 0xC000000000000000), F80(0000, 0x3) },
    { "fpatan", host_fpatan, soft_fpatan, ONE, F80(0000, 0x2CCE7CE077DD1995) },
    { "fpatan", host_fpatan, soft_fpatan, F80(7FFE, 0xFFFFFFFFFFFFFFFF), F80(8000, 0x1) },
    /* 2^-41 is below the identity threshold, 2^-40 is not */
    { "fpatan", host_fpatan, soft_fpatan, ONE, F80(3FD6, 0x8000000000000000) },
    { "fpatan", host_fpatan, soft_fpatan, ONE, F80(3FD7, 0x8000000000000000) },
    /* quotient kept to 67 bits; pi66/2 - 2^-65 is a tie */
    { "fpatan", host_fpatan, soft_fpatan, F80(4009, 0x939E8C1C80000000), F80(3FE1, 0xB66E87D406564560) },
    { "fpatan", host_fpatan, soft_fpatan, F80(4001, 0xA9FE462C7D3CAA4C), F80(4042, 0xA9FE462C7D3CAA4C) },
    /* tan(2^-41) = 2^-41 in every mode: truncated sine over truncated cosine */
    { "fptan", host_fptan, soft_fptan, F80(3FD6, 0x8000000000000000), ONE },
    { "fptan", host_fptan, soft_fptan, F80(BFC6, 0xC4230B32B5E9F6AA), ONE },
    { "fsin", host_fsin, soft_fsin, F80(8000, 0x3), ONE },
    /* 2^x - 1 = x ln2 (66-bit ln2) below 2^-68, denormal results */
    { "f2xm1", host_f2xm1, soft_f2xm1, F80(0000, 0x3), ONE },
    { "f2xm1", host_f2xm1, soft_f2xm1, F80(8000, 0x12345678), ONE },
    { "f2xm1", host_f2xm1, soft_f2xm1, F80(0030, 0xED26B273C7D23A04), ONE },
    { "f2xm1", host_f2xm1, soft_f2xm1, F80(AFE2, 0xF1B0B00000000000), ONE },
    /* log2 of the smallest denormal, of 2^-1 and of 2^-16062 */
    { "fyl2x", host_fyl2x, soft_fyl2x, F80(0000, 0x1), F80(0000, 0x2CCE7CE077DD1995) },
    { "fyl2x", host_fyl2x, soft_fyl2x, F80(0000, 0x1), F80(0012, 0xFC28B41DE3A35633) },
    { "fyl2x", host_fyl2x, soft_fyl2x, F80(3FFE, 0x8000000000000000), F80(3FFD, 0xA3F326C5898F5FE3) },
    { "fyl2x", host_fyl2x, soft_fyl2x, F80(0141, 0x8000000000000000), F80(BFF8, 0xE8A19F51DB487316) },
    /* log2(1 + x) = x log2(e) (66-bit log2(e)) below 2^-66 */
    { "fyl2xp1", host_fyl2xp1, soft_fyl2xp1, F80(97A2, 0xD4821193C12389CB), F80(BFFF, 0xF7BAF4D426918415) },
    { "fyl2xp1", host_fyl2xp1, soft_fyl2xp1, F80(A998, 0xFC3CD5995498FDE3), F80(BFF8, 0x8CAFE2414DBF82D0) },
    { "fyl2xp1", host_fyl2xp1, soft_fyl2xp1, F80(0000, 0x5), ONE },
};

TEST_CASE(test_tiny_operands)
{
    static const uint16_t pcs[3] = { 0, 2, 3 };
    int bad = 0;

    for (size_t i = 0; i < sizeof(tiny_cases) / sizeof(tiny_cases[0]); i++) {
        const TinyCase *c = &tiny_cases[i];
        for (int rc = 0; rc < 4; rc++) {
            for (int p = 0; p < 3; p++) {
                uint16_t cw = (uint16_t)(0x7F | (pcs[p] << 8) | (rc << 10));
                HostOut h = c->host(c->a, c->b, cw);
                SoftOut s = c->soft(c->a, c->b, cw);
                uint16_t hsw = h.sw & (SW_FLAGS | SW_C1 | SW_C2);
                if (h.st0.mant == s.st0.mant && h.st0.sign_exp == s.st0.sign_exp &&
                    h.st1.mant == s.st1.mant && h.st1.sign_exp == s.st1.sign_exp && hsw == s.sw) {
                    continue;
                }
                bad++;
                printf("  MISMATCH %s cw=%04x a=%04x:%016" PRIx64 " b=%04x:%016" PRIx64 "\n"
                       "    host %04x:%016" PRIx64 " %04x:%016" PRIx64 " sw=%04x\n"
                       "    soft %04x:%016" PRIx64 " %04x:%016" PRIx64 " sw=%04x\n",
                       c->name, cw, c->a.sign_exp, c->a.mant, c->b.sign_exp, c->b.mant,
                       h.st0.sign_exp, h.st0.mant, h.st1.sign_exp, h.st1.mant, hsw,
                       s.st0.sign_exp, s.st0.mant, s.st1.sign_exp, s.st1.mant, s.sw);
            }
        }
    }
    CHECK_EQ(bad, 0);
}
#endif

/* Known values, independent of the host. */
TEST_CASE(test_directed)
{
    FloatStatus st;
    bool c2;
    Float80 r;
    Float80 big = float80_make(0x403E, 0x8000000000000000ull); /* 2^63 */

    float_status_init(&st);
    /* |x| >= 2^63: C2 set, operand unchanged, no flags */
    r = float80_sin(big, &c2, &st);
    CHECK(c2);
    CHECK(r.sign_exp == big.sign_exp && r.mant == big.mant);
    CHECK_EQ(st.flags, 0);
    /* sin(+-0) = +-0 exactly; cos(0) = 1 */
    r = float80_sin(float80_make(0x8000, 0), &c2, &st);
    CHECK(!c2 && r.sign_exp == 0x8000 && r.mant == 0);
    r = float80_cos(float80_make(0, 0), &c2, &st);
    CHECK(r.sign_exp == 0x3FFF && r.mant == 0x8000000000000000ull);
    CHECK_EQ(st.flags, 0);
    /* sin(inf): invalid */
    r = float80_sin(float80_make(0x7FFF, 0x8000000000000000ull), &c2, &st);
    CHECK(r.sign_exp == 0xFFFF && r.mant == 0xC000000000000000ull);
    CHECK_EQ(st.flags, FLOAT_FLAG_INVALID);
    /* atan2(1, 1) = pi/4 = 0x3FFE C90FDAA22168C235 to nearest */
    float_status_init(&st);
    r = float80_atan2(float80_make(0x3FFF, 0x8000000000000000ull),
                      float80_make(0x3FFF, 0x8000000000000000ull), &st);
    CHECK(r.sign_exp == 0x3FFE && r.mant == 0xC90FDAA22168C235ull);
    /* 2^-1 - 1 = -0.5 exactly (PE all the same on a real x87) */
    float_status_init(&st);
    r = float80_2xm1(float80_make(0xBFFF, 0x8000000000000000ull), &st);
    CHECK(r.sign_exp == 0xBFFE && r.mant == 0x8000000000000000ull);
    CHECK_EQ(st.flags, FLOAT_FLAG_INEXACT);
    st.flags = 0;
    /* 3 * log2(8) = 9 exactly (a real x87 still reports PE) */
    r = float80_yl2x(float80_make(0x4000, 0xC000000000000000ull),
                     float80_make(0x4002, 0x8000000000000000ull), &st);
    CHECK(r.sign_exp == 0x4002 && r.mant == 0x9000000000000000ull);
    CHECK_EQ(st.flags, FLOAT_FLAG_INEXACT);
    st.flags = 0;
    /* log2(0): divide by zero, -inf */
    r = float80_yl2x(float80_make(0x3FFF, 0x8000000000000000ull), float80_make(0, 0), &st);
    CHECK(r.sign_exp == 0xFFFF && r.mant == 0x8000000000000000ull);
    CHECK_EQ(st.flags, FLOAT_FLAG_DIVIDE_BY_ZERO);
}

int main(void)
{
    const char *s = getenv("MIMIC_FPU_SEED");
    const char *it = getenv("MIMIC_FPU_ITERS");
    /* A fixed default keeps make check repeatable; explore other seeds with
     * MIMIC_FPU_SEED (what they find goes into test_tiny_operands). */
    uint64_t seed = s ? strtoull(s, NULL, 0) : 20261122u;

    if (it) {
        iters = strtol(it, NULL, 0);
    }
    verbose = getenv("MIMIC_FPU_VERBOSE") != NULL;
    printf("softfloat_transcendental_test: seed %" PRIu64 " (MIMIC_FPU_SEED), %ld operands "
           "per instruction (MIMIC_FPU_ITERS)\n", seed, iters);
    rng_state = seed;
    RUN(test_directed);
#if HAVE_HOST_X87
    RUN(test_fsin);
    RUN(test_fcos);
    RUN(test_fsincos);
    RUN(test_fptan);
    RUN(test_fpatan);
    RUN(test_f2xm1);
    RUN(test_fyl2x);
    RUN(test_fyl2xp1);
    RUN(test_tiny_operands);
#endif
    TEST_EXIT();
}
