/*
 * Interpreter backend, superinstructions: the multi-op IR shapes the x86
 * frontend emits (addressing + TLB offset, flag producers + cc_* stores,
 * compare + branch block ends, 32-bit forms) as one bytecode each with exact
 * IR semantics (tcg/README.md "Interpreter fusions"; layouts in bytecode.h).
 * Other shapes are left to emit.c, one op at a time.
 */
#include <string.h>

#include "../exec.h"
#include "emit_int.h"

/* ld_i32 t, env, off; brcond_i32 t, 0, ne/eq, L with t dying there (every
 * block's exit-request check): one instruction. */
bool interp_fuse_env_test(Emitter *e, TCGOp *op)
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
    interp_sync_point(e);
    uint16_t u[5];
    size_t start = e->pos;
    u[0] = br->args[2] == TCG_COND_NE ? BC_BRENVNZ32 : BC_BRENVZ32;
    interp_set_imm32(u + 1, (uint32_t)op->args[2]);
    interp_put(e, u, 5);
    interp_branch_to(e, tcg_arg_label(br->args[3]), start, start + 3);
    interp_op_done(e, op);
    interp_op_done(e, br);
    interp_consume(e, br);
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
        sh->val > 63 || !interp_fits_imm(&s->temps[add->args[2]])) {
        return false;
    }
    uint16_t u[6];
    u[2] = interp_in_slot(e, op->args[1]);
    interp_op_done(e, op);
    e->cur = add;
    u[1] = interp_out_slot(e, add->args[0]);
    u[0] = BC_LEA_64;
    u[3] = (uint16_t)sh->val;
    interp_set_imm32(u + 4, (uint32_t)s->temps[add->args[2]].val);
    interp_put_out(e, u, 6);
    interp_op_done(e, add);
    interp_consume(e, add);
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
    interp_put(e, u, len + 8);
    interp_branch_to(e, l, start, start + exit_at);
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
    return interp_bc_guest_tlb(TCG_MEMOP_IDX_MEMOP(g->args[2]), g->opc == INDEX_op_guest_ld,
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
    if (interp_fits_imm((TCGTemp *)ts) && at->disp == 0) {
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
    interp_sync_dirty(e);
    uint16_t u[13];
    u[2] = at.has_base ? interp_in_slot(e, at.base) : (uint16_t)(e->base + BC_ZERO_SLOT);
    u[3] = at.has_index ? interp_in_slot(e, at.index) : (uint16_t)(e->base + BC_ZERO_SLOT);
    u[4] = (uint16_t)at.sh;
    interp_set_imm32(u + 5, (uint32_t)at.disp);
    u[7] = (uint16_t)g->args[2];
    u[8] = interp_tlb_unit(g->args[2]);
    interp_set_imm64(u + 9, (uint64_t)(uintptr_t)(ld ? (void (*)(void))s->mem_ops->load
                                                     : (void (*)(void))s->mem_ops->store));
    if (!ld) {
        u[1] = interp_in_slot(e, g->args[0]);
    }
    for (unsigned i = 0; i < n; i++) {
        interp_op_done(e, ops[i]);
        if (i) {
            interp_consume(e, ops[i]);
        }
    }
    e->cur = g;
    if (ld) {
        u[1] = interp_out_slot(e, g->args[0]);
    }
    u[0] = (uint16_t)(q - (ld ? BC_QLD_UB : BC_QST_8) + (ld ? BC_QLDX_UB : BC_QSTX_8));
    if (ld) {
        interp_put_out(e, u, 13);
    } else {
        interp_put(e, u, 13);
    }
    interp_op_done(e, g);
    interp_consume(e, g);
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
           !interp_resident(e, dst) && tcg_op_sync(op, 0) && tcg_op_dead(op, 0) &&
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
    return (ts->be_aux & TA_LOW32) ? -1 : interp_cur_slot(e, x);
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
        !interp_resident(e, &s->temps[mv->args[0]])) {
        return false;
    }
    TCGTemp *tb = &s->temps[b];
    bool imm = interp_fits_imm(tb);
    if (tb->kind == TCG_TEMP_CONST && !imm) {
        return false;
    }
    /* "mov g, d" right after (d dying): d straight into g, as emit.c's find_retarget
     * would if the mov in between did not read g (the fused op reads first). */
    TCGOp *mg = next_code_op(e, mv);
    TCGTemp *td = &s->temps[d];
    if (mg && mg->opc == INDEX_op_mov && mg->args[1] == d && tcg_op_dead(mg, 1) &&
        td->kind == TCG_TEMP_EBB && td->be_slot < 0 && e->nfolded < RETARGET_MAX &&
        interp_resident(e, &s->temps[mg->args[0]]) && mg->args[0] != mv->args[0]) {
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
            interp_cur_slot(e, hoist[i]->args[1]) >= 0 &&
            !(s->temps[hoist[i]->args[1]].be_aux & TA_LOW32)) {
            xext = hoist[i];
        }
    }
    for (unsigned i = 0; i < nh; i++) {   /* ahead: they read none of ours */
        if (hoist[i] != xext) {
            interp_emit_op(e, hoist[i]);
            interp_consume(e, hoist[i]);
        }
    }
    e->cur = ext ? ext : op;
    uint16_t u[32];
    uint16_t sb = imm ? 0 : interp_in_slot(e, b);
    uint16_t sa = interp_in_slot(e, a);
    u[1] = interp_out_slot(e, d);   /* may be a later "mov g, d"'s g, folded */
    u[2] = sa;
    unsigned n;
    if (imm) {
        u[3] = (uint16_t)ss;
        u[4] = (uint16_t)w;
        interp_set_imm32(u + 5, (uint32_t)tb->val);
        n = 7;
    } else {
        u[3] = sb;
        u[4] = (uint16_t)ss;
        u[5] = (uint16_t)w;
        n = 6;
    }
    if (with_st) {
        interp_set_imm32(u + n, (uint32_t)s->temps[st->args[0]].mem_offset);
        interp_set_imm32(u + n + 2, (uint32_t)s->temps[st->args[1]].val);
        n += 4;
    }
    int sx = -1, sy = -1, xm = 0;
    if (br) {
        if (xext) {
            /* its source read after our writes: must not be one of them */
            sx = interp_cur_slot(e, xext->args[1]);
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
        interp_emit_op(e, xext);   /* not folded after all: still ahead of us */
        interp_consume(e, xext);
        xext = NULL;
        sx = branch_slot(e, br->args[0], imm, b, ss);
        xm = 0;
    }
    if (br && sx >= 0 && sy >= 0) {
        interp_sync_point(e);
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
        interp_op_done(e, xext);
        interp_consume(e, xext);
    }
    interp_op_done(e, op);
    if (ext) {
        interp_op_done(e, ext);
        interp_consume(e, ext);
    }
    interp_op_done(e, mv);
    interp_consume(e, mv);
    if (with_st) {
        TCGTemp *g = &s->temps[st->args[0]];
        g->be_state &= ~(uint32_t)(GS_LOADED | GS_DIRTY);
        interp_inputs_done(e, st);
        interp_compact_loaded(e);
        interp_consume(e, st);
    }
    if (br) {
        interp_op_done(e, br);
        interp_consume(e, br);
        put_brtb(e, u, n + 2, n, tcg_arg_label(br->args[3]), m, nn);
    } else {
        interp_put_out(e, u, n);
    }
    return true;
}

