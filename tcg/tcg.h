/*
 * The translator's IR: typed temps, labels, ops, the per-thread context
 * holding one block's op list, and the tcg_gen_* builder API that frontends
 * call. Design: shared/TCG.md; every op is described in tcg/README.md.
 * Assumes a 64-bit host (pointer temps are I64). No vector ops yet.
 */
#ifndef MIMIC_TCG_H
#define MIMIC_TCG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

_Static_assert(sizeof(void *) == 8, "mimic's translator needs a 64-bit host");

/* ---- limits (a block that needs more fails translation with TCG_GEN_TOO_BIG) ---- */
#define TCG_MAX_TEMPS        4096  /* globals + constants + temps of one block */
#define TCG_MAX_GLOBALS      256
#define TCG_MAX_OP_ARGS      8     /* call: 1 output + 6 inputs + helper info */
#define TCG_MAX_INSNS        512   /* insn_start ops per block */
#define TCG_MAX_OPS_SOFT     4000  /* tcg_op_buf_full() says "end the block" past this */
#define TCG_MAX_HELPER_ARGS  6
#define TCG_INSN_START_WORDS 2     /* guest pc + one per-arch word */
#define TCG_MAX_MMU_IDX      16
#define TCG_MAX_GOTO_TB      2

typedef uint64_t TCGArg;

typedef enum TCGType { TCG_TYPE_I32 = 0, TCG_TYPE_I64 = 1 } TCGType;
#define TCG_TYPE_PTR TCG_TYPE_I64

typedef enum TCGTempKind {
    TCG_TEMP_EBB,     /* dies at the next set_label */
    TCG_TEMP_TB,      /* lives for the whole block */
    TCG_TEMP_GLOBAL,  /* alias of a CPU-state field at env + offset; lives forever */
    TCG_TEMP_FIXED,   /* the env pointer (temp 0) */
    TCG_TEMP_CONST,   /* interned constant, read-only */
} TCGTempKind;

/* Conditions. cond ^ 1 is the inverse condition. TSTEQ/TSTNE test (a & b) == 0 / != 0. */
typedef enum TCGCond {
    TCG_COND_NEVER = 0, TCG_COND_ALWAYS = 1,
    TCG_COND_EQ = 2,    TCG_COND_NE = 3,
    TCG_COND_LT = 4,    TCG_COND_GE = 5,
    TCG_COND_LE = 6,    TCG_COND_GT = 7,
    TCG_COND_LTU = 8,   TCG_COND_GEU = 9,
    TCG_COND_LEU = 10,  TCG_COND_GTU = 11,
    TCG_COND_TSTEQ = 12, TCG_COND_TSTNE = 13,
    TCG_COND_COUNT = 14
} TCGCond;

static inline TCGCond tcg_invert_cond(TCGCond c) { return (TCGCond)(c ^ 1); }
/* The condition that holds for (b, a) when c holds for (a, b). */
TCGCond tcg_swap_cond(TCGCond c);
const char *tcg_cond_name(TCGCond c);

/* Whether cond(a, b) holds for operands of `type` (I32 compares the low 32
 * bits). Shared by the optimizer's folding and the interpreter. */
static inline bool tcg_cond_eval(TCGCond c, TCGType type, uint64_t a, uint64_t b)
{
    int64_t sa = type == TCG_TYPE_I32 ? (int32_t)a : (int64_t)a;
    int64_t sb = type == TCG_TYPE_I32 ? (int32_t)b : (int64_t)b;
    if (type == TCG_TYPE_I32) {
        a = (uint32_t)a;
        b = (uint32_t)b;
    }
    switch (c) {
    case TCG_COND_ALWAYS: return true;
    case TCG_COND_EQ: return a == b;
    case TCG_COND_NE: return a != b;
    case TCG_COND_LT: return sa < sb;
    case TCG_COND_GE: return sa >= sb;
    case TCG_COND_LE: return sa <= sb;
    case TCG_COND_GT: return sa > sb;
    case TCG_COND_LTU: return a < b;
    case TCG_COND_GEU: return a >= b;
    case TCG_COND_LEU: return a <= b;
    case TCG_COND_GTU: return a > b;
    case TCG_COND_TSTEQ: return (a & b) == 0;
    case TCG_COND_TSTNE: return (a & b) != 0;
    default: return false;   /* NEVER */
    }
}

