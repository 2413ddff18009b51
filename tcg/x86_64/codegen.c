/*
 * x86-64 code generation: each IR op becomes host instructions under its own
 * operand constraints (immediates where x86 takes them, shifts by CL or
 * SHLX, div/mul in RDX:RAX, SysV helper calls), goto_tb chaining, exits and
 * the C-callable entry; guest memory ops are in ldst.c. Semantics:
 * tcg/README.md; encodings: Intel SDM vol. 2. Leaves out: vector ops.
 */
#if defined(__x86_64__)

#include <cpuid.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/disas.h"
#include "internal.h"

#define A(i) (&g->s->temps[op->args[i]])

/* ---- the entry: save callee-saved registers, env in rbp, jump to the code ---- */

#define X64_STR_(x) #x
#define X64_STR(x) X64_STR_(x)
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".globl tcg_x86_64_enter\n"
    ".hidden tcg_x86_64_enter\n"
    ".type tcg_x86_64_enter, @function\n"
    "tcg_x86_64_enter:\n"
    "    endbr64\n"
    "    push %rbp\n"
    "    push %rbx\n"
    "    push %r12\n"
    "    push %r13\n"
    "    push %r14\n"
    "    push %r15\n"
    "    sub $" X64_STR(X64_FRAME_SIZE) ", %rsp\n"
    "    mov %rdi, %rbp\n"
    "    jmp *%rsi\n"
    ".size tcg_x86_64_enter, .-tcg_x86_64_enter\n");

/* The matching epilogue, emitted once per block: exits load rax and jump here. */
static void emit_epilogue(X64Gen *g)
{
    x64_op_rr(g, OPC_ARITH_EvIz | P_REXW, ARITH_ADD, X_RSP);
    x64_u32(g, X64_FRAME_SIZE);
    x64_pop(g, X_R15);
    x64_pop(g, X_R14);
    x64_pop(g, X_R13);
    x64_pop(g, X_R12);
    x64_pop(g, X_RBX);
    x64_pop(g, X_RBP);
    x64_ret(g);
}

/* ---- host features ---- */

static unsigned detected_features = ~0u;
static __thread unsigned feature_mask = TCG_X86_64_ALL;

unsigned tcg_x86_64_host_features(void)
{
    unsigned f = __atomic_load_n(&detected_features, __ATOMIC_RELAXED);
    if (f != ~0u) {
        return f;
    }
    unsigned a, b, c, d;
    f = 0;
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 23))) {
        f |= TCG_X86_64_POPCNT;
    }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        if (b & (1u << 3)) {
            f |= TCG_X86_64_BMI1;
        }
        if (b & (1u << 8)) {
            f |= TCG_X86_64_BMI2;
        }
    }
    if (__get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & (1u << 5))) {
        f |= TCG_X86_64_LZCNT;
    }
    __atomic_store_n(&detected_features, f, __ATOMIC_RELAXED);
    return f;
}

void tcg_x86_64_set_feature_mask(unsigned mask)
{
    feature_mask = mask;
}

/* ---- operand helpers ---- */

static bool is64_op(const TCGOp *op) { return op->type == TCG_TYPE_I64; }

/* Width of an arithmetic op as emitted: a narrowed I64 op runs in 32 bits. */
static bool is64_alu(const X64Gen *g, const TCGOp *op)
{
    return op->type == TCG_TYPE_I64 && !g->narrow;
}

/*
 * `op t, ...; ext32u d, t` with t dying there: the low 32 bits of t are all
 * that is used and they depend only on the low 32 bits of the inputs for
 * these ops, so op is computed with a 32-bit instruction (which zero-extends:
 * each of these emits one writing its output) and the ext32u becomes a move. Frontends of 32-bit guests and 32-bit
 * operations emit this pair for every result.
 */
static bool narrow_ok(X64Gen *g, const TCGOp *op)
{
    const TCGOp *nx = op->next;
    if (op->type != TCG_TYPE_I64 || !nx || nx->opc != INDEX_op_ext32u ||
        nx->args[1] != op->args[0] || !tcg_op_dead(nx, 1) ||
        A(0)->kind == TCG_TEMP_GLOBAL || tcg_op_sync(op, 0) || tcg_op_dead(op, 0)) {
        return false;
    }
    switch (op->opc) {
    case INDEX_op_add: case INDEX_op_sub: case INDEX_op_mul:
    case INDEX_op_and: case INDEX_op_or: case INDEX_op_xor:
    case INDEX_op_not: case INDEX_op_neg:
        return true;
    case INDEX_op_shl: {
        /* A 32-bit shift takes the count modulo 32; by 0 nothing is emitted. */
        uint64_t n;
        return x64_ra_const(g, A(2), &n) && n > 0 && n < 32;
    }
    default:
        return false;
    }
}

/* A constant that x86 accepts as imm32 (sign-extended for 64-bit ops). */
static bool imm_arg(X64Gen *g, TCGTemp *ts, bool is64, int32_t *imm)
{
    uint64_t v;
    if (!x64_ra_const(g, ts, &v)) {
        return false;
    }
    if (is64 && (int64_t)v != (int32_t)v) {
        return false;
    }
    *imm = (int32_t)(uint32_t)v;
    return true;
}

/* May the output take over this input's register? */
static bool reusable(X64Gen *g, const TCGOp *op, TCGTemp *ts, int reg)
{
    return ts->kind != TCG_TEMP_FIXED && g->reg_owner[reg] == x64_temp_index(g, ts) &&
           x64_ra_dies(g, op, ts);
}

static void op_end1(X64Gen *g, const TCGOp *op, int out)
{
    int regs[1] = { out };
    x64_ra_op_end(g, op, regs);
}

static unsigned rexw(bool is64) { return is64 ? P_REXW : 0; }

/* ---- moves and arithmetic ---- */

/* mov (and extu_i32_i64): constants stay symbolic, a dying source hands over its register. */
static void gen_mov(X64Gen *g, const TCGOp *op)
{
    TCGTemp *ti = A(1);
    uint64_t v;
    if (x64_ra_const(g, ti, &v)) {
        x64_ra_out_const(g, op, 0, v);
        return;
    }
    bool is64 = is64_op(op);
    int r = x64_ra_in(g, ti, X_ANY);
    int out = x64_ra_out_alias(g, op, ti, r, X_ALLOCATABLE, is64, false, true);
    op_end1(g, op, out);
}

