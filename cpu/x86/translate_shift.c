/*
 * Shifts and rotates (a count of 0 keeps the flags; constant rotates leave
 * their flags pending, see x86_insn_keeps_rot) and SHLD/SHRD.
 * Reference: Intel SDM vol. 2 (SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD:
 * Operation and Flags Affected).
 */
#include "cpu/x86/helper.h"
#include "cpu/x86/translate.h"
#include "cpu/x86/translate_int.h"

/* ---- shifts and rotates ---------------------------------------------------------- */

enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

/* A shift by a static count of 0 on a 32-bit register still writes it. */
static void gen_count0_write(DisasContext *s)
{
    const X86Operand *op = x86_op(s, 0);
    if (op->type == X86_OPT_REG && osize(s, 0) == 4) {
        tcg_gen_ext32u_i64(x86_reg[op->reg], x86_reg[op->reg]);
    }
}

/* The masked count: *imm >= 0 when static, else dynamic in cnt. */
static void shift_count(DisasContext *s, unsigned size, TCGv_i64 cnt, int *imm)
{
    unsigned mask = size == 8 ? 63 : 31;
    const X86Operand *c = x86_op(s, 1);
    if (c->type == X86_OPT_IMM) {
        *imm = (int)(s->insn.imm & mask);   /* the caller uses a constant */
    } else {
        *imm = -1;
        tcg_gen_andi_i64(cnt, x86_reg[R_ECX], mask);
    }
}

/* The new cc values (dst, src) of a shift by a count that may be 0: with a
 * dynamic count the old flags stay when it is. */
static void set_shift_flags(DisasContext *s, int cc_op, TCGv_i64 r, TCGv_i64 t, TCGv_i64 cnt,
                            int imm)
{
    if (imm > 0) {
        tcg_gen_mov_i64(x86_cc_src, t);
        tcg_gen_mov_i64(x86_cc_dst, r);
        x86_gen_set_cc_op(s, cc_op);
        return;
    }
    TCGv_i64 zero = tcg_constant_i64(0);
    TCGv_i32 c32 = tcg_temp_new_i32();
    x86_gen_update_cc_op(s);
    tcg_gen_movcond_i64(TCG_COND_NE, x86_cc_src, cnt, zero, t, x86_cc_src);
    tcg_gen_movcond_i64(TCG_COND_NE, x86_cc_dst, cnt, zero, r, x86_cc_dst);
    tcg_gen_extrl_i64_i32(c32, cnt);
    tcg_gen_movcond_i32(TCG_COND_NE, x86_cc_op, c32, tcg_constant_i32(0),
                        tcg_constant_i32(cc_op), x86_cc_op);
    tcg_temp_free_i32(c32);
    s->cc_op = X86_CC_OP_DYNAMIC;
    s->cc_op_dirty = false;
}

/* SHL/SHR/SAR of a register by a static count of 1 or more: the flag
 * values computed in the cc globals, the register written from cc_dst
 * (nothing can fault). */
static bool gen_shift_direct(DisasContext *s, int kind)
{
    unsigned size = osize(s, 0);
    const X86Operand *dop = x86_op(s, 0);
    if (x86_op(s, 1)->type != X86_OPT_IMM || dop->type != X86_OPT_REG ||
        dop->cls != X86_RC_GPR || kind < SH_SHL) {
        return false;
    }
    int imm = (int)(s->insn.imm & (size == 8 ? 63 : 31));
    if (imm == 0) {
        return false;
    }
    bool sar = kind == SH_SAR, left = kind == SH_SHL || kind == SH_SAL;
    TCGv_i64 at = T64();
    TCGv_i64 a = x86_reg[dop->reg & 15];
    if (!left && size != 8) {
        x86_gen_ext(at, a, size, sar);   /* SHR/SAR shift the value extended */
        a = at;
    } else if (left && size < 4) {
        x86_gen_reg_read(s, at, dop, size);
        a = at;
    }
    /* A 32-bit result goes through a temp dying in the zero-extension into
     * the register (one 32-bit host op), then to cc_dst. */
    TCGv_i64 rt = T64();
    TCGv_i64 r = size == 4 ? rt : x86_cc_dst;
    if (left) {
        tcg_gen_shli_i64(x86_cc_src, a, imm - 1);
        tcg_gen_shli_i64(r, a, imm);
    } else if (sar) {
        tcg_gen_sari_i64(x86_cc_src, a, imm - 1);
        tcg_gen_sari_i64(r, a, imm);
    } else {
        tcg_gen_shri_i64(x86_cc_src, a, imm - 1);
        tcg_gen_shri_i64(r, a, imm);
    }
    x86_gen_reg_write(s, dop, size, r);
    if (size == 4) {
        tcg_gen_mov_i64(x86_cc_dst, x86_reg[dop->reg & 15]);
    }
    FREE(rt);
    x86_gen_set_cc_op(s, cc_sized(left ? CC_OP_SHLB : sar ? CC_OP_SARB : CC_OP_SHRB, size));
    FREE(at);
    return true;
}

