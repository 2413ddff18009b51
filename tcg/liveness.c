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
    TS_LISTED = 4, /* an EBB temp or constant on Live.live (see below) */
};

#define GLOBAL_WORDS ((TCG_MAX_GLOBALS + 7) / 8)

/*
 * The pass's state, per temp, in byte arrays of its own rather than in
 * TCGTemp: resets at labels, branches and exits touch globals eight at a
 * time, and the per-op work reads a few bytes instead of a temp each.
 * Globals are temps 1 .. nb_globals - 1 (0 is env, never looked at).
 *
 * TB temps read by no op after the current one (read_later): while every
 * branch seen so far goes forward (its label comes later), control never
 * returns to an earlier op, so such a temp is dead at the labels and branches
 * from here on: it needs no memory slot there and its last write can go.
 * After a backward branch, every TB temp counts as read later (the usual
 * rule).
 *
 * The resets touch only what can differ from their result: globals, the
 * block's TB temps, and the EBB temps and constants an input made live since
 * the last reset (live[]; every other one is DEAD already). No scan of every
 * temp per label or branch.
 */
typedef struct Live {
    union {
        uint8_t st[TCG_MAX_TEMPS];          /* TS_* */
        uint64_t gw[GLOBAL_WORDS];          /* the globals' bytes, eight per word */
    };
    uint8_t kind[TCG_MAX_TEMPS];
    uint8_t read_later[TCG_MAX_TEMPS];
    uint32_t *label_seen;     /* bitset by label id: its set_label was passed */
    bool backward;            /* a backward branch was passed */
    int n_tb, n_live;
    unsigned n_gwords;        /* words of gw holding globals */
    uint64_t glast;           /* byte mask of the globals in the last of them */
    uint16_t tb[TCG_MAX_TEMPS];
    uint16_t live[TCG_MAX_TEMPS];
} Live;
_Static_assert(TCG_MAX_TEMPS <= 65536, "Live lists hold 16-bit temp indexes");

#define BYTES(v) (0x0101010101010101ull * (uint8_t)(v))

/* Byte mask of word i of gw: the last word holds a few globals only. */
static uint64_t gmask(const Live *lt, unsigned i)
{
    return i + 1 < lt->n_gwords ? ~0ull : lt->glast;
}

/* Globals' state = v (env's byte, temp 0, is never read). */
static void globals_set(Live *lt, unsigned v)
{
    for (unsigned i = 0; i < lt->n_gwords; i++) {
        uint64_t m = gmask(lt, i);
        lt->gw[i] = (lt->gw[i] & ~m) | (BYTES(v) & m);
    }
}

static void globals_or(Live *lt, unsigned v)
{
    for (unsigned i = 0; i < lt->n_gwords; i++) {
        lt->gw[i] |= BYTES(v) & gmask(lt, i);
    }
}

static bool tb_live(const Live *lt, int t)
{
    return lt->backward || lt->read_later[t];
}

static void note_branch(Live *lt, const TCGLabel *l)
{
    if (!(lt->label_seen[l->id / 32] & (1u << (l->id % 32)))) {
        lt->backward = true;
    }
}

/* Every EBB temp and constant becomes DEAD. */
static void locals_dead(Live *lt)
{
    for (int i = 0; i < lt->n_live; i++) {
        lt->st[lt->live[i]] = TS_DEAD;
    }
    lt->n_live = 0;
}

/* End of a basic block that continues in this TB (a label follows or we branch to one). */
static void bb_end(Live *lt)
{
    globals_set(lt, TS_DEAD | TS_MEM);
    for (int i = 0; i < lt->n_tb; i++) {
        int t = lt->tb[i];
        lt->st[t] = tb_live(lt, t) ? TS_DEAD | TS_MEM : TS_DEAD;
    }
    locals_dead(lt);
}

/* The block leaves the TB: only globals survive, in memory. */
static void tb_exit(Live *lt)
{
    globals_set(lt, TS_DEAD | TS_MEM);
    for (int i = 0; i < lt->n_tb; i++) {
        lt->st[lt->tb[i]] = TS_DEAD;
    }
    locals_dead(lt);
}

