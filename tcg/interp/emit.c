/*
 * Interpreter backend, code generation: one forward pass turning optimized,
 * liveness-annotated IR into bytecode (tcg/interp/bytecode.h), an op at a time
 * unless fuse.c makes a superinstruction of it. Slots and cached globals are
 * handled as a register allocator treats host registers; with a CPUState env
 * the slot array lives in env and 8-byte globals are used in place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../backend.h"
#include "../cpu.h"
#include "../helper.h"
#include "../tlb.h"
#include "bytecode.h"
#include "emit_int.h"

void interp_put(Emitter *e, const uint16_t *u, unsigned n)
{
    e->acc_slot = -1;
    if (e->pos + n > e->cap) {
        e->full = true;
        return;
    }
    memcpy(e->buf + e->pos, u, n * sizeof(uint16_t));
    e->pos += n;
}

static unsigned slot_alloc(Emitter *e)
{
    if (e->nfree) {
        return e->free_slots[--e->nfree];
    }
    if (e->nslots >= e->limit) {
        e->too_big = true;
        return e->base;
    }
    return e->nslots++;
}

static void slot_free(Emitter *e, TCGTemp *ts)
{
    /* Only the array's own registers: a temp may have borrowed a global's. */
    if (ts->be_slot >= (int32_t)(e->base + BC_FIXED_SLOTS) && ts->be_slot < (int32_t)e->limit) {
        e->free_slots[e->nfree++] = (uint16_t)ts->be_slot;
    }
    ts->be_slot = -1;
    ts->be_aux = 0;
}

static unsigned temp_slot(Emitter *e, TCGTemp *ts)
{
    if (ts->be_slot < 0) {
        ts->be_slot = (int32_t)slot_alloc(e);
    }
    return (unsigned)ts->be_slot;
}

/* Drop entries no longer loaded, so the list stays short and bounded. */
void interp_compact_loaded(Emitter *e)
{
    unsigned keep = 0;
    for (unsigned i = 0; i < e->nloaded; i++) {
        if (e->s->temps[e->loaded[i]].be_state & GS_LOADED) {
            e->loaded[keep++] = e->loaded[i];
        }
    }
    e->nloaded = keep;
}

static void mark_loaded(Emitter *e, TCGTemp *ts)
{
    if (e->nloaded == TCG_MAX_TEMPS) {
        interp_compact_loaded(e);
    }
    if (!(ts->be_state & GS_LOADED)) {
        ts->be_state |= GS_LOADED;
        e->loaded[e->nloaded++] = (int32_t)(ts - e->s->temps);
    }
}

static void emit_global_store(Emitter *e, TCGTemp *ts)
{
    bool acc = e->acc_slot == ts->be_slot;
    uint16_t u[5] = { (uint16_t)(ts->type == TCG_TYPE_I32 ? (acc ? BC_STA32 : BC_ST32)
                                                          : (acc ? BC_STA64 : BC_ST64)),
                      (uint16_t)ts->be_slot, (uint16_t)(e->base + BC_ENV_SLOT) };
    int keep = e->acc_slot;
    interp_set_imm32(u + 3, (uint32_t)ts->mem_offset);
    interp_put(e, u, 5);
    e->acc_slot = keep;   /* a store leaves the accumulator alone */
    ts->be_state &= ~(uint32_t)GS_DIRTY;
}

/* Before a guest access: the slow path may fault, so memory must hold every
 * global (liveness keeps them live, not synced, for native backends). */
void interp_sync_dirty(Emitter *e)
{
    for (unsigned i = 0; i < e->nloaded; i++) {
        TCGTemp *ts = &e->s->temps[e->loaded[i]];
        if (ts->be_state & GS_DIRTY) {
            emit_global_store(e, ts);
        }
    }
}

/* Liveness already synced every global that must be in memory here; a dirty
 * one means a liveness bug. Store it anyway and count it. */
void interp_sync_point(Emitter *e)
{
    for (unsigned i = 0; i < e->nloaded; i++) {
        TCGTemp *ts = &e->s->temps[e->loaded[i]];
        if (ts->be_state & GS_DIRTY) {
            e->s->stats.sync_misses++;
            emit_global_store(e, ts);
        }
    }
}

void interp_unload(Emitter *e, bool consts_too)
{
    unsigned keep = 0;
    for (unsigned i = 0; i < e->nloaded; i++) {
        TCGTemp *ts = &e->s->temps[e->loaded[i]];
        if (ts->kind == TCG_TEMP_CONST && !consts_too) {
            e->loaded[keep++] = e->loaded[i];
        } else {
            ts->be_state = 0;
        }
    }
    e->nloaded = keep;
}

