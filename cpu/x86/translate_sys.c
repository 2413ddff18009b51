/*
 * System instructions: segment register moves and far-pointer loads, control/
 * debug/descriptor-table registers, LLDT/LTR/LAR/LSL/VERR/VERW/ARPL, MSRs,
 * CPUID, TSC, HLT, CLI/STI, SYSCALL/SYSRET/SYSENTER/SYSEXIT/SWAPGS, XGETBV/
 * XSETBV, INVLPG, cache control and the UD forms. The semantics live in
 * cpu/x86/{seg,mode,msr,transfer,excp,cpuid}.c; this file orders the calls
 * and ends blocks where the translation flags may change.
 * Reference: Intel SDM vol. 2 (each instruction), vol. 3 ch. 2.
 * Leaves out: MONITOR/MWAIT, VMX/SVM, RDRAND/RDSEED, PKU, UMIP (not advertised).
 */
#include "cpu/x86/helper.h"
#include "cpu/x86/translate.h"

#define T64() tcg_temp_new_i64()
#define FREE(t) tcg_temp_free_i64(t)

/* Argument of the load_seg helper: the register and whether the load opens
 * an interrupt shadow (MOV SS, POP SS; not LSS). */
#define LOAD_SEG_SHADOW 0x100

static void end_dynamic_next(DisasContext *s)
{
    x86_gen_set_rip(s, s->next_pc);
    s->end = X86_END_DYNAMIC;
}

static void end_exit_next(DisasContext *s)
{
    x86_gen_set_rip(s, s->next_pc);
    s->end = X86_END_EXIT;
}

/* Protected-mode-only instructions: #UD in real mode and VM86. */
static bool require_pm(DisasContext *s)
{
    if (!(s->hflags & X86_HF_PE) || (s->hflags & X86_HF_VM)) {
        x86_gen_illegal(s, false);
        return false;
    }
    return true;
}

static void gen_load_seg(int seg, TCGv_i64 sel, bool shadow)
{
    TCGv_i32 t = tcg_temp_new_i32();
    tcg_gen_extrl_i64_i32(t, sel);
    tcg_gen_andi_i32(t, t, 0xffff);
    gen_helper_load_seg(tcg_env, tcg_constant_i32(seg | (shadow ? LOAD_SEG_SHADOW : 0)), t);
    tcg_temp_free_i32(t);
}

static void after_seg_load(DisasContext *s, int seg)
{
    /* Outside 64-bit mode the bases/limits of CS/DS/ES/SS are in hflags. */
    if (!s->code64 || seg == SEG_SS) {
        end_dynamic_next(s);
    }
}

static void gen_mov_to_seg(DisasContext *s)
{
    int seg = x86_op(s, 0)->reg;
    TCGv_i64 v = T64();
    x86_gen_operand_load(s, v, x86_op(s, 1), 2);
    gen_load_seg(seg, v, seg == SEG_SS);
    FREE(v);
    if (seg != SEG_SS) {   /* SS: SERIAL in the table ends the block for the loop */
        after_seg_load(s, seg);
    }
}

static void gen_mov_from_seg(DisasContext *s)
{
    TCGv_i64 v = T64();
    x86_gen_operand_load(s, v, x86_op(s, 1), 2);
    const X86Operand *d = x86_op(s, 0);
    if (d->type == X86_OPT_MEM) {
        x86_gen_operand_store(s, d, 2, v);
    } else {
        x86_gen_reg_write(s, d, s->insn.opsize, v);
    }
    FREE(v);
}