/* A conditional branch: the target wants globals and TB temps in memory,
 * the fall-through path keeps whatever is live. */
static void bb_sync(Live *lt)
{
    globals_or(lt, TS_MEM);
    for (int i = 0; i < lt->n_tb; i++) {
        int t = lt->tb[i];
        if (tb_live(lt, t)) {
            lt->st[t] |= TS_MEM;
        }
    }
}

/* Guest memory ops: the slow path may fault, so it needs every global's
 * current value; the backend stores the dirty ones only there (the inline
 * fast path cannot fault). So globals are read here, not synced before. */
static void globals_read(Live *lt)
{
    for (unsigned i = 0; i < lt->n_gwords; i++) {
        lt->gw[i] &= ~(BYTES(TS_DEAD) & gmask(lt, i));
    }
}

/* A callee may change any global: registers die, memory must be current before. */
static void globals_kill(Live *lt)
{
    globals_set(lt, TS_DEAD | TS_MEM);
}

static inline __attribute__((always_inline)) bool outputs_unused(const Live *lt, const TCGOp *op)
{
    for (int i = 0; i < op->nb_oargs; i++) {
        if ((lt->st[op->args[i]] & (TS_DEAD | TS_MEM)) != TS_DEAD) {
            return false;
        }
    }
    return true;
}

static inline __attribute__((always_inline)) TCGLifeData outputs(Live *lt, const TCGOp *op, TCGLifeData life)
{
    for (int i = 0; i < op->nb_oargs; i++) {
        uint8_t *st = &lt->st[op->args[i]];
        if (*st & TS_DEAD) {
            life |= TCG_DEAD_ARG(i);
        }
        if (*st & TS_MEM) {
            life |= TCG_SYNC_ARG(i);
        }
        *st = TS_DEAD | (*st & TS_LISTED);
    }
    return life;
}

static inline __attribute__((always_inline)) TCGLifeData inputs(Live *lt, const TCGOp *op, TCGLifeData life)
{
    for (int i = op->nb_oargs; i < op->nb_oargs + op->nb_iargs; i++) {
        TCGArg t = op->args[i];
        uint8_t kind = lt->kind[t];
        if (kind == TCG_TEMP_FIXED) {
            continue;
        }
        lt->read_later[t] = 1;
        uint8_t *st = &lt->st[t];
        if (*st & TS_DEAD) {
            life |= TCG_DEAD_ARG(i);
            *st &= (uint8_t)~TS_DEAD;
            if ((kind == TCG_TEMP_EBB || kind == TCG_TEMP_CONST) && !(*st & TS_LISTED)) {
                *st |= TS_LISTED;
                lt->live[lt->n_live++] = (uint16_t)t;
            }
        }
    }
    return life;
}

/*
 * A double-width op whose high output nobody needs becomes the single-width
 * op: the low half of a product, sum or difference does not depend on the
 * high halves of the inputs. The x86 frontend's 64-bit IMUL uses muls2 only
 * for the flags, which are usually overwritten before being read; a plain
 * mul avoids the host's widening multiply and its fixed registers.
 * Returns true if op was changed.
 */
static bool narrow_dead_high(const Live *lt, TCGOp *op)
{
    TCGOpcode opc;
    TCGArg b;
    switch (op->opc) {
    case INDEX_op_mulu2: case INDEX_op_muls2:
        opc = INDEX_op_mul;
        b = op->args[3];
        break;
    case INDEX_op_add2:
        opc = INDEX_op_add;
        b = op->args[4];
        break;
    case INDEX_op_sub2:
        opc = INDEX_op_sub;
        b = op->args[4];
        break;
    default:
        return false;
    }
    if ((lt->st[op->args[1]] & (TS_DEAD | TS_MEM)) != TS_DEAD) {
        return false;
    }
    op->opc = (uint16_t)opc;
    op->args[1] = op->args[2];   /* a, or al */
    op->args[2] = b;             /* b, or bl */
    op->args[3] = op->args[4] = op->args[5] = 0;
    op->nb_oargs = tcg_op_defs[opc].nb_oargs;
    op->nb_iargs = tcg_op_defs[opc].nb_iargs;
    op->nb_cargs = tcg_op_defs[opc].nb_cargs;
    return true;
}

