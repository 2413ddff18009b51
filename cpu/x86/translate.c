/*
 * The x86 -> IR translator core: IR globals, operand and address emitters
 * (segmentation per hflags, RIP-relative, address-size wrap), the stack,
 * lazy flags with static cc_op tracking, block exits, and the block loop
 * that decodes and dispatches to the instruction families.
 * Reference: Intel SDM vol. 1 ch. 3 (addressing), vol. 3 ch. 3/5 (segment
 * checks), 17.3.1 (single-step); shared/TCG.md "x86 frontend notes".
 * Leaves out: alignment checks (#AC), FS/GS limit checks, write checks on
 * read-only data segments, debug-register breakpoints.
 */
#include <stddef.h>
#include <stdlib.h>

#include "cpu/x86/frontend.h"
#include "cpu/x86/helper.h"
#include "cpu/x86/mem.h"
#include "cpu/x86/translate.h"
#include "mimic/log.h"
#include "tcg/exec.h"
#include "tcg/softmmu.h"

TCGv_i64 x86_reg[16];
TCGv_i64 x86_rip;
TCGv_i64 x86_cc_dst, x86_cc_src, x86_cc_src2;
TCGv_i32 x86_cc_op;
TCGv_i64 x86_df;

void x86_translate_init_globals(void)
{
    static const char *const names[16] = {
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    };
    for (int i = 0; i < 16; i++) {
        x86_reg[i] = tcg_global_mem_new_i64(offsetof(X86CPU, regs) + 8 * i, names[i]);
    }
    x86_rip = tcg_global_mem_new_i64(offsetof(X86CPU, rip), "rip");
    x86_cc_dst = tcg_global_mem_new_i64(offsetof(X86CPU, cc_dst), "cc_dst");
    x86_cc_src = tcg_global_mem_new_i64(offsetof(X86CPU, cc_src), "cc_src");
    x86_cc_src2 = tcg_global_mem_new_i64(offsetof(X86CPU, cc_src2), "cc_src2");
    x86_cc_op = tcg_global_mem_new_i32(offsetof(X86CPU, cc_op), "cc_op");
    x86_df = tcg_global_mem_new_i64(offsetof(X86CPU, df), "df");
}

/* ---- registers ---------------------------------------------------------- */

void x86_gen_ext(TCGv_i64 dst, TCGv_i64 src, unsigned size, bool sign)
{
    switch (size) {
    case 1: sign ? tcg_gen_ext8s_i64(dst, src) : tcg_gen_ext8u_i64(dst, src); break;
    case 2: sign ? tcg_gen_ext16s_i64(dst, src) : tcg_gen_ext16u_i64(dst, src); break;
    case 4: sign ? tcg_gen_ext32s_i64(dst, src) : tcg_gen_ext32u_i64(dst, src); break;
    default: tcg_gen_mov_i64(dst, src); break;
    }
}

void x86_gen_reg_read(DisasContext *s, TCGv_i64 dst, const X86Operand *op, unsigned size)
{
    (void)s;
    if (op->cls == X86_RC_GPR8H) {
        tcg_gen_extract_i64(dst, x86_reg[op->reg & 3], 8, 8);
    } else {
        x86_gen_ext(dst, x86_reg[op->reg & 15], size, false);
    }
}

void x86_gen_gpr_write(int reg, unsigned size, TCGv_i64 value)
{
    TCGv_i64 r = x86_reg[reg & 15];
    switch (size) {
    case 1: tcg_gen_deposit_i64(r, r, value, 0, 8); break;
    case 2: tcg_gen_deposit_i64(r, r, value, 0, 16); break;
    case 4: tcg_gen_ext32u_i64(r, value); break;
    default: tcg_gen_mov_i64(r, value); break;
    }
}

void x86_gen_reg_write(DisasContext *s, const X86Operand *op, unsigned size, TCGv_i64 value)
{
    (void)s;
    if (op->cls == X86_RC_GPR8H) {
        TCGv_i64 r = x86_reg[op->reg & 3];
        tcg_gen_deposit_i64(r, r, value, 8, 8);
    } else {
        x86_gen_gpr_write(op->reg, size, value);
    }
}

/* ---- addresses and memory ------------------------------------------------ */

static void gen_seg_base(TCGv_i64 dst, int seg)
{
    tcg_gen_ld_i64(dst, tcg_env, offsetof(X86CPU, segs) + seg * sizeof(X86Segment) +
                                 offsetof(X86Segment, base));
}

void x86_gen_add_seg(DisasContext *s, TCGv_i64 addr, int seg, unsigned size)
{
    if (s->code64) {
        if (seg == SEG_FS || seg == SEG_GS) {
            TCGv_i64 base = tcg_temp_new_i64();
            gen_seg_base(base, seg);
            tcg_gen_add_i64(addr, addr, base);
            tcg_temp_free_i64(base);
        }
        return;
    }
    if (s->notflat) {
        /* Real mode, VM86 and segmented protected mode: the helper checks the
         * limit (expand-up or down) and adds the base. */
        gen_helper_seg_linear(addr, tcg_env, tcg_constant_i32(seg | (size ? size : 1) << 8), addr);
        return;
    }
    /* Flat: CS, DS, ES and SS have base 0 and a 4 GiB limit. */
    if (seg == SEG_FS || seg == SEG_GS) {
        TCGv_i64 base = tcg_temp_new_i64();
        gen_seg_base(base, seg);
        tcg_gen_add_i64(addr, addr, base);
        tcg_gen_ext32u_i64(addr, addr);
        tcg_temp_free_i64(base);
    }
}

static unsigned log2_scale(unsigned scale)
{
    return scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
}

/* The effective address (offset in the segment) of the current insn's
 * memory operand, plus `extra` (POP [rSP+..] uses the popped rSP). */
