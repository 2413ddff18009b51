/*
 * Interpreter backend, code generation: one forward pass turning optimized,
 * liveness-annotated IR into bytecode (tcg/interp/bytecode.h). Temps get
 * register-array slots (EBB slots are reused once dead); globals are loaded
 * into their slot at first use and written back where liveness says so,
 * exactly as a native register allocator would treat host registers. With a
 * CPUState env the array lives in env and 8-byte globals are used in place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../backend.h"
#include "../cpu.h"
#include "../exec.h"
#include "../helper.h"
#include "../tlb.h"
#include "bytecode.h"

enum { GS_LOADED = 1, GS_DIRTY = 2 };   /* TCGTemp.be_state for globals and constants */
/* TCGTemp.be_aux: an EBB temp t = ext32u(x) whose slot is x's own (full
 * 64-bit value): every reader uses only the low 32 bits (fuse_low32). */
#define TA_LOW32 1u
#define RETARGET_MAX 8      /* pending retargeted movs */
#define RETARGET_WINDOW 24  /* ops scanned ahead for one */
#define CONSUMED_MAX 8      /* ops a superinstruction may take after its first */

typedef struct Emitter {
    TCGContext *s;
    TCGCodeInfo *info;
    uint16_t *buf;
    size_t cap, pos;          /* in units */
    bool full, too_big;
    unsigned nslots;
    unsigned nfree;
    uint16_t free_slots[TCG_INTERP_MAX_SLOTS];
    unsigned n_insns;
    ptrdiff_t rx_diff;
    int acc_slot;             /* slot whose value the interpreter's accumulator holds, or -1 */
    unsigned nloaded;         /* globals and constants currently in their slot */
    int32_t loaded[TCG_MAX_TEMPS];
    /* ops already emitted fused into an earlier one (skipped when reached) */
    const TCGOp *consumed[CONSUMED_MAX];
    unsigned nconsumed;
    /* movs into resident globals whose value an earlier op wrote directly:
     * not emitted, only their bookkeeping (op_done) runs in place. */
    const TCGOp *folded[RETARGET_MAX];
    unsigned nfolded;
    const TCGOp *cur;         /* the op being emitted */
    bool allow_low32;         /* the op being emitted may read LOW32 aliases in place */
    /* goto_tb slots whose field a block-end branch (BRTB/CMPTB) already holds:
     * unit offset of that field, or -1 */
    int32_t tb_field[TCG_MAX_GOTO_TB];
    bool in_env;              /* registers in env (bytecode.h "Register array placement") */
    unsigned base;            /* slot of the array's first register (env, then 0) */
    unsigned limit;           /* one past the last slot the array may use */
} Emitter;

static void put(Emitter *e, const uint16_t *u, unsigned n)
{
    e->acc_slot = -1;
    if (e->pos + n > e->cap) {
        e->full = true;
        return;
    }
    memcpy(e->buf + e->pos, u, n * sizeof(uint16_t));
    e->pos += n;
}

/* An instruction that writes slot u[1] and leaves the value in the accumulator. */
static void put_out(Emitter *e, const uint16_t *u, unsigned n)
{
    put(e, u, n);
    e->acc_slot = u[1];
}

static void set_imm32(uint16_t *u, uint32_t v) { memcpy(u, &v, 4); }
static void set_imm64(uint16_t *u, uint64_t v) { memcpy(u, &v, 8); }

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

/* An 8-byte global the interpreter reads and writes in place in env. */
static bool resident(const Emitter *e, const TCGTemp *ts)
{
    return e->in_env && ts->kind == TCG_TEMP_GLOBAL && ts->type == TCG_TYPE_I64 &&
           ts->mem_offset >= 0 && ts->mem_offset % 8 == 0 && ts->mem_offset / 8 < 65536;
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
static void compact_loaded(Emitter *e)
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
        compact_loaded(e);
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
    set_imm32(u + 3, (uint32_t)ts->mem_offset);
    put(e, u, 5);
    e->acc_slot = keep;   /* a store leaves the accumulator alone */
    ts->be_state &= ~(uint32_t)GS_DIRTY;
}

/* Before a guest access: the slow path may fault, so memory must hold every
 * global (liveness keeps them live, not synced, for native backends). */
static void sync_dirty(Emitter *e)
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
static void sync_point(Emitter *e)
{
    for (unsigned i = 0; i < e->nloaded; i++) {
        TCGTemp *ts = &e->s->temps[e->loaded[i]];
        if (ts->be_state & GS_DIRTY) {
            e->s->stats.sync_misses++;
            emit_global_store(e, ts);
        }
    }
}

static void unload(Emitter *e, bool consts_too)
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

static bool fits_imm(TCGTemp *ts)
{
    return ts->kind == TCG_TEMP_CONST &&
           (ts->type == TCG_TYPE_I32 || (int64_t)ts->val == (int32_t)ts->val);
}

/* Slot holding input a's value, loading a global or materializing a constant. */
static uint16_t in_slot(Emitter *e, TCGArg a)
{
    TCGTemp *ts = &e->s->temps[a];
    if ((ts->be_aux & TA_LOW32) && !e->allow_low32) {
        /* Not a reader fuse_low32 planned for (cannot happen): make it real. */
        uint16_t u[3] = { BC_EXT32U, (uint16_t)slot_alloc(e), (uint16_t)ts->be_slot };
        put_out(e, u, 3);
        slot_free(e, ts);
        ts->be_slot = u[1];
    }
    switch (ts->kind) {
    case TCG_TEMP_FIXED:
        return (uint16_t)(e->base + BC_ENV_SLOT);
    case TCG_TEMP_GLOBAL:
        if (resident(e, ts)) {
            return (uint16_t)(ts->mem_offset / 8);
        }
        if (!(ts->be_state & GS_LOADED)) {
            uint16_t u[5] = { ts->type == TCG_TYPE_I32 ? BC_LD32U : BC_LD64,
                              (uint16_t)temp_slot(e, ts), (uint16_t)(e->base + BC_ENV_SLOT) };
            set_imm32(u + 3, (uint32_t)ts->mem_offset);
            put_out(e, u, 5);
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
                set_imm32(u + 2, (uint32_t)ts->val);
                put_out(e, u, 4);
            } else {
                u[0] = BC_MOVI64;
                set_imm64(u + 2, ts->val);
                put_out(e, u, 6);
            }
            mark_loaded(e, ts);
        }
        return (uint16_t)ts->be_slot;
    default:
        return (uint16_t)temp_slot(e, ts);
    }
}

/* The slot holding t's value now if that needs no code, else -1. */
static int cur_slot(const Emitter *e, TCGArg t)
{
    const TCGTemp *ts = &e->s->temps[t];
    if (ts->kind == TCG_TEMP_FIXED) {
        return (int)(e->base + BC_ENV_SLOT);
    }
    if (resident(e, ts)) {
        return (int)(ts->mem_offset / 8);
    }
    if (ts->kind == TCG_TEMP_EBB || ts->kind == TCG_TEMP_TB) {
        return ts->be_slot;
    }
    return -1;
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
    if (!mv || !tcg_op_dead(mv, 1) || !resident(e, &e->s->temps[mv->args[0]])) {
        return NULL;
    }
    int gslot = e->s->temps[mv->args[0]].mem_offset / 8;
    for (const TCGOp *o = e->cur->next; o != mv; o = o->next) {
        if (op_uses(o, mv->args[0])) {
            return NULL;
        }
        /* a temp reading the global's slot in place (a LOW32 alias) */
        for (int i = o->nb_oargs; i < o->nb_oargs + o->nb_iargs; i++) {
            if (cur_slot(e, o->args[i]) == gslot) {
                return NULL;
            }
        }
    }
    return mv;
}