/* Guest memory access descriptor (guest_ld/guest_st). */
typedef unsigned TCGMemOp;
enum {
    MO_8 = 0, MO_16 = 1, MO_32 = 2, MO_64 = 3, MO_SIZE = 3,
    MO_SIGN  = 1u << 2,   /* sign-extend the loaded value */
    MO_BE    = 1u << 3,   /* big-endian access (guests so far are little-endian: clear) */
    MO_LE    = 0,
    MO_ALIGN = 1u << 4,   /* fault on an access not naturally aligned */
    MO_UB = MO_8, MO_SB = MO_8 | MO_SIGN, MO_UW = MO_16, MO_SW = MO_16 | MO_SIGN,
    MO_UL = MO_32, MO_SL = MO_32 | MO_SIGN, MO_UQ = MO_64,
    MO_ALL_BITS = 0x1f,
};
/* The guest_ld/st constant argument: memop in bits 0..7, mmu index above. */
#define TCG_MEMOP_IDX(memop, mmu_idx) ((TCGArg)(memop) | ((TCGArg)(mmu_idx) << 8))
#define TCG_MEMOP_IDX_MEMOP(oi)  ((TCGMemOp)((oi) & 0xff))
#define TCG_MEMOP_IDX_MMU(oi)    ((unsigned)((oi) >> 8))

/* Memory barrier kinds for mb (OR of the orderings the guest requires). */
enum { TCG_MB_LD_LD = 1, TCG_MB_ST_LD = 2, TCG_MB_LD_ST = 4, TCG_MB_ST_ST = 8, TCG_MB_ALL = 15 };

/* ---- ops ---- */
typedef enum TCGOpcode {
#define DEF(name, oargs, iargs, cargs, flags) INDEX_op_##name,
#include "ops.def"
#undef DEF
    TCG_NB_OPS
} TCGOpcode;

enum {
    TCG_OPF_BB_END       = 0x001,  /* ends a basic block (label, branch, exit) */
    TCG_OPF_BB_EXIT      = 0x002,  /* leaves the translation block */
    TCG_OPF_COND_BRANCH  = 0x004,  /* falls through when not taken */
    TCG_OPF_SIDE_EFFECTS = 0x008,  /* never removed even if outputs are unused */
    TCG_OPF_SYNC_GLOBALS = 0x010,  /* globals must be in memory before it (may fault) */
    TCG_OPF_NOT_PRESENT  = 0x020,  /* emits no code */
    TCG_OPF_I64_ONLY     = 0x040,  /* only exists with type I64 */
    TCG_OPF_COMMUTATIVE  = 0x080,  /* first two inputs may be swapped */
    TCG_OPF_CONVERSION   = 0x100,  /* output and input types differ; fixed by the op */
};

typedef struct TCGOpDef {
    const char *name;
    uint8_t nb_oargs, nb_iargs, nb_cargs;
    uint16_t flags;
} TCGOpDef;
extern const TCGOpDef tcg_op_defs[TCG_NB_OPS];

/* Liveness annotations (TCGOp.life), filled by tcg_liveness(). */
typedef uint16_t TCGLifeData;
#define TCG_DEAD_ARG(n) ((TCGLifeData)(1u << (n)))        /* arg n's value is not used after this op */
#define TCG_SYNC_ARG(n) ((TCGLifeData)(1u << (8 + (n))))  /* output n must be written to memory here */

typedef struct TCGRelocation {
    struct TCGRelocation *next;
    uint32_t offset;      /* where in the code the reference sits (backend-defined) */
    uint32_t kind;
} TCGRelocation;

typedef struct TCGLabel {
    uint32_t id;
    uint32_t refs;        /* branches referring to it (the optimizer keeps it exact) */
    bool present;         /* its set_label has been emitted */
    bool has_value;       /* the backend knows its code offset */
    uint32_t value;       /* code offset, for the backend */
    TCGRelocation *relocs;/* forward references awaiting the offset */
} TCGLabel;

typedef struct TCGOp {
    struct TCGOp *prev, *next;
    uint16_t opc;         /* TCGOpcode */
    uint8_t type;         /* TCGType the op computes in (see README for conversions) */
    uint8_t nb_oargs, nb_iargs, nb_cargs;  /* copied from tcg_op_defs, per op for call */
    TCGLifeData life;
    TCGArg args[TCG_MAX_OP_ARGS];  /* temp indices, then constant args */
} TCGOp;

