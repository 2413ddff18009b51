/*
 * Shared internals of the x87 software float, for the fpu/ sources only:
 * the unpacked form, the one rounding routine every result goes through,
 * the NaN rules.
 * Reference: Intel SDM vol. 1 sections 4.7-4.9 and 8.5.
 */
#ifndef MIMIC_FPU_SOFTFLOAT_INTERNAL_H
#define MIMIC_FPU_SOFTFLOAT_INTERNAL_H

#include "fpu/softfloat.h"

typedef unsigned __int128 UInt128;

enum {
    F80_BIAS = 16383,
    F80_EXP_MAX = 0x7FFF,       /* all-ones exponent field: infinities, NaNs */
    /* Exponents this far outside the format are clamped: any result is then
     * already an overflow or rounds to zero, and int32 arithmetic is safe. */
    F80_EXP_CLAMP = 0x20000,
};

#define F80_INT_BIT 0x8000000000000000ull
#define F80_QUIET_BIT 0x4000000000000000ull

static inline int f80_exp(Float80 a)
{
    return a.sign_exp & 0x7FFF;
}

static inline bool f80_sign(Float80 a)
{
    return a.sign_exp >> 15;
}

static inline Float80 f80_pack(bool sign, int exp, uint64_t mant)
{
    return float80_make((uint16_t)((sign ? 0x8000 : 0) | exp), mant);
}

static inline Float80 f80_infinity(bool sign)
{
    return f80_pack(sign, F80_EXP_MAX, F80_INT_BIT);
}

static inline Float80 f80_zero(bool sign)
{
    return f80_pack(sign, 0, 0);
}

static inline int clz64(uint64_t x)
{
    return x ? __builtin_clzll(x) : 64;
}

static inline int clz128(UInt128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    return hi ? clz64(hi) : 64 + clz64((uint64_t)x);
}

/* x >> n, with every bit shifted out ORed into bit 0 ("sticky"). */
static inline UInt128 shift_right_jam128(UInt128 x, int64_t n)
{
    if (n <= 0) {
        return x;
    }
    if (n >= 128) {
        return x != 0;
    }
    return (x >> n) | ((x << (128 - n)) != 0);
}

/*
 * A finite operand as value = sig * 2^(exp - F80_BIAS - 63). Denormals and
 * pseudo-denormals use exp 1 (their scale); sig is not normalized.
 */
typedef struct F80Parts {
    bool sign;
    int32_t exp;
    uint64_t sig;
} F80Parts;

static inline F80Parts f80_unpack(Float80 a)
{
    F80Parts p = { f80_sign(a), f80_exp(a), a.mant };
    if (p.exp == 0) {
        p.exp = 1;
    }
    return p;
}

/* Shift sig up until its integer bit is set (sig != 0). */
static inline void f80_normalize(F80Parts *p)
{
    int lz = clz64(p->sig);
    p->sig <<= lz;
    p->exp -= lz;
}

/*
 * Round sign * sig * 2^(exp - F80_BIAS - 127) (sig != 0, not necessarily
 * normalized; sticky bits ORed into bit 0) to `precision` significand bits
 * with the x87's exponent range and st->rounding; raise PE/UE/OE and set
 * st->rounded_up.
 */
Float80 f80_round_pack(bool sign, int32_t exp, UInt128 sig, int precision,
                       FloatStatus *st);

/*
 * The rounding step behind f80_round_pack, for any binary format whose
 * exponent field tops out at exp_max (255 for float32, 0x7FFF here): on
 * return *sig holds the result's significand left-aligned (bit 127 is the
 * integer bit; clear for a denormal) and *exp its biased exponent field.
 * Returns true on overflow; st->rounded_up then says infinity rather than
 * the largest finite value.
 */
bool float_round_core(bool sign, int32_t *exp, UInt128 *sig, int precision,
                      int32_t exp_max, FloatStatus *st);
bool float_overflow_to_infinity(bool sign, int rounding);

/* One- and two-operand NaN results (SDM vol. 1 table 4-7); IE for SNaNs. */
Float80 f80_propagate_nan1(Float80 a, FloatStatus *st);
Float80 f80_propagate_nan2(Float80 a, Float80 b, FloatStatus *st);

/* Invalid operation: IE and the real indefinite. */
static inline Float80 f80_invalid(FloatStatus *st)
{
    st->flags |= FLOAT_FLAG_INVALID;
    return float80_default_nan();
}

static inline bool f80_class_is_nan(FloatClass c)
{
    return c == FLOAT_CLASS_QNAN || c == FLOAT_CLASS_SNAN;
}

#endif
