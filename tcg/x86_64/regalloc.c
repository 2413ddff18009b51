/*
 * Register allocation for the x86-64 backend: one forward pass, greedy over
 * the 14 allocatable host registers (rsp is the stack, rbp holds env),
 * spilling to the global's field in env or to a slot of the block's stack
 * frame, driven by liveness's dead/sync bits (shared/TCG.md "Passes" 4).
 * Constants stay symbolic until an instruction needs them in a register.
 */
#if defined(__x86_64__)

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Callee-saved first: values there survive helper calls; rax/rdx/rcx last
 * because division, multiplication and shifts want them. */
static const int8_t alloc_order[] = {
    X_RBX, X_R12, X_R13, X_R14, X_R15, X_R10, X_R11, X_R9, X_R8,
    X_RDI, X_RSI, X_RCX, X_RDX, X_RAX,
};

#define TS_CLIST 8u   /* on g's list of temps made VAL_CONST since the last label */

static __attribute__((noreturn)) void ra_bug(const char *what)
{
    fprintf(stderr, "mimic: x86-64 backend bug: %s\n", what);
    abort();
}

static unsigned ts_val(const TCGTemp *ts) { return ts->be_state & TS_VAL_MASK; }
static bool ts_coherent(const TCGTemp *ts) { return ts->be_state & TS_COHERENT; }

static void ts_set(TCGTemp *ts, unsigned val, bool coherent)
{
    ts->be_state = (ts->be_state & TS_CLIST) | val | (coherent ? TS_COHERENT : 0);
}

/* The list of temps put in VAL_CONST since the last label, so label and
 * sync processing need not scan every temp. */
static void clist_add(X64Gen *g, TCGTemp *ts)
{
    if (!(ts->be_state & TS_CLIST)) {
        ts->be_state |= TS_CLIST;
        g->clist[g->clist_n++] = x64_temp_index(g, ts);
    }
}

static bool is64_temp(const TCGTemp *ts) { return ts->type == TCG_TYPE_I64; }

static void set_owner(X64Gen *g, int reg, TCGTemp *ts)
{
    g->reg_owner[reg] = (int16_t)x64_temp_index(g, ts);
    g->free_regs &= (uint16_t)~RM(reg);
    ts->be_reg = reg;
}

static void clear_owner(X64Gen *g, int reg)
{
    int t = g->reg_owner[reg];
    if (t >= 0) {
        g->s->temps[t].be_reg = -1;
    }
    g->reg_owner[reg] = -1;
    g->free_regs |= (uint16_t)RM(reg);
}

/* The first register of mask in alloc_order, or -1. */
static int first_in_order(uint16_t mask)
{
    if (mask & RM(X_RBX)) {
        return X_RBX;
    }
    if (mask & 0xf000) {                        /* r12 r13 r14 r15 */
        return __builtin_ctz(mask & 0xf000u);
    }
    if (mask & 0x0c00) {                        /* r10 r11 */
        return __builtin_ctz(mask & 0x0c00u);
    }
    static const int8_t rest[] = { X_R9, X_R8, X_RDI, X_RSI, X_RCX, X_RDX, X_RAX };
    for (unsigned i = 0; i < sizeof(rest); i++) {
        if (mask & RM(rest[i])) {
            return rest[i];
        }
    }
    return -1;
}

/* The lowest-numbered register above r (-1: from the start) that some temp
 * owns right now: loops over owned registers see ownership changes made in
 * their body just as a loop over every register number would. */
static int owned_after(const X64Gen *g, int r)
{
    uint32_t m = (uint16_t)~g->free_regs & X_ALLOCATABLE & (~0u << (r + 1));
    return m ? __builtin_ctz(m) : -1;
}

#define FOR_OWNED(g, r) for (int r = owned_after(g, -1); r >= 0; r = owned_after(g, r))

