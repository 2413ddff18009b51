/* Differential tests: x87 classes of the generator (all exceptions masked,
 * special operand values, valid BCD and control words) and the "approx"
 * class (transcendentals, RCP/RSQRT) whose operands stay in the documented
 * domain and whose results the comparator checks with a tolerance.
 * Reference: Intel SDM vol. 1 ch. 8, vol. 2 "FPU Flags Affected". */
#include <stdio.h>
#include <string.h>

#include "gen.h"

#define MEMTXT 96

/* x87 condition-code effects. */
enum { XF_ARITH, XF_CMP, XF_COMI, XF_C1, XF_UNDEF, XF_INIT, XF_TRIG, XF_NONE };

static void x87_fx(int kind, Fx *fx)
{
    memset(fx, 0, sizeof(*fx));
    switch (kind) {
    case XF_ARITH: fx->x87_def = FSW_C1; fx->x87_undef = FSW_C023; break;
    case XF_CMP: case XF_INIT: fx->x87_def = FSW_CC; break;
    case XF_COMI: fx->x87_def = FSW_C1; fx->def = FL_ARITH; break;
    case XF_C1: fx->x87_def = FSW_C1; fx->x87_undef = FSW_C023; break;
    case XF_UNDEF: fx->x87_undef = FSW_CC; break;
    case XF_TRIG: fx->x87_def = FSW_C1 | FSW_C2; fx->x87_undef = FSW_C0 | FSW_C3; break;
    default: break;
    }
}

/* Memory operand types of x87 loads and stores. */
enum { MT_NONE, MT_F32, MT_F64, MT_F80, MT_I16, MT_I32, MT_I64, MT_BCD, MT_CW, MT_STORE16,
       MT_STORE32, MT_STORE64, MT_STORE80 };
/* Register operand forms. */
enum { OP_NONE, OP_MEM, OP_STI, OP_STI_ST, OP_ST_STI };

typedef struct X87Form {
    const char *mnemonic;
    int operand;
    int mtype;
    int fx;
    int stack;                 /* +1 push, -1 pop, -2 two pops */
    bool sse3;
} X87Form;

