/*
 * x87 instructions (D8-DF and WAIT) into IR: the #MF check of waiting
 * instructions, the FPU instruction/data pointers and opcode, memory
 * operands, and one helper call per instruction (x87_helper.c, x87_env.c).
 * Reference: Intel SDM vol. 1 8.1.8-8.1.10 (pointers, FOP, images), 8.3.12
 * and 8.6 (waiting vs non-waiting forms), vol. 3 2.5 (CR0.EM/MP/TS, #NM).
 */
#include "cpu/x86/translate.h"
#include "tcg/helper.h"

#define DEF_HELPER TCG_HELPER_DECLARE
#include "cpu/x86/helper_x87.def"
#undef DEF_HELPER

enum { X87_FSW_ES = 0x0080 };

/* What an instruction does, with one argument (an X87_* word, a size...). */
typedef enum X87Kind {
    XK_NONE,
    XK_ARITH_F32, XK_ARITH_F64, XK_ARITH_I32, XK_ARITH_I16,   /* arg: X87_OP_* */
    XK_COM_F32, XK_COM_F64, XK_COM_I32, XK_COM_I16,           /* arg: X87_POP or 0 */
    XK_ARITH_ST0_STI, XK_ARITH_STI_ST0,                       /* arg: X87_OP_* | X87_POP */
    XK_COM_ST, XK_COMPP, XK_COMI,                             /* arg: X87_CMP_QUIET | pops */
    XK_FLD_F32, XK_FLD_F64, XK_FLD_F80, XK_FBLD,
    XK_FILD,                                                  /* arg: size */
    XK_FLD_STI, XK_FLD_CONST,
    XK_STORE,                                                 /* arg: X87_STORE_* | X87_POP */
    XK_FST_STI,                                               /* arg: X87_POP | NO_FAULT */
    XK_FXCH, XK_FFREE,                                        /* arg: X87_POP (FFREEP) */
    XK_UNARY, XK_FCMOV,                                       /* arg: Jcc condition code */
    XK_FNOP,
    /* control instructions: the pointers are left alone */
    XK_FLDCW, XK_FNSTCW, XK_FNSTSW_M, XK_FNSTSW_AX, XK_FNCLEX, XK_FNINIT,
    XK_FLDENV, XK_FNSTENV, XK_FRSTOR, XK_FNSAVE, XK_NOP,
} X87Kind;

typedef struct X87Form {
    uint8_t kind;       /* X87Kind */
    uint8_t arg;
} X87Form;

