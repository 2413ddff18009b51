/*
 * The optimizer: random programs give the same CPU state and memory under an
 * IR-walking reference evaluator, unoptimized and optimized; constant expressions fold to one mov; copies propagate; identities,
 * branch folding, unreachable code, dead results and unused PURE calls go;
 * extensions of values known narrow become copies, extracts of them shifts;
 * repeated pure ops fold.
 */
#include "harness.h"

/* ---- helpers used by the programs ---- */

#define TEST_HELPERS(H) \
    H(mix, TCG_CALL_PURE | TCG_CALL_NO_GLOBALS, i64, i64, i64) \
    H(mix_raise, TCG_CALL_PURE | TCG_CALL_NO_GLOBALS | TCG_CALL_MAY_RAISE, i64, i64, i64) \
    H(count, TCG_CALL_NO_GLOBALS, void, env) \
    H(sum_state, TCG_CALL_NO_WRITE_GLOBALS, i64, env) \
    H(poke_state, 0, void, env, i64) \
    H(half, TCG_CALL_PURE | TCG_CALL_NO_GLOBALS, i32, i32)
TEST_HELPERS(TCG_HELPER_DECLARE)
TEST_HELPERS(TCG_HELPER_DEFINE)

static unsigned helper_calls;

uint64_t helper_mix(uint64_t a, uint64_t b) { helper_calls++; return a * 31 + (b ^ (b >> 7)); }
uint64_t helper_mix_raise(uint64_t a, uint64_t b) { helper_calls++; return a - b; }
void helper_count(void *env) { ((TestCPU *)env)->seen[7]++; helper_calls++; }
uint64_t helper_sum_state(void *env)
{
    TestCPU *c = env;
    uint64_t s = 0;
    for (int i = 0; i < 8; i++) {
        s = s * 3 + c->r[i];
    }
    for (int i = 0; i < 4; i++) {
        s = s * 5 + c->w[i];
    }
    return s;
}
void helper_poke_state(void *env, uint64_t v)
{
    TestCPU *c = env;
    c->r[(v >> 3) & 7] = v * 7 + 1;
    c->w[v & 3] = (uint32_t)(v >> 5);
}
uint32_t helper_half(uint32_t v) { return v / 2; }

/* ---- random programs ---- */

typedef struct Gen {
    uint64_t s;
    TCGv_i64 p64[16];
    TCGv_i32 p32[10];
    int n64, n32;
    int first_dst64, first_dst32;   /* pools: [0, first_dst) may also be constants */
} Gen;

static uint64_t grand(Gen *g)
{
    g->s ^= g->s << 13;
    g->s ^= g->s >> 7;
    g->s ^= g->s << 17;
    return g->s;
}

static uint64_t gconst(Gen *g)
{
    static const uint64_t k[] = { 0, 1, 2, 31, 63, 0xff, 0x80000000, 0xffffffff, ~0ull, 0x8000000000000000ull };
    return grand(g) % 3 ? k[grand(g) % 10] : grand(g);
}

static TCGv_i64 src64(Gen *g)
{
    if (grand(g) % 5 == 0) {
        return tcg_constant_i64((int64_t)gconst(g));
    }
    return g->p64[grand(g) % g->n64];
}

static TCGv_i32 src32(Gen *g)
{
    if (grand(g) % 5 == 0) {
        return tcg_constant_i32((int32_t)gconst(g));
    }
    return g->p32[grand(g) % g->n32];
}

static TCGv_i64 dst64(Gen *g) { return g->p64[grand(g) % g->n64]; }
static TCGv_i32 dst32(Gen *g) { return g->p32[grand(g) % g->n32]; }

/* Temps die at labels: give every EBB temp a value at the start of each basic block. */
static void define_ebb_temps(Gen *g, TCGv_i64 *e64, TCGv_i32 *e32)
{
    for (int i = 0; i < 4; i++) {
        tcg_gen_mov_i64(e64[i], gr[grand(g) % 8]);
        tcg_gen_mov_i32(e32[i], gw[grand(g) % 4]);
    }
}

