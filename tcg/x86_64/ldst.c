/*
 * Guest memory access in the x86-64 backend: the softmmu TLB lookup inlined
 * as a compare-and-add fast path exactly as tcg/tlb.h lays it out, and an
 * out-of-line slow path per access, emitted after the block, that stores the
 * globals the fast path keeps dirty in registers and calls the softmmu's
 * TCGGuestMemoryOps with a retaddr inside the guest instruction.
 * Leaves out: MOVBE for big-endian accesses (bswap is used instead).
 */
#if defined(__x86_64__)

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tlb.h"
#include "internal.h"

#define A(i) (&g->s->temps[op->args[i]])

static unsigned rexw(bool is64) { return is64 ? P_REXW : 0; }

/* Emits the lookup up to the jne; leaves the entry pointer in t0. Returns the jne's rel32. */
static uint32_t tlb_lookup(X64Gen *g, int addr, int t0, int t1, unsigned mmu, TCGMemOp memop,
                           bool is_load)
{
    unsigned s = memop & MO_SIZE;
    unsigned a = (memop & MO_ALIGN) ? s : 0;
    int32_t smask = (int32_t)((1u << s) - 1), amask = (int32_t)((1u << a) - 1);
    int32_t fast = (int32_t)(TCG_ENV_TLB_OFFSET + mmu * sizeof(TCGTLBFast));
    x64_mov_rr(g, true, t0, addr);
    x64_shift_ri(g, SHIFT_SHR, true, t0, TCG_PAGE_BITS - TCG_TLB_ENTRY_BITS);
    x64_arith_rm(g, ARITH_AND, true, t0, X_ENV, fast + (int32_t)offsetof(TCGTLBFast, mask));
    x64_arith_rm(g, ARITH_ADD, true, t0, X_ENV, fast + (int32_t)offsetof(TCGTLBFast, table));
    if (smask - amask) {   /* the last byte's page, so a page-crossing access misses */
        x64_lea(g, true, t1, addr, X_NOIDX, smask - amask);
    } else {
        x64_mov_rr(g, true, t1, addr);
    }
    x64_arith_ri(g, ARITH_AND, true, t1, (int32_t)(uint32_t)(TCG_PAGE_MASK | (uint64_t)amask));
    x64_arith_rm(g, ARITH_CMP, true, t1, t0,
                 is_load ? (int32_t)offsetof(TCGTLBEntry, addr_read)
                         : (int32_t)offsetof(TCGTLBEntry, addr_write));
    x64_byte(g, 0x0f);
    x64_byte(g, 0x80 + CC_NE);
    uint32_t field = x64_off(g);
    x64_u32(g, 0);
    x64_load(g, OPC_MOVL_GvEv | P_REXW, t0, t0, X_NOIDX, (int32_t)offsetof(TCGTLBEntry, addend));
    return field;
}

static X64SlowPath *slow_path_new(X64Gen *g)
{
    if (!g->s->mem_ops) {
        fprintf(stderr, "mimic: translator bug: guest_ld/st without guest memory ops\n");
        abort();
    }
    X64SlowPath *p = tcg_arena_alloc(g->s, sizeof(*p));
    memset(p, 0, sizeof(*p));
    *g->slow_tail = p;
    g->slow_tail = &p->next;
    return p;
}

