/*
 * Every IR op, both widths, through the builder API and the interpreter,
 * against C reference computations on thousands of random and edge inputs:
 * register, immediate and all-constant (folded) operands, optimizer on/off.
 */
#include "harness.h"

static uint64_t M(int w, uint64_t v) { return w == 32 ? (uint32_t)v : v; }
static int64_t S(int w, uint64_t v) { return w == 32 ? (int32_t)v : (int64_t)v; }

/* ---- reference semantics, written independently of tcg/ ---- */

static uint64_t rot_left_bits(int w, uint64_t a, unsigned n)
{
    a = M(w, a);
    for (unsigned i = 0; i < n; i++) {
        a = M(w, (a << 1) | (a >> (w - 1)));
    }
    return a;
}

static uint64_t ref_add(int w, uint64_t a, uint64_t b) { return M(w, a + b); }
static uint64_t ref_sub(int w, uint64_t a, uint64_t b) { return M(w, a - b); }
static uint64_t ref_mul(int w, uint64_t a, uint64_t b) { return M(w, a * b); }
static uint64_t ref_and(int w, uint64_t a, uint64_t b) { return M(w, a & b); }
static uint64_t ref_or(int w, uint64_t a, uint64_t b) { return M(w, a | b); }
static uint64_t ref_xor(int w, uint64_t a, uint64_t b) { return M(w, a ^ b); }
static uint64_t ref_andc(int w, uint64_t a, uint64_t b) { return M(w, a & ~b); }
static uint64_t ref_orc(int w, uint64_t a, uint64_t b) { return M(w, a | ~b); }
static uint64_t ref_shl(int w, uint64_t a, uint64_t b) { return M(w, M(w, a) << (b % w)); }
static uint64_t ref_shr(int w, uint64_t a, uint64_t b) { return M(w, M(w, a) >> (b % w)); }
static uint64_t ref_sar(int w, uint64_t a, uint64_t b)
{
    uint64_t n = b % w, x = M(w, a);
    for (uint64_t i = 0; i < n; i++) {   /* shift in copies of the sign bit */
        x = M(w, (x >> 1) | (x & (1ull << (w - 1))));
    }
    return x;
}
static uint64_t ref_rotl(int w, uint64_t a, uint64_t b) { return rot_left_bits(w, a, (unsigned)(b % w)); }
static uint64_t ref_rotr(int w, uint64_t a, uint64_t b)
{
    return rot_left_bits(w, a, (unsigned)((w - b % w) % w));
}
static uint64_t ref_divs(int w, uint64_t a, uint64_t b) { return M(w, (uint64_t)(S(w, a) / S(w, b))); }
static uint64_t ref_divu(int w, uint64_t a, uint64_t b) { return M(w, a) / M(w, b); }
static uint64_t ref_rems(int w, uint64_t a, uint64_t b) { return M(w, (uint64_t)(S(w, a) % S(w, b))); }
static uint64_t ref_remu(int w, uint64_t a, uint64_t b) { return M(w, a) % M(w, b); }
static uint64_t ref_clz(int w, uint64_t a, uint64_t b)
{
    a = M(w, a);
    if (!a) {
        return M(w, b);
    }
    uint64_t n = 0;
    for (int i = w - 1; i >= 0 && !((a >> i) & 1); i--) {
        n++;
    }
    return n;
}
static uint64_t ref_ctz(int w, uint64_t a, uint64_t b)
{
    a = M(w, a);
    if (!a) {
        return M(w, b);
    }
    uint64_t n = 0;
    while (!((a >> n) & 1)) {
        n++;
    }
    return n;
}

enum { K_PLAIN, K_SHIFT, K_DIVS, K_DIVU };

typedef struct BinOp {
    const char *name;
    void (*g32)(TCGv_i32, TCGv_i32, TCGv_i32);
    void (*g64)(TCGv_i64, TCGv_i64, TCGv_i64);
    uint64_t (*ref)(int, uint64_t, uint64_t);
    int kind;
} BinOp;

