/*
 * Control flow and the stack: Jcc/JMP/CALL/RET (direct ones chained with
 * goto_tb, indirect ones through the block lookup), LOOP, LOOPcc and JCXZ, far JMP,
 * CALL/RET, IRET, INT n/INT3/INTO/INT1, BOUND, PUSH/POP of every kind,
 * PUSHA/POPA, ENTER/LEAVE, PUSHF/POPF.
 * Reference: Intel SDM vol. 2 (CALL, JMP, Jcc, RET, PUSH, POP, ENTER...),
 * vol. 1 6.2-6.4 (stack, procedure calls), vol. 3 3.3.7.1 (canonical RIP).
 * Leaves out: the ENTER level>0 frame is built by a helper; CET shadow stacks.
 */
#include "cpu/x86/helper.h"
#include "cpu/x86/translate.h"

#define T64() tcg_temp_new_i64()
#define FREE(t) tcg_temp_free_i64(t)

/* Operand size of a near branch / stack operation. */
static unsigned branch_size(DisasContext *s)
{
    return s->code64 ? 8 : s->insn.opsize;
}

/* The instruction ended the block with rip = next insn (state changed). */
static void end_dynamic_next(DisasContext *s)
{
    x86_gen_set_rip(s, s->next_pc);
    s->end = X86_END_DYNAMIC;
}

/* In 64-bit mode a near branch to a non-canonical address is #GP(0) at the
 * branch (Intel). target must be a TB temp or global (it survives the label). */
static void gen_check_canonical(DisasContext *s, TCGv_i64 target)
{
    if (!s->code64) {
        return;
    }
    TCGv_i64 t = T64();
    TCGLabel *ok = gen_new_label();
    tcg_gen_sextract_i64(t, target, 0, 48);
    tcg_gen_brcond_i64(TCG_COND_EQ, t, target, ok);
    gen_helper_raise_exception(tcg_env, tcg_constant_i32(X86_EXCP_GP), tcg_constant_i32(0));
    gen_set_label(ok);
    FREE(t);
}

static void gen_jcc(DisasContext *s)
{
    unsigned size = branch_size(s);
    uint64_t target = x86_mask_rip(size, s->next_pc + (uint64_t)s->insn.imm);
    TCGLabel *taken = gen_new_label();

    x86_gen_update_cc_op(s);
    X86Cond c = x86_prepare_cc(s, s->insn.opcode & 15);
    tcg_gen_brcond_i64(c.cond, c.a, c.b, taken);
    x86_gen_goto_tb(s, 1, s->next_pc);
    gen_set_label(taken);
    x86_gen_goto_tb(s, 0, target);
    s->end = X86_END_STATIC;
}

/* LOOP, LOOPE, LOOPNE, JrCXZ: the counter is rCX at the address size. */
static void gen_loop(DisasContext *s, unsigned id)
{
    unsigned size = branch_size(s), as = s->insn.addrsize;
    uint64_t target = x86_mask_rip(size, s->next_pc + (uint64_t)s->insn.imm);
    TCGLabel *taken = gen_new_label();
    TCGv_i64 cnt = T64();

    x86_gen_update_cc_op(s);
    if (id == X86_INSN_JCXZ_Jb) {
        x86_gen_ext(cnt, x86_reg[R_ECX], as, false);
        tcg_gen_brcondi_i64(TCG_COND_EQ, cnt, 0, taken);
    } else {
        tcg_gen_subi_i64(cnt, x86_reg[R_ECX], 1);
        x86_gen_gpr_write(R_ECX, as, cnt);
        x86_gen_ext(cnt, cnt, as, false);
        if (id == X86_INSN_LOOP_Jb) {
            tcg_gen_brcondi_i64(TCG_COND_NE, cnt, 0, taken);
        } else {
            TCGv_i64 z = T64();
            tcg_gen_setcondi_i64(TCG_COND_NE, cnt, cnt, 0);
            x86_gen_condition(s, z, id == X86_INSN_LOOPE_Jb ? 4 : 5);   /* Z / NZ */
            tcg_gen_and_i64(cnt, cnt, z);
            tcg_gen_brcondi_i64(TCG_COND_NE, cnt, 0, taken);
            FREE(z);
        }
    }
    FREE(cnt);
    x86_gen_goto_tb(s, 1, s->next_pc);
    gen_set_label(taken);
    x86_gen_goto_tb(s, 0, target);
    s->end = X86_END_STATIC;
}