/* Extensions whose result depends on the low 32 bits of their input only. */
bool interp_low32_ext(const TCGOp *op)
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
bool interp_low32_and(const Emitter *e, const TCGOp *op)
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

/* Would o, as interp_emit_op emits it, use only the low 32 bits of its input t? */
static bool low32_reader(const Emitter *e, TCGOp *o)
{
    return interp_low32_ext(o) || interp_low32_and(e, o) || op32_ext(e, o);
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
    if (!rename && !interp_resident(e, tx)) {
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
    interp_op_done(e, op);
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
        int gslot = interp_resident(e, g) ? (int)(g->mem_offset / 8) : -1;
        if ((mv->args[1] == out->args[0] || interp_cur_slot(e, mv->args[1]) == (int)tslot) &&
            gslot >= 0 && gslot != (int)tslot) {
            if (skip) {
                /* the mov passed over must not see g written early */
                TCGOp *prev = next_code_op(e, out);
                if (prev->args[0] == mv->args[0] || prev->args[1] == mv->args[0] ||
                    interp_cur_slot(e, prev->args[1]) == gslot ||
                    interp_cur_slot(e, prev->args[0]) == (int)tslot) {
                    return NULL;
                }
            }
            return mv;
        }
        if (!interp_resident(e, g)) {
            return NULL;
        }
        mv = next_code_op(e, mv);
    }
    return NULL;
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
            !interp_resident(e, &e->s->temps[mg->args[0]])) {
            return false;
        }
    }
    uint16_t u[7];
    u[0] = mg ? BC_ROTDEP_M_64 : BC_ROTDEP_64;
    u[2] = interp_in_slot(e, o[5]->args[1]);
    u[3] = interp_in_slot(e, op->args[1]);
    u[4] = (uint16_t)w;
    u[5] = (uint16_t)k;
    for (int i = 0; i < 5; i++) {
        interp_op_done(e, o[i]);
        if (i) {
            interp_consume(e, o[i]);
        }
    }
    e->cur = o[5];
    u[1] = interp_out_slot(e, o[5]->args[0]);
    if (mg) {
        u[6] = (uint16_t)(e->s->temps[mg->args[0]].mem_offset / 8);
    }
    interp_put_out(e, u, mg ? 7 : 6);
    if (mg && u[6] == u[1]) {
        e->acc_slot = -1;   /* the slot got the rotated value last */
    }
    interp_op_done(e, o[5]);
    interp_consume(e, o[5]);
    if (mg) {
        interp_op_done(e, mg);
        interp_consume(e, mg);
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
        (bc = interp_bc_unary((TCGOpcode)n2->opc, true)) < 0) {
        return false;
    }
    uint16_t u[3];
    e->allow_low32 = interp_low32_ext(n2);
    u[2] = interp_in_slot(e, op->args[1]);
    e->allow_low32 = false;
    interp_op_done(e, op);
    e->cur = n2;
    u[1] = interp_out_slot(e, n2->args[0]);
    u[0] = (uint16_t)bc;
    interp_put_out(e, u, 3);
    interp_op_done(e, n2);
    interp_consume(e, n2);
    return true;
}