static const BinOp binops[] = {
    { "add", tcg_gen_add_i32, tcg_gen_add_i64, ref_add, K_PLAIN },
    { "sub", tcg_gen_sub_i32, tcg_gen_sub_i64, ref_sub, K_PLAIN },
    { "mul", tcg_gen_mul_i32, tcg_gen_mul_i64, ref_mul, K_PLAIN },
    { "and", tcg_gen_and_i32, tcg_gen_and_i64, ref_and, K_PLAIN },
    { "or", tcg_gen_or_i32, tcg_gen_or_i64, ref_or, K_PLAIN },
    { "xor", tcg_gen_xor_i32, tcg_gen_xor_i64, ref_xor, K_PLAIN },
    { "andc", tcg_gen_andc_i32, tcg_gen_andc_i64, ref_andc, K_PLAIN },
    { "orc", tcg_gen_orc_i32, tcg_gen_orc_i64, ref_orc, K_PLAIN },
    { "shl", tcg_gen_shl_i32, tcg_gen_shl_i64, ref_shl, K_SHIFT },
    { "shr", tcg_gen_shr_i32, tcg_gen_shr_i64, ref_shr, K_SHIFT },
    { "sar", tcg_gen_sar_i32, tcg_gen_sar_i64, ref_sar, K_SHIFT },
    { "rotl", tcg_gen_rotl_i32, tcg_gen_rotl_i64, ref_rotl, K_SHIFT },
    { "rotr", tcg_gen_rotr_i32, tcg_gen_rotr_i64, ref_rotr, K_SHIFT },
    { "div", tcg_gen_div_i32, tcg_gen_div_i64, ref_divs, K_DIVS },
    { "divu", tcg_gen_divu_i32, tcg_gen_divu_i64, ref_divu, K_DIVU },
    { "rem", tcg_gen_rem_i32, tcg_gen_rem_i64, ref_rems, K_DIVS },
    { "remu", tcg_gen_remu_i32, tcg_gen_remu_i64, ref_remu, K_DIVU },
    { "clz", tcg_gen_clz_i32, tcg_gen_clz_i64, ref_clz, K_PLAIN },
    { "ctz", tcg_gen_ctz_i32, tcg_gen_ctz_i64, ref_ctz, K_PLAIN },
};

/* Second operand valid for the op (division constraints are the frontend's promise). */
static uint64_t pick_b(int kind, int w, uint64_t a, unsigned iter)
{
    for (;;) {
        uint64_t b = rnd_value();
        if (kind == K_SHIFT) {
            return iter % 4 == 0 ? b : iter % (2 * w);   /* every count, and >= width */
        }
        if ((kind == K_DIVS || kind == K_DIVU) && M(w, b) == 0) {
            continue;
        }
        if (kind == K_DIVS && S(w, b) == -1 && M(w, a) == M(w, 1ull << (w - 1))) {
            continue;
        }
        return b;
    }
}

static bool report(const char *what, int w, int opt, int mode, uint64_t a, uint64_t b,
                   uint64_t got, uint64_t want)
{
    if (got == want) {
        return true;
    }
    printf("FAIL %s: %s i%d opt=%d mode=%d a=0x%" PRIx64 " b=0x%" PRIx64 ": got 0x%" PRIx64
           " want 0x%" PRIx64 "\n", test_case_name_, what, w, opt, mode, a, b, got, want);
    test_case_failed_ = 1;
    return false;
}

static void set_in(int w, int i, uint64_t v)
{
    if (w == 32) {
        cpu.w[i] = (uint32_t)v;
    } else {
        cpu.r[i] = v;
    }
}

static uint64_t get_out(int w, int i) { return w == 32 ? cpu.w[i] : cpu.r[i]; }

/* mode 0: registers; 1: b constant; 2: a constant; 3: both constant; 4: result in place of a. */
static bool run_binop(const BinOp *op, int w, int opt, int mode)
{
    unsigned n = mode == 0 || mode == 4 ? 1500 : 80;
    bool once = mode == 0 || mode == 4;
    for (unsigned it = 0; it < n; it++) {
        uint64_t a = rnd_value(), b = pick_b(op->kind, w, a, it);
        if (!once || it == 0) {
            block_start(opt);
            if (w == 32) {
                TCGv_i32 x = mode == 2 || mode == 3 ? tcg_constant_i32((int32_t)a) : gw[1];
                TCGv_i32 y = mode == 1 || mode == 3 ? tcg_constant_i32((int32_t)b) : gw[2];
                TCGv_i32 t = tcg_temp_new_i32();
                if (mode == 4) {
                    op->g32(gw[1], gw[1], gw[2]);
                } else {
                    op->g32(t, x, y);
                    tcg_gen_mov_i32(gw[0], t);
                }
            } else {
                TCGv_i64 x = mode == 2 || mode == 3 ? tcg_constant_i64((int64_t)a) : gr[1];
                TCGv_i64 y = mode == 1 || mode == 3 ? tcg_constant_i64((int64_t)b) : gr[2];
                TCGv_i64 t = tcg_temp_new_i64();
                if (mode == 4) {
                    op->g64(gr[1], gr[1], gr[2]);
                } else {
                    op->g64(t, x, y);
                    tcg_gen_mov_i64(gr[0], t);
                }
            }
            tcg_gen_exit_tb(NULL, 0);
            if (block_compile() <= 0) {
                return report("compile", w, opt, mode, a, b, 1, 0);
            }
            if (mode == 3 && opt && count_all_ops() != 2) {   /* mov + exit_tb */
                return report("fold to one mov", w, opt, mode, a, b, (uint64_t)count_all_ops(), 2);
            }
        }
        set_in(w, 1, a);
        set_in(w, 2, b);
        set_in(w, 0, 0x5a5a5a5a5a5a5a5aull);
        block_run();
        if (!report(op->name, w, opt, mode, a, b, get_out(w, mode == 4 ? 1 : 0),
                    op->ref(w, a, b))) {
            return false;
        }
    }
    return true;
}

