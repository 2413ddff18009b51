/*
 * Integer instructions: ALU ops with lazy flags, INC/DEC/NEG/NOT, moves and
 * extensions, LEA, XCHG/XADD/CMPXCHG, MUL/IMUL/DIV/IDIV, BT*, bit scans and
 * counts, SETcc/CMOVcc, BSWAP/MOVBE, flag instructions, BCD, XLAT and the NOP
 * family (shifts and rotates: translate_shift.c).
 * Reference: Intel SDM vol. 2 (each instruction's Operation and Flags
 * Affected), vol. 1 3.4.3 and appendix A (EFLAGS).
 * Leaves out: LOCK is a plain read-modify-write (one vCPU thread at a time);
 * multi-threaded TCG will need host atomics here.
 */
#include "cpu/x86/helper.h"
#include "cpu/x86/translate.h"

#include "cpu/x86/translate_int.h"

/* ---- ALU ------------------------------------------------------------------- */

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP, ALU_TEST };

/* A whole 32/64-bit general register as destination: results are computed
 * straight into its global. */
static bool gpr_whole(const X86Operand *op, unsigned size)
{
    return op->type == X86_OPT_REG && op->cls == X86_RC_GPR && (size == 8 || size == 4);
}

/* ADD/SUB/CMP/AND/OR/XOR/TEST with a register destination of 32/64 bits or
 * none (CMP/TEST): no copies of the operands, the result computed in the
 * register (or cc_dst), the cc globals written directly. Nothing here can
 * fault after the first global is written (a memory source is loaded first). */
static bool gen_alu_direct(DisasContext *s, int op, int di, int si)
{
    unsigned size = osize(s, di);
    const X86Operand *dop = x86_op(s, di);
    bool nodest = op == ALU_CMP || op == ALU_TEST;
    if (op == ALU_ADC || op == ALU_SBB) {
        return false;
    }
    if (!gpr_whole(dop, size) &&
        !(nodest && (dop->type == X86_OPT_MEM || (dop->type == X86_OPT_REG && dop->cls == X86_RC_GPR)))) {
        return false;
    }
    const X86Operand *sop = x86_op(s, si);
    if (op == ALU_XOR && !nodest && sop->type == X86_OPT_REG && sop->cls == X86_RC_GPR &&
        sop->reg == dop->reg) {
        /* xor r, r: the zeroing idiom, a constant for the register and cc_dst. */
        tcg_gen_movi_i64(x86_reg[dop->reg & 15], 0);
        tcg_gen_movi_i64(x86_cc_dst, 0);
        x86_gen_set_cc_op(s, cc_sized(CC_OP_LOGICB, size));
        return true;
    }
    TCGv_i64 bt = T64(), at = T64();
    /* Registers are read whole: only the low `size` bytes of the result and
     * cc_src count (the lazy flags and the 32-bit write mask them; cc_srcT
     * is extended below). A CMP's memory operand is loaded (zero-extended)
     * straight into cc_srcT. */
    bool raw = size == 4 || nodest;
    bool sub = op == ALU_SUB || op == ALU_CMP;
    TCGv_i64 a = x86_gen_operand_value(s, dop, size, raw,
                                       sub && dop->type == X86_OPT_MEM ? s->cc_srcT : at);
    /* ADD/SUB/CMP keep the second operand in cc_src: a loaded one goes
     * there at once (a load writes nothing when it faults). */
    TCGv_i64 b = x86_gen_operand_value(s, sop, size, raw,
                                       op == ALU_ADD || sub ? x86_cc_src : bt);
    /* A 32-bit result goes through a temp that dies in the zero-extension
     * into the register: the native backend makes that one 32-bit op. */
    TCGv_i64 rt = T64();
    TCGv_i64 r = nodest ? x86_cc_dst : size == 4 ? rt : x86_reg[dop->reg & 15];

    switch (op) {
    case ALU_ADD:
        tcg_gen_mov_i64(x86_cc_src, b);
        tcg_gen_add_i64(r, a, b);
        break;
    case ALU_SUB: case ALU_CMP:
        if (a.n != s->cc_srcT.n) {
            x86_gen_ext(s->cc_srcT, a, size, false);
        }
        tcg_gen_mov_i64(x86_cc_src, b);
        tcg_gen_sub_i64(r, a, b);
        break;
    case ALU_AND: case ALU_TEST: tcg_gen_and_i64(r, a, b); break;
    case ALU_OR: tcg_gen_or_i64(r, a, b); break;
    default: tcg_gen_xor_i64(r, a, b); break;
    }
    if (!nodest) {
        if (size == 4) {
            tcg_gen_ext32u_i64(x86_reg[dop->reg & 15], rt);
        }
        tcg_gen_mov_i64(x86_cc_dst, x86_reg[dop->reg & 15]);
    }
    x86_gen_set_cc_op(s, cc_sized(op == ALU_ADD ? CC_OP_ADDB :
                                  op == ALU_SUB || op == ALU_CMP ? CC_OP_SUBB : CC_OP_LOGICB,
                                  size));
    FREE(at);
    FREE(bt);
    FREE(rt);
    return true;
}