static void gen_alu(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_alu(g, op);
    TCGTemp *ta = A(1), *tb = A(2);
    int ext;
    switch (op->opc) {
    case INDEX_op_add: ext = ARITH_ADD; break;
    case INDEX_op_sub: ext = ARITH_SUB; break;
    case INDEX_op_and: ext = ARITH_AND; break;
    case INDEX_op_or:  ext = ARITH_OR; break;
    case INDEX_op_xor: ext = ARITH_XOR; break;
    default:           ext = -1; break;   /* mul */
    }
    bool comm = op->opc != INDEX_op_sub;
    int32_t imm = 0;
    bool bimm = imm_arg(g, tb, is64, &imm);
    if (!bimm && comm && imm_arg(g, ta, is64, &imm)) {
        TCGTemp *t = ta;
        ta = tb;
        tb = t;
        bimm = true;
    }
    uint64_t cv;
    if (op->opc == INDEX_op_and && x64_ra_const(g, tb, &cv)) {
        unsigned zx = cv == 0xff ? (OPC_MOVZBL | P_REXB_RM) : cv == 0xffff ? OPC_MOVZWL
                    : (is64 && cv == 0xffffffffu) ? OPC_MOVL_GvEv : 0;
        if (zx) {   /* masks that are zero extensions need no copy first */
            int ra = x64_ra_in(g, ta, X_ANY);
            int out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, false);
            x64_op_rr(g, zx, out, ra);
            op_end1(g, op, out);
            return;
        }
    }
    int rb = bimm ? -1 : x64_ra_in(g, tb, X_ANY);
    int ra = x64_ra_in(g, ta, X_ANY);
    if (!bimm && comm && !reusable(g, op, ta, ra) && reusable(g, op, tb, rb)) {
        TCGTemp *t = ta;
        ta = tb;
        tb = t;
        int r = ra;
        ra = rb;
        rb = r;
    }
    int out;
    if (ext < 0) {
        if (bimm) {   /* three-operand imul */
            out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, false);
            if (imm == (int8_t)imm) {
                x64_op_rr(g, OPC_IMUL_GvEvIb | rexw(is64), out, ra);
                x64_byte(g, (uint8_t)imm);
            } else {
                x64_op_rr(g, OPC_IMUL_GvEvIz | rexw(is64), out, ra);
                x64_u32(g, (uint32_t)imm);
            }
        } else {
            out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, true);
            x64_op_rr(g, OPC_IMUL_GvEv | rexw(is64), out, rb);
        }
    } else if (!reusable(g, op, ta, ra) &&
               (ext == ARITH_ADD ||
                (ext == ARITH_SUB && bimm && (!is64 || imm != INT32_MIN)))) {
        /* lea computes into a fresh register without a copy */
        out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, false);
        if (bimm) {
            int32_t disp = ext == ARITH_SUB ? (int32_t)(0u - (uint32_t)imm) : imm;
            x64_lea(g, is64, out, ra, X_NOIDX, disp);
        } else {
            x64_lea(g, is64, out, ra, rb, 0);
        }
    } else {
        out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, true);
        if (bimm) {
            x64_arith_ri(g, ext, is64, out, imm);
        } else {
            x64_arith_rr(g, ext, is64, out, rb);
        }
    }
    op_end1(g, op, out);
}

static void gen_andc_orc(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_op(op), andc = op->opc == INDEX_op_andc;
    TCGTemp *ta = A(1), *tb = A(2);
    int ext = andc ? ARITH_AND : ARITH_OR;
    uint64_t cv;
    if (x64_ra_const(g, tb, &cv)) {
        uint64_t nb = is64 ? ~cv : (uint32_t)~cv;
        if (!is64 || (int64_t)nb == (int32_t)nb) {
            int ra = x64_ra_in(g, ta, X_ANY);
            int out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, true);
            x64_arith_ri(g, ext, is64, out, (int32_t)(uint32_t)nb);
            op_end1(g, op, out);
            return;
        }
    }
    int rb = x64_ra_in(g, tb, X_ANY);
    int ra = x64_ra_in(g, ta, X_ANY);
    int out;
    if (andc && (g->features & TCG_X86_64_BMI1)) {
        out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, false);
        x64_vex_rrr(g, OPC_ANDN, is64, out, rb, ra);   /* out = ~rb & ra */
    } else {
        int t = x64_ra_scratch(g, X_ALLOCATABLE);
        x64_mov_rr(g, is64, t, rb);
        x64_grp3(g, GRP3_NOT, is64, t);
        out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, true);
        x64_arith_rr(g, ext, is64, out, t);
    }
    op_end1(g, op, out);
}

static void gen_shift(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_alu(g, op);
    unsigned w = is64 ? 64 : 32;
    TCGTemp *ta = A(1), *tb = A(2);
    int ext;
    switch (op->opc) {
    case INDEX_op_shl:  ext = SHIFT_SHL; break;
    case INDEX_op_shr:  ext = SHIFT_SHR; break;
    case INDEX_op_sar:  ext = SHIFT_SAR; break;
    case INDEX_op_rotl: ext = SHIFT_ROL; break;
    default:            ext = SHIFT_ROR; break;
    }
    bool rot = ext == SHIFT_ROL || ext == SHIFT_ROR;
    uint64_t cv;
    int out;
    if (x64_ra_const(g, tb, &cv)) {
        unsigned n = (unsigned)cv & (w - 1);   /* counts are modulo the width */
        int ra = x64_ra_in(g, ta, X_ANY);
        if (n == 0) {
            out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, true);
        } else if (rot && (g->features & TCG_X86_64_BMI2) && !reusable(g, op, ta, ra)) {
            out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, false);
            x64_vex_rrr(g, OPC_RORX, is64, out, 0, ra);
            x64_byte(g, ext == SHIFT_ROL ? w - n : n);
        } else {
            out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, true);
            x64_shift_ri(g, ext, is64, out, n);
        }
        op_end1(g, op, out);
        return;
    }
    if (!rot && (g->features & TCG_X86_64_BMI2)) {
        static const unsigned vop[8] = { [SHIFT_SHL] = OPC_SHLX, [SHIFT_SHR] = OPC_SHRX,
                                         [SHIFT_SAR] = OPC_SARX };
        int rb = x64_ra_in(g, tb, X_ANY);
        int ra = x64_ra_in(g, ta, X_ANY);
        out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, false);
        x64_vex_rrr(g, vop[ext], is64, out, rb, ra);
        op_end1(g, op, out);
        return;
    }
    g->reserved |= RM(X_RCX);
    x64_ra_in_fixed(g, tb, X_RCX, false);
    int ra = x64_ra_in(g, ta, (uint16_t)(X_ANY & ~RM(X_RCX)));
    out = x64_ra_out_alias(g, op, ta, ra, (uint16_t)(X_ALLOCATABLE & ~RM(X_RCX)), is64, false,
                           true);
    x64_shift_rcl(g, ext, is64, out);
    op_end1(g, op, out);
}

