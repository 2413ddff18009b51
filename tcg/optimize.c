/*
 * IR optimizer, one forward pass per block: copy and constant propagation
 * (rings of temps known to hold the same value, forgotten at labels),
 * constant folding, algebraic identities, branch folding; then removal of
 * unreachable code and unused labels; known-zero bits per temp (which bits
 * may be set), so zero-extensions and masks of values already narrow become
 * copies; common subexpressions among the last few pure ops. Dead results
 * are removed later by the backward liveness pass.
 * Leaves out: known-one bits, flag analysis.
 */
#include <string.h>

#include "tcg.h"
#include "helper.h"

#define I32 TCG_TYPE_I32
#define I64 TCG_TYPE_I64

/* ---- copy rings ---- */

#define ALWAYS_INLINE inline __attribute__((always_inline))

static uint64_t type_mask(uint8_t type) { return type == I32 ? UINT32_MAX : UINT64_MAX; }

/* What is known of a temp outside the current epoch: no copies; for a
 * constant its bits, else nothing. */
static ALWAYS_INLINE uint64_t initial_zmask(const TCGTemp *ts)
{
    return ts->kind == TCG_TEMP_CONST ? ts->val & type_mask(ts->type) : type_mask(ts->type);
}

static ALWAYS_INLINE TCGTemp *ring_init(TCGContext *s, int t)
{
    TCGTemp *ts = &s->temps[t];
    if (ts->opt_epoch != s->opt_epoch) {
        ts->opt_epoch = s->opt_epoch;
        ts->opt_prev = ts->opt_next = t;
        ts->opt_zmask = initial_zmask(ts);
    }
    return ts;
}

/* t is redefined: out of its ring, nothing known (a constant keeps its bits). */
static ALWAYS_INLINE void temp_reset(TCGContext *s, int t)
{
    TCGTemp *ts = &s->temps[t];
    ts->opt_gen++;
    if (ts->opt_epoch != s->opt_epoch) {
        ts->opt_epoch = s->opt_epoch;
        ts->opt_prev = ts->opt_next = t;
    } else if (ts->opt_next != t) {
        s->temps[ts->opt_prev].opt_next = ts->opt_next;
        s->temps[ts->opt_next].opt_prev = ts->opt_prev;
        ts->opt_prev = ts->opt_next = t;
    }
    ts->opt_zmask = initial_zmask(ts);
}

/* Bits of t's value that may be set (the others are known zero). */
static ALWAYS_INLINE uint64_t zmask(TCGContext *s, TCGArg t)
{
    return ring_init(s, (int)t)->opt_zmask;
}

/* dst (just reset) now holds the same value as src. */
static ALWAYS_INLINE void ring_join(TCGContext *s, int dst, int src)
{
    TCGTemp *d = ring_init(s, dst), *r = ring_init(s, src);
    if (d->type != r->type || dst == src) {
        return;
    }
    d->opt_next = r->opt_next;
    d->opt_prev = src;
    s->temps[r->opt_next].opt_prev = dst;
    r->opt_next = dst;
    d->opt_zmask = r->opt_zmask;
}

/* Representative: constants, then env/globals, then EBB temps, then TB
 * temps. Within an epoch every member is valid; an EBB temp before a TB temp
 * leaves the TB copy (made for a later label) unread here, so liveness can
 * drop it when no label needs it. */
static int kind_rank(uint8_t kind)
{
    static const uint8_t rank[] = {
        [TCG_TEMP_EBB] = 1, [TCG_TEMP_TB] = 0, [TCG_TEMP_GLOBAL] = 2,
        [TCG_TEMP_FIXED] = 3, [TCG_TEMP_CONST] = 4,
    };
    return rank[kind];
}

static int best_copy_ring(TCGContext *s, int t)
{
    TCGTemp *ts = &s->temps[t];
    int best = t, rank = kind_rank(ts->kind);
    for (int i = ts->opt_next; i != t && rank < 4; i = s->temps[i].opt_next) {
        int r = kind_rank(s->temps[i].kind);
        if (r > rank) {
            best = i;
            rank = r;
        }
    }
    return best;
}

/* A temp with no known copy (stale epoch, or alone in its ring) is its own
 * representative: the common case, decided without touching the ring. */
static inline int best_copy(TCGContext *s, int t)
{
    const TCGTemp *ts = &s->temps[t];
    if (ts->opt_epoch != s->opt_epoch || ts->opt_next == t) {
        return t;
    }
    return best_copy_ring(s, t);
}

static void reset_globals(TCGContext *s)
{
    for (int g = 1; g < s->nb_globals; g++) {
        temp_reset(s, g);
    }
}