/* Slot holding input a's value, loading a global or materializing a constant. */
uint16_t interp_in_slot(Emitter *e, TCGArg a)
{
    TCGTemp *ts = &e->s->temps[a];
    if ((ts->be_aux & TA_LOW32) && !e->allow_low32) {
        /* Not a reader fuse.c (fuse_low32) planned for (cannot happen): make it real. */
        uint16_t u[3] = { BC_EXT32U, (uint16_t)slot_alloc(e), (uint16_t)ts->be_slot };
        interp_put_out(e, u, 3);
        slot_free(e, ts);
        ts->be_slot = u[1];
    }
    switch (ts->kind) {
    case TCG_TEMP_FIXED:
        return (uint16_t)(e->base + BC_ENV_SLOT);
    case TCG_TEMP_GLOBAL:
        if (interp_resident(e, ts)) {
            return (uint16_t)(ts->mem_offset / 8);
        }
        if (!(ts->be_state & GS_LOADED)) {
            uint16_t u[5] = { ts->type == TCG_TYPE_I32 ? BC_LD32U : BC_LD64,
                              (uint16_t)temp_slot(e, ts), (uint16_t)(e->base + BC_ENV_SLOT) };
            interp_set_imm32(u + 3, (uint32_t)ts->mem_offset);
            interp_put_out(e, u, 5);
            mark_loaded(e, ts);
        }
        return (uint16_t)ts->be_slot;
    case TCG_TEMP_CONST:
        if (ts->val == 0) {
            return (uint16_t)(e->base + BC_ZERO_SLOT);
        }
        if (ts->val == 1) {
            return (uint16_t)(e->base + BC_ONE_SLOT);
        }
        if (!(ts->be_state & GS_LOADED)) {
            uint16_t u[6] = { 0, (uint16_t)temp_slot(e, ts) };
            if (ts->type == TCG_TYPE_I32) {
                u[0] = BC_MOVI32;
                interp_set_imm32(u + 2, (uint32_t)ts->val);
                interp_put_out(e, u, 4);
            } else {
                u[0] = BC_MOVI64;
                interp_set_imm64(u + 2, ts->val);
                interp_put_out(e, u, 6);
            }
            mark_loaded(e, ts);
        }
        return (uint16_t)ts->be_slot;
    default:
        return (uint16_t)temp_slot(e, ts);
    }
}

static bool op_uses(const TCGOp *op, TCGArg t)
{
    for (int i = 0; i < op->nb_oargs + op->nb_iargs; i++) {
        if (op->args[i] == t) {
            return true;
        }
    }
    return false;
}

/*
 * "op t, ...; ...; mov g, t" with g a resident global and t dying at the
 * mov: the mov, if what lies between neither touches g nor lets anyone look
 * at the guest state (no calls, guest accesses, branches or labels), so
 * computing t straight into g is invisible.
 */
static const TCGOp *find_retarget(Emitter *e, TCGArg t)
{
    const TCGOp *mv = e->cur->next;
    for (int n = 0; mv; mv = mv->next) {
        if (mv->opc == INDEX_op_insn_start) {
            continue;
        }
        if (++n > RETARGET_WINDOW) {
            return NULL;
        }
        if (mv->opc == INDEX_op_mov && mv->args[1] == t) {
            break;
        }
        const TCGOpDef *def = &tcg_op_defs[mv->opc];
        if ((def->flags & (TCG_OPF_SIDE_EFFECTS | TCG_OPF_BB_END | TCG_OPF_NOT_PRESENT)) ||
            mv->opc == INDEX_op_call) {
            return NULL;
        }
        for (int i = 0; i < mv->nb_oargs; i++) {
            if (mv->args[i] == t) {
                return NULL;
            }
        }
    }
    if (!mv || !tcg_op_dead(mv, 1) || !interp_resident(e, &e->s->temps[mv->args[0]])) {
        return NULL;
    }
    int gslot = e->s->temps[mv->args[0]].mem_offset / 8;
    for (const TCGOp *o = e->cur->next; o != mv; o = o->next) {
        if (op_uses(o, mv->args[0])) {
            return NULL;
        }
        /* a temp reading the global's slot in place (a LOW32 alias) */
        for (int i = o->nb_oargs; i < o->nb_oargs + o->nb_iargs; i++) {
            if (interp_cur_slot(e, o->args[i]) == gslot) {
                return NULL;
            }
        }
    }
    return mv;
}

uint16_t interp_out_slot(Emitter *e, TCGArg a)
{
    TCGTemp *ts = &e->s->temps[a];
    if (interp_resident(e, ts)) {
        return (uint16_t)(ts->mem_offset / 8);
    }
    if (e->in_env && ts->kind == TCG_TEMP_EBB && ts->be_slot < 0 && e->cur &&
        e->cur->nb_oargs == 1 && e->nfolded < RETARGET_MAX) {
        const TCGOp *mv = find_retarget(e, a);
        if (mv) {
            ts->be_slot = e->s->temps[mv->args[0]].mem_offset / 8;
            e->folded[e->nfolded++] = mv;
            return (uint16_t)ts->be_slot;
        }
    }
    return (uint16_t)temp_slot(e, ts);
}