static uint16_t out_slot(Emitter *e, TCGArg a)
{
    TCGTemp *ts = &e->s->temps[a];
    if (resident(e, ts)) {
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

static void consume(Emitter *e, const TCGOp *op)
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
static bool inputs_done(Emitter *e, const TCGOp *op)
{
    bool unloaded = false;
    for (int i = op->nb_oargs; i < op->nb_oargs + op->nb_iargs; i++) {
        TCGTemp *ts = &e->s->temps[op->args[i]];
        if (!tcg_op_dead(op, i) || is_output(op, op->args[i])) {
            continue;
        }
        if (ts->kind == TCG_TEMP_EBB) {
            slot_free(e, ts);
        } else if (ts->kind == TCG_TEMP_GLOBAL && !resident(e, ts)) {
            /* Not read again before it is redefined; memory holds what must survive. */
            ts->be_state &= ~(uint32_t)(GS_LOADED | GS_DIRTY);
            unloaded = true;
        }
    }
    return unloaded;
}

/* After an op: free what died, record written globals and write back the synced ones. */
static void op_done(Emitter *e, const TCGOp *op)
{
    bool unloaded = inputs_done(e, op);
    for (int i = 0; i < op->nb_oargs; i++) {
        TCGTemp *ts = &e->s->temps[op->args[i]];
        if (resident(e, ts)) {
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
        compact_loaded(e);
    }
}

static void branch_to(Emitter *e, TCGLabel *l, size_t op_start, size_t field)
{
    if (l->has_value) {
        if (field + 2 <= e->cap) {
            set_imm32(e->buf + field, (uint32_t)((int32_t)l->value - (int32_t)op_start));
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
            set_imm32(e->buf + r->offset, (uint32_t)((int32_t)l->value - (int32_t)r->kind));
        }
    }
    l->relocs = NULL;
}

static unsigned bc_binary_base(TCGOpcode opc)
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

static int bc_unary(TCGOpcode opc, bool is64)
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

/* The unit of a Q* access that locates its mmu index's TCGTLBFast in env. */
static uint16_t tlb_unit(TCGArg oi)
{
    return (uint16_t)(TCG_ENV_TLB_OFFSET + TCG_MEMOP_IDX_MMU(oi) * sizeof(TCGTLBFast));
}

/* The TLB-inlining form of a guest access, or -1 for the plain call
 * (big-endian and MO_ALIGN accesses always take the call). */
static int bc_guest_tlb(TCGMemOp mo, bool ld, bool is64)
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
        u[n++] = in_slot(e, op->args[op->nb_oargs + i]);
    }
    u[2] = op->nb_oargs ? out_slot(e, op->args[0]) : 0;
    set_imm64(u + n, (uint64_t)(uintptr_t)info->func);
    put(e, u, n + 4);
    if (op->nb_oargs) {
        e->acc_slot = u[2];
    }
}

/* ld_i32 t, env, off; brcond_i32 t, 0, ne/eq, L with t dying there (every
 * block's exit-request check): one instruction. */
static bool fuse_env_test(Emitter *e, TCGOp *op)
{
    TCGContext *s = e->s;
    TCGOp *br = op->next;
    if (!br || br->opc != INDEX_op_brcond || br->type != TCG_TYPE_I32 ||
        br->args[0] != op->args[0] || !tcg_op_dead(br, 0) ||
        s->temps[op->args[0]].kind != TCG_TEMP_EBB ||
        s->temps[br->args[1]].kind != TCG_TEMP_CONST || s->temps[br->args[1]].val != 0 ||
        (br->args[2] != TCG_COND_NE && br->args[2] != TCG_COND_EQ) ||
        (int64_t)op->args[2] != (int32_t)op->args[2]) {
        return false;
    }
    sync_point(e);
    uint16_t u[5];
    size_t start = e->pos;
    u[0] = br->args[2] == TCG_COND_NE ? BC_BRENVNZ32 : BC_BRENVZ32;
    set_imm32(u + 1, (uint32_t)op->args[2]);
    put(e, u, 5);
    branch_to(e, tcg_arg_label(br->args[3]), start, start + 3);
    op_done(e, op);
    op_done(e, br);
    consume(e, br);
    return true;
}

/* shl t, a, $s; add d, t, $c with t dying there (scaled-index addressing):
 * one LEA_64. */
static bool fuse_lea(Emitter *e, TCGOp *op)
{
    TCGContext *s = e->s;
    TCGOp *add = op->next;
    TCGTemp *sh = &s->temps[op->args[2]];
    if (!add || add->opc != INDEX_op_add || add->type != TCG_TYPE_I64 ||
        add->args[1] != op->args[0] || !tcg_op_dead(add, 1) || add->args[2] == op->args[0] ||
        s->temps[op->args[0]].kind != TCG_TEMP_EBB || sh->kind != TCG_TEMP_CONST ||
        sh->val > 63 || !fits_imm(&s->temps[add->args[2]])) {
        return false;
    }
    uint16_t u[6];
    u[2] = in_slot(e, op->args[1]);
    op_done(e, op);
    e->cur = add;
    u[1] = out_slot(e, add->args[0]);
    u[0] = BC_LEA_64;
    u[3] = (uint16_t)sh->val;
    set_imm32(u + 4, (uint32_t)s->temps[add->args[2]].val);
    put_out(e, u, 6);
    op_done(e, add);
    consume(e, add);
    return true;
}

/* The next op that emits code: insn_start markers and movs already folded
 * into an earlier op are passed over. */
static TCGOp *next_code_op(const Emitter *e, TCGOp *op)
{
    for (op = op->next; op; op = op->next) {
        bool folded = false;
        for (unsigned i = 0; i < e->nfolded; i++) {
            folded |= e->folded[i] == op;
        }
        if (op->opc != INDEX_op_insn_start && !folded) {
            return op;
        }
    }
    return NULL;
}

/*
 * A block end "brcond ..., L; goto_tb m; <exit>; set_label L; goto_tb n"
 * with L used by this branch only: the branch can carry both goto_tb fields
 * and leave through them itself. Gives m and n.
 */
static bool brtb_match(const Emitter *e, TCGOp *br, unsigned *m, unsigned *n)
{
    TCGOp *g = next_code_op(e, br);
    TCGLabel *l = tcg_arg_label(br->args[3]);
    if (!g || g->opc != INDEX_op_goto_tb || l->refs != 1 || e->tb_field[g->args[0]] >= 0) {
        return false;
    }
    TCGOp *o = g->next;
    for (int i = 0; o && i < 16; i++, o = o->next) {
        if (o->opc == INDEX_op_set_label) {
            if (tcg_arg_label(o->args[0]) != l) {
                continue;
            }
            TCGOp *h = o->next;
            while (h && h->opc == INDEX_op_insn_start) {
                h = h->next;
            }
            if (!h || h->opc != INDEX_op_goto_tb || h->args[0] == g->args[0] ||
                e->tb_field[h->args[0]] >= 0) {
                return false;
            }
            *m = (unsigned)g->args[0];
            *n = (unsigned)h->args[0];
            return true;
        }
        if (o->opc == INDEX_op_br || o->opc == INDEX_op_brcond || o->opc == INDEX_op_goto_tb) {
            return false;
        }
    }
    return false;
}

/* Put a BRTB/CMPTB whose first `head` units are in u: padding, the taken
 * (slot n) and fall-through (slot m) fields, and the taken exit's offset
 * (at unit `exit_at`) relocated to label l. */
static void put_brtb(Emitter *e, uint16_t *u, unsigned head, unsigned exit_at, TCGLabel *l,
                     unsigned m, unsigned n)
{
    size_t start = e->pos;
    unsigned len = head;
    while (((uintptr_t)(e->buf + start + len) + (uintptr_t)e->rx_diff) % 8) {
        u[len++] = 0;
    }
    memset(u + len, 0, 16);
    e->tb_field[n] = (int32_t)(start + len);
    e->tb_field[m] = (int32_t)(start + len + 4);
    put(e, u, len + 8);
    branch_to(e, l, start, start + exit_at);
}

/* The inline-TLB guest access g if its address is u, dying there (and not
 * also the stored value): its Q* bytecode, else -1. */
static int guest_addr_user(const Emitter *e, const TCGOp *g, TCGArg u)
{
    if (!g || (g->opc != INDEX_op_guest_ld && g->opc != INDEX_op_guest_st) || !e->s->env_is_cpu ||
        g->args[1] != u || !tcg_op_dead(g, 1) || g->args[0] == u ||
        e->s->temps[u].kind != TCG_TEMP_EBB) {
        return -1;
    }
    return bc_guest_tlb(TCG_MEMOP_IDX_MEMOP(g->args[2]), g->opc == INDEX_op_guest_ld,
                        g->type == TCG_TYPE_I64);
}

/* A fused address: R(base) + (R(index) << sh) + disp, absent terms 0. */
typedef struct AddrTerms {
    TCGArg base, index;
    bool has_base, has_index;
    unsigned sh;
    int64_t disp;
} AddrTerms;

/* One more term: the displacement (a constant, once), else the base, else
 * the index at scale 1. */
static bool addr_absorb(const Emitter *e, AddrTerms *at, TCGArg x)
{
    const TCGTemp *ts = &e->s->temps[x];
    if (fits_imm((TCGTemp *)ts) && at->disp == 0) {
        at->disp = (int64_t)ts->val;
    } else if (!at->has_base) {
        at->base = x;
        at->has_base = true;
    } else if (!at->has_index) {
        at->index = x;
        at->has_index = true;
    } else {
        return false;
    }
    return true;
}

/*
 * Address arithmetic feeding a guest access, every intermediate dying as it
 * goes: "[shl t, i, $sh;] add u, x, y; [add v, u, z;] guest_ld/st [v]" (x86
 * base + index * scale + displacement) becomes one QLDX/QSTX.
 */
static bool fuse_guest_addr(Emitter *e, TCGOp *op)
{
    TCGContext *s = e->s;
    AddrTerms at = { 0 };
    TCGOp *ops[3];
    unsigned n = 0;
    if (op->type != TCG_TYPE_I64) {
        return false;
    }
    if (op->opc == INDEX_op_shl) {
        TCGTemp *c = &s->temps[op->args[2]];
        if (c->kind != TCG_TEMP_CONST || c->val > 63) {
            return false;
        }
        at.index = op->args[1];
        at.has_index = true;
        at.sh = (unsigned)c->val;
    } else if (op->opc != INDEX_op_add || !addr_absorb(e, &at, op->args[1]) ||
               !addr_absorb(e, &at, op->args[2])) {
        return false;
    }
    ops[n++] = op;
    /* Then up to two "add v, cur, y" on the partial sum, dying as it goes. */
    TCGOp *g = op->next;
    while (g && g->opc == INDEX_op_add && n < 3) {
        TCGArg cur = ops[n - 1]->args[0];
        if (g->type != TCG_TYPE_I64 || s->temps[cur].kind != TCG_TEMP_EBB ||
            g->args[1] == g->args[2] || (g->args[1] != cur && g->args[2] != cur) ||
            !tcg_op_dead(g, g->args[1] == cur ? 1 : 2) ||
            !addr_absorb(e, &at, g->args[1] == cur ? g->args[2] : g->args[1])) {
            return false;
        }
        ops[n++] = g;
        g = g->next;
    }
    if (n == 1 && op->opc == INDEX_op_shl) {
        return false;   /* a lone scaled index: LEA or plain shl */
    }
    TCGOp *last = ops[n - 1];
    int q = guest_addr_user(e, g, last->args[0]);
    if (q < 0) {
        return false;
    }
    bool ld = g->opc == INDEX_op_guest_ld;
    sync_dirty(e);
    uint16_t u[13];
    u[2] = at.has_base ? in_slot(e, at.base) : (uint16_t)(e->base + BC_ZERO_SLOT);
    u[3] = at.has_index ? in_slot(e, at.index) : (uint16_t)(e->base + BC_ZERO_SLOT);
    u[4] = (uint16_t)at.sh;
    set_imm32(u + 5, (uint32_t)at.disp);
    u[7] = (uint16_t)g->args[2];
    u[8] = tlb_unit(g->args[2]);
    set_imm64(u + 9, (uint64_t)(uintptr_t)(ld ? (void (*)(void))s->mem_ops->load
                                              : (void (*)(void))s->mem_ops->store));
    if (!ld) {
        u[1] = in_slot(e, g->args[0]);
    }
    for (unsigned i = 0; i < n; i++) {
        op_done(e, ops[i]);
        if (i) {
            consume(e, ops[i]);
        }
    }
    e->cur = g;
    if (ld) {
        u[1] = out_slot(e, g->args[0]);
    }
    u[0] = (uint16_t)(q - (ld ? BC_QLD_UB : BC_QST_8) + (ld ? BC_QLDX_UB : BC_QSTX_8));
    if (ld) {
        put_out(e, u, 13);
    } else {
        put(e, u, 13);
    }
    op_done(e, g);
    consume(e, g);
    return true;
}

/* mov_i32 g, $k that the mov case would emit as STI32 (a non-resident
 * global written back and dead). */
static bool is_sti32(const Emitter *e, const TCGOp *op)
{
    if (op->opc != INDEX_op_mov || op->type != TCG_TYPE_I32) {
        return false;
    }
    const TCGTemp *dst = &e->s->temps[op->args[0]], *src = &e->s->temps[op->args[1]];
    return dst->kind == TCG_TEMP_GLOBAL &&
           !resident(e, dst) && tcg_op_sync(op, 0) && tcg_op_dead(op, 0) &&
           src->kind == TCG_TEMP_CONST;
}

/* Width of a 64-bit sign/zero extension op, or 0. */
static unsigned ext_width(const TCGOp *op)
{
    if (op->type != TCG_TYPE_I64) {
        return 0;
    }
    switch (op->opc) {
    case INDEX_op_ext8u: case INDEX_op_ext8s: return 8;
    case INDEX_op_ext16u: case INDEX_op_ext16s: return 16;
    case INDEX_op_ext32u: case INDEX_op_ext32s: return 32;
    default: return 0;
    }
}

static void emit_op(Emitter *e, TCGOp *op);

/* A unary extension that can be emitted ahead of the ops before it: writes
 * a fresh temp, none of `avoid`, and reads not `avoid[n - 1]` (the result
 * of the ops it overtakes). */
static bool hoistable(const Emitter *e, const TCGOp *o, const TCGArg *avoid, int n)
{
    switch (o->opc) {
    case INDEX_op_ext8u: case INDEX_op_ext8s: case INDEX_op_ext16u: case INDEX_op_ext16s:
    case INDEX_op_ext32u: case INDEX_op_ext32s:
        break;
    default:
        return false;
    }
    const TCGTemp *out = &e->s->temps[o->args[0]];
    if ((out->kind != TCG_TEMP_EBB && out->kind != TCG_TEMP_TB) || out->be_slot >= 0) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        if (o->args[0] == avoid[i]) {
            return false;
        }
    }
    return o->args[1] != avoid[n - 1];
}

