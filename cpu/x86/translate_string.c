/*
 * String instructions (MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS) with REP/
 * REPE/REPNE, and port I/O (IN, OUT). A REP instruction runs one iteration
 * per pass and jumps back to itself, so interrupts and faults see precise
 * rCX/rSI/rDI; REP MOVS/STOS first let a helper copy whole runs inside a page.
 * Reference: Intel SDM vol. 2 (MOVS, REP/REPE/REPNE, INS, OUT...), vol. 1
 * 18.5 (I/O permission bitmap).
 * Leaves out: nothing of the architecture; I/O breakpoints (DR7) are not modelled.
 */
#include "cpu/x86/helper.h"
#include "cpu/x86/translate.h"

#define T64() tcg_temp_new_i64()
#define FREE(t) tcg_temp_free_i64(t)

enum { STR_MOVS, STR_STOS, STR_LODS, STR_CMPS, STR_SCAS, STR_INS, STR_OUTS };

/* Does this CPL/IOPL/mode need the TSS permission bitmap for I/O? */
static bool io_needs_check(const DisasContext *s)
{
    uint32_t hf = s->hflags;
    if (!(hf & X86_HF_PE)) {
        return false;
    }
    return (hf & X86_HF_VM) ||
           (hf & X86_HF_CPL_MASK) > ((hf & X86_HF_IOPL_MASK) >> X86_HF_IOPL_SHIFT);
}

static void gen_io_check(DisasContext *s, TCGv_i32 port, unsigned size)
{
    if (io_needs_check(s)) {
        gen_helper_check_io(tcg_env, port, tcg_constant_i32((int32_t)size));
    }
}

/* Linear address of rSI (in its segment) or ES:rDI. */
static void str_addr(DisasContext *s, TCGv_i64 a, int reg, int seg, unsigned size)
{
    x86_gen_ext(a, x86_reg[reg], s->insn.addrsize, false);
    x86_gen_add_seg(s, a, seg, size);
}

/* reg += DF * size, at the address size. */
static void str_advance(DisasContext *s, int reg, unsigned size)
{
    TCGv_i64 t = T64();
    unsigned shift = size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0;
    tcg_gen_shli_i64(t, x86_df, shift);
    tcg_gen_add_i64(t, x86_reg[reg], t);
    x86_gen_gpr_write(reg, s->insn.addrsize, t);
    FREE(t);
}

static void str_sub_flags(DisasContext *s, TCGv_i64 a, TCGv_i64 b, unsigned size)
{
    TCGv_i64 r = T64();
    tcg_gen_sub_i64(r, a, b);
    x86_gen_ext(s->cc_srcT, a, size, false);
    tcg_gen_mov_i64(x86_cc_src, b);
    tcg_gen_mov_i64(x86_cc_dst, r);
    x86_gen_set_cc_op(s, (int)x86_cc_op_sized(CC_OP_SUBB, size));
    FREE(r);
}

static void gen_port(TCGv_i32 port)
{
    TCGv_i64 t = T64();
    tcg_gen_ext16u_i64(t, x86_reg[R_EDX]);
    tcg_gen_extrl_i64_i32(port, t);
    FREE(t);
}