#define F(id, kind, arg) [X86_INSN_##id] = { kind, arg }
static const X87Form x87_forms[X86_INSN_COUNT] = {
    F(FADD_Md, XK_ARITH_F32, X87_OP_ADD), F(FMUL_Md, XK_ARITH_F32, X87_OP_MUL),
    F(FCOM_Md, XK_COM_F32, 0), F(FCOMP_Md, XK_COM_F32, X87_POP),
    F(FSUB_Md, XK_ARITH_F32, X87_OP_SUB), F(FSUBR_Md, XK_ARITH_F32, X87_OP_SUBR),
    F(FDIV_Md, XK_ARITH_F32, X87_OP_DIV), F(FDIVR_Md, XK_ARITH_F32, X87_OP_DIVR),
    F(FADD_ST0STi, XK_ARITH_ST0_STI, X87_OP_ADD), F(FMUL_ST0STi, XK_ARITH_ST0_STI, X87_OP_MUL),
    F(FCOM_ST0STi, XK_COM_ST, 0), F(FCOMP_ST0STi, XK_COM_ST, X87_POP),
    F(FSUB_ST0STi, XK_ARITH_ST0_STI, X87_OP_SUB), F(FSUBR_ST0STi, XK_ARITH_ST0_STI, X87_OP_SUBR),
    F(FDIV_ST0STi, XK_ARITH_ST0_STI, X87_OP_DIV), F(FDIVR_ST0STi, XK_ARITH_ST0_STI, X87_OP_DIVR),

    F(FLD_Md, XK_FLD_F32, 0), F(FST_Md, XK_STORE, X87_STORE_F32),
    F(FSTP_Md, XK_STORE, X87_STORE_F32 | X87_POP), F(FLDENV_M, XK_FLDENV, 0),
    F(FLDCW_Mw, XK_FLDCW, 0), F(FNSTENV_M, XK_FNSTENV, 0), F(FNSTCW_Mw, XK_FNSTCW, 0),
    F(FLD_STi, XK_FLD_STI, 0), F(FXCH_STi, XK_FXCH, 0), F(FNOP, XK_FNOP, 0),
    F(FSTP1_STi, XK_FST_STI, X87_POP | X87_FSTP_NO_FAULT),
    F(FCHS, XK_UNARY, 0), F(FABS, XK_UNARY, 0), F(FTST, XK_UNARY, 0), F(FXAM, XK_UNARY, 0),
    F(FLD1, XK_FLD_CONST, 0), F(FLDL2T, XK_FLD_CONST, 0), F(FLDL2E, XK_FLD_CONST, 0),
    F(FLDPI, XK_FLD_CONST, 0), F(FLDLG2, XK_FLD_CONST, 0), F(FLDLN2, XK_FLD_CONST, 0),
    F(FLDZ, XK_FLD_CONST, 0),
    F(F2XM1, XK_UNARY, 0), F(FYL2X, XK_UNARY, 0), F(FPTAN, XK_UNARY, 0), F(FPATAN, XK_UNARY, 0),
    F(FXTRACT, XK_UNARY, 0), F(FPREM1, XK_UNARY, 0), F(FDECSTP, XK_UNARY, 0),
    F(FINCSTP, XK_UNARY, 0), F(FPREM, XK_UNARY, 0), F(FYL2XP1, XK_UNARY, 0),
    F(FSQRT, XK_UNARY, 0), F(FSINCOS, XK_UNARY, 0), F(FRNDINT, XK_UNARY, 0),
    F(FSCALE, XK_UNARY, 0), F(FSIN, XK_UNARY, 0), F(FCOS, XK_UNARY, 0),

    F(FIADD_Md, XK_ARITH_I32, X87_OP_ADD), F(FIMUL_Md, XK_ARITH_I32, X87_OP_MUL),
    F(FICOM_Md, XK_COM_I32, 0), F(FICOMP_Md, XK_COM_I32, X87_POP),
    F(FISUB_Md, XK_ARITH_I32, X87_OP_SUB), F(FISUBR_Md, XK_ARITH_I32, X87_OP_SUBR),
    F(FIDIV_Md, XK_ARITH_I32, X87_OP_DIV), F(FIDIVR_Md, XK_ARITH_I32, X87_OP_DIVR),
    F(FCMOVB_ST0STi, XK_FCMOV, 0x2), F(FCMOVE_ST0STi, XK_FCMOV, 0x4),
    F(FCMOVBE_ST0STi, XK_FCMOV, 0x6), F(FCMOVU_ST0STi, XK_FCMOV, 0xa),
    F(FUCOMPP, XK_COMPP, X87_CMP_QUIET | X87_POP2),

    F(FILD_Md, XK_FILD, 4), F(FISTTP_Md, XK_STORE, X87_STORE_I32T | X87_POP),
    F(FIST_Md, XK_STORE, X87_STORE_I32), F(FISTP_Md, XK_STORE, X87_STORE_I32 | X87_POP),
    F(FLD_Mt, XK_FLD_F80, 0), F(FSTP_Mt, XK_STORE, X87_STORE_F80 | X87_POP),
    F(FCMOVNB_ST0STi, XK_FCMOV, 0x3), F(FCMOVNE_ST0STi, XK_FCMOV, 0x5),
    F(FCMOVNBE_ST0STi, XK_FCMOV, 0x7), F(FCMOVNU_ST0STi, XK_FCMOV, 0xb),
    F(FENI, XK_NOP, 0), F(FDISI, XK_NOP, 0), F(FSETPM, XK_NOP, 0),
    F(FNCLEX, XK_FNCLEX, 0), F(FNINIT, XK_FNINIT, 0),
    F(FUCOMI_ST0STi, XK_COMI, X87_CMP_QUIET), F(FCOMI_ST0STi, XK_COMI, 0),

    F(FADD_Mq, XK_ARITH_F64, X87_OP_ADD), F(FMUL_Mq, XK_ARITH_F64, X87_OP_MUL),
    F(FCOM_Mq, XK_COM_F64, 0), F(FCOMP_Mq, XK_COM_F64, X87_POP),
    F(FSUB_Mq, XK_ARITH_F64, X87_OP_SUB), F(FSUBR_Mq, XK_ARITH_F64, X87_OP_SUBR),
    F(FDIV_Mq, XK_ARITH_F64, X87_OP_DIV), F(FDIVR_Mq, XK_ARITH_F64, X87_OP_DIVR),
    /* DC/DE register forms: Intel's FSUB ST(i),ST0 is ST(i) - ST0 (dst - src). */
    F(FADD_STiST0, XK_ARITH_STI_ST0, X87_OP_ADD), F(FMUL_STiST0, XK_ARITH_STI_ST0, X87_OP_MUL),
    F(FCOM2_STi, XK_COM_ST, 0), F(FCOMP3_STi, XK_COM_ST, X87_POP),
    F(FSUBR_STiST0, XK_ARITH_STI_ST0, X87_OP_SUBR), F(FSUB_STiST0, XK_ARITH_STI_ST0, X87_OP_SUB),
    F(FDIVR_STiST0, XK_ARITH_STI_ST0, X87_OP_DIVR), F(FDIV_STiST0, XK_ARITH_STI_ST0, X87_OP_DIV),

    F(FLD_Mq, XK_FLD_F64, 0), F(FISTTP_Mq, XK_STORE, X87_STORE_I64T | X87_POP),
    F(FST_Mq, XK_STORE, X87_STORE_F64), F(FSTP_Mq, XK_STORE, X87_STORE_F64 | X87_POP),
    F(FRSTOR_M, XK_FRSTOR, 0), F(FNSAVE_M, XK_FNSAVE, 0), F(FNSTSW_Mw, XK_FNSTSW_M, 0),
    F(FFREE_STi, XK_FFREE, 0), F(FXCH4_STi, XK_FXCH, 0),
    F(FST_STi, XK_FST_STI, 0), F(FSTP_STi, XK_FST_STI, X87_POP),
    F(FUCOM_STi, XK_COM_ST, X87_CMP_QUIET), F(FUCOMP_STi, XK_COM_ST, X87_CMP_QUIET | X87_POP),

    F(FIADD_Mw, XK_ARITH_I16, X87_OP_ADD), F(FIMUL_Mw, XK_ARITH_I16, X87_OP_MUL),
    F(FICOM_Mw, XK_COM_I16, 0), F(FICOMP_Mw, XK_COM_I16, X87_POP),
    F(FISUB_Mw, XK_ARITH_I16, X87_OP_SUB), F(FISUBR_Mw, XK_ARITH_I16, X87_OP_SUBR),
    F(FIDIV_Mw, XK_ARITH_I16, X87_OP_DIV), F(FIDIVR_Mw, XK_ARITH_I16, X87_OP_DIVR),
    F(FADDP_STiST0, XK_ARITH_STI_ST0, X87_OP_ADD | X87_POP),
    F(FMULP_STiST0, XK_ARITH_STI_ST0, X87_OP_MUL | X87_POP),
    F(FCOMP5_STi, XK_COM_ST, X87_POP), F(FCOMPP, XK_COMPP, X87_POP2),
    F(FSUBRP_STiST0, XK_ARITH_STI_ST0, X87_OP_SUBR | X87_POP),
    F(FSUBP_STiST0, XK_ARITH_STI_ST0, X87_OP_SUB | X87_POP),
    F(FDIVRP_STiST0, XK_ARITH_STI_ST0, X87_OP_DIVR | X87_POP),
    F(FDIVP_STiST0, XK_ARITH_STI_ST0, X87_OP_DIV | X87_POP),

    F(FILD_Mw, XK_FILD, 2), F(FISTTP_Mw, XK_STORE, X87_STORE_I16T | X87_POP),
    F(FIST_Mw, XK_STORE, X87_STORE_I16), F(FISTP_Mw, XK_STORE, X87_STORE_I16 | X87_POP),
    F(FBLD_Mt, XK_FBLD, 0), F(FILD_Mq, XK_FILD, 8),
    F(FBSTP_Mt, XK_STORE, X87_STORE_BCD | X87_POP),
    F(FISTP_Mq, XK_STORE, X87_STORE_I64 | X87_POP),
    F(FFREEP_STi, XK_FFREE, X87_POP), F(FXCH7_STi, XK_FXCH, 0),
    F(FSTP8_STi, XK_FST_STI, X87_POP), F(FSTP9_STi, XK_FST_STI, X87_POP),
    F(FNSTSW_AX, XK_FNSTSW_AX, 0),
    F(FUCOMIP_ST0STi, XK_COMI, X87_CMP_QUIET | X87_POP),
    F(FCOMIP_ST0STi, XK_COMI, X87_POP),
};
#undef F