static void build_random(uint64_t seed, int nops)
{
    Gen g = { .s = seed | 1 };
    TCGv_i64 e64[4];
    TCGv_i32 e32[4];
    for (int i = 0; i < 8; i++) {
        g.p64[g.n64++] = gr[i];
    }
    for (int i = 0; i < 4; i++) {
        g.p32[g.n32++] = gw[i];
    }
    for (int i = 0; i < 2; i++) {
        TCGv_i64 t = tcg_temp_new_tb_i64();
        TCGv_i32 u = tcg_temp_new_tb_i32();
        tcg_gen_mov_i64(t, gr[i + 4]);
        tcg_gen_mov_i32(u, gw[i + 2]);
        g.p64[g.n64++] = t;
        g.p32[g.n32++] = u;
    }
    for (int i = 0; i < 4; i++) {
        e64[i] = tcg_temp_new_i64();
        e32[i] = tcg_temp_new_i32();
        g.p64[g.n64++] = e64[i];
        g.p32[g.n32++] = e32[i];
    }
    define_ebb_temps(&g, e64, e32);
    TCGLabel *labels[4];
    int placed = 0;
    for (int i = 0; i < 4; i++) {
        labels[i] = gen_new_label();
    }
    for (int i = 0; i < nops; i++) {
        unsigned pick = (unsigned)(grand(&g) % 40);
        uint64_t r = grand(&g);
        unsigned cond = 2 + (unsigned)(r % 12);
        if (pick == 0 && placed < 4) {
            gen_set_label(labels[placed++]);
            define_ebb_temps(&g, e64, e32);
            continue;
        }
        if (pick <= 2 && placed < 4) {
            TCGLabel *l = labels[placed + (int)((r >> 8) % (uint64_t)(4 - placed))];
            if (r & 1) {
                tcg_gen_brcond_i64((TCGCond)cond, src64(&g), src64(&g), l);
            } else {
                tcg_gen_brcond_i32((TCGCond)cond, src32(&g), src32(&g), l);
            }
            continue;
        }
        bool is64 = r & 1;
        switch (pick % 20) {
        case 0: case 1: case 2: case 3: {
            static void (*const f64[])(TCGv_i64, TCGv_i64, TCGv_i64) = {
                tcg_gen_add_i64, tcg_gen_sub_i64, tcg_gen_mul_i64, tcg_gen_and_i64, tcg_gen_or_i64,
                tcg_gen_xor_i64, tcg_gen_andc_i64, tcg_gen_orc_i64, tcg_gen_shl_i64, tcg_gen_shr_i64,
                tcg_gen_sar_i64, tcg_gen_rotl_i64, tcg_gen_rotr_i64, tcg_gen_clz_i64, tcg_gen_ctz_i64,
            };
            static void (*const f32[])(TCGv_i32, TCGv_i32, TCGv_i32) = {
                tcg_gen_add_i32, tcg_gen_sub_i32, tcg_gen_mul_i32, tcg_gen_and_i32, tcg_gen_or_i32,
                tcg_gen_xor_i32, tcg_gen_andc_i32, tcg_gen_orc_i32, tcg_gen_shl_i32, tcg_gen_shr_i32,
                tcg_gen_sar_i32, tcg_gen_rotl_i32, tcg_gen_rotr_i32, tcg_gen_clz_i32, tcg_gen_ctz_i32,
            };
            unsigned k = (unsigned)(r >> 8) % 15;
            if (is64) {
                TCGv_i64 a = src64(&g);
                f64[k](dst64(&g), a, (r >> 20) % 4 == 0 ? a : src64(&g));  /* x op x sometimes */
            } else {
                TCGv_i32 a = src32(&g);
                f32[k](dst32(&g), a, (r >> 20) % 4 == 0 ? a : src32(&g));
            }
            break;
        }
        case 4: case 5: {
            static void (*const u64[])(TCGv_i64, TCGv_i64) = {
                tcg_gen_not_i64, tcg_gen_neg_i64, tcg_gen_ext8s_i64, tcg_gen_ext8u_i64,
                tcg_gen_ext16s_i64, tcg_gen_ext16u_i64, tcg_gen_ext32s_i64, tcg_gen_ext32u_i64,
                tcg_gen_bswap16_i64, tcg_gen_bswap32_i64, tcg_gen_bswap64_i64, tcg_gen_ctpop_i64,
                tcg_gen_mov_i64,
            };
            static void (*const u32[])(TCGv_i32, TCGv_i32) = {
                tcg_gen_not_i32, tcg_gen_neg_i32, tcg_gen_ext8s_i32, tcg_gen_ext8u_i32,
                tcg_gen_ext16s_i32, tcg_gen_ext16u_i32, tcg_gen_bswap16_i32, tcg_gen_bswap32_i32,
                tcg_gen_ctpop_i32, tcg_gen_mov_i32,
            };
            if (is64) {
                u64[(r >> 8) % 13](dst64(&g), src64(&g));
            } else {
                u32[(r >> 8) % 10](dst32(&g), src32(&g));
            }
            break;
        }
        case 6:
            if (is64) {
                tcg_gen_setcond_i64((TCGCond)cond, dst64(&g), src64(&g), src64(&g));
            } else {
                tcg_gen_negsetcond_i32((TCGCond)cond, dst32(&g), src32(&g), src32(&g));
            }
            break;
        case 7:
            if (is64) {
                tcg_gen_movcond_i64((TCGCond)cond, dst64(&g), src64(&g), src64(&g), src64(&g), src64(&g));
            } else {
                tcg_gen_movcond_i32((TCGCond)cond, dst32(&g), src32(&g), src32(&g), src32(&g), src32(&g));
            }
            break;
        case 8: {
            unsigned width = is64 ? 64 : 32, pos = (unsigned)(r >> 8) % width;
            unsigned len = 1 + (unsigned)(r >> 16) % (width - pos);
            if (is64) {
                if ((r >> 30) % 3 == 0) tcg_gen_deposit_i64(dst64(&g), src64(&g), src64(&g), pos, len);
                else if ((r >> 30) % 3 == 1) tcg_gen_extract_i64(dst64(&g), src64(&g), pos, len);
                else tcg_gen_sextract_i64(dst64(&g), src64(&g), pos, len);
            } else {
                if ((r >> 30) % 3 == 0) tcg_gen_deposit_i32(dst32(&g), src32(&g), src32(&g), pos, len);
                else if ((r >> 30) % 3 == 1) tcg_gen_extract_i32(dst32(&g), src32(&g), pos, len);
                else tcg_gen_sextract_i32(dst32(&g), src32(&g), pos, len);
            }
            break;
        }
        case 9: {
            TCGv_i64 lo = dst64(&g), hi = dst64(&g);
            if (lo.n == hi.n) {
                break;
            }
            switch ((r >> 8) % 4) {
            case 0: tcg_gen_mulu2_i64(lo, hi, src64(&g), src64(&g)); break;
            case 1: tcg_gen_muls2_i64(lo, hi, src64(&g), src64(&g)); break;
            case 2: tcg_gen_add2_i64(lo, hi, src64(&g), src64(&g), src64(&g), src64(&g)); break;
            default: tcg_gen_sub2_i64(lo, hi, src64(&g), src64(&g), src64(&g), src64(&g)); break;
            }
            break;
        }
        case 10: {
            TCGv_i32 lo = dst32(&g), hi = dst32(&g);
            if (lo.n == hi.n) {
                break;
            }
            switch ((r >> 8) % 4) {
            case 0: tcg_gen_mulu2_i32(lo, hi, src32(&g), src32(&g)); break;
            case 1: tcg_gen_muls2_i32(lo, hi, src32(&g), src32(&g)); break;
            case 2: tcg_gen_add2_i32(lo, hi, src32(&g), src32(&g), src32(&g), src32(&g)); break;
            default: tcg_gen_sub2_i32(lo, hi, src32(&g), src32(&g), src32(&g), src32(&g)); break;
            }
            break;
        }
        case 11:
            switch ((r >> 8) % 5) {
            case 0: tcg_gen_extrl_i64_i32(dst32(&g), src64(&g)); break;
            case 1: tcg_gen_extrh_i64_i32(dst32(&g), src64(&g)); break;
            case 2: tcg_gen_extu_i32_i64(dst64(&g), src32(&g)); break;
            case 3: tcg_gen_exts_i32_i64(dst64(&g), src32(&g)); break;
            default: tcg_gen_concat_i32_i64(dst64(&g), src32(&g), src32(&g)); break;
            }
            break;
        case 12: {   /* unsigned division by a value made non-zero */
            TCGv_i64 d = tcg_temp_new_i64();
            tcg_gen_ori_i64(d, src64(&g), 1);
            if (r & 2) tcg_gen_divu_i64(dst64(&g), src64(&g), d);
            else tcg_gen_remu_i64(dst64(&g), src64(&g), d);
            tcg_temp_free_i64(d);
            break;
        }
        case 13: {
            static void (*const i64f[])(TCGv_i64, TCGv_i64, int64_t) = {
                tcg_gen_addi_i64, tcg_gen_subi_i64, tcg_gen_muli_i64, tcg_gen_andi_i64,
                tcg_gen_ori_i64, tcg_gen_xori_i64,
            };
            i64f[(r >> 8) % 6](dst64(&g), src64(&g), (int64_t)gconst(&g));
            break;
        }
        case 14:
            if (is64) {
                tcg_gen_shli_i64(dst64(&g), src64(&g), (int64_t)((r >> 8) % 64));
            } else {
                tcg_gen_sari_i32(dst32(&g), src32(&g), (int32_t)((r >> 8) % 32));
            }
            break;
        case 15:
            switch ((r >> 8) % 4) {
            case 0: tcg_gen_ld_i64(dst64(&g), tcg_env, offsetof(TestCPU, scratch) + 8 * ((r >> 12) % 4)); break;
            case 1: tcg_gen_st_i64(src64(&g), tcg_env, offsetof(TestCPU, scratch) + 8 * ((r >> 12) % 4)); break;
            case 2: tcg_gen_ld16s_i32(dst32(&g), tcg_env, offsetof(TestCPU, scratch) + 2 * ((r >> 12) % 16)); break;
            default: tcg_gen_st8_i32(src32(&g), tcg_env, offsetof(TestCPU, scratch) + (r >> 12) % 32); break;
            }
            break;
        case 16:
            switch ((r >> 8) % 6) {
            case 0: gen_helper_mix(dst64(&g), src64(&g), src64(&g)); break;
            case 1: gen_helper_mix_raise(dst64(&g), src64(&g), src64(&g)); break;
            case 2: gen_helper_count(tcg_env); break;
            case 3: gen_helper_sum_state(dst64(&g), tcg_env); break;
            case 4: gen_helper_poke_state(tcg_env, src64(&g)); break;
            default: gen_helper_half(dst32(&g), src32(&g)); break;
            }
            break;
        case 17: {   /* guest memory: address kept in range */
            TCGv_i64 a = tcg_temp_new_i64();
            tcg_gen_andi_i64(a, src64(&g), 0xff8);
            if (r & 2) {
                tcg_gen_guest_ld_i64(dst64(&g), a, 1, (TCGMemOp)((r >> 8) & 0xf));
            } else {
                tcg_gen_guest_st_i64(src64(&g), a, 1, (TCGMemOp)((r >> 8) & 0xb));
            }
            tcg_temp_free_i64(a);
            break;
        }
        default:
            if (is64) {
                tcg_gen_movi_i64(dst64(&g), (int64_t)gconst(&g));
            } else {
                tcg_gen_mov_i32(dst32(&g), src32(&g));
            }
            break;
        }
    }
    while (placed < 4) {
        gen_set_label(labels[placed++]);
    }
    tcg_gen_exit_tb(NULL, 0);
}


