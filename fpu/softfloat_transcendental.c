/*
 * x87 transcendental instructions in software: FSIN, FCOS, FSINCOS, FPTAN,
 * FPATAN, F2XM1, FYL2X, FYL2XP1. Values are computed in a 128-bit
 * significand ("wide") format and rounded once per RC; the trigonometric
 * functions reduce by the x87's 66-bit pi exactly as the SDM (vol. 1 8.3.10)
 * describes. Intel's own microcode algorithms are unpublished, so results
 * can differ from a real x87 in the last bit (the unit test measures how
 * often); special cases and flags follow the SDM vol. 2 tables of each
 * instruction. Operands outside F2XM1's and FYL2XP1's documented domains
 * get the mathematical value, which a real x87 does not give.
 */
#include "fpu/softfloat_internal.h"

/*
 * value = (-1)^sign * sig * 2^(exp - 127); sig has bit 127 set, or is 0
 * for zero. Operations truncate: each loses at most a few units of 2^-127
 * relative, far below what the final rounding to 64 bits can see.
 */
typedef struct Wide {
    bool sign;
    int32_t exp;
    UInt128 sig;
} Wide;

typedef struct WideConstant {
    uint64_t hi, lo;
    int exp;
} WideConstant;

/* Constants to 128 bits (rounded to nearest), computed with mpmath. */
static const WideConstant WIDE_LOG2E = { 0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e89ull, 0 };
static const WideConstant WIDE_PI = { 0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, 1 };
/* ln(2) and log2(e) rounded to 66 bits, as a real x87's F2XM1 and (for
 * tiny x) FYL2XP1 use them: fitted, like its 66-bit pi. */
static const WideConstant WIDE_LN2_66 = { 0xb17217f7d1cf79abull, 0xc000000000000000ull, -1 };
static const WideConstant WIDE_LOG2E_66 = { 0xb8aa3b295c17f0bbull, 0xc000000000000000ull, 0 };
/* atan(k/8), k = 0..8 */
static const WideConstant WIDE_ATAN_EIGHTHS[9] = {
    { 0, 0, 0 },
    { 0xfeadd4d5617b6e32ull, 0xc897989f3e888ef8ull, -4 },
    { 0xfadbafc96406eb15ull, 0x6dc79ef5f7a217e6ull, -3 },
    { 0xb7b0ca0f26f78473ull, 0x8aa32122dcfe4483ull, -2 },
    { 0xed63382b0dda7b45ull, 0x6fe445ecbc3a8d03ull, -2 },
    { 0x8f005d5ef7f59f9bull, 0x5c835e1665c43748ull, -1 },
    { 0xa4bc7d1934f70924ull, 0x19a87f2a457dac9full, -1 },
    { 0xb8053e2bc2319e73ull, 0xcb2da55210a4443dull, -1 },
    { 0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, -1 },
};

/* pi66 / 2 in units of 2^-65: the x87's reduction constant (SDM 8.3.10). */
#define PI66_HALF_UNITS (((UInt128)0x3 << 64) | 0x243F6A8885A308D3ull)

/*
 * What a real x87 does beyond the SDM, found by fitting against one (see
 * tests/unit/fpu/softfloat_transcendental_test.c). Intermediates are
 * truncated toward zero: log2 for FYL2X/FYL2XP1 to 67 significant bits
 * before the multiply by y (log2 of 2^-n is the 67-bit value just inside
 * -n, while 2^n gives exactly n); FPTAN's sine and cosine to 67 bits each,
 * even for a tiny tangent; 2^x - 1 to 68 bits; FPATAN's quotient to 67
 * bits, with pi66 (not pi) in pi/2 - atan and pi - atan. PE is reported
 * even when the result comes out exact. The first term of a series alone
 * is used, then rounded once: below 2^-68 sin x = tan x = x and cos x = 1
 * unrounded; below 2^-68 F2XM1 is x * ln2, below 2^-66 FYL2XP1's log2 is
 * x * log2(e) (both constants rounded to 66 bits); below 2^-40 atan z = z,
 * so FPATAN of a tiny y over x is the 67-bit quotient y/x rounded: the
 * smallest denormal over 1.0 stays the smallest denormal even rounding
 * down.
 */
enum {
    LOG2_INTERNAL_BITS = 67,
    TAN_INTERNAL_BITS = 67,
    EXPM1_INTERNAL_BITS = 68,
    ATAN_QUOTIENT_BITS = 67,
    TRIG_IDENTITY_EXP = -68,
    F2XM1_LINEAR_EXP = -68,
    FYL2XP1_LINEAR_EXP = -66,
    ATAN_IDENTITY_EXP = -40,
};