static void gen_shift(DisasContext *s, int kind)
{
    if (gen_shift_direct(s, kind)) {
        return;
    }
    unsigned size = osize(s, 0), bits = size * 8;
    TCGv_i64 cntt = T64(), cnt = cntt;
    int imm;

    shift_count(s, size, cntt, &imm);
    if (imm == 0) {
        /* Count 0: flags untouched, but a 32-bit register is still written
         * (its upper half cleared), as on Intel CPUs. */
        gen_count0_write(s);
        FREE(cntt);
        return;
    }
    Dest d = dest_begin(s, x86_op(s, 0));
    TCGv_i64 at = T64(), r = T64(), t = T64(), c1t = T64(), a = at, c1 = c1t;
    /* SHR/SAR extend the value themselves; RCL/RCR's helpers want it zero-extended. */
    if (kind == SH_RCL || kind == SH_RCR) {
        dest_load(s, &d, a, size);
    } else if ((kind == SH_ROL || kind == SH_ROR) && size >= 4 && !d.mem &&
               x86_op(s, 0)->cls == X86_RC_GPR) {
        a = x86_reg[x86_op(s, 0)->reg & 15];   /* only read before the write */
    } else {
        dest_load_low(s, &d, a, size);
    }
    if (imm > 0) {
        cnt = tcg_constant_i64(imm);
        c1 = tcg_constant_i64((imm - 1) & 63);
    } else {
        tcg_gen_subi_i64(c1, cnt, 1);
        tcg_gen_andi_i64(c1, c1, 63);
    }

    switch (kind) {
    case SH_SHL:
    case SH_SAL:
        tcg_gen_shl_i64(r, a, cnt);
        tcg_gen_shl_i64(t, a, c1);
        dest_store(s, &d, r, size);
        set_shift_flags(s, cc_sized(CC_OP_SHLB, size), r, t, cnt, imm);
        break;
    case SH_SHR:
    case SH_SAR: {
        bool sar = kind == SH_SAR;
        x86_gen_ext(a, a, size, sar);
        if (sar) {
            tcg_gen_sar_i64(r, a, cnt);
            tcg_gen_sar_i64(t, a, c1);
        } else {
            tcg_gen_shr_i64(r, a, cnt);
            tcg_gen_shr_i64(t, a, c1);
        }
        dest_store(s, &d, r, size);
        set_shift_flags(s, cc_sized(sar ? CC_OP_SARB : CC_OP_SHRB, size), r, t, cnt, imm);
        break;
    }
    case SH_ROL:
    case SH_ROR: {
        bool left = kind == SH_ROL;
        /* A static count: the flags can stay pending (no literal EFLAGS). */
        bool pend = imm > 0 && x86_rot_can_pend(s);
        TCGv_i64 f = T64(), ce = T64(), u = T64();
        if (!pend) {
            x86_gen_eflags_to(s, f);
        }
        if (size == 8) {
            if (left) {
                tcg_gen_rotl_i64(r, a, cnt);
            } else {
                tcg_gen_rotr_i64(r, a, cnt);
            }
        } else if (size == 4) {
            /* A host 32-bit rotate (the count is already masked to 0-31). */
            TCGv_i32 a32 = tcg_temp_new_i32(), c32 = tcg_temp_new_i32();
            tcg_gen_extrl_i64_i32(a32, a);
            tcg_gen_extrl_i64_i32(c32, cnt);
            if (left) {
                tcg_gen_rotl_i32(a32, a32, c32);
            } else {
                tcg_gen_rotr_i32(a32, a32, c32);
            }
            tcg_gen_extu_i32_i64(r, a32);
            tcg_temp_free_i32(a32);
            tcg_temp_free_i32(c32);
        } else {
            /* Narrow rotates on the zero-extended value (count mod width). */
            x86_gen_ext(a, a, size, false);
            tcg_gen_andi_i64(ce, cnt, bits - 1);
            tcg_gen_subfi_i64(u, bits, ce);
            if (left) {
                tcg_gen_shl_i64(r, a, ce);
                tcg_gen_shr_i64(u, a, u);
            } else {
                tcg_gen_shr_i64(r, a, ce);
                tcg_gen_shl_i64(u, a, u);
            }
            tcg_gen_or_i64(r, r, u);
            x86_gen_ext(r, r, size, false);
        }
        dest_store(s, &d, r, size);
        if (pend) {
            x86_gen_rot_pending(s, r, left, size);
        } else {
            x86_gen_rot_flags(u, f, r, left, bits);
            if (imm > 0) {
                tcg_gen_mov_i64(x86_cc_src, u);
            } else {
                tcg_gen_movcond_i64(TCG_COND_NE, x86_cc_src, cnt, tcg_constant_i64(0), u, f);
            }
            x86_gen_set_cc_op(s, CC_OP_EFLAGS);
        }
        FREE(f);
        FREE(ce);
        FREE(u);
        break;
    }
    case SH_RCL:
    case SH_RCR: {
        TCGv_i64 f = T64();
        TCGv_i32 c32 = tcg_temp_new_i32(), f32 = tcg_temp_new_i32(), nf = tcg_temp_new_i32();
        x86_gen_eflags_to(s, f);
        tcg_gen_extrl_i64_i32(c32, cnt);
        tcg_gen_ori_i32(c32, c32, (int32_t)(size << 8));
        tcg_gen_extrl_i64_i32(f32, f);
        if (kind == SH_RCL) {
            gen_helper_rcl(r, a, c32, f32);
            gen_helper_rcl_flags(nf, a, c32, f32);
        } else {
            gen_helper_rcr(r, a, c32, f32);
            gen_helper_rcr_flags(nf, a, c32, f32);
        }
        dest_store(s, &d, r, size);
        tcg_gen_extu_i32_i64(x86_cc_src, nf);
        x86_gen_set_cc_op(s, CC_OP_EFLAGS);
        tcg_temp_free_i32(c32);
        tcg_temp_free_i32(f32);
        tcg_temp_free_i32(nf);
        FREE(f);
        break;
    }
    }
    FREE(at);
    FREE(r);
    FREE(t);
    FREE(c1t);
    FREE(cntt);
    dest_end(&d);
}