static bool is_const(TCGContext *s, TCGArg a) { return s->temps[a].kind == TCG_TEMP_CONST; }
static uint64_t const_val(TCGContext *s, TCGArg a) { return s->temps[a].val; }

/* ---- evaluation (independent of the interpreter: the tests compare the two) ---- */

static uint64_t mask_type(TCGType type, uint64_t v) { return type == I32 ? (uint32_t)v : v; }

/* Whether cond(a, b) is known: 1 true, 0 false, -1 unknown. */
static int fold_cond(TCGContext *s, TCGCond c, TCGType type, TCGArg a, TCGArg b)
{
    if (c == TCG_COND_ALWAYS || c == TCG_COND_NEVER) {
        return c == TCG_COND_ALWAYS;
    }
    if (is_const(s, a) && is_const(s, b)) {
        return tcg_cond_eval(c, type, const_val(s, a), const_val(s, b));
    }
    if (a == b) {
        switch (c) {
        case TCG_COND_EQ: case TCG_COND_GE: case TCG_COND_LE:
        case TCG_COND_GEU: case TCG_COND_LEU:
            return 1;
        case TCG_COND_NE: case TCG_COND_LT: case TCG_COND_GT:
        case TCG_COND_LTU: case TCG_COND_GTU:
            return 0;
        default:
            return -1;
        }
    }
    if (is_const(s, b) && const_val(s, b) == 0) {
        switch (c) {
        case TCG_COND_LTU: case TCG_COND_TSTNE: return 0;
        case TCG_COND_GEU: case TCG_COND_TSTEQ: return 1;
        default: return -1;
        }
    }
    return -1;
}

static uint64_t bswap_n(uint64_t v, int bytes)
{
    uint64_t r = 0;
    for (int i = 0; i < bytes; i++) {
        r = (r << 8) | ((v >> (8 * i)) & 0xff);
    }
    return r;
}

/* Fold a one- or two-input op on constants; false if it cannot be folded. */
static bool fold_value(TCGOpcode opc, TCGType type, uint64_t x, uint64_t y, uint64_t *out)
{
    unsigned width = type == I32 ? 32 : 64;
    uint64_t ux = mask_type(type, x), uy = mask_type(type, y);
    int64_t sx = type == I32 ? (int32_t)x : (int64_t)x;
    int64_t sy = type == I32 ? (int32_t)y : (int64_t)y;
    unsigned sh = (unsigned)(y & (width - 1));
    uint64_t r;
    switch (opc) {
    case INDEX_op_add: r = x + y; break;
    case INDEX_op_sub: r = x - y; break;
    case INDEX_op_mul: r = x * y; break;
    case INDEX_op_and: r = x & y; break;
    case INDEX_op_or: r = x | y; break;
    case INDEX_op_xor: r = x ^ y; break;
    case INDEX_op_andc: r = x & ~y; break;
    case INDEX_op_orc: r = x | ~y; break;
    case INDEX_op_not: r = ~x; break;
    case INDEX_op_neg: r = -x; break;
    case INDEX_op_shl: r = ux << sh; break;
    case INDEX_op_shr: r = ux >> sh; break;
    case INDEX_op_sar: r = (uint64_t)(sx >> sh); break;
    case INDEX_op_rotl: r = sh ? (ux << sh) | (ux >> (width - sh)) : ux; break;
    case INDEX_op_rotr: r = sh ? (ux >> sh) | (ux << (width - sh)) : ux; break;
    case INDEX_op_divu: case INDEX_op_remu:
        if (uy == 0) {
            return false;
        }
        r = opc == INDEX_op_divu ? ux / uy : ux % uy;
        break;
    case INDEX_op_divs: case INDEX_op_rems:
        if (sy == 0 || (sy == -1 && sx == (type == I32 ? INT32_MIN : INT64_MIN))) {
            return false;   /* the frontend promised this never runs; leave it */
        }
        r = (uint64_t)(opc == INDEX_op_divs ? sx / sy : sx % sy);
        break;
    case INDEX_op_ext8s: r = (uint64_t)(int64_t)(int8_t)x; break;
    case INDEX_op_ext8u: r = (uint8_t)x; break;
    case INDEX_op_ext16s: r = (uint64_t)(int64_t)(int16_t)x; break;
    case INDEX_op_ext16u: r = (uint16_t)x; break;
    case INDEX_op_ext32s: case INDEX_op_exts_i32_i64: r = (uint64_t)(int64_t)(int32_t)x; break;
    case INDEX_op_ext32u: case INDEX_op_extu_i32_i64: case INDEX_op_extrl_i64_i32:
        r = (uint32_t)x;
        break;
    case INDEX_op_extrh_i64_i32: r = x >> 32; break;
    case INDEX_op_concat_i32_i64: r = (uint32_t)x | (y << 32); break;
    case INDEX_op_bswap16: r = bswap_n(x, 2); break;
    case INDEX_op_bswap32: r = bswap_n(x, 4); break;
    case INDEX_op_bswap64: r = bswap_n(x, 8); break;
    case INDEX_op_ctpop: r = (uint64_t)__builtin_popcountll(ux); break;
    case INDEX_op_clz:
        r = ux ? (uint64_t)(__builtin_clzll(ux) - (64 - width)) : y;
        break;
    case INDEX_op_ctz: r = ux ? (uint64_t)__builtin_ctzll(ux) : y; break;
    default:
        return false;
    }
    *out = r;
    return true;
}