static void gen_ea(DisasContext *s, TCGv_i64 dst, int64_t rsp_adjust)
{
    const X86Mem *m = &s->insn.mem;
    if (m->base == X86_REG_RIP) {
        tcg_gen_movi_i64(dst, (int64_t)(s->next_pc + (uint64_t)m->disp));
    } else if (m->base != X86_REG_NONE) {
        if (m->index != X86_REG_NONE) {
            TCGv_i64 t = tcg_temp_new_i64();
            tcg_gen_shli_i64(t, x86_reg[m->index], log2_scale(m->scale));
            tcg_gen_add_i64(dst, x86_reg[m->base], t);
            tcg_temp_free_i64(t);
            tcg_gen_addi_i64(dst, dst, m->disp);
        } else {
            tcg_gen_addi_i64(dst, x86_reg[m->base], m->disp);
        }
        if (m->base == R_ESP && rsp_adjust) {
            tcg_gen_addi_i64(dst, dst, rsp_adjust);
        }
    } else if (m->index != X86_REG_NONE) {
        tcg_gen_shli_i64(dst, x86_reg[m->index], log2_scale(m->scale));
        tcg_gen_addi_i64(dst, dst, m->disp);
    } else {
        tcg_gen_movi_i64(dst, m->disp);
    }
    if (s->insn.addrsize == 2) {
        tcg_gen_ext16u_i64(dst, dst);
    } else if (s->insn.addrsize == 4) {
        tcg_gen_ext32u_i64(dst, dst);
    }
}

void x86_gen_ea(DisasContext *s, TCGv_i64 dst)
{
    gen_ea(s, dst, 0);
}

void x86_gen_lea(DisasContext *s, TCGv_i64 dst, const X86Operand *mem, bool with_segment)
{
    gen_ea(s, dst, 0);
    if (with_segment) {
        x86_gen_add_seg(s, dst, s->insn.seg, mem && mem->size ? mem->size : 1);
    }
}

void x86_gen_lea_rsp_adjust(DisasContext *s, TCGv_i64 dst, const X86Operand *mem, int64_t adj)
{
    gen_ea(s, dst, adj);
    x86_gen_add_seg(s, dst, s->insn.seg, mem && mem->size ? mem->size : 1);
}

TCGv_i64 x86_gen_addr_value(DisasContext *s, const X86Operand *mem, TCGv_i64 scratch)
{
    const X86Mem *m = &s->insn.mem;
    int seg = s->insn.seg;
    if ((s->code64 || !s->notflat) && seg != SEG_FS && seg != SEG_GS) {
        /* No segment base to add: a static address is a constant, [reg]
         * the register itself. */
        uint64_t amask = s->insn.addrsize == 2 ? 0xffff : s->insn.addrsize == 4 ? 0xffffffffu
                                                                               : UINT64_MAX;
        if (m->base == X86_REG_RIP) {
            return tcg_constant_i64((int64_t)((s->next_pc + (uint64_t)m->disp) & amask));
        }
        if (m->base == X86_REG_NONE && m->index == X86_REG_NONE) {
            return tcg_constant_i64((int64_t)((uint64_t)m->disp & amask));
        }
        if (m->base != X86_REG_NONE && m->index == X86_REG_NONE && m->disp == 0 &&
            s->insn.addrsize == 8) {
            return x86_reg[m->base];
        }
    }
    if (s->code64 && (seg == SEG_FS || seg == SEG_GS) && m->base == X86_REG_NONE &&
        m->index == X86_REG_NONE) {
        /* fs:/gs:disp (per-CPU data): the base plus a constant. */
        uint64_t off = s->insn.addrsize == 4 ? (uint32_t)m->disp : (uint64_t)m->disp;
        gen_seg_base(scratch, seg);
        tcg_gen_addi_i64(scratch, scratch, (int64_t)off);
        return scratch;
    }
    x86_gen_lea(s, scratch, mem, true);
    return scratch;
}

void x86_gen_ld(DisasContext *s, TCGv_i64 dst, TCGv_i64 linear, TCGMemOp mop)
{
    tcg_gen_guest_ld_i64(dst, linear, (unsigned)s->mmu_idx, mop);
}

void x86_gen_st(DisasContext *s, TCGv_i64 src, TCGv_i64 linear, TCGMemOp mop)
{
    tcg_gen_guest_st_i64(src, linear, (unsigned)s->mmu_idx, mop);
}

/* The immediate an operand names: the second immediate operand is imm2. */
int64_t x86_operand_imm(const DisasContext *s, const X86Operand *op)
{
    for (int i = 0; i < X86_MAX_OPERANDS; i++) {
        if (&s->insn.op[i] == op) {
            break;
        }
        if (s->insn.op[i].type == X86_OPT_IMM) {
            return s->insn.imm2;
        }
    }
    return s->insn.imm;
}

void x86_gen_operand_load(DisasContext *s, TCGv_i64 dst, const X86Operand *op, unsigned size)
{
    switch (op->type) {
    case X86_OPT_REG:
        if (op->cls == X86_RC_SEG) {
            tcg_gen_ld16u_i64(dst, tcg_env, offsetof(X86CPU, segs) +
                                            op->reg * sizeof(X86Segment) +
                                            offsetof(X86Segment, selector));
        } else {
            x86_gen_reg_read(s, dst, op, size);
        }
        break;
    case X86_OPT_MEM: {
        TCGv_i64 a = tcg_temp_new_i64();
        x86_gen_ld(s, dst, x86_gen_addr_value(s, op, a), x86_mo(size));
        tcg_temp_free_i64(a);
        break;
    }
    case X86_OPT_IMM:
        tcg_gen_movi_i64(dst, x86_operand_imm(s, op));
        break;
    default:
        tcg_gen_movi_i64(dst, 0);
        break;
    }
}