/* The slot a fused block-end branch reads x from after its writes, with no
 * code: a register, a temp's slot, the fixed 0/1 slots, or s holding the
 * sub's immediate b. -1 if none. */
static int branch_slot(const Emitter *e, TCGArg x, bool imm, TCGArg b, int ss)
{
    const TCGTemp *ts = &e->s->temps[x];
    if (ts->kind == TCG_TEMP_CONST) {
        return ts->val == 0 ? (int)(e->base + BC_ZERO_SLOT) :
               ts->val == 1 ? (int)(e->base + BC_ONE_SLOT) : imm && x == b ? ss : -1;
    }
    return (ts->be_aux & TA_LOW32) ? -1 : cur_slot(e, x);
}

/*
 * x86 SUB/CMP flags: "sub d, a, b; [ext32u d, d;] mov s, b" with s a
 * resident global (cc_src), optionally "mov g, d" (d into cc_dst) and
 * "mov_i32 cc_op, $k" after: one SUBMOV[ST][I] (w = 32: d truncated). With
 * the block's conditional exit next, on any x, y readable in place, the
 * whole block end is one CMPTB, which reads x and y after its writes, as the
 * brcond would. Up to two extensions in between (the branch's operands) are
 * emitted first.
 */
static bool fuse_submov(Emitter *e, TCGOp *op)
{
    TCGContext *s = e->s;
    TCGArg d = op->args[0], a = op->args[1], b = op->args[2];
    TCGOp *mv = next_code_op(e, op), *ext = NULL, *hoist[2];
    unsigned w = 0, nh = 0;
    if (op->type != TCG_TYPE_I64) {
        return false;
    }
    if (mv && mv->opc == INDEX_op_ext32u && mv->type == TCG_TYPE_I64 && mv->args[0] == d &&
        mv->args[1] == d) {
        ext = mv;
        w = 32;
        mv = next_code_op(e, mv);
    }
    const TCGArg avoid[3] = { a, b, d };
    while (mv && nh < 2 && hoistable(e, mv, avoid, 3) &&
           (nh == 0 || mv->args[1] != hoist[0]->args[0])) {   /* independent of each other */
        hoist[nh++] = mv;
        mv = next_code_op(e, mv);
    }
    if (!mv || mv->opc != INDEX_op_mov || mv->args[1] != b || d == b || mv->args[0] == d ||
        !resident(e, &s->temps[mv->args[0]])) {
        return false;
    }
    TCGTemp *tb = &s->temps[b];
    bool imm = fits_imm(tb);
    if (tb->kind == TCG_TEMP_CONST && !imm) {
        return false;
    }
    /* "mov g, d" right after (d dying): d straight into g, as find_retarget
     * would if the mov in between did not read g (the fused op reads first). */
    TCGOp *mg = next_code_op(e, mv);
    TCGTemp *td = &s->temps[d];
    if (mg && mg->opc == INDEX_op_mov && mg->args[1] == d && tcg_op_dead(mg, 1) &&
        td->kind == TCG_TEMP_EBB && td->be_slot < 0 && e->nfolded < RETARGET_MAX &&
        resident(e, &s->temps[mg->args[0]]) && mg->args[0] != mv->args[0]) {
        td->be_slot = s->temps[mg->args[0]].mem_offset / 8;
        e->folded[e->nfolded++] = mg;
    }
    int ss = s->temps[mv->args[0]].mem_offset / 8;
    TCGOp *st = next_code_op(e, mv);
    bool with_st = st && is_sti32(e, st);
    /* Then the block's conditional exit: CMPTB, the whole block end in one. */
    TCGOp *br = with_st ? next_code_op(e, st) : NULL;
    unsigned m = 0, nn = 0;
    if (br && (br->opc != INDEX_op_brcond || br->type != TCG_TYPE_I64 ||
               br->args[2] < TCG_COND_EQ || br->args[2] > TCG_COND_GTU ||
               !brtb_match(e, br, &m, &nn))) {
        br = NULL;
    }
    /* A hoisted zero-extension only the branch reads, as x: CMPTB masks x
     * itself instead (x86's 32-bit cmp + jcc). */
    TCGOp *xext = NULL;
    for (unsigned i = 0; br && i < nh; i++) {
        unsigned xw = ext_width(hoist[i]);
        if ((hoist[i]->opc == INDEX_op_ext8u || hoist[i]->opc == INDEX_op_ext16u ||
             hoist[i]->opc == INDEX_op_ext32u) && xw && hoist[i]->args[0] == br->args[0] &&
            br->args[1] != br->args[0] && tcg_op_dead(br, 0) &&
            cur_slot(e, hoist[i]->args[1]) >= 0 &&
            !(s->temps[hoist[i]->args[1]].be_aux & TA_LOW32)) {
            xext = hoist[i];
        }
    }
    for (unsigned i = 0; i < nh; i++) {   /* ahead: they read none of ours */
        if (hoist[i] != xext) {
            emit_op(e, hoist[i]);
            consume(e, hoist[i]);
        }
    }
    e->cur = ext ? ext : op;
    uint16_t u[32];
    uint16_t sb = imm ? 0 : in_slot(e, b);
    uint16_t sa = in_slot(e, a);
    u[1] = out_slot(e, d);   /* may be a later "mov g, d"'s g, folded */
    u[2] = sa;
    unsigned n;
    if (imm) {
        u[3] = (uint16_t)ss;
        u[4] = (uint16_t)w;
        set_imm32(u + 5, (uint32_t)tb->val);
        n = 7;
    } else {
        u[3] = sb;
        u[4] = (uint16_t)ss;
        u[5] = (uint16_t)w;
        n = 6;
    }
    if (with_st) {
        set_imm32(u + n, (uint32_t)s->temps[st->args[0]].mem_offset);
        set_imm32(u + n + 2, (uint32_t)s->temps[st->args[1]].val);
        n += 4;
    }
    int sx = -1, sy = -1, xm = 0;
    if (br) {
        if (xext) {
            /* its source read after our writes: must not be one of them */
            sx = cur_slot(e, xext->args[1]);
            xm = 64 - (int)ext_width(xext);
            if (sx == u[1] || sx == ss) {
                sx = -1;
            }
        } else {
            sx = branch_slot(e, br->args[0], imm, b, ss);
        }
        sy = branch_slot(e, br->args[1], imm, b, ss);
    }
    if (xext && (sx < 0 || sy < 0)) {
        emit_op(e, xext);   /* not folded after all: still ahead of us */
        consume(e, xext);
        xext = NULL;
        sx = branch_slot(e, br->args[0], imm, b, ss);
        xm = 0;
    }
    if (br && sx >= 0 && sy >= 0) {
        sync_point(e);
        u[0] = (uint16_t)BC_CMPTB((TCGCond)br->args[2], imm);
        u[n++] = (uint16_t)sx;
        u[n++] = (uint16_t)sy;
        u[n++] = (uint16_t)xm;
    } else {
        u[0] = (uint16_t)(imm ? (with_st ? BC_SUBMOVSTI_64 : BC_SUBMOVI_64)
                              : (with_st ? BC_SUBMOVST_64 : BC_SUBMOV_64));
        br = NULL;
    }
    if (xext) {
        op_done(e, xext);
        consume(e, xext);
    }
    op_done(e, op);
    if (ext) {
        op_done(e, ext);
        consume(e, ext);
    }
    op_done(e, mv);
    consume(e, mv);
    if (with_st) {
        TCGTemp *g = &s->temps[st->args[0]];
        g->be_state &= ~(uint32_t)(GS_LOADED | GS_DIRTY);
        inputs_done(e, st);
        compact_loaded(e);
        consume(e, st);
    }
    if (br) {
        op_done(e, br);
        consume(e, br);
        put_brtb(e, u, n + 2, n, tcg_arg_label(br->args[3]), m, nn);
    } else {
        put_out(e, u, n);
    }
    return true;
}