/* ---- rewriting ops ---- */

static void set_mov(TCGOp *op, TCGType type, TCGArg dst, TCGArg src)
{
    op->opc = INDEX_op_mov;
    op->type = (uint8_t)type;
    op->nb_oargs = 1;
    op->nb_iargs = 1;
    op->nb_cargs = 0;
    op->args[0] = dst;
    op->args[1] = src;
}

/* Turn op into "mov dst, src" (src already canonical) and record the copy. */
static ALWAYS_INLINE void fold_to_copy(TCGContext *s, TCGOp *op, TCGArg dst, TCGArg src)
{
    if (dst == src) {
        tcg_op_remove(s, op);
        return;
    }
    set_mov(op, (TCGType)s->temps[dst].type, dst, src);
    temp_reset(s, (int)dst);
    ring_join(s, (int)dst, (int)src);
}

static void fold_to_const(TCGContext *s, TCGOp *op, TCGArg dst, uint64_t v)
{
    fold_to_copy(s, op, dst, tcg_constant_temp((TCGType)s->temps[dst].type, v));
}

/* Double-word results: op becomes "mov lo", a new op after it "mov hi". */
static void fold_to_const2(TCGContext *s, TCGOp *op, TCGType type, uint64_t lo, uint64_t hi)
{
    TCGArg rl = op->args[0], rh = op->args[1];
    TCGOp *op2 = tcg_op_insert_after(s, op, INDEX_op_mov, type);
    set_mov(op2, type, rh, tcg_constant_temp(type, hi));
    set_mov(op, type, rl, tcg_constant_temp(type, lo));
    temp_reset(s, (int)rl);
    ring_join(s, (int)rl, (int)op->args[1]);
    temp_reset(s, (int)rh);
    ring_join(s, (int)rh, (int)op2->args[1]);
}

static void swap_args(TCGOp *op, int i, int j)
{
    TCGArg t = op->args[i];
    op->args[i] = op->args[j];
    op->args[j] = t;
}

/* Constant to the second input, which backends and the identities expect. */
static void canonicalize(TCGContext *s, TCGOp *op)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    int i = op->nb_oargs;
    switch (op->opc) {
    case INDEX_op_setcond: case INDEX_op_negsetcond:
    case INDEX_op_brcond: case INDEX_op_movcond: {
        int c = op->opc == INDEX_op_brcond ? 2 : op->opc == INDEX_op_movcond ? 5 : 3;
        if (is_const(s, op->args[i]) && !is_const(s, op->args[i + 1])) {
            swap_args(op, i, i + 1);
            op->args[c] = tcg_swap_cond((TCGCond)op->args[c]);
        }
        return;
    }
    default:
        if ((def->flags & TCG_OPF_COMMUTATIVE) &&
            is_const(s, op->args[i]) && !is_const(s, op->args[i + 1])) {
            swap_args(op, i, i + 1);
        }
        return;
    }
}

static int64_t sext(uint64_t v, unsigned len) { return (int64_t)(v << (64 - len)) >> (64 - len); }