static void gen_div(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_op(op);
    bool sign = op->opc == INDEX_op_divs || op->opc == INDEX_op_rems;
    bool rem = op->opc == INDEX_op_rems || op->opc == INDEX_op_remu;
    g->reserved |= RM(X_RAX) | RM(X_RDX);
    int rb = x64_ra_in(g, A(2), (uint16_t)(X_ANY & ~(RM(X_RAX) | RM(X_RDX))));
    x64_ra_in_fixed(g, A(1), X_RAX, true);
    x64_ra_clobber(g, op, X_RAX);
    x64_ra_clobber(g, op, X_RDX);
    if (sign) {
        x64_opc(g, 0x99 | rexw(is64), 0, -1, -1);   /* cdq / cqo */
    } else {
        x64_arith_rr(g, ARITH_XOR, false, X_RDX, X_RDX);
    }
    x64_grp3(g, sign ? GRP3_IDIV : GRP3_DIV, is64, rb);
    op_end1(g, op, rem ? X_RDX : X_RAX);
}

static void gen_mul2(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_op(op);
    g->reserved |= RM(X_RAX) | RM(X_RDX);
    int rb = x64_ra_in(g, A(3), (uint16_t)(X_ANY & ~(RM(X_RAX) | RM(X_RDX))));
    x64_ra_in_fixed(g, A(2), X_RAX, true);
    x64_ra_clobber(g, op, X_RAX);
    x64_ra_clobber(g, op, X_RDX);
    x64_grp3(g, op->opc == INDEX_op_mulu2 ? GRP3_MUL : GRP3_IMUL, is64, rb);
    int regs[2] = { X_RAX, X_RDX };
    x64_ra_op_end(g, op, regs);
}

static void gen_addsub2(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_op(op), add = op->opc == INDEX_op_add2;
    TCGTemp *al = A(2), *ah = A(3), *bl = A(4), *bh = A(5);
    int32_t il = 0, ih = 0;
    bool bli = imm_arg(g, bl, is64, &il), bhi = imm_arg(g, bh, is64, &ih);
    int rbl = bli ? -1 : x64_ra_in(g, bl, X_ANY);
    int rbh = bhi ? -1 : x64_ra_in(g, bh, X_ANY);
    int ral = x64_ra_in(g, al, X_ANY);
    int rah = x64_ra_in(g, ah, X_ANY);
    /* Both outputs are written before all inputs are read: only exclusive reuse. */
    int lo = x64_ra_out_alias(g, op, al, ral, X_ALLOCATABLE, is64, true, true);
    int hi = x64_ra_out_alias(g, op, ah, rah, X_ALLOCATABLE, is64, true, true);
    if (bli) {
        x64_arith_ri(g, add ? ARITH_ADD : ARITH_SUB, is64, lo, il);
    } else {
        x64_arith_rr(g, add ? ARITH_ADD : ARITH_SUB, is64, lo, rbl);
    }
    if (bhi) {
        x64_arith_ri(g, add ? ARITH_ADC : ARITH_SBB, is64, hi, ih);
    } else {
        x64_arith_rr(g, add ? ARITH_ADC : ARITH_SBB, is64, hi, rbh);
    }
    int regs[2] = { lo, hi };
    x64_ra_op_end(g, op, regs);
}

static void gen_clz_ctz(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_op(op), clz = op->opc == INDEX_op_clz;
    unsigned w = is64 ? 64 : 32;
    TCGTemp *ta = A(1), *tb = A(2);
    bool fast = clz ? (g->features & TCG_X86_64_LZCNT) : (g->features & TCG_X86_64_BMI1);
    uint64_t bv;
    bool bconst = x64_ra_const(g, tb, &bv);
    int out;
    if (fast) {
        /* lzcnt/tzcnt give the width for zero and set CF then. */
        if (bconst && bv == w) {
            int ra = x64_ra_in(g, ta, X_ANY);
            out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, false);
            x64_op_rr(g, (clz ? OPC_LZCNT : OPC_TZCNT) | rexw(is64), out, ra);
        } else {
            int rb = x64_ra_in(g, tb, X_ANY);
            int ra = x64_ra_in(g, ta, X_ANY);
            out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, true, false);
            x64_op_rr(g, (clz ? OPC_LZCNT : OPC_TZCNT) | rexw(is64), out, ra);
            x64_cmov(g, CC_B, is64, out, rb);
        }
    } else if (clz) {
        /* bsr gives the index of the top bit (ZF for zero); clz = index ^ (w - 1). */
        int t = x64_ra_scratch(g, X_ALLOCATABLE);
        if (bconst) {
            x64_movi(g, is64, t, bv ^ (w - 1), false);
        } else {
            int rb = x64_ra_in(g, tb, X_ANY);
            x64_mov_rr(g, is64, t, rb);
            x64_arith_ri(g, ARITH_XOR, is64, t, (int32_t)(w - 1));
        }
        int ra = x64_ra_in(g, ta, X_ANY);
        out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, false);
        x64_op_rr(g, OPC_BSR | rexw(is64), out, ra);
        x64_cmov(g, CC_E, is64, out, t);
        x64_arith_ri(g, ARITH_XOR, is64, out, (int32_t)(w - 1));
    } else {
        int rb = x64_ra_in(g, tb, X_ANY);
        int ra = x64_ra_in(g, ta, X_ANY);
        out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, true, false);
        x64_op_rr(g, OPC_BSF | rexw(is64), out, ra);
        x64_cmov(g, CC_E, is64, out, rb);
    }
    op_end1(g, op, out);
}

static void gen_ctpop(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_op(op);
    TCGTemp *ta = A(1);
    int ra = x64_ra_in(g, ta, X_ANY);
    int out;
    if (g->features & TCG_X86_64_POPCNT) {
        out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, false);
        x64_op_rr(g, OPC_POPCNT | rexw(is64), out, ra);
        op_end1(g, op, out);
        return;
    }
    /* Bit-slice count (Hacker's Delight 5-1): pairs, nibbles, bytes, then a multiply
     * sums the bytes into the top one. 64-bit masks do not fit an imm32. */
    static const uint64_t m[4] = { 0x5555555555555555ull, 0x3333333333333333ull,
                                   0x0f0f0f0f0f0f0f0full, 0x0101010101010101ull };
    int t = x64_ra_scratch(g, X_ALLOCATABLE);
    int k = is64 ? x64_ra_scratch(g, X_ALLOCATABLE) : -1;
    out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, true);