/* ---- reference evaluator: walks the op list itself, globals always in memory ---- */

static uint64_t ev_val[TCG_MAX_TEMPS];

static uint64_t ev_mask(TCGType t, uint64_t v) { return t == TCG_TYPE_I32 ? (uint32_t)v : v; }
static int64_t ev_sext(TCGType t, uint64_t v) { return t == TCG_TYPE_I32 ? (int32_t)v : (int64_t)v; }

static uint64_t ev_get(TCGArg a)
{
    TCGTemp *ts = &test_ctx.temps[a];
    switch (ts->kind) {
    case TCG_TEMP_FIXED: return (uintptr_t)&cpu;
    case TCG_TEMP_CONST: return ts->val;
    case TCG_TEMP_GLOBAL: {
        uint64_t v = 0;
        memcpy(&v, (char *)&cpu + ts->mem_offset, ts->type == TCG_TYPE_I32 ? 4 : 8);
        return v;
    }
    default: return ev_val[a];
    }
}

static void ev_set(TCGArg a, uint64_t v)
{
    TCGTemp *ts = &test_ctx.temps[a];
    v = ev_mask((TCGType)ts->type, v);
    if (ts->kind == TCG_TEMP_GLOBAL) {
        memcpy((char *)&cpu + ts->mem_offset, &v, ts->type == TCG_TYPE_I32 ? 4 : 8);
    } else {
        ev_val[a] = v;
    }
}