/* LDS/LES/LFS/LGS/LSS Gv, Mp: offset, then the selector after it. */
static void gen_load_far_ptr(DisasContext *s, int seg)
{
    unsigned size = x86_op(s, 0)->size;
    TCGv_i64 a = T64(), b = T64(), off = T64(), sel = T64();
    x86_gen_ea(s, a);
    tcg_gen_addi_i64(b, a, size);
    if (s->insn.addrsize == 2) {
        tcg_gen_ext16u_i64(b, b);
    } else if (s->insn.addrsize == 4) {
        tcg_gen_ext32u_i64(b, b);
    }
    x86_gen_add_seg(s, a, s->insn.seg, size);
    x86_gen_add_seg(s, b, s->insn.seg, 2);
    x86_gen_ld(s, off, a, x86_mo(size));
    x86_gen_ld(s, sel, b, MO_16);
    gen_load_seg(seg, sel, false);
    x86_gen_reg_write(s, x86_op(s, 0), size, off);
    FREE(a);
    FREE(b);
    FREE(off);
    FREE(sel);
    after_seg_load(s, seg);
}

static void gen_mov_cr_dr(DisasContext *s, bool to, bool dr)
{
    const X86Operand *reg = x86_op(s, to ? 1 : 0), *ctl = x86_op(s, to ? 0 : 1);
    unsigned size = reg->size;
    TCGv_i32 n = tcg_constant_i32(ctl->reg);
    TCGv_i64 v = T64();
    x86_gen_update_cc_op(s);
    if (to) {
        x86_gen_reg_read(s, v, reg, size);
        if (dr) {
            gen_helper_write_dr(tcg_env, n, v);
        } else {
            gen_helper_write_cr(tcg_env, n, v);
        }
        end_exit_next(s);
    } else {
        if (dr) {
            gen_helper_read_dr(v, tcg_env, n);
        } else {
            gen_helper_read_cr(v, tcg_env, n);
        }
        x86_gen_reg_write(s, reg, size, v);
    }
    FREE(v);
}

static void gen_smsw(DisasContext *s)
{
    TCGv_i64 v = T64();
    const X86Operand *d = x86_op(s, 0);
    tcg_gen_ld_i64(v, tcg_env, offsetof(X86CPU, cr));
    if (d->type == X86_OPT_MEM) {
        x86_gen_operand_store(s, d, 2, v);
    } else {
        x86_gen_reg_write(s, d, s->insn.opsize, v);
    }
    FREE(v);
}

static void gen_table_reg(DisasContext *s, unsigned id)
{
    TCGv_i64 a = T64();
    TCGv_i32 opsize = tcg_constant_i32((int32_t)s->insn.opsize);
    x86_gen_lea(s, a, x86_op(s, 0), true);
    switch (id) {
    case X86_INSN_LGDT_Ms: gen_helper_lgdt(tcg_env, a, opsize); break;
    case X86_INSN_LIDT_Ms: gen_helper_lidt(tcg_env, a, opsize); break;
    case X86_INSN_SGDT_Ms: gen_helper_sgdt(tcg_env, a); break;
    default: gen_helper_sidt(tcg_env, a); break;
    }
    FREE(a);
}

/* SLDT / STR: the selector of LDTR / TR. */
static void gen_store_sys_sel(DisasContext *s, int seg)
{
    if (!require_pm(s)) {
        return;
    }
    TCGv_i64 v = T64();
    const X86Operand *d = x86_op(s, 0);
    tcg_gen_ld16u_i64(v, tcg_env, offsetof(X86CPU, segs) + seg * sizeof(X86Segment) +
                                  offsetof(X86Segment, selector));
    if (d->type == X86_OPT_MEM) {
        x86_gen_operand_store(s, d, 2, v);
    } else {
        x86_gen_reg_write(s, d, s->insn.opsize, v);
    }
    FREE(v);
}

static void gen_selector_arg(DisasContext *s, TCGv_i32 sel)
{
    TCGv_i64 v = T64();
    x86_gen_operand_load(s, v, x86_op(s, s->insn.nops == 2 ? 1 : 0), 2);
    tcg_gen_extrl_i64_i32(sel, v);
    tcg_gen_andi_i32(sel, sel, 0xffff);
    FREE(v);
}

/* cc_src = flags with ZF from zf (0/1); cc_op EFLAGS. Only after the last
 * fault of the instruction. */
