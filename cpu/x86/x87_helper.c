/*
 * The x87 FPU behind the translator: the register stack (TOP, tags), stack
 * faults, the exception flags with their masks and the ES/B summary, C0-C3,
 * every D8-DF instruction on top of fpu/softfloat (the environment images
 * are in x87_env.c).
 * Reference: Intel SDM vol. 1 ch. 8 and 4.9, vol. 2 instruction pages; the
 * host x87 decided what the manual leaves open (tests/unit/cpu/x86/x87_*).
 * Leaves out: FERR#/IRQ13 (CR0.NE=0 logs), exact bias-adjusted results of
 * unmasked UE/OE in FPREM and the transcendentals (renormalised instead).
 */
#include <string.h>

#include "cpu/x86/cpu.h"
#include "cpu/x86/mem.h"
#include "mimic/log.h"

#include "tcg/helper.h"

#define DEF_HELPER TCG_HELPER_DECLARE
#include "cpu/x86/helper_x87.def"
#undef DEF_HELPER
#define DEF_HELPER TCG_HELPER_DEFINE
#include "cpu/x86/helper_x87.def"
#undef DEF_HELPER

/* Status word (SDM vol. 1 8.1.3); TOP lives in cpu->fpstt, not in fpus. */
enum {
    FSW_IE = 0x0001, FSW_DE = 0x0002, FSW_ZE = 0x0004, FSW_OE = 0x0008,
    FSW_UE = 0x0010, FSW_PE = 0x0020, FSW_SF = 0x0040, FSW_ES = 0x0080,
    FSW_C0 = 0x0100, FSW_C1 = 0x0200, FSW_C2 = 0x0400, FSW_TOP_SHIFT = 11,
    FSW_C3 = 0x4000, FSW_B = 0x8000,
    FSW_EXC = 0x003f,                    /* the six exception flags */
    FSW_CC = FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3,
    FSW_PRE = FSW_IE | FSW_DE | FSW_ZE,  /* detected before computing: unmasked, no result */
};

/* Control word (8.1.5): bit 6 reads as 1, bits 13-15 as 0. */
enum {
    FCW_RESERVED_ONE = 0x0040, FCW_WRITABLE = 0x1f3f, FCW_INIT = 0x037f,
};

/* Unmasked OE/UE deliver the result with the exponent biased by this
 * (SDM vol. 1 4.9.1.4-5) so that a handler can still use it. */
enum { X87_BIAS_ADJUST = 24576 };

static const Float80 X87_ONE = { .mant = 0x8000000000000000ull, .sign_exp = 0x3fff };

/* ---- the register stack ---- */

static inline unsigned x87_phys(const X86CPU *cpu, int i)
{
    return (cpu->fpstt + (unsigned)i) & 7;
}

static inline Float80 x87_get(const X86CPU *cpu, int i)
{
    return cpu->fpregs[x87_phys(cpu, i)];
}

static inline bool x87_empty(const X86CPU *cpu, int i)
{
    return !((cpu->fptag_valid >> x87_phys(cpu, i)) & 1);
}

static inline void x87_set(X86CPU *cpu, int i, Float80 v)
{
    unsigned p = x87_phys(cpu, i);
    cpu->fpregs[p] = v;
    cpu->fptag_valid |= (uint8_t)(1u << p);
}

static inline void x87_pop(X86CPU *cpu)
{
    cpu->fptag_valid &= (uint8_t)~(1u << cpu->fpstt);
    cpu->fpstt = (cpu->fpstt + 1) & 7;
}

static inline void x87_push(X86CPU *cpu, Float80 v)
{
    cpu->fpstt = (cpu->fpstt - 1) & 7;
    x87_set(cpu, 0, v);
}

static inline void x87_pops(X86CPU *cpu, unsigned how)
{
    if (how & (X87_POP | X87_POP2)) {
        x87_pop(cpu);
    }
    if (how & X87_POP2) {
        x87_pop(cpu);
    }
}

/* ---- status word ---- */

/* ES and B summarise the unmasked exception flags: recomputed whenever the
 * flags or the masks change (the host agrees for FLDCW, FLDENV, FRSTOR). */
static void x87_update_summary(X86CPU *cpu)
{
    if (cpu->fpus & ~cpu->fpuc & FSW_EXC) {
        cpu->fpus |= FSW_ES | FSW_B;
    } else {
        cpu->fpus &= (uint16_t)~(FSW_ES | FSW_B);
    }
}

static void x87_raise(X86CPU *cpu, unsigned flags)
{
    cpu->fpus |= (uint16_t)(flags & (FSW_EXC | FSW_SF));
    x87_update_summary(cpu);
}

static inline bool x87_masked(const X86CPU *cpu, unsigned flag)
{
    return (cpu->fpuc & flag) == flag;
}

static inline void x87_set_c1(X86CPU *cpu, bool c1)
{
    cpu->fpus = (uint16_t)((cpu->fpus & ~FSW_C1) | (c1 ? FSW_C1 : 0));
}

static inline void x87_set_cc(X86CPU *cpu, unsigned cc)
{
    cpu->fpus = (uint16_t)((cpu->fpus & ~FSW_CC) | (cc & FSW_CC));
}

static uint16_t x87_status_word(const X86CPU *cpu)
{
    return (uint16_t)((cpu->fpus & ~(7u << FSW_TOP_SHIFT)) | ((cpu->fpstt & 7u) << FSW_TOP_SHIFT));
}

/* ---- stack faults (SDM vol. 1 8.5.1.1) ---- */

/* A source register was empty: IE+SF with C1 = 0. Returns true when IE is
 * masked, i.e. the instruction goes on with the real indefinite. */
static bool x87_underflow(X86CPU *cpu)
{
    x87_set_c1(cpu, false);
    x87_raise(cpu, FSW_IE | FSW_SF);
    return x87_masked(cpu, FSW_IE);
}