static bool take_folded(Emitter *e, const TCGOp *op)
{
    for (unsigned i = 0; i < e->nfolded; i++) {
        if (e->folded[i] == op) {
            e->folded[i] = e->folded[--e->nfolded];
            return true;
        }
    }
    return false;
}

void interp_consume(Emitter *e, const TCGOp *op)
{
    if (e->nconsumed == CONSUMED_MAX) {   /* a fusion taking too many ops: emitter bug */
        fprintf(stderr, "mimic: interp: too many fused ops\n");
        abort();
    }
    e->consumed[e->nconsumed++] = op;
}

static bool take_consumed(Emitter *e, const TCGOp *op)
{
    for (unsigned i = 0; i < e->nconsumed; i++) {
        if (e->consumed[i] == op) {
            e->consumed[i] = e->consumed[--e->nconsumed];
            return true;
        }
    }
    return false;
}

static bool is_output(const TCGOp *op, TCGArg a)
{
    for (int i = 0; i < op->nb_oargs; i++) {
        if (op->args[i] == a) {
            return true;
        }
    }
    return false;
}

/* Free the inputs that die at op; true if a global was unloaded. */
bool interp_inputs_done(Emitter *e, const TCGOp *op)
{
    bool unloaded = false;
    for (int i = op->nb_oargs; i < op->nb_oargs + op->nb_iargs; i++) {
        TCGTemp *ts = &e->s->temps[op->args[i]];
        if (!tcg_op_dead(op, i) || is_output(op, op->args[i])) {
            continue;
        }
        if (ts->kind == TCG_TEMP_EBB) {
            slot_free(e, ts);
        } else if (ts->kind == TCG_TEMP_GLOBAL && !interp_resident(e, ts)) {
            /* Not read again before it is redefined; memory holds what must survive. */
            ts->be_state &= ~(uint32_t)(GS_LOADED | GS_DIRTY);
            unloaded = true;
        }
    }
    return unloaded;
}

/* After an op: free what died, record written globals and write back the synced ones. */
void interp_op_done(Emitter *e, const TCGOp *op)
{
    bool unloaded = interp_inputs_done(e, op);
    for (int i = 0; i < op->nb_oargs; i++) {
        TCGTemp *ts = &e->s->temps[op->args[i]];
        if (interp_resident(e, ts)) {
            continue;   /* written in place */
        }
        if (ts->kind == TCG_TEMP_GLOBAL) {
            mark_loaded(e, ts);
            ts->be_state |= GS_DIRTY;
            if (tcg_op_sync(op, i)) {
                emit_global_store(e, ts);
            }
            if (tcg_op_dead(op, i)) {
                ts->be_state &= ~(uint32_t)(GS_LOADED | GS_DIRTY);
                unloaded = true;
            }
        } else if (ts->kind == TCG_TEMP_EBB && tcg_op_dead(op, i)) {
            slot_free(e, ts);
        }
    }
    if (unloaded) {
        interp_compact_loaded(e);
    }
}

void interp_branch_to(Emitter *e, TCGLabel *l, size_t op_start, size_t field)
{
    if (l->has_value) {
        if (field + 2 <= e->cap) {
            interp_set_imm32(e->buf + field, (uint32_t)((int32_t)l->value - (int32_t)op_start));
        }
        return;
    }
    TCGRelocation *r = tcg_arena_alloc(e->s, sizeof(*r));
    r->offset = (uint32_t)field;
    r->kind = (uint32_t)op_start;
    r->next = l->relocs;
    l->relocs = r;
}

static void set_label(Emitter *e, TCGLabel *l)
{
    l->has_value = true;
    l->value = (uint32_t)e->pos;
    for (TCGRelocation *r = l->relocs; r; r = r->next) {
        if (r->offset + 2 <= e->cap) {
            interp_set_imm32(e->buf + r->offset, (uint32_t)((int32_t)l->value - (int32_t)r->kind));
        }
    }
    l->relocs = NULL;
}

unsigned interp_bc_binary_base(TCGOpcode opc)
{
    switch (opc) {
    case INDEX_op_add: return BC_ADD_32;
    case INDEX_op_sub: return BC_SUB_32;
    case INDEX_op_mul: return BC_MUL_32;
    case INDEX_op_and: return BC_AND_32;
    case INDEX_op_or: return BC_OR_32;
    case INDEX_op_xor: return BC_XOR_32;
    case INDEX_op_andc: return BC_ANDC_32;
    case INDEX_op_orc: return BC_ORC_32;
    case INDEX_op_shl: return BC_SHL_32;
    case INDEX_op_shr: return BC_SHR_32;
    case INDEX_op_sar: return BC_SAR_32;
    case INDEX_op_rotl: return BC_ROTL_32;
    case INDEX_op_rotr: return BC_ROTR_32;
    case INDEX_op_divs: return BC_DIVS_32;
    case INDEX_op_divu: return BC_DIVU_32;
    case INDEX_op_rems: return BC_REMS_32;
    case INDEX_op_remu: return BC_REMU_32;
    case INDEX_op_clz: return BC_CLZ_32;
    case INDEX_op_ctz: return BC_CTZ_32;
    case INDEX_op_setcond: return BC_SETCOND_32;
    case INDEX_op_negsetcond: return BC_NEGSETCOND_32;
    default: return 0;
    }
}