/* Series lengths: the first term left out is below 2^-125 relative. */
enum {
    SIN_COS_TERMS = 15,     /* |r| <= pi/4: r^32/33! */
    EXPM1_TERMS = 11,       /* |u| < 2^-10 */
    EXPM1_MAX_EXP = -10,
    ATANH_TERMS = 26,       /* |s| <= 0.172 */
    ATAN_TERMS = 17,        /* |u| <= 1/16 */
    /* F2XM1 beyond 2^15 (undefined anyway) over- or underflows */
    F2XM1_MAX_EXP = 15,
};

/* ---- wide arithmetic ---- */

static Wide w_zero(void)
{
    Wide w = { false, 0, 0 };
    return w;
}

static Wide w_const(WideConstant c)
{
    Wide w = { false, c.exp, ((UInt128)c.hi << 64) | c.lo };
    return w;
}

static Wide w_normalize(bool sign, int32_t exp, UInt128 sig)
{
    Wide w = { sign, exp, sig };
    int lz;

    if (sig == 0) {
        return w_zero();
    }
    lz = clz128(sig);
    w.sig <<= lz;
    w.exp -= lz;
    return w;
}

/* sig * 2^(exp - 127), any sig */
static Wide w_from_u128(bool sign, UInt128 v, int32_t exp)
{
    return w_normalize(sign, exp, v);
}

static Wide w_one(void)
{
    return w_from_u128(false, (UInt128)1 << 127, 0);
}

static Wide w_from_int(int64_t v)
{
    uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    return w_from_u128(v < 0, mag, 127);
}

/* A finite Float80 (pseudo-denormals included). */
static Wide w_from_f80(Float80 a)
{
    F80Parts p = f80_unpack(a);
    return w_from_u128(p.sign, (UInt128)p.sig << 64, p.exp - F80_BIAS);
}

static Wide w_neg(Wide a)
{
    if (a.sig) {
        a.sign = !a.sign;
    }
    return a;
}

static Wide w_abs(Wide a)
{
    a.sign = false;
    return a;
}

static Wide w_ldexp(Wide a, int32_t n)
{
    if (a.sig) {
        a.exp += n;
    }
    return a;
}

/* The high 128 bits of a 256-bit product, normalized. */
static Wide w_mul(Wide a, Wide b)
{
    uint64_t a1 = (uint64_t)(a.sig >> 64), a0 = (uint64_t)a.sig;
    uint64_t b1 = (uint64_t)(b.sig >> 64), b0 = (uint64_t)b.sig;
    UInt128 p00 = (UInt128)a0 * b0, p01 = (UInt128)a0 * b1;
    UInt128 p10 = (UInt128)a1 * b0, p11 = (UInt128)a1 * b1;
    UInt128 mid, hi, lo;

    if (a.sig == 0 || b.sig == 0) {
        return w_zero();
    }
    mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
    hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    lo = (mid << 64) | (uint64_t)p00;
    if (hi >> 127) {
        Wide w = { a.sign ^ b.sign, a.exp + b.exp + 1, hi };
        return w;
    }
    return w_normalize(a.sign ^ b.sign, a.exp + b.exp, (hi << 1) | (lo >> 127));
}

/* Significant bits of a significand: up to its lowest set bit. */
static int w_sig_bits(UInt128 sig)
{
    uint64_t lo = (uint64_t)sig, hi = (uint64_t)(sig >> 64);

    if (lo) {
        return 128 - __builtin_ctzll(lo);
    }
    return hi ? 64 - __builtin_ctzll(hi) : 0;
}

/* a * b, and whether the 128 bits kept are the whole product. */
static Wide w_mul_exact(Wide a, Wide b, bool *exact)
{
    *exact = w_sig_bits(a.sig) + w_sig_bits(b.sig) <= 128;
    return w_mul(a, b);
}

/* Keep the top `bits` significant bits, truncating toward zero. */
static Wide w_trunc(Wide a, int bits)
{
    a.sig &= ~(UInt128)0 << (128 - bits);
    return a;
}

static int w_cmp_abs(Wide a, Wide b)
{
    if (a.sig == 0 || b.sig == 0) {
        return (a.sig != 0) - (b.sig != 0);
    }
    if (a.exp != b.exp) {
        return a.exp > b.exp ? 1 : -1;
    }
    return (a.sig > b.sig) - (a.sig < b.sig);
}

