/*
 * Software x87 floating point: 80-bit extended precision arithmetic that
 * matches the x87 unit bit for bit (results, exception flags, C1).
 * Reference: Intel SDM vol. 1 ch. 4 and 8, vol. 2 instruction pages.
 * Leaves out: unmasked-exception results (the bias-adjusted OE/UE result and
 * the "no store" of pre-computation faults are the caller's business).
 */
#ifndef MIMIC_FPU_SOFTFLOAT_H
#define MIMIC_FPU_SOFTFLOAT_H

#include <stdbool.h>
#include <stdint.h>

/* The x87 register format: explicit integer bit (bit 63 of mant). */
typedef struct Float80 {
    uint64_t mant;
    uint16_t sign_exp;
} Float80;

/* Rounding control, in the x87 control word RC encoding. */
enum {
    FLOAT_ROUND_NEAREST_EVEN = 0,
    FLOAT_ROUND_DOWN = 1,
    FLOAT_ROUND_UP = 2,
    FLOAT_ROUND_TO_ZERO = 3,
};

/* Exception flags, at their x87 status word bit positions. */
enum {
    FLOAT_FLAG_INVALID = 0x01,
    FLOAT_FLAG_DENORMAL = 0x02,
    FLOAT_FLAG_DIVIDE_BY_ZERO = 0x04,
    FLOAT_FLAG_OVERFLOW = 0x08,
    FLOAT_FLAG_UNDERFLOW = 0x10,
    FLOAT_FLAG_INEXACT = 0x20,
};

/* Condition code bits, at their x87 status word positions. */
enum {
    FLOAT_CC_C0 = 0x0100,
    FLOAT_CC_C1 = 0x0200,
    FLOAT_CC_C2 = 0x0400,
    FLOAT_CC_C3 = 0x4000,
};

typedef struct FloatStatus {
    uint8_t rounding;   /* FLOAT_ROUND_* */
    uint8_t precision;  /* x87 PC: 24 or 53 significand bits; anything else
                         * means 64 (as PC=01, "reserved", acts on Intel) */
    uint8_t flags;      /* FLOAT_FLAG_*, sticky: operations only set bits */
    bool denormals_are_zero, flush_to_zero; /* SSE MXCSR bits; the x87 ignores them */
    bool rounded_up;    /* x87 C1: the last rounding increased the magnitude */
} FloatStatus;

/* Set x87 defaults: nearest-even, 64-bit precision, no flags. */
void float_status_init(FloatStatus *st);

/* Operand classes, as FXAM sees them (pseudo-denormals count as denormal). */
typedef enum FloatClass {
    FLOAT_CLASS_ZERO,
    FLOAT_CLASS_NORMAL,
    FLOAT_CLASS_DENORMAL,
    FLOAT_CLASS_INFINITY,
    FLOAT_CLASS_QNAN,
    FLOAT_CLASS_SNAN,
    FLOAT_CLASS_UNSUPPORTED, /* pseudo-NaN, pseudo-infinity, unnormal */
} FloatClass;

typedef enum FloatRelation {
    FLOAT_LESS,
    FLOAT_EQUAL,
    FLOAT_GREATER,
    FLOAT_UNORDERED,
} FloatRelation;

/* FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: rounded per RC from
 * the exact value, reporting neither PE nor C1. */
typedef enum FloatConstant {
    FLOAT_CONST_ONE,
    FLOAT_CONST_L2T,   /* log2(10) */
    FLOAT_CONST_L2E,   /* log2(e) */
    FLOAT_CONST_PI,
    FLOAT_CONST_LG2,   /* log10(2) */
    FLOAT_CONST_LN2,   /* ln(2) */
    FLOAT_CONST_ZERO,
} FloatConstant;

static inline Float80 float80_make(uint16_t sign_exp, uint64_t mant)
{
    Float80 r = { .mant = mant, .sign_exp = sign_exp };
    return r;
}

/* The "real indefinite" QNaN produced by masked invalid operations. */
static inline Float80 float80_default_nan(void)
{
    return float80_make(0xFFFF, 0xC000000000000000ull);
}

FloatClass float80_classify(Float80 a);
/* FXAM: C3, C2, C0 for the class (empty if `empty`), C1 = sign. */
uint16_t float80_examine(Float80 a, bool empty);
Float80 float80_load_constant(FloatConstant c, FloatStatus *st);