TEST_CASE(binary_ops)
{
    for (size_t i = 0; i < sizeof(binops) / sizeof(binops[0]); i++) {
        for (int w = 32; w <= 64; w += 32) {
            for (int opt = 0; opt < 2; opt++) {
                for (int mode = 0; mode < 5; mode++) {
                    if (!run_binop(&binops[i], w, opt, mode)) {
                        return;
                    }
                }
            }
        }
    }
}

/* Immediate-form builders (with their own peepholes) against the same references. */
TEST_CASE(immediate_builders)
{
    typedef void (*G32)(TCGv_i32, TCGv_i32, int32_t);
    typedef void (*G64)(TCGv_i64, TCGv_i64, int64_t);
    static const struct { G32 g32; G64 g64; uint64_t (*ref)(int, uint64_t, uint64_t); bool shift; } imm[] = {
        { tcg_gen_addi_i32, tcg_gen_addi_i64, ref_add, false },
        { tcg_gen_subi_i32, tcg_gen_subi_i64, ref_sub, false },
        { tcg_gen_muli_i32, tcg_gen_muli_i64, ref_mul, false },
        { tcg_gen_andi_i32, tcg_gen_andi_i64, ref_and, false },
        { tcg_gen_ori_i32, tcg_gen_ori_i64, ref_or, false },
        { tcg_gen_xori_i32, tcg_gen_xori_i64, ref_xor, false },
        { tcg_gen_shli_i32, tcg_gen_shli_i64, ref_shl, true },
        { tcg_gen_shri_i32, tcg_gen_shri_i64, ref_shr, true },
        { tcg_gen_sari_i32, tcg_gen_sari_i64, ref_sar, true },
        { tcg_gen_rotli_i32, tcg_gen_rotli_i64, ref_rotl, true },
        { tcg_gen_rotri_i32, tcg_gen_rotri_i64, ref_rotr, true },
    };
    for (size_t i = 0; i < sizeof(imm) / sizeof(imm[0]); i++) {
        for (int w = 32; w <= 64; w += 32) {
            for (int opt = 0; opt < 2; opt++) {
                for (unsigned it = 0; it < 2 * 64; it++) {
                    uint64_t b = imm[i].shift ? it % w : (it < 4 ? (uint64_t)-(int64_t)(it % 2) * (it / 2) : rnd_value());
                    block_start(opt);
                    if (w == 32) {
                        imm[i].g32(gw[0], gw[1], (int32_t)b);
                    } else {
                        imm[i].g64(gr[0], gr[1], (int64_t)b);
                    }
                    tcg_gen_exit_tb(NULL, 0);
                    CHECK(block_compile() > 0);
                    for (int k = 0; k < 8; k++) {
                        uint64_t a = rnd_value();
                        set_in(w, 1, a);
                        block_run();
                        if (!report("imm", w, opt, (int)i, a, b, get_out(w, 0), imm[i].ref(w, a, b))) {
                            return;
                        }
                    }
                }
            }
        }
    }
}

static uint64_t bswap_ref(uint64_t v, int bytes)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    uint64_t r = 0;
    for (int i = 0; i < bytes; i++) {
        r |= (uint64_t)b[bytes - 1 - i] << (8 * i);
    }
    return r;
}

static uint64_t ref_not(int w, uint64_t a) { return M(w, ~a); }
static uint64_t ref_neg(int w, uint64_t a) { return M(w, 0 - a); }
static uint64_t ref_ext8s(int w, uint64_t a) { return M(w, (a & 0x80) ? (a & 0xff) | ~0xffull : a & 0xff); }
static uint64_t ref_ext8u(int w, uint64_t a) { (void)w; return a & 0xff; }
static uint64_t ref_ext16s(int w, uint64_t a) { return M(w, (a & 0x8000) ? (a & 0xffff) | ~0xffffull : a & 0xffff); }
static uint64_t ref_ext16u(int w, uint64_t a) { (void)w; return a & 0xffff; }
static uint64_t ref_ext32s(int w, uint64_t a) { (void)w; return (a & 0x80000000u) ? (a | ~0xffffffffull) : (uint32_t)a; }
static uint64_t ref_ext32u(int w, uint64_t a) { (void)w; return (uint32_t)a; }
static uint64_t ref_bswap16(int w, uint64_t a) { (void)w; return bswap_ref(a, 2); }
static uint64_t ref_bswap32(int w, uint64_t a) { (void)w; return bswap_ref(a, 4); }
static uint64_t ref_bswap64(int w, uint64_t a) { (void)w; return bswap_ref(a, 8); }
static uint64_t ref_ctpop(int w, uint64_t a)
{
    uint64_t n = 0;
    for (a = M(w, a); a; a >>= 1) {
        n += a & 1;
    }
    return n;
}

