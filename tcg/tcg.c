/*
 * Translator core: the per-thread context, its arena (reset per block, so no
 * malloc per op), temps and interned constants, labels, the op list, the
 * tcg_gen_* builder API, the -d op dump and the pass pipeline (tcg_gen_code).
 * Op semantics: tcg/README.md. Leaves out: vector ops, 32-bit hosts.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tcg.h"
#include "helper.h"
#include "backend.h"

const TCGOpDef tcg_op_defs[TCG_NB_OPS] = {
#define DEF(name, oargs, iargs, cargs, flags) [INDEX_op_##name] = { #name, oargs, iargs, cargs, flags },
#include "ops.def"
#undef DEF
};

__thread TCGContext *tcg_ctx;

/* Misuse of the builder API is a bug in the frontend, never a guest action. */
static void __attribute__((noreturn, format(printf, 1, 2))) tcg_bug(const char *fmt, ...);

static void tcg_bug(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mimic: translator bug: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* ---- conditions ---- */

TCGCond tcg_swap_cond(TCGCond c)
{
    static const uint8_t swapped[TCG_COND_COUNT] = {
        [TCG_COND_NEVER] = TCG_COND_NEVER, [TCG_COND_ALWAYS] = TCG_COND_ALWAYS,
        [TCG_COND_EQ] = TCG_COND_EQ, [TCG_COND_NE] = TCG_COND_NE,
        [TCG_COND_LT] = TCG_COND_GT, [TCG_COND_GT] = TCG_COND_LT,
        [TCG_COND_LE] = TCG_COND_GE, [TCG_COND_GE] = TCG_COND_LE,
        [TCG_COND_LTU] = TCG_COND_GTU, [TCG_COND_GTU] = TCG_COND_LTU,
        [TCG_COND_LEU] = TCG_COND_GEU, [TCG_COND_GEU] = TCG_COND_LEU,
        [TCG_COND_TSTEQ] = TCG_COND_TSTEQ, [TCG_COND_TSTNE] = TCG_COND_TSTNE,
    };
    return (TCGCond)swapped[c];
}

const char *tcg_cond_name(TCGCond c)
{
    static const char *const names[TCG_COND_COUNT] = {
        "never", "always", "eq", "ne", "lt", "ge", "le", "gt",
        "ltu", "geu", "leu", "gtu", "tsteq", "tstne",
    };
    return (unsigned)c < TCG_COND_COUNT ? names[c] : "?";
}

/* ---- arena: chunks kept across blocks, bump allocation ---- */

struct TCGArenaChunk {
    TCGArenaChunk *next;
    size_t size;
    _Alignas(16) char data[];
};

#define TCG_ARENA_CHUNK 65536

void *tcg_arena_alloc(TCGContext *s, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if ((size_t)(s->arena_end - s->arena_ptr) < size) {
        TCGArenaChunk *c = s->arena_cur ? s->arena_cur->next : s->arena_first;
        while (c && c->size < size) {
            c = c->next;   /* skip a chunk too small for an odd large request */
        }
        if (!c) {
            size_t csize = size > TCG_ARENA_CHUNK ? size : TCG_ARENA_CHUNK;
            c = malloc(sizeof(*c) + csize);
            if (!c) {
                tcg_bug("out of memory for translation arena");
            }
            c->size = csize;
            /* Append at the end of the chain so reuse order stays stable. */
            c->next = NULL;
            TCGArenaChunk **tail = &s->arena_first;
            while (*tail) {
                tail = &(*tail)->next;
            }
            *tail = c;
        }
        s->arena_cur = c;
        s->arena_ptr = c->data;
        s->arena_end = c->data + c->size;
    }
    void *p = s->arena_ptr;
    s->arena_ptr += size;
    return p;
}

static void arena_reset(TCGContext *s)
{
    s->arena_cur = NULL;
    s->arena_ptr = s->arena_end = NULL;
}

/* ---- context ---- */

#define TCG_TEMP_LIMIT (TCG_MAX_TEMPS - 2)      /* last two: overflow scratch */
#define TCG_OVERFLOW_TEMP(type) (TCG_MAX_TEMPS - 2 + (type))

void tcg_context_init(TCGContext *s, const TCGBackend *backend,
                      const TCGGuestMemoryOps *mem_ops)
{
    memset(s, 0, sizeof(*s));
    s->backend = backend;
    s->mem_ops = mem_ops;
    s->optimize = true;
    s->opt_epoch = 1;
    TCGTemp *env = &s->temps[TCG_TEMP_ENV];
    env->type = TCG_TYPE_I64;
    env->kind = TCG_TEMP_FIXED;
    env->name = "env";
    s->nb_globals = 1;
    for (int t = 0; t < 2; t++) {
        TCGTemp *ov = &s->temps[TCG_OVERFLOW_TEMP(t)];
        ov->type = (uint8_t)t;
        ov->kind = TCG_TEMP_EBB;
    }
    tcg_ctx = s;
    tcg_func_start(s);
}

void tcg_context_destroy(TCGContext *s)
{
    TCGArenaChunk *c = s->arena_first;
    while (c) {
        TCGArenaChunk *next = c->next;
        free(c);
        c = next;
    }
    s->arena_first = NULL;
    arena_reset(s);
    if (tcg_ctx == s) {
        tcg_ctx = NULL;
    }
}

void tcg_func_start(TCGContext *s)
{
    tcg_ctx = s;
    s->first_op = s->last_op = NULL;
    s->nb_ops = 0;
    s->nb_temps = s->nb_globals;
    s->nb_labels = 0;
    s->nb_insns = 0;
    s->goto_tb_mask = 0;
    s->overflow = false;
    s->gen_ran = false;
    s->const_gen++;
    if (s->const_gen == 0) {   /* wrapped: stale stamps could look current */
        memset(s->const_hash, 0, sizeof(s->const_hash));
        s->const_gen = 1;
    }
    memset(s->free_temps, 0xff, sizeof(s->free_temps));
    arena_reset(s);
}

bool tcg_op_buf_full(void)
{
    TCGContext *s = tcg_ctx;
    return s->nb_ops >= TCG_MAX_OPS_SOFT || s->nb_temps >= TCG_TEMP_LIMIT - 64 || s->overflow;
}

/* ---- temps ---- */

static int temp_alloc(TCGType type, TCGTempKind kind)
{
    TCGContext *s = tcg_ctx;
    if (kind == TCG_TEMP_EBB || kind == TCG_TEMP_TB) {
        int32_t *head = &s->free_temps[type][kind];
        if (*head >= 0) {
            int n = *head;
            *head = s->temps[n].next_free;
            s->temps[n].is_free = 0;
            return n;
        }
    }
    if (s->nb_temps >= TCG_TEMP_LIMIT) {
        s->overflow = true;
        return TCG_OVERFLOW_TEMP(type);
    }
    int n = s->nb_temps++;
    TCGTemp *ts = &s->temps[n];
    memset(ts, 0, sizeof(*ts));
    ts->type = (uint8_t)type;
    ts->kind = (uint8_t)kind;
    return n;
}

static int global_new(TCGType type, intptr_t offset, const char *name)
{
    TCGContext *s = tcg_ctx;
    if (s->nb_temps != s->nb_globals || s->nb_globals >= TCG_MAX_GLOBALS) {
        tcg_bug("globals must be created before any block, at most %d", TCG_MAX_GLOBALS);
    }
    if (offset < 0 || offset > INT32_MAX) {
        tcg_bug("global %s: offset %" PRIdPTR " out of range", name, offset);
    }
    int n = s->nb_globals++;
    s->nb_temps = s->nb_globals;
    TCGTemp *ts = &s->temps[n];
    memset(ts, 0, sizeof(*ts));
    ts->type = (uint8_t)type;
    ts->kind = TCG_TEMP_GLOBAL;
    ts->mem_offset = (int32_t)offset;
    ts->name = name;
    return n;
}

TCGv_i32 tcg_global_mem_new_i32(intptr_t offset, const char *name)
{
    return (TCGv_i32){ global_new(TCG_TYPE_I32, offset, name) };
}

TCGv_i64 tcg_global_mem_new_i64(intptr_t offset, const char *name)
{
    return (TCGv_i64){ global_new(TCG_TYPE_I64, offset, name) };
}

TCGv_i32 tcg_temp_new_i32(void) { return (TCGv_i32){ temp_alloc(TCG_TYPE_I32, TCG_TEMP_EBB) }; }
TCGv_i64 tcg_temp_new_i64(void) { return (TCGv_i64){ temp_alloc(TCG_TYPE_I64, TCG_TEMP_EBB) }; }
TCGv_i32 tcg_temp_new_tb_i32(void) { return (TCGv_i32){ temp_alloc(TCG_TYPE_I32, TCG_TEMP_TB) }; }
TCGv_i64 tcg_temp_new_tb_i64(void) { return (TCGv_i64){ temp_alloc(TCG_TYPE_I64, TCG_TEMP_TB) }; }

static void temp_free(int n)
{
    TCGContext *s = tcg_ctx;
    TCGTemp *ts = &s->temps[n];
    if ((ts->kind != TCG_TEMP_EBB && ts->kind != TCG_TEMP_TB) || n >= TCG_TEMP_LIMIT) {
        return;   /* constants, globals and the overflow scratch are never freed */
    }
    if (ts->is_free) {
        tcg_bug("temp %d freed twice", n);
    }
    ts->is_free = 1;
    ts->next_free = s->free_temps[ts->type][ts->kind];
    s->free_temps[ts->type][ts->kind] = n;
}

void tcg_temp_free_i32(TCGv_i32 t) { temp_free(t.n); }
void tcg_temp_free_i64(TCGv_i64 t) { temp_free(t.n); }

int tcg_constant_temp(TCGType type, uint64_t val)
{
    TCGContext *s = tcg_ctx;
    if (type == TCG_TYPE_I32) {
        val = (uint32_t)val;
    }
    uint64_t h = (val ^ (val >> 29) ^ ((uint64_t)type << 63)) * 0x9e3779b97f4a7c15ull;
    unsigned i = (unsigned)(h >> 51) & (TCG_CONST_HASH_SIZE - 1);
    for (;; i = (i + 1) & (TCG_CONST_HASH_SIZE - 1)) {
        if (s->const_hash[i].gen != s->const_gen) {
            break;
        }
        TCGTemp *ts = &s->temps[s->const_hash[i].temp];
        if (ts->val == val && ts->type == type) {
            return s->const_hash[i].temp;
        }
    }
    int n = temp_alloc(type, TCG_TEMP_CONST);
    if (n >= TCG_TEMP_LIMIT) {
        return n;    /* overflow: translation fails anyway */
    }
    s->temps[n].val = val;
    s->const_hash[i].gen = s->const_gen;
    s->const_hash[i].temp = n;
    return n;
}

TCGv_i32 tcg_constant_i32(int32_t v) { return (TCGv_i32){ tcg_constant_temp(TCG_TYPE_I32, (uint32_t)v) }; }
TCGv_i64 tcg_constant_i64(int64_t v) { return (TCGv_i64){ tcg_constant_temp(TCG_TYPE_I64, (uint64_t)v) }; }

/* ---- op list ---- */

static TCGOp *op_new(TCGContext *s, TCGOpcode opc, TCGType type)
{
    TCGOp *op = tcg_arena_alloc(s, sizeof(TCGOp));
    const TCGOpDef *def = &tcg_op_defs[opc];
    op->opc = (uint16_t)opc;
    op->type = (uint8_t)type;
    op->nb_oargs = def->nb_oargs;
    op->nb_iargs = def->nb_iargs;
    op->nb_cargs = def->nb_cargs;
    op->life = 0;
    s->nb_ops++;
    s->stats.ops_emitted++;
    return op;
}

static TCGOp *emit(TCGOpcode opc, TCGType type)
{
    TCGContext *s = tcg_ctx;
    TCGOp *op = op_new(s, opc, type);
    op->next = NULL;
    op->prev = s->last_op;
    if (s->last_op) {
        s->last_op->next = op;
    } else {
        s->first_op = op;
    }
    s->last_op = op;
    return op;
}

TCGOp *tcg_op_insert_after(TCGContext *s, TCGOp *old, TCGOpcode opc, TCGType type)
{
    TCGOp *op = op_new(s, opc, type);
    op->prev = old;
    op->next = old->next;
    if (old->next) {
        old->next->prev = op;
    } else {
        s->last_op = op;
    }
    old->next = op;
    return op;
}

void tcg_op_remove(TCGContext *s, TCGOp *op)
{
    if (op->prev) {
        op->prev->next = op->next;
    } else {
        s->first_op = op->next;
    }
    if (op->next) {
        op->next->prev = op->prev;
    } else {
        s->last_op = op->prev;
    }
    s->nb_ops--;
}

static void emit1(TCGOpcode opc, TCGType type, TCGArg a0)
{
    TCGOp *op = emit(opc, type);
    op->args[0] = a0;
}

static void emit2(TCGOpcode opc, TCGType type, TCGArg a0, TCGArg a1)
{
    TCGOp *op = emit(opc, type);
    op->args[0] = a0;
    op->args[1] = a1;
}

static void emit3(TCGOpcode opc, TCGType type, TCGArg a0, TCGArg a1, TCGArg a2)
{
    TCGOp *op = emit(opc, type);
    op->args[0] = a0;
    op->args[1] = a1;
    op->args[2] = a2;
}

static void emit4(TCGOpcode opc, TCGType type, TCGArg a0, TCGArg a1, TCGArg a2, TCGArg a3)
{
    TCGOp *op = emit(opc, type);
    op->args[0] = a0;
    op->args[1] = a1;
    op->args[2] = a2;
    op->args[3] = a3;
}

static void emit5(TCGOpcode opc, TCGType type, TCGArg a0, TCGArg a1, TCGArg a2, TCGArg a3,
                  TCGArg a4)
{
    TCGOp *op = emit(opc, type);
    op->args[0] = a0;
    op->args[1] = a1;
    op->args[2] = a2;
    op->args[3] = a3;
    op->args[4] = a4;
}

static void emit6(TCGOpcode opc, TCGType type, TCGArg a0, TCGArg a1, TCGArg a2, TCGArg a3,
                  TCGArg a4, TCGArg a5)
{
    TCGOp *op = emit(opc, type);
    op->args[0] = a0;
    op->args[1] = a1;
    op->args[2] = a2;
    op->args[3] = a3;
    op->args[4] = a4;
    op->args[5] = a5;
}

/* ---- labels and control flow ---- */

TCGLabel *gen_new_label(void)
{
    TCGContext *s = tcg_ctx;
    TCGLabel *l = tcg_arena_alloc(s, sizeof(*l));
    memset(l, 0, sizeof(*l));
    l->id = s->nb_labels++;
    return l;
}

void gen_set_label(TCGLabel *l)
{
    if (l->present) {
        tcg_bug("label L%u set twice", l->id);
    }
    l->present = true;
    emit1(INDEX_op_set_label, TCG_TYPE_I64, (TCGArg)(uintptr_t)l);
}

void tcg_gen_br(TCGLabel *l)
{
    l->refs++;
    emit1(INDEX_op_br, TCG_TYPE_I64, (TCGArg)(uintptr_t)l);
}

static void gen_brcond(TCGCond cond, TCGType type, int a, int b, TCGLabel *l)
{
    if (cond == TCG_COND_ALWAYS) {
        tcg_gen_br(l);
    } else if (cond != TCG_COND_NEVER) {
        l->refs++;
        emit4(INDEX_op_brcond, type, a, b, cond, (TCGArg)(uintptr_t)l);
    }
}

void tcg_gen_brcond_i32(TCGCond c, TCGv_i32 a, TCGv_i32 b, TCGLabel *l) { gen_brcond(c, TCG_TYPE_I32, a.n, b.n, l); }
void tcg_gen_brcond_i64(TCGCond c, TCGv_i64 a, TCGv_i64 b, TCGLabel *l) { gen_brcond(c, TCG_TYPE_I64, a.n, b.n, l); }
void tcg_gen_brcondi_i32(TCGCond c, TCGv_i32 a, int32_t b, TCGLabel *l)
{
    gen_brcond(c, TCG_TYPE_I32, a.n, tcg_constant_temp(TCG_TYPE_I32, (uint32_t)b), l);
}
void tcg_gen_brcondi_i64(TCGCond c, TCGv_i64 a, int64_t b, TCGLabel *l)
{
    gen_brcond(c, TCG_TYPE_I64, a.n, tcg_constant_temp(TCG_TYPE_I64, (uint64_t)b), l);
}

void tcg_gen_insn_start(uint64_t pc, uint64_t extra)
{
    TCGContext *s = tcg_ctx;
    if (s->nb_insns >= TCG_MAX_INSNS) {
        s->overflow = true;
        return;
    }
    s->nb_insns++;
    emit2(INDEX_op_insn_start, TCG_TYPE_I64, pc, extra);
}

void tcg_gen_goto_tb(unsigned slot)
{
    TCGContext *s = tcg_ctx;
    if (slot >= TCG_MAX_GOTO_TB || (s->goto_tb_mask & (1u << slot))) {
        tcg_bug("goto_tb slot %u invalid or used twice", slot);
    }
    s->goto_tb_mask |= 1u << slot;
    emit1(INDEX_op_goto_tb, TCG_TYPE_I64, slot);
}

void tcg_gen_exit_tb(const void *tb, unsigned slot)
{
    if (((uintptr_t)tb & TCG_EXIT_IDX_MASK) || slot > TCG_EXIT_IDX_MASK) {
        tcg_bug("exit_tb: block pointer %p not 4-byte aligned or slot %u > 3", tb, slot);
    }
    emit1(INDEX_op_exit_tb, TCG_TYPE_I64, (TCGArg)((uintptr_t)tb | slot));
}

void tcg_gen_goto_ptr(TCGv_ptr ptr) { emit1(INDEX_op_goto_ptr, TCG_TYPE_I64, ptr.n); }
void tcg_gen_mb(unsigned mb_type) { emit1(INDEX_op_mb, TCG_TYPE_I64, mb_type); }
void tcg_gen_discard_i32(TCGv_i32 t) { emit1(INDEX_op_discard, TCG_TYPE_I32, t.n); }
void tcg_gen_discard_i64(TCGv_i64 t) { emit1(INDEX_op_discard, TCG_TYPE_I64, t.n); }

void tcg_gen_call(const TCGHelperInfo *info, int ret, const int *args)
{
    TCGContext *s = tcg_ctx;
    if (info->nargs > TCG_MAX_HELPER_ARGS || (ret >= 0) != (info->ret != TCG_HELPER_RET_VOID)) {
        tcg_bug("helper %s: bad argument count or return", info->name);
    }
    if (ret >= 0 && !s->overflow &&
        s->temps[ret].type != (info->ret == TCG_HELPER_RET_I32 ? TCG_TYPE_I32 : TCG_TYPE_I64)) {
        tcg_bug("helper %s: return temp has the wrong type", info->name);
    }
    TCGOp *op = emit(INDEX_op_call, TCG_TYPE_I64);
    int n = 0;
    if (ret >= 0) {
        op->args[n++] = ret;
    }
    op->nb_oargs = (uint8_t)n;
    for (int i = 0; i < info->nargs; i++) {
        if (!s->overflow && s->temps[args[i]].type != info->arg_type[i]) {
            tcg_bug("helper %s: argument %d has the wrong type", info->name, i);
        }
        op->args[n++] = args[i];
    }
    op->nb_iargs = info->nargs;
    op->nb_cargs = 1;
    op->args[n] = (TCGArg)(uintptr_t)info;
}

/* ---- moves and arithmetic ---- */

#define I32 TCG_TYPE_I32
#define I64 TCG_TYPE_I64

static int cst(TCGType type, int64_t v) { return tcg_constant_temp(type, (uint64_t)v); }

void tcg_gen_mov_i32(TCGv_i32 r, TCGv_i32 a) { if (r.n != a.n) emit2(INDEX_op_mov, I32, r.n, a.n); }
void tcg_gen_mov_i64(TCGv_i64 r, TCGv_i64 a) { if (r.n != a.n) emit2(INDEX_op_mov, I64, r.n, a.n); }
void tcg_gen_movi_i32(TCGv_i32 r, int32_t v) { emit2(INDEX_op_mov, I32, r.n, cst(I32, (uint32_t)v)); }
void tcg_gen_movi_i64(TCGv_i64 r, int64_t v) { emit2(INDEX_op_mov, I64, r.n, cst(I64, v)); }

/* Width-generic emitters: the i32/i64 pairs below differ only in the type. */
#define GEN_BINARY(name, opc) \
    void tcg_gen_##name##_i32(TCGv_i32 r, TCGv_i32 a, TCGv_i32 b) \
    { emit3(INDEX_op_##opc, I32, r.n, a.n, b.n); } \
    void tcg_gen_##name##_i64(TCGv_i64 r, TCGv_i64 a, TCGv_i64 b) \
    { emit3(INDEX_op_##opc, I64, r.n, a.n, b.n); }
#define GEN_UNARY(name, opc) \
    void tcg_gen_##name##_i32(TCGv_i32 r, TCGv_i32 a) { emit2(INDEX_op_##opc, I32, r.n, a.n); } \
    void tcg_gen_##name##_i64(TCGv_i64 r, TCGv_i64 a) { emit2(INDEX_op_##opc, I64, r.n, a.n); }

GEN_BINARY(add, add) GEN_BINARY(sub, sub) GEN_BINARY(mul, mul)
GEN_BINARY(and, and) GEN_BINARY(or, or) GEN_BINARY(xor, xor)
GEN_BINARY(andc, andc) GEN_BINARY(orc, orc)
GEN_BINARY(shl, shl) GEN_BINARY(shr, shr) GEN_BINARY(sar, sar)
GEN_BINARY(rotl, rotl) GEN_BINARY(rotr, rotr)
GEN_BINARY(div, divs) GEN_BINARY(divu, divu) GEN_BINARY(rem, rems) GEN_BINARY(remu, remu)
GEN_BINARY(clz, clz) GEN_BINARY(ctz, ctz)
GEN_UNARY(not, not) GEN_UNARY(neg, neg)
GEN_UNARY(ext8s, ext8s) GEN_UNARY(ext8u, ext8u) GEN_UNARY(ext16s, ext16s) GEN_UNARY(ext16u, ext16u)
GEN_UNARY(bswap16, bswap16) GEN_UNARY(bswap32, bswap32) GEN_UNARY(ctpop, ctpop)

void tcg_gen_ext32s_i64(TCGv_i64 r, TCGv_i64 a) { emit2(INDEX_op_ext32s, I64, r.n, a.n); }
void tcg_gen_ext32u_i64(TCGv_i64 r, TCGv_i64 a) { emit2(INDEX_op_ext32u, I64, r.n, a.n); }
void tcg_gen_bswap64_i64(TCGv_i64 r, TCGv_i64 a) { emit2(INDEX_op_bswap64, I64, r.n, a.n); }

/* Immediate forms fold the trivial identities here, saving the optimizer work. */
static void gen_binary_imm(TCGOpcode opc, TCGType type, int r, int a, int64_t imm)
{
    uint64_t ones = type == I32 ? UINT32_MAX : UINT64_MAX;
    uint64_t v = (uint64_t)imm & ones;
    bool is_shift = opc == INDEX_op_shl || opc == INDEX_op_shr || opc == INDEX_op_sar ||
                    opc == INDEX_op_rotl || opc == INDEX_op_rotr;
    if (is_shift && v >= (type == I32 ? 32u : 64u)) {
        tcg_bug("%s by immediate %" PRIu64 " >= width", tcg_op_defs[opc].name, v);
    }
    switch (opc) {
    case INDEX_op_add: case INDEX_op_sub: case INDEX_op_or: case INDEX_op_xor:
    case INDEX_op_shl: case INDEX_op_shr: case INDEX_op_sar:
    case INDEX_op_rotl: case INDEX_op_rotr:
        if (v == 0) {
            goto copy;
        }
        if (opc == INDEX_op_or && v == ones) {
            goto constant;
        }
        if (opc == INDEX_op_xor && v == ones) {
            emit2(INDEX_op_not, type, r, a);
            return;
        }
        break;
    case INDEX_op_and:
        if (v == 0) {
            goto constant;
        }
        if (v == ones) {
            goto copy;
        }
        break;
    case INDEX_op_mul:
        if (v == 0) {
            goto constant;
        }
        if (v == 1) {
            goto copy;
        }
        break;
    default:
        break;
    }
    emit3(opc, type, r, a, tcg_constant_temp(type, v));
    return;
copy:
    if (r != a) {
        emit2(INDEX_op_mov, type, r, a);
    }
    return;
constant:
    emit2(INDEX_op_mov, type, r, tcg_constant_temp(type, v));
}

#define GEN_BINARY_IMM(name, opc) \
    void tcg_gen_##name##_i32(TCGv_i32 r, TCGv_i32 a, int32_t b) \
    { gen_binary_imm(INDEX_op_##opc, I32, r.n, a.n, (uint32_t)b); } \
    void tcg_gen_##name##_i64(TCGv_i64 r, TCGv_i64 a, int64_t b) \
    { gen_binary_imm(INDEX_op_##opc, I64, r.n, a.n, b); }

GEN_BINARY_IMM(addi, add) GEN_BINARY_IMM(subi, sub) GEN_BINARY_IMM(muli, mul)
GEN_BINARY_IMM(andi, and) GEN_BINARY_IMM(ori, or) GEN_BINARY_IMM(xori, xor)
GEN_BINARY_IMM(shli, shl) GEN_BINARY_IMM(shri, shr) GEN_BINARY_IMM(sari, sar)
GEN_BINARY_IMM(rotli, rotl) GEN_BINARY_IMM(rotri, rotr)

void tcg_gen_subfi_i32(TCGv_i32 r, int32_t a, TCGv_i32 b)
{
    if (a == 0) {
        emit2(INDEX_op_neg, I32, r.n, b.n);
    } else {
        emit3(INDEX_op_sub, I32, r.n, cst(I32, (uint32_t)a), b.n);
    }
}

void tcg_gen_subfi_i64(TCGv_i64 r, int64_t a, TCGv_i64 b)
{
    if (a == 0) {
        emit2(INDEX_op_neg, I64, r.n, b.n);
    } else {
        emit3(INDEX_op_sub, I64, r.n, cst(I64, a), b.n);
    }
}

void tcg_gen_clzi_i32(TCGv_i32 r, TCGv_i32 a, uint32_t b) { emit3(INDEX_op_clz, I32, r.n, a.n, cst(I32, b)); }
void tcg_gen_clzi_i64(TCGv_i64 r, TCGv_i64 a, uint64_t b) { emit3(INDEX_op_clz, I64, r.n, a.n, cst(I64, (int64_t)b)); }
void tcg_gen_ctzi_i32(TCGv_i32 r, TCGv_i32 a, uint32_t b) { emit3(INDEX_op_ctz, I32, r.n, a.n, cst(I32, b)); }
void tcg_gen_ctzi_i64(TCGv_i64 r, TCGv_i64 a, uint64_t b) { emit3(INDEX_op_ctz, I64, r.n, a.n, cst(I64, (int64_t)b)); }

static void check_two_outputs(int lo, int hi)
{
    if (lo == hi) {
        tcg_bug("double-word op with the same temp for both halves");
    }
}

void tcg_gen_mulu2_i32(TCGv_i32 lo, TCGv_i32 hi, TCGv_i32 a, TCGv_i32 b)
{ check_two_outputs(lo.n, hi.n); emit4(INDEX_op_mulu2, I32, lo.n, hi.n, a.n, b.n); }
void tcg_gen_mulu2_i64(TCGv_i64 lo, TCGv_i64 hi, TCGv_i64 a, TCGv_i64 b)
{ check_two_outputs(lo.n, hi.n); emit4(INDEX_op_mulu2, I64, lo.n, hi.n, a.n, b.n); }
void tcg_gen_muls2_i32(TCGv_i32 lo, TCGv_i32 hi, TCGv_i32 a, TCGv_i32 b)
{ check_two_outputs(lo.n, hi.n); emit4(INDEX_op_muls2, I32, lo.n, hi.n, a.n, b.n); }
void tcg_gen_muls2_i64(TCGv_i64 lo, TCGv_i64 hi, TCGv_i64 a, TCGv_i64 b)
{ check_two_outputs(lo.n, hi.n); emit4(INDEX_op_muls2, I64, lo.n, hi.n, a.n, b.n); }
void tcg_gen_add2_i32(TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 al, TCGv_i32 ah, TCGv_i32 bl, TCGv_i32 bh)
{ check_two_outputs(rl.n, rh.n); emit6(INDEX_op_add2, I32, rl.n, rh.n, al.n, ah.n, bl.n, bh.n); }
void tcg_gen_add2_i64(TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 al, TCGv_i64 ah, TCGv_i64 bl, TCGv_i64 bh)
{ check_two_outputs(rl.n, rh.n); emit6(INDEX_op_add2, I64, rl.n, rh.n, al.n, ah.n, bl.n, bh.n); }
void tcg_gen_sub2_i32(TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 al, TCGv_i32 ah, TCGv_i32 bl, TCGv_i32 bh)
{ check_two_outputs(rl.n, rh.n); emit6(INDEX_op_sub2, I32, rl.n, rh.n, al.n, ah.n, bl.n, bh.n); }
void tcg_gen_sub2_i64(TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 al, TCGv_i64 ah, TCGv_i64 bl, TCGv_i64 bh)
{ check_two_outputs(rl.n, rh.n); emit6(INDEX_op_sub2, I64, rl.n, rh.n, al.n, ah.n, bl.n, bh.n); }

static void check_field(TCGType type, unsigned pos, unsigned len)
{
    unsigned width = type == I32 ? 32 : 64;
    if (len == 0 || pos >= width || len > width - pos) {
        tcg_bug("bit field pos %u len %u outside %u bits", pos, len, width);
    }
}

void tcg_gen_deposit_i32(TCGv_i32 r, TCGv_i32 a, TCGv_i32 b, unsigned pos, unsigned len)
{ check_field(I32, pos, len); emit5(INDEX_op_deposit, I32, r.n, a.n, b.n, pos, len); }
void tcg_gen_deposit_i64(TCGv_i64 r, TCGv_i64 a, TCGv_i64 b, unsigned pos, unsigned len)
{ check_field(I64, pos, len); emit5(INDEX_op_deposit, I64, r.n, a.n, b.n, pos, len); }
void tcg_gen_extract_i32(TCGv_i32 r, TCGv_i32 a, unsigned pos, unsigned len)
{ check_field(I32, pos, len); emit4(INDEX_op_extract, I32, r.n, a.n, pos, len); }
void tcg_gen_extract_i64(TCGv_i64 r, TCGv_i64 a, unsigned pos, unsigned len)
{ check_field(I64, pos, len); emit4(INDEX_op_extract, I64, r.n, a.n, pos, len); }
void tcg_gen_sextract_i32(TCGv_i32 r, TCGv_i32 a, unsigned pos, unsigned len)
{ check_field(I32, pos, len); emit4(INDEX_op_sextract, I32, r.n, a.n, pos, len); }
void tcg_gen_sextract_i64(TCGv_i64 r, TCGv_i64 a, unsigned pos, unsigned len)
{ check_field(I64, pos, len); emit4(INDEX_op_sextract, I64, r.n, a.n, pos, len); }

void tcg_gen_extrl_i64_i32(TCGv_i32 r, TCGv_i64 a) { emit2(INDEX_op_extrl_i64_i32, I32, r.n, a.n); }
void tcg_gen_extrh_i64_i32(TCGv_i32 r, TCGv_i64 a) { emit2(INDEX_op_extrh_i64_i32, I32, r.n, a.n); }
void tcg_gen_extu_i32_i64(TCGv_i64 r, TCGv_i32 a) { emit2(INDEX_op_extu_i32_i64, I64, r.n, a.n); }
void tcg_gen_exts_i32_i64(TCGv_i64 r, TCGv_i32 a) { emit2(INDEX_op_exts_i32_i64, I64, r.n, a.n); }
void tcg_gen_concat_i32_i64(TCGv_i64 r, TCGv_i32 lo, TCGv_i32 hi)
{ emit3(INDEX_op_concat_i32_i64, I64, r.n, lo.n, hi.n); }

/* ---- comparisons ---- */

void tcg_gen_setcond_i32(TCGCond c, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b) { emit4(INDEX_op_setcond, I32, r.n, a.n, b.n, c); }
void tcg_gen_setcond_i64(TCGCond c, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b) { emit4(INDEX_op_setcond, I64, r.n, a.n, b.n, c); }
void tcg_gen_setcondi_i32(TCGCond c, TCGv_i32 r, TCGv_i32 a, int32_t b)
{ emit4(INDEX_op_setcond, I32, r.n, a.n, cst(I32, (uint32_t)b), c); }
void tcg_gen_setcondi_i64(TCGCond c, TCGv_i64 r, TCGv_i64 a, int64_t b)
{ emit4(INDEX_op_setcond, I64, r.n, a.n, cst(I64, b), c); }
void tcg_gen_negsetcond_i32(TCGCond c, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b) { emit4(INDEX_op_negsetcond, I32, r.n, a.n, b.n, c); }
void tcg_gen_negsetcond_i64(TCGCond c, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b) { emit4(INDEX_op_negsetcond, I64, r.n, a.n, b.n, c); }
void tcg_gen_movcond_i32(TCGCond c, TCGv_i32 r, TCGv_i32 c1, TCGv_i32 c2, TCGv_i32 v1, TCGv_i32 v2)
{ emit6(INDEX_op_movcond, I32, r.n, c1.n, c2.n, v1.n, v2.n, c); }
void tcg_gen_movcond_i64(TCGCond c, TCGv_i64 r, TCGv_i64 c1, TCGv_i64 c2, TCGv_i64 v1, TCGv_i64 v2)
{ emit6(INDEX_op_movcond, I64, r.n, c1.n, c2.n, v1.n, v2.n, c); }

/* ---- host memory ---- */

static void gen_ldst(TCGOpcode opc, TCGType type, int val, int base, intptr_t offset)
{
    if (offset < INT32_MIN || offset > INT32_MAX) {
        tcg_bug("%s: offset %" PRIdPTR " out of range", tcg_op_defs[opc].name, offset);
    }
    emit3(opc, type, val, base, (TCGArg)(int64_t)offset);
}

#define GEN_LDST(name, opc, type, vt) \
    void tcg_gen_##name(vt v, TCGv_ptr base, intptr_t off) { gen_ldst(INDEX_op_##opc, type, v.n, base.n, off); }
GEN_LDST(ld8u_i32, ld8u, I32, TCGv_i32)   GEN_LDST(ld8s_i32, ld8s, I32, TCGv_i32)
GEN_LDST(ld16u_i32, ld16u, I32, TCGv_i32) GEN_LDST(ld16s_i32, ld16s, I32, TCGv_i32)
GEN_LDST(ld_i32, ld, I32, TCGv_i32)
GEN_LDST(ld8u_i64, ld8u, I64, TCGv_i64)   GEN_LDST(ld8s_i64, ld8s, I64, TCGv_i64)
GEN_LDST(ld16u_i64, ld16u, I64, TCGv_i64) GEN_LDST(ld16s_i64, ld16s, I64, TCGv_i64)
GEN_LDST(ld32u_i64, ld32u, I64, TCGv_i64) GEN_LDST(ld32s_i64, ld32s, I64, TCGv_i64)
GEN_LDST(ld_i64, ld, I64, TCGv_i64)
GEN_LDST(st8_i32, st8, I32, TCGv_i32)     GEN_LDST(st16_i32, st16, I32, TCGv_i32)
GEN_LDST(st_i32, st, I32, TCGv_i32)
GEN_LDST(st8_i64, st8, I64, TCGv_i64)     GEN_LDST(st16_i64, st16, I64, TCGv_i64)
GEN_LDST(st32_i64, st32, I64, TCGv_i64)   GEN_LDST(st_i64, st, I64, TCGv_i64)

/* ---- guest memory ---- */

static void gen_guest(TCGOpcode opc, TCGType type, int val, int addr, unsigned mmu_idx,
                      TCGMemOp memop)
{
    if (mmu_idx >= TCG_MAX_MMU_IDX || (memop & ~(TCGMemOp)MO_ALL_BITS) ||
        (type == I32 && (memop & MO_SIZE) == MO_64)) {
        tcg_bug("%s: bad memop 0x%x / mmu index %u", tcg_op_defs[opc].name, memop, mmu_idx);
    }
    if (opc == INDEX_op_guest_st) {
        memop &= ~(TCGMemOp)MO_SIGN;
    }
    emit3(opc, type, val, addr, TCG_MEMOP_IDX(memop, mmu_idx));
}

void tcg_gen_guest_ld_i32(TCGv_i32 r, TCGv_i64 addr, unsigned mmu_idx, TCGMemOp memop)
{ gen_guest(INDEX_op_guest_ld, I32, r.n, addr.n, mmu_idx, memop); }
void tcg_gen_guest_ld_i64(TCGv_i64 r, TCGv_i64 addr, unsigned mmu_idx, TCGMemOp memop)
{ gen_guest(INDEX_op_guest_ld, I64, r.n, addr.n, mmu_idx, memop); }
void tcg_gen_guest_st_i32(TCGv_i32 v, TCGv_i64 addr, unsigned mmu_idx, TCGMemOp memop)
{ gen_guest(INDEX_op_guest_st, I32, v.n, addr.n, mmu_idx, memop); }
void tcg_gen_guest_st_i64(TCGv_i64 v, TCGv_i64 addr, unsigned mmu_idx, TCGMemOp memop)
{ gen_guest(INDEX_op_guest_st, I64, v.n, addr.n, mmu_idx, memop); }

/* ---- dump (-d op) ---- */

static void dump_temp(TCGContext *s, FILE *f, TCGArg a)
{
    TCGTemp *ts = &s->temps[a];
    switch (ts->kind) {
    case TCG_TEMP_FIXED:
    case TCG_TEMP_GLOBAL:
        fputs(ts->name ? ts->name : "?", f);
        break;
    case TCG_TEMP_CONST:
        fprintf(f, "$0x%" PRIx64, ts->val);
        break;
    case TCG_TEMP_TB:
        fprintf(f, "tb%u", (unsigned)a);
        break;
    default:
        fprintf(f, "tmp%u", (unsigned)a);
        break;
    }
}

void tcg_dump_ops(TCGContext *s, FILE *f)
{
    for (TCGOp *op = s->first_op; op; op = op->next) {
        const TCGOpDef *def = &tcg_op_defs[op->opc];
        if (op->opc == INDEX_op_insn_start) {
            fprintf(f, " ---- pc 0x%" PRIx64 " 0x%" PRIx64 "\n", op->args[0], op->args[1]);
            continue;
        }
        if (op->opc == INDEX_op_call) {
            const TCGHelperInfo *info = (const void *)(uintptr_t)op->args[op->nb_oargs + op->nb_iargs];
            fprintf(f, " call %s", info->name);
        } else if ((def->flags & TCG_OPF_CONVERSION) || op->nb_oargs + op->nb_iargs == 0) {
            fprintf(f, " %s", def->name);
        } else {
            fprintf(f, " %s_%s", def->name, op->type == TCG_TYPE_I32 ? "i32" : "i64");
        }
        int n = op->nb_oargs + op->nb_iargs;
        for (int i = 0; i < n; i++) {
            fputs(i ? ", " : " ", f);
            dump_temp(s, f, op->args[i]);
        }
        if (op->opc != INDEX_op_call) {
            for (int i = 0; i < op->nb_cargs; i++) {
                TCGArg c = op->args[n + i];
                fputs(n + i ? ", " : " ", f);
                switch (op->opc) {
                case INDEX_op_brcond:
                case INDEX_op_setcond:
                case INDEX_op_negsetcond:
                case INDEX_op_movcond:
                    if (i == 0) {
                        fputs(tcg_cond_name((TCGCond)c), f);
                        continue;
                    }
                    break;
                default:
                    break;
                }
                if (op->opc == INDEX_op_br || op->opc == INDEX_op_set_label ||
                    (op->opc == INDEX_op_brcond && i == 1)) {
                    fprintf(f, "L%u", tcg_arg_label(c)->id);
                } else {
                    fprintf(f, "0x%" PRIx64, c);
                }
            }
        }
        if (op->life) {
            fputs("  ;", f);
            for (int i = 0; i < 8; i++) {
                if (op->life & TCG_DEAD_ARG(i)) {
                    fprintf(f, " dead:%d", i);
                }
            }
            for (int i = 0; i < 2; i++) {
                if (op->life & TCG_SYNC_ARG(i)) {
                    fprintf(f, " sync:%d", i);
                }
            }
        }
        fputc('\n', f);
    }
}

/* ---- pipeline ---- */

ptrdiff_t tcg_gen_code(TCGContext *s, void *buf, size_t size, ptrdiff_t rx_diff,
                       TCGCodeInfo *info)
{
    if (s->overflow) {
        return TCG_GEN_TOO_BIG;
    }
    if (!s->last_op || (s->last_op->opc != INDEX_op_exit_tb &&
                        s->last_op->opc != INDEX_op_goto_ptr)) {
        tcg_bug("a block must end with exit_tb or goto_ptr");
    }
    if (s->optimize) {
        tcg_optimize(s);
    }
    tcg_liveness(s);
    unsigned n = 0;
    for (TCGOp *op = s->first_op; op; op = op->next) {
        if (op->opc == INDEX_op_insn_start) {
            info->insn_data[n][0] = op->args[0];
            info->insn_data[n][1] = op->args[1];
            n++;
        }
    }
    info->n_insns = n;
    info->code_size = 0;
    for (int i = 0; i < TCG_MAX_GOTO_TB; i++) {
        info->jump_used[i] = false;
    }
    ptrdiff_t r = s->backend->gen_code(s, buf, size, rx_diff, info);
    s->gen_ran = true;
    if (r > 0) {
        s->stats.blocks++;
    }
    return r;
}

int tcg_code_info_find_insn(const TCGCodeInfo *info, size_t off)
{
    if (info->n_insns == 0 || off < info->insn_off[0] || off >= info->code_size) {
        return -1;
    }
    unsigned lo = 0, hi = info->n_insns;   /* answer in [lo, hi) */
    while (hi - lo > 1) {
        unsigned mid = (lo + hi) / 2;
        if (info->insn_off[mid] <= off) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return (int)lo;
}