static bool ev_cond(TCGCond c, TCGType t, uint64_t a, uint64_t b)
{
    uint64_t ua = ev_mask(t, a), ub = ev_mask(t, b);
    int64_t sa = ev_sext(t, a), sb = ev_sext(t, b);
    switch (c) {
    case TCG_COND_ALWAYS: return true;
    case TCG_COND_EQ: return ua == ub;
    case TCG_COND_NE: return ua != ub;
    case TCG_COND_LT: return sa < sb;
    case TCG_COND_GE: return sa >= sb;
    case TCG_COND_LE: return sa <= sb;
    case TCG_COND_GT: return sa > sb;
    case TCG_COND_LTU: return ua < ub;
    case TCG_COND_GEU: return ua >= ub;
    case TCG_COND_LEU: return ua <= ub;
    case TCG_COND_GTU: return ua > ub;
    case TCG_COND_TSTEQ: return (ua & ub) == 0;
    case TCG_COND_TSTNE: return (ua & ub) != 0;
    default: return false;
    }
}

static uint64_t ev_rotl(unsigned w, uint64_t a, unsigned n)
{
    n %= w;
    return n ? ((a << n) | (a >> (w - n))) : a;
}

static uint64_t ev_bswap(uint64_t v, int n)
{
    uint64_t r = 0;
    for (int i = 0; i < n; i++) {
        r = r << 8 | ((v >> (8 * i)) & 0xff);
    }
    return r;
}

