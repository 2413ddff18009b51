/*
 * Private to the interpreter backend's code generation: the emitter's state
 * for one block and what its two halves share. emit.c lowers one IR op at a
 * time (slots, globals, labels); fuse.c matches multi-op IR shapes and emits
 * them as one superinstruction (tcg/interp/bytecode.h), or leaves the op.
 */
#ifndef MIMIC_TCG_INTERP_EMIT_INT_H
#define MIMIC_TCG_INTERP_EMIT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../backend.h"
#include "../tlb.h"
#include "bytecode.h"

enum { GS_LOADED = 1, GS_DIRTY = 2 };   /* TCGTemp.be_state for globals and constants */
/* TCGTemp.be_aux: an EBB temp t = ext32u(x) whose slot is x's own (full
 * 64-bit value): every reader uses only the low 32 bits (fuse.c, low32). */
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
     * not emitted, only their bookkeeping (interp_op_done) runs in place. */
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

/* ---- emit.c: the emitter ---- */

void interp_put(Emitter *e, const uint16_t *u, unsigned n);

/* An instruction that writes slot u[1] and leaves the value in the accumulator. */
static inline void interp_put_out(Emitter *e, const uint16_t *u, unsigned n)
{
    interp_put(e, u, n);
    e->acc_slot = u[1];
}

static inline void interp_set_imm32(uint16_t *u, uint32_t v) { memcpy(u, &v, 4); }
static inline void interp_set_imm64(uint16_t *u, uint64_t v) { memcpy(u, &v, 8); }

/* An 8-byte global the interpreter reads and writes in place in env. */
static inline bool interp_resident(const Emitter *e, const TCGTemp *ts)
{
    return e->in_env && ts->kind == TCG_TEMP_GLOBAL && ts->type == TCG_TYPE_I64 &&
           ts->mem_offset >= 0 && ts->mem_offset % 8 == 0 && ts->mem_offset / 8 < 65536;
}

static inline bool interp_fits_imm(TCGTemp *ts)
{
    return ts->kind == TCG_TEMP_CONST &&
           (ts->type == TCG_TYPE_I32 || (int64_t)ts->val == (int32_t)ts->val);
}

/* The slot holding t's value now if that needs no code, else -1. */
static inline int interp_cur_slot(const Emitter *e, TCGArg t)
{
    const TCGTemp *ts = &e->s->temps[t];
    if (ts->kind == TCG_TEMP_FIXED) {
        return (int)(e->base + BC_ENV_SLOT);
    }
    if (interp_resident(e, ts)) {
        return (int)(ts->mem_offset / 8);
    }
    if (ts->kind == TCG_TEMP_EBB || ts->kind == TCG_TEMP_TB) {
        return ts->be_slot;
    }
    return -1;
}

/* The unit of a Q* access that locates its mmu index's TCGTLBFast in env. */
static inline uint16_t interp_tlb_unit(TCGArg oi)
{
    return (uint16_t)(TCG_ENV_TLB_OFFSET + TCG_MEMOP_IDX_MMU(oi) * sizeof(TCGTLBFast));
}

void interp_compact_loaded(Emitter *e);
void interp_sync_dirty(Emitter *e);
void interp_sync_point(Emitter *e);
void interp_unload(Emitter *e, bool consts_too);
uint16_t interp_in_slot(Emitter *e, TCGArg a);
uint16_t interp_out_slot(Emitter *e, TCGArg a);
/* op was emitted as part of an earlier op's superinstruction: skip it when reached. */
void interp_consume(Emitter *e, const TCGOp *op);
bool interp_inputs_done(Emitter *e, const TCGOp *op);
void interp_op_done(Emitter *e, const TCGOp *op);
void interp_branch_to(Emitter *e, TCGLabel *l, size_t op_start, size_t field);
unsigned interp_bc_binary_base(TCGOpcode opc);
int interp_bc_unary(TCGOpcode opc, bool is64);
int interp_bc_guest_tlb(TCGMemOp mo, bool ld, bool is64);
void interp_put_goto_tb(Emitter *e, uint16_t *u, unsigned head, unsigned bc, unsigned slot);
void interp_emit_binary(Emitter *e, TCGOp *op, unsigned base, bool is64, TCGOp *out, bool low32);
void interp_emit_op(Emitter *e, TCGOp *op);

/* ---- fuse.c: superinstructions; each true if it emitted op (and the ops it took) ---- */

bool interp_fuse_env_test(Emitter *e, TCGOp *op);
bool interp_fuse_brtb(Emitter *e, TCGOp *op, uint16_t *u, bool imm);
bool interp_fuse_lookup_goto(Emitter *e, TCGOp *op);
bool interp_fuse_mov_lookup(Emitter *e, TCGOp *op);
bool interp_fuse_goto_tbs(Emitter *e, TCGOp *op);
bool interp_fuse_brsext(Emitter *e, TCGOp *op);
bool interp_fuse_ext(Emitter *e, TCGOp *op);
bool interp_fuse_binary(Emitter *e, TCGOp *op, unsigned base);
bool interp_fuse_binary_mov(Emitter *e, const TCGOp *op, TCGOp *out, uint16_t *u, uint16_t sa,
                            uint16_t sb, bool imm, bool is64);
/* Extensions whose result depends on the low 32 bits of their input only. */
bool interp_low32_ext(const TCGOp *op);
/* and_i64 with a constant below 2^32: x & c = ext32u(x) & c, the 32-bit form. */
bool interp_low32_and(const Emitter *e, const TCGOp *op);

#endif