/* The FN* forms do not check for a pending exception (SDM vol. 1 8.3.11). */
static bool x87_is_waiting(X87Kind k)
{
    switch (k) {
    case XK_FNSTCW: case XK_FNSTSW_M: case XK_FNSTSW_AX: case XK_FNCLEX: case XK_FNINIT:
    case XK_FNSTENV: case XK_FNSAVE: case XK_NOP:
        return false;
    default:
        return true;
    }
}

/* Control instructions leave FIP/FCS/FOP/FDP/FDS alone (SDM vol. 1 8.1.8). */
static bool x87_is_control(X87Kind k)
{
    return k >= XK_FLDCW;
}

static unsigned x87_mem_size(X87Kind k, const X86Insn *in)
{
    bool o16 = in->opsize == 2;

    switch (k) {
    case XK_ARITH_F32: case XK_COM_F32: case XK_ARITH_I32: case XK_COM_I32: case XK_FLD_F32:
        return 4;
    case XK_ARITH_F64: case XK_COM_F64: case XK_FLD_F64:
        return 8;
    case XK_ARITH_I16: case XK_COM_I16: case XK_FLDCW: case XK_FNSTCW: case XK_FNSTSW_M:
        return 2;
    case XK_FLD_F80: case XK_FBLD:
        return 10;
    case XK_FLDENV: case XK_FNSTENV:
        return o16 ? 14 : 28;
    case XK_FRSTOR: case XK_FNSAVE:
        return o16 ? 94 : 108;
    default:
        return in->op[0].size;
    }
}