/* Algebraic identities on partly-constant or repeated inputs. true if op was rewritten. */
static bool fold_identity(TCGContext *s, TCGOp *op)
{
    TCGType type = (TCGType)op->type;
    uint64_t ones = type == I32 ? UINT32_MAX : UINT64_MAX;
    TCGArg r = op->args[0], a = op->args[1], b = op->args[2];
    bool bc = is_const(s, b);
    uint64_t bv = bc ? const_val(s, b) : 0;
    switch (op->opc) {
    case INDEX_op_add: case INDEX_op_or: case INDEX_op_xor:
    case INDEX_op_shl: case INDEX_op_shr: case INDEX_op_sar:
    case INDEX_op_rotl: case INDEX_op_rotr: case INDEX_op_sub:
        if (bc && bv == 0) {
            fold_to_copy(s, op, r, a);
            return true;
        }
        if (is_const(s, a) && const_val(s, a) == 0 && op->opc != INDEX_op_add &&
            op->opc != INDEX_op_or && op->opc != INDEX_op_xor && op->opc != INDEX_op_sub) {
            fold_to_const(s, op, r, 0);    /* shifting or rotating zero */
            return true;
        }
        if (op->opc == INDEX_op_sub && is_const(s, a) && const_val(s, a) == 0) {
            op->opc = INDEX_op_neg;
            op->nb_iargs = 1;
            op->args[1] = b;
            temp_reset(s, (int)r);
            return true;
        }
        if (a == b && (op->opc == INDEX_op_sub || op->opc == INDEX_op_xor)) {
            fold_to_const(s, op, r, 0);
            return true;
        }
        if (a == b && op->opc == INDEX_op_or) {
            fold_to_copy(s, op, r, a);
            return true;
        }
        if (bc && bv == ones && op->opc == INDEX_op_or) {
            fold_to_const(s, op, r, ones);
            return true;
        }
        return false;
    case INDEX_op_and:
        if ((bc && bv == ones) || a == b) {
            fold_to_copy(s, op, r, a);
            return true;
        }
        if (bc && bv == 0) {
            fold_to_const(s, op, r, 0);
            return true;
        }
        return false;
    case INDEX_op_andc:
        if (bc && bv == 0) {
            fold_to_copy(s, op, r, a);
            return true;
        }
        if ((bc && bv == ones) || a == b) {
            fold_to_const(s, op, r, 0);
            return true;
        }
        return false;
    case INDEX_op_orc:
        if (bc && bv == ones) {
            fold_to_copy(s, op, r, a);
            return true;
        }
        if ((bc && bv == 0) || a == b) {
            fold_to_const(s, op, r, ones);
            return true;
        }
        return false;
    case INDEX_op_mul:
        if (bc && bv == 1) {
            fold_to_copy(s, op, r, a);
            return true;
        }
        if (bc && bv == 0) {
            fold_to_const(s, op, r, 0);
            return true;
        }
        return false;
    case INDEX_op_divs: case INDEX_op_divu:
        if (bc && bv == 1) {
            fold_to_copy(s, op, r, a);
            return true;
        }
        return false;
    case INDEX_op_rems: case INDEX_op_remu:
        if (bc && bv == 1) {
            fold_to_const(s, op, r, 0);
            return true;
        }
        return false;
    case INDEX_op_clz: case INDEX_op_ctz:
        if (is_const(s, a) && const_val(s, a) == 0) {
            fold_to_copy(s, op, r, b);   /* fallback, constant or not */
            return true;
        }
        return false;
    default:
        return false;
    }
}