/* Extensions whose result depends on the low 32 bits of their input only. */
static bool low32_ext(const TCGOp *op)
{
    switch (op->opc) {
    case INDEX_op_ext8s: case INDEX_op_ext8u: case INDEX_op_ext16s: case INDEX_op_ext16u:
    case INDEX_op_ext32s: case INDEX_op_ext32u:
        return op->type == TCG_TYPE_I64;
    case INDEX_op_extrl_i64_i32:
        return true;
    default:
        return false;
    }
}

/* and_i64 with a constant below 2^32: x & c = ext32u(x) & c, the 32-bit form. */
static bool low32_and(const Emitter *e, const TCGOp *op)
{
    if (op->opc != INDEX_op_and || op->type != TCG_TYPE_I64) {
        return false;
    }
    const TCGTemp *c = &e->s->temps[op->args[2]];
    return c->kind == TCG_TEMP_CONST && (c->val >> 32) == 0;
}

/* A 64-bit op whose low 32 result bits depend on the low 32 input bits only,
 * with its result going straight into "ext32u d, t" (t dying there, or
 * d = t): that ext32u, to emit the op's 32-bit form into d. */
static TCGOp *op32_ext(const Emitter *e, TCGOp *op)
{
    const TCGContext *s = e->s;
    if (op->type != TCG_TYPE_I64) {
        return NULL;
    }
    switch (op->opc) {
    case INDEX_op_add: case INDEX_op_sub: case INDEX_op_mul: case INDEX_op_and:
    case INDEX_op_or: case INDEX_op_xor: case INDEX_op_andc: case INDEX_op_orc:
        break;
    case INDEX_op_shl:
        if (s->temps[op->args[2]].kind == TCG_TEMP_CONST && s->temps[op->args[2]].val < 32) {
            break;
        }
        return NULL;
    default:
        return NULL;
    }
    TCGArg t = op->args[0];
    if (s->temps[t].kind != TCG_TEMP_EBB) {
        return NULL;
    }
    TCGOp *x = next_code_op(e, op);
    if (!x || x->opc != INDEX_op_ext32u || x->type != TCG_TYPE_I64 || x->args[1] != t ||
        (x->args[0] != t && !tcg_op_dead(x, 1))) {
        return NULL;   /* (in place, "ext32u t, t", t lives on as the result) */
    }
    return x;
}

/* Would o, as emit_op emits it, use only the low 32 bits of its input t? */
static bool low32_reader(const Emitter *e, TCGOp *o)
{
    return low32_ext(o) || low32_and(e, o) || op32_ext(e, o);
}