void x64_gen_guest_ld(X64Gen *g, const TCGOp *op)
{
    bool is64 = op->type == TCG_TYPE_I64;
    TCGTemp *taddr = A(1);
    uint32_t oi = (uint32_t)op->args[2];
    TCGMemOp memop = TCG_MEMOP_IDX_MEMOP(oi);
    unsigned s = memop & MO_SIZE;
    bool sign = memop & MO_SIGN, be = (memop & MO_BE) && s > 0;
    /* All allocation happens before the fast path: the slow path skips whatever
     * code sits between the jne and the resume point. */
    int ra = x64_ra_in(g, taddr, X_ANY);
    int t0 = x64_ra_scratch(g, X_ALLOCATABLE);
    int out = x64_ra_out_alias(g, op, taddr, ra, X_ALLOCATABLE, true, false, false);
    int t1 = out != ra ? out : x64_ra_scratch(g, X_ALLOCATABLE);
    X64SlowPath *p = slow_path_new(g);
    p->n_dirty = x64_ra_dirty_globals(g, &p->dirty);   /* the state at the jne */
    p->jcc_field = tlb_lookup(g, ra, t0, t1, TCG_MEMOP_IDX_MMU(oi), memop, true);
    p->retaddr_off = p->jcc_field + 4;
    unsigned opc;
    switch (s) {
    case MO_8:
        opc = sign ? (OPC_MOVSBL | rexw(is64)) : OPC_MOVZBL;
        break;
    case MO_16:
        opc = sign && !be ? (OPC_MOVSWL | rexw(is64)) : OPC_MOVZWL;
        break;
    case MO_32:
        opc = sign && is64 && !be ? OPC_MOVSLQ : OPC_MOVL_GvEv;
        break;
    default:
        opc = OPC_MOVL_GvEv | P_REXW;
        break;
    }
    x64_op_rmx(g, opc, out, ra, t0, 0, 0);
    if (be) {
        if (s == MO_16) {
            x64_rol16_8(g, out);
            if (sign) {
                x64_op_rr(g, OPC_MOVSWL | rexw(is64), out, out);
            }
        } else {
            x64_bswap(g, s == MO_64, out);
            if (s == MO_32 && sign && is64) {
                x64_op_rr(g, OPC_MOVSLQ, out, out);
            }
        }
    }
    p->resume_off = x64_off(g);
    p->is_load = true;
    p->is64 = is64;
    p->oi = oi;
    p->addr_reg = (int8_t)ra;
    p->out_reg = (int8_t)out;
    p->val_reg = -1;
    int regs[1] = { out };
    x64_ra_op_end(g, op, regs);
    p->save_mask = x64_ra_owned(g, X_CALLER_SAVED) & (uint16_t)~RM(out);
}

void x64_gen_guest_st(X64Gen *g, const TCGOp *op)
{
    bool is64 = op->type == TCG_TYPE_I64;
    TCGTemp *tval = A(0), *taddr = A(1);
    uint32_t oi = (uint32_t)op->args[2];
    TCGMemOp memop = TCG_MEMOP_IDX_MEMOP(oi);
    unsigned s = memop & MO_SIZE;
    bool be = (memop & MO_BE) && s > 0;
    uint64_t v = 0;
    bool vimm = x64_ra_const(g, tval, &v) && (s < 3 || (int64_t)v == (int32_t)v);
    int rv = vimm ? -1 : x64_ra_in(g, tval, X_ANY);
    int ra = x64_ra_in(g, taddr, X_ANY);
    int t0 = x64_ra_scratch(g, X_ALLOCATABLE);
    int t1 = x64_ra_scratch(g, X_ALLOCATABLE);
    X64SlowPath *p = slow_path_new(g);
    p->n_dirty = x64_ra_dirty_globals(g, &p->dirty);   /* the state at the jne */
    p->jcc_field = tlb_lookup(g, ra, t0, t1, TCG_MEMOP_IDX_MMU(oi), memop, false);
    p->retaddr_off = p->jcc_field + 4;
    if (vimm) {
        uint64_t hv = v;
        if (be) {
            hv = s == MO_16 ? __builtin_bswap16((uint16_t)v) : s == MO_32
                 ? __builtin_bswap32((uint32_t)v) : __builtin_bswap64(v);
        }
        if (s == MO_64 && (int64_t)hv != (int32_t)hv) {
            x64_movi(g, true, t1, hv, false);
            x64_op_rmx(g, OPC_MOVL_EvGv | P_REXW, t1, ra, t0, 0, 0);
        } else {
            static const unsigned sopc[4] = {
                OPC_MOVB_EvIb, OPC_MOVL_EvIz | P_DATA16, OPC_MOVL_EvIz, OPC_MOVL_EvIz | P_REXW,
            };
            x64_op_rmx(g, sopc[s], 0, ra, t0, 0, 0);
            if (s == MO_8) {
                x64_byte(g, (uint8_t)hv);
            } else if (s == MO_16) {
                x64_u16(g, (uint16_t)hv);
            } else {
                x64_u32(g, (uint32_t)hv);
            }
        }
    } else {
        int src = rv;
        if (be) {
            x64_mov_rr(g, s == MO_64, t1, rv);
            if (s == MO_16) {
                x64_rol16_8(g, t1);
            } else {
                x64_bswap(g, s == MO_64, t1);
            }
            src = t1;
        }
        x64_store(g, s, src, ra, t0, 0);
    }
    p->resume_off = x64_off(g);
    p->is_load = false;
    p->is64 = is64;
    p->oi = oi;
    p->addr_reg = (int8_t)ra;
    p->val_reg = (int8_t)rv;
    p->val_const = v;
    p->out_reg = -1;
    x64_ra_op_end(g, op, NULL);
    p->save_mask = x64_ra_owned(g, X_CALLER_SAVED);
}