/* Arithmetic. These honour both st->rounding and st->precision. */
Float80 float80_add(Float80 a, Float80 b, FloatStatus *st);
Float80 float80_sub(Float80 a, Float80 b, FloatStatus *st);   /* a - b */
Float80 float80_mul(Float80 a, Float80 b, FloatStatus *st);
Float80 float80_div(Float80 a, Float80 b, FloatStatus *st);   /* a / b */
Float80 float80_sqrt(Float80 a, FloatStatus *st);

/*
 * The rest round to 64 bits whatever st->precision says, as the x87 does.
 * FPREM (truncating quotient) and FPREM1 (IEEE, nearest quotient) of a by b;
 * *cc gets C2 = partial (call again), or else C0 C3 C1 = quotient bits 2 1 0.
 */
Float80 float80_rem(Float80 a, Float80 b, uint16_t *cc, FloatStatus *st);
Float80 float80_rem_ieee(Float80 a, Float80 b, uint16_t *cc, FloatStatus *st);
Float80 float80_round_to_int(Float80 a, FloatStatus *st);      /* FRNDINT */
Float80 float80_scale(Float80 a, Float80 b, FloatStatus *st);  /* FSCALE: a * 2^trunc(b) */
/* FXTRACT: returns the significand (ST0), *exponent gets the exponent (ST1). */
Float80 float80_extract(Float80 a, Float80 *exponent, FloatStatus *st);

/* FCOM/FCOMI (IE on any NaN) and FUCOM/FUCOMI (IE on SNaN only). */
FloatRelation float80_compare(Float80 a, Float80 b, FloatStatus *st);
FloatRelation float80_compare_quiet(Float80 a, Float80 b, FloatStatus *st);

/* FILD m16/m32/m64 (exact) and FIST/FISTP (per RC) / FISTTP (truncating);
 * out of range or not finite: IE and the integer indefinite (0x8000...). */
Float80 float80_from_int64(int64_t v);
int16_t float80_to_int16(Float80 a, FloatStatus *st);
int32_t float80_to_int32(Float80 a, FloatStatus *st);
int64_t float80_to_int64(Float80 a, FloatStatus *st);
int16_t float80_to_int16_truncate(Float80 a, FloatStatus *st);
int32_t float80_to_int32_truncate(Float80 a, FloatStatus *st);
int64_t float80_to_int64_truncate(Float80 a, FloatStatus *st);

/* FLD m32/m64 (exact) and FST m32/m64 (rounded to the format, per RC). */
Float80 float80_from_float32(uint32_t f, FloatStatus *st);
Float80 float80_from_float64(uint64_t f, FloatStatus *st);
uint32_t float80_to_float32(Float80 a, FloatStatus *st);
uint64_t float80_to_float64(Float80 a, FloatStatus *st);

/* FBLD / FBSTP: 18-digit packed BCD, byte 9 bit 7 is the sign; FBSTP of a
 * NaN, infinity or |a| >= 10^18 stores the BCD indefinite with IE. */
Float80 float80_from_bcd(const uint8_t bcd[10]);
void float80_to_bcd(Float80 a, uint8_t bcd[10], FloatStatus *st);

/*
 * Transcendentals (fpu/softfloat_transcendental.c): within 1 ulp of a real
 * x87 and mostly bit-exact (its microcode is not published). The
 * trigonometric ones reduce by the x87's 66-bit pi; for |a| >= 2^63 they
 * set *out_of_range (the caller sets C2, pushes nothing) and return a.
 * FSINCOS: ST0 = cos, ST1 = sin, C1 from the cosine. FPTAN: the caller
 * pushes 1.0, or the result itself when that is a NaN (as the x87 does).
 * F2XM1 is defined for |a| <= 1, FYL2XP1 for |x| < 1 - sqrt(2)/2.
 */
Float80 float80_sin(Float80 a, bool *out_of_range, FloatStatus *st);
Float80 float80_cos(Float80 a, bool *out_of_range, FloatStatus *st);
void float80_sincos(Float80 a, Float80 *sin, Float80 *cos, bool *out_of_range,
                    FloatStatus *st);
Float80 float80_tan(Float80 a, bool *out_of_range, FloatStatus *st);
Float80 float80_atan2(Float80 y, Float80 x, FloatStatus *st);     /* FPATAN: atan(y / x) */
Float80 float80_2xm1(Float80 a, FloatStatus *st);                 /* F2XM1: 2^a - 1 */
Float80 float80_yl2x(Float80 y, Float80 x, FloatStatus *st);      /* FYL2X: y * log2(x) */
Float80 float80_yl2xp1(Float80 y, Float80 x, FloatStatus *st);    /* FYL2XP1: y * log2(x + 1) */

#endif