/* WAIT and the waiting x87 forms: #MF for a pending unmasked exception. */
static void gen_x87_wait(void)
{
    TCGv_i32 t = tcg_temp_new_i32();
    TCGLabel *done = gen_new_label();

    tcg_gen_ld16u_i32(t, tcg_env, offsetof(X86CPU, fpus));
    tcg_gen_brcondi_i32(TCG_COND_TSTEQ, t, X87_FSW_ES, done);
    gen_helper_x87_fwait(tcg_env);
    gen_set_label(done);
}

/* Non-control instructions record where they are: FIP = rip, FCS, FOP =
 * the low 3 opcode bits and the ModRM byte. */
static void gen_x87_fip(DisasContext *s)
{
    TCGv_i32 t = tcg_temp_new_i32();
    uint16_t fop = (uint16_t)(((s->insn.opcode & 7u) << 8) | s->insn.modrm);

    tcg_gen_st_i64(tcg_constant_i64((int64_t)s->pc), tcg_env, offsetof(X86CPU, fpip));
    tcg_gen_st16_i32(tcg_constant_i32(fop), tcg_env, offsetof(X86CPU, fpop));
    tcg_gen_ld16u_i32(t, tcg_env, offsetof(X86CPU, segs[SEG_CS].selector));
    tcg_gen_st16_i32(t, tcg_env, offsetof(X86CPU, fpcs));
    tcg_temp_free_i32(t);
}