TEST_CASE(unary_ops)
{
    static const struct {
        const char *name;
        void (*g32)(TCGv_i32, TCGv_i32);
        void (*g64)(TCGv_i64, TCGv_i64);
        uint64_t (*ref)(int, uint64_t);
    } un[] = {
        { "not", tcg_gen_not_i32, tcg_gen_not_i64, ref_not },
        { "neg", tcg_gen_neg_i32, tcg_gen_neg_i64, ref_neg },
        { "ext8s", tcg_gen_ext8s_i32, tcg_gen_ext8s_i64, ref_ext8s },
        { "ext8u", tcg_gen_ext8u_i32, tcg_gen_ext8u_i64, ref_ext8u },
        { "ext16s", tcg_gen_ext16s_i32, tcg_gen_ext16s_i64, ref_ext16s },
        { "ext16u", tcg_gen_ext16u_i32, tcg_gen_ext16u_i64, ref_ext16u },
        { "ext32s", NULL, tcg_gen_ext32s_i64, ref_ext32s },
        { "ext32u", NULL, tcg_gen_ext32u_i64, ref_ext32u },
        { "bswap16", tcg_gen_bswap16_i32, tcg_gen_bswap16_i64, ref_bswap16 },
        { "bswap32", tcg_gen_bswap32_i32, tcg_gen_bswap32_i64, ref_bswap32 },
        { "bswap64", NULL, tcg_gen_bswap64_i64, ref_bswap64 },
        { "ctpop", tcg_gen_ctpop_i32, tcg_gen_ctpop_i64, ref_ctpop },
    };
    for (size_t i = 0; i < sizeof(un) / sizeof(un[0]); i++) {
        for (int w = 32; w <= 64; w += 32) {
            if (w == 32 && !un[i].g32) {
                continue;
            }
            for (int opt = 0; opt < 2; opt++) {
                for (int cmode = 0; cmode < 2; cmode++) {   /* register input / constant input */
                    unsigned n = cmode ? 60 : 2000;
                    for (unsigned it = 0; it < n; it++) {
                        uint64_t a = rnd_value();
                        if (cmode || it == 0) {
                            block_start(opt);
                            if (w == 32) {
                                un[i].g32(gw[0], cmode ? tcg_constant_i32((int32_t)a) : gw[1]);
                            } else {
                                un[i].g64(gr[0], cmode ? tcg_constant_i64((int64_t)a) : gr[1]);
                            }
                            tcg_gen_exit_tb(NULL, 0);
                            CHECK(block_compile() > 0);
                            if (cmode && opt) {
                                CHECK_EQ(count_all_ops(), 2);
                            }
                        }
                        set_in(w, 1, a);
                        block_run();
                        if (!report(un[i].name, w, opt, cmode, a, 0, get_out(w, 0), un[i].ref(w, a))) {
                            return;
                        }
                    }
                }
            }
        }
    }
}

TEST_CASE(width_conversions)
{
    for (int opt = 0; opt < 2; opt++) {
        block_start(opt);
        tcg_gen_extrl_i64_i32(gw[0], gr[1]);
        tcg_gen_extrh_i64_i32(gw[1], gr[1]);
        tcg_gen_extu_i32_i64(gr[2], gw[2]);
        tcg_gen_exts_i32_i64(gr[3], gw[2]);
        tcg_gen_concat_i32_i64(gr[4], gw[2], gw[3]);
        tcg_gen_exit_tb(NULL, 0);
        CHECK(block_compile() > 0);
        for (int it = 0; it < 3000; it++) {
            uint64_t a = rnd_value(), b = rnd_value(), c = rnd_value();
            cpu.r[1] = a;
            cpu.w[2] = (uint32_t)b;
            cpu.w[3] = (uint32_t)c;
            block_run();
            CHECK_EQ(cpu.w[0], (uint32_t)a);
            CHECK_EQ(cpu.w[1], (uint32_t)(a >> 32));
            CHECK_EQ(cpu.r[2], (uint32_t)b);
            CHECK_EQ(cpu.r[3], (uint64_t)(int64_t)(int32_t)(uint32_t)b);
            CHECK_EQ(cpu.r[4], (uint64_t)(uint32_t)c << 32 | (uint32_t)b);
        }
        /* The same on constants folds away completely. */
        uint64_t a = rnd_value();
        block_start(opt);
        TCGv_i32 t = tcg_temp_new_i32();
        tcg_gen_extrh_i64_i32(t, tcg_constant_i64((int64_t)a));
        tcg_gen_exts_i32_i64(gr[5], t);
        tcg_gen_exit_tb(NULL, 0);
        CHECK(block_compile() > 0);
        if (opt) {
            CHECK_EQ(count_all_ops(), 2);
        }
        block_run();
        CHECK_EQ(cpu.r[5], (uint64_t)(int64_t)(int32_t)(a >> 32));
    }
}

