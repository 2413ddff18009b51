/*
 * Every IR op, both widths, through the native x86-64 backend and the
 * interpreter on the same inputs: register, immediate, constant and in-place
 * operand forms, optimizer on/off, with and without LZCNT/BMI/POPCNT, and
 * under register pressure (more live values than host registers); 64-bit
 * ops whose result is used zero-extended from 32 bits take 32-bit
 * instructions (checked with capstone) and still compute the same.
 */
#if defined(__x86_64__)
#include <capstone/capstone.h>

#include "x86_64_harness.h"

static const unsigned feature_sets[2] = { TCG_X86_64_ALL, 0 };
static int pressure;       /* live i64 temps held across the op under test */
static bool pressure_tb;   /* TB temps (the block has labels: EBB temps would die there) */
static uint64_t checks;

/* Values kept live around the op: spills, fixed-register evictions. */
static TCGv_i64 press[24];
static void pressure_begin(void)
{
    for (int i = 0; i < pressure; i++) {
        press[i] = pressure_tb ? tcg_temp_new_tb_i64() : tcg_temp_new_i64();
        tcg_gen_addi_i64(press[i], gr[8 + i % 8], i * 7 + 1);
    }
}
static void pressure_end(void)
{
    for (int i = 0; i < pressure; i++) {
        tcg_gen_xor_i64(gr[8 + i % 8], gr[8 + i % 8], press[i]);
    }
}

static void random_state(NCPU *c)
{
    memset(c, 0, sizeof(*c));
    for (int i = 0; i < NG64; i++) {
        c->r[i] = rnd_value();
    }
    for (int i = 0; i < NG32; i++) {
        c->w[i] = (uint32_t)rnd_value();
    }
    for (int i = 0; i < 8; i++) {
        c->scratch[i] = rnd64();
    }
}

static RunResult res_i, res_n;

/* Run both translations from the same state; report the first difference. */
static bool same_run(const char *what, const NCPU *start)
{
    run_one(&tcg_interp_backend, ibuf, &iinfo, start, NULL, &res_i);
    run_one(&tcg_x86_64_backend, nbuf, &ninfo, start, NULL, &res_n);
    checks++;
    bool ok = res_i.ret == res_n.ret && res_i.faulted == res_n.faulted &&
              res_i.mem_hash == res_n.mem_hash &&
              memcmp(res_i.cpu.r, res_n.cpu.r, sizeof(res_i.cpu.r)) == 0 &&
              memcmp(res_i.cpu.w, res_n.cpu.w, sizeof(res_i.cpu.w)) == 0 &&
              memcmp(res_i.cpu.scratch, res_n.cpu.scratch, sizeof(res_i.cpu.scratch)) == 0;
    if (ok) {
        return true;
    }
    printf("FAIL %s: %s: native differs from interp (pressure %d)\n", test_case_name_, what,
           pressure);
    for (int i = 0; i < NG64; i++) {
        if (res_i.cpu.r[i] != res_n.cpu.r[i]) {
            printf("  r%d: in 0x%" PRIx64 " interp 0x%" PRIx64 " native 0x%" PRIx64 "\n", i,
                   start->r[i], res_i.cpu.r[i], res_n.cpu.r[i]);
        }
    }
    for (int i = 0; i < NG32; i++) {
        if (res_i.cpu.w[i] != res_n.cpu.w[i]) {
            printf("  w%d: in 0x%x interp 0x%x native 0x%x\n", i, start->w[i], res_i.cpu.w[i],
                   res_n.cpu.w[i]);
        }
    }
    if (res_i.ret != res_n.ret || res_i.mem_hash != res_n.mem_hash) {
        printf("  ret %lx/%lx mem %s\n", (unsigned long)res_i.ret, (unsigned long)res_n.ret,
               res_i.mem_hash == res_n.mem_hash ? "same" : "differs");
    }
    test_case_failed_ = 1;
    return false;
}

/* ---- binary ops ---- */

enum { K_PLAIN, K_SHIFT, K_DIVS, K_DIVU };
typedef struct BinOp {
    const char *name;
    void (*g32)(TCGv_i32, TCGv_i32, TCGv_i32);
    void (*g64)(TCGv_i64, TCGv_i64, TCGv_i64);
    int kind;
} BinOp;

static const BinOp binops[] = {
    { "add", tcg_gen_add_i32, tcg_gen_add_i64, K_PLAIN },
    { "sub", tcg_gen_sub_i32, tcg_gen_sub_i64, K_PLAIN },
    { "mul", tcg_gen_mul_i32, tcg_gen_mul_i64, K_PLAIN },
    { "and", tcg_gen_and_i32, tcg_gen_and_i64, K_PLAIN },
    { "or", tcg_gen_or_i32, tcg_gen_or_i64, K_PLAIN },
    { "xor", tcg_gen_xor_i32, tcg_gen_xor_i64, K_PLAIN },
    { "andc", tcg_gen_andc_i32, tcg_gen_andc_i64, K_PLAIN },
    { "orc", tcg_gen_orc_i32, tcg_gen_orc_i64, K_PLAIN },
    { "shl", tcg_gen_shl_i32, tcg_gen_shl_i64, K_SHIFT },
    { "shr", tcg_gen_shr_i32, tcg_gen_shr_i64, K_SHIFT },
    { "sar", tcg_gen_sar_i32, tcg_gen_sar_i64, K_SHIFT },
    { "rotl", tcg_gen_rotl_i32, tcg_gen_rotl_i64, K_SHIFT },
    { "rotr", tcg_gen_rotr_i32, tcg_gen_rotr_i64, K_SHIFT },
    { "div", tcg_gen_div_i32, tcg_gen_div_i64, K_DIVS },
    { "divu", tcg_gen_divu_i32, tcg_gen_divu_i64, K_DIVU },
    { "rem", tcg_gen_rem_i32, tcg_gen_rem_i64, K_DIVS },
    { "remu", tcg_gen_remu_i32, tcg_gen_remu_i64, K_DIVU },
    { "clz", tcg_gen_clz_i32, tcg_gen_clz_i64, K_PLAIN },
    { "ctz", tcg_gen_ctz_i32, tcg_gen_ctz_i64, K_PLAIN },
};