static const X87Form x87_forms[] = {
    { "flds", OP_MEM, MT_F32, XF_ARITH, 1, false },
    { "fldl", OP_MEM, MT_F64, XF_ARITH, 1, false },
    { "fldt", OP_MEM, MT_F80, XF_ARITH, 1, false },
    { "fld", OP_STI, 0, XF_ARITH, 1, false },
    { "filds", OP_MEM, MT_I16, XF_ARITH, 1, false },
    { "fildl", OP_MEM, MT_I32, XF_ARITH, 1, false },
    { "fildll", OP_MEM, MT_I64, XF_ARITH, 1, false },
    { "fbld", OP_MEM, MT_BCD, XF_ARITH, 1, false },
    { "fld1", OP_NONE, 0, XF_ARITH, 1, false },
    { "fldz", OP_NONE, 0, XF_ARITH, 1, false },
    { "fldpi", OP_NONE, 0, XF_ARITH, 1, false },
    { "fldl2e", OP_NONE, 0, XF_ARITH, 1, false },
    { "fldl2t", OP_NONE, 0, XF_ARITH, 1, false },
    { "fldlg2", OP_NONE, 0, XF_ARITH, 1, false },
    { "fldln2", OP_NONE, 0, XF_ARITH, 1, false },
    { "fsts", OP_MEM, MT_STORE32, XF_ARITH, 0, false },
    { "fstl", OP_MEM, MT_STORE64, XF_ARITH, 0, false },
    { "fstps", OP_MEM, MT_STORE32, XF_ARITH, -1, false },
    { "fstpl", OP_MEM, MT_STORE64, XF_ARITH, -1, false },
    { "fstpt", OP_MEM, MT_STORE80, XF_ARITH, -1, false },
    { "fst", OP_STI, 0, XF_ARITH, 0, false },
    { "fstp", OP_STI, 0, XF_ARITH, -1, false },
    { "fists", OP_MEM, MT_STORE16, XF_ARITH, 0, false },
    { "fistl", OP_MEM, MT_STORE32, XF_ARITH, 0, false },
    { "fistps", OP_MEM, MT_STORE16, XF_ARITH, -1, false },
    { "fistpl", OP_MEM, MT_STORE32, XF_ARITH, -1, false },
    { "fistpll", OP_MEM, MT_STORE64, XF_ARITH, -1, false },
    { "fisttps", OP_MEM, MT_STORE16, XF_C1, -1, true },
    { "fisttpl", OP_MEM, MT_STORE32, XF_C1, -1, true },
    { "fisttpll", OP_MEM, MT_STORE64, XF_C1, -1, true },
    { "fbstp", OP_MEM, MT_STORE80, XF_ARITH, -1, false },
    { "fchs", OP_NONE, 0, XF_C1, 0, false },
    { "fabs", OP_NONE, 0, XF_C1, 0, false },
    { "fsqrt", OP_NONE, 0, XF_ARITH, 0, false },
    { "frndint", OP_NONE, 0, XF_ARITH, 0, false },
    { "fscale", OP_NONE, 0, XF_ARITH, 0, false },
    { "fxtract", OP_NONE, 0, XF_ARITH, 1, false },
    { "fprem", OP_NONE, 0, XF_CMP, 0, false },
    { "fprem1", OP_NONE, 0, XF_CMP, 0, false },
    { "ftst", OP_NONE, 0, XF_CMP, 0, false },
    { "fxam", OP_NONE, 0, XF_CMP, 0, false },
    { "fcom", OP_STI, 0, XF_CMP, 0, false },
    { "fcoms", OP_MEM, MT_F32, XF_CMP, 0, false },
    { "fcoml", OP_MEM, MT_F64, XF_CMP, 0, false },
    { "fcomp", OP_STI, 0, XF_CMP, -1, false },
    { "fcomps", OP_MEM, MT_F32, XF_CMP, -1, false },
    { "fcompl", OP_MEM, MT_F64, XF_CMP, -1, false },
    { "fcompp", OP_NONE, 0, XF_CMP, -2, false },
    { "fucom", OP_STI, 0, XF_CMP, 0, false },
    { "fucomp", OP_STI, 0, XF_CMP, -1, false },
    { "fucompp", OP_NONE, 0, XF_CMP, -2, false },
    { "ficoms", OP_MEM, MT_I16, XF_CMP, 0, false },
    { "ficoml", OP_MEM, MT_I32, XF_CMP, 0, false },
    { "ficomps", OP_MEM, MT_I16, XF_CMP, -1, false },
    { "ficompl", OP_MEM, MT_I32, XF_CMP, -1, false },
    { "fcomi", OP_STI_ST, 0, XF_COMI, 0, false },
    { "fcomip", OP_STI_ST, 0, XF_COMI, -1, false },
    { "fucomi", OP_STI_ST, 0, XF_COMI, 0, false },
    { "fucomip", OP_STI_ST, 0, XF_COMI, -1, false },
    { "fxch", OP_STI, 0, XF_C1, 0, false },
    { "ffree", OP_STI, 0, XF_UNDEF, 0, false },
    { "fincstp", OP_NONE, 0, XF_C1, -1, false },
    { "fdecstp", OP_NONE, 0, XF_C1, 1, false },
    { "fnop", OP_NONE, 0, XF_UNDEF, 0, false },
    { "fnclex", OP_NONE, 0, XF_UNDEF, 0, false },
    { "fwait", OP_NONE, 0, XF_UNDEF, 0, false },
    { "fldcw", OP_MEM, MT_CW, XF_UNDEF, 0, false },
    { "fnstcw", OP_MEM, MT_STORE16, XF_UNDEF, 0, false },
};
#define X87_FORMS (sizeof(x87_forms) / sizeof(x87_forms[0]))

static const char *const arith_ops[6] = { "fadd", "fsub", "fsubr", "fmul", "fdiv", "fdivr" };