static void reference_run(void)
{
    TCGOp *label_op[64] = { 0 };
    for (TCGOp *op = test_ctx.first_op; op; op = op->next) {
        if (op->opc == INDEX_op_set_label) {
            label_op[tcg_arg_label(op->args[0])->id] = op;
        }
    }
    for (TCGOp *op = test_ctx.first_op; op; op = op->next) {
        TCGArg *a = op->args;
        TCGType t = (TCGType)op->type;
        unsigned w = t == TCG_TYPE_I32 ? 32 : 64;
        uint64_t x = op->nb_iargs > 0 ? ev_get(a[op->nb_oargs]) : 0;
        uint64_t y = op->nb_iargs > 1 ? ev_get(a[op->nb_oargs + 1]) : 0;
        uint64_t ux = ev_mask(t, x), uy = ev_mask(t, y);
        switch (op->opc) {
        case INDEX_op_insn_start: case INDEX_op_set_label: case INDEX_op_discard: case INDEX_op_mb:
            break;
        case INDEX_op_exit_tb: case INDEX_op_goto_ptr:
            return;
        case INDEX_op_br:
            op = label_op[tcg_arg_label(a[0])->id];
            break;
        case INDEX_op_brcond:
            if (ev_cond((TCGCond)a[2], t, x, y)) {
                op = label_op[tcg_arg_label(a[3])->id];
            }
            break;
        case INDEX_op_mov: ev_set(a[0], x); break;
        case INDEX_op_add: ev_set(a[0], x + y); break;
        case INDEX_op_sub: ev_set(a[0], x - y); break;
        case INDEX_op_mul: ev_set(a[0], x * y); break;
        case INDEX_op_and: ev_set(a[0], x & y); break;
        case INDEX_op_or: ev_set(a[0], x | y); break;
        case INDEX_op_xor: ev_set(a[0], x ^ y); break;
        case INDEX_op_andc: ev_set(a[0], x & ~y); break;
        case INDEX_op_orc: ev_set(a[0], x | ~y); break;
        case INDEX_op_not: ev_set(a[0], ~x); break;
        case INDEX_op_neg: ev_set(a[0], 0 - x); break;
        case INDEX_op_shl: ev_set(a[0], ux << (y % w)); break;
        case INDEX_op_shr: ev_set(a[0], ux >> (y % w)); break;
        case INDEX_op_sar: ev_set(a[0], (uint64_t)(ev_sext(t, x) >> (y % w))); break;
        case INDEX_op_rotl: ev_set(a[0], ev_rotl(w, ux, (unsigned)(y % w))); break;
        case INDEX_op_rotr: ev_set(a[0], ev_rotl(w, ux, (unsigned)((w - y % w) % w))); break;
        case INDEX_op_divu: ev_set(a[0], ux / uy); break;
        case INDEX_op_remu: ev_set(a[0], ux % uy); break;
        case INDEX_op_clz: ev_set(a[0], ux ? (uint64_t)__builtin_clzll(ux) - (64 - w) : y); break;
        case INDEX_op_ctz: ev_set(a[0], ux ? (uint64_t)__builtin_ctzll(ux) : y); break;
        case INDEX_op_ctpop: ev_set(a[0], (uint64_t)__builtin_popcountll(ux)); break;
        case INDEX_op_ext8s: ev_set(a[0], (uint64_t)(int64_t)(int8_t)x); break;
        case INDEX_op_ext8u: ev_set(a[0], (uint8_t)x); break;
        case INDEX_op_ext16s: ev_set(a[0], (uint64_t)(int64_t)(int16_t)x); break;
        case INDEX_op_ext16u: ev_set(a[0], (uint16_t)x); break;
        case INDEX_op_ext32s: case INDEX_op_exts_i32_i64: ev_set(a[0], (uint64_t)(int64_t)(int32_t)x); break;
        case INDEX_op_ext32u: case INDEX_op_extu_i32_i64: case INDEX_op_extrl_i64_i32:
            ev_set(a[0], (uint32_t)x);
            break;
        case INDEX_op_extrh_i64_i32: ev_set(a[0], x >> 32); break;
        case INDEX_op_concat_i32_i64: ev_set(a[0], (uint32_t)x | y << 32); break;
        case INDEX_op_bswap16: ev_set(a[0], ev_bswap(x, 2)); break;
        case INDEX_op_bswap32: ev_set(a[0], ev_bswap(x, 4)); break;
        case INDEX_op_bswap64: ev_set(a[0], ev_bswap(x, 8)); break;
        case INDEX_op_setcond: ev_set(a[0], ev_cond((TCGCond)a[3], t, x, y)); break;
        case INDEX_op_negsetcond: ev_set(a[0], ev_cond((TCGCond)a[3], t, x, y) ? ~0ull : 0); break;
        case INDEX_op_movcond:
            ev_set(a[0], ev_cond((TCGCond)a[5], t, x, y) ? ev_get(a[3]) : ev_get(a[4]));
            break;
        case INDEX_op_deposit: {
            uint64_t m = (a[4] == 64 ? ~0ull : (1ull << a[4]) - 1) << a[3];
            ev_set(a[0], (x & ~m) | ((y << a[3]) & m));
            break;
        }
        case INDEX_op_extract: {
            uint64_t v = ux >> a[2];
            ev_set(a[0], a[3] == 64 ? v : v & ((1ull << a[3]) - 1));
            break;
        }
        case INDEX_op_sextract: {
            unsigned len = (unsigned)a[3];
            uint64_t v = ux >> a[2];
            ev_set(a[0], (uint64_t)((int64_t)(v << (64 - len)) >> (64 - len)));
            break;
        }
        case INDEX_op_mulu2: case INDEX_op_muls2: {
            unsigned __int128 p = op->opc == INDEX_op_mulu2
                ? (unsigned __int128)ux * uy
                : (unsigned __int128)((__int128)ev_sext(t, x) * ev_sext(t, y));
            ev_set(a[0], (uint64_t)p);
            ev_set(a[1], (uint64_t)(p >> w));
            break;
        }
        case INDEX_op_add2: case INDEX_op_sub2: {
            unsigned __int128 p = (unsigned __int128)ev_mask(t, ev_get(a[3])) << w | ux;
            unsigned __int128 q = (unsigned __int128)ev_mask(t, ev_get(a[5])) << w | ev_mask(t, ev_get(a[4]));
            unsigned __int128 r = op->opc == INDEX_op_add2 ? p + q : p - q;
            ev_set(a[0], (uint64_t)r);
            ev_set(a[1], (uint64_t)(r >> w));
            break;
        }
        case INDEX_op_ld: case INDEX_op_ld16s: {
            char *p = (char *)(uintptr_t)x + (int64_t)a[2];
            if (op->opc == INDEX_op_ld16s) {
                int16_t v;
                memcpy(&v, p, 2);
                ev_set(a[0], (uint64_t)(int64_t)v);
            } else {
                uint64_t v = 0;
                memcpy(&v, p, w / 8);
                ev_set(a[0], v);
            }
            break;
        }
        case INDEX_op_st: case INDEX_op_st8: {
            char *p = (char *)(uintptr_t)y + (int64_t)a[2];
            memcpy(p, &x, op->opc == INDEX_op_st8 ? 1 : w / 8);
            break;
        }
        case INDEX_op_guest_ld: {
            uint64_t v = test_mem_load(&cpu, x, TCG_MEMOP_IDX_MEMOP(a[2]), TCG_MEMOP_IDX_MMU(a[2]), 0);
            ev_set(a[0], v);
            break;
        }
        case INDEX_op_guest_st:
            test_mem_store(&cpu, y, x, TCG_MEMOP_IDX_MEMOP(a[2]), TCG_MEMOP_IDX_MMU(a[2]), 0);
            break;
        case INDEX_op_call: {
            const TCGHelperInfo *info = (const void *)(uintptr_t)a[op->nb_oargs + op->nb_iargs];
            uint64_t v[2] = { 0, 0 }, r;
            for (int i = 0; i < op->nb_iargs; i++) {
                v[i] = ev_get(a[op->nb_oargs + i]);
            }
            r = op->nb_iargs == 1 ? ((uint64_t (*)(uint64_t))(uintptr_t)info->func)(v[0])
                                  : ((uint64_t (*)(uint64_t, uint64_t))(uintptr_t)info->func)(v[0], v[1]);
            if (op->nb_oargs) {
                ev_set(a[0], r);
            }
            break;
        }
        default:
            printf("FAIL %s: reference evaluator lacks op %s\n", test_case_name_, tcg_op_defs[op->opc].name);
            test_case_failed_ = 1;
            return;
        }
    }
}

typedef struct Snapshot {
    TestCPU cpu;
    uint8_t mem[4096 + 8];
} Snapshot;

static void snapshot_init(uint64_t seed, const TestCPU *init)
{
    cpu = *init;
    for (int i = 0; i < 4096 + 8; i++) {
        test_mem[i] = (uint8_t)(i * 7 + seed);
    }
}

/* mode 0: reference evaluator, 1: interpreter unoptimized, 2: interpreter optimized */
static void run_snapshot(uint64_t seed, int nops, int mode, const TestCPU *init, Snapshot *out,
                         bool *ok)
{
    block_start(mode == 2);
    build_random(seed, nops);
    snapshot_init(seed, init);
    *ok = true;
    if (mode == 0) {
        reference_run();
    } else {
        *ok = block_compile() > 0;
        block_run();
    }
    out->cpu = cpu;
    memcpy(out->mem, test_mem, sizeof(out->mem));
}