/*
 * "ext32u t, x" (x86's zero-extension of a 32-bit source) where every
 * reader of t uses only its low 32 bits: no code; t reads x's slot in place
 * (x a register-resident global left alone while t lives, or an EBB temp
 * dying here, whose slot t takes over).
 */
static bool fuse_low32(Emitter *e, TCGOp *op)
{
    TCGContext *s = e->s;
    TCGArg t = op->args[0], x = op->args[1];
    TCGTemp *tt = &s->temps[t], *tx = &s->temps[x];
    if (op->type != TCG_TYPE_I64 || tt->kind != TCG_TEMP_EBB || t == x || tt->be_slot >= 0) {
        return false;
    }
    bool rename = tx->kind == TCG_TEMP_EBB && tcg_op_dead(op, 1) && tx->be_slot >= 0;
    if (!rename && !resident(e, tx)) {
        return false;
    }
    TCGOp *o;
    for (o = op->next; o; o = o->next) {
        if (o->opc == INDEX_op_insn_start) {
            continue;
        }
        const TCGOpDef *def = &tcg_op_defs[o->opc];
        if (o->opc == INDEX_op_call || o->opc == INDEX_op_set_label ||
            (def->flags & (TCG_OPF_BB_END | TCG_OPF_NOT_PRESENT))) {
            return false;
        }
        bool uses = false, last = false;
        for (int i = o->nb_oargs; i < o->nb_oargs + o->nb_iargs; i++) {
            if (o->args[i] == t) {
                uses = true;
                last |= tcg_op_dead(o, i);
            }
        }
        if (uses && !low32_reader(e, o)) {
            return false;
        }
        for (int i = 0; i < o->nb_oargs; i++) {
            if (o->args[i] == t || (!rename && o->args[i] == x && !last)) {
                return false;
            }
        }
        if (last) {
            break;
        }
    }
    if (!o) {
        return false;
    }
    if (rename) {
        tt->be_slot = tx->be_slot;
        tx->be_slot = -1;
    } else {
        tt->be_slot = tx->mem_offset / 8;
    }
    tt->be_aux |= TA_LOW32;
    op_done(e, op);
    return true;
}

/* The *Z family of a two-output binary op (the *D ones follow in the same
 * order from BC_ADDD_64), or 0. */
static unsigned binary2_bc(TCGOpcode opc)
{
    switch (opc) {
    case INDEX_op_add: return BC_ADDZ_64;
    case INDEX_op_sub: return BC_SUBZ_64;
    case INDEX_op_and: return BC_ANDZ_64;
    case INDEX_op_or: return BC_ORZ_64;
    case INDEX_op_xor: return BC_XORZ_64;
    default: return 0;
    }
}

/* The "mov g, t" of an op's result t (out the last op computing it; the
 * mov may read g1 with t folded into g1), with g a register in place other
 * than t's slot, and at most one other such mov before it that neither
 * reads nor writes g (x86: an ALU result into its register, cc_src, then
 * cc_dst). */
static TCGOp *second_mov(const Emitter *e, const TCGOp *op, TCGOp *out, unsigned tslot)
{
    const TCGContext *s = e->s;
    if (op->type != TCG_TYPE_I64 || !binary2_bc(op->opc)) {
        return NULL;
    }
    TCGOp *mv = next_code_op(e, out);
    for (int skip = 0; skip < 2 && mv && mv->opc == INDEX_op_mov; skip++) {
        const TCGTemp *g = &s->temps[mv->args[0]];
        int gslot = resident(e, g) ? (int)(g->mem_offset / 8) : -1;
        if ((mv->args[1] == out->args[0] || cur_slot(e, mv->args[1]) == (int)tslot) &&
            gslot >= 0 && gslot != (int)tslot) {
            if (skip) {
                /* the mov passed over must not see g written early */
                TCGOp *prev = next_code_op(e, out);
                if (prev->args[0] == mv->args[0] || prev->args[1] == mv->args[0] ||
                    cur_slot(e, prev->args[1]) == gslot ||
                    cur_slot(e, prev->args[0]) == (int)tslot) {
                    return NULL;
                }
            }
            return mv;
        }
        if (!resident(e, g)) {
            return NULL;
        }
        mv = next_code_op(e, mv);
    }
    return NULL;
}

/*
 * A binary op: its first input from the accumulator when it is there; the
 * result is out->args[0] (out is op, or a fused ext32u after it, done here
 * too), computed in 32 bits when !is64. low32: inputs may be LOW32 aliases.
 */
static void emit_binary(Emitter *e, TCGOp *op, unsigned base, bool is64, TCGOp *out, bool low32)
{
    TCGContext *s = e->s;
    TCGArg *a = op->args;
    uint16_t u[8];
    /* Second input first, so a load of the first leaves it in the accumulator. */
    TCGTemp *tb = &s->temps[a[2]];
    bool imm = tb->kind == TCG_TEMP_CONST && (!is64 || fits_imm(tb));
    e->allow_low32 = low32;
    uint16_t sb = imm ? 0 : in_slot(e, a[2]);
    uint16_t sa = in_slot(e, a[1]);
    e->allow_low32 = false;
    bool acc = e->acc_slot == sa;
    if (!acc && !imm && e->acc_slot == sb && (tcg_op_defs[op->opc].flags & TCG_OPF_COMMUTATIVE)) {
        sb = sa;
        sa = (uint16_t)e->acc_slot;
        acc = true;
    }
    e->cur = out;
    u[1] = out_slot(e, out->args[0]);
    TCGOp *mv = second_mov(e, op, out, u[1]);
    if (mv) {
        /* "op t, a, b; [ext32u t, t;] mov g, t": t and g written by one D or W op */
        u[0] = (uint16_t)(binary2_bc(op->opc) - BC_ADDZ_64 + (is64 ? BC_ADDD_64 : BC_ADDW_64) +
                          imm);
        u[2] = (uint16_t)(s->temps[mv->args[0]].mem_offset / 8);
        u[3] = sa;
        if (imm) {
            set_imm32(u + 4, (uint32_t)tb->val);
        } else {
            u[4] = sb;
        }
        put_out(e, u, imm ? 6 : 5);
        op_done(e, op);
        if (out != op) {
            op_done(e, out);
            consume(e, out);
        }
        op_done(e, mv);
        consume(e, mv);
        return;
    }
    u[2] = sa;
    if (imm) {
        u[0] = (uint16_t)BC_FAMILY8(base, is64, 1, acc);
        set_imm32(u + 3, (uint32_t)tb->val);
        put_out(e, u, 5);
    } else {
        u[0] = (uint16_t)BC_FAMILY8(base, is64, 0, acc);
        u[3] = sb;
        put_out(e, u, 4);
    }
    op_done(e, op);
    if (out != op) {
        op_done(e, out);
        consume(e, out);
    }
}

/* A GOTO_TB[S]n: the head units in u (opcode filled here), n padding
 * units, the 8-byte patchable target field at its run address. */
static void put_goto_tb(Emitter *e, uint16_t *u, unsigned head, unsigned bc, unsigned slot)
{
    unsigned pad = 0;
    while (((uintptr_t)(e->buf + e->pos + head + pad) + (uintptr_t)e->rx_diff) % 8) {
        u[head + pad++] = 0;
    }
    memset(u + head + pad, 0, 8);
    u[0] = (uint16_t)(bc + pad);
    size_t field = e->pos + head + pad;
    put(e, u, head + pad + 4);
    e->info->jump_used[slot] = true;
    e->info->jump[slot].insn_off = (uint32_t)(field * 2);
    e->info->jump[slot].reset_off = (uint32_t)((field + 4) * 2);
}

/* t is an EBB temp whose last use is op's input i. */
static bool dies_at(const Emitter *e, const TCGOp *op, int i, TCGArg t)
{
    return op->args[i] == t && e->s->temps[t].kind == TCG_TEMP_EBB && tcg_op_dead(op, i);
}

static bool is_const(const Emitter *e, TCGArg t, uint64_t v)
{
    const TCGTemp *ts = &e->s->temps[t];
    return ts->kind == TCG_TEMP_CONST && ts->val == v;
}

/*
 * x86's 8/16-bit rotate by a constant written back into its register:
 * "ext16u t0, x; shl t1, t0, $k; shr t2, t0, $(16-k); or t3, t1, t2;
 * ext16u t4, t3; deposit y, z, t4, 0, 16" (shifts either way round, or
 * the 8-bit forms; t1/t3/t4 may be one temp), every temp dying in the
 * chain: one ROTDEP.
 */