/* ---- conditions ---- */

static bool ref_cond(TCGCond c, int w, uint64_t a, uint64_t b)
{
    uint64_t ua = M(w, a), ub = M(w, b);
    int64_t sa = S(w, a), sb = S(w, b);
    switch (c) {
    case TCG_COND_ALWAYS: return true;
    case TCG_COND_NEVER: return false;
    case TCG_COND_EQ: return ua == ub;
    case TCG_COND_NE: return ua != ub;
    case TCG_COND_LT: return sa < sb;
    case TCG_COND_GE: return !(sa < sb);
    case TCG_COND_LE: return sa < sb || sa == sb;
    case TCG_COND_GT: return sb < sa;
    case TCG_COND_LTU: return ua < ub;
    case TCG_COND_GEU: return !(ua < ub);
    case TCG_COND_LEU: return ua < ub || ua == ub;
    case TCG_COND_GTU: return ub < ua;
    case TCG_COND_TSTEQ: return (ua & ub) == 0;
    case TCG_COND_TSTNE: return (ua & ub) != 0;
    default: return false;
    }
}

static void pick_pair(int w, uint64_t *a, uint64_t *b)
{
    uint64_t r = rnd64() & 7;
    *a = rnd_value();
    switch (r) {
    case 0: *b = *a; break;
    case 1: *b = *a + 1; break;
    case 2: *b = *a - 1; break;
    case 3: *b = M(w, 1ull << (w - 1)); break;    /* signed minimum */
    default: *b = rnd_value(); break;
    }
    if (r & 1) {
        uint64_t t = *a;
        *a = *b;
        *b = t;
    }
}

/* kind 0 setcond, 1 negsetcond, 2 movcond, 3 brcond. bconst: second input an immediate. */
static void build_cond(int kind, TCGCond c, int w, bool bconst, uint64_t b)
{
    TCGLabel *l = kind == 3 ? gen_new_label() : NULL;
    if (w == 32) {
        TCGv_i32 y = bconst ? tcg_constant_i32((int32_t)b) : gw[2];
        switch (kind) {
        case 0: tcg_gen_setcond_i32(c, gw[0], gw[1], y); break;
        case 1: tcg_gen_negsetcond_i32(c, gw[0], gw[1], y); break;
        case 2: tcg_gen_movcond_i32(c, gw[0], gw[1], y, gw[3], gw[1]); break;
        default:
            tcg_gen_movi_i32(gw[0], 1);
            tcg_gen_brcond_i32(c, gw[1], y, l);
            tcg_gen_movi_i32(gw[0], 0);
            gen_set_label(l);
        }
    } else {
        TCGv_i64 y = bconst ? tcg_constant_i64((int64_t)b) : gr[2];
        switch (kind) {
        case 0: tcg_gen_setcond_i64(c, gr[0], gr[1], y); break;
        case 1: tcg_gen_negsetcond_i64(c, gr[0], gr[1], y); break;
        case 2: tcg_gen_movcond_i64(c, gr[0], gr[1], y, gr[3], gr[1]); break;
        default:
            tcg_gen_movi_i64(gr[0], 1);
            tcg_gen_brcond_i64(c, gr[1], y, l);
            tcg_gen_movi_i64(gr[0], 0);
            gen_set_label(l);
        }
    }
    tcg_gen_exit_tb(NULL, 0);
}