static void gen_call_rel(DisasContext *s)
{
    unsigned size = branch_size(s);
    uint64_t target = x86_mask_rip(size, s->next_pc + (uint64_t)s->insn.imm);
    x86_gen_push(s, tcg_constant_i64((int64_t)s->next_pc), size);
    x86_gen_jmp(s, target);
}

/* CALL/JMP r/m: target read first (it may fault), then the push. */
static void gen_indirect(DisasContext *s, bool call)
{
    unsigned size = branch_size(s);
    /* The target goes straight into rip: a fault after this point (the
     * canonical check, the push) restores rip from insn_start. */
    x86_gen_operand_load(s, x86_rip, x86_op(s, 0), size);
    gen_check_canonical(s, x86_rip);
    if (call) {
        x86_gen_push(s, tcg_constant_i64((int64_t)s->next_pc), size);
    }
    s->end = X86_END_DYNAMIC;
}

static void gen_ret(DisasContext *s, unsigned imm)
{
    unsigned size = branch_size(s);
    /* Straight into rip, as for indirect jumps. */
    x86_gen_pop_load(s, x86_rip, size, 0);
    gen_check_canonical(s, x86_rip);
    x86_gen_sp_add(s, size + imm);
    s->end = X86_END_DYNAMIC;
}

/* Far JMP/CALL: ptr16:16/32 immediate or m16:16/32/64 in memory. */
static void gen_far(DisasContext *s, bool call, bool mem)
{
    unsigned opsize = s->insn.opsize;
    TCGv_i64 off = T64(), sel = T64();
    TCGv_i32 sel32 = tcg_temp_new_i32();

    if (mem) {
        TCGv_i64 a = T64();
        x86_gen_ea(s, a);
        TCGv_i64 b = T64();
        tcg_gen_mov_i64(b, a);
        x86_gen_add_seg(s, a, s->insn.seg, opsize);
        x86_gen_ld(s, off, a, x86_mo(opsize));
        tcg_gen_addi_i64(b, b, opsize);
        if (s->insn.addrsize == 2) {
            tcg_gen_ext16u_i64(b, b);
        } else if (s->insn.addrsize == 4) {
            tcg_gen_ext32u_i64(b, b);
        }
        x86_gen_add_seg(s, b, s->insn.seg, 2);
        x86_gen_ld(s, sel, b, MO_16);
        FREE(a);
        FREE(b);
    } else {
        tcg_gen_movi_i64(off, s->insn.imm);
        tcg_gen_movi_i64(sel, s->insn.imm2 & 0xffff);
    }
    tcg_gen_extrl_i64_i32(sel32, sel);
    x86_gen_update_cc_op(s);
    if (call) {
        gen_helper_lcall(tcg_env, sel32, off, tcg_constant_i32((int32_t)opsize),
                         tcg_constant_i64((int64_t)s->next_pc));
    } else {
        gen_helper_ljmp(tcg_env, sel32, off, tcg_constant_i32((int32_t)opsize),
                        tcg_constant_i64((int64_t)s->next_pc));
    }
    tcg_temp_free_i32(sel32);
    FREE(off);
    FREE(sel);
    s->end = X86_END_EXIT;
}

static void gen_int(DisasContext *s, unsigned id)
{
    TCGv_i64 next = tcg_constant_i64((int64_t)s->next_pc);
    x86_gen_update_cc_op(s);
    switch (id) {
    case X86_INSN_INT3: gen_helper_int3(tcg_env, next); break;
    case X86_INSN_INTO: gen_helper_into(tcg_env, next); break;
    case X86_INSN_INT1: gen_helper_icebp(tcg_env, next); break;
    default: gen_helper_int_n(tcg_env, tcg_constant_i32((int32_t)(s->insn.imm & 0xff)), next); break;
    }
    s->no_step_trap = true;
    s->end = X86_END_EXIT;
}

/* ---- push / pop ------------------------------------------------------------------ */