TEST_CASE(random_programs_agree_with_reference_and_unoptimized)
{
    static Snapshot a, b;
    uint64_t misses = test_ctx.stats.sync_misses;
    uint64_t folded = test_ctx.stats.ops_folded, dead = test_ctx.stats.ops_dead;
    for (uint64_t seed = 1; seed <= 3000; seed++) {
        TestCPU init;
        for (int i = 0; i < 8; i++) {
            init.r[i] = rnd_value();
        }
        for (int i = 0; i < 4; i++) {
            init.w[i] = (uint32_t)rnd_value();
            init.scratch[i] = rnd_value();
        }
        memset(init.seen, 0, sizeof(init.seen));
        int nops = 5 + (int)(seed % 60);
        bool ok0, ok1, ok2;
        static Snapshot ref;
        run_snapshot(seed * 0x9e3779b97f4a7c15ull, nops, 0, &init, &ref, &ok0);
        run_snapshot(seed * 0x9e3779b97f4a7c15ull, nops, 1, &init, &a, &ok1);
        run_snapshot(seed * 0x9e3779b97f4a7c15ull, nops, 2, &init, &b, &ok2);
        CHECK(ok0 && ok1 && ok2);
        if (memcmp(&ref, &a, sizeof(a)) != 0 || memcmp(&a, &b, sizeof(a)) != 0) {
            printf("FAIL %s: seed %" PRIu64 " differs (ref/plain/optimized); program:\n",
                   test_case_name_, seed);
            block_start(false);
            build_random(seed * 0x9e3779b97f4a7c15ull, nops);
            tcg_dump_ops(&test_ctx, stdout);
            for (int i = 0; i < 8; i++) {
                printf("  r%d %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n", i, ref.cpu.r[i],
                       a.cpu.r[i], b.cpu.r[i]);
            }
            for (int i = 0; i < 4; i++) {
                printf("  w%d %08x %08x %08x\n", i, ref.cpu.w[i], a.cpu.w[i], b.cpu.w[i]);
            }
            test_case_failed_ = 1;
            return;
        }
    }
    CHECK_EQ(test_ctx.stats.sync_misses, misses);
    CHECK(test_ctx.stats.ops_folded > folded + 1000);   /* the optimizer did real work */
    CHECK(test_ctx.stats.ops_dead > dead + 1000);
}

/* ---- specific rewrites ---- */

TEST_CASE(constant_expression_folds_to_one_mov)
{
    block_start(true);
    TCGv_i64 t = tcg_temp_new_i64(), u = tcg_temp_new_i64();
    tcg_gen_movi_i64(t, 5);
    tcg_gen_addi_i64(u, t, 3);          /* 8 */
    tcg_gen_mul_i64(u, u, tcg_constant_i64(6));   /* 48 */
    tcg_gen_shli_i64(t, u, 4);          /* 768 */
    tcg_gen_xor_i64(t, t, tcg_constant_i64(1));   /* 769 */
    tcg_gen_ext8u_i64(u, t);            /* 1 */
    tcg_gen_sub_i64(t, t, u);           /* 768 */
    tcg_gen_bswap16_i64(t, t);          /* 0x0003 */
    tcg_gen_deposit_i64(gr[0], t, tcg_constant_i64(0xab), 8, 8);   /* 0xab03 */
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    CHECK_EQ(count_all_ops(), 2);
    TCGOp *op = test_ctx.first_op;
    CHECK_EQ(op->opc, INDEX_op_mov);
    CHECK_EQ(test_ctx.temps[op->args[1]].kind, TCG_TEMP_CONST);
    CHECK_EQ(test_ctx.temps[op->args[1]].val, 0xab03);
    block_run();
    CHECK_EQ(cpu.r[0], 0xab03);
}

TEST_CASE(copy_propagation_reads_the_original)
{
    block_start(true);
    TCGv_i64 t = tcg_temp_new_i64(), u = tcg_temp_new_i64();
    tcg_gen_mov_i64(t, gr[1]);
    tcg_gen_mov_i64(u, t);
    tcg_gen_add_i64(gr[0], u, t);
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    CHECK_EQ(count_all_ops(), 2);     /* the movs died: add r0, r1, r1 */
    TCGOp *op = test_ctx.first_op;
    CHECK_EQ(op->opc, INDEX_op_add);
    CHECK_EQ(op->args[1], (TCGArg)gr[1].n);
    CHECK_EQ(op->args[2], (TCGArg)gr[1].n);
    cpu.r[1] = 21;
    block_run();
    CHECK_EQ(cpu.r[0], 42);
}

TEST_CASE(copy_forgotten_when_source_changes)
{
    block_start(true);
    TCGv_i64 t = tcg_temp_new_i64();
    tcg_gen_mov_i64(t, gr[1]);
    tcg_gen_addi_i64(gr[1], gr[1], 1);
    tcg_gen_mov_i64(gr[0], t);       /* must be the old r1 */
    gen_helper_poke_state(tcg_env, tcg_constant_i64(2 << 3));   /* writes r2 = 113, w0 = 0 */
    tcg_gen_mov_i64(gr[3], gr[2]);   /* must see the helper's r2 */
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    cpu.r[1] = 100;
    cpu.r[2] = 5;
    block_run();
    CHECK_EQ(cpu.r[0], 100);
    CHECK_EQ(cpu.r[1], 101);
    CHECK_EQ(cpu.r[2], 113);
    CHECK_EQ(cpu.r[3], 113);
}