/* A push found ST(7) in use: IE+SF with C1 = 1. */
static bool x87_overflow(X86CPU *cpu)
{
    x87_set_c1(cpu, true);
    x87_raise(cpu, FSW_IE | FSW_SF);
    return x87_masked(cpu, FSW_IE);
}

/* ---- arithmetic plumbing ---- */

static FloatStatus x87_float_status(const X86CPU *cpu)
{
    FloatStatus fs;
    static const uint8_t precision[4] = { 24, 64, 53, 64 };  /* PC=01 acts as 64 */

    float_status_init(&fs);
    fs.rounding = (cpu->fpuc >> 10) & 3;
    fs.precision = precision[(cpu->fpuc >> 8) & 3];
    return fs;
}

static inline bool x87_is_nan_or_unsupported(Float80 a)
{
    FloatClass c = float80_classify(a);
    return c == FLOAT_CLASS_QNAN || c == FLOAT_CLASS_SNAN || c == FLOAT_CLASS_UNSUPPORTED;
}

/*
 * The flags of an operation whose result goes to a register. An unmasked
 * pre-computation exception (IE, DE, ZE) leaves destination and TOP alone
 * and clears C1: returns false then. Otherwise the flags are raised and C1
 * tells whether the result was rounded up.
 */
static bool x87_commit(X86CPU *cpu, const FloatStatus *fs)
{
    unsigned f = fs->flags & FSW_EXC;

    if (f & ~cpu->fpuc & FSW_PRE) {
        x87_set_c1(cpu, false);
        x87_raise(cpu, f & FSW_PRE);
        return false;
    }
    x87_set_c1(cpu, fs->rounded_up && (f & FSW_PE));
    x87_raise(cpu, f);
    return true;
}

/* a * 2^n, exact while the result stays in range; a nonzero value scaled
 * to below the denormals keeps a nonzero sticky remnant. */
static Float80 x87_scale_by(Float80 a, int n, int rounding)
{
    FloatStatus t;
    Float80 r;
    FloatClass c = float80_classify(a);

    float_status_init(&t);
    t.rounding = (uint8_t)rounding;
    r = float80_scale(a, float80_from_int64(n), &t);
    if ((c == FLOAT_CLASS_NORMAL || c == FLOAT_CLASS_DENORMAL) &&
        float80_classify(r) == FLOAT_CLASS_ZERO) {
        r = float80_make((uint16_t)(a.sign_exp & 0x8000), 1);
    }
    return r;
}

static Float80 x87_arith(unsigned op, Float80 d, Float80 s, FloatStatus *fs)
{
    switch (op & 7) {
    case X87_OP_ADD:
        return float80_add(d, s, fs);
    case X87_OP_MUL:
        return float80_mul(d, s, fs);
    case X87_OP_SUB:
        return float80_sub(d, s, fs);
    case X87_OP_SUBR:
        return float80_sub(s, d, fs);
    case X87_OP_DIV:
        return float80_div(d, s, fs);
    default:
        return float80_div(s, d, fs);
    }
}

static inline bool x87_is_finite_nonzero(Float80 a)
{
    FloatClass c = float80_classify(a);
    return c == FLOAT_CLASS_NORMAL || c == FLOAT_CLASS_DENORMAL;
}

static inline bool x87_is_finite(Float80 a)
{
    FloatClass c = float80_classify(a);
    return c == FLOAT_CLASS_NORMAL || c == FLOAT_CLASS_DENORMAL || c == FLOAT_CLASS_ZERO;
}

/* Might the masked result r be (the rounding of) a tiny value? */
static inline bool x87_maybe_tiny(Float80 r)
{
    FloatClass c = float80_classify(r);
    return c == FLOAT_CLASS_ZERO || c == FLOAT_CLASS_DENORMAL ||
           ((r.sign_exp & 0x7fff) == 1 && r.mant == 0x8000000000000000ull);
}

/* Replace the masked result by the bias-adjusted one of an unmasked
 * overflow (`overflow`) or underflow, given the same operation computed on
 * operands scaled so that it stays in range (r2, fs2). Beyond even the
 * biased range the host delivers infinity with C1 set (OE) or a signed
 * zero (UE), whatever the rounding control. */
static Float80 x87_take_adjusted(Float80 r, FloatStatus *fs, bool overflow, Float80 r2,
                                 const FloatStatus *fs2)
{
    FloatClass c = float80_classify(r2);
    uint16_t sign = r2.sign_exp & 0x8000;

    if (overflow) {
        if ((fs2->flags & FSW_OE) || c == FLOAT_CLASS_INFINITY) {
            fs->flags = (uint8_t)((fs->flags & ~FSW_UE) | FSW_OE | FSW_PE);
            fs->rounded_up = true;
            return float80_make(sign | 0x7fff, 0x8000000000000000ull);
        }
        if (c != FLOAT_CLASS_NORMAL) {
            return r;
        }
    } else if (c == FLOAT_CLASS_NORMAL) {
        if ((r2.sign_exp & 0x7fff) >= 1 + X87_BIAS_ADJUST) {
            return r;   /* not tiny after all */
        }
    } else if (c == FLOAT_CLASS_DENORMAL || (c == FLOAT_CLASS_ZERO && (fs2->flags & FSW_PE))) {
        fs->flags = (uint8_t)((fs->flags & ~FSW_OE) | FSW_UE | FSW_PE);
        fs->rounded_up = false;
        return float80_make(sign, 0);
    } else {
        return r;
    }
    fs->flags = (uint8_t)((fs->flags & ~(FSW_OE | FSW_UE | FSW_PE)) |
                          (overflow ? FSW_OE : FSW_UE) | (fs2->flags & FSW_PE));
    fs->rounded_up = fs2->rounded_up;
    return r2;
}

/* Unmasked OE/UE for ADD..DIVR: recompute with operands scaled by
 * 2^-+24576 (split between them for MUL/DIV) so the exact rounding of the
 * biased result comes out of the same arithmetic. */
