/*
 * x87 80-bit extended precision arithmetic in software: classification, the
 * NaN rules, rounding under RC and PC, add/sub/mul/div/sqrt, FPREM/FPREM1,
 * FRNDINT, FSCALE, FXTRACT, compares and the FLDxx constants.
 * Reference: Intel SDM vol. 1 ch. 4 and 8, vol. 2 pages of those instructions.
 * Unmasked-exception results are not modelled (see softfloat.h).
 */
#include "fpu/softfloat_internal.h"

void float_status_init(FloatStatus *st)
{
    st->rounding = FLOAT_ROUND_NEAREST_EVEN;
    st->precision = 64;
    st->flags = 0;
    st->denormals_are_zero = false;
    st->flush_to_zero = false;
    st->rounded_up = false;
}

FloatClass float80_classify(Float80 a)
{
    int exp = f80_exp(a);
    bool integer = a.mant & F80_INT_BIT;

    if (exp == F80_EXP_MAX) {
        if (!integer) {
            return FLOAT_CLASS_UNSUPPORTED; /* pseudo-infinity, pseudo-NaN */
        }
        if ((a.mant << 1) == 0) {
            return FLOAT_CLASS_INFINITY;
        }
        return (a.mant & F80_QUIET_BIT) ? FLOAT_CLASS_QNAN : FLOAT_CLASS_SNAN;
    }
    if (exp == 0) {
        return a.mant ? FLOAT_CLASS_DENORMAL : FLOAT_CLASS_ZERO;
    }
    return integer ? FLOAT_CLASS_NORMAL : FLOAT_CLASS_UNSUPPORTED; /* unnormal */
}

uint16_t float80_examine(Float80 a, bool empty)
{
    uint16_t cc = f80_sign(a) ? FLOAT_CC_C1 : 0;

    if (empty) {
        return cc | FLOAT_CC_C3 | FLOAT_CC_C0;
    }
    switch (float80_classify(a)) {
    case FLOAT_CLASS_UNSUPPORTED:
        return cc;
    case FLOAT_CLASS_QNAN:
    case FLOAT_CLASS_SNAN:
        return cc | FLOAT_CC_C0;
    case FLOAT_CLASS_NORMAL:
        return cc | FLOAT_CC_C2;
    case FLOAT_CLASS_INFINITY:
        return cc | FLOAT_CC_C2 | FLOAT_CC_C0;
    case FLOAT_CLASS_ZERO:
        return cc | FLOAT_CC_C3;
    case FLOAT_CLASS_DENORMAL:
        return cc | FLOAT_CC_C3 | FLOAT_CC_C2;
    }
    return cc;
}

/* ---- NaNs ---- */

Float80 f80_propagate_nan1(Float80 a, FloatStatus *st)
{
    if (float80_classify(a) == FLOAT_CLASS_SNAN) {
        st->flags |= FLOAT_FLAG_INVALID;
    }
    a.mant |= F80_QUIET_BIT;
    return a;
}

Float80 f80_propagate_nan2(Float80 a, Float80 b, FloatStatus *st)
{
    FloatClass ca = float80_classify(a), cb = float80_classify(b);
    bool a_nan = f80_class_is_nan(ca), b_nan = f80_class_is_nan(cb);

    if (ca == FLOAT_CLASS_SNAN || cb == FLOAT_CLASS_SNAN) {
        st->flags |= FLOAT_FLAG_INVALID;
    }
    a.mant |= F80_QUIET_BIT;
    b.mant |= F80_QUIET_BIT;
    if (a_nan && b_nan) {
        /* An SNaN loses to a QNaN; otherwise the larger significand wins
         * and a tie goes to the positive one. */
        if (ca != cb) {
            return ca == FLOAT_CLASS_QNAN ? a : b;
        }
        if (a.mant != b.mant) {
            return a.mant > b.mant ? a : b;
        }
        return f80_sign(a) ? b : a;
    }
    return a_nan ? a : b;
}

/* ---- rounding ---- */