static void set_zf(DisasContext *s, TCGv_i64 zf)
{
    TCGv_i64 f = T64();
    x86_gen_eflags_to(s, f);
    tcg_gen_andi_i64(f, f, ~(int64_t)X86_EFLAGS_ZF);
    tcg_gen_shli_i64(zf, zf, 6);
    tcg_gen_or_i64(x86_cc_src, f, zf);
    x86_gen_set_cc_op(s, CC_OP_EFLAGS);
    FREE(f);
}

static void gen_lar_lsl(DisasContext *s, bool lsl)
{
    if (!require_pm(s)) {
        return;
    }
    TCGv_i32 sel = tcg_temp_new_i32();
    TCGv_i64 r = T64(), ok = T64(), cur = T64();
    unsigned size = s->insn.opsize;
    const X86Operand *d = x86_op(s, 0);

    gen_selector_arg(s, sel);
    if (lsl) {
        gen_helper_lsl(r, tcg_env, sel);
    } else {
        gen_helper_lar(r, tcg_env, sel);
    }
    tcg_gen_extract_i64(ok, r, 32, 1);
    /* Without ZF the destination keeps its whole value. */
    TCGv_i64 nv = T64(), old = x86_reg[d->reg];
    tcg_gen_ext32u_i64(r, r);
    switch (size) {
    case 2: tcg_gen_deposit_i64(nv, old, r, 0, 16); break;
    default: tcg_gen_mov_i64(nv, r); break;
    }
    tcg_gen_movcond_i64(TCG_COND_NE, old, ok, tcg_constant_i64(0), nv, old);
    set_zf(s, ok);
    tcg_temp_free_i32(sel);
    FREE(r);
    FREE(ok);
    FREE(cur);
    FREE(nv);
}

static void gen_verr_verw(DisasContext *s, bool write)
{
    if (!require_pm(s)) {
        return;
    }
    TCGv_i32 sel = tcg_temp_new_i32(), z = tcg_temp_new_i32();
    TCGv_i64 zf = T64();
    gen_selector_arg(s, sel);
    if (write) {
        gen_helper_verw(z, tcg_env, sel);
    } else {
        gen_helper_verr(z, tcg_env, sel);
    }
    tcg_gen_extu_i32_i64(zf, z);
    set_zf(s, zf);
    tcg_temp_free_i32(sel);
    tcg_temp_free_i32(z);
    FREE(zf);
}

static void gen_lldt_ltr(DisasContext *s, bool ltr)
{
    if (!require_pm(s)) {
        return;
    }
    TCGv_i32 sel = tcg_temp_new_i32();
    gen_selector_arg(s, sel);
    if (ltr) {
        gen_helper_ltr(tcg_env, sel);
    } else {
        gen_helper_lldt(tcg_env, sel);
    }
    tcg_temp_free_i32(sel);
}

static void gen_arpl(DisasContext *s)
{
    if (!require_pm(s)) {
        return;
    }
    const X86Operand *d = x86_op(s, 0);
    TCGv_i64 addr = T64(), a = T64(), b = T64(), ra = T64(), rb = T64(), nv = T64(), zf = T64();
    if (d->type == X86_OPT_MEM) {
        x86_gen_lea(s, addr, d, true);
        x86_gen_ld(s, a, addr, MO_16);
    } else {
        x86_gen_reg_read(s, a, d, 2);
    }
    x86_gen_reg_read(s, b, x86_op(s, 1), 2);
    tcg_gen_andi_i64(ra, a, 3);
    tcg_gen_andi_i64(rb, b, 3);
    tcg_gen_setcond_i64(TCG_COND_LTU, zf, ra, rb);
    tcg_gen_andi_i64(nv, a, ~3);
    tcg_gen_or_i64(nv, nv, rb);
    tcg_gen_movcond_i64(TCG_COND_NE, nv, zf, tcg_constant_i64(0), nv, a);
    if (d->type == X86_OPT_MEM) {
        x86_gen_st(s, nv, addr, MO_16);
    } else {
        x86_gen_reg_write(s, d, 2, nv);
    }
    set_zf(s, zf);
    FREE(addr);
    FREE(a);
    FREE(b);
    FREE(ra);
    FREE(rb);
    FREE(nv);
    FREE(zf);
}