static Float80 x87_arith_unmasked_range(X86CPU *cpu, unsigned op, Float80 d, Float80 s,
                                        Float80 r, FloatStatus *fs)
{
    bool overflow = (fs->flags & FSW_OE) && !x87_masked(cpu, FSW_OE);
    bool underflow = !overflow && !x87_masked(cpu, FSW_UE) && !(fs->flags & FSW_IE) &&
                     x87_is_finite(d) && x87_is_finite(s) && x87_maybe_tiny(r);
    int k = overflow ? -1 : 1, half = X87_BIAS_ADJUST / 2;
    FloatStatus fs2;
    Float80 a2, b2, r2;

    if (!overflow && !underflow) {
        return r;
    }
    switch (op & 7) {
    case X87_OP_ADD:
    case X87_OP_SUB:
    case X87_OP_SUBR:
        a2 = x87_scale_by(d, k * X87_BIAS_ADJUST, fs->rounding);
        b2 = x87_scale_by(s, k * X87_BIAS_ADJUST, fs->rounding);
        break;
    case X87_OP_MUL:
        a2 = x87_scale_by(d, k * half, fs->rounding);
        b2 = x87_scale_by(s, k * half, fs->rounding);
        break;
    case X87_OP_DIV:
        a2 = x87_scale_by(d, k * half, fs->rounding);
        b2 = x87_scale_by(s, -k * half, fs->rounding);
        break;
    default: /* DIVR: s / d */
        a2 = x87_scale_by(d, -k * half, fs->rounding);
        b2 = x87_scale_by(s, k * half, fs->rounding);
        break;
    }
    fs2 = x87_float_status(cpu);
    r2 = x87_arith(op, a2, b2, &fs2);
    return x87_take_adjusted(r, fs, overflow, r2, &fs2);
}

/* Unmasked UE/OE where no exact recomputation is done: renormalise the
 * masked result. Exact for FPREM (its remainder is exact); for the
 * transcendentals the bits already rounded off stay lost. */
static Float80 x87_generic_unmasked_range(X86CPU *cpu, Float80 r, FloatStatus *fs)
{
    if (!x87_masked(cpu, FSW_UE) && float80_classify(r) == FLOAT_CLASS_DENORMAL) {
        int lz = __builtin_clzll(r.mant);
        fs->flags |= FSW_UE;
        return float80_make((uint16_t)((r.sign_exp & 0x8000) | (X87_BIAS_ADJUST + 1 - lz)),
                            r.mant << lz);
    }
    if ((fs->flags & FSW_OE) && !x87_masked(cpu, FSW_OE)) {
        return float80_make((uint16_t)((r.sign_exp & 0x8000) | (0x7ffe - X87_BIAS_ADJUST)),
                            ~0ull);
    }
    return r;
}

/*
 * Conversions of m32fp/m64fp operands of arithmetic and compares: exact,
 * but an SNaN stays signalling (the operation decides between the NaNs
 * and raises IE) and a denormal reports DE only where the operation
 * would for a denormal register (not beside a NaN, IE or ZE).
 */
static Float80 x87_operand_f32(uint32_t v, bool *denormal)
{
    FloatStatus t;
    Float80 r;

    float_status_init(&t);
    r = float80_from_float32(v, &t);
    *denormal = (t.flags & FSW_DE) != 0;
    if (t.flags & FSW_IE) {
        r.mant &= ~0x4000000000000000ull;   /* keep it an SNaN */
    }
    return r;
}

static Float80 x87_operand_f64(uint64_t v, bool *denormal)
{
    FloatStatus t;
    Float80 r;

    float_status_init(&t);
    r = float80_from_float64(v, &t);
    *denormal = (t.flags & FSW_DE) != 0;
    if (t.flags & FSW_IE) {
        r.mant &= ~0x4000000000000000ull;
    }
    return r;
}

static inline void x87_add_operand_denormal(FloatStatus *fs, bool denormal, Float80 a, Float80 b)
{
    if (denormal && !(fs->flags & (FSW_IE | FSW_ZE)) && !x87_is_nan_or_unsupported(a) &&
        !x87_is_nan_or_unsupported(b)) {
        fs->flags |= FSW_DE;
    }
}

/* ---- WAIT ---- */

void helper_x87_fwait(void *env)
{
    X86CPU *cpu = env;
    static bool ferr_logged;

    if (!(cpu->fpus & FSW_ES)) {
        return;
    }
    if (cpu->cr[0] & CR0_NE) {
        x86_raise_exception(cpu, X86_EXCP_MF, 0, TCG_GETPC());
    }
    if (!ferr_logged) {
        ferr_logged = true;
        log_unimp("x87: unmasked exception with CR0.NE=0 (FERR#/IRQ13) ignored\n");
    }
}

/* ---- loads ---- */

/* Room for a push? Handles the overflow (masked: push the indefinite). */
static bool x87_push_check(X86CPU *cpu)
{
    if (x87_empty(cpu, 7)) {
        return true;
    }
    if (x87_overflow(cpu)) {
        x87_push(cpu, float80_default_nan());
    }
    return false;
}

/* FLD m32fp/m64fp: an unmasked IE (SNaN) stops the load; an unmasked DE
 * does not (the host loads the denormal and flags it). */
static void x87_load_converted(X86CPU *cpu, Float80 v, const FloatStatus *fs)
{
    x87_set_c1(cpu, false);
    if (fs->flags & ~cpu->fpuc & FSW_IE) {
        x87_raise(cpu, FSW_IE);
        return;
    }
    x87_raise(cpu, fs->flags);
    x87_push(cpu, v);
}

void helper_x87_fld_f32(void *env, uint32_t v)
{
    X86CPU *cpu = env;
    FloatStatus fs = x87_float_status(cpu);
    Float80 r;

    if (!x87_push_check(cpu)) {
        return;
    }
    r = float80_from_float32(v, &fs);
    x87_load_converted(cpu, r, &fs);
}