static int pick_sti(Gen *g)
{
    if (g->x87_depth > 1 && rng_percent(&g->rng, 80))
        return (int)rng_below(&g->rng, (unsigned)g->x87_depth);
    return (int)rng_below(&g->rng, 8);
}

static void x87_stack(Gen *g, int delta)
{
    g->x87_depth += delta;
    if (g->x87_depth < 0)
        g->x87_depth = 0;
    if (g->x87_depth > 8)
        g->x87_depth = 8;
}

/* A value of memory type MT for a load, in DATA; size in bytes or 0. */
static int load_value(Gen *g, int mt, uint8_t *data)
{
    Rng *r = &g->rng;
    switch (mt) {
    case MT_F32: { uint32_t v = rand_f32(r); memcpy(data, &v, 4); return 4; }
    case MT_F64: { uint64_t v = rand_f64(r); memcpy(data, &v, 8); return 8; }
    case MT_F80: rand_f80(r, data); return 10;
    case MT_I16: { uint16_t v = (uint16_t)rand_int(r, 16); memcpy(data, &v, 2); return 2; }
    case MT_I32: { uint32_t v = (uint32_t)rand_int(r, 32); memcpy(data, &v, 4); return 4; }
    case MT_I64: { uint64_t v = rand_int(r, 64); memcpy(data, &v, 8); return 8; }
    case MT_BCD: {
        /* 18 packed decimal digits and a sign byte; FBLD of invalid digits
         * is undefined, so only valid ones. */
        unsigned digits = 1 + rng_below(r, 18);
        memset(data, 0, 10);
        for (unsigned i = 0; i < digits; i++) {
            unsigned d = rng_percent(r, 20) ? 9 : rng_below(r, 10);
            data[i / 2] |= (uint8_t)(d << (4 * (i & 1)));
        }
        data[9] = rng_percent(r, 40) ? 0x80 : 0;
        return 10;
    }
    case MT_CW: {
        /* Exceptions stay masked; reserved bit 6 set as after FNINIT. */
        static const uint16_t pcs[3] = { 0, 2, 3 };
        uint16_t cw = 0x007f | (uint16_t)(pcs[rng_below(r, 3)] << 8) | (uint16_t)(rng_below(r, 4) << 10);
        memcpy(data, &cw, 2);
        return 2;
    }
    default: return 0;
    }
}

static const int store_sizes[] = { [MT_STORE16] = 2, [MT_STORE32] = 4, [MT_STORE64] = 8,
                                   [MT_STORE80] = 10 };

static void x87_form(Gen *g, const X87Form *f)
{
    Fx fx;
    char mem[MEMTXT];
    uint8_t data[16];

    x87_fx(f->fx, &fx);
    switch (f->operand) {
    case OP_NONE:
        gen_emit(g, &fx, "%s", f->mnemonic);
        break;
    case OP_STI:
        gen_emit(g, &fx, "%s %%st(%d)", f->mnemonic, pick_sti(g));
        break;
    case OP_STI_ST:
        gen_emit(g, &fx, "%s %%st(%d), %%st", f->mnemonic, pick_sti(g));
        break;
    default:
        if (f->mtype >= MT_STORE16) {
            gen_mem(g, store_sizes[f->mtype], 1, 0, 0, mem, sizeof(mem));
        } else {
            int size = load_value(g, f->mtype, data);
            bool must = f->mtype == MT_BCD || f->mtype == MT_CW;
            if (must || rng_percent(&g->rng, 75)) {
                if (!gen_mem_value(g, size, 1, 0, 0, data, mem, sizeof(mem)) && must) {
                    static const Fx nop = { .x87_undef = FSW_CC };
                    gen_emit(g, &nop, "fnop");          /* no room for a valid operand */
                    return;
                }
            } else {
                gen_mem(g, size, 1, 0, 0, mem, sizeof(mem));
            }
        }
        gen_emit(g, &fx, "%s %s", f->mnemonic, mem);
        break;
    }
    x87_stack(g, f->stack);
}