static unsigned stack_opsize(DisasContext *s)
{
    return s->insn.opsize;   /* D64 forms already have 8 (66: 2) in 64-bit mode */
}

static void gen_push_op(DisasContext *s)
{
    unsigned size = stack_opsize(s);
    const X86Operand *op = x86_op(s, 0);
    TCGv_i64 v = T64();

    if (op->type == X86_OPT_REG && op->cls == X86_RC_SEG) {
        /* A segment register: 16-bit store into an operand-size slot (what
         * current Intel CPUs do; the upper bytes keep their value). */
        TCGv_i64 sp = T64(), a = T64();
        x86_gen_operand_load(s, v, op, 2);
        tcg_gen_subi_i64(sp, x86_reg[R_ESP], size);
        x86_gen_ext(sp, sp, s->stack_size, false);
        tcg_gen_mov_i64(a, sp);
        x86_gen_add_seg(s, a, SEG_SS, size);
        x86_gen_st(s, v, a, MO_16);
        x86_gen_gpr_write(R_ESP, s->stack_size, sp);
        FREE(sp);
        FREE(a);
    } else {
        /* The store takes the low bytes of a register or immediate as it is. */
        x86_gen_push(s, x86_gen_operand_value(s, op, size, true, v), size);
    }
    FREE(v);
}

static void gen_pop_op(DisasContext *s)
{
    unsigned size = stack_opsize(s);
    const X86Operand *op = x86_op(s, 0);
    TCGv_i64 v = T64();

    if (op->type == X86_OPT_REG && op->cls == X86_RC_GPR && size >= 4 && op->reg != R_ESP) {
        /* Loaded straight into the register (a 32-bit load zero-extends),
         * then rSP moves. */
        x86_gen_pop_load(s, x86_reg[op->reg & 15], size, 0);
        x86_gen_sp_add(s, size);
        FREE(v);
        return;
    }
    x86_gen_pop_load(s, v, size, 0);
    if (op->type == X86_OPT_REG && op->cls == X86_RC_SEG) {
        TCGv_i32 sel = tcg_temp_new_i32();
        tcg_gen_extrl_i64_i32(sel, v);
        tcg_gen_andi_i32(sel, sel, 0xffff);
        gen_helper_load_seg(tcg_env, tcg_constant_i32(op->reg), sel);
        tcg_temp_free_i32(sel);
        x86_gen_sp_add(s, size);
        if (!s->code64 || op->reg == SEG_SS) {
            end_dynamic_next(s);
        }
    } else if (op->type == X86_OPT_MEM) {
        /* The address uses rSP after the pop (SDM POP). */
        TCGv_i64 a = T64();
        x86_gen_lea_rsp_adjust(s, a, op, size);
        x86_gen_st(s, v, a, x86_mo(size));
        x86_gen_sp_add(s, size);
        FREE(a);
    } else {
        x86_gen_sp_add(s, size);
        x86_gen_reg_write(s, op, size, v);
    }
    FREE(v);
}

static void gen_pusha(DisasContext *s)
{
    unsigned size = s->insn.opsize;
    TCGv_i64 a = T64(), sp = T64(), v = T64();
    for (int i = 0; i < 8; i++) {
        tcg_gen_subi_i64(a, x86_reg[R_ESP], (int64_t)size * (i + 1));
        x86_gen_ext(a, a, s->stack_size, false);
        x86_gen_add_seg(s, a, SEG_SS, size);
        x86_gen_st(s, x86_reg[i], a, x86_mo(size));   /* i == 4: the original rSP */
    }
    tcg_gen_subi_i64(sp, x86_reg[R_ESP], (int64_t)size * 8);
    x86_gen_gpr_write(R_ESP, s->stack_size, sp);
    FREE(a);
    FREE(sp);
    FREE(v);
}

static void gen_popa(DisasContext *s)
{
    unsigned size = s->insn.opsize;
    TCGv_i64 v[8];
    for (int i = 0; i < 8; i++) {
        v[i] = T64();
        if (i != 3) {   /* slot 3 (from the top) holds rSP: skipped */
            x86_gen_pop_load(s, v[i], size, size * i);
        }
    }
    for (int i = 0; i < 8; i++) {
        if (i != 3) {
            x86_gen_gpr_write(7 - i, size, v[i]);
        }
        FREE(v[i]);
    }
    x86_gen_sp_add(s, size * 8);
}