static uint64_t M(int w, uint64_t v) { return w == 32 ? (uint32_t)v : v; }
static int64_t S(int w, uint64_t v) { return w == 32 ? (int32_t)v : (int64_t)v; }

/* Division inputs the frontend promises: b != 0, not (MIN, -1). */
static bool div_ok(int kind, int w, uint64_t a, uint64_t b)
{
    if (kind != K_DIVS && kind != K_DIVU) {
        return true;
    }
    if (M(w, b) == 0) {
        return false;
    }
    return kind != K_DIVS || !(S(w, b) == -1 && M(w, a) == M(w, 1ull << (w - 1)));
}

static uint64_t pick_b(int kind, int w, uint64_t a, unsigned it)
{
    for (;;) {
        uint64_t b = rnd_value();
        if (kind == K_SHIFT && it % 4) {
            return it % (2 * w);
        }
        if (div_ok(kind, w, a, b)) {
            return b;
        }
    }
}

/* mode 0: registers; 1: b constant; 2: a constant; 3: both; 4: in place; 5: a op a;
 * 6: inputs are temps that die at the op (copies of globals). */
typedef struct BinCfg { const BinOp *op; int w, mode; uint64_t a, b; } BinCfg;

static void build_bin(void *arg)
{
    const BinCfg *c = arg;
    pressure_begin();
    if (c->w == 32) {
        TCGv_i32 x = c->mode == 2 || c->mode == 3 ? tcg_constant_i32((int32_t)c->a) : gw[1];
        TCGv_i32 y = c->mode == 1 || c->mode == 3 ? tcg_constant_i32((int32_t)c->b)
                   : c->mode == 5 ? x : gw[2];
        if (c->mode == 6) {
            x = tcg_temp_new_i32();
            y = tcg_temp_new_i32();
            tcg_gen_mov_i32(x, gw[1]);
            tcg_gen_mov_i32(y, gw[2]);
        }
        if (c->mode == 4) {
            c->op->g32(gw[1], gw[1], gw[2]);
        } else {
            TCGv_i32 t = tcg_temp_new_i32();
            c->op->g32(t, x, y);
            tcg_gen_mov_i32(gw[0], t);
        }
    } else {
        TCGv_i64 x = c->mode == 2 || c->mode == 3 ? tcg_constant_i64((int64_t)c->a) : gr[1];
        TCGv_i64 y = c->mode == 1 || c->mode == 3 ? tcg_constant_i64((int64_t)c->b)
                   : c->mode == 5 ? x : gr[2];
        if (c->mode == 6) {
            x = tcg_temp_new_i64();
            y = tcg_temp_new_i64();
            tcg_gen_mov_i64(x, gr[1]);
            tcg_gen_mov_i64(y, gr[2]);
        }
        if (c->mode == 4) {
            c->op->g64(gr[1], gr[1], gr[2]);
        } else {
            TCGv_i64 t = tcg_temp_new_i64();
            c->op->g64(t, x, y);
            tcg_gen_mov_i64(gr[0], t);
        }
    }
    pressure_end();
    tcg_gen_exit_tb(NULL, 0);
}

static bool run_binop(const BinOp *op, int w, int opt, int mode)
{
    bool once = mode == 0 || mode >= 4;
    unsigned n = once ? 250 : 20;
    BinCfg c = { op, w, mode, 0, 0 };
    NCPU st;
    for (unsigned it = 0; it < n; it++) {
        random_state(&st);
        uint64_t a = st.r[1], b;
        if (w == 32) {
            a = st.w[1];
        }
        if (mode == 5) {
            if (!div_ok(op->kind, w, a, a)) {
                continue;
            }
            b = a;
        } else {
            b = pick_b(op->kind, w, a, it);
        }
        if (w == 32) {
            st.w[1] = (uint32_t)a;
            st.w[2] = (uint32_t)b;
        } else {
            st.r[1] = a;
            st.r[2] = b;
        }
        if (!once || it == 0) {
            c.a = a;
            c.b = b;
            if (!diff_compile(build_bin, &c, opt)) {
                printf("FAIL %s: %s i%d mode %d: compile\n", test_case_name_, op->name, w, mode);
                test_case_failed_ = 1;
                return false;
            }
        }
        char what[96];
        snprintf(what, sizeof(what), "%s i%d opt=%d mode=%d a=0x%" PRIx64 " b=0x%" PRIx64,
                 op->name, w, opt, mode, a, b);
        if (!same_run(what, &st)) {
            return false;
        }
    }
    return true;
}