#define AND_MASK(r, i) do { \
        if (is64) { x64_movi(g, true, k, m[i], false); x64_arith_rr(g, ARITH_AND, true, r, k); } \
        else { x64_arith_ri(g, ARITH_AND, false, r, (int32_t)(uint32_t)m[i]); } } while (0)
    x64_mov_rr(g, is64, t, out);
    x64_shift_ri(g, SHIFT_SHR, is64, t, 1);
    AND_MASK(t, 0);
    x64_arith_rr(g, ARITH_SUB, is64, out, t);
    x64_mov_rr(g, is64, t, out);
    x64_shift_ri(g, SHIFT_SHR, is64, t, 2);
    AND_MASK(t, 1);
    AND_MASK(out, 1);
    x64_arith_rr(g, ARITH_ADD, is64, out, t);
    x64_mov_rr(g, is64, t, out);
    x64_shift_ri(g, SHIFT_SHR, is64, t, 4);
    x64_arith_rr(g, ARITH_ADD, is64, out, t);
    AND_MASK(out, 2);
    if (is64) {
        x64_movi(g, true, k, m[3], false);
        x64_op_rr(g, OPC_IMUL_GvEv | P_REXW, out, k);
    } else {
        x64_op_rr(g, OPC_IMUL_GvEvIz, out, out);
        x64_u32(g, (uint32_t)m[3]);
    }
    x64_shift_ri(g, SHIFT_SHR, is64, out, is64 ? 56 : 24);
#undef AND_MASK
    op_end1(g, op, out);
}

/* One-instruction unary forms: out = f(a), out may be any register. */
static void gen_unary(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_alu(g, op);
    TCGTemp *ta = A(1);
    int base;
    int32_t disp;
    if ((op->opc == INDEX_op_ext32u || op->opc == INDEX_op_extrl_i64_i32) &&
        x64_ra_dies(g, op, ta) && x64_ra_in_memory(g, ta, &base, &disp)) {
        /* A 32-bit load zero-extends: no load of the whole value first. */
        int out = x64_ra_scratch(g, X_ALLOCATABLE);
        x64_load(g, OPC_MOVL_GvEv, out, base, X_NOIDX, disp);
        op_end1(g, op, out);
        return;
    }
    int ra = x64_ra_in(g, ta, X_ANY);
    int out;
    switch (op->opc) {
    case INDEX_op_not:
    case INDEX_op_neg:
    case INDEX_op_bswap64:
    case INDEX_op_extrh_i64_i32:
        out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, true, false, true);
        if (op->opc == INDEX_op_not || op->opc == INDEX_op_neg) {
            x64_grp3(g, op->opc == INDEX_op_not ? GRP3_NOT : GRP3_NEG, is64, out);
        } else if (op->opc == INDEX_op_bswap64) {
            x64_bswap(g, true, out);
        } else {
            x64_shift_ri(g, SHIFT_SHR, true, out, 32);
        }
        break;
    default:
        out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, false);
        switch (op->opc) {
        case INDEX_op_ext8s:
            x64_op_rr(g, OPC_MOVSBL | P_REXB_RM | rexw(is64), out, ra);
            break;
        case INDEX_op_ext8u:
            x64_op_rr(g, OPC_MOVZBL | P_REXB_RM, out, ra);
            break;
        case INDEX_op_ext16s:
            x64_op_rr(g, OPC_MOVSWL | rexw(is64), out, ra);
            break;
        case INDEX_op_ext16u:
            x64_op_rr(g, OPC_MOVZWL, out, ra);
            break;
        case INDEX_op_ext32s:
        case INDEX_op_exts_i32_i64:
            x64_op_rr(g, OPC_MOVSLQ, out, ra);
            break;
        case INDEX_op_ext32u:
        case INDEX_op_extrl_i64_i32:
            x64_op_rr(g, OPC_MOVL_GvEv, out, ra);   /* always: clears bits 32..63 */
            break;
        case INDEX_op_bswap16:
            x64_op_rr(g, OPC_MOVZWL, out, ra);
            x64_rol16_8(g, out);
            break;
        case INDEX_op_bswap32:
            x64_mov_rr(g, false, out, ra);
            x64_bswap(g, false, out);             /* a 32-bit write zero-extends */
            break;
        default:
            break;
        }
        break;
    }
    op_end1(g, op, out);
}

static void gen_concat(X64Gen *g, const TCGOp *op)
{
    TCGTemp *lo = A(1), *hi = A(2);
    int rlo = x64_ra_in(g, lo, X_ANY);
    int rhi = x64_ra_in(g, hi, X_ANY);
    int out = x64_ra_out_alias(g, op, hi, rhi, X_ALLOCATABLE, true, true, true);
    x64_shift_ri(g, SHIFT_SHL, true, out, 32);
    x64_arith_rr(g, ARITH_OR, true, out, rlo);   /* i32 values are kept zero-extended */
    op_end1(g, op, out);
}

/* and reg, ~mask for any 64-bit mask (through a scratch register when needed). */
static void and_const(X64Gen *g, bool is64, int r, uint64_t m)
{
    if (!is64 || (int64_t)m == (int32_t)m) {
        x64_arith_ri(g, ARITH_AND, is64, r, (int32_t)(uint32_t)m);
    } else {
        int k = x64_ra_scratch(g, X_ALLOCATABLE);
        x64_movi(g, true, k, m, false);
        x64_arith_rr(g, ARITH_AND, true, r, k);
    }
}

static void gen_deposit(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_op(op);
    unsigned w = is64 ? 64 : 32, pos = (unsigned)op->args[3], len = (unsigned)op->args[4];
    TCGTemp *ta = A(1), *tb = A(2);
    uint64_t ones = is64 ? ~0ull : 0xffffffffull;
    uint64_t lenmask = len >= 64 ? ~0ull : (1ull << len) - 1;
    uint64_t mask = (lenmask << pos) & ones;
    int out;
    if (len == w) {   /* the whole of b */
        int rb = x64_ra_in(g, tb, X_ANY);
        out = x64_ra_out_alias(g, op, tb, rb, X_ALLOCATABLE, is64, false, true);
        op_end1(g, op, out);
        return;
    }
    uint64_t bv;
    if (x64_ra_const(g, tb, &bv)) {
        uint64_t field = ((bv & lenmask) << pos) & ones;
        int ra = x64_ra_in(g, ta, X_ANY);
        out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, true);
        and_const(g, is64, out, ~mask & ones);
        if (field) {
            if (!is64 || (int64_t)field == (int32_t)field) {
                x64_arith_ri(g, ARITH_OR, is64, out, (int32_t)(uint32_t)field);
            } else {
                int k = x64_ra_scratch(g, X_ALLOCATABLE);
                x64_movi(g, true, k, field, false);
                x64_arith_rr(g, ARITH_OR, true, out, k);
            }
        }
        op_end1(g, op, out);
        return;
    }
    int rb = x64_ra_in(g, tb, X_ANY);
    int ra = x64_ra_in(g, ta, X_ANY);
    if (pos == 0 && (len == 8 || len == 16)) {   /* a partial-register move */
        out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, true, true);
        x64_op_rr(g, len == 8 ? (OPC_MOVB_EvGv | P_REXB_R | P_REXB_RM)
                              : (OPC_MOVL_EvGv | P_DATA16), rb, out);
        op_end1(g, op, out);
        return;
    }
    int t = x64_ra_scratch(g, X_ALLOCATABLE);
    x64_mov_rr(g, is64, t, rb);
    if (pos + len < w) {
        x64_shift_ri(g, SHIFT_SHL, is64, t, w - len);
        x64_shift_ri(g, SHIFT_SHR, is64, t, w - len - pos);
    } else {
        x64_shift_ri(g, SHIFT_SHL, is64, t, pos);
    }
    out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, true);
    and_const(g, is64, out, ~mask & ones);
    x64_arith_rr(g, ARITH_OR, is64, out, t);
    op_end1(g, op, out);
}