int interp_bc_unary(TCGOpcode opc, bool is64)
{
    switch (opc) {
    case INDEX_op_not: return BC_NOT_32 + is64;
    case INDEX_op_neg: return BC_NEG_32 + is64;
    case INDEX_op_ext8s: return BC_EXT8S_32 + is64;
    case INDEX_op_ext8u: return BC_EXT8U_32 + is64;
    case INDEX_op_ext16s: return BC_EXT16S_32 + is64;
    case INDEX_op_ext16u: return BC_EXT16U_32 + is64;
    case INDEX_op_bswap16: return BC_BSWAP16_32 + is64;
    case INDEX_op_bswap32: return BC_BSWAP32_32 + is64;
    case INDEX_op_ctpop: return BC_CTPOP_32 + is64;
    case INDEX_op_ext32s: case INDEX_op_exts_i32_i64: return BC_EXT32S;
    case INDEX_op_ext32u: case INDEX_op_extrl_i64_i32: return BC_EXT32U;
    case INDEX_op_extu_i32_i64: return BC_MOV;   /* I32 slots hold zero-extended values */
    case INDEX_op_extrh_i64_i32: return BC_EXTRH;
    case INDEX_op_bswap64: return BC_BSWAP64;
    default: return -1;
    }
}

static int bc_load(TCGOpcode opc, bool is64)
{
    switch (opc) {
    case INDEX_op_ld8u: return BC_LD8U;
    case INDEX_op_ld8s: return is64 ? BC_LD8S_64 : BC_LD8S_32;
    case INDEX_op_ld16u: return BC_LD16U;
    case INDEX_op_ld16s: return is64 ? BC_LD16S_64 : BC_LD16S_32;
    case INDEX_op_ld32u: return BC_LD32U;
    case INDEX_op_ld32s: return BC_LD32S_64;
    case INDEX_op_ld: return is64 ? BC_LD64 : BC_LD32U;
    case INDEX_op_st8: return BC_ST8;
    case INDEX_op_st16: return BC_ST16;
    case INDEX_op_st32: return BC_ST32;
    case INDEX_op_st: return is64 ? BC_ST64 : BC_ST32;
    default: return -1;
    }
}

/* The TLB-inlining form of a guest access, or -1 for the plain call
 * (big-endian and MO_ALIGN accesses always take the call). */
int interp_bc_guest_tlb(TCGMemOp mo, bool ld, bool is64)
{
    if (mo & (MO_BE | MO_ALIGN)) {
        return -1;
    }
    unsigned size = mo & MO_SIZE;
    if (!ld) {
        return BC_QST_8 + (int)size;
    }
    if (!(mo & MO_SIGN) || size == MO_64 || (size == MO_32 && !is64)) {
        return BC_QLD_UB + (int)size;
    }
    if (!is64) {
        return size == MO_8 ? BC_QLD_SB_32 : BC_QLD_SW_32;
    }
    return size == MO_8 ? BC_QLD_SB_64 : size == MO_16 ? BC_QLD_SW_64 : BC_QLD_SL_64;
}

static void emit_call(Emitter *e, const TCGOp *op)
{
    const TCGHelperInfo *info = (const void *)(uintptr_t)op->args[op->nb_oargs + op->nb_iargs];
    uint16_t u[3 + TCG_MAX_HELPER_ARGS + 4];
    unsigned n = 0;
    u[n++] = (uint16_t)(BC_CALL0 + info->nargs);
    u[n++] = (uint16_t)(info->ret | ((info->flags & TCG_CALL_MAY_RAISE) ? BC_CALL_MAY_RAISE : 0));
    n++;   /* output slot, filled below */
    for (int i = 0; i < info->nargs; i++) {
        u[n++] = interp_in_slot(e, op->args[op->nb_oargs + i]);
    }
    u[2] = op->nb_oargs ? interp_out_slot(e, op->args[0]) : 0;
    interp_set_imm64(u + n, (uint64_t)(uintptr_t)info->func);
    interp_put(e, u, n + 4);
    if (op->nb_oargs) {
        e->acc_slot = u[2];
    }
}


/*
 * A binary op: its first input from the accumulator when it is there; the
 * result is out->args[0] (out is op, or a fused ext32u after it, done here
 * too), computed in 32 bits when !is64. low32: inputs may be LOW32 aliases.
 */