static Wide w_add(Wide a, Wide b)
{
    UInt128 x, y;
    int64_t d;

    if (a.sig == 0) {
        return b;
    }
    if (b.sig == 0) {
        return a;
    }
    if (w_cmp_abs(a, b) < 0) {
        Wide t = a;
        a = b;
        b = t;
    }
    /* One spare bit on top for the carry. */
    /* The bits of b shifted out are jammed into bit 0, so that a term too
     * small to show still moves the sum off an exact value in the right
     * direction (sin x just below x, cos x just below 1). */
    d = (int64_t)a.exp - b.exp;
    x = a.sig >> 1;
    y = shift_right_jam128(b.sig, d + 1);
    if (a.sign == b.sign) {
        return w_normalize(a.sign, a.exp + 1, x + y);
    }
    return w_normalize(a.sign, a.exp + 1, x - y);
}

static Wide w_sub(Wide a, Wide b)
{
    return w_add(a, w_neg(b));
}

/* Whether w's lowest set bit is at or above 2^(exp - 127). */
static bool w_fits_above(Wide w, int32_t exp)
{
    return w.sig == 0 || w.exp - w_sig_bits(w.sig) + 1 >= exp - 127;
}

/* a - b, and whether the difference kept is exact: w_add keeps 127 bits
 * below the carry bit of the larger operand. */
static Wide w_sub_exact(Wide a, Wide b, bool *exact)
{
    int32_t top = (b.sig && b.exp > a.exp) || a.sig == 0 ? b.exp : a.exp;

    *exact = w_fits_above(a, top + 1) && w_fits_above(b, top + 1);
    return w_sub(a, b);
}

/* a / d for a small positive integer d, keeping 128 significant bits. */
static Wide w_div_small(Wide a, uint32_t d)
{
    UInt128 q, r;
    int lz;

    if (a.sig == 0) {
        return a;
    }
    q = a.sig / d;
    r = a.sig % d;
    lz = clz128(q);
    q = (q << lz) | ((r << lz) / d);
    return w_from_u128(a.sign, q, a.exp - lz);
}

/* 1 / b: a 64-bit estimate and one Newton step. */
static Wide w_recip(Wide b)
{
    uint64_t b_hi = (uint64_t)(b.sig >> 64);
    UInt128 est = ~(UInt128)0 / b_hi;   /* ~2^128 / b_hi */
    Wide r = w_from_u128(b.sign, est, 62 - b.exp);
    Wide e = w_sub(w_one(), w_mul(b, r));

    return w_add(r, w_mul(r, e));
}

static Wide w_div(Wide a, Wide b)
{
    return w_mul(a, w_recip(b));
}

/*
 * a / b for nonzero a, b by restoring long division: 128 quotient bits,
 * truncated, and whether that quotient is exact (w_div's Newton step can
 * land a unit below an exact quotient, which rounding would then see).
 */
static Wide w_div_exact(Wide a, Wide b, bool *exact)
{
    UInt128 rem = a.sig, q = 0;
    bool carry = false;

    for (int i = 0; i < 128; i++) {
        q <<= 1;
        if (carry || rem >= b.sig) {
            rem -= b.sig;
            q |= 1;
        }
        carry = rem >> 127;
        rem <<= 1;
    }
    *exact = rem == 0 && !carry;
    return w_from_u128(a.sign ^ b.sign, q, a.exp - b.exp);
}

/*
 * a / b of two finite nonzero Float80s by long division, truncated: unlike
 * w_div its top bits are exact, so truncating further never lands one unit
 * below an exactly representable quotient.
 */
static Wide w_div_f80(Float80 a, Float80 b)
{
    F80Parts pa = f80_unpack(a), pb = f80_unpack(b);
    UInt128 num, hi, lo, rem;

    f80_normalize(&pa);
    f80_normalize(&pb);
    /* 2^126 <= pa.sig * 2^127 / pb.sig < 2^128: two 64-bit digits */
    num = (UInt128)pa.sig << 63;
    hi = num / pb.sig;
    rem = num % pb.sig;
    lo = (rem << 64) / pb.sig;
    return w_from_u128(pa.sign ^ pb.sign, (hi << 64) | lo, pa.exp - pb.exp);
}

/*
 * Round an inexact wide value to Float80 at 64 bits: the sticky bit keeps
 * it from ever looking exact.
 */