TCGv_i64 x86_gen_operand_value(DisasContext *s, const X86Operand *op, unsigned size, bool raw,
                               TCGv_i64 scratch)
{
    if (op->type == X86_OPT_IMM) {
        return tcg_constant_i64(x86_operand_imm(s, op));
    }
    if (op->type == X86_OPT_REG && op->cls == X86_RC_GPR && (size == 8 || raw)) {
        return x86_reg[op->reg & 15];
    }
    x86_gen_operand_load(s, scratch, op, size);
    return scratch;
}

void x86_gen_operand_store(DisasContext *s, const X86Operand *op, unsigned size, TCGv_i64 v)
{
    if (op->type == X86_OPT_MEM) {
        TCGv_i64 a = tcg_temp_new_i64();
        x86_gen_st(s, v, x86_gen_addr_value(s, op, a), x86_mo(size));
        tcg_temp_free_i64(a);
    } else if (op->type == X86_OPT_REG) {
        x86_gen_reg_write(s, op, size, v);
    }
}

/* ---- stack ----------------------------------------------------------------- */

static void gen_stack_trunc(DisasContext *s, TCGv_i64 v)
{
    if (s->stack_size == 2) {
        tcg_gen_ext16u_i64(v, v);
    } else if (s->stack_size == 4) {
        tcg_gen_ext32u_i64(v, v);
    }
}

/* SS adds nothing to a stack offset: 64-bit mode, or flat segments. */
static bool ss_is_flat(const DisasContext *s)
{
    return s->code64 || !s->notflat;
}

void x86_gen_push(DisasContext *s, TCGv_i64 val, unsigned size)
{
    TCGv_i64 sp = tcg_temp_new_i64();
    tcg_gen_subi_i64(sp, x86_reg[R_ESP], size);
    gen_stack_trunc(s, sp);
    if (ss_is_flat(s)) {
        x86_gen_st(s, val, sp, x86_mo(size));
    } else {
        TCGv_i64 a = tcg_temp_new_i64();
        tcg_gen_mov_i64(a, sp);
        x86_gen_add_seg(s, a, SEG_SS, size);
        x86_gen_st(s, val, a, x86_mo(size));
        tcg_temp_free_i64(a);
    }
    x86_gen_gpr_write(R_ESP, s->stack_size, sp);
    tcg_temp_free_i64(sp);
}

void x86_gen_pop_load(DisasContext *s, TCGv_i64 dst, unsigned size, unsigned offset)
{
    if (offset == 0 && s->stack_size == 8 && ss_is_flat(s)) {
        /* The common 64-bit pop: rSP is the address as it is. */
        x86_gen_ld(s, dst, x86_reg[R_ESP], x86_mo(size));
        return;
    }
    TCGv_i64 a = tcg_temp_new_i64();
    tcg_gen_addi_i64(a, x86_reg[R_ESP], offset);
    gen_stack_trunc(s, a);
    x86_gen_add_seg(s, a, SEG_SS, size);
    x86_gen_ld(s, dst, a, x86_mo(size));
    tcg_temp_free_i64(a);
}

void x86_gen_sp_add(DisasContext *s, int64_t n)
{
    if (s->stack_size == 8) {
        tcg_gen_addi_i64(x86_reg[R_ESP], x86_reg[R_ESP], n);
        return;
    }
    TCGv_i64 sp = tcg_temp_new_i64();
    tcg_gen_addi_i64(sp, x86_reg[R_ESP], n);
    x86_gen_gpr_write(R_ESP, s->stack_size, sp);
    tcg_temp_free_i64(sp);
}

/* ---- lazy flags --------------------------------------------------------------- */

void x86_gen_set_cc_op(DisasContext *s, int cc_op)
{
    s->rot = 0;   /* every producer sets all the flags a rotate left pending */
    s->cc_op_guess = X86_CC_OP_DYNAMIC;   /* the block start's cc_op is gone */
    if (cc_op != s->cc_op) {
        s->cc_op = cc_op;
        s->cc_op_dirty = cc_op != X86_CC_OP_DYNAMIC;
    }
}

static void rot_flush(DisasContext *s);

void x86_gen_update_cc_op(DisasContext *s)
{
    rot_flush(s);
    if (s->cc_op_dirty) {
        tcg_gen_movi_i32(x86_cc_op, s->cc_op);
        s->cc_op_dirty = false;
    }
}

static TCGv_i32 cc_op_value(DisasContext *s)
{
    return s->cc_op == X86_CC_OP_DYNAMIC ? x86_cc_op : tcg_constant_i32(s->cc_op);
}

void x86_gen_eflags_to(DisasContext *s, TCGv_i64 dst)
{
    rot_flush(s);
    if (s->cc_op == CC_OP_EFLAGS) {
        tcg_gen_mov_i64(dst, x86_cc_src);
        return;
    }
    TCGv_i32 f = tcg_temp_new_i32();
    gen_helper_cc_compute_all(f, x86_cc_dst, x86_cc_src, x86_cc_src2, cc_op_value(s));
    tcg_gen_extu_i32_i64(dst, f);
    tcg_temp_free_i32(f);
}

void x86_gen_compute_eflags(DisasContext *s)
{
    rot_flush(s);
    if (s->cc_op == CC_OP_EFLAGS) {
        return;
    }
    TCGv_i32 f = tcg_temp_new_i32();
    gen_helper_cc_compute_all(f, x86_cc_dst, x86_cc_src, x86_cc_src2, cc_op_value(s));
    tcg_gen_extu_i32_i64(x86_cc_src, f);
    tcg_temp_free_i32(f);
    x86_gen_set_cc_op(s, CC_OP_EFLAGS);
}

/* Family (CC_OP_xxxB) and size in bytes of a static cc_op. */
static int cc_kind(int cc_op)
{
    return cc_op <= CC_OP_EFLAGS ? cc_op : (int)(((unsigned)cc_op - 1) & ~3u) + 1;
}

static unsigned cc_size(int cc_op)
{
    return 1u << (((unsigned)cc_op - 1) & 3);
}