/* The operand's linear address (limit-checked over `size` bytes); a
 * non-control instruction also records FDP (the offset) and FDS. */
static TCGv_i64 gen_x87_address(DisasContext *s, unsigned size, bool record)
{
    TCGv_i64 a = tcg_temp_new_i64();

    x86_gen_ea(s, a);
    if (record) {
        TCGv_i32 t = tcg_temp_new_i32();
        tcg_gen_st_i64(a, tcg_env, offsetof(X86CPU, fpdp));
        tcg_gen_ld16u_i32(t, tcg_env, offsetof(X86CPU, segs[0].selector) +
                                          s->insn.seg * sizeof(X86Segment));
        tcg_gen_st16_i32(t, tcg_env, offsetof(X86CPU, fpds));
        tcg_temp_free_i32(t);
    }
    x86_gen_add_seg(s, a, s->insn.seg, size);
    return a;
}

/* linear + n, wrapping at 4 GiB outside 64-bit mode. */
static TCGv_i64 gen_x87_addr_add(DisasContext *s, TCGv_i64 a, int n)
{
    TCGv_i64 r = tcg_temp_new_i64();

    tcg_gen_addi_i64(r, a, n);
    if (!s->code64) {
        tcg_gen_ext32u_i64(r, r);
    }
    return r;
}

static TCGv_i32 gen_x87_load32(DisasContext *s, TCGv_i64 a, TCGMemOp mop)
{
    TCGv_i64 v = tcg_temp_new_i64();
    TCGv_i32 r = tcg_temp_new_i32();

    x86_gen_ld(s, v, a, mop);
    tcg_gen_extrl_i64_i32(r, v);
    tcg_temp_free_i64(v);
    return r;
}

static TCGv_i64 gen_x87_load64(DisasContext *s, TCGv_i64 a, TCGMemOp mop)
{
    TCGv_i64 v = tcg_temp_new_i64();
    x86_gen_ld(s, v, a, mop);
    return v;
}

static TCGMemOp x87_int_mop(unsigned size)
{
    return size == 2 ? MO_SW : size == 4 ? MO_SL : MO_UQ;
}

/* The image-format word of the environment helpers. */
static uint32_t x87_env_how(const DisasContext *s)
{
    uint32_t how = (uint32_t)s->mmu_idx << X87_MMU_SHIFT;

    if (s->insn.opsize != 2) {
        how |= X87_ENV_32;
    }
    if (!(s->hflags & X86_HF_PE) || (s->hflags & X86_HF_VM)) {
        how |= X87_ENV_REAL;
    }
    return how;
}