typedef struct TCGTemp {
    uint8_t type;         /* TCGType */
    uint8_t kind;         /* TCGTempKind */
    uint8_t state;        /* liveness scratch */
    uint8_t is_free;      /* on the free list (tcg_temp_free_*) */
    int32_t mem_offset;   /* GLOBAL: offset of the field from env */
    uint64_t val;         /* CONST: value (I32 constants are zero-extended) */
    const char *name;     /* GLOBAL: name for dumps */
    int32_t next_free;
    uint32_t opt_epoch;   /* optimizer: copy links valid only in its current epoch */
    int32_t opt_prev, opt_next;  /* optimizer: ring of temps holding the same value */
    uint64_t opt_zmask;   /* optimizer: bits that may be set (same epoch rule) */
    uint32_t opt_gen;     /* optimizer: bumped at each redefinition (common subexpressions) */
    /* Backend scratch: meaning belongs to the backend running gen_code. */
    int32_t be_slot, be_reg;
    uint32_t be_state, be_aux;
} TCGTemp;

typedef struct TCGArenaChunk TCGArenaChunk;

typedef struct TCGStats {
    uint64_t blocks;              /* tcg_gen_code calls that succeeded */
    uint64_t ops_emitted;
    uint64_t ops_folded;          /* optimizer: replaced by a mov or removed */
    uint64_t ops_dead;            /* liveness: removed as unused */
    uint64_t sync_misses;         /* backend found a dirty global liveness did not sync (bug) */
} TCGStats;

#define TCG_CONST_HASH_SIZE 8192  /* power of two, > TCG_MAX_TEMPS */

struct TCGBackend;
struct TCGGuestMemoryOps;

typedef struct TCGContext {
    const struct TCGBackend *backend;
    const struct TCGGuestMemoryOps *mem_ops;
    TCGOp *first_op, *last_op;
    int nb_ops;
    int nb_temps, nb_globals;
    uint32_t nb_labels;
    int nb_insns;
    uint8_t goto_tb_mask;         /* goto_tb slots used in this block */
    bool overflow;                /* a limit was hit while building: translation fails */
    bool gen_ran;                 /* tcg_gen_code ran on this op list (labels hold a
                                     backend's offsets and relocations from it) */
    bool optimize;                /* run tcg_optimize (default true) */
    bool env_is_cpu;              /* env points to a CPUState (tcg/cpu.h) whose TLB
                                     mem_ops keep: the interpreter may inline the tlb.h
                                     fast path (native backends always do) and keep its
                                     registers in CPUState.interp_frame */
    uint32_t opt_epoch;
    uint32_t const_gen;
    struct { uint32_t gen; int32_t temp; } const_hash[TCG_CONST_HASH_SIZE];
    int32_t free_temps[2][2];     /* [type][kind EBB/TB]: free-list heads, -1 when empty */
    TCGArenaChunk *arena_first, *arena_cur;
    char *arena_ptr, *arena_end;
    TCGStats stats;
    TCGTemp temps[TCG_MAX_TEMPS];
} TCGContext;

/* The context the builder API emits into; set by tcg_context_init and tcg_func_start. */
extern __thread TCGContext *tcg_ctx;

/* ---- typed handles: the C compiler checks frontends' widths ---- */
typedef struct { int n; } TCGv_i32;
typedef struct { int n; } TCGv_i64;
typedef TCGv_i64 TCGv_ptr;          /* pointer-sized = i64 on 64-bit hosts */

#define TCG_TEMP_ENV 0
#define tcg_env ((TCGv_ptr){ .n = TCG_TEMP_ENV })

/* ---- context ---- */
void tcg_context_init(TCGContext *s, const struct TCGBackend *backend,
                      const struct TCGGuestMemoryOps *mem_ops);
void tcg_context_destroy(TCGContext *s);
/* Start a new block: drop ops, labels, constants and non-global temps. */
void tcg_func_start(TCGContext *s);
/* True when the frontend should end the block (op count near the limit). */
bool tcg_op_buf_full(void);

void tcg_optimize(TCGContext *s);
void tcg_liveness(TCGContext *s);
void tcg_dump_ops(TCGContext *s, FILE *f);

/* For passes and backends. */
void *tcg_arena_alloc(TCGContext *s, size_t size);
void tcg_op_remove(TCGContext *s, TCGOp *op);
TCGOp *tcg_op_insert_after(TCGContext *s, TCGOp *old, TCGOpcode opc, TCGType type);
static inline TCGTemp *tcg_arg_temp(TCGContext *s, TCGArg a) { return &s->temps[a]; }
static inline TCGLabel *tcg_arg_label(TCGArg a) { return (TCGLabel *)(uintptr_t)a; }
static inline bool tcg_op_dead(const TCGOp *op, int n) { return op->life & TCG_DEAD_ARG(n); }
static inline bool tcg_op_sync(const TCGOp *op, int n) { return op->life & TCG_SYNC_ARG(n); }
/* Interned constant temp index (I32 values are truncated to 32 bits). */
int tcg_constant_temp(TCGType type, uint64_t val);