static Float80 w_round(Wide w, bool exact, FloatStatus *st)
{
    int32_t exp = w.exp;

    if (w.sig == 0) {
        st->rounded_up = false;
        return f80_zero(w.sign);
    }
    /* Keep int32 arithmetic in the rounding safe; beyond this the result
     * over- or underflows anyway. */
    if (exp > F80_EXP_CLAMP) {
        exp = F80_EXP_CLAMP;
    } else if (exp < -F80_EXP_CLAMP) {
        exp = -F80_EXP_CLAMP;
    }
    return f80_round_pack(w.sign, exp + F80_BIAS, w.sig | !exact, 64, st);
}

/*
 * Round a value the x87 computes only to a truncated internal precision:
 * rounding sees w as exact, yet the instruction always reports PE (and UE
 * for a tiny result).
 */
static Float80 w_round_internal(Wide w, bool exact, FloatStatus *st)
{
    FloatStatus tmp = *st;
    Float80 r;

    tmp.flags = 0;
    r = w_round(w, exact, &tmp);
    if (!(tmp.flags & FLOAT_FLAG_INEXACT)) {
        tmp.flags |= FLOAT_FLAG_INEXACT;
        if (f80_exp(r) == 0) {
            tmp.flags |= FLOAT_FLAG_UNDERFLOW;
        }
    }
    st->flags |= tmp.flags;
    st->rounded_up = tmp.rounded_up;
    return r;
}

/* ---- trigonometric ---- */

/* |a| >= 2^63: the x87 leaves the operand alone and sets C2. */
static bool trig_out_of_range(Float80 a)
{
    return f80_exp(a) >= F80_BIAS + 63 && f80_exp(a) != F80_EXP_MAX;
}

/*
 * Reduce finite nonzero a (|a| < 2^63) by P = pi66/2 exactly:
 * a = r + k * P with |r| <= P / 2; returns r and k mod 4.
 */
static Wide trig_reduce(Float80 a, int *quadrant)
{
    F80Parts p = f80_unpack(a);
    int32_t e;
    UInt128 units, k, rem;
    bool neg = false;

    f80_normalize(&p);
    e = p.exp - F80_BIAS;
    if (e < -1) {
        *quadrant = 0;
        return w_from_f80(a);
    }
    /* In units of 2^-65 |a| fits 128 bits: e <= 62 here. */
    units = (UInt128)p.sig << (e + 2);
    k = units / PI66_HALF_UNITS;
    rem = units % PI66_HALF_UNITS;
    if (rem > PI66_HALF_UNITS - rem) {
        k++;
        rem = PI66_HALF_UNITS - rem;
        neg = true;
    }
    *quadrant = (int)(k & 3);
    if (p.sign) {
        *quadrant = (4 - *quadrant) & 3;
    }
    return w_from_u128(p.sign ^ neg, rem, 127 - 65);
}

/* sin(r) and cos(r) for |r| <= pi/4, by Horner on the Taylor series. */
static Wide w_sin_small(Wide r)
{
    Wide r2 = w_mul(r, r), t = w_one();

    for (int n = SIN_COS_TERMS; n >= 1; n--) {
        t = w_sub(w_one(), w_div_small(w_mul(t, r2), (uint32_t)((2 * n) * (2 * n + 1))));
    }
    return w_mul(r, t);
}

static Wide w_cos_small(Wide r)
{
    Wide r2 = w_mul(r, r), t = w_one();

    for (int n = SIN_COS_TERMS; n >= 1; n--) {
        t = w_sub(w_one(), w_div_small(w_mul(t, r2), (uint32_t)((2 * n - 1) * (2 * n))));
    }
    return t;
}

/* sin and cos of a finite nonzero in-range operand, in wide precision. */
static void w_sincos(Float80 a, Wide *s, Wide *c)
{
    int q;
    Wide r = trig_reduce(a, &q);
    Wide sr = w_sin_small(r), cr = w_cos_small(r);

    switch (q) {
    case 0:
        *s = sr;
        *c = cr;
        break;
    case 1:
        *s = cr;
        *c = w_neg(sr);
        break;
    case 2:
        *s = w_neg(sr);
        *c = w_neg(cr);
        break;
    default:
        *s = w_neg(cr);
        *c = sr;
        break;
    }
}

typedef enum TrigKind { TRIG_SIN, TRIG_COS, TRIG_TAN } TrigKind;

/*
 * Shared special-case handling; returns true with *result set when the
 * operand needs no computation.
 */