/* SHLD/SHRD Ev, Gv, Ib/CL. */
static void gen_shxd(DisasContext *s, bool left)
{
    unsigned size = osize(s, 0);
    unsigned mask = size == 8 ? 63 : 31;
    TCGv_i64 cnt = T64();
    int imm;
    const X86Operand *c = x86_op(s, 2);

    if (c->type == X86_OPT_IMM) {
        imm = (int)(s->insn.imm & mask);
        tcg_gen_movi_i64(cnt, imm);
    } else {
        imm = -1;
        tcg_gen_andi_i64(cnt, x86_reg[R_ECX], mask);
    }
    if (imm == 0) {
        gen_count0_write(s);
        FREE(cnt);
        return;
    }
    Dest d = dest_begin(s, x86_op(s, 0));
    TCGv_i64 a = T64(), b = T64(), x = T64(), r = T64(), t = T64(), c1 = T64(), u = T64();
    dest_load(s, &d, a, size);
    x86_gen_reg_read(s, b, x86_op(s, 1), size);
    x86_gen_ext(a, a, size, false);
    tcg_gen_subi_i64(c1, cnt, 1);
    tcg_gen_andi_i64(c1, c1, 63);

    if (size == 8) {
        TCGv_i64 inv = T64();
        tcg_gen_subfi_i64(inv, 64, cnt);          /* 64 - c: 1..63 for c in 1..63 */
        tcg_gen_andi_i64(inv, inv, 63);
        if (left) {
            tcg_gen_shl_i64(r, a, cnt);
            tcg_gen_shr_i64(u, b, inv);
            tcg_gen_or_i64(r, r, u);
            tcg_gen_shl_i64(t, a, c1);
            tcg_gen_shri_i64(u, b, 1);
            tcg_gen_shr_i64(u, u, inv);
            tcg_gen_or_i64(t, t, u);
        } else {
            tcg_gen_shr_i64(r, a, cnt);
            tcg_gen_shl_i64(u, b, inv);
            tcg_gen_or_i64(r, r, u);
            tcg_gen_shr_i64(t, a, c1);
            tcg_gen_shli_i64(u, b, 1);
            tcg_gen_shl_i64(u, u, inv);
            tcg_gen_or_i64(t, t, u);
        }
        /* A zero count leaves the destination alone. */
        tcg_gen_movcond_i64(TCG_COND_EQ, r, cnt, tcg_constant_i64(0), a, r);
        FREE(inv);
    } else if (size == 4) {
        if (left) {
            tcg_gen_shli_i64(x, a, 32);
            tcg_gen_or_i64(x, x, b);
            tcg_gen_shl_i64(r, x, cnt);
            tcg_gen_shri_i64(r, r, 32);
            tcg_gen_shl_i64(t, x, c1);
            tcg_gen_shri_i64(t, t, 32);
        } else {
            tcg_gen_shli_i64(x, b, 32);
            tcg_gen_or_i64(x, x, a);
            tcg_gen_shr_i64(r, x, cnt);
            tcg_gen_shr_i64(t, x, c1);
        }
    } else {
        /* 16 bits: counts above 16 shift in the destination again (what Intel
         * CPUs do; the SDM calls the result undefined). */
        if (left) {
            tcg_gen_shli_i64(x, a, 48);
            tcg_gen_shli_i64(u, b, 32);
            tcg_gen_or_i64(x, x, u);
            tcg_gen_shli_i64(u, a, 16);
            tcg_gen_or_i64(x, x, u);
            tcg_gen_shl_i64(r, x, cnt);
            tcg_gen_shri_i64(r, r, 48);
            tcg_gen_shl_i64(t, x, c1);
            tcg_gen_shri_i64(t, t, 48);
        } else {
            tcg_gen_shli_i64(u, b, 16);
            tcg_gen_or_i64(x, a, u);
            tcg_gen_shli_i64(u, a, 32);
            tcg_gen_or_i64(x, x, u);
            tcg_gen_shr_i64(r, x, cnt);
            tcg_gen_shr_i64(t, x, c1);
        }
    }
    dest_store(s, &d, r, size);
    set_shift_flags(s, cc_sized(left ? CC_OP_SHLB : CC_OP_SHRB, size), r, t, cnt, imm);
    FREE(a);
    FREE(b);
    FREE(x);
    FREE(r);
    FREE(t);
    FREE(c1);
    FREE(u);
    FREE(cnt);
    dest_end(&d);
}