void x64_ra_block_start(X64Gen *g)
{
    TCGContext *s = g->s;
    for (int r = 0; r < X_NREGS; r++) {
        g->reg_owner[r] = -1;
    }
    g->free_regs = X_ALLOCATABLE;
    g->locked = g->reserved = 0;
    g->nslots = g->nfree_slots = g->n_ebb_slotted = 0;
    g->clist_n = 0;
    /* be_slot, be_reg, be_state, be_aux at block start, by temp kind. */
    typedef struct { int32_t slot, reg; uint32_t state, aux; } BEInit;
    static const BEInit init[] = {
        [TCG_TEMP_EBB] = { -1, -1, VAL_DEAD, 0 },
        [TCG_TEMP_TB] = { -1, -1, VAL_DEAD, 0 },
        [TCG_TEMP_GLOBAL] = { -1, -1, VAL_MEM | TS_COHERENT, 0 },
        [TCG_TEMP_FIXED] = { -1, X_ENV, VAL_REG, 0 },
        [TCG_TEMP_CONST] = { -1, -1, VAL_CONST, 0 },
    };
    for (int t = 0; t < s->nb_temps; t++) {
        TCGTemp *ts = &s->temps[t];
        const BEInit *i = &init[ts->kind];
        ts->be_slot = i->slot;
        ts->be_reg = i->reg;
        ts->be_state = i->state;
        ts->be_aux = i->aux;
    }
}

void x64_ra_op_start(X64Gen *g)
{
    g->locked = 0;
    g->reserved = 0;
}

bool x64_ra_dies_slow(X64Gen *g, const TCGOp *op, TCGTemp *ts)
{
    TCGArg idx = (TCGArg)x64_temp_index(g, ts);
    const TCGArg *in = &op->args[op->nb_oargs];
    for (unsigned m = x64_dead_inputs(op); m; m &= m - 1) {
        if (in[__builtin_ctz(m)] == idx) {
            return true;
        }
    }
    return false;
}

/* ---- memory homes ---- */

static void ebb_slot_note(X64Gen *g, TCGTemp *ts)
{
    if (g->n_ebb_slotted == X64_SPILL_SLOTS) {   /* drop entries that lost their slot */
        unsigned keep = 0;
        for (unsigned i = 0; i < g->n_ebb_slotted; i++) {
            if (g->s->temps[g->ebb_slotted[i]].be_slot >= 0) {
                g->ebb_slotted[keep++] = g->ebb_slotted[i];
            }
        }
        g->n_ebb_slotted = keep;
    }
    if (g->n_ebb_slotted < X64_SPILL_SLOTS) {
        g->ebb_slotted[g->n_ebb_slotted++] = x64_temp_index(g, ts);
    }
}

/* Where a global or spillable temp lives in memory (allocating a frame slot). */
static void temp_mem(X64Gen *g, TCGTemp *ts, int *base, int32_t *disp)
{
    if (ts->kind == TCG_TEMP_GLOBAL) {
        *base = X_ENV;
        *disp = ts->mem_offset;
        return;
    }
    if (ts->be_slot < 0) {
        int slot;
        if (ts->kind == TCG_TEMP_EBB && g->nfree_slots) {
            slot = g->free_slots[--g->nfree_slots];
        } else if (g->nslots < X64_SPILL_SLOTS) {
            slot = (int)g->nslots++;
        } else {
            g->too_big = true;       /* more live values than frame slots */
            slot = 0;
        }
        ts->be_slot = slot;
        if (ts->kind == TCG_TEMP_EBB) {
            ebb_slot_note(g, ts);
        }
    }
    *base = X_RSP;
    *disp = X64_SPILL_OFF + 8 * ts->be_slot;
}

static void ebb_slot_free(X64Gen *g, TCGTemp *ts)
{
    if (ts->kind == TCG_TEMP_EBB && ts->be_slot >= 0) {
        g->free_slots[g->nfree_slots++] = (uint16_t)ts->be_slot;
        ts->be_slot = -1;
    }
}