static bool trig_special(Float80 a, TrigKind kind, Float80 *result, bool *out_of_range,
                         FloatStatus *st)
{
    FloatClass c = float80_classify(a);

    st->rounded_up = false;
    *out_of_range = false;
    switch (c) {
    case FLOAT_CLASS_UNSUPPORTED:
    case FLOAT_CLASS_INFINITY:
        *result = f80_invalid(st);
        return true;
    case FLOAT_CLASS_QNAN:
    case FLOAT_CLASS_SNAN:
        *result = f80_propagate_nan1(a, st);
        return true;
    case FLOAT_CLASS_ZERO:
        *result = kind == TRIG_COS ? float80_make(F80_BIAS, F80_INT_BIT) : a;
        return true;
    case FLOAT_CLASS_DENORMAL:
        st->flags |= FLOAT_FLAG_DENORMAL;
        break;
    default:
        if (trig_out_of_range(a)) {
            *out_of_range = true;
            *result = a;
            return true;
        }
        break;
    }
    if (f80_exp(a) < F80_BIAS + TRIG_IDENTITY_EXP) {
        /* The x87 answers sin x = tan x = x and cos x = 1 here without
         * rounding (even toward zero): inexact, C1 clear. */
        st->flags |= FLOAT_FLAG_INEXACT;
        if (kind == TRIG_COS) {
            *result = float80_make(F80_BIAS, F80_INT_BIT);
        } else if (c == FLOAT_CLASS_DENORMAL && (a.mant & F80_INT_BIT)) {
            *result = f80_pack(f80_sign(a), 1, a.mant); /* pseudo-denormal: normalized */
        } else {
            *result = a;
            if (c == FLOAT_CLASS_DENORMAL) {
                st->flags |= FLOAT_FLAG_UNDERFLOW;
            }
        }
        return true;
    }
    return false;
}

Float80 float80_sin(Float80 a, bool *out_of_range, FloatStatus *st)
{
    Float80 r;
    Wide s, c;

    if (trig_special(a, TRIG_SIN, &r, out_of_range, st)) {
        return r;
    }
    w_sincos(a, &s, &c);
    return w_round(s, false, st);
}

Float80 float80_cos(Float80 a, bool *out_of_range, FloatStatus *st)
{
    Float80 r;
    Wide s, c;

    if (trig_special(a, TRIG_COS, &r, out_of_range, st)) {
        return r;
    }
    w_sincos(a, &s, &c);
    return w_round(c, false, st);
}

void float80_sincos(Float80 a, Float80 *sin, Float80 *cos, bool *out_of_range,
                    FloatStatus *st)
{
    Float80 r;
    Wide s, c;

    if (trig_special(a, TRIG_SIN, &r, out_of_range, st)) {
        FloatClass c = float80_classify(a);
        *sin = r;
        *cos = r;
        if (!*out_of_range && (c == FLOAT_CLASS_ZERO || c == FLOAT_CLASS_NORMAL ||
                               c == FLOAT_CLASS_DENORMAL)) {
            *cos = float80_make(F80_BIAS, F80_INT_BIT);
        }
        return;
    }
    w_sincos(a, &s, &c);
    *sin = w_round(s, false, st);
    *cos = w_round(c, false, st);   /* C1 comes from the cosine (ST0) */
}

Float80 float80_tan(Float80 a, bool *out_of_range, FloatStatus *st)
{
    Float80 r;
    Wide s, c, t;
    bool exact;

    if (trig_special(a, TRIG_TAN, &r, out_of_range, st)) {
        return r;
    }
    /* Even for a tiny tangent the x87 divides the truncated sine by the
     * truncated cosine (no series of its own): tan(2^-41) is 2^-41 in
     * every rounding mode, as sin and cos lose the same last unit. */
    w_sincos(a, &s, &c);
    t = w_div_exact(w_trunc(s, TAN_INTERNAL_BITS), w_trunc(c, TAN_INTERNAL_BITS), &exact);
    return w_round_internal(t, exact, st);
}

/* ---- FPATAN ---- */

/* atan(z) for 0 <= z <= 1: a table entry at the nearest eighth plus a
 * short series: atan(z) = atan(c) + atan((z - c) / (1 + z c)). */