/* Whether rounding off the low `drop` bits of sig increments the kept part. */
static bool round_increments(UInt128 sig, int drop, bool sign, int rounding)
{
    UInt128 mask = ((UInt128)1 << drop) - 1;
    UInt128 rest = sig & mask;
    UInt128 half = (UInt128)1 << (drop - 1);

    if (rest == 0) {
        return false;
    }
    switch (rounding) {
    case FLOAT_ROUND_NEAREST_EVEN:
        return rest > half || (rest == half && ((sig >> drop) & 1));
    case FLOAT_ROUND_DOWN:
        return sign;
    case FLOAT_ROUND_UP:
        return !sign;
    default:
        return false;
    }
}

bool float_overflow_to_infinity(bool sign, int rounding)
{
    switch (rounding) {
    case FLOAT_ROUND_NEAREST_EVEN:
        return true;
    case FLOAT_ROUND_DOWN:
        return sign;
    case FLOAT_ROUND_UP:
        return !sign;
    default:
        return false;
    }
}

bool float_round_core(bool sign, int32_t *exp_io, UInt128 *sig_io, int precision,
                      int32_t exp_max, FloatStatus *st)
{
    int drop = 128 - precision;
    UInt128 sig = *sig_io, low_mask = ((UInt128)1 << drop) - 1;
    int32_t exp = *exp_io;
    int lz = clz128(sig);
    bool tiny = false, inc;

    st->rounded_up = false;
    sig <<= lz;
    exp -= lz;
    if (exp >= exp_max) {
        goto overflow;
    }
    if (exp < 1) {
        /* Tininess is detected after rounding: a value that rounds up to
         * the smallest normal is not tiny. */
        tiny = exp < 0 || !(round_increments(sig, drop, sign, st->rounding) &&
                            (sig >> drop) == ((UInt128)1 << precision) - 1);
        sig = shift_right_jam128(sig, 1 - (int64_t)exp);
        exp = 1;
    }
    inc = round_increments(sig, drop, sign, st->rounding);
    if ((sig & low_mask) != 0) {
        st->flags |= FLOAT_FLAG_INEXACT;
        if (tiny) {
            st->flags |= FLOAT_FLAG_UNDERFLOW;
        }
    }
    sig &= ~low_mask;
    if (inc) {
        sig += (UInt128)1 << drop;
        if (sig == 0) {
            sig = (UInt128)1 << 127;
            exp++;
            if (exp >= exp_max) {
                goto overflow;
            }
        }
    }
    st->rounded_up = inc;
    if (!(sig >> 127)) {
        exp = 0; /* still denormal (or zero) after rounding */
    }
    *exp_io = exp;
    *sig_io = sig;
    return false;

overflow:
    st->flags |= FLOAT_FLAG_OVERFLOW | FLOAT_FLAG_INEXACT;
    st->rounded_up = float_overflow_to_infinity(sign, st->rounding);
    return true;
}

Float80 f80_round_pack(bool sign, int32_t exp, UInt128 sig, int precision,
                       FloatStatus *st)
{
    if (float_round_core(sign, &exp, &sig, precision, F80_EXP_MAX, st)) {
        if (st->rounded_up) {
            return f80_infinity(sign);
        }
        return f80_pack(sign, F80_EXP_MAX - 1, ~0ull << (64 - precision));
    }
    return f80_pack(sign, exp, (uint64_t)(sig >> 64));
}

/* ---- add, sub ---- */

static int status_precision(const FloatStatus *st)
{
    return st->precision == 24 || st->precision == 53 ? st->precision : 64;
}

static Float80 f80_exact_zero(bool sa, bool sb, const FloatStatus *st)
{
    if (sa == sb) {
        return f80_zero(sa);
    }
    return f80_zero(st->rounding == FLOAT_ROUND_DOWN);
}