static void store_reg(X64Gen *g, TCGTemp *ts, int reg)
{
    int base;
    int32_t disp;
    temp_mem(g, ts, &base, &disp);
    /* Frame slots always hold 8 bytes (i32 values zero-extended); fields their own size. */
    bool wide = ts->kind != TCG_TEMP_GLOBAL || is64_temp(ts);
    x64_store(g, wide ? 3 : 2, reg, base, X_NOIDX, disp);
}

static void load_reg(X64Gen *g, TCGTemp *ts, int reg)
{
    int base;
    int32_t disp;
    temp_mem(g, ts, &base, &disp);
    bool wide = ts->kind != TCG_TEMP_GLOBAL || is64_temp(ts);
    x64_load(g, OPC_MOVL_GvEv | (wide ? P_REXW : 0), reg, base, X_NOIDX, disp);
}

static int reg_alloc(X64Gen *g, uint16_t allowed);

void x64_ra_sync(X64Gen *g, TCGTemp *ts)
{
    if (ts->kind == TCG_TEMP_CONST || ts->kind == TCG_TEMP_FIXED || ts_coherent(ts)) {
        return;
    }
    switch (ts_val(ts)) {
    case VAL_REG:
        store_reg(g, ts, ts->be_reg);
        break;
    case VAL_CONST: {
        uint64_t v = g->cval[x64_temp_index(g, ts)];
        bool wide = ts->kind != TCG_TEMP_GLOBAL || is64_temp(ts);
        if (!wide || (int64_t)v == (int32_t)v) {
            int base;
            int32_t disp;
            temp_mem(g, ts, &base, &disp);
            x64_store_imm(g, wide ? 3 : 2, (int32_t)v, base, X_NOIDX, disp);
        } else {
            int r = reg_alloc(g, X_ALLOCATABLE);
            x64_movi(g, true, r, v, true);
            set_owner(g, r, ts);
            ts_set(ts, VAL_REG, false);
            store_reg(g, ts, r);
        }
        break;
    }
    default:
        return;                      /* in memory already, or no value */
    }
    ts->be_state |= TS_COHERENT;
}

/* Give up ts's register (value saved to memory first when needed). */
static void temp_spill(X64Gen *g, TCGTemp *ts)
{
    if (ts->kind == TCG_TEMP_FIXED) {
        ra_bug("spilling env");
    }
    if (ts->kind == TCG_TEMP_CONST) {
        if (ts_val(ts) == VAL_REG) {
            clear_owner(g, ts->be_reg);
        }
        ts_set(ts, VAL_CONST, false);
        return;
    }
    x64_ra_sync(g, ts);
    if (ts_val(ts) == VAL_REG) {
        clear_owner(g, ts->be_reg);
        ts_set(ts, VAL_MEM, true);
    }
}

/* The value is not needed any more (liveness said so). */
static void temp_dead(X64Gen *g, TCGTemp *ts)
{
    switch (ts->kind) {
    case TCG_TEMP_FIXED:
        return;
    case TCG_TEMP_CONST:
        if (ts_val(ts) == VAL_REG) {
            clear_owner(g, ts->be_reg);
        }
        ts_set(ts, VAL_CONST, false);
        return;
    default:
        break;
    }
    if (ts_val(ts) == VAL_REG) {
        clear_owner(g, ts->be_reg);
    }
    switch (ts->kind) {
    case TCG_TEMP_GLOBAL:
        /* Liveness synced it at its definition if memory must hold it. */
        ts_set(ts, VAL_MEM, true);
        break;
    case TCG_TEMP_TB:
        ts_set(ts, VAL_DEAD, false);
        break;
    default:
        ebb_slot_free(g, ts);
        ts_set(ts, VAL_DEAD, false);
        break;
    }
}