TEST_CASE(algebraic_identities)
{
    block_start(true);
    TCGv_i64 x = gr[1];
    TCGv_i64 t[12];
    for (int i = 0; i < 12; i++) {
        t[i] = tcg_temp_new_i64();
    }
    tcg_gen_add_i64(t[0], x, tcg_constant_i64(0));
    tcg_gen_mul_i64(t[1], x, tcg_constant_i64(1));
    tcg_gen_and_i64(t[2], x, tcg_constant_i64(0));
    tcg_gen_xor_i64(t[3], x, x);
    tcg_gen_sub_i64(t[4], x, x);
    tcg_gen_or_i64(t[5], x, x);
    tcg_gen_and_i64(t[6], x, tcg_constant_i64(-1));
    tcg_gen_or_i64(t[7], tcg_constant_i64(-1), x);
    tcg_gen_andc_i64(t[8], x, x);
    tcg_gen_shl_i64(t[9], x, tcg_constant_i64(0));
    tcg_gen_mul_i64(t[10], tcg_constant_i64(0), x);
    tcg_gen_setcond_i64(TCG_COND_LEU, t[11], x, x);
    /* r0 = sum with distinct weights, so each term is checked */
    tcg_gen_mov_i64(gr[0], t[0]);
    for (int i = 1; i < 12; i++) {
        tcg_gen_shli_i64(t[i], t[i], i);
        tcg_gen_xor_i64(gr[0], gr[0], t[i]);
    }
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    /* no mul/and/or/andc/sub/setcond survive: every term became x, 0 or -1 */
    CHECK_EQ(count_ops(INDEX_op_mul) + count_ops(INDEX_op_and) + count_ops(INDEX_op_or) +
             count_ops(INDEX_op_andc) + count_ops(INDEX_op_sub) + count_ops(INDEX_op_setcond), 0);
    for (int it = 0; it < 100; it++) {
        uint64_t v = rnd_value();
        cpu.r[1] = v;
        block_run();
        uint64_t want = v ^ (v << 1) ^ 0 ^ 0 ^ 0 ^ (v << 5) ^ (v << 6) ^ (~0ull << 7) ^ 0 ^
                        (v << 9) ^ 0 ^ (1ull << 11);
        CHECK_EQ(cpu.r[0], want);
    }
}

TEST_CASE(dead_code_removed)
{
    block_start(true);
    TCGv_i64 t = tcg_temp_new_i64(), u = tcg_temp_new_i64();
    tcg_gen_mul_i64(t, gr[1], gr[2]);         /* never used */
    tcg_gen_ld_i64(u, tcg_env, offsetof(TestCPU, scratch));   /* never used */
    tcg_gen_movi_i64(gr[0], 1);               /* overwritten before any read */
    tcg_gen_add_i64(gr[0], gr[1], gr[2]);
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    CHECK_EQ(count_all_ops(), 2);
    CHECK_EQ(count_ops(INDEX_op_add), 1);
}

TEST_CASE(pure_calls_removed_when_unused_others_kept)
{
    block_start(true);
    TCGv_i64 t = tcg_temp_new_i64(), u = tcg_temp_new_i64(), v = tcg_temp_new_i64();
    TCGv_i32 h = tcg_temp_new_i32();
    gen_helper_mix(t, gr[1], gr[2]);          /* PURE, unused: removed */
    gen_helper_half(h, gw[1]);                /* PURE, unused: removed */
    gen_helper_mix_raise(u, gr[1], gr[2]);    /* PURE but may raise: kept */
    gen_helper_sum_state(v, tcg_env);         /* not PURE, unused: kept */
    gen_helper_count(tcg_env);                /* side effect: kept */
    gen_helper_mix(gr[0], gr[3], gr[3]);      /* PURE, used: kept */
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    CHECK_EQ(count_ops(INDEX_op_call), 4);
    helper_calls = 0;
    cpu.seen[7] = 0;
    cpu.r[3] = 3;
    block_run();
    CHECK_EQ(helper_calls, 3);   /* mix_raise, count, mix (sum_state does not count) */
    CHECK_EQ(cpu.seen[7], 1);
    CHECK_EQ(cpu.r[0], helper_mix(3, 3));
}

TEST_CASE(branch_folding_and_unreachable_code)
{
    block_start(true);
    TCGLabel *skip = gen_new_label(), *never = gen_new_label(), *end = gen_new_label();
    TCGv_i64 t = tcg_temp_new_tb_i64();
    tcg_gen_movi_i64(t, 7);
    tcg_gen_brcondi_i64(TCG_COND_GTU, t, 3, skip);    /* always taken */
    tcg_gen_movi_i64(gr[0], 111);                      /* unreachable */
    tcg_gen_brcond_i64(TCG_COND_EQ, gr[1], gr[2], never);   /* unreachable branch */
    gen_set_label(skip);
    tcg_gen_brcondi_i64(TCG_COND_LT, t, 0, never);     /* never taken */
    tcg_gen_movi_i64(gr[0], 222);
    tcg_gen_br(end);
    gen_set_label(never);
    tcg_gen_movi_i64(gr[0], 333);
    gen_set_label(end);
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    CHECK_EQ(count_ops(INDEX_op_brcond), 0);
    CHECK_EQ(count_ops(INDEX_op_br), 0);
    CHECK_EQ(count_ops(INDEX_op_set_label), 0);
    CHECK_EQ(count_all_ops(), 2);   /* mov r0, 222; exit_tb */
    block_run();
    CHECK_EQ(cpu.r[0], 222);
}

TEST_CASE(knowledge_forgotten_at_labels)
{
    /* t is a constant on one path only: the join must not assume it. */
    for (int taken = 0; taken < 2; taken++) {
        block_start(true);
        TCGLabel *l = gen_new_label();
        TCGv_i64 t = tcg_temp_new_tb_i64();
        tcg_gen_mov_i64(t, gr[1]);
        tcg_gen_brcondi_i64(TCG_COND_EQ, gr[2], 0, l);
        tcg_gen_movi_i64(t, 5);
        gen_set_label(l);
        tcg_gen_addi_i64(gr[0], t, 1);
        tcg_gen_exit_tb(NULL, 0);
        CHECK(block_compile() > 0);
        cpu.r[1] = 40;
        cpu.r[2] = (uint64_t)!taken;
        block_run();
        CHECK_EQ(cpu.r[0], taken ? 41 : 6);
    }
}