static bool fold_op(TCGContext *s, TCGOp *op)
{
    TCGType type = (TCGType)op->type;
    unsigned width = type == I32 ? 32 : 64;
    TCGArg *args = op->args;
    uint64_t v;
    switch (op->opc) {
    case INDEX_op_setcond: case INDEX_op_negsetcond: {
        int c = fold_cond(s, (TCGCond)args[3], type, args[1], args[2]);
        if (c < 0) {
            return false;
        }
        v = op->opc == INDEX_op_setcond ? (uint64_t)c : (uint64_t)-(int64_t)c;
        fold_to_const(s, op, args[0], mask_type(type, v));
        return true;
    }
    case INDEX_op_movcond: {
        int c = fold_cond(s, (TCGCond)args[5], type, args[1], args[2]);
        if (c >= 0 || args[3] == args[4]) {
            fold_to_copy(s, op, args[0], c == 0 ? args[4] : args[3]);
            return true;
        }
        return false;
    }
    case INDEX_op_deposit: {
        unsigned pos = (unsigned)args[3], len = (unsigned)args[4];
        if (len == width) {
            fold_to_copy(s, op, args[0], args[2]);
            return true;
        }
        if (!is_const(s, args[1]) || !is_const(s, args[2])) {
            return false;
        }
        uint64_t m = (len == 64 ? ~0ull : (1ull << len) - 1) << pos;
        v = (const_val(s, args[1]) & ~m) | ((const_val(s, args[2]) << pos) & m);
        fold_to_const(s, op, args[0], mask_type(type, v));
        return true;
    }
    case INDEX_op_extract: case INDEX_op_sextract: {
        unsigned pos = (unsigned)args[2], len = (unsigned)args[3];
        if (pos == 0 && len == width) {
            fold_to_copy(s, op, args[0], args[1]);
            return true;
        }
        if (!is_const(s, args[1])) {
            return false;
        }
        v = const_val(s, args[1]) >> pos;
        v = op->opc == INDEX_op_extract ? (len == 64 ? v : v & ((1ull << len) - 1))
                                        : (uint64_t)sext(v, len);
        fold_to_const(s, op, args[0], mask_type(type, v));
        return true;
    }
    case INDEX_op_mulu2: case INDEX_op_muls2: {
        if (!is_const(s, args[2]) || !is_const(s, args[3])) {
            return false;
        }
        uint64_t x = const_val(s, args[2]), y = const_val(s, args[3]), lo, hi;
        if (type == I32) {
            uint64_t p = op->opc == INDEX_op_mulu2
                ? (uint64_t)(uint32_t)x * (uint32_t)y
                : (uint64_t)((int64_t)(int32_t)x * (int32_t)y);
            lo = (uint32_t)p;
            hi = (uint32_t)(p >> 32);
        } else if (op->opc == INDEX_op_mulu2) {
            unsigned __int128 p = (unsigned __int128)x * y;
            lo = (uint64_t)p;
            hi = (uint64_t)(p >> 64);
        } else {
            __int128 p = (__int128)(int64_t)x * (int64_t)y;
            lo = (uint64_t)p;
            hi = (uint64_t)((unsigned __int128)p >> 64);
        }
        fold_to_const2(s, op, type, lo, hi);
        return true;
    }
    case INDEX_op_add2: case INDEX_op_sub2: {
        for (int i = 2; i < 6; i++) {
            if (!is_const(s, args[i])) {
                return false;
            }
        }
        uint64_t al = const_val(s, args[2]), ah = const_val(s, args[3]);
        uint64_t bl = const_val(s, args[4]), bh = const_val(s, args[5]), lo, hi;
        if (type == I32) {
            uint64_t x = al | ah << 32, y = bl | bh << 32;
            uint64_t z = op->opc == INDEX_op_add2 ? x + y : x - y;
            lo = (uint32_t)z;
            hi = z >> 32;
        } else {
            unsigned __int128 x = (unsigned __int128)ah << 64 | al;
            unsigned __int128 y = (unsigned __int128)bh << 64 | bl;
            unsigned __int128 z = op->opc == INDEX_op_add2 ? x + y : x - y;
            lo = (uint64_t)z;
            hi = (uint64_t)(z >> 64);
        }
        fold_to_const2(s, op, type, lo, hi);
        return true;
    }
    default:
        break;
    }
    if (op->nb_oargs != 1 || op->nb_iargs == 0 || op->nb_iargs > 2 || op->nb_cargs) {
        return false;
    }
    bool all_const = true;
    for (int i = 1; i <= op->nb_iargs; i++) {
        all_const &= is_const(s, args[i]);
    }
    if (all_const) {
        uint64_t x = const_val(s, args[1]);
        uint64_t y = op->nb_iargs == 2 ? const_val(s, args[2]) : 0;
        if (fold_value((TCGOpcode)op->opc, type, x, y, &v)) {
            fold_to_const(s, op, args[0], mask_type((TCGType)s->temps[args[0]].type, v));
            return true;
        }
        return false;
    }
    return op->nb_iargs == 2 && fold_identity(s, op);
}

/* ---- known-zero bits ---- */

static uint64_t len_mask(unsigned len) { return len >= 64 ? UINT64_MAX : (1ull << len) - 1; }

/* Zero- or sign-extensions (and masks) of a value that is already that
 * narrow are copies. */
static bool fold_narrow(TCGContext *s, TCGOp *op)
{
    uint64_t keep;
    switch (op->opc) {
    case INDEX_op_ext8u: keep = 0xff; break;
    case INDEX_op_ext16u: keep = 0xffff; break;
    case INDEX_op_ext32u: keep = UINT32_MAX; break;
    case INDEX_op_ext8s: keep = 0x7f; break;
    case INDEX_op_ext16s: keep = 0x7fff; break;
    case INDEX_op_ext32s: keep = INT32_MAX; break;
    case INDEX_op_extract:
        if (op->args[2] != 0) {
            return false;
        }
        keep = len_mask((unsigned)op->args[3]);
        break;
    case INDEX_op_sextract:
        if (op->args[2] != 0) {
            return false;
        }
        keep = len_mask((unsigned)op->args[3] - 1);
        break;
    case INDEX_op_and:
        if (!is_const(s, op->args[2])) {
            return false;
        }
        keep = const_val(s, op->args[2]);
        break;
    default:
        return false;
    }
    if (zmask(s, op->args[1]) & ~keep) {
        return false;
    }
    fold_to_copy(s, op, op->args[0], op->args[1]);
    return true;
}

/* extract(x, pos, len) of an x with no bits set above pos + len is a shift
 * (one host instruction, no mask): rewritten in place. */
static void extract_to_shift(TCGContext *s, TCGOp *op)
{
    unsigned pos = (unsigned)op->args[2], len = (unsigned)op->args[3];
    if (op->opc != INDEX_op_extract || pos == 0 || pos + len >= 64 ||
        (zmask(s, op->args[1]) >> (pos + len)) != 0) {
        return;
    }
    op->opc = INDEX_op_shr;
    op->nb_iargs = 2;
    op->nb_cargs = 0;
    op->args[2] = (TCGArg)tcg_constant_temp((TCGType)op->type, pos);
}