static Float80 f80_addsub(Float80 a, Float80 b, bool negate_b, FloatStatus *st)
{
    FloatClass ca = float80_classify(a), cb = float80_classify(b);
    bool sa = f80_sign(a), sb = f80_sign(b) ^ negate_b;
    F80Parts pa, pb;
    UInt128 ma, mb, sum;
    int32_t exp;
    bool sign;

    st->rounded_up = false;
    if (ca == FLOAT_CLASS_UNSUPPORTED || cb == FLOAT_CLASS_UNSUPPORTED) {
        return f80_invalid(st);
    }
    if (f80_class_is_nan(ca) || f80_class_is_nan(cb)) {
        return f80_propagate_nan2(a, b, st);
    }
    if (ca == FLOAT_CLASS_DENORMAL || cb == FLOAT_CLASS_DENORMAL) {
        st->flags |= FLOAT_FLAG_DENORMAL;
    }
    if (ca == FLOAT_CLASS_INFINITY || cb == FLOAT_CLASS_INFINITY) {
        if (ca == cb && sa != sb) {
            return f80_invalid(st);
        }
        return f80_infinity(ca == FLOAT_CLASS_INFINITY ? sa : sb);
    }
    if (ca == FLOAT_CLASS_ZERO && cb == FLOAT_CLASS_ZERO) {
        return f80_exact_zero(sa, sb, st);
    }
    pa = f80_unpack(a);
    pb = f80_unpack(b);
    if (pa.exp < pb.exp || (pa.exp == pb.exp && pa.sig < pb.sig)) {
        F80Parts t = pa;
        bool ts = sa;
        pa = pb;
        pb = t;
        sa = sb;
        sb = ts;
    }
    /* |a| >= |b|: the integer bit of a sits at bit 126, one spare bit above. */
    ma = (UInt128)pa.sig << 63;
    mb = shift_right_jam128((UInt128)pb.sig << 63, pa.exp - pb.exp);
    sign = sa;
    exp = pa.exp + 1;
    if (sa == sb) {
        sum = ma + mb;
    } else {
        sum = ma - mb;
        if (sum == 0) {
            return f80_exact_zero(sa, sb, st);
        }
    }
    return f80_round_pack(sign, exp, sum, status_precision(st), st);
}

Float80 float80_add(Float80 a, Float80 b, FloatStatus *st)
{
    return f80_addsub(a, b, false, st);
}

Float80 float80_sub(Float80 a, Float80 b, FloatStatus *st)
{
    return f80_addsub(a, b, true, st);
}

/* ---- mul, div ---- */

Float80 float80_mul(Float80 a, Float80 b, FloatStatus *st)
{
    FloatClass ca = float80_classify(a), cb = float80_classify(b);
    bool sign = f80_sign(a) ^ f80_sign(b);
    F80Parts pa, pb;

    st->rounded_up = false;
    if (ca == FLOAT_CLASS_UNSUPPORTED || cb == FLOAT_CLASS_UNSUPPORTED) {
        return f80_invalid(st);
    }
    if (f80_class_is_nan(ca) || f80_class_is_nan(cb)) {
        return f80_propagate_nan2(a, b, st);
    }
    if ((ca == FLOAT_CLASS_INFINITY && cb == FLOAT_CLASS_ZERO) ||
        (ca == FLOAT_CLASS_ZERO && cb == FLOAT_CLASS_INFINITY)) {
        return f80_invalid(st);
    }
    if (ca == FLOAT_CLASS_DENORMAL || cb == FLOAT_CLASS_DENORMAL) {
        st->flags |= FLOAT_FLAG_DENORMAL;
    }
    if (ca == FLOAT_CLASS_INFINITY || cb == FLOAT_CLASS_INFINITY) {
        return f80_infinity(sign);
    }
    if (ca == FLOAT_CLASS_ZERO || cb == FLOAT_CLASS_ZERO) {
        return f80_zero(sign);
    }
    pa = f80_unpack(a);
    pb = f80_unpack(b);
    return f80_round_pack(sign, pa.exp + pb.exp - (F80_BIAS - 1),
                          (UInt128)pa.sig * pb.sig, status_precision(st), st);
}