/* Pick a register from allowed, evicting the cheapest owner if none is free. */
static int reg_alloc(X64Gen *g, uint16_t allowed)
{
    uint16_t cand = allowed & (uint16_t)~g->locked & X_ALLOCATABLE;
    uint16_t pref = cand & (uint16_t)~g->reserved;
    int r = first_in_order(g->free_regs & pref);
    if (r < 0) {
        r = first_in_order(g->free_regs & cand);
    }
    if (r >= 0) {
        return r;
    }
    uint16_t ev = pref ? pref : cand;
    if (!ev) {
        ra_bug("no register left to allocate");
    }
    /* Prefer an owner that costs no store: a constant or a value memory already has. */
    int victim = -1;
    for (unsigned i = 0; i < sizeof(alloc_order) && victim < 0; i++) {
        int c = alloc_order[i];
        if (ev & RM(c)) {
            TCGTemp *u = &g->s->temps[g->reg_owner[c]];
            if (u->kind == TCG_TEMP_CONST || ts_coherent(u)) {
                victim = c;
            }
        }
    }
    if (victim < 0) {
        victim = first_in_order(ev);
    }
    temp_spill(g, &g->s->temps[g->reg_owner[victim]]);
    return victim;
}

void x64_ra_evict(X64Gen *g, int reg, uint16_t avoid)
{
    int t = g->reg_owner[reg];
    if (t < 0) {
        return;
    }
    TCGTemp *u = &g->s->temps[t];
    if (u->kind != TCG_TEMP_CONST) {
        uint16_t cand = g->free_regs & (uint16_t)~g->locked & (uint16_t)~avoid &
                        (uint16_t)~g->reserved & X_ALLOCATABLE;
        int nr = first_in_order(cand);
        if (nr >= 0) {
            x64_mov_rr(g, true, nr, reg);
            clear_owner(g, reg);
            set_owner(g, nr, u);
            return;
        }
    }
    temp_spill(g, u);
}

/* Put ts's value into register r (free, unowned). */
static void load_into(X64Gen *g, TCGTemp *ts, int r)
{
    switch (ts_val(ts)) {
    case VAL_REG:
        x64_mov_rr(g, true, r, ts->be_reg);
        break;
    case VAL_CONST: {
        uint64_t v;
        x64_ra_const(g, ts, &v);
        x64_movi(g, is64_temp(ts), r, v, false);
        break;
    }
    case VAL_MEM:
        load_reg(g, ts, r);
        break;
    default:
        if (ts->kind == TCG_TEMP_TB) {
            load_reg(g, ts, r);      /* may arrive from a branch with a value in its slot */
        }
        break;                       /* EBB temp read before written: any value */
    }
}

bool x64_ra_in_memory(X64Gen *g, TCGTemp *ts, int *base, int32_t *disp)
{
    if ((ts->kind != TCG_TEMP_GLOBAL && ts->kind != TCG_TEMP_TB && ts->kind != TCG_TEMP_EBB) ||
        ts_val(ts) != VAL_MEM || !ts_coherent(ts)) {
        return false;
    }
    temp_mem(g, ts, base, disp);
    return true;
}

int x64_ra_in_slow(X64Gen *g, TCGTemp *ts, uint16_t allowed)
{
    if (ts->kind == TCG_TEMP_FIXED) {
        if (allowed & RM(X_ENV)) {
            return X_ENV;
        }
        int r = reg_alloc(g, allowed);
        x64_mov_rr(g, true, r, X_ENV);
        g->locked |= RM(r);
        return r;
    }
    if (ts_val(ts) == VAL_REG) {
        int r = ts->be_reg;
        if (allowed & RM(r)) {
            g->locked |= RM(r);
            return r;
        }
        int nr = reg_alloc(g, allowed);
        x64_mov_rr(g, true, nr, r);
        if (!(g->locked & RM(r))) {  /* move; else the other use keeps r and nr is a copy */
            clear_owner(g, r);
            set_owner(g, nr, ts);
        }
        g->locked |= RM(nr);
        return nr;
    }
    int r = reg_alloc(g, allowed);
    unsigned val = ts_val(ts);
    load_into(g, ts, r);
    set_owner(g, r, ts);
    if (ts->kind == TCG_TEMP_CONST) {
        ts_set(ts, VAL_REG, false);
    } else if (val == VAL_MEM || (val == VAL_DEAD && ts->kind == TCG_TEMP_TB)) {
        ts_set(ts, VAL_REG, true);
    } else {
        ts_set(ts, VAL_REG, val == VAL_CONST && ts_coherent(ts));
    }
    g->locked |= RM(r);
    return r;
}