bool x86_translate_x87(DisasContext *s)
{
    const X86Insn *in = &s->insn;
    X87Form f;
    X87Kind k;
    TCGv_i64 a = { 0 };
    TCGv_i32 c;
    int i = in->modrm & 7;
    bool mem;

    if (in->id == X86_INSN_FWAIT) {
        /* WAIT: #NM only when MP and TS are both set; EM does not matter. */
        if ((s->hflags & (X86_HF_MP | X86_HF_TS)) == (X86_HF_MP | X86_HF_TS)) {
            x86_gen_exception(s, X86_EXCP_NM, 0);
            return true;
        }
        gen_x87_wait();
        return true;
    }
    if (in->map != X86_MAP_1 || in->opcode < 0xd8 || in->opcode > 0xdf || in->id >= X86_INSN_COUNT) {
        return false;
    }
    f = x87_forms[in->id];
    k = (X87Kind)f.kind;
    if (k == XK_NONE) {
        return false;
    }
    if (!x86_gen_check_fpu_available(s, false)) {
        return true;
    }
    if (x87_is_waiting(k)) {
        gen_x87_wait();
    }
    mem = in->has_modrm && (in->modrm >> 6) != 3;
    if (mem) {
        a = gen_x87_address(s, x87_mem_size(k, in), !x87_is_control(k));
    }
    /* Loads first: a fault leaves the FPU as it was. The pointers are
     * recorded before the helper, as the hardware does before executing. */
    switch (k) {
    case XK_ARITH_F32: case XK_COM_F32: case XK_FLD_F32:
        c = gen_x87_load32(s, a, MO_UL);
        break;
    case XK_ARITH_I32: case XK_COM_I32:
        c = gen_x87_load32(s, a, MO_SL);
        break;
    case XK_ARITH_I16: case XK_COM_I16:
        c = gen_x87_load32(s, a, MO_SW);
        break;
    case XK_FLDCW:
        c = gen_x87_load32(s, a, MO_UW);
        break;
    default:
        c = tcg_constant_i32(0);
        break;
    }
    TCGv_i64 v64 = { 0 };
    if (k == XK_ARITH_F64 || k == XK_COM_F64 || k == XK_FLD_F64) {
        v64 = gen_x87_load64(s, a, MO_UQ);
    } else if (k == XK_FILD) {
        v64 = gen_x87_load64(s, a, x87_int_mop(f.arg));
    } else if (k == XK_FLD_F80 || k == XK_FBLD) {
        v64 = gen_x87_load64(s, a, MO_UQ);
        c = gen_x87_load32(s, gen_x87_addr_add(s, a, 8), MO_UW);
    }
    if (!x87_is_control(k)) {
        gen_x87_fip(s);
    }

    switch (k) {
    case XK_ARITH_F32:
        gen_helper_x87_farith_f32(tcg_env, tcg_constant_i32(f.arg), c);
        break;
    case XK_ARITH_F64:
        gen_helper_x87_farith_f64(tcg_env, tcg_constant_i32(f.arg), v64);
        break;
    case XK_ARITH_I32: case XK_ARITH_I16: {
        TCGv_i64 t = tcg_temp_new_i64();
        tcg_gen_exts_i32_i64(t, c);
        gen_helper_x87_farith_int(tcg_env, tcg_constant_i32(f.arg), t);
        break;
    }
    case XK_COM_F32:
        gen_helper_x87_fcom_f32(tcg_env, c, tcg_constant_i32(f.arg));
        break;
    case XK_COM_F64:
        gen_helper_x87_fcom_f64(tcg_env, v64, tcg_constant_i32(f.arg));
        break;
    case XK_COM_I32: case XK_COM_I16: {
        TCGv_i64 t = tcg_temp_new_i64();
        tcg_gen_exts_i32_i64(t, c);
        gen_helper_x87_fcom_int(tcg_env, t, tcg_constant_i32(f.arg));
        break;
    }
    case XK_ARITH_ST0_STI:
        gen_helper_x87_farith_st(tcg_env, tcg_constant_i32(f.arg), tcg_constant_i32(0),
                                 tcg_constant_i32(i));
        break;
    case XK_ARITH_STI_ST0:
        gen_helper_x87_farith_st(tcg_env, tcg_constant_i32(f.arg), tcg_constant_i32(i),
                                 tcg_constant_i32(0));
        break;
    case XK_COM_ST:
        gen_helper_x87_fcom_st(tcg_env, tcg_constant_i32(i), tcg_constant_i32(f.arg));
        break;
    case XK_COMPP:
        gen_helper_x87_fcom_st(tcg_env, tcg_constant_i32(1), tcg_constant_i32(f.arg));
        break;
    case XK_COMI: {
        TCGv_i32 fl = tcg_temp_new_i32();
        x86_gen_compute_eflags(s);
        tcg_gen_extrl_i64_i32(fl, x86_cc_src);
        gen_helper_x87_fcomi(fl, tcg_env, tcg_constant_i32(i), tcg_constant_i32(f.arg), fl);
        tcg_gen_extu_i32_i64(x86_cc_src, fl);
        x86_gen_set_cc_op(s, CC_OP_EFLAGS);
        break;
    }
    case XK_FLD_F32:
        gen_helper_x87_fld_f32(tcg_env, c);
        break;
    case XK_FLD_F64:
        gen_helper_x87_fld_f64(tcg_env, v64);
        break;
    case XK_FLD_F80:
        gen_helper_x87_fld_f80(tcg_env, v64, c);
        break;
    case XK_FBLD:
        gen_helper_x87_fbld(tcg_env, v64, c);
        break;
    case XK_FILD:
        gen_helper_x87_fild(tcg_env, v64);
        break;
    case XK_FLD_STI:
        gen_helper_x87_fld_sti(tcg_env, tcg_constant_i32(i));
        break;
    case XK_FLD_CONST:
        gen_helper_x87_fld_const(tcg_env, tcg_constant_i32(in->modrm - 0xe8));
        break;
    case XK_STORE:
        gen_helper_x87_fst_mem(tcg_env, a,
                               tcg_constant_i32(f.arg | s->mmu_idx << X87_MMU_SHIFT));
        break;
    case XK_FST_STI:
        gen_helper_x87_fst_sti(tcg_env, tcg_constant_i32(i | f.arg));
        break;
    case XK_FXCH:
        gen_helper_x87_fxch(tcg_env, tcg_constant_i32(i));
        break;
    case XK_FFREE:
        gen_helper_x87_ffree(tcg_env, tcg_constant_i32(i | f.arg));
        break;
    case XK_UNARY:
        gen_helper_x87_funary(tcg_env, tcg_constant_i32(in->modrm));
        break;
    case XK_FCMOV: {
        TCGv_i64 cond = tcg_temp_new_i64();
        TCGv_i32 cond32 = tcg_temp_new_i32();
        x86_gen_condition(s, cond, f.arg);
        tcg_gen_extrl_i64_i32(cond32, cond);
        gen_helper_x87_fcmov(tcg_env, tcg_constant_i32(i), cond32);
        break;
    }
    case XK_FNOP:
    case XK_NOP:
        break;
    case XK_FLDCW:
        gen_helper_x87_fldcw(tcg_env, c);
        break;
    case XK_FNSTCW:
    case XK_FNSTSW_M:
    case XK_FNSTSW_AX: {
        TCGv_i32 v = tcg_temp_new_i32();
        TCGv_i64 w = tcg_temp_new_i64();
        if (k == XK_FNSTCW) {
            gen_helper_x87_fnstcw(v, tcg_env);
        } else {
            gen_helper_x87_fnstsw(v, tcg_env);
        }
        tcg_gen_extu_i32_i64(w, v);
        if (k == XK_FNSTSW_AX) {
            x86_gen_gpr_write(R_EAX, 2, w);
        } else {
            x86_gen_st(s, w, a, MO_UW);
        }
        break;
    }
    case XK_FNCLEX:
        gen_helper_x87_fnclex(tcg_env);
        break;
    case XK_FNINIT:
        gen_helper_x87_fninit(tcg_env);
        break;
    case XK_FLDENV:
        gen_helper_x87_fldenv(tcg_env, a, tcg_constant_i32(x87_env_how(s)));
        break;
    case XK_FNSTENV:
        gen_helper_x87_fnstenv(tcg_env, a, tcg_constant_i32(x87_env_how(s)));
        break;
    case XK_FRSTOR:
        gen_helper_x87_frstor(tcg_env, a, tcg_constant_i32(x87_env_how(s)));
        break;
    case XK_FNSAVE:
        gen_helper_x87_fnsave(tcg_env, a, tcg_constant_i32(x87_env_how(s)));
        break;
    default:
        return false;
    }
    return true;
}