void helper_x87_fld_f64(void *env, uint64_t v)
{
    X86CPU *cpu = env;
    FloatStatus fs = x87_float_status(cpu);
    Float80 r;

    if (!x87_push_check(cpu)) {
        return;
    }
    r = float80_from_float64(v, &fs);
    x87_load_converted(cpu, r, &fs);
}

void helper_x87_fld_f80(void *env, uint64_t mant, uint32_t sign_exp)
{
    X86CPU *cpu = env;
    if (x87_push_check(cpu)) {
        x87_set_c1(cpu, false);
        x87_push(cpu, float80_make((uint16_t)sign_exp, mant));
    }
}

void helper_x87_fild(void *env, uint64_t v)
{
    X86CPU *cpu = env;
    if (x87_push_check(cpu)) {
        x87_set_c1(cpu, false);
        x87_push(cpu, float80_from_int64((int64_t)v));
    }
}

void helper_x87_fbld(void *env, uint64_t lo, uint32_t hi)
{
    X86CPU *cpu = env;
    uint8_t bcd[10];

    if (!x87_push_check(cpu)) {
        return;
    }
    for (int i = 0; i < 8; i++) {
        bcd[i] = (uint8_t)(lo >> (8 * i));
    }
    bcd[8] = (uint8_t)hi;
    bcd[9] = (uint8_t)(hi >> 8);
    x87_set_c1(cpu, false);
    x87_push(cpu, float80_from_bcd(bcd));
}

/* FLD ST(i): an empty source is reported as underflow (C1 = 0) even when
 * the stack is also full (host behaviour). */
void helper_x87_fld_sti(void *env, uint32_t i)
{
    X86CPU *cpu = env;
    Float80 v = x87_get(cpu, (int)i);

    if (x87_empty(cpu, (int)i)) {
        if (x87_underflow(cpu)) {
            x87_push(cpu, float80_default_nan());
        }
        return;
    }
    if (!x87_push_check(cpu)) {
        return;
    }
    x87_set_c1(cpu, false);
    x87_push(cpu, v);
}

void helper_x87_fld_const(void *env, uint32_t c)
{
    X86CPU *cpu = env;
    FloatStatus fs = x87_float_status(cpu);

    if (c > FLOAT_CONST_ZERO || !x87_push_check(cpu)) {
        return;
    }
    x87_set_c1(cpu, false);
    x87_push(cpu, float80_load_constant((FloatConstant)c, &fs));
}

/* ---- stores ---- */

/* Tiny for unmasked UE in a store: a nonzero value whose rounded result
 * in the destination format has a zero exponent field. */
static bool x87_store_tiny(Float80 a, uint64_t result, int frac_bits, int exp_bits)
{
    uint64_t exp = (result >> frac_bits) & ((1ull << exp_bits) - 1);
    return x87_is_finite_nonzero(a) && exp == 0;
}

/*
 * FST/FSTP/FIST/FISTP/FISTTP/FBSTP to memory. The value and the new status
 * are worked out first, memory is written (a fault there leaves the FPU
 * untouched), then the status is committed and the stack popped.
 */
void helper_x87_fst_mem(void *env, uint64_t addr, uint32_t how)
{
    X86CPU *cpu = env;
    uintptr_t ra = TCG_GETPC();
    unsigned kind = how & X87_STORE_KIND_MASK;
    int mmu = (int)(how >> X87_MMU_SHIFT) & 0xff;
    uint64_t addr_mask = (cpu->hflags & X86_HF_CS64) ? ~0ull : 0xffffffffull;
    uint16_t saved = cpu->fpus;
    FloatStatus fs = x87_float_status(cpu);
    Float80 a = x87_get(cpu, 0);
    uint64_t lo = 0;
    uint16_t hi = 0;
    unsigned size;
    bool empty = x87_empty(cpu, 0), store = true;
    uint8_t bcd[10];
    uint16_t after;

    switch (kind) {
    case X87_STORE_F32: size = 4; break;
    case X87_STORE_F64: size = 8; break;
    case X87_STORE_I16: case X87_STORE_I16T: size = 2; break;
    case X87_STORE_I32: case X87_STORE_I32T: size = 4; break;
    case X87_STORE_I64: case X87_STORE_I64T: size = 8; break;
    default: size = 10; break;
    }

    if (empty) {
        if (!x87_underflow(cpu)) {
            return;
        }
        a = float80_default_nan();
    }
    switch (kind) {
    case X87_STORE_F32:
        lo = float80_to_float32(a, &fs);
        if (!x87_masked(cpu, FSW_UE) && x87_store_tiny(a, lo, 23, 8)) {
            fs.flags |= FSW_UE;
        }
        break;
    case X87_STORE_F64:
        lo = float80_to_float64(a, &fs);
        if (!x87_masked(cpu, FSW_UE) && x87_store_tiny(a, lo, 52, 11)) {
            fs.flags |= FSW_UE;
        }
        break;
    case X87_STORE_F80:
        lo = a.mant;
        hi = a.sign_exp;
        break;
    case X87_STORE_I16: lo = (uint16_t)float80_to_int16(a, &fs); break;
    case X87_STORE_I32: lo = (uint32_t)float80_to_int32(a, &fs); break;
    case X87_STORE_I64: lo = (uint64_t)float80_to_int64(a, &fs); break;
    case X87_STORE_I16T: lo = (uint16_t)float80_to_int16_truncate(a, &fs); break;
    case X87_STORE_I32T: lo = (uint32_t)float80_to_int32_truncate(a, &fs); break;
    case X87_STORE_I64T: lo = (uint64_t)float80_to_int64_truncate(a, &fs); break;
    default:
        float80_to_bcd(a, bcd, &fs);
        for (int i = 0; i < 8; i++) {
            lo |= (uint64_t)bcd[i] << (8 * i);
        }
        hi = (uint16_t)(bcd[8] | bcd[9] << 8);
        break;
    }
    if (!empty) {
        unsigned f = fs.flags & FSW_EXC, unmasked = f & ~cpu->fpuc;
        if (unmasked) {
            x87_set_c1(cpu, false);
        }
        if (unmasked & FSW_IE) {
            x87_raise(cpu, FSW_IE);
            store = false;
        } else if (unmasked & (FSW_OE | FSW_UE)) {
            /* No store to memory, only the range flag (as the host does). */
            x87_raise(cpu, unmasked & (FSW_OE | FSW_UE));
            store = false;
        } else {
            x87_set_c1(cpu, fs.rounded_up && (f & FSW_PE));
            x87_raise(cpu, f);
        }
    }
    after = cpu->fpus;
    if (store) {
        cpu->fpus = saved;
        if (size == 10) {
            x86_mem_st(cpu, addr & addr_mask, lo, 8, mmu, ra);
            x86_mem_st(cpu, (addr + 8) & addr_mask, hi, 2, mmu, ra);
        } else {
            x86_mem_st(cpu, addr & addr_mask, lo, size, mmu, ra);
        }
        cpu->fpus = after;
        if (how & X87_POP) {
            x87_pop(cpu);
        }
    }
}