static Wide w_atan_unit(Wide z)
{
    int k = 0;
    Wide c, u, u2, term, sum;

    if (z.sig && z.exp >= -4) {
        /* k = round(8 z): 8z has (z.exp + 4) bits above the half bit */
        k = (int)(((z.sig >> (127 - (z.exp + 4))) + 1) >> 1);
    }
    c = w_from_int(k);
    c = w_ldexp(c, -3);
    u = k ? w_div(w_sub(z, c), w_add(w_one(), w_mul(z, c))) : z;
    u2 = w_mul(u, u);
    term = u;
    sum = u;
    for (int n = 1; n <= ATAN_TERMS; n++) {
        term = w_mul(term, u2);
        sum = w_add(sum, w_div_small(n & 1 ? w_neg(term) : term, (uint32_t)(2 * n + 1)));
    }
    return k ? w_add(w_const(WIDE_ATAN_EIGHTHS[k]), sum) : sum;
}

/* The x87's 66-bit pi (SDM vol. 1 8.3.10), which FPATAN adds in as well. */
static Wide w_pi66(void)
{
    return w_trunc(w_const(WIDE_PI), 66);
}

/* A multiple of pi/4 (k = 1..4) with the given sign, rounded per RC. */
static Float80 pi_quarters(int k, bool sign, FloatStatus *st)
{
    Wide w = w_mul(w_const(WIDE_PI), w_from_int(k));
    w = w_ldexp(w, -2);
    w.sign = sign;
    return w_round(w, false, st);
}

Float80 float80_atan2(Float80 y, Float80 x, FloatStatus *st)
{
    FloatClass cy = float80_classify(y), cx = float80_classify(x);
    bool sy = f80_sign(y), sx = f80_sign(x), swap, exact, part_exact;
    Wide a, b, z, t;

    st->rounded_up = false;
    if (cy == FLOAT_CLASS_UNSUPPORTED || cx == FLOAT_CLASS_UNSUPPORTED) {
        return f80_invalid(st);
    }
    if (f80_class_is_nan(cy) || f80_class_is_nan(cx)) {
        return f80_propagate_nan2(x, y, st);
    }
    if (cy == FLOAT_CLASS_DENORMAL || cx == FLOAT_CLASS_DENORMAL) {
        st->flags |= FLOAT_FLAG_DENORMAL;
    }
    if (cy == FLOAT_CLASS_INFINITY) {
        if (cx == FLOAT_CLASS_INFINITY) {
            return pi_quarters(sx ? 3 : 1, sy, st);
        }
        return pi_quarters(2, sy, st);
    }
    if (cy == FLOAT_CLASS_ZERO || cx == FLOAT_CLASS_INFINITY) {
        if (sx) {
            return pi_quarters(4, sy, st);
        }
        return f80_zero(sy);
    }
    if (cx == FLOAT_CLASS_ZERO) {
        return pi_quarters(2, sy, st);
    }
    a = w_abs(w_from_f80(y));
    b = w_abs(w_from_f80(x));
    swap = w_cmp_abs(a, b) > 0;
    z = w_abs(w_trunc(swap ? w_div_f80(x, y) : w_div_f80(y, x), ATAN_QUOTIENT_BITS));
    /* Below 2^-40 atan(z) is z, exactly: in the plain quadrant the result
     * is the 67-bit quotient, which may round to a denormal or to zero
     * (f80_round_pack does the gradual underflow and UE). */
    exact = z.exp < ATAN_IDENTITY_EXP;
    t = exact ? z : w_atan_unit(z);
    if (swap) {
        t = w_sub_exact(w_ldexp(w_pi66(), -1), t, &part_exact);
        exact = exact && part_exact;
    }
    if (sx) {
        t = w_sub_exact(w_pi66(), t, &part_exact);
        exact = exact && part_exact;
    }
    t.sign = sy;
    return w_round_internal(t, exact, st);
}

/* ---- F2XM1 ---- */

/* e^t - 1: halve t until tiny, sum the series, then double back with
 * expm1(2u) = expm1(u) * (expm1(u) + 2). */
static Wide w_expm1(Wide t)
{
    int k = 0;
    Wide u = t, e;

    if (t.sig == 0) {
        return t;
    }
    if (t.exp > EXPM1_MAX_EXP) {
        k = t.exp - EXPM1_MAX_EXP;
        u = w_ldexp(t, -k);
    }
    e = w_one();
    for (int n = EXPM1_TERMS; n >= 2; n--) {
        e = w_add(w_one(), w_div_small(w_mul(e, u), (uint32_t)n));
    }
    e = w_mul(e, u);
    while (k-- > 0) {
        e = w_mul(e, w_add(e, w_from_int(2)));
    }
    return e;
}