static bool fuse_rotdep(Emitter *e, TCGOp *op)
{
    TCGOp *o[6];
    o[0] = op;
    for (int i = 1; i < 6; i++) {
        o[i] = o[i - 1]->next;
        if (!o[i] || o[i]->type != TCG_TYPE_I64) {
            return false;
        }
    }
    unsigned w = op->opc == INDEX_op_ext8u ? 8 : 16;
    TCGArg t0 = op->args[0];
    if (op->type != TCG_TYPE_I64 || e->s->temps[t0].kind != TCG_TEMP_EBB ||
        o[4]->opc != op->opc || o[5]->opc != INDEX_op_deposit) {
        return false;
    }
    /* shl/shr of t0 by k and w - k, t0 dying at the second */
    TCGOp *l = o[1]->opc == INDEX_op_shl ? o[1] : o[2], *r = l == o[1] ? o[2] : o[1];
    if (l->opc != INDEX_op_shl || r->opc != INDEX_op_shr || l->args[1] != t0 ||
        r->args[1] != t0 || !tcg_op_dead(o[2], 1) || tcg_op_dead(o[1], 1) ||
        e->s->temps[l->args[2]].kind != TCG_TEMP_CONST) {
        return false;
    }
    uint64_t k = e->s->temps[l->args[2]].val;
    if (k == 0 || k >= w || !is_const(e, r->args[2], w - k)) {
        return false;
    }
    TCGArg t1 = o[1]->args[0], t2 = o[2]->args[0], t3 = o[3]->args[0], t4 = o[4]->args[0];
    if (o[3]->opc != INDEX_op_or || t1 == t2 || t1 == t0 || t2 == t0 ||
        !((dies_at(e, o[3], 1, t1) && dies_at(e, o[3], 2, t2)) ||
          (dies_at(e, o[3], 1, t2) && dies_at(e, o[3], 2, t1))) ||
        !dies_at(e, o[4], 1, t3) || o[5]->args[2] != t4 || o[5]->args[3] != 0 ||
        o[5]->args[4] != w || e->s->temps[t4].kind != TCG_TEMP_EBB) {
        return false;
    }
    /* The rotated value also kept ("mov g, t4" next, t4 dying: x86's
     * pending rotate flags): ROTDEP_M writes it to g too. */
    TCGOp *mg = NULL;
    if (!tcg_op_dead(o[5], 2)) {
        mg = next_code_op(e, o[5]);
        if (!mg || mg->opc != INDEX_op_mov || mg->args[1] != t4 || !tcg_op_dead(mg, 1) ||
            !resident(e, &e->s->temps[mg->args[0]])) {
            return false;
        }
    }
    uint16_t u[7];
    u[0] = mg ? BC_ROTDEP_M_64 : BC_ROTDEP_64;
    u[2] = in_slot(e, o[5]->args[1]);
    u[3] = in_slot(e, op->args[1]);
    u[4] = (uint16_t)w;
    u[5] = (uint16_t)k;
    for (int i = 0; i < 5; i++) {
        op_done(e, o[i]);
        if (i) {
            consume(e, o[i]);
        }
    }
    e->cur = o[5];
    u[1] = out_slot(e, o[5]->args[0]);
    if (mg) {
        u[6] = (uint16_t)(e->s->temps[mg->args[0]].mem_offset / 8);
    }
    put_out(e, u, mg ? 7 : 6);
    if (mg && u[6] == u[1]) {
        e->acc_slot = -1;   /* the slot got the rotated value last */
    }
    op_done(e, o[5]);
    consume(e, o[5]);
    if (mg) {
        op_done(e, mg);
        consume(e, mg);
    }
    return true;
}

/* "extN t, x; extM d, t" with M <= N and t dying there (or d = t): the low M
 * bits are x's, so "extM d, x" alone (x86 movsbq %cl: ext8u then ext8s). */
static bool fuse_ext_ext(Emitter *e, TCGOp *op)
{
    unsigned wn = ext_width(op);
    TCGArg t = op->args[0];
    TCGOp *n2 = wn ? next_code_op(e, op) : NULL;
    int bc;
    if (!n2 || !ext_width(n2) || ext_width(n2) > wn || n2->args[1] != t ||
        e->s->temps[t].kind != TCG_TEMP_EBB || t == op->args[1] ||
        (n2->args[0] != t && !tcg_op_dead(n2, 1)) ||
        (bc = bc_unary((TCGOpcode)n2->opc, true)) < 0) {
        return false;
    }
    uint16_t u[3];
    e->allow_low32 = low32_ext(n2);
    u[2] = in_slot(e, op->args[1]);
    e->allow_low32 = false;
    op_done(e, op);
    e->cur = n2;
    u[1] = out_slot(e, n2->args[0]);
    u[0] = (uint16_t)bc;
    put_out(e, u, 3);
    op_done(e, n2);
    consume(e, n2);
    return true;
}

/* "sextract t, a, 0, len; brcond t, a, eq/ne, L" (t dying): BRSEXT. */
static bool fuse_brsext(Emitter *e, TCGOp *op)
{
    TCGOp *br = op->next;
    TCGArg t = op->args[0], x = op->args[1];
    if (op->type != TCG_TYPE_I64 || op->args[2] != 0 || !br || br->opc != INDEX_op_brcond ||
        br->type != TCG_TYPE_I64 || e->s->temps[t].kind != TCG_TEMP_EBB || t == x ||
        (br->args[2] != TCG_COND_EQ && br->args[2] != TCG_COND_NE) ||
        !((dies_at(e, br, 0, t) && br->args[1] == x) ||
          (dies_at(e, br, 1, t) && br->args[0] == x))) {
        return false;
    }
    uint16_t u[5];
    u[1] = in_slot(e, x);
    op_done(e, op);
    sync_point(e);
    size_t start = e->pos;
    u[0] = br->args[2] == TCG_COND_EQ ? BC_BRSEXTEQ : BC_BRSEXTNE;
    u[2] = (uint16_t)op->args[3];
    put(e, u, 5);
    branch_to(e, tcg_arg_label(br->args[3]), start, start + 3);
    op_done(e, br);
    consume(e, br);
    return true;
}

/*
 * "op t, a, b; ext32u d, t" with t living on (x86: a 32-bit ALU result kept
 * whole in cc_dst, zero-extended into the register): both in one *Z op.
 */
static bool fuse_binary_z(Emitter *e, TCGOp *op)
{
    TCGContext *s = e->s;
    unsigned bc = binary2_bc(op->opc);
    if (!bc) {
        return false;
    }
    TCGOp *ext = next_code_op(e, op);
    TCGArg t = op->args[0];
    if (op->type != TCG_TYPE_I64 || !ext || ext->opc != INDEX_op_ext32u ||
        ext->type != TCG_TYPE_I64 || ext->args[1] != t || ext->args[0] == t ||
        tcg_op_dead(ext, 1)) {
        return false;
    }
    TCGTemp *tb = &s->temps[op->args[2]];
    bool imm = fits_imm(tb);
    uint16_t u[6];
    uint16_t sb = imm ? 0 : in_slot(e, op->args[2]);
    uint16_t sa = in_slot(e, op->args[1]);
    e->cur = op;
    u[1] = out_slot(e, t);
    e->cur = ext;
    u[2] = out_slot(e, ext->args[0]);
    if (u[1] == u[2]) {
        /* One slot for both (not expected): the op, then the ext32u. */
        uint16_t v[5] = { (uint16_t)BC_FAMILY8(bc_binary_base((TCGOpcode)op->opc), 1, imm, 0),
                          u[1], sa };
        if (imm) {
            set_imm32(v + 3, (uint32_t)tb->val);
        } else {
            v[3] = sb;
        }
        put(e, v, imm ? 5 : 4);
        uint16_t x[3] = { BC_EXT32U, u[2], u[1] };
        put_out(e, x, 3);
    } else {
        u[0] = (uint16_t)(bc + imm);
        u[3] = sa;
        if (imm) {
            set_imm32(u + 4, (uint32_t)tb->val);
            put_out(e, u, 6);
        } else {
            u[4] = sb;
            put_out(e, u, 5);
        }
    }
    op_done(e, op);
    op_done(e, ext);
    consume(e, ext);
    return true;
}