/* FST/FSTP ST(i): an exact copy, no IE for an SNaN. The D9 D8+i alias
 * (X87_FSTP_NO_FAULT) pops an empty ST0 silently and leaves ST(i) alone. */
void helper_x87_fst_sti(void *env, uint32_t how)
{
    X86CPU *cpu = env;
    int i = (int)(how & 7);

    if (x87_empty(cpu, 0) && (how & X87_FSTP_NO_FAULT)) {
        x87_set_c1(cpu, false);
        x87_pop(cpu);
        return;
    }
    if (x87_empty(cpu, 0)) {
        if (!x87_underflow(cpu)) {
            return;
        }
        x87_set(cpu, i, float80_default_nan());
    } else {
        x87_set_c1(cpu, false);
        x87_set(cpu, i, x87_get(cpu, 0));
    }
    if (how & X87_POP) {
        x87_pop(cpu);
    }
}

/* ---- arithmetic ---- */

static void x87_binop(X86CPU *cpu, unsigned op, int dst, Float80 src, bool src_empty,
                      bool src_denormal)
{
    FloatStatus fs = x87_float_status(cpu);
    Float80 d, r;

    if (x87_empty(cpu, dst) || src_empty) {
        if (x87_underflow(cpu)) {
            x87_set(cpu, dst, float80_default_nan());
            x87_pops(cpu, op);
        }
        return;
    }
    d = x87_get(cpu, dst);
    r = x87_arith(op, d, src, &fs);
    x87_add_operand_denormal(&fs, src_denormal, d, src);
    if ((cpu->fpuc & (FSW_OE | FSW_UE)) != (FSW_OE | FSW_UE)) {
        r = x87_arith_unmasked_range(cpu, op, d, src, r, &fs);
    }
    if (!x87_commit(cpu, &fs)) {
        return;
    }
    x87_set(cpu, dst, r);
    x87_pops(cpu, op);
}

void helper_x87_farith_st(void *env, uint32_t op, uint32_t dst, uint32_t src)
{
    X86CPU *cpu = env;
    x87_binop(cpu, op, (int)(dst & 7), x87_get(cpu, (int)(src & 7)),
              x87_empty(cpu, (int)(src & 7)), false);
}

void helper_x87_farith_f32(void *env, uint32_t op, uint32_t v)
{
    X86CPU *cpu = env;
    bool denormal;
    Float80 s = x87_operand_f32(v, &denormal);
    x87_binop(cpu, op, 0, s, false, denormal);
}

void helper_x87_farith_f64(void *env, uint32_t op, uint64_t v)
{
    X86CPU *cpu = env;
    bool denormal;
    Float80 s = x87_operand_f64(v, &denormal);
    x87_binop(cpu, op, 0, s, false, denormal);
}

void helper_x87_farith_int(void *env, uint32_t op, uint64_t v)
{
    X86CPU *cpu = env;
    x87_binop(cpu, op, 0, float80_from_int64((int64_t)v), false, false);
}

/* ---- compares ---- */

static const uint16_t x87_relation_cc[4] = {
    [FLOAT_LESS] = FSW_C0,
    [FLOAT_EQUAL] = FSW_C3,
    [FLOAT_GREATER] = 0,
    [FLOAT_UNORDERED] = FSW_C3 | FSW_C2 | FSW_C0,
};

static const uint32_t x87_relation_eflags[4] = {
    [FLOAT_LESS] = X86_EFLAGS_CF,
    [FLOAT_EQUAL] = X86_EFLAGS_ZF,
    [FLOAT_GREATER] = 0,
    [FLOAT_UNORDERED] = X86_EFLAGS_ZF | X86_EFLAGS_PF | X86_EFLAGS_CF,
};

/*
 * Compare ST0 with src; returns the relation, or -1 when an unmasked
 * exception stops the instruction. The condition codes have no other
 * destination: the host writes them even then (unordered for IE), but
 * pops only when the instruction completes.
 */
/* FCOMI and friends leave C1 alone when the operands are there. */
enum { X87_CMP_KEEP_C1 = 0x100 };