/* ---- temps ---- */
TCGv_i32 tcg_global_mem_new_i32(intptr_t offset, const char *name);
TCGv_i64 tcg_global_mem_new_i64(intptr_t offset, const char *name);
TCGv_i32 tcg_temp_new_i32(void);         /* EBB temp */
TCGv_i64 tcg_temp_new_i64(void);
TCGv_i32 tcg_temp_new_tb_i32(void);      /* TB temp: survives labels */
TCGv_i64 tcg_temp_new_tb_i64(void);
void tcg_temp_free_i32(TCGv_i32 t);      /* optional: lets a later tcg_temp_new reuse it */
void tcg_temp_free_i64(TCGv_i64 t);
TCGv_i32 tcg_constant_i32(int32_t v);
TCGv_i64 tcg_constant_i64(int64_t v);
#define tcg_temp_new_ptr tcg_temp_new_i64
#define tcg_constant_ptr(p) tcg_constant_i64((int64_t)(intptr_t)(p))

/* ---- labels and control flow ---- */
TCGLabel *gen_new_label(void);
void gen_set_label(TCGLabel *l);
void tcg_gen_br(TCGLabel *l);
void tcg_gen_brcond_i32(TCGCond cond, TCGv_i32 a, TCGv_i32 b, TCGLabel *l);
void tcg_gen_brcond_i64(TCGCond cond, TCGv_i64 a, TCGv_i64 b, TCGLabel *l);
void tcg_gen_brcondi_i32(TCGCond cond, TCGv_i32 a, int32_t b, TCGLabel *l);
void tcg_gen_brcondi_i64(TCGCond cond, TCGv_i64 a, int64_t b, TCGLabel *l);
/* Per guest instruction: its pc and one arch word, for precise exceptions. */
void tcg_gen_insn_start(uint64_t pc, uint64_t extra);
/* Direct jump slot 0/1, patched in place to chain; falls through until then. */
void tcg_gen_goto_tb(unsigned slot);
/* Return (uintptr_t)tb | slot to the exec loop; tb must be 4-byte aligned (or NULL). */
void tcg_gen_exit_tb(const void *tb, unsigned slot);
/* Jump to host code at ptr (a block's code start), or return 0 if ptr is NULL. */
void tcg_gen_goto_ptr(TCGv_ptr ptr);
void tcg_gen_mb(unsigned mb_type);
void tcg_gen_discard_i32(TCGv_i32 t);
void tcg_gen_discard_i64(TCGv_i64 t);

struct TCGHelperInfo;
/* Helper call: ret is a temp index or -1 (void); args[info->nargs] temp indices. */
void tcg_gen_call(const struct TCGHelperInfo *info, int ret, const int *args);

/* ---- moves and arithmetic ---- */
void tcg_gen_mov_i32(TCGv_i32 ret, TCGv_i32 a);
void tcg_gen_mov_i64(TCGv_i64 ret, TCGv_i64 a);
void tcg_gen_movi_i32(TCGv_i32 ret, int32_t v);
void tcg_gen_movi_i64(TCGv_i64 ret, int64_t v);

#define TCG_DECLARE_BINARY(name) \
    void tcg_gen_##name##_i32(TCGv_i32 ret, TCGv_i32 a, TCGv_i32 b); \
    void tcg_gen_##name##_i64(TCGv_i64 ret, TCGv_i64 a, TCGv_i64 b);
#define TCG_DECLARE_BINARY_IMM(name) \
    void tcg_gen_##name##_i32(TCGv_i32 ret, TCGv_i32 a, int32_t b); \
    void tcg_gen_##name##_i64(TCGv_i64 ret, TCGv_i64 a, int64_t b);
#define TCG_DECLARE_UNARY(name) \
    void tcg_gen_##name##_i32(TCGv_i32 ret, TCGv_i32 a); \
    void tcg_gen_##name##_i64(TCGv_i64 ret, TCGv_i64 a);
