/*
 * Liveness, one backward pass per block: removes ops whose results are never
 * used (including PURE helper calls) and annotates each op with the args that
 * die there (TCG_DEAD_ARG) and the outputs that must be written back to their
 * memory slot at once (TCG_SYNC_ARG). Rules: tcg/README.md "Liveness".
 */
#include <string.h>

#include "tcg.h"
#include "helper.h"

enum {
    TS_DEAD = 1,   /* the value is not read again before being redefined */
    TS_MEM  = 2,   /* the value must be in its memory slot (state field / spill slot) */
};

/*
 * TB temps read by no op after the current one. While every branch seen so
 * far goes forward (its label comes later), control never returns to an
 * earlier op, so such a temp is dead at the labels and branches from here
 * on: it needs no memory slot there and its last write can go. After a
 * backward branch, every TB temp counts as read later (the usual rule).
 */
typedef struct LiveTB {
    uint8_t read_later[TCG_MAX_TEMPS];
    uint32_t *label_seen;     /* bitset by label id: its set_label was passed */
    bool backward;            /* a backward branch was passed */
} LiveTB;

static bool tb_live(const LiveTB *lt, int t)
{
    return lt->backward || lt->read_later[t];
}

static void note_branch(LiveTB *lt, const TCGLabel *l)
{
    if (!(lt->label_seen[l->id / 32] & (1u << (l->id % 32)))) {
        lt->backward = true;
    }
}

/* End of a basic block that continues in this TB (a label follows or we branch to one). */
static void bb_end(TCGContext *s, const LiveTB *lt)
{
    for (int t = 1; t < s->nb_temps; t++) {
        TCGTemp *ts = &s->temps[t];
        ts->state = (ts->kind == TCG_TEMP_GLOBAL || (ts->kind == TCG_TEMP_TB && tb_live(lt, t)))
                    ? TS_DEAD | TS_MEM : TS_DEAD;
    }
}

/* The block leaves the TB: only globals survive, in memory. */
static void tb_exit(TCGContext *s)
{
    for (int t = 1; t < s->nb_temps; t++) {
        TCGTemp *ts = &s->temps[t];
        ts->state = ts->kind == TCG_TEMP_GLOBAL ? TS_DEAD | TS_MEM : TS_DEAD;
    }
}

/* A conditional branch: the target wants globals and TB temps in memory,
 * the fall-through path keeps whatever is live. */
static void bb_sync(TCGContext *s, const LiveTB *lt)
{
    for (int t = 1; t < s->nb_temps; t++) {
        TCGTemp *ts = &s->temps[t];
        if (ts->kind == TCG_TEMP_GLOBAL || (ts->kind == TCG_TEMP_TB && tb_live(lt, t))) {
            ts->state |= TS_MEM;
        }
    }
}

/* Guest memory ops: the slow path may fault, so it needs every global's
 * current value; the backend stores the dirty ones only there (the inline
 * fast path cannot fault). So globals are read here, not synced before. */
static void globals_read(TCGContext *s)
{
    for (int t = 1; t < s->nb_globals; t++) {
        s->temps[t].state &= (uint8_t)~TS_DEAD;
    }
}

static void globals_sync(TCGContext *s)
{
    for (int t = 1; t < s->nb_globals; t++) {
        s->temps[t].state |= TS_MEM;
    }
}

/* A callee may change any global: registers die, memory must be current before. */
static void globals_kill(TCGContext *s)
{
    for (int t = 1; t < s->nb_globals; t++) {
        s->temps[t].state = TS_DEAD | TS_MEM;
    }
}

static bool outputs_unused(TCGContext *s, const TCGOp *op)
{
    for (int i = 0; i < op->nb_oargs; i++) {
        if (s->temps[op->args[i]].state != TS_DEAD) {
            return false;
        }
    }
    return true;
}

static TCGLifeData outputs(TCGContext *s, const TCGOp *op, TCGLifeData life)
{
    for (int i = 0; i < op->nb_oargs; i++) {
        TCGTemp *ts = &s->temps[op->args[i]];
        if (ts->state & TS_DEAD) {
            life |= TCG_DEAD_ARG(i);
        }
        if (ts->state & TS_MEM) {
            life |= TCG_SYNC_ARG(i);
        }
        ts->state = TS_DEAD;
    }
    return life;
}