TEST_CASE(binary_ops)
{
    for (int f = 0; f < 2; f++) {
        tcg_x86_64_set_feature_mask(feature_sets[f]);
        for (size_t i = 0; i < sizeof(binops) / sizeof(binops[0]); i++) {
            for (int w = 32; w <= 64; w += 32) {
                for (int opt = 0; opt < 2; opt++) {
                    for (int mode = 0; mode < 7; mode++) {
                        if (!run_binop(&binops[i], w, opt, mode)) {
                            tcg_x86_64_set_feature_mask(TCG_X86_64_ALL);
                            return;
                        }
                    }
                }
            }
        }
    }
    tcg_x86_64_set_feature_mask(TCG_X86_64_ALL);
}

TEST_CASE(binary_ops_under_register_pressure)
{
    for (int f = 0; f < 2; f++) {
        tcg_x86_64_set_feature_mask(feature_sets[f]);
        for (pressure = 8; pressure <= 20; pressure += 12) {
            for (size_t i = 0; i < sizeof(binops) / sizeof(binops[0]); i++) {
                for (int w = 32; w <= 64; w += 32) {
                    for (int mode = 0; mode < 7; mode++) {
                        if (!run_binop(&binops[i], w, 1, mode)) {
                            pressure = 0;
                            tcg_x86_64_set_feature_mask(TCG_X86_64_ALL);
                            return;
                        }
                    }
                }
            }
        }
    }
    pressure = 0;
    tcg_x86_64_set_feature_mask(TCG_X86_64_ALL);
}

/* ---- unary ops and conversions ---- */

typedef struct UnOp {
    const char *name;
    void (*g32)(TCGv_i32, TCGv_i32);
    void (*g64)(TCGv_i64, TCGv_i64);
} UnOp;

static const UnOp unops[] = {
    { "not", tcg_gen_not_i32, tcg_gen_not_i64 },
    { "neg", tcg_gen_neg_i32, tcg_gen_neg_i64 },
    { "ext8s", tcg_gen_ext8s_i32, tcg_gen_ext8s_i64 },
    { "ext8u", tcg_gen_ext8u_i32, tcg_gen_ext8u_i64 },
    { "ext16s", tcg_gen_ext16s_i32, tcg_gen_ext16s_i64 },
    { "ext16u", tcg_gen_ext16u_i32, tcg_gen_ext16u_i64 },
    { "ext32s", NULL, tcg_gen_ext32s_i64 },
    { "ext32u", NULL, tcg_gen_ext32u_i64 },
    { "bswap16", tcg_gen_bswap16_i32, tcg_gen_bswap16_i64 },
    { "bswap32", tcg_gen_bswap32_i32, tcg_gen_bswap32_i64 },
    { "bswap64", NULL, tcg_gen_bswap64_i64 },
    { "ctpop", tcg_gen_ctpop_i32, tcg_gen_ctpop_i64 },
};

/* mode 0: global in; 1: constant in; 2: in place; 3: dying temp in, result kept in the temp */
typedef struct UnCfg { const UnOp *op; int w, mode; uint64_t a; } UnCfg;

static void build_un(void *arg)
{
    const UnCfg *c = arg;
    pressure_begin();
    if (c->w == 32) {
        if (c->mode == 2) {
            c->op->g32(gw[1], gw[1]);
        } else if (c->mode == 3) {
            TCGv_i32 t = tcg_temp_new_i32();
            tcg_gen_mov_i32(t, gw[1]);
            c->op->g32(t, t);
            tcg_gen_mov_i32(gw[0], t);
        } else {
            c->op->g32(gw[0], c->mode ? tcg_constant_i32((int32_t)c->a) : gw[1]);
        }
    } else {
        if (c->mode == 2) {
            c->op->g64(gr[1], gr[1]);
        } else if (c->mode == 3) {
            TCGv_i64 t = tcg_temp_new_i64();
            tcg_gen_mov_i64(t, gr[1]);
            c->op->g64(t, t);
            tcg_gen_mov_i64(gr[0], t);
        } else {
            c->op->g64(gr[0], c->mode ? tcg_constant_i64((int64_t)c->a) : gr[1]);
        }
    }
    pressure_end();
    tcg_gen_exit_tb(NULL, 0);
}