static int x87_compare(X86CPU *cpu, Float80 src, bool src_empty, bool src_denormal,
                       unsigned how, FloatRelation *rel_out)
{
    FloatStatus fs = x87_float_status(cpu);
    FloatRelation rel;
    Float80 a = x87_get(cpu, 0);

    if (x87_empty(cpu, 0) || src_empty) {
        *rel_out = FLOAT_UNORDERED;
        if (!x87_underflow(cpu)) {
            return -1;
        }
        x87_pops(cpu, how);
        return FLOAT_UNORDERED;
    }
    rel = (how & X87_CMP_QUIET) ? float80_compare_quiet(a, src, &fs)
                                : float80_compare(a, src, &fs);
    x87_add_operand_denormal(&fs, src_denormal, a, src);
    *rel_out = rel;
    if (!(how & X87_CMP_KEEP_C1)) {
        x87_set_c1(cpu, false);
    }
    if (fs.flags & ~cpu->fpuc & FSW_PRE) {
        x87_raise(cpu, fs.flags & FSW_PRE);
        return -1;
    }
    x87_raise(cpu, fs.flags);
    x87_pops(cpu, how);
    return (int)rel;
}

static void x87_compare_cc(X86CPU *cpu, Float80 src, bool src_empty, bool src_denormal,
                           unsigned how)
{
    FloatRelation rel;

    x87_compare(cpu, src, src_empty, src_denormal, how, &rel);
    x87_set_cc(cpu, x87_relation_cc[rel]);
}

void helper_x87_fcom_st(void *env, uint32_t i, uint32_t how)
{
    X86CPU *cpu = env;
    x87_compare_cc(cpu, x87_get(cpu, (int)(i & 7)), x87_empty(cpu, (int)(i & 7)), false, how);
}

void helper_x87_fcom_f32(void *env, uint32_t v, uint32_t how)
{
    X86CPU *cpu = env;
    bool denormal;
    Float80 s = x87_operand_f32(v, &denormal);
    x87_compare_cc(cpu, s, false, denormal, how);
}

void helper_x87_fcom_f64(void *env, uint64_t v, uint32_t how)
{
    X86CPU *cpu = env;
    bool denormal;
    Float80 s = x87_operand_f64(v, &denormal);
    x87_compare_cc(cpu, s, false, denormal, how);
}

void helper_x87_fcom_int(void *env, uint64_t v, uint32_t how)
{
    X86CPU *cpu = env;
    x87_compare_cc(cpu, float80_from_int64((int64_t)v), false, false, how);
}

/* FCOMI/FCOMIP/FUCOMI/FUCOMIP: ZF PF CF from the relation, OF SF AF
 * cleared (as the host does). */
uint32_t helper_x87_fcomi(void *env, uint32_t i, uint32_t how, uint32_t eflags)
{
    X86CPU *cpu = env;
    FloatRelation rel;

    x87_compare(cpu, x87_get(cpu, (int)(i & 7)), x87_empty(cpu, (int)(i & 7)), false,
                how | X87_CMP_KEEP_C1, &rel);
    return (eflags & ~X86_EFLAGS_ARITH) | x87_relation_eflags[rel];
}

/* ---- register moves ---- */

/* FCMOVcc: an empty operand gives the indefinite whatever the condition
 * (host behaviour); C1 stays as it was otherwise. */
void helper_x87_fcmov(void *env, uint32_t i, uint32_t cond)
{
    X86CPU *cpu = env;
    if (x87_empty(cpu, 0) || x87_empty(cpu, (int)(i & 7))) {
        if (x87_underflow(cpu)) {
            x87_set(cpu, 0, float80_default_nan());
        }
        return;
    }
    if (cond) {
        x87_set(cpu, 0, x87_get(cpu, (int)(i & 7)));
    }
}

/* FXCH: empty registers take the indefinite before the exchange. */
void helper_x87_fxch(void *env, uint32_t i)
{
    X86CPU *cpu = env;
    int j = (int)(i & 7);
    Float80 t;

    if (x87_empty(cpu, 0) || x87_empty(cpu, j)) {
        if (!x87_underflow(cpu)) {
            return;
        }
        if (x87_empty(cpu, 0)) {
            x87_set(cpu, 0, float80_default_nan());
        }
        if (x87_empty(cpu, j)) {
            x87_set(cpu, j, float80_default_nan());
        }
    } else {
        x87_set_c1(cpu, false);
    }
    t = x87_get(cpu, 0);
    x87_set(cpu, 0, x87_get(cpu, j));
    x87_set(cpu, j, t);
}

/* FFREE ST(i) (| X87_POP: FFREEP); C1 cleared as on the host. */
void helper_x87_ffree(void *env, uint32_t how)
{
    X86CPU *cpu = env;
    x87_set_c1(cpu, false);
    cpu->fptag_valid &= (uint8_t)~(1u << x87_phys(cpu, (int)(how & 7)));
    if (how & X87_POP) {
        x87_pop(cpu);
    }
}

/* ---- D9 E0..FF ---- */

typedef Float80 (*X87UnaryFn)(Float80 a, FloatStatus *fs);

/* ST0 = f(ST0): FSQRT, FRNDINT, F2XM1. */
static void x87_unary(X86CPU *cpu, X87UnaryFn f)
{
    FloatStatus fs = x87_float_status(cpu);
    Float80 r;

    if (x87_empty(cpu, 0)) {
        if (x87_underflow(cpu)) {
            x87_set(cpu, 0, float80_default_nan());
        }
        return;
    }
    r = f(x87_get(cpu, 0), &fs);
    r = x87_generic_unmasked_range(cpu, r, &fs);
    if (x87_commit(cpu, &fs)) {
        x87_set(cpu, 0, r);
    }
}

typedef Float80 (*X87BinaryFn)(Float80 y, Float80 x, FloatStatus *fs);

/* ST1 = f(ST1, ST0), pop: FPATAN, FYL2X, FYL2XP1. The last two are linear
 * in y (ST1): an unmasked OE/UE redoes them with y scaled by -+24576. */