static TCGLifeData inputs(TCGContext *s, const TCGOp *op, TCGLifeData life, LiveTB *lt)
{
    for (int i = op->nb_oargs; i < op->nb_oargs + op->nb_iargs; i++) {
        TCGTemp *ts = &s->temps[op->args[i]];
        if (ts->kind == TCG_TEMP_FIXED) {
            continue;
        }
        lt->read_later[op->args[i]] = 1;
        if (ts->state & TS_DEAD) {
            life |= TCG_DEAD_ARG(i);
            ts->state &= (uint8_t)~TS_DEAD;
        }
    }
    return life;
}

void tcg_liveness(TCGContext *s)
{
    TCGOp *prev;
    static __thread LiveTB lt_store;
    LiveTB *lt = &lt_store;
    uint32_t label_words = (s->nb_labels + 31) / 32;
    uint32_t label_seen[label_words ? label_words : 1];
    memset(lt->read_later, 0, (size_t)s->nb_temps);
    memset(label_seen, 0, sizeof(label_seen));
    lt->label_seen = label_seen;
    lt->backward = false;
    s->temps[TCG_TEMP_ENV].state = 0;
    tb_exit(s);
    for (TCGOp *op = s->last_op; op; op = prev) {
        prev = op->prev;
        TCGLifeData life = 0;
        const TCGOpDef *def = &tcg_op_defs[op->opc];
        switch (op->opc) {
        case INDEX_op_insn_start:
        case INDEX_op_mb:
            break;
        case INDEX_op_set_label: {
            const TCGLabel *l = tcg_arg_label(op->args[0]);
            label_seen[l->id / 32] |= 1u << (l->id % 32);
            bb_end(s, lt);
            break;
        }
        case INDEX_op_br:
            note_branch(lt, tcg_arg_label(op->args[0]));
            bb_end(s, lt);
            break;
        case INDEX_op_goto_tb:
        case INDEX_op_exit_tb:
            tb_exit(s);
            break;
        case INDEX_op_goto_ptr:
            tb_exit(s);
            life = inputs(s, op, life, lt);
            break;
        case INDEX_op_brcond:
            note_branch(lt, tcg_arg_label(op->args[3]));
            /* Backends store what must be in memory before comparing: a TB
             * temp compared here counts as live at the branch. */
            lt->read_later[op->args[0]] = lt->read_later[op->args[1]] = 1;
            bb_sync(s, lt);
            life = inputs(s, op, life, lt);
            break;
        case INDEX_op_discard:
            s->temps[op->args[0]].state = TS_DEAD;
            break;
        case INDEX_op_call: {
            const TCGHelperInfo *info =
                (const void *)(uintptr_t)op->args[op->nb_oargs + op->nb_iargs];
            if ((info->flags & TCG_CALL_PURE) && !(info->flags & TCG_CALL_MAY_RAISE) &&
                outputs_unused(s, op)) {
                tcg_op_remove(s, op);
                s->stats.ops_dead++;
                continue;
            }
            life = outputs(s, op, life);
            if (!(info->flags & TCG_CALL_NO_WRITE_GLOBALS)) {
                globals_kill(s);
            } else if (!(info->flags & TCG_CALL_NO_READ_GLOBALS) ||
                       (info->flags & TCG_CALL_MAY_RAISE)) {
                globals_sync(s);
            }
            life = inputs(s, op, life, lt);
            break;
        }
        default:
            if (!(def->flags & TCG_OPF_SIDE_EFFECTS) && op->nb_oargs && outputs_unused(s, op)) {
                tcg_op_remove(s, op);
                s->stats.ops_dead++;
                continue;
            }
            life = outputs(s, op, life);
            if (def->flags & TCG_OPF_SYNC_GLOBALS) {
                globals_read(s);   /* before inputs: no global dies at the access */
            }
            life = inputs(s, op, life, lt);
            break;
        }
        op->life = life;
    }
}