void x86_gen_rot_flags(TCGv_i64 dst, TCGv_i64 f, TCGv_i64 r, bool left, unsigned bits)
{
    /* CF: the bit rotated into bit 0 (ROL) / the top bit (ROR).
     * OF: top bit XOR CF (ROL) / XOR of the two top bits (ROR). */
    TCGv_i64 cf = tcg_temp_new_i64(), of = tcg_temp_new_i64();
    if (left) {
        tcg_gen_andi_i64(cf, r, 1);
        tcg_gen_extract_i64(of, r, bits - 1, 1);
        tcg_gen_xor_i64(of, of, cf);
    } else {
        tcg_gen_extract_i64(cf, r, bits - 1, 1);
        tcg_gen_extract_i64(of, r, bits - 2, 1);
        tcg_gen_xor_i64(of, of, cf);
    }
    tcg_gen_andi_i64(dst, f, ~(int64_t)(X86_EFLAGS_CF | X86_EFLAGS_OF));
    tcg_gen_or_i64(dst, dst, cf);
    tcg_gen_shli_i64(of, of, 11);
    tcg_gen_or_i64(dst, dst, of);
    tcg_temp_free_i64(cf);
    tcg_temp_free_i64(of);
}

bool x86_rot_can_pend(const DisasContext *s)
{
    if (s->cc_op == X86_CC_OP_DYNAMIC) {
        return false;
    }
    int kind = s->cc_op <= CC_OP_EFLAGS ? s->cc_op : (int)(((unsigned)s->cc_op - 1) & ~3u) + 1;
    return kind != CC_OP_ADCB && kind != CC_OP_SBBB;
}

void x86_gen_rot_pending(DisasContext *s, TCGv_i64 r, bool left, unsigned size)
{
    unsigned lg = size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0;
    tcg_gen_mov_i64(x86_cc_src2, r);
    s->rot = X86_CC_ROT_PENDING | (left ? X86_CC_ROT_LEFT : 0) | lg << X86_CC_ROT_SIZE_SHIFT;
}

/* A pending rotate's flags made literal (cc_op EFLAGS). */
static void rot_flush(DisasContext *s)
{
    if (!s->rot) {
        return;
    }
    uint32_t rot = s->rot;
    s->rot = 0;
    TCGv_i64 f = tcg_temp_new_i64();
    x86_gen_eflags_to(s, f);
    x86_gen_rot_flags(x86_cc_src, f, x86_cc_src2, (rot & X86_CC_ROT_LEFT) != 0,
                      8u << ((rot >> X86_CC_ROT_SIZE_SHIFT) & 3));
    tcg_temp_free_i64(f);
    x86_gen_set_cc_op(s, CC_OP_EFLAGS);
}

void x86_restore_cc_op(X86CPU *cpu, uint64_t word)
{
    if (word == X86_INSN_CC_OP_DYNAMIC) {
        return;
    }
    uint32_t w = (uint32_t)word, op = w & X86_CC_OP_MASK;
    if (!(w & X86_CC_ROT_PENDING)) {
        cpu->cc_op = op;
        return;
    }
    unsigned bits = 8u << ((w >> X86_CC_ROT_SIZE_SHIFT) & 3);
    uint64_t r = cpu->cc_src2;
    uint64_t top = (r >> (bits - 1)) & 1, cf, of;
    if (w & X86_CC_ROT_LEFT) {
        cf = r & 1;
        of = top ^ cf;
    } else {
        cf = top;
        of = top ^ ((r >> (bits - 2)) & 1);
    }
    uint64_t f = x86_cc_compute(op, cpu->cc_dst, cpu->cc_src, cpu->cc_src2);
    cpu->cc_src = (f & ~(uint64_t)(X86_EFLAGS_CF | X86_EFLAGS_OF)) | cf | of << 11;
    cpu->cc_op = CC_OP_EFLAGS;
}

/* The low `size` bytes of a cc global, extended: the global itself when it
 * is whole (read before anything writes it). */
static TCGv_i64 cc_ext(TCGv_i64 g, unsigned size, bool sign)
{
    if (size == 8) {
        return g;
    }
    TCGv_i64 t = tcg_temp_new_i64();
    x86_gen_ext(t, g, size, sign);
    return t;
}

void x86_gen_compute_cf(DisasContext *s, TCGv_i64 dst)
{
    rot_flush(s);
    int op = s->cc_op;
    unsigned size = op > CC_OP_EFLAGS ? cc_size(op) : 8;
    TCGv_i64 a, b;

    switch (op == X86_CC_OP_DYNAMIC ? -1 : cc_kind(op)) {
    case CC_OP_EFLAGS:
    case CC_OP_INCB: case CC_OP_DECB:
    case CC_OP_SHRB: case CC_OP_SARB:
    case CC_OP_BMILGB:
        tcg_gen_andi_i64(dst, x86_cc_src, 1);
        return;
    case CC_OP_LOGICB:
    case CC_OP_POPCNTB:
        tcg_gen_movi_i64(dst, 0);
        return;
    case CC_OP_SHLB:
        tcg_gen_extract_i64(dst, x86_cc_src, size * 8 - 1, 1);
        return;
    case CC_OP_MULB: case CC_OP_IMULB:
        tcg_gen_setcondi_i64(TCG_COND_NE, dst, x86_cc_src, 0);
        return;
    case CC_OP_SUBB:
        b = cc_ext(x86_cc_src, size, false);
        tcg_gen_setcond_i64(TCG_COND_LTU, dst, s->cc_srcT, b);
        return;
    case CC_OP_ADDB:
        a = cc_ext(x86_cc_dst, size, false);
        b = cc_ext(x86_cc_src, size, false);
        tcg_gen_setcond_i64(TCG_COND_LTU, dst, a, b);
        return;
    default: {
        TCGv_i32 f = tcg_temp_new_i32();
        gen_helper_cc_compute_cf(f, x86_cc_dst, x86_cc_src, x86_cc_src2, cc_op_value(s));
        tcg_gen_extu_i32_i64(dst, f);
        tcg_temp_free_i32(f);
        return;
    }
    }
}