/* Which bits of op's (single) result may be set, from its inputs'. */
static uint64_t op_zmask(TCGContext *s, const TCGOp *op)
{
    const TCGArg *a = op->args;
    uint64_t tm = type_mask(s->temps[a[0]].type);
    unsigned width = s->temps[a[0]].type == I32 ? 32 : 64;
    uint64_t r;
    switch (op->opc) {
    case INDEX_op_ext8u: case INDEX_op_ld8u: r = 0xff; break;
    case INDEX_op_ext16u: case INDEX_op_ld16u: case INDEX_op_bswap16: r = 0xffff; break;
    case INDEX_op_ext32u: case INDEX_op_ld32u: case INDEX_op_bswap32: r = UINT32_MAX; break;
    case INDEX_op_extu_i32_i64: case INDEX_op_extrl_i64_i32: r = zmask(s, a[1]) & UINT32_MAX; break;
    case INDEX_op_extrh_i64_i32: r = zmask(s, a[1]) >> 32; break;
    case INDEX_op_concat_i32_i64: r = (zmask(s, a[1]) & UINT32_MAX) | zmask(s, a[2]) << 32; break;
    case INDEX_op_and: r = zmask(s, a[1]) & zmask(s, a[2]); break;
    case INDEX_op_or: case INDEX_op_xor: r = zmask(s, a[1]) | zmask(s, a[2]); break;
    case INDEX_op_andc: r = zmask(s, a[1]); break;
    case INDEX_op_add: {
        uint64_t m = zmask(s, a[1]) | zmask(s, a[2]);
        int hi = m ? 63 - __builtin_clzll(m) : -1;   /* the sum stays below 2^(hi+2) */
        r = hi < 0 ? 0 : hi >= 62 ? UINT64_MAX : len_mask((unsigned)hi + 2);
        break;
    }
    case INDEX_op_shl: case INDEX_op_shr: case INDEX_op_sar: {
        if (!is_const(s, a[2])) {
            r = tm;
            break;
        }
        unsigned sh = (unsigned)(const_val(s, a[2]) & (width - 1));
        uint64_t z = zmask(s, a[1]) & tm;
        if (op->opc == INDEX_op_shl) {
            r = z << sh;
        } else if (op->opc == INDEX_op_shr || !(z >> (width - 1))) {
            r = z >> sh;   /* sar of a value whose sign bit is known clear: shr */
        } else {
            r = tm;
        }
        break;
    }
    case INDEX_op_setcond: r = 1; break;
    case INDEX_op_movcond: r = zmask(s, a[3]) | zmask(s, a[4]); break;
    case INDEX_op_extract: r = (zmask(s, a[1]) >> a[2]) & len_mask((unsigned)a[3]); break;
    case INDEX_op_deposit: {
        uint64_t m = len_mask((unsigned)a[4]) << a[3];
        r = (zmask(s, a[1]) & ~m) | ((zmask(s, a[2]) << a[3]) & m);
        break;
    }
    case INDEX_op_ctpop: r = 127; break;
    case INDEX_op_clz: case INDEX_op_ctz: r = 127 | zmask(s, a[2]); break;
    case INDEX_op_guest_ld: {
        TCGMemOp mo = TCG_MEMOP_IDX_MEMOP(a[2]);
        r = (mo & MO_SIGN) || (mo & MO_SIZE) == MO_64 ? tm : len_mask(8u << (mo & MO_SIZE));
        break;
    }
    default: r = tm; break;
    }
    return r & tm;
}

/* ---- common subexpressions ---- */

/*
 * The last few pure single-output ops, with the generation of each temp
 * they involve: a later op with the same inputs (none redefined since) while
 * the first result still stands is a copy of it. Forgotten at labels.
 * Frontends often recompute the same extension of a register twice in one
 * instruction or two neighbouring ones.
 */
#define CSE_ENTRIES 16
#define CSE_ARGS 6

typedef struct CSEEntry {
    uint32_t epoch;
    uint16_t opc;
    uint8_t type, nargs;
    TCGArg args[CSE_ARGS];     /* output, inputs, constant args */
    uint32_t gens[CSE_ARGS];   /* output and inputs */
} CSEEntry;

static __thread CSEEntry cse_table[CSE_ENTRIES];
static __thread unsigned cse_next;
/* Per opcode, the entries holding it (bit i: cse_table[i]): a lookup looks
 * at those only. Cleared per block, which forgets every entry. */
static __thread uint16_t cse_by_opc[TCG_NB_OPS];