/* "call lookup_tb_ptr; goto_ptr" with the result going nowhere else (and an
 * env that is a CPUState): the goto_ptr, else NULL. */
static TCGOp *lookup_goto_ptr(const Emitter *e, TCGOp *call)
{
    if (call->opc != INDEX_op_call || !e->s->env_is_cpu || call->nb_oargs != 1 ||
        (const void *)(uintptr_t)call->args[call->nb_oargs + call->nb_iargs] !=
            (const void *)&helper_info_lookup_tb_ptr) {
        return NULL;
    }
    TCGOp *gp = next_code_op(e, call);
    if (!gp || gp->opc != INDEX_op_goto_ptr || gp->args[0] != call->args[0] ||
        !tcg_op_dead(gp, 0)) {
        return NULL;
    }
    return gp;
}

/* "mov g, t" (g a register in place: the new pc) right before that: one
 * LOOKUP_GOTO_M. */
static bool fuse_mov_lookup(Emitter *e, TCGOp *op)
{
    TCGContext *s = e->s;
    TCGTemp *dst = &s->temps[op->args[0]];
    TCGOp *cl = next_code_op(e, op), *gp;
    if (!resident(e, dst) || !cl || !(gp = lookup_goto_ptr(e, cl))) {
        return false;
    }
    uint16_t u[3];
    u[0] = BC_LOOKUP_GOTO_M;
    u[2] = in_slot(e, op->args[1]);
    u[1] = (uint16_t)(dst->mem_offset / 8);
    op_done(e, op);
    sync_point(e);
    put(e, u, 3);
    op_done(e, cl);
    op_done(e, gp);
    consume(e, cl);
    consume(e, gp);
    unload(e, true);
    return true;
}