int x64_ra_in_fixed(X64Gen *g, TCGTemp *ts, int reg, bool clobbered)
{
    if (ts->kind != TCG_TEMP_FIXED && ts_val(ts) == VAL_REG && ts->be_reg == reg) {
        g->locked |= RM(reg);
        return reg;
    }
    if (g->locked & RM(reg)) {
        ra_bug("fixed register already in use by this op");
    }
    x64_ra_evict(g, reg, g->reserved | RM(reg));
    if (ts->kind == TCG_TEMP_FIXED) {
        x64_mov_rr(g, true, reg, X_ENV);
    } else if (ts_val(ts) == VAL_REG) {
        int r = ts->be_reg;
        x64_mov_rr(g, true, reg, r);
        if (!clobbered && !(g->locked & RM(r))) {
            clear_owner(g, r);
            set_owner(g, reg, ts);
        }
    } else if (clobbered) {
        load_into(g, ts, reg);       /* a copy: ts stays where it is */
    } else {
        unsigned val = ts_val(ts);
        load_into(g, ts, reg);
        set_owner(g, reg, ts);
        if (ts->kind == TCG_TEMP_CONST) {
            ts_set(ts, VAL_REG, false);
        } else {
            ts_set(ts, VAL_REG, val == VAL_MEM || (val == VAL_DEAD && ts->kind == TCG_TEMP_TB) ||
                                (val == VAL_CONST && ts_coherent(ts)));
        }
    }
    g->locked |= RM(reg);
    return reg;
}

int x64_ra_scratch(X64Gen *g, uint16_t allowed)
{
    int r = reg_alloc(g, allowed);
    g->locked |= RM(r);
    return r;
}

/* Detach a dying value from its register without saving it. */
static void detach(X64Gen *g, TCGTemp *ts)
{
    temp_dead(g, ts);
}

void x64_ra_clobber(X64Gen *g, const TCGOp *op, int reg)
{
    int t = g->reg_owner[reg];
    if (t >= 0) {
        TCGTemp *u = &g->s->temps[t];
        if (x64_ra_dies(g, op, u)) {
            detach(g, u);
        } else {
            x64_ra_evict(g, reg, g->reserved | RM(reg));
        }
    }
    g->locked |= RM(reg);
}

static bool other_input_uses(const TCGOp *op, TCGArg idx, int count)
{
    int n = 0;
    for (int i = op->nb_oargs; i < op->nb_oargs + op->nb_iargs; i++) {
        n += op->args[i] == idx;
    }
    return n > count;
}

int x64_ra_out_alias(X64Gen *g, const TCGOp *op, TCGTemp *in, int in_reg, uint16_t allowed,
                     bool is64, bool exclusive, bool copy)
{
    if ((allowed & RM(in_reg)) && in->kind != TCG_TEMP_FIXED &&
        g->reg_owner[in_reg] == x64_temp_index(g, in) && x64_ra_dies(g, op, in) &&
        !(exclusive && other_input_uses(op, (TCGArg)x64_temp_index(g, in), 1))) {
        detach(g, in);               /* in_reg stays locked for this op */
        return in_reg;
    }
    int r = reg_alloc(g, allowed);
    g->locked |= RM(r);
    if (copy) {
        x64_mov_rr(g, is64, r, in_reg);
    }
    return r;
}