static bool cse_candidate(const TCGOp *op)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    if (op->nb_oargs != 1 || (def->flags & TCG_OPF_SIDE_EFFECTS) ||
        op->nb_oargs + op->nb_iargs + op->nb_cargs > CSE_ARGS) {
        return false;
    }
    switch (op->opc) {
    case INDEX_op_mov: case INDEX_op_call: case INDEX_op_discard:
    case INDEX_op_ld8u: case INDEX_op_ld8s: case INDEX_op_ld16u: case INDEX_op_ld16s:
    case INDEX_op_ld32u: case INDEX_op_ld32s: case INDEX_op_ld:
        return false;   /* host loads may see a store in between */
    default:
        return true;
    }
}

/* Whether an earlier op computed op's value and its result is still there:
 * then op becomes a copy. Otherwise op is remembered (after its output was reset). */
static bool cse_lookup(TCGContext *s, TCGOp *op)
{
    int n = op->nb_oargs + op->nb_iargs + op->nb_cargs;
    for (unsigned m = cse_by_opc[op->opc]; m; m &= m - 1) {
        CSEEntry *c = &cse_table[__builtin_ctz(m)];
        if (c->epoch != s->opt_epoch || c->type != op->type || c->nargs != n) {
            continue;
        }
        bool same = s->temps[c->args[0]].opt_gen == c->gens[0] &&
                    s->temps[c->args[0]].type == s->temps[op->args[0]].type;
        for (int k = 1; k < n && same; k++) {
            same = c->args[k] == op->args[k] &&
                   (k > op->nb_iargs || s->temps[op->args[k]].opt_gen == c->gens[k]);
        }
        if (same) {
            /* Into the same temp, unchanged since: the op goes. */
            fold_to_copy(s, op, op->args[0], c->args[0]);
            return true;
        }
    }
    return false;
}

static void cse_record(TCGContext *s, const TCGOp *op)
{
    int n = op->nb_oargs + op->nb_iargs + op->nb_cargs;
    for (int k = 1; k <= op->nb_iargs; k++) {
        if (op->args[k] == op->args[0]) {
            return;   /* in place: the inputs are gone */
        }
    }
    unsigned slot = cse_next++ % CSE_ENTRIES;
    CSEEntry *c = &cse_table[slot];
    cse_by_opc[c->opc] &= (uint16_t)~(1u << slot);
    cse_by_opc[op->opc] |= (uint16_t)(1u << slot);
    c->epoch = s->opt_epoch;
    c->opc = op->opc;
    c->type = op->type;
    c->nargs = (uint8_t)n;
    /* A fixed-size copy (the args past n are never compared): a loop of
     * n would become a rep movs, slow to start for a few words. */
    _Static_assert(CSE_ARGS <= TCG_MAX_OP_ARGS, "CSE copies the first CSE_ARGS op args");
    memcpy(c->args, op->args, sizeof(c->args));
    for (int k = 0; k < n; k++) {
        c->gens[k] = k <= op->nb_iargs ? s->temps[op->args[k]].opt_gen : 0;
    }
}

/* ---- unreachable code ---- */

static void label_unref(TCGOp *op)
{
    if (op->opc == INDEX_op_br) {
        tcg_arg_label(op->args[0])->refs--;
    } else if (op->opc == INDEX_op_brcond) {
        tcg_arg_label(op->args[3])->refs--;
    }
}

/* The last op before op that emits code or branches (skipping insn_start markers). */
static TCGOp *prev_real(TCGOp *op)
{
    op = op->prev;
    while (op && op->opc == INDEX_op_insn_start) {
        op = op->prev;
    }
    return op;
}

static bool ends_flow(const TCGOp *op)
{
    return op && (op->opc == INDEX_op_br || op->opc == INDEX_op_exit_tb ||
                  op->opc == INDEX_op_goto_ptr);
}

/*
 * A label: drop a branch to it from just before it; a label nothing branches
 * to disappears and what is known carries on through it (the only way in is
 * falling through). Otherwise control flow merges: forget everything.
 * Returns whether the code after it is unreachable.
 */
static bool at_label(TCGContext *s, TCGOp *op)
{
    TCGLabel *l = tcg_arg_label(op->args[0]);
    TCGOp *prev = prev_real(op);
    if (prev && ((prev->opc == INDEX_op_br && tcg_arg_label(prev->args[0]) == l) ||
                 (prev->opc == INDEX_op_brcond && tcg_arg_label(prev->args[3]) == l))) {
        l->refs--;
        tcg_op_remove(s, prev);
        s->stats.ops_folded++;
        prev = prev_real(op);
    }
    if (l->refs == 0) {
        tcg_op_remove(s, op);
        return ends_flow(prev);
    }
    s->opt_epoch++;
    return false;
}

/* ---- the pass ---- */