TEST_CASE(known_zero_bits_make_extensions_copies)
{
    block_start(true);
    TCGv_i64 t = tcg_temp_new_i64(), u = tcg_temp_new_i64(), v = tcg_temp_new_i64();
    tcg_gen_ext8u_i64(t, gr[1]);              /* t < 0x100 */
    tcg_gen_ext32u_i64(u, t);                 /* copy */
    tcg_gen_andi_i64(u, u, 0x1ff);            /* copy */
    tcg_gen_ext16s_i64(v, u);                 /* copy: bit 15 known clear */
    tcg_gen_shli_i64(v, v, 20);               /* < 2^28 */
    tcg_gen_ext32u_i64(gr[0], v);             /* copy */
    tcg_gen_ext32u_i64(gr[2], gr[3]);         /* unknown bits: kept */
    tcg_gen_shli_i64(t, gr[4], 1);
    tcg_gen_ext32u_i64(gr[5], t);             /* bit 32 may be set: kept */
    tcg_gen_ext8s_i64(gr[6], t);              /* bit 7 may be set: kept */
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    CHECK_EQ(count_ops(INDEX_op_ext32u), 2);
    CHECK_EQ(count_ops(INDEX_op_and), 0);
    CHECK_EQ(count_ops(INDEX_op_ext16s), 0);
    CHECK_EQ(count_ops(INDEX_op_ext8s), 1);
    for (int it = 0; it < 50; it++) {
        uint64_t a = rnd_value(), b = rnd_value(), c = rnd_value();
        cpu.r[1] = a;
        cpu.r[3] = b;
        cpu.r[4] = c;
        block_run();
        CHECK_EQ(cpu.r[0], (a & 0xff) << 20);
        CHECK_EQ(cpu.r[2], (uint32_t)b);
        CHECK_EQ(cpu.r[5], (uint32_t)(c << 1));
        CHECK_EQ(cpu.r[6], (uint64_t)(int64_t)(int8_t)(c << 1));
    }
}

/* An extract from a value with nothing above the field is a shift right. */
TEST_CASE(extract_of_narrow_value_is_a_shift)
{
    block_start(true);
    TCGv_i64 t = tcg_temp_new_i64();
    tcg_gen_ext32u_i64(t, gr[1]);
    tcg_gen_extract_i64(gr[0], t, 31, 1);     /* the top bit of a 32-bit value: shr */
    tcg_gen_extract_i64(gr[2], t, 8, 24);     /* the top 24 bits: shr */
    tcg_gen_extract_i64(gr[3], t, 8, 8);      /* bits above the field: kept */
    tcg_gen_extract_i64(gr[4], gr[1], 31, 1); /* unknown high bits: kept */
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    CHECK_EQ(count_ops(INDEX_op_extract), 2);
    CHECK_EQ(count_ops(INDEX_op_shr), 2);
    for (int it = 0; it < 50; it++) {
        uint64_t a = rnd_value();
        cpu.r[1] = a;
        block_run();
        CHECK_EQ(cpu.r[0], (a >> 31) & 1);
        CHECK_EQ(cpu.r[2], (a >> 8) & 0xffffff);
        CHECK_EQ(cpu.r[3], (a >> 8) & 0xff);
        CHECK_EQ(cpu.r[4], (a >> 31) & 1);
    }
}

TEST_CASE(common_subexpressions_computed_once)
{
    block_start(true);
    TCGv_i64 a = tcg_temp_new_i64(), b = tcg_temp_new_i64(), c = tcg_temp_new_i64();
    tcg_gen_ext32u_i64(a, gr[1]);
    tcg_gen_ext32u_i64(b, gr[1]);             /* same value: a copy of a */
    tcg_gen_add_i64(gr[0], a, b);
    tcg_gen_ext32u_i64(a, gr[1]);             /* into a again, unchanged: goes */
    tcg_gen_mov_i64(gr[2], a);
    tcg_gen_addi_i64(gr[1], gr[1], 1);
    tcg_gen_ext32u_i64(c, gr[1]);             /* r1 changed: computed again */
    tcg_gen_mov_i64(gr[3], c);
    tcg_gen_exit_tb(NULL, 0);
    CHECK(block_compile() > 0);
    CHECK_EQ(count_ops(INDEX_op_ext32u), 2);
    uint64_t v = 0x12345678ffffffffull;
    cpu.r[1] = v;
    block_run();
    CHECK_EQ(cpu.r[0], 2 * (uint64_t)0xffffffffu);
    CHECK_EQ(cpu.r[2], 0xffffffffu);
    CHECK_EQ(cpu.r[3], (uint32_t)(v + 1));
}

int main(void)
{
    harness_init();
    RUN(random_programs_agree_with_reference_and_unoptimized);
    RUN(constant_expression_folds_to_one_mov);
    RUN(copy_propagation_reads_the_original);
    RUN(copy_forgotten_when_source_changes);
    RUN(algebraic_identities);
    RUN(dead_code_removed);
    RUN(pure_calls_removed_when_unused_others_kept);
    RUN(branch_folding_and_unreachable_code);
    RUN(knowledge_forgotten_at_labels);
    RUN(known_zero_bits_make_extensions_copies);
    RUN(extract_of_narrow_value_is_a_shift);
    RUN(common_subexpressions_computed_once);
    TEST_EXIT();
}