static void gen_enter(DisasContext *s)
{
    unsigned size = stack_opsize(s);
    unsigned frame = (unsigned)(s->insn.imm & 0xffff), level = (unsigned)(s->insn.imm2 & 31);
    if (level) {
        x86_gen_update_cc_op(s);
        gen_helper_enter_level(tcg_env, tcg_constant_i32((int32_t)size),
                               tcg_constant_i32((int32_t)frame), tcg_constant_i32((int32_t)level));
        return;
    }
    TCGv_i64 sp = T64(), a = T64();
    tcg_gen_subi_i64(sp, x86_reg[R_ESP], size);
    x86_gen_ext(sp, sp, s->stack_size, false);
    tcg_gen_mov_i64(a, sp);
    x86_gen_add_seg(s, a, SEG_SS, size);
    x86_gen_st(s, x86_reg[R_EBP], a, x86_mo(size));
    x86_gen_gpr_write(R_EBP, size, sp);
    tcg_gen_subi_i64(sp, sp, frame);
    x86_gen_gpr_write(R_ESP, s->stack_size, sp);
    FREE(sp);
    FREE(a);
}

static void gen_leave(DisasContext *s)
{
    unsigned size = stack_opsize(s);
    TCGv_i64 a = T64(), v = T64(), sp = T64();
    x86_gen_ext(sp, x86_reg[R_EBP], s->stack_size, false);
    tcg_gen_mov_i64(a, sp);
    x86_gen_add_seg(s, a, SEG_SS, size);
    x86_gen_ld(s, v, a, x86_mo(size));
    tcg_gen_addi_i64(sp, sp, size);
    x86_gen_gpr_write(R_ESP, s->stack_size, sp);
    x86_gen_gpr_write(R_EBP, size, v);
    FREE(a);
    FREE(v);
    FREE(sp);
}

static void gen_pushf(DisasContext *s)
{
    TCGv_i64 v = T64();
    x86_gen_update_cc_op(s);
    gen_helper_pushf(v, tcg_env);
    x86_gen_push(s, v, stack_opsize(s));
    FREE(v);
}

static void gen_popf(DisasContext *s)
{
    unsigned size = stack_opsize(s);
    TCGv_i64 v = T64();
    x86_gen_pop_load(s, v, size, 0);
    x86_gen_update_cc_op(s);
    gen_helper_popf(tcg_env, v, tcg_constant_i32((int32_t)size));
    s->cc_op = CC_OP_EFLAGS;
    s->cc_op_dirty = false;
    x86_gen_sp_add(s, size);
    FREE(v);
    /* POPF is SERIAL in the table: the block ends (IF, TF, IOPL may change). */
}

static void gen_bound(DisasContext *s)
{
    unsigned size = s->insn.opsize;
    TCGv_i64 a = T64(), idx = T64();
    x86_gen_lea(s, a, x86_op(s, 1), true);
    x86_gen_reg_read(s, idx, x86_op(s, 0), size);
    gen_helper_bound(tcg_env, a, idx, tcg_constant_i32((int32_t)size));
    FREE(a);
    FREE(idx);
}