static void gen_extract(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_op(op), sign = op->opc == INDEX_op_sextract;
    unsigned w = is64 ? 64 : 32, pos = (unsigned)op->args[2], len = (unsigned)op->args[3];
    TCGTemp *ta = A(1);
    int ra = x64_ra_in(g, ta, X_ANY);
    int out;
    unsigned zx = 0;
    if (pos == 0 && len == 8) {
        zx = (sign ? OPC_MOVSBL | rexw(is64) : OPC_MOVZBL) | P_REXB_RM;
    } else if (pos == 0 && len == 16) {
        zx = sign ? OPC_MOVSWL | rexw(is64) : OPC_MOVZWL;
    } else if (pos == 0 && len == 32 && is64) {
        zx = sign ? OPC_MOVSLQ : OPC_MOVL_GvEv;
    }
    if (zx) {
        out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, false);
        x64_op_rr(g, zx, out, ra);
    } else {
        out = x64_ra_out_alias(g, op, ta, ra, X_ALLOCATABLE, is64, false, true);
        if (pos + len == w) {
            x64_shift_ri(g, sign ? SHIFT_SAR : SHIFT_SHR, is64, out, pos);
        } else if (!sign && len <= 31) {
            if (pos) {
                x64_shift_ri(g, SHIFT_SHR, is64, out, pos);
            }
            x64_arith_ri(g, ARITH_AND, is64, out, (int32_t)((1u << len) - 1));
        } else {
            x64_shift_ri(g, SHIFT_SHL, is64, out, w - pos - len);
            x64_shift_ri(g, sign ? SHIFT_SAR : SHIFT_SHR, is64, out, w - len);
        }
    }
    op_end1(g, op, out);
}

/* ---- comparisons ---- */

static const uint8_t cond_cc[TCG_COND_COUNT] = {
    [TCG_COND_EQ] = CC_E, [TCG_COND_NE] = CC_NE, [TCG_COND_LT] = CC_L, [TCG_COND_GE] = CC_GE,
    [TCG_COND_LE] = CC_LE, [TCG_COND_GT] = CC_G, [TCG_COND_LTU] = CC_B, [TCG_COND_GEU] = CC_AE,
    [TCG_COND_LEU] = CC_BE, [TCG_COND_GTU] = CC_A, [TCG_COND_TSTEQ] = CC_E,
    [TCG_COND_TSTNE] = CC_NE,
};

typedef struct Cmp {
    TCGTemp *ta, *tb;
    int ra, rb;             /* rb < 0: immediate */
    int32_t imm;
    TCGCond cond;
} Cmp;

static void cmp_load(X64Gen *g, bool is64, TCGTemp *ta, TCGTemp *tb, TCGCond cond, Cmp *c)
{
    bool bimm = imm_arg(g, tb, is64, &c->imm);
    if (!bimm && imm_arg(g, ta, is64, &c->imm)) {   /* the constant second */
        TCGTemp *t = ta;
        ta = tb;
        tb = t;
        cond = tcg_swap_cond(cond);
        bimm = true;
    }
    c->ta = ta;
    c->tb = tb;
    c->cond = cond;
    c->rb = bimm ? -1 : x64_ra_in(g, tb, X_ANY);
    c->ra = x64_ra_in(g, ta, X_ANY);
}

/* Emit the flag-setting instruction; returns the x86 condition code. */
static int cmp_emit(X64Gen *g, bool is64, const Cmp *c)
{
    if (c->cond == TCG_COND_TSTEQ || c->cond == TCG_COND_TSTNE) {
        if (c->rb < 0) {
            x64_test_ri(g, is64, c->ra, c->imm);
        } else {
            x64_test_rr(g, is64, c->ra, c->rb);
        }
    } else if (c->rb < 0 && c->imm == 0) {
        x64_test_rr(g, is64, c->ra, c->ra);          /* same flags as cmp $0 */
    } else if (c->rb < 0) {
        x64_arith_ri(g, ARITH_CMP, is64, c->ra, c->imm);
    } else {
        x64_arith_rr(g, ARITH_CMP, is64, c->ra, c->rb);
    }
    return cond_cc[c->cond];
}

static void gen_setcond(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_op(op), neg = op->opc == INDEX_op_negsetcond;
    TCGCond cond = (TCGCond)op->args[3];
    if (cond == TCG_COND_ALWAYS || cond == TCG_COND_NEVER) {
        x64_ra_out_const(g, op, 0, cond == TCG_COND_NEVER ? 0 : neg ? ~0ull : 1);
        return;
    }
    Cmp c;
    cmp_load(g, is64, A(1), A(2), cond, &c);
    int out;
    bool zeroed = false;
    if (reusable(g, op, c.ta, c.ra)) {
        out = x64_ra_out_alias(g, op, c.ta, c.ra, X_ALLOCATABLE, is64, false, false);
    } else if (c.rb >= 0 && reusable(g, op, c.tb, c.rb)) {
        out = x64_ra_out_alias(g, op, c.tb, c.rb, X_ALLOCATABLE, is64, false, false);
    } else {
        out = x64_ra_scratch(g, X_ALLOCATABLE);
        x64_movi(g, false, out, 0, false);   /* before the compare: xor sets flags */
        zeroed = true;
    }
    int cc = cmp_emit(g, is64, &c);
    x64_setcc(g, cc, out);
    if (!zeroed) {
        x64_op_rr(g, OPC_MOVZBL | P_REXB_RM, out, out);
    }
    if (neg) {
        x64_grp3(g, GRP3_NEG, is64, out);
    }
    op_end1(g, op, out);
}