void interp_emit_binary(Emitter *e, TCGOp *op, unsigned base, bool is64, TCGOp *out, bool low32)
{
    TCGContext *s = e->s;
    TCGArg *a = op->args;
    uint16_t u[8];
    /* Second input first, so a load of the first leaves it in the accumulator. */
    TCGTemp *tb = &s->temps[a[2]];
    bool imm = tb->kind == TCG_TEMP_CONST && (!is64 || interp_fits_imm(tb));
    e->allow_low32 = low32;
    uint16_t sb = imm ? 0 : interp_in_slot(e, a[2]);
    uint16_t sa = interp_in_slot(e, a[1]);
    e->allow_low32 = false;
    bool acc = e->acc_slot == sa;
    if (!acc && !imm && e->acc_slot == sb && (tcg_op_defs[op->opc].flags & TCG_OPF_COMMUTATIVE)) {
        sb = sa;
        sa = (uint16_t)e->acc_slot;
        acc = true;
    }
    e->cur = out;
    u[1] = interp_out_slot(e, out->args[0]);
    if (interp_fuse_binary_mov(e, op, out, u, sa, sb, imm, is64)) {
        return;
    }
    u[2] = sa;
    if (imm) {
        u[0] = (uint16_t)BC_FAMILY8(base, is64, 1, acc);
        interp_set_imm32(u + 3, (uint32_t)tb->val);
        interp_put_out(e, u, 5);
    } else {
        u[0] = (uint16_t)BC_FAMILY8(base, is64, 0, acc);
        u[3] = sb;
        interp_put_out(e, u, 4);
    }
    interp_op_done(e, op);
    if (out != op) {
        interp_op_done(e, out);
        interp_consume(e, out);
    }
}

/* A GOTO_TB[S]n: the head units in u (opcode filled here), n padding
 * units, the 8-byte patchable target field at its run address. */
void interp_put_goto_tb(Emitter *e, uint16_t *u, unsigned head, unsigned bc, unsigned slot)
{
    unsigned pad = 0;
    while (((uintptr_t)(e->buf + e->pos + head + pad) + (uintptr_t)e->rx_diff) % 8) {
        u[head + pad++] = 0;
    }
    memset(u + head + pad, 0, 8);
    u[0] = (uint16_t)(bc + pad);
    size_t field = e->pos + head + pad;
    interp_put(e, u, head + pad + 4);
    e->info->jump_used[slot] = true;
    e->info->jump[slot].insn_off = (uint32_t)(field * 2);
    e->info->jump[slot].reset_off = (uint32_t)((field + 4) * 2);
}


