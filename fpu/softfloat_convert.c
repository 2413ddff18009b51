/*
 * x87 format conversions in software: FILD/FIST/FISTP/FISTTP (16/32/64-bit
 * integers), FLD/FST m32fp and m64fp, FBLD/FBSTP (18-digit packed BCD).
 * Reference: Intel SDM vol. 1 sections 4.2, 4.8.3, 8.2 and vol. 2 pages of
 * those instructions. Unmasked-exception behaviour is the caller's.
 */
#include <string.h>

#include "fpu/softfloat_internal.h"

/* ---- integers ---- */

Float80 float80_from_int64(int64_t v)
{
    bool sign = v < 0;
    uint64_t mag = sign ? 0 - (uint64_t)v : (uint64_t)v;
    int lz;

    if (mag == 0) {
        return f80_zero(false);
    }
    lz = clz64(mag);
    return f80_pack(sign, F80_BIAS + 63 - lz, mag << lz);
}

/*
 * Round a to an integer magnitude per `rounding`; false if a is not finite.
 * *inexact and *inc report what the rounding did.
 */
static bool f80_round_to_magnitude(Float80 a, int rounding, uint64_t *mag,
                                   bool *too_big, bool *inexact, bool *inc)
{
    FloatClass c = float80_classify(a);
    F80Parts p;
    int frac_bits;
    UInt128 sig;

    *too_big = false;
    *inexact = false;
    *inc = false;
    *mag = 0;
    if (c == FLOAT_CLASS_UNSUPPORTED || f80_class_is_nan(c) ||
        c == FLOAT_CLASS_INFINITY) {
        return false;
    }
    if (c == FLOAT_CLASS_ZERO) {
        return true;
    }
    p = f80_unpack(a);
    frac_bits = F80_BIAS + 63 - p.exp;
    if (frac_bits < 0) {
        *too_big = true;
        return true;
    }
    sig = shift_right_jam128((UInt128)p.sig << 64, frac_bits);
    if ((uint64_t)sig != 0) {
        UInt128 half = (UInt128)1 << 63;
        uint64_t rest = (uint64_t)sig;

        *inexact = true;
        switch (rounding) {
        case FLOAT_ROUND_NEAREST_EVEN:
            *inc = rest > half || (rest == half && ((sig >> 64) & 1));
            break;
        case FLOAT_ROUND_DOWN:
            *inc = p.sign;
            break;
        case FLOAT_ROUND_UP:
            *inc = !p.sign;
            break;
        default:
            break;
        }
    }
    sig = (sig >> 64) + *inc;
    if (sig >> 64) {
        *too_big = true;
    }
    *mag = (uint64_t)sig;
    return true;
}

static int64_t f80_to_int(Float80 a, int bits, bool truncate, FloatStatus *st)
{
    int64_t indefinite = (int64_t)(~0ull << (bits - 1));
    uint64_t mag, limit = 1ull << (bits - 1);
    bool too_big, inexact, inc, sign = f80_sign(a);

    st->rounded_up = false;
    if (!f80_round_to_magnitude(a, truncate ? FLOAT_ROUND_TO_ZERO : st->rounding,
                                &mag, &too_big, &inexact, &inc) ||
        too_big || mag > limit || (mag == limit && !sign)) {
        st->flags |= FLOAT_FLAG_INVALID;
        return indefinite;
    }
    if (inexact) {
        st->flags |= FLOAT_FLAG_INEXACT;
        st->rounded_up = inc;
    }
    return sign ? (int64_t)(0 - mag) : (int64_t)mag;
}

int16_t float80_to_int16(Float80 a, FloatStatus *st)
{
    return (int16_t)f80_to_int(a, 16, false, st);
}

int32_t float80_to_int32(Float80 a, FloatStatus *st)
{
    return (int32_t)f80_to_int(a, 32, false, st);
}

int64_t float80_to_int64(Float80 a, FloatStatus *st)
{
    return f80_to_int(a, 64, false, st);
}

int16_t float80_to_int16_truncate(Float80 a, FloatStatus *st)
{
    return (int16_t)f80_to_int(a, 16, true, st);
}

int32_t float80_to_int32_truncate(Float80 a, FloatStatus *st)
{
    return (int32_t)f80_to_int(a, 32, true, st);
}

int64_t float80_to_int64_truncate(Float80 a, FloatStatus *st)
{
    return f80_to_int(a, 64, true, st);
}

/* ---- float32 / float64 ---- */

typedef struct IeeeFormat {
    int frac_bits;  /* stored fraction bits: 23, 52 */
    int exp_bits;   /* 8, 11 */
} IeeeFormat;

static const IeeeFormat FORMAT_FLOAT32 = { 23, 8 };
static const IeeeFormat FORMAT_FLOAT64 = { 52, 11 };