/* dst = CF of the lazy state of static cc_op `op` from the cc globals alone
 * (no cc_srcT: valid at a block start); false for ADC/SBB (the helper). */
static bool gen_cf_from_globals(TCGv_i64 dst, int op)
{
    unsigned size = op > CC_OP_EFLAGS ? cc_size(op) : 8;
    TCGv_i64 a, b;

    switch (cc_kind(op)) {
    case CC_OP_EFLAGS:
    case CC_OP_INCB: case CC_OP_DECB:
    case CC_OP_SHRB: case CC_OP_SARB:
    case CC_OP_BMILGB:
        tcg_gen_andi_i64(dst, x86_cc_src, 1);
        return true;
    case CC_OP_LOGICB:
    case CC_OP_POPCNTB:
        tcg_gen_movi_i64(dst, 0);
        return true;
    case CC_OP_SHLB:
        tcg_gen_extract_i64(dst, x86_cc_src, size * 8 - 1, 1);
        return true;
    case CC_OP_MULB: case CC_OP_IMULB:
        b = tcg_temp_new_i64();
        x86_gen_ext(b, x86_cc_src, size, false);
        tcg_gen_setcondi_i64(TCG_COND_NE, dst, b, 0);
        tcg_temp_free_i64(b);
        return true;
    case CC_OP_SUBB:   /* borrow: first operand (dst + src) below src */
    case CC_OP_ADDB:   /* carry: result below the second operand */
        a = tcg_temp_new_i64();
        b = tcg_temp_new_i64();
        if (cc_kind(op) == CC_OP_SUBB) {
            tcg_gen_add_i64(a, x86_cc_dst, x86_cc_src);
            x86_gen_ext(a, a, size, false);
        } else {
            x86_gen_ext(a, x86_cc_dst, size, false);
        }
        x86_gen_ext(b, x86_cc_src, size, false);
        tcg_gen_setcond_i64(TCG_COND_LTU, dst, a, b);
        tcg_temp_free_i64(a);
        tcg_temp_free_i64(b);
        return true;
    default:
        return false;
    }
}

/*
 * A block starts with cc_op unknown, and `dec ecx; jnz loop` or `inc rax;
 * cmpb $0,(rax); jne` loops start their block with an instruction that keeps
 * CF: a helper call per iteration. The cc_op the CPU had when the block was
 * translated is almost always the one it has each time it enters (the same
 * producer ends the previous block), so check it and compute CF inline.
 */
void x86_gen_compute_cf_first(DisasContext *s, TCGv_i64 dst)
{
    int guess = s->cc_op_guess;
    if (s->cc_op != X86_CC_OP_DYNAMIC || guess < CC_OP_EFLAGS || guess >= CC_OP_COUNT ||
        cc_kind(guess) == CC_OP_ADCB || cc_kind(guess) == CC_OP_SBBB) {
        x86_gen_compute_cf(s, dst);
        return;
    }
    TCGv_i64 t = tcg_temp_new_tb_i64();
    TCGLabel *slow = gen_new_label(), *done = gen_new_label();
    tcg_gen_brcondi_i32(TCG_COND_NE, x86_cc_op, guess, slow);
    gen_cf_from_globals(t, guess);
    tcg_gen_br(done);
    gen_set_label(slow);
    TCGv_i32 f = tcg_temp_new_i32();
    gen_helper_cc_compute_cf(f, x86_cc_dst, x86_cc_src, x86_cc_src2, x86_cc_op);
    tcg_gen_extu_i32_i64(t, f);
    tcg_temp_free_i32(f);
    gen_set_label(done);
    tcg_gen_mov_i64(dst, t);
    tcg_temp_free_i64(t);
}

static X86Cond cond_false(void)
{
    return (X86Cond){ TCG_COND_EQ, tcg_constant_i64(0), tcg_constant_i64(1) };
}

/* Test of literal EFLAGS bits in f (only read). */
static X86Cond cond_from_eflags(TCGv_i64 f, unsigned base)
{
    TCGv_i64 t = tcg_temp_new_i64();
    switch (base) {
    case 0: tcg_gen_andi_i64(t, f, X86_EFLAGS_OF); break;
    case 1: tcg_gen_andi_i64(t, f, X86_EFLAGS_CF); break;
    case 2: tcg_gen_andi_i64(t, f, X86_EFLAGS_ZF); break;
    case 3: tcg_gen_andi_i64(t, f, X86_EFLAGS_CF | X86_EFLAGS_ZF); break;
    case 4: tcg_gen_andi_i64(t, f, X86_EFLAGS_SF); break;
    case 5: tcg_gen_andi_i64(t, f, X86_EFLAGS_PF); break;
    case 6:
    case 7: {
        /* SF != OF: OF (bit 11) shifted onto SF (bit 7). */
        TCGv_i64 u = tcg_temp_new_i64();
        tcg_gen_shri_i64(u, f, 4);
        tcg_gen_xor_i64(u, u, f);
        tcg_gen_andi_i64(u, u, X86_EFLAGS_SF);
        if (base == 7) {
            tcg_gen_andi_i64(t, f, X86_EFLAGS_ZF);
            tcg_gen_or_i64(t, t, u);
        } else {
            tcg_temp_free_i64(t);
            return (X86Cond){ TCG_COND_NE, u, tcg_constant_i64(0) };
        }
        tcg_temp_free_i64(u);
        break;
    }
    }
    return (X86Cond){ TCG_COND_NE, t, tcg_constant_i64(0) };
}

/* "The low `size` bytes of g are zero": one bit test for 8/16-bit values
 * (the mask fits an x86 immediate); 32/64-bit go through cc_ext (the
 * backend knows a zero-extended register). */