/* tcg_gen_{add,sub,mul,and,or,xor,andc,orc,shl,shr,sar,rotl,rotr}_i32/_i64 */
TCG_DECLARE_BINARY(add) TCG_DECLARE_BINARY(sub) TCG_DECLARE_BINARY(mul)
TCG_DECLARE_BINARY(and) TCG_DECLARE_BINARY(or)  TCG_DECLARE_BINARY(xor)
TCG_DECLARE_BINARY(andc) TCG_DECLARE_BINARY(orc)
TCG_DECLARE_BINARY(shl) TCG_DECLARE_BINARY(shr) TCG_DECLARE_BINARY(sar)
TCG_DECLARE_BINARY(rotl) TCG_DECLARE_BINARY(rotr)
/* Division: the frontend guarantees b != 0 and no INT_MIN / -1 (README). */
TCG_DECLARE_BINARY(div) TCG_DECLARE_BINARY(divu) TCG_DECLARE_BINARY(rem) TCG_DECLARE_BINARY(remu)
/* ... and the immediate forms tcg_gen_{addi,subi,muli,andi,ori,xori,shli,shri,sari,rotli,rotri}. */
TCG_DECLARE_BINARY_IMM(addi) TCG_DECLARE_BINARY_IMM(subi) TCG_DECLARE_BINARY_IMM(muli)
TCG_DECLARE_BINARY_IMM(andi) TCG_DECLARE_BINARY_IMM(ori)  TCG_DECLARE_BINARY_IMM(xori)
TCG_DECLARE_BINARY_IMM(shli) TCG_DECLARE_BINARY_IMM(shri) TCG_DECLARE_BINARY_IMM(sari)
TCG_DECLARE_BINARY_IMM(rotli) TCG_DECLARE_BINARY_IMM(rotri)
void tcg_gen_subfi_i32(TCGv_i32 ret, int32_t a, TCGv_i32 b);   /* a - b */
void tcg_gen_subfi_i64(TCGv_i64 ret, int64_t a, TCGv_i64 b);
/* tcg_gen_{not,neg,ext8s,ext8u,ext16s,ext16u,bswap16,bswap32,ctpop}_i32/_i64 */
TCG_DECLARE_UNARY(not) TCG_DECLARE_UNARY(neg)
TCG_DECLARE_UNARY(ext8s) TCG_DECLARE_UNARY(ext8u) TCG_DECLARE_UNARY(ext16s) TCG_DECLARE_UNARY(ext16u)
TCG_DECLARE_UNARY(bswap16) TCG_DECLARE_UNARY(bswap32) TCG_DECLARE_UNARY(ctpop)
void tcg_gen_ext32s_i64(TCGv_i64 ret, TCGv_i64 a);
void tcg_gen_ext32u_i64(TCGv_i64 ret, TCGv_i64 a);
void tcg_gen_bswap64_i64(TCGv_i64 ret, TCGv_i64 a);
/* clz/ctz: result is b when a == 0. */
TCG_DECLARE_BINARY(clz) TCG_DECLARE_BINARY(ctz)
void tcg_gen_clzi_i32(TCGv_i32 ret, TCGv_i32 a, uint32_t b);
void tcg_gen_clzi_i64(TCGv_i64 ret, TCGv_i64 a, uint64_t b);
void tcg_gen_ctzi_i32(TCGv_i32 ret, TCGv_i32 a, uint32_t b);
void tcg_gen_ctzi_i64(TCGv_i64 ret, TCGv_i64 a, uint64_t b);