static void x87_binary_pop(X86CPU *cpu, X87BinaryFn f, bool linear_in_y)
{
    FloatStatus fs = x87_float_status(cpu);
    Float80 x, y, r;

    if (x87_empty(cpu, 0) || x87_empty(cpu, 1)) {
        if (x87_underflow(cpu)) {
            x87_set(cpu, 1, float80_default_nan());
            x87_pop(cpu);
        }
        return;
    }
    y = x87_get(cpu, 1);
    x = x87_get(cpu, 0);
    r = f(y, x, &fs);
    if (linear_in_y && (cpu->fpuc & (FSW_OE | FSW_UE)) != (FSW_OE | FSW_UE) && x87_is_finite(y)) {
        bool overflow = (fs.flags & FSW_OE) && !x87_masked(cpu, FSW_OE);
        bool underflow = !overflow && !x87_masked(cpu, FSW_UE) && !(fs.flags & FSW_IE) &&
                         x87_maybe_tiny(r);
        if (overflow || underflow) {
            FloatStatus fs2 = x87_float_status(cpu);
            Float80 y2 = x87_scale_by(y, overflow ? -X87_BIAS_ADJUST : X87_BIAS_ADJUST,
                                      fs.rounding);
            Float80 r2 = f(y2, x, &fs2);
            r = x87_take_adjusted(r, &fs, overflow, r2, &fs2);
        }
    } else {
        r = x87_generic_unmasked_range(cpu, r, &fs);
    }
    if (x87_commit(cpu, &fs)) {
        x87_set(cpu, 1, r);
        x87_pop(cpu);
    }
}

typedef Float80 (*X87TrigFn)(Float80 a, bool *out_of_range, FloatStatus *fs);

/* FSIN, FCOS: C2 set and ST0 kept when |ST0| >= 2^63, else cleared (also
 * on faults). */
static void x87_trig(X86CPU *cpu, X87TrigFn f)
{
    FloatStatus fs = x87_float_status(cpu);
    bool out_of_range = false;
    Float80 r;

    cpu->fpus &= (uint16_t)~FSW_C2;
    if (x87_empty(cpu, 0)) {
        if (x87_underflow(cpu)) {
            x87_set(cpu, 0, float80_default_nan());
        }
        return;
    }
    r = f(x87_get(cpu, 0), &out_of_range, &fs);
    if (out_of_range) {
        cpu->fpus |= FSW_C2;
        return;
    }
    r = x87_generic_unmasked_range(cpu, r, &fs);
    if (x87_commit(cpu, &fs)) {
        x87_set(cpu, 0, r);
    }
}

/* The instructions that replace ST0 and push a second result (FPTAN,
 * FSINCOS, FXTRACT): an empty ST0 or a full stack leaves the indefinite in
 * both (host behaviour). Returns false when the instruction is done. */
static bool x87_replace_push_check(X86CPU *cpu, bool trig)
{
    bool go_on;

    if (trig) {
        cpu->fpus &= (uint16_t)~FSW_C2;
    }
    if (x87_empty(cpu, 0)) {
        go_on = x87_underflow(cpu);
    } else if (!x87_empty(cpu, 7)) {
        go_on = x87_overflow(cpu);
    } else {
        return true;
    }
    if (go_on) {
        x87_set(cpu, 0, float80_default_nan());
        x87_push(cpu, float80_default_nan());
    }
    return false;
}

static void x87_fptan(X86CPU *cpu)
{
    FloatStatus fs = x87_float_status(cpu);
    bool out_of_range = false;
    Float80 r;

    if (!x87_replace_push_check(cpu, true)) {
        return;
    }
    r = float80_tan(x87_get(cpu, 0), &out_of_range, &fs);
    if (out_of_range) {
        cpu->fpus |= FSW_C2;
        return;
    }
    r = x87_generic_unmasked_range(cpu, r, &fs);
    if (x87_commit(cpu, &fs)) {
        x87_set(cpu, 0, r);
        x87_push(cpu, x87_is_nan_or_unsupported(r) ? r : X87_ONE);
    }
}

static void x87_fsincos(X86CPU *cpu)
{
    FloatStatus fs = x87_float_status(cpu);
    bool out_of_range = false;
    Float80 s, c;

    if (!x87_replace_push_check(cpu, true)) {
        return;
    }
    float80_sincos(x87_get(cpu, 0), &s, &c, &out_of_range, &fs);
    if (out_of_range) {
        cpu->fpus |= FSW_C2;
        return;
    }
    s = x87_generic_unmasked_range(cpu, s, &fs);
    if (x87_commit(cpu, &fs)) {
        x87_set(cpu, 0, s);
        x87_push(cpu, c);
    }
}

static void x87_fxtract(X86CPU *cpu)
{
    FloatStatus fs = x87_float_status(cpu);
    Float80 sig, exp;

    if (!x87_replace_push_check(cpu, false)) {
        return;
    }
    sig = float80_extract(x87_get(cpu, 0), &exp, &fs);
    if (x87_commit(cpu, &fs)) {
        x87_set(cpu, 0, exp);
        x87_push(cpu, sig);
    }
}

/* FPREM/FPREM1: C2 = incomplete, else C0 C3 C1 = quotient bits 2 1 0. A
 * NaN result, an unmasked exception or a stack fault clears C2 and C1 and
 * keeps C0 and C3 (host behaviour). */
static void x87_fprem(X86CPU *cpu, bool ieee)
{
    FloatStatus fs = x87_float_status(cpu);
    uint16_t cc = 0;
    Float80 a, b, r;

    cpu->fpus &= (uint16_t)~FSW_C2;
    if (x87_empty(cpu, 0) || x87_empty(cpu, 1)) {
        if (x87_underflow(cpu)) {
            x87_set(cpu, 0, float80_default_nan());
        }
        return;
    }
    a = x87_get(cpu, 0);
    b = x87_get(cpu, 1);
    r = ieee ? float80_rem_ieee(a, b, &cc, &fs) : float80_rem(a, b, &cc, &fs);
    if (float80_classify(b) != FLOAT_CLASS_INFINITY) {
        r = x87_generic_unmasked_range(cpu, r, &fs);   /* x rem inf = x: no UE */
    }
    if (x87_commit(cpu, &fs)) {
        if (x87_is_nan_or_unsupported(r)) {
            cpu->fpus &= (uint16_t)~FSW_C1;
        } else {
            x87_set_cc(cpu, cc);
        }
        x87_set(cpu, 0, r);
    }
}