static void gen_xgetbv(void)
{
    TCGv_i32 idx = tcg_temp_new_i32();
    TCGv_i64 v = T64();
    tcg_gen_extrl_i64_i32(idx, x86_reg[R_ECX]);
    gen_helper_xgetbv(v, tcg_env, idx);
    x86_gen_gpr_write(R_EAX, 4, v);
    tcg_gen_shri_i64(v, v, 32);
    x86_gen_gpr_write(R_EDX, 4, v);
    tcg_temp_free_i32(idx);
    FREE(v);
}

static void gen_xsetbv(DisasContext *s)
{
    TCGv_i32 idx = tcg_temp_new_i32();
    TCGv_i64 v = T64(), hi = T64();
    (void)s;
    tcg_gen_extrl_i64_i32(idx, x86_reg[R_ECX]);
    tcg_gen_ext32u_i64(v, x86_reg[R_EAX]);
    tcg_gen_shli_i64(hi, x86_reg[R_EDX], 32);
    tcg_gen_or_i64(v, v, hi);
    gen_helper_xsetbv(tcg_env, idx, v);
    tcg_temp_free_i32(idx);
    FREE(v);
    FREE(hi);
}

bool x86_translate_sys(DisasContext *s)
{
    unsigned id = s->insn.id;
    switch (id) {
    case X86_INSN_MOV_SwEw:
        gen_mov_to_seg(s);
        return true;
    case X86_INSN_MOV_MwSw: case X86_INSN_MOV_RvSw:
        gen_mov_from_seg(s);
        return true;
    case X86_INSN_LES_GzMp: gen_load_far_ptr(s, SEG_ES); return true;
    case X86_INSN_LDS_GzMp: gen_load_far_ptr(s, SEG_DS); return true;
    case X86_INSN_LSS_GvMp: gen_load_far_ptr(s, SEG_SS); return true;
    case X86_INSN_LFS_GvMp: gen_load_far_ptr(s, SEG_FS); return true;
    case X86_INSN_LGS_GvMp: gen_load_far_ptr(s, SEG_GS); return true;

    case X86_INSN_CPUID:
        gen_helper_cpuid(tcg_env);
        return true;
    case X86_INSN_RDTSC:
        gen_helper_rdtsc(tcg_env);
        return true;
    case X86_INSN_RDTSCP:
        gen_helper_rdtscp(tcg_env);
        return true;
    case X86_INSN_RDMSR:
        gen_helper_rdmsr(tcg_env);
        return true;
    case X86_INSN_WRMSR:
        x86_gen_update_cc_op(s);
        gen_helper_wrmsr(tcg_env);
        return true;   /* SERIAL: the block ends */
    case X86_INSN_RDPMC:
        x86_gen_exception(s, X86_EXCP_GP, 0);   /* no performance counters */
        return true;
    case X86_INSN_MOV_RdCd: gen_mov_cr_dr(s, false, false); return true;
    case X86_INSN_MOV_CdRd: gen_mov_cr_dr(s, true, false); return true;
    case X86_INSN_MOV_RdDd: gen_mov_cr_dr(s, false, true); return true;
    case X86_INSN_MOV_DdRd: gen_mov_cr_dr(s, true, true); return true;
    case X86_INSN_CLTS:
        gen_helper_clts(tcg_env);
        end_exit_next(s);
        return true;
    case X86_INSN_LMSW_Ew: {
        TCGv_i64 v = T64();
        TCGv_i32 v32 = tcg_temp_new_i32();
        x86_gen_operand_load(s, v, x86_op(s, 0), 2);
        tcg_gen_extrl_i64_i32(v32, v);
        gen_helper_lmsw(tcg_env, v32);
        tcg_temp_free_i32(v32);
        FREE(v);
        return true;   /* SERIAL */
    }
    case X86_INSN_SMSW_Mw: case X86_INSN_SMSW_Rv:
        gen_smsw(s);
        return true;
    case X86_INSN_LGDT_Ms: case X86_INSN_LIDT_Ms: case X86_INSN_SGDT_Ms: case X86_INSN_SIDT_Ms:
        gen_table_reg(s, id);
        return true;
    case X86_INSN_SLDT_Mw: case X86_INSN_SLDT_Rv:
        gen_store_sys_sel(s, SEG_LDTR);
        return true;
    case X86_INSN_STR_Mw: case X86_INSN_STR_Rv:
        gen_store_sys_sel(s, SEG_TR);
        return true;
    case X86_INSN_LLDT_Ew:
        gen_lldt_ltr(s, false);
        return true;
    case X86_INSN_LTR_Ew:
        gen_lldt_ltr(s, true);
        return true;
    case X86_INSN_LAR_GvEw:
        gen_lar_lsl(s, false);
        return true;
    case X86_INSN_LSL_GvEw:
        gen_lar_lsl(s, true);
        return true;
    case X86_INSN_VERR_Ew:
        gen_verr_verw(s, false);
        return true;
    case X86_INSN_VERW_Ew:
        gen_verr_verw(s, true);
        return true;
    case X86_INSN_ARPL_EwGw:
        gen_arpl(s);
        return true;
    case X86_INSN_INVLPG_M: {
        TCGv_i64 a = T64();
        x86_gen_lea(s, a, x86_op(s, 0), true);
        gen_helper_invlpg(tcg_env, a);
        FREE(a);
        return true;   /* SERIAL */
    }
    case X86_INSN_WBINVD: case X86_INSN_INVD: case X86_INSN_WBNOINVD:
        return true;   /* no caches to write back */
    case X86_INSN_CLFLUSH_Mb: case X86_INSN_CLFLUSHOPT_Mb: case X86_INSN_CLWB_Mb:
        return true;
    case X86_INSN_HLT:
        x86_gen_update_cc_op(s);
        x86_gen_set_rip(s, s->next_pc);
        gen_helper_hlt(tcg_env);
        s->end = X86_END_EXIT;
        return true;
    case X86_INSN_PAUSE:
        x86_gen_update_cc_op(s);
        x86_gen_set_rip(s, s->next_pc);
        gen_helper_pause(tcg_env);
        s->end = X86_END_EXIT;
        return true;
    case X86_INSN_CLI:
        gen_helper_cli(tcg_env);
        return true;
    case X86_INSN_STI:
        gen_helper_sti(tcg_env);
        return true;   /* SERIAL: the next block opens the shadow */
    case X86_INSN_SYSCALL:
        x86_gen_update_cc_op(s);
        gen_helper_syscall(tcg_env, tcg_constant_i64((int64_t)s->next_pc));
        s->no_step_trap = true;
        s->end = X86_END_EXIT;
        return true;
    case X86_INSN_SYSRET:
        x86_gen_update_cc_op(s);
        gen_helper_sysret(tcg_env, tcg_constant_i32(s->insn.opsize));
        s->cc_op = X86_CC_OP_DYNAMIC;
        s->cc_op_dirty = false;
        s->end = X86_END_EXIT;
        return true;
    case X86_INSN_SYSENTER:
        x86_gen_update_cc_op(s);
        gen_helper_sysenter(tcg_env);
        s->no_step_trap = true;
        s->end = X86_END_EXIT;
        return true;
    case X86_INSN_SYSEXIT:
        x86_gen_update_cc_op(s);
        gen_helper_sysexit(tcg_env, tcg_constant_i32(s->insn.opsize));
        s->end = X86_END_EXIT;
        return true;
    case X86_INSN_SWAPGS:
        gen_helper_swapgs(tcg_env);
        return true;
    case X86_INSN_XGETBV:
        gen_xgetbv();
        return true;
    case X86_INSN_XSETBV:
        gen_xsetbv(s);
        return true;   /* SERIAL */
    case X86_INSN_UD2: case X86_INSN_UD0_GvEv: case X86_INSN_UD1_GvEv:
        x86_gen_illegal(s, false);
        return true;
    case X86_INSN_RSM:
        x86_gen_illegal(s, false);   /* not in SMM */
        return true;
    default:
        return false;
    }
}