void tcg_optimize(TCGContext *s)
{
    TCGOp *next;
    /* Code after br/exit_tb/goto_ptr is unreachable up to the next label
     * that something branches to (ends_flow of the last op kept, insn_start
     * markers aside). */
    bool unreachable = false;
    s->opt_epoch++;
    memset(cse_by_opc, 0, sizeof(cse_by_opc));   /* entries of another context or block */
    for (TCGOp *op = s->first_op; op; op = next) {
        next = op->next;
        const TCGOpDef *def = &tcg_op_defs[op->opc];
        int nb_o = op->nb_oargs, nb_i = op->nb_iargs;

        switch (op->opc) {
        case INDEX_op_insn_start:
            continue;   /* stays even where unreachable, so insn indices hold */
        case INDEX_op_set_label:
            unreachable = at_label(s, op);
            continue;
        default:
            break;
        }
        if (unreachable) {
            label_unref(op);
            tcg_op_remove(s, op);
            s->stats.ops_folded++;
            continue;
        }
        /* Fast paths for the frequent ops that nothing below can fold. */
        switch (op->opc) {
        case INDEX_op_discard:
            temp_reset(s, (int)op->args[0]);
            continue;
        case INDEX_op_mov:
            op->args[1] = (TCGArg)best_copy(s, (int)op->args[1]);
            fold_to_copy(s, op, op->args[0], op->args[1]);
            continue;
        case INDEX_op_br: case INDEX_op_exit_tb:
            unreachable = true;
            continue;
        case INDEX_op_goto_ptr:
            unreachable = true;
            op->args[0] = (TCGArg)best_copy(s, (int)op->args[0]);
            continue;
        case INDEX_op_goto_tb: case INDEX_op_mb:
            continue;
        case INDEX_op_st8: case INDEX_op_st16: case INDEX_op_st32: case INDEX_op_st:
        case INDEX_op_guest_st:
            op->args[0] = (TCGArg)best_copy(s, (int)op->args[0]);
            op->args[1] = (TCGArg)best_copy(s, (int)op->args[1]);
            continue;
        case INDEX_op_ld8u: case INDEX_op_ld8s: case INDEX_op_ld16u: case INDEX_op_ld16s:
        case INDEX_op_ld32u: case INDEX_op_ld32s: case INDEX_op_ld: case INDEX_op_guest_ld: {
            op->args[1] = (TCGArg)best_copy(s, (int)op->args[1]);
            uint64_t zm = op_zmask(s, op);
            temp_reset(s, (int)op->args[0]);
            if (s->temps[op->args[0]].kind != TCG_TEMP_CONST) {
                s->temps[op->args[0]].opt_zmask = zm;
            }
            continue;
        }
        default:
            break;
        }
        for (int i = nb_o; i < nb_o + nb_i; i++) {
            op->args[i] = (TCGArg)best_copy(s, (int)op->args[i]);
        }
        if (op->opc == INDEX_op_call) {
            const TCGHelperInfo *info = (const void *)(uintptr_t)op->args[nb_o + nb_i];
            if (!(info->flags & TCG_CALL_NO_WRITE_GLOBALS)) {
                reset_globals(s);
            }
            for (int i = 0; i < nb_o; i++) {
                temp_reset(s, (int)op->args[i]);
            }
            continue;
        }
        canonicalize(s, op);
        if (op->opc == INDEX_op_brcond) {
            int c = fold_cond(s, (TCGCond)op->args[2], (TCGType)op->type, op->args[0], op->args[1]);
            if (c == 1) {
                TCGArg l = op->args[3];
                unreachable = true;
                op->opc = INDEX_op_br;
                op->nb_iargs = 0;
                op->nb_cargs = 1;
                op->args[0] = l;
                s->stats.ops_folded++;
            } else if (c == 0) {
                label_unref(op);
                tcg_op_remove(s, op);
                s->stats.ops_folded++;
            }
            continue;
        }
        extract_to_shift(s, op);
        if (!(def->flags & TCG_OPF_SIDE_EFFECTS) && nb_o > 0 &&
            (fold_op(s, op) || fold_narrow(s, op))) {
            s->stats.ops_folded++;
            continue;
        }
        bool cse = cse_candidate(op);
        if (cse && cse_lookup(s, op)) {
            s->stats.ops_folded++;
            continue;
        }
        uint64_t zm = nb_o == 1 ? op_zmask(s, op) : 0;
        for (int i = 0; i < nb_o; i++) {
            temp_reset(s, (int)op->args[i]);
        }
        if (nb_o == 1 && s->temps[op->args[0]].kind != TCG_TEMP_CONST) {
            s->temps[op->args[0]].opt_zmask = zm;
        }
        if (cse) {
            cse_record(s, op);
        }
    }
}