/* ---- dispatch ---------------------------------------------------------------------- */

bool x86_translate_shift(DisasContext *s)
{
    switch (s->insn.id) {
#define SHIFTS(form) \
    case X86_INSN_ROL_##form: gen_shift(s, SH_ROL); return true; \
    case X86_INSN_ROR_##form: gen_shift(s, SH_ROR); return true; \
    case X86_INSN_RCL_##form: gen_shift(s, SH_RCL); return true; \
    case X86_INSN_RCR_##form: gen_shift(s, SH_RCR); return true; \
    case X86_INSN_SHL_##form: gen_shift(s, SH_SHL); return true; \
    case X86_INSN_SHR_##form: gen_shift(s, SH_SHR); return true; \
    case X86_INSN_SAL_##form: gen_shift(s, SH_SAL); return true; \
    case X86_INSN_SAR_##form: gen_shift(s, SH_SAR); return true;
    SHIFTS(EbIb) SHIFTS(EvIb) SHIFTS(EbI1) SHIFTS(EvI1) SHIFTS(EbCL) SHIFTS(EvCL)
#undef SHIFTS
    case X86_INSN_SHLD_EvGvIb: case X86_INSN_SHLD_EvGvCL:
        gen_shxd(s, true);
        return true;
    case X86_INSN_SHRD_EvGvIb: case X86_INSN_SHRD_EvGvCL:
        gen_shxd(s, false);
        return true;
    default:
        return false;
    }
}