static void gen_alu(DisasContext *s, int op, int di, int si)
{
    if (gen_alu_direct(s, op, di, si)) {
        return;
    }
    unsigned size = osize(s, di);
    TCGv_i64 cf = { 0 };
    if (op == ALU_ADC || op == ALU_SBB) {
        cf = T64();
        x86_gen_compute_cf_first(s, cf);   /* first: it may emit labels */
    }
    Dest d = dest_begin(s, x86_op(s, di));
    TCGv_i64 a = T64(), bt = T64(), r = T64();
    TCGv_i64 b = bt;

    dest_load_low(s, &d, a, size);
    if (d.mem || x86_op(s, si)->type == X86_OPT_IMM) {
        /* No register is written before b's last use: no copy of it. */
        b = x86_gen_operand_value(s, x86_op(s, si), size, size == 4, bt);
    } else {
        operand_load_low(s, b, x86_op(s, si), size);
    }
    switch (op) {
    case ALU_ADD: tcg_gen_add_i64(r, a, b); break;
    case ALU_SUB: case ALU_CMP: tcg_gen_sub_i64(r, a, b); break;
    case ALU_AND: case ALU_TEST: tcg_gen_and_i64(r, a, b); break;
    case ALU_OR: tcg_gen_or_i64(r, a, b); break;
    case ALU_XOR: tcg_gen_xor_i64(r, a, b); break;
    case ALU_ADC:
    case ALU_SBB:
        if (op == ALU_ADC) {
            tcg_gen_add_i64(r, a, b);
            tcg_gen_add_i64(r, r, cf);
        } else {
            tcg_gen_sub_i64(r, a, b);
            tcg_gen_sub_i64(r, r, cf);
        }
        break;
    }
    result_low(r, size);
    if (op != ALU_CMP && op != ALU_TEST) {
        dest_store(s, &d, r, size);
    }
    switch (op) {
    case ALU_ADD:
        tcg_gen_mov_i64(x86_cc_src, b);
        tcg_gen_mov_i64(x86_cc_dst, r);
        x86_gen_set_cc_op(s, cc_sized(CC_OP_ADDB, size));
        break;
    case ALU_SUB: case ALU_CMP:
        set_sub_flags(s, a, b, r, size);
        break;
    case ALU_ADC: case ALU_SBB:
        tcg_gen_mov_i64(x86_cc_src, b);
        tcg_gen_mov_i64(x86_cc_src2, cf);
        tcg_gen_mov_i64(x86_cc_dst, r);
        x86_gen_set_cc_op(s, cc_sized(op == ALU_ADC ? CC_OP_ADCB : CC_OP_SBBB, size));
        FREE(cf);
        break;
    default:
        tcg_gen_mov_i64(x86_cc_dst, r);
        x86_gen_set_cc_op(s, cc_sized(CC_OP_LOGICB, size));
        break;
    }
    FREE(a);
    FREE(bt);
    FREE(r);
    dest_end(&d);
}

enum { UN_INC, UN_DEC, UN_NEG, UN_NOT };

static void gen_unary(DisasContext *s, int op)
{
    unsigned size = osize(s, 0);
    TCGv_i64 cf = { 0 };
    if ((op == UN_INC || op == UN_DEC) && gpr_whole(x86_op(s, 0), size)) {
        /* A whole register: CF straight into cc_src (nothing can fault
         * after it), the result computed in the register. */
        int reg = x86_op(s, 0)->reg & 15;
        TCGv_i64 t = T64();
        x86_gen_compute_cf_first(s, x86_cc_src);
        if (size == 8) {
            tcg_gen_addi_i64(x86_reg[reg], x86_reg[reg], op == UN_INC ? 1 : -1);
        } else {
            tcg_gen_addi_i64(t, x86_reg[reg], op == UN_INC ? 1 : -1);
            tcg_gen_ext32u_i64(x86_reg[reg], t);   /* one 32-bit host op */
        }
        tcg_gen_mov_i64(x86_cc_dst, x86_reg[reg]);
        FREE(t);
        x86_gen_set_cc_op(s, cc_sized(op == UN_INC ? CC_OP_INCB : CC_OP_DECB, size));
        return;
    }
    if (op == UN_INC || op == UN_DEC) {
        cf = T64();
        x86_gen_compute_cf_first(s, cf);   /* first: it may emit labels */
    }
    Dest d = dest_begin(s, x86_op(s, 0));
    TCGv_i64 a = T64(), r = T64();

    dest_load_low(s, &d, a, size);
    switch (op) {
    case UN_INC:
    case UN_DEC:
        tcg_gen_addi_i64(r, a, op == UN_INC ? 1 : -1);
        break;
    case UN_NEG: tcg_gen_neg_i64(r, a); break;
    default: tcg_gen_not_i64(r, a); break;
    }
    result_low(r, size);
    dest_store(s, &d, r, size);
    switch (op) {
    case UN_INC:
    case UN_DEC:
        tcg_gen_mov_i64(x86_cc_src, cf);
        tcg_gen_mov_i64(x86_cc_dst, r);
        x86_gen_set_cc_op(s, cc_sized(op == UN_INC ? CC_OP_INCB : CC_OP_DECB, size));
        FREE(cf);
        break;
    case UN_NEG: {
        TCGv_i64 zero = tcg_constant_i64(0);
        set_sub_flags(s, zero, a, r, size);
        break;
    }
    default:
        break;
    }
    FREE(a);
    FREE(r);
    dest_end(&d);
}

/* ---- moves -------------------------------------------------------------------- */

static void gen_mov(DisasContext *s)
{
    unsigned size = osize(s, 0);
    const X86Operand *dop = x86_op(s, 0), *sop = x86_op(s, 1);
    if (gpr_whole(dop, size)) {
        /* Straight into the register: a 32-bit write zero-extends, and so
         * does a 32-bit load. */
        TCGv_i64 r = x86_reg[dop->reg & 15];
        if (sop->type == X86_OPT_IMM) {
            int64_t v = x86_operand_imm(s, sop);
            tcg_gen_movi_i64(r, size == 4 ? (int64_t)(uint32_t)v : v);
            return;
        }
        if (sop->type == X86_OPT_MEM) {
            TCGv_i64 a = T64();
            x86_gen_ld(s, r, x86_gen_addr_value(s, sop, a), x86_mo(size));
            FREE(a);
            return;
        }
        if (sop->type == X86_OPT_REG && sop->cls == X86_RC_GPR) {
            x86_gen_gpr_write(dop->reg, size, x86_reg[sop->reg & 15]);
            return;
        }
    }
    if (dop->type == X86_OPT_MEM && (sop->type == X86_OPT_IMM ||
                                     (sop->type == X86_OPT_REG && sop->cls == X86_RC_GPR))) {
        /* The store takes the low bytes of the register or immediate itself. */
        TCGv_i64 a = T64();
        TCGv_i64 v = sop->type == X86_OPT_IMM ? tcg_constant_i64(x86_operand_imm(s, sop))
                                              : x86_reg[sop->reg & 15];
        x86_gen_st(s, v, x86_gen_addr_value(s, dop, a), x86_mo(size));
        FREE(a);
        return;
    }
    TCGv_i64 v = T64();
    x86_gen_operand_load(s, v, x86_op(s, 1), size);
    x86_gen_operand_store(s, x86_op(s, 0), size, v);
    FREE(v);
}

