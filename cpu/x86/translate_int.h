/*
 * What the integer translators (translate_int.c, translate_shift.c) share:
 * read-modify-write destinations and operand sizing. Private to cpu/x86.
 */
#ifndef MIMIC_CPU_X86_TRANSLATE_INT_H
#define MIMIC_CPU_X86_TRANSLATE_INT_H

#include "cpu/x86/translate.h"

#define T64() tcg_temp_new_i64()
#define FREE(t) tcg_temp_free_i64(t)

/* A destination operand: register or memory with its linear address computed
 * once (read-modify-write). */
typedef struct Dest {
    const X86Operand *op;
    TCGv_i64 addr;          /* memory: linear address (maybe a constant or global); else unused */
    TCGv_i64 scratch;       /* memory: the temp addr may be */
    bool mem;
} Dest;

static inline Dest dest_begin(DisasContext *s, const X86Operand *op)
{
    Dest d = { op, { 0 }, { 0 }, op->type == X86_OPT_MEM };
    if (d.mem) {
        d.scratch = T64();
        d.addr = x86_gen_addr_value(s, op, d.scratch);
    }
    return d;
}

static inline void dest_load(DisasContext *s, const Dest *d, TCGv_i64 v, unsigned size)
{
    if (d->mem) {
        x86_gen_ld(s, v, d->addr, x86_mo(size));
    } else {
        x86_gen_reg_read(s, v, d->op, size);
    }
}

static inline void dest_store(DisasContext *s, const Dest *d, TCGv_i64 v, unsigned size)
{
    if (d->mem) {
        x86_gen_st(s, v, d->addr, x86_mo(size));
    } else {
        x86_gen_reg_write(s, d->op, size, v);
    }
}

static inline void dest_end(Dest *d)
{
    if (d->mem) {
        FREE(d->scratch);
    }
}

/* A 32-bit general register read whole: for results whose low 32 bits are
 * all that count (the register write zero-extends, the lazy flags mask by
 * size), the zero-extension of the operand would be wasted. */
static inline bool gpr32_raw(const X86Operand *op, unsigned size)
{
    return size == 4 && op->type == X86_OPT_REG && op->cls == X86_RC_GPR;
}

static inline void operand_load_low(DisasContext *s, TCGv_i64 v, const X86Operand *op, unsigned size)
{
    if (gpr32_raw(op, size)) {
        tcg_gen_mov_i64(v, x86_reg[op->reg & 15]);
    } else {
        x86_gen_operand_load(s, v, op, size);
    }
}

static inline void dest_load_low(DisasContext *s, const Dest *d, TCGv_i64 v, unsigned size)
{
    if (!d->mem && gpr32_raw(d->op, size)) {
        tcg_gen_mov_i64(v, x86_reg[d->op->reg & 15]);
    } else {
        dest_load(s, d, v, size);
    }
}

/* A 32-bit result computed from raw operands, zero-extended in place (the
 * native backend then computes it with a 32-bit instruction). */
static inline void result_low(TCGv_i64 r, unsigned size)
{
    if (size == 4) {
        tcg_gen_ext32u_i64(r, r);
    }
}

/* Operand size of an operand: its own size (Eb, Gv...) or the insn's. */
static inline unsigned osize(DisasContext *s, int i)
{
    unsigned z = s->insn.op[i].size;
    return z ? z : s->insn.opsize;
}

static inline int cc_sized(int base, unsigned size)
{
    return (int)x86_cc_op_sized((CCOp)base, size);
}

/* Flags of a SUB/CMP/NEG: first operand a, second b, result r. */
static inline void set_sub_flags(DisasContext *s, TCGv_i64 a, TCGv_i64 b, TCGv_i64 r, unsigned size)
{
    x86_gen_ext(s->cc_srcT, a, size, false);
    tcg_gen_mov_i64(x86_cc_src, b);
    tcg_gen_mov_i64(x86_cc_dst, r);
    x86_gen_set_cc_op(s, cc_sized(CC_OP_SUBB, size));
}

#endif