/* FSCALE; unmasked OE/UE redo it with the scale moved by -+24576. */
static void x87_fscale(X86CPU *cpu)
{
    FloatStatus fs = x87_float_status(cpu);
    Float80 a, b, r;

    if (x87_empty(cpu, 0) || x87_empty(cpu, 1)) {
        if (x87_underflow(cpu)) {
            x87_set(cpu, 0, float80_default_nan());
        }
        return;
    }
    a = x87_get(cpu, 0);
    b = x87_get(cpu, 1);
    r = float80_scale(a, b, &fs);
    if ((cpu->fpuc & (FSW_OE | FSW_UE)) != (FSW_OE | FSW_UE) &&
        x87_is_finite_nonzero(b) && x87_is_finite_nonzero(a)) {
        bool overflow = (fs.flags & FSW_OE) && !x87_masked(cpu, FSW_OE);
        bool underflow = !overflow && !x87_masked(cpu, FSW_UE) && x87_maybe_tiny(r);
        if (overflow || underflow) {
            FloatStatus t, fs2 = x87_float_status(cpu);
            Float80 bi, r2;

            float_status_init(&t);
            t.rounding = FLOAT_ROUND_TO_ZERO;
            bi = float80_round_to_int(b, &t);
            bi = float80_add(bi, float80_from_int64(overflow ? -X87_BIAS_ADJUST : X87_BIAS_ADJUST),
                             &t);
            r2 = float80_scale(a, bi, &fs2);
            r = x87_take_adjusted(r, &fs, overflow, r2, &fs2);
        }
    }
    if (x87_commit(cpu, &fs)) {
        x87_set(cpu, 0, r);
    }
}

static void x87_sign_op(X86CPU *cpu, bool abs)
{
    Float80 a;

    if (x87_empty(cpu, 0)) {
        if (x87_underflow(cpu)) {
            x87_set(cpu, 0, float80_default_nan());
        }
        return;
    }
    a = x87_get(cpu, 0);
    a.sign_exp = abs ? (uint16_t)(a.sign_exp & 0x7fff) : (uint16_t)(a.sign_exp ^ 0x8000);
    x87_set_c1(cpu, false);
    x87_set(cpu, 0, a);
}

static Float80 x87_sqrt(Float80 a, FloatStatus *fs)
{
    return float80_sqrt(a, fs);
}

static Float80 x87_sin(Float80 a, bool *oor, FloatStatus *fs)
{
    return float80_sin(a, oor, fs);
}

static Float80 x87_cos(Float80 a, bool *oor, FloatStatus *fs)
{
    return float80_cos(a, oor, fs);
}

void helper_x87_funary(void *env, uint32_t modrm)
{
    X86CPU *cpu = env;
    switch (modrm & 0xff) {
    case 0xe0:
        x87_sign_op(cpu, false);
        break;
    case 0xe1:
        x87_sign_op(cpu, true);
        break;
    case 0xe4: /* FTST */
        x87_compare_cc(cpu, float80_make(0, 0), false, false, 0);
        break;
    case 0xe5: /* FXAM */
        x87_set_cc(cpu, float80_examine(x87_get(cpu, 0), x87_empty(cpu, 0)));
        break;
    case 0xf0:
        x87_unary(cpu, float80_2xm1);
        break;
    case 0xf1:
        x87_binary_pop(cpu, float80_yl2x, true);
        break;
    case 0xf2:
        x87_fptan(cpu);
        break;
    case 0xf3:
        x87_binary_pop(cpu, float80_atan2, false);
        break;
    case 0xf4:
        x87_fxtract(cpu);
        break;
    case 0xf5:
        x87_fprem(cpu, true);
        break;
    case 0xf6: /* FDECSTP */
        cpu->fpstt = (cpu->fpstt - 1) & 7;
        x87_set_c1(cpu, false);
        break;
    case 0xf7: /* FINCSTP */
        cpu->fpstt = (cpu->fpstt + 1) & 7;
        x87_set_c1(cpu, false);
        break;
    case 0xf8:
        x87_fprem(cpu, false);
        break;
    case 0xf9:
        x87_binary_pop(cpu, float80_yl2xp1, true);
        break;
    case 0xfa:
        x87_unary(cpu, x87_sqrt);
        break;
    case 0xfb:
        x87_fsincos(cpu);
        break;
    case 0xfc:
        x87_unary(cpu, float80_round_to_int);
        break;
    case 0xfd:
        x87_fscale(cpu);
        break;
    case 0xfe:
        x87_trig(cpu, x87_sin);
        break;
    case 0xff:
        x87_trig(cpu, x87_cos);
        break;
    default:
        break;
    }
}

/* ---- control ---- */

void helper_x87_fldcw(void *env, uint32_t v)
{
    X86CPU *cpu = env;
    cpu->fpuc = (uint16_t)((v & FCW_WRITABLE) | FCW_RESERVED_ONE);
    x87_update_summary(cpu);
}

uint32_t helper_x87_fnstcw(void *env)
{
    X86CPU *cpu = env;
    return cpu->fpuc;
}

uint32_t helper_x87_fnstsw(void *env)
{
    X86CPU *cpu = env;
    return x87_status_word(cpu);
}

void helper_x87_fnclex(void *env)
{
    X86CPU *cpu = env;
    cpu->fpus &= (uint16_t)~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
}

void helper_x87_fninit(void *env)
{
    X86CPU *cpu = env;
    cpu->fpuc = FCW_INIT;
    cpu->fpus = 0;
    cpu->fpstt = 0;
    cpu->fptag_valid = 0;
    cpu->fpop = 0;
    cpu->fpip = cpu->fpdp = 0;
    cpu->fpcs = cpu->fpds = 0;
}