/* One iteration, registers updated only after the memory accesses. */
static void gen_str_once(DisasContext *s, int kind, unsigned size)
{
    int seg = s->insn.seg;
    TCGv_i64 a = T64(), b = T64(), v = T64(), w = T64();
    TCGv_i32 port = tcg_temp_new_i32();

    switch (kind) {
    case STR_MOVS:
        str_addr(s, a, R_ESI, seg, size);
        x86_gen_ld(s, v, a, x86_mo(size));
        str_addr(s, b, R_EDI, SEG_ES, size);
        x86_gen_st(s, v, b, x86_mo(size));
        str_advance(s, R_ESI, size);
        str_advance(s, R_EDI, size);
        break;
    case STR_STOS:
        str_addr(s, b, R_EDI, SEG_ES, size);
        x86_gen_st(s, x86_reg[R_EAX], b, x86_mo(size));
        str_advance(s, R_EDI, size);
        break;
    case STR_LODS:
        str_addr(s, a, R_ESI, seg, size);
        x86_gen_ld(s, v, a, x86_mo(size));
        x86_gen_gpr_write(R_EAX, size, v);
        str_advance(s, R_ESI, size);
        break;
    case STR_CMPS:
        str_addr(s, a, R_ESI, seg, size);
        x86_gen_ld(s, v, a, x86_mo(size));
        str_addr(s, b, R_EDI, SEG_ES, size);
        x86_gen_ld(s, w, b, x86_mo(size));
        str_advance(s, R_ESI, size);
        str_advance(s, R_EDI, size);
        str_sub_flags(s, v, w, size);
        break;
    case STR_SCAS:
        str_addr(s, b, R_EDI, SEG_ES, size);
        x86_gen_ld(s, w, b, x86_mo(size));
        x86_gen_ext(v, x86_reg[R_EAX], size, false);
        str_advance(s, R_EDI, size);
        str_sub_flags(s, v, w, size);
        break;
    case STR_INS: {
        TCGv_i32 in = tcg_temp_new_i32();
        gen_port(port);
        gen_io_check(s, port, size);
        str_addr(s, b, R_EDI, SEG_ES, size);
        /* Probe the destination first: the port read must not happen twice
         * when the store faults and the instruction restarts. */
        x86_gen_st(s, tcg_constant_i64(0), b, x86_mo(size));
        gen_helper_in(in, tcg_env, port, tcg_constant_i32((int32_t)size));
        tcg_gen_extu_i32_i64(v, in);
        x86_gen_st(s, v, b, x86_mo(size));
        str_advance(s, R_EDI, size);
        tcg_temp_free_i32(in);
        break;
    }
    case STR_OUTS: {
        TCGv_i32 out = tcg_temp_new_i32();
        gen_port(port);
        gen_io_check(s, port, size);
        str_addr(s, a, R_ESI, seg, size);
        x86_gen_ld(s, v, a, x86_mo(size));
        tcg_gen_extrl_i64_i32(out, v);
        gen_helper_out(tcg_env, port, tcg_constant_i32((int32_t)size), out);
        str_advance(s, R_ESI, size);
        tcg_temp_free_i32(out);
        break;
    }
    }
    tcg_temp_free_i32(port);
    FREE(a);
    FREE(b);
    FREE(v);
    FREE(w);
}

static void gen_string(DisasContext *s, int kind)
{
    const X86Insn *in = &s->insn;
    unsigned size = in->op[0].size ? in->op[0].size : in->op[1].size;
    unsigned as = in->addrsize;
    bool repcc = kind == STR_CMPS || kind == STR_SCAS;
    bool rep = (in->prefixes & (X86_PFX_REP | X86_PFX_REPNE)) != 0;

    if (kind == STR_INS || kind == STR_OUTS) {
        size = in->op[kind == STR_INS ? 0 : 1].size;
    }
    if (!rep) {
        gen_str_once(s, kind, size);
        return;
    }

    TCGLabel *done = gen_new_label();
    TCGv_i64 cnt = T64();
    x86_gen_update_cc_op(s);
    if (as == 4 && s->code64) {
        /* ECX is written even when it is 0 (a 32-bit write clears the upper
         * half), and so are the index registers of the fast-string MOVS and
         * STOS; CMPS/SCAS/LODS/INS/OUTS leave them alone (Intel CPUs). */
        tcg_gen_ext32u_i64(x86_reg[R_ECX], x86_reg[R_ECX]);
        if (kind == STR_MOVS || kind == STR_STOS) {
            tcg_gen_ext32u_i64(x86_reg[R_EDI], x86_reg[R_EDI]);
        }
        if (kind == STR_MOVS) {
            tcg_gen_ext32u_i64(x86_reg[R_ESI], x86_reg[R_ESI]);
        }
    }
    x86_gen_ext(cnt, x86_reg[R_ECX], as, false);
    tcg_gen_brcondi_i64(TCG_COND_EQ, cnt, 0, done);

    if ((kind == STR_MOVS || kind == STR_STOS) && !s->notflat) {
        uint32_t args = X86_STR_ARGS(size, as, (uint32_t)in->seg);
        if (kind == STR_MOVS) {
            gen_helper_rep_movs(tcg_env, tcg_constant_i32((int32_t)args));
        } else {
            gen_helper_rep_stos(tcg_env, tcg_constant_i32((int32_t)args));
        }
        x86_gen_ext(cnt, x86_reg[R_ECX], as, false);
        tcg_gen_brcondi_i64(TCG_COND_EQ, cnt, 0, done);
    }

    gen_str_once(s, kind, size);
    tcg_gen_subi_i64(cnt, x86_reg[R_ECX], 1);
    x86_gen_gpr_write(R_ECX, as, cnt);
    if (repcc) {
        /* REPE stops when ZF = 0, REPNE when ZF = 1. */
        X86Cond c = x86_prepare_cc(s, (in->prefixes & X86_PFX_REPNE) ? 4 : 5);
        x86_gen_update_cc_op(s);
        tcg_gen_brcond_i64(c.cond, c.a, c.b, done);
    }
    x86_gen_ext(cnt, x86_reg[R_ECX], as, false);
    tcg_gen_brcondi_i64(TCG_COND_EQ, cnt, 0, done);
    FREE(cnt);
    x86_gen_goto_tb(s, 0, s->pc);

    gen_set_label(done);
    s->cc_op = X86_CC_OP_DYNAMIC;
    s->cc_op_dirty = false;
    x86_gen_goto_tb(s, 1, s->next_pc);
    s->end = X86_END_STATIC;
}