bool x86_translate_ctl(DisasContext *s)
{
    unsigned id = s->insn.id;
    switch (id) {
    case X86_INSN_JO_Jb: case X86_INSN_JNO_Jb: case X86_INSN_JB_Jb: case X86_INSN_JAE_Jb:
    case X86_INSN_JE_Jb: case X86_INSN_JNE_Jb: case X86_INSN_JBE_Jb: case X86_INSN_JA_Jb:
    case X86_INSN_JS_Jb: case X86_INSN_JNS_Jb: case X86_INSN_JP_Jb: case X86_INSN_JNP_Jb:
    case X86_INSN_JL_Jb: case X86_INSN_JGE_Jb: case X86_INSN_JLE_Jb: case X86_INSN_JG_Jb:
    case X86_INSN_JO_Jz: case X86_INSN_JNO_Jz: case X86_INSN_JB_Jz: case X86_INSN_JAE_Jz:
    case X86_INSN_JE_Jz: case X86_INSN_JNE_Jz: case X86_INSN_JBE_Jz: case X86_INSN_JA_Jz:
    case X86_INSN_JS_Jz: case X86_INSN_JNS_Jz: case X86_INSN_JP_Jz: case X86_INSN_JNP_Jz:
    case X86_INSN_JL_Jz: case X86_INSN_JGE_Jz: case X86_INSN_JLE_Jz: case X86_INSN_JG_Jz:
        gen_jcc(s);
        return true;
    case X86_INSN_LOOP_Jb: case X86_INSN_LOOPE_Jb: case X86_INSN_LOOPNE_Jb:
    case X86_INSN_JCXZ_Jb:
        gen_loop(s, id);
        return true;
    case X86_INSN_JMP_Jb: case X86_INSN_JMP_Jz:
        x86_gen_jmp(s, x86_mask_rip(branch_size(s), s->next_pc + (uint64_t)s->insn.imm));
        return true;
    case X86_INSN_CALL_Jz:
        gen_call_rel(s);
        return true;
    case X86_INSN_CALL_Ev:
        gen_indirect(s, true);
        return true;
    case X86_INSN_JMP_Ev:
        gen_indirect(s, false);
        return true;
    case X86_INSN_RET:
        gen_ret(s, 0);
        return true;
    case X86_INSN_RET_Iw:
        gen_ret(s, (unsigned)(s->insn.imm & 0xffff));
        return true;
    case X86_INSN_JMPF_Ap:
        gen_far(s, false, false);
        return true;
    case X86_INSN_JMPF_Mp:
        gen_far(s, false, true);
        return true;
    case X86_INSN_CALLF_Ap:
        gen_far(s, true, false);
        return true;
    case X86_INSN_CALLF_Mp:
        gen_far(s, true, true);
        return true;
    case X86_INSN_RETF: case X86_INSN_RETF_Iw:
        x86_gen_update_cc_op(s);
        gen_helper_lret(tcg_env, tcg_constant_i32(s->insn.opsize),
                        tcg_constant_i32(id == X86_INSN_RETF ? 0 : (int32_t)(s->insn.imm & 0xffff)));
        s->end = X86_END_EXIT;
        return true;
    case X86_INSN_IRET:
        x86_gen_update_cc_op(s);
        gen_helper_iret(tcg_env, tcg_constant_i32(s->insn.opsize));
        s->cc_op = X86_CC_OP_DYNAMIC;
        s->cc_op_dirty = false;
        s->end = X86_END_EXIT;
        return true;
    case X86_INSN_INT3: case X86_INSN_INT_Ib: case X86_INSN_INTO: case X86_INSN_INT1:
        /* INTO without OF delivers nothing: rip must already be the next insn. */
        x86_gen_set_rip(s, s->next_pc);
        gen_int(s, id);
        return true;
    case X86_INSN_BOUND_GvMa:
        gen_bound(s);
        return true;

    case X86_INSN_PUSH_Zv: case X86_INSN_PUSH_Iz: case X86_INSN_PUSH_Ibs:
    case X86_INSN_PUSH_Ev: case X86_INSN_PUSH_ES: case X86_INSN_PUSH_CS:
    case X86_INSN_PUSH_SS: case X86_INSN_PUSH_DS: case X86_INSN_PUSH_FS:
    case X86_INSN_PUSH_GS:
        gen_push_op(s);
        return true;
    case X86_INSN_POP_Zv: case X86_INSN_POP_Ev: case X86_INSN_POP_ES: case X86_INSN_POP_SS:
    case X86_INSN_POP_DS: case X86_INSN_POP_FS: case X86_INSN_POP_GS:
        gen_pop_op(s);
        return true;
    case X86_INSN_PUSHA:
        gen_pusha(s);
        return true;
    case X86_INSN_POPA:
        gen_popa(s);
        return true;
    case X86_INSN_ENTER_IwIb:
        gen_enter(s);
        return true;
    case X86_INSN_LEAVE:
        gen_leave(s);
        return true;
    case X86_INSN_PUSHF:
        gen_pushf(s);
        return true;
    case X86_INSN_POPF:
        gen_popf(s);
        return true;
    default:
        return false;
    }
}