static void emit_op(Emitter *e, TCGOp *op)
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
        sync_point(e);
        unload(e, true);
        set_label(e, tcg_arg_label(a[0]));
        e->acc_slot = -1;      /* branches arrive with another accumulator */
        return;
    case INDEX_op_discard: {
        TCGTemp *ts = &s->temps[a[0]];
        if (ts->kind == TCG_TEMP_EBB) {
            slot_free(e, ts);
        } else if (ts->kind == TCG_TEMP_GLOBAL && !resident(e, ts)) {
            ts->be_state &= ~(uint32_t)(GS_LOADED | GS_DIRTY);
        }
        return;
    }
    case INDEX_op_br:
        sync_point(e);
        u[0] = BC_BR;
        put(e, u, 3);
        branch_to(e, tcg_arg_label(a[0]), start, start + 1);
        unload(e, true);
        return;
    case INDEX_op_brcond: {
        sync_point(e);
        TCGCond c = (TCGCond)a[2];
        TCGTemp *tb = &s->temps[a[1]];
        bool imm = fits_imm(tb);
        if (!imm) {
            u[2] = in_slot(e, a[1]);
        }
        u[1] = in_slot(e, a[0]);
        bool acc = e->acc_slot == u[1];
        start = e->pos;
        unsigned m, n;
        if (c != TCG_COND_ALWAYS && c != TCG_COND_NEVER && brtb_match(e, op, &m, &n)) {
            u[0] = (uint16_t)BC_BRTB(c, is64, imm);
            if (imm) {
                set_imm32(u + 2, (uint32_t)tb->val);
            }
            op_done(e, op);
            put_brtb(e, u, BC_BRTB_HEAD(imm), imm ? 4 : 3, tcg_arg_label(a[3]), m, n);
            return;
        }
        if (imm) {
            u[0] = (uint16_t)BC_BRANCH(c, is64, 1, acc);
            set_imm32(u + 2, (uint32_t)tb->val);
            put(e, u, 6);
            branch_to(e, tcg_arg_label(a[3]), start, start + 4);
        } else {
            u[0] = (uint16_t)BC_BRANCH(c, is64, 0, acc);
            put(e, u, 5);
            branch_to(e, tcg_arg_label(a[3]), start, start + 3);
        }
        op_done(e, op);
        return;
    }
    case INDEX_op_goto_tb: {
        sync_point(e);
        if (e->tb_field[a[0]] >= 0) {
            /* Held by the branch before: no code, the exit path follows. */
            e->info->jump_used[a[0]] = true;
            e->info->jump[a[0]].insn_off = (uint32_t)(e->tb_field[a[0]] * 2);
            e->info->jump[a[0]].reset_off = (uint32_t)(e->pos * 2);
            e->tb_field[a[0]] = -1;
            return;
        }
        put_goto_tb(e, u, 1, BC_GOTO_TB, (unsigned)a[0]);
        return;
    }
    case INDEX_op_exit_tb:
        sync_point(e);
        u[0] = BC_EXIT_TB;
        set_imm64(u + 1, a[0]);
        put(e, u, 5);
        unload(e, true);
        return;
    case INDEX_op_goto_ptr:
        sync_point(e);
        u[0] = BC_GOTO_PTR;
        u[1] = in_slot(e, a[0]);
        put(e, u, 2);
        op_done(e, op);
        unload(e, true);
        return;
    case INDEX_op_mb:
        u[0] = BC_MB;
        put(e, u, 1);
        return;
    case INDEX_op_call: {
        const TCGHelperInfo *info = (const void *)(uintptr_t)a[op->nb_oargs + op->nb_iargs];
        TCGOp *gp = lookup_goto_ptr(e, op);
        if (gp) {
            /* "call lookup_tb_ptr; goto_ptr": the jump-cache probe in run.c. */
            sync_point(e);
            u[0] = BC_LOOKUP_GOTO;
            put(e, u, 1);
            op_done(e, op);
            op_done(e, gp);
            consume(e, gp);
            unload(e, true);
            return;
        }
        bool sync = (info->flags & (TCG_CALL_MAY_RAISE)) ||
                    (info->flags & TCG_CALL_NO_GLOBALS) != TCG_CALL_NO_GLOBALS;
        if (sync) {
            sync_point(e);
        }
        emit_call(e, op);
        if (!(info->flags & TCG_CALL_NO_WRITE_GLOBALS)) {
            unload(e, false);
        }
        op_done(e, op);
        return;
    }
    case INDEX_op_guest_ld:
    case INDEX_op_guest_st: {
        sync_dirty(e);
        bool ld = op->opc == INDEX_op_guest_ld;
        u[2] = in_slot(e, a[1]);
        u[1] = ld ? out_slot(e, a[0]) : in_slot(e, a[0]);
        u[0] = ld ? (is64 ? BC_GUEST_LD_64 : BC_GUEST_LD_32) : BC_GUEST_ST;
        u[3] = (uint16_t)a[2];
        const TCGGuestMemoryOps *m = s->mem_ops;
        if (!m) {
            fprintf(stderr, "mimic: translator bug: guest_ld/st without guest memory ops\n");
            abort();
        }
        unsigned n = 8;
        if (s->env_is_cpu) {
            int q = bc_guest_tlb(TCG_MEMOP_IDX_MEMOP(a[2]), ld, is64);
            if (q >= 0) {
                u[0] = (uint16_t)q;
                u[4] = tlb_unit(a[2]);
                n = 9;
            }
        }
        set_imm64(u + n - 4, (uint64_t)(uintptr_t)(ld ? (void (*)(void))m->load
                                                      : (void (*)(void))m->store));
        if (ld) {
            put_out(e, u, n);
        } else {
            put(e, u, n);
        }
        op_done(e, op);
        return;
    }
    case INDEX_op_mov: {
        TCGTemp *src = &s->temps[a[1]], *dst = &s->temps[a[0]];
        if (fuse_mov_lookup(e, op)) {
            return;
        }
        if (dst->kind == TCG_TEMP_GLOBAL && !resident(e, dst) && tcg_op_sync(op, 0) &&
            tcg_op_dead(op, 0) &&
            (src->kind != TCG_TEMP_CONST || fits_imm(src))) {
            /* Written back and not read again: store the source, no copy. */
            int keep = e->acc_slot;
            TCGOp *gt = next_code_op(e, op);
            if (src->kind == TCG_TEMP_CONST && !is64 && gt && gt->opc == INDEX_op_goto_tb &&
                e->tb_field[gt->args[0]] < 0) {
                /* x86's cc_op store ending a block: into its goto_tb. */
                dst->be_state &= ~(uint32_t)(GS_LOADED | GS_DIRTY);
                inputs_done(e, op);
                compact_loaded(e);
                sync_point(e);
                set_imm32(u + 1, (uint32_t)dst->mem_offset);
                set_imm32(u + 3, (uint32_t)src->val);
                put_goto_tb(e, u, 5, BC_GOTO_TBS, (unsigned)gt->args[0]);
                consume(e, gt);
                return;
            }
            if (src->kind == TCG_TEMP_CONST) {
                u[0] = is64 ? BC_STI64 : BC_STI32;
                u[1] = (uint16_t)(e->base + BC_ENV_SLOT);
                set_imm32(u + 2, (uint32_t)dst->mem_offset);
                set_imm32(u + 4, (uint32_t)src->val);
                put(e, u, 6);
            } else {
                u[1] = in_slot(e, a[1]);
                keep = e->acc_slot;
                bool acc = keep == u[1];
                u[0] = (uint16_t)(is64 ? (acc ? BC_STA64 : BC_ST64) : (acc ? BC_STA32 : BC_ST32));
                u[2] = (uint16_t)(e->base + BC_ENV_SLOT);
                set_imm32(u + 3, (uint32_t)dst->mem_offset);
                put(e, u, 5);
            }
            e->acc_slot = keep;
            dst->be_state &= ~(uint32_t)(GS_LOADED | GS_DIRTY);
            inputs_done(e, op);
            compact_loaded(e);
            return;
        }
        if (src->kind == TCG_TEMP_EBB && tcg_op_dead(op, 1) && src->be_slot > 0 &&
            ((dst->kind == TCG_TEMP_GLOBAL && !resident(e, dst)) || dst->kind == TCG_TEMP_EBB)) {
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
            op_done(e, op);
            return;
        }
        if (src->kind == TCG_TEMP_CONST) {
            u[1] = out_slot(e, a[0]);
            if (is64) {
                u[0] = BC_MOVI64;
                set_imm64(u + 2, src->val);
                put_out(e, u, 6);
            } else {
                u[0] = BC_MOVI32;
                set_imm32(u + 2, (uint32_t)src->val);
                put_out(e, u, 4);
            }
        } else {
            u[2] = in_slot(e, a[1]);
            u[1] = out_slot(e, a[0]);
            u[0] = BC_MOV;
            put_out(e, u, 3);
        }
        op_done(e, op);
        return;
    }
    case INDEX_op_setcond:
    case INDEX_op_negsetcond: {
        unsigned base = bc_binary_base((TCGOpcode)op->opc);
        TCGTemp *tb = &s->temps[a[2]];
        u[2] = in_slot(e, a[1]);
        if (fits_imm(tb)) {
            u[1] = out_slot(e, a[0]);
            u[0] = (uint16_t)BC_FAMILY(base, is64, 1);
            u[3] = (uint16_t)a[3];
            set_imm32(u + 4, (uint32_t)tb->val);
            put_out(e, u, 6);
        } else {
            u[3] = in_slot(e, a[2]);
            u[1] = out_slot(e, a[0]);
            u[0] = (uint16_t)BC_FAMILY(base, is64, 0);
            u[4] = (uint16_t)a[3];
            put_out(e, u, 5);
        }
        op_done(e, op);
        return;
    }
    case INDEX_op_movcond:
        for (int i = 1; i <= 4; i++) {
            u[i + 1] = in_slot(e, a[i]);
        }
        u[1] = out_slot(e, a[0]);
        u[0] = is64 ? BC_MOVCOND_64 : BC_MOVCOND_32;
        u[6] = (uint16_t)a[5];
        put_out(e, u, 7);
        op_done(e, op);
        return;
    case INDEX_op_mulu2: case INDEX_op_muls2:
    case INDEX_op_add2: case INDEX_op_sub2: {
        int n = op->nb_iargs;
        for (int i = 0; i < n; i++) {
            u[3 + i] = in_slot(e, a[2 + i]);
        }
        u[1] = out_slot(e, a[0]);
        u[2] = out_slot(e, a[1]);
        u[0] = (uint16_t)((op->opc == INDEX_op_mulu2 ? BC_MULU2_32 :
                           op->opc == INDEX_op_muls2 ? BC_MULS2_32 :
                           op->opc == INDEX_op_add2 ? BC_ADD2_32 : BC_SUB2_32) + is64);
        put(e, u, 3 + n);
        op_done(e, op);
        return;
    }
    case INDEX_op_deposit:
        u[2] = in_slot(e, a[1]);
        u[3] = in_slot(e, a[2]);
        u[1] = out_slot(e, a[0]);
        u[0] = BC_DEPOSIT_32 + is64;
        u[4] = (uint16_t)a[3];
        u[5] = (uint16_t)a[4];
        put_out(e, u, 6);
        op_done(e, op);
        return;
    case INDEX_op_extract:
    case INDEX_op_sextract:
        if (op->opc == INDEX_op_sextract && fuse_brsext(e, op)) {
            return;
        }
        u[2] = in_slot(e, a[1]);
        u[1] = out_slot(e, a[0]);
        u[0] = (uint16_t)((op->opc == INDEX_op_extract ? BC_EXTRACT_32 : BC_SEXTRACT_32) + is64);
        u[3] = (uint16_t)a[2];
        u[4] = (uint16_t)a[3];
        put_out(e, u, 5);
        op_done(e, op);
        return;
    case INDEX_op_concat_i32_i64:
        u[2] = in_slot(e, a[1]);
        u[3] = in_slot(e, a[2]);
        u[1] = out_slot(e, a[0]);
        u[0] = BC_CONCAT;
        put_out(e, u, 4);
        op_done(e, op);
        return;
    default:
        break;
    }

    if (op->opc == INDEX_op_ld && !is64 && a[1] == TCG_TEMP_ENV && fuse_env_test(e, op)) {
        return;
    }
    if ((bc = bc_load((TCGOpcode)op->opc, is64)) >= 0) {
        bool store = op->nb_oargs == 0;
        u[2] = in_slot(e, a[1]);
        u[1] = store ? in_slot(e, a[0]) : out_slot(e, a[0]);
        u[0] = (uint16_t)bc;
        set_imm32(u + 3, (uint32_t)a[2]);
        if (store) {
            put(e, u, 5);
        } else {
            put_out(e, u, 5);
        }
        op_done(e, op);
        return;
    }
    if (op->opc == INDEX_op_ext32u && fuse_low32(e, op)) {
        return;
    }
    if ((op->opc == INDEX_op_ext16u || op->opc == INDEX_op_ext8u) && fuse_rotdep(e, op)) {
        return;
    }
    if (fuse_ext_ext(e, op)) {
        return;
    }
    if ((bc = bc_unary((TCGOpcode)op->opc, is64)) >= 0) {
        e->allow_low32 = low32_ext(op);
        u[2] = in_slot(e, a[1]);
        e->allow_low32 = false;
        u[1] = out_slot(e, a[0]);
        u[0] = (uint16_t)bc;
        put_out(e, u, 3);
        op_done(e, op);
        return;
    }
    unsigned base = bc_binary_base((TCGOpcode)op->opc);
    if (!base) {
        e->too_big = true;   /* unknown op: cannot happen with ops.def in sync */
        return;
    }
    if (op->opc == INDEX_op_sub && e->in_env && fuse_submov(e, op)) {
        return;
    }
    TCGOp *ext = op32_ext(e, op);
    if (ext) {
        /* "op t, a, b; ext32u d, t": the 32-bit form into d. */
        emit_binary(e, op, base, false, ext, true);
        return;
    }
    if (fuse_binary_z(e, op)) {
        return;
    }
    if ((op->opc == INDEX_op_shl || op->opc == INDEX_op_add) && is64 && fuse_guest_addr(e, op)) {
        return;
    }
    if (op->opc == INDEX_op_shl && is64 && fuse_lea(e, op)) {
        return;
    }
    bool and32 = low32_and(e, op);
    emit_binary(e, op, base, is64 && !and32, op, and32);
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
        put(e, u, BC_FRAME_LEN);
    }
    e->nfolded = 0;
    for (TCGOp *op = s->first_op; op && !e->full && !e->too_big; op = op->next) {
        if (e->nconsumed && take_consumed(e, op)) {
            continue;
        }
        if (e->nfolded && take_folded(e, op)) {
            op_done(e, op);
            continue;
        }
        emit_op(e, op);
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