TEST_CASE(conditions)
{
    static const char *const kinds[] = { "setcond", "negsetcond", "movcond", "brcond" };
    for (int kind = 0; kind < 4; kind++) {
        for (int c = 0; c < TCG_COND_COUNT; c++) {
            for (int w = 32; w <= 64; w += 32) {
                for (int opt = 0; opt < 2; opt++) {
                    for (int bmode = 0; bmode < 3; bmode++) {   /* reg, immediate, both const */
                        unsigned n = bmode ? 48 : 1200;
                        for (unsigned it = 0; it < n; it++) {
                            uint64_t a, b, v = rnd_value();
                            pick_pair(w, &a, &b);
                            if (bmode == 1 && it % 2) {
                                b = (uint64_t)(int64_t)(int32_t)b;   /* fits the short immediate */
                            }
                            if (bmode || it == 0) {
                                block_start(opt);
                                if (bmode == 2) {
                                    set_in(w, 1, a);
                                    /* a constant too: build with both inputs constant */
                                    TCGLabel *l = kind == 3 ? gen_new_label() : NULL;
                                    if (w == 32) {
                                        TCGv_i32 x = tcg_constant_i32((int32_t)a), y = tcg_constant_i32((int32_t)b);
                                        if (kind == 0) tcg_gen_setcond_i32((TCGCond)c, gw[0], x, y);
                                        if (kind == 1) tcg_gen_negsetcond_i32((TCGCond)c, gw[0], x, y);
                                        if (kind == 2) tcg_gen_movcond_i32((TCGCond)c, gw[0], x, y, gw[3], gw[1]);
                                        if (kind == 3) {
                                            tcg_gen_movi_i32(gw[0], 1);
                                            tcg_gen_brcond_i32((TCGCond)c, x, y, l);
                                            tcg_gen_movi_i32(gw[0], 0);
                                            gen_set_label(l);
                                        }
                                    } else {
                                        TCGv_i64 x = tcg_constant_i64((int64_t)a), y = tcg_constant_i64((int64_t)b);
                                        if (kind == 0) tcg_gen_setcond_i64((TCGCond)c, gr[0], x, y);
                                        if (kind == 1) tcg_gen_negsetcond_i64((TCGCond)c, gr[0], x, y);
                                        if (kind == 2) tcg_gen_movcond_i64((TCGCond)c, gr[0], x, y, gr[3], gr[1]);
                                        if (kind == 3) {
                                            tcg_gen_movi_i64(gr[0], 1);
                                            tcg_gen_brcond_i64((TCGCond)c, x, y, l);
                                            tcg_gen_movi_i64(gr[0], 0);
                                            gen_set_label(l);
                                        }
                                    }
                                    tcg_gen_exit_tb(NULL, 0);
                                } else {
                                    build_cond(kind, (TCGCond)c, w, bmode == 1, b);
                                }
                                CHECK(block_compile() > 0);
                                if (bmode == 2 && opt && kind != 2) {
                                    CHECK(count_ops(INDEX_op_brcond) == 0 && count_ops(INDEX_op_setcond) == 0 &&
                                          count_ops(INDEX_op_negsetcond) == 0);
                                }
                            }
                            set_in(w, 1, a);
                            set_in(w, 2, b);
                            set_in(w, 3, v);
                            set_in(w, 0, 0x1234);
                            block_run();
                            bool t = ref_cond((TCGCond)c, w, a, b);
                            uint64_t want = kind == 0 ? t : kind == 1 ? M(w, t ? ~0ull : 0)
                                          : kind == 2 ? (t ? M(w, v) : M(w, a)) : t;
                            char what[64];
                            snprintf(what, sizeof(what), "%s %s", kinds[kind], tcg_cond_name((TCGCond)c));
                            if (!report(what, w, opt, bmode, a, b, get_out(w, 0), want)) {
                                return;
                            }
                        }
                    }
                }
            }
        }
    }
}