static void gen_movcond(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_op(op);
    TCGCond cond = (TCGCond)op->args[5];
    TCGTemp *v1 = A(3), *v2 = A(4);
    int out;
    if (cond == TCG_COND_ALWAYS || cond == TCG_COND_NEVER) {
        TCGTemp *v = cond == TCG_COND_ALWAYS ? v1 : v2;
        int r = x64_ra_in(g, v, X_ANY);
        out = x64_ra_out_alias(g, op, v, r, X_ALLOCATABLE, is64, false, true);
        op_end1(g, op, out);
        return;
    }
    Cmp c;
    cmp_load(g, is64, A(1), A(2), cond, &c);
    int r1 = x64_ra_in(g, v1, X_ANY);
    int r2 = x64_ra_in(g, v2, X_ANY);
    if (reusable(g, op, v2, r2)) {
        out = x64_ra_out_alias(g, op, v2, r2, X_ALLOCATABLE, is64, false, false);
        x64_cmov(g, cmp_emit(g, is64, &c), is64, out, r1);
    } else if (reusable(g, op, v1, r1)) {
        out = x64_ra_out_alias(g, op, v1, r1, X_ALLOCATABLE, is64, false, false);
        x64_cmov(g, cmp_emit(g, is64, &c) ^ 1, is64, out, r2);
    } else {
        out = x64_ra_scratch(g, X_ALLOCATABLE);
        int cc = cmp_emit(g, is64, &c);
        x64_mov_rr(g, is64, out, r2);               /* mov keeps the flags */
        x64_cmov(g, cc, is64, out, r1);
    }
    op_end1(g, op, out);
}

/*
 * setcond t, a, b + brcond t, 0, ne/eq (t used nowhere else) -> cmp a, b; jcc.
 * t never gets a register; both ops' life bits are honoured as usual.
 */
static bool fuse_setcond_brcond(X64Gen *g, const TCGOp *op)
{
    const TCGOp *br = op->next;
    uint64_t zero;
    TCGCond cond = (TCGCond)op->args[3];
    if (!br || br->opc != INDEX_op_brcond || br->type != op->type || br->args[0] != op->args[0] ||
        !x64_ra_const(g, &g->s->temps[br->args[1]], &zero) || zero != 0 ||
        (br->args[2] != TCG_COND_NE && br->args[2] != TCG_COND_EQ) ||
        cond == TCG_COND_ALWAYS || cond == TCG_COND_NEVER ||
        A(0)->kind == TCG_TEMP_GLOBAL || tcg_op_sync(op, 0) || !tcg_op_dead(br, 0)) {
        return false;
    }
    bool is64 = is64_op(op);
    x64_ra_sync_all(g, true);
    Cmp c;
    cmp_load(g, is64, A(1), A(2), cond, &c);
    int cc = cmp_emit(g, is64, &c);
    x64_jump_label(g, br->args[2] == TCG_COND_NE ? cc : cc ^ 1, tcg_arg_label(br->args[3]));
    x64_ra_op_end(g, op, NULL);   /* t is never computed: it dies at the branch */
    x64_ra_op_start(g);
    x64_ra_op_end(g, br, NULL);
    return true;
}

static void gen_brcond(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_op(op);
    TCGCond cond = (TCGCond)op->args[2];
    TCGLabel *l = tcg_arg_label(op->args[3]);
    x64_ra_sync_all(g, true);
    if (cond == TCG_COND_ALWAYS) {
        x64_jump_label(g, -1, l);
    } else if (cond != TCG_COND_NEVER) {
        Cmp c;
        cmp_load(g, is64, A(0), A(1), cond, &c);
        x64_jump_label(g, cmp_emit(g, is64, &c), l);
    }
    x64_ra_op_end(g, op, NULL);
}

/* ---- host memory (env fields) ---- */

static void gen_ld(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_op(op);
    TCGTemp *tbase = A(1);
    int32_t off = (int32_t)op->args[2];
    unsigned opc;
    switch (op->opc) {
    case INDEX_op_ld8u:  opc = OPC_MOVZBL; break;
    case INDEX_op_ld8s:  opc = OPC_MOVSBL | rexw(is64); break;
    case INDEX_op_ld16u: opc = OPC_MOVZWL; break;
    case INDEX_op_ld16s: opc = OPC_MOVSWL | rexw(is64); break;
    case INDEX_op_ld32u: opc = OPC_MOVL_GvEv; break;
    case INDEX_op_ld32s: opc = OPC_MOVSLQ; break;
    default:             opc = OPC_MOVL_GvEv | rexw(is64); break;
    }
    int rb = x64_ra_in(g, tbase, X_ANY);
    int out = x64_ra_out_alias(g, op, tbase, rb, X_ALLOCATABLE, true, false, false);
    x64_load(g, opc, out, rb, X_NOIDX, off);
    op_end1(g, op, out);
}

static void gen_st(X64Gen *g, const TCGOp *op)
{
    bool is64 = is64_op(op);
    TCGTemp *tval = A(0), *tbase = A(1);
    int32_t off = (int32_t)op->args[2];
    unsigned size = op->opc == INDEX_op_st8 ? 0 : op->opc == INDEX_op_st16 ? 1
                  : op->opc == INDEX_op_st32 ? 2 : is64 ? 3 : 2;
    uint64_t v = 0;
    bool vimm = x64_ra_const(g, tval, &v) && (size < 3 || (int64_t)v == (int32_t)v);
    int32_t imm = (int32_t)(uint32_t)v;
    int rv = vimm ? -1 : x64_ra_in(g, tval, X_ANY);
    int rb = x64_ra_in(g, tbase, X_ANY);
    if (vimm) {
        x64_store_imm(g, size, imm, rb, X_NOIDX, off);
    } else {
        x64_store(g, size, rv, rb, X_NOIDX, off);
    }
    x64_ra_op_end(g, op, NULL);
}

/* ---- helper calls ---- */

static const int8_t call_arg_regs[TCG_MAX_HELPER_ARGS] = {
    X_RDI, X_RSI, X_RDX, X_RCX, X_R8, X_R9,
};

static void gen_call(X64Gen *g, const TCGOp *op)
{
    const TCGHelperInfo *info = (const void *)(uintptr_t)op->args[op->nb_oargs + op->nb_iargs];
    unsigned flags = info->flags;
    bool writes = !(flags & TCG_CALL_NO_WRITE_GLOBALS);
    bool reads = !(flags & TCG_CALL_NO_READ_GLOBALS) || (flags & TCG_CALL_MAY_RAISE);
    g->reserved = X_CALLER_SAVED;
    if (writes || reads) {
        x64_ra_sync_all(g, false);
    }
    for (int i = 0; i < info->nargs; i++) {
        x64_ra_in_fixed(g, A(op->nb_oargs + i), call_arg_regs[i], true);
    }
    x64_ra_call_clobber(g, op);
    if (writes) {
        x64_ra_drop_globals(g);
    }
    x64_call_abs(g, (uintptr_t)info->func);
    int out = -1;
    if (op->nb_oargs) {
        if (info->ret == TCG_HELPER_RET_I32) {
            x64_op_rr(g, OPC_MOVL_GvEv, X_RAX, X_RAX);   /* upper half is undefined */
        }
        out = X_RAX;
    }
    op_end1(g, op, out);
}