Float80 float80_2xm1(Float80 a, FloatStatus *st)
{
    FloatClass c = float80_classify(a);
    Wide x, arg;
    bool exact;

    st->rounded_up = false;
    switch (c) {
    case FLOAT_CLASS_UNSUPPORTED:
        return f80_invalid(st);
    case FLOAT_CLASS_QNAN:
    case FLOAT_CLASS_SNAN:
        return f80_propagate_nan1(a, st);
    case FLOAT_CLASS_ZERO:
        return a;
    case FLOAT_CLASS_INFINITY:
        return f80_sign(a) ? float80_make(0x8000 | F80_BIAS, F80_INT_BIT) : a;
    case FLOAT_CLASS_DENORMAL:
        st->flags |= FLOAT_FLAG_DENORMAL;
        break;
    default:
        break;
    }
    x = w_from_f80(a);
    /* Outside [-1, 1] the SDM leaves the result undefined; give 2^x - 1
     * where it is representable. */
    if (x.exp >= F2XM1_MAX_EXP) {
        if (x.sign) {
            return w_round(w_from_int(-1), false, st);
        }
        x = w_from_int(1 << F2XM1_MAX_EXP);
    }
    if (x.exp >= 0 && (x.sig << 1) == 0) {
        /* 2^n - 1 for the integers +-1 and beyond: exact */
        int32_t n = (int32_t)(x.sig >> (127 - x.exp));
        if (n < 64) {
            return w_round_internal(w_sub(w_from_u128(false, 1, 127 + (x.sign ? -n : n)),
                                          w_one()), true, st);
        }
    }
    arg = w_mul_exact(x, w_const(WIDE_LN2_66), &exact);
    if (x.exp < F2XM1_LINEAR_EXP) {
        /* 2^x - 1 = x ln2 to well below the last bit: the x87 gives the
         * product, correctly rounded, denormal and UE included. */
        return w_round_internal(arg, exact, st);
    }
    return w_round_internal(w_trunc(w_expm1(arg), EXPM1_INTERNAL_BITS), true, st);
}

/* ---- FYL2X, FYL2XP1 ---- */

/* 2 atanh(s) = ln((1 + s) / (1 - s)), for |s| small. */
static Wide w_2atanh(Wide s)
{
    Wide s2 = w_mul(s, s), p = s, sum = s;

    for (int n = 1; n <= ATANH_TERMS; n++) {
        p = w_mul(p, s2);
        sum = w_add(sum, w_div_small(p, (uint32_t)(2 * n + 1)));
    }
    return w_ldexp(sum, 1);
}

/* log2(x) for x > 0; *exact when the result carries no rounding error. */
static Wide w_log2(Wide x, bool *exact)
{
    /* sqrt(2) as a 128-bit significand: split the binade there so that
     * |s| stays below 0.172 */
    static const UInt128 sqrt2_sig = ((UInt128)0xb504f333f9de6484ull << 64) | 0x597d89b3754abe9full;
    int32_t e = x.exp;
    Wide m = x, s;

    m.exp = 0;
    if (m.sig > sqrt2_sig) {
        m.exp = -1;
        e++;
    }
    if (m.exp == 0 && (m.sig << 1) == 0) {
        *exact = true;
        return w_from_int(e);
    }
    *exact = false;
    s = w_div(w_sub(m, w_one()), w_add(m, w_one()));
    return w_add(w_from_int(e), w_mul(w_2atanh(s), w_const(WIDE_LOG2E)));
}