TEST_CASE(double_word_ops)
{
    for (int w = 32; w <= 64; w += 32) {
        for (int opt = 0; opt < 2; opt++) {
            for (int kind = 0; kind < 4; kind++) {   /* mulu2 muls2 add2 sub2 */
                for (int cmode = 0; cmode < 2; cmode++) {
                    unsigned n = cmode ? 40 : 3000;
                    for (unsigned it = 0; it < n; it++) {
                        uint64_t in[4];
                        for (int k = 0; k < 4; k++) {
                            in[k] = M(w, rnd_value());
                        }
                        if (cmode || it == 0) {
                            block_start(opt);
                            if (w == 32) {
                                TCGv_i32 x[4];
                                for (int k = 0; k < 4; k++) {
                                    x[k] = cmode ? tcg_constant_i32((int32_t)in[k]) : gw[k];
                                }
                                TCGv_i32 lo = tcg_temp_new_i32(), hi = tcg_temp_new_i32();
                                if (kind == 0) tcg_gen_mulu2_i32(lo, hi, x[0], x[1]);
                                if (kind == 1) tcg_gen_muls2_i32(lo, hi, x[0], x[1]);
                                if (kind == 2) tcg_gen_add2_i32(lo, hi, x[0], x[1], x[2], x[3]);
                                if (kind == 3) tcg_gen_sub2_i32(lo, hi, x[0], x[1], x[2], x[3]);
                                tcg_gen_extu_i32_i64(gr[0], lo);
                                tcg_gen_extu_i32_i64(gr[1], hi);
                            } else {
                                TCGv_i64 x[4];
                                for (int k = 0; k < 4; k++) {
                                    x[k] = cmode ? tcg_constant_i64((int64_t)in[k]) : gr[2 + k];
                                }
                                if (kind == 0) tcg_gen_mulu2_i64(gr[0], gr[1], x[0], x[1]);
                                if (kind == 1) tcg_gen_muls2_i64(gr[0], gr[1], x[0], x[1]);
                                if (kind == 2) tcg_gen_add2_i64(gr[0], gr[1], x[0], x[1], x[2], x[3]);
                                if (kind == 3) tcg_gen_sub2_i64(gr[0], gr[1], x[0], x[1], x[2], x[3]);
                            }
                            tcg_gen_exit_tb(NULL, 0);
                            CHECK(block_compile() > 0);
                            if (cmode && opt && w == 64) {
                                CHECK_EQ(count_all_ops(), 3);   /* two movs + exit */
                            }
                        }
                        for (int k = 0; k < 4; k++) {
                            if (w == 32) cpu.w[k] = (uint32_t)in[k]; else cpu.r[2 + k] = in[k];
                        }
                        block_run();
                        unsigned __int128 want;
                        if (w == 64) {
                            unsigned __int128 x = (unsigned __int128)in[1] << 64 | in[0];
                            unsigned __int128 y = (unsigned __int128)in[3] << 64 | in[2];
                            want = kind == 0 ? (unsigned __int128)in[0] * in[1]
                                 : kind == 1 ? (unsigned __int128)((__int128)(int64_t)in[0] * (int64_t)in[1])
                                 : kind == 2 ? x + y : x - y;
                            CHECK_EQ(cpu.r[0], (uint64_t)want);
                            CHECK_EQ(cpu.r[1], (uint64_t)(want >> 64));
                        } else {
                            uint64_t x = in[1] << 32 | in[0], y = in[3] << 32 | in[2];
                            uint64_t r = kind == 0 ? in[0] * in[1]
                                       : kind == 1 ? (uint64_t)((int64_t)(int32_t)in[0] * (int32_t)in[1])
                                       : kind == 2 ? x + y : x - y;
                            CHECK_EQ(cpu.r[0], (uint32_t)r);
                            CHECK_EQ(cpu.r[1], r >> 32);
                        }
                    }
                }
            }
        }
    }
}

TEST_CASE(clz_ctz_fallback)
{
    for (int w = 32; w <= 64; w += 32) {
        for (int opt = 0; opt < 2; opt++) {
            for (int kind = 0; kind < 2; kind++) {
                block_start(opt);
                if (w == 32) {
                    (kind ? tcg_gen_ctzi_i32 : tcg_gen_clzi_i32)(gw[0], gw[1], 32);
                } else {
                    (kind ? tcg_gen_ctzi_i64 : tcg_gen_clzi_i64)(gr[0], gr[1], 64);
                }
                tcg_gen_exit_tb(NULL, 0);
                CHECK(block_compile() > 0);
                for (int it = 0; it < 2000; it++) {
                    uint64_t a = it < w ? 1ull << it : it % 7 == 0 ? 0 : rnd_value();
                    set_in(w, 1, a);
                    block_run();
                    uint64_t want = (kind ? ref_ctz : ref_clz)(w, a, (uint64_t)w);
                    if (!report(kind ? "ctzi" : "clzi", w, opt, 0, a, 0, get_out(w, 0), want)) {
                        return;
                    }
                }
            }
        }
    }
}

TEST_CASE(bit_fields_all_positions)
{
    for (int w = 32; w <= 64; w += 32) {
        for (int opt = 0; opt < 2; opt++) {
            for (unsigned pos = 0; pos < (unsigned)w; pos++) {
                for (unsigned len = 1; pos + len <= (unsigned)w; len++) {
                    block_start(opt);
                    if (w == 32) {
                        tcg_gen_deposit_i32(gw[0], gw[1], gw[2], pos, len);
                        tcg_gen_extract_i32(gw[3], gw[1], pos, len);
                        tcg_gen_sextract_i32(gw[2], gw[1], pos, len);
                    } else {
                        tcg_gen_deposit_i64(gr[0], gr[1], gr[2], pos, len);
                        tcg_gen_extract_i64(gr[3], gr[1], pos, len);
                        tcg_gen_sextract_i64(gr[2], gr[1], pos, len);
                    }
                    tcg_gen_exit_tb(NULL, 0);
                    CHECK(block_compile() > 0);
                    for (int it = 0; it < 3; it++) {
                        uint64_t a = M(w, rnd64()), b = M(w, rnd64());
                        set_in(w, 1, a);
                        set_in(w, 2, b);
                        block_run();
                        uint64_t dep = a, ext = 0, sext;
                        for (unsigned i = 0; i < len; i++) {   /* bit by bit */
                            uint64_t bit = (b >> i) & 1;
                            dep = (dep & ~(1ull << (pos + i))) | (bit << (pos + i));
                            ext |= ((a >> (pos + i)) & 1) << i;
                        }
                        sext = ext;
                        if ((ext >> (len - 1)) & 1) {
                            for (unsigned i = len; i < (unsigned)w; i++) {
                                sext |= 1ull << i;
                            }
                        }
                        if (!report("deposit", w, opt, (int)(pos * 100 + len), a, b, get_out(w, 0), dep) ||
                            !report("extract", w, opt, (int)(pos * 100 + len), a, b, get_out(w, 3), ext) ||
                            !report("sextract", w, opt, (int)(pos * 100 + len), a, b, get_out(w, 2), sext)) {
                            return;
                        }
                    }
                }
            }
        }
    }
}