static Float80 f80_from_ieee(uint64_t f, IeeeFormat fmt, FloatStatus *st)
{
    int32_t exp_max = (1 << fmt.exp_bits) - 1, bias = exp_max >> 1;
    bool sign = (f >> (fmt.frac_bits + fmt.exp_bits)) & 1;
    int32_t exp = (int32_t)(f >> fmt.frac_bits) & exp_max;
    uint64_t frac = f & ((1ull << fmt.frac_bits) - 1);
    int lz;

    st->rounded_up = false;
    if (exp == exp_max) {
        if (frac == 0) {
            return f80_infinity(sign);
        }
        if (!(frac >> (fmt.frac_bits - 1))) {
            st->flags |= FLOAT_FLAG_INVALID;
        }
        return f80_pack(sign, F80_EXP_MAX,
                        F80_INT_BIT | F80_QUIET_BIT | (frac << (63 - fmt.frac_bits)));
    }
    if (exp == 0) {
        if (frac == 0) {
            return f80_zero(sign);
        }
        st->flags |= FLOAT_FLAG_DENORMAL;
        lz = clz64(frac);
        return f80_pack(sign, F80_BIAS - bias + 1 - (lz - (63 - fmt.frac_bits)),
                        frac << lz);
    }
    return f80_pack(sign, exp - bias + F80_BIAS,
                    F80_INT_BIT | (frac << (63 - fmt.frac_bits)));
}

static uint64_t f80_to_ieee(Float80 a, IeeeFormat fmt, FloatStatus *st)
{
    int32_t exp_max = (1 << fmt.exp_bits) - 1, bias = exp_max >> 1;
    FloatClass c = float80_classify(a);
    bool sign = f80_sign(a);
    uint64_t sign_bit = (uint64_t)sign << (fmt.frac_bits + fmt.exp_bits);
    uint64_t inf = (uint64_t)exp_max << fmt.frac_bits;
    uint64_t quiet = 1ull << (fmt.frac_bits - 1);
    F80Parts p;
    int32_t exp;
    UInt128 sig;

    st->rounded_up = false;
    switch (c) {
    case FLOAT_CLASS_UNSUPPORTED:
        st->flags |= FLOAT_FLAG_INVALID;
        return (1ull << (fmt.frac_bits + fmt.exp_bits)) | inf | quiet;
    case FLOAT_CLASS_SNAN:
        st->flags |= FLOAT_FLAG_INVALID;
        /* fall through */
    case FLOAT_CLASS_QNAN:
        return sign_bit | inf | quiet |
               ((a.mant << 1) >> (64 - fmt.frac_bits));
    case FLOAT_CLASS_INFINITY:
        return sign_bit | inf;
    case FLOAT_CLASS_ZERO:
        return sign_bit;
    default:
        break;
    }
    p = f80_unpack(a);
    exp = p.exp - F80_BIAS + bias + 64;
    sig = p.sig;
    if (float_round_core(sign, &exp, &sig, fmt.frac_bits + 1, exp_max, st)) {
        if (st->rounded_up) {
            return sign_bit | inf;
        }
        return sign_bit | (inf - 1);
    }
    return sign_bit | ((uint64_t)exp << fmt.frac_bits) |
           ((uint64_t)(sig >> (127 - fmt.frac_bits)) & ((1ull << fmt.frac_bits) - 1));
}

Float80 float80_from_float32(uint32_t f, FloatStatus *st)
{
    return f80_from_ieee(f, FORMAT_FLOAT32, st);
}

Float80 float80_from_float64(uint64_t f, FloatStatus *st)
{
    return f80_from_ieee(f, FORMAT_FLOAT64, st);
}

uint32_t float80_to_float32(Float80 a, FloatStatus *st)
{
    return (uint32_t)f80_to_ieee(a, FORMAT_FLOAT32, st);
}

uint64_t float80_to_float64(Float80 a, FloatStatus *st)
{
    return f80_to_ieee(a, FORMAT_FLOAT64, st);
}

/* ---- packed BCD ---- */

enum { BCD_DIGITS = 18 };

Float80 float80_from_bcd(const uint8_t bcd[10])
{
    uint64_t v = 0;
    Float80 r;

    /* Nibbles above 9 are "undefined" in the SDM; weighting them like
     * digits is what the arithmetic does with them. */
    for (int i = BCD_DIGITS / 2 - 1; i >= 0; i--) {
        v = v * 10 + (bcd[i] >> 4);
        v = v * 10 + (bcd[i] & 0xF);
    }
    r = float80_from_int64((int64_t)v);
    if (bcd[9] & 0x80) {
        r.sign_exp |= 0x8000;
    }
    return r;
}

void float80_to_bcd(Float80 a, uint8_t bcd[10], FloatStatus *st)
{
    static const uint64_t limit = 999999999999999999ull;
    uint64_t mag;
    bool too_big, inexact, inc;

    st->rounded_up = false;
    if (!f80_round_to_magnitude(a, st->rounding, &mag, &too_big, &inexact, &inc) ||
        too_big || mag > limit) {
        /* The packed BCD indefinite. */
        st->flags |= FLOAT_FLAG_INVALID;
        memset(bcd, 0, 10);
        bcd[7] = 0xC0;
        bcd[8] = 0xFF;
        bcd[9] = 0xFF;
        return;
    }
    if (inexact) {
        st->flags |= FLOAT_FLAG_INEXACT;
        st->rounded_up = inc;
    }
    for (int i = 0; i < BCD_DIGITS / 2; i++) {
        bcd[i] = (uint8_t)(mag % 10);
        mag /= 10;
        bcd[i] |= (uint8_t)((mag % 10) << 4);
        mag /= 10;
    }
    bcd[9] = f80_sign(a) ? 0x80 : 0;
}