Float80 float80_yl2x(Float80 y, Float80 x, FloatStatus *st)
{
    FloatClass cy = float80_classify(y), cx = float80_classify(x);
    bool sy = f80_sign(y), sx = f80_sign(x), exact, pexact;
    Wide l, p;

    st->rounded_up = false;
    if (cy == FLOAT_CLASS_UNSUPPORTED || cx == FLOAT_CLASS_UNSUPPORTED) {
        return f80_invalid(st);
    }
    if (f80_class_is_nan(cy) || f80_class_is_nan(cx)) {
        return f80_propagate_nan2(x, y, st);
    }
    if (sx && cx != FLOAT_CLASS_ZERO) {
        return f80_invalid(st);
    }
    if (cx != FLOAT_CLASS_ZERO &&
        (cy == FLOAT_CLASS_DENORMAL || cx == FLOAT_CLASS_DENORMAL)) {
        st->flags |= FLOAT_FLAG_DENORMAL;
    }
    if (cx == FLOAT_CLASS_ZERO) {
        /* log2(0) = -inf */
        if (cy == FLOAT_CLASS_ZERO) {
            return f80_invalid(st);
        }
        if (cy != FLOAT_CLASS_INFINITY) {
            st->flags |= FLOAT_FLAG_DIVIDE_BY_ZERO;
        }
        return f80_infinity(!sy);
    }
    if (cx == FLOAT_CLASS_INFINITY) {
        if (cy == FLOAT_CLASS_ZERO) {
            return f80_invalid(st);
        }
        return f80_infinity(sy);
    }
    l = w_log2(w_from_f80(x), &exact);
    if (cy == FLOAT_CLASS_INFINITY || cy == FLOAT_CLASS_ZERO) {
        if (l.sig == 0) {
            if (cy == FLOAT_CLASS_INFINITY) {
                return f80_invalid(st);
            }
            return f80_zero(sy);
        }
        return cy == FLOAT_CLASS_ZERO ? f80_zero(sy ^ l.sign) : f80_infinity(sy ^ l.sign);
    }
    if (l.sig == 0) {
        return f80_zero(sy); /* log2(1): an exact zero, no PE */
    }
    if (exact && l.sign) {
        /* log2 of 2^-n comes out as the 67-bit value just inside -n on
         * the x87 (while 2^n gives exactly n), denormal x included. */
        l = w_normalize(true, l.exp, l.sig - ((UInt128)1 << (128 - LOG2_INTERNAL_BITS)));
    }
    l = w_trunc(l, LOG2_INTERNAL_BITS);
    p = w_mul_exact(w_from_f80(y), l, &pexact);
    return w_round_internal(p, pexact, st);
}

Float80 float80_yl2xp1(Float80 y, Float80 x, FloatStatus *st)
{
    FloatClass cy = float80_classify(y), cx = float80_classify(x);
    bool sy = f80_sign(y), sx = f80_sign(x), exact = false, pexact;
    Wide w, l, p;

    st->rounded_up = false;
    if (cy == FLOAT_CLASS_UNSUPPORTED || cx == FLOAT_CLASS_UNSUPPORTED) {
        return f80_invalid(st);
    }
    if (f80_class_is_nan(cy) || f80_class_is_nan(cx)) {
        return f80_propagate_nan2(x, y, st);
    }
    if (cx == FLOAT_CLASS_INFINITY && (sx || cy == FLOAT_CLASS_ZERO)) {
        return f80_invalid(st);
    }
    if (cy == FLOAT_CLASS_DENORMAL || cx == FLOAT_CLASS_DENORMAL) {
        st->flags |= FLOAT_FLAG_DENORMAL;
    }
    if (cx == FLOAT_CLASS_ZERO) {
        if (cy == FLOAT_CLASS_INFINITY) {
            return f80_invalid(st);
        }
        return f80_zero(sx ^ sy);
    }
    if (cx == FLOAT_CLASS_INFINITY) {
        return f80_infinity(sy);
    }
    w = w_from_f80(x);
    if (w.exp < FYL2XP1_LINEAR_EXP) {
        /* log2(1 + x) = x log2(e) to well below the last bit: the x87
         * multiplies by a 66-bit log2(e) */
        l = w_mul(w, w_const(WIDE_LOG2E_66));
    } else if (w.exp < -2) {
        /* |x| < 1/4: log2(1 + x) = 2 atanh(x / (2 + x)) log2(e) */
        l = w_mul(w_2atanh(w_div(w, w_add(w, w_from_int(2)))), w_const(WIDE_LOG2E));
    } else {
        /* Outside the documented domain: log2(1 + x) where defined. */
        w = w_add(w, w_one());
        if (w.sig == 0 || w.sign) {
            return f80_invalid(st);
        }
        l = w_log2(w, &exact);
    }
    if (cy == FLOAT_CLASS_INFINITY || cy == FLOAT_CLASS_ZERO) {
        if (l.sig == 0 && cy == FLOAT_CLASS_INFINITY) {
            return f80_invalid(st);
        }
        return cy == FLOAT_CLASS_ZERO ? f80_zero(sy ^ l.sign) : f80_infinity(sy ^ l.sign);
    }
    if (!exact) {
        l = w_trunc(l, LOG2_INTERNAL_BITS);
    }
    p = w_mul_exact(w_from_f80(y), l, &pexact);
    return w_round_internal(p, pexact, st);
}