/*
 * Out of line: save the live caller-saved registers in the frame's save
 * area, call the softmmu with retaddr = just after the fast path's jne (so
 * retaddr - 1 is inside the guest instruction), restore, jump back.
 */
void x64_emit_slow_path(X64Gen *g, const X64SlowPath *p)
{
    x64_patch_rel32(g, p->jcc_field, x64_off(g));
    unsigned n = 0;
    for (unsigned m = p->save_mask; m; m &= m - 1) {
        x64_store(g, 3, __builtin_ctz(m), X_RSP, X_NOIDX, X64_SAVE_OFF + 8 * (int32_t)n++);
    }
    /* Globals the fast path left in registers: the softmmu may fault or
     * look at the state (precise exceptions). Before the argument moves. */
    for (unsigned i = 0; i < p->n_dirty; i++) {
        const X64DirtyGlobal *d = &p->dirty[i];
        if (d->reg >= 0) {
            x64_store(g, d->wide ? 3 : 2, d->reg, X_ENV, X_NOIDX, d->disp);
        } else if (!d->wide || (int64_t)d->val == (int32_t)d->val) {
            x64_store_imm(g, d->wide ? 3 : 2, (int32_t)d->val, X_ENV, X_NOIDX, d->disp);
        } else {
            x64_store_imm(g, 2, (int32_t)(uint32_t)d->val, X_ENV, X_NOIDX, d->disp);
            x64_store_imm(g, 2, (int32_t)(uint32_t)(d->val >> 32), X_ENV, X_NOIDX, d->disp + 4);
        }
    }
    TCGMemOp memop = TCG_MEMOP_IDX_MEMOP(p->oi);
    unsigned mmu = TCG_MEMOP_IDX_MMU(p->oi);
    int ra = p->addr_reg, rv = p->val_reg;
    if (!p->is_load && rv == X_RSI) {          /* value first, or it is overwritten */
        if (ra == X_RDX) {
            x64_op_rr(g, OPC_XCHG | P_REXW, X_RSI, X_RDX);
        } else {
            x64_mov_rr(g, true, X_RDX, X_RSI);
            x64_mov_rr(g, true, X_RSI, ra);
        }
    } else {
        x64_mov_rr(g, true, X_RSI, ra);
        if (!p->is_load) {
            if (rv >= 0) {
                x64_mov_rr(g, true, X_RDX, rv);
            } else {
                x64_movi(g, true, X_RDX, p->val_const, false);
            }
        }
    }
    x64_mov_rr(g, true, X_RDI, X_ENV);
    int r_memop = p->is_load ? X_RDX : X_RCX;
    int r_mmu = p->is_load ? X_RCX : X_R8;
    int r_ra = p->is_load ? X_R8 : X_R9;
    x64_movi(g, false, r_memop, memop, false);
    x64_movi(g, false, r_mmu, mmu, false);
    x64_lea_rip(g, r_ra, p->retaddr_off);
    const TCGGuestMemoryOps *m = g->s->mem_ops;
    x64_call_abs(g, p->is_load ? (uintptr_t)m->load : (uintptr_t)m->store);
    if (p->is_load) {
        x64_op_rr(g, OPC_MOVL_GvEv | rexw(p->is64), p->out_reg, X_RAX);
    }
    n = 0;
    for (unsigned m = p->save_mask; m; m &= m - 1) {
        x64_load(g, OPC_MOVL_GvEv | P_REXW, __builtin_ctz(m), X_RSP, X_NOIDX,
                 X64_SAVE_OFF + 8 * (int32_t)n++);
    }
    x64_jmp_to(g, p->resume_off);
}

#endif