static void gen_movx(DisasContext *s, bool sign)
{
    unsigned dsize = s->insn.op[0].size, ssize = s->insn.op[1].size;
    const X86Operand *dop = x86_op(s, 0), *sop = x86_op(s, 1);
    if (gpr_whole(dop, dsize)) {
        /* Extend straight into the register; a 32-bit destination keeps
         * only the low half of a sign extension. */
        /* A 32-bit sign extension is zero-extended from a temp. */
        TCGv_i64 t = T64();
        TCGv_i64 r = sign && dsize == 4 ? t : x86_reg[dop->reg & 15];
        bool done = true;
        if (sop->type == X86_OPT_MEM) {
            TCGv_i64 a = T64();
            x86_gen_ld(s, r, x86_gen_addr_value(s, sop, a), x86_mo(ssize) | (sign ? MO_SIGN : 0));
            FREE(a);
        } else if (sop->type == X86_OPT_REG && sop->cls == X86_RC_GPR) {
            x86_gen_ext(r, x86_reg[sop->reg & 15], ssize, sign);
        } else {
            done = false;
        }
        if (done && sign && dsize == 4) {
            tcg_gen_ext32u_i64(x86_reg[dop->reg & 15], t);
        }
        FREE(t);
        if (done) {
            return;
        }
    }
    TCGv_i64 v = T64();
    x86_gen_operand_load(s, v, x86_op(s, 1), ssize);
    if (sign) {
        x86_gen_ext(v, v, ssize, true);
    }
    x86_gen_reg_write(s, x86_op(s, 0), dsize, v);
    FREE(v);
}

static void gen_lea(DisasContext *s)
{
    if (gpr_whole(x86_op(s, 0), s->insn.op[0].size) && s->insn.op[0].size == 8) {
        /* The address is built in the register (each step reads its
         * inputs before writing it). */
        x86_gen_ea(s, x86_reg[x86_op(s, 0)->reg & 15]);
        return;
    }
    TCGv_i64 v = T64();
    x86_gen_ea(s, v);
    x86_gen_reg_write(s, x86_op(s, 0), s->insn.op[0].size, v);
    FREE(v);
}

static void gen_xchg(DisasContext *s)
{
    unsigned size = osize(s, 0);
    Dest d = dest_begin(s, x86_op(s, 0));
    TCGv_i64 a = T64(), b = T64();
    dest_load(s, &d, a, size);
    x86_gen_reg_read(s, b, x86_op(s, 1), size);
    dest_store(s, &d, b, size);
    x86_gen_reg_write(s, x86_op(s, 1), size, a);
    FREE(a);
    FREE(b);
    dest_end(&d);
}

static void gen_xadd(DisasContext *s)
{
    unsigned size = osize(s, 0);
    Dest d = dest_begin(s, x86_op(s, 0));
    TCGv_i64 a = T64(), b = T64(), r = T64();
    dest_load(s, &d, a, size);
    x86_gen_reg_read(s, b, x86_op(s, 1), size);
    tcg_gen_add_i64(r, a, b);
    if (d.mem) {
        dest_store(s, &d, r, size);
        x86_gen_reg_write(s, x86_op(s, 1), size, a);
    } else {
        x86_gen_reg_write(s, x86_op(s, 1), size, a);   /* the destination is written last */
        dest_store(s, &d, r, size);
    }
    tcg_gen_mov_i64(x86_cc_src, b);
    tcg_gen_mov_i64(x86_cc_dst, r);
    x86_gen_set_cc_op(s, cc_sized(CC_OP_ADDB, size));
    FREE(a);
    FREE(b);
    FREE(r);
    dest_end(&d);
}

static void gen_cmpxchg(DisasContext *s)
{
    unsigned size = osize(s, 0);
    Dest d = dest_begin(s, x86_op(s, 0));
    TCGv_i64 acc = T64(), a = T64(), az = T64(), src = T64(), nv = T64(), r = T64();

    x86_gen_ext(acc, x86_reg[R_EAX], size, false);
    dest_load(s, &d, a, size);
    x86_gen_ext(az, a, size, false);
    x86_gen_reg_read(s, src, x86_op(s, 1), size);
    tcg_gen_movcond_i64(TCG_COND_EQ, nv, acc, az, src, az);
    if (d.mem) {
        /* Memory is always written (the old value when the compare fails). */
        dest_store(s, &d, nv, size);
    } else {
        /* A register is written only when the compare succeeds (a 32-bit
         * one keeps its upper half otherwise), as Intel CPUs do. */
        const X86Operand *op = x86_op(s, 0);
        TCGv_i64 full = T64(), old = T64();
        tcg_gen_mov_i64(old, x86_reg[op->cls == X86_RC_GPR8H ? op->reg & 3 : op->reg]);
        x86_gen_reg_write(s, op, size, src);
        TCGv_i64 r = x86_reg[op->cls == X86_RC_GPR8H ? op->reg & 3 : op->reg];
        tcg_gen_mov_i64(full, r);
        tcg_gen_movcond_i64(TCG_COND_EQ, r, acc, az, full, old);
        FREE(full);
        FREE(old);
    }
    /* The accumulator takes the old value only when the compare fails. */
    switch (size) {
    case 1: case 2:
        tcg_gen_deposit_i64(r, x86_reg[R_EAX], az, 0, size * 8);
        break;
    default:
        tcg_gen_mov_i64(r, az);
        break;
    }
    tcg_gen_movcond_i64(TCG_COND_EQ, x86_reg[R_EAX], acc, az, x86_reg[R_EAX], r);
    tcg_gen_sub_i64(r, acc, az);
    set_sub_flags(s, acc, az, r, size);
    FREE(acc);
    FREE(a);
    FREE(az);
    FREE(src);
    FREE(nv);
    FREE(r);
    dest_end(&d);
}

static void gen_cbw(DisasContext *s)
{
    unsigned size = s->insn.opsize;
    TCGv_i64 v = T64();
    x86_gen_ext(v, x86_reg[R_EAX], size / 2, true);
    x86_gen_gpr_write(R_EAX, size, v);
    FREE(v);
}