void tcg_gen_mulu2_i32(TCGv_i32 lo, TCGv_i32 hi, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_mulu2_i64(TCGv_i64 lo, TCGv_i64 hi, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_muls2_i32(TCGv_i32 lo, TCGv_i32 hi, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_muls2_i64(TCGv_i64 lo, TCGv_i64 hi, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_add2_i32(TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 al, TCGv_i32 ah, TCGv_i32 bl, TCGv_i32 bh);
void tcg_gen_add2_i64(TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 al, TCGv_i64 ah, TCGv_i64 bl, TCGv_i64 bh);
void tcg_gen_sub2_i32(TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 al, TCGv_i32 ah, TCGv_i32 bl, TCGv_i32 bh);
void tcg_gen_sub2_i64(TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 al, TCGv_i64 ah, TCGv_i64 bl, TCGv_i64 bh);

/* Bit fields: 0 < len, pos + len <= width. */
void tcg_gen_deposit_i32(TCGv_i32 ret, TCGv_i32 a, TCGv_i32 b, unsigned pos, unsigned len);
void tcg_gen_deposit_i64(TCGv_i64 ret, TCGv_i64 a, TCGv_i64 b, unsigned pos, unsigned len);
void tcg_gen_extract_i32(TCGv_i32 ret, TCGv_i32 a, unsigned pos, unsigned len);
void tcg_gen_extract_i64(TCGv_i64 ret, TCGv_i64 a, unsigned pos, unsigned len);
void tcg_gen_sextract_i32(TCGv_i32 ret, TCGv_i32 a, unsigned pos, unsigned len);
void tcg_gen_sextract_i64(TCGv_i64 ret, TCGv_i64 a, unsigned pos, unsigned len);

/* Width conversions. */
void tcg_gen_extrl_i64_i32(TCGv_i32 ret, TCGv_i64 a);
void tcg_gen_extrh_i64_i32(TCGv_i32 ret, TCGv_i64 a);
void tcg_gen_extu_i32_i64(TCGv_i64 ret, TCGv_i32 a);
void tcg_gen_exts_i32_i64(TCGv_i64 ret, TCGv_i32 a);
void tcg_gen_concat_i32_i64(TCGv_i64 ret, TCGv_i32 lo, TCGv_i32 hi);
#define tcg_gen_trunc_i64_i32 tcg_gen_extrl_i64_i32

/* Comparisons. */
void tcg_gen_setcond_i32(TCGCond cond, TCGv_i32 ret, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_setcond_i64(TCGCond cond, TCGv_i64 ret, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_setcondi_i32(TCGCond cond, TCGv_i32 ret, TCGv_i32 a, int32_t b);
void tcg_gen_setcondi_i64(TCGCond cond, TCGv_i64 ret, TCGv_i64 a, int64_t b);
void tcg_gen_negsetcond_i32(TCGCond cond, TCGv_i32 ret, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_negsetcond_i64(TCGCond cond, TCGv_i64 ret, TCGv_i64 a, TCGv_i64 b);
/* ret = cond(c1, c2) ? v1 : v2 */
void tcg_gen_movcond_i32(TCGCond cond, TCGv_i32 ret, TCGv_i32 c1, TCGv_i32 c2, TCGv_i32 v1, TCGv_i32 v2);
void tcg_gen_movcond_i64(TCGCond cond, TCGv_i64 ret, TCGv_i64 c1, TCGv_i64 c2, TCGv_i64 v1, TCGv_i64 v2);

/* Host memory: the CPU state, base + offset (must not alias a global's field). */
void tcg_gen_ld8u_i32(TCGv_i32 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld8s_i32(TCGv_i32 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld16u_i32(TCGv_i32 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld16s_i32(TCGv_i32 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld_i32(TCGv_i32 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld8u_i64(TCGv_i64 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld8s_i64(TCGv_i64 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld16u_i64(TCGv_i64 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld16s_i64(TCGv_i64 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld32u_i64(TCGv_i64 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld32s_i64(TCGv_i64 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_ld_i64(TCGv_i64 ret, TCGv_ptr base, intptr_t offset);
void tcg_gen_st8_i32(TCGv_i32 val, TCGv_ptr base, intptr_t offset);
void tcg_gen_st16_i32(TCGv_i32 val, TCGv_ptr base, intptr_t offset);
void tcg_gen_st_i32(TCGv_i32 val, TCGv_ptr base, intptr_t offset);
void tcg_gen_st8_i64(TCGv_i64 val, TCGv_ptr base, intptr_t offset);
void tcg_gen_st16_i64(TCGv_i64 val, TCGv_ptr base, intptr_t offset);
void tcg_gen_st32_i64(TCGv_i64 val, TCGv_ptr base, intptr_t offset);
void tcg_gen_st_i64(TCGv_i64 val, TCGv_ptr base, intptr_t offset);
#define tcg_gen_ld_ptr tcg_gen_ld_i64
#define tcg_gen_st_ptr tcg_gen_st_i64

/* Guest memory through the softmmu (may fault: globals are synced first). */
void tcg_gen_guest_ld_i32(TCGv_i32 ret, TCGv_i64 addr, unsigned mmu_idx, TCGMemOp memop);
void tcg_gen_guest_ld_i64(TCGv_i64 ret, TCGv_i64 addr, unsigned mmu_idx, TCGMemOp memop);
void tcg_gen_guest_st_i32(TCGv_i32 val, TCGv_i64 addr, unsigned mmu_idx, TCGMemOp memop);
void tcg_gen_guest_st_i64(TCGv_i64 val, TCGv_i64 addr, unsigned mmu_idx, TCGMemOp memop);

#endif