Float80 float80_div(Float80 a, Float80 b, FloatStatus *st)
{
    FloatClass ca = float80_classify(a), cb = float80_classify(b);
    bool sign = f80_sign(a) ^ f80_sign(b);
    F80Parts pa, pb;
    UInt128 r, sig;
    uint64_t q_lo, q_mid;
    int32_t exp;

    st->rounded_up = false;
    if (ca == FLOAT_CLASS_UNSUPPORTED || cb == FLOAT_CLASS_UNSUPPORTED) {
        return f80_invalid(st);
    }
    if (f80_class_is_nan(ca) || f80_class_is_nan(cb)) {
        return f80_propagate_nan2(a, b, st);
    }
    if ((ca == FLOAT_CLASS_INFINITY && cb == FLOAT_CLASS_INFINITY) ||
        (ca == FLOAT_CLASS_ZERO && cb == FLOAT_CLASS_ZERO)) {
        return f80_invalid(st);
    }
    if (cb == FLOAT_CLASS_ZERO && ca != FLOAT_CLASS_INFINITY) {
        st->flags |= FLOAT_FLAG_DIVIDE_BY_ZERO;
        return f80_infinity(sign);
    }
    if (ca == FLOAT_CLASS_DENORMAL || cb == FLOAT_CLASS_DENORMAL) {
        st->flags |= FLOAT_FLAG_DENORMAL;
    }
    if (ca == FLOAT_CLASS_INFINITY) {
        return f80_infinity(sign);
    }
    if (ca == FLOAT_CLASS_ZERO || cb == FLOAT_CLASS_INFINITY) {
        return f80_zero(sign);
    }
    pa = f80_unpack(a);
    pb = f80_unpack(b);
    f80_normalize(&pa);
    f80_normalize(&pb);
    /* Long division in 64-bit digits: 1 integer bit and 128 fraction bits. */
    exp = pa.exp - pb.exp + F80_BIAS;
    if (pa.sig >= pb.sig) {
        r = pa.sig - pb.sig;
        q_lo = (uint64_t)((r << 64) / pb.sig);
        r = (r << 64) % pb.sig;
        q_mid = (uint64_t)((r << 64) / pb.sig);
        r = (r << 64) % pb.sig;
        sig = ((UInt128)1 << 127) | ((UInt128)q_lo << 63) | (q_mid >> 1) |
              (q_mid & 1) | (r != 0);
    } else {
        r = pa.sig;
        q_lo = (uint64_t)((r << 64) / pb.sig);
        r = (r << 64) % pb.sig;
        q_mid = (uint64_t)((r << 64) / pb.sig);
        r = (r << 64) % pb.sig;
        sig = ((UInt128)q_lo << 64) | q_mid | (r != 0);
        exp--;
    }
    return f80_round_pack(sign, exp, sig, status_precision(st), st);
}

/* ---- sqrt ---- */