static X86Cond cond_zero(TCGv_i64 g, unsigned size)
{
    if (size < 4) {
        return (X86Cond){ TCG_COND_TSTEQ, g, tcg_constant_i64(size == 1 ? 0xff : 0xffff) };
    }
    return (X86Cond){ TCG_COND_EQ, cc_ext(g, size, false), tcg_constant_i64(0) };
}

/* "The sign bit of the low `size` bytes of g is set". */
static X86Cond cond_sign(TCGv_i64 g, unsigned size)
{
    if (size < 4) {
        return (X86Cond){ TCG_COND_TSTNE, g, tcg_constant_i64(size == 1 ? 0x80 : 0x8000) };
    }
    return (X86Cond){ TCG_COND_LT, cc_ext(g, size, true), tcg_constant_i64(0) };
}

static X86Cond cond_static(DisasContext *s, unsigned base, bool *ok)
{
    int op = s->cc_op;
    int kind = cc_kind(op);
    unsigned size = cc_size(op);
    TCGv_i64 a, b;

    *ok = true;
    if (kind == CC_OP_POPCNTB) {
        /* Only ZF can be set: Z, BE and LE test it, the rest are false. */
        if (base == 2 || base == 3 || base == 7) {
            return cond_zero(x86_cc_src, size);
        }
        return cond_false();
    }
    switch (base) {
    case 2:   /* Z */
        return cond_zero(x86_cc_dst, size);
    case 4:   /* S */
        return cond_sign(x86_cc_dst, size);
    case 5:   /* P: even number of ones in the low byte */
        a = tcg_temp_new_i64();
        tcg_gen_ext8u_i64(a, x86_cc_dst);
        tcg_gen_ctpop_i64(a, a);
        tcg_gen_andi_i64(a, a, 1);
        return (X86Cond){ TCG_COND_EQ, a, tcg_constant_i64(0) };
    case 1:   /* B */
        switch (kind) {
        case CC_OP_SUBB:
            b = cc_ext(x86_cc_src, size, false);
            return (X86Cond){ TCG_COND_LTU, s->cc_srcT, b };
        case CC_OP_ADDB:
            a = cc_ext(x86_cc_dst, size, false);
            b = cc_ext(x86_cc_src, size, false);
            return (X86Cond){ TCG_COND_LTU, a, b };
        case CC_OP_LOGICB:
            return cond_false();
        case CC_OP_ADCB: case CC_OP_SBBB:
            break;
        default:
            a = tcg_temp_new_i64();
            x86_gen_compute_cf(s, a);
            return (X86Cond){ TCG_COND_NE, a, tcg_constant_i64(0) };
        }
        break;
    case 3:   /* BE */
        if (kind == CC_OP_SUBB) {
            b = cc_ext(x86_cc_src, size, false);
            return (X86Cond){ TCG_COND_LEU, s->cc_srcT, b };
        }
        if (kind == CC_OP_LOGICB) {
            return cond_zero(x86_cc_dst, size);
        }
        break;
    case 6:   /* L */
    case 7:   /* LE */
        if (kind == CC_OP_SUBB) {
            a = cc_ext(s->cc_srcT, size, true);
            b = cc_ext(x86_cc_src, size, true);
            return (X86Cond){ base == 6 ? TCG_COND_LT : TCG_COND_LE, a, b };
        }
        if (kind == CC_OP_LOGICB) {
            a = cc_ext(x86_cc_dst, size, true);
            return (X86Cond){ base == 6 ? TCG_COND_LT : TCG_COND_LE, a, tcg_constant_i64(0) };
        }
        break;
    case 0:   /* O */
        if (kind == CC_OP_LOGICB) {
            return cond_false();
        }
        if (kind == CC_OP_MULB || kind == CC_OP_IMULB) {
            return (X86Cond){ TCG_COND_NE, x86_cc_src, tcg_constant_i64(0) };
        }
        break;
    }
    *ok = false;
    return cond_false();
}

X86Cond x86_prepare_cc(DisasContext *s, unsigned cc)
{
    unsigned base = (cc >> 1) & 7;
    X86Cond c;
    bool ok = false;

    rot_flush(s);
    if (s->cc_op == CC_OP_EFLAGS) {
        c = cond_from_eflags(x86_cc_src, base);
    } else {
        if (s->cc_op != X86_CC_OP_DYNAMIC) {
            c = cond_static(s, base, &ok);
        }
        if (!ok) {
            TCGv_i32 f32 = tcg_temp_new_i32();
            TCGv_i64 f = tcg_temp_new_i64();
            gen_helper_cc_compute_all(f32, x86_cc_dst, x86_cc_src, x86_cc_src2, cc_op_value(s));
            tcg_gen_extu_i32_i64(f, f32);
            tcg_temp_free_i32(f32);
            c = cond_from_eflags(f, base);
        }
    }
    if (cc & 1) {
        c.cond = tcg_invert_cond(c.cond);
    }
    return c;
}

void x86_gen_condition(DisasContext *s, TCGv_i64 dst, unsigned cc)
{
    X86Cond c = x86_prepare_cc(s, cc);
    tcg_gen_setcond_i64(c.cond, dst, c.a, c.b);
}

/* ---- exceptions and block exits ---------------------------------------------------- */

void x86_gen_exception(DisasContext *s, int vector, uint32_t error_code)
{
    gen_helper_raise_exception(tcg_env, tcg_constant_i32(vector), tcg_constant_i32((int32_t)error_code));
    s->end = X86_END_NORETURN;
}

void x86_gen_illegal(DisasContext *s, bool unimplemented)
{
    if (unimplemented) {
        log_unimp("x86: %s (%02x) at %#llx not implemented: #UD\n", x86_insn_name(s->insn.id),
                  s->insn.opcode, (unsigned long long)s->pc);
    }
    x86_gen_exception(s, X86_EXCP_UD, 0);
}