static void set_output(X64Gen *g, TCGTemp *ts, int reg)
{
    if (ts->kind == TCG_TEMP_CONST || ts->kind == TCG_TEMP_FIXED) {
        ra_bug("writing a constant or env");
    }
    if (ts_val(ts) == VAL_REG && ts->be_reg != reg) {
        clear_owner(g, ts->be_reg);
    }
    int prev = g->reg_owner[reg];
    if (prev >= 0 && prev != x64_temp_index(g, ts)) {
        ra_bug("output register still owned");
    }
    set_owner(g, reg, ts);
    ts_set(ts, VAL_REG, false);
}

static inline __attribute__((always_inline)) void outputs_finish(X64Gen *g, const TCGOp *op)
{
    for (int i = 0; i < op->nb_oargs; i++) {
        TCGTemp *ts = &g->s->temps[op->args[i]];
        if (tcg_op_sync(op, i)) {
            x64_ra_sync(g, ts);
        }
        if (tcg_op_dead(op, i)) {
            temp_dead(g, ts);
        }
    }
    g->locked = g->reserved = 0;
}

/* Inputs whose value dies at op (in argument order). */
static void inputs_dead(X64Gen *g, const TCGOp *op)
{
    const TCGArg *in = &op->args[op->nb_oargs];
    for (unsigned m = x64_dead_inputs(op); m; m &= m - 1) {
        temp_dead(g, &g->s->temps[in[__builtin_ctz(m)]]);
    }
}

void x64_ra_op_end(X64Gen *g, const TCGOp *op, const int *out_regs)
{
    inputs_dead(g, op);
    for (int i = 0; i < op->nb_oargs; i++) {
        if (out_regs && out_regs[i] >= 0) {
            set_output(g, &g->s->temps[op->args[i]], out_regs[i]);
        }
    }
    outputs_finish(g, op);
}

void x64_ra_out_const(X64Gen *g, const TCGOp *op, int i, uint64_t val)
{
    inputs_dead(g, op);
    TCGTemp *ts = &g->s->temps[op->args[i]];
    if (ts_val(ts) == VAL_REG) {
        clear_owner(g, ts->be_reg);
    }
    g->cval[x64_temp_index(g, ts)] = is64_temp(ts) ? val : (uint32_t)val;
    ts_set(ts, VAL_CONST, false);
    clist_add(g, ts);
    outputs_finish(g, op);
}

void x64_ra_discard(X64Gen *g, TCGTemp *ts)
{
    temp_dead(g, ts);
}

unsigned x64_ra_dirty_globals(X64Gen *g, X64DirtyGlobal **out)
{
    X64DirtyGlobal tmp[X_NREGS];
    unsigned n = 0, nc = 0;
    FOR_OWNED(g, r) {
        int t = g->reg_owner[r];
        if (t >= 0) {
            TCGTemp *ts = &g->s->temps[t];
            if (ts->kind == TCG_TEMP_GLOBAL && !ts_coherent(ts)) {
                tmp[n++] = (X64DirtyGlobal){ ts->mem_offset, (int8_t)r, is64_temp(ts), 0 };
            }
        }
    }
    for (unsigned i = 0; i < g->clist_n; i++) {
        TCGTemp *ts = &g->s->temps[g->clist[i]];
        nc += ts->kind == TCG_TEMP_GLOBAL && ts_val(ts) == VAL_CONST && !ts_coherent(ts);
    }
    *out = NULL;
    if (n + nc == 0) {
        return 0;
    }
    X64DirtyGlobal *d = tcg_arena_alloc(g->s, (n + nc) * sizeof(*d));
    memcpy(d, tmp, n * sizeof(*d));
    for (unsigned i = 0; i < g->clist_n; i++) {
        TCGTemp *ts = &g->s->temps[g->clist[i]];
        if (ts->kind == TCG_TEMP_GLOBAL && ts_val(ts) == VAL_CONST && !ts_coherent(ts)) {
            d[n++] = (X64DirtyGlobal){ ts->mem_offset, -1, is64_temp(ts),
                                       g->cval[x64_temp_index(g, ts)] };
        }
    }
    *out = d;
    return n;
}