/* floor(sqrt(n)) for n < 2^128, and the remainder n - root^2. */
static uint64_t isqrt128(UInt128 n, UInt128 *rem)
{
    UInt128 root = 0, bit = (UInt128)1 << 126;

    while (bit > n) {
        bit >>= 2;
    }
    while (bit) {
        if (n >= root + bit) {
            n -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    *rem = n;
    return (uint64_t)root;
}

Float80 float80_sqrt(Float80 a, FloatStatus *st)
{
    FloatClass ca = float80_classify(a);
    bool sign = f80_sign(a);
    F80Parts p;
    int32_t e, shift;
    uint64_t root;
    UInt128 rem, sig;

    st->rounded_up = false;
    if (ca == FLOAT_CLASS_UNSUPPORTED) {
        return f80_invalid(st);
    }
    if (f80_class_is_nan(ca)) {
        return f80_propagate_nan1(a, st);
    }
    if (ca == FLOAT_CLASS_ZERO) {
        return a;
    }
    if (sign) {
        return f80_invalid(st);
    }
    if (ca == FLOAT_CLASS_DENORMAL) {
        st->flags |= FLOAT_FLAG_DENORMAL;
    }
    if (ca == FLOAT_CLASS_INFINITY) {
        return a;
    }
    p = f80_unpack(a);
    f80_normalize(&p);
    /* value = sig * 2^(e - 63); scale sig by 2^shift so the exponent left
     * over is even and the root has exactly 64 bits. */
    e = p.exp - F80_BIAS;
    shift = (e & 1) ? 64 : 63;
    root = isqrt128((UInt128)p.sig << shift, &rem);
    /* (root + 1/2)^2 <= n exactly when rem > root; never equal. */
    sig = ((UInt128)root << 64) | (rem > root ? (UInt128)1 << 63 : 0) | (rem != 0);
    return f80_round_pack(false, F80_BIAS + 63 + (e - 63 - shift) / 2, sig,
                          status_precision(st), st);
}

/* ---- compare ---- */

static FloatRelation f80_compare_common(Float80 a, Float80 b, bool quiet,
                                        FloatStatus *st)
{
    FloatClass ca = float80_classify(a), cb = float80_classify(b);
    bool sa = f80_sign(a), sb = f80_sign(b);
    F80Parts pa, pb;
    FloatRelation mag;

    st->rounded_up = false;
    if (ca == FLOAT_CLASS_UNSUPPORTED || cb == FLOAT_CLASS_UNSUPPORTED) {
        st->flags |= FLOAT_FLAG_INVALID;
        return FLOAT_UNORDERED;
    }
    if (f80_class_is_nan(ca) || f80_class_is_nan(cb)) {
        if (!quiet || ca == FLOAT_CLASS_SNAN || cb == FLOAT_CLASS_SNAN) {
            st->flags |= FLOAT_FLAG_INVALID;
        }
        return FLOAT_UNORDERED;
    }
    if (ca == FLOAT_CLASS_DENORMAL || cb == FLOAT_CLASS_DENORMAL) {
        st->flags |= FLOAT_FLAG_DENORMAL;
    }
    if (ca == FLOAT_CLASS_ZERO && cb == FLOAT_CLASS_ZERO) {
        return FLOAT_EQUAL;
    }
    if (sa != sb) {
        return sa ? FLOAT_LESS : FLOAT_GREATER;
    }
    if (ca == FLOAT_CLASS_INFINITY || cb == FLOAT_CLASS_INFINITY) {
        if (ca == cb) {
            return FLOAT_EQUAL;
        }
        mag = ca == FLOAT_CLASS_INFINITY ? FLOAT_GREATER : FLOAT_LESS;
    } else {
        pa = f80_unpack(a);
        pb = f80_unpack(b);
        if (pa.sig) {
            f80_normalize(&pa);
        }
        if (pb.sig) {
            f80_normalize(&pb);
        }
        if (pa.sig == 0 || pb.sig == 0) {
            mag = pa.sig ? FLOAT_GREATER : FLOAT_LESS;
        } else if (pa.exp != pb.exp) {
            mag = pa.exp > pb.exp ? FLOAT_GREATER : FLOAT_LESS;
        } else if (pa.sig != pb.sig) {
            mag = pa.sig > pb.sig ? FLOAT_GREATER : FLOAT_LESS;
        } else {
            return FLOAT_EQUAL;
        }
    }
    if (sa) {
        mag = mag == FLOAT_GREATER ? FLOAT_LESS : FLOAT_GREATER;
    }
    return mag;
}

FloatRelation float80_compare(Float80 a, Float80 b, FloatStatus *st)
{
    return f80_compare_common(a, b, false, st);
}

FloatRelation float80_compare_quiet(Float80 a, Float80 b, FloatStatus *st)
{
    return f80_compare_common(a, b, true, st);
}

/* ---- FPREM, FPREM1 ---- */

/*
 * When the exponents differ by 64 or more, one step reduces the dividend's
 * exponent by 32..63 (SDM: "implementation dependent").
 */
enum { F80_REM_MAX_EXP_DIFF = 64 };

static Float80 f80_rem_common(Float80 a, Float80 b, bool ieee, uint16_t *cc,
                              FloatStatus *st)
{
    FloatClass ca = float80_classify(a), cb = float80_classify(b);
    F80Parts pa, pb;
    int32_t diff, n;
    UInt128 num;
    uint64_t q, r;
    bool sign = f80_sign(a);

    st->rounded_up = false;
    *cc = 0;
    if (ca == FLOAT_CLASS_UNSUPPORTED || cb == FLOAT_CLASS_UNSUPPORTED) {
        return f80_invalid(st);
    }
    if (f80_class_is_nan(ca) || f80_class_is_nan(cb)) {
        return f80_propagate_nan2(a, b, st);
    }
    if (ca == FLOAT_CLASS_INFINITY || cb == FLOAT_CLASS_ZERO) {
        return f80_invalid(st);
    }
    if (ca == FLOAT_CLASS_DENORMAL || cb == FLOAT_CLASS_DENORMAL) {
        st->flags |= FLOAT_FLAG_DENORMAL;
    }
    if (ca == FLOAT_CLASS_ZERO) {
        return a;
    }
    pa = f80_unpack(a);
    f80_normalize(&pa);
    if (cb == FLOAT_CLASS_INFINITY) {
        /* a itself, but a pseudo-denormal comes back in normal form */
        return f80_round_pack(sign, pa.exp + 64, pa.sig, 64, st);
    }
    pb = f80_unpack(b);
    f80_normalize(&pb);
    diff = pa.exp - pb.exp;
    if (diff < 0) {
        if (ieee && diff == -1 && pa.sig > pb.sig) {
            /* |a| > |b| / 2: the nearest quotient is 1. */
            UInt128 rr = ((UInt128)pb.sig << 1) - pa.sig;
            *cc = FLOAT_CC_C1;
            return f80_round_pack(!sign, pa.exp + 64, rr, 64, st);
        }
        return f80_round_pack(sign, pa.exp + 64, pa.sig, 64, st);
    }
    if (diff >= F80_REM_MAX_EXP_DIFF) {
        n = 32 + ((diff - F80_REM_MAX_EXP_DIFF) & 31);
        num = (UInt128)pa.sig << n;
        q = (uint64_t)(num / pb.sig);
        r = (uint64_t)(num % pb.sig);
        *cc = FLOAT_CC_C2;
        if (r == 0) {
            return f80_zero(sign);
        }
        return f80_round_pack(sign, pb.exp + 64 + diff - n, r, 64, st);
    }
    num = (UInt128)pa.sig << diff;
    q = (uint64_t)(num / pb.sig);
    r = (uint64_t)(num % pb.sig);
    if (ieee && (r > pb.sig - r || (r == pb.sig - r && (q & 1)))) {
        q++;
        r = pb.sig - r;
        sign = !sign;
    }
    *cc = ((q & 4) ? FLOAT_CC_C0 : 0) | ((q & 2) ? FLOAT_CC_C3 : 0) |
          ((q & 1) ? FLOAT_CC_C1 : 0);
    if (r == 0) {
        return f80_zero(f80_sign(a));
    }
    return f80_round_pack(sign, pb.exp + 64, r, 64, st);
}

Float80 float80_rem(Float80 a, Float80 b, uint16_t *cc, FloatStatus *st)
{
    return f80_rem_common(a, b, false, cc, st);
}

Float80 float80_rem_ieee(Float80 a, Float80 b, uint16_t *cc, FloatStatus *st)
{
    return f80_rem_common(a, b, true, cc, st);
}

/* ---- FRNDINT, FSCALE, FXTRACT ---- */

Float80 float80_round_to_int(Float80 a, FloatStatus *st)
{
    FloatClass ca = float80_classify(a);
    F80Parts p;
    int frac_bits, lz;
    UInt128 sig, mask;
    uint64_t int_part;
    bool inc;

    st->rounded_up = false;
    if (ca == FLOAT_CLASS_UNSUPPORTED) {
        return f80_invalid(st);
    }
    if (f80_class_is_nan(ca)) {
        return f80_propagate_nan1(a, st);
    }
    if (ca == FLOAT_CLASS_ZERO || ca == FLOAT_CLASS_INFINITY) {
        return a;
    }
    if (ca == FLOAT_CLASS_DENORMAL) {
        st->flags |= FLOAT_FLAG_DENORMAL;
    }
    p = f80_unpack(a);
    frac_bits = F80_BIAS + 63 - p.exp;
    if (frac_bits <= 0) {
        return a;
    }
    /* Keep the fraction in the low 64 bits of a 128-bit word (jammed). */
    sig = shift_right_jam128((UInt128)p.sig << 64, frac_bits);
    mask = ((UInt128)1 << 64) - 1;
    if ((sig & mask) == 0) {
        return a;
    }
    st->flags |= FLOAT_FLAG_INEXACT;
    inc = round_increments(sig, 64, p.sign, st->rounding);
    st->rounded_up = inc;
    /* Only values below 2^63 have fraction bits, so this fits 64 bits. */
    int_part = (uint64_t)(sig >> 64) + inc;
    if (int_part == 0) {
        return f80_zero(p.sign);
    }
    lz = clz64(int_part);
    return f80_pack(p.sign, F80_BIAS + 63 - lz, int_part << lz);
}

Float80 float80_scale(Float80 a, Float80 b, FloatStatus *st)
{
    FloatClass ca = float80_classify(a), cb = float80_classify(b);
    F80Parts pa, pb;
    int32_t n;
    int shift;

    st->rounded_up = false;
    if (ca == FLOAT_CLASS_UNSUPPORTED || cb == FLOAT_CLASS_UNSUPPORTED) {
        return f80_invalid(st);
    }
    if (f80_class_is_nan(ca) || f80_class_is_nan(cb)) {
        return f80_propagate_nan2(a, b, st);
    }
    if (ca == FLOAT_CLASS_DENORMAL || cb == FLOAT_CLASS_DENORMAL) {
        st->flags |= FLOAT_FLAG_DENORMAL;
    }
    if (cb == FLOAT_CLASS_INFINITY) {
        if (f80_sign(b)) {
            if (ca == FLOAT_CLASS_INFINITY) {
                return f80_invalid(st);
            }
            return f80_zero(f80_sign(a));
        }
        if (ca == FLOAT_CLASS_ZERO) {
            return f80_invalid(st);
        }
        return f80_infinity(f80_sign(a));
    }
    if (ca == FLOAT_CLASS_ZERO || ca == FLOAT_CLASS_INFINITY) {
        return a;
    }
    /* trunc(b), clamped: beyond the clamp every result over- or underflows. */
    pb = f80_unpack(b);
    shift = F80_BIAS + 63 - pb.exp;
    if (cb == FLOAT_CLASS_ZERO || shift >= 64) {
        n = 0;
    } else if (shift <= 63 - 20) {
        n = F80_EXP_CLAMP;
    } else {
        n = (int32_t)(pb.sig >> shift);
        if (n > F80_EXP_CLAMP) {
            n = F80_EXP_CLAMP;
        }
    }
    if (pb.sign) {
        n = -n;
    }
    pa = f80_unpack(a);
    return f80_round_pack(pa.sign, pa.exp + n + 64, pa.sig, 64, st);
}

Float80 float80_extract(Float80 a, Float80 *exponent, FloatStatus *st)
{
    FloatClass ca = float80_classify(a);
    F80Parts p;

    st->rounded_up = false;
    switch (ca) {
    case FLOAT_CLASS_UNSUPPORTED:
        *exponent = f80_invalid(st);
        return *exponent;
    case FLOAT_CLASS_QNAN:
    case FLOAT_CLASS_SNAN:
        *exponent = f80_propagate_nan1(a, st);
        return *exponent;
    case FLOAT_CLASS_ZERO:
        st->flags |= FLOAT_FLAG_DIVIDE_BY_ZERO;
        *exponent = f80_infinity(true);
        return a;
    case FLOAT_CLASS_INFINITY:
        *exponent = f80_infinity(false);
        return a;
    case FLOAT_CLASS_DENORMAL:
        st->flags |= FLOAT_FLAG_DENORMAL;
        break;
    default:
        break;
    }
    p = f80_unpack(a);
    f80_normalize(&p);
    *exponent = float80_from_int64(p.exp - F80_BIAS);
    return f80_pack(p.sign, F80_BIAS, p.sig);
}

/* ---- constants ---- */

Float80 float80_load_constant(FloatConstant c, FloatStatus *st)
{
    /* 128-bit significands (integer bit first) and exponents of the
     * constants; the x87 rounds them per RC but reports neither PE nor C1. */
    static const struct {
        uint64_t hi, lo;
        int exp;
    } table[] = {
        [FLOAT_CONST_ONE] = { F80_INT_BIT, 0, F80_BIAS },
        [FLOAT_CONST_L2T] = { 0xd49a784bcd1b8afeull, 0x492bf6ff4dafdb4cull, F80_BIAS + 1 },
        [FLOAT_CONST_L2E] = { 0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e88ull, F80_BIAS },
        [FLOAT_CONST_PI] = { 0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, F80_BIAS + 1 },
        [FLOAT_CONST_LG2] = { 0x9a209a84fbcff798ull, 0x8f8959ac0b7c9178ull, F80_BIAS - 2 },
        [FLOAT_CONST_LN2] = { 0xb17217f7d1cf79abull, 0xc9e3b39803f2f6afull, F80_BIAS - 1 },
        [FLOAT_CONST_ZERO] = { 0, 0, 0 },
    };
    FloatStatus scratch = *st;

    st->rounded_up = false;
    if ((unsigned)c >= sizeof(table) / sizeof(table[0]) || table[c].hi == 0) {
        return f80_zero(false);
    }
    return f80_round_pack(false, table[c].exp, ((UInt128)table[c].hi << 64) | table[c].lo,
                          64, &scratch);
}