static void gen_cwd(DisasContext *s)
{
    unsigned size = s->insn.opsize;
    TCGv_i64 v = T64();
    x86_gen_ext(v, x86_reg[R_EAX], size, true);
    tcg_gen_sari_i64(v, v, 63);
    x86_gen_gpr_write(R_EDX, size, v);
    FREE(v);
}

/* ---- multiply and divide -------------------------------------------------------- */

static void gen_mul1(DisasContext *s, bool sign)
{
    unsigned size = osize(s, 0);
    TCGv_i64 a = T64(), b = T64(), lo = T64(), hi = T64();

    x86_gen_operand_load(s, b, x86_op(s, 0), size);
    if (size == 8) {
        if (sign) {
            tcg_gen_muls2_i64(lo, hi, x86_reg[R_EAX], b);
        } else {
            tcg_gen_mulu2_i64(lo, hi, x86_reg[R_EAX], b);
        }
        tcg_gen_mov_i64(x86_reg[R_EAX], lo);
        tcg_gen_mov_i64(x86_reg[R_EDX], hi);
        tcg_gen_mov_i64(x86_cc_dst, lo);
        if (sign) {
            tcg_gen_sari_i64(a, lo, 63);
            tcg_gen_sub_i64(x86_cc_src, hi, a);
        } else {
            tcg_gen_mov_i64(x86_cc_src, hi);
        }
    } else {
        x86_gen_ext(a, x86_reg[R_EAX], size, sign);
        x86_gen_ext(b, b, size, sign);
        tcg_gen_mul_i64(lo, a, b);          /* the full product fits 64 bits */
        if (size == 1) {
            x86_gen_gpr_write(R_EAX, 2, lo);
        } else {
            tcg_gen_shri_i64(hi, lo, size * 8);
            x86_gen_gpr_write(R_EAX, size, lo);
            x86_gen_gpr_write(R_EDX, size, hi);
        }
        tcg_gen_mov_i64(x86_cc_dst, lo);
        if (sign) {
            /* cc_src must be nonzero in its low `size` bits: a 0/1 flag. */
            x86_gen_ext(a, lo, size, true);
            tcg_gen_setcond_i64(TCG_COND_NE, x86_cc_src, lo, a);
        } else {
            tcg_gen_shri_i64(x86_cc_src, lo, size * 8);
        }
    }
    x86_gen_set_cc_op(s, cc_sized(sign ? CC_OP_IMULB : CC_OP_MULB, size));
    FREE(a);
    FREE(b);
    FREE(lo);
    FREE(hi);
}

/* IMUL Gv, Ev [, imm]. */
static void gen_imul(DisasContext *s, int ai, int bi)
{
    unsigned size = osize(s, 0);
    TCGv_i64 a = T64(), b = T64(), lo = T64(), hi = T64();

    x86_gen_operand_load(s, a, x86_op(s, ai), size);
    x86_gen_operand_load(s, b, x86_op(s, bi), size);
    if (size == 8) {
        tcg_gen_muls2_i64(lo, hi, a, b);
        tcg_gen_sari_i64(a, lo, 63);
        tcg_gen_sub_i64(hi, hi, a);
    } else {
        x86_gen_ext(a, a, size, true);
        x86_gen_ext(b, b, size, true);
        tcg_gen_mul_i64(lo, a, b);
        x86_gen_ext(a, lo, size, true);
        tcg_gen_setcond_i64(TCG_COND_NE, hi, lo, a);
    }
    x86_gen_reg_write(s, x86_op(s, 0), size, lo);
    tcg_gen_mov_i64(x86_cc_dst, lo);
    tcg_gen_mov_i64(x86_cc_src, hi);
    x86_gen_set_cc_op(s, cc_sized(CC_OP_IMULB, size));
    FREE(a);
    FREE(b);
    FREE(lo);
    FREE(hi);
}

static void gen_div(DisasContext *s, bool sign)
{
    unsigned size = osize(s, 0);
    TCGv_i64 b = T64();
    x86_gen_operand_load(s, b, x86_op(s, 0), size);
    switch (size) {
    case 1: sign ? gen_helper_idivb(tcg_env, b) : gen_helper_divb(tcg_env, b); break;
    case 2: sign ? gen_helper_idivw(tcg_env, b) : gen_helper_divw(tcg_env, b); break;
    case 4: sign ? gen_helper_idivl(tcg_env, b) : gen_helper_divl(tcg_env, b); break;
    default: sign ? gen_helper_idivq(tcg_env, b) : gen_helper_divq(tcg_env, b); break;
    }
    FREE(b);
}

/* ---- bit instructions -------------------------------------------------------------- */