/* ---- control flow ---- */

static void gen_goto_tb(X64Gen *g, const TCGOp *op)
{
    unsigned slot = (unsigned)op->args[0];
    x64_ra_sync_all(g, false);
    /* The rel32 must be 4-byte aligned at its run address to be patched atomically. */
    uintptr_t run = (uintptr_t)g->ptr + (uintptr_t)g->rx_diff;
    x64_nop(g, (unsigned)((4 - (run + 1) % 4) % 4));
    g->info->jump_used[slot] = true;
    g->info->jump[slot].insn_off = x64_off(g);
    x64_byte(g, OPC_JMP_long);
    x64_u32(g, 0);                          /* unchained: falls through to the exit */
    g->info->jump[slot].reset_off = x64_off(g);
}

static void gen_exit_tb(X64Gen *g, const TCGOp *op)
{
    x64_ra_sync_all(g, false);
    x64_movi(g, true, X_RAX, op->args[0], false);
    x64_jump_label(g, -1, g->epilogue);
}

static void gen_goto_ptr(X64Gen *g, const TCGOp *op)
{
    x64_ra_sync_all(g, false);
    x64_ra_in_fixed(g, A(0), X_RAX, true);
    x64_test_rr(g, true, X_RAX, X_RAX);
    x64_jump_label(g, CC_E, g->epilogue);   /* NULL: return 0 to the exec loop */
    x64_jmp_reg(g, X_RAX);
    x64_ra_op_end(g, op, NULL);
}

/* Is the (I64) value of temp t known to have bits 63..32 clear? */
static bool zext_known(X64Gen *g, TCGArg t)
{
    const TCGTemp *ts = &g->s->temps[t];
    if (ts->kind == TCG_TEMP_CONST) {
        return ts->val <= 0xffffffffu;
    }
    return g->zx[t];
}

/* After op: record which outputs are zero-extended from 32 bits (i32
 * values always are), and forget what other paths or callees may change. */
static void note_zext(X64Gen *g, const TCGOp *op)
{
    TCGContext *s = g->s;
    if (op->opc == INDEX_op_set_label) {
        memset(g->zx, 0, (size_t)s->nb_temps);
        return;
    }
    if (op->opc == INDEX_op_discard) {
        g->zx[op->args[0]] = 0;
        return;
    }
    if (op->opc == INDEX_op_call) {
        const TCGHelperInfo *info = (const void *)(uintptr_t)op->args[op->nb_oargs + op->nb_iargs];
        if (!(info->flags & TCG_CALL_NO_WRITE_GLOBALS)) {
            memset(g->zx, 0, (size_t)s->nb_globals);
        }
    }
    if (op->nb_oargs == 0) {
        return;
    }
    TCGArg out = op->args[0];
    bool z = false;
    uint64_t c;
    if (op->type == TCG_TYPE_I32) {
        z = true;
    } else if (g->narrow) {
        z = true;
    } else {
        switch (op->opc) {
        case INDEX_op_mov:
            z = zext_known(g, op->args[1]);
            break;
        case INDEX_op_ext32u: case INDEX_op_ext16u: case INDEX_op_ext8u:
        case INDEX_op_extu_i32_i64: case INDEX_op_setcond:
        case INDEX_op_ld32u: case INDEX_op_ld16u: case INDEX_op_ld8u:
            z = true;
            break;
        case INDEX_op_extract:
            z = op->args[2] + op->args[3] <= 32;
            break;
        case INDEX_op_and:
            z = (x64_ra_const(g, A(2), &c) && c <= 0xffffffffu) ||
                zext_known(g, op->args[1]) || zext_known(g, op->args[2]);
            break;
        case INDEX_op_guest_ld:
            z = (TCG_MEMOP_IDX_MEMOP(op->args[2]) & MO_SIZE) <= MO_32 &&
                !(TCG_MEMOP_IDX_MEMOP(op->args[2]) & MO_SIGN);
            break;
        default:
            break;
        }
    }
    g->zx[out] = z;
    for (int i = 1; i < op->nb_oargs; i++) {
        g->zx[op->args[i]] = op->type == TCG_TYPE_I32;
    }
}

static const TCGOp *gen_op_one(X64Gen *g, const TCGOp *op);

/* Emit op (and any op fused into it); returns the last op consumed. */
static const TCGOp *gen_op(X64Gen *g, const TCGOp *op)
{
    g->narrow = narrow_ok(g, op);
    const TCGOp *last = gen_op_one(g, op);
    for (const TCGOp *o = op;; o = o->next) {
        note_zext(g, o);
        g->narrow = false;
        if (o == last) {
            break;
        }
    }
    return last;
}