/* "sextract t, a, 0, len; brcond t, a, eq/ne, L" (t dying): BRSEXT. */
bool interp_fuse_brsext(Emitter *e, TCGOp *op)
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
    u[1] = interp_in_slot(e, x);
    interp_op_done(e, op);
    interp_sync_point(e);
    size_t start = e->pos;
    u[0] = br->args[2] == TCG_COND_EQ ? BC_BRSEXTEQ : BC_BRSEXTNE;
    u[2] = (uint16_t)op->args[3];
    interp_put(e, u, 5);
    interp_branch_to(e, tcg_arg_label(br->args[3]), start, start + 3);
    interp_op_done(e, br);
    interp_consume(e, br);
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
    bool imm = interp_fits_imm(tb);
    uint16_t u[6];
    uint16_t sb = imm ? 0 : interp_in_slot(e, op->args[2]);
    uint16_t sa = interp_in_slot(e, op->args[1]);
    e->cur = op;
    u[1] = interp_out_slot(e, t);
    e->cur = ext;
    u[2] = interp_out_slot(e, ext->args[0]);
    if (u[1] == u[2]) {
        /* One slot for both (not expected): the op, then the ext32u. */
        unsigned base = interp_bc_binary_base((TCGOpcode)op->opc);
        uint16_t v[5] = { (uint16_t)BC_FAMILY8(base, 1, imm, 0), u[1], sa };
        if (imm) {
            interp_set_imm32(v + 3, (uint32_t)tb->val);
        } else {
            v[3] = sb;
        }
        interp_put(e, v, imm ? 5 : 4);
        uint16_t x[3] = { BC_EXT32U, u[2], u[1] };
        interp_put_out(e, x, 3);
    } else {
        u[0] = (uint16_t)(bc + imm);
        u[3] = sa;
        if (imm) {
            interp_set_imm32(u + 4, (uint32_t)tb->val);
            interp_put_out(e, u, 6);
        } else {
            u[4] = sb;
            interp_put_out(e, u, 5);
        }
    }
    interp_op_done(e, op);
    interp_op_done(e, ext);
    interp_consume(e, ext);
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
bool interp_fuse_mov_lookup(Emitter *e, TCGOp *op)
{
    TCGContext *s = e->s;
    TCGTemp *dst = &s->temps[op->args[0]];
    TCGOp *cl = next_code_op(e, op), *gp;
    if (!interp_resident(e, dst) || !cl || !(gp = lookup_goto_ptr(e, cl))) {
        return false;
    }
    uint16_t u[3];
    u[0] = BC_LOOKUP_GOTO_M;
    u[2] = interp_in_slot(e, op->args[1]);
    u[1] = (uint16_t)(dst->mem_offset / 8);
    interp_op_done(e, op);
    interp_sync_point(e);
    interp_put(e, u, 3);
    interp_op_done(e, cl);
    interp_op_done(e, gp);
    interp_consume(e, cl);
    interp_consume(e, gp);
    interp_unload(e, true);
    return true;
}

/* mov_i32 g, $k as STI32 (x86's cc_op store) right before the block's
 * goto_tb: one GOTO_TBS. */