bool x86_gen_check_fpu_available(DisasContext *s, bool is_sse)
{
    if (is_sse) {
        if ((s->hflags & X86_HF_EM) || !(s->hflags & X86_HF_OSFXSR)) {
            x86_gen_exception(s, X86_EXCP_UD, 0);
            return false;
        }
        if (s->hflags & X86_HF_TS) {
            x86_gen_exception(s, X86_EXCP_NM, 0);
            return false;
        }
        return true;
    }
    if (s->hflags & (X86_HF_EM | X86_HF_TS)) {
        x86_gen_exception(s, X86_EXCP_NM, 0);
        return false;
    }
    return true;
}

uint64_t x86_mask_rip(unsigned opsize, uint64_t eip)
{
    return opsize == 2 ? (eip & 0xffff) : opsize == 4 ? (uint32_t)eip : eip;
}

void x86_gen_set_rip(DisasContext *s, uint64_t eip)
{
    (void)s;
    tcg_gen_movi_i64(x86_rip, (int64_t)eip);
}

/* What every exit does before leaving: the lazy cc_op to memory, the end of
 * an interrupt shadow (and RF), the single-step trap. */
static void gen_exit_prep(DisasContext *s)
{
    x86_gen_update_cc_op(s);
    if (s->end_shadow) {
        gen_helper_end_shadow(tcg_env);
    }
    if (s->single_step && !s->no_step_trap) {
        gen_helper_debug_trap(tcg_env);
    }
}

static bool use_goto_tb(DisasContext *s, uint64_t eip)
{
    if (s->no_chain || (s->tb->cflags & TB_CFLAG_NO_CHAIN)) {
        return false;
    }
    uint64_t linear = s->cs_base + eip;
    if (!s->code64) {
        linear = (uint32_t)linear;
    }
    return (linear & TCG_PAGE_MASK) == s->page_start;
}

void x86_gen_jmp_dynamic(DisasContext *s)
{
    gen_exit_prep(s);
    if (s->no_chain) {
        tcg_gen_exit_tb(NULL, 0);
        return;
    }
    /* The next block's key as fe_get_tb_key computes it. Blocks that may
     * change CS (far transfers, IRET...) end with an exit instead, so
     * cs_base and the address size are this block's; hflags may have changed
     * (segment loads) and is read back. */
    TCGv_i64 pc = x86_rip;
    if (s->cs_base != 0 || !s->code64) {
        pc = tcg_temp_new_i64();
        tcg_gen_addi_i64(pc, x86_rip, (int64_t)s->cs_base);
        if (!s->code64) {
            tcg_gen_ext32u_i64(pc, pc);
        }
    }
    TCGv_i32 flags = tcg_temp_new_i32();
    tcg_gen_ld_i32(flags, tcg_env, offsetof(X86CPU, hflags));
    tcg_gen_lookup_and_goto_ptr_key(pc, s->cs_base, flags);
}

void x86_gen_exit_loop(DisasContext *s)
{
    gen_exit_prep(s);
    tcg_gen_exit_tb(NULL, 0);
}

void x86_gen_goto_tb(DisasContext *s, unsigned slot, uint64_t eip)
{
    x86_gen_update_cc_op(s);
    if (use_goto_tb(s, eip) && slot < TCG_MAX_GOTO_TB && !(s->jmp_slots_used & (1 << slot))) {
        s->jmp_slots_used |= 1 << slot;
        tcg_gen_goto_tb(slot);
        /* Only the unchained path stores rip: a chained block that leaves at
         * its exit-request check gets its pc back from the exec loop. */
        x86_gen_set_rip(s, eip);
        tcg_gen_exit_tb(s->tb, slot);
    } else {
        x86_gen_set_rip(s, eip);
        x86_gen_jmp_dynamic(s);
    }
}

void x86_gen_jmp(DisasContext *s, uint64_t eip)
{
    x86_gen_goto_tb(s, (s->jmp_slots_used & 1) ? 1 : 0, eip);
    s->end = X86_END_STATIC;
}

/* ---- the block loop ----------------------------------------------------------- */

typedef struct FetchCtx {
    DisasContext *s;
    uint64_t linear;
} FetchCtx;

static uint8_t fetch_byte(void *opaque, unsigned i)
{
    FetchCtx *f = opaque;
    uint64_t a = f->linear + i;
    if (!f->s->code64) {
        a = (uint32_t)a;
    }
    return tcg_code_ldub(f->s->cpu, a, (unsigned)f->s->mmu_idx);
}

static uint64_t linear_pc(const DisasContext *s, uint64_t eip)
{
    uint64_t a = s->cs_base + eip;
    return s->code64 ? a : (uint32_t)a;
}

static bool is_x87_form(const X86Insn *in)
{
    return in->map == X86_MAP_1 && in->opcode >= 0xd8 && in->opcode <= 0xdf;
}