void interp_emit_op(Emitter *e, TCGOp *op)
{
    e->cur = op;
    TCGContext *s = e->s;
    TCGArg *a = op->args;
    bool is64 = op->type == TCG_TYPE_I64;
    uint16_t u[24];   /* the longest: a BRTB with its padding and fields */
    size_t start = e->pos;
    int bc;

    switch (op->opc) {
    case INDEX_op_insn_start:
        e->info->insn_off[e->n_insns++] = (uint32_t)(e->pos * 2);
        return;
    case INDEX_op_set_label:
        interp_sync_point(e);
        interp_unload(e, true);
        set_label(e, tcg_arg_label(a[0]));
        e->acc_slot = -1;      /* branches arrive with another accumulator */
        return;
    case INDEX_op_discard: {
        TCGTemp *ts = &s->temps[a[0]];
        if (ts->kind == TCG_TEMP_EBB) {
            slot_free(e, ts);
        } else if (ts->kind == TCG_TEMP_GLOBAL && !interp_resident(e, ts)) {
            ts->be_state &= ~(uint32_t)(GS_LOADED | GS_DIRTY);
        }
        return;
    }
    case INDEX_op_br:
        interp_sync_point(e);
        u[0] = BC_BR;
        interp_put(e, u, 3);
        interp_branch_to(e, tcg_arg_label(a[0]), start, start + 1);
        interp_unload(e, true);
        return;
    case INDEX_op_brcond: {
        interp_sync_point(e);
        TCGCond c = (TCGCond)a[2];
        TCGTemp *tb = &s->temps[a[1]];
        bool imm = interp_fits_imm(tb);
        if (!imm) {
            u[2] = interp_in_slot(e, a[1]);
        }
        u[1] = interp_in_slot(e, a[0]);
        bool acc = e->acc_slot == u[1];
        start = e->pos;
        if (interp_fuse_brtb(e, op, u, imm)) {
            return;
        }
        if (imm) {
            u[0] = (uint16_t)BC_BRANCH(c, is64, 1, acc);
            interp_set_imm32(u + 2, (uint32_t)tb->val);
            interp_put(e, u, 6);
            interp_branch_to(e, tcg_arg_label(a[3]), start, start + 4);
        } else {
            u[0] = (uint16_t)BC_BRANCH(c, is64, 0, acc);
            interp_put(e, u, 5);
            interp_branch_to(e, tcg_arg_label(a[3]), start, start + 3);
        }
        interp_op_done(e, op);
        return;
    }
    case INDEX_op_goto_tb: {
        interp_sync_point(e);
        if (e->tb_field[a[0]] >= 0) {
            /* Held by the branch before: no code, the exit path follows. */
            e->info->jump_used[a[0]] = true;
            e->info->jump[a[0]].insn_off = (uint32_t)(e->tb_field[a[0]] * 2);
            e->info->jump[a[0]].reset_off = (uint32_t)(e->pos * 2);
            e->tb_field[a[0]] = -1;
            return;
        }
        interp_put_goto_tb(e, u, 1, BC_GOTO_TB, (unsigned)a[0]);
        return;
    }
    case INDEX_op_exit_tb:
        interp_sync_point(e);
        u[0] = BC_EXIT_TB;
        interp_set_imm64(u + 1, a[0]);
        interp_put(e, u, 5);
        interp_unload(e, true);
        return;
    case INDEX_op_goto_ptr:
        interp_sync_point(e);
        u[0] = BC_GOTO_PTR;
        u[1] = interp_in_slot(e, a[0]);
        interp_put(e, u, 2);
        interp_op_done(e, op);
        interp_unload(e, true);
        return;
    case INDEX_op_mb:
        u[0] = BC_MB;
        interp_put(e, u, 1);
        return;
    case INDEX_op_call: {
        const TCGHelperInfo *info = (const void *)(uintptr_t)a[op->nb_oargs + op->nb_iargs];
        if (interp_fuse_lookup_goto(e, op)) {
            return;
        }
        bool sync = (info->flags & (TCG_CALL_MAY_RAISE)) ||
                    (info->flags & TCG_CALL_NO_GLOBALS) != TCG_CALL_NO_GLOBALS;
        if (sync) {
            interp_sync_point(e);
        }
        emit_call(e, op);
        if (!(info->flags & TCG_CALL_NO_WRITE_GLOBALS)) {
            interp_unload(e, false);
        }
        interp_op_done(e, op);
        return;
    }
    case INDEX_op_guest_ld:
    case INDEX_op_guest_st: {
        interp_sync_dirty(e);
        bool ld = op->opc == INDEX_op_guest_ld;
        u[2] = interp_in_slot(e, a[1]);
        u[1] = ld ? interp_out_slot(e, a[0]) : interp_in_slot(e, a[0]);
        u[0] = ld ? (is64 ? BC_GUEST_LD_64 : BC_GUEST_LD_32) : BC_GUEST_ST;
        u[3] = (uint16_t)a[2];
        const TCGGuestMemoryOps *m = s->mem_ops;
        if (!m) {
            fprintf(stderr, "mimic: translator bug: guest_ld/st without guest memory ops\n");
            abort();
        }
        unsigned n = 8;
        if (s->env_is_cpu) {
            int q = interp_bc_guest_tlb(TCG_MEMOP_IDX_MEMOP(a[2]), ld, is64);
            if (q >= 0) {
                u[0] = (uint16_t)q;
                u[4] = interp_tlb_unit(a[2]);
                n = 9;
            }
        }
        interp_set_imm64(u + n - 4, (uint64_t)(uintptr_t)(ld ? (void (*)(void))m->load
                                                             : (void (*)(void))m->store));
        if (ld) {
            interp_put_out(e, u, n);
        } else {
            interp_put(e, u, n);
        }
        interp_op_done(e, op);
        return;
    }
    case INDEX_op_mov: {
        TCGTemp *src = &s->temps[a[1]], *dst = &s->temps[a[0]];
        if (interp_resident(e, dst) && interp_fuse_mov_lookup(e, op)) {
            return;
        }
        if (dst->kind == TCG_TEMP_GLOBAL && !interp_resident(e, dst) && tcg_op_sync(op, 0) &&
            tcg_op_dead(op, 0) &&
            (src->kind != TCG_TEMP_CONST || interp_fits_imm(src))) {
            /* Written back and not read again: store the source, no copy. */
            if (src->kind == TCG_TEMP_CONST && !is64 && interp_fuse_goto_tbs(e, op)) {
                return;
            }
            int keep = e->acc_slot;
            if (src->kind == TCG_TEMP_CONST) {
                u[0] = is64 ? BC_STI64 : BC_STI32;
                u[1] = (uint16_t)(e->base + BC_ENV_SLOT);
                interp_set_imm32(u + 2, (uint32_t)dst->mem_offset);
                interp_set_imm32(u + 4, (uint32_t)src->val);
                interp_put(e, u, 6);
            } else {
                u[1] = interp_in_slot(e, a[1]);
                keep = e->acc_slot;
                bool acc = keep == u[1];
                u[0] = (uint16_t)(is64 ? (acc ? BC_STA64 : BC_ST64) : (acc ? BC_STA32 : BC_ST32));
                u[2] = (uint16_t)(e->base + BC_ENV_SLOT);
                interp_set_imm32(u + 3, (uint32_t)dst->mem_offset);
                interp_put(e, u, 5);
            }
            e->acc_slot = keep;
            dst->be_state &= ~(uint32_t)(GS_LOADED | GS_DIRTY);
            interp_inputs_done(e, op);
            interp_compact_loaded(e);
            return;
        }
        if (src->kind == TCG_TEMP_EBB && tcg_op_dead(op, 1) && src->be_slot > 0 &&
            ((dst->kind == TCG_TEMP_GLOBAL && !interp_resident(e, dst)) ||
             dst->kind == TCG_TEMP_EBB)) {
            /* The source dies here: its slot becomes the destination's (a
             * global's slot is only a cache of memory, reloaded after labels). */
            if (dst->be_slot > 0) {
                if (e->acc_slot == dst->be_slot) {
                    e->acc_slot = -1;
                }
                slot_free(e, dst);
            }
            dst->be_slot = src->be_slot;
            src->be_slot = -1;
            interp_op_done(e, op);
            return;
        }
        if (src->kind == TCG_TEMP_CONST) {
            u[1] = interp_out_slot(e, a[0]);
            if (is64) {
                u[0] = BC_MOVI64;
                interp_set_imm64(u + 2, src->val);
                interp_put_out(e, u, 6);
            } else {
                u[0] = BC_MOVI32;
                interp_set_imm32(u + 2, (uint32_t)src->val);
                interp_put_out(e, u, 4);
            }
        } else {
            u[2] = interp_in_slot(e, a[1]);
            u[1] = interp_out_slot(e, a[0]);
            u[0] = BC_MOV;
            interp_put_out(e, u, 3);
        }
        interp_op_done(e, op);
        return;
    }
    case INDEX_op_setcond:
    case INDEX_op_negsetcond: {
        unsigned base = interp_bc_binary_base((TCGOpcode)op->opc);
        TCGTemp *tb = &s->temps[a[2]];
        u[2] = interp_in_slot(e, a[1]);
        if (interp_fits_imm(tb)) {
            u[1] = interp_out_slot(e, a[0]);
            u[0] = (uint16_t)BC_FAMILY(base, is64, 1);
            u[3] = (uint16_t)a[3];
            interp_set_imm32(u + 4, (uint32_t)tb->val);
            interp_put_out(e, u, 6);
        } else {
            u[3] = interp_in_slot(e, a[2]);
            u[1] = interp_out_slot(e, a[0]);
            u[0] = (uint16_t)BC_FAMILY(base, is64, 0);
            u[4] = (uint16_t)a[3];
            interp_put_out(e, u, 5);
        }
        interp_op_done(e, op);
        return;
    }
    case INDEX_op_movcond:
        for (int i = 1; i <= 4; i++) {
            u[i + 1] = interp_in_slot(e, a[i]);
        }
        u[1] = interp_out_slot(e, a[0]);
        u[0] = is64 ? BC_MOVCOND_64 : BC_MOVCOND_32;
        u[6] = (uint16_t)a[5];
        interp_put_out(e, u, 7);
        interp_op_done(e, op);
        return;
    case INDEX_op_mulu2: case INDEX_op_muls2:
    case INDEX_op_add2: case INDEX_op_sub2: {
        int n = op->nb_iargs;
        for (int i = 0; i < n; i++) {
            u[3 + i] = interp_in_slot(e, a[2 + i]);
        }
        u[1] = interp_out_slot(e, a[0]);
        u[2] = interp_out_slot(e, a[1]);
        u[0] = (uint16_t)((op->opc == INDEX_op_mulu2 ? BC_MULU2_32 :
                           op->opc == INDEX_op_muls2 ? BC_MULS2_32 :
                           op->opc == INDEX_op_add2 ? BC_ADD2_32 : BC_SUB2_32) + is64);
        interp_put(e, u, 3 + n);
        interp_op_done(e, op);
        return;
    }
    case INDEX_op_deposit:
        u[2] = interp_in_slot(e, a[1]);
        u[3] = interp_in_slot(e, a[2]);
        u[1] = interp_out_slot(e, a[0]);
        u[0] = BC_DEPOSIT_32 + is64;
        u[4] = (uint16_t)a[3];
        u[5] = (uint16_t)a[4];
        interp_put_out(e, u, 6);
        interp_op_done(e, op);
        return;
    case INDEX_op_extract:
    case INDEX_op_sextract:
        if (op->opc == INDEX_op_sextract && interp_fuse_brsext(e, op)) {
            return;
        }
        u[2] = interp_in_slot(e, a[1]);
        u[1] = interp_out_slot(e, a[0]);
        u[0] = (uint16_t)((op->opc == INDEX_op_extract ? BC_EXTRACT_32 : BC_SEXTRACT_32) + is64);
        u[3] = (uint16_t)a[2];
        u[4] = (uint16_t)a[3];
        interp_put_out(e, u, 5);
        interp_op_done(e, op);
        return;
    case INDEX_op_concat_i32_i64:
        u[2] = interp_in_slot(e, a[1]);
        u[3] = interp_in_slot(e, a[2]);
        u[1] = interp_out_slot(e, a[0]);
        u[0] = BC_CONCAT;
        interp_put_out(e, u, 4);
        interp_op_done(e, op);
        return;
    default:
        break;
    }

    if (op->opc == INDEX_op_ld && !is64 && a[1] == TCG_TEMP_ENV && interp_fuse_env_test(e, op)) {
        return;
    }
    if ((bc = bc_load((TCGOpcode)op->opc, is64)) >= 0) {
        bool store = op->nb_oargs == 0;
        u[2] = interp_in_slot(e, a[1]);
        u[1] = store ? interp_in_slot(e, a[0]) : interp_out_slot(e, a[0]);
        u[0] = (uint16_t)bc;
        interp_set_imm32(u + 3, (uint32_t)a[2]);
        if (store) {
            interp_put(e, u, 5);
        } else {
            interp_put_out(e, u, 5);
        }
        interp_op_done(e, op);
        return;
    }
    if ((bc = interp_bc_unary((TCGOpcode)op->opc, is64)) >= 0) {
        if (interp_fuse_ext(e, op)) {
            return;
        }
        e->allow_low32 = interp_low32_ext(op);
        u[2] = interp_in_slot(e, a[1]);
        e->allow_low32 = false;
        u[1] = interp_out_slot(e, a[0]);
        u[0] = (uint16_t)bc;
        interp_put_out(e, u, 3);
        interp_op_done(e, op);
        return;
    }
    unsigned base = interp_bc_binary_base((TCGOpcode)op->opc);
    if (!base) {
        e->too_big = true;   /* unknown op: cannot happen with ops.def in sync */
        return;
    }
    if (interp_fuse_binary(e, op, base)) {
        return;
    }
    bool and32 = interp_low32_and(e, op);
    interp_emit_binary(e, op, base, is64 && !and32, op, and32);
}