enum { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

static void gen_bt(DisasContext *s, int op)
{
    unsigned size = osize(s, 0), bits = size * 8;
    unsigned lbits = size == 8 ? 6 : size == 4 ? 5 : 4;
    const X86Operand *dst = x86_op(s, 0), *src = x86_op(s, 1);
    TCGv_i64 bit = T64(), a = T64(), r = T64(), f = T64(), m = T64();
    Dest d = { dst, { 0 }, { 0 }, dst->type == X86_OPT_MEM };

    if (src->type == X86_OPT_IMM) {
        tcg_gen_movi_i64(bit, s->insn.imm & (bits - 1));
        if (d.mem) {
            d.addr = d.scratch = T64();
            x86_gen_lea(s, d.addr, dst, true);
        }
    } else {
        TCGv_i64 off = T64();
        x86_gen_reg_read(s, off, src, size);
        tcg_gen_andi_i64(bit, off, bits - 1);
        if (d.mem) {
            /* The bit offset selects the operand-sized unit (signed). */
            d.addr = d.scratch = T64();
            x86_gen_ext(off, off, size, true);
            tcg_gen_sari_i64(off, off, lbits);
            tcg_gen_shli_i64(off, off, size == 8 ? 3 : size == 4 ? 2 : 1);
            x86_gen_ea(s, d.addr);
            tcg_gen_add_i64(d.addr, d.addr, off);
            if (s->insn.addrsize == 2) {
                tcg_gen_ext16u_i64(d.addr, d.addr);
            } else if (s->insn.addrsize == 4) {
                tcg_gen_ext32u_i64(d.addr, d.addr);
            }
            x86_gen_add_seg(s, d.addr, s->insn.seg, size);
        }
        FREE(off);
    }
    x86_gen_eflags_to(s, f);
    dest_load(s, &d, a, size);
    tcg_gen_shr_i64(r, a, bit);
    tcg_gen_andi_i64(r, r, 1);               /* CF */
    if (op != BT_TEST) {
        TCGv_i64 nv = T64();
        tcg_gen_shl_i64(m, tcg_constant_i64(1), bit);
        switch (op) {
        case BT_SET: tcg_gen_or_i64(nv, a, m); break;
        case BT_RESET: tcg_gen_andc_i64(nv, a, m); break;
        default: tcg_gen_xor_i64(nv, a, m); break;
        }
        dest_store(s, &d, nv, size);
        FREE(nv);
    }
    tcg_gen_andi_i64(f, f, ~(int64_t)X86_EFLAGS_CF);
    tcg_gen_or_i64(x86_cc_src, f, r);
    x86_gen_set_cc_op(s, CC_OP_EFLAGS);
    FREE(bit);
    FREE(a);
    FREE(r);
    FREE(f);
    FREE(m);
    dest_end(&d);
}

enum { SCAN_BSF, SCAN_BSR, SCAN_TZCNT, SCAN_LZCNT, SCAN_POPCNT };

static void gen_scan(DisasContext *s, int op)
{
    unsigned size = osize(s, 0), bits = size * 8;
    const X86Operand *dst = x86_op(s, 0);
    TCGv_i64 src = T64(), r = T64();

    x86_gen_operand_load(s, src, x86_op(s, 1), size);
    switch (op) {
    case SCAN_BSF:
    case SCAN_BSR: {
        /* A zero source leaves the whole destination register alone. */
        TCGv_i64 full = T64(), old = x86_reg[dst->reg];
        if (op == SCAN_BSF) {
            tcg_gen_ctzi_i64(r, src, 0);
        } else {
            tcg_gen_clzi_i64(r, src, 0);
            tcg_gen_xori_i64(r, r, 63);
        }
        switch (size) {
        case 2: tcg_gen_deposit_i64(full, old, r, 0, 16); break;
        case 4: tcg_gen_ext32u_i64(full, r); break;
        default: tcg_gen_mov_i64(full, r); break;
        }
        tcg_gen_movcond_i64(TCG_COND_EQ, old, src, tcg_constant_i64(0), old, full);
        tcg_gen_mov_i64(x86_cc_dst, src);
        x86_gen_set_cc_op(s, cc_sized(CC_OP_LOGICB, size));
        FREE(full);
        break;
    }
    case SCAN_TZCNT:
    case SCAN_LZCNT:
        if (op == SCAN_TZCNT) {
            tcg_gen_ctzi_i64(r, src, bits);
        } else {
            tcg_gen_clzi_i64(r, src, 64);
            tcg_gen_subi_i64(r, r, 64 - bits);
        }
        x86_gen_reg_write(s, dst, size, r);
        tcg_gen_setcondi_i64(TCG_COND_EQ, x86_cc_src, src, 0);
        tcg_gen_mov_i64(x86_cc_dst, r);
        x86_gen_set_cc_op(s, cc_sized(CC_OP_BMILGB, size));
        break;
    default:
        tcg_gen_ctpop_i64(r, src);
        x86_gen_reg_write(s, dst, size, r);
        tcg_gen_mov_i64(x86_cc_src, src);
        x86_gen_set_cc_op(s, cc_sized(CC_OP_POPCNTB, size));
        break;
    }
    FREE(src);
    FREE(r);
}

static void gen_setcc(DisasContext *s)
{
    TCGv_i64 v = T64();
    x86_gen_condition(s, v, s->insn.opcode & 15);
    x86_gen_operand_store(s, x86_op(s, 0), 1, v);
    FREE(v);
}

static void gen_cmovcc(DisasContext *s)
{
    unsigned size = osize(s, 0);
    if (gpr_whole(x86_op(s, 0), size)) {
        /* Selected straight into the register; a 32-bit one is written
         * (zero-extended) either way, its source read whole. */
        TCGv_i64 r = x86_reg[x86_op(s, 0)->reg & 15];
        TCGv_i64 st = T64(), t = T64();
        TCGv_i64 src = x86_gen_operand_value(s, x86_op(s, 1), size, true, st);
        X86Cond c = x86_prepare_cc(s, s->insn.opcode & 15);
        if (size == 8) {
            tcg_gen_movcond_i64(c.cond, r, c.a, c.b, src, r);
        } else {
            tcg_gen_movcond_i64(c.cond, t, c.a, c.b, src, r);
            tcg_gen_ext32u_i64(r, t);
        }
        FREE(st);
        FREE(t);
        return;
    }
    TCGv_i64 src = T64(), cur = T64();
    x86_gen_operand_load(s, src, x86_op(s, 1), size);   /* read even when false */
    x86_gen_reg_read(s, cur, x86_op(s, 0), size);
    X86Cond c = x86_prepare_cc(s, s->insn.opcode & 15);
    tcg_gen_movcond_i64(c.cond, cur, c.a, c.b, src, cur);
    x86_gen_reg_write(s, x86_op(s, 0), size, cur);
    FREE(src);
    FREE(cur);
}

static void gen_bswap(DisasContext *s)
{
    unsigned size = s->insn.opsize;
    const X86Operand *op = x86_op(s, 0);
    TCGv_i64 v = T64();
    if (size == 8) {
        tcg_gen_bswap64_i64(v, x86_reg[op->reg]);
    } else if (size == 4) {
        tcg_gen_bswap32_i64(v, x86_reg[op->reg]);
    } else {
        tcg_gen_movi_i64(v, 0);   /* BSWAP r16: Intel CPUs clear the low word */
    }
    x86_gen_gpr_write(op->reg, size, v);
    FREE(v);
}

static void gen_movbe(DisasContext *s, bool load)
{
    unsigned size = s->insn.opsize;
    TCGv_i64 v = T64();
    if (load) {
        x86_gen_operand_load(s, v, x86_op(s, 1), size);
    } else {
        x86_gen_reg_read(s, v, x86_op(s, 1), size);
    }
    switch (size) {
    case 2: tcg_gen_bswap16_i64(v, v); break;
    case 4: tcg_gen_bswap32_i64(v, v); break;
    default: tcg_gen_bswap64_i64(v, v); break;
    }
    if (load) {
        x86_gen_reg_write(s, x86_op(s, 0), size, v);
    } else {
        x86_gen_operand_store(s, x86_op(s, 0), size, v);
    }
    FREE(v);
}

/* ---- flag instructions, BCD, XLAT ----------------------------------------------------- */

static void gen_flag_op(DisasContext *s, int id)
{
    x86_gen_compute_eflags(s);
    switch (id) {
    case X86_INSN_CLC: tcg_gen_andi_i64(x86_cc_src, x86_cc_src, ~(int64_t)X86_EFLAGS_CF); break;
    case X86_INSN_STC: tcg_gen_ori_i64(x86_cc_src, x86_cc_src, X86_EFLAGS_CF); break;
    default: tcg_gen_xori_i64(x86_cc_src, x86_cc_src, X86_EFLAGS_CF); break;
    }
}

#define LAHF_MASK (X86_EFLAGS_SF | X86_EFLAGS_ZF | X86_EFLAGS_AF | X86_EFLAGS_PF | X86_EFLAGS_CF)

static void gen_lahf(DisasContext *s)
{
    TCGv_i64 v = T64();
    x86_gen_eflags_to(s, v);
    tcg_gen_andi_i64(v, v, LAHF_MASK);
    tcg_gen_ori_i64(v, v, X86_EFLAGS_FIXED);
    tcg_gen_deposit_i64(x86_reg[R_EAX], x86_reg[R_EAX], v, 8, 8);
    FREE(v);
}

static void gen_sahf(DisasContext *s)
{
    TCGv_i64 v = T64();
    x86_gen_compute_eflags(s);
    tcg_gen_extract_i64(v, x86_reg[R_EAX], 8, 8);
    tcg_gen_andi_i64(v, v, LAHF_MASK);
    tcg_gen_andi_i64(x86_cc_src, x86_cc_src, ~(int64_t)LAHF_MASK);
    tcg_gen_or_i64(x86_cc_src, x86_cc_src, v);
    FREE(v);
}

static void gen_salc(DisasContext *s)
{
    TCGv_i64 v = T64();
    x86_gen_compute_cf(s, v);
    tcg_gen_neg_i64(v, v);
    x86_gen_gpr_write(R_EAX, 1, v);
    FREE(v);
}

static void gen_xlat(DisasContext *s)
{
    TCGv_i64 a = T64();
    tcg_gen_ext8u_i64(a, x86_reg[R_EAX]);
    tcg_gen_add_i64(a, a, x86_reg[R_EBX]);
    if (s->insn.addrsize == 2) {
        tcg_gen_ext16u_i64(a, a);
    } else if (s->insn.addrsize == 4) {
        tcg_gen_ext32u_i64(a, a);
    }
    x86_gen_add_seg(s, a, s->insn.seg, 1);
    x86_gen_ld(s, a, a, MO_8);
    x86_gen_gpr_write(R_EAX, 1, a);
    FREE(a);
}

/* The BCD helpers read the flags and leave them as CC_OP_EFLAGS. */
static void gen_bcd(DisasContext *s, int id)
{
    x86_gen_update_cc_op(s);
    switch (id) {
    case X86_INSN_DAA: gen_helper_daa(tcg_env); break;
    case X86_INSN_DAS: gen_helper_das(tcg_env); break;
    case X86_INSN_AAA: gen_helper_aaa(tcg_env); break;
    case X86_INSN_AAS: gen_helper_aas(tcg_env); break;
    case X86_INSN_AAM_Ib: gen_helper_aam(tcg_env, tcg_constant_i32((int32_t)(s->insn.imm & 0xff))); break;
    default: gen_helper_aad(tcg_env, tcg_constant_i32((int32_t)(s->insn.imm & 0xff))); break;
    }
    s->cc_op = CC_OP_EFLAGS;
    s->cc_op_dirty = false;
}

static void gen_cmpxchg_wide(DisasContext *s, bool is16)
{
    TCGv_i64 a = T64();
    x86_gen_lea(s, a, x86_op(s, 0), true);
    x86_gen_update_cc_op(s);
    if (is16) {
        gen_helper_cmpxchg16b(tcg_env, a);
    } else {
        gen_helper_cmpxchg8b(tcg_env, a);
    }
    s->cc_op = CC_OP_EFLAGS;
    s->cc_op_dirty = false;
    FREE(a);
}

/* ---- pending rotate flags ------------------------------------------------------------ */

bool x86_insn_keeps_rot(const X86Insn *in)
{
    switch (in->id) {
#define ALU6(name) \
    case X86_INSN_##name##_EbGb: case X86_INSN_##name##_EvGv: \
    case X86_INSN_##name##_GbEb: case X86_INSN_##name##_GvEv: \
    case X86_INSN_##name##_ALIb: case X86_INSN_##name##_rAXIz: \
    case X86_INSN_##name##_EbIb: case X86_INSN_##name##_EvIz: \
    case X86_INSN_##name##_EvIbs: case X86_INSN_##name##_EbIb_82:
    ALU6(ADD) ALU6(OR) ALU6(AND) ALU6(SUB) ALU6(XOR) ALU6(CMP)
#undef ALU6
    case X86_INSN_TEST_EbGb: case X86_INSN_TEST_EvGv:
    case X86_INSN_TEST_ALIb: case X86_INSN_TEST_rAXIz:
    case X86_INSN_TEST_EbIb: case X86_INSN_TEST_EbIb_1:
    case X86_INSN_TEST_EvIz: case X86_INSN_TEST_EvIz_1:
    case X86_INSN_NEG_Eb: case X86_INSN_NEG_Ev:
    case X86_INSN_NOT_Eb: case X86_INSN_NOT_Ev:
    case X86_INSN_MOV_EbGb: case X86_INSN_MOV_EvGv: case X86_INSN_MOV_GbEb:
    case X86_INSN_MOV_GvEv: case X86_INSN_MOV_ALOb: case X86_INSN_MOV_rAXOv:
    case X86_INSN_MOV_ObAL: case X86_INSN_MOV_OvrAX: case X86_INSN_MOV_ZbIb:
    case X86_INSN_MOV_ZvIv: case X86_INSN_MOV_EbIb: case X86_INSN_MOV_EvIz:
    case X86_INSN_MOVZX_GvEb: case X86_INSN_MOVZX_GvEw:
    case X86_INSN_MOVSX_GvEb: case X86_INSN_MOVSX_GvEw: case X86_INSN_MOVSXD_GvEd:
    case X86_INSN_LEA_GvM:
    case X86_INSN_NOP:
#define SHIFTS_IMM(form) \
    case X86_INSN_ROL_##form: case X86_INSN_ROR_##form: case X86_INSN_SHL_##form: \
    case X86_INSN_SHR_##form: case X86_INSN_SAL_##form: case X86_INSN_SAR_##form:
    SHIFTS_IMM(EbIb) SHIFTS_IMM(EvIb) SHIFTS_IMM(EbI1) SHIFTS_IMM(EvI1)
#undef SHIFTS_IMM
        return true;
    default:
        return false;
    }
}

/* ---- dispatch ---------------------------------------------------------------------- */

bool x86_translate_int(DisasContext *s)
{
    unsigned id = s->insn.id;
    switch (id) {
#define ALU6(name, op) \
    case X86_INSN_##name##_EbGb: case X86_INSN_##name##_EvGv: \
    case X86_INSN_##name##_GbEb: case X86_INSN_##name##_GvEv: \
    case X86_INSN_##name##_ALIb: case X86_INSN_##name##_rAXIz: \
    case X86_INSN_##name##_EbIb: case X86_INSN_##name##_EvIz: \
    case X86_INSN_##name##_EvIbs: \
        gen_alu(s, op, 0, 1); return true;
    ALU6(ADD, ALU_ADD)
    ALU6(OR, ALU_OR)
    ALU6(ADC, ALU_ADC)
    ALU6(SBB, ALU_SBB)
    ALU6(AND, ALU_AND)
    ALU6(SUB, ALU_SUB)
    ALU6(XOR, ALU_XOR)
    ALU6(CMP, ALU_CMP)
#undef ALU6
    case X86_INSN_ADD_EbIb_82: gen_alu(s, ALU_ADD, 0, 1); return true;
    case X86_INSN_OR_EbIb_82: gen_alu(s, ALU_OR, 0, 1); return true;
    case X86_INSN_ADC_EbIb_82: gen_alu(s, ALU_ADC, 0, 1); return true;
    case X86_INSN_SBB_EbIb_82: gen_alu(s, ALU_SBB, 0, 1); return true;
    case X86_INSN_AND_EbIb_82: gen_alu(s, ALU_AND, 0, 1); return true;
    case X86_INSN_SUB_EbIb_82: gen_alu(s, ALU_SUB, 0, 1); return true;
    case X86_INSN_XOR_EbIb_82: gen_alu(s, ALU_XOR, 0, 1); return true;
    case X86_INSN_CMP_EbIb_82: gen_alu(s, ALU_CMP, 0, 1); return true;
    case X86_INSN_TEST_EbGb: case X86_INSN_TEST_EvGv:
    case X86_INSN_TEST_ALIb: case X86_INSN_TEST_rAXIz:
    case X86_INSN_TEST_EbIb: case X86_INSN_TEST_EbIb_1:
    case X86_INSN_TEST_EvIz: case X86_INSN_TEST_EvIz_1:
        gen_alu(s, ALU_TEST, 0, 1);
        return true;
    case X86_INSN_INC_Zv: case X86_INSN_INC_Eb: case X86_INSN_INC_Ev:
        gen_unary(s, UN_INC);
        return true;
    case X86_INSN_DEC_Zv: case X86_INSN_DEC_Eb: case X86_INSN_DEC_Ev:
        gen_unary(s, UN_DEC);
        return true;
    case X86_INSN_NEG_Eb: case X86_INSN_NEG_Ev:
        gen_unary(s, UN_NEG);
        return true;
    case X86_INSN_NOT_Eb: case X86_INSN_NOT_Ev:
        gen_unary(s, UN_NOT);
        return true;

    case X86_INSN_MOV_EbGb: case X86_INSN_MOV_EvGv: case X86_INSN_MOV_GbEb:
    case X86_INSN_MOV_GvEv: case X86_INSN_MOV_ALOb: case X86_INSN_MOV_rAXOv:
    case X86_INSN_MOV_ObAL: case X86_INSN_MOV_OvrAX: case X86_INSN_MOV_ZbIb:
    case X86_INSN_MOV_ZvIv: case X86_INSN_MOV_EbIb: case X86_INSN_MOV_EvIz:
    case X86_INSN_MOVNTI_MyGy:
        gen_mov(s);
        return true;
    case X86_INSN_MOVZX_GvEb: case X86_INSN_MOVZX_GvEw:
        gen_movx(s, false);
        return true;
    case X86_INSN_MOVSX_GvEb: case X86_INSN_MOVSX_GvEw: case X86_INSN_MOVSXD_GvEd:
        gen_movx(s, true);
        return true;
    case X86_INSN_LEA_GvM:
        gen_lea(s);
        return true;
    case X86_INSN_XCHG_EbGb: case X86_INSN_XCHG_EvGv: case X86_INSN_XCHG_ZvrAX:
        gen_xchg(s);
        return true;
    case X86_INSN_XADD_EbGb: case X86_INSN_XADD_EvGv:
        gen_xadd(s);
        return true;
    case X86_INSN_CMPXCHG_EbGb: case X86_INSN_CMPXCHG_EvGv:
        gen_cmpxchg(s);
        return true;
    case X86_INSN_CMPXCHG8B_Mq:
        gen_cmpxchg_wide(s, false);
        return true;
    case X86_INSN_CMPXCHG16B_Mdq:
        gen_cmpxchg_wide(s, true);
        return true;
    case X86_INSN_CBW:
        gen_cbw(s);
        return true;
    case X86_INSN_CWD:
        gen_cwd(s);
        return true;

    case X86_INSN_MUL_Eb: case X86_INSN_MUL_Ev:
        gen_mul1(s, false);
        return true;
    case X86_INSN_IMUL_Eb: case X86_INSN_IMUL_Ev:
        gen_mul1(s, true);
        return true;
    case X86_INSN_IMUL_GvEv:
        gen_imul(s, 0, 1);
        return true;
    case X86_INSN_IMUL_GvEvIz: case X86_INSN_IMUL_GvEvIbs:
        gen_imul(s, 1, 2);
        return true;
    case X86_INSN_DIV_Eb: case X86_INSN_DIV_Ev:
        gen_div(s, false);
        return true;
    case X86_INSN_IDIV_Eb: case X86_INSN_IDIV_Ev:
        gen_div(s, true);
        return true;


    case X86_INSN_BT_EvGv: case X86_INSN_BT_EvIb:
        gen_bt(s, BT_TEST);
        return true;
    case X86_INSN_BTS_EvGv: case X86_INSN_BTS_EvIb:
        gen_bt(s, BT_SET);
        return true;
    case X86_INSN_BTR_EvGv: case X86_INSN_BTR_EvIb:
        gen_bt(s, BT_RESET);
        return true;
    case X86_INSN_BTC_EvGv: case X86_INSN_BTC_EvIb:
        gen_bt(s, BT_COMPLEMENT);
        return true;
    case X86_INSN_BSF_GvEv:
        gen_scan(s, SCAN_BSF);
        return true;
    case X86_INSN_BSR_GvEv:
        gen_scan(s, SCAN_BSR);
        return true;
    case X86_INSN_TZCNT_GvEv:
        gen_scan(s, SCAN_TZCNT);
        return true;
    case X86_INSN_LZCNT_GvEv:
        gen_scan(s, SCAN_LZCNT);
        return true;
    case X86_INSN_POPCNT_GvEv:
        gen_scan(s, SCAN_POPCNT);
        return true;

    case X86_INSN_SETO_Eb: case X86_INSN_SETNO_Eb: case X86_INSN_SETB_Eb:
    case X86_INSN_SETAE_Eb: case X86_INSN_SETE_Eb: case X86_INSN_SETNE_Eb:
    case X86_INSN_SETBE_Eb: case X86_INSN_SETA_Eb: case X86_INSN_SETS_Eb:
    case X86_INSN_SETNS_Eb: case X86_INSN_SETP_Eb: case X86_INSN_SETNP_Eb:
    case X86_INSN_SETL_Eb: case X86_INSN_SETGE_Eb: case X86_INSN_SETLE_Eb:
    case X86_INSN_SETG_Eb:
        gen_setcc(s);
        return true;
    case X86_INSN_CMOVO_GvEv: case X86_INSN_CMOVNO_GvEv: case X86_INSN_CMOVB_GvEv:
    case X86_INSN_CMOVAE_GvEv: case X86_INSN_CMOVE_GvEv: case X86_INSN_CMOVNE_GvEv:
    case X86_INSN_CMOVBE_GvEv: case X86_INSN_CMOVA_GvEv: case X86_INSN_CMOVS_GvEv:
    case X86_INSN_CMOVNS_GvEv: case X86_INSN_CMOVP_GvEv: case X86_INSN_CMOVNP_GvEv:
    case X86_INSN_CMOVL_GvEv: case X86_INSN_CMOVGE_GvEv: case X86_INSN_CMOVLE_GvEv:
    case X86_INSN_CMOVG_GvEv:
        gen_cmovcc(s);
        return true;
    case X86_INSN_BSWAP_Zv:
        gen_bswap(s);
        return true;
    case X86_INSN_MOVBE_GvMv:
        gen_movbe(s, true);
        return true;
    case X86_INSN_MOVBE_MvGv:
        gen_movbe(s, false);
        return true;

    case X86_INSN_CLC: case X86_INSN_STC: case X86_INSN_CMC:
        gen_flag_op(s, (int)id);
        return true;
    case X86_INSN_CLD:
        tcg_gen_movi_i64(x86_df, 1);
        return true;
    case X86_INSN_STD:
        tcg_gen_movi_i64(x86_df, -1);
        return true;
    case X86_INSN_LAHF:
        gen_lahf(s);
        return true;
    case X86_INSN_SAHF:
        gen_sahf(s);
        return true;
    case X86_INSN_SALC:
        gen_salc(s);
        return true;
    case X86_INSN_XLAT:
        gen_xlat(s);
        return true;
    case X86_INSN_DAA: case X86_INSN_DAS: case X86_INSN_AAA: case X86_INSN_AAS:
    case X86_INSN_AAM_Ib: case X86_INSN_AAD_Ib:
        gen_bcd(s, (int)id);
        return true;

    case X86_INSN_NOP:
    case X86_INSN_NOP_Ev_0F18: case X86_INSN_NOP_Ev_0F19: case X86_INSN_NOP_Ev_0F1A:
    case X86_INSN_NOP_Ev_0F1B: case X86_INSN_NOP_Ev_0F1C: case X86_INSN_NOP_Ev_0F1D:
    case X86_INSN_NOP_Ev_0F1E: case X86_INSN_NOP_Ev_0F1F:
    case X86_INSN_PREFETCH_Mb: case X86_INSN_PREFETCHW_Mb: case X86_INSN_PREFETCH_Mb_2:
    case X86_INSN_PREFETCH_Mb_3: case X86_INSN_PREFETCH_Mb_4: case X86_INSN_PREFETCH_Mb_5:
    case X86_INSN_PREFETCH_Mb_6: case X86_INSN_PREFETCH_Mb_7:
    case X86_INSN_PREFETCHNTA_Mb: case X86_INSN_PREFETCHT0_Mb: case X86_INSN_PREFETCHT1_Mb:
    case X86_INSN_PREFETCHT2_Mb: case X86_INSN_ENDBR64: case X86_INSN_ENDBR32:
        return true;
    case X86_INSN_LFENCE: case X86_INSN_MFENCE: case X86_INSN_SFENCE:
        tcg_gen_mb(TCG_MB_ALL);
        return true;
    default:
        return false;
    }
}