void x64_ra_sync_all(X64Gen *g, bool tb_temps)
{
    FOR_OWNED(g, r) {
        int t = g->reg_owner[r];
        if (t >= 0) {
            TCGTemp *ts = &g->s->temps[t];
            if ((ts->kind == TCG_TEMP_GLOBAL || (tb_temps && ts->kind == TCG_TEMP_TB)) &&
                !ts_coherent(ts)) {
                g->s->stats.sync_misses++;
                x64_ra_sync(g, ts);
            }
        }
    }
    for (unsigned i = 0; i < g->clist_n; i++) {
        TCGTemp *ts = &g->s->temps[g->clist[i]];
        if (ts_val(ts) == VAL_CONST && !ts_coherent(ts) &&
            (ts->kind == TCG_TEMP_GLOBAL || (tb_temps && ts->kind == TCG_TEMP_TB))) {
            g->s->stats.sync_misses++;
            x64_ra_sync(g, ts);
        }
    }
}

/* A value's state where control flow merges: memory for globals and TB temps,
 * dead for EBB temps, symbolic for constants. */
static void forget(X64Gen *g, TCGTemp *ts)
{
    switch (ts->kind) {
    case TCG_TEMP_FIXED:
        return;
    case TCG_TEMP_CONST:
        if (ts_val(ts) == VAL_REG) {
            clear_owner(g, ts->be_reg);
        }
        ts_set(ts, VAL_CONST, false);
        return;
    case TCG_TEMP_EBB:
        temp_dead(g, ts);
        return;
    default:
        if (ts_val(ts) == VAL_REG) {
            clear_owner(g, ts->be_reg);
        }
        if (ts_val(ts) == VAL_REG || ts_val(ts) == VAL_CONST) {
            ts_set(ts, VAL_MEM, true);
        }
        return;
    }
}

void x64_ra_forget_all(X64Gen *g)
{
    FOR_OWNED(g, r) {
        if (g->reg_owner[r] >= 0) {
            forget(g, &g->s->temps[g->reg_owner[r]]);
        }
    }
    for (unsigned i = 0; i < g->clist_n; i++) {
        TCGTemp *ts = &g->s->temps[g->clist[i]];
        ts->be_state &= ~TS_CLIST;
        if (ts_val(ts) == VAL_CONST) {
            forget(g, ts);
        }
    }
    g->clist_n = 0;
    for (unsigned i = 0; i < g->n_ebb_slotted; i++) {
        TCGTemp *ts = &g->s->temps[g->ebb_slotted[i]];
        if (ts->be_slot >= 0) {
            ebb_slot_free(g, ts);
            ts_set(ts, VAL_DEAD, false);
        }
    }
    g->n_ebb_slotted = 0;
}

void x64_ra_call_clobber(X64Gen *g, const TCGOp *op)
{
    FOR_OWNED(g, r) {
        int t = g->reg_owner[r];
        if (t < 0 || !(X_CALLER_SAVED & RM(r))) {
            continue;
        }
        TCGTemp *u = &g->s->temps[t];
        if (x64_ra_dies(g, op, u)) {
            detach(g, u);
        } else {
            x64_ra_evict(g, r, X_CALLER_SAVED);
        }
    }
}

void x64_ra_drop_globals(X64Gen *g)
{
    FOR_OWNED(g, r) {
        int t = g->reg_owner[r];
        if (t >= 0 && g->s->temps[t].kind == TCG_TEMP_GLOBAL) {
            clear_owner(g, r);
            ts_set(&g->s->temps[t], VAL_MEM, true);
        }
    }
    for (unsigned i = 0; i < g->clist_n; i++) {
        TCGTemp *ts = &g->s->temps[g->clist[i]];
        if (ts->kind == TCG_TEMP_GLOBAL && ts_val(ts) == VAL_CONST) {
            ts_set(ts, VAL_MEM, true);
        }
    }
}

uint16_t x64_ra_owned(X64Gen *g, uint16_t mask)
{
    return (uint16_t)(~g->free_regs & X_ALLOCATABLE & mask);
}

#endif