TEST_CASE(unary_ops)
{
    for (int f = 0; f < 2; f++) {
        tcg_x86_64_set_feature_mask(feature_sets[f]);
        for (size_t i = 0; i < sizeof(unops) / sizeof(unops[0]); i++) {
            for (int w = 32; w <= 64; w += 32) {
                if (w == 32 && !unops[i].g32) {
                    continue;
                }
                for (int opt = 0; opt < 2; opt++) {
                    for (int mode = 0; mode < 4; mode++) {
                        for (pressure = 0; pressure <= 16; pressure += 16) {
                            UnCfg c = { &unops[i], w, mode, 0 };
                            unsigned n = mode == 1 ? 15 : 150;
                            for (unsigned it = 0; it < n; it++) {
                                NCPU st;
                                random_state(&st);
                                c.a = w == 32 ? st.w[1] : st.r[1];
                                if (mode == 1 || it == 0) {
                                    CHECK(diff_compile(build_un, &c, opt));
                                }
                                char what[80];
                                snprintf(what, sizeof(what), "%s i%d opt=%d mode=%d a=0x%" PRIx64,
                                         unops[i].name, w, opt, mode, c.a);
                                if (!same_run(what, &st)) {
                                    pressure = 0;
                                    tcg_x86_64_set_feature_mask(TCG_X86_64_ALL);
                                    return;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    pressure = 0;
    tcg_x86_64_set_feature_mask(TCG_X86_64_ALL);
}

static void build_conv(void *arg)
{
    int mode = *(int *)arg;
    if (mode == 0) {
        tcg_gen_extrl_i64_i32(gw[0], gr[1]);
        tcg_gen_extrh_i64_i32(gw[1], gr[1]);
        tcg_gen_extu_i32_i64(gr[2], gw[2]);
        tcg_gen_exts_i32_i64(gr[3], gw[2]);
        tcg_gen_concat_i32_i64(gr[4], gw[2], gw[3]);
        tcg_gen_concat_i32_i64(gr[5], gw[4], gw[4]);
    } else {   /* through dying temps, results reused as inputs */
        TCGv_i32 a = tcg_temp_new_i32(), b = tcg_temp_new_i32();
        TCGv_i64 x = tcg_temp_new_i64(), y = tcg_temp_new_i64();
        tcg_gen_extrh_i64_i32(a, gr[1]);
        tcg_gen_extrl_i64_i32(b, gr[1]);
        tcg_gen_concat_i32_i64(x, a, b);
        tcg_gen_exts_i32_i64(y, a);
        tcg_gen_add_i64(gr[2], x, y);
        tcg_gen_extu_i32_i64(x, b);
        tcg_gen_mov_i64(gr[3], x);
        tcg_gen_extrl_i64_i32(gw[0], gr[3]);
        tcg_gen_extu_i32_i64(gr[6], gw[0]);
    }
    tcg_gen_exit_tb(NULL, 0);
}

TEST_CASE(width_conversions)
{
    for (int opt = 0; opt < 2; opt++) {
        for (int mode = 0; mode < 2; mode++) {
            CHECK(diff_compile(build_conv, &mode, opt));
            for (int it = 0; it < 500; it++) {
                NCPU st;
                random_state(&st);
                if (!same_run(mode ? "conversions via temps" : "conversions", &st)) {
                    return;
                }
            }
        }
    }
}

/* ---- comparisons ---- */

/* kind 0 setcond, 1 negsetcond, 2 movcond, 3 brcond, 4/5 movcond with other register
 * reuse (the dying value is v1 / none dies), 6/7 setcond/negsetcond with inputs live
 * after, 8/9 setcond/negsetcond only branched on (fused); bmode 0 reg, 1 imm, 2 both const,
 * 3 a constant only, 4 same temp twice. */
typedef struct CondCfg { int kind, w, bmode; TCGCond c; uint64_t a, b; } CondCfg;

static void build_cond(void *arg)
{
    const CondCfg *k = arg;
    TCGLabel *l = k->kind == 3 || k->kind >= 8 ? gen_new_label() : NULL;
    pressure_tb = l != NULL;
    pressure_begin();
    if (k->w == 32) {
        TCGv_i32 x = k->bmode >= 2 && k->bmode <= 3 ? tcg_constant_i32((int32_t)k->a) : gw[1];
        TCGv_i32 y = k->bmode == 1 || k->bmode == 2 ? tcg_constant_i32((int32_t)k->b)
                   : k->bmode == 4 ? x : gw[2];
        switch (k->kind) {
        case 0: tcg_gen_setcond_i32(k->c, gw[0], x, y); break;
        case 1: tcg_gen_negsetcond_i32(k->c, gw[0], x, y); break;
        case 2: tcg_gen_movcond_i32(k->c, gw[0], x, y, gw[3], gw[1]); break;
        case 4: {   /* v1 dies here, v2 lives on: the result takes v1's register */
            TCGv_i32 t = tcg_temp_new_i32();
            tcg_gen_addi_i32(t, gw[3], 5);
            tcg_gen_movcond_i32(k->c, gw[0], x, y, t, gw[4]);
            tcg_gen_addi_i32(gw[5], gw[4], 1);
            break;
        }
        case 5:     /* both values live on: a fresh register */
            tcg_gen_movcond_i32(k->c, gw[0], x, y, gw[3], gw[4]);
            tcg_gen_add_i32(gw[5], gw[3], gw[4]);
            break;
        case 6:     /* inputs live on: the result needs a fresh (pre-zeroed) register */
        case 7:
            (k->kind == 6 ? tcg_gen_setcond_i32 : tcg_gen_negsetcond_i32)(k->c, gw[0], x, y);
            tcg_gen_add_i32(gw[5], x, y);
            break;
        case 8:     /* a flag only branched on: compare and branch fused */
        case 9: {
            TCGv_i32 t = tcg_temp_new_i32();
            tcg_gen_movi_i32(gw[0], 1);
            (k->kind == 8 ? tcg_gen_setcond_i32 : tcg_gen_negsetcond_i32)(k->c, t, x, y);
            tcg_gen_brcondi_i32(k->kind == 8 ? TCG_COND_NE : TCG_COND_EQ, t, 0, l);
            tcg_gen_movi_i32(gw[0], 0);
            gen_set_label(l);
            break;
        }
        default:
            tcg_gen_movi_i32(gw[0], 1);
            tcg_gen_brcond_i32(k->c, x, y, l);
            tcg_gen_movi_i32(gw[0], 0);
            gen_set_label(l);
        }
    } else {
        TCGv_i64 x = k->bmode >= 2 && k->bmode <= 3 ? tcg_constant_i64((int64_t)k->a) : gr[1];
        TCGv_i64 y = k->bmode == 1 || k->bmode == 2 ? tcg_constant_i64((int64_t)k->b)
                   : k->bmode == 4 ? x : gr[2];
        switch (k->kind) {
        case 0: tcg_gen_setcond_i64(k->c, gr[0], x, y); break;
        case 1: tcg_gen_negsetcond_i64(k->c, gr[0], x, y); break;
        case 2: tcg_gen_movcond_i64(k->c, gr[0], x, y, gr[3], gr[1]); break;
        case 4: {
            TCGv_i64 t = tcg_temp_new_i64();
            tcg_gen_addi_i64(t, gr[3], 5);
            tcg_gen_movcond_i64(k->c, gr[0], x, y, t, gr[4]);
            tcg_gen_addi_i64(gr[5], gr[4], 1);
            break;
        }
        case 5:
            tcg_gen_movcond_i64(k->c, gr[0], x, y, gr[3], gr[4]);
            tcg_gen_add_i64(gr[5], gr[3], gr[4]);
            break;
        case 6:
        case 7:
            (k->kind == 6 ? tcg_gen_setcond_i64 : tcg_gen_negsetcond_i64)(k->c, gr[0], x, y);
            tcg_gen_add_i64(gr[5], x, y);
            break;
        case 8:
        case 9: {
            TCGv_i64 t = tcg_temp_new_i64();
            tcg_gen_movi_i64(gr[0], 1);
            (k->kind == 8 ? tcg_gen_setcond_i64 : tcg_gen_negsetcond_i64)(k->c, t, x, y);
            tcg_gen_brcondi_i64(k->kind == 8 ? TCG_COND_NE : TCG_COND_EQ, t, 0, l);
            tcg_gen_movi_i64(gr[0], 0);
            gen_set_label(l);
            break;
        }
        default:
            tcg_gen_movi_i64(gr[0], 1);
            tcg_gen_brcond_i64(k->c, x, y, l);
            tcg_gen_movi_i64(gr[0], 0);
            gen_set_label(l);
        }
    }
    pressure_end();
    pressure_tb = false;
    tcg_gen_exit_tb(NULL, 0);
}

static void pick_pair(int w, uint64_t *a, uint64_t *b)
{
    uint64_t r = rnd64() & 7;
    *a = rnd_value();
    switch (r) {
    case 0: *b = *a; break;
    case 1: *b = *a + 1; break;
    case 2: *b = *a - 1; break;
    case 3: *b = M(w, 1ull << (w - 1)); break;
    default: *b = rnd_value(); break;
    }
    if (r & 1) {
        uint64_t t = *a;
        *a = *b;
        *b = t;
    }
}

TEST_CASE(conditions)
{
    for (int kind = 0; kind < 10; kind++) {
        for (int c = 0; c < TCG_COND_COUNT; c++) {
            for (int w = 32; w <= 64; w += 32) {
                for (int opt = 0; opt < 2; opt++) {
                    for (int bmode = 0; bmode < 5; bmode++) {
                        for (pressure = 0; pressure <= 18; pressure += 18) {
                            if (pressure && opt == 0) {
                                continue;
                            }
                            CondCfg k = { kind, w, bmode, (TCGCond)c, 0, 0 };
                            bool once = bmode == 0 || bmode == 4;
                            unsigned n = once ? 100 : 12;
                            for (unsigned it = 0; it < n; it++) {
                                NCPU st;
                                random_state(&st);
                                uint64_t a, b;
                                pick_pair(w, &a, &b);
                                if (it % 3 == 1) {
                                    b = (uint64_t)(int64_t)(int32_t)b;   /* short immediate */
                                }
                                if (it % 5 == 2) {
                                    b = 0;
                                }
                                if (w == 32) {
                                    st.w[1] = (uint32_t)a;
                                    st.w[2] = (uint32_t)b;
                                } else {
                                    st.r[1] = a;
                                    st.r[2] = b;
                                }
                                if (!once || it == 0) {
                                    k.a = a;
                                    k.b = b;
                                    CHECK(diff_compile(build_cond, &k, opt));
                                }
                                char what[96];
                                snprintf(what, sizeof(what), "kind %d %s i%d opt=%d bmode=%d",
                                         kind, tcg_cond_name((TCGCond)c), w, opt, bmode);
                                if (!same_run(what, &st)) {
                                    pressure = 0;
                                    return;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    pressure = 0;
}

/* ---- double-word ops ---- */

typedef struct DwCfg { int w, kind, cmode; uint64_t in[4]; } DwCfg;

static void build_dw(void *arg)
{
    const DwCfg *d = arg;
    pressure_begin();
    if (d->w == 32) {
        TCGv_i32 x[4];
        for (int k = 0; k < 4; k++) {
            x[k] = d->cmode == 1 ? tcg_constant_i32((int32_t)d->in[k])
                 : d->cmode == 2 && k >= 2 ? tcg_constant_i32((int32_t)d->in[k])
                 : d->cmode == 3 ? gw[k & 1] : gw[k];
        }
        TCGv_i32 lo = tcg_temp_new_i32(), hi = tcg_temp_new_i32();
        if (d->kind == 0) tcg_gen_mulu2_i32(lo, hi, x[0], x[1]);
        if (d->kind == 1) tcg_gen_muls2_i32(lo, hi, x[0], x[1]);
        if (d->kind == 2) tcg_gen_add2_i32(lo, hi, x[0], x[1], x[2], x[3]);
        if (d->kind == 3) tcg_gen_sub2_i32(lo, hi, x[0], x[1], x[2], x[3]);
        tcg_gen_extu_i32_i64(gr[0], lo);
        tcg_gen_extu_i32_i64(gr[1], hi);
    } else {
        TCGv_i64 x[4];
        for (int k = 0; k < 4; k++) {
            x[k] = d->cmode == 1 ? tcg_constant_i64((int64_t)d->in[k])
                 : d->cmode == 2 && k >= 2 ? tcg_constant_i64((int64_t)d->in[k])
                 : d->cmode == 3 ? gr[2 + (k & 1)] : gr[2 + k];
        }
        if (d->cmode == 4) {   /* outputs overwrite inputs */
            if (d->kind == 0) tcg_gen_mulu2_i64(gr[2], gr[3], x[0], x[1]);
            if (d->kind == 1) tcg_gen_muls2_i64(gr[3], gr[2], x[0], x[1]);
            if (d->kind == 2) tcg_gen_add2_i64(gr[2], gr[3], x[0], x[1], x[2], x[3]);
            if (d->kind == 3) tcg_gen_sub2_i64(gr[5], gr[4], x[0], x[1], x[2], x[3]);
        } else {
            if (d->kind == 0) tcg_gen_mulu2_i64(gr[0], gr[1], x[0], x[1]);
            if (d->kind == 1) tcg_gen_muls2_i64(gr[0], gr[1], x[0], x[1]);
            if (d->kind == 2) tcg_gen_add2_i64(gr[0], gr[1], x[0], x[1], x[2], x[3]);
            if (d->kind == 3) tcg_gen_sub2_i64(gr[0], gr[1], x[0], x[1], x[2], x[3]);
        }
    }
    pressure_end();
    tcg_gen_exit_tb(NULL, 0);
}

TEST_CASE(double_word_ops)
{
    for (int w = 32; w <= 64; w += 32) {
        for (int opt = 0; opt < 2; opt++) {
            for (int kind = 0; kind < 4; kind++) {
                for (int cmode = 0; cmode < 5; cmode++) {
                    for (pressure = 0; pressure <= 18; pressure += 18) {
                        DwCfg d = { w, kind, cmode, { 0 } };
                        bool once = cmode != 1 && cmode != 2;
                        unsigned n = once ? 200 : 15;
                        for (unsigned it = 0; it < n; it++) {
                            NCPU st;
                            random_state(&st);
                            for (int k = 0; k < 4; k++) {
                                d.in[k] = w == 32 ? st.w[k] : st.r[2 + k];
                            }
                            if (!once || it == 0) {
                                CHECK(diff_compile(build_dw, &d, opt));
                            }
                            char what[64];
                            snprintf(what, sizeof(what), "kind %d i%d opt=%d cmode=%d", kind, w, opt,
                                     cmode);
                            if (!same_run(what, &st)) {
                                pressure = 0;
                                return;
                            }
                        }
                    }
                }
            }
        }
    }
    pressure = 0;
}

/* ---- clz/ctz with the width fallback (LZCNT/TZCNT semantics) ---- */

typedef struct ClzCfg { int w, kind, bmode; uint64_t b; } ClzCfg;

static void build_clz(void *arg)
{
    const ClzCfg *k = arg;
    if (k->w == 32) {
        TCGv_i32 b = k->bmode == 0 ? tcg_constant_i32((int32_t)k->b) : k->bmode == 1 ? gw[2] : gw[1];
        (k->kind ? tcg_gen_ctz_i32 : tcg_gen_clz_i32)(gw[0], gw[1], b);
    } else {
        TCGv_i64 b = k->bmode == 0 ? tcg_constant_i64((int64_t)k->b) : k->bmode == 1 ? gr[2] : gr[1];
        (k->kind ? tcg_gen_ctz_i64 : tcg_gen_clz_i64)(gr[0], gr[1], b);
    }
    tcg_gen_exit_tb(NULL, 0);
}

TEST_CASE(clz_ctz_fallback)
{
    for (int f = 0; f < 2; f++) {
        tcg_x86_64_set_feature_mask(feature_sets[f]);
        for (int w = 32; w <= 64; w += 32) {
            for (int kind = 0; kind < 2; kind++) {
                for (int bmode = 0; bmode < 3; bmode++) {
                    for (int bw = 0; bw < 3; bw++) {
                        ClzCfg k = { w, kind, bmode, bw == 0 ? (uint64_t)w : bw == 1 ? 0 : 12345 };
                        CHECK(diff_compile(build_clz, &k, true));
                        for (int it = 0; it < 100 + w; it++) {
                            NCPU st;
                            random_state(&st);
                            uint64_t a = it < w ? 1ull << it : it % 5 == 0 ? 0 : rnd_value();
                            if (w == 32) {
                                st.w[1] = (uint32_t)a;
                            } else {
                                st.r[1] = a;
                            }
                            if (!same_run(kind ? "ctz" : "clz", &st)) {
                                tcg_x86_64_set_feature_mask(TCG_X86_64_ALL);
                                return;
                            }
                        }
                    }
                }
            }
        }
    }
    tcg_x86_64_set_feature_mask(TCG_X86_64_ALL);
}

/* ---- bit fields ---- */

typedef struct FieldCfg { int w; unsigned pos, len; int mode; uint64_t b; } FieldCfg;

static void build_field(void *arg)
{
    const FieldCfg *k = arg;
    if (k->w == 32) {
        TCGv_i32 b = k->mode == 1 ? tcg_constant_i32((int32_t)k->b) : k->mode == 2 ? gw[1] : gw[2];
        tcg_gen_deposit_i32(gw[0], gw[1], b, k->pos, k->len);
        tcg_gen_extract_i32(gw[3], gw[1], k->pos, k->len);
        tcg_gen_sextract_i32(gw[4], gw[1], k->pos, k->len);
        tcg_gen_deposit_i32(gw[5], tcg_constant_i32(0), gw[2], k->pos, k->len);
        tcg_gen_deposit_i32(gw[6], gw[6], gw[2], k->pos, k->len);
    } else {
        TCGv_i64 b = k->mode == 1 ? tcg_constant_i64((int64_t)k->b) : k->mode == 2 ? gr[1] : gr[2];
        tcg_gen_deposit_i64(gr[0], gr[1], b, k->pos, k->len);
        tcg_gen_extract_i64(gr[3], gr[1], k->pos, k->len);
        tcg_gen_sextract_i64(gr[4], gr[1], k->pos, k->len);
        tcg_gen_deposit_i64(gr[5], tcg_constant_i64(0), gr[2], k->pos, k->len);
        tcg_gen_deposit_i64(gr[6], gr[6], gr[2], k->pos, k->len);
    }
    tcg_gen_exit_tb(NULL, 0);
}

TEST_CASE(bit_fields_all_positions)
{
    for (int w = 32; w <= 64; w += 32) {
        for (unsigned pos = 0; pos < (unsigned)w; pos++) {
            for (unsigned len = 1; pos + len <= (unsigned)w; len++) {
                for (int mode = 0; mode < 3; mode++) {
                    FieldCfg k = { w, pos, len, mode, rnd_value() };
                    CHECK(diff_compile(build_field, &k, (pos + len) & 1));
                    for (int it = 0; it < 3; it++) {
                        NCPU st;
                        random_state(&st);
                        char what[64];
                        snprintf(what, sizeof(what), "bit fields i%d pos %u len %u mode %d", w, pos,
                                 len, mode);
                        if (!same_run(what, &st)) {
                            return;
                        }
                    }
                }
            }
        }
    }
}

/* ---- host loads and stores ---- */

static void build_host_ldst(void *arg)
{
    int off = *(int *)arg;
    const intptr_t base = offsetof(NCPU, scratch);
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
    tcg_gen_ld8u_i32(gw[4], tcg_env, base + off);
    tcg_gen_st8_i64(gr[7], tcg_env, base + 8 + off);
    tcg_gen_st16_i32(gw[3], tcg_env, base + 16 + (off & 6));
    tcg_gen_st32_i64(gr[7], tcg_env, base + 24 + (off & 4));
    tcg_gen_st_i64(gr[8], tcg_env, base + 32);
    tcg_gen_st_i32(gw[5], tcg_env, base + 40 + (off & 4));
    tcg_gen_st8_i32(tcg_constant_i32(0x1234 + off), tcg_env, base + 48 + off);
    tcg_gen_st16_i64(tcg_constant_i64(-3 - off), tcg_env, base + 56 + (off & 6));
    tcg_gen_st_i64(tcg_constant_i64(0x123456789abcdefll + off), tcg_env, base + 8);
    /* through a pointer temp instead of env */
    TCGv_ptr p = tcg_temp_new_ptr();
    tcg_gen_addi_i64(p, tcg_env, base);
    tcg_gen_ld_i64(gr[9], p, 8 * (off & 3));
    tcg_gen_st_i64(gr[10], p, 40);
    tcg_gen_exit_tb(NULL, 0);
}

TEST_CASE(host_loads_and_stores)
{
    for (int opt = 0; opt < 2; opt++) {
        for (int off = 0; off < 8; off++) {
            CHECK(diff_compile(build_host_ldst, &off, opt));
            for (int it = 0; it < 50; it++) {
                NCPU st;
                random_state(&st);
                if (!same_run("host ld/st", &st)) {
                    return;
                }
            }
        }
    }
}

/* ---- 64-bit ops whose result is only used zero-extended from 32 bits ---- */

enum { NW_ADD, NW_SUB, NW_MUL, NW_AND, NW_OR, NW_XOR, NW_SHL, NW_NOT, NW_NEG, NW_COUNT };
static const char *const nw_names[NW_COUNT] = { "add", "sub", "mul", "and", "or", "xor",
                                                "shl", "not", "neg" };

/* shape 0: op t, r1, r2; ext32u r0, t (t dies: computed in 32 bits)
 * shape 1: the same with an immediate (shl: counts 0-40, 32 and up must not
 *          take the 32-bit form, which counts modulo 32)
 * shape 2: ext32u t, t in place, then r0 = t
 * shape 3: t is also stored whole afterwards (not narrowed)
 * shape 4: t is a global (not narrowed) */
typedef struct NwCfg { int op, shape; int64_t imm; } NwCfg;

static void nw_op(int op, TCGv_i64 t, TCGv_i64 a, TCGv_i64 b)
{
    switch (op) {
    case NW_ADD: tcg_gen_add_i64(t, a, b); break;
    case NW_SUB: tcg_gen_sub_i64(t, a, b); break;
    case NW_MUL: tcg_gen_mul_i64(t, a, b); break;
    case NW_AND: tcg_gen_and_i64(t, a, b); break;
    case NW_OR:  tcg_gen_or_i64(t, a, b); break;
    case NW_XOR: tcg_gen_xor_i64(t, a, b); break;
    case NW_SHL: tcg_gen_shl_i64(t, a, b); break;
    case NW_NOT: tcg_gen_not_i64(t, a); break;
    default:     tcg_gen_neg_i64(t, a); break;
    }
}

static void build_narrow(void *arg)
{
    const NwCfg *c = arg;
    TCGv_i64 b = c->shape == 1 || c->op == NW_SHL ? tcg_constant_i64(c->imm) : gr[2];
    TCGv_i64 t = c->shape == 4 ? gr[5] : tcg_temp_new_i64();
    nw_op(c->op, t, gr[1], b);
    if (c->shape == 2) {
        tcg_gen_ext32u_i64(t, t);
        tcg_gen_mov_i64(gr[0], t);
    } else {
        tcg_gen_ext32u_i64(gr[0], t);
    }
    if (c->shape == 3) {
        tcg_gen_mov_i64(gr[3], t);
    }
    tcg_gen_exit_tb(NULL, 0);
}

/* The operand width of the first instruction named mnemonic in the native
 * block (4 or 8), 0 when there is none. */
static int native_op_width(const char *mnemonic)
{
    csh cs;
    cs_insn *insn;
    int width = 0;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
        return -1;
    }
    size_t n = cs_disasm(cs, nbuf, ninfo.code_size, 0x1000, 0, &insn);
    for (size_t i = 0; i < n && !width; i++) {
        if (strcmp(insn[i].mnemonic, mnemonic) == 0) {
            const char *o = insn[i].op_str;
            size_t len = strcspn(o, ",");
            /* eax..edi, r8d..r15d are 32-bit; rax..r15 64-bit */
            width = o[0] == 'e' || (len > 0 && o[len - 1] == 'd') ? 4 : 8;
        }
    }
    if (n) {
        cs_free(insn, n);
    }
    cs_close(&cs);
    return width;
}

TEST_CASE(narrowed_64bit_ops)
{
    static const char *const insn_of[NW_COUNT] = { "add", "sub", "imul", "and", "or", "xor",
                                                   "shl", "not", "neg" };
    for (int op = 0; op < NW_COUNT; op++) {
        for (int shape = 0; shape < 5; shape++) {
            int nimm = shape == 1 || op == NW_SHL ? 41 : 1;
            for (int k = 0; k < nimm; k++) {
                NwCfg c = { op, shape, op == NW_SHL ? k : (int64_t)0xfedcba9887654321ull + k * 77 };
                if (shape == 1 && op != NW_SHL) {
                    c.imm = k < 20 ? k * 0x1234567 - 5 : (int64_t)rnd64();
                }
                for (int opt = 0; opt < 2; opt++) {
                    CHECK(diff_compile(build_narrow, &c, opt));
                    /* No optimizer: the pair reaches the backend as built. */
                    if (!opt && shape == 0 && (op != NW_SHL || k == 5)) {
                        if (native_op_width(insn_of[op]) != 4) {
                            printf("FAIL %s: %s not computed in 32 bits\n", test_case_name_,
                                   nw_names[op]);
                            test_case_failed_ = 1;
                            return;
                        }
                    }
                    if (!opt && (shape == 3 || shape == 4 || (op == NW_SHL && k >= 32)) &&
                        native_op_width(insn_of[op]) == 4) {
                        printf("FAIL %s: %s shape %d imm %d narrowed\n", test_case_name_,
                               nw_names[op], shape, k);
                        test_case_failed_ = 1;
                        return;
                    }
                    for (int it = 0; it < 20; it++) {
                        NCPU st;
                        random_state(&st);
                        char what[80];
                        snprintf(what, sizeof(what), "%s shape %d imm %d opt %d", nw_names[op],
                                 shape, k, opt);
                        if (!same_run(what, &st)) {
                            return;
                        }
                    }
                }
            }
        }
    }
}

int main(void)
{
    nharness_init();
    RUN(binary_ops);
    RUN(binary_ops_under_register_pressure);
    RUN(unary_ops);
    RUN(width_conversions);
    RUN(conditions);
    RUN(double_word_ops);
    RUN(clz_ctz_fallback);
    RUN(bit_fields_all_positions);
    RUN(host_loads_and_stores);
    RUN(narrowed_64bit_ops);
    printf("# %" PRIu64 " differential runs\n", checks);
    TEST_EXIT();
}

#else   /* the native backend exists only on x86-64 hosts */
#include <stdio.h>

int main(void)
{
    printf("SKIP x86_64_ops_test: not an x86-64 host\n");
    return 0;
}
#endif