static void translate_one(DisasContext *s)
{
    X86Insn *in = &s->insn;
    FetchCtx fc = { s, linear_pc(s, s->pc) };
    X86DecodeMode mode = s->code64 ? X86_MODE_64 : s->code_size == 4 ? X86_MODE_32 : X86_MODE_16;
    int status = x86_decode(mode, fetch_byte, &fc, in);

    /* A pending rotate's flags become literal before an instruction that
     * may look at them, so none of its faults finds them half-written. */
    if (s->rot && (status != X86_DECODE_OK || !x86_insn_keeps_rot(in))) {
        rot_flush(s);
    }
    tcg_gen_insn_start(s->pc, s->cc_op == X86_CC_OP_DYNAMIC ? X86_INSN_CC_OP_DYNAMIC
                                                             : (uint64_t)s->cc_op | s->rot);

    s->next_pc = s->pc + in->len;
    if (!s->code64) {
        s->next_pc = (uint32_t)s->next_pc;
    }
    if (status == X86_DECODE_TOO_LONG) {
        x86_gen_exception(s, X86_EXCP_GP, 0);
        return;
    }
    if (!s->code64 && s->pc + in->len - 1 > s->cs_limit) {
        x86_gen_exception(s, X86_EXCP_GP, 0);
        return;
    }
    if (status != X86_DECODE_OK) {
        x86_gen_illegal(s, status == X86_DECODE_UD_VEX);
        return;
    }
    if (!x86_cpu_has_feature(s->x86, in->feature)) {
        /* Without BMI1/LZCNT the F3 prefix is ignored: BSF/BSR (SDM TZCNT/LZCNT). */
        if (in->id == X86_INSN_TZCNT_GvEv) {
            in->id = X86_INSN_BSF_GvEv;
        } else if (in->id == X86_INSN_LZCNT_GvEv) {
            in->id = X86_INSN_BSR_GvEv;
        } else {
            x86_gen_illegal(s, false);
            return;
        }
    }
    if ((in->attrs & X86_ATTR_PRIV) && (s->hflags & X86_HF_CPL_MASK) != 0) {
        x86_gen_exception(s, X86_EXCP_GP, 0);
        return;
    }

    bool done;
    if (is_x87_form(in)) {
        done = x86_translate_x87(s);
    } else {
        done = x86_translate_int(s) || x86_translate_shift(s) || x86_translate_ctl(s) ||
               x86_translate_string(s) || x86_translate_sys(s);
        if (!done && in->id == X86_INSN_FWAIT) {
            done = x86_translate_x87(s);
            if (!done) {
                /* FWAIT without the x87 family: only its #NM check. */
                if ((s->hflags & (X86_HF_TS | X86_HF_MP)) == (X86_HF_TS | X86_HF_MP)) {
                    x86_gen_exception(s, X86_EXCP_NM, 0);
                }
                done = true;
            }
        }
        if (!done) {
            done = x86_translate_sse(s);
        }
    }
    if (!done) {
        x86_gen_illegal(s, true);
        return;
    }
    if (s->end == X86_NEXT && (in->attrs & X86_ATTR_SERIAL)) {
        x86_gen_set_rip(s, s->next_pc);
        s->end = X86_END_EXIT;
    }
}

void x86_translate_block(CPUState *cpu, TranslationBlock *tb, int max_insns)
{
    X86CPU *x86 = (X86CPU *)cpu;
    DisasContext ctx = { 0 };
    DisasContext *s = &ctx;
    uint32_t hf = tb->flags;

    s->cpu = cpu;
    s->x86 = x86;
    s->tb = tb;
    s->hflags = hf;
    s->cs_base = tb->cs_base;
    s->code64 = (hf & X86_HF_CS64) != 0;
    s->code_size = x86_hf_code_size(hf);
    s->notflat = !s->code64 && (hf & X86_HF_NOTFLAT);
    s->stack_size = s->code64 ? 8 : (hf & X86_HF_SS32) ? 4 : 2;
    s->mmu_idx = (hf & X86_HF_CPL_MASK) == 3 ? X86_MMU_USER : X86_MMU_SUPER;
    s->cc_op = X86_CC_OP_DYNAMIC;
    s->cc_op_guess = (int)x86->cc_op;
    s->pc = tb->pc - tb->cs_base;
    if (!s->code64) {
        s->pc = (uint32_t)s->pc;
    }
    s->page_start = tb->pc & TCG_PAGE_MASK;
    s->cs_limit = x86->segs[SEG_CS].limit;
    s->single_step = (hf & X86_HF_TF) != 0;
    s->end_shadow = (hf & (X86_HF_INHIBIT_IRQ | X86_HF_RF)) != 0;
    s->no_chain = s->single_step || s->end_shadow;
    if (max_insns < 1) {
        max_insns = 1;
    }
    if (max_insns > TCG_MAX_INSNS) {
        max_insns = TCG_MAX_INSNS;
    }

    /* The core emitted the exit_request check before this and ends the
     * block after it (tcg/tb.c). */
    s->cc_srcT = tcg_temp_new_tb_i64();

    uint32_t size = 0;
    for (;;) {
        uint64_t lin = linear_pc(s, s->pc);
        if (s->num_insns > 0) {
            /* An instruction that may reach into the next page: end the block
             * before it unless that page can be fetched (its fault belongs to
             * a block that starts with it). */
            uint64_t off = lin & ~TCG_PAGE_MASK;
            if (off > TCG_PAGE_SIZE - X86_MAX_INSN_LEN &&
                !tcg_code_fetch_probe(cpu, (lin | (TCG_PAGE_SIZE - 1)) + 1, (unsigned)s->mmu_idx)) {
                /* The block that starts here spans two pages: the exec loop
                 * never chains into it, so a goto_tb would go back to the
                 * loop each time; the jump-cache lookup finds it inline. */
                x86_gen_set_rip(s, s->pc);
                s->end = X86_END_DYNAMIC;
                break;
            }
        }
        s->num_insns++;
        s->no_step_trap = false;
        translate_one(s);
        size += s->insn.len;

        if (s->end != X86_NEXT) {
            break;
        }
        if (s->num_insns >= max_insns || (tb->cflags & TB_CFLAG_SINGLE_INSN) ||
            s->no_chain || tcg_op_buf_full() ||
            (linear_pc(s, s->next_pc) & TCG_PAGE_MASK) != s->page_start) {
            x86_gen_jmp(s, s->next_pc);
            break;
        }
        s->pc = s->next_pc;
    }

    switch (s->end) {
    case X86_END_DYNAMIC:
        x86_gen_jmp_dynamic(s);
        break;
    case X86_END_EXIT:
        x86_gen_exit_loop(s);
        break;
    case X86_END_NORETURN:
        tcg_gen_exit_tb(NULL, 0);   /* not reached: the block must still end */
        break;
    default:
        break;
    }
    tb->size = size;
    tb->icount = (uint16_t)s->num_insns;
}