TEST_CASE(host_loads_and_stores)
{
    const intptr_t base = offsetof(TestCPU, scratch);
    for (int opt = 0; opt < 2; opt++) {
        for (int off = 0; off < 8; off++) {
            block_start(opt);
            tcg_gen_ld8u_i64(gr[0], tcg_env, base + off);
            tcg_gen_ld8s_i64(gr[1], tcg_env, base + off);
            tcg_gen_ld16u_i64(gr[2], tcg_env, base + (off & 6));
            tcg_gen_ld16s_i64(gr[3], tcg_env, base + (off & 6));
            tcg_gen_ld32u_i64(gr[4], tcg_env, base + (off & 4));
            tcg_gen_ld32s_i64(gr[5], tcg_env, base + (off & 4));
            tcg_gen_ld_i64(gr[6], tcg_env, base);
            tcg_gen_ld8s_i32(gw[0], tcg_env, base + off);
            tcg_gen_ld16s_i32(gw[1], tcg_env, base + (off & 6));
            tcg_gen_ld_i32(gw[2], tcg_env, base + (off & 4));
            tcg_gen_ld16u_i32(gw[3], tcg_env, base + (off & 6));
            /* stores into scratch[1..3] */
            tcg_gen_st8_i64(gr[7], tcg_env, base + 8 + off);
            tcg_gen_st16_i32(gw[3], tcg_env, base + 16 + (off & 6));
            tcg_gen_st32_i64(gr[7], tcg_env, base + 24 + (off & 4));
            tcg_gen_exit_tb(NULL, 0);
            CHECK(block_compile() > 0);
            for (int it = 0; it < 200; it++) {
                uint64_t v = rnd_value(), x = rnd_value();
                cpu.scratch[0] = v;
                cpu.scratch[1] = cpu.scratch[2] = cpu.scratch[3] = 0;
                cpu.r[7] = x;
                block_run();
                uint8_t b8 = (uint8_t)(v >> (8 * off));
                uint16_t b16 = (uint16_t)(v >> (8 * (off & 6)));
                uint32_t b32 = (uint32_t)(v >> (8 * (off & 4)));
                CHECK_EQ(cpu.r[0], b8);
                CHECK_EQ(cpu.r[1], (uint64_t)(int64_t)(int8_t)b8);
                CHECK_EQ(cpu.r[2], b16);
                CHECK_EQ(cpu.r[3], (uint64_t)(int64_t)(int16_t)b16);
                CHECK_EQ(cpu.r[4], b32);
                CHECK_EQ(cpu.r[5], (uint64_t)(int64_t)(int32_t)b32);
                CHECK_EQ(cpu.r[6], v);
                CHECK_EQ(cpu.w[0], (uint32_t)(int32_t)(int8_t)b8);
                CHECK_EQ(cpu.w[1], (uint32_t)(int32_t)(int16_t)b16);
                CHECK_EQ(cpu.w[2], b32);
                CHECK_EQ(cpu.w[3], b16);
                CHECK_EQ(cpu.scratch[1], (uint64_t)(uint8_t)x << (8 * off));
                CHECK_EQ(cpu.scratch[2], (uint64_t)b16 << (8 * (off & 6)));
                CHECK_EQ(cpu.scratch[3], (uint64_t)(uint32_t)x << (8 * (off & 4)));
            }
        }
    }
}

int main(void)
{
    harness_init();
    RUN(binary_ops);
    RUN(immediate_builders);
    RUN(unary_ops);
    RUN(width_conversions);
    RUN(conditions);
    RUN(double_word_ops);
    RUN(clz_ctz_fallback);
    RUN(bit_fields_all_positions);
    RUN(host_loads_and_stores);
    TEST_EXIT();
}