static void gen_in_out(DisasContext *s, bool out)
{
    const X86Insn *in = &s->insn;
    const X86Operand *data = x86_op(s, out ? 1 : 0), *portop = x86_op(s, out ? 0 : 1);
    unsigned size = data->size;
    TCGv_i32 port = tcg_temp_new_i32(), v32 = tcg_temp_new_i32();
    TCGv_i64 v = T64();

    if (portop->type == X86_OPT_IMM) {
        tcg_gen_movi_i32(port, (int32_t)(in->imm & 0xff));
    } else {
        gen_port(port);
    }
    gen_io_check(s, port, size);
    if (out) {
        x86_gen_ext(v, x86_reg[R_EAX], size, false);
        tcg_gen_extrl_i64_i32(v32, v);
        gen_helper_out(tcg_env, port, tcg_constant_i32((int32_t)size), v32);
    } else {
        gen_helper_in(v32, tcg_env, port, tcg_constant_i32((int32_t)size));
        tcg_gen_extu_i32_i64(v, v32);
        x86_gen_gpr_write(R_EAX, size, v);
    }
    tcg_temp_free_i32(port);
    tcg_temp_free_i32(v32);
    FREE(v);
}

bool x86_translate_string(DisasContext *s)
{
    switch (s->insn.id) {
    case X86_INSN_MOVSB: case X86_INSN_MOVS: gen_string(s, STR_MOVS); return true;
    case X86_INSN_STOSB: case X86_INSN_STOS: gen_string(s, STR_STOS); return true;
    case X86_INSN_LODSB: case X86_INSN_LODS: gen_string(s, STR_LODS); return true;
    case X86_INSN_CMPSB: case X86_INSN_CMPS: gen_string(s, STR_CMPS); return true;
    case X86_INSN_SCASB: case X86_INSN_SCAS: gen_string(s, STR_SCAS); return true;
    case X86_INSN_INSB: case X86_INSN_INS: gen_string(s, STR_INS); return true;
    case X86_INSN_OUTSB: case X86_INSN_OUTS: gen_string(s, STR_OUTS); return true;
    case X86_INSN_IN_ALIb: case X86_INSN_IN_eAXIb: case X86_INSN_IN_ALDX: case X86_INSN_IN_eAXDX:
        gen_in_out(s, false);
        return true;
    case X86_INSN_OUT_IbAL: case X86_INSN_OUT_IbeAX: case X86_INSN_OUT_DXAL:
    case X86_INSN_OUT_DXeAX:
        gen_in_out(s, true);
        return true;
    default:
        return false;
    }
}