static ptrdiff_t interp_gen_code(TCGContext *s, void *buf, size_t size, ptrdiff_t rx_diff,
                                 TCGCodeInfo *info)
{
    static __thread Emitter em;   /* large; one translation at a time per thread */
    Emitter *e = &em;
    e->rx_diff = rx_diff;
    e->n_insns = 0;
    e->acc_slot = -1;
    e->s = s;
    e->info = info;
    e->buf = buf;
    e->cap = size / 2;
    e->pos = 0;
    e->full = e->too_big = false;
    e->in_env = s->env_is_cpu;
    e->base = e->in_env ? (unsigned)(offsetof(CPUState, interp_frame) / 8) : 0;
    e->limit = e->base + (e->in_env ? TCG_ENV_FRAME_SLOTS : TCG_INTERP_MAX_SLOTS);
    e->nslots = e->base + BC_FIXED_SLOTS;   /* env, 0, 1 */
    e->nfree = 0;
    e->nloaded = 0;
    for (int t = 0; t < s->nb_temps; t++) {
        s->temps[t].be_slot = t == TCG_TEMP_ENV ? (int32_t)e->base : -1;
        s->temps[t].be_state = 0;
        s->temps[t].be_aux = 0;
    }
    e->allow_low32 = false;
    e->nconsumed = 0;
    for (int i = 0; i < TCG_MAX_GOTO_TB; i++) {
        e->tb_field[i] = -1;
    }
    e->cur = NULL;
    if (e->in_env) {
        uint16_t u[BC_FRAME_LEN] = { BC_FRAME, (uint16_t)e->base };
        interp_put(e, u, BC_FRAME_LEN);
    }
    e->nfolded = 0;
    for (TCGOp *op = s->first_op; op && !e->full && !e->too_big; op = op->next) {
        if (e->nconsumed && take_consumed(e, op)) {
            continue;
        }
        if (e->nfolded && take_folded(e, op)) {
            interp_op_done(e, op);
            continue;
        }
        interp_emit_op(e, op);
    }
    if (e->too_big) {
        return TCG_GEN_TOO_BIG;
    }
    if (e->full) {
        return TCG_GEN_BUFFER_FULL;
    }
    info->code_size = e->pos * 2;
    info->insn_off[info->n_insns] = (uint32_t)info->code_size;
    return (ptrdiff_t)info->code_size;
}

static void interp_patch_goto_tb(void *code_rw, uintptr_t code_rx, const TCGJumpSite *site,
                                 uintptr_t target_rx)
{
    (void)code_rx;
    uint64_t *field = (uint64_t *)((char *)code_rw + site->insn_off);
    if (target_rx && *(const uint16_t *)target_rx == BC_FRAME) {
        target_rx += BC_FRAME_LEN * sizeof(uint16_t);   /* same frame: only entries set it */
        if (bc_is_entry_check((const uint16_t *)target_rx)) {
            target_rx += BC_ENTRY_CHECK_LEN * sizeof(uint16_t);
            target_rx |= BC_CHAIN_CHECKED;
        }
    }
    __atomic_store_n(field, (uint64_t)target_rx, __ATOMIC_RELEASE);
}

const TCGBackend tcg_interp_backend = {
    .name = "interp",
    .gen_code = interp_gen_code,
    .enter = tcg_interp_enter,
    .patch_goto_tb = interp_patch_goto_tb,
    .disas = tcg_interp_disas,
};