static const TCGOp *gen_op_one(X64Gen *g, const TCGOp *op)
{
    x64_ra_op_start(g);
    switch (op->opc) {
    case INDEX_op_insn_start:
        if (g->n_insns < TCG_MAX_INSNS) {
            g->info->insn_off[g->n_insns] = x64_off(g);
        }
        g->n_insns++;
        break;
    case INDEX_op_discard:
        x64_ra_discard(g, A(0));
        break;
    case INDEX_op_set_label:
        x64_ra_sync_all(g, true);
        x64_ra_forget_all(g);
        x64_label_place(g, tcg_arg_label(op->args[0]));
        break;
    case INDEX_op_br:
        x64_ra_sync_all(g, true);
        x64_jump_label(g, -1, tcg_arg_label(op->args[0]));
        break;
    case INDEX_op_brcond:
        gen_brcond(g, op);
        break;
    case INDEX_op_goto_tb:
        gen_goto_tb(g, op);
        break;
    case INDEX_op_exit_tb:
        gen_exit_tb(g, op);
        break;
    case INDEX_op_goto_ptr:
        gen_goto_ptr(g, op);
        break;
    case INDEX_op_mb:
        if (op->args[0] & TCG_MB_ST_LD) {   /* x86-TSO keeps every other order */
            x64_mfence(g);
        }
        break;
    case INDEX_op_call:
        gen_call(g, op);
        break;
    case INDEX_op_mov:
    case INDEX_op_extu_i32_i64:              /* i32 values are kept zero-extended */
        gen_mov(g, op);
        break;
    case INDEX_op_add: case INDEX_op_sub: case INDEX_op_mul:
    case INDEX_op_and: case INDEX_op_or: case INDEX_op_xor:
        gen_alu(g, op);
        break;
    case INDEX_op_andc: case INDEX_op_orc:
        gen_andc_orc(g, op);
        break;
    case INDEX_op_shl: case INDEX_op_shr: case INDEX_op_sar:
    case INDEX_op_rotl: case INDEX_op_rotr:
        gen_shift(g, op);
        break;
    case INDEX_op_divs: case INDEX_op_divu: case INDEX_op_rems: case INDEX_op_remu:
        gen_div(g, op);
        break;
    case INDEX_op_mulu2: case INDEX_op_muls2:
        gen_mul2(g, op);
        break;
    case INDEX_op_add2: case INDEX_op_sub2:
        gen_addsub2(g, op);
        break;
    case INDEX_op_clz: case INDEX_op_ctz:
        gen_clz_ctz(g, op);
        break;
    case INDEX_op_ctpop:
        gen_ctpop(g, op);
        break;
    case INDEX_op_ext32u:
    case INDEX_op_extrl_i64_i32:
        if (zext_known(g, op->args[1])) {
            gen_mov(g, op);   /* already zero-extended: at most a move */
            break;
        }
        gen_unary(g, op);
        break;
    case INDEX_op_not: case INDEX_op_neg:
    case INDEX_op_ext8s: case INDEX_op_ext8u: case INDEX_op_ext16s: case INDEX_op_ext16u:
    case INDEX_op_ext32s:
    case INDEX_op_extrh_i64_i32: case INDEX_op_exts_i32_i64:
    case INDEX_op_bswap16: case INDEX_op_bswap32: case INDEX_op_bswap64:
        gen_unary(g, op);
        break;
    case INDEX_op_concat_i32_i64:
        gen_concat(g, op);
        break;
    case INDEX_op_deposit:
        gen_deposit(g, op);
        break;
    case INDEX_op_extract: case INDEX_op_sextract:
        gen_extract(g, op);
        break;
    case INDEX_op_setcond: case INDEX_op_negsetcond:
        if (fuse_setcond_brcond(g, op)) {
            return op->next;
        }
        gen_setcond(g, op);
        break;
    case INDEX_op_movcond:
        gen_movcond(g, op);
        break;
    case INDEX_op_ld8u: case INDEX_op_ld8s: case INDEX_op_ld16u: case INDEX_op_ld16s:
    case INDEX_op_ld32u: case INDEX_op_ld32s: case INDEX_op_ld:
        gen_ld(g, op);
        break;
    case INDEX_op_st8: case INDEX_op_st16: case INDEX_op_st32: case INDEX_op_st:
        gen_st(g, op);
        break;
    case INDEX_op_guest_ld:
        x64_gen_guest_ld(g, op);
        break;
    case INDEX_op_guest_st:
        x64_gen_guest_st(g, op);
        break;
    default:
        g->too_big = true;   /* an op this backend does not know: ops.def grew */
        break;
    }
    return op;
}

/* ---- the backend ---- */

static ptrdiff_t x64_gen_code(TCGContext *s, void *buf, size_t size, ptrdiff_t rx_diff,
                              TCGCodeInfo *info)
{
    static __thread X64Gen gen;   /* large; one translation at a time per thread */
    X64Gen *g = &gen;
    g->s = s;
    g->info = info;
    g->buf = g->ptr = buf;
    g->rx_diff = rx_diff;
    g->too_big = false;
    g->features = tcg_x86_64_host_features() & feature_mask;
    g->n_insns = 0;
    g->slow_first = NULL;
    g->slow_tail = &g->slow_first;
    if (size < 2 * X64_MAX_OP_BYTES) {
        return TCG_GEN_BUFFER_FULL;
    }
    g->end = g->buf + size - X64_MAX_OP_BYTES;
    if (s->nb_temps > TCG_MAX_TEMPS) {
        return TCG_GEN_TOO_BIG;
    }
    for (TCGOp *op = s->gen_ran ? s->first_op : NULL; op; op = op->next) {
        TCGArg l = 0;   /* labels still hold what an earlier run put there */
        if (op->opc == INDEX_op_set_label || op->opc == INDEX_op_br) {
            l = op->args[0];
        } else if (op->opc == INDEX_op_brcond) {
            l = op->args[3];
        }
        if (l) {
            tcg_arg_label(l)->has_value = false;
            tcg_arg_label(l)->relocs = NULL;
        }
    }
    g->epilogue = tcg_arena_alloc(s, sizeof(TCGLabel));
    memset(g->epilogue, 0, sizeof(TCGLabel));
    x64_ra_block_start(g);
    g->narrow = false;
    memset(g->zx, 0, (size_t)s->nb_temps);
    for (const TCGOp *op = s->first_op; op; op = op->next) {
        if (g->ptr > g->end) {
            return TCG_GEN_BUFFER_FULL;
        }
        op = gen_op(g, op);
        if (g->too_big) {
            return TCG_GEN_TOO_BIG;
        }
    }
    for (X64SlowPath *p = g->slow_first; p; p = p->next) {
        if (g->ptr > g->end) {
            return TCG_GEN_BUFFER_FULL;
        }
        x64_emit_slow_path(g, p);
    }
    if (g->ptr > g->end) {
        return TCG_GEN_BUFFER_FULL;
    }
    x64_label_place(g, g->epilogue);
    emit_epilogue(g);
    if (g->n_insns != info->n_insns) {
        return TCG_GEN_TOO_BIG;
    }
    info->code_size = x64_off(g);
    info->insn_off[info->n_insns] = (uint32_t)info->code_size;
    __builtin___clear_cache((char *)buf + rx_diff, (char *)buf + rx_diff + info->code_size);
    return (ptrdiff_t)info->code_size;
}

static void x64_patch_goto_tb(void *code_rw, uintptr_t code_rx, const TCGJumpSite *site,
                              uintptr_t target_rx)
{
    uintptr_t jmp_rx = code_rx + site->insn_off;
    uintptr_t target = target_rx ? target_rx : code_rx + site->reset_off;
    intptr_t disp = (intptr_t)(target - (jmp_rx + 5));
    if (disp != (int32_t)disp) {
        fprintf(stderr, "mimic: x86-64 backend: goto_tb target out of rel32 range\n");
        abort();
    }
    /* Aligned 4-byte store: a running vCPU sees the old or the new jump, never a mix. */
    uint32_t *field = (uint32_t *)((char *)code_rw + site->insn_off + 1);
    __atomic_store_n(field, (uint32_t)(int32_t)disp, __ATOMIC_RELEASE);
}

/* TCG_GETPC() trusts tcg_helper_retaddr when it is set; the interpreter leaves
 * it set, so clear it in case this thread ran interpreted code before. */
static uintptr_t x64_enter(void *env, const void *code)
{
    tcg_helper_retaddr = 0;
    return tcg_x86_64_enter(env, code);
}

static void x64_disas(FILE *f, const void *code, size_t size)
{
    disas_print_host(f, code, size);
}

const TCGBackend tcg_x86_64_backend = {
    .name = "native",
    .gen_code = x64_gen_code,
    .enter = x64_enter,
    .patch_goto_tb = x64_patch_goto_tb,
    .disas = x64_disas,
};

#endif