bool interp_fuse_goto_tbs(Emitter *e, TCGOp *op)
{
    if (!is_sti32(e, op)) {
        return false;
    }
    TCGTemp *dst = &e->s->temps[op->args[0]], *src = &e->s->temps[op->args[1]];
    TCGOp *gt = next_code_op(e, op);
    if (!gt || gt->opc != INDEX_op_goto_tb || e->tb_field[gt->args[0]] >= 0) {
        return false;
    }
    uint16_t u[16];
    dst->be_state &= ~(uint32_t)(GS_LOADED | GS_DIRTY);
    interp_inputs_done(e, op);
    interp_compact_loaded(e);
    interp_sync_point(e);
    interp_set_imm32(u + 1, (uint32_t)dst->mem_offset);
    interp_set_imm32(u + 3, (uint32_t)src->val);
    interp_put_goto_tb(e, u, 5, BC_GOTO_TBS, (unsigned)gt->args[0]);
    interp_consume(e, gt);
    return true;
}

/* "call lookup_tb_ptr; goto_ptr": the jump-cache probe in run.c. */
bool interp_fuse_lookup_goto(Emitter *e, TCGOp *op)
{
    TCGOp *gp = lookup_goto_ptr(e, op);
    if (!gp) {
        return false;
    }
    uint16_t u[1] = { BC_LOOKUP_GOTO };
    interp_sync_point(e);
    interp_put(e, u, 1);
    interp_op_done(e, op);
    interp_op_done(e, gp);
    interp_consume(e, gp);
    interp_unload(e, true);
    return true;
}

/* A brcond ending the block as brtb_match describes, its inputs' slots in
 * u[1] and (unless imm) u[2]: one BRTB holding both goto_tb fields. */
bool interp_fuse_brtb(Emitter *e, TCGOp *op, uint16_t *u, bool imm)
{
    TCGCond c = (TCGCond)op->args[2];
    unsigned m, n;
    if (c == TCG_COND_ALWAYS || c == TCG_COND_NEVER || !brtb_match(e, op, &m, &n)) {
        return false;
    }
    u[0] = (uint16_t)BC_BRTB(c, op->type == TCG_TYPE_I64, imm);
    if (imm) {
        interp_set_imm32(u + 2, (uint32_t)e->s->temps[op->args[1]].val);
    }
    interp_op_done(e, op);
    put_brtb(e, u, BC_BRTB_HEAD(imm), imm ? 4 : 3, tcg_arg_label(op->args[3]), m, n);
    return true;
}

/* A unary op: the shapes starting with an extension. */
bool interp_fuse_ext(Emitter *e, TCGOp *op)
{
    if (op->opc == INDEX_op_ext32u && fuse_low32(e, op)) {
        return true;
    }
    if ((op->opc == INDEX_op_ext16u || op->opc == INDEX_op_ext8u) && fuse_rotdep(e, op)) {
        return true;
    }
    return fuse_ext_ext(e, op);
}

/* A binary op (base: its bytecode family), in the order the shapes overlap. */
bool interp_fuse_binary(Emitter *e, TCGOp *op, unsigned base)
{
    bool is64 = op->type == TCG_TYPE_I64;
    if (op->opc == INDEX_op_sub && e->in_env && fuse_submov(e, op)) {
        return true;
    }
    TCGOp *ext = op32_ext(e, op);
    if (ext) {
        /* "op t, a, b; ext32u d, t": the 32-bit form into d. */
        interp_emit_binary(e, op, base, false, ext, true);
        return true;
    }
    if (fuse_binary_z(e, op)) {
        return true;
    }
    if ((op->opc == INDEX_op_shl || op->opc == INDEX_op_add) && is64 && fuse_guest_addr(e, op)) {
        return true;
    }
    return op->opc == INDEX_op_shl && is64 && fuse_lea(e, op);
}

/*
 * From interp_emit_binary, with u[1] = the result's slot and the inputs'
 * slots sa, sb (the constant if imm): "op t, a, b; [ext32u t, t;] mov g, t"
 * as one D or W op writing t and g.
 */
bool interp_fuse_binary_mov(Emitter *e, const TCGOp *op, TCGOp *out, uint16_t *u, uint16_t sa,
                            uint16_t sb, bool imm, bool is64)
{
    TCGContext *s = e->s;
    TCGOp *mv = second_mov(e, op, out, u[1]);
    if (!mv) {
        return false;
    }
    u[0] = (uint16_t)(binary2_bc(op->opc) - BC_ADDZ_64 + (is64 ? BC_ADDD_64 : BC_ADDW_64) + imm);
    u[2] = (uint16_t)(s->temps[mv->args[0]].mem_offset / 8);
    u[3] = sa;
    if (imm) {
        interp_set_imm32(u + 4, (uint32_t)s->temps[op->args[2]].val);
    } else {
        u[4] = sb;
    }
    interp_put_out(e, u, imm ? 6 : 5);
    interp_op_done(e, op);
    if (out != op) {
        interp_op_done(e, out);
        interp_consume(e, out);
    }
    interp_op_done(e, mv);
    interp_consume(e, mv);
    return true;
}