void tcg_liveness(TCGContext *s)
{
    TCGOp *prev;
    static __thread Live lt_store;
    Live *lt = &lt_store;
    uint32_t label_words = (s->nb_labels + 31) / 32;
    uint32_t label_seen[label_words ? label_words : 1];
    int ng = s->nb_globals;
    memset(lt->read_later, 0, (size_t)s->nb_temps);
    memset(label_seen, 0, sizeof(label_seen));
    lt->label_seen = label_seen;
    lt->backward = false;
    lt->n_tb = lt->n_live = 0;
    lt->n_gwords = (unsigned)(ng + 7) / 8;
    lt->glast = ng % 8 ? (1ull << (8 * (ng % 8))) - 1 : ~0ull;
    lt->kind[TCG_TEMP_ENV] = TCG_TEMP_FIXED;
    if (ng > 1) {
        memset(&lt->kind[1], TCG_TEMP_GLOBAL, (size_t)ng - 1);
    }
    for (int t = ng; t < s->nb_temps; t++) {
        uint8_t kind = s->temps[t].kind;
        lt->kind[t] = kind;
        lt->st[t] = TS_DEAD;
        if (kind == TCG_TEMP_TB) {
            lt->tb[lt->n_tb++] = (uint16_t)t;
        }
    }
    tb_exit(lt);
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
            bb_end(lt);
            break;
        }
        case INDEX_op_br:
            note_branch(lt, tcg_arg_label(op->args[0]));
            bb_end(lt);
            break;
        case INDEX_op_goto_tb:
        case INDEX_op_exit_tb:
            tb_exit(lt);
            break;
        case INDEX_op_goto_ptr:
            tb_exit(lt);
            life = inputs(lt, op, life);
            break;
        case INDEX_op_brcond:
            note_branch(lt, tcg_arg_label(op->args[3]));
            /* Backends store what must be in memory before comparing: a TB
             * temp compared here counts as live at the branch. */
            lt->read_later[op->args[0]] = lt->read_later[op->args[1]] = 1;
            bb_sync(lt);
            life = inputs(lt, op, life);
            break;
        case INDEX_op_discard:
            lt->st[op->args[0]] = TS_DEAD | (lt->st[op->args[0]] & TS_LISTED);
            break;
        case INDEX_op_call: {
            const TCGHelperInfo *info =
                (const void *)(uintptr_t)op->args[op->nb_oargs + op->nb_iargs];
            if ((info->flags & TCG_CALL_PURE) && !(info->flags & TCG_CALL_MAY_RAISE) &&
                outputs_unused(lt, op)) {
                tcg_op_remove(s, op);
                s->stats.ops_dead++;
                continue;
            }
            life = outputs(lt, op, life);
            if (!(info->flags & TCG_CALL_NO_WRITE_GLOBALS)) {
                globals_kill(lt);
            } else if (!(info->flags & TCG_CALL_NO_READ_GLOBALS) ||
                       (info->flags & TCG_CALL_MAY_RAISE)) {
                globals_or(lt, TS_MEM);
            }
            life = inputs(lt, op, life);
            break;
        }
        default:
            if (!(def->flags & TCG_OPF_SIDE_EFFECTS) && op->nb_oargs && outputs_unused(lt, op)) {
                tcg_op_remove(s, op);
                s->stats.ops_dead++;
                continue;
            }
            if (op->nb_oargs == 2 && narrow_dead_high(lt, op)) {
                def = &tcg_op_defs[op->opc];
            }
            life = outputs(lt, op, life);
            if (def->flags & TCG_OPF_SYNC_GLOBALS) {
                globals_read(lt);   /* before inputs: no global dies at the access */
            }
            life = inputs(lt, op, life);
            break;
        }
        op->life = life;
    }
}