static void x87_arith(Gen *g)
{
    const char *op = arith_ops[rng_below(&g->rng, 6)];
    Fx fx;
    char mem[MEMTXT];
    uint8_t data[16];

    x87_fx(XF_ARITH, &fx);
    switch (rng_below(&g->rng, 7)) {
    case 0: case 1: {
        bool dbl = rng_percent(&g->rng, 50);
        int size = load_value(g, dbl ? MT_F64 : MT_F32, data);
        gen_mem_value(g, size, 1, 0, 0, data, mem, sizeof(mem));
        gen_emit(g, &fx, "%s%c %s", op, dbl ? 'l' : 's', mem);
        break;
    }
    case 2: {
        bool wide = rng_percent(&g->rng, 50);
        int size = load_value(g, wide ? MT_I32 : MT_I16, data);
        gen_mem_value(g, size, 1, 0, 0, data, mem, sizeof(mem));
        gen_emit(g, &fx, "fi%s%c %s", op + 1, wide ? 'l' : 's', mem);
        break;
    }
    case 3:
        gen_emit(g, &fx, "%s %%st(%d), %%st", op, pick_sti(g));
        break;
    case 4:
        gen_emit(g, &fx, "%s %%st, %%st(%d)", op, pick_sti(g));
        break;
    default:
        gen_emit(g, &fx, "%sp %%st, %%st(%d)", op, pick_sti(g));
        x87_stack(g, -1);
        break;
    }
}

static void x87_status(Gen *g)
{
    char mem[MEMTXT];
    Fx fx;

    /* FNSTSW reads C0..C3: define them first with a compare when needed. */
    if (g->x87u & FSW_CC) {
        static const char *const cmps[4] = { "ftst", "fxam", "fcom %st(1)", "fucom %st(2)" };
        x87_fx(XF_CMP, &fx);
        gen_emit(g, &fx, "%s", cmps[rng_below(&g->rng, 4)]);
    }
    x87_fx(XF_UNDEF, &fx);
    fx.x87_reads = FSW_CC;
    if (rng_percent(&g->rng, 60)) {
        gen_emit(g, &fx, "fnstsw %%ax");
        if (rng_percent(&g->rng, 60)) {
            static const Fx sahf = { .def = FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF };
            gen_emit(g, &sahf, "sahf");
        }
    } else {
        gen_mem(g, 2, 1, 0, 0, mem, sizeof(mem));
        gen_emit(g, &fx, "fnstsw %s", mem);
    }
}

static void x87_fcmov(Gen *g)
{
    static const char *const names[8] = { "fcmovb", "fcmove", "fcmovbe", "fcmovu",
                                          "fcmovnb", "fcmovne", "fcmovnbe", "fcmovnu" };
    static const uint32_t reads[4] = { FL_CF, FL_ZF, FL_CF | FL_ZF, FL_PF };
    int k = (int)rng_below(&g->rng, 8);
    Fx fx;

    if (!gen_defined(g, reads[k & 3])) {
        x87_fx(XF_COMI, &fx);
        gen_emit(g, &fx, "fucomi %%st(%d), %%st", pick_sti(g));
    }
    x87_fx(XF_C1, &fx);
    fx.reads = reads[k & 3];
    gen_emit(g, &fx, "%s %%st(%d), %%st", names[k], pick_sti(g));
}

void class_x87(Gen *g)
{
    unsigned k = rng_below(&g->rng, 100);
    /* Keep the stack usable: loads when shallow, pops when deep. */
    if (g->x87_depth < 2 && k < 60)
        k = 0;
    if (k < 25) {
        static const int loads[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
        const X87Form *f = &x87_forms[loads[rng_below(&g->rng, sizeof(loads) / sizeof(loads[0]))]];
        x87_form(g, f);
    } else if (k < 50) {
        x87_arith(g);
    } else if (k < 55) {
        x87_status(g);
    } else if (k < 59) {
        x87_fcmov(g);
    } else if (k < 60) {
        static const Fx init = { .x87_def = FSW_CC };
        gen_emit(g, &init, "fninit");
        g->x87_depth = 0;
    } else {
        const X87Form *f;
        do {
            f = &x87_forms[rng_below(&g->rng, X87_FORMS)];
        } while (f->sse3 && !host.sse3);
        x87_form(g, f);
    }
}

/* ---- approx: results the SDM leaves to the implementation's precision --- */

static void push_value(Gen *g, long double v)
{
    static const Fx free_fx = { .x87_undef = FSW_CC };
    static const Fx load = { .x87_def = FSW_C1, .x87_undef = FSW_C023 };
    uint8_t data[16];
    char mem[MEMTXT];

    memcpy(data, &v, 10);
    gen_emit(g, &free_fx, "ffree %%st(7)");
    if (!gen_mem_value(g, 10, 1, 0, 0, data, mem, sizeof(mem))) {
        gen_emit(g, &load, "fld1");
    } else {
        gen_emit(g, &load, "fldt %s", mem);
    }
}

/* Random value with magnitude below 2^MAX_EXP (and above 2^-40). */
static long double rand_magnitude(Gen *g, int max_exp)
{
    long double m = (long double)(rng_next(&g->rng) >> 1) / 9223372036854775808.0L;
    int e = max_exp - (int)rng_below(&g->rng, (unsigned)(max_exp + 40));
    long double v = m;
    for (; e > 0; e--)
        v *= 2;
    for (; e < 0; e++)
        v /= 2;
    return rng_percent(&g->rng, 40) ? -v : v;
}

void class_approx(Gen *g)
{
    static const char *const sse[4] = { "rcpps", "rsqrtps", "rcpss", "rsqrtss" };
    Fx fx;
    unsigned k = rng_below(&g->rng, 12);

    if (k >= 8) {
        char mem[MEMTXT];
        bool packed = k < 10;
        int dst = (int)rng_below(&g->rng, 16);
        if (rng_percent(&g->rng, 40)) {
            uint8_t data[16];
            for (int i = 0; i < 16; i += 4) {
                uint32_t v = rand_f32(&g->rng);
                memcpy(data + i, &v, 4);
            }
            gen_mem_value(g, packed ? 16 : 4, packed ? 16 : 4, 0, 0, data, mem, sizeof(mem));
            gen_emit(g, NULL, "%s %s, %%xmm%d", sse[k - 8], mem, dst);
        } else {
            gen_emit(g, NULL, "%s %%xmm%d, %%xmm%d", sse[k - 8], (int)rng_below(&g->rng, 16), dst);
        }
        return;
    }
    switch (k) {
    case 0:                                                  /* |x| <= 1 */
        push_value(g, rand_magnitude(g, 0));
        x87_fx(XF_ARITH, &fx);
        gen_emit(g, &fx, "f2xm1");
        break;
    case 1: case 2: case 3: case 4: {
        static const char *const trig[4] = { "fsin", "fcos", "fsincos", "fptan" };
        const char *op = trig[k - 1];
        push_value(g, rand_magnitude(g, rng_percent(&g->rng, 70) ? 0 : 3));
        if (k >= 3) {
            static const Fx free_fx = { .x87_undef = FSW_CC };
            gen_emit(g, &free_fx, "ffree %%st(7)");
        }
        x87_fx(XF_TRIG, &fx);
        gen_emit(g, &fx, "%s", op);
        break;
    }
    case 5:                                                  /* atan2(y, x) */
        push_value(g, rand_magnitude(g, 20));
        push_value(g, rand_magnitude(g, 20));
        x87_fx(XF_ARITH, &fx);
        gen_emit(g, &fx, "fpatan");
        break;
    case 6: {                                                /* y * log2(x), x > 0 */
        long double x = rand_magnitude(g, 30);
        push_value(g, rand_magnitude(g, 10));
        push_value(g, x < 0 ? -x : x);
        x87_fx(XF_ARITH, &fx);
        gen_emit(g, &fx, "fyl2x");
        break;
    }
    default:                                                 /* |x| < 1 - sqrt(2)/2 */
        push_value(g, rand_magnitude(g, 10));
        push_value(g, rand_magnitude(g, -2));
        x87_fx(XF_ARITH, &fx);
        gen_emit(g, &fx, "fyl2xp1");
        break;
    }
}
